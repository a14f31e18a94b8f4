//! Administration of the workspace: the audit journal and the accounts
//! with their roles (administrators), and the coordinator's team.
//!
//! ```text
//! GET  /espace/journal                          journal of sensitive actions (admin)
//! GET  /espace/utilisateurs[?q=…]                accounts (admin)
//! GET  /espace/courriels                         the e-mail queue (admin)
//! GET  /espace/utilisateurs/{id}                 an account's roles (admin)
//! POST /espace/utilisateurs/{id}/roles           grant a role on a scope (admin)
//! POST /espace/utilisateurs/{id}/roles/retirer   withdraw it (admin)
//! POST /espace/utilisateurs/inviter              invite an address to a role (admin)
//! GET  /espace/equipe, POST …/ajouter, …/retirer  a coordinator's team
//! ```

use super::{
    aujourdhui, formulaire, indisponible, journaliser, mise, refus, sans_cache, Champs, Connecte,
};
use crate::etat::Etat;
use crate::pages::{introuvable, rendre, Choix, Mise};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use maillage_comptes::{
    Action, ActionSensible, Attribution, Cible, LienEquipe, Perimetre, PerimetreAttribution, Refus,
    Role,
};
use maillage_store::StoreError;

/// Journal entries per page.
const ENTREES_PAR_PAGE: u32 = 50;
/// Accounts per page.
const COMPTES_PAR_PAGE: u32 = 50;

pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/journal", get(journal))
        .route("/espace/utilisateurs", get(utilisateurs))
        .route("/espace/courriels", get(courriels))
        .route("/espace/utilisateurs/inviter", post(inviter))
        .route("/espace/utilisateurs/{id}", get(utilisateur))
        .route("/espace/utilisateurs/{id}/roles", post(attribuer))
        .route("/espace/utilisateurs/{id}/roles/retirer", post(retirer))
        .route("/espace/equipe", get(equipe))
        .route("/espace/equipe/ajouter", post(ajouter_membre))
        .route("/espace/equipe/retirer", post(retirer_membre))
}

fn date_heure(d: DateTime<Utc>) -> String {
    d.format("%d/%m/%Y %H:%M:%S UTC").to_string()
}

// ---------------------------------------------------------------------------
// Journal

#[derive(Template)]
#[template(path = "espace/journal.html")]
pub struct PageJournal {
    pub mise: Mise,
    pub entrees: Vec<LigneJournal>,
    /// Query of the next (older) page.
    pub suivante: Option<String>,
}

pub struct LigneJournal {
    pub quand: String,
    pub acteur: String,
    pub action: String,
    pub cible: String,
    pub details: String,
}

/// The French label of a journal action code (the code itself when the
/// vocabulary does not know it, e.g. an entry written by a newer version).
fn libelle_action(code: &str) -> String {
    ActionSensible::TOUTES
        .iter()
        .find(|a| a.code() == code)
        .map_or_else(|| code.to_string(), |a| a.libelle().to_string())
}

/// `GET /espace/journal[?avant=ID]`: newest first; reading it is itself
/// journaled.
async fn journal(State(etat): State<Etat>, connecte: Connecte, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = connecte.autoriser(&etat, Action::Consulter, &Cible::JournalAudit) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    let avant = requete.texte("avant").parse::<i64>().ok();
    let entrees = match etat.store().journal(ENTREES_PAR_PAGE + 1, avant).await {
        Ok(e) => e,
        Err(e) => return indisponible(&e),
    };
    journaliser(
        &etat,
        ActionSensible::ConsultationJournal,
        Some(&connecte.acteur.id),
        None,
        serde_json::json!({ "avant": avant }),
    )
    .await;
    let suivante = (entrees.len() > ENTREES_PAR_PAGE as usize)
        .then(|| entrees.get(ENTREES_PAR_PAGE as usize - 1).map(|e| e.id))
        .flatten()
        .map(|id| format!("avant={id}"));
    let mut lignes = Vec::new();
    for e in entrees.into_iter().take(ENTREES_PAR_PAGE as usize) {
        let acteur = match &e.acteur_id {
            None => "Système".to_string(),
            Some(id) => match etat.store().utilisateur(id).await {
                Ok(Some(u)) => u.email,
                Ok(None) => format!("compte supprimé ({id})"),
                Err(e) => return indisponible(&e),
            },
        };
        let details = match &e.details {
            serde_json::Value::Object(m) if m.is_empty() => String::new(),
            v => v.to_string(),
        };
        lignes.push(LigneJournal {
            quand: date_heure(e.quand),
            acteur,
            action: libelle_action(&e.action),
            cible: e.cible.unwrap_or_default(),
            details,
        });
    }
    sans_cache(rendre(
        StatusCode::OK,
        &PageJournal {
            mise: mise("Journal des actions sensibles"),
            entrees: lignes,
            suivante,
        },
    ))
}

