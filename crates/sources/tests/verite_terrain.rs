//! Field-by-field agreement with what the reference pipeline produced from
//! the same raw files (data/lieux/*.v0.json, v0-ish shape).
mod commun;

use commun::{importer, DATA};
use maillage_lieux::{LieuBrut, CHAMPS};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const LISTES: &[&str] = &[
    "typologie",
    "courriels",
    "site_web",
    "itinerance",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
];

/// v0 values the old pipeline still wrote (bus file) → v1 values
/// (standard-lieux.md §4.3).
fn v0_vers_v1(champ: &str, v: &str) -> Vec<(&'static str, String)> {
    let s = |x: &str| x.to_string();
    match (champ, v) {
        ("services", "Devenir autonome dans les démarches administratives")
        | ("services", "Réaliser des démarches administratives avec un accompagnement")
        | ("services", "Accompagner les démarches de santé") => {
            vec![("services", s("Aide aux démarches administratives"))]
        }
        ("services", "Accéder à du matériel")
        | ("services", "Accéder à une connexion internet") => {
            vec![("services", s("Accès internet et matériel informatique"))]
        }
        ("services", "Favoriser mon insertion professionnelle") => {
            vec![("services", s("Insertion professionnelle via le numérique"))]
        }
        ("labels_nationaux", "CNFS") => {
            vec![(
                "dispositif_programmes_nationaux",
                s("Conseillers numériques"),
            )]
        }
        ("labels_nationaux", "France Services") => {
            vec![("dispositif_programmes_nationaux", s("France Services"))]
        }
        ("labels_nationaux", _) => vec![], // APTIC: no v1 equivalent
        ("services", autre) => vec![("services", s(autre))],
        (_, autre) => vec![(champ_v1(champ), s(autre))],
    }
}

fn champ_v1(v0: &str) -> &'static str {
    match v0 {
        "courriel" => "courriels",
        "labels_autres" => "autres_formations_labels",
        "accessibilite" => "fiche_acces_libre",
        "conditions_acces" => "frais_a_charge",
        "labels_nationaux" => "dispositif_programmes_nationaux",
        autre => CHAMPS.iter().copied().find(|c| *c == autre).unwrap_or("?"),
    }
}

/// Ground truth record → field → normalised value.
fn verite(o: &serde_json::Map<String, Value>) -> BTreeMap<&'static str, String> {
    let mut listes: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (k, v) in o {
        let texte = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            autre => autre.to_string(),
        };
        let v1 = champ_v1(k);
        if LISTES.contains(&v1) || k == "labels_nationaux" {
            for part in texte
                .split(['|', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                for (c, val) in v0_vers_v1(k, part) {
                    listes.entry(c).or_default().insert(val);
                }
            }
        } else {
            out.insert(v1, normaliser(v1, &texte));
        }
    }
    for (c, l) in listes {
        out.insert(c, l.into_iter().collect::<Vec<_>>().join("|"));
    }
    out.retain(|_, v| !v.is_empty());
    out
}

fn normaliser(champ: &str, v: &str) -> String {
    let v = v.trim();
    match champ {
        "pivot" if v.chars().all(|c| c == '0') => String::new(),
        "telephone" => v.chars().filter(char::is_ascii_digit).collect(),
        "latitude" | "longitude" => v
            .parse::<f64>()
            .map(|f| format!("{f:.5}"))
            .unwrap_or_else(|_| v.to_string()),
        "horaires" => maillage_lieux::horaires::normaliser(v).unwrap_or_else(|_| v.to_string()),
        // The pipeline cut addresses before the postcode but left the dash.
        "adresse" => v
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches([' ', '-'])
            .to_string(),
        c if LISTES.contains(&c) => {
            let l: BTreeSet<&str> = v
                .split('|')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            l.into_iter().collect::<Vec<_>>().join("|")
        }
        // Line breaks and runs of spaces are folded by the pipeline.
        _ => v.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn produit(l: &LieuBrut) -> BTreeMap<&'static str, String> {
    CHAMPS
        .iter()
        .filter_map(|c| l.get(c).map(|v| (*c, normaliser(c, v))))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Per field: (agreeing records, compared records, first disagreement).
fn comparer(dossier: &str, verite_fichier: &str) -> BTreeMap<&'static str, (usize, usize, String)> {
    let (_, t) = importer(dossier);
    let par_id: BTreeMap<&str, &LieuBrut> = t
        .lieux
        .iter()
        .filter_map(|l| l.get("id").map(|id| (id, l)))
        .collect();
    let texte = std::fs::read_to_string(format!("{DATA}/lieux/{verite_fichier}")).expect("vérité");
    let Value::Array(vt) = serde_json::from_str::<Value>(&texte).expect("json") else {
        panic!("tableau")
    };
    // Fields the reference file never carries were not written by that
    // pipeline version: nothing to compare.
    let presents: BTreeSet<&str> = vt
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| verite(o).into_keys())
        .collect();
    let mut table: BTreeMap<&'static str, (usize, usize, String)> = BTreeMap::new();
    for o in &vt {
        let o = o.as_object().expect("objet");
        let id = o.get("id").and_then(Value::as_str).expect("id");
        let l = par_id
            .get(id)
            .unwrap_or_else(|| panic!("{dossier} : id {id} absent"));
        let (attendu, obtenu) = (verite(o), produit(l));
        for c in CHAMPS.iter().filter(|c| presents.contains(*c)) {
            let e = table.entry(c).or_default();
            e.1 += 1;
            let (a, b) = (attendu.get(c), obtenu.get(c));
            if a == b {
                e.0 += 1;
            } else if e.2.matches("id ").count() < 2 {
                let court = |x: Option<&String>| x.map(|v| v.chars().take(90).collect::<String>());
                e.2.push_str(&format!(
                    "\n      id {id} : attendu {:?}, obtenu {:?}",
                    court(a),
                    court(b)
                ));
            }
        }
    }
    println!("\n{dossier} ({} lieux de référence)", vt.len());
    for c in CHAMPS {
        match table.get(c) {
            Some((ok, n, ex)) => {
                let pct = 100.0 * *ok as f64 / *n as f64;
                println!(
                    "  {c:34} {pct:6.1} % ({ok}/{n}){}",
                    if pct < 100.0 { ex.as_str() } else { "" }
                );
            }
            None => println!("  {c:34}    n/a   (absent de la référence)"),
        }
    }
    table
}

