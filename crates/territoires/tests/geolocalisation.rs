//! geolocaliser on real records of data/lieux and data/sources.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use maillage_lieux::{Gravite, Issue, LieuBrut};
use maillage_territoires::geolocalisation::PRECISION;
use maillage_territoires::{
    distance_km, embarque, geolocaliser, wgs84_vers_lambert93, Referentiel,
};

const LIEUX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lieux");
const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sources");

fn referentiel() -> &'static Referentiel {
    match embarque() {
        Ok(r) => r,
        Err(e) => panic!("référentiel embarqué illisible : {e}"),
    }
}

/// Records of a v0 JSON file as raw records (the location fields have the
/// same names in v0.1 and v1).
fn lire_json(fichier: &str) -> Vec<LieuBrut> {
    let texte = std::fs::read_to_string(format!("{LIEUX}/{fichier}")).unwrap();
    let valeurs: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&texte).unwrap();
    valeurs
        .into_iter()
        .enumerate()
        .map(|(i, objet)| {
            let mut brut = LieuBrut::new(Some(i as u64 + 1));
            for (k, v) in objet {
                let t = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    autre => autre.to_string(),
                };
                brut.set(&k, t);
            }
            brut
        })
        .collect()
}

fn codes(issues: &[Issue]) -> Vec<&'static str> {
    issues.iter().map(|i| i.code).collect()
}

const FICHIERS: &[&str] = &[
    "hinaura-2021.v0.json",
    "charente-2023.v0.json",
    "nouvelle-caledonie-2024.v0.json",
    "bus-france-services-charente-2023.v0.json",
];

#[test]
fn code_insee_deduit_des_lieux_publies() {
    let r = referentiel();
    let (mut sans, mut deduits, mut par_nom, mut eloignes) = (0usize, 0usize, 0usize, 0usize);
    for f in FICHIERS {
        for mut brut in lire_json(f) {
            if brut.has("code_insee") {
                continue;
            }
            sans += 1;
            let issues = geolocaliser(r, &mut brut);
            for i in &issues {
                // Every issue names its field, carries the line, and only warns.
                assert!(i.field.is_some() && i.line == brut.line);
                assert_eq!(i.severity, Gravite::Avertissement);
            }
            if let Some(code) = brut.get("code_insee") {
                deduits += 1;
                let c = r.commune(code).unwrap();
                // The derived commune is consistent with the point given.
                let (lat, lon) = (
                    brut.get("latitude").unwrap().parse::<f64>().unwrap(),
                    brut.get("longitude").unwrap().parse::<f64>().unwrap(),
                );
                // The derived commune is near the given point, or the
                // point is reported as far from it (hinaura has a few wrong
                // points, e.g. an Annecy place located in the Loire).
                if let Some((clat, clon)) = c.centre() {
                    let d = distance_km(lat, lon, clat, clon);
                    if d >= 60.0 {
                        eloignes += 1;
                        assert!(
                            codes(&issues).contains(&"coordonnees_eloignees"),
                            "{f} ligne {:?} : {code} à {d:.0} km du point",
                            brut.line
                        );
                    }
                }
                if !issues
                    .iter()
                    .any(|i| i.message.contains("déduit des coordonnées"))
                {
                    par_nom += 1;
                }
            } else {
                println!(
                    "{f} ligne {:?} : non déduit ({:?}, {:?})",
                    brut.line,
                    brut.get("commune"),
                    brut.get("code_postal")
                );
            }
        }
    }
    let part = deduits as f64 / sans as f64;
    println!(
        "code_insee déduit pour {deduits}/{sans} lieux sans code ({:.1} %), dont {par_nom} par le nom et le code postal ; {eloignes} points à plus de 60 km de leur commune signalés",
        part * 100.0
    );
    assert_eq!(sans, 864);
    assert!(part >= 0.99, "{part}");
    assert!(par_nom as f64 / sans as f64 >= 0.97);
}

