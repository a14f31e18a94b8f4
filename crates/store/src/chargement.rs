//! Bulk load of activity records ([`crate::Store::charger_activites`]): a
//! history imported from another tool, or the synthetic history of
//! `maillage bench-activites`.
//!
//! Each call is one transaction of large multi-row `INSERT`s (SQLite:
//! `VALUES` lists within its bound-parameter limit; PostgreSQL: one array
//! per column through `UNNEST`). Records go through the same checks and
//! column values as [`crate::Store::enregistrer_activite`], but the journal
//! gets one entry per call ([`ACTION_CHARGEMENT_ACTIVITES`]) instead of one
//! per record: a history of millions of records is one administrative act,
//! and doubling the rows written would halve the load rate.

use crate::activites::{colonnes, colonnes_beneficiaires, verifier_nouvelle_activite, Colonnes};
use crate::{NouvelleActivite, NouvelleEntreeJournal, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// Journal action of [`crate::Store::charger_activites`] (one per call).
pub const ACTION_CHARGEMENT_ACTIVITES: &str = "chargement_activites";

const OP: &str = "le chargement des activités";

/// Columns of one loaded row: the 16 of `enregistrer_activite` then the
/// beneficiary counts.
const COLONNES_FIXES: &str = "id, mediateur_id, structure_id, departement, date, \
     type_activite, duree_minutes, type_lieu, lieu_id, code_insee, thematiques, \
     materiel, accompagnements, donnees, cree_le, modifie_le";
const NOMBRE_COLONNES_FIXES: usize = 16;

/// A record ready to insert.
pub(crate) struct Ligne<'a> {
    pub(crate) id: String,
    pub(crate) n: &'a NouvelleActivite,
    pub(crate) quand: DateTime<Utc>,
    pub(crate) c: Colonnes,
}

/// Last id prefix handed out (see [`identifiants`]).
static DERNIER_PREFIXE: AtomicU64 = AtomicU64::new(0);

/// `n` new ids: a 64-bit prefix that grows from the current time in
/// microseconds, then 64 random bits. Random ids would land all over the
/// primary key's B-tree and make a load of millions of records seek for
/// each one; increasing prefixes append instead. The random half keeps ids
/// unguessable and unique across processes, as [`crate::activites`]'s are.
fn identifiants(n: usize) -> Vec<String> {
    let maintenant = u64::try_from(Utc::now().timestamp_micros()).unwrap_or(0);
    let n64 = n as u64;
    let mut debut = DERNIER_PREFIXE.load(Ordering::Relaxed);
    loop {
        let premier = maintenant.max(debut + 1);
        match DERNIER_PREFIXE.compare_exchange(
            debut,
            premier + n64,
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => {
                return (0..n64)
                    .map(|i| format!("{:016x}{:016x}", premier + i, fastrand::u64(..)))
                    .collect();
            }
            Err(actuel) => debut = actuel,
        }
    }
}

/// Checks every record and computes its columns, before any write.
pub(crate) fn preparer(lot: &[NouvelleActivite]) -> Result<Vec<Ligne<'_>>, StoreError> {
    let ids = identifiants(lot.len());
    lot.iter()
        .zip(ids)
        .map(|(n, id)| {
            verifier_nouvelle_activite(n)?;
            Ok(Ligne {
                id,
                n,
                quand: crate::commun::horodatage(n.cree_le),
                c: colonnes(&n.activite, &n.demographies_suivies, OP)?,
            })
        })
        .collect()
}

/// `INSERT INTO activites (…all columns…)` up to the values.
pub(crate) fn debut_insert() -> String {
    format!(
        "INSERT INTO activites ({COLONNES_FIXES}, {}) ",
        colonnes_beneficiaires().join(", ")
    )
}

/// Parameters of one row.
pub(crate) fn parametres_par_ligne() -> usize {
    NOMBRE_COLONNES_FIXES + colonnes_beneficiaires().len()
}

/// The batch's one journal entry: how many records and their dates, no
/// ids (a batch may hold millions).
pub(crate) fn entree_journal(lignes: &[Ligne<'_>]) -> NouvelleEntreeJournal {
    let du = lignes.iter().map(|l| l.c.date).min();
    let au = lignes.iter().map(|l| l.c.date).max();
    let texte = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    NouvelleEntreeJournal {
        quand: crate::commun::horodatage(Utc::now()),
        acteur_id: None,
        action: ACTION_CHARGEMENT_ACTIVITES.to_string(),
        cible: None,
        details: serde_json::json!({
            "activites": lignes.len(),
            "du": texte(du),
            "au": texte(au),
        }),
    }
}

impl crate::sqlite::SqliteStore {
    pub(crate) async fn charger_activites(
        &self,
        lot: &[NouvelleActivite],
    ) -> Result<Vec<String>, StoreError> {
        let lignes = preparer(lot)?;
        if lignes.is_empty() {
            return Ok(Vec::new());
        }
        let debut = debut_insert();
        let par_insert =
            crate::commun::lignes_par_insert(crate::sqlite::MAX_PARAMETRES, parametres_par_ligne())
                .max(1);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(crate::commun::erreur_db(OP))?;
        for paquet in lignes.chunks(par_insert) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(&debut);
            qb.push_values(paquet, |mut b, l| {
                b.push_bind(l.id.clone())
                    .push_bind(l.n.mediateur_id.clone())
                    .push_bind(l.n.structure_id.clone())
                    .push_bind(l.n.departement.clone())
                    .push_bind(l.c.date)
                    .push_bind(l.c.type_activite)
                    .push_bind(l.c.duree_minutes)
                    .push_bind(l.c.type_lieu)
                    .push_bind(l.c.lieu_id.clone())
                    .push_bind(l.c.code_insee.clone())
                    .push_bind(l.c.thematiques)
                    .push_bind(l.c.materiel)
                    .push_bind(l.c.accompagnements)
                    .push_bind(l.c.donnees.clone())
                    .push_bind(l.quand)
                    .push_bind(l.quand);
                for v in &l.c.beneficiaires {
                    b.push_bind(*v);
                }
            });
            qb.build()
                .persistent(true)
                .execute(&mut *tx)
                .await
                .map_err(crate::commun::erreur_db(OP))?;
        }
        sqlx::query(SQL_AGREGATS_PERIMES)
            .execute(&mut *tx)
            .await
            .map_err(crate::commun::erreur_db(OP))?;
        Self::ecrire_journal(&mut tx, &entree_journal(&lignes)).await?;
        tx.commit().await.map_err(crate::commun::erreur_db(OP))?;
        Ok(lignes.into_iter().map(|l| l.id).collect())
    }
}

