//! Accounts of the mediators' and agents' workspace: sign-up, e-mail
//! verification (through the outbox, [`crate::courriel`]), sign-in with
//! throttling, sign-out and the signed-in landing page `/espace`.
//!
//! Every POST refuses cross-site requests ([`securite::inter_sites`]); the
//! session cookie is `HttpOnly; SameSite=Lax` (and `Secure` over HTTPS) and
//! holds a random token whose SHA-256 only is stored. Sign-up and resend
//! answer the same page whether the address has an account or not.

use super::{erreur, introuvable, rendre, Mise};
use crate::courriel::Message;
use crate::espace::{indisponible, journaliser, sans_cache};
use crate::etat::Etat;
use crate::securite;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use maillage_comptes::{ActionSensible, Attribution, ButJeton, ErreurJeton, Freinage, Jeton, Role};
use maillage_store::{normaliser_email, JetonEnregistre, NouvelUtilisateur, StoreError};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Name of the session cookie.
pub const COOKIE_SESSION: &str = "maillage_session";
/// Lifetime of a session (a working day).
pub const DUREE_SESSION: Duration = Duration::hours(12);
/// Longest accepted name.
const NOM_MAX: usize = 100;
/// Longest accepted e-mail address (RFC 5321).
const EMAIL_MAX: usize = 254;

// ---------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "compte_inscription.html")]
pub struct PageInscription {
    pub mise: Mise,
    pub email: String,
    pub nom: String,
    pub erreurs_email: Vec<String>,
    pub erreurs_nom: Vec<String>,
    pub erreurs_mdp: Vec<String>,
    pub erreurs_confirmation: Vec<String>,
}

impl PageInscription {
    fn a_des_erreurs(&self) -> bool {
        !(self.erreurs_email.is_empty()
            && self.erreurs_nom.is_empty()
            && self.erreurs_mdp.is_empty()
            && self.erreurs_confirmation.is_empty())
    }
}

#[derive(Template)]
#[template(path = "compte_connexion.html")]
pub struct PageConnexion {
    pub mise: Mise,
    /// Where to go once signed in (a local path), carried by the form.
    pub suite: String,
    pub email: String,
    /// (title, text) of an error alert.
    pub erreur: Option<(String, String)>,
    pub info: Option<String>,
    /// The account exists but its address is not verified: offer a resend.
    pub non_verifie: bool,
}

#[derive(Template)]
#[template(path = "compte_message.html")]
pub struct PageMessage {
    pub mise: Mise,
    pub titre: String,
    /// "succes", "info" or "erreur".
    pub genre: &'static str,
    pub paragraphes: Vec<String>,
    /// (href, label) of the next step.
    pub lien: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "espace.html")]
pub struct PageEspace {
    pub mise: Mise,
    pub mediateur: bool,
    pub coordinateur: bool,
    pub gestionnaire_structure: bool,
    pub gestionnaire_territorial: bool,
    pub administrateur: bool,
    pub nom: String,
    pub roles: Vec<String>,
}

#[derive(Template)]
#[template(path = "boite_d_envoi.html")]
pub struct PageBoite {
    pub mise: Mise,
    /// The administrators' page (`/espace/courriels`), not the demo's.
    pub administration: bool,
    pub smtp: bool,
    /// Query of the next (older) page.
    pub suivante: Option<String>,
    pub messages: Vec<LigneMessage>,
}

pub struct LigneMessage {
    pub id: i64,
    pub etat: String,
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    pub lien: Option<String>,
    pub date: String,
}

fn mise(titre: &str) -> Mise {
    let mut m = Mise::new(titre, "");
    m.prive = true;
    m
}

fn message(
    statut: StatusCode,
    titre: &str,
    genre: &'static str,
    paragraphes: Vec<String>,
    lien: Option<(&str, &str)>,
) -> Response {
    sans_cache(rendre(
        statut,
        &PageMessage {
            mise: mise(titre),
            titre: titre.to_string(),
            genre,
            paragraphes,
            lien: lien.map(|(h, l)| (h.to_string(), l.to_string())),
        },
    ))
}

fn refus_inter_sites() -> Response {
    erreur(
        StatusCode::FORBIDDEN,
        "Envoi refusé",
        "Ce formulaire doit être envoyé depuis ce site : rechargez la page puis envoyez-le de nouveau.",
    )
}

