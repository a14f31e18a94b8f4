//! The national reference pipeline's duplicate rule (mednum-cli
//! `dedupliquer`, standard-lieux.md §8.5), implemented faithfully, quirks
//! included, so that Maillage can be measured against it:
//! - candidate pair: same `code_insee`, different id, different source
//!   (except in internal mode), compatible typologies (either empty, a shared
//!   code, or RFS ↔ PIMMS);
//! - score = trunc((ratio(adresse) + ratio(nom) + distance) / 3) with
//!   fuzzball's `ratio` and a distance score on degrees (missing coordinates
//!   count as a perfect match);
//! - linked when score > 83 across sources, > 90 inside one source;
//! - groups: union-find over the pairs, best score first.

use crate::{id_groupe, Fiche, Groupe};
use maillage_lieux::enums::Typologie;
use std::collections::HashMap;

/// Threshold across sources.
pub const SEUIL: u32 = 83;
/// Threshold inside one source.
pub const SEUIL_INTERNE: u32 = 90;

/// fuzzball's default processing: lower case, anything not alphanumeric
/// becomes a space, trimmed.
fn traiter(s: &str) -> Vec<char> {
    let t: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .to_lowercase();
    // Runs of spaces are collapsed (fuzzball's `collapseWhitespace`).
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// fuzzball `ratio` (python-Levenshtein ratio): 100 × (1 − indel / (len₁ +
/// len₂)), rounded; 0 when a side is empty.
pub fn ratio(a: &str, b: &str) -> u32 {
    let (a, b) = (traiter(a), traiter(b));
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    // Indel distance = len₁ + len₂ − 2·LCS.
    let mut prec = vec![0usize; b.len() + 1];
    let mut cour = vec![0usize; b.len() + 1];
    for ca in &a {
        for (j, cb) in b.iter().enumerate() {
            cour[j + 1] = if ca == cb {
                prec[j] + 1
            } else {
                cour[j].max(prec[j + 1])
            };
        }
        std::mem::swap(&mut prec, &mut cour);
    }
    let lcs = prec[b.len()] as f64;
    let total = (a.len() + b.len()) as f64;
    (100.0 * (2.0 * lcs) / total).round() as u32
}

/// Distance score on plain degrees; missing coordinates give 100 (quirk).
pub fn score_distance(a: &Fiche, b: &Fiche) -> u32 {
    let d = match (
        a.lieu.latitude,
        a.lieu.longitude,
        b.lieu.latitude,
        b.lieu.longitude,
    ) {
        (Some(la), Some(lo), Some(lb), Some(mb)) => ((la - lb).powi(2) + (lo - mb).powi(2)).sqrt(),
        _ => 0.0,
    };
    if d < 0.0004 {
        100
    } else {
        (100.0 / (d * 1000.0 + 1.0)).trunc() as u32
    }
}

/// Typologies compatible for the reference rule.
pub fn typologies_compatibles(a: &Fiche, b: &Fiche) -> bool {
    let (ta, tb) = (a.lieu.typologie, b.lieu.typologie);
    ta.is_empty()
        || tb.is_empty()
        || !(ta & tb).is_empty()
        || (ta.contains(Typologie::Rfs) && tb.contains(Typologie::Pimms))
        || (ta.contains(Typologie::Pimms) && tb.contains(Typologie::Rfs))
}

/// The reference score in [0, 100].
pub fn score(a: &Fiche, b: &Fiche) -> u32 {
    let voie = ratio(&a.lieu.adresse, &b.lieu.adresse);
    let nom = ratio(&a.lieu.nom, &b.lieu.nom);
    let distance = score_distance(a, b);
    (voie + nom + distance) / 3
}

/// Whether the reference pipeline considers the pair at all.
pub fn candidats(a: &Fiche, b: &Fiche, interne: bool) -> bool {
    a.lieu.code_insee.is_some()
        && a.lieu.code_insee == b.lieu.code_insee
        && a.lieu.id != b.lieu.id
        && (interne || a.source != b.source)
        && typologies_compatibles(a, b)
}

/// Whether the reference rule declares the pair duplicates.
pub fn doublons(a: &Fiche, b: &Fiche, interne: bool) -> bool {
    if !candidats(a, b, interne) {
        return false;
    }
    let s = score(a, b);
    if a.source == b.source {
        s > SEUIL_INTERNE
    } else {
        s > SEUIL
    }
}

/// Groups as the reference pipeline would: pairs of one commune (quadratic
/// inside a commune, as there), best score first, plain union-find.
pub fn regrouper(fiches: &[Fiche], interne: bool) -> Vec<Groupe> {
    let mut communes: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in fiches.iter().enumerate() {
        if let Some(c) = f.lieu.code_insee.as_deref() {
            communes.entry(c).or_default().push(i);
        }
    }
    let mut paires: Vec<(u32, usize, usize)> = Vec::new();
    for membres in communes.values() {
        for (k, &i) in membres.iter().enumerate() {
            for &j in &membres[k + 1..] {
                if doublons(&fiches[i], &fiches[j], interne) {
                    paires.push((score(&fiches[i], &fiches[j]), i.min(j), i.max(j)));
                }
            }
        }
    }
    paires.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut parent: Vec<usize> = (0..fiches.len()).collect();
    fn racine(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (_, i, j) in paires {
        let (ri, rj) = (racine(&mut parent, i), racine(&mut parent, j));
        if ri != rj {
            parent[ri.max(rj)] = ri.min(rj);
        }
    }
    let mut par_racine: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..fiches.len() {
        let r = racine(&mut parent, i);
        par_racine.entry(r).or_default().push(i);
    }
    let mut groupes: Vec<Groupe> = par_racine
        .into_values()
        .map(|membres| Groupe {
            id: id_groupe(fiches, &membres),
            membres,
        })
        .collect();
    groupes.sort_by_key(|g| g.membres.first().copied().unwrap_or(usize::MAX));
    groupes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_matches_fuzzball() {
        // Values from fuzzball / fuzzywuzzy's documentation.
        assert_eq!(ratio("this is a test", "this is a test!"), 100);
        assert_eq!(
            ratio("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear"),
            91
        );
        assert_eq!(ratio("hello world", "hiyyo wyrld"), 64);
        assert_eq!(ratio("", "abc"), 0);
    }
}
