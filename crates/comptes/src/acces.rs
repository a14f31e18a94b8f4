//! Who may do what: `autoriser(acteur, action, cible, territoires)`.
//!
//! Every route asks this function on the server before reading or writing;
//! the web layer only hides links for comfort. Rules are deny-by-default:
//! an action is allowed when one of the actor's coherent role grants (or the
//! "own data" rule) allows it.
//!
//! ## Matrix
//!
//! What each role grant allows; only owners ever write records and
//! beneficiaries.
//!
//! ```text
//! rôle                      autorisé                                      refusé
//! ────────────────────────  ────────────────────────────────────────────  ────────────────────────────────────
//! médiateur                 ses activités et ses bénéficiaires (tout)     activités et bénéficiaires d'autrui,
//!                                                                         statistiques d'autrui, pilotage,
//!                                                                         journal, invitations
//! coordinateur              lecture des activités de l'équipe ¹,          bénéficiaires, écriture, hors équipe
//!                           statistiques et listes Equipe(soi) et         ou hors période, structure,
//!                           Mediateur(membre) ¹, inviter un médiateur     territoire, pilotage, journal
//!                           dans son équipe
//! gestionnaire structure    lecture des activités de sa structure,        bénéficiaires, écriture, autres
//!                           statistiques et listes Structure(sienne),     structures, territoire, pilotage,
//!                           inviter médiateur/gestionnaire chez elle      journal
//! gestionnaire territorial  statistiques et pilotage de son département,  activités individuelles ², listes,
//!                           ou de sa région et de ses départements ³      bénéficiaires, National, journal
//! administrateur            statistiques et pilotage partout (National    activités individuelles ², listes,
//!                           compris), journal (lecture, export),          bénéficiaires, modifier le journal
//!                           utilisateurs, comptes, invitations
//! tous                      statistiques et liste Soi, son compte
//! ```
//!
//! ¹ only for dates within the coordinator–mediator link's period (a
//!   statistics period must fit entirely within one link).
//! ² aggregates are enough to steer or administer; individual records stay
//!   with the mediators and their managers.
//! ³ a région grant covers the région and its départements; a département
//!   grant covers only that département.
//!
//! Everyone may read their own statistics (`Perimetre::Soi` or
//! `Perimetre::Mediateur(own id)`) and manage their own account. Nobody
//! modifies or deletes the audit journal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::role::{Attribution, LienEquipe, PerimetreAttribution, Role};

/// Maps a département code to its région code. Injected so this crate does
/// not depend on the territories crate; closures work directly.
pub trait RegionDuDepartement {
    fn region_du_departement(&self, departement: &str) -> Option<String>;
}

impl<F> RegionDuDepartement for F
where
    F: Fn(&str) -> Option<String>,
{
    fn region_du_departement(&self, departement: &str) -> Option<String> {
        self(departement)
    }
}

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acteur {
    pub id: String,
    pub email: String,
    pub attributions: Vec<Attribution>,
    /// Structures where the person currently works as a mediator
    /// (`EmployeStructure` / `MediateurEnActivite`).
    pub structures_mediateur: Vec<String>,
}

impl Acteur {
    /// Coherent grants only: a grant whose scope does not fit its role is
    /// ignored everywhere, so a malformed row can never widen access.
    pub fn attributions_valides(&self) -> impl Iterator<Item = &Attribution> {
        self.attributions.iter().filter(|a| a.est_coherente())
    }

    pub fn a_le_role(&self, role: Role) -> bool {
        self.attributions_valides().any(|a| a.role == role)
    }

    /// The team links of all the actor's coordinator grants; the statistics
    /// layer uses them to cut each mediator's activities to the link's period.
    pub fn liens_equipe(&self) -> impl Iterator<Item = &LienEquipe> {
        self.attributions_valides()
            .filter_map(|a| match &a.perimetre {
                PerimetreAttribution::Equipe(liens) if a.role == Role::Coordinateur => Some(liens),
                _ => None,
            })
            .flatten()
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Consulter,
    Creer,
    Modifier,
    Supprimer,
    Exporter,
}

impl Action {
    pub const TOUTES: [Action; 5] = [
        Action::Consulter,
        Action::Creer,
        Action::Modifier,
        Action::Supprimer,
        Action::Exporter,
    ];
}

/// An inclusive date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Periode {
    pub du: NaiveDate,
    pub au: NaiveDate,
}

