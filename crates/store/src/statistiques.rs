//! Statistics of the activity records (§1.5 "mes statistiques"), counted by
//! the database: a handful of aggregate queries whose SQL is written once,
//! here, and run by both backends through [`operations_statistiques`].
//!
//! One pass gives the totals and every fixed breakdown (thématiques and
//! matériel by bit tests on the masks, type de lieu, duration buckets):
//! one `SUM` per value, generated from the domain enumerations. Months,
//! communes and lieux are one `GROUP BY` pass each. Every query spells out
//! `supprime_le IS NULL` so the partial indexes apply.
//!
//! Beneficiary breakdowns (genre, tranche d'âge, statut social) add up the
//! count columns of migration 0007, filled when a record is written
//! (`maillage_activites::repartition_beneficiaires`): no JSON is read. The
//! commune de résidence of followed beneficiaries is not in the records;
//! `par_commune` is the commune where the activity took place.
//!
//! A coordinator's team is a list of [`FenetreMediateur`]: each member's
//! records count only within their team link's dates, one index range on
//! `(mediateur_id, date)` per link.

use crate::StoreError;
use chrono::NaiveDate;
use maillage_activites::{
    Genre, Materiel, StatutSocial, Thematique, TrancheAge, TrancheDuree, TypeActivite, TypeLieu,
    DUREE_MAX_MINUTES,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// Which records to count. Every condition is optional and they are
/// AND-combined; `Default` (no condition) is the nation. `du` and `au` are
/// inclusive. An empty list matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FiltreStatistiques {
    /// One mediator, or a coordinator's team.
    pub mediateurs: Option<Vec<String>>,
    /// The mediators' employing structure.
    pub structure_id: Option<String>,
    /// A département, or a région given as its départements by the caller.
    pub departements: Option<Vec<String>>,
    /// A commune, or an EPCI given as its communes by the caller. Only
    /// records at home or elsewhere (`TypeLieu::Domicile`, `TypeLieu::Autre`)
    /// have a commune: records at a lieu d'activité or at a distance never
    /// match this condition.
    pub codes_insee: Option<Vec<String>>,
    pub du: Option<NaiveDate>,
    pub au: Option<NaiveDate>,
    pub type_activite: Option<TypeActivite>,
    pub type_lieu: Option<TypeLieu>,
    /// A registry place (`TypeLieu::LieuActivite`).
    pub lieu_id: Option<String>,
    /// Records having this thématique (among others).
    pub thematique: Option<Thematique>,
    /// A coordinator's team: only the records of these mediators within
    /// these dates (several windows for one mediator add up, overlaps
    /// count once). An empty list matches nothing.
    pub fenetres: Option<Vec<FenetreMediateur>>,
}

/// The records of one mediator from `debut` (inclusive) until `fin`
/// (exclusive, none: open), as a coordinator–mediator team link
/// (`maillage_comptes::LienEquipe`) delimits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenetreMediateur {
    pub mediateur_id: String,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
}

impl FenetreMediateur {
    /// Whether a record of `mediateur_id` on `date` is in the window.
    pub fn couvre(&self, mediateur_id: &str, date: NaiveDate) -> bool {
        self.mediateur_id == mediateur_id
            && date >= self.debut
            && self.fin.is_none_or(|fin| date < fin)
    }
}

/// Most values all the lists of a [`FiltreStatistiques`] may hold together
/// (each is a bound parameter; SQLite allows 32,766 per statement).
pub const VALEURS_FILTRE_MAX: usize = 30_000;

/// How many records (activités) and how many accompagnements (records
/// weighted by their participants: 1 for an individual record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compte {
    pub activites: u64,
    pub accompagnements: u64,
}

/// The "statistiques générales".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TotauxStatistiques {
    pub activites: u64,
    /// Sum of the records' accompagnements.
    pub accompagnements: u64,
    pub activites_individuelles: u64,
    pub activites_collectives: u64,
    pub accompagnements_individuels: u64,
    pub accompagnements_collectifs: u64,
    /// Sum of the records' durations.
    pub duree_minutes: u64,
    /// Distinct mediators having at least one counted record.
    pub mediateurs: u64,
}

/// Largest number of rows of [`Statistiques::par_commune`] and
/// [`Statistiques::par_lieu`].
pub const CLASSEMENT_MAX: usize = 50;

