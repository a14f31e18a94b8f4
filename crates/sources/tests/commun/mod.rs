//! Readers of the raw files for tests (the generic reader lives in
//! maillage-lieux and is written in parallel).
#![allow(dead_code)]

use maillage_lieux::brut::Enregistrement;
use maillage_sources::{transformer, Configuration, Transformation};

pub const MEDNUM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sources/mednum-cli");
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

/// Sources with raw data: (folder, raw file relative to data/, count).
pub const SOURCES_BRUTES: &[(&str, &str, usize)] = &[
    (
        "aix-en-provence",
        "sources/mednum-cli/aix-en-provence/aix-en-provence.json",
        38,
    ),
    ("angers", "sources/mednum-cli/angers/angers.json", 63),
    (
        "bus-france-services-charente",
        "sources/mednum-cli/bus-france-services-charente/bus-france-services-charente.json",
        12,
    ),
    ("corse", "sources/mednum-cli/corse/corse.json", 161),
    ("epernay", "sources/mednum-cli/epernay/epernay.json", 39),
    (
        "etapes-numerique",
        "sources/mednum-cli/etapes-numerique/etapes-numerique.json",
        95,
    ),
    ("fibre-64", "sources/mednum-cli/fibre-64/fibre-64.json", 61),
    ("gironde", "sources/mednum-cli/gironde/gironde.json", 347),
    (
        "la-creuse",
        "sources/mednum-cli/la-creuse/la-creuse.json",
        91,
    ),
    (
        "maine-et-loire",
        "sources/mednum-cli/maine-et-loire/maine-et-loire.json",
        243,
    ),
    (
        "nouvelle-caledonie",
        "sources/mednum-cli/nouvelle-caledonie/nouvelle-caledonie.json",
        92,
    ),
    ("mednum-bfc", "sources/bfc-ternum.csv", 697),
];

pub fn lire(chemin: &str, delimiteur: Option<u8>) -> Vec<Enregistrement> {
    let octets = std::fs::read(chemin).expect("lecture");
    let opts = maillage_lieux::format::OptionsLecture {
        delimiteur,
        ..Default::default()
    };
    maillage_lieux::format::lire_objets(&octets, chemin, &opts)
        .expect("source lisible")
        .records
}

pub fn config(dossier: &str) -> Configuration {
    let chemin = format!("{MEDNUM}/{dossier}/{dossier}.config.json");
    let bytes = std::fs::read(&chemin).expect("config");
    Configuration::depuis_json(&bytes, &chemin).expect("config valide")
}

pub fn enregistrements(dossier: &str) -> Vec<Enregistrement> {
    let (_, fichier, _) = SOURCES_BRUTES
        .iter()
        .find(|s| s.0 == dossier)
        .expect("source connue");
    let chemin = format!("{DATA}/{fichier}");
    let delimiteur = maillage_sources::source_connue(dossier).and_then(|s| s.delimiteur);
    lire(&chemin, delimiteur)
}

pub fn importer(dossier: &str) -> (Vec<Enregistrement>, Transformation) {
    let e = enregistrements(dossier);
    let nom = maillage_sources::source_connue(dossier).map_or(dossier, |s| s.nom);
    let t = transformer(&config(dossier), &e, nom, dossier);
    (e, t)
}
