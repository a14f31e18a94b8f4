//! `cargo run --release -p maillage-web --example bench_diagnostic -- 20000`
//!
//! Times the territorial diagnostic once computed: N synthetic places
//! (default 20,000, jittered copies of the provided datasets over real
//! communes, as `maillage bench-recherche`), the access data computed once
//! as the server does on each published registry, then each page, file and
//! API response through the real router in process (handler, rendering and
//! compression off: the body fully produced). Figures are printed, never
//! asserted; the target is under 100 ms per page.
//!
//! `-- 20000 --servir 127.0.0.1:8080` then serves that state, to look at
//! the pages in a browser.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use maillage_orientation::Catalogue;
use maillage_web::{routeur, Config, Etat};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const TOURS: usize = 15;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let referentiel = maillage_territoires::embarque().map_err(|e| anyhow::anyhow!("{e}"))?;
    let donnees = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let modeles = maillage_orientation::bench::modeles_depuis_dossier(referentiel, &donnees);
    let lieux = maillage_orientation::bench::generer(&modeles, referentiel, n, 7);
    let catalogue = Arc::new(Catalogue::new(lieux, referentiel));
    let dossier = tempfile::tempdir()?;
    let store = maillage_store::Store::connect(&format!(
        "sqlite://{}",
        dossier.path().join("bench.db").display()
    ))
    .await?;
    let debut = Instant::now();
    let etat = Etat::avec_catalogue(store, catalogue, Config::default())?;
    println!(
        "{} lieux ; données d'accès calculées une fois en {:.0} ms (toutes les communes, 9 services)",
        n,
        debut.elapsed().as_secs_f64() * 1000.0
    );
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--servir") {
        let ecoute = args.get(i + 1).map_or("127.0.0.1:8080", String::as_str);
        return maillage_web::servir_etat(etat, ecoute).await;
    }
    let app = routeur(etat);
    let epci = referentiel
        .commune("62041")
        .and_then(|c| c.epci.clone())
        .map_or_else(String::new, |e| e.to_string());
    let urls = [
        "/territoires/france/diagnostic".to_string(),
        "/territoires/reg/84/diagnostic".to_string(),
        "/territoires/dep/62/diagnostic".to_string(),
        "/territoires/dep/62/diagnostic?distance=5&indicateur=densite".to_string(),
        format!("/territoires/epci/{epci}/diagnostic"),
        "/territoires/com/75056/diagnostic".to_string(),
        "/territoires/dep/62/diagnostic.csv".to_string(),
        "/territoires/dep/62/diagnostic.xlsx".to_string(),
        "/api/v1/territoires/france/diagnostic".to_string(),
        "/api/v1/territoires/dep:62/diagnostic".to_string(),
    ];
    println!(
        "{:<62} {:>9} {:>9} {:>10}",
        "requête", "médiane", "max", "octets"
    );
    for url in &urls {
        let mut mesures: Vec<Duration> = Vec::with_capacity(TOURS);
        let mut taille = 0;
        for _ in 0..=TOURS {
            let debut = Instant::now();
            let rep = app
                .clone()
                .oneshot(Request::get(url.as_str()).body(Body::empty())?)
                .await?;
            let statut = rep.status();
            let corps = rep.into_body().collect().await?.to_bytes();
            mesures.push(debut.elapsed());
            anyhow::ensure!(statut.is_success(), "{url} : {statut}");
            taille = corps.len();
        }
        // The first run warms the caches (outlines parsed once).
        mesures.remove(0);
        mesures.sort();
        println!(
            "{:<62} {:>6.1} ms {:>6.1} ms {:>10}",
            url,
            mesures[mesures.len() / 2].as_secs_f64() * 1000.0,
            mesures[mesures.len() - 1].as_secs_f64() * 1000.0,
            taille
        );
    }
    Ok(())
}
