//! Mapping configurations of the national pipeline (mednum-cli
//! `<source>.config.json`): one key per field of the standard, whose value
//! says where to read it in the raw source.
//!
//! Parsed by hand from `serde_json::Value` rather than derived, so a bad
//! configuration is reported with the exact key at fault, in French, and an
//! unknown key is a warning instead of a failure (configs evolve upstream).

// The public API returns the house `Issue` as error (as every reader does);
// a configuration error happens once per file, so its size does not matter.
#![allow(clippy::result_large_err)]

use maillage_lieux::{Gravite, Issue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How a single-valued field is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalaire {
    /// `{"colonne": "a.b"}` or `{"colonne": ["a", "b"]}`: the first non-empty
    /// of the columns (dotted paths address nested JSON).
    Colonne(Vec<String>),
    /// `{"valeur": "..."}`: a constant.
    Valeur(String),
    /// `{"joindre": {"colonnes": [...], "séparateur": " ", "ou": {...}}}`:
    /// non-empty columns joined; `ou` is used when they are all empty.
    Joindre {
        colonnes: Vec<String>,
        separateur: String,
        ou: Option<Box<Scalaire>>,
    },
    /// `{"dissocier": {"colonne": "geo", "séparateur": ",", "partie": 0}}`:
    /// one part of a split column.
    Dissocier {
        colonnes: Vec<String>,
        separateur: String,
        partie: usize,
    },
}

/// One rule of an enumerated field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Regle {
    /// Columns searched; `None` makes the rule always apply (a default).
    pub colonnes: Option<Vec<String>>,
    /// Case-insensitive substrings; `None` means "the column is non-empty".
    pub termes: Option<Vec<String>>,
    /// Substrings that veto the rule.
    pub sauf: Vec<String>,
    /// Value added when the rule matches; `None` copies the column's values.
    pub cible: Option<String>,
    /// `services` only: the rule applies only when the place's computed
    /// `modalites_accompagnement` contain this value.
    pub modalites_accompagnement: Option<String>,
}

/// One day of the `jours` form of `horaires`.
#[derive(Debug, Clone, PartialEq)]
pub struct JourHoraires {
    /// OSM day code, normalised (`Sun` → `Su`).
    pub osm: String,
    /// Columns whose texts are combined (BFC: morning and afternoon).
    pub colonnes: Vec<String>,
}

/// The `horaires` mapping. Several forms may be present (paca gives the same
/// column as `osm` and `semaine`): OSM is tried first, then French text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Horaires {
    pub jours: Option<Vec<JourHoraires>>,
    pub semaine: Option<String>,
    pub osm: Option<String>,
}

/// A parsed mapping configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Configuration {
    /// Single-valued fields, by v1 field name (legacy `courriel` and
    /// `accessibilite` are stored as `courriels` and `fiche_acces_libre`).
    pub scalaires: BTreeMap<String, Scalaire>,
    /// Enumerated fields, by v1 field name (legacy `typologies` → `typologie`).
    pub enumeres: BTreeMap<String, Vec<Regle>>,
    pub horaires: Option<Horaires>,
    /// `semaine_ouverture`: column telling odd/even weeks of opening.
    pub semaine_ouverture: Option<Scalaire>,
    /// Accepted keys that do not feed a field of the standard (`prive`).
    pub autres: BTreeMap<String, Scalaire>,
    /// Warnings found while reading (unknown keys).
    pub avertissements: Vec<Issue>,
}

/// Single-valued fields of the standard a configuration may map.
const SCALAIRES: &[&str] = &[
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "telephone",
    "courriels",
    "site_web",
    "presentation_resume",
    "presentation_detail",
    "source",
    "structure_parente",
    "date_maj",
    "fiche_acces_libre",
    "prise_rdv",
];

/// Enumerated (rule-list) fields.
pub(crate) const ENUMERES: &[&str] = &[
    "typologie",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "itinerance",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
];

/// Legacy key → v1 field.
fn cle_v1(cle: &str) -> &str {
    match cle {
        "courriel" => "courriels",
        "accessibilite" => "fiche_acces_libre",
        "typologies" => "typologie",
        "conditions_acces" => "frais_a_charge",
        "labels_autres" => "autres_formations_labels",
        autre => autre,
    }
}

