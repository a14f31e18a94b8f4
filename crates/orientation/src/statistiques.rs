//! Counts over the places matching a search: facets of the search page and
//! the territorial view.

use chrono::{DateTime, Utc};
use maillage_lieux::enums::*;
use serde::Serialize;

use crate::catalogue::{Catalogue, AUCUN16};
use crate::recherche::{Filtre, Recherche};

/// Counts over a matching set. Services, fees and national programmes list
/// every value of the standard in its order (zeros included, for facets);
/// the other lists hold non-zero counts only, by decreasing count then code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statistiques {
    pub total: usize,
    #[serde(serialize_with = "crate::serde_valeur::comptes")]
    pub services: Vec<(Service, usize)>,
    #[serde(serialize_with = "crate::serde_valeur::comptes")]
    pub frais_a_charge: Vec<(Frais, usize)>,
    #[serde(serialize_with = "crate::serde_valeur::comptes")]
    pub dispositifs: Vec<(Dispositif, usize)>,
    #[serde(serialize_with = "crate::serde_valeur::comptes")]
    pub typologies: Vec<(Typologie, usize)>,
    pub sources: Vec<(String, usize)>,
    /// By département code.
    pub departements: Vec<(String, usize)>,
    /// By région code.
    pub regions: Vec<(String, usize)>,
    /// Places whose hours could be read.
    pub avec_horaires: usize,
    pub avec_position: usize,
}

fn tous<T: Valeur>(comptes: &[usize]) -> Vec<(T, usize)> {
    T::TOUTES
        .iter()
        .copied()
        .zip(comptes.iter().copied())
        .collect()
}

fn non_nuls<T: Clone + Ord>(v: impl Iterator<Item = (T, usize)>) -> Vec<(T, usize)> {
    let mut v: Vec<(T, usize)> = v.filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl Catalogue {
    /// Counts by service, fee, programme, typology, source, département and
    /// région over the places matching `r` (pagination ignored).
    pub fn statistiques(&self, r: &Recherche, maintenant: DateTime<Utc>) -> Statistiques {
        let mut services = vec![0usize; Service::TOUTES.len()];
        let mut frais = vec![0usize; Frais::TOUTES.len()];
        let mut dispositifs = vec![0usize; Dispositif::TOUTES.len()];
        let mut typologies = vec![0usize; Typologie::TOUTES.len()];
        let mut sources = vec![0usize; self.sources.len()];
        let mut departements = vec![0usize; self.departements.codes.len()];
        let mut regions = vec![0usize; self.regions.codes.len()];
        let (mut total, mut avec_horaires, mut avec_position) = (0, 0, 0);
        Filtre::new(self, r, maintenant).parcourir(|c| {
            total += 1;
            let i = c.index as usize;
            let s = &self.signatures[i];
            // Enumset bits follow declaration order, which is the
            // standard's order (`TOUTES`).
            for v in s.services().iter() {
                services[v as usize] += 1;
            }
            for v in s.frais().iter() {
                frais[v as usize] += 1;
            }
            for v in s.dispositifs().iter() {
                dispositifs[v as usize] += 1;
            }
            for v in self.typologies[i].iter() {
                typologies[v as usize] += 1;
            }
            if s.source != AUCUN16 {
                if let Some(n) = sources.get_mut(usize::from(s.source)) {
                    *n += 1;
                }
            }
            if let Some(n) = departements.get_mut(usize::from(s.departement)) {
                *n += 1;
            }
            if let Some(n) = regions.get_mut(usize::from(s.region)) {
                *n += 1;
            }
            if self.horaires_lisibles(i) {
                avec_horaires += 1;
            }
            if self.fiches[i].position.is_some() {
                avec_position += 1;
            }
        });
        let codes = |v: &[std::sync::Arc<str>], n: Vec<usize>| {
            non_nuls(v.iter().map(|c| c.to_string()).zip(n))
        };
        Statistiques {
            total,
            services: tous(&services),
            frais_a_charge: tous(&frais),
            dispositifs: tous(&dispositifs),
            typologies: non_nuls(Typologie::TOUTES.iter().copied().zip(typologies)),
            sources: non_nuls(self.sources.iter().cloned().zip(sources)),
            departements: codes(&self.departements.codes, departements),
            regions: codes(&self.regions.codes, regions),
            avec_horaires,
            avec_position,
        }
    }
}
