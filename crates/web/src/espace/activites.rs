//! The activity records of the mediators' workspace (comptes-rendus
//! d'activité, issue 4 item 3): list, form (individual and collective),
//! detail, edit, duplicate, soft delete.
//!
//! ```text
//! GET  /espace/activites                       own records, filters du/au/type, pages
//! GET  /espace/activites/nouvelle?type=…       blank form ([&beneficiaire=<id>])
//! POST /espace/activites                       create → 303 /espace/activites?enregistree=<id>
//! GET  /espace/activites/{id}                  detail
//! GET  /espace/activites/{id}/modifier  POST   edit
//! GET  /espace/activites/{id}/dupliquer        creation form pre-filled, date = today
//! GET  /espace/activites/{id}/supprimer POST   confirmation, soft delete (journaled)
//! ```
//!
//! The form is built for the keyboard: native radios (arrows move within a
//! group), checkboxes, the usual fields first and the optional ones after,
//! so that Enter on the last thématique ticked sends it. The web layer reads
//! the fields (dates, codes, numbers, the commune, the place) into an
//! [`ActiviteSaisie`] and [`valider`] applies the model's rules; both kinds
//! of errors are shown together, each next to its field.

use crate::espace::{formulaire, indisponible, mise, sans_cache, Champs, Connecte};
use crate::etat::Etat;
use crate::pages::{erreur, rendre, segment, Choix, Pagination};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use maillage_activites::{
    dupliquer as dupliquer_activite, libelle_champ, valider, Activite, ActiviteSaisie, Autonomie,
    Beneficiaire, Demographie, DureePreset, DureeSaisie, Genre, Materiel, NiveauAtelier,
    ParticipantsAnonymes, StatutSocial, StructureDeRedirection, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use maillage_comptes::{Action, Cible, FicheActivite, Perimetre, Periode};
use maillage_store::{ActiviteEnregistree, FiltreActivites, NouvelleActivite, PAR_PAGE_MAX};
use maillage_territoires::Commune;
use std::collections::HashMap;
use std::str::FromStr;

/// Records per page of the list.
const PAR_PAGE: u32 = 20;
/// Longest free text accepted (notes, titles, précisions), in characters.
const TEXTE_MAX: usize = 5_000;

/// The routes of this area.
pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/activites", get(liste).post(creer))
        .route("/espace/activites/nouvelle", get(nouvelle))
        .route("/espace/activites/{id}", get(detail))
        .route(
            "/espace/activites/{id}/modifier",
            get(formulaire_modification).post(modifier),
        )
        .route("/espace/activites/{id}/dupliquer", get(dupliquer))
        .route(
            "/espace/activites/{id}/supprimer",
            get(confirmation_suppression).post(supprimer),
        )
}

/// The mediator's date today (records are dated in French local time).
fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `45 min`, `1 h`, `1 h 30`.
fn libelle_duree(minutes: u16) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

// ---------------------------------------------------------------------------
// Places

/// A registry place the mediator can pick in the form.
#[derive(Debug, Clone)]
pub struct LieuConnu {
    pub id: String,
    /// Name and commune from the catalogue, else the id (a place that left
    /// the registry stays usable for the records made there).
    pub libelle: String,
}

/// The places offered in the "lieu d'activité" select: those of the
/// mediator's latest records, most recent first. The one place to change
/// when mediators declare their workplaces.
pub async fn lieux_du_mediateur(
    etat: &Etat,
    mediateur_id: &str,
) -> Result<Vec<LieuConnu>, maillage_store::StoreError> {
    // The places the mediator declared first (espace/structures), then
    // those of their latest records: the usual places show up there.
    let catalogue = etat.catalogue();
    let mut lieux: Vec<LieuConnu> = crate::espace::structures::lieux_d_activite(etat, mediateur_id)
        .await?
        .into_iter()
        .map(|(id, _)| LieuConnu {
            libelle: libelle_lieu_registre(&catalogue, &id),
            id,
        })
        .collect();
    for id in etat.store().lieux_recents(mediateur_id, 50).await? {
        if lieux.iter().any(|l| l.id == id) {
            continue;
        }
        lieux.push(LieuConnu {
            libelle: libelle_lieu_registre(&catalogue, &id),
            id,
        });
    }
    Ok(lieux)
}

/// The followed beneficiaries a form names, checked, with their
/// demographics in order (`NouvelleActivite::demographies_suivies`, so
/// they count in the statistics by genre, age and status).
struct Suivis {
    ids: Vec<String>,
    demographies: Vec<maillage_activites::Demographie>,
    erreurs: Vec<Erreur>,
}

/// Each followed beneficiary must be one of the mediator's own active
/// beneficiaries: a record cannot name someone else's (their identity is
/// `Cible::Beneficiaire`, the owner's). When editing, those already on the
/// record stay allowed even if anonymised since (deletion keeps the
/// records). Unknown and foreign ids get the same message, so the form
/// tells nothing about other mediators' beneficiaries.
async fn beneficiaires_suivis(
    etat: &Etat,
    mediateur_id: &str,
    type_activite: TypeActivite,
    f: &Saisie,
    deja: &[String],
) -> Result<Suivis, maillage_store::StoreError> {
    let (champ, ids): (&'static str, Vec<String>) = match type_activite {
        TypeActivite::Individuel => (
            "beneficiaire",
            Some(f.beneficiaire.trim().to_string())
                .filter(|id| !id.is_empty())
                .into_iter()
                .collect(),
        ),
        TypeActivite::Collectif => (
            "participants",
            f.participants
                .iter()
                .map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty())
                .collect(),
        ),
    };
    let mut suivis = Suivis {
        ids: Vec::new(),
        demographies: Vec::new(),
        erreurs: Vec::new(),
    };
    for id in ids {
        let fiche = etat.store().beneficiaire(&id).await?;
        let permise = fiche
            .filter(|b| b.mediateur_id == mediateur_id && (b.est_active() || deja.contains(&b.id)));
        match permise {
            Some(b) => {
                suivis.demographies.push(maillage_activites::Demographie {
                    genre: b.beneficiaire.genre,
                    tranche_age: b.beneficiaire.tranche_age,
                    statut_social: b.beneficiaire.statut_social,
                });
                suivis.ids.push(id);
            }
            None => suivis.erreurs.push(Erreur::new(
                champ,
                format!(
                    "« {} » n'est pas l'un de vos bénéficiaires suivis ; choisissez-le dans la liste de vos bénéficiaires",
                    id.chars().take(40).collect::<String>()
                ),
            )),
        }
    }
    Ok(suivis)
}

/// The followed beneficiaries' last activity after a record is saved, so
/// the retention rule counts from it. The record is saved already: a
/// failure here is logged, the next record dates them again.
async fn dater_suivis(etat: &Etat, ids: &[String], date: chrono::NaiveDate) {
    if let Err(e) = etat.store().marquer_activite(ids, date).await {
        tracing::error!("date de dernière activité des bénéficiaires : {e}");
    }
}

/// The ids of followed beneficiaries a saved record names.
fn ids_suivis(s: &ActiviteSaisie) -> Vec<String> {
    let mut ids = s.participants.clone();
    if let Some(Beneficiaire::Suivi { id }) = &s.beneficiaire {
        ids.push(id.clone());
    }
    ids
}

/// "Nom (Commune)" of a registry place, or its id when unknown.
fn libelle_lieu_registre(catalogue: &maillage_orientation::Catalogue, id: &str) -> String {
    match catalogue.lieu(id) {
        Some(l) if l.commune.is_empty() => l.nom.to_string(),
        Some(l) => format!("{} ({})", l.nom, l.commune),
        None => format!("Lieu {id}"),
    }
}

