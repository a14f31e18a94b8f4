//! `GET /api/v1/exports/lieux.{csv,json,geojson}`: the matching places in
//! the standard, streamed (written by `maillage_lieux::format` on a blocking
//! thread, sent in 64 KiB chunks).

use super::ErreurApi;
use crate::etat::Etat;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::io::{self, Write};
use tokio::sync::mpsc;

const TAILLE_PAQUET: usize = 64 * 1024;

/// A `Write` that sends full buffers down a channel.
struct Canal {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    tampon: Vec<u8>,
}

impl Write for Canal {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tampon.extend_from_slice(buf);
        if self.tampon.len() >= TAILLE_PAQUET {
            self.flush()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.tampon.is_empty() {
            return Ok(());
        }
        let paquet = Bytes::from(std::mem::replace(
            &mut self.tampon,
            Vec::with_capacity(TAILLE_PAQUET),
        ));
        self.tx
            .blocking_send(Ok(paquet))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client parti"))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/exports/{fichier}",
    tag = "exports",
    summary = "Exporter des lieux au standard",
    description = "`lieux.csv` (les 32 colonnes du standard), `lieux.json` (tableau d'objets) ou `lieux.geojson` (FeatureCollection des lieux géolocalisés). Mêmes filtres que /api/v1/lieux, sans pagination.",
    params(("fichier" = String, Path, description = "`lieux.csv`, `lieux.json` ou `lieux.geojson`")),
    responses(
        (status = 200, description = "Le fichier, envoyé au fil de l'eau"),
        (status = 400, description = "Paramètre invalide", body = ErreurApi),
        (status = 404, description = "Format inconnu", body = ErreurApi),
    )
)]
pub async fn export(
    State(etat): State<Etat>,
    Path(fichier): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (format, type_mime) = match fichier.as_str() {
        "lieux.csv" => (0, "text/csv; charset=utf-8"),
        "lieux.json" => (1, "application/json"),
        "lieux.geojson" => (2, "application/geo+json"),
        _ => {
            return super::erreur(
                StatusCode::NOT_FOUND,
                "export inconnu : lieux.csv, lieux.json ou lieux.geojson",
            )
        }
    };
    let (_, mut r) = match super::lieux::recherche_api(&etat, q.as_deref().unwrap_or_default()) {
        Ok(x) => x,
        Err(rep) => return *rep,
    };
    let c = etat.catalogue();
    r.page = 1;
    r.par_page = c.len().max(1);
    let indices: Vec<usize> = c
        .rechercher(&r, etat.maintenant())
        .lieux
        .iter()
        .map(|t| t.index)
        .collect();
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut w = Canal {
            tx: tx.clone(),
            tampon: Vec::with_capacity(TAILLE_PAQUET),
        };
        let lieux = indices.iter().map(|&i| &c.lieux()[i]);
        let resultat = match format {
            0 => maillage_lieux::format::ecrire_csv(&mut w, lieux).map(|_| ()),
            1 => maillage_lieux::format::ecrire_json(&mut w, lieux).map(|_| ()),
            _ => maillage_lieux::format::ecrire_geojson(&mut w, lieux).map(|_| ()),
        };
        let resultat = resultat.and_then(|()| w.flush());
        if let Err(e) = resultat {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::warn!("export interrompu : {e}");
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    let corps = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    (
        [
            (header::CONTENT_TYPE, type_mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{fichier}\""),
            ),
        ],
        corps,
    )
        .into_response()
}
