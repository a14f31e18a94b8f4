//! The PostgreSQL implementation.

use crate::activites::operations_activites;
use crate::agregats::operations_agregats;
use crate::colonnes::{self, Cellule, COLONNES_LIEU};
use crate::commun::{erreur_db, operations};
use crate::comptes::operations_comptes;
use crate::courriels::operations_courriels;
use crate::statistiques::operations_statistiques;
use crate::{PublishedLieu, StoreError};
use chrono::NaiveDate;
use maillage_lieux::Lieu;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Rows per `INSERT … SELECT FROM UNNEST(…)` statement: one array per
/// column, so the 65,535-parameter limit does not apply; this bounds the
/// memory of one statement.
const LIGNES_PAR_INSERT: usize = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub(crate) async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
            target: "la base PostgreSQL".to_string(),
            source,
        })?;
        // Never the URL itself: it may hold a password.
        let target = format!(
            "la base PostgreSQL « {} » sur {}:{}",
            options.get_database().unwrap_or_default(),
            options.get_host(),
            options.get_port()
        );
        // A national statistics view reads on three connections at once
        // (its two top 50s beside the rest, see `agregats`).
        let pool = PgPoolOptions::new()
            .max_connections(10)
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
        Ok(PgStore { pool })
    }
}

impl PgStore {
    /// `colonne = ANY($n)` with one array: a long `IN ($1, …)` list makes the
    /// planner expect most of a freshly loaded (not yet analysed) table and
    /// scan it all, once per page.
    fn condition_dans(
        qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
        colonne: &str,
        valeurs: Vec<String>,
    ) {
        qb.push(colonne)
            .push(" = ANY(")
            .push_bind(valeurs)
            .push(")");
    }
}

operations!(PgStore, sqlx::Postgres);
operations_activites!(PgStore, sqlx::Postgres);
operations_comptes!(PgStore, sqlx::Postgres);
operations_courriels!(PgStore, sqlx::Postgres);
operations_agregats!(PgStore, sqlx::Postgres, crate::agregats::SqlPostgres);
// CAST to TIMESTAMP: to_char(date) would go through TIMESTAMPTZ and the
// session's time zone. READ COMMITTED would give each statement its own
// snapshot.
operations_statistiques!(
    PgStore,
    sqlx::Postgres,
    "to_char(CAST(date AS TIMESTAMP), 'YYYY-MM')",
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
);

/// One column of a batch, as a PostgreSQL array.
enum Colonne {
    Texte(Vec<Option<String>>),
    Reel(Vec<Option<f64>>),
    Date(Vec<NaiveDate>),
}

impl Colonne {
    fn type_pg(&self) -> &'static str {
        match self {
            Colonne::Texte(_) => "text[]",
            Colonne::Reel(_) => "float8[]",
            Colonne::Date(_) => "date[]",
        }
    }
}

/// The [`COLONNES_LIEU`] of these places, column by column.
fn colonnes_de<'a>(lieux: impl ExactSizeIterator<Item = &'a Lieu>) -> Vec<Colonne> {
    let n = lieux.len();
    let mut out: Vec<Colonne> = Vec::with_capacity(COLONNES_LIEU.len());
    for (i, lieu) in lieux.enumerate() {
        for (j, c) in colonnes::cellules(lieu).into_iter().enumerate() {
            if i == 0 {
                out.push(match c {
                    Cellule::Requis(_) | Cellule::Texte(_) => Colonne::Texte(Vec::with_capacity(n)),
                    Cellule::Reel(_) => Colonne::Reel(Vec::with_capacity(n)),
                    Cellule::Date(_) => Colonne::Date(Vec::with_capacity(n)),
                });
            }
            match (out.get_mut(j), c) {
                (Some(Colonne::Texte(v)), Cellule::Requis(x)) => v.push(Some(x)),
                (Some(Colonne::Texte(v)), Cellule::Texte(x)) => v.push(x),
                (Some(Colonne::Reel(v)), Cellule::Reel(x)) => v.push(x),
                (Some(Colonne::Date(v)), Cellule::Date(x)) => v.push(x),
                // Same layout for every place: cannot happen.
                _ => {}
            }
        }
    }
    out
}

/// `INSERT INTO table (premiere, cols…) SELECT * FROM UNNEST($1::text[], …)`
/// with one array per column, the first being `premiere` (text).
async fn inserer_tableaux(
    conn: &mut PgConnection,
    table: &str,
    premiere: (&str, Vec<String>),
    colonnes: Vec<Colonne>,
    suite: &str,
    operation: &'static str,
) -> Result<(), StoreError> {
    let mut tableaux = vec!["$1::text[]".to_string()];
    for (i, c) in colonnes.iter().enumerate() {
        tableaux.push(format!("${}::{}", i + 2, c.type_pg()));
    }
    let sql = format!(
        "INSERT INTO {table} ({}, {}) SELECT * FROM UNNEST({}){suite}",
        premiere.0,
        colonnes::liste_colonnes(""),
        tableaux.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(premiere.1);
    for c in colonnes {
        q = match c {
            Colonne::Texte(v) => q.bind(v),
            Colonne::Reel(v) => q.bind(v),
            Colonne::Date(v) => q.bind(v),
        };
    }
    q.execute(conn).await.map_err(erreur_db(operation))?;
    Ok(())
}

impl PgStore {
    async fn ecrire_source_records(
        conn: &mut PgConnection,
        source: &str,
        lieux: &[Lieu],
    ) -> Result<(), StoreError> {
        let suite = format!(
            " ON CONFLICT (source_name, id) DO UPDATE SET {}",
            colonnes::mise_a_jour_colonnes()
        );
        for paquet in lieux.chunks(LIGNES_PAR_INSERT) {
            inserer_tableaux(
                conn,
                "source_records",
                ("source_name", vec![source.to_string(); paquet.len()]),
                colonnes_de(paquet.iter()),
                &suite,
                "l'enregistrement des lieux de la source",
            )
            .await?;
        }
        Ok(())
    }

    async fn ecrire_registre(
        conn: &mut PgConnection,
        lieux: &[PublishedLieu],
    ) -> Result<(), StoreError> {
        for paquet in lieux.chunks(LIGNES_PAR_INSERT) {
            inserer_tableaux(
                conn,
                "registry",
                (
                    "group_id",
                    paquet.iter().map(|p| p.group_id.clone()).collect(),
                ),
                colonnes_de(paquet.iter().map(|p| &p.lieu)),
                "",
                "l'enregistrement des lieux publiés",
            )
            .await?;
            let mut lieu_id = Vec::new();
            let mut position = Vec::new();
            let mut source_name = Vec::new();
            let mut source_id = Vec::new();
            for p in paquet {
                for (i, m) in p.members.iter().enumerate() {
                    lieu_id.push(p.lieu.id.to_string());
                    position.push(i as i64);
                    source_name.push(m.source.clone());
                    source_id.push(m.source_id.clone());
                }
            }
            sqlx::query(
                "INSERT INTO registry_members (lieu_id, position, source_name, source_id) \
                 SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[])",
            )
            .bind(lieu_id)
            .bind(position)
            .bind(source_name)
            .bind(source_id)
            .execute(&mut *conn)
            .await
            .map_err(erreur_db("l'enregistrement des provenances"))?;
        }
        Ok(())
    }
}