/// A place id as typed: the id itself or the address of its page
/// (`https://…/lieux/<id>`), percent-decoded.
fn identifiant_lieu_saisi(texte: &str) -> String {
    let t = texte.trim();
    match t.rsplit_once("/lieux/") {
        Some((_, reste)) => {
            let reste = reste.split(['?', '#']).next().unwrap_or_default();
            percent_decode(reste.trim_end_matches('/'))
        }
        None => t.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    // `form_urlencoded` decodes `%XX`; `+` is literal in a path, keep it.
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Communes

/// How a typed commune reads.
#[derive(Debug)]
enum CommuneLue {
    Trouvee(&'static Commune),
    Erreur(String),
}

/// A 5-character code: INSEE (`16015`, `2A004`) or postcode shape.
fn est_code(t: &str) -> bool {
    t.len() == 5 && t.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `Nom (16000)`, `Nom 16000`, `16000 Nom` → (name, code).
fn nom_et_code(t: &str) -> Option<(String, String)> {
    let t = t.trim();
    if let Some(sans) = t.strip_suffix(')') {
        if let Some((nom, code)) = sans.rsplit_once('(') {
            let code = code.trim();
            if est_code(code) && !nom.trim().is_empty() {
                return Some((nom.trim().to_string(), code.to_uppercase()));
            }
        }
    }
    if let Some((nom, code)) = t.rsplit_once(' ') {
        if est_code(code.trim()) && !nom.trim().is_empty() {
            return Some((nom.trim().to_string(), code.trim().to_uppercase()));
        }
    }
    if let Some((code, nom)) = t.split_once(' ') {
        if est_code(code.trim()) && !nom.trim().is_empty() {
            return Some((nom.trim().to_string(), code.trim().to_uppercase()));
        }
    }
    None
}

fn liste_communes(communes: &[&Commune]) -> String {
    communes
        .iter()
        .take(8)
        .map(|c| format!("{} ({})", c.nom, c.code_insee))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the commune field: an INSEE code, a postcode with a single
/// commune, a name (with a postcode or INSEE code when several communes
/// share it). Ambiguous or unknown input gets a message saying what to type.
fn lire_commune(
    referentiel: &'static maillage_territoires::Referentiel,
    texte: &str,
) -> CommuneLue {
    let t = texte.trim();
    let exemple = "par exemple « 16015 », « 16000 » ou « Angoulême 16000 »";
    if est_code(t) {
        let code = t.to_uppercase();
        let par_insee = referentiel.commune(&code);
        let par_cp = referentiel.communes_du_code_postal(&code);
        return match (par_insee, par_cp.as_slice()) {
            (Some(c), []) => CommuneLue::Trouvee(c),
            (None, [c]) => CommuneLue::Trouvee(c),
            (Some(c), [d]) if c.code_insee == d.code_insee => CommuneLue::Trouvee(c),
            (None, []) => CommuneLue::Erreur(format!(
                "« {t} » n'est ni un code INSEE ni un code postal connu ({exemple})"
            )),
            (None, plusieurs) => CommuneLue::Erreur(format!(
                "le code postal {t} est celui de plusieurs communes : {} ; ajoutez le nom de la commune (par exemple « {} {t} ») ou saisissez son code INSEE",
                liste_communes(plusieurs),
                plusieurs[0].nom
            )),
            (Some(c), autres) => {
                let mut toutes = vec![c];
                toutes.extend(autres.iter().copied());
                CommuneLue::Erreur(format!(
                    "« {t} » est à la fois le code INSEE de {} et un code postal ({}) ; ajoutez le nom de la commune, par exemple « {} ({}) »",
                    c.nom,
                    liste_communes(autres),
                    c.nom,
                    c.code_insee
                ))
            }
        };
    }
    if let Some((nom, code)) = nom_et_code(t) {
        // "Nom (INSEE)", as the form pre-fills it, is exact.
        if let Some(c) = referentiel.commune(&code) {
            if c.nom.to_lowercase() == nom.to_lowercase() {
                return CommuneLue::Trouvee(c);
            }
        }
        return match referentiel.chercher_commune(&nom, Some(&code), None) {
            Some(c) => CommuneLue::Trouvee(c),
            None => CommuneLue::Erreur(format!(
                "aucune commune « {nom} » n'a le code postal ou le code INSEE {code} ({exemple})"
            )),
        };
    }
    match referentiel.chercher_commune(t, None, None) {
        Some(c) => CommuneLue::Trouvee(c),
        None => CommuneLue::Erreur(format!(
            "« {t} » ne désigne pas une seule commune connue : précisez le code postal ({exemple})"
        )),
    }
}

/// `Angoulême (16015)`: how the form shows a stored commune (read back
/// exactly by [`lire_commune`]).
fn commune_affichee(etat: &Etat, code_insee: &str) -> String {
    match etat.referentiel().commune(code_insee) {
        Some(c) => format!("{} ({})", c.nom, c.code_insee),
        None => code_insee.to_string(),
    }
}

// ---------------------------------------------------------------------------
// The form's typed values

/// Field names of the anonymous participant counts, with how to reach
/// each count.
fn champs_participants() -> Vec<(String, String)> {
    let mut v = vec![
        (
            "pa_total".to_string(),
            "Nombre total de participants anonymes".to_string(),
        ),
        (
            "pa_dejaAccompagne".to_string(),
            "Dont déjà accompagnés".to_string(),
        ),
    ];
    v.extend(Genre::iter().map(|g| (format!("pa_genre_{}", g.code()), g.libelle().to_string())));
    v.extend(TrancheAge::iter().map(|t| {
        (
            format!("pa_trancheAge_{}", t.code()),
            t.libelle().to_string(),
        )
    }));
    v.extend(StatutSocial::iter().map(|s| {
        (
            format!("pa_statutSocial_{}", s.code()),
            s.libelle().to_string(),
        )
    }));
    v
}

/// The count of `pa` a field name designates.
fn compte_participants<'a>(
    pa: &'a mut ParticipantsAnonymes<i64>,
    nom: &str,
) -> Option<&'a mut i64> {
    Some(match nom {
        "pa_total" => &mut pa.total,
        "pa_dejaAccompagne" => &mut pa.deja_accompagne,
        "pa_genre_Masculin" => &mut pa.genre_masculin,
        "pa_genre_Feminin" => &mut pa.genre_feminin,
        "pa_genre_NonCommunique" => &mut pa.genre_non_communique,
        "pa_trancheAge_MoinsDeDouze" => &mut pa.tranche_age_moins_de_douze,
        "pa_trancheAge_DouzeDixHuit" => &mut pa.tranche_age_douze_dix_huit,
        "pa_trancheAge_DixHuitVingtQuatre" => &mut pa.tranche_age_dix_huit_vingt_quatre,
        "pa_trancheAge_VingtCinqTrenteNeuf" => &mut pa.tranche_age_vingt_cinq_trente_neuf,
        "pa_trancheAge_QuaranteCinquanteNeuf" => &mut pa.tranche_age_quarante_cinquante_neuf,
        "pa_trancheAge_SoixanteSoixanteNeuf" => &mut pa.tranche_age_soixante_soixante_neuf,
        "pa_trancheAge_SoixanteDixPlus" => &mut pa.tranche_age_soixante_dix_plus,
        "pa_trancheAge_NonCommunique" => &mut pa.tranche_age_non_communique,
        "pa_statutSocial_Retraite" => &mut pa.statut_social_retraite,
        "pa_statutSocial_SansEmploi" => &mut pa.statut_social_sans_emploi,
        "pa_statutSocial_EnEmploi" => &mut pa.statut_social_en_emploi,
        "pa_statutSocial_Scolarise" => &mut pa.statut_social_scolarise,
        "pa_statutSocial_NonCommunique" => &mut pa.statut_social_non_communique,
        _ => return None,
    })
}

/// The domain field a count belongs to, for its errors.
fn champ_du_compte(nom: &str) -> &'static str {
    if nom.starts_with("pa_genre_") {
        "participantsAnonymes.genre"
    } else if nom.starts_with("pa_trancheAge_") {
        "participantsAnonymes.trancheAge"
    } else if nom.starts_with("pa_statutSocial_") {
        "participantsAnonymes.statutSocial"
    } else if nom == "pa_dejaAccompagne" {
        "participantsAnonymes.dejaAccompagne"
    } else {
        "participantsAnonymes"
    }
}

/// Every value of the form as typed (strings), so a refused form comes back
/// exactly as it was sent.
#[derive(Debug, Clone, Default)]
pub struct Saisie {
    pub date: String,
    pub duree: String,
    pub duree_heures: String,
    pub duree_minutes: String,
    pub type_lieu: String,
    /// The select of known places.
    pub lieu_connu: String,
    /// A registry place id (or its page's address).
    pub lieu_id: String,
    pub commune: String,
    pub materiel: Vec<String>,
    pub thematiques: Vec<String>,
    pub notes: String,
    pub beneficiaire: String,
    pub genre: String,
    pub tranche_age: String,
    pub statut_social: String,
    pub autonomie: String,
    pub oriente: String,
    pub structure_de_redirection: String,
    pub precisions_demarche: String,
    pub titre_atelier: String,
    pub niveau: String,
    pub participants: Vec<String>,
    pub comptes: HashMap<String, String>,
}

impl Saisie {
    fn depuis_champs(c: &Champs) -> Saisie {
        let tous = |n: &str| c.tous(n).into_iter().map(str::to_string).collect();
        let mut comptes = HashMap::new();
        for (nom, _) in champs_participants() {
            comptes.insert(nom.clone(), c.texte(&nom).to_string());
        }
        Saisie {
            date: c.texte("date").to_string(),
            duree: c.texte("duree").to_string(),
            duree_heures: c.texte("duree_heures").to_string(),
            duree_minutes: c.texte("duree_minutes").to_string(),
            type_lieu: c.texte("typeLieu").to_string(),
            lieu_connu: c.texte("structureId").to_string(),
            lieu_id: c.texte("lieu_id").to_string(),
            commune: c.texte("commune").to_string(),
            materiel: tous("materiel"),
            thematiques: tous("thematiques"),
            notes: c.texte("notes").to_string(),
            beneficiaire: c.texte("beneficiaire").to_string(),
            genre: c.texte("genre").to_string(),
            tranche_age: c.texte("trancheAge").to_string(),
            statut_social: c.texte("statutSocial").to_string(),
            autonomie: c.texte("autonomie").to_string(),
            oriente: c.texte("orienteVersStructure").to_string(),
            structure_de_redirection: c.texte("structureDeRedirection").to_string(),
            precisions_demarche: c.texte("precisionsDemarche").to_string(),
            titre_atelier: c.texte("titreAtelier").to_string(),
            niveau: c.texte("niveau").to_string(),
            participants: tous("participants"),
            comptes,
        }
    }

    /// The form showing a draft (edit, duplicate).
    fn depuis_activite(etat: &Etat, s: &ActiviteSaisie, lieux: &[LieuConnu]) -> Saisie {
        let mut f = Saisie {
            date: s.date.map(|d| d.to_string()).unwrap_or_default(),
            type_lieu: s
                .type_lieu
                .map(|t| t.code().to_string())
                .unwrap_or_default(),
            commune: s
                .lieu_code_insee
                .as_deref()
                .map(|c| commune_affichee(etat, c))
                .unwrap_or_default(),
            materiel: s.materiel.iter().map(|m| m.code().to_string()).collect(),
            thematiques: s.thematiques.iter().map(|t| t.code().to_string()).collect(),
            notes: s.notes.clone().unwrap_or_default(),
            autonomie: s
                .autonomie
                .map(|a| a.code().to_string())
                .unwrap_or_default(),
            oriente: match s.oriente_vers_structure {
                Some(true) => "oui".to_string(),
                Some(false) => "non".to_string(),
                None => String::new(),
            },
            structure_de_redirection: s
                .structure_de_redirection
                .map(|x| x.code().to_string())
                .unwrap_or_default(),
            precisions_demarche: s.precisions_demarche.clone().unwrap_or_default(),
            titre_atelier: s.titre_atelier.clone().unwrap_or_default(),
            niveau: s.niveau.map(|n| n.code().to_string()).unwrap_or_default(),
            participants: s.participants.clone(),
            ..Saisie::default()
        };
        match s.duree {
            Some(DureeSaisie::Preset(p)) => f.duree = p.code().to_string(),
            Some(DureeSaisie::Personnalisee { heures, minutes }) => {
                f.duree = "personnaliser".to_string();
                f.duree_heures = heures.to_string();
                f.duree_minutes = minutes.to_string();
            }
            Some(DureeSaisie::Minutes(m)) => {
                match u16::try_from(m).ok().and_then(DureePreset::depuis_minutes) {
                    Some(p) => f.duree = p.code().to_string(),
                    None => {
                        f.duree = "personnaliser".to_string();
                        f.duree_heures = (m / 60).to_string();
                        f.duree_minutes = (m % 60).to_string();
                    }
                }
            }
            None => {}
        }
        if let Some(id) = &s.structure_id {
            if lieux.iter().any(|l| &l.id == id) {
                f.lieu_connu = id.clone();
            } else {
                f.lieu_id = id.clone();
            }
        }
        match &s.beneficiaire {
            Some(Beneficiaire::Suivi { id }) => f.beneficiaire = id.clone(),
            Some(Beneficiaire::Anonyme(d)) => {
                f.genre = d.genre.map(|g| g.code().to_string()).unwrap_or_default();
                f.tranche_age = d
                    .tranche_age
                    .map(|t| t.code().to_string())
                    .unwrap_or_default();
                f.statut_social = d
                    .statut_social
                    .map(|x| x.code().to_string())
                    .unwrap_or_default();
            }
            None => {}
        }
        if let Some(pa) = &s.participants_anonymes {
            let mut pa = *pa;
            for (nom, _) in champs_participants() {
                if let Some(n) = compte_participants(&mut pa, &nom) {
                    if *n != 0 {
                        f.comptes.insert(nom.clone(), n.to_string());
                    }
                }
            }
        }
        f
    }
}

/// One refused field: the domain's field name and a French sentence.
#[derive(Debug, Clone)]
pub struct Erreur {
    pub champ: &'static str,
    pub message: String,
}

impl Erreur {
    fn new(champ: &'static str, raison: impl std::fmt::Display) -> Erreur {
        Erreur {
            champ,
            message: format!("{} : {raison}.", libelle_champ(champ)),
        }
    }
}

/// What the form reads to.
struct Lecture {
    saisie: ActiviteSaisie,
    /// The activity's département (commune or registry place).
    departement: Option<String>,
    /// Errors of reading (dates, codes, numbers, commune, place).
    erreurs: Vec<Erreur>,
}

fn lire_date(t: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .ok()
}

fn lire_code<T: FromStr>(t: &str, champ: &'static str, erreurs: &mut Vec<Erreur>) -> Option<T> {
    if t.is_empty() {
        return None;
    }
    match t.parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            erreurs.push(Erreur::new(
                champ,
                format!("« {t} » ne fait pas partie des choix proposés"),
            ));
            None
        }
    }
}

