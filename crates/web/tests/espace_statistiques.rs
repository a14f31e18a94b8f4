//! `/espace/statistiques` and `/espace/pilotage`, in process, on SQLite and
//! PostgreSQL: each role sees exactly its scope, filters change the figures
//! as computed here from the seeded records, exports carry the same
//! figures, and refusals hold for every route.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test espace_statistiques`

mod harnais;
use harnais::*;

use axum::http::StatusCode;
use axum::Router;
use chrono::NaiveDate;
use maillage_activites::{
    valider, ActiviteSaisie, Beneficiaire, Demographie, DureeSaisie, Genre, ParticipantsAnonymes,
    Thematique, TypeActivite, TypeLieu,
};
use maillage_comptes::Attribution;
use maillage_store::{NouvelleActivite, Store};
use maillage_web::Etat;
use std::io::Read;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// One seeded record, as the test knows it.
#[derive(Debug, Clone)]
struct Graine {
    mediateur: String,
    structure: Option<&'static str>,
    departement: &'static str,
    date: NaiveDate,
    collectif: bool,
    /// Anonymous participants of a workshop (2 of them women).
    participants: u32,
    commune: Option<&'static str>,
    thematique: Thematique,
}

impl Graine {
    fn accompagnements(&self) -> u64 {
        if self.collectif {
            u64::from(self.participants)
        } else {
            1
        }
    }
}

async fn semer(store: &Store, g: &Graine) {
    let mut s = ActiviteSaisie::nouvelle(if g.collectif {
        TypeActivite::Collectif
    } else {
        TypeActivite::Individuel
    });
    s.date = Some(g.date);
    s.duree = Some(DureeSaisie::Minutes(45));
    match g.commune {
        Some(c) => {
            s.type_lieu = Some(TypeLieu::Domicile);
            s.lieu_code_insee = Some(c.to_string());
        }
        None => s.type_lieu = Some(TypeLieu::ADistance),
    }
    s.thematiques = vec![g.thematique];
    if g.collectif {
        s.titre_atelier = Some("Atelier".to_string());
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total: i64::from(g.participants),
            genre_feminin: 2,
            ..Default::default()
        });
    } else {
        s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
            genre: Some(Genre::Masculin),
            ..Default::default()
        }));
    }
    let activite = valider(&s, date(2025, 3, 11)).expect("valid record");
    store
        .enregistrer_activite(&NouvelleActivite {
            mediateur_id: g.mediateur.clone(),
            structure_id: g.structure.map(str::to_string),
            departement: Some(g.departement.to_string()),
            activite,
            demographies_suivies: Vec::new(),
            cree_le: chrono::Utc::now(),
        })
        .await
        .expect("record stored");
}

/// The accounts of the scenario: (id, cookie) each.
struct Monde {
    app: Router,
    etat: Etat,
    graines: Vec<Graine>,
    med_a: (String, String),
    med_b: (String, String),
    coordo: (String, String),
    structure: (String, String),
    dep13: (String, String),
    reg93: (String, String),
    admin: (String, String),
}

