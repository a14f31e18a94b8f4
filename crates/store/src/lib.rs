//! # maillage-store — storage of the registry on SQLite or PostgreSQL
//!
//! One storage interface ([`Store`]), two implementations (SQLite and
//! PostgreSQL, each with its own embedded migrations folder run by
//! `sqlx::migrate!`), one behavioural suite (`tests/conformance.rs`) run on
//! both, after atuin's server storage.
//!
//! The registry has two layers:
//! - **source records**: what each source said, keyed by `(source, id)`,
//!   replaced by each import of that source ([`Store::apply_import`]);
//! - the **published registry**: merged places, each with its provenance (the
//!   source records it came from), rebuilt by consolidation
//!   ([`Store::replace_registry`]).
//!
//! Every place is a [`Lieu`]: its 32 fields are columns (lists as the
//! standard's `|` texts), plus `departement`, `precision_coordonnees` and
//! `fingerprint` ([`Lieu::empreinte`]).
//!
//! Writes are chunked multi-row `INSERT`s in one transaction; reads of large
//! tables are paged on the primary key so memory stays bounded by the result.

mod colonnes;
mod commun;
mod postgres;
mod sqlite;

use chrono::{DateTime, Utc};
use maillage_lieux::Lieu;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use colonnes::COLONNES_LIEU;

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage of the registry. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// Where one source record goes in the published registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affectation {
    pub source: String,
    pub source_id: String,
    pub group_id: String,
    pub published_id: String,
    /// Published as is (a group of one): the store copies the source record.
    /// Otherwise the record is a member of a merged place given separately.
    pub copie: bool,
}

/// What one source said about one place.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Name of the import source (not the standard's `source` field).
    pub source: String,
    pub lieu: Lieu,
    pub fingerprint: String,
}

/// The changes of one import of one source, applied atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportChange {
    pub source: String,
    /// Places to insert or replace, keyed by `(source, lieu.id)`.
    pub upserts: Vec<Lieu>,
    /// Ids (`lieu.id`) of this source's records to delete.
    pub deletes: Vec<String>,
    /// The run to record. An empty `run.source` means `source`.
    pub run: ImportRun,
}

/// The account of one import run. `at` is stored to the microsecond.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportRun {
    pub source: String,
    pub at: DateTime<Utc>,
    pub files: Vec<String>,
    pub rows_read: u64,
    pub rows_valid: u64,
    pub rows_rejected: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub warnings: u64,
}

/// A place of the published registry, with the source records it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedLieu {
    pub lieu: Lieu,
    pub group_id: String,
    /// In the order given to [`Store::replace_registry`].
    pub members: Vec<Provenance>,
}

/// A reference to a source record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Provenance {
    pub source: String,
    pub source_id: String,
}

/// A filter on the published registry. `None` means "no condition"; an empty
/// list matches nothing. `Default` = everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FiltreRegistre {
    pub departements: Option<Vec<String>>,
    pub codes_insee: Option<Vec<String>>,
    pub limit: Option<u64>,
}

/// One source known to the store: it has records, runs, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub name: String,
    /// Number of source records currently stored.
    pub records: u64,
    /// The newest run of this source, if any.
    pub last_run: Option<ImportRun>,
}

/// An error report to store, sent by a visitor from a place's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouveauSignalement {
    /// Published id of the place.
    pub lieu_id: String,
    /// What is wrong (a short code chosen from a list by the web layer).
    pub categorie: String,
    pub message: String,
    /// Optional, so a steward can answer; erased when the report is closed.
    pub courriel: Option<String>,
    /// Stored to the microsecond.
    pub cree_le: DateTime<Utc>,
}

/// A stored error report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signalement {
    pub id: i64,
    pub lieu_id: String,
    pub categorie: String,
    pub message: String,
    pub courriel: Option<String>,
    pub cree_le: DateTime<Utc>,
    /// `None` while the report is open.
    pub ferme_le: Option<DateTime<Utc>>,
}

