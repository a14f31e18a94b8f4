//! The territorial entities, as in the reference files.

use maillage_lieux::Texte;
use serde::Serialize;

/// `type` column of `communes.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeCommune {
    CommuneActuelle,
    /// Paris, Lyon and Marseille arrondissements (45), which also appear in
    /// their commune: never add their populations to the commune's.
    ArrondissementMunicipal,
}

impl TypeCommune {
    pub fn code(self) -> &'static str {
        match self {
            TypeCommune::CommuneActuelle => "commune-actuelle",
            TypeCommune::ArrondissementMunicipal => "arrondissement-municipal",
        }
    }

    pub fn depuis_code(code: &str) -> Option<Self> {
        match code {
            "commune-actuelle" => Some(TypeCommune::CommuneActuelle),
            "arrondissement-municipal" => Some(TypeCommune::ArrondissementMunicipal),
            _ => None,
        }
    }
}

/// A commune (or arrondissement municipal) of the COG.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commune {
    /// 5 characters: `01001`, `2A004`, `97411`, `98818`.
    pub code_insee: Texte,
    /// Official name, with its article (`L'Abergement-Clémenciat`).
    pub nom: Texte,
    #[serde(rename = "type")]
    pub type_: TypeCommune,
    /// 2 characters, 3 for overseas (`971`, `988`); Corsica `2A`/`2B`.
    pub departement: Texte,
    pub region: Texte,
    /// SIREN of the EPCI; none for 4 islands and the COM.
    pub epci: Option<Texte>,
    /// Sorted.
    pub codes_postaux: Vec<Texte>,
    pub population: Option<u64>,
    /// WGS84 centroid (a point inside the commune); none for 99 communes.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub area_km2: Option<f64>,
}

impl Commune {
    /// The point of the commune, when known.
    pub fn centre(&self) -> Option<(f64, f64)> {
        Some((self.latitude?, self.longitude?))
    }

    pub fn est_arrondissement(&self) -> bool {
        self.type_ == TypeCommune::ArrondissementMunicipal
    }

    /// For an arrondissement municipal, the code of its commune (Paris 75056,
    /// Marseille 13055, Lyon 69123).
    pub fn commune_parente(&self) -> Option<&'static str> {
        if !self.est_arrondissement() {
            return None;
        }
        commune_parente(&self.code_insee)
    }
}

/// Commune of an arrondissement municipal code (`75115` → `75056`).
pub fn commune_parente(code_insee: &str) -> Option<&'static str> {
    if code_insee.len() != 5 {
        return None;
    }
    match &code_insee[..3] {
        "751" if code_insee != "75056" => Some("75056"),
        "132" => Some("13055"),
        "693" if code_insee.starts_with("6938") => Some("69123"),
        _ => None,
    }
}

/// An EPCI à fiscalité propre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Epci {
    /// SIREN, 9 digits.
    pub code: Texte,
    pub nom: Texte,
    /// `CC`, `CA`, `CU`, `METRO`, `MET69`.
    #[serde(rename = "type")]
    pub type_: Texte,
    pub population: Option<u64>,
    /// Départements of its member communes, sorted.
    pub departements: Vec<Texte>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Departement {
    pub code: Texte,
    pub nom: Texte,
    pub region: Texte,
    pub population: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub code: Texte,
    pub nom: Texte,
    pub population: Option<u64>,
}
