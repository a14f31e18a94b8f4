//! Offline geolocation of raw records: codes derived and checked, coordinates
//! repaired, commune centroid as a marked fallback.

use maillage_lieux::{Issue, LieuBrut};

use crate::lambert::{lambert93_vers_wgs84, ressemble_lambert93};
use crate::modele::Commune;
use crate::noms;
use crate::referentiel::Referentiel;

/// Reserved key of the raw record carrying the precision of the point
/// (`reprojetee`, `commune`, …; see `maillage_lieux::PrecisionCoordonnees`).
pub const PRECISION: &str = "precision_coordonnees";

/// Base distance beyond which a point is "far" from its commune centroid.
pub const ELOIGNEMENT_KM: f64 = 30.0;

/// Mean Earth radius (IUGG), km.
const RAYON_TERRE_KM: f64 = 6371.0088;

/// Great-circle distance in km (haversine).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * RAYON_TERRE_KM * h.sqrt().min(1.0).asin()
}

/// How far from its centroid a point may be and still plausibly lie in the
/// commune: 30 km plus the radius of a disc of the commune's area (so
/// Arles or Maripasoula get more room than a small village).
pub fn seuil_eloignement_km(commune: &Commune) -> f64 {
    let rayon = commune
        .area_km2
        .map_or(0.0, |a| (a / std::f64::consts::PI).sqrt());
    ELOIGNEMENT_KM + rayon
}

/// A number as written in a cell: comma decimals, spaces.
fn nombre(texte: &str) -> Option<f64> {
    let t: String = texte
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Degrees written with at most 7 decimals (about 1 cm).
fn ecrire(x: f64) -> String {
    let r = (x * 1e7).round() / 1e7;
    format!("{r}")
}

fn meme_commune(a: &Commune, b: &Commune) -> bool {
    a.code_insee == b.code_insee
        || a.commune_parente() == Some(b.code_insee.as_str())
        || b.commune_parente() == Some(a.code_insee.as_str())
}

struct Geolocalisation<'r> {
    r: &'r Referentiel,
    line: Option<u64>,
    id: Option<String>,
    issues: Vec<Issue>,
}

/// Derives and checks the location fields of a raw v1 record, before
/// validation. Every change is reported as an `Avertissement` naming the
/// field, with the record's line; nothing is rejected here (validation does
/// that). In order:
///
/// 1. `code_postal` in a repairable format (`33 000`, `3300` → `03300` when
///    that postcode exists) is rewritten;
/// 2. `code_insee` is checked (unknown → replaced from commune + postcode, or
///    removed), or derived from `commune` + `code_postal` (or the postcode
///    alone when it has one commune);
/// 3. coordinates: comma decimals, 0 = missing, Lambert-93 reprojected
///    (`precision_coordonnees` = `reprojetee`), swapped latitude/longitude
///    put back, out of range removed;
/// 4. still no commune: the nearest commune centroid (consistent with the
///    postcode) gives `code_insee`;
/// 5. `code_postal` (when the commune has a single one) and `commune` are
///    filled when missing;
/// 6. a point far from its commune is reported (`coordonnees_eloignees`);
///    no point at all → the commune centroid, `precision_coordonnees` =
///    `commune`.
pub fn geolocaliser(referentiel: &Referentiel, brut: &mut LieuBrut) -> Vec<Issue> {
    let mut g = Geolocalisation {
        r: referentiel,
        line: brut.line,
        id: brut.get("id").map(str::to_string),
        issues: Vec::new(),
    };
    let cp = g.code_postal(brut);
    let mut commune = g.commune_par_code_ou_nom(brut, cp.as_deref());
    let point = g.coordonnees(brut, commune);
    if commune.is_none() {
        if let Some((lat, lon)) = point {
            commune = g.commune_par_coordonnees(brut, lat, lon, cp.as_deref());
        }
    }
    match commune {
        Some(c) => {
            if cp.is_none() {
                g.completer_code_postal(brut, c);
            }
            g.completer_nom(brut, c);
            match point {
                Some((lat, lon)) => g.verifier_distance(c, lat, lon),
                None => g.centre_commune(brut, c),
            }
        }
        None => {
            if !brut.has("code_insee") {
                if let Some(nom) = brut.get("commune").map(str::to_string) {
                    let cp_texte = brut.get("code_postal").unwrap_or("").to_string();
                    g.avertir(
                        "commune_introuvable",
                        "commune",
                        format!(
                            "Commune « {nom} » (code postal « {cp_texte} ») introuvable dans le Code officiel géographique : code INSEE non déduit."
                        ),
                    );
                }
            }
        }
    }
    g.issues
}

