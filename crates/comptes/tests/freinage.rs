//! Login throttling with explicit times.

use chrono::{DateTime, Duration, TimeZone, Utc};
use maillage_comptes::{message_attente, Freinage};

fn t(minutes: i64, secondes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 10, 9, 0, 0)
        .single()
        .expect("instant valide")
        + Duration::minutes(minutes)
        + Duration::seconds(secondes)
}

fn min(n: i64) -> Duration {
    Duration::minutes(n)
}

#[test]
fn cinq_echecs_bloquent_une_minute_puis_le_blocage_double_jusqu_a_quinze() {
    let mut f = Freinage::new();
    for i in 0..4 {
        assert_eq!(f.verifier(t(0, i * 10)), Ok(()));
        assert_eq!(f.enregistrer_echec(t(0, i * 10)), None, "échec n°{}", i + 1);
    }
    // Fifth failure within 15 minutes: one minute.
    assert_eq!(f.enregistrer_echec(t(1, 0)), Some(min(1)));
    assert_eq!(f.verifier(t(1, 30)), Err(Duration::seconds(30)));
    assert_eq!(f.verifier(t(2, 0)), Ok(()));

    // Each further failure, once allowed again, doubles the block.
    assert_eq!(f.enregistrer_echec(t(2, 0)), Some(min(2)));
    assert_eq!(f.verifier(t(3, 59)), Err(Duration::seconds(1)));
    assert_eq!(f.enregistrer_echec(t(4, 0)), Some(min(4)));
    assert_eq!(f.enregistrer_echec(t(8, 0)), Some(min(8)));
    assert_eq!(f.enregistrer_echec(t(16, 0)), Some(min(15)), "plafond");
    assert_eq!(f.enregistrer_echec(t(31, 0)), Some(min(15)), "plafond");
    assert_eq!(f.verifier(t(45, 59)), Err(Duration::seconds(1)));
    assert_eq!(f.verifier(t(46, 0)), Ok(()));
}

#[test]
fn un_echec_pendant_le_blocage_ne_l_allonge_pas() {
    let mut f = Freinage::new();
    for i in 0..5 {
        f.enregistrer_echec(t(0, i));
    }
    assert_eq!(f.verifier(t(0, 4)), Err(min(1)));
    // Reported while blocked: the remaining wait, unchanged state.
    let avant = f.clone();
    assert_eq!(f.enregistrer_echec(t(0, 34)), Some(Duration::seconds(30)));
    assert_eq!(f, avant);
    // The next real failure is the second block (2 minutes), not a third.
    assert_eq!(f.enregistrer_echec(t(1, 4)), Some(min(2)));
}

#[test]
fn un_succes_remet_a_zero() {
    let mut f = Freinage::new();
    for i in 0..5 {
        f.enregistrer_echec(t(0, i));
    }
    f.enregistrer_echec(t(2, 0));
    assert!(f.verifier(t(2, 30)).is_err());
    // After the block, a correct password.
    f.enregistrer_succes();
    assert_eq!(f, Freinage::new());
    for i in 0..4 {
        assert_eq!(f.enregistrer_echec(t(5, i)), None);
    }
    assert_eq!(f.enregistrer_echec(t(5, 4)), Some(min(1)));
}

#[test]
fn les_echecs_de_plus_de_quinze_minutes_ne_comptent_plus() {
    let mut f = Freinage::new();
    // Four failures at 0, then one every few minutes: the window slides.
    for i in 0..4 {
        assert_eq!(f.enregistrer_echec(t(0, i)), None);
    }
    // At exactly 15 minutes the failures of minute 0 have expired.
    assert_eq!(f.enregistrer_echec(t(15, 0)), None);
    assert_eq!(f.enregistrer_echec(t(16, 0)), None);
    assert_eq!(f.enregistrer_echec(t(17, 0)), None);
    assert_eq!(f.enregistrer_echec(t(18, 0)), None);
    // Fifth failure within [4 min, 19 min]: blocked.
    assert_eq!(f.enregistrer_echec(t(19, 0)), Some(min(1)));
}

#[test]
fn quinze_minutes_de_calme_apres_un_blocage_effacent_l_escalade() {
    let mut f = Freinage::new();
    for i in 0..5 {
        f.enregistrer_echec(t(0, i));
    }
    // Blocked until 1:04. A failure 14 minutes after that still escalates.
    let mut g = f.clone();
    assert_eq!(g.enregistrer_echec(t(15, 3)), Some(min(2)));
    // Fifteen minutes after the block's end, the slate is clean.
    assert_eq!(f.enregistrer_echec(t(16, 4)), None);
}

#[test]
fn message_arrondi_a_la_minute_superieure() {
    assert_eq!(
        message_attente(Duration::seconds(30)),
        "Trop de tentatives de connexion. Réessayez dans 1 minute."
    );
    assert_eq!(
        message_attente(min(2)),
        "Trop de tentatives de connexion. Réessayez dans 2 minutes."
    );
    assert_eq!(
        message_attente(min(3) + Duration::seconds(1)),
        "Trop de tentatives de connexion. Réessayez dans 4 minutes."
    );
}

#[test]
fn l_etat_se_serialise_pour_etre_stocke() {
    let mut f = Freinage::new();
    for i in 0..5 {
        f.enregistrer_echec(t(0, i));
    }
    let json = serde_json::to_string(&f).expect("json");
    let relu: Freinage = serde_json::from_str(&json).expect("relu");
    assert_eq!(relu, f);
    assert_eq!(relu.verifier(t(0, 34)), Err(Duration::seconds(30)));
}