/// Three mediators in three départements (13 and 84 in région 93, 75),
/// a coordinator whose link to A starts on 1 February 2025 (A's January
/// record is before it), managers of structure st-1, of département 13, of
/// région 93, and an administrator. The clock is 2025-03-11: the default
/// period is 2024-04-01 to 2025-03-11.
async fn monde(store: Store) -> Monde {
    let (app, etat) = app(store).await;
    let med_a = compte(&app, &etat, "a@exemple.fr", &[Attribution::mediateur()]).await;
    let med_b = compte(&app, &etat, "b@exemple.fr", &[Attribution::mediateur()]).await;
    let med_c = compte(&app, &etat, "c@exemple.fr", &[Attribution::mediateur()]).await;
    // The team is recorded link by link, after the role.
    let coordo = compte(
        &app,
        &etat,
        "coordo@exemple.fr",
        &[Attribution::coordinateur(Vec::new())],
    )
    .await;
    for (m, debut) in [(&med_a, date(2025, 2, 1)), (&med_c, date(2024, 1, 1))] {
        etat.store()
            .lier_equipe(&coordo.0, &m.0, debut)
            .await
            .expect("team link");
    }
    let structure = compte(
        &app,
        &etat,
        "structure@exemple.fr",
        &[Attribution::gestionnaire_structure("st-1")],
    )
    .await;
    let dep13 = compte(
        &app,
        &etat,
        "dep13@exemple.fr",
        &[Attribution::gestionnaire_departement("13")],
    )
    .await;
    let reg93 = compte(
        &app,
        &etat,
        "reg93@exemple.fr",
        &[Attribution::gestionnaire_region("93")],
    )
    .await;
    let admin = compte(
        &app,
        &etat,
        "admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let g = |m: &(String, String), structure, departement, date, collectif, commune, thematique| {
        Graine {
            mediateur: m.0.clone(),
            structure,
            departement,
            date,
            collectif,
            participants: if collectif { 5 } else { 0 },
            commune,
            thematique,
        }
    };
    let graines = vec![
        // A, structure st-1, département 13.
        g(
            &med_a,
            Some("st-1"),
            "13",
            date(2025, 1, 20),
            false,
            None,
            Thematique::Email,
        ),
        g(
            &med_a,
            Some("st-1"),
            "13",
            date(2025, 2, 3),
            false,
            Some("13055"),
            Thematique::Sante,
        ),
        g(
            &med_a,
            Some("st-1"),
            "13",
            date(2025, 2, 17),
            true,
            None,
            Thematique::Email,
        ),
        g(
            &med_a,
            Some("st-1"),
            "13",
            date(2025, 3, 10),
            false,
            None,
            Thematique::Parentalite,
        ),
        // Before the default period.
        g(
            &med_a,
            Some("st-1"),
            "13",
            date(2024, 2, 10),
            false,
            None,
            Thematique::Email,
        ),
        // B, structure st-2, département 84.
        g(
            &med_b,
            Some("st-2"),
            "84",
            date(2024, 11, 5),
            false,
            Some("84007"),
            Thematique::Email,
        ),
        g(
            &med_b,
            Some("st-2"),
            "84",
            date(2025, 3, 1),
            true,
            None,
            Thematique::Bureautique,
        ),
        // C, no structure, Paris.
        g(
            &med_c,
            None,
            "75",
            date(2024, 6, 14),
            false,
            None,
            Thematique::Sante,
        ),
        g(
            &med_c,
            None,
            "75",
            date(2025, 2, 28),
            false,
            Some("75056"),
            Thematique::Email,
        ),
    ];
    for x in &graines {
        semer(etat.store(), x).await;
    }
    Monde {
        app,
        etat,
        graines,
        med_a,
        med_b,
        coordo,
        structure,
        dep13,
        reg93,
        admin,
    }
}

/// The records of the default period keeping `garder`: (activités,
/// accompagnements).
fn attendu(m: &Monde, garder: impl Fn(&Graine) -> bool) -> (u64, u64) {
    let dedans: Vec<&Graine> = m
        .graines
        .iter()
        .filter(|g| g.date >= date(2024, 4, 1) && g.date <= date(2025, 3, 11) && garder(g))
        .collect();
    (
        dedans.len() as u64,
        dedans.iter().map(|g| g.accompagnements()).sum(),
    )
}

/// HTML text with askama's escapes of quotes and ampersands undone, to
/// look for labels as users read them.
fn lisible(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// The value of a row of the "statistiques générales" table.
fn total_page(corps: &str, libelle: &str) -> u64 {
    let debut = format!("<th scope=\"row\">{libelle}</th><td class=\"nombre\">");
    let i = corps
        .find(&debut)
        .unwrap_or_else(|| panic!("row « {libelle} » missing"))
        + debut.len();
    corps[i..]
        .chars()
        .take_while(|c| *c != '<')
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("number")
}

/// (activités, accompagnements) shown on the statistics page.
async fn figures(m: &Monde, cookie: &str, requete: &str) -> (u64, u64) {
    let r = get_avec_cookie(&m.app, &format!("/espace/statistiques{requete}"), cookie).await;
    assert_eq!(r.statut, StatusCode::OK, "{requete}: {}", r.texte());
    let t = r.texte();
    (
        total_page(&t, "Activités"),
        total_page(&t, "Accompagnements (personnes accompagnées)"),
    )
}

async fn statut(m: &Monde, cookie: &str, uri: &str) -> StatusCode {
    get_avec_cookie(&m.app, uri, cookie).await.statut
}

/// Every statistics and pilotage route answers 403 to this query.
async fn refuse_partout(m: &Monde, cookie: &str, requete: &str) {
    for chemin in [
        "/espace/statistiques",
        "/espace/statistiques/export.csv",
        "/espace/statistiques/export.xlsx",
    ] {
        let r = get_avec_cookie(&m.app, &format!("{chemin}{requete}"), cookie).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{chemin}{requete}");
        assert!(r.texte().contains("Accès refusé"), "{chemin}{requete}");
    }
}

async fn pilotage_refuse(m: &Monde, cookie: &str, requete: &str) {
    for chemin in [
        "/espace/pilotage",
        "/espace/pilotage/export.csv",
        "/espace/pilotage/export.xlsx",
    ] {
        let r = get_avec_cookie(&m.app, &format!("{chemin}{requete}"), cookie).await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN, "{chemin}{requete}");
    }
}

