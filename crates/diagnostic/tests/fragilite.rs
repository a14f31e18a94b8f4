//! Fragility score (rank-based IFN) and indicator files.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::Path;

use maillage_diagnostic::{
    agreger_scores, lire_indicateurs, lire_indicateurs_depuis, score_pondere, scores_fragilite,
    Echelon, ErreurIndicateurs, Indicateur, ScoreCommune, TableIndicateurs,
};
use maillage_lieux::Texte;
use maillage_territoires::{embarque, Referentiel};
use proptest::prelude::*;

const EXEMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/indicateurs/exemple.csv"
);

fn referentiel() -> &'static Referentiel {
    embarque().unwrap()
}

fn table(colonnes: &[(&str, &[Option<f64>])]) -> TableIndicateurs {
    let mut t = TableIndicateurs::default();
    for (cle, valeurs) in colonnes {
        t.indicateurs.push((*cle).into());
        for (i, v) in valeurs.iter().enumerate() {
            let ligne = t.valeurs.entry(format!("c{i}").into()).or_default();
            if let Some(v) = v {
                ligne.insert((*cle).into(), *v);
            }
        }
    }
    t
}

fn score(s: &BTreeMap<Texte, ScoreCommune>, code: &str) -> f64 {
    s[code].score
}

fn proche(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn rangs_et_bandes_calcules_a_la_main() {
    let a: Vec<Option<f64>> = (1..=10).map(|v| Some(f64::from(v))).collect();
    let b: Vec<Option<f64>> = (1..=10).rev().map(|v| Some(f64::from(v))).collect();
    let t = table(&[("a", &a), ("b", &b)]);

    // a alone: one commune per decile.
    let s = scores_fragilite(&t, &[Indicateur::direct("a")]);
    let notes: Vec<i8> = (0..10)
        .map(|i| s[format!("c{i}").as_str()].notes["a"])
        .collect();
    assert_eq!(notes, [-3, -2, -1, -1, 0, 0, 1, 1, 2, 3]);
    // One indicator: band × 10 / 3.
    assert!(proche(score(&s, "c9"), 10.0));
    assert!(proche(score(&s, "c0"), -10.0));
    assert!(proche(score(&s, "c6"), 10.0 / 3.0));
    assert!(proche(score(&s, "c4"), 0.0));

    // b decreases where a increases: as an inverse indicator it points the
    // same way as a.
    let s = scores_fragilite(&t, &[Indicateur::direct("a"), Indicateur::inverse("b")]);
    assert_eq!(s["c8"].notes["b"], 2);
    assert!(proche(score(&s, "c9"), 10.0));
    assert!(proche(score(&s, "c1"), -4.0 * 10.0 / 6.0));
    // As a direct one, the two cancel out.
    let s = scores_fragilite(&t, &[Indicateur::direct("a"), Indicateur::direct("b")]);
    assert!(s.values().all(|c| proche(c.score, 0.0)));
}

#[test]
fn valeurs_manquantes() {
    let a: Vec<Option<f64>> = (1..=10).map(|v| Some(f64::from(v))).collect();
    // c0 has no b; c1..c9 have 9, 8, …, 1.
    let mut b: Vec<Option<f64>> = (1..=10).rev().map(|v| Some(f64::from(v))).collect();
    b[0] = None;
    b.push(Some(f64::NAN)); // c10: a non-finite value is a missing one
    let t = table(&[("a", &a), ("b", &b)]);
    let s = scores_fragilite(&t, &[Indicateur::direct("a"), Indicateur::inverse("b")]);
    // Ranked among 9: c9 (1) p = 0.5/9 → d0 → −3 → inverse +3; c1 (9)
    // p = 8.5/9 → d9 → −3; c5 (5) p = 0.5 → 0; c8 (2) p = 1.5/9 → d1 → +2;
    // c6 (4) p = 3.5/9 → d3 → +1.
    let b_notes: Vec<(usize, i8)> = [9, 1, 5, 8, 6]
        .iter()
        .map(|&i| (i, s[format!("c{i}").as_str()].notes["b"]))
        .collect();
    assert_eq!(b_notes, [(9, 3), (1, -3), (5, 0), (8, 2), (6, 1)]);
    assert!(proche(score(&s, "c1"), -5.0 * 10.0 / 6.0));
    assert!(proche(score(&s, "c8"), 4.0 * 10.0 / 6.0));
    // c0: only a (−3), rescaled over one indicator.
    assert_eq!(s["c0"].notes.len(), 1);
    assert!(proche(score(&s, "c0"), -10.0));
    // c10 has no value at all: no score.
    assert!(!s.contains_key("c10"));
    // An indicator absent from the table, or selected twice, changes nothing.
    let s2 = scores_fragilite(
        &t,
        &[
            Indicateur::direct("a"),
            Indicateur::inverse("b"),
            Indicateur::inverse("b"),
            Indicateur::direct("inconnu"),
        ],
    );
    assert_eq!(s, s2);
    assert!(scores_fragilite(&t, &[]).is_empty());
}

#[test]
fn remise_a_l_echelle() {
    // 11 indicators, all 1..10: c7 gets +1 on each, sum 11 → 11 / 3.3.
    let v: Vec<Option<f64>> = (1..=10).map(|v| Some(f64::from(v))).collect();
    let noms: Vec<String> = (0..11).map(|i| format!("i{i}")).collect();
    let colonnes: Vec<(&str, &[Option<f64>])> =
        noms.iter().map(|n| (n.as_str(), v.as_slice())).collect();
    let t = table(&colonnes);
    let tous: Vec<Indicateur> = noms.iter().map(|n| Indicateur::direct(n)).collect();
    let s = scores_fragilite(&t, &tous);
    assert!(proche(score(&s, "c7"), 11.0 / 3.3));
    assert!(proche(score(&s, "c9"), 10.0));
    assert!(proche(score(&s, "c0"), -10.0));
    // Fewer indicators selected: still −10..+10, same value for the same
    // mean band.
    let s3 = scores_fragilite(&t, &tous[..3]);
    assert!(proche(score(&s3, "c7"), 3.0 * 10.0 / 9.0));
    assert!(proche(score(&s3, "c9"), 10.0));
    assert!(s3.values().all(|c| (-10.0..=10.0).contains(&c.score)));
    // The published presets.
    assert_eq!(Indicateur::ifn_v2_general().len(), 11);
    assert_eq!(Indicateur::ifn_v3().len(), 5);
}

fn scores(valeurs: &[(&str, f64)]) -> BTreeMap<Texte, ScoreCommune> {
    valeurs
        .iter()
        .map(|&(code, score)| {
            (
                code.into(),
                ScoreCommune {
                    score,
                    notes: BTreeMap::new(),
                },
            )
        })
        .collect()
}

#[test]
fn ponderation_par_la_population() {
    let r = referentiel();
    // Angoulême 41 908, Cognac 18 532, Soyaux 10 087 inhabitants.
    let s = scores(&[("16015", 6.0), ("16102", -3.0), ("16374", 0.0)]);
    let dep = agreger_scores(&s, r, Echelon::Departement);
    let attendu = (6.0 * 41_908.0 - 3.0 * 18_532.0) / 70_527.0;
    assert_eq!(dep.len(), 1);
    assert!(proche(dep["16"].score, attendu));
    assert_eq!((dep["16"].communes, dep["16"].population), (3, 70_527));
    let reg = agreger_scores(&s, r, Echelon::Region);
    assert!(proche(reg["75"].score, attendu));
    let fr = agreger_scores(&s, r, Echelon::France);
    assert!(proche(fr["FR"].score, attendu));
    let epci = agreger_scores(&s, r, Echelon::Epci);
    assert!(proche(epci["200071827"].score, 6.0 * 41_908.0 / 51_995.0));
    assert!(proche(epci["200070514"].score, -3.0));

    // Any list of codes; repeated and unknown ones are skipped.
    let p = score_pondere(&s, r, ["16015", "16102", "16102", "99999"]).unwrap();
    assert!(proche(
        p.score,
        (6.0 * 41_908.0 - 3.0 * 18_532.0) / 60_440.0
    ));
    assert_eq!(p.communes, 2);
    assert!(score_pondere(&s, r, ["33063"]).is_none());

    // Paris and its 1st arrondissement: the arrondissement is not counted
    // twice; alone, it is.
    let paris = scores(&[("75056", 1.0), ("75101", 9.0)]);
    let d = agreger_scores(&paris, r, Echelon::Departement);
    assert!(proche(d["75"].score, 1.0));
    assert_eq!(d["75"].population, 2_103_778);
    let seul = scores(&[("75101", 9.0)]);
    assert_eq!(
        agreger_scores(&seul, r, Echelon::Departement)["75"].population,
        15_114
    );
    let codes: Vec<&str> = ["75056", "75101"].into();
    assert!(proche(score_pondere(&paris, r, codes).unwrap().score, 1.0));

    // A territory whose communes have no inhabitants has no score.
    let morts = scores(&[("55050", 5.0), ("55039", 5.0)]);
    let v = score_pondere(&morts, r, ["55050", "55039"]);
    assert!(v.is_none());
}

#[test]
fn fichier_exemple() {
    let r = referentiel();
    let t = lire_indicateurs(Path::new(EXEMPLE), r).unwrap();
    assert_eq!(t.valeurs.len(), 30);
    assert_eq!(t.indicateurs.len(), 6);
    assert!(t.valeurs.keys().all(|c| c.starts_with("16")));
    assert_eq!(t.valeurs["16015"]["poverty_rate"], 24.8);
    // `s` and empty cells are missing values.
    let sans_pauvrete = t
        .valeurs
        .values()
        .filter(|v| !v.contains_key("poverty_rate"))
        .count();
    assert_eq!(sans_pauvrete, 6);
    let s = scores_fragilite(&t, &Indicateur::ifn_v3());
    assert_eq!(s.len(), 30);
    assert!(
        s["16231"].score > s["16015"].score,
        "Montrollet vs Angoulême"
    );
    assert!(s["16231"].score > 5.0);
    assert!(s.values().all(|c| (-10.0..=10.0).contains(&c.score)));
    let dep = agreger_scores(&s, r, Echelon::Departement);
    assert_eq!(dep["16"].communes, 30);
}

fn erreurs(texte: &str) -> Vec<ErreurIndicateurs> {
    lire_indicateurs_depuis("essai.csv", texte.as_bytes(), referentiel()).unwrap_err()
}

fn une_erreur(texte: &str) -> String {
    let e = erreurs(texte);
    assert_eq!(e.len(), 1, "{e:?}");
    e[0].to_string()
}

#[test]
fn formats_acceptes() {
    let r = referentiel();
    // `,` with a quoted decimal comma, BOM, upper-case header, lost zero,
    // ignored text column, comment and blank lines.
    let texte = "\u{feff}# commentaire\nCODE_INSEE,Nom,taux\n\n1001,L'Abergement,\"12,5\"\n2a004,Ajaccio,1 234.5\n16015,Angoulême,NA\n";
    let t = lire_indicateurs_depuis("essai.csv", texte.as_bytes(), r).unwrap();
    assert_eq!(t.indicateurs, ["taux"]);
    assert_eq!(t.valeurs["01001"]["taux"], 12.5);
    assert_eq!(t.valeurs["2A004"]["taux"], 1234.5);
    assert!(t.valeurs["16015"].is_empty());
    // `;` with decimal commas, `codgeo`, CRLF.
    let t = lire_indicateurs_depuis(
        "essai.csv",
        b"codgeo;a;b\r\n16015;1,5;-2\r\n16102;nd;3\r\n",
        r,
    )
    .unwrap();
    assert_eq!(t.valeurs["16015"]["a"], 1.5);
    assert_eq!(t.valeurs["16015"]["b"], -2.0);
    assert_eq!(t.valeurs["16102"].len(), 1);
}

#[test]
fn erreurs_nomment_fichier_ligne_colonne() {
    // Line numbers count the comment line.
    assert_eq!(
        une_erreur("# note\ncode_insee;taux\n16015;1\n99999;2\n"),
        "essai.csv, ligne 4, colonne « code_insee » : commune inconnue « 99999 » (absente du référentiel COG)"
    );
    assert_eq!(
        une_erreur("code_insee;taux\n16015;1\nABC;2\n"),
        "essai.csv, ligne 3, colonne « code_insee » : code INSEE « ABC » invalide (5 caractères, ex. 16015, 2A004)"
    );
    assert_eq!(
        une_erreur("code_insee;taux\n;1\n"),
        "essai.csv, ligne 2, colonne « code_insee » : code INSEE manquant"
    );
    assert_eq!(
        une_erreur("code_insee;taux;autre\n16015;12 %;1\n"),
        "essai.csv, ligne 2, colonne « taux » : valeur non numérique « 12 % »"
    );
    assert_eq!(
        une_erreur("code_insee;taux\n16015;inf\n"),
        "essai.csv, ligne 2, colonne « taux » : valeur non numérique « inf »"
    );
    assert_eq!(
        une_erreur("code_insee;taux\n16015;1\n16102;2\n16015;3\n"),
        "essai.csv, ligne 4, colonne « code_insee » : commune « 16015 » en double (déjà ligne 2)"
    );
    // The same commune written two ways is still a duplicate.
    assert!(une_erreur("code_insee;taux\n01001;1\n1001;2\n").contains("en double (déjà ligne 2)"));
    assert_eq!(
        une_erreur("commune;taux\nAngoulême;1\n"),
        "essai.csv, ligne 1 : colonne « code_insee » absente de l'en-tête (séparateur attendu : « ; » ou « , »)"
    );
    assert_eq!(
        une_erreur("code_insee\t taux\n16015\t1\n"),
        "essai.csv, ligne 1 : colonne « code_insee » absente de l'en-tête (séparateur attendu : « ; » ou « , »)"
    );
    assert_eq!(
        une_erreur("code_insee;nom\n16015;Angoulême\n"),
        "essai.csv, ligne 1 : aucune colonne d'indicateur"
    );
    assert_eq!(
        une_erreur("code_insee;taux;Taux\n16015;1;2\n"),
        "essai.csv, ligne 1, colonne « Taux » : colonne en double (colonnes n° 2 et 3)"
    );
    assert_eq!(
        une_erreur("code_insee;;taux\n16015;1;2\n"),
        "essai.csv, ligne 1 : nom de la colonne n° 2 vide"
    );
    assert_eq!(
        une_erreur("code_insee;taux\n16015;1;2\n"),
        "essai.csv, ligne 2 : 3 colonne(s) au lieu des 2 de l'en-tête"
    );
    assert_eq!(
        une_erreur("code_insee;a;b\n16015;1\n"),
        "essai.csv, ligne 2 : 2 colonne(s) au lieu des 3 de l'en-tête"
    );
    assert_eq!(
        une_erreur(""),
        "essai.csv : fichier vide : ligne d'en-tête absente"
    );
    assert_eq!(
        une_erreur("# rien\n\n"),
        "essai.csv : fichier vide : ligne d'en-tête absente"
    );
    // Latin-1 text.
    let e = lire_indicateurs_depuis(
        "essai.csv",
        b"code_insee;taux\n16015;1\n16102;\xe9\n",
        referentiel(),
    )
    .unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].ligne, Some(3));
    assert!(e[0].message.contains("UTF-8"), "{}", e[0]);
    // A file that cannot be read.
    let e = lire_indicateurs(Path::new("/nexiste/pas.csv"), referentiel()).unwrap_err();
    assert!(e[0]
        .to_string()
        .starts_with("/nexiste/pas.csv : lecture impossible"));
}

