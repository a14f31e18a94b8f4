//! `/lieux`: search and filters, list (paginated) and map.

use super::{
    champs_disponibilite, facette, nombre_lieux, rendre, resume, Choix, Facette, LieuResume, Mise,
    Pagination,
};
use crate::etat::Etat;
use crate::parametres::{code_tri, format_nombre, Filtres, Requete};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maillage_lieux::enums::*;
use maillage_orientation::Territoire;

/// Results per page of the list.
pub const PAR_PAGE: usize = 20;

/// What the form shows back.
#[derive(Debug, Clone, Default)]
pub struct VueFiltres {
    pub q: String,
    pub pres_de: String,
    pub dispo: &'static str,
    pub de: String,
    pub a: String,
    pub prise_rdv: bool,
}

#[derive(Template)]
#[template(path = "recherche.html")]
pub struct PageRecherche {
    pub mise: Mise,
    pub titre: String,
    pub intro: String,
    pub action: &'static str,
    pub cible: &'static str,
    pub erreur: Option<String>,
    pub f: VueFiltres,
    pub rayons: Vec<Choix>,
    pub jours: Vec<Choix>,
    pub tris: Vec<Choix>,
    pub regions: Vec<Choix>,
    pub departements: Vec<Choix>,
    pub territoire_autre: Option<(String, String)>,
    pub territoire_fixe: String,
    pub facettes: Vec<Facette>,
    pub total: usize,
    pub total_texte: String,
    pub resume: String,
    pub lieux: Vec<LieuResume>,
    pub premier: usize,
    pub pagination: Pagination,
    pub reinitialiser: String,
    pub requete_export: String,
    pub tuiles: Option<String>,
    pub attribution: Option<String>,
}

/// The name of a territory (`Gironde (33)`).
pub fn nom_territoire(etat: &Etat, t: &Territoire) -> String {
    let r = etat.referentiel();
    match t {
        Territoire::Region(c) => r.region(c).map(|x| x.nom.to_string()),
        Territoire::Departement(c) => r.departement(c).map(|x| format!("{} ({})", x.nom, x.code)),
        Territoire::Epci(c) => r.epci(c).map(|x| x.nom.to_string()),
        Territoire::Commune(c) => r
            .commune(c)
            .map(|x| format!("{} ({})", x.nom, x.code_insee)),
    }
    .unwrap_or_else(|| t.to_string())
}

fn facettes(etat: &Etat, f: &Filtres, embed: bool) -> Vec<Facette> {
    let catalogue = etat.catalogue();
    // Typologies and sources: only those present in the registry.
    let mut typologies: Vec<Typologie> = catalogue.typologies_presentes().iter().collect();
    for t in f.typologie.iter() {
        if !typologies.contains(&t) {
            typologies.push(t);
        }
    }
    typologies.sort();
    let mut v = vec![
        facette::<Service>(
            "Services",
            "Un lieu qui propose au moins un des services cochés.",
            f.services,
            None,
            !embed,
        ),
        facette::<Public>(
            "Publics spécifiquement accueillis",
            "",
            f.publics_specifiquement_adresses,
            None,
            false,
        ),
        facette::<PriseEnCharge>(
            "Accueil adapté (prise en charge spécifique)",
            "",
            f.prise_en_charge_specifique,
            None,
            false,
        ),
        facette::<Frais>(
            "Frais à la charge de la personne",
            "",
            f.frais_a_charge,
            None,
            false,
        ),
        facette::<ModaliteAcces>("Modalités d'accès", "", f.modalites_acces, None, false),
        facette::<ModaliteAccompagnement>(
            "Modalités d'accompagnement",
            "",
            f.modalites_accompagnement,
            None,
            false,
        ),
        facette::<Dispositif>(
            "Dispositifs et programmes nationaux",
            "",
            f.dispositif_programmes_nationaux,
            None,
            false,
        ),
        facette::<FormationLabel>("Formations et labels", "", f.formations_labels, None, false),
        facette::<Itinerance>("Itinérance", "", f.itinerance, None, false),
        facette::<Typologie>(
            "Type de structure",
            "",
            f.typologie,
            Some(typologies),
            false,
        ),
    ];
    let sources = catalogue.sources();
    if !sources.is_empty() {
        let options = sources
            .iter()
            .enumerate()
            .map(|(i, (nom, n))| super::OptionCase {
                id: format!("source-{i}"),
                valeur: nom.clone(),
                libelle: format!("{nom} ({n})"),
                coche: f.sources.iter().any(|s| s == nom),
            })
            .collect::<Vec<_>>();
        v.push(Facette {
            champ: "source",
            titre: "Source des données",
            aide: "",
            cochees: f.sources.len(),
            ouverte: !f.sources.is_empty(),
            options,
        });
    }
    v
}

