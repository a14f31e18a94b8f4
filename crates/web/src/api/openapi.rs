//! The OpenAPI document (`/api/openapi.json`, utoipa) and an offline
//! documentation page rendered from it (`/api`).

use super::jetons::SecuriteJeton;
use crate::pages::{rendre, Mise};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::Required;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "API de Maillage",
        description = "Les lieux de médiation numérique au standard national v1.0.2 : recherche, orientation, territoires, exports. Lecture seule, CORS ouvert, débit limité par adresse ; sans clé, sauf les activités (jeton d'accès créé dans l'espace).",
        license(name = "Données : Licence Ouverte 2.0 ; logiciel : AGPL-3.0-or-later"),
    ),
    paths(
        super::lieux::lieux,
        super::lieux::lieu,
        super::lieux::carte,
        super::orientation::orientation,
        super::orientation::compte,
        super::territoires::territoires,
        super::territoires::territoire,
        super::territoires::diagnostic,
        super::exports::export,
        super::activites::activites,
        super::statistiques::statistiques,
    ),
    components(schemas(
        super::ErreurApi,
        super::lieux::LieuApi,
        super::lieux::ReponseLieux,
        super::orientation::ReponseOrientation,
        super::orientation::PropositionApi,
        super::orientation::RaisonApi,
        super::orientation::Compte,
        super::territoires::Territoires,
        super::territoires::TerritoireApi,
        super::activites::ReponseActivites,
        super::activites::ActiviteApi,
        super::activites::DemographieApi,
        super::statistiques::ReponseStatistiques,
        super::statistiques::TotauxApi,
        super::statistiques::LigneStatistiqueApi,
    )),
    modifiers(&SecuriteJeton),
    tags(
        (name = "lieux", description = "Chercher et lire les lieux"),
        (name = "orientation", description = "Le questionnaire d'orientation"),
        (name = "territoires", description = "Comptes par territoire"),
        (name = "exports", description = "Fichiers au standard"),
        (name = "activites", description = "Activités des médiateurs, anonymisées, et leurs statistiques (jeton d'accès requis)"),
    )
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[derive(Debug, Clone)]
pub struct ParametreDoc {
    pub nom: String,
    pub ou: &'static str,
    pub requis: bool,
    pub description: Vec<Segment>,
}

/// A piece of a description: text, or code (between backticks in the
/// OpenAPI document).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub code: bool,
    pub texte: String,
}

/// Splits a description on its backticks: text outside them, code inside.
pub fn segments(s: &str) -> Vec<Segment> {
    s.split('`')
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| Segment {
            code: i % 2 == 1,
            texte: t.to_string(),
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct OperationDoc {
    pub ancre: String,
    pub methode: String,
    pub chemin: String,
    pub resume: String,
    pub description: Vec<Segment>,
    pub parametres: Vec<ParametreDoc>,
    pub reponses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api.html")]
pub struct PageApi {
    pub mise: Mise,
    pub operations: Vec<OperationDoc>,
}

fn operation(methode: &str, chemin: &str, op: &Operation) -> OperationDoc {
    let parametres = op
        .parameters
        .iter()
        .flatten()
        .map(|p| ParametreDoc {
            nom: p.name.clone(),
            ou: match p.parameter_in {
                ParameterIn::Path => "chemin",
                ParameterIn::Query => "requête",
                ParameterIn::Header => "en-tête",
                ParameterIn::Cookie => "cookie",
            },
            requis: matches!(p.required, Required::True),
            description: segments(p.description.as_deref().unwrap_or_default()),
        })
        .collect();
    let reponses = op
        .responses
        .responses
        .iter()
        .map(|(code, r)| {
            let d = match r {
                utoipa::openapi::RefOr::T(r) => r.description.clone(),
                utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
            };
            (code.clone(), d)
        })
        .collect();
    OperationDoc {
        ancre: chemin
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect(),
        methode: methode.to_string(),
        chemin: chemin.to_string(),
        resume: op.summary.clone().unwrap_or_default(),
        description: segments(op.description.as_deref().unwrap_or_default()),
        parametres,
        reponses,
    }
}

/// `GET /api`: the documentation, from the OpenAPI document.
pub async fn page() -> Response {
    let doc = ApiDoc::openapi();
    let mut operations = Vec::new();
    for (chemin, item) in &doc.paths.paths {
        if let Some(op) = &item.get {
            operations.push(operation("GET", chemin, op));
        }
    }
    rendre(
        StatusCode::OK,
        &PageApi {
            mise: Mise::new("Documentation de l'API", "api"),
            operations,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_entre_accents_graves() {
        let s = segments("`true` : ouverts (`a`, `b`)");
        let v: Vec<(bool, &str)> = s.iter().map(|x| (x.code, x.texte.as_str())).collect();
        assert_eq!(
            v,
            [
                (true, "true"),
                (false, " : ouverts ("),
                (true, "a"),
                (false, ", "),
                (true, "b"),
                (false, ")")
            ]
        );
        assert!(segments("").is_empty());
    }
}
