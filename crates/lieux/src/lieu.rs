//! The typed place of the standard v1.0.2 (32 fields).

use crate::enums::{self, *};
use crate::Texte;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The 32 fields of the standard, in CSV column order.
pub const CHAMPS: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// Where a place's coordinates come from. Not a field of the standard: a
/// Maillage extension, shown in GeoJSON and on maps, never in CSV/JSON exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrecisionCoordonnees {
    /// No coordinates.
    #[default]
    Aucune,
    /// As given by the source.
    Source,
    /// Given by the source in Lambert-93 and reprojected to WGS84.
    Reprojetee,
    /// Found from the address by a geocoder (BAN).
    Adresse,
    /// Approximate: the centre of the commune.
    Commune,
}

impl PrecisionCoordonnees {
    pub fn code(self) -> &'static str {
        match self {
            PrecisionCoordonnees::Aucune => "aucune",
            PrecisionCoordonnees::Source => "source",
            PrecisionCoordonnees::Reprojetee => "reprojetee",
            PrecisionCoordonnees::Adresse => "adresse",
            PrecisionCoordonnees::Commune => "commune",
        }
    }

    pub fn depuis_code(code: &str) -> Self {
        match code {
            "source" => PrecisionCoordonnees::Source,
            "reprojetee" => PrecisionCoordonnees::Reprojetee,
            "adresse" => PrecisionCoordonnees::Adresse,
            "commune" => PrecisionCoordonnees::Commune,
            _ => PrecisionCoordonnees::Aucune,
        }
    }

    /// True when the point only locates the commune.
    pub fn approximative(self) -> bool {
        matches!(self, PrecisionCoordonnees::Commune)
    }
}

/// A valid place of the standard v1.0.2. Every value here has passed
/// validation: building one by hand is for tests and generators.
#[derive(Debug, Clone, PartialEq)]
pub struct Lieu {
    pub id: Texte,
    /// SIRET (14 digits), RNA (`W` + 9) or RIDET; `00000000000000` when unknown.
    pub pivot: Texte,
    pub nom: Texte,
    pub commune: Texte,
    pub code_postal: Texte,
    pub code_insee: Option<Texte>,
    pub adresse: Texte,
    pub complement_adresse: Option<Texte>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub typologie: Ensemble<Typologie>,
    /// International form `+33180059880`.
    pub telephone: Option<Texte>,
    pub courriels: Vec<Texte>,
    pub site_web: Vec<Texte>,
    /// OSM `opening_hours`, normalised.
    pub horaires: Option<Texte>,
    pub presentation_resume: Option<Texte>,
    pub presentation_detail: Option<Texte>,
    pub source: Option<Texte>,
    pub itinerance: Ensemble<Itinerance>,
    pub structure_parente: Option<Texte>,
    pub date_maj: NaiveDate,
    pub services: Ensemble<Service>,
    pub publics_specifiquement_adresses: Ensemble<Public>,
    pub prise_en_charge_specifique: Ensemble<PriseEnCharge>,
    pub frais_a_charge: Ensemble<Frais>,
    pub dispositif_programmes_nationaux: Ensemble<Dispositif>,
    pub formations_labels: Ensemble<FormationLabel>,
    pub autres_formations_labels: Vec<Texte>,
    pub modalites_acces: Ensemble<ModaliteAcces>,
    pub modalites_accompagnement: Ensemble<ModaliteAccompagnement>,
    pub fiche_acces_libre: Option<Texte>,
    pub prise_rdv: Option<Texte>,
    /// Maillage extension: how trustworthy `latitude`/`longitude` are.
    pub precision_coordonnees: PrecisionCoordonnees,
}

/// The placeholder pivot written when a producer gives none.
pub const PIVOT_INCONNU: &str = "00000000000000";

