//! Export and import of beneficiaries as CSV or XLSX.
//!
//! Columns use La Coop's labels where its exports have them ("Genre",
//! "Tranche d'âge", "Statut du bénéficiaire", "Commune", "Code Insee",
//! "Notes supplémentaires", "Enregistré le", "Dernière modification le").
//! An exported file can be imported again: the columns the store computes
//! (ID, Commune, dates) are ignored on import, and a "Consentement le" date
//! counts as consent.
//!
//! An import is all-or-nothing: [`importer`] returns every beneficiary or
//! every error, each naming the file, the line (as the spreadsheet numbers
//! it: the header is line 1), the column and the reason.

use crate::beneficiaire::{normaliser, valider, Beneficiaire, BeneficiaireSaisie, Fiche};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// Columns of an export, in order.
pub const COLONNES_EXPORT: [&str; 16] = [
    "ID",
    "Prénom",
    "Nom",
    "Année de naissance",
    "Tranche d'âge",
    "Genre",
    "Statut du bénéficiaire",
    "Téléphone",
    "E-mail",
    "Commune",
    "Code Insee",
    "Notes supplémentaires",
    "Consentement le",
    "Dernière activité le",
    "Enregistré le",
    "Dernière modification le",
];

/// Most beneficiaries in one imported file.
pub const IMPORT_LIGNES_MAX: usize = 5000;

/// One problem of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ErreurImport {
    pub fichier: String,
    /// As the spreadsheet numbers it (header = 1); `None`: the whole file.
    pub ligne: Option<usize>,
    /// The column, as named in the file.
    pub champ: Option<String>,
    pub raison: String,
}

impl fmt::Display for ErreurImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fichier)?;
        if let Some(l) = self.ligne {
            write!(f, ", ligne {l}")?;
        }
        if let Some(c) = &self.champ {
            write!(f, ", colonne « {c} »")?;
        }
        write!(f, " : {}", self.raison)
    }
}

/// Why an XLSX export failed (the writer's error, in French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("le fichier XLSX n'a pas pu être produit : {0}")]
pub struct ErreurExport(pub String);

fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn horodatage_fr(d: DateTime<Utc>) -> String {
    date_fr(d.date_naive())
}

/// The cells of one beneficiary, in [`COLONNES_EXPORT`] order.
fn cellules(f: &Fiche, commune: &dyn Fn(&str) -> Option<String>) -> [String; 16] {
    let b = &f.beneficiaire;
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        f.id.clone(),
        o(&b.prenom),
        o(&b.nom),
        b.annee_naissance.map(|a| a.to_string()).unwrap_or_default(),
        b.tranche_age
            .map(|t| t.libelle().to_string())
            .unwrap_or_default(),
        b.genre.map(|g| g.libelle().to_string()).unwrap_or_default(),
        b.statut_social
            .map(|s| s.libelle().to_string())
            .unwrap_or_default(),
        o(&b.telephone),
        o(&b.email),
        b.commune_code_insee
            .as_deref()
            .and_then(commune)
            .unwrap_or_default(),
        o(&b.commune_code_insee),
        o(&b.notes),
        f.consentement_le.map(horodatage_fr).unwrap_or_default(),
        f.derniere_activite_le.map(date_fr).unwrap_or_default(),
        horodatage_fr(f.cree_le),
        horodatage_fr(f.modifie_le),
    ]
}

/// A spreadsheet reads a cell starting with one of these as a formula
/// (CSV injection): such texts get a leading apostrophe, removed on import.
fn neutraliser(t: String) -> String {
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{t}")
    } else {
        t
    }
}

/// A CSV export: UTF-8 with a byte-order mark and `;` separators, as
/// French spreadsheets expect. `commune` names a commune from its INSEE code.
pub fn exporter_csv(fiches: &[Fiche], commune: &dyn Fn(&str) -> Option<String>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to memory cannot fail.
    let _ = w.write_record(COLONNES_EXPORT);
    for f in fiches {
        let _ = w.write_record(cellules(f, commune).map(neutraliser));
    }
    w.into_inner().unwrap_or_default()
}