// ---------------------------------------------------------------------------

async fn sans_session_redirige(store: Store) {
    let m = monde(store).await;
    for chemin in [
        "/espace/statistiques",
        "/espace/statistiques/export.csv",
        "/espace/statistiques/export.xlsx",
        "/espace/pilotage",
        "/espace/pilotage/export.csv",
        "/espace/pilotage/export.xlsx",
    ] {
        let r = get(&m.app, chemin).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{chemin}");
        assert!(
            r.entete("location").starts_with("/compte/connexion?suite="),
            "{chemin}"
        );
    }
}

async fn mediateur_voit_les_siennes(store: Store) {
    let m = monde(store).await;
    let moi = m.med_a.0.clone();
    let cookie = &m.med_a.1;
    let (a, acc) = attendu(&m, |g| g.mediateur == moi);
    assert_eq!(a, 4, "A's January record counts for A");
    assert_eq!(figures(&m, cookie, "").await, (a, acc));
    assert_eq!(figures(&m, cookie, "?perimetre=soi").await, (a, acc));
    // Charts and their tables.
    let t = lisible(
        &get_avec_cookie(&m.app, "/espace/statistiques", cookie)
            .await
            .texte(),
    );
    for titre in [
        "Accompagnements par mois",
        "Thématiques des accompagnements de médiation numérique",
        "Thématiques des accompagnements de démarches administratives",
        "Matériel utilisé",
        "Canaux des accompagnements",
        "Durée des accompagnements",
        "Genre des bénéficiaires",
        "Tranche d'âge des bénéficiaires",
        "Statut des bénéficiaires",
        "Communes des accompagnements",
    ] {
        assert!(t.contains(titre), "{titre}");
    }
    assert_eq!(t.matches("<svg").count(), 10);
    assert_eq!(t.matches("role=\"img\"").count(), 10);
    assert_eq!(t.matches("<caption").count(), 11);
    assert!(t.contains("<th scope=\"col\" class=\"nombre\">Accompagnements</th>"));
    assert!(t.contains("<h1>Statistiques</h1>"));
    assert_eq!(t.matches("<h1").count(), 1);
    // Genre: 3 men (individual records), 2 women and 3 unknown (workshop).
    assert!(t.contains("<th scope=\"row\">Féminin</th><td class=\"nombre\">1</td><td class=\"nombre\">2</td><td class=\"nombre\">25\u{202f}%</td>"));
    assert!(t.contains("<th scope=\"row\">Masculin</th><td class=\"nombre\">3</td><td class=\"nombre\">3</td><td class=\"nombre\">37,5\u{202f}%</td>"));
    // Only their own scope is offered.
    assert!(t.contains("<option value=\"soi\" selected>"));
    assert!(!t.contains("value=\"national\""));
    // Anything else is refused.
    for requete in [
        "?perimetre=national",
        "?perimetre=departement:13",
        "?perimetre=region:93",
        "?perimetre=equipe",
        "?perimetre=structure:st-1",
    ] {
        refuse_partout(&m, cookie, requete).await;
    }
    pilotage_refuse(&m, cookie, "").await;
    pilotage_refuse(&m, cookie, "?perimetre=departement:13").await;
}

