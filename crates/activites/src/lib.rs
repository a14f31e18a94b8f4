//! # maillage-activites — comptes-rendus d'activité (CRA)
//!
//! The activity records of mediators, modelled exactly as La Coop de la
//! médiation numérique does (`model Activite`, described in
//! `docs/workspace-and-pilotage.md` §1.2, with the beneficiary enumerations
//! of §1.4 and the duration buckets of §1.5), so records move between the
//! two systems with the same codes and field names.
//!
//! Pure domain: no database, no HTTP. Storage, journaling and soft deletion
//! belong to the crates that persist records.
//!
//! ```text
//! ActiviteSaisie ──valider(&saisie, today)──▶ Result<Activite, Vec<ErreurChamp>>
//! Activite ──dupliquer──▶ ActiviteSaisie   (a draft copy to edit)
//! ```

pub mod activite;
pub mod duree;
pub mod enums;
pub mod repartition;
pub mod validation;

pub use activite::{
    dupliquer, Activite, ActiviteSaisie, Beneficiaire, Collectif, Demographie, Detail, DureeSaisie,
    Individuel, Lieu, ParticipantsAnonymes,
};
pub use duree::{Duree, DureeHorsBornes, DureePreset, TrancheDuree, DUREE_MAX_MINUTES};
pub use enums::{
    Autonomie, CodeInconnu, Genre, Materiel, NiveauAtelier, StatutSocial, StructureDeRedirection,
    Thematique, TrancheAge, TypeActivite, TypeLieu,
};
pub use repartition::{repartition_beneficiaires, RepartitionBeneficiaires};
pub use validation::{libelle_champ, valider, ErreurChamp};