/// Too many account forms from one address (in-memory bucket).
fn trop_de_formulaires(attente: std::time::Duration) -> Response {
    let minutes = attente.as_secs().div_ceil(60).max(1);
    let mut rep = erreur(
        StatusCode::TOO_MANY_REQUESTS,
        "Trop de demandes",
        &format!(
            "Trop de demandes depuis votre connexion : réessayez dans {}.",
            libelle_minutes(minutes)
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&attente.as_secs().max(1).to_string()) {
        rep.headers_mut().insert(header::RETRY_AFTER, v);
    }
    rep
}

fn libelle_minutes(minutes: u64) -> String {
    if minutes <= 1 {
        "1 minute".to_string()
    } else {
        format!("{minutes} minutes")
    }
}

// ---------------------------------------------------------------------------
// Helpers

/// The fields of a urlencoded form, last value winning. Values are not
/// trimmed: spaces are part of a password.
/// The gate of the account forms, before any database access: refused when
/// posted from another site or when this address sent too many; else the
/// form's fields.
fn formulaire_recevable(
    etat: &Etat,
    connexion: &securite::Connexion,
    entetes: &HeaderMap,
    corps: &str,
) -> Result<HashMap<String, String>, Box<Response>> {
    if securite::inter_sites(&Method::POST, entetes) {
        return Err(Box::new(refus_inter_sites()));
    }
    let ip = securite::adresse_client(etat, entetes, connexion.0);
    if let Err(attente) = etat.interne.limite_comptes.prendre(ip) {
        return Err(Box::new(trop_de_formulaires(attente)));
    }
    Ok(champs(corps))
}

fn champs(corps: &str) -> HashMap<String, String> {
    form_urlencoded::parse(corps.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn champ<'a>(c: &'a HashMap<String, String>, cle: &str) -> &'a str {
    c.get(cle).map_or("", String::as_str)
}

fn email_valide(email: &str) -> bool {
    let Some((local, domaine)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domaine.contains('.')
        && !domaine.starts_with('.')
        && !domaine.ends_with('.')
        && email.chars().count() <= EMAIL_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// True when the request reached us over HTTPS: only knowable behind the
/// configured reverse proxy (`MAILLAGE_DERRIERE_PROXY`), which terminates
/// TLS and says so in `X-Forwarded-Proto`; the server itself speaks HTTP.
fn en_https(etat: &Etat, entetes: &HeaderMap) -> bool {
    etat.config().derriere_proxy
        && entetes
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// Base URL for e-mailed links.
fn url_base(etat: &Etat, entetes: &HeaderMap) -> String {
    if let Some(u) = &etat.config().url_publique {
        return u.trim_end_matches('/').to_string();
    }
    let hote = entetes
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let schema = if en_https(etat, entetes) {
        "https"
    } else {
        "http"
    };
    format!("{schema}://{hote}")
}

pub(crate) fn cookie<'a>(entetes: &'a HeaderMap, nom: &str) -> Option<&'a str> {
    entetes
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == nom && !v.is_empty())
        .map(|(_, v)| v)
}

fn entete_cookie(etat: &Etat, entetes: &HeaderMap, valeur: &str, max_age: i64) -> String {
    let secure = if en_https(etat, entetes) {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE_SESSION}={valeur}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The signed-in user's session: (fingerprint, account id).
async fn session_courante(
    etat: &Etat,
    entetes: &HeaderMap,
) -> Result<Option<(String, String)>, StoreError> {
    let Some(clair) = cookie(entetes, COOKIE_SESSION) else {
        return Ok(None);
    };
    let empreinte = Jeton::empreinte_de(clair);
    Ok(etat
        .store()
        .session(&empreinte, etat.maintenant())
        .await?
        .map(|s| (empreinte, s.utilisateur_id)))
}

async fn hacher(mdp: String) -> Option<String> {
    match tokio::task::spawn_blocking(move || maillage_comptes::hacher_mot_de_passe(&mdp)).await {
        Ok(Ok(phc)) => Some(phc),
        Ok(Err(e)) => {
            tracing::error!("hachage du mot de passe : {e}");
            None
        }
        Err(e) => {
            tracing::error!("hachage du mot de passe : {e}");
            None
        }
    }
}

async fn verifier(mdp: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || maillage_comptes::verifier_mot_de_passe(&mdp, &phc))
        .await
        .unwrap_or(false)
}

/// A hash checked when the address has no account, so that the answer
/// takes as long as for a wrong password.
fn empreinte_leurre() -> &'static str {
    static LEURRE: OnceLock<String> = OnceLock::new();
    LEURRE.get_or_init(|| {
        maillage_comptes::hacher_mot_de_passe("mot de passe leurre jamais valide")
            .unwrap_or_default()
    })
}

