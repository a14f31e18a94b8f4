//! Vocabulary of the audit journal of sensitive actions (who, what, when),
//! readable by administrators. Entries are append-only; storing them is the
//! persisting crates' job.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A sensitive action. Codes are stable: they are stored and filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSensible {
    Connexion,
    EchecConnexion,
    Deconnexion,
    BlocageConnexion,
    CreationCompte,
    SuppressionCompte,
    Invitation,
    VerificationEmail,
    DemandeReinitialisationMotDePasse,
    ReinitialisationMotDePasse,
    ChangementMotDePasse,
    ChangementRole,
    AjoutMembreEquipe,
    RetraitMembreEquipe,
    CreationActivite,
    ModificationActivite,
    SuppressionActivite,
    AnonymisationBeneficiaire,
    FusionBeneficiaires,
    ImportBeneficiaires,
    Export,
    ConsultationJournal,
    CreationJetonApi,
    RevocationJetonApi,
    CreationStructure,
    ChangementEmploi,
    ChangementLieuActivite,
}

impl ActionSensible {
    pub const TOUTES: [ActionSensible; 27] = [
        ActionSensible::Connexion,
        ActionSensible::EchecConnexion,
        ActionSensible::Deconnexion,
        ActionSensible::BlocageConnexion,
        ActionSensible::CreationCompte,
        ActionSensible::SuppressionCompte,
        ActionSensible::Invitation,
        ActionSensible::VerificationEmail,
        ActionSensible::DemandeReinitialisationMotDePasse,
        ActionSensible::ReinitialisationMotDePasse,
        ActionSensible::ChangementMotDePasse,
        ActionSensible::ChangementRole,
        ActionSensible::AjoutMembreEquipe,
        ActionSensible::RetraitMembreEquipe,
        ActionSensible::CreationActivite,
        ActionSensible::ModificationActivite,
        ActionSensible::SuppressionActivite,
        ActionSensible::AnonymisationBeneficiaire,
        ActionSensible::FusionBeneficiaires,
        ActionSensible::ImportBeneficiaires,
        ActionSensible::Export,
        ActionSensible::ConsultationJournal,
        ActionSensible::CreationJetonApi,
        ActionSensible::RevocationJetonApi,
        ActionSensible::CreationStructure,
        ActionSensible::ChangementEmploi,
        ActionSensible::ChangementLieuActivite,
    ];

    /// Stable code, identical to the serde representation.
    pub fn code(self) -> &'static str {
        use ActionSensible::*;
        match self {
            Connexion => "connexion",
            EchecConnexion => "echec_connexion",
            Deconnexion => "deconnexion",
            BlocageConnexion => "blocage_connexion",
            CreationCompte => "creation_compte",
            SuppressionCompte => "suppression_compte",
            Invitation => "invitation",
            VerificationEmail => "verification_email",
            DemandeReinitialisationMotDePasse => "demande_reinitialisation_mot_de_passe",
            ReinitialisationMotDePasse => "reinitialisation_mot_de_passe",
            ChangementMotDePasse => "changement_mot_de_passe",
            ChangementRole => "changement_role",
            AjoutMembreEquipe => "ajout_membre_equipe",
            RetraitMembreEquipe => "retrait_membre_equipe",
            CreationActivite => "creation_activite",
            ModificationActivite => "modification_activite",
            SuppressionActivite => "suppression_activite",
            AnonymisationBeneficiaire => "anonymisation_beneficiaire",
            FusionBeneficiaires => "fusion_beneficiaires",
            ImportBeneficiaires => "import_beneficiaires",
            Export => "export",
            ConsultationJournal => "consultation_journal",
            CreationJetonApi => "creation_jeton_api",
            RevocationJetonApi => "revocation_jeton_api",
            CreationStructure => "creation_structure",
            ChangementEmploi => "changement_emploi",
            ChangementLieuActivite => "changement_lieu_activite",
        }
    }

    /// Label shown in the journal.
    pub fn libelle(self) -> &'static str {
        use ActionSensible::*;
        match self {
            Connexion => "Connexion",
            EchecConnexion => "Échec de connexion",
            Deconnexion => "Déconnexion",
            BlocageConnexion => "Connexions suspendues après des échecs répétés",
            CreationCompte => "Création de compte",
            SuppressionCompte => "Suppression de compte",
            Invitation => "Invitation",
            VerificationEmail => "Vérification de l'adresse e-mail",
            DemandeReinitialisationMotDePasse => "Demande de réinitialisation du mot de passe",
            ReinitialisationMotDePasse => "Réinitialisation du mot de passe",
            ChangementMotDePasse => "Changement de mot de passe",
            ChangementRole => "Changement de rôle",
            AjoutMembreEquipe => "Ajout d'un médiateur à une équipe",
            RetraitMembreEquipe => "Retrait d'un médiateur d'une équipe",
            CreationActivite => "Création d'une activité",
            ModificationActivite => "Modification d'une activité",
            SuppressionActivite => "Suppression d'une activité",
            AnonymisationBeneficiaire => "Anonymisation d'un bénéficiaire",
            FusionBeneficiaires => "Fusion de bénéficiaires",
            ImportBeneficiaires => "Import de bénéficiaires",
            Export => "Export de données",
            ConsultationJournal => "Consultation du journal d'audit",
            CreationJetonApi => "Création d'un jeton d'API",
            RevocationJetonApi => "Révocation d'un jeton d'API",
            CreationStructure => "Création d'une structure employeuse",
            ChangementEmploi => "Changement d'employeur",
            ChangementLieuActivite => "Changement de lieu d'activité",
        }
    }
}

impl fmt::Display for ActionSensible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libelle())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("action de journal inconnue : « {0} »")]
pub struct ActionSensibleInconnue(pub String);

impl FromStr for ActionSensible {
    type Err = ActionSensibleInconnue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActionSensible::TOUTES
            .into_iter()
            .find(|a| a.code() == s)
            .ok_or_else(|| ActionSensibleInconnue(s.to_owned()))
    }
}

/// One journal entry. `details` holds context (IP, changed fields, export
/// filters) and must never hold secrets: no password, no clear token, and
/// no beneficiary personal data — reference beneficiaries by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntreeJournal {
    /// `None` for anonymous events such as a failed login on an unknown
    /// address.
    pub acteur_id: Option<String>,
    pub action: ActionSensible,
    /// What was acted on, e.g. `"activite:42"` or `"utilisateur:7"`.
    pub cible: Option<String>,
    pub details: serde_json::Value,
    pub quand: DateTime<Utc>,
}

impl EntreeJournal {
    pub fn nouvelle(
        acteur_id: Option<String>,
        action: ActionSensible,
        cible: Option<String>,
        details: serde_json::Value,
        quand: DateTime<Utc>,
    ) -> Self {
        EntreeJournal {
            acteur_id,
            action,
            cible,
            details,
            quand,
        }
    }
}
