//! Reading and writing files: CSV, JSON, GeoJSON.
//!
//! This is where bad input is met first, so readers never panic and say what
//! is wrong in French with the file, line and field. A problem that makes the
//! whole file unusable is returned as `Err` with a `Fatale` issue; a bad row
//! is skipped with an `Erreur`; a repaired detail gives an `Avertissement`.
//!
//! Writers stream: they take an iterator of places and keep nothing in memory.

// The API returns `Result<_, Issue>`: a fatal issue is rare (once per file),
// so its size does not matter.
#![allow(clippy::result_large_err)]

use crate::brut::{Enregistrement, LieuBrut};
use crate::issue::{Gravite, Issue};
use crate::lieu::{format_coordonnee, Lieu, CHAMPS};
use serde_json::{Map, Value};
use std::io::{self, Write};

/// File formats of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    GeoJson,
}

impl Format {
    /// Format from the file name's extension (`.csv`/`.tsv`/`.txt`, `.json`,
    /// `.geojson`), case-insensitive.
    pub fn depuis_nom(fichier: &str) -> Option<Format> {
        let ext = fichier.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "geojson" => Some(Format::GeoJson),
            _ => None,
        }
    }
}

/// Reading options.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionsLecture {
    /// CSV delimiter; auto-detected from the header line when `None`.
    pub delimiteur: Option<u8>,
    /// Key (dotted path) of the array of records in a JSON object, e.g.
    /// `results`; the first array-valued key when `None`.
    pub chemin_json: Option<String>,
    /// Longest accepted cell, in bytes; a longer one rejects its row.
    pub taille_max_champ: usize,
}

impl Default for OptionsLecture {
    fn default() -> Self {
        OptionsLecture {
            delimiteur: None,
            chemin_json: None,
            taille_max_champ: 100_000,
        }
    }
}

/// What a reader got from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Lecture<T> {
    pub records: Vec<T>,
    pub issues: Vec<Issue>,
    /// `utf-8` or `windows-1252`.
    pub encodage: &'static str,
    /// The CSV delimiter used, `None` for JSON.
    pub delimiteur: Option<u8>,
}

/// Fields the validation cannot do without: a standard CSV lacking one of
/// these columns is unusable. They have the same names in v0.1 and v1.
const COLONNES_OBLIGATOIRES: [&str; 6] =
    ["id", "nom", "commune", "code_postal", "adresse", "date_maj"];

/// Names of v0.1 fields, accepted as columns of a standard file.
const COLONNES_V0: [&str; 7] = [
    "cle_ban",
    "courriel",
    "publics_accueillis",
    "conditions_acces",
    "labels_nationaux",
    "labels_autres",
    "accessibilite",
];

fn fatale(fichier: &str, code: &'static str, message: String) -> Issue {
    Issue::fatale(code, message).at(Some(fichier), None)
}

/// Decodes bytes: BOM stripped, UTF-8, else Windows-1252 with a warning.
fn decoder<'a>(
    bytes: &'a [u8],
    fichier: &str,
    issues: &mut Vec<Issue>,
) -> Result<(std::borrow::Cow<'a, str>, &'static str), Issue> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (texte, encodage) = match std::str::from_utf8(bytes) {
        Ok(t) => (std::borrow::Cow::Borrowed(t), "utf-8"),
        Err(_) => {
            let (t, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            issues.push(
                Issue::new(
                    Gravite::Avertissement,
                    "encodage_windows_1252",
                    "fichier en Windows-1252 converti en UTF-8",
                )
                .at(Some(fichier), None),
            );
            (t, "windows-1252")
        }
    };
    if texte.trim().is_empty() {
        return Err(fatale(
            fichier,
            "fichier_vide",
            "le fichier est vide : aucune donnée à lire".to_string(),
        ));
    }
    Ok((texte, encodage))
}

fn est_json(texte: &str, fichier: &str) -> bool {
    match Format::depuis_nom(fichier) {
        Some(Format::Json) | Some(Format::GeoJson) => true,
        Some(Format::Csv) => false,
        None => texte.trim_start().starts_with(['[', '{']),
    }
}

