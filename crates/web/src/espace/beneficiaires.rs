//! `/espace/beneficiaires`: a mediator's beneficiaries (issue 4, item 4).
//!
//! ```text
//! GET  /espace/beneficiaires                 list + name search (the owner's only)
//! GET  /espace/beneficiaires/nouveau         form; POST creates
//! GET  /espace/beneficiaires/{id}            detail, link to record an accompaniment
//! GET  /espace/beneficiaires/{id}/modifier   form; POST saves
//! GET  /espace/beneficiaires/{id}/supprimer  confirmation; POST anonymises
//! GET  /espace/beneficiaires/doublons        likely duplicates; POST merges a pair
//! GET  /espace/beneficiaires/import          upload form; POST imports (CSV or XLSX)
//! GET  /espace/beneficiaires/export.csv|.xlsx
//! ```
//!
//! Every route checks `Cible::Beneficiaire` with the owner's id: only the
//! mediator who follows a beneficiary sees or changes its personal data
//! (coordinators, managers and administrators are refused by the access
//! rules). Exports, imports, merges and deletions are journaled.

use crate::espace::{formulaire, indisponible, mise, sans_cache, Champs, Connecte};
use crate::etat::Etat;
use crate::pages::{erreur, rendre, Choix, Mise, Pagination};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Utc};
use maillage_beneficiaires::{
    detecter_doublons, exporter_csv, exporter_xlsx, formater_telephone, importer, limite_retention,
    planifier_fusion, valider, Beneficiaire, BeneficiaireSaisie, ErreurChamp, ErreurImport, Fiche,
    Genre, StatutSocial, TrancheAge,
};
use maillage_comptes::{Action, ActionSensible, Cible, FicheBeneficiaire};
use maillage_store::{
    FiltreBeneficiaires, NouveauBeneficiaire, NouvelleEntreeJournal, Store, StoreError,
};
use std::collections::HashMap;

/// Largest uploaded file (the whole multipart body), bytes.
pub const IMPORT_MAX_OCTETS: usize = 2 * 1024 * 1024;
const PAR_PAGE: u32 = 50;

/// The beneficiaries' routes, except the upload (see [`routes_import`]).
pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/beneficiaires", get(liste))
        .route("/espace/beneficiaires/nouveau", get(nouveau).post(creer))
        .route(
            "/espace/beneficiaires/doublons",
            get(doublons).post(fusionner),
        )
        .route("/espace/beneficiaires/export.csv", get(export_csv))
        .route("/espace/beneficiaires/export.xlsx", get(export_xlsx))
        .route("/espace/beneficiaires/{id}", get(detail))
        .route(
            "/espace/beneficiaires/{id}/modifier",
            get(edition).post(modifier),
        )
        .route(
            "/espace/beneficiaires/{id}/supprimer",
            get(confirmation).post(supprimer),
        )
}

/// The upload route: merged outside the site's 32 KiB body limit, with its
/// own limit of [`IMPORT_MAX_OCTETS`].
pub fn routes_import() -> Router<Etat> {
    Router::new()
        .route(
            "/espace/beneficiaires/import",
            get(page_import).post(importer_fichier),
        )
        .layer(DefaultBodyLimit::max(IMPORT_MAX_OCTETS))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            IMPORT_MAX_OCTETS,
        ))
}

/// The retention rule, as `maillage retention` and the server's daily task
/// run it: anonymises the beneficiaries inactive for `mois` months at
/// `maintenant`; returns how many.
pub async fn appliquer_retention(
    store: &Store,
    mois: u32,
    maintenant: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let avant = limite_retention(maintenant.date_naive(), mois)?;
    Ok(store.anonymiser_inactifs(avant, maintenant).await?)
}

// ---------------------------------------------------------------------------
// Access

/// The actor's own beneficiaries as a target: allowed to mediators only.
fn les_miens(c: &Connecte) -> Cible {
    Cible::Beneficiaire(FicheBeneficiaire {
        mediateur_id: c.acteur.id.clone(),
    })
}

