//! `/gestion/signalements`: the open error reports, for the registry's
//! stewards. Protected by the steward token (`MAILLAGE_JETON_GESTION`),
//! given in a login form (session cookie) or as `Authorization: Bearer`.
//! Without a configured token the space is disabled.

use super::{erreur, rendre, segment, Mise};
use crate::etat::Etat;
use crate::parametres::Requete;
use crate::securite::{self, COOKIE_GESTION};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Reports shown at most.
pub const LIMITE: u32 = 500;

#[derive(Debug, Clone)]
pub struct Ligne {
    pub id: i64,
    pub lieu_id: String,
    pub lieu_url: String,
    pub lieu_nom: String,
    pub categorie: String,
    pub message: String,
    pub courriel: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "signalements.html")]
pub struct PageSignalements {
    pub mise: Mise,
    pub lignes: Vec<Ligne>,
    pub total: u64,
    pub ferme: bool,
}

#[derive(Template)]
#[template(path = "connexion.html")]
pub struct PageConnexion {
    pub mise: Mise,
    pub active: bool,
    pub erreur: Option<String>,
}

fn connexion_page(statut: StatusCode, active: bool, erreur: Option<String>) -> Response {
    let mut mise = Mise::new("Espace des gestionnaires", "");
    mise.prive = true;
    rendre(
        statut,
        &PageConnexion {
            mise,
            active,
            erreur,
        },
    )
}

fn libelle_categorie(c: &str) -> String {
    super::lieu::CATEGORIES
        .iter()
        .find(|(k, _)| *k == c)
        .map_or(c.to_string(), |(_, l)| l.to_string())
}

/// `GET /gestion/signalements`.
pub async fn liste(
    State(etat): State<Etat>,
    entetes: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    if etat.config().jeton_gestion.is_none() {
        return connexion_page(StatusCode::SERVICE_UNAVAILABLE, false, None);
    }
    if !securite::gestionnaire(&etat, &entetes) {
        return connexion_page(StatusCode::UNAUTHORIZED, true, None);
    }
    let store = etat.store();
    let (signalements, total) = match (
        store.signalements_ouverts(LIMITE).await,
        store.signalements_ouverts_count().await,
    ) {
        (Ok(s), Ok(n)) => (s, n),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("lecture des signalements : {e}");
            return erreur(
                StatusCode::SERVICE_UNAVAILABLE,
                "Signalements indisponibles",
                "La base de données ne répond pas. Réessayez dans quelques minutes.",
            );
        }
    };
    let catalogue = etat.catalogue();
    let lignes = signalements
        .into_iter()
        .map(|s| Ligne {
            id: s.id,
            lieu_url: segment(&s.lieu_id),
            lieu_nom: catalogue.lieu(&s.lieu_id).map_or_else(
                || format!("{} (retiré du registre)", s.lieu_id),
                |l| l.nom.to_string(),
            ),
            lieu_id: s.lieu_id,
            categorie: libelle_categorie(&s.categorie),
            message: s.message,
            courriel: s.courriel.unwrap_or_default(),
            date: s.cree_le.format("%d/%m/%Y %H:%M UTC").to_string(),
        })
        .collect();
    let mut mise = Mise::new("Signalements ouverts", "");
    mise.prive = true;
    let mut rep = rendre(
        StatusCode::OK,
        &PageSignalements {
            mise,
            lignes,
            total,
            ferme: q.as_deref() == Some("ferme=1"),
        },
    );
    rep.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    rep
}

/// `GET /gestion` and `/gestion/connexion`.
pub async fn connexion(State(etat): State<Etat>, entetes: HeaderMap) -> Response {
    if etat.config().jeton_gestion.is_none() {
        return connexion_page(StatusCode::SERVICE_UNAVAILABLE, false, None);
    }
    if securite::gestionnaire(&etat, &entetes) {
        return Redirect::to("/gestion/signalements").into_response();
    }
    connexion_page(StatusCode::OK, true, None)
}

/// `POST /gestion/connexion`.
pub async fn se_connecter(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    if etat.config().jeton_gestion.is_none() {
        return connexion_page(StatusCode::SERVICE_UNAVAILABLE, false, None);
    }
    if securite::inter_sites(&Method::POST, &entetes) {
        return erreur(
            StatusCode::FORBIDDEN,
            "Envoi refusé",
            "Ce formulaire doit être envoyé depuis ce site.",
        );
    }
    let ip = securite::adresse_client(&etat, &entetes, connexion.0);
    if let Err(attente) = etat.interne.limite_connexion.prendre(ip) {
        return securite::trop_de_requetes(attente, false);
    }
    let r = Requete::analyser(&corps).unwrap_or_default();
    let donne = r.un("jeton").unwrap_or_default();
    if !securite::jeton_valide(&etat, donne) {
        return connexion_page(
            StatusCode::UNAUTHORIZED,
            true,
            Some("Ce jeton n'est pas le bon.".to_string()),
        );
    }
    let valeur = securite::valeur_session_gestion(donne.trim());
    let cookie = format!(
        "{COOKIE_GESTION}={valeur}; Path=/gestion; Max-Age=28800; Secure; HttpOnly; SameSite=Strict"
    );
    let mut rep = Redirect::to("/gestion/signalements").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        rep.headers_mut().insert(header::SET_COOKIE, v);
    }
    rep
}

/// `POST /gestion/deconnexion`.
pub async fn se_deconnecter(entetes: HeaderMap) -> Response {
    if securite::inter_sites(&Method::POST, &entetes) {
        return erreur(
            StatusCode::FORBIDDEN,
            "Envoi refusé",
            "Ce formulaire doit être envoyé depuis ce site.",
        );
    }
    let mut rep = Redirect::to("/gestion/connexion").into_response();
    rep.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "maillage_gestion=; Path=/gestion; Max-Age=0; Secure; HttpOnly; SameSite=Strict",
        ),
    );
    rep
}

/// `POST /gestion/signalements/{id}/fermer`.
pub async fn fermer(State(etat): State<Etat>, Path(id): Path<i64>, entetes: HeaderMap) -> Response {
    if etat.config().jeton_gestion.is_none() {
        return connexion_page(StatusCode::SERVICE_UNAVAILABLE, false, None);
    }
    if securite::inter_sites(&Method::POST, &entetes) {
        return erreur(
            StatusCode::FORBIDDEN,
            "Envoi refusé",
            "Ce formulaire doit être envoyé depuis ce site.",
        );
    }
    if !securite::gestionnaire(&etat, &entetes) {
        return connexion_page(StatusCode::UNAUTHORIZED, true, None);
    }
    match etat.store().fermer_signalement(id, etat.maintenant()).await {
        Ok(true) => Redirect::to("/gestion/signalements?ferme=1").into_response(),
        Ok(false) => erreur(
            StatusCode::NOT_FOUND,
            "Signalement introuvable",
            "Ce signalement n'existe pas ou a déjà été traité.",
        ),
        Err(e) => {
            tracing::error!("clôture d'un signalement : {e}");
            erreur(
                StatusCode::SERVICE_UNAVAILABLE,
                "Clôture impossible",
                "La base de données ne répond pas. Réessayez dans quelques minutes.",
            )
        }
    }
}
