//! `/espace/statistiques`: the statistics of a scope (§1.5 "mes
//! statistiques"), with filters, server-rendered charts each followed by its
//! data table, and CSV / XLSX exports of the same figures.
//!
//! ```text
//! GET /espace/statistiques              page (filter form: GET, no script)
//! GET /espace/statistiques/export.csv   same query string, same filters
//! GET /espace/statistiques/export.xlsx
//! ```
//!
//! The scope (`perimetre`) is checked with the access rules on every
//! request (`Action::Consulter` for the page, `Action::Exporter` for the
//! files); the form only lists the scopes the user may read. A coordinator's
//! team counts each member's records within their link's dates only.

use crate::espace::fichier_csv::FichierCsv;
use crate::espace::{indisponible, mise, refus, sans_cache, verdict, Champs, Connecte};
use crate::etat::Etat;
use crate::graphiques::{barres_horizontales, barres_verticales, nombre_fr, pourcentage_fr, Barre};
use crate::pages::{rendre, Choix, Mise};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, Months, NaiveDate};
use maillage_activites::{
    Genre, Materiel, StatutSocial, Thematique, TrancheAge, TrancheDuree, TypeActivite, TypeLieu,
};
use maillage_comptes::{
    Acteur, Action, Cible, Perimetre, PerimetreAttribution, Periode, Refus, Role,
};
use maillage_store::{
    mois_de_la_periode, Compte, FenetreMediateur, FiltreStatistiques, Statistiques, StoreError,
};
use std::str::FromStr;

pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/statistiques", get(page))
        .route("/espace/statistiques/export.csv", get(export_csv))
        .route("/espace/statistiques/export.xlsx", get(export_xlsx))
}

// ---------------------------------------------------------------------------
// Scopes

/// A scope the form may offer: its form value and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OptionPerimetre {
    pub(crate) cle: String,
    pub(crate) libelle: String,
    pub(crate) perimetre: Perimetre,
}

/// The form value of a scope (`soi`, `equipe`, `structure:ID`,
/// `departement:CODE`, `region:CODE`, `national`).
pub(crate) fn cle_perimetre(p: &Perimetre) -> String {
    match p {
        Perimetre::Soi => "soi".to_string(),
        Perimetre::Equipe(_) => "equipe".to_string(),
        Perimetre::Mediateur(id) => format!("mediateur:{id}"),
        Perimetre::Structure(id) => format!("structure:{id}"),
        Perimetre::Departement(c) => format!("departement:{c}"),
        Perimetre::Region(c) => format!("region:{c}"),
        Perimetre::National => "national".to_string(),
    }
}

/// The scope of a form value; `None` when it names none. A team is always
/// the signed-in coordinator's own.
pub(crate) fn lire_perimetre(cle: &str, acteur: &Acteur) -> Option<Perimetre> {
    let (genre, valeur) = cle.split_once(':').unwrap_or((cle, ""));
    let valeur = valeur.trim();
    let avec_valeur = |f: fn(String) -> Perimetre| {
        (!valeur.is_empty() && valeur.chars().count() <= 200).then(|| f(valeur.to_string()))
    };
    match genre {
        "soi" => Some(Perimetre::Soi),
        "equipe" => Some(Perimetre::Equipe(acteur.id.clone())),
        "structure" => avec_valeur(Perimetre::Structure),
        "departement" => avec_valeur(Perimetre::Departement),
        "region" => avec_valeur(Perimetre::Region),
        "national" => Some(Perimetre::National),
        _ => None,
    }
}

/// What a scope is called in the pages and exports.
pub(crate) fn libelle_perimetre(etat: &Etat, p: &Perimetre) -> String {
    let r = etat.referentiel();
    match p {
        Perimetre::Soi => "Mes statistiques".to_string(),
        Perimetre::Mediateur(id) => format!("Médiateur {id}"),
        Perimetre::Equipe(_) => "Mon équipe".to_string(),
        Perimetre::Structure(id) => format!("Structure {id}"),
        Perimetre::Departement(c) => match r.departement(c) {
            Some(d) => format!("Département : {} ({})", d.nom, d.code),
            None => format!("Département {c}"),
        },
        Perimetre::Region(c) => match r.region(c) {
            Some(reg) => format!("Région : {}", reg.nom),
            None => format!("Région {c}"),
        },
        Perimetre::National => "France entière".to_string(),
    }
}

/// Every scope the actor's grants name, in a useful order, before any
/// check: own figures, team, structures, territories, nation.
pub(crate) fn perimetres_candidats(etat: &Etat, acteur: &Acteur) -> Vec<Perimetre> {
    let referentiel = etat.referentiel();
    let mut v = Vec::new();
    let ajouter = |p: Perimetre, v: &mut Vec<Perimetre>| {
        if !v.contains(&p) {
            v.push(p);
        }
    };
    if acteur.a_le_role(Role::Mediateur) {
        ajouter(Perimetre::Soi, &mut v);
    }
    for a in acteur.attributions_valides() {
        match (&a.role, &a.perimetre) {
            (Role::Coordinateur, _) => ajouter(Perimetre::Equipe(acteur.id.clone()), &mut v),
            (Role::GestionnaireStructure, PerimetreAttribution::Structure(id)) => {
                ajouter(Perimetre::Structure(id.clone()), &mut v)
            }
            (Role::GestionnaireTerritorial, PerimetreAttribution::Departement(c)) => {
                ajouter(Perimetre::Departement(c.clone()), &mut v)
            }
            (Role::GestionnaireTerritorial, PerimetreAttribution::Region(c)) => {
                ajouter(Perimetre::Region(c.clone()), &mut v);
                for d in referentiel.departements_de_region(c) {
                    ajouter(Perimetre::Departement(d.code.to_string()), &mut v);
                }
            }
            _ => {}
        }
    }
    if acteur.a_le_role(Role::Administrateur) {
        ajouter(Perimetre::National, &mut v);
        for r in referentiel.regions() {
            ajouter(Perimetre::Region(r.code.to_string()), &mut v);
        }
        for d in referentiel.departements() {
            ajouter(Perimetre::Departement(d.code.to_string()), &mut v);
        }
    }
    v
}

