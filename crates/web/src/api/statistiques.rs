//! `GET /api/v1/statistiques`: the statistics of a scope the token's owner
//! may read, with the filters of the workspace's statistics page (same
//! parameter names, same checks, same computation: `espace::statistiques`),
//! as codes and counts a client can chart or compare.

use super::jetons::{interdit, ClientApi, LimiteApi};
use super::ErreurApi;
use crate::espace::statistiques::{calculer, libelle_mois, tous_les_mois, Echec};
use crate::espace::Champs;
use crate::etat::Etat;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use maillage_activites::TrancheDuree;
use maillage_comptes::{Action, PorteeApi};
use maillage_store::{Compte, Statistiques};
use serde::Serialize;
use utoipa::ToSchema;

/// The "statistiques générales".
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotauxApi {
    /// Comptes rendus d'activité.
    pub activites: u64,
    pub activites_individuelles: u64,
    pub activites_collectives: u64,
    /// Personnes accompagnées (un atelier compte ses participants).
    pub accompagnements: u64,
    pub accompagnements_individuels: u64,
    pub accompagnements_collectifs: u64,
    /// Somme des durées, en minutes.
    pub duree_minutes: u64,
    /// Médiateurs ayant au moins une activité comptée.
    pub mediateurs: u64,
}

/// One value of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LigneStatistiqueApi {
    /// Code de la valeur (codes de La Coop ; `AAAA-MM` pour un mois ; code
    /// INSEE pour une commune ; identifiant du registre pour un lieu).
    pub code: String,
    /// Libellé en français.
    pub libelle: String,
    /// Activités ayant cette valeur.
    pub activites: u64,
    /// Personnes accompagnées par ces activités.
    pub accompagnements: u64,
}

/// The statistics of one scope and period.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReponseStatistiques {
    /// Le périmètre compté (`soi`, `equipe`, `structure:SIRET`,
    /// `departement:CODE`, `region:CODE`, `national`).
    pub perimetre: String,
    pub libelle_perimetre: String,
    /// Début de la période (inclus).
    pub du: NaiveDate,
    /// Fin de la période (incluse).
    pub au: NaiveDate,
    pub totaux: TotauxApi,
    /// Chaque mois de la période, zéros compris.
    pub par_mois: Vec<LigneStatistiqueApi>,
    /// Les 30 thématiques (médiation numérique puis démarches administratives).
    pub thematiques: Vec<LigneStatistiqueApi>,
    pub materiel: Vec<LigneStatistiqueApi>,
    /// Types de lieu.
    pub canaux: Vec<LigneStatistiqueApi>,
    /// Les 4 tranches de durée (`0-30`, `30-60`, `60-120`, `120+` minutes).
    pub durees: Vec<LigneStatistiqueApi>,
    pub genres: Vec<LigneStatistiqueApi>,
    pub tranches_age: Vec<LigneStatistiqueApi>,
    pub statuts_sociaux: Vec<LigneStatistiqueApi>,
    /// Les 50 communes (à domicile ou autre lieu) les plus fréquentes.
    pub communes: Vec<LigneStatistiqueApi>,
    /// Les 50 lieux d'activité les plus fréquents.
    pub lieux: Vec<LigneStatistiqueApi>,
}

/// Stable codes of the duration buckets (La Coop gives them none).
fn code_duree(t: TrancheDuree) -> &'static str {
    match t {
        TrancheDuree::MoinsDe30Min => "0-30",
        TrancheDuree::De30MinA1H => "30-60",
        TrancheDuree::De1HA2H => "60-120",
        TrancheDuree::DeuxHeuresEtPlus => "120+",
    }
}

fn ligne(code: impl Into<String>, libelle: impl Into<String>, c: Compte) -> LigneStatistiqueApi {
    LigneStatistiqueApi {
        code: code.into(),
        libelle: libelle.into(),
        activites: c.activites,
        accompagnements: c.accompagnements,
    }
}

impl ReponseStatistiques {
    fn depuis(
        etat: &Etat,
        perimetre: String,
        libelle_perimetre: String,
        du: NaiveDate,
        au: NaiveDate,
        s: &Statistiques,
    ) -> ReponseStatistiques {
        let t = &s.totaux;
        let referentiel = etat.referentiel();
        let par_mois = tous_les_mois(s, du, au)
            .into_iter()
            .map(|(m, c)| ligne(m.clone(), libelle_mois(&m), c))
            .collect();
        ReponseStatistiques {
            perimetre,
            libelle_perimetre,
            du,
            au,
            totaux: TotauxApi {
                activites: t.activites,
                activites_individuelles: t.activites_individuelles,
                activites_collectives: t.activites_collectives,
                accompagnements: t.accompagnements,
                accompagnements_individuels: t.accompagnements_individuels,
                accompagnements_collectifs: t.accompagnements_collectifs,
                duree_minutes: t.duree_minutes,
                mediateurs: t.mediateurs,
            },
            par_mois,
            thematiques: s
                .par_thematique
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            materiel: s
                .par_materiel
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            canaux: s
                .par_type_lieu
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            durees: s
                .par_duree
                .iter()
                .map(|(v, c)| ligne(code_duree(*v), v.libelle(), *c))
                .collect(),
            genres: s
                .par_genre
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            tranches_age: s
                .par_tranche_age
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            statuts_sociaux: s
                .par_statut_social
                .iter()
                .map(|(v, c)| ligne(v.code(), v.libelle(), *c))
                .collect(),
            communes: s
                .par_commune
                .iter()
                .map(|(code, c)| {
                    let nom = referentiel
                        .commune(code)
                        .map_or_else(|| code.clone(), |x| x.nom.to_string());
                    ligne(code.clone(), nom, *c)
                })
                .collect(),
            lieux: s
                .par_lieu
                .iter()
                .map(|(id, c)| ligne(id.clone(), id.clone(), *c))
                .collect(),
        }
    }
}

