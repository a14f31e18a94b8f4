//! `GET /api/v1/statistiques`: the token-authenticated statistics, with the
//! statistics page's filters and access rules, in process on SQLite and on
//! PostgreSQL.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test api_statistiques`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use maillage_activites::{
    valider, ActiviteSaisie, Beneficiaire, Demographie, DureeSaisie, Genre, ParticipantsAnonymes,
    Thematique, TrancheAge, TypeActivite, TypeLieu,
};
use maillage_comptes::{Attribution, NouveauJetonApi, PorteeApi};
use maillage_store::{NouvelleActivite, Store};
use maillage_web::Etat;
use serde_json::Value;

mod harnais;
use harnais::*;

sur_les_deux_bases!(
    statistiques_du_mediateur,
    statistiques_d_un_departement,
    parametres_refuses,
    portee_et_perimetres_refuses,
    openapi_documente,
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn jeton(etat: &Etat, utilisateur: &str, portees: &[PorteeApi]) -> String {
    let (clair, n) = NouveauJetonApi::creer("test", portees, 30, etat.maintenant()).expect("token");
    etat.store()
        .creer_jeton_api(utilisateur, &n)
        .await
        .expect("stored");
    clair
}

/// 45 minutes at home in Angoulême, a woman of 25–39, two thématiques.
fn individuel(jour: NaiveDate) -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(45));
    s.type_lieu = Some(TypeLieu::Domicile);
    s.lieu_code_insee = Some("16015".to_string());
    s.thematiques = vec![Thematique::Email, Thematique::NavigationSurInternet];
    s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
        genre: Some(Genre::Feminin),
        tranche_age: Some(TrancheAge::VingtCinqTrenteNeuf),
        ..Default::default()
    }));
    s
}

/// A two-hour remote workshop for 4 anonymous people.
fn atelier(jour: NaiveDate) -> ActiviteSaisie {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(120));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::SecuriteNumerique];
    s.titre_atelier = Some("Se protéger des arnaques".to_string());
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
    etat: &Etat,
    mediateur: &str,
    departement: &str,
    s: &ActiviteSaisie,
) -> String {
    let activite = valider(s, etat.maintenant().date_naive()).expect("valid record");
    etat.store()
        .enregistrer_activite(&NouvelleActivite {
            demographies_suivies: Vec::new(),
            mediateur_id: mediateur.to_string(),
            structure_id: None,
            departement: Some(departement.to_string()),
            activite,
            cree_le: etat.maintenant() - Duration::days(1),
        })
        .await
        .expect("record")
}

/// The `{code, activites, accompagnements}` row of `code` in a breakdown.
fn ligne<'a>(j: &'a Value, repartition: &str, code: &str) -> &'a Value {
    j[repartition]
        .as_array()
        .unwrap_or_else(|| panic!("{repartition}: {j}"))
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("{repartition} {code}: {j}"))
}