impl Lieu {
    /// A minimal valid place (tests, generators).
    pub fn minimal(
        id: &str,
        nom: &str,
        commune: &str,
        code_postal: &str,
        adresse: &str,
        date_maj: NaiveDate,
    ) -> Self {
        Lieu {
            id: id.into(),
            pivot: PIVOT_INCONNU.into(),
            nom: nom.into(),
            commune: commune.into(),
            code_postal: code_postal.into(),
            code_insee: None,
            adresse: adresse.into(),
            complement_adresse: None,
            latitude: None,
            longitude: None,
            typologie: Ensemble::new(),
            telephone: None,
            courriels: Vec::new(),
            site_web: Vec::new(),
            horaires: None,
            presentation_resume: None,
            presentation_detail: None,
            source: None,
            itinerance: Ensemble::new(),
            structure_parente: None,
            date_maj,
            services: Ensemble::new(),
            publics_specifiquement_adresses: Ensemble::new(),
            prise_en_charge_specifique: Ensemble::new(),
            frais_a_charge: Ensemble::new(),
            dispositif_programmes_nationaux: Ensemble::new(),
            formations_labels: Ensemble::new(),
            autres_formations_labels: Vec::new(),
            modalites_acces: Ensemble::new(),
            modalites_accompagnement: Ensemble::new(),
            fiche_acces_libre: None,
            prise_rdv: None,
            precision_coordonnees: PrecisionCoordonnees::Aucune,
        }
    }

    /// True when the pivot is a real identifier, not the placeholder.
    pub fn pivot_reel(&self) -> bool {
        !self.pivot.is_empty() && self.pivot.chars().any(|c| c != '0')
    }

    /// The département code derived from `code_insee` (2 characters, 3 for
    /// overseas 97x/98x), or from the postcode when the INSEE code is missing.
    pub fn departement(&self) -> Option<&str> {
        let code = self
            .code_insee
            .as_deref()
            .unwrap_or(self.code_postal.as_str());
        if code.len() < 3 {
            return None;
        }
        if code.starts_with("97") || code.starts_with("98") {
            code.get(..3)
        } else if self.code_insee.is_none() && code.starts_with("20") {
            // Corsican postcodes (20xxx) do not say 2A or 2B.
            None
        } else {
            code.get(..2)
        }
    }

    /// The value of a field as written in a standard CSV cell ("" when absent).
    pub fn valeur(&self, champ: &str) -> String {
        fn opt(v: &Option<Texte>) -> String {
            v.as_deref().unwrap_or_default().to_string()
        }
        fn liste(v: &[Texte]) -> String {
            v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("|")
        }
        fn nombre(v: Option<f64>) -> String {
            v.map(format_coordonnee).unwrap_or_default()
        }
        match champ {
            "id" => self.id.to_string(),
            "pivot" => self.pivot.to_string(),
            "nom" => self.nom.to_string(),
            "commune" => self.commune.to_string(),
            "code_postal" => self.code_postal.to_string(),
            "code_insee" => opt(&self.code_insee),
            "adresse" => self.adresse.to_string(),
            "complement_adresse" => opt(&self.complement_adresse),
            "latitude" => nombre(self.latitude),
            "longitude" => nombre(self.longitude),
            "typologie" => enums::joindre(self.typologie),
            "telephone" => opt(&self.telephone),
            "courriels" => liste(&self.courriels),
            "site_web" => liste(&self.site_web),
            "horaires" => opt(&self.horaires),
            "presentation_resume" => opt(&self.presentation_resume),
            "presentation_detail" => opt(&self.presentation_detail),
            "source" => opt(&self.source),
            "itinerance" => enums::joindre(self.itinerance),
            "structure_parente" => opt(&self.structure_parente),
            "date_maj" => self.date_maj.format("%Y-%m-%d").to_string(),
            "services" => enums::joindre(self.services),
            "publics_specifiquement_adresses" => {
                enums::joindre(self.publics_specifiquement_adresses)
            }
            "prise_en_charge_specifique" => enums::joindre(self.prise_en_charge_specifique),
            "frais_a_charge" => enums::joindre(self.frais_a_charge),
            "dispositif_programmes_nationaux" => {
                enums::joindre(self.dispositif_programmes_nationaux)
            }
            "formations_labels" => enums::joindre(self.formations_labels),
            "autres_formations_labels" => liste(&self.autres_formations_labels),
            "modalites_acces" => enums::joindre(self.modalites_acces),
            "modalites_accompagnement" => enums::joindre(self.modalites_accompagnement),
            "fiche_acces_libre" => opt(&self.fiche_acces_libre),
            "prise_rdv" => opt(&self.prise_rdv),
            _ => String::new(),
        }
    }

