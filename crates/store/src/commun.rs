//! What both backends share: checks done before touching the database, row
//! decoding, error mapping, and the operations themselves (one macro expanded
//! once per backend: the SQL is the same text, `$N` placeholders included).

use crate::colonnes::{self, LigneLue, COLONNES_LIEU};
use crate::{ImportChange, ImportRun, PublishedLieu, StoreError};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sqlx::error::ErrorKind;
use sqlx::{ColumnIndex, Decode, Row, Type};
use std::collections::HashSet;

/// Rows per page when reading large tables (bounded memory per query).
pub(crate) const PAGE_SOURCE_RECORDS: usize = 10_000;
/// Small: SQLite keeps a copy of every fetched value in the C heap until the
/// page is dropped, and the server's heap stays as large as its biggest page.
pub(crate) const PAGE_REGISTRE: usize = 1_000;
/// Ids per `DELETE` statement.
pub(crate) const PAQUET_SUPPRESSIONS: usize = 5_000;

/// The secondary indexes of `registry`, as the migrations of both backends
/// create them (keep in step): dropped and rebuilt around a full publication.
pub(crate) const INDEX_REGISTRE: [(&str, &str); 2] = [
    ("registry_departement", "departement"),
    ("registry_code_insee", "code_insee"),
];

/// Rows per multi-row INSERT so that bound parameters stay under the limit.
pub(crate) const fn lignes_par_insert(max_parametres: usize, colonnes: usize) -> usize {
    max_parametres / colonnes
}

/// Rejects what the database would reject less clearly, before any write.
pub(crate) fn verifier_import(change: &ImportChange) -> Result<(), StoreError> {
    const OP: &str = "la préparation de l'import";
    if !change.run.source.is_empty() && change.run.source != change.source {
        return Err(StoreError::Invalid {
            operation: OP,
            detail: format!(
                "le compte rendu porte la source « {} » mais l'import celle de « {} »",
                change.run.source, change.source
            ),
        });
    }
    let mut vus = HashSet::with_capacity(change.upserts.len());
    for l in &change.upserts {
        if !vus.insert(l.id.as_str()) {
            return Err(StoreError::Conflict {
                operation: OP,
                detail: format!(
                    "l'identifiant « {} » apparaît deux fois dans l'import de la source « {} »",
                    l.id, change.source
                ),
            });
        }
    }
    if let Some(id) = change.deletes.iter().find(|d| vus.contains(d.as_str())) {
        return Err(StoreError::Conflict {
            operation: OP,
            detail: format!(
                "l'identifiant « {id} » est à la fois mis à jour et supprimé dans l'import de la source « {} »",
                change.source
            ),
        });
    }
    Ok(())
}

/// Published ids unique across copies and merged places; a source record
/// copied at most once.
pub(crate) fn verifier_affectations(
    affectations: &[crate::Affectation],
    fusionnes: &[PublishedLieu],
) -> Result<(), StoreError> {
    const OP: &str = "la préparation du registre publié";
    let mut ids: HashSet<&str> = fusionnes.iter().map(|p| p.lieu.id.as_str()).collect();
    let mut cles = HashSet::with_capacity(affectations.len());
    for a in affectations.iter().filter(|a| a.copie) {
        if !ids.insert(a.published_id.as_str()) {
            return Err(StoreError::Conflict {
                operation: OP,
                detail: format!(
                    "l'identifiant publié « {} » apparaît deux fois",
                    a.published_id
                ),
            });
        }
        if !cles.insert((a.source.as_str(), a.source_id.as_str())) {
            return Err(StoreError::Conflict {
                operation: OP,
                detail: format!(
                    "l'enregistrement « {} » de la source « {} » est publié deux fois",
                    a.source_id, a.source
                ),
            });
        }
    }
    Ok(())
}

