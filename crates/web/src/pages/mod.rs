//! Server-rendered pages (askama templates in `templates/`).

pub mod accueil;
pub mod comptes;
pub mod diagnostic;
pub mod embed;
pub mod lieu;
pub mod orientation;
pub mod recherche;
pub mod signalements;
pub mod territoires;

use crate::etat::Etat;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maillage_lieux::{Ensemble, Lieu, Valeur};
use maillage_orientation::{libelle_distance, Catalogue};

/// What the layout (`base.html`) needs.
#[derive(Debug, Clone)]
pub struct Mise {
    pub titre: String,
    pub description: String,
    /// Section of the main navigation marked as current.
    pub rubrique: &'static str,
    /// Load Leaflet and the map script.
    pub carte: bool,
    /// Load the live-count script.
    pub compteur: bool,
    /// Load the print button script.
    pub impression: bool,
    /// Chrome-less page for iframes.
    pub embed: bool,
    /// Not to be indexed.
    pub prive: bool,
}

impl Mise {
    pub fn new(titre: impl Into<String>, rubrique: &'static str) -> Mise {
        Mise {
            titre: titre.into(),
            description: "Trouver un lieu de médiation numérique près de chez soi : aide aux démarches en ligne, accès à internet, apprentissage des outils numériques.".to_string(),
            rubrique,
            carte: false,
            compteur: false,
            impression: false,
            embed: false,
            prive: false,
        }
    }

    /// URL of an embedded asset, with its content hash.
    pub fn url(&self, chemin: &str) -> String {
        crate::statique::url(chemin)
    }
}

