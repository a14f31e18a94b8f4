//! API tokens, the token-authenticated activity API and the activity-list
//! exports, in process on SQLite and on PostgreSQL.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test espace_api`

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{Duration, NaiveDate};
use maillage_activites::{
    valider, ActiviteSaisie, Autonomie, Beneficiaire, Demographie, DureeSaisie, Genre, Materiel,
    ParticipantsAnonymes, Thematique, TypeActivite, TypeLieu,
};
use maillage_comptes::{Attribution, NouveauJetonApi, PorteeApi};
use maillage_store::{NouvelleActivite, Store};
use maillage_web::Etat;
use serde_json::Value;
use std::collections::HashSet;

mod harnais;
use harnais::*;

sur_les_deux_bases!(
    cycle_de_vie_des_jetons,
    formulaire_de_jeton_refuse,
    api_sans_jeton_valable,
    api_portee_et_roles,
    api_activites_du_mediateur_anonymisees,
    api_pagination_par_curseur,
    api_coordinateur_et_structure,
    exports_csv_et_xlsx,
    exports_refuses,
    openapi_documente,
);

// ---------------------------------------------------------------------------
// Helpers

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn get_api(app: &Router, uri: &str, autorisation: Option<&str>) -> Reponse {
    let mut r = Request::get(uri);
    if let Some(a) = autorisation {
        r = r.header(header::AUTHORIZATION, a);
    }
    envoyer(app, r.body(Body::empty()).expect("request")).await
}

/// A token made through the page; returns the clear token.
async fn creer_jeton_page(app: &Router, cookie: &str, nom: &str, portees: &[&str]) -> String {
    let mut champs = vec![("nom", nom), ("duree", "90")];
    for p in portees {
        champs.push(("portees", p));
    }
    let r = post_avec_cookie(app, "/espace/jetons-api", &formulaire(&champs), cookie).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.entete("cache-control"), "no-store");
    let html = r.texte();
    assert!(html.contains("il ne sera plus jamais affiché"), "{html}");
    let debut = html.find("value=\"mlg_").expect("token shown") + "value=\"".len();
    let fin = html[debut..].find('"').expect("end") + debut;
    html[debut..fin].to_string()
}

/// A token made directly in the store (for expired ones).
async fn creer_jeton_store(
    etat: &Etat,
    utilisateur: &str,
    portees: &[PorteeApi],
    cree_il_y_a_jours: i64,
    duree_jours: i64,
) -> String {
    let quand = etat.maintenant() - Duration::days(cree_il_y_a_jours);
    let (clair, n) = NouveauJetonApi::creer("test", portees, duree_jours, quand).expect("token");
    etat.store()
        .creer_jeton_api(utilisateur, &n)
        .await
        .expect("stored");
    clair
}

fn saisie_individuelle(jour: NaiveDate) -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(45));
    s.type_lieu = Some(TypeLieu::Domicile);
    s.lieu_code_insee = Some("16015".to_string());
    s.materiel = vec![Materiel::Ordinateur, Materiel::Telephone];
    s.thematiques = vec![
        Thematique::Email,
        Thematique::AideAuxDemarchesAdministratives,
        Thematique::Logement,
    ];
    s.notes = Some("NOTE-SECRETE Mme Dupont, 06 12 34 56 78".to_string());
    s.beneficiaire = Some(Beneficiaire::Suivi {
        id: "BENEFICIAIRE-SECRET-42".to_string(),
    });
    s.autonomie = Some(Autonomie::PartiellementAutonome);
    s.oriente_vers_structure = Some(false);
    s.precisions_demarche = Some("PRECISION-SECRETE dossier CAF".to_string());
    s
}

fn saisie_anonyme(jour: NaiveDate) -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(30));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::Bureautique];
    s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
        genre: Some(Genre::Feminin),
        ..Default::default()
    }));
    s
}

fn saisie_atelier(jour: NaiveDate) -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(120));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::SecuriteNumerique];
    s.titre_atelier = Some("Se protéger des arnaques".to_string());
    s.participants = vec!["PARTICIPANT-SECRET-1".to_string()];
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 4,
        genre_non_communique: 4,
        tranche_age_non_communique: 4,
        statut_social_non_communique: 4,
        ..Default::default()
    });
    s
}

