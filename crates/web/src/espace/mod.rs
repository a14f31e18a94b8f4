//! The signed-in workspace of mediators, coordinators, structure and
//! territorial managers and administrators (issue 4): what every page of it
//! shares. Each area is a module with its own `routes()`:
//!
//! ```text
//! espace/mod.rs        Connecte (the signed-in user, from the session cookie),
//!                      autorisation, form gate (cross-site refusal), journal
//! administration.rs    audit journal, accounts and roles, a coordinator's team
//! structures.rs        employer structures (SIRET), employment, places of activity
//! ```
//!
//! Every handler takes a [`Connecte`]: no session means a redirect to the
//! sign-in page, then checks its [`Cible`] with [`Connecte::autoriser`]
//! (the rules are `maillage_comptes::autoriser`, deny by default), so no
//! route relies on the menu to hide what a role may not see.

pub mod activites;
pub mod beneficiaires;
pub mod export_activites;
pub(crate) mod fichier_csv;
pub mod jetons_api;
pub mod pilotage;
pub mod statistiques;

use crate::etat::Etat;
use crate::pages::comptes::{cookie, COOKIE_SESSION};
use crate::pages::{erreur, Mise};
use crate::securite;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_comptes::{autoriser, Acteur, Action, ActionSensible, Cible, Jeton, Refus};
use maillage_store::NouvelleEntreeJournal;
use maillage_store::{StoreError, Utilisateur};
use std::collections::HashMap;

pub mod administration;
pub mod structures;

/// The signed-in user of a request: a live session, an active account, and
/// the grants the access rules need.
#[derive(Debug, Clone)]
pub struct Connecte {
    /// SHA-256 of the session token (the session's key in the store).
    pub empreinte: String,
    pub utilisateur: Utilisateur,
    pub acteur: Acteur,
}

impl Connecte {
    /// The name shown in the pages: the account's name, else its address.
    pub fn nom(&self) -> &str {
        self.utilisateur
            .nom
            .as_deref()
            .unwrap_or(&self.utilisateur.email)
    }

    /// Checks `action` on `cible` with the access rules; the refusal is a
    /// French 403 page giving the reason.
    #[allow(clippy::result_large_err)]
    pub fn autoriser(&self, etat: &Etat, action: Action, cible: &Cible) -> Result<(), Response> {
        self.verdict(etat, action, cible).map_err(|r| refus(&r))
    }

    /// The access rules' verdict, for callers that do not answer with a page
    /// (the API, menus).
    pub fn verdict(&self, etat: &Etat, action: Action, cible: &Cible) -> Result<(), Refus> {
        verdict(etat, &self.acteur, action, cible)
    }
}

/// The access rules' verdict for `acteur`, whether signed in or calling
/// the API with a token: the référentiel tells each département's région.
pub fn verdict(etat: &Etat, acteur: &Acteur, action: Action, cible: &Cible) -> Result<(), Refus> {
    let referentiel = etat.referentiel();
    let region = |dep: &str| -> Option<String> {
        referentiel.departement(dep).map(|d| d.region.to_string())
    };
    autoriser(acteur, action, cible, &region)
}

/// The 403 page of a refusal.
pub fn refus(r: &Refus) -> Response {
    sans_cache(erreur(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        &r.to_string(),
    ))
}

/// The 503 page when the database cannot answer.
pub fn indisponible(e: &StoreError) -> Response {
    tracing::error!("base de données : {e}");
    sans_cache(erreur(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service momentanément indisponible",
        "La base de données ne répond pas. Réessayez dans quelques minutes : rien de ce que vous aviez enregistré n'est perdu.",
    ))
}

/// Workspace pages hold personal data: never cached, by anyone.
pub fn sans_cache(mut rep: Response) -> Response {
    rep.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    rep
}

/// The layout of a workspace page: private (not indexed), under the
/// "espace" section of the navigation.
pub fn mise(titre: &str) -> Mise {
    let mut m = Mise::new(titre, "espace");
    m.prive = true;
    m
}

/// Why a request has no [`Connecte`].
#[derive(Debug)]
pub enum SansSession {
    /// Not signed in (or the session expired, or the account was
    /// deactivated): go and sign in, then come back.
    Connexion {
        suite: String,
    },
    Indisponible(StoreError),
}

