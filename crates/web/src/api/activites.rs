//! `GET /api/v1/activites`: the anonymised activity records of the token
//! owner's readable scope, paged by a cursor on (creation, id) as La Coop's
//! API does, so a client walking the pages sees each record once even while
//! records are added.

use super::jetons::{interdit, ClientApi, LimiteApi};
use super::{erreur_parametre, ErreurApi};
use crate::espace::export_activites::{perimetre_lecture, FiltreListe};
use crate::etat::Etat;
use crate::parametres::ErreurParametre;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::{Beneficiaire, ParticipantsAnonymes};
use maillage_comptes::{Action, Cible, PorteeApi};
use maillage_store::{ActiviteEnregistree, Curseur, OrdreParcours};
use serde::Serialize;
use utoipa::ToSchema;

/// Records per page when `par_page` is not given.
pub const PAR_PAGE_DEFAUT: u32 = 100;
/// Largest page.
pub const PAR_PAGE_MAX: u32 = 500;

/// Demographics of an anonymous beneficiary (La Coop's codes).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DemographieApi {
    /// `Masculin`, `Feminin`, `NonCommunique`.
    pub genre: Option<String>,
    /// `MoinsDeDouze` … `SoixanteDixPlus`, `NonCommunique`.
    pub tranche_age: Option<String>,
    /// `Retraite`, `SansEmploi`, `EnEmploi`, `Scolarise`, `NonCommunique`.
    pub statut_social: Option<String>,
}

/// An anonymised activity record: La Coop's field names, no notes, no
/// beneficiary identity, no précisions on the démarche.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiviteApi {
    /// Identifiant du compte rendu (32 caractères hexadécimaux).
    pub id: String,
    /// `individuel` ou `collectif`.
    #[serde(rename = "type")]
    pub type_activite: String,
    /// Identifiant du médiateur qui l'a enregistré.
    pub mediateur_id: String,
    /// Structure employeuse du médiateur.
    pub structure_employeuse_id: Option<String>,
    /// AAAA-MM-JJ.
    pub date: NaiveDate,
    /// Durée en minutes.
    pub duree: u16,
    /// `LieuActivite`, `Autre`, `Domicile`, `ADistance`.
    pub type_lieu: String,
    /// Lieu d'activité (identifiant du registre) quand `typeLieu` vaut `LieuActivite`.
    pub structure_id: Option<String>,
    /// Code INSEE de la commune, pour `Domicile` et `Autre`.
    pub lieu_code_insee: Option<String>,
    /// Département du lieu.
    pub departement: Option<String>,
    /// Codes `Materiel`.
    pub materiel: Vec<String>,
    /// Codes `Thematique` (médiation numérique et démarches administratives).
    pub thematiques: Vec<String>,
    /// 1 pour un accompagnement individuel, le nombre de participants d'un atelier.
    pub accompagnements_count: u32,
    /// Individuel : `EntierementAccompagne`, `PartiellementAutonome`, `Autonome`.
    pub autonomie: Option<String>,
    /// Individuel : le bénéficiaire a été orienté vers une autre structure.
    pub oriente_vers_structure: Option<bool>,
    /// Individuel : code `StructureDeRedirection`.
    pub structure_de_redirection: Option<String>,
    /// Individuel : le bénéficiaire est suivi (son identité n'est jamais donnée).
    pub beneficiaire_suivi: Option<bool>,
    /// Individuel, bénéficiaire anonyme : ses caractéristiques.
    pub beneficiaire_anonyme: Option<DemographieApi>,
    /// Collectif : titre de l'atelier.
    pub titre_atelier: Option<String>,
    /// Collectif : `Debutant`, `Intermediaire`, `Avance`.
    pub niveau: Option<String>,
    /// Collectif : nombre de participants suivis (sans leur identité).
    pub participants_suivis_count: Option<u32>,
    /// Collectif : comptes des participants anonymes (noms de champs de La Coop).
    #[schema(value_type = Option<Object>)]
    pub participants_anonymes: Option<ParticipantsAnonymes<i64>>,
    /// Date d'enregistrement (RFC 3339).
    pub creation: DateTime<Utc>,
    /// Date de dernière modification (RFC 3339).
    pub modification: DateTime<Utc>,
}

