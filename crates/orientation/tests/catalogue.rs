//! Search, territory, distance, text, availability, orientation and
//! localisation, on hand-made places and on the real demo data.

mod commun;

use chrono::{NaiveDate, NaiveTime, Weekday};
use commun::*;
use maillage_lieux::enums::*;
use maillage_lieux::Ensemble;
use maillage_orientation::{
    localiser, Disponibilite, EtatOuverture, Fuseau, Position, Questionnaire, Raison, Recherche,
    Territoire, Tri,
};

fn r() -> Recherche {
    Recherche::default()
}

fn pos(p: (f64, f64)) -> Position {
    Position::new(p.0, p.1).expect("position")
}

// --- Filters -------------------------------------------------------------

#[test]
fn default_search_finds_everything_alphabetically() {
    let c = fabrique();
    assert_eq!(c.len(), 9);
    let noms: Vec<String> = ids(c, &r(), mercredi())
        .iter()
        .map(|id| c.lieu(id).expect("id").nom.to_string())
        .collect();
    // French order ignoring case and accents: "écluse" between "Centre"
    // and "Espace"; "Mairie" < "Maison" < "Médiathèque".
    assert_eq!(
        noms,
        [
            "Bibliothèque sans public",
            "Centre social de Bègles",
            "écluse numérique",
            "Espace numérique de Mérignac",
            "Mairie de Lyon",
            "Maison France Services Lyon 3e",
            "Médiathèque Mériadeck",
            "Point numérique de Saint-Denis",
            "Tiers-lieu aux horaires illisibles",
        ]
    );
    assert_eq!(c.compter(&r(), mercredi()), 9);
}

#[test]
fn or_inside_a_category_and_across_categories() {
    let c = fabrique();
    let s = Recherche {
        services: Service::AccesInternet | Service::MaitriseOutils,
        ..r()
    };
    assert_eq!(tries(ids(c, &s, mercredi())), ["a", "b", "e", "i"]);
    let s = Recherche {
        services: Service::AccesInternet | Service::MaitriseOutils,
        frais_a_charge: Frais::Gratuit.into(),
        ..r()
    };
    assert_eq!(ids(c, &s, mercredi()), ["a"]);
    let s = Recherche {
        frais_a_charge: Frais::Gratuit | Frais::GratuitSousCondition,
        ..r()
    };
    assert_eq!(tries(ids(c, &s, mercredi())), ["a", "c", "d", "h"]);
}

#[test]
fn every_enumeration_filters() {
    let c = fabrique();
    let cas: Vec<(Recherche, Vec<&str>)> = vec![
        (
            Recherche {
                publics_specifiquement_adresses: Public::Jeunes.into(),
                ..r()
            },
            vec!["b"],
        ),
        (
            Recherche {
                prise_en_charge_specifique: PriseEnCharge::Surdite.into(),
                ..r()
            },
            vec!["a"],
        ),
        (
            Recherche {
                modalites_acces: ModaliteAcces::Telephoner | ModaliteAcces::SePresenter,
                ..r()
            },
            vec!["a", "b"],
        ),
        (
            Recherche {
                modalites_accompagnement: ModaliteAccompagnement::AtelierCollectif.into(),
                ..r()
            },
            vec!["b"],
        ),
        (
            Recherche {
                dispositif_programmes_nationaux: Dispositif::FranceServices.into(),
                ..r()
            },
            vec!["b"],
        ),
        (
            Recherche {
                formations_labels: FormationLabel::EtapesNumeriques.into(),
                ..r()
            },
            vec!["a"],
        ),
        (
            Recherche {
                itinerance: Itinerance::Itinerant.into(),
                ..r()
            },
            vec!["b"],
        ),
        (
            Recherche {
                typologie: Typologie::Bib | Typologie::Cs,
                ..r()
            },
            vec!["a", "b"],
        ),
        (
            Recherche {
                sources: vec!["ville".into()],
                ..r()
            },
            vec!["a", "c"],
        ),
        (
            Recherche {
                sources: vec!["caf".into(), "inconnue".into()],
                ..r()
            },
            vec!["b"],
        ),
        (
            Recherche {
                prise_rdv: true,
                ..r()
            },
            vec!["a"],
        ),
        (
            Recherche {
                accueil_du_public: true,
                services: Service::AideDemarches.into(),
                ..r()
            },
            vec!["a", "c", "d", "f", "g"],
        ),
    ];
    for (recherche, attendu) in cas {
        assert_eq!(
            tries(ids(c, &recherche, mercredi())),
            attendu,
            "{recherche:?}"
        );
    }
}

