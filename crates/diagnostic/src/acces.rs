//! Access to places: for every commune, the great-circle distance (haversine,
//! km) from its centroid to the nearest place, overall and per service, and
//! the populations living beyond distance thresholds.
//!
//! Nearest neighbours come from R-trees (`rstar`, already used by the
//! referential) over 3D unit-sphere coordinates: the chord length grows with
//! the great-circle distance, so the nearest point by chord is the nearest by
//! haversine, with no special case at the antimeridian or for overseas
//! territories. One tree for all places and one per service; the distance
//! reported is the haversine of `maillage_territoires::distance_km` to the
//! place found.

use std::collections::{BTreeMap, HashSet};

use maillage_lieux::enums::Service;
use maillage_lieux::{Ensemble, Lieu, Texte, Valeur};
use maillage_territoires::{distance_km, Commune, Referentiel};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

use crate::{arrondissement_en_double, Echelon};

/// The usual distance thresholds of the diagnostic, km.
pub const SEUILS_KM: [f64; 2] = [10.0, 20.0];

/// Number of services of the standard (`services`).
pub const NOMBRE_SERVICES: usize = 9;

/// A place reduced to what access needs: a WGS84 point and its services.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LieuPositionne {
    pub latitude: f64,
    pub longitude: f64,
    pub services: Ensemble<Service>,
}

impl LieuPositionne {
    /// A place at a usable point (finite, in range, not the `0,0` broken
    /// sources write for "unknown"); `None` otherwise.
    pub fn new(latitude: f64, longitude: f64, services: Ensemble<Service>) -> Option<Self> {
        point_utilisable(latitude, longitude).then_some(LieuPositionne {
            latitude,
            longitude,
            services,
        })
    }

    /// From a place of the standard; `None` when it has no usable point.
    pub fn depuis_lieu(lieu: &Lieu) -> Option<Self> {
        LieuPositionne::new(lieu.latitude?, lieu.longitude?, lieu.services)
    }
}

fn point_utilisable(latitude: f64, longitude: f64) -> bool {
    latitude.is_finite()
        && longitude.is_finite()
        && (-90.0..=90.0).contains(&latitude)
        && (-180.0..=180.0).contains(&longitude)
        && !(latitude == 0.0 && longitude == 0.0)
}

/// Distances of one commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccesCommune {
    pub code_insee: Texte,
    /// Population municipale (0 when the referential has none).
    pub population: u64,
    /// To the nearest place; `None` when there is no place at all.
    pub distance_km: Option<f64>,
    /// To the nearest place offering each service, in the order of
    /// `Service::TOUTES`; `None` when no place offers it.
    pub distances_services_km: [Option<f64>; NOMBRE_SERVICES],
}

impl AccesCommune {
    /// Distance to the nearest place offering `service`.
    pub fn distance_service_km(&self, service: Service) -> Option<f64> {
        self.distances_services_km[service as usize]
    }

    /// True when no place (offering `service`, if given) lies within
    /// `seuil_km`: strictly farther, or none at all.
    pub fn eloignee(&self, service: Option<Service>, seuil_km: f64) -> bool {
        let d = match service {
            Some(s) => self.distance_service_km(s),
            None => self.distance_km,
        };
        d.is_none_or(|d| d > seuil_km)
    }
}

/// A commune left out of the computation because it has no centroid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommuneNonEvaluee {
    pub code_insee: Texte,
    pub population: u64,
}

/// Populations farther than a threshold, for a set of communes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationEloignee {
    pub seuil_km: f64,
    /// Communes counted (evaluated ones only).
    pub communes: usize,
    /// Their population.
    pub population: u64,
    /// Population farther than the threshold from any place.
    pub sans_lieu: u64,
    /// Population farther than the threshold from a place offering each
    /// service, in the order of `Service::TOUTES`.
    pub sans_service: [u64; NOMBRE_SERVICES],
}

impl PopulationEloignee {
    fn vide(seuil_km: f64) -> Self {
        PopulationEloignee {
            seuil_km,
            communes: 0,
            population: 0,
            sans_lieu: 0,
            sans_service: [0; NOMBRE_SERVICES],
        }
    }

