//! Round trips (place → texts/files → read → validate → same place) and
//! robustness properties (no panic on arbitrary input).

use chrono::NaiveDate;
use maillage_lieux::enums::*;
use maillage_lieux::format::{
    ecrire_csv, ecrire_geojson, ecrire_json, lire_lieux, lire_objets, OptionsLecture,
};
use maillage_lieux::lieu::PIVOT_INCONNU;
use maillage_lieux::validation::{valider, Options, CLE_PRECISION};
use maillage_lieux::{horaires, v0, Lieu, LieuBrut, PrecisionCoordonnees, Texte, CHAMPS};
use proptest::prelude::*;

fn options() -> Options {
    Options {
        strict_horaires: false,
        aujourd_hui: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
    }
}

fn ensemble<T: Valeur>(masque: u32) -> Ensemble<T> {
    let mut e = Ensemble::new();
    for (i, v) in T::TOUTES.iter().enumerate() {
        if masque & (1 << (i % 32)) != 0 {
            e.insert(*v);
        }
    }
    e
}

fn typologies(a: u64, b: u64) -> Ensemble<Typologie> {
    let mut e = Ensemble::new();
    for (i, v) in Typologie::TOUTES.iter().enumerate() {
        let bit = if i < 64 { a >> i } else { b >> (i - 64) };
        if bit & 1 == 1 && (i % 7 == 0) {
            e.insert(*v);
        }
    }
    e
}

fn sans_doublons(v: Vec<String>) -> Vec<Texte> {
    let mut out: Vec<Texte> = Vec::new();
    for s in v {
        if !out.iter().any(|x| x == s.as_str()) {
            out.push(s.into());
        }
    }
    out
}

const HORAIRES: [&str; 4] = [
    "Mo-Fr 09:00-12:00",
    "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
    "Tu,Th 14:00-17:00; PH off",
    "Mo-Sa 08:00-20:00",
];

fn texte() -> impl Strategy<Value = String> {
    "[A-Za-zéèô0-9]([A-Za-zéèô0-9' ,.-]{0,30}[A-Za-zéèô0-9])?"
}

fn url() -> impl Strategy<Value = String> {
    "https://[a-z]{1,8}\\.(fr|org)(/[a-z0-9_-]{1,6}){0,2}"
}

prop_compose! {
    fn coordonnees()(lat in 1i64..=900_000_000, lon in 1i64..=1_800_000_000, s1: bool, s2: bool)
        -> (f64, f64) {
        let lat = if s1 { -lat } else { lat } as f64 / 1e7;
        let lon = if s2 { -lon } else { lon } as f64 / 1e7;
        (lat, lon)
    }
}

prop_compose! {
    fn lieu()(
        id in "[a-z0-9-]{1,12}",
        siret in proptest::option::of("[0-9]{14}"),
        nom in texte(), commune in texte(), adresse in texte(),
        complement in proptest::option::of(texte()),
        code_postal in "[0-9]{5}",
        code_insee in proptest::option::of("(0[1-9]|[13-9][0-9]|2[AB])[0-9]{3}"),
        coords in proptest::option::of(coordonnees()),
        precision in 0usize..4,
        telephone in proptest::option::of("\\+33[1-9][0-9]{8}"),
        courriels in proptest::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.fr", 0..3),
        sites in proptest::collection::vec(url(), 0..3),
        h in proptest::option::of(0usize..HORAIRES.len()),
        resume in proptest::option::of(texte()),
        detail in proptest::option::of(texte()),
        source in proptest::option::of(texte()),
        parente in proptest::option::of(texte()),
        jours in 0i64..9_000,
        masques in proptest::array::uniform12(any::<u32>()),
        t in any::<(u64, u64)>(),
        autres in proptest::collection::vec(texte(), 0..3),
        fiche in proptest::option::of(url()),
        rdv in proptest::option::of(url()),
    ) -> Lieu {
        let date = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") + chrono::Duration::days(jours);
        let mut l = Lieu::minimal(&id, &nom, &commune, &code_postal, &adresse, date);
        l.pivot = siret.unwrap_or_else(|| PIVOT_INCONNU.to_string()).into();
        l.code_insee = code_insee.map(Texte::from);
        l.complement_adresse = complement.map(Texte::from);
        if let Some((lat, lon)) = coords {
            l.latitude = Some(lat);
            l.longitude = Some(lon);
            l.precision_coordonnees = [
                PrecisionCoordonnees::Source,
                PrecisionCoordonnees::Reprojetee,
                PrecisionCoordonnees::Adresse,
                PrecisionCoordonnees::Commune,
            ][precision];
        }
        l.typologie = typologies(t.0, t.1);
        l.telephone = telephone.map(Texte::from);
        l.courriels = sans_doublons(courriels);
        l.site_web = sans_doublons(sites);
        l.horaires = h.and_then(|i| horaires::normaliser(HORAIRES[i]).ok()).map(Texte::from);
        l.presentation_resume = resume.map(Texte::from);
        l.presentation_detail = detail.map(Texte::from);
        l.source = source.map(Texte::from);
        l.structure_parente = parente.map(Texte::from);
        l.itinerance = ensemble(masques[0]);
        l.services = ensemble(masques[1]);
        l.publics_specifiquement_adresses = ensemble(masques[2]);
        l.prise_en_charge_specifique = ensemble(masques[3]);
        l.frais_a_charge = ensemble(masques[4]);
        l.dispositif_programmes_nationaux = ensemble(masques[5]);
        l.formations_labels = ensemble(masques[6]);
        l.autres_formations_labels = sans_doublons(autres);
        l.modalites_acces = ensemble(masques[7]);
        l.modalites_accompagnement = ensemble(masques[8]);
        l.fiche_acces_libre = fiche.map(Texte::from);
        l.prise_rdv = rdv.map(Texte::from);
        l
    }
}