#[test]
fn toutes_les_erreurs_sont_listees() {
    let e = erreurs("code_insee;a;b\n99999;x;1\n16015;1;y\n16015;2;3\n");
    let resume: Vec<(Option<u64>, Option<&str>)> =
        e.iter().map(|e| (e.ligne, e.colonne.as_deref())).collect();
    assert_eq!(
        resume,
        [
            (Some(2), Some("code_insee")),
            (Some(2), Some("a")),
            (Some(3), Some("b")),
            (Some(4), Some("code_insee")),
        ]
    );
    // Capped: a huge broken file does not produce a huge report.
    let mut gros = String::from("code_insee;a\n");
    for _ in 0..1000 {
        gros.push_str("16015;x\n");
    }
    assert_eq!(erreurs(&gros).len(), 100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn jamais_de_panique_octets(octets in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = lire_indicateurs_depuis("x.csv", &octets, referentiel());
    }

    #[test]
    fn jamais_de_panique_texte(texte in "(code_insee|[a-z0-9,;\"# \n\r\u{feff}é.-]){0,80}") {
        let _ = lire_indicateurs_depuis("x.csv", texte.as_bytes(), referentiel());
    }

    #[test]
    fn scores_bornes(valeurs in proptest::collection::vec(
        proptest::collection::vec(proptest::option::of(-1e6f64..1e6), 3), 1..60)) {
        let mut t = TableIndicateurs::default();
        for (i, ligne) in valeurs.iter().enumerate() {
            let l = t.valeurs.entry(format!("c{i}").into()).or_default();
            for (j, v) in ligne.iter().enumerate() {
                if let Some(v) = v {
                    l.insert(format!("i{j}").into(), *v);
                }
            }
        }
        let choix = [Indicateur::direct("i0"), Indicateur::inverse("i1"), Indicateur::direct("i2")];
        for s in scores_fragilite(&t, &choix).values() {
            prop_assert!((-10.0..=10.0).contains(&s.score));
            prop_assert!(s.notes.values().all(|n| (-3..=3).contains(n)));
        }
    }
}
