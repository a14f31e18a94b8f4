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
//! The store also keeps the mediators' activity records (comptes-rendus
//! d'activité, [`Store::enregistrer_activite`]) with an audit journal
//! ([`Store::journal`]) written in the same transaction as each change.
//!
//! Writes are chunked multi-row `INSERT`s in one transaction; reads of large
//! tables are paged on the primary key so memory stays bounded by the result.

mod activites;
mod colonnes;
mod commun;
mod postgres;
mod sqlite;

use chrono::{DateTime, Utc};
use maillage_activites::Activite;
use maillage_lieux::Lieu;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use activites::{
    masque_materiel, masque_thematiques, materiel_du_masque, thematiques_du_masque,
    ActiviteEnregistree, EntreeJournal, FiltreActivites, NouvelleActivite, NouvelleEntreeJournal,
    PageActivites, ACTION_CREATION_ACTIVITE, ACTION_MODIFICATION_ACTIVITE,
    ACTION_SUPPRESSION_ACTIVITE, PAR_PAGE_MAX,
};
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
    /// The thing to change does not exist (or no longer: a deleted record).
    #[error("introuvable pendant {operation} : {detail}")]
    NotFound {
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

    /// Stores a validated record under a new id (returned) and journals
    /// [`ACTION_CREATION_ACTIVITE`] by the mediator, in one transaction.
    /// Blank or over-long ids are [`StoreError::Invalid`].
    pub async fn enregistrer_activite(&self, n: &NouvelleActivite) -> Result<String, StoreError> {
        activites::verifier_nouvelle_activite(n)?;
        match &self.inner {
            Inner::Sqlite(s) => s.enregistrer_activite(n).await,
            Inner::Postgres(s) => s.enregistrer_activite(n).await,
        }
    }

    /// One record by id; `None` when unknown or deleted.
    pub async fn activite(&self, id: &str) -> Result<Option<ActiviteEnregistree>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.activite(id, false).await,
            Inner::Postgres(s) => s.activite(id, false).await,
        }
    }

    /// One record by id, deleted or not (for audits and exports).
    pub async fn activite_y_compris_supprimee(
        &self,
        id: &str,
    ) -> Result<Option<ActiviteEnregistree>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.activite(id, true).await,
            Inner::Postgres(s) => s.activite(id, true).await,
        }
    }

    /// Replaces a record's content (and its département) and journals
    /// [`ACTION_MODIFICATION_ACTIVITE`] by `par`, in one transaction. The
    /// mediator and structure stay. [`StoreError::NotFound`] when no
    /// record has this id or it was deleted. Who may modify is the caller's
    /// decision.
    pub async fn modifier_activite(
        &self,
        id: &str,
        activite: &Activite,
        departement: Option<&str>,
        par: &str,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        activites::verifier_modification(departement, par)?;
        match &self.inner {
            Inner::Sqlite(s) => {
                s.modifier_activite(id, activite, departement, par, le)
                    .await
            }
            Inner::Postgres(s) => {
                s.modifier_activite(id, activite, departement, par, le)
                    .await
            }
        }
    }

    /// Soft-deletes a record (hidden from [`Store::activite`] and
    /// [`Store::activites`], kept for audits) and journals
    /// [`ACTION_SUPPRESSION_ACTIVITE`] by `par`, in one transaction.
    /// Idempotent: `Ok(false)` when it was already deleted (nothing
    /// changed, nothing journaled), so a repeated request is harmless;
    /// [`StoreError::NotFound`] when no record has this id.
    pub async fn supprimer_activite(
        &self,
        id: &str,
        par: &str,
        le: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.supprimer_activite(id, par, le).await,
            Inner::Postgres(s) => s.supprimer_activite(id, par, le).await,
        }
    }

    /// The live records matching `filtre`, newest date first then by id,
    /// one page of them, with how many match in all.
    pub async fn activites(&self, filtre: &FiltreActivites) -> Result<PageActivites, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.activites(filtre).await,
            Inner::Postgres(s) => s.activites(filtre).await,
        }
    }

    /// Adds an entry to the audit journal; returns its id. An empty action
    /// is [`StoreError::Invalid`].
    pub async fn journaliser(&self, e: &NouvelleEntreeJournal) -> Result<i64, StoreError> {
        activites::verifier_entree_journal(e)?;
        match &self.inner {
            Inner::Sqlite(s) => s.journaliser(e).await,
            Inner::Postgres(s) => s.journaliser(e).await,
        }
    }

    /// At most `limite` journal entries, newest first (by id), only those
    /// older than `avant_id` when given (the next page: the last id seen).
    pub async fn journal(
        &self,
        limite: u32,
        avant_id: Option<i64>,
    ) -> Result<Vec<EntreeJournal>, StoreError> {
        match &self.inner {
            Inner::Sqlite(s) => s.journal(limite, avant_id).await,
            Inner::Postgres(s) => s.journal(limite, avant_id).await,
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