/// The page for these parameters; shared by `/lieux` and `/embed`.
pub fn page(etat: &Etat, requete: &str, embed: bool) -> Response {
    let referentiel = etat.referentiel();
    let (filtres, erreur) =
        match Requete::analyser(requete).and_then(|r| Filtres::depuis(&r, referentiel)) {
            Ok(f) => (f, None),
            Err(e) => (Filtres::default(), Some(e.message)),
        };
    let catalogue = etat.catalogue();
    let maintenant = etat.maintenant();
    let recherche = filtres.recherche(PAR_PAGE);
    let res = catalogue.rechercher(&recherche, maintenant);
    let par_page = recherche.par_page.max(1);
    let action: &'static str = if embed { "/embed" } else { "/lieux" };
    let pagination = Pagination::new(filtres.page, res.total, par_page, |p| {
        format!("{action}?{}#resultats", filtres.requete(Some(p)))
    });
    let lieux: Vec<LieuResume> = res
        .lieux
        .iter()
        .map(|t| resume(etat, &catalogue, t.index, t.distance_km))
        .collect();

    let mut resume_filtres = Vec::new();
    if let Some(t) = &filtres.territoire {
        resume_filtres.push(nom_territoire(etat, t));
    }
    if let Some(o) = &filtres.origine {
        match filtres.rayon_km {
            Some(r) => resume_filtres.push(format!(
                "à moins de {} km de {}",
                format_nombre(r),
                o.libelle
            )),
            None => resume_filtres.push(format!("du plus proche au plus loin de {}", o.libelle)),
        }
    }
    if filtres.actifs() {
        let n = filtres.paires_filtres().len();
        if resume_filtres.is_empty() {
            resume_filtres.push(format!("{n} filtre(s) appliqué(s)"));
        }
    }

    let rayon = filtres.rayon_km.map(format_nombre).unwrap_or_default();
    let mut rayons = vec![Choix::new("", "sans limite", rayon.is_empty())];
    for r in ["2", "5", "10", "20", "30", "50", "100"] {
        rayons.push(Choix::new(r, format!("{r} km"), rayon == r));
    }
    if !rayon.is_empty() && !rayons.iter().any(|c| c.choisi) {
        rayons.push(Choix::new(rayon.clone(), format!("{rayon} km"), true));
    }
    let (dispo, jours, de, a) = champs_disponibilite(filtres.disponibilite);
    let tri = filtres.tri.map(code_tri).unwrap_or("");
    let tris = vec![
        Choix::new(
            "",
            "pertinence (distance si un lieu de départ est donné)",
            tri.is_empty() || tri == "pertinence",
        ),
        Choix::new("distance", "distance", tri == "distance"),
        Choix::new("nom", "nom", tri == "nom"),
    ];
    let t_choisi = filtres
        .territoire
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let regions: Vec<Choix> = {
        let mut v: Vec<_> = referentiel.regions().iter().collect();
        v.sort_by(|a, b| a.nom.cmp(&b.nom));
        v.into_iter()
            .map(|r| {
                let code = format!("reg:{}", r.code);
                let choisi = code == t_choisi;
                Choix::new(code, r.nom.to_string(), choisi)
            })
            .collect()
    };
    let departements: Vec<Choix> = referentiel
        .departements()
        .iter()
        .map(|d| {
            let code = format!("dep:{}", d.code);
            let choisi = code == t_choisi;
            Choix::new(code, format!("{} – {}", d.code, d.nom), choisi)
        })
        .collect();
    let territoire_autre = match &filtres.territoire {
        Some(t @ (Territoire::Epci(_) | Territoire::Commune(_))) => {
            Some((t.to_string(), nom_territoire(etat, t)))
        }
        _ => None,
    };
    // In an iframe, a territory given by the host page stays fixed.
    let territoire_fixe = if embed {
        t_choisi.clone()
    } else {
        String::new()
    };
    let reinitialiser = if embed && !t_choisi.is_empty() {
        format!(
            "?territoire={}",
            form_urlencoded::byte_serialize(t_choisi.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    let export = {
        let mut f = filtres.clone();
        f.page = 1;
        f.par_page = None;
        let q = f.requete(None);
        if q.is_empty() {
            String::new()
        } else {
            format!("?{q}")
        }
    };

    let titre = if embed {
        "Lieux de médiation numérique".to_string()
    } else {
        "Trouver un lieu de médiation numérique".to_string()
    };
    let mut mise = Mise::new(
        if filtres.page > 1 {
            format!("{titre} — page {}", pagination.page)
        } else {
            titre.clone()
        },
        "lieux",
    );
    mise.carte = true;
    mise.embed = embed;
    let total_texte = if res.total == 0 {
        "Aucun lieu trouvé".to_string()
    } else {
        format!(
            "{} trouvé{}",
            nombre_lieux(res.total),
            if res.total > 1 { "s" } else { "" }
        )
    };
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    rendre(
        statut,
        &PageRecherche {
            mise,
            titre,
            intro: if embed {
                String::new()
            } else {
                "Cherchez par nom, par commune ou autour d'une adresse, puis affinez avec les filtres. Les filtres d'une même rubrique s'additionnent (l'un ou l'autre) ; des rubriques différentes se combinent (l'un et l'autre).".to_string()
            },
            action,
            cible: if embed { "_blank" } else { "" },
            erreur,
            f: VueFiltres {
                q: filtres.q.clone().unwrap_or_default(),
                pres_de: filtres
                    .pres_de
                    .clone()
                    .or_else(|| filtres.origine.as_ref().map(|o| o.libelle.clone()))
                    .unwrap_or_default(),
                dispo,
                de,
                a,
                prise_rdv: filtres.prise_rdv,
            },
            rayons,
            jours,
            tris,
            regions,
            departements,
            territoire_autre,
            territoire_fixe,
            facettes: facettes(etat, &filtres, embed),
            total: res.total,
            total_texte,
            resume: resume_filtres.join(", "),
            premier: (pagination.page - 1) * par_page + 1,
            lieux,
            pagination,
            reinitialiser,
            requete_export: export,
            tuiles: etat.config().tuiles.clone(),
            attribution: etat.config().attribution_tuiles.clone(),
        },
    )
}

/// `GET /lieux`.
pub async fn lieux(State(etat): State<Etat>, RawQuery(q): RawQuery) -> Response {
    page(&etat, q.as_deref().unwrap_or_default(), false)
}
