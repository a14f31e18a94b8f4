//! # maillage-territoires — référentiel territorial et géolocalisation hors ligne
//!
//! The French territorial reference (COG 2026: 35 014 communes and
//! arrondissements municipaux, 1 255 EPCI, 109 départements, 26 régions, with
//! postcodes, populations and commune centroids) is embedded in the binary, so
//! `maillage` works offline with no file beside it ([`Referentiel::embarque`]).
//!
//! [`geolocaliser`] runs on raw v1 records before validation: it derives or
//! checks `code_insee`, `code_postal` and `commune`, repairs coordinates (comma
//! decimals, zeros, swapped latitude/longitude, Lambert-93) and falls back on
//! the commune centroid, marking the precision in the reserved key
//! `precision_coordonnees`.
//!
//! The address geocoder (BAN) is only designed here ([`geocodeur`]); see
//! `docs/geolocalisation.md`.

mod chargement;
pub mod erreur;
pub mod geocodeur;
pub mod geolocalisation;
pub mod lambert;
pub mod modele;
pub mod noms;
pub mod referentiel;
pub mod territoire;

pub use erreur::Erreur;
pub use geolocalisation::{distance_km, geolocaliser};
pub use lambert::{lambert93_vers_wgs84, wgs84_vers_lambert93};
pub use modele::{Commune, Departement, Epci, Region, TypeCommune};
pub use referentiel::{charger_embarque, embarque, Referentiel};
pub use territoire::{ErreurTerritoire, Territoire};
