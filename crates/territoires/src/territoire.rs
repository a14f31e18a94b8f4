//! Territories a user filters on: `reg:75`, `dep:33`, `epci:200000172`,
//! `com:33063`.

use std::fmt;
use std::str::FromStr;

use maillage_lieux::Texte;

use crate::noms;
use crate::referentiel::{embarque, Referentiel};

/// A région, département, EPCI or commune, by code. Parsing checks the shape
/// of the code only; [`Referentiel::territoire_existe`] checks it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Territoire {
    Region(Texte),
    Departement(Texte),
    Epci(Texte),
    Commune(Texte),
}

/// A territory that cannot be parsed; the message is in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ErreurTerritoire(pub String);

impl Territoire {
    pub fn code(&self) -> &str {
        match self {
            Territoire::Region(c)
            | Territoire::Departement(c)
            | Territoire::Epci(c)
            | Territoire::Commune(c) => c,
        }
    }

    /// Prefix of the textual form (`reg`, `dep`, `epci`, `com`).
    pub fn prefixe(&self) -> &'static str {
        match self {
            Territoire::Region(_) => "reg",
            Territoire::Departement(_) => "dep",
            Territoire::Epci(_) => "epci",
            Territoire::Commune(_) => "com",
        }
    }

    /// True when the commune (or arrondissement) `code_insee` lies in the
    /// territory, against the embedded referential: one hash lookup, the
    /// commune carrying its département, région and EPCI. False when the
    /// embedded referential could not be loaded.
    pub fn contient(&self, code_insee: &str) -> bool {
        embarque().is_ok_and(|r| r.contient(self, code_insee))
    }

    /// Same as [`Territoire::contient`] against a given referential.
    pub fn contient_dans(&self, referentiel: &Referentiel, code_insee: &str) -> bool {
        referentiel.contient(self, code_insee)
    }
}

impl fmt::Display for Territoire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefixe(), self.code())
    }
}

impl FromStr for Territoire {
    type Err = ErreurTerritoire;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let erreur = |m: String| Err(ErreurTerritoire(m));
        let Some((prefixe, code)) = s.trim().split_once(':') else {
            return erreur(format!(
                "territoire « {s} » invalide : attendu reg:CODE, dep:CODE, epci:SIREN ou com:CODE_INSEE"
            ));
        };
        let code = code.trim();
        let chiffres =
            |n: &[usize]| n.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
        match prefixe.trim().to_ascii_lowercase().as_str() {
            "reg" | "region" => {
                if chiffres(&[2, 3]) {
                    Ok(Territoire::Region(code.into()))
                } else {
                    erreur(format!(
                        "code de région « {code} » invalide (2 ou 3 chiffres)"
                    ))
                }
            }
            "dep" | "departement" => match noms::normaliser_departement(code) {
                Some(d) => Ok(Territoire::Departement(d.into())),
                None => erreur(format!(
                    "code de département « {code} » invalide (ex. 01, 2A, 971)"
                )),
            },
            "epci" => {
                if chiffres(&[9]) {
                    Ok(Territoire::Epci(code.into()))
                } else {
                    erreur(format!("SIREN d'EPCI « {code} » invalide (9 chiffres)"))
                }
            }
            "com" | "commune" => match noms::normaliser_code_insee(code) {
                Some(c) if c.len() == code.len() => Ok(Territoire::Commune(c.into())),
                _ => erreur(format!(
                    "code INSEE « {code} » invalide (5 caractères, ex. 33063, 2A004)"
                )),
            },
            autre => erreur(format!(
                "type de territoire « {autre} » inconnu : attendu reg, dep, epci ou com"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyse() {
        assert_eq!("reg:75".parse(), Ok(Territoire::Region("75".into())));
        assert_eq!("dep:2a".parse(), Ok(Territoire::Departement("2A".into())));
        assert_eq!(
            "epci:200000172".parse(),
            Ok(Territoire::Epci("200000172".into()))
        );
        assert_eq!("com:33063".parse(), Ok(Territoire::Commune("33063".into())));
        assert_eq!(
            "com:33063".parse::<Territoire>().map(|t| t.to_string()),
            Ok("com:33063".to_string())
        );
        let e = "ville:Bordeaux".parse::<Territoire>().err();
        assert!(e.is_some_and(|e| e.0.contains("inconnu")));
        assert!("dep:2C".parse::<Territoire>().is_err());
        assert!("epci:123".parse::<Territoire>().is_err());
        assert!("com:3306".parse::<Territoire>().is_err());
        assert!("33063".parse::<Territoire>().is_err());
    }
}
