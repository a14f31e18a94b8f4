//! The coordinator's date window: a team member's records and statistics
//! are visible only for dates within the link's period (suppression date
//! excluded), link by link when a mediator left and came back.

mod commun;

use commun::*;
use maillage_comptes::{Action, LienEquipe, Refus};

#[test]
fn lien_couvre_du_debut_inclus_a_la_fin_exclue() {
    let lien = LienEquipe {
        mediateur_id: "m".to_owned(),
        debut: date(2024, 3, 1),
        fin: Some(date(2024, 9, 1)),
    };
    assert!(!lien.couvre(date(2024, 2, 29)));
    assert!(lien.couvre(date(2024, 3, 1)));
    assert!(lien.couvre(date(2024, 8, 31)));
    assert!(!lien.couvre(date(2024, 9, 1)));
    assert!(lien.couvre_periode(date(2024, 3, 1), date(2024, 8, 31)));
    assert!(!lien.couvre_periode(date(2024, 3, 1), date(2024, 9, 1)));
    // An inverted range is never covered.
    assert!(!lien.couvre_periode(date(2024, 6, 1), date(2024, 5, 1)));

    let ouvert = LienEquipe { fin: None, ..lien };
    assert!(ouvert.couvre(date(2099, 12, 31)));
    assert!(!ouvert.couvre(date(2024, 2, 29)));
}

#[test]
fn mediateur_parti_puis_revenu_seules_les_periodes_de_lien_comptent() {
    let c = coordinateur();
    let cas = [
        (date(2022, 12, 31), Err(Refus::HorsPeriodeEquipe)),
        (date(2023, 1, 1), Ok(())),
        (date(2023, 5, 31), Ok(())),
        (date(2023, 6, 1), Err(Refus::HorsPeriodeEquipe)),
        (date(2023, 8, 15), Err(Refus::HorsPeriodeEquipe)),
        (date(2024, 1, 1), Ok(())),
        (date(2026, 2, 1), Ok(())),
    ];
    for (le, attendu) in cas {
        assert_eq!(
            verdict(&c, Action::Consulter, &activite("med-d", None, le)),
            attendu,
            "activité de med-d le {le}"
        );
    }
}

#[test]
fn statistiques_d_un_membre_seulement_sur_une_periode_de_lien() {
    let c = coordinateur();
    let cas = [
        // Within the first link.
        (date(2023, 1, 1), date(2023, 5, 31), Ok(())),
        // Within the second, open link.
        (date(2024, 2, 1), date(2025, 1, 31), Ok(())),
        // Across the gap: each half is fine, the whole is not.
        (
            date(2023, 5, 1),
            date(2024, 2, 1),
            Err(Refus::HorsPeriodeEquipe),
        ),
        // Entirely in the gap.
        (
            date(2023, 7, 1),
            date(2023, 12, 31),
            Err(Refus::HorsPeriodeEquipe),
        ),
    ];
    for (du, au, attendu) in cas {
        assert_eq!(
            verdict(&c, Action::Consulter, &stats_sur(med("med-d"), du, au)),
            attendu,
            "statistiques de med-d du {du} au {au}"
        );
    }
}

#[test]
fn liens_equipe_sont_exposes_pour_decouper_les_statistiques_d_equipe() {
    let c = coordinateur();
    let liens: Vec<&LienEquipe> = c.liens_equipe().collect();
    assert_eq!(liens.len(), 4);
    assert_eq!(liens[0].fin, Some(date(2024, 9, 1)));
    assert!(mediatrice_a().liens_equipe().next().is_none());
}

#[test]
fn coordinateur_mediateur_garde_ses_propres_droits_et_le_motif_le_plus_precis() {
    let c = coordinateur_mediateur();
    // As a mediator: his own record, in a structure where he works.
    assert_eq!(
        verdict(
            &c,
            Action::Creer,
            &activite("coord", Some("struct-9"), date(2024, 5, 2))
        ),
        Ok(())
    );
    assert_eq!(
        verdict(
            &c,
            Action::Supprimer,
            &activite("coord", None, date(2024, 5, 2))
        ),
        Ok(())
    );
    // As a coordinator: the mediator grant says "someone else's record",
    // the coordinator grant says "out of the team period"; the latter is
    // what the user needs to hear.
    assert_eq!(
        verdict(
            &c,
            Action::Consulter,
            &activite("med-a", Some("struct-1"), date(2024, 10, 1))
        ),
        Err(Refus::HorsPeriodeEquipe)
    );
    assert_eq!(
        verdict(
            &c,
            Action::Modifier,
            &activite("med-a", Some("struct-1"), date(2024, 5, 1))
        ),
        Err(Refus::LectureSeule)
    );
    assert_eq!(
        verdict(&c, Action::Consulter, &beneficiaire("med-a")),
        Err(Refus::DonneesBeneficiaire)
    );
    assert_eq!(
        verdict(&c, Action::Consulter, &beneficiaire("coord")),
        Ok(())
    );
}
