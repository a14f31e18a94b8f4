//! The diagnostic of one territory (France, région, département, EPCI or
//! commune): key figures, places per 10,000 inhabitants by service, typology
//! and national programme, access per service, "zones blanches" and the data
//! of a choropleth. The page, its CSV and XLSX files and the API all read
//! one [`Diagnostic`], so their figures cannot drift apart.
//!
//! The costly part (nearest place from every commune) is [`Donnees`],
//! computed once per published registry; [`Diagnostic::calculer`] only
//! filters and sums.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use maillage_lieux::enums::{Dispositif, Service, Typologie};
use maillage_lieux::{Ensemble, Lieu, Texte, Valeur};
use maillage_territoires::{Commune, ErreurTerritoire, Referentiel, Territoire};
use serde::Serialize;

use crate::acces::{calculer_acces_lieux, Acces, AccesCommune};

/// Radii offered for the "zones blanches", km.
pub const RAYONS_KM: [u32; 5] = [5, 10, 15, 20, 30];
/// The radius used when none is asked.
pub const RAYON_DEFAUT_KM: u32 = 10;

/// A place reduced to what the counts need.
#[derive(Debug, Clone, PartialEq)]
pub struct LieuCompte {
    /// INSEE code of its commune as resolved by the caller; `None`: counted
    /// for France only.
    pub code_insee: Option<Texte>,
    pub services: Ensemble<Service>,
    pub typologie: Ensemble<Typologie>,
    pub dispositifs: Ensemble<Dispositif>,
}

/// What every diagnostic reads, computed once per published registry.
#[derive(Debug, Clone)]
pub struct Donnees {
    pub acces: Acces,
    pub lieux: Vec<LieuCompte>,
}

impl Donnees {
    /// From the published places, each with the INSEE code of its commune
    /// (the catalogue resolves it, with the name and postcode when the code
    /// is missing).
    pub fn new<'a>(
        referentiel: &Referentiel,
        lieux: impl IntoIterator<Item = (&'a Lieu, Option<&'a str>)>,
    ) -> Donnees {
        let (tous, comptes): (Vec<&Lieu>, Vec<LieuCompte>) = lieux
            .into_iter()
            .map(|(l, code)| {
                (
                    l,
                    LieuCompte {
                        code_insee: code.map(Texte::from),
                        services: l.services,
                        typologie: l.typologie,
                        dispositifs: l.dispositif_programmes_nationaux,
                    },
                )
            })
            .unzip();
        Donnees {
            acces: calculer_acces_lieux(referentiel.communes(), tous),
            lieux: comptes,
        }
    }
}

/// France, or one région, département, EPCI or commune.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Perimetre {
    France,
    Territoire(Territoire),
}

impl Perimetre {
    /// `france` or the path form `reg/75`, `dep/33`, `epci/SIREN`,
    /// `com/33063` used by the site's URLs.
    pub fn chemin(&self) -> String {
        match self {
            Perimetre::France => "france".to_string(),
            Perimetre::Territoire(t) => format!("{}/{}", t.prefixe(), t.code()),
        }
    }

    /// Whether the territory exists in the referential.
    pub fn existe(&self, referentiel: &Referentiel) -> bool {
        match self {
            Perimetre::France => true,
            Perimetre::Territoire(t) => referentiel.territoire_existe(t),
        }
    }

    fn contient(&self, referentiel: &Referentiel, code_insee: Option<&str>) -> bool {
        match self {
            Perimetre::France => true,
            Perimetre::Territoire(t) => code_insee.is_some_and(|c| referentiel.contient(t, c)),
        }
    }
}

/// `france`, `reg:75`, `dep:33`…
impl fmt::Display for Perimetre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Perimetre::France => f.write_str("france"),
            Perimetre::Territoire(t) => t.fmt(f),
        }
    }
}

impl FromStr for Perimetre {
    type Err = ErreurTerritoire;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("france") {
            Ok(Perimetre::France)
        } else {
            s.parse().map(Perimetre::Territoire)
        }
    }
}

/// Places of one value of an enumeration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offre {
    /// The value written in files of the standard.
    pub valeur: String,
    pub libelle: String,
    pub lieux: usize,
    pub pour_10000: f64,
}

