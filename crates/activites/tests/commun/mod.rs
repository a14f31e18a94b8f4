//! Shared fixtures: one valid draft of each type, and helpers to read errors.
#![allow(dead_code)]

use chrono::NaiveDate;
use maillage_activites::{
    ActiviteSaisie, DureePreset, DureeSaisie, ErreurChamp, Materiel, ParticipantsAnonymes,
    Thematique, TypeActivite, TypeLieu,
};

pub fn aujourd_hui() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 16).expect("date valide")
}

pub fn individuel() -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(aujourd_hui());
    s.duree = Some(DureeSaisie::Preset(DureePreset::Min30));
    s.type_lieu = Some(TypeLieu::LieuActivite);
    s.structure_id = Some("lieu-123".to_owned());
    s.materiel = vec![Materiel::Ordinateur];
    s.thematiques = vec![Thematique::Email];
    s
}

pub fn collectif() -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    s.date = Some(aujourd_hui());
    s.duree = Some(DureeSaisie::Preset(DureePreset::Min120));
    s.type_lieu = Some(TypeLieu::Autre);
    s.lieu_code_insee = Some("69123".to_owned());
    s.thematiques = vec![Thematique::SecuriteNumerique];
    s.titre_atelier = Some("Se protéger des arnaques".to_owned());
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 4,
        ..Default::default()
    });
    s
}

/// The errors of a draft that must be refused.
pub fn erreurs(saisie: &ActiviteSaisie) -> Vec<ErreurChamp> {
    match maillage_activites::valider(saisie, aujourd_hui()) {
        Ok(a) => panic!("accepté à tort : {a:?}"),
        Err(e) => e,
    }
}

/// Asserts a draft is refused on exactly these fields, and that each
/// message names its field with the form's label.
pub fn refuse_sur(saisie: &ActiviteSaisie, champs: &[&str]) -> Vec<ErreurChamp> {
    let e = erreurs(saisie);
    let mut obtenus: Vec<&str> = e.iter().map(|e| e.champ).collect();
    obtenus.dedup();
    assert_eq!(obtenus, champs, "erreurs : {e:#?}");
    for erreur in &e {
        let libelle = maillage_activites::libelle_champ(erreur.champ);
        assert_ne!(libelle, "Champ", "champ sans libellé : {}", erreur.champ);
        assert!(
            erreur.message.starts_with(&format!("{libelle} : ")),
            "le message ne nomme pas le champ : {}",
            erreur.message
        );
    }
    e
}

pub fn accepte(saisie: &ActiviteSaisie) -> maillage_activites::Activite {
    match maillage_activites::valider(saisie, aujourd_hui()) {
        Ok(a) => a,
        Err(e) => panic!("refusé à tort : {e:#?}"),
    }
}