fn brut_de(l: &Lieu) -> LieuBrut {
    let mut b = LieuBrut::new(Some(1));
    for c in CHAMPS {
        b.set(c, l.valeur(c));
    }
    b.set(CLE_PRECISION, l.precision_coordonnees.code());
    b
}

/// Read, migrate, validate every record of a file.
fn relire(bytes: &[u8], fichier: &str) -> Vec<Lieu> {
    let lecture = lire_lieux(bytes, fichier, &OptionsLecture::default()).expect("readable");
    assert!(lecture.issues.is_empty(), "{:?}", lecture.issues);
    lecture
        .records
        .into_iter()
        .map(|mut b| {
            assert!(v0::migrer(&mut b).is_empty());
            let r = valider(&b, &options());
            assert!(r.issues.is_empty(), "{:?}", r.issues);
            r.lieu.expect("valid")
        })
        .collect()
}

/// CSV and JSON do not carry the precision: read back it is `source` when
/// there are coordinates.
fn sans_precision(mut l: Lieu) -> Lieu {
    if l.latitude.is_some() {
        l.precision_coordonnees = PrecisionCoordonnees::Source;
    }
    l
}

proptest! {
    // 128 cases by default (fast suite); PROPTEST_CASES=N for a deeper run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn valid_place_revalidates_unchanged(l in lieu()) {
        let r = valider(&brut_de(&l), &options());
        prop_assert!(r.issues.is_empty(), "{:?}", r.issues);
        prop_assert_eq!(r.lieu, Some(l));
    }

    #[test]
    fn files_round_trip(lieux in proptest::collection::vec(lieu(), 0..6)) {
        let attendus: Vec<Lieu> = lieux.iter().cloned().map(sans_precision).collect();
        let mut csv = Vec::new();
        prop_assert_eq!(ecrire_csv(&mut csv, &lieux).expect("write"), lieux.len());
        prop_assert_eq!(&relire(&csv, "export.csv"), &attendus);
        let mut json = Vec::new();
        prop_assert_eq!(ecrire_json(&mut json, &lieux).expect("write"), lieux.len());
        prop_assert_eq!(&relire(&json, "export.json"), &attendus);
        let mut geo = Vec::new();
        let localises: Vec<Lieu> = lieux.iter().filter(|l| l.latitude.is_some()).cloned().collect();
        prop_assert_eq!(ecrire_geojson(&mut geo, &lieux).expect("write"), localises.len());
        prop_assert_eq!(relire(&geo, "export.geojson"), localises);
    }

    #[test]
    fn validation_never_panics(
        champs in proptest::collection::btree_map(
            prop_oneof![
                proptest::sample::select(CHAMPS.to_vec()).prop_map(str::to_string),
                proptest::sample::select(vec!["courriel", "publics_accueillis", "labels_nationaux",
                    "conditions_acces", "labels_autres", CLE_PRECISION]).prop_map(str::to_string),
                "\\PC{0,8}",
            ],
            prop_oneof![
                "\\PC{0,40}",
                "[0-9 ,.+()/|;-]{0,20}",
                "[a-zA-Z@.:/|; ]{0,30}",
                proptest::sample::select(vec!["0", "-0", "NaN", "inf", "1e400", "97", "2024-02-30",
                    "1969-12-31", "9999-12-31T99:99", "Mo-Fr 9h-12h", "PH off", "ZRR", "W12345678901"])
                    .prop_map(str::to_string),
            ],
            0..20,
        ),
        strict: bool,
    ) {
        let mut b = LieuBrut::new(Some(2));
        b.values = champs;
        let _ = v0::est_v0(&b);
        let migration = v0::migrer(&mut b);
        let r = valider(&b, &Options { strict_horaires: strict, ..options() });
        // An accepted place is itself valid: re-validating it changes nothing.
        if let Some(l) = r.lieu {
            let again = valider(&brut_de(&l), &options());
            prop_assert_eq!(again.lieu, Some(l));
        }
        prop_assert!(migration.iter().chain(&r.issues).all(|i| i.line == Some(2)));
    }

    #[test]
    fn readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), nom in 0usize..4) {
        let fichier = ["a.csv", "a.json", "a", "a.geojson"][nom];
        let _ = lire_objets(&bytes, fichier, &OptionsLecture::default());
        let _ = lire_lieux(&bytes, fichier, &OptionsLecture::default());
    }

    #[test]
    fn readers_never_panic_on_near_valid_text(
        morceaux in proptest::collection::vec(
            proptest::sample::select(vec!["[", "]", "{", "}", "\"id\"", ":", ",", "\"a\\\"b\"", "\n",
                "1.5", "null", "\"results\"", "id,nom", ";", "\t", "\"", "\r\n", "é", "\u{feff}"]),
            0..60),
        nom in 0usize..3,
    ) {
        let texte: String = morceaux.concat();
        let fichier = ["a.csv", "a.json", "a"][nom];
        let _ = lire_objets(texte.as_bytes(), fichier, &OptionsLecture::default());
        let _ = lire_lieux(texte.as_bytes(), fichier, &OptionsLecture::default());
    }
}