    fn ajouter(&mut self, c: &AccesCommune) {
        self.communes += 1;
        self.population += c.population;
        if c.eloignee(None, self.seuil_km) {
            self.sans_lieu += c.population;
        }
        for &s in Service::TOUTES {
            if c.eloignee(Some(s), self.seuil_km) {
                self.sans_service[s as usize] += c.population;
            }
        }
    }

    /// Population farther than the threshold from `service`.
    pub fn sans(&self, service: Service) -> u64 {
        self.sans_service[service as usize]
    }

    /// Share (0..1) of the population farther than the threshold from any
    /// place; 0 for an empty set.
    pub fn part_sans_lieu(&self) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            self.sans_lieu as f64 / self.population as f64
        }
    }
}

/// Sums the populations beyond `seuil_km` over any communes.
pub fn population_eloignee<'a>(
    communes: impl IntoIterator<Item = &'a AccesCommune>,
    seuil_km: f64,
) -> PopulationEloignee {
    let mut p = PopulationEloignee::vide(seuil_km);
    for c in communes {
        p.ajouter(c);
    }
    p
}

/// Result of [`calculer_acces`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acces {
    /// Evaluated communes, sorted by code.
    pub communes: Vec<AccesCommune>,
    /// Communes without a centroid (99 in the COG 2026 referential: the COM
    /// and 5 Cantal communes), sorted by code: reported, not guessed.
    pub non_evaluees: Vec<CommuneNonEvaluee>,
    /// Arrondissements municipaux left out because their commune is given.
    pub arrondissements_ecartes: usize,
    /// Places without a usable point, counted by [`calculer_acces_lieux`]
    /// (always 0 from [`calculer_acces`], whose places all have one).
    pub lieux_sans_position: usize,
}

impl Acces {
    /// The distances of a commune (or of an arrondissement evaluated on its
    /// own) by code.
    pub fn commune(&self, code_insee: &str) -> Option<&AccesCommune> {
        self.communes
            .binary_search_by(|c| c.code_insee.as_str().cmp(code_insee))
            .ok()
            .map(|i| &self.communes[i])
    }

    /// Populations beyond `seuil_km` over every evaluated commune.
    pub fn population_eloignee(&self, seuil_km: f64) -> PopulationEloignee {
        population_eloignee(&self.communes, seuil_km)
    }

    /// Populations beyond `seuil_km` over the given communes (e.g. the codes
    /// of `Referentiel::communes_de`). Unknown, unevaluated or repeated codes
    /// are skipped, so an arrondissement left out for its commune is not
    /// counted twice.
    pub fn population_eloignee_de<'a>(
        &self,
        codes: impl IntoIterator<Item = &'a str>,
        seuil_km: f64,
    ) -> PopulationEloignee {
        let mut vus = HashSet::new();
        let choisies = codes
            .into_iter()
            .filter(|c| vus.insert(*c))
            .filter_map(|c| self.commune(c));
        population_eloignee(choisies, seuil_km)
    }

    /// Populations beyond `seuil_km` per EPCI, département, région or for
    /// France, the communes being placed by the referential. Communes unknown
    /// to it, or without EPCI at that level, are left out.
    pub fn par_echelon(
        &self,
        referentiel: &Referentiel,
        echelon: Echelon,
        seuil_km: f64,
    ) -> BTreeMap<Texte, PopulationEloignee> {
        let mut groupes: BTreeMap<Texte, PopulationEloignee> = BTreeMap::new();
        for c in &self.communes {
            let Some(cle) = referentiel
                .commune(&c.code_insee)
                .and_then(|x| echelon.cle(x))
            else {
                continue;
            };
            groupes
                .entry(cle)
                .or_insert_with(|| PopulationEloignee::vide(seuil_km))
                .ajouter(c);
        }
        groupes
    }

    /// "Zones blanches": communes with no place (offering `service`, if
    /// given) within `rayon_km`, most populated first, then by code.
    pub fn zones_blanches(&self, rayon_km: f64, service: Option<Service>) -> Vec<&AccesCommune> {
        let mut v: Vec<&AccesCommune> = self
            .communes
            .iter()
            .filter(|c| c.eloignee(service, rayon_km))
            .collect();
        v.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then_with(|| a.code_insee.cmp(&b.code_insee))
        });
        v
    }
}

