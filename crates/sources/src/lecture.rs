//! Reading a raw source file into [`Enregistrement`]s, as the national
//! pipeline reads them: a JSON array (possibly wrapped, `{"results": […]}`)
//! or a CSV file with the source's delimiter. UTF-8 with or without BOM;
//! other bytes are read as Windows-1252 (spreadsheet exports).

// Errors are the house `Issue`, once per file: their size does not matter.
#![allow(clippy::result_large_err)]

use crate::transformation::chercher;
use maillage_lieux::brut::Enregistrement;
use maillage_lieux::Issue;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Keys under which APIs commonly wrap their records.
const ENVELOPPES: &[&str] = &["results", "records", "data", "values", "features", "items"];

fn fatale(fichier: &str, message: String) -> Issue {
    Issue::fatale("source_illisible", message).at(Some(fichier), None)
}

fn texte(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    }
}

/// Reads a raw source. `delimiteur` applies to CSV (guessed from the header
/// when `None`); `chemin_json` is the dotted path to the array of records
/// when the JSON wraps it. A file that cannot be read is a `Fatale` issue.
pub fn lire_source(
    bytes: &[u8],
    fichier: &str,
    delimiteur: Option<u8>,
    chemin_json: Option<&str>,
) -> Result<Vec<Enregistrement>, Issue> {
    let t = texte(bytes);
    match t.trim_start().chars().next() {
        Some('[') | Some('{') => lire_json(&t, fichier, chemin_json),
        Some(_) => lire_csv(&t, fichier, delimiteur),
        None => Ok(Vec::new()),
    }
}

/// Starting line of every object at nesting depth `profondeur` (1 = element
/// of the root array).
fn lignes_objets(texte: &str, profondeur: i32) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut ligne, mut prof, mut chaine, mut echap) = (1u64, 0i32, false, false);
    for c in texte.chars() {
        if c == '\n' {
            ligne += 1;
        }
        if chaine {
            match (echap, c) {
                (true, _) => echap = false,
                (false, '\\') => echap = true,
                (false, '"') => chaine = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => chaine = true,
            '[' | '{' => {
                if c == '{' && prof == profondeur {
                    out.push(ligne);
                }
                prof += 1;
            }
            ']' | '}' => prof -= 1,
            _ => {}
        }
    }
    out
}

fn lire_json(
    texte: &str,
    fichier: &str,
    chemin_json: Option<&str>,
) -> Result<Vec<Enregistrement>, Issue> {
    let racine: Value = serde_json::from_str(texte)
        .map_err(|e| fatale(fichier, format!("JSON illisible : {e}")))?;
    let (tableau, profondeur): (&Vec<Value>, i32) = match (&racine, chemin_json) {
        (Value::Array(a), None) => (a, 1),
        (Value::Object(o), Some(chemin)) => match chercher(o, chemin) {
            Some(Value::Array(a)) => (a, 1 + chemin.split('.').count() as i32),
            _ => {
                return Err(fatale(
                    fichier,
                    format!("pas de tableau d'enregistrements en « {chemin} »"),
                ))
            }
        },
        (Value::Object(o), None) => {
            let cle = ENVELOPPES
                .iter()
                .find(|k| matches!(o.get(**k), Some(Value::Array(_))))
                .map(|k| k.to_string())
                .or_else(|| {
                    let tableaux: Vec<&String> = o
                        .iter()
                        .filter(|(_, v)| v.is_array())
                        .map(|(k, _)| k)
                        .collect();
                    (tableaux.len() == 1).then(|| tableaux[0].clone())
                });
            match cle.as_deref().and_then(|k| o.get(k)) {
                Some(Value::Array(a)) => (a, 2),
                _ => {
                    return Err(fatale(
                        fichier,
                        "objet JSON sans tableau d'enregistrements (précisez le chemin)"
                            .to_string(),
                    ))
                }
            }
        }
        (_, Some(chemin)) => {
            return Err(fatale(
                fichier,
                format!("chemin « {chemin} » demandé mais la racine n'est pas un objet"),
            ))
        }
        _ => {
            return Err(fatale(
                fichier,
                "un tableau d'objets est attendu".to_string(),
            ))
        }
    };
    // Object lines at the array's depth; exact for a root array, and used
    // for a wrapped one only when the count matches (other objects may sit
    // at that depth elsewhere in the envelope).
    let lignes = lignes_objets(texte, profondeur);
    let lignes_sures = lignes.len() == tableau.iter().filter(|v| v.is_object()).count();
    let mut out = Vec::with_capacity(tableau.len());
    let mut n_objet = 0;
    for v in tableau {
        let Value::Object(o) = v else { continue };
        let line = if lignes_sures {
            lignes.get(n_objet).copied().unwrap_or(0)
        } else {
            0
        };
        n_objet += 1;
        out.push(Enregistrement {
            line,
            values: o.clone(),
        });
    }
    Ok(out)
}

/// The most frequent of `,` `;` tab `|` in the header line.
fn deviner_delimiteur(texte: &str) -> u8 {
    let entete = texte.lines().next().unwrap_or("");
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| entete.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

fn lire_csv(
    texte: &str,
    fichier: &str,
    delimiteur: Option<u8>,
) -> Result<Vec<Enregistrement>, Issue> {
    let octets = texte.as_bytes();
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiteur.unwrap_or_else(|| deviner_delimiteur(texte)))
        .flexible(true)
        .from_reader(octets);
    let entetes: Vec<String> = r
        .headers()
        .map_err(|e| fatale(fichier, format!("en-tête CSV illisible : {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| fatale(fichier, format!("CSV illisible : {e}")))?;
        let line = rec.position().map_or(0, |p| {
            let mut fin = usize::try_from(p.byte()).unwrap_or(0).min(octets.len());
            // With CRLF the position may sit on the previous line's `\n`.
            while fin < octets.len() && (octets[fin] == b'\n' || octets[fin] == b'\r') {
                fin += 1;
            }
            1 + octets[..fin].iter().filter(|&&b| b == b'\n').count() as u64
        });
        let mut values = Map::new();
        for (k, v) in entetes.iter().zip(rec.iter()) {
            values.insert(k.clone(), Value::String(v.to_string()));
        }
        out.push(Enregistrement { line, values });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_json_and_lines() {
        let j = b"{\"total\": 2,\n \"results\": [\n  {\"a\": 1},\n  {\"a\": {\"b\": 2}}\n ]\n}";
        let e = lire_source(j, "x.json", None, Some("results")).expect("ok");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, 3);
        assert_eq!(e[1].line, 4);
        let e = lire_source(j, "x.json", None, None).expect("ok");
        assert_eq!(e.len(), 2);
        let e = lire_source(b"[{\"a\": 1}]", "x.json", None, Some("results"));
        assert!(e.is_err());
    }

    #[test]
    fn csv_with_guessed_delimiter_bom_and_latin1() {
        let mut c = b"\xEF\xBB\xBFnom;ville\r\nA;Paris\r\nB;Orl\xE9ans\r\n".to_vec();
        let e = lire_source(&c, "x.csv", None, None).expect("ok");
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].values["ville"], Value::from("Orléans"));
        assert_eq!(e[0].line, 2);
        assert_eq!(e[1].line, 3);
        c.truncate(0);
        assert_eq!(lire_source(&c, "x.csv", None, None).map(|e| e.len()), Ok(0));
    }
}
