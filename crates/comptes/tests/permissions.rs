//! One test per role: what it may do, and what it is refused, with the
//! exact reason. Plus the rules that hold for everyone.

mod commun;

use commun::*;
use maillage_comptes::{Action, Cible, Perimetre, Refus, Role};

use Action::{Consulter, Creer, Exporter, Modifier, Supprimer};

#[test]
fn mediateur_gere_ses_activites_et_ses_beneficiaires_seulement() {
    let a = mediatrice_a();
    let le = date(2024, 5, 2);
    autorise(
        &a,
        &[
            (Consulter, activite("med-a", Some("struct-1"), le)),
            (Modifier, activite("med-a", Some("struct-1"), le)),
            (Supprimer, activite("med-a", Some("struct-1"), le)),
            (Creer, activite("med-a", Some("struct-1"), le)),
            (Creer, activite("med-a", None, le)),
            // A record filed when she worked elsewhere stays hers.
            (Modifier, activite("med-a", Some("struct-ancienne"), le)),
            (Consulter, beneficiaire("med-a")),
            (Creer, beneficiaire("med-a")),
            (Modifier, beneficiaire("med-a")),
            (Supprimer, beneficiaire("med-a")),
            (Exporter, beneficiaire("med-a")),
            (Consulter, stats(Perimetre::Soi)),
            (Exporter, stats(med("med-a"))),
            (Exporter, liste(Perimetre::Soi)),
            (Consulter, compte("med-a")),
            (Modifier, compte("med-a")),
            (Supprimer, compte("med-a")),
        ],
    );
    refuse(
        &a,
        &[
            (
                Consulter,
                activite("med-b", Some("struct-1"), le),
                Refus::ActiviteDAutrui,
            ),
            (
                Modifier,
                activite("med-b", Some("struct-2"), le),
                Refus::ActiviteDAutrui,
            ),
            (
                Supprimer,
                activite("med-b", Some("struct-2"), le),
                Refus::ActiviteDAutrui,
            ),
            (
                Creer,
                activite("med-b", Some("struct-1"), le),
                Refus::ActiviteDAutrui,
            ),
            (
                Creer,
                activite("med-a", Some("struct-2"), le),
                Refus::StructureNonExercee,
            ),
            (Consulter, beneficiaire("med-b"), Refus::DonneesBeneficiaire),
            (Modifier, beneficiaire("med-b"), Refus::DonneesBeneficiaire),
            (Consulter, stats(med("med-b")), Refus::HorsPerimetre),
            // Even her own structure's statistics belong to its manager.
            (
                Consulter,
                stats(structure("struct-1")),
                Refus::HorsPerimetre,
            ),
            (Consulter, stats(equipe_de("coord")), Refus::HorsPerimetre),
            (Consulter, stats(dep("33")), Refus::HorsPerimetre),
            (Consulter, stats(Perimetre::National), Refus::HorsPerimetre),
            (Exporter, liste(med("med-b")), Refus::HorsPerimetre),
            (Consulter, pilotage(dep("33")), Refus::HorsPerimetre),
            (Consulter, Cible::JournalAudit, Refus::ReserveAdministrateur),
            (Consulter, Cible::Utilisateurs, Refus::ReserveAdministrateur),
            (Modifier, compte("med-b"), Refus::ReserveAdministrateur),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Mediateur,
                    vers: structure("struct-1"),
                },
                Refus::InvitationNonPermise,
            ),
        ],
    );
}

