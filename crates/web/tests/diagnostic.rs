//! The territorial diagnostic (page, CSV, XLSX, API) on both databases,
//! over four published places: its figures are checked against a brute-force
//! computation on the embedded referential written here independently.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test diagnostic`

mod harnais;
use harnais::*;

use axum::http::StatusCode;
use chrono::NaiveDate;
use maillage_lieux::enums::{Dispositif, Service, Typologie};
use maillage_lieux::{Ensemble, Lieu};
use maillage_store::Store;
use maillage_territoires::{Referentiel, Territoire};
use maillage_web::{routeur, Etat};
use serde_json::Value;
use std::io::Read;

sur_les_deux_bases!(diagnostic);

/// (id, commune, postcode, INSEE, latitude, longitude, services)
type Fixture = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    Ensemble<Service>,
);

fn lieux() -> Vec<Fixture> {
    vec![
        (
            "angouleme",
            "Angoulême",
            "16000",
            "16015",
            45.6484,
            0.1562,
            Service::AideDemarches | Service::AccesInternet,
        ),
        (
            "cognac",
            "Cognac",
            "16100",
            "16102",
            45.6958,
            -0.3287,
            Service::MaitriseOutils.into(),
        ),
        (
            "confolens",
            "Confolens",
            "16500",
            "16106",
            46.0136,
            0.6717,
            Service::AideDemarches.into(),
        ),
        (
            "bordeaux",
            "Bordeaux",
            "33000",
            "33063",
            44.8378,
            -0.5792,
            Service::AideDemarches.into(),
        ),
    ]
}

async fn publier(etat: &Etat) {
    let date = NaiveDate::from_ymd_opt(2025, 1, 2).expect("date");
    let lieux = lieux()
        .into_iter()
        .map(|(id, commune, cp, insee, la, lo, services)| {
            let mut l = Lieu::minimal(
                id,
                &format!("Lieu de {commune}"),
                commune,
                cp,
                "1 rue",
                date,
            );
            l.code_insee = Some(insee.into());
            l.latitude = Some(la);
            l.longitude = Some(lo);
            l.services = services;
            if id == "angouleme" {
                l.typologie = Typologie::Bib.into();
                l.dispositif_programmes_nationaux = Dispositif::FranceServices.into();
            }
            l
        })
        .collect();
    publier_registre(etat, lieux).await;
}

/// Haversine, written again here rather than borrowed from the crates.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

/// Brute force over the communes of Charente: population, population
/// beyond 10 and 20 km of any place, beyond 10 km of a place offering
/// "Aide aux démarches", zones blanches at 10 km, the most populated one.
struct Attendu {
    population: u64,
    plus_10: u64,
    plus_20: u64,
    plus_10_demarches: u64,
    zones_10: usize,
    premiere_zone: String,
    moyenne: f64,
}

fn attendu(r: &Referentiel) -> Attendu {
    let points: Vec<((f64, f64), bool)> = lieux()
        .iter()
        .map(|l| ((l.4, l.5), l.6.contains(Service::AideDemarches)))
        .collect();
    let mut a = Attendu {
        population: 0,
        plus_10: 0,
        plus_20: 0,
        plus_10_demarches: 0,
        zones_10: 0,
        premiere_zone: String::new(),
        moyenne: 0.0,
    };
    let mut plus_peuplee = 0;
    let (mut somme, mut poids) = (0.0, 0.0);
    for c in r.communes_de(&Territoire::Departement("16".into())) {
        let p = c.population.unwrap_or(0);
        a.population += p;
        let centre = c.centre().expect("Charente communes have a centroid");
        let d = points
            .iter()
            .map(|x| haversine(centre, x.0))
            .fold(f64::INFINITY, f64::min);
        let dd = points
            .iter()
            .filter(|x| x.1)
            .map(|x| haversine(centre, x.0))
            .fold(f64::INFINITY, f64::min);
        somme += d * p as f64;
        poids += p as f64;
        if d > 10.0 {
            a.plus_10 += p;
            a.zones_10 += 1;
            if p > plus_peuplee {
                plus_peuplee = p;
                a.premiere_zone = c.nom.to_string();
            }
        }
        if d > 20.0 {
            a.plus_20 += p;
        }
        if dd > 10.0 {
            a.plus_10_demarches += p;
        }
    }
    a.moyenne = somme / poids;
    a
}