/// Reads a beneficiary and checks `action` on it: 404 when unknown, the
/// refusal page when it is someone else's, 404 when deleted (after the
/// check, so its state is never told to others).
async fn fiche_autorisee(
    etat: &Etat,
    c: &Connecte,
    id: &str,
    action: Action,
) -> Result<Fiche, Response> {
    let f = etat
        .store()
        .beneficiaire(id)
        .await
        .map_err(|e| indisponible(&e))?
        .ok_or_else(introuvable)?;
    c.autoriser(
        etat,
        action,
        &Cible::Beneficiaire(FicheBeneficiaire {
            mediateur_id: f.mediateur_id.clone(),
        }),
    )?;
    if !f.est_active() {
        return Err(introuvable());
    }
    Ok(f)
}

fn introuvable() -> Response {
    sans_cache(erreur(
        StatusCode::NOT_FOUND,
        "Bénéficiaire introuvable",
        "Ce bénéficiaire n'existe pas ou a été supprimé. Retrouvez vos bénéficiaires depuis la page « Mes bénéficiaires ».",
    ))
}

fn voir(url: &str) -> Response {
    sans_cache(Redirect::to(url).into_response())
}

fn annee(etat: &Etat) -> i32 {
    etat.maintenant().year()
}

// ---------------------------------------------------------------------------
// List

/// One row of the list.
pub struct Ligne {
    pub id: String,
    pub nom: String,
    pub suivi: bool,
    pub commune: String,
    pub tranche: String,
    pub derniere_activite: String,
}

#[derive(Template)]
#[template(path = "espace/beneficiaires.html")]
pub struct PageListe {
    pub mise: Mise,
    pub recherche: String,
    pub lignes: Vec<Ligne>,
    pub total: u64,
    pub pagination: Pagination,
    pub message: String,
}

fn nom_commune(etat: &Etat, code: &str) -> Option<String> {
    etat.referentiel()
        .commune(code)
        .map(|c| format!("{} ({code})", c.nom))
}

fn ligne(etat: &Etat, f: &Fiche) -> Ligne {
    let b = &f.beneficiaire;
    Ligne {
        id: f.id.clone(),
        nom: match (&b.nom, &b.prenom) {
            (Some(n), Some(p)) => format!("{n} {p}"),
            _ => format!("Anonyme (créé le {})", f.cree_le.format("%d/%m/%Y")),
        },
        suivi: b.est_suivi(),
        commune: b
            .commune_code_insee
            .as_deref()
            .map(|c| nom_commune(etat, c).unwrap_or_else(|| c.to_string()))
            .unwrap_or_default(),
        tranche: b
            .tranche_age
            .map(|t| t.libelle().to_string())
            .unwrap_or_default(),
        derniere_activite: f
            .derniere_activite_le
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
    }
}

async fn liste(
    State(etat): State<Etat>,
    c: Connecte,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = c.autoriser(&etat, Action::Consulter, &les_miens(&c)) {
        return r;
    }
    let recherche = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let page = q
        .get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let filtre = FiltreBeneficiaires {
        mediateur_id: c.acteur.id.clone(),
        recherche: (!recherche.is_empty()).then(|| recherche.clone()),
        page,
        par_page: PAR_PAGE,
    };
    let resultat = match etat.store().beneficiaires(&filtre).await {
        Ok(r) => r,
        Err(e) => return indisponible(&e),
    };
    let lien = |p: usize| {
        let mut u = String::from("/espace/beneficiaires?");
        if !recherche.is_empty() {
            u.push_str("q=");
            u.extend(form_urlencoded::byte_serialize(recherche.as_bytes()));
            u.push('&');
        }
        format!("{u}page={p}")
    };
    let message = match (q.get("supprime"), q.get("importes")) {
        (Some(_), _) => "Le bénéficiaire a été supprimé : ses données personnelles sont effacées, seules ses informations statistiques sont conservées.".to_string(),
        (_, Some(n)) if n.parse::<u64>().is_ok() => format!("{n} bénéficiaire(s) importé(s)."),
        _ => String::new(),
    };
    sans_cache(rendre(
        StatusCode::OK,
        &PageListe {
            mise: mise("Mes bénéficiaires"),
            lignes: resultat
                .beneficiaires
                .iter()
                .map(|f| ligne(&etat, f))
                .collect(),
            total: resultat.total,
            pagination: Pagination::new(
                page as usize,
                usize::try_from(resultat.total).unwrap_or(usize::MAX),
                PAR_PAGE as usize,
                lien,
            ),
            recherche,
            message,
        },
    ))
}

