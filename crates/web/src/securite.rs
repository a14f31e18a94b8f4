//! Security: response headers (CSP without inline code, frame rules),
//! cross-site request refusal for forms (Origin / Sec-Fetch-Site), per-address
//! rate limiting, signed form timestamps, and the steward token.

use crate::etat::Etat;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest accepted URI (path and query), bytes.
pub const URI_MAX: usize = 8 * 1024;
/// Largest accepted request body, bytes.
pub const CORPS_MAX: usize = 32 * 1024;

/// The Content-Security-Policy `img-src` source of a tile URL template:
/// its origin, with `{s}` subdomains as a wildcard.
pub fn source_tuiles(modele: &str) -> Option<String> {
    let (schema, reste) = modele.split_once("://")?;
    if schema != "https" && schema != "http" {
        return None;
    }
    let hote = reste.split('/').next()?.replace("{s}", "*");
    if hote.is_empty()
        || !hote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*' | '[' | ']'))
    {
        return None;
    }
    Some(format!("{schema}://{hote}"))
}

/// The CSP of every page. `embed`: any site may frame it.
pub fn csp(etat: &Etat, embed: bool) -> String {
    let tuiles = etat
        .config()
        .tuiles
        .as_deref()
        .and_then(source_tuiles)
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let ancetres = if embed { "*" } else { "'none'" };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{tuiles}; \
         connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; \
         frame-ancestors {ancetres}"
    )
}

