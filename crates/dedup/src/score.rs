//! Evidence that two records describe the same place, and its combination
//! into one score. The weights are log-odds: each piece of evidence adds or
//! removes points from a sceptical prior; the sum goes through a logistic
//! function into [0, 1]. See docs/doublons.md for the reasoning.

use crate::normalisation::{haversine, Prepare};
use crate::{Fiche, Options};
use maillage_lieux::enums::Typologie;
use maillage_lieux::Ensemble;
use serde::Serialize;

/// Prior: two records taken at random are almost never the same place.
pub const A_PRIORI: f64 = -4.0;

/// How the pivots of two records relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RelationPivot {
    /// At least one side has no real pivot.
    Inconnue,
    Egal,
    /// Different SIRETs of the same company (SIREN): a chain, or one
    /// organisation moving its establishment.
    MemeSiren,
    Different,
}

/// How the typologies of two records relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RelationTypologie {
    /// At least one side is empty.
    Inconnue,
    Partagee,
    /// No shared code, but codes that often describe one place (RFS↔PIMMS…).
    Compatible,
    Incompatible,
}

/// The evidence on a pair and its combination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Name similarity in [0, 1].
    pub nom: f64,
    /// True when the names share a distinctive (non generic) word, or are
    /// equal and not made of generic words only.
    pub nom_distinctif: bool,
    /// Street similarity in [0, 1], `None` when a street is missing.
    pub voie: Option<f64>,
    /// House numbers: `Some(true)` equal, `Some(false)` different, `None`
    /// when one is missing.
    pub numero: Option<bool>,
    /// Distance in metres, `None` when coordinates are missing.
    pub distance_m: Option<f64>,
    /// True when one point only locates the commune.
    pub distance_approximative: bool,
    /// Same commune (INSEE code, else folded name).
    pub meme_commune: bool,
    pub pivot: RelationPivot,
    /// `None` when a phone is missing.
    pub telephone: Option<bool>,
    /// `None` when an e-mail is missing.
    pub courriel: Option<bool>,
    /// Same specific website host (`None` when one side has none).
    pub site: Option<bool>,
    pub typologie: RelationTypologie,
    /// Both names say what kind of place they are, and the kinds differ
    /// ("Mairie" / "Bibliothèque").
    pub genres_differents: bool,
    pub meme_source: bool,
    /// Sum of the points (log-odds).
    pub points: f64,
    /// Combined score in [0, 1].
    pub total: f64,
}

/// Pairs of codes that often describe the same place in different sources:
/// a France Services hosted in a PIMMS, a médiathèque run by the commune, a
/// public internet space inside a library or a social centre.
const TYPOLOGIES_COMPATIBLES: &[(Typologie, Typologie)] = &[
    (Typologie::Rfs, Typologie::Pimms),
    (Typologie::Rfs, Typologie::Msap),
    (Typologie::Rfs, Typologie::Muni),
    (Typologie::Rfs, Typologie::Cc),
    (Typologie::Rfs, Typologie::Cs),
    (Typologie::Rfs, Typologie::Csc),
    (Typologie::Rfs, Typologie::Asso),
    (Typologie::Rfs, Typologie::LaPoste),
    (Typologie::Muni, Typologie::Bib),
    (Typologie::Muni, Typologie::Ccas),
    (Typologie::Muni, Typologie::Epn),
    (Typologie::Bib, Typologie::Epn),
    (Typologie::Cs, Typologie::Csc),
    (Typologie::Cs, Typologie::Asso),
    (Typologie::Csc, Typologie::Asso),
    (Typologie::Mjc, Typologie::Asso),
    (Typologie::Cc, Typologie::Epci),
    (Typologie::Ccas, Typologie::Cias),
    (Typologie::TiersLieux, Typologie::Asso),
    (Typologie::TiersLieux, Typologie::Fablab),
    (Typologie::Epn, Typologie::Asso),
];

pub(crate) fn relation_typologie(
    a: Ensemble<Typologie>,
    b: Ensemble<Typologie>,
) -> RelationTypologie {
    if a.is_empty() || b.is_empty() {
        return RelationTypologie::Inconnue;
    }
    if !(a & b).is_empty() {
        return RelationTypologie::Partagee;
    }
    let compatible = TYPOLOGIES_COMPATIBLES
        .iter()
        .any(|(x, y)| (a.contains(*x) && b.contains(*y)) || (a.contains(*y) && b.contains(*x)));
    if compatible {
        RelationTypologie::Compatible
    } else {
        RelationTypologie::Incompatible
    }
}

