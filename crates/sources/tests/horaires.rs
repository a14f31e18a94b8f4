//! Every distinct French hours text of the provided raw data, converted.
mod commun;

use commun::{config, enregistrements, SOURCES_BRUTES};
use maillage_sources::horaires_fr::{jour_vers_osm, texte_semaine_vers_osm};
use maillage_sources::{chercher, texte_valeur};
use std::collections::BTreeSet;

/// (source, form, text) for every distinct French text (`semaine` texts,
/// and per-day texts of `jours`, BFC's two half-day columns taken apart).
fn textes() -> Vec<(String, &'static str, String)> {
    let mut vus = BTreeSet::new();
    let mut out = Vec::new();
    for (dossier, _, _) in SOURCES_BRUTES {
        let c = config(dossier);
        let Some(h) = &c.horaires else { continue };
        for e in enregistrements(dossier) {
            let mut prendre = |forme: &'static str, col: &str| {
                if let Some(t) = chercher(&e.values, col).and_then(texte_valeur) {
                    if vus.insert((forme, t.clone())) {
                        out.push((dossier.to_string(), forme, t));
                    }
                }
            };
            if let Some(col) = &h.semaine {
                prendre("semaine", col);
            }
            for j in h.jours.iter().flatten() {
                for col in &j.colonnes {
                    prendre("jour", col);
                }
            }
        }
    }
    out
}

fn convertir(forme: &str, t: &str) -> Result<String, String> {
    if forme == "jour" {
        jour_vers_osm(t)
    } else {
        texte_semaine_vers_osm(t)
    }
}

#[test]
fn share_of_distinct_french_hours_converted_and_outputs_parse() {
    let textes = textes();
    let mut ok = 0;
    let mut par_forme = std::collections::BTreeMap::<&str, (usize, usize)>::new();
    for (source, forme, t) in &textes {
        let e = par_forme.entry(forme).or_default();
        e.1 += 1;
        match convertir(forme, t) {
            Ok(osm) => {
                if std::env::var_os("HORAIRES_SUCCES").is_some() {
                    println!("OK {source} [{forme}] {t:?} → {osm}");
                }
                ok += 1;
                e.0 += 1;
                // A day alone (`09:00-12:00`) is checked inside a week rule.
                let complet = if *forme == "jour" && osm != "off" {
                    format!("Mo {osm}")
                } else {
                    osm.clone()
                };
                let parse = complet.parse::<opening_hours::OpeningHours>();
                assert!(
                    parse.is_ok(),
                    "{source} « {t} » → « {complet} » ne se lit pas"
                );
            }
            Err(raison) => {
                if std::env::var_os("HORAIRES_ECHECS").is_some() {
                    println!("ÉCHEC {source} [{forme}] {t:?} : {raison}");
                }
            }
        }
    }
    let total = textes.len();
    println!(
        "horaires en français : {ok}/{total} textes distincts convertis ({:.1} %)",
        100.0 * ok as f64 / total as f64
    );
    for (forme, (o, n)) in &par_forme {
        println!(
            "  {forme:8} {o}/{n} ({:.1} %)",
            100.0 * *o as f64 / *n as f64
        );
    }
    assert!(total > 500, "{total}");
    assert!(ok * 100 >= total * 70, "{ok}/{total}");
}