/// Renders a template as an HTML response.
pub fn rendre<T: Template>(statut: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (statut, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendu impossible : {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Erreur interne : la page n'a pas pu être affichée.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "erreur.html")]
pub struct PageErreur {
    pub mise: Mise,
    pub titre: String,
    pub message: String,
}

/// A French error page.
pub fn erreur(statut: StatusCode, titre: &str, message: &str) -> Response {
    let mut mise = Mise::new(titre, "");
    mise.prive = true;
    rendre(
        statut,
        &PageErreur {
            mise,
            titre: titre.to_string(),
            message: message.to_string(),
        },
    )
}

pub async fn introuvable() -> Response {
    erreur(
        StatusCode::NOT_FOUND,
        "Page introuvable",
        "Cette adresse ne correspond à aucune page. Vérifiez-la, ou repartez de l'accueil.",
    )
}

/// One option of a select, radio group or checkbox group.
#[derive(Debug, Clone)]
pub struct Choix {
    pub valeur: String,
    pub libelle: String,
    pub choisi: bool,
}

impl Choix {
    pub fn new(valeur: impl Into<String>, libelle: impl Into<String>, choisi: bool) -> Choix {
        Choix {
            valeur: valeur.into(),
            libelle: libelle.into(),
            choisi,
        }
    }
}

/// One checkbox of a facet.
#[derive(Debug, Clone)]
pub struct OptionCase {
    pub id: String,
    pub valeur: String,
    pub libelle: String,
    pub coche: bool,
}

/// A group of checkboxes for one enumeration of the standard.
#[derive(Debug, Clone)]
pub struct Facette {
    pub champ: &'static str,
    pub titre: &'static str,
    pub aide: &'static str,
    pub options: Vec<OptionCase>,
    pub cochees: usize,
    pub ouverte: bool,
}

/// The facet of enumeration `T`, limited to `valeurs` when given.
pub fn facette<T: Valeur>(
    titre: &'static str,
    aide: &'static str,
    choisies: Ensemble<T>,
    valeurs: Option<Vec<T>>,
    ouverte: bool,
) -> Facette {
    let valeurs = valeurs.unwrap_or_else(|| T::TOUTES.to_vec());
    let options: Vec<OptionCase> = valeurs
        .into_iter()
        .enumerate()
        .map(|(i, v)| OptionCase {
            id: format!("{}-{i}", T::CHAMP),
            valeur: v.valeur().to_string(),
            libelle: if v.libelle() == v.valeur() {
                v.libelle().to_string()
            } else {
                format!("{} ({})", v.libelle(), v.valeur())
            },
            coche: choisies.contains(v),
        })
        .collect();
    Facette {
        champ: T::CHAMP,
        titre,
        aide,
        cochees: choisies.len(),
        ouverte: ouverte || !choisies.is_empty(),
        options,
    }
}

/// A place in a list of results.
#[derive(Debug, Clone)]
pub struct LieuResume {
    pub id_url: String,
    pub nom: String,
    pub adresse: String,
    pub code_postal: String,
    pub commune: String,
    pub distance: Option<String>,
    pub ouverture: Option<String>,
    pub ouvert: bool,
    pub services: String,
    pub raisons: Vec<String>,
}

/// Percent-encodes a path segment.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn joindre<T: Valeur>(e: Ensemble<T>) -> String {
    e.iter()
        .map(|v| v.libelle())
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn resume(
    etat: &Etat,
    catalogue: &Catalogue,
    index: usize,
    distance_km: Option<f64>,
) -> LieuResume {
    let l: &Lieu = &catalogue.lieux()[index];
    let maintenant = etat.maintenant();
    let ouverture = match catalogue.etat_ouverture(index, maintenant) {
        maillage_orientation::EtatOuverture::Inconnu => None,
        _ => Some(catalogue.libelle_ouverture(index, maintenant)),
    };
    LieuResume {
        id_url: segment(&l.id),
        nom: l.nom.to_string(),
        adresse: l.adresse.to_string(),
        code_postal: l.code_postal.to_string(),
        commune: l.commune.to_string(),
        distance: distance_km.map(libelle_distance),
        ouvert: catalogue.etat_ouverture(index, maintenant).ouvert(),
        ouverture,
        services: joindre(l.services),
        raisons: Vec::new(),
    }
}

/// Page links.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub page: usize,
    pub pages: usize,
    pub precedente: Option<String>,
    pub suivante: Option<String>,
}

impl Pagination {
    pub fn new(
        page: usize,
        total: usize,
        par_page: usize,
        lien: impl Fn(usize) -> String,
    ) -> Pagination {
        let pages = total
            .div_ceil(par_page.max(1))
            .clamp(1, crate::parametres::PAGE_MAX);
        let page = page.min(pages.max(1)).max(1);
        Pagination {
            page,
            pages,
            precedente: (page > 1).then(|| lien(page - 1)),
            suivante: (page < pages).then(|| lien(page + 1)),
        }
    }
}

/// `1 lieu`, `2 345 lieux`.
pub fn nombre_lieux(n: usize) -> String {
    if n <= 1 {
        format!("{n} lieu")
    } else {
        format!("{} lieux", milliers(n))
    }
}

/// `12 345` with a narrow no-break space.
pub fn milliers(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && matches!((s.len() - i) % 3, 0) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

#[derive(Template)]
#[template(path = "texte.html")]
pub struct PageTexte {
    pub mise: Mise,
    pub titre: String,
    pub paragraphes: Vec<String>,
}

/// `/donnees-personnelles`.
pub async fn donnees_personnelles() -> Response {
    let titre = "Données personnelles";
    rendre(
        StatusCode::OK,
        &PageTexte {
            mise: Mise::new(titre, ""),
            titre: titre.to_string(),
            paragraphes: vec![
                "Rechercher un lieu, suivre le questionnaire d'orientation et imprimer une fiche d'orientation ne demandent aucun compte et n'enregistrent rien sur le serveur : les réponses restent dans l'adresse de la page, et le journal du serveur n'enregistre pas les paramètres de la fiche d'orientation.".to_string(),
                "« Signaler une erreur » enregistre votre message pour les gestionnaires du registre. Votre adresse électronique est facultative : elle sert uniquement à vous répondre si une précision est nécessaire. Elle est effacée dès que le signalement est traité ; les signalements traités sont supprimés au bout d'un an.".to_string(),
                "Pour limiter les abus, le nombre de signalements par adresse IP est limité ; l'adresse IP n'est pas enregistrée avec le signalement.".to_string(),
                "Aucun cookie n'est déposé, sauf pour les gestionnaires qui se connectent à leur espace (un cookie de session strictement nécessaire).".to_string(),
            ],
        },
    )
}

/// The availability fields of the search and questionnaire forms: the
/// chosen option, the day choices, and the start and end times.
pub(crate) fn champs_disponibilite(
    d: Option<maillage_orientation::Disponibilite>,
) -> (&'static str, Vec<Choix>, String, String) {
    use maillage_orientation::Disponibilite;
    let (dispo, jour, de, a) = match d {
        None | Some(Disponibilite::Le(_)) => ("", None, String::new(), String::new()),
        Some(Disponibilite::Maintenant) => ("maintenant", None, String::new(), String::new()),
        Some(Disponibilite::WeekEnd) => ("week-end", None, String::new(), String::new()),
        Some(Disponibilite::Creneau { jour, debut, fin }) => (
            "creneau",
            Some(jour),
            debut.format("%H:%M").to_string(),
            fin.format("%H:%M").to_string(),
        ),
    };
    let mut jours = vec![Choix::new("", "—", jour.is_none())];
    for (w, code, nom) in crate::parametres::JOURS {
        jours.push(Choix::new(code, nom, jour == Some(w)));
    }
    (dispo, jours, de, a)
}
