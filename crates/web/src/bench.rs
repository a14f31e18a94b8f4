//! The server side of `maillage bench-recherche`: the real router started
//! in-process behind a layer that times each request (handler, rendering
//! and compression, the body fully produced), a realistic mix of URLs drawn
//! from the catalogue, the `wrk` Lua script that rotates through them, and
//! the reading of `wrk`'s figures. Figures are measured here and printed by
//! the CLI, never asserted in tests.

use crate::etat::Etat;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use maillage_lieux::enums::{Frais, Service};
use maillage_lieux::{Ensemble, Valeur};
use maillage_orientation::texte::normaliser;
use maillage_orientation::{Catalogue, Recherche, Territoire};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The kinds of requests of the mix, each timed apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Genre {
    /// `GET /api/v1/lieux?services=…&frais_a_charge=Gratuit&territoire=dep:…`
    Filtree,
    /// `GET /api/v1/orientation?besoin=…&latitude=…&longitude=…&rayon_km=30&ouvert_maintenant=true`
    Orientation,
    /// `GET /api/v1/orientation/compte?…` (the questionnaire's live count)
    Compte,
    /// `GET /api/v1/lieux?q=…` (a word of a name and a commune with a typo)
    Texte,
    /// `GET /lieux?services=…&frais_a_charge=Gratuit&territoire=dep:…` (HTML)
    PageHtml,
    Autre,
}

impl Genre {
    pub const TOUS: [Genre; 6] = [
        Genre::Filtree,
        Genre::Orientation,
        Genre::Compte,
        Genre::Texte,
        Genre::PageHtml,
        Genre::Autre,
    ];

    pub fn libelle(self) -> &'static str {
        match self {
            Genre::Filtree => "API recherche filtrée",
            Genre::Orientation => "API orientation",
            Genre::Compte => "API compteur en direct",
            Genre::Texte => "API texte avec faute",
            Genre::PageHtml => "page HTML /lieux filtrée",
            Genre::Autre => "autre",
        }
    }

    /// Short ASCII name for the one-line summaries.
    pub fn code(self) -> &'static str {
        match self {
            Genre::Filtree => "filtree",
            Genre::Orientation => "orientation",
            Genre::Compte => "compte",
            Genre::Texte => "texte",
            Genre::PageHtml => "page_html",
            Genre::Autre => "autre",
        }
    }
}

/// The kind of a request from its path and query string.
pub fn genre_de(chemin: &str, requete: Option<&str>) -> Genre {
    let a_texte = || {
        requete.is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "q" && !v.trim().is_empty())
        })
    };
    match chemin {
        "/api/v1/orientation/compte" => Genre::Compte,
        "/api/v1/orientation" => Genre::Orientation,
        "/api/v1/lieux" if a_texte() => Genre::Texte,
        "/api/v1/lieux" => Genre::Filtree,
        "/lieux" => Genre::PageHtml,
        _ => Genre::Autre,
    }
}

pub use maillage_orientation::bench::{faute, percentile};

/// p50, p99 and max of some durations (sorted here).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quantiles {
    pub nombre: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Quantiles {
    pub fn de(mut durees: Vec<Duration>) -> Quantiles {
        durees.sort_unstable();
        Quantiles {
            nombre: durees.len(),
            p50: percentile(&durees, 0.50),
            p99: percentile(&durees, 0.99),
            max: durees.last().copied().unwrap_or_default(),
        }
    }
}

/// What the timing layer saw for one kind of request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReleveGenre {
    pub quantiles: Quantiles,
    /// Answers other than 200.
    pub non_200: usize,
}

/// Records the server-side duration of each request, by kind.
#[derive(Clone, Default)]
pub struct Chronometre {
    releves: Arc<Mutex<Vec<(Genre, Duration, bool)>>>,
}

impl Chronometre {
    fn noter(&self, genre: Genre, duree: Duration, ok: bool) {
        let mut r = self.releves.lock().unwrap_or_else(|e| e.into_inner());
        r.push((genre, duree, ok));
    }

