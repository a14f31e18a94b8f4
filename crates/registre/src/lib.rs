//! # maillage-registre — the registry of places, end to end
//!
//! The application layer of the first capability: it assembles the standard
//! ([`maillage_lieux`]), raw-source mappings ([`maillage_sources`]), offline
//! geolocation ([`maillage_territoires`]), duplicate detection
//! ([`maillage_dedup`]) and storage ([`maillage_store`]) into the operations
//! the CLI and, later, the web server expose:
//!
//! - [`import`]: read, migrate, transform, geolocate and validate files, then
//!   apply the difference with what the registry holds for that source, in
//!   one transaction;
//! - [`consolidation`]: group the source records that describe the same
//!   place and publish one merged place per group, with its provenance;
//! - [`export`]: publish the registry in the standard (CSV, JSON, GeoJSON);
//! - [`synthetique`] and [`bench`]: national-scale synthetic data and the
//!   benchmark of the whole pipeline.

pub mod bench;
pub mod consolidation;
pub mod demo;
pub mod export;
pub mod import;
pub mod rapport;
pub mod synthetique;

pub use maillage_store::Store;

/// Errors of registry operations, with French messages for end users.
#[derive(Debug, thiserror::Error)]
pub enum Erreur {
    /// A file cannot be used at all; nothing was stored.
    #[error("{0}")]
    FichierInutilisable(Box<maillage_lieux::Issue>),
    #[error("lecture de « {fichier} » impossible : {raison}")]
    Lecture { fichier: String, raison: String },
    #[error("écriture de « {fichier} » impossible : {raison}")]
    Ecriture { fichier: String, raison: String },
    #[error("base de données : {0}")]
    Stockage(#[from] maillage_store::StoreError),
    #[error("référentiel territorial : {0}")]
    Territoires(String),
    #[error("{0}")]
    Parametre(String),
}

pub type Resultat<T> = Result<T, Erreur>;

impl Erreur {
    /// A whole file cannot be used.
    pub fn inutilisable(issue: maillage_lieux::Issue) -> Self {
        Erreur::FichierInutilisable(Box::new(issue))
    }
}