pub(crate) fn verifier_registre(lieux: &[PublishedLieu]) -> Result<(), StoreError> {
    const OP: &str = "la préparation du registre publié";
    let mut ids = HashSet::with_capacity(lieux.len());
    let mut membres = HashSet::with_capacity(lieux.len());
    for p in lieux {
        if !ids.insert(p.lieu.id.as_str()) {
            return Err(StoreError::Conflict {
                operation: OP,
                detail: format!("l'identifiant publié « {} » apparaît deux fois", p.lieu.id),
            });
        }
        for m in &p.members {
            if !membres.insert((m.source.as_str(), m.source_id.as_str())) {
                return Err(StoreError::Conflict {
                    operation: OP,
                    detail: format!(
                        "l'enregistrement « {} » de la source « {} » est rattaché à deux lieux publiés",
                        m.source_id, m.source
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Maps a sqlx error to a store error naming the operation.
pub(crate) fn erreur_db(operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if let sqlx::Error::Database(d) = &e {
            let detail = d.message().to_string();
            match d.kind() {
                ErrorKind::UniqueViolation => return StoreError::Conflict { operation, detail },
                ErrorKind::CheckViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::ForeignKeyViolation => {
                    return StoreError::Invalid { operation, detail }
                }
                _ => {}
            }
        }
        StoreError::Database {
            operation,
            source: e,
        }
    }
}

/// Whether PostgreSQL aborted the transaction for a deadlock or a
/// serialization conflict (concurrent writes to the same roll-up rows of
/// migration 0012): it rolled back whole, so running it again is safe.
pub(crate) fn conflit_transitoire(e: &StoreError) -> bool {
    match e {
        StoreError::Database {
            source: sqlx::Error::Database(d),
            ..
        } => matches!(d.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// Runs a write transaction again after a [`conflit_transitoire`], after a
/// random pause that doubles each time (so the transactions that collided
/// do not collide again), up to 8 times: the person who typed the record
/// never sees that error.
pub(crate) async fn avec_reprise<T, F, Fut>(mut ecrire: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut reprises: u32 = 0;
    loop {
        match ecrire().await {
            Err(e) if reprises < 8 && conflit_transitoire(&e) => {
                reprises += 1;
                tracing::warn!("écriture reprise après un conflit transitoire : {e}");
                let plafond_ms = 2u64 << reprises.min(7);
                tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(
                    1..=plafond_ms,
                )))
                .await;
            }
            r => return r,
        }
    }
}

/// A counter as stored (BIGINT): refuses what does not fit.
pub(crate) fn compteur(champ: &str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid {
        operation: "l'enregistrement du compte rendu d'import",
        detail: format!("{champ} = {v} dépasse la capacité de la base (2⁶³ − 1)"),
    })
}

/// A counter read back: a negative value means a corrupt row.
pub(crate) fn compteur_lu(champ: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: format!("import_runs.{champ}"),
        detail: format!("valeur négative {v}"),
    })
}

/// Run timestamps are kept to the microsecond (PostgreSQL's precision).
pub(crate) fn horodatage(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

pub(crate) fn valeur<'r, R, T>(row: &'r R, index: usize, what: &str) -> Result<T, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get(index).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        detail: e.to_string(),
    })
}

/// Reads the [`COLONNES_LIEU`] columns starting at `debut`.
pub(crate) fn lire_lieu<'r, R>(
    row: &'r R,
    debut: usize,
    table: &str,
) -> Result<LigneLue, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
    NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
{
    // The column name is formatted on the error path only (hot loop).
    fn lire<'r, R, T>(row: &'r R, debut: usize, i: usize, table: &str) -> Result<T, StoreError>
    where
        R: Row,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        row.try_get(debut + i).map_err(|e| StoreError::Corrupt {
            what: format!("{table}.{}", COLONNES_LIEU[i]),
            detail: e.to_string(),
        })
    }
    let mut textes = Vec::with_capacity(32);
    for i in 0..32 {
        textes.push(if colonnes::est_texte(i) {
            lire::<R, Option<String>>(row, debut, i, table)?
        } else {
            None
        });
    }
    Ok(LigneLue {
        textes,
        latitude: lire(row, debut, colonnes::index_latitude(), table)?,
        longitude: lire(row, debut, colonnes::index_longitude(), table)?,
        date_maj: lire(row, debut, colonnes::index_date_maj(), table)?,
        precision: lire(row, debut, 33, table)?,
        fingerprint: lire(row, debut, 34, table)?,
    })
}

/// Reads an import run from `id, source_name, at, files, counters…`.
pub(crate) fn lire_run<'r, R>(row: &'r R) -> Result<ImportRun, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    let files: String = valeur(row, 3, "import_runs.files")?;
    let files: Vec<String> = serde_json::from_str(&files).map_err(|e| StoreError::Corrupt {
        what: "import_runs.files".to_string(),
        detail: e.to_string(),
    })?;
    let n = |i: usize, champ: &str| -> Result<u64, StoreError> {
        compteur_lu(champ, valeur(row, i, &format!("import_runs.{champ}"))?)
    };
    Ok(ImportRun {
        source: valeur(row, 1, "import_runs.source_name")?,
        at: valeur(row, 2, "import_runs.at")?,
        files,
        rows_read: n(4, "rows_read")?,
        rows_valid: n(5, "rows_valid")?,
        rows_rejected: n(6, "rows_rejected")?,
        added: n(7, "added")?,
        changed: n(8, "changed")?,
        removed: n(9, "removed")?,
        warnings: n(10, "warnings")?,
    })
}

pub(crate) const COLONNES_RUN: &str = "id, source_name, at, files, rows_read, rows_valid, \
     rows_rejected, added, changed, removed, warnings";

/// Longest text of a report kept by the store (characters); longer texts
/// are refused before any write.
pub(crate) const LONGUEUR_MAX_SIGNALEMENT: usize = 5_000;

