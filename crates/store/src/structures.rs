//! Employer structures, mediators' employment and places of activity (La
//! Coop's `Structure`, `EmployeStructure` and `MediateurEnActivite`): the
//! public types, the checks both backends share, the operations written
//! once and expanded for each backend (in this file, like
//! [`crate::comptes`] does in the backends' files), and the [`Store`]
//! methods.
//!
//! A structure is identified by its SIRET ([`maillage_comptes::Siret`]).
//! Employment and places of activity are periods: `debut` inclusive, `fin`
//! exclusive, `None` while current; one row per period, at most one open
//! per (user, structure) and per (user, place). Every change is journaled
//! in the same transaction.

use crate::{Inner, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use maillage_comptes::Siret;
use sqlx::error::ErrorKind;

/// A structure to create if its SIRET is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouvelleStructure {
    /// Any spacing; stored as 14 digits.
    pub siret: String,
    pub nom: String,
    /// INSEE code of the commune (checked against the referential by the
    /// caller).
    pub commune: String,
    pub adresse: Option<String>,
    /// Stored to the microsecond.
    pub cree_le: DateTime<Utc>,
    /// Who declared it, for the journal.
    pub par: Option<String>,
}

/// A stored employer structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    /// 14 digits.
    pub siret: String,
    pub nom: String,
    /// INSEE code of the commune.
    pub commune: String,
    pub adresse: Option<String>,
    pub cree_le: DateTime<Utc>,
}

/// One period of employment of a user by a structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emploi {
    pub utilisateur_id: String,
    pub siret: String,
    /// Inclusive.
    pub debut: NaiveDate,
    /// Exclusive: the first day no longer employed; `None` while current.
    pub fin: Option<NaiveDate>,
}

/// An employment with the employee's account, for a structure's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employe {
    pub emploi: Emploi,
    pub email: String,
    pub nom: Option<String>,
}

/// One period during which a mediator works at a place of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LieuActivite {
    pub utilisateur_id: String,
    /// Published id of the place.
    pub lieu_id: String,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
}

/// Longest name, address or place id (characters).
const LONGUEUR_MAX: usize = 300;
/// Most structures one search returns.
pub const STRUCTURES_PAR_RECHERCHE_MAX: u32 = 200;

fn invalide(operation: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        operation,
        detail: detail.into(),
    }
}

fn siret_verifie(operation: &'static str, siret: &str) -> Result<Siret, StoreError> {
    Siret::lire(siret).map_err(|e| invalide(operation, e.to_string()))
}

fn verifier_texte(operation: &'static str, champ: &str, v: &str) -> Result<(), StoreError> {
    if v.trim().is_empty() {
        Err(invalide(operation, format!("{champ} vide")))
    } else if v.chars().count() > LONGUEUR_MAX {
        Err(invalide(
            operation,
            format!("{champ} de plus de {LONGUEUR_MAX} caractères"),
        ))
    } else {
        Ok(())
    }
}

fn verifier_structure(n: &NouvelleStructure) -> Result<NouvelleStructure, StoreError> {
    const OP: &str = "la création d'une structure";
    let siret = siret_verifie(OP, &n.siret)?;
    verifier_texte(OP, "nom de la structure", &n.nom)?;
    verifier_texte(OP, "commune de la structure", &n.commune)?;
    let adresse = n
        .adresse
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(a) = adresse {
        verifier_texte(OP, "adresse de la structure", a)?;
    }
    Ok(NouvelleStructure {
        siret: siret.into_string(),
        nom: n.nom.trim().to_string(),
        commune: n.commune.trim().to_string(),
        adresse: adresse.map(str::to_string),
        ..n.clone()
    })
}

/// A period's kind, for the shared "end a period" operation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Periode {
    Emploi,
    LieuActivite,
}

