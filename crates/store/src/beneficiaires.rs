//! The mediators' beneficiaries (crate `maillage-beneficiaires`): public
//! types, checks, row decoding, the operations (one macro expanded for each
//! backend at the end of this file, like [`crate::activites`]) and the
//! [`Store`] facade methods.
//!
//! Sensitive changes (anonymisation, merge, import) are journaled in the
//! same transaction, with ids only: never a name in the journal.

use crate::commun::valeur;
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use maillage_beneficiaires::{normaliser, Beneficiaire, Fiche, PlanFusion};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// A beneficiary to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouveauBeneficiaire {
    /// The owner: the mediator who follows the beneficiary.
    pub mediateur_id: String,
    pub beneficiaire: Beneficiaire,
    /// Creation time; also the consent date of a followed beneficiary.
    pub cree_le: DateTime<Utc>,
}

/// One mediator's beneficiaries to list. `recherche`: a prefix of the
/// prénom, the nom, or both in either order, accents and case ignored.
/// `page` counts from 1 (0 is taken as 1); `par_page` is 1 to
/// [`PAR_PAGE_MAX_BENEFICIAIRES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiltreBeneficiaires {
    pub mediateur_id: String,
    pub recherche: Option<String>,
    pub page: u32,
    pub par_page: u32,
}

/// Largest page of [`Store::beneficiaires`].
pub const PAR_PAGE_MAX_BENEFICIAIRES: u32 = 500;

/// One page of beneficiaries and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBeneficiaires {
    /// Followed beneficiaries by nom then prénom, then anonymous ones by
    /// creation.
    pub beneficiaires: Vec<Fiche>,
    pub total: u64,
}

const LONGUEUR_MAX_IDENTIFIANT: usize = 200;

fn verifier_identifiant(operation: &'static str, champ: &str, v: &str) -> Result<(), StoreError> {
    let detail = if v.trim().is_empty() {
        format!("{champ} vide")
    } else if v.chars().count() > LONGUEUR_MAX_IDENTIFIANT {
        format!("{champ} de plus de {LONGUEUR_MAX_IDENTIFIANT} caractères")
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid { operation, detail })
}

/// The store keeps only what validation allows: an identity is prénom and
/// nom together, and personal data needs an identity.
fn verifier_beneficiaire(operation: &'static str, b: &Beneficiaire) -> Result<(), StoreError> {
    let detail = if b.prenom.is_some() != b.nom.is_some() {
        "prénom et nom vont ensemble"
    } else if !b.est_suivi() && b.a_des_donnees_personnelles() {
        "données personnelles sans identité ni consentement"
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid {
        operation,
        detail: detail.to_string(),
    })
}

/// The stored columns of a beneficiary.
pub(crate) struct Valeurs {
    pub(crate) prenom: Option<String>,
    pub(crate) nom: Option<String>,
    pub(crate) telephone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) commune_code_insee: Option<String>,
    pub(crate) annee_naissance: Option<i32>,
    pub(crate) tranche_age: Option<&'static str>,
    pub(crate) genre: Option<&'static str>,
    pub(crate) statut_social: Option<&'static str>,
    pub(crate) notes: Option<String>,
    pub(crate) nom_recherche: String,
    pub(crate) prenom_recherche: String,
}

pub(crate) fn valeurs(b: &Beneficiaire) -> Valeurs {
    Valeurs {
        prenom: b.prenom.clone(),
        nom: b.nom.clone(),
        telephone: b.telephone.clone(),
        email: b.email.clone(),
        commune_code_insee: b.commune_code_insee.clone(),
        annee_naissance: b.annee_naissance,
        tranche_age: b.tranche_age.map(|t| t.code()),
        genre: b.genre.map(|g| g.code()),
        statut_social: b.statut_social.map(|s| s.code()),
        notes: b.notes.clone(),
        nom_recherche: b.nom.as_deref().map(normaliser).unwrap_or_default(),
        prenom_recherche: b.prenom.as_deref().map(normaliser).unwrap_or_default(),
    }
}

