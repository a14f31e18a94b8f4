//! Arbitrary bytes as a standard file (CSV, JSON and unnamed): read, migrate
//! and validate every record. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_lieux::format::{lire_lieux, lire_objets, OptionsLecture};
use maillage_lieux::v0;
use maillage_lieux::validation::{valider, Options};

fuzz_target!(|data: &[u8]| {
    let options = Options {
        strict_horaires: false,
        aujourd_hui: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
    };
    for fichier in ["fuzz.csv", "fuzz.json", "fuzz"] {
        let _ = lire_objets(data, fichier, &OptionsLecture::default());
        if let Ok(lecture) = lire_lieux(data, fichier, &OptionsLecture::default()) {
            for mut brut in lecture.records {
                let _ = v0::migrer(&mut brut);
                let _ = valider(&brut, &options);
            }
        }
    }
});