/// An XLSX export: one sheet "Bénéficiaires", bold frozen header, the birth
/// year as a number.
pub fn exporter_xlsx(
    fiches: &[Fiche],
    commune: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, ErreurExport> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |err: rust_xlsxwriter::XlsxError| ErreurExport(err.to_string());
    let mut classeur = Workbook::new();
    let feuille = classeur.add_worksheet();
    feuille.set_name("Bénéficiaires").map_err(e)?;
    let gras = Format::new().set_bold();
    for (c, titre) in COLONNES_EXPORT.iter().enumerate() {
        feuille
            .write_string_with_format(0, c as u16, *titre, &gras)
            .map_err(e)?;
    }
    for (i, f) in fiches.iter().enumerate() {
        let ligne = u32::try_from(i + 1).map_err(|_| ErreurExport("trop de lignes".into()))?;
        for (c, v) in cellules(f, commune).into_iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if c == 3 {
                if let Some(a) = f.beneficiaire.annee_naissance {
                    feuille
                        .write_number(ligne, c as u16, f64::from(a))
                        .map_err(e)?;
                    continue;
                }
            }
            feuille.write_string(ligne, c as u16, v).map_err(e)?;
        }
    }
    feuille.set_freeze_panes(1, 0).map_err(e)?;
    feuille.autofit();
    classeur.save_to_buffer().map_err(e)
}

/// What an imported column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colonne {
    Champ(&'static str),
    /// Computed by the store (ID, commune name, dates): ignored.
    Ignoree,
}

fn colonne(titre: &str) -> Option<Colonne> {
    use Colonne::*;
    Some(match normaliser(titre).as_str() {
        "prenom" => Champ("prenom"),
        "nom" | "nom de famille" => Champ("nom"),
        "annee de naissance" => Champ("annee_naissance"),
        "tranche d age" => Champ("tranche_age"),
        "genre" => Champ("genre"),
        "statut du beneficiaire" | "statut social" | "statut" => Champ("statut_social"),
        "telephone" => Champ("telephone"),
        "e mail" | "email" | "courriel" | "adresse e mail" => Champ("email"),
        "code insee" | "commune code insee" | "code insee de la commune" => Champ("commune"),
        "notes supplementaires" | "notes" => Champ("notes"),
        "consentement" | "consentement le" => Champ("consentement"),
        "id"
        | "commune"
        | "derniere activite le"
        | "enregistre le"
        | "derniere modification le" => Ignoree,
        _ => return None,
    })
}

/// "oui", "x", a date…: agreed; "", "non": not.
fn consentement(t: &str) -> Option<bool> {
    let n = normaliser(t);
    match n.as_str() {
        "" | "non" | "n" | "0" | "faux" | "false" | "no" => Some(false),
        "oui" | "o" | "x" | "1" | "vrai" | "true" | "yes" => Some(true),
        _ if t.chars().any(|c| c.is_ascii_digit()) && t.contains(['/', '-']) => Some(true),
        _ => None,
    }
}

/// Reads a CSV (UTF-8 or Windows-1252, `;`, `,` or tab separated) or XLSX
/// (first sheet) file of beneficiaries. `nom_fichier` names the file in
/// errors and tells the format with the content's signature. Every row must
/// be valid for anything to be returned.
pub fn importer(
    nom_fichier: &str,
    octets: &[u8],
    annee_courante: i32,
) -> Result<Vec<Beneficiaire>, Vec<ErreurImport>> {
    let erreur_fichier = |raison: String| {
        vec![ErreurImport {
            fichier: nom_fichier.to_string(),
            ligne: None,
            champ: None,
            raison,
        }]
    };
    let extension = nom_fichier
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let lignes = if octets.starts_with(b"PK\x03\x04") {
        lire_xlsx(octets).map_err(erreur_fichier)?
    } else if extension == "xlsx" {
        return Err(erreur_fichier(
            "ce fichier n'est pas un classeur XLSX lisible".to_string(),
        ));
    } else if extension == "xls" || octets.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(erreur_fichier(
            "le format .xls n'est pas pris en charge : enregistrez le fichier au format .xlsx ou .csv".to_string(),
        ));
    } else {
        lire_csv(octets).map_err(|(ligne, raison)| {
            vec![ErreurImport {
                fichier: nom_fichier.to_string(),
                ligne,
                champ: None,
                raison,
            }]
        })?
    };
    analyser(nom_fichier, lignes, annee_courante)
}

