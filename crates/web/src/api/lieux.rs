//! `GET /api/v1/lieux`, `GET /api/v1/lieux/{id}`, `GET /api/v1/carte`.

use super::{arrondi_km, erreur, erreur_parametre, objet_lieu, ErreurApi};
use crate::etat::Etat;
use crate::parametres::Filtres;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_lieux::lieu::format_coordonnee;
use maillage_orientation::{Recherche, Tri};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Results per page when `par_page` is not given.
pub const PAR_PAGE_DEFAUT: usize = 20;

/// A place: the standard's fields (as in its JSON export; empty fields
/// omitted, lists joined with `|`), plus `distance_km` when a position is
/// given.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct LieuApi {
    id: String,
    pivot: String,
    nom: String,
    commune: String,
    code_postal: String,
    code_insee: Option<String>,
    adresse: String,
    complement_adresse: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// Codes séparés par `|`.
    typologie: Option<String>,
    telephone: Option<String>,
    courriels: Option<String>,
    site_web: Option<String>,
    /// Syntaxe OpenStreetMap `opening_hours`.
    horaires: Option<String>,
    presentation_resume: Option<String>,
    presentation_detail: Option<String>,
    source: Option<String>,
    itinerance: Option<String>,
    structure_parente: Option<String>,
    /// AAAA-MM-JJ.
    date_maj: String,
    services: Option<String>,
    publics_specifiquement_adresses: Option<String>,
    prise_en_charge_specifique: Option<String>,
    frais_a_charge: Option<String>,
    dispositif_programmes_nationaux: Option<String>,
    formations_labels: Option<String>,
    autres_formations_labels: Option<String>,
    modalites_acces: Option<String>,
    modalites_accompagnement: Option<String>,
    fiche_acces_libre: Option<String>,
    prise_rdv: Option<String>,
    /// Distance au point donné (km), seulement quand une position est donnée.
    distance_km: Option<f64>,
}

/// `{"total": N, "lieux": [...]}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReponseLieux {
    /// Nombre de lieux correspondants, toutes pages confondues.
    total: u64,
    lieux: Vec<LieuApi>,
}

pub(crate) fn recherche_api(
    etat: &Etat,
    requete: &str,
) -> Result<(Filtres, Recherche), Box<Response>> {
    let f = Filtres::analyser(requete, etat.referentiel())
        .map_err(|e| Box::new(erreur_parametre(e)))?;
    let mut r = f.recherche(PAR_PAGE_DEFAUT);
    if f.origine.is_some() && f.tri.is_none() {
        r.tri = Tri::Distance;
    }
    Ok((f, r))
}

