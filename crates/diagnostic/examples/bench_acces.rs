//! `cargo run --release -p maillage-diagnostic --example bench_acces -- 20000`
//!
//! Times [`calculer_acces`] on the real communes of the embedded referential
//! (~35,000) and N synthetic places (default 20,000): the real registry has
//! too few, so places are real commune centroids jittered by up to ~3 km,
//! with random service sets, from a fixed seed. Figures are printed, never
//! asserted.

use std::time::Instant;

use maillage_diagnostic::{calculer_acces, LieuPositionne};
use maillage_lieux::enums::Service;
use maillage_lieux::{Ensemble, Valeur};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let referentiel = match maillage_territoires::embarque() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let centres: Vec<(f64, f64)> = referentiel
        .communes()
        .iter()
        .filter_map(|c| c.centre())
        .collect();
    let mut rng = fastrand::Rng::with_seed(5);
    // Rough shares of places offering each service.
    let frequences = [0.75, 0.7, 0.35, 0.4, 0.2, 0.25, 0.3, 0.6, 0.05];
    let lieux: Vec<LieuPositionne> = (0..n)
        .filter_map(|_| {
            let (la, lo) = centres[rng.usize(0..centres.len())];
            let mut services = Ensemble::new();
            for (&s, &f) in Service::TOUTES.iter().zip(&frequences) {
                if rng.f64() < f {
                    services.insert(s);
                }
            }
            LieuPositionne::new(
                la + (rng.f64() - 0.5) * 0.05,
                lo + (rng.f64() - 0.5) * 0.07,
                services,
            )
        })
        .collect();

    let mut mesures = Vec::new();
    let mut acces = None;
    for _ in 0..5 {
        let debut = Instant::now();
        acces = Some(calculer_acces(referentiel.communes(), &lieux));
        mesures.push(debut.elapsed());
    }
    mesures.sort();
    let Some(acces) = acces else { return };
    let p = acces.population_eloignee(10.0);
    println!(
        "{} communes évaluées ({} non évaluées, {} arrondissements écartés) × {} lieux × (tous + 9 services)",
        acces.communes.len(),
        acces.non_evaluees.len(),
        acces.arrondissements_ecartes,
        lieux.len()
    );
    println!(
        "temps (5 passes) : min {:.1} ms, médiane {:.1} ms, max {:.1} ms",
        mesures[0].as_secs_f64() * 1e3,
        mesures[2].as_secs_f64() * 1e3,
        mesures[4].as_secs_f64() * 1e3
    );
    println!(
        "population à plus de 10 km d'un lieu : {} sur {} ; d'un lieu « {} » : {}",
        p.sans_lieu,
        p.population,
        Service::AcquisitionMateriel.valeur(),
        p.sans(Service::AcquisitionMateriel)
    );
}