async fn coordinateur_equipe_dans_les_dates(store: Store) {
    let m = monde(store).await;
    let cookie = &m.coordo.1;
    let (a, c) = (m.med_a.0.clone(), m.graines[7].mediateur.clone());
    // A counts from 1 February only; C over the whole period.
    let equipe = attendu(&m, |g| {
        (g.mediateur == a && g.date >= date(2025, 2, 1)) || g.mediateur == c
    });
    assert_eq!(equipe.0, 5);
    assert_eq!(figures(&m, cookie, "").await, equipe);
    assert_eq!(figures(&m, cookie, "?perimetre=equipe").await, equipe);
    let seul_a = attendu(&m, |g| g.mediateur == a && g.date >= date(2025, 2, 1));
    assert_eq!(
        figures(&m, cookie, &format!("?perimetre=equipe&mediateur={a}")).await,
        seul_a
    );
    // The January record is not in the team's figures, even asked for.
    assert_eq!(
        figures(&m, cookie, "?perimetre=equipe&du=2025-01-01&au=2025-01-31").await,
        (0, 0)
    );
    // A mediator outside the team: a field error, not figures.
    let r = get_avec_cookie(
        &m.app,
        &format!(
            "/espace/statistiques?perimetre=equipe&mediateur={}",
            m.med_b.0
        ),
        cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(lisible(&r.texte()).contains("ne fait pas partie de votre équipe"));
    for requete in [
        "?perimetre=national",
        "?perimetre=departement:13",
        "?perimetre=structure:st-1",
    ] {
        refuse_partout(&m, cookie, requete).await;
    }
    pilotage_refuse(&m, cookie, "").await;
    pilotage_refuse(&m, cookie, "?perimetre=national").await;
}

async fn gestionnaire_structure(store: Store) {
    let m = monde(store).await;
    let cookie = &m.structure.1;
    let st1 = attendu(&m, |g| g.structure == Some("st-1"));
    assert_eq!(figures(&m, cookie, "").await, st1);
    assert_eq!(figures(&m, cookie, "?perimetre=structure:st-1").await, st1);
    refuse_partout(&m, cookie, "?perimetre=structure:st-2").await;
    refuse_partout(&m, cookie, "?perimetre=departement:13").await;
    pilotage_refuse(&m, cookie, "").await;
}

async fn gestionnaire_departement(store: Store) {
    let m = monde(store).await;
    let cookie = &m.dep13.1;
    let d13 = attendu(&m, |g| g.departement == "13");
    assert_eq!(figures(&m, cookie, "").await, d13);
    assert_eq!(figures(&m, cookie, "?perimetre=departement:13").await, d13);
    for requete in [
        "?perimetre=departement:84",
        "?perimetre=region:93",
        "?perimetre=national",
        "?perimetre=soi&perimetre=national",
    ] {
        refuse_partout(&m, cookie, requete).await;
    }
    // Pilotage of their département: one row per EPCI, the rest without
    // commune; the totals are the département's.
    let r = get_avec_cookie(&m.app, "/espace/pilotage", cookie).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let t = lisible(&r.texte());
    assert!(t.contains("<h1>Tableau de pilotage des territoires</h1>"));
    assert!(t.contains("Sans commune rattachée"));
    let epci = m
        .etat
        .referentiel()
        .commune("13055")
        .and_then(|c| c.epci.clone())
        .expect("Marseille's EPCI");
    let nom_epci = m.etat.referentiel().epci(&epci).expect("EPCI").nom.clone();
    assert!(t.contains(&format!("<th scope=\"row\">{nom_epci}</th>")));
    assert!(t.contains("<caption id=\"titre-tableau\">"));
    pilotage_refuse(&m, cookie, "?perimetre=national").await;
    pilotage_refuse(&m, cookie, "?perimetre=departement:84").await;
    // CSV of the table: the total line has the département's figures.
    let r = get_avec_cookie(&m.app, "/espace/pilotage/export.csv", cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    let csv = r.texte();
    assert!(csv.starts_with('\u{feff}'));
    let total = csv
        .lines()
        .find(|l| l.starts_with("Total;;Total de la période;"))
        .expect("total line");
    assert_eq!(
        total,
        format!("Total;;Total de la période;1;{};{}", d13.0, d13.1)
    );
}

async fn gestionnaire_region(store: Store) {
    let m = monde(store).await;
    let cookie = &m.reg93.1;
    let r93 = attendu(&m, |g| g.departement == "13" || g.departement == "84");
    assert_eq!(figures(&m, cookie, "?perimetre=region:93").await, r93);
    assert_eq!(
        figures(&m, cookie, "?perimetre=departement:84").await,
        attendu(&m, |g| g.departement == "84")
    );
    refuse_partout(&m, cookie, "?perimetre=departement:75").await;
    refuse_partout(&m, cookie, "?perimetre=national").await;
    // A commune of the région: only its records; one outside: an error.
    let avignon = attendu(&m, |g| g.commune == Some("84007"));
    assert_eq!(avignon.0, 1);
    assert_eq!(
        figures(&m, cookie, "?perimetre=region:93&commune=84007").await,
        avignon
    );
    let r = get_avec_cookie(
        &m.app,
        "/espace/statistiques?perimetre=region:93&commune=75056",
        cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(lisible(&r.texte()).contains("n'est pas dans le périmètre choisi"));
    assert!(r.texte().contains("href=\"#commune\""));
    // An EPCI is its communes.
    let epci = m
        .etat
        .referentiel()
        .commune("84007")
        .and_then(|c| c.epci.clone())
        .expect("Avignon's EPCI");
    assert_eq!(
        figures(&m, cookie, &format!("?perimetre=region:93&epci={epci}")).await,
        avignon
    );
    // Pilotage of the région: a row per département with its figures.
    let r = get_avec_cookie(
        &m.app,
        "/espace/pilotage/export.csv?perimetre=region:93",
        cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    let csv = r.texte();
    let d84 = attendu(&m, |g| g.departement == "84");
    assert!(
        csv.lines()
            .any(|l| l.ends_with(&format!(";84;Total de la période;1;{};{}", d84.0, d84.1))),
        "{csv}"
    );
    let r = get_avec_cookie(&m.app, "/espace/pilotage?perimetre=region:93", cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("Vaucluse (84)"));
    pilotage_refuse(&m, cookie, "?perimetre=national").await;
    pilotage_refuse(&m, cookie, "?perimetre=departement:75").await;
}

async fn administrateur_national_et_filtres(store: Store) {
    let m = monde(store).await;
    let cookie = &m.admin.1;
    let tout = attendu(&m, |_| true);
    assert_eq!(figures(&m, cookie, "").await, tout);
    assert_eq!(figures(&m, cookie, "?perimetre=national").await, tout);
    // Filters, each computed from the seeds.
    assert_eq!(
        figures(&m, cookie, "?type=collectif").await,
        attendu(&m, |g| g.collectif)
    );
    assert_eq!(
        figures(&m, cookie, "?thematique=Email").await,
        attendu(&m, |g| g.thematique == Thematique::Email)
    );
    assert_eq!(
        figures(&m, cookie, "?type_lieu=Domicile").await,
        attendu(&m, |g| g.commune.is_some())
    );
    assert_eq!(
        figures(&m, cookie, "?du=2025-02-01&au=2025-02-28").await,
        (3, 7)
    );
    assert_eq!(
        figures(&m, cookie, "?du=2024-01-01&au=2025-03-11").await.0,
        m.graines.len() as u64
    );
    // Bad input: a French message naming the field, never a crash.
    for (requete, message) in [
        ("?du=31/12/2024", "Date de début"),
        ("?du=2025-03-01&au=2025-01-01", "Date de fin"),
        ("?type=atelier", "Type d'activité"),
        ("?thematique=Inconnue", "Thématique"),
        ("?commune=00000", "Commune"),
        ("?perimetre=galaxie", "Périmètre"),
    ] {
        let r = get_avec_cookie(&m.app, &format!("/espace/statistiques{requete}"), cookie).await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{requete}");
        assert!(lisible(&r.texte()).contains(message), "{requete}");
        let r = get_avec_cookie(
            &m.app,
            &format!("/espace/statistiques/export.csv{requete}"),
            cookie,
        )
        .await;
        assert_eq!(r.statut, StatusCode::BAD_REQUEST, "{requete}");
    }
    // National pilotage: a row per région.
    let r = get_avec_cookie(&m.app, "/espace/pilotage", cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    let t = lisible(&r.texte());
    assert!(t.contains("<th scope=\"row\">Provence-Alpes-Côte d'Azur</th>"));
    assert!(t.contains("Île-de-France"));
    let r = get_avec_cookie(&m.app, "/espace/pilotage/export.xlsx", cookie).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.corps.starts_with(b"PK"));
}

/// Cells of the first worksheet of an XLSX, row by row, as text.
fn lire_xlsx(octets: &[u8]) -> Vec<Vec<String>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(octets)).expect("zip");
    let mut lire = |nom: &str| {
        let mut s = String::new();
        if let Ok(mut f) = archive.by_name(nom) {
            f.read_to_string(&mut s).expect("read");
        }
        s
    };
    let partages = lire("xl/sharedStrings.xml");
    let feuille = lire("xl/worksheets/sheet1.xml");
    let valeur = |x: &str, debut: &str, fin: &str| -> Option<String> {
        let i = x.find(debut)? + debut.len();
        let j = x[i..].find(fin)? + i;
        Some(x[i..j].to_string())
    };
    let chaines: Vec<String> = partages
        .split("<si>")
        .skip(1)
        .map(|si| {
            let t = valeur(si, "<t", "</t>").unwrap_or_default();
            t.split_once('>').map(|(_, v)| v.to_string()).unwrap_or(t)
        })
        .map(|s| s.replace("&apos;", "'").replace("&amp;", "&"))
        .collect();
    feuille
        .split("<row ")
        .skip(1)
        .map(|ligne| {
            ligne
                .split("<c ")
                .skip(1)
                .map(|c| {
                    let v = valeur(c, "<v>", "</v>").unwrap_or_default();
                    if c.contains("t=\"s\"") {
                        chaines[v.parse::<usize>().expect("index")].clone()
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect()
}

async fn exports_memes_chiffres(store: Store) {
    let m = monde(store).await;
    let cookie = &m.reg93.1;
    let requete = "?perimetre=region:93&du=2024-04-01&au=2025-03-11";
    let (a, acc) = figures(&m, cookie, requete).await;
    let r = get_avec_cookie(
        &m.app,
        &format!("/espace/statistiques/export.csv{requete}"),
        cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.entete("content-type").starts_with("text/csv"));
    assert!(r
        .entete("content-disposition")
        .contains("statistiques-2024-04-01-2025-03-11.csv"));
    assert_eq!(r.entete("cache-control"), "no-store");
    assert!(r.corps.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let csv = r.texte();
    assert!(csv.contains(&format!("Activités;{a}\r\n")));
    assert!(csv.contains(&format!(
        "Accompagnements (personnes accompagnées);{acc}\r\n"
    )));
    assert!(csv
        .contains("Genre des bénéficiaires\r\nGenre;Activités;Accompagnements;Proportion (%)\r\n"));
    assert!(csv.contains("Périmètre;Région : Provence-Alpes-Côte d'Azur"));
    // XLSX: the same rows (label, activités, accompagnements).
    let r = get_avec_cookie(
        &m.app,
        &format!("/espace/statistiques/export.xlsx{requete}"),
        cookie,
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.entete("content-type").contains("spreadsheetml"));
    let lignes_xlsx: Vec<Vec<String>> = lire_xlsx(&r.corps)
        .into_iter()
        .map(|l| l.into_iter().take(3).collect())
        .collect();
    let lignes_csv: Vec<Vec<String>> = csv
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(';')
                .take(3)
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    assert!(lignes_csv.len() > 50);
    assert_eq!(lignes_xlsx, lignes_csv);
    // Exports are refused where the page is.
    refuse_partout(&m, cookie, "?perimetre=national").await;
    assert_eq!(
        statut(&m, &m.med_a.1, "/espace/pilotage/export.csv").await,
        StatusCode::FORBIDDEN
    );
}

sur_les_deux_bases!(
    sans_session_redirige,
    mediateur_voit_les_siennes,
    coordinateur_equipe_dans_les_dates,
    gestionnaire_structure,
    gestionnaire_departement,
    gestionnaire_region,
    administrateur_national_et_filtres,
    exports_memes_chiffres,
);