/// The scopes of [`perimetres_candidats`] the access rules allow for
/// `cible`; own figures when none (everyone may read them).
fn perimetres_permis(etat: &Etat, acteur: &Acteur, periode: Periode) -> Vec<OptionPerimetre> {
    let mut v: Vec<OptionPerimetre> = perimetres_candidats(etat, acteur)
        .into_iter()
        .filter(|p| {
            let cible = Cible::Statistiques {
                perimetre: p.clone(),
                periode,
            };
            verdict(etat, acteur, Action::Consulter, &cible).is_ok()
        })
        .map(|p| OptionPerimetre {
            cle: cle_perimetre(&p),
            libelle: libelle_perimetre(etat, &p),
            perimetre: p,
        })
        .collect();
    if v.is_empty() {
        v.push(OptionPerimetre {
            cle: "soi".to_string(),
            libelle: libelle_perimetre(etat, &Perimetre::Soi),
            perimetre: Perimetre::Soi,
        });
    }
    v
}

// ---------------------------------------------------------------------------
// The request

/// An error on one field of the filter form.
#[derive(Debug, Clone)]
pub(crate) struct ErreurChamp {
    /// The field's `id` (the summary links to it).
    pub(crate) champ: &'static str,
    pub(crate) message: String,
}

/// The filters as read from the query string.
#[derive(Debug, Clone)]
pub(crate) struct Demande {
    cle_perimetre: Option<String>,
    pub(crate) du: NaiveDate,
    pub(crate) au: NaiveDate,
    type_activite: Option<TypeActivite>,
    type_lieu: Option<TypeLieu>,
    lieu: Option<String>,
    thematique: Option<Thematique>,
    mediateur: Option<String>,
    commune: Option<String>,
    epci: Option<String>,
    /// The values as typed, to show them back.
    saisie_du: String,
    saisie_au: String,
}

/// The default period: the last 12 months, from the first day of the
/// month eleven months ago to today.
pub(crate) fn periode_par_defaut(aujourd_hui: NaiveDate) -> (NaiveDate, NaiveDate) {
    let debut_du_mois = aujourd_hui.with_day(1).unwrap_or(aujourd_hui);
    let du = debut_du_mois
        .checked_sub_months(Months::new(11))
        .unwrap_or(debut_du_mois);
    (du, aujourd_hui)
}

/// A date field (`AAAA-MM-JJ`), `defaut` when empty.
pub(crate) fn lire_date(
    champs: &Champs,
    champ: &'static str,
    nom: &str,
    defaut: NaiveDate,
    erreurs: &mut Vec<ErreurChamp>,
) -> NaiveDate {
    let t = champs.texte(champ);
    if t.is_empty() {
        return defaut;
    }
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => d,
        Err(_) => {
            erreurs.push(ErreurChamp {
                champ,
                message: format!(
                    "{nom} : « {} » n'est pas une date au format AAAA-MM-JJ (par exemple 2025-03-31).",
                    t.chars().take(40).collect::<String>()
                ),
            });
            defaut
        }
    }
}

/// An enumeration code field; unknown codes are an error naming the field.
fn lire_code<T: FromStr>(
    champs: &Champs,
    champ: &'static str,
    nom: &str,
    erreurs: &mut Vec<ErreurChamp>,
) -> Option<T> {
    let t = champs.texte(champ);
    if t.is_empty() {
        return None;
    }
    match T::from_str(t) {
        Ok(v) => Some(v),
        Err(_) => {
            erreurs.push(ErreurChamp {
                champ,
                message: format!("{nom} : choisissez une valeur de la liste."),
            });
            None
        }
    }
}

fn lire_demande(champs: &Champs, aujourd_hui: NaiveDate) -> (Demande, Vec<ErreurChamp>) {
    let mut erreurs = Vec::new();
    let (du_defaut, au_defaut) = periode_par_defaut(aujourd_hui);
    let du = lire_date(champs, "du", "Date de début", du_defaut, &mut erreurs);
    let au = lire_date(champs, "au", "Date de fin", au_defaut, &mut erreurs);
    if du > au {
        erreurs.push(ErreurChamp {
            champ: "au",
            message: "Date de fin : elle doit être postérieure ou égale à la date de début."
                .to_string(),
        });
    }
    let court = |champ: &'static str, nom: &str, erreurs: &mut Vec<ErreurChamp>| {
        let v = champs.optionnel(champ)?;
        if v.chars().count() > 200 {
            erreurs.push(ErreurChamp {
                champ,
                message: format!("{nom} : 200 caractères au plus."),
            });
            return None;
        }
        Some(v)
    };
    let lieu = court("lieu", "Lieu d'activité", &mut erreurs);
    let commune = court("commune", "Commune", &mut erreurs);
    let epci = court("epci", "EPCI", &mut erreurs);
    let mediateur = court("mediateur", "Médiateur", &mut erreurs);
    let demande = Demande {
        cle_perimetre: champs.optionnel("perimetre"),
        du,
        au,
        type_activite: lire_code(champs, "type", "Type d'activité", &mut erreurs),
        type_lieu: lire_code(champs, "type_lieu", "Canal (type de lieu)", &mut erreurs),
        thematique: lire_code(champs, "thematique", "Thématique", &mut erreurs),
        lieu,
        mediateur,
        commune,
        epci,
        saisie_du: champs.texte("du").to_string(),
        saisie_au: champs.texte("au").to_string(),
    };
    (demande, erreurs)
}

