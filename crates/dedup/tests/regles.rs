//! Rules of grouping, merging and publishing, on real records of /data.

mod commun;

use chrono::NaiveDate;
use commun::Enregistrement;
use maillage_dedup::{
    fusionner, identifiant_publie, regrouper, score, Fiche, Options, RelationPivot,
};
use maillage_lieux::{Lieu, PrecisionCoordonnees};

fn reels() -> Vec<Enregistrement> {
    commun::reels(&commun::Communes::charger())
}

fn trouver<'a>(r: &'a [Enregistrement], source: &str, id_contient: &str) -> &'a Enregistrement {
    let v: Vec<&Enregistrement> = r
        .iter()
        .filter(|e| e.source == source && e.lieu.id.contains(id_contient))
        .collect();
    assert_eq!(v.len(), 1, "{source} {id_contient}");
    v[0]
}

fn fiche(e: &Enregistrement) -> Fiche<'_> {
    Fiche {
        source: &e.source,
        lieu: &e.lieu,
    }
}

fn options() -> Options {
    Options {
        aujourd_hui: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        ..Options::default()
    }
}

fn autre(e: &Enregistrement, source: &str, id: &str) -> Enregistrement {
    let mut l = e.lieu.clone();
    l.id = id.into();
    Enregistrement {
        source: source.into(),
        lieu: l,
    }
}

#[test]
fn apej_is_merged_from_its_three_sources() {
    let r = reels();
    let cn = trouver(&r, "conseiller-numerique", "62b038cc");
    let ac = trouver(&r, "aidants-connect", "-3269-");
    let dora = trouver(&r, "dora", "2ab362fd");
    let fiches = [fiche(cn), fiche(ac), fiche(dora)];
    let groupes = regrouper(&fiches, &options());
    assert_eq!(groupes.len(), 1, "{groupes:?}");
    assert_eq!(groupes[0].membres, vec![0, 1, 2]);

    let l = fusionner(&fiches, &options());
    // Newest record (dora, 2023-06-23) is the base.
    assert_eq!(l.date_maj, dora.lieu.date_maj);
    assert_eq!(l.source.as_deref(), Some("dora"));
    assert_eq!(l.telephone, dora.lieu.telephone);
    assert_eq!(l.courriels, dora.lieu.courriels);
    // Lists: union over the members updated within 182.5 days of the newest
    // (aidants-connect, 2023-04-01); conseiller-numerique (2022-06-20) is older.
    assert!((dora.lieu.date_maj - ac.lieu.date_maj).num_days() <= 182);
    assert!((dora.lieu.date_maj - cn.lieu.date_maj).num_days() > 183);
    assert_eq!(l.services, dora.lieu.services | ac.lieu.services);
    assert_eq!(
        l.dispositif_programmes_nationaux,
        cn.lieu.dispositif_programmes_nationaux
            | ac.lieu.dispositif_programmes_nationaux
            | dora.lieu.dispositif_programmes_nationaux
    );
    // Published id: from the smallest key (aidants-connect), which already
    // starts with the source's slug.
    assert_eq!(
        l.id.as_str(),
        "aidants-connect_mediation-numerique-aidants-connect-3269-mediation-numerique"
    );
    assert_eq!(identifiant_publie(&fiches), l.id.as_str());
}