/// Stores a new verification token for the account and e-mails its link.
async fn envoyer_verification(
    etat: &Etat,
    entetes: &HeaderMap,
    utilisateur_id: &str,
    email: &str,
) -> Result<(), Response> {
    let maintenant = etat.maintenant();
    let but = ButJeton::VerificationEmail;
    let (clair, jeton) = Jeton::nouveau(but, maintenant, but.duree_par_defaut()).map_err(|e| {
        tracing::error!("jeton de vérification : {e}");
        erreur(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erreur interne",
            "Le lien de vérification n'a pas pu être créé. Réessayez dans quelques minutes.",
        )
    })?;
    etat.store()
        .enregistrer_jeton(&JetonEnregistre {
            jeton,
            utilisateur_id: Some(utilisateur_id.to_string()),
            email: None,
            cree_le: maintenant,
        })
        .await
        .map_err(|e| indisponible(&e))?;
    let lien = format!(
        "{}/compte/verification?jeton={clair}",
        url_base(etat, entetes)
    );
    if let Err(e) = etat.envoyer_courriel(Message {
        destinataire: email.to_string(),
        sujet: "Maillage : confirmez votre adresse e-mail".to_string(),
        corps: format!(
            "Bonjour,\n\nPour activer votre compte Maillage, ouvrez ce lien dans les 48 heures :\n{lien}\n\n\
             Si vous n'avez pas créé de compte, ignorez ce message."
        ),
        lien: Some(lien),
        cree_le: maintenant,}).await {
        return Err(indisponible(&e));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Sign-up

/// `GET /compte/inscription`.
pub async fn inscription() -> Response {
    sans_cache(rendre(
        StatusCode::OK,
        &PageInscription {
            mise: mise("Créer un compte"),
            email: String::new(),
            nom: String::new(),
            erreurs_email: Vec::new(),
            erreurs_nom: Vec::new(),
            erreurs_mdp: Vec::new(),
            erreurs_confirmation: Vec::new(),
        },
    ))
}

/// The page shown after every well-formed sign-up, whether the address
/// already had an account or not.
fn verifiez_votre_boite(email: &str) -> Response {
    message(
        StatusCode::OK,
        "Vérifiez votre boîte aux lettres",
        "succes",
        vec![
            format!("Un message vient d'être envoyé à l'adresse {email}."),
            "Ouvrez-le et suivez le lien qu'il contient pour activer votre compte. Le lien est valable 48 heures.".to_string(),
            "Rien reçu après quelques minutes ? Regardez dans les courriers indésirables, puis vérifiez l'adresse saisie.".to_string(),
        ],
        Some(("/compte/connexion", "Aller à la page de connexion")),
    )
}

/// `POST /compte/inscription`.
pub async fn s_inscrire(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let email = normaliser_email(champ(&c, "email"));
    let nom = champ(&c, "nom").trim().to_string();
    let mdp = champ(&c, "mot_de_passe").to_string();
    let confirmation = champ(&c, "confirmation");
    let mut page = PageInscription {
        mise: mise("Créer un compte"),
        email: email.clone(),
        nom: nom.clone(),
        erreurs_email: Vec::new(),
        erreurs_nom: Vec::new(),
        erreurs_mdp: Vec::new(),
        erreurs_confirmation: Vec::new(),
    };
    if email.is_empty() {
        page.erreurs_email
            .push("Indiquez votre adresse e-mail.".to_string());
    } else if !email_valide(&email) {
        page.erreurs_email.push(
            "Cette adresse e-mail n'est pas valide : elle doit avoir la forme nom@exemple.fr."
                .to_string(),
        );
    }
    if nom.is_empty() {
        page.erreurs_nom.push("Indiquez votre nom.".to_string());
    } else if nom.chars().count() > NOM_MAX {
        page.erreurs_nom
            .push(format!("Le nom ne doit pas dépasser {NOM_MAX} caractères."));
    }
    if let Err(e) = maillage_comptes::politique_mot_de_passe(&mdp, &email) {
        page.erreurs_mdp = e;
    }
    if confirmation != mdp {
        page.erreurs_confirmation
            .push("Les deux mots de passe ne sont pas identiques.".to_string());
    }
    if page.a_des_erreurs() {
        page.mise.titre = "Erreur : créer un compte".to_string();
        return sans_cache(rendre(StatusCode::BAD_REQUEST, &page));
    }
    // Hashed before knowing whether the address is taken, so both cases
    // take the same time.
    let Some(phc) = hacher(mdp).await else {
        return erreur(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erreur interne",
            "Le compte n'a pas pu être créé. Réessayez dans quelques minutes.",
        );
    };
    let maintenant = etat.maintenant();
    let cree = etat
        .store()
        .creer_utilisateur(&NouvelUtilisateur {
            email: email.clone(),
            nom: Some(nom),
            mot_de_passe: phc,
            cree_le: maintenant,
            par: None,
        })
        .await;
    match cree {
        Ok(id) => {
            // Mediators sign themselves up; every other role is granted
            // by invitation or by an administrator.
            if let Err(e) = etat
                .store()
                .attribuer(&id, &Attribution::mediateur(), None, maintenant)
                .await
            {
                return indisponible(&e);
            }
            if let Err(rep) = envoyer_verification(&etat, &entetes, &id, &email).await {
                return rep;
            }
        }
        Err(StoreError::Conflict { .. }) => {
            let lien = format!("{}/compte/connexion", url_base(&etat, &entetes));
            if let Err(e) = etat.envoyer_courriel(Message {
                destinataire: email.clone(),
                sujet: "Maillage : vous avez déjà un compte".to_string(),
                corps: format!(
                    "Bonjour,\n\nQuelqu'un, peut-être vous, a demandé à créer un compte Maillage avec cette adresse, \
                     mais vous avez déjà un compte. Connectez-vous ici :\n{lien}\n\n\
                     Si votre adresse n'est pas encore vérifiée, la page de connexion vous proposera un nouveau lien. \
                     Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."
                ),
                lien: Some(lien),
                cree_le: maintenant,}).await {
                return indisponible(&e);
            }
        }
        Err(e) => return indisponible(&e),
    }
    verifiez_votre_boite(&email)
}

// ---------------------------------------------------------------------------
// Verification

fn lien_refuse(e: ErreurJeton) -> Response {
    let quoi_faire = match e {
        ErreurJeton::DejaUtilise => {
            "Si vous avez déjà confirmé votre adresse, connectez-vous simplement. Sinon, connectez-vous : la page vous proposera un nouveau lien."
        }
        ErreurJeton::Expire => {
            "Connectez-vous avec votre adresse et votre mot de passe : la page vous proposera de recevoir un nouveau lien."
        }
        ErreurJeton::Inconnu | ErreurJeton::MauvaisBut => {
            "Vérifiez que vous avez copié le lien en entier depuis le message reçu. Sinon, connectez-vous : la page vous proposera un nouveau lien."
        }
    };
    message(
        StatusCode::BAD_REQUEST,
        "Lien de vérification refusé",
        "erreur",
        vec![e.to_string(), quoi_faire.to_string()],
        Some(("/compte/connexion", "Aller à la page de connexion")),
    )
}

/// `GET /compte/verification?jeton=…`.
pub async fn verification(
    State(etat): State<Etat>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    // Read by hand: a malformed query gets the French page, not axum's.
    let clair = champs(q.as_deref().unwrap_or_default())
        .remove("jeton")
        .unwrap_or_default();
    let clair = clair.trim();
    if clair.is_empty() {
        return lien_refuse(ErreurJeton::Inconnu);
    }
    let maintenant = etat.maintenant();
    let consomme = etat
        .store()
        .consommer_jeton(
            &Jeton::empreinte_de(clair),
            ButJeton::VerificationEmail,
            maintenant,
        )
        .await;
    let jeton = match consomme {
        Ok(Ok(j)) => j,
        Ok(Err(e)) => return lien_refuse(e),
        Err(e) => return indisponible(&e),
    };
    let Some(id) = jeton.utilisateur_id else {
        return lien_refuse(ErreurJeton::MauvaisBut);
    };
    if let Err(e) = etat.store().marquer_email_verifie(&id, maintenant).await {
        return indisponible(&e);
    }
    journaliser(
        &etat,
        ActionSensible::VerificationEmail,
        Some(&id),
        Some(&id),
        serde_json::json!({}),
    )
    .await;
    message(
        StatusCode::OK,
        "Adresse e-mail confirmée",
        "succes",
        vec!["Votre adresse e-mail est confirmée : votre compte est actif. Vous pouvez maintenant vous connecter.".to_string()],
        Some(("/compte/connexion", "Se connecter")),
    )
}

/// `POST /compte/verification/renvoyer`.
pub async fn renvoyer_verification(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let email = normaliser_email(champ(&c, "email"));
    if email_valide(&email) {
        match etat.store().utilisateur_par_email(&email).await {
            Ok(Some(u)) if u.email_verifie_le.is_none() && u.desactive_le.is_none() => {
                if let Err(rep) = envoyer_verification(&etat, &entetes, &u.id, &u.email).await {
                    return rep;
                }
            }
            Ok(_) => {}
            Err(e) => return indisponible(&e),
        }
    }
    // Same answer whatever the address: it must not tell who has an account.
    message(
        StatusCode::OK,
        "Vérifiez votre boîte aux lettres",
        "succes",
        vec![
            "Si un compte non encore confirmé existe pour cette adresse, un nouveau lien de vérification vient d'y être envoyé.".to_string(),
            "Le lien est valable 48 heures ; les liens envoyés avant restent valables jusqu'à leur expiration.".to_string(),
        ],
        Some(("/compte/connexion", "Aller à la page de connexion")),
    )
}

// ---------------------------------------------------------------------------
// Invitations

/// Lifetime of an invitation link: a week, for people who do not read
/// their mail every day.
pub const DUREE_INVITATION: Duration = Duration::days(7);

/// Sends an invitation to `email` for `attribution` (and into
/// `equipe_de`'s team). The link opens `/compte/invitation`.
pub(crate) async fn envoyer_invitation(
    etat: &Etat,
    entetes: &HeaderMap,
    email: &str,
    attribution: &Attribution,
    invite_par: &crate::espace::Connecte,
    equipe_de: Option<&str>,
) -> Result<(), Response> {
    let maintenant = etat.maintenant();
    let (clair, jeton) = Jeton::nouveau(ButJeton::Invitation, maintenant, DUREE_INVITATION)
        .map_err(|e| {
            tracing::error!("jeton d'invitation : {e}");
            erreur(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                "L'invitation n'a pas pu être créée. Réessayez dans quelques minutes.",
            )
        })?;
    etat.store()
        .enregistrer_invitation(
            &JetonEnregistre {
                jeton,
                utilisateur_id: None,
                email: Some(email.to_string()),
                cree_le: maintenant,
            },
            attribution,
            Some(&invite_par.acteur.id),
            equipe_de,
        )
        .await
        .map_err(|e| indisponible(&e))?;
    let lien = format!(
        "{}/compte/invitation?jeton={clair}",
        url_base(etat, entetes)
    );
    if let Err(e) = etat
        .envoyer_courriel(Message {
            destinataire: email.to_string(),
            sujet: "Maillage : vous êtes invité à rejoindre l'espace des médiateurs".to_string(),
            corps: format!(
                "Bonjour,\n\n{} vous invite à rejoindre Maillage avec le rôle « {} ». \
             Pour accepter, ouvrez ce lien dans les 7 jours :\n{lien}\n\n\
             Si vous ne connaissez pas cette personne, ignorez ce message.",
                invite_par.nom(),
                attribution.role.libelle()
            ),
            lien: Some(lien),
            cree_le: maintenant,
        })
        .await
    {
        return Err(indisponible(&e));
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "compte_invitation.html")]
pub struct PageInvitation {
    pub mise: Mise,
    pub jeton: String,
    pub email: String,
    pub role: String,
    pub par: String,
    pub compte_existant: bool,
    /// Signed in as the invited address.
    pub connecte: bool,
    /// This page's path, url-encoded, to come back after signing in.
    pub suite: String,
    pub nom: String,
    pub erreurs_nom: Vec<String>,
    pub erreurs_mdp: Vec<String>,
    pub erreurs_confirmation: Vec<String>,
}

fn invitation_refusee(e: ErreurJeton) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Invitation refusée",
        "erreur",
        vec![
            e.to_string(),
            "Demandez à la personne qui vous a invité de vous envoyer une nouvelle invitation."
                .to_string(),
        ],
        Some(("/", "Aller à l'accueil")),
    )
}

