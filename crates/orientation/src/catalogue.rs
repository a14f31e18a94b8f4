//! The catalogue: an immutable, indexed snapshot of the published places.
//!
//! Built once (a published registry is reloaded as a whole), shared behind
//! an `Arc` by every request. Places are stored in French alphabetical order
//! of their name (ties by id), so that "index order" *is* the default sort
//! and every posting list is already sorted for display.
//!
//! Per place the hot data is a small `Signature` (every enumeration as a
//! bitset, territory and source ids, time zone, hours id: 32 bytes) scanned
//! in a tight loop; the indexes (territory postings, spatial grid, text
//! index) pick the candidates so that most queries never scan at all.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use maillage_lieux::enums::*;
use maillage_lieux::{Ensemble, Lieu};
use maillage_territoires::{Commune, Referentiel};
use serde::Serialize;

use crate::completude::completude;
use crate::disponibilite::{self, EtatOuverture, Fuseau, JourHoraires, TableHoraires};
use crate::geo::{Grille, Position};
use crate::texte::{self, IndexTexte, CHAMP_ADRESSE, CHAMP_COMMUNE, CHAMP_NOM};

/// Precomputed facts about one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FicheLieu {
    /// INSEE code of the commune (or arrondissement municipal), checked
    /// against the referential, or found from the commune name and postcode.
    pub code_insee: Option<Arc<str>>,
    pub code_departement: Option<Arc<str>>,
    pub code_region: Option<Arc<str>>,
    /// SIREN of the EPCI.
    pub code_epci: Option<Arc<str>>,
    /// For an arrondissement of Paris, Lyon or Marseille, the commune.
    pub code_commune_parente: Option<Arc<str>>,
    /// Usable coordinates (finite, in range, not 0,0).
    pub position: Option<Position>,
    pub fuseau: Fuseau,
    /// Completion, percent (see [`crate::completude()`]).
    pub completude: u8,
}

/// "No id" in the compact per-place ids.
pub(crate) const AUCUN16: u16 = u16::MAX;
pub(crate) const AUCUN32: u32 = u32::MAX;

pub(crate) const A_POSITION: u8 = 1;
pub(crate) const A_RDV: u8 = 2;
pub(crate) const SANS_PUBLIC: u8 = 4;

/// Offsets of each enumeration in [`Signature::bits`] (57 bits in all).
pub(crate) mod champ {
    pub const SERVICES: u32 = 0; // 9
    pub const PUBLICS: u32 = 9; // 5
    pub const PRISE_EN_CHARGE: u32 = 14; // 7
    pub const FRAIS: u32 = 21; // 3
    pub const ACCES: u32 = 24; // 6
    pub const ACCOMPAGNEMENT: u32 = 30; // 4
    pub const ITINERANCE: u32 = 34; // 2
    pub const DISPOSITIFS: u32 = 36; // 11
    pub const LABELS: u32 = 47; // 10
}

/// The bits of a set, at its offset.
#[inline]
pub(crate) fn placer<T: enumset::EnumSetType>(e: Ensemble<T>, decalage: u32) -> u64 {
    e.as_u64_truncated() << decalage
}

#[inline]
pub(crate) fn extraire<T: enumset::EnumSetType>(bits: u64, decalage: u32) -> Ensemble<T> {
    Ensemble::<T>::from_u64_truncated(bits >> decalage)
}

/// The hot, filterable part of a place (32 bytes): every small enumeration
/// in one word, so a category filter is one AND.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    pub bits: u64,
    pub horaires: u32,
    pub commune: u32,
    pub parente: u32,
    pub source: u16,
    pub departement: u16,
    pub region: u16,
    pub epci: u16,
    pub drapeaux: u8,
    pub fuseau: Fuseau,
}

impl Signature {
    pub(crate) fn services(&self) -> Ensemble<Service> {
        extraire(self.bits, champ::SERVICES)
    }
    pub(crate) fn prise_en_charge(&self) -> Ensemble<PriseEnCharge> {
        extraire(self.bits, champ::PRISE_EN_CHARGE)
    }
    pub(crate) fn frais(&self) -> Ensemble<Frais> {
        extraire(self.bits, champ::FRAIS)
    }
    pub(crate) fn dispositifs(&self) -> Ensemble<Dispositif> {
        extraire(self.bits, champ::DISPOSITIFS)
    }
}