#[utoipa::path(
    get,
    path = "/api/v1/lieux",
    tag = "lieux",
    summary = "Chercher des lieux",
    description = "Les lieux qui correspondent à tous les filtres donnés (plusieurs valeurs d'un même filtre : l'une ou l'autre). Les filtres d'énumération portent le nom du champ du standard et prennent ses valeurs, séparées par des virgules ou en clés répétées. Avec une position (latitude et longitude, ou pres_de), chaque lieu porte distance_km et les lieux sont triés du plus proche au plus loin.",
    params(
        ("q" = Option<String>, Query, description = "Texte cherché dans le nom, la commune, le code postal et l'adresse (200 caractères au plus)."),
        ("services" = Option<String>, Query, description = "Valeurs du standard séparées par des virgules, ex. `Aide aux démarches administratives`."),
        ("publics_specifiquement_adresses" = Option<String>, Query, description = "Jeunes, Étudiants, Familles et/ou enfants, Seniors, Femmes."),
        ("prise_en_charge_specifique" = Option<String>, Query, description = "Surdité, Handicaps moteurs, Handicaps mentaux, Illettrisme, Langues étrangères (anglais), Langues étrangères (autres), Déficience visuelle."),
        ("frais_a_charge" = Option<String>, Query, description = "Gratuit, Gratuit sous condition, Payant."),
        ("modalites_acces" = Option<String>, Query, description = "Valeurs du standard."),
        ("modalites_accompagnement" = Option<String>, Query, description = "Valeurs du standard."),
        ("dispositif_programmes_nationaux" = Option<String>, Query, description = "Valeurs du standard, ex. `France Services`."),
        ("formations_labels" = Option<String>, Query, description = "Valeurs du standard."),
        ("itinerance" = Option<String>, Query, description = "Itinérant, Fixe."),
        ("typologie" = Option<String>, Query, description = "Codes du standard, ex. `BIB,MUNI`."),
        ("source" = Option<String>, Query, description = "Noms exacts de sources (champ `source`)."),
        ("territoire" = Option<String>, Query, description = "`reg:CODE`, `dep:CODE`, `epci:SIREN` ou `com:CODE_INSEE`."),
        ("latitude" = Option<f64>, Query, description = "Latitude du point de départ (WGS84), avec longitude."),
        ("longitude" = Option<f64>, Query, description = "Longitude du point de départ (WGS84), avec latitude."),
        ("pres_de" = Option<String>, Query, description = "Point de départ en texte : commune, code postal ou « latitude, longitude »."),
        ("rayon_km" = Option<f64>, Query, description = "Seulement les lieux à moins de cette distance du point de départ (0,1 à 1000)."),
        ("ouvert_maintenant" = Option<bool>, Query, description = "`true` : ouverts maintenant (heure locale du lieu)."),
        ("ouvert_le" = Option<String>, Query, description = "Ouverts à cette date et heure locales, ISO 8601 (`2025-03-14T10:30`)."),
        ("ouvert_week_end" = Option<bool>, Query, description = "`true` : ouverts le samedi ou le dimanche qui viennent."),
        ("prise_rdv" = Option<bool>, Query, description = "`true` : seulement les lieux avec prise de rendez-vous en ligne."),
        ("tri" = Option<String>, Query, description = "`pertinence` (défaut), `distance` ou `nom`."),
        ("page" = Option<u32>, Query, description = "Page, de 1 à 10 000."),
        ("par_page" = Option<u32>, Query, description = "Lieux par page, de 1 à 100 (20 par défaut)."),
    ),
    responses(
        (status = 200, description = "Une page de lieux", body = ReponseLieux),
        (status = 400, description = "Paramètre invalide (le message nomme le paramètre et la valeur)", body = ErreurApi),
        (status = 429, description = "Trop de requêtes", body = ErreurApi),
    )
)]
pub async fn lieux(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let (_, r) = match recherche_api(&etat, q.as_deref().unwrap_or_default()) {
        Ok(x) => x,
        Err(rep) => return *rep,
    };
    let c = etat.catalogue();
    let res = c.rechercher(&r, etat.maintenant());
    let avec_distance = r.position.is_some();
    let lieux: Vec<Value> = res
        .lieux
        .iter()
        .map(|t| {
            let mut o = objet_lieu(&c.lieux()[t.index]);
            if avec_distance {
                o.insert(
                    "distance_km".to_string(),
                    t.distance_km.map_or(Value::Null, arrondi_km),
                );
            }
            Value::Object(o)
        })
        .collect();
    Json(json!({ "total": res.total, "lieux": lieux })).into_response()
}

#[utoipa::path(
    get,
    path = "/api/v1/lieux/{id}",
    tag = "lieux",
    summary = "Un lieu",
    params(("id" = String, Path, description = "Identifiant publié du lieu")),
    responses(
        (status = 200, description = "Le lieu, champs du standard", body = LieuApi),
        (status = 404, description = "Aucun lieu n'a cet identifiant", body = ErreurApi),
    )
)]
pub async fn lieu(State(etat): State<Etat>, Path(id): Path<String>) -> Response {
    let c = etat.catalogue();
    match c.lieu(&id) {
        Some(l) => Json(Value::Object(objet_lieu(l))).into_response(),
        None => erreur(
            StatusCode::NOT_FOUND,
            format!(
                "aucun lieu n'a l'identifiant « {} »",
                id.chars().take(100).collect::<String>()
            ),
        ),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/carte",
    tag = "lieux",
    summary = "Points de la carte",
    description = "Les lieux géolocalisés qui correspondent aux filtres (mêmes paramètres que /api/v1/lieux, sans pagination), en GeoJSON allégé : identifiant, nom, commune, précision des coordonnées.",
    responses(
        (status = 200, description = "FeatureCollection GeoJSON", content_type = "application/geo+json"),
        (status = 400, description = "Paramètre invalide", body = ErreurApi),
    )
)]
pub async fn carte(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let (_, mut r) = match recherche_api(&etat, q.as_deref().unwrap_or_default()) {
        Ok(x) => x,
        Err(rep) => return *rep,
    };
    let c = etat.catalogue();
    r.page = 1;
    r.par_page = c.len().max(1);
    let res = c.rechercher(&r, etat.maintenant());
    let mut sortie = String::with_capacity(res.lieux.len() * 160 + 64);
    sortie.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
    let mut premier = true;
    for t in &res.lieux {
        let l = &c.lieux()[t.index];
        let Some(p) = c.fiche(t.index).position else {
            continue;
        };
        let props = json!({
            "id": l.id.as_str(),
            "nom": l.nom.as_str(),
            "commune": l.commune.as_str(),
            "approximative": l.precision_coordonnees.approximative(),
        });
        if !premier {
            sortie.push(',');
        }
        premier = false;
        sortie.push_str(&format!(
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{},{}]}},\"properties\":{}}}",
            format_coordonnee(p.longitude),
            format_coordonnee(p.latitude),
            props
        ));
    }
    sortie.push_str("]}");
    ([(header::CONTENT_TYPE, "application/geo+json")], sortie).into_response()
}
