//! Publication of the registry in the standard: CSV, JSON, GeoJSON, for the
//! whole country or one territory.

use crate::{Erreur, Resultat};
use maillage_store::{FiltreRegistre, Store};
use maillage_territoires::{Referentiel, Territoire};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatExport {
    Csv,
    Json,
    GeoJson,
}

impl FromStr for FormatExport {
    type Err = Erreur;
    fn from_str(s: &str) -> Result<Self, Erreur> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(FormatExport::Csv),
            "json" => Ok(FormatExport::Json),
            "geojson" => Ok(FormatExport::GeoJson),
            autre => Err(Erreur::Parametre(format!(
                "format « {autre} » inconnu : choisissez csv, json ou geojson"
            ))),
        }
    }
}

/// The store filter for a territory (`reg:75`, `dep:33`, `epci:…`, `com:…`).
pub fn filtre_territoire(
    referentiel: &Referentiel,
    territoire: Option<&str>,
) -> Resultat<FiltreRegistre> {
    let Some(texte) = territoire else {
        return Ok(FiltreRegistre::default());
    };
    let t = Territoire::from_str(texte).map_err(|e| Erreur::Parametre(e.to_string()))?;
    let mut filtre = FiltreRegistre::default();
    match &t {
        Territoire::Departement(code) => filtre.departements = Some(vec![code.to_string()]),
        Territoire::Region(code) => {
            let deps: Vec<String> = referentiel
                .departements_de_region(code)
                .into_iter()
                .map(|d| d.code.to_string())
                .collect();
            if deps.is_empty() {
                return Err(Erreur::Parametre(format!("région « {code} » inconnue")));
            }
            filtre.departements = Some(deps);
        }
        _ => {
            let codes: Vec<String> = referentiel
                .communes_de(&t)
                .into_iter()
                .map(|c| c.code_insee.to_string())
                .collect();
            if codes.is_empty() {
                return Err(Erreur::Parametre(format!("territoire « {texte} » inconnu")));
            }
            filtre.codes_insee = Some(codes);
        }
    }
    Ok(filtre)
}

/// Writes the published registry (or one territory of it); returns the
/// number of places written.
pub async fn exporter<W: std::io::Write>(
    store: &Store,
    referentiel: &Referentiel,
    format: FormatExport,
    territoire: Option<&str>,
    sortie: W,
    nom_sortie: &str,
) -> Resultat<usize> {
    let filtre = filtre_territoire(referentiel, territoire)?;
    let publies = store.registry(&filtre).await?;
    let lieux = publies.iter().map(|p| &p.lieu);
    let ecriture = |e: std::io::Error| Erreur::Ecriture {
        fichier: nom_sortie.to_string(),
        raison: crate::import::raison_io(&e),
    };
    match format {
        FormatExport::Csv => maillage_lieux::format::ecrire_csv(sortie, lieux).map_err(ecriture)?,
        FormatExport::Json => {
            maillage_lieux::format::ecrire_json(sortie, lieux).map_err(ecriture)?
        }
        FormatExport::GeoJson => {
            return maillage_lieux::format::ecrire_geojson(sortie, lieux).map_err(ecriture);
        }
    };
    Ok(publies.len())
}
