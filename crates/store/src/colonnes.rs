//! How a [`Lieu`] maps to table columns, and back.

use crate::StoreError;
use chrono::NaiveDate;
use maillage_lieux::{Lieu, PrecisionCoordonnees, CHAMPS};

/// The columns of a place in `source_records` and `registry`, in order: the
/// 32 fields of the standard, then `departement`, `precision_coordonnees`,
/// `fingerprint`.
pub const COLONNES_LIEU: [&str; 35] = {
    let mut out = [""; 35];
    let mut i = 0;
    while i < 32 {
        out[i] = CHAMPS[i];
        i += 1;
    }
    out[32] = "departement";
    out[33] = "precision_coordonnees";
    out[34] = "fingerprint";
    out
};

/// Fields of the standard stored NOT NULL ("" when empty); the other text
/// fields are NULL when empty.
const REQUIS: [&str; 6] = ["id", "pivot", "nom", "commune", "code_postal", "adresse"];

/// One value to bind.
pub(crate) enum Cellule {
    Requis(String),
    Texte(Option<String>),
    Reel(Option<f64>),
    Date(NaiveDate),
}

/// The 35 values of [`COLONNES_LIEU`] for a place.
pub(crate) fn cellules(l: &Lieu) -> Vec<Cellule> {
    let mut out = Vec::with_capacity(COLONNES_LIEU.len());
    for champ in CHAMPS {
        out.push(match champ {
            "latitude" => Cellule::Reel(l.latitude),
            "longitude" => Cellule::Reel(l.longitude),
            "date_maj" => Cellule::Date(l.date_maj),
            c if REQUIS.contains(&c) => Cellule::Requis(l.valeur(c)),
            c => {
                let v = l.valeur(c);
                Cellule::Texte(if v.is_empty() { None } else { Some(v) })
            }
        });
    }
    out.push(Cellule::Texte(l.departement().map(str::to_string)));
    out.push(Cellule::Requis(l.precision_coordonnees.code().to_string()));
    out.push(Cellule::Requis(l.empreinte()));
    out
}

