//! Roll-up tables of the activity records (migration 0012), so the
//! statistics and the pilotage table of the large scopes (the nation, a
//! région, a département) read a few thousand pre-added rows instead of
//! millions of records.
//!
//! - `activites_jour` / `activites_mois`: per (day or month, département)
//!   one column per additive value of the one-pass statistics
//!   ([`crate::statistiques::valeurs_synthese`]). A period is its whole
//!   months plus the days of its partial edge months ([`decouper`]).
//! - `classements_annee`: records and accompaniments per (commune or lieu,
//!   département, year), with one column per month (migration 0015), for
//!   the top 50: a period reads one row per key and year (the year's total
//!   or the sum of its whole months), and the records of the days left.
//! - `mediateurs_actifs`: per (year, département, mediator), the days of the
//!   year with a live record as a bitmap (bit `d % 63` of column `j{d / 63}`
//!   for day-of-year `d`, 0-based; 63 bits so no sign issue), so distinct
//!   mediators of any day-precise period are counted exactly.
//!
//! Records without département count under `''`. Every write of a record
//! updates the tables in its own transaction ([`operations_agregats`]);
//! [`crate::Store::reconstruire_agregats`] rebuilds them from the records
//! (after a bulk load, and once after the migration).

use crate::pilotage::{mois_de_la_periode, ComptePilotage, FiltrePilotage, Regroupement};
use crate::{FiltreStatistiques, StoreError};
use chrono::{Datelike, NaiveDate};

/// Columns of the day bitmaps of `mediateurs_actifs` (366 days / 63 bits).
pub(crate) const COLONNES_JOURS: usize = 6;

/// The SQL that differs between the backends.
pub(crate) trait Dialecte {
    /// Query exporting the read transaction's snapshot for other
    /// connections (`None`: one connection reads everything).
    const EXPORT_INSTANTANE: Option<&'static str>;
    /// Statements opening a read transaction: one snapshot, and enough
    /// memory for the top-50 hash tables of a national period.
    const LECTURE: &'static [&'static str];
    /// `YYYY-MM` of a date column.
    fn mois(colonne: &str) -> String;
    /// Year of a date column, as an integer.
    fn annee(colonne: &str) -> String;
    /// Day of the year of a date column, 0-based.
    fn jour_an(colonne: &str) -> String;
    /// `1 << position` as a 64-bit integer.
    fn bit(position: &str) -> String;
    /// Byte-order collation of the lieu ids (as `activites.lieu_id`).
    const COLLATION_C: &'static str;
    /// Whether concurrent write transactions exist (PostgreSQL) and must
    /// take the roll-ups' département locks in one order; SQLite has one
    /// writer at a time.
    const VERROUS: bool;
    /// Run after a rebuild, outside its transaction: the planner's
    /// statistics and the visibility map (index-only scans) of the new
    /// rows, which autovacuum would only give later.
    const APRES_RECONSTRUCTION: Option<&'static str>;
    /// Aggregate joining the texts of a group with `separateur` (SQL).
    fn concatener(expression: &str, separateur: &str) -> String;
    /// The character of code `n` (SQL).
    fn caractere(n: u8) -> String;
}

pub(crate) struct SqlSqlite;
pub(crate) struct SqlPostgres;

impl Dialecte for SqlSqlite {
    const LECTURE: &'static [&'static str] = &[];
    const EXPORT_INSTANTANE: Option<&'static str> = None;
    const VERROUS: bool = false;
    const APRES_RECONSTRUCTION: Option<&'static str> = None;
    const COLLATION_C: &'static str = "";
    fn mois(colonne: &str) -> String {
        format!("substr({colonne}, 1, 7)")
    }
    fn annee(colonne: &str) -> String {
        format!("CAST(substr({colonne}, 1, 4) AS INTEGER)")
    }
    fn jour_an(colonne: &str) -> String {
        format!("(CAST(strftime('%j', {colonne}) AS INTEGER) - 1)")
    }
    fn bit(position: &str) -> String {
        format!("(1 << {position})")
    }
    fn concatener(expression: &str, separateur: &str) -> String {
        format!("group_concat({expression}, {separateur})")
    }
    fn caractere(n: u8) -> String {
        format!("char({n})")
    }
}

impl Dialecte for SqlPostgres {
    const EXPORT_INSTANTANE: Option<&'static str> = Some("SELECT pg_export_snapshot()");
    // jit off: compiling the plan costs more than these short queries.
    const LECTURE: &'static [&'static str] = &[
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "SET LOCAL work_mem = '32MB'",
        "SET LOCAL jit = off",
    ];
    const VERROUS: bool = true;
    const APRES_RECONSTRUCTION: Option<&'static str> =
        Some("VACUUM ANALYZE activites_jour, activites_mois, classements_annee, mediateurs_actifs");
    const COLLATION_C: &'static str = " COLLATE \"C\"";
    fn mois(colonne: &str) -> String {
        format!("to_char(CAST({colonne} AS TIMESTAMP), 'YYYY-MM')")
    }
    fn annee(colonne: &str) -> String {
        format!("CAST(EXTRACT(YEAR FROM {colonne}) AS INTEGER)")
    }
    fn jour_an(colonne: &str) -> String {
        format!("(CAST(EXTRACT(DOY FROM {colonne}) AS INTEGER) - 1)")
    }
    fn bit(position: &str) -> String {
        format!("(CAST(1 AS BIGINT) << {position})")
    }
    fn concatener(expression: &str, separateur: &str) -> String {
        format!("string_agg({expression}, {separateur})")
    }
    fn caractere(n: u8) -> String {
        format!("chr({n})")
    }
}

/// The additive values of the statistics: (column of the roll-up tables,
/// per-record expression), in [`crate::statistiques::valeurs_synthese`]
/// order without the distinct mediators.
pub(crate) fn colonnes_agregees() -> Vec<(String, String)> {
    crate::statistiques::valeurs_synthese()
        .into_iter()
        .filter_map(|v| v.expression.map(|e| (v.nom, e)))
        .collect()
}

/// Position of the distinct mediators among the one-pass values.
pub(crate) fn rang_mediateurs() -> usize {
    crate::statistiques::valeurs_synthese()
        .iter()
        .position(|v| v.expression.is_none())
        .unwrap_or(0)
}

/// The bitmap columns' expressions for one record's `date` column.
pub(crate) fn bits_du_jour<D: Dialecte>() -> Vec<String> {
    let j = D::jour_an("date");
    (0..COLONNES_JOURS)
        .map(|k| {
            format!(
                "(CASE WHEN {j} / 63 = {k} THEN {} ELSE 0 END)",
                D::bit(&format!("({j} % 63)"))
            )
        })
        .collect()
}

/// `j0, j1, …`.
pub(crate) fn noms_jours() -> Vec<String> {
    (0..COLONNES_JOURS).map(|k| format!("j{k}")).collect()
}

