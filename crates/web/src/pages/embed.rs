//! `/embed`: the search page without the site's chrome, for an iframe of a
//! collectivité or a Hub (any site may frame it); `/integration` documents
//! its parameters.

use super::{rendre, Mise};
use crate::etat::Etat;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /embed`: same parameters as `/lieux` and `/api/v1/lieux`.
pub async fn embed(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    super::recherche::page(&etat, q.as_deref().unwrap_or_default(), true)
}

#[derive(Template)]
#[template(path = "integration.html")]
pub struct PageIntegration {
    pub mise: Mise,
}

/// `GET /integration`.
pub async fn integration() -> Response {
    rendre(
        StatusCode::OK,
        &PageIntegration {
            mise: Mise::new("Intégrer la carte sur votre site", "integration"),
        },
    )
}