    /// Rebuilds a place from the texts of its 32 fields, as written by
    /// [`Lieu::valeur`] (storage rows, already validated files). It trusts its
    /// input: unknown enumeration values are skipped, a bad date is an error.
    /// Use [`crate::validation::valider`] for anything from outside.
    pub fn depuis_valeurs<'a>(
        valeur: impl Fn(&str) -> Option<&'a str>,
        precision: PrecisionCoordonnees,
    ) -> Result<Lieu, String> {
        fn texte(v: Option<&str>) -> Option<Texte> {
            v.map(str::trim).filter(|s| !s.is_empty()).map(Texte::from)
        }
        fn liste(v: Option<&str>) -> Vec<Texte> {
            v.map(|s| {
                s.split('|')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Texte::from)
                    .collect()
            })
            .unwrap_or_default()
        }
        fn ensemble<T: Valeur>(v: Option<&str>) -> Ensemble<T> {
            let mut e = Ensemble::new();
            for part in v.unwrap_or_default().split('|') {
                if let Some(x) = T::depuis_valeur(part.trim()) {
                    e.insert(x);
                }
            }
            e
        }
        fn nombre(v: Option<&str>) -> Option<f64> {
            v.and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|x| x.is_finite())
        }
        let date = valeur("date_maj").unwrap_or_default();
        let date_maj = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| format!("date_maj invalide : « {date} »"))?;
        Ok(Lieu {
            id: valeur("id").unwrap_or_default().into(),
            pivot: valeur("pivot").unwrap_or(PIVOT_INCONNU).into(),
            nom: valeur("nom").unwrap_or_default().into(),
            commune: valeur("commune").unwrap_or_default().into(),
            code_postal: valeur("code_postal").unwrap_or_default().into(),
            code_insee: texte(valeur("code_insee")),
            adresse: valeur("adresse").unwrap_or_default().into(),
            complement_adresse: texte(valeur("complement_adresse")),
            latitude: nombre(valeur("latitude")),
            longitude: nombre(valeur("longitude")),
            typologie: ensemble(valeur("typologie")),
            telephone: texte(valeur("telephone")),
            courriels: liste(valeur("courriels")),
            site_web: liste(valeur("site_web")),
            horaires: texte(valeur("horaires")),
            presentation_resume: texte(valeur("presentation_resume")),
            presentation_detail: texte(valeur("presentation_detail")),
            source: texte(valeur("source")),
            itinerance: ensemble(valeur("itinerance")),
            structure_parente: texte(valeur("structure_parente")),
            date_maj,
            services: ensemble(valeur("services")),
            publics_specifiquement_adresses: ensemble(valeur("publics_specifiquement_adresses")),
            prise_en_charge_specifique: ensemble(valeur("prise_en_charge_specifique")),
            frais_a_charge: ensemble(valeur("frais_a_charge")),
            dispositif_programmes_nationaux: ensemble(valeur("dispositif_programmes_nationaux")),
            formations_labels: ensemble(valeur("formations_labels")),
            autres_formations_labels: liste(valeur("autres_formations_labels")),
            modalites_acces: ensemble(valeur("modalites_acces")),
            modalites_accompagnement: ensemble(valeur("modalites_accompagnement")),
            fiche_acces_libre: texte(valeur("fiche_acces_libre")),
            prise_rdv: texte(valeur("prise_rdv")),
            precision_coordonnees: precision,
        })
    }

    /// The 32 cells of the standard CSV row, in order.
    pub fn ligne(&self) -> Vec<String> {
        CHAMPS.iter().map(|c| self.valeur(c)).collect()
    }

    /// Stable fingerprint of the content (used to tell "changed" from
    /// "unchanged" on re-import). The id is left out: it is the key, and a
    /// place published under another id keeps the fingerprint of its content.
    pub fn empreinte(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for cell in CHAMPS.iter().skip(1).map(|c| self.valeur(c)) {
            h.update(cell.as_bytes());
            h.update([0x1f]);
        }
        h.update(self.precision_coordonnees.code().as_bytes());
        hex::encode(&h.finalize()[..16])
    }
}