// --- Territory -----------------------------------------------------------

#[test]
fn territory_levels_on_hand_made_places() {
    let c = fabrique();
    let t = |s: &str| Recherche {
        territoire: Some(s.parse::<Territoire>().expect("territory")),
        ..r()
    };
    // Nouvelle-Aquitaine (75) is Gironde's région.
    assert_eq!(
        tries(ids(c, &t("reg:75"), mercredi())),
        ["a", "b", "c", "g", "h", "i"]
    );
    assert_eq!(tries(ids(c, &t("dep:69"), mercredi())), ["d", "e"]);
    assert_eq!(ids(c, &t("dep:974"), mercredi()), ["f"]);
    // Bordeaux Métropole groups Bordeaux, Bègles and Mérignac.
    assert_eq!(
        tries(ids(c, &t("epci:243300316"), mercredi())),
        ["a", "b", "c", "g", "h", "i"]
    );
    // Lyon includes its arrondissements; the 3e only itself.
    assert_eq!(tries(ids(c, &t("com:69123"), mercredi())), ["d", "e"]);
    assert_eq!(ids(c, &t("com:69383"), mercredi()), ["d"]);
    assert_eq!(ids(c, &t("com:33039"), mercredi()), ["b"]);
    // Unknown or empty territories find nothing.
    assert!(ids(c, &t("dep:2A"), mercredi()).is_empty());
    assert!(ids(c, &t("com:99999"), mercredi()).is_empty());
    let f = c.fiche(c.index_de("d").expect("d"));
    assert_eq!(f.code_departement.as_deref(), Some("69"));
    assert_eq!(f.code_region.as_deref(), Some("84"));
    assert_eq!(f.code_commune_parente.as_deref(), Some("69123"));
}

#[test]
fn region_is_the_union_of_its_departements_on_real_data() {
    let c = demo();
    let compter = |t: &str| {
        c.compter(
            &Recherche {
                territoire: Some(t.parse().expect("territory")),
                ..r()
            },
            mercredi(),
        )
    };
    let aura = compter("reg:84");
    assert!(
        aura > 500,
        "Hinaura places are in Auvergne-Rhône-Alpes: {aura}"
    );
    let par_departement: usize = referentiel()
        .departements_de_region("84")
        .iter()
        .map(|d| compter(&format!("dep:{}", d.code)))
        .sum();
    assert_eq!(aura, par_departement);
    // Charente: the Charente datasets; Nouvelle-Calédonie: its own.
    assert!(compter("dep:16") >= 150);
    let caledonie = compter("dep:988");
    assert!(caledonie >= 80, "{caledonie}");
    // Every place found in a département says so in its facts.
    let s = Recherche {
        territoire: Some("dep:74".parse().expect("territory")),
        ..r()
    };
    for t in c
        .rechercher(
            &Recherche {
                par_page: 1000,
                ..s
            },
            mercredi(),
        )
        .lieux
    {
        assert_eq!(c.fiche(t.index).code_departement.as_deref(), Some("74"));
        assert_eq!(c.fiche(t.index).code_region.as_deref(), Some("84"));
    }
}

#[test]
fn epci_on_real_data_matches_the_facts() {
    let c = demo();
    let epci = (0..c.len())
        .find_map(|i| c.fiche(i).code_epci.clone())
        .expect("some place has an EPCI");
    let attendu = (0..c.len())
        .filter(|&i| c.fiche(i).code_epci.as_deref() == Some(&*epci))
        .count();
    let s = Recherche {
        territoire: Some(Territoire::Epci(epci.as_ref().into())),
        ..r()
    };
    assert_eq!(c.compter(&s, mercredi()), attendu);
    assert!(attendu > 0);
}

// --- Distance and sort ---------------------------------------------------

#[test]
fn radius_filters_and_sorts_by_distance() {
    let c = fabrique();
    let s = Recherche {
        position: Some(pos(MERIADECK)),
        rayon_km: Some(5.0),
        ..r()
    };
    let res = c.rechercher(&s, mercredi());
    let ordre: Vec<&str> = res
        .lieux
        .iter()
        .map(|t| c.lieux()[t.index].id.as_str())
        .collect();
    // g has no coordinates: excluded by the radius.
    assert_eq!(ordre, ["a", "h", "i", "b"]);
    let d: Vec<f64> = res.lieux.iter().filter_map(|t| t.distance_km).collect();
    assert_eq!(d.len(), 4);
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    assert!(d[0] < 0.01);
    assert!((d[3] - 4.68).abs() < 0.1, "Bègles at {}", d[3]);

    let s = Recherche {
        rayon_km: Some(10.0),
        ..s
    };
    assert_eq!(c.compter(&s, mercredi()), 5);
}

