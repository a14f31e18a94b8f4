//! `GET /api/v1/territoires` and `GET /api/v1/territoires/{type}/{code}`.

use super::{erreur, ErreurApi};
use crate::etat::Etat;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_lieux::Valeur;
use maillage_orientation::{Recherche, Territoire};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TerritoireApi {
    /// `reg:75`, `dep:33`.
    territoire: String,
    code: String,
    nom: String,
    lieux: u64,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Territoires {
    total: u64,
    regions: Vec<TerritoireApi>,
    departements: Vec<TerritoireApi>,
}

#[utoipa::path(
    get,
    path = "/api/v1/territoires",
    tag = "territoires",
    summary = "Nombre de lieux par région et par département",
    responses((status = 200, description = "Les comptes", body = Territoires))
)]
pub async fn territoires(State(etat): State<Etat>) -> Response {
    let c = etat.catalogue();
    let s = c.statistiques(&Recherche::default(), etat.maintenant());
    let r = etat.referentiel();
    let par_reg: HashMap<&str, usize> = s.regions.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    let par_dep: HashMap<&str, usize> = s
        .departements
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let regions: Vec<Value> = r
        .regions()
        .iter()
        .map(|x| json!({"territoire": format!("reg:{}", x.code), "code": x.code.as_str(), "nom": x.nom.as_str(), "lieux": par_reg.get(x.code.as_str()).copied().unwrap_or(0)}))
        .collect();
    let departements: Vec<Value> = r
        .departements()
        .iter()
        .map(|x| json!({"territoire": format!("dep:{}", x.code), "code": x.code.as_str(), "nom": x.nom.as_str(), "region": x.region.as_str(), "lieux": par_dep.get(x.code.as_str()).copied().unwrap_or(0)}))
        .collect();
    Json(json!({"total": c.len(), "regions": regions, "departements": departements}))
        .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/territoires/{territoire}",
    tag = "territoires",
    summary = "Statistiques d'un territoire",
    description = "Nombre de lieux par service, frais, dispositif national, type de structure et source.",
    params(("territoire" = String, Path, description = "`reg:75`, `dep:33`, `epci:SIREN` ou `com:CODE_INSEE`")),
    responses(
        (status = 200, description = "Les comptes du territoire"),
        (status = 400, description = "Territoire mal écrit", body = ErreurApi),
        (status = 404, description = "Territoire inconnu", body = ErreurApi),
    )
)]
pub async fn territoire(State(etat): State<Etat>, Path(t): Path<String>) -> Response {
    let terr = match Territoire::from_str(&t) {
        Ok(x) => x,
        Err(e) => return erreur(StatusCode::BAD_REQUEST, e.0),
    };
    if !etat.referentiel().territoire_existe(&terr) {
        return erreur(
            StatusCode::NOT_FOUND,
            format!("territoire « {terr} » inconnu"),
        );
    }
    let c = etat.catalogue();
    let s = c.statistiques(
        &Recherche {
            territoire: Some(terr.clone()),
            ..Recherche::default()
        },
        etat.maintenant(),
    );
    let paires = |v: Vec<(String, usize)>| -> Value {
        Value::Array(
            v.into_iter()
                .map(|(k, n)| json!({"valeur": k, "lieux": n}))
                .collect(),
        )
    };
    Json(json!({
        "territoire": terr.to_string(),
        "total": s.total,
        "services": paires(s.services.iter().map(|(k, n)| (k.valeur().to_string(), *n)).collect()),
        "frais_a_charge": paires(s.frais_a_charge.iter().map(|(k, n)| (k.valeur().to_string(), *n)).collect()),
        "dispositif_programmes_nationaux": paires(s.dispositifs.iter().map(|(k, n)| (k.valeur().to_string(), *n)).collect()),
        "typologie": paires(s.typologies.iter().map(|(k, n)| (k.valeur().to_string(), *n)).collect()),
        "source": paires(s.sources.clone()),
        "avec_horaires": s.avec_horaires,
        "avec_position": s.avec_position,
    }))
    .into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/territoires/{territoire}/diagnostic",
    tag = "territoires",
    summary = "Diagnostic territorial",
    description = "Les chiffres de la page `/territoires/…/diagnostic` : population, lieux (et pour 10 000 habitants) par service, type de structure et dispositif national ; accès aux lieux par service (distance moyenne par habitant, population à plus de 10 et 20 km) ; zones blanches (communes sans lieu à `distance` km ou moins, les plus peuplées d'abord) ; valeurs de la carte par commune ou par département. Distances à vol d'oiseau depuis le centre des communes, en km.",
    params(
        ("territoire" = String, Path, description = "`france`, `reg:75`, `dep:33`, `epci:SIREN` ou `com:CODE_INSEE`"),
        ("distance" = Option<u32>, Query, description = "Rayon des zones blanches en km : 5, 10 (par défaut), 15, 20 ou 30"),
    ),
    responses(
        (status = 200, description = "Le diagnostic du territoire"),
        (status = 400, description = "Territoire ou distance mal écrits", body = ErreurApi),
        (status = 404, description = "Territoire inconnu", body = ErreurApi),
    )
)]
pub async fn diagnostic(
    State(etat): State<Etat>,
    Path(t): Path<String>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let perimetre = match maillage_diagnostic::Perimetre::from_str(&t) {
        Ok(x) => x,
        Err(e) => return erreur(StatusCode::BAD_REQUEST, e.0),
    };
    // The API says when the distance is wrong rather than falling back.
    let mut rayon = maillage_diagnostic::RAYON_DEFAUT_KM;
    for (k, v) in form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        if k == "distance" {
            match v.trim().parse::<u32>() {
                Ok(r) if maillage_diagnostic::RAYONS_KM.contains(&r) => rayon = r,
                _ => {
                    return erreur(
                        StatusCode::BAD_REQUEST,
                        format!("distance « {v} » invalide : 5, 10, 15, 20 ou 30"),
                    )
                }
            }
        }
    }
    match crate::pages::diagnostic::calculer(&etat, &perimetre, rayon) {
        Some(d) => Json(d).into_response(),
        None => erreur(
            StatusCode::NOT_FOUND,
            format!("territoire « {perimetre} » inconnu"),
        ),
    }
}
