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
//! ([`Store::journal`]) written in the same transaction as each change,
//! and counts their statistics in SQL ([`Store::statistiques`]).
//!
//! Accounts live here too ([`Store::creer_utilisateur`], role grants, team
//! links, [`Store::acteur`]), with what must be shared by several stateless
//! servers: sessions, single-use tokens and login throttling state. Only
//! fingerprints of secrets and password PHC strings are stored.
//!
//! Writes are chunked multi-row `INSERT`s in one transaction; reads of large
//! tables are paged on the primary key so memory stays bounded by the result.

mod activites;
mod agregats;
mod beneficiaires;
mod chargement;
mod colonnes;
mod commun;
mod comptes;
mod courriels;
mod export_activites;
mod jetons_api;
mod pilotage;
mod postgres;
mod sqlite;
mod statistiques;
mod structures;

use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::{Activite, Demographie};
use maillage_comptes::{
    Acteur, ActionSensible, Attribution, ButJeton, ErreurJeton, Freinage, LienEquipe,
};
use maillage_lieux::Lieu;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use activites::{
    masque_materiel, masque_thematiques, materiel_du_masque, thematiques_du_masque,
    ActiviteEnregistree, EntreeJournal, FiltreActivites, NouvelleActivite, NouvelleEntreeJournal,
    PageActivites, ACTION_CREATION_ACTIVITE, ACTION_MODIFICATION_ACTIVITE,
    ACTION_SUPPRESSION_ACTIVITE, PAR_PAGE_MAX,
};
pub use beneficiaires::{
    FiltreBeneficiaires, NouveauBeneficiaire, PageBeneficiaires, PAR_PAGE_MAX_BENEFICIAIRES,
};
pub use chargement::ACTION_CHARGEMENT_ACTIVITES;
pub use colonnes::COLONNES_LIEU;
pub use comptes::{
    normaliser_email, Invitation, JetonEnregistre, NouvelUtilisateur, Session, Utilisateur,
};
pub use courriels::{Courriel, NouveauCourriel};
pub use export_activites::{
    Curseur, FiltreParcours, OrdreParcours, ParcoursActivites, ParcoursExport, VueExport, LOT_MAX,
};
pub use jetons_api::JetonApi;
pub use pilotage::{
    mois_de_la_periode, ComptePilotage, FiltrePilotage, LignePilotage, Regroupement,
    TableauPilotage, MOIS_PILOTAGE_MAX,
};
pub use statistiques::{
    Compte, FenetreMediateur, FiltreStatistiques, Statistiques, TotauxStatistiques, CLASSEMENT_MAX,
    VALEURS_FILTRE_MAX,
};
pub use structures::{
    Emploi, Employe, LieuActivite, NouvelleStructure, Structure, STRUCTURES_PAR_RECHERCHE_MAX,
};

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