/// Whether the roll-ups can answer this filter: only a period and
/// départements (none of them empty: `''` stands for "no département" in
/// the roll-ups).
pub(crate) fn statistiques_agregeables(f: &FiltreStatistiques) -> bool {
    f.mediateurs.is_none()
        && f.structure_id.is_none()
        && f.codes_insee.is_none()
        && f.type_activite.is_none()
        && f.type_lieu.is_none()
        && f.lieu_id.is_none()
        && f.thematique.is_none()
        && f.fenetres.is_none()
        && departements_agregeables(f.departements.as_deref())
}

fn departements_agregeables(d: Option<&[String]>) -> bool {
    d.is_none_or(|d| !d.is_empty() && d.iter().all(|x| !x.is_empty()))
}

/// Whether the roll-ups can answer this pilotage table (rows made of
/// départements; communes are not in the roll-ups).
pub(crate) fn pilotage_agregeable(f: &FiltrePilotage) -> bool {
    matches!(f.regroupement, Regroupement::Departements(_))
        && departements_agregeables(f.departements.as_deref())
}

/// A period cut into whole units (months or years) and the days left over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoupage {
    /// First day of the first whole unit and last day of the last one
    /// (`None`: unbounded); `None` when no unit is whole.
    pub(crate) entiers: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Inclusive day ranges outside the whole units.
    pub(crate) jours: Vec<(NaiveDate, NaiveDate)>,
}

/// The monthly columns of `classements_annee` (`a1`..`a12` then
/// `p1`..`p12`) and, for a record, the values to add to them: `activite`
/// and `accompagnements` in the column of the month of `mois_date` (an
/// SQL `YYYY-MM` expression), 0 elsewhere.
pub(crate) fn colonnes_mois_classement(
    mois_date: &str,
    activite: &str,
    accompagnements: &str,
) -> (Vec<String>, Vec<String>) {
    let mut noms = Vec::with_capacity(24);
    let mut valeurs = Vec::with_capacity(24);
    for (prefixe, valeur) in [("a", activite), ("p", accompagnements)] {
        for m in 1..=12 {
            noms.push(format!("{prefixe}{m}"));
            valeurs.push(format!(
                "CASE WHEN substr({mois_date}, 6, 2) = '{m:02}' THEN {valeur} ELSE 0 END"
            ));
        }
    }
    (noms, valeurs)
}

/// The whole months from `premier`'s to `dernier`'s as (year, first
/// month, last month) per year.
pub(crate) fn mois_par_annee(premier: NaiveDate, dernier: NaiveDate) -> Vec<(i32, u32, u32)> {
    (premier.year()..=dernier.year())
        .map(|annee| {
            let de = if annee == premier.year() {
                premier.month()
            } else {
                1
            };
            let a = if annee == dernier.year() {
                dernier.month()
            } else {
                12
            };
            (annee, de, a)
        })
        .collect()
}

pub(crate) fn debut_mois(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

pub(crate) fn fin_mois(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|x| x.pred_opt())
        .unwrap_or(d)
}

pub(crate) fn debut_annee(d: NaiveDate) -> NaiveDate {
    d.with_ordinal(1).unwrap_or(d)
}

pub(crate) fn fin_annee(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 12, 31).unwrap_or(d)
}

/// Cuts `[du, au]` (inclusive, `None`: unbounded) into whole units, each
/// `[debut(d), fin(d)]`, and at most two ranges of days.
pub(crate) fn decouper(
    du: Option<NaiveDate>,
    au: Option<NaiveDate>,
    debut: fn(NaiveDate) -> NaiveDate,
    fin: fn(NaiveDate) -> NaiveDate,
) -> Decoupage {
    if let (Some(d), Some(a)) = (du, au) {
        if d > a {
            return Decoupage {
                entiers: None,
                jours: Vec::new(),
            };
        }
    }
    let premier = du.map(|d| {
        if debut(d) == d {
            d
        } else {
            fin(d).succ_opt().unwrap_or(d)
        }
    });
    let dernier = au.map(|a| {
        if fin(a) == a {
            a
        } else {
            debut(a).pred_opt().unwrap_or(a)
        }
    });
    match (du, au, premier, dernier) {
        (Some(d), Some(a), Some(p), Some(z)) if p > z => Decoupage {
            entiers: None,
            jours: vec![(d, a)],
        },
        _ => {
            let mut jours = Vec::new();
            if let (Some(d), Some(p)) = (du, premier) {
                if d < p {
                    jours.push((d, p.pred_opt().unwrap_or(p)));
                }
            }
            if let (Some(a), Some(z)) = (au, dernier) {
                if z < a {
                    jours.push((z.succ_opt().unwrap_or(z), a));
                }
            }
            Decoupage {
                entiers: Some((premier, dernier)),
                jours,
            }
        }
    }
}

/// `colonne >= 'debut' AND colonne <= 'fin'` of whole units (`'1 = 1'`
/// when unbounded); values are formatted here, never user text.
pub(crate) fn condition_entiers(
    colonne: &str,
    bornes: (Option<NaiveDate>, Option<NaiveDate>),
    format: impl Fn(NaiveDate) -> String,
) -> String {
    let mut c = vec!["1 = 1".to_string()];
    if let Some(d) = bornes.0 {
        c.push(format!("{colonne} >= {}", format(d)));
    }
    if let Some(a) = bornes.1 {
        c.push(format!("{colonne} <= {}", format(a)));
    }
    c.join(" AND ")
}

