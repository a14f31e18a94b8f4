//! The embedded referential against the shipped files in data/territoires.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use maillage_territoires::{
    charger_embarque, distance_km, embarque, Referentiel, Territoire, TypeCommune,
};

const DOSSIER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/territoires");

fn referentiel() -> &'static Referentiel {
    match embarque() {
        Ok(r) => r,
        Err(e) => panic!("référentiel embarqué illisible : {e}"),
    }
}

/// Rows of communes.csv.gz read independently of the crate: (code, nom,
/// departement, codes_postaux).
fn lignes_communes() -> Vec<Vec<String>> {
    let f = std::fs::File::open(Path::new(DOSSIER).join("communes.csv.gz")).unwrap();
    let mut texte = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut texte)
        .unwrap();
    let mut lecteur = csv::Reader::from_reader(texte.as_bytes());
    lecteur
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn chargement_complet_et_mesure() {
    let debut = Instant::now();
    let r = charger_embarque().unwrap();
    println!(
        "chargement du référentiel embarqué : {:.1} ms",
        debut.elapsed().as_secs_f64() * 1000.0
    );
    let debut = Instant::now();
    assert_eq!(
        r.chercher_commune("Châteaubernard", None, None)
            .map(|c| c.code_insee.as_str()),
        Some("16089")
    );
    let noms_ms = debut.elapsed().as_secs_f64() * 1000.0;
    let debut = Instant::now();
    assert!(r.commune_proche(45.672, -0.316).is_some());
    println!(
        "premier usage : index des noms {noms_ms:.1} ms, arbre R {:.1} ms",
        debut.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(r.communes().len(), 35_014);
    assert_eq!(r.nombre_communes_actuelles(), 34_969);
    assert_eq!(r.epcis().len(), 1_255);
    assert_eq!(r.departements().len(), 109);
    assert_eq!(r.regions().len(), 26);
    assert_eq!(
        r.communes().iter().filter(|c| c.centre().is_none()).count(),
        99
    );
    // Every row of the file is found by its code, with its name and postcodes.
    let lignes = lignes_communes();
    assert_eq!(lignes.len(), 35_014);
    for l in &lignes {
        let c = r
            .commune(&l[0])
            .unwrap_or_else(|| panic!("{} absent", l[0]));
        assert_eq!(c.nom, l[1]);
        assert_eq!(c.departement, l[3]);
        assert_eq!(c.codes_postaux.join("|"), l[6]);
    }
    // Population totals documented in the README.
    let total: u64 = r
        .communes()
        .iter()
        .filter(|c| c.type_ == TypeCommune::CommuneActuelle)
        .filter_map(|c| c.population)
        .sum();
    assert_eq!(total, 68_952_941);
}

#[test]
fn outre_mer_et_corse() {
    let r = referentiel();
    let noumea = r.commune("98818").unwrap();
    assert_eq!(noumea.nom, "Nouméa");
    assert_eq!(noumea.departement, "988");
    assert!(noumea.centre().is_none());
    assert_eq!(
        r.commune("97411").map(|c| c.departement.as_str()),
        Some("974")
    );
    assert_eq!(
        r.commune("2A004").map(|c| c.departement.as_str()),
        Some("2A")
    );
    assert_eq!(
        r.departement("2a").map(|d| d.nom.as_str()),
        Some("Corse-du-Sud")
    );
    assert_eq!(r.departement("1").map(|d| d.code.as_str()), Some("01"));
    assert_eq!(r.region("94").map(|d| d.nom.as_str()), Some("Corse"));
    assert!(r
        .communes_du_code_postal("98800")
        .iter()
        .any(|c| c.code_insee == "98818"));
    assert!(r.commune("99999").is_none());
}

#[test]
fn recherche_par_nom_comme_ecrit_dans_les_donnees() {
    let r = referentiel();
    let code = |nom: &str, cp: Option<&str>, dep: Option<&str>| {
        r.chercher_commune(nom, cp, dep)
            .map(|c| c.code_insee.to_string())
    };
    // Names as they appear in data/lieux and data/sources.
    assert_eq!(
        code("CHÂTEAUBERNARD", Some("16100"), None).as_deref(),
        Some("16089")
    );
    assert_eq!(code("ARNAY LE DUC", None, None).as_deref(), Some("21023"));
    assert_eq!(code("St-Etienne", None, None).as_deref(), Some("42218"));
    assert_eq!(
        code("ST ETIENNE CEDEX 1", Some("42007"), None).as_deref(),
        Some("42218")
    );
    assert_eq!(
        code("Nouméa", Some("98800"), None).as_deref(),
        Some("98818")
    );
    assert_eq!(
        code("NOUMEA Cedex", Some("98845"), None).as_deref(),
        Some("98818")
    );
    assert_eq!(
        code("Annecy Cedex 03", Some("74003"), None).as_deref(),
        Some("74010")
    );
    assert_eq!(
        code("CHAMONIX", Some("74400"), None).as_deref(),
        Some("74056")
    );
    assert_eq!(
        code("Bourbon l'Archambault", Some("03160"), None).as_deref(),
        Some("03036")
    );
    assert_eq!(
        code("abergement clemenciat", None, None).as_deref(),
        Some("01001")
    );
    // Arrondissements municipaux, by name or postcode.
    assert_eq!(code("Paris 15e", None, None).as_deref(), Some("75115"));
    assert_eq!(code("Paris", Some("75015"), None).as_deref(), Some("75115"));
    assert_eq!(code("PARIS", Some("75016"), None).as_deref(), Some("75116"));
    assert_eq!(code("Paris", None, None).as_deref(), Some("75056"));
    assert_eq!(
        code("Marseille 3e arrondissement", None, None).as_deref(),
        Some("13203")
    );
    assert_eq!(
        code("Marseille", Some("13003"), None).as_deref(),
        Some("13203")
    );
    assert_eq!(code("Lyon 7ème", None, None).as_deref(), Some("69387"));
    assert_eq!(code("Lyon", Some("69007"), None).as_deref(), Some("69387"));
    // Homonyms: postcode, then département; ambiguous without either.
    assert_eq!(
        code("Saint-Michel", Some("16470"), None).as_deref(),
        Some("16341")
    );
    assert_eq!(code("Saint-Michel", None, None), None);
    assert_eq!(
        code("Saint-Denis", Some("93200"), None).as_deref(),
        Some("93066")
    );
    assert_eq!(
        code("Saint-Denis", None, Some("974")).as_deref(),
        Some("97411")
    );
    assert_eq!(
        code("Mérignac", Some("33700"), None).as_deref(),
        Some("33281")
    );
    assert_eq!(code("Merignac", None, Some("16")).as_deref(), Some("16216"));
    assert_eq!(
        code("Ajaccio", Some("20090"), None).as_deref(),
        Some("2A004")
    );
    assert_eq!(code("Commune qui n'existe pas", Some("16100"), None), None);
    assert_eq!(code("", None, None), None);
}

#[test]
fn commune_la_plus_proche() {
    let r = referentiel();
    // Every centroid finds a commune sitting exactly on it.
    for c in r.communes() {
        let Some((lat, lon)) = c.centre() else {
            continue;
        };
        let p = r.commune_proche(lat, lon).unwrap();
        let (plat, plon) = p.centre().unwrap();
        assert!(distance_km(lat, lon, plat, plon) < 1e-6, "{}", c.code_insee);
    }
    // A point of Notre-Dame de Paris is in Paris (4e arrondissement).
    let nd = r.commune_proche(48.852_968, 2.349_902).unwrap();
    assert!(
        nd.code_insee == "75104" || nd.code_insee == "75056",
        "{}",
        nd.code_insee
    );
    assert!(r.commune_proche(f64::NAN, 2.0).is_none());
}

#[test]
fn territoires() {
    let r = referentiel();
    let t = |s: &str| s.parse::<Territoire>().unwrap();
    assert!(t("dep:33").contient("33063"));
    assert!(t("reg:75").contient("33063"));
    assert!(t("reg:75").contient("16089"));
    assert!(!t("dep:33").contient("16089"));
    assert!(t("epci:243300316").contient("33281"));
    assert!(!t("epci:243300316").contient("16216"));
    assert!(t("com:75056").contient("75115"));
    assert!(!t("com:75115").contient("75056"));
    assert!(t("dep:2A").contient("2A004"));
    assert!(!t("dep:2A").contient("2B033"));
    assert!(t("dep:988").contient("98818"));
    assert!(!t("dep:33").contient("inconnu"));
    assert!(t("reg:75").contient_dans(r, "33063"));
    assert!(std::ptr::eq(Referentiel::embarque().unwrap(), r));
    assert!(r.territoire_existe(&t("epci:200000172")));
    assert!(!r.territoire_existe(&t("dep:96")));

    // communes_de agrees with the file, counted independently.
    let mut par_dep: HashMap<String, usize> = HashMap::new();
    for l in lignes_communes() {
        *par_dep.entry(l[3].clone()).or_default() += 1;
    }
    for d in r.departements() {
        let liste = r.communes_de(&Territoire::Departement(d.code.clone()));
        assert_eq!(liste.len(), par_dep[d.code.as_str()], "{}", d.code);
        assert!(liste
            .iter()
            .all(|c| t(&format!("dep:{}", d.code)).contient(&c.code_insee)));
    }
    assert_eq!(r.communes_de(&t("com:75056")).len(), 21);
    assert_eq!(r.communes_de(&t("com:16089")).len(), 1);
    assert_eq!(r.departements_de_region("75").len(), 12);
    assert_eq!(r.departements_de_region("84").len(), 12);
    assert_eq!(r.departements_de_region("988").len(), 1);
    let bordeaux_metropole = r.epci("243300316").unwrap();
    assert_eq!(bordeaux_metropole.departements, vec!["33"]);
    assert_eq!(r.communes_de(&t("epci:243300316")).len(), 28);
}

fn copier(dest: &Path, noms: &[&str]) {
    for n in noms {
        std::fs::copy(Path::new(DOSSIER).join(n), dest.join(n)).unwrap();
    }
}

#[test]
fn chargement_depuis_un_dossier() {
    let dir = tempfile::tempdir().unwrap();
    copier(
        dir.path(),
        &[
            "communes.csv.gz",
            "epci.csv",
            "departements.csv",
            "regions.csv",
        ],
    );
    let r = Referentiel::depuis_dossier(dir.path()).unwrap();
    assert_eq!(r.communes().len(), 35_014);
    assert_eq!(r.epcis().len(), 1_255);

    // Missing file.
    std::fs::remove_file(dir.path().join("regions.csv")).unwrap();
    let e = Referentiel::depuis_dossier(dir.path()).err().unwrap();
    assert!(e.to_string().contains("regions.csv"), "{e}");

    // A broken cell is reported with file, line and column.
    let dir = tempfile::tempdir().unwrap();
    copier(dir.path(), &["epci.csv", "departements.csv", "regions.csv"]);
    std::fs::write(
        dir.path().join("communes.csv"),
        "code_insee,nom,type,departement,region,epci,codes_postaux,population,latitude,longitude,area_km2\n\
         01001,L'Abergement-Clémenciat,commune-actuelle,01,84,200069193,01400,860,46.15368,4.92592,15.70\n\
         01002,L'Abergement-de-Varey,commune-actuelle,01,84,240100883,01640,deux cents,46.00959,5.42814,9.26\n",
    )
    .unwrap();
    let e = Referentiel::depuis_dossier(dir.path()).err().unwrap();
    assert_eq!(e.ligne, Some(3));
    assert_eq!(e.colonne.as_deref(), Some("population"));
    let message = e.to_string();
    assert!(
        message.contains("communes.csv, ligne 3, colonne « population »"),
        "{message}"
    );

    // An unknown reference too.
    std::fs::write(
        dir.path().join("communes.csv"),
        "code_insee,nom,type,departement,region,epci,codes_postaux,population,latitude,longitude,area_km2\n\
         01001,L'Abergement-Clémenciat,commune-actuelle,01,84,999999999,01400,860,46.15368,4.92592,15.70\n",
    )
    .unwrap();
    let e = Referentiel::depuis_dossier(dir.path()).err().unwrap();
    assert_eq!((e.ligne, e.colonne.as_deref()), (Some(2), Some("epci")));
}