/// Errors of the store. Each names what failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données non reconnue (« {scheme} ») : formes acceptées : \
         sqlite://chemin, sqlite:chemin, sqlite::memory:, postgres://… ou postgresql://…"
    )]
    InvalidUrl { scheme: String },
    #[error("connexion impossible à {target} : {source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("échec des migrations de la base {target} : {source}")]
    Migrate {
        target: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A uniqueness rule would be violated (duplicate id, duplicate provenance).
    #[error("conflit pendant {operation} : {detail}")]
    Conflict {
        operation: &'static str,
        detail: String,
    },
    /// A value was refused by a rule of the schema (empty id, empty source…).
    #[error("valeur refusée par la base pendant {operation} : {detail}")]
    Invalid {
        operation: &'static str,
        detail: String,
    },
    #[error("erreur de la base de données pendant {operation} : {source}")]
    Database {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A stored value cannot be read back (should never happen).
    #[error("donnée illisible dans la base ({what}) : {detail}")]
    Corrupt { what: String, detail: String },
}

impl Store {
    /// `sqlite://path` or `sqlite:path` (created if missing, WAL, foreign keys,
    /// busy timeout), `sqlite::memory:`, `postgres://…`/`postgresql://…`.
    /// Applies the embedded migrations (idempotent).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Self::connect_avec_cache(url, sqlite::CACHE_TRAITEMENTS_KIO).await
    }

    /// [`Store::connect`] for a long-running web server: it reads the
    /// registry once into memory, so SQLite keeps a small page cache per
    /// connection (the batch commands' large one would stay allocated).
    pub async fn connect_serveur(url: &str) -> Result<Store, StoreError> {
        Self::connect_avec_cache(url, sqlite::CACHE_SERVEUR_KIO).await
    }

    async fn connect_avec_cache(url: &str, cache_kio: u32) -> Result<Store, StoreError> {
        let url = url.trim();
        let inner = if url.starts_with("sqlite:") {
            Inner::Sqlite(sqlite::SqliteStore::connect(url, cache_kio).await?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Inner::Postgres(postgres::PgStore::connect(url).await?)
        } else {
            // Only the scheme: the rest may hold a password.
            let scheme = match url.split_once(':') {
                Some((s, _)) => format!("{s}:"),
                None => url.chars().take(40).collect(),
            };
            return Err(StoreError::InvalidUrl { scheme });
        };
        Ok(Store { inner })
    }

    pub fn backend(&self) -> Backend {
        match &self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool: waits for connections in use, refuses new ones.
    pub async fn close(&self) {
        match &self.inner {
            Inner::Sqlite(s) => s.pool.close().await,
            Inner::Postgres(s) => s.pool.close().await,
        }
    }

    /// `source_id → fingerprint` of every record of `source`.
    pub async fn fingerprints(&self, source: &str) -> Result<HashMap<String, String>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.fingerprints(source).await,
            Inner::Postgres(s) => s.fingerprints(source).await,
        }
    }

    /// One transaction: upsert `upserts`, delete `deletes` (ids) of `source`,
    /// insert the run row. On any error nothing is changed. Two upserts with
    /// the same id, or an id both upserted and deleted, is a
    /// [`StoreError::Conflict`].
    pub async fn apply_import(&self, change: &ImportChange) -> Result<(), StoreError> {
        commun::verifier_import(change)?;
        match &self.inner {
            Inner::Sqlite(s) => s.apply_import(change).await,
            Inner::Postgres(s) => s.apply_import(change).await,
        }
    }

    /// Every source record, ordered by (source, id) in byte order.
    pub async fn source_records(&self) -> Result<Vec<SourceRecord>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.source_records().await,
            Inner::Postgres(s) => s.source_records().await,
        }
    }

    /// Every source with records or runs, ordered by name.
    pub async fn sources(&self) -> Result<Vec<SourceSummary>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.sources().await,
            Inner::Postgres(s) => s.sources().await,
        }
    }

    /// One transaction: the published registry becomes exactly `lieux` (with
    /// provenance). Duplicate ids, or a source record in two places, is a
    /// [`StoreError::Conflict`] and changes nothing.
    pub async fn replace_registry(&self, lieux: &[PublishedLieu]) -> Result<(), StoreError> {
        commun::verifier_registre(lieux)?;
        match &self.inner {
            Inner::Sqlite(s) => s.replace_registry(lieux).await,
            Inner::Postgres(s) => s.replace_registry(lieux).await,
        }
    }

    /// The distinct départements of the source records (`None` when a
    /// record's département is unknown).
    pub async fn departements_des_sources(&self) -> Result<Vec<Option<String>>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.departements_des_sources().await,
            Inner::Postgres(s) => s.departements_des_sources().await,
        }
    }

    /// The source records of one département (`None`: of unknown
    /// département) with only what grouping needs (long free texts and
    /// fingerprints left empty), ordered by (source, source_id).
    pub async fn source_records_pour_regroupement(
        &self,
        departement: Option<&str>,
    ) -> Result<Vec<SourceRecord>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.source_records_pour_regroupement(departement).await,
            Inner::Postgres(s) => s.source_records_pour_regroupement(departement).await,
        }
    }

    /// The full source records for these (source, source_id) keys.
    pub async fn source_records_par_cles(
        &self,
        cles: &[(String, String)],
    ) -> Result<Vec<SourceRecord>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.source_records_par_cles(cles).await,
            Inner::Postgres(s) => s.source_records_par_cles(cles).await,
        }
    }

    /// Publishes the registry in one transaction: the merged places as
    /// given, and every other place as a copy of its source record under its
    /// published id (`Affectation::copie`), done inside the database.
    pub async fn publish_groups(
        &self,
        affectations: &[Affectation],
        fusionnes: &[PublishedLieu],
    ) -> Result<(), StoreError> {
        commun::verifier_registre(fusionnes)?;
        commun::verifier_affectations(affectations, fusionnes)?;
        match &self.inner {
            Inner::Sqlite(s) => s.publish_groups(affectations, fusionnes).await,
            Inner::Postgres(s) => s.publish_groups(affectations, fusionnes).await,
        }
    }

    /// Starts replacing the published registry piece by piece, in one
    /// transaction: see [`Publication`]. Dropping it without
    /// [`Publication::terminer`] leaves the registry as it was.
    pub async fn commencer_publication(&self) -> Result<Publication, StoreError> {
        let inner = match &self.inner {
            Inner::Sqlite(s) => PublicationInner::Sqlite(s.commencer_publication().await?),
            Inner::Postgres(s) => PublicationInner::Postgres(s.commencer_publication().await?),
        };
        Ok(Publication { inner })
    }

    /// The published places matching `filtre`, ordered by id (byte order).
    pub async fn registry(
        &self,
        filtre: &FiltreRegistre,
    ) -> Result<Vec<PublishedLieu>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.registry(filtre).await,
            Inner::Postgres(s) => s.registry(filtre).await,
        }
    }

    pub async fn registry_count(&self) -> Result<u64, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.registry_count().await,
            Inner::Postgres(s) => s.registry_count().await,
        }
    }

    /// One published place by id.
    pub async fn published(&self, id: &str) -> Result<Option<PublishedLieu>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.published(id).await,
            Inner::Postgres(s) => s.published(id).await,
        }
    }

    /// A number that changes whenever the published registry is replaced
    /// ([`Store::replace_registry`], [`Store::publish_groups`]): one
    /// single-row read, for servers that keep the registry in memory.
    pub async fn registry_version(&self) -> Result<i64, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.registry_version().await,
            Inner::Postgres(s) => s.registry_version().await,
        }
    }

    /// Stores an error report; returns its id. Texts longer than 5,000
    /// characters or an empty place id / category are
    /// [`StoreError::Invalid`].
    pub async fn add_signalement(&self, s: &NouveauSignalement) -> Result<i64, StoreError> {
        commun::verifier_signalement(s)?;
        match &self.inner {
            Inner::Sqlite(st) => st.add_signalement(s).await,
            Inner::Postgres(st) => st.add_signalement(s).await,
        }
    }

    /// The open reports, oldest first, at most `limit`.
    pub async fn signalements_ouverts(&self, limit: u32) -> Result<Vec<Signalement>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.signalements_ouverts(limit).await,
            Inner::Postgres(s) => s.signalements_ouverts(limit).await,
        }
    }

    /// How many reports are open.
    pub async fn signalements_ouverts_count(&self) -> Result<u64, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.signalements_ouverts_count().await,
            Inner::Postgres(s) => s.signalements_ouverts_count().await,
        }
    }

    /// Closes an open report and erases the reporter's e-mail. `false` when
    /// no open report has this id (unknown, or already closed).
    pub async fn fermer_signalement(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.fermer_signalement(id, at).await,
            Inner::Postgres(s) => s.fermer_signalement(id, at).await,
        }
    }

    /// Deletes the reports closed before `fermes_avant` (retention); returns
    /// how many were deleted. Open reports are never deleted.
    pub async fn purger_signalements(
        &self,
        fermes_avant: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.purger_signalements(fermes_avant).await,
            Inner::Postgres(s) => s.purger_signalements(fermes_avant).await,
        }
    }

    /// The last `limit` import runs, newest first.
    pub async fn import_runs(&self, limit: u32) -> Result<Vec<ImportRun>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.import_runs(limit).await,
            Inner::Postgres(s) => s.import_runs(limit).await,
        }
    }
}

