//! The harness of the conformance suites: each test runs on SQLite (a
//! temporary file) and on PostgreSQL (a fresh database per test on the server
//! named by `MAILLAGE_TEST_POSTGRES`, dropped at the end).
//!
//! A suite file says `#[macro_use] mod harnais;`, imports
//! `harnais::{sur_postgres, sur_sqlite, Ctx}` and lists its tests in
//! `conformance!(…)`: each `async fn test(ctx: &Ctx)` becomes a module with
//! a `sqlite` and a `postgres` test.
#![allow(dead_code)]

use maillage_store::{Backend, Store};
use sqlx::{Connection, Executor};
use std::future::Future;

pub struct Ctx {
    pub store: Store,
    pub url: String,
}

pub async fn sur_sqlite<F, Fut>(f: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("registre.db").display());
    let store = Store::connect(&url).await.expect("SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    f(Ctx { store, url }).await;
}

/// The admin URL with another database name (query string kept).
pub fn url_base(admin: &str, base: &str) -> String {
    let (sans_requete, requete) = match admin.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (admin, None),
    };
    let debut_hote = sans_requete.find("://").map_or(0, |i| i + 3);
    let mut url = match sans_requete[debut_hote..].find('/') {
        Some(i) => format!("{}/{base}", &sans_requete[..debut_hote + i]),
        None => format!("{sans_requete}/{base}"),
    };
    if let Some(q) = requete {
        url.push('?');
        url.push_str(q);
    }
    url
}

pub async fn sur_postgres<F, Fut>(test: &str, f: F)
where
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES") else {
        if std::env::var("MAILLAGE_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("{test} sur PostgreSQL : ignoré (MAILLAGE_SKIP_POSTGRES=1)");
            return;
        }
        panic!(
            "{test} sur PostgreSQL : la variable MAILLAGE_TEST_POSTGRES n'est pas définie. \
             Donnez l'adresse d'un serveur où l'on peut créer des bases, par exemple \
             MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store, \
             ou définissez MAILLAGE_SKIP_POSTGRES=1 pour ne tester que SQLite."
        );
    };
    let base = format!("maillage_test_{:016x}", fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connection to MAILLAGE_TEST_POSTGRES");
    conn.execute(format!("CREATE DATABASE {base}").as_str())
        .await
        .expect("CREATE DATABASE");
    let url = url_base(&admin, &base);
    // The test runs in its own task so that a panic still lets us drop the
    // database below.
    let resultat = tokio::spawn(async move {
        let store = Store::connect(&url).await.expect("PostgreSQL store");
        assert_eq!(store.backend(), Backend::Postgres);
        let fin = store.clone();
        f(Ctx { store, url }).await;
        fin.close().await;
    })
    .await;
    let drop = conn
        .execute(format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)").as_str())
        .await;
    if let Err(e) = resultat {
        std::panic::resume_unwind(e.into_panic());
    }
    drop.expect("DROP DATABASE");
}

macro_rules! conformance {
    ($($nom:ident),* $(,)?) => {
        $(
            mod $nom {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::sur_sqlite(|ctx| async move { super::$nom(&ctx).await }).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::sur_postgres(stringify!($nom), |ctx| async move {
                        super::$nom(&ctx).await
                    })
                    .await
                }
            }
        )*
    };
}