/// `LIKE` pattern of a search: the normalised prefix (letters, digits and
/// spaces only, so nothing to escape); `None` when nothing is searched.
pub(crate) fn motif_recherche(recherche: Option<&str>) -> Option<String> {
    let n = normaliser(recherche?);
    (!n.is_empty()).then(|| format!("{n}%"))
}

pub(crate) fn limite_et_decalage(f: &FiltreBeneficiaires) -> Result<(i64, i64), StoreError> {
    if f.par_page == 0 || f.par_page > PAR_PAGE_MAX_BENEFICIAIRES {
        return Err(StoreError::Invalid {
            operation: "la lecture des bénéficiaires",
            detail: format!(
                "{} bénéficiaires par page demandés : entre 1 et {PAR_PAGE_MAX_BENEFICIAIRES}",
                f.par_page
            ),
        });
    }
    let par_page = i64::from(f.par_page);
    Ok((par_page, (i64::from(f.page.max(1)) - 1) * par_page))
}

/// Rewrites one activity record's JSON (`ActiviteSaisie`) so that it names
/// `vers` instead of `de`: the followed beneficiary of an individual record
/// and the participants of a workshop. Returns the new JSON and how many
/// participants were dropped because `vers` was already among them (the
/// record then counts one accompaniment less); `None` when nothing changed.
pub(crate) fn reecrire_references(
    donnees: &str,
    de: &str,
    vers: &str,
) -> Result<Option<(String, i32)>, serde_json::Error> {
    let mut v: serde_json::Value = serde_json::from_str(donnees)?;
    let mut change = false;
    let mut retires = 0;
    if let Some(id) = v.pointer_mut("/beneficiaire/suivi/id") {
        if id.as_str() == Some(de) {
            *id = serde_json::Value::String(vers.to_string());
            change = true;
        }
    }
    if let Some(serde_json::Value::Array(participants)) = v.get_mut("participants") {
        if participants.iter().any(|p| p.as_str() == Some(de)) {
            let deja = participants.iter().any(|p| p.as_str() == Some(vers));
            let avant = participants.len();
            let mut vu = false;
            participants.retain_mut(|p| {
                if p.as_str() == Some(de) {
                    *p = serde_json::Value::String(vers.to_string());
                }
                if p.as_str() == Some(vers) {
                    if vu {
                        return false;
                    }
                    vu = true;
                }
                true
            });
            if deja {
                retires = i32::try_from(avant - participants.len()).unwrap_or(0);
            }
            change = true;
        }
    }
    if !change {
        return Ok(None);
    }
    Ok(Some((serde_json::to_string(&v)?, retires)))
}

pub(crate) const COLONNES_BENEFICIAIRE: &str = "id, mediateur_id, prenom, nom, telephone, \
     email, commune_code_insee, annee_naissance, tranche_age, genre, statut_social, notes, \
     consentement_le, derniere_activite_le, cree_le, modifie_le, anonymise_le, fusionne_vers";

/// The personal columns erased by an anonymisation (demographics stay).
pub(crate) const EFFACEMENT: &str = "prenom = NULL, nom = NULL, telephone = NULL, \
     email = NULL, annee_naissance = NULL, notes = NULL, nom_recherche = '', \
     prenom_recherche = '', consentement_le = NULL";

