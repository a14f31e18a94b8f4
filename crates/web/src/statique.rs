//! Front-end assets, embedded in the binary (no CDN, no file beside the
//! binary): the theme, the small scripts and the vendored Leaflet 1.9.4.
//!
//! Their URLs carry a content hash (`/static/theme.css?v=1a2b3c4d`), so they
//! are served with a one-year immutable cache.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One embedded file.
pub struct Actif {
    pub chemin: &'static str,
    pub type_mime: &'static str,
    pub contenu: &'static [u8],
}

macro_rules! actif {
    ($chemin:literal, $mime:literal) => {
        Actif {
            chemin: $chemin,
            type_mime: $mime,
            contenu: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $chemin)),
        }
    };
}

/// Every asset served under `/static/`.
pub const ACTIFS: &[Actif] = &[
    actif!("theme.css", "text/css; charset=utf-8"),
    actif!("carte.js", "text/javascript; charset=utf-8"),
    actif!("compteur.js", "text/javascript; charset=utf-8"),
    actif!("impression.js", "text/javascript; charset=utf-8"),
    actif!("logo.svg", "image/svg+xml"),
    actif!("leaflet/leaflet.js", "text/javascript; charset=utf-8"),
    actif!("leaflet/leaflet.css", "text/css; charset=utf-8"),
    actif!("leaflet/LICENSE", "text/plain; charset=utf-8"),
    actif!("leaflet/images/marker-icon.png", "image/png"),
    actif!("leaflet/images/marker-icon-2x.png", "image/png"),
    actif!("leaflet/images/marker-shadow.png", "image/png"),
    actif!("leaflet/images/layers.png", "image/png"),
    actif!("leaflet/images/layers-2x.png", "image/png"),
];

fn empreintes() -> &'static HashMap<&'static str, String> {
    static E: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    E.get_or_init(|| {
        use sha2::{Digest, Sha256};
        ACTIFS
            .iter()
            .map(|a| {
                let h = Sha256::digest(a.contenu);
                (a.chemin, hex::encode(&h[..4]))
            })
            .collect()
    })
}

/// The URL of an asset, with its content hash.
pub fn url(chemin: &str) -> String {
    match empreintes().get(chemin) {
        Some(v) => format!("/static/{chemin}?v={v}"),
        None => format!("/static/{chemin}"),
    }
}

/// The asset at `chemin`, if embedded.
pub fn actif(chemin: &str) -> Option<&'static Actif> {
    ACTIFS.iter().find(|a| a.chemin == chemin)
}

/// `GET /static/{*chemin}`.
pub async fn servir(Path(chemin): Path<String>) -> Response {
    let Some(a) = actif(&chemin) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Fichier introuvable.",
        )
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(a.type_mime)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        a.contenu,
    )
        .into_response()
}
