//! Search: filters, candidates, sort and pagination.
//!
//! Semantics: OR inside a category (any of the chosen services), AND across
//! categories. An empty set means "no filter on that category".
//!
//! Execution: the most selective index gives the candidates (text postings,
//! grid cells around the position, territory postings; else every place),
//! each candidate's `Signature` is tested against the filters, then the
//! availability, memoised per distinct hours text and time zone.

use chrono::{DateTime, Utc};
use maillage_lieux::enums::*;
use maillage_lieux::Ensemble;
use maillage_territoires::Territoire;
use serde::Serialize;

use crate::catalogue::{
    champ, placer, Catalogue, Signature, AUCUN16, AUCUN32, A_POSITION, A_RDV, SANS_PUBLIC,
};
use crate::disponibilite::{Disponibilite, Evaluateur};
use crate::geo::{Cercle, Position};
use crate::texte::Score;

/// Results per page when `par_page` is 0.
pub const PAR_PAGE_DEFAUT: usize = 20;

/// Sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Tri {
    /// By distance when a position is given, else by text relevance when a
    /// text is given, else alphabetical.
    #[default]
    Pertinence,
    /// Nearest first (places without coordinates last); alphabetical when
    /// no position is given.
    Distance,
    /// French alphabetical order of the name, ignoring case and accents.
    Nom,
}

/// A search. `Recherche::default()` finds everything.
#[derive(Debug, Clone, PartialEq)]
pub struct Recherche {
    /// Free text on the name, commune, postcode and address: every word must
    /// match (accents, case and small typos forgiven).
    pub texte: Option<String>,
    pub services: Ensemble<Service>,
    pub publics_specifiquement_adresses: Ensemble<Public>,
    pub prise_en_charge_specifique: Ensemble<PriseEnCharge>,
    pub frais_a_charge: Ensemble<Frais>,
    pub modalites_acces: Ensemble<ModaliteAcces>,
    pub modalites_accompagnement: Ensemble<ModaliteAccompagnement>,
    pub dispositif_programmes_nationaux: Ensemble<Dispositif>,
    pub formations_labels: Ensemble<FormationLabel>,
    pub itinerance: Ensemble<Itinerance>,
    pub typologie: Ensemble<Typologie>,
    /// Exact source names (OR); empty = all sources.
    pub sources: Vec<String>,
    /// A région (its départements), département, EPCI or commune (with its
    /// arrondissements municipaux).
    pub territoire: Option<Territoire>,
    /// Origin of distances. Alone it sorts; with `rayon_km` it filters.
    pub position: Option<Position>,
    /// Only places within this distance of `position` (places without
    /// usable coordinates are then excluded). Ignored without a position.
    pub rayon_km: Option<f64>,
    pub disponibilite: Option<Disponibilite>,
    /// Only places with an online booking URL (`prise_rdv`).
    pub prise_rdv: bool,
    /// Leave out places whose `modalites_acces` say "Ce lieu n'accueille
    /// pas de public" (orientation sets it).
    pub accueil_du_public: bool,
    pub tri: Tri,
    /// 1-based; 0 is read as 1.
    pub page: usize,
    /// 0 is read as [`PAR_PAGE_DEFAUT`].
    pub par_page: usize,
}

impl Default for Recherche {
    fn default() -> Self {
        Recherche {
            texte: None,
            services: Ensemble::new(),
            publics_specifiquement_adresses: Ensemble::new(),
            prise_en_charge_specifique: Ensemble::new(),
            frais_a_charge: Ensemble::new(),
            modalites_acces: Ensemble::new(),
            modalites_accompagnement: Ensemble::new(),
            dispositif_programmes_nationaux: Ensemble::new(),
            formations_labels: Ensemble::new(),
            itinerance: Ensemble::new(),
            typologie: Ensemble::new(),
            sources: Vec::new(),
            territoire: None,
            position: None,
            rayon_km: None,
            disponibilite: None,
            prise_rdv: false,
            accueil_du_public: false,
            tri: Tri::Pertinence,
            page: 1,
            par_page: PAR_PAGE_DEFAUT,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resultats {
    /// Number of matching places, all pages.
    pub total: usize,
    /// The requested page.
    pub lieux: Vec<Trouve>,
}

/// A found place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trouve {
    /// Index in [`Catalogue::lieux`].
    pub index: usize,
    /// From the search position, when both are known.
    pub distance_km: Option<f64>,
}

/// A matching place during execution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Correspondance {
    pub index: u32,
    /// Text relevance (0 without text).
    pub score: u16,
    /// NaN when unknown.
    pub distance: f64,
}

impl Correspondance {
    pub(crate) fn distance_km(&self) -> Option<f64> {
        (!self.distance.is_nan()).then_some(self.distance)
    }
}

/// Territory filter resolved to catalogue ids.
#[derive(Debug, Clone, Copy)]
enum Cible {
    Region(u16),
    Departement(u16),
    Epci(u16),
    Commune(u32),
    /// A territory with no place in the catalogue.
    Aucune,
}

/// The filters of a search, ready for the scan.
pub(crate) struct Filtre<'c> {
    catalogue: &'c Catalogue,
    /// One mask per active enumeration category: a place must share a bit
    /// with each.
    masques: Vec<u64>,
    typologie: Ensemble<Typologie>,
    sources: Option<Vec<bool>>,
    cible: Option<Cible>,
    texte: Option<Vec<(u32, Score)>>,
    origine: Option<Position>,
    cercle: Option<Cercle>,
    evaluateur: Option<Evaluateur<'c>>,
    /// Flags a place must have.
    drapeaux: u8,
    /// Flags a place must not have.
    sans: u8,
}

