//! Indice de Fragilité Numérique, **rank-based method (v2, 2021–2022,
//! fragilite-numerique.fr)**; see `docs/resources-territory-programme.md`
//! §3.2 of the shared documentation.
//!
//! What the method publishes, and what is our reading where it does not:
//!
//! * **Rank.** For each selected indicator, the communes having a value are
//!   ranked among themselves (pass the whole of France to reproduce the
//!   national ranking; give Paris, Lyon and Marseille either as communes or
//!   as arrondissements, not both, or they weigh twice in the ranks). A commune's percentile is the mid-rank one,
//!   `p = (number of strictly lower values + ½ × number of equal values) / n`,
//!   so tied communes share one percentile and the median sits at `p = ½`.
//! * **Band.** The v2 score of an indicator is an integer from −3 to +3,
//!   "median → 0, top decile → +3"; the cut-offs are not published, decile
//!   banding is implied. We use the decile `d = ⌊10 p⌋` (0..9) and the
//!   symmetric bands: d0 → −3, d1 → −2, d2–d3 → −1, d4–d5 → 0, d6–d7 → +1,
//!   d8 → +2, d9 → +3.
//! * **Direction.** A band is "+ = more fragile": an indicator where a higher
//!   value means *less* fragile (broadband coverage, for instance) has its
//!   band negated ([`Sens::Inverse`]). The v2 and v3 indicators are all
//!   written so that higher is more fragile (`no_thd_coverage_rate`, …).
//! * **Total.** The sum of the bands, rescaled to −10..+10: `Σ × 10 / (3 k)`
//!   with `k` the number of indicators summed (11 indicators: Σ / 3.3, as
//!   published). Fewer selected indicators are rescaled the same way.
//! * **Missing values.** A commune without a value for an indicator is left
//!   out of that indicator's ranking and the sum is rescaled over the
//!   indicators it has (`k` is per commune), rather than counting the missing
//!   one as the median; a commune with no value at all gets no score.
//! * **Aggregation.** EPCI, département and région scores are the
//!   population-weighted mean of their communes' scores.

use std::collections::{BTreeMap, HashSet};

use maillage_lieux::Texte;
use maillage_territoires::{Commune, Referentiel};
use serde::Serialize;

use crate::indicateurs::TableIndicateurs;
use crate::{arrondissement_en_double, Echelon};

/// Which way an indicator points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sens {
    /// A higher value is more fragile (poverty rate, share without THD).
    Direct,
    /// A higher value is less fragile (broadband coverage rate).
    Inverse,
}

/// A selected indicator: its key (a column of the indicator file) and its
/// direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Indicateur {
    pub cle: Texte,
    pub sens: Sens,
}

impl Indicateur {
    /// An indicator where a higher value is more fragile.
    pub fn direct(cle: &str) -> Self {
        Indicateur {
            cle: cle.into(),
            sens: Sens::Direct,
        }
    }

    /// An indicator where a higher value is less fragile.
    pub fn inverse(cle: &str) -> Self {
        Indicateur {
            cle: cle.into(),
            sens: Sens::Inverse,
        }
    }

    /// The 11 indicators of the v2 "général" mode, keys as published.
    pub fn ifn_v2_general() -> Vec<Indicateur> {
        [
            "no_thd_coverage_rate",
            "poverty_rate",
            "library_distance",
            "public_service_distance",
            "menseul_rate",
            "fammono_rate",
            "unemployement_rate",
            "foreigners_rate",
            "social_assistance_rate",
            "older_65_rate",
            "nscol15p_rate",
        ]
        .into_iter()
        .map(Indicateur::direct)
        .collect()
    }

    /// The 5 indicators of the v3 IFN score (CREDOC/ANCT 2023), here scored
    /// with the v2 ranks.
    pub fn ifn_v3() -> Vec<Indicateur> {
        [
            "no_thd_coverage_rate",
            "no_4g_coverage_rate",
            "older_65_rate",
            "nscol15p_rate",
            "poverty_rate",
        ]
        .into_iter()
        .map(Indicateur::direct)
        .collect()
    }
}

/// Score of one commune.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreCommune {
    /// −10 (least fragile) .. +10 (most fragile).
    pub score: f64,
    /// Band −3..+3 per indicator, direction applied ("+ = more fragile");
    /// indicators without a value are absent.
    pub notes: BTreeMap<Texte, i8>,
}

/// Score of a territory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreTerritoire {
    /// Population-weighted mean of its communes' scores.
    pub score: f64,
    /// Communes with a score.
    pub communes: usize,
    /// Their population (the weight).
    pub population: u64,
}

/// Band −3..+3 of a percentile (see the module documentation).
fn bande(percentile: f64) -> i8 {
    match (percentile * 10.0).floor() as i64 {
        i64::MIN..=0 => -3,
        1 => -2,
        2 | 3 => -1,
        4 | 5 => 0,
        6 | 7 => 1,
        8 => 2,
        _ => 3,
    }
}

/// Band of every value (same order), ties sharing their mid-rank
/// percentile. Values must be finite.
fn bandes(valeurs: &[f64]) -> Vec<i8> {
    let n = valeurs.len();
    let mut ordre: Vec<usize> = (0..n).collect();
    ordre.sort_by(|&a, &b| valeurs[a].total_cmp(&valeurs[b]));
    let mut notes = vec![0; n];
    let mut debut = 0;
    while debut < n {
        let v = valeurs[ordre[debut]];
        let fin = debut
            + ordre[debut..]
                .iter()
                .take_while(|&&i| valeurs[i] == v)
                .count();
        let p = (debut as f64 + (fin - debut) as f64 / 2.0) / n as f64;
        for &i in &ordre[debut..fin] {
            notes[i] = bande(p);
        }
        debut = fin;
    }
    notes
}