/// `(colonne >= 'd1' AND colonne <= 'a1') OR …` of day ranges.
pub(crate) fn condition_jours(colonne: &str, jours: &[(NaiveDate, NaiveDate)]) -> String {
    if jours.is_empty() {
        return "1 = 0".to_string();
    }
    jours
        .iter()
        .map(|(d, a)| format!("({colonne} >= '{d}' AND {colonne} <= '{a}')"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `'YYYY-MM'` of a date, as an SQL literal.
pub(crate) fn litteral_mois(d: NaiveDate) -> String {
    format!("'{:04}-{:02}'", d.year(), d.month())
}

/// The bitmaps of the days `[du, au]`, per year (oldest first).
pub(crate) fn masques(jours: &[(NaiveDate, NaiveDate)]) -> Vec<(i32, [i64; COLONNES_JOURS])> {
    let mut out: Vec<(i32, [i64; COLONNES_JOURS])> = Vec::new();
    for (du, au) in jours {
        let mut d = *du;
        while d <= *au {
            let j = d.ordinal0() as usize;
            match out.iter_mut().find(|(y, _)| *y == d.year()) {
                Some((_, m)) => m[j / 63] |= 1 << (j % 63),
                None => {
                    let mut m = [0; COLONNES_JOURS];
                    m[j / 63] |= 1 << (j % 63);
                    out.push((d.year(), m));
                }
            }
            match d.succ_opt() {
                Some(s) => d = s,
                None => break,
            }
        }
    }
    out.sort_by_key(|(y, _)| *y);
    out
}

/// The condition on `mediateurs_actifs` of "a live record in `[du, au]`".
pub(crate) fn condition_mediateurs(du: Option<NaiveDate>, au: Option<NaiveDate>) -> String {
    let dec = decouper(du, au, debut_annee, fin_annee);
    let mut ou = Vec::new();
    if let Some(bornes) = dec.entiers {
        ou.push(format!(
            "({})",
            condition_entiers("annee", bornes, |d| d.year().to_string())
        ));
    }
    for (annee, m) in masques(&dec.jours) {
        let bits: Vec<String> = m
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| format!("(j{k} & {v}) <> 0"))
            .collect();
        ou.push(format!("(annee = {annee} AND ({}))", bits.join(" OR ")));
    }
    if ou.is_empty() {
        return "1 = 0".to_string();
    }
    format!("({})", ou.join(" OR "))
}

/// Between the fields of a packed `mediateurs_actifs` row (unit separator).
pub(crate) const SEPARATEUR_CHAMPS: u8 = 0x1f;
/// Between the packed rows (record separator).
pub(crate) const SEPARATEUR_ARTICLES: u8 = 0x1e;

/// Unpacks the rows of one (département, year) joined by the database.
pub(crate) fn deballer_mediateurs(
    departement: &str,
    annee: i32,
    paquet: &str,
    lignes: &mut Vec<LigneMediateur>,
) -> Result<(), StoreError> {
    let corrompu = |detail: String| StoreError::Corrupt {
        what: "mediateurs_actifs".to_string(),
        detail,
    };
    for article in paquet.split(char::from(SEPARATEUR_ARTICLES)) {
        let mut champs = article.split(char::from(SEPARATEUR_CHAMPS));
        let mediateur_id = champs.next().unwrap_or_default().to_string();
        let mut jours = [0_i64; COLONNES_JOURS];
        for j in jours.iter_mut() {
            let texte = champs.next().unwrap_or_default();
            *j = texte
                .parse()
                .map_err(|_| corrompu(format!("jours illisibles « {texte} »")))?;
        }
        // A separator inside an id would shift the fields: refused.
        if champs.next().is_some() {
            return Err(corrompu(format!("ligne illisible « {article} »")));
        }
        lignes.push(LigneMediateur {
            mediateur_id,
            departement: departement.to_string(),
            annee,
            jours,
        });
    }
    Ok(())
}

/// A mediator's year row read for the pilotage table.
pub(crate) struct LigneMediateur {
    pub(crate) mediateur_id: String,
    pub(crate) departement: String,
    pub(crate) annee: i32,
    pub(crate) jours: [i64; COLONNES_JOURS],
}

/// The pilotage table's mediator counts from the bitmaps: per (row,
/// month), per row, per month and overall (rows: index of the group, or
/// the number of groups for "no territory").
pub(crate) struct MediateursPilotage {
    pub(crate) cellules: Vec<((usize, usize), u64)>,
    pub(crate) lignes: Vec<(usize, u64)>,
    pub(crate) par_mois: Vec<(usize, u64)>,
    pub(crate) total: u64,
}

pub(crate) fn compter_mediateurs(
    f: &FiltrePilotage,
    ligne_de: impl Fn(&str) -> usize,
    lignes: &[LigneMediateur],
) -> MediateursPilotage {
    use std::collections::HashMap;
    // Each month of the period as its days within the period.
    let mois: Vec<Vec<(i32, [i64; COLONNES_JOURS])>> = mois_de_la_periode(f.du, f.au)
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let premier = ajouter_mois(debut_mois(f.du), i);
            let du = premier.max(f.du);
            let au = fin_mois(premier).min(f.au);
            masques(&[(du, au)])
        })
        .collect();
    // Mediators as numbers, then (row, month, mediator) triples sorted and
    // deduplicated: much faster than hashing each triple.
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut cellules: Vec<(usize, usize, u32)> = Vec::new();
    for l in lignes {
        let n = ids.len() as u32;
        let id = *ids.entry(l.mediateur_id.as_str()).or_insert(n);
        let ligne = ligne_de(&l.departement);
        for (i, m) in mois.iter().enumerate() {
            let actif = m.iter().any(|(annee, masque)| {
                *annee == l.annee && masque.iter().zip(l.jours).any(|(a, b)| a & b != 0)
            });
            if actif {
                cellules.push((ligne, i, id));
            }
        }
    }
    /// How many distinct mediators per key.
    fn compter<K: Ord + Copy>(mut v: Vec<(K, u32)>) -> Vec<(K, u64)> {
        v.sort_unstable();
        v.dedup();
        let mut out: Vec<(K, u64)> = Vec::new();
        for (k, _) in v {
            match out.last_mut() {
                Some((dernier, n)) if *dernier == k => *n += 1,
                _ => out.push((k, 1)),
            }
        }
        out
    }
    let total = compter(cellules.iter().map(|(_, _, id)| ((), *id)).collect());
    MediateursPilotage {
        lignes: compter(cellules.iter().map(|(l, _, id)| (*l, *id)).collect()),
        par_mois: compter(cellules.iter().map(|(_, i, id)| (*i, *id)).collect()),
        total: total.first().map_or(0, |(_, n)| *n),
        cellules: compter(
            cellules
                .into_iter()
                .map(|(l, i, id)| ((l, i), id))
                .collect(),
        ),
    }
}

fn ajouter_mois(d: NaiveDate, n: usize) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + n as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

/// The row of the pilotage table of a département: the first group
/// holding it, else the number of groups ("no territory").
pub(crate) fn ligne_du_departement(f: &FiltrePilotage) -> impl Fn(&str) -> usize + '_ {
    move |d: &str| match &f.regroupement {
        Regroupement::Departements(g) | Regroupement::Communes(g) => g
            .iter()
            .position(|(_, v)| v.iter().any(|x| x == d))
            .unwrap_or(g.len()),
    }
}

/// The code of a row index (see [`ligne_du_departement`]).
pub(crate) fn code_de_ligne(f: &FiltrePilotage, ligne: usize) -> Option<String> {
    match &f.regroupement {
        Regroupement::Departements(g) | Regroupement::Communes(g) => {
            g.get(ligne).map(|(c, _)| c.clone())
        }
    }
}

/// Adds the figures of one (département, month) into the table's parts.
#[derive(Default)]
pub(crate) struct SommesPilotage {
    pub(crate) cellules: std::collections::BTreeMap<(usize, usize), ComptePilotage>,
    pub(crate) lignes: std::collections::BTreeMap<usize, ComptePilotage>,
    pub(crate) par_mois: std::collections::BTreeMap<usize, ComptePilotage>,
    pub(crate) total: ComptePilotage,
}

impl SommesPilotage {
    pub(crate) fn ajouter(&mut self, ligne: usize, mois: usize, activites: u64, acc: u64) {
        for c in [
            self.cellules.entry((ligne, mois)).or_default(),
            self.lignes.entry(ligne).or_default(),
            self.par_mois.entry(mois).or_default(),
        ] {
            c.activites += activites;
            c.accompagnements += acc;
        }
        self.total.activites += activites;
        self.total.accompagnements += acc;
    }
}

