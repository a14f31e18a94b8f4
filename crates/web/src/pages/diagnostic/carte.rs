//! The choropleth of a diagnostic, drawn on the server as SVG: départements
//! filled from the simplified outlines of `data/territoires`, or communes as
//! dots at their centroids (the referential has no commune outlines) over
//! the outline of their département. An image with a title, a description
//! and a legend inside; the page puts the full data table beside it, so
//! nothing relies on colour alone.

use crate::graphiques::{echapper, raccourcir};
use maillage_diagnostic::{Carte, EchelonCarte, UniteCarte};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

const CONTOURS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/territoires/departements.geojson"
));

/// Light to dark: the darker, the worse the access. Outlines and text in
/// the theme's text colour.
const COULEURS: [&str; 5] = ["#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f", "#7f0000"];
const COULEUR_TRAIT: &str = "#1d2327";
const LARGEUR: f64 = 720.0;
const HAUTEUR_MAX: f64 = 620.0;
const LEGENDE: f64 = 28.0;

/// What the map colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicateur {
    /// Communes: distance to the nearest place; départements: share of the
    /// population beyond the radius.
    Distance,
    /// Places per 10,000 inhabitants.
    Densite,
}

impl Indicateur {
    pub fn depuis(valeur: Option<&str>) -> Indicateur {
        match valeur {
            Some("densite") => Indicateur::Densite,
            _ => Indicateur::Distance,
        }
    }

    pub fn valeur(self) -> &'static str {
        match self {
            Indicateur::Distance => "distance",
            Indicateur::Densite => "densite",
        }
    }
}

/// The labels of the classes, best access first (legend and table).
pub fn classes(echelon: EchelonCarte, indicateur: Indicateur) -> [&'static str; 5] {
    match (echelon, indicateur) {
        (EchelonCarte::Commune, Indicateur::Distance) => [
            "5 km ou moins",
            "de 5 à 10 km",
            "de 10 à 20 km",
            "plus de 20 km",
            "aucun lieu",
        ],
        (EchelonCarte::Departement, Indicateur::Distance) => [
            "moins de 5 %",
            "de 5 à 10 %",
            "de 10 à 25 %",
            "de 25 à 50 %",
            "50 % ou plus",
        ],
        (EchelonCarte::Commune, Indicateur::Densite) => [
            "10 ou plus",
            "de 5 à 10",
            "de 2 à 5",
            "moins de 2",
            "aucun dans la commune",
        ],
        (EchelonCarte::Departement, Indicateur::Densite) => [
            "8 ou plus",
            "de 4 à 8",
            "de 2 à 4",
            "de 1 à 2",
            "moins de 1",
        ],
    }
}

/// The class of a unit: 0 best … 4 worst, an index of [`classes`].
pub fn classe(u: &UniteCarte, echelon: EchelonCarte, indicateur: Indicateur) -> usize {
    let seuils = |x: f64, s: [f64; 4]| s.iter().take_while(|&&t| x >= t).count();
    match (echelon, indicateur) {
        (EchelonCarte::Commune, Indicateur::Distance) => match u.distance_km {
            None => 4,
            Some(d) if d <= 5.0 => 0,
            Some(d) if d <= 10.0 => 1,
            Some(d) if d <= 20.0 => 2,
            Some(_) => 3,
        },
        (EchelonCarte::Departement, Indicateur::Distance) => {
            seuils(u.part_eloignee, [0.05, 0.10, 0.25, 0.50])
        }
        (EchelonCarte::Commune, Indicateur::Densite) => {
            if u.lieux == 0 {
                4
            } else {
                3 - seuils(u.lieux_pour_10000, [2.0, 5.0, 10.0, f64::INFINITY]).min(3)
            }
        }
        (EchelonCarte::Departement, Indicateur::Densite) => {
            4 - seuils(u.lieux_pour_10000, [1.0, 2.0, 4.0, 8.0])
        }
    }
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Proprietes,
    geometry: Geometrie,
}

#[derive(Deserialize)]
struct Proprietes {
    code: String,
}

#[derive(Deserialize)]
struct Geometrie {
    coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

/// Rings (lon, lat) of each département, parsed once.
fn contours() -> &'static HashMap<String, Vec<Vec<[f64; 2]>>> {
    static C: OnceLock<HashMap<String, Vec<Vec<[f64; 2]>>>> = OnceLock::new();
    C.get_or_init(|| match serde_json::from_str::<Collection>(CONTOURS) {
        Ok(c) => c
            .features
            .into_iter()
            .map(|f| {
                let anneaux = f.geometry.coordinates.into_iter().flatten().collect();
                (f.properties.code, anneaux)
            })
            .collect(),
        Err(e) => {
            // A bug of the build (the file is embedded): maps without outlines.
            tracing::error!("contours des départements illisibles : {e}");
            HashMap::new()
        }
    })
}