/// The invitation of a clear token, still valid; else the refusal page.
async fn invitation_valide(
    etat: &Etat,
    clair: &str,
) -> Result<maillage_store::Invitation, Response> {
    if clair.is_empty() {
        return Err(invitation_refusee(ErreurJeton::Inconnu));
    }
    let inv = match etat.store().invitation(&Jeton::empreinte_de(clair)).await {
        Ok(Some(i)) => i,
        Ok(None) => return Err(invitation_refusee(ErreurJeton::Inconnu)),
        Err(e) => return Err(indisponible(&e)),
    };
    if inv.utilise_le.is_some() {
        return Err(invitation_refusee(ErreurJeton::DejaUtilise));
    }
    if inv.expire_le <= etat.maintenant() {
        return Err(invitation_refusee(ErreurJeton::Expire));
    }
    Ok(inv)
}

struct EtatInvitation {
    compte: Option<maillage_store::Utilisateur>,
    connecte: bool,
    par: String,
}

async fn etat_invitation(
    etat: &Etat,
    entetes: &HeaderMap,
    inv: &maillage_store::Invitation,
) -> Result<EtatInvitation, StoreError> {
    let store = etat.store();
    let compte = store.utilisateur_par_email(&inv.email).await?;
    let connecte = match (&compte, session_courante(etat, entetes).await?) {
        (Some(u), Some((_, id))) => u.id == id,
        _ => false,
    };
    let par = match &inv.invite_par {
        Some(id) => store
            .utilisateur(id)
            .await?
            .map(|u| u.nom.unwrap_or(u.email))
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(EtatInvitation {
        compte,
        connecte,
        par,
    })
}

#[allow(clippy::too_many_arguments)]
fn page_invitation(
    statut: StatusCode,
    clair: &str,
    inv: &maillage_store::Invitation,
    e: &EtatInvitation,
    nom: &str,
    erreurs_nom: Vec<String>,
    erreurs_mdp: Vec<String>,
    erreurs_confirmation: Vec<String>,
) -> Response {
    let erreur =
        !(erreurs_nom.is_empty() && erreurs_mdp.is_empty() && erreurs_confirmation.is_empty());
    let chemin = format!("/compte/invitation?jeton={clair}");
    sans_cache(rendre(
        statut,
        &PageInvitation {
            mise: mise(if erreur {
                "Erreur : invitation à rejoindre Maillage"
            } else {
                "Invitation à rejoindre Maillage"
            }),
            jeton: clair.to_string(),
            email: inv.email.clone(),
            role: inv.attribution.role.libelle().to_string(),
            par: e.par.clone(),
            compte_existant: e.compte.is_some(),
            connecte: e.connecte,
            suite: form_urlencoded::byte_serialize(chemin.as_bytes()).collect(),
            nom: nom.to_string(),
            erreurs_nom,
            erreurs_mdp,
            erreurs_confirmation,
        },
    ))
}

/// `GET /compte/invitation?jeton=…`: who invites, to what, and the way to
/// accept (create the account, or sign in then accept). Reading does not
/// use the token.
pub async fn invitation(
    State(etat): State<Etat>,
    entetes: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let clair = champs(q.as_deref().unwrap_or_default())
        .remove("jeton")
        .unwrap_or_default();
    let clair = clair.trim();
    let inv = match invitation_valide(&etat, clair).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let e = match etat_invitation(&etat, &entetes, &inv).await {
        Ok(e) => e,
        Err(e) => return indisponible(&e),
    };
    page_invitation(
        StatusCode::OK,
        clair,
        &inv,
        &e,
        "",
        Vec::new(),
        Vec::new(),
        Vec::new(),
    )
}

/// `POST /compte/invitation`: accepts. Without an account for the invited
/// address, creates it (the link proves the address) from the form's name
/// and password; with one, the person must be signed in to it. Then grants
/// the role and, for a coordinator's invitation, joins the team.
pub async fn accepter_invitation(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let clair = champ(&c, "jeton").trim().to_string();
    let inv = match invitation_valide(&etat, &clair).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let e = match etat_invitation(&etat, &entetes, &inv).await {
        Ok(e) => e,
        Err(e) => return indisponible(&e),
    };
    let store = etat.store();
    let maintenant = etat.maintenant();
    let id = match &e.compte {
        Some(u) if e.connecte => u.id.clone(),
        Some(_) => {
            return page_invitation(
                StatusCode::FORBIDDEN,
                &clair,
                &inv,
                &e,
                "",
                Vec::new(),
                Vec::new(),
                Vec::new(),
            )
        }
        None => {
            let nom = champ(&c, "nom").trim().to_string();
            let mdp = champ(&c, "mot_de_passe").to_string();
            let mut erreurs_nom = Vec::new();
            if nom.is_empty() {
                erreurs_nom.push("Indiquez votre nom.".to_string());
            } else if nom.chars().count() > NOM_MAX {
                erreurs_nom.push(format!("Le nom ne doit pas dépasser {NOM_MAX} caractères."));
            }
            let erreurs_mdp = maillage_comptes::politique_mot_de_passe(&mdp, &inv.email)
                .err()
                .unwrap_or_default();
            let mut erreurs_confirmation = Vec::new();
            if champ(&c, "confirmation") != mdp {
                erreurs_confirmation
                    .push("Les deux mots de passe ne sont pas identiques.".to_string());
            }
            if !(erreurs_nom.is_empty()
                && erreurs_mdp.is_empty()
                && erreurs_confirmation.is_empty())
            {
                return page_invitation(
                    StatusCode::BAD_REQUEST,
                    &clair,
                    &inv,
                    &e,
                    &nom,
                    erreurs_nom,
                    erreurs_mdp,
                    erreurs_confirmation,
                );
            }
            let Some(phc) = hacher(mdp).await else {
                return erreur(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur interne",
                    "Le compte n'a pas pu être créé. Réessayez dans quelques minutes.",
                );
            };
            // The token is used before the account is made: of two
            // concurrent acceptances, only one creates it.
            match store
                .consommer_jeton(
                    &Jeton::empreinte_de(&clair),
                    ButJeton::Invitation,
                    maintenant,
                )
                .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => return invitation_refusee(err),
                Err(err) => return indisponible(&err),
            }
            let id = match store
                .creer_utilisateur(&NouvelUtilisateur {
                    email: inv.email.clone(),
                    nom: Some(nom),
                    mot_de_passe: phc,
                    cree_le: maintenant,
                    par: inv.invite_par.clone(),
                })
                .await
            {
                Ok(id) => id,
                Err(err) => return indisponible(&err),
            };
            if let Err(err) = store.marquer_email_verifie(&id, maintenant).await {
                return indisponible(&err);
            }
            return match accorder_invitation(&etat, &inv, &id).await {
                Ok(()) => message(
                    StatusCode::OK,
                    "Compte créé",
                    "succes",
                    vec![format!(
                        "Votre compte est créé avec le rôle « {} ». Connectez-vous avec votre adresse et votre mot de passe.",
                        inv.attribution.role.libelle()
                    )],
                    Some(("/compte/connexion", "Se connecter")),
                ),
                Err(err) => indisponible(&err),
            };
        }
    };
    match store
        .consommer_jeton(
            &Jeton::empreinte_de(&clair),
            ButJeton::Invitation,
            maintenant,
        )
        .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => return invitation_refusee(err),
        Err(err) => return indisponible(&err),
    }
    match accorder_invitation(&etat, &inv, &id).await {
        Ok(()) => sans_cache(Redirect::to("/espace").into_response()),
        Err(err) => indisponible(&err),
    }
}