    /// Forgets what was recorded (after a warm-up).
    pub fn vider(&self) {
        self.releves
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Quantiles per kind (kinds seen only), and all kinds together.
    pub fn releves(&self) -> (Vec<(Genre, ReleveGenre)>, ReleveGenre) {
        let r = self.releves.lock().unwrap_or_else(|e| e.into_inner());
        let mut par_genre = Vec::new();
        for g in Genre::TOUS {
            let durees: Vec<Duration> = r.iter().filter(|x| x.0 == g).map(|x| x.1).collect();
            if durees.is_empty() {
                continue;
            }
            let non_200 = r.iter().filter(|x| x.0 == g && !x.2).count();
            par_genre.push((
                g,
                ReleveGenre {
                    quantiles: Quantiles::de(durees),
                    non_200,
                },
            ));
        }
        let tous = ReleveGenre {
            quantiles: Quantiles::de(r.iter().map(|x| x.1).collect()),
            non_200: r.iter().filter(|x| !x.2).count(),
        };
        (par_genre, tous)
    }
}

/// The timing layer: from the request reaching the router to the answer's
/// body fully produced (handler, template, JSON, compression), the body
/// being collected here before it is sent.
async fn chronometrer(State(c): State<Chronometre>, req: Request, next: Next) -> Response {
    let debut = Instant::now();
    let genre = genre_de(req.uri().path(), req.uri().query());
    let reponse = next.run(req).await;
    let (parts, corps) = reponse.into_parts();
    let octets = axum::body::to_bytes(corps, usize::MAX).await;
    c.noter(genre, debut.elapsed(), parts.status == StatusCode::OK);
    match octets {
        Ok(o) => Response::from_parts(parts, Body::from(o)),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The site's router behind the timing layer.
pub fn routeur_chronometre(etat: Etat, chronometre: Chronometre) -> Router {
    crate::routeur(etat).layer(middleware::from_fn_with_state(chronometre, chronometrer))
}

/// Sends the first `par_genre` paths of each kind to the router (no
/// network, no timing) and returns those not answered 200, with the status.
pub async fn verifier_chemins(
    etat: &Etat,
    chemins: &[(Genre, String)],
    par_genre: usize,
) -> Vec<(String, StatusCode)> {
    use tower::ServiceExt;
    let mut refus = Vec::new();
    let mut vus = std::collections::HashMap::<Genre, usize>::new();
    for (genre, chemin) in chemins {
        let compte = vus.entry(*genre).or_default();
        if *compte >= par_genre {
            continue;
        }
        *compte += 1;
        let requete = axum::http::Request::builder()
            .uri(chemin.as_str())
            .header("x-forwarded-for", "10.255.255.255")
            .body(Body::empty());
        let Ok(requete) = requete else {
            refus.push((chemin.clone(), StatusCode::BAD_REQUEST));
            continue;
        };
        let statut = match crate::routeur(etat.clone()).oneshot(requete).await {
            Ok(r) => r.status(),
            Err(e) => match e {},
        };
        if statut != StatusCode::OK {
            refus.push((chemin.clone(), statut));
        }
    }
    refus
}

/// A timed server listening on loopback, in this process.
pub struct ServeurMesure {
    pub adresse: SocketAddr,
    pub chronometre: Chronometre,
    arret: tokio::sync::oneshot::Sender<()>,
    tache: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ServeurMesure {
    /// Listens on `127.0.0.1:0` and serves [`routeur_chronometre`].
    pub async fn demarrer(etat: Etat) -> anyhow::Result<ServeurMesure> {
        let ecouteur = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let adresse = ecouteur.local_addr()?;
        let chronometre = Chronometre::default();
        let app = routeur_chronometre(etat, chronometre.clone());
        let (arret, recu) = tokio::sync::oneshot::channel::<()>();
        let tache = tokio::spawn(async move {
            axum::serve(
                ecouteur,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = recu.await;
            })
            .await
        });
        Ok(ServeurMesure {
            adresse,
            chronometre,
            arret,
            tache,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.adresse)
    }

    pub async fn arreter(self) {
        let _ = self.arret.send(());
        let _ = self.tache.await;
    }
}

/// One filtered search of the benchmark: some services, free of charge, in
/// a département — the query also run in PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub struct RequeteFiltree {
    pub services: Vec<Service>,
    pub departement: String,
}

impl RequeteFiltree {
    pub fn paires(&self) -> String {
        let services: Vec<&str> = self.services.iter().map(|s| s.valeur()).collect();
        form_urlencoded::Serializer::new(String::new())
            .append_pair("services", &services.join(","))
            .append_pair("frais_a_charge", Frais::Gratuit.valeur())
            .append_pair("territoire", &format!("dep:{}", self.departement))
            .finish()
    }

    /// The domain search the API runs for it (first page of 20).
    pub fn recherche(&self) -> Recherche {
        let mut services = Ensemble::<Service>::empty();
        for s in &self.services {
            services.insert(*s);
        }
        Recherche {
            services,
            frais_a_charge: Frais::Gratuit.into(),
            territoire: Some(Territoire::Departement(self.departement.as_str().into())),
            par_page: crate::api::lieux::PAR_PAGE_DEFAUT,
            ..Recherche::default()
        }
    }
}

/// The indexes of the places with usable coordinates.
fn avec_position(catalogue: &Catalogue) -> Vec<usize> {
    (0..catalogue.len())
        .filter(|&i| catalogue.fiche(i).position.is_some())
        .collect()
}

/// Deterministic filtered searches: one or two random services, free, the
/// département of a random place.
pub fn requetes_filtrees(catalogue: &Catalogue, nombre: usize, graine: u64) -> Vec<RequeteFiltree> {
    let mut rng = fastrand::Rng::with_seed(graine);
    let n = catalogue.len();
    let mut requetes = Vec::with_capacity(nombre);
    if n == 0 {
        return requetes;
    }
    let mut essais = 0;
    while requetes.len() < nombre && essais < nombre * 10 {
        essais += 1;
        let Some(dep) = catalogue.fiche(rng.usize(0..n)).code_departement.clone() else {
            continue;
        };
        let mut services = vec![Service::TOUTES[rng.usize(0..Service::TOUTES.len())]];
        if rng.bool() {
            let autre = Service::TOUTES[rng.usize(0..Service::TOUTES.len())];
            if !services.contains(&autre) {
                services.push(autre);
            }
        }
        requetes.push(RequeteFiltree {
            services,
            departement: dep.to_string(),
        });
    }
    requetes
}

/// The order of the kinds in the mix, repeated: of 20 requests, 5 filtered
/// searches, 5 orientations, 4 text searches, 3 live counts, 3 HTML pages.
pub const MOTIF: [Genre; 20] = {
    use Genre::*;
    [
        Filtree,
        Orientation,
        Texte,
        Filtree,
        Orientation,
        Compte,
        PageHtml,
        Filtree,
        Orientation,
        Texte,
        Filtree,
        Orientation,
        Compte,
        PageHtml,
        Texte,
        Filtree,
        Orientation,
        Texte,
        Compte,
        PageHtml,
    ]
};

/// `nombre` paths (with query) following [`MOTIF`], drawn deterministically
/// from the catalogue: real départements, positions near real places, words
/// of real names with a commune misspelt.
pub fn melange(catalogue: &Catalogue, nombre: usize, graine: u64) -> Vec<(Genre, String)> {
    let mut rng = fastrand::Rng::with_seed(graine);
    let n = catalogue.len();
    let positions = avec_position(catalogue);
    let filtrees = requetes_filtrees(catalogue, nombre, graine ^ 0x5eed);
    let mut chemins = Vec::with_capacity(nombre);
    if n == 0 || filtrees.is_empty() {
        return chemins;
    }
    for k in 0..nombre {
        let genre = MOTIF[k % MOTIF.len()];
        let f = &filtrees[k % filtrees.len()];
        let chemin = match genre {
            Genre::Filtree => format!("/api/v1/lieux?{}", f.paires()),
            Genre::PageHtml => format!("/lieux?{}", f.paires()),
            Genre::Orientation | Genre::Compte => {
                let i = if positions.is_empty() {
                    rng.usize(0..n)
                } else {
                    positions[rng.usize(0..positions.len())]
                };
                let (la, lo) = catalogue
                    .fiche(i)
                    .position
                    .map_or((46.5, 2.5), |p| (p.latitude, p.longitude));
                let paires = form_urlencoded::Serializer::new(String::new())
                    .append_pair(
                        "besoin",
                        Service::TOUTES[rng.usize(0..Service::TOUTES.len())].valeur(),
                    )
                    .append_pair("latitude", &format!("{:.5}", la + (rng.f64() - 0.5) * 0.1))
                    .append_pair("longitude", &format!("{:.5}", lo + (rng.f64() - 0.5) * 0.1))
                    .append_pair("rayon_km", "30")
                    .append_pair("ouvert_maintenant", "true")
                    .finish();
                let route = if genre == Genre::Compte {
                    "/api/v1/orientation/compte"
                } else {
                    "/api/v1/orientation"
                };
                format!("{route}?{paires}")
            }
            Genre::Texte | Genre::Autre => {
                let l = &catalogue.lieux()[rng.usize(0..n)];
                let nom = normaliser(&l.nom);
                let mot = nom
                    .split(' ')
                    .find(|m| m.len() >= 4)
                    .unwrap_or("mediatheque")
                    .to_string();
                let commune = normaliser(&l.commune);
                let commune = commune.split(' ').max_by_key(|m| m.len()).unwrap_or("");
                let q = format!("{mot} {}", faute(commune, &mut rng));
                let paires = form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", q.trim())
                    .finish();
                format!("/api/v1/lieux?{paires}")
            }
        };
        chemins.push((genre, chemin));
    }
    chemins
}

/// A Lua string literal.
fn chaine_lua(s: &str) -> String {
    let mut sortie = String::with_capacity(s.len() + 2);
    sortie.push('"');
    for c in s.chars() {
        match c {
            '"' => sortie.push_str("\\\""),
            '\\' => sortie.push_str("\\\\"),
            '\n' => sortie.push_str("\\n"),
            '\r' => sortie.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(sortie, "\\{}", c as u32);
            }
            c => sortie.push(c),
        }
    }
    sortie.push('"');
    sortie
}

/// Number of client addresses per `wrk` thread (`X-Forwarded-For`).
pub const ADRESSES_PAR_FIL: usize = 4096;

/// The `wrk` script: each thread pre-formats [`ADRESSES_PAR_FIL`] requests
/// rotating through `chemins` (offset per thread), each from its own client
/// address `10.<thread>.x.y` in `X-Forwarded-For` (the server runs behind a
/// proxy: the API rate limit applies per client, as in production with many
/// users), with a browser's `Accept-Encoding`. `done` prints one line
/// `MAILLAGE_WRK clé=valeur…` read by [`analyser_sortie_wrk`].
pub fn script_wrk(chemins: &[String]) -> String {
    let mut s = String::new();
    s.push_str("-- Généré par maillage bench-recherche.\nlocal chemins = {\n");
    for c in chemins {
        let _ = writeln!(s, "  {},", chaine_lua(c));
    }
    let _ = write!(
        s,
        r#"}}
local fils = 0
function setup(thread)
  thread:set("fil", fils)
  fils = fils + 1
end
local requetes = {{}}
local k = 0
function init(args)
  local f = tonumber(fil) or 0
  for i = 0, {n} - 1 do
    local ip = "10." .. (f % 256) .. "." .. math.floor(i / 256) % 256 .. "." .. (i % 256)
    local chemin = chemins[((i + f * 997) % #chemins) + 1]
    requetes[i + 1] = wrk.format("GET", chemin, {{
      ["X-Forwarded-For"] = ip,
      ["Accept-Encoding"] = "gzip, deflate, br",
    }})
  end
end
function request()
  k = (k % #requetes) + 1
  return requetes[k]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "MAILLAGE_WRK requetes=%d duree_us=%d octets=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d erreurs_connexion=%d erreurs_lecture=%d erreurs_ecriture=%d erreurs_statut=%d erreurs_delai=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"#,
        n = ADRESSES_PAR_FIL
    );
    s
}

/// What `wrk` measured (client side, over loopback).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultatWrk {
    pub requetes: u64,
    pub duree: Duration,
    pub octets: u64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub erreurs_connexion: u64,
    pub erreurs_lecture: u64,
    pub erreurs_ecriture: u64,
    /// Answers other than 2xx/3xx.
    pub erreurs_statut: u64,
    pub erreurs_delai: u64,
}

impl ResultatWrk {
    pub fn requetes_par_seconde(&self) -> f64 {
        self.requetes as f64 / self.duree.as_secs_f64().max(1e-9)
    }

    pub fn erreurs(&self) -> u64 {
        self.erreurs_connexion
            + self.erreurs_lecture
            + self.erreurs_ecriture
            + self.erreurs_statut
            + self.erreurs_delai
    }
}

/// Reads the `MAILLAGE_WRK` line printed by [`script_wrk`]'s `done`.
pub fn analyser_sortie_wrk(sortie: &str) -> Option<ResultatWrk> {
    let ligne = sortie
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("MAILLAGE_WRK "))?;
    let mut r = ResultatWrk::default();
    let mut vus = 0;
    for paire in ligne.split_whitespace() {
        let (cle, valeur) = paire.split_once('=')?;
        let v: u64 = valeur.parse().ok()?;
        let us = Duration::from_micros(v);
        match cle {
            "requetes" => r.requetes = v,
            "duree_us" => r.duree = us,
            "octets" => r.octets = v,
            "p50_us" => r.p50 = us,
            "p90_us" => r.p90 = us,
            "p99_us" => r.p99 = us,
            "max_us" => r.max = us,
            "erreurs_connexion" => r.erreurs_connexion = v,
            "erreurs_lecture" => r.erreurs_lecture = v,
            "erreurs_ecriture" => r.erreurs_ecriture = v,
            "erreurs_statut" => r.erreurs_statut = v,
            "erreurs_delai" => r.erreurs_delai = v,
            _ => continue,
        }
        vus += 1;
    }
    (vus == 12).then_some(r)
}

/// How `wrk` is run.
#[derive(Debug, Clone)]
pub struct OptionsWrk {
    pub duree: Duration,
    pub connexions: u32,
    pub fils: u32,
}

/// Why `wrk` gave no figures.
#[derive(Debug)]
pub enum ErreurWrk {
    /// `wrk` is not installed.
    Absent,
    Echec(String),
}

impl std::fmt::Display for ErreurWrk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErreurWrk::Absent => write!(
                f,
                "wrk est introuvable (installez-le : apt-get install wrk) : mesure de charge sautée"
            ),
            ErreurWrk::Echec(e) => write!(f, "wrk a échoué : {e}"),
        }
    }
}