/// The statistics of the records matching a [`FiltreStatistiques`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statistiques {
    pub totaux: TotauxStatistiques,
    /// `YYYY-MM` of the record's date, oldest first; months without a record
    /// are absent.
    pub par_mois: Vec<(String, Compte)>,
    /// Every thématique in `Thematique::ALL` order, zeros included. A record
    /// counts once in each of its thématiques.
    pub par_thematique: Vec<(Thematique, Compte)>,
    /// Every equipment in `Materiel::ALL` order, zeros included.
    pub par_materiel: Vec<(Materiel, Compte)>,
    /// The "canaux": every `TypeLieu` in `TypeLieu::ALL` order, zeros included.
    pub par_type_lieu: Vec<(TypeLieu, Compte)>,
    /// The four buckets in `TrancheDuree::ALL` order, zeros included.
    pub par_duree: Vec<(TrancheDuree, Compte)>,
    /// Communes (INSEE code) with the most records, at most
    /// [`CLASSEMENT_MAX`]: most records first, then by code.
    pub par_commune: Vec<(String, Compte)>,
    /// Lieux d'activité (registry id) with the most records, at most
    /// [`CLASSEMENT_MAX`]: most records first, then by id.
    pub par_lieu: Vec<(String, Compte)>,
    /// Beneficiaries by genre, every value in `Genre::ALL` order, zeros
    /// included: `accompagnements` counts the people, `activites` the
    /// records with at least one of them.
    pub par_genre: Vec<(Genre, Compte)>,
    /// Same by tranche d'âge, in `TrancheAge::ALL` order.
    pub par_tranche_age: Vec<(TrancheAge, Compte)>,
    /// Same by statut social, in `StatutSocial::ALL` order.
    pub par_statut_social: Vec<(StatutSocial, Compte)>,
}

pub(crate) fn verifier_filtre(f: &FiltreStatistiques) -> Result<(), StoreError> {
    let n: usize = [&f.mediateurs, &f.departements, &f.codes_insee]
        .into_iter()
        .flatten()
        .map(Vec::len)
        .sum::<usize>()
        // Three bound values per window.
        + f.fenetres.as_ref().map_or(0, |v| 3 * v.len());
    if n > VALEURS_FILTRE_MAX {
        return Err(StoreError::Invalid {
            operation: "le calcul des statistiques",
            detail: format!("{n} valeurs dans les listes du filtre : au plus {VALEURS_FILTRE_MAX}"),
        });
    }
    Ok(())
}

/// `[debut, fin)` in minutes of each bucket, in `TrancheDuree::ALL` order
/// (`None`: no upper bound). Derived from [`TrancheDuree::de_minutes`] so the
/// SQL cannot drift from the domain's definition (checked minute by minute
/// by a unit test).
pub(crate) fn bornes_tranches() -> Vec<(TrancheDuree, u16, Option<u16>)> {
    let debut = |t: TrancheDuree| {
        (0..=DUREE_MAX_MINUTES)
            .find(|m| TrancheDuree::de_minutes(*m) == t)
            .unwrap_or(DUREE_MAX_MINUTES)
    };
    TrancheDuree::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let fin = TrancheDuree::ALL.get(i + 1).map(|s| debut(*s));
            (*t, debut(*t), fin)
        })
        .collect()
}

/// `SUM` that gives 0 on no rows and a BIGINT on both backends (PostgreSQL
/// sums a BIGINT into a NUMERIC).
pub(crate) fn somme(expression: &str) -> String {
    format!("CAST(COALESCE(SUM({expression}), 0) AS BIGINT)")
}

/// One value of the one-pass query: a column name for the roll-up tables
/// (migration 0012) and the per-record expression summed (`None`: the
/// distinct mediators, which do not add up).
pub(crate) struct ValeurSynthese {
    pub(crate) nom: String,
    pub(crate) expression: Option<String>,
}

/// The activités and accompagnements of the records where `un_ou_zero` (an
/// expression worth 0 or 1) is 1.
fn compte_si_un(valeurs: &mut Vec<ValeurSynthese>, nom: &str, un_ou_zero: &str) {
    valeurs.push(ValeurSynthese {
        nom: format!("{nom}_activites"),
        expression: Some(un_ou_zero.to_string()),
    });
    valeurs.push(ValeurSynthese {
        nom: format!("{nom}_accompagnements"),
        expression: Some(format!("{un_ou_zero} * accompagnements")),
    });
}

fn compte_si(valeurs: &mut Vec<ValeurSynthese>, nom: &str, condition: &str) {
    compte_si_un(
        valeurs,
        nom,
        &format!("(CASE WHEN {condition} THEN 1 ELSE 0 END)"),
    );
}

