//! `/`: the home page.

use super::{milliers, rendre, Mise};
use crate::etat::Etat;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "accueil.html")]
pub struct PageAccueil {
    pub mise: Mise,
    pub total: String,
    pub sources: usize,
}

pub async fn accueil(State(etat): State<Etat>) -> Response {
    let c = etat.catalogue();
    rendre(
        StatusCode::OK,
        &PageAccueil {
            mise: Mise::new("Accueil", "accueil"),
            total: milliers(c.len()),
            sources: c.sources().len(),
        },
    )
}