/// Reads a beneficiary from the [`COLONNES_BENEFICIAIRE`].
pub(crate) fn lire_beneficiaire<'r, R>(row: &'r R) -> Result<Fiche, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<i32>: Decode<'r, R::Database> + Type<R::Database>,
    Option<NaiveDate>: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = valeur(row, 0, "beneficiaires.id")?;
    let corrompu = |colonne: &str, detail: String| StoreError::Corrupt {
        what: format!("beneficiaires.{colonne} du bénéficiaire « {id} »"),
        detail,
    };
    fn code<T: std::str::FromStr>(
        v: Option<String>,
        colonne: &str,
        corrompu: &dyn Fn(&str, String) -> StoreError,
    ) -> Result<Option<T>, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        v.map(|c| c.parse::<T>().map_err(|e| corrompu(colonne, e.to_string())))
            .transpose()
    }
    let beneficiaire = Beneficiaire {
        prenom: valeur(row, 2, "beneficiaires.prenom")?,
        nom: valeur(row, 3, "beneficiaires.nom")?,
        telephone: valeur(row, 4, "beneficiaires.telephone")?,
        email: valeur(row, 5, "beneficiaires.email")?,
        commune_code_insee: valeur(row, 6, "beneficiaires.commune_code_insee")?,
        annee_naissance: valeur(row, 7, "beneficiaires.annee_naissance")?,
        tranche_age: code(
            valeur(row, 8, "beneficiaires.tranche_age")?,
            "tranche_age",
            &corrompu,
        )?,
        genre: code(valeur(row, 9, "beneficiaires.genre")?, "genre", &corrompu)?,
        statut_social: code(
            valeur(row, 10, "beneficiaires.statut_social")?,
            "statut_social",
            &corrompu,
        )?,
        notes: valeur(row, 11, "beneficiaires.notes")?,
    };
    Ok(Fiche {
        mediateur_id: valeur(row, 1, "beneficiaires.mediateur_id")?,
        beneficiaire,
        consentement_le: valeur(row, 12, "beneficiaires.consentement_le")?,
        derniere_activite_le: valeur(row, 13, "beneficiaires.derniere_activite_le")?,
        cree_le: valeur(row, 14, "beneficiaires.cree_le")?,
        modifie_le: valeur(row, 15, "beneficiaires.modifie_le")?,
        anonymise_le: valeur(row, 16, "beneficiaires.anonymise_le")?,
        fusionne_vers: valeur(row, 17, "beneficiaires.fusionne_vers")?,
        id,
    })
}