/// Rejects a report the table would hold badly.
pub(crate) fn verifier_signalement(s: &crate::NouveauSignalement) -> Result<(), StoreError> {
    const OP: &str = "l'enregistrement d'un signalement";
    let invalide = |detail: String| {
        Err(StoreError::Invalid {
            operation: OP,
            detail,
        })
    };
    if s.lieu_id.trim().is_empty() {
        return invalide("identifiant de lieu vide".to_string());
    }
    if s.categorie.trim().is_empty() {
        return invalide("catégorie vide".to_string());
    }
    for (champ, texte) in [
        ("lieu_id", s.lieu_id.as_str()),
        ("categorie", s.categorie.as_str()),
        ("message", s.message.as_str()),
        ("courriel", s.courriel.as_deref().unwrap_or_default()),
    ] {
        let n = texte.chars().count();
        if n > LONGUEUR_MAX_SIGNALEMENT {
            return invalide(format!(
                "{champ} de {n} caractères, au-delà du maximum de {LONGUEUR_MAX_SIGNALEMENT}"
            ));
        }
    }
    Ok(())
}

/// Reads a report from `id, lieu_id, categorie, message, courriel, cree_le, ferme_le`.
pub(crate) fn lire_signalement<'r, R>(row: &'r R) -> Result<crate::Signalement, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(crate::Signalement {
        id: valeur(row, 0, "signalements.id")?,
        lieu_id: valeur(row, 1, "signalements.lieu_id")?,
        categorie: valeur(row, 2, "signalements.categorie")?,
        message: valeur(row, 3, "signalements.message")?,
        courriel: valeur(row, 4, "signalements.courriel")?,
        cree_le: valeur(row, 5, "signalements.cree_le")?,
        ferme_le: valeur(row, 6, "signalements.ferme_le")?,
    })
}

pub(crate) const COLONNES_SIGNALEMENT: &str =
    "id, lieu_id, categorie, message, courriel, cree_le, ferme_le";