fn texte_borne(t: &str, champ: &'static str, erreurs: &mut Vec<Erreur>) -> Option<String> {
    if t.is_empty() {
        return None;
    }
    let n = t.chars().count();
    if n > TEXTE_MAX {
        erreurs.push(Erreur::new(
            champ,
            format!("{n} caractères, au-delà du maximum de {TEXTE_MAX}"),
        ));
    }
    Some(t.to_string())
}

/// A whole number typed in a field; blank is `vide`.
fn lire_nombre(t: &str, vide: i64) -> Result<i64, ()> {
    let t = t.trim();
    if t.is_empty() {
        return Ok(vide);
    }
    t.parse::<i64>().map_err(|_| ())
}

/// Reads the typed values into a draft, checking what the domain cannot:
/// dates and codes as text, numbers, the commune, the registry place.
fn lire(etat: &Etat, type_activite: TypeActivite, f: &Saisie, lieux: &[LieuConnu]) -> Lecture {
    let mut erreurs = Vec::new();
    let mut s = ActiviteSaisie::nouvelle(type_activite);
    let mut departement = None;

    if !f.date.is_empty() {
        s.date = lire_date(&f.date);
        if s.date.is_none() {
            erreurs.push(Erreur::new(
                "date",
                format!(
                    "« {} » n'est pas une date (format attendu : JJ/MM/AAAA)",
                    f.date
                ),
            ));
        }
    }

    s.duree = match f.duree.as_str() {
        "personnaliser" | ""
            if f.duree == "personnaliser"
                || !(f.duree_heures.is_empty() && f.duree_minutes.is_empty()) =>
        {
            match (
                lire_nombre(&f.duree_heures, 0),
                lire_nombre(&f.duree_minutes, 0),
            ) {
                (Ok(heures), Ok(minutes)) => Some(DureeSaisie::Personnalisee { heures, minutes }),
                _ => {
                    erreurs.push(Erreur::new(
                        "duree",
                        "les heures et les minutes s'écrivent en chiffres, par exemple 1 heure et 20 minutes",
                    ));
                    None
                }
            }
        }
        "" => None,
        code => lire_code::<DureePreset>(code, "duree", &mut erreurs).map(DureeSaisie::Preset),
    };

    s.type_lieu = lire_code(&f.type_lieu, "typeLieu", &mut erreurs);
    match s.type_lieu {
        // Only the fields of the chosen kind of place are read: the others
        // may still hold a default or an earlier choice.
        Some(TypeLieu::LieuActivite) => {
            let saisi = identifiant_lieu_saisi(&f.lieu_id);
            let id = if saisi.is_empty() {
                f.lieu_connu.clone()
            } else {
                saisi
            };
            if !id.is_empty() {
                let catalogue = etat.catalogue();
                match catalogue.index_de(&id) {
                    Some(i) => {
                        departement = catalogue.fiche(i).code_departement.as_deref().map(str::to_string);
                        s.structure_id = Some(id);
                    }
                    None if lieux.iter().any(|l| l.id == id) => s.structure_id = Some(id),
                    None => erreurs.push(Erreur::new(
                        "structureId",
                        format!("aucun lieu du registre n'a l'identifiant « {id} » (il figure dans l'adresse de la page du lieu, après /lieux/)"),
                    )),
                }
            }
        }
        Some(TypeLieu::Domicile | TypeLieu::Autre) if !f.commune.is_empty() => {
            match lire_commune(etat.referentiel(), &f.commune) {
                CommuneLue::Trouvee(c) => {
                    departement = Some(c.departement.to_string());
                    s.lieu_code_insee = Some(c.code_insee.to_string());
                }
                CommuneLue::Erreur(m) => erreurs.push(Erreur::new("lieuCodeInsee", m)),
            }
        }
        _ => {}
    }

    for code in &f.materiel {
        if let Some(m) = lire_code::<Materiel>(code, "materiel", &mut erreurs) {
            s.materiel.push(m);
        }
    }
    for code in &f.thematiques {
        if let Some(t) = lire_code::<Thematique>(code, "thematiques", &mut erreurs) {
            s.thematiques.push(t);
        }
    }
    s.notes = texte_borne(&f.notes, "notes", &mut erreurs);

    match type_activite {
        TypeActivite::Individuel => {
            s.beneficiaire = Some(if f.beneficiaire.is_empty() {
                Beneficiaire::Anonyme(Demographie {
                    genre: lire_code(&f.genre, "beneficiaire", &mut erreurs),
                    tranche_age: lire_code(&f.tranche_age, "beneficiaire", &mut erreurs),
                    statut_social: lire_code(&f.statut_social, "beneficiaire", &mut erreurs),
                })
            } else {
                Beneficiaire::Suivi {
                    id: f.beneficiaire.clone(),
                }
            });
            s.autonomie = lire_code::<Autonomie>(&f.autonomie, "autonomie", &mut erreurs);
            s.oriente_vers_structure = match f.oriente.as_str() {
                "" => None,
                "oui" => Some(true),
                "non" => Some(false),
                autre => {
                    erreurs.push(Erreur::new(
                        "orienteVersStructure",
                        format!("« {autre} » ne fait pas partie des choix proposés"),
                    ));
                    None
                }
            };
            s.structure_de_redirection = lire_code::<StructureDeRedirection>(
                &f.structure_de_redirection,
                "structureDeRedirection",
                &mut erreurs,
            );
            s.precisions_demarche =
                texte_borne(&f.precisions_demarche, "precisionsDemarche", &mut erreurs);
        }
        TypeActivite::Collectif => {
            s.titre_atelier = texte_borne(&f.titre_atelier, "titreAtelier", &mut erreurs);
            s.niveau = lire_code::<NiveauAtelier>(&f.niveau, "niveau", &mut erreurs);
            s.participants = f.participants.clone();
            let mut pa = ParticipantsAnonymes::<i64>::default();
            for (nom, libelle) in champs_participants() {
                let valeur = f.comptes.get(&nom).map_or("", String::as_str);
                match lire_nombre(valeur, 0) {
                    Ok(n) => {
                        if let Some(c) = compte_participants(&mut pa, &nom) {
                            *c = n;
                        }
                    }
                    Err(()) => erreurs.push(Erreur::new(
                        champ_du_compte(&nom),
                        format!("« {valeur} » ({libelle}) n'est pas un nombre entier"),
                    )),
                }
            }
            s.participants_anonymes = Some(pa);
        }
    }

    Lecture {
        saisie: s,
        departement,
        erreurs,
    }
}

