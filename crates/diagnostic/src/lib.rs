//! # maillage-diagnostic — diagnostic territorial (domaine)
//!
//! Two building blocks of the territorial diagnostic (issue 5), with no
//! storage, web or CLI:
//!
//! * [`acces`]: for every commune, the great-circle distance from its
//!   centroid to the nearest place and to the nearest place offering each of
//!   the 9 services of the standard; populations beyond distance thresholds
//!   and "zones blanches", aggregated to any territory.
//! * [`fragilite`]: the rank-based Indice de Fragilité Numérique (method v2,
//!   2021–2022) per commune from an indicator table, aggregated to EPCI,
//!   département and région weighted by population; [`indicateurs`] reads
//!   that table from a CSV file.
//! * [`rapport`]: the whole diagnostic of one territory (key figures,
//!   places per 10,000 inhabitants, access per service, zones blanches,
//!   choropleth data), shared by the page, its files and the API.

pub mod acces;
pub mod fragilite;
pub mod indicateurs;
pub mod rapport;

pub use acces::{
    calculer_acces, calculer_acces_lieux, population_eloignee, Acces, AccesCommune,
    CommuneNonEvaluee, LieuPositionne, PopulationEloignee, SEUILS_KM,
};
pub use fragilite::{
    agreger_scores, score_pondere, scores_fragilite, Indicateur, ScoreCommune, ScoreTerritoire,
    Sens,
};
pub use indicateurs::{
    lire_indicateurs, lire_indicateurs_depuis, ErreurIndicateurs, TableIndicateurs,
};
pub use rapport::{
    AccesService, Carte, Diagnostic, Donnees, EchelonCarte, LieuCompte, Offre, Perimetre,
    UniteCarte, ZoneBlanche, RAYONS_KM, RAYON_DEFAUT_KM,
};

use maillage_lieux::Texte;
use maillage_territoires::Commune;
use serde::Serialize;

/// Level at which per-commune results are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Echelon {
    Epci,
    Departement,
    Region,
    /// Everything in one group, keyed `FR`.
    France,
}

impl Echelon {
    /// The key of the group a commune belongs to at this level; `None` for
    /// an EPCI when the commune has none (4 islands, the COM).
    pub fn cle(self, commune: &Commune) -> Option<Texte> {
        match self {
            Echelon::Epci => commune.epci.clone(),
            Echelon::Departement => Some(commune.departement.clone()),
            Echelon::Region => Some(commune.region.clone()),
            Echelon::France => Some(Texte::const_new("FR")),
        }
    }
}

/// True for an arrondissement municipal whose commune is also among the
/// given codes: counting both would count Paris, Lyon or Marseille twice.
pub(crate) fn arrondissement_en_double(commune: &Commune, present: &dyn Fn(&str) -> bool) -> bool {
    commune.commune_parente().is_some_and(present)
}
