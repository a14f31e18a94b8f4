//! One test per validation rule: an accepted case and a refused one, the
//! refusal naming the field.

mod commun;

use chrono::Duration;
use commun::{accepte, aujourd_hui, collectif, individuel, refuse_sur};
use maillage_activites::*;

#[test]
fn les_brouillons_de_reference_sont_acceptes() {
    let a = accepte(&individuel());
    assert_eq!(a.type_activite(), TypeActivite::Individuel);
    assert_eq!(a.accompagnements_count(), 1);
    assert_eq!(a.lieu().structure_id(), Some("lieu-123"));
    // No followed beneficiary: an anonymous one.
    assert_eq!(
        a.individuel().map(|i| &i.beneficiaire),
        Some(&Beneficiaire::Anonyme(Demographie::default()))
    );
    let c = accepte(&collectif());
    assert_eq!(c.type_activite(), TypeActivite::Collectif);
    assert_eq!(c.accompagnements_count(), 4);
    assert_eq!(c.lieu().code_insee(), Some("69123"));
}

#[test]
fn tout_est_signale_en_une_fois() {
    let vide = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    refuse_sur(&vide, &["date", "duree", "typeLieu", "thematiques"]);
    let vide = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    refuse_sur(
        &vide,
        &["date", "duree", "typeLieu", "thematiques", "participants"],
    );
}

// Date

#[test]
fn date_obligatoire_et_pas_dans_le_futur() {
    let mut s = individuel();
    s.date = Some(aujourd_hui() - Duration::days(400));
    assert_eq!(accepte(&s).date(), aujourd_hui() - Duration::days(400));

    s.date = None;
    let e = refuse_sur(&s, &["date"]);
    assert!(e[0].message.contains("obligatoire"));

    s.date = Some(aujourd_hui() + Duration::days(1));
    let e = refuse_sur(&s, &["date"]);
    assert!(e[0].message.contains("futur"), "{}", e[0].message);
    assert!(e[0].message.contains("17/03/2026"), "{}", e[0].message);
}

// Durée

#[test]
fn duree_obligatoire() {
    let mut s = individuel();
    s.duree = None;
    refuse_sur(&s, &["duree"]);
}

#[test]
fn duree_personnalisee_heures_0_23_minutes_0_59() {
    let mut s = individuel();
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 1,
        minutes: 10,
    });
    assert_eq!(accepte(&s).duree(), Duree::Personnalisee { minutes: 70 });

    // Equal to a preset: stored as the preset, as La Coop stores minutes.
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 1,
        minutes: 30,
    });
    assert_eq!(accepte(&s).duree(), Duree::Preset(DureePreset::Min90));

    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 23,
        minutes: 59,
    });
    assert_eq!(accepte(&s).duree().minutes(), 1439);

    // A whole day is the longest duration: a stored 1,440-minute record
    // comes back to the form as 24 h 00 and passes again.
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 24,
        minutes: 0,
    });
    assert_eq!(accepte(&s).duree().minutes(), 1440);
    let mut relu = individuel();
    relu.duree = Some(DureeSaisie::Minutes(1440));
    let a = accepte(&relu);
    assert_eq!(
        accepte(&maillage_activites::dupliquer(&a))
            .duree()
            .minutes(),
        1440
    );

    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 24,
        minutes: 1,
    });
    let e = refuse_sur(&s, &["duree"]);
    assert!(e[0].message.contains("24 heures"), "{}", e[0].message);

    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 25,
        minutes: 0,
    });
    let e = refuse_sur(&s, &["duree"]);
    assert!(e[0].message.contains("heures"));

    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 0,
        minutes: 60,
    });
    let e = refuse_sur(&s, &["duree"]);
    assert!(e[0].message.contains("minutes"));

    s.duree = Some(DureeSaisie::Personnalisee {
        heures: -1,
        minutes: -1,
    });
    assert_eq!(refuse_sur(&s, &["duree"]).len(), 2);
}

#[test]
fn duree_au_moins_une_minute_au_plus_un_jour() {
    let mut s = individuel();
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 0,
        minutes: 0,
    });
    let e = refuse_sur(&s, &["duree"]);
    assert!(e[0].message.contains("au moins 1 minute"));

    s.duree = Some(DureeSaisie::Minutes(1440));
    assert_eq!(accepte(&s).duree().minutes(), 1440);
    s.duree = Some(DureeSaisie::Minutes(1441));
    let e = refuse_sur(&s, &["duree"]);
    assert!(e[0].message.contains("24 heures"));
    s.duree = Some(DureeSaisie::Minutes(-30));
    refuse_sur(&s, &["duree"]);
}

