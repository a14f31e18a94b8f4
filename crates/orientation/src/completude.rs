//! Completion score of a place: the weighted presence of its fields, as the
//! national map shows it on place pages (weights 2 or 1).
//!
//! Weight 2, what a person needs to go there or to be oriented there:
//! `nom`, `adresse` (with `commune` and `code_postal`), coordinates
//! (precise: a commune centroid counts 1), `horaires`, `services`, a contact
//! (`telephone` or `courriels`), `publics_specifiquement_adresses`,
//! `modalites_acces`, `modalites_accompagnement`, `frais_a_charge`,
//! `prise_rdv`.
//!
//! Weight 1, the rest: a real `pivot`, `code_insee`, `typologie`,
//! `site_web`, `presentation_resume`, `presentation_detail`, `itinerance`,
//! `structure_parente`, `prise_en_charge_specifique`,
//! `dispositif_programmes_nationaux`, labels (`formations_labels` or
//! `autres_formations_labels`), `fiche_acces_libre`.
//!
//! Total 11 × 2 + 12 × 1 = 34 points; the score is the percentage, rounded.

use maillage_lieux::Lieu;

/// Weighted criteria: (weight, points earned).
fn criteres(l: &Lieu) -> [(u8, u8); 23] {
    fn oui(b: bool, poids: u8) -> (u8, u8) {
        (poids, if b { poids } else { 0 })
    }
    let coordonnees = match (l.latitude, l.longitude) {
        (Some(la), Some(lo)) if la.is_finite() && lo.is_finite() && !(la == 0.0 && lo == 0.0) => {
            if l.precision_coordonnees.approximative() {
                1
            } else {
                2
            }
        }
        _ => 0,
    };
    [
        oui(!l.nom.trim().is_empty(), 2),
        oui(
            !l.adresse.trim().is_empty()
                && !l.commune.trim().is_empty()
                && !l.code_postal.trim().is_empty(),
            2,
        ),
        (2, coordonnees),
        oui(l.horaires.is_some(), 2),
        oui(!l.services.is_empty(), 2),
        oui(l.telephone.is_some() || !l.courriels.is_empty(), 2),
        oui(!l.publics_specifiquement_adresses.is_empty(), 2),
        oui(!l.modalites_acces.is_empty(), 2),
        oui(!l.modalites_accompagnement.is_empty(), 2),
        oui(!l.frais_a_charge.is_empty(), 2),
        oui(l.prise_rdv.is_some(), 2),
        oui(l.pivot_reel(), 1),
        oui(l.code_insee.is_some(), 1),
        oui(!l.typologie.is_empty(), 1),
        oui(!l.site_web.is_empty(), 1),
        oui(l.presentation_resume.is_some(), 1),
        oui(l.presentation_detail.is_some(), 1),
        oui(!l.itinerance.is_empty(), 1),
        oui(l.structure_parente.is_some(), 1),
        oui(!l.prise_en_charge_specifique.is_empty(), 1),
        oui(!l.dispositif_programmes_nationaux.is_empty(), 1),
        oui(
            !l.formations_labels.is_empty() || !l.autres_formations_labels.is_empty(),
            1,
        ),
        oui(l.fiche_acces_libre.is_some(), 1),
    ]
}

/// Completion of a place, in percent (0–100).
pub fn completude(lieu: &Lieu) -> u8 {
    let (max, points) = criteres(lieu)
        .iter()
        .fold((0u32, 0u32), |(m, p), &(poids, gagne)| {
            (m + u32::from(poids), p + u32::from(gagne))
        });
    ((points * 100 + max / 2) / max.max(1)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use maillage_lieux::enums::*;
    use maillage_lieux::PrecisionCoordonnees;

    fn minimal() -> Lieu {
        Lieu::minimal(
            "a",
            "Médiathèque",
            "Bordeaux",
            "33000",
            "1 rue X",
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        )
    }

    #[test]
    fn weights_add_up_to_34() {
        let total: u32 = criteres(&minimal())
            .iter()
            .map(|&(p, _)| u32::from(p))
            .sum();
        assert_eq!(total, 34);
    }

    #[test]
    fn minimal_place_has_name_and_address_only() {
        // nom + adresse = 4 / 34.
        assert_eq!(completude(&minimal()), 12);
    }

    #[test]
    fn essentials_weigh_twice() {
        let mut a = minimal();
        a.horaires = Some("Mo-Fr 09:00-12:00".into());
        let mut b = minimal();
        b.site_web = vec!["https://x.fr".into()];
        assert!(completude(&a) > completude(&b));
        // Centroid coordinates count half.
        let mut c = minimal();
        c.latitude = Some(44.8);
        c.longitude = Some(-0.5);
        c.precision_coordonnees = PrecisionCoordonnees::Commune;
        let mut d = c.clone();
        d.precision_coordonnees = PrecisionCoordonnees::Source;
        assert_eq!(completude(&c), 15);
        assert_eq!(completude(&d), 18);
    }

    #[test]
    fn complete_place_is_100() {
        let mut l = minimal();
        l.pivot = "21330063500017".into();
        l.code_insee = Some("33063".into());
        l.latitude = Some(44.8);
        l.longitude = Some(-0.5);
        l.precision_coordonnees = PrecisionCoordonnees::Source;
        l.horaires = Some("Mo-Fr 09:00-12:00".into());
        l.services = Service::AideDemarches.into();
        l.telephone = Some("+33556000000".into());
        l.publics_specifiquement_adresses = Public::Seniors.into();
        l.modalites_acces = ModaliteAcces::SePresenter.into();
        l.modalites_accompagnement = ModaliteAccompagnement::Individuel.into();
        l.frais_a_charge = Frais::Gratuit.into();
        l.prise_rdv = Some("https://rdv.fr".into());
        l.typologie = Typologie::Bib.into();
        l.site_web = vec!["https://x.fr".into()];
        l.presentation_resume = Some("r".into());
        l.presentation_detail = Some("d".into());
        l.itinerance = Itinerance::Fixe.into();
        l.structure_parente = Some("Ville".into());
        l.prise_en_charge_specifique = PriseEnCharge::Surdite.into();
        l.dispositif_programmes_nationaux = Dispositif::FranceServices.into();
        l.autres_formations_labels = vec!["QPV".into()];
        l.fiche_acces_libre = Some("https://acceslibre.beta.gouv.fr/x".into());
        assert_eq!(completude(&l), 100);
    }
}