/// Where the candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Tout,
    Texte,
    Grille,
    Territoire,
}

impl<'c> Filtre<'c> {
    pub(crate) fn new(
        catalogue: &'c Catalogue,
        r: &Recherche,
        maintenant: DateTime<Utc>,
    ) -> Filtre<'c> {
        let masques: Vec<u64> = [
            placer(r.services, champ::SERVICES),
            placer(r.publics_specifiquement_adresses, champ::PUBLICS),
            placer(r.prise_en_charge_specifique, champ::PRISE_EN_CHARGE),
            placer(r.frais_a_charge, champ::FRAIS),
            placer(r.modalites_acces, champ::ACCES),
            placer(r.modalites_accompagnement, champ::ACCOMPAGNEMENT),
            placer(r.itinerance, champ::ITINERANCE),
            placer(r.dispositif_programmes_nationaux, champ::DISPOSITIFS),
            placer(r.formations_labels, champ::LABELS),
        ]
        .into_iter()
        .filter(|&m| m != 0)
        .collect();
        let sources = (!r.sources.is_empty()).then(|| {
            let mut v = vec![false; catalogue.sources.len()];
            for s in &r.sources {
                if let Some(&id) = catalogue.par_source.get(s.as_str()) {
                    v[usize::from(id)] = true;
                }
            }
            v
        });
        let cible = r.territoire.as_ref().map(|t| {
            let id = |niveau: &crate::catalogue::Niveau| niveau.id(t.code());
            match t {
                Territoire::Region(_) => id(&catalogue.regions).map(|i| Cible::Region(i as u16)),
                Territoire::Departement(_) => {
                    id(&catalogue.departements).map(|i| Cible::Departement(i as u16))
                }
                Territoire::Epci(_) => id(&catalogue.epcis).map(|i| Cible::Epci(i as u16)),
                Territoire::Commune(_) => id(&catalogue.communes).map(Cible::Commune),
            }
            .unwrap_or(Cible::Aucune)
        });
        let texte = r
            .texte
            .as_deref()
            .and_then(|t| catalogue.texte.chercher(t, catalogue.len()));
        let origine = r.position.filter(Position::utilisable);
        let cercle = match (origine, r.rayon_km) {
            (Some(p), Some(k)) => Some(Cercle::new(p, k)),
            _ => None,
        };
        let mut drapeaux = 0;
        if r.prise_rdv {
            drapeaux |= A_RDV;
        }
        if cercle.is_some() {
            drapeaux |= A_POSITION;
        }
        Filtre {
            catalogue,
            masques,
            typologie: r.typologie,
            sources,
            cible,
            texte,
            origine,
            cercle,
            evaluateur: r
                .disponibilite
                .map(|d| Evaluateur::new(&catalogue.horaires, d, maintenant)),
            drapeaux,
            sans: if r.accueil_du_public { SANS_PUBLIC } else { 0 },
        }
    }

    /// Every filter but text, distance and availability.
    #[inline]
    fn signature_ok(&self, i: u32, s: &Signature) -> bool {
        if s.drapeaux & self.drapeaux != self.drapeaux || s.drapeaux & self.sans != 0 {
            return false;
        }
        if !self.masques.iter().all(|&m| s.bits & m != 0) {
            return false;
        }
        if !self.typologie.is_empty()
            && self
                .catalogue
                .typologies
                .get(i as usize)
                .is_none_or(|t| t.is_disjoint(self.typologie))
        {
            return false;
        }
        if let Some(sources) = &self.sources {
            if s.source == AUCUN16 || !sources.get(usize::from(s.source)).copied().unwrap_or(false)
            {
                return false;
            }
        }
        match self.cible {
            None => true,
            Some(Cible::Aucune) => false,
            Some(Cible::Region(x)) => s.region == x,
            Some(Cible::Departement(x)) => s.departement == x,
            Some(Cible::Epci(x)) => s.epci == x,
            Some(Cible::Commune(x)) => s.commune == x || (s.parente == x && x != AUCUN32),
        }
    }

    /// Full test of one candidate. `distance`: already known (grid), or
    /// NaN to compute it here when there is an origin.
    #[inline]
    fn tester(&mut self, i: u32, score: u16, distance: f64) -> Option<Correspondance> {
        let s = self.catalogue.signatures.get(i as usize)?;
        if !self.signature_ok(i, s) {
            return None;
        }
        let mut distance = distance;
        if distance.is_nan() {
            if let Some(origine) = self.origine {
                let position = self.catalogue.fiches[i as usize].position;
                match (&self.cercle, position) {
                    (Some(c), Some(p)) => {
                        distance = origine.distance_km(&p);
                        if distance > c.rayon_km {
                            return None;
                        }
                    }
                    (Some(_), None) => return None,
                    (None, Some(p)) => distance = origine.distance_km(&p),
                    (None, None) => {}
                }
            }
        }
        if let Some(e) = &mut self.evaluateur {
            if !e.disponible(s.horaires, s.fuseau) {
                return None;
            }
        }
        Some(Correspondance {
            index: i,
            score,
            distance,
        })
    }

    /// The candidate source: the smallest of the usable indexes.
    fn source(&self) -> (Source, Option<&'c [u32]>) {
        let cat = self.catalogue;
        let mut meilleur = (cat.len(), Source::Tout);
        if let Some(t) = &self.texte {
            if t.len() < meilleur.0 {
                meilleur = (t.len(), Source::Texte);
            }
        }
        if let Some(c) = &self.cercle {
            // Disc area over the mean density of the grid is a cheap bound;
            // the grid is exact enough for the choice once counted.
            let v: usize = cat
                .grille
                .plages(&c.centre, c.rayon_km)
                .iter()
                .map(|p| p.len())
                .sum();
            if v < meilleur.0 {
                meilleur = (v, Source::Grille);
            }
        }
        let postings: Option<&'c [u32]> = match self.cible {
            Some(Cible::Region(x)) => cat.regions.lieux.get(usize::from(x)).map(Vec::as_slice),
            Some(Cible::Departement(x)) => cat
                .departements
                .lieux
                .get(usize::from(x))
                .map(Vec::as_slice),
            Some(Cible::Epci(x)) => cat.epcis.lieux.get(usize::from(x)).map(Vec::as_slice),
            Some(Cible::Commune(x)) => cat.communes.lieux.get(x as usize).map(Vec::as_slice),
            Some(Cible::Aucune) => Some(&[]),
            None => None,
        };
        if let Some(p) = postings {
            if p.len() < meilleur.0 {
                meilleur = (p.len(), Source::Territoire);
            }
        }
        (meilleur.1, postings)
    }

    /// True when [`Filtre::parcourir`] will visit places in index order.
    pub(crate) fn ordonne(&self) -> bool {
        self.source().0 != Source::Grille
    }

    /// Calls `f` on every matching place. Returns true when the calls came
    /// in ascending index order (every source but the grid).
    pub(crate) fn parcourir(mut self, mut f: impl FnMut(Correspondance)) -> bool {
        let (source, postings) = self.source();
        let texte = self.texte.take();
        let score_texte = |i: u32| -> Option<u16> {
            match &texte {
                None => Some(0),
                Some(t) => t
                    .binary_search_by_key(&i, |&(l, _)| l)
                    .ok()
                    .map(|k| t[k].1 .0),
            }
        };
        match source {
            Source::Texte => {
                for &(i, Score(s)) in texte.as_deref().unwrap_or_default() {
                    if let Some(c) = self.tester(i, s, f64::NAN) {
                        f(c);
                    }
                }
            }
            Source::Grille => {
                let Some(cercle) = self.cercle else {
                    return true;
                };
                for plage in self
                    .catalogue
                    .grille
                    .plages(&cercle.centre, cercle.rayon_km)
                {
                    for p in plage {
                        // The disc first: it only reads the grid, and
                        // rejects most candidates of the corner cells.
                        let Some(d) = cercle.distance_si_dedans(p) else {
                            continue;
                        };
                        if let Some(s) = score_texte(p.index) {
                            if let Some(c) = self.tester(p.index, s, d) {
                                f(c);
                            }
                        }
                    }
                }
                return false;
            }
            Source::Territoire => {
                for &i in postings.unwrap_or_default() {
                    if let Some(s) = score_texte(i) {
                        if let Some(c) = self.tester(i, s, f64::NAN) {
                            f(c);
                        }
                    }
                }
            }
            Source::Tout => {
                for i in 0..self.catalogue.len() as u32 {
                    if let Some(s) = score_texte(i) {
                        if let Some(c) = self.tester(i, s, f64::NAN) {
                            f(c);
                        }
                    }
                }
            }
        }
        true
    }

    /// Every matching place, in no particular order.
    pub(crate) fn executer(self) -> Vec<Correspondance> {
        let mut v = Vec::new();
        self.parcourir(|c| v.push(c));
        v
    }
}