#[test]
fn coordinateur_lit_son_equipe_dans_la_periode_du_lien_sans_donnees_personnelles() {
    let c = coordinateur();
    autorise(
        &c,
        &[
            // The link's first day counts, the day before its end too.
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 3, 1)),
            ),
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 8, 31)),
            ),
            // An open link covers any later date.
            (Consulter, activite("med-c", None, date(2030, 1, 1))),
            (Consulter, stats(equipe_de("coord"))),
            (Exporter, liste(equipe_de("coord"))),
            (
                Consulter,
                stats_sur(med("med-a"), date(2024, 4, 1), date(2024, 6, 30)),
            ),
            (
                Exporter,
                Cible::ListeActivites {
                    perimetre: med("med-a"),
                    periode: maillage_comptes::Periode::new(date(2024, 3, 1), date(2024, 8, 31)),
                },
            ),
            (Consulter, stats(Perimetre::Soi)),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Mediateur,
                    vers: equipe_de("coord"),
                },
            ),
        ],
    );
    refuse(
        &c,
        &[
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 2, 29)),
                Refus::HorsPeriodeEquipe,
            ),
            // The suppression date itself is outside the link.
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 9, 1)),
                Refus::HorsPeriodeEquipe,
            ),
            (
                Modifier,
                activite("med-a", Some("struct-1"), date(2024, 5, 1)),
                Refus::LectureSeule,
            ),
            (
                Supprimer,
                activite("med-c", None, date(2024, 5, 1)),
                Refus::LectureSeule,
            ),
            (
                Creer,
                activite("med-c", None, date(2024, 5, 1)),
                Refus::LectureSeule,
            ),
            (
                Consulter,
                activite("med-b", Some("struct-2"), date(2024, 5, 1)),
                Refus::HorsEquipe,
            ),
            (Consulter, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            (Consulter, beneficiaire("med-c"), Refus::DonneesBeneficiaire),
            // 2024 overlaps the link but is not within it.
            (Consulter, stats(med("med-a")), Refus::HorsPeriodeEquipe),
            (Exporter, liste(med("med-a")), Refus::HorsPeriodeEquipe),
            (Consulter, stats(med("med-b")), Refus::HorsEquipe),
            (
                Consulter,
                stats(equipe_de("autre-coord")),
                Refus::HorsPerimetre,
            ),
            (
                Consulter,
                stats(structure("struct-1")),
                Refus::HorsPerimetre,
            ),
            (Consulter, stats(dep("33")), Refus::HorsPerimetre),
            (Consulter, stats(Perimetre::National), Refus::HorsPerimetre),
            (Consulter, pilotage(dep("33")), Refus::HorsPerimetre),
            (Consulter, Cible::JournalAudit, Refus::ReserveAdministrateur),
            (Modifier, Cible::Utilisateurs, Refus::ReserveAdministrateur),
            (Modifier, compte("med-a"), Refus::ReserveAdministrateur),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Mediateur,
                    vers: equipe_de("autre-coord"),
                },
                Refus::InvitationNonPermise,
            ),
            (
                Creer,
                Cible::Invitation {
                    role: Role::GestionnaireStructure,
                    vers: structure("struct-1"),
                },
                Refus::InvitationNonPermise,
            ),
        ],
    );
}

#[test]
fn gestionnaire_de_structure_lit_sa_structure_sans_donnees_personnelles() {
    let g = gestionnaire_structure();
    let le = date(2024, 5, 2);
    autorise(
        &g,
        &[
            (Consulter, activite("med-a", Some("struct-1"), le)),
            (Consulter, activite("med-b", Some("struct-1"), le)),
            (Consulter, stats(structure("struct-1"))),
            (Exporter, stats(structure("struct-1"))),
            (Exporter, liste(structure("struct-1"))),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Mediateur,
                    vers: structure("struct-1"),
                },
            ),
            (
                Creer,
                Cible::Invitation {
                    role: Role::GestionnaireStructure,
                    vers: structure("struct-1"),
                },
            ),
        ],
    );
    refuse(
        &g,
        &[
            (
                Modifier,
                activite("med-a", Some("struct-1"), le),
                Refus::LectureSeule,
            ),
            (
                Supprimer,
                activite("med-a", Some("struct-1"), le),
                Refus::LectureSeule,
            ),
            (
                Consulter,
                activite("med-b", Some("struct-2"), le),
                Refus::HorsPerimetre,
            ),
            (Consulter, activite("med-a", None, le), Refus::HorsPerimetre),
            (Consulter, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            (
                Consulter,
                stats(structure("struct-2")),
                Refus::HorsPerimetre,
            ),
            (Consulter, stats(med("med-a")), Refus::HorsPerimetre),
            (Consulter, stats(dep("33")), Refus::HorsPerimetre),
            (Consulter, stats(Perimetre::National), Refus::HorsPerimetre),
            (Exporter, liste(structure("struct-2")), Refus::HorsPerimetre),
            (Consulter, pilotage(dep("33")), Refus::HorsPerimetre),
            (Consulter, Cible::JournalAudit, Refus::ReserveAdministrateur),
            (Consulter, Cible::Utilisateurs, Refus::ReserveAdministrateur),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Coordinateur,
                    vers: structure("struct-1"),
                },
                Refus::InvitationNonPermise,
            ),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Mediateur,
                    vers: structure("struct-2"),
                },
                Refus::InvitationNonPermise,
            ),
        ],
    );
}

