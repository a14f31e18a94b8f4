//! SIRET numbers: the identifier of an employer structure (an
//! establishment in INSEE's Sirene directory).
//!
//! A SIRET is 14 digits: the 9-digit SIREN of the company, then a 5-digit
//! establishment number (NIC). Its last digit is a Luhn key over the 14
//! digits. La Poste (SIREN 356 000 000) has more establishments than the
//! key can tell apart, so INSEE checks its SIRETs by another rule: the sum
//! of the 14 digits is a multiple of 5.
//!
//! ```text
//! "123 456 789 00012" ──Siret::lire──▶ Siret("12345678900012")
//! Siret::formate ──▶ "123 456 789 00012"
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// La Poste's SIREN, whose SIRETs follow the "sum divisible by 5" rule.
pub const SIREN_LA_POSTE: &str = "356000000";

/// A checked SIRET: exactly 14 ASCII digits with a valid key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siret(String);

/// Why a text is not a SIRET; `Display` is the French message for the
/// user, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurSiret {
    #[error("SIRET : indiquez les 14 chiffres du SIRET de la structure.")]
    Vide,
    #[error("SIRET : « {0} » n'est pas un chiffre ; le SIRET ne contient que des chiffres (les espaces sont acceptés).")]
    Caractere(char),
    #[error("SIRET : un SIRET compte 14 chiffres, vous en avez saisi {0}.")]
    Longueur(usize),
    #[error(
        "SIRET : ce numéro n'existe pas (sa clé de contrôle est fausse) ; vérifiez chaque chiffre."
    )]
    Cle,
}