/// Name similarity: the best of a weighted token-set measure (generic words
/// and the commune's name count for a quarter) and a character measure
/// (Jaro-Winkler, tolerant to typos and glued words).
fn similarite_nom(a: &Prepare, b: &Prepare) -> (f64, bool) {
    // Token matching is greedy: take the better direction so that the score
    // of (a, b) is the score of (b, a).
    let (x, dx) = similarite_nom_orientee(a, b);
    let (y, dy) = similarite_nom_orientee(b, a);
    (x.max(y), dx || dy)
}

fn similarite_nom_orientee(a: &Prepare, b: &Prepare) -> (f64, bool) {
    if a.jetons_nom.is_empty() || b.jetons_nom.is_empty() {
        return (0.0, false);
    }
    let poids = |v: &[(String, f64)]| v.iter().map(|(_, p)| p).sum::<f64>();
    let (wa, wb) = (poids(&a.jetons_nom), poids(&b.jetons_nom));
    let mut commun = 0.0;
    let mut distinctif = false;
    let mut pris = vec![false; b.jetons_nom.len()];
    for (m, p) in &a.jetons_nom {
        // A token matches its twin or a near-twin (typo, plural), once.
        let lm = longueur(m);
        let trouve = b.jetons_nom.iter().enumerate().position(|(k, (n, _))| {
            if pris[k] {
                return false;
            }
            if n == m {
                return true;
            }
            let ln = longueur(n);
            (lm >= 5 && ln >= 5 && jaro_winkler_au_moins(m, lm, n, ln, 0.93))
                || (lm >= 4 && ln >= 4 && au_plus_une_edition(m, n))
        });
        if let Some(k) = trouve {
            pris[k] = true;
            let q = &b.jetons_nom[k].1;
            let w = p.min(*q);
            commun += w;
            if w >= 1.0 {
                distinctif = true;
            }
        }
    }
    let dice = 2.0 * commun / (wa + wb);
    // "APEJ" vs "APEJ COGNAC": one name inside the other counts, a little less.
    let inclusion = commun / wa.min(wb);
    let jetons = dice.max(0.9 * inclusion);
    // Jaro-Winkler is generous with shared prefixes ("mairie de x" / "mairie
    // de y"): only trust it when it is very high.
    let caracteres =
        if jaro_winkler_au_moins(&a.nom, longueur(&a.nom), &b.nom, longueur(&b.nom), 0.93) {
            strsim::jaro_winkler(&a.nom, &b.nom)
        } else {
            0.0
        };
    let s = jetons.max(caracteres).clamp(0.0, 1.0);
    // Equal names, even generic ones ("Mairie Bassac"): the other evidence
    // (commune, distance) still has to agree.
    if a.nom == b.nom {
        distinctif = true;
    }
    // "CSCS FLEP" and "Foyer laïque d'éducation permanente".
    let sigle = |x: &Prepare, y: &Prepare| {
        x.sigle.len() >= 3
            && y.jetons_nom.iter().any(|(m, _)| {
                *m == x.sigle
                    || (x.sigle.len() >= 4
                        && m.len() >= 3
                        && x.sigle.contains(m.as_str())
                        && m.len() * 4 >= x.sigle.len() * 3)
            })
    };
    if sigle(a, b) || sigle(b, a) {
        return (s.max(0.9), true);
    }
    if caracteres >= 0.96 && (wa >= 1.0 || wb >= 1.0) {
        distinctif = true;
    }
    (s, distinctif)
}