impl Periode {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Periode::Emploi => "emplois",
            Periode::LieuActivite => "lieux_activite",
        }
    }

    /// The column that, with the user, identifies the period.
    pub(crate) fn colonne(self) -> &'static str {
        match self {
            Periode::Emploi => "siret",
            Periode::LieuActivite => "lieu_id",
        }
    }

    pub(crate) fn action(self) -> maillage_comptes::ActionSensible {
        match self {
            Periode::Emploi => maillage_comptes::ActionSensible::ChangementEmploi,
            Periode::LieuActivite => maillage_comptes::ActionSensible::ChangementLieuActivite,
        }
    }

    pub(crate) fn operation_fin(self) -> &'static str {
        match self {
            Periode::Emploi => "la fin d'un emploi",
            Periode::LieuActivite => "la fin d'un lieu d'activité",
        }
    }

    pub(crate) fn introuvable(self, utilisateur_id: &str, cle: &str) -> String {
        match self {
            Periode::Emploi => format!(
                "le compte « {utilisateur_id} » n'a pas d'emploi en cours dans la structure « {cle} »"
            ),
            Periode::LieuActivite => format!(
                "le lieu « {cle} » n'est pas un lieu d'activité en cours du compte « {utilisateur_id} »"
            ),
        }
    }
}

/// Why a period cannot be opened, said for the user.
pub(crate) fn erreur_ouverture<'a>(
    periode: Periode,
    utilisateur_id: &'a str,
    cle: &'a str,
    debut: NaiveDate,
) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    let operation = match periode {
        Periode::Emploi => "la déclaration d'un emploi",
        Periode::LieuActivite => "l'ajout d'un lieu d'activité",
    };
    move |e| {
        let genre = match &e {
            sqlx::Error::Database(d) => Some(d.kind()),
            _ => None,
        };
        match genre {
            Some(ErrorKind::UniqueViolation) => StoreError::Conflict {
                operation,
                detail: match periode {
                    Periode::Emploi => format!(
                        "un emploi dans la structure « {cle} » commence déjà le {debut} pour ce compte"
                    ),
                    Periode::LieuActivite => format!(
                        "une période d'activité au lieu « {cle} » commence déjà le {debut} pour ce compte"
                    ),
                },
            },
            Some(ErrorKind::ForeignKeyViolation) => StoreError::NotFound {
                operation,
                detail: match periode {
                    Periode::Emploi => format!(
                        "le compte « {utilisateur_id} » ou la structure « {cle} » n'existe pas"
                    ),
                    Periode::LieuActivite => {
                        format!("aucun compte n'a l'identifiant « {utilisateur_id} »")
                    }
                },
            },
            _ => crate::commun::erreur_db(operation)(e),
        }
    }
}