/// The operations, written once, expanded for each backend.
/// `$store` has a field `pool: sqlx::Pool<$db>`, `condition_dans` (a
/// "column in list" condition) and the bulk writers
/// `ecrire_source_records` and `ecrire_registre` (see [`ecritures_multilignes`]).
macro_rules! operations {
    ($store:ident, $db:ty) => {
        impl $store {
            pub(crate) async fn fingerprints(
                &self,
                source: &str,
            ) -> Result<std::collections::HashMap<String, String>, $crate::StoreError> {
                const OP: &str = "la lecture des empreintes";
                let rows = sqlx::query(
                    "SELECT id, fingerprint FROM source_records WHERE source_name = $1",
                )
                .bind(source)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let mut out = std::collections::HashMap::with_capacity(rows.len());
                for row in &rows {
                    out.insert(
                        $crate::commun::valeur(row, 0, "source_records.id")?,
                        $crate::commun::valeur(row, 1, "source_records.fingerprint")?,
                    );
                }
                Ok(out)
            }

            pub(crate) async fn apply_import(
                &self,
                change: &$crate::ImportChange,
            ) -> Result<(), $crate::StoreError> {
                const OP_DELETE: &str = "la suppression des lieux de la source";
                const OP_RUN: &str = "l'enregistrement du compte rendu d'import";
                const OP_TX: &str = "la transaction d'import";
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP_TX))?;
                Self::ecrire_source_records(&mut *tx, &change.source, &change.upserts).await?;
                for paquet in change.deletes.chunks($crate::commun::PAQUET_SUPPRESSIONS) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "DELETE FROM source_records WHERE source_name = ",
                    );
                    qb.push_bind(change.source.clone());
                    qb.push(" AND ");
                    Self::condition_dans(&mut qb, "id", paquet.to_vec());
                    qb.build()
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::commun::erreur_db(OP_DELETE))?;
                }
                let run = &change.run;
                let files = serde_json::to_string(&run.files).map_err(|e| {
                    $crate::StoreError::Invalid {
                        operation: OP_RUN,
                        detail: e.to_string(),
                    }
                })?;
                use $crate::commun::compteur;
                sqlx::query(
                    "INSERT INTO import_runs (source_name, at, files, rows_read, rows_valid, \
                     rows_rejected, added, changed, removed, warnings) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&change.source)
                .bind($crate::commun::horodatage(run.at))
                .bind(files)
                .bind(compteur("rows_read", run.rows_read)?)
                .bind(compteur("rows_valid", run.rows_valid)?)
                .bind(compteur("rows_rejected", run.rows_rejected)?)
                .bind(compteur("added", run.added)?)
                .bind(compteur("changed", run.changed)?)
                .bind(compteur("removed", run.removed)?)
                .bind(compteur("warnings", run.warnings)?)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP_RUN))?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP_TX))?;
                Ok(())
            }

            pub(crate) async fn source_records(
                &self,
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                self.source_records_colonnes(&$crate::colonnes::liste_colonnes(""))
                    .await
            }


            pub(crate) async fn departements_des_sources(
                &self,
            ) -> Result<Vec<Option<String>>, $crate::StoreError> {
                sqlx::query_scalar("SELECT DISTINCT departement FROM source_records ORDER BY departement")
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("la lecture des départements des sources"))
            }

            pub(crate) async fn source_records_pour_regroupement(
                &self,
                departement: Option<&str>,
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                let mut conn = self
                    .pool
                    .acquire()
                    .await
                    .map_err($crate::commun::erreur_db("la lecture des enregistrements des sources"))?;
                Self::lire_regroupement(&mut *conn, departement).await
            }

            pub(crate) async fn lire_regroupement(
                conn: &mut <$db as sqlx::Database>::Connection,
                departement: Option<&str>,
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                const OP: &str = "la lecture des enregistrements des sources";
                let (filtre, sep) = match departement {
                    Some(_) => ("departement = $1", 2),
                    None => ("departement IS NULL", 1),
                };
                let q = format!(
                    "SELECT source_name, latitude, longitude, {} FROM source_records WHERE {filtre} ORDER BY source_name, id",
                    $crate::colonnes::expression_regroupement(sep)
                );
                let mut q = sqlx::query(&q);
                if let Some(d) = departement {
                    q = q.bind(d.to_string());
                }
                let rows = q
                    .bind($crate::colonnes::SEPARATEUR_REGROUPEMENT)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let source: String = $crate::commun::valeur(row, 0, "source_records.source_name")?;
                    let latitude: Option<f64> = $crate::commun::valeur(row, 1, "source_records.latitude")?;
                    let longitude: Option<f64> = $crate::commun::valeur(row, 2, "source_records.longitude")?;
                    let paquet: &str = $crate::commun::valeur(row, 3, "source_records")?;
                    out.push($crate::SourceRecord {
                        source,
                        lieu: $crate::colonnes::lieu_regroupement(paquet, latitude, longitude)?,
                        fingerprint: String::new(),
                    });
                }
                Ok(out)
            }

            async fn source_records_colonnes(
                &self,
                colonnes: &str,
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                const OP: &str = "la lecture des enregistrements des sources";
                let premiere = format!(
                    "SELECT source_name, {colonnes} FROM source_records \
                     ORDER BY source_name, id LIMIT $1"
                );
                // Keyset paging on the primary key: constant cost per page.
                let suivante = format!(
                    "SELECT source_name, {colonnes} FROM source_records \
                     WHERE (source_name, id) > ($2, $3) ORDER BY source_name, id LIMIT $1"
                );
                let page = $crate::commun::PAGE_SOURCE_RECORDS;
                let mut out = Vec::new();
                let mut apres: Option<(String, String)> = None;
                loop {
                    let q = match &apres {
                        None => sqlx::query(&premiere).bind(page as i64),
                        Some((s, id)) => sqlx::query(&suivante)
                            .bind(page as i64)
                            .bind(s.clone())
                            .bind(id.clone()),
                    };
                    let rows = q
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?;
                    let n = rows.len();
                    for row in &rows {
                        let source: String =
                            $crate::commun::valeur(row, 0, "source_records.source_name")?;
                        let ligne = $crate::commun::lire_lieu(row, 1, "source_records")?;
                        let lieu = ligne.en_lieu("source_records")?;
                        out.push($crate::SourceRecord {
                            source,
                            lieu,
                            fingerprint: ligne.fingerprint,
                        });
                    }
                    if n < page {
                        break;
                    }
                    apres = out
                        .last()
                        .map(|r: &$crate::SourceRecord| (r.source.clone(), r.lieu.id.to_string()));
                }
                Ok(out)
            }

            pub(crate) async fn sources(
                &self,
            ) -> Result<Vec<$crate::SourceSummary>, $crate::StoreError> {
                const OP: &str = "la lecture du résumé des sources";
                let mut resume: std::collections::BTreeMap<String, $crate::SourceSummary> =
                    std::collections::BTreeMap::new();
                let rows = sqlx::query(
                    "SELECT source_name, COUNT(*) FROM source_records GROUP BY source_name",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                for row in &rows {
                    let name: String = $crate::commun::valeur(row, 0, "source_records.source_name")?;
                    let n: i64 = $crate::commun::valeur(row, 1, "COUNT(*)")?;
                    resume.insert(
                        name.clone(),
                        $crate::SourceSummary {
                            name,
                            records: $crate::commun::compteur_lu("records", n)?,
                            last_run: None,
                        },
                    );
                }
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM import_runs r WHERE r.id = (SELECT r2.id FROM import_runs r2 \
                     WHERE r2.source_name = r.source_name ORDER BY r2.at DESC, r2.id DESC LIMIT 1)",
                    $crate::commun::COLONNES_RUN
                ))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                for row in &rows {
                    let run = $crate::commun::lire_run(row)?;
                    let name = run.source.clone();
                    resume
                        .entry(name.clone())
                        .or_insert_with(|| $crate::SourceSummary {
                            name,
                            records: 0,
                            last_run: None,
                        })
                        .last_run = Some(run);
                }
                Ok(resume.into_values().collect())
            }

            pub(crate) async fn replace_registry(
                &self,
                lieux: &[$crate::PublishedLieu],
            ) -> Result<(), $crate::StoreError> {
                const OP_VIDER: &str = "la suppression de l'ancien registre publié";
                const OP_TX: &str = "la transaction de publication du registre";
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP_TX))?;
                for sql in ["DELETE FROM registry_members", "DELETE FROM registry"] {
                    sqlx::query(sql)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::commun::erreur_db(OP_VIDER))?;
                }
                Self::ecrire_registre(&mut *tx, lieux).await?;
                sqlx::query("UPDATE registry_version SET version = version + 1 WHERE singleton = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP_TX))?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP_TX))?;
                Ok(())
            }

            pub(crate) async fn registry(
                &self,
                filtre: &$crate::FiltreRegistre,
            ) -> Result<Vec<$crate::PublishedLieu>, $crate::StoreError> {
                const OP: &str = "la lecture du registre publié";
                let vide = |l: &Option<Vec<String>>| matches!(l, Some(v) if v.is_empty());
                if vide(&filtre.departements) || vide(&filtre.codes_insee) || filtre.limit == Some(0)
                {
                    return Ok(Vec::new());
                }
                let colonnes = $crate::colonnes::liste_colonnes("");
                let mut out: Vec<$crate::PublishedLieu> = Vec::new();
                loop {
                    let page = match filtre.limit {
                        Some(l) => (l.saturating_sub(out.len() as u64))
                            .min($crate::commun::PAGE_REGISTRE as u64)
                            as usize,
                        None => $crate::commun::PAGE_REGISTRE,
                    };
                    if page == 0 {
                        break;
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT group_id, {colonnes} FROM registry WHERE 1 = 1"
                    ));
                    if let Some(dernier) = out.last() {
                        qb.push(" AND id > ").push_bind(dernier.lieu.id.to_string());
                    }
                    for (colonne, liste) in [
                        ("departement", &filtre.departements),
                        ("code_insee", &filtre.codes_insee),
                    ] {
                        if let Some(liste) = liste {
                            qb.push(" AND ");
                            Self::condition_dans(&mut qb, colonne, liste.clone());
                        }
                    }
                    qb.push(" ORDER BY id LIMIT ").push_bind(page as i64);
                    let rows = qb
                        .build()
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?;
                    let n = rows.len();
                    let debut = out.len();
                    for row in &rows {
                        let group_id: String = $crate::commun::valeur(row, 0, "registry.group_id")?;
                        let lieu = $crate::commun::lire_lieu(row, 1, "registry")?.en_lieu("registry")?;
                        out.push($crate::PublishedLieu {
                            lieu,
                            group_id,
                            members: Vec::new(),
                        });
                    }
                    self.attacher_membres(&mut out[debut..]).await?;
                    if n < page {
                        break;
                    }
                }
                Ok(out)
            }

            /// Fills `members` of these places (one query).
            async fn attacher_membres(
                &self,
                lieux: &mut [$crate::PublishedLieu],
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la lecture des provenances";
                if lieux.is_empty() {
                    return Ok(());
                }
                let index: std::collections::HashMap<String, usize> = lieux
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.lieu.id.to_string(), i))
                    .collect();
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT lieu_id, source_name, source_id FROM registry_members WHERE ",
                );
                Self::condition_dans(
                    &mut qb,
                    "lieu_id",
                    lieux.iter().map(|p| p.lieu.id.to_string()).collect(),
                );
                qb.push(" ORDER BY lieu_id, position");
                // Not kept prepared: with up to 10,000 values this statement
                // is large, and SQLite would hold it for the connection's life.
                let rows = qb
                    .build()
                    .persistent(false)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                for row in &rows {
                    let lieu_id: String = $crate::commun::valeur(row, 0, "registry_members.lieu_id")?;
                    if let Some(&i) = index.get(&lieu_id) {
                        lieux[i].members.push($crate::Provenance {
                            source: $crate::commun::valeur(row, 1, "registry_members.source_name")?,
                            source_id: $crate::commun::valeur(row, 2, "registry_members.source_id")?,
                        });
                    }
                }
                Ok(())
            }

            pub(crate) async fn registry_count(&self) -> Result<u64, $crate::StoreError> {
                let row = sqlx::query("SELECT COUNT(*) FROM registry")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("le comptage du registre publié"))?;
                $crate::commun::compteur_lu("COUNT(*)", $crate::commun::valeur(&row, 0, "COUNT(*)")?)
            }

            pub(crate) async fn published(
                &self,
                id: &str,
            ) -> Result<Option<$crate::PublishedLieu>, $crate::StoreError> {
                const OP: &str = "la lecture d'un lieu publié";
                let sql = format!(
                    "SELECT group_id, {} FROM registry WHERE id = $1",
                    $crate::colonnes::liste_colonnes("")
                );
                let row = sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let group_id: String = $crate::commun::valeur(&row, 0, "registry.group_id")?;
                let lieu = $crate::commun::lire_lieu(&row, 1, "registry")?.en_lieu("registry")?;
                let mut lieux = [$crate::PublishedLieu {
                    lieu,
                    group_id,
                    members: Vec::new(),
                }];
                self.attacher_membres(&mut lieux).await?;
                let [p] = lieux;
                Ok(Some(p))
            }

            pub(crate) async fn import_runs(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::ImportRun>, $crate::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM import_runs ORDER BY at DESC, id DESC LIMIT $1",
                    $crate::commun::COLONNES_RUN
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des comptes rendus d'import"))?;
                rows.iter().map($crate::commun::lire_run).collect()
            }

            /// Full source records for the given keys (the members of merged
            /// groups), through a temporary key table.
            pub(crate) async fn source_records_par_cles(
                &self,
                cles: &[(String, String)],
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                let mut conn = self
                    .pool
                    .acquire()
                    .await
                    .map_err($crate::commun::erreur_db("la lecture des enregistrements à fusionner"))?;
                Self::lire_par_cles(&mut *conn, cles).await
            }

            pub(crate) async fn lire_par_cles(
                conn: &mut <$db as sqlx::Database>::Connection,
                cles: &[(String, String)],
            ) -> Result<Vec<$crate::SourceRecord>, $crate::StoreError> {
                const OP: &str = "la lecture des enregistrements à fusionner";
                for sql in [
                    "CREATE TEMP TABLE IF NOT EXISTS cles_lecture (source_name TEXT NOT NULL, id TEXT NOT NULL)",
                    "DELETE FROM cles_lecture",
                ] {
                    sqlx::query(sql).execute(&mut *conn).await.map_err($crate::commun::erreur_db(OP))?;
                }
                for paquet in cles.chunks($crate::commun::lignes_par_insert(30_000, 2)) {
                    let mut qb = sqlx::QueryBuilder::new("INSERT INTO cles_lecture (source_name, id) ");
                    qb.push_values(paquet, |mut b, (source, id)| {
                        b.push_bind(source.clone()).push_bind(id.clone());
                    });
                    qb.build().execute(&mut *conn).await.map_err($crate::commun::erreur_db(OP))?;
                }
                let rows = sqlx::query(&format!(
                    "SELECT s.source_name, {} FROM source_records s \
                     JOIN cles_lecture c ON c.source_name = s.source_name AND c.id = s.id \
                     ORDER BY s.source_name, s.id",
                    $crate::colonnes::liste_colonnes("s.")
                ))
                .fetch_all(&mut *conn)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let source: String = $crate::commun::valeur(row, 0, "source_records.source_name")?;
                    let ligne = $crate::commun::lire_lieu(row, 1, "source_records")?;
                    out.push($crate::SourceRecord {
                        source,
                        lieu: ligne.en_lieu("source_records")?,
                        fingerprint: ligne.fingerprint,
                    });
                }
                sqlx::query("DROP TABLE cles_lecture")
                    .execute(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                Ok(out)
            }

            /// One transaction: the published registry becomes the merged
            /// places `fusionnes` plus, for every `Affectation` marked `copie`,
            /// the source record itself under its published id — copied inside
            /// the database, so a national registry never crosses the wire twice.
            pub(crate) async fn publish_groups(
                &self,
                affectations: &[$crate::Affectation],
                fusionnes: &[$crate::PublishedLieu],
            ) -> Result<(), $crate::StoreError> {
                let mut tx = self.commencer_publication().await?;
                let copies: Vec<&$crate::Affectation> = affectations.iter().filter(|a| a.copie).collect();
                Self::publier_copies(&mut *tx, &copies).await?;
                Self::terminer_publication(tx, fusionnes).await
            }

            /// Opens the transaction that replaces the registry: nothing is
            /// visible to readers before [`Self::terminer_publication`].
            pub(crate) async fn commencer_publication(
                &self,
            ) -> Result<sqlx::Transaction<'static, $db>, $crate::StoreError> {
                const OP: &str = "la publication du registre";
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                // Secondary indexes are rebuilt once at the end: sorting a
                // million keys beats a million random index insertions.
                for (nom, _) in $crate::commun::INDEX_REGISTRE {
                    sqlx::query(&format!("DROP INDEX IF EXISTS {nom}"))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?;
                }
                for sql in [
                    "DELETE FROM registry_members",
                    "DELETE FROM registry",
                    "CREATE TEMP TABLE IF NOT EXISTS affectations (source_name TEXT NOT NULL, id TEXT NOT NULL, \
                     group_id TEXT NOT NULL, published_id TEXT NOT NULL, position BIGINT NOT NULL)",
                    "DELETE FROM affectations",
                ] {
                    sqlx::query(sql).execute(&mut *tx).await.map_err($crate::commun::erreur_db(OP))?;
                }
                Ok(tx)
            }

            /// Publishes places found in one source only, as copies of their
            /// source records made inside the database.
            pub(crate) async fn publier_copies(
                conn: &mut <$db as sqlx::Database>::Connection,
                copies: &[&$crate::Affectation],
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la publication du registre";
                let mut copies = copies.to_vec();
                // In primary-key order of source_records: the copy below then
                // reads the table sequentially instead of seeking for each row
                // (2.5 times faster on SQLite).
                copies.sort_unstable_by(|a, b| {
                    (a.source.as_str(), a.source_id.as_str()).cmp(&(b.source.as_str(), b.source_id.as_str()))
                });
                for paquet in copies.chunks($crate::commun::lignes_par_insert(30_000, 5)) {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO affectations (source_name, id, group_id, published_id, position) ",
                    );
                    qb.push_values(paquet, |mut b, a| {
                        b.push_bind(a.source.clone())
                            .push_bind(a.source_id.clone())
                            .push_bind(a.group_id.clone())
                            .push_bind(a.published_id.clone())
                            .push_bind(0_i64);
                    });
                    qb.build().execute(&mut *conn).await.map_err($crate::commun::erreur_db(OP))?;
                }
                let autres: Vec<&str> = $crate::COLONNES_LIEU.iter().copied().filter(|c| *c != "id").collect();
                let colonnes_s: Vec<String> = autres.iter().map(|c| format!("s.{c}")).collect();
                let copie = format!(
                    "INSERT INTO registry (group_id, id, {}) SELECT a.group_id, a.published_id, {} \
                     FROM affectations a JOIN source_records s ON s.source_name = a.source_name AND s.id = a.id",
                    autres.join(", "),
                    colonnes_s.join(", ")
                );
                let r = sqlx::query(&copie).execute(&mut *conn).await.map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() != copies.len() as u64 {
                    return Err($crate::StoreError::Invalid {
                        operation: OP,
                        detail: format!(
                            "{} enregistrements de sources à publier, {} trouvés : la base a changé pendant la consolidation",
                            copies.len(),
                            r.rows_affected()
                        ),
                    });
                }
                for sql in [
                    "INSERT INTO registry_members (lieu_id, position, source_name, source_id) \
                     SELECT published_id, position, source_name, id FROM affectations",
                    "DELETE FROM affectations",
                ] {
                    sqlx::query(sql).execute(&mut *conn).await.map_err($crate::commun::erreur_db(OP))?;
                }
                Ok(())
            }

            /// Writes the merged places, rebuilds the indexes and commits.
            pub(crate) async fn terminer_publication(
                mut tx: sqlx::Transaction<'static, $db>,
                fusionnes: &[$crate::PublishedLieu],
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la publication du registre";
                sqlx::query("DROP TABLE affectations")
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                Self::ecrire_registre(&mut *tx, fusionnes).await?;
                for (nom, colonnes) in $crate::commun::INDEX_REGISTRE {
                    sqlx::query(&format!("CREATE INDEX {nom} ON registry ({colonnes})"))
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::commun::erreur_db(OP))?;
                }
                sqlx::query("UPDATE registry_version SET version = version + 1 WHERE singleton = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(())
            }

            pub(crate) async fn registry_version(&self) -> Result<i64, $crate::StoreError> {
                let row = sqlx::query("SELECT version FROM registry_version WHERE singleton = 1")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("la lecture de la version du registre"))?;
                $crate::commun::valeur(&row, 0, "registry_version.version")
            }

            pub(crate) async fn add_signalement(
                &self,
                s: &$crate::NouveauSignalement,
            ) -> Result<i64, $crate::StoreError> {
                let row = sqlx::query(
                    "INSERT INTO signalements (lieu_id, categorie, message, courriel, cree_le) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&s.lieu_id)
                .bind(&s.categorie)
                .bind(&s.message)
                .bind(&s.courriel)
                .bind($crate::commun::horodatage(s.cree_le))
                .fetch_one(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("l'enregistrement d'un signalement"))?;
                $crate::commun::valeur(&row, 0, "signalements.id")
            }

            pub(crate) async fn signalements_ouverts(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::Signalement>, $crate::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM signalements WHERE ferme_le IS NULL \
                     ORDER BY cree_le, id LIMIT $1",
                    $crate::commun::COLONNES_SIGNALEMENT
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des signalements"))?;
                rows.iter().map($crate::commun::lire_signalement).collect()
            }

            pub(crate) async fn signalements_ouverts_count(&self) -> Result<u64, $crate::StoreError> {
                let row = sqlx::query("SELECT COUNT(*) FROM signalements WHERE ferme_le IS NULL")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db("le comptage des signalements"))?;
                $crate::commun::compteur_lu("COUNT(*)", $crate::commun::valeur(&row, 0, "COUNT(*)")?)
            }

            pub(crate) async fn fermer_signalement(
                &self,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                let r = sqlx::query(
                    "UPDATE signalements SET ferme_le = $1, courriel = NULL \
                     WHERE id = $2 AND ferme_le IS NULL",
                )
                .bind($crate::commun::horodatage(at))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la clôture d'un signalement"))?;
                Ok(r.rows_affected() == 1)
            }

            pub(crate) async fn purger_signalements(
                &self,
                fermes_avant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                let r = sqlx::query(
                    "DELETE FROM signalements WHERE ferme_le IS NOT NULL AND ferme_le < $1",
                )
                .bind($crate::commun::horodatage(fermes_avant))
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la purge des signalements"))?;
                Ok(r.rows_affected())
            }
        }
    };
}