macro_rules! operations_beneficiaires {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One journal entry on `conn` (ids only, no personal data).
            async fn journal_beneficiaire(
                conn: &mut <$db as sqlx::Database>::Connection,
                quand: chrono::DateTime<chrono::Utc>,
                acteur_id: Option<&str>,
                action: maillage_comptes::ActionSensible,
                cible: &str,
                details: serde_json::Value,
                operation: &'static str,
            ) -> Result<(), $crate::StoreError> {
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: acteur_id.map(str::to_string),
                    action: action.code().to_string(),
                    cible: Some(cible.to_string()),
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

            async fn inserer_beneficiaire(
                conn: &mut <$db as sqlx::Database>::Connection,
                mediateur_id: &str,
                b: &maillage_beneficiaires::Beneficiaire,
                quand: chrono::DateTime<chrono::Utc>,
                operation: &'static str,
            ) -> Result<String, $crate::StoreError> {
                let v = $crate::beneficiaires::valeurs(b);
                let id = $crate::activites::nouvel_identifiant();
                sqlx::query(
                    "INSERT INTO beneficiaires (id, mediateur_id, prenom, nom, telephone, email, \
                     commune_code_insee, annee_naissance, tranche_age, genre, statut_social, \
                     notes, nom_recherche, prenom_recherche, consentement_le, cree_le, \
                     modifie_le) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     $13, $14, $15, $16, $17)",
                )
                .bind(&id)
                .bind(mediateur_id)
                .bind(&v.prenom)
                .bind(&v.nom)
                .bind(&v.telephone)
                .bind(&v.email)
                .bind(&v.commune_code_insee)
                .bind(v.annee_naissance)
                .bind(v.tranche_age)
                .bind(v.genre)
                .bind(v.statut_social)
                .bind(&v.notes)
                .bind(&v.nom_recherche)
                .bind(&v.prenom_recherche)
                .bind(b.est_suivi().then_some(quand))
                .bind(quand)
                .bind(quand)
                .execute(&mut *conn)
                .await
                .map_err($crate::commun::erreur_db(operation))?;
                Ok(id)
            }

            pub(crate) async fn creer_beneficiaire(
                &self,
                n: &$crate::NouveauBeneficiaire,
            ) -> Result<String, $crate::StoreError> {
                const OP: &str = "l'enregistrement d'un bénéficiaire";
                let quand = $crate::commun::horodatage(n.cree_le);
                let mut conn = self.pool.acquire().await.map_err($crate::commun::erreur_db(OP))?;
                Self::inserer_beneficiaire(&mut *conn, &n.mediateur_id, &n.beneficiaire, quand, OP)
                    .await
            }

            pub(crate) async fn beneficiaire(
                &self,
                id: &str,
            ) -> Result<Option<maillage_beneficiaires::Fiche>, $crate::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM beneficiaires WHERE id = $1",
                    $crate::beneficiaires::COLONNES_BENEFICIAIRE
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'un bénéficiaire"))?;
                row.as_ref()
                    .map($crate::beneficiaires::lire_beneficiaire)
                    .transpose()
            }

            pub(crate) async fn modifier_beneficiaire(
                &self,
                id: &str,
                b: &maillage_beneficiaires::Beneficiaire,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la modification d'un bénéficiaire";
                let v = $crate::beneficiaires::valeurs(b);
                let quand = $crate::commun::horodatage(le);
                // A newly followed beneficiary agrees now; an earlier consent
                // keeps its date; no identity, no consent.
                let consentement = if b.est_suivi() {
                    "COALESCE(consentement_le, $14)"
                } else {
                    "NULL"
                };
                let r = sqlx::query(&format!(
                    "UPDATE beneficiaires SET prenom = $1, nom = $2, telephone = $3, email = $4, \
                     commune_code_insee = $5, annee_naissance = $6, tranche_age = $7, genre = $8, \
                     statut_social = $9, notes = $10, nom_recherche = $11, \
                     prenom_recherche = $12, modifie_le = $13, consentement_le = {consentement} \
                     WHERE id = $15 AND anonymise_le IS NULL"
                ))
                .bind(&v.prenom)
                .bind(&v.nom)
                .bind(&v.telephone)
                .bind(&v.email)
                .bind(&v.commune_code_insee)
                .bind(v.annee_naissance)
                .bind(v.tranche_age)
                .bind(v.genre)
                .bind(v.statut_social)
                .bind(&v.notes)
                .bind(&v.nom_recherche)
                .bind(&v.prenom_recherche)
                .bind(quand)
                .bind(quand)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound {
                        operation: OP,
                        detail: format!("aucun bénéficiaire actif n'a l'identifiant « {id} »"),
                    });
                }
                Ok(())
            }

            fn conditions_beneficiaires(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                f: &$crate::FiltreBeneficiaires,
            ) {
                qb.push(" WHERE anonymise_le IS NULL AND mediateur_id = ")
                    .push_bind(f.mediateur_id.clone());
                if let Some(m) = $crate::beneficiaires::motif_recherche(f.recherche.as_deref()) {
                    qb.push(" AND (nom_recherche LIKE ")
                        .push_bind(m.clone())
                        .push(" OR prenom_recherche LIKE ")
                        .push_bind(m.clone())
                        .push(" OR (nom_recherche || ' ' || prenom_recherche) LIKE ")
                        .push_bind(m.clone())
                        .push(" OR (prenom_recherche || ' ' || nom_recherche) LIKE ")
                        .push_bind(m)
                        .push(")");
                }
            }

            pub(crate) async fn beneficiaires(
                &self,
                f: &$crate::FiltreBeneficiaires,
            ) -> Result<$crate::PageBeneficiaires, $crate::StoreError> {
                const OP: &str = "la lecture des bénéficiaires";
                let (limite, decalage) = $crate::beneficiaires::limite_et_decalage(f)?;
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM beneficiaires");
                Self::conditions_beneficiaires(&mut qb, f);
                let row = qb
                    .build()
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                let total: i64 = $crate::commun::valeur(&row, 0, "COUNT(*)")?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM beneficiaires",
                    $crate::beneficiaires::COLONNES_BENEFICIAIRE
                ));
                Self::conditions_beneficiaires(&mut qb, f);
                qb.push(
                    " ORDER BY CASE WHEN prenom IS NULL THEN 1 ELSE 0 END, nom_recherche, \
                     prenom_recherche, cree_le, id LIMIT ",
                )
                .push_bind(limite)
                .push(" OFFSET ")
                .push_bind(decalage);
                let rows = qb
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                Ok($crate::PageBeneficiaires {
                    beneficiaires: rows
                        .iter()
                        .map($crate::beneficiaires::lire_beneficiaire)
                        .collect::<Result<_, _>>()?,
                    total: u64::try_from(total).unwrap_or(0),
                })
            }

            pub(crate) async fn beneficiaires_actifs(
                &self,
                mediateur_id: &str,
            ) -> Result<Vec<maillage_beneficiaires::Fiche>, $crate::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM beneficiaires WHERE anonymise_le IS NULL \
                     AND mediateur_id = $1 ORDER BY CASE WHEN prenom IS NULL THEN 1 ELSE 0 END, \
                     nom_recherche, prenom_recherche, cree_le, id",
                    $crate::beneficiaires::COLONNES_BENEFICIAIRE
                ))
                .bind(mediateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des bénéficiaires"))?;
                rows.iter()
                    .map($crate::beneficiaires::lire_beneficiaire)
                    .collect()
            }

            pub(crate) async fn anonymiser_beneficiaire(
                &self,
                id: &str,
                par: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                const OP: &str = "l'anonymisation d'un bénéficiaire";
                let quand = $crate::commun::horodatage(le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                // The write comes first: it takes SQLite's write lock.
                let r = sqlx::query(&format!(
                    "UPDATE beneficiaires SET {}, anonymise_le = $1, modifie_le = $1 \
                     WHERE id = $2 AND anonymise_le IS NULL",
                    $crate::beneficiaires::EFFACEMENT
                ))
                .bind(quand)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    let existe = sqlx::query("SELECT 1 FROM beneficiaires WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?;
                    return match existe {
                        // Already anonymised: nothing changed, nothing journaled.
                        Some(_) => Ok(false),
                        None => Err($crate::StoreError::NotFound {
                            operation: OP,
                            detail: format!("aucun bénéficiaire n'a l'identifiant « {id} »"),
                        }),
                    };
                }
                Self::journal_beneficiaire(
                    &mut *tx,
                    quand,
                    Some(par),
                    maillage_comptes::ActionSensible::AnonymisationBeneficiaire,
                    id,
                    serde_json::json!({ "motif": "suppression" }),
                    OP,
                )
                .await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(true)
            }

            pub(crate) async fn fusionner_beneficiaires(
                &self,
                plan: &maillage_beneficiaires::PlanFusion,
                par: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                const OP: &str = "la fusion de bénéficiaires";
                let quand = $crate::commun::horodatage(le);
                let v = $crate::beneficiaires::valeurs(&plan.resultat);
                let introuvable = || $crate::StoreError::NotFound {
                    operation: OP,
                    detail: "l'un des deux bénéficiaires n'existe plus, a été supprimé ou \
                             appartient à un autre médiateur"
                        .to_string(),
                };
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let r = sqlx::query(
                    "UPDATE beneficiaires SET prenom = $1, nom = $2, telephone = $3, email = $4, \
                     commune_code_insee = $5, annee_naissance = $6, tranche_age = $7, genre = $8, \
                     statut_social = $9, notes = $10, nom_recherche = $11, \
                     prenom_recherche = $12, consentement_le = $13, \
                     derniere_activite_le = $14, modifie_le = $15 \
                     WHERE id = $16 AND mediateur_id = $17 AND anonymise_le IS NULL",
                )
                .bind(&v.prenom)
                .bind(&v.nom)
                .bind(&v.telephone)
                .bind(&v.email)
                .bind(&v.commune_code_insee)
                .bind(v.annee_naissance)
                .bind(v.tranche_age)
                .bind(v.genre)
                .bind(v.statut_social)
                .bind(&v.notes)
                .bind(&v.nom_recherche)
                .bind(&v.prenom_recherche)
                .bind(plan.consentement_le.map($crate::commun::horodatage))
                .bind(plan.derniere_activite_le)
                .bind(quand)
                .bind(&plan.survivant)
                .bind(&plan.mediateur_id)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Err(introuvable());
                }
                let r = sqlx::query(&format!(
                    "UPDATE beneficiaires SET {}, anonymise_le = $1, modifie_le = $1, \
                     fusionne_vers = $2 WHERE id = $3 AND mediateur_id = $4 \
                     AND anonymise_le IS NULL",
                    $crate::beneficiaires::EFFACEMENT
                ))
                .bind(quand)
                .bind(&plan.survivant)
                .bind(&plan.absorbe)
                .bind(&plan.mediateur_id)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Err(introuvable());
                }
                // The owner's records naming the absorbed beneficiary (ids
                // are hexadecimal: nothing to escape in the pattern).
                let rows = sqlx::query(
                    "SELECT id, donnees FROM activites WHERE mediateur_id = $1 \
                     AND donnees LIKE $2",
                )
                .bind(&plan.mediateur_id)
                .bind(format!("%\"{}\"%", plan.absorbe))
                .fetch_all(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let ids: Vec<String> = rows
                    .iter()
                    .map(|r| $crate::commun::valeur(r, 0, "activites.id"))
                    .collect::<Result<_, _>>()?;
                Self::verrouiller_agregats(&mut *tx, &ids, &[], OP).await?;
                let mut reecrites = 0u64;
                for row in &rows {
                    let id: String = $crate::commun::valeur(row, 0, "activites.id")?;
                    let donnees: String = $crate::commun::valeur(row, 1, "activites.donnees")?;
                    let nouvelles = $crate::beneficiaires::reecrire_references(
                        &donnees,
                        &plan.absorbe,
                        &plan.survivant,
                    )
                    .map_err(|e| $crate::StoreError::Corrupt {
                        what: format!("activites.donnees de l'activité « {id} »"),
                        detail: e.to_string(),
                    })?;
                    let Some((donnees, retires)) = nouvelles else {
                        continue;
                    };
                    // The accompaniments change: the roll-ups follow.
                    Self::ajuster_agregats(&mut *tx, &id, -1, OP).await?;
                    sqlx::query(
                        "UPDATE activites SET donnees = $1, \
                         accompagnements = accompagnements - $2 WHERE id = $3",
                    )
                    .bind(donnees)
                    .bind(retires)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                    Self::ajuster_agregats(&mut *tx, &id, 1, OP).await?;
                    reecrites += 1;
                }
                Self::journal_beneficiaire(
                    &mut *tx,
                    quand,
                    Some(par),
                    maillage_comptes::ActionSensible::FusionBeneficiaires,
                    &plan.survivant,
                    serde_json::json!({ "absorbe": plan.absorbe, "activites": reecrites }),
                    OP,
                )
                .await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(reecrites)
            }

            pub(crate) async fn marquer_activite(
                &self,
                ids: &[String],
                date: chrono::NaiveDate,
            ) -> Result<u64, $crate::StoreError> {
                const OP: &str = "la date de dernière activité des bénéficiaires";
                let mut total = 0;
                for lot in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE beneficiaires SET derniere_activite_le = ",
                    );
                    qb.push_bind(date)
                        .push(" WHERE anonymise_le IS NULL AND (derniere_activite_le IS NULL OR derniere_activite_le < ")
                        .push_bind(date)
                        .push(") AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in lot {
                        sep.push_bind(id.clone());
                    }
                    qb.push(")");
                    total += qb
                        .build()
                        .execute(&self.pool)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?
                        .rows_affected();
                }
                Ok(total)
            }

            pub(crate) async fn anonymiser_inactifs(
                &self,
                avant: chrono::NaiveDate,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                const OP: &str = "l'anonymisation des bénéficiaires inactifs";
                let quand = $crate::commun::horodatage(maintenant);
                let debut_du_jour = avant.and_time(chrono::NaiveTime::MIN).and_utc();
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let rows = sqlx::query(&format!(
                    "UPDATE beneficiaires SET {}, anonymise_le = $1, modifie_le = $1 \
                     WHERE anonymise_le IS NULL AND ((derniere_activite_le IS NOT NULL \
                     AND derniere_activite_le < $2) OR (derniere_activite_le IS NULL \
                     AND cree_le < $3)) RETURNING id",
                    $crate::beneficiaires::EFFACEMENT
                ))
                .bind(quand)
                .bind(avant)
                .bind(debut_du_jour)
                .fetch_all(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                for row in &rows {
                    let id: String = $crate::commun::valeur(row, 0, "beneficiaires.id")?;
                    Self::journal_beneficiaire(
                        &mut *tx,
                        quand,
                        None,
                        maillage_comptes::ActionSensible::AnonymisationBeneficiaire,
                        &id,
                        serde_json::json!({ "motif": "conservation", "inactifAvant": avant.to_string() }),
                        OP,
                    )
                    .await?;
                }
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(rows.len() as u64)
            }

            pub(crate) async fn importer_beneficiaires(
                &self,
                mediateur_id: &str,
                beneficiaires: &[maillage_beneficiaires::Beneficiaire],
                fichier: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<String>, $crate::StoreError> {
                const OP: &str = "l'import de bénéficiaires";
                let quand = $crate::commun::horodatage(le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let mut ids = Vec::with_capacity(beneficiaires.len());
                for b in beneficiaires {
                    ids.push(Self::inserer_beneficiaire(&mut *tx, mediateur_id, b, quand, OP).await?);
                }
                Self::journal_beneficiaire(
                    &mut *tx,
                    quand,
                    Some(mediateur_id),
                    maillage_comptes::ActionSensible::ImportBeneficiaires,
                    mediateur_id,
                    serde_json::json!({ "nombre": ids.len(), "fichier": fichier }),
                    OP,
                )
                .await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(ids)
            }
        }
    };
}

