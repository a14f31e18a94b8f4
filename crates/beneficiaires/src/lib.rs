//! # maillage-beneficiaires — les bénéficiaires des médiateurs
//!
//! The beneficiaries of La Coop's model (`model Beneficiaire`,
//! `docs/workspace-and-pilotage.md` §1.4), cut down to what the GDPR allows
//! without a reason to keep more:
//!
//! - **anonymous by default**: only demographics (commune, tranche d'âge,
//!   genre, statut social) are kept;
//! - **followed** when the person agrees: prénom and nom (required then),
//!   optional téléphone, e-mail, année de naissance and notes, with the date
//!   of the consent kept by the store;
//! - always **owned** by one mediator;
//! - **deletion anonymises** ([`anonymiser`]): identity, contact, birth year
//!   and notes go, demographics stay for statistics;
//! - a **retention rule** ([`a_anonymiser`]) anonymises those inactive for
//!   a configurable number of months (24 by default);
//! - **duplicates** are detected per owner ([`detecter_doublons`]) and merged
//!   by a plan ([`planifier_fusion`]): the survivor keeps its values, missing
//!   ones come from the other record;
//! - **import and export** as CSV or XLSX ([`fichiers`]) with La Coop's
//!   column names where they exist; an import is all-or-nothing and every
//!   error names the file, line, field and reason.
//!
//! Pure domain: no database, no HTTP, no clock (the current year or date is
//! always a parameter).
//!
//! ```text
//! BeneficiaireSaisie ──valider(&saisie, année)──▶ Result<Beneficiaire, Vec<ErreurChamp>>
//! [Fiche] ──detecter_doublons──▶ [PaireDoublon] ──planifier_fusion──▶ PlanFusion
//! octets ──fichiers::importer(nom, octets, année)──▶ Result<Vec<Beneficiaire>, Vec<ErreurImport>>
//! ```

pub mod beneficiaire;
pub mod doublons;
pub mod fichiers;
pub mod retention;

pub use beneficiaire::{
    anonymiser, formater_telephone, libelle_champ, normaliser, tranche_de_l_annee, valider,
    Beneficiaire, BeneficiaireSaisie, ErreurChamp, Fiche, ANNEE_NAISSANCE_MIN, NOM_MAX, NOTES_MAX,
};
pub use doublons::{
    detecter_doublons, planifier_fusion, survivant_propose, ErreurFusion, PaireDoublon, PlanFusion,
};
pub use fichiers::{
    exporter_csv, exporter_xlsx, importer, ErreurExport, ErreurImport, COLONNES_EXPORT,
    IMPORT_LIGNES_MAX,
};
pub use retention::{
    a_anonymiser, date_reference, limite_retention, ErreurRetention, RETENTION_MOIS_DEFAUT,
    RETENTION_MOIS_MAX,
};

pub use maillage_activites::{Genre, StatutSocial, TrancheAge};
