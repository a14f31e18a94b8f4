//! # maillage-dedup — duplicates across sources, and their merge
//!
//! The registry is fed by overlapping sources. [`regrouper`] finds the source
//! records that describe the same place; [`fusionner`] turns each group into
//! the published place; [`identifiant_publie`] gives it a stable id.
//!
//! ```text
//! fiches ──Prepare──▶ blocking keys (grid 300 m, commune+word, address,
//!        pivot, phone, e-mail, website host; capped blocks)
//!        ──candidate pairs (O(n))──▶ score (evidence, log-odds)
//!        ──pairs ≥ seuil, best first──▶ union-find with a coherence guard
//!        ──▶ Groupe (every fiche in exactly one group)
//! ```
//!
//! [`reference`] is the national pipeline's rule, implemented faithfully so
//! that both can be measured on the same labelled pairs.

mod fusion;
pub mod normalisation;
pub mod reference;
mod score;

use chrono::NaiveDate;
use maillage_lieux::Lieu;
use normalisation::Prepare;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

pub use fusion::{fusionner, identifiant_publie, slug};
pub use score::{score, score_avec, RelationPivot, RelationTypologie, Score, A_PRIORI};

/// One source record to de-duplicate: the source name of the import and the
/// validated place. The key `(source, lieu.id)` is unique.
#[derive(Debug, Clone, Copy)]
pub struct Fiche<'a> {
    pub source: &'a str,
    pub lieu: &'a Lieu,
}

impl Fiche<'_> {
    /// `source` and `id`, separated by a unit separator (never in either).
    pub fn cle(&self) -> String {
        format!("{}\u{1f}{}", self.source, self.lieu.id)
    }
}

/// Tuning of [`regrouper`] and [`fusionner`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Minimum combined score (in [0, 1]) for two records to be linked.
    pub seuil: f64,
    /// Also look for duplicates inside one source.
    pub meme_source: bool,
    /// Dates after this day are not trusted (future `date_maj`).
    pub aujourd_hui: NaiveDate,
    /// Two groups are merged only if every cross pair scores at least this
    /// (anti-chaining guard).
    pub seuil_coherence: f64,
    /// A blocking key shared by more records than this is ignored (generic
    /// phone, national website, chain SIRET).
    pub taille_bloc_max: usize,
    /// Spatial candidates: radius in metres…
    pub rayon_m: f64,
    /// …and at most this many nearest neighbours per record.
    pub voisins_max: usize,
    /// Merge: list fields are unioned over the members updated within this
    /// many days of the group's newest member.
    pub fenetre_fusion_jours: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seuil: 0.5,
            meme_source: false,
            aujourd_hui: chrono::Utc::now().date_naive(),
            seuil_coherence: 0.5,
            taille_bloc_max: 50,
            rayon_m: 300.0,
            voisins_max: 10,
            fenetre_fusion_jours: 182.5,
        }
    }
}

/// A group of records describing one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Groupe {
    /// sha256 (hex of the first 16 bytes) of the sorted member keys.
    pub id: String,
    /// Indices into the input, ascending.
    pub membres: Vec<usize>,
}

/// Counts of one run, for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statistiques {
    pub fiches: usize,
    /// Distinct pairs scored.
    pub paires_comparees: usize,
    /// Pairs at or above the threshold.
    pub paires_liees: usize,
    /// Links refused by the coherence guard (chaining, same source).
    pub fusions_refusees: usize,
    /// Blocking keys ignored because shared by too many records.
    pub blocs_ignores: usize,
    pub groupes: usize,
    /// Groups of two records or more.
    pub groupes_multiples: usize,
    /// Records in groups of two or more.
    pub fiches_regroupees: usize,
}

/// Groups the records that describe the same place. Every record is in
/// exactly one group (singletons included); groups are in order of their
/// first member.
pub fn regrouper(fiches: &[Fiche], options: &Options) -> Vec<Groupe> {
    regrouper_avec_statistiques(fiches, options).0
}