#[test]
fn gestionnaire_departemental_voit_les_agregats_de_son_departement() {
    let g = gestionnaire_departement_33();
    autorise(
        &g,
        &[
            (Consulter, stats(dep("33"))),
            (Exporter, stats(dep("33"))),
            (Consulter, pilotage(dep("33"))),
            (Exporter, pilotage(dep("33"))),
        ],
    );
    refuse(
        &g,
        &[
            // Individual records are refused even inside the département.
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 5, 2)),
                Refus::DonneesIndividuelles,
            ),
            (Exporter, liste(dep("33")), Refus::DonneesIndividuelles),
            (Consulter, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            (Consulter, stats(dep("40")), Refus::HorsPerimetre),
            // A département manager does not see the whole région.
            (Consulter, stats(reg("75")), Refus::HorsPerimetre),
            (Consulter, pilotage(reg("75")), Refus::HorsPerimetre),
            (Consulter, stats(Perimetre::National), Refus::HorsPerimetre),
            (
                Consulter,
                stats(structure("struct-1")),
                Refus::HorsPerimetre,
            ),
            (Consulter, stats(med("med-a")), Refus::HorsPerimetre),
            (Consulter, Cible::JournalAudit, Refus::ReserveAdministrateur),
            (Consulter, Cible::Utilisateurs, Refus::ReserveAdministrateur),
            (
                Creer,
                Cible::Invitation {
                    role: Role::GestionnaireStructure,
                    vers: dep("33"),
                },
                Refus::InvitationNonPermise,
            ),
        ],
    );
}

#[test]
fn gestionnaire_regional_couvre_les_departements_de_sa_region() {
    let g = gestionnaire_region_75();
    autorise(
        &g,
        &[
            (Consulter, stats(reg("75"))),
            (Consulter, stats(dep("33"))),
            (Consulter, stats(dep("40"))),
            (Consulter, pilotage(reg("75"))),
            (Exporter, pilotage(dep("64"))),
        ],
    );
    refuse(
        &g,
        &[
            // Département 75 is Paris, in région 11: same code, other place.
            (Consulter, stats(dep("75")), Refus::HorsPerimetre),
            (Consulter, stats(dep("69")), Refus::HorsPerimetre),
            // A département the table does not know is refused, not guessed.
            (Consulter, stats(dep("999")), Refus::HorsPerimetre),
            (Consulter, stats(reg("11")), Refus::HorsPerimetre),
            (Consulter, stats(Perimetre::National), Refus::HorsPerimetre),
            (
                Consulter,
                pilotage(Perimetre::National),
                Refus::HorsPerimetre,
            ),
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 5, 2)),
                Refus::DonneesIndividuelles,
            ),
            (Exporter, liste(reg("75")), Refus::DonneesIndividuelles),
            (Consulter, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            (Consulter, Cible::JournalAudit, Refus::ReserveAdministrateur),
        ],
    );
}

