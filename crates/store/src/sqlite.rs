//! The SQLite implementation (one file, WAL, one writer at a time).

use crate::activites::operations_activites;
use crate::agregats::operations_agregats;
use crate::commun::{ecritures_multilignes, operations};
use crate::comptes::operations_comptes;
use crate::courriels::operations_courriels;
use crate::statistiques::operations_statistiques;
use crate::StoreError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Page cache of batch work: index upkeep of a million-place registry
/// stays in memory.
pub(crate) const CACHE_TRAITEMENTS_KIO: u32 = 128 * 1024;
/// Page cache of a web server, which reads the registry once.
pub(crate) const CACHE_SERVEUR_KIO: u32 = 4 * 1024;

/// SQLite's default limit of bound parameters per statement (since 3.32).
pub(crate) const MAX_PARAMETRES: usize = 32_766;

#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub(crate) async fn connect(url: &str, cache_kio: u32) -> Result<Self, StoreError> {
        let target = format!("la base SQLite « {url} »");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::Connect {
                target: target.clone(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode, and
            // much faster than FULL for bulk imports.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // Page cache, allocated on use (negative = KiB).
            .pragma("cache_size", format!("-{cache_kio}"));
        let chemin = url.trim_start_matches("sqlite:").trim_start_matches("//");
        let memoire = chemin.starts_with(":memory:") || chemin.contains("mode=memory");
        if !memoire {
            // One-command start: `sqlite://data/registre.db` works in an empty
            // directory.
            if let Some(dossier) = options.get_filename().parent() {
                if !dossier.as_os_str().is_empty() && !dossier.exists() {
                    std::fs::create_dir_all(dossier).map_err(|e| StoreError::Connect {
                        target: target.clone(),
                        source: sqlx::Error::Io(e),
                    })?;
                }
            }
        }
        let pool = if memoire {
            // The in-memory database lives as long as its one connection.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(4)
        }
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Connect {
            target: target.clone(),
            source,
        })?;
        MIGRATIONS
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { target, source })?;
        Ok(SqliteStore { pool })
    }
}

impl SqliteStore {
    /// `colonne IN ($1, $2, …)`: SQLite searches the index once per value.
    fn condition_dans(
        qb: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
        colonne: &str,
        valeurs: Vec<String>,
    ) {
        qb.push(colonne).push(" IN (");
        let mut sep = qb.separated(", ");
        for v in valeurs {
            sep.push_bind(v);
        }
        qb.push(")");
    }
}

operations!(SqliteStore, sqlx::Sqlite);
operations_activites!(SqliteStore, sqlx::Sqlite);
operations_comptes!(SqliteStore, sqlx::Sqlite);
operations_courriels!(SqliteStore, sqlx::Sqlite);
// Dates are TEXT YYYY-MM-DD; a deferred transaction reads one WAL snapshot.
operations_statistiques!(SqliteStore, sqlx::Sqlite, "substr(date, 1, 7)", None);
operations_agregats!(SqliteStore, sqlx::Sqlite, crate::agregats::SqlSqlite);
ecritures_multilignes!(SqliteStore, sqlx::Sqlite, MAX_PARAMETRES);