fn fatale(fichier: &str, cle: &str, raison: impl std::fmt::Display) -> Issue {
    Issue::fatale(
        "configuration_invalide",
        format!("configuration « {fichier} » : clé « {cle} » : {raison}"),
    )
    .at(Some(fichier), None)
    .on_field(cle)
}

impl Configuration {
    /// Reads a configuration file's bytes. A malformed file or a known key
    /// with the wrong shape is a `Fatale` issue naming the file and the key.
    pub fn depuis_json(bytes: &[u8], fichier: &str) -> Result<Configuration, Issue> {
        let racine: Value = serde_json::from_slice(bytes).map_err(|e| {
            Issue::fatale(
                "configuration_invalide",
                format!("configuration « {fichier} » : JSON illisible ({e})"),
            )
            .at(Some(fichier), None)
        })?;
        let Value::Object(objet) = racine else {
            return Err(Issue::fatale(
                "configuration_invalide",
                format!("configuration « {fichier} » : un objet JSON est attendu à la racine"),
            )
            .at(Some(fichier), None));
        };
        let mut config = Configuration::default();
        for (cle, valeur) in &objet {
            let v1 = cle_v1(cle);
            if cle == "horaires" {
                config.horaires = Some(lire_horaires(valeur, fichier)?);
            } else if cle == "semaine_ouverture" {
                config.semaine_ouverture = Some(lire_scalaire(valeur, fichier, cle)?);
            } else if cle == "prive" {
                config
                    .autres
                    .insert(cle.clone(), lire_scalaire(valeur, fichier, cle)?);
            } else if SCALAIRES.contains(&v1) {
                config
                    .scalaires
                    .insert(v1.to_string(), lire_scalaire(valeur, fichier, cle)?);
            } else if ENUMERES.contains(&v1)
                || cle == "publics_accueillis"
                || cle == "labels_nationaux"
            {
                // v0 rule lists (`publics_accueillis`, `labels_nationaux`)
                // keep their v0 name: migration turns them into v1 fields.
                let regles = lire_regles(valeur, fichier, cle)?;
                config
                    .enumeres
                    .entry(v1.to_string())
                    .or_default()
                    .extend(regles);
            } else {
                config.avertissements.push(
                    Issue::new(
                        Gravite::Avertissement,
                        "cle_inconnue",
                        format!("configuration « {fichier} » : clé « {cle} » inconnue, ignorée"),
                    )
                    .at(Some(fichier), None)
                    .on_field(cle),
                );
            }
        }
        Ok(config)
    }

    /// Every source column the configuration reads, for the "column found in
    /// no record" check.
    pub fn colonnes(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (champ, s) in &self.scalaires {
            colonnes_scalaire(s, champ, &mut out);
        }
        if let Some(s) = &self.semaine_ouverture {
            colonnes_scalaire(s, "semaine_ouverture", &mut out);
        }
        for (champ, regles) in &self.enumeres {
            for r in regles {
                for c in r.colonnes.iter().flatten() {
                    out.push((champ.clone(), c.clone()));
                }
            }
        }
        if let Some(h) = &self.horaires {
            for j in h.jours.iter().flatten() {
                for c in &j.colonnes {
                    out.push(("horaires".to_string(), c.clone()));
                }
            }
            for c in h.semaine.iter().chain(h.osm.iter()) {
                out.push(("horaires".to_string(), c.clone()));
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

fn colonnes_scalaire(s: &Scalaire, champ: &str, out: &mut Vec<(String, String)>) {
    match s {
        Scalaire::Colonne(c) | Scalaire::Dissocier { colonnes: c, .. } => {
            out.extend(c.iter().map(|c| (champ.to_string(), c.clone())))
        }
        Scalaire::Joindre { colonnes, ou, .. } => {
            out.extend(colonnes.iter().map(|c| (champ.to_string(), c.clone())));
            if let Some(ou) = ou {
                colonnes_scalaire(ou, champ, out);
            }
        }
        Scalaire::Valeur(_) => {}
    }
}

/// A string or an array of strings.
fn chaines(v: &Value, fichier: &str, cle: &str, quoi: &str) -> Result<Vec<String>, Issue> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(fatale(
                    fichier,
                    cle,
                    format!("« {quoi} » doit être une liste de textes"),
                )),
            })
            .collect(),
        _ => Err(fatale(
            fichier,
            cle,
            format!("« {quoi} » doit être un texte ou une liste de textes"),
        )),
    }
}

