//! The activity records of the mediators' workspace, in process, on SQLite
//! and on PostgreSQL: creating individual and collective records through
//! the forms, validation errors, list, detail, edit, duplicate, soft delete
//! (journaled), and every refusal (no session, cross-site form, other
//! mediator, other roles, unknown id).

mod harnais;

use axum::http::StatusCode;
use axum::Router;
use harnais::*;
use maillage_activites::{Genre, StatutSocial, TrancheAge};
use maillage_beneficiaires::Beneficiaire;
use maillage_comptes::Attribution;
use maillage_lieux::{Lieu, PrecisionCoordonnees};
use maillage_store::{
    ActiviteEnregistree, FiltreActivites, FiltreStatistiques, NouveauBeneficiaire, Store,
};
use maillage_web::{routeur, Etat};
use std::collections::HashMap;
use std::sync::Arc;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

sur_les_deux_bases!(
    creation_individuelle_et_collective,
    lieu_d_activite_du_registre,
    erreurs_de_validation,
    liste_filtres_et_pages,
    detail_modification_duplication_suppression,
    refus,
);

// ---------------------------------------------------------------------------
// Helpers

/// The official example place of the standard (Reims, 51454).
fn lieu_exemple() -> Lieu {
    let mut csv = csv::Reader::from_path(format!("{DATA}/standard/exemple-valide-v1.0.2.csv"))
        .expect("example CSV");
    let entetes = csv.headers().expect("header").clone();
    let ligne = csv.records().next().expect("one row").expect("valid row");
    let valeurs: HashMap<&str, &str> = entetes.iter().zip(ligne.iter()).collect();
    Lieu::depuis_valeurs(|c| valeurs.get(c).copied(), PrecisionCoordonnees::Adresse)
        .expect("official example")
}

/// An app whose catalogue holds the example place.
fn app_avec_lieu(store: Store) -> (Router, Etat) {
    let referentiel = maillage_territoires::Referentiel::embarque().expect("referential");
    let catalogue = maillage_orientation::Catalogue::new(vec![lieu_exemple()], referentiel);
    let etat = Etat::avec_catalogue(store, Arc::new(catalogue), config()).expect("state");
    (routeur(etat.clone()), etat)
}

async fn mediateur(app: &Router, etat: &Etat, email: &str) -> (String, String) {
    compte(app, etat, email, &[Attribution::mediateur()]).await
}

/// A typical individual accompaniment, as the form sends it.
fn individuel() -> Vec<(&'static str, &'static str)> {
    vec![
        ("type", "individuel"),
        ("date", "2025-03-10"),
        ("duree", "45"),
        ("typeLieu", "Domicile"),
        ("commune", "16000"),
        ("thematiques", "Email"),
        ("thematiques", "NavigationSurInternet"),
        ("materiel", "Ordinateur"),
        ("genre", "Feminin"),
        ("trancheAge", "SoixanteDixPlus"),
        ("statutSocial", "Retraite"),
        ("autonomie", "PartiellementAutonome"),
        ("orienteVersStructure", "non"),
        ("notes", "Création d'une adresse e-mail"),
    ]
}

fn collectif() -> Vec<(&'static str, &'static str)> {
    vec![
        ("type", "collectif"),
        ("date", "2025-03-07"),
        ("duree", "personnaliser"),
        ("duree_heures", "1"),
        ("duree_minutes", "20"),
        ("typeLieu", "ADistance"),
        ("thematiques", "SecuriteNumerique"),
        ("materiel", "Tablette"),
        ("titreAtelier", "Reconnaître un hameçonnage"),
        ("niveau", "Debutant"),
        ("pa_total", "8"),
        ("pa_dejaAccompagne", "3"),
        ("pa_genre_Feminin", "5"),
        ("pa_genre_Masculin", "3"),
        ("pa_trancheAge_SoixanteDixPlus", "6"),
        ("pa_statutSocial_Retraite", "7"),
    ]
}

/// Replaces (or adds) a field of a form.
fn avec(
    mut champs: Vec<(&'static str, &'static str)>,
    nom: &'static str,
    valeur: &'static str,
) -> Vec<(&'static str, &'static str)> {
    champs.retain(|(k, _)| *k != nom);
    champs.push((nom, valeur));
    champs
}

fn sans(
    mut champs: Vec<(&'static str, &'static str)>,
    nom: &str,
) -> Vec<(&'static str, &'static str)> {
    champs.retain(|(k, _)| *k != nom);
    champs
}

/// Creates a record through the form; its id.
async fn creer(app: &Router, cookie: &str, champs: &[(&str, &str)]) -> String {
    let r = post_avec_cookie(app, "/espace/activites", &formulaire(champs), cookie).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let lieu = r.entete("location");
    let id = lieu
        .strip_prefix("/espace/activites?enregistree=")
        .unwrap_or_else(|| panic!("redirect: {lieu}"));
    assert_eq!(id.len(), 32, "{id}");
    id.to_string()
}

async fn activites_de(store: &Store, mediateur_id: &str) -> Vec<ActiviteEnregistree> {
    store
        .activites(&FiltreActivites {
            mediateur_id: Some(mediateur_id.to_string()),
            par_page: 500,
            ..FiltreActivites::default()
        })
        .await
        .expect("records")
        .activites
}

/// The page's text with apostrophes unescaped, to compare with messages.
fn clair(html: &str) -> String {
    html.replace("&#x27;", "'").replace("&#39;", "'")
}