/// Interned codes of one territory level, with their places.
#[derive(Debug, Default)]
pub(crate) struct Niveau {
    pub codes: Vec<Arc<str>>,
    pub par_code: HashMap<Arc<str>, u32>,
    /// Places of each code, ascending.
    pub lieux: Vec<Vec<u32>>,
}

impl Niveau {
    fn interner(&mut self, code: &str) -> u32 {
        if let Some(&i) = self.par_code.get(code) {
            return i;
        }
        let i = self.codes.len() as u32;
        let a: Arc<str> = Arc::from(code);
        self.codes.push(a.clone());
        self.par_code.insert(a, i);
        self.lieux.push(Vec::new());
        i
    }

    fn code(&self, id: u32) -> Option<Arc<str>> {
        self.codes.get(id as usize).cloned()
    }

    pub(crate) fn id(&self, code: &str) -> Option<u32> {
        self.par_code.get(code).copied()
    }

    fn octets(&self) -> usize {
        self.codes.iter().map(|c| c.len() + 16 + 48).sum::<usize>()
            + self
                .lieux
                .iter()
                .map(|v| v.capacity() * 4 + 24)
                .sum::<usize>()
    }
}

/// The searchable catalogue of published places.
pub struct Catalogue {
    pub(crate) lieux: Vec<Lieu>,
    pub(crate) fiches: Vec<FicheLieu>,
    pub(crate) signatures: Vec<Signature>,
    pub(crate) typologies: Vec<Ensemble<Typologie>>,
    pub(crate) departements: Niveau,
    pub(crate) regions: Niveau,
    pub(crate) epcis: Niveau,
    /// Communes; the places of an arrondissement municipal are also listed
    /// under its commune.
    pub(crate) communes: Niveau,
    pub(crate) sources: Vec<String>,
    pub(crate) par_source: HashMap<String, u16>,
    pub(crate) horaires: TableHoraires,
    pub(crate) grille: Grille,
    pub(crate) texte: IndexTexte,
    /// Place indices sorted by id.
    par_id: Vec<u32>,
    /// Every typology present, and the places per source (most first):
    /// what search forms offer, computed once rather than per request.
    typologies_presentes: Ensemble<Typologie>,
    comptes_sources: Vec<(String, usize)>,
}

/// The commune of a place: its INSEE code when the referential knows it,
/// else its name and postcode.
fn commune_du_lieu<'r>(referentiel: &'r Referentiel, l: &Lieu) -> Option<&'r Commune> {
    if let Some(c) = l.code_insee.as_deref().and_then(|c| referentiel.commune(c)) {
        return Some(c);
    }
    referentiel.chercher_commune(&l.commune, Some(&l.code_postal), None)
}

/// Places in French alphabetical order of `nom` (case and accents
/// ignored), ties by exact name then id. One composite key per place keeps
/// the comparisons off the places themselves.
fn trier(lieux: Vec<Lieu>) -> Vec<Lieu> {
    let mut cles: Vec<(String, u32)> = lieux
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut k = texte::cle_tri(&l.nom);
            k.reserve(l.nom.len() + l.id.len() + 2);
            k.push('\0');
            k.push_str(&l.nom);
            k.push('\0');
            k.push_str(&l.id);
            (k, i as u32)
        })
        .collect();
    cles.sort_unstable();
    let mut places: Vec<Option<Lieu>> = lieux.into_iter().map(Some).collect();
    cles.iter()
        .filter_map(|&(_, i)| places.get_mut(i as usize).and_then(Option::take))
        .collect()
}

/// Territory of a commune, resolved once per commune.
#[derive(Clone, Copy)]
struct Territ {
    /// Département, région, EPCI, commune ids.
    ids: [u32; 4],
    parente: u32,
    fuseau: Fuseau,
}

