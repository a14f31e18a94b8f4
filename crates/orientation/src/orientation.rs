//! The orientation questionnaire ("parcours d'orientation"): a need, a
//! place to start from, accessibility and availability, then a ranked list
//! of places with the reasons of their rank.
//!
//! Hard criteria: the need (one service), the distance (`rayon_km` around
//! the position) and the place receiving the public. Accessibility and
//! availability are preferences that rank places (a person who needs an
//! adapted welcome 3 km away is better served than by nothing), unless
//! `strict` makes them filters too.
//!
//! Ranking ("by distance, then by fit"):
//! 1. distance band: 0–2 km, 2–5, 5–10, 10–20, 20 km and more: within a
//!    band a few km matter less than the fit;
//! 2. fit score, highest first ([`POINTS_OUVERT`] + [`POINTS_ACCESSIBILITE`]
//!    + [`POINTS_GRATUIT`] + [`POINTS_RDV`], see [`score`]);
//! 3. exact distance, then alphabetical order.
//!
//! Without a position all places are in one band.

use chrono::{DateTime, Utc};
use maillage_lieux::enums::*;
use maillage_lieux::Ensemble;
use serde::{Serialize, Serializer};

use crate::catalogue::{Catalogue, A_RDV};
use crate::disponibilite::{Disponibilite, Evaluateur};
use crate::geo::{libelle_distance, Position};
use crate::recherche::{bornes_page, trier_debut, Recherche, Tri};

/// Default search radius, km (the old map's value once an address is set).
pub const RAYON_DEFAUT_KM: f64 = 30.0;

/// Open at the requested time: most of the fit, it decides whether the
/// person can go.
pub const POINTS_OUVERT: u8 = 8;
/// All requested accessibility needs met (half when only some are).
pub const POINTS_ACCESSIBILITE: u8 = 6;
/// Free (`Gratuit`); half for `Gratuit sous condition`.
pub const POINTS_GRATUIT: u8 = 4;
/// Online booking available.
pub const POINTS_RDV: u8 = 2;

/// Upper bounds of the distance bands, km.
pub const BANDES_KM: [f64; 4] = [2.0, 5.0, 10.0, 20.0];

/// The answers of the questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    /// Step 1: one service.
    pub besoin: Option<Service>,
    /// Step 2: where the person starts from.
    pub position: Option<Position>,
    pub rayon_km: f64,
    /// Step 3: adapted welcome wanted.
    pub prise_en_charge: Ensemble<PriseEnCharge>,
    /// Step 4: when the person can go.
    pub disponibilite: Option<Disponibilite>,
    /// Accessibility and availability become filters, not preferences.
    pub strict: bool,
    /// 1-based.
    pub page: usize,
    pub par_page: usize,
}

impl Default for Questionnaire {
    fn default() -> Self {
        Questionnaire {
            besoin: None,
            position: None,
            rayon_km: RAYON_DEFAUT_KM,
            prise_en_charge: Ensemble::new(),
            disponibilite: None,
            strict: false,
            page: 1,
            par_page: crate::recherche::PAR_PAGE_DEFAUT,
        }
    }
}

impl Questionnaire {
    /// The search of the hard criteria: its count is the live count of the
    /// questionnaire and the `total` of [`Catalogue::orienter`].
    pub fn recherche(&self) -> Recherche {
        let mut r = Recherche {
            services: self.besoin.map(Ensemble::only).unwrap_or_default(),
            position: self.position,
            rayon_km: self.position.map(|_| self.rayon_km),
            accueil_du_public: true,
            tri: Tri::Distance,
            page: self.page,
            par_page: self.par_page,
            ..Recherche::default()
        };
        if self.strict {
            r.prise_en_charge_specifique = self.prise_en_charge;
            r.disponibilite = self.disponibilite;
        }
        r
    }
}

/// Why a place is proposed, as shown to the person.
#[derive(Debug, Clone, PartialEq)]
pub enum Raison {
    /// `À 2,4 km`.
    Distance(f64),
    /// `Ouvert au moment demandé`.
    Ouvert,
    /// `Gratuit`.
    Gratuit,
    /// `Gratuit sous condition`.
    GratuitSousCondition,
    /// `Prise de rendez-vous en ligne`.
    RendezVousEnLigne,
    /// `Accueil adapté : Surdité, Handicaps moteurs` (the requested needs
    /// the place meets).
    AccueilAdapte(Ensemble<PriseEnCharge>),
}

impl Raison {
    /// Stable code, for icons and styles.
    pub fn code(&self) -> &'static str {
        match self {
            Raison::Distance(_) => "distance",
            Raison::Ouvert => "ouvert",
            Raison::Gratuit => "gratuit",
            Raison::GratuitSousCondition => "gratuit_sous_condition",
            Raison::RendezVousEnLigne => "rdv_en_ligne",
            Raison::AccueilAdapte(_) => "accueil_adapte",
        }
    }
}