/// A replacement of the published registry in progress: one transaction on
/// one connection, which also serves the reads consolidation needs (so that
/// it works with a single-connection in-memory database too). Readers see
/// the previous registry until [`Publication::terminer`] commits.
pub struct Publication {
    inner: PublicationInner,
}

enum PublicationInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Publication {
    /// [`Store::source_records_pour_regroupement`], inside the publication.
    pub async fn source_records_pour_regroupement(
        &mut self,
        departement: Option<&str>,
    ) -> Result<Vec<SourceRecord>, StoreError> {
        match &mut self.inner {
            PublicationInner::Sqlite(tx) => {
                sqlite::SqliteStore::lire_regroupement(tx, departement).await
            }
            PublicationInner::Postgres(tx) => {
                postgres::PgStore::lire_regroupement(tx, departement).await
            }
        }
    }

    /// [`Store::source_records_par_cles`], inside the publication.
    pub async fn source_records_par_cles(
        &mut self,
        cles: &[(String, String)],
    ) -> Result<Vec<SourceRecord>, StoreError> {
        match &mut self.inner {
            PublicationInner::Sqlite(tx) => sqlite::SqliteStore::lire_par_cles(tx, cles).await,
            PublicationInner::Postgres(tx) => postgres::PgStore::lire_par_cles(tx, cles).await,
        }
    }