async fn statistiques_du_mediateur(store: Store) {
    let (app, etat) = app(store).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let (bob, _) = compte(&app, &etat, "bob@example.org", &[Attribution::mediateur()]).await;
    enregistrer(&etat, &alice, "16", &individuel(date(2025, 1, 10))).await;
    enregistrer(&etat, &alice, "16", &atelier(date(2025, 3, 5))).await;
    // Outside the period, and another mediator's: not counted.
    enregistrer(&etat, &alice, "16", &individuel(date(2025, 3, 10))).await;
    enregistrer(&etat, &bob, "16", &individuel(date(2025, 2, 1))).await;

    let t = jeton(&etat, &alice, &[PorteeApi::StatistiquesLecture]).await;
    let r = avec_jeton(&app, "/api/v1/statistiques?du=2025-01-01&au=2025-03-06", &t).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.entete("cache-control"), "no-store");
    let j = r.json();
    assert_eq!(j["perimetre"], "soi");
    assert_eq!(j["du"], "2025-01-01");
    assert_eq!(j["au"], "2025-03-06");
    let totaux = &j["totaux"];
    assert_eq!(totaux["activites"], 2);
    assert_eq!(totaux["activitesIndividuelles"], 1);
    assert_eq!(totaux["activitesCollectives"], 1);
    assert_eq!(totaux["accompagnements"], 5);
    assert_eq!(totaux["dureeMinutes"], 165);
    assert_eq!(totaux["mediateurs"], 1);
    // Every month of the period, February's zero included.
    let mois: Vec<(&str, u64)> = j["parMois"]
        .as_array()
        .expect("parMois")
        .iter()
        .map(|l| {
            (
                l["code"].as_str().expect("code"),
                l["activites"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(mois, [("2025-01", 1), ("2025-02", 0), ("2025-03", 1)]);
    assert_eq!(ligne(&j, "parMois", "2025-01")["libelle"], "janvier 2025");
    assert_eq!(ligne(&j, "thematiques", "Email")["activites"], 1);
    assert_eq!(
        ligne(&j, "thematiques", "SecuriteNumerique")["accompagnements"],
        4
    );
    assert_eq!(ligne(&j, "thematiques", "Bureautique")["activites"], 0);
    assert_eq!(ligne(&j, "durees", "30-60")["activites"], 1);
    assert_eq!(ligne(&j, "durees", "120+")["accompagnements"], 4);
    assert_eq!(ligne(&j, "canaux", "Domicile")["activites"], 1);
    assert_eq!(ligne(&j, "genres", "Feminin")["accompagnements"], 1);
    assert_eq!(ligne(&j, "genres", "NonCommunique")["accompagnements"], 4);
    assert_eq!(
        ligne(&j, "tranchesAge", "VingtCinqTrenteNeuf")["accompagnements"],
        1
    );
    let angouleme = ligne(&j, "communes", "16015");
    assert_eq!(angouleme["activites"], 1);
    assert_eq!(angouleme["libelle"], "Angoulême");

    // The page's filters: the workshops only.
    let r = avec_jeton(
        &app,
        "/api/v1/statistiques?du=2025-01-01&au=2025-03-06&type=collectif",
        &t,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.json()["totaux"]["activites"], 1);
    assert_eq!(r.json()["totaux"]["accompagnements"], 4);
}

async fn statistiques_d_un_departement(store: Store) {
    let (app, etat) = app(store).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let (bob, _) = compte(&app, &etat, "bob@example.org", &[Attribution::mediateur()]).await;
    enregistrer(&etat, &alice, "16", &individuel(date(2025, 1, 10))).await;
    enregistrer(&etat, &bob, "16", &atelier(date(2025, 2, 10))).await;
    enregistrer(&etat, &bob, "17", &individuel(date(2025, 2, 11))).await;
    let (gestion, _) = compte(
        &app,
        &etat,
        "charente@example.org",
        &[Attribution::gestionnaire_departement("16")],
    )
    .await;
    let t = jeton(&etat, &gestion, &[PorteeApi::StatistiquesLecture]).await;
    let r = avec_jeton(
        &app,
        "/api/v1/statistiques?perimetre=departement:16&du=2025-01-01&au=2025-12-31",
        &t,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let j = r.json();
    assert_eq!(j["perimetre"], "departement:16");
    assert!(j["libellePerimetre"]
        .as_str()
        .is_some_and(|l| l.contains("Charente")));
    assert_eq!(j["totaux"]["activites"], 2);
    assert_eq!(j["totaux"]["mediateurs"], 2);
    assert_eq!(j["totaux"]["accompagnements"], 5);
    // Without `perimetre`: the first one allowed, the département.
    let r = avec_jeton(&app, "/api/v1/statistiques?du=2025-01-01", &t).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert_eq!(r.json()["perimetre"], "departement:16");
    // The neighbouring département and the nation are refused.
    for p in ["departement:17", "national", "region:75"] {
        let r = avec_jeton(&app, &format!("/api/v1/statistiques?perimetre={p}"), &t).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{p}: {}", r.texte());
        assert!(r.json()["erreur"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

async fn parametres_refuses(store: Store) {
    let (app, etat) = app(store).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    let t = jeton(&etat, &alice, &[PorteeApi::StatistiquesLecture]).await;
    for (requete, parametre, valeur) in [
        ("du=2025-13-01", "du", "2025-13-01"),
        ("du=2025-03-01&au=2025-01-01", "au", "2025-01-01"),
        ("type=Atelier", "type", "Atelier"),
        ("thematique=Cuisine", "thematique", "Cuisine"),
        ("perimetre=planete", "perimetre", "planete"),
        ("commune=99999", "commune", "99999"),
    ] {
        let r = avec_jeton(&app, &format!("/api/v1/statistiques?{requete}"), &t).await;
        assert_eq!(
            r.statut,
            StatusCode::BAD_REQUEST,
            "{requete}: {}",
            r.texte()
        );
        let j = r.json();
        assert_eq!(j["parametre"], parametre, "{requete}: {j}");
        assert_eq!(j["valeur"], valeur, "{requete}: {j}");
        assert!(j["erreur"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

async fn portee_et_perimetres_refuses(store: Store) {
    let (app, etat) = app(store).await;
    let (alice, _) = compte(
        &app,
        &etat,
        "alice@example.org",
        &[Attribution::mediateur()],
    )
    .await;
    // No token, an unknown one.
    let r = envoyer(
        &app,
        Request::get("/api/v1/statistiques")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    let r = avec_jeton(
        &app,
        "/api/v1/statistiques",
        "mlg_00000000000000000000000000000000",
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    // A token without the scope.
    let t = jeton(&etat, &alice, &[PorteeApi::ActivitesLecture]).await;
    let r = avec_jeton(&app, "/api/v1/statistiques", &t).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.json()["erreur"]
        .as_str()
        .is_some_and(|m| m.contains("statistiques:lecture")));
    // A mediator reads her own figures only.
    let t = jeton(&etat, &alice, &[PorteeApi::StatistiquesLecture]).await;
    for p in [
        "national",
        "departement:16",
        "equipe",
        "structure:35600000000048",
    ] {
        let r = avec_jeton(&app, &format!("/api/v1/statistiques?perimetre={p}"), &t).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{p}: {}", r.texte());
    }
}

async fn openapi_documente(store: Store) {
    let (app, _) = app(store).await;
    let doc = get(&app, "/api/openapi.json").await.json();
    let op = &doc["paths"]["/api/v1/statistiques"]["get"];
    assert!(op.is_object(), "{doc}");
    assert_eq!(op["security"][0]["jeton"][0], "statistiques:lecture");
    for code in ["200", "400", "401", "403"] {
        assert!(op["responses"][code].is_object(), "{code}");
    }
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        params,
        [
            "perimetre",
            "du",
            "au",
            "type",
            "type_lieu",
            "lieu",
            "thematique",
            "mediateur",
            "commune",
            "epci"
        ]
    );
    let schema = &doc["components"]["schemas"]["ReponseStatistiques"]["properties"];
    for champ in ["totaux", "parMois", "thematiques", "durees", "communes"] {
        assert!(schema[champ].is_object(), "{champ}: {schema}");
    }
}