impl ActiviteApi {
    pub fn depuis(a: &ActiviteEnregistree) -> ActiviteApi {
        let s = &a.saisie;
        let individuel = a.type_activite == maillage_activites::TypeActivite::Individuel;
        let collectif = !individuel;
        let codes = |v: &mut dyn Iterator<Item = &'static str>| -> Vec<String> {
            v.map(str::to_string).collect()
        };
        let (beneficiaire_suivi, beneficiaire_anonyme) = match (&s.beneficiaire, individuel) {
            (Some(Beneficiaire::Suivi { .. }), true) => (Some(true), None),
            (Some(Beneficiaire::Anonyme(d)), true) => (
                Some(false),
                Some(DemographieApi {
                    genre: d.genre.map(|v| v.code().to_string()),
                    tranche_age: d.tranche_age.map(|v| v.code().to_string()),
                    statut_social: d.statut_social.map(|v| v.code().to_string()),
                }),
            ),
            (None, true) => (Some(false), None),
            (_, false) => (None, None),
        };
        ActiviteApi {
            id: a.id.clone(),
            type_activite: a.type_activite.code().to_string(),
            mediateur_id: a.mediateur_id.clone(),
            structure_employeuse_id: a.structure_id.clone(),
            date: a.date,
            duree: a.duree_minutes,
            type_lieu: a.type_lieu.code().to_string(),
            structure_id: a.lieu_id.clone(),
            lieu_code_insee: a.code_insee.clone(),
            departement: a.departement.clone(),
            materiel: codes(&mut s.materiel.iter().map(|m| m.code())),
            thematiques: codes(&mut s.thematiques.iter().map(|t| t.code())),
            accompagnements_count: a.accompagnements,
            autonomie: s
                .autonomie
                .filter(|_| individuel)
                .map(|v| v.code().to_string()),
            oriente_vers_structure: s.oriente_vers_structure.filter(|_| individuel),
            structure_de_redirection: s
                .structure_de_redirection
                .filter(|_| individuel)
                .map(|v| v.code().to_string()),
            beneficiaire_suivi,
            beneficiaire_anonyme,
            titre_atelier: s.titre_atelier.clone().filter(|_| collectif),
            niveau: s.niveau.filter(|_| collectif).map(|v| v.code().to_string()),
            participants_suivis_count: collectif
                .then(|| u32::try_from(s.participants.len()).unwrap_or(u32::MAX)),
            participants_anonymes: s.participants_anonymes.filter(|_| collectif),
            creation: a.cree_le,
            modification: a.modifie_le,
        }
    }
}

/// `{"activites": [...], "curseurSuivant": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReponseActivites {
    pub activites: Vec<ActiviteApi>,
    /// À passer en `curseur` pour la page suivante ; `null` à la dernière page.
    pub curseur_suivant: Option<String>,
}