#[test]
fn position_without_radius_sorts_and_keeps_places_without_coordinates_last() {
    let c = fabrique();
    let s = Recherche {
        position: Some(pos(MERIADECK)),
        services: Service::AideDemarches.into(),
        ..r()
    };
    let ordre = ids(c, &s, mercredi());
    assert_eq!(ordre.first().map(String::as_str), Some("a"));
    assert_eq!(ordre.last().map(String::as_str), Some("g"));
    assert_eq!(ordre.len(), 6);
    // Sorting by name ignores the position.
    let s = Recherche { tri: Tri::Nom, ..s };
    assert_eq!(ids(c, &s, mercredi())[0], "h");
}

#[test]
fn pagination_covers_every_match_once() {
    let c = demo();
    let s = Recherche {
        services: Service::AideDemarches.into(),
        par_page: 7,
        ..r()
    };
    let total = c.compter(&s, mercredi());
    assert!(total > 100);
    let mut vus = Vec::new();
    let mut page = 1;
    loop {
        let res = c.rechercher(&Recherche { page, ..s.clone() }, mercredi());
        assert_eq!(res.total, total);
        if res.lieux.is_empty() {
            break;
        }
        assert!(res.lieux.len() <= 7);
        vus.extend(res.lieux.iter().map(|t| t.index));
        page += 1;
    }
    assert_eq!(vus.len(), total);
    // Alphabetical order is index order, and no place twice.
    assert!(vus.windows(2).all(|w| w[0] < w[1]));
    // Beyond the last page: empty, with the total.
    let loin = c.rechercher(
        &Recherche {
            page: 10_000,
            ..s.clone()
        },
        mercredi(),
    );
    assert_eq!((loin.total, loin.lieux.len()), (total, 0));
    // Distance sort pages too.
    let s = Recherche {
        position: Some(pos((45.75, 4.85))),
        rayon_km: Some(50.0),
        par_page: 5,
        ..r()
    };
    let p1 = c.rechercher(&s, mercredi());
    let p2 = c.rechercher(
        &Recherche {
            page: 2,
            ..s.clone()
        },
        mercredi(),
    );
    let d1 = p1.lieux.last().and_then(|t| t.distance_km).expect("p1");
    let d2 = p2.lieux.first().and_then(|t| t.distance_km).expect("p2");
    assert!(d1 <= d2);
}

// --- Text ----------------------------------------------------------------

#[test]
fn text_is_accent_case_and_typo_tolerant() {
    let c = fabrique();
    for q in [
        "mediatheque",
        "Médiatèque",
        "MEDIATHEQUE meriadeck",
        "médiathèque bordeau",
        "mediatheque bordeaux",
        "maréchal juin",
    ] {
        let s = Recherche {
            texte: Some(q.into()),
            ..r()
        };
        assert_eq!(ids(c, &s, mercredi()), ["a"], "{q}");
    }
    let s = Recherche {
        texte: Some("lyon".into()),
        ..r()
    };
    assert_eq!(tries(ids(c, &s, mercredi())), ["d", "e"]);
    let s = Recherche {
        texte: Some("piscine".into()),
        ..r()
    };
    assert!(ids(c, &s, mercredi()).is_empty());
    // Text AND filters.
    let s = Recherche {
        texte: Some("lyon".into()),
        services: Service::MaitriseOutils.into(),
        ..r()
    };
    assert_eq!(ids(c, &s, mercredi()), ["e"]);
}

#[test]
fn text_relevance_puts_name_matches_first_on_real_data() {
    let c = demo();
    let s = Recherche {
        texte: Some("mediatheque".into()),
        ..r()
    };
    let res = c.rechercher(&s, mercredi());
    assert!(res.total >= 5, "{}", res.total);
    let premier = &c.lieux()[res.lieux[0].index];
    assert!(
        maillage_orientation::texte::normaliser(&premier.nom).contains("mediatheque"),
        "{}",
        premier.nom
    );
    let s = Recherche {
        texte: Some("Médiatèque chateaubernar".into()),
        ..r()
    };
    let trouves = ids(c, &s, mercredi());
    assert!(
        trouves.iter().any(|id| c
            .lieu(id)
            .is_some_and(|l| l.nom == "Médiathèque chateaubernard")),
        "{trouves:?}"
    );
}

