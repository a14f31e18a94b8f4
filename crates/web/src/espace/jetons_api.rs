//! API tokens in the workspace (`/espace/jetons-api`): a user lists their
//! tokens, creates one (shown in clear once, on the answer to the form),
//! revokes one. Only the owner sees or revokes a token.
//!
//! [`routes`] also serves what this area adds elsewhere: the private API
//! (`/api/v1/activites`, token-authenticated, rate limited) and the exports
//! of the activity list.

use crate::api;
use crate::espace::{export_activites, formulaire, indisponible, mise, sans_cache, Connecte};
use crate::etat::Etat;
use crate::pages::{erreur, rendre, Choix, Mise};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use maillage_comptes::{
    verifier_jeton_api, Action, Cible, ErreurChampJeton, ErreurCreationJeton, NouveauJetonApi,
    PorteeApi, DUREES_PROPOSEES_JOURS,
};
use maillage_store::JetonApi;

/// Every route of this area.
pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/jetons-api", get(liste).post(creer))
        .route("/espace/jetons-api/{id}/revoquer", post(revoquer))
        .route(
            "/espace/activites/export.csv",
            get(export_activites::export_csv),
        )
        .route(
            "/espace/activites/export.xlsx",
            get(export_activites::export_xlsx),
        )
        // Rate limited by its `LimiteApi` extractor (the layer of the
        // public API needs the state, which this router does not have yet).
        .route("/api/v1/activites", get(api::activites::activites))
        .route("/api/v1/statistiques", get(api::statistiques::statistiques))
}

#[derive(Template)]
#[template(path = "espace/jetons_api.html")]
struct PageJetons {
    mise: Mise,
    message: Option<String>,
    jetons: Vec<LigneJeton>,
    /// (field id, message), in the form's order.
    erreurs: Vec<(String, String)>,
    erreur_nom: Option<String>,
    erreur_portees: Option<String>,
    erreur_duree: Option<String>,
    nom: String,
    portees: Vec<Choix>,
    durees: Vec<Choix>,
}

struct LigneJeton {
    id: String,
    nom: String,
    portees: String,
    cree_le: String,
    expire_le: String,
    dernier_usage: String,
    etat: String,
    actif: bool,
}

#[derive(Template)]
#[template(path = "espace/jeton_api_cree.html")]
struct PageJetonCree {
    mise: Mise,
    nom: String,
    jeton: String,
    portees: String,
    expire_le: String,
    exemple: String,
}

fn date(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%Y").to_string()
}

