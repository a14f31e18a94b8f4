//! Outgoing e-mail as a queue in the database (migration 0011): the request
//! that sends a message writes it; a background task of any server takes
//! it with a lease, delivers it, and marks it sent or schedules a retry.
//! Without SMTP, messages wait here and administrators read them.

use crate::{par_base, Store, StoreError};
use chrono::{DateTime, Utc};

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouveauCourriel {
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    /// The link the message asks to follow.
    pub lien: Option<String>,
    pub cree_le: DateTime<Utc>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Courriel {
    /// Increasing: a later message has a larger id.
    pub id: i64,
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    pub lien: Option<String>,
    pub cree_le: DateTime<Utc>,
    pub envoye_le: Option<DateTime<Utc>>,
    pub tentatives: u32,
    pub derniere_erreur: Option<String>,
    pub prochain_essai_le: DateTime<Utc>,
}

/// Longest stored subject, body and error (characters).
const SUJET_MAX: usize = 500;
const CORPS_MAX: usize = 20_000;
const ERREUR_MAX: usize = 1_000;

pub(crate) const COLONNES_COURRIEL: &str = "id, destinataire, sujet, corps, lien, cree_le, \
     envoye_le, tentatives, derniere_erreur, prochain_essai_le";

pub(crate) fn lire_courriel<R: sqlx::Row>(row: &R) -> Result<Courriel, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use crate::commun::valeur;
    let tentatives: i32 = valeur(row, 7, "courriels.tentatives")?;
    Ok(Courriel {
        id: valeur(row, 0, "courriels.id")?,
        destinataire: valeur(row, 1, "courriels.destinataire")?,
        sujet: valeur(row, 2, "courriels.sujet")?,
        corps: valeur(row, 3, "courriels.corps")?,
        lien: valeur(row, 4, "courriels.lien")?,
        cree_le: valeur(row, 5, "courriels.cree_le")?,
        envoye_le: valeur(row, 6, "courriels.envoye_le")?,
        tentatives: u32::try_from(tentatives).unwrap_or(0),
        derniere_erreur: valeur(row, 8, "courriels.derniere_erreur")?,
        prochain_essai_le: valeur(row, 9, "courriels.prochain_essai_le")?,
    })
}

fn tronquer(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

macro_rules! operations_courriels {
    ($store:ident, $db:ty) => {
        impl $store {
            pub(crate) async fn ajouter_courriel(
                &self,
                c: &$crate::NouveauCourriel,
            ) -> Result<i64, $crate::StoreError> {
                let quand = $crate::commun::horodatage(c.cree_le);
                sqlx::query_scalar(
                    "INSERT INTO courriels (destinataire, sujet, corps, lien, cree_le, \
                     prochain_essai_le) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&c.destinataire)
                .bind(&c.sujet)
                .bind(&c.corps)
                .bind(&c.lien)
                .bind(quand)
                .bind(quand)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("l'enregistrement d'un courriel"))
            }

            pub(crate) async fn courriels(
                &self,
                limite: u32,
                avant_id: Option<i64>,
            ) -> Result<Vec<$crate::Courriel>, $crate::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM courriels WHERE id < $1 ORDER BY id DESC LIMIT $2",
                    $crate::courriels::COLONNES_COURRIEL
                ))
                .bind(avant_id.unwrap_or(i64::MAX))
                .bind(i64::from(limite))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des courriels"))?;
                rows.iter().map($crate::courriels::lire_courriel).collect()
            }

            pub(crate) async fn prendre_courriels(
                &self,
                maintenant: chrono::DateTime<chrono::Utc>,
                bail: chrono::DateTime<chrono::Utc>,
                limite: u32,
            ) -> Result<Vec<$crate::Courriel>, $crate::StoreError> {
                const OP: &str = "la prise des courriels à envoyer";
                let maintenant = $crate::commun::horodatage(maintenant);
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM courriels WHERE envoye_le IS NULL \
                     AND prochain_essai_le <= $1 ORDER BY id LIMIT $2",
                )
                .bind(maintenant)
                .bind(i64::from(limite))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let mut pris = Vec::with_capacity(ids.len());
                for id in ids {
                    // The lease: only the server whose UPDATE matched sends it.
                    let row = sqlx::query(&format!(
                        "UPDATE courriels SET prochain_essai_le = $1 WHERE id = $2 \
                         AND envoye_le IS NULL AND prochain_essai_le <= $3 RETURNING {}",
                        $crate::courriels::COLONNES_COURRIEL
                    ))
                    .bind($crate::commun::horodatage(bail))
                    .bind(id)
                    .bind(maintenant)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                    if let Some(row) = row {
                        pris.push($crate::courriels::lire_courriel(&row)?);
                    }
                }
                Ok(pris)
            }

            pub(crate) async fn marquer_courriel(
                &self,
                id: i64,
                envoye_le: Option<chrono::DateTime<chrono::Utc>>,
                erreur: Option<&str>,
                prochain_essai_le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "UPDATE courriels SET envoye_le = $1, derniere_erreur = $2, \
                     tentatives = tentatives + 1, prochain_essai_le = $3 WHERE id = $4",
                )
                .bind(envoye_le.map($crate::commun::horodatage))
                .bind(erreur)
                .bind($crate::commun::horodatage(prochain_essai_le))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la mise à jour d'un courriel"))?;
                Ok(())
            }

            pub(crate) async fn purger_courriels(
                &self,
                avant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                let r = sqlx::query("DELETE FROM courriels WHERE cree_le < $1")
                    .bind($crate::commun::horodatage(avant))
                    .execute(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("la purge des courriels"))?;
                Ok(r.rows_affected())
            }
        }
    };
}