/// (line number, cells) of every row, the header first.
type Lignes = Vec<(usize, Vec<String>)>;

fn lire_csv(octets: &[u8]) -> Result<Lignes, (Option<usize>, String)> {
    let texte = match std::str::from_utf8(octets) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => encoding_rs::WINDOWS_1252.decode(octets).0,
    };
    let texte = texte.strip_prefix('\u{feff}').unwrap_or(&texte);
    let entete = texte.lines().next().unwrap_or_default();
    let separateur = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|s| (entete.bytes().filter(|b| b == s).count(), *s == b';'))
        .unwrap_or(b';');
    let mut lecteur = csv::ReaderBuilder::new()
        .delimiter(separateur)
        .has_headers(false)
        .flexible(true)
        .from_reader(texte.as_bytes());
    let mut lignes = Vec::new();
    for r in lecteur.records() {
        let r = r.map_err(|e| {
            let ligne = e.position().map(|p| p.line() as usize);
            (ligne, format!("CSV illisible ({e})"))
        })?;
        // A record's position is where its parsing started, blank lines
        // before it included: skip them to name the record's own line.
        let ligne = r.position().map_or(lignes.len() + 1, |p| {
            let blancs = texte
                .as_bytes()
                .get(usize::try_from(p.byte()).unwrap_or(usize::MAX)..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .filter(|b| **b == b'\n')
                .count();
            p.line() as usize + blancs
        });
        lignes.push((ligne, r.iter().map(str::to_string).collect()));
        if lignes.len() > IMPORT_LIGNES_MAX + 1 {
            break;
        }
    }
    Ok(lignes)
}

fn lire_xlsx(octets: &[u8]) -> Result<Lignes, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut classeur = Xlsx::new(std::io::Cursor::new(octets))
        .map_err(|e| format!("classeur XLSX illisible ({e})"))?;
    let feuille = classeur
        .worksheet_range_at(0)
        .ok_or_else(|| "le classeur ne contient aucune feuille".to_string())?
        .map_err(|e| format!("première feuille illisible ({e})"))?;
    let (debut, _) = feuille.start().unwrap_or((0, 0));
    let mut lignes = Vec::new();
    for (i, cellules) in feuille.rows().enumerate() {
        let textes = cellules
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(n) => n.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
                Data::Float(f) => f.to_string(),
                Data::Bool(true) => "oui".to_string(),
                Data::Bool(false) => "non".to_string(),
                Data::DateTime(d) => date_excel(d.as_f64()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect();
        lignes.push((debut as usize + i + 1, textes));
        if lignes.len() > IMPORT_LIGNES_MAX + 1 {
            break;
        }
    }
    Ok(lignes)
}

/// An Excel serial date (days since 1899-12-30) as YYYY-MM-DD.
fn date_excel(jours: f64) -> String {
    let origine = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    if !jours.is_finite() || !(0.0..3_000_000.0).contains(&jours) {
        return jours.to_string();
    }
    origine
        .checked_add_days(chrono::Days::new(jours as u64))
        .map_or_else(|| jours.to_string(), |d| d.to_string())
}

