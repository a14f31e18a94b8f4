//! Fixtures shared by the integration tests: a small hand-made catalogue
//! around Bordeaux, Lyon and La Réunion, and the real demo data.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use maillage_lieux::enums::*;
use maillage_lieux::{Lieu, PrecisionCoordonnees};
use maillage_orientation::{Catalogue, Recherche, Referentiel};

pub fn referentiel() -> &'static Referentiel {
    maillage_territoires::embarque().expect("embedded referential")
}

pub fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test instant"),
    )
}

/// Wednesday 18 March 2026, 10:30 in Paris (UTC+1).
pub fn mercredi() -> DateTime<Utc> {
    utc("2026-03-18 09:30")
}

#[allow(clippy::too_many_arguments)]
pub fn lieu(
    id: &str,
    nom: &str,
    commune: &str,
    code_postal: &str,
    code_insee: &str,
    position: Option<(f64, f64)>,
) -> Lieu {
    let mut l = Lieu::minimal(
        id,
        nom,
        commune,
        code_postal,
        "1 rue de la Paix",
        NaiveDate::from_ymd_opt(2026, 1, 10).expect("date"),
    );
    l.code_insee = Some(code_insee.into());
    if let Some((la, lo)) = position {
        l.latitude = Some(la);
        l.longitude = Some(lo);
        l.precision_coordonnees = PrecisionCoordonnees::Source;
    }
    l
}

pub const MERIADECK: (f64, f64) = (44.8378, -0.5792);

/// The hand-made places. Distances from Mériadeck: Bègles ≈ 4.7 km,
/// Mérignac ≈ 8.2 km, the "sans public" library ≈ 0.5 km.
pub fn lieux_fabriques() -> Vec<Lieu> {
    let mut a = lieu(
        "a",
        "Médiathèque Mériadeck",
        "Bordeaux",
        "33000",
        "33063",
        Some(MERIADECK),
    );
    a.adresse = "85 cours du Maréchal Juin".into();
    a.services = Service::AideDemarches | Service::MaitriseOutils;
    a.frais_a_charge = Frais::Gratuit.into();
    a.horaires = Some("Mo-Fr 09:00-18:00; PH off".into());
    a.prise_rdv = Some("https://rdv.example.fr/a".into());
    a.source = Some("ville".into());
    a.typologie = Typologie::Bib.into();
    a.dispositif_programmes_nationaux = Dispositif::ConseillersNumeriques.into();
    a.prise_en_charge_specifique = PriseEnCharge::Surdite.into();
    a.publics_specifiquement_adresses = Public::Seniors.into();
    a.modalites_acces = ModaliteAcces::SePresenter.into();
    a.modalites_accompagnement = ModaliteAccompagnement::Individuel.into();
    a.itinerance = Itinerance::Fixe.into();
    a.formations_labels = FormationLabel::EtapesNumeriques.into();

    let mut b = lieu(
        "b",
        "Centre social de Bègles",
        "Bègles",
        "33130",
        "33039",
        Some((44.8018, -0.5484)),
    );
    b.services = Service::AccesInternet.into();
    b.frais_a_charge = Frais::Payant.into();
    b.horaires = Some("Sa 09:00-12:00".into());
    b.source = Some("caf".into());
    b.typologie = Typologie::Cs.into();
    b.dispositif_programmes_nationaux = Dispositif::FranceServices.into();
    b.prise_en_charge_specifique = PriseEnCharge::HandicapsMoteurs.into();
    b.publics_specifiquement_adresses = Public::Jeunes.into();
    b.modalites_acces = ModaliteAcces::Telephoner.into();
    b.modalites_accompagnement = ModaliteAccompagnement::AtelierCollectif.into();
    b.itinerance = Itinerance::Itinerant.into();
    b.formations_labels = FormationLabel::MonEspaceSante.into();

    let mut c = lieu(
        "c",
        "Espace numérique de Mérignac",
        "Mérignac",
        "33700",
        "33281",
        Some((44.8324, -0.682)),
    );
    c.services = Service::AideDemarches.into();
    c.frais_a_charge = Frais::GratuitSousCondition.into();
    c.horaires = Some("Mo-Fr 09:00-12:00".into());
    c.source = Some("ville".into());

    let mut d = lieu(
        "d",
        "Maison France Services Lyon 3e",
        "Lyon",
        "69003",
        "69383",
        Some((45.7533, 4.8695)),
    );
    d.services = Service::AideDemarches.into();
    d.frais_a_charge = Frais::Gratuit.into();

    let mut e = lieu(
        "e",
        "Mairie de Lyon",
        "Lyon",
        "69001",
        "69123",
        Some((45.767, 4.8357)),
    );
    e.services = Service::MaitriseOutils.into();

    let mut f = lieu(
        "f",
        "Point numérique de Saint-Denis",
        "Saint-Denis",
        "97400",
        "97411",
        Some((-20.8823, 55.4504)),
    );
    f.services = Service::AideDemarches.into();
    f.horaires = Some("Mo-Fr 08:00-12:00".into());

    let mut g = lieu("g", "écluse numérique", "Bordeaux", "33000", "33063", None);
    g.services = Service::AideDemarches.into();

    let mut h = lieu(
        "h",
        "Bibliothèque sans public",
        "Bordeaux",
        "33000",
        "33063",
        Some((44.8410, -0.5750)),
    );
    h.services = Service::AideDemarches.into();
    h.frais_a_charge = Frais::Gratuit.into();
    h.horaires = Some("Mo-Fr 09:00-18:00".into());
    h.modalites_acces = ModaliteAcces::PasDePublic.into();

    let mut i = lieu(
        "i",
        "Tiers-lieu aux horaires illisibles",
        "Bordeaux",
        "33000",
        "33063",
        Some((44.85, -0.57)),
    );
    i.services = Service::MaitriseOutils.into();
    i.horaires = Some("le matin sauf quand il pleut".into());

    vec![a, b, c, d, e, f, g, h, i]
}

pub fn fabrique() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| Catalogue::new(lieux_fabriques(), referentiel()))
}

/// The real demo places (data/lieux), validated as on import.
pub fn demo() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| {
        let donnees = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let lieux = maillage_orientation::bench::modeles_depuis_dossier(referentiel(), &donnees);
        assert!(lieux.len() > 900, "demo data: {} places", lieux.len());
        Catalogue::new(lieux, referentiel())
    })
}

/// Ids of every match (all pages), in result order.
pub fn ids(c: &Catalogue, r: &Recherche, maintenant: DateTime<Utc>) -> Vec<String> {
    let r = Recherche {
        par_page: 100_000,
        page: 1,
        ..r.clone()
    };
    c.rechercher(&r, maintenant)
        .lieux
        .iter()
        .map(|t| c.lieux()[t.index].id.to_string())
        .collect()
}

pub fn tries(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
