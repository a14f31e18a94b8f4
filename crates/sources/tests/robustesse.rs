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

/// Raw sources are read by the same reader as standard files
/// (`maillage_lieux::format::lire_objets`): the shapes the mapping
/// configurations meet.
mod lecture_des_sources {
    use maillage_lieux::format::{lire_objets, OptionsLecture};
    use serde_json::Value;

    fn lire(
        bytes: &[u8],
        fichier: &str,
        chemin_json: Option<&str>,
    ) -> Option<Vec<maillage_lieux::brut::Enregistrement>> {
        let opts = OptionsLecture {
            chemin_json: chemin_json.map(str::to_string),
            ..OptionsLecture::default()
        };
        // None when the file is refused (a `Fatale` issue).
        lire_objets(bytes, fichier, &opts).ok().map(|l| l.records)
    }

    #[test]
    fn wrapped_json_and_lines() {
        let j = b"{\"total\": 2,\n \"results\": [\n  {\"a\": 1},\n  {\"a\": {\"b\": 2}}\n ]\n}";
        let e = lire(j, "x.json", Some("results")).expect("ok");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, 3);
        assert_eq!(e[1].line, 4);
        let e = lire(j, "x.json", None).expect("ok");
        assert_eq!(e.len(), 2);
        // A source known to wrap its records that publishes a bare array is
        // still read; a named key missing from an object is an error.
        assert_eq!(
            lire(b"[{\"a\": 1}]", "x.json", Some("results")).map(|e| e.len()),
            Some(1)
        );
        assert!(lire(b"{\"data\": [{\"a\": 1}]}", "x.json", Some("results")).is_none());
    }

    #[test]
    fn csv_with_guessed_delimiter_bom_and_latin1() {
        let c = b"\xEF\xBB\xBFnom;ville\r\nA;Paris\r\nB;Orl\xE9ans\r\n".to_vec();
        let e = lire(&c, "x.csv", None).expect("ok");
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].values["ville"], Value::from("Orléans"));
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].line, 3);
        // An empty file is unusable for an import (the registry is left as
        // it was), not a source with no places.
        assert!(lire(b"", "x.csv", None).is_none());
    }
}