fn service<'a>(v: &'a Value, cle: &str, valeur: &str) -> &'a Value {
    v[cle]
        .as_array()
        .expect("array")
        .iter()
        .find(|x| x["valeur"] == valeur || x["service"] == valeur)
        .unwrap_or_else(|| panic!("{valeur} absent de {cle}"))
}

async fn diagnostic(store: Store) {
    let etat = Etat::nouveau(store, config()).await.expect("state");
    let app = routeur(etat.clone());
    publier(&etat).await;
    let r = Referentiel::embarque().expect("referential");
    let a = attendu(r);

    // The API: every figure against the brute force.
    let rep = get(&app, "/api/v1/territoires/dep:16/diagnostic").await;
    assert_eq!(rep.statut, StatusCode::OK, "{}", rep.texte());
    let j = rep.json();
    assert_eq!(j["territoire"], "dep:16");
    assert_eq!(j["nom"], "Charente (16)");
    assert_eq!(j["population"], a.population);
    assert_eq!(j["lieux"], 3);
    let pour = |n: f64| n * 10_000.0 / a.population as f64;
    let proche = |v: &Value, x: f64| (v.as_f64().expect("number") - x).abs() < 1e-6;
    assert!(proche(&j["lieux_pour_10000"], pour(3.0)));
    let demarches = service(&j, "services", "Aide aux démarches administratives");
    assert_eq!(demarches["lieux"], 2);
    assert!(proche(&demarches["pour_10000"], pour(2.0)));
    assert_eq!(service(&j, "typologies", "BIB")["lieux"], 1);
    assert_eq!(service(&j, "dispositifs", "France Services")["lieux"], 1);
    let tous = &j["acces"][0];
    assert_eq!(tous["service"], Value::Null);
    assert_eq!(tous["population_plus_10_km"], a.plus_10);
    assert_eq!(tous["population_plus_20_km"], a.plus_20);
    assert!((tous["distance_moyenne_km"].as_f64().expect("mean") - a.moyenne).abs() < 1e-6);
    assert!(proche(
        &tous["part_plus_10_km"],
        a.plus_10 as f64 / a.population as f64
    ));
    let acces_demarches = service(&j, "acces", "Aide aux démarches administratives");
    assert_eq!(
        acces_demarches["population_plus_10_km"],
        a.plus_10_demarches
    );
    // No place offers "Loisirs": everyone is beyond any distance.
    let loisirs = service(&j, "acces", "Loisirs et créations numériques");
    assert_eq!(loisirs["population_plus_20_km"], a.population);
    assert_eq!(loisirs["distance_moyenne_km"], Value::Null);
    let zones = j["zones_blanches"].as_array().expect("zones");
    assert_eq!(zones.len(), a.zones_10);
    assert_eq!(zones[0]["nom"], a.premiere_zone.as_str());
    assert!(zones
        .windows(2)
        .all(|w| w[0]["population"].as_u64() >= w[1]["population"].as_u64()));
    assert_eq!(j["carte"]["echelon"], "commune");
    let angouleme = j["carte"]["unites"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["code"] == "16015")
        .expect("Angoulême");
    assert_eq!(angouleme["lieux"], 1);
    assert!(angouleme["distance_km"].as_f64().expect("distance") < 3.0);
    // A wider radius: fewer zones blanches.
    let j30 = get(&app, "/api/v1/territoires/dep:16/diagnostic?distance=30")
        .await
        .json();
    assert!(j30["zones_blanches"].as_array().expect("zones").len() < a.zones_10);
    // France: every place; a région: its départements on the map.
    let fr = get(&app, "/api/v1/territoires/france/diagnostic")
        .await
        .json();
    assert_eq!(fr["lieux"], 4);
    assert_eq!(fr["carte"]["echelon"], "departement");
    let na = get(&app, "/api/v1/territoires/reg:75/diagnostic")
        .await
        .json();
    assert_eq!(na["lieux"], 4);
    assert_eq!(na["carte"]["unites"].as_array().expect("deps").len(), 12);
    // Errors.
    for (uri, statut) in [
        (
            "/api/v1/territoires/dep:00/diagnostic",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/territoires/nimporte/diagnostic",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/territoires/dep:16/diagnostic?distance=7",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let rep = get(&app, uri).await;
        assert_eq!(rep.statut, statut, "{uri}");
        assert!(rep.json()["erreur"].is_string());
    }
    let doc = get(&app, "/api/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/territoires/{territoire}/diagnostic"]["get"].is_object());

    // The page: the same figures, the map and its table, the form.
    let rep = get(&app, "/territoires/dep/16/diagnostic").await;
    assert_eq!(rep.statut, StatusCode::OK);
    let html = rep.texte();
    assert!(html.contains("<h1>Diagnostic territorial : Charente (16)</h1>"));
    let nb = |n: u64| maillage_web::graphiques::nombre_fr(n);
    assert!(html.contains(&format!("<dd>{}</dd>", nb(a.population))));
    assert!(html.contains(&nb(a.plus_10)));
    assert!(html.contains(&format!(
        "{} commune(s) sans aucun lieu à 10 km ou moins",
        a.zones_10
    )));
    assert!(html.contains(&a.premiere_zone));
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("<circle"));
    assert!(html.contains("<select id=\"distance\" name=\"distance\">"));
    assert!(html.contains(
        "href=\"/territoires/dep/16/diagnostic.csv?distance=10&#38;indicateur=distance\""
    ));
    let html20 = get(
        &app,
        "/territoires/dep/16/diagnostic?distance=20&indicateur=densite",
    )
    .await
    .texte();
    assert!(html20.contains("Zones blanches à plus de 20 km"));
    assert!(html20.contains("<option value=\"20\" selected>"));
    assert!(html20.contains("Lieux pour 10 000 habitants, par commune"));
    for uri in [
        "/territoires/france/diagnostic",
        "/territoires/reg/75/diagnostic",
        "/territoires/com/16015/diagnostic",
        "/territoires/com/75056/diagnostic",
    ] {
        let rep = get(&app, uri).await;
        assert_eq!(rep.statut, StatusCode::OK, "{uri}");
        assert!(rep.texte().contains("Diagnostic territorial"), "{uri}");
    }
    let epci = r
        .commune("16015")
        .and_then(|c| c.epci.clone())
        .expect("EPCI of Angoulême");
    let rep = get(&app, &format!("/territoires/epci/{epci}/diagnostic")).await;
    assert_eq!(rep.statut, StatusCode::OK);
    assert!(get(&app, "/territoires/france/diagnostic")
        .await
        .texte()
        .contains("<path"));
    // Linked from the territory pages.
    assert!(get(&app, "/territoires/dep/16")
        .await
        .texte()
        .contains("href=\"/territoires/dep/16/diagnostic\""));
    for uri in [
        "/territoires/dep/00/diagnostic",
        "/territoires/epci/123456789/diagnostic",
        "/territoires/com/99999/diagnostic.csv",
        "/territoires/lune/diagnostic",
    ] {
        let rep = get(&app, uri).await;
        assert_eq!(rep.statut, StatusCode::NOT_FOUND, "{uri}");
        assert!(rep.texte().contains("Territoire inconnu") || rep.texte().contains("introuvable"));
    }

    // CSV.
    let rep = get(&app, "/territoires/dep/16/diagnostic.csv").await;
    assert_eq!(rep.statut, StatusCode::OK);
    assert_eq!(rep.entete("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        rep.entete("content-disposition"),
        "attachment; filename=\"diagnostic-dep-16.csv\""
    );
    let csv = rep.texte();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains(&format!("Population;{}\r\n", a.population)));
    assert!(csv.contains("Lieux;3\r\n"));
    assert!(csv.contains(&format!(
        "Population à plus de 10 km de tout lieu;{}",
        a.plus_10
    )));
    assert!(
        csv.contains("Aide aux démarches administratives;Aide aux démarches administratives;2;")
    );
    assert!(csv.contains(&format!(";{};", a.premiere_zone)));

    // XLSX: one sheet per table.
    let rep = get(&app, "/territoires/dep/16/diagnostic.xlsx?distance=20").await;
    assert_eq!(rep.statut, StatusCode::OK);
    assert_eq!(
        rep.entete("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(rep.corps.starts_with(b"PK"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(rep.corps.clone())).expect("zip");
    let mut classeur = String::new();
    archive
        .by_name("xl/workbook.xml")
        .expect("workbook")
        .read_to_string(&mut classeur)
        .expect("read");
    for feuille in [
        "Chiffres clés",
        "Services",
        "Accès",
        "Zones blanches",
        "Communes",
    ] {
        assert!(
            classeur.contains(&format!("name=\"{feuille}\"")),
            "{feuille}"
        );
    }
    let mut feuille = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .expect("sheet")
        .read_to_string(&mut feuille)
        .expect("read");
    assert!(feuille.contains(&format!("<v>{}</v>", a.population)));
}