// --- Availability --------------------------------------------------------

fn ouverts(d: Disponibilite, maintenant: &str) -> Vec<String> {
    let c = fabrique();
    tries(ids(
        c,
        &Recherche {
            disponibilite: Some(d),
            ..r()
        },
        utc(maintenant),
    ))
}

#[test]
fn open_now_respects_public_holidays() {
    // Wednesday 10:30 in Paris: a, c, h open; i unreadable never open.
    assert_eq!(
        ouverts(Disponibilite::Maintenant, "2026-03-18 09:30"),
        ["a", "c", "h"]
    );
    // Friday 25 December 2026, 10:00 in Paris: a says "PH off", h does not.
    assert_eq!(
        ouverts(Disponibilite::Maintenant, "2026-12-25 09:00"),
        ["c", "h"]
    );
    assert_eq!(
        ouverts(Disponibilite::Maintenant, "2026-12-24 09:00"),
        ["a", "c", "h"]
    );
}

#[test]
fn overseas_places_use_their_time_zone() {
    // 05:30 UTC = 09:30 in La Réunion (UTC+4), 06:30 in Paris.
    assert_eq!(
        ouverts(Disponibilite::Maintenant, "2026-03-18 05:30"),
        ["f"]
    );
    // 09:30 UTC = 13:30 in La Réunion: closed there, open in Bordeaux.
    assert!(!ouverts(Disponibilite::Maintenant, "2026-03-18 09:30").contains(&"f".to_string()));
    let c = fabrique();
    let f = c.index_de("f").expect("f");
    assert_eq!(c.fiche(f).fuseau, Fuseau::Reunion);
    assert_eq!(c.fiche(f).fuseau.nom(), "Indian/Reunion");
    assert_eq!(
        c.heure_locale(f, utc("2026-03-18 05:30"))
            .format("%H:%M")
            .to_string(),
        "09:30"
    );
    let caledonie = demo();
    let i = (0..caledonie.len())
        .find(|&i| caledonie.fiche(i).code_departement.as_deref() == Some("988"))
        .expect("a place in Nouvelle-Calédonie");
    assert_eq!(caledonie.fiche(i).fuseau, Fuseau::Noumea);
}

#[test]
fn weekend_and_time_slots() {
    // From Wednesday, the next weekend: only Bègles opens on Saturday.
    assert_eq!(ouverts(Disponibilite::WeekEnd, "2026-03-18 09:30"), ["b"]);
    // On Sunday evening, next Saturday still counts.
    assert_eq!(ouverts(Disponibilite::WeekEnd, "2026-03-22 20:00"), ["b"]);
    let creneau = |jour, debut: (u32, u32), fin: (u32, u32)| Disponibilite::Creneau {
        jour,
        debut: NaiveTime::from_hms_opt(debut.0, debut.1, 0).expect("t"),
        fin: NaiveTime::from_hms_opt(fin.0, fin.1, 0).expect("t"),
    };
    // Monday afternoon: a and h (until 18:00), not c (mornings only).
    assert_eq!(
        ouverts(creneau(Weekday::Mon, (14, 0), (16, 0)), "2026-03-18 09:30"),
        ["a", "h"]
    );
    // A slot is in each place's local time: 11:30–12:00 in La Réunion too.
    assert_eq!(
        ouverts(
            creneau(Weekday::Mon, (11, 30), (12, 30)),
            "2026-03-18 09:30"
        ),
        ["a", "c", "f", "h"]
    );
    // `fin <= debut` reads "until midnight".
    assert_eq!(
        ouverts(creneau(Weekday::Mon, (17, 30), (0, 0)), "2026-03-18 09:30"),
        ["a", "h"]
    );
    // A precise local time.
    let le = NaiveDate::from_ymd_opt(2026, 3, 21)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("date");
    assert_eq!(ouverts(Disponibilite::Le(le), "2026-03-18 09:30"), ["b"]);
}

