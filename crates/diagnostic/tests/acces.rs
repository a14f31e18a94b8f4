//! Access distances: hand-built cases, a brute-force comparison on random
//! data, and totals on the real referential.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::NaiveDate;
use maillage_diagnostic::acces::{calculer_acces_lieux, population_eloignee, NOMBRE_SERVICES};
use maillage_diagnostic::{calculer_acces, Echelon, LieuPositionne};
use maillage_lieux::enums::Service;
use maillage_lieux::{Ensemble, Lieu, Texte, Valeur};
use maillage_territoires::{distance_km, embarque, Commune, Territoire, TypeCommune};

/// Mean Earth radius of `distance_km`, km.
const R: f64 = 6371.0088;

fn commune(code: &str, population: u64, centre: Option<(f64, f64)>) -> Commune {
    let arrondissement = maillage_territoires::modele::commune_parente(code).is_some();
    Commune {
        code_insee: code.into(),
        nom: code.into(),
        type_: if arrondissement {
            TypeCommune::ArrondissementMunicipal
        } else {
            TypeCommune::CommuneActuelle
        },
        departement: code[..2].into(),
        region: "84".into(),
        epci: None,
        codes_postaux: Vec::new(),
        population: Some(population),
        latitude: centre.map(|c| c.0),
        longitude: centre.map(|c| c.1),
        area_km2: None,
    }
}

fn lieu(latitude: f64, longitude: f64, services: Ensemble<Service>) -> LieuPositionne {
    LieuPositionne::new(latitude, longitude, services).unwrap()
}

