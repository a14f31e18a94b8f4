//! The diagnostic's files: CSV (`;`, UTF-8 with BOM, one section per table,
//! as the workspace's exports) and XLSX (one sheet per table). Numbers are
//! raw, decimals with a French comma in the CSV.

use crate::espace::fichier_csv::FichierCsv;
use crate::espace::statistiques::MIME_XLSX;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maillage_diagnostic::{Diagnostic, EchelonCarte, Offre};

/// A cell: text or number.
enum Cellule {
    Texte(String),
    Nombre(f64),
    Vide,
}

impl Cellule {
    fn csv(&self) -> String {
        match self {
            Cellule::Texte(t) => t.clone(),
            Cellule::Nombre(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Cellule::Nombre(n) => format!("{n:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .replace('.', ","),
            Cellule::Vide => String::new(),
        }
    }
}

fn t(s: impl Into<String>) -> Cellule {
    Cellule::Texte(s.into())
}

fn n(x: impl Into<f64>) -> Cellule {
    Cellule::Nombre(x.into())
}

fn km(d: Option<f64>) -> Cellule {
    d.map_or(Cellule::Vide, Cellule::Nombre)
}

/// A table: its title (the sheet's name in XLSX), header and rows.
struct Tableau {
    titre: &'static str,
    entetes: Vec<String>,
    lignes: Vec<Vec<Cellule>>,
}

fn offre(titre: &'static str, colonne: &str, v: &[Offre]) -> Tableau {
    Tableau {
        titre,
        entetes: vec![
            colonne.to_string(),
            "Valeur du standard".into(),
            "Lieux".into(),
            "Lieux pour 10 000 habitants".into(),
        ],
        lignes: v
            .iter()
            .map(|o| {
                vec![
                    t(&o.libelle),
                    t(&o.valeur),
                    n(o.lieux as f64),
                    n(o.pour_10000),
                ]
            })
            .collect(),
    }
}

/// Every figure of the diagnostic, as tables.
fn tableaux(d: &Diagnostic) -> Vec<Tableau> {
    let g = d.acces_global();
    let rayon = format!("{:.0}", d.rayon_km);
    let mut chiffres = vec![
        vec![t("Territoire"), t(&d.territoire)],
        vec![t("Nom"), t(&d.nom)],
        vec![t("Niveau"), t(d.niveau)],
        vec![t("Population"), n(d.population as f64)],
        vec![t("Communes évaluées"), n(d.communes as f64)],
        vec![
            t("Communes sans centre connu"),
            n(d.communes_non_evaluees as f64),
        ],
        vec![t("Lieux"), n(d.lieux as f64)],
        vec![t("Lieux pour 10 000 habitants"), n(d.lieux_pour_10000)],
        vec![t("Rayon des zones blanches (km)"), n(d.rayon_km)],
        vec![
            t(format!("Population à plus de {rayon} km de tout lieu")),
            n(d.population_hors_rayon as f64),
        ],
        vec![
            t("Zones blanches (communes)"),
            n(d.zones_blanches.len() as f64),
        ],
    ];
    if let Some(g) = g {
        chiffres.push(vec![
            t("Distance moyenne au lieu le plus proche (km, par habitant)"),
            km(g.distance_moyenne_km),
        ]);
    }
    let mut v = vec![
        Tableau {
            titre: "Chiffres clés",
            entetes: vec!["Indicateur".into(), "Valeur".into()],
            lignes: chiffres,
        },
        offre("Services", "Service", &d.services),
        offre("Typologies", "Type de structure", &d.typologies),
        offre(
            "Dispositifs",
            "Dispositif ou programme national",
            &d.dispositifs,
        ),
        Tableau {
            titre: "Accès",
            entetes: [
                "Service",
                "Distance moyenne (km, par habitant)",
                "Distance maximale (km)",
                "Population à plus de 10 km",
                "Part à plus de 10 km (%)",
                "Population à plus de 20 km",
                "Part à plus de 20 km (%)",
            ]
            .map(String::from)
            .to_vec(),
            lignes: d
                .acces
                .iter()
                .map(|a| {
                    vec![
                        t(&a.libelle),
                        km(a.distance_moyenne_km),
                        km(a.distance_max_km),
                        n(a.population_plus_10_km as f64),
                        n(a.part_plus_10_km * 100.0),
                        n(a.population_plus_20_km as f64),
                        n(a.part_plus_20_km * 100.0),
                    ]
                })
                .collect(),
        },
        Tableau {
            titre: "Zones blanches",
            entetes: vec![
                "Code INSEE".into(),
                "Commune".into(),
                "Population".into(),
                "Distance au lieu le plus proche (km)".into(),
            ],
            lignes: d
                .zones_blanches
                .iter()
                .map(|z| {
                    vec![
                        t(&z.code_insee),
                        t(&z.nom),
                        n(z.population as f64),
                        km(z.distance_km),
                    ]
                })
                .collect(),
        },
    ];
    let communes = d.carte.echelon == EchelonCarte::Commune;
    v.push(Tableau {
        titre: if communes {
            "Communes"
        } else {
            "Départements"
        },
        entetes: vec![
            "Code".into(),
            "Nom".into(),
            "Population".into(),
            "Lieux".into(),
            "Lieux pour 10 000 habitants".into(),
            if communes {
                "Distance au lieu le plus proche (km)".into()
            } else {
                format!("Part de la population à plus de {rayon} km (%)")
            },
        ],
        lignes: d
            .carte
            .unites
            .iter()
            .map(|u| {
                vec![
                    t(&u.code),
                    t(&u.nom),
                    n(u.population as f64),
                    n(u.lieux as f64),
                    n(u.lieux_pour_10000),
                    if communes {
                        km(u.distance_km)
                    } else {
                        n(u.part_eloignee * 100.0)
                    },
                ]
            })
            .collect(),
    });
    v
}

fn nom_fichier(d: &Diagnostic, extension: &str) -> String {
    let code: String = d
        .territoire
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("diagnostic-{code}.{extension}")
}

fn fichier(type_mime: &'static str, nom: &str, corps: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, corps).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(type_mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{nom}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn echec(format: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("diagnostic {format} : {e}");
    crate::pages::erreur(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Export impossible",
        "Le fichier n'a pas pu être produit. Réessayez dans quelques minutes.",
    )
}

fn ecrire_csv(d: &Diagnostic) -> Result<Vec<u8>, csv::Error> {
    let mut f = FichierCsv::nouveau();
    f.section([vec![format!(
        "Diagnostic territorial — {} — Maillage",
        d.nom
    )]])?;
    for tab in tableaux(d) {
        f.section(
            [vec![tab.titre.to_string()], tab.entetes]
                .into_iter()
                .chain(
                    tab.lignes
                        .iter()
                        .map(|l| l.iter().map(Cellule::csv).collect()),
                ),
        )?;
    }
    Ok(f.octets())
}

/// `GET …/diagnostic.csv`.
pub fn csv(d: &Diagnostic) -> Response {
    match ecrire_csv(d) {
        Ok(o) => fichier("text/csv; charset=utf-8", &nom_fichier(d, "csv"), o),
        Err(e) => echec("CSV", e),
    }
}

fn ecrire_xlsx(d: &Diagnostic) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut classeur = Workbook::new();
    let gras = Format::new().set_bold();
    for tab in tableaux(d) {
        let feuille = classeur.add_worksheet();
        feuille.set_name(tab.titre)?;
        feuille.set_column_width(0, 40)?;
        for (i, e) in tab.entetes.iter().enumerate() {
            feuille.write_string_with_format(0, i as u16, e, &gras)?;
            if i > 0 {
                feuille.set_column_width(i as u16, 18)?;
            }
        }
        for (l, ligne) in tab.lignes.iter().enumerate() {
            let l = l as u32 + 1;
            for (c, cellule) in ligne.iter().enumerate() {
                match cellule {
                    Cellule::Texte(s) => {
                        feuille.write_string(l, c as u16, s)?;
                    }
                    Cellule::Nombre(x) => {
                        feuille.write_number(l, c as u16, *x)?;
                    }
                    Cellule::Vide => {}
                }
            }
        }
    }
    classeur.save_to_buffer()
}

/// `GET …/diagnostic.xlsx`.
pub fn xlsx(d: &Diagnostic) -> Response {
    match ecrire_xlsx(d) {
        Ok(o) => fichier(MIME_XLSX, &nom_fichier(d, "xlsx"), o),
        Err(e) => echec("XLSX", e),
    }
}