// ---------------------------------------------------------------------------
// Accounts and roles

#[derive(Template)]
#[template(path = "espace/utilisateurs.html")]
pub struct PageUtilisateurs {
    pub mise: Mise,
    pub invitation_envoyee: bool,
    pub roles: Vec<Choix>,
    pub recherche: String,
    pub total: u64,
    pub comptes: Vec<LigneCompte>,
    pub precedente: Option<String>,
    pub suivante: Option<String>,
}

pub struct LigneCompte {
    pub id: String,
    pub email: String,
    pub nom: String,
    pub etat: &'static str,
}

fn etat_du_compte(u: &maillage_store::Utilisateur) -> &'static str {
    if u.desactive_le.is_some() {
        "désactivé"
    } else if u.email_verifie_le.is_none() {
        "adresse non confirmée"
    } else {
        "actif"
    }
}

/// `GET /espace/utilisateurs[?q=…&page=N]`.
async fn utilisateurs(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = connecte.autoriser(&etat, Action::Consulter, &Cible::Utilisateurs) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    let recherche: String = requete.texte("q").chars().take(100).collect();
    let page = requete.texte("page").parse::<u64>().unwrap_or(1).max(1);
    let decalage = (page - 1) * u64::from(COMPTES_PAR_PAGE);
    let (liste, total) = match etat
        .store()
        .utilisateurs(&recherche, COMPTES_PAR_PAGE, decalage)
        .await
    {
        Ok(r) => r,
        Err(e) => return indisponible(&e),
    };
    let lien = |p: u64| {
        let mut s = format!("page={p}");
        if !recherche.is_empty() {
            s.push_str("&q=");
            s.extend(form_urlencoded::byte_serialize(recherche.as_bytes()));
        }
        s
    };
    let suivante = (decalage + (liste.len() as u64) < total).then(|| lien(page + 1));
    let precedente = (page > 1).then(|| lien(page - 1));
    let comptes = liste
        .iter()
        .map(|u| LigneCompte {
            id: u.id.clone(),
            email: u.email.clone(),
            nom: u.nom.clone().unwrap_or_default(),
            etat: etat_du_compte(u),
        })
        .collect();
    sans_cache(rendre(
        StatusCode::OK,
        &PageUtilisateurs {
            mise: mise("Utilisateurs et rôles"),
            invitation_envoyee: requete.texte("invite") == "1",
            roles: Role::TOUS
                .iter()
                .map(|r| Choix::new(r.code(), r.libelle(), false))
                .collect(),
            recherche,
            total,
            comptes,
            precedente,
            suivante,
        },
    ))
}

#[derive(Template)]
#[template(path = "espace/utilisateur.html")]
pub struct PageUtilisateur {
    pub mise: Mise,
    pub id: String,
    pub email: String,
    pub nom: String,
    pub etat: &'static str,
    pub attributions: Vec<LigneAttribution>,
    pub roles: Vec<Choix>,
    pub erreur: Option<String>,
    pub succes: Option<String>,
}

pub struct LigneAttribution {
    pub libelle: String,
    pub role: &'static str,
    pub perimetre: String,
}

