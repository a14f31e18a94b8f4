//! `/territoires`: counts per région and département; one page per région
//! and département with breakdowns (accessible tables and SVG bars) and the
//! list of places.

use super::{erreur, milliers, nombre_lieux, rendre, resume, LieuResume, Mise, Pagination};
use crate::etat::Etat;
use crate::parametres::Requete;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maillage_lieux::Valeur;
use maillage_orientation::{Recherche, Territoire, Tri};
use std::collections::HashMap;

/// Places listed per page of a territory.
pub const PAR_PAGE: usize = 25;

#[derive(Debug, Clone)]
pub struct Barre {
    pub libelle: String,
    pub nombre: String,
    pub largeur: u32,
}

fn barres(v: impl IntoIterator<Item = (String, usize)>) -> Vec<Barre> {
    let v: Vec<(String, usize)> = v.into_iter().collect();
    let max = v.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    v.into_iter()
        .map(|(libelle, n)| Barre {
            libelle,
            nombre: milliers(n),
            largeur: ((n as f64 / max as f64) * 460.0).round() as u32,
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct LigneTerritoire {
    pub code: String,
    pub nom: String,
    pub lien: String,
    pub nombre: String,
    pub departements: Vec<LigneTerritoire>,
}

#[derive(Template)]
#[template(path = "territoires.html")]
pub struct PageIndex {
    pub mise: Mise,
    pub total: String,
    pub regions: Vec<LigneTerritoire>,
}

pub async fn index(State(etat): State<Etat>) -> Response {
    let c = etat.catalogue();
    let stats = c.statistiques(&Recherche::default(), etat.maintenant());
    let r = etat.referentiel();
    let par_region: HashMap<&str, usize> = stats
        .regions
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let par_dep: HashMap<&str, usize> = stats
        .departements
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let mut regions: Vec<_> = r.regions().iter().collect();
    regions.sort_by(|a, b| a.nom.cmp(&b.nom));
    let regions = regions
        .into_iter()
        .map(|reg| LigneTerritoire {
            code: reg.code.to_string(),
            nom: reg.nom.to_string(),
            lien: format!("/territoires/reg/{}", reg.code),
            nombre: milliers(par_region.get(reg.code.as_str()).copied().unwrap_or(0)),
            departements: r
                .departements_de_region(&reg.code)
                .into_iter()
                .map(|d| LigneTerritoire {
                    code: d.code.to_string(),
                    nom: d.nom.to_string(),
                    lien: format!("/territoires/dep/{}", d.code),
                    nombre: milliers(par_dep.get(d.code.as_str()).copied().unwrap_or(0)),
                    departements: Vec::new(),
                })
                .collect(),
        })
        .collect();
    rendre(
        StatusCode::OK,
        &PageIndex {
            mise: Mise::new("Les lieux par territoire", "territoires"),
            total: milliers(c.len()),
            regions,
        },
    )
}

#[derive(Template)]
#[template(path = "territoire.html")]
pub struct PageTerritoire {
    pub mise: Mise,
    pub titre: String,
    pub genre: &'static str,
    pub parent: Option<(String, String)>,
    pub total: String,
    pub total_n: usize,
    pub services: Vec<Barre>,
    pub typologies: Vec<Barre>,
    pub dispositifs: Vec<Barre>,
    pub frais: Vec<Barre>,
    pub sous_territoires: Vec<LigneTerritoire>,
    pub lieux: Vec<LieuResume>,
    pub premier: usize,
    pub pagination: Pagination,
    pub lien_recherche: String,
    pub code_territoire: String,
}

pub async fn region(
    State(etat): State<Etat>,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    territoire(
        &etat,
        Territoire::Region(code.as_str().into()),
        q.as_deref(),
    )
}

pub async fn departement(
    State(etat): State<Etat>,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let code = code.to_uppercase();
    territoire(
        &etat,
        Territoire::Departement(code.as_str().into()),
        q.as_deref(),
    )
}

fn territoire(etat: &Etat, t: Territoire, q: Option<&str>) -> Response {
    let r = etat.referentiel();
    let (titre, genre, parent) = match &t {
        Territoire::Region(c) => match r.region(c) {
            Some(x) => (x.nom.to_string(), "la région", None),
            None => return inconnu(),
        },
        Territoire::Departement(c) => match r.departement(c) {
            Some(x) => (
                format!("{} ({})", x.nom, x.code),
                "le département",
                r.region(&x.region).map(|reg| {
                    (
                        reg.nom.to_string(),
                        format!("/territoires/reg/{}", reg.code),
                    )
                }),
            ),
            None => return inconnu(),
        },
        _ => return inconnu(),
    };
    let page = Requete::analyser(q.unwrap_or_default())
        .ok()
        .and_then(|r| {
            crate::parametres::entier(&r, "page", 1, crate::parametres::PAGE_MAX)
                .ok()
                .flatten()
        })
        .unwrap_or(1);
    let c = etat.catalogue();
    let maintenant = etat.maintenant();
    let recherche = Recherche {
        territoire: Some(t.clone()),
        tri: Tri::Nom,
        page,
        par_page: PAR_PAGE,
        ..Recherche::default()
    };
    let stats = c.statistiques(&recherche, maintenant);
    let res = c.rechercher(&recherche, maintenant);
    let sous_territoires = match &t {
        Territoire::Region(code) => {
            let par_dep: HashMap<&str, usize> = stats
                .departements
                .iter()
                .map(|(k, n)| (k.as_str(), *n))
                .collect();
            r.departements_de_region(code)
                .into_iter()
                .map(|d| LigneTerritoire {
                    code: d.code.to_string(),
                    nom: d.nom.to_string(),
                    lien: format!("/territoires/dep/{}", d.code),
                    nombre: milliers(par_dep.get(d.code.as_str()).copied().unwrap_or(0)),
                    departements: Vec::new(),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let chemin = format!("/territoires/{}/{}", t.prefixe(), t.code());
    let pagination = Pagination::new(page, res.total, PAR_PAGE, |p| {
        format!("{chemin}?page={p}#lieux")
    });
    let mut mise = Mise::new(
        format!("Les lieux de médiation numérique : {titre}"),
        "territoires",
    );
    if page > 1 {
        mise.titre = format!("{} — page {}", mise.titre, pagination.page);
    }
    rendre(
        StatusCode::OK,
        &PageTerritoire {
            mise,
            titre,
            genre,
            parent,
            total: nombre_lieux(stats.total),
            total_n: stats.total,
            services: barres(
                stats
                    .services
                    .iter()
                    .map(|(s, n)| (s.libelle().to_string(), *n)),
            ),
            typologies: barres(
                stats
                    .typologies
                    .iter()
                    .take(15)
                    .map(|(s, n)| (format!("{} ({})", s.libelle(), s.valeur()), *n)),
            ),
            dispositifs: barres(
                stats
                    .dispositifs
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(s, n)| (s.libelle().to_string(), *n)),
            ),
            frais: barres(
                stats
                    .frais_a_charge
                    .iter()
                    .map(|(s, n)| (s.libelle().to_string(), *n)),
            ),
            sous_territoires,
            premier: (pagination.page - 1) * PAR_PAGE + 1,
            lieux: res
                .lieux
                .iter()
                .map(|x| resume(etat, &c, x.index, x.distance_km))
                .collect(),
            pagination,
            lien_recherche: format!("/lieux?territoire={}", t),
            code_territoire: t.to_string(),
        },
    )
}

fn inconnu() -> Response {
    erreur(
        StatusCode::NOT_FOUND,
        "Territoire inconnu",
        "Ce code ne correspond à aucune région ni à aucun département du référentiel.",
    )
}