impl std::fmt::Display for Raison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Raison::Distance(km) => write!(f, "À {}", libelle_distance(*km)),
            Raison::Ouvert => f.write_str("Ouvert au moment demandé"),
            Raison::Gratuit => f.write_str("Gratuit"),
            Raison::GratuitSousCondition => f.write_str("Gratuit sous condition"),
            Raison::RendezVousEnLigne => f.write_str("Prise de rendez-vous en ligne"),
            Raison::AccueilAdapte(e) => {
                let noms: Vec<&str> = e.iter().map(|p| p.libelle()).collect();
                write!(f, "Accueil adapté : {}", noms.join(", "))
            }
        }
    }
}

impl Serialize for Raison {
    /// `{"code": "distance", "texte": "À 2,4 km"}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Raison", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("texte", &self.to_string())?;
        st.end()
    }
}

/// A proposed place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposition {
    /// Index in [`Catalogue::lieux`].
    pub index: usize,
    pub distance_km: Option<f64>,
    /// Fit score, 0–20.
    pub score: u8,
    pub raisons: Vec<Raison>,
}

/// The outcome of the questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Orientation {
    /// Places meeting the hard criteria.
    pub total: usize,
    /// The requested page, ranked.
    pub propositions: Vec<Proposition>,
}

/// A group of needs of step 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupeBesoin {
    pub titre: &'static str,
    pub besoins: &'static [Besoin],
}

/// One need: a service with a plain-language hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Besoin {
    #[serde(serialize_with = "crate::serde_valeur::valeur")]
    pub service: Service,
    pub indication: Option<&'static str>,
}

const GROUPES: [GroupeBesoin; 4] = [
    GroupeBesoin {
        titre: "Apprentissage de base",
        besoins: &[Besoin {
            service: Service::MaitriseOutils,
            indication: Some(
                "Mails, réseaux sociaux, achats et prise de rdv en ligne, utiliser un ordinateur, \
                 un smartphone ou une tablette…",
            ),
        }],
    },
    GroupeBesoin {
        titre: "Démarches",
        besoins: &[
            Besoin {
                service: Service::AideDemarches,
                indication: Some("Demande CAF, CPAM, France Travail, mon espace santé, Ameli…"),
            },
            Besoin {
                service: Service::InsertionPro,
                indication: Some("CV, recherche d'emploi ou de formation…"),
            },
        ],
    },
    GroupeBesoin {
        titre: "Culture numérique",
        besoins: &[
            Besoin {
                service: Service::ComprehensionMonde,
                indication: Some("Sécurité, fake news, gestion des données…"),
            },
            Besoin {
                service: Service::UtilisationSecurisee,
                indication: None,
            },
            Besoin {
                service: Service::Loisirs,
                indication: Some("Montage photo, vidéo, fablab…"),
            },
            Besoin {
                service: Service::Parentalite,
                indication: None,
            },
        ],
    },
    GroupeBesoin {
        titre: "Manque de matériel",
        besoins: &[
            Besoin {
                service: Service::AccesInternet,
                indication: Some("Ordinateur, imprimante, scanner, Wifi, clef 4G…"),
            },
            Besoin {
                service: Service::AcquisitionMateriel,
                indication: None,
            },
        ],
    },
];

/// The 9 services grouped as in the old map's step 1.
pub fn groupes_de_besoins() -> &'static [GroupeBesoin] {
    &GROUPES
}

/// Distance band (0 = nearest); 0 when the distance is unknown.
pub fn bande(distance_km: Option<f64>) -> u8 {
    match distance_km {
        Some(d) => BANDES_KM.iter().take_while(|&&b| d >= b).count() as u8,
        None => 0,
    }
}

/// Fit score and reasons (distance excluded) of a place for a
/// questionnaire; `ouvert` tells whether it meets the requested
/// availability (`None` when none was requested).
pub fn score(
    lieu_frais: Ensemble<Frais>,
    lieu_prise_en_charge: Ensemble<PriseEnCharge>,
    rdv: bool,
    demande: Ensemble<PriseEnCharge>,
    ouvert: Option<bool>,
) -> (u8, Vec<Raison>) {
    let mut points = 0;
    let mut raisons = Vec::new();
    if ouvert == Some(true) {
        points += POINTS_OUVERT;
        raisons.push(Raison::Ouvert);
    }
    let adaptes = lieu_prise_en_charge & demande;
    if !adaptes.is_empty() {
        points += if adaptes == demande {
            POINTS_ACCESSIBILITE
        } else {
            POINTS_ACCESSIBILITE / 2
        };
        raisons.push(Raison::AccueilAdapte(adaptes));
    }
    if lieu_frais.contains(Frais::Gratuit) {
        points += POINTS_GRATUIT;
        raisons.push(Raison::Gratuit);
    } else if lieu_frais.contains(Frais::GratuitSousCondition) {
        points += POINTS_GRATUIT / 2;
        raisons.push(Raison::GratuitSousCondition);
    }
    if rdv {
        points += POINTS_RDV;
        raisons.push(Raison::RendezVousEnLigne);
    }
    (points, raisons)
}