/// The scope of a grant as the form sends it: the kind follows from the
/// role, the code is typed (département, région or structure).
fn attribution_du_formulaire(etat: &Etat, c: &Champs) -> Result<Attribution, String> {
    let role: Role = c
        .texte("role")
        .parse()
        .map_err(|_| "Rôle : choisissez un rôle dans la liste.".to_string())?;
    let code = c.texte("perimetre").to_string();
    let referentiel = etat.referentiel();
    let perimetre = match role {
        Role::Mediateur => PerimetreAttribution::Personnel,
        Role::Coordinateur => PerimetreAttribution::Equipe(Vec::new()),
        Role::Administrateur => PerimetreAttribution::National,
        Role::GestionnaireStructure => {
            if code.is_empty() || code.chars().count() > 100 {
                return Err(
                    "Périmètre : indiquez l'identifiant de la structure (son SIRET).".to_string(),
                );
            }
            PerimetreAttribution::Structure(code)
        }
        Role::GestionnaireTerritorial => {
            if let Some(d) = referentiel.departement(&code) {
                PerimetreAttribution::Departement(d.code.to_string())
            } else if let Some(r) = referentiel.region(&code) {
                PerimetreAttribution::Region(r.code.to_string())
            } else {
                return Err(format!(
                    "Périmètre : « {code} » n'est ni un code de département (« 33 », « 2A », « 971 ») ni un code de région (« 75 »)."
                ));
            }
        }
    };
    Ok(Attribution { role, perimetre })
}

fn libelle_perimetre(etat: &Etat, p: &PerimetreAttribution) -> (String, String) {
    let r = etat.referentiel();
    match p {
        PerimetreAttribution::Personnel => ("son activité".to_string(), String::new()),
        PerimetreAttribution::Equipe(liens) => (
            format!(
                "son équipe ({} médiateur{} actuellement)",
                liens.iter().filter(|l| l.fin.is_none()).count(),
                if liens.iter().filter(|l| l.fin.is_none()).count() > 1 {
                    "s"
                } else {
                    ""
                }
            ),
            String::new(),
        ),
        PerimetreAttribution::Structure(id) => (format!("structure {id}"), id.clone()),
        PerimetreAttribution::Departement(c) => (
            r.departement(c).map_or_else(
                || format!("département {c}"),
                |d| format!("département {} ({c})", d.nom),
            ),
            c.clone(),
        ),
        PerimetreAttribution::Region(c) => (
            r.region(c).map_or_else(
                || format!("région {c}"),
                |d| format!("région {} ({c})", d.nom),
            ),
            c.clone(),
        ),
        PerimetreAttribution::National => ("national".to_string(), String::new()),
    }
}

async fn page_utilisateur(
    etat: &Etat,
    id: &str,
    statut: StatusCode,
    erreur_formulaire: Option<String>,
    succes: Option<String>,
) -> Response {
    let store = etat.store();
    let (u, attributions) = match (store.utilisateur(id).await, store.attributions(id).await) {
        (Ok(Some(u)), Ok(a)) => (u, a),
        (Ok(None), _) => return introuvable().await,
        (Err(e), _) | (_, Err(e)) => return indisponible(&e),
    };
    let attributions = attributions
        .iter()
        .map(|a| {
            let (perimetre, code) = libelle_perimetre(etat, &a.perimetre);
            LigneAttribution {
                libelle: format!("{} — {perimetre}", a.role.libelle()),
                role: a.role.code(),
                perimetre: code,
            }
        })
        .collect();
    let roles = Role::TOUS
        .iter()
        .map(|r| Choix::new(r.code(), r.libelle(), false))
        .collect();
    let titre = if erreur_formulaire.is_some() {
        format!("Erreur : compte {}", u.email)
    } else {
        format!("Compte {}", u.email)
    };
    sans_cache(rendre(
        statut,
        &PageUtilisateur {
            mise: mise(&titre),
            etat: etat_du_compte(&u),
            id: u.id,
            email: u.email,
            nom: u.nom.unwrap_or_default(),
            attributions,
            roles,
            erreur: erreur_formulaire,
            succes,
        },
    ))
}

/// `GET /espace/utilisateurs/{id}`.
async fn utilisateur(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = connecte.autoriser(&etat, Action::Consulter, &Cible::Utilisateurs) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    let succes = match requete.texte("fait") {
        "attribue" => Some("Le rôle est attribué.".to_string()),
        "retire" => Some("Le rôle est retiré.".to_string()),
        _ => None,
    };
    page_utilisateur(&etat, &id, StatusCode::OK, None, succes).await
}