/// Length in characters; normalised texts are mostly ASCII.
fn longueur(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// `jaro_winkler(a, b) >= seuil`, skipping the computation when the lengths
/// alone rule it out. Jaro is at most (2 + court/long) / 3 (every character
/// of the shorter string matched, no transposition) and Winkler's bonus adds
/// at most 0.4 × (1 − jaro), so the result is at most 0.6 × jaro + 0.4.
fn jaro_winkler_au_moins(a: &str, la: usize, b: &str, lb: usize, seuil: f64) -> bool {
    let (court, long) = (la.min(lb), la.max(lb));
    if long == 0 {
        return strsim::jaro_winkler(a, b) >= seuil;
    }
    let jaro_max = (2.0 + court as f64 / long as f64) / 3.0;
    // A hair of slack against rounding: the bounds only skip, never accept.
    let borne = |jaro_max: f64| 0.6 * jaro_max + 0.4 + 1e-9 < seuil;
    if borne(jaro_max) {
        return false;
    }
    // Tighter: matching characters are at most the common characters
    // (counted by byte buckets, which can only overestimate them).
    let mut compte = [0u16; 256];
    for o in a.bytes() {
        compte[usize::from(o)] = compte[usize::from(o)].saturating_add(1);
    }
    let mut communs = 0usize;
    for o in b.bytes() {
        let c = &mut compte[usize::from(o)];
        if *c > 0 {
            *c -= 1;
            communs += 1;
        }
    }
    // Bytes overcount the characters of a multi-byte text: cap by length.
    let m = communs.min(court) as f64;
    if borne((m / la as f64 + m / lb as f64 + 1.0) / 3.0) {
        return false;
    }
    strsim::jaro_winkler(a, b) >= seuil
}

/// `damerau_levenshtein(a, b) <= 1` in one pass: equal, one substitution,
/// one swap of neighbours, or one insertion/deletion.
pub(crate) fn au_plus_une_edition(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let x: Vec<char> = a.chars().collect();
    let y: Vec<char> = b.chars().collect();
    let (court, long) = if x.len() <= y.len() {
        (&x, &y)
    } else {
        (&y, &x)
    };
    if long.len() - court.len() > 1 {
        return false;
    }
    let debut = court
        .iter()
        .zip(long.iter())
        .take_while(|(p, q)| p == q)
        .count();
    if court.len() == long.len() {
        let reste_egal = |de: usize| court.get(de..) == long.get(de..);
        // One substitution at `debut`, or the swap of `debut` and `debut + 1`.
        reste_egal(debut + 1)
            || (court.get(debut) == long.get(debut + 1)
                && court.get(debut + 1) == long.get(debut)
                && reste_egal(debut + 2))
    } else {
        // One insertion in the longer string at `debut`.
        court.get(debut..) == long.get(debut + 1..)
    }
}

fn similarite_voie(a: &Prepare, b: &Prepare) -> Option<f64> {
    let complete = similarite_chaines(&a.voie, &b.voie)?;
    // Same street name under another street type ("rue"/"chemin du Halage").
    let sans_type = similarite_chaines(&a.voie_sans_type, &b.voie_sans_type).unwrap_or(0.0);
    Some(complete.max(0.95 * sans_type))
}

fn similarite_chaines(a: &str, b: &str) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(1.0);
    }
    let lev = strsim::normalized_levenshtein(a, b);
    // Token containment: "place jean jacques rousseau" in "omega place jean
    // jacques rousseau".
    let mut ta: Vec<&str> = a.split(' ').collect();
    let mut tb: Vec<&str> = b.split(' ').collect();
    ta.sort_unstable();
    ta.dedup();
    tb.sort_unstable();
    tb.dedup();
    let communs = ta.iter().filter(|t| tb.contains(t)).count() as f64;
    let inclusion = communs / (ta.len().min(tb.len()) as f64);
    Some(lev.max(0.9 * inclusion).clamp(0.0, 1.0))
}

/// Scores a pair with the default options.
pub fn score(a: &Fiche, b: &Fiche) -> Score {
    score_avec(a, b, &Options::default())
}

/// Scores a pair.
pub fn score_avec(a: &Fiche, b: &Fiche, options: &Options) -> Score {
    let pa = Prepare::depuis(a.lieu);
    let pb = Prepare::depuis(b.lieu);
    score_prepare(a, &pa, b, &pb, options)
}

