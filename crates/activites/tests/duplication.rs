//! "Dupliquer" and the JSON form of a record.

mod commun;

use commun::{accepte, aujourd_hui, collectif, individuel};
use maillage_activites::*;

#[test]
fn dupliquer_un_individuel_garde_tous_les_champs() {
    let mut s = individuel();
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 2,
        minutes: 5,
    });
    s.thematiques = vec![
        Thematique::AideAuxDemarchesAdministratives,
        Thematique::ArgentImpots,
    ];
    s.precisions_demarche = Some("Déclaration de revenus".to_owned());
    s.oriente_vers_structure = Some(true);
    s.structure_de_redirection = Some(StructureDeRedirection::Administration);
    s.autonomie = Some(Autonomie::Autonome);
    s.notes = Some("Rappeler".to_owned());
    s.beneficiaire = Some(Beneficiaire::Suivi {
        id: "b-7".to_owned(),
    });
    let a = accepte(&s);
    let copie = dupliquer(&a);
    assert_eq!(copie, s);
    assert_eq!(valider(&copie, aujourd_hui()), Ok(a));
}

#[test]
fn dupliquer_un_collectif_garde_les_participants() {
    let mut s = collectif();
    s.participants = vec!["b-1".to_owned(), "b-2".to_owned()];
    s.niveau = Some(NiveauAtelier::Avance);
    let a = accepte(&s);
    let copie = dupliquer(&a);
    assert_eq!(copie, s);
    assert_eq!(valider(&copie, aujourd_hui()), Ok(a));
}

#[test]
fn une_activite_se_serialise_avec_les_noms_de_la_coop() {
    let mut s = collectif();
    s.materiel = vec![Materiel::Tablette];
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 2,
        genre_feminin: 1,
        tranche_age_soixante_dix_plus: 2,
        ..Default::default()
    });
    let json = serde_json::to_value(accepte(&s)).expect("json");
    assert_eq!(json["type"], "collectif");
    assert_eq!(json["date"], "2026-03-16");
    assert_eq!(json["duree"], 120);
    assert_eq!(json["typeLieu"], "Autre");
    assert_eq!(json["lieuCodeInsee"], "69123");
    assert_eq!(json["materiel"], serde_json::json!(["Tablette"]));
    assert_eq!(
        json["thematiques"],
        serde_json::json!(["SecuriteNumerique"])
    );
    assert_eq!(json["titreAtelier"], "Se protéger des arnaques");
    assert_eq!(json["participantsAnonymes"]["total"], 2);
    assert_eq!(json["participantsAnonymes"]["genreFeminin"], 1);
    assert_eq!(json["participantsAnonymes"]["trancheAgeSoixanteDixPlus"], 2);
}

#[test]
fn un_brouillon_se_lit_depuis_le_json_de_la_coop() {
    let json = r#"{
        "type": "individuel",
        "date": "2026-03-02",
        "duree": {"minutes": 45},
        "typeLieu": "Domicile",
        "structureId": null,
        "lieuCodeInsee": "2A004",
        "materiel": ["Telephone"],
        "thematiques": ["AideAuxDemarchesAdministratives", "Logement"],
        "notes": null,
        "beneficiaire": {"anonyme": {"genre": "Feminin", "trancheAge": "SoixanteDixPlus", "statutSocial": null}},
        "autonomie": "EntierementAccompagne",
        "orienteVersStructure": false,
        "structureDeRedirection": null,
        "precisionsDemarche": "APL",
        "titreAtelier": null,
        "niveau": null,
        "participants": [],
        "participantsAnonymes": null
    }"#;
    let s: ActiviteSaisie = serde_json::from_str(json).expect("brouillon");
    let a = accepte(&s);
    assert_eq!(a.duree(), Duree::Preset(DureePreset::Min45));
    assert_eq!(a.lieu().code_insee(), Some("2A004"));
    assert_eq!(a.duree().tranche(), TrancheDuree::De30MinA1H);
    let i = a.individuel().expect("individuel");
    assert_eq!(i.precisions_demarche.as_deref(), Some("APL"));
    assert_eq!(i.autonomie, Some(Autonomie::EntierementAccompagne));
}