// ---------------------------------------------------------------------------
// Create and edit

/// A text field of the form.
pub struct ChampTexte {
    pub nom: &'static str,
    pub libelle: &'static str,
    pub valeur: String,
    pub aide: &'static str,
    pub type_: &'static str,
    pub autocomplete: &'static str,
    pub max: usize,
    pub erreurs: Vec<String>,
}

/// A select of the form.
pub struct ChampChoix {
    pub nom: &'static str,
    pub libelle: &'static str,
    pub choix: Vec<Choix>,
    pub erreurs: Vec<String>,
}

#[derive(Template)]
#[template(path = "espace/beneficiaire_formulaire.html")]
pub struct PageFormulaire {
    pub mise: Mise,
    pub titre: String,
    pub action: String,
    pub retour: String,
    pub consentement: bool,
    pub identite: Vec<ChampTexte>,
    pub commune: ChampTexte,
    pub choix: Vec<ChampChoix>,
    /// (field id, message) of every error, for the summary.
    pub resume: Vec<(String, String)>,
}

fn formulaire_page(
    titre: &str,
    action: String,
    retour: String,
    s: &BeneficiaireSaisie,
    erreurs: &[ErreurChamp],
) -> PageFormulaire {
    let erreurs_de = |champ: &str| -> Vec<String> {
        erreurs
            .iter()
            .filter(|e| e.champ == champ)
            .map(|e| e.raison.clone())
            .collect()
    };
    let texte = |nom: &'static str,
                 libelle: &'static str,
                 valeur: &str,
                 aide: &'static str,
                 type_: &'static str,
                 autocomplete: &'static str,
                 max: usize| ChampTexte {
        nom,
        libelle,
        valeur: valeur.to_string(),
        aide,
        type_,
        autocomplete,
        max,
        erreurs: erreurs_de(nom),
    };
    fn options<T: Copy + PartialEq>(
        toutes: &[T],
        noms: impl Fn(T) -> (&'static str, &'static str),
        choisi: &str,
    ) -> Vec<Choix> {
        let mut v = vec![Choix::new("", "Non renseigné", choisi.is_empty())];
        v.extend(toutes.iter().map(|t| {
            let (code, libelle) = noms(*t);
            Choix::new(code, libelle, code == choisi)
        }));
        v
    }
    PageFormulaire {
        mise: mise(titre),
        titre: titre.to_string(),
        action,
        retour,
        consentement: s.consentement,
        identite: vec![
            texte("prenom", "Prénom", &s.prenom, "", "text", "off", 100),
            texte("nom", "Nom", &s.nom, "", "text", "off", 100),
            texte(
                "telephone",
                "Téléphone",
                &s.telephone,
                "Facultatif. Exemple : 06 12 34 56 78.",
                "tel",
                "off",
                30,
            ),
            texte(
                "email",
                "E-mail",
                &s.email,
                "Facultatif. Exemple : nom@exemple.fr.",
                "email",
                "off",
                254,
            ),
            texte(
                "annee_naissance",
                "Année de naissance",
                &s.annee_naissance,
                "Facultatif. Sans consentement, seule la tranche d'âge qui en découle est gardée.",
                "text",
                "off",
                4,
            ),
            texte(
                "notes",
                "Notes",
                &s.notes,
                "Facultatif. N'inscrivez que ce qui est utile à l'accompagnement.",
                "textarea",
                "off",
                2000,
            ),
        ],
        commune: texte(
            "commune",
            "Commune de résidence (code Insee)",
            &s.commune,
            "Facultatif. Cinq caractères, par exemple 33063 pour Bordeaux.",
            "text",
            "off",
            5,
        ),
        choix: vec![
            ChampChoix {
                nom: "tranche_age",
                libelle: "Tranche d'âge",
                choix: options(TrancheAge::ALL, |t| (t.code(), t.libelle()), &s.tranche_age),
                erreurs: erreurs_de("tranche_age"),
            },
            ChampChoix {
                nom: "genre",
                libelle: "Genre",
                choix: options(Genre::ALL, |g| (g.code(), g.libelle()), &s.genre),
                erreurs: erreurs_de("genre"),
            },
            ChampChoix {
                nom: "statut_social",
                libelle: "Statut du bénéficiaire",
                choix: options(
                    StatutSocial::ALL,
                    |st| (st.code(), st.libelle()),
                    &s.statut_social,
                ),
                erreurs: erreurs_de("statut_social"),
            },
        ],
        resume: erreurs
            .iter()
            .map(|e| (e.champ.to_string(), e.message.clone()))
            .collect(),
    }
}

