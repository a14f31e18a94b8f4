//! API tokens (`jetons_api`, migration 0008): create, list by owner, find a
//! live one by fingerprint, record its last use, revoke. Creation and
//! revocation are journaled in the same transaction. SQL is written once
//! and expanded for each backend, like [`crate::activites`].

use crate::{Inner, StoreError};
use chrono::{DateTime, Duration, Utc};
use maillage_comptes::{lire_portees, portees_en_texte, NouveauJetonApi, PorteeApi};

/// A stored API token (its fingerprint only: the clear token is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetonApi {
    /// 32 hexadecimal characters, chosen by the store.
    pub id: String,
    pub utilisateur_id: String,
    pub nom: String,
    /// SHA-256 hex of the clear token.
    pub empreinte: String,
    /// Sorted, without repeats.
    pub portees: Vec<PorteeApi>,
    pub cree_le: DateTime<Utc>,
    pub expire_le: DateTime<Utc>,
    pub dernier_usage_le: Option<DateTime<Utc>>,
    pub revoque_le: Option<DateTime<Utc>>,
}

impl JetonApi {
    pub fn a_la_portee(&self, p: PorteeApi) -> bool {
        self.portees.contains(&p)
    }
}

const COLONNES_JETON_API: &str = "id, utilisateur_id, nom, empreinte, portees, cree_le, \
     expire_le, dernier_usage_le, revoque_le";

/// The store's own checks, whoever built the token: what the schema cannot
/// say (a real fingerprint, the one-year limit).
fn verifier(n: &NouveauJetonApi) -> Result<(), StoreError> {
    const OP: &str = "la création d'un jeton d'API";
    crate::comptes::verifier_empreinte(OP, &n.empreinte)?;
    let invalide = |detail: String| StoreError::Invalid {
        operation: OP,
        detail,
    };
    let nom = n.nom.trim();
    if nom.is_empty() || nom.chars().count() > maillage_comptes::jeton_api::NOM_MAX {
        return Err(invalide(format!(
            "nom vide ou de plus de {} caractères",
            maillage_comptes::jeton_api::NOM_MAX
        )));
    }
    if n.portees.is_empty() {
        return Err(invalide("aucune portée".to_string()));
    }
    let duree = n.expire_le - n.cree_le;
    if duree <= Duration::zero() || duree > Duration::days(maillage_comptes::DUREE_MAX_JOURS) {
        return Err(invalide(format!(
            "validité de {} jours : entre 1 seconde et {} jours",
            duree.num_days(),
            maillage_comptes::DUREE_MAX_JOURS
        )));
    }
    Ok(())
}

fn detail_corrompu(what: &str, detail: String) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        detail,
    }
}

macro_rules! operations_jetons_api {
    ($store:ty, $db:ty) => {
        impl $store {
            fn lire_jeton_api(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<JetonApi, StoreError> {
                use $crate::commun::valeur;
                let portees: String = valeur(row, 4, "jetons_api.portees")?;
                let portees = lire_portees(&portees)
                    .map_err(|e| detail_corrompu("jetons_api.portees", e.to_string()))?;
                Ok(JetonApi {
                    id: valeur(row, 0, "jetons_api.id")?,
                    utilisateur_id: valeur(row, 1, "jetons_api.utilisateur_id")?,
                    nom: valeur(row, 2, "jetons_api.nom")?,
                    empreinte: valeur(row, 3, "jetons_api.empreinte")?,
                    portees,
                    cree_le: valeur(row, 5, "jetons_api.cree_le")?,
                    expire_le: valeur(row, 6, "jetons_api.expire_le")?,
                    dernier_usage_le: valeur(row, 7, "jetons_api.dernier_usage_le")?,
                    revoque_le: valeur(row, 8, "jetons_api.revoque_le")?,
                })
            }

            /// Appends a journal entry inside `tx` (same table and columns
            /// as [`crate::Store::journaliser`]).
            async fn journaliser_jeton_api(
                conn: &mut <$db as sqlx::Database>::Connection,
                quand: DateTime<Utc>,
                acteur_id: &str,
                action: maillage_comptes::ActionSensible,
                jeton_id: &str,
                details: serde_json::Value,
                operation: &'static str,
            ) -> Result<(), StoreError> {
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: Some(acteur_id.to_string()),
                    action: action.code().to_string(),
                    cible: Some(format!("jeton_api:{jeton_id}")),
                    details,
                };
                Self::ecrire_journal(conn, &entree)
                    .await
                    .map(|_| ())
                    .map_err(|e| match e {
                        $crate::StoreError::Database { source, .. } => {
                            $crate::StoreError::Database { operation, source }
                        }
                        autre => autre,
                    })
            }

            pub(crate) async fn creer_jeton_api(
                &self,
                utilisateur_id: &str,
                n: &NouveauJetonApi,
            ) -> Result<String, StoreError> {
                const OP: &str = "la création d'un jeton d'API";
                let id = $crate::activites::nouvel_identifiant();
                let quand = $crate::commun::horodatage(n.cree_le);
                let expire_le = $crate::commun::horodatage(n.expire_le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                sqlx::query(
                    "INSERT INTO jetons_api (id, utilisateur_id, nom, empreinte, portees, \
                     cree_le, expire_le) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&id)
                .bind(utilisateur_id)
                .bind(n.nom.trim())
                .bind(&n.empreinte)
                .bind(portees_en_texte(&n.portees))
                .bind(quand)
                .bind(expire_le)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                // No secret in the journal: the name, scopes and expiry only.
                let details = serde_json::json!({
                    "nom": n.nom.trim(),
                    "portees": n.portees.iter().map(|p| p.code()).collect::<Vec<_>>(),
                    "expireLe": expire_le.to_rfc3339(),
                });
                Self::journaliser_jeton_api(
                    &mut *tx,
                    quand,
                    utilisateur_id,
                    maillage_comptes::ActionSensible::CreationJetonApi,
                    &id,
                    details,
                    OP,
                )
                .await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(id)
            }

            pub(crate) async fn jetons_api_de(
                &self,
                utilisateur_id: &str,
            ) -> Result<Vec<JetonApi>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {COLONNES_JETON_API} FROM jetons_api WHERE utilisateur_id = $1 \
                     ORDER BY cree_le DESC, id"
                ))
                .bind(utilisateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des jetons d'API"))?;
                rows.iter().map(Self::lire_jeton_api).collect()
            }

            pub(crate) async fn jeton_api_actif(
                &self,
                empreinte: &str,
                maintenant: DateTime<Utc>,
            ) -> Result<Option<JetonApi>, StoreError> {
                let row = sqlx::query(
                    "SELECT j.id, j.utilisateur_id, j.nom, j.empreinte, j.portees, j.cree_le, \
                     j.expire_le, j.dernier_usage_le, j.revoque_le \
                     FROM jetons_api j JOIN utilisateurs u ON u.id = j.utilisateur_id \
                     WHERE j.empreinte = $1 AND j.revoque_le IS NULL AND j.expire_le > $2 \
                     AND u.desactive_le IS NULL",
                )
                .bind(empreinte)
                .bind($crate::commun::horodatage(maintenant))
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la vérification d'un jeton d'API"))?;
                row.as_ref().map(Self::lire_jeton_api).transpose()
            }

            pub(crate) async fn toucher_jeton_api(
                &self,
                id: &str,
                maintenant: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let r = sqlx::query("UPDATE jetons_api SET dernier_usage_le = $1 WHERE id = $2")
                    .bind($crate::commun::horodatage(maintenant))
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(
                        "l'enregistrement de l'usage d'un jeton d'API",
                    ))?;
                Ok(r.rows_affected() > 0)
            }

            pub(crate) async fn revoquer_jeton_api(
                &self,
                id: &str,
                utilisateur_id: &str,
                maintenant: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                const OP: &str = "la révocation d'un jeton d'API";
                let quand = $crate::commun::horodatage(maintenant);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let r = sqlx::query(
                    "UPDATE jetons_api SET revoque_le = $1 \
                     WHERE id = $2 AND utilisateur_id = $3 AND revoque_le IS NULL",
                )
                .bind(quand)
                .bind(id)
                .bind(utilisateur_id)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Ok(false);
                }
                Self::journaliser_jeton_api(
                    &mut *tx,
                    quand,
                    utilisateur_id,
                    maillage_comptes::ActionSensible::RevocationJetonApi,
                    id,
                    serde_json::json!({}),
                    OP,
                )
                .await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(true)
            }
        }
    };
}

