//! What the web test suites share: an in-process app on SQLite or on
//! PostgreSQL (a fresh database, dropped at the end), requests with or
//! without a session cookie, and signed-in accounts of any role.
//!
//! A suite file says `mod harnais;` and `use harnais::*;`.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use maillage_comptes::Attribution;
use maillage_lieux::Lieu;
use maillage_store::{NouvelUtilisateur, PublishedLieu, Store};
use maillage_web::{routeur, Config, Etat};
use serde_json::Value;
use sqlx::{Connection, Executor};
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt;

/// Test configuration: a fixed clock (Tuesday 2025-03-11 10:00 in Paris),
/// generous limits, no minimum fill time.
pub fn config() -> Config {
    Config {
        delai_min_signalement: Duration::ZERO,
        api_par_seconde: 10_000.0,
        api_rafale: 10_000.0,
        signalements_par_heure: 1_000,
        horloge: Some(
            chrono::DateTime::parse_from_rfc3339("2025-03-11T09:00:00Z")
                .expect("date")
                .with_timezone(&chrono::Utc),
        ),
        secret: b"secret de test".to_vec(),
        boite_d_envoi_visible: true,
        ..Config::default()
    }
}

pub struct Reponse {
    pub statut: StatusCode,
    pub entetes: HeaderMap,
    pub corps: Vec<u8>,
}

impl Reponse {
    pub fn texte(&self) -> String {
        String::from_utf8_lossy(&self.corps).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.corps)
            .unwrap_or_else(|e| panic!("JSON invalide ({e}) : {}", self.texte()))
    }
    pub fn entete(&self, nom: &str) -> String {
        self.entetes
            .get(nom)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

pub async fn envoyer(app: &Router, req: Request<Body>) -> Reponse {
    let rep = app.clone().oneshot(req).await.expect("response");
    let statut = rep.status();
    let entetes = rep.headers().clone();
    let corps = rep
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reponse {
        statut,
        entetes,
        corps,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reponse {
    envoyer(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

pub async fn post(app: &Router, uri: &str, corps: &str, entetes: &[(&str, &str)]) -> Reponse {
    let mut r =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in entetes {
        r = r.header(*k, *v);
    }
    envoyer(app, r.body(Body::from(corps.to_string())).expect("request")).await
}

pub fn encoder(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn formulaire(champs: &[(&str, &str)]) -> String {
    champs
        .iter()
        .map(|(k, v)| format!("{k}={}", encoder(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn get_avec_cookie(app: &Router, uri: &str, cookie: &str) -> Reponse {
    envoyer(
        app,
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

/// The outbox's messages to `email` whose subject contains `sujet`,
/// newest first, as HTML chunks.
/// POST a form with a session cookie (same-origin, as a browser sends it).
pub async fn post_avec_cookie(app: &Router, uri: &str, corps: &str, cookie: &str) -> Reponse {
    post(
        app,
        uri,
        corps,
        &[("cookie", cookie), ("sec-fetch-site", "same-origin")],
    )
    .await
}

/// Password of the accounts made by [`compte`].
pub const MDP: &str = "cheval agrafe batterie correcte";

/// A verified account with these grants, signed in through the real form:
/// (user id, `name=value` of its session cookie).
pub async fn compte(
    app: &Router,
    etat: &Etat,
    email: &str,
    attributions: &[Attribution],
) -> (String, String) {
    let store = etat.store();
    let maintenant = etat.maintenant();
    let id = store
        .creer_utilisateur(&NouvelUtilisateur {
            email: email.to_string(),
            nom: Some(format!("Compte {email}")),
            mot_de_passe: maillage_comptes::hacher_mot_de_passe(MDP).expect("hash"),
            cree_le: maintenant,
            par: None,
        })
        .await
        .expect("account");
    store
        .marquer_email_verifie(&id, maintenant)
        .await
        .expect("verified");
    for a in attributions {
        store
            .attribuer(&id, a, None, maintenant)
            .await
            .expect("grant");
    }
    let r = post(
        app,
        "/compte/connexion",
        &formulaire(&[("email", email), ("mot_de_passe", MDP)]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let c = r.entete("set-cookie");
    assert!(c.starts_with("maillage_session="), "{c}");
    (id, c.split(';').next().expect("pair").to_string())
}

/// GET with an API token (`Authorization: Bearer …`).
pub async fn avec_jeton(app: &Router, uri: &str, jeton: &str) -> Reponse {
    let r = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {jeton}"))
        .body(Body::empty())
        .expect("request");
    envoyer(app, r).await
}

/// An app on an empty registry with the test [`config`].
pub async fn app(store: Store) -> (Router, Etat) {
    let etat = Etat::nouveau(store, config()).await.expect("state");
    (routeur(etat.clone()), etat)
}

/// Runs `f` on a fresh SQLite store.
pub async fn sur_sqlite<F, Fut>(f: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("registre.db").display());
    let store = Store::connect(&url).await.expect("SQLite store");
    f(store).await;
}

/// Runs `f` on a fresh PostgreSQL database of the server named by
/// `MAILLAGE_TEST_POSTGRES` (skipped with `MAILLAGE_SKIP_POSTGRES=1`).
pub async fn sur_postgres<F, Fut>(f: F)
where
    F: FnOnce(Store) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES") else {
        if std::env::var("MAILLAGE_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("PostgreSQL ignoré (MAILLAGE_SKIP_POSTGRES=1)");
            return;
        }
        panic!(
            "définissez MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
             (ou MAILLAGE_SKIP_POSTGRES=1 pour ne tester que SQLite)"
        );
    };
    let base = format!("maillage_web_{:016x}", fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connection");
    conn.execute(format!("CREATE DATABASE {base}").as_str())
        .await
        .expect("CREATE DATABASE");
    let url = match admin.split_once('?') {
        Some((a, q)) => format!("{}/{base}?{q}", a.rsplit_once('/').map_or(a, |x| x.0)),
        None => format!(
            "{}/{base}",
            admin.rsplit_once('/').map_or(admin.as_str(), |x| x.0)
        ),
    };
    let resultat = tokio::spawn(async move {
        let store = Store::connect(&url).await.expect("PostgreSQL store");
        f(store.clone()).await;
        store.close().await;
    })
    .await;
    let fin = conn
        .execute(format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)").as_str())
        .await;
    if let Err(e) = resultat {
        std::panic::resume_unwind(e.into_panic());
    }
    fin.expect("DROP DATABASE");
}

/// Runs each scenario (an `async fn(Store)` of the test file) on SQLite and
/// on PostgreSQL: `scenario::sqlite` and `scenario::postgres`.
#[allow(unused_macros)]
macro_rules! sur_les_deux_bases {
    ($($nom:ident),* $(,)?) => {
        $(
            mod $nom {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::sur_sqlite(|store| async move { super::$nom(store).await }).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::sur_postgres(|store| async move { super::$nom(store).await }).await
                }
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use sur_les_deux_bases;

/// Publishes `lieux` as the registry (each its own group) and reloads the
/// app's catalogue.
pub async fn publier_registre(etat: &Etat, lieux: Vec<Lieu>) {
    let publies: Vec<PublishedLieu> = lieux
        .into_iter()
        .map(|lieu| PublishedLieu {
            group_id: lieu.id.to_string(),
            lieu,
            members: Vec::new(),
        })
        .collect();
    etat.store()
        .replace_registry(&publies)
        .await
        .expect("registry");
    assert!(etat.rafraichir().await.expect("reload"));
}
