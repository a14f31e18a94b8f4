//! # maillage-web — the site and the API
//!
//! `maillage serve`: server-rendered French pages (askama, one theme file
//! and component macros), the orientation questionnaire, place pages with
//! error reports, territory pages, an embeddable search and a JSON API with
//! its OpenAPI document. The domain (search, availability, ranking) is
//! `maillage-orientation`; storage is `maillage-store`. Every core flow
//! works without JavaScript; scripts and Leaflet are embedded in the binary.
//!
//! ```text
//! Store ──registry──▶ Catalogue (in memory, reloaded when the registry version changes)
//! GET /lieux, /embed, /orientation, /lieux/{id}, /territoires/…  HTML
//! GET /api/v1/…, /api/openapi.json                                 JSON
//! POST /lieux/{id}/signaler, /gestion/…, /compte/…                 forms
//! GET /compte/…, /espace                                          accounts
//! ```

pub mod api;
pub mod bench;
pub mod courriel;
pub mod espace;
mod etat;
pub mod graphiques;
pub mod pages;
pub mod parametres;
pub mod securite;
pub mod statique;

pub use etat::{Config, Etat};

use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// How `maillage serve` is started.
#[derive(Debug, Clone)]
pub struct Options {
    pub database_url: String,
    /// `ADDR:PORT`; port 0 picks a free port.
    pub ecoute: String,
    pub config: Config,
}

/// Every route of the site and the API.
pub fn routeur(etat: Etat) -> Router {
    let api = Router::new()
        .route("/api/v1/lieux", get(api::lieux::lieux))
        .route("/api/v1/lieux/{id}", get(api::lieux::lieu))
        .route("/api/v1/carte", get(api::lieux::carte))
        .route("/api/v1/orientation", get(api::orientation::orientation))
        .route("/api/v1/orientation/compte", get(api::orientation::compte))
        .route("/api/v1/territoires", get(api::territoires::territoires))
        .route(
            "/api/v1/territoires/{territoire}",
            get(api::territoires::territoire),
        )
        .route(
            "/api/v1/territoires/{territoire}/diagnostic",
            get(api::territoires::diagnostic),
        )
        .route("/api/v1/exports/{fichier}", get(api::exports::export))
        .route("/api/openapi.json", get(api::openapi::document))
        .route_layer(middleware::from_fn_with_state(
            etat.clone(),
            securite::limite_api,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
                .max_age(Duration::from_secs(86_400)),
        );

    let pages = Router::new()
        .route("/", get(pages::accueil::accueil))
        .route("/lieux", get(pages::recherche::lieux))
        .route("/lieux/", get(pages::lieu::sans_id))
        .route("/lieux/{id}", get(pages::lieu::lieu))
        .route("/lieux/{id}/signaler", post(pages::lieu::signaler))
        .route("/orientation", get(pages::orientation::orientation))
        .route("/orientation/fiche", get(pages::orientation::fiche))
        .route("/territoires", get(pages::territoires::index))
        .route("/territoires/reg/{code}", get(pages::territoires::region))
        .route(
            "/territoires/dep/{code}",
            get(pages::territoires::departement),
        )
        .route("/embed", get(pages::embed::embed))
        .route("/integration", get(pages::embed::integration))
        .route("/donnees-personnelles", get(pages::donnees_personnelles))
        .route("/api", get(api::openapi::page))
        .route("/gestion", get(pages::signalements::connexion))
        .route(
            "/gestion/connexion",
            get(pages::signalements::connexion).post(pages::signalements::se_connecter),
        )
        .route(
            "/gestion/deconnexion",
            post(pages::signalements::se_deconnecter),
        )
        .route("/gestion/signalements", get(pages::signalements::liste))
        .route(
            "/gestion/signalements/{id}/fermer",
            post(pages::signalements::fermer),
        )
        .route(
            "/compte/inscription",
            get(pages::comptes::inscription).post(pages::comptes::s_inscrire),
        )
        .route("/compte/verification", get(pages::comptes::verification))
        .route(
            "/compte/verification/renvoyer",
            post(pages::comptes::renvoyer_verification),
        )
        .route(
            "/compte/connexion",
            get(pages::comptes::connexion).post(pages::comptes::se_connecter),
        )
        .route("/compte/deconnexion", post(pages::comptes::se_deconnecter))
        .route(
            "/compte/mot-de-passe-oublie",
            get(pages::comptes::mot_de_passe_oublie)
                .post(pages::comptes::demander_reinitialisation),
        )
        .route(
            "/compte/invitation",
            get(pages::comptes::invitation).post(pages::comptes::accepter_invitation),
        )
        .route(
            "/compte/reinitialisation",
            get(pages::comptes::reinitialisation).post(pages::comptes::reinitialiser),
        )
        .route("/compte/boite-d-envoi", get(pages::comptes::boite_d_envoi))
        .route("/espace", get(pages::comptes::espace))
        .route("/static/{*chemin}", get(statique::servir))
        .merge(espace::administration::routes())
        .merge(crate::espace::structures::routes())
        .merge(pages::diagnostic::routes());

    Router::new()
        .merge(pages)
        .merge(crate::espace::activites::routes())
        .merge(api)
        .merge(crate::espace::statistiques::routes())
        .merge(crate::espace::pilotage::routes())
        .merge(crate::espace::jetons_api::routes())
        .merge(espace::beneficiaires::routes())
        .fallback(pages::introuvable)
        // Innermost, so that uploads merged below keep their own limit.
        .layer(RequestBodyLimitLayer::new(securite::CORPS_MAX))
        .merge(espace::beneficiaires::routes_import())
        .layer(middleware::from_fn_with_state(etat.clone(), securite::entetes))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(securite::limite_uri))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        // Logs carry the method and the path only: never the query string
        // (the orientation sheet puts names in it).
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::info_span!("requete", methode = %req.method(), chemin = %req.uri().path())
            }),
        )
        .layer(CatchPanicLayer::custom(|_| {
            let mut r = axum::response::IntoResponse::into_response((
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne.",
            ));
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            r
        }))
        .with_state(etat)
}

/// Connects to the database, loads the registry, listens and serves until
/// Ctrl-C / SIGTERM. The first line on stdout is
/// `Maillage écoute sur http://ADDR:PORT` (the real port when 0 was asked).
pub async fn servir(options: Options) -> anyhow::Result<()> {
    let store = maillage_store::Store::connect_serveur(&options.database_url).await?;
    let etat = Etat::nouveau(store, options.config).await?;
    servir_etat(etat, &options.ecoute).await
}

/// Same as [`servir`] with a ready state.
pub async fn servir_etat(etat: Etat, ecoute: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let ecouteur = tokio::net::TcpListener::bind(ecoute)
        .await
        .with_context(|| format!("écoute impossible sur {ecoute}"))?;
    let adresse = ecouteur.local_addr()?;
    {
        let mut sortie = std::io::stdout().lock();
        writeln!(sortie, "Maillage écoute sur http://{adresse}")?;
        sortie.flush()?;
    }
    etat.lancer_taches_de_fond();
    axum::serve(
        ecouteur,
        routeur(etat).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(arret())
    .await?;
    Ok(())
}

async fn arret() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminaison = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminaison = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminaison => {},
    }
}
