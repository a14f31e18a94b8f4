//! Properties: searches never panic, and on the real demo data every
//! filter combination gives exactly what a plain scan of the places gives.

mod commun;

use chrono::{Duration, NaiveTime, Weekday};
use commun::*;
use maillage_lieux::enums::*;
use maillage_lieux::{Ensemble, Lieu};
use maillage_orientation::{
    Catalogue, Disponibilite, FicheLieu, Position, Questionnaire, Recherche, Territoire, Tri,
};
use proptest::prelude::*;

fn ensemble<T: Valeur>(bits: u64) -> Ensemble<T> {
    T::TOUTES
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && bits & (1u64 << i) != 0)
        .map(|(_, v)| *v)
        .collect()
}

fn disponibilite() -> impl Strategy<Value = Option<Disponibilite>> {
    prop_oneof![
        Just(None),
        Just(Some(Disponibilite::Maintenant)),
        Just(Some(Disponibilite::WeekEnd)),
        (0u32..7, 0u32..24, 0u32..24).prop_map(|(j, a, b)| Some(Disponibilite::Creneau {
            jour: Weekday::try_from(j as u8).unwrap_or(Weekday::Mon),
            debut: NaiveTime::from_hms_opt(a, 0, 0).unwrap_or_default(),
            fin: NaiveTime::from_hms_opt(b, 30, 0).unwrap_or_default(),
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rechercher_never_panics(
        texte in proptest::option::of(".{0,40}"),
        services in any::<u64>(),
        frais in any::<u64>(),
        typologie in any::<u64>(),
        territoire in proptest::option::of("(reg|dep|epci|com):[0-9AB]{1,9}"),
        lat in proptest::option::of(-100.0f64..100.0),
        lon in -200.0f64..200.0,
        rayon in proptest::option::of(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -5.0f64..20_000.0]),
        dispo in disponibilite(),
        tri in 0u8..3,
        page in any::<usize>(),
        par_page in prop_oneof![Just(0usize), 1usize..50, Just(usize::MAX)],
        heures in 0i64..(24 * 365 * 3),
        sources in proptest::collection::vec(".{0,10}", 0..3),
    ) {
        let c = demo();
        let r = Recherche {
            texte,
            services: ensemble(services),
            frais_a_charge: ensemble(frais),
            typologie: ensemble(typologie),
            territoire: territoire.and_then(|t| t.parse::<Territoire>().ok()),
            position: lat.map(|latitude| Position { latitude, longitude: lon }),
            rayon_km: rayon,
            disponibilite: dispo,
            tri: [Tri::Pertinence, Tri::Distance, Tri::Nom][usize::from(tri)],
            page,
            par_page,
            sources,
            ..Recherche::default()
        };
        let maintenant = utc("2025-01-01 00:00") + Duration::hours(heures);
        let res = c.rechercher(&r, maintenant);
        prop_assert_eq!(res.total, c.compter(&r, maintenant));
        prop_assert!(res.lieux.len() <= res.total);
        let st = c.statistiques(&r, maintenant);
        prop_assert_eq!(st.total, res.total);
        let q = Questionnaire {
            besoin: ensemble::<Service>(services).iter().next(),
            position: r.position,
            rayon_km: rayon.unwrap_or(30.0),
            disponibilite: dispo,
            page,
            par_page,
            ..Questionnaire::default()
        };
        let o = c.orienter(&q, maintenant);
        prop_assert!(o.propositions.len() <= o.total);
    }

    #[test]
    fn filters_agree_with_a_plain_scan_of_real_data(
        services in any::<u64>(),
        publics in any::<u64>(),
        prise_en_charge in any::<u64>(),
        frais in any::<u64>(),
        acces in any::<u64>(),
        dispositifs in any::<u64>(),
        departement in proptest::option::of(prop::sample::select(vec!["01", "16", "38", "69", "74", "988", "33"])),
        rayon in proptest::option::of(1.0f64..150.0),
        rdv in any::<bool>(),
    ) {
        let c = demo();
        let centre = Position { latitude: 45.76, longitude: 4.84 };
        let r = Recherche {
            services: ensemble(services & 0x1ff),
            publics_specifiquement_adresses: ensemble(publics & 0x1f),
            prise_en_charge_specifique: ensemble(prise_en_charge & 0x7f),
            frais_a_charge: ensemble(frais & 7),
            modalites_acces: ensemble(acces & 0x3f),
            dispositif_programmes_nationaux: ensemble(dispositifs & 0x7ff),
            territoire: departement.map(|d| Territoire::Departement(d.into())),
            position: rayon.map(|_| centre),
            rayon_km: rayon,
            prise_rdv: rdv,
            par_page: 100_000,
            tri: Tri::Nom,
            ..Recherche::default()
        };
        fn ok<T: Valeur>(lieu: Ensemble<T>, filtre: Ensemble<T>) -> bool {
            filtre.is_empty() || !(lieu & filtre).is_empty()
        }
        let garder = |l: &Lieu, f: &FicheLieu| {
            ok(l.services, r.services)
                && ok(l.publics_specifiquement_adresses, r.publics_specifiquement_adresses)
                && ok(l.prise_en_charge_specifique, r.prise_en_charge_specifique)
                && ok(l.frais_a_charge, r.frais_a_charge)
                && ok(l.modalites_acces, r.modalites_acces)
                && ok(l.dispositif_programmes_nationaux, r.dispositif_programmes_nationaux)
                && (!rdv || l.prise_rdv.is_some())
                && departement.is_none_or(|d| f.code_departement.as_deref() == Some(d))
                && rayon.is_none_or(|k| f.position.is_some_and(|p| p.distance_km(&centre) <= k))
        };
        let attendu: Vec<usize> = (0..c.len())
            .filter(|&i| garder(&c.lieux()[i], c.fiche(i)))
            .collect();
        let obtenu: Vec<usize> = c.rechercher(&r, mercredi()).lieux.iter().map(|t| t.index).collect();
        prop_assert_eq!(obtenu, attendu);
    }
}

#[test]
fn catalogue_built_from_odd_places_does_not_panic() {
    let mut l = lieu("x", "", "", "", "", Some((f64::NAN, 1e300)));
    l.horaires = Some("Mo-Fr 25:00-99:00; ;;".into());
    l.code_insee = Some("ABCDE".into());
    let mut m = lieu("y", "  ", "Paris", "75015", "75115", Some((0.0, 0.0)));
    m.horaires = Some("Mo-Su 00:00-24:00".into());
    let c = Catalogue::new(vec![l, m], referentiel());
    let r = Recherche {
        texte: Some("paris".into()),
        disponibilite: Some(Disponibilite::Maintenant),
        ..Recherche::default()
    };
    assert_eq!(c.compter(&r, mercredi()), 1);
    let y = c.index_de("y").expect("y");
    assert!(c.fiche(y).position.is_none(), "0,0 is not a position");
    assert_eq!(c.fiche(y).code_commune_parente.as_deref(), Some("75056"));
    let _ = c.semaine(c.index_de("x").expect("x"), mercredi());
}