/// Whether a département code belongs to the scope (for commune / EPCI
/// filters).
fn departement_dans(etat: &Etat, perimetre: &Perimetre, departement: &str) -> bool {
    let r = etat.referentiel();
    match perimetre {
        Perimetre::Departement(c) => r
            .departement(c)
            .is_some_and(|d| d.code.eq_ignore_ascii_case(departement)),
        Perimetre::Region(c) => r
            .departement(departement)
            .is_some_and(|d| d.region.as_ref() as &str == c.as_str()),
        _ => true,
    }
}

/// The INSEE codes of a commune (with its arrondissements) or of an
/// EPCI's communes, for the store's commune filter.
fn codes_des_communes(etat: &Etat, t: &maillage_territoires::Territoire) -> Vec<String> {
    etat.referentiel()
        .communes_de(t)
        .iter()
        .map(|x| x.code_insee.to_string())
        .collect()
}

/// A date field shown back as typed, or the date used when left empty.
pub(crate) fn date_affichee(saisie: &str, retenue: NaiveDate) -> String {
    if saisie.is_empty() {
        retenue.to_string()
    } else {
        saisie.to_string()
    }
}

/// The store's filter of a checked scope and the request, or the field
/// errors (commune, EPCI or mediator outside the scope).
fn filtre(
    etat: &Etat,
    acteur: &Acteur,
    perimetre: &Perimetre,
    d: &Demande,
) -> Result<FiltreStatistiques, Vec<ErreurChamp>> {
    let referentiel = etat.referentiel();
    let mut erreurs = Vec::new();
    let mut f = FiltreStatistiques {
        du: Some(d.du),
        au: Some(d.au),
        type_activite: d.type_activite,
        type_lieu: d.type_lieu,
        lieu_id: d.lieu.clone(),
        thematique: d.thematique,
        ..Default::default()
    };
    match perimetre {
        Perimetre::Soi => f.mediateurs = Some(vec![acteur.id.clone()]),
        Perimetre::Mediateur(id) => f.mediateurs = Some(vec![id.clone()]),
        Perimetre::Equipe(_) => {
            let fenetres: Vec<FenetreMediateur> = acteur
                .liens_equipe()
                .filter(|l| d.mediateur.as_ref().is_none_or(|m| *m == l.mediateur_id))
                .map(|l| FenetreMediateur {
                    mediateur_id: l.mediateur_id.clone(),
                    debut: l.debut,
                    fin: l.fin,
                })
                .collect();
            if d.mediateur.is_some() && fenetres.is_empty() {
                erreurs.push(ErreurChamp {
                    champ: "mediateur",
                    message: "Médiateur : il ne fait pas partie de votre équipe.".to_string(),
                });
            }
            f.fenetres = Some(fenetres);
        }
        Perimetre::Structure(id) => f.structure_id = Some(id.clone()),
        Perimetre::Departement(c) => {
            let code = referentiel
                .departement(c)
                .map_or_else(|| c.clone(), |dep| dep.code.to_string());
            f.departements = Some(vec![code]);
        }
        Perimetre::Region(c) => {
            f.departements = Some(
                referentiel
                    .departements_de_region(c)
                    .iter()
                    .map(|dep| dep.code.to_string())
                    .collect(),
            );
        }
        Perimetre::National => {}
    }
    if d.mediateur.is_some() && !matches!(perimetre, Perimetre::Equipe(_)) {
        erreurs.push(ErreurChamp {
            champ: "mediateur",
            message: "Médiateur : ce filtre ne vaut que pour les statistiques d'une équipe."
                .to_string(),
        });
    }
    match (&d.commune, &d.epci) {
        (Some(_), Some(_)) => erreurs.push(ErreurChamp {
            champ: "epci",
            message: "EPCI : choisissez une commune ou un EPCI, pas les deux.".to_string(),
        }),
        (Some(code), None) => match referentiel.commune(code) {
            None => erreurs.push(ErreurChamp {
                champ: "commune",
                message: format!(
                    "Commune : aucune commune n'a le code INSEE « {code} » (5 caractères, par exemple 13055)."
                ),
            }),
            Some(c) if !departement_dans(etat, perimetre, &c.departement) => {
                erreurs.push(ErreurChamp {
                    champ: "commune",
                    message: format!("Commune : {} n'est pas dans le périmètre choisi.", c.nom),
                })
            }
            Some(c) => {
                f.codes_insee = Some(codes_des_communes(
                    etat,
                    &maillage_territoires::Territoire::Commune(c.code_insee.clone()),
                ))
            }
        },
        (None, Some(code)) => match referentiel.epci(code) {
            None => erreurs.push(ErreurChamp {
                champ: "epci",
                message: format!("EPCI : aucun EPCI n'a le code SIREN « {code} » (9 chiffres)."),
            }),
            Some(e) if !e.departements.iter().any(|dep| departement_dans(etat, perimetre, dep)) => {
                erreurs.push(ErreurChamp {
                    champ: "epci",
                    message: format!("EPCI : {} n'est pas dans le périmètre choisi.", e.nom),
                })
            }
            Some(e) => {
                f.codes_insee = Some(codes_des_communes(
                    etat,
                    &maillage_territoires::Territoire::Epci(e.code.clone()),
                ))
            }
        },
        (None, None) => {}
    }
    if erreurs.is_empty() {
        Ok(f)
    } else {
        Err(erreurs)
    }
}