fn saisie_du_formulaire(champs: &Champs) -> BeneficiaireSaisie {
    // Notes keep their inner line breaks: not trimmed line by line.
    BeneficiaireSaisie {
        prenom: champs.texte("prenom").to_string(),
        nom: champs.texte("nom").to_string(),
        telephone: champs.texte("telephone").to_string(),
        email: champs.texte("email").to_string(),
        commune: champs.texte("commune").to_string(),
        annee_naissance: champs.texte("annee_naissance").to_string(),
        tranche_age: champs.texte("tranche_age").to_string(),
        genre: champs.texte("genre").to_string(),
        statut_social: champs.texte("statut_social").to_string(),
        notes: champs.texte("notes").to_string(),
        consentement: champs.texte("consentement") == "oui",
    }
}

/// Validation, plus the commune's existence in the territorial reference.
fn valider_formulaire(
    etat: &Etat,
    s: &BeneficiaireSaisie,
) -> Result<Beneficiaire, Vec<ErreurChamp>> {
    let resultat = valider(s, annee(etat));
    let commune_inconnue = match &resultat {
        Ok(b) => b
            .commune_code_insee
            .as_deref()
            .is_some_and(|c| etat.referentiel().commune(c).is_none()),
        Err(_) => false,
    };
    if commune_inconnue {
        let raison = format!(
            "aucune commune n'a le code Insee « {} »",
            s.commune.trim().to_ascii_uppercase()
        );
        return Err(vec![ErreurChamp {
            champ: "commune",
            message: format!("Commune (code Insee) : {raison}"),
            raison,
        }]);
    }
    resultat
}

async fn nouveau(State(etat): State<Etat>, c: Connecte) -> Response {
    if let Err(r) = c.autoriser(&etat, Action::Creer, &les_miens(&c)) {
        return r;
    }
    sans_cache(rendre(
        StatusCode::OK,
        &formulaire_page(
            "Nouveau bénéficiaire",
            "/espace/beneficiaires/nouveau".into(),
            "/espace/beneficiaires".into(),
            &BeneficiaireSaisie::default(),
            &[],
        ),
    ))
}