/// Overseas départements are drawn only on their own map: beside
/// metropolitan France they would shrink it to a dot.
fn outre_mer(code: &str) -> bool {
    code.starts_with("97") || code.starts_with("98")
}

/// Equirectangular projection, scaled at the middle latitude, fitted to the
/// drawing area.
struct Projection {
    lon0: f64,
    lat1: f64,
    cos: f64,
    echelle: f64,
    hauteur: f64,
}

impl Projection {
    fn new(points: impl Iterator<Item = [f64; 2]>) -> Option<Projection> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for [lon, lat] in points {
            x0 = x0.min(lon);
            x1 = x1.max(lon);
            y0 = y0.min(lat);
            y1 = y1.max(lat);
        }
        if x0 > x1 {
            return None;
        }
        // A single commune: a small window around it.
        let marge = 0.02_f64.max(0.03 * (x1 - x0).max(y1 - y0));
        let (x0, x1, y0, y1) = (x0 - marge, x1 + marge, y0 - marge, y1 + marge);
        let cos = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
        let (l, h) = ((x1 - x0) * cos, y1 - y0);
        let echelle = (LARGEUR / l).min((HAUTEUR_MAX - LEGENDE) / h);
        Some(Projection {
            lon0: x0,
            lat1: y1,
            cos,
            echelle,
            hauteur: (h * echelle).ceil(),
        })
    }

    fn point(&self, [lon, lat]: [f64; 2]) -> (f64, f64) {
        (
            (lon - self.lon0) * self.cos * self.echelle,
            (self.lat1 - lat) * self.echelle,
        )
    }
}

/// SVG path of rings, dropping points less than a pixel apart (the France
/// map stays around 150 KB before compression).
fn chemin(p: &Projection, anneaux: &[Vec<[f64; 2]>]) -> String {
    let mut d = String::new();
    for anneau in anneaux {
        let mut dernier: Option<(f64, f64)> = None;
        for &c in anneau {
            let (x, y) = p.point(c);
            if let Some((a, b)) = dernier {
                if (x - a).abs() < 1.0 && (y - b).abs() < 1.0 {
                    continue;
                }
            }
            let _ = write!(
                d,
                "{}{x:.1} {y:.1}",
                if dernier.is_none() { "M" } else { "L" }
            );
            dernier = Some((x, y));
        }
        if dernier.is_some() {
            d.push('Z');
        }
    }
    d
}