// ---------------------------------------------------------------------------
// Breakdowns shared by the page and the exports

/// One breakdown: its rows and what each proportion is a share of.
#[derive(Debug, Clone)]
pub(crate) struct Repartition {
    pub(crate) id: &'static str,
    pub(crate) titre: String,
    /// Header of the label column.
    pub(crate) entete: &'static str,
    pub(crate) lignes: Vec<(String, Compte)>,
    /// Denominator of the proportions (accompagnements of the scope).
    pub(crate) total: u64,
    /// A time series: vertical bars.
    pub(crate) verticale: bool,
}

const MOIS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const MOIS_COURTS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// `mars 2025` → `mars 25`, `septembre 2024` → `sept. 24`: short enough
/// for a month's bar (the table after the chart has the full label).
fn libelle_mois_court(libelle: &str) -> String {
    let Some((mois, annee)) = libelle.split_once(' ') else {
        return libelle.to_string();
    };
    match MOIS_FR.iter().position(|m| *m == mois) {
        Some(i) => format!(
            "{} {}",
            MOIS_COURTS[i],
            annee.get(annee.len().saturating_sub(2)..).unwrap_or(annee)
        ),
        None => libelle.to_string(),
    }
}

/// `2025-03` → `mars 2025`.
pub(crate) fn libelle_mois(mois: &str) -> String {
    let (a, m) = mois.split_once('-').unwrap_or((mois, ""));
    match m
        .parse::<usize>()
        .ok()
        .and_then(|m| MOIS_FR.get(m.wrapping_sub(1)))
    {
        Some(nom) => format!("{nom} {a}"),
        None => mois.to_string(),
    }
}

/// Every month of the period (`YYYY-MM`), oldest first, months without a
/// record at zero (the store gives only those with records).
pub(crate) fn tous_les_mois(
    s: &Statistiques,
    du: NaiveDate,
    au: NaiveDate,
) -> Vec<(String, Compte)> {
    mois_de_la_periode(du, au)
        .into_iter()
        .map(|m| {
            let c = s
                .par_mois
                .iter()
                .find(|(k, _)| *k == m)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            (m, c)
        })
        .collect()
}