/// Scores of every commune of the table having a value for at least one
/// selected indicator. An indicator absent from the table, or selected
/// twice, counts once or not at all; non-finite values are treated as
/// missing.
pub fn scores_fragilite(
    table: &TableIndicateurs,
    indicateurs: &[Indicateur],
) -> BTreeMap<Texte, ScoreCommune> {
    let mut notes: BTreeMap<Texte, BTreeMap<Texte, i8>> = BTreeMap::new();
    let mut vus = HashSet::new();
    for ind in indicateurs.iter().filter(|i| vus.insert(i.cle.clone())) {
        let (codes, valeurs): (Vec<&Texte>, Vec<f64>) = table
            .valeurs
            .iter()
            .filter_map(|(code, v)| {
                v.get(&ind.cle)
                    .copied()
                    .filter(|x| x.is_finite())
                    .map(|x| (code, x))
            })
            .unzip();
        for (code, note) in codes.into_iter().zip(bandes(&valeurs)) {
            let note = match ind.sens {
                Sens::Direct => note,
                Sens::Inverse => -note,
            };
            notes
                .entry(code.clone())
                .or_default()
                .insert(ind.cle.clone(), note);
        }
    }
    notes
        .into_iter()
        .map(|(code, notes)| {
            let somme: i64 = notes.values().map(|&n| i64::from(n)).sum();
            let score = somme as f64 * 10.0 / (3.0 * notes.len() as f64);
            (code, ScoreCommune { score, notes })
        })
        .collect()
}

/// Population-weighted mean of the scores of the given communes; `None`
/// when none has both a score and a population. An arrondissement municipal
/// is skipped when its commune has a score too (no double counting), and
/// repeated codes count once.
pub fn score_pondere<'a>(
    scores: &BTreeMap<Texte, ScoreCommune>,
    referentiel: &Referentiel,
    codes: impl IntoIterator<Item = &'a str>,
) -> Option<ScoreTerritoire> {
    let mut vus = HashSet::new();
    let mut somme = Somme::default();
    for code in codes.into_iter().filter(|c| vus.insert(*c)) {
        if let Some(c) = referentiel.commune(code) {
            somme.ajouter(scores, c);
        }
    }
    somme.resultat()
}

/// Population-weighted scores per EPCI, département, région or for France
/// (see [`score_pondere`] for what is counted).
pub fn agreger_scores(
    scores: &BTreeMap<Texte, ScoreCommune>,
    referentiel: &Referentiel,
    echelon: Echelon,
) -> BTreeMap<Texte, ScoreTerritoire> {
    let mut groupes: BTreeMap<Texte, Somme> = BTreeMap::new();
    for code in scores.keys() {
        let Some(c) = referentiel.commune(code) else {
            continue;
        };
        if let Some(cle) = echelon.cle(c) {
            groupes.entry(cle).or_default().ajouter(scores, c);
        }
    }
    groupes
        .into_iter()
        .filter_map(|(k, s)| Some((k, s.resultat()?)))
        .collect()
}

#[derive(Default)]
struct Somme {
    ponderee: f64,
    population: u64,
    communes: usize,
}

impl Somme {
    fn ajouter(&mut self, scores: &BTreeMap<Texte, ScoreCommune>, c: &Commune) {
        if arrondissement_en_double(c, &|p| scores.contains_key(p)) {
            return;
        }
        let (Some(s), Some(pop)) = (scores.get(&c.code_insee), c.population) else {
            return;
        };
        if pop == 0 {
            return;
        }
        self.ponderee += s.score * pop as f64;
        self.population += pop;
        self.communes += 1;
    }

    fn resultat(self) -> Option<ScoreTerritoire> {
        (self.population > 0).then(|| ScoreTerritoire {
            score: self.ponderee / self.population as f64,
            communes: self.communes,
            population: self.population,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandes_de_dix_valeurs() {
        // p = 0.05, 0.15, …, 0.95: one commune per decile.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(bandes(&v), vec![-3, -2, -1, -1, 0, 0, 1, 1, 2, 3]);
        // Order of the input does not matter.
        let w: Vec<f64> = v.iter().rev().copied().collect();
        assert_eq!(bandes(&w), vec![3, 2, 1, 1, 0, 0, -1, -1, -2, -3]);
    }

    #[test]
    fn egalites_partagent_la_bande() {
        // 20 values: 1 ×4 (p = 2/20 = 0.1 → d1), 2 ×12 (p = (4+6)/20 = 0.5
        // → d5), 3 ×4 (p = (16+2)/20 = 0.9 → d9).
        let mut v = vec![1.0; 4];
        v.extend(vec![2.0; 12]);
        v.extend(vec![3.0; 4]);
        let b = bandes(&v);
        assert!(b[..4].iter().all(|&x| x == -2));
        assert!(b[4..16].iter().all(|&x| x == 0));
        assert!(b[16..].iter().all(|&x| x == 3));
        // All equal, or a single commune: the median, 0.
        assert_eq!(bandes(&[5.0; 7]), vec![0; 7]);
        assert_eq!(bandes(&[5.0]), vec![0]);
        assert!(bandes(&[]).is_empty());
    }

    #[test]
    fn bornes_des_bandes() {
        assert_eq!(bande(0.0), -3);
        assert_eq!(bande(0.0999), -3);
        assert_eq!(bande(0.1), -2);
        assert_eq!(bande(0.3999), -1);
        assert_eq!(bande(0.4), 0);
        assert_eq!(bande(0.5999), 0);
        assert_eq!(bande(0.6), 1);
        assert_eq!(bande(0.8), 2);
        assert_eq!(bande(0.9), 3);
        assert_eq!(bande(1.0), 3);
    }
}
