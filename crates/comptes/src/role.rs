//! Roles, role grants and coordinator–mediator team links.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A role in the workspace. Codes are stable (stored, sent in APIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accompanies beneficiaries and records activities.
    Mediateur,
    /// Coordinates a team of mediators.
    Coordinateur,
    /// Manages an employer structure.
    GestionnaireStructure,
    /// Manages a département or a région (pilotage).
    GestionnaireTerritorial,
    /// Manages users, reads the audit journal.
    Administrateur,
}

impl Role {
    pub const TOUS: [Role; 5] = [
        Role::Mediateur,
        Role::Coordinateur,
        Role::GestionnaireStructure,
        Role::GestionnaireTerritorial,
        Role::Administrateur,
    ];

    /// Stable code, identical to the serde representation.
    pub fn code(self) -> &'static str {
        match self {
            Role::Mediateur => "mediateur",
            Role::Coordinateur => "coordinateur",
            Role::GestionnaireStructure => "gestionnaire_structure",
            Role::GestionnaireTerritorial => "gestionnaire_territorial",
            Role::Administrateur => "administrateur",
        }
    }

    /// Label shown to users.
    pub fn libelle(self) -> &'static str {
        match self {
            Role::Mediateur => "Médiateur numérique",
            Role::Coordinateur => "Coordinateur",
            Role::GestionnaireStructure => "Gestionnaire de structure",
            Role::GestionnaireTerritorial => "Gestionnaire territorial",
            Role::Administrateur => "Administrateur",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libelle())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rôle inconnu : « {0} »")]
pub struct RoleInconnu(pub String);

impl FromStr for Role {
    type Err = RoleInconnu;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::TOUS
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| RoleInconnu(s.to_owned()))
    }
}

/// A coordinator–mediator link, as `MediateurCoordonne` in La Coop.
///
/// `debut` is inclusive; `fin` (the link's suppression date) is exclusive:
/// the mediator left the team that day, so activities from that day on are
/// no longer the coordinator's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LienEquipe {
    pub mediateur_id: String,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
}

impl LienEquipe {
    /// Whether `date` falls within the link's period.
    pub fn couvre(&self, date: NaiveDate) -> bool {
        date >= self.debut && self.fin.is_none_or(|fin| date < fin)
    }

    /// Whether the whole inclusive range `du..=au` falls within the link.
    pub fn couvre_periode(&self, du: NaiveDate, au: NaiveDate) -> bool {
        du <= au && self.couvre(du) && self.couvre(au)
    }
}

/// The scope of a role grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "valeur", rename_all = "snake_case")]
pub enum PerimetreAttribution {
    /// No scope beyond the person themself (mediator).
    Personnel,
    /// The coordinator's team, with each link's period.
    Equipe(Vec<LienEquipe>),
    /// One employer structure, by id.
    Structure(String),
    /// One département, by code ("33", "2A", "971").
    Departement(String),
    /// One région, by INSEE code ("75").
    Region(String),
    /// The whole country (administrator).
    National,
}

/// One role grant. Build them with the constructors: they pair each role
/// with the only scope that makes sense for it. A grant whose scope does not
/// match its role (possible through deserialisation) grants nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub role: Role,
    pub perimetre: PerimetreAttribution,
}

impl Attribution {
    pub fn mediateur() -> Self {
        Attribution {
            role: Role::Mediateur,
            perimetre: PerimetreAttribution::Personnel,
        }
    }

    pub fn coordinateur(equipe: Vec<LienEquipe>) -> Self {
        Attribution {
            role: Role::Coordinateur,
            perimetre: PerimetreAttribution::Equipe(equipe),
        }
    }

    pub fn gestionnaire_structure(structure_id: impl Into<String>) -> Self {
        Attribution {
            role: Role::GestionnaireStructure,
            perimetre: PerimetreAttribution::Structure(structure_id.into()),
        }
    }

    pub fn gestionnaire_departement(code: impl Into<String>) -> Self {
        Attribution {
            role: Role::GestionnaireTerritorial,
            perimetre: PerimetreAttribution::Departement(code.into()),
        }
    }

    pub fn gestionnaire_region(code: impl Into<String>) -> Self {
        Attribution {
            role: Role::GestionnaireTerritorial,
            perimetre: PerimetreAttribution::Region(code.into()),
        }
    }

    pub fn administrateur() -> Self {
        Attribution {
            role: Role::Administrateur,
            perimetre: PerimetreAttribution::National,
        }
    }

    /// Whether the scope is the one this role requires.
    pub fn est_coherente(&self) -> bool {
        use PerimetreAttribution as P;
        matches!(
            (self.role, &self.perimetre),
            (Role::Mediateur, P::Personnel)
                | (Role::Coordinateur, P::Equipe(_))
                | (Role::GestionnaireStructure, P::Structure(_))
                | (
                    Role::GestionnaireTerritorial,
                    P::Departement(_) | P::Region(_)
                )
                | (Role::Administrateur, P::National)
        )
    }
}
