//! "Distance from a commune, a postcode or coordinates": turns what a person
//! types into positions, offline, with the territorial referential.

use std::sync::OnceLock;

use maillage_territoires::noms::{arrondissement_nomme, cle_nom};
use maillage_territoires::{Commune, Referentiel};
use serde::Serialize;

use crate::geo::Position;

/// Most answers returned.
const MAX_REPONSES: usize = 10;

/// A resolved place to measure distances from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Localisation {
    /// `Bordeaux (33000)`, `Saint-Denis (974)`, `44.83780, -0.57920`.
    pub libelle: String,
    /// The commune (nearest one for raw coordinates).
    pub code_insee: Option<String>,
    pub position: Position,
}

#[derive(Debug)]
struct Entree {
    cle: String,
    commune: usize,
    population: u64,
}

/// Name index of the communes of a referential (built once for the
/// embedded one, see [`localiser`]).
#[derive(Debug)]
pub struct Localisateur {
    /// Sorted by key.
    entrees: Vec<Entree>,
}

impl Localisateur {
    pub fn new(referentiel: &Referentiel) -> Localisateur {
        let mut entrees: Vec<Entree> = referentiel
            .communes()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.centre().is_some())
            .map(|(i, c)| Entree {
                cle: cle_nom(&c.nom),
                commune: i,
                population: c.population.unwrap_or(0),
            })
            .collect();
        entrees.sort_by(|a, b| a.cle.cmp(&b.cle));
        Localisateur { entrees }
    }

    /// See [`localiser`].
    pub fn localiser(&self, referentiel: &Referentiel, texte: &str) -> Vec<Localisation> {
        let texte = texte.trim();
        if texte.is_empty() || texte.len() > 200 {
            return Vec::new();
        }
        if let Some(p) = coordonnees(texte) {
            let code = referentiel
                .commune_proche(p.latitude, p.longitude)
                .map(|c| c.code_insee.to_string());
            return vec![Localisation {
                libelle: format!("{:.5}, {:.5}", p.latitude, p.longitude),
                code_insee: code,
                position: p,
            }];
        }
        if texte.len() == 5 && texte.bytes().all(|b| b.is_ascii_digit()) {
            let v = par_code_postal(referentiel, texte);
            if !v.is_empty() {
                return v;
            }
        }
        if texte.len() == 5 {
            // An INSEE code (`33063`, `2A004`).
            if let Some(c) = referentiel.commune(&texte.to_ascii_uppercase()) {
                return localisation_commune(c, None).into_iter().collect();
            }
        }
        if let Some(c) = arrondissement_nomme(texte).and_then(|code| referentiel.commune(&code)) {
            return localisation_commune(c, None).into_iter().collect();
        }
        // `Bordeaux 33000`, `33000 Bordeaux`: the postcode narrows the name.
        let mut code_postal: Option<&str> = None;
        let mut mots: Vec<&str> = Vec::new();
        for m in texte.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')') {
            if m.len() == 5 && m.bytes().all(|b| b.is_ascii_digit()) {
                code_postal = Some(m);
            } else if !m.is_empty() {
                mots.push(m);
            }
        }
        let cle = cle_nom(&mots.join(" "));
        if cle.is_empty() {
            return code_postal
                .map(|cp| par_code_postal(referentiel, cp))
                .unwrap_or_default();
        }
        let communes = referentiel.communes();
        let garder = |e: &&Entree| {
            code_postal.is_none_or(|cp| communes[e.commune].codes_postaux.iter().any(|x| x == cp))
        };
        let debut = self
            .entrees
            .partition_point(|e| e.cle.as_str() < cle.as_str());
        let mut exacts: Vec<&Entree> = self.entrees[debut..]
            .iter()
            .take_while(|e| e.cle == cle)
            .filter(garder)
            .collect();
        if exacts.is_empty() {
            // Typing in progress: names starting with the text.
            exacts = self.entrees[debut..]
                .iter()
                .take_while(|e| e.cle.starts_with(cle.as_str()))
                .filter(garder)
                .collect();
        }
        if exacts.is_empty() && cle.chars().count() >= 4 {
            // A misspelling: the closest names.
            let mut proches: Vec<(&Entree, f64)> = self
                .entrees
                .iter()
                .filter(|e| garder(e))
                .map(|e| (e, strsim::jaro_winkler(&e.cle, &cle)))
                .filter(|(_, s)| *s >= 0.92)
                .collect();
            proches.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(b.0.population.cmp(&a.0.population))
            });
            exacts = proches.into_iter().map(|(e, _)| e).collect();
            exacts.truncate(MAX_REPONSES);
        }
        exacts.sort_by(|a, b| b.population.cmp(&a.population).then(a.cle.cmp(&b.cle)));
        exacts
            .into_iter()
            .filter_map(|e| localisation_commune(&communes[e.commune], code_postal))
            .take(MAX_REPONSES)
            .collect()
    }
}