async fn changer_role(
    etat: Etat,
    connecte: Connecte,
    id: String,
    entetes: HeaderMap,
    corps: String,
    ajout: bool,
) -> Response {
    let c = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = connecte.autoriser(&etat, Action::Modifier, &Cible::Utilisateurs) {
        return r;
    }
    let attribution = match attribution_du_formulaire(&etat, &c) {
        Ok(a) => a,
        Err(message) => {
            return page_utilisateur(&etat, &id, StatusCode::BAD_REQUEST, Some(message), None).await
        }
    };
    // An administrator cannot remove their own administration: the
    // platform must always keep one.
    if !ajout && id == connecte.acteur.id && attribution.role == Role::Administrateur {
        return page_utilisateur(
            &etat,
            &id,
            StatusCode::BAD_REQUEST,
            Some("Vous ne pouvez pas retirer votre propre rôle d'administrateur : demandez-le à un autre administrateur.".to_string()),
            None,
        )
        .await;
    }
    let store = etat.store();
    let resultat = if ajout {
        store
            .attribuer(
                &id,
                &attribution,
                Some(&connecte.acteur.id),
                etat.maintenant(),
            )
            .await
    } else {
        store
            .retirer_attribution(
                &id,
                &attribution,
                Some(&connecte.acteur.id),
                etat.maintenant(),
            )
            .await
    };
    match resultat {
        Ok(_) => {
            let fait = if ajout { "attribue" } else { "retire" };
            sans_cache(
                Redirect::to(&format!("/espace/utilisateurs/{id}?fait={fait}")).into_response(),
            )
        }
        Err(StoreError::NotFound { .. }) => introuvable().await,
        Err(StoreError::Invalid { detail, .. }) => {
            page_utilisateur(&etat, &id, StatusCode::BAD_REQUEST, Some(detail), None).await
        }
        Err(e) => indisponible(&e),
    }
}

/// `POST /espace/utilisateurs/{id}/roles`.
async fn attribuer(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    changer_role(etat, connecte, id, entetes, corps, true).await
}

/// `POST /espace/utilisateurs/{id}/roles/retirer`.
async fn retirer(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    changer_role(etat, connecte, id, entetes, corps, false).await
}

// ---------------------------------------------------------------------------
// A coordinator's team

#[derive(Template)]
#[template(path = "espace/equipe.html")]
pub struct PageEquipe {
    pub mise: Mise,
    pub membres: Vec<LigneMembre>,
    pub anciens: Vec<LigneMembre>,
    pub email: String,
    pub erreur: Option<String>,
    pub succes: Option<String>,
}

pub struct LigneMembre {
    pub email: String,
    pub nom: String,
    pub periode: String,
}

