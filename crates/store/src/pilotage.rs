//! The territorial pilotage table (§2.3 "Statistiques par territoire"): for
//! each territory of a manager's scope and each month, the mediators who
//! recorded activity, their records and the people accompanied, counted by
//! the database.
//!
//! The store does not know territories: the caller (who has the
//! referential) gives each row as a group of départements (a région, or
//! one département) or of communes (an EPCI, or one commune). One SQL
//! `CASE` maps a record to its row, so distinct mediators are counted per
//! row, per month and overall by the database (they cannot be added up).
//! Four `GROUP BY` queries read one snapshot; the scope's `departement IN`
//! and the period keep them on the partial indexes of migration 0004.

use crate::{Store, StoreError};
use chrono::{Datelike, NaiveDate};

/// How the rows of the table are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regroupement {
    /// One row per `(territory code, its départements)`: régions for the
    /// nation, départements for a région.
    Departements(Vec<(String, Vec<String>)>),
    /// One row per `(territory code, its communes)`: EPCI or communes for a
    /// département. Only records at home or elsewhere have a commune: the
    /// others fall in the row without territory.
    Communes(Vec<(String, Vec<String>)>),
}

/// Which records the table counts and how it splits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiltrePilotage {
    /// The scope's départements; `None`: the nation.
    pub departements: Option<Vec<String>>,
    /// Inclusive.
    pub du: NaiveDate,
    /// Inclusive.
    pub au: NaiveDate,
    pub regroupement: Regroupement,
}

/// Longest period of the table, in months (one column each).
pub const MOIS_PILOTAGE_MAX: usize = 36;

/// The figures of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComptePilotage {
    /// Distinct mediators with at least one record ("médiateurs actifs").
    pub mediateurs: u64,
    pub activites: u64,
    /// People accompanied (a workshop counts its participants).
    pub accompagnements: u64,
}

/// One row: a territory, or (`territoire: None`) the scope's records that
/// no territory of the grouping holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LignePilotage {
    pub territoire: Option<String>,
    /// One per month of [`TableauPilotage::mois`], in order, zeros included.
    pub par_mois: Vec<ComptePilotage>,
    /// Over the whole period (mediators counted once).
    pub total: ComptePilotage,
}

/// The table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableauPilotage {
    /// `YYYY-MM` of every month of the period, oldest first.
    pub mois: Vec<String>,
    /// One per territory in the order given, zeros included; then the row
    /// without territory when it has records.
    pub lignes: Vec<LignePilotage>,
    /// The whole scope.
    pub total: LignePilotage,
}

/// `YYYY-MM` of each month from `du` to `au`.
pub fn mois_de_la_periode(du: NaiveDate, au: NaiveDate) -> Vec<String> {
    let mut mois = Vec::new();
    let (mut y, mut m) = (du.year(), du.month());
    while (y, m) <= (au.year(), au.month()) {
        mois.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    mois
}

fn verifier(f: &FiltrePilotage) -> Result<(), StoreError> {
    const OP: &str = "le calcul du tableau de pilotage";
    let invalide = |detail: String| StoreError::Invalid {
        operation: OP,
        detail,
    };
    if f.du > f.au {
        return Err(invalide(format!(
            "la période commence le {} après sa fin le {}",
            f.du, f.au
        )));
    }
    let n = mois_de_la_periode(f.du, f.au).len();
    if n > MOIS_PILOTAGE_MAX {
        return Err(invalide(format!(
            "{n} mois demandés : au plus {MOIS_PILOTAGE_MAX}"
        )));
    }
    let groupes = match &f.regroupement {
        Regroupement::Departements(g) | Regroupement::Communes(g) => g,
    };
    let valeurs: usize = groupes.iter().map(|(_, v)| v.len() + 1).sum::<usize>()
        + f.departements.as_ref().map_or(0, Vec::len);
    // Each query binds them once.
    if valeurs > crate::VALEURS_FILTRE_MAX {
        return Err(invalide(format!(
            "{valeurs} valeurs dans le regroupement : au plus {}",
            crate::VALEURS_FILTRE_MAX
        )));
    }
    Ok(())
}

/// Assembles the table from the four queries' rows.
pub(crate) fn assembler(
    f: &FiltrePilotage,
    cellules: Vec<(Option<String>, String, ComptePilotage)>,
    lignes: Vec<(Option<String>, ComptePilotage)>,
    par_mois: Vec<(String, ComptePilotage)>,
    total: ComptePilotage,
) -> TableauPilotage {
    let mois = mois_de_la_periode(f.du, f.au);
    let rang = |m: &str| mois.iter().position(|x| x == m);
    let groupes = match &f.regroupement {
        Regroupement::Departements(g) | Regroupement::Communes(g) => g,
    };
    let mut codes: Vec<Option<String>> = groupes.iter().map(|(c, _)| Some(c.clone())).collect();
    if lignes.iter().any(|(k, _)| k.is_none()) {
        codes.push(None);
    }
    let lignes = codes
        .into_iter()
        .map(|code| {
            let mut par = vec![ComptePilotage::default(); mois.len()];
            for (k, m, c) in &cellules {
                if *k == code {
                    if let Some(i) = rang(m) {
                        par[i] = *c;
                    }
                }
            }
            let total = lignes
                .iter()
                .find(|(k, _)| *k == code)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            LignePilotage {
                territoire: code,
                par_mois: par,
                total,
            }
        })
        .collect();
    let mut par = vec![ComptePilotage::default(); mois.len()];
    for (m, c) in par_mois {
        if let Some(i) = rang(&m) {
            par[i] = c;
        }
    }
    TableauPilotage {
        lignes,
        total: LignePilotage {
            territoire: None,
            par_mois: par,
            total,
        },
        mois,
    }
}

fn compte_lu(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: "tableau de pilotage".to_string(),
        detail: format!("compte négatif {v}"),
    })
}