/// Access to the places (offering one service, or any).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccesService {
    /// Value of the service; `None`: any place.
    pub service: Option<String>,
    pub libelle: String,
    /// Mean over the inhabitants of the distance from their commune's
    /// centroid; `None` when no place is reachable.
    pub distance_moyenne_km: Option<f64>,
    /// The farthest commune, `None` when one has no place at all.
    pub distance_max_km: Option<f64>,
    /// Population farther than 10 and 20 km (or with no such place).
    pub population_plus_10_km: u64,
    pub population_plus_20_km: u64,
    /// Those populations over the evaluated population (0..1).
    pub part_plus_10_km: f64,
    pub part_plus_20_km: f64,
}

/// A commune with no place within the chosen radius.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneBlanche {
    pub code_insee: String,
    pub nom: String,
    pub population: u64,
    /// To the nearest place; `None`: no place at all.
    pub distance_km: Option<f64>,
}

/// Level of the units of the choropleth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EchelonCarte {
    Commune,
    Departement,
}

/// One unit of the choropleth (a commune or a département).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UniteCarte {
    pub code: String,
    pub nom: String,
    pub population: u64,
    pub lieux: usize,
    pub lieux_pour_10000: f64,
    /// Communes: to the nearest place (`None`: no place at all, or no
    /// centroid). Départements: `None`.
    pub distance_km: Option<f64>,
    /// Share (0..1) of the population farther than the radius from any
    /// place (for a commune, 0 or 1).
    pub part_eloignee: f64,
    /// Centroid (communes only), for drawing.
    #[serde(skip)]
    pub centre: Option<(f64, f64)>,
}

/// The data of the choropleth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Carte {
    pub echelon: EchelonCarte,
    pub unites: Vec<UniteCarte>,
}

/// Everything a territory's diagnostic shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// `france`, `reg:75`, `dep:33`…
    pub territoire: String,
    pub nom: String,
    /// `France`, `région`, `département`, `EPCI`, `commune`.
    pub niveau: &'static str,
    /// Population municipale of its communes (arrondissements counted once,
    /// through their commune).
    pub population: u64,
    /// Communes with a centroid, and those without (left out of access).
    pub communes: usize,
    pub communes_non_evaluees: usize,
    pub population_non_evaluee: u64,
    pub lieux: usize,
    pub lieux_pour_10000: f64,
    /// Every service of the standard, in its order.
    pub services: Vec<Offre>,
    /// Typologies present, most places first.
    pub typologies: Vec<Offre>,
    /// Every national programme, in the standard's order.
    pub dispositifs: Vec<Offre>,
    /// Any place first, then each service in the standard's order.
    pub acces: Vec<AccesService>,
    /// Radius of the zones blanches and of `part_eloignee`, km.
    pub rayon_km: f64,
    /// Population farther than the radius from any place.
    pub population_hors_rayon: u64,
    /// Most populated first.
    pub zones_blanches: Vec<ZoneBlanche>,
    pub carte: Carte,
}

fn pour_10000(lieux: usize, population: u64) -> f64 {
    if population == 0 {
        0.0
    } else {
        lieux as f64 * 10_000.0 / population as f64
    }
}

