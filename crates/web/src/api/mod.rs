//! The JSON API under `/api/v1` (read-only, CORS open, rate limited), its
//! OpenAPI document and its documentation page.

pub mod activites;
pub mod exports;
pub mod jetons;
pub mod lieux;
pub mod openapi;
pub mod orientation;
pub mod statistiques;
pub mod territoires;

use crate::parametres::ErreurParametre;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_lieux::Lieu;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A French error: `{"erreur": "…", "parametre": "services", "valeur": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErreurApi {
    /// Message en français.
    pub erreur: String,
    /// Le paramètre en cause, s'il y en a un.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parametre: Option<String>,
    /// La valeur refusée.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valeur: Option<String>,
}

pub fn erreur(statut: StatusCode, message: impl Into<String>) -> Response {
    (
        statut,
        Json(ErreurApi {
            erreur: message.into(),
            parametre: None,
            valeur: None,
        }),
    )
        .into_response()
}

pub fn erreur_parametre(e: ErreurParametre) -> Response {
    let nomme = !e.parametre.is_empty();
    (
        StatusCode::BAD_REQUEST,
        Json(ErreurApi {
            erreur: e.message,
            parametre: nomme.then_some(e.parametre),
            valeur: nomme.then_some(e.valeur),
        }),
    )
        .into_response()
}

/// The standard's fields of a place, as in the JSON export.
pub fn objet_lieu(l: &Lieu) -> Map<String, Value> {
    maillage_lieux::format::objet_json(l)
}

/// `12.3456` km rounded to 10 m.
pub fn arrondi_km(km: f64) -> Value {
    serde_json::Number::from_f64((km * 100.0).round() / 100.0).map_or(Value::Null, Value::Number)
}
