//! Properties on arbitrary input: no panic, scores in range and symmetric,
//! published ids always safe.

use chrono::NaiveDate;
use maillage_dedup::{fusionner, identifiant_publie, regrouper, score, slug, Fiche, Options};
use maillage_lieux::{Lieu, PrecisionCoordonnees};
use proptest::prelude::*;

fn lieu(
    id: String,
    nom: String,
    adresse: String,
    tel: String,
    lat: f64,
    lon: f64,
    jour: u32,
) -> Lieu {
    let date = NaiveDate::from_ymd_opt(1960, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(jour))))
        .expect("date");
    let mut l = Lieu::minimal(&id, &nom, "Commune", "16000", &adresse, date);
    l.telephone = Some(tel.into());
    l.latitude = Some(lat);
    l.longitude = Some(lon);
    l.precision_coordonnees = PrecisionCoordonnees::Source;
    l
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scores_are_symmetric_and_bounded(
        n1 in ".{0,40}", n2 in ".{0,40}", a1 in ".{0,40}", a2 in ".{0,40}",
        t1 in "[0-9+ .]{0,16}", t2 in "[0-9+ .]{0,16}",
        lat1 in -90.0f64..90.0, lon1 in -180.0f64..180.0,
        lat2 in -90.0f64..90.0, lon2 in -180.0f64..180.0,
        j1 in 0u32..40_000, j2 in 0u32..40_000,
    ) {
        let a = lieu("a".into(), n1, a1, t1, lat1, lon1, j1);
        let b = lieu("b".into(), n2, a2, t2, lat2, lon2, j2);
        let fa = Fiche { source: "s1", lieu: &a };
        let fb = Fiche { source: "s2", lieu: &b };
        let (sab, sba) = (score(&fa, &fb), score(&fb, &fa));
        prop_assert!((0.0..=1.0).contains(&sab.total));
        prop_assert!((sab.total - sba.total).abs() < 1e-9);
        let groupes = regrouper(&[fa, fb], &Options::default());
        prop_assert_eq!(groupes.iter().map(|g| g.membres.len()).sum::<usize>(), 2);
        let l = fusionner(&[fa, fb], &Options::default());
        prop_assert!(l.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    }

    #[test]
    fn published_ids_are_safe(source in ".{0,30}", id in ".{0,30}") {
        let l = lieu(id, "n".into(), "a".into(), String::new(), 45.0, 0.0, 1);
        let f = Fiche { source: &source, lieu: &l };
        let publie = identifiant_publie(&[f]);
        prop_assert!(!publie.is_empty());
        prop_assert!(publie.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        prop_assert!(slug(&source).chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    }
}