/// `colonne IN ($1, …)` on SQLite.
fn dans_sqlite(qb: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>, colonne: &str, valeurs: &[String]) {
    qb.push(colonne).push(" IN (");
    let mut sep = qb.separated(", ");
    for v in valeurs {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

/// `colonne = ANY($1)` on PostgreSQL (one array parameter).
fn dans_postgres(
    qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
    colonne: &str,
    valeurs: &[String],
) {
    qb.push(colonne)
        .push(" = ANY(")
        .push_bind(valeurs.to_vec())
        .push(")");
}

/// The queries, written once. `$dans` writes a list condition, `$mois` is
/// the SQL of a record's `YYYY-MM` and `$lecture` the statement making the
/// transaction one snapshot (as in `operations_statistiques`).
macro_rules! operations_pilotage {
    ($store:ty, $db:ty, $dans:path, $mois:expr, $lecture:expr) => {
        impl $store {
            /// The row key of a record: the code of the first group holding
            /// its département or commune, else NULL.
            fn cle_pilotage(qb: &mut sqlx::QueryBuilder<'_, $db>, r: &Regroupement) {
                let (colonne, groupes) = match r {
                    Regroupement::Departements(g) => ("departement", g),
                    Regroupement::Communes(g) => ("code_insee", g),
                };
                if groupes.is_empty() {
                    qb.push("CAST(NULL AS TEXT)");
                    return;
                }
                qb.push("CASE");
                for (code, valeurs) in groupes {
                    qb.push(" WHEN ");
                    $dans(qb, colonne, valeurs);
                    qb.push(" THEN CAST(")
                        .push_bind(code.clone())
                        .push(" AS TEXT)");
                }
                qb.push(" END");
            }

            /// `SELECT <cles>, mediators, records, accompaniments … GROUP BY`
            /// the keys (`cle` and/or month), on the table's records.
            fn requete_pilotage<'a>(
                f: &'a FiltrePilotage,
                par_cle: bool,
                par_mois: bool,
            ) -> sqlx::QueryBuilder<'a, $db> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT ");
                if par_cle {
                    Self::cle_pilotage(&mut qb, &f.regroupement);
                    qb.push(", ");
                }
                if par_mois {
                    qb.push(format!("{}, ", $mois));
                }
                qb.push(
                    "COUNT(DISTINCT mediateur_id), COUNT(*), \
                     CAST(COALESCE(SUM(accompagnements), 0) AS BIGINT) \
                     FROM activites WHERE supprime_le IS NULL",
                );
                if let Some(d) = &f.departements {
                    qb.push(" AND ");
                    $dans(&mut qb, "departement", d);
                }
                qb.push(" AND date >= ")
                    .push_bind(f.du)
                    .push(" AND date <= ")
                    .push_bind(f.au);
                let cles: Vec<String> = (1..=usize::from(par_cle) + usize::from(par_mois))
                    .map(|i| i.to_string())
                    .collect();
                if !cles.is_empty() {
                    qb.push(format!(" GROUP BY {}", cles.join(", ")));
                }
                qb
            }

            pub(crate) async fn pilotage(
                &self,
                f: &FiltrePilotage,
            ) -> Result<TableauPilotage, StoreError> {
                const OP: &str = "le calcul du tableau de pilotage";
                let erreur = $crate::commun::erreur_db(OP);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                let lecture: Option<&str> = $lecture;
                if let Some(sql) = lecture {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(&erreur)?;
                }
                let compte = |row: &<$db as sqlx::Database>::Row,
                              debut: usize|
                 -> Result<ComptePilotage, StoreError> {
                    let lire = |i: usize| -> Result<u64, StoreError> {
                        compte_lu($crate::commun::valeur::<_, i64>(
                            row,
                            debut + i,
                            "pilotage",
                        )?)
                    };
                    Ok(ComptePilotage {
                        mediateurs: lire(0)?,
                        activites: lire(1)?,
                        accompagnements: lire(2)?,
                    })
                };
                let rows = Self::requete_pilotage(f, true, true)
                    .build()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(&erreur)?;
                let mut cellules = Vec::with_capacity(rows.len());
                for row in &rows {
                    let cle: Option<String> = $crate::commun::valeur(row, 0, "pilotage (clé)")?;
                    let mois: String = $crate::commun::valeur(row, 1, "pilotage (mois)")?;
                    cellules.push((cle, mois, compte(row, 2)?));
                }
                let rows = Self::requete_pilotage(f, true, false)
                    .build()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(&erreur)?;
                let mut lignes = Vec::with_capacity(rows.len());
                for row in &rows {
                    let cle: Option<String> = $crate::commun::valeur(row, 0, "pilotage (clé)")?;
                    lignes.push((cle, compte(row, 1)?));
                }
                let rows = Self::requete_pilotage(f, false, true)
                    .build()
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(&erreur)?;
                let mut par_mois = Vec::with_capacity(rows.len());
                for row in &rows {
                    let mois: String = $crate::commun::valeur(row, 0, "pilotage (mois)")?;
                    par_mois.push((mois, compte(row, 1)?));
                }
                let row = Self::requete_pilotage(f, false, false)
                    .build()
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(&erreur)?;
                let total = compte(&row, 0)?;
                tx.commit().await.map_err(&erreur)?;
                Ok(assembler(f, cellules, lignes, par_mois, total))
            }
        }
    };
}

