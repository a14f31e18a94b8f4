//! Scale: candidate generation stays linear. Counts, never time.

use chrono::NaiveDate;
use maillage_dedup::{regrouper_avec_statistiques, Fiche, Options, Statistiques};
use maillage_lieux::{Lieu, PrecisionCoordonnees};

/// Deterministic pseudo-random numbers (64-bit LCG, Knuth's constants).
struct Alea(u64);

impl Alea {
    fn suivant(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn sous(&mut self, n: u64) -> u64 {
        self.suivant() % n
    }
    fn reel(&mut self) -> f64 {
        self.suivant() as f64 / (1u64 << 31) as f64
    }
}

const GENRES: &[&str] = &[
    "Médiathèque",
    "Mairie de",
    "France Services",
    "Centre social",
    "Espace numérique",
    "Association",
    "Tiers-lieu",
    "CCAS",
];

/// `n` places over metropolitan France, with the traps of real data: 5 %
/// re-published by a second source, a national phone shared by 2 % of the
/// records, 2,000 records on one commune centroid.
fn registre(n: usize) -> Vec<(String, Lieu)> {
    let mut a = Alea(42);
    let date = NaiveDate::from_ymd_opt(2024, 5, 1).expect("date");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let i = out.len();
        let commune = a.sous(30_000);
        let genre = GENRES[a.sous(GENRES.len() as u64) as usize];
        let mot = format!(
            "{}{}",
            ["Ker", "Val", "Mont", "Bel", "Pra", "Lou"][a.sous(6) as usize],
            a.sous(5_000)
        );
        let mut l = Lieu::minimal(
            &format!("l{i}"),
            &format!("{genre} {mot}"),
            &format!("Commune{commune}"),
            &format!("{:05}", 1000 + commune),
            &format!("{} rue {}", a.sous(200), a.sous(3_000)),
            date,
        );
        l.code_insee = Some(format!("{:05}", 1000 + commune).into());
        if out.len() % 25 == 0 && out.len() < 50_000 {
            // The commune-centroid trap.
            l.latitude = Some(45.0);
            l.longitude = Some(3.0);
            l.precision_coordonnees = PrecisionCoordonnees::Commune;
        } else {
            l.latitude = Some(42.5 + 8.5 * a.reel());
            l.longitude = Some(-4.5 + 12.5 * a.reel());
            l.precision_coordonnees = PrecisionCoordonnees::Source;
        }
        l.telephone = Some(if a.sous(50) == 0 {
            "+33969322121".into()
        } else {
            format!("+33{}", 100_000_000 + a.sous(800_000_000)).into()
        });
        let source = format!("source-{}", a.sous(8));
        if a.sous(20) == 0 && out.len() + 1 < n {
            let mut double = l.clone();
            double.id = format!("l{i}-bis").into();
            double.nom = double.nom.to_uppercase();
            double.latitude = double.latitude.map(|x| x + 0.0004);
            out.push(("autre-source".to_string(), double));
        }
        out.push((source, l));
    }
    out
}

fn mesurer(n: usize) -> Statistiques {
    let donnees = registre(n);
    let fiches: Vec<Fiche> = donnees
        .iter()
        .map(|(s, l)| Fiche { source: s, lieu: l })
        .collect();
    let debut = std::time::Instant::now();
    let (groupes, stats) = regrouper_avec_statistiques(&fiches, &Options::default());
    // Printed for the report, never asserted.
    println!("regrouper : {n} fiches en {:?}", debut.elapsed());
    assert_eq!(
        groupes.iter().map(|g| g.membres.len()).sum::<usize>(),
        fiches.len()
    );
    stats
}

#[test]
fn candidate_pairs_stay_linear_on_50_000_records() {
    let stats = mesurer(50_000);
    println!("{stats:?}");
    assert_eq!(stats.fiches, 50_000);
    assert!(
        stats.paires_comparees < 20 * stats.fiches,
        "{} paires pour {} fiches",
        stats.paires_comparees,
        stats.fiches
    );
    // The shared national phone and the centroid are ignored, not expanded.
    assert!(stats.blocs_ignores >= 1);
    // The re-published places are found (about 5 % of the records).
    assert!(
        stats.groupes_multiples > 1_500,
        "{}",
        stats.groupes_multiples
    );
}

/// `cargo test --release -p maillage-dedup --test echelle -- --ignored --nocapture`
#[test]
#[ignore = "un million de fiches : à lancer en release pour mesurer"]
fn one_million_records() {
    let stats = mesurer(1_000_000);
    println!("{stats:?}");
    assert!(stats.paires_comparees < 20 * stats.fiches);
}
