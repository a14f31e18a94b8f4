//! `/lieux/{id}`: every field of a place in readable French, opening badge
//! and week timetable, contact, small map, completeness, and "Signaler une
//! erreur" (`POST /lieux/{id}/signaler`).

use super::{erreur, rendre, segment, Choix, Mise};
use crate::etat::Etat;
use crate::parametres::Requete;
use crate::securite;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_lieux::{Ensemble, Lieu, Valeur};
use maillage_orientation::{Catalogue, EtatOuverture};
use maillage_store::NouveauSignalement;

/// What can be reported (code, label).
pub const CATEGORIES: [(&str, &str); 6] = [
    ("horaires", "Les horaires"),
    ("adresse", "L'adresse ou la position sur la carte"),
    ("contact", "Le téléphone, le courriel ou le site"),
    ("services", "Les services proposés"),
    ("ferme", "Le lieu a fermé ou n'accueille plus de public"),
    ("autre", "Autre chose"),
];
/// Longest report message, characters.
pub const MESSAGE_MAX: usize = 2_000;
/// Longest e-mail address.
pub const COURRIEL_MAX: usize = 254;

/// One line of a definition list: a label and its values.
#[derive(Debug, Clone)]
pub struct Ligne {
    pub libelle: &'static str,
    pub valeurs: Vec<Element>,
}

/// A value, possibly a link.
#[derive(Debug, Clone)]
pub struct Element {
    pub texte: String,
    pub lien: Option<String>,
}

