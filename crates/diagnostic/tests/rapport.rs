//! The diagnostic of a territory on the embedded referential with a few
//! places: counts, access and zones blanches against a brute force.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::NaiveDate;
use maillage_diagnostic::{Diagnostic, Donnees, EchelonCarte, Perimetre};
use maillage_lieux::enums::Service;
use maillage_lieux::Lieu;
use maillage_territoires::{distance_km, embarque, Territoire};

fn lieu(
    id: &str,
    insee: &str,
    la: f64,
    lo: f64,
    services: maillage_lieux::Ensemble<Service>,
) -> Lieu {
    let date = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut l = Lieu::minimal(id, id, id, "00000", "1 rue", date);
    l.code_insee = Some(insee.into());
    l.latitude = Some(la);
    l.longitude = Some(lo);
    l.services = services;
    l
}

#[test]
fn diagnostic_d_un_departement_et_de_la_france() {
    let r = embarque().unwrap();
    let lieux = [
        lieu("a", "16015", 45.6484, 0.1562, Service::AideDemarches.into()),
        lieu(
            "b",
            "16102",
            45.6958,
            -0.3287,
            Service::AccesInternet.into(),
        ),
        // No point: counted, not placed.
        {
            let mut l = lieu("c", "16106", 0.0, 0.0, Service::AideDemarches.into());
            l.latitude = None;
            l
        },
        lieu(
            "d",
            "33063",
            44.8378,
            -0.5792,
            Service::AideDemarches.into(),
        ),
    ];
    let donnees = Donnees::new(r, lieux.iter().map(|l| (l, l.code_insee.as_deref())));
    assert_eq!(donnees.acces.lieux_sans_position, 1);

    let dep = Perimetre::Territoire(Territoire::Departement("16".into()));
    let d = Diagnostic::calculer(r, &donnees, &dep, 10.0).unwrap();
    assert_eq!(d.lieux, 3);
    assert_eq!(d.services[0].lieux, 2);
    let communes = r.communes_de(&Territoire::Departement("16".into()));
    let population: u64 = communes.iter().map(|c| c.population.unwrap_or(0)).sum();
    assert_eq!(d.population, population);
    let places = [(45.6484, 0.1562), (45.6958, -0.3287), (44.8378, -0.5792)];
    let mut loin = 0;
    let mut zones = 0;
    for c in &communes {
        let (la, lo) = c.centre().unwrap();
        let dmin = places
            .iter()
            .map(|p| distance_km(la, lo, p.0, p.1))
            .fold(f64::INFINITY, f64::min);
        if dmin > 10.0 {
            loin += c.population.unwrap_or(0);
            zones += 1;
        }
    }
    assert_eq!(d.acces[0].population_plus_10_km, loin);
    assert_eq!(d.population_hors_rayon, loin);
    assert_eq!(d.zones_blanches.len(), zones);
    assert_eq!(d.carte.echelon, EchelonCarte::Commune);
    assert_eq!(d.carte.unites.len(), communes.len());

    let fr = Diagnostic::calculer(r, &donnees, &Perimetre::France, 10.0).unwrap();
    assert_eq!(fr.lieux, 4);
    assert_eq!(fr.carte.echelon, EchelonCarte::Departement);
    assert_eq!(fr.carte.unites.len(), r.departements().len());
    let charente = fr.carte.unites.iter().find(|u| u.code == "16").unwrap();
    assert_eq!(charente.lieux, 3);
    assert!((charente.part_eloignee - loin as f64 / population as f64).abs() < 1e-12);

    // Paris: the commune and its arrondissements counted once.
    let paris = Perimetre::Territoire(Territoire::Commune("75056".into()));
    let p = Diagnostic::calculer(r, &donnees, &paris, 10.0).unwrap();
    assert_eq!(p.communes, 1);
    assert_eq!(
        p.population,
        r.commune("75056").unwrap().population.unwrap()
    );

    assert!(Diagnostic::calculer(
        r,
        &donnees,
        &Perimetre::Territoire(Territoire::Departement("00".into())),
        10.0
    )
    .is_none());
    assert_eq!("france".parse(), Ok(Perimetre::France));
    assert_eq!(dep.chemin(), "dep/16");
    assert_eq!(dep.to_string(), "dep:16");
}