/// Adds the security headers to every response.
pub async fn entetes(State(etat): State<Etat>, req: Request, next: Next) -> Response {
    let embed = req.uri().path() == "/embed" || req.uri().path().starts_with("/embed/");
    let mut rep = next.run(req).await;
    let h = rep.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp(&etat, embed)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if !embed {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("geolocation=(), camera=(), microphone=(), payment=(), usb=()"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    rep
}

/// Refuses over-long URIs (414) before any parsing.
pub async fn limite_uri(req: Request, next: Next) -> Response {
    let n = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if n > URI_MAX {
        return (
            StatusCode::URI_TOO_LONG,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Adresse trop longue.",
        )
            .into_response();
    }
    next.run(req).await
}

/// True when a state-changing request comes from another site (Filippo
/// Valsorda's algorithm: Sec-Fetch-Site, then Origin against Host; a
/// request with neither header is not from a browser and is allowed).
pub fn inter_sites(methode: &Method, entetes: &HeaderMap) -> bool {
    if matches!(*methode, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = entetes.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origine) = entetes.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let hote = entetes
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let hote_origine = origine.split_once("://").map_or("", |(_, h)| h);
    origine == "null" || hote.is_empty() || hote_origine != hote
}

/// The client's address: the connection's, or the last `X-Forwarded-For`
/// hop when configured behind a proxy.
pub fn adresse_client(
    etat: &Etat,
    req_entetes: &HeaderMap,
    connexion: Option<SocketAddr>,
) -> IpAddr {
    if etat.config().derriere_proxy {
        if let Some(ip) = req_entetes
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return ip;
        }
    }
    connexion.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

pub fn adresse_de(etat: &Etat, req: &Request) -> IpAddr {
    let connexion = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    adresse_client(etat, req.headers(), connexion)
}

/// The connection's address, when the server was started with connect
/// info (absent in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct Connexion(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Connexion {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _etat: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Connexion(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Per-address token buckets.
pub struct Limiteur {
    par_seconde: f64,
    rafale: f64,
    seaux: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl Limiteur {
    pub fn new(par_seconde: f64, rafale: f64) -> Limiteur {
        Limiteur {
            par_seconde,
            rafale: rafale.max(1.0),
            seaux: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip`; `Err(wait)` when none is left.
    pub fn prendre(&self, ip: IpAddr) -> Result<(), Duration> {
        let maintenant = Instant::now();
        let mut seaux = match self.seaux.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        // Bounded memory under a flood of addresses.
        if seaux.len() > 100_000 {
            seaux.clear();
        }
        let (jetons, vu) = seaux.entry(ip).or_insert((self.rafale, maintenant));
        let ecoule = maintenant.saturating_duration_since(*vu).as_secs_f64();
        *jetons = (*jetons + ecoule * self.par_seconde).min(self.rafale);
        *vu = maintenant;
        if *jetons >= 1.0 {
            *jetons -= 1.0;
            Ok(())
        } else {
            let attente = (1.0 - *jetons) / self.par_seconde.max(1e-9);
            Err(Duration::from_secs_f64(attente.min(86_400.0)))
        }
    }

    /// Drops the buckets that are full again.
    pub fn oublier_inactifs(&self) {
        let maintenant = Instant::now();
        let mut seaux = match self.seaux.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let (par_seconde, rafale) = (self.par_seconde, self.rafale);
        seaux.retain(|_, (jetons, vu)| {
            *jetons + maintenant.saturating_duration_since(*vu).as_secs_f64() * par_seconde < rafale
        });
    }
}

/// Rate limit of the API routes (429 with a French JSON error).
pub async fn limite_api(State(etat): State<Etat>, req: Request, next: Next) -> Response {
    let ip = adresse_de(&etat, &req);
    match etat.interne.limite_api.prendre(ip) {
        Ok(()) => next.run(req).await,
        Err(attente) => trop_de_requetes(attente, true),
    }
}

pub fn trop_de_requetes(attente: Duration, json: bool) -> Response {
    let secondes = attente.as_secs().max(1);
    let message =
        format!("trop de requêtes depuis votre adresse : réessayez dans {secondes} secondes");
    let retry = [(header::RETRY_AFTER, secondes.to_string())];
    if json {
        (
            StatusCode::TOO_MANY_REQUESTS,
            retry,
            axum::Json(serde_json::json!({ "erreur": message })),
        )
            .into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            retry,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response()
    }
}

type HmacSha256 = Hmac<Sha256>;

fn signer(cle: &[u8], message: &str) -> String {
    match HmacSha256::new_from_slice(cle) {
        Ok(mut m) => {
            m.update(message.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        // HMAC accepts keys of any length.
        Err(_) => String::new(),
    }
}

fn egal_temps_constant(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed timestamp of a form shown at `horodatage` (Unix seconds):
/// `horodatage.signature`.
pub fn jeton_formulaire(cle: &[u8], objet: &str, horodatage: i64) -> String {
    format!(
        "{horodatage}.{}",
        signer(cle, &format!("formulaire|{objet}|{horodatage}"))
    )
}

/// Checks a form timestamp: signed by us for `objet`, at least `delai_min`
/// old and at most 2 hours. `Err` holds a French reason.
pub fn verifier_jeton_formulaire(
    cle: &[u8],
    objet: &str,
    jeton: &str,
    maintenant: i64,
    delai_min: Duration,
) -> Result<(), &'static str> {
    let Some((h, sig)) = jeton.split_once('.') else {
        return Err("formulaire invalide : rechargez la page");
    };
    let Ok(horodatage) = h.parse::<i64>() else {
        return Err("formulaire invalide : rechargez la page");
    };
    let attendu = signer(cle, &format!("formulaire|{objet}|{horodatage}"));
    if !egal_temps_constant(attendu.as_bytes(), sig.as_bytes()) {
        return Err("formulaire invalide : rechargez la page");
    }
    let age = maintenant - horodatage;
    if age < i64::try_from(delai_min.as_secs()).unwrap_or(i64::MAX) {
        return Err("formulaire envoyé trop vite : relisez-le puis envoyez-le de nouveau");
    }
    if age > 2 * 3600 {
        return Err("formulaire expiré : rechargez la page");
    }
    Ok(())
}

/// Name of the steward session cookie.
pub const COOKIE_GESTION: &str = "maillage_gestion";

/// The cookie value proving the token was given (never the token itself).
pub fn valeur_session_gestion(jeton: &str) -> String {
    signer(jeton.as_bytes(), "session-gestion")
}

/// True when the request carries the steward token (Bearer) or the
/// session cookie.
pub fn gestionnaire(etat: &Etat, entetes: &HeaderMap) -> bool {
    let Some(jeton) = etat.config().jeton_gestion.as_deref() else {
        return false;
    };
    if let Some(b) = entetes
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        if egal_temps_constant(b.trim().as_bytes(), jeton.as_bytes()) {
            return true;
        }
    }
    let attendu = valeur_session_gestion(jeton);
    entetes
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == COOKIE_GESTION && egal_temps_constant(v.as_bytes(), attendu.as_bytes()))
}

/// True when the given token is the steward token.
pub fn jeton_valide(etat: &Etat, donne: &str) -> bool {
    etat.config()
        .jeton_gestion
        .as_deref()
        .is_some_and(|j| egal_temps_constant(donne.trim().as_bytes(), j.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origine_des_tuiles() {
        assert_eq!(
            source_tuiles("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            source_tuiles("http://127.0.0.1:8081/t/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(source_tuiles("javascript:alert(1)"), None);
        assert_eq!(source_tuiles("https://a b/x"), None);
        assert_eq!(source_tuiles("https://a;script-src *"), None);
    }

    #[test]
    fn requetes_inter_sites() {
        let mut h = HeaderMap::new();
        assert!(!inter_sites(&Method::POST, &h), "no browser headers");
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(inter_sites(&Method::POST, &h));
        assert!(!inter_sites(&Method::GET, &h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!inter_sites(&Method::POST, &h));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("exemple.fr"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://exemple.fr"),
        );
        assert!(!inter_sites(&Method::POST, &h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://autre.fr"));
        assert!(inter_sites(&Method::POST, &h));
    }

    #[test]
    fn jetons_de_formulaire() {
        let cle = b"cle";
        let j = jeton_formulaire(cle, "lieu-1", 1_000);
        let d = Duration::from_secs(3);
        assert!(verifier_jeton_formulaire(cle, "lieu-1", &j, 1_010, d).is_ok());
        assert!(
            verifier_jeton_formulaire(cle, "lieu-1", &j, 1_001, d).is_err(),
            "too fast"
        );
        assert!(
            verifier_jeton_formulaire(cle, "lieu-1", &j, 100_000, d).is_err(),
            "expired"
        );
        assert!(
            verifier_jeton_formulaire(cle, "lieu-2", &j, 1_010, d).is_err(),
            "other place"
        );
        assert!(verifier_jeton_formulaire(b"autre", "lieu-1", &j, 1_010, d).is_err());
        assert!(verifier_jeton_formulaire(cle, "lieu-1", "999.abc", 1_010, d).is_err());
    }

    #[test]
    fn seau_de_jetons() {
        let l = Limiteur::new(0.001, 3.0);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..3 {
            assert!(l.prendre(ip).is_ok());
        }
        assert!(l.prendre(ip).is_err());
        assert!(l.prendre(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))).is_ok());
    }
}