impl IntoResponse for SansSession {
    fn into_response(self) -> Response {
        match self {
            SansSession::Connexion { suite } => {
                let cible = if suite.is_empty() || suite == "/espace" {
                    "/compte/connexion".to_string()
                } else {
                    let mut u = String::from("/compte/connexion?suite=");
                    u.extend(form_urlencoded::byte_serialize(suite.as_bytes()));
                    u
                };
                sans_cache(Redirect::to(&cible).into_response())
            }
            SansSession::Indisponible(e) => indisponible(&e),
        }
    }
}

impl FromRequestParts<Etat> for Connecte {
    type Rejection = SansSession;

    async fn from_request_parts(parts: &mut Parts, etat: &Etat) -> Result<Self, Self::Rejection> {
        // Only a GET can be replayed after signing in.
        let suite = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let connexion = || SansSession::Connexion {
            suite: suite.clone(),
        };
        let Some(clair) = cookie(&parts.headers, COOKIE_SESSION) else {
            return Err(connexion());
        };
        let empreinte = Jeton::empreinte_de(clair);
        let store = etat.store();
        let session = store
            .session(&empreinte, etat.maintenant())
            .await
            .map_err(SansSession::Indisponible)?
            .ok_or_else(connexion)?;
        let utilisateur = store
            .utilisateur(&session.utilisateur_id)
            .await
            .map_err(SansSession::Indisponible)?
            .ok_or_else(connexion)?;
        let acteur = store
            .acteur(&session.utilisateur_id)
            .await
            .map_err(SansSession::Indisponible)?
            .ok_or_else(connexion)?;
        Ok(Connecte {
            empreinte,
            utilisateur,
            acteur,
        })
    }
}

/// The gate of every workspace form (POST): refused when posted from
/// another site (CSRF, see [`securite::inter_sites`]); else the form's
/// fields, each name with all its values in order (checkbox groups repeat
/// a name).
#[allow(clippy::result_large_err)]
pub fn formulaire(entetes: &HeaderMap, corps: &str) -> Result<Champs, Response> {
    if securite::inter_sites(&Method::POST, entetes) {
        return Err(sans_cache(erreur(
            StatusCode::FORBIDDEN,
            "Envoi refusé",
            "Ce formulaire a été envoyé depuis un autre site : par sécurité, il n'a pas été pris en compte. Rouvrez la page dans Maillage et envoyez-le de nouveau.",
        )));
    }
    Ok(Champs::lire(corps))
}

/// The fields of an urlencoded form or query string.
#[derive(Debug, Clone, Default)]
pub struct Champs(HashMap<String, Vec<String>>);

impl Champs {
    pub fn lire(corps: &str) -> Champs {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(corps.as_bytes()) {
            m.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Champs(m)
    }

    /// The last value of a field, trimmed; "" when absent.
    pub fn texte(&self, nom: &str) -> &str {
        self.0
            .get(nom)
            .and_then(|v| v.last())
            .map_or("", |s| s.trim())
    }

    /// The non-empty trimmed value, if any.
    pub fn optionnel(&self, nom: &str) -> Option<String> {
        let t = self.texte(nom);
        (!t.is_empty()).then(|| t.to_string())
    }

    /// Every non-empty value of a repeated field (checkboxes), in order.
    pub fn tous(&self, nom: &str) -> Vec<&str> {
        self.0
            .get(nom)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn contient(&self, nom: &str) -> bool {
        self.0.contains_key(nom)
    }
}

/// Today in metropolitan France: the date a mediator means by "today".
pub fn aujourdhui(etat: &Etat) -> chrono::NaiveDate {
    maillage_orientation::Fuseau::Paris
        .heure_locale(etat.maintenant())
        .date()
}

/// Adds an entry to the audit journal. A journal failure must not lock
/// people out of their work: it is logged loudly instead.
pub async fn journaliser(
    etat: &Etat,
    action: ActionSensible,
    acteur: Option<&str>,
    cible: Option<&str>,
    details: serde_json::Value,
) {
    let e = NouvelleEntreeJournal {
        quand: etat.maintenant(),
        acteur_id: acteur.map(str::to_string),
        action: action.code().to_string(),
        cible: cible.map(str::to_string),
        details,
    };
    if let Err(e) = etat.store().journaliser(&e).await {
        tracing::error!("journal ({}) : {e}", action.code());
    }
}