pub(crate) fn score_prepare(
    a: &Fiche,
    pa: &Prepare,
    b: &Fiche,
    pb: &Prepare,
    options: &Options,
) -> Score {
    let (nom, nom_distinctif) = similarite_nom(pa, pb);
    let voie = similarite_voie(pa, pb);
    let numero = match (&pa.numero, &pb.numero) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    };
    let distance_m = match (pa.point, pb.point) {
        (Some(x), Some(y)) => Some(haversine(x, y)),
        _ => None,
    };
    let distance_approximative = pa.point_approximatif || pb.point_approximatif;
    let meme_commune = !pa.commune.is_empty() && pa.commune == pb.commune
        || (pa.code_insee.is_some() && pa.code_insee == pb.code_insee);
    let pivot = match (&pa.pivot, &pb.pivot) {
        (Some(x), Some(y)) if x == y => RelationPivot::Egal,
        (Some(_), Some(_)) if pa.siren.is_some() && pa.siren == pb.siren => {
            RelationPivot::MemeSiren
        }
        (Some(_), Some(_)) => RelationPivot::Different,
        _ => RelationPivot::Inconnue,
    };
    let telephone = match (&pa.telephone, &pb.telephone) {
        (Some(x), Some(y)) => Some(x == y),
        _ => None,
    };
    let courriel = if pa.courriels.is_empty() || pb.courriels.is_empty() {
        None
    } else {
        Some(pa.courriels.iter().any(|c| pb.courriels.contains(c)))
    };
    let site = if pa.hotes.is_empty() || pb.hotes.is_empty() {
        None
    } else {
        Some(pa.hotes.iter().any(|h| pb.hotes.contains(h)))
    };
    let typologie = relation_typologie(a.lieu.typologie, b.lieu.typologie);
    let meme_source = a.source == b.source;

    let mut points = A_PRIORI;
    // Name: the main evidence, capped when only generic words agree.
    let mut p_nom = 6.0 * (nom - 0.55);
    if !nom_distinctif {
        p_nom = p_nom.min(1.0);
    }
    points += p_nom.clamp(-3.0, 2.7);
    // Street and number.
    points += match (voie, numero) {
        (Some(v), Some(false)) if v >= 0.9 => -0.5,
        (Some(v), _) if v >= 0.9 => 1.5,
        (Some(v), _) if v >= 0.75 => 0.5,
        (Some(_), _) => -1.0,
        (None, _) => 0.0,
    };
    // Distance: unknown is not a match.
    points += match distance_m {
        None => 0.0,
        Some(d) if distance_approximative => {
            if d <= 2_000.0 {
                0.0
            } else if d <= 10_000.0 {
                -1.0
            } else {
                -3.0
            }
        }
        Some(d) if d <= 30.0 => 2.0,
        Some(d) if d <= 100.0 => 1.5,
        Some(d) if d <= 300.0 => 0.8,
        Some(d) if d <= 1_000.0 => 0.0,
        Some(d) if d <= 2_000.0 => -1.0,
        Some(d) if d <= 10_000.0 => -3.0,
        Some(_) => -5.0,
    };
    // Commune: a small plus; a different commune only counts against when
    // coordinates cannot tell (a wrong INSEE code must not forbid a match).
    points += if meme_commune {
        0.5
    } else {
        match distance_m {
            Some(d) if d <= 1_000.0 => 0.0,
            // Far apart: the distance already said it.
            Some(_) => -1.0,
            None => -2.5,
        }
    };
    points += match pivot {
        RelationPivot::Egal => 2.5,
        RelationPivot::MemeSiren => -0.5,
        RelationPivot::Different => -2.0,
        RelationPivot::Inconnue => 0.0,
    };
    let mut contact: f64 = match telephone {
        Some(true) => 2.0,
        Some(false) => -0.3,
        None => 0.0,
    };
    contact += match courriel {
        Some(true) => 2.0,
        _ => 0.0,
    };
    contact += match site {
        Some(true) => 0.8,
        _ => 0.0,
    };
    // One organisation, several sites (antennas, bus stops): shared contacts
    // do not make two communes one place.
    if !meme_commune && distance_m.is_none_or(|d| d > 2_000.0) {
        contact = contact.min(1.0);
    }
    points += contact;
    if pa.familles != 0 && pb.familles != 0 && pa.familles & pb.familles == 0 {
        points -= 2.5;
    }
    points += match typologie {
        RelationTypologie::Partagee => 0.3,
        RelationTypologie::Incompatible => -1.0,
        _ => 0.0,
    };
    if meme_source && !options.meme_source {
        points -= 3.0;
    }
    let total = 1.0 / (1.0 + (-points).exp());
    Score {
        nom,
        nom_distinctif,
        voie,
        numero,
        distance_m,
        distance_approximative,
        meme_commune,
        pivot,
        telephone,
        courriel,
        site,
        typologie,
        genres_differents: pa.familles != 0 && pb.familles != 0 && pa.familles & pb.familles == 0,
        meme_source,
        points,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The shortcuts must agree with the measures they replace, on short
        // strings over a small alphabet (where near-twins are frequent).
        #[test]
        fn une_edition_comme_damerau_levenshtein(a in "[abé ]{0,7}", b in "[abé ]{0,7}") {
            prop_assert_eq!(au_plus_une_edition(&a, &b), strsim::damerau_levenshtein(&a, &b) <= 1);
        }

        #[test]
        fn borne_de_jaro_winkler_exacte(a in "[abcé]{0,12}", b in "[abcé]{0,12}", seuil in 0.5f64..1.0) {
            let attendu = strsim::jaro_winkler(&a, &b) >= seuil;
            prop_assert_eq!(jaro_winkler_au_moins(&a, longueur(&a), &b, longueur(&b), seuil), attendu);
        }
    }

    #[test]
    fn une_edition_cas_connus() {
        assert!(au_plus_une_edition("mediatheque", "mediatheque"));
        assert!(au_plus_une_edition("mediatheque", "mediateque"));
        assert!(au_plus_une_edition("mediatheque", "meditaheque"));
        assert!(au_plus_une_edition("centre", "centres"));
        assert!(!au_plus_une_edition("centre", "centrale"));
        assert!(!au_plus_une_edition("abcd", "badc"));
    }
}