operations_beneficiaires!(crate::sqlite::SqliteStore, sqlx::Sqlite);
operations_beneficiaires!(crate::postgres::PgStore, sqlx::Postgres);

/// Calls the same method on whichever backend this store uses.
macro_rules! par_base_b {
    ($self:ident, $methode:ident($($arg:expr),*)) => {
        match &$self.inner {
            crate::Inner::Sqlite(s) => s.$methode($($arg),*).await,
            crate::Inner::Postgres(s) => s.$methode($($arg),*).await,
        }
    };
}

impl Store {
    /// Stores a validated beneficiary under a new id (returned). A followed
    /// beneficiary's consent is dated `cree_le`. Personal data without an
    /// identity is [`StoreError::Invalid`].
    pub async fn creer_beneficiaire(&self, n: &NouveauBeneficiaire) -> Result<String, StoreError> {
        const OP: &str = "l'enregistrement d'un bénéficiaire";
        verifier_identifiant(OP, "identifiant du médiateur", &n.mediateur_id)?;
        verifier_beneficiaire(OP, &n.beneficiaire)?;
        par_base_b!(self, creer_beneficiaire(n))
    }

    /// One beneficiary by id, anonymised and merged ones included (check
    /// [`Fiche::est_active`]). Who may see it is the caller's decision.
    pub async fn beneficiaire(&self, id: &str) -> Result<Option<Fiche>, StoreError> {
        par_base_b!(self, beneficiaire(id))
    }

