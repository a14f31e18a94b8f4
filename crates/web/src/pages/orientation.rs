//! `/orientation`: the 4-step questionnaire (need, place and radius,
//! adapted welcome, availability) as GET forms carrying previous answers in
//! hidden fields, with a live count; the ranked results with their reasons;
//! and the printable "fiche d'orientation" (`/orientation/fiche`), rendered
//! from the URL and never stored.

use super::{
    champs_disponibilite, erreur, nombre_lieux, rendre, resume, segment, Choix, LieuResume, Mise,
};
use crate::etat::Etat;
use crate::parametres::{format_nombre, ErreurParametre, Reponses, Requete};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use maillage_lieux::enums::PriseEnCharge;
use maillage_lieux::Valeur;
use maillage_orientation::{groupes_de_besoins, Disponibilite};

/// Proposals per page of results.
pub const PAR_PAGE: usize = 10;

const TITRES: [&str; 4] = [
    "Quel est le besoin ?",
    "Où la personne réside-t-elle ?",
    "A-t-elle besoin d'un accueil adapté ?",
    "Quand est-elle disponible ?",
];

/// The keys each step asks (they are not carried as hidden fields there).
fn cles_etape(etape: u8) -> &'static [&'static str] {
    match etape {
        1 => &["besoin"],
        2 => &["pres_de", "latitude", "longitude", "rayon_km"],
        3 => &["prise_en_charge_specifique"],
        4 => &[
            "disponibilite",
            "jour",
            "de",
            "a",
            "ouvert_maintenant",
            "ouvert_week_end",
            "ouvert_le",
            "strict",
        ],
        _ => &[],
    }
}

fn etape_du_parametre(p: &str) -> u8 {
    (1..=4).find(|e| cles_etape(*e).contains(&p)).unwrap_or(1)
}

#[derive(Debug, Clone)]
pub struct Groupe {
    pub titre: &'static str,
    pub besoins: Vec<BesoinVue>,
}

#[derive(Debug, Clone)]
pub struct BesoinVue {
    pub id: String,
    pub valeur: &'static str,
    pub libelle: &'static str,
    pub indication: &'static str,
    pub choisi: bool,
}

