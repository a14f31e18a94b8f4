//! `GET /api/v1/orientation` and its live count.

use super::{arrondi_km, erreur_parametre, objet_lieu, ErreurApi};
use crate::etat::Etat;
use crate::parametres::{Reponses, Requete};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// A proposal: the place (standard's fields), its distance, fit score and
/// reasons.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct PropositionApi {
    /// Champs du standard, comme dans /api/v1/lieux.
    lieu: super::lieux::LieuApi,
    distance_km: Option<f64>,
    /// Adéquation aux réponses, de 0 à 20.
    score: u8,
    /// `{"code": "distance", "texte": "À 2,4 km"}`…
    raisons: Vec<RaisonApi>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RaisonApi {
    code: String,
    texte: String,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReponseOrientation {
    /// Lieux qui remplissent les critères obligatoires.
    total: u64,
    propositions: Vec<PropositionApi>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Compte {
    total: u64,
}

fn reponses(etat: &Etat, q: Option<&str>) -> Result<Reponses, Box<Response>> {
    Requete::analyser(q.unwrap_or_default())
        .and_then(|r| Reponses::depuis(&r, etat.referentiel()))
        .map_err(|e| Box::new(erreur_parametre(e)))
}

#[utoipa::path(
    get,
    path = "/api/v1/orientation",
    tag = "orientation",
    summary = "Orienter une personne",
    description = "Le questionnaire d'orientation : un besoin (un service du standard), un point de départ et un rayon (30 km par défaut), l'accueil adapté souhaité, les disponibilités. Les lieux sont classés par distance puis par adéquation, avec les raisons. Rien n'est enregistré.",
    params(
        ("besoin" = Option<String>, Query, description = "Un service du standard."),
        ("latitude" = Option<f64>, Query, description = "Point de départ (avec longitude)."),
        ("longitude" = Option<f64>, Query, description = "Point de départ (avec latitude)."),
        ("pres_de" = Option<String>, Query, description = "Point de départ en texte : commune, code postal ou « latitude, longitude »."),
        ("rayon_km" = Option<f64>, Query, description = "Rayon en km (30 par défaut)."),
        ("prise_en_charge_specifique" = Option<String>, Query, description = "Accueil adapté souhaité, valeurs du standard séparées par des virgules."),
        ("ouvert_maintenant" = Option<bool>, Query, description = "Disponible maintenant."),
        ("ouvert_le" = Option<String>, Query, description = "Disponible à cette date et heure locales (ISO 8601)."),
        ("ouvert_week_end" = Option<bool>, Query, description = "Disponible le week-end."),
        ("strict" = Option<bool>, Query, description = "`true` : l'accueil adapté et les disponibilités deviennent obligatoires."),
        ("page" = Option<u32>, Query, description = "Page, de 1 à 10 000."),
        ("par_page" = Option<u32>, Query, description = "Propositions par page, de 1 à 100 (10 par défaut)."),
    ),
    responses(
        (status = 200, description = "Les propositions classées", body = ReponseOrientation),
        (status = 400, description = "Paramètre invalide", body = ErreurApi),
    )
)]
pub async fn orientation(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let rep = match reponses(&etat, q.as_deref()) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let c = etat.catalogue();
    let o = c.orienter(&rep.questionnaire(10), etat.maintenant());
    let propositions: Vec<Value> = o
        .propositions
        .iter()
        .map(|p| {
            json!({
                "lieu": Value::Object(objet_lieu(&c.lieux()[p.index])),
                "distance_km": p.distance_km.map_or(Value::Null, arrondi_km),
                "score": p.score,
                "raisons": p.raisons,
            })
        })
        .collect();
    Json(json!({ "total": o.total, "propositions": propositions })).into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/orientation/compte",
    tag = "orientation",
    summary = "Nombre de lieux pour des réponses au questionnaire",
    description = "Mêmes paramètres que /api/v1/orientation ; sert au compteur en direct du questionnaire.",
    responses(
        (status = 200, description = "Le nombre de lieux", body = Compte),
        (status = 400, description = "Paramètre invalide", body = ErreurApi),
    )
)]
pub async fn compte(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let rep = match reponses(&etat, q.as_deref()) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let c = etat.catalogue();
    let n = c.compter(&rep.questionnaire(10).recherche(), etat.maintenant());
    Json(json!({ "total": n })).into_response()
}
