//! Per-commune indicator files (format in `data/indicateurs/README.md`):
//! a `code_insee` column and one column per indicator, `;` or `,`
//! separated, decimal comma accepted, `#` comment lines.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use maillage_lieux::Texte;
use maillage_territoires::noms::normaliser_code_insee;
use maillage_territoires::Referentiel;
use serde::Serialize;

/// Beyond this many problems a file is clearly not an indicator file:
/// stop listing.
const ERREURS_MAX: usize = 100;

/// Names accepted for the commune code column (lower case).
const COLONNES_CODE: [&str; 3] = ["code_insee", "codgeo", "code"];

/// Text columns that may sit beside the indicators and are ignored.
const COLONNES_TEXTE: [&str; 6] = ["nom", "libgeo", "libelle", "name", "commune", "division"];

/// Cell values meaning "no value" (case-insensitive): empty, `NA`, and the
/// INSEE markers `nd` (non disponible) and `s` (secret statistique).
const VALEURS_ABSENTES: [&str; 4] = ["", "na", "nd", "s"];

/// Indicator values per commune.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableIndicateurs {
    /// Indicator keys, in the order of the file's columns.
    pub indicateurs: Vec<Texte>,
    /// `code_insee → {indicator → value}`; a missing value is absent.
    pub valeurs: BTreeMap<Texte, BTreeMap<Texte, f64>>,
}

/// A problem in an indicator file, naming the file, and the line and column
/// when known. Messages are in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErreurIndicateurs {
    pub fichier: String,
    /// 1-based physical line (comment lines count).
    pub ligne: Option<u64>,
    pub colonne: Option<String>,
    pub message: String,
}

impl fmt::Display for ErreurIndicateurs {
    /// `exemple.csv, ligne 12, colonne « poverty_rate » : valeur non numérique « abc »`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fichier)?;
        if let Some(ligne) = self.ligne {
            write!(f, ", ligne {ligne}")?;
        }
        if let Some(colonne) = &self.colonne {
            write!(f, ", colonne « {colonne} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

impl std::error::Error for ErreurIndicateurs {}

/// Reads an indicator file, checking every commune code against the
/// referential. On failure, every problem found (up to 100).
pub fn lire_indicateurs(
    chemin: &Path,
    referentiel: &Referentiel,
) -> Result<TableIndicateurs, Vec<ErreurIndicateurs>> {
    let nom = chemin.display().to_string();
    match std::fs::read(chemin) {
        Ok(donnees) => lire_indicateurs_depuis(&nom, &donnees, referentiel),
        Err(e) => Err(vec![ErreurIndicateurs {
            fichier: nom,
            ligne: None,
            colonne: None,
            message: format!("lecture impossible : {e}"),
        }]),
    }
}

/// Same as [`lire_indicateurs`] on the bytes of a file named `fichier` (the
/// name only appears in errors).
pub fn lire_indicateurs_depuis(
    fichier: &str,
    donnees: &[u8],
    referentiel: &Referentiel,
) -> Result<TableIndicateurs, Vec<ErreurIndicateurs>> {
    let mut lecture = Lecture {
        fichier,
        erreurs: Vec::new(),
    };
    let table = lecture.lire(donnees, referentiel);
    if lecture.erreurs.is_empty() {
        Ok(table)
    } else {
        Err(lecture.erreurs)
    }
}

struct Lecture<'a> {
    fichier: &'a str,
    erreurs: Vec<ErreurIndicateurs>,
}

/// Role of a column of the file.
enum Colonne {
    Code,
    Ignoree,
    Indicateur(Texte),
}

impl Lecture<'_> {
    fn erreur(&mut self, ligne: Option<u64>, colonne: Option<&str>, message: String) {
        if self.erreurs.len() < ERREURS_MAX {
            self.erreurs.push(ErreurIndicateurs {
                fichier: self.fichier.to_string(),
                ligne,
                colonne: colonne.map(str::to_string),
                message,
            });
        }
    }

    fn lire(&mut self, donnees: &[u8], referentiel: &Referentiel) -> TableIndicateurs {
        let mut table = TableIndicateurs::default();
        let donnees = donnees.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(donnees);
        let mut lecteur = csv::ReaderBuilder::new()
            .delimiter(separateur(donnees))
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(donnees);

        let entete = match lecteur.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                self.erreur(ligne_erreur(&e), None, message_csv(&e));
                return table;
            }
        };
        let ligne_entete = entete.position().map(|p| p.line());
        if entete.iter().all(str::is_empty) {
            self.erreur(None, None, "fichier vide : ligne d'en-tête absente".into());
            return table;
        }
        let Some(colonnes) = self.colonnes(&entete, ligne_entete) else {
            return table;
        };
        table.indicateurs = colonnes
            .iter()
            .filter_map(|c| match c {
                Colonne::Indicateur(k) => Some(k.clone()),
                _ => None,
            })
            .collect();