/// The operations, written once, expanded for each backend below. SQL uses
/// `$N` placeholders, which both accept; dates compare correctly on both.
macro_rules! operations_structures {
    ($store:ty, $db:ty) => {
        impl $store {
            fn lire_structure(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::Structure, $crate::StoreError> {
                use $crate::commun::valeur;
                Ok($crate::Structure {
                    siret: valeur(row, 0, "structures.siret")?,
                    nom: valeur(row, 1, "structures.nom")?,
                    commune: valeur(row, 2, "structures.commune")?,
                    adresse: valeur(row, 3, "structures.adresse")?,
                    cree_le: valeur(row, 4, "structures.cree_le")?,
                })
            }

            fn lire_emploi(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::Emploi, $crate::StoreError> {
                use $crate::commun::valeur;
                Ok($crate::Emploi {
                    utilisateur_id: valeur(row, 0, "emplois.utilisateur_id")?,
                    siret: valeur(row, 1, "emplois.siret")?,
                    debut: valeur(row, 2, "emplois.debut")?,
                    fin: valeur(row, 3, "emplois.fin")?,
                })
            }

            pub(crate) async fn creer_ou_lire_structure(
                &self,
                n: &$crate::NouvelleStructure,
            ) -> Result<($crate::Structure, bool), $crate::StoreError> {
                const OP: &str = "la création d'une structure";
                let quand = $crate::commun::horodatage(n.cree_le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let r = sqlx::query(
                    "INSERT INTO structures (siret, nom, commune, adresse, cree_le) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (siret) DO NOTHING",
                )
                .bind(&n.siret)
                .bind(&n.nom)
                .bind(&n.commune)
                .bind(&n.adresse)
                .bind(quand)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let creee = r.rows_affected() > 0;
                if creee {
                    let entree = $crate::NouvelleEntreeJournal {
                        quand,
                        acteur_id: n.par.clone(),
                        action: maillage_comptes::ActionSensible::CreationStructure
                            .code()
                            .to_string(),
                        cible: Some(n.siret.clone()),
                        details: serde_json::json!({ "nom": n.nom, "commune": n.commune }),
                    };
                    Self::ecrire_journal(&mut *tx, &entree).await?;
                }
                let row = sqlx::query(
                    "SELECT siret, nom, commune, adresse, cree_le FROM structures WHERE siret = $1",
                )
                .bind(&n.siret)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let s = Self::lire_structure(&row)?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok((s, creee))
            }

            pub(crate) async fn structure(
                &self,
                siret: &str,
            ) -> Result<Option<$crate::Structure>, $crate::StoreError> {
                let row = sqlx::query(
                    "SELECT siret, nom, commune, adresse, cree_le FROM structures WHERE siret = $1",
                )
                .bind(siret)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'une structure"))?;
                row.as_ref().map(Self::lire_structure).transpose()
            }

            pub(crate) async fn rechercher_structures(
                &self,
                motif_nom: &str,
                motif_siret: &str,
                limite: u32,
            ) -> Result<Vec<$crate::Structure>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT siret, nom, commune, adresse, cree_le FROM structures \
                     WHERE LOWER(nom) LIKE $1 ESCAPE '\\' OR siret LIKE $2 ESCAPE '\\' \
                     ORDER BY nom, siret LIMIT $3",
                )
                .bind(motif_nom)
                .bind(motif_siret)
                .bind(i64::from(limite))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la recherche de structures"))?;
                rows.iter().map(Self::lire_structure).collect()
            }

            /// Opens a period (employment or place of activity) and
            /// journals it, in one transaction.
            async fn ouvrir_periode(
                &self,
                periode: $crate::structures::Periode,
                utilisateur_id: &str,
                cle: &str,
                debut: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let erreur = $crate::structures::erreur_ouverture(periode, utilisateur_id, cle, debut);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                let ouverte: Option<chrono::NaiveDate> = sqlx::query_scalar(&format!(
                    "SELECT debut FROM {} WHERE utilisateur_id = $1 AND {} = $2 AND fin IS NULL",
                    periode.table(),
                    periode.colonne()
                ))
                .bind(utilisateur_id)
                .bind(cle)
                .fetch_optional(&mut *tx)
                .await
                .map_err(&erreur)?;
                if let Some(depuis) = ouverte {
                    let (operation, detail) = match periode {
                        $crate::structures::Periode::Emploi => (
                            "la déclaration d'un emploi",
                            format!("ce compte est déjà employé par la structure « {cle} » depuis le {depuis}"),
                        ),
                        $crate::structures::Periode::LieuActivite => (
                            "l'ajout d'un lieu d'activité",
                            format!("ce lieu est déjà un lieu d'activité de ce compte depuis le {depuis}"),
                        ),
                    };
                    return Err($crate::StoreError::Conflict { operation, detail });
                }
                sqlx::query(&format!(
                    "INSERT INTO {} (utilisateur_id, {}, debut) VALUES ($1, $2, $3)",
                    periode.table(),
                    periode.colonne()
                ))
                .bind(utilisateur_id)
                .bind(cle)
                .bind(debut)
                .execute(&mut *tx)
                .await
                .map_err(&erreur)?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand: $crate::commun::horodatage(le),
                    acteur_id: par.map(str::to_string),
                    action: periode.action().code().to_string(),
                    cible: Some(utilisateur_id.to_string()),
                    details: serde_json::json!({
                        "ouverture": { periode.colonne(): cle, "debut": debut.to_string() }
                    }),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err(&erreur)?;
                Ok(())
            }

            /// Ends the open period on `fin` and journals it, in one
            /// transaction. A period ended the day it began never existed:
            /// it is deleted, so it can be opened again that day.
            async fn terminer_periode(
                &self,
                periode: $crate::structures::Periode,
                utilisateur_id: &str,
                cle: &str,
                fin: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let op = periode.operation_fin();
                let erreur = $crate::commun::erreur_db(op);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                let debut: Option<chrono::NaiveDate> = sqlx::query_scalar(&format!(
                    "SELECT debut FROM {} WHERE utilisateur_id = $1 AND {} = $2 AND fin IS NULL",
                    periode.table(),
                    periode.colonne()
                ))
                .bind(utilisateur_id)
                .bind(cle)
                .fetch_optional(&mut *tx)
                .await
                .map_err(&erreur)?;
                let Some(debut) = debut else {
                    return Err($crate::StoreError::NotFound {
                        operation: op,
                        detail: periode.introuvable(utilisateur_id, cle),
                    });
                };
                if fin < debut {
                    return Err($crate::StoreError::Invalid {
                        operation: op,
                        detail: format!("la date de fin ({fin}) précède le début ({debut})"),
                    });
                }
                let sql = if fin == debut {
                    format!(
                        "DELETE FROM {} WHERE utilisateur_id = $1 AND {} = $2 AND fin IS NULL",
                        periode.table(),
                        periode.colonne()
                    )
                } else {
                    format!(
                        "UPDATE {} SET fin = $3 WHERE utilisateur_id = $1 AND {} = $2 AND fin IS NULL",
                        periode.table(),
                        periode.colonne()
                    )
                };
                let mut q = sqlx::query(&sql).bind(utilisateur_id).bind(cle);
                if fin != debut {
                    q = q.bind(fin);
                }
                q.execute(&mut *tx).await.map_err(&erreur)?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand: $crate::commun::horodatage(le),
                    acteur_id: par.map(str::to_string),
                    action: periode.action().code().to_string(),
                    cible: Some(utilisateur_id.to_string()),
                    details: serde_json::json!({
                        "fin": {
                            periode.colonne(): cle,
                            "debut": debut.to_string(),
                            "fin": fin.to_string()
                        }
                    }),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err(&erreur)?;
                Ok(())
            }

            pub(crate) async fn employer(
                &self,
                utilisateur_id: &str,
                siret: &str,
                debut: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.ouvrir_periode(
                    $crate::structures::Periode::Emploi,
                    utilisateur_id,
                    siret,
                    debut,
                    par,
                    le,
                )
                .await
            }

            pub(crate) async fn terminer_emploi(
                &self,
                utilisateur_id: &str,
                siret: &str,
                fin: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.terminer_periode(
                    $crate::structures::Periode::Emploi,
                    utilisateur_id,
                    siret,
                    fin,
                    par,
                    le,
                )
                .await
            }

            pub(crate) async fn emplois(
                &self,
                utilisateur_id: &str,
            ) -> Result<Vec<$crate::Emploi>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT utilisateur_id, siret, debut, fin FROM emplois \
                     WHERE utilisateur_id = $1 \
                     ORDER BY (fin IS NULL) DESC, debut DESC, siret",
                )
                .bind(utilisateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des emplois d'un compte"))?;
                rows.iter().map(Self::lire_emploi).collect()
            }

            pub(crate) async fn employeurs_actuels(
                &self,
                utilisateur_id: &str,
            ) -> Result<Vec<String>, $crate::StoreError> {
                sqlx::query_scalar(
                    "SELECT siret FROM emplois WHERE utilisateur_id = $1 AND fin IS NULL \
                     ORDER BY debut DESC, siret",
                )
                .bind(utilisateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des employeurs d'un compte"))
            }

            pub(crate) async fn employes(
                &self,
                siret: &str,
            ) -> Result<Vec<$crate::Employe>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT e.utilisateur_id, e.siret, e.debut, e.fin, u.email, u.nom \
                     FROM emplois e JOIN utilisateurs u ON u.id = e.utilisateur_id \
                     WHERE e.siret = $1 \
                     ORDER BY (e.fin IS NULL) DESC, e.debut DESC, u.email",
                )
                .bind(siret)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des employés d'une structure"))?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::Employe {
                            emploi: Self::lire_emploi(row)?,
                            email: $crate::commun::valeur(row, 4, "utilisateurs.email")?,
                            nom: $crate::commun::valeur(row, 5, "utilisateurs.nom")?,
                        })
                    })
                    .collect()
            }

            pub(crate) async fn ajouter_lieu_activite(
                &self,
                utilisateur_id: &str,
                lieu_id: &str,
                debut: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.ouvrir_periode(
                    $crate::structures::Periode::LieuActivite,
                    utilisateur_id,
                    lieu_id,
                    debut,
                    par,
                    le,
                )
                .await
            }

            pub(crate) async fn terminer_lieu_activite(
                &self,
                utilisateur_id: &str,
                lieu_id: &str,
                fin: chrono::NaiveDate,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                self.terminer_periode(
                    $crate::structures::Periode::LieuActivite,
                    utilisateur_id,
                    lieu_id,
                    fin,
                    par,
                    le,
                )
                .await
            }

            pub(crate) async fn lieux_activite(
                &self,
                utilisateur_id: &str,
            ) -> Result<Vec<$crate::LieuActivite>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT utilisateur_id, lieu_id, debut, fin FROM lieux_activite \
                     WHERE utilisateur_id = $1 AND fin IS NULL ORDER BY debut, lieu_id",
                )
                .bind(utilisateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des lieux d'activité"))?;
                rows.iter()
                    .map(|row| {
                        use $crate::commun::valeur;
                        Ok($crate::LieuActivite {
                            utilisateur_id: valeur(row, 0, "lieux_activite.utilisateur_id")?,
                            lieu_id: valeur(row, 1, "lieux_activite.lieu_id")?,
                            debut: valeur(row, 2, "lieux_activite.debut")?,
                            fin: valeur(row, 3, "lieux_activite.fin")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

operations_structures!(crate::sqlite::SqliteStore, sqlx::Sqlite);
operations_structures!(crate::postgres::PgStore, sqlx::Postgres);

/// Calls the same method on whichever backend this store uses (the crate
/// root's `par_base!` is not in scope in its modules).
macro_rules! selon_base {
    ($self:ident, $methode:ident($($arg:expr),*)) => {
        match &$self.inner {
            Inner::Sqlite(s) => s.$methode($($arg),*).await,
            Inner::Postgres(s) => s.$methode($($arg),*).await,
        }
    };
}

impl Store {
    /// The structure with this SIRET, created (and `creation_structure`
    /// journaled by `n.par`, in one transaction) when unknown; `true` when
    /// it was created. A known structure is returned as stored: its name
    /// and commune are not replaced. A SIRET that fails its key, or an
    /// empty name or commune, is [`StoreError::Invalid`].
    pub async fn creer_ou_lire_structure(
        &self,
        n: &NouvelleStructure,
    ) -> Result<(Structure, bool), StoreError> {
        let n = verifier_structure(n)?;
        selon_base!(self, creer_ou_lire_structure(&n))
    }

    /// One structure by SIRET (any spacing); `None` when unknown or not a
    /// valid SIRET.
    pub async fn structure(&self, siret: &str) -> Result<Option<Structure>, StoreError> {
        let Ok(siret) = Siret::lire(siret) else {
            return Ok(None);
        };
        selon_base!(self, structure(siret.as_str()))
    }

    /// Structures whose name contains `recherche` (ASCII case ignored), or
    /// whose SIRET contains it when it is made of digits and spaces; ""
    /// lists all. By name then SIRET, at most `limite` (capped at
    /// [`STRUCTURES_PAR_RECHERCHE_MAX`]).
    pub async fn rechercher_structures(
        &self,
        recherche: &str,
        limite: u32,
    ) -> Result<Vec<Structure>, StoreError> {
        let recherche = recherche.trim();
        let motif_nom = format!(
            "%{}%",
            crate::comptes::echapper_like(&recherche.to_ascii_lowercase())
        );
        let chiffres: String = recherche.chars().filter(|c| !c.is_whitespace()).collect();
        // No SIRET is empty: `LIKE ''` matches none.
        let motif_siret = if !chiffres.is_empty() && chiffres.chars().all(|c| c.is_ascii_digit()) {
            format!("%{chiffres}%")
        } else {
            String::new()
        };
        let limite = limite.clamp(1, STRUCTURES_PAR_RECHERCHE_MAX);
        selon_base!(
            self,
            rechercher_structures(&motif_nom, &motif_siret, limite)
        )
    }

    /// Records that the account works for the structure from `debut`
    /// (inclusive) and journals `changement_emploi` by `par`, in one
    /// transaction. [`StoreError::Conflict`] when an employment there is
    /// already open (or one already began that day),
    /// [`StoreError::NotFound`] when the account or the structure does not
    /// exist ([`Store::creer_ou_lire_structure`] first).
    pub async fn employer(
        &self,
        utilisateur_id: &str,
        siret: &str,
        debut: NaiveDate,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let siret = siret_verifie("la déclaration d'un emploi", siret)?;
        selon_base!(
            self,
            employer(utilisateur_id, siret.as_str(), debut, par, le)
        )
    }

    /// Ends the open employment on `fin` (exclusive: no longer employed
    /// that day) and journals `changement_emploi` by `par`, in one
    /// transaction; ended the day it began, it is erased.
    /// [`StoreError::NotFound`] when none is open, [`StoreError::Invalid`]
    /// when `fin` precedes its start.
    pub async fn terminer_emploi(
        &self,
        utilisateur_id: &str,
        siret: &str,
        fin: NaiveDate,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let siret = siret_verifie("la fin d'un emploi", siret)?;
        selon_base!(
            self,
            terminer_emploi(utilisateur_id, siret.as_str(), fin, par, le)
        )
    }

    /// Every employment of an account, current first, then newest start.
    pub async fn emplois(&self, utilisateur_id: &str) -> Result<Vec<Emploi>, StoreError> {
        selon_base!(self, emplois(utilisateur_id))
    }

    /// The SIRETs of the account's current (open) employments, newest
    /// start first.
    pub async fn employeurs_actuels(
        &self,
        utilisateur_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        selon_base!(self, employeurs_actuels(utilisateur_id))
    }

    /// Everyone employed by the structure, now or before, current first,
    /// then newest start.
    pub async fn employes(&self, siret: &str) -> Result<Vec<Employe>, StoreError> {
        let Ok(siret) = Siret::lire(siret) else {
            return Ok(Vec::new());
        };
        selon_base!(self, employes(siret.as_str()))
    }

    /// Records that the mediator works at the published place `lieu_id`
    /// from `debut` and journals `changement_lieu_activite` by `par`, in
    /// one transaction. Whether the place exists is the caller's check (the
    /// registry is in its memory). [`StoreError::Conflict`] when it already
    /// is a current place of the account.
    pub async fn ajouter_lieu_activite(
        &self,
        utilisateur_id: &str,
        lieu_id: &str,
        debut: NaiveDate,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        verifier_texte(
            "l'ajout d'un lieu d'activité",
            "identifiant du lieu",
            lieu_id,
        )?;
        selon_base!(
            self,
            ajouter_lieu_activite(utilisateur_id, lieu_id, debut, par, le)
        )
    }

    /// Ends a current place of activity on `fin` (exclusive), like
    /// [`Store::terminer_emploi`].
    pub async fn terminer_lieu_activite(
        &self,
        utilisateur_id: &str,
        lieu_id: &str,
        fin: NaiveDate,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        selon_base!(
            self,
            terminer_lieu_activite(utilisateur_id, lieu_id, fin, par, le)
        )
    }

    /// The account's current places of activity, oldest first.
    pub async fn lieux_activite(
        &self,
        utilisateur_id: &str,
    ) -> Result<Vec<LieuActivite>, StoreError> {
        selon_base!(self, lieux_activite(utilisateur_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nouvelle(siret: &str, nom: &str, commune: &str) -> NouvelleStructure {
        NouvelleStructure {
            siret: siret.to_string(),
            nom: nom.to_string(),
            commune: commune.to_string(),
            adresse: Some("  ".to_string()),
            cree_le: DateTime::<Utc>::UNIX_EPOCH,
            par: None,
        }
    }

    #[test]
    fn structure_normalisee_ou_refusee() {
        let n =
            verifier_structure(&nouvelle("130 026 032 00016", " ANCT ", "75107")).expect("valid");
        assert_eq!(n.siret, "13002603200016");
        assert_eq!(n.nom, "ANCT");
        assert_eq!(n.adresse, None);
        for (siret, nom, commune) in [
            ("13002603200017", "ANCT", "75107"),
            ("13002603200016", " ", "75107"),
            ("13002603200016", "ANCT", ""),
        ] {
            assert!(
                matches!(
                    verifier_structure(&nouvelle(siret, nom, commune)),
                    Err(StoreError::Invalid { .. })
                ),
                "{siret} {nom} {commune}"
            );
        }
    }
}