fn sans_cache(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[utoipa::path(
    get,
    path = "/api/v1/statistiques",
    tag = "activites",
    summary = "Lire les statistiques d'un périmètre",
    description = "Les statistiques des activités d'un périmètre que le propriétaire du jeton peut lire (ses propres activités, son équipe pendant la période de chaque lien, sa structure, son département ou sa région, la France entière pour un administrateur), avec les filtres de la page « Statistiques » de l'espace : mêmes paramètres, mêmes contrôles, mêmes chiffres. Sans `perimetre`, le premier périmètre permis. Jeton de portée `statistiques:lecture` requis.",
    params(
        ("perimetre" = Option<String>, Query, description = "`soi`, `equipe`, `structure:SIRET`, `departement:CODE`, `region:CODE` ou `national`."),
        ("du" = Option<String>, Query, description = "Début de la période, AAAA-MM-JJ (par défaut : le premier jour du mois, il y a 11 mois)."),
        ("au" = Option<String>, Query, description = "Fin de la période, AAAA-MM-JJ (par défaut : aujourd'hui)."),
        ("type" = Option<String>, Query, description = "`individuel` ou `collectif`."),
        ("type_lieu" = Option<String>, Query, description = "`LieuActivite`, `Autre`, `Domicile` ou `ADistance`."),
        ("lieu" = Option<String>, Query, description = "Identifiant d'un lieu d'activité du registre."),
        ("thematique" = Option<String>, Query, description = "Code d'une thématique."),
        ("mediateur" = Option<String>, Query, description = "Un médiateur de l'équipe (périmètre `equipe` seulement)."),
        ("commune" = Option<String>, Query, description = "Code INSEE d'une commune du périmètre."),
        ("epci" = Option<String>, Query, description = "Code SIREN d'un EPCI du périmètre."),
    ),
    responses(
        (status = 200, description = "Les statistiques", body = ReponseStatistiques),
        (status = 400, description = "Paramètre invalide (le message nomme le paramètre)", body = ErreurApi),
        (status = 401, description = "Jeton manquant, mal formé, inconnu, expiré ou révoqué", body = ErreurApi),
        (status = 403, description = "Le jeton n'a pas la portée `statistiques:lecture`, ou ce périmètre n'est pas permis à son propriétaire", body = ErreurApi),
        (status = 429, description = "Trop de requêtes", body = ErreurApi),
    ),
    security(("jeton" = ["statistiques:lecture"])),
)]
pub async fn statistiques(
    _limite: LimiteApi,
    State(etat): State<Etat>,
    client: ClientApi,
    RawQuery(requete): RawQuery,
) -> Response {
    if let Err(r) = client.exiger(PorteeApi::StatistiquesLecture) {
        return r;
    }
    let c = match calculer(&etat, &client.acteur, requete.as_deref(), Action::Consulter).await {
        Ok(c) => c,
        Err(Echec::Refus(r)) => return interdit(r.to_string()),
        Err(Echec::Indisponible(e)) => {
            tracing::error!("API statistiques : {e}");
            return super::erreur(
                StatusCode::SERVICE_UNAVAILABLE,
                "La base de données ne répond pas : réessayez dans quelques minutes.",
            );
        }
    };
    let Some((libelle, s)) = &c.resultat else {
        // The form's field ids are the parameter names.
        let champs = Champs::lire(requete.as_deref().unwrap_or(""));
        let premiere = c.erreurs.first().map(|e| e.champ).unwrap_or_default();
        let message = c
            .erreurs
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return sans_cache(
            (
                StatusCode::BAD_REQUEST,
                Json(ErreurApi {
                    erreur: message,
                    parametre: (!premiere.is_empty()).then(|| premiere.to_string()),
                    valeur: (!premiere.is_empty()).then(|| champs.texte(premiere).to_string()),
                }),
            )
                .into_response(),
        );
    };
    let d = &c.demande;
    sans_cache(
        Json(ReponseStatistiques::depuis(
            &etat,
            c.cle.clone(),
            libelle.clone(),
            d.du,
            d.au,
            s,
        ))
        .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_des_tranches_de_duree_distincts() {
        let codes: std::collections::BTreeSet<&str> =
            TrancheDuree::ALL.iter().map(|t| code_duree(*t)).collect();
        assert_eq!(codes.len(), TrancheDuree::ALL.len());
    }
}
