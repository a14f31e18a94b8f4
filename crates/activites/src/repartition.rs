//! Who a record accompanied: its beneficiaries counted by genre, tranche
//! d'âge and statut social (§1.4), for the "Statistiques bénéficiaires" of
//! §1.5.
//!
//! The rule lives here, not in SQL, so every store counts alike: the store
//! keeps these counts in columns and statistics only add them up.
//!
//! - an individual record with an anonymous beneficiary counts its
//!   [`Demographie`];
//! - a followed beneficiary counts the demographics the caller supplies
//!   (the beneficiary record is not part of the activity);
//! - a workshop counts its anonymous participants' breakdowns plus its
//!   followed participants.
//!
//! Whatever is unknown counts as "non communiqué", so each breakdown adds up
//! to [`Activite::accompagnements_count`].

use crate::activite::{Activite, Beneficiaire, Demographie, Detail};
use crate::enums::{Genre, StatutSocial, TrancheAge};

/// The beneficiaries of one record, one count per value of each
/// enumeration, in `ALL` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RepartitionBeneficiaires {
    /// Indexed like `Genre::ALL`.
    pub genre: [u64; 3],
    /// Indexed like `TrancheAge::ALL`.
    pub tranche_age: [u64; 8],
    /// Indexed like `StatutSocial::ALL`.
    pub statut_social: [u64; 5],
}

/// Position of `v` in `toutes` (always found for an enumeration's `ALL`).
fn rang<T: PartialEq>(toutes: &[T], v: &T) -> usize {
    toutes.iter().position(|x| x == v).unwrap_or(0)
}

impl RepartitionBeneficiaires {
    /// Count for one genre.
    pub fn genre(&self, g: Genre) -> u64 {
        self.genre[rang(Genre::ALL, &g)]
    }

    /// Count for one age bracket.
    pub fn tranche_age(&self, t: TrancheAge) -> u64 {
        self.tranche_age[rang(TrancheAge::ALL, &t)]
    }

    /// Count for one social status.
    pub fn statut_social(&self, s: StatutSocial) -> u64 {
        self.statut_social[rang(StatutSocial::ALL, &s)]
    }

    /// Adds `n` people with these demographics (unknown: non communiqué).
    fn ajouter(&mut self, d: &Demographie, n: u64) {
        let g = d.genre.unwrap_or(Genre::NonCommunique);
        let t = d.tranche_age.unwrap_or(TrancheAge::NonCommunique);
        let s = d.statut_social.unwrap_or(StatutSocial::NonCommunique);
        self.genre[rang(Genre::ALL, &g)] += n;
        self.tranche_age[rang(TrancheAge::ALL, &t)] += n;
        self.statut_social[rang(StatutSocial::ALL, &s)] += n;
    }

    /// Every count, genre then tranche d'âge then statut social (the
    /// order of the store's columns).
    pub fn valeurs(&self) -> impl Iterator<Item = u64> + '_ {
        self.genre
            .iter()
            .chain(self.tranche_age.iter())
            .chain(self.statut_social.iter())
            .copied()
    }
}