/// The map as SVG; `departements`: outlines drawn under communes (their
/// départements).
pub fn svg(
    id: &str,
    titre: &str,
    description: &str,
    carte: &Carte,
    indicateur: Indicateur,
    departements: &[&str],
) -> String {
    let contours = contours();
    let libelles = classes(carte.echelon, indicateur);
    let dessinees: Vec<&UniteCarte> = match carte.echelon {
        EchelonCarte::Departement => {
            let tous_outre_mer = carte.unites.iter().all(|u| outre_mer(&u.code));
            carte
                .unites
                .iter()
                .filter(|u| tous_outre_mer || !outre_mer(&u.code))
                .filter(|u| contours.contains_key(&u.code))
                .collect()
        }
        EchelonCarte::Commune => carte.unites.iter().filter(|u| u.centre.is_some()).collect(),
    };
    let points: Vec<[f64; 2]> = match carte.echelon {
        EchelonCarte::Departement => dessinees
            .iter()
            .flat_map(|u| contours[&u.code].iter().flatten().copied())
            .collect(),
        EchelonCarte::Commune => dessinees
            .iter()
            .filter_map(|u| u.centre.map(|(la, lo)| [lo, la]))
            .collect(),
    };
    let projection = Projection::new(points.into_iter());
    let hauteur = projection.as_ref().map_or(40.0, |p| p.hauteur) + LEGENDE;
    let mut s = String::new();
    let id = echapper(id);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"graphique-svg carte-svg\" \
         viewBox=\"0 0 {LARGEUR} {hauteur:.0}\" width=\"{LARGEUR}\" height=\"{hauteur:.0}\" \
         aria-labelledby=\"{id}-titre {id}-desc\" font-family=\"system-ui, sans-serif\" \
         font-size=\"12\"><title id=\"{id}-titre\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        echapper(titre),
        echapper(description)
    );
    if let Some(p) = &projection {
        match carte.echelon {
            EchelonCarte::Departement => {
                for u in &dessinees {
                    let _ = write!(
                        s,
                        "<path d=\"{}\" fill=\"{}\" stroke=\"{COULEUR_TRAIT}\" stroke-width=\"0.6\"/>",
                        chemin(p, &contours[&u.code]),
                        COULEURS[classe(u, carte.echelon, indicateur)]
                    );
                }
            }
            EchelonCarte::Commune => {
                for d in departements {
                    if let Some(a) = contours.get(*d) {
                        let _ = write!(
                            s,
                            "<path d=\"{}\" fill=\"none\" stroke=\"{COULEUR_TRAIT}\" stroke-width=\"1\"/>",
                            chemin(p, a)
                        );
                    }
                }
                let surface = LARGEUR * p.hauteur / dessinees.len().max(1) as f64;
                let rayon = (surface.sqrt() * 0.3).clamp(1.5, 9.0);
                for u in &dessinees {
                    if let Some((la, lo)) = u.centre {
                        let (x, y) = p.point([lo, la]);
                        let _ = write!(
                            s,
                            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{rayon:.1}\" fill=\"{}\" \
                             stroke=\"{COULEUR_TRAIT}\" stroke-width=\"0.4\"/>",
                            COULEURS[classe(u, carte.echelon, indicateur)]
                        );
                    }
                }
            }
        }
    }
    // The legend, along the bottom.
    let y = hauteur - LEGENDE + 8.0;
    let pas = LARGEUR / 5.0;
    for (i, l) in libelles.iter().enumerate() {
        let x = pas * i as f64;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"14\" height=\"14\" fill=\"{}\" \
             stroke=\"{COULEUR_TRAIT}\" stroke-width=\"0.6\"/><text x=\"{:.1}\" y=\"{:.1}\" \
             fill=\"{COULEUR_TRAIT}\">{}</text>",
            COULEURS[i],
            x + 18.0,
            y + 11.0,
            echapper(&raccourcir(l, 22))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unite(code: &str, distance: Option<f64>, lieux: usize, pour: f64, part: f64) -> UniteCarte {
        UniteCarte {
            code: code.into(),
            nom: code.into(),
            population: 1000,
            lieux,
            lieux_pour_10000: pour,
            distance_km: distance,
            part_eloignee: part,
            centre: Some((45.65, 0.16)),
        }
    }

    #[test]
    fn classes_aux_bornes() {
        let c = |u: &UniteCarte, e, i| classe(u, e, i);
        use EchelonCarte::*;
        use Indicateur::*;
        assert_eq!(c(&unite("a", Some(5.0), 0, 0.0, 0.0), Commune, Distance), 0);
        assert_eq!(c(&unite("a", Some(5.1), 0, 0.0, 0.0), Commune, Distance), 1);
        assert_eq!(
            c(&unite("a", Some(20.5), 0, 0.0, 0.0), Commune, Distance),
            3
        );
        assert_eq!(c(&unite("a", None, 0, 0.0, 0.0), Commune, Distance), 4);
        assert_eq!(c(&unite("a", None, 0, 0.0, 0.0), Commune, Densite), 4);
        assert_eq!(c(&unite("a", None, 1, 1.0, 0.0), Commune, Densite), 3);
        assert_eq!(c(&unite("a", None, 1, 12.0, 0.0), Commune, Densite), 0);
        assert_eq!(c(&unite("a", None, 0, 0.0, 0.04), Departement, Distance), 0);
        assert_eq!(c(&unite("a", None, 0, 0.0, 0.5), Departement, Distance), 4);
        assert_eq!(c(&unite("a", None, 0, 0.5, 0.0), Departement, Densite), 4);
        assert_eq!(c(&unite("a", None, 0, 9.0, 0.0), Departement, Densite), 0);
    }

    #[test]
    fn carte_des_departements_accessible() {
        let carte = Carte {
            echelon: EchelonCarte::Departement,
            unites: vec![
                unite("16", None, 3, 1.0, 0.3),
                unite("33", None, 3, 1.0, 0.01),
                unite("971", None, 0, 0.0, 1.0),
            ],
        };
        let s = svg("c", "Titre <x>", "Desc", &carte, Indicateur::Distance, &[]);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("role=\"img\"") && s.contains("Titre &lt;x&gt;"));
        // Two metropolitan départements drawn, the overseas one left to the table.
        assert_eq!(s.matches("<path").count(), 2);
        assert!(s.contains(COULEURS[3]) && s.contains(COULEURS[0]));
        assert!(!s.contains("NaN"));
    }

    #[test]
    fn carte_des_communes() {
        let carte = Carte {
            echelon: EchelonCarte::Commune,
            unites: vec![unite("16015", Some(3.0), 1, 2.0, 0.0)],
        };
        let s = svg("c", "t", "d", &carte, Indicateur::Distance, &["16"]);
        assert_eq!(s.matches("<circle").count(), 1);
        assert_eq!(s.matches("<path").count(), 1);
        assert!(!s.contains("NaN"));
    }
}