/// The values of the one-pass query, read back by [`lire_synthese`] in the
/// same order. Codes and bit positions come from the domain's enumerations
/// (identifiers: nothing to escape, checked by a unit test); names use
/// positions, as the masks do (append-only enumerations).
pub(crate) fn valeurs_synthese() -> Vec<ValeurSynthese> {
    let valeur = |nom: &str, expression: Option<&str>| ValeurSynthese {
        nom: nom.to_string(),
        expression: expression.map(str::to_string),
    };
    let mut v = vec![
        valeur("activites", Some("1")),
        valeur("accompagnements", Some("accompagnements")),
    ];
    for t in [TypeActivite::Individuel, TypeActivite::Collectif] {
        let nom = crate::activites::serpent(t.code());
        compte_si(&mut v, &nom, &format!("type_activite = '{}'", t.code()));
    }
    v.push(valeur("duree_minutes", Some("duree_minutes")));
    v.push(valeur("mediateurs", None));
    // Bit tests: `>>` and `&` behave alike on SQLite's 64-bit integers and
    // PostgreSQL's BIGINT/INTEGER (bit 29 at most: no sign issue).
    for i in 0..Thematique::ALL.len() {
        compte_si_un(
            &mut v,
            &format!("thematique_{i}"),
            &format!("((thematiques >> {i}) & 1)"),
        );
    }
    for i in 0..Materiel::ALL.len() {
        compte_si_un(
            &mut v,
            &format!("materiel_{i}"),
            &format!("((materiel >> {i}) & 1)"),
        );
    }
    for t in TypeLieu::ALL {
        let nom = format!("lieu_{}", crate::activites::serpent(t.code()));
        compte_si(&mut v, &nom, &format!("type_lieu = '{}'", t.code()));
    }
    for (i, (_, debut, fin)) in bornes_tranches().into_iter().enumerate() {
        let condition = match fin {
            Some(fin) => format!("duree_minutes >= {debut} AND duree_minutes < {fin}"),
            None => format!("duree_minutes >= {debut}"),
        };
        compte_si(&mut v, &format!("tranche_duree_{i}"), &condition);
    }
    for colonne in crate::activites::colonnes_beneficiaires() {
        v.push(ValeurSynthese {
            nom: format!("{colonne}_activites"),
            expression: Some(format!("(CASE WHEN {colonne} > 0 THEN 1 ELSE 0 END)")),
        });
        v.push(ValeurSynthese {
            nom: colonne.clone(),
            expression: Some(colonne),
        });
    }
    v
}

/// The select list of the one-pass query on `activites`.
pub(crate) fn colonnes_synthese() -> Vec<String> {
    valeurs_synthese()
        .into_iter()
        .map(|v| match v.expression {
            Some(e) if e == "1" => "COUNT(*)".to_string(),
            Some(e) => somme(&e),
            None => "COUNT(DISTINCT mediateur_id)".to_string(),
        })
        .collect()
}

fn compte_lu(champ: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: format!("statistiques ({champ})"),
        detail: format!("compte négatif {v}"),
    })
}

/// Reads the one-pass query's values in order.
struct Lecteur<'a>(std::slice::Iter<'a, i64>);

impl Lecteur<'_> {
    fn nombre(&mut self, champ: &str) -> Result<u64, StoreError> {
        let v = self.0.next().ok_or_else(|| StoreError::Corrupt {
            what: "statistiques".to_string(),
            detail: format!("colonne manquante ({champ})"),
        })?;
        compte_lu(champ, *v)
    }

    fn compte(&mut self, champ: &str) -> Result<Compte, StoreError> {
        Ok(Compte {
            activites: self.nombre(champ)?,
            accompagnements: self.nombre(champ)?,
        })
    }

    /// One [`Compte`] per value of `toutes`, in order.
    fn comptes<T: Copy>(
        &mut self,
        champ: &str,
        toutes: &[T],
    ) -> Result<Vec<(T, Compte)>, StoreError> {
        toutes
            .iter()
            .map(|t| Ok((*t, self.compte(champ)?)))
            .collect()
    }
}

