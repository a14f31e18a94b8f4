//! Arbitrary bytes as one record: split into `field=value` lines, migrate,
//! validate (lenient and strict). Nothing may panic, and an accepted place
//! must re-validate to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_lieux::validation::{valider, Options, CLE_PRECISION};
use maillage_lieux::{v0, LieuBrut, CHAMPS};

fuzz_target!(|data: &[u8]| {
    let texte = String::from_utf8_lossy(data);
    let mut brut = LieuBrut::new(Some(1));
    for ligne in texte.lines() {
        if let Some((k, v)) = ligne.split_once('=') {
            brut.set(k, v);
        }
    }
    let _ = v0::est_v0(&brut);
    let _ = v0::migrer(&mut brut);
    for strict_horaires in [false, true] {
        let options = Options {
            strict_horaires,
            aujourd_hui: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        };
        let r = valider(&brut, &options);
        if let Some(lieu) = r.lieu {
            let mut again = LieuBrut::new(Some(1));
            for c in CHAMPS {
                again.set(c, lieu.valeur(c));
            }
            again.set(CLE_PRECISION, lieu.precision_coordonnees.code());
            let r2 = valider(&again, &options);
            assert_eq!(r2.lieu.as_ref(), Some(&lieu));
        }
    }
});