/// Reads the records of a raw source or standard file (JSON array of
/// objects, object wrapping such an array, GeoJSON FeatureCollection, or CSV
/// whose cells become JSON strings).
pub fn lire_objets(
    bytes: &[u8],
    fichier: &str,
    opts: &OptionsLecture,
) -> Result<Lecture<Enregistrement>, Issue> {
    let mut issues = Vec::new();
    let (texte, encodage) = decoder(bytes, fichier, &mut issues)?;
    if est_json(&texte, fichier) {
        let records = lire_json(&texte, fichier, opts, &mut issues)?;
        Ok(Lecture {
            records,
            issues,
            encodage,
            delimiteur: None,
        })
    } else {
        let (entetes, lignes, delimiteur) = lire_csv(&texte, fichier, opts, &mut issues)?;
        let records = lignes
            .into_iter()
            .map(|(line, cells)| {
                let mut values = Map::new();
                for (k, v) in entetes.iter().zip(cells) {
                    values.insert(k.clone(), Value::String(v));
                }
                Enregistrement { line, values }
            })
            .collect();
        Ok(Lecture {
            records,
            issues,
            encodage,
            delimiteur: Some(delimiteur),
        })
    }
}

/// Reads a standard file (v1 or v0.1) into raw places: each object flattened
/// to field → text.
pub fn lire_lieux(
    bytes: &[u8],
    fichier: &str,
    opts: &OptionsLecture,
) -> Result<Lecture<LieuBrut>, Issue> {
    let mut issues = Vec::new();
    let (texte, encodage) = decoder(bytes, fichier, &mut issues)?;
    if est_json(&texte, fichier) {
        let objets = lire_json(&texte, fichier, opts, &mut issues)?;
        let records = objets
            .into_iter()
            .map(|e| aplatir(e, fichier, &mut issues))
            .collect();
        Ok(Lecture {
            records,
            issues,
            encodage,
            delimiteur: None,
        })
    } else {
        let (entetes, lignes, delimiteur) = lire_csv(&texte, fichier, opts, &mut issues)?;
        let manquantes: Vec<&str> = COLONNES_OBLIGATOIRES
            .iter()
            .copied()
            .filter(|c| !entetes.iter().any(|e| e == c))
            .collect();
        if !manquantes.is_empty() {
            return Err(fatale(
                fichier,
                "colonnes_obligatoires_absentes",
                format!(
                    "colonnes obligatoires du standard absentes de l'en-tête : {}",
                    manquantes.join(", ")
                ),
            ));
        }
        let inconnues: Vec<&str> = entetes
            .iter()
            .map(String::as_str)
            .filter(|e| {
                !e.is_empty()
                    && !CHAMPS.contains(e)
                    && !COLONNES_V0.contains(e)
                    && *e != crate::validation::CLE_PRECISION
            })
            .collect();
        if !inconnues.is_empty() {
            issues.push(
                Issue::new(
                    Gravite::Avertissement,
                    "colonnes_inconnues",
                    format!(
                        "colonnes hors du standard, ignorées : {}",
                        inconnues.join(", ")
                    ),
                )
                .at(Some(fichier), Some(1)),
            );
        }
        let records = lignes
            .into_iter()
            .map(|(line, cells)| {
                let mut brut = LieuBrut::new(Some(line));
                for (k, v) in entetes.iter().zip(cells) {
                    if !inconnues.contains(&k.as_str()) {
                        brut.set(k, v);
                    }
                }
                brut
            })
            .collect();
        Ok(Lecture {
            records,
            issues,
            encodage,
            delimiteur: Some(delimiteur),
        })
    }
}

// ---------------------------------------------------------------- JSON

