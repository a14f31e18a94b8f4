//! # maillage-comptes — comptes, rôles, permissions et sécurité de connexion
//!
//! The accounts domain of the mediators' workspace: who may see and do what
//! (roles, scopes, coordinator–mediator links), how passwords are hashed and
//! judged, single-use tokens for e-mail verification, password reset and
//! invitations, login throttling, and the vocabulary of the audit journal.
//!
//! Pure domain: no database, no HTTP, no clock. Every function that depends
//! on time takes `maintenant` explicitly so the rules are testable and the
//! persisting crates decide where "now" comes from.
//!
//! ```text
//! Acteur + Action + Cible ──autoriser(…, &territoires)──▶ Result<(), Refus>
//! mot de passe ──hacher_mot_de_passe──▶ "$argon2id$v=19$m=19456,t=2,p=1$…"
//! Jeton::nouveau(but, maintenant, durée) ──▶ (jeton clair, Jeton stocké)
//! Freinage::verifier / enregistrer_echec / enregistrer_succes
//! EntreeJournal { acteur_id, action: ActionSensible, cible, details, quand }
//! ```

pub mod acces;
pub mod freinage;
pub mod jeton;
pub mod jeton_api;
pub mod journal;
pub mod mot_de_passe;
pub mod role;
pub mod siret;
pub mod structures;

pub use acces::{
    autoriser, Acteur, Action, Cible, FicheActivite, FicheBeneficiaire, Perimetre, Periode, Refus,
    RegionDuDepartement,
};
pub use freinage::{message_attente, Freinage, FENETRE_ECHECS, MAX_ECHECS_AVANT_BLOCAGE};
pub use jeton::{consommer, secret_aleatoire, ButJeton, ErreurGeneration, ErreurJeton, Jeton};
pub use jeton_api::{
    correspond, empreinte_jeton_api, jeton_utilisable, lire_portees, portees_en_texte,
    verifier_jeton_api, ErreurAuthApi, ErreurChampJeton, ErreurCreationJeton, NouveauJetonApi,
    PorteeApi, PorteeInconnue, DUREES_PROPOSEES_JOURS, DUREE_MAX_JOURS, PREFIXE_JETON_API,
};
pub use journal::{ActionSensible, ActionSensibleInconnue, EntreeJournal};
pub use mot_de_passe::{
    doit_etre_rehache, hacher_mot_de_passe, politique_mot_de_passe, verifier_mot_de_passe,
    ErreurHachage,
};
pub use role::{Attribution, LienEquipe, PerimetreAttribution, Role, RoleInconnu};
pub use siret::{ErreurSiret, Siret};
pub use structures::{autoriser_structure, DemandeStructure, RefusStructure};