fn parametre(nom: &str, valeur: &str, message: String) -> Response {
    erreur_parametre(ErreurParametre {
        parametre: nom.to_string(),
        valeur: valeur.to_string(),
        message,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/activites",
    tag = "activites",
    summary = "Lire les activités anonymisées",
    description = "Les comptes rendus d'activité que le propriétaire du jeton peut lire (un médiateur : les siens ; un coordinateur : ceux de son équipe pendant la période de chaque lien ; un gestionnaire de structure : ceux de sa structure), anonymisés : ni notes, ni identité des bénéficiaires, ni précisions sur la démarche. Noms de champs de La Coop de la médiation numérique. Du plus ancien enregistrement au plus récent, par pages : passez `curseurSuivant` en `curseur` pour la page suivante (un enregistrement ajouté entre deux pages apparaît à la fin, aucun n'est répété). Jeton de portée `activites:lecture` requis.",
    params(
        ("du" = Option<String>, Query, description = "Activités de cette date ou après, AAAA-MM-JJ."),
        ("au" = Option<String>, Query, description = "Activités de cette date ou avant, AAAA-MM-JJ."),
        ("type" = Option<String>, Query, description = "`individuel` ou `collectif`."),
        ("curseur" = Option<String>, Query, description = "Le `curseurSuivant` de la page précédente."),
        ("par_page" = Option<u32>, Query, description = "Activités par page, de 1 à 500 (100 par défaut)."),
    ),
    responses(
        (status = 200, description = "Une page d'activités", body = ReponseActivites),
        (status = 400, description = "Paramètre invalide (le message nomme le paramètre et la valeur)", body = ErreurApi),
        (status = 401, description = "Jeton manquant, mal formé, inconnu, expiré ou révoqué (en-tête `WWW-Authenticate: Bearer`)", body = ErreurApi),
        (status = 403, description = "Le jeton n'a pas la portée `activites:lecture`, ou le rôle de son propriétaire ne donne pas accès aux activités individuelles", body = ErreurApi),
        (status = 429, description = "Trop de requêtes", body = ErreurApi),
    ),
    security(("jeton" = ["activites:lecture"])),
)]
pub async fn activites(
    _limite: LimiteApi,
    State(etat): State<Etat>,
    client: ClientApi,
    RawQuery(requete): RawQuery,
) -> Response {
    if let Err(r) = client.exiger(PorteeApi::ActivitesLecture) {
        return r;
    }
    let champs = crate::espace::Champs::lire(requete.as_deref().unwrap_or(""));
    let filtre = match FiltreListe::lire(&champs) {
        Ok(f) => f,
        Err(e) => return erreur_parametre(e),
    };
    let par_page = match champs.texte("par_page") {
        "" => PAR_PAGE_DEFAUT,
        t => match t.parse::<u32>() {
            Ok(n) if (1..=PAR_PAGE_MAX).contains(&n) => n,
            _ => {
                return parametre(
                    "par_page",
                    t,
                    format!("par_page : un nombre entier de 1 à {PAR_PAGE_MAX} est attendu"),
                )
            }
        },
    };
    let curseur = match champs.texte("curseur") {
        "" => None,
        t => match Curseur::decoder(t) {
            Some(c) => Some(c),
            None => return parametre(
                "curseur",
                t,
                "curseur : valeur inconnue ; reprenez le curseurSuivant d'une réponse, tel quel"
                    .to_string(),
            ),
        },
    };
    let (perimetre, mut parcours) = match perimetre_lecture(&client.acteur) {
        Ok(p) => p,
        Err(refus) => return interdit(refus.to_string()),
    };
    let cible = Cible::ListeActivites {
        perimetre,
        periode: filtre.periode(),
    };
    if let Err(r) = client.autoriser(&etat, Action::Consulter, &cible) {
        return r;
    }
    filtre.appliquer(&mut parcours);
    // One more than a page tells whether another page follows.
    let mut lot = match etat
        .store()
        .activites_apres(
            &parcours,
            OrdreParcours::Creation,
            curseur.as_ref(),
            par_page + 1,
        )
        .await
    {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("API activités : {e}");
            return super::erreur(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "La base de données ne répond pas : réessayez dans quelques minutes.",
            );
        }
    };
    let suite = lot.len() > par_page as usize;
    lot.truncate(par_page as usize);
    let curseur_suivant = if suite {
        lot.last().map(|a| Curseur::apres(a).encoder())
    } else {
        None
    };
    let mut r = Json(ReponseActivites {
        activites: lot.iter().map(ActiviteApi::depuis).collect(),
        curseur_suivant,
    })
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