fn lire_json(
    texte: &str,
    fichier: &str,
    opts: &OptionsLecture,
    issues: &mut Vec<Issue>,
) -> Result<Vec<Enregistrement>, Issue> {
    let mut racine: Value = serde_json::from_str(texte).map_err(|e| {
        let raison = match e.classify() {
            serde_json::error::Category::Eof => "fichier JSON tronqué (fin inattendue)",
            serde_json::error::Category::Syntax => "JSON invalide (erreur de syntaxe)",
            serde_json::error::Category::Data => "JSON invalide (donnée inattendue)",
            serde_json::error::Category::Io => "JSON illisible",
        };
        let mut issue = fatale(
            fichier,
            "json_invalide",
            format!("{raison} à la ligne {}, colonne {}", e.line(), e.column()),
        );
        issue.line = Some(e.line() as u64);
        issue
    })?;

    // Where the records are, as a path of keys from the root.
    let mut chemin: Vec<String> = Vec::new();
    let mut geojson = false;
    // First find where the records are (path of keys from the root)...
    match &racine {
        Value::Array(_) => {}
        Value::Object(o) => {
            if let Some(c) = opts.chemin_json.as_deref().filter(|c| !c.is_empty()) {
                let mut v = &racine;
                for cle in c.split('.') {
                    chemin.push(cle.to_string());
                    v = v.get(cle).ok_or_else(|| {
                        fatale(
                            fichier,
                            "json_chemin_absent",
                            format!("la clé « {c} » est absente du JSON"),
                        )
                    })?;
                }
                if !v.is_array() {
                    return Err(fatale(
                        fichier,
                        "json_pas_un_tableau",
                        format!("la clé « {c} » ne contient pas un tableau d'objets"),
                    ));
                }
            } else if o.get("type").and_then(Value::as_str) == Some("FeatureCollection") {
                geojson = true;
                chemin.push("features".to_string());
                if !o.get("features").is_some_and(Value::is_array) {
                    return Err(fatale(
                        fichier,
                        "json_pas_un_tableau",
                        "FeatureCollection sans tableau « features »".to_string(),
                    ));
                }
            } else {
                let cle = o
                    .iter()
                    .find_map(|(k, v)| v.is_array().then_some(k))
                    .ok_or_else(|| {
                        fatale(
                            fichier,
                            "json_pas_un_tableau",
                            "le JSON est un objet sans aucun tableau d'enregistrements".to_string(),
                        )
                    })?;
                chemin.push(cle.clone());
            }
        }
        _ => {
            return Err(fatale(
                fichier,
                "json_pas_un_tableau",
                "le JSON n'est pas un tableau d'objets".to_string(),
            ))
        }
    };
    // ...then take the array out of the tree: records are moved, not copied.
    let pointeur: String = chemin
        .iter()
        .map(|c| format!("/{}", c.replace('~', "~0").replace('/', "~1")))
        .collect();
    let tableau = match racine.pointer_mut(&pointeur).map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let lignes = lignes_elements(texte, &chemin);
    let mut records = Vec::with_capacity(tableau.len());
    let mut non_objets = 0usize;
    for (i, v) in tableau.into_iter().enumerate() {
        let line = lignes.get(i).copied().unwrap_or(1);
        match v {
            Value::Object(o) => {
                let values = if geojson { depuis_feature(&o) } else { o };
                records.push(Enregistrement { line, values });
            }
            _ => {
                non_objets += 1;
                issues.push(
                    Issue::new(
                        Gravite::Erreur,
                        "json_pas_un_objet",
                        format!(
                            "l'élément n° {} du tableau n'est pas un objet : ignoré",
                            i + 1
                        ),
                    )
                    .at(Some(fichier), Some(line)),
                );
            }
        }
    }
    if non_objets > 0 && records.is_empty() {
        return Err(fatale(
            fichier,
            "json_pas_un_tableau",
            "le JSON n'est pas un tableau d'objets".to_string(),
        ));
    }
    Ok(records)
}

/// A GeoJSON feature as a flat record: its properties, plus
/// `latitude`/`longitude` from a Point geometry.
fn depuis_feature(feature: &Map<String, Value>) -> Map<String, Value> {
    let mut values = feature
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let point = feature
        .get("geometry")
        .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
        .and_then(|g| g.get("coordinates"))
        .and_then(Value::as_array);
    if let Some([lon, lat, ..]) = point.map(Vec::as_slice) {
        if lon.is_number() && lat.is_number() {
            values.insert("longitude".to_string(), lon.clone());
            values.insert("latitude".to_string(), lat.clone());
        }
    }
    values
}