fn part(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

fn offres<T: Valeur>(
    comptes: &[usize],
    population: u64,
    filtre: impl Fn(usize) -> bool,
) -> Vec<Offre> {
    T::TOUTES
        .iter()
        .zip(comptes)
        .filter(|(_, n)| filtre(**n))
        .map(|(v, &n)| Offre {
            valeur: v.valeur().to_string(),
            libelle: v.libelle().to_string(),
            lieux: n,
            pour_10000: pour_10000(n, population),
        })
        .collect()
}

fn acces_service(
    communes: &[&AccesCommune],
    population: u64,
    service: Option<Service>,
) -> AccesService {
    let distance = |c: &AccesCommune| match service {
        Some(s) => c.distance_service_km(s),
        None => c.distance_km,
    };
    let (mut somme, mut poids) = (0.0, 0u64);
    let mut max: Option<f64> = Some(0.0);
    let (mut plus_10, mut plus_20) = (0, 0);
    for c in communes {
        match distance(c) {
            Some(d) => {
                somme += d * c.population as f64;
                poids += c.population;
                max = max.map(|m| m.max(d));
            }
            None => max = None,
        }
        if c.eloignee(service, 10.0) {
            plus_10 += c.population;
        }
        if c.eloignee(service, 20.0) {
            plus_20 += c.population;
        }
    }
    AccesService {
        service: service.map(|s| s.valeur().to_string()),
        libelle: service
            .map_or("Tous les lieux", |s| s.libelle())
            .to_string(),
        distance_moyenne_km: (poids > 0).then(|| somme / poids as f64),
        distance_max_km: if communes.is_empty() { None } else { max },
        population_plus_10_km: plus_10,
        population_plus_20_km: plus_20,
        part_plus_10_km: part(plus_10, population),
        part_plus_20_km: part(plus_20, population),
    }
}

impl Diagnostic {
    /// The diagnostic of `perimetre`, zones blanches within `rayon_km`;
    /// `None` when the territory is unknown to the referential.
    pub fn calculer(
        referentiel: &Referentiel,
        donnees: &Donnees,
        perimetre: &Perimetre,
        rayon_km: f64,
    ) -> Option<Diagnostic> {
        let (nom, niveau) = nommer(referentiel, perimetre)?;
        let acces = &donnees.acces;
        // The evaluated communes of the territory (an arrondissement is in
        // `acces` only when its commune is not), and those left out.
        let (communes, population_non_evaluee, communes_non_evaluees): (
            Vec<&AccesCommune>,
            u64,
            usize,
        ) = match perimetre {
            Perimetre::France => (
                acces.communes.iter().collect(),
                acces.non_evaluees.iter().map(|c| c.population).sum(),
                acces.non_evaluees.len(),
            ),
            Perimetre::Territoire(t) => {
                let codes = referentiel.communes_de(t);
                let mut v = Vec::with_capacity(codes.len());
                let (mut pop, mut n) = (0, 0);
                for c in codes {
                    if let Some(a) = acces.commune(&c.code_insee) {
                        v.push(a);
                    } else if let Ok(i) = acces
                        .non_evaluees
                        .binary_search_by(|x| x.code_insee.as_str().cmp(&c.code_insee))
                    {
                        pop += acces.non_evaluees[i].population;
                        n += 1;
                    }
                }
                (v, pop, n)
            }
        };
        let population_evaluee: u64 = communes.iter().map(|c| c.population).sum();
        let population = population_evaluee + population_non_evaluee;

        let mut services = vec![0usize; Service::TOUTES.len()];
        let mut typologies = vec![0usize; Typologie::TOUTES.len()];
        let mut dispositifs = vec![0usize; Dispositif::TOUTES.len()];
        let mut lieux = 0;
        for l in &donnees.lieux {
            if !perimetre.contient(referentiel, l.code_insee.as_deref()) {
                continue;
            }
            lieux += 1;
            // Enumset bits follow the standard's order (`TOUTES`).
            for s in l.services.iter() {
                services[s as usize] += 1;
            }
            for t in l.typologie.iter() {
                typologies[t as usize] += 1;
            }
            for d in l.dispositifs.iter() {
                dispositifs[d as usize] += 1;
            }
        }
        let mut typologies = offres::<Typologie>(&typologies, population, |n| n > 0);
        typologies.sort_by(|a, b| b.lieux.cmp(&a.lieux).then_with(|| a.valeur.cmp(&b.valeur)));

        let acces_services = std::iter::once(None)
            .chain(Service::TOUTES.iter().copied().map(Some))
            .map(|s| acces_service(&communes, population_evaluee, s))
            .collect();

        let mut zones: Vec<&AccesCommune> = communes
            .iter()
            .copied()
            .filter(|c| c.eloignee(None, rayon_km))
            .collect();
        zones.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then_with(|| a.code_insee.cmp(&b.code_insee))
        });
        let population_hors_rayon = zones.iter().map(|c| c.population).sum();
        let zones_blanches = zones
            .into_iter()
            .map(|c| ZoneBlanche {
                code_insee: c.code_insee.to_string(),
                nom: nom_commune(referentiel, &c.code_insee),
                population: c.population,
                distance_km: c.distance_km,
            })
            .collect();

        let carte = match perimetre {
            Perimetre::France | Perimetre::Territoire(Territoire::Region(_)) => {
                carte_departements(referentiel, donnees, perimetre, rayon_km)
            }
            Perimetre::Territoire(_) => carte_communes(referentiel, donnees, &communes, rayon_km),
        };

        Some(Diagnostic {
            territoire: perimetre.to_string(),
            nom,
            niveau,
            population,
            communes: communes.len(),
            communes_non_evaluees,
            population_non_evaluee,
            lieux,
            lieux_pour_10000: pour_10000(lieux, population),
            services: offres::<Service>(&services, population, |_| true),
            typologies,
            dispositifs: offres::<Dispositif>(&dispositifs, population, |_| true),
            acces: acces_services,
            rayon_km,
            population_hors_rayon,
            zones_blanches,
            carte,
        })
    }

    /// Access to any place (the first line of [`Diagnostic::acces`]).
    pub fn acces_global(&self) -> Option<&AccesService> {
        self.acces.first()
    }
}