fn par_distance(a: &Correspondance, b: &Correspondance) -> std::cmp::Ordering {
    // NaN (no coordinates) last.
    match (a.distance.is_nan(), b.distance.is_nan()) {
        (false, false) => a.distance.total_cmp(&b.distance),
        (x, y) => x.cmp(&y),
    }
    .then(a.index.cmp(&b.index))
}

fn par_score(a: &Correspondance, b: &Correspondance) -> std::cmp::Ordering {
    b.score.cmp(&a.score).then(a.index.cmp(&b.index))
}

fn par_index(a: &Correspondance, b: &Correspondance) -> std::cmp::Ordering {
    a.index.cmp(&b.index)
}

/// Puts the first `k` elements in order (the rest unordered): a full sort
/// costs too much when a national set matches and one page is shown.
pub(crate) fn trier_debut<T, F>(v: &mut [T], k: usize, cmp: F)
where
    F: Fn(&T, &T) -> std::cmp::Ordering,
{
    if k == 0 || v.is_empty() {
        return;
    }
    if k < v.len() / 2 {
        v.select_nth_unstable_by(k - 1, &cmp);
        v[..k].sort_unstable_by(&cmp);
    } else {
        v.sort_unstable_by(&cmp);
    }
}

/// The `(start, end)` of page `page` (1-based) of `par_page` in `total`.
pub(crate) fn bornes_page(page: usize, par_page: usize, total: usize) -> (usize, usize) {
    let par_page = if par_page == 0 {
        PAR_PAGE_DEFAUT
    } else {
        par_page
    };
    let debut = page.max(1).saturating_sub(1).saturating_mul(par_page);
    let debut = debut.min(total);
    (debut, debut.saturating_add(par_page).min(total))
}