impl<'r> Geolocalisation<'r> {
    fn avertir(&mut self, code: &'static str, champ: &str, message: String) {
        self.issues.push(
            Issue::avertissement(code, champ, message)
                .at(None, self.line)
                .for_record(self.id.as_deref()),
        );
    }

    /// The well-formed postcode of the record after format repair, or
    /// `None` when absent or not repairable (left as is for validation).
    fn code_postal(&mut self, brut: &mut LieuBrut) -> Option<String> {
        let texte = brut.get("code_postal")?.to_string();
        if noms::code_postal_bien_forme(&texte) {
            return Some(texte);
        }
        match noms::normaliser_code_postal(&texte) {
            Some((cp, complete)) if !complete || self.r.code_postal_connu(&cp) => {
                brut.set("code_postal", cp.clone());
                self.avertir(
                    "code_postal_corrige",
                    "code_postal",
                    format!("Code postal « {texte} » corrigé en « {cp} »."),
                );
                Some(cp)
            }
            _ => None,
        }
    }

    fn commune_par_code_ou_nom(
        &mut self,
        brut: &mut LieuBrut,
        cp: Option<&str>,
    ) -> Option<&'r Commune> {
        let r = self.r;
        let nom = brut.get("commune").map(str::to_string);
        if let Some(texte) = brut.get("code_insee").map(str::to_string) {
            let connu = noms::normaliser_code_insee(&texte).and_then(|n| r.commune(&n));
            if let Some(c) = connu {
                if c.code_insee != texte {
                    brut.set("code_insee", c.code_insee.as_str());
                    self.avertir(
                        "code_insee_corrige",
                        "code_insee",
                        format!("Code INSEE « {texte} » corrigé en « {} ».", c.code_insee),
                    );
                }
                if let Some(nom) = &nom {
                    if let Some(autre) = r.chercher_commune(nom, cp, None) {
                        if !meme_commune(autre, c) {
                            self.avertir(
                                "code_insee_incoherent",
                                "code_insee",
                                format!(
                                    "Le code INSEE « {} » ({}) ne correspond pas à la commune « {nom} » ({} {}) : code conservé, à vérifier.",
                                    c.code_insee, c.nom, autre.code_insee, autre.nom
                                ),
                            );
                        }
                    }
                }
                return Some(c);
            }
            let remplacement = nom.as_deref().and_then(|n| r.chercher_commune(n, cp, None));
            return match remplacement {
                Some(c) => {
                    brut.set("code_insee", c.code_insee.as_str());
                    self.avertir(
                        "code_insee_inconnu",
                        "code_insee",
                        format!(
                            "Code INSEE « {texte} » inconnu du Code officiel géographique, remplacé par « {} » ({}) d'après la commune et le code postal.",
                            c.code_insee, c.nom
                        ),
                    );
                    Some(c)
                }
                None => {
                    brut.remove("code_insee");
                    self.avertir(
                        "code_insee_inconnu",
                        "code_insee",
                        format!(
                            "Code INSEE « {texte} » inconnu du Code officiel géographique : supprimé."
                        ),
                    );
                    None
                }
            };
        }
        let trouve = match (&nom, cp) {
            (Some(n), _) => r.chercher_commune(n, cp, None),
            (None, Some(cp)) => self.seule_commune_du_code_postal(cp),
            (None, None) => None,
        };
        let c = trouve?;
        brut.set("code_insee", c.code_insee.as_str());
        let origine = match (&nom, cp) {
            (Some(n), Some(cp)) => format!("de la commune « {n} » et du code postal « {cp} »"),
            (Some(n), None) => format!("de la commune « {n} »"),
            (None, Some(cp)) => format!("du code postal « {cp} »"),
            (None, None) => String::new(),
        };
        self.avertir(
            "code_insee_deduit",
            "code_insee",
            format!(
                "Code INSEE « {} » ({}) déduit {origine}.",
                c.code_insee, c.nom
            ),
        );
        Some(c)
    }

    /// The commune of a postcode when there is only one (an arrondissement
    /// wins over its own commune: `75015` → Paris 15e).
    fn seule_commune_du_code_postal(&self, cp: &str) -> Option<&'r Commune> {
        let liste = self.r.communes_du_code_postal(cp);
        let feuilles: Vec<&Commune> = liste
            .iter()
            .copied()
            .filter(|c| {
                !liste
                    .iter()
                    .any(|a| a.commune_parente() == Some(c.code_insee.as_str()))
            })
            .collect();
        match feuilles.as_slice() {
            [c] => Some(c),
            _ => None,
        }
    }

    fn retirer_coordonnees(brut: &mut LieuBrut) {
        brut.remove("latitude");
        brut.remove("longitude");
        brut.remove(PRECISION);
    }

    /// Valid WGS84 coordinates of the record after repair, written back.
    fn coordonnees(
        &mut self,
        brut: &mut LieuBrut,
        commune: Option<&Commune>,
    ) -> Option<(f64, f64)> {
        let lat_t = brut.get("latitude").map(str::to_string);
        let lon_t = brut.get("longitude").map(str::to_string);
        let (lat_t, lon_t) = match (lat_t, lon_t) {
            (None, None) => {
                brut.remove(PRECISION);
                return None;
            }
            (Some(a), Some(b)) => (a, b),
            (a, _) => {
                let (champ, autre) = if a.is_some() {
                    ("latitude", "longitude")
                } else {
                    ("longitude", "latitude")
                };
                Self::retirer_coordonnees(brut);
                self.avertir(
                    "coordonnees_incompletes",
                    champ,
                    format!("{champ} sans {autre} : coordonnée supprimée."),
                );
                return None;
            }
        };
        let (Some(lat), Some(lon)) = (nombre(&lat_t), nombre(&lon_t)) else {
            let champ = if nombre(&lat_t).is_none() {
                "latitude"
            } else {
                "longitude"
            };
            Self::retirer_coordonnees(brut);
            self.avertir(
                "coordonnees_invalides",
                champ,
                format!("Coordonnées illisibles (latitude « {lat_t} », longitude « {lon_t} ») : supprimées."),
            );
            return None;
        };
        if lat == 0.0 || lon == 0.0 {
            Self::retirer_coordonnees(brut);
            self.avertir(
                "coordonnees_nulles",
                "latitude",
                format!("Coordonnée à 0 (latitude « {lat_t} », longitude « {lon_t} ») : traitée comme absente."),
            );
            return None;
        }
        let lambert = if ressemble_lambert93(lon, lat) {
            Some((lon, lat))
        } else if ressemble_lambert93(lat, lon) {
            Some((lat, lon))
        } else {
            None
        };
        if let Some((x, y)) = lambert {
            let (la, lo) = lambert93_vers_wgs84(x, y);
            brut.set("latitude", ecrire(la));
            brut.set("longitude", ecrire(lo));
            brut.set(PRECISION, "reprojetee");
            self.avertir(
                "coordonnees_reprojetees",
                "latitude",
                format!(
                    "Coordonnées en Lambert-93 (x = {x}, y = {y}) reprojetées en WGS84 (latitude {}, longitude {}).",
                    ecrire(la),
                    ecrire(lo)
                ),
            );
            return Some((la, lo));
        }
        let valide = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        if self.faut_inverser(lat, lon, valide, commune) {
            brut.set("latitude", ecrire(lon));
            brut.set("longitude", ecrire(lat));
            self.avertir(
                "coordonnees_inversees",
                "latitude",
                format!("Latitude et longitude inversées (latitude « {lat_t} », longitude « {lon_t} ») : remises dans l'ordre."),
            );
            return Some((lon, lat));
        }
        if !valide {
            Self::retirer_coordonnees(brut);
            self.avertir(
                "coordonnees_hors_limites",
                "latitude",
                format!("Coordonnées hors limites (latitude « {lat_t} », longitude « {lon_t} ») : supprimées."),
            );
            return None;
        }
        if lat_t.contains([',', ' ']) || lon_t.contains([',', ' ']) {
            brut.set("latitude", ecrire(lat));
            brut.set("longitude", ecrire(lon));
        }
        Some((lat, lon))
    }

    /// Swapped latitude/longitude: swapping must bring the point near its
    /// commune (or, commune unknown, near some commune while the given point
    /// is near none).
    fn faut_inverser(&self, lat: f64, lon: f64, valide: bool, commune: Option<&Commune>) -> bool {
        let (s_lat, s_lon) = (lon, lat);
        if !(-90.0..=90.0).contains(&s_lat) || !(-180.0..=180.0).contains(&s_lon) {
            return false;
        }
        match commune {
            Some(c) => match c.centre() {
                Some((c_lat, c_lon)) => {
                    let seuil = seuil_eloignement_km(c);
                    let d = if valide {
                        distance_km(lat, lon, c_lat, c_lon)
                    } else {
                        f64::INFINITY
                    };
                    d > seuil && distance_km(s_lat, s_lon, c_lat, c_lon) <= seuil
                }
                // Commune without centroid (COM): only an impossible pair.
                None => !valide,
            },
            None => {
                let proche = |la: f64, lo: f64| {
                    self.r
                        .communes_proches(la, lo, 1)
                        .first()
                        .map_or(f64::INFINITY, |(_, d)| *d)
                };
                let d = if valide {
                    proche(lat, lon)
                } else {
                    f64::INFINITY
                };
                d > 100.0 && proche(s_lat, s_lon) <= 20.0
            }
        }
    }

    /// Commune from the point: among the 10 nearest centroids within their
    /// distance threshold, the first having the record's postcode (or the
    /// nearest when there is no postcode).
    fn commune_par_coordonnees(
        &mut self,
        brut: &mut LieuBrut,
        lat: f64,
        lon: f64,
        cp: Option<&str>,
    ) -> Option<&'r Commune> {
        let proches = self.r.communes_proches(lat, lon, 10);
        let mut plausibles = proches
            .into_iter()
            .filter(|(c, d)| *d <= seuil_eloignement_km(c));
        let c = match cp {
            Some(cp) => plausibles
                .find(|(c, _)| c.codes_postaux.iter().any(|x| x == cp))
                .map(|(c, _)| c),
            None => plausibles.next().map(|(c, _)| c),
        }?;
        brut.set("code_insee", c.code_insee.as_str());
        let nom = brut
            .get("commune")
            .map(|n| format!(" (commune « {n} » non reconnue)"))
            .unwrap_or_default();
        let avec_cp = if cp.is_some() {
            " ayant ce code postal"
        } else {
            ""
        };
        self.avertir(
            "code_insee_deduit",
            "code_insee",
            format!(
                "Code INSEE « {} » ({}) déduit des coordonnées : commune la plus proche{avec_cp}{nom}.",
                c.code_insee, c.nom
            ),
        );
        Some(c)
    }

    fn completer_code_postal(&mut self, brut: &mut LieuBrut, c: &Commune) {
        let [cp] = c.codes_postaux.as_slice() else {
            return;
        };
        let avant = brut
            .get("code_postal")
            .map(|t| format!(" (« {t} » invalide)"))
            .unwrap_or_default();
        brut.set("code_postal", cp.as_str());
        self.avertir(
            "code_postal_deduit",
            "code_postal",
            format!(
                "Code postal « {cp} » déduit de la commune {} ({}){avant}.",
                c.nom, c.code_insee
            ),
        );
    }

    fn completer_nom(&mut self, brut: &mut LieuBrut, c: &Commune) {
        if brut.has("commune") {
            return;
        }
        // The address of an arrondissement names the city (Paris, Lyon,
        // Marseille), not "Paris 15e Arrondissement".
        let nom = c
            .commune_parente()
            .and_then(|p| self.r.commune(p))
            .map_or(c.nom.as_str(), |p| p.nom.as_str());
        brut.set("commune", nom);
        self.avertir(
            "commune_deduite",
            "commune",
            format!(
                "Commune « {nom} » déduite du code INSEE « {} ».",
                c.code_insee
            ),
        );
    }

    fn verifier_distance(&mut self, c: &Commune, lat: f64, lon: f64) {
        let Some((c_lat, c_lon)) = c.centre() else {
            return;
        };
        let d = distance_km(lat, lon, c_lat, c_lon);
        if d > seuil_eloignement_km(c) {
            self.avertir(
                "coordonnees_eloignees",
                "latitude",
                format!(
                    "Point à {d:.0} km du centre de la commune {} ({}) : coordonnées conservées, à vérifier.",
                    c.nom, c.code_insee
                ),
            );
        }
    }

    fn centre_commune(&mut self, brut: &mut LieuBrut, c: &Commune) {
        let Some((lat, lon)) = c.centre() else {
            return;
        };
        brut.set("latitude", ecrire(lat));
        brut.set("longitude", ecrire(lon));
        brut.set(PRECISION, "commune");
        self.avertir(
            "coordonnees_approximatives",
            "latitude",
            format!(
                "Coordonnées absentes : centre de la commune {} ({}) utilisé, position approximative.",
                c.nom, c.code_insee
            ),
        );
    }
}