/// The [`Statistiques`] of the one-pass query's values (in the order of
/// [`colonnes_synthese`]), the `GROUP BY` breakdowns left empty.
pub(crate) fn lire_synthese(valeurs: &[i64]) -> Result<Statistiques, StoreError> {
    let mut l = Lecteur(valeurs.iter());
    let tous = l.compte("total")?;
    let individuels = l.compte("individuels")?;
    let collectifs = l.compte("collectifs")?;
    let totaux = TotauxStatistiques {
        activites: tous.activites,
        accompagnements: tous.accompagnements,
        activites_individuelles: individuels.activites,
        activites_collectives: collectifs.activites,
        accompagnements_individuels: individuels.accompagnements,
        accompagnements_collectifs: collectifs.accompagnements,
        duree_minutes: l.nombre("durée")?,
        mediateurs: l.nombre("médiateurs")?,
    };
    Ok(Statistiques {
        totaux,
        par_thematique: l.comptes("thématique", Thematique::ALL)?,
        par_materiel: l.comptes("matériel", Materiel::ALL)?,
        par_type_lieu: l.comptes("type de lieu", TypeLieu::ALL)?,
        par_duree: l.comptes("durée", TrancheDuree::ALL)?,
        par_genre: l.comptes("genre", Genre::ALL)?,
        par_tranche_age: l.comptes("tranche d'âge", TrancheAge::ALL)?,
        par_statut_social: l.comptes("statut social", StatutSocial::ALL)?,
        ..Statistiques::default()
    })
}

/// The select list of a `GROUP BY` breakdown after its key.
pub(crate) fn colonnes_compte() -> String {
    format!("COUNT(*), {}", somme("accompagnements"))
}

/// A row of a `GROUP BY` breakdown: key, activités, accompagnements.
pub(crate) fn lire_ligne_groupe<'r, R>(row: &'r R) -> Result<(String, Compte), StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let cle: String = crate::commun::valeur(row, 0, "statistiques (clé)")?;
    let activites = crate::commun::valeur(row, 1, "statistiques (activités)")?;
    let accompagnements = crate::commun::valeur(row, 2, "statistiques (accompagnements)")?;
    Ok((
        cle,
        Compte {
            activites: compte_lu("activités", activites)?,
            accompagnements: compte_lu("accompagnements", accompagnements)?,
        },
    ))
}