impl Periode {
    pub fn new(du: NaiveDate, au: NaiveDate) -> Self {
        Periode { du, au }
    }

    pub fn jour(date: NaiveDate) -> Self {
        Periode { du: date, au: date }
    }
}

/// The scope of statistics, lists and exports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "valeur", rename_all = "snake_case")]
pub enum Perimetre {
    /// The actor's own activity.
    Soi,
    /// One mediator, by user id.
    Mediateur(String),
    /// A coordinator's team, by the coordinator's user id.
    Equipe(String),
    /// An employer structure, by id.
    Structure(String),
    /// A département, by code.
    Departement(String),
    /// A région, by INSEE code.
    Region(String),
    National,
}

/// The facts about an activity record that access depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheActivite {
    /// The mediator who recorded it (its owner).
    pub mediateur_id: String,
    /// The mediator's employer structure for this record.
    pub structure_id: Option<String>,
    pub date: NaiveDate,
    /// Where it took place. Not used to grant access to the record itself
    /// (territorial managers see aggregates only); carried so the serving
    /// layer can describe the record and filter lists.
    pub commune_insee: Option<String>,
    pub departement: Option<String>,
    pub region: Option<String>,
}

/// The facts about a followed beneficiary that access depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FicheBeneficiaire {
    /// The mediator who follows the beneficiary (its owner).
    pub mediateur_id: String,
}

/// What is accessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Cible {
    /// One activity record. Served to anyone but its owner without the
    /// beneficiary's identity: showing it needs `Cible::Beneficiaire`.
    Activite(FicheActivite),
    /// A followed beneficiary's personal data.
    Beneficiaire(FicheBeneficiaire),
    /// Aggregated statistics.
    Statistiques {
        perimetre: Perimetre,
        periode: Periode,
    },
    /// Lists and exports of individual activity records.
    ListeActivites {
        perimetre: Perimetre,
        periode: Periode,
    },
    /// The territorial pilotage table (one row per département or région).
    TableauPilotage {
        perimetre: Perimetre,
    },
    JournalAudit,
    /// The user directory and role management.
    Utilisateurs,
    /// One account, by user id.
    Compte {
        utilisateur_id: String,
    },
    /// Inviting someone to a role on a scope (and listing or revoking such
    /// invitations).
    Invitation {
        role: Role,
        vers: Perimetre,
    },
}

/// Why access is refused; `Display` is the French message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refus {
    #[error("Votre compte n'a aucun rôle : demandez à un administrateur de vous en attribuer un.")]
    AucuneAttribution,
    #[error("Cette action n'est pas possible sur cette ressource.")]
    ActionInapplicable,
    #[error("Le journal d'audit ne peut être ni modifié ni supprimé.")]
    JournalInalterable,
    #[error("La date de début de la période est postérieure à sa date de fin.")]
    PeriodeInvalide,
    #[error("Ce compte-rendu d'activité appartient à un autre médiateur.")]
    ActiviteDAutrui,
    #[error("Vous ne pouvez pas enregistrer d'activité pour une structure où vous n'exercez pas.")]
    StructureNonExercee,
    #[error("Les données personnelles d'un bénéficiaire ne sont accessibles qu'au médiateur qui le suit.")]
    DonneesBeneficiaire,
    #[error("Ce médiateur ne fait pas partie de votre équipe.")]
    HorsEquipe,
    #[error("Ces dates sont en dehors de la période pendant laquelle ce médiateur faisait partie de votre équipe.")]
    HorsPeriodeEquipe,
    #[error("Votre rôle permet de consulter ces données, pas de les modifier.")]
    LectureSeule,
    #[error("Votre rôle donne accès aux statistiques agrégées, pas aux activités individuelles.")]
    DonneesIndividuelles,
    #[error("Ce périmètre ne relève pas de vos attributions.")]
    HorsPerimetre,
    #[error("Votre rôle ne permet pas d'envoyer cette invitation.")]
    InvitationNonPermise,
    #[error("Cette page est réservée aux administrateurs.")]
    ReserveAdministrateur,
}

