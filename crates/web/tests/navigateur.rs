//! The site in a real browser: Debian's Chromium, driven through
//! chromedriver (WebDriver, client `fantoccini`), on the site served in
//! process over the full demonstration registry (every dataset of `data/`,
//! built as `maillage demo` builds it) in a temporary SQLite file. No network:
//! the map has no tiles, as with `maillage serve` without `--tuiles`.
//!
//! - `axe_sur_chaque_page`: axe-core (WCAG 2.0/2.1 A and AA rules, vendored
//!   in `tests/navigateur/axe/`, never served) finds no violation on any
//!   page, in each of its states: search with and without filters and
//!   results, a filter error, place pages (a plain one, the most complete
//!   one, after a report), each questionnaire step, its results (some and
//!   none), the orientation sheet (form, errors, printable), territories,
//!   the embeddable page, the documentation pages, the stewards' space
//!   (login, wrong token, list of reports, report closed), the accounts
//!   (sign-up with errors and sent, unverified sign-in, the outbox, the
//!   verification link, a refused link, `/espace`, signed out) and error
//!   pages.
//! - `questionnaire_jusqu_a_la_fiche_imprimee`: need → place and radius →
//!   adapted welcome → availability (the live count follows the answers) →
//!   results → a place → its orientation sheet, printed (print button, print
//!   stylesheet, PDF from the WebDriver print endpoint); the sheet's URL alone
//!   renders it again and nothing was written to the database.
//! - `filtres_et_carte`: the filters of `/lieux`, then the map's markers
//!   and their popups lead to a place.
//! - `sans_javascript`: with JavaScript disabled, the quick search, the
//!   filters (GET forms), the pages of results, every questionnaire step,
//!   the orientation sheet and the error report all work.
//! - `clavier_seul`: the skip link comes first and moves focus to the
//!   content; every focus stop of the search page is visible; the filters are
//!   filled and sent with keys only.
//! - `poids_des_pages`: every page weighs less than 300 KB transferred
//!   (document, styles, scripts, images, the map's GeoJSON), cache disabled.
//! - `integration_en_iframe`: `/embed` (territory map included) works in an
//!   iframe of another site, while `/lieux` is refused there.
//! - `petit_ecran`: on a phone 320 CSS pixels wide, no page scrolls
//!   horizontally (WCAG 1.4.10, which axe does not check).
//! - `activite_au_clavier`: a mediator signs up, confirms, signs in and
//!   records a typical individual accompaniment with the keyboard only
//!   (keystrokes counted), then finds it in the list, in the statistics
//!   (total and thématique) and in both CSV exports (list, statistics);
//!   axe-core on the activity pages (empty forms, errors, list, detail,
//!   delete confirmation) and the statistics.
//! - `espace_par_role`: axe-core on the account, administration, team and
//!   structure pages, role by role, with their error states.
//! - `espace_donnees_par_role`: axe-core on the beneficiaries (list, search,
//!   form and its errors, detail, duplicates and merge, import and its error
//!   report, deletion), the statistics of each role's scopes (with data,
//!   filtered, empty, filter errors), the pilotage table (département,
//!   région, national, error) and the API tokens (errors, the one-time
//!   display, list, revocation); again on PostgreSQL
//!   (`espace_donnees_par_role_postgres`, `MAILLAGE_TEST_POSTGRES` as for the
//!   other suites, or `MAILLAGE_SKIP_POSTGRES=1`).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages
//! `chromium` and `chromium-driver`; other paths: `MAILLAGE_CHROMIUM`,
//! `MAILLAGE_CHROMEDRIVER`). When they are missing the tests say so and
//! pass, except in CI (`CI` set), where they fail.

use axum::http::{HeaderMap, Method, StatusCode};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::{PrintConfiguration, TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use maillage_store::Store;
use maillage_web::{routeur, Config, Etat};
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// axe-core, injected into each page by WebDriver (test-only asset).
const AXE: &str = include_str!("navigateur/axe/axe.min.js");
/// The rule sets required: WCAG 2.1 level AA.
const NORMES: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";
/// Longest wait for an element, a page or a script.
const ATTENTE: Duration = Duration::from_secs(10);
/// Page weight budget before map tiles, bytes.
const POIDS_MAX: u64 = 300 * 1000;
const JETON: &str = "jeton-de-test-du-navigateur-0123456789";
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
const BESOIN: &str = "Aide aux démarches administratives";

// ---------------------------------------------------------------------------
// The site

struct Site {
    base: String,
    url_base: String,
    store: Store,
    serveur: tokio::task::JoinHandle<()>,
    _dossier: tempfile::TempDir,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.serveur.abort();
    }
}

/// Fixed clock (Tuesday 2025-03-11 10:00 in Paris), generous limits, no
/// minimum fill time, the stewards' space on.
fn config() -> Config {
    Config {
        delai_min_signalement: Duration::ZERO,
        api_par_seconde: 10_000.0,
        api_rafale: 10_000.0,
        signalements_par_heure: 1_000,
        horloge: Some(
            chrono::DateTime::parse_from_rfc3339("2025-03-11T09:00:00Z")
                .expect("date")
                .with_timezone(&chrono::Utc),
        ),
        secret: b"secret de test".to_vec(),
        jeton_gestion: Some(JETON.to_string()),
        boite_d_envoi_visible: true,
        ..Config::default()
    }
}

/// Builds the demo registry in a temporary SQLite file and serves the site
/// on a free port of 127.0.0.1.
async fn site() -> Site {
    let dossier = tempfile::tempdir().expect("temporary directory");
    let url_base = format!("sqlite://{}", dossier.path().join("registre.db").display());
    site_sur(url_base, dossier).await
}

/// The same on the store at `url_base` (SQLite or PostgreSQL).
async fn site_sur(url_base: String, dossier: tempfile::TempDir) -> Site {
    let store = Store::connect(&url_base).await.expect("SQLite store");
    let referentiel = maillage_territoires::Referentiel::embarque().expect("referential");
    let rapport = maillage_registre::demo::construire(
        &store,
        referentiel,
        Path::new(DATA),
        &dossier.path().join("export"),
    )
    .await
    .expect("demo registry");
    assert!(rapport.echecs.is_empty(), "{:?}", rapport.echecs);
    let etat = Etat::nouveau(store.clone(), config()).await.expect("state");
    let ecouteur = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let adresse = ecouteur.local_addr().expect("address");
    let app = routeur(etat).into_make_service_with_connect_info::<SocketAddr>();
    let serveur = tokio::spawn(async move {
        let _ = axum::serve(ecouteur, app).await;
    });
    Site {
        base: format!("http://{adresse}"),
        url_base,
        store,
        serveur,
        _dossier: dossier,
    }
}

impl Site {
    fn url(&self, chemin: &str) -> String {
        format!("{}{chemin}", self.base)
    }

    /// A plain HTTP GET (no browser), for headers and data.
    async fn get(&self, chemin: &str) -> (StatusCode, HeaderMap, String) {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let uri = self.url(chemin).parse().expect("URI");
        let rep = client.get(uri).await.expect("GET");
        let statut = rep.status();
        let entetes = rep.headers().clone();
        let corps = rep.into_body().collect().await.expect("body").to_bytes();
        (
            statut,
            entetes,
            String::from_utf8_lossy(&corps).into_owned(),
        )
    }

    /// A GET with the browser's session cookie (no browser): the exports,
    /// which a browser downloads instead of showing.
    async fn get_avec_session(&self, c: &Client, chemin: &str) -> (StatusCode, HeaderMap, String) {
        let session = c
            .get_named_cookie("maillage_session")
            .await
            .expect("session cookie");
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<bytes::Bytes>>();
        let requete = axum::http::Request::get(self.url(chemin))
            .header(
                axum::http::header::COOKIE,
                format!("maillage_session={}", session.value()),
            )
            .body(http_body_util::Empty::new())
            .expect("request");
        let rep = client.request(requete).await.expect("GET");
        let statut = rep.status();
        let entetes = rep.headers().clone();
        let corps = rep.into_body().collect().await.expect("body").to_bytes();
        (
            statut,
            entetes,
            String::from_utf8_lossy(&corps).into_owned(),
        )
    }

    async fn json(&self, chemin: &str) -> Value {
        let (statut, _, corps) = self.get(chemin).await;
        assert_eq!(statut, StatusCode::OK, "{chemin}: {corps}");
        serde_json::from_str(&corps).expect("JSON")
    }

    /// Number of rows of every table of the database.
    async fn lignes(&self) -> BTreeMap<String, i64> {
        let mut conn = sqlx::SqliteConnection::connect(&self.url_base)
            .await
            .expect("SQLite connection");
        let tables: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
        let mut n = BTreeMap::new();
        for t in tables {
            let c: i64 = sqlx::query(&format!("SELECT count(*) FROM \"{t}\""))
                .fetch_one(&mut conn)
                .await
                .expect("count")
                .get(0);
            n.insert(t, c);
        }
        n
    }

    /// The id of the first place answering an API query.
    async fn un_lieu(&self, requete: &str) -> (String, String) {
        let j = self
            .json(&format!("/api/v1/lieux?par_page=1&{requete}"))
            .await;
        let l = &j["lieux"][0];
        (
            l["id"].as_str().expect("id").to_string(),
            l["nom"].as_str().expect("nom").to_string(),
        )
    }

    /// The place with the most fields filled in.
    async fn lieu_le_plus_complet(&self) -> String {
        let j = self.json("/api/v1/exports/lieux.json").await;
        let lieux = j.as_array().expect("array");
        let l = lieux
            .iter()
            .max_by_key(|l| l.as_object().map_or(0, |o| o.len()))
            .expect("places");
        l["id"].as_str().expect("id").to_string()
    }
}

fn encoder(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------------------
// The browser

struct Navigateur {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

/// How the browser is set up.
#[derive(Debug, Clone, Copy)]
enum Reglage {
    /// A 1280 × 1000 window, JavaScript on.
    Ordinaire,
    /// The same, JavaScript disabled.
    SansJavascript,
    /// A phone 320 CSS pixels wide (WCAG 1.4.10 reflow width).
    Mobile,
}

/// chromedriver, stopped when dropped.
struct Pilote {
    enfant: Child,
    url: String,
}

impl Drop for Pilote {
    fn drop(&mut self) {
        let _ = self.enfant.kill();
        let _ = self.enfant.wait();
    }
}

impl Navigateur {
    /// The browser binaries; `None` (with the reason printed) when they are
    /// missing outside CI. In CI a missing browser fails the test.
    fn trouver() -> Option<Navigateur> {
        let chemin = |var: &str, defaut: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(defaut))
        };
        let chromium = chemin("MAILLAGE_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = chemin("MAILLAGE_CHROMEDRIVER", "/usr/bin/chromedriver");
        let manquants: Vec<String> = [&chromium, &chromedriver]
            .into_iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if manquants.is_empty() {
            return Some(Navigateur {
                chromium,
                chromedriver,
            });
        }
        let raison = format!(
            "navigateur absent ({}) : installez les paquets Debian chromium et chromium-driver \
             (apt-get install chromium chromium-driver), ou donnez MAILLAGE_CHROMIUM et \
             MAILLAGE_CHROMEDRIVER",
            manquants.join(", ")
        );
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("{raison}");
        }
        eprintln!("test ignoré : {raison}");
        None
    }

    fn lancer_pilote(&self) -> Pilote {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let enfant = Command::new(&self.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let pilote = Pilote {
            enfant,
            url: format!("http://127.0.0.1:{port}"),
        };
        let debut = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                debut.elapsed() < ATTENTE,
                "chromedriver does not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        pilote
    }

    /// Runs `test` in a fresh headless Chromium session, then closes it,
    /// whatever happened.
    async fn session<F, Fut>(&self, reglage: Reglage, test: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = ()>,
    {
        let pilote = self.lancer_pilote();
        let mut options = json!({
            "binary": self.chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-extensions", "--no-first-run",
                "--window-size=1280,1000", "--lang=fr-FR",
            ],
        });
        match reglage {
            Reglage::Ordinaire => {}
            Reglage::SansJavascript => {
                options["prefs"] =
                    json!({ "profile.managed_default_content_settings.javascript": 2 });
            }
            Reglage::Mobile => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 320, "height": 640, "pixelRatio": 2 }
                });
            }
        }
        let mut capacites = serde_json::Map::new();
        capacites.insert("browserName".into(), json!("chrome"));
        capacites.insert("goog:chromeOptions".into(), options);
        let mut client = None;
        for essai in 0..3 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capacites.clone())
                .connect(&pilote.url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) if essai < 2 => {
                    eprintln!("session WebDriver refusée ({e}), nouvel essai");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        }
        let client = client.expect("session");
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(60)),
                None,
            ))
            .await
            .expect("timeouts");
        let resultat = AssertUnwindSafe(test(client.clone())).catch_unwind().await;
        let _ = client.close().await;
        drop(pilote);
        if let Err(e) = resultat {
            std::panic::resume_unwind(e);
        }
    }
}