    /// Replaces an active beneficiary's data. Becoming followed dates the
    /// consent now (an earlier consent keeps its date); losing the identity
    /// drops it. [`StoreError::NotFound`] for an unknown or anonymised one.
    pub async fn modifier_beneficiaire(
        &self,
        id: &str,
        b: &Beneficiaire,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        verifier_beneficiaire("la modification d'un bénéficiaire", b)?;
        par_base_b!(self, modifier_beneficiaire(id, b, le))
    }

    /// One page of a mediator's active beneficiaries (not anonymised),
    /// searched by name prefix, with how many match in all.
    pub async fn beneficiaires(
        &self,
        filtre: &FiltreBeneficiaires,
    ) -> Result<PageBeneficiaires, StoreError> {
        par_base_b!(self, beneficiaires(filtre))
    }

    /// Every active beneficiary of a mediator (exports, duplicate
    /// detection), in the order of [`Store::beneficiaires`].
    pub async fn beneficiaires_actifs(&self, mediateur_id: &str) -> Result<Vec<Fiche>, StoreError> {
        par_base_b!(self, beneficiaires_actifs(mediateur_id))
    }

    /// Deletion: erases the beneficiary's personal data (demographics stay
    /// for statistics) and journals `anonymisation_beneficiaire` by `par`,
    /// in one transaction. `Ok(false)` when it already was (nothing
    /// journaled); [`StoreError::NotFound`] for an unknown id.
    pub async fn anonymiser_beneficiaire(
        &self,
        id: &str,
        par: &str,
        le: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        par_base_b!(self, anonymiser_beneficiaire(id, par, le))
    }