async fn creer(
    State(etat): State<Etat>,
    c: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(ch) => ch,
        Err(r) => return r,
    };
    if let Err(r) = c.autoriser(&etat, Action::Creer, &les_miens(&c)) {
        return r;
    }
    let s = saisie_du_formulaire(&champs);
    match valider_formulaire(&etat, &s) {
        Err(erreurs) => sans_cache(rendre(
            StatusCode::UNPROCESSABLE_ENTITY,
            &formulaire_page(
                "Nouveau bénéficiaire",
                "/espace/beneficiaires/nouveau".into(),
                "/espace/beneficiaires".into(),
                &s,
                &erreurs,
            ),
        )),
        Ok(b) => {
            let n = NouveauBeneficiaire {
                mediateur_id: c.acteur.id.clone(),
                beneficiaire: b,
                cree_le: etat.maintenant(),
            };
            match etat.store().creer_beneficiaire(&n).await {
                Ok(id) => voir(&format!("/espace/beneficiaires/{id}")),
                Err(e) => indisponible(&e),
            }
        }
    }
}

async fn edition(State(etat): State<Etat>, c: Connecte, Path(id): Path<String>) -> Response {
    let f = match fiche_autorisee(&etat, &c, &id, Action::Modifier).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    sans_cache(rendre(
        StatusCode::OK,
        &formulaire_page(
            &format!("Modifier : {}", f.beneficiaire.nom_affiche()),
            format!("/espace/beneficiaires/{}/modifier", f.id),
            format!("/espace/beneficiaires/{}", f.id),
            &BeneficiaireSaisie::from(&f.beneficiaire),
            &[],
        ),
    ))
}

async fn modifier(
    State(etat): State<Etat>,
    c: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(ch) => ch,
        Err(r) => return r,
    };
    let f = match fiche_autorisee(&etat, &c, &id, Action::Modifier).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let s = saisie_du_formulaire(&champs);
    match valider_formulaire(&etat, &s) {
        Err(erreurs) => sans_cache(rendre(
            StatusCode::UNPROCESSABLE_ENTITY,
            &formulaire_page(
                &format!("Modifier : {}", f.beneficiaire.nom_affiche()),
                format!("/espace/beneficiaires/{}/modifier", f.id),
                format!("/espace/beneficiaires/{}", f.id),
                &s,
                &erreurs,
            ),
        )),
        Ok(b) => match etat
            .store()
            .modifier_beneficiaire(&f.id, &b, etat.maintenant())
            .await
        {
            Ok(()) => voir(&format!("/espace/beneficiaires/{}", f.id)),
            Err(StoreError::NotFound { .. }) => introuvable(),
            Err(e) => indisponible(&e),
        },
    }
}

// ---------------------------------------------------------------------------
// Detail and deletion

#[derive(Template)]
#[template(path = "espace/beneficiaire.html")]
pub struct PageDetail {
    pub mise: Mise,
    pub id: String,
    pub nom: String,
    pub suivi: bool,
    /// (label, value) of the known fields.
    pub champs: Vec<(&'static str, String)>,
    pub message: String,
}

fn champs_affiches(etat: &Etat, f: &Fiche) -> Vec<(&'static str, String)> {
    let b = &f.beneficiaire;
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let mut ajouter = |l: &'static str, x: Option<String>| {
        if let Some(x) = x {
            v.push((l, x));
        }
    };
    ajouter("Prénom", b.prenom.clone());
    ajouter("Nom", b.nom.clone());
    ajouter("Téléphone", b.telephone.as_deref().map(formater_telephone));
    ajouter("E-mail", b.email.clone());
    ajouter(
        "Année de naissance",
        b.annee_naissance.map(|a| a.to_string()),
    );
    ajouter(
        "Tranche d'âge",
        b.tranche_age.map(|t| t.libelle().to_string()),
    );
    ajouter("Genre", b.genre.map(|g| g.libelle().to_string()));
    ajouter(
        "Statut du bénéficiaire",
        b.statut_social.map(|s| s.libelle().to_string()),
    );
    ajouter(
        "Commune de résidence",
        b.commune_code_insee
            .as_deref()
            .map(|c| nom_commune(etat, c).unwrap_or_else(|| c.to_string())),
    );
    ajouter("Notes", b.notes.clone());
    ajouter(
        "Consentement au suivi",
        f.consentement_le
            .map(|d| format!("donné le {}", d.format("%d/%m/%Y"))),
    );
    ajouter(
        "Dernière activité",
        f.derniere_activite_le
            .map(|d| d.format("%d/%m/%Y").to_string()),
    );
    ajouter(
        "Enregistré le",
        Some(f.cree_le.format("%d/%m/%Y").to_string()),
    );
    v
}