        let mut lignes_des_codes: HashMap<Texte, u64> = HashMap::new();
        let mut enregistrement = csv::StringRecord::new();
        loop {
            if self.erreurs.len() >= ERREURS_MAX {
                break;
            }
            match lecteur.read_record(&mut enregistrement) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let fatale = !matches!(e.kind(), csv::ErrorKind::Utf8 { .. });
                    self.erreur(ligne_erreur(&e), None, message_csv(&e));
                    if fatale {
                        break;
                    }
                    continue;
                }
            }
            let ligne = enregistrement.position().map_or(0, |p| p.line());
            if enregistrement.len() != colonnes.len() {
                self.erreur(
                    Some(ligne),
                    None,
                    format!(
                        "{} colonne(s) au lieu des {} de l'en-tête",
                        enregistrement.len(),
                        colonnes.len()
                    ),
                );
                continue;
            }
            let mut code = None;
            let mut valeurs = BTreeMap::new();
            for ((role, cellule), nom) in colonnes.iter().zip(&enregistrement).zip(&entete) {
                match role {
                    Colonne::Ignoree => {}
                    Colonne::Code => code = self.code(cellule, ligne, nom, referentiel),
                    Colonne::Indicateur(cle) => {
                        if let Some(v) = self.valeur(cellule, ligne, nom) {
                            valeurs.insert(cle.clone(), v);
                        }
                    }
                }
            }
            let Some(code) = code else { continue };
            if let Some(&premiere) = lignes_des_codes.get(&code) {
                let nom_code = colonnes
                    .iter()
                    .zip(&entete)
                    .find(|(r, _)| matches!(r, Colonne::Code))
                    .map(|(_, n)| n.to_string());
                self.erreur(
                    Some(ligne),
                    nom_code.as_deref(),
                    format!("commune « {code} » en double (déjà ligne {premiere})"),
                );
                continue;
            }
            lignes_des_codes.insert(code.clone(), ligne);
            table.valeurs.insert(code, valeurs);
        }
        table
    }

    /// Roles of the header's columns; `None` (errors recorded) when the file
    /// cannot be read further.
    fn colonnes(&mut self, entete: &csv::StringRecord, ligne: Option<u64>) -> Option<Vec<Colonne>> {
        let mut colonnes = Vec::with_capacity(entete.len());
        let mut vues: HashMap<String, usize> = HashMap::new();
        let mut code = false;
        for (i, nom) in entete.iter().enumerate() {
            let cle = nom.to_lowercase();
            if nom.is_empty() {
                self.erreur(ligne, None, format!("nom de la colonne n° {} vide", i + 1));
                return None;
            }
            if let Some(j) = vues.insert(cle.clone(), i) {
                self.erreur(
                    ligne,
                    Some(nom),
                    format!("colonne en double (colonnes n° {} et {})", j + 1, i + 1),
                );
                return None;
            }
            if !code && COLONNES_CODE.contains(&cle.as_str()) {
                code = true;
                colonnes.push(Colonne::Code);
            } else if COLONNES_TEXTE.contains(&cle.as_str()) {
                colonnes.push(Colonne::Ignoree);
            } else {
                colonnes.push(Colonne::Indicateur(nom.into()));
            }
        }
        if !code {
            self.erreur(
                ligne,
                None,
                "colonne « code_insee » absente de l'en-tête (séparateur attendu : « ; » ou « , »)"
                    .into(),
            );
            return None;
        }
        if !colonnes.iter().any(|c| matches!(c, Colonne::Indicateur(_))) {
            self.erreur(ligne, None, "aucune colonne d'indicateur".into());
            return None;
        }
        Some(colonnes)
    }

    fn code(
        &mut self,
        cellule: &str,
        ligne: u64,
        colonne: &str,
        referentiel: &Referentiel,
    ) -> Option<Texte> {
        let Some(code) = normaliser_code_insee(cellule) else {
            let message = if cellule.is_empty() {
                "code INSEE manquant".to_string()
            } else {
                format!("code INSEE « {cellule} » invalide (5 caractères, ex. 16015, 2A004)")
            };
            self.erreur(Some(ligne), Some(colonne), message);
            return None;
        };
        if referentiel.commune(&code).is_none() {
            self.erreur(
                Some(ligne),
                Some(colonne),
                format!("commune inconnue « {code} » (absente du référentiel COG)"),
            );
            return None;
        }
        Some(code.into())
    }

    fn valeur(&mut self, cellule: &str, ligne: u64, colonne: &str) -> Option<f64> {
        if VALEURS_ABSENTES
            .iter()
            .any(|a| cellule.eq_ignore_ascii_case(a))
        {
            return None;
        }
        match nombre(cellule) {
            Some(v) => Some(v),
            None => {
                self.erreur(
                    Some(ligne),
                    Some(colonne),
                    format!("valeur non numérique « {cellule} »"),
                );
                None
            }
        }
    }
}