// Lieu

#[test]
fn type_de_lieu_obligatoire() {
    let mut s = individuel();
    s.type_lieu = None;
    s.structure_id = None;
    refuse_sur(&s, &["typeLieu"]);
}

#[test]
fn lieu_d_activite_exige_le_lieu_et_pas_de_commune() {
    let mut s = individuel();
    s.structure_id = Some("   ".to_owned());
    refuse_sur(&s, &["structureId"]);

    s.structure_id = Some(" lieu-9 ".to_owned());
    assert_eq!(
        accepte(&s).lieu(),
        &Lieu::LieuActivite {
            structure_id: "lieu-9".to_owned()
        }
    );

    s.lieu_code_insee = Some("75056".to_owned());
    refuse_sur(&s, &["lieuCodeInsee"]);
}

#[test]
fn domicile_et_autre_exigent_une_commune_insee_et_pas_de_lieu() {
    for type_lieu in [TypeLieu::Domicile, TypeLieu::Autre] {
        let mut s = individuel();
        s.type_lieu = Some(type_lieu);
        s.structure_id = None;
        refuse_sur(&s, &["lieuCodeInsee"]);

        for code in ["75056", "2A004", "2B033", "97411"] {
            s.lieu_code_insee = Some(code.to_owned());
            let a = accepte(&s);
            assert_eq!(a.lieu().type_lieu(), type_lieu);
            assert_eq!(a.lieu().code_insee(), Some(code));
        }
        for code in ["7505", "750560", "2C004", "75O56", "Paris"] {
            s.lieu_code_insee = Some(code.to_owned());
            let e = refuse_sur(&s, &["lieuCodeInsee"]);
            assert!(e[0].message.contains(code), "{}", e[0].message);
        }

        s.lieu_code_insee = Some("75056".to_owned());
        s.structure_id = Some("lieu-1".to_owned());
        refuse_sur(&s, &["structureId"]);
    }
}

#[test]
fn a_distance_sans_lieu_ni_commune() {
    let mut s = individuel();
    s.type_lieu = Some(TypeLieu::ADistance);
    refuse_sur(&s, &["structureId"]);
    s.structure_id = None;
    assert_eq!(accepte(&s).lieu(), &Lieu::ADistance);
    s.lieu_code_insee = Some("75056".to_owned());
    refuse_sur(&s, &["lieuCodeInsee"]);
}

// Matériel

#[test]
fn materiel_facultatif_sans_doublon_et_pas_de_materiel_seul() {
    let mut s = individuel();
    s.materiel = vec![];
    assert!(accepte(&s).materiel().is_empty());

    s.materiel = vec![Materiel::Tablette, Materiel::Ordinateur, Materiel::Tablette];
    assert_eq!(
        accepte(&s).materiel(),
        [Materiel::Ordinateur, Materiel::Tablette]
    );

    s.materiel = vec![Materiel::Aucun];
    assert_eq!(accepte(&s).materiel(), [Materiel::Aucun]);

    s.materiel = vec![Materiel::Aucun, Materiel::Telephone];
    let e = refuse_sur(&s, &["materiel"]);
    assert!(e[0].message.contains("Pas de matériel"));
}

// Thématiques

#[test]
fn au_moins_une_thematique() {
    let mut s = individuel();
    s.thematiques = vec![];
    let e = refuse_sur(&s, &["thematiques"]);
    assert!(e[0].message.contains("au moins une thématique"));

    s.thematiques = vec![Thematique::Sante, Thematique::Email, Thematique::Sante];
    assert_eq!(
        accepte(&s).thematiques(),
        [Thematique::Email, Thematique::Sante]
    );
}

#[test]
fn thematiques_administratives_seulement_avec_l_aide_aux_demarches() {
    for type_activite in [TypeActivite::Individuel, TypeActivite::Collectif] {
        let mut s = match type_activite {
            TypeActivite::Individuel => individuel(),
            TypeActivite::Collectif => collectif(),
        };
        s.thematiques = vec![Thematique::Email, Thematique::Logement];
        let e = refuse_sur(&s, &["thematiques"]);
        assert!(e[0].message.contains("Logement"), "{}", e[0].message);
        assert!(e[0].message.contains("Aide aux démarches administratives"));

        s.thematiques = vec![
            Thematique::Logement,
            Thematique::AideAuxDemarchesAdministratives,
        ];
        accepte(&s);
    }
    let mut s = individuel();
    s.thematiques = vec![Thematique::AideAuxDemarchesAdministratives];
    accepte(&s);
}

