//! `cargo run --release -p maillage-orientation --example bench_recherche -- 20000 1000000`
//! Prints p50/p99 of the query mix over synthetic national sets built from
//! the demo data in `data/`.

use std::path::PathBuf;

fn main() {
    let donnees = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let tailles: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let tailles = if tailles.is_empty() {
        vec![20_000]
    } else {
        tailles
    };
    for n in tailles {
        match maillage_orientation::bench::mesurer_depuis_dossier(&donnees, n) {
            Ok(rapport) => println!("{rapport}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}