impl Refus {
    /// When several grants refuse, the user gets the reason from the grant
    /// that came closest to allowing: a coordinator who is also a mediator
    /// learns that the dates are out of the team period, not merely that the
    /// record belongs to someone else.
    fn precision(&self) -> u8 {
        match self {
            Refus::AucuneAttribution => 0,
            Refus::ReserveAdministrateur => 1,
            Refus::HorsPerimetre => 2,
            Refus::InvitationNonPermise => 3,
            Refus::DonneesIndividuelles => 4,
            Refus::ActiviteDAutrui => 5,
            Refus::DonneesBeneficiaire => 6,
            Refus::HorsEquipe => 7,
            Refus::LectureSeule => 8,
            Refus::StructureNonExercee => 9,
            Refus::HorsPeriodeEquipe => 10,
            Refus::ActionInapplicable | Refus::JournalInalterable | Refus::PeriodeInvalide => 11,
        }
    }
}

/// Decides whether `acteur` may perform `action` on `cible`. `territoires`
/// tells which région a département belongs to, for région managers; a
/// département it does not know is refused to them, never guessed.
pub fn autoriser(
    acteur: &Acteur,
    action: Action,
    cible: &Cible,
    territoires: &dyn RegionDuDepartement,
) -> Result<(), Refus> {
    verifier_forme(action, cible)?;
    if donnees_propres(acteur, cible) {
        return Ok(());
    }
    let mut meilleur_refus = Refus::AucuneAttribution;
    for attribution in acteur.attributions_valides() {
        let verdict = match (attribution.role, &attribution.perimetre) {
            (Role::Mediateur, _) => regle_mediateur(acteur, action, cible),
            (Role::Coordinateur, PerimetreAttribution::Equipe(liens)) => {
                regle_coordinateur(acteur, liens, action, cible)
            }
            (Role::GestionnaireStructure, PerimetreAttribution::Structure(id)) => {
                regle_gestionnaire_structure(id, action, cible)
            }
            (Role::GestionnaireTerritorial, territoire) => {
                regle_gestionnaire_territorial(territoire, cible, territoires)
            }
            (Role::Administrateur, _) => regle_administrateur(cible),
            // Unreachable for coherent grants; refusing keeps it deny-by-default.
            _ => Err(Refus::AucuneAttribution),
        };
        match verdict {
            Ok(()) => return Ok(()),
            Err(refus) if refus.precision() > meilleur_refus.precision() => meilleur_refus = refus,
            Err(_) => {}
        }
    }
    Err(meilleur_refus)
}

/// Refusals that hold whoever asks: meaningless actions, altering the
/// journal (append-only, written by the system, never through a user
/// action), inverted periods.
fn verifier_forme(action: Action, cible: &Cible) -> Result<(), Refus> {
    use Action::*;
    let applicable = match cible {
        Cible::Activite(_) => action != Exporter,
        Cible::Beneficiaire(_) | Cible::Utilisateurs => true,
        Cible::Statistiques { .. }
        | Cible::ListeActivites { .. }
        | Cible::TableauPilotage { .. } => {
            matches!(action, Consulter | Exporter)
        }
        Cible::JournalAudit => match action {
            Consulter | Exporter => true,
            Modifier | Supprimer => return Err(Refus::JournalInalterable),
            Creer => false,
        },
        // Accounts are created through invitations or user administration.
        Cible::Compte { .. } => action != Creer,
        Cible::Invitation { .. } => action != Exporter,
    };
    if !applicable {
        return Err(Refus::ActionInapplicable);
    }
    match cible {
        Cible::Statistiques { periode, .. } | Cible::ListeActivites { periode, .. }
            if periode.du > periode.au =>
        {
            Err(Refus::PeriodeInvalide)
        }
        _ => Ok(()),
    }
}

