//! argon2id hashing and the password policy.

use maillage_comptes::{
    doit_etre_rehache, hacher_mot_de_passe, politique_mot_de_passe, verifier_mot_de_passe,
};

#[test]
fn aller_retour_et_mauvais_mot_de_passe() {
    let phc = hacher_mot_de_passe("cheval agrafe pile correcte").expect("hachage");
    assert!(verifier_mot_de_passe("cheval agrafe pile correcte", &phc));
    assert!(!verifier_mot_de_passe("cheval agrafe pile correctE", &phc));
    assert!(!verifier_mot_de_passe("", &phc));
}

#[test]
fn chaine_phc_argon2id_avec_les_parametres_owasp() {
    let phc = hacher_mot_de_passe("un mot de passe assez long").expect("hachage");
    let parties: Vec<&str> = phc.split('$').collect();
    // "", algorithm, version, parameters, salt, hash
    assert_eq!(parties.len(), 6, "{phc}");
    assert_eq!(parties[1], "argon2id");
    assert_eq!(parties[2], "v=19");
    assert_eq!(parties[3], "m=19456,t=2,p=1");
    assert!(parties[4].len() >= 22, "sel trop court : {phc}");
    // 32-byte output, base64 without padding.
    assert_eq!(parties[5].len(), 43, "{phc}");
}

#[test]
fn deux_hachages_du_meme_mot_de_passe_different_par_le_sel() {
    let a = hacher_mot_de_passe("le même mot de passe").expect("hachage");
    let b = hacher_mot_de_passe("le même mot de passe").expect("hachage");
    assert_ne!(a, b);
    assert!(verifier_mot_de_passe("le même mot de passe", &a));
    assert!(verifier_mot_de_passe("le même mot de passe", &b));
}

#[test]
fn chaine_stockee_illisible_refuse_sans_paniquer() {
    assert!(!verifier_mot_de_passe("peu importe", ""));
    assert!(!verifier_mot_de_passe("peu importe", "pas une chaîne PHC"));
    assert!(!verifier_mot_de_passe(
        "peu importe",
        "$argon2id$v=19$m=19456"
    ));
}

#[test]
fn hachage_d_autres_parametres_reste_verifiable() {
    // A hash made with lighter settings (an older deployment) still verifies:
    // parameters are read from the PHC string.
    use argon2::password_hash::{PasswordHasher, SaltString};
    let sel = SaltString::from_b64("c2VsZGVtZXJkZXRlc3Q").expect("sel");
    let params = argon2::Params::new(8192, 1, 1, None).expect("paramètres");
    let ancien = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(b"ancien mot de passe", &sel)
        .expect("hachage")
        .to_string();
    assert!(ancien.contains("m=8192,t=1,p=1"));
    assert!(verifier_mot_de_passe("ancien mot de passe", &ancien));
    assert!(!verifier_mot_de_passe("autre mot de passe", &ancien));
    // …and is flagged for replacement, unlike a current one.
    assert!(doit_etre_rehache(&ancien));
    let actuel = hacher_mot_de_passe("ancien mot de passe").expect("hachage");
    assert!(!doit_etre_rehache(&actuel));
    assert!(doit_etre_rehache("pas une chaîne PHC"));
}

#[test]
fn un_autre_algorithme_doit_etre_rehache() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let sel = SaltString::from_b64("c2VsZGVtZXJkZXRlc3Q").expect("sel");
    let params = argon2::Params::new(19_456, 2, 1, None).expect("paramètres");
    let argon2i = argon2::Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x13, params)
        .hash_password(b"mot de passe", &sel)
        .expect("hachage")
        .to_string();
    assert!(argon2i.starts_with("$argon2i$"));
    assert!(doit_etre_rehache(&argon2i));
}

#[test]
fn politique_accepte_une_phrase_de_passe() {
    assert_eq!(
        politique_mot_de_passe("Trois chats roux sur le toit", "jeanne.martin@exemple.fr"),
        Ok(())
    );
    // Exactly 12 and exactly 128 characters, counted in characters.
    assert_eq!(
        politique_mot_de_passe("éléphantéléé", "x@exemple.fr"),
        Ok(())
    );
    assert_eq!(
        politique_mot_de_passe(&"k7".repeat(64), "x@exemple.fr"),
        Ok(())
    );
}

#[test]
fn politique_longueur_minimale_et_maximale() {
    assert_eq!(
        politique_mot_de_passe("Court-de-11", "x@exemple.fr"),
        Err(vec![
            "Le mot de passe doit contenir au moins 12 caractères.".to_owned()
        ])
    );
    assert_eq!(
        politique_mot_de_passe(&format!("{}z", "k7".repeat(64)), "x@exemple.fr"),
        Err(vec![
            "Le mot de passe ne doit pas dépasser 128 caractères.".to_owned()
        ])
    );
}

#[test]
fn politique_refuse_les_mots_de_passe_courants_meme_avec_un_suffixe() {
    let message = "Ce mot de passe est trop courant : choisissez-en un moins facile à deviner.";
    for courant in [
        "azertyuiop123",
        "MotDePasse2024!",
        "123456789012",
        "Password123456",
        "bienvenue2025!!",
    ] {
        let erreurs = politique_mot_de_passe(courant, "x@exemple.fr").expect_err(courant);
        assert_eq!(erreurs, vec![message.to_owned()], "{courant}");
    }
    // A common word inside a longer phrase is fine.
    assert_eq!(
        politique_mot_de_passe("soleil couchant sur la Garonne", "x@exemple.fr"),
        Ok(())
    );
}

#[test]
fn politique_refuse_la_partie_locale_de_l_adresse() {
    let erreurs = politique_mot_de_passe("Jeanne.Martin-1987!", "jeanne.martin@exemple.fr")
        .expect_err("contient la partie locale");
    assert_eq!(
        erreurs,
        vec![
            "Le mot de passe ne doit pas contenir votre identifiant de messagerie (la partie de l'adresse avant « @ »)."
                .to_owned()
        ]
    );
    // Too short a local part is not checked.
    assert_eq!(
        politique_mot_de_passe("jo est un bon prénom", "jo@exemple.fr"),
        Ok(())
    );
}

#[test]
fn politique_rapporte_toutes_les_erreurs_a_la_fois() {
    let erreurs =
        politique_mot_de_passe("motdepasse", "motdepasse@exemple.fr").expect_err("trois problèmes");
    assert_eq!(erreurs.len(), 3, "{erreurs:?}");
    assert!(erreurs[0].contains("au moins 12 caractères"));
    assert!(erreurs[1].contains("trop courant"));
    assert!(erreurs[2].contains("identifiant de messagerie"));
}
