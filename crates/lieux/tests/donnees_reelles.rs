//! The real published datasets and raw sources of `data/`.

use maillage_lieux::format::{lire_lieux, lire_objets, OptionsLecture};
use maillage_lieux::validation::{valider, Options};
use maillage_lieux::{horaires, v0, Gravite};
use std::collections::BTreeMap;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

fn options() -> Options {
    Options {
        strict_horaires: false,
        aujourd_hui: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
    }
}

fn lire(chemin: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{chemin}")).expect("data file")
}

/// Line of the n-th occurrence of `"id": "<id>"` minus one: the `{` of the
/// pretty-printed object sits on the line before its first key. Computed
/// independently of the reader's scanner.
fn ligne_attendue(texte: &str, id: &str) -> u64 {
    let motif = format!("\"id\": \"{id}\"");
    let pos = texte.find(&motif).expect("id present");
    texte[..pos].matches('\n').count() as u64
}

#[test]
fn the_four_published_datasets_migrate_and_validate() {
    let attendus = [
        ("hinaura-2021.v0.json", 687),
        ("charente-2023.v0.json", 188),
        ("nouvelle-caledonie-2024.v0.json", 90),
        ("bus-france-services-charente-2023.v0.json", 12),
    ];
    for (fichier, n) in attendus {
        let bytes = lire(&format!("lieux/{fichier}"));
        let texte = String::from_utf8(bytes.clone()).expect("utf-8");
        let lecture = lire_lieux(&bytes, fichier, &OptionsLecture::default()).expect("readable");
        assert_eq!(lecture.records.len(), n, "{fichier}");
        assert!(lecture.issues.is_empty(), "{fichier}: {:?}", lecture.issues);
        // Lines point at each object's `{`.
        for b in lecture.records.iter().step_by(37) {
            let id = b.get("id").expect("id");
            assert_eq!(b.line, Some(ligne_attendue(&texte, id)), "{fichier} {id}");
        }
        let mut acceptes = 0;
        let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
        let (mut horaires_total, mut horaires_ok) = (0, 0);
        let mut nb_v0 = 0;
        for mut b in lecture.records {
            if v0::est_v0(&b) {
                nb_v0 += 1;
            }
            if let Some(h) = b.get("horaires") {
                horaires_total += 1;
                if horaires::normaliser(h).is_ok() {
                    horaires_ok += 1;
                }
            }
            let mut issues = v0::migrer(&mut b);
            assert!(!v0::est_v0(&b));
            let r = valider(&b, &options());
            issues.extend(r.issues);
            for i in &issues {
                *codes.entry(i.code).or_default() += 1;
                assert!(i.line.is_some() && i.record_id.is_some(), "{i}");
            }
            if let Some(l) = r.lieu {
                acceptes += 1;
                assert!(!l.services.is_empty(), "{fichier} {}", l.id);
            }
        }
        eprintln!(
            "{fichier}: {nb_v0} enregistrements v0, {acceptes}/{n} lieux valides, horaires lisibles {horaires_ok}/{horaires_total}, remarques {codes:?}"
        );
        assert_eq!(acceptes, n, "{fichier}: no record is rejected");
        if fichier.starts_with("nouvelle-caledonie") {
            // Mixed file: some records carry only v1 fields.
            assert!(nb_v0 > 0 && nb_v0 < n, "{nb_v0}");
        } else {
            assert_eq!(nb_v0, n, "{fichier}");
        }
        assert!(horaires_ok * 10 >= horaires_total * 9, "{fichier}");
        match fichier {
            "bus-france-services-charente-2023.v0.json" => {
                // APTIC and ZRR on every stop, date 1969-12-31 everywhere.
                assert_eq!(codes.get("valeur_v0_sans_equivalent"), Some(&12));
                assert_eq!(codes.get("zrr_obsolete"), Some(&12));
                assert_eq!(codes.get("date_maj_suspecte"), Some(&12));
            }
            "hinaura-2021.v0.json" => {
                // 91 "Accepte le Pass numérique" named, never silently lost.
                assert_eq!(codes.get("valeur_v0_sans_equivalent"), Some(&91));
            }
            "nouvelle-caledonie-2024.v0.json" => {
                assert_eq!(codes.get("zrr_obsolete"), Some(&9));
                assert_eq!(codes.get("date_maj_suspecte"), Some(&6));
            }
            _ => {}
        }
    }
}

#[test]
fn official_example_is_valid_without_any_issue() {
    let bytes = lire("standard/exemple-valide-v1.0.2.csv");
    let lecture = lire_lieux(
        &bytes,
        "exemple-valide-v1.0.2.csv",
        &OptionsLecture::default(),
    )
    .expect("readable");
    assert!(lecture.issues.is_empty(), "{:?}", lecture.issues);
    assert_eq!(lecture.records.len(), 1);
    assert_eq!(lecture.delimiteur, Some(b','));
    let b = &lecture.records[0];
    assert_eq!(b.line, Some(2));
    assert!(!v0::est_v0(b));
    let r = valider(b, &options());
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    let l = r.lieu.expect("valid");
    // Every cell comes back exactly as written, hours included.
    // (enumerations are written in the standard's order, hence the sort)
    let trie = |s: &str| {
        let mut v: Vec<String> = s.split('|').map(str::to_string).collect();
        v.sort();
        v
    };
    for (champ, cellule) in maillage_lieux::CHAMPS.iter().zip(l.ligne()) {
        assert_eq!(
            trie(b.get(champ).unwrap_or_default()),
            trie(&cellule),
            "{champ}"
        );
    }
}

#[test]
fn every_raw_source_is_readable() {
    let sources = [
        ("aix-en-provence", 38),
        ("angers", 63),
        ("bus-france-services-charente", 12),
        ("corse", 161),
        ("epernay", 39),
        ("etapes-numerique", 95),
        ("fibre-64", 61),
        ("gironde", 347),
        ("la-creuse", 91),
        ("maine-et-loire", 243),
        ("nouvelle-caledonie", 92),
    ];
    for (source, n) in sources {
        let fichier = format!("sources/mednum-cli/{source}/{source}.json");
        let lecture =
            lire_objets(&lire(&fichier), &fichier, &OptionsLecture::default()).expect("readable");
        assert_eq!(lecture.records.len(), n, "{source}");
        assert!(lecture.issues.is_empty(), "{source}: {:?}", lecture.issues);
        assert!(lecture.records.windows(2).all(|w| w[0].line < w[1].line));
    }
    let lecture = lire_objets(
        &lire("sources/bfc-ternum.csv"),
        "bfc-ternum.csv",
        &OptionsLecture::default(),
    )
    .expect("readable");
    assert_eq!(lecture.records.len(), 697);
    assert_eq!(lecture.delimiteur, Some(b','));
    assert!(
        lecture.issues.iter().all(|i| i.severity < Gravite::Erreur),
        "{:?}",
        lecture.issues
    );
    let premier = &lecture.records[0];
    assert_eq!(premier.line, 2);
    assert_eq!(premier.values["bfc_id"], "mednumBFC_TL_1_");
    assert_eq!(premier.values["lundi matin"], "8h30-12h");
}