#[test]
fn published_id_is_stable_safe_and_unique() {
    let r = reels();
    let h0 = r
        .iter()
        .find(|e| e.source == "Hinaura" && e.lieu.id == "0")
        .expect("hinaura 0");
    let nc0 = r
        .iter()
        .find(|e| e.source == "Nouvelle-Calédonie" && e.lieu.id == "0")
        .expect("nc 0");
    // Ids collide across sources ("0"); published ids do not.
    assert_eq!(identifiant_publie(&[fiche(h0)]), "hinaura_0");
    assert_eq!(identifiant_publie(&[fiche(nc0)]), "nouvelle-caledonie_0");
    // Order of the members does not matter; a newer member with a larger key
    // does not change the id.
    let v = autre(h0, "variante", "x-1");
    assert_eq!(
        identifiant_publie(&[fiche(h0), fiche(&v)]),
        identifiant_publie(&[fiche(&v), fiche(h0)])
    );
    assert_eq!(identifiant_publie(&[fiche(&v), fiche(h0)]), "hinaura_0");
    // Ids with characters outside [A-Za-z0-9_-] are slugged, with a hash of
    // the key so that "a|b" and "a-b" stay distinct.
    let pipe = trouver(&r, "aidants-connect", "aidants-connect-676|");
    let id = identifiant_publie(&[fiche(pipe)]);
    assert!(
        id.starts_with("aidants-connect-676-conseiller-numerique-"),
        "{id}"
    );
    assert!(id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    let tiret = autre(pipe, "aidants-connect", &pipe.lieu.id.replace('|', "-"));
    assert_ne!(identifiant_publie(&[fiche(&tiret)]), id);
}

#[test]
fn implausible_dates_never_lead_and_placeholder_pivot_is_replaced() {
    let r = reels();
    // Bus stop dated 1969-12-31 (epoch artefact) with the commune record.
    let commune = trouver(&r, "conseiller-numerique", "649401537");
    let bus = trouver(&r, "Bus France Services en Charente", "10");
    assert_eq!(bus.lieu.date_maj.to_string(), "1969-12-31");
    let l = fusionner(&[fiche(bus), fiche(commune)], &options());
    assert_eq!(l.date_maj, commune.lieu.date_maj);
    assert_eq!(l.nom, commune.lieu.nom);
    // A date in the future is not trusted either.
    let mut futur = autre(bus, "futur", "f");
    futur.lieu.date_maj = NaiveDate::from_ymd_opt(2031, 1, 1).expect("date");
    let l = fusionner(&[fiche(&futur), fiche(commune)], &options());
    assert_eq!(l.nom, commune.lieu.nom);
    assert_eq!(l.date_maj, commune.lieu.date_maj);

    // Hinaura has only the placeholder; Étapes numériques has the SIRET.
    let hinaura = trouver(&r, "Hinaura", "1158");
    let poste = trouver(&r, "Étapes numériques", "32");
    assert!(!hinaura.lieu.pivot_reel());
    let fiches = [fiche(hinaura), fiche(poste)];
    assert_eq!(regrouper(&fiches, &options()).len(), 1);
    let l = fusionner(&fiches, &options());
    assert_eq!(l.pivot, poste.lieu.pivot);
    assert_eq!(score(&fiches[0], &fiches[1]).pivot, RelationPivot::Inconnue);
}

#[test]
fn precise_coordinates_win_over_a_newer_commune_centroid() {
    let r = reels();
    let ancien = trouver(&r, "Hinaura", "1158");
    let mut recent = autre(ancien, "recent", "r");
    recent.lieu.date_maj = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    recent.lieu.latitude = Some(45.45);
    recent.lieu.longitude = Some(4.39);
    recent.lieu.precision_coordonnees = PrecisionCoordonnees::Commune;
    let l: Lieu = fusionner(&[fiche(&recent), fiche(ancien)], &options());
    assert_eq!(l.date_maj, recent.lieu.date_maj);
    assert_eq!(l.latitude, ancien.lieu.latitude);
    assert_eq!(l.precision_coordonnees, PrecisionCoordonnees::Source);
}

#[test]
fn one_source_is_never_merged_with_itself_unless_asked() {
    let r = reels();
    let a = trouver(&r, "Hinaura", "1158");
    let b = autre(a, "Hinaura", "copie");
    let fiches = [fiche(a), fiche(&b)];
    assert_eq!(regrouper(&fiches, &options()).len(), 2);
    let interne = Options {
        meme_source: true,
        ..options()
    };
    assert_eq!(regrouper(&fiches, &interne).len(), 1);
}

#[test]
fn two_places_of_one_building_are_not_chained_through_a_third() {
    let r = reels();
    // Mairie and library of Desingy: same address, same phone, two places.
    let mairie = trouver(&r, "Hinaura", "888");
    let biblio = autre(trouver(&r, "Hinaura", "889"), "bibliotheques", "889");
    // A third source lists "Mairie - Bibliothèque de Desingy" there.
    let mut mixte = autre(mairie, "troisieme", "m");
    mixte.lieu.nom = "Mairie - Bibliothèque de Desingy".into();
    let fiches = [fiche(mairie), fiche(&biblio), fiche(&mixte)];
    let o = options();
    // Union-find alone would chain the three.
    assert!(score(&fiches[2], &fiches[0]).total >= o.seuil);
    assert!(score(&fiches[2], &fiches[1]).total >= o.seuil);
    assert!(score(&fiches[0], &fiches[1]).total < o.seuil);
    let groupes = regrouper(&fiches, &o);
    let ensemble = |i: usize| groupes.iter().position(|g| g.membres.contains(&i));
    assert_ne!(ensemble(0), ensemble(1), "{groupes:?}");
    assert_eq!(groupes.iter().map(|g| g.membres.len()).sum::<usize>(), 3);
}

#[test]
fn group_ids_are_stable_hashes_of_member_keys() {
    let r = reels();
    let a = trouver(&r, "conseiller-numerique", "6332e543");
    let b = trouver(&r, "dora", "8a971a93");
    let g1 = regrouper(&[fiche(a), fiche(b)], &options());
    let g2 = regrouper(&[fiche(b), fiche(a)], &options());
    assert_eq!(g1.len(), 1);
    assert_eq!(g1[0].id, g2[0].id);
    assert_eq!(g1[0].id.len(), 32);
    let seul = regrouper(&[fiche(a)], &options());
    assert_ne!(seul[0].id, g1[0].id);
}

#[test]
fn evidence_is_reported() {
    let r = reels();
    let cn = trouver(&r, "conseiller-numerique", "637f4bff");
    let ac = trouver(&r, "aidants-connect", "-3094-");
    let s = score(&fiche(cn), &fiche(ac));
    // "235 Avenue du General de Gaulle" / "235 AV DU GENERAL DE GAULLE".
    assert_eq!(s.voie, Some(1.0));
    assert_eq!(s.numero, Some(true));
    assert_eq!(s.pivot, RelationPivot::Egal);
    assert!(s.meme_commune);
    assert!(s.total > 0.9);
    // Mairie of Luxé and the bus stop on its square: one address, two places.
    let luxe = trouver(&r, "conseiller-numerique", "64940b0b");
    let bus = trouver(&r, "Bus France Services en Charente", "11");
    let s = score(&fiche(luxe), &fiche(bus));
    assert!(s.distance_m.is_some_and(|d| d < 100.0));
    assert!(s.total < 0.5, "{s:?}");
}