/// Records and accompaniments read as `i64` from a roll-up: never negative.
pub(crate) fn compte_lu(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: format!("agrégats ({what})"),
        detail: format!("compte négatif {v}"),
    })
}

/// The upkeep and reads of the roll-ups, written once, expanded for each
/// backend (`$d`: its [`Dialecte`]).
macro_rules! operations_agregats {
    ($store:ident, $db:ty, $d:ty) => {
        impl $store {
            /// Before a write changes the roll-ups: locks the records `ids`
            /// (in id order) and then, in code order, the départements whose
            /// roll-up rows the transaction will touch (theirs and
            /// `autres`). Every writer taking them in one order, two
            /// transactions cannot wait for each other (a deadlock), even
            /// when one moves a record from a département to another.
            /// Transaction-scoped PostgreSQL advisory locks; nothing on
            /// SQLite (one writer at a time).
            pub(crate) async fn verrouiller_agregats(
                conn: &mut <$db as sqlx::Database>::Connection,
                ids: &[String],
                autres: &[Option<&str>],
                operation: &'static str,
            ) -> Result<(), $crate::StoreError> {
                use $crate::agregats::Dialecte;
                if !<$d>::VERROUS {
                    return Ok(());
                }
                let mut departements: Vec<String> = autres
                    .iter()
                    .map(|d| d.unwrap_or_default().to_string())
                    .collect();
                let mut tries: Vec<&String> = ids.iter().collect();
                tries.sort();
                tries.dedup();
                for id in tries {
                    let row = sqlx::query(
                        "SELECT COALESCE(departement, '') FROM activites WHERE id = $1 FOR UPDATE",
                    )
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(operation))?;
                    if let Some(r) = row {
                        departements.push($crate::commun::valeur(&r, 0, "activites.departement")?);
                    }
                }
                departements.sort();
                departements.dedup();
                for d in &departements {
                    // 1296844615 ("MLGG"): this lock family among the
                    // database's advisory locks.
                    sqlx::query("SELECT pg_advisory_xact_lock(1296844615, hashtext($1))")
                        .bind(d)
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::commun::erreur_db(operation))?;
                }
                Ok(())
            }

            /// Adds (`signe` 1) or takes away (-1) the contribution of the
            /// record `id` to the additive roll-ups, if it is live.
            pub(crate) async fn ajuster_agregats(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: &str,
                signe: i64,
                operation: &'static str,
            ) -> Result<(), $crate::StoreError> {
                // Every write runs these statements: spelled out once.
                static REQUETES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
                for sql in REQUETES.get_or_init(Self::sql_ajuster_agregats) {
                    sqlx::query(sql)
                        .bind(id)
                        .bind(signe)
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::commun::erreur_db(operation))?;
                }
                Ok(())
            }

            /// The statements of [`Self::ajuster_agregats`] (`$1` the
            /// record's id, `$2` the sign).
            fn sql_ajuster_agregats() -> Vec<String> {
                use $crate::agregats::Dialecte;
                let mut requetes = Vec::new();
                let colonnes = $crate::agregats::colonnes_agregees();
                let noms: Vec<&str> = colonnes.iter().map(|(n, _)| n.as_str()).collect();
                let valeurs: Vec<String> = colonnes
                    .iter()
                    .map(|(_, e)| format!("$2 * ({e})"))
                    .collect();
                let mois = <$d>::mois("date");
                for (table, cle, expression_cle) in [
                    ("activites_jour", "jour", "date"),
                    ("activites_mois", "mois", mois.as_str()),
                ] {
                    let maj: Vec<String> = noms
                        .iter()
                        .map(|n| format!("{n} = {table}.{n} + excluded.{n}"))
                        .collect();
                    let sql = format!(
                        "INSERT INTO {table} ({cle}, departement, {}) \
                         SELECT {expression_cle}, COALESCE(departement, ''), {} \
                         FROM activites WHERE id = $1 AND supprime_le IS NULL \
                         ON CONFLICT ({cle}, departement) DO UPDATE SET {}",
                        noms.join(", "),
                        valeurs.join(", "),
                        maj.join(", ")
                    );
                    requetes.push(sql);
                }
                let annee = <$d>::annee("date");
                let (noms_mois, valeurs_mois) = $crate::agregats::colonnes_mois_classement(
                    &mois,
                    "$2",
                    "$2 * accompagnements",
                );
                let maj_mois: Vec<String> = noms_mois
                    .iter()
                    .map(|n| format!("{n} = classements_annee.{n} + excluded.{n}"))
                    .collect();
                for (nature, colonne) in [("commune", "code_insee"), ("lieu", "lieu_id")] {
                    let sql = format!(
                        "INSERT INTO classements_annee (nature, departement, annee, cle, \
                         activites, accompagnements, {}) \
                         SELECT '{nature}', COALESCE(departement, ''), {annee}, \
                         {colonne}, $2, $2 * accompagnements, {} FROM activites \
                         WHERE id = $1 AND supprime_le IS NULL AND {colonne} IS NOT NULL \
                         ON CONFLICT (nature, departement, annee, cle) DO UPDATE SET \
                         activites = classements_annee.activites + excluded.activites, \
                         accompagnements = classements_annee.accompagnements \
                         + excluded.accompagnements, {}",
                        noms_mois.join(", "),
                        valeurs_mois.join(", "),
                        maj_mois.join(", ")
                    );
                    requetes.push(sql);
                }
                requetes
            }

            /// Sets the day of the live record `id` in its mediator's
            /// bitmap.
            pub(crate) async fn marquer_mediateur_actif(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: &str,
                operation: &'static str,
            ) -> Result<(), $crate::StoreError> {
                use $crate::agregats::Dialecte;
                let noms = $crate::agregats::noms_jours();
                let maj: Vec<String> = noms
                    .iter()
                    .map(|n| format!("{n} = mediateurs_actifs.{n} | excluded.{n}"))
                    .collect();
                let sql = format!(
                    "INSERT INTO mediateurs_actifs (annee, departement, mediateur_id, {}) \
                     SELECT {}, COALESCE(departement, ''), mediateur_id, {} FROM activites \
                     WHERE id = $1 AND supprime_le IS NULL \
                     ON CONFLICT (annee, departement, mediateur_id) DO UPDATE SET {}",
                    noms.join(", "),
                    <$d>::annee("date"),
                    $crate::agregats::bits_du_jour::<$d>().join(", "),
                    maj.join(", ")
                );
                sqlx::query(&sql)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(operation))?;
                Ok(())
            }

            /// The (mediator, département or `''`, year) of the live record
            /// `id`, whose bitmap a change must recompute.
            pub(crate) async fn cle_mediateur_actif(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: &str,
                operation: &'static str,
            ) -> Result<Option<(String, String, i32)>, $crate::StoreError> {
                let row = sqlx::query(
                    "SELECT mediateur_id, COALESCE(departement, ''), date FROM activites \
                     WHERE id = $1 AND supprime_le IS NULL",
                )
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err($crate::commun::erreur_db(operation))?;
                row.map(|r| {
                    let date: chrono::NaiveDate =
                        $crate::commun::valeur(&r, 2, "activites.date")?;
                    Ok((
                        $crate::commun::valeur(&r, 0, "activites.mediateur_id")?,
                        $crate::commun::valeur(&r, 1, "activites.departement")?,
                        chrono::Datelike::year(&date),
                    ))
                })
                .transpose()
            }

            /// Recomputes one bitmap row from the mediator's live records
            /// of that year (index `(mediateur_id, date)`).
            pub(crate) async fn recalculer_mediateur_actif(
                conn: &mut <$db as sqlx::Database>::Connection,
                cle: &(String, String, i32),
                operation: &'static str,
            ) -> Result<(), $crate::StoreError> {
                let (mediateur_id, departement, annee) = cle;
                sqlx::query(
                    "DELETE FROM mediateurs_actifs \
                     WHERE annee = $1 AND departement = $2 AND mediateur_id = $3",
                )
                .bind(*annee)
                .bind(departement)
                .bind(mediateur_id)
                .execute(&mut *conn)
                .await
                .map_err($crate::commun::erreur_db(operation))?;
                let sql = Self::sql_mediateurs_actifs(&format!(
                    "mediateur_id = $1 AND COALESCE(departement, '') = $2 \
                     AND date >= '{annee:04}-01-01' AND date <= '{annee:04}-12-31' AND "
                ));
                sqlx::query(&sql)
                    .bind(mediateur_id)
                    .bind(departement)
                    .execute(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(operation))?;
                Ok(())
            }

            /// `INSERT INTO mediateurs_actifs` the bitmaps of the live
            /// records matching `condition` (ending in `AND `).
            fn sql_mediateurs_actifs(condition: &str) -> String {
                use $crate::agregats::Dialecte;
                let bits: Vec<String> = $crate::agregats::bits_du_jour::<$d>()
                    .into_iter()
                    .map(|b| format!("CAST(SUM({b}) AS BIGINT)"))
                    .collect();
                // One row per (mediator, day) first: distinct days are
                // distinct bits, so their sum is their OR.
                format!(
                    "INSERT INTO mediateurs_actifs (annee, departement, mediateur_id, {}) \
                     SELECT {}, departement, mediateur_id, {} FROM \
                     (SELECT DISTINCT COALESCE(departement, '') AS departement, \
                     mediateur_id, date FROM activites \
                     WHERE {condition}supprime_le IS NULL) AS jours \
                     GROUP BY {}, departement, mediateur_id",
                    $crate::agregats::noms_jours().join(", "),
                    <$d>::annee("date"),
                    bits.join(", "),
                    <$d>::annee("date"),
                )
            }

            /// Rebuilds every roll-up from the live records, in one
            /// transaction.
            pub(crate) async fn reconstruire_agregats(&self) -> Result<(), $crate::StoreError> {
                use $crate::agregats::Dialecte;
                const OP: &str = "la reconstruction des agrégats";
                let erreur = $crate::commun::erreur_db(OP);
                let colonnes = $crate::agregats::colonnes_agregees();
                let noms: Vec<&str> = colonnes.iter().map(|(n, _)| n.as_str()).collect();
                let sommes_lignes: Vec<String> = colonnes
                    .iter()
                    .map(|(_, e)| $crate::statistiques::somme(e))
                    .collect();
                let sommes_jours: Vec<String> =
                    noms.iter().map(|n| $crate::statistiques::somme(n)).collect();
                let mois_jour = <$d>::mois("jour");
                let mois_date = <$d>::mois("date");
                let mut requetes = vec![
                    "DELETE FROM activites_jour".to_string(),
                    "DELETE FROM activites_mois".to_string(),
                    "DELETE FROM classements_annee".to_string(),
                    "DELETE FROM mediateurs_actifs".to_string(),
                    format!(
                        "INSERT INTO activites_jour (jour, departement, {}) \
                         SELECT date, COALESCE(departement, ''), {} FROM activites \
                         WHERE supprime_le IS NULL GROUP BY date, COALESCE(departement, '')",
                        noms.join(", "),
                        sommes_lignes.join(", ")
                    ),
                    format!(
                        "INSERT INTO activites_mois (mois, departement, {}) \
                         SELECT {mois_jour}, departement, {} FROM activites_jour \
                         GROUP BY {mois_jour}, departement",
                        noms.join(", "),
                        sommes_jours.join(", ")
                    ),
                ];
                let annee_date = <$d>::annee("date");
                let (noms_mois, sommes_mois) = $crate::agregats::colonnes_mois_classement(
                    &mois_date,
                    "1",
                    "accompagnements",
                );
                let sommes_mois: Vec<String> = sommes_mois
                    .iter()
                    .map(|e| $crate::statistiques::somme(e))
                    .collect();
                for (nature, colonne) in [("commune", "code_insee"), ("lieu", "lieu_id")] {
                    requetes.push(format!(
                        "INSERT INTO classements_annee (nature, departement, annee, cle, \
                         activites, accompagnements, {}) \
                         SELECT '{nature}', COALESCE(departement, ''), {annee_date}, {colonne}, \
                         COUNT(*), {}, {} FROM activites \
                         WHERE supprime_le IS NULL AND {colonne} IS NOT NULL \
                         GROUP BY COALESCE(departement, ''), {annee_date}, {colonne}",
                        noms_mois.join(", "),
                        $crate::statistiques::somme("accompagnements"),
                        sommes_mois.join(", ")
                    ));
                }
                requetes.push(Self::sql_mediateurs_actifs(""));
                requetes.push("UPDATE agregats_etat SET a_reconstruire = 0".to_string());
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                for sql in &requetes {
                    sqlx::query(sql)
                        .execute(&mut *tx)
                        .await
                        .map_err(&erreur)?;
                }
                tx.commit().await.map_err(&erreur)?;
                if let Some(sql) = <$d>::APRES_RECONSTRUCTION {
                    sqlx::query(sql).execute(&self.pool).await.map_err(&erreur)?;
                }
                Ok(())
            }

            /// Rebuilds the roll-ups when a migration asked for it.
            pub(crate) async fn reconstruire_agregats_si_besoin(
                &self,
            ) -> Result<(), $crate::StoreError> {
                if self.agregats_perimes().await? {
                    self.reconstruire_agregats().await?;
                }
                Ok(())
            }

            /// Whether records were written without their roll-ups (a bulk
            /// load, or an interrupted rebuild) and not rebuilt since.
            pub(crate) async fn agregats_perimes(&self) -> Result<bool, $crate::StoreError> {
                let row = sqlx::query("SELECT COUNT(*) FROM agregats_etat WHERE a_reconstruire <> 0")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("la lecture de l'état des agrégats"))?;
                let n: i64 = $crate::commun::valeur(&row, 0, "agregats_etat")?;
                Ok(n > 0)
            }

            /// `AND departement IN (…)` when the filter has départements.
            fn et_departements(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                departements: Option<&[String]>,
            ) {
                if let Some(d) = departements {
                    qb.push(" AND ");
                    Self::condition_dans(qb, "departement", d.to_vec());
                }
            }

            /// `SELECT <cle>, <colonnes> FROM` the whole months and the
            /// edge days of the period (a `UNION ALL` to sum up).
            fn union_agregats(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                cle_mois: bool,
                colonnes: &str,
                du: Option<chrono::NaiveDate>,
                au: Option<chrono::NaiveDate>,
                departements: Option<&[String]>,
            ) {
                use $crate::agregats::Dialecte;
                let dec = $crate::agregats::decouper(
                    du,
                    au,
                    $crate::agregats::debut_mois,
                    $crate::agregats::fin_mois,
                );
                let (cm, cj) = if cle_mois {
                    ("mois, ".to_string(), format!("{}, ", <$d>::mois("jour")))
                } else {
                    ("departement, mois, ".to_string(), format!("departement, {}, ", <$d>::mois("jour")))
                };
                qb.push("(");
                qb.push(format!("SELECT {cm}{colonnes} FROM activites_mois WHERE "));
                match dec.entiers {
                    Some(bornes) => {
                        qb.push($crate::agregats::condition_entiers(
                            "mois",
                            bornes,
                            $crate::agregats::litteral_mois,
                        ));
                    }
                    None => {
                        qb.push("1 = 0");
                    }
                }
                Self::et_departements(qb, departements);
                // One branch per range of days: an OR of ranges makes
                // SQLite scan a whole index.
                for jours in &dec.jours {
                    qb.push(format!(" UNION ALL SELECT {cj}{colonnes} FROM activites_jour WHERE "));
                    qb.push($crate::agregats::condition_jours("jour", std::slice::from_ref(jours)));
                    Self::et_departements(qb, departements);
                }
                qb.push(") AS agregats");
            }

            /// Distinct mediators with a live record in the period.
            async fn mediateurs_agreges(
                conn: &mut <$db as sqlx::Database>::Connection,
                du: Option<chrono::NaiveDate>,
                au: Option<chrono::NaiveDate>,
                departements: Option<&[String]>,
            ) -> Result<u64, $crate::StoreError> {
                // DISTINCT in a subquery: PostgreSQL hashes it instead of
                // sorting for COUNT(DISTINCT).
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT mediateur_id FROM mediateurs_actifs \
                     WHERE {}",
                    $crate::agregats::condition_mediateurs(du, au)
                ));
                Self::et_departements(&mut qb, departements);
                qb.push(") AS mediateurs");
                let row = qb
                    .build()
                    .fetch_one(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db("le calcul des statistiques"))?;
                $crate::agregats::compte_lu(
                    "médiateurs",
                    $crate::commun::valeur(&row, 0, "médiateurs")?,
                )
            }

            /// The top 50 communes or lieux: the roll-ups' whole years and
            /// whole months, and the records of the edge days.
            async fn classement_agrege(
                conn: &mut <$db as sqlx::Database>::Connection,
                nature: &str,
                colonne: &str,
                f: &$crate::FiltreStatistiques,
            ) -> Result<Vec<(String, $crate::Compte)>, $crate::StoreError> {
                use $crate::agregats::Dialecte;
                let annees = $crate::agregats::decouper(
                    f.du,
                    f.au,
                    $crate::agregats::debut_annee,
                    $crate::agregats::fin_annee,
                );
                // The days outside whole years: their whole months (a few
                // monthly columns of the year's row), then the days left.
                let mut mois = Vec::new();
                let mut jours = Vec::new();
                for (du, au) in &annees.jours {
                    let dec = $crate::agregats::decouper(
                        Some(*du),
                        Some(*au),
                        $crate::agregats::debut_mois,
                        $crate::agregats::fin_mois,
                    );
                    if let Some((Some(premier), Some(dernier))) = dec.entiers {
                        mois.extend($crate::agregats::mois_par_annee(premier, dernier));
                    }
                    jours.extend(dec.jours);
                }
                let departements = f.departements.as_deref();
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT cle, {}, {} FROM (SELECT cle, activites AS a, accompagnements AS p \
                     FROM classements_annee WHERE nature = '{nature}' AND ",
                    $crate::statistiques::somme("a"),
                    $crate::statistiques::somme("p"),
                ));
                match annees.entiers {
                    Some(bornes) => {
                        qb.push($crate::agregats::condition_entiers("annee", bornes, |d| {
                            chrono::Datelike::year(&d).to_string()
                        }));
                    }
                    None => {
                        qb.push("1 = 0");
                    }
                }
                Self::et_departements(&mut qb, departements);
                for (annee, de, a) in mois {
                    let colonnes = |x: &str| {
                        (de..=a).map(|m| format!("{x}{m}")).collect::<Vec<_>>().join(" + ")
                    };
                    qb.push(format!(
                        " UNION ALL SELECT cle, {}, {} FROM classements_annee \
                         WHERE nature = '{nature}' AND annee = {annee}",
                        colonnes("a"),
                        colonnes("p"),
                    ));
                    Self::et_departements(&mut qb, departements);
                }
                for jours in &jours {
                    // One branch per range of days (an OR of ranges makes
                    // SQLite scan a whole index); the conditions are those
                    // of the covering index of migration 0013, read in
                    // date order without touching the table.
                    qb.push(format!(
                        " UNION ALL SELECT {colonne}, 1, accompagnements FROM activites \
                         WHERE supprime_le IS NULL AND {colonne} IS NOT NULL AND "
                    ));
                    qb.push($crate::agregats::condition_jours("date", std::slice::from_ref(jours)));
                    Self::et_departements(&mut qb, departements);
                }
                let collation = if nature == "lieu" { <$d>::COLLATION_C } else { "" };
                qb.push(format!(
                    ") AS classement GROUP BY cle HAVING SUM(a) > 0 \
                     ORDER BY SUM(a) DESC, cle{collation} LIMIT {}",
                    $crate::CLASSEMENT_MAX
                ));
                let rows = qb
                    .build()
                    .fetch_all(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db("le calcul des statistiques"))?;
                rows.iter()
                    .map($crate::statistiques::lire_ligne_groupe)
                    .collect()
            }

            /// [`crate::Store::statistiques`] from the roll-ups (see
            /// [`crate::agregats::statistiques_agregeables`]).
            pub(crate) async fn statistiques_agregees(
                &self,
                f: &$crate::FiltreStatistiques,
            ) -> Result<$crate::Statistiques, $crate::StoreError> {
                use $crate::agregats::Dialecte;
                const OP: &str = "le calcul des statistiques";
                let erreur = $crate::commun::erreur_db(OP);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                for sql in <$d>::LECTURE {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(&erreur)?;
                }
                // PostgreSQL: the two top 50s, the costliest part of a
                // national period, run beside the rest on two more
                // connections that read this transaction's snapshot.
                let instantane = match <$d>::EXPORT_INSTANTANE {
                    Some(sql) => {
                        let row = sqlx::query(sql).fetch_one(&mut *tx).await.map_err(&erreur)?;
                        let id: String = $crate::commun::valeur(&row, 0, "instantané")?;
                        Some(id)
                    }
                    None => None,
                };
                let principal = async {
                let colonnes = $crate::agregats::colonnes_agregees();
                let noms: Vec<&str> = colonnes.iter().map(|(n, _)| n.as_str()).collect();
                let sommes: Vec<String> =
                    noms.iter().map(|n| $crate::statistiques::somme(n)).collect();
                let departements = f.departements.as_deref();
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT mois, {} FROM ",
                    sommes.join(", ")
                ));
                Self::union_agregats(&mut qb, true, &noms.join(", "), f.du, f.au, departements);
                qb.push(" GROUP BY mois ORDER BY mois");
                let rows = qb.build().fetch_all(&mut *tx).await.map_err(&erreur)?;
                let mut totaux = vec![0_i64; noms.len()];
                let mut par_mois = Vec::new();
                for row in &rows {
                    let mois: String = $crate::commun::valeur(row, 0, "statistiques (mois)")?;
                    let mut valeurs = Vec::with_capacity(noms.len());
                    for i in 0..noms.len() {
                        let v: i64 = $crate::commun::valeur(row, i + 1, "statistiques")?;
                        valeurs.push(v);
                    }
                    // A month whose records were all deleted keeps zeros.
                    if valeurs.first().copied().unwrap_or(0) == 0 {
                        continue;
                    }
                    for (t, v) in totaux.iter_mut().zip(&valeurs) {
                        *t += v;
                    }
                    par_mois.push((
                        mois,
                        $crate::Compte {
                            activites: $crate::agregats::compte_lu("activités", valeurs[0])?,
                            accompagnements: $crate::agregats::compte_lu(
                                "accompagnements",
                                valeurs.get(1).copied().unwrap_or(0),
                            )?,
                        },
                    ));
                }
                let mediateurs =
                    Self::mediateurs_agreges(&mut *tx, f.du, f.au, departements).await?;
                let rang = $crate::agregats::rang_mediateurs();
                totaux.insert(rang.min(totaux.len()), i64::try_from(mediateurs).unwrap_or(i64::MAX));
                let mut s = $crate::statistiques::lire_synthese(&totaux)?;
                s.par_mois = par_mois;
                Ok::<_, $crate::StoreError>(s)
                };
                let s = match &instantane {
                    Some(id) => {
                        let (mut s, communes, lieux) = tokio::try_join!(
                            principal,
                            self.classement_instantane(id, "commune", "code_insee", f),
                            self.classement_instantane(id, "lieu", "lieu_id", f),
                        )?;
                        s.par_commune = communes;
                        s.par_lieu = lieux;
                        s
                    }
                    None => {
                        let mut s = principal.await?;
                        s.par_commune =
                            Self::classement_agrege(&mut *tx, "commune", "code_insee", f).await?;
                        s.par_lieu = Self::classement_agrege(&mut *tx, "lieu", "lieu_id", f).await?;
                        s
                    }
                };
                tx.commit().await.map_err(&erreur)?;
                Ok(s)
            }

            /// [`Self::classement_agrege`] in a transaction of its own that
            /// reads the exported snapshot `instantane` (PostgreSQL).
            async fn classement_instantane(
                &self,
                instantane: &str,
                nature: &str,
                colonne: &str,
                f: &$crate::FiltreStatistiques,
            ) -> Result<Vec<(String, $crate::Compte)>, $crate::StoreError> {
                use $crate::agregats::Dialecte;
                let erreur = $crate::commun::erreur_db("le calcul des statistiques");
                // The id comes from the server; checked all the same, as it
                // is spelled into the statement (SET takes no parameter).
                if instantane.is_empty()
                    || !instantane.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                {
                    return Err($crate::StoreError::Invalid {
                        operation: "le calcul des statistiques",
                        detail: format!("instantané inattendu : {instantane}"),
                    });
                }
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                for (i, sql) in <$d>::LECTURE.iter().enumerate() {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(&erreur)?;
                    if i == 0 {
                        sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{instantane}'"))
                            .execute(&mut *tx)
                            .await
                            .map_err(&erreur)?;
                    }
                }
                let classement = Self::classement_agrege(&mut *tx, nature, colonne, f).await?;
                tx.commit().await.map_err(&erreur)?;
                Ok(classement)
            }


            /// [`crate::Store::pilotage`] from the roll-ups (see
            /// [`crate::agregats::pilotage_agregeable`]).
            pub(crate) async fn pilotage_agrege(
                &self,
                f: &$crate::FiltrePilotage,
            ) -> Result<$crate::TableauPilotage, $crate::StoreError> {
                use $crate::agregats::Dialecte;
                const OP: &str = "le calcul du tableau de pilotage";
                let erreur = $crate::commun::erreur_db(OP);
                let mut tx = self.pool.begin().await.map_err(&erreur)?;
                for sql in <$d>::LECTURE {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(&erreur)?;
                }
                let departements = f.departements.as_deref();
                let mois = $crate::mois_de_la_periode(f.du, f.au);
                let ligne_de = $crate::agregats::ligne_du_departement(f);
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT departement, mois, {}, {} FROM ",
                    $crate::statistiques::somme("activites"),
                    $crate::statistiques::somme("accompagnements"),
                ));
                Self::union_agregats(
                    &mut qb,
                    false,
                    "activites, accompagnements",
                    Some(f.du),
                    Some(f.au),
                    departements,
                );
                qb.push(" GROUP BY departement, mois");
                let rows = qb.build().fetch_all(&mut *tx).await.map_err(&erreur)?;
                let mut sommes = $crate::agregats::SommesPilotage::default();
                for row in &rows {
                    let d: String = $crate::commun::valeur(row, 0, "pilotage (département)")?;
                    let m: String = $crate::commun::valeur(row, 1, "pilotage (mois)")?;
                    let a = $crate::agregats::compte_lu(
                        "activités",
                        $crate::commun::valeur(row, 2, "pilotage")?,
                    )?;
                    let p = $crate::agregats::compte_lu(
                        "accompagnements",
                        $crate::commun::valeur(row, 3, "pilotage")?,
                    )?;
                    let Some(i) = mois.iter().position(|x| *x == m) else {
                        continue;
                    };
                    if a > 0 {
                        sommes.ajouter(ligne_de(&d), i, a, p);
                    }
                }
                // Only the rows active in the period, packed per
                // (département, year) into one text: reading tens of
                // thousands of small rows one by one is what costs.
                let champ = <$d>::caractere($crate::agregats::SEPARATEUR_CHAMPS);
                let article = <$d>::caractere($crate::agregats::SEPARATEUR_ARTICLES);
                let paquet: Vec<String> = std::iter::once("mediateur_id".to_string())
                    .chain($crate::agregats::noms_jours().into_iter().map(|j| {
                        format!("CAST({j} AS TEXT)")
                    }))
                    .collect();
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT departement, annee, {} FROM mediateurs_actifs WHERE {}",
                    <$d>::concatener(&paquet.join(&format!(" || {champ} || ")), &article),
                    $crate::agregats::condition_mediateurs(Some(f.du), Some(f.au)),
                ));
                Self::et_departements(&mut qb, departements);
                qb.push(" GROUP BY departement, annee");
                let rows = qb.build().fetch_all(&mut *tx).await.map_err(&erreur)?;
                tx.commit().await.map_err(&erreur)?;
                let mut lignes = Vec::new();
                for row in &rows {
                    let departement: String =
                        $crate::commun::valeur(row, 0, "mediateurs_actifs")?;
                    let annee: i32 = $crate::commun::valeur(row, 1, "mediateurs_actifs")?;
                    let paquet: String = $crate::commun::valeur(row, 2, "mediateurs_actifs")?;
                    $crate::agregats::deballer_mediateurs(&departement, annee, &paquet, &mut lignes)?;
                }
                let m = $crate::agregats::compter_mediateurs(f, &ligne_de, &lignes);
                Ok($crate::agregats::assembler_pilotage(f, sommes, m))
            }
        }
    };
}