pub(crate) use operations;

/// Bulk writers as chunked multi-row INSERTs (`$max_params` = the backend's
/// limit of bound parameters per statement).
#[allow(unused_macros)]
macro_rules! ecritures_multilignes {
    ($store:ident, $db:ty, $max_params:expr) => {
        impl $store {
            async fn ecrire_source_records(
                conn: &mut <$db as sqlx::Database>::Connection,
                source: &str,
                lieux: &[maillage_lieux::Lieu],
            ) -> Result<(), $crate::StoreError> {
                use $crate::colonnes::Cellule;
                const OP_UPSERT: &str = "l'enregistrement des lieux de la source";
                let par_insert =
                    $crate::commun::lignes_par_insert($max_params, $crate::COLONNES_LIEU.len() + 1);
                let debut = format!(
                    "INSERT INTO source_records (source_name, {}) ",
                    $crate::colonnes::liste_colonnes("")
                );
                let fin = format!(
                    " ON CONFLICT (source_name, id) DO UPDATE SET {}",
                    $crate::colonnes::mise_a_jour_colonnes()
                );
                for paquet in lieux.chunks(par_insert.max(1)) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(&debut);
                    qb.push_values(paquet, |mut b, lieu| {
                        b.push_bind(source.to_string());
                        for c in $crate::colonnes::cellules(lieu) {
                            match c {
                                Cellule::Requis(v) => b.push_bind(v),
                                Cellule::Texte(v) => b.push_bind(v),
                                Cellule::Reel(v) => b.push_bind(v),
                                Cellule::Date(v) => b.push_bind(v),
                            };
                        }
                    });
                    qb.push(&fin);
                    qb.build()
                        .persistent(true)
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::commun::erreur_db(OP_UPSERT))?;
                }
                Ok(())
            }

            async fn ecrire_registre(
                conn: &mut <$db as sqlx::Database>::Connection,
                lieux: &[$crate::PublishedLieu],
            ) -> Result<(), $crate::StoreError> {
                use $crate::colonnes::Cellule;
                const OP_LIEUX: &str = "l'enregistrement des lieux publiés";
                const OP_MEMBRES: &str = "l'enregistrement des provenances";
                let debut = format!(
                    "INSERT INTO registry (group_id, {}) ",
                    $crate::colonnes::liste_colonnes("")
                );
                let par_insert =
                    $crate::commun::lignes_par_insert($max_params, $crate::COLONNES_LIEU.len() + 1);
                for paquet in lieux.chunks(par_insert.max(1)) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(&debut);
                    qb.push_values(paquet, |mut b, p| {
                        b.push_bind(p.group_id.clone());
                        for c in $crate::colonnes::cellules(&p.lieu) {
                            match c {
                                Cellule::Requis(v) => b.push_bind(v),
                                Cellule::Texte(v) => b.push_bind(v),
                                Cellule::Reel(v) => b.push_bind(v),
                                Cellule::Date(v) => b.push_bind(v),
                            };
                        }
                    });
                    qb.build()
                        .persistent(true)
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::commun::erreur_db(OP_LIEUX))?;
                }
                let membres: Vec<(&str, i64, &$crate::Provenance)> = lieux
                    .iter()
                    .flat_map(|p| {
                        p.members
                            .iter()
                            .enumerate()
                            .map(move |(i, m)| (p.lieu.id.as_str(), i as i64, m))
                    })
                    .collect();
                let par_insert = $crate::commun::lignes_par_insert($max_params, 4);
                for paquet in membres.chunks(par_insert) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO registry_members (lieu_id, position, source_name, source_id) ",
                    );
                    qb.push_values(paquet, |mut b, (id, position, m)| {
                        b.push_bind(id.to_string())
                            .push_bind(*position)
                            .push_bind(m.source.clone())
                            .push_bind(m.source_id.clone());
                    });
                    qb.build()
                        .persistent(true)
                        .execute(&mut *conn)
                        .await
                        .map_err($crate::commun::erreur_db(OP_MEMBRES))?;
                }
                Ok(())
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use ecritures_multilignes;