// Individuel

#[test]
fn precisions_demarche_seulement_avec_l_aide_aux_demarches() {
    let mut s = individuel();
    s.precisions_demarche = Some("Demande de RSA".to_owned());
    let e = refuse_sur(&s, &["precisionsDemarche"]);
    assert!(e[0].message.contains("Aide aux démarches administratives"));

    s.thematiques = vec![
        Thematique::AideAuxDemarchesAdministratives,
        Thematique::SocialSante,
    ];
    let a = accepte(&s);
    assert_eq!(
        a.individuel()
            .and_then(|i| i.precisions_demarche.as_deref()),
        Some("Demande de RSA")
    );

    // A blank text is no text.
    s.thematiques = vec![Thematique::Email];
    s.precisions_demarche = Some("  ".to_owned());
    assert_eq!(
        accepte(&s)
            .individuel()
            .map(|i| i.precisions_demarche.clone()),
        Some(None)
    );
}

#[test]
fn structure_de_redirection_seulement_si_oriente() {
    let mut s = individuel();
    s.structure_de_redirection = Some(StructureDeRedirection::AideSociale);
    refuse_sur(&s, &["structureDeRedirection"]);
    s.oriente_vers_structure = Some(false);
    refuse_sur(&s, &["structureDeRedirection"]);

    s.oriente_vers_structure = Some(true);
    let a = accepte(&s);
    let i = a.individuel().expect("individuel");
    assert_eq!(i.oriente_vers_structure, Some(true));
    assert_eq!(
        i.structure_de_redirection,
        Some(StructureDeRedirection::AideSociale)
    );

    // Oriented without saying where stays allowed, as in La Coop.
    s.structure_de_redirection = None;
    accepte(&s);
}

#[test]
fn beneficiaire_suivi_ou_anonyme() {
    let mut s = individuel();
    s.autonomie = Some(Autonomie::PartiellementAutonome);
    s.beneficiaire = Some(Beneficiaire::Suivi {
        id: " b-42 ".to_owned(),
    });
    let a = accepte(&s);
    let i = a.individuel().expect("individuel");
    assert_eq!(
        i.beneficiaire,
        Beneficiaire::Suivi {
            id: "b-42".to_owned()
        }
    );
    assert_eq!(i.autonomie, Some(Autonomie::PartiellementAutonome));

    let demographie = Demographie {
        genre: Some(Genre::Feminin),
        tranche_age: Some(TrancheAge::SoixanteDixPlus),
        statut_social: Some(StatutSocial::Retraite),
    };
    s.beneficiaire = Some(Beneficiaire::Anonyme(demographie));
    assert_eq!(
        accepte(&s).individuel().map(|i| i.beneficiaire.clone()),
        Some(Beneficiaire::Anonyme(demographie))
    );

    s.beneficiaire = Some(Beneficiaire::Suivi { id: String::new() });
    refuse_sur(&s, &["beneficiaire"]);
}

#[test]
fn un_individuel_refuse_les_champs_d_atelier() {
    let mut s = individuel();
    s.titre_atelier = Some("Atelier".to_owned());
    s.niveau = Some(NiveauAtelier::Debutant);
    s.participants = vec!["b-1".to_owned()];
    s.participants_anonymes = Some(ParticipantsAnonymes::default());
    let e = refuse_sur(
        &s,
        &[
            "titreAtelier",
            "niveau",
            "participants",
            "participantsAnonymes",
        ],
    );
    assert!(
        e[0].message.contains("Atelier collectif"),
        "{}",
        e[0].message
    );
}

// Collectif

#[test]
fn un_collectif_refuse_les_champs_individuels() {
    let mut s = collectif();
    s.beneficiaire = Some(Beneficiaire::default());
    s.autonomie = Some(Autonomie::Autonome);
    s.oriente_vers_structure = Some(true);
    s.structure_de_redirection = Some(StructureDeRedirection::Autre);
    s.precisions_demarche = Some("CAF".to_owned());
    let e = refuse_sur(
        &s,
        &[
            "beneficiaire",
            "autonomie",
            "orienteVersStructure",
            "structureDeRedirection",
            "precisionsDemarche",
        ],
    );
    assert!(e[0].message.contains("Accompagnement individuel"));
}