#[test]
fn code_insee_retrouve_quand_il_etait_donne() {
    // Records that carry a code: remove it and derive it again.
    let r = referentiel();
    let (mut total, mut justes, mut erreurs_source) = (0usize, 0usize, 0usize);
    for f in FICHIERS {
        for brut in lire_json(f) {
            let Some(attendu) = brut.get("code_insee").map(str::to_string) else {
                continue;
            };
            total += 1;
            let mut sans = brut.clone();
            sans.remove("code_insee");
            geolocaliser(r, &mut sans);
            if sans.get("code_insee") == Some(attendu.as_str()) {
                justes += 1;
                continue;
            }
            // A published code whose commune is in another département than
            // the postcode is an error of the source (the reference pipeline
            // gave Le Mont-Dore, Puy-de-Dôme, to places of Nouvelle-Calédonie):
            // kept, but reported.
            let donnee = r.commune(&attendu).unwrap();
            let cp = brut.get("code_postal").unwrap();
            if !cp.starts_with(&donnee.departement[..2]) {
                erreurs_source += 1;
                let mut original = brut.clone();
                let issues = geolocaliser(r, &mut original);
                assert!(
                    codes(&issues).contains(&"code_insee_incoherent"),
                    "{issues:?}"
                );
                assert_eq!(original.get("code_insee"), Some(attendu.as_str()));
            } else {
                println!(
                    "{f} ligne {:?} : {:?} attendu {attendu}, obtenu {:?}",
                    brut.line,
                    brut.get("commune"),
                    sans.get("code_insee")
                );
            }
        }
    }
    println!(
        "code_insee retrouvé pour {justes}/{total} lieux ; {erreurs_source} codes publiés faux (autre département que le code postal) signalés"
    );
    assert_eq!(total, 113);
    assert!((justes + erreurs_source) as f64 / total as f64 >= 0.98);
}

#[test]
fn source_brute_bfc() {
    // bfc-ternum.csv: `ville`, `code_postal`, `lat`, `lon` in the producer's
    // own spelling.
    let r = referentiel();
    let mut lecteur = csv::Reader::from_path(format!("{SOURCES}/bfc-ternum.csv")).unwrap();
    let entete = lecteur.headers().unwrap().clone();
    let col = |n: &str| entete.iter().position(|h| h == n).unwrap();
    let (ville, cp, lat, lon) = (col("ville"), col("code_postal"), col("lat"), col("lon"));
    let (mut total, mut deduits, mut eloignes) = (0, 0, 0);
    for (i, rec) in lecteur.records().enumerate() {
        let rec = rec.unwrap();
        let mut brut = LieuBrut::new(Some(i as u64 + 2));
        brut.set("commune", &rec[ville]);
        brut.set("code_postal", &rec[cp]);
        brut.set("latitude", &rec[lat]);
        brut.set("longitude", &rec[lon]);
        total += 1;
        let issues = geolocaliser(r, &mut brut);
        if let Some(code) = brut.get("code_insee") {
            deduits += 1;
            let dep = &r.commune(code).unwrap().region;
            // Bourgogne-Franche-Comté.
            assert_eq!(dep, "27", "ligne {:?}", brut.line);
        }
        eloignes += codes(&issues)
            .iter()
            .filter(|c| **c == "coordonnees_eloignees")
            .count();
    }
    println!("bfc-ternum : code_insee déduit pour {deduits}/{total}, {eloignes} points éloignés de leur commune");
    assert_eq!(total, 697);
    assert!(deduits as f64 / total as f64 >= 0.98);
}

/// A real record: the first Charente place (Châteaubernard, 16089).
fn chateaubernard() -> LieuBrut {
    let brut = lire_json("charente-2023.v0.json").remove(0);
    assert_eq!(brut.get("commune"), Some("CHÂTEAUBERNARD"));
    brut
}

fn point(brut: &LieuBrut) -> (f64, f64) {
    (
        brut.get("latitude").unwrap().parse().unwrap(),
        brut.get("longitude").unwrap().parse().unwrap(),
    )
}

#[test]
fn lambert93_reprojete() {
    let r = referentiel();
    let original = chateaubernard();
    let (lat, lon) = point(&original);
    let (x, y) = wgs84_vers_lambert93(lat, lon);
    // Both orders producers use (x in longitude, or in latitude), with comma
    // decimals.
    for (la, lo) in [(y, x), (x, y)] {
        let mut brut = original.clone();
        brut.set("latitude", format!("{la:.2}").replace('.', ","));
        brut.set("longitude", format!("{lo:.2}"));
        let issues = geolocaliser(r, &mut brut);
        assert!(codes(&issues).contains(&"coordonnees_reprojetees"));
        assert_eq!(brut.get(PRECISION), Some("reprojetee"));
        assert_eq!(brut.get("code_insee"), Some("16089"));
        let (la2, lo2) = point(&brut);
        assert!(distance_km(lat, lon, la2, lo2) * 1000.0 < 1.0);
    }
    // Round trip on every mainland and Corsica centroid.
    let (mut pire, mut n): (f64, usize) = (0.0, 0);
    for c in r.communes() {
        let Some((la, lo)) = c.centre() else { continue };
        if c.departement.len() == 3 {
            continue;
        }
        let (x, y) = wgs84_vers_lambert93(la, lo);
        let (la2, lo2) = maillage_territoires::lambert93_vers_wgs84(x, y);
        pire = pire.max(distance_km(la, lo, la2, lo2) * 1000.0);
        n += 1;
    }
    println!("Lambert-93 aller-retour sur {n} centroïdes : écart max {pire:.2e} m");
    assert!(pire < 0.001);
}