/// Runs `wrk` against `url` with `script` (blocking: call it from
/// `spawn_blocking`).
pub fn lancer_wrk(url: &str, script: &Path, o: &OptionsWrk) -> Result<ResultatWrk, ErreurWrk> {
    let fils = o.fils.max(1);
    let sortie = std::process::Command::new("wrk")
        .arg("-t")
        .arg(fils.to_string())
        .arg("-c")
        .arg(o.connexions.max(fils).to_string())
        .arg("-d")
        .arg(format!("{}s", o.duree.as_secs().max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(script)
        .arg(url)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ErreurWrk::Absent
            } else {
                ErreurWrk::Echec(e.to_string())
            }
        })?;
    let stdout = String::from_utf8_lossy(&sortie.stdout);
    if !sortie.status.success() {
        return Err(ErreurWrk::Echec(format!(
            "{}{}",
            stdout.trim(),
            String::from_utf8_lossy(&sortie.stderr).trim()
        )));
    }
    analyser_sortie_wrk(&stdout).ok_or_else(|| {
        ErreurWrk::Echec(format!(
            "résultat illisible : {}",
            stdout.chars().take(500).collect::<String>()
        ))
    })
}

/// True when a `wrk` executable can be started.
pub fn wrk_disponible() -> bool {
    std::process::Command::new("wrk")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> Duration {
        Duration::from_millis(x)
    }

    #[test]
    fn quantiles_tries_ici() {
        let q = Quantiles::de(vec![ms(3), ms(1), ms(2)]);
        assert_eq!((q.nombre, q.p50, q.max), (3, ms(2), ms(3)));
    }

    #[test]
    fn genres_des_requetes() {
        assert_eq!(
            genre_de("/api/v1/lieux", Some("services=x&territoire=dep:33")),
            Genre::Filtree
        );
        assert_eq!(
            genre_de("/api/v1/lieux", Some("q=mediatheque+bordaux")),
            Genre::Texte
        );
        assert_eq!(genre_de("/api/v1/lieux", Some("q=")), Genre::Filtree);
        assert_eq!(genre_de("/api/v1/lieux", None), Genre::Filtree);
        assert_eq!(
            genre_de("/api/v1/orientation", Some("besoin=x")),
            Genre::Orientation
        );
        assert_eq!(genre_de("/api/v1/orientation/compte", None), Genre::Compte);
        assert_eq!(genre_de("/lieux", Some("services=x")), Genre::PageHtml);
        assert_eq!(genre_de("/lieux/abc", None), Genre::Autre);
        assert_eq!(MOTIF.iter().filter(|g| **g == Genre::Filtree).count(), 5);
        assert_eq!(MOTIF.iter().filter(|g| **g == Genre::PageHtml).count(), 3);
    }

    #[test]
    fn requete_filtree_en_parametres() {
        let r = RequeteFiltree {
            services: vec![Service::TOUTES[0], Service::TOUTES[1]],
            departement: "2A".to_string(),
        };
        let p = r.paires();
        assert!(p.contains("frais_a_charge=Gratuit"), "{p}");
        assert!(p.ends_with("territoire=dep%3A2A"), "{p}");
        let lu = crate::parametres::Filtres::analyser(
            &p,
            maillage_territoires::Referentiel::embarque().expect("référentiel"),
        )
        .expect("paramètres valides");
        assert_eq!(lu.recherche(20).services, r.recherche().services);
        assert_eq!(lu.recherche(20).territoire, r.recherche().territoire);
    }

    #[test]
    fn script_lua() {
        let s = script_wrk(&[
            "/api/v1/lieux?q=a+b".to_string(),
            "/x?\"guillemet\\".to_string(),
        ]);
        assert!(s.contains("  \"/api/v1/lieux?q=a+b\",\n"), "{s}");
        assert!(s.contains(r#"  "/x?\"guillemet\\","#), "{s}");
        assert!(s.contains("for i = 0, 4096 - 1 do"), "{s}");
        assert!(s.contains("MAILLAGE_WRK requetes=%d"), "{s}");
        assert_eq!(chaine_lua("a\nb\u{1}"), "\"a\\nb\\1\"");
    }

    #[test]
    fn sortie_de_wrk() {
        let sortie = "Running 10s test @ http://127.0.0.1:1\n  2 threads\nRequests/sec: 1.0\nMAILLAGE_WRK requetes=50000 duree_us=10000000 octets=123 p50_us=900 p90_us=2000 p99_us=5000 max_us=9000 erreurs_connexion=0 erreurs_lecture=1 erreurs_ecriture=0 erreurs_statut=2 erreurs_delai=0\n";
        let r = analyser_sortie_wrk(sortie).expect("lisible");
        assert_eq!(r.requetes, 50_000);
        assert_eq!(r.p99, Duration::from_millis(5));
        assert_eq!(r.erreurs(), 3);
        assert!((r.requetes_par_seconde() - 5000.0).abs() < 1e-6);
        assert!(analyser_sortie_wrk("Requests/sec: 1.0").is_none());
        assert!(analyser_sortie_wrk("MAILLAGE_WRK requetes=1").is_none());
    }
}