/// Lines (1-based) where each element of the array at `chemin` starts. The
/// text is valid JSON (already parsed), so the scanner only tracks strings,
/// escapes, nesting and the keys along the path.
fn lignes_elements(texte: &str, chemin: &[String]) -> Vec<u64> {
    struct Cadre {
        tableau: bool,
        /// This container lies on the path (its keys so far match).
        sur_chemin: bool,
        profondeur: usize,
        attend_valeur: bool,
        cle: Option<String>,
    }
    let mut lignes = Vec::new();
    let mut pile: Vec<Cadre> = Vec::new();
    let mut line: u64 = 1;
    let mut chars = texte.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                s.push(e);
                            }
                        }
                        '"' => break,
                        '\n' => {
                            line += 1;
                            s.push(c);
                        }
                        _ => s.push(c),
                    }
                }
                if let Some(cadre) = pile.last_mut() {
                    if cadre.tableau {
                        if cadre.attend_valeur
                            && cadre.sur_chemin
                            && cadre.profondeur == chemin.len()
                        {
                            lignes.push(line);
                        }
                        cadre.attend_valeur = false;
                    } else if cadre.attend_valeur {
                        cadre.attend_valeur = false;
                    } else {
                        cadre.cle = Some(s);
                    }
                }
            }
            ':' => {
                if let Some(cadre) = pile.last_mut() {
                    cadre.attend_valeur = true;
                }
            }
            ',' => {
                if let Some(cadre) = pile.last_mut() {
                    cadre.attend_valeur = cadre.tableau;
                    if !cadre.tableau {
                        cadre.cle = None;
                    }
                }
            }
            '{' | '[' => {
                let (sur_chemin, profondeur) = match pile.last_mut() {
                    None => (true, 0),
                    Some(parent) => {
                        if parent.tableau
                            && parent.attend_valeur
                            && parent.sur_chemin
                            && parent.profondeur == chemin.len()
                        {
                            lignes.push(line);
                        }
                        parent.attend_valeur = false;
                        let p = parent.profondeur;
                        let suit = parent.sur_chemin
                            && !parent.tableau
                            && p < chemin.len()
                            && parent.cle.as_deref() == chemin.get(p).map(String::as_str);
                        (suit, p + 1)
                    }
                };
                pile.push(Cadre {
                    tableau: c == '[',
                    sur_chemin,
                    profondeur,
                    attend_valeur: c == '[',
                    cle: None,
                });
            }
            '}' | ']' => {
                pile.pop();
            }
            c if c.is_whitespace() => {}
            _ => {
                // Start of a number, true, false or null.
                if let Some(cadre) = pile.last_mut() {
                    if cadre.attend_valeur {
                        if cadre.tableau && cadre.sur_chemin && cadre.profondeur == chemin.len() {
                            lignes.push(line);
                        }
                        cadre.attend_valeur = false;
                    }
                }
            }
        }
    }
    lignes
}

/// Flattens a JSON object into field → text.
fn aplatir(e: Enregistrement, fichier: &str, issues: &mut Vec<Issue>) -> LieuBrut {
    let mut brut = LieuBrut::new(Some(e.line));
    let id = e.values.get("id").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    for (k, v) in e.values {
        let k = k.trim();
        let texte = match v {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(a) => {
                let mut parts = Vec::new();
                let mut imbrique = false;
                for x in a {
                    match x {
                        Value::String(s) => parts.push(s),
                        Value::Number(n) => parts.push(n.to_string()),
                        Value::Bool(b) => parts.push(b.to_string()),
                        Value::Null => {}
                        _ => imbrique = true,
                    }
                }
                if imbrique {
                    issues.push(valeur_imbriquee(fichier, e.line, id.as_deref(), k));
                    continue;
                }
                parts.join("|")
            }
            Value::Object(_) => {
                issues.push(valeur_imbriquee(fichier, e.line, id.as_deref(), k));
                continue;
            }
        };
        brut.set(k, texte);
    }
    brut
}

fn valeur_imbriquee(fichier: &str, line: u64, id: Option<&str>, champ: &str) -> Issue {
    Issue::avertissement(
        "valeur_imbriquee",
        champ,
        "valeur imbriquée (objet JSON) inattendue pour un champ du standard : ignorée",
    )
    .at(Some(fichier), Some(line))
    .for_record(id)
}

// ---------------------------------------------------------------- CSV