impl Catalogue {
    /// Indexes the places. Never fails: a place whose territory cannot be
    /// resolved is simply not found by territory filters.
    pub fn new(lieux: Vec<Lieu>, referentiel: &Referentiel) -> Catalogue {
        // Alphabetical order first: every index below relies on it.
        let lieux = trier(lieux);
        let n = lieux.len();
        // The text index is the longest part and independent: built on a
        // second core meanwhile.
        let (mut c, texte) = std::thread::scope(|s| {
            let texte = s.spawn(|| {
                IndexTexte::new(n, |i| {
                    let l = &lieux[i];
                    [
                        (l.nom.as_str(), CHAMP_NOM),
                        (l.commune.as_str(), CHAMP_COMMUNE),
                        (l.code_postal.as_str(), CHAMP_COMMUNE),
                        (l.adresse.as_str(), CHAMP_ADRESSE),
                    ]
                })
            });
            let c = Catalogue::indexer(&lieux, referentiel);
            // A panic there is a bug; text search then finds nothing
            // rather than the whole catalogue failing.
            (c, texte.join().unwrap_or_default())
        });
        c.texte = texte;
        c.lieux = lieux;
        c.typologies_presentes = c.typologies.iter().fold(Ensemble::new(), |a, t| a | *t);
        c.comptes_sources = c.compter_sources();
        c
    }

    /// Every typology at least one place has.
    pub fn typologies_presentes(&self) -> Ensemble<Typologie> {
        self.typologies_presentes
    }