/// [`regrouper`], with the counts of the run.
pub fn regrouper_avec_statistiques(
    fiches: &[Fiche],
    options: &Options,
) -> (Vec<Groupe>, Statistiques) {
    let mut stats = Statistiques {
        fiches: fiches.len(),
        ..Statistiques::default()
    };
    let prepares: Vec<Prepare> = en_parallele(fiches, |f| Prepare::depuis(f.lieu));
    let paires = candidats(fiches, &prepares, options, &mut stats);
    stats.paires_comparees = paires.len();

    let mut liees: Vec<(f64, u32, u32)> = en_parallele(&paires, |&(i, j)| {
        let (i_, j_) = (i as usize, j as usize);
        let s = score::score_prepare(
            &fiches[i_],
            &prepares[i_],
            &fiches[j_],
            &prepares[j_],
            options,
        );
        (s.total, i, j)
    })
    .into_iter()
    .filter(|x| x.0 >= options.seuil)
    .collect();
    drop(paires);
    stats.paires_liees = liees.len();
    // Best evidence first, so that a weak link cannot pre-empt a strong one.
    liees.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    let mut uf = UnionFind::new(fiches.len());
    for (_, i, j) in liees {
        let (ri, rj) = (uf.racine(i as usize), uf.racine(j as usize));
        if ri == rj {
            continue;
        }
        if coherents(fiches, &prepares, &uf.membres[ri], &uf.membres[rj], options) {
            uf.unir(ri, rj);
        } else {
            stats.fusions_refusees += 1;
        }
    }

    let mut groupes: Vec<Groupe> = Vec::new();
    for (racine, membres) in uf.membres.iter().enumerate() {
        if uf.parent[racine] != racine {
            continue;
        }
        let mut membres = membres.clone();
        membres.sort_unstable();
        groupes.push(Groupe {
            id: id_groupe(fiches, &membres),
            membres,
        });
    }
    groupes.sort_by_key(|g| g.membres.first().copied().unwrap_or(usize::MAX));
    stats.groupes = groupes.len();
    for g in &groupes {
        if g.membres.len() > 1 {
            stats.groupes_multiples += 1;
            stats.fiches_regroupees += g.membres.len();
        }
    }
    (groupes, stats)
}

