//! Single-use expiring tokens.

use chrono::{DateTime, Duration, TimeZone, Utc};
use maillage_comptes::{consommer, ButJeton, ErreurJeton, Jeton};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 9, 0, 0)
        .single()
        .expect("instant valide")
}

fn nouveau(but: ButJeton) -> (String, Jeton) {
    Jeton::nouveau(but, t0(), Duration::hours(1)).expect("aléa du système")
}

#[test]
fn forme_du_jeton_clair_et_stocke() {
    let (clair, jeton) = nouveau(ButJeton::VerificationEmail);
    // 32 bytes in base64url without padding.
    assert_eq!(clair.len(), 43);
    assert!(clair
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    // Only the SHA-256 hex is stored, never the clear token.
    assert_eq!(jeton.empreinte.len(), 64);
    assert!(jeton.empreinte.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(jeton.empreinte, clair);
    assert_eq!(jeton.empreinte, Jeton::empreinte_de(&clair));
    assert_eq!(jeton.but, ButJeton::VerificationEmail);
    assert_eq!(jeton.expire_le, t0() + Duration::hours(1));
    assert_eq!(jeton.utilise_le, None);
    let serialise = serde_json::to_string(&jeton).expect("json");
    assert!(!serialise.contains(&clair));
}

#[test]
fn empreinte_est_le_sha256_hex() {
    // Known SHA-256 of "abc".
    assert_eq!(
        Jeton::empreinte_de("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn deux_jetons_sont_differents() {
    let (a, _) = nouveau(ButJeton::Invitation);
    let (b, _) = nouveau(ButJeton::Invitation);
    assert_ne!(a, b);
}

#[test]
fn consommation_reussie_puis_reutilisation_refusee() {
    let (clair, mut jeton) = nouveau(ButJeton::ReinitialisationMotDePasse);
    let quand = t0() + Duration::minutes(10);
    assert_eq!(
        consommer(
            &mut jeton,
            ButJeton::ReinitialisationMotDePasse,
            &clair,
            quand
        ),
        Ok(())
    );
    assert_eq!(jeton.utilise_le, Some(quand));
    assert_eq!(
        consommer(
            &mut jeton,
            ButJeton::ReinitialisationMotDePasse,
            &clair,
            quand + Duration::minutes(1)
        ),
        Err(ErreurJeton::DejaUtilise)
    );
    // The first use is kept.
    assert_eq!(jeton.utilise_le, Some(quand));
}

#[test]
fn jeton_expire_refuse_a_l_instant_meme_de_l_expiration() {
    let (clair, mut jeton) = nouveau(ButJeton::VerificationEmail);
    let juste_avant = t0() + Duration::hours(1) - Duration::seconds(1);
    let mut copie = jeton.clone();
    assert_eq!(
        consommer(&mut copie, ButJeton::VerificationEmail, &clair, juste_avant),
        Ok(())
    );
    assert_eq!(
        consommer(
            &mut jeton,
            ButJeton::VerificationEmail,
            &clair,
            t0() + Duration::hours(1)
        ),
        Err(ErreurJeton::Expire)
    );
    assert_eq!(jeton.utilise_le, None, "un refus ne consomme pas le jeton");
}

#[test]
fn mauvais_but_refuse_sans_consommer() {
    let (clair, mut jeton) = nouveau(ButJeton::VerificationEmail);
    assert_eq!(
        consommer(
            &mut jeton,
            ButJeton::ReinitialisationMotDePasse,
            &clair,
            t0()
        ),
        Err(ErreurJeton::MauvaisBut)
    );
    assert_eq!(jeton.utilise_le, None);
    assert_eq!(
        consommer(&mut jeton, ButJeton::VerificationEmail, &clair, t0()),
        Ok(())
    );
}

#[test]
fn jeton_altere_ou_etranger_inconnu() {
    let (clair, mut jeton) = nouveau(ButJeton::Invitation);
    let mut altere = clair.clone();
    let dernier = altere.pop().expect("non vide");
    altere.push(if dernier == 'A' { 'B' } else { 'A' });
    assert_eq!(
        consommer(&mut jeton, ButJeton::Invitation, &altere, t0()),
        Err(ErreurJeton::Inconnu)
    );
    let (autre, _) = nouveau(ButJeton::Invitation);
    assert_eq!(
        consommer(&mut jeton, ButJeton::Invitation, &autre, t0()),
        Err(ErreurJeton::Inconnu)
    );
    assert_eq!(
        consommer(&mut jeton, ButJeton::Invitation, "", t0()),
        Err(ErreurJeton::Inconnu)
    );
    // Presenting the stored hash instead of the clear token does not work.
    let empreinte = jeton.empreinte.clone();
    assert_eq!(
        consommer(&mut jeton, ButJeton::Invitation, &empreinte, t0()),
        Err(ErreurJeton::Inconnu)
    );
    assert_eq!(jeton.utilise_le, None);
}

#[test]
fn messages_et_durees_par_defaut() {
    assert_eq!(
        ErreurJeton::Expire.to_string(),
        "Ce lien a expiré : demandez-en un nouveau."
    );
    assert!(
        ButJeton::ReinitialisationMotDePasse.duree_par_defaut()
            < ButJeton::VerificationEmail.duree_par_defaut()
    );
    assert_eq!(ButJeton::Invitation.duree_par_defaut(), Duration::days(7));
    assert_eq!(
        serde_json::to_value(ButJeton::ReinitialisationMotDePasse).expect("json"),
        serde_json::json!(ButJeton::ReinitialisationMotDePasse.code())
    );
}