fn jour(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[allow(clippy::result_large_err)]
fn est_coordinateur(connecte: &Connecte) -> Result<(), Response> {
    if connecte.acteur.a_le_role(Role::Coordinateur) {
        Ok(())
    } else {
        Err(refus(&Refus::HorsPerimetre))
    }
}

async fn page_equipe(
    etat: &Etat,
    connecte: &Connecte,
    statut: StatusCode,
    email: String,
    erreur_formulaire: Option<String>,
    succes: Option<String>,
) -> Response {
    let store = etat.store();
    let liens: Vec<LienEquipe> = match store.liens_equipe(&connecte.acteur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let mut membres = Vec::new();
    let mut anciens = Vec::new();
    for l in liens {
        let (email_membre, nom) = match store.utilisateur(&l.mediateur_id).await {
            Ok(Some(u)) => (u.email, u.nom.unwrap_or_default()),
            Ok(None) => (l.mediateur_id.clone(), String::new()),
            Err(e) => return indisponible(&e),
        };
        let periode = match l.fin {
            None => format!("depuis le {}", jour(l.debut)),
            Some(f) => format!("du {} au {} (exclu)", jour(l.debut), jour(f)),
        };
        let ligne = LigneMembre {
            email: email_membre,
            nom,
            periode,
        };
        if l.fin.is_none() {
            membres.push(ligne);
        } else {
            anciens.push(ligne);
        }
    }
    let titre = if erreur_formulaire.is_some() {
        "Erreur : mon équipe"
    } else {
        "Mon équipe"
    };
    sans_cache(rendre(
        statut,
        &PageEquipe {
            mise: mise(titre),
            membres,
            anciens,
            email,
            erreur: erreur_formulaire,
            succes,
        },
    ))
}

/// `GET /espace/equipe`.
async fn equipe(State(etat): State<Etat>, connecte: Connecte, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = est_coordinateur(&connecte) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    let succes = match requete.texte("fait") {
        "ajoute" => Some("Le médiateur fait maintenant partie de votre équipe.".to_string()),
        "invite" => Some("Aucun compte n'existait pour cette adresse : une invitation à créer un compte et à rejoindre votre équipe y a été envoyée. Elle est valable 7 jours.".to_string()),
        "retire" => Some("Le médiateur ne fait plus partie de votre équipe à partir d'aujourd'hui : ses activités passées restent dans vos statistiques.".to_string()),
        _ => None,
    };
    page_equipe(
        &etat,
        &connecte,
        StatusCode::OK,
        String::new(),
        None,
        succes,
    )
    .await
}

/// The mediator named by the form's address, or the form's error.
async fn mediateur_du_formulaire(
    etat: &Etat,
    c: &Champs,
) -> Result<Result<String, String>, StoreError> {
    let email = maillage_store::normaliser_email(c.texte("email"));
    if email.is_empty() {
        return Ok(Err(
            "Adresse e-mail : indiquez l'adresse du compte du médiateur.".to_string(),
        ));
    }
    let Some(u) = etat.store().utilisateur_par_email(&email).await? else {
        return Ok(Err(String::new()));
    };
    let attributions = etat.store().attributions(&u.id).await?;
    if !attributions.iter().any(|a| a.role == Role::Mediateur) {
        return Ok(Err(format!(
            "Adresse e-mail : le compte {email} n'a pas le rôle de médiateur."
        )));
    }
    Ok(Ok(u.id))
}

async fn changer_equipe(
    etat: Etat,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
    ajout: bool,
) -> Response {
    let c = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = est_coordinateur(&connecte) {
        return r;
    }
    let email = c.texte("email").to_string();
    let mediateur = match mediateur_du_formulaire(&etat, &c).await {
        Ok(Ok(id)) => id,
        // No account: on adding, invite the person to create one and join.
        Ok(Err(message)) if message.is_empty() && ajout => {
            let adresse = maillage_store::normaliser_email(&email);
            if !adresse.contains('@') || adresse.chars().count() > 254 {
                return page_equipe(
                    &etat,
                    &connecte,
                    StatusCode::BAD_REQUEST,
                    email,
                    Some("Adresse e-mail : elle doit avoir la forme nom@exemple.fr.".to_string()),
                    None,
                )
                .await;
            }
            if let Err(r) = crate::pages::comptes::envoyer_invitation(
                &etat,
                &entetes,
                &adresse,
                &Attribution::mediateur(),
                &connecte,
                Some(&connecte.acteur.id),
            )
            .await
            {
                return r;
            }
            return sans_cache(Redirect::to("/espace/equipe?fait=invite").into_response());
        }
        Ok(Err(message)) => {
            let message = if message.is_empty() {
                "Adresse e-mail : aucun compte n'existe pour cette adresse.".to_string()
            } else {
                message
            };
            return page_equipe(
                &etat,
                &connecte,
                StatusCode::BAD_REQUEST,
                email,
                Some(message),
                None,
            )
            .await;
        }
        Err(e) => return indisponible(&e),
    };
    let aujourdhui = aujourdhui(&etat);
    let coordinateur = connecte.acteur.id.clone();
    let store = etat.store();
    let resultat = if ajout {
        store
            .lier_equipe(&coordinateur, &mediateur, aujourdhui)
            .await
    } else {
        store
            .terminer_lien(&coordinateur, &mediateur, aujourdhui)
            .await
    };
    let message_erreur = match resultat {
        Ok(()) => None,
        Err(StoreError::Conflict { .. }) => {
            Some("Adresse e-mail : ce médiateur fait déjà partie de votre équipe.".to_string())
        }
        Err(StoreError::NotFound { .. }) => {
            Some("Adresse e-mail : ce médiateur ne fait pas partie de votre équipe.".to_string())
        }
        Err(StoreError::Invalid { detail, .. }) => Some(detail),
        Err(e) => return indisponible(&e),
    };
    if let Some(m) = message_erreur {
        return page_equipe(
            &etat,
            &connecte,
            StatusCode::BAD_REQUEST,
            email,
            Some(m),
            None,
        )
        .await;
    }
    let action = if ajout {
        ActionSensible::AjoutMembreEquipe
    } else {
        ActionSensible::RetraitMembreEquipe
    };
    journaliser(
        &etat,
        action,
        Some(&coordinateur),
        Some(&mediateur),
        serde_json::json!({ "date": aujourdhui.to_string() }),
    )
    .await;
    let fait = if ajout { "ajoute" } else { "retire" };
    sans_cache(Redirect::to(&format!("/espace/equipe?fait={fait}")).into_response())
}

/// `POST /espace/equipe/ajouter`.
async fn ajouter_membre(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    changer_equipe(etat, connecte, entetes, corps, true).await
}

/// `POST /espace/equipe/retirer`.
async fn retirer_membre(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    changer_equipe(etat, connecte, entetes, corps, false).await
}

/// `POST /espace/utilisateurs/inviter`: e-mails an invitation to a role
/// (valid 7 days); the person creates their account from the link, or
/// accepts it signed in when they have one.
async fn inviter(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let attribution = match attribution_du_formulaire(&etat, &c) {
        Ok(a) => a,
        Err(message) => return page_invitation_refusee(&message),
    };
    let cible = Cible::Invitation {
        role: attribution.role,
        vers: perimetre_de(&attribution.perimetre, &connecte),
    };
    if let Err(r) = connecte.autoriser(&etat, Action::Creer, &cible) {
        return r;
    }
    let email = maillage_store::normaliser_email(c.texte("email"));
    if !email.contains('@') || email.starts_with('@') || email.chars().count() > 254 {
        return page_invitation_refusee(
            "Adresse e-mail : elle doit avoir la forme nom@exemple.fr.",
        );
    }
    if let Err(r) = crate::pages::comptes::envoyer_invitation(
        &etat,
        &entetes,
        &email,
        &attribution,
        &connecte,
        None,
    )
    .await
    {
        return r;
    }
    sans_cache(Redirect::to("/espace/utilisateurs?invite=1").into_response())
}

/// The access rules' scope of a grant's scope, for `Cible::Invitation`.
fn perimetre_de(p: &PerimetreAttribution, connecte: &Connecte) -> Perimetre {
    match p {
        PerimetreAttribution::Personnel => Perimetre::Soi,
        PerimetreAttribution::Equipe(_) => Perimetre::Equipe(connecte.acteur.id.clone()),
        PerimetreAttribution::Structure(s) => Perimetre::Structure(s.clone()),
        PerimetreAttribution::Departement(d) => Perimetre::Departement(d.clone()),
        PerimetreAttribution::Region(r) => Perimetre::Region(r.clone()),
        PerimetreAttribution::National => Perimetre::National,
    }
}

fn page_invitation_refusee(message: &str) -> Response {
    sans_cache(crate::pages::erreur(
        StatusCode::BAD_REQUEST,
        "Invitation non envoyée",
        message,
    ))
}

/// Messages per page of `/espace/courriels`.
const COURRIELS_PAR_PAGE: u32 = 50;

/// `GET /espace/courriels[?avant=ID]`: the e-mail the platform sent or
/// queued (without SMTP, how an administrator hands links over). Reading it
/// is journaled: it shows other people's single-use links.
async fn courriels(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = connecte.autoriser(&etat, Action::Consulter, &Cible::Utilisateurs) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    let avant = requete.texte("avant").parse::<i64>().ok();
    let mut messages =
        match crate::pages::comptes::lignes_courriels(&etat, COURRIELS_PAR_PAGE + 1, avant).await {
            Ok(m) => m,
            Err(e) => return indisponible(&e),
        };
    let suivante = if messages.len() > COURRIELS_PAR_PAGE as usize {
        messages.truncate(COURRIELS_PAR_PAGE as usize);
        messages.last().map(|m| format!("avant={}", m.id))
    } else {
        None
    };
    journaliser(
        &etat,
        ActionSensible::ConsultationJournal,
        Some(&connecte.acteur.id),
        Some("courriels"),
        serde_json::json!({ "avant": avant }),
    )
    .await;
    sans_cache(rendre(
        StatusCode::OK,
        &crate::pages::comptes::PageBoite {
            mise: mise("Courriels envoyés par la plateforme"),
            administration: true,
            smtp: etat.interne.courrier.a_smtp(),
            suivante,
            messages,
        },
    ))
}
