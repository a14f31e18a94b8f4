//! Design of the address geocoder (Base Adresse Nationale), for later: the
//! trait a network adapter will implement and the acceptance rules of the
//! reference pipeline, as pure functions. No network code here.

use maillage_lieux::{Issue, LieuBrut};

use crate::geolocalisation::PRECISION;

/// Default batch endpoint of the BAN (CSV in, CSV out).
pub const URL_BAN_LOT: &str = "https://api-adresse.data.gouv.fr/search/csv";
/// Default single-address endpoint (Géoplateforme).
pub const URL_BAN_UNITAIRE: &str = "https://data.geopf.fr/geocodage/search";

/// Batch results are accepted above this score (strictly).
pub const SEUIL_SCORE_LOT: f64 = 0.9;
/// Single-address fallback: accepted above this score…
pub const SEUIL_SCORE_UNITAIRE: f64 = 0.6;
/// …or above this one when the returned city is the record's commune.
pub const SEUIL_SCORE_UNITAIRE_COMMUNE: f64 = 0.4;

/// Where the adapter sends its requests (configurable: a self-hosted
/// addok, a mock server in tests).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigurationBan {
    pub url_lot: String,
    pub url_unitaire: String,
    /// Addresses per batch request.
    pub taille_lot: usize,
}

impl Default for ConfigurationBan {
    fn default() -> Self {
        ConfigurationBan {
            url_lot: URL_BAN_LOT.to_string(),
            url_unitaire: URL_BAN_UNITAIRE.to_string(),
            taille_lot: 1000,
        }
    }
}

/// One address to geocode: the `voie`, `commune` and `postcode` columns of
/// the batch CSV, with a caller id to match results back.
#[derive(Debug, Clone, PartialEq)]
pub struct AdresseAGeocoder {
    pub id: String,
    pub voie: String,
    pub code_postal: Option<String>,
    pub commune: Option<String>,
}

impl AdresseAGeocoder {
    /// From a raw v1 record (`adresse`, `code_postal`, `commune`); `None`
    /// without an address.
    pub fn depuis_brut(id: impl Into<String>, brut: &LieuBrut) -> Option<Self> {
        Some(AdresseAGeocoder {
            id: id.into(),
            voie: brut.get("adresse")?.to_string(),
            code_postal: brut.get("code_postal").map(str::to_string),
            commune: brut.get("commune").map(str::to_string),
        })
    }