/// A postcode shared by several communes (and not an INSEE code).
fn code_postal_partage() -> String {
    let r = maillage_territoires::Referentiel::embarque().expect("referential");
    r.communes()
        .iter()
        .flat_map(|c| c.codes_postaux.iter())
        .find(|cp| r.communes_du_code_postal(cp).len() > 1 && r.commune(cp).is_none())
        .expect("shared postcode")
        .to_string()
}

fn une_seule_h1(html: &str) {
    assert_eq!(html.matches("<h1").count(), 1, "one h1:\n{html}");
    assert!(!html.contains(" style=\""), "no inline style");
}

/// The `checked` state of an input with this id.
fn coche(html: &str, id: &str) -> bool {
    let debut = format!("id=\"{id}\"");
    let i = html.find(&debut).unwrap_or_else(|| panic!("no #{id}"));
    let fin = html[i..].find('>').expect("end of tag") + i;
    html[i..fin].contains(" checked")
}

/// The `value` of an input with this id.
fn valeur(html: &str, id: &str) -> String {
    let debut = format!("id=\"{id}\"");
    let i = html.find(&debut).unwrap_or_else(|| panic!("no #{id}"));
    let fin = html[i..].find('>').expect("end of tag") + i;
    let balise = &html[i..fin];
    let v = balise.find("value=\"").expect("value") + 7;
    let w = balise[v..].find('"').expect("end of value") + v;
    balise[v..w].to_string()
}

// ---------------------------------------------------------------------------
// Scenarios