    /// Everything but the text index, for places already sorted.
    fn indexer(lieux: &[Lieu], referentiel: &Referentiel) -> Catalogue {
        let n = lieux.len();
        let mut c = Catalogue {
            fiches: Vec::with_capacity(n),
            signatures: Vec::with_capacity(n),
            typologies: Vec::with_capacity(n),
            departements: Niveau::default(),
            regions: Niveau::default(),
            epcis: Niveau::default(),
            communes: Niveau::default(),
            sources: Vec::new(),
            par_source: HashMap::new(),
            horaires: TableHoraires::default(),
            grille: Grille::default(),
            texte: IndexTexte::default(),
            par_id: Vec::new(),
            typologies_presentes: Ensemble::new(),
            comptes_sources: Vec::new(),
            lieux: Vec::new(),
        };
        let mut horaires_ids: HashMap<&str, u32> = HashMap::new();
        let mut analyses = Vec::new();
        let mut par_commune: HashMap<&str, Territ> = HashMap::new();
        for (i, l) in lieux.iter().enumerate() {
            let i = i as u32;
            let commune = commune_du_lieu(referentiel, l);
            let territ = match commune.and_then(|co| par_commune.get(co.code_insee.as_str())) {
                Some(t) => *t,
                None => {
                    let t = c.resoudre(referentiel, commune, l);
                    if let Some(co) = commune {
                        par_commune.insert(co.code_insee.as_str(), t);
                    }
                    t
                }
            };
            for (k, niveau) in [
                &mut c.departements,
                &mut c.regions,
                &mut c.epcis,
                &mut c.communes,
            ]
            .into_iter()
            .enumerate()
            {
                if let Some(v) = niveau.lieux.get_mut(territ.ids[k] as usize) {
                    v.push(i);
                }
            }
            if let Some(v) = c.communes.lieux.get_mut(territ.parente as usize) {
                v.push(i);
            }

            let source = match l.source.as_deref() {
                Some(s) => match c.par_source.get(s) {
                    Some(&id) => id,
                    None if c.sources.len() < usize::from(AUCUN16) => {
                        let id = c.sources.len() as u16;
                        c.sources.push(s.to_string());
                        c.par_source.insert(s.to_string(), id);
                        id
                    }
                    // More than 65 535 sources: the rest are unnamed.
                    None => AUCUN16,
                },
                None => AUCUN16,
            };

            let horaires = match l.horaires.as_deref() {
                Some(h) => match horaires_ids.get(h) {
                    Some(&id) => id,
                    None => {
                        let id = analyses.len() as u32;
                        analyses.push(disponibilite::analyser(h));
                        horaires_ids.insert(h, id);
                        id
                    }
                },
                None => disponibilite::SANS_HORAIRES,
            };

            let position = match (l.latitude, l.longitude) {
                (Some(la), Some(lo)) => Position::new(la, lo),
                _ => None,
            };
            let mut drapeaux = 0;
            if position.is_some() {
                drapeaux |= A_POSITION;
            }
            if l.prise_rdv.is_some() {
                drapeaux |= A_RDV;
            }
            if l.modalites_acces.contains(ModaliteAcces::PasDePublic) {
                drapeaux |= SANS_PUBLIC;
            }
            let court = |id: u32| if id == AUCUN32 { AUCUN16 } else { id as u16 };
            c.signatures.push(Signature {
                bits: placer(l.services, champ::SERVICES)
                    | placer(l.publics_specifiquement_adresses, champ::PUBLICS)
                    | placer(l.prise_en_charge_specifique, champ::PRISE_EN_CHARGE)
                    | placer(l.frais_a_charge, champ::FRAIS)
                    | placer(l.modalites_acces, champ::ACCES)
                    | placer(l.modalites_accompagnement, champ::ACCOMPAGNEMENT)
                    | placer(l.itinerance, champ::ITINERANCE)
                    | placer(l.dispositif_programmes_nationaux, champ::DISPOSITIFS)
                    | placer(l.formations_labels, champ::LABELS),
                drapeaux,
                fuseau: territ.fuseau,
                source,
                departement: court(territ.ids[0]),
                region: court(territ.ids[1]),
                epci: court(territ.ids[2]),
                horaires,
                commune: territ.ids[3],
                parente: territ.parente,
            });
            c.typologies.push(l.typologie);
            c.fiches.push(FicheLieu {
                code_insee: c.communes.code(territ.ids[3]),
                code_departement: c.departements.code(territ.ids[0]),
                code_region: c.regions.code(territ.ids[1]),
                code_epci: c.epcis.code(territ.ids[2]),
                code_commune_parente: c.communes.code(territ.parente),
                position,
                fuseau: territ.fuseau,
                completude: completude(l),
            });
        }
        c.horaires = TableHoraires::new(analyses);
        c.grille = Grille::new(
            c.fiches
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Some((i as u32, f.position?))),
        );
        let mut par_id: Vec<u32> = (0..n as u32).collect();
        par_id.sort_unstable_by(|&a, &b| lieux[a as usize].id.cmp(&lieux[b as usize].id));
        c.par_id = par_id;
        for niveau in [
            &mut c.departements,
            &mut c.regions,
            &mut c.epcis,
            &mut c.communes,
        ] {
            for v in &mut niveau.lieux {
                v.shrink_to_fit();
            }
        }
        c
    }

    /// Département, région, EPCI and commune ids of a place (interned on
    /// first sight), from its commune, else from its postcode.
    fn resoudre(
        &mut self,
        referentiel: &Referentiel,
        commune: Option<&Commune>,
        l: &Lieu,
    ) -> Territ {
        let departement = commune
            .and_then(|c| referentiel.departement(&c.departement))
            .or_else(|| l.departement().and_then(|d| referentiel.departement(d)));
        let region: Option<&str> = commune
            .map(|c| c.region.as_str())
            .or_else(|| departement.map(|d| d.region.as_str()));
        let codes = [
            departement.map(|d| d.code.as_str()),
            region,
            commune.and_then(|c| c.epci.as_deref()),
            commune.map(|c| c.code_insee.as_str()),
        ];
        let mut ids = [AUCUN32; 4];
        for (k, (niveau, code)) in [
            &mut self.departements,
            &mut self.regions,
            &mut self.epcis,
            &mut self.communes,
        ]
        .into_iter()
        .zip(codes)
        .enumerate()
        {
            if let Some(code) = code {
                ids[k] = niveau.interner(code);
            }
        }
        let parente = match commune.and_then(Commune::commune_parente) {
            Some(p) => self.communes.interner(p),
            None => AUCUN32,
        };
        Territ {
            ids,
            parente,
            fuseau: departement
                .map(|d| Fuseau::depuis_departement(&d.code))
                .unwrap_or_default(),
        }
    }

    pub fn len(&self) -> usize {
        self.lieux.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lieux.is_empty()
    }

    /// The places, in French alphabetical order of `nom` (ties by id):
    /// [`crate::Trouve::index`] points into this slice.
    pub fn lieux(&self) -> &[Lieu] {
        &self.lieux
    }

    /// A place by its id.
    pub fn lieu(&self, id: &str) -> Option<&Lieu> {
        self.index_de(id).map(|i| &self.lieux[i])
    }

    /// The index of a place by its id.
    pub fn index_de(&self, id: &str) -> Option<usize> {
        let k = self
            .par_id
            .partition_point(|&i| self.lieux[i as usize].id.as_str() < id);
        let i = *self.par_id.get(k)? as usize;
        (self.lieux[i].id == id).then_some(i)
    }

    /// Precomputed facts of the place at `index`. Panics when `index` is out
    /// of range, like slice indexing.
    pub fn fiche(&self, index: usize) -> &FicheLieu {
        &self.fiches[index]
    }

    /// Sources with their number of places, by decreasing count then name.
    pub fn sources(&self) -> Vec<(String, usize)> {
        self.comptes_sources.clone()
    }

    fn compter_sources(&self) -> Vec<(String, usize)> {
        let mut comptes = vec![0usize; self.sources.len()];
        for s in &self.signatures {
            if let Some(c) = comptes.get_mut(usize::from(s.source)) {
                *c += 1;
            }
        }
        let mut v: Vec<(String, usize)> = self.sources.iter().cloned().zip(comptes).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// Local wall-clock time of the place at `maintenant`.
    pub fn heure_locale(&self, index: usize, maintenant: DateTime<Utc>) -> NaiveDateTime {
        self.fiches[index].fuseau.heure_locale(maintenant)
    }

    fn horaires_de(&self, index: usize) -> Option<&opening_hours::OpeningHours> {
        let id = self.signatures.get(index)?.horaires;
        self.horaires.analyses.get(id as usize)?.as_ref()
    }

    /// Open now? Until when, or from when (local times of the place).
    pub fn etat_ouverture(&self, index: usize, maintenant: DateTime<Utc>) -> EtatOuverture {
        disponibilite::etat(
            self.horaires_de(index),
            self.heure_locale(index, maintenant),
        )
    }

    /// The badge text of the place page: `Ouvert — ferme à 18:00`,
    /// `Fermé — ouvre lundi à 09:00`.
    pub fn libelle_ouverture(&self, index: usize, maintenant: DateTime<Utc>) -> String {
        let local = self.heure_locale(index, maintenant);
        disponibilite::etat(self.horaires_de(index), local).libelle(local)
    }

    /// The timetable of the 7 days from today (local date of the place).
    pub fn semaine(&self, index: usize, maintenant: DateTime<Utc>) -> Vec<JourHoraires> {
        disponibilite::semaine(
            self.horaires_de(index),
            self.heure_locale(index, maintenant),
        )
    }

    /// True when the place's `horaires` could be read (false when absent).
    pub fn horaires_lisibles(&self, index: usize) -> bool {
        self.horaires_de(index).is_some()
    }

    /// Approximate heap size of the indexes and precomputed facts, bytes
    /// (the places themselves excluded).
    pub fn octets_index(&self) -> usize {
        use std::mem::size_of;
        self.fiches.capacity() * size_of::<FicheLieu>()
            + self.signatures.capacity() * size_of::<Signature>()
            + self.typologies.capacity() * size_of::<Ensemble<Typologie>>()
            + self.par_id.capacity() * 4
            + self.departements.octets()
            + self.regions.octets()
            + self.epcis.octets()
            + self.communes.octets()
            + self.grille.octets()
            + self.texte.octets()
            + self.horaires.analyses.len() * 512
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_send_and_sync() {
        fn verifier<T: Send + Sync>() {}
        verifier::<Catalogue>();
    }

    #[test]
    fn enumerations_fit_their_slots() {
        assert_eq!(Service::TOUTES.len(), 9);
        assert_eq!(Public::TOUTES.len(), 5);
        assert_eq!(PriseEnCharge::TOUTES.len(), 7);
        assert_eq!(Frais::TOUTES.len(), 3);
        assert_eq!(ModaliteAcces::TOUTES.len(), 6);
        assert_eq!(ModaliteAccompagnement::TOUTES.len(), 4);
        assert_eq!(Itinerance::TOUTES.len(), 2);
        assert_eq!(Dispositif::TOUTES.len(), 11);
        assert_eq!(FormationLabel::TOUTES.len(), 10);
        const { assert!(champ::LABELS + 10 <= 64) };
        let s: Ensemble<Frais> = Frais::Payant | Frais::Gratuit;
        let bits = placer(s, champ::FRAIS) | placer(Service::Loisirs | Service::AideDemarches, 0);
        assert_eq!(extraire::<Frais>(bits, champ::FRAIS), s);
    }

    #[test]
    fn signature_stays_small() {
        assert_eq!(std::mem::size_of::<Signature>(), 32);
    }
}
