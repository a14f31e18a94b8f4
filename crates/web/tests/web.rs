//! The site and the API in process (`tower::ServiceExt::oneshot` on the
//! router, no socket), on a real registry: a few provided datasets imported
//! and consolidated into SQLite (temporary file) and, when
//! `MAILLAGE_TEST_POSTGRES` is set, into a fresh PostgreSQL database.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web`

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use maillage_store::Store;
use maillage_web::{routeur, Config, Etat};
use std::path::Path;
use std::time::Duration;

mod harnais;
use harnais::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

// ---------------------------------------------------------------------------
// Harness

async fn remplir(store: &Store) {
    let referentiel = maillage_territoires::Referentiel::embarque().expect("referential");
    let donnees = Path::new(DATA);
    for (source, fichier, config) in [
        ("charente-2023", "lieux/charente-2023.v0.json", None),
        (
            "bus-france-services-charente-2023",
            "lieux/bus-france-services-charente-2023.v0.json",
            None,
        ),
        (
            "nouvelle-caledonie-2024",
            "lieux/nouvelle-caledonie-2024.v0.json",
            None,
        ),
        (
            "angers",
            "sources/mednum-cli/angers/angers.json",
            Some("sources/mednum-cli/angers/angers.config.json"),
        ),
    ] {
        let demande = maillage_registre::import::Demande {
            source: Some(source.to_string()),
            fichiers: vec![donnees.join(fichier)],
            correspondance: config.map(|c| donnees.join(c)),
            ..Default::default()
        };
        maillage_registre::import::importer(store, &demande, referentiel)
            .await
            .expect("import");
    }
    maillage_registre::consolidation::consolider(store, &maillage_dedup::Options::default())
        .await
        .expect("consolidation");
}

// ---------------------------------------------------------------------------
// The suite, run on each backend

async fn suite(store: Store) {
    let etat = Etat::nouveau(store.clone(), config()).await.expect("state");
    let app = routeur(etat.clone());
    contrat_api(&app).await;
    un_lieu_et_openapi(&app).await;
    exports(&app).await;
    pages(&app).await;
    parcours_sans_javascript(&app).await;
    entetes_de_securite(&app).await;
    limites(&app).await;
    signalements(&store).await;
    gestion(&store).await;
    comptes(&app, &etat, &store).await;
    limites_de_debit(&store).await;
    poids_des_pages(&app).await;
    rechargement(&store).await;
}

async fn un_id(app: &Router, requete: &str) -> String {
    let r = get(app, &format!("/api/v1/lieux?par_page=1&{requete}")).await;
    r.json()["lieux"][0]["id"]
        .as_str()
        .expect("one place")
        .to_string()
}