/// A place in the index: unit-sphere point, with its WGS84 point and
/// services.
type Point = GeomWithData<[f64; 3], (f64, f64, Ensemble<Service>)>;

fn sphere(latitude: f64, longitude: f64) -> [f64; 3] {
    let (la, lo) = (latitude.to_radians(), longitude.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// One tree for all places and one per service.
struct Index {
    tous: RTree<Point>,
    par_service: Vec<RTree<Point>>,
}

impl Index {
    fn new(lieux: &[LieuPositionne]) -> Index {
        let points: Vec<Point> = lieux
            .iter()
            .map(|l| {
                GeomWithData::new(
                    sphere(l.latitude, l.longitude),
                    (l.latitude, l.longitude, l.services),
                )
            })
            .collect();
        let par_service = Service::TOUTES
            .iter()
            .map(|&s| {
                RTree::bulk_load(
                    points
                        .iter()
                        .filter(|p| p.data.2.contains(s))
                        .cloned()
                        .collect(),
                )
            })
            .collect();
        Index {
            tous: RTree::bulk_load(points),
            par_service,
        }
    }

    fn mesurer(&self, latitude: f64, longitude: f64) -> AccesCommune {
        let q = sphere(latitude, longitude);
        let distance = |p: &Point| distance_km(latitude, longitude, p.data.0, p.data.1);
        let proche = self.tous.nearest_neighbor(q);
        let distance_km = proche.map(distance);
        let mut distances = [None; NOMBRE_SERVICES];
        for (i, &s) in Service::TOUTES.iter().enumerate() {
            distances[i] = match proche {
                // The nearest place overall is at least as near as any place
                // offering the service: when it offers it, no query needed.
                Some(p) if p.data.2.contains(s) => distance_km,
                _ => self.par_service[i].nearest_neighbor(q).map(distance),
            };
        }
        AccesCommune {
            code_insee: Texte::default(),
            population: 0,
            distance_km,
            distances_services_km: distances,
        }
    }
}

/// Distances from every commune to the places.
///
/// Arrondissements municipaux are left out when their commune is among
/// `communes` (Paris, Lyon and Marseille would otherwise count twice) and
/// kept otherwise; communes without a usable centroid are reported in
/// [`Acces::non_evaluees`].
pub fn calculer_acces(communes: &[Commune], lieux: &[LieuPositionne]) -> Acces {
    let index = Index::new(lieux);
    let presentes: HashSet<&str> = communes
        .iter()
        .filter(|c| !c.est_arrondissement())
        .map(|c| c.code_insee.as_str())
        .collect();
    let mut acces = Acces {
        communes: Vec::with_capacity(communes.len()),
        non_evaluees: Vec::new(),
        arrondissements_ecartes: 0,
        lieux_sans_position: 0,
    };
    for c in communes {
        if arrondissement_en_double(c, &|p| presentes.contains(p)) {
            acces.arrondissements_ecartes += 1;
            continue;
        }
        let population = c.population.unwrap_or(0);
        match c.centre().filter(|&(la, lo)| point_utilisable(la, lo)) {
            Some((la, lo)) => {
                let mut a = index.mesurer(la, lo);
                a.code_insee = c.code_insee.clone();
                a.population = population;
                acces.communes.push(a);
            }
            None => acces.non_evaluees.push(CommuneNonEvaluee {
                code_insee: c.code_insee.clone(),
                population,
            }),
        }
    }
    acces
        .communes
        .sort_by(|a, b| a.code_insee.cmp(&b.code_insee));
    acces
        .non_evaluees
        .sort_by(|a, b| a.code_insee.cmp(&b.code_insee));
    acces
}

/// [`calculer_acces`] from places of the standard, counting those without a
/// usable point in [`Acces::lieux_sans_position`].
pub fn calculer_acces_lieux<'a>(
    communes: &[Commune],
    lieux: impl IntoIterator<Item = &'a Lieu>,
) -> Acces {
    let mut sans_position = 0;
    let positionnes: Vec<LieuPositionne> = lieux
        .into_iter()
        .filter_map(|l| {
            let p = LieuPositionne::depuis_lieu(l);
            sans_position += usize::from(p.is_none());
            p
        })
        .collect();
    let mut acces = calculer_acces(communes, &positionnes);
    acces.lieux_sans_position = sans_position;
    acces
}