async fn creation_individuelle_et_collective(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;

    // The blank individual form: today's date, every thématique in its group.
    let r = get_avec_cookie(&app, "/espace/activites/nouvelle?type=individuel", &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(r.entete("cache-control"), "no-store");
    let html = clair(&r.texte());
    une_seule_h1(&html);
    assert!(html.contains("Enregistrer un accompagnement individuel"));
    assert_eq!(valeur(&html, "date"), "2025-03-11");
    assert!(html.contains("<legend>Médiation numérique</legend>"));
    assert!(html.contains("<legend>Démarches administratives</legend>"));
    for t in maillage_activites::Thematique::ALL {
        assert!(
            html.contains(&format!("id=\"thematiques-{}\"", t.code())),
            "{t:?}"
        );
        assert!(html.contains(t.libelle()), "{t:?}");
    }
    for p in maillage_activites::DureePreset::ALL {
        assert!(html.contains(&format!(
            "type=\"radio\" id=\"duree-{}\" name=\"duree\"",
            p.code()
        )));
    }
    assert!(html.contains("type=\"radio\" id=\"autonomie-Autonome\""));
    assert!(!html.contains("id=\"pa_total\""), "no workshop fields");
    // Every field has its label.
    for id in [
        "date",
        "duree_heures",
        "duree_minutes",
        "lieu_id",
        "commune",
        "precisionsDemarche",
        "notes",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "label of {id}"
        );
    }

    // Recorded: a typical accompaniment at home in Angoulême (postcode).
    let id = creer(&app, &c, &individuel()).await;
    let a = store.activite(&id).await.expect("read").expect("stored");
    assert_eq!(a.mediateur_id, id_m);
    assert_eq!(
        a.type_activite,
        maillage_activites::TypeActivite::Individuel
    );
    assert_eq!(a.date.to_string(), "2025-03-10");
    assert_eq!(a.duree_minutes, 45);
    assert_eq!(a.type_lieu, maillage_activites::TypeLieu::Domicile);
    assert_eq!(a.code_insee.as_deref(), Some("16015"));
    assert_eq!(a.departement.as_deref(), Some("16"));
    assert_eq!(a.structure_id, None);
    assert_eq!(a.accompagnements, 1);
    assert_eq!(
        a.saisie.beneficiaire,
        Some(maillage_activites::Beneficiaire::Anonyme(
            maillage_activites::Demographie {
                genre: Some(maillage_activites::Genre::Feminin),
                tranche_age: Some(maillage_activites::TrancheAge::SoixanteDixPlus),
                statut_social: Some(maillage_activites::StatutSocial::Retraite),
            }
        ))
    );
    assert_eq!(
        a.saisie.autonomie,
        Some(maillage_activites::Autonomie::PartiellementAutonome)
    );
    assert_eq!(a.saisie.oriente_vers_structure, Some(false));
    assert_eq!(
        a.saisie.notes.as_deref(),
        Some("Création d'une adresse e-mail")
    );

    // The success banner offers to duplicate and to record another one.
    let r = get_avec_cookie(&app, &format!("/espace/activites?enregistree={id}"), &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    assert!(html.contains("Activité enregistrée"), "{html}");
    assert!(html.contains(&format!(
        "href=\"/espace/activites/{id}/dupliquer\">Dupliquer</a>"
    )));
    assert!(html.contains(
        "href=\"/espace/activites/nouvelle?type=individuel\">Enregistrer une autre activité</a>"
    ));
    // Another mediator's id gives no banner.
    let (_, c2) = mediateur(&app, &etat, "autre@exemple.fr").await;
    let r = get_avec_cookie(&app, &format!("/espace/activites?enregistree={id}"), &c2).await;
    assert!(!r.texte().contains("Activité enregistrée"));

    // The same, with a commune written as a name and postcode, and "autre lieu".
    let id2 = creer(
        &app,
        &c,
        &avec(
            avec(individuel(), "commune", "angouleme 16000"),
            "typeLieu",
            "Autre",
        ),
    )
    .await;
    let a2 = store.activite(&id2).await.expect("read").expect("stored");
    assert_eq!(a2.type_lieu, maillage_activites::TypeLieu::Autre);
    assert_eq!(a2.code_insee.as_deref(), Some("16015"));

    // A workshop: custom duration, anonymous participants, at a distance.
    let r = get_avec_cookie(&app, "/espace/activites/nouvelle?type=collectif", &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    une_seule_h1(&html);
    assert!(html.contains("Enregistrer un atelier collectif"));
    for id in [
        "pa_total",
        "pa_genre_Feminin",
        "pa_trancheAge_MoinsDeDouze",
        "pa_statutSocial_Scolarise",
        "titreAtelier",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "label of {id}"
        );
    }
    assert!(
        !html.contains("id=\"autonomie-Autonome\""),
        "no individual fields"
    );
    let id3 = creer(&app, &c, &collectif()).await;
    let a3 = store.activite(&id3).await.expect("read").expect("stored");
    assert_eq!(
        a3.type_activite,
        maillage_activites::TypeActivite::Collectif
    );
    assert_eq!(a3.duree_minutes, 80);
    assert_eq!(a3.accompagnements, 8);
    assert_eq!(a3.type_lieu, maillage_activites::TypeLieu::ADistance);
    assert_eq!(a3.departement, None);
    assert_eq!(
        a3.saisie.titre_atelier.as_deref(),
        Some("Reconnaître un hameçonnage")
    );
    let pa = a3.saisie.participants_anonymes.expect("counts");
    assert_eq!((pa.total, pa.deja_accompagne, pa.genre_feminin), (8, 3, 5));

    // A followed beneficiary carried from ?beneficiaire=: one of hers.
    let suivi = store
        .creer_beneficiaire(&NouveauBeneficiaire {
            mediateur_id: id_m.clone(),
            beneficiaire: Beneficiaire {
                prenom: Some("Rose".into()),
                nom: Some("Lamy".into()),
                genre: Some(Genre::Feminin),
                tranche_age: Some(TrancheAge::SoixanteDixPlus),
                statut_social: Some(StatutSocial::Retraite),
                ..Beneficiaire::default()
            },
            cree_le: etat.maintenant(),
        })
        .await
        .expect("beneficiary");
    let r = get_avec_cookie(
        &app,
        &format!("/espace/activites/nouvelle?type=individuel&beneficiaire={suivi}"),
        &c,
    )
    .await;
    let html = clair(&r.texte());
    assert!(html.contains(&format!(
        "<input type=\"hidden\" name=\"beneficiaire\" value=\"{suivi}\">"
    )));
    assert!(html.contains("Bénéficiaire suivi"));
    assert!(
        !html.contains("id=\"genre-Feminin\""),
        "no anonymous demographics"
    );
    let champs: Vec<(&str, &str)> = sans(
        sans(sans(individuel(), "genre"), "trancheAge"),
        "statutSocial",
    );
    // Someone else's beneficiary, or an unknown id, is refused alike and
    // nothing is recorded.
    let (_, c_autre) = mediateur(&app, &etat, "tierce@exemple.fr").await;
    let a_autrui = store
        .creer_beneficiaire(&NouveauBeneficiaire {
            mediateur_id: "quelqu-un-d-autre".into(),
            beneficiaire: Beneficiaire {
                prenom: Some("Paul".into()),
                nom: Some("Roy".into()),
                ..Beneficiaire::default()
            },
            cree_le: etat.maintenant(),
        })
        .await
        .expect("beneficiary");
    for etranger in [a_autrui.as_str(), "b-123"] {
        let mut refuse: Vec<(&str, &str)> = champs.clone();
        refuse.push(("beneficiaire", etranger));
        let r = post_avec_cookie(&app, "/espace/activites", &formulaire(&refuse), &c).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{etranger}");
        assert!(
            clair(&r.texte()).contains("n'est pas l'un de vos bénéficiaires suivis"),
            "{etranger}"
        );
    }
    let mut refuse: Vec<(&str, &str)> = champs.clone();
    refuse.push(("beneficiaire", suivi.as_str()));
    let r = post_avec_cookie(&app, "/espace/activites", &formulaire(&refuse), &c_autre).await;
    assert_eq!(
        r.statut,
        StatusCode::BAD_REQUEST,
        "not the other mediator's"
    );
    assert_eq!(activites_de(&store, &id_m).await.len(), 3);

    let retraites = || async {
        let stats = store
            .statistiques(&FiltreStatistiques {
                mediateurs: Some(vec![id_m.clone()]),
                ..FiltreStatistiques::default()
            })
            .await
            .expect("statistics");
        stats
            .par_statut_social
            .iter()
            .map(|(s, c)| (*s, c.accompagnements))
            .collect::<HashMap<StatutSocial, u64>>()
    };
    let avant = retraites().await;
    let mut champs: Vec<(&str, &str)> = champs;
    champs.push(("beneficiaire", suivi.as_str()));
    let id4 = creer(&app, &c, &champs).await;
    let a4 = store.activite(&id4).await.expect("read").expect("stored");
    assert_eq!(
        a4.saisie.beneficiaire,
        Some(maillage_activites::Beneficiaire::Suivi { id: suivi.clone() })
    );
    // Her last activity is the record's date (retention counts from it)…
    let fiche = store
        .beneficiaire(&suivi)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        fiche.derniere_activite_le.map(|d| d.to_string()).as_deref(),
        Some("2025-03-10")
    );
    // …and her demographics count in the statistics.
    let apres = retraites().await;
    let ecart = |s: StatutSocial| apres[&s] - avant[&s];
    assert_eq!(ecart(StatutSocial::Retraite), 1);
    assert_eq!(ecart(StatutSocial::NonCommunique), 0);

    assert_eq!(activites_de(&store, &id_m).await.len(), 4);
    // Creation is journaled by the store.
    let journal = store.journal(50, None).await.expect("journal");
    assert!(journal.iter().any(|e| e.action == "creation_activite"
        && e.cible.as_deref() == Some(id.as_str())
        && e.acteur_id.as_deref() == Some(id_m.as_str())));
}