#[test]
fn coordonnees_inversees() {
    let r = referentiel();
    let original = chateaubernard();
    let (lat, lon) = point(&original);
    // Commune known from its name.
    let mut brut = original.clone();
    brut.set("latitude", original.get("longitude").unwrap());
    brut.set("longitude", original.get("latitude").unwrap());
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(
        codes(&issues),
        vec!["code_insee_deduit", "coordonnees_inversees"]
    );
    assert_eq!(point(&brut), (lat, lon));
    // Commune unknown: the point alone decides.
    let mut brut = original.clone();
    brut.remove("commune");
    brut.remove("code_postal");
    brut.set("latitude", original.get("longitude").unwrap());
    brut.set("longitude", original.get("latitude").unwrap());
    let issues = geolocaliser(r, &mut brut);
    assert!(codes(&issues).contains(&"coordonnees_inversees"));
    assert_eq!(point(&brut), (lat, lon));
    assert!(brut.has("code_insee") && brut.has("commune") && brut.has("code_postal"));
    // Nouvelle-Calédonie has no centroids: its real points are kept as is.
    for mut brut in lire_json("nouvelle-caledonie-2024.v0.json") {
        let avant = brut.clone();
        let issues = geolocaliser(r, &mut brut);
        assert_eq!(brut, avant, "{issues:?}");
    }
}

#[test]
fn coordonnees_absentes_nulles_ou_hors_limites() {
    let r = referentiel();
    let centre = r.commune("16089").unwrap().centre().unwrap();
    for (la, lo, code) in [
        ("0", "0", "coordonnees_nulles"),
        ("45.68", "0", "coordonnees_nulles"),
        ("145.2", "-0.33", "coordonnees_hors_limites"),
        ("nord", "ouest", "coordonnees_invalides"),
    ] {
        let mut brut = chateaubernard();
        brut.set("latitude", la);
        brut.set("longitude", lo);
        let issues = geolocaliser(r, &mut brut);
        assert!(codes(&issues).contains(&code), "{la} {lo} {issues:?}");
        // Replaced by the commune centre, marked approximate.
        assert!(codes(&issues).contains(&"coordonnees_approximatives"));
        assert_eq!(point(&brut), centre);
        assert_eq!(brut.get(PRECISION), Some("commune"));
    }
    let mut brut = chateaubernard();
    brut.remove("longitude");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(codes(&issues)[1], "coordonnees_incompletes");
    assert_eq!(point(&brut), centre);
    // Comma decimals are only rewritten.
    let mut brut = chateaubernard();
    brut.set("latitude", "45,681367");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(codes(&issues), vec!["code_insee_deduit"]);
    assert_eq!(brut.get("latitude"), Some("45.681367"));
    // Nouméa has no centroid: no point is invented.
    let mut brut = LieuBrut::new(Some(7));
    brut.set("commune", "Nouméa");
    brut.set("code_postal", "98800");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_insee"), Some("98818"));
    assert!(!brut.has("latitude"));
    assert_eq!(codes(&issues), vec!["code_insee_deduit"]);
}

#[test]
fn point_eloigne_conserve() {
    let r = referentiel();
    let mut brut = chateaubernard();
    // Notre-Dame de Paris, 400 km away.
    brut.set("latitude", "48.852968");
    brut.set("longitude", "2.349902");
    let issues = geolocaliser(r, &mut brut);
    assert!(codes(&issues).contains(&"coordonnees_eloignees"));
    assert_eq!(brut.get("latitude"), Some("48.852968"));
    assert_eq!(brut.get("code_insee"), Some("16089"));
}