fn part(t: &BTreeMap<&str, (usize, usize, String)>, champ: &str) -> f64 {
    t.get(champ)
        .map_or(0.0, |(ok, n, _)| 100.0 * *ok as f64 / *n as f64)
}

fn verifier(t: &BTreeMap<&str, (usize, usize, String)>, planchers: &[(&str, f64)]) {
    for (champ, plancher) in planchers {
        let p = part(t, champ);
        assert!(p >= *plancher, "{champ} : {p:.1} % < {plancher} %");
    }
}

/// Floors reached (see the crate report for why each field is below 100 %).
/// `code_insee` (0 %) is left out: every value came from BAN geocoding.
#[test]
fn nouvelle_caledonie_agrees_with_the_reference_pipeline() {
    let t = comparer("nouvelle-caledonie", "nouvelle-caledonie-2024.v0.json");
    verifier(
        &t,
        &[
            ("id", 100.0),
            ("nom", 100.0),
            ("code_postal", 100.0),
            ("complement_adresse", 100.0),
            ("latitude", 100.0),
            ("longitude", 100.0),
            ("courriels", 100.0),
            ("presentation_resume", 100.0),
            ("source", 100.0),
            ("commune", 97.0),                         // BAN replaced 2 communes
            ("adresse", 96.0),                         // pipeline quirks: 3 addresses
            ("horaires", 96.0),                        // 3 texts we refuse rather than misread
            ("date_maj", 93.0),                        // 6 × 1969-12-31 for a missing date
            ("typologie", 93.0),                       // configuration evolved (PIJ_BIJ rule)
            ("telephone", 90.0),                       // invalid phones dropped by the pipeline
            ("site_web", 90.0),                        // invalid URLs dropped by the pipeline
            ("autres_formations_labels", 74.0),        // ZRR computed; raw copy
            ("prise_en_charge_specifique", 68.0),      // configuration evolved
            ("services", 55.0),                        // configuration evolved
            ("publics_specifiquement_adresses", 11.0), // configuration evolved
        ],
    );
}

/// `source` (named from SOURCES.md), `date_maj` (1969-12-31 for an empty
/// cell), `dispositif_programmes_nationaux` (v0 labels copied by the old
/// pipeline, not in today's configuration) and `autres_formations_labels`
/// (computed ZRR) are at 0 % and left out.
#[test]
fn bus_france_services_agrees_with_the_reference_pipeline() {
    let t = comparer(
        "bus-france-services-charente",
        "bus-france-services-charente-2023.v0.json",
    );
    verifier(
        &t,
        &[
            ("id", 100.0),
            ("nom", 100.0),
            ("code_postal", 100.0),
            ("code_insee", 100.0),
            ("adresse", 100.0),
            ("latitude", 100.0),
            ("longitude", 100.0),
            ("typologie", 100.0),
            ("telephone", 100.0),
            ("site_web", 100.0),
            ("services", 100.0),
            ("presentation_resume", 75.0), // the pipeline mixed records up
            ("presentation_detail", 75.0), // idem (ALYNEA text)
            ("commune", 66.0),             // BAN spelling of 4 communes
            ("horaires", 66.0),            // the pipeline forgot week parity on 4
            ("fiche_acces_libre", 58.0),   // acceslibre enrichment
        ],
    );
    // Where we differ on purpose: no invented date, the configured name.
    let (_, imp) = importer("bus-france-services-charente");
    assert!(imp.lieux.iter().all(|l| !l.has("date_maj")));
    assert!(imp
        .lieux
        .iter()
        .all(|l| l.get("source") == Some("Bus France Services Charente")));
}