#[derive(Template)]
#[template(path = "orientation.html")]
pub struct PageOrientation {
    pub mise: Mise,
    pub etape: u8,
    pub titre_etape: &'static str,
    pub etapes: Vec<(u8, &'static str, bool)>,
    pub erreur: Option<String>,
    pub caches: Vec<(&'static str, String)>,
    pub compte: String,
    pub precedente: Option<String>,
    pub groupes: Vec<Groupe>,
    pub pres_de: String,
    pub rayons: Vec<Choix>,
    pub prises_en_charge: Vec<Choix>,
    pub dispo: &'static str,
    pub jours: Vec<Choix>,
    pub de: String,
    pub a: String,
    pub strict: bool,
    pub resume: Vec<(String, String)>,
    pub propositions: Vec<LieuResume>,
    pub total: usize,
    pub suite: Option<String>,
    pub modifier: Vec<(u8, String)>,
}

pub async fn orientation(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let requete = q.unwrap_or_default();
    let r = Requete::analyser(&requete).unwrap_or_default();
    let mut etape: u8 = r
        .un("etape")
        .and_then(|e| e.parse().ok())
        .filter(|e| (1..=5).contains(e))
        .unwrap_or(1);
    let (reponses, erreur_p): (Reponses, Option<ErreurParametre>) =
        match Requete::analyser(&requete).and_then(|r| Reponses::depuis(&r, etat.referentiel())) {
            Ok(x) => (x, None),
            Err(e) => {
                // Keep what can be kept: drop the faulty parameter.
                let sans: String = form_urlencoded::parse(requete.as_bytes())
                    .filter(|(k, _)| *k != e.parametre)
                    .fold(
                        form_urlencoded::Serializer::new(String::new()),
                        |mut s, (k, v)| {
                            s.append_pair(&k, &v);
                            s
                        },
                    )
                    .finish();
                let rep = Requete::analyser(&sans)
                    .and_then(|r| Reponses::depuis(&r, etat.referentiel()))
                    .unwrap_or_default();
                etape = etape.min(etape_du_parametre(&e.parametre));
                (rep, Some(e))
            }
        };
    let catalogue = etat.catalogue();
    let maintenant = etat.maintenant();
    let questionnaire = reponses.questionnaire(PAR_PAGE);
    let total = catalogue.compter(&questionnaire.recherche(), maintenant);

    let caches: Vec<(&'static str, String)> = reponses
        .paires()
        .into_iter()
        .filter(|(k, _)| !cles_etape(etape).contains(k))
        .collect();
    let lien = |e: u8| {
        format!(
            "/orientation?{}",
            reponses.requete(&[("etape", e.to_string())])
        )
    };

    let groupes = groupes_de_besoins()
        .iter()
        .enumerate()
        .map(|(gi, g)| Groupe {
            titre: g.titre,
            besoins: g
                .besoins
                .iter()
                .enumerate()
                .map(|(bi, b)| BesoinVue {
                    id: format!("besoin-{gi}-{bi}"),
                    valeur: b.service.valeur(),
                    libelle: b.service.libelle(),
                    indication: b.indication.unwrap_or_default(),
                    choisi: reponses.besoin == Some(b.service),
                })
                .collect(),
        })
        .collect();
    let rayon = reponses
        .rayon_km
        .unwrap_or(maillage_orientation::orientation::RAYON_DEFAUT_KM);
    let rayons = (1..=20)
        .map(|i| {
            let r = f64::from(i * 5);
            Choix::new(
                format_nombre(r),
                format!("{} km", i * 5),
                (r - rayon).abs() < 1e-9,
            )
        })
        .collect();
    let prises_en_charge = PriseEnCharge::TOUTES
        .iter()
        .map(|p| {
            Choix::new(
                p.valeur(),
                p.libelle(),
                reponses.prise_en_charge.contains(*p),
            )
        })
        .collect();
    let (dispo, jours, de, a) = champs_disponibilite(reponses.disponibilite);

    let mut resume_rep = Vec::new();
    resume_rep.push((
        "Besoin".to_string(),
        reponses
            .besoin
            .map_or("non précisé".to_string(), |b| b.libelle().to_string()),
    ));
    resume_rep.push((
        "Lieu de départ".to_string(),
        match &reponses.origine {
            Some(o) => format!(
                "{} (dans un rayon de {} km)",
                o.libelle,
                format_nombre(rayon)
            ),
            None => "non précisé".to_string(),
        },
    ));
    resume_rep.push((
        "Accueil adapté".to_string(),
        if reponses.prise_en_charge.is_empty() {
            "aucun besoin particulier".to_string()
        } else {
            reponses
                .prise_en_charge
                .iter()
                .map(|p| p.libelle())
                .collect::<Vec<_>>()
                .join(", ")
        },
    ));
    resume_rep.push((
        "Disponibilité".to_string(),
        match reponses.disponibilite {
            None => "peu importe".to_string(),
            Some(Disponibilite::Maintenant) => "maintenant".to_string(),
            Some(Disponibilite::WeekEnd) => "le week-end".to_string(),
            Some(Disponibilite::Le(d)) => d.format("le %d/%m/%Y à %H:%M").to_string(),
            Some(Disponibilite::Creneau { jour, debut, fin }) => format!(
                "{} de {} à {}",
                maillage_orientation::nom_jour(jour),
                debut.format("%H:%M"),
                if fin <= debut {
                    "minuit".to_string()
                } else {
                    fin.format("%H:%M").to_string()
                }
            ),
        },
    ));

    let mut propositions = Vec::new();
    let mut suite = None;
    if etape == 5 {
        let o = catalogue.orienter(&questionnaire, maintenant);
        for p in &o.propositions {
            let mut l = resume(&etat, &catalogue, p.index, p.distance_km);
            l.raisons = p.raisons.iter().map(|r| r.to_string()).collect();
            propositions.push(l);
        }
        let par_page = questionnaire.par_page.max(1);
        if reponses.page * par_page < o.total {
            suite = Some(format!(
                "/orientation?{}",
                reponses.requete(&[
                    ("etape", "5".to_string()),
                    ("page", (reponses.page + 1).to_string())
                ])
            ));
        }
    }

    let titre_etape = if etape == 5 {
        "Les lieux proposés"
    } else {
        TITRES[usize::from(etape - 1)]
    };
    let mut mise = Mise::new(
        if etape == 5 {
            "Orientation : lieux proposés".to_string()
        } else {
            format!("Orientation, étape {etape} sur 4 : {titre_etape}")
        },
        "orientation",
    );
    mise.compteur = etape < 5;
    let statut = if erreur_p.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    rendre(
        statut,
        &PageOrientation {
            mise,
            etape,
            titre_etape,
            etapes: TITRES
                .iter()
                .enumerate()
                .map(|(i, t)| (i as u8 + 1, *t, i as u8 + 1 == etape))
                .collect(),
            erreur: erreur_p.map(|e| e.message),
            caches,
            compte: if total == 0 {
                "Aucun lieu ne correspond pour l'instant".to_string()
            } else {
                format!(
                    "{} correspond{} à ces réponses",
                    nombre_lieux(total),
                    if total > 1 { "ent" } else { "" }
                )
            },
            precedente: (etape > 1).then(|| lien(etape - 1)),
            groupes,
            pres_de: reponses
                .pres_de
                .clone()
                .or_else(|| reponses.origine.as_ref().map(|o| o.libelle.clone()))
                .unwrap_or_default(),
            rayons,
            prises_en_charge,
            dispo,
            jours,
            de,
            a,
            strict: reponses.strict,
            resume: resume_rep,
            propositions,
            total,
            suite,
            modifier: (1..=4).map(|e| (e, lien(e))).collect(),
        },
    )
}

// ------------------------------------------------------------------ fiche

#[derive(Template)]
#[template(path = "fiche.html")]
pub struct PageFiche {
    pub mise: Mise,
    pub lieu_id: String,
    pub lieu_url: String,
    pub nom: String,
    pub adresse: String,
    pub telephone: String,
    pub courriel: String,
    pub horaires: Vec<(String, String)>,
    pub services: String,
    pub prete: bool,
    pub beneficiaire: String,
    pub prescripteur: String,
    pub structure: String,
    pub precisions: String,
    pub date: String,
    pub erreurs: Vec<String>,
}

/// `GET /orientation/fiche?lieu=…[&beneficiaire=…&prescripteur=…]`.
pub async fn fiche(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    let r = Requete::analyser(q.as_deref().unwrap_or_default()).unwrap_or_default();
    let catalogue = etat.catalogue();
    let Some(index) = r.un("lieu").and_then(|id| catalogue.index_de(id)) else {
        return erreur(
            StatusCode::NOT_FOUND,
            "Lieu introuvable",
            "Choisissez d'abord un lieu (depuis sa page ou les résultats de l'orientation) pour préparer la fiche.",
        );
    };
    let l = &catalogue.lieux()[index];
    let champ = |k: &str, max: usize| -> (String, bool) {
        let v = r.un(k).unwrap_or_default();
        (v.chars().take(max).collect(), v.chars().count() > max)
    };
    let (beneficiaire, b_long) = champ("beneficiaire", 40);
    let (prescripteur, p_long) = champ("prescripteur", 80);
    let (structure, s_long) = champ("structure", 80);
    let (precisions, x_long) = champ("precisions", 500);
    let mut erreurs = Vec::new();
    if b_long || p_long || s_long || x_long {
        erreurs.push("Un champ était trop long : il a été raccourci.".to_string());
    }
    let demande = r.un("imprimer").is_some();
    if demande && beneficiaire.is_empty() {
        erreurs.push("Indiquez le prénom de la personne.".to_string());
    }
    if demande && prescripteur.is_empty() {
        erreurs.push("Indiquez votre nom (prescripteur).".to_string());
    }
    let prete = demande && !beneficiaire.is_empty() && !prescripteur.is_empty();
    let maintenant = etat.maintenant();
    let horaires = catalogue
        .semaine(index, maintenant)
        .into_iter()
        .map(|j| {
            (
                j.jour.to_string(),
                if j.intervalles.is_empty() {
                    "fermé".to_string()
                } else {
                    j.intervalles.join(", ")
                },
            )
        })
        .collect();
    let mut mise = Mise::new(
        if prete {
            "Fiche d'orientation".to_string()
        } else {
            "Préparer une fiche d'orientation".to_string()
        },
        "orientation",
    );
    mise.impression = prete;
    mise.prive = true;
    let mut rep = rendre(
        if erreurs.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        },
        &PageFiche {
            mise,
            lieu_id: l.id.to_string(),
            lieu_url: segment(&l.id),
            nom: l.nom.to_string(),
            adresse: format!(
                "{}{}, {} {}",
                l.adresse,
                l.complement_adresse
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default(),
                l.code_postal,
                l.commune
            ),
            telephone: l
                .telephone
                .as_deref()
                .map(super::lieu::telephone_lisible)
                .unwrap_or_default(),
            courriel: l
                .courriels
                .first()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            horaires,
            services: super::joindre(l.services),
            prete,
            beneficiaire,
            prescripteur,
            structure,
            precisions,
            date: maintenant.format("%d/%m/%Y").to_string(),
            erreurs,
        },
    );
    // Personal data in the URL: never cached, never sent as referrer.
    let h = rep.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    rep
}
