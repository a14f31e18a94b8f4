//! Properties of `autoriser` over arbitrary actors, actions and targets:
//! it never panics, and the strongest promises hold whatever the inputs.

mod commun;

use chrono::NaiveDate;
use commun::region_du_departement;
use maillage_comptes::{
    autoriser, Acteur, Action, Attribution, Cible, FicheActivite, FicheBeneficiaire, LienEquipe,
    Perimetre, PerimetreAttribution, Periode, Role,
};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", ""]).prop_map(str::to_owned)
}

fn code() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["33", "75", "11", "2A", "2a", "", "999"]).prop_map(str::to_owned)
}

fn date() -> impl Strategy<Value = NaiveDate> {
    // Including the extremes chrono allows.
    prop_oneof![
        (-5000i32..5000).prop_map(|j| {
            NaiveDate::from_ymd_opt(2024, 1, 1)
                .and_then(|d| d.checked_add_signed(chrono::Duration::days(i64::from(j))))
                .unwrap_or(NaiveDate::MIN)
        }),
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
    ]
}

fn lien() -> impl Strategy<Value = LienEquipe> {
    (id(), date(), prop::option::of(date())).prop_map(|(mediateur_id, debut, fin)| LienEquipe {
        mediateur_id,
        debut,
        fin,
    })
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::TOUS.to_vec())
}

fn perimetre_attribution() -> impl Strategy<Value = PerimetreAttribution> {
    prop_oneof![
        Just(PerimetreAttribution::Personnel),
        prop::collection::vec(lien(), 0..4).prop_map(PerimetreAttribution::Equipe),
        id().prop_map(PerimetreAttribution::Structure),
        code().prop_map(PerimetreAttribution::Departement),
        code().prop_map(PerimetreAttribution::Region),
        Just(PerimetreAttribution::National),
    ]
}

fn acteur() -> impl Strategy<Value = Acteur> {
    // Roles and scopes drawn independently: incoherent grants included.
    let attribution = (role(), perimetre_attribution())
        .prop_map(|(role, perimetre)| Attribution { role, perimetre });
    (
        id(),
        prop::collection::vec(attribution, 0..4),
        prop::collection::vec(id(), 0..3),
    )
        .prop_map(|(id, attributions, structures_mediateur)| Acteur {
            email: format!("{id}@exemple.fr"),
            id,
            attributions,
            structures_mediateur,
        })
}

fn perimetre() -> impl Strategy<Value = Perimetre> {
    prop_oneof![
        Just(Perimetre::Soi),
        id().prop_map(Perimetre::Mediateur),
        id().prop_map(Perimetre::Equipe),
        id().prop_map(Perimetre::Structure),
        code().prop_map(Perimetre::Departement),
        code().prop_map(Perimetre::Region),
        Just(Perimetre::National),
    ]
}

fn cible() -> impl Strategy<Value = Cible> {
    let periode = || (date(), date()).prop_map(|(du, au)| Periode::new(du, au));
    prop_oneof![
        (
            id(),
            prop::option::of(id()),
            date(),
            prop::option::of(code()),
            prop::option::of(code())
        )
            .prop_map(|(mediateur_id, structure_id, date, departement, region)| {
                Cible::Activite(FicheActivite {
                    mediateur_id,
                    structure_id,
                    date,
                    commune_insee: None,
                    departement,
                    region,
                })
            }),
        id().prop_map(|mediateur_id| Cible::Beneficiaire(FicheBeneficiaire { mediateur_id })),
        (perimetre(), periode())
            .prop_map(|(perimetre, periode)| Cible::Statistiques { perimetre, periode }),
        (perimetre(), periode())
            .prop_map(|(perimetre, periode)| Cible::ListeActivites { perimetre, periode }),
        perimetre().prop_map(|perimetre| Cible::TableauPilotage { perimetre }),
        Just(Cible::JournalAudit),
        Just(Cible::Utilisateurs),
        id().prop_map(|utilisateur_id| Cible::Compte { utilisateur_id }),
        (role(), perimetre()).prop_map(|(role, vers)| Cible::Invitation { role, vers }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::TOUTES.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn autoriser_ne_panique_jamais_et_tient_ses_promesses(
        acteur in acteur(),
        action in action(),
        cible in cible(),
    ) {
        let verdict = autoriser(&acteur, action, &cible, &region_du_departement);
        // A refusal always has a French message to show.
        if let Err(refus) = &verdict {
            prop_assert!(!refus.to_string().is_empty());
        }
        if verdict.is_ok() {
            match &cible {
                // Beneficiary data: only the mediator who follows them.
                Cible::Beneficiaire(fiche) => {
                    prop_assert!(acteur.a_le_role(Role::Mediateur));
                    prop_assert_eq!(&fiche.mediateur_id, &acteur.id);
                }
                // Writing a record: only its owner.
                Cible::Activite(fiche) if action != Action::Consulter => {
                    prop_assert_eq!(&fiche.mediateur_id, &acteur.id);
                }
                Cible::Statistiques { perimetre: Perimetre::National, .. }
                | Cible::TableauPilotage { perimetre: Perimetre::National }
                | Cible::Utilisateurs => {
                    prop_assert!(acteur.a_le_role(Role::Administrateur));
                }
                Cible::JournalAudit => {
                    prop_assert!(acteur.a_le_role(Role::Administrateur));
                    prop_assert!(matches!(action, Action::Consulter | Action::Exporter));
                }
                Cible::Statistiques { periode, .. } | Cible::ListeActivites { periode, .. } => {
                    prop_assert!(periode.du <= periode.au);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn sans_attribution_valide_seules_ses_propres_donnees(
        mut acteur in acteur(),
        action in action(),
        cible in cible(),
    ) {
        acteur.attributions.retain(|a| !a.est_coherente());
        let verdict = autoriser(&acteur, action, &cible, &region_du_departement);
        if verdict.is_ok() {
            let propre = match &cible {
                Cible::Statistiques { perimetre, .. } | Cible::ListeActivites { perimetre, .. } => {
                    *perimetre == Perimetre::Soi
                        || *perimetre == Perimetre::Mediateur(acteur.id.clone())
                }
                Cible::Compte { utilisateur_id } => *utilisateur_id == acteur.id,
                _ => false,
            };
            prop_assert!(propre, "accordé sans rôle : {:?} {:?}", action, cible);
        }
    }
}