/// A chromedriver command of the DevTools protocol.
#[derive(Debug)]
struct Cdp {
    commande: &'static str,
    parametres: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (
            Method::POST,
            Some(json!({ "cmd": self.commande, "params": self.parametres }).to_string()),
        )
    }
}

async fn cdp(c: &Client, commande: &'static str, parametres: Value) {
    c.issue_cmd(Cdp {
        commande,
        parametres,
    })
    .await
    .unwrap_or_else(|e| panic!("CDP {commande}: {e}"));
}

// ---------------------------------------------------------------------------
// Helpers

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("script {script}: {e}"))
}

/// Polls `script` (returning a boolean) until true, up to `ATTENTE`.
async fn attendre_que(c: &Client, script: &str, quoi: &str) {
    let debut = Instant::now();
    loop {
        if let Ok(Value::Bool(true)) = c.execute(script, Vec::new()).await {
            return;
        }
        if debut.elapsed() > ATTENTE {
            let url = c.current_url().await.map(|u| u.to_string());
            panic!("attente dépassée : {quoi} (page {url:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn trouver(c: &Client, css: &str) -> Element {
    trouver_par(c, Locator::Css(css)).await
}

async fn trouver_xpath(c: &Client, xpath: &str) -> Element {
    trouver_par(c, Locator::XPath(xpath)).await
}

async fn trouver_par(c: &Client, ou: Locator<'_>) -> Element {
    match c.wait().at_most(ATTENTE).for_element(ou).await {
        Ok(e) => e,
        Err(e) => {
            let url = c.current_url().await.map(|u| u.to_string());
            panic!("élément {ou:?} introuvable sur {url:?} : {e}");
        }
    }
}

/// Opens the "Frais à la charge" facet (closed by default), ticks
/// "Gratuit" and submits the filters.
async fn filtrer_gratuit(c: &Client) {
    trouver_xpath(
        c,
        "//details[summary[contains(., 'Frais à la charge')]]/summary",
    )
    .await
    .click()
    .await
    .expect("open facet");
    trouver(c, "input[name=frais_a_charge][value=Gratuit]")
        .await
        .click()
        .await
        .expect("free");
    let rechercher = trouver(c, "form.filtres button[type=submit]").await;
    cliquer_puis_attendre(c, rechercher).await;
}

async fn texte(c: &Client, css: &str) -> String {
    trouver(c, css).await.text().await.expect("text")
}

/// Whitespace collapsed, as WebDriver gives an element's text.
fn espaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn nombre(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.expect("find_all").len()
}

/// Waits until the page is loaded and, when it has a map and scripts run,
/// until the map has drawn its places.
async fn page_prete(c: &Client) {
    attendre_que(
        c,
        "return document.readyState === 'complete'",
        "chargement de la page",
    )
    .await;
    let carte = js(
        c,
        "var el = document.getElementById('carte');
         if (!el || !window.L) { return 'sans'; }
         return el.hasAttribute('data-geojson') ? 'geojson' : 'point';",
    )
    .await;
    match carte.as_str() {
        Some("geojson") => {
            attendre_que(
                c,
                "return document.querySelector('#carte.carte-active.leaflet-container') !== null
                    && performance.getEntriesByType('resource').some(function (e) {
                        return e.name.indexOf('/api/v1/carte') >= 0 && e.responseEnd > 0; })",
                "la carte et ses lieux",
            )
            .await;
            // Markers are added once the GeoJSON is parsed.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Some("point") => {
            attendre_que(
                c,
                "return document.querySelector('#carte .leaflet-marker-icon') !== null",
                "le lieu sur la carte",
            )
            .await;
        }
        _ => {}
    }
}

async fn aller(c: &Client, site: &Site, chemin: &str) {
    c.goto(&site.url(chemin))
        .await
        .unwrap_or_else(|e| panic!("{chemin}: {e}"));
    page_prete(c).await;
}

/// Clicks `element` and waits for the next page.
async fn cliquer_puis_attendre(c: &Client, element: Element) {
    js(c, "window.__maillagePagePrecedente = true; return null;").await;
    element.click().await.expect("click");
    attendre_que(
        c,
        "return !window.__maillagePagePrecedente && document.readyState === 'complete'",
        "la page suivante",
    )
    .await;
    page_prete(c).await;
}

/// Presses one key on the keyboard (no element targeted).
async fn touche(c: &Client, k: impl Into<char>) {
    let k: char = k.into();
    c.perform_actions(
        KeyActions::new("clavier".to_string())
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k }),
    )
    .await
    .expect("key");
}

async fn taper(c: &Client, texte: &str) {
    let mut a = KeyActions::new("clavier".to_string());
    for ch in texte.chars() {
        a = a
            .then(KeyAction::Down { value: ch })
            .then(KeyAction::Up { value: ch });
    }
    c.perform_actions(a).await.expect("keys");
}

async fn url_courante(c: &Client) -> String {
    c.current_url().await.expect("url").to_string()
}

/// True when scripts of the page run (false in the JavaScript-off session,
/// where the HTML parser, for instance, parses `<noscript>` content as
/// elements).
async fn scripts_actifs(c: &Client) -> bool {
    js(
        c,
        "var d = document.createElement('div');
         d.innerHTML = '<noscript><i></i></noscript>';
         return d.querySelector('i') === null;",
    )
    .await
    .as_bool()
    .unwrap_or(true)
}

// ---------------------------------------------------------------------------
// axe

#[derive(Default)]
struct RapportAxe {
    pages: Vec<(String, usize, usize)>,
    echecs: Vec<String>,
}

/// Runs axe-core on the current page; records the violations.
async fn axe(c: &Client, nom: &str, rapport: &mut RapportAxe) {
    page_prete(c).await;
    let titre = c.title().await.unwrap_or_default();
    assert!(
        !titre.is_empty() && !titre.contains("Erreur interne"),
        "{nom}: title « {titre} »"
    );
    if js(c, "return typeof window.axe;").await != json!("object") {
        c.execute(&format!("{AXE}\n;return typeof window.axe;"), Vec::new())
            .await
            .expect("inject axe-core");
    }
    let script = format!(
        "var fin = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {NORMES} }} }}).then(function (r) {{
           fin({{
             regles: r.passes.length + r.violations.length + r.incomplete.length,
             violations: r.violations.map(function (v) {{
               return {{ id: v.id, impact: v.impact, aide: v.help, url: v.helpUrl,
                 noeuds: v.nodes.map(function (n) {{
                   return {{ cible: n.target.join(' '), html: n.html.slice(0, 400),
                            resume: n.failureSummary || '' }}; }}) }}; }}),
             incomplets: r.incomplete.map(function (v) {{ return v.id + ' (' + v.nodes.length + ')'; }})
           }});
         }}, function (e) {{ fin({{ erreur: String(e && e.stack || e) }}); }});"
    );
    let r = c
        .execute_async(&script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("axe on {nom}: {e}"));
    if let Some(e) = r.get("erreur") {
        panic!("axe on {nom}: {e}");
    }
    let violations = r["violations"].as_array().cloned().unwrap_or_default();
    let regles = r["regles"].as_u64().unwrap_or(0) as usize;
    eprintln!(
        "axe {nom} : {} violation(s), {regles} règles appliquées{}",
        violations.len(),
        match r["incomplets"].as_array() {
            Some(i) if !i.is_empty() => format!(
                ", à revoir à la main : {}",
                i.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        }
    );
    for v in &violations {
        let mut s = format!(
            "{nom} — {} [{}] {} ({})",
            v["id"].as_str().unwrap_or_default(),
            v["impact"].as_str().unwrap_or_default(),
            v["aide"].as_str().unwrap_or_default(),
            v["url"].as_str().unwrap_or_default()
        );
        for n in v["noeuds"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "\n    · {}\n      {}\n      {}",
                n["cible"].as_str().unwrap_or_default(),
                n["html"].as_str().unwrap_or_default(),
                n["resume"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', "\n      ")
            ));
        }
        rapport.echecs.push(s);
    }
    rapport
        .pages
        .push((nom.to_string(), violations.len(), regles));
}

async fn axe_sur(c: &Client, site: &Site, chemin: &str, rapport: &mut RapportAxe) {
    aller(c, site, chemin).await;
    axe(c, chemin, rapport).await;
}