/// The roll-ups (migration 0012) do not follow a bulk load row by row:
/// they are marked stale in the load's transaction, statistics count on
/// the records until [`crate::Store::reconstruire_agregats`] (or the next
/// start, which rebuilds them).
const SQL_AGREGATS_PERIMES: &str = "UPDATE agregats_etat SET a_reconstruire = 1";

/// Rows per `INSERT … SELECT FROM UNNEST(…)` on PostgreSQL: arrays are
/// not bound by the parameter limit; this bounds one statement's memory.
const LIGNES_PAR_UNNEST: usize = 10_000;

impl crate::postgres::PgStore {
    pub(crate) async fn charger_activites(
        &self,
        lot: &[NouvelleActivite],
    ) -> Result<Vec<String>, StoreError> {
        let lignes = preparer(lot)?;
        if lignes.is_empty() {
            return Ok(Vec::new());
        }
        let beneficiaires = colonnes_beneficiaires();
        let tableaux: Vec<String> = [
            "text",
            "text",
            "text",
            "text",
            "date",
            "text",
            "int4",
            "text",
            "text",
            "text",
            "int8",
            "int4",
            "int4",
            "text",
            "timestamptz",
            "timestamptz",
        ]
        .iter()
        .map(|t| t.to_string())
        .chain(beneficiaires.iter().map(|_| "int4".to_string()))
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect();
        let sql = format!(
            "{}SELECT * FROM UNNEST({})",
            debut_insert(),
            tableaux.join(", ")
        );
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(crate::commun::erreur_db(OP))?;
        for paquet in lignes.chunks(LIGNES_PAR_UNNEST) {
            let textes =
                |f: &dyn Fn(&Ligne<'_>) -> String| paquet.iter().map(f).collect::<Vec<_>>();
            let options =
                |f: &dyn Fn(&Ligne<'_>) -> Option<String>| paquet.iter().map(f).collect::<Vec<_>>();
            let entiers = |f: &dyn Fn(&Ligne<'_>) -> i32| paquet.iter().map(f).collect::<Vec<_>>();
            let mut q = sqlx::query(&sql)
                .bind(textes(&|l| l.id.clone()))
                .bind(textes(&|l| l.n.mediateur_id.clone()))
                .bind(options(&|l| l.n.structure_id.clone()))
                .bind(options(&|l| l.n.departement.clone()))
                .bind(paquet.iter().map(|l| l.c.date).collect::<Vec<_>>())
                .bind(textes(&|l| l.c.type_activite.to_string()))
                .bind(entiers(&|l| l.c.duree_minutes))
                .bind(textes(&|l| l.c.type_lieu.to_string()))
                .bind(options(&|l| l.c.lieu_id.clone()))
                .bind(options(&|l| l.c.code_insee.clone()))
                .bind(paquet.iter().map(|l| l.c.thematiques).collect::<Vec<_>>())
                .bind(entiers(&|l| l.c.materiel))
                .bind(entiers(&|l| l.c.accompagnements))
                .bind(textes(&|l| l.c.donnees.clone()))
                .bind(paquet.iter().map(|l| l.quand).collect::<Vec<_>>())
                .bind(paquet.iter().map(|l| l.quand).collect::<Vec<_>>());
            for i in 0..beneficiaires.len() {
                q = q.bind(entiers(&|l| l.c.beneficiaires.get(i).copied().unwrap_or(0)));
            }
            q.execute(&mut *tx)
                .await
                .map_err(crate::commun::erreur_db(OP))?;
        }
        sqlx::query(SQL_AGREGATS_PERIMES)
            .execute(&mut *tx)
            .await
            .map_err(crate::commun::erreur_db(OP))?;
        Self::ecrire_journal(&mut tx, &entree_journal(&lignes)).await?;
        tx.commit().await.map_err(crate::commun::erreur_db(OP))?;
        Ok(lignes.into_iter().map(|l| l.id).collect())
    }
}

impl crate::Store {
    /// Stores many validated records at once, in one transaction, with one
    /// journal entry ([`ACTION_CHARGEMENT_ACTIVITES`], no actor) for the
    /// whole batch instead of one [`crate::ACTION_CREATION_ACTIVITE`] per
    /// record: for importing a history and for the benchmark, not for a
    /// mediator's own records. Returns the new ids in the order of `lot`.
    /// Checks are [`crate::Store::enregistrer_activite`]'s, all made before
    /// anything is written. Keep batches to some tens of thousands of
    /// records: the batch is held in memory with its columns. The roll-ups
    /// are marked stale: call [`crate::Store::reconstruire_agregats`] after
    /// the last batch (statistics are right meanwhile, only slower).
    pub async fn charger_activites(
        &self,
        lot: &[NouvelleActivite],
    ) -> Result<Vec<String>, StoreError> {
        crate::par_base!(self, charger_activites(lot))
    }
}