async fn lieu_d_activite_du_registre(store: Store) {
    let (app, etat) = app_avec_lieu(store.clone());
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;

    // No earlier place: the id field only, no default.
    let html = get_avec_cookie(&app, "/espace/activites/nouvelle?type=individuel", &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(!html.contains("<select id=\"structureId\""));
    assert!(!coche(&html, "typeLieu-LieuActivite"));

    // The page's address pasted in the id field works.
    let champs = avec(
        avec(
            sans(individuel(), "commune"),
            "lieu_id",
            "https://maillage.exemple.fr/lieux/structure-1",
        ),
        "typeLieu",
        "LieuActivite",
    );
    let id = creer(&app, &c, &champs).await;
    let a = store.activite(&id).await.expect("read").expect("stored");
    assert_eq!(a.lieu_id.as_deref(), Some("structure-1"));
    assert_eq!(
        a.departement.as_deref(),
        Some("51"),
        "from the place's commune"
    );
    assert_eq!(a.code_insee, None);

    // Next time the place is offered and chosen by default.
    let html = get_avec_cookie(&app, "/espace/activites/nouvelle?type=individuel", &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(html.contains("<select id=\"structureId\" name=\"structureId\""));
    assert!(
        html.contains("<option value=\"structure-1\" selected>Anonymal (Reims)</option>"),
        "{html}"
    );
    assert!(coche(&html, "typeLieu-LieuActivite"));
    let champs = avec(
        avec(sans(individuel(), "commune"), "structureId", "structure-1"),
        "typeLieu",
        "LieuActivite",
    );
    let id2 = creer(&app, &c, &champs).await;
    assert_eq!(
        store
            .activite(&id2)
            .await
            .expect("read")
            .expect("stored")
            .lieu_id
            .as_deref(),
        Some("structure-1")
    );
    // The default place is ignored when another kind of place is chosen.
    let champs = avec(individuel(), "structureId", "structure-1");
    let id3 = creer(&app, &c, &champs).await;
    let a3 = store.activite(&id3).await.expect("read").expect("stored");
    assert_eq!(
        (a3.lieu_id, a3.code_insee.as_deref()),
        (None, Some("16015"))
    );

    // An id the registry does not know is refused, naming the field.
    let champs = avec(
        avec(sans(individuel(), "commune"), "lieu_id", "inconnu-42"),
        "typeLieu",
        "LieuActivite",
    );
    let r = post_avec_cookie(&app, "/espace/activites", &formulaire(&champs), &c).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = clair(&r.texte());
    assert!(
        html.contains("Lieu d'activité : aucun lieu du registre n'a l'identifiant « inconnu-42 »"),
        "{html}"
    );
    assert!(html.contains("href=\"#lieu_id\""));
    assert!(html.contains("aria-describedby=\"aide-lieu_id erreurs-lieu_id\""));
    assert_eq!(valeur(&html, "lieu_id"), "inconnu-42");
    // The list says where, in words.
    let html = get_avec_cookie(&app, "/espace/activites", &c).await.texte();
    let html = clair(&html);
    assert!(html.contains("Anonymal (Reims)"));
    assert_eq!(activites_de(&store, &id_m).await.len(), 3);
}

async fn erreurs_de_validation(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;

    // No thématique, a future date, no commune: every error at once.
    let champs = sans(
        sans(
            sans(avec(individuel(), "date", "2025-03-12"), "thematiques"),
            "commune",
        ),
        "nothing",
    );
    let r = post_avec_cookie(&app, "/espace/activites", &formulaire(&champs), &c).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert_eq!(r.entete("cache-control"), "no-store");
    let html = clair(&r.texte());
    une_seule_h1(&html);
    assert!(html
        .contains("<title>Erreur : Enregistrer un accompagnement individuel — Maillage</title>"));
    assert!(html.contains("role=\"alert\""));
    for (message, ancre) in [
        (
            "Thématiques : choisissez au moins une thématique.",
            "#thematiques-DiagnosticNumerique",
        ),
        (
            "Date de l'activité : la date ne peut pas être dans le futur",
            "#date",
        ),
        (
            "Commune : choisissez la commune où l'activité a eu lieu.",
            "#commune",
        ),
    ] {
        assert!(html.contains(message), "{message}\n{html}");
        assert!(html.contains(&format!("href=\"{ancre}\"")), "{ancre}");
    }
    // Each message next to its field, linked with aria-describedby.
    assert!(html.contains("id=\"erreurs-thematiques\""));
    assert!(html.contains("aria-describedby=\"aide-thematiques erreurs-thematiques\""));
    assert!(
        html.contains("aria-describedby=\"aide-commune erreurs-commune\" aria-invalid=\"true\"")
    );
    assert!(html.contains("aria-describedby=\"aide-date erreurs-date\" aria-invalid=\"true\""));
    // Every typed value is kept.
    assert_eq!(valeur(&html, "date"), "2025-03-12");
    assert!(coche(&html, "duree-45"));
    assert!(coche(&html, "typeLieu-Domicile"));
    assert!(coche(&html, "materiel-Ordinateur"));
    assert!(coche(&html, "genre-Feminin"));
    assert!(coche(&html, "autonomie-PartiellementAutonome"));
    assert!(coche(&html, "orienteVersStructure-non"));
    assert!(
        html.contains(">Création d'une adresse e-mail</textarea>"),
        "notes kept"
    );

    // Unknown commune, ambiguous postcode, bad date, tampered codes.
    let cp: &'static str = Box::leak(code_postal_partage().into_boxed_str());
    let message_cp = format!("Commune : le code postal {cp} est celui de plusieurs communes");
    for (champs, attendu) in [
        (avec(individuel(), "commune", "Nullepartville"), "Commune : « Nullepartville » ne désigne pas une seule commune connue"),
        (avec(individuel(), "commune", cp), message_cp.as_str()),
        (avec(individuel(), "commune", "00000"), "Commune : « 00000 » n'est ni un code INSEE ni un code postal connu"),
        (avec(individuel(), "date", "hier"), "Date de l'activité : « hier » n'est pas une date"),
        (avec(individuel(), "duree", "999"), "Durée : « 999 » ne fait pas partie des choix proposés."),
        (avec(individuel(), "duree", ""), "Durée : la durée est obligatoire."),
        (sans(individuel(), "typeLieu"), "Lieu de l'activité : choisissez où l'activité a eu lieu."),
        (avec(individuel(), "thematiques", "Inventee"), "Thématiques : « Inventee » ne fait pas partie des choix proposés."),
        (avec(avec(individuel(), "duree", "personnaliser"), "duree_heures", "deux"), "Durée : les heures et les minutes s'écrivent en chiffres"),
        (avec(avec(individuel(), "duree", "personnaliser"), "duree_minutes", "75"), "Durée : les minutes doivent être comprises entre 0 et 59, pas 75."),
        (avec(individuel(), "precisionsDemarche", "CAF"), "Nom de la démarche administrative : ne se renseigne que si la thématique « Aide aux démarches administratives » est choisie."),
        (avec(individuel(), "structureDeRedirection", "AideSociale"), "Structure de redirection : ne se renseigne que si le bénéficiaire a été orienté"),
        (avec(individuel(), "thematiques", "Logement"), "ne peuvent être choisies qu'avec"),
        (collectif().into_iter().filter(|(k, _)| !k.starts_with("pa_")).collect(), "Participants : un atelier collectif doit compter au moins un participant"),
        (avec(collectif(), "pa_total", "beaucoup"), "« beaucoup » (Nombre total de participants anonymes) n'est pas un nombre entier"),
        (avec(collectif(), "pa_genre_Feminin", "9"), "la somme des participants par genre (12) dépasse le nombre de participants anonymes (8)"),
        (avec(collectif(), "pa_total", "-2"), "chaque nombre de participants doit être un nombre entier positif ou nul"),
    ] {
        let r = post_avec_cookie(&app, "/espace/activites", &formulaire(&champs), &c).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{attendu}");
        let html = clair(&r.texte());
        assert!(html.contains(attendu), "« {attendu} » missing:\n{html}");
        assert!(html.contains("<title>Erreur : "), "{attendu}");
    }
    // The collective form keeps its counts.
    let r = post_avec_cookie(
        &app,
        "/espace/activites",
        &formulaire(&avec(collectif(), "pa_genre_Feminin", "9")),
        &c,
    )
    .await;
    let html = clair(&r.texte());
    assert_eq!(valeur(&html, "pa_genre_Feminin"), "9");
    assert_eq!(valeur(&html, "pa_total"), "8");
    assert_eq!(valeur(&html, "titreAtelier"), "Reconnaître un hameçonnage");
    assert!(html.contains("href=\"#pa_genre_Masculin\""));
    // An unknown type is refused clearly.
    let r = post_avec_cookie(
        &app,
        "/espace/activites",
        &formulaire(&avec(individuel(), "type", "demarche")),
        &c,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(clair(&r.texte()).contains("« demarche » n'est pas un type d'activité"));
    let r = get_avec_cookie(&app, "/espace/activites/nouvelle?type=demarche", &c).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);

    assert!(
        activites_de(&store, &id_m).await.is_empty(),
        "nothing stored"
    );
}

async fn liste_filtres_et_pages(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;
    let (_, c2) = mediateur(&app, &etat, "autre@exemple.fr").await;
    creer(&app, &c2, &individuel()).await;

    // Empty list.
    let r = get_avec_cookie(&app, "/espace/activites", &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    une_seule_h1(&r.texte());
    assert!(clair(&r.texte()).contains("Vous n'avez encore enregistré aucune activité"));

    // 23 records on different days (store-level for speed), two types.
    let jours: Vec<String> = (1..=23).map(|j| format!("2025-02-{j:02}")).collect();
    for (i, j) in jours.iter().enumerate() {
        let base = if i % 3 == 0 {
            collectif()
        } else {
            individuel()
        };
        let champs: Vec<(&str, &str)> = base
            .into_iter()
            .map(|(k, v)| if k == "date" { (k, j.as_str()) } else { (k, v) })
            .collect();
        creer(&app, &c, &champs).await;
    }
    let r = get_avec_cookie(&app, "/espace/activites", &c).await;
    let html = clair(&r.texte());
    assert!(html.contains("23 activités"), "{html}");
    assert!(html.contains("<caption>"));
    assert!(html.contains("<th scope=\"col\">Date</th>"));
    assert_eq!(
        html.matches("<th scope=\"row\">").count(),
        20,
        "20 per page"
    );
    // Newest first.
    let p23 = html.find("23/02/2025").expect("23");
    let p22 = html.find("22/02/2025").expect("22");
    assert!(p23 < p22);
    assert!(!html.contains("03/02/2025"), "on page 2");
    assert!(html.contains("href=\"/espace/activites?page=2\""));
    // Labels, not codes.
    assert!(html.contains("À domicile — Angoulême"));
    assert!(
        html.contains("E-mail, Navigation sur internet")
            || html.contains("Navigation sur internet, E-mail")
    );
    assert!(!html.contains(">Domicile<"));
    let html = get_avec_cookie(&app, "/espace/activites?page=2", &c)
        .await
        .texte();
    let html = clair(&html);
    assert_eq!(html.matches("<th scope=\"row\">").count(), 3);
    assert!(html.contains("01/02/2025"));
    assert!(html.contains("rel=\"prev\""));

    // Type filter (8 workshops: days 1, 4, …, 22) and dates.
    let html = get_avec_cookie(&app, "/espace/activites?type=collectif", &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(
        html.contains("8 activités correspondant aux critères"),
        "{html}"
    );
    assert_eq!(html.matches("<th scope=\"row\">").count(), 8);
    assert!(!html.contains("<td>Accompagnement individuel</td>"));
    assert!(html.contains("<option value=\"collectif\" selected>"));
    let html = get_avec_cookie(
        &app,
        "/espace/activites?du=2025-02-10&au=11%2F02%2F2025&type=",
        &c,
    )
    .await
    .texte();
    let html = clair(&html);
    assert!(
        html.contains("2 activités correspondant aux critères"),
        "{html}"
    );
    let html = get_avec_cookie(
        &app,
        "/espace/activites?du=2025-02-01&type=individuel&page=1",
        &c,
    )
    .await
    .texte();
    let html = clair(&html);
    assert!(html.contains("15 activités"), "{html}");
    // Bad filters: 400 with messages next to the fields, no rows.
    let r = get_avec_cookie(
        &app,
        "/espace/activites?du=hier&au=2025-01-01&type=autre",
        &c,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let html = clair(&r.texte());
    assert!(html.contains("Du : « hier » n'est pas une date"), "{html}");
    assert!(html.contains("Type d'activité : « autre »"));
    assert!(html.contains("<title>Erreur : Mes activités — Maillage</title>"));
    let r = get_avec_cookie(&app, "/espace/activites?du=2025-03-01&au=2025-02-01", &c).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r
        .texte()
        .contains("la date de fin (01/02/2025) précède la date de début (01/03/2025)"));
    // A page far beyond the end shows nothing, without failing.
    let r = get_avec_cookie(&app, "/espace/activites?page=99999999999", &c).await;
    assert_eq!(r.statut, StatusCode::OK);

    // Only one's own records.
    assert_eq!(activites_de(&store, &id_m).await.len(), 23);
    let html = get_avec_cookie(&app, "/espace/activites", &c2)
        .await
        .texte();
    let html = clair(&html);
    assert!(html.contains("1 activité."), "{html}");
}

async fn detail_modification_duplication_suppression(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;
    let id = creer(&app, &c, &individuel()).await;
    let url = format!("/espace/activites/{id}");

    // Detail: labels, not codes.
    let r = get_avec_cookie(&app, &url, &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    une_seule_h1(&html);
    for t in [
        "Accompagnement individuel du 10/03/2025",
        "45 min",
        "À domicile — Angoulême",
        "Charente (16)",
        "E-mail",
        "Navigation sur internet",
        "Ordinateur",
        "Féminin",
        "70 ans et plus",
        "Retraité",
        "Autonome avec guidage en cas de besoin",
        "Création d",
        &format!("href=\"{url}/modifier\""),
        &format!("href=\"{url}/dupliquer\""),
        &format!("href=\"{url}/supprimer\""),
    ] {
        assert!(html.contains(t), "« {t} » missing:\n{html}");
    }
    for code in [
        "PartiellementAutonome",
        "SoixanteDixPlus",
        "NavigationSurInternet",
    ] {
        assert!(!html.contains(code), "{code}");
    }

    // Edit: pre-filled, then saved.
    let r = get_avec_cookie(&app, &format!("{url}/modifier"), &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    une_seule_h1(&html);
    assert!(html.contains(&format!("action=\"{url}/modifier\"")));
    assert_eq!(valeur(&html, "date"), "2025-03-10");
    assert_eq!(valeur(&html, "commune"), "Angoulême (16015)");
    assert!(coche(&html, "duree-45") && coche(&html, "thematiques-Email"));
    assert!(coche(&html, "typeLieu-Domicile") && coche(&html, "genre-Feminin"));
    let modifie = avec(
        avec(individuel(), "duree", "90"),
        "commune",
        "Angoulême (16015)",
    );
    let r = post_avec_cookie(&app, &format!("{url}/modifier"), &formulaire(&modifie), &c).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    assert_eq!(r.entete("location"), format!("{url}?modifiee=1"));
    let a = store.activite(&id).await.expect("read").expect("stored");
    assert_eq!(a.duree_minutes, 90);
    assert_eq!(a.code_insee.as_deref(), Some("16015"));
    let html = get_avec_cookie(&app, &format!("{url}?modifiee=1"), &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(html.contains("Les modifications ont été enregistrées."));
    assert!(html.contains("1 h 30"));
    // An invalid edit keeps the record as it was.
    let r = post_avec_cookie(
        &app,
        &format!("{url}/modifier"),
        &formulaire(&sans(individuel(), "thematiques")),
        &c,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("<title>Erreur : Modifier"));
    assert_eq!(
        store
            .activite(&id)
            .await
            .expect("read")
            .expect("stored")
            .duree_minutes,
        90
    );
    let journal = store.journal(50, None).await.expect("journal");
    assert!(journal.iter().any(|e| e.action == "modification_activite"
        && e.cible.as_deref() == Some(id.as_str())
        && e.acteur_id.as_deref() == Some(id_m.as_str())));

    // Duplicate: the creation form, same values, today's date.
    let r = get_avec_cookie(&app, &format!("{url}/dupliquer"), &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    assert!(html.contains("Enregistrer un accompagnement individuel"));
    assert!(html.contains("Copie de l'activité du 10/03/2025"));
    assert!(html.contains("action=\"/espace/activites\""));
    assert_eq!(valeur(&html, "date"), "2025-03-11");
    assert!(coche(&html, "duree-90") && coche(&html, "thematiques-NavigationSurInternet"));
    assert_eq!(valeur(&html, "commune"), "Angoulême (16015)");
    // A workshop's copy keeps its custom duration and counts.
    let id_c = creer(&app, &c, &collectif()).await;
    let html = get_avec_cookie(&app, &format!("/espace/activites/{id_c}/dupliquer"), &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(coche(&html, "duree-personnaliser"));
    assert_eq!(
        (
            valeur(&html, "duree_heures"),
            valeur(&html, "duree_minutes")
        ),
        ("1".into(), "20".into())
    );
    assert_eq!(valeur(&html, "pa_total"), "8");
    assert!(html.contains("value=\"collectif\""));

    // Delete: confirmation, then soft delete, journaled.
    let r = get_avec_cookie(&app, &format!("{url}/supprimer"), &c).await;
    assert_eq!(r.statut, StatusCode::OK);
    let html = clair(&r.texte());
    une_seule_h1(&html);
    assert!(html.contains(&format!("action=\"{url}/supprimer\"")));
    assert!(html.contains("Supprimer l'activité"));
    let r = post_avec_cookie(&app, &format!("{url}/supprimer"), "", &c).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/espace/activites?supprimee=1");
    assert!(store.activite(&id).await.expect("read").is_none());
    let supprimee = store
        .activite_y_compris_supprimee(&id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(supprimee.supprime_par.as_deref(), Some(id_m.as_str()));
    let journal = store.journal(50, None).await.expect("journal");
    assert!(journal.iter().any(|e| e.action == "suppression_activite"
        && e.cible.as_deref() == Some(id.as_str())
        && e.acteur_id.as_deref() == Some(id_m.as_str())));
    let html = get_avec_cookie(&app, "/espace/activites?supprimee=1", &c)
        .await
        .texte();
    let html = clair(&html);
    assert!(html.contains("L'activité a été supprimée."));
    assert!(!html.contains(&url), "gone from the list");
    assert!(html.contains(&format!("/espace/activites/{id_c}")));
    // A deleted record is not found any more.
    for chemin in ["", "/modifier", "/dupliquer", "/supprimer"] {
        let r = get_avec_cookie(&app, &format!("{url}{chemin}"), &c).await;
        assert_eq!(r.statut, StatusCode::NOT_FOUND, "{chemin}");
    }
    let r = post_avec_cookie(&app, &format!("{url}/supprimer"), "", &c).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
}

async fn refus(store: Store) {
    let (app, etat) = app(store.clone()).await;
    let (id_m, c) = mediateur(&app, &etat, "mediatrice@exemple.fr").await;
    let id = creer(&app, &c, &individuel()).await;
    let url = format!("/espace/activites/{id}");
    let lectures = [
        "/espace/activites".to_string(),
        "/espace/activites/nouvelle?type=individuel".to_string(),
        url.clone(),
        format!("{url}/modifier"),
        format!("{url}/dupliquer"),
        format!("{url}/supprimer"),
    ];
    let ecritures = [
        "/espace/activites".to_string(),
        format!("{url}/modifier"),
        format!("{url}/supprimer"),
    ];

    // No session: to the sign-in page, coming back afterwards.
    for chemin in &lectures {
        let r = get(&app, chemin).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{chemin}");
        assert_eq!(
            r.entete("location"),
            format!("/compte/connexion?suite={}", encoder(chemin)),
            "{chemin}"
        );
    }
    for chemin in &ecritures {
        let r = post(&app, chemin, &formulaire(&individuel()), &[]).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{chemin}");
        assert_eq!(r.entete("location"), "/compte/connexion", "{chemin}");
    }

    // A cross-site form is refused, even with the owner's session.
    for chemin in &ecritures {
        let r = post(
            &app,
            chemin,
            &formulaire(&avec(individuel(), "duree", "120")),
            &[("cookie", &c), ("sec-fetch-site", "cross-site")],
        )
        .await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{chemin}");
        assert!(r.texte().contains("depuis un autre site"), "{chemin}");
    }
    let r = post(
        &app,
        &format!("{url}/supprimer"),
        "",
        &[
            ("cookie", &c),
            ("origin", "https://ailleurs.exemple"),
            ("host", "maillage.exemple.fr"),
        ],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let a = store
        .activite(&id)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(a.duree_minutes, 45, "unchanged");
    assert_eq!(
        activites_de(&store, &id_m).await.len(),
        1,
        "nothing created"
    );

    // Who may do what with the mediator's record.
    let (_, autre) = mediateur(&app, &etat, "autre@exemple.fr").await;
    let (coord_id, coord) = compte(
        &app,
        &etat,
        "coordination@exemple.fr",
        &[Attribution::coordinateur(Vec::new())],
    )
    .await;
    store
        .lier_equipe(
            &coord_id,
            &id_m,
            chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
        )
        .await
        .expect("team");
    let (_, coord_ailleurs) = compte(
        &app,
        &etat,
        "autre-coordination@exemple.fr",
        &[Attribution::coordinateur(Vec::new())],
    )
    .await;
    let (_, structure) = compte(
        &app,
        &etat,
        "structure@exemple.fr",
        &[Attribution::gestionnaire_structure("s-1")],
    )
    .await;
    let (_, territoire) = compte(
        &app,
        &etat,
        "departement@exemple.fr",
        &[Attribution::gestionnaire_departement("16")],
    )
    .await;
    let (_, admin) = compte(
        &app,
        &etat,
        "admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let (_, sans_role) = compte(&app, &etat, "personne@exemple.fr", &[]).await;

    // (who, detail allowed?, message of the refusal on writes)
    let cas: [(&str, &str, bool, &str); 7] = [
        (
            "autre médiateur",
            autre.as_str(),
            false,
            "appartient à un autre médiateur",
        ),
        (
            "coordinateur de l'équipe",
            coord.as_str(),
            true,
            "pas de les modifier",
        ),
        (
            "coordinateur d'une autre équipe",
            coord_ailleurs.as_str(),
            false,
            "ne fait pas partie de votre équipe",
        ),
        (
            "gestionnaire de structure",
            structure.as_str(),
            false,
            "ne relève pas de vos attributions",
        ),
        (
            "gestionnaire territorial",
            territoire.as_str(),
            false,
            "statistiques agrégées",
        ),
        (
            "administrateur",
            admin.as_str(),
            false,
            "statistiques agrégées",
        ),
        ("sans rôle", sans_role.as_str(), false, "aucun rôle"),
    ];
    for (qui, cookie, lecture, raison) in cas {
        let r = get_avec_cookie(&app, &url, cookie).await;
        if lecture {
            assert_eq!(r.statut, StatusCode::OK, "{qui}: detail");
            let html = clair(&r.texte());
            assert!(
                !html.contains("Création d"),
                "{qui}: notes stay with the mediator"
            );
            assert!(
                !html.contains(&format!("{url}/modifier")),
                "{qui}: no edit link"
            );
        } else {
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{qui}: detail");
        }
        for chemin in ["/modifier", "/dupliquer", "/supprimer"] {
            let r = get_avec_cookie(&app, &format!("{url}{chemin}"), cookie).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{qui}: GET {chemin}");
            let html = clair(&r.texte());
            assert!(html.contains("Accès refusé"), "{qui}: {chemin}");
            assert!(
                html.contains(raison),
                "{qui}: {chemin}: « {raison} » in\n{html}"
            );
        }
        for chemin in ["/modifier", "/supprimer"] {
            let r = post_avec_cookie(
                &app,
                &format!("{url}{chemin}"),
                &formulaire(&avec(individuel(), "duree", "120")),
                cookie,
            )
            .await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{qui}: POST {chemin}");
        }
        // Only mediators record activities.
        let r = get_avec_cookie(&app, "/espace/activites/nouvelle?type=collectif", cookie).await;
        let r2 = post_avec_cookie(
            &app,
            "/espace/activites",
            &formulaire(&individuel()),
            cookie,
        )
        .await;
        if qui == "autre médiateur" {
            assert_eq!(r.statut, StatusCode::OK, "{qui}: new form");
            assert_eq!(r2.statut, StatusCode::SEE_OTHER, "{qui}: own record");
        } else {
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{qui}: new form");
            assert_eq!(r2.statut, StatusCode::FORBIDDEN, "{qui}: create");
        }
        // Everyone has their own list (empty for them).
        let r = get_avec_cookie(&app, "/espace/activites", cookie).await;
        assert_eq!(r.statut, StatusCode::OK, "{qui}: own list");
        assert!(!r.texte().contains(&url), "{qui}: not in their list");
        assert_eq!(
            r.texte()
                .contains("href=\"/espace/activites/nouvelle?type=individuel\""),
            qui == "autre médiateur",
            "{qui}: creation links only for mediators"
        );
    }
    let a = store
        .activite(&id)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(a.duree_minutes, 45, "unchanged by others");

    // Unknown ids: 404 for the owner too.
    for chemin in ["", "/modifier", "/dupliquer", "/supprimer"] {
        let r = get_avec_cookie(&app, &format!("/espace/activites/inconnu{chemin}"), &c).await;
        assert_eq!(r.statut, StatusCode::NOT_FOUND, "{chemin}");
        assert!(r.texte().contains("Activité introuvable"));
    }
    for chemin in ["/modifier", "/supprimer"] {
        let r = post_avec_cookie(
            &app,
            &format!("/espace/activites/inconnu{chemin}"),
            &formulaire(&individuel()),
            &c,
        )
        .await;
        assert_eq!(r.statut, StatusCode::NOT_FOUND, "{chemin}");
    }
}