fn proche(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn deux_lieux_distances_connues() {
    // Along the meridian 5°E, 0.1° of latitude is R × 0.1 × π/180 km.
    let km = |deg: f64| R * deg.to_radians();
    let lieux = [
        lieu(45.0, 5.0, Service::AideDemarches.into()),
        lieu(46.0, 5.0, Service::AideDemarches | Service::AccesInternet),
    ];
    let communes = [
        commune("01001", 100, Some((45.0, 5.0))),
        commune("01002", 1000, Some((45.1, 5.0))),
        commune("01003", 50, Some((45.6, 5.0))),
    ];
    let a = calculer_acces(&communes, &lieux);
    assert_eq!(a.communes.len(), 3);
    let (c1, c2, c3) = (&a.communes[0], &a.communes[1], &a.communes[2]);

    // A commune exactly on a place: 0 km.
    assert_eq!(c1.distance_km, Some(0.0));
    assert_eq!(c1.distance_service_km(Service::AideDemarches), Some(0.0));
    assert!(proche(
        c1.distance_service_km(Service::AccesInternet),
        km(1.0)
    ));

    assert!(proche(c2.distance_km, km(0.1)));
    assert!((c2.distance_km.unwrap() - 11.1195).abs() < 1e-3);
    assert!(proche(
        c2.distance_service_km(Service::AccesInternet),
        km(0.9)
    ));
    // Nearer to the second place (0.4°) than to the first (0.6°).
    assert!(proche(c3.distance_km, km(0.4)));
    assert!(proche(
        c3.distance_service_km(Service::AideDemarches),
        km(0.4)
    ));

    // A service offered nowhere: no distance, everyone is far.
    for c in &a.communes {
        assert_eq!(c.distance_service_km(Service::Loisirs), None);
    }
    let p10 = a.population_eloignee(10.0);
    assert_eq!((p10.communes, p10.population), (3, 1150));
    assert_eq!(p10.sans_lieu, 1050);
    assert_eq!(p10.sans(Service::AideDemarches), 1050);
    assert_eq!(p10.sans(Service::AccesInternet), 1150);
    assert_eq!(p10.sans(Service::Loisirs), 1150);
    let p20 = a.population_eloignee(20.0);
    assert_eq!(p20.sans_lieu, 50);
    assert_eq!(p20.sans(Service::AccesInternet), 1150);
    let p50 = a.population_eloignee(50.0);
    assert_eq!(p50.sans_lieu, 0);
    assert_eq!(p50.sans(Service::AccesInternet), 1100);
    assert!((p10.part_sans_lieu() - 1050.0 / 1150.0).abs() < 1e-12);

    // "Exactly at the threshold" is not beyond it.
    assert!(!c2.eloignee(None, c2.distance_km.unwrap()));

    // Zones blanches: by population, then code.
    let codes = |v: Vec<&maillage_diagnostic::AccesCommune>| {
        v.iter()
            .map(|c| c.code_insee.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(a.zones_blanches(10.0, None)), ["01002", "01003"]);
    assert_eq!(codes(a.zones_blanches(20.0, None)), ["01003"]);
    assert_eq!(
        codes(a.zones_blanches(1.0, Some(Service::Loisirs))),
        ["01002", "01001", "01003"]
    );
    let egales = [
        commune("01009", 10, Some((50.0, 5.0))),
        commune("01004", 10, Some((50.0, 5.1))),
    ];
    let b = calculer_acces(&egales, &lieux);
    assert_eq!(codes(b.zones_blanches(10.0, None)), ["01004", "01009"]);

    // Subsets of communes by code; unknown and repeated codes are skipped.
    let sel = a.population_eloignee_de(["01002", "01003", "01003", "99999"], 10.0);
    assert_eq!(
        (sel.communes, sel.population, sel.sans_lieu),
        (2, 1050, 1050)
    );
    assert_eq!(a.commune("01003").map(|c| c.population), Some(50));
    assert!(a.commune("01004").is_none());
}

#[test]
fn sans_aucun_lieu() {
    let a = calculer_acces(&[commune("01001", 7, Some((45.0, 5.0)))], &[]);
    let c = &a.communes[0];
    assert_eq!(c.distance_km, None);
    assert_eq!(c.distances_services_km, [None; NOMBRE_SERVICES]);
    let p = a.population_eloignee(1e9);
    assert_eq!(p.sans_lieu, 7);
    assert_eq!(p.sans_service, [7; NOMBRE_SERVICES]);
    assert_eq!(a.zones_blanches(1e9, None).len(), 1);
    let vide = calculer_acces(&[], &[]);
    assert!(vide.communes.is_empty());
    assert_eq!(vide.population_eloignee(10.0).part_sans_lieu(), 0.0);
}

#[test]
fn arrondissements_et_communes_sans_coordonnees() {
    let lieux = [lieu(48.86, 2.35, Service::AideDemarches.into())];
    let paris = commune("75056", 2_100_000, Some((48.86, 2.35)));
    let louvre = commune("75101", 16_000, Some((48.8625, 2.3364)));
    let sans = commune("15031", 150, None);
    let a = calculer_acces(&[paris.clone(), louvre.clone(), sans], &lieux);
    // The arrondissement would count Paris twice: left out.
    assert_eq!(a.arrondissements_ecartes, 1);
    assert_eq!(a.communes.len(), 1);
    assert_eq!(a.population_eloignee(0.0).population, 2_100_000);
    assert_eq!(a.non_evaluees.len(), 1);
    assert_eq!(a.non_evaluees[0].code_insee, "15031");
    assert_eq!(a.non_evaluees[0].population, 150);
    // Without its commune, the arrondissement is evaluated on its own.
    let b = calculer_acces(&[louvre], &lieux);
    assert_eq!(b.arrondissements_ecartes, 0);
    assert_eq!(b.communes.len(), 1);
    assert!(b.communes[0].distance_km.unwrap() > 0.5);
}

#[test]
fn lieux_du_standard() {
    let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut avec = Lieu::minimal("a", "A", "Bourg", "01000", "1 rue", date);
    avec.latitude = Some(46.2);
    avec.longitude = Some(5.2);
    avec.services = Service::Parentalite.into();
    let sans = Lieu::minimal("b", "B", "Bourg", "01000", "1 rue", date);
    let mut zero = sans.clone();
    zero.latitude = Some(0.0);
    zero.longitude = Some(0.0);
    let a = calculer_acces_lieux(
        &[commune("01053", 40_000, Some((46.2, 5.2)))],
        [&avec, &sans, &zero],
    );
    assert_eq!(a.lieux_sans_position, 2);
    assert_eq!(
        a.communes[0].distance_service_km(Service::Parentalite),
        Some(0.0)
    );
    assert_eq!(a.communes[0].distance_service_km(Service::Loisirs), None);
    assert!(LieuPositionne::new(f64::NAN, 5.0, Ensemble::new()).is_none());
    assert!(LieuPositionne::new(95.0, 5.0, Ensemble::new()).is_none());
}

/// Random WGS84 point: mostly mainland France, some overseas, some anywhere
/// (the sphere index must not care).
fn point(rng: &mut fastrand::Rng) -> (f64, f64) {
    match rng.u8(0..10) {
        0 => (rng.f64() * 180.0 - 90.0, rng.f64() * 360.0 - 180.0),
        1 => (-21.3 + rng.f64() * 0.5, 55.2 + rng.f64() * 0.6),
        _ => (42.0 + rng.f64() * 9.0, -5.0 + rng.f64() * 13.0),
    }
}

#[test]
fn egal_a_la_double_boucle() {
    let mut rng = fastrand::Rng::with_seed(20_261_124);
    // Each service with its own frequency; the last one is offered nowhere.
    let frequences = [0.7, 0.5, 0.3, 0.2, 0.1, 0.15, 0.05, 0.6, 0.0];
    let mut lieux: Vec<LieuPositionne> = (0..500)
        .map(|_| {
            let (la, lo) = point(&mut rng);
            let mut services = Ensemble::new();
            for (&s, &f) in Service::TOUTES.iter().zip(&frequences) {
                if rng.f64() < f {
                    services.insert(s);
                }
            }
            lieu(la, lo, services)
        })
        .collect();
    let communes: Vec<Commune> = (0..2000)
        .map(|i| {
            // A few communes exactly on a place.
            let centre = if i % 100 == 0 {
                let l = lieux[i / 100];
                (l.latitude, l.longitude)
            } else {
                point(&mut rng)
            };
            commune(
                &format!("{:05}", 10_000 + i),
                rng.u64(0..5000),
                Some(centre),
            )
        })
        .collect();
    // Two places at the same point: ties must not matter.
    lieux.push(lieux[0]);
    let a = calculer_acces(&communes, &lieux);
    assert_eq!(a.communes.len(), communes.len());

    let plus_proche = |c: &Commune, s: Option<Service>| {
        lieux
            .iter()
            .filter(|l| s.is_none_or(|s| l.services.contains(s)))
            .map(|l| {
                distance_km(
                    c.latitude.unwrap(),
                    c.longitude.unwrap(),
                    l.latitude,
                    l.longitude,
                )
            })
            .min_by(f64::total_cmp)
    };
    let egales = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * (1.0 + y),
        _ => false,
    };
    let mut loin = [0u64; NOMBRE_SERVICES];
    let mut loin_tous = 0;
    for (c, r) in communes.iter().zip(&a.communes) {
        assert_eq!(c.code_insee, r.code_insee);
        let d = plus_proche(c, None);
        assert!(
            egales(r.distance_km, d),
            "{}: {:?} ≠ {d:?}",
            c.code_insee,
            r.distance_km
        );
        loin_tous += c.population.unwrap() * u64::from(d.is_none_or(|d| d > 10.0));
        for &s in Service::TOUTES {
            let d = plus_proche(c, Some(s));
            assert!(
                egales(r.distance_service_km(s), d),
                "{} {s}: {:?} ≠ {d:?}",
                c.code_insee,
                r.distance_service_km(s)
            );
            loin[s as usize] += c.population.unwrap() * u64::from(d.is_none_or(|d| d > 10.0));
        }
    }
    let p = a.population_eloignee(10.0);
    assert_eq!(p.sans_lieu, loin_tous);
    assert_eq!(p.sans_service, loin);
    assert_eq!(p.sans(Service::AcquisitionMateriel), p.population);
}

#[test]
fn referentiel_reel_sans_double_compte() {
    let r = embarque().unwrap();
    // One place per département chef-lieu-ish: the first commune of each.
    let mut lieux = Vec::new();
    let mut dernier: Option<Texte> = None;
    for c in r.communes() {
        if dernier.as_ref() != Some(&c.departement) {
            dernier = Some(c.departement.clone());
            if let Some((la, lo)) = c.centre() {
                lieux.push(lieu(la, lo, Service::AideDemarches.into()));
            }
        }
    }
    let a = calculer_acces(r.communes(), &lieux);
    assert_eq!(a.arrondissements_ecartes, 45);
    assert_eq!(a.non_evaluees.len(), 99);
    let non_evaluee: u64 = a.non_evaluees.iter().map(|c| c.population).sum();
    let france = a.population_eloignee(20.0);
    // Population municipale of the communes actuelles (README of the data).
    assert_eq!(france.population + non_evaluee, 68_952_941);

    // Every level sums to France.
    for echelon in [Echelon::Departement, Echelon::Region, Echelon::France] {
        let groupes = a.par_echelon(r, echelon, 20.0);
        let somme: u64 = groupes.values().map(|g| g.population).sum();
        let loin: u64 = groupes.values().map(|g| g.sans_lieu).sum();
        assert_eq!((somme, loin), (france.population, france.sans_lieu));
    }
    let epci = a.par_echelon(r, Echelon::Epci, 20.0);
    assert_eq!(epci.len(), 1255);

    // A territory by its commune codes (arrondissements included by
    // `communes_de`) equals its group.
    let dep = a.par_echelon(r, Echelon::Departement, 20.0);
    for code in ["16", "75", "13", "2A"] {
        let t = Territoire::Departement(code.into());
        let codes: Vec<&str> = r
            .communes_de(&t)
            .iter()
            .map(|c| c.code_insee.as_str())
            .collect();
        let p = a.population_eloignee_de(codes, 20.0);
        assert_eq!(Some(&p), dep.get(code), "{code}");
    }
    assert_eq!(
        dep["75"].population,
        r.commune("75056").unwrap().population.unwrap()
    );
    // Services offered nowhere: the whole population.
    assert_eq!(france.sans(Service::Loisirs), france.population);
    assert!(france.sans_lieu > 0 && france.sans_lieu < france.population);
    assert_eq!(population_eloignee(&a.communes, 20.0), france);
}