async fn contrat_api(app: &Router) {
    let r = get(app, "/api/v1/lieux").await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert!(r.entete("content-type").starts_with("application/json"));
    let j = r.json();
    let objet = j.as_object().expect("object");
    assert_eq!(objet.keys().collect::<Vec<_>>(), ["total", "lieux"]);
    let total = j["total"].as_u64().expect("total");
    assert!(total > 300, "{total}");
    let lieux = j["lieux"].as_array().expect("lieux");
    assert_eq!(lieux.len(), 20, "default page size");
    for l in lieux {
        for champ in ["id", "nom", "commune", "code_postal", "adresse", "date_maj"] {
            assert!(l.get(champ).is_some(), "{champ} in {l}");
        }
        assert!(l.get("distance_km").is_none(), "no position, no distance");
        if let Some(lat) = l.get("latitude") {
            assert!(lat.is_number());
        }
    }

    // Pagination.
    let p1 = get(app, "/api/v1/lieux?par_page=7").await.json();
    let p2 = get(app, "/api/v1/lieux?par_page=7&page=2").await.json();
    assert_eq!(p1["lieux"].as_array().map(Vec::len), Some(7));
    assert_ne!(p1["lieux"][0]["id"], p2["lieux"][0]["id"]);
    assert_eq!(p2["total"], total);
    let loin = get(app, "/api/v1/lieux?page=10000").await;
    assert_eq!(loin.statut, StatusCode::OK);
    assert_eq!(loin.json()["lieux"].as_array().map(Vec::len), Some(0));
    for (q, parametre) in [
        ("page=10001", "page"),
        ("page=0", "page"),
        ("par_page=101", "par_page"),
        ("par_page=abc", "par_page"),
        ("services=Jardinage", "services"),
        ("frais_a_charge=Gratuit,Offert", "frais_a_charge"),
        ("typologie=ZZZ", "typologie"),
        ("latitude=95&longitude=2", "latitude"),
        ("latitude=45", "longitude"),
        ("rayon_km=5000&latitude=45&longitude=0", "rayon_km"),
        ("ouvert_le=demain", "ouvert_le"),
        ("ouvert_maintenant=peut-etre", "ouvert_maintenant"),
        ("territoire=dep:99", "territoire"),
        ("territoire=ville:Paris", "territoire"),
    ] {
        let r = get(app, &format!("/api/v1/lieux?{q}")).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{q}: {}", r.texte());
        let e = r.json();
        assert_eq!(e["parametre"], parametre, "{q}: {e}");
        assert!(
            e["erreur"].as_str().is_some_and(|m| m.contains(parametre)),
            "{e}"
        );
    }
    let e = get(app, "/api/v1/lieux?services=Jardinage").await.json();
    assert_eq!(e["valeur"], "Jardinage");
    assert!(e["erreur"]
        .as_str()
        .is_some_and(|m| m.contains("« Jardinage »") && m.contains("inconnue")));

    // Enumerations: OR inside a field, AND across fields, comma or repeated keys.
    let gratuit = get(app, "/api/v1/lieux?frais_a_charge=Gratuit&par_page=100")
        .await
        .json();
    assert!(gratuit["total"].as_u64().expect("n") > 0);
    for l in gratuit["lieux"].as_array().expect("a") {
        assert!(
            l["frais_a_charge"]
                .as_str()
                .is_some_and(|f| f.split('|').any(|x| x == "Gratuit")),
            "{l}"
        );
    }
    let a = "Aide aux démarches administratives";
    let b = "Accès internet et matériel informatique";
    let n = |q: String| async move {
        get(app, &format!("/api/v1/lieux?{q}")).await.json()["total"]
            .as_u64()
            .expect("total")
    };
    let na = n(format!("services={}", encoder(a))).await;
    let nb = n(format!("services={}", encoder(b))).await;
    let ou_virgule = n(format!("services={},{}", encoder(a), encoder(b))).await;
    let ou_repete = n(format!("services={}&services={}", encoder(a), encoder(b))).await;
    assert_eq!(ou_virgule, ou_repete);
    assert!(
        ou_virgule >= na.max(nb) && ou_virgule <= na + nb,
        "{na} {nb} {ou_virgule}"
    );
    let et = n(format!("services={}&frais_a_charge=Gratuit", encoder(a))).await;
    assert!(et <= na && et <= gratuit["total"].as_u64().expect("n"));
    // Lenient values (case, accents).
    assert_eq!(
        n("frais_a_charge=gratuit".to_string()).await,
        gratuit["total"].as_u64().expect("n")
    );

    // Territory.
    let dep16 = get(app, "/api/v1/lieux?territoire=dep:16&par_page=100")
        .await
        .json();
    assert!(dep16["total"].as_u64().expect("n") > 50);
    for l in dep16["lieux"].as_array().expect("a") {
        let code = l["code_insee"]
            .as_str()
            .or(l["code_postal"].as_str())
            .unwrap_or_default();
        assert!(code.starts_with("16"), "{l}");
    }
    let reg = n("territoire=reg:75".to_string()).await;
    assert!(reg >= dep16["total"].as_u64().expect("n"));
    assert_eq!(n("territoire=reg:11".to_string()).await, 0);

    // Distance: distance_km on every place, sorted, within the radius.
    let proche = get(
        app,
        "/api/v1/lieux?latitude=45.6484&longitude=0.1562&rayon_km=15&par_page=100",
    )
    .await;
    assert_eq!(proche.statut, StatusCode::OK);
    let proche = proche.json();
    let liste = proche["lieux"].as_array().expect("a");
    assert!(!liste.is_empty());
    let distances: Vec<f64> = liste
        .iter()
        .map(|l| l["distance_km"].as_f64().expect("distance_km"))
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 15.01));
    let partout = get(
        app,
        "/api/v1/lieux?latitude=45.6484&longitude=0.1562&par_page=5",
    )
    .await
    .json();
    assert_eq!(
        partout["total"], total,
        "a position alone sorts, does not filter"
    );
    let par_texte = get(app, "/api/v1/lieux?pres_de=16000&rayon_km=15")
        .await
        .json();
    assert!(par_texte["total"].as_u64().expect("n") > 0);

    // Availability and text.
    for q in [
        "ouvert_maintenant=true",
        "ouvert_le=2025-03-15T10:30",
        "ouvert_week_end=true",
        "prise_rdv=true",
        "q=mairie",
        "tri=nom",
    ] {
        let r = get(app, &format!("/api/v1/lieux?{q}")).await;
        assert_eq!(r.statut, StatusCode::OK, "{q}");
        assert!(r.json()["total"].as_u64().expect("n") <= total, "{q}");
    }
    let maintenant = n("ouvert_maintenant=true".to_string()).await;
    assert!(maintenant > 0 && maintenant < total, "{maintenant}");
    let dimanche_nuit = n("ouvert_le=2025-03-16T03:00".to_string()).await;
    assert!(dimanche_nuit < maintenant, "{dimanche_nuit}");

    // Orientation and territories.
    let o = get(
        app,
        &format!("/api/v1/orientation?besoin={}&pres_de=16000", encoder(a)),
    )
    .await;
    assert_eq!(o.statut, StatusCode::OK, "{}", o.texte());
    let o = o.json();
    assert!(o["total"].as_u64().expect("n") > 0);
    let p = &o["propositions"][0];
    assert!(
        p["lieu"]["id"].is_string() && p["raisons"].is_array() && p["score"].is_number(),
        "{p}"
    );
    let c = get(
        app,
        &format!(
            "/api/v1/orientation/compte?besoin={}&pres_de=16000",
            encoder(a)
        ),
    )
    .await
    .json();
    assert_eq!(c["total"], o["total"]);
    assert_eq!(
        get(app, "/api/v1/orientation?besoin=Rien").await.statut,
        StatusCode::BAD_REQUEST
    );
    let t = get(app, "/api/v1/territoires").await.json();
    assert!(t["regions"].as_array().is_some_and(|r| r.len() >= 18));
    let t16 = get(app, "/api/v1/territoires/dep:16").await.json();
    assert_eq!(t16["total"], dep16["total"]);
    assert_eq!(
        get(app, "/api/v1/territoires/dep:99").await.statut,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, "/api/v1/territoires/nimporte").await.statut,
        StatusCode::BAD_REQUEST
    );

    // CORS on the read-only API.
    let r = envoyer(
        app,
        Request::get("/api/v1/lieux?par_page=1")
            .header(header::ORIGIN, "https://collectivite.exemple")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.entete("access-control-allow-origin"), "*");
}