fn analyser(
    fichier: &str,
    lignes: Lignes,
    annee_courante: i32,
) -> Result<Vec<Beneficiaire>, Vec<ErreurImport>> {
    let err = |ligne: Option<usize>, champ: Option<String>, raison: String| ErreurImport {
        fichier: fichier.to_string(),
        ligne,
        champ,
        raison,
    };
    let mut lignes = lignes.into_iter();
    let Some((ligne_entete, entete)) = lignes.find(|(_, c)| c.iter().any(|t| !t.trim().is_empty()))
    else {
        return Err(vec![err(None, None, "le fichier est vide".to_string())]);
    };
    let mut erreurs = Vec::new();
    let mut colonnes: Vec<Option<&'static str>> = Vec::new();
    for titre in &entete {
        let t = titre.trim();
        if t.is_empty() {
            colonnes.push(None);
            continue;
        }
        match colonne(t) {
            Some(Colonne::Champ(c)) => {
                if colonnes.contains(&Some(c)) {
                    erreurs.push(err(
                        Some(ligne_entete),
                        Some(t.to_string()),
                        "colonne en double".to_string(),
                    ));
                }
                colonnes.push(Some(c));
            }
            Some(Colonne::Ignoree) => colonnes.push(None),
            None => {
                erreurs.push(err(
                    Some(ligne_entete),
                    Some(t.to_string()),
                    format!(
                        "colonne inconnue ; colonnes possibles : {}",
                        COLONNES_EXPORT.join(", ")
                    ),
                ));
                colonnes.push(None);
            }
        }
    }
    if !erreurs.is_empty() {
        return Err(erreurs);
    }
    if colonnes.iter().all(Option::is_none) {
        return Err(vec![err(
            Some(ligne_entete),
            None,
            "aucune colonne de bénéficiaire reconnue dans l'en-tête".to_string(),
        )]);
    }
    let titre_de = |champ: &str| {
        colonnes
            .iter()
            .position(|c| *c == Some(champ))
            .and_then(|i| entete.get(i))
            .map_or_else(|| champ.to_string(), |t| t.trim().to_string())
    };
    let mut beneficiaires = Vec::new();
    for (ligne, cellules) in lignes {
        if cellules.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if beneficiaires.len() + erreurs.len() >= IMPORT_LIGNES_MAX {
            return Err(vec![err(
                None,
                None,
                format!("plus de {IMPORT_LIGNES_MAX} bénéficiaires : découpez le fichier"),
            )]);
        }
        let mut s = BeneficiaireSaisie::default();
        let mut ligne_ok = true;
        for (i, valeur) in cellules.iter().enumerate() {
            let Some(Some(champ)) = colonnes.get(i) else {
                continue;
            };
            let v = valeur.trim();
            // Undo the export's formula guard.
            let v = match v.strip_prefix('\'') {
                Some(r) if r.starts_with(['=', '+', '-', '@']) => r,
                _ => v,
            }
            .to_string();
            match *champ {
                "prenom" => s.prenom = v,
                "nom" => s.nom = v,
                "telephone" => s.telephone = v,
                "email" => s.email = v,
                "commune" => s.commune = v,
                "annee_naissance" => s.annee_naissance = v,
                "tranche_age" => s.tranche_age = v,
                "genre" => s.genre = v,
                "statut_social" => s.statut_social = v,
                "notes" => s.notes = v,
                "consentement" => match consentement(&v) {
                    Some(c) => s.consentement = c,
                    None => {
                        // Checked as if agreed, so the other fields are
                        // still checked without repeating this error.
                        s.consentement = true;
                        ligne_ok = false;
                        erreurs.push(err(
                            Some(ligne),
                            Some(titre_de("consentement")),
                            format!("« {v} » n'est pas compris : indiquez « oui » ou « non »"),
                        ));
                    }
                },
                _ => {}
            }
        }
        match valider(&s, annee_courante) {
            Ok(b) if ligne_ok => beneficiaires.push(b),
            Ok(_) => {}
            Err(es) => erreurs.extend(
                es.into_iter()
                    .map(|e| err(Some(ligne), Some(titre_de(e.champ)), e.raison)),
            ),
        }
    }
    if !erreurs.is_empty() {
        return Err(erreurs);
    }
    if beneficiaires.is_empty() {
        return Err(vec![err(
            None,
            None,
            "le fichier ne contient aucun bénéficiaire (seulement l'en-tête)".to_string(),
        )]);
    }
    Ok(beneficiaires)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beneficiaire::valider;
    use chrono::TimeZone;

    fn fiches() -> Vec<Fiche> {
        let cree = Utc
            .with_ymd_and_hms(2025, 3, 1, 10, 0, 0)
            .single()
            .expect("date");
        let suivi = valider(
            &BeneficiaireSaisie {
                prenom: "Jeanne".into(),
                nom: "Dupont".into(),
                telephone: "06 12 34 56 78".into(),
                annee_naissance: "1950".into(),
                commune: "33063".into(),
                genre: "Feminin".into(),
                notes: "=1+1".into(),
                consentement: true,
                ..Default::default()
            },
            2025,
        )
        .expect("valide");
        let anonyme = valider(
            &BeneficiaireSaisie {
                tranche_age: "18 - 24 ans".into(),
                ..Default::default()
            },
            2025,
        )
        .expect("valide");
        [("a1", suivi, Some(cree)), ("a2", anonyme, None)]
            .into_iter()
            .map(|(id, b, c)| Fiche {
                id: id.into(),
                mediateur_id: "m".into(),
                beneficiaire: b,
                consentement_le: c,
                derniere_activite_le: None,
                cree_le: cree,
                modifie_le: cree,
                anonymise_le: None,
                fusionne_vers: None,
            })
            .collect()
    }

    fn commune(code: &str) -> Option<String> {
        (code == "33063").then(|| "Bordeaux".to_string())
    }

    #[test]
    fn l_export_csv_se_reimporte() {
        let f = fiches();
        let csv = exporter_csv(&f, &commune);
        let texte = String::from_utf8(csv.clone()).expect("utf-8");
        assert!(texte.starts_with("\u{feff}ID;Prénom;Nom;Année de naissance;"));
        assert!(texte.contains("a1;Jeanne;Dupont;1950;70 ans et plus;Féminin;;0612345678;;Bordeaux;33063;'=1+1;01/03/2025;;01/03/2025;01/03/2025"), "{texte}");
        let relus = importer("export.csv", &csv, 2025).expect("réimport");
        assert_eq!(
            relus,
            f.iter().map(|f| f.beneficiaire.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn l_export_xlsx_se_reimporte() {
        let f = fiches();
        let xlsx = exporter_xlsx(&f, &commune).expect("xlsx");
        assert!(xlsx.starts_with(b"PK\x03\x04"));
        let relus = importer("export.xlsx", &xlsx, 2025).expect("réimport");
        assert_eq!(
            relus,
            f.iter().map(|f| f.beneficiaire.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn les_erreurs_nomment_fichier_ligne_colonne_raison() {
        let csv = "Prénom;Nom;Téléphone;Consentement\n\
                   Jeanne;Dupont;0612345678;oui\n\
                   \n\
                   Paul;Martin;12;oui\n\
                   Luc;Petit;;peut-être\n\
                   Anne;Durand;;non\n";
        let e = importer("liste.csv", csv.as_bytes(), 2025).expect_err("refusé");
        let textes: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(textes.len(), 4, "{textes:?}");
        assert!(
            textes[0].starts_with("liste.csv, ligne 4, colonne « Téléphone » : « 12 »"),
            "{}",
            textes[0]
        );
        assert!(
            textes[1].starts_with("liste.csv, ligne 5, colonne « Consentement » : « peut-être »"),
            "{}",
            textes[1]
        );
        assert!(
            textes[2].starts_with(
                "liste.csv, ligne 6, colonne « Prénom » : la personne n'a pas donné son accord"
            ),
            "{}",
            textes[2]
        );
        assert_eq!(e[3].champ.as_deref(), Some("Nom"));
    }

    #[test]
    fn en_tete_inconnu_virgules_et_windows_1252() {
        let e = importer("a.csv", b"Prenom;Age\nA;3\n", 2025).expect_err("refusé");
        assert_eq!(e[0].ligne, Some(1));
        assert_eq!(e[0].champ.as_deref(), Some("Age"));
        // "Prénom,Nom,Consentement" in Windows-1252, comma separated.
        let octets = b"Pr\xe9nom,Nom,Consentement\nH\xe9l\xe8ne,Roy,oui\n";
        let b = importer("b.csv", octets, 2025).expect("lu");
        assert_eq!(b[0].prenom.as_deref(), Some("Hélène"));
        assert!(importer("c.csv", b"", 2025).is_err());
        assert!(importer("d.csv", b"Nom\n", 2025).is_err());
        let e = importer("e.xlsx", b"pas un zip", 2025).expect_err("refusé");
        assert!(e[0].to_string().starts_with("e.xlsx : "), "{}", e[0]);
        let e = importer("f.xlsx", b"PK\x03\x04abc", 2025).expect_err("refusé");
        assert!(e[0].raison.contains("illisible"), "{}", e[0]);
    }

    #[test]
    fn dates_excel() {
        assert_eq!(date_excel(45658.0), "2025-01-01");
        assert_eq!(date_excel(f64::NAN), "NaN");
    }
}