/// The beneficiaries of `activite` by genre, tranche d'âge and statut
/// social.
///
/// `demographies_suivies` are the demographics of the record's followed
/// beneficiaries, in order: the individual record's one, or the workshop's
/// `participants`. A followed beneficiary without an entry counts as non
/// communiqué; entries beyond the followed beneficiaries are ignored, so
/// each breakdown always adds up to the record's accompagnements.
pub fn repartition_beneficiaires(
    activite: &Activite,
    demographies_suivies: &[Demographie],
) -> RepartitionBeneficiaires {
    let mut r = RepartitionBeneficiaires::default();
    let inconnue = Demographie::default();
    let suivie = |i: usize| demographies_suivies.get(i).unwrap_or(&inconnue);
    match activite.detail() {
        Detail::Individuel(i) => match &i.beneficiaire {
            Beneficiaire::Anonyme(d) => r.ajouter(d, 1),
            Beneficiaire::Suivi { .. } => r.ajouter(suivie(0), 1),
        },
        Detail::Collectif(c) => {
            for i in 0..c.participants.len() {
                r.ajouter(suivie(i), 1);
            }
            let a = &c.participants_anonymes;
            let total = u64::from(a.total);
            // Validation keeps each breakdown within the total; the rest
            // is "non communiqué", as La Coop draws it.
            for (k, g) in Genre::ALL.iter().enumerate() {
                r.genre[k] += u64::from(a.par_genre(*g));
            }
            for (k, t) in TrancheAge::ALL.iter().enumerate() {
                r.tranche_age[k] += u64::from(a.par_tranche_age(*t));
            }
            for (k, s) in StatutSocial::ALL.iter().enumerate() {
                r.statut_social[k] += u64::from(a.par_statut_social(*s));
            }
            let reste = |somme: u64| total.saturating_sub(somme);
            let g: u64 = Genre::ALL.iter().map(|g| u64::from(a.par_genre(*g))).sum();
            let t: u64 = TrancheAge::ALL
                .iter()
                .map(|t| u64::from(a.par_tranche_age(*t)))
                .sum();
            let s: u64 = StatutSocial::ALL
                .iter()
                .map(|s| u64::from(a.par_statut_social(*s)))
                .sum();
            r.genre[rang(Genre::ALL, &Genre::NonCommunique)] += reste(g);
            r.tranche_age[rang(TrancheAge::ALL, &TrancheAge::NonCommunique)] += reste(t);
            r.statut_social[rang(StatutSocial::ALL, &StatutSocial::NonCommunique)] += reste(s);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activite::{ActiviteSaisie, DureeSaisie, ParticipantsAnonymes};
    use crate::enums::{Thematique, TypeActivite, TypeLieu};
    use crate::valider;
    use chrono::NaiveDate;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 1).expect("date")
    }

    fn base(t: TypeActivite) -> ActiviteSaisie {
        let mut s = ActiviteSaisie::nouvelle(t);
        s.date = Some(date());
        s.duree = Some(DureeSaisie::Minutes(45));
        s.type_lieu = Some(TypeLieu::ADistance);
        s.thematiques = vec![Thematique::Email];
        s
    }

    fn individuel(b: Beneficiaire) -> Activite {
        let mut s = base(TypeActivite::Individuel);
        s.beneficiaire = Some(b);
        valider(&s, date()).expect("valid")
    }

    fn sommes(r: &RepartitionBeneficiaires) -> (u64, u64, u64) {
        (
            r.genre.iter().sum(),
            r.tranche_age.iter().sum(),
            r.statut_social.iter().sum(),
        )
    }

    #[test]
    fn anonyme_individuel_compte_sa_demographie() {
        let a = individuel(Beneficiaire::Anonyme(Demographie {
            genre: Some(Genre::Feminin),
            tranche_age: Some(TrancheAge::SoixanteDixPlus),
            statut_social: None,
        }));
        // Supplied demographics concern followed beneficiaries only.
        let ignoree = [Demographie {
            genre: Some(Genre::Masculin),
            ..Default::default()
        }];
        let r = repartition_beneficiaires(&a, &ignoree);
        assert_eq!(r.genre(Genre::Feminin), 1);
        assert_eq!(r.genre(Genre::Masculin), 0);
        assert_eq!(r.tranche_age(TrancheAge::SoixanteDixPlus), 1);
        assert_eq!(r.statut_social(StatutSocial::NonCommunique), 1);
        assert_eq!(sommes(&r), (1, 1, 1));
    }

    #[test]
    fn suivi_individuel_avec_et_sans_demographie() {
        let a = individuel(Beneficiaire::Suivi {
            id: "b-1".to_string(),
        });
        let d = Demographie {
            genre: Some(Genre::Masculin),
            tranche_age: Some(TrancheAge::DouzeDixHuit),
            statut_social: Some(StatutSocial::Scolarise),
        };
        let r = repartition_beneficiaires(&a, &[d]);
        assert_eq!(r.genre(Genre::Masculin), 1);
        assert_eq!(r.tranche_age(TrancheAge::DouzeDixHuit), 1);
        assert_eq!(r.statut_social(StatutSocial::Scolarise), 1);
        let r = repartition_beneficiaires(&a, &[]);
        assert_eq!(r.genre(Genre::NonCommunique), 1);
        assert_eq!(r.tranche_age(TrancheAge::NonCommunique), 1);
        assert_eq!(r.statut_social(StatutSocial::NonCommunique), 1);
    }

    #[test]
    fn atelier_anonymes_et_suivis_le_reste_non_communique() {
        let mut s = base(TypeActivite::Collectif);
        s.participants = vec!["p-1".into(), "p-2".into(), "p-3".into()];
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total: 6,
            genre_feminin: 3,
            genre_masculin: 1,
            tranche_age_soixante_dix_plus: 4,
            statut_social_retraite: 6,
            ..Default::default()
        });
        let a = valider(&s, date()).expect("valid");
        // Two of the three followed ones have demographics; a fourth entry
        // (no such participant) is ignored.
        let suivies = [
            Demographie {
                genre: Some(Genre::Feminin),
                tranche_age: Some(TrancheAge::VingtCinqTrenteNeuf),
                statut_social: Some(StatutSocial::EnEmploi),
            },
            Demographie {
                genre: Some(Genre::Masculin),
                ..Default::default()
            },
            Demographie::default(),
            Demographie {
                genre: Some(Genre::Masculin),
                ..Default::default()
            },
        ];
        let r = repartition_beneficiaires(&a, &suivies);
        assert_eq!(a.accompagnements_count(), 9);
        assert_eq!(sommes(&r), (9, 9, 9));
        assert_eq!(r.genre, [2, 4, 3]);
        assert_eq!(r.tranche_age(TrancheAge::SoixanteDixPlus), 4);
        assert_eq!(r.tranche_age(TrancheAge::VingtCinqTrenteNeuf), 1);
        assert_eq!(r.tranche_age(TrancheAge::NonCommunique), 4);
        assert_eq!(r.statut_social(StatutSocial::Retraite), 6);
        assert_eq!(r.statut_social(StatutSocial::EnEmploi), 1);
        assert_eq!(r.statut_social(StatutSocial::NonCommunique), 2);
        assert_eq!(r.valeurs().count(), 16);
        assert_eq!(r.valeurs().sum::<u64>(), 27);
    }

    #[test]
    fn ordre_des_tableaux_celui_des_enumerations() {
        assert_eq!(Genre::ALL.len(), 3);
        assert_eq!(TrancheAge::ALL.len(), 8);
        assert_eq!(StatutSocial::ALL.len(), 5);
        for (i, g) in Genre::ALL.iter().enumerate() {
            let mut r = RepartitionBeneficiaires::default();
            r.ajouter(
                &Demographie {
                    genre: Some(*g),
                    ..Default::default()
                },
                2,
            );
            assert_eq!(r.genre[i], 2);
            assert_eq!(r.genre(*g), 2);
        }
    }
}
