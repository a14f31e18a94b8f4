//! # maillage-sources — import of raw sources
//!
//! Any territory that already feeds the national pipeline (mednum-cli) can
//! switch to Maillage unchanged: its mapping configuration
//! (`<source>.config.json`) is read as is ([`Configuration`]) and applied to
//! its raw records ([`transformer`]), producing raw v1 records
//! ([`maillage_lieux::LieuBrut`]) that validation then judges. Hours written
//! in French are converted to OSM `opening_hours` ([`horaires_fr`]). Raw
//! JSON and CSV files are read by `maillage_lieux::format::lire_objets`.

pub mod configuration;
pub mod connues;
pub mod horaires_fr;
pub mod transformation;

pub use configuration::{Configuration, Horaires, JourHoraires, Regle, Scalaire};
pub use connues::{source_connue, sources_connues, SourceInfo};
pub use transformation::{chercher, date_iso, texte_valeur, transformer, Transformation};