/// Own statistics, own activity list and own account, whatever the roles.
fn donnees_propres(acteur: &Acteur, cible: &Cible) -> bool {
    match cible {
        Cible::Statistiques { perimetre, .. } | Cible::ListeActivites { perimetre, .. } => {
            match perimetre {
                Perimetre::Soi => true,
                Perimetre::Mediateur(id) => *id == acteur.id,
                _ => false,
            }
        }
        Cible::Compte { utilisateur_id } => *utilisateur_id == acteur.id,
        _ => false,
    }
}

/// Targets only an administrator may reach; `None` when the target is not
/// one of them.
fn cible_administrative(cible: &Cible) -> Option<Refus> {
    match cible {
        Cible::JournalAudit | Cible::Utilisateurs | Cible::Compte { .. } => {
            Some(Refus::ReserveAdministrateur)
        }
        _ => None,
    }
}

/// Mediator: full control of their own records and followed beneficiaries
/// (the beneficiary is "owned" by the mediator), nothing of anyone else's.
fn regle_mediateur(acteur: &Acteur, action: Action, cible: &Cible) -> Result<(), Refus> {
    if let Some(refus) = cible_administrative(cible) {
        return Err(refus);
    }
    match cible {
        Cible::Activite(fiche) => {
            if fiche.mediateur_id != acteur.id {
                return Err(Refus::ActiviteDAutrui);
            }
            // A new record is filed under a structure where the mediator
            // works now; older records stay theirs after they leave it.
            let structure_exercee = fiche
                .structure_id
                .as_ref()
                .is_none_or(|s| acteur.structures_mediateur.contains(s));
            if action == Action::Creer && !structure_exercee {
                return Err(Refus::StructureNonExercee);
            }
            Ok(())
        }
        Cible::Beneficiaire(fiche) if fiche.mediateur_id == acteur.id => Ok(()),
        Cible::Beneficiaire(_) => Err(Refus::DonneesBeneficiaire),
        Cible::Invitation { .. } => Err(Refus::InvitationNonPermise),
        _ => Err(Refus::HorsPerimetre),
    }
}

/// Coordinator: reads the records and statistics of team members, but only
/// for dates within each link's period (La Coop cuts a coordinator's
/// statistics at the link's suppression date); never beneficiaries'
/// personal data, never writes a mediator's records.
fn regle_coordinateur(
    acteur: &Acteur,
    liens: &[LienEquipe],
    action: Action,
    cible: &Cible,
) -> Result<(), Refus> {
    if let Some(refus) = cible_administrative(cible) {
        return Err(refus);
    }
    let liens_de = |mediateur_id: &str| -> Vec<&LienEquipe> {
        liens
            .iter()
            .filter(|l| l.mediateur_id == mediateur_id)
            .collect()
    };
    match cible {
        Cible::Activite(fiche) => {
            let liens = liens_de(&fiche.mediateur_id);
            if liens.is_empty() {
                return Err(Refus::HorsEquipe);
            }
            if action != Action::Consulter {
                return Err(Refus::LectureSeule);
            }
            if liens.iter().any(|l| l.couvre(fiche.date)) {
                Ok(())
            } else {
                Err(Refus::HorsPeriodeEquipe)
            }
        }
        Cible::Beneficiaire(_) => Err(Refus::DonneesBeneficiaire),
        Cible::Statistiques { perimetre, periode }
        | Cible::ListeActivites { perimetre, periode } => match perimetre {
            // The query layer cuts each member's activities to its link
            // period with `Acteur::liens_equipe`.
            Perimetre::Equipe(coordinateur_id) if *coordinateur_id == acteur.id => Ok(()),
            Perimetre::Mediateur(mediateur_id) => {
                let liens = liens_de(mediateur_id);
                if liens.is_empty() {
                    Err(Refus::HorsEquipe)
                } else if liens
                    .iter()
                    .any(|l| l.couvre_periode(periode.du, periode.au))
                {
                    Ok(())
                } else {
                    Err(Refus::HorsPeriodeEquipe)
                }
            }
            _ => Err(Refus::HorsPerimetre),
        },
        Cible::Invitation {
            role: Role::Mediateur,
            vers: Perimetre::Equipe(coordinateur_id),
        } if *coordinateur_id == acteur.id => Ok(()),
        Cible::Invitation { .. } => Err(Refus::InvitationNonPermise),
        _ => Err(Refus::HorsPerimetre),
    }
}