#[test]
fn codes_postaux_et_communes() {
    let r = referentiel();
    // Spaced postcode.
    let mut brut = chateaubernard();
    brut.set("code_postal", "16 100");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_postal"), Some("16100"));
    assert!(codes(&issues).contains(&"code_postal_corrige"));
    // Lost leading zero (spreadsheet): 3300 → 03300, Cusset.
    let mut brut = LieuBrut::new(Some(3));
    brut.set("commune", "CUSSET");
    brut.set("code_postal", "3300");
    geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_postal"), Some("03300"));
    assert_eq!(brut.get("code_insee"), Some("03095"));
    // Missing postcode, commune with a single one.
    let mut brut = chateaubernard();
    brut.remove("code_postal");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_postal"), Some("16100"));
    assert!(codes(&issues).contains(&"code_postal_deduit"));
    // Several postcodes (Annecy): not guessed.
    let mut brut = LieuBrut::new(Some(3));
    brut.set("commune", "Annecy");
    geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_insee"), Some("74010"));
    assert!(!brut.has("code_postal"));
    // Missing commune name, from the code.
    let mut brut = chateaubernard();
    brut.remove("commune");
    brut.set("code_insee", "16089");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("commune"), Some("Châteaubernard"));
    assert_eq!(codes(&issues), vec!["commune_deduite"]);
    // Unknown code, fixed from name and postcode.
    let mut brut = chateaubernard();
    brut.set("code_insee", "16999");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_insee"), Some("16089"));
    assert_eq!(codes(&issues), vec!["code_insee_inconnu"]);
    // Code of another commune: kept, reported.
    let mut brut = chateaubernard();
    brut.set("code_insee", "16102");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_insee"), Some("16102"));
    assert!(codes(&issues).contains(&"code_insee_incoherent"));
    // Paris + arrondissement postcode → arrondissement municipal; commune
    // name filled with the city's.
    let mut brut = LieuBrut::new(Some(9));
    brut.set("code_postal", "75015");
    geolocaliser(r, &mut brut);
    assert_eq!(brut.get("code_insee"), Some("75115"));
    assert_eq!(brut.get("commune"), Some("Paris"));
    assert_eq!(brut.get(PRECISION), Some("commune"));
    // Nothing usable: nothing invented, the steward is told.
    let mut brut = LieuBrut::new(Some(10));
    brut.set("commune", "Atlantide");
    brut.set("code_postal", "99999");
    let issues = geolocaliser(r, &mut brut);
    assert_eq!(codes(&issues), vec!["commune_introuvable"]);
    assert!(!brut.has("code_insee") && !brut.has("latitude"));
}

mod robustesse {
    use super::*;
    use proptest::prelude::*;

    fn champ() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            "[0-9 ,.\\-]{0,12}".prop_map(Some),
            "\\PC{0,16}".prop_map(Some),
            prop_oneof![
                Just("0"),
                Just("45,68"),
                Just("-0.33"),
                Just("652000"),
                Just("6862000"),
                Just("NaN"),
                Just("inf"),
                Just("1e308"),
                Just("16100"),
                Just("75015"),
                Just("2A004"),
                Just("Paris 15e"),
                Just("St-Etienne"),
            ]
            .prop_map(|s| Some(s.to_string())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn jamais_de_panique_et_coordonnees_valides(
            commune in champ(), cp in champ(), code in champ(), lat in champ(), lon in champ()
        ) {
            let r = referentiel();
            let mut brut = LieuBrut::new(Some(1));
            for (k, v) in [("commune", commune), ("code_postal", cp), ("code_insee", code),
                           ("latitude", lat), ("longitude", lon)] {
                if let Some(v) = v { brut.set(k, v); }
            }
            let issues = geolocaliser(r, &mut brut);
            prop_assert!(issues.iter().all(|i| i.field.is_some() && i.line == Some(1)));
            // Published coordinates are always a valid WGS84 pair.
            match (brut.get("latitude"), brut.get("longitude")) {
                (None, None) => {}
                (Some(la), Some(lo)) => {
                    let (la, lo): (f64, f64) = (la.parse().unwrap(), lo.parse().unwrap());
                    prop_assert!((-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo));
                    prop_assert!(la != 0.0 && lo != 0.0);
                }
                autre => prop_assert!(false, "coordonnée seule : {autre:?}"),
            }
            // A code left in the record is a real one (unknown codes are
            // replaced or removed).
            if let Some(code) = brut.get("code_insee") {
                prop_assert!(r.commune(code).is_some(), "{code}");
            }
        }
    }
}