async fn enregistrer(
    store: &Store,
    etat: &Etat,
    mediateur: &str,
    structure: Option<&str>,
    s: &ActiviteSaisie,
    decalage_s: i64,
) -> String {
    let activite = valider(s, etat.maintenant().date_naive()).expect("valid record");
    store
        .enregistrer_activite(&NouvelleActivite {
            demographies_suivies: Vec::new(),
            mediateur_id: mediateur.to_string(),
            structure_id: structure.map(str::to_string),
            departement: Some("16".to_string()),
            activite,
            cree_le: etat.maintenant() - Duration::days(30) + Duration::seconds(decalage_s),
        })
        .await
        .expect("record")
}

fn ids(j: &Value) -> Vec<String> {
    j["activites"]
        .as_array()
        .expect("activites")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Tokens through the pages

async fn cycle_de_vie_des_jetons(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, cookie) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let (_, cookie_bob) = compte(&app, &etat, "bob@example.org", &[Attribution::mediateur()]).await;

    // Without a session: to the sign-in page.
    let r = get(&app, "/espace/jetons-api").await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert!(r.entete("location").starts_with("/compte/connexion"));

    let r = get_avec_cookie(&app, "/espace/jetons-api", &cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("Vous n'avez encore créé aucun jeton"));

    let jeton = creer_jeton_page(
        &app,
        &cookie,
        "Outil de suivi Alice",
        &["activites:lecture"],
    )
    .await;
    assert!(jeton.starts_with("mlg_") && jeton.len() == 47, "{jeton}");

    // Listed without the secret, never used yet.
    let liste = get_avec_cookie(&app, "/espace/jetons-api", &cookie)
        .await
        .texte();
    assert!(liste.contains("Outil de suivi Alice"));
    assert!(liste.contains("Lecture des activités (anonymisées)"));
    assert!(liste.contains("Jamais utilisé"));
    assert!(
        liste.contains("09/06/2025"),
        "expiry 90 days later: {liste}"
    );
    assert!(!liste.contains(&jeton) && !liste.contains(&jeton[4..]));
    assert!(liste.contains("<caption id=\"legende-jetons\">") && liste.contains("scope=\"col\""));
    // Bob does not see Alice's token.
    let liste_bob = get_avec_cookie(&app, "/espace/jetons-api", &cookie_bob)
        .await
        .texte();
    assert!(!liste_bob.contains("Outil de suivi Alice"));

    // The token works, and its use is recorded.
    let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let liste = get_avec_cookie(&app, "/espace/jetons-api", &cookie)
        .await
        .texte();
    assert!(!liste.contains("Jamais utilisé"));
    assert!(liste.contains("Actif"));

    let id = etat.store().jetons_api_de(&alice).await.expect("list")[0]
        .id
        .clone();
    let chemin = format!("/espace/jetons-api/{id}/revoquer");

    // Cross-site revocation refused; Bob cannot revoke it either.
    let r = post(
        &app,
        &chemin,
        "",
        &[
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post_avec_cookie(&app, &chemin, "", &cookie_bob).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    assert_eq!(
        avec_jeton(&app, "/api/v1/activites", &jeton).await.statut,
        StatusCode::OK
    );
    // Without a session: sign in first.
    assert_eq!(
        post(&app, &chemin, "", &[("sec-fetch-site", "same-origin")])
            .await
            .statut,
        StatusCode::SEE_OTHER
    );

    // The owner revokes it: the API refuses it from then on.
    let r = post_avec_cookie(&app, &chemin, "", &cookie).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(r.entete("location"), "/espace/jetons-api?revoque=1");
    let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    let liste = get_avec_cookie(&app, "/espace/jetons-api?revoque=1", &cookie)
        .await
        .texte();
    assert!(liste.contains("Le jeton a été révoqué"));
    assert!(liste.contains("Révoqué le 11/03/2025"));
    // Twice: nothing more to revoke.
    assert_eq!(
        post_avec_cookie(&app, &chemin, "", &cookie).await.statut,
        StatusCode::NOT_FOUND
    );

    // Creation and revocation are journaled, without the secret.
    let journal = etat.store().journal(100, None).await.expect("journal");
    let actions: Vec<&str> = journal
        .iter()
        .filter(|e| e.acteur_id.as_deref() == Some(alice.as_str()))
        .map(|e| e.action.as_str())
        .filter(|a| a.contains("jeton_api"))
        .collect();
    assert_eq!(actions, ["revocation_jeton_api", "creation_jeton_api"]);
    assert!(journal
        .iter()
        .all(|e| !e.details.to_string().contains(&jeton[4..])));
}

async fn formulaire_de_jeton_refuse(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, cookie) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let r = post_avec_cookie(
        &app,
        "/espace/jetons-api",
        &formulaire(&[("nom", ""), ("duree", "400"), ("portees", "ecriture")]),
        &cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = r.texte();
    assert!(html.contains("Le jeton n'a pas été créé"), "{html}");
    assert!(html.contains("href=\"#nom\""), "{html}");
    assert!(html.contains("href=\"#portee-0\""));
    assert!(html.contains("href=\"#duree\""));
    assert!(html.contains("Nom du jeton : indiquez"));
    assert!(html.contains("portée d&#39;API inconnue") || html.contains("portée d'API inconnue"));
    assert!(html.contains("Durée de validité : entre 1 et 365 jours"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(!html.contains("mlg_"));
    let r = post_avec_cookie(
        &app,
        "/espace/jetons-api",
        &formulaire(&[("nom", "x"), ("duree", "quatre-vingt-dix")]),
        &cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Portées : cochez au moins une"));
    assert!(
        r.texte().contains("n&#39;est pas un nombre de jours")
            || r.texte().contains("n'est pas un nombre de jours")
    );

    // Cross-site creation refused.
    let r = post(
        &app,
        "/espace/jetons-api",
        &formulaire(&[
            ("nom", "x"),
            ("duree", "30"),
            ("portees", "activites:lecture"),
        ]),
        &[
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.texte().contains("depuis un autre site"));
    assert!(etat
        .store()
        .jetons_api_de(&alice)
        .await
        .expect("list")
        .is_empty());
}

// ---------------------------------------------------------------------------
// API authentication and permissions

async fn api_sans_jeton_valable(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, cookie) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let expire = creer_jeton_store(&etat, &alice, &[PorteeApi::ActivitesLecture], 40, 30).await;
    let valide = creer_jeton_store(&etat, &alice, &[PorteeApi::ActivitesLecture], 0, 30).await;
    let inconnu = "mlg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string();
    for (cas, autorisation, message) in [
        ("absent", None, "manquant"),
        ("vide", Some("Bearer ".to_string()), "mal formé"),
        (
            "n'importe quoi",
            Some("Bearer abc".to_string()),
            "mal formé",
        ),
        ("autre schéma", Some(format!("Basic {valide}")), "mal formé"),
        (
            "inconnu",
            Some(format!("Bearer {inconnu}")),
            "inconnu, expiré ou révoqué",
        ),
        (
            "expiré",
            Some(format!("Bearer {expire}")),
            "inconnu, expiré ou révoqué",
        ),
        // A session cookie is not an API credential.
        ("cookie", None, "manquant"),
    ] {
        let mut req = Request::get("/api/v1/activites");
        if let Some(a) = &autorisation {
            req = req.header(header::AUTHORIZATION, a.as_str());
        }
        if cas == "cookie" {
            req = req.header(header::COOKIE, cookie.as_str());
        }
        let r = envoyer(&app, req.body(Body::empty()).expect("request")).await;
        assert_eq!(r.statut, StatusCode::UNAUTHORIZED, "{cas}: {}", r.texte());
        assert!(r.entete("www-authenticate").starts_with("Bearer"), "{cas}");
        assert!(r.entete("content-type").starts_with("application/json"));
        let e = r.json();
        assert!(
            e["erreur"].as_str().is_some_and(|m| m.contains(message)),
            "{cas}: {e}"
        );
    }
    // The scheme is case-insensitive.
    let r = get_api(&app, "/api/v1/activites", Some(&format!("bearer {valide}"))).await;
    assert_eq!(r.statut, StatusCode::OK);
}

async fn api_portee_et_roles(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let stats = creer_jeton_store(&etat, &alice, &[PorteeApi::StatistiquesLecture], 0, 30).await;
    let r = avec_jeton(&app, "/api/v1/activites", &stats).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.json()["erreur"]
        .as_str()
        .is_some_and(|m| m.contains("activites:lecture")));

    for (email, attribution, message) in [
        (
            "dep@example.org",
            Attribution::gestionnaire_departement("16"),
            "statistiques agrégées",
        ),
        (
            "reg@example.org",
            Attribution::gestionnaire_region("75"),
            "statistiques agrégées",
        ),
        (
            "admin@example.org",
            Attribution::administrateur(),
            "statistiques agrégées",
        ),
    ] {
        let (id, _) = compte(&app, &etat, email, &[attribution]).await;
        let jeton = creer_jeton_store(&etat, &id, &PorteeApi::TOUTES, 0, 30).await;
        let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{email}: {}", r.texte());
        assert!(
            r.json()["erreur"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{email}: {}",
            r.texte()
        );
    }
    // No role at all.
    let (sans, _) = compte(&app, &etat, "sans@example.org", &[]).await;
    let jeton = creer_jeton_store(&etat, &sans, &PorteeApi::TOUTES, 0, 30).await;
    assert_eq!(
        avec_jeton(&app, "/api/v1/activites", &jeton).await.statut,
        StatusCode::FORBIDDEN
    );
}

async fn api_activites_du_mediateur_anonymisees(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let (bob, _) = compte(&app, &etat, "bob@example.org", &[Attribution::mediateur()]).await;
    let a1 = enregistrer(
        &store,
        &etat,
        &alice,
        Some("S1"),
        &saisie_individuelle(date(2025, 1, 15)),
        1,
    )
    .await;
    let a2 = enregistrer(
        &store,
        &etat,
        &alice,
        Some("S1"),
        &saisie_atelier(date(2025, 2, 15)),
        2,
    )
    .await;
    let a3 = enregistrer(
        &store,
        &etat,
        &alice,
        Some("S1"),
        &saisie_anonyme(date(2025, 3, 1)),
        3,
    )
    .await;
    let b1 = enregistrer(
        &store,
        &etat,
        &bob,
        Some("S1"),
        &saisie_anonyme(date(2025, 2, 1)),
        4,
    )
    .await;
    let jeton = creer_jeton_store(&etat, &alice, &[PorteeApi::ActivitesLecture], 0, 30).await;

    let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.entete("cache-control"), "no-store");
    let texte = r.texte();
    let j = r.json();
    // Creation order; only Alice's.
    assert_eq!(ids(&j), [a1.clone(), a2.clone(), a3.clone()]);
    assert!(!ids(&j).contains(&b1));
    assert_eq!(j["curseurSuivant"], Value::Null);
    for secret in [
        "NOTE-SECRETE",
        "BENEFICIAIRE-SECRET",
        "PRECISION-SECRETE",
        "PARTICIPANT-SECRET",
        "notes",
        "precisionsDemarche",
    ] {
        assert!(!texte.contains(secret), "{secret} in {texte}");
    }
    let ind = &j["activites"][0];
    assert_eq!(ind["type"], "individuel");
    assert_eq!(ind["date"], "2025-01-15");
    assert_eq!(ind["duree"], 45);
    assert_eq!(ind["typeLieu"], "Domicile");
    assert_eq!(ind["lieuCodeInsee"], "16015");
    assert_eq!(ind["mediateurId"], alice.as_str());
    assert_eq!(ind["structureEmployeuseId"], "S1");
    assert_eq!(
        ind["materiel"],
        serde_json::json!(["Ordinateur", "Telephone"])
    );
    assert_eq!(
        ind["thematiques"],
        serde_json::json!(["Email", "AideAuxDemarchesAdministratives", "Logement"])
    );
    assert_eq!(ind["autonomie"], "PartiellementAutonome");
    assert_eq!(ind["beneficiaireSuivi"], true);
    assert_eq!(ind["beneficiaireAnonyme"], Value::Null);
    assert_eq!(ind["accompagnementsCount"], 1);
    let atelier = &j["activites"][1];
    assert_eq!(atelier["type"], "collectif");
    assert_eq!(atelier["titreAtelier"], "Se protéger des arnaques");
    assert_eq!(atelier["participantsSuivisCount"], 1);
    assert_eq!(atelier["accompagnementsCount"], 5);
    assert_eq!(atelier["participantsAnonymes"]["total"], 4);
    assert_eq!(j["activites"][2]["beneficiaireAnonyme"]["genre"], "Feminin");

    // Filters.
    let r = avec_jeton(&app, "/api/v1/activites?type=collectif", &jeton).await;
    assert_eq!(ids(&r.json()), std::slice::from_ref(&a2));
    let r = avec_jeton(
        &app,
        "/api/v1/activites?du=2025-02-01&au=2025-02-28",
        &jeton,
    )
    .await;
    assert_eq!(ids(&r.json()), std::slice::from_ref(&a2));
    let r = avec_jeton(&app, "/api/v1/activites?du=2025-02-01", &jeton).await;
    assert_eq!(ids(&r.json()), [a2, a3]);
    for (q, parametre) in [
        ("du=15/01/2025", "du"),
        ("au=demain", "au"),
        ("du=2025-03-01&au=2025-01-01", "au"),
        ("type=demarche", "type"),
        ("par_page=0", "par_page"),
        ("par_page=501", "par_page"),
        ("curseur=nimportequoi", "curseur"),
    ] {
        let r = avec_jeton(&app, &format!("/api/v1/activites?{q}"), &jeton).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{q}");
        let e = r.json();
        assert_eq!(e["parametre"], parametre, "{q}: {e}");
        assert!(e["erreur"].as_str().is_some_and(|m| m.contains(parametre)));
    }
}

async fn api_pagination_par_curseur(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let mut attendus = Vec::new();
    for i in 0..23_i64 {
        // Pairs share a creation instant: the id breaks the tie.
        let jour = date(2025, 1, 1) + Duration::days(i % 7);
        attendus.push(enregistrer(&store, &etat, &alice, None, &saisie_anonyme(jour), i / 2).await);
    }
    let jeton = creer_jeton_store(&etat, &alice, &[PorteeApi::ActivitesLecture], 0, 30).await;
    let mut vus: Vec<String> = Vec::new();
    let mut uri = "/api/v1/activites?par_page=5".to_string();
    let mut pages = 0;
    let mut ajoute = String::new();
    loop {
        let r = avec_jeton(&app, &uri, &jeton).await;
        assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
        let j = r.json();
        let page = ids(&j);
        assert!(page.len() <= 5);
        vus.extend(page);
        pages += 1;
        if pages == 2 {
            // Added while the client pages: comes at the end, once.
            ajoute = enregistrer(
                &store,
                &etat,
                &alice,
                None,
                &saisie_anonyme(date(2024, 1, 1)),
                10_000,
            )
            .await;
        }
        match j["curseurSuivant"].as_str() {
            Some(c) => uri = format!("/api/v1/activites?par_page=5&curseur={}", encoder(c)),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(vus.len(), 24);
    assert_eq!(vus.iter().collect::<HashSet<_>>().len(), 24, "each once");
    assert!(attendus.iter().all(|a| vus.contains(a)));
    assert_eq!(vus.last(), Some(&ajoute));
}

async fn api_coordinateur_et_structure(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (m1, _) = compte(&app, &etat, "m1@example.org", &[Attribution::mediateur()]).await;
    let (m2, _) = compte(&app, &etat, "m2@example.org", &[Attribution::mediateur()]).await;
    let avant = enregistrer(
        &store,
        &etat,
        &m1,
        Some("S1"),
        &saisie_anonyme(date(2025, 1, 5)),
        1,
    )
    .await;
    let pendant = enregistrer(
        &store,
        &etat,
        &m1,
        Some("S1"),
        &saisie_anonyme(date(2025, 2, 5)),
        2,
    )
    .await;
    let autre = enregistrer(
        &store,
        &etat,
        &m2,
        Some("S2"),
        &saisie_anonyme(date(2025, 2, 6)),
        3,
    )
    .await;
    let (coord, _) = compte(
        &app,
        &etat,
        "coord@example.org",
        &[Attribution::coordinateur(vec![])],
    )
    .await;
    store
        .lier_equipe(&coord, &m1, date(2025, 2, 1))
        .await
        .expect("team link");
    let jeton = creer_jeton_store(&etat, &coord, &[PorteeApi::ActivitesLecture], 0, 30).await;
    let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    // Within the link's period only; not another team's mediator.
    assert_eq!(ids(&r.json()), std::slice::from_ref(&pendant));
    assert!(!ids(&r.json()).contains(&avant));

    let (gest, _) = compte(
        &app,
        &etat,
        "gest@example.org",
        &[Attribution::gestionnaire_structure("S2")],
    )
    .await;
    let jeton = creer_jeton_store(&etat, &gest, &[PorteeApi::ActivitesLecture], 0, 30).await;
    let r = avec_jeton(&app, "/api/v1/activites", &jeton).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(ids(&r.json()), [autre]);
}

// ---------------------------------------------------------------------------
// Exports

fn lire_csv(corps: &[u8]) -> Vec<Vec<String>> {
    let sans_bom = corps.strip_prefix("\u{feff}".as_bytes()).expect("BOM");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(sans_bom)
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect()
}

/// The cell texts of the first sheet, row by row.
fn lire_xlsx(corps: &[u8]) -> Vec<Vec<String>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(corps.to_vec())).expect("zip");
    let mut lire = |nom: &str| -> Option<String> {
        let mut f = archive.by_name(nom).ok()?;
        let mut s = String::new();
        f.read_to_string(&mut s).expect("utf-8");
        Some(s)
    };
    let feuille = lire("xl/worksheets/sheet1.xml").expect("sheet");
    let partages: Vec<String> = lire("xl/sharedStrings.xml")
        .map(|s| textes(&s, "<si>", "</si>"))
        .unwrap_or_default();
    textes(&feuille, "<row", "</row>")
        .iter()
        .map(|ligne| {
            ligne
                .split("<c ")
                .skip(1)
                .map(|cellule| {
                    let valeur = |balise: &str| {
                        let debut = cellule.find(&format!("<{balise}"))?;
                        let debut = debut + cellule[debut..].find('>')? + 1;
                        let fin = debut + cellule[debut..].find(&format!("</{balise}>"))?;
                        Some(decoder_xml(&cellule[debut..fin]))
                    };
                    if cellule.contains("t=\"s\"") {
                        let i: usize = valeur("v").and_then(|v| v.parse().ok()).expect("index");
                        partages[i].clone()
                    } else {
                        valeur("t").or_else(|| valeur("v")).unwrap_or_default()
                    }
                })
                .collect()
        })
        .collect()
}

/// Inner texts of the elements between `debut` and `fin`, tags removed.
fn textes(xml: &str, debut: &str, fin: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut reste = xml;
    while let Some(i) = reste.find(debut) {
        let Some(j) = reste[i..].find(fin) else { break };
        let bloc = &reste[i..i + j];
        v.push(if debut == "<si>" {
            let mut t = String::new();
            let mut dans = false;
            for c in bloc.chars() {
                match c {
                    '<' => dans = true,
                    '>' => dans = false,
                    c if !dans => t.push(c),
                    _ => {}
                }
            }
            decoder_xml(&t)
        } else {
            bloc.to_string()
        });
        reste = &reste[i + j + fin.len()..];
    }
    v
}

fn decoder_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

async fn exports_csv_et_xlsx(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (alice, cookie) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let (bob, _) = compte(&app, &etat, "bob@example.org", &[Attribution::mediateur()]).await;
    let a1 = enregistrer(
        &store,
        &etat,
        &alice,
        None,
        &saisie_individuelle(date(2025, 1, 15)),
        1,
    )
    .await;
    let a2 = enregistrer(
        &store,
        &etat,
        &alice,
        None,
        &saisie_atelier(date(2025, 2, 15)),
        2,
    )
    .await;
    let a3 = enregistrer(
        &store,
        &etat,
        &alice,
        None,
        &saisie_anonyme(date(2025, 3, 1)),
        3,
    )
    .await;
    enregistrer(
        &store,
        &etat,
        &bob,
        None,
        &saisie_anonyme(date(2025, 2, 1)),
        4,
    )
    .await;

    let r = get_avec_cookie(&app, "/espace/activites/export.csv", &cookie).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.entete("content-type"), "text/csv; charset=utf-8");
    assert!(r
        .entete("content-disposition")
        .contains("activites-2025-03-11.csv"));
    assert_eq!(r.entete("cache-control"), "no-store");
    let lignes = lire_csv(&r.corps);
    assert_eq!(
        lignes[0],
        maillage_web::espace::export_activites::COLONNES.map(str::to_string)
    );
    assert_eq!(lignes[0][0], "Date");
    assert_eq!(lignes[0][29], "ID CRA");
    // Newest date first; Bob's record absent.
    let ordre: Vec<&str> = lignes[1..].iter().map(|l| l[29].as_str()).collect();
    assert_eq!(ordre, [a3.as_str(), a2.as_str(), a1.as_str()]);
    let col = |nom: &str| {
        maillage_web::espace::export_activites::COLONNES
            .iter()
            .position(|c| *c == nom)
            .expect("column")
    };
    let ind = &lignes[3];
    assert_eq!(ind[col("Date")], "15/01/2025");
    assert_eq!(ind[col("Enregistré le")], "09/02/2025");
    assert_eq!(ind[col("Type")], "Accompagnement individuel");
    assert_eq!(ind[col("Participants")], "1");
    assert_eq!(ind[col("Canaux d'accompagnement")], "À domicile");
    assert_eq!(ind[col("Commune")], "Angoulême");
    assert_eq!(ind[col("Code Insee")], "16015");
    assert_eq!(ind[col("Durée (min)")], "45");
    assert_eq!(
        ind[col("Matériel numérique utilisé")],
        "Ordinateur, Téléphone"
    );
    assert_eq!(
        ind[col("Thématique(s) d'accompagnement")],
        "E-mail, Aide aux démarches administratives, Logement"
    );
    assert_eq!(
        ind[col("Niveau d'autonomie (ou de l'atelier)")],
        "Autonome avec guidage en cas de besoin"
    );
    assert_eq!(ind[col("Bénéficiaire réorienté")], "Non");
    assert_eq!(
        ind[col("Nom de la démarche administrative")],
        "PRECISION-SECRETE dossier CAF"
    );
    // The mediator's own export carries their notes.
    assert!(ind[col("Notes supplémentaires")].starts_with("NOTE-SECRETE"));
    let atelier = &lignes[2];
    assert_eq!(atelier[col("Type")], "Atelier collectif");
    assert_eq!(atelier[col("Participants")], "5");
    assert_eq!(atelier[col("Nom de l'atelier")], "Se protéger des arnaques");
    assert_eq!(lignes[1][col("Genre")], "Féminin");

    // Filters of the list.
    let r = get_avec_cookie(
        &app,
        "/espace/activites/export.csv?du=2025-02-01&au=2025-03-31&type=individuel",
        &cookie,
    )
    .await;
    let lignes = lire_csv(&r.corps);
    assert_eq!(lignes.len(), 2);
    assert_eq!(lignes[1][29], a3);
    let r = get_avec_cookie(&app, "/espace/activites/export.csv?du=hier", &cookie).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("du (date de début)"));

    // XLSX: same columns and rows.
    let r = get_avec_cookie(&app, "/espace/activites/export.xlsx", &cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(
        r.entete("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.corps.starts_with(b"PK"));
    let feuille = lire_xlsx(&r.corps);
    assert_eq!(
        feuille[0],
        maillage_web::espace::export_activites::COLONNES.map(str::to_string)
    );
    assert_eq!(feuille.len(), 4);
    assert_eq!(feuille[1].last().map(String::as_str), Some(a3.as_str()));
    assert_eq!(feuille[3].last().map(String::as_str), Some(a1.as_str()));
    assert!(feuille[3].contains(&"15/01/2025".to_string()));
    assert!(feuille[3].contains(&"45".to_string()));
    let r = get_avec_cookie(
        &app,
        "/espace/activites/export.xlsx?type=collectif",
        &cookie,
    )
    .await;
    assert_eq!(lire_xlsx(&r.corps).len(), 2);

    // Journaled with the filters.
    let journal = etat.store().journal(100, None).await.expect("journal");
    let exports: Vec<&maillage_store::EntreeJournal> = journal
        .iter()
        .filter(|e| e.action == "export" && e.acteur_id.as_deref() == Some(alice.as_str()))
        .collect();
    assert_eq!(exports.len(), 4, "the refused one is not journaled");
    assert_eq!(exports[0].details["format"], "xlsx");
    assert_eq!(exports[0].details["type"], "collectif");

    // The function behind `maillage bench-export`.
    let mut sortie = Vec::new();
    let n = maillage_web::espace::export_activites::ecrire_csv(
        etat.store(),
        maillage_store::FiltreParcours {
            mediateur_id: Some(alice.clone()),
            ..Default::default()
        },
        &maillage_web::espace::export_activites::ContexteExport::de(&etat),
        &mut sortie,
    )
    .await
    .expect("export");
    assert_eq!(n, 3);
    assert_eq!(lire_csv(&sortie).len(), 4);
}

async fn exports_refuses(store: Store) {
    let (app, etat) = app(store.clone()).await;
    for chemin in [
        "/espace/activites/export.csv",
        "/espace/activites/export.xlsx",
    ] {
        let r = get(&app, chemin).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{chemin}");
        assert!(r.entete("location").starts_with("/compte/connexion"));
    }
    let mut n = 0;
    for attribution in [
        Attribution::coordinateur(vec![]),
        Attribution::gestionnaire_structure("S1"),
        Attribution::gestionnaire_departement("16"),
        Attribution::administrateur(),
    ] {
        n += 1;
        let (_, cookie) = compte(&app, &etat, &format!("r{n}@example.org"), &[attribution]).await;
        for chemin in [
            "/espace/activites/export.csv",
            "/espace/activites/export.xlsx",
        ] {
            let r = get_avec_cookie(&app, chemin, &cookie).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{chemin} {n}");
            assert!(r.texte().contains("Accès refusé"));
        }
    }
    let (_, cookie) = compte(&app, &etat, "sans@example.org", &[]).await;
    let r = get_avec_cookie(&app, "/espace/activites/export.csv", &cookie).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
}

async fn openapi_documente(store: Store) {
    let (app, _) = app(store).await;
    let doc = get(&app, "/api/openapi.json").await.json();
    let op = &doc["paths"]["/api/v1/activites"]["get"];
    assert!(op.is_object(), "{doc}");
    assert_eq!(op["security"][0]["jeton"][0], "activites:lecture");
    for code in ["200", "400", "401", "403"] {
        assert!(op["responses"][code].is_object(), "{code}");
    }
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(params, ["du", "au", "type", "curseur", "par_page"]);
    let schema = &doc["components"]["securitySchemes"]["jeton"];
    assert_eq!(schema["type"], "http");
    assert_eq!(schema["scheme"], "bearer");
    assert!(
        doc["components"]["schemas"]["ActiviteApi"]["properties"]["accompagnementsCount"]
            .is_object()
    );
    assert!(doc["components"]["schemas"]["ActiviteApi"]["properties"]
        .get("notes")
        .is_none());
    let page = get(&app, "/api").await.texte();
    assert!(page.contains("/api/v1/activites"));
}

// ---------------------------------------------------------------------------
// Throughput (ignored by default: `cargo test --release -p maillage-web
// --test espace_api debit -- --ignored --nocapture`, with
// MAILLAGE_DEBIT_LIGNES=1000000)

/// Peak resident memory of this process (kB), from /proc (Linux).
fn pic_memoire_ko() -> Option<u64> {
    let statut = std::fs::read_to_string("/proc/self/status").ok()?;
    statut
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "mesure de débit, longue"]
async fn debit_export_csv() {
    use sqlx::{Connection, Executor};
    let lignes: u64 = std::env::var("MAILLAGE_DEBIT_LIGNES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("debit.db").display());
    // The server's connection (small SQLite page cache), as the export runs.
    let store = Store::connect_serveur(&url).await.expect("store");
    let (_, etat) = app(store.clone()).await;
    let modele = enregistrer(
        &store,
        &etat,
        "m1",
        None,
        &saisie_individuelle(date(2025, 1, 15)),
        0,
    )
    .await;
    // Copies of one record under new ids, inside the database; as in real
    // use, rows are stored about in date order (700 days, newest first).
    let mut c = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connection");
    c.execute(
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
             INSERT INTO activites (id, mediateur_id, structure_id, departement, date, \
             type_activite, duree_minutes, type_lieu, lieu_id, code_insee, thematiques, \
             materiel, accompagnements, donnees, cree_le, modifie_le) \
             SELECT printf('%032x', i), mediateur_id, structure_id, departement, \
             date(date, '-' || (i * 700 / {}) || ' days'), type_activite, duree_minutes, type_lieu, \
             lieu_id, code_insee, thematiques, materiel, accompagnements, donnees, cree_le, \
             modifie_le FROM activites, n WHERE activites.id = '{modele}'",
            lignes - 1,
            lignes
        )
        .as_str(),
    )
    .await
    .expect("bulk insert");
    let ctx = maillage_web::espace::export_activites::ContexteExport::de(&etat);
    let filtre = maillage_store::FiltreParcours {
        mediateur_id: Some("m1".to_string()),
        ..Default::default()
    };
    // A first, small export sets the baseline of resident memory.
    let mut petit = filtre.clone();
    petit.au = Some(date(2023, 6, 1));
    maillage_web::espace::export_activites::ecrire_csv(&store, petit, &ctx, std::io::sink())
        .await
        .expect("export");
    // The store's part alone, to see where the time goes.
    let debut = std::time::Instant::now();
    let mut p = store.parcourir_activites(
        filtre.clone(),
        maillage_store::OrdreParcours::DateDecroissante,
        maillage_web::espace::export_activites::LOT_EXPORT,
    );
    let mut lus = 0;
    while let Some(l) = p.suivant().await.expect("batch") {
        lus += l.len();
    }
    eprintln!(
        "lecture seule : {lus} en {:.2} s",
        debut.elapsed().as_secs_f64()
    );
    let avant = pic_memoire_ko();
    let debut = std::time::Instant::now();
    let n =
        maillage_web::espace::export_activites::ecrire_csv(&store, filtre, &ctx, std::io::sink())
            .await
            .expect("export");
    let duree = debut.elapsed();
    let apres = pic_memoire_ko();
    assert_eq!(n, lignes);
    eprintln!(
        "{n} lignes en {:.2} s : {:.0} lignes/s ; pic de mémoire {:?} → {:?} ko",
        duree.as_secs_f64(),
        n as f64 / duree.as_secs_f64(),
        avant,
        apres
    );
}