async fn detail(
    State(etat): State<Etat>,
    c: Connecte,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let f = match fiche_autorisee(&etat, &c, &id, Action::Consulter).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let message = match q.get("fusion").and_then(|n| n.parse::<u64>().ok()) {
        Some(n) => format!("Fusion effectuée : {n} activité(s) rattachée(s) à ce bénéficiaire."),
        None => String::new(),
    };
    sans_cache(rendre(
        StatusCode::OK,
        &PageDetail {
            mise: mise(&f.beneficiaire.nom_affiche()),
            nom: f.beneficiaire.nom_affiche(),
            suivi: f.beneficiaire.est_suivi(),
            champs: champs_affiches(&etat, &f),
            id: f.id,
            message,
        },
    ))
}

#[derive(Template)]
#[template(path = "espace/beneficiaire_supprimer.html")]
pub struct PageSuppression {
    pub mise: Mise,
    pub id: String,
    pub nom: String,
}

async fn confirmation(State(etat): State<Etat>, c: Connecte, Path(id): Path<String>) -> Response {
    let f = match fiche_autorisee(&etat, &c, &id, Action::Supprimer).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    sans_cache(rendre(
        StatusCode::OK,
        &PageSuppression {
            mise: mise("Supprimer un bénéficiaire"),
            nom: f.beneficiaire.nom_affiche(),
            id: f.id,
        },
    ))
}

async fn supprimer(
    State(etat): State<Etat>,
    c: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    if let Err(r) = formulaire(&entetes, &corps) {
        return r;
    }
    let f = match fiche_autorisee(&etat, &c, &id, Action::Supprimer).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    match etat
        .store()
        .anonymiser_beneficiaire(&f.id, &c.acteur.id, etat.maintenant())
        .await
    {
        Ok(_) => voir("/espace/beneficiaires?supprime=1"),
        Err(StoreError::NotFound { .. }) => introuvable(),
        Err(e) => indisponible(&e),
    }
}

// ---------------------------------------------------------------------------
// Duplicates