/// The statistics, written once, expanded for each backend. `$store` has a
/// field `pool: sqlx::Pool<$db>` and `condition_dans` (see
/// [`crate::commun::operations`]); `$mois` is the SQL expression of a
/// record's `YYYY-MM` (dates are TEXT on SQLite, DATE on PostgreSQL);
/// `$lecture` the statement (if any) that makes the transaction's reads one
/// snapshot, so every figure counts the same records.
macro_rules! operations_statistiques {
    ($store:ident, $db:ty, $mois:expr, $lecture:expr) => {
        impl $store {
            /// `WHERE supprime_le IS NULL` and the filter's conditions
            /// (spelled so the partial indexes apply).
            fn conditions_statistiques(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                f: &$crate::FiltreStatistiques,
            ) {
                qb.push(" WHERE supprime_le IS NULL");
                for (colonne, liste) in [
                    ("mediateur_id", &f.mediateurs),
                    ("departement", &f.departements),
                    ("code_insee", &f.codes_insee),
                ] {
                    if let Some(liste) = liste {
                        qb.push(" AND ");
                        Self::condition_dans(qb, colonne, liste.clone());
                    }
                }
                for (colonne, v) in [
                    ("structure_id", f.structure_id.as_deref()),
                    ("lieu_id", f.lieu_id.as_deref()),
                    ("type_activite", f.type_activite.map(|t| t.code())),
                    ("type_lieu", f.type_lieu.map(|t| t.code())),
                ] {
                    if let Some(v) = v {
                        qb.push(format!(" AND {colonne} = "))
                            .push_bind(v.to_string());
                    }
                }
                if let Some(du) = f.du {
                    qb.push(" AND date >= ").push_bind(du);
                }
                if let Some(au) = f.au {
                    qb.push(" AND date <= ").push_bind(au);
                }
                if let Some(fenetres) = &f.fenetres {
                    // One (mediateur_id, date) range per window: each is an
                    // index range, OR-ed (SQLite's OR optimisation,
                    // PostgreSQL's BitmapOr).
                    qb.push(" AND (");
                    if fenetres.is_empty() {
                        qb.push("1 = 0");
                    }
                    for (i, w) in fenetres.iter().enumerate() {
                        if i > 0 {
                            qb.push(" OR ");
                        }
                        qb.push("(mediateur_id = ")
                            .push_bind(w.mediateur_id.clone())
                            .push(" AND date >= ")
                            .push_bind(w.debut);
                        if let Some(fin) = w.fin {
                            qb.push(" AND date < ").push_bind(fin);
                        }
                        qb.push(")");
                    }
                    qb.push(")");
                }
                if let Some(t) = f.thematique {
                    // 30 thématiques: the mask fits in i64 (unit-tested).
                    let bit = $crate::masque_thematiques(&[t]) as i64;
                    qb.push(" AND (thematiques & ")
                        .push_bind(bit)
                        .push(") <> 0");
                }
            }

            /// One `GROUP BY` breakdown: `cle → compte`, at most `limite`
            /// rows (most records first) when given, else ordered by key.
            async fn groupe_statistiques(
                conn: &mut <$db as sqlx::Database>::Connection,
                f: &$crate::FiltreStatistiques,
                cle: &str,
                limite: Option<usize>,
            ) -> Result<Vec<(String, $crate::Compte)>, $crate::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {cle}, {} FROM activites",
                    $crate::statistiques::colonnes_compte()
                ));
                Self::conditions_statistiques(&mut qb, f);
                match limite {
                    Some(n) => {
                        qb.push(format!(
                            " AND {cle} IS NOT NULL GROUP BY {cle} \
                             ORDER BY COUNT(*) DESC, {cle} LIMIT {n}"
                        ));
                    }
                    None => {
                        qb.push(format!(" GROUP BY {cle} ORDER BY {cle}"));
                    }
                }
                let rows = qb
                    .build()
                    .fetch_all(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db("le calcul des statistiques"))?;
                rows.iter()
                    .map($crate::statistiques::lire_ligne_groupe)
                    .collect()
            }

            pub(crate) async fn statistiques(
                &self,
                f: &$crate::FiltreStatistiques,
            ) -> Result<$crate::Statistiques, $crate::StoreError> {
                const OP: &str = "le calcul des statistiques";
                let erreur = $crate::commun::erreur_db(OP);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                let lecture: Option<&str> = $lecture;
                if let Some(sql) = lecture {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(&erreur)?;
                }
                let colonnes = $crate::statistiques::colonnes_synthese();
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM activites",
                    colonnes.join(", ")
                ));
                Self::conditions_statistiques(&mut qb, f);
                let row = qb.build().fetch_one(&mut *tx).await.map_err(&erreur)?;
                let valeurs = (0..colonnes.len())
                    .map(|i| $crate::commun::valeur::<_, i64>(&row, i, "statistiques"))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut s = $crate::statistiques::lire_synthese(&valeurs)?;
                s.par_mois = Self::groupe_statistiques(&mut *tx, f, $mois, None).await?;
                s.par_commune = Self::groupe_statistiques(
                    &mut *tx,
                    f,
                    "code_insee",
                    Some($crate::CLASSEMENT_MAX),
                )
                .await?;
                s.par_lieu =
                    Self::groupe_statistiques(&mut *tx, f, "lieu_id", Some($crate::CLASSEMENT_MAX))
                        .await?;
                tx.commit().await.map_err(&erreur)?;
                Ok(s)
            }
        }
    };
}

pub(crate) use operations_statistiques;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bornes_des_tranches_minute_par_minute() {
        let bornes = bornes_tranches();
        assert_eq!(bornes.len(), TrancheDuree::ALL.len());
        for m in 0..=DUREE_MAX_MINUTES {
            let dans: Vec<TrancheDuree> = bornes
                .iter()
                .filter(|(_, debut, fin)| m >= *debut && fin.is_none_or(|f| m < f))
                .map(|(t, _, _)| *t)
                .collect();
            assert_eq!(dans, vec![TrancheDuree::de_minutes(m)], "{m} minutes");
        }
    }

    #[test]
    fn codes_sans_guillemets_dans_le_sql() {
        // Codes are written into the SQL text: they must stay identifiers.
        let codes = TypeActivite::ALL
            .iter()
            .map(|t| t.code())
            .chain(TypeLieu::ALL.iter().map(|t| t.code()));
        for code in codes {
            assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
        }
    }

    #[test]
    fn synthese_lue_dans_l_ordre_des_colonnes() {
        let n = colonnes_synthese().len();
        let valeurs: Vec<i64> = (0..n as i64).collect();
        let s = lire_synthese(&valeurs).expect("every column read");
        assert_eq!(s.totaux.activites, 0);
        assert_eq!(s.totaux.mediateurs, 7);
        let dernier = s.par_statut_social.last().expect("5 statuts").1;
        assert_eq!(dernier.accompagnements, n as u64 - 1);
        assert_eq!(s.par_genre.len(), Genre::ALL.len());
        assert_eq!(s.par_tranche_age.len(), TrancheAge::ALL.len());
        assert!(lire_synthese(&valeurs[..n - 1]).is_err());
        assert!(lire_synthese(&[-1; 200]).is_err());
    }
}
