//! Free-text search: normalisation, typo tolerance and the inverted index.
//!
//! Texts are folded (case, accents, punctuation: [`normaliser`]) and cut in
//! words. The index maps each distinct word (the vocabulary, sorted) to the
//! places using it, with the field it was found in. A query word matches a
//! vocabulary word exactly, as a prefix (`bordeau` → `bordeaux`) or within a
//! small edit distance (`mediateque` → `mediatheque`); candidates for the
//! edit distance come from a trigram index over the vocabulary, so a query
//! never compares against every word, let alone every place.

use std::collections::HashMap;

/// Folds a text for comparison: lower case, no accents, punctuation as
/// spaces. `« Médiathèque  L’Alpha »` → `mediatheque l alpha`.
pub fn normaliser(texte: &str) -> String {
    if !texte.is_ascii() {
        return maillage_lieux::texte::cle_comparaison(texte);
    }
    // Same result without Unicode decomposition: most addresses and many
    // names are plain ASCII, and a national catalogue folds millions.
    let mut out = String::with_capacity(texte.len());
    let mut espace = true;
    for b in texte.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b.to_ascii_lowercase()));
            espace = false;
        } else if !espace {
            out.push(' ');
            espace = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Words that carry no meaning in a place name or address: ignored in
/// queries and not indexed.
const MOTS_VIDES: &[&str] = &[
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur", "un",
    "une",
];

fn mot_vide(m: &str) -> bool {
    MOTS_VIDES.contains(&m)
}

/// Edit distance allowed for a query word of `n` characters: none for short
/// words (too many false friends), 1 from 4, 2 from 8.
fn tolerance(n: usize) -> usize {
    match n {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Shortest query word used as a prefix.
const PREFIXE_MIN: usize = 3;

/// Field bits of a posting.
pub(crate) const CHAMP_NOM: u32 = 1;
pub(crate) const CHAMP_COMMUNE: u32 = 2;
pub(crate) const CHAMP_ADRESSE: u32 = 4;
const BITS_CHAMP: u32 = 3;

/// Quality of a word match, best first.
const EXACT: u16 = 3;
const PREFIXE: u16 = 2;
const APPROCHE: u16 = 1;

/// The inverted index of one catalogue.
#[derive(Debug, Default)]
pub(crate) struct IndexTexte {
    /// Distinct words, sorted.
    vocabulaire: Vec<Box<str>>,
    /// `debuts[w]..debuts[w + 1]` are the postings of word `w`.
    debuts: Vec<u32>,
    /// `(place << 3) | field bits`, ascending by place within a word.
    postings: Vec<u32>,
    /// Trigram of a padded word → words containing it (ascending).
    trigrammes: HashMap<[u8; 3], Vec<u32>>,
}

fn trigrammes(mot: &str) -> Vec<[u8; 3]> {
    // Padding makes the first and last letters count as much as the middle
    // ones: `$$mot$`.
    let mut b = Vec::with_capacity(mot.len() + 3);
    b.extend_from_slice(b"$$");
    b.extend_from_slice(mot.as_bytes());
    b.push(b'$');
    let mut t: Vec<[u8; 3]> = b.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    t.sort_unstable();
    t.dedup();
    t
}

fn numerique(mot: &str) -> bool {
    mot.bytes().any(|b| b.is_ascii_digit())
}

/// One query word's matches in a place: best quality and fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Score(pub u16);

impl IndexTexte {
    /// Builds the index; `champs(i)` gives the texts of place `i` with their
    /// field bit.
    pub(crate) fn new<'a, F>(n: usize, champs: F) -> IndexTexte
    where
        F: Fn(usize) -> [(&'a str, u32); 4],
    {
        let mut par_mot: HashMap<String, Vec<u32>> = HashMap::new();
        let mut normes: [String; 4] = Default::default();
        for i in 0..n {
            let champs = champs(i);
            for (k, (texte, _)) in champs.iter().enumerate() {
                normes[k] = normaliser(texte);
            }
            let mut mots_du_lieu: Vec<(&str, u32)> = Vec::with_capacity(16);
            for (norme, (_, bit)) in normes.iter().zip(champs.iter()) {
                for mot in norme.split(' ') {
                    if mot.is_empty() || mot_vide(mot) {
                        continue;
                    }
                    match mots_du_lieu.iter_mut().find(|(m, _)| *m == mot) {
                        Some((_, b)) => *b |= bit,
                        None => mots_du_lieu.push((mot, *bit)),
                    }
                }
            }
            for &(mot, bits) in &mots_du_lieu {
                let posting = ((i as u32) << BITS_CHAMP) | bits;
                // Look up by reference first: allocate a key only for a new word.
                match par_mot.get_mut(mot) {
                    Some(v) => v.push(posting),
                    None => {
                        par_mot.insert(mot.to_string(), vec![posting]);
                    }
                }
            }
        }
        let mut mots: Vec<(String, Vec<u32>)> = par_mot.into_iter().collect();
        mots.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let total: usize = mots.iter().map(|(_, p)| p.len()).sum();
        let mut index = IndexTexte {
            vocabulaire: Vec::with_capacity(mots.len()),
            debuts: Vec::with_capacity(mots.len() + 1),
            postings: Vec::with_capacity(total),
            trigrammes: HashMap::new(),
        };
        for (w, (mot, postings)) in mots.into_iter().enumerate() {
            index.debuts.push(index.postings.len() as u32);
            index.postings.extend_from_slice(&postings);
            if mot.chars().count() >= 4 && !numerique(&mot) {
                for t in trigrammes(&mot) {
                    index.trigrammes.entry(t).or_default().push(w as u32);
                }
            }
            index.vocabulaire.push(mot.into_boxed_str());
        }
        index.debuts.push(index.postings.len() as u32);
        for v in index.trigrammes.values_mut() {
            v.shrink_to_fit();
        }
        index
    }

    pub(crate) fn octets(&self) -> usize {
        let vocab: usize = self
            .vocabulaire
            .iter()
            .map(|m| m.len() + std::mem::size_of::<Box<str>>())
            .sum();
        let tri: usize = self
            .trigrammes
            .values()
            .map(|v| v.capacity() * 4 + 3 + std::mem::size_of::<Vec<u32>>())
            .sum();
        vocab + (self.debuts.capacity() + self.postings.capacity()) * 4 + tri
    }

    fn postings(&self, w: usize) -> &[u32] {
        let a = self.debuts[w] as usize;
        let b = self.debuts[w + 1] as usize;
        &self.postings[a..b]
    }

    /// Vocabulary words matching one query word, best quality first.
    fn correspondances(&self, mot: &str) -> Vec<(usize, u16)> {
        let mut res: Vec<(usize, u16)> = Vec::new();
        let debut = self.vocabulaire.partition_point(|w| &**w < mot);
        if self.vocabulaire.get(debut).is_some_and(|w| &**w == mot) {
            res.push((debut, EXACT));
        }
        let n = mot.chars().count();
        if n >= PREFIXE_MIN {
            let mut w = debut;
            while let Some(v) = self.vocabulaire.get(w) {
                if !v.starts_with(mot) {
                    break;
                }
                if &**v != mot {
                    res.push((w, PREFIXE));
                }
                w += 1;
            }
        }
        let k = tolerance(n);
        if k > 0 && !numerique(mot) {
            let tri = trigrammes(mot);
            // Each edit destroys at most 3 trigrams, a transposition 4.
            let requis = tri.len().saturating_sub(4 * k).max(1);
            let mut compte = vec![0u8; self.vocabulaire.len()];
            let mut touches: Vec<u32> = Vec::new();
            for t in &tri {
                if let Some(ws) = self.trigrammes.get(t) {
                    for &w in ws {
                        let c = &mut compte[w as usize];
                        if *c == 0 {
                            touches.push(w);
                        }
                        *c = c.saturating_add(1);
                    }
                }
            }
            let mut approches: Vec<usize> = touches
                .into_iter()
                .map(|w| w as usize)
                .filter(|&w| usize::from(compte[w]) >= requis)
                .filter(|&w| {
                    let v = &self.vocabulaire[w];
                    !v.starts_with(mot)
                        && v.chars().count().abs_diff(n) <= k
                        && strsim::osa_distance(v, mot) <= k
                })
                .collect();
            approches.sort_unstable();
            res.extend(approches.into_iter().map(|w| (w, APPROCHE)));
        }
        res
    }

    /// Places matching every word of the query, with a relevance score,
    /// ascending by place. `None` when the query has no word (no filter).
    pub(crate) fn chercher(&self, requete: &str, n_lieux: usize) -> Option<Vec<(u32, Score)>> {
        let norme = normaliser(requete);
        let mut mots: Vec<&str> = norme.split(' ').filter(|m| !m.is_empty()).collect();
        if mots.is_empty() {
            return None;
        }
        // Stop words are not indexed: a query of stop words only says
        // nothing, like an empty one.
        mots.retain(|m| !mot_vide(m));
        if mots.is_empty() {
            return None;
        }
        mots.sort_unstable();
        mots.dedup();
        // Bounded work whatever is pasted in the search box.
        mots.truncate(12);
        let mut listes: Vec<(usize, Vec<(usize, u16)>)> = mots
            .iter()
            .map(|m| {
                let c = self.correspondances(m);
                let volume = c.iter().map(|&(w, _)| self.postings(w).len()).sum();
                (volume, c)
            })
            .collect();
        // Rarest word first: it bounds the candidates.
        listes.sort_by_key(|(v, _)| *v);
        if listes.first().is_none_or(|(v, _)| *v == 0) {
            return Some(Vec::new());
        }
        // `etape[p]` = number of query words place p has matched so far,
        // in order: a place that missed one word can never come back.
        let mut etape = vec![0u8; n_lieux];
        let mut score = vec![0u16; n_lieux];
        let mut candidats: Vec<u32> = Vec::new();
        for (j, (_, correspondances)) in listes.iter().enumerate() {
            let j = j as u8;
            for &(w, qualite) in correspondances {
                for &p in self.postings(w) {
                    let lieu = (p >> BITS_CHAMP) as usize;
                    let Some(e) = etape.get_mut(lieu) else {
                        continue;
                    };
                    if *e != j {
                        continue;
                    }
                    *e = j + 1;
                    let champ = p & ((1 << BITS_CHAMP) - 1);
                    let bonus = if champ & CHAMP_NOM != 0 {
                        2
                    } else {
                        u16::from(champ & CHAMP_COMMUNE != 0)
                    };
                    score[lieu] = score[lieu].saturating_add(qualite * 4 + bonus);
                    if j == 0 {
                        candidats.push(lieu as u32);
                    }
                }
            }
        }
        let fin = listes.len() as u8;
        candidats.retain(|&l| etape[l as usize] == fin);
        candidats.sort_unstable();
        Some(
            candidats
                .into_iter()
                .map(|l| (l, Score(score[l as usize])))
                .collect(),
        )
    }
}

/// Sort key of a name in French alphabetical order, ignoring case and
/// accents (like `Intl.Collator('fr', {sensitivity: 'base'})`).
pub(crate) fn cle_tri(nom: &str) -> String {
    normaliser(nom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(noms: &[(&str, &str, &str)]) -> IndexTexte {
        IndexTexte::new(noms.len(), |i| {
            let (nom, commune, adresse) = noms[i];
            [
                (nom, CHAMP_NOM),
                (commune, CHAMP_COMMUNE),
                (adresse, CHAMP_ADRESSE),
                ("", 0),
            ]
        })
    }

    fn lieux(ix: &IndexTexte, q: &str, n: usize) -> Vec<u32> {
        ix.chercher(q, n)
            .unwrap_or_default()
            .into_iter()
            .map(|(l, _)| l)
            .collect()
    }

    #[test]
    fn accents_case_prefix_and_typos() {
        let ix = index(&[
            (
                "Médiathèque Mériadeck",
                "Bordeaux",
                "85 cours du Maréchal Juin",
            ),
            ("Centre social", "Bègles", "1 rue de la Paix"),
            ("Espace numérique", "Bordères", "2 place X"),
        ]);
        assert_eq!(lieux(&ix, "mediatheque", 3), vec![0]);
        assert_eq!(lieux(&ix, "MÉDIATÈQUE", 3), vec![0]);
        assert_eq!(lieux(&ix, "Médiatèque bordeau", 3), vec![0]);
        assert_eq!(lieux(&ix, "bordeaux", 3), vec![0]);
        assert_eq!(lieux(&ix, "centre socail", 3), vec![1]);
        assert_eq!(lieux(&ix, "rue de la paix", 3), vec![1]);
        assert!(lieux(&ix, "piscine", 3).is_empty());
        assert_eq!(ix.chercher("  ;; ", 3).map(|v| v.len()), None);
        assert_eq!(ix.chercher("de la", 3).map(|v| v.len()), None);
    }

    proptest::proptest! {
        #[test]
        fn ascii_fast_path_folds_like_the_standard(t in "[ -~]{0,40}") {
            proptest::prop_assert_eq!(normaliser(&t), maillage_lieux::texte::cle_comparaison(&t));
        }
    }

    #[test]
    fn name_matches_rank_above_address_matches() {
        let ix = index(&[
            ("Maison France Services", "Lyon", "1 rue Paix"),
            ("Mairie", "Lyon", "rue France"),
        ]);
        let r = ix.chercher("france", 2).unwrap_or_default();
        assert_eq!(r.len(), 2);
        assert!(r[0].1 .0 > r[1].1 .0);
    }
}