/// Reads and validates: the record, or every error (reading errors first;
/// the domain's errors on a field already refused are left out, since they
/// would only repeat that the value is missing).
fn lire_et_valider(
    etat: &Etat,
    type_activite: TypeActivite,
    f: &Saisie,
    lieux: &[LieuConnu],
) -> Result<(Activite, Option<String>), Vec<Erreur>> {
    let lecture = lire(etat, type_activite, f, lieux);
    let mut erreurs = lecture.erreurs;
    match valider(&lecture.saisie, crate::espace::aujourdhui(etat)) {
        Ok(a) if erreurs.is_empty() => Ok((a, lecture.departement)),
        Ok(_) => Err(erreurs),
        Err(domaine) => {
            let deja: Vec<&'static str> = erreurs.iter().map(|e| e.champ).collect();
            erreurs.extend(
                domaine
                    .into_iter()
                    .filter(|e| !deja.contains(&e.champ))
                    .map(|e| Erreur {
                        champ: e.champ,
                        message: e.message,
                    }),
            );
            Err(erreurs)
        }
    }
}

/// The form's errors and the followed beneficiaries' together, so all
/// appear at once.
fn avec_erreurs(
    lu: Result<(Activite, Option<String>), Vec<Erreur>>,
    suivis: &Suivis,
) -> Result<(Activite, Option<String>), Vec<Erreur>> {
    match lu {
        Ok(ok) if suivis.erreurs.is_empty() => Ok(ok),
        Ok(_) => Err(suivis.erreurs.clone()),
        Err(mut erreurs) => {
            let deja: Vec<&'static str> = erreurs.iter().map(|e| e.champ).collect();
            erreurs.extend(
                suivis
                    .erreurs
                    .iter()
                    .filter(|e| !deja.contains(&e.champ))
                    .cloned(),
            );
            Err(erreurs)
        }
    }
}

// ---------------------------------------------------------------------------
// The form's view

/// One radio or checkbox.
#[derive(Debug, Clone)]
pub struct OptionVue {
    pub id: String,
    pub valeur: String,
    pub libelle: String,
    pub choisi: bool,
}

/// A group of radios or checkboxes (a fieldset with its legend).
#[derive(Debug, Clone)]
pub struct GroupeVue {
    /// The field's name, also the prefix of the ids.
    pub nom: String,
    pub legende: String,
    pub aide: String,
    /// "radio" or "checkbox".
    pub genre: &'static str,
    pub options: Vec<OptionVue>,
    pub erreurs: Vec<String>,
}

impl GroupeVue {
    fn id_aide(&self) -> String {
        format!("aide-{}", self.nom)
    }

    fn id_erreurs(&self) -> String {
        format!("erreurs-{}", self.nom)
    }

    /// `aria-describedby` of the fieldset ("" when nothing to describe).
    fn decrit_par(&self) -> String {
        let mut ids = Vec::new();
        if !self.aide.is_empty() {
            ids.push(self.id_aide());
        }
        if !self.erreurs.is_empty() {
            ids.push(self.id_erreurs());
        }
        ids.join(" ")
    }
}

/// A text, number or date field.
#[derive(Debug, Clone)]
pub struct ChampVue {
    pub id: String,
    pub libelle: String,
    pub valeur: String,
    pub aide: String,
    pub erreurs: Vec<String>,
}

impl ChampVue {
    fn decrit_par(&self) -> String {
        let mut ids = Vec::new();
        if !self.aide.is_empty() {
            ids.push(format!("aide-{}", self.id));
        }
        if !self.erreurs.is_empty() {
            ids.push(format!("erreurs-{}", self.id));
        }
        ids.join(" ")
    }
}

/// An entry of the error summary.
#[derive(Debug, Clone)]
pub struct LienErreur {
    pub ancre: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "espace/activite_formulaire.html")]
pub struct PageFormulaire {
    pub mise: crate::pages::Mise,
    pub titre: String,
    pub introduction: String,
    pub action: String,
    pub bouton: String,
    pub collectif: bool,
    pub resume: Vec<LienErreur>,
    pub date: ChampVue,
    pub duree: GroupeVue,
    pub duree_heures: ChampVue,
    pub duree_minutes: ChampVue,
    pub type_lieu: GroupeVue,
    pub lieux_connus: Vec<Choix>,
    pub lieu_connu_erreurs: bool,
    pub lieu_id: ChampVue,
    pub commune: ChampVue,
    pub thematiques: GroupeVue,
    pub thematiques_mediation: GroupeVue,
    pub thematiques_demarches: GroupeVue,
    pub materiel: GroupeVue,
    pub beneficiaire_suivi: String,
    pub genre: GroupeVue,
    pub tranche_age: GroupeVue,
    pub statut_social: GroupeVue,
    pub autonomie: GroupeVue,
    pub oriente: GroupeVue,
    pub structure_de_redirection: GroupeVue,
    pub precisions_demarche: ChampVue,
    pub titre_atelier: ChampVue,
    pub niveau: GroupeVue,
    pub participants: Vec<String>,
    pub pa_total: ChampVue,
    pub pa_deja: ChampVue,
    pub pa_genre: GroupeVue,
    pub pa_genre_champs: Vec<ChampVue>,
    pub pa_tranche: GroupeVue,
    pub pa_tranche_champs: Vec<ChampVue>,
    pub pa_statut: GroupeVue,
    pub pa_statut_champs: Vec<ChampVue>,
    pub notes: ChampVue,
}

/// Where the summary links for a field's error: the field, or the first
/// choice of a group.
fn ancre(champ: &str, collectif: bool) -> String {
    match champ {
        "date" => "date".into(),
        "duree" => format!("duree-{}", DureePreset::Min15.code()),
        "typeLieu" => format!("typeLieu-{}", TypeLieu::LieuActivite.code()),
        "structureId" => "lieu_id".into(),
        "lieuCodeInsee" => "commune".into(),
        "materiel" => format!("materiel-{}", Materiel::Ordinateur.code()),
        "thematiques" => format!("thematiques-{}", Thematique::DiagnosticNumerique.code()),
        "beneficiaire" => format!("genre-{}", Genre::Masculin.code()),
        "autonomie" => format!("autonomie-{}", Autonomie::EntierementAccompagne.code()),
        "orienteVersStructure" => "orienteVersStructure-oui".into(),
        "structureDeRedirection" => format!(
            "structureDeRedirection-{}",
            StructureDeRedirection::Administration.code()
        ),
        "precisionsDemarche" => "precisionsDemarche".into(),
        "titreAtelier" => "titreAtelier".into(),
        "niveau" => format!("niveau-{}", NiveauAtelier::Debutant.code()),
        "participants" | "participantsAnonymes" => "pa_total".into(),
        "participantsAnonymes.dejaAccompagne" => "pa_dejaAccompagne".into(),
        "participantsAnonymes.genre" => format!("pa_genre_{}", Genre::Masculin.code()),
        "participantsAnonymes.trancheAge" => {
            format!("pa_trancheAge_{}", TrancheAge::MoinsDeDouze.code())
        }
        "participantsAnonymes.statutSocial" => {
            format!("pa_statutSocial_{}", StatutSocial::Retraite.code())
        }
        "notes" => "notes".into(),
        _ if collectif => "titreAtelier".into(),
        _ => "date".into(),
    }
}

/// What the form page says around the fields.
struct Cadre {
    titre: String,
    introduction: String,
    action: String,
    bouton: String,
}

struct Vue<'a> {
    erreurs: &'a [Erreur],
}