impl Siret {
    /// Reads a SIRET typed by a person: spaces (also non-breaking ones),
    /// dots and dashes between digit groups are ignored.
    pub fn lire(saisie: &str) -> Result<Siret, ErreurSiret> {
        let mut chiffres = String::with_capacity(14);
        for c in saisie.chars() {
            if c.is_ascii_digit() {
                chiffres.push(c);
            } else if !(c.is_whitespace() || c == '.' || c == '-') {
                return Err(ErreurSiret::Caractere(c));
            }
            // Stops a pasted essay before it is copied whole.
            if chiffres.len() > 14 {
                let n = saisie.chars().filter(char::is_ascii_digit).count();
                return Err(ErreurSiret::Longueur(n));
            }
        }
        match chiffres.len() {
            0 => Err(ErreurSiret::Vide),
            14 if cle_valide(&chiffres) => Ok(Siret(chiffres)),
            14 => Err(ErreurSiret::Cle),
            n => Err(ErreurSiret::Longueur(n)),
        }
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The company's SIREN (first 9 digits).
    pub fn siren(&self) -> &str {
        self.0.get(..9).unwrap_or_default()
    }

    /// "123 456 789 00012", as printed on official documents.
    pub fn formate(&self) -> String {
        format!(
            "{} {} {} {}",
            self.0.get(..3).unwrap_or_default(),
            self.0.get(3..6).unwrap_or_default(),
            self.0.get(6..9).unwrap_or_default(),
            self.0.get(9..).unwrap_or_default()
        )
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Luhn over the 14 digits (every second digit from the right doubled), or
/// for La Poste the sum of the digits divisible by 5. Its headquarters'
/// SIRET satisfies Luhn, so La Poste's numbers are accepted by either rule.
fn cle_valide(chiffres: &str) -> bool {
    let valeurs = chiffres.bytes().map(|b| u32::from(b - b'0'));
    let luhn: u32 = valeurs
        .clone()
        .rev()
        .enumerate()
        .map(|(i, v)| {
            if i % 2 == 1 {
                let d = v * 2;
                if d > 9 {
                    d - 9
                } else {
                    d
                }
            } else {
                v
            }
        })
        .sum();
    if luhn.is_multiple_of(10) {
        return true;
    }
    chiffres.starts_with(SIREN_LA_POSTE) && valeurs.sum::<u32>().is_multiple_of(5)
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Siret {
    type Err = ErreurSiret;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Siret::lire(s)
    }
}

impl AsRef<str> for Siret {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Siret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Siret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Siret::lire(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The digit that completes 13 digits into a valid Luhn number.
    fn avec_cle(treize: &str) -> String {
        (0..10)
            .map(|k| format!("{treize}{k}"))
            .find(|s| {
                let v: u32 = s
                    .bytes()
                    .rev()
                    .enumerate()
                    .map(|(i, b)| {
                        let v = u32::from(b - b'0');
                        if i % 2 == 1 {
                            (v * 2) / 10 + (v * 2) % 10
                        } else {
                            v
                        }
                    })
                    .sum();
                v.is_multiple_of(10)
            })
            .expect("one key digit fits")
    }

    #[test]
    fn siret_reels() {
        // ANCT, INSEE and La Poste's headquarters.
        for s in ["13002603200016", "12002701600563", "35600000000048"] {
            assert_eq!(Siret::lire(s).expect(s).as_str(), s);
        }
    }

    #[test]
    fn espaces_et_separateurs_acceptes() {
        let s = Siret::lire(" 130 026 032 00016 ").expect("spaces");
        assert_eq!(s.as_str(), "13002603200016");
        assert_eq!(
            Siret::lire("130\u{a0}026\u{a0}032\u{a0}00016").expect("nbsp"),
            s
        );
        assert_eq!(Siret::lire("130.026.032-00016").expect("dots"), s);
        assert_eq!(s.formate(), "130 026 032 00016");
        assert_eq!(s.siren(), "130026032");
    }

    #[test]
    fn erreurs_en_francais_nommant_le_champ() {
        assert_eq!(Siret::lire("  "), Err(ErreurSiret::Vide));
        assert_eq!(Siret::lire("1300260320001"), Err(ErreurSiret::Longueur(13)));
        assert_eq!(
            Siret::lire("130026032000160"),
            Err(ErreurSiret::Longueur(15))
        );
        assert_eq!(
            Siret::lire("13002603200A16"),
            Err(ErreurSiret::Caractere('A'))
        );
        assert_eq!(Siret::lire("13002603200017"), Err(ErreurSiret::Cle));
        for e in [
            ErreurSiret::Vide,
            ErreurSiret::Caractere('x'),
            ErreurSiret::Longueur(3),
            ErreurSiret::Cle,
        ] {
            assert!(e.to_string().starts_with("SIRET : "), "{e}");
        }
    }

    #[test]
    fn la_poste_somme_divisible_par_5() {
        // Fails Luhn, but 3+5+6+1+5 = 20.
        let poste = "35600000000015";
        assert!(Siret::lire(poste).is_ok());
        // The same digits under another SIREN fail Luhn.
        assert_eq!(Siret::lire("35600000100015"), Err(ErreurSiret::Cle));
        // A La Poste number whose sum is not a multiple of 5 and fails Luhn.
        assert_eq!(Siret::lire("35600000000016"), Err(ErreurSiret::Cle));
    }

    #[test]
    fn serde_verifie() {
        let s: Siret = serde_json::from_str("\"13002603200016\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&s).expect("json"),
            "\"13002603200016\""
        );
        assert!(serde_json::from_str::<Siret>("\"13002603200017\"").is_err());
    }

    proptest! {
        #[test]
        fn toute_cle_luhn_est_acceptee(treize in "[0-9]{13}") {
            let s = avec_cle(&treize);
            prop_assert_eq!(Siret::lire(&s).map(Siret::into_string), Ok(s));
        }

        #[test]
        fn un_chiffre_change_est_refuse(treize in "[1-9][0-9]{12}", pos in 0usize..14, delta in 1u8..10) {
            let s = avec_cle(&treize);
            prop_assume!(!s.starts_with(SIREN_LA_POSTE));
            let mut octets = s.clone().into_bytes();
            octets[pos] = b'0' + (octets[pos] - b'0' + delta) % 10;
            let faux = String::from_utf8(octets).expect("ascii");
            prop_assume!(!faux.starts_with(SIREN_LA_POSTE));
            // Luhn detects every single-digit error.
            prop_assert_eq!(Siret::lire(&faux), Err(ErreurSiret::Cle));
        }

        #[test]
        fn formate_puis_lu_donne_le_meme(treize in "[0-9]{13}") {
            let s = Siret::lire(&avec_cle(&treize)).expect("valid");
            prop_assert_eq!(Siret::lire(&s.formate()), Ok(s));
        }

        #[test]
        fn jamais_de_panique(saisie in "\\PC{0,40}") {
            let _ = Siret::lire(&saisie);
        }
    }
}
