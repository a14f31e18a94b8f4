//! Employer structures and places of activity (issue 4, item 2): a
//! mediator declares their employer (by SIRET) and the places of the
//! registry where they work; a structure manager follows their structure's
//! mediators; an administrator searches every structure.
//!
//! ```text
//! GET  /espace/structures[?lieux=…&q=…]        the page, by role
//! GET  /espace/structures/{siret}              one structure, its mediators and their places
//! POST /espace/structures/employeur            declare my employer (created when unknown)
//! POST /espace/structures/employeur/terminer   end an employment (mine, or my structure's)
//! POST /espace/structures/lieux/ajouter        add a place of activity (mine)
//! POST /espace/structures/lieux/retirer        end a place of activity (mine)
//! ```
//!
//! Who may do what is [`maillage_comptes::autoriser_structure`], asked by
//! every handler before reading or writing.

use super::{aujourdhui, formulaire, indisponible, mise, sans_cache, Champs, Connecte};
use crate::etat::Etat;
use crate::pages::{erreur, rendre, Mise};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use maillage_comptes::{
    autoriser_structure, DemandeStructure, PerimetreAttribution, RefusStructure, Role, Siret,
};
use maillage_orientation::Recherche;
use maillage_store::{NouvelleStructure, StoreError};

/// Places offered by one search of the registry.
const PROPOSITIONS_MAX: usize = 20;
/// Structures listed by one administrator search.
const STRUCTURES_MAX: u32 = 50;
/// Longest structure name and address accepted from the form.
const NOM_MAX: usize = 200;
const ADRESSE_MAX: usize = 300;

pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/structures", get(page))
        .route("/espace/structures/{siret}", get(page_structure))
        .route("/espace/structures/employeur", post(declarer_employeur))
        .route(
            "/espace/structures/employeur/terminer",
            post(terminer_emploi),
        )
        .route("/espace/structures/lieux/ajouter", post(ajouter_lieu))
        .route("/espace/structures/lieux/retirer", post(retirer_lieu))
}

// ---------------------------------------------------------------------------
// For the other areas of the workspace

/// The mediator's current places of activity still in the published
/// registry, as (place id, place name), for the activity form.
pub async fn lieux_d_activite(
    etat: &Etat,
    utilisateur_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let lieux = etat.store().lieux_activite(utilisateur_id).await?;
    let catalogue = etat.catalogue();
    Ok(lieux
        .into_iter()
        .filter_map(|l| {
            catalogue
                .lieu(&l.lieu_id)
                .map(|lieu| (l.lieu_id.clone(), lieu.nom.to_string()))
        })
        .collect())
}

/// The SIRET of the mediator's current employer (the most recent one when
/// they have several), for `NouvelleActivite.structure_id`.
pub async fn employeur_actuel(
    etat: &Etat,
    utilisateur_id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(etat
        .store()
        .employeurs_actuels(utilisateur_id)
        .await?
        .into_iter()
        .next())
}

// ---------------------------------------------------------------------------
// Shared pieces

fn refus(r: &RefusStructure) -> Response {
    sans_cache(erreur(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        &r.to_string(),
    ))
}

#[allow(clippy::result_large_err)]
fn autoriser(connecte: &Connecte, demande: DemandeStructure<'_>) -> Result<(), Response> {
    autoriser_structure(&connecte.acteur, &demande).map_err(|r| refus(&r))
}

