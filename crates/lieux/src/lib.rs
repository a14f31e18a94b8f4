//! # maillage-lieux — the national data standard for places
//!
//! "Schéma des lieux de médiation numérique" v1.0.2, exactly: the typed model
//! ([`Lieu`]), its enumerations ([`enums`]), validation of raw records
//! ([`validation`]), migration of v0.1 records ([`v0`]), opening hours
//! ([`horaires`]) and the file formats ([`format`]).
//!
//! The pipeline every input follows, whatever its origin (standard file,
//! raw source through a mapping configuration):
//!
//! ```text
//! file ──read──▶ LieuBrut (field → text, with its line)
//!      ──v0::migrer──▶ LieuBrut in v1 names and values
//!      ──(geolocation, in maillage-territoires)──▶
//!      ──validation::valider──▶ Lieu + Issues
//! ```

pub mod brut;
pub mod enums;
pub mod format;
pub mod horaires;
pub mod issue;
pub mod lieu;
pub mod texte;
pub mod v0;
pub mod validation;

pub use brut::LieuBrut;
pub use enums::{Ensemble, Valeur};
pub use issue::{Gravite, Issue};
pub use lieu::{Lieu, PrecisionCoordonnees, CHAMPS};

/// Short text type of the model: strings up to 24 bytes stay inline, which
/// halves the memory of a national registry.
pub type Texte = compact_str::CompactString;