fn localisation_commune(c: &Commune, code_postal: Option<&str>) -> Option<Localisation> {
    let (latitude, longitude) = c.centre()?;
    let precision = match code_postal {
        Some(cp) => cp.to_string(),
        None if c.codes_postaux.len() == 1 => c.codes_postaux[0].to_string(),
        None => c.departement.to_string(),
    };
    Some(Localisation {
        libelle: format!("{} ({precision})", c.nom),
        code_insee: Some(c.code_insee.to_string()),
        position: Position::new(latitude, longitude)?,
    })
}

fn par_code_postal(referentiel: &Referentiel, cp: &str) -> Vec<Localisation> {
    let communes = referentiel.communes_du_code_postal(cp);
    // `75015` gives Paris and Paris 15e: the arrondissement is the precise
    // answer.
    let parentes: Vec<&str> = communes
        .iter()
        .filter_map(|c| c.commune_parente())
        .collect();
    let mut v: Vec<&Commune> = communes
        .into_iter()
        .filter(|c| !parentes.contains(&c.code_insee.as_str()))
        .collect();
    v.sort_by_key(|c| std::cmp::Reverse(c.population));
    v.into_iter()
        .filter_map(|c| localisation_commune(c, Some(cp)))
        .take(MAX_REPONSES)
        .collect()
}

/// `44.8378,-0.5792`, `44.8378, -0.5792`, `44.8378 -0.5792`,
/// `44,8378 -0,5792`, `44.8378;-0.5792`.
fn coordonnees(texte: &str) -> Option<Position> {
    if texte.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    let nombre = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let paire = |a: &str, b: &str| Position::new(nombre(a)?, nombre(b)?);
    if let Some((a, b)) = texte.split_once(';') {
        return paire(a, b);
    }
    let parties: Vec<&str> = texte.split_whitespace().collect();
    if let [a, b] = parties.as_slice() {
        let a = a.trim_end_matches(',');
        return paire(a, b);
    }
    if texte.matches(',').count() == 1 {
        let (a, b) = texte.split_once(',')?;
        return paire(a, b);
    }
    None
}

/// Resolves a commune name (accents and case ignored; homonyms by
/// decreasing population; a name being typed gives the communes starting
/// with it; a misspelling the closest names), a 5-digit postcode (its
/// communes; an arrondissement rather than its city), an INSEE code, or
/// coordinates (`lat,lon`), into at most 10 positions.
pub fn localiser(referentiel: &Referentiel, texte: &str) -> Vec<Localisation> {
    static EMBARQUE: OnceLock<Localisateur> = OnceLock::new();
    let embarque = maillage_territoires::embarque()
        .ok()
        .is_some_and(|e| std::ptr::eq(e, referentiel));
    if embarque {
        EMBARQUE
            .get_or_init(|| Localisateur::new(referentiel))
            .localiser(referentiel, texte)
    } else {
        Localisateur::new(referentiel).localiser(referentiel, texte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_forms() {
        let p = coordonnees("44.8378,-0.5792").expect("comma");
        assert!((p.latitude - 44.8378).abs() < 1e-9);
        assert!(coordonnees("44,8378 -0,5792").is_some());
        assert!(coordonnees("44.8378, -0.5792").is_some());
        assert!(coordonnees("44.8378;-0.5792").is_some());
        assert!(coordonnees("33000").is_none());
        assert!(coordonnees("0,0").is_none());
        assert!(coordonnees("Bordeaux").is_none());
    }
}
