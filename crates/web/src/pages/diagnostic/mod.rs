//! `/territoires/{…}/diagnostic`: the territorial diagnostic of France, a
//! région, a département, an EPCI or a commune (page, CSV and XLSX), from
//! one [`Diagnostic`] computed over the access data the state keeps per
//! published registry.

pub mod carte;
mod fichiers;

use self::carte::Indicateur;
use super::{erreur, rendre, Choix, Mise};
use crate::etat::Etat;
use crate::graphiques::nombre_fr;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maillage_diagnostic::{Diagnostic, EchelonCarte, Perimetre, RAYONS_KM, RAYON_DEFAUT_KM};
use maillage_territoires::{Referentiel, Territoire};

/// Zones blanches listed on the page (the files have them all).
pub const ZONES_AFFICHEES: usize = 100;

/// The routes of the diagnostic pages and files.
pub fn routes() -> Router<Etat> {
    let mut r = Router::new();
    for base in [
        "/territoires/france",
        "/territoires/reg/{code}",
        "/territoires/dep/{code}",
        "/territoires/epci/{code}",
        "/territoires/com/{code}",
    ] {
        r = r
            .route(&format!("{base}/diagnostic"), get(page))
            .route(&format!("{base}/diagnostic.csv"), get(page))
            .route(&format!("{base}/diagnostic.xlsx"), get(page));
    }
    r
}

/// `1,5`: French decimal comma, `decimales` digits.
pub fn decimal(x: f64, decimales: usize) -> String {
    let s = format!("{x:.decimales$}");
    match s.split_once('.') {
        Some((e, d)) => format!("{},{d}", entier_fr(e)),
        None => entier_fr(&s),
    }
}

fn entier_fr(e: &str) -> String {
    match e.strip_prefix('-') {
        Some(p) => format!("-{}", entier_fr(p)),
        None => e.parse::<u64>().map_or_else(|_| e.to_string(), nombre_fr),
    }
}

/// `12,5 %` from a share 0..1.
pub fn pourcent(part: f64) -> String {
    format!("{}\u{202f}%", decimal(part * 100.0, 1))
}

pub fn km(d: Option<f64>) -> String {
    d.map_or_else(
        || "aucun lieu".to_string(),
        |d| format!("{}\u{a0}km", decimal(d, 1)),
    )
}

/// The territory and the format asked by the path
/// `/territoires/{france | niveau/code}/diagnostic[.csv|.xlsx]`.
fn lire_chemin(chemin: &str) -> Option<(Perimetre, &str)> {
    let reste = chemin.strip_prefix("/territoires/")?;
    let (territoire, fichier) = reste.rsplit_once('/')?;
    let format = fichier.strip_prefix("diagnostic")?;
    let perimetre = match territoire.split_once('/') {
        None if territoire == "france" => Perimetre::France,
        Some((niveau, code)) => format!("{niveau}:{code}").parse().ok()?,
        None => return None,
    };
    Some((perimetre, format))
}

/// The options of the query: radius of the zones blanches and indicator of
/// the map. Anything else falls back to the defaults.
pub fn lire_options(requete: Option<&str>) -> (u32, Indicateur) {
    let mut rayon = RAYON_DEFAUT_KM;
    let mut indicateur = Indicateur::Distance;
    for (k, v) in form_urlencoded::parse(requete.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "distance" => {
                if let Some(r) = v.trim().parse().ok().filter(|r| RAYONS_KM.contains(r)) {
                    rayon = r;
                }
            }
            "indicateur" => indicateur = Indicateur::depuis(Some(v.as_ref())),
            _ => {}
        }
    }
    (rayon, indicateur)
}

/// The diagnostic of `perimetre` over the current data; `None`: unknown.
pub fn calculer(etat: &Etat, perimetre: &Perimetre, rayon_km: u32) -> Option<Diagnostic> {
    Diagnostic::calculer(
        etat.referentiel(),
        &etat.donnees_diagnostic(),
        perimetre,
        f64::from(rayon_km),
    )
}