/// `f` over `items` on every core (scoped threads), results in input order.
fn en_parallele<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let coeurs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(16);
    if coeurs <= 1 || items.len() < 10_000 {
        return items.iter().map(&f).collect();
    }
    let taille = items.len().div_ceil(coeurs);
    let f = &f;
    std::thread::scope(|s| {
        let taches: Vec<_> = items
            .chunks(taille)
            .map(|morceau| s.spawn(move || morceau.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for t in taches {
            match t.join() {
                Ok(v) => out.extend(v),
                // A panicking scorer is a bug; re-raise it where it belongs.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

/// Stable id of a group: sha256 of the sorted member keys.
pub fn id_groupe(fiches: &[Fiche], membres: &[usize]) -> String {
    let mut cles: Vec<String> = membres
        .iter()
        .filter_map(|&i| fiches.get(i))
        .map(Fiche::cle)
        .collect();
    cles.sort();
    let mut h = Sha256::new();
    for c in &cles {
        h.update(c.as_bytes());
        h.update([0x1e]);
    }
    hex::encode(&h.finalize()[..16])
}

/// Whether two groups may become one: no two records of one source (unless
/// `meme_source`) and every cross pair plausible on its own, so that two
/// distinct places of one building are not chained through a third record.
fn coherents(
    fiches: &[Fiche],
    prepares: &[Prepare],
    a: &[usize],
    b: &[usize],
    options: &Options,
) -> bool {
    if a.len().saturating_mul(b.len()) > 2_500 {
        return false;
    }
    for &x in a {
        for &y in b {
            if !options.meme_source && fiches[x].source == fiches[y].source {
                return false;
            }
            let s =
                score::score_prepare(&fiches[x], &prepares[x], &fiches[y], &prepares[y], options);
            if s.total < options.seuil_coherence {
                return false;
            }
        }
    }
    true
}

struct UnionFind {
    parent: Vec<usize>,
    membres: Vec<Vec<usize>>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            membres: (0..n).map(|i| vec![i]).collect(),
        }
    }

    fn racine(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Unites two roots; the larger group absorbs the smaller.
    fn unir(&mut self, a: usize, b: usize) {
        let (grand, petit) = if self.membres[a].len() >= self.membres[b].len() {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[petit] = grand;
        let deplaces = std::mem::take(&mut self.membres[petit]);
        self.membres[grand].extend(deplaces);
    }
}

fn cle_hachee(genre: u8, parties: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    genre.hash(&mut h);
    for p in parties {
        p.hash(&mut h);
    }
    h.finish()
}

/// Candidate pairs by blocking: never all pairs. Each record emits a few
/// keys; records sharing a key are compared, unless the key is shared by
/// more than `taille_bloc_max` records. Close points are compared too (the
/// `voisins_max` nearest within `rayon_m`).
fn candidats(
    fiches: &[Fiche],
    prepares: &[Prepare],
    options: &Options,
    stats: &mut Statistiques,
) -> Vec<(u32, u32)> {
    // (key, record) sorted: runs of one key are the blocks. A sorted vector
    // costs far less than a map of small vectors on a million records.
    let mut cles: Vec<(u64, u32)> = Vec::with_capacity(prepares.len() * 6);
    let mut locales: Vec<u64> = Vec::new();
    for (i, p) in prepares.iter().enumerate() {
        locales.clear();
        if !p.commune.is_empty() {
            for m in p.jetons_distinctifs() {
                locales.push(cle_hachee(b'n', &[&p.commune, m]));
            }
            if !p.voie.is_empty() {
                let numero = p.numero.as_deref().unwrap_or_default();
                locales.push(cle_hachee(b'a', &[&p.commune, numero, &p.voie]));
            }
        }
        if let Some(pivot) = &p.pivot {
            locales.push(cle_hachee(b'p', &[pivot]));
        }
        if let Some(t) = &p.telephone {
            locales.push(cle_hachee(b't', &[t]));
        }
        for c in &p.courriels {
            locales.push(cle_hachee(b'c', &[c]));
        }
        for h in &p.hotes {
            locales.push(cle_hachee(b'h', &[h]));
        }
        locales.sort_unstable();
        locales.dedup();
        cles.extend(locales.iter().map(|&c| (c, i as u32)));
    }
    cles.sort_unstable();
    let autorise = |i: u32, j: u32| {
        options.meme_source || fiches[i as usize].source != fiches[j as usize].source
    };
    let mut paires: Vec<(u32, u32)> = Vec::new();
    for bloc in cles.chunk_by(|a, b| a.0 == b.0) {
        if bloc.len() < 2 {
            continue;
        }
        if bloc.len() > options.taille_bloc_max {
            stats.blocs_ignores += 1;
            continue;
        }
        for (k, &(_, i)) in bloc.iter().enumerate() {
            for &(_, j) in &bloc[k + 1..] {
                if autorise(i, j) {
                    paires.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    drop(cles);

    // Spatial grid: cells of `rayon_m`, look at the 3×3 neighbourhood.
    const METRES_PAR_DEGRE: f64 = 111_195.0;
    let cote = options.rayon_m.max(1.0);
    let cellule = |(la, lo): (f64, f64)| -> (i64, i64) {
        let y = la * METRES_PAR_DEGRE;
        let x = lo * METRES_PAR_DEGRE * la.to_radians().cos();
        ((x / cote).floor() as i64, (y / cote).floor() as i64)
    };
    type Cellule = (i64, i64);
    let mut points: Vec<(Cellule, u32)> = prepares
        .iter()
        .enumerate()
        // A commune centroid is shared by every place of the commune.
        .filter_map(|(i, p)| match (p.point, p.point_approximatif) {
            (Some(pt), false) => Some((cellule(pt), i as u32)),
            _ => None,
        })
        .collect();
    points.sort_unstable();
    let mut grille: HashMap<Cellule, &[(Cellule, u32)]> = HashMap::new();
    for bloc in points.chunk_by(|a, b| a.0 == b.0) {
        grille.insert(bloc[0].0, bloc);
    }
    let mut voisins: Vec<(f64, u32)> = Vec::new();
    for (i, p) in prepares.iter().enumerate() {
        let (Some(pt), false) = (p.point, p.point_approximatif) else {
            continue;
        };
        let (cx, cy) = cellule(pt);
        voisins.clear();
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(membres) = grille.get(&(cx + dx, cy + dy)) else {
                    continue;
                };
                if membres.len() > 20 * options.taille_bloc_max {
                    // Degenerate cell (thousands of records on one point).
                    stats.blocs_ignores += 1;
                    continue;
                }
                for &(_, j) in membres.iter() {
                    if j as usize == i || !autorise(i as u32, j) {
                        continue;
                    }
                    if let Some(q) = prepares[j as usize].point {
                        let d = normalisation::haversine(pt, q);
                        if d <= options.rayon_m {
                            voisins.push((d, j));
                        }
                    }
                }
            }
        }
        voisins.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(_, j) in voisins.iter().take(options.voisins_max) {
            let i = i as u32;
            paires.push((i.min(j), i.max(j)));
        }
    }
    paires.sort_unstable();
    paires.dedup();
    paires
}