fn objet<'a>(v: &'a Value, fichier: &str, cle: &str) -> Result<&'a Map<String, Value>, Issue> {
    v.as_object()
        .ok_or_else(|| fatale(fichier, cle, "un objet est attendu"))
}

fn texte(o: &Map<String, Value>, nom: &str, fichier: &str, cle: &str) -> Result<String, Issue> {
    match o.get(nom) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(fatale(
            fichier,
            cle,
            format!("« {nom} » doit être un texte"),
        )),
    }
}

fn lire_scalaire(v: &Value, fichier: &str, cle: &str) -> Result<Scalaire, Issue> {
    let o = objet(v, fichier, cle)?;
    if let Some(j) = o.get("joindre") {
        let j = objet(j, fichier, cle)?;
        let colonnes = chaines(
            j.get("colonnes").unwrap_or(&Value::Null),
            fichier,
            cle,
            "joindre.colonnes",
        )?;
        let separateur = match j.get("séparateur").or_else(|| j.get("separateur")) {
            None => " ".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(fatale(fichier, cle, "« séparateur » doit être un texte")),
        };
        // `ou` may sit inside `joindre` (rhin-occ) or beside it.
        let ou = match j.get("ou").or_else(|| o.get("ou")) {
            None => None,
            Some(ou) => Some(Box::new(lire_scalaire(ou, fichier, cle)?)),
        };
        return Ok(Scalaire::Joindre {
            colonnes,
            separateur,
            ou,
        });
    }
    if let Some(d) = o.get("dissocier") {
        let d = objet(d, fichier, cle)?;
        let colonnes = chaines(
            d.get("colonne").unwrap_or(&Value::Null),
            fichier,
            cle,
            "dissocier.colonne",
        )?;
        let separateur = texte(d, "séparateur", fichier, cle)
            .or_else(|_| texte(d, "separateur", fichier, cle))?;
        let partie = d
            .get("partie")
            .and_then(Value::as_u64)
            .and_then(|p| usize::try_from(p).ok())
            .ok_or_else(|| fatale(fichier, cle, "« partie » doit être un entier positif"))?;
        return Ok(Scalaire::Dissocier {
            colonnes,
            separateur,
            partie,
        });
    }
    if let Some(c) = o.get("colonne") {
        return Ok(Scalaire::Colonne(chaines(c, fichier, cle, "colonne")?));
    }
    if o.contains_key("valeur") {
        return Ok(Scalaire::Valeur(texte(o, "valeur", fichier, cle)?));
    }
    Err(fatale(
        fichier,
        cle,
        "forme inconnue (attendu « colonne », « valeur », « joindre » ou « dissocier »)",
    ))
}

fn lire_regles(v: &Value, fichier: &str, cle: &str) -> Result<Vec<Regle>, Issue> {
    let Value::Array(liste) = v else {
        return Err(fatale(fichier, cle, "une liste de règles est attendue"));
    };
    let mut regles = Vec::with_capacity(liste.len());
    for r in liste {
        let o = objet(r, fichier, cle)?;
        let mut regle = Regle::default();
        for (k, v) in o {
            match k.as_str() {
                "colonnes" => regle.colonnes = Some(chaines(v, fichier, cle, "colonnes")?),
                "termes" => regle.termes = Some(chaines(v, fichier, cle, "termes")?),
                "sauf" => regle.sauf = chaines(v, fichier, cle, "sauf")?,
                "cible" => {
                    regle.cible = Some(
                        v.as_str()
                            .ok_or_else(|| fatale(fichier, cle, "« cible » doit être un texte"))?
                            .to_string(),
                    )
                }
                "modalitesAccompagnement" | "modalites_accompagnement" => {
                    regle.modalites_accompagnement = Some(
                        v.as_str()
                            .ok_or_else(|| {
                                fatale(
                                    fichier,
                                    cle,
                                    "« modalitesAccompagnement » doit être un texte",
                                )
                            })?
                            .to_string(),
                    )
                }
                autre => {
                    return Err(fatale(
                        fichier,
                        cle,
                        format!("règle avec une clé inconnue « {autre} »"),
                    ))
                }
            }
        }
        if regle.colonnes.is_none() && regle.cible.is_none() {
            return Err(fatale(
                fichier,
                cle,
                "une règle sans « colonnes » doit avoir une « cible »",
            ));
        }
        regles.push(regle);
    }
    Ok(regles)
}