    /// Applies a merge plan in one transaction: the survivor takes the
    /// plan's values; the absorbed record is anonymised and points to it;
    /// the owner's activity records naming the absorbed one (individual
    /// `beneficiaire.suivi.id`, workshop `participants`) name the survivor;
    /// `fusion_beneficiaires` is journaled by `par`. Returns how many
    /// activity records were rewritten. [`StoreError::NotFound`] (nothing
    /// changed) when either is gone, anonymised or not the plan's owner's.
    pub async fn fusionner_beneficiaires(
        &self,
        plan: &PlanFusion,
        par: &str,
        le: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        const OP: &str = "la fusion de bénéficiaires";
        if plan.survivant == plan.absorbe {
            return Err(StoreError::Invalid {
                operation: OP,
                detail: "un bénéficiaire ne peut pas être fusionné avec lui-même".to_string(),
            });
        }
        verifier_beneficiaire(OP, &plan.resultat)?;
        crate::commun::avec_reprise(|| async {
            par_base_b!(self, fusionner_beneficiaires(plan, par, le))
        })
        .await
    }

    /// Records an activity on `date` for these beneficiaries (to call after
    /// saving an activity record): their last activity becomes `date`
    /// unless it is later already. Returns how many changed.
    pub async fn marquer_activite(
        &self,
        ids: &[String],
        date: NaiveDate,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        par_base_b!(self, marquer_activite(ids, date))
    }