fn repartitions(etat: &Etat, s: &Statistiques, du: NaiveDate, au: NaiveDate) -> Vec<Repartition> {
    let total = s.totaux.accompagnements;
    let par_mois: Vec<(String, Compte)> = tous_les_mois(s, du, au)
        .into_iter()
        .map(|(m, c)| (libelle_mois(&m), c))
        .collect();
    let thematiques = |famille: &[Thematique]| -> Vec<(String, Compte)> {
        s.par_thematique
            .iter()
            .filter(|(t, _)| famille.contains(t))
            .map(|(t, c)| (t.libelle().to_string(), *c))
            .collect()
    };
    let referentiel = etat.referentiel();
    let r = |id, titre: &str, entete, lignes, verticale| Repartition {
        id,
        titre: titre.to_string(),
        entete,
        lignes,
        total,
        verticale,
    };
    vec![
        r("mois", "Accompagnements par mois", "Mois", par_mois, true),
        r(
            "thematiques-mediation",
            "Thématiques des accompagnements de médiation numérique",
            "Thématique",
            thematiques(Thematique::MEDIATION_NUMERIQUE),
            false,
        ),
        r(
            "thematiques-demarches",
            "Thématiques des accompagnements de démarches administratives",
            "Thématique",
            thematiques(Thematique::DEMARCHES_ADMINISTRATIVES),
            false,
        ),
        r(
            "materiel",
            "Matériel utilisé",
            "Matériel",
            s.par_materiel
                .iter()
                .map(|(m, c): &(Materiel, Compte)| (m.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "canaux",
            "Canaux des accompagnements",
            "Canal",
            s.par_type_lieu
                .iter()
                .map(|(t, c): &(TypeLieu, Compte)| (t.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "durees",
            "Durée des accompagnements",
            "Durée",
            s.par_duree
                .iter()
                .map(|(t, c): &(TrancheDuree, Compte)| (t.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "genres",
            "Genre des bénéficiaires",
            "Genre",
            s.par_genre
                .iter()
                .map(|(g, c): &(Genre, Compte)| (g.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "tranches-age",
            "Tranche d'âge des bénéficiaires",
            "Tranche d'âge",
            s.par_tranche_age
                .iter()
                .map(|(t, c): &(TrancheAge, Compte)| (t.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "statuts",
            "Statut des bénéficiaires",
            "Statut",
            s.par_statut_social
                .iter()
                .map(|(t, c): &(StatutSocial, Compte)| (t.libelle().to_string(), *c))
                .collect(),
            false,
        ),
        r(
            "communes",
            "Communes des accompagnements (à domicile ou autre lieu)",
            "Commune",
            s.par_commune
                .iter()
                .map(|(code, c)| {
                    let nom = referentiel
                        .commune(code)
                        .map_or_else(|| code.clone(), |x| format!("{} ({code})", x.nom));
                    (nom, *c)
                })
                .collect(),
            false,
        ),
    ]
}

/// The "statistiques générales": label and value.
fn totaux(s: &Statistiques) -> Vec<(&'static str, u64)> {
    let t = &s.totaux;
    vec![
        ("Activités", t.activites),
        (
            "dont accompagnements individuels",
            t.activites_individuelles,
        ),
        ("dont ateliers collectifs", t.activites_collectives),
        (
            "Accompagnements (personnes accompagnées)",
            t.accompagnements,
        ),
        (
            "dont en accompagnement individuel",
            t.accompagnements_individuels,
        ),
        ("dont en atelier collectif", t.accompagnements_collectifs),
        ("Durée totale (heures)", t.duree_minutes / 60),
        ("Médiateurs ayant enregistré une activité", t.mediateurs),
    ]
}

// ---------------------------------------------------------------------------
// The page

#[derive(Debug, Clone)]
struct LigneTableau {
    libelle: String,
    activites: String,
    accompagnements: String,
    proportion: String,
}

#[derive(Debug, Clone)]
struct Graphique {
    id: &'static str,
    titre: String,
    svg: String,
    entete: &'static str,
    lignes: Vec<LigneTableau>,
}

#[derive(Debug, Clone)]
struct Section {
    id: &'static str,
    titre: &'static str,
    note: &'static str,
    graphiques: Vec<Graphique>,
}

#[derive(Debug, Clone)]
struct Resultats {
    description: String,
    totaux: Vec<(&'static str, String)>,
    sections: Vec<Section>,
    lien_csv: String,
    lien_xlsx: String,
}

#[derive(Template)]
#[template(path = "espace_statistiques.html")]
struct PageStatistiques {
    mise: Mise,
    perimetres: Vec<Choix>,
    du: String,
    au: String,
    types: Vec<Choix>,
    types_lieu: Vec<Choix>,
    thematiques_mediation: Vec<Choix>,
    thematiques_demarches: Vec<Choix>,
    mediateurs: Vec<Choix>,
    lieu: String,
    commune: String,
    epci: String,
    erreurs: Vec<ErreurChamp>,
    resultats: Option<Resultats>,
}

impl PageStatistiques {
    /// The error message of a field, if any.
    fn erreur(&self, champ: &str) -> Option<&str> {
        self.erreurs
            .iter()
            .find(|e| e.champ == champ)
            .map(|e| e.message.as_str())
    }
}

fn choix_enum<T: Copy + PartialEq>(
    toutes: &[T],
    choisie: Option<T>,
    code: fn(T) -> &'static str,
    libelle: fn(T) -> &'static str,
    vide: &str,
) -> Vec<Choix> {
    let mut v = vec![Choix::new("", vide, choisie.is_none())];
    v.extend(
        toutes
            .iter()
            .map(|t| Choix::new(code(*t), libelle(*t), choisie == Some(*t))),
    );
    v
}

fn graphique(r: &Repartition) -> Graphique {
    let barres: Vec<Barre> = r
        .lignes
        .iter()
        .map(|(l, c)| {
            let l = if r.verticale {
                libelle_mois_court(l)
            } else {
                l.clone()
            };
            Barre::new(l, c.accompagnements)
        })
        .collect();
    let description = format!(
        "Nombre d'accompagnements par {} ; les valeurs sont dans le tableau qui suit.",
        r.entete.to_lowercase()
    );
    let id = format!("graphique-{}", r.id);
    let svg = if r.verticale {
        barres_verticales(&id, &r.titre, &description, &barres)
    } else {
        barres_horizontales(&id, &r.titre, &description, &barres)
    };
    Graphique {
        id: r.id,
        titre: r.titre.clone(),
        svg,
        entete: r.entete,
        lignes: r
            .lignes
            .iter()
            .map(|(l, c)| LigneTableau {
                libelle: l.clone(),
                activites: nombre_fr(c.activites),
                accompagnements: nombre_fr(c.accompagnements),
                proportion: pourcentage_fr(c.accompagnements, r.total),
            })
            .collect(),
    }
}

fn sections(reps: &[Repartition]) -> Vec<Section> {
    let prendre = |ids: &[&str]| -> Vec<Graphique> {
        reps.iter()
            .filter(|r| ids.contains(&r.id))
            .map(graphique)
            .collect()
    };
    vec![
        Section {
            id: "par-mois",
            titre: "Accompagnements par mois",
            note: "",
            graphiques: prendre(&["mois"]),
        },
        Section {
            id: "thematiques",
            titre: "Thématiques",
            note: "Une activité compte dans chacune de ses thématiques : les proportions peuvent dépasser 100 % au total.",
            graphiques: prendre(&["thematiques-mediation", "thematiques-demarches"]),
        },
        Section {
            id: "materiel",
            titre: "Matériel utilisé",
            note: "Une activité compte pour chaque matériel utilisé.",
            graphiques: prendre(&["materiel"]),
        },
        Section {
            id: "canaux",
            titre: "Canaux des accompagnements",
            note: "",
            graphiques: prendre(&["canaux"]),
        },
        Section {
            id: "durees",
            titre: "Durée des accompagnements",
            note: "",
            graphiques: prendre(&["durees"]),
        },
        Section {
            id: "beneficiaires",
            titre: "Bénéficiaires",
            note: "Les participants anonymes d'un atelier et les bénéficiaires dont l'information n'est pas connue comptent dans « Non communiqué ». La colonne « Activités » compte les activités ayant au moins un bénéficiaire de la ligne.",
            graphiques: prendre(&["genres", "tranches-age", "statuts"]),
        },
        Section {
            id: "communes",
            titre: "Communes",
            note: "Seules les activités à domicile ou dans un autre lieu ont une commune ; les 50 communes les plus fréquentes sont montrées.",
            graphiques: prendre(&["communes"]),
        },
    ]
}

/// What the page, the CSV, the XLSX and the API all need: the checked
/// scope, the request, and the figures (or the form errors).
pub(crate) struct Calcul {
    pub(crate) options: Vec<OptionPerimetre>,
    pub(crate) cle: String,
    pub(crate) perimetre: Perimetre,
    pub(crate) demande: Demande,
    pub(crate) erreurs: Vec<ErreurChamp>,
    /// `None` when the form has errors.
    pub(crate) resultat: Option<(String, Statistiques)>,
}

/// Why [`calculer`] gives no figures: the scope is refused, or the
/// database does not answer. Each caller answers in its own format.
pub(crate) enum Echec {
    Refus(Refus),
    Indisponible(StoreError),
}

impl Echec {
    /// The workspace's page for it (403, 503).
    fn page(self) -> Response {
        match self {
            Echec::Refus(r) => refus(&r),
            Echec::Indisponible(e) => indisponible(&e),
        }
    }
}

/// Reads the request (the page's query string, or the API's), checks the
/// scope for `action` on the server whatever the form offered, counts.
pub(crate) async fn calculer(
    etat: &Etat,
    acteur: &Acteur,
    requete: Option<&str>,
    action: Action,
) -> Result<Calcul, Echec> {
    let champs = Champs::lire(requete.unwrap_or(""));
    let aujourd_hui = etat.maintenant().date_naive();
    let (demande, mut erreurs) = lire_demande(&champs, aujourd_hui);
    let periode = if demande.du <= demande.au {
        Periode::new(demande.du, demande.au)
    } else {
        Periode::jour(demande.du)
    };
    let options = perimetres_permis(etat, acteur, periode);
    let perimetre = match &demande.cle_perimetre {
        None => options.first().map(|o| o.perimetre.clone()),
        Some(cle) => {
            let p = lire_perimetre(cle, acteur);
            if p.is_none() {
                erreurs.push(ErreurChamp {
                    champ: "perimetre",
                    message: "Périmètre : choisissez un périmètre de la liste.".to_string(),
                });
            }
            p
        }
    }
    .unwrap_or(Perimetre::Soi);
    verdict(
        etat,
        acteur,
        action,
        &Cible::Statistiques {
            perimetre: perimetre.clone(),
            periode,
        },
    )
    .map_err(Echec::Refus)?;
    let mut resultat = None;
    if erreurs.is_empty() {
        match filtre(etat, acteur, &perimetre, &demande) {
            Ok(f) => {
                let stats = etat
                    .store()
                    .statistiques(&f)
                    .await
                    .map_err(Echec::Indisponible)?;
                resultat = Some((libelle_perimetre(etat, &perimetre), stats));
            }
            Err(e) => erreurs.extend(e),
        }
    }
    Ok(Calcul {
        options,
        cle: cle_perimetre(&perimetre),
        perimetre,
        demande,
        erreurs,
        resultat,
    })
}

/// The team's mediators for the form's mediator filter (a coordinator's
/// team only).
async fn choix_mediateurs(
    etat: &Etat,
    acteur: &Acteur,
    c: &Calcul,
) -> Result<Vec<Choix>, StoreError> {
    let mut mediateurs = Vec::new();
    if !matches!(c.perimetre, Perimetre::Equipe(_)) {
        return Ok(mediateurs);
    }
    let demande = &c.demande;
    mediateurs.push(Choix::new(
        "",
        "Toute l'équipe",
        demande.mediateur.is_none(),
    ));
    let mut vus: Vec<&str> = Vec::new();
    for l in acteur.liens_equipe() {
        if vus.contains(&l.mediateur_id.as_str()) {
            continue;
        }
        vus.push(&l.mediateur_id);
        let nom = match etat.store().utilisateur(&l.mediateur_id).await? {
            Some(u) => u.nom.unwrap_or(u.email),
            None => l.mediateur_id.clone(),
        };
        let choisi = demande.mediateur.as_deref() == Some(l.mediateur_id.as_str());
        mediateurs.push(Choix::new(l.mediateur_id.clone(), nom, choisi));
    }
    Ok(mediateurs)
}

/// The description of the active filters, for the page and the exports.
fn description(etat: &Etat, libelle: &str, d: &Demande) -> Vec<(String, String)> {
    let mut v = vec![
        ("Périmètre".to_string(), libelle.to_string()),
        (
            "Période".to_string(),
            format!(
                "du {} au {}",
                d.du.format("%d/%m/%Y"),
                d.au.format("%d/%m/%Y")
            ),
        ),
    ];
    if let Some(t) = d.type_activite {
        v.push(("Type d'activité".to_string(), t.libelle().to_string()));
    }
    if let Some(t) = d.type_lieu {
        v.push(("Canal".to_string(), t.libelle().to_string()));
    }
    if let Some(l) = &d.lieu {
        v.push(("Lieu d'activité".to_string(), l.clone()));
    }
    if let Some(t) = d.thematique {
        v.push(("Thématique".to_string(), t.libelle().to_string()));
    }
    if let Some(m) = &d.mediateur {
        v.push(("Médiateur".to_string(), m.clone()));
    }
    let r = etat.referentiel();
    if let Some(c) = &d.commune {
        let nom = r
            .commune(c)
            .map_or_else(|| c.clone(), |x| format!("{} ({c})", x.nom));
        v.push(("Commune".to_string(), nom));
    }
    if let Some(e) = &d.epci {
        let nom = r
            .epci(e)
            .map_or_else(|| e.clone(), |x| format!("{} ({e})", x.nom));
        v.push(("EPCI".to_string(), nom));
    }
    v
}

/// `GET /espace/statistiques`.
async fn page(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let c = match calculer(
        &etat,
        &connecte.acteur,
        requete.as_deref(),
        Action::Consulter,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.page(),
    };
    let mediateurs = match choix_mediateurs(&etat, &connecte.acteur, &c).await {
        Ok(m) => m,
        Err(e) => return indisponible(&e),
    };
    let d = &c.demande;
    let statut = if c.erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let requete_export = requete.unwrap_or_default();
    let resultats = c.resultat.as_ref().map(|(libelle, s)| {
        let desc = description(&etat, libelle, d)
            .into_iter()
            .map(|(k, v)| format!("{k} : {v}"))
            .collect::<Vec<_>>()
            .join(" — ");
        let suffixe = if requete_export.is_empty() {
            String::new()
        } else {
            format!("?{requete_export}")
        };
        Resultats {
            description: desc,
            totaux: totaux(s)
                .into_iter()
                .map(|(k, v)| (k, nombre_fr(v)))
                .collect(),
            sections: sections(&repartitions(&etat, s, d.du, d.au)),
            lien_csv: format!("/espace/statistiques/export.csv{suffixe}"),
            lien_xlsx: format!("/espace/statistiques/export.xlsx{suffixe}"),
        }
    });
    let thematiques = |famille: &[Thematique]| -> Vec<Choix> {
        famille
            .iter()
            .map(|t| Choix::new(t.code(), t.libelle(), d.thematique == Some(*t)))
            .collect()
    };
    let titre = if c.erreurs.is_empty() {
        "Statistiques".to_string()
    } else {
        "Erreur dans les filtres — Statistiques".to_string()
    };
    let page = PageStatistiques {
        mise: mise(&titre),
        perimetres: c
            .options
            .iter()
            .map(|o| Choix::new(o.cle.clone(), o.libelle.clone(), o.cle == c.cle))
            .collect(),
        du: date_affichee(&d.saisie_du, d.du),
        au: date_affichee(&d.saisie_au, d.au),
        types: choix_enum(
            TypeActivite::ALL,
            d.type_activite,
            TypeActivite::code,
            TypeActivite::libelle,
            "Tous",
        ),
        types_lieu: choix_enum(
            TypeLieu::ALL,
            d.type_lieu,
            TypeLieu::code,
            TypeLieu::libelle,
            "Tous",
        ),
        thematiques_mediation: thematiques(Thematique::MEDIATION_NUMERIQUE),
        thematiques_demarches: thematiques(Thematique::DEMARCHES_ADMINISTRATIVES),
        mediateurs,
        lieu: d.lieu.clone().unwrap_or_default(),
        commune: d.commune.clone().unwrap_or_default(),
        epci: d.epci.clone().unwrap_or_default(),
        erreurs: c.erreurs.clone(),
        resultats,
    };
    sans_cache(rendre(statut, &page))
}

// ---------------------------------------------------------------------------
// Exports

/// A file to download, never cached.
pub(crate) fn fichier(type_mime: &'static str, nom: &str, corps: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, corps).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(type_mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{nom}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    sans_cache(r)
}

/// `12,5`: the percentage with one decimal and a French comma.
pub(crate) fn proportion_csv(part: u64, total: u64) -> String {
    if total == 0 {
        return "0".to_string();
    }
    let dixiemes = (part as f64 * 1000.0 / total as f64).round() as u64;
    format!("{},{}", dixiemes / 10, dixiemes % 10)
}

/// The CSV (see [`FichierCsv`]): the filters first, then one section per
/// breakdown.
fn csv_statistiques(
    entete: &[(String, String)],
    s: &Statistiques,
    reps: &[Repartition],
) -> Result<Vec<u8>, csv::Error> {
    let mut f = FichierCsv::nouveau();
    f.section(
        std::iter::once(vec!["Statistiques des activités — Maillage".to_string()])
            .chain(entete.iter().map(|(k, v)| vec![k.clone(), v.clone()])),
    )?;
    f.section(
        [
            vec!["Statistiques générales".to_string()],
            vec!["Indicateur".to_string(), "Valeur".to_string()],
        ]
        .into_iter()
        .chain(
            totaux(s)
                .into_iter()
                .map(|(k, v)| vec![k.to_string(), v.to_string()]),
        ),
    )?;
    for r in reps {
        let entetes = [r.entete, "Activités", "Accompagnements", "Proportion (%)"];
        f.section(
            [
                vec![r.titre.clone()],
                entetes.iter().map(|e| e.to_string()).collect(),
            ]
            .into_iter()
            .chain(r.lignes.iter().map(|(l, c)| {
                vec![
                    l.clone(),
                    c.activites.to_string(),
                    c.accompagnements.to_string(),
                    proportion_csv(c.accompagnements, r.total),
                ]
            })),
        )?;
    }
    Ok(f.octets())
}

/// A file that could not be written: a page, never a truncated file.
pub(crate) fn erreur_csv(e: csv::Error) -> Response {
    tracing::error!("export CSV : {e}");
    sans_cache(crate::pages::erreur(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Export impossible",
        "Le fichier CSV n'a pas pu être produit. Réessayez dans quelques minutes.",
    ))
}

fn erreur_xlsx(e: rust_xlsxwriter::XlsxError) -> Response {
    tracing::error!("export XLSX : {e}");
    sans_cache(crate::pages::erreur(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Export impossible",
        "Le fichier XLSX n'a pas pu être produit. Réessayez, ou téléchargez le CSV.",
    ))
}

fn xlsx_statistiques(
    entete: &[(String, String)],
    s: &Statistiques,
    reps: &[Repartition],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut classeur = Workbook::new();
    let gras = Format::new().set_bold();
    let pourcent = Format::new().set_num_format("0.0 %");
    let feuille = classeur.add_worksheet();
    feuille.set_name("Statistiques")?;
    feuille.set_column_width(0, 60)?;
    feuille.set_column_width(1, 14)?;
    feuille.set_column_width(2, 18)?;
    feuille.set_column_width(3, 14)?;
    let mut ligne: u32 = 0;
    feuille.write_string_with_format(ligne, 0, "Statistiques des activités — Maillage", &gras)?;
    ligne += 1;
    for (k, v) in entete {
        feuille.write_string(ligne, 0, k)?;
        feuille.write_string(ligne, 1, v)?;
        ligne += 1;
    }
    ligne += 1;
    feuille.write_string_with_format(ligne, 0, "Statistiques générales", &gras)?;
    ligne += 1;
    feuille.write_string_with_format(ligne, 0, "Indicateur", &gras)?;
    feuille.write_string_with_format(ligne, 1, "Valeur", &gras)?;
    ligne += 1;
    for (k, v) in totaux(s) {
        feuille.write_string(ligne, 0, k)?;
        feuille.write_number(ligne, 1, v as f64)?;
        ligne += 1;
    }
    for r in reps {
        ligne += 1;
        feuille.write_string_with_format(ligne, 0, &r.titre, &gras)?;
        ligne += 1;
        for (i, t) in [r.entete, "Activités", "Accompagnements", "Proportion"]
            .iter()
            .enumerate()
        {
            feuille.write_string_with_format(ligne, i as u16, *t, &gras)?;
        }
        ligne += 1;
        for (l, c) in &r.lignes {
            feuille.write_string(ligne, 0, l)?;
            feuille.write_number(ligne, 1, c.activites as f64)?;
            feuille.write_number(ligne, 2, c.accompagnements as f64)?;
            let p = if r.total == 0 {
                0.0
            } else {
                c.accompagnements as f64 / r.total as f64
            };
            feuille.write_number_with_format(ligne, 3, p, &pourcent)?;
            ligne += 1;
        }
    }
    classeur.save_to_buffer()
}

/// The checked figures of an export request, or the response to send
/// (403, 503, or 400 naming the fields in error).
#[allow(clippy::result_large_err)]
async fn pour_export(
    etat: &Etat,
    connecte: &Connecte,
    requete: Option<&str>,
) -> Result<
    (
        Vec<(String, String)>,
        Statistiques,
        Vec<Repartition>,
        String,
    ),
    Response,
> {
    let c = calculer(etat, &connecte.acteur, requete, Action::Exporter)
        .await
        .map_err(Echec::page)?;
    let Some((libelle, s)) = c.resultat else {
        let message = c
            .erreurs
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(sans_cache(crate::pages::erreur(
            StatusCode::BAD_REQUEST,
            "Export impossible",
            &message,
        )));
    };
    let d = &c.demande;
    let reps = repartitions(etat, &s, d.du, d.au);
    let nom = format!("statistiques-{}-{}", d.du, d.au);
    Ok((description(etat, &libelle, d), s, reps, nom))
}

/// `GET /espace/statistiques/export.csv`.
async fn export_csv(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    match pour_export(&etat, &connecte, requete.as_deref()).await {
        Ok((entete, s, reps, nom)) => match csv_statistiques(&entete, &s, &reps) {
            Ok(octets) => fichier("text/csv; charset=utf-8", &format!("{nom}.csv"), octets),
            Err(e) => erreur_csv(e),
        },
        Err(r) => r,
    }
}

/// The MIME type of XLSX files.
pub(crate) const MIME_XLSX: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /espace/statistiques/export.xlsx`.
async fn export_xlsx(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    match pour_export(&etat, &connecte, requete.as_deref()).await {
        Ok((entete, s, reps, nom)) => match xlsx_statistiques(&entete, &s, &reps) {
            Ok(octets) => fichier(MIME_XLSX, &format!("{nom}.xlsx"), octets),
            Err(e) => erreur_xlsx(e),
        },
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periode_par_defaut_douze_mois() {
        let d = |y, m, j| NaiveDate::from_ymd_opt(y, m, j).expect("date");
        assert_eq!(
            periode_par_defaut(d(2025, 3, 11)),
            (d(2024, 4, 1), d(2025, 3, 11))
        );
        assert_eq!(mois_de_la_periode(d(2024, 4, 1), d(2025, 3, 11)).len(), 12);
    }

    #[test]
    fn mois_en_francais() {
        assert_eq!(libelle_mois("2025-03"), "mars 2025");
        assert_eq!(libelle_mois("2024-12"), "décembre 2024");
        assert_eq!(libelle_mois("n'importe"), "n'importe");
        assert_eq!(libelle_mois("2024-13"), "2024-13");
        assert_eq!(libelle_mois_court("septembre 2024"), "sept. 24");
        assert_eq!(libelle_mois_court("mai 2025"), "mai 25");
        assert_eq!(libelle_mois_court("autre"), "autre");
    }

    #[test]
    fn proportions() {
        assert_eq!(proportion_csv(1, 8), "12,5");
        assert_eq!(proportion_csv(0, 0), "0");
        assert_eq!(proportion_csv(3, 3), "100,0");
    }
}