fn libelles(portees: &[PorteeApi]) -> String {
    portees
        .iter()
        .map(|p| p.libelle())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ligne(j: &JetonApi, maintenant: DateTime<Utc>) -> LigneJeton {
    let (etat, actif) = match j.revoque_le {
        Some(r) => (format!("Révoqué le {}", date(r)), false),
        None if j.expire_le <= maintenant => ("Expiré".to_string(), false),
        None => ("Actif".to_string(), true),
    };
    LigneJeton {
        id: j.id.clone(),
        nom: j.nom.clone(),
        portees: libelles(&j.portees),
        cree_le: date(j.cree_le),
        expire_le: date(j.expire_le),
        dernier_usage: j
            .dernier_usage_le
            .map_or_else(|| "Jamais utilisé".to_string(), date),
        etat,
        actif,
    }
}

/// The form's values, kept when it is shown again with errors.
struct Saisie {
    nom: String,
    portees: Vec<PorteeApi>,
    duree: i64,
}

impl Default for Saisie {
    fn default() -> Self {
        Saisie {
            nom: String::new(),
            portees: vec![PorteeApi::ActivitesLecture],
            duree: 90,
        }
    }
}

fn libelle_duree(jours: i64) -> String {
    match jours {
        365 => "1 an (maximum)".to_string(),
        j if j % 30 == 0 => format!("{} mois ({j} jours)", j / 30),
        j => format!("{j} jours"),
    }
}

async fn page(
    etat: &Etat,
    connecte: &Connecte,
    statut: StatusCode,
    saisie: &Saisie,
    erreurs: &[ErreurChampJeton],
    message: Option<String>,
) -> Response {
    let jetons = match etat.store().jetons_api_de(&connecte.acteur.id).await {
        Ok(j) => j,
        Err(e) => return indisponible(&e),
    };
    let maintenant = etat.maintenant();
    let erreur_de = |champ: &str| {
        erreurs
            .iter()
            .find(|e| e.champ == champ)
            .map(|e| e.message.clone())
    };
    let ancre = |champ: &str| match champ {
        "portees" => "portee-0".to_string(),
        c => c.to_string(),
    };
    let mut durees: Vec<i64> = DUREES_PROPOSEES_JOURS.to_vec();
    if !durees.contains(&saisie.duree) {
        durees.push(saisie.duree);
    }
    sans_cache(rendre(
        statut,
        &PageJetons {
            mise: mise(if erreurs.is_empty() {
                "Jetons d'accès à l'API"
            } else {
                "Erreur — Jetons d'accès à l'API"
            }),
            message,
            jetons: jetons.iter().map(|j| ligne(j, maintenant)).collect(),
            erreurs: erreurs
                .iter()
                .map(|e| (ancre(e.champ), e.message.clone()))
                .collect(),
            erreur_nom: erreur_de("nom"),
            erreur_portees: erreur_de("portees"),
            erreur_duree: erreur_de("duree"),
            nom: saisie.nom.clone(),
            portees: PorteeApi::TOUTES
                .iter()
                .map(|p| Choix::new(p.code(), p.libelle(), saisie.portees.contains(p)))
                .collect(),
            durees: durees
                .into_iter()
                .map(|d| Choix::new(d.to_string(), libelle_duree(d), d == saisie.duree))
                .collect(),
        },
    ))
}

/// Managing one's tokens is managing one's account.
#[allow(clippy::result_large_err)]
fn autoriser(etat: &Etat, connecte: &Connecte, action: Action) -> Result<(), Response> {
    connecte.autoriser(
        etat,
        action,
        &Cible::Compte {
            utilisateur_id: connecte.acteur.id.clone(),
        },
    )
}

/// `GET /espace/jetons-api`.
async fn liste(
    State(etat): State<Etat>,
    connecte: Connecte,
    axum::extract::RawQuery(requete): axum::extract::RawQuery,
) -> Response {
    if let Err(r) = autoriser(&etat, &connecte, Action::Consulter) {
        return r;
    }
    let champs = crate::espace::Champs::lire(requete.as_deref().unwrap_or(""));
    let message = champs
        .contient("revoque")
        .then(|| "Le jeton a été révoqué : il ne donne plus accès à l'API.".to_string());
    page(
        &etat,
        &connecte,
        StatusCode::OK,
        &Saisie::default(),
        &[],
        message,
    )
    .await
}

/// `POST /espace/jetons-api`: the clear token is on this answer only.
async fn creer(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = autoriser(&etat, &connecte, Action::Modifier) {
        return r;
    }
    let mut erreurs = Vec::new();
    let mut portees = Vec::new();
    for code in champs.tous("portees") {
        match code.parse::<PorteeApi>() {
            Ok(p) => portees.push(p),
            Err(e) => erreurs.push(ErreurChampJeton {
                champ: "portees",
                message: format!("Portées : {e}."),
            }),
        }
    }
    let texte_duree = champs.texte("duree");
    let duree = match texte_duree.parse::<i64>() {
        Ok(d) => d,
        Err(_) => {
            erreurs.push(ErreurChampJeton {
                champ: "duree",
                message: format!(
                    "Durée de validité : « {texte_duree} » n'est pas un nombre de jours."
                ),
            });
            90
        }
    };
    let saisie = Saisie {
        nom: champs.texte("nom").to_string(),
        portees,
        duree,
    };
    // Every field is checked, so the page lists every error at once.
    for e in verifier_jeton_api(&saisie.nom, &saisie.portees, saisie.duree) {
        if !erreurs.iter().any(|d| d.champ == e.champ) {
            erreurs.push(e);
        }
    }
    let ordre = |champ: &str| ["nom", "portees", "duree"].iter().position(|c| *c == champ);
    erreurs.sort_by_key(|e| ordre(e.champ));
    if !erreurs.is_empty() {
        return page(
            &etat,
            &connecte,
            StatusCode::BAD_REQUEST,
            &saisie,
            &erreurs,
            None,
        )
        .await;
    }
    let maintenant = etat.maintenant();
    let (clair, jeton) =
        match NouveauJetonApi::creer(&saisie.nom, &saisie.portees, saisie.duree, maintenant) {
            Ok(r) => r,
            Err(ErreurCreationJeton::Champs(e)) => {
                return page(&etat, &connecte, StatusCode::BAD_REQUEST, &saisie, &e, None).await;
            }
            Err(ErreurCreationJeton::Generation(e)) => {
                tracing::error!("jeton d'API : {e}");
                return sans_cache(erreur(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Jeton non créé",
                    "Le serveur n'a pas pu produire de jeton aléatoire. Réessayez dans un instant.",
                ));
            }
        };
    if let Err(e) = etat
        .store()
        .creer_jeton_api(&connecte.acteur.id, &jeton)
        .await
    {
        return indisponible(&e);
    }
    let base = etat
        .config()
        .url_publique
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_string();
    sans_cache(rendre(
        StatusCode::OK,
        &PageJetonCree {
            mise: mise("Jeton créé"),
            nom: jeton.nom.clone(),
            jeton: clair,
            portees: libelles(&jeton.portees),
            expire_le: date(jeton.expire_le),
            exemple: format!("{base}/api/v1/activites"),
        },
    ))
}

/// `POST /espace/jetons-api/{id}/revoquer`.
async fn revoquer(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    if let Err(r) = formulaire(&entetes, &corps) {
        return r;
    }
    if let Err(r) = autoriser(&etat, &connecte, Action::Modifier) {
        return r;
    }
    match etat
        .store()
        .revoquer_jeton_api(&id, &connecte.acteur.id, etat.maintenant())
        .await
    {
        Ok(true) => sans_cache(Redirect::to("/espace/jetons-api?revoque=1").into_response()),
        // Unknown, already revoked or someone else's: the same answer, so
        // another user's token ids are not confirmed.
        Ok(false) => sans_cache(erreur(
            StatusCode::NOT_FOUND,
            "Jeton introuvable",
            "Aucun jeton actif de votre compte ne porte cet identifiant : il a peut-être déjà été révoqué.",
        )),
        Err(e) => indisponible(&e),
    }
}