pub(crate) use operations_courriels;

impl Store {
    /// Queues a message (subject and body cut to a sane length); returns
    /// its id. An empty recipient is [`StoreError::Invalid`].
    pub async fn ajouter_courriel(&self, c: &NouveauCourriel) -> Result<i64, StoreError> {
        if c.destinataire.trim().is_empty() {
            return Err(StoreError::Invalid {
                operation: "l'enregistrement d'un courriel",
                detail: "destinataire vide".to_string(),
            });
        }
        let c = NouveauCourriel {
            sujet: tronquer(&c.sujet, SUJET_MAX),
            corps: tronquer(&c.corps, CORPS_MAX),
            ..c.clone()
        };
        par_base!(self, ajouter_courriel(&c))
    }

    /// At most `limite` messages, newest first, only those older than
    /// `avant_id` when given.
    pub async fn courriels(
        &self,
        limite: u32,
        avant_id: Option<i64>,
    ) -> Result<Vec<Courriel>, StoreError> {
        par_base!(self, courriels(limite, avant_id))
    }

    /// Takes up to `limite` unsent messages due at `maintenant`, oldest
    /// first, pushing each one's next attempt to `bail`: until then no other
    /// server takes it. A message taken by a server that dies is taken again
    /// once the lease is over.
    pub async fn prendre_courriels(
        &self,
        maintenant: DateTime<Utc>,
        bail: DateTime<Utc>,
        limite: u32,
    ) -> Result<Vec<Courriel>, StoreError> {
        par_base!(self, prendre_courriels(maintenant, bail, limite))
    }

    /// Records a delivery.
    pub async fn courriel_envoye(&self, id: i64, le: DateTime<Utc>) -> Result<(), StoreError> {
        par_base!(self, marquer_courriel(id, Some(le), None, le))
    }

    /// Records a failed attempt and when to try again.
    pub async fn courriel_en_echec(
        &self,
        id: i64,
        erreur: &str,
        prochain_essai_le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let erreur = tronquer(erreur, ERREUR_MAX);
        par_base!(
            self,
            marquer_courriel(id, None, Some(&erreur), prochain_essai_le)
        )
    }

    /// Deletes the messages created before `avant`, sent or not (they hold
    /// single-use links); returns how many.
    pub async fn purger_courriels(&self, avant: DateTime<Utc>) -> Result<u64, StoreError> {
        par_base!(self, purger_courriels(avant))
    }
}