/// `GET /territoires/{…}/diagnostic`, `.csv`, `.xlsx`.
pub async fn page(State(etat): State<Etat>, uri: Uri, RawQuery(q): RawQuery) -> Response {
    let Some((perimetre, format)) = lire_chemin(uri.path()) else {
        return inconnu();
    };
    let (rayon, indicateur) = lire_options(q.as_deref());
    let Some(d) = calculer(&etat, &perimetre, rayon) else {
        return inconnu();
    };
    match format {
        ".csv" => fichiers::csv(&d),
        ".xlsx" => fichiers::xlsx(&d),
        _ => rendre(
            StatusCode::OK,
            &construire(etat.referentiel(), &perimetre, d, rayon, indicateur),
        ),
    }
}

fn inconnu() -> Response {
    erreur(
        StatusCode::NOT_FOUND,
        "Territoire inconnu",
        "Ce code ne correspond à aucun territoire du référentiel (région, département, EPCI ou commune).",
    )
}

#[derive(Debug, Clone)]
pub struct Lien {
    pub libelle: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct LigneOffre {
    pub libelle: String,
    pub lieux: String,
    pub pour_10000: String,
}

#[derive(Debug, Clone)]
pub struct LigneAcces {
    pub libelle: String,
    pub moyenne: String,
    pub max: String,
    pub plus_10: String,
    pub part_10: String,
    pub plus_20: String,
    pub part_20: String,
}

#[derive(Debug, Clone)]
pub struct LigneZone {
    pub nom: String,
    pub code: String,
    pub lien: String,
    pub population: String,
    pub distance: String,
}

#[derive(Debug, Clone)]
pub struct LigneCarte {
    pub nom: String,
    pub code: String,
    pub lien: String,
    pub population: String,
    pub lieux: String,
    pub pour_10000: String,
    pub mesure: String,
    pub classe: String,
}

#[derive(Template)]
#[template(path = "diagnostic.html")]
pub struct PageDiagnostic {
    pub mise: Mise,
    pub titre: String,
    pub ariane: Vec<Lien>,
    pub chemin: String,
    pub requete: String,
    pub chiffres: Vec<(String, String)>,
    pub services: Vec<LigneOffre>,
    pub typologies: Vec<LigneOffre>,
    pub dispositifs: Vec<LigneOffre>,
    pub acces: Vec<LigneAcces>,
    pub rayon: String,
    pub rayons: Vec<Choix>,
    pub indicateurs: Vec<Choix>,
    pub zones: Vec<LigneZone>,
    pub zones_total: usize,
    pub zones_population: String,
    pub carte_svg: String,
    pub carte_titre: String,
    pub carte_unite: &'static str,
    pub carte_mesure: String,
    pub carte_lignes: Vec<LigneCarte>,
    pub non_evaluees: Option<String>,
    pub lien_lieux: Option<Lien>,
    pub lien_api: String,
    pub sous_territoires: Vec<Lien>,
    pub sous_titre: &'static str,
}

fn lien_diagnostic(t: &Territoire) -> String {
    format!("/territoires/{}/{}/diagnostic", t.prefixe(), t.code())
}

/// The page's key figures (also the files' first section).
pub fn chiffres_cles(d: &Diagnostic) -> Vec<(String, String)> {
    let global = d.acces_global();
    let mut v = vec![
        ("Population".to_string(), nombre_fr(d.population)),
        ("Communes".to_string(), nombre_fr(d.communes as u64)),
        (
            "Lieux de médiation numérique".to_string(),
            nombre_fr(d.lieux as u64),
        ),
        (
            "Lieux pour 10 000 habitants".to_string(),
            decimal(d.lieux_pour_10000, 2),
        ),
    ];
    if let Some(g) = global {
        v.push((
            "Distance moyenne au lieu le plus proche (par habitant)".to_string(),
            km(g.distance_moyenne_km),
        ));
        v.push((
            "Population à plus de 10 km de tout lieu".to_string(),
            format!(
                "{} ({})",
                nombre_fr(g.population_plus_10_km),
                pourcent(g.part_plus_10_km)
            ),
        ));
        v.push((
            "Population à plus de 20 km de tout lieu".to_string(),
            format!(
                "{} ({})",
                nombre_fr(g.population_plus_20_km),
                pourcent(g.part_plus_20_km)
            ),
        ));
    }
    v.push((
        format!(
            "Zones blanches (communes sans lieu à {} km ou moins)",
            decimal(d.rayon_km, 0)
        ),
        nombre_fr(d.zones_blanches.len() as u64),
    ));
    v
}

fn lignes_offre(v: &[maillage_diagnostic::Offre]) -> Vec<LigneOffre> {
    v.iter()
        .map(|o| LigneOffre {
            libelle: if o.libelle == o.valeur {
                o.libelle.clone()
            } else {
                format!("{} ({})", o.libelle, o.valeur)
            },
            lieux: nombre_fr(o.lieux as u64),
            pour_10000: decimal(o.pour_10000, 2),
        })
        .collect()
}

fn construire(
    r: &Referentiel,
    perimetre: &Perimetre,
    d: Diagnostic,
    rayon: u32,
    indicateur: Indicateur,
) -> PageDiagnostic {
    let chemin = format!("/territoires/{}/diagnostic", perimetre.chemin());
    let requete = format!("distance={rayon}&indicateur={}", indicateur.valeur());
    let mut ariane = vec![
        Lien {
            libelle: "Territoires".into(),
            url: "/territoires".into(),
        },
        Lien {
            libelle: "France".into(),
            url: "/territoires/france/diagnostic".into(),
        },
    ];
    let mut departements: Vec<String> = Vec::new();
    let (lien_lieux, sous_territoires, sous_titre) = match perimetre {
        Perimetre::France => {
            ariane.pop();
            let mut regions: Vec<_> = r.regions().iter().collect();
            regions.sort_by(|a, b| a.nom.cmp(&b.nom));
            (
                Some(Lien {
                    libelle: "Les lieux par territoire".into(),
                    url: "/territoires".into(),
                }),
                regions
                    .into_iter()
                    .map(|x| Lien {
                        libelle: x.nom.to_string(),
                        url: lien_diagnostic(&Territoire::Region(x.code.clone())),
                    })
                    .collect(),
                "Diagnostic par région",
            )
        }
        Perimetre::Territoire(t) => {
            let commune = match t {
                Territoire::Commune(c) => r.commune(c),
                _ => None,
            };
            let departement = match t {
                Territoire::Departement(c) => Some(c.clone()),
                Territoire::Epci(c) => r
                    .epci(c)
                    .and_then(|e| (e.departements.len() == 1).then(|| e.departements[0].clone())),
                Territoire::Commune(_) => commune.map(|c| c.departement.clone()),
                Territoire::Region(_) => None,
            };
            let region = match t {
                Territoire::Region(_) => None,
                Territoire::Departement(c) => r.departement(c).map(|x| x.region.clone()),
                Territoire::Epci(_) => departement
                    .as_deref()
                    .and_then(|c| r.departement(c))
                    .map(|x| x.region.clone()),
                Territoire::Commune(_) => commune.map(|c| c.region.clone()),
            };
            if let Some(reg) = region.as_deref().and_then(|c| r.region(c)) {
                ariane.push(Lien {
                    libelle: reg.nom.to_string(),
                    url: lien_diagnostic(&Territoire::Region(reg.code.clone())),
                });
            }
            if !matches!(t, Territoire::Departement(_)) {
                if let Some(dep) = departement.as_deref().and_then(|c| r.departement(c)) {
                    ariane.push(Lien {
                        libelle: dep.nom.to_string(),
                        url: lien_diagnostic(&Territoire::Departement(dep.code.clone())),
                    });
                }
            }
            if let Some(epci) = commune
                .and_then(|c| c.epci.as_deref())
                .and_then(|e| r.epci(e))
            {
                ariane.push(Lien {
                    libelle: epci.nom.to_string(),
                    url: lien_diagnostic(&Territoire::Epci(epci.code.clone())),
                });
            }
            // Outlines under a map of communes.
            departements = match t {
                Territoire::Epci(c) => r
                    .epci(c)
                    .map(|e| e.departements.iter().map(|x| x.to_string()).collect())
                    .unwrap_or_default(),
                _ => departement.iter().map(|x| x.to_string()).collect(),
            };
            let lien_lieux = match t {
                Territoire::Region(_) | Territoire::Departement(_) => Some(Lien {
                    libelle: "Les lieux du territoire".into(),
                    url: format!("/territoires/{}/{}", t.prefixe(), t.code()),
                }),
                _ => Some(Lien {
                    libelle: "Chercher les lieux du territoire".into(),
                    url: format!("/lieux?territoire={}", super::segment(&t.to_string())),
                }),
            };
            let (sous, titre) = match t {
                Territoire::Region(c) => (
                    r.departements_de_region(c)
                        .into_iter()
                        .map(|x| Lien {
                            libelle: format!("{} ({})", x.nom, x.code),
                            url: lien_diagnostic(&Territoire::Departement(x.code.clone())),
                        })
                        .collect(),
                    "Diagnostic par département",
                ),
                Territoire::Departement(c) => {
                    let mut v: Vec<_> = r
                        .epcis()
                        .iter()
                        .filter(|e| e.departements.contains(c))
                        .collect();
                    v.sort_by(|a, b| a.nom.cmp(&b.nom));
                    (
                        v.into_iter()
                            .map(|x| Lien {
                                libelle: x.nom.to_string(),
                                url: lien_diagnostic(&Territoire::Epci(x.code.clone())),
                            })
                            .collect(),
                        "Diagnostic par intercommunalité (EPCI)",
                    )
                }
                _ => (Vec::new(), ""),
            };
            (lien_lieux, sous, titre)
        }
    };

    let echelon = d.carte.echelon;
    let libelles = carte::classes(echelon, indicateur);
    let (carte_unite, carte_mesure) = match (echelon, indicateur) {
        (EchelonCarte::Commune, Indicateur::Distance) => {
            ("Commune", "Distance au lieu le plus proche".to_string())
        }
        (EchelonCarte::Departement, Indicateur::Distance) => (
            "Département",
            format!(
                "Part de la population à plus de {} km de tout lieu",
                decimal(d.rayon_km, 0)
            ),
        ),
        (EchelonCarte::Commune, _) => ("Commune", "Lieux pour 10 000 habitants".to_string()),
        (EchelonCarte::Departement, _) => {
            ("Département", "Lieux pour 10 000 habitants".to_string())
        }
    };
    let carte_titre = format!(
        "{carte_mesure}, par {} — {}",
        carte_unite.to_lowercase(),
        d.nom
    );
    let description = match echelon {
        EchelonCarte::Commune => format!(
            "Carte : chaque commune est un point à son centre, coloré selon la classe ({}). \
             Le tableau qui suit donne la valeur de chaque commune.",
            libelles.join(", ")
        ),
        EchelonCarte::Departement => format!(
            "Carte des départements{} colorés selon la classe ({}). Le tableau qui suit \
             donne la valeur de chaque département.",
            if matches!(perimetre, Perimetre::France) {
                " de métropole (l'outre-mer figure dans le tableau)"
            } else {
                ""
            },
            libelles.join(", ")
        ),
    };
    let refs: Vec<&str> = departements.iter().map(String::as_str).collect();
    let carte_svg = carte::svg(
        "carte",
        &carte_titre,
        &description,
        &d.carte,
        indicateur,
        &refs,
    );
    let mut unites: Vec<_> = d.carte.unites.iter().collect();
    unites.sort_by(|a, b| a.nom.cmp(&b.nom).then_with(|| a.code.cmp(&b.code)));
    let carte_lignes = unites
        .into_iter()
        .map(|u| LigneCarte {
            nom: u.nom.clone(),
            code: u.code.clone(),
            lien: match echelon {
                EchelonCarte::Commune => {
                    lien_diagnostic(&Territoire::Commune(u.code.as_str().into()))
                }
                EchelonCarte::Departement => {
                    lien_diagnostic(&Territoire::Departement(u.code.as_str().into()))
                }
            },
            population: nombre_fr(u.population),
            lieux: nombre_fr(u.lieux as u64),
            pour_10000: decimal(u.lieux_pour_10000, 2),
            mesure: match echelon {
                EchelonCarte::Commune => km(u.distance_km),
                EchelonCarte::Departement => pourcent(u.part_eloignee),
            },
            classe: libelles[carte::classe(u, echelon, indicateur)].to_string(),
        })
        .collect();

    let zones = d
        .zones_blanches
        .iter()
        .take(ZONES_AFFICHEES)
        .map(|z| LigneZone {
            nom: z.nom.clone(),
            code: z.code_insee.clone(),
            lien: lien_diagnostic(&Territoire::Commune(z.code_insee.as_str().into())),
            population: nombre_fr(z.population),
            distance: km(z.distance_km),
        })
        .collect();
    let acces = d
        .acces
        .iter()
        .map(|a| LigneAcces {
            libelle: a.libelle.clone(),
            moyenne: km(a.distance_moyenne_km),
            max: km(a.distance_max_km),
            plus_10: nombre_fr(a.population_plus_10_km),
            part_10: pourcent(a.part_plus_10_km),
            plus_20: nombre_fr(a.population_plus_20_km),
            part_20: pourcent(a.part_plus_20_km),
        })
        .collect();
    let non_evaluees = (d.communes_non_evaluees > 0).then(|| {
        format!(
            "{} commune(s) sans centre connu ({} habitants) ne sont pas comptées dans les distances.",
            nombre_fr(d.communes_non_evaluees as u64),
            nombre_fr(d.population_non_evaluee)
        )
    });
    let titre = format!("Diagnostic territorial : {}", d.nom);
    let mut mise = Mise::new(titre.clone(), "territoires");
    mise.description = format!(
        "Offre de médiation numérique et accès aux lieux : {} ({}).",
        d.nom, d.niveau
    );
    mise.impression = true;
    PageDiagnostic {
        mise,
        titre,
        ariane,
        requete,
        chiffres: chiffres_cles(&d),
        services: lignes_offre(&d.services),
        typologies: lignes_offre(&d.typologies),
        dispositifs: lignes_offre(&d.dispositifs),
        acces,
        rayon: rayon.to_string(),
        rayons: RAYONS_KM
            .iter()
            .map(|&r| Choix::new(r.to_string(), format!("{r} km"), r == rayon))
            .collect(),
        indicateurs: [
            (Indicateur::Distance, "Distance au lieu le plus proche"),
            (Indicateur::Densite, "Lieux pour 10 000 habitants"),
        ]
        .into_iter()
        .map(|(i, l)| Choix::new(i.valeur(), l, i == indicateur))
        .collect(),
        zones_total: d.zones_blanches.len(),
        zones_population: nombre_fr(d.population_hors_rayon),
        zones,
        carte_svg,
        carte_titre,
        carte_unite,
        carte_mesure,
        carte_lignes,
        non_evaluees,
        lien_lieux,
        lien_api: format!("/api/v1/territoires/{}/diagnostic", d.territoire),
        sous_territoires,
        sous_titre,
        chemin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chemins() {
        let l = |c| lire_chemin(c).map(|(p, f)| (p.to_string(), f.to_string()));
        assert_eq!(
            l("/territoires/france/diagnostic"),
            Some(("france".into(), "".into()))
        );
        assert_eq!(
            l("/territoires/dep/2a/diagnostic.csv"),
            Some(("dep:2A".into(), ".csv".into()))
        );
        assert_eq!(
            l("/territoires/com/33063/diagnostic.xlsx"),
            Some(("com:33063".into(), ".xlsx".into()))
        );
        assert_eq!(l("/territoires/dep/xx/diagnostic"), None);
        assert_eq!(l("/territoires/lune/diagnostic"), None);
    }

    #[test]
    fn options_et_nombres() {
        assert_eq!(lire_options(None), (10, Indicateur::Distance));
        assert_eq!(
            lire_options(Some("distance=20&indicateur=densite")),
            (20, Indicateur::Densite)
        );
        assert_eq!(lire_options(Some("distance=7")).0, 10);
        assert_eq!(decimal(1234.56, 1), "1\u{202f}234,6");
        assert_eq!(decimal(3.0, 0), "3");
        assert_eq!(pourcent(0.125), "12,5\u{202f}%");
        assert_eq!(km(None), "aucun lieu");
    }
}
