//! `/espace/beneficiaires` in process, on SQLite and PostgreSQL: creation
//! with and without consent, search, owner isolation, refusals for every
//! other role, sign-in redirect, cross-site refusal, import errors, CSV and
//! XLSX exports, duplicates and merge, deletion, retention.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test espace_beneficiaires`

mod harnais;
use harnais::*;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{Duration, Utc};
use maillage_comptes::Attribution;
use maillage_store::Store;
use maillage_web::espace::beneficiaires::appliquer_retention;
use maillage_web::Etat;

sur_les_deux_bases!(
    creation,
    acces,
    fichiers,
    doublons_et_suppression,
    retention
);

const BORNE: &str = "----limite-maillage-test";

/// POST a file as `multipart/form-data`, field `fichier`.
async fn envoyer_fichier(
    app: &Router,
    cookie: &str,
    nom: &str,
    octets: &[u8],
    site: &str,
) -> Reponse {
    let mut corps = Vec::new();
    corps.extend(format!("--{BORNE}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{nom}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    corps.extend(octets);
    corps.extend(format!("\r\n--{BORNE}--\r\n").as_bytes());
    envoyer(
        app,
        Request::post("/espace/beneficiaires/import")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BORNE}"),
            )
            .header(header::COOKIE, cookie)
            .header("sec-fetch-site", site)
            .body(Body::from(corps))
            .expect("request"),
    )
    .await
}

async fn creer(app: &Router, cookie: &str, champs: &[(&str, &str)]) -> Reponse {
    post_avec_cookie(
        app,
        "/espace/beneficiaires/nouveau",
        &formulaire(champs),
        cookie,
    )
    .await
}

/// Creates a followed beneficiary; returns its id.
async fn creer_suivi(app: &Router, cookie: &str, prenom: &str, nom: &str, annee: &str) -> String {
    let r = creer(
        app,
        cookie,
        &[
            ("consentement", "oui"),
            ("prenom", prenom),
            ("nom", nom),
            ("annee_naissance", annee),
            ("commune", "33063"),
            ("telephone", "06 12 34 56 78"),
        ],
    )
    .await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    let lieu = r.entete("location");
    lieu.strip_prefix("/espace/beneficiaires/")
        .expect("detail page")
        .to_string()
}

async fn mediateur(app: &Router, etat: &Etat, email: &str) -> (String, String) {
    compte(app, etat, email, &[Attribution::mediateur()]).await
}