/// Employer: reads the records and statistics of their structure to follow
/// its activity; beneficiaries' personal data stays with the mediator.
fn regle_gestionnaire_structure(
    structure_id: &str,
    action: Action,
    cible: &Cible,
) -> Result<(), Refus> {
    if let Some(refus) = cible_administrative(cible) {
        return Err(refus);
    }
    match cible {
        Cible::Activite(fiche) => {
            if fiche.structure_id.as_deref() != Some(structure_id) {
                Err(Refus::HorsPerimetre)
            } else if action != Action::Consulter {
                Err(Refus::LectureSeule)
            } else {
                Ok(())
            }
        }
        Cible::Beneficiaire(_) => Err(Refus::DonneesBeneficiaire),
        Cible::Statistiques { perimetre, .. } | Cible::ListeActivites { perimetre, .. } => {
            match perimetre {
                Perimetre::Structure(id) if id == structure_id => Ok(()),
                _ => Err(Refus::HorsPerimetre),
            }
        }
        Cible::Invitation {
            role: Role::Mediateur | Role::GestionnaireStructure,
            vers: Perimetre::Structure(id),
        } if id == structure_id => Ok(()),
        Cible::Invitation { .. } => Err(Refus::InvitationNonPermise),
        _ => Err(Refus::HorsPerimetre),
    }
}

/// Territorial manager: steers a territory from aggregates (statistics,
/// pilotage table). Individual records are refused even in their territory:
/// aggregates are enough to steer, and records are personal to mediators.
fn regle_gestionnaire_territorial(
    territoire: &PerimetreAttribution,
    cible: &Cible,
    territoires: &dyn RegionDuDepartement,
) -> Result<(), Refus> {
    if let Some(refus) = cible_administrative(cible) {
        return Err(refus);
    }
    match cible {
        Cible::Activite(_) | Cible::ListeActivites { .. } => Err(Refus::DonneesIndividuelles),
        Cible::Beneficiaire(_) => Err(Refus::DonneesBeneficiaire),
        Cible::Statistiques { perimetre, .. } | Cible::TableauPilotage { perimetre } => {
            if territoire_couvre(territoire, perimetre, territoires) {
                Ok(())
            } else {
                Err(Refus::HorsPerimetre)
            }
        }
        Cible::Invitation { .. } => Err(Refus::InvitationNonPermise),
        _ => Err(Refus::HorsPerimetre),
    }
}

/// A département grant covers that département; a région grant covers the
/// région and its départements. Codes compare case-insensitively ("2a"/"2A").
fn territoire_couvre(
    territoire: &PerimetreAttribution,
    perimetre: &Perimetre,
    territoires: &dyn RegionDuDepartement,
) -> bool {
    match (territoire, perimetre) {
        (PerimetreAttribution::Departement(mien), Perimetre::Departement(demande)) => {
            mien.eq_ignore_ascii_case(demande)
        }
        (PerimetreAttribution::Region(mienne), Perimetre::Region(demandee)) => {
            mienne.eq_ignore_ascii_case(demandee)
        }
        (PerimetreAttribution::Region(mienne), Perimetre::Departement(demande)) => territoires
            .region_du_departement(demande)
            .is_some_and(|region| region.eq_ignore_ascii_case(mienne)),
        _ => false,
    }
}

/// Administrator: manages users and invitations, reads the journal, sees
/// statistics and pilotage at every level including national. No individual
/// records nor beneficiary data: administering accounts does not need them.
fn regle_administrateur(cible: &Cible) -> Result<(), Refus> {
    match cible {
        Cible::Activite(_) | Cible::ListeActivites { .. } => Err(Refus::DonneesIndividuelles),
        Cible::Beneficiaire(_) => Err(Refus::DonneesBeneficiaire),
        Cible::Statistiques { .. }
        | Cible::TableauPilotage { .. }
        | Cible::JournalAudit
        | Cible::Utilisateurs
        | Cible::Compte { .. }
        | Cible::Invitation { .. } => Ok(()),
    }
}