fn nommer(referentiel: &Referentiel, perimetre: &Perimetre) -> Option<(String, &'static str)> {
    Some(match perimetre {
        Perimetre::France => ("France".to_string(), "France"),
        Perimetre::Territoire(t) => match t {
            Territoire::Region(c) => (referentiel.region(c)?.nom.to_string(), "région"),
            Territoire::Departement(c) => {
                let d = referentiel.departement(c)?;
                (format!("{} ({})", d.nom, d.code), "département")
            }
            Territoire::Epci(c) => (referentiel.epci(c)?.nom.to_string(), "EPCI"),
            Territoire::Commune(c) => {
                let x = referentiel.commune(c)?;
                (format!("{} ({})", x.nom, x.code_insee), "commune")
            }
        },
    })
}

fn nom_commune(referentiel: &Referentiel, code: &str) -> String {
    referentiel
        .commune(code)
        .map_or_else(|| code.to_string(), |c| c.nom.to_string())
}

/// The code under which a place's commune is evaluated: itself, or the
/// commune of an arrondissement left out of `acces`.
fn code_evalue<'a>(acces: &Acces, commune: &'a Commune) -> &'a str {
    match commune.commune_parente() {
        Some(p) if acces.commune(&commune.code_insee).is_none() => p,
        _ => &commune.code_insee,
    }
}

fn carte_communes(
    referentiel: &Referentiel,
    donnees: &Donnees,
    communes: &[&AccesCommune],
    rayon_km: f64,
) -> Carte {
    let mut par_commune: HashMap<&str, usize> = communes
        .iter()
        .map(|c| (c.code_insee.as_str(), 0))
        .collect();
    for l in &donnees.lieux {
        let Some(c) = l.code_insee.as_deref().and_then(|c| referentiel.commune(c)) else {
            continue;
        };
        if let Some(n) = par_commune.get_mut(code_evalue(&donnees.acces, c)) {
            *n += 1;
        }
    }
    let unites = communes
        .iter()
        .map(|c| {
            let lieux = par_commune.get(c.code_insee.as_str()).copied().unwrap_or(0);
            let commune = referentiel.commune(&c.code_insee);
            UniteCarte {
                code: c.code_insee.to_string(),
                nom: nom_commune(referentiel, &c.code_insee),
                population: c.population,
                lieux,
                lieux_pour_10000: pour_10000(lieux, c.population),
                distance_km: c.distance_km,
                part_eloignee: if c.eloignee(None, rayon_km) { 1.0 } else { 0.0 },
                centre: commune.and_then(Commune::centre),
            }
        })
        .collect();
    Carte {
        echelon: EchelonCarte::Commune,
        unites,
    }
}

fn carte_departements(
    referentiel: &Referentiel,
    donnees: &Donnees,
    perimetre: &Perimetre,
    rayon_km: f64,
) -> Carte {
    let departements: Vec<_> = match perimetre {
        Perimetre::Territoire(Territoire::Region(r)) => referentiel.departements_de_region(r),
        _ => referentiel.departements().iter().collect(),
    };
    let eloignes = donnees
        .acces
        .par_echelon(referentiel, crate::Echelon::Departement, rayon_km);
    let mut lieux: HashMap<&str, usize> = HashMap::new();
    for l in &donnees.lieux {
        if let Some(c) = l.code_insee.as_deref().and_then(|c| referentiel.commune(c)) {
            *lieux.entry(c.departement.as_str()).or_default() += 1;
        }
    }
    let unites = departements
        .into_iter()
        .map(|d| {
            let e = eloignes.get(&d.code);
            // The referential's figure: the evaluated communes miss the COM.
            let population = d
                .population
                .unwrap_or_else(|| e.map_or(0, |e| e.population));
            let n = lieux.get(d.code.as_str()).copied().unwrap_or(0);
            UniteCarte {
                code: d.code.to_string(),
                nom: d.nom.to_string(),
                population,
                lieux: n,
                lieux_pour_10000: pour_10000(n, population),
                distance_km: None,
                part_eloignee: e.map_or(0.0, |e| e.part_sans_lieu()),
                centre: None,
            }
        })
        .collect();
    Carte {
        echelon: EchelonCarte::Departement,
        unites,
    }
}