async fn un_lieu_et_openapi(app: &Router) {
    let id = un_id(app, "territoire=dep:16").await;
    let r = get(app, &format!("/api/v1/lieux/{}", encoder(&id))).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(r.json()["id"], id.as_str());
    let r = get(app, "/api/v1/lieux/inexistant").await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    assert!(r.json()["erreur"]
        .as_str()
        .is_some_and(|m| m.contains("aucun lieu")));

    let doc = get(app, "/api/openapi.json").await;
    assert_eq!(doc.statut, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let chemins = doc["paths"].as_object().expect("paths");
    for c in [
        "/api/v1/lieux",
        "/api/v1/lieux/{id}",
        "/api/v1/carte",
        "/api/v1/orientation",
        "/api/v1/orientation/compte",
        "/api/v1/territoires",
        "/api/v1/territoires/{territoire}",
        "/api/v1/exports/{fichier}",
    ] {
        assert!(chemins.contains_key(c), "{c} missing from OpenAPI");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/lieux"]["get"]["parameters"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in [
        "services",
        "frais_a_charge",
        "typologie",
        "q",
        "latitude",
        "rayon_km",
        "ouvert_le",
        "territoire",
        "page",
        "par_page",
    ] {
        assert!(params.contains(&p), "{p}");
    }
    assert!(doc["components"]["schemas"]["ReponseLieux"].is_object());
    let page = get(app, "/api").await;
    assert_eq!(page.statut, StatusCode::OK);
    assert!(
        page.texte().contains("Documentation de l'API") && page.texte().contains("/api/v1/lieux")
    );
}

async fn exports(app: &Router) {
    let total = get(app, "/api/v1/lieux?territoire=dep:16").await.json()["total"]
        .as_u64()
        .expect("n");
    let csv = get(app, "/api/v1/exports/lieux.csv?territoire=dep:16").await;
    assert_eq!(csv.statut, StatusCode::OK);
    assert!(csv.entete("content-type").starts_with("text/csv"));
    let mut lecteur = csv::Reader::from_reader(csv.corps.as_slice());
    let entetes = lecteur.headers().expect("header").clone();
    assert_eq!(entetes.len(), 32);
    assert_eq!(&entetes[0], "id");
    assert_eq!(lecteur.records().count() as u64, total);
    let json = get(app, "/api/v1/exports/lieux.json?territoire=dep:16")
        .await
        .json();
    assert_eq!(json.as_array().map(|a| a.len() as u64), Some(total));
    let geo = get(app, "/api/v1/exports/lieux.geojson?territoire=dep:16")
        .await
        .json();
    assert_eq!(geo["type"], "FeatureCollection");
    assert!(geo["features"].as_array().is_some_and(|f| !f.is_empty()));
    let carte = get(app, "/api/v1/carte?territoire=dep:16").await.json();
    assert!(carte["features"]
        .as_array()
        .is_some_and(|f| !f.is_empty() && f.len() as u64 <= total));
    // The whole registry, streamed.
    let tout = get(app, "/api/v1/exports/lieux.csv").await;
    assert_eq!(tout.statut, StatusCode::OK);
    assert!(tout.corps.len() > 100_000);
    assert_eq!(
        get(app, "/api/v1/exports/lieux.xml").await.statut,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(app, "/api/v1/exports/lieux.csv?services=X")
            .await
            .statut,
        StatusCode::BAD_REQUEST
    );
}

fn une_seule_h1(html: &str, uri: &str) {
    assert_eq!(html.matches("<h1").count(), 1, "one h1 on {uri}");
    assert!(html.contains("<html lang=\"fr\">"), "{uri}");
    assert!(html.contains("href=\"#contenu\""), "skip link on {uri}");
    assert!(html.contains("<main id=\"contenu\""), "{uri}");
    assert!(!html.contains(" style=\""), "no inline style on {uri}");
    assert!(!html.contains("<script>"), "no inline script on {uri}");
    assert!(
        !html.contains("tabindex=\"1"),
        "no positive tabindex on {uri}"
    );
}

async fn pages(app: &Router) {
    let id = un_id(app, "territoire=dep:16").await;
    let id_url = encoder(&id).replace('+', "%20");
    for (uri, attendu) in [
        ("/".to_string(), "Trouver un lieu de médiation numérique"),
        ("/lieux".to_string(), "lieux trouvés"),
        ("/lieux?territoire=dep:16&frais_a_charge=Gratuit".to_string(), "Charente"),
        (format!("/lieux/{id_url}"), "Signaler une erreur"),
        ("/orientation".to_string(), "Étape 1 sur 4"),
        ("/orientation?etape=2&besoin=Aide+aux+d%C3%A9marches+administratives".to_string(), "Étape 2 sur 4"),
        ("/orientation?etape=3&besoin=Aide+aux+d%C3%A9marches+administratives&pres_de=16000".to_string(), "Étape 3 sur 4"),
        ("/orientation?etape=4&besoin=Aide+aux+d%C3%A9marches+administratives&pres_de=16000".to_string(), "Étape 4 sur 4"),
        ("/orientation?etape=5&besoin=Aide+aux+d%C3%A9marches+administratives&pres_de=16000&rayon_km=30".to_string(), "Pourquoi ce lieu"),
        (format!("/orientation/fiche?lieu={id_url}"), "Préparer une fiche d'orientation"),
        (format!("/orientation/fiche?lieu={id_url}&imprimer=1&beneficiaire=Camille&prescripteur=Dominique&structure=CCAS"), "Fiche d'orientation"),
        ("/territoires".to_string(), "Nouvelle-Aquitaine"),
        ("/territoires/reg/75".to_string(), "Par département"),
        ("/territoires/dep/16".to_string(), "Par service proposé"),
        ("/territoires/dep/16?page=2".to_string(), "Page 2 sur"),
        ("/embed?territoire=dep:16".to_string(), "Lieux de médiation numérique"),
        ("/integration".to_string(), "/embed"),
        ("/donnees-personnelles".to_string(), "facultative"),
        ("/gestion/signalements".to_string(), "MAILLAGE_JETON_GESTION"),
    ] {
        let r = get(app, &uri).await;
        assert!(
            r.statut == StatusCode::OK || (uri.starts_with("/gestion") && r.statut == StatusCode::SERVICE_UNAVAILABLE),
            "{uri}: {}",
            r.statut
        );
        assert!(r.entete("content-type").starts_with("text/html"), "{uri}");
        let html = r.texte();
        assert!(html.contains(attendu), "« {attendu} » missing from {uri}");
        une_seule_h1(&html, &uri);
        assert!(html.contains("<title>") && html.contains(" — Maillage</title>"), "{uri}");
    }
    // The place page: fields in French, badge, week, contact, completeness.
    let html = get(app, &format!("/lieux/{id_url}")).await.texte();
    for t in [
        "Services proposés",
        "Horaires",
        "Complétude de la fiche",
        "Adresse et contact",
        "Publics accueillis",
        "Préparer une fiche d'orientation",
    ] {
        assert!(html.contains(t), "{t}");
    }
    assert!(html.contains("badge"));
    // The sheet keeps names out of caches and referrers.
    let fiche = get(app, &format!("/orientation/fiche?lieu={id_url}&imprimer=1&beneficiaire=Camille&prescripteur=Dominique")).await;
    assert_eq!(fiche.entete("cache-control"), "no-store");
    assert_eq!(fiche.entete("referrer-policy"), "no-referrer");
    assert!(fiche.texte().contains("Camille") && fiche.texte().contains("impression.js"));
    let incomplet = get(app, &format!("/orientation/fiche?lieu={id_url}&imprimer=1")).await;
    assert_eq!(incomplet.statut, StatusCode::BAD_REQUEST);
    assert!(incomplet.texte().contains("Indiquez le prénom"));
    // French 404s.
    let r = get(app, "/nulle-part").await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    assert!(r.texte().contains("Page introuvable"));
    let r = get(app, "/lieux/inexistant").await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
    assert!(r.texte().contains("Lieu introuvable"));
    assert_eq!(
        get(app, "/territoires/dep/99").await.statut,
        StatusCode::NOT_FOUND
    );
    // A bad filter on a page: a French message, not a crash.
    let r = get(app, "/lieux?services=Jardinage").await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Jardinage") && r.texte().contains("role=\"alert\""));
    // Static assets: embedded, long cache.
    let css = get(app, "/static/theme.css").await;
    assert_eq!(css.statut, StatusCode::OK);
    assert!(css.entete("cache-control").contains("immutable"));
    assert!(css.texte().contains("--couleur-primaire"));
    assert_eq!(
        get(app, "/static/leaflet/leaflet.js").await.statut,
        StatusCode::OK
    );
    assert_eq!(
        get(app, "/static/../Cargo.toml").await.statut,
        StatusCode::NOT_FOUND
    );
}

