//! Authentication of the private API by token: `Authorization: Bearer
//! mlg_…` (tokens made on `/espace/jetons-api`).
//!
//! An endpoint takes a [`ClientApi`] (the request is refused with 401 before
//! the handler runs when the token is missing, malformed, unknown, expired
//! or revoked), then asks for its scope with [`ClientApi::exiger`] and for
//! the access rules with [`ClientApi::autoriser`] (403 otherwise):
//!
//! ```ignore
//! async fn statistiques(State(etat): State<Etat>, client: ClientApi, …) -> Response {
//!     if let Err(r) = client.exiger(PorteeApi::StatistiquesLecture) { return r; }
//!     if let Err(r) = client.autoriser(&etat, Action::Consulter, &cible) { return r; }
//!     …
//! }
//! ```
//!
//! Errors are JSON objects `{"erreur": "…"}` in French, like the rest of
//! the API; a 401 carries `WWW-Authenticate: Bearer` (RFC 6750).

use super::ErreurApi;
use crate::etat::Etat;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_comptes::{
    correspond, empreinte_jeton_api, Acteur, Action, Cible, ErreurAuthApi, PorteeApi, Refus,
};
use maillage_store::JetonApi;

/// The caller of a private API endpoint: a live token and its owner as the
/// access rules see them.
#[derive(Debug, Clone)]
pub struct ClientApi {
    pub jeton: JetonApi,
    pub acteur: Acteur,
}

/// A JSON error with no parameter.
fn reponse(statut: StatusCode, message: String) -> Response {
    let mut r = (
        statut,
        Json(ErreurApi {
            erreur: message,
            parametre: None,
            valeur: None,
        }),
    )
        .into_response();
    // Answers depend on the token: never stored by a shared cache.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// 401 with the reason and `WWW-Authenticate: Bearer`.
pub fn non_authentifie(e: ErreurAuthApi) -> Response {
    let code = match e {
        ErreurAuthApi::Absent => "",
        ErreurAuthApi::MalForme | ErreurAuthApi::Refuse => ", error=\"invalid_token\"",
    };
    let mut r = reponse(StatusCode::UNAUTHORIZED, e.to_string());
    if let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"maillage\"{code}")) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// 403 with the access rules' reason.
pub fn interdit(message: impl Into<String>) -> Response {
    reponse(StatusCode::FORBIDDEN, message.into())
}

/// Why a request has no [`ClientApi`].
#[derive(Debug)]
pub enum RefusClient {
    Authentification(ErreurAuthApi),
    Indisponible(maillage_store::StoreError),
}

impl IntoResponse for RefusClient {
    fn into_response(self) -> Response {
        match self {
            RefusClient::Authentification(e) => non_authentifie(e),
            RefusClient::Indisponible(e) => {
                tracing::error!("API, jeton : {e}");
                reponse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "La base de données ne répond pas : réessayez dans quelques minutes."
                        .to_string(),
                )
            }
        }
    }
}

/// The token of an `Authorization` header value (scheme case-insensitive,
/// RFC 7235).
fn jeton_presente(parts: &Parts) -> Result<&str, ErreurAuthApi> {
    let Some(valeur) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ErreurAuthApi::Absent);
    };
    let valeur = valeur.to_str().map_err(|_| ErreurAuthApi::MalForme)?.trim();
    match valeur.split_once(' ') {
        Some((schema, jeton)) if schema.eq_ignore_ascii_case("bearer") => Ok(jeton.trim()),
        _ => Err(ErreurAuthApi::MalForme),
    }
}

impl FromRequestParts<Etat> for ClientApi {
    type Rejection = RefusClient;

    async fn from_request_parts(parts: &mut Parts, etat: &Etat) -> Result<Self, Self::Rejection> {
        let presente = jeton_presente(parts).map_err(RefusClient::Authentification)?;
        // Malformed tokens are refused without a database access.
        let empreinte = empreinte_jeton_api(presente).map_err(RefusClient::Authentification)?;
        let store = etat.store();
        let maintenant = etat.maintenant();
        let refuse = || RefusClient::Authentification(ErreurAuthApi::Refuse);
        let jeton = store
            .jeton_api_actif(&empreinte, maintenant)
            .await
            .map_err(RefusClient::Indisponible)?
            .ok_or_else(refuse)?;
        // The lookup was by fingerprint; compare again in constant time so
        // no code path compares secrets byte by byte.
        if !correspond(&jeton.empreinte, presente) {
            return Err(refuse());
        }
        let acteur = store
            .acteur(&jeton.utilisateur_id)
            .await
            .map_err(RefusClient::Indisponible)?
            .ok_or_else(refuse)?;
        store
            .toucher_jeton_api(&jeton.id, maintenant)
            .await
            .map_err(RefusClient::Indisponible)?;
        Ok(ClientApi { jeton, acteur })
    }
}

impl ClientApi {
    /// 403 unless the token was given `portee`.
    #[allow(clippy::result_large_err)]
    pub fn exiger(&self, portee: PorteeApi) -> Result<(), Response> {
        if self.jeton.a_la_portee(portee) {
            Ok(())
        } else {
            Err(interdit(format!(
                "Ce jeton n'a pas la portée « {} » ({}) : créez un jeton qui l'a dans votre espace.",
                portee.code(),
                portee.libelle()
            )))
        }
    }

    /// The access rules' verdict for the token's owner.
    pub fn verdict(&self, etat: &Etat, action: Action, cible: &Cible) -> Result<(), Refus> {
        crate::espace::verdict(etat, &self.acteur, action, cible)
    }

    /// 403 with the reason unless the owner may do `action` on `cible`.
    #[allow(clippy::result_large_err)]
    pub fn autoriser(&self, etat: &Etat, action: Action, cible: &Cible) -> Result<(), Response> {
        self.verdict(etat, action, cible)
            .map_err(|r| interdit(r.to_string()))
    }
}

/// The API's per-address rate limit ([`crate::securite::limite_api`]) as an
/// extractor, for routers built before the state exists: put it first in
/// the handler's arguments, so floods of bad tokens are limited too.
#[derive(Debug, Clone, Copy)]
pub struct LimiteApi;

impl FromRequestParts<Etat> for LimiteApi {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, etat: &Etat) -> Result<Self, Self::Rejection> {
        let connexion = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        let ip = crate::securite::adresse_client(etat, &parts.headers, connexion);
        etat.interne
            .limite_api
            .prendre(ip)
            .map(|()| LimiteApi)
            .map_err(|attente| crate::securite::trop_de_requetes(attente, true))
    }
}

/// Declares the `jeton` security scheme (HTTP bearer) in the OpenAPI
/// document; operations that need a token name it with `security(...)`.
pub struct SecuriteJeton;

impl utoipa::Modify for SecuriteJeton {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let composants = openapi.components.get_or_insert_with(Default::default);
        composants.add_security_scheme(
            "jeton",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mlg_…")
                    .description(Some(
                        "Jeton d'accès créé dans l'espace (page « Jetons d'accès à l'API »), envoyé en `Authorization: Bearer mlg_…`. Portées : `activites:lecture`, `statistiques:lecture`.",
                    ))
                    .build(),
            ),
        );
    }
}
