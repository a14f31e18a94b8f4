//! One case per kind of bad input: the reader says what is wrong, where.

use maillage_lieux::format::{lire_lieux, lire_objets, OptionsLecture};
use maillage_lieux::{Gravite, Issue};

fn opts() -> OptionsLecture {
    OptionsLecture::default()
}

fn fatale(bytes: &[u8], fichier: &str) -> Issue {
    let e = lire_lieux(bytes, fichier, &opts()).expect_err("unusable file");
    assert_eq!(e.severity, Gravite::Fatale);
    assert_eq!(e.file.as_deref(), Some(fichier));
    assert!(e.to_string().starts_with(fichier), "{e}");
    e
}

const ENTETE: &str = "id,pivot,nom,commune,code_postal,adresse,date_maj";

#[test]
fn empty_files_are_fatal() {
    for bytes in [&b""[..], b"  \n\t\r\n", b"\xEF\xBB\xBF", b"\xEF\xBB\xBF \n"] {
        assert_eq!(fatale(bytes, "vide.csv").code, "fichier_vide");
        assert_eq!(fatale(bytes, "vide.json").code, "fichier_vide");
    }
}

#[test]
fn truncated_json_names_line_and_column() {
    let e = fatale(b"[\n  {\"id\": \"a\",\n   \"nom\": \"b\"", "tronque.json");
    assert_eq!(e.code, "json_invalide");
    assert!(e.message.contains("tronqué"), "{e}");
    assert!(e.message.contains("ligne 3"), "{e}");
    assert_eq!(e.line, Some(3));
    let e = fatale(b"[{\"id\": \"a\",}]", "virgule.json");
    assert!(
        e.message.contains("JSON invalide") && e.message.contains("colonne 13"),
        "{e}"
    );
}

#[test]
fn json_that_is_not_an_array_of_objects() {
    assert_eq!(fatale(b"\"texte\"", "a.json").code, "json_pas_un_tableau");
    assert_eq!(
        fatale(b"[1, 2, \"x\"]", "b.json").code,
        "json_pas_un_tableau"
    );
    assert_eq!(
        fatale(b"{\"total\": 3}", "c.json").code,
        "json_pas_un_tableau"
    );
    let e = lire_objets(
        b"{\"data\": []}",
        "d.json",
        &OptionsLecture {
            chemin_json: Some("results".into()),
            ..opts()
        },
    )
    .expect_err("missing key");
    assert!(e.message.contains("results"), "{e}");
    // Mixed array: the bad element is an error on its line, the rest is read.
    let l = lire_objets(b"[\n{\"id\": \"a\"},\n42\n]", "e.json", &opts()).expect("readable");
    assert_eq!(l.records.len(), 1);
    assert_eq!(l.issues.len(), 1);
    assert_eq!(
        (l.issues[0].severity, l.issues[0].line),
        (Gravite::Erreur, Some(3))
    );
}

#[test]
fn wrapped_arrays_are_found() {
    let texte = b"{\"count\": 2,\n \"results\": [\n {\"id\": \"a\"},\n {\"id\": \"b\"}]}";
    let l = lire_objets(texte, "w.json", &opts()).expect("auto-detected");
    assert_eq!(l.records.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4]);
    let texte = b"{\"meta\": [1], \"values\": [{\"id\": \"a\"}]}";
    let l = lire_objets(
        texte,
        "w.json",
        &OptionsLecture {
            chemin_json: Some("values".into()),
            ..opts()
        },
    )
    .expect("explicit path");
    assert_eq!(l.records[0].values["id"], "a");
}

#[test]
fn csv_without_header_or_required_columns() {
    let e = fatale(b",,,\n1,2,3,4\n", "sans-entete.csv");
    assert_eq!(e.code, "csv_sans_entete");
    let e = fatale(b"id,nom,ville\n1,a,b\n", "colonnes.csv");
    assert_eq!(e.code, "colonnes_obligatoires_absentes");
    assert!(
        e.message
            .contains("commune, code_postal, adresse, date_maj"),
        "{e}"
    );
    // v0 files have the same required names: they are accepted.
    let v0 = format!("{ENTETE},courriel,cle_ban\nx,0,n,c,33000,a,2024-01-01,a@b.fr,k\n");
    let l = lire_lieux(v0.as_bytes(), "v0.csv", &opts()).expect("v0 columns accepted");
    assert!(l.issues.is_empty(), "{:?}", l.issues);
}

#[test]
fn bad_rows_are_skipped_with_their_line() {
    let texte = format!(
        "{ENTETE}\nl1,0,n,c,33000,a,2024-01-01\nl2,0,n,c\n\nl3,0,n,c,33000,a,2024-01-01,en trop\n\"l4\",0,\"nom\nsur deux lignes\",c,33000,a,2024-01-01\n"
    );
    let l = lire_lieux(texte.as_bytes(), "lignes.csv", &opts()).expect("readable");
    let ids: Vec<_> = l.records.iter().map(|r| (r.get("id"), r.line)).collect();
    assert_eq!(ids, [(Some("l1"), Some(2)), (Some("l4"), Some(6))]);
    assert_eq!(l.issues.len(), 2);
    for (i, line) in l.issues.iter().zip([3, 5]) {
        assert_eq!(i.severity, Gravite::Erreur);
        assert_eq!(i.code, "csv_nombre_de_cellules");
        assert_eq!(i.line, Some(line));
        assert!(
            i.to_string()
                .starts_with(&format!("lignes.csv, ligne {line}")),
            "{i}"
        );
    }
    assert!(l.issues[0].message.contains("4 cellules au lieu des 7"));
}