/// `,`, `;` or tab: the most frequent outside quotes on the header line.
fn detecter_delimiteur(texte: &str) -> u8 {
    let mut guillemets = false;
    let mut compte = [0usize; 3];
    for c in texte.chars() {
        match c {
            '"' => guillemets = !guillemets,
            '\n' if !guillemets => break,
            ',' if !guillemets => compte[0] += 1,
            ';' if !guillemets => compte[1] += 1,
            '\t' if !guillemets => compte[2] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t'];
    let mut meilleur = 0;
    for i in 1..3 {
        if compte[i] > compte[meilleur] {
            meilleur = i;
        }
    }
    delims[meilleur]
}

type Lignes = Vec<(u64, Vec<String>)>;

fn lire_csv(
    texte: &str,
    fichier: &str,
    opts: &OptionsLecture,
    issues: &mut Vec<Issue>,
) -> Result<(Vec<String>, Lignes, u8), Issue> {
    let delimiteur = opts
        .delimiteur
        .unwrap_or_else(|| detecter_delimiteur(texte));
    let mut lecteur = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiteur)
        .from_reader(texte.as_bytes());
    let mut lignes_lues = lecteur.records();
    let entetes: Vec<String> = match lignes_lues.next() {
        Some(Ok(r)) => r.iter().map(|s| s.trim().to_string()).collect(),
        Some(Err(e)) => {
            return Err(fatale(
                fichier,
                "csv_illisible",
                format!("en-tête CSV illisible : {}", erreur_csv(&e)),
            ))
        }
        None => {
            return Err(fatale(
                fichier,
                "csv_sans_entete",
                "fichier CSV sans ligne d'en-tête".to_string(),
            ))
        }
    };
    if entetes.iter().all(|e| e.is_empty()) {
        return Err(fatale(
            fichier,
            "csv_sans_entete",
            "fichier CSV sans ligne d'en-tête (première ligne vide)".to_string(),
        ));
    }
    let mut doublons: Vec<&str> = Vec::new();
    for (i, e) in entetes.iter().enumerate() {
        if !e.is_empty() && entetes[..i].contains(e) && !doublons.contains(&e.as_str()) {
            doublons.push(e);
        }
    }
    if !doublons.is_empty() {
        issues.push(
            Issue::new(
                Gravite::Avertissement,
                "colonnes_en_double",
                format!(
                    "colonnes en double dans l'en-tête (la dernière l'emporte) : {}",
                    doublons.join(", ")
                ),
            )
            .at(Some(fichier), Some(1)),
        );
    }
    // Offsets of every `\n`, to turn a record's byte offset into its line.
    let retours: Vec<usize> = texte
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut lignes = Vec::new();
    for r in lignes_lues {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                issues.push(
                    Issue::new(
                        Gravite::Erreur,
                        "csv_illisible",
                        format!("ligne CSV illisible : {} ; lecture arrêtée", erreur_csv(&e)),
                    )
                    .at(Some(fichier), line),
                );
                break;
            }
        };
        let line = r
            .position()
            .map(|p| ligne_de(texte, &retours, p.byte()))
            .unwrap_or(0);
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if r.len() != entetes.len() {
            issues.push(
                Issue::new(
                    Gravite::Erreur,
                    "csv_nombre_de_cellules",
                    format!(
                        "{} cellules au lieu des {} de l'en-tête : ligne ignorée",
                        r.len(),
                        entetes.len()
                    ),
                )
                .at(Some(fichier), Some(line)),
            );
            continue;
        }
        if let Some((i, c)) = r
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() > opts.taille_max_champ)
        {
            let champ = entetes.get(i).map(String::as_str).unwrap_or_default();
            issues.push(
                Issue::erreur(
                    "champ_trop_long",
                    champ,
                    format!(
                        "cellule de {} octets, au-delà du maximum de {} : ligne ignorée",
                        c.len(),
                        opts.taille_max_champ
                    ),
                )
                .at(Some(fichier), Some(line)),
            );
            continue;
        }
        lignes.push((line, r.iter().map(str::to_string).collect()));
    }
    Ok((entetes, lignes, delimiteur))
}

/// 1-based physical line where the record at `octet` starts. The reader may
/// report the offset of the previous line's terminator: skip it.
fn ligne_de(texte: &str, retours: &[usize], octet: u64) -> u64 {
    let mut i = usize::try_from(octet)
        .unwrap_or(usize::MAX)
        .min(texte.len());
    let b = texte.as_bytes();
    while i < b.len() && (b[i] == b'\r' || b[i] == b'\n') {
        i += 1;
    }
    (retours.partition_point(|&r| r < i) + 1) as u64
}

