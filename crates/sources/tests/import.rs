mod commun;

use commun::{importer, SOURCES_BRUTES};
use std::collections::HashSet;

/// Every provided raw source imports: one record out per record in, each
/// with an id (unique), and names and addresses wherever the source has them.
#[test]
fn every_provided_source_imports() {
    for (dossier, _, attendu) in SOURCES_BRUTES {
        let (entree, t) = importer(dossier);
        assert_eq!(entree.len(), *attendu, "{dossier} : lus");
        assert_eq!(t.lieux.len(), *attendu, "{dossier} : produits");
        let ids: HashSet<&str> = t.lieux.iter().filter_map(|l| l.get("id")).collect();
        assert_eq!(ids.len(), *attendu, "{dossier} : ids présents et uniques");
        let noms = t.lieux.iter().filter(|l| l.has("nom")).count();
        let adresses = t.lieux.iter().filter(|l| l.has("adresse")).count();
        let sources = t.lieux.iter().filter(|l| l.has("source")).count();
        let dates = t
            .lieux
            .iter()
            .filter_map(|l| l.get("date_maj"))
            .filter(|d| maillage_sources::date_iso(d).as_deref() == Some(*d))
            .count();
        let horaires = t.lieux.iter().filter(|l| l.has("horaires")).count();
        let services = t.lieux.iter().filter(|l| l.has("services")).count();
        println!(
            "{dossier:30} {attendu:4} noms {noms:4} adresses {adresses:4} dates ISO {dates:4} \
             services {services:4} horaires {horaires:4} issues {}",
            t.issues.len()
        );
        assert_eq!(sources, *attendu, "{dossier} : source");
        assert!(noms * 100 >= attendu * 97, "{dossier} : noms {noms}");
        assert!(
            adresses * 100 >= attendu * 90,
            "{dossier} : adresses {adresses}"
        );
        // Lines point into the file, in order.
        assert!(
            t.lieux.windows(2).all(|w| w[0].line < w[1].line),
            "{dossier} : lignes"
        );
        for i in &t.issues {
            assert!(i.file.is_some() && !i.message.is_empty());
        }
    }
}

#[test]
fn bfc_hours_combine_morning_and_afternoon() {
    let (e, t) = importer("mednum-bfc");
    // First row: 8h30-12h / 13h30-17h Monday to Friday, nothing at weekends.
    assert_eq!(
        e[0].values.get("lundi matin").and_then(|v| v.as_str()),
        Some("8h30-12h")
    );
    assert_eq!(
        t.lieux[0].get("horaires"),
        Some("Mo-Fr 08:30-12:00,13:30-17:00")
    );
    assert_eq!(t.lieux[0].get("date_maj"), Some("2021-03-02"));
    assert_eq!(t.lieux[0].get("source"), Some("Mednum BFC"));
    assert_eq!(t.lieux[0].get("id"), Some("mednumBFC_TL_1_"));
    assert_eq!(t.lieux[0].line, Some(2));
}

#[test]
fn bus_weeks_and_ids_follow_the_source() {
    let (_, t) = importer("bus-france-services-charente");
    assert_eq!(t.lieux[0].get("id"), Some("1"));
    assert_eq!(
        t.lieux[1].get("horaires"),
        Some("week 1-53/2 Tu 09:00-12:30,13:30-15:30; PH off")
    );
    assert_eq!(
        t.lieux[6].get("horaires"),
        Some("week 2-52/2 Tu 09:30-12:00; PH off")
    );
    assert_eq!(t.lieux[0].get("typologie"), Some("RFS"));
    assert_eq!(t.lieux[0].get("itinerance"), Some("Itinérant"));
    // An empty date column gives no date (the pipeline wrote 1969-12-31).
    assert_eq!(t.lieux[0].get("date_maj"), None);
}

#[test]
fn issues_name_file_line_record_and_field() {
    let (_, t) = importer("nouvelle-caledonie");
    let h: Vec<_> = t
        .issues
        .iter()
        .filter(|i| i.code == "horaires_non_converties")
        .collect();
    assert!(!h.is_empty());
    for i in &h {
        assert_eq!(i.field.as_deref(), Some("horaires"));
        assert!(i.line.is_some() && i.record_id.is_some());
        assert!(i.message.contains("non converties"), "{}", i.message);
    }
    // NC ids are row indexes, as the pipeline numbers them.
    assert_eq!(t.lieux[0].get("id"), Some("0"));
    assert_eq!(t.lieux[91].get("id"), Some("91"));
}

#[test]
fn a_column_missing_everywhere_is_reported_once() {
    let c = maillage_sources::Configuration::depuis_json(
        br#"{"nom": {"colonne": "USER_NOM"}, "telephone": {"colonne": "tel_inexistant"}}"#,
        "x.json",
    )
    .expect("ok");
    let e = commun::enregistrements("angers");
    let t = maillage_sources::transformer(&c, &e, "Angers", "angers.json");
    let absentes: Vec<_> = t
        .issues
        .iter()
        .filter(|i| i.code == "colonne_absente")
        .collect();
    assert_eq!(absentes.len(), 1);
    assert!(absentes[0].message.contains("tel_inexistant"));
    assert_eq!(absentes[0].field.as_deref(), Some("telephone"));
}

#[test]
#[ignore = "diagnostic: cargo test -p maillage-sources --test import -- --ignored --nocapture"]
fn diagnostic_issues() {
    for (dossier, _, _) in SOURCES_BRUTES {
        let (_, t) = importer(dossier);
        let mut codes = std::collections::BTreeMap::<(&str, String), Vec<String>>::new();
        for i in &t.issues {
            codes
                .entry((i.code, i.field.clone().unwrap_or_default()))
                .or_default()
                .push(i.message.clone());
        }
        for ((c, f), m) in codes {
            println!("{dossier} {c} {f} {} ex: {}", m.len(), m[0]);
        }
    }
}