// ---------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_sur_chaque_page() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    let (simple, _) = site
        .un_lieu(&format!(
            "pres_de=16000&rayon_km=20&services={}",
            encoder(BESOIN)
        ))
        .await;
    let riche = site.lieu_le_plus_complet().await;
    nav.session(Reglage::Ordinaire, |c| async move {
        let mut rapport = RapportAxe::default();
        let b = encoder(BESOIN);
        let q2 = format!("besoin={b}");
        let q3 = format!("{q2}&pres_de=Angoul%C3%AAme&rayon_km=20");
        let q4 = format!("{q3}&prise_en_charge_specifique=Surdit%C3%A9");
        let q5 = format!("{q4}&disponibilite=creneau&jour=samedi&de=09%3A00&a=12%3A00");
        let mut pages = vec![
            "/".to_string(),
            "/lieux".to_string(),
            format!("/lieux?pres_de=16000&rayon_km=20&services={b}&frais_a_charge=Gratuit&tri=distance"),
            "/lieux?q=zzzzqqqwww".to_string(),
            "/lieux?services=Jardinage".to_string(),
            "/lieux?page=3".to_string(),
            "/lieux?ouvert_maintenant=true&territoire=dep%3A33".to_string(),
            format!("/lieux/{}", maillage_web::pages::segment(&simple)),
            format!("/lieux/{}", maillage_web::pages::segment(&riche)),
            format!("/lieux/{}?signalement=envoye", maillage_web::pages::segment(&riche)),
            "/orientation".to_string(),
            format!("/orientation?etape=2&{q2}"),
            format!("/orientation?etape=3&{q3}"),
            format!("/orientation?etape=4&{q4}"),
            format!("/orientation?etape=5&{q5}"),
            format!("/orientation?etape=5&{q5}&page=2"),
            format!("/orientation?etape=5&{q2}&pres_de=47.5%2C%20-30.0&rayon_km=5"),
            format!("/orientation?etape=3&{q2}&pres_de=Nullepartville&rayon_km=20"),
            format!("/orientation/fiche?lieu={}", encoder(&simple)),
            format!("/orientation/fiche?lieu={}&imprimer=1&beneficiaire=", encoder(&simple)),
            format!(
                "/orientation/fiche?lieu={}&imprimer=1&beneficiaire=Yasmine&prescripteur=Paul%20Martin&structure=CCAS&precisions=Vient%20avec%20sa%20fille",
                encoder(&riche)
            ),
            "/orientation/fiche".to_string(),
            "/territoires".to_string(),
            "/territoires/reg/75".to_string(),
            "/territoires/dep/33".to_string(),
            "/territoires/dep/33?page=2".to_string(),
            "/territoires/dep/988".to_string(),
            "/territoires/france/diagnostic".to_string(),
            "/territoires/reg/75/diagnostic".to_string(),
            "/territoires/dep/16/diagnostic".to_string(),
            "/territoires/dep/16/diagnostic?distance=30&indicateur=densite".to_string(),
            "/territoires/epci/200071827/diagnostic".to_string(),
            "/territoires/com/16015/diagnostic".to_string(),
            "/territoires/dep/00/diagnostic".to_string(),
            "/embed?territoire=dep%3A16".to_string(),
            "/embed?territoire=dep%3A33&frais_a_charge=Gratuit".to_string(),
            "/embed".to_string(),
            "/integration".to_string(),
            "/api".to_string(),
            "/donnees-personnelles".to_string(),
            "/gestion/connexion".to_string(),
            "/compte/inscription".to_string(),
            "/compte/connexion".to_string(),
            "/compte/verification?jeton=inconnu".to_string(),
            "/compte/boite-d-envoi".to_string(),
            "/page-qui-n-existe-pas".to_string(),
            "/lieux/identifiant-inconnu".to_string(),
            "/territoires/dep/00".to_string(),
        ];
        for p in pages.drain(..) {
            axe_sur(&c, site, &p, &mut rapport).await;
        }

        // An error report: refused (message too short), then sent.
        aller(&c, site, &format!("/lieux/{}", maillage_web::pages::segment(&simple))).await;
        trouver(&c, "#categorie-1").await.click().await.expect("category");
        trouver(&c, "#message").await.send_keys("abc").await.expect("message");
        let envoyer = trouver(&c, "form[action$='/signaler'] button[type=submit]").await;
        cliquer_puis_attendre(&c, envoyer).await;
        assert!(texte(&c, ".signalement .alerte-erreur").await.contains("5 caractères"));
        axe(&c, "/lieux/{id}/signaler (erreurs)", &mut rapport).await;
        let message = trouver(&c, "#message").await;
        message.clear().await.expect("clear");
        message
            .send_keys("Le numéro de téléphone a changé.")
            .await
            .expect("message");
        let envoyer = trouver(&c, "form[action$='/signaler'] button[type=submit]").await;
        cliquer_puis_attendre(&c, envoyer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("Merci"));

        // The stewards' space: wrong token, then the list, then closing.
        aller(&c, site, "/gestion/connexion").await;
        trouver(&c, "#jeton").await.send_keys("pas le bon jeton").await.expect("token");
        let bouton = trouver(&c, "form[action='/gestion/connexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, ".alerte-erreur").await.contains("Connexion refusée"));
        axe(&c, "/gestion/connexion (jeton refusé)", &mut rapport).await;
        trouver(&c, "#jeton").await.send_keys(JETON).await.expect("token");
        let bouton = trouver(&c, "form[action='/gestion/connexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(
            url_courante(&c).await.ends_with("/gestion/signalements"),
            "{}",
            url_courante(&c).await
        );
        assert!(texte(&c, ".liste-signalements").await.contains("téléphone a changé"));
        axe(&c, "/gestion/signalements", &mut rapport).await;
        let fermer = trouver(&c, "form[action$='/fermer'] button").await;
        cliquer_puis_attendre(&c, fermer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("traité"));
        axe(&c, "/gestion/signalements?ferme=1", &mut rapport).await;

        // Accounts: sign-up refused then accepted, unverified sign-in, the
        // outbox and its link, the signed-in space, sign-out.
        const MDP: &str = "cheval agrafe batterie correcte";
        aller(&c, site, "/compte/inscription").await;
        trouver(&c, "#email").await.send_keys("claude.petit@exemple.fr").await.expect("email");
        trouver(&c, "#nom").await.send_keys("Claude Petit").await.expect("name");
        trouver(&c, "#mot_de_passe").await.send_keys("court").await.expect("password");
        trouver(&c, "#confirmation").await.send_keys("autre").await.expect("confirmation");
        let bouton = trouver(&c, "form[action='/compte/inscription'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, "#erreurs-mot-de-passe").await.contains("12 caractères"));
        axe(&c, "/compte/inscription (erreurs)", &mut rapport).await;
        trouver(&c, "#mot_de_passe").await.send_keys(MDP).await.expect("password");
        trouver(&c, "#confirmation").await.send_keys(MDP).await.expect("confirmation");
        let bouton = trouver(&c, "form[action='/compte/inscription'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, "h1").await.contains("Vérifiez votre boîte aux lettres"));
        axe(&c, "/compte/inscription (envoyée)", &mut rapport).await;
        aller(&c, site, "/compte/connexion").await;
        trouver(&c, "#email").await.send_keys("claude.petit@exemple.fr").await.expect("email");
        trouver(&c, "#mot_de_passe").await.send_keys(MDP).await.expect("password");
        let bouton = trouver(&c, "form[action='/compte/connexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, ".alerte-erreur").await.contains("non confirmée"));
        axe(&c, "/compte/connexion (adresse non confirmée)", &mut rapport).await;
        aller(&c, site, "/compte/boite-d-envoi").await;
        axe(&c, "/compte/boite-d-envoi (un message)", &mut rapport).await;
        let lien = trouver(&c, ".boite-d-envoi a").await;
        cliquer_puis_attendre(&c, lien).await;
        assert!(texte(&c, "h1").await.contains("Adresse e-mail confirmée"));
        axe(&c, "/compte/verification (confirmée)", &mut rapport).await;
        aller(&c, site, "/compte/connexion").await;
        trouver(&c, "#email").await.send_keys("claude.petit@exemple.fr").await.expect("email");
        trouver(&c, "#mot_de_passe").await.send_keys(MDP).await.expect("password");
        let bouton = trouver(&c, "form[action='/compte/connexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(url_courante(&c).await.ends_with("/espace"), "{}", url_courante(&c).await);
        assert!(texte(&c, "h1").await.contains("Bonjour Claude Petit"));
        axe(&c, "/espace", &mut rapport).await;
        let bouton = trouver(&c, "form[action='/compte/deconnexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, ".alerte-succes").await.contains("déconnecté"));
        axe(&c, "/compte/connexion (déconnecté)", &mut rapport).await;
        aller(&c, site, "/espace").await;
        assert!(url_courante(&c).await.contains("/compte/connexion"));

        eprintln!("axe : {} pages ou états vérifiés", rapport.pages.len());
        assert!(
            rapport.echecs.is_empty(),
            "{} violation(s) axe-core (WCAG 2.1 AA) :\n\n{}",
            rapport.echecs.len(),
            rapport.echecs.join("\n\n")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questionnaire_jusqu_a_la_fiche_imprimee() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    let avant = site.lignes().await;
    let version = site.store.registry_version().await.expect("version");
    nav.session(Reglage::Ordinaire, |c| async move {
        // Step 1: the need. The live count follows the answer.
        aller(&c, site, "/orientation").await;
        assert!(scripts_actifs(&c).await);
        assert!(texte(&c, "h2").await.contains("Étape 1 sur 4"));
        let compte_initial = texte(&c, "#compte").await;
        trouver(&c, &format!("input[name=besoin][value='{BESOIN}']"))
            .await
            .click()
            .await
            .expect("need");
        attendre_que(
            &c,
            &format!(
                "return document.getElementById('compte').textContent !== {}",
                json!(compte_initial)
            ),
            "le compteur en direct après le choix du besoin",
        )
        .await;
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;

        // Step 2: a real commune of the data and a radius.
        assert!(texte(&c, "h2").await.contains("Étape 2 sur 4"));
        trouver(&c, "#pres_de").await.send_keys("Angoulême").await.expect("commune");
        trouver(&c, "#rayon_km").await.select_by_value("20").await.expect("radius");
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;

        // Step 3: an adapted welcome (ranks, does not exclude).
        assert!(texte(&c, "h2").await.contains("Étape 3 sur 4"), "{}", texte(&c, "main").await);
        let compte3 = texte(&c, "#compte").await;
        assert!(compte3.contains("correspond"), "{compte3}");
        trouver(&c, "input[name=prise_en_charge_specifique]").await.click().await.expect("welcome");
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;

        // Step 4: availability.
        assert!(texte(&c, "h2").await.contains("Étape 4 sur 4"));
        trouver(&c, "#dispo-creneau").await.click().await.expect("slot");
        trouver(&c, "#jour").await.select_by_value("mardi").await.expect("day");
        let voir = trouver(&c, "form.questionnaire button[type=submit]").await;
        assert!(voir.text().await.expect("text").contains("Voir les lieux"));
        cliquer_puis_attendre(&c, voir).await;

        // Results: the answers, ranked places with their reasons.
        assert_eq!(texte(&c, "main h2").await, "Les lieux proposés");
        let reponses = texte(&c, "section.encadre .definitions").await;
        assert!(reponses.contains(BESOIN), "{reponses}");
        assert!(reponses.contains("dans un rayon de 20 km"), "{reponses}");
        assert!(reponses.contains("mardi"), "{reponses}");
        let n = nombre(&c, "ol.liste-lieux > li").await;
        assert!(n >= 1, "no proposal");
        assert!(nombre(&c, "ol.liste-lieux .raisons li").await >= 1, "reasons");
        let premier = trouver(&c, "ol.liste-lieux > li h3 a").await;
        let nom = premier.text().await.expect("name");
        cliquer_puis_attendre(&c, premier).await;

        // The place, then its orientation sheet.
        assert_eq!(texte(&c, "h1").await, nom);
        let preparer = trouver(&c, "a.bouton[href^='/orientation/fiche']").await;
        cliquer_puis_attendre(&c, preparer).await;
        assert!(texte(&c, "h1").await.contains("Préparer une fiche"));
        assert!(texte(&c, "main").await.contains(&nom));
        trouver(&c, "#beneficiaire").await.send_keys("Yasmine").await.expect("first name");
        trouver(&c, "#precisions").await.send_keys("Vient avec son avis d'imposition.").await.expect("notes");
        trouver(&c, "#prescripteur").await.send_keys("Paul Martin").await.expect("prescriber");
        trouver(&c, "#structure").await.send_keys("CCAS d'Angoulême").await.expect("structure");
        let afficher = trouver(&c, "form[action='/orientation/fiche'] button[type=submit]").await;
        cliquer_puis_attendre(&c, afficher).await;

        // The printable sheet.
        let fiche = texte(&c, "article.fiche-orientation").await;
        for attendu in [
            "Fiche d'orientation",
            "Yasmine",
            "Paul Martin, CCAS d'Angoulême",
            "Vient avec son avis d'imposition.",
            "11/03/2025",
            &nom,
        ] {
            assert!(fiche.contains(attendu), "« {attendu} » missing from:\n{fiche}");
        }
        let url_fiche = url_courante(&c).await;

        // The print button (shown by the script) calls window.print.
        let bouton = trouver(&c, "#imprimer").await;
        assert!(bouton.is_displayed().await.expect("displayed"), "print button hidden");
        js(&c, "window.__impressions = 0; window.print = function () { window.__impressions += 1; }; return null;").await;
        bouton.click().await.expect("print");
        assert_eq!(js(&c, "return window.__impressions;").await, json!(1));

        // The print stylesheet keeps the sheet only.
        cdp(&c, "Emulation.setEmulatedMedia", json!({ "media": "print" })).await;
        let imprime = js(
            &c,
            "function cache(s) { var e = document.querySelector(s); return !e || getComputedStyle(e).display === 'none'; }
             return { entete: cache('.entete'), pied: cache('.pied'), evitement: cache('.lien-evitement'),
                      bouton: cache('.ecran-seulement'),
                      fiche: getComputedStyle(document.querySelector('.fiche-orientation')).display !== 'none' };",
        )
        .await;
        assert_eq!(
            imprime,
            json!({ "entete": true, "pied": true, "evitement": true, "bouton": true, "fiche": true }),
            "print stylesheet"
        );
        cdp(&c, "Emulation.setEmulatedMedia", json!({ "media": "" })).await;

        // The PDF of the WebDriver print endpoint.
        let pdf = c
            .print(PrintConfiguration::default())
            .await
            .expect("print to PDF");
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let pages = pdf
            .windows(b"/Type /Page".len() + 1)
            .filter(|w| w.starts_with(b"/Type /Page") && w[w.len() - 1] != b's')
            .count();
        assert!(pdf.len() > 5_000, "PDF of {} bytes", pdf.len());
        assert!((1..=2).contains(&pages), "{pages} printed pages");
        eprintln!("fiche imprimée : PDF de {} octets, {pages} page(s)", pdf.len());

        // The URL alone renders the sheet again (no server state, no cookie).
        c.delete_all_cookies().await.expect("cookies");
        aller(&c, site, "/").await;
        c.goto(&url_fiche).await.expect("sheet URL");
        page_prete(&c).await;
        let encore = texte(&c, "article.fiche-orientation").await;
        assert!(encore.contains("Yasmine") && encore.contains(&nom), "{encore}");
    })
    .await;

    // Nothing was stored; the sheet is never cached nor sent as referrer.
    assert_eq!(
        site.lignes().await,
        avant,
        "rows written by the questionnaire"
    );
    assert_eq!(
        site.store.registry_version().await.expect("version"),
        version
    );
    let (id, _) = site.un_lieu("pres_de=16000").await;
    let (statut, entetes, corps) = site
        .get(&format!(
            "/orientation/fiche?lieu={}&imprimer=1&beneficiaire=Yasmine&prescripteur=Paul",
            encoder(&id)
        ))
        .await;
    assert_eq!(statut, StatusCode::OK);
    assert!(corps.contains("Yasmine"));
    assert_eq!(
        entetes.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        entetes.get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtres_et_carte() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    nav.session(Reglage::Ordinaire, |c| async move {
        aller(&c, site, "/lieux").await;
        trouver(&c, "#pres_de")
            .await
            .send_keys("Angoulême")
            .await
            .expect("commune");
        trouver(&c, "form.filtres #rayon_km")
            .await
            .select_by_value("10")
            .await
            .expect("radius");
        // A facet closed by default: open it, tick a value.
        filtrer_gratuit(&c).await;

        let url = url_courante(&c).await;
        assert!(
            url.contains("frais_a_charge=Gratuit") && url.contains("rayon_km=10"),
            "{url}"
        );
        let compte = texte(&c, "#resultats .compte").await;
        assert!(
            compte.contains("trouvé") && compte.contains("Angoulême"),
            "{compte}"
        );
        assert!(nombre(&c, "ol.liste-lieux > li").await >= 1);
        assert!(
            trouver(&c, "input[name=frais_a_charge][value=Gratuit]")
                .await
                .is_selected()
                .await
                .expect("checked"),
            "the filter stays ticked"
        );
        // Few places: one keyboard-reachable marker per place.
        let marqueurs = nombre(&c, "#carte .leaflet-marker-icon").await;
        let total: usize = js(
            &c,
            "return document.querySelectorAll('ol.liste-lieux > li').length;",
        )
        .await
        .as_u64()
        .unwrap_or(0) as usize;
        assert!(
            marqueurs >= 1 && marqueurs >= total.min(20) / 2,
            "{marqueurs} markers"
        );
        assert_eq!(
            js(
                &c,
                "return document.getElementById('carte').getAttribute('role');"
            )
            .await,
            json!("region")
        );
        // A marker's popup leads to the place.
        let marqueur = trouver(&c, "#carte .leaflet-marker-icon").await;
        let nom = marqueur.attr("alt").await.expect("alt").unwrap_or_default();
        assert!(!nom.is_empty(), "marker without a name");
        // With the keyboard: markers are focusable buttons, Enter opens the popup.
        js(
            &c,
            "document.querySelector('#carte .leaflet-marker-icon').focus(); return null;",
        )
        .await;
        assert_eq!(
            js(&c, "return document.activeElement.getAttribute('alt');").await,
            json!(nom)
        );
        touche(&c, Key::Enter).await;
        // Leaflet fades popups in and may pan the map: WebDriver reports
        // no rendered text until the popup is opaque and in view.
        attendre_que(
            &c,
            "const p = document.querySelector('#carte .leaflet-popup'); \
             const a = p && p.querySelector('.leaflet-popup-content a'); \
             return !!a && getComputedStyle(p).opacity === '1' \
               && a.getBoundingClientRect().width > 0 \
               && !document.querySelector('#carte .leaflet-pan-anim');",
            "popup shown",
        )
        .await;
        let lien = trouver(&c, "#carte .leaflet-popup-content a").await;
        let nom = espaces(&nom);
        let texte_lien = lien.text().await.expect("text");
        assert!(
            texte_lien.starts_with(&nom),
            "popup « {texte_lien} », marker « {nom} »"
        );
        cliquer_puis_attendre(&c, lien).await;
        assert_eq!(espaces(&texte(&c, "h1").await), nom);
        assert!(url_courante(&c).await.contains("/lieux/"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sans_javascript() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    nav.session(Reglage::SansJavascript, |c| async move {
        // The quick search of the home page.
        aller(&c, site, "/").await;
        assert!(!scripts_actifs(&c).await, "JavaScript should be off");
        trouver(&c, "form.recherche-accueil #pres_de")
            .await
            .send_keys("16000")
            .await
            .expect("postcode");
        let chercher = trouver(&c, "form.recherche-accueil button").await;
        cliquer_puis_attendre(&c, chercher).await;
        let url = url_courante(&c).await;
        assert!(
            url.contains("/lieux?") && url.contains("pres_de=16000"),
            "{url}"
        );
        assert!(texte(&c, "#resultats .compte")
            .await
            .contains("à moins de 30 km"));
        assert!(texte(&c, ".liste-lieux .distance").await.starts_with("— à"));
        // No script: the map stays hidden, the list says so.
        assert!(!trouver(&c, "#carte")
            .await
            .is_displayed()
            .await
            .expect("displayed"));
        assert!(texte(&c, ".bloc-carte noscript, .bloc-carte")
            .await
            .contains("JavaScript"));

        // The filters (GET form): a facet, a slot, the sort.
        trouver_xpath(
            &c,
            "//details[summary[contains(., 'Frais à la charge')]]/summary",
        )
        .await
        .click()
        .await
        .expect("open facet");
        trouver(&c, "input[name=frais_a_charge][value=Gratuit]")
            .await
            .click()
            .await
            .expect("free");
        trouver(
            &c,
            "input[name=services][value='Aide aux démarches administratives']",
        )
        .await
        .click()
        .await
        .expect("service");
        trouver(&c, "form.filtres #tri")
            .await
            .select_by_value("nom")
            .await
            .expect("sort");
        let rechercher = trouver(&c, "form.filtres button[type=submit]").await;
        cliquer_puis_attendre(&c, rechercher).await;
        let url = url_courante(&c).await;
        for attendu in [
            "frais_a_charge=Gratuit",
            "services=Aide",
            "tri=nom",
            "pres_de=16000",
        ] {
            assert!(url.contains(attendu), "{attendu} not in {url}");
        }
        let noms: Vec<String> = {
            let mut v = Vec::new();
            for e in c
                .find_all(Locator::Css("ol.liste-lieux > li h3"))
                .await
                .expect("list")
            {
                v.push(e.text().await.expect("text"));
            }
            v
        };
        assert!(!noms.is_empty(), "no result");
        let mut tries = noms.clone();
        tries.sort_by_key(|n| n.to_lowercase());
        assert_eq!(noms.len(), tries.len());

        // Pages of results.
        aller(&c, site, "/lieux?territoire=dep%3A33").await;
        assert!(texte(&c, "#resultats .compte").await.contains("Gironde"));
        let premier_p1 = texte(&c, "ol.liste-lieux > li h3").await;
        let suivante = trouver(&c, ".pagination a[rel=next]").await;
        cliquer_puis_attendre(&c, suivante).await;
        assert!(texte(&c, ".pagination").await.contains("Page 2 sur"));
        assert_ne!(texte(&c, "ol.liste-lieux > li h3").await, premier_p1);
        assert_eq!(
            trouver(&c, "ol.liste-lieux")
                .await
                .attr("start")
                .await
                .expect("start"),
            Some("21".to_string())
        );

        // The questionnaire, step by step.
        aller(&c, site, "/orientation").await;
        trouver(&c, &format!("input[name=besoin][value='{BESOIN}']"))
            .await
            .click()
            .await
            .expect("need");
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;
        assert!(texte(&c, "h2").await.contains("Étape 2 sur 4"));
        assert!(texte(&c, "#compte").await.contains("correspond"));
        trouver(&c, "#pres_de")
            .await
            .send_keys("16000")
            .await
            .expect("postcode");
        trouver(&c, "#rayon_km")
            .await
            .select_by_value("30")
            .await
            .expect("radius");
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;
        assert!(texte(&c, "h2").await.contains("Étape 3 sur 4"));
        // Back and forth keeps the answers.
        let precedente = trouver(&c, "form.questionnaire a.bouton-secondaire").await;
        cliquer_puis_attendre(&c, precedente).await;
        let pres_de = trouver(&c, "#pres_de")
            .await
            .prop("value")
            .await
            .expect("value");
        assert!(
            pres_de.as_deref().unwrap_or_default().contains("16000"),
            "{pres_de:?}"
        );
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;
        let suivante = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, suivante).await;
        assert!(texte(&c, "h2").await.contains("Étape 4 sur 4"));
        trouver(&c, "#dispo-week-end")
            .await
            .click()
            .await
            .expect("week-end");
        let voir = trouver(&c, "form.questionnaire button[type=submit]").await;
        cliquer_puis_attendre(&c, voir).await;
        assert_eq!(texte(&c, "main h2").await, "Les lieux proposés");
        let reponses = texte(&c, "section.encadre .definitions").await;
        assert!(
            reponses.contains("le week-end") && reponses.contains(BESOIN),
            "{reponses}"
        );
        assert!(nombre(&c, "ol.liste-lieux > li").await >= 1);

        // The orientation sheet from the results.
        let fiche = trouver(&c, "ol.liste-lieux > li a[href^='/orientation/fiche']").await;
        cliquer_puis_attendre(&c, fiche).await;
        trouver(&c, "#beneficiaire")
            .await
            .send_keys("Lucien")
            .await
            .expect("first name");
        trouver(&c, "#prescripteur")
            .await
            .send_keys("Aïcha B.")
            .await
            .expect("prescriber");
        let afficher = trouver(&c, "form[action='/orientation/fiche'] button[type=submit]").await;
        cliquer_puis_attendre(&c, afficher).await;
        let fiche = texte(&c, "article.fiche-orientation").await;
        assert!(
            fiche.contains("Lucien") && fiche.contains("Aïcha B."),
            "{fiche}"
        );
        assert!(
            fiche.contains("Utilisez la fonction « Imprimer »"),
            "{fiche}"
        );
        assert!(
            !trouver(&c, "#imprimer")
                .await
                .is_displayed()
                .await
                .expect("displayed"),
            "the script-only button stays hidden"
        );

        // An error report, without script.
        let retour = trouver(&c, "article.fiche-orientation a[href^='/lieux/']").await;
        cliquer_puis_attendre(&c, retour).await;
        trouver(&c, "#categorie-2")
            .await
            .click()
            .await
            .expect("category");
        trouver(&c, "#message")
            .await
            .send_keys("Fermé le lundi désormais.")
            .await
            .expect("message");
        let envoyer = trouver(&c, "form[action$='/signaler'] button[type=submit]").await;
        cliquer_puis_attendre(&c, envoyer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("Merci"));
        assert!(url_courante(&c).await.contains("signalement=envoye"));
    })
    .await;
    assert_eq!(
        site.store
            .signalements_ouverts_count()
            .await
            .expect("count"),
        1
    );
}

/// What the focused element looks like.
async fn focus(c: &Client) -> Value {
    js(
        c,
        "var e = document.activeElement;
         if (!e || e === document.body || e === document.documentElement) { return null; }
         var s = getComputedStyle(e), r = e.getBoundingClientRect();
         var nom = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
           + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
           + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : '')
           + ' « ' + (e.textContent || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 50) + ' »';
         return {
           nom: nom, id: e.id, balise: e.tagName.toLowerCase(), type: e.type || '',
           contour: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1,
           ombre: s.boxShadow !== 'none',
           style: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.boxShadow + (e.matches(':focus') ? ' :focus' : '')
             + (e.matches(':focus-visible') ? ' :focus-visible' : ''),
           visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
             && r.top < window.innerHeight && r.left < window.innerWidth
         };",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clavier_seul() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    nav.session(Reglage::Ordinaire, |c| async move {
        // The skip link first; Enter moves focus to the content.
        aller(&c, site, "/lieux?pres_de=16000&rayon_km=10").await;
        touche(&c, Key::Tab).await;
        let f = focus(&c).await;
        assert!(
            f["nom"]
                .as_str()
                .unwrap_or_default()
                .contains("lien-evitement"),
            "first stop: {f}"
        );
        assert_eq!(
            f["visible"],
            json!(true),
            "skip link shown when focused: {f}"
        );
        assert_eq!(f["contour"], json!(true), "{f}");
        touche(&c, Key::Enter).await;
        attendre_que(
            &c,
            "return document.activeElement && document.activeElement.id === 'contenu'",
            "le focus sur le contenu",
        )
        .await;
        assert!(url_courante(&c).await.ends_with("#contenu"));

        // Every stop of the page shows where the focus is.
        let mut arrets = Vec::new();
        let mut invisibles = Vec::new();
        for _ in 0..400 {
            touche(&c, Key::Tab).await;
            let f = focus(&c).await;
            if f.is_null() {
                break;
            }
            let nom = f["nom"].as_str().unwrap_or_default().to_string();
            if arrets.first() == Some(&nom) {
                break;
            }
            if f["visible"] != json!(true)
                || (f["contour"] != json!(true) && f["ombre"] != json!(true))
            {
                invisibles.push(format!("{nom}: {f}"));
            }
            arrets.push(nom);
        }
        eprintln!("clavier : {} arrêts de tabulation sur /lieux", arrets.len());
        assert!(arrets.len() > 30, "{arrets:#?}");
        assert!(
            arrets
                .iter()
                .any(|a| a.contains("carte-lieu") || a.starts_with("a ")),
            "{arrets:#?}"
        );
        assert!(
            invisibles.is_empty(),
            "focus not visible on:\n{}",
            invisibles.join("\n")
        );

        // Filters with keys only: postcode, a closed facet, a checkbox, send.
        aller(&c, site, "/lieux").await;
        touche(&c, Key::Tab).await;
        touche(&c, Key::Enter).await;
        async fn tabuler_jusqu_a(c: &Client, quoi: &str, test: impl Fn(&Value) -> bool) {
            for _ in 0..200 {
                touche(c, Key::Tab).await;
                let f = focus(c).await;
                if test(&f) {
                    assert!(
                        f["contour"] == json!(true) || f["ombre"] == json!(true),
                        "{f}"
                    );
                    return;
                }
            }
            panic!("{quoi} never reached with Tab");
        }
        tabuler_jusqu_a(&c, "le champ « Près de »", |f| {
            f["id"] == json!("pres_de")
        })
        .await;
        taper(&c, "16000").await;
        tabuler_jusqu_a(&c, "la rubrique des frais", |f| {
            f["balise"] == json!("summary")
                && f["nom"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("Frais à la charge")
        })
        .await;
        touche(&c, Key::Enter).await;
        tabuler_jusqu_a(&c, "la case « Gratuit »", |f| {
            f["type"] == json!("checkbox")
                && f["nom"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("frais_a_charge")
        })
        .await;
        touche(&c, ' ').await;
        assert_eq!(
            js(
                &c,
                "return document.activeElement.checked && document.activeElement.value;"
            )
            .await,
            json!("Gratuit")
        );
        tabuler_jusqu_a(&c, "le bouton « Rechercher »", |f| {
            f["balise"] == json!("button")
                && f["nom"].as_str().unwrap_or_default().contains("Rechercher")
        })
        .await;
        js(&c, "window.__maillagePagePrecedente = true; return null;").await;
        touche(&c, Key::Enter).await;
        attendre_que(
            &c,
            "return !window.__maillagePagePrecedente && document.readyState === 'complete'",
            "les résultats",
        )
        .await;
        let url = url_courante(&c).await;
        assert!(
            url.contains("pres_de=16000") && url.contains("frais_a_charge=Gratuit"),
            "{url}"
        );
        assert!(texte(&c, "#resultats .compte").await.contains("trouvé"));

        // The questionnaire with keys only: arrows choose among radios.
        aller(&c, site, "/orientation").await;
        tabuler_jusqu_a(&c, "le premier besoin", |f| f["type"] == json!("radio")).await;
        touche(&c, ' ').await;
        tabuler_jusqu_a(&c, "le bouton « Étape suivante »", |f| {
            f["balise"] == json!("button")
        })
        .await;
        js(&c, "window.__maillagePagePrecedente = true; return null;").await;
        touche(&c, Key::Enter).await;
        attendre_que(
            &c,
            "return !window.__maillagePagePrecedente && document.readyState === 'complete'",
            "l'étape 2",
        )
        .await;
        assert!(texte(&c, "h2").await.contains("Étape 2 sur 4"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poids_des_pages() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    let (id, _) = site.un_lieu("pres_de=16000").await;
    let riche = site.lieu_le_plus_complet().await;
    nav.session(Reglage::Ordinaire, |c| async move {
        cdp(&c, "Network.enable", json!({})).await;
        cdp(&c, "Network.setCacheDisabled", json!({ "cacheDisabled": true })).await;
        let b = encoder(BESOIN);
        let pages = [
            "/".to_string(),
            "/lieux".to_string(),
            format!("/lieux?pres_de=16000&rayon_km=20&services={b}"),
            "/lieux?territoire=dep%3A33".to_string(),
            format!("/lieux/{}", maillage_web::pages::segment(&id)),
            format!("/lieux/{}", maillage_web::pages::segment(&riche)),
            "/orientation".to_string(),
            format!("/orientation?etape=5&besoin={b}&pres_de=16000&rayon_km=30"),
            format!("/orientation/fiche?lieu={}&imprimer=1&beneficiaire=A&prescripteur=B", encoder(&id)),
            "/territoires".to_string(),
            "/territoires/reg/75".to_string(),
            "/territoires/dep/33".to_string(),
            "/territoires/france/diagnostic".to_string(),
            "/territoires/dep/33/diagnostic".to_string(),
            "/embed?territoire=dep%3A16".to_string(),
            "/embed".to_string(),
            "/integration".to_string(),
            "/api".to_string(),
            "/donnees-personnelles".to_string(),
            "/gestion/connexion".to_string(),
        ];
        let mut trop_lourdes = Vec::new();
        for p in &pages {
            aller(&c, site, p).await;
            let mesure = js(
                &c,
                "var nav = performance.getEntriesByType('navigation')[0];
                 var detail = [['document', nav.transferSize]];
                 performance.getEntriesByType('resource').forEach(function (r) {
                   detail.push([r.name.replace(location.origin, '').split('?')[0], r.transferSize || r.encodedBodySize]);
                 });
                 return detail;",
            )
            .await;
            let detail: Vec<(String, u64)> = mesure
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| {
                    (
                        x[0].as_str().unwrap_or_default().to_string(),
                        x[1].as_u64().unwrap_or(0),
                    )
                })
                .collect();
            let total: u64 = detail.iter().map(|x| x.1).sum();
            assert!(detail[0].1 > 0, "{p}: document size unknown");
            let lignes = detail
                .iter()
                .map(|(n, t)| format!("{n} {:.1} Ko", *t as f64 / 1000.0))
                .collect::<Vec<_>>()
                .join(", ");
            eprintln!("poids {p} : {:.1} Ko ({lignes})", total as f64 / 1000.0);
            if total > POIDS_MAX {
                trop_lourdes.push(format!("{p}: {total} octets ({lignes})"));
            }
        }
        assert!(
            trop_lourdes.is_empty(),
            "pages over {POIDS_MAX} bytes:\n{}",
            trop_lourdes.join("\n")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_en_iframe() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    // Another site (another origin) framing the embeddable page and, in
    // breach of the rules, the full search page.
    let hote = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Communauté de communes</title></head>\
         <body><h1>Les lieux de notre territoire</h1>\
         <iframe src=\"{b}/embed?territoire=dep%3A16\" title=\"Lieux de médiation numérique en Charente\" width=\"1000\" height=\"900\"></iframe>\
         <iframe src=\"{b}/lieux\" title=\"Recherche complète\" width=\"1000\" height=\"300\"></iframe>\
         </body></html>",
        b = site.base
    );
    let ecouteur = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let adresse_hote = ecouteur.local_addr().expect("address");
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let h = hote.clone();
            async move { axum::response::Html(h) }
        }),
    );
    let serveur_hote = tokio::spawn(async move {
        let _ = axum::serve(ecouteur, app).await;
    });

    nav.session(Reglage::Ordinaire, |c| async move {
        c.goto(&format!("http://{adresse_hote}/"))
            .await
            .expect("host page");
        attendre_que(
            &c,
            "return document.readyState === 'complete'",
            "la page hôte",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;

        // The embeddable page, with its territory map.
        c.enter_frame(0).await.expect("frame 0");
        attendre_que(
            &c,
            "return document.querySelector('main#contenu h1') !== null",
            "la page intégrée dans l'iframe",
        )
        .await;
        page_prete(&c).await;
        assert_eq!(texte(&c, "main h1").await, "Lieux de médiation numérique");
        assert_eq!(
            nombre(&c, ".entete").await,
            0,
            "no site header in an iframe"
        );
        assert_eq!(
            js(
                &c,
                "return document.querySelector('input[type=hidden][name=territoire]').value;"
            )
            .await,
            json!("dep:16")
        );
        assert!(texte(&c, "#resultats .compte").await.contains("Charente"));
        assert!(
            nombre(&c, "#carte.carte-active .leaflet-marker-icon").await >= 10,
            "markers of the territory"
        );
        assert_eq!(
            trouver(&c, "ol.liste-lieux > li h3 a")
                .await
                .attr("target")
                .await
                .expect("target"),
            Some("_blank".to_string())
        );
        // Filters work inside the frame and keep the territory.
        filtrer_gratuit(&c).await;
        let dans_le_cadre = js(&c, "return location.href;").await;
        let dans_le_cadre = dans_le_cadre.as_str().unwrap_or_default();
        assert!(
            dans_le_cadre.contains("/embed?")
                && dans_le_cadre.contains("territoire=dep%3A16")
                && dans_le_cadre.contains("frais_a_charge=Gratuit"),
            "{dans_le_cadre}"
        );
        assert!(texte(&c, "#resultats .compte").await.contains("Charente"));

        // The full search page is refused in a frame.
        c.enter_parent_frame().await.expect("parent");
        c.enter_frame(1).await.expect("frame 1");
        let refuse = js(
            &c,
            "return { url: location.href, contenu: document.getElementById('contenu') !== null };",
        )
        .await;
        assert_eq!(
            refuse["contenu"],
            json!(false),
            "/lieux displayed in a frame: {refuse}"
        );
        assert!(
            !refuse["url"]
                .as_str()
                .unwrap_or_default()
                .starts_with(&site.base),
            "{refuse}"
        );
    })
    .await;
    serveur_hote.abort();
    let (_, entetes, _) = site.get("/embed").await;
    assert!(entetes.get("x-frame-options").is_none());
    let (_, entetes, _) = site.get("/lieux").await;
    assert_eq!(
        entetes.get("x-frame-options").and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn petit_ecran() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    let (id, _) = site.un_lieu("pres_de=16000").await;
    let riche = site.lieu_le_plus_complet().await;
    nav.session(Reglage::Mobile, |c| async move {
        let b = encoder(BESOIN);
        let pages = [
            "/".to_string(),
            "/lieux".to_string(),
            format!("/lieux?pres_de=16000&rayon_km=20&services={b}"),
            format!("/lieux/{}", maillage_web::pages::segment(&id)),
            format!("/lieux/{}", maillage_web::pages::segment(&riche)),
            "/orientation".to_string(),
            format!("/orientation?etape=4&besoin={b}&pres_de=16000"),
            format!("/orientation?etape=5&besoin={b}&pres_de=16000&rayon_km=30"),
            format!("/orientation/fiche?lieu={}", encoder(&id)),
            format!("/orientation/fiche?lieu={}&imprimer=1&beneficiaire=A&prescripteur=B", encoder(&id)),
            "/territoires".to_string(),
            "/territoires/reg/75".to_string(),
            "/territoires/dep/33".to_string(),
            "/territoires/france/diagnostic".to_string(),
            "/territoires/dep/16/diagnostic".to_string(),
            "/embed?territoire=dep%3A16".to_string(),
            "/integration".to_string(),
            "/api".to_string(),
            "/donnees-personnelles".to_string(),
            "/gestion/connexion".to_string(),
            "/page-qui-n-existe-pas".to_string(),
        ];
        let mut debordements = Vec::new();
        for p in &pages {
            aller(&c, site, p).await;
            // Elements sticking out of the page (not inside a scrolling box).
            let r = js(
                &c,
                "var w = document.documentElement.clientWidth, trop = [];
                 document.querySelectorAll('body *').forEach(function (e) {
                   var r = e.getBoundingClientRect();
                   if (r.width === 0 || r.right <= w + 1) { return; }
                   for (var p = e.parentElement; p; p = p.parentElement) {
                     var o = getComputedStyle(p).overflowX;
                     if (o === 'auto' || o === 'scroll' || o === 'hidden') { return; }
                   }
                   trop.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' (' + Math.round(r.right) + ' px)');
                 });
                 return { largeur: w, page: document.documentElement.scrollWidth, trop: trop.slice(0, 8) };",
            )
            .await;
            assert_eq!(r["largeur"], json!(320), "{p}: {r}");
            if r["page"].as_u64().unwrap_or(0) > 320 {
                debordements.push(format!("{p}: {r}"));
            }
        }
        assert!(
            debordements.is_empty(),
            "pages wider than 320 px (horizontal scrolling):\n{}",
            debordements.join("\n")
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// Activity records (espace/activites)

/// Presses keys, counting them (in all and Tabs apart): the keyboard
/// budget of a record.
struct Clavier<'a> {
    c: &'a Client,
    frappes: usize,
    tabulations: usize,
}

impl Clavier<'_> {
    async fn touche(&mut self, k: impl Into<char>) {
        let k: char = k.into();
        touche(self.c, k).await;
        self.frappes += 1;
        if k == char::from(Key::Tab) {
            self.tabulations += 1;
        }
    }

    async fn taper(&mut self, texte: &str) {
        taper(self.c, texte).await;
        self.frappes += texte.chars().count();
    }

    /// Tab until the focused element has this id; each stop must show
    /// where the focus is.
    async fn tab_jusqu_a(&mut self, id: &str) {
        for _ in 0..60 {
            self.touche(Key::Tab).await;
            let f = focus(self.c).await;
            assert!(
                f.is_null() || f["contour"] == json!(true) || f["ombre"] == json!(true),
                "focus not visible: {f}"
            );
            if f["id"] == json!(id) {
                return;
            }
        }
        panic!("#{id} never reached with Tab");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activite_au_clavier() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    nav.session(Reglage::Ordinaire, |c| async move {
        let mut rapport = RapportAxe::default();
        // A mediator signs up, confirms through the outbox, signs in.
        const MDP: &str = "cheval agrafe batterie correcte";
        const EMAIL: &str = "dominique.martin@exemple.fr";
        aller(&c, site, "/compte/inscription").await;
        trouver(&c, "#email")
            .await
            .send_keys(EMAIL)
            .await
            .expect("email");
        trouver(&c, "#nom")
            .await
            .send_keys("Dominique Martin")
            .await
            .expect("name");
        trouver(&c, "#mot_de_passe")
            .await
            .send_keys(MDP)
            .await
            .expect("password");
        trouver(&c, "#confirmation")
            .await
            .send_keys(MDP)
            .await
            .expect("confirmation");
        let bouton = trouver(&c, "form[action='/compte/inscription'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        aller(&c, site, "/compte/boite-d-envoi").await;
        let lien = trouver(&c, ".boite-d-envoi a").await;
        cliquer_puis_attendre(&c, lien).await;
        assert!(texte(&c, "h1").await.contains("Adresse e-mail confirmée"));
        aller(
            &c,
            site,
            "/compte/connexion?suite=%2Fespace%2Factivites%2Fnouvelle%3Ftype%3Dindividuel",
        )
        .await;
        trouver(&c, "#email")
            .await
            .send_keys(EMAIL)
            .await
            .expect("email");
        trouver(&c, "#mot_de_passe")
            .await
            .send_keys(MDP)
            .await
            .expect("password");
        let bouton = trouver(&c, "form[action='/compte/connexion'] button").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(
            url_courante(&c)
                .await
                .ends_with("/espace/activites/nouvelle?type=individuel"),
            "{}",
            url_courante(&c).await
        );

        // The empty forms.
        axe(
            &c,
            "/espace/activites/nouvelle?type=individuel",
            &mut rapport,
        )
        .await;
        axe_sur(
            &c,
            site,
            "/espace/activites/nouvelle?type=collectif",
            &mut rapport,
        )
        .await;
        axe_sur(&c, site, "/espace/activites", &mut rapport).await;

        // A typical individual accompaniment with the keyboard only: today,
        // 45 minutes, at home in Angoulême (typed as its postcode), two
        // thématiques, sent with Enter.
        aller(&c, site, "/espace/activites/nouvelle?type=individuel").await;
        let mut k = Clavier {
            c: &c,
            frappes: 0,
            tabulations: 0,
        };
        k.touche(Key::Tab).await;
        k.touche(Key::Enter).await; // skip link: to the content
        k.tab_jusqu_a("duree-15").await; // past the date, already today
        k.touche(Key::Right).await;
        k.touche(Key::Right).await; // 45 min
        k.tab_jusqu_a("typeLieu-LieuActivite").await;
        k.touche(Key::Right).await;
        k.touche(Key::Right).await; // À domicile
        k.tab_jusqu_a("commune").await;
        k.taper("16000").await;
        k.tab_jusqu_a("thematiques-NavigationSurInternet").await;
        k.touche(' ').await;
        k.tab_jusqu_a("thematiques-Email").await;
        k.touche(' ').await;
        assert_eq!(
            js(
                &c,
                "return [document.getElementById('duree-45').checked,
                         document.getElementById('typeLieu-Domicile').checked,
                         document.getElementById('date').value];"
            )
            .await,
            json!([true, true, "2025-03-11"])
        );
        js(&c, "window.__maillagePagePrecedente = true; return null;").await;
        k.touche(Key::Enter).await; // sends the form
        attendre_que(
            &c,
            "return !window.__maillagePagePrecedente && document.readyState === 'complete'",
            "la liste après l'enregistrement",
        )
        .await;
        let (frappes, tabulations) = (k.frappes, k.tabulations);
        // 30 today: 17 Tab (the date's day, month and year are three stops),
        // 4 arrows, 5 digits, 2 spaces, 2 Enter.
        eprintln!(
            "accompagnement individuel enregistré au clavier en {frappes} frappes, \
             dont {tabulations} tabulations"
        );
        assert!(frappes <= 35, "{frappes} keystrokes for a typical record");
        assert!(
            url_courante(&c)
                .await
                .contains("/espace/activites?enregistree="),
            "{}",
            url_courante(&c).await
        );
        assert!(texte(&c, ".alerte-succes")
            .await
            .contains("Activité enregistrée"));
        let ligne = texte(&c, "table.tableau tbody tr").await;
        for attendu in [
            "11/03/2025",
            "Accompagnement individuel",
            "45 min",
            "À domicile — Angoulême",
            "Navigation sur internet, E-mail",
        ] {
            assert!(
                ligne.contains(attendu),
                "« {attendu} » missing from: {ligne}"
            );
        }
        axe(&c, "/espace/activites?enregistree=…", &mut rapport).await;
        let page = site
            .store
            .activites(&maillage_store::FiltreActivites::default())
            .await
            .expect("records");
        assert_eq!(page.total, 1);
        let a = &page.activites[0];
        assert_eq!(
            (a.duree_minutes, a.code_insee.as_deref()),
            (45, Some("16015"))
        );

        // Issue 4, item 9: the record counts in the statistics, and both
        // exports (the list and the statistics) carry it.
        aller(&c, site, "/espace/statistiques").await;
        let cellule = |tableau: &str, ligne: &str| {
            format!(
                "//table[caption[starts-with(normalize-space(.), '{tableau}')]]\
                 //tr[th[normalize-space(.) = '{ligne}']]/td"
            )
        };
        let total = trouver_xpath(&c, &cellule("Statistiques générales", "Activités"))
            .await
            .text()
            .await
            .expect("text");
        assert_eq!(total.trim(), "1", "activities counted");
        let navigation = trouver_xpath(
            &c,
            &cellule(
                "Thématiques des accompagnements de médiation numérique",
                "Navigation sur internet",
            ),
        )
        .await
        .text()
        .await
        .expect("text");
        assert_eq!(navigation.trim(), "1", "thématique counted");
        axe(&c, "/espace/statistiques (une activité)", &mut rapport).await;
        let (statut, entetes, csv) = site
            .get_avec_session(&c, "/espace/activites/export.csv")
            .await;
        assert_eq!(statut, StatusCode::OK, "{csv}");
        assert!(entetes[axum::http::header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/csv"));
        let lignes: Vec<&str> = csv.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lignes.len(), 2, "header and the record: {csv}");
        for attendu in [
            "11/03/2025",
            "Accompagnement individuel",
            "45",
            "Navigation sur internet",
        ] {
            assert!(
                lignes[1].contains(attendu),
                "« {attendu} » missing from: {}",
                lignes[1]
            );
        }
        let (statut, _, csv) = site
            .get_avec_session(&c, "/espace/statistiques/export.csv")
            .await;
        assert_eq!(statut, StatusCode::OK, "{csv}");
        assert!(csv.lines().any(|l| l == "Activités;1"), "{csv}");
        assert!(
            csv.lines()
                .any(|l| l.starts_with("Navigation sur internet;1;1;")),
            "{csv}"
        );

        // The detail, the delete confirmation, a form with errors.
        aller(&c, site, "/espace/activites").await;
        let voir = trouver(&c, "table.tableau tbody tr th a").await;
        cliquer_puis_attendre(&c, voir).await;
        assert!(texte(&c, "h1")
            .await
            .contains("Accompagnement individuel du 11/03/2025"));
        axe(&c, "/espace/activites/{id}", &mut rapport).await;
        let supprimer = trouver(&c, "a[href$='/supprimer']").await;
        cliquer_puis_attendre(&c, supprimer).await;
        axe(&c, "/espace/activites/{id}/supprimer", &mut rapport).await;
        aller(&c, site, "/espace/activites/nouvelle?type=individuel").await;
        let bouton = trouver(&c, "form.formulaire-activite button[type=submit]").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, ".alerte-erreur")
            .await
            .contains("choisissez au moins une thématique"));
        axe(&c, "/espace/activites (erreurs, individuel)", &mut rapport).await;
        aller(&c, site, "/espace/activites/nouvelle?type=collectif").await;
        let bouton = trouver(&c, "form.formulaire-activite button[type=submit]").await;
        cliquer_puis_attendre(&c, bouton).await;
        assert!(texte(&c, ".alerte-erreur")
            .await
            .contains("au moins un participant"));
        axe(&c, "/espace/activites (erreurs, collectif)", &mut rapport).await;
        // The error summary's links lead to the fields.
        let lien = trouver(
            &c,
            ".alerte-erreur a[href='#thematiques-DiagnosticNumerique']",
        )
        .await;
        lien.click().await.expect("summary link");
        assert!(url_courante(&c)
            .await
            .ends_with("#thematiques-DiagnosticNumerique"));

        eprintln!("axe : {} pages ou états vérifiés", rapport.pages.len());
        assert!(
            rapport.echecs.is_empty(),
            "{} violation(s) axe-core (WCAG 2.1 AA) :\n\n{}",
            rapport.echecs.len(),
            rapport.echecs.join("\n\n")
        );
    })
    .await;
}

/// A verified account with these grants, made in the store, then signed in
/// through the real form (after clearing any other session); its id.
async fn connecter(
    c: &Client,
    site: &Site,
    email: &str,
    attributions: &[maillage_comptes::Attribution],
) -> String {
    const MDP: &str = "cheval agrafe batterie correcte";
    let maintenant = chrono::Utc::now();
    let id = match site.store.utilisateur_par_email(email).await.expect("read") {
        Some(u) => u.id,
        None => {
            let id = site
                .store
                .creer_utilisateur(&maillage_store::NouvelUtilisateur {
                    email: email.to_string(),
                    nom: Some(format!("Compte {email}")),
                    mot_de_passe: maillage_comptes::hacher_mot_de_passe(MDP).expect("hash"),
                    cree_le: maintenant,
                    par: None,
                })
                .await
                .expect("account");
            site.store
                .marquer_email_verifie(&id, maintenant)
                .await
                .expect("verified");
            for a in attributions {
                site.store
                    .attribuer(&id, a, None, maintenant)
                    .await
                    .expect("grant");
            }
            id
        }
    };
    c.delete_all_cookies().await.expect("cookies");
    aller(c, site, "/compte/connexion").await;
    trouver(c, "#email")
        .await
        .send_keys(email)
        .await
        .expect("email");
    trouver(c, "#mot_de_passe")
        .await
        .send_keys(MDP)
        .await
        .expect("password");
    let bouton = trouver(c, "form[action='/compte/connexion'] button").await;
    cliquer_puis_attendre(c, bouton).await;
    assert!(
        url_courante(c).await.ends_with("/espace"),
        "{}",
        url_courante(c).await
    );
    id
}

/// Sends the form whose action is `action` after typing `valeurs` into its
/// fields (by id).
async fn envoyer_formulaire(c: &Client, action: &str, valeurs: &[(&str, &str)]) {
    for (id, v) in valeurs {
        let champ = trouver(c, &format!("#{id}")).await;
        if champ.tag_name().await.expect("tag") == "select" {
            c.execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![json!(id), json!(v)],
            )
            .await
            .expect("select");
        } else {
            champ.clear().await.expect("clear");
            champ.send_keys(v).await.expect("type");
        }
    }
    let bouton = trouver(c, &format!("form[action='{action}'] button[type='submit']")).await;
    cliquer_puis_attendre(c, bouton).await;
}

/// Every page of the workspace added for accounts, administration, teams
/// and structures, for each role that sees it, in its ordinary and error
/// states: axe-core finds no violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn espace_par_role() {
    use maillage_comptes::{Attribution, PerimetreAttribution, Role};
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    let site = &site;
    let siret = "73282932000074";
    site.store
        .creer_ou_lire_structure(&maillage_store::NouvelleStructure {
            siret: siret.to_string(),
            nom: "Centre social des Trois Rivières".to_string(),
            commune: "16015".to_string(),
            adresse: None,
            cree_le: chrono::Utc::now(),
            par: None,
        })
        .await
        .expect("structure");
    nav.session(Reglage::Ordinaire, |c| async move {
        let mut rapport = RapportAxe::default();
        // Signed out: password reset and its message.
        axe_sur(&c, site, "/compte/mot-de-passe-oublie", &mut rapport).await;
        envoyer_formulaire(&c, "/compte/mot-de-passe-oublie", &[("email", "x")]).await;
        axe(&c, "/compte/mot-de-passe-oublie (erreur)", &mut rapport).await;
        axe_sur(
            &c,
            site,
            "/compte/reinitialisation?jeton=essai",
            &mut rapport,
        )
        .await;
        envoyer_formulaire(
            &c,
            "/compte/reinitialisation",
            &[("mot_de_passe", "court"), ("confirmation", "autre")],
        )
        .await;
        axe(&c, "/compte/reinitialisation (erreurs)", &mut rapport).await;

        // A mediator: home, employer and places.
        let mediateur = connecter(&c, site, "med@exemple.fr", &[Attribution::mediateur()]).await;
        axe(&c, "/espace (médiateur)", &mut rapport).await;
        axe_sur(&c, site, "/espace/structures", &mut rapport).await;
        envoyer_formulaire(
            &c,
            "/espace/structures/employeur",
            &[("siret", "123"), ("nom", "Essai"), ("commune", "16015")],
        )
        .await;
        axe(&c, "/espace/structures (SIRET refusé)", &mut rapport).await;
        site.store
            .employer(
                &mediateur,
                siret,
                chrono::NaiveDate::from_ymd_opt(2025, 1, 6).expect("date"),
                None,
                chrono::Utc::now(),
            )
            .await
            .expect("employment");
        axe_sur(
            &c,
            site,
            "/espace/structures?lieux=angoul%C3%AAme",
            &mut rapport,
        )
        .await;

        // A coordinator: the team, with an error, then an invitation.
        connecter(
            &c,
            site,
            "coord@exemple.fr",
            &[Attribution {
                role: Role::Coordinateur,
                perimetre: PerimetreAttribution::Equipe(Vec::new()),
            }],
        )
        .await;
        axe(&c, "/espace (coordinateur)", &mut rapport).await;
        axe_sur(&c, site, "/espace/equipe", &mut rapport).await;
        envoyer_formulaire(
            &c,
            "/espace/equipe/ajouter",
            &[("email", "pas-une-adresse")],
        )
        .await;
        axe(&c, "/espace/equipe (erreur)", &mut rapport).await;
        envoyer_formulaire(&c, "/espace/equipe/ajouter", &[("email", "med@exemple.fr")]).await;
        axe(&c, "/espace/equipe (un membre)", &mut rapport).await;

        // A structure manager.
        connecter(
            &c,
            site,
            "gestion@exemple.fr",
            &[Attribution::gestionnaire_structure(siret)],
        )
        .await;
        axe_sur(&c, site, "/espace/structures", &mut rapport).await;
        axe_sur(
            &c,
            site,
            &format!("/espace/structures/{siret}"),
            &mut rapport,
        )
        .await;

        // An administrator: journal, accounts, a role refused, e-mail,
        // an invitation sent then opened signed out.
        connecter(
            &c,
            site,
            "admin@exemple.fr",
            &[Attribution::administrateur()],
        )
        .await;
        axe(&c, "/espace (administrateur)", &mut rapport).await;
        axe_sur(&c, site, "/espace/journal", &mut rapport).await;
        axe_sur(&c, site, "/espace/utilisateurs?q=exemple", &mut rapport).await;
        aller(&c, site, &format!("/espace/utilisateurs/{mediateur}")).await;
        axe(&c, "/espace/utilisateurs/{id}", &mut rapport).await;
        envoyer_formulaire(
            &c,
            &format!("/espace/utilisateurs/{mediateur}/roles"),
            &[("role", "gestionnaire_territorial"), ("perimetre", "999")],
        )
        .await;
        axe(&c, "/espace/utilisateurs/{id} (erreur)", &mut rapport).await;
        aller(&c, site, "/espace/utilisateurs").await;
        envoyer_formulaire(
            &c,
            "/espace/utilisateurs/inviter",
            &[("invite-email", "invitee@exemple.fr")],
        )
        .await;
        axe(
            &c,
            "/espace/utilisateurs (invitation envoyée)",
            &mut rapport,
        )
        .await;
        axe_sur(&c, site, "/espace/courriels", &mut rapport).await;
        axe_sur(&c, site, "/espace/structures", &mut rapport).await;
        c.delete_all_cookies().await.expect("cookies");
        aller(&c, site, "/compte/boite-d-envoi").await;
        let lien = trouver(&c, "a[href*='/compte/invitation?jeton=']").await;
        cliquer_puis_attendre(&c, lien).await;
        axe(&c, "/compte/invitation", &mut rapport).await;
        envoyer_formulaire(
            &c,
            "/compte/invitation",
            &[
                ("nom", ""),
                ("mot_de_passe", "court"),
                ("confirmation", "court"),
            ],
        )
        .await;
        axe(&c, "/compte/invitation (erreurs)", &mut rapport).await;

        assert!(
            rapport.echecs.is_empty(),
            "{} violation(s) axe :\n{}",
            rapport.echecs.len(),
            rapport.echecs.join("\n\n")
        );
        assert_eq!(rapport.pages.len(), 24);
    })
    .await;
}

// ---------------------------------------------------------------------------
// Beneficiaries, statistics, pilotage, API tokens

/// One record of `mediateur` in Charente (16), stored directly: these pages
/// only read records, and varied ones fill every chart.
async fn semer_activite(
    site: &Site,
    mediateur: &str,
    structure: Option<&str>,
    jour: chrono::NaiveDate,
    collectif: bool,
    thematiques: &[maillage_activites::Thematique],
) {
    use maillage_activites::{
        ActiviteSaisie, Beneficiaire, Demographie, DureeSaisie, Genre, Materiel,
        ParticipantsAnonymes, StatutSocial, TrancheAge, TypeActivite, TypeLieu,
    };
    let mut s = ActiviteSaisie::nouvelle(if collectif {
        TypeActivite::Collectif
    } else {
        TypeActivite::Individuel
    });
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(if collectif { 120 } else { 45 }));
    s.type_lieu = Some(if collectif {
        TypeLieu::Autre
    } else {
        TypeLieu::Domicile
    });
    s.lieu_code_insee = Some("16015".to_string());
    s.thematiques = thematiques.to_vec();
    s.materiel = vec![Materiel::Ordinateur, Materiel::Telephone];
    if collectif {
        s.titre_atelier = Some("Premiers pas sur la tablette".to_string());
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total: 6,
            genre_feminin: 4,
            genre_masculin: 2,
            ..Default::default()
        });
    } else {
        s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
            genre: Some(Genre::Feminin),
            tranche_age: Some(TrancheAge::SoixanteSoixanteNeuf),
            statut_social: Some(StatutSocial::Retraite),
        }));
    }
    let activite = maillage_activites::valider(
        &s,
        chrono::NaiveDate::from_ymd_opt(2025, 3, 11).expect("date"),
    )
    .expect("valid record");
    site.store
        .enregistrer_activite(&maillage_store::NouvelleActivite {
            mediateur_id: mediateur.to_string(),
            structure_id: structure.map(str::to_string),
            departement: Some("16".to_string()),
            activite,
            demographies_suivies: Vec::new(),
            cree_le: chrono::Utc::now(),
        })
        .await
        .expect("record stored");
}

/// A fresh PostgreSQL database (as the in-process suites make them, see
/// `harnais::sur_postgres`): its URL, the server's URL and its name. `None`
/// with `MAILLAGE_SKIP_POSTGRES=1`.
async fn base_postgres() -> Option<(String, String, String)> {
    use sqlx::Executor;
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES") else {
        if std::env::var("MAILLAGE_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("PostgreSQL ignoré (MAILLAGE_SKIP_POSTGRES=1)");
            return None;
        }
        panic!(
            "définissez MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
             (ou MAILLAGE_SKIP_POSTGRES=1 pour ne tester que SQLite)"
        );
    };
    let nom = format!("maillage_navigateur_{:016x}", fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL connection");
    conn.execute(format!("CREATE DATABASE {nom}").as_str())
        .await
        .expect("CREATE DATABASE");
    let url = match admin.split_once('?') {
        Some((a, q)) => format!("{}/{nom}?{q}", a.rsplit_once('/').map_or(a, |x| x.0)),
        None => format!(
            "{}/{nom}",
            admin.rsplit_once('/').map_or(admin.as_str(), |x| x.0)
        ),
    };
    Some((url, admin, nom))
}

async fn supprimer_base_postgres(admin: &str, nom: &str) {
    use sqlx::Executor;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {nom} WITH (FORCE)").as_str())
            .await;
    }
}

/// The pages of beneficiaries, statistics (each role's scopes), pilotage
/// and API tokens, in their ordinary, empty and error states: axe-core
/// finds no violation. On SQLite here, on PostgreSQL below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn espace_donnees_par_role() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let site = site().await;
    donnees_par_role(&nav, &site).await;
}

/// The same pages served from PostgreSQL (the pages' queries differ by
/// database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn espace_donnees_par_role_postgres() {
    let Some(nav) = Navigateur::trouver() else {
        return;
    };
    let Some((url, admin, nom)) = base_postgres().await else {
        return;
    };
    let dossier = tempfile::tempdir().expect("temporary directory");
    let site = site_sur(url, dossier).await;
    let resultat = AssertUnwindSafe(donnees_par_role(&nav, &site))
        .catch_unwind()
        .await;
    site.store.close().await;
    drop(site);
    supprimer_base_postgres(&admin, &nom).await;
    if let Err(e) = resultat {
        std::panic::resume_unwind(e);
    }
}

async fn donnees_par_role(nav: &Navigateur, site: &Site) {
    use maillage_activites::Thematique;
    use maillage_comptes::Attribution;
    let dossier = tempfile::tempdir().expect("temporary directory");
    let dossier = &dossier;
    let siret = "73282932000074";
    site.store
        .creer_ou_lire_structure(&maillage_store::NouvelleStructure {
            siret: siret.to_string(),
            nom: "Centre social des Trois Rivières".to_string(),
            commune: "16015".to_string(),
            adresse: None,
            cree_le: chrono::Utc::now(),
            par: None,
        })
        .await
        .expect("structure");
    nav.session(Reglage::Ordinaire, |c| async move {
        let mut rapport = RapportAxe::default();
        let jour = |m: u32, j: u32| chrono::NaiveDate::from_ymd_opt(2025, m, j).expect("date");

        // A mediator's beneficiaries: none yet, the form, its errors.
        let mediateur = connecter(&c, site, "med@exemple.fr", &[Attribution::mediateur()]).await;
        axe_sur(&c, site, "/espace/beneficiaires", &mut rapport).await;
        axe_sur(&c, site, "/espace/beneficiaires/nouveau", &mut rapport).await;
        trouver(&c, "#consentement")
            .await
            .click()
            .await
            .expect("consent");
        envoyer_formulaire(
            &c,
            "/espace/beneficiaires/nouveau",
            &[
                ("nom", "Dupont"),
                ("telephone", "12"),
                ("annee_naissance", "dix-neuf"),
            ],
        )
        .await;
        assert!(texte(&c, ".alerte-erreur")
            .await
            .contains("corrigez les champs signalés"));
        axe(&c, "/espace/beneficiaires/nouveau (erreurs)", &mut rapport).await;
        envoyer_formulaire(
            &c,
            "/espace/beneficiaires/nouveau",
            &[
                ("prenom", "Jeanne"),
                ("nom", "Dupont"),
                ("telephone", "06 12 34 56 78"),
                ("annee_naissance", "1958"),
                ("commune", "16015"),
                ("genre", "Feminin"),
            ],
        )
        .await;
        assert_eq!(texte(&c, "h1").await, "Jeanne Dupont");
        axe(&c, "/espace/beneficiaires/{id}", &mut rapport).await;
        let edition = trouver(&c, "a[href$='/modifier']").await;
        cliquer_puis_attendre(&c, edition).await;
        axe(&c, "/espace/beneficiaires/{id}/modifier", &mut rapport).await;
        let action = js(&c, "return document.querySelector('form.formulaire').getAttribute('action');")
            .await
            .as_str()
            .expect("action")
            .to_string();
        envoyer_formulaire(&c, &action, &[("prenom", ""), ("commune", "99999")]).await;
        assert!(texte(&c, ".alerte-erreur").await.contains("Prénom"));
        axe(&c, "/espace/beneficiaires/{id}/modifier (erreurs)", &mut rapport).await;

        // An anonymous one, and a likely duplicate of Jeanne Dupont.
        aller(&c, site, "/espace/beneficiaires/nouveau").await;
        envoyer_formulaire(
            &c,
            "/espace/beneficiaires/nouveau",
            &[("commune", "16015"), ("tranche_age", "QuaranteCinquanteNeuf")],
        )
        .await;
        assert!(texte(&c, "h1").await.contains("anonyme"), "{}", texte(&c, "h1").await);
        let anonyme = url_courante(&c).await;
        site.store
            .creer_beneficiaire(&maillage_store::NouveauBeneficiaire {
                mediateur_id: mediateur.clone(),
                beneficiaire: maillage_beneficiaires::Beneficiaire {
                    prenom: Some("Jeanne".to_string()),
                    nom: Some("Dupond".to_string()),
                    telephone: Some("0612345678".to_string()),
                    annee_naissance: Some(1958),
                    commune_code_insee: Some("16015".to_string()),
                    ..Default::default()
                },
                cree_le: chrono::Utc::now(),
            })
            .await
            .expect("duplicate");
        axe_sur(&c, site, "/espace/beneficiaires", &mut rapport).await;
        aller(&c, site, "/espace/beneficiaires?q=dup").await;
        assert!(texte(&c, "table.tableau caption").await.contains("(2)"));
        axe(&c, "/espace/beneficiaires?q=dup", &mut rapport).await;
        axe_sur(&c, site, "/espace/beneficiaires?q=personne", &mut rapport).await;

        // Duplicates: the pair, a merge refused, the merge.
        aller(&c, site, "/espace/beneficiaires/doublons").await;
        assert!(texte(&c, "h2#paire-1").await.contains("Dupon"));
        axe(&c, "/espace/beneficiaires/doublons", &mut rapport).await;
        js(
            &c,
            "document.querySelectorAll('input[name=garder]').forEach(function (r) { r.checked = false; }); return null;",
        )
        .await;
        let fusion = trouver(&c, "form[action='/espace/beneficiaires/doublons'] button").await;
        cliquer_puis_attendre(&c, fusion).await;
        assert!(texte(&c, ".alerte-erreur").await.contains("Fiche à conserver"));
        axe(&c, "/espace/beneficiaires/doublons (erreur)", &mut rapport).await;
        let fusion = trouver(&c, "form[action='/espace/beneficiaires/doublons'] button").await;
        cliquer_puis_attendre(&c, fusion).await;
        assert!(texte(&c, ".alerte-succes").await.contains("Fusion effectuée"));
        axe(&c, "/espace/beneficiaires/{id}?fusion=…", &mut rapport).await;
        axe_sur(&c, site, "/espace/beneficiaires/doublons", &mut rapport).await;

        // Import: the form, a file with errors, a good file.
        axe_sur(&c, site, "/espace/beneficiaires/import", &mut rapport).await;
        let mauvais = dossier.path().join("liste.csv");
        std::fs::write(
            &mauvais,
            "Prénom;Nom;Téléphone;Consentement;Genre\n\
             Paul;Martin;12;oui;\n\
             ;;;;Extraterrestre\n",
        )
        .expect("file");
        trouver(&c, "#fichier")
            .await
            .send_keys(&mauvais.display().to_string())
            .await
            .expect("file chosen");
        let importer = trouver(&c, "form[action='/espace/beneficiaires/import'] button").await;
        cliquer_puis_attendre(&c, importer).await;
        assert!(texte(&c, "table.tableau caption")
            .await
            .contains("Erreurs du fichier (2)"));
        axe(&c, "/espace/beneficiaires/import (erreurs)", &mut rapport).await;
        let bon = dossier.path().join("bon.csv");
        std::fs::write(
            &bon,
            "Prénom;Nom;Téléphone;Consentement;Genre;Code Insee\n\
             Paul;Martin;0612345679;oui;Masculin;16015\n\
             ;;;;Féminin;\n",
        )
        .expect("file");
        trouver(&c, "#fichier")
            .await
            .send_keys(&bon.display().to_string())
            .await
            .expect("file chosen");
        let importer = trouver(&c, "form[action='/espace/beneficiaires/import'] button").await;
        cliquer_puis_attendre(&c, importer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("2 bénéficiaire(s) importé(s)"));
        axe(&c, "/espace/beneficiaires?importes=2", &mut rapport).await;

        // Deletion: the confirmation, then the list says so.
        c.goto(&format!("{anonyme}/supprimer")).await.expect("goto");
        axe(&c, "/espace/beneficiaires/{id}/supprimer", &mut rapport).await;
        let supprimer = trouver(&c, "form[action$='/supprimer'] button").await;
        cliquer_puis_attendre(&c, supprimer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("supprimé"));
        axe(&c, "/espace/beneficiaires?supprime=1", &mut rapport).await;

        // Statistics of a mediator employed by the structure: with data,
        // filtered, filtered to nothing, a filter error.
        site.store
            .employer(&mediateur, siret, jour(1, 6), None, chrono::Utc::now())
            .await
            .expect("employment");
        for (j, collectif, t) in [
            (jour(1, 15), false, vec![Thematique::Email, Thematique::Sante]),
            (jour(2, 20), false, vec![Thematique::NavigationSurInternet]),
            (jour(3, 4), true, vec![Thematique::PrendreEnMainDuMateriel]),
            (
                jour(3, 10),
                false,
                vec![
                    Thematique::AideAuxDemarchesAdministratives,
                    Thematique::Logement,
                ],
            ),
        ] {
            semer_activite(site, &mediateur, Some(siret), j, collectif, &t).await;
        }
        aller(&c, site, "/espace/statistiques").await;
        assert_eq!(nombre(&c, "figure.graphique svg[role=img] title").await, 10);
        axe(&c, "/espace/statistiques (médiateur)", &mut rapport).await;
        axe_sur(
            &c,
            site,
            "/espace/statistiques?perimetre=soi&du=2025-01-01&au=2025-03-11&type=individuel&type_lieu=Domicile&thematique=Email",
            &mut rapport,
        )
        .await;
        axe_sur(
            &c,
            site,
            "/espace/statistiques?thematique=Justice",
            &mut rapport,
        )
        .await;
        aller(
            &c,
            site,
            "/espace/statistiques?du=11%2F03%2F2025&au=2025-01-01&type=autre",
        )
        .await;
        assert!(texte(&c, "#erreurs").await.contains("Date de début"));
        axe(&c, "/espace/statistiques (erreurs)", &mut rapport).await;

        // API tokens: none, a refused creation, the one-time display, the
        // list, a revocation.
        axe_sur(&c, site, "/espace/jetons-api", &mut rapport).await;
        trouver(&c, "#portee-0").await.click().await.expect("untick");
        envoyer_formulaire(&c, "/espace/jetons-api", &[("nom", "")]).await;
        assert!(texte(&c, ".alerte-erreur").await.contains("pas été créé"));
        axe(&c, "/espace/jetons-api (erreurs)", &mut rapport).await;
        trouver(&c, "#portee-0").await.click().await.expect("tick");
        envoyer_formulaire(
            &c,
            "/espace/jetons-api",
            &[("nom", "Tableau de bord de la structure")],
        )
        .await;
        let jeton = trouver(&c, "#jeton")
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        assert!(jeton.starts_with("mlg_"), "{jeton}");
        axe(&c, "/espace/jetons-api (jeton créé)", &mut rapport).await;
        let retour = trouver(&c, "a.bouton[href='/espace/jetons-api']").await;
        cliquer_puis_attendre(&c, retour).await;
        axe(&c, "/espace/jetons-api (un jeton)", &mut rapport).await;
        let revoquer = trouver(&c, "form[action$='/revoquer'] button").await;
        cliquer_puis_attendre(&c, revoquer).await;
        assert!(texte(&c, ".alerte-succes").await.contains("révoqué"));
        axe(&c, "/espace/jetons-api (révoqué)", &mut rapport).await;

        // A second mediator in a coordinator's team.
        let autre = connecter(&c, site, "med2@exemple.fr", &[Attribution::mediateur()]).await;
        semer_activite(site, &autre, None, jour(2, 11), true, &[Thematique::Bureautique]).await;
        let coordinateur = connecter(
            &c,
            site,
            "coord@exemple.fr",
            &[Attribution::coordinateur(Vec::new())],
        )
        .await;
        for m in [&mediateur, &autre] {
            site.store
                .lier_equipe(&coordinateur, m, jour(1, 1))
                .await
                .expect("team link");
        }
        // The team is read on each request: no new sign-in.
        aller(&c, site, "/espace/statistiques").await;
        assert!(nombre(&c, "#mediateur option").await >= 3);
        axe(&c, "/espace/statistiques (coordinateur)", &mut rapport).await;
        axe_sur(
            &c,
            site,
            &format!("/espace/statistiques?perimetre=equipe&mediateur={autre}"),
            &mut rapport,
        )
        .await;

        // The structure's manager.
        connecter(
            &c,
            site,
            "gestion@exemple.fr",
            &[Attribution::gestionnaire_structure(siret)],
        )
        .await;
        axe_sur(&c, site, "/espace/statistiques", &mut rapport).await;

        // The département's manager: statistics, a commune, pilotage.
        connecter(
            &c,
            site,
            "dep16@exemple.fr",
            &[Attribution::gestionnaire_departement("16")],
        )
        .await;
        axe_sur(&c, site, "/espace/statistiques", &mut rapport).await;
        axe_sur(
            &c,
            site,
            "/espace/statistiques?perimetre=departement%3A16&commune=16015",
            &mut rapport,
        )
        .await;
        aller(&c, site, "/espace/statistiques?commune=75056").await;
        assert!(texte(&c, "#erreurs").await.contains("périmètre"));
        axe(&c, "/espace/statistiques (commune hors périmètre)", &mut rapport).await;
        aller(&c, site, "/espace/pilotage").await;
        assert!(texte(&c, "table.tableau tfoot").await.contains('5'));
        axe(&c, "/espace/pilotage (département)", &mut rapport).await;
        axe_sur(
            &c,
            site,
            "/espace/pilotage?indicateur=mediateurs&du=2025-01-01&au=2025-03-11",
            &mut rapport,
        )
        .await;
        aller(&c, site, "/espace/pilotage?du=2025-03-01&au=2025-01-01").await;
        assert!(texte(&c, ".alerte-erreur").await.contains("Date de fin"));
        axe(&c, "/espace/pilotage (erreur)", &mut rapport).await;

        // The région's manager, then an administrator (national).
        connecter(
            &c,
            site,
            "reg75@exemple.fr",
            &[Attribution::gestionnaire_region("75")],
        )
        .await;
        axe_sur(&c, site, "/espace/statistiques?perimetre=region%3A75", &mut rapport).await;
        axe_sur(&c, site, "/espace/pilotage", &mut rapport).await;
        connecter(
            &c,
            site,
            "admin@exemple.fr",
            &[Attribution::administrateur()],
        )
        .await;
        axe_sur(&c, site, "/espace/statistiques?perimetre=national", &mut rapport).await;
        axe_sur(&c, site, "/espace/pilotage", &mut rapport).await;

        eprintln!("axe : {} pages ou états vérifiés", rapport.pages.len());
        assert!(
            rapport.echecs.is_empty(),
            "{} violation(s) axe :\n{}",
            rapport.echecs.len(),
            rapport.echecs.join("\n\n")
        );
        assert_eq!(rapport.pages.len(), 40);
    })
    .await;
}