// Same month expressions and snapshots as the statistics (sqlite.rs,
// postgres.rs).
operations_pilotage!(
    crate::sqlite::SqliteStore,
    sqlx::Sqlite,
    dans_sqlite,
    "substr(date, 1, 7)",
    None
);
operations_pilotage!(
    crate::postgres::PgStore,
    sqlx::Postgres,
    dans_postgres,
    "to_char(CAST(date AS TIMESTAMP), 'YYYY-MM')",
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
);

impl Store {
    /// The pilotage table of the live records of `f`'s scope and period:
    /// per territory and month, mediators with records, records and
    /// accompaniments. A period after its end, longer than
    /// [`MOIS_PILOTAGE_MAX`] months or too many values are
    /// [`StoreError::Invalid`].
    pub async fn pilotage(&self, f: &FiltrePilotage) -> Result<TableauPilotage, StoreError> {
        verifier(f)?;
        if crate::agregats::pilotage_agregeable(f) && !crate::par_base!(self, agregats_perimes())? {
            crate::par_base!(self, pilotage_agrege(f))
        } else {
            crate::par_base!(self, pilotage(f))
        }
    }

    /// [`Store::pilotage`] always counted on the records themselves, never
    /// on the roll-ups (for the tests comparing both).
    #[doc(hidden)]
    pub async fn pilotage_brut(&self, f: &FiltrePilotage) -> Result<TableauPilotage, StoreError> {
        verifier(f)?;
        crate::par_base!(self, pilotage(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).expect("date")
    }

    #[test]
    fn mois_de_la_periode_passe_l_annee() {
        assert_eq!(
            mois_de_la_periode(d(2024, 11, 30), d(2025, 2, 1)),
            ["2024-11", "2024-12", "2025-01", "2025-02"]
        );
        assert_eq!(
            mois_de_la_periode(d(2025, 3, 1), d(2025, 3, 31)),
            ["2025-03"]
        );
        assert!(mois_de_la_periode(d(2025, 4, 1), d(2025, 3, 31)).is_empty());
    }

    #[test]
    fn periodes_refusees() {
        let f = |du, au| FiltrePilotage {
            departements: None,
            du,
            au,
            regroupement: Regroupement::Departements(Vec::new()),
        };
        assert!(verifier(&f(d(2025, 1, 1), d(2025, 12, 31))).is_ok());
        assert!(verifier(&f(d(2025, 2, 1), d(2025, 1, 31))).is_err());
        assert!(verifier(&f(d(2020, 1, 1), d(2025, 1, 31))).is_err());
    }
}