fn jour(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "depuis le 06/01/2025" or "du 06/01/2025 au 28/02/2025" (the last day
/// worked: `fin` is exclusive).
fn periode(debut: NaiveDate, fin: Option<NaiveDate>) -> String {
    match fin {
        None => format!("depuis le {}", jour(debut)),
        Some(f) => {
            let dernier = f.pred_opt().unwrap_or(f).max(debut);
            format!("du {} au {}", jour(debut), jour(dernier))
        }
    }
}

/// A date typed in a date field (YYYY-MM-DD) or by hand (JJ/MM/AAAA); an
/// empty field is `defaut`. Never in the future: an employment or a place
/// starts or ends when it happened, so "open" always means "current".
fn date_saisie(
    champ: &str,
    saisie: &str,
    defaut: NaiveDate,
    aujourdhui: NaiveDate,
) -> Result<NaiveDate, String> {
    if saisie.is_empty() {
        return Ok(defaut);
    }
    let d = NaiveDate::parse_from_str(saisie, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(saisie, "%d/%m/%Y"))
        .map_err(|_| {
            format!(
                "{champ} : « {saisie} » n'est pas une date ; écrivez-la sous la forme JJ/MM/AAAA."
            )
        })?;
    if d > aujourdhui {
        return Err(format!(
            "{champ} : la date ne peut pas être dans le futur (au plus tard le {}).",
            jour(aujourdhui)
        ));
    }
    Ok(d)
}

/// "Angoulême (16015)", or the code alone when the referential does not
/// know it.
fn libelle_commune(etat: &Etat, code: &str) -> String {
    etat.referentiel()
        .commune(code)
        .map_or_else(|| code.to_string(), |c| format!("{} ({code})", c.nom))
}

/// The commune typed in the form: an INSEE code, or a postcode of a single
/// commune.
fn commune_saisie(etat: &Etat, saisie: &str) -> Result<String, String> {
    let r = etat.referentiel();
    if saisie.is_empty() {
        return Err(
            "Commune : indiquez le code INSEE de la commune de la structure (par exemple 16015 pour Angoulême).".to_string(),
        );
    }
    if let Some(c) = r.commune(saisie) {
        return Ok(c.code_insee.to_string());
    }
    match r.communes_du_code_postal(saisie).as_slice() {
        [c] => Ok(c.code_insee.to_string()),
        [] => Err(format!(
            "Commune : « {saisie} » n'est ni un code INSEE ni un code postal connu (par exemple 16015 pour Angoulême)."
        )),
        plusieurs => Err(format!(
            "Commune : le code postal {saisie} couvre plusieurs communes ({}) ; indiquez le code INSEE de la vôtre.",
            plusieurs
                .iter()
                .take(6)
                .map(|c| format!("{} : {}", c.nom, c.code_insee))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A place of the registry as listed on the page.
pub struct LigneLieu {
    pub id: String,
    pub nom: String,
    pub adresse: String,
    /// Already one of the mediator's current places.
    pub deja: bool,
}

fn ligne_lieu(etat: &Etat, id: &str) -> LigneLieu {
    match etat.catalogue().lieu(id) {
        Some(l) => LigneLieu {
            id: id.to_string(),
            nom: l.nom.to_string(),
            adresse: format!("{}, {} {}", l.adresse, l.code_postal, l.commune),
            deja: true,
        },
        None => LigneLieu {
            id: id.to_string(),
            nom: format!("Lieu retiré du registre ({id})"),
            adresse: String::new(),
            deja: true,
        },
    }
}

/// One employee of a structure.
pub struct LigneEmploye {
    pub utilisateur_id: String,
    pub nom: String,
    pub email: String,
    pub periode: String,
    pub lieux: Vec<LigneLieu>,
}

/// A structure with its mediators, as a manager or an administrator sees it.
pub struct VueStructure {
    pub siret: String,
    pub siret_formate: String,
    pub nom: String,
    pub commune: String,
    pub adresse: String,
    /// Known to Maillage (declared by one of its mediators).
    pub connue: bool,
    pub actuels: Vec<LigneEmploye>,
    pub anciens: Vec<LigneEmploye>,
}

async fn vue_structure(etat: &Etat, siret: &Siret) -> Result<VueStructure, StoreError> {
    let store = etat.store();
    let structure = store.structure(siret.as_str()).await?;
    let mut actuels = Vec::new();
    let mut anciens = Vec::new();
    for e in store.employes(siret.as_str()).await? {
        let en_cours = e.emploi.fin.is_none();
        let lieux = if en_cours {
            store
                .lieux_activite(&e.emploi.utilisateur_id)
                .await?
                .iter()
                .map(|l| ligne_lieu(etat, &l.lieu_id))
                .collect()
        } else {
            Vec::new()
        };
        let ligne = LigneEmploye {
            utilisateur_id: e.emploi.utilisateur_id.clone(),
            nom: e.nom.clone().unwrap_or_else(|| e.email.clone()),
            email: e.email,
            periode: periode(e.emploi.debut, e.emploi.fin),
            lieux,
        };
        if en_cours {
            actuels.push(ligne);
        } else {
            anciens.push(ligne);
        }
    }
    Ok(match structure {
        Some(s) => VueStructure {
            siret_formate: siret.formate(),
            siret: s.siret,
            nom: s.nom,
            commune: libelle_commune(etat, &s.commune),
            adresse: s.adresse.unwrap_or_default(),
            connue: true,
            actuels,
            anciens,
        },
        None => VueStructure {
            siret: siret.as_str().to_string(),
            siret_formate: siret.formate(),
            nom: format!("Structure {}", siret.formate()),
            commune: String::new(),
            adresse: String::new(),
            connue: false,
            actuels,
            anciens,
        },
    })
}

// ---------------------------------------------------------------------------
// The page

/// What the forms of the page send back when they are refused.
#[derive(Default)]
struct Retour {
    succes: Option<String>,
    siret: String,
    nom: String,
    commune: String,
    adresse: String,
    debut: String,
    erreurs_siret: Vec<String>,
    erreurs_nom: Vec<String>,
    erreurs_commune: Vec<String>,
    erreurs_adresse: Vec<String>,
    erreurs_debut: Vec<String>,
    /// Refusal of an "end this employment" form.
    erreur_fin: Option<String>,
    /// Refusal of an add/remove place form.
    erreur_lieux: Option<String>,
}

impl Retour {
    fn a_des_erreurs_employeur(&self) -> bool {
        !(self.erreurs_siret.is_empty()
            && self.erreurs_nom.is_empty()
            && self.erreurs_commune.is_empty()
            && self.erreurs_adresse.is_empty()
            && self.erreurs_debut.is_empty())
    }
}

pub struct LigneEmploi {
    pub siret: String,
    pub siret_formate: String,
    pub nom: String,
    pub commune: String,
    pub periode: String,
}

pub struct LigneStructure {
    pub siret: String,
    pub siret_formate: String,
    pub nom: String,
    pub commune: String,
}

#[derive(Template)]
#[template(path = "espace/structures.html")]
pub struct PageStructures {
    pub mise: Mise,
    pub succes: Option<String>,
    pub mediateur: bool,
    pub emplois: Vec<LigneEmploi>,
    pub anciens_emplois: Vec<LigneEmploi>,
    pub aujourdhui: String,
    pub siret: String,
    pub nom: String,
    pub commune: String,
    pub adresse: String,
    pub debut: String,
    pub erreurs_siret: Vec<String>,
    pub erreurs_nom: Vec<String>,
    pub erreurs_commune: Vec<String>,
    pub erreurs_adresse: Vec<String>,
    pub erreurs_debut: Vec<String>,
    pub erreurs_employeur: bool,
    pub erreur_fin: Option<String>,
    pub lieux: Vec<LigneLieu>,
    pub recherche_lieux: String,
    pub propositions: Vec<LigneLieu>,
    pub total_propositions: usize,
    pub erreur_lieux: Option<String>,
    pub structures_gerees: Vec<VueStructure>,
    pub administrateur: bool,
    pub recherche_structures: String,
    pub structures_trouvees: Vec<LigneStructure>,
}

fn message_fait(requete: &Champs) -> Option<String> {
    Some(
        match requete.texte("fait") {
            "employeur" => "Votre employeur est enregistré.",
            "fin_emploi" => "L'emploi est terminé.",
            "lieu_ajoute" => "Le lieu d'activité est ajouté.",
            "lieu_retire" => "Le lieu d'activité est retiré.",
            _ => return None,
        }
        .to_string(),
    )
}

async fn rendre_page(
    etat: &Etat,
    connecte: &Connecte,
    statut: StatusCode,
    requete: &Champs,
    retour: Retour,
) -> Response {
    let store = etat.store();
    let acteur = &connecte.acteur;
    let mediateur = acteur.a_le_role(Role::Mediateur);
    let administrateur = acteur.a_le_role(Role::Administrateur);
    let erreurs_employeur = retour.a_des_erreurs_employeur();
    let aujourdhui = aujourdhui(etat);

    let mut emplois = Vec::new();
    let mut anciens_emplois = Vec::new();
    let mut lieux = Vec::new();
    let mut propositions = Vec::new();
    let mut total_propositions = 0;
    let recherche_lieux: String = requete.texte("lieux").chars().take(100).collect();
    if mediateur {
        let liste = match store.emplois(&acteur.id).await {
            Ok(l) => l,
            Err(e) => return indisponible(&e),
        };
        for e in liste {
            let (nom, commune) = match store.structure(&e.siret).await {
                Ok(Some(s)) => (s.nom, libelle_commune(etat, &s.commune)),
                Ok(None) => (e.siret.clone(), String::new()),
                Err(e) => return indisponible(&e),
            };
            let ligne = LigneEmploi {
                siret_formate: Siret::lire(&e.siret)
                    .map_or_else(|_| e.siret.clone(), |s| s.formate()),
                siret: e.siret,
                nom,
                commune,
                periode: periode(e.debut, e.fin),
            };
            if e.fin.is_none() {
                emplois.push(ligne);
            } else {
                anciens_emplois.push(ligne);
            }
        }
        let actuels = match store.lieux_activite(&acteur.id).await {
            Ok(l) => l,
            Err(e) => return indisponible(&e),
        };
        lieux = actuels
            .iter()
            .map(|l| ligne_lieu(etat, &l.lieu_id))
            .collect();
        if !recherche_lieux.is_empty() {
            let catalogue = etat.catalogue();
            let r = Recherche {
                texte: Some(recherche_lieux.clone()),
                par_page: PROPOSITIONS_MAX,
                ..Recherche::default()
            };
            let resultats = catalogue.rechercher(&r, etat.maintenant());
            total_propositions = resultats.total;
            propositions = resultats
                .lieux
                .iter()
                .filter_map(|t| catalogue.lieux().get(t.index))
                .map(|l| LigneLieu {
                    id: l.id.to_string(),
                    nom: l.nom.to_string(),
                    adresse: format!("{}, {} {}", l.adresse, l.code_postal, l.commune),
                    deja: actuels.iter().any(|a| a.lieu_id == l.id.as_str()),
                })
                .collect();
        }
    }

    let mut structures_gerees = Vec::new();
    for a in acteur.attributions_valides() {
        if let (Role::GestionnaireStructure, PerimetreAttribution::Structure(s)) =
            (a.role, &a.perimetre)
        {
            // A grant on a malformed SIRET shows nothing rather than failing.
            if let Ok(siret) = Siret::lire(s) {
                match vue_structure(etat, &siret).await {
                    Ok(v) => structures_gerees.push(v),
                    Err(e) => return indisponible(&e),
                }
            }
        }
    }

    let recherche_structures: String = requete.texte("q").chars().take(100).collect();
    let mut structures_trouvees = Vec::new();
    if administrateur {
        let liste = match store
            .rechercher_structures(&recherche_structures, STRUCTURES_MAX)
            .await
        {
            Ok(l) => l,
            Err(e) => return indisponible(&e),
        };
        structures_trouvees = liste
            .into_iter()
            .map(|s| LigneStructure {
                siret_formate: Siret::lire(&s.siret)
                    .map_or_else(|_| s.siret.clone(), |x| x.formate()),
                commune: libelle_commune(etat, &s.commune),
                siret: s.siret,
                nom: s.nom,
            })
            .collect();
    }

    let titre = if statut == StatusCode::OK {
        "Structures et lieux d'activité"
    } else {
        "Erreur : structures et lieux d'activité"
    };
    sans_cache(rendre(
        statut,
        &PageStructures {
            mise: mise(titre),
            succes: retour.succes.or_else(|| message_fait(requete)),
            mediateur,
            emplois,
            anciens_emplois,
            aujourdhui: aujourdhui.format("%Y-%m-%d").to_string(),
            siret: retour.siret,
            nom: retour.nom,
            commune: retour.commune,
            adresse: retour.adresse,
            debut: retour.debut,
            erreurs_siret: retour.erreurs_siret,
            erreurs_nom: retour.erreurs_nom,
            erreurs_commune: retour.erreurs_commune,
            erreurs_adresse: retour.erreurs_adresse,
            erreurs_debut: retour.erreurs_debut,
            erreurs_employeur,
            erreur_fin: retour.erreur_fin,
            lieux,
            recherche_lieux,
            propositions,
            total_propositions,
            erreur_lieux: retour.erreur_lieux,
            structures_gerees,
            administrateur,
            recherche_structures,
            structures_trouvees,
        },
    ))
}

/// `GET /espace/structures[?lieux=…][&q=…]`.
async fn page(State(etat): State<Etat>, connecte: Connecte, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = autoriser(&connecte, DemandeStructure::Page) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    rendre_page(
        &etat,
        &connecte,
        StatusCode::OK,
        &requete,
        Retour::default(),
    )
    .await
}

// ---------------------------------------------------------------------------
// One structure

#[derive(Template)]
#[template(path = "espace/structure.html")]
pub struct PageStructure {
    pub mise: Mise,
    pub structure: VueStructure,
    pub succes: Option<String>,
    pub erreur_fin: Option<String>,
}

async fn rendre_structure(
    etat: &Etat,
    siret: &Siret,
    statut: StatusCode,
    succes: Option<String>,
    erreur_fin: Option<String>,
) -> Response {
    let structure = match vue_structure(etat, siret).await {
        Ok(v) => v,
        Err(e) => return indisponible(&e),
    };
    let titre = if erreur_fin.is_some() {
        format!("Erreur : {}", structure.nom)
    } else {
        structure.nom.clone()
    };
    sans_cache(rendre(
        statut,
        &PageStructure {
            mise: mise(&titre),
            structure,
            succes,
            erreur_fin,
        },
    ))
}

/// `GET /espace/structures/{siret}`.
async fn page_structure(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(siret): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Ok(siret) = Siret::lire(&siret) else {
        return crate::pages::introuvable().await;
    };
    if let Err(r) = autoriser(
        &connecte,
        DemandeStructure::ConsulterStructure {
            siret: siret.as_str(),
        },
    ) {
        return r;
    }
    let requete = Champs::lire(q.as_deref().unwrap_or_default());
    rendre_structure(&etat, &siret, StatusCode::OK, message_fait(&requete), None).await
}

// ---------------------------------------------------------------------------
// Changes

/// `POST /espace/structures/employeur`: the mediator declares their
/// employer; an unknown SIRET creates the structure with the name and
/// commune given.
async fn declarer_employeur(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let moi = connecte.acteur.id.clone();
    if let Err(r) = autoriser(
        &connecte,
        DemandeStructure::DeclarerEmploi {
            utilisateur_id: &moi,
        },
    ) {
        return r;
    }
    let mut retour = Retour {
        siret: c.texte("siret").chars().take(40).collect(),
        nom: c.texte("nom").chars().take(NOM_MAX + 1).collect(),
        commune: c.texte("commune").chars().take(40).collect(),
        adresse: c.texte("adresse").chars().take(ADRESSE_MAX + 1).collect(),
        debut: c.texte("debut").chars().take(20).collect(),
        ..Retour::default()
    };
    let aujourdhui = aujourdhui(&etat);
    let siret = Siret::lire(&retour.siret).map_err(|e| retour.erreurs_siret.push(e.to_string()));
    let debut = date_saisie("Date de début", &retour.debut, aujourdhui, aujourdhui)
        .map_err(|e| retour.erreurs_debut.push(e));
    let store = etat.store();
    let connue = match &siret {
        Ok(s) => match store.structure(s.as_str()).await {
            Ok(x) => x.is_some(),
            Err(e) => return indisponible(&e),
        },
        Err(()) => false,
    };
    // Name and commune describe a new structure; a known one keeps its own.
    let mut commune = String::new();
    if !connue {
        if retour.nom.is_empty() {
            retour.erreurs_nom.push(
                "Nom de la structure : indiquez-le, Maillage ne connaît pas encore ce SIRET."
                    .to_string(),
            );
        } else if retour.nom.chars().count() > NOM_MAX {
            retour.erreurs_nom.push(format!(
                "Nom de la structure : {NOM_MAX} caractères au plus."
            ));
        }
        match commune_saisie(&etat, &retour.commune) {
            Ok(code) => commune = code,
            Err(e) => retour.erreurs_commune.push(e),
        }
        if retour.adresse.chars().count() > ADRESSE_MAX {
            retour
                .erreurs_adresse
                .push(format!("Adresse : {ADRESSE_MAX} caractères au plus."));
        }
    }
    let requete = Champs::default();
    let (Ok(siret), Ok(debut), false) = (siret, debut, retour.a_des_erreurs_employeur()) else {
        return rendre_page(&etat, &connecte, StatusCode::BAD_REQUEST, &requete, retour).await;
    };
    if !connue {
        let n = NouvelleStructure {
            siret: siret.as_str().to_string(),
            nom: retour.nom.clone(),
            commune,
            adresse: (!retour.adresse.is_empty()).then(|| retour.adresse.clone()),
            cree_le: etat.maintenant(),
            par: Some(moi.clone()),
        };
        if let Err(e) = store.creer_ou_lire_structure(&n).await {
            return indisponible(&e);
        }
    }
    match store
        .employer(&moi, siret.as_str(), debut, Some(&moi), etat.maintenant())
        .await
    {
        Ok(()) => sans_cache(Redirect::to("/espace/structures?fait=employeur").into_response()),
        Err(StoreError::Conflict { .. }) => {
            retour.erreurs_siret.push(
                "SIRET : vous êtes déjà déclaré comme employé de cette structure (ou un emploi y commence déjà à cette date)."
                    .to_string(),
            );
            rendre_page(&etat, &connecte, StatusCode::BAD_REQUEST, &requete, retour).await
        }
        Err(e) => indisponible(&e),
    }
}

/// `POST /espace/structures/employeur/terminer`: ends an employment
/// (`utilisateur` absent: the signed-in user's own) on `fin` (today when
/// empty).
async fn terminer_emploi(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let c = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // Roles with nothing to do here get their refusal before any parsing.
    if let Err(r) = autoriser(&connecte, DemandeStructure::Page) {
        return r;
    }
    let utilisateur = c
        .optionnel("utilisateur")
        .unwrap_or_else(|| connecte.acteur.id.clone());
    let Ok(siret) = Siret::lire(c.texte("siret")) else {
        return sans_cache(erreur(
            StatusCode::BAD_REQUEST,
            "Demande incomplète",
            "SIRET : la structure de cet emploi n'est pas indiquée ou n'est pas un SIRET valide.",
        ));
    };
    if let Err(r) = autoriser(
        &connecte,
        DemandeStructure::TerminerEmploi {
            utilisateur_id: &utilisateur,
            siret: siret.as_str(),
        },
    ) {
        return r;
    }
    let soi = utilisateur == connecte.acteur.id;
    let aujourdhui = aujourdhui(&etat);
    // Refusals return to the page the form was on.
    let renvoyer = |message: String| {
        let etat = etat.clone();
        let connecte = connecte.clone();
        let siret = siret.clone();
        async move {
            if soi {
                let retour = Retour {
                    erreur_fin: Some(message),
                    ..Retour::default()
                };
                rendre_page(
                    &etat,
                    &connecte,
                    StatusCode::BAD_REQUEST,
                    &Champs::default(),
                    retour,
                )
                .await
            } else {
                rendre_structure(&etat, &siret, StatusCode::BAD_REQUEST, None, Some(message)).await
            }
        }
    };
    let fin = match date_saisie("Date de fin", c.texte("fin"), aujourdhui, aujourdhui) {
        Ok(d) => d,
        Err(e) => return renvoyer(e).await,
    };
    let resultat = etat
        .store()
        .terminer_emploi(
            &utilisateur,
            siret.as_str(),
            fin,
            Some(&connecte.acteur.id),
            etat.maintenant(),
        )
        .await;
    match resultat {
        Ok(()) if soi => {
            sans_cache(Redirect::to("/espace/structures?fait=fin_emploi").into_response())
        }
        Ok(()) => sans_cache(
            Redirect::to(&format!(
                "/espace/structures/{}?fait=fin_emploi",
                siret.as_str()
            ))
            .into_response(),
        ),
        Err(StoreError::NotFound { .. }) => {
            renvoyer(format!(
                "Emploi : aucun emploi en cours dans la structure {} pour ce compte.",
                siret.formate()
            ))
            .await
        }
        Err(StoreError::Invalid { .. }) => {
            renvoyer(
                "Date de fin : elle précède le début de l'emploi ; indiquez une date postérieure."
                    .to_string(),
            )
            .await
        }
        Err(e) => indisponible(&e),
    }
}

/// The place id of an add/remove form, after the permission check.
#[allow(clippy::result_large_err)]
fn lieu_du_formulaire(
    connecte: &Connecte,
    entetes: &HeaderMap,
    corps: &str,
) -> Result<String, Response> {
    let c = formulaire(entetes, corps)?;
    autoriser(
        connecte,
        DemandeStructure::ModifierLieux {
            utilisateur_id: &connecte.acteur.id,
        },
    )?;
    Ok(c.texte("lieu").chars().take(300).collect())
}

async fn erreur_lieux(etat: &Etat, connecte: &Connecte, message: String) -> Response {
    let retour = Retour {
        erreur_lieux: Some(message),
        ..Retour::default()
    };
    rendre_page(
        etat,
        connecte,
        StatusCode::BAD_REQUEST,
        &Champs::default(),
        retour,
    )
    .await
}

/// `POST /espace/structures/lieux/ajouter`: from today, a place of the
/// published registry.
async fn ajouter_lieu(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let lieu = match lieu_du_formulaire(&connecte, &entetes, &corps) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Some(nom) = etat.catalogue().lieu(&lieu).map(|l| l.nom.to_string()) else {
        return erreur_lieux(
            &etat,
            &connecte,
            "Lieu d'activité : ce lieu n'existe pas dans le registre publié ; cherchez-le ci-dessous et choisissez-le dans les résultats.".to_string(),
        )
        .await;
    };
    let moi = &connecte.acteur.id;
    match etat
        .store()
        .ajouter_lieu_activite(moi, &lieu, aujourdhui(&etat), Some(moi), etat.maintenant())
        .await
    {
        Ok(()) => sans_cache(Redirect::to("/espace/structures?fait=lieu_ajoute").into_response()),
        Err(StoreError::Conflict { .. }) => {
            erreur_lieux(
                &etat,
                &connecte,
                format!("Lieu d'activité : « {nom} » fait déjà partie de vos lieux d'activité."),
            )
            .await
        }
        Err(e) => indisponible(&e),
    }
}

/// `POST /espace/structures/lieux/retirer`: from today.
async fn retirer_lieu(
    State(etat): State<Etat>,
    connecte: Connecte,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let lieu = match lieu_du_formulaire(&connecte, &entetes, &corps) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let moi = &connecte.acteur.id;
    match etat
        .store()
        .terminer_lieu_activite(moi, &lieu, aujourdhui(&etat), Some(moi), etat.maintenant())
        .await
    {
        Ok(()) => sans_cache(Redirect::to("/espace/structures?fait=lieu_retire").into_response()),
        Err(StoreError::NotFound { .. } | StoreError::Invalid { .. }) => {
            erreur_lieux(
                &etat,
                &connecte,
                "Lieu d'activité : ce lieu ne fait pas partie de vos lieux d'activité actuels."
                    .to_string(),
            )
            .await
        }
        Err(e) => indisponible(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(a, m, j).expect("date")
    }

    #[test]
    fn dates_saisies() {
        let auj = d(2025, 3, 11);
        assert_eq!(date_saisie("Date", "", auj, auj), Ok(auj));
        assert_eq!(
            date_saisie("Date", "2025-01-06", auj, auj),
            Ok(d(2025, 1, 6))
        );
        assert_eq!(
            date_saisie("Date", "06/01/2025", auj, auj),
            Ok(d(2025, 1, 6))
        );
        let futur = date_saisie("Date de début", "2025-03-12", auj, auj).expect_err("future");
        assert!(futur.starts_with("Date de début : "), "{futur}");
        let faux = date_saisie("Date de fin", "demain", auj, auj).expect_err("text");
        assert!(faux.starts_with("Date de fin : "), "{faux}");
    }

    #[test]
    fn periodes_lisibles() {
        assert_eq!(periode(d(2025, 1, 6), None), "depuis le 06/01/2025");
        // `fin` is the first day no longer employed.
        assert_eq!(
            periode(d(2025, 1, 6), Some(d(2025, 3, 1))),
            "du 06/01/2025 au 28/02/2025"
        );
    }
}