    /// Publishes the places of `affectations` marked `copie` as copies of
    /// their source records (the others are merged places, given to
    /// [`Publication::terminer`]).
    pub async fn copier(&mut self, affectations: &[Affectation]) -> Result<(), StoreError> {
        let copies: Vec<&Affectation> = affectations.iter().filter(|a| a.copie).collect();
        if copies.is_empty() {
            return Ok(());
        }
        match &mut self.inner {
            PublicationInner::Sqlite(tx) => sqlite::SqliteStore::publier_copies(tx, &copies).await,
            PublicationInner::Postgres(tx) => postgres::PgStore::publier_copies(tx, &copies).await,
        }
    }

    /// Gives up: the registry stays as it was. (Dropping the publication
    /// does the same, but only when its connection is next used.)
    pub async fn abandonner(self) -> Result<(), StoreError> {
        let op = commun::erreur_db("l'abandon de la publication");
        match self.inner {
            PublicationInner::Sqlite(tx) => tx.rollback().await.map_err(op),
            PublicationInner::Postgres(tx) => tx.rollback().await.map_err(op),
        }
    }

    /// Writes the merged places, checks the whole registry (`affectations`:
    /// every assignment, copies included; unique published ids, each source
    /// record once) and commits.
    pub async fn terminer(
        self,
        affectations: &[Affectation],
        fusionnes: &[PublishedLieu],
    ) -> Result<(), StoreError> {
        commun::verifier_registre(fusionnes)?;
        commun::verifier_affectations(affectations, fusionnes)?;
        match self.inner {
            PublicationInner::Sqlite(tx) => {
                sqlite::SqliteStore::terminer_publication(tx, fusionnes).await
            }
            PublicationInner::Postgres(tx) => {
                postgres::PgStore::terminer_publication(tx, fusionnes).await
            }
        }
    }
}