/// A finite number as written: spaces as thousands separators, decimal
/// comma or point.
fn nombre(texte: &str) -> Option<f64> {
    let t: String = texte
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    // Rust also parses `inf` and `NaN`: only plain numbers are values.
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `;` when the header line has more of them than commas (French
/// spreadsheets), `,` otherwise.
fn separateur(donnees: &[u8]) -> u8 {
    let entete = donnees
        .split(|&b| b == b'\n')
        .find(|l| {
            let l = l.trim_ascii();
            !l.is_empty() && !l.starts_with(b"#")
        })
        .unwrap_or_default();
    let compte = |c: u8| entete.iter().filter(|&&b| b == c).count();
    if compte(b';') > compte(b',') {
        b';'
    } else {
        b','
    }
}

fn ligne_erreur(e: &csv::Error) -> Option<u64> {
    e.position().map(|p| p.line())
}

fn message_csv(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "texte mal encodé (UTF-8 attendu ; réenregistrer le fichier en « CSV UTF-8 »)".into()
        }
        csv::ErrorKind::Io(io) => format!("lecture impossible : {io}"),
        _ => format!("CSV illisible : {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nombres() {
        assert_eq!(nombre("12,5"), Some(12.5));
        assert_eq!(nombre("12.5"), Some(12.5));
        assert_eq!(nombre("1 234,5"), Some(1234.5));
        assert_eq!(nombre("1\u{202f}234"), Some(1234.0));
        assert_eq!(nombre("-3"), Some(-3.0));
        assert_eq!(nombre("1e2"), Some(100.0));
        for faux in [
            "abc",
            "NaN",
            "inf",
            "-infinity",
            "1,2,3",
            "12 %",
            "1e999",
            ".",
        ] {
            assert_eq!(nombre(faux), None, "{faux}");
        }
    }

    #[test]
    fn separateurs() {
        assert_eq!(separateur(b"code_insee;a;b\n01001;1,5;2"), b';');
        assert_eq!(separateur(b"code_insee,a,b\n01001,1.5,2"), b',');
        assert_eq!(separateur(b"# a; b; c\ncode_insee,a\n"), b',');
        assert_eq!(separateur(b""), b',');
    }
}
