//! Who may manage employer structures, employment and places of activity
//! (La Coop's `EmployeStructure` and `MediateurEnActivite`).
//!
//! ```text
//! demande                              médiateur       gestionnaire (S)          administrateur
//! ───────────────────────────────────  ──────────────  ────────────────────────  ──────────────
//! Page (/espace/structures)            oui             oui                       oui
//! Rechercher (toutes les structures)   non             non                       oui
//! ConsulterStructure(S')               non             si S' = S                 oui
//! DeclarerEmploi(u)                    si u = soi      non                       oui
//! TerminerEmploi(u, S')                si u = soi      si S' = S                 oui
//! ModifierLieux(u)                     si u = soi      non                       oui
//! ```
//!
//! A structure manager ends the employment of their own structure's
//! mediators only: the store ends the employment of `u` at `S'`, so a
//! manager of S cannot reach an employment elsewhere. Coordinators and
//! territorial managers have nothing to do here: their scope is a team or a
//! territory, not an employer.

use crate::acces::Acteur;
use crate::role::{PerimetreAttribution, Role};

/// What is asked about structures, employment or places of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandeStructure<'a> {
    /// The structures page itself (each role sees its own part).
    Page,
    /// Searching every structure.
    Rechercher,
    /// One structure with its mediators and their places of activity.
    ConsulterStructure { siret: &'a str },
    /// Declaring that a user works for an employer from a date.
    DeclarerEmploi { utilisateur_id: &'a str },
    /// Ending a user's employment at a structure.
    TerminerEmploi {
        utilisateur_id: &'a str,
        siret: &'a str,
    },
    /// Adding or ending a mediator's place of activity.
    ModifierLieux { utilisateur_id: &'a str },
}

/// Why it is refused; `Display` is the French message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusStructure {
    #[error("Votre compte n'a aucun rôle : demandez à un administrateur de vous en attribuer un.")]
    AucuneAttribution,
    #[error("Les structures employeuses et les lieux d'activité concernent les médiateurs, les gestionnaires de structure et les administrateurs.")]
    RoleNonConcerne,
    #[error("La recherche parmi toutes les structures est réservée aux administrateurs.")]
    ReserveAdministrateur,
    #[error("Cette structure ne relève pas de vos attributions.")]
    AutreStructure,
    #[error("Vous ne pouvez déclarer ou modifier que votre propre employeur et vos propres lieux d'activité.")]
    DonneesDAutrui,
}

impl RefusStructure {
    /// The reason from the grant that came closest to allowing, as in
    /// [`crate::autoriser`].
    fn precision(&self) -> u8 {
        match self {
            RefusStructure::AucuneAttribution => 0,
            RefusStructure::RoleNonConcerne => 1,
            RefusStructure::ReserveAdministrateur => 2,
            RefusStructure::AutreStructure => 3,
            RefusStructure::DonneesDAutrui => 4,
        }
    }
}

/// Decides whether `acteur` may do `demande` (deny by default; only the
/// actor's coherent grants count).
pub fn autoriser_structure(
    acteur: &Acteur,
    demande: &DemandeStructure<'_>,
) -> Result<(), RefusStructure> {
    let mut meilleur = RefusStructure::AucuneAttribution;
    for attribution in acteur.attributions_valides() {
        let verdict = match (attribution.role, &attribution.perimetre) {
            (Role::Administrateur, _) => Ok(()),
            (Role::Mediateur, _) => regle_mediateur(acteur, demande),
            (Role::GestionnaireStructure, PerimetreAttribution::Structure(sienne)) => {
                regle_gestionnaire(sienne, demande)
            }
            _ => Err(RefusStructure::RoleNonConcerne),
        };
        match verdict {
            Ok(()) => return Ok(()),
            Err(r) if r.precision() > meilleur.precision() => meilleur = r,
            Err(_) => {}
        }
    }
    Err(meilleur)
}

fn regle_mediateur(acteur: &Acteur, demande: &DemandeStructure<'_>) -> Result<(), RefusStructure> {
    match demande {
        DemandeStructure::Page => Ok(()),
        DemandeStructure::Rechercher => Err(RefusStructure::ReserveAdministrateur),
        DemandeStructure::ConsulterStructure { .. } => Err(RefusStructure::AutreStructure),
        DemandeStructure::DeclarerEmploi { utilisateur_id }
        | DemandeStructure::TerminerEmploi { utilisateur_id, .. }
        | DemandeStructure::ModifierLieux { utilisateur_id } => {
            if *utilisateur_id == acteur.id {
                Ok(())
            } else {
                Err(RefusStructure::DonneesDAutrui)
            }
        }
    }
}

fn regle_gestionnaire(sienne: &str, demande: &DemandeStructure<'_>) -> Result<(), RefusStructure> {
    match demande {
        DemandeStructure::Page => Ok(()),
        DemandeStructure::Rechercher => Err(RefusStructure::ReserveAdministrateur),
        DemandeStructure::ConsulterStructure { siret }
        | DemandeStructure::TerminerEmploi { siret, .. } => {
            if *siret == sienne {
                Ok(())
            } else {
                Err(RefusStructure::AutreStructure)
            }
        }
        // Employment is declared by the mediator; places are theirs.
        DemandeStructure::DeclarerEmploi { .. } | DemandeStructure::ModifierLieux { .. } => {
            Err(RefusStructure::DonneesDAutrui)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::{Attribution, LienEquipe};
    use chrono::NaiveDate;

    const S1: &str = "13002603200016";
    const S2: &str = "12002701600563";

    fn acteur(id: &str, attributions: Vec<Attribution>) -> Acteur {
        Acteur {
            id: id.to_string(),
            email: format!("{id}@exemple.fr"),
            attributions,
            structures_mediateur: Vec::new(),
        }
    }

    fn toutes_les_demandes() -> Vec<DemandeStructure<'static>> {
        vec![
            DemandeStructure::Page,
            DemandeStructure::Rechercher,
            DemandeStructure::ConsulterStructure { siret: S1 },
            DemandeStructure::DeclarerEmploi {
                utilisateur_id: "autre",
            },
            DemandeStructure::TerminerEmploi {
                utilisateur_id: "autre",
                siret: S1,
            },
            DemandeStructure::ModifierLieux {
                utilisateur_id: "autre",
            },
        ]
    }

    #[test]
    fn mediateur_gere_seulement_ses_donnees() {
        let m = acteur("moi", vec![Attribution::mediateur()]);
        assert_eq!(autoriser_structure(&m, &DemandeStructure::Page), Ok(()));
        for d in [
            DemandeStructure::DeclarerEmploi {
                utilisateur_id: "moi",
            },
            DemandeStructure::TerminerEmploi {
                utilisateur_id: "moi",
                siret: S2,
            },
            DemandeStructure::ModifierLieux {
                utilisateur_id: "moi",
            },
        ] {
            assert_eq!(autoriser_structure(&m, &d), Ok(()), "{d:?}");
        }
        for d in [
            DemandeStructure::DeclarerEmploi {
                utilisateur_id: "autre",
            },
            DemandeStructure::TerminerEmploi {
                utilisateur_id: "autre",
                siret: S1,
            },
            DemandeStructure::ModifierLieux {
                utilisateur_id: "autre",
            },
        ] {
            assert_eq!(
                autoriser_structure(&m, &d),
                Err(RefusStructure::DonneesDAutrui),
                "{d:?}"
            );
        }
        assert_eq!(
            autoriser_structure(&m, &DemandeStructure::Rechercher),
            Err(RefusStructure::ReserveAdministrateur)
        );
        assert_eq!(
            autoriser_structure(&m, &DemandeStructure::ConsulterStructure { siret: S1 }),
            Err(RefusStructure::AutreStructure)
        );
    }

    #[test]
    fn gestionnaire_limite_a_sa_structure() {
        let g = acteur("g", vec![Attribution::gestionnaire_structure(S1)]);
        assert_eq!(autoriser_structure(&g, &DemandeStructure::Page), Ok(()));
        assert_eq!(
            autoriser_structure(&g, &DemandeStructure::ConsulterStructure { siret: S1 }),
            Ok(())
        );
        assert_eq!(
            autoriser_structure(
                &g,
                &DemandeStructure::TerminerEmploi {
                    utilisateur_id: "med",
                    siret: S1
                }
            ),
            Ok(())
        );
        assert_eq!(
            autoriser_structure(&g, &DemandeStructure::ConsulterStructure { siret: S2 }),
            Err(RefusStructure::AutreStructure)
        );
        assert_eq!(
            autoriser_structure(
                &g,
                &DemandeStructure::TerminerEmploi {
                    utilisateur_id: "med",
                    siret: S2
                }
            ),
            Err(RefusStructure::AutreStructure)
        );
        assert_eq!(
            autoriser_structure(
                &g,
                &DemandeStructure::DeclarerEmploi {
                    utilisateur_id: "med"
                }
            ),
            Err(RefusStructure::DonneesDAutrui)
        );
        assert_eq!(
            autoriser_structure(
                &g,
                &DemandeStructure::ModifierLieux {
                    utilisateur_id: "med"
                }
            ),
            Err(RefusStructure::DonneesDAutrui)
        );
        assert_eq!(
            autoriser_structure(&g, &DemandeStructure::Rechercher),
            Err(RefusStructure::ReserveAdministrateur)
        );
    }

    #[test]
    fn gestionnaire_et_mediateur_cumulent() {
        let gm = acteur(
            "gm",
            vec![
                Attribution::mediateur(),
                Attribution::gestionnaire_structure(S1),
            ],
        );
        assert!(autoriser_structure(
            &gm,
            &DemandeStructure::ModifierLieux {
                utilisateur_id: "gm"
            }
        )
        .is_ok());
        assert!(
            autoriser_structure(&gm, &DemandeStructure::ConsulterStructure { siret: S1 }).is_ok()
        );
        assert_eq!(
            autoriser_structure(&gm, &DemandeStructure::ConsulterStructure { siret: S2 }),
            Err(RefusStructure::AutreStructure)
        );
    }

    #[test]
    fn administrateur_peut_tout() {
        let a = acteur("admin", vec![Attribution::administrateur()]);
        for d in toutes_les_demandes() {
            assert_eq!(autoriser_structure(&a, &d), Ok(()), "{d:?}");
        }
    }

    #[test]
    fn autres_roles_refuses_partout() {
        let lien = LienEquipe {
            mediateur_id: "m".to_string(),
            debut: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
            fin: None,
        };
        for (a, refus) in [
            (acteur("sans", vec![]), RefusStructure::AucuneAttribution),
            (
                acteur("c", vec![Attribution::coordinateur(vec![lien])]),
                RefusStructure::RoleNonConcerne,
            ),
            (
                acteur("d", vec![Attribution::gestionnaire_departement("16")]),
                RefusStructure::RoleNonConcerne,
            ),
            (
                acteur("r", vec![Attribution::gestionnaire_region("75")]),
                RefusStructure::RoleNonConcerne,
            ),
        ] {
            for d in toutes_les_demandes() {
                assert_eq!(autoriser_structure(&a, &d), Err(refus.clone()), "{d:?}");
            }
        }
    }

    #[test]
    fn attribution_incoherente_ne_donne_rien() {
        let fausse = acteur(
            "x",
            vec![Attribution {
                role: Role::Administrateur,
                perimetre: PerimetreAttribution::Structure(S1.to_string()),
            }],
        );
        for d in toutes_les_demandes() {
            assert_eq!(
                autoriser_structure(&fausse, &d),
                Err(RefusStructure::AucuneAttribution),
                "{d:?}"
            );
        }
    }
}