/// OSM day code of a configuration day (`Sun` in siilab is a typo for `Su`).
fn jour_osm(texte: &str) -> Option<&'static str> {
    let t = texte.trim().to_ascii_lowercase();
    let code = match t.get(..2)? {
        "mo" => "Mo",
        "tu" => "Tu",
        "we" => "We",
        "th" => "Th",
        "fr" => "Fr",
        "sa" => "Sa",
        "su" => "Su",
        _ => return None,
    };
    Some(code)
}

fn lire_horaires(v: &Value, fichier: &str) -> Result<Horaires, Issue> {
    let cle = "horaires";
    let o = objet(v, fichier, cle)?;
    let mut h = Horaires::default();
    for (k, v) in o {
        match k.as_str() {
            "jours" => {
                let Value::Array(jours) = v else {
                    return Err(fatale(fichier, cle, "« jours » doit être une liste"));
                };
                let mut liste = Vec::new();
                for j in jours {
                    let j = objet(j, fichier, cle)?;
                    let osm = texte(j, "osm", fichier, cle)?;
                    let code = jour_osm(&osm).ok_or_else(|| {
                        fatale(fichier, cle, format!("jour OSM inconnu « {osm} »"))
                    })?;
                    let colonnes = chaines(
                        j.get("colonne").unwrap_or(&Value::Null),
                        fichier,
                        cle,
                        "jours.colonne",
                    )?;
                    liste.push(JourHoraires {
                        osm: code.to_string(),
                        colonnes,
                    });
                }
                h.jours = Some(liste);
            }
            "semaine" => h.semaine = Some(texte(o, "semaine", fichier, cle)?),
            // francil-in writes `colonne`: a column that is OSM or French text.
            "osm" | "colonne" => h.osm = Some(texte(o, k, fichier, cle)?),
            autre => {
                return Err(fatale(
                    fichier,
                    cle,
                    format!(
                        "forme inconnue « {autre} » (attendu « jours », « semaine » ou « osm »)"
                    ),
                ))
            }
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_shapes_are_fatal_and_name_the_key() {
        let e = Configuration::depuis_json(br#"{"nom": "x"}"#, "a.json").expect_err("bad");
        assert_eq!(e.severity, Gravite::Fatale);
        assert!(
            e.message.contains("« nom »") && e.message.contains("a.json"),
            "{e}"
        );
        let e = Configuration::depuis_json(br#"{"services": {"cible": "x"}}"#, "b.json")
            .expect_err("bad");
        assert!(e.message.contains("« services »"), "{e}");
        let e = Configuration::depuis_json(b"{", "c.json").expect_err("bad");
        assert!(e.message.contains("JSON illisible"), "{e}");
        let e = Configuration::depuis_json(
            br#"{"horaires": {"jours": [{"colonne": "l", "osm": "Xx"}]}}"#,
            "d.json",
        )
        .expect_err("bad");
        assert!(e.message.contains("Xx"), "{e}");
    }

    #[test]
    fn unknown_key_is_a_warning() {
        let c = Configuration::depuis_json(br#"{"nom": {"colonne": "n"}, "bidule": 1}"#, "a.json")
            .expect("ok");
        assert_eq!(c.avertissements.len(), 1);
        assert_eq!(c.avertissements[0].severity, Gravite::Avertissement);
        assert!(c.avertissements[0].message.contains("bidule"));
        assert_eq!(
            c.scalaires.get("nom"),
            Some(&Scalaire::Colonne(vec!["n".to_string()]))
        );
    }
}