async fn parcours_sans_javascript(app: &Router) {
    // The search form as a browser sends it: repeated keys, empty fields.
    let r = get(app, "/lieux?q=&pres_de=16000&rayon_km=20&territoire=&disponibilite=indifferent&jour=&de=&a=&services=Aide+aux+d%C3%A9marches+administratives&services=Acc%C3%A8s+internet+et+mat%C3%A9riel+informatique&tri=").await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let html = r.texte();
    assert!(html.contains("checked"), "the chosen services stay checked");
    assert!(html.contains("à moins de 20 km de"));
    assert!(html.contains("class=\"carte-lieu\""));
    let creneau = get(
        app,
        "/lieux?disponibilite=creneau&jour=samedi&de=09%3A00&a=12%3A00",
    )
    .await;
    assert_eq!(creneau.statut, StatusCode::OK);
    // Pagination links keep the filters.
    let html = get(app, "/lieux?territoire=dep:16").await.texte();
    assert!(html.contains("Page suivante"));
    let html = html.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        html.contains("territoire=dep%3A16&page=2"),
        "pagination keeps filters"
    );

    // The questionnaire carries earlier answers in hidden fields.
    let html = get(app, "/orientation?etape=3&besoin=Aide+aux+d%C3%A9marches+administratives&pres_de=16000&rayon_km=20").await.texte();
    assert!(
        html.contains(
            "type=\"hidden\" name=\"besoin\" value=\"Aide aux démarches administratives\""
        ),
        "{html}"
    );
    assert!(html.contains("type=\"hidden\" name=\"rayon_km\" value=\"20\""));
    assert!(html.contains("aria-live=\"polite\""));
    assert!(html.contains("correspond"));
    assert!(html.contains("compteur.js"));
    // A place that cannot be found: French message on step 2.
    let r = get(app, "/orientation?etape=3&pres_de=Zzzyxw").await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Étape 2 sur 4") && r.texte().contains("introuvable"));
}