#[test]
fn opening_state_and_week_for_the_place_page() {
    let c = fabrique();
    let a = c.index_de("a").expect("a");
    let e = c.etat_ouverture(a, mercredi());
    assert!(e.ouvert());
    assert_eq!(c.libelle_ouverture(a, mercredi()), "Ouvert — ferme à 18:00");
    // Friday 19:00 in Paris: next opening Monday.
    assert_eq!(
        c.libelle_ouverture(a, utc("2026-03-20 18:00")),
        "Fermé — ouvre lundi à 09:00"
    );
    let semaine = c.semaine(a, utc("2026-12-21 08:00"));
    assert_eq!(semaine.len(), 7);
    assert_eq!(semaine[0].jour, "lundi");
    let noel = &semaine[4];
    assert_eq!(
        noel.date,
        NaiveDate::from_ymd_opt(2026, 12, 25).expect("date")
    );
    assert!(noel.ferie && noel.intervalles.is_empty());
    assert_eq!(semaine[3].intervalles, ["09:00–18:00"]);
    let i = c.index_de("i").expect("i");
    assert_eq!(c.etat_ouverture(i, mercredi()), EtatOuverture::Inconnu);
    assert!(!c.horaires_lisibles(i));
    let d = c.index_de("d").expect("d");
    assert_eq!(
        c.libelle_ouverture(d, mercredi()),
        "Horaires non renseignés"
    );
}

// --- Orientation ---------------------------------------------------------

#[test]
fn orientation_ranks_by_band_then_fit_and_explains() {
    let c = fabrique();
    let q = Questionnaire {
        besoin: Some(Service::AideDemarches),
        position: Some(pos(MERIADECK)),
        rayon_km: 30.0,
        prise_en_charge: PriseEnCharge::Surdite.into(),
        disponibilite: Some(Disponibilite::Maintenant),
        ..Questionnaire::default()
    };
    let o = c.orienter(&q, mercredi());
    // h does not receive the public, g has no coordinates, d/f are far.
    let ordre: Vec<&str> = o
        .propositions
        .iter()
        .map(|p| c.lieux()[p.index].id.as_str())
        .collect();
    assert_eq!(ordre, ["a", "c"]);
    assert_eq!(o.total, 2);
    assert_eq!(o.total, c.compter(&q.recherche(), mercredi()));
    let a = &o.propositions[0];
    let textes: Vec<String> = a.raisons.iter().map(ToString::to_string).collect();
    assert_eq!(
        textes,
        [
            "À 10 m",
            "Ouvert au moment demandé",
            "Accueil adapté : Surdité",
            "Gratuit",
            "Prise de rendez-vous en ligne"
        ]
    );
    assert_eq!(a.score, 20);
    let c_ = &o.propositions[1];
    assert!(matches!(c_.raisons[0], Raison::Distance(d) if (d - 8.1).abs() < 0.2));
    assert_eq!(c_.raisons[0].to_string(), "À 8,1 km");
    assert!(c_.raisons.contains(&Raison::GratuitSousCondition));
}

#[test]
fn a_better_fit_wins_within_a_band_but_not_across_bands() {
    let mut lieux = lieux_fabriques();
    // Two more places 1.0 and 1.5 km from Mériadeck: the farther one is
    // free and bookable, the nearer one neither.
    let mut proche = lieu(
        "proche",
        "Proche",
        "Bordeaux",
        "33000",
        "33063",
        Some((44.8468, -0.5792)),
    );
    proche.services = Service::AideDemarches.into();
    proche.frais_a_charge = Frais::Payant.into();
    let mut adapte = lieu(
        "adapte",
        "Adapté",
        "Bordeaux",
        "33000",
        "33063",
        Some((44.8513, -0.5792)),
    );
    adapte.services = Service::AideDemarches.into();
    adapte.frais_a_charge = Frais::Gratuit.into();
    adapte.prise_rdv = Some("https://rdv.example.fr".into());
    lieux.retain(|l| l.id != "a");
    lieux.push(proche);
    lieux.push(adapte);
    let c = maillage_orientation::Catalogue::new(lieux, referentiel());
    let q = Questionnaire {
        besoin: Some(Service::AideDemarches),
        position: Some(pos(MERIADECK)),
        ..Questionnaire::default()
    };
    let o = c.orienter(&q, mercredi());
    let ordre: Vec<&str> = o
        .propositions
        .iter()
        .map(|p| c.lieux()[p.index].id.as_str())
        .collect();
    // Band 0–2 km: "adapte" (score 6) before "proche" (0); then Mérignac
    // at 8 km (band 5–10) whatever its score.
    assert_eq!(ordre, ["adapte", "proche", "c"]);
    assert_eq!(
        o.propositions.iter().map(|p| p.score).collect::<Vec<_>>(),
        [6, 0, 2]
    );
}