pub(crate) use operations_agregats;

/// The table from the summed roll-ups and the mediator counts.
pub(crate) fn assembler_pilotage(
    f: &FiltrePilotage,
    mut sommes: SommesPilotage,
    m: MediateursPilotage,
) -> crate::TableauPilotage {
    for ((ligne, i), n) in m.cellules {
        sommes.cellules.entry((ligne, i)).or_default().mediateurs = n;
    }
    for (ligne, n) in m.lignes {
        sommes.lignes.entry(ligne).or_default().mediateurs = n;
    }
    for (i, n) in m.par_mois {
        sommes.par_mois.entry(i).or_default().mediateurs = n;
    }
    sommes.total.mediateurs = m.total;
    let mois = mois_de_la_periode(f.du, f.au);
    let nom_mois = |i: usize| mois.get(i).cloned().unwrap_or_default();
    let cellules = sommes
        .cellules
        .into_iter()
        .map(|((l, i), c)| (code_de_ligne(f, l), nom_mois(i), c))
        .collect();
    let lignes = sommes
        .lignes
        .into_iter()
        .map(|(l, c)| (code_de_ligne(f, l), c))
        .collect();
    let par_mois = sommes
        .par_mois
        .into_iter()
        .map(|(i, c)| (nom_mois(i), c))
        .collect();
    crate::pilotage::assembler(f, cellules, lignes, par_mois, sommes.total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).expect("date")
    }

    /// The `name BIGINT NOT NULL DEFAULT 0` columns of a table of a
    /// migration, in order.
    fn colonnes_de_la_migration(sql: &str, table: &str) -> Vec<String> {
        let debut = sql
            .find(&format!("CREATE TABLE {table} ("))
            .expect("table created");
        sql[debut..]
            .lines()
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with("PRIMARY KEY"))
            .filter(|l| l.contains("BIGINT NOT NULL DEFAULT 0"))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn mois_entiers_repartis_par_annee() {
        assert_eq!(
            mois_par_annee(d(2021, 12, 1), d(2021, 12, 31)),
            vec![(2021, 12, 12)]
        );
        assert_eq!(
            mois_par_annee(d(2025, 4, 1), d(2027, 1, 31)),
            vec![(2025, 4, 12), (2026, 1, 12), (2027, 1, 1)]
        );
    }

    #[test]
    fn colonnes_mensuelles_de_la_migration_0015() {
        let sql = include_str!("../migrations/sqlite/0015_classements_par_mois.sql");
        let (noms, valeurs) = colonnes_mois_classement("m", "1", "x");
        assert_eq!(noms.len(), 24);
        for n in &noms {
            assert!(sql.contains(&format!("ADD COLUMN {n} BIGINT")), "{n}");
        }
        assert_eq!(noms[2], "a3");
        assert_eq!(
            valeurs[2],
            "CASE WHEN substr(m, 6, 2) = '03' THEN 1 ELSE 0 END"
        );
        assert_eq!(noms[12], "p1");
        assert_eq!(
            valeurs[12],
            "CASE WHEN substr(m, 6, 2) = '01' THEN x ELSE 0 END"
        );
    }

    #[test]
    fn colonnes_de_la_migration_0012() {
        let attendues: Vec<String> = colonnes_agregees().into_iter().map(|(n, _)| n).collect();
        for sql in [
            include_str!("../migrations/sqlite/0012_agregats.sql"),
            include_str!("../migrations/postgres/0012_agregats.sql"),
        ] {
            for table in ["activites_jour", "activites_mois"] {
                assert_eq!(colonnes_de_la_migration(sql, table), attendues, "{table}");
            }
        }
        assert_eq!(
            attendues.len() + 1,
            crate::statistiques::valeurs_synthese().len()
        );
    }

    #[test]
    fn decoupage_en_mois() {
        let m = |du, au| decouper(du, au, debut_mois, fin_mois);
        assert_eq!(
            m(Some(d(2025, 1, 1)), Some(d(2025, 12, 31))),
            Decoupage {
                entiers: Some((Some(d(2025, 1, 1)), Some(d(2025, 12, 31)))),
                jours: vec![]
            }
        );
        assert_eq!(
            m(Some(d(2025, 1, 15)), Some(d(2025, 3, 3))),
            Decoupage {
                entiers: Some((Some(d(2025, 2, 1)), Some(d(2025, 2, 28)))),
                jours: vec![
                    (d(2025, 1, 15), d(2025, 1, 31)),
                    (d(2025, 3, 1), d(2025, 3, 3))
                ]
            }
        );
        assert_eq!(
            m(Some(d(2024, 12, 15)), Some(d(2025, 1, 10))),
            Decoupage {
                entiers: None,
                jours: vec![(d(2024, 12, 15), d(2025, 1, 10))]
            }
        );
        assert_eq!(
            m(Some(d(2025, 2, 3)), Some(d(2025, 2, 3))).jours,
            vec![(d(2025, 2, 3), d(2025, 2, 3))]
        );
        assert_eq!(
            m(None, Some(d(2025, 2, 3))),
            Decoupage {
                entiers: Some((None, Some(d(2025, 1, 31)))),
                jours: vec![(d(2025, 2, 1), d(2025, 2, 3))]
            }
        );
        assert_eq!(m(None, None).entiers, Some((None, None)));
        assert_eq!(m(Some(d(2025, 2, 3)), Some(d(2025, 2, 2))).jours, vec![]);
    }

    #[test]
    fn masques_par_annee() {
        let m = masques(&[(d(2024, 12, 31), d(2025, 1, 2))]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].0, 2024);
        // 2024 is a leap year: 31 December is day 365 (0-based).
        assert_eq!(m[0].1[5], 1 << (365 % 63));
        assert_eq!(m[1], (2025, [0b11, 0, 0, 0, 0, 0]));
        assert!(m.iter().all(|(_, v)| v.iter().all(|x| *x >= 0)));
    }
}