/// `a, b, c` for a SELECT or INSERT list, with an optional table prefix.
pub(crate) fn liste_colonnes(prefixe: &str) -> String {
    COLONNES_LIEU
        .iter()
        .map(|c| format!("{prefixe}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields grouping needs, read packed into one text cell (joined with
/// [`SEPARATEUR_REGROUPEMENT`] by the database): decoding one cell instead of
/// thirty-five is what makes reading a national registry fast. Long free
/// texts (descriptions, hours, links) are left out.
pub(crate) const CHAMPS_REGROUPEMENT: [&str; 14] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "source",
    "date_maj",
    "precision_coordonnees",
];

/// A control character no field of the standard contains.
pub(crate) const SEPARATEUR_REGROUPEMENT: &str = "\u{1f}";

/// `COALESCE(CAST(id AS TEXT), '') || $n || …` with `$n` the separator.
pub(crate) fn expression_regroupement(parametre_separateur: usize) -> String {
    CHAMPS_REGROUPEMENT
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
        .collect::<Vec<_>>()
        .join(&format!(" || ${parametre_separateur} || "))
}

/// Rebuilds the light place from the packed cell and the coordinates.
pub(crate) fn lieu_regroupement(
    paquet: &str,
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<Lieu, StoreError> {
    let valeurs: Vec<&str> = paquet.split(SEPARATEUR_REGROUPEMENT).collect();
    if valeurs.len() != CHAMPS_REGROUPEMENT.len() {
        return Err(StoreError::Corrupt {
            what: "source_records".to_string(),
            detail: format!(
                "{} valeurs lues au lieu de {}",
                valeurs.len(),
                CHAMPS_REGROUPEMENT.len()
            ),
        });
    }
    let valeur = |c: &str| {
        CHAMPS_REGROUPEMENT
            .iter()
            .position(|x| *x == c)
            .and_then(|i| valeurs.get(i).copied())
            .filter(|v| !v.is_empty())
    };
    let precision =
        PrecisionCoordonnees::depuis_code(valeur("precision_coordonnees").unwrap_or_default());
    let mut lieu =
        Lieu::depuis_valeurs(valeur, precision).map_err(|detail| StoreError::Corrupt {
            what: "source_records.date_maj".to_string(),
            detail,
        })?;
    lieu.latitude = latitude;
    lieu.longitude = longitude;
    Ok(lieu)
}

/// `c = excluded.c, …` for every column but `id`.
pub(crate) fn mise_a_jour_colonnes() -> String {
    COLONNES_LIEU
        .iter()
        .filter(|c| **c != "id")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of a place as read from a row (texts of the 32 fields with
/// coordinates and date apart, then precision and fingerprint).
pub(crate) struct LigneLue {
    pub textes: Vec<Option<String>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub date_maj: NaiveDate,
    pub precision: String,
    pub fingerprint: String,
}

const I_LATITUDE: usize = 8;
const I_LONGITUDE: usize = 9;
const I_DATE_MAJ: usize = 20;

/// Index of a column among [`COLONNES_LIEU`] read as text; coordinates and
/// the date are read with their own types.
pub(crate) fn est_texte(i: usize) -> bool {
    i < 32 && i != I_LATITUDE && i != I_LONGITUDE && i != I_DATE_MAJ
}

pub(crate) const fn index_latitude() -> usize {
    I_LATITUDE
}
pub(crate) const fn index_longitude() -> usize {
    I_LONGITUDE
}
pub(crate) const fn index_date_maj() -> usize {
    I_DATE_MAJ
}

impl LigneLue {
    /// Rebuilds the place (trusted: it was written by [`cellules`]).
    pub(crate) fn en_lieu(&self, table: &str) -> Result<Lieu, StoreError> {
        let date = self.date_maj.format("%Y-%m-%d").to_string();
        let mut lieu = Lieu::depuis_valeurs(
            |c| {
                if c == "date_maj" {
                    return Some(date.as_str());
                }
                let i = champ_index(c)?;
                self.textes.get(i).and_then(|v| v.as_deref())
            },
            PrecisionCoordonnees::depuis_code(&self.precision),
        )
        .map_err(|detail| StoreError::Corrupt {
            what: format!("{table}.date_maj"),
            detail,
        })?;
        // Exact doubles, not the 7-decimal text of the standard.
        lieu.latitude = self.latitude;
        lieu.longitude = self.longitude;
        Ok(lieu)
    }
}

/// Position of a field in [`CHAMPS`] (a match: this runs 32 times per row).
fn champ_index(c: &str) -> Option<usize> {
    Some(match c {
        "id" => 0,
        "pivot" => 1,
        "nom" => 2,
        "commune" => 3,
        "code_postal" => 4,
        "code_insee" => 5,
        "adresse" => 6,
        "complement_adresse" => 7,
        "latitude" => 8,
        "longitude" => 9,
        "typologie" => 10,
        "telephone" => 11,
        "courriels" => 12,
        "site_web" => 13,
        "horaires" => 14,
        "presentation_resume" => 15,
        "presentation_detail" => 16,
        "source" => 17,
        "itinerance" => 18,
        "structure_parente" => 19,
        "date_maj" => 20,
        "services" => 21,
        "publics_specifiquement_adresses" => 22,
        "prise_en_charge_specifique" => 23,
        "frais_a_charge" => 24,
        "dispositif_programmes_nationaux" => 25,
        "formations_labels" => 26,
        "autres_formations_labels" => 27,
        "modalites_acces" => 28,
        "modalites_accompagnement" => 29,
        "fiche_acces_libre" => 30,
        "prise_rdv" => 31,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_layout_matches_the_standard() {
        for (i, c) in CHAMPS.iter().enumerate() {
            assert_eq!(champ_index(c), Some(i));
            assert_eq!(COLONNES_LIEU[i], *c);
        }
        assert_eq!(CHAMPS[I_LATITUDE], "latitude");
        assert_eq!(CHAMPS[I_LONGITUDE], "longitude");
        assert_eq!(CHAMPS[I_DATE_MAJ], "date_maj");
        assert!(!mise_a_jour_colonnes().contains("id = excluded.id"));
        assert!(mise_a_jour_colonnes().contains("fingerprint = excluded.fingerprint"));
    }
}
