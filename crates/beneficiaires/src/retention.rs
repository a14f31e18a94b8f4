//! The retention rule: a beneficiary without activity for a configurable
//! number of months (24 by default) is anonymised.
//!
//! Inactivity runs from the latest activity record's date, or from the
//! creation date when there is none. A beneficiary last seen exactly N months
//! ago is kept that day and anonymised the next: its reference date must be
//! strictly before [`limite_retention`].

use crate::beneficiaire::Fiche;
use chrono::{Months, NaiveDate};

/// Default retention of inactive beneficiaries, in months.
pub const RETENTION_MOIS_DEFAUT: u32 = 24;
/// Longest configurable retention (100 years): beyond, a typo.
pub const RETENTION_MOIS_MAX: u32 = 1200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurRetention {
    #[error("durée de conservation de {0} mois refusée : entre 1 et {RETENTION_MOIS_MAX} mois")]
    DureeInvalide(u32),
}

/// The first date that is still "recent" today: beneficiaries whose
/// reference date is before it are anonymised. `aujourd_hui` minus `mois`
/// months (the end of the month when that day does not exist: 31 August
/// minus 6 months is 28 or 29 February).
pub fn limite_retention(aujourd_hui: NaiveDate, mois: u32) -> Result<NaiveDate, ErreurRetention> {
    if mois == 0 || mois > RETENTION_MOIS_MAX {
        return Err(ErreurRetention::DureeInvalide(mois));
    }
    // Only fails before year -262143: clamp to the earliest date.
    Ok(aujourd_hui
        .checked_sub_months(Months::new(mois))
        .unwrap_or(NaiveDate::MIN))
}

/// The date inactivity runs from: the latest activity, else the creation.
pub fn date_reference(f: &Fiche) -> NaiveDate {
    f.derniere_activite_le
        .unwrap_or_else(|| f.cree_le.date_naive())
}

/// Whether the rule anonymises `f` given the [`limite_retention`].
/// Already anonymised or merged records are left alone.
pub fn a_anonymiser(f: &Fiche, limite: NaiveDate) -> bool {
    f.est_active() && date_reference(f) < limite
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beneficiaire::Beneficiaire;
    use chrono::{TimeZone, Utc};

    fn d(a: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(a, m, j).expect("date")
    }

    #[test]
    fn la_limite_est_exactement_n_mois_avant() {
        assert_eq!(limite_retention(d(2025, 3, 11), 24), Ok(d(2023, 3, 11)));
        assert_eq!(limite_retention(d(2024, 8, 31), 6), Ok(d(2024, 2, 29)));
        assert_eq!(
            limite_retention(d(2025, 3, 11), 0),
            Err(ErreurRetention::DureeInvalide(0))
        );
        assert!(limite_retention(d(2025, 3, 11), RETENTION_MOIS_MAX + 1).is_err());
    }

    #[test]
    fn la_borne_est_gardee_la_veille_anonymisee() {
        let cree = Utc
            .with_ymd_and_hms(2020, 1, 1, 12, 0, 0)
            .single()
            .expect("date");
        let mut f = Fiche {
            id: "x".into(),
            mediateur_id: "m".into(),
            beneficiaire: Beneficiaire::default(),
            consentement_le: None,
            derniere_activite_le: Some(d(2023, 3, 11)),
            cree_le: cree,
            modifie_le: cree,
            anonymise_le: None,
            fusionne_vers: None,
        };
        let limite = limite_retention(d(2025, 3, 11), 24).expect("limite");
        assert!(!a_anonymiser(&f, limite));
        f.derniere_activite_le = Some(d(2023, 3, 10));
        assert!(a_anonymiser(&f, limite));
        // Without activity, the creation date counts.
        f.derniere_activite_le = None;
        assert_eq!(date_reference(&f), d(2020, 1, 1));
        assert!(a_anonymiser(&f, limite));
        f.anonymise_le = Some(cree);
        assert!(!a_anonymiser(&f, limite));
    }
}