/// Coordinates are written with at most 7 decimals (about 1 cm), without
/// trailing zeros.
pub fn format_coordonnee(v: f64) -> String {
    let s = format!("{v:.7}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 4, 2).expect("valid date")
    }

    #[test]
    fn row_has_32_cells_in_order() {
        let mut l = Lieu::minimal(
            "structure-1",
            "Anonymal",
            "Reims",
            "51100",
            "12 BIS RUE DE LECLERCQ",
            date(),
        );
        l.services = Service::Loisirs | Service::MaitriseOutils;
        l.latitude = Some(43.52609);
        let row = l.ligne();
        assert_eq!(row.len(), 32);
        assert_eq!(row[0], "structure-1");
        assert_eq!(row[8], "43.52609");
        assert_eq!(row[20], "2024-04-02");
        assert_eq!(
            row[21],
            "Maîtrise des outils numériques du quotidien|Loisirs et créations numériques"
        );
    }

    #[test]
    fn departement_handles_overseas_and_corsica() {
        let mut l = Lieu::minimal("a", "n", "c", "98800", "x", date());
        l.code_insee = Some("98818".into());
        assert_eq!(l.departement(), Some("988"));
        l.code_insee = Some("2A004".into());
        assert_eq!(l.departement(), Some("2A"));
        l.code_insee = None;
        l.code_postal = "20000".into();
        assert_eq!(l.departement(), None);
        l.code_postal = "33000".into();
        assert_eq!(l.departement(), Some("33"));
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let a = Lieu::minimal("a", "n", "c", "33000", "x", date());
        let mut b = a.clone();
        assert_eq!(a.empreinte(), b.empreinte());
        b.id = "autre-id".into();
        assert_eq!(
            a.empreinte(),
            b.empreinte(),
            "the id is the key, not content"
        );
        b.nom = "autre".into();
        assert_ne!(a.empreinte(), b.empreinte());
    }

    #[test]
    fn round_trips_through_texts() {
        let mut l = Lieu::minimal("a", "Médiathèque", "Reims", "51100", "1 rue X", date());
        l.services = Service::Loisirs | Service::AideDemarches;
        l.courriels = vec!["a@b.fr".into(), "c@d.fr".into()];
        l.latitude = Some(49.25);
        l.longitude = Some(4.03);
        l.typologie = Typologie::Bib | Typologie::Muni;
        l.formations_labels = FormationLabel::EtapesNumeriques.into();
        let row = l.ligne();
        let back = Lieu::depuis_valeurs(
            |c| CHAMPS.iter().position(|x| *x == c).map(|i| row[i].as_str()),
            PrecisionCoordonnees::Aucune,
        )
        .expect("valid row");
        assert_eq!(back, l);
    }

    #[test]
    fn coordinates_are_trimmed() {
        assert_eq!(format_coordonnee(45.0), "45");
        assert_eq!(format_coordonnee(-0.3312170), "-0.331217");
    }
}