    /// The retention sweep: anonymises, in one transaction, every active
    /// beneficiary whose last activity (or creation, without any) is before
    /// `avant` ([`maillage_beneficiaires::limite_retention`]), journaling
    /// each by the system. Idempotent (several servers may run it); returns
    /// how many were anonymised.
    pub async fn anonymiser_inactifs(
        &self,
        avant: NaiveDate,
        maintenant: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        par_base_b!(self, anonymiser_inactifs(avant, maintenant))
    }

    /// Stores every beneficiary of an import for `mediateur_id`, or none,
    /// and journals `import_beneficiaires` (the count and the file name);
    /// returns the new ids in order.
    pub async fn importer_beneficiaires(
        &self,
        mediateur_id: &str,
        beneficiaires: &[Beneficiaire],
        fichier: &str,
        le: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        const OP: &str = "l'import de bénéficiaires";
        verifier_identifiant(OP, "identifiant du médiateur", mediateur_id)?;
        for b in beneficiaires {
            verifier_beneficiaire(OP, b)?;
        }
        let fichier: String = fichier.chars().take(200).collect();
        par_base_b!(
            self,
            importer_beneficiaires(mediateur_id, beneficiaires, &fichier, le)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reecriture_des_references() {
        let individuel =
            r#"{"type":"individuel","beneficiaire":{"suivi":{"id":"aa"}},"participants":[]}"#;
        let (d, r) = reecrire_references(individuel, "aa", "bb")
            .expect("json")
            .expect("changé");
        assert!(d.contains(r#"{"suivi":{"id":"bb"}}"#), "{d}");
        assert_eq!(r, 0);
        let atelier = r#"{"type":"collectif","participants":["aa","cc","bb"]}"#;
        let (d, r) = reecrire_references(atelier, "aa", "bb")
            .expect("json")
            .expect("changé");
        assert!(d.contains(r#""participants":["bb","cc"]"#), "{d}");
        assert_eq!(r, 1);
        assert_eq!(
            reecrire_references(atelier, "zz", "bb").expect("json"),
            None
        );
        assert!(reecrire_references("pas du json", "aa", "bb").is_err());
    }

    #[test]
    fn motif() {
        assert_eq!(motif_recherche(Some(" Dupé ")).as_deref(), Some("dupe%"));
        assert_eq!(motif_recherche(Some("%_")), None);
        assert_eq!(motif_recherche(None), None);
    }
}