impl Catalogue {
    pub(crate) fn correspondances(
        &self,
        r: &Recherche,
        maintenant: DateTime<Utc>,
    ) -> Vec<Correspondance> {
        Filtre::new(self, r, maintenant).executer()
    }

    /// One page of the places matching the search.
    pub fn rechercher(&self, r: &Recherche, maintenant: DateTime<Utc>) -> Resultats {
        let avec_position = r.position.is_some_and(|p| p.utilisable());
        type Cmp = fn(&Correspondance, &Correspondance) -> std::cmp::Ordering;
        let (cmp, alphabetique): (Cmp, bool) = match r.tri {
            Tri::Pertinence if avec_position => (par_distance, false),
            Tri::Pertinence if r.texte.is_some() => (par_score, false),
            Tri::Distance if avec_position => (par_distance, false),
            _ => (par_index, true),
        };
        let filtre = Filtre::new(self, r, maintenant);
        let trouve = |c: &Correspondance| Trouve {
            index: c.index as usize,
            distance_km: c.distance_km(),
        };
        if alphabetique && filtre.ordonne() {
            // Alphabetical order is index order: count, keep the page only.
            let (mut total, mut page) = (0usize, Vec::new());
            let (debut, fin) = bornes_page(r.page, r.par_page, usize::MAX);
            filtre.parcourir(|c| {
                if (debut..fin).contains(&total) {
                    page.push(trouve(&c));
                }
                total += 1;
            });
            return Resultats { total, lieux: page };
        }
        let mut v = filtre.executer();
        let total = v.len();
        let (debut, fin) = bornes_page(r.page, r.par_page, total);
        trier_debut(&mut v, fin, cmp);
        Resultats {
            total,
            lieux: v[debut..fin].iter().map(trouve).collect(),
        }
    }

    /// Number of matching places (live counts of the questionnaire).
    pub fn compter(&self, r: &Recherche, maintenant: DateTime<Utc>) -> usize {
        let mut n = 0;
        Filtre::new(self, r, maintenant).parcourir(|_| n += 1);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        assert_eq!(bornes_page(1, 20, 45), (0, 20));
        assert_eq!(bornes_page(3, 20, 45), (40, 45));
        assert_eq!(bornes_page(4, 20, 45), (45, 45));
        assert_eq!(bornes_page(0, 0, 45), (0, 20));
        assert_eq!(bornes_page(usize::MAX, usize::MAX, 45), (45, 45));
    }

    #[test]
    fn partial_sort_orders_the_head() {
        let mut v: Vec<u32> = (0..1000).rev().collect();
        trier_debut(&mut v, 10, |a, b| a.cmp(b));
        assert_eq!(&v[..10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
}
