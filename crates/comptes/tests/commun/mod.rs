//! Shared fixtures: one actor per role, records, and a small
//! département → région table.
#![allow(dead_code)]

use chrono::NaiveDate;
use maillage_comptes::{
    autoriser, Acteur, Action, Attribution, Cible, FicheActivite, FicheBeneficiaire, LienEquipe,
    Perimetre, Periode, Refus,
};

pub fn date(annee: i32, mois: u32, jour: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(annee, mois, jour).expect("date valide")
}

/// A few real codes. Note the trap: département 75 (Paris) is in région 11,
/// while région 75 is Nouvelle-Aquitaine.
pub fn region_du_departement(departement: &str) -> Option<String> {
    let region = match departement {
        "33" | "24" | "40" | "47" | "64" | "17" | "87" => "75",
        "75" | "92" | "93" | "94" => "11",
        "69" | "01" | "38" => "84",
        _ => return None,
    };
    Some(region.to_owned())
}

pub fn verdict(acteur: &Acteur, action: Action, cible: &Cible) -> Result<(), Refus> {
    autoriser(acteur, action, cible, &region_du_departement)
}

fn acteur(id: &str, attributions: Vec<Attribution>, structures: &[&str]) -> Acteur {
    Acteur {
        id: id.to_owned(),
        email: format!("{id}@exemple.fr"),
        attributions,
        structures_mediateur: structures.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Mediator working in structure "struct-1".
pub fn mediatrice_a() -> Acteur {
    acteur("med-a", vec![Attribution::mediateur()], &["struct-1"])
}

/// Mediator working in structure "struct-2".
pub fn mediateur_b() -> Acteur {
    acteur("med-b", vec![Attribution::mediateur()], &["struct-2"])
}

/// The links of the coordinator "coord": med-a from 2024-03-01 until the
/// link's suppression on 2024-09-01; med-c since 2024-01-01, still open;
/// med-d twice, with a gap in the second half of 2023.
pub fn equipe() -> Vec<LienEquipe> {
    vec![
        LienEquipe {
            mediateur_id: "med-a".to_owned(),
            debut: date(2024, 3, 1),
            fin: Some(date(2024, 9, 1)),
        },
        LienEquipe {
            mediateur_id: "med-c".to_owned(),
            debut: date(2024, 1, 1),
            fin: None,
        },
        LienEquipe {
            mediateur_id: "med-d".to_owned(),
            debut: date(2023, 1, 1),
            fin: Some(date(2023, 6, 1)),
        },
        LienEquipe {
            mediateur_id: "med-d".to_owned(),
            debut: date(2024, 1, 1),
            fin: None,
        },
    ]
}

pub fn coordinateur() -> Acteur {
    acteur("coord", vec![Attribution::coordinateur(equipe())], &[])
}

/// A coordinator who also works as a mediator in "struct-9".
pub fn coordinateur_mediateur() -> Acteur {
    acteur(
        "coord",
        vec![
            Attribution::mediateur(),
            Attribution::coordinateur(equipe()),
        ],
        &["struct-9"],
    )
}

pub fn gestionnaire_structure() -> Acteur {
    acteur(
        "gest-1",
        vec![Attribution::gestionnaire_structure("struct-1")],
        &[],
    )
}

pub fn gestionnaire_departement_33() -> Acteur {
    acteur(
        "dep-33",
        vec![Attribution::gestionnaire_departement("33")],
        &[],
    )
}

pub fn gestionnaire_region_75() -> Acteur {
    acteur("reg-75", vec![Attribution::gestionnaire_region("75")], &[])
}

pub fn administrateur() -> Acteur {
    acteur("admin", vec![Attribution::administrateur()], &[])
}

pub fn sans_role() -> Acteur {
    acteur("nouveau", vec![], &[])
}

/// Every role fixture, named, for table-driven refusals.
pub fn tous_les_acteurs() -> Vec<(&'static str, Acteur)> {
    vec![
        ("médiatrice", mediatrice_a()),
        ("coordinateur", coordinateur()),
        ("gestionnaire de structure", gestionnaire_structure()),
        ("gestionnaire département", gestionnaire_departement_33()),
        ("gestionnaire région", gestionnaire_region_75()),
        ("administrateur", administrateur()),
    ]
}

/// An activity of `mediateur` in `structure`, in Bordeaux (33, région 75).
pub fn activite(mediateur: &str, structure: Option<&str>, le: NaiveDate) -> Cible {
    Cible::Activite(FicheActivite {
        mediateur_id: mediateur.to_owned(),
        structure_id: structure.map(str::to_owned),
        date: le,
        commune_insee: Some("33063".to_owned()),
        departement: Some("33".to_owned()),
        region: Some("75".to_owned()),
    })
}

pub fn beneficiaire(mediateur: &str) -> Cible {
    Cible::Beneficiaire(FicheBeneficiaire {
        mediateur_id: mediateur.to_owned(),
    })
}

pub fn annee_2024() -> Periode {
    Periode::new(date(2024, 1, 1), date(2024, 12, 31))
}

pub fn stats(perimetre: Perimetre) -> Cible {
    Cible::Statistiques {
        perimetre,
        periode: annee_2024(),
    }
}

pub fn stats_sur(perimetre: Perimetre, du: NaiveDate, au: NaiveDate) -> Cible {
    Cible::Statistiques {
        perimetre,
        periode: Periode::new(du, au),
    }
}

pub fn liste(perimetre: Perimetre) -> Cible {
    Cible::ListeActivites {
        perimetre,
        periode: annee_2024(),
    }
}

pub fn pilotage(perimetre: Perimetre) -> Cible {
    Cible::TableauPilotage { perimetre }
}

pub fn dep(code: &str) -> Perimetre {
    Perimetre::Departement(code.to_owned())
}

pub fn reg(code: &str) -> Perimetre {
    Perimetre::Region(code.to_owned())
}

pub fn med(id: &str) -> Perimetre {
    Perimetre::Mediateur(id.to_owned())
}

pub fn structure(id: &str) -> Perimetre {
    Perimetre::Structure(id.to_owned())
}

pub fn equipe_de(id: &str) -> Perimetre {
    Perimetre::Equipe(id.to_owned())
}

pub fn compte(id: &str) -> Cible {
    Cible::Compte {
        utilisateur_id: id.to_owned(),
    }
}

/// Asserts each (action, cible) is allowed, naming the failing case.
pub fn autorise(acteur: &Acteur, cas: &[(Action, Cible)]) {
    for (action, cible) in cas {
        assert_eq!(
            verdict(acteur, *action, cible),
            Ok(()),
            "{} devrait pouvoir {action:?} {cible:?}",
            acteur.id
        );
    }
}

/// Asserts each (action, cible) is refused with exactly the given reason.
pub fn refuse(acteur: &Acteur, cas: &[(Action, Cible, Refus)]) {
    for (action, cible, attendu) in cas {
        assert_eq!(
            verdict(acteur, *action, cible),
            Err(attendu.clone()),
            "{} ne devrait pas pouvoir {action:?} {cible:?}",
            acteur.id
        );
    }
}