operations_jetons_api!(crate::sqlite::SqliteStore, sqlx::Sqlite);
operations_jetons_api!(crate::postgres::PgStore, sqlx::Postgres);

macro_rules! par_base {
    ($self:ident, $methode:ident($($arg:expr),*)) => {
        match &$self.inner {
            Inner::Sqlite(s) => s.$methode($($arg),*).await,
            Inner::Postgres(s) => s.$methode($($arg),*).await,
        }
    };
}

impl crate::Store {
    /// Stores a token made by [`NouveauJetonApi::creer`] for
    /// `utilisateur_id` (its fingerprint only) and journals
    /// `creation_jeton_api` by the owner, in one transaction; returns the
    /// token's id. A fingerprint that is not a SHA-256 hex, an empty name,
    /// no scope or a validity over a year is [`StoreError::Invalid`]; an
    /// unknown owner too (foreign key); a fingerprint already used a
    /// [`StoreError::Conflict`].
    pub async fn creer_jeton_api(
        &self,
        utilisateur_id: &str,
        n: &NouveauJetonApi,
    ) -> Result<String, StoreError> {
        verifier(n)?;
        par_base!(self, creer_jeton_api(utilisateur_id, n))
    }

    /// Every token of an account, revoked and expired ones included,
    /// newest first.
    pub async fn jetons_api_de(&self, utilisateur_id: &str) -> Result<Vec<JetonApi>, StoreError> {
        par_base!(self, jetons_api_de(utilisateur_id))
    }

    /// The usable token with this fingerprint: `None` when unknown,
    /// revoked, expired at `maintenant` or its owner's account is
    /// deactivated.
    pub async fn jeton_api_actif(
        &self,
        empreinte: &str,
        maintenant: DateTime<Utc>,
    ) -> Result<Option<JetonApi>, StoreError> {
        par_base!(self, jeton_api_actif(empreinte, maintenant))
    }

    /// Records a use of the token at `maintenant`; `false` for an unknown id.
    pub async fn toucher_jeton_api(
        &self,
        id: &str,
        maintenant: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        par_base!(self, toucher_jeton_api(id, maintenant))
    }

    /// Revokes one of `utilisateur_id`'s tokens and journals
    /// `revocation_jeton_api`, in one transaction. `Ok(false)` (nothing
    /// changed, nothing journaled) when the id is unknown, belongs to
    /// someone else or is already revoked, so a repeated request is
    /// harmless and another user's token cannot be touched.
    pub async fn revoquer_jeton_api(
        &self,
        id: &str,
        utilisateur_id: &str,
        maintenant: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        par_base!(self, revoquer_jeton_api(id, utilisateur_id, maintenant))
    }
}