    /// Cache key (the reference pipeline caches by address label).
    pub fn libelle(&self) -> String {
        [
            Some(self.voie.as_str()),
            self.code_postal.as_deref(),
            self.commune.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// One result row: the `result_*` columns of the BAN batch CSV.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultatGeocodage {
    pub id: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub score: Option<f64>,
    pub housenumber: Option<String>,
    pub street: Option<String>,
    pub postcode: Option<String>,
    pub citycode: Option<String>,
    pub city: Option<String>,
    pub label: Option<String>,
}

/// A geocoding failure (network, service, unreadable answer), in French.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("géocodage impossible : {0}")]
pub struct ErreurGeocodage(pub String);

/// A geocoder: a batch of addresses in, one result per address out (same
/// ids, any order). The BAN adapter will POST the batch as CSV to
/// [`ConfigurationBan::url_lot`]; tests use an in-memory implementation.
pub trait Geocodeur {
    fn geocoder(
        &self,
        adresses: &[AdresseAGeocoder],
    ) -> Result<Vec<ResultatGeocodage>, ErreurGeocodage>;
}

fn non_vide(t: &Option<String>) -> bool {
    t.as_deref().is_some_and(|s| !s.trim().is_empty())
}

fn point(r: &ResultatGeocodage) -> bool {
    matches!((r.latitude, r.longitude), (Some(la), Some(lo))
        if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo))
}

/// Acceptance rule of the reference pipeline for batch results: score
/// strictly above 0.9 and a house number or a street (a result at the
/// commune level is not an address), and a point.
pub fn resultat_acceptable(r: &ResultatGeocodage) -> bool {
    r.score.is_some_and(|s| s > SEUIL_SCORE_LOT)
        && (non_vide(&r.housenumber) || non_vide(&r.street))
        && point(r)
}

/// Rule of the single-address fallback: score above 0.6, or above 0.4 when
/// the returned city is the record's commune (compared with
/// `cle_comparaison`).
pub fn resultat_unitaire_acceptable(r: &ResultatGeocodage, commune: Option<&str>) -> bool {
    let Some(score) = r.score else {
        return false;
    };
    let meme_commune = match (r.city.as_deref(), commune) {
        (Some(a), Some(b)) => {
            let (a, b) = (
                maillage_lieux::texte::cle_comparaison(a),
                maillage_lieux::texte::cle_comparaison(b),
            );
            !a.is_empty() && a == b
        }
        _ => false,
    };
    point(r)
        && (score > SEUIL_SCORE_UNITAIRE || (score > SEUIL_SCORE_UNITAIRE_COMMUNE && meme_commune))
}

/// Applies an accepted result to a raw record as the reference pipeline
/// does: the result replaces `code_postal`, `code_insee`, `commune` and the
/// point (`precision_coordonnees` = `adresse`). Returns `None` (and changes
/// nothing) when the result is not acceptable.
pub fn appliquer_resultat(brut: &mut LieuBrut, r: &ResultatGeocodage) -> Option<Vec<Issue>> {
    if !resultat_acceptable(r) {
        return None;
    }
    let (lat, lon) = (r.latitude?, r.longitude?);
    let mut issues = Vec::new();
    for (champ, valeur) in [
        ("code_postal", &r.postcode),
        ("code_insee", &r.citycode),
        ("commune", &r.city),
    ] {
        if let Some(v) = valeur.as_deref().filter(|v| !v.trim().is_empty()) {
            if let Some(avant) = brut.get(champ).filter(|a| *a != v).map(str::to_string) {
                issues.push(
                    Issue::avertissement(
                        "adresse_geocodee",
                        champ,
                        format!(
                            "« {avant} » remplacé par « {v} » d'après la Base Adresse Nationale."
                        ),
                    )
                    .at(None, brut.line),
                );
            }
            brut.set(champ, v);
        }
    }
    brut.set("latitude", lat.to_string());
    brut.set("longitude", lon.to_string());
    brut.set(PRECISION, "adresse");
    Some(issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resultat(score: f64, numero: Option<&str>, rue: Option<&str>) -> ResultatGeocodage {
        ResultatGeocodage {
            id: "1".into(),
            latitude: Some(45.681_367),
            longitude: Some(-0.331_217),
            score: Some(score),
            housenumber: numero.map(str::to_string),
            street: rue.map(str::to_string),
            postcode: Some("16100".into()),
            citycode: Some("16089".into()),
            city: Some("Châteaubernard".into()),
            label: None,
        }
    }

    #[test]
    fn regle_d_acceptation_du_lot() {
        assert!(resultat_acceptable(&resultat(
            0.95,
            Some("12"),
            Some("Rue de la Paix")
        )));
        assert!(resultat_acceptable(&resultat(
            0.91,
            None,
            Some("Allée des Justes")
        )));
        // Exactly 0.9 is refused: the rule is strict.
        assert!(!resultat_acceptable(&resultat(
            0.9,
            Some("12"),
            Some("Rue")
        )));
        // Municipality-level result: no street, no number.
        assert!(!resultat_acceptable(&resultat(0.99, None, None)));
        assert!(!resultat_acceptable(&resultat(0.99, Some(" "), Some(""))));
        let mut sans_point = resultat(0.99, Some("1"), Some("Rue"));
        sans_point.latitude = None;
        assert!(!resultat_acceptable(&sans_point));
    }

    #[test]
    fn regle_unitaire() {
        let r = resultat(0.5, None, Some("Rue"));
        assert!(resultat_unitaire_acceptable(&r, Some("CHATEAUBERNARD")));
        assert!(!resultat_unitaire_acceptable(&r, Some("Cognac")));
        assert!(resultat_unitaire_acceptable(
            &resultat(0.61, None, None),
            None
        ));
        assert!(!resultat_unitaire_acceptable(
            &resultat(0.4, None, None),
            Some("Châteaubernard")
        ));
    }

    struct Fixe(Vec<ResultatGeocodage>);

    impl Geocodeur for Fixe {
        fn geocoder(
            &self,
            adresses: &[AdresseAGeocoder],
        ) -> Result<Vec<ResultatGeocodage>, ErreurGeocodage> {
            Ok(adresses
                .iter()
                .filter_map(|a| self.0.iter().find(|r| r.id == a.id).cloned())
                .collect())
        }
    }

    #[test]
    fn application_d_un_resultat() {
        let mut brut = LieuBrut::new(Some(4));
        brut.set("adresse", "allée des justes de France");
        brut.set("commune", "CHÂTEAUBERNARD");
        brut.set("code_postal", "16100");
        let adresse = AdresseAGeocoder::depuis_brut("1", &brut);
        assert_eq!(
            adresse.as_ref().map(AdresseAGeocoder::libelle).as_deref(),
            Some("allée des justes de France 16100 CHÂTEAUBERNARD")
        );
        let geocodeur = Fixe(vec![resultat(
            0.93,
            None,
            Some("Allée des Justes de France"),
        )]);
        let resultats = geocodeur.geocoder(&adresse.into_iter().collect::<Vec<_>>());
        let r = resultats.ok().and_then(|v| v.into_iter().next());
        assert!(r.is_some());
        let issues = r.and_then(|r| appliquer_resultat(&mut brut, &r));
        assert_eq!(brut.get("code_insee"), Some("16089"));
        assert_eq!(brut.get("commune"), Some("Châteaubernard"));
        assert_eq!(brut.get(PRECISION), Some("adresse"));
        assert_eq!(issues.map(|v| v.len()), Some(1));
        // A refused result leaves the record untouched.
        let avant = brut.clone();
        assert!(appliquer_resultat(&mut brut, &resultat(0.5, Some("1"), Some("Rue"))).is_none());
        assert_eq!(brut, avant);
    }
}
