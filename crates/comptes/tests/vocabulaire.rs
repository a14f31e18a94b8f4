//! Stable codes, French labels and parsing of roles and journal actions.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use maillage_comptes::{ActionSensible, EntreeJournal, Role};

#[test]
fn roles_codes_serde_libelles_et_analyse() {
    let attendus = [
        (Role::Mediateur, "mediateur", "Médiateur numérique"),
        (Role::Coordinateur, "coordinateur", "Coordinateur"),
        (
            Role::GestionnaireStructure,
            "gestionnaire_structure",
            "Gestionnaire de structure",
        ),
        (
            Role::GestionnaireTerritorial,
            "gestionnaire_territorial",
            "Gestionnaire territorial",
        ),
        (Role::Administrateur, "administrateur", "Administrateur"),
    ];
    assert_eq!(attendus.len(), Role::TOUS.len());
    for (role, code, libelle) in attendus {
        assert_eq!(role.code(), code);
        assert_eq!(role.libelle(), libelle);
        assert_eq!(role.to_string(), libelle);
        assert_eq!(Role::from_str(code), Ok(role));
        assert_eq!(
            serde_json::to_value(role).expect("json"),
            serde_json::json!(code)
        );
    }
    let erreur = Role::from_str("Mediateur").expect_err("casse différente");
    assert_eq!(erreur.to_string(), "rôle inconnu : « Mediateur »");
}

#[test]
fn actions_sensibles_codes_uniques_et_coherents_avec_serde() {
    let mut codes = HashSet::new();
    for action in ActionSensible::TOUTES {
        assert!(
            codes.insert(action.code()),
            "code en double : {}",
            action.code()
        );
        assert!(!action.libelle().is_empty());
        assert_eq!(ActionSensible::from_str(action.code()), Ok(action));
        assert_eq!(
            serde_json::to_value(action).expect("json"),
            serde_json::json!(action.code())
        );
    }
    for code in [
        "connexion",
        "echec_connexion",
        "deconnexion",
        "creation_compte",
        "invitation",
        "verification_email",
        "reinitialisation_mot_de_passe",
        "changement_role",
        "creation_activite",
        "modification_activite",
        "suppression_activite",
        "anonymisation_beneficiaire",
        "fusion_beneficiaires",
        "export",
        "creation_jeton_api",
    ] {
        assert!(codes.contains(code), "code attendu absent : {code}");
    }
    assert_eq!(
        ActionSensible::EchecConnexion.libelle(),
        "Échec de connexion"
    );
    assert!(ActionSensible::from_str("piratage").is_err());
}

#[test]
fn entree_de_journal_en_json() {
    let quand = Utc
        .with_ymd_and_hms(2025, 3, 10, 9, 30, 0)
        .single()
        .expect("instant");
    let entree = EntreeJournal::nouvelle(
        Some("admin".to_owned()),
        ActionSensible::ChangementRole,
        Some("utilisateur:med-a".to_owned()),
        serde_json::json!({ "ajout": "coordinateur" }),
        quand,
    );
    let json = serde_json::to_value(&entree).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "acteur_id": "admin",
            "action": "changement_role",
            "cible": "utilisateur:med-a",
            "details": { "ajout": "coordinateur" },
            "quand": "2025-03-10T09:30:00Z",
        })
    );
    let relu: EntreeJournal = serde_json::from_value(json).expect("relu");
    assert_eq!(relu, entree);
}