/// Calls the same method on whichever backend this store uses.
macro_rules! par_base {
    ($self:ident, $methode:ident($($arg:expr),*)) => {
        match &$self.inner {
            $crate::Inner::Sqlite(s) => s.$methode($($arg),*).await,
            $crate::Inner::Postgres(s) => s.$methode($($arg),*).await,
        }
    };
}
// By path too, so area modules (declared above) can use it in their own
// `impl Store` blocks.
pub(crate) use par_base;

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
        let store = Store { inner };
        // Once after migration 0012 (or an interrupted rebuild).
        par_base!(store, reconstruire_agregats_si_besoin())?;
        Ok(store)
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
        par_base!(self, fingerprints(source))
    }

    /// One transaction: upsert `upserts`, delete `deletes` (ids) of `source`,
    /// insert the run row. On any error nothing is changed. Two upserts with
    /// the same id, or an id both upserted and deleted, is a
    /// [`StoreError::Conflict`].
    pub async fn apply_import(&self, change: &ImportChange) -> Result<(), StoreError> {
        commun::verifier_import(change)?;
        par_base!(self, apply_import(change))
    }

    /// Every source record, ordered by (source, id) in byte order.
    pub async fn source_records(&self) -> Result<Vec<SourceRecord>, StoreError> {
        par_base!(self, source_records())
    }

    /// Every source with records or runs, ordered by name.
    pub async fn sources(&self) -> Result<Vec<SourceSummary>, StoreError> {
        par_base!(self, sources())
    }

    /// One transaction: the published registry becomes exactly `lieux` (with
    /// provenance). Duplicate ids, or a source record in two places, is a
    /// [`StoreError::Conflict`] and changes nothing.
    pub async fn replace_registry(&self, lieux: &[PublishedLieu]) -> Result<(), StoreError> {
        commun::verifier_registre(lieux)?;
        par_base!(self, replace_registry(lieux))
    }

    /// The distinct départements of the source records (`None` when a
    /// record's département is unknown).
    pub async fn departements_des_sources(&self) -> Result<Vec<Option<String>>, StoreError> {
        par_base!(self, departements_des_sources())
    }

    /// The source records of one département (`None`: of unknown
    /// département) with only what grouping needs (long free texts and
    /// fingerprints left empty), ordered by (source, source_id).
    pub async fn source_records_pour_regroupement(
        &self,
        departement: Option<&str>,
    ) -> Result<Vec<SourceRecord>, StoreError> {
        par_base!(self, source_records_pour_regroupement(departement))
    }

    /// The full source records for these (source, source_id) keys.
    pub async fn source_records_par_cles(
        &self,
        cles: &[(String, String)],
    ) -> Result<Vec<SourceRecord>, StoreError> {
        par_base!(self, source_records_par_cles(cles))
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
        par_base!(self, publish_groups(affectations, fusionnes))
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
        par_base!(self, registry(filtre))
    }

    pub async fn registry_count(&self) -> Result<u64, StoreError> {
        par_base!(self, registry_count())
    }

    /// One published place by id.
    pub async fn published(&self, id: &str) -> Result<Option<PublishedLieu>, StoreError> {
        par_base!(self, published(id))
    }

    /// A number that changes whenever the published registry is replaced
    /// ([`Store::replace_registry`], [`Store::publish_groups`]): one
    /// single-row read, for servers that keep the registry in memory.
    pub async fn registry_version(&self) -> Result<i64, StoreError> {
        par_base!(self, registry_version())
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
        par_base!(self, signalements_ouverts(limit))
    }

    /// How many reports are open.
    pub async fn signalements_ouverts_count(&self) -> Result<u64, StoreError> {
        par_base!(self, signalements_ouverts_count())
    }

    /// Closes an open report and erases the reporter's e-mail. `false` when
    /// no open report has this id (unknown, or already closed).
    pub async fn fermer_signalement(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        par_base!(self, fermer_signalement(id, at))
    }

    /// Deletes the reports closed before `fermes_avant` (retention); returns
    /// how many were deleted. Open reports are never deleted.
    pub async fn purger_signalements(
        &self,
        fermes_avant: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        par_base!(self, purger_signalements(fermes_avant))
    }

    /// Stores a validated record under a new id (returned) and journals
    /// [`ACTION_CREATION_ACTIVITE`] by the mediator, in one transaction.
    /// Blank or over-long ids are [`StoreError::Invalid`].
    pub async fn enregistrer_activite(&self, n: &NouvelleActivite) -> Result<String, StoreError> {
        activites::verifier_nouvelle_activite(n)?;
        commun::avec_reprise(|| async { par_base!(self, enregistrer_activite(n)) }).await
    }

    /// One record by id; `None` when unknown or deleted.
    pub async fn activite(&self, id: &str) -> Result<Option<ActiviteEnregistree>, StoreError> {
        par_base!(self, activite(id, false))
    }

    /// One record by id, deleted or not (for audits and exports).
    pub async fn activite_y_compris_supprimee(
        &self,
        id: &str,
    ) -> Result<Option<ActiviteEnregistree>, StoreError> {
        par_base!(self, activite(id, true))
    }

    /// Replaces a record's content (and its département) and journals
    /// [`ACTION_MODIFICATION_ACTIVITE`] by `par`, in one transaction. The
    /// mediator and structure stay; the beneficiary counts are recounted
    /// (`demographies_suivies` as in [`NouvelleActivite`]).
    /// [`StoreError::NotFound`] when no
    /// record has this id or it was deleted. Who may modify is the caller's
    /// decision.
    pub async fn modifier_activite(
        &self,
        id: &str,
        activite: &Activite,
        demographies_suivies: &[Demographie],
        departement: Option<&str>,
        par: &str,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        activites::verifier_modification(departement, par)?;
        commun::avec_reprise(|| async {
            par_base!(
                self,
                modifier_activite(id, activite, demographies_suivies, departement, par, le)
            )
        })
        .await
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
        commun::avec_reprise(|| async { par_base!(self, supprimer_activite(id, par, le)) }).await
    }

    /// The live records matching `filtre`, newest date first then by id,
    /// one page of them, with how many match in all.
    pub async fn activites(&self, filtre: &FiltreActivites) -> Result<PageActivites, StoreError> {
        par_base!(self, activites(filtre))
    }

    /// The registry places of a mediator's live records, most recently used
    /// first, at most `limite` (one grouped index range, whatever the
    /// number of records).
    pub async fn lieux_recents(
        &self,
        mediateur_id: &str,
        limite: u32,
    ) -> Result<Vec<String>, StoreError> {
        par_base!(self, lieux_recents(mediateur_id, limite))
    }

    /// Adds an entry to the audit journal; returns its id. An empty action
    /// is [`StoreError::Invalid`].
    pub async fn journaliser(&self, e: &NouvelleEntreeJournal) -> Result<i64, StoreError> {
        activites::verifier_entree_journal(e)?;
        par_base!(self, journaliser(e))
    }

    /// At most `limite` journal entries, newest first (by id), only those
    /// older than `avant_id` when given (the next page: the last id seen).
    pub async fn journal(
        &self,
        limite: u32,
        avant_id: Option<i64>,
    ) -> Result<Vec<EntreeJournal>, StoreError> {
        par_base!(self, journal(limite, avant_id))
    }

    // -----------------------------------------------------------------------
    // Statistics of the activity records (statistiques.rs)

    /// The statistics of the live records matching `filtre` (a mediator, a
    /// team, a structure, a territory or the nation, over a period…),
    /// counted by the database in four aggregate queries read from one
    /// snapshot. Lists of more than [`VALEURS_FILTRE_MAX`] values in all
    /// are [`StoreError::Invalid`].
    pub async fn statistiques(
        &self,
        filtre: &FiltreStatistiques,
    ) -> Result<Statistiques, StoreError> {
        statistiques::verifier_filtre(filtre)?;
        // After a bulk load and until the rebuild, the records are right
        // and the roll-ups behind: count on the records.
        if agregats::statistiques_agregeables(filtre) && !par_base!(self, agregats_perimes())? {
            par_base!(self, statistiques_agregees(filtre))
        } else {
            par_base!(self, statistiques(filtre))
        }
    }

    /// [`Store::statistiques`] always counted on the records themselves,
    /// never on the roll-ups (for the tests comparing both).
    #[doc(hidden)]
    pub async fn statistiques_brutes(
        &self,
        filtre: &FiltreStatistiques,
    ) -> Result<Statistiques, StoreError> {
        statistiques::verifier_filtre(filtre)?;
        par_base!(self, statistiques(filtre))
    }

    /// Rebuilds the roll-up tables of the statistics and the pilotage
    /// table from the live records, in one transaction: to run after
    /// writing records into `activites` other than through the store
    /// (a bulk load). Recording, changing and deleting a record through
    /// the store keeps them up to date.
    pub async fn reconstruire_agregats(&self) -> Result<(), StoreError> {
        par_base!(self, reconstruire_agregats())
    }

    /// Whether records were bulk-loaded since the roll-ups were last built
    /// ([`Store::charger_activites`]): [`Store::reconstruire_agregats`] is due.
    pub async fn agregats_perimes(&self) -> Result<bool, StoreError> {
        par_base!(self, agregats_perimes())
    }

    // -----------------------------------------------------------------------

    /// Creates an account (e-mail trimmed and lower-cased) and journals
    /// `creation_compte` by `n.par`, in one transaction; returns its id.
    /// An address already used, whatever its case, is a
    /// [`StoreError::Conflict`] « un compte existe déjà pour cette
    /// adresse »; a password that is not a PHC string is
    /// [`StoreError::Invalid`].
    pub async fn creer_utilisateur(&self, n: &NouvelUtilisateur) -> Result<String, StoreError> {
        let n = comptes::verifier_nouvel_utilisateur(n)?;
        par_base!(self, creer_utilisateur(&n))
    }

    /// The account with this address, in any case and with surrounding
    /// spaces (deactivated accounts included).
    pub async fn utilisateur_par_email(
        &self,
        email: &str,
    ) -> Result<Option<Utilisateur>, StoreError> {
        let email = normaliser_email(email);
        par_base!(self, utilisateur_ou("email", &email))
    }

    /// One account by id (deactivated accounts included).
    pub async fn utilisateur(&self, id: &str) -> Result<Option<Utilisateur>, StoreError> {
        par_base!(self, utilisateur_ou("id", id))
    }

    /// Accounts whose address or name contains `recherche` (any case;
    /// "" lists all), by address, `limite` of them after `decalage`, with
    /// how many match in all.
    pub async fn utilisateurs(
        &self,
        recherche: &str,
        limite: u32,
        decalage: u64,
    ) -> Result<(Vec<Utilisateur>, u64), StoreError> {
        let recherche = recherche.trim();
        par_base!(
            self,
            utilisateurs(recherche, limite.clamp(1, 500), decalage)
        )
    }

    /// Replaces the password hash (`phc`, a PHC string) and journals
    /// `action` by `par`, in one transaction. `action` is
    /// [`ActionSensible::ChangementMotDePasse`] (signed in) or
    /// [`ActionSensible::ReinitialisationMotDePasse`] (by an e-mailed link;
    /// then also call [`Store::supprimer_sessions_de`]).
    /// [`StoreError::NotFound`] for an unknown account.
    pub async fn changer_mot_de_passe(
        &self,
        id: &str,
        phc: &str,
        action: ActionSensible,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        const OP: &str = "le changement de mot de passe";
        comptes::verifier_phc(OP, phc)?;
        if !matches!(
            action,
            ActionSensible::ChangementMotDePasse | ActionSensible::ReinitialisationMotDePasse
        ) {
            return Err(StoreError::Invalid {
                operation: OP,
                detail: format!(
                    "« {} » n'est pas un changement de mot de passe",
                    action.code()
                ),
            });
        }
        par_base!(self, changer_mot_de_passe(id, phc, action, par, le))
    }

    /// Records that the account's address was verified at `le`.
    /// [`StoreError::NotFound`] for an unknown account.
    pub async fn marquer_email_verifie(
        &self,
        id: &str,
        le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        par_base!(self, marquer_email_verifie(id, le))
    }

    /// Grants a role and journals `changement_role` by `par`, in one
    /// transaction. `Ok(false)` (nothing journaled) when already granted.
    /// The grant must be coherent ([`Attribution::est_coherente`]); a
    /// coordinator grant carries no links (its team is
    /// [`Store::lier_equipe`]'s). [`StoreError::NotFound`] for an unknown
    /// account.
    pub async fn attribuer(
        &self,
        id: &str,
        a: &Attribution,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        comptes::verifier_attribution("l'attribution d'un rôle", a)?;
        par_base!(self, changer_attribution(id, a, true, par, le))
    }

    /// Withdraws a grant (team links stay) and journals `changement_role`
    /// by `par`, in one transaction. `Ok(false)` (nothing journaled) when
    /// the account did not have it.
    pub async fn retirer_attribution(
        &self,
        id: &str,
        a: &Attribution,
        par: Option<&str>,
        le: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        par_base!(self, changer_attribution(id, a, false, par, le))
    }

    /// The account's grants ordered by role code then scope, a coordinator
    /// grant with every team link (ended ones included).
    pub async fn attributions(&self, id: &str) -> Result<Vec<Attribution>, StoreError> {
        par_base!(self, attributions(id))
    }

    /// Adds a mediator to a coordinator's team from `debut` (inclusive).
    /// [`StoreError::Conflict`] when the mediator is already in the team
    /// (an open link), [`StoreError::NotFound`] when either has no account.
    pub async fn lier_equipe(
        &self,
        coordinateur_id: &str,
        mediateur_id: &str,
        debut: NaiveDate,
    ) -> Result<(), StoreError> {
        par_base!(self, lier_equipe(coordinateur_id, mediateur_id, debut))
    }

    /// Ends the open link on `fin` (exclusive: the mediator left that day).
    /// [`StoreError::NotFound`] when there is no open link,
    /// [`StoreError::Invalid`] when `fin` precedes the link's start.
    pub async fn terminer_lien(
        &self,
        coordinateur_id: &str,
        mediateur_id: &str,
        fin: NaiveDate,
    ) -> Result<(), StoreError> {
        par_base!(self, terminer_lien(coordinateur_id, mediateur_id, fin))
    }

    /// A coordinator's team links, ended ones included, by mediator then
    /// start.
    pub async fn liens_equipe(&self, coordinateur_id: &str) -> Result<Vec<LienEquipe>, StoreError> {
        par_base!(self, liens_equipe(coordinateur_id))
    }

    /// The signed-in user as the access rules see them; `None` for an
    /// unknown or deactivated account. `structures_mediateur` holds the
    /// SIRETs of the account's current employments.
    pub async fn acteur(&self, id: &str) -> Result<Option<Acteur>, StoreError> {
        let Some(u) = self.utilisateur(id).await? else {
            return Ok(None);
        };
        if u.desactive_le.is_some() {
            return Ok(None);
        }
        let structures_mediateur = self.employeurs_actuels(&u.id).await?;
        Ok(Some(Acteur {
            attributions: self.attributions(&u.id).await?,
            id: u.id,
            email: u.email,
            structures_mediateur,
        }))
    }

    /// Opens a session keyed by `empreinte`, the SHA-256 hex of the
    /// cookie's token ([`maillage_comptes::Jeton::empreinte_de`]);
    /// anything else is [`StoreError::Invalid`], so a clear token is never
    /// stored.
    pub async fn creer_session(
        &self,
        empreinte: &str,
        utilisateur_id: &str,
        maintenant: DateTime<Utc>,
        expire_le: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        comptes::verifier_empreinte("l'ouverture d'une session", empreinte)?;
        match &self.inner {
            Inner::Sqlite(s) => {
                s.creer_session(empreinte, utilisateur_id, maintenant, expire_le)
                    .await
            }
            Inner::Postgres(s) => {
                s.creer_session(empreinte, utilisateur_id, maintenant, expire_le)
                    .await
            }
        }
    }

    /// The live session with this fingerprint: `None` when unknown,
    /// expired (`expire_le <= maintenant`) or its account is deactivated.
    pub async fn session(
        &self,
        empreinte: &str,
        maintenant: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        par_base!(self, session(empreinte, maintenant))
    }

    /// Records activity on a live session and sets its new expiry; `false`
    /// when it is unknown or already expired (it is not revived).
    pub async fn toucher_session(
        &self,
        empreinte: &str,
        maintenant: DateTime<Utc>,
        expire_le: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        par_base!(self, toucher_session(empreinte, maintenant, expire_le))
    }

    /// Closes one session (sign-out); `false` when there was none.
    pub async fn supprimer_session(&self, empreinte: &str) -> Result<bool, StoreError> {
        par_base!(self, supprimer_session(empreinte))
    }

    /// Closes every session of an account (after a password reset);
    /// returns how many.
    pub async fn supprimer_sessions_de(&self, utilisateur_id: &str) -> Result<u64, StoreError> {
        par_base!(self, supprimer_sessions_de(utilisateur_id))
    }

    /// Deletes the sessions expired at `maintenant`; returns how many.
    pub async fn purger_sessions_expirees(
        &self,
        maintenant: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        par_base!(self, purger_sessions_expirees(maintenant))
    }

    /// Stores a token made by [`maillage_comptes::Jeton::nouveau`] (its
    /// fingerprint only). It must name an account or an address; a key that
    /// is not a SHA-256 hex is [`StoreError::Invalid`], a key already used
    /// a [`StoreError::Conflict`].
    pub async fn enregistrer_jeton(&self, j: &JetonEnregistre) -> Result<(), StoreError> {
        let j = comptes::verifier_jeton(j)?;
        par_base!(self, enregistrer_jeton(&j))
    }

    /// Uses the token with this fingerprint for `but`: atomically marks it
    /// used if it is unused and unexpired, and returns it as now stored. Of
    /// concurrent calls for one token, at most one succeeds. The inner
    /// error says why it is refused ([`ErreurJeton`], in the order of
    /// [`maillage_comptes::consommer`]); nothing is changed then.
    pub async fn consommer_jeton(
        &self,
        empreinte: &str,
        but: ButJeton,
        maintenant: DateTime<Utc>,
    ) -> Result<Result<JetonEnregistre, ErreurJeton>, StoreError> {
        par_base!(self, consommer_jeton(empreinte, but, maintenant))
    }

    /// Stores an invitation: its single-use token (purpose
    /// [`ButJeton::Invitation`], the invited address in `j.email`) and what
    /// accepting it grants, journaled as `invitation` by `invite_par`, in one
    /// transaction. `equipe_de`: the coordinator whose team the invited
    /// mediator joins.
    pub async fn enregistrer_invitation(
        &self,
        j: &JetonEnregistre,
        attribution: &Attribution,
        invite_par: Option<&str>,
        equipe_de: Option<&str>,
    ) -> Result<(), StoreError> {
        const OP: &str = "l'enregistrement d'une invitation";
        comptes::verifier_attribution(OP, attribution)?;
        let email = j.email.as_deref().map(normaliser_email).unwrap_or_default();
        if j.jeton.but != ButJeton::Invitation || email.is_empty() {
            return Err(StoreError::Invalid {
                operation: OP,
                detail: "une invitation est un jeton « invitation » adressé à une adresse e-mail"
                    .to_string(),
            });
        }
        let j = JetonEnregistre {
            email: Some(email),
            ..j.clone()
        };
        par_base!(
            self,
            enregistrer_invitation(&j, attribution, invite_par, equipe_de)
        )
    }

    /// The invitation of a token fingerprint, used or not, expired or not
    /// (the caller says why it is refused); `None` when unknown.
    pub async fn invitation(&self, empreinte: &str) -> Result<Option<Invitation>, StoreError> {
        par_base!(self, invitation(empreinte))
    }

    /// Deletes the tokens expired at `maintenant`, used or not; returns
    /// how many.
    pub async fn purger_jetons_expires(
        &self,
        maintenant: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        par_base!(self, purger_jetons_expires(maintenant))
    }

    /// The throttling state of a key (`"email:…"`, `"ip:…"`), if any.
    pub async fn freinage(&self, cle: &str) -> Result<Option<Freinage>, StoreError> {
        par_base!(self, freinage(cle))
    }

    /// Stores (replaces) the throttling state of a key. Read, update with
    /// [`Freinage::enregistrer_echec`], store: two servers racing on one
    /// key may lose one failure, which only delays a block by one attempt.
    pub async fn enregistrer_freinage(
        &self,
        cle: &str,
        etat: &Freinage,
        maintenant: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        const OP: &str = "l'enregistrement du freinage";
        comptes::verifier_texte(OP, "clé de freinage", cle)?;
        let etat = serde_json::to_string(etat).map_err(|e| StoreError::Invalid {
            operation: OP,
            detail: e.to_string(),
        })?;
        par_base!(self, enregistrer_freinage(cle, &etat, maintenant))
    }

    /// Forgets a key's throttling state (after a successful login);
    /// `false` when there was none.
    pub async fn effacer_freinage(&self, cle: &str) -> Result<bool, StoreError> {
        par_base!(self, effacer_freinage(cle))
    }

    /// Deletes throttling states not changed since `modifies_avant` (a
    /// state quiet for [`maillage_comptes::FENETRE_ECHECS`] after its last
    /// block is reset anyway); returns how many.
    pub async fn purger_freinages(&self, modifies_avant: DateTime<Utc>) -> Result<u64, StoreError> {
        par_base!(self, purger_freinages(modifies_avant))
    }

    /// The last `limit` import runs, newest first.
    pub async fn import_runs(&self, limit: u32) -> Result<Vec<ImportRun>, StoreError> {
        par_base!(self, import_runs(limit))
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
