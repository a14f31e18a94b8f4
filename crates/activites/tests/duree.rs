//! Durations: presets, custom minutes, and the statistics buckets.

use maillage_activites::{Duree, DureePreset, TrancheDuree, DUREE_MAX_MINUTES};

#[test]
fn les_presets_sont_ceux_du_formulaire() {
    let minutes: Vec<u16> = DureePreset::iter().map(DureePreset::minutes).collect();
    assert_eq!(minutes, [15, 30, 45, 60, 90, 120]);
    for p in DureePreset::iter() {
        assert_eq!(p.code(), p.minutes().to_string());
        assert_eq!(DureePreset::depuis_minutes(p.minutes()), Some(p));
    }
    assert_eq!(DureePreset::depuis_minutes(20), None);
}

#[test]
fn une_duree_est_canonique() {
    assert_eq!(
        Duree::depuis_minutes(90),
        Ok(Duree::Preset(DureePreset::Min90))
    );
    assert_eq!(
        Duree::depuis_minutes(75),
        Ok(Duree::Personnalisee { minutes: 75 })
    );
    assert_eq!(Duree::depuis_minutes(75).map(Duree::minutes), Ok(75));
}

#[test]
fn une_duree_va_de_1_minute_a_24_heures() {
    assert_eq!(DUREE_MAX_MINUTES, 1440);
    assert!(Duree::depuis_minutes(1).is_ok());
    assert!(Duree::depuis_minutes(1440).is_ok());
    assert!(Duree::depuis_minutes(0).is_err());
    assert!(Duree::depuis_minutes(-5).is_err());
    assert!(Duree::depuis_minutes(1441).is_err());
    assert!(Duree::depuis_minutes(i64::MAX).is_err());
}

#[test]
fn une_duree_s_echange_en_minutes() {
    let d = Duree::depuis_minutes(45).expect("valide");
    assert_eq!(serde_json::to_string(&d).expect("json"), "45");
    let relue: Duree = serde_json::from_str("50").expect("json");
    assert_eq!(relue, Duree::Personnalisee { minutes: 50 });
    assert!(serde_json::from_str::<Duree>("0").is_err());
    assert!(serde_json::from_str::<Duree>("2000").is_err());
}

#[test]
fn les_quatre_tranches_des_statistiques() {
    let cas = [
        (1, TrancheDuree::MoinsDe30Min),
        (29, TrancheDuree::MoinsDe30Min),
        (30, TrancheDuree::De30MinA1H),
        (59, TrancheDuree::De30MinA1H),
        (60, TrancheDuree::De1HA2H),
        (119, TrancheDuree::De1HA2H),
        (120, TrancheDuree::DeuxHeuresEtPlus),
        (1440, TrancheDuree::DeuxHeuresEtPlus),
    ];
    for (minutes, tranche) in cas {
        assert_eq!(TrancheDuree::de_minutes(minutes), tranche, "{minutes} min");
        assert_eq!(
            Duree::depuis_minutes(i64::from(minutes)).map(Duree::tranche),
            Ok(tranche)
        );
    }
    let libelles: Vec<&str> = TrancheDuree::iter().map(TrancheDuree::libelle).collect();
    assert_eq!(
        libelles,
        ["Moins de 30 min", "30min à 1 h", "1 h à 2 h", "2 h et plus"]
    );
}
