//! Employer structures and places of activity on both databases: a
//! mediator declares an employer and places, a structure manager follows
//! their mediators, an administrator searches structures, and every other
//! role, a missing session or a cross-site form is refused.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test espace_structures`

mod harnais;
use harnais::*;

use axum::http::StatusCode;
use axum::Router;
use chrono::NaiveDate;
use maillage_comptes::{Attribution, LienEquipe};
use maillage_lieux::Lieu;
use maillage_store::Store;
use maillage_web::espace::structures::{employeur_actuel, lieux_d_activite};
use maillage_web::Etat;

/// Valid SIRETs (Luhn key), spaced as people type them or not.
const S1: &str = "13002603200016";
const S1_ESPACE: &str = "130 026 032 00016";
const S2: &str = "12002701600563";

/// Two places in the published registry, then the catalogue reloaded.
async fn publier_lieux(etat: &Etat) {
    let date = NaiveDate::from_ymd_opt(2025, 1, 2).expect("date");
    let lieux = [
        Lieu::minimal(
            "lieu-cognac",
            "Médiathèque de Cognac",
            "Cognac",
            "16100",
            "10 place Jean Monnet",
            date,
        ),
        Lieu::minimal(
            "lieu-gare",
            "Espace numérique de la Gare",
            "Angoulême",
            "16000",
            "1 avenue de la Gare",
            date,
        ),
    ];
    publier_registre(etat, lieux.into()).await;
}

async fn post_inter_sites(app: &Router, uri: &str, corps: &str, cookie: &str) -> Reponse {
    post(
        app,
        uri,
        corps,
        &[("cookie", cookie), ("sec-fetch-site", "cross-site")],
    )
    .await
}

async fn acteur_structures(etat: &Etat, id: &str) -> Vec<String> {
    etat.store()
        .acteur(id)
        .await
        .expect("read")
        .expect("actor")
        .structures_mediateur
}

async fn suite(store: Store) {
    let (app, etat) = app(store).await;
    publier_lieux(&etat).await;
    assert_eq!(
        etat.referentiel()
            .commune("16102")
            .map(|c| c.nom.to_string()),
        Some("Cognac".to_string())
    );
    let (med, c_med) = compte(&app, &etat, "med@exemple.fr", &[Attribution::mediateur()]).await;
    let (med2, c_med2) = compte(&app, &etat, "med2@exemple.fr", &[Attribution::mediateur()]).await;
    let (_, c_gest) = compte(
        &app,
        &etat,
        "gest@exemple.fr",
        &[Attribution::gestionnaire_structure(S1)],
    )
    .await;
    let (_, c_gest2) = compte(
        &app,
        &etat,
        "gest2@exemple.fr",
        &[Attribution::gestionnaire_structure(S2)],
    )
    .await;
    let (_, c_admin) = compte(
        &app,
        &etat,
        "admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let (_, c_terr) = compte(
        &app,
        &etat,
        "terr@exemple.fr",
        &[Attribution::gestionnaire_departement("16")],
    )
    .await;
    let (_, c_coord) = compte(
        &app,
        &etat,
        "coord@exemple.fr",
        &[Attribution::coordinateur(Vec::<LienEquipe>::new())],
    )
    .await;

    sans_session(&app).await;
    mediateur_declare_son_employeur(&app, &etat, &med, &c_med, &med2, &c_med2).await;
    lieux_d_activite_du_mediateur(&app, &etat, &med, &c_med).await;
    gestionnaire_de_structure(&app, &etat, &med, &c_gest, &c_gest2).await;
    mediateur_et_autrui(&app, &etat, &med, &c_med, &med2, &c_med2).await;
    autres_roles_refuses(&app, &c_terr, &c_coord, &c_med).await;
    administrateur(&app, &c_admin).await;
    envois_inter_sites(&app, &etat, &med2, &c_med2).await;
}

async fn sans_session(app: &Router) {
    let r = get(app, "/espace/structures").await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert!(
        r.entete("location")
            .starts_with("/compte/connexion?suite=%2Fespace%2Fstructures"),
        "{}",
        r.entete("location")
    );
    let r = get(app, &format!("/espace/structures/{S1}")).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    for uri in [
        "/espace/structures/employeur",
        "/espace/structures/employeur/terminer",
        "/espace/structures/lieux/ajouter",
        "/espace/structures/lieux/retirer",
    ] {
        let r = post(app, uri, "siret=13002603200016&lieu=lieu-cognac", &[]).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{uri}");
        assert!(
            r.entete("location").starts_with("/compte/connexion"),
            "{uri}"
        );
    }
}