impl Vue<'_> {
    fn de(&self, champs: &[&str]) -> Vec<String> {
        self.erreurs
            .iter()
            .filter(|e| champs.contains(&e.champ))
            .map(|e| e.message.clone())
            .collect()
    }

    fn champ(
        &self,
        id: &str,
        libelle: &str,
        valeur: &str,
        aide: &str,
        champs: &[&str],
    ) -> ChampVue {
        ChampVue {
            id: id.to_string(),
            libelle: libelle.to_string(),
            valeur: valeur.to_string(),
            aide: aide.to_string(),
            erreurs: self.de(champs),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn groupe<'v>(
        &self,
        genre: &'static str,
        nom: &str,
        legende: &str,
        aide: &str,
        options: impl Iterator<Item = (&'v str, String)>,
        choisies: &[&str],
        champs: &[&str],
    ) -> GroupeVue {
        GroupeVue {
            nom: nom.to_string(),
            legende: legende.to_string(),
            aide: aide.to_string(),
            genre,
            options: options
                .map(|(valeur, libelle)| OptionVue {
                    id: format!("{nom}-{valeur}"),
                    valeur: valeur.to_string(),
                    libelle,
                    choisi: choisies.contains(&valeur),
                })
                .collect(),
            erreurs: self.de(champs),
        }
    }
}

fn page_formulaire(
    type_activite: TypeActivite,
    cadre: Cadre,
    f: &Saisie,
    erreurs: &[Erreur],
    lieux: &[LieuConnu],
) -> PageFormulaire {
    let collectif = type_activite == TypeActivite::Collectif;
    let v = Vue { erreurs };
    let materiel: Vec<&str> = f.materiel.iter().map(String::as_str).collect();
    let thematiques: Vec<&str> = f.thematiques.iter().map(String::as_str).collect();

    let mut resume: Vec<LienErreur> = Vec::new();
    for e in erreurs {
        resume.push(LienErreur {
            ancre: ancre(e.champ, collectif),
            message: e.message.clone(),
        });
    }

    let comptes = |prefixe: &str| -> Vec<ChampVue> {
        champs_participants()
            .into_iter()
            .filter(|(nom, _)| nom.starts_with(prefixe))
            .map(|(nom, libelle)| ChampVue {
                valeur: f.comptes.get(&nom).cloned().unwrap_or_default(),
                id: nom,
                libelle,
                aide: String::new(),
                erreurs: Vec::new(),
            })
            .collect()
    };
    let pa_groupe = |nom: &str, legende: &str, champ: &str| GroupeVue {
        nom: nom.to_string(),
        legende: legende.to_string(),
        aide: String::new(),
        genre: "number",
        options: Vec::new(),
        erreurs: v.de(&[champ]),
    };
    let thematiques_groupe = v.groupe(
        "checkbox",
        "thematiques",
        "Thématiques (obligatoire, au moins une)",
        "Les thématiques de démarches administratives vont avec « Aide aux démarches administratives ».",
        std::iter::empty(),
        &[],
        &["thematiques"],
    );

    PageFormulaire {
        mise: mise(&if erreurs.is_empty() {
            cadre.titre.clone()
        } else {
            format!("Erreur : {}", cadre.titre)
        }),
        titre: cadre.titre,
        introduction: cadre.introduction,
        action: cadre.action,
        bouton: cadre.bouton,
        collectif,
        resume,
        date: v.champ(
            "date",
            "Date de l'activité (obligatoire)",
            &f.date,
            "Format JJ/MM/AAAA. Aujourd'hui par défaut.",
            &["date"],
        ),
        duree: v.groupe(
            "radio",
            "duree",
            "Durée (obligatoire)",
            "",
            DureePreset::iter()
                .map(|p| (p.code(), p.libelle().to_string()))
                .chain(std::iter::once(("personnaliser", "Autre durée (heures et minutes ci-dessous)".to_string()))),
            &[f.duree.as_str()],
            &["duree"],
        ),
        duree_heures: v.champ("duree_heures", "Heures", &f.duree_heures, "", &[]),
        duree_minutes: v.champ("duree_minutes", "Minutes", &f.duree_minutes, "", &[]),
        type_lieu: v.groupe(
            "radio",
            "typeLieu",
            "Lieu de l'activité (obligatoire)",
            "",
            TypeLieu::iter().map(|t| (t.code(), t.libelle().to_string())),
            &[f.type_lieu.as_str()],
            &["typeLieu"],
        ),
        lieux_connus: std::iter::once(Choix::new("", "— Choisir un lieu —", f.lieu_connu.is_empty()))
            .chain(
                lieux
                    .iter()
                    .map(|l| Choix::new(l.id.clone(), l.libelle.clone(), f.lieu_connu == l.id)),
            )
            .collect(),
        lieu_connu_erreurs: !v.de(&["structureId"]).is_empty(),
        lieu_id: v.champ(
            "lieu_id",
            if lieux.is_empty() {
                "Identifiant du lieu d'activité dans le registre"
            } else {
                "Ou identifiant d'un autre lieu du registre"
            },
            &f.lieu_id,
            "Pour « Lieu d'activité » seulement. L'identifiant figure dans l'adresse de la page du lieu, après /lieux/ ; l'adresse entière convient aussi.",
            &["structureId"],
        ),
        commune: v.champ(
            "commune",
            "Commune",
            &f.commune,
            "Pour « À domicile » et « Autre lieu » seulement. Code postal, code INSEE ou nom de la commune (par exemple 16000, 16015 ou Angoulême 16000).",
            &["lieuCodeInsee"],
        ),
        thematiques: thematiques_groupe,
        thematiques_mediation: v.groupe(
            "checkbox",
            "thematiques",
            "Médiation numérique",
            "",
            Thematique::MEDIATION_NUMERIQUE
                .iter()
                .map(|t| (t.code(), t.libelle().to_string())),
            &thematiques,
            &[],
        ),
        thematiques_demarches: v.groupe(
            "checkbox",
            "thematiques",
            "Démarches administratives",
            "",
            Thematique::DEMARCHES_ADMINISTRATIVES
                .iter()
                .map(|t| (t.code(), t.libelle().to_string())),
            &thematiques,
            &[],
        ),
        materiel: v.groupe(
            "checkbox",
            "materiel",
            "Matériel numérique utilisé",
            "",
            Materiel::iter().map(|m| (m.code(), m.libelle().to_string())),
            &materiel,
            &["materiel"],
        ),
        beneficiaire_suivi: f.beneficiaire.clone(),
        genre: v.groupe(
            "radio",
            "genre",
            "Genre",
            "",
            Genre::iter().map(|g| (g.code(), g.libelle().to_string())),
            &[f.genre.as_str()],
            &["beneficiaire"],
        ),
        tranche_age: v.groupe(
            "radio",
            "trancheAge",
            "Tranche d'âge",
            "",
            TrancheAge::iter().map(|t| (t.code(), t.libelle().to_string())),
            &[f.tranche_age.as_str()],
            &[],
        ),
        statut_social: v.groupe(
            "radio",
            "statutSocial",
            "Statut",
            "",
            StatutSocial::iter().map(|s| (s.code(), s.libelle().to_string())),
            &[f.statut_social.as_str()],
            &[],
        ),
        autonomie: v.groupe(
            "radio",
            "autonomie",
            "Niveau d'autonomie du bénéficiaire",
            "",
            Autonomie::iter().map(|a| (a.code(), a.libelle().to_string())),
            &[f.autonomie.as_str()],
            &["autonomie"],
        ),
        oriente: v.groupe(
            "radio",
            "orienteVersStructure",
            "Le bénéficiaire a-t-il été orienté vers une autre structure ?",
            "",
            [("oui", "Oui".to_string()), ("non", "Non".to_string())].into_iter(),
            &[f.oriente.as_str()],
            &["orienteVersStructure"],
        ),
        structure_de_redirection: v.groupe(
            "radio",
            "structureDeRedirection",
            "Structure de redirection",
            "Seulement si le bénéficiaire a été orienté.",
            StructureDeRedirection::iter().map(|s| (s.code(), s.libelle().to_string())),
            &[f.structure_de_redirection.as_str()],
            &["structureDeRedirection"],
        ),
        precisions_demarche: v.champ(
            "precisionsDemarche",
            "Nom de la démarche administrative",
            &f.precisions_demarche,
            "Seulement avec la thématique « Aide aux démarches administratives ».",
            &["precisionsDemarche"],
        ),
        titre_atelier: v.champ(
            "titreAtelier",
            "Titre de l'atelier",
            &f.titre_atelier,
            "",
            &["titreAtelier"],
        ),
        niveau: v.groupe(
            "radio",
            "niveau",
            "Niveau de l'atelier",
            "",
            NiveauAtelier::iter().map(|n| (n.code(), n.libelle().to_string())),
            &[f.niveau.as_str()],
            &["niveau"],
        ),
        participants: f.participants.clone(),
        pa_total: v.champ(
            "pa_total",
            "Nombre de participants (obligatoire, au moins 1)",
            f.comptes.get("pa_total").map_or("", String::as_str),
            "",
            &["participants", "participantsAnonymes"],
        ),
        pa_deja: v.champ(
            "pa_dejaAccompagne",
            "Dont déjà accompagnés",
            f.comptes.get("pa_dejaAccompagne").map_or("", String::as_str),
            "",
            &["participantsAnonymes.dejaAccompagne"],
        ),
        pa_genre: pa_groupe("pa_genre", "Participants par genre", "participantsAnonymes.genre"),
        pa_genre_champs: comptes("pa_genre_"),
        pa_tranche: pa_groupe(
            "pa_trancheAge",
            "Participants par tranche d'âge",
            "participantsAnonymes.trancheAge",
        ),
        pa_tranche_champs: comptes("pa_trancheAge_"),
        pa_statut: pa_groupe(
            "pa_statutSocial",
            "Participants par statut",
            "participantsAnonymes.statutSocial",
        ),
        pa_statut_champs: comptes("pa_statutSocial_"),
        notes: v.champ(
            "notes",
            "Notes",
            &f.notes,
            "Visibles de vous seul. N'y inscrivez pas de données sensibles sur la personne.",
            &["notes"],
        ),
    }
}

fn cadre_creation(type_activite: TypeActivite, copie_du: Option<NaiveDate>) -> Cadre {
    let titre = match type_activite {
        TypeActivite::Individuel => "Enregistrer un accompagnement individuel",
        TypeActivite::Collectif => "Enregistrer un atelier collectif",
    };
    let mut introduction = "Les champs obligatoires sont signalés. Les autres aident à décrire l'activité dans vos statistiques.".to_string();
    if let Some(d) = copie_du {
        introduction = format!(
            "Copie de l'activité du {} : vérifiez les champs puis enregistrez. {introduction}",
            date_fr(d)
        );
    }
    Cadre {
        titre: titre.to_string(),
        introduction,
        action: "/espace/activites".to_string(),
        bouton: "Enregistrer l'activité".to_string(),
    }
}

fn cadre_modification(a: &ActiviteEnregistree) -> Cadre {
    Cadre {
        titre: format!(
            "Modifier : {} du {}",
            a.type_activite.libelle().to_lowercase(),
            date_fr(a.date)
        ),
        introduction: "Les champs obligatoires sont signalés.".to_string(),
        action: format!("/espace/activites/{}/modifier", segment(&a.id)),
        bouton: "Enregistrer les modifications".to_string(),
    }
}

// ---------------------------------------------------------------------------
// Access

/// The access facts of a stored record.
fn fiche(etat: &Etat, a: &ActiviteEnregistree) -> FicheActivite {
    FicheActivite {
        mediateur_id: a.mediateur_id.clone(),
        structure_id: a.structure_id.clone(),
        date: a.date,
        commune_insee: a.code_insee.clone(),
        departement: a.departement.clone(),
        region: a
            .departement
            .as_deref()
            .and_then(|d| etat.referentiel().departement(d))
            .map(|d| d.region.to_string()),
    }
}

/// The facts of a record the signed-in mediator would create on `date`.
fn fiche_nouvelle(connecte: &Connecte, date: NaiveDate) -> FicheActivite {
    FicheActivite {
        mediateur_id: connecte.utilisateur.id.clone(),
        structure_id: None,
        date,
        commune_insee: None,
        departement: None,
        region: None,
    }
}

fn introuvable() -> Response {
    sans_cache(erreur(
        StatusCode::NOT_FOUND,
        "Activité introuvable",
        "Aucune activité ne correspond à cette adresse : elle a peut-être été supprimée. Retrouvez vos activités dans « Mes activités ».",
    ))
}

/// The live record `id`, or the 404 page.
#[allow(clippy::result_large_err)]
async fn activite_vivante(etat: &Etat, id: &str) -> Result<ActiviteEnregistree, Response> {
    match etat.store().activite(id).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(introuvable()),
        Err(e) => Err(indisponible(&e)),
    }
}