#[test]
fn strict_questionnaire_filters_instead_of_ranking() {
    let c = fabrique();
    let q = Questionnaire {
        besoin: Some(Service::AideDemarches),
        position: Some(pos(MERIADECK)),
        prise_en_charge: PriseEnCharge::Surdite.into(),
        strict: true,
        ..Questionnaire::default()
    };
    let o = c.orienter(&q, mercredi());
    assert_eq!(o.total, 1);
    assert_eq!(c.lieux()[o.propositions[0].index].id, "a");
    // Without a position: every place with the need, best fit first.
    let q = Questionnaire {
        besoin: Some(Service::AideDemarches),
        ..Questionnaire::default()
    };
    let o = c.orienter(&q, mercredi());
    assert_eq!(o.total, 5);
    assert_eq!(c.lieux()[o.propositions[0].index].id, "a");
    assert!(o.propositions.iter().all(|p| p.distance_km.is_none()));
}

#[test]
fn orientation_on_real_data_stays_within_radius_and_sorted() {
    let c = demo();
    let q = Questionnaire {
        besoin: Some(Service::AccesInternet),
        position: Some(pos((45.764, 4.8357))),
        rayon_km: 30.0,
        disponibilite: Some(Disponibilite::Maintenant),
        par_page: 50,
        ..Questionnaire::default()
    };
    let o = c.orienter(&q, mercredi());
    assert!(o.total > 10, "{}", o.total);
    let mut precedent = (0u8, u8::MAX);
    for p in &o.propositions {
        let d = p.distance_km.expect("distance");
        assert!(d <= 30.0);
        assert!(c.lieux()[p.index].services.contains(Service::AccesInternet));
        let cle = (maillage_orientation::orientation::bande(Some(d)), p.score);
        assert!(
            cle.0 > precedent.0 || (cle.0 == precedent.0 && cle.1 <= precedent.1),
            "{cle:?} after {precedent:?}"
        );
        precedent = cle;
    }
}

// --- Statistics, sources -------------------------------------------------

#[test]
fn statistics_count_the_matching_set() {
    let c = demo();
    let s = Recherche {
        territoire: Some("reg:84".parse().expect("territory")),
        ..r()
    };
    let st = c.statistiques(&s, mercredi());
    assert_eq!(st.total, c.compter(&s, mercredi()));
    let par_dep: usize = st.departements.iter().map(|(_, n)| n).sum();
    assert_eq!(par_dep, st.total);
    assert_eq!(st.regions, vec![("84".to_string(), st.total)]);
    assert_eq!(st.services.len(), 9);
    let demarches = st
        .services
        .iter()
        .find(|(s, _)| *s == Service::AideDemarches)
        .map(|(_, n)| *n)
        .expect("service listed");
    let attendu = c.compter(
        &Recherche {
            services: Service::AideDemarches.into(),
            ..s.clone()
        },
        mercredi(),
    );
    assert_eq!(demarches, attendu);
    let sources = c.sources();
    assert_eq!(sources.iter().map(|(_, n)| n).sum::<usize>(), c.len());
    let hinaura = sources
        .iter()
        .find(|(s, _)| s == "Hinaura")
        .expect("Hinaura");
    let r_source = Recherche {
        sources: vec!["Hinaura".into()],
        ..r()
    };
    assert_eq!(c.compter(&r_source, mercredi()), hinaura.1);
    let json = serde_json::to_string(&st).expect("json");
    assert!(json.contains("\"valeur\":\"Aide aux démarches administratives\""));
}

// --- Localisation --------------------------------------------------------

