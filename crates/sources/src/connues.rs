//! The sources the national pipeline runs, as listed in
//! `data/sources/mednum-cli/SOURCES.md`: name written in `source`, territory,
//! CSV delimiter and JSON path to the records.

/// One known source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceInfo {
    /// Folder of its configuration under `mednum-cli/`.
    pub dossier: &'static str,
    /// Value of the standard's `source` field.
    pub nom: &'static str,
    pub territoire: &'static str,
    /// CSV delimiter when the source is a CSV file (`None`: JSON).
    pub delimiteur: Option<u8>,
    /// Key of the array of records when the JSON wraps it (`results`).
    pub chemin_json: Option<&'static str>,
}

const fn s(
    dossier: &'static str,
    nom: &'static str,
    territoire: &'static str,
    delimiteur: Option<u8>,
    chemin_json: Option<&'static str>,
) -> SourceInfo {
    SourceInfo {
        dossier,
        nom,
        territoire,
        delimiteur,
        chemin_json,
    }
}

static SOURCES: &[SourceInfo] = &[
    s(
        "aix-en-provence",
        "Aix-en-Provence",
        "Bouches-du-Rhône",
        None,
        None,
    ),
    s("angers", "Angers", "Maine-et-Loire", None, None),
    s(
        "bus-france-services-charente",
        "Bus France Services Charente",
        "Charente",
        None,
        None,
    ),
    s(
        "charente-maritime",
        "Département de la Charente-Maritime",
        "Nouvelle-Aquitaine",
        Some(b';'),
        None,
    ),
    s("corse", "Corse", "Corse", None, None),
    s("epernay", "Epernay", "Marne", None, None),
    s(
        "etapes-numerique",
        "Étapes numériques",
        "National",
        None,
        None,
    ),
    s("fibre-64", "Fibre 64", "Pyrénées-Atlantiques", None, None),
    s(
        "france-services",
        "France Services",
        "National",
        Some(b';'),
        None,
    ),
    s("gironde", "Gironde", "Gironde", None, None),
    s(
        "grand-paris-sud",
        "Grand Paris Sud",
        "Île-de-France",
        None,
        Some("results"),
    ),
    s("herault", "Hérault", "Hérault", Some(b';'), None),
    s("hinaura", "Hinaura", "Auvergne-Rhône-Alpes", None, None),
    s("la-creuse", "La Creuse", "Creuse", None, None),
    s(
        "les-landes",
        "Les Landes",
        "Nouvelle-Aquitaine",
        None,
        Some("values"),
    ),
    s(
        "maine-et-loire",
        "Maine-et-Loire",
        "Maine-et-Loire",
        None,
        None,
    ),
    s(
        "mednum-bfc",
        "Mednum BFC",
        "Bourgogne-Franche-Comté",
        Some(b','),
        None,
    ),
    s("meuse", "Meuse", "Meuse", Some(b';'), None),
    s("mulhouse", "Mulhouse", "Haut-Rhin", None, Some("records")),
    s(
        "nouvelle-caledonie",
        "Nouvelle-Calédonie",
        "Nouvelle-Calédonie",
        None,
        None,
    ),
    s("numi", "Numi", "Normandie", Some(b';'), None),
    s(
        "paca",
        "Paca",
        "Provence-Alpes-Côte d'Azur",
        Some(b';'),
        None,
    ),
    s("paris", "Paris", "Île-de-France", Some(b';'), None),
    s("res-in", "Res-in", "Lyon", None, None),
    s("rhin-occ", "RhinOcc", "Occitanie", None, Some("data")),
    s("siilab", "Siilab", "Hauts-de-France", Some(b';'), None),
    s("vendee", "Vendée", "Vendée", Some(b','), None),
    s("vosges", "Vosges", "Vosges", Some(b','), None),
];

/// Every known source, in SOURCES.md order.
pub fn sources_connues() -> &'static [SourceInfo] {
    SOURCES
}

/// The source whose configuration folder is `dossier`.
pub fn source_connue(dossier: &str) -> Option<&'static SourceInfo> {
    SOURCES.iter().find(|s| s.dossier == dossier)
}