impl Catalogue {
    /// Runs the questionnaire: the places meeting its hard criteria, ranked
    /// (see the module documentation), one page.
    pub fn orienter(&self, q: &Questionnaire, maintenant: DateTime<Utc>) -> Orientation {
        let r = q.recherche();
        let trouves = self.correspondances(&r, maintenant);
        let total = trouves.len();
        let mut evaluateur = q
            .disponibilite
            .map(|d| Evaluateur::new(&self.horaires, d, maintenant));
        // (band, fit, distance, index): cheap to compare, reasons only for
        // the page.
        let mut classes: Vec<(u8, u8, f64, u32)> = trouves
            .iter()
            .map(|c| {
                let s = &self.signatures[c.index as usize];
                let ouvert = evaluateur
                    .as_mut()
                    .map(|e| e.disponible(s.horaires, s.fuseau));
                let (points, _) = score(
                    s.frais(),
                    s.prise_en_charge(),
                    s.drapeaux & A_RDV != 0,
                    q.prise_en_charge,
                    ouvert,
                );
                let d = c.distance_km();
                (bande(d), points, d.unwrap_or(f64::INFINITY), c.index)
            })
            .collect();
        let (debut, fin) = bornes_page(q.page, q.par_page, total);
        trier_debut(&mut classes, fin, |a, b| {
            a.0.cmp(&b.0)
                .then(b.1.cmp(&a.1))
                .then(a.2.total_cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        let propositions = classes[debut..fin]
            .iter()
            .map(|&(_, _, d, i)| {
                let s = &self.signatures[i as usize];
                let ouvert = evaluateur
                    .as_mut()
                    .map(|e| e.disponible(s.horaires, s.fuseau));
                let (points, mut raisons) = score(
                    s.frais(),
                    s.prise_en_charge(),
                    s.drapeaux & A_RDV != 0,
                    q.prise_en_charge,
                    ouvert,
                );
                let distance_km = d.is_finite().then_some(d);
                if let Some(d) = distance_km {
                    raisons.insert(0, Raison::Distance(d));
                }
                Proposition {
                    index: i as usize,
                    distance_km,
                    score: points,
                    raisons,
                }
            })
            .collect();
        Orientation {
            total,
            propositions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cover_the_nine_services_once() {
        let mut vus: Ensemble<Service> = Ensemble::new();
        let mut n = 0;
        for g in groupes_de_besoins() {
            for b in g.besoins {
                vus.insert(b.service);
                n += 1;
            }
        }
        assert_eq!(n, 9);
        assert_eq!(vus, Ensemble::all());
        let titres: Vec<&str> = groupes_de_besoins().iter().map(|g| g.titre).collect();
        assert_eq!(
            titres,
            [
                "Apprentissage de base",
                "Démarches",
                "Culture numérique",
                "Manque de matériel"
            ]
        );
    }

    #[test]
    fn bands() {
        assert_eq!(bande(Some(0.0)), 0);
        assert_eq!(bande(Some(1.99)), 0);
        assert_eq!(bande(Some(2.0)), 1);
        assert_eq!(bande(Some(7.0)), 2);
        assert_eq!(bande(Some(19.0)), 3);
        assert_eq!(bande(Some(29.0)), 4);
        assert_eq!(bande(None), 0);
    }

    #[test]
    fn reasons_are_french() {
        assert_eq!(Raison::Distance(2.43).to_string(), "À 2,4 km");
        assert_eq!(
            Raison::AccueilAdapte(PriseEnCharge::Surdite | PriseEnCharge::DeficienceVisuelle)
                .to_string(),
            "Accueil adapté : Surdité, Déficience visuelle"
        );
        let (p, r) = score(
            Frais::Gratuit.into(),
            PriseEnCharge::Surdite.into(),
            true,
            PriseEnCharge::Surdite.into(),
            Some(true),
        );
        assert_eq!(p, 20);
        let textes: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(
            textes,
            [
                "Ouvert au moment demandé",
                "Accueil adapté : Surdité",
                "Gratuit",
                "Prise de rendez-vous en ligne"
            ]
        );
    }
}