async fn entetes_de_securite(app: &Router) {
    for uri in ["/", "/lieux", "/api/v1/lieux?par_page=1", "/orientation"] {
        let r = get(app, uri).await;
        let csp = r.entete("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{uri}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert_eq!(r.entete("x-frame-options"), "DENY", "{uri}");
        assert_eq!(r.entete("x-content-type-options"), "nosniff");
        assert!(!r.entete("referrer-policy").is_empty());
        assert!(r.entete("permissions-policy").contains("geolocation=()"));
    }
    let r = get(app, "/embed?territoire=dep:16").await;
    assert!(r
        .entete("content-security-policy")
        .contains("frame-ancestors *"));
    assert_eq!(r.entete("x-frame-options"), "");
}

async fn limites(app: &Router) {
    let long = format!("/lieux?q={}", "a".repeat(9_000));
    assert_eq!(get(app, &long).await.statut, StatusCode::URI_TOO_LONG);
    let id = un_id(app, "").await;
    let gros = "message=".to_string() + &"x".repeat(100_000);
    let r = post(
        app,
        &format!("/lieux/{}/signaler", encoder(&id)),
        &gros,
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::PAYLOAD_TOO_LARGE);
}

fn jeton(html: &str) -> String {
    let debut = html.find("name=\"jeton\" value=\"").expect("token field") + 20;
    let fin = html[debut..].find('"').expect("end") + debut;
    html[debut..fin].to_string()
}

async fn signalements(store: &Store) {
    let etat = Etat::nouveau(store.clone(), config()).await.expect("state");
    let app = routeur(etat);
    let id = un_id(&app, "territoire=dep:16").await;
    let page = format!("/lieux/{}", encoder(&id));
    let html = get(&app, &page).await.texte();
    assert!(html.contains("class=\"pot\""), "honeypot field");
    assert!(
        html.contains("facultatif") && html.contains("effacée"),
        "why the e-mail is asked"
    );
    let j = jeton(&html);
    let avant = store.signalements_ouverts_count().await.expect("count");
    let corps = format!(
        "jeton={}&categorie=horaires&message={}&courriel=agent%40mairie.exemple",
        encoder(&j),
        encoder("Fermé le mercredi après-midi depuis janvier.")
    );
    let r = post(
        &app,
        &format!("{page}/signaler"),
        &corps,
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert!(r.entete("location").contains("signalement=envoye"));
    assert_eq!(
        store.signalements_ouverts_count().await.expect("count"),
        avant + 1
    );
    let s = store.signalements_ouverts(1000).await.expect("list");
    let dernier = s.iter().find(|x| x.lieu_id == id).expect("stored");
    assert_eq!(dernier.categorie, "horaires");
    assert_eq!(dernier.courriel.as_deref(), Some("agent@mairie.exemple"));
    let merci = get(&app, &format!("{page}?signalement=envoye"))
        .await
        .texte();
    assert!(merci.contains("Merci, votre signalement a été transmis"));

    // Honeypot: looks accepted, stores nothing.
    let pot = format!("{corps}&site_internet=http%3A%2F%2Fspam.exemple");
    let r = post(&app, &format!("{page}/signaler"), &pot, &[]).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(
        store.signalements_ouverts_count().await.expect("count"),
        avant + 1
    );
    // Cross-site: refused.
    let r = post(
        &app,
        &format!("{page}/signaler"),
        &corps,
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post(
        &app,
        &format!("{page}/signaler"),
        &corps,
        &[
            ("origin", "https://ailleurs.exemple"),
            ("host", "maillage.exemple"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    // Forged or missing token, empty message: the form again, with French errors.
    let r = post(
        &app,
        &format!("{page}/signaler"),
        "jeton=1.abc&categorie=horaires&message=Bonjour%20!",
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texte().contains("Formulaire invalide"));
    let r = post(
        &app,
        &format!("{page}/signaler"),
        &format!("jeton={}&categorie=inconnue&message=", encoder(&j)),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.texte().contains("Choisissez ce qui est inexact")
            && r.texte().contains("Décrivez l'erreur")
    );
    let long = format!(
        "jeton={}&categorie=autre&message={}",
        encoder(&j),
        "x".repeat(2_001)
    );
    assert_eq!(
        post(&app, &format!("{page}/signaler"), &long, &[])
            .await
            .statut,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mauvais = format!(
        "jeton={}&categorie=autre&message=Bonjour%20bonjour&courriel=pas-une-adresse",
        encoder(&j)
    );
    assert_eq!(
        post(&app, &format!("{page}/signaler"), &mauvais, &[])
            .await
            .statut,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        store.signalements_ouverts_count().await.expect("count"),
        avant + 1
    );
    // Sent too fast (minimum fill time).
    let lent = Config {
        delai_min_signalement: Duration::from_secs(3),
        ..config()
    };
    let app_lente = routeur(Etat::nouveau(store.clone(), lent).await.expect("state"));
    let j = jeton(&get(&app_lente, &page).await.texte());
    let vite = format!(
        "jeton={}&categorie=autre&message=Trop%20vite%20envoy%C3%A9",
        encoder(&j)
    );
    let r = post(&app_lente, &format!("{page}/signaler"), &vite, &[]).await;
    assert_eq!(r.statut, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texte().contains("trop vite"));
    // Unknown place.
    let r = post(&app, "/lieux/inexistant/signaler", &corps, &[]).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
}

async fn gestion(store: &Store) {
    const JETON: &str = "jeton-de-gestion-assez-long-0123456789";
    let app = routeur(
        Etat::nouveau(
            store.clone(),
            Config {
                jeton_gestion: Some(JETON.to_string()),
                ..config()
            },
        )
        .await
        .expect("state"),
    );
    let r = get(&app, "/gestion/signalements").await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    assert!(r.texte().contains("Jeton de gestion"));
    let bearer = format!("Bearer {JETON}");
    let r = envoyer(
        &app,
        Request::get("/gestion/signalements")
            .header(header::AUTHORIZATION, "Bearer mauvais")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    let r = envoyer(
        &app,
        Request::get("/gestion/signalements")
            .header(header::AUTHORIZATION, bearer.as_str())
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("Fermé le mercredi après-midi"));
    assert!(r.texte().contains("agent@mairie.exemple"));
    assert_eq!(r.entete("cache-control"), "no-store");

    // Login form → cookie.
    let r = post(&app, "/gestion/connexion", "jeton=faux", &[]).await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    let r = post(
        &app,
        "/gestion/connexion",
        &format!("jeton={JETON}"),
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    let cookie = r.entete("set-cookie");
    for attribut in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/gestion"] {
        assert!(cookie.contains(attribut), "{cookie}");
    }
    assert!(!cookie.contains(JETON), "the cookie is not the token");
    let valeur = cookie.split(';').next().expect("cookie").to_string();
    let avec_cookie = |uri: &str| {
        Request::get(uri)
            .header(header::COOKIE, valeur.as_str())
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(
        envoyer(&app, avec_cookie("/gestion/signalements"))
            .await
            .statut,
        StatusCode::OK
    );

    // Closing: CSRF-checked, authenticated, erases the e-mail.
    let ouverts = store.signalements_ouverts(1000).await.expect("open");
    let s = ouverts
        .iter()
        .find(|s| s.courriel.is_some())
        .expect("one with e-mail");
    let uri = format!("/gestion/signalements/{}/fermer", s.id);
    let r = post(
        &app,
        &uri,
        "",
        &[
            ("cookie", valeur.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post(&app, &uri, "", &[]).await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    let r = post(
        &app,
        &uri,
        "",
        &[
            ("cookie", valeur.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert!(!store
        .signalements_ouverts(1000)
        .await
        .expect("open")
        .iter()
        .any(|x| x.id == s.id));
    let r = post(&app, &uri, "", &[("authorization", bearer.as_str())]).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND, "already closed");
}

async fn limites_de_debit(store: &Store) {
    let app = routeur(
        Etat::nouveau(
            store.clone(),
            Config {
                api_par_seconde: 0.001,
                api_rafale: 3.0,
                signalements_par_heure: 2,
                ..config()
            },
        )
        .await
        .expect("state"),
    );
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/api/v1/lieux?par_page=1").await.statut,
            StatusCode::OK
        );
    }
    let r = get(&app, "/api/v1/lieux?par_page=1").await;
    assert_eq!(r.statut, StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.entete("retry-after").is_empty());
    assert!(r.json()["erreur"]
        .as_str()
        .is_some_and(|m| m.contains("trop de requêtes")));
    // Pages are not limited by the API bucket.
    assert_eq!(get(&app, "/").await.statut, StatusCode::OK);
    // Reports: per address.
    let c = store.signalements_ouverts_count().await.expect("count");
    let statuts = {
        let mut v = Vec::new();
        for i in 0..3 {
            let r = post(
                &app,
                "/lieux/inexistant/signaler",
                &format!("message=essai {i}"),
                &[],
            )
            .await;
            v.push(r.statut);
        }
        v
    };
    assert_eq!(statuts[2], StatusCode::TOO_MANY_REQUESTS, "{statuts:?}");
    assert_eq!(store.signalements_ouverts_count().await.expect("count"), c);
}

async fn poids_des_pages(app: &Router) {
    let id = un_id(app, "territoire=dep:16").await;
    for uri in [
        "/".to_string(),
        "/lieux".to_string(),
        format!("/lieux/{}", encoder(&id)),
        "/orientation".to_string(),
        "/orientation?etape=5&besoin=Aide+aux+d%C3%A9marches+administratives".to_string(),
        "/territoires".to_string(),
        "/territoires/reg/75".to_string(),
        "/embed?territoire=dep:16".to_string(),
        "/api".to_string(),
    ] {
        let html = get(app, &uri).await.texte();
        let mut total = html.len();
        let mut vus = Vec::new();
        for motif in ["href=\"/static/", "src=\"/static/"] {
            for (i, _) in html.match_indices(motif) {
                let debut = i + motif.len() - "/static/".len();
                let fin = html[debut..].find('"').expect("end") + debut;
                let url = html[debut..fin].replace("&amp;", "&");
                if vus.contains(&url) {
                    continue;
                }
                let r = get(app, &url).await;
                assert_eq!(r.statut, StatusCode::OK, "{url}");
                total += r.corps.len();
                vus.push(url);
            }
        }
        assert!(total < 300 * 1024, "{uri}: {total} bytes");
        let leaflet = vus.iter().any(|u| u.contains("leaflet.js"));
        let carte = html.contains("id=\"carte\"");
        assert_eq!(leaflet, carte, "{uri}: Leaflet only where a map is shown");
    }
}

async fn rechargement(store: &Store) {
    let etat = Etat::nouveau(store.clone(), config()).await.expect("state");
    let app = routeur(etat.clone());
    let avant = get(&app, "/api/v1/lieux").await.json()["total"]
        .as_u64()
        .expect("n");
    assert!(!etat.rafraichir().await.expect("check"), "nothing changed");
    // Another server publishes a smaller registry.
    let mut publies = store
        .registry(&maillage_store::FiltreRegistre::default())
        .await
        .expect("registry");
    publies.truncate(10);
    store.replace_registry(&publies).await.expect("replace");
    assert!(etat.rafraichir().await.expect("reload"));
    assert_eq!(get(&app, "/api/v1/lieux").await.json()["total"], 10);
    assert!(avant > 10);
}

// ---------------------------------------------------------------------------
// Accounts

async fn messages_a(app: &Router, email: &str, sujet: &str) -> Vec<String> {
    let r = get(app, "/compte/boite-d-envoi").await;
    assert_eq!(r.statut, StatusCode::OK);
    r.texte()
        .split("<li>")
        .skip(1)
        .filter(|m| m.contains(&format!("À : {email}")) && m.contains(sujet))
        .map(str::to_string)
        .collect()
}

/// The path of the first verification link in an outbox message.
fn lien_verification(message: &str) -> String {
    let debut = message
        .find("/compte/verification?jeton=")
        .expect("verification link");
    let fin = message[debut..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || "/?=-_".contains(c)))
        .map_or(message.len(), |n| debut + n);
    message[debut..fin].to_string()
}

/// The `name=value` of the session cookie set by a response.
fn cookie_de_session(r: &Reponse) -> String {
    let c = r.entete("set-cookie");
    assert!(c.starts_with("maillage_session="), "{c}");
    c.split(';').next().expect("pair").to_string()
}

async fn inscrire(app: &Router, email: &str, nom: &str, mdp: &str) -> Reponse {
    post(
        app,
        "/compte/inscription",
        &formulaire(&[
            ("email", email),
            ("nom", nom),
            ("mot_de_passe", mdp),
            ("confirmation", mdp),
        ]),
        &[],
    )
    .await
}

async fn se_connecter(app: &Router, email: &str, mdp: &str) -> Reponse {
    post(
        app,
        "/compte/connexion",
        &formulaire(&[("email", email), ("mot_de_passe", mdp)]),
        &[],
    )
    .await
}

async fn comptes(app: &Router, etat: &Etat, store: &Store) {
    const MDP: &str = "cheval agrafe batterie correcte";
    let maintenant = etat.maintenant();

    // The empty forms.
    for (uri, attendu) in [
        ("/compte/inscription", "Créer mon compte"),
        ("/compte/connexion", "Se connecter"),
    ] {
        let r = get(app, uri).await;
        assert_eq!(r.statut, StatusCode::OK, "{uri}");
        assert!(r.texte().contains(attendu), "{uri}");
        une_seule_h1(&r.texte(), uri);
        assert_eq!(r.entete("cache-control"), "no-store", "{uri}");
    }

    // A weak password and a wrong confirmation: errors next to the fields,
    // the values kept except the passwords, no account.
    let r = post(
        app,
        "/compte/inscription",
        &formulaire(&[
            ("email", "sam.faible@exemple.fr"),
            ("nom", "Sam Faible"),
            ("mot_de_passe", "court"),
            ("confirmation", "autre"),
        ]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = r.texte();
    assert!(html.contains("au moins 12 caractères"), "{html}");
    assert!(html.contains("ne sont pas identiques"));
    assert!(html.contains("id=\"erreurs-mot-de-passe\""));
    assert!(html.contains("aria-describedby=\"aide-mot-de-passe erreurs-mot-de-passe\""));
    assert!(html.contains("aria-describedby=\"erreurs-confirmation\""));
    assert!(html.contains("value=\"sam.faible@exemple.fr\""));
    assert!(html.contains("value=\"Sam Faible\""));
    assert!(!html.contains("\"court\"") && !html.contains("\"autre\""));
    une_seule_h1(&html, "inscription refusée");
    let r = inscrire(app, "sam.faible@exemple.fr", "Sam", "motdepasse123").await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("trop courant"), "{}", r.texte());
    let r = inscrire(app, "pas-une-adresse", "Sam", MDP).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("aria-describedby=\"erreurs-email\""));
    assert!(store
        .utilisateur_par_email("sam.faible@exemple.fr")
        .await
        .expect("read")
        .is_none());

    // Sign-up: the account, unverified, and a message in the outbox.
    let r = inscrire(app, " Camille.Martin@Exemple.fr ", "Camille Martin", MDP).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let page_creation = r.texte();
    assert!(page_creation.contains("Vérifiez votre boîte aux lettres"));
    let email = "camille.martin@exemple.fr";
    let u = store
        .utilisateur_par_email(email)
        .await
        .expect("read")
        .expect("account created");
    assert_eq!(u.nom.as_deref(), Some("Camille Martin"));
    assert!(u.email_verifie_le.is_none());
    assert!(u.mot_de_passe.starts_with("$argon2id$"));
    let confirmations = messages_a(app, email, "confirmez").await;
    assert_eq!(confirmations.len(), 1);
    let lien = lien_verification(&confirmations[0]);
    assert!(lien.len() > 40, "{lien}");

    // Duplicate sign-up: the same page, another message, nothing changed.
    let r = inscrire(app, "CAMILLE.martin@exemple.fr", "Quelqu'un d'autre", MDP).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(
        r.texte(),
        page_creation,
        "same answer whether the account exists"
    );
    assert_eq!(messages_a(app, email, "déjà un compte").await.len(), 1);
    assert_eq!(messages_a(app, email, "confirmez").await.len(), 1);
    let apres = store.utilisateur_par_email(email).await.expect("read");
    assert_eq!(apres.and_then(|u| u.nom).as_deref(), Some("Camille Martin"));

    // Not verified yet: refused, with an offer to resend.
    let r = se_connecter(app, email, MDP).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(r.texte().contains("Adresse e-mail non confirmée"));
    assert!(r
        .texte()
        .contains("action=\"/compte/verification/renvoyer\""));
    assert!(r.entete("set-cookie").is_empty());
    let r = post(
        app,
        "/compte/verification/renvoyer",
        &formulaire(&[("email", email)]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    let page_renvoi = r.texte();
    assert_eq!(messages_a(app, email, "confirmez").await.len(), 2);
    let avant = get(app, "/compte/boite-d-envoi")
        .await
        .texte()
        .matches("<li>")
        .count();
    let r = post(
        app,
        "/compte/verification/renvoyer",
        &formulaire(&[("email", "personne@exemple.fr")]),
        &[],
    )
    .await;
    assert_eq!(r.texte(), page_renvoi, "same answer for an unknown address");
    let apres = get(app, "/compte/boite-d-envoi")
        .await
        .texte()
        .matches("<li>")
        .count();
    assert_eq!(avant, apres, "nothing sent to an unknown address");

    // Verification, then the same link again, an unknown one, an expired one.
    let r = get(app, &lien).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert!(r.texte().contains("Adresse e-mail confirmée"));
    assert!(r.texte().contains("href=\"/compte/connexion\""));
    let u = store
        .utilisateur_par_email(email)
        .await
        .expect("read")
        .expect("account");
    assert_eq!(u.email_verifie_le, Some(maintenant));
    let r = get(app, &lien).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("déjà été utilisé"), "{}", r.texte());
    assert!(r.texte().contains("connectez-vous"));
    for uri in [
        "/compte/verification?jeton=inconnu",
        "/compte/verification?jeton=",
        "/compte/verification",
    ] {
        let r = get(app, uri).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            r.texte().contains("Ce lien n&#39;est pas valide.")
                || r.texte().contains("Ce lien n&#x27;est pas valide."),
            "{uri}: {}",
            r.texte()
        );
        une_seule_h1(&r.texte(), uri);
    }
    let but = maillage_comptes::ButJeton::VerificationEmail;
    let (clair, jeton) = maillage_comptes::Jeton::nouveau(
        but,
        maintenant - chrono::Duration::days(3),
        but.duree_par_defaut(),
    )
    .expect("token");
    store
        .enregistrer_jeton(&maillage_store::JetonEnregistre {
            jeton,
            utilisateur_id: Some(u.id.clone()),
            email: None,
            cree_le: maintenant - chrono::Duration::days(3),
        })
        .await
        .expect("token stored");
    let r = get(app, &format!("/compte/verification?jeton={clair}")).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("expiré"), "{}", r.texte());

    // A wrong password.
    let r = se_connecter(app, email, "pas le bon mot de passe").await;
    assert_eq!(r.statut, StatusCode::UNAUTHORIZED);
    assert!(r
        .texte()
        .contains("Adresse e-mail ou mot de passe incorrect."));
    assert!(r.entete("set-cookie").is_empty());

    // Cross-site POSTs are refused before anything happens.
    for (uri, corps) in [
        (
            "/compte/connexion",
            formulaire(&[("email", email), ("mot_de_passe", MDP)]),
        ),
        (
            "/compte/inscription",
            formulaire(&[
                ("email", "intrus@exemple.fr"),
                ("nom", "Intrus"),
                ("mot_de_passe", MDP),
                ("confirmation", MDP),
            ]),
        ),
        (
            "/compte/verification/renvoyer",
            formulaire(&[("email", email)]),
        ),
        ("/compte/deconnexion", String::new()),
    ] {
        for entetes in [
            &[("sec-fetch-site", "cross-site")][..],
            &[
                ("host", "maillage.exemple.fr"),
                ("origin", "https://malveillant.exemple"),
            ][..],
        ] {
            let r = post(app, uri, &corps, entetes).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{uri} {entetes:?}");
            assert!(r.texte().contains("Envoi refusé"), "{uri}");
            assert!(r.entete("set-cookie").is_empty(), "{uri}");
        }
    }
    assert!(store
        .utilisateur_par_email("intrus@exemple.fr")
        .await
        .expect("read")
        .is_none());

    // Sign-in: a session cookie, its token stored hashed only.
    let r = post(
        app,
        "/compte/connexion",
        &formulaire(&[
            ("email", "Camille.Martin@exemple.fr"),
            ("mot_de_passe", MDP),
        ]),
        &[
            ("host", "maillage.exemple.fr"),
            ("origin", "http://maillage.exemple.fr"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(r.entete("location"), "/espace");
    let set_cookie = r.entete("set-cookie");
    for attribut in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribut), "{attribut}: {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let cookie = cookie_de_session(&r);
    let valeur = cookie.trim_start_matches("maillage_session=");
    assert!(valeur.len() >= 43, "{valeur}");
    let empreinte = maillage_comptes::Jeton::empreinte_de(valeur);
    let session = store
        .session(&empreinte, maintenant)
        .await
        .expect("read")
        .expect("session stored by fingerprint");
    assert_eq!(session.utilisateur_id, u.id);
    assert!(store
        .session(valeur, maintenant)
        .await
        .expect("read")
        .is_none());

    // The signed-in space.
    let r = get_avec_cookie(app, "/espace", &cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(
        r.texte().contains("Bonjour Camille Martin"),
        "{}",
        r.texte()
    );
    // Mediators sign themselves up: the role comes with the account.
    assert!(r.texte().contains("Médiateur numérique"));
    assert!(r
        .texte()
        .contains("/espace/activites/nouvelle?type=individuel"));
    assert!(!r.texte().contains("Aucun rôle"));
    assert!(!r.texte().contains("/espace/journal"));
    assert!(r.texte().contains("action=\"/compte/deconnexion\""));
    assert_eq!(r.entete("cache-control"), "no-store");
    une_seule_h1(&r.texte(), "/espace");
    store
        .attribuer(
            &u.id,
            &maillage_comptes::Attribution::administrateur(),
            None,
            maintenant,
        )
        .await
        .expect("role");
    let r = get_avec_cookie(app, "/espace", &cookie).await;
    assert!(r.texte().contains("Administrateur"));
    assert!(r.texte().contains("/espace/journal"));
    let r = get_avec_cookie(app, "/compte/connexion", &cookie).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/espace");
    // A forged cookie is no session.
    let r = get_avec_cookie(app, "/espace", "maillage_session=invente").await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);

    // A cross-site sign-out is refused: the session survives.
    let r = envoyer(
        app,
        Request::post("/compte/deconnexion")
            .header(header::COOKIE, &cookie)
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert_eq!(
        get_avec_cookie(app, "/espace", &cookie).await.statut,
        StatusCode::OK
    );

    // Sign-out: the session and the cookie are gone.
    let r = envoyer(
        app,
        Request::post("/compte/deconnexion")
            .header(header::COOKIE, &cookie)
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/compte/connexion?deconnecte=1");
    let efface = r.entete("set-cookie");
    assert!(
        efface.starts_with("maillage_session=;") && efface.contains("Max-Age=0"),
        "{efface}"
    );
    assert!(store
        .session(&empreinte, maintenant)
        .await
        .expect("read")
        .is_none());
    let r = get_avec_cookie(app, "/espace", &cookie).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/compte/connexion");
    let r = get(app, "/compte/connexion?deconnecte=1").await;
    assert!(r.texte().contains("Vous êtes déconnecté."));

    // Throttling: five failures block the address, even the right password;
    // an address without an account is throttled the same way.
    let autre = "dominique.bernard@exemple.fr";
    assert_eq!(
        inscrire(app, autre, "Dominique Bernard", MDP).await.statut,
        StatusCode::OK
    );
    let lien = lien_verification(&messages_a(app, autre, "confirmez").await[0]);
    assert_eq!(get(app, &lien).await.statut, StatusCode::OK);
    for cible in [autre, "personne@exemple.fr"] {
        for i in 1..=4 {
            let r = se_connecter(app, cible, "mauvais mot de passe").await;
            assert_eq!(r.statut, StatusCode::UNAUTHORIZED, "{cible} attempt {i}");
        }
        let r = se_connecter(app, cible, "mauvais mot de passe").await;
        assert_eq!(r.statut, StatusCode::TOO_MANY_REQUESTS, "{cible}");
        assert!(
            r.texte()
                .contains("Trop de tentatives : réessayez dans 1 minute."),
            "{}",
            r.texte()
        );
        assert_eq!(r.entete("retry-after"), "60");
    }
    let r = se_connecter(app, autre, MDP).await;
    assert_eq!(
        r.statut,
        StatusCode::TOO_MANY_REQUESTS,
        "blocked even with the right password"
    );
    assert!(r.entete("set-cookie").is_empty());
    assert!(store
        .freinage(&format!("email:{autre}"))
        .await
        .expect("read")
        .is_some_and(|f| f.attente(maintenant).is_some()));
    // Another address is not blocked by it.
    assert_eq!(
        se_connecter(app, email, MDP).await.statut,
        StatusCode::SEE_OTHER
    );

    // The journal: the codes, and neither e-mail nor password in details.
    let journal = store.journal(1000, None).await.expect("journal");
    for code in [
        "verification_email",
        "connexion",
        "echec_connexion",
        "deconnexion",
        "blocage_connexion",
    ] {
        assert!(journal.iter().any(|e| e.action == code), "{code}");
    }
    let codes = [
        "verification_email",
        "connexion",
        "echec_connexion",
        "deconnexion",
        "blocage_connexion",
    ];
    for e in journal
        .iter()
        .filter(|e| codes.contains(&e.action.as_str()))
    {
        let d = e.details.to_string();
        assert!(
            !d.contains('@') && !d.contains(MDP) && !d.contains("mauvais"),
            "{d}"
        );
    }
    assert!(journal
        .iter()
        .any(|e| e.action == "connexion" && e.acteur_id.as_deref() == Some(u.id.as_str())));

    // Behind a TLS-terminating proxy the cookie is Secure.
    let derriere = routeur(
        Etat::avec_catalogue(
            store.clone(),
            etat.catalogue(),
            Config {
                derriere_proxy: true,
                ..config()
            },
        )
        .expect("state"),
    );
    let r = post(
        &derriere,
        "/compte/connexion",
        &formulaire(&[("email", email), ("mot_de_passe", MDP)]),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert!(
        r.entete("set-cookie").contains("; Secure"),
        "{}",
        r.entete("set-cookie")
    );
    // Without the proxy setting the header is not trusted.
    let r = post(
        app,
        "/compte/connexion",
        &formulaire(&[("email", email), ("mot_de_passe", MDP)]),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(!r.entete("set-cookie").contains("Secure"));

    // The outbox is hidden unless configured.
    let cache = routeur(
        Etat::avec_catalogue(
            store.clone(),
            etat.catalogue(),
            Config {
                boite_d_envoi_visible: false,
                ..config()
            },
        )
        .expect("state"),
    );
    assert_eq!(
        get(&cache, "/compte/boite-d-envoi").await.statut,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------
// Backends

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sur_sqlite() {
    harnais::sur_sqlite(|store| async move {
        remplir(&store).await;
        suite(store).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sur_postgres() {
    harnais::sur_postgres(|store| async move {
        remplir(&store).await;
        suite(store).await;
    })
    .await;
}