#[test]
fn unknown_columns_give_one_warning() {
    let texte = format!("{ENTETE},x_interne,autre\nl1,0,n,c,33000,a,2024-01-01,1,2\nl2,0,n,c,33000,a,2024-01-01,1,2\n");
    let l = lire_lieux(texte.as_bytes(), "inconnues.csv", &opts()).expect("readable");
    assert_eq!(l.issues.len(), 1);
    assert_eq!(l.issues[0].severity, Gravite::Avertissement);
    assert!(l.issues[0].message.contains("x_interne, autre"));
    assert!(!l.records[0].has("x_interne"));
}

#[test]
fn bom_crlf_windows_1252_and_delimiters() {
    // BOM + CRLF + `;`
    let texte = "\u{feff}id;pivot;nom;commune;code_postal;adresse;date_maj\r\nl1;0;Médiathèque;c;33000;a;2024-01-01\r\nl2;0;n;c;33000;a;2024-01-01\r\n";
    let l = lire_lieux(texte.as_bytes(), "bom.csv", &opts()).expect("readable");
    assert_eq!(l.delimiteur, Some(b';'));
    assert_eq!(l.encodage, "utf-8");
    assert_eq!(l.records.len(), 2);
    assert_eq!(l.records[0].get("id"), Some("l1"));
    assert_eq!(l.records[0].get("date_maj"), Some("2024-01-01"));
    assert_eq!(l.records[1].line, Some(3));
    // Windows-1252: é is 0xE9.
    let mut bytes = b"id\tpivot\tnom\tcommune\tcode_postal\tadresse\tdate_maj\nl1\t0\tM".to_vec();
    bytes.extend([0xE9]);
    bytes.extend(b"diath\xE8que\tc\t33000\ta\t2024-01-01\n");
    let l = lire_lieux(&bytes, "latin.csv", &opts()).expect("readable");
    assert_eq!(l.delimiteur, Some(b'\t'));
    assert_eq!(l.encodage, "windows-1252");
    assert_eq!(l.records[0].get("nom"), Some("Médiathèque"));
    assert_eq!(l.issues.len(), 1);
    assert_eq!(
        l.issues[0].message,
        "fichier en Windows-1252 converti en UTF-8"
    );
    // Header only: nothing, no error.
    let l = lire_lieux(format!("{ENTETE}\n").as_bytes(), "vide.csv", &opts()).expect("ok");
    assert!(l.records.is_empty() && l.issues.is_empty());
}

#[test]
fn oversized_cell_rejects_its_row() {
    let long = "x".repeat(200);
    let texte =
        format!("{ENTETE}\nl1,0,{long},c,33000,a,2024-01-01\nl2,0,n,c,33000,a,2024-01-01\n");
    let o = OptionsLecture {
        taille_max_champ: 100,
        ..opts()
    };
    let l = lire_lieux(texte.as_bytes(), "long.csv", &o).expect("readable");
    assert_eq!(l.records.len(), 1);
    let i = &l.issues[0];
    assert_eq!(
        (i.severity, i.code, i.field.as_deref(), i.line),
        (Gravite::Erreur, "champ_trop_long", Some("nom"), Some(2))
    );
    assert!(
        i.to_string().contains("long.csv, ligne 2, champ « nom »"),
        "{i}"
    );
}

#[test]
fn json_values_are_flattened() {
    let texte = r#"[
  {"id": 12, "nom": "n", "latitude": 45.123456789, "itinerance": ["Fixe", "Itinérant"],
   "adresse": {"voie": "x"}, "vide": null, "bool": true}
]"#;
    let l = lire_lieux(texte.as_bytes(), "plat.json", &opts()).expect("readable");
    let b = &l.records[0];
    assert_eq!(b.get("id"), Some("12"));
    assert_eq!(b.get("latitude"), Some("45.123456789"));
    assert_eq!(b.get("itinerance"), Some("Fixe|Itinérant"));
    assert_eq!(b.get("bool"), Some("true"));
    assert!(!b.has("vide") && !b.has("adresse"));
    assert_eq!(l.issues.len(), 1);
    let i = &l.issues[0];
    assert_eq!(
        (i.code, i.field.as_deref(), i.line, i.record_id.as_deref()),
        ("valeur_imbriquee", Some("adresse"), Some(2), Some("12"))
    );
}

#[test]
fn duplicate_columns_are_reported_once() {
    let texte = format!("{ENTETE},nom\nl1,0,premier,c,33000,a,2024-01-01,second\n");
    let l = lire_lieux(texte.as_bytes(), "doublons.csv", &opts()).expect("readable");
    assert_eq!(l.issues.len(), 1);
    assert_eq!(l.issues[0].code, "colonnes_en_double");
    assert!(l.issues[0].message.ends_with(": nom"), "{}", l.issues[0]);
    assert_eq!(l.records[0].get("nom"), Some("second"));
}
