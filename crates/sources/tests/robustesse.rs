//! No input makes the import panic, and whatever converts is valid OSM.
use maillage_sources::horaires_fr::{jour_vers_osm, semaine_vers_osm, texte_semaine_vers_osm};
use proptest::prelude::*;

fn valide(osm: &str) -> bool {
    osm.parse::<opening_hours::OpeningHours>().is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_handled(t in "\\PC{0,60}") {
        if let Ok(o) = texte_semaine_vers_osm(&t) {
            prop_assert!(valide(&o), "{t:?} → {o:?}");
        }
        if let Ok(o) = jour_vers_osm(&t) {
            prop_assert!(o == "off" || valide(&format!("Mo {o}")), "{t:?} → {o:?}");
        }
    }

    /// Texts built from the vocabulary of real hours, so the parser's
    /// paths are exercised rather than rejected at the first character.
    #[test]
    fn hours_like_texts_convert_to_valid_osm(
        mots in proptest::collection::vec(prop_oneof![
            Just("lundi"), Just("mardi"), Just("vendredi"), Just("samedi"), Just("au"),
            Just("du"), Just("de"), Just("à"), Just("et"), Just("-"), Just("/"), Just(","),
            Just("9h"), Just("12h30"), Just("14:00"), Just("18h"), Just("8"), Just("fermé"),
            Just("matin"), Just("sur rendez-vous"), Just("le deuxième"), Just("du mois"),
            Just("semaines paires"), Just("la semaine"), Just("(en continu)"), Just("\n"),
        ], 0..14)
    ) {
        let t = mots.join(" ");
        if let Ok(o) = texte_semaine_vers_osm(&t) {
            prop_assert!(valide(&o), "{t:?} → {o:?}");
        }
        let jours: Vec<(&str, &str)> = vec![("Mo", t.as_str()), ("Sun", "9h-12h")];
        if let Ok(o) = semaine_vers_osm(&jours) {
            prop_assert!(valide(&o), "{t:?} → {o:?}");
        }
    }
}