#[test]
fn administrateur_gere_les_comptes_et_lit_le_journal_sans_donnees_individuelles() {
    let a = administrateur();
    autorise(
        &a,
        &[
            (Consulter, stats(Perimetre::National)),
            (Exporter, stats(Perimetre::National)),
            (Consulter, stats(reg("11"))),
            (Consulter, stats(dep("33"))),
            (Consulter, stats(structure("struct-2"))),
            (Consulter, stats(equipe_de("coord"))),
            (Consulter, stats(med("med-b"))),
            (Consulter, pilotage(Perimetre::National)),
            (Consulter, Cible::JournalAudit),
            (Exporter, Cible::JournalAudit),
            (Consulter, Cible::Utilisateurs),
            (Creer, Cible::Utilisateurs),
            (Modifier, Cible::Utilisateurs),
            (Supprimer, Cible::Utilisateurs),
            (Modifier, compte("med-a")),
            (Supprimer, compte("med-b")),
            (
                Creer,
                Cible::Invitation {
                    role: Role::GestionnaireTerritorial,
                    vers: reg("75"),
                },
            ),
            (
                Creer,
                Cible::Invitation {
                    role: Role::Administrateur,
                    vers: Perimetre::National,
                },
            ),
        ],
    );
    refuse(
        &a,
        &[
            (
                Consulter,
                activite("med-a", Some("struct-1"), date(2024, 5, 2)),
                Refus::DonneesIndividuelles,
            ),
            (
                Supprimer,
                activite("med-a", Some("struct-1"), date(2024, 5, 2)),
                Refus::DonneesIndividuelles,
            ),
            (
                Exporter,
                liste(Perimetre::National),
                Refus::DonneesIndividuelles,
            ),
            (Consulter, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            (Supprimer, beneficiaire("med-a"), Refus::DonneesBeneficiaire),
            // The journal is append-only, even for administrators.
            (Modifier, Cible::JournalAudit, Refus::JournalInalterable),
            (Supprimer, Cible::JournalAudit, Refus::JournalInalterable),
            (Creer, Cible::JournalAudit, Refus::ActionInapplicable),
        ],
    );
}

#[test]
fn seul_l_administrateur_voit_les_statistiques_nationales() {
    for (nom, acteur) in tous_les_acteurs() {
        let verdict = verdict(&acteur, Consulter, &stats(Perimetre::National));
        assert_eq!(
            verdict.is_ok(),
            acteur.a_le_role(Role::Administrateur),
            "{nom} : statistiques nationales {verdict:?}"
        );
    }
}

#[test]
fn nul_ne_voit_le_beneficiaire_d_un_autre_mediateur() {
    for (nom, acteur) in tous_les_acteurs() {
        for action in Action::TOUTES {
            assert_eq!(
                verdict(&acteur, action, &beneficiaire("med-b")),
                Err(Refus::DonneesBeneficiaire),
                "{nom} : {action:?} sur le bénéficiaire de med-b"
            );
        }
    }
}

#[test]
fn seul_l_administrateur_lit_le_journal_et_administre_les_utilisateurs() {
    for (nom, acteur) in tous_les_acteurs() {
        let admin = acteur.a_le_role(Role::Administrateur);
        for cible in [Cible::JournalAudit, Cible::Utilisateurs] {
            let verdict = verdict(&acteur, Consulter, &cible);
            if admin {
                assert_eq!(verdict, Ok(()), "{nom} : {cible:?}");
            } else {
                assert_eq!(
                    verdict,
                    Err(Refus::ReserveAdministrateur),
                    "{nom} : {cible:?}"
                );
            }
        }
    }
}

#[test]
fn chacun_voit_ses_propres_statistiques_et_son_compte() {
    let mut acteurs = tous_les_acteurs();
    acteurs.push(("sans rôle", sans_role()));
    for (nom, acteur) in acteurs {
        let id = acteur.id.clone();
        for cible in [
            stats(Perimetre::Soi),
            stats(med(&id)),
            liste(Perimetre::Soi),
            compte(&id),
        ] {
            assert_eq!(
                verdict(&acteur, Consulter, &cible),
                Ok(()),
                "{nom} : {cible:?}"
            );
        }
    }
}

#[test]
fn sans_role_rien_d_autre_que_soi() {
    let s = sans_role();
    refuse(
        &s,
        &[
            (Consulter, stats(dep("33")), Refus::AucuneAttribution),
            (
                Consulter,
                activite("nouveau", None, date(2024, 5, 2)),
                Refus::AucuneAttribution,
            ),
            (Consulter, beneficiaire("nouveau"), Refus::AucuneAttribution),
            (Consulter, Cible::JournalAudit, Refus::AucuneAttribution),
        ],
    );
}

#[test]
fn une_attribution_incoherente_n_accorde_rien() {
    let mut acteur = sans_role();
    // An administrator role with a département scope: malformed, ignored.
    acteur.attributions.push(maillage_comptes::Attribution {
        role: Role::Administrateur,
        perimetre: maillage_comptes::PerimetreAttribution::Departement("33".to_owned()),
    });
    assert!(!acteur.a_le_role(Role::Administrateur));
    refuse(
        &acteur,
        &[
            (Consulter, Cible::JournalAudit, Refus::AucuneAttribution),
            (Consulter, stats(dep("33")), Refus::AucuneAttribution),
            (
                Consulter,
                stats(Perimetre::National),
                Refus::AucuneAttribution,
            ),
        ],
    );
}

#[test]
fn actions_sans_objet_et_periodes_inversees_sont_refusees_a_tous() {
    let mut acteurs = tous_les_acteurs();
    acteurs.push(("sans rôle", sans_role()));
    for (nom, acteur) in acteurs {
        let cas = [
            (Creer, stats(Perimetre::Soi), Refus::ActionInapplicable),
            (
                Supprimer,
                stats(Perimetre::National),
                Refus::ActionInapplicable,
            ),
            (Modifier, pilotage(dep("33")), Refus::ActionInapplicable),
            (
                Exporter,
                activite(&acteur.id, None, date(2024, 5, 2)),
                Refus::ActionInapplicable,
            ),
            (Creer, compte(&acteur.id), Refus::ActionInapplicable),
            (
                Consulter,
                stats_sur(Perimetre::Soi, date(2024, 6, 1), date(2024, 5, 1)),
                Refus::PeriodeInvalide,
            ),
            (Supprimer, Cible::JournalAudit, Refus::JournalInalterable),
        ];
        for (action, cible, attendu) in cas {
            assert_eq!(
                verdict(&acteur, action, &cible),
                Err(attendu),
                "{nom} : {action:?} {cible:?}"
            );
        }
    }
}

#[test]
fn les_motifs_de_refus_sont_en_francais() {
    assert_eq!(
        Refus::HorsPeriodeEquipe.to_string(),
        "Ces dates sont en dehors de la période pendant laquelle ce médiateur faisait partie de votre équipe."
    );
    assert_eq!(
        Refus::DonneesBeneficiaire.to_string(),
        "Les données personnelles d'un bénéficiaire ne sont accessibles qu'au médiateur qui le suit."
    );
}