/// One likely duplicate pair, side by side.
pub struct Paire {
    pub numero: usize,
    pub a: String,
    pub b: String,
    pub nom_a: String,
    pub nom_b: String,
    pub score: u8,
    pub raisons: String,
    /// (label, value in a, value in b).
    pub lignes: Vec<(&'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "espace/beneficiaires_doublons.html")]
pub struct PageDoublons {
    pub mise: Mise,
    pub paires: Vec<Paire>,
    pub erreur: String,
}

async fn page_doublons(
    etat: &Etat,
    c: &Connecte,
    erreur_message: String,
    statut: StatusCode,
) -> Response {
    let fiches = match etat.store().beneficiaires_actifs(&c.acteur.id).await {
        Ok(f) => f,
        Err(e) => return indisponible(&e),
    };
    let par_id: HashMap<&str, &Fiche> = fiches.iter().map(|f| (f.id.as_str(), f)).collect();
    let paires = detecter_doublons(&fiches)
        .into_iter()
        .take(100)
        .enumerate()
        .filter_map(|(i, p)| {
            let (fa, fb) = (par_id.get(p.a.as_str())?, par_id.get(p.b.as_str())?);
            let (ca, cb) = (champs_affiches(etat, fa), champs_affiches(etat, fb));
            let mut lignes: Vec<(&'static str, String, String)> = Vec::new();
            for (l, _) in ca.iter().chain(cb.iter()) {
                if lignes.iter().any(|(x, _, _)| x == l) {
                    continue;
                }
                let de = |c: &[(&'static str, String)]| {
                    c.iter()
                        .find(|(x, _)| x == l)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                lignes.push((l, de(&ca), de(&cb)));
            }
            Some(Paire {
                numero: i + 1,
                nom_a: fa.beneficiaire.nom_affiche(),
                nom_b: fb.beneficiaire.nom_affiche(),
                a: p.a,
                b: p.b,
                score: p.score,
                raisons: p.raisons.join(", "),
                lignes,
            })
        })
        .collect();
    sans_cache(rendre(
        statut,
        &PageDoublons {
            mise: mise("Doublons possibles"),
            paires,
            erreur: erreur_message,
        },
    ))
}

async fn doublons(State(etat): State<Etat>, c: Connecte) -> Response {
    if let Err(r) = c.autoriser(&etat, Action::Consulter, &les_miens(&c)) {
        return r;
    }
    page_doublons(&etat, &c, String::new(), StatusCode::OK).await
}

async fn fusionner(
    State(etat): State<Etat>,
    c: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(ch) => ch,
        Err(r) => return r,
    };
    if let Err(r) = c.autoriser(&etat, Action::Modifier, &les_miens(&c)) {
        return r;
    }
    let (a, b) = (champs.texte("a"), champs.texte("b"));
    let garder = champs.texte("garder");
    if a.is_empty() || b.is_empty() || (garder != a && garder != b) {
        return page_doublons(
            &etat,
            &c,
            "Fiche à conserver : choisissez l'une des deux fiches de la paire.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let absorbe_id = if garder == a { b } else { a };
    let survivant = match fiche_autorisee(&etat, &c, garder, Action::Modifier).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let absorbe = match fiche_autorisee(&etat, &c, absorbe_id, Action::Modifier).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let plan = match planifier_fusion(&survivant, &absorbe) {
        Ok(p) => p,
        Err(e) => {
            return page_doublons(&etat, &c, e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    match etat
        .store()
        .fusionner_beneficiaires(&plan, &c.acteur.id, etat.maintenant())
        .await
    {
        Ok(n) => voir(&format!(
            "/espace/beneficiaires/{}?fusion={n}",
            plan.survivant
        )),
        Err(StoreError::NotFound { .. }) => introuvable(),
        Err(e) => indisponible(&e),
    }
}

// ---------------------------------------------------------------------------
// Import

#[derive(Template)]
#[template(path = "espace/beneficiaires_import.html")]
pub struct PageImport {
    pub mise: Mise,
    pub colonnes: Vec<&'static str>,
    pub erreurs: Vec<ErreurImport>,
    pub message: String,
    pub max_lignes: usize,
}

fn page_import_avec(erreurs: Vec<ErreurImport>, message: String, statut: StatusCode) -> Response {
    sans_cache(rendre(
        statut,
        &PageImport {
            mise: mise("Importer des bénéficiaires"),
            colonnes: maillage_beneficiaires::COLONNES_EXPORT[1..12].to_vec(),
            erreurs,
            message,
            max_lignes: maillage_beneficiaires::IMPORT_LIGNES_MAX,
        },
    ))
}

async fn page_import(State(etat): State<Etat>, c: Connecte) -> Response {
    if let Err(r) = c.autoriser(&etat, Action::Creer, &les_miens(&c)) {
        return r;
    }
    page_import_avec(Vec::new(), String::new(), StatusCode::OK)
}

async fn importer_fichier(
    State(etat): State<Etat>,
    c: Connecte,
    entetes: HeaderMap,
    envoi: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    // The same cross-site gate as every other form
    // (`securite::inter_sites`), before reading the upload.
    if let Err(r) = formulaire(&entetes, "") {
        return r;
    }
    if let Err(r) = c.autoriser(&etat, Action::Creer, &les_miens(&c)) {
        return r;
    }
    let refus = |message: &str| {
        page_import_avec(
            Vec::new(),
            message.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Ok(mut envoi) = envoi else {
        return refus("Fichier : l'envoi n'a pas pu être lu. Choisissez un fichier CSV ou XLSX puis envoyez le formulaire.");
    };
    let mut fichier: Option<(String, Vec<u8>)> = None;
    loop {
        match envoi.next_field().await {
            Ok(Some(champ)) => {
                if champ.name() != Some("fichier") {
                    continue;
                }
                let nom = champ
                    .file_name()
                    .map(|n| n.chars().take(200).collect::<String>())
                    .unwrap_or_else(|| "fichier".to_string());
                match champ.bytes().await {
                    Ok(o) => fichier = Some((nom, o.to_vec())),
                    Err(_) => {
                        return refus(&format!(
                            "Fichier : trop volumineux ou interrompu ({} Mio au plus).",
                            IMPORT_MAX_OCTETS / (1024 * 1024)
                        ))
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return refus(&format!(
                    "Fichier : trop volumineux ou interrompu ({} Mio au plus).",
                    IMPORT_MAX_OCTETS / (1024 * 1024)
                ))
            }
        }
    }
    let Some((nom, octets)) = fichier.filter(|(_, o)| !o.is_empty()) else {
        return refus("Fichier : choisissez un fichier CSV ou XLSX à importer.");
    };
    let beneficiaires = match importer(&nom, &octets, annee(&etat)) {
        Ok(b) => b,
        Err(erreurs) => {
            return page_import_avec(
                erreurs,
                "Rien n'a été importé : corrigez ces lignes dans le fichier puis envoyez-le de nouveau.".into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    match etat
        .store()
        .importer_beneficiaires(&c.acteur.id, &beneficiaires, &nom, etat.maintenant())
        .await
    {
        Ok(ids) => voir(&format!("/espace/beneficiaires?importes={}", ids.len())),
        Err(StoreError::Invalid { detail, .. }) => {
            refus(&format!("Rien n'a été importé : {detail}."))
        }
        Err(e) => indisponible(&e),
    }
}

// ---------------------------------------------------------------------------
// Export

async fn exporter(etat: &Etat, c: &Connecte, format: &'static str) -> Response {
    if let Err(r) = c.autoriser(etat, Action::Exporter, &les_miens(c)) {
        return r;
    }
    let fiches = match etat.store().beneficiaires_actifs(&c.acteur.id).await {
        Ok(f) => f,
        Err(e) => return indisponible(&e),
    };
    let commune = |code: &str| etat.referentiel().commune(code).map(|c| c.nom.to_string());
    let (octets, type_mime) = if format == "csv" {
        (exporter_csv(&fiches, &commune), "text/csv; charset=utf-8")
    } else {
        match exporter_xlsx(&fiches, &commune) {
            Ok(o) => (
                o,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            Err(e) => {
                tracing::error!("{e}");
                return sans_cache(erreur(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Export impossible",
                    "Le fichier XLSX n'a pas pu être produit. Essayez l'export CSV.",
                ));
            }
        }
    };
    let journal = NouvelleEntreeJournal {
        quand: etat.maintenant(),
        acteur_id: Some(c.acteur.id.clone()),
        action: ActionSensible::Export.code().to_string(),
        cible: Some("beneficiaires".to_string()),
        details: serde_json::json!({ "format": format, "nombre": fiches.len() }),
    };
    if let Err(e) = etat.store().journaliser(&journal).await {
        // No journal, no export: the export must be traceable.
        return indisponible(&e);
    }
    let nom = format!(
        "attachment; filename=\"beneficiaires-{}.{format}\"",
        etat.maintenant().format("%Y-%m-%d")
    );
    let mut rep = (StatusCode::OK, octets).into_response();
    let h = rep.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(type_mime));
    if let Ok(v) = HeaderValue::from_str(&nom) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    sans_cache(rep)
}

async fn export_csv(State(etat): State<Etat>, c: Connecte) -> Response {
    exporter(&etat, &c, "csv").await
}

async fn export_xlsx(State(etat): State<Etat>, c: Connecte) -> Response {
    exporter(&etat, &c, "xlsx").await
}