/// Grants what an accepted invitation gives to account `id`.
async fn accorder_invitation(
    etat: &Etat,
    inv: &maillage_store::Invitation,
    id: &str,
) -> Result<(), StoreError> {
    let store = etat.store();
    store
        .attribuer(
            id,
            &inv.attribution,
            inv.invite_par.as_deref(),
            etat.maintenant(),
        )
        .await?;
    if let Some(coordinateur) = &inv.equipe_de {
        match store
            .lier_equipe(coordinateur, id, crate::espace::aujourdhui(etat))
            .await
        {
            Ok(()) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Password reset

#[derive(Template)]
#[template(path = "compte_oubli.html")]
pub struct PageOubli {
    pub mise: Mise,
    pub email: String,
    pub erreur: Option<String>,
}

#[derive(Template)]
#[template(path = "compte_reinitialisation.html")]
pub struct PageReinitialisation {
    pub mise: Mise,
    /// The clear token of the e-mailed link, carried to the POST.
    pub jeton: String,
    pub erreurs_mdp: Vec<String>,
    pub erreurs_confirmation: Vec<String>,
}

/// `GET /compte/mot-de-passe-oublie`.
pub async fn mot_de_passe_oublie() -> Response {
    sans_cache(rendre(
        StatusCode::OK,
        &PageOubli {
            mise: mise("Mot de passe oublié"),
            email: String::new(),
            erreur: None,
        },
    ))
}

/// `POST /compte/mot-de-passe-oublie`: sends a reset link when the address
/// has an active account; the answer is the same either way.
pub async fn demander_reinitialisation(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let email = normaliser_email(champ(&c, "email"));
    if !email_valide(&email) {
        return sans_cache(rendre(
            StatusCode::BAD_REQUEST,
            &PageOubli {
                mise: mise("Erreur : mot de passe oublié"),
                email,
                erreur: Some(
                    "Indiquez une adresse e-mail valide, de la forme nom@exemple.fr.".to_string(),
                ),
            },
        ));
    }
    let maintenant = etat.maintenant();
    match etat.store().utilisateur_par_email(&email).await {
        Ok(Some(u)) if u.desactive_le.is_none() => {
            let but = ButJeton::ReinitialisationMotDePasse;
            let (clair, jeton) = match Jeton::nouveau(but, maintenant, but.duree_par_defaut()) {
                Ok(j) => j,
                Err(e) => {
                    tracing::error!("jeton de réinitialisation : {e}");
                    return erreur(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Erreur interne",
                        "Le lien n'a pas pu être créé. Réessayez dans quelques minutes.",
                    );
                }
            };
            if let Err(e) = etat
                .store()
                .enregistrer_jeton(&JetonEnregistre {
                    jeton,
                    utilisateur_id: Some(u.id.clone()),
                    email: None,
                    cree_le: maintenant,
                })
                .await
            {
                return indisponible(&e);
            }
            let lien = format!(
                "{}/compte/reinitialisation?jeton={clair}",
                url_base(&etat, &entetes)
            );
            if let Err(e) = etat.envoyer_courriel(Message {
                destinataire: u.email.clone(),
                sujet: "Maillage : choisir un nouveau mot de passe".to_string(),
                corps: format!(
                    "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien dans l'heure :\n{lien}\n\n\
                     Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : \
                     votre mot de passe actuel reste valable."
                ),
                lien: Some(lien),
                cree_le: maintenant,}).await {
                return indisponible(&e);
            }
            journaliser(
                &etat,
                ActionSensible::DemandeReinitialisationMotDePasse,
                None,
                Some(&u.id),
                serde_json::json!({}),
            )
            .await;
        }
        Ok(_) => {}
        Err(e) => return indisponible(&e),
    }
    // Same answer whatever the address: it must not tell who has an account.
    message(
        StatusCode::OK,
        "Vérifiez votre boîte aux lettres",
        "succes",
        vec![
            format!("Si un compte existe pour {email}, un lien pour choisir un nouveau mot de passe vient d'y être envoyé."),
            "Le lien est valable une heure et ne sert qu'une fois. Pensez à regarder dans les courriers indésirables.".to_string(),
        ],
        Some(("/compte/connexion", "Aller à la page de connexion")),
    )
}

fn page_reinitialisation(
    statut: StatusCode,
    jeton: &str,
    erreurs_mdp: Vec<String>,
    erreurs_confirmation: Vec<String>,
) -> Response {
    let titre = if erreurs_mdp.is_empty() && erreurs_confirmation.is_empty() {
        "Choisir un nouveau mot de passe"
    } else {
        "Erreur : choisir un nouveau mot de passe"
    };
    sans_cache(rendre(
        statut,
        &PageReinitialisation {
            mise: mise(titre),
            jeton: jeton.to_string(),
            erreurs_mdp,
            erreurs_confirmation,
        },
    ))
}

/// `GET /compte/reinitialisation?jeton=…`: the form. The token is only
/// used by the POST, so a mail scanner opening the link does not burn it.
pub async fn reinitialisation(axum::extract::RawQuery(q): axum::extract::RawQuery) -> Response {
    let clair = champs(q.as_deref().unwrap_or_default())
        .remove("jeton")
        .unwrap_or_default();
    let clair = clair.trim();
    if clair.is_empty() {
        return reinitialisation_refusee(ErreurJeton::Inconnu);
    }
    page_reinitialisation(StatusCode::OK, clair, Vec::new(), Vec::new())
}

fn reinitialisation_refusee(e: ErreurJeton) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Lien de réinitialisation refusé",
        "erreur",
        vec![
            e.to_string(),
            "Demandez un nouveau lien : il est valable une heure et ne sert qu'une fois."
                .to_string(),
        ],
        Some(("/compte/mot-de-passe-oublie", "Demander un nouveau lien")),
    )
}

/// `POST /compte/reinitialisation`: checks the new password first (a typo
/// must not burn the link), then consumes the token, replaces the hash,
/// closes every session of the account and lifts the sign-in throttle.
pub async fn reinitialiser(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let clair = champ(&c, "jeton").trim().to_string();
    if clair.is_empty() {
        return reinitialisation_refusee(ErreurJeton::Inconnu);
    }
    let mdp = champ(&c, "mot_de_passe").to_string();
    let confirmation = champ(&c, "confirmation");
    let mut erreurs_mdp = Vec::new();
    if let Err(e) = maillage_comptes::politique_mot_de_passe(&mdp, "") {
        erreurs_mdp = e;
    }
    let mut erreurs_confirmation = Vec::new();
    if confirmation != mdp {
        erreurs_confirmation.push("Les deux mots de passe ne sont pas identiques.".to_string());
    }
    if !erreurs_mdp.is_empty() || !erreurs_confirmation.is_empty() {
        return page_reinitialisation(
            StatusCode::BAD_REQUEST,
            &clair,
            erreurs_mdp,
            erreurs_confirmation,
        );
    }
    let maintenant = etat.maintenant();
    let store = etat.store();
    let jeton = match store
        .consommer_jeton(
            &Jeton::empreinte_de(&clair),
            ButJeton::ReinitialisationMotDePasse,
            maintenant,
        )
        .await
    {
        Ok(Ok(j)) => j,
        Ok(Err(e)) => return reinitialisation_refusee(e),
        Err(e) => return indisponible(&e),
    };
    let Some(id) = jeton.utilisateur_id else {
        return reinitialisation_refusee(ErreurJeton::MauvaisBut);
    };
    let utilisateur = match store.utilisateur(&id).await {
        Ok(Some(u)) if u.desactive_le.is_none() => u,
        Ok(_) => return reinitialisation_refusee(ErreurJeton::Inconnu),
        Err(e) => return indisponible(&e),
    };
    // The address may not be in the password now that we know it.
    if let Err(e) = maillage_comptes::politique_mot_de_passe(&mdp, &utilisateur.email) {
        return page_reinitialisation(StatusCode::BAD_REQUEST, &clair, e, Vec::new());
    }
    let Some(phc) = hacher(mdp).await else {
        return erreur(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erreur interne",
            "Le mot de passe n'a pas pu être changé. Demandez un nouveau lien dans quelques minutes.",
        );
    };
    let changement = store
        .changer_mot_de_passe(
            &id,
            &phc,
            ActionSensible::ReinitialisationMotDePasse,
            Some(&id),
            maintenant,
        )
        .await;
    if let Err(e) = changement {
        return indisponible(&e);
    }
    // Whoever knew the old password loses their sessions; the owner, who
    // just proved control of the address, may sign in at once.
    if let Err(e) = store.supprimer_sessions_de(&id).await {
        return indisponible(&e);
    }
    if let Err(e) = store
        .effacer_freinage(&format!("email:{}", utilisateur.email))
        .await
    {
        tracing::error!("freinage : {e}");
    }
    message(
        StatusCode::OK,
        "Mot de passe changé",
        "succes",
        vec!["Votre nouveau mot de passe est enregistré. Les sessions ouvertes avec l'ancien ont été fermées.".to_string()],
        Some(("/compte/connexion", "Se connecter")),
    )
}

// ---------------------------------------------------------------------------
// Sign-in, sign-out

fn page_connexion(
    statut: StatusCode,
    suite: &str,
    email: &str,
    erreur: Option<(&str, String)>,
    info: Option<&str>,
    non_verifie: bool,
) -> Response {
    let titre = if erreur.is_some() {
        "Erreur : se connecter"
    } else {
        "Se connecter"
    };
    sans_cache(rendre(
        statut,
        &PageConnexion {
            mise: mise(titre),
            suite: suite.to_string(),
            email: email.to_string(),
            erreur: erreur.map(|(t, m)| (t.to_string(), m)),
            info: info.map(str::to_string),
            non_verifie,
        },
    ))
}

/// « Trop de tentatives : réessayez dans N minutes. » (429).
fn bloque(suite: &str, email: &str, attente: Duration) -> Response {
    let secondes = attente.num_seconds().max(1);
    let minutes = u64::try_from(secondes).unwrap_or(1).div_ceil(60);
    let mut rep = page_connexion(
        StatusCode::TOO_MANY_REQUESTS,
        suite,
        email,
        Some((
            "Connexion suspendue",
            format!(
                "Trop de tentatives : réessayez dans {}.",
                libelle_minutes(minutes)
            ),
        )),
        None,
        false,
    );
    if let Ok(v) = HeaderValue::from_str(&secondes.to_string()) {
        rep.headers_mut().insert(header::RETRY_AFTER, v);
    }
    rep
}

/// The page to go back to after signing in: a path of this site only
/// (`/…` but not `//…`, which a browser takes for another host), else "".
fn suite_locale(suite: &str) -> String {
    let locale = suite.starts_with('/')
        && !suite.starts_with("//")
        && !suite.contains('\\')
        && !suite.chars().any(char::is_control)
        && suite.len() <= 2000;
    if locale {
        suite.to_string()
    } else {
        String::new()
    }
}

/// `GET /compte/connexion`.
pub async fn connexion(
    State(etat): State<Etat>,
    entetes: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    match session_courante(&etat, &entetes).await {
        Ok(Some(_)) => return Redirect::to("/espace").into_response(),
        Ok(None) => {}
        Err(e) => return indisponible(&e),
    }
    let q = q.unwrap_or_default();
    let requete = crate::espace::Champs::lire(&q);
    let info = (requete.texte("deconnecte") == "1").then_some("Vous êtes déconnecté.");
    let suite = suite_locale(requete.texte("suite"));
    page_connexion(StatusCode::OK, &suite, "", None, info, false)
}

/// `POST /compte/connexion`.
pub async fn se_connecter(
    State(etat): State<Etat>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire_recevable(&etat, &connexion, &entetes, &corps) {
        Ok(c) => c,
        Err(refus) => return *refus,
    };
    let email = normaliser_email(champ(&c, "email"));
    let mdp = champ(&c, "mot_de_passe").to_string();
    let suite = suite_locale(champ(&c, "suite"));
    if email.is_empty() || mdp.is_empty() || email.chars().count() > EMAIL_MAX {
        return page_connexion(
            StatusCode::BAD_REQUEST,
            &suite,
            &email,
            Some((
                "Connexion refusée",
                "Indiquez votre adresse e-mail et votre mot de passe.".to_string(),
            )),
            None,
            false,
        );
    }
    let maintenant = etat.maintenant();
    let store = etat.store();
    // Throttled per address whether it has an account or not: the
    // behaviour must not tell which addresses exist.
    let cle = format!("email:{email}");
    let mut freinage = match store.freinage(&cle).await {
        Ok(f) => f.unwrap_or_else(Freinage::new),
        Err(e) => return indisponible(&e),
    };
    if let Err(attente) = freinage.verifier(maintenant) {
        return bloque(&suite, &email, attente);
    }
    let utilisateur = match store.utilisateur_par_email(&email).await {
        Ok(u) => u.filter(|u| u.desactive_le.is_none()),
        Err(e) => return indisponible(&e),
    };
    let phc = utilisateur.as_ref().map_or_else(
        || empreinte_leurre().to_string(),
        |u| u.mot_de_passe.clone(),
    );
    let bon = verifier(mdp, phc).await && utilisateur.is_some();
    let Some(utilisateur) = utilisateur.filter(|_| bon) else {
        let blocage = freinage.enregistrer_echec(maintenant);
        if let Err(e) = store
            .enregistrer_freinage(&cle, &freinage, maintenant)
            .await
        {
            return indisponible(&e);
        }
        journaliser(
            &etat,
            ActionSensible::EchecConnexion,
            None,
            None,
            serde_json::json!({}),
        )
        .await;
        if let Some(attente) = blocage {
            journaliser(
                &etat,
                ActionSensible::BlocageConnexion,
                None,
                None,
                serde_json::json!({ "minutes": attente.num_minutes() }),
            )
            .await;
            return bloque(&suite, &email, attente);
        }
        return page_connexion(
            StatusCode::UNAUTHORIZED,
            &suite,
            &email,
            Some((
                "Connexion refusée",
                "Adresse e-mail ou mot de passe incorrect.".to_string(),
            )),
            None,
            false,
        );
    };
    if let Err(e) = store.effacer_freinage(&cle).await {
        return indisponible(&e);
    }
    if utilisateur.email_verifie_le.is_none() {
        return page_connexion(
            StatusCode::FORBIDDEN,
            &suite,
            &email,
            Some((
                "Adresse e-mail non confirmée",
                "Votre compte n'est pas encore actif : suivez le lien du message envoyé à votre adresse lors de l'inscription.".to_string(),
            )),
            None,
            true,
        );
    }
    let (clair, empreinte) = match maillage_comptes::secret_aleatoire() {
        Ok(j) => j,
        Err(e) => {
            tracing::error!("jeton de session : {e}");
            return erreur(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                "La session n'a pas pu être ouverte. Réessayez dans quelques minutes.",
            );
        }
    };
    let expire_le = maintenant + DUREE_SESSION;
    if let Err(e) = store
        .creer_session(&empreinte, &utilisateur.id, maintenant, expire_le)
        .await
    {
        return indisponible(&e);
    }
    journaliser(
        &etat,
        ActionSensible::Connexion,
        Some(&utilisateur.id),
        Some(&utilisateur.id),
        serde_json::json!({}),
    )
    .await;
    let mut rep = Redirect::to(if suite.is_empty() { "/espace" } else { &suite }).into_response();
    let valeur = entete_cookie(&etat, &entetes, &clair, DUREE_SESSION.num_seconds());
    if let Ok(v) = HeaderValue::from_str(&valeur) {
        rep.headers_mut().insert(header::SET_COOKIE, v);
    }
    sans_cache(rep)
}

/// `POST /compte/deconnexion`.
pub async fn se_deconnecter(State(etat): State<Etat>, entetes: HeaderMap) -> Response {
    if securite::inter_sites(&Method::POST, &entetes) {
        return refus_inter_sites();
    }
    match session_courante(&etat, &entetes).await {
        Ok(Some((empreinte, id))) => {
            if let Err(e) = etat.store().supprimer_session(&empreinte).await {
                return indisponible(&e);
            }
            journaliser(
                &etat,
                ActionSensible::Deconnexion,
                Some(&id),
                Some(&id),
                serde_json::json!({}),
            )
            .await;
        }
        Ok(None) => {}
        Err(e) => return indisponible(&e),
    }
    let mut rep = Redirect::to("/compte/connexion?deconnecte=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&entete_cookie(&etat, &entetes, "", 0)) {
        rep.headers_mut().insert(header::SET_COOKIE, v);
    }
    sans_cache(rep)
}

// ---------------------------------------------------------------------------
// Signed-in space, outbox

/// `GET /espace`: the workspace's home, with the tools of each of the
/// user's roles.
pub async fn espace(connecte: crate::espace::Connecte) -> Response {
    let acteur = &connecte.acteur;
    let mut roles: Vec<String> = Vec::new();
    for a in acteur.attributions_valides() {
        let l = a.role.libelle().to_string();
        if !roles.contains(&l) {
            roles.push(l);
        }
    }
    sans_cache(rendre(
        StatusCode::OK,
        &PageEspace {
            mise: crate::espace::mise("Mon espace"),
            nom: connecte.nom().to_string(),
            roles,
            mediateur: acteur.a_le_role(Role::Mediateur),
            coordinateur: acteur.a_le_role(Role::Coordinateur),
            gestionnaire_structure: acteur.a_le_role(Role::GestionnaireStructure),
            gestionnaire_territorial: acteur.a_le_role(Role::GestionnaireTerritorial),
            administrateur: acteur.a_le_role(Role::Administrateur),
        },
    ))
}

fn date(d: DateTime<Utc>) -> String {
    d.format("%d/%m/%Y %H:%M:%S UTC").to_string()
}

/// `GET /compte/boite-d-envoi` (only with `boite_d_envoi_visible`: demo
/// and tests): the queued e-mail, newest first.
pub async fn boite_d_envoi(State(etat): State<Etat>) -> Response {
    if !etat.config().boite_d_envoi_visible {
        return introuvable().await;
    }
    match lignes_courriels(&etat, 200, None).await {
        Ok(messages) => sans_cache(rendre(
            StatusCode::OK,
            &PageBoite {
                mise: mise("Boîte d'envoi"),
                messages,
                administration: false,
                smtp: etat.interne.courrier.a_smtp(),
                suivante: None,
            },
        )),
        Err(e) => indisponible(&e),
    }
}

/// The queued e-mail as the outbox pages show it.
pub(crate) async fn lignes_courriels(
    etat: &Etat,
    limite: u32,
    avant: Option<i64>,
) -> Result<Vec<LigneMessage>, StoreError> {
    Ok(etat
        .store()
        .courriels(limite, avant)
        .await?
        .into_iter()
        .map(|m| LigneMessage {
            id: m.id,
            date: date(m.cree_le),
            etat: match (m.envoye_le, &m.derniere_erreur) {
                (Some(le), _) => format!("envoyé le {}", date(le)),
                (None, Some(e)) => format!("non envoyé ({} essai(s)) : {e}", m.tentatives),
                (None, None) => "en attente d'envoi".to_string(),
            },
            destinataire: m.destinataire,
            sujet: m.sujet,
            corps: m.corps,
            lien: m.lien,
        })
        .collect())
}