async fn mediateur_declare_son_employeur(
    app: &Router,
    etat: &Etat,
    med: &str,
    c_med: &str,
    med2: &str,
    c_med2: &str,
) {
    let r = get_avec_cookie(app, "/espace/structures", c_med).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte();
    assert!(html.contains("Mon employeur"));
    assert!(html.contains("Vous n'avez déclaré aucun employeur actuel."));
    assert!(html.contains("Mes lieux d'activité"));
    assert!(!html.contains("Toutes les structures"));
    assert_eq!(r.entete("cache-control"), "no-store");
    // The workspace home links here for mediators.
    let accueil = get_avec_cookie(app, "/espace", c_med).await.texte();
    assert!(accueil.contains("href=\"/espace/structures\""));

    // A SIRET with a wrong key: 400, the message names the field, values kept.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur",
        &formulaire(&[
            ("siret", "130 026 032 00017"),
            ("nom", "Médiathèque de Cognac"),
            ("commune", "16102"),
        ]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = r.texte();
    assert!(
        html.contains("SIRET : ce numéro n&#39;existe pas")
            || html.contains("SIRET : ce numéro n'existe pas"),
        "{html}"
    );
    assert!(html.contains("value=\"130 026 032 00017\""));
    assert!(html.contains("value=\"Médiathèque de Cognac\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("<title>Erreur : "));

    // Unknown structure: name and a known commune are required; no future start.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur",
        &formulaire(&[
            ("siret", S1_ESPACE),
            ("commune", "99999"),
            ("debut", "2025-03-12"),
        ]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = r.texte();
    assert!(html.contains("Nom de la structure : indiquez-le"), "{html}");
    assert!(html.contains("Commune : « 99999 »"), "{html}");
    assert!(html.contains("Date de début : la date ne peut pas être dans le futur"));
    assert!(etat.store().structure(S1).await.expect("read").is_none());
    assert!(acteur_structures(etat, med).await.is_empty());

    // A valid declaration creates the structure and the employment.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur",
        &formulaire(&[
            ("siret", S1_ESPACE),
            ("nom", "Médiathèque de Cognac"),
            ("commune", "16102"),
            ("adresse", "10 place Jean Monnet"),
            ("debut", "06/01/2025"),
        ]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(r.entete("location"), "/espace/structures?fait=employeur");
    assert_eq!(acteur_structures(etat, med).await, [S1]);
    assert_eq!(
        employeur_actuel(etat, med).await.expect("employer"),
        Some(S1.to_string())
    );
    let html = get_avec_cookie(app, "/espace/structures?fait=employeur", c_med)
        .await
        .texte();
    assert!(html.contains("Votre employeur est enregistré."));
    assert!(html.contains("Médiathèque de Cognac"));
    assert!(html.contains("SIRET 130 026 032 00016"));
    assert!(html.contains("Cognac (16102)"));
    assert!(html.contains("depuis le 06/01/2025"));

    // Twice: refused on the SIRET field.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur",
        &formulaire(&[("siret", S1)]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("SIRET : vous êtes déjà déclaré"));

    // A known structure needs only its SIRET; it keeps its name.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur",
        &formulaire(&[("siret", S1), ("nom", "Autre nom")]),
        c_med2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(acteur_structures(etat, med2).await, [S1]);
    let s = etat
        .store()
        .structure(S1)
        .await
        .expect("read")
        .expect("known");
    assert_eq!(s.nom, "Médiathèque de Cognac");
    assert_eq!(s.adresse.as_deref(), Some("10 place Jean Monnet"));
}

async fn ajouter(app: &Router, cookie: &str, lieu: &str) -> Reponse {
    post_avec_cookie(
        app,
        "/espace/structures/lieux/ajouter",
        &formulaire(&[("lieu", lieu)]),
        cookie,
    )
    .await
}

async fn lieux_d_activite_du_mediateur(app: &Router, etat: &Etat, med: &str, c_med: &str) {
    // Search by commune: the registry's places, with an "add" button.
    let r = get_avec_cookie(app, "/espace/structures?lieux=Cognac", c_med).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte();
    assert!(html.contains("1 lieu trouvé pour « Cognac »"), "{html}");
    assert!(html.contains("name=\"lieu\" value=\"lieu-cognac\""));
    assert!(!html.contains("value=\"lieu-gare\""));

    // An id not in the registry is refused.
    let r = post_avec_cookie(
        app,
        "/espace/structures/lieux/ajouter",
        &formulaire(&[("lieu", "lieu-inconnu")]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(
        r.texte()
            .contains("Lieu d&#39;activité : ce lieu n&#39;existe pas")
            || r.texte().contains("Lieu d'activité : ce lieu n'existe pas")
    );
    assert!(lieux_d_activite(etat, med)
        .await
        .expect("places")
        .is_empty());

    let r = ajouter(app, c_med, "lieu-cognac").await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(r.entete("location"), "/espace/structures?fait=lieu_ajoute");
    assert_eq!(
        lieux_d_activite(etat, med).await.expect("places"),
        [(
            "lieu-cognac".to_string(),
            "Médiathèque de Cognac".to_string()
        )]
    );
    let html = get_avec_cookie(app, "/espace/structures?lieux=Cognac", c_med)
        .await
        .texte();
    assert!(html.contains("10 place Jean Monnet, 16100 Cognac"));
    assert!(html.contains("Déjà dans vos lieux"));
    let r = ajouter(app, c_med, "lieu-cognac").await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("fait déjà partie de vos lieux d"));

    // Removed, removed again (refused), added back the same day.
    let retirer = post_avec_cookie(
        app,
        "/espace/structures/lieux/retirer",
        "lieu=lieu-cognac",
        c_med,
    )
    .await;
    assert_eq!(retirer.statut, StatusCode::SEE_OTHER);
    assert!(lieux_d_activite(etat, med)
        .await
        .expect("places")
        .is_empty());
    let encore = post_avec_cookie(
        app,
        "/espace/structures/lieux/retirer",
        "lieu=lieu-cognac",
        c_med,
    )
    .await;
    assert_eq!(encore.statut, StatusCode::BAD_REQUEST);
    assert!(encore.texte().contains("ne fait pas partie de vos lieux"));
    assert_eq!(
        ajouter(app, c_med, "lieu-cognac").await.statut,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ajouter(app, c_med, "lieu-gare").await.statut,
        StatusCode::SEE_OTHER
    );
    assert_eq!(lieux_d_activite(etat, med).await.expect("places").len(), 2);
    let journal = etat.store().journal(100, None).await.expect("journal");
    assert_eq!(
        journal
            .iter()
            .filter(
                |e| e.action == "changement_lieu_activite" && e.acteur_id.as_deref() == Some(med)
            )
            .count(),
        4
    );
}

async fn gestionnaire_de_structure(
    app: &Router,
    etat: &Etat,
    med: &str,
    c_gest: &str,
    c_gest2: &str,
) {
    let r = get_avec_cookie(app, "/espace/structures", c_gest).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte();
    assert!(html.contains("Ma structure : Médiathèque de Cognac"));
    assert!(html.contains("med@exemple.fr"));
    assert!(html.contains("med2@exemple.fr"));
    assert!(html.contains("Espace numérique de la Gare"), "places shown");
    assert!(!html.contains("Mon employeur"), "not a mediator");
    assert!(!html.contains("Toutes les structures"));
    assert_eq!(
        get_avec_cookie(app, &format!("/espace/structures/{S1}"), c_gest)
            .await
            .statut,
        StatusCode::OK
    );
    // Another structure's page, and another manager on this one.
    assert_eq!(
        get_avec_cookie(app, &format!("/espace/structures/{S2}"), c_gest)
            .await
            .statut,
        StatusCode::FORBIDDEN
    );
    let r = get_avec_cookie(app, &format!("/espace/structures/{S1}"), c_gest2).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r
        .texte()
        .contains("Cette structure ne relève pas de vos attributions."));
    let r = get_avec_cookie(app, "/espace/structures", c_gest2).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(!r.texte().contains("med@exemple.fr"));
    assert_eq!(
        get_avec_cookie(app, "/espace/structures/123", c_gest)
            .await
            .statut,
        StatusCode::NOT_FOUND
    );

    // The other manager cannot end this structure's employment, either by
    // naming it or by naming their own structure.
    let fin_s1 = formulaire(&[("siret", S1), ("utilisateur", med)]);
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &fin_s1,
        c_gest2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let fin_s2 = formulaire(&[("siret", S2), ("utilisateur", med)]);
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &fin_s2,
        c_gest2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Emploi : aucun emploi en cours"));
    assert_eq!(acteur_structures(etat, med).await, [S1]);

    // This structure's manager ends it, with a date in the future refused.
    let futur = formulaire(&[("siret", S1), ("utilisateur", med), ("fin", "2026-01-01")]);
    let r = post_avec_cookie(app, "/espace/structures/employeur/terminer", &futur, c_gest).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r
        .texte()
        .contains("Date de fin : la date ne peut pas être dans le futur"));
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &fin_s1,
        c_gest,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(
        r.entete("location"),
        format!("/espace/structures/{S1}?fait=fin_emploi")
    );
    assert!(acteur_structures(etat, med).await.is_empty());
    let html = get_avec_cookie(app, &format!("/espace/structures/{S1}"), c_gest)
        .await
        .texte();
    assert!(html.contains("Anciens médiateurs"));
    // Employed from 06/01 and left today (11/03): the last day was 10/03.
    assert!(html.contains("du 06/01/2025 au 10/03/2025"), "{html}");
    let journal = etat.store().journal(100, None).await.expect("journal");
    let fin = journal
        .iter()
        .find(|e| e.action == "changement_emploi" && e.details.get("fin").is_some())
        .expect("journaled");
    assert_eq!(fin.cible.as_deref(), Some(med));
    assert_ne!(fin.acteur_id.as_deref(), Some(med), "by the manager");
}

async fn mediateur_et_autrui(
    app: &Router,
    etat: &Etat,
    med: &str,
    c_med: &str,
    med2: &str,
    c_med2: &str,
) {
    // The employment ended by the manager is a former one for the mediator.
    let html = get_avec_cookie(app, "/espace/structures", c_med)
        .await
        .texte();
    assert!(html.contains("Vous n'avez déclaré aucun employeur actuel."));
    assert!(html.contains("Anciens employeurs"));
    assert!(acteur_structures(etat, med).await.is_empty());
    // A mediator cannot end someone else's employment.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &formulaire(&[("siret", S1), ("utilisateur", med2)]),
        c_med,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.texte().contains("votre propre employeur"));
    assert_eq!(acteur_structures(etat, med2).await, [S1]);
    // Nor see a structure's page.
    assert_eq!(
        get_avec_cookie(app, &format!("/espace/structures/{S1}"), c_med)
            .await
            .statut,
        StatusCode::FORBIDDEN
    );
    // Their own: an end before the start is refused, today works.
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &formulaire(&[("siret", S1), ("fin", "2025-03-01")]),
        c_med2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Date de fin : elle précède le début"));
    let r = post_avec_cookie(
        app,
        "/espace/structures/employeur/terminer",
        &formulaire(&[("siret", S1)]),
        c_med2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/espace/structures?fait=fin_emploi");
    assert!(acteur_structures(etat, med2).await.is_empty());
    assert_eq!(employeur_actuel(etat, med2).await.expect("employer"), None);
}

async fn autres_roles_refuses(app: &Router, c_terr: &str, c_coord: &str, c_med: &str) {
    for cookie in [c_terr, c_coord] {
        let r = get_avec_cookie(app, "/espace/structures", cookie).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN);
        assert!(r.texte().contains("concernent les médiateurs"));
        assert_eq!(
            get_avec_cookie(app, &format!("/espace/structures/{S1}"), cookie)
                .await
                .statut,
            StatusCode::FORBIDDEN
        );
        for (uri, corps) in [
            ("/espace/structures/employeur", format!("siret={S1}")),
            (
                "/espace/structures/employeur/terminer",
                format!("siret={S1}"),
            ),
            (
                "/espace/structures/lieux/ajouter",
                "lieu=lieu-gare".to_string(),
            ),
            (
                "/espace/structures/lieux/retirer",
                "lieu=lieu-gare".to_string(),
            ),
        ] {
            let r = post_avec_cookie(app, uri, &corps, cookie).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{uri}");
        }
        // Even with a malformed form.
        let r = post_avec_cookie(
            app,
            "/espace/structures/employeur/terminer",
            "siret=x",
            cookie,
        )
        .await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN);
    }
    // A mediator gets no structure search.
    let html = get_avec_cookie(app, "/espace/structures?q=cognac", c_med)
        .await
        .texte();
    assert!(!html.contains("Toutes les structures"));
}

async fn administrateur(app: &Router, c_admin: &str) {
    let r = get_avec_cookie(app, "/espace/structures?q=COGNAC", c_admin).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte();
    assert!(html.contains("Toutes les structures"));
    assert!(html.contains(&format!("href=\"/espace/structures/{S1}\"")));
    assert!(!html.contains("Mon employeur"));
    let html = get_avec_cookie(app, "/espace/structures?q=inexistante", c_admin)
        .await
        .texte();
    assert!(html.contains("Aucune structure pour « inexistante »"));
    let r = get_avec_cookie(app, &format!("/espace/structures/{S1}"), c_admin).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("<h1>Médiathèque de Cognac</h1>"));
}

async fn envois_inter_sites(app: &Router, etat: &Etat, med2: &str, c_med2: &str) {
    let r = post_inter_sites(
        app,
        "/espace/structures/employeur",
        &formulaire(&[("siret", S1)]),
        c_med2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.texte().contains("depuis un autre site"));
    assert!(acteur_structures(etat, med2).await.is_empty());
    let r = post_inter_sites(
        app,
        "/espace/structures/lieux/ajouter",
        "lieu=lieu-gare",
        c_med2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(lieux_d_activite(etat, med2)
        .await
        .expect("places")
        .is_empty());
    for uri in [
        "/espace/structures/employeur/terminer",
        "/espace/structures/lieux/retirer",
    ] {
        let r = post_inter_sites(app, uri, "siret=13002603200016&lieu=lieu-gare", c_med2).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structures_sur_sqlite() {
    sur_sqlite(suite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structures_sur_postgres() {
    sur_postgres(suite).await;
}