#[test]
fn un_collectif_compte_au_moins_un_participant() {
    let mut s = collectif();
    s.participants_anonymes = None;
    let e = refuse_sur(&s, &["participants"]);
    assert!(e[0].message.contains("au moins un participant"));

    s.participants_anonymes = Some(ParticipantsAnonymes::default());
    refuse_sur(&s, &["participants"]);

    s.participants = vec!["b-1".to_owned()];
    let a = accepte(&s);
    assert_eq!(a.accompagnements_count(), 1);

    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 3,
        ..Default::default()
    });
    assert_eq!(accepte(&s).accompagnements_count(), 4);
}

#[test]
fn participants_suivis_identifies_et_sans_doublon() {
    let mut s = collectif();
    s.participants = vec!["b-1".to_owned(), " b-2".to_owned()];
    assert_eq!(
        accepte(&s).collectif().map(|c| c.participants.clone()),
        Some(vec!["b-1".to_owned(), "b-2".to_owned()])
    );

    s.participants = vec!["b-1".to_owned(), "b-1 ".to_owned()];
    let e = refuse_sur(&s, &["participants"]);
    assert!(e[0].message.contains("b-1"));

    s.participants = vec![" ".to_owned()];
    refuse_sur(&s, &["participants"]);
}

#[test]
fn titre_et_niveau_d_atelier() {
    let mut s = collectif();
    s.niveau = Some(NiveauAtelier::Intermediaire);
    s.titre_atelier = Some("  Découvrir France Connect ".to_owned());
    let a = accepte(&s);
    let c = a.collectif().expect("collectif");
    assert_eq!(c.titre_atelier.as_deref(), Some("Découvrir France Connect"));
    assert_eq!(c.niveau, Some(NiveauAtelier::Intermediaire));
    // Both are optional in La Coop.
    s.titre_atelier = None;
    s.niveau = None;
    accepte(&s);
}

#[test]
fn comptes_anonymes_positifs() {
    let mut s = collectif();
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 2,
        genre_feminin: -1,
        ..Default::default()
    });
    let e = refuse_sur(&s, &["participantsAnonymes"]);
    assert!(e[0].message.contains("positif"));

    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: i64::from(u32::MAX) + 1,
        ..Default::default()
    });
    refuse_sur(&s, &["participantsAnonymes"]);
}

#[test]
fn repartitions_anonymes_au_plus_le_total() {
    let base = ParticipantsAnonymes {
        total: 5,
        deja_accompagne: 5,
        genre_masculin: 2,
        genre_feminin: 2,
        genre_non_communique: 1,
        tranche_age_dix_huit_vingt_quatre: 1,
        tranche_age_soixante_dix_plus: 3,
        statut_social_retraite: 3,
        statut_social_scolarise: 2,
        ..Default::default()
    };
    let mut s = collectif();
    s.participants_anonymes = Some(base);
    let a = accepte(&s);
    let c = a.collectif().expect("collectif");
    assert_eq!(c.participants_anonymes.par_genre(Genre::Masculin), 2);
    assert_eq!(
        c.participants_anonymes
            .par_tranche_age(TrancheAge::SoixanteDixPlus),
        3
    );
    assert_eq!(
        c.participants_anonymes
            .par_statut_social(StatutSocial::Scolarise),
        2
    );

    let cas: [(&str, ParticipantsAnonymes<i64>); 4] = [
        (
            "participantsAnonymes.dejaAccompagne",
            ParticipantsAnonymes {
                deja_accompagne: 6,
                ..base
            },
        ),
        (
            "participantsAnonymes.genre",
            ParticipantsAnonymes {
                genre_feminin: 3,
                ..base
            },
        ),
        (
            "participantsAnonymes.trancheAge",
            ParticipantsAnonymes {
                tranche_age_moins_de_douze: 2,
                ..base
            },
        ),
        (
            "participantsAnonymes.statutSocial",
            ParticipantsAnonymes {
                statut_social_en_emploi: 1,
                ..base
            },
        ),
    ];
    for (champ, comptes) in cas {
        s.participants_anonymes = Some(comptes);
        let e = refuse_sur(&s, &[champ]);
        assert!(e[0].message.contains("(6)"), "{}", e[0].message);
        assert!(e[0].message.contains("(5)"), "{}", e[0].message);
    }
}

#[test]
fn les_textes_libres_sont_nettoyes() {
    let mut s = individuel();
    s.notes = Some("  Revenir pour l'impression.\n".to_owned());
    assert_eq!(accepte(&s).notes(), Some("Revenir pour l'impression."));
    s.notes = Some(" \n ".to_owned());
    assert_eq!(accepte(&s).notes(), None);
}