fn erreur_csv(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "texte non UTF-8".to_string(),
        csv::ErrorKind::UnequalLengths { .. } => "nombre de cellules incohérent".to_string(),
        csv::ErrorKind::Io(_) => "erreur de lecture".to_string(),
        _ => "format CSV invalide".to_string(),
    }
}

// ---------------------------------------------------------------- writers

/// Writes the standard CSV: header = the 32 fields in order, `|` lists,
/// UTF-8, RFC 4180 quoting. Returns the number of places written.
pub fn ecrire_csv<'a, W: Write>(
    sortie: W,
    lieux: impl IntoIterator<Item = &'a Lieu>,
) -> io::Result<usize> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(sortie);
    w.write_record(CHAMPS)?;
    let mut n = 0;
    for l in lieux {
        w.write_record(l.ligne())?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// The standard's fields of a place as a JSON object: only non-empty fields,
/// coordinates as numbers, lists as `|` strings (the JSON export's shape).
pub fn objet_json(l: &Lieu) -> Map<String, Value> {
    let mut o = Map::new();
    for champ in CHAMPS {
        let v = l.valeur(champ);
        if v.is_empty() {
            continue;
        }
        let valeur = match champ {
            "latitude" | "longitude" => v
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            _ => Some(Value::String(v)),
        };
        if let Some(valeur) = valeur {
            o.insert(champ.to_string(), valeur);
        }
    }
    o
}

/// Writes a JSON array of places as published. Returns the count written.
pub fn ecrire_json<'a, W: Write>(
    mut sortie: W,
    lieux: impl IntoIterator<Item = &'a Lieu>,
) -> io::Result<usize> {
    sortie.write_all(b"[")?;
    let mut n = 0;
    for l in lieux {
        sortie.write_all(if n == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut sortie, &objet_json(l))?;
        n += 1;
    }
    sortie.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })?;
    sortie.flush()?;
    Ok(n)
}

/// Writes a GeoJSON FeatureCollection of Point features for the places that
/// have coordinates (the others are skipped). Properties are the standard's
/// fields plus `precision_coordonnees`. Returns the count written.
pub fn ecrire_geojson<'a, W: Write>(
    mut sortie: W,
    lieux: impl IntoIterator<Item = &'a Lieu>,
) -> io::Result<usize> {
    sortie.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    let mut n = 0;
    for l in lieux {
        let (Some(lat), Some(lon)) = (l.latitude, l.longitude) else {
            continue;
        };
        let coord = |x: f64| {
            format_coordonnee(x)
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        };
        let mut proprietes = objet_json(l);
        proprietes.insert(
            crate::validation::CLE_PRECISION.to_string(),
            Value::String(l.precision_coordonnees.code().to_string()),
        );
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [coord(lon), coord(lat)]},
            "properties": proprietes,
        });
        sortie.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut sortie, &feature)?;
        n += 1;
    }
    sortie.write_all(b"\n]}\n")?;
    sortie.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_name() {
        assert_eq!(Format::depuis_nom("a/b.CSV"), Some(Format::Csv));
        assert_eq!(Format::depuis_nom("x.geojson"), Some(Format::GeoJson));
        assert_eq!(Format::depuis_nom("x.v0.json"), Some(Format::Json));
        assert_eq!(Format::depuis_nom("x"), None);
    }

    #[test]
    fn scanner_maps_elements_to_lines() {
        let t = "{\"meta\": [{\"a\": 1}],\n \"results\": [\n  {\"x\": \"}{\\\"\"},\n  {\n\"y\": [1, {\"z\": 2}]},\n 3]}";
        assert_eq!(lignes_elements(t, &["results".to_string()]), [3, 4, 6]);
        assert_eq!(lignes_elements(t, &["meta".to_string()]), [1]);
        assert_eq!(lignes_elements("[\n{},\n\n{}]", &[]), [2, 4]);
    }

    #[test]
    fn delimiter_detection_ignores_quoted_text() {
        assert_eq!(detecter_delimiteur("\"a,b,c\";d;e\n1,2,3,4"), b';');
        assert_eq!(detecter_delimiteur("a\tb\tc"), b'\t');
        assert_eq!(detecter_delimiteur("a"), b',');
    }
}