async fn creation(store: Store) {
    let (app, etat) = app(store).await;
    let (_, cookie) = mediateur(&app, &etat, "m1@exemple.fr").await;
    let r = get_avec_cookie(&app, "/espace/beneficiaires/nouveau", &cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte().replace("&#39;", "'");
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("<legend>Consentement de la personne</legend>"));
    assert!(html.contains(r#"<label for="consentement">"#));
    assert_eq!(r.entete("cache-control"), "no-store");

    // With consent: identity stored, detail page links to a new record.
    let id = creer_suivi(&app, &cookie, "Jeanne", "Dupont", "1950").await;
    let r = get_avec_cookie(&app, &format!("/espace/beneficiaires/{id}"), &cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte().replace("&#39;", "'");
    assert!(html.contains("<h1>Jeanne Dupont</h1>"), "{html}");
    assert!(html.contains("06 12 34 56 78"));
    assert!(html.contains("Bordeaux"));
    assert!(html.contains("70 ans et plus"));
    assert!(html.contains("Consentement au suivi"));
    assert!(html.contains(&format!(
        "/espace/activites/nouvelle?type=individuel&amp;beneficiaire={id}"
    )));
    assert!(html.contains("Enregistrer un accompagnement"));

    // Without consent, identity is refused with a message naming the field.
    let r = creer(&app, &cookie, &[("prenom", "Paul"), ("nom", "Martin")]).await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.texte().replace("&#39;", "'");
    assert!(
        html.contains(r##"<a href="#prenom">Prénom : la personne n'a pas donné son accord"##),
        "{html}"
    );
    assert!(html.contains(r#"aria-invalid="true""#));
    assert!(
        html.contains(r#"value="Paul""#),
        "the form keeps what was typed"
    );
    // Consent without a name.
    let r = creer(
        &app,
        &cookie,
        &[("consentement", "oui"), ("prenom", "Paul")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains("Nom : obligatoire pour un bénéficiaire suivi"));
    // An unknown commune.
    let r = creer(&app, &cookie, &[("commune", "99999")]).await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains("aucune commune n'a le code Insee"));

    // Anonymous: demographics only.
    let r = creer(
        &app,
        &cookie,
        &[
            ("genre", "Masculin"),
            ("annee_naissance", "2000"),
            ("commune", "33063"),
        ],
    )
    .await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    let anonyme = r.entete("location");
    let html = get_avec_cookie(&app, &anonyme, &cookie)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("Bénéficiaire anonyme"));
    assert!(html.contains("25 - 39 ans"));
    assert!(
        !html.contains("2000"),
        "the birth year is not kept without consent"
    );

    let page = etat
        .store()
        .beneficiaires_actifs(
            &etat
                .store()
                .utilisateur_par_email("m1@exemple.fr")
                .await
                .expect("u")
                .expect("u")
                .id,
        )
        .await
        .expect("liste");
    assert_eq!(page.len(), 2);

    // Edit: becomes followed.
    let id_anonyme = anonyme.rsplit('/').next().expect("id").to_string();
    let r = post_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{id_anonyme}/modifier"),
        &formulaire(&[
            ("consentement", "oui"),
            ("prenom", "Luc"),
            ("nom", "Petit"),
            ("genre", "Masculin"),
        ]),
        &cookie,
    )
    .await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    let f = etat
        .store()
        .beneficiaire(&id_anonyme)
        .await
        .expect("l")
        .expect("f");
    assert_eq!(f.beneficiaire.nom.as_deref(), Some("Petit"));
    assert_eq!(f.consentement_le, Some(etat.maintenant()));
    let r = get_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{id_anonyme}/modifier"),
        &cookie,
    )
    .await;
    assert!(r.texte().replace("&#39;", "'").contains(r#"value="Petit""#));

    // Unknown id.
    let r = get_avec_cookie(&app, "/espace/beneficiaires/inconnu", &cookie).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
}

async fn acces(store: Store) {
    let (app, etat) = app(store).await;
    let (m1, c1) = mediateur(&app, &etat, "m1@exemple.fr").await;
    let (_, c2) = mediateur(&app, &etat, "m2@exemple.fr").await;
    let dupont = creer_suivi(&app, &c1, "Jeanne", "Dupont", "1950").await;
    let _martin = creer_suivi(&app, &c1, "Paul", "Martin", "1980").await;
    let zoe = creer_suivi(&app, &c2, "Zoé", "Durand", "1990").await;

    // Search within the owner's beneficiaries only.
    let html = get_avec_cookie(&app, "/espace/beneficiaires?q=du", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("Dupont Jeanne"), "{html}");
    assert!(!html.contains("Martin"));
    assert!(!html.contains("Durand"), "another mediator's beneficiary");
    let html = get_avec_cookie(&app, "/espace/beneficiaires", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("Dupont Jeanne") && html.contains("Martin Paul"));
    assert!(html.contains("<caption>Bénéficiaires (2)"));
    assert!(!html.contains("Durand"));
    let html = get_avec_cookie(&app, "/espace/beneficiaires?q=PAUL", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("Martin Paul") && !html.contains("Dupont"));

    // Another mediator: refused on everything of m1's.
    for chemin in ["", "/modifier", "/supprimer"] {
        let r = get_avec_cookie(
            &app,
            &format!("/espace/beneficiaires/{dupont}{chemin}"),
            &c2,
        )
        .await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "GET {chemin}");
        assert!(r
            .texte()
            .replace("&#39;", "'")
            .contains("accessibles qu'au médiateur"));
    }
    let r = post_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{dupont}/modifier"),
        &formulaire(&[("genre", "Masculin")]),
        &c2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{dupont}/supprimer"),
        "",
        &c2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post_avec_cookie(
        &app,
        "/espace/beneficiaires/doublons",
        &formulaire(&[("a", &dupont), ("b", &zoe), ("garder", &zoe)]),
        &c2,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let f = etat
        .store()
        .beneficiaire(&dupont)
        .await
        .expect("l")
        .expect("f");
    assert!(f.est_active());
    assert_eq!(f.beneficiaire.genre, None);
    // m2's export holds only m2's beneficiaries.
    let csv = get_avec_cookie(&app, "/espace/beneficiaires/export.csv", &c2)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(csv.contains("Durand") && !csv.contains("Dupont"));

    // Other roles: refused everywhere, even on their own (empty) lists.
    let roles = [
        ("coord@exemple.fr", Attribution::coordinateur(Vec::new())),
        (
            "struct@exemple.fr",
            Attribution::gestionnaire_structure("S1"),
        ),
        (
            "dep@exemple.fr",
            Attribution::gestionnaire_departement("33"),
        ),
        ("reg@exemple.fr", Attribution::gestionnaire_region("75")),
        ("admin@exemple.fr", Attribution::administrateur()),
    ];
    for (email, attribution) in roles {
        let (id, c) = compte(&app, &etat, email, &[attribution]).await;
        if email.starts_with("coord") {
            // m1 is in this coordinator's team: still no access.
            etat.store()
                .lier_equipe(
                    &id,
                    &m1,
                    chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
                )
                .await
                .expect("équipe");
        }
        for chemin in [
            "/espace/beneficiaires".to_string(),
            "/espace/beneficiaires/nouveau".to_string(),
            "/espace/beneficiaires/doublons".to_string(),
            "/espace/beneficiaires/import".to_string(),
            "/espace/beneficiaires/export.csv".to_string(),
            "/espace/beneficiaires/export.xlsx".to_string(),
            format!("/espace/beneficiaires/{dupont}"),
            format!("/espace/beneficiaires/{dupont}/modifier"),
            format!("/espace/beneficiaires/{dupont}/supprimer"),
        ] {
            let r = get_avec_cookie(&app, &chemin, &c).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{email} GET {chemin}");
        }
        let r = creer(&app, &c, &[("genre", "Masculin")]).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{email} POST nouveau");
        let r = post_avec_cookie(
            &app,
            &format!("/espace/beneficiaires/{dupont}/supprimer"),
            "",
            &c,
        )
        .await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{email} POST supprimer");
        let r = envoyer_fichier(&app, &c, "a.csv", b"Genre\nMasculin\n", "same-origin").await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{email} POST import");
    }
    // A signed-in user without any role.
    let (_, sans_role) = compte(&app, &etat, "rien@exemple.fr", &[]).await;
    let r = get_avec_cookie(&app, "/espace/beneficiaires", &sans_role).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);

    // No session: sign in first, then come back.
    let r = get(&app, &format!("/espace/beneficiaires/{dupont}")).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(
        r.entete("location"),
        format!("/compte/connexion?suite=%2Fespace%2Fbeneficiaires%2F{dupont}")
    );
    for chemin in ["/espace/beneficiaires", "/espace/beneficiaires/export.csv"] {
        let r = get(&app, chemin).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{chemin}");
        assert!(r.entete("location").starts_with("/compte/connexion"));
    }
    let r = post(&app, "/espace/beneficiaires/nouveau", "genre=Masculin", &[]).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);

    // Cross-site POSTs are refused and change nothing.
    let intersite = |uri: String, corps: String| {
        let app = app.clone();
        let c1 = c1.clone();
        async move {
            post(
                &app,
                &uri,
                &corps,
                &[("cookie", c1.as_str()), ("sec-fetch-site", "cross-site")],
            )
            .await
        }
    };
    let r = intersite(
        "/espace/beneficiaires/nouveau".into(),
        "genre=Masculin".into(),
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = intersite(
        format!("/espace/beneficiaires/{dupont}/supprimer"),
        String::new(),
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = intersite(
        format!("/espace/beneficiaires/{dupont}/modifier"),
        "genre=Masculin".into(),
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = intersite(
        "/espace/beneficiaires/doublons".into(),
        formulaire(&[("a", &dupont), ("b", &dupont), ("garder", &dupont)]),
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = envoyer_fichier(&app, &c1, "a.csv", b"Genre\nMasculin\n", "cross-site").await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert_eq!(
        etat.store()
            .beneficiaires_actifs(&m1)
            .await
            .expect("l")
            .len(),
        2
    );
    assert!(etat
        .store()
        .beneficiaire(&dupont)
        .await
        .expect("l")
        .expect("f")
        .est_active());
}

async fn fichiers(store: Store) {
    let (app, etat) = app(store).await;
    let (m1, c1) = mediateur(&app, &etat, "m1@exemple.fr").await;
    let r = get_avec_cookie(&app, "/espace/beneficiaires/import", &c1).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains(r#"enctype="multipart/form-data""#));

    // Errors: listed by line and column, nothing stored.
    let mauvais = "Prénom;Nom;Téléphone;Consentement;Genre\n\
                   Jeanne;Dupont;0612345678;oui;Féminin\n\
                   Paul;Martin;12;oui;\n\
                   ;;;;Extraterrestre\n";
    let r = envoyer_fichier(&app, &c1, "liste.csv", mauvais.as_bytes(), "same-origin").await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.texte().replace("&#39;", "'");
    assert!(html.contains("Rien n'a été importé"), "{html}");
    assert!(
        html.contains("<caption>Erreurs du fichier (2)</caption>"),
        "{html}"
    );
    assert!(
        html.contains("<td>liste.csv</td><td>3</td><td>Téléphone</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>liste.csv</td><td>4</td><td>Genre</td>"),
        "{html}"
    );
    assert!(etat
        .store()
        .beneficiaires_actifs(&m1)
        .await
        .expect("l")
        .is_empty());
    // No file at all.
    let r = envoyer_fichier(&app, &c1, "vide.csv", b"", "same-origin").await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains("Fichier : choisissez un fichier"));

    // A good file.
    let bon = "Prénom;Nom;Téléphone;Consentement;Genre;Code Insee\n\
               Jeanne;Dupont;0612345678;oui;Féminin;33063\n\
               ;;;;Masculin;\n";
    let r = envoyer_fichier(&app, &c1, "liste.csv", bon.as_bytes(), "same-origin").await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    assert_eq!(r.entete("location"), "/espace/beneficiaires?importes=2");
    let html = get_avec_cookie(&app, "/espace/beneficiaires?importes=2", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("2 bénéficiaire(s) importé(s)."));

    // CSV export.
    let r = get_avec_cookie(&app, "/espace/beneficiaires/export.csv", &c1).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(r.entete("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        r.entete("content-disposition"),
        "attachment; filename=\"beneficiaires-2025-03-11.csv\""
    );
    assert_eq!(r.entete("cache-control"), "no-store");
    let csv = r.texte().replace("&#39;", "'");
    let mut lignes = csv.lines();
    assert!(lignes
        .next()
        .expect("en-tête")
        .starts_with("\u{feff}ID;Prénom;Nom;Année de naissance;Tranche d'âge;Genre;"));
    let dupont = lignes.next().expect("ligne");
    assert!(dupont.contains(";Jeanne;Dupont;;;Féminin;;0612345678;;Bordeaux;33063;;11/03/2025;;11/03/2025;11/03/2025"), "{dupont}");
    assert!(lignes.next().expect("anonyme").contains(";;;;;Masculin;"));
    assert_eq!(lignes.next(), None);

    // XLSX export: read back with the importer.
    let r = get_avec_cookie(&app, "/espace/beneficiaires/export.xlsx", &c1).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(
        r.entete("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let relus =
        maillage_beneficiaires::importer("export.xlsx", &r.corps, 2025).expect("xlsx lisible");
    assert_eq!(relus.len(), 2);
    assert_eq!(relus[0].nom.as_deref(), Some("Dupont"));
    assert_eq!(relus[0].telephone.as_deref(), Some("0612345678"));
    assert!(!relus[1].est_suivi());
    // An exported XLSX imports as is (here into the same account: two more).
    let r = envoyer_fichier(&app, &c1, "export.xlsx", &r.corps.clone(), "same-origin").await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    assert_eq!(
        etat.store()
            .beneficiaires_actifs(&m1)
            .await
            .expect("l")
            .len(),
        4
    );

    // Journaled: import and both exports, without personal data.
    let journal = etat.store().journal(100, None).await.expect("journal");
    let exports = journal.iter().filter(|e| e.action == "export").count();
    assert_eq!(exports, 2);
    let imports = journal
        .iter()
        .filter(|e| e.action == "import_beneficiaires")
        .count();
    assert_eq!(imports, 2);
    assert!(journal
        .iter()
        .all(|e| !e.details.to_string().contains("Dupont")));
}

async fn doublons_et_suppression(store: Store) {
    let (app, etat) = app(store).await;
    let (m1, c1) = mediateur(&app, &etat, "m1@exemple.fr").await;
    let a = creer_suivi(&app, &c1, "Jeanne", "Dupont", "1950").await;
    let b = creer_suivi(&app, &c1, "Jeanne", "Dupond", "1950").await;
    let autre = creer_suivi(&app, &c1, "Paul", "Martin", "1980").await;

    let r = get_avec_cookie(&app, "/espace/beneficiaires/doublons", &c1).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = r.texte().replace("&#39;", "'");
    // Created at the same instant: either may come first.
    assert!(
        html.contains("Paire 1 : Jeanne Dupont et Jeanne Dupond")
            || html.contains("Paire 1 : Jeanne Dupond et Jeanne Dupont"),
        "{html}"
    );
    assert!(!html.contains("Paire 2"));
    assert!(html.contains("<legend>Fiche à conserver</legend>"));

    // A pair with an id that is not in it is refused.
    let r = post_avec_cookie(
        &app,
        "/espace/beneficiaires/doublons",
        &formulaire(&[("a", &a), ("b", &b), ("garder", &autre)]),
        &c1,
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains("Fiche à conserver"));

    let r = post_avec_cookie(
        &app,
        "/espace/beneficiaires/doublons",
        &formulaire(&[("a", &a), ("b", &b), ("garder", &b)]),
        &c1,
    )
    .await;
    assert_eq!(
        r.statut,
        StatusCode::SEE_OTHER,
        "{}",
        r.texte().replace("&#39;", "'")
    );
    assert_eq!(
        r.entete("location"),
        format!("/espace/beneficiaires/{b}?fusion=0")
    );
    let r = get_avec_cookie(&app, &format!("/espace/beneficiaires/{a}"), &c1).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    let fa = etat.store().beneficiaire(&a).await.expect("l").expect("f");
    assert_eq!(fa.fusionne_vers.as_deref(), Some(b.as_str()));
    let html = get_avec_cookie(&app, "/espace/beneficiaires/doublons", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(html.contains("Aucun doublon détecté."));

    // Deletion: confirmation, then anonymisation.
    let r = get_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{autre}/supprimer"),
        &c1,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r
        .texte()
        .replace("&#39;", "'")
        .contains("Supprimer « Paul Martin » ?"));
    let r = post_avec_cookie(
        &app,
        &format!("/espace/beneficiaires/{autre}/supprimer"),
        "",
        &c1,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/espace/beneficiaires?supprime=1");
    let f = etat
        .store()
        .beneficiaire(&autre)
        .await
        .expect("l")
        .expect("gardé");
    assert!(!f.beneficiaire.a_des_donnees_personnelles());
    assert!(f.beneficiaire.tranche_age.is_some(), "demographics stay");
    let html = get_avec_cookie(&app, "/espace/beneficiaires?supprime=1", &c1)
        .await
        .texte()
        .replace("&#39;", "'");
    assert!(!html.contains("Martin"));
    assert!(html.contains("a été supprimé"));
    let r = get_avec_cookie(&app, &format!("/espace/beneficiaires/{autre}"), &c1).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    let journal = etat.store().journal(50, None).await.expect("journal");
    assert!(journal
        .iter()
        .any(|e| e.action == "anonymisation_beneficiaire"
            && e.cible.as_deref() == Some(autre.as_str())
            && e.acteur_id.as_deref() == Some(m1.as_str())));
    assert!(journal.iter().any(|e| e.action == "fusion_beneficiaires"));
}

async fn retention(store: Store) {
    let (app, etat) = app(store).await;
    let (m1, c1) = mediateur(&app, &etat, "m1@exemple.fr").await;
    let vieux = creer_suivi(&app, &c1, "Jeanne", "Dupont", "1950").await;
    let actif = creer_suivi(&app, &c1, "Paul", "Martin", "1980").await;
    let maintenant = etat.maintenant();
    etat.store()
        .marquer_activite(
            std::slice::from_ref(&actif),
            (maintenant + Duration::days(300)).date_naive(),
        )
        .await
        .expect("marque");
    // 24 months after creation: still kept that day.
    let dans_24_mois = maintenant
        .checked_add_months(chrono::Months::new(24))
        .expect("date");
    assert_eq!(
        appliquer_retention(etat.store(), 24, dans_24_mois)
            .await
            .expect("retention"),
        0
    );
    let n = appliquer_retention(etat.store(), 24, dans_24_mois + Duration::days(1))
        .await
        .expect("retention");
    assert_eq!(n, 1);
    let f = etat
        .store()
        .beneficiaire(&vieux)
        .await
        .expect("l")
        .expect("f");
    assert!(f.anonymise_le.is_some() && !f.beneficiaire.a_des_donnees_personnelles());
    assert!(etat
        .store()
        .beneficiaire(&actif)
        .await
        .expect("l")
        .expect("f")
        .est_active());
    assert_eq!(
        etat.store()
            .beneficiaires_actifs(&m1)
            .await
            .expect("l")
            .len(),
        1
    );
    assert!(appliquer_retention(etat.store(), 0, Utc::now())
        .await
        .is_err());
    assert_eq!(etat.config().retention_beneficiaires_mois, 24);
}