#[test]
fn localiser_commune_postcode_and_coordinates() {
    let rf = referentiel();
    let b = localiser(rf, "bordeaux");
    assert_eq!(b[0].code_insee.as_deref(), Some("33063"));
    assert_eq!(
        localiser(rf, "BORDEAUX")[0].code_insee.as_deref(),
        Some("33063")
    );
    assert_eq!(
        localiser(rf, "Bordeuax")[0].code_insee.as_deref(),
        Some("33063")
    );
    let p = localiser(rf, "33000");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].libelle, "Bordeaux (33000)");
    // An arrondissement postcode gives the arrondissement, not Paris.
    let paris = localiser(rf, "75015");
    assert_eq!(paris[0].code_insee.as_deref(), Some("75115"));
    assert!(paris
        .iter()
        .all(|l| l.code_insee.as_deref() != Some("75056")));
    let coord = localiser(rf, "44.8378, -0.5792");
    assert_eq!(coord.len(), 1);
    assert_eq!(coord[0].code_insee.as_deref(), Some("33063"));
    assert!((coord[0].position.latitude - 44.8378).abs() < 1e-9);
    // Homonyms: both Saint-Denis, each with its département.
    let sd: Vec<Option<String>> = localiser(rf, "saint denis")
        .into_iter()
        .map(|l| l.code_insee)
        .collect();
    assert!(
        sd.contains(&Some("93066".into())) && sd.contains(&Some("97411".into())),
        "{sd:?}"
    );
    // A postcode narrows a name.
    let sd = localiser(rf, "Saint-Denis 97400");
    assert_eq!(sd[0].code_insee.as_deref(), Some("97411"));
    assert!(localiser(rf, "").is_empty());
    assert!(localiser(rf, "zzzzzzzz").is_empty());
    assert_eq!(
        localiser(rf, "2A004")[0].code_insee.as_deref(),
        Some("2A004")
    );
    // The first answer is usable as the search origin.
    let c = fabrique();
    let s = Recherche {
        position: Some(b[0].position),
        rayon_km: Some(10.0),
        ..r()
    };
    assert!(c.compter(&s, mercredi()) >= 5);
}

#[test]
fn unknown_ids_and_empty_catalogue() {
    let c = fabrique();
    assert!(c.lieu("nope").is_none());
    assert_eq!(
        c.lieu("c").map(|l| l.nom.as_str()),
        Some("Espace numérique de Mérignac")
    );
    let vide = maillage_orientation::Catalogue::new(Vec::new(), referentiel());
    assert!(vide.is_empty());
    let res = vide.rechercher(
        &Recherche {
            texte: Some("x".into()),
            position: Some(pos(MERIADECK)),
            rayon_km: Some(5.0),
            disponibilite: Some(Disponibilite::WeekEnd),
            ..r()
        },
        mercredi(),
    );
    assert_eq!(res.total, 0);
    assert!(vide.sources().is_empty());
    let _: Ensemble<Service> = Ensemble::new();
}

#[test]
fn shared_availability_answers_are_exact_and_thread_safe() {
    let c = demo();
    let r = Recherche {
        disponibilite: Some(Disponibilite::Maintenant),
        ..Recherche::default()
    };
    // Seconds within the minute: same answers (hours have minute precision).
    let a = c.compter(&r, utc("2026-03-18 10:59"));
    let b = c.compter(&r, utc("2026-03-18 10:59") + chrono::Duration::seconds(59));
    assert_eq!(a, b);
    // A place closing at 12:00 (Paris) is open at 11:59:59, closed at 12:00.
    let f = fabrique();
    let c_ = Recherche {
        disponibilite: Some(Disponibilite::Maintenant),
        sources: vec!["ville".into()],
        ..Recherche::default()
    };
    let avant = utc("2026-03-18 10:59") + chrono::Duration::seconds(59);
    assert_eq!(tries(ids(f, &c_, avant)), ["a", "c"]);
    assert_eq!(ids(f, &c_, utc("2026-03-18 11:00")), ["a"]);
    // Concurrent queries at the same instants agree with sequential ones.
    let instants: Vec<_> = (0..6)
        .map(|h| utc("2026-03-21 06:00") + chrono::Duration::hours(h * 5))
        .collect();
    let attendu: Vec<(usize, usize)> = instants
        .iter()
        .map(|&t| {
            let w = Recherche {
                disponibilite: Some(Disponibilite::WeekEnd),
                ..Recherche::default()
            };
            (c.compter(&r, t), c.compter(&w, t))
        })
        .collect();
    std::thread::scope(|s| {
        let fils: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    instants
                        .iter()
                        .rev()
                        .map(|&t| {
                            let w = Recherche {
                                disponibilite: Some(Disponibilite::WeekEnd),
                                ..Recherche::default()
                            };
                            (c.compter(&r, t), c.compter(&w, t))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for f in fils {
            let mut v = f.join().expect("thread");
            v.reverse();
            assert_eq!(v, attendu);
        }
    });
}