/// The live record `id` if `action` on it is allowed; the 404 or 403 page
/// otherwise.
#[allow(clippy::result_large_err)]
async fn activite_autorisee(
    etat: &Etat,
    connecte: &Connecte,
    id: &str,
    action: Action,
) -> Result<ActiviteEnregistree, Response> {
    let a = activite_vivante(etat, id).await?;
    connecte.autoriser(etat, action, &Cible::Activite(fiche(etat, &a)))?;
    Ok(a)
}

#[allow(clippy::result_large_err)]
fn type_demande(champs: &Champs) -> Result<TypeActivite, Response> {
    match champs.texte("type") {
        "" => Ok(TypeActivite::Individuel),
        t => t.parse::<TypeActivite>().map_err(|_| {
            sans_cache(erreur(
                StatusCode::BAD_REQUEST,
                "Type d'activité inconnu",
                &format!("« {t} » n'est pas un type d'activité : choisissez « individuel » (accompagnement individuel) ou « collectif » (atelier collectif)."),
            ))
        }),
    }
}

// ---------------------------------------------------------------------------
// Handlers: the form

fn rendre_formulaire(statut: StatusCode, page: &PageFormulaire) -> Response {
    sans_cache(rendre(statut, page))
}

/// `GET /espace/activites/nouvelle?type=individuel|collectif[&beneficiaire=<id>]`
pub async fn nouvelle(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let champs = Champs::lire(requete.as_deref().unwrap_or_default());
    let type_activite = match type_demande(&champs) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let aujourd_hui = crate::espace::aujourdhui(&etat);
    if let Err(r) = connecte.autoriser(
        &etat,
        Action::Creer,
        &Cible::Activite(fiche_nouvelle(&connecte, aujourd_hui)),
    ) {
        return r;
    }
    let lieux = match lieux_du_mediateur(&etat, &connecte.utilisateur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let mut f = Saisie {
        date: aujourd_hui.to_string(),
        ..Saisie::default()
    };
    // The usual place first: most records are made where the mediator works.
    if let Some(l) = lieux.first() {
        f.type_lieu = TypeLieu::LieuActivite.code().to_string();
        f.lieu_connu = l.id.clone();
    }
    if type_activite == TypeActivite::Individuel {
        f.beneficiaire = champs.texte("beneficiaire").to_string();
    }
    rendre_formulaire(
        StatusCode::OK,
        &page_formulaire(
            type_activite,
            cadre_creation(type_activite, None),
            &f,
            &[],
            &lieux,
        ),
    )
}

/// `POST /espace/activites?type=…`: creates the record.
pub async fn creer(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    // The type travels in the form (and in the action's query, for old pages).
    let type_champs = if champs.contient("type") {
        champs.clone()
    } else {
        Champs::lire(requete.as_deref().unwrap_or_default())
    };
    let type_activite = match type_demande(&type_champs) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let f = Saisie::depuis_champs(&champs);
    let date = lire_date(&f.date).unwrap_or_else(|| crate::espace::aujourdhui(&etat));
    if let Err(r) = connecte.autoriser(
        &etat,
        Action::Creer,
        &Cible::Activite(fiche_nouvelle(&connecte, date)),
    ) {
        return r;
    }
    let lieux = match lieux_du_mediateur(&etat, &connecte.utilisateur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let suivis =
        match beneficiaires_suivis(&etat, &connecte.utilisateur.id, type_activite, &f, &[]).await {
            Ok(s) => s,
            Err(e) => return indisponible(&e),
        };
    let (activite, departement) =
        match avec_erreurs(lire_et_valider(&etat, type_activite, &f, &lieux), &suivis) {
            Ok(ok) => ok,
            Err(erreurs) => {
                return rendre_formulaire(
                    StatusCode::BAD_REQUEST,
                    &page_formulaire(
                        type_activite,
                        cadre_creation(type_activite, None),
                        &f,
                        &erreurs,
                        &lieux,
                    ),
                )
            }
        };
    // Filed under the mediator's current employer, for its statistics.
    let structure_id =
        match crate::espace::structures::employeur_actuel(&etat, &connecte.utilisateur.id).await {
            Ok(s) => s,
            Err(e) => return indisponible(&e),
        };
    let date = activite.date();
    let nouvelle = NouvelleActivite {
        demographies_suivies: suivis.demographies,
        mediateur_id: connecte.utilisateur.id.clone(),
        structure_id,
        departement,
        activite,
        cree_le: etat.maintenant(),
    };
    match etat.store().enregistrer_activite(&nouvelle).await {
        Ok(id) => {
            dater_suivis(&etat, &suivis.ids, date).await;
            sans_cache(
                Redirect::to(&format!("/espace/activites?enregistree={}", segment(&id)))
                    .into_response(),
            )
        }
        Err(e) => indisponible(&e),
    }
}

/// `GET /espace/activites/{id}/modifier`
pub async fn formulaire_modification(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
) -> Response {
    let a = match activite_autorisee(&etat, &connecte, &id, Action::Modifier).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let lieux = match lieux_du_mediateur(&etat, &connecte.utilisateur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let f = Saisie::depuis_activite(&etat, &a.saisie, &lieux);
    rendre_formulaire(
        StatusCode::OK,
        &page_formulaire(a.type_activite, cadre_modification(&a), &f, &[], &lieux),
    )
}

/// `POST /espace/activites/{id}/modifier`
pub async fn modifier(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    let champs = match formulaire(&entetes, &corps) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let a = match activite_autorisee(&etat, &connecte, &id, Action::Modifier).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let f = Saisie::depuis_champs(&champs);
    let lieux = match lieux_du_mediateur(&etat, &connecte.utilisateur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let suivis = match beneficiaires_suivis(
        &etat,
        &a.mediateur_id,
        a.type_activite,
        &f,
        &ids_suivis(&a.saisie),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return indisponible(&e),
    };
    // The type of a record does not change: its fields differ.
    let (activite, departement) =
        match avec_erreurs(lire_et_valider(&etat, a.type_activite, &f, &lieux), &suivis) {
            Ok(ok) => ok,
            Err(erreurs) => {
                return rendre_formulaire(
                    StatusCode::BAD_REQUEST,
                    &page_formulaire(
                        a.type_activite,
                        cadre_modification(&a),
                        &f,
                        &erreurs,
                        &lieux,
                    ),
                )
            }
        };
    let date = activite.date();
    match etat
        .store()
        .modifier_activite(
            &a.id,
            &activite,
            &suivis.demographies,
            departement.as_deref(),
            &connecte.utilisateur.id,
            etat.maintenant(),
        )
        .await
    {
        Ok(()) => {
            dater_suivis(&etat, &suivis.ids, date).await;
            sans_cache(
                Redirect::to(&format!("/espace/activites/{}?modifiee=1", segment(&a.id)))
                    .into_response(),
            )
        }
        Err(maillage_store::StoreError::NotFound { .. }) => introuvable(),
        Err(e) => indisponible(&e),
    }
}

/// `GET /espace/activites/{id}/dupliquer`: the creation form with the
/// record's values and today's date.
pub async fn dupliquer(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
) -> Response {
    let a = match activite_vivante(&etat, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let aujourd_hui = crate::espace::aujourdhui(&etat);
    // The copy is a new record of the record's owner, dated today and filed
    // like any new record (under no structure yet): only the owner may.
    let copie = FicheActivite {
        structure_id: None,
        date: aujourd_hui,
        ..fiche(&etat, &a)
    };
    if let Err(r) = connecte.autoriser(&etat, Action::Creer, &Cible::Activite(copie)) {
        return r;
    }
    // The canonical draft of the stored record (validated against its own
    // date, which is never in the future for it).
    let mut copie = match valider(&a.saisie, a.date.max(aujourd_hui)) {
        Ok(activite) => dupliquer_activite(&activite),
        Err(_) => a.saisie.clone(),
    };
    copie.date = Some(aujourd_hui);
    let lieux = match lieux_du_mediateur(&etat, &connecte.utilisateur.id).await {
        Ok(l) => l,
        Err(e) => return indisponible(&e),
    };
    let f = Saisie::depuis_activite(&etat, &copie, &lieux);
    rendre_formulaire(
        StatusCode::OK,
        &page_formulaire(
            a.type_activite,
            cadre_creation(a.type_activite, Some(a.date)),
            &f,
            &[],
            &lieux,
        ),
    )
}

// ---------------------------------------------------------------------------
// Handlers: list, detail, delete

/// One row of the list.
#[derive(Debug, Clone)]
pub struct Ligne {
    pub url: String,
    pub date: String,
    pub type_activite: String,
    pub duree: String,
    pub lieu: String,
    pub thematiques: String,
    pub accompagnements: u32,
}

/// A record just created, for the success banner.
#[derive(Debug, Clone)]
pub struct Enregistree {
    pub url: String,
    pub type_code: String,
    pub resume: String,
}

#[derive(Template)]
#[template(path = "espace/activites.html")]
pub struct PageListe {
    pub mise: crate::pages::Mise,
    /// May record activities (mediators): the creation buttons.
    pub peut_creer: bool,
    pub enregistree: Option<Enregistree>,
    pub supprimee: bool,
    pub du: ChampVue,
    pub au: ChampVue,
    pub types: Vec<Choix>,
    pub erreurs_filtre: Vec<String>,
    pub lignes: Vec<Ligne>,
    pub total: u64,
    pub filtre_actif: bool,
    pub pagination: Pagination,
}

/// Where a record took place, in words.
fn lieu_en_clair(etat: &Etat, a: &ActiviteEnregistree) -> String {
    match a.type_lieu {
        TypeLieu::LieuActivite => match &a.lieu_id {
            Some(id) => libelle_lieu_registre(&etat.catalogue(), id),
            None => TypeLieu::LieuActivite.libelle().to_string(),
        },
        TypeLieu::Domicile | TypeLieu::Autre => {
            let commune = a
                .code_insee
                .as_deref()
                .map(|c| match etat.referentiel().commune(c) {
                    Some(c) => c.nom.to_string(),
                    None => c.to_string(),
                })
                .unwrap_or_default();
            format!("{} — {commune}", a.type_lieu.libelle())
        }
        TypeLieu::ADistance => TypeLieu::ADistance.libelle().to_string(),
    }
}

fn thematiques_en_clair(a: &ActiviteEnregistree) -> String {
    maillage_store::thematiques_du_masque(a.masque_thematiques)
        .unwrap_or_default()
        .iter()
        .map(|t| t.libelle())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One page of the mediator's records with the filter. The store filters
/// mediator and dates; the type is filtered here, over every matching
/// record, until the store's filter has a type.
async fn page_activites(
    etat: &Etat,
    mediateur_id: &str,
    du: Option<NaiveDate>,
    au: Option<NaiveDate>,
    type_activite: Option<TypeActivite>,
    page: u32,
) -> Result<(Vec<ActiviteEnregistree>, u64), maillage_store::StoreError> {
    let filtre = FiltreActivites {
        mediateur_id: Some(mediateur_id.to_string()),
        du,
        au,
        page,
        par_page: PAR_PAGE,
        ..FiltreActivites::default()
    };
    let Some(t) = type_activite else {
        let p = etat.store().activites(&filtre).await?;
        return Ok((p.activites, p.total));
    };
    let mut toutes = Vec::new();
    let mut n = 1;
    loop {
        let p = etat
            .store()
            .activites(&FiltreActivites {
                page: n,
                par_page: PAR_PAGE_MAX,
                ..filtre.clone()
            })
            .await?;
        let fin = p.activites.len() < PAR_PAGE_MAX as usize;
        toutes.extend(p.activites.into_iter().filter(|a| a.type_activite == t));
        if fin {
            break;
        }
        n += 1;
    }
    let total = toutes.len() as u64;
    let debut = (page.max(1) as usize - 1) * PAR_PAGE as usize;
    Ok((
        toutes
            .into_iter()
            .skip(debut)
            .take(PAR_PAGE as usize)
            .collect(),
        total,
    ))
}

/// `GET /espace/activites`
pub async fn liste(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let q = Champs::lire(requete.as_deref().unwrap_or_default());
    let mut erreurs_du = Vec::new();
    let mut erreurs_au = Vec::new();
    let mut erreurs_filtre = Vec::new();
    let lire_borne = |nom: &str, libelle: &str, erreurs: &mut Vec<String>| -> Option<NaiveDate> {
        let t = q.texte(nom);
        if t.is_empty() {
            return None;
        }
        let d = lire_date(t);
        if d.is_none() {
            erreurs.push(format!(
                "{libelle} : « {t} » n'est pas une date (format attendu : JJ/MM/AAAA)."
            ));
        }
        d
    };
    let du = lire_borne("du", "Du", &mut erreurs_du);
    let au = lire_borne("au", "Au", &mut erreurs_au);
    if let (Some(d), Some(a)) = (du, au) {
        if d > a {
            erreurs_au.push(format!(
                "Au : la date de fin ({}) précède la date de début ({}).",
                date_fr(a),
                date_fr(d)
            ));
        }
    }
    let type_activite = match q.texte("type") {
        "" => None,
        t => match t.parse::<TypeActivite>() {
            Ok(t) => Some(t),
            Err(_) => {
                erreurs_filtre.push(format!(
                    "Type d'activité : « {t} » ne fait pas partie des choix proposés."
                ));
                None
            }
        },
    };
    let page: u32 = match q.texte("page") {
        "" => 1,
        t => t.parse::<u32>().ok().filter(|p| *p >= 1).unwrap_or(1),
    };
    let periode = Periode::new(
        du.unwrap_or(NaiveDate::MIN),
        au.filter(|a| du.is_none_or(|d| d <= *a))
            .unwrap_or(NaiveDate::MAX),
    );
    if let Err(r) = connecte.autoriser(
        &etat,
        Action::Consulter,
        &Cible::ListeActivites {
            perimetre: Perimetre::Soi,
            periode,
        },
    ) {
        return r;
    }
    let invalide = !(erreurs_du.is_empty() && erreurs_au.is_empty() && erreurs_filtre.is_empty());
    let (activites, total) = if invalide {
        (Vec::new(), 0)
    } else {
        match page_activites(&etat, &connecte.utilisateur.id, du, au, type_activite, page).await {
            Ok(r) => r,
            Err(e) => return indisponible(&e),
        }
    };
    let enregistree = match q.optionnel("enregistree") {
        Some(id) => match etat.store().activite(&id).await {
            Ok(Some(a)) if a.mediateur_id == connecte.utilisateur.id => Some(Enregistree {
                url: format!("/espace/activites/{}", segment(&a.id)),
                type_code: a.type_activite.code().to_string(),
                resume: format!(
                    "{} du {}, {}",
                    a.type_activite.libelle(),
                    date_fr(a.date),
                    libelle_duree(a.duree_minutes)
                ),
            }),
            Ok(_) => None,
            Err(e) => return indisponible(&e),
        },
        None => None,
    };
    let lignes = activites
        .iter()
        .map(|a| Ligne {
            url: format!("/espace/activites/{}", segment(&a.id)),
            date: date_fr(a.date),
            type_activite: a.type_activite.libelle().to_string(),
            duree: libelle_duree(a.duree_minutes),
            lieu: lieu_en_clair(&etat, a),
            thematiques: thematiques_en_clair(a),
            accompagnements: a.accompagnements,
        })
        .collect();
    let lien = |p: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("du", q.texte("du")),
            ("au", q.texte("au")),
            ("type", q.texte("type")),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &p.to_string());
        format!("/espace/activites?{}", s.finish())
    };
    let pagination = Pagination::new(page as usize, total as usize, PAR_PAGE as usize, lien);
    let titre = if invalide {
        "Erreur : Mes activités"
    } else {
        "Mes activités"
    };
    let type_choisi = q.texte("type");
    let mut types = vec![Choix::new("", "Tous", type_choisi.is_empty())];
    types.extend(
        TypeActivite::iter().map(|t| Choix::new(t.code(), t.libelle(), type_choisi == t.code())),
    );
    sans_cache(rendre(
        if invalide {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        },
        &PageListe {
            mise: mise(titre),
            peut_creer: connecte
                .verdict(
                    &etat,
                    Action::Creer,
                    &Cible::Activite(fiche_nouvelle(&connecte, crate::espace::aujourdhui(&etat))),
                )
                .is_ok(),
            enregistree,
            supprimee: q.texte("supprimee") == "1",
            du: ChampVue {
                id: "du".into(),
                libelle: "Du".into(),
                valeur: q.texte("du").to_string(),
                aide: String::new(),
                erreurs: erreurs_du,
            },
            au: ChampVue {
                id: "au".into(),
                libelle: "Au".into(),
                valeur: q.texte("au").to_string(),
                aide: String::new(),
                erreurs: erreurs_au,
            },
            types,
            erreurs_filtre,
            lignes,
            total,
            filtre_actif: du.is_some() || au.is_some() || type_activite.is_some(),
            pagination,
        },
    ))
}

/// A label and its value on the detail page.
#[derive(Debug, Clone)]
pub struct Definition {
    pub terme: String,
    pub valeur: String,
}

#[derive(Template)]
#[template(path = "espace/activite.html")]
pub struct PageDetail {
    pub mise: crate::pages::Mise,
    pub titre: String,
    pub url: String,
    pub modifiee: bool,
    pub proprietaire: bool,
    pub definitions: Vec<Definition>,
    pub thematiques: Vec<String>,
    pub notes: Option<String>,
    pub beneficiaire_url: Option<String>,
}

fn oui_non(b: Option<bool>) -> String {
    match b {
        Some(true) => "Oui".into(),
        Some(false) => "Non".into(),
        None => "Non renseigné".into(),
    }
}

fn ou_non_renseigne(v: Option<&str>) -> String {
    v.map_or_else(|| "Non renseigné".to_string(), str::to_string)
}

/// The record in words, for the detail and the delete confirmation.
/// `proprietaire`: the owner also sees the followed beneficiary (others
/// see that there is one, not who: `Cible::Beneficiaire` is the owner's).
fn definitions(etat: &Etat, a: &ActiviteEnregistree, proprietaire: bool) -> Vec<Definition> {
    let mut d = Vec::new();
    let mut ajouter = |terme: &str, valeur: String| {
        d.push(Definition {
            terme: terme.to_string(),
            valeur,
        })
    };
    ajouter("Type", a.type_activite.libelle().to_string());
    ajouter("Date", date_fr(a.date));
    ajouter("Durée", libelle_duree(a.duree_minutes));
    ajouter("Lieu", lieu_en_clair(etat, a));
    if let Some(dep) = a.departement.as_deref() {
        let nom = etat
            .referentiel()
            .departement(dep)
            .map(|x| format!("{} ({dep})", x.nom))
            .unwrap_or_else(|| dep.to_string());
        ajouter("Département", nom);
    }
    let materiel = maillage_store::materiel_du_masque(a.masque_materiel).unwrap_or_default();
    ajouter(
        "Matériel numérique utilisé",
        if materiel.is_empty() {
            "Non renseigné".to_string()
        } else {
            materiel
                .iter()
                .map(|m| m.libelle())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    let s = &a.saisie;
    match a.type_activite {
        TypeActivite::Individuel => {
            match &s.beneficiaire {
                Some(Beneficiaire::Suivi { .. }) => {
                    let texte = if proprietaire {
                        "Bénéficiaire suivi"
                    } else {
                        "Bénéficiaire suivi (son identité n'est visible que du médiateur)"
                    };
                    ajouter("Bénéficiaire", texte.to_string());
                }
                Some(Beneficiaire::Anonyme(dem)) => {
                    ajouter("Bénéficiaire", "Anonyme".to_string());
                    ajouter("Genre", ou_non_renseigne(dem.genre.map(Genre::libelle)));
                    ajouter(
                        "Tranche d'âge",
                        ou_non_renseigne(dem.tranche_age.map(TrancheAge::libelle)),
                    );
                    ajouter(
                        "Statut",
                        ou_non_renseigne(dem.statut_social.map(StatutSocial::libelle)),
                    );
                }
                None => ajouter("Bénéficiaire", "Anonyme".to_string()),
            }
            ajouter(
                "Niveau d'autonomie",
                ou_non_renseigne(s.autonomie.map(Autonomie::libelle)),
            );
            ajouter(
                "Orienté vers une autre structure",
                oui_non(s.oriente_vers_structure),
            );
            if let Some(r) = s.structure_de_redirection {
                ajouter("Structure de redirection", r.libelle().to_string());
            }
            if let Some(p) = &s.precisions_demarche {
                ajouter("Nom de la démarche administrative", p.clone());
            }
        }
        TypeActivite::Collectif => {
            ajouter(
                "Titre de l'atelier",
                ou_non_renseigne(s.titre_atelier.as_deref()),
            );
            ajouter(
                "Niveau de l'atelier",
                ou_non_renseigne(s.niveau.map(NiveauAtelier::libelle)),
            );
            ajouter("Participants", a.accompagnements.to_string());
            if let Some(pa) = &s.participants_anonymes {
                if !s.participants.is_empty() {
                    ajouter("Dont participants suivis", s.participants.len().to_string());
                }
                ajouter("Dont déjà accompagnés", pa.deja_accompagne.to_string());
                let repartition = |paires: Vec<(&str, i64)>| -> String {
                    let v: Vec<String> = paires
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .map(|(l, n)| format!("{l} : {n}"))
                        .collect();
                    if v.is_empty() {
                        "Non renseigné".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                ajouter(
                    "Par genre",
                    repartition(
                        Genre::iter()
                            .map(|g| (g.libelle(), pa.par_genre(g)))
                            .collect(),
                    ),
                );
                ajouter(
                    "Par tranche d'âge",
                    repartition(
                        TrancheAge::iter()
                            .map(|t| (t.libelle(), pa.par_tranche_age(t)))
                            .collect(),
                    ),
                );
                ajouter(
                    "Par statut",
                    repartition(
                        StatutSocial::iter()
                            .map(|x| (x.libelle(), pa.par_statut_social(x)))
                            .collect(),
                    ),
                );
            }
        }
    }
    d
}

/// `GET /espace/activites/{id}`
pub async fn detail(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    RawQuery(requete): RawQuery,
) -> Response {
    let a = match activite_autorisee(&etat, &connecte, &id, Action::Consulter).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = Champs::lire(requete.as_deref().unwrap_or_default());
    let proprietaire = a.mediateur_id == connecte.utilisateur.id;
    let titre = format!("{} du {}", a.type_activite.libelle(), date_fr(a.date));
    sans_cache(rendre(
        StatusCode::OK,
        &PageDetail {
            mise: mise(&titre),
            titre,
            url: format!("/espace/activites/{}", segment(&a.id)),
            modifiee: q.texte("modifiee") == "1",
            definitions: definitions(&etat, &a, proprietaire),
            thematiques: maillage_store::thematiques_du_masque(a.masque_thematiques)
                .unwrap_or_default()
                .iter()
                .map(|t| t.libelle().to_string())
                .collect(),
            // Notes may name the person: they stay with the mediator.
            notes: if proprietaire {
                a.saisie.notes.clone()
            } else {
                None
            },
            beneficiaire_url: match (&a.saisie.beneficiaire, proprietaire) {
                (Some(Beneficiaire::Suivi { id }), true) => {
                    Some(format!("/espace/beneficiaires/{}", segment(id)))
                }
                _ => None,
            },
            proprietaire,
        },
    ))
}

#[derive(Template)]
#[template(path = "espace/activite_suppression.html")]
pub struct PageSuppression {
    pub mise: crate::pages::Mise,
    pub titre: String,
    pub url: String,
    pub definitions: Vec<Definition>,
}

/// `GET /espace/activites/{id}/supprimer`: asks for confirmation.
pub async fn confirmation_suppression(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
) -> Response {
    let a = match activite_autorisee(&etat, &connecte, &id, Action::Supprimer).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let titre = format!(
        "Supprimer : {} du {}",
        a.type_activite.libelle().to_lowercase(),
        date_fr(a.date)
    );
    sans_cache(rendre(
        StatusCode::OK,
        &PageSuppression {
            mise: mise(&titre),
            titre,
            url: format!("/espace/activites/{}", segment(&a.id)),
            definitions: definitions(&etat, &a, true),
        },
    ))
}

/// `POST /espace/activites/{id}/supprimer`: soft delete (journaled by the
/// store in the same transaction).
pub async fn supprimer(
    State(etat): State<Etat>,
    connecte: Connecte,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    if let Err(r) = formulaire(&entetes, &corps) {
        return r;
    }
    let a = match activite_autorisee(&etat, &connecte, &id, Action::Supprimer).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match etat
        .store()
        .supprimer_activite(&a.id, &connecte.utilisateur.id, etat.maintenant())
        .await
    {
        Ok(_) => sans_cache(Redirect::to("/espace/activites?supprimee=1").into_response()),
        Err(maillage_store::StoreError::NotFound { .. }) => introuvable(),
        Err(e) => indisponible(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durees_en_clair() {
        assert_eq!(libelle_duree(45), "45 min");
        assert_eq!(libelle_duree(60), "1 h");
        assert_eq!(libelle_duree(90), "1 h 30");
        assert_eq!(libelle_duree(125), "2 h 05");
    }

    #[test]
    fn nom_et_code_des_communes() {
        assert_eq!(
            nom_et_code("Angoulême (16015)"),
            Some(("Angoulême".into(), "16015".into()))
        );
        assert_eq!(
            nom_et_code("Angoulême 16000"),
            Some(("Angoulême".into(), "16000".into()))
        );
        assert_eq!(
            nom_et_code("16000 Angoulême"),
            Some(("Angoulême".into(), "16000".into()))
        );
        assert_eq!(nom_et_code("Angoulême"), None);
    }

    #[test]
    fn communes_lues() {
        let r = maillage_territoires::Referentiel::embarque().expect("referential");
        let code = |t: &str| match lire_commune(r, t) {
            CommuneLue::Trouvee(c) => Ok(c.code_insee.to_string()),
            CommuneLue::Erreur(m) => Err(m),
        };
        assert_eq!(code("16015").as_deref(), Ok("16015"));
        assert_eq!(code("16000").as_deref(), Ok("16015"));
        assert_eq!(code("Angoulême (16015)").as_deref(), Ok("16015"));
        assert_eq!(code("angouleme 16000").as_deref(), Ok("16015"));
        let inconnue = code("Nullepartville").expect_err("unknown");
        assert!(inconnue.contains("Nullepartville"), "{inconnue}");
        let absent = code("00000").expect_err("unknown code");
        assert!(absent.contains("ni un code INSEE"), "{absent}");
        // Several communes share most postcodes of rural areas.
        let plusieurs = r
            .communes()
            .iter()
            .flat_map(|c| c.codes_postaux.iter())
            .find(|cp| r.communes_du_code_postal(cp).len() > 1 && r.commune(cp).is_none())
            .expect("shared postcode")
            .to_string();
        let m = code(&plusieurs).expect_err("ambiguous");
        assert!(m.contains("plusieurs communes"), "{m}");
    }

    #[test]
    fn identifiant_ou_adresse_du_lieu() {
        assert_eq!(identifiant_lieu_saisi(" abc-123 "), "abc-123");
        assert_eq!(
            identifiant_lieu_saisi("https://maillage.exemple.fr/lieux/a%20b?x=1"),
            "a b"
        );
        assert_eq!(identifiant_lieu_saisi("/lieux/a+b/"), "a+b");
    }
}