impl Element {
    fn texte(t: impl Into<String>) -> Element {
        Element {
            texte: t.into(),
            lien: None,
        }
    }
    fn lien(t: impl Into<String>, l: impl Into<String>) -> Element {
        Element {
            texte: t.into(),
            lien: Some(l.into()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Jour {
    pub jour: String,
    pub horaires: String,
    pub aujourd_hui: bool,
}

/// The state of the report form.
#[derive(Debug, Clone, Default)]
pub struct FormSignalement {
    pub jeton: String,
    pub categories: Vec<Choix>,
    pub message: String,
    pub courriel: String,
    pub erreurs: Vec<String>,
    pub envoye: bool,
}

#[derive(Template)]
#[template(path = "lieu.html")]
pub struct PageLieu {
    pub mise: Mise,
    pub nom: String,
    pub id_url: String,
    pub id: String,
    pub ouverture: Option<String>,
    pub ouvert: bool,
    pub maj: String,
    pub source: String,
    pub adresse: Vec<String>,
    pub contact: Vec<Ligne>,
    pub semaine: Vec<Jour>,
    pub horaires_brutes: String,
    pub horaires_illisibles: bool,
    pub services: Vec<String>,
    pub details: Vec<Ligne>,
    pub presentation: Vec<String>,
    pub administratif: Vec<Ligne>,
    pub position: Option<(String, String)>,
    pub approximative: bool,
    pub completude: u8,
    pub liens_territoires: Vec<Element>,
    pub form: FormSignalement,
    pub tuiles: Option<String>,
    pub attribution: Option<String>,
}

fn ensemble<T: Valeur>(e: Ensemble<T>) -> Vec<Element> {
    e.iter().map(|v| Element::texte(v.libelle())).collect()
}

fn ligne(libelle: &'static str, valeurs: Vec<Element>) -> Option<Ligne> {
    (!valeurs.is_empty()).then_some(Ligne { libelle, valeurs })
}

fn lien_sur(url: &str) -> Option<String> {
    let u = url.trim();
    (u.starts_with("https://") || u.starts_with("http://")).then(|| u.to_string())
}

pub(crate) fn telephone_lisible(t: &str) -> String {
    // +33180059880 → 01 80 05 98 80
    if let Some(reste) = t.strip_prefix("+33") {
        if reste.len() == 9 && reste.bytes().all(|b| b.is_ascii_digit()) {
            let n = format!("0{reste}");
            return n
                .as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    t.to_string()
}

fn construire(etat: &Etat, catalogue: &Catalogue, index: usize, form: FormSignalement) -> PageLieu {
    let l: &Lieu = &catalogue.lieux()[index];
    let fiche = catalogue.fiche(index);
    let maintenant = etat.maintenant();
    let etat_ouv = catalogue.etat_ouverture(index, maintenant);
    let ouverture = match etat_ouv {
        EtatOuverture::Inconnu => None,
        _ => Some(catalogue.libelle_ouverture(index, maintenant)),
    };
    let semaine = catalogue
        .semaine(index, maintenant)
        .into_iter()
        .map(|j| {
            let mut jour = format!("{} {}", majuscule(j.jour), j.date.format("%d/%m"));
            if j.ferie {
                jour.push_str(" (férié)");
            }
            Jour {
                jour,
                horaires: if j.intervalles.is_empty() {
                    "Fermé".to_string()
                } else {
                    j.intervalles.join(", ")
                },
                aujourd_hui: j.aujourd_hui,
            }
        })
        .collect();

    let mut contact = Vec::new();
    if let Some(t) = &l.telephone {
        contact.extend(ligne(
            "Téléphone",
            vec![Element::lien(telephone_lisible(t), format!("tel:{t}"))],
        ));
    }
    contact.extend(ligne(
        "Courriel",
        l.courriels
            .iter()
            .map(|c| Element::lien(c.to_string(), format!("mailto:{c}")))
            .collect(),
    ));
    contact.extend(ligne(
        "Site internet",
        l.site_web
            .iter()
            .map(|s| match lien_sur(s) {
                Some(u) => Element::lien(s.to_string(), u),
                None => Element::texte(s.to_string()),
            })
            .collect(),
    ));
    if let Some(u) = l.prise_rdv.as_deref().and_then(lien_sur) {
        contact.extend(ligne(
            "Prendre rendez-vous",
            vec![Element::lien("Prendre rendez-vous en ligne", u)],
        ));
    }
    if let Some(u) = l.fiche_acces_libre.as_deref().and_then(lien_sur) {
        contact.extend(ligne(
            "Accessibilité",
            vec![Element::lien("Fiche d'accessibilité (Acceslibre)", u)],
        ));
    }

    let mut details = Vec::new();
    details.push(Ligne {
        libelle: "Publics accueillis",
        valeurs: if l.publics_specifiquement_adresses.is_empty() {
            vec![Element::texte("Tout public")]
        } else {
            ensemble(l.publics_specifiquement_adresses)
        },
    });
    details.extend(ligne(
        "Accueil adapté",
        ensemble(l.prise_en_charge_specifique),
    ));
    details.extend(ligne("Modalités d'accès", ensemble(l.modalites_acces)));
    details.extend(ligne(
        "Accompagnement",
        ensemble(l.modalites_accompagnement),
    ));
    details.extend(ligne("Frais à charge", ensemble(l.frais_a_charge)));
    details.extend(ligne(
        "Dispositifs et programmes nationaux",
        ensemble(l.dispositif_programmes_nationaux),
    ));
    let mut labels = ensemble(l.formations_labels);
    labels.extend(
        l.autres_formations_labels
            .iter()
            .map(|x| Element::texte(x.to_string())),
    );
    details.extend(ligne("Formations et labels", labels));
    details.extend(ligne("Itinérance", ensemble(l.itinerance)));

    let mut administratif = Vec::new();
    administratif.extend(ligne("Type de structure", ensemble(l.typologie)));
    if l.pivot_reel() {
        administratif.extend(ligne(
            "SIRET ou RNA",
            vec![Element::texte(l.pivot.to_string())],
        ));
    }
    if let Some(s) = &l.structure_parente {
        administratif.extend(ligne(
            "Structure parente",
            vec![Element::texte(s.to_string())],
        ));
    }
    administratif.extend(ligne("Identifiant", vec![Element::texte(l.id.to_string())]));

    let mut presentation = Vec::new();
    if let Some(r) = &l.presentation_resume {
        presentation.push(r.to_string());
    }
    if let Some(d) = &l.presentation_detail {
        if Some(d) != l.presentation_resume.as_ref() {
            presentation.extend(
                d.split('\n')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
    }

    let mut adresse = vec![l.adresse.to_string()];
    if let Some(c) = &l.complement_adresse {
        adresse.push(c.to_string());
    }
    adresse.push(format!("{} {}", l.code_postal, l.commune));

    let r = etat.referentiel();
    let mut liens_territoires = Vec::new();
    if let Some(c) = &fiche.code_insee {
        let nom = r
            .commune(c)
            .map_or_else(|| l.commune.to_string(), |x| x.nom.to_string());
        liens_territoires.push(Element::lien(
            format!("Les lieux de {nom}"),
            format!("/lieux?territoire=com:{c}"),
        ));
    }
    if let Some(e) = fiche.code_epci.as_ref().and_then(|c| r.epci(c)) {
        liens_territoires.push(Element::lien(
            format!("Les lieux de l'intercommunalité {}", e.nom),
            format!("/lieux?territoire=epci:{}", e.code),
        ));
    }
    if let Some(d) = fiche
        .code_departement
        .as_ref()
        .and_then(|c| r.departement(c))
    {
        liens_territoires.push(Element::lien(
            format!("Le département {} ({})", d.nom, d.code),
            format!("/territoires/dep/{}", d.code),
        ));
    }

    let mut mise = Mise::new(l.nom.to_string(), "lieux");
    mise.description = format!(
        "{} à {} : services, horaires, contact et accès.",
        l.nom, l.commune
    );
    mise.carte = fiche.position.is_some();
    PageLieu {
        mise,
        nom: l.nom.to_string(),
        id_url: segment(&l.id),
        id: l.id.to_string(),
        ouvert: etat_ouv.ouvert(),
        ouverture,
        maj: l.date_maj.format("%d/%m/%Y").to_string(),
        source: l.source.as_deref().unwrap_or("non précisée").to_string(),
        adresse,
        contact,
        semaine,
        horaires_brutes: l.horaires.as_deref().unwrap_or_default().to_string(),
        horaires_illisibles: l.horaires.is_some() && !catalogue.horaires_lisibles(index),
        services: l.services.iter().map(|s| s.libelle().to_string()).collect(),
        details,
        presentation,
        administratif,
        position: fiche
            .position
            .map(|p| (format!("{:.6}", p.latitude), format!("{:.6}", p.longitude))),
        approximative: l.precision_coordonnees.approximative(),
        completude: fiche.completude,
        liens_territoires,
        form,
        tuiles: etat.config().tuiles.clone(),
        attribution: etat.config().attribution_tuiles.clone(),
    }
}

fn majuscule(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(p) => p.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn form_vierge(etat: &Etat, id: &str) -> FormSignalement {
    FormSignalement {
        jeton: securite::jeton_formulaire(&etat.config().secret, id, etat.maintenant().timestamp()),
        categories: CATEGORIES
            .iter()
            .map(|(c, l)| Choix::new(*c, *l, false))
            .collect(),
        ..FormSignalement::default()
    }
}

/// `GET /lieux/{id}`.
pub async fn lieu(
    State(etat): State<Etat>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let catalogue = etat.catalogue();
    let Some(index) = catalogue.index_de(&id) else {
        return erreur(
            StatusCode::NOT_FOUND,
            "Lieu introuvable",
            "Aucun lieu du registre n'a cet identifiant : il a peut-être été retiré ou fusionné avec un autre. Cherchez-le par son nom.",
        );
    };
    let mut form = form_vierge(&etat, &id);
    form.envoye = q.as_deref() == Some("signalement=envoye");
    rendre(StatusCode::OK, &construire(&etat, &catalogue, index, form))
}

/// `POST /lieux/{id}/signaler`.
pub async fn signaler(
    State(etat): State<Etat>,
    Path(id): Path<String>,
    connexion: securite::Connexion,
    entetes: HeaderMap,
    corps: String,
) -> Response {
    if securite::inter_sites(&Method::POST, &entetes) {
        return erreur(
            StatusCode::FORBIDDEN,
            "Envoi refusé",
            "Ce formulaire doit être envoyé depuis la page du lieu.",
        );
    }
    let ip = securite::adresse_client(&etat, &entetes, connexion.0);
    if let Err(attente) = etat.interne.limite_signalements.prendre(ip) {
        return securite::trop_de_requetes(attente, false);
    }
    let catalogue = etat.catalogue();
    let Some(index) = catalogue.index_de(&id) else {
        return erreur(
            StatusCode::NOT_FOUND,
            "Lieu introuvable",
            "Aucun lieu du registre n'a cet identifiant.",
        );
    };
    let r = Requete::analyser(&corps).unwrap_or_default();
    // Honeypot: a field hidden from people; bots fill it. Answer as if all
    // went well, store nothing.
    if r.un("site_internet").is_some() {
        tracing::info!("signalement écarté (champ piège rempli)");
        return Redirect::to(&format!("/lieux/{}?signalement=envoye", segment(&id)))
            .into_response();
    }
    let categorie = r.un("categorie").unwrap_or_default().to_string();
    let message = r.un("message").unwrap_or_default().to_string();
    let courriel = r.un("courriel").unwrap_or_default().to_string();
    let mut erreurs = Vec::new();
    let maintenant = etat.maintenant();
    if let Err(e) = securite::verifier_jeton_formulaire(
        &etat.config().secret,
        &id,
        r.un("jeton").unwrap_or_default(),
        maintenant.timestamp(),
        etat.config().delai_min_signalement,
    ) {
        erreurs.push(majuscule(e) + ".");
    }
    if !CATEGORIES.iter().any(|(c, _)| *c == categorie) {
        erreurs.push("Choisissez ce qui est inexact.".to_string());
    }
    let n = message.chars().count();
    if n < 5 {
        erreurs.push("Décrivez l'erreur en quelques mots (5 caractères au moins).".to_string());
    } else if n > MESSAGE_MAX {
        erreurs.push(format!(
            "Le message fait {n} caractères : {MESSAGE_MAX} au plus."
        ));
    }
    if !courriel.is_empty()
        && (courriel.chars().count() > COURRIEL_MAX
            || !courriel.contains('@')
            || courriel.contains(char::is_whitespace))
    {
        erreurs.push("L'adresse électronique n'est pas valide (exemple : nom@exemple.fr). Elle est facultative.".to_string());
    }
    if !erreurs.is_empty() {
        let mut form = form_vierge(&etat, &id);
        for c in &mut form.categories {
            c.choisi = c.valeur == categorie;
        }
        form.message = message.chars().take(MESSAGE_MAX).collect();
        form.courriel = courriel.chars().take(COURRIEL_MAX).collect();
        form.erreurs = erreurs;
        let mut page = construire(&etat, &catalogue, index, form);
        page.mise.titre = format!("Erreur dans le formulaire — {}", page.mise.titre);
        return rendre(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let nouveau = NouveauSignalement {
        lieu_id: id.clone(),
        categorie,
        message,
        courriel: (!courriel.is_empty()).then_some(courriel),
        cree_le: maintenant,
    };
    match etat.store().add_signalement(&nouveau).await {
        Ok(_) => Redirect::to(&format!(
            "/lieux/{}?signalement=envoye#signaler",
            segment(&id)
        ))
        .into_response(),
        Err(e) => {
            tracing::error!("signalement non enregistré : {e}");
            erreur(
                StatusCode::SERVICE_UNAVAILABLE,
                "Signalement non enregistré",
                "Le signalement n'a pas pu être enregistré. Réessayez dans quelques minutes.",
            )
        }
    }
}

/// Redirect for a bare `/lieux/` link.
pub async fn sans_id() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/lieux")]).into_response()
}
