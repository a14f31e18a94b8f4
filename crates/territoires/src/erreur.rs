//! Loading errors of the territorial reference files.

use std::fmt;

/// A problem in a reference file: names the file, and the line and column
/// when they are known. Messages are in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erreur {
    pub fichier: String,
    /// 1-based physical line (the header is line 1).
    pub ligne: Option<u64>,
    pub colonne: Option<String>,
    pub message: String,
}

impl Erreur {
    pub(crate) fn fichier(fichier: &str, message: impl Into<String>) -> Self {
        Erreur {
            fichier: fichier.to_string(),
            ligne: None,
            colonne: None,
            message: message.into(),
        }
    }

    pub(crate) fn cellule(
        fichier: &str,
        ligne: u64,
        colonne: &str,
        message: impl Into<String>,
    ) -> Self {
        Erreur {
            fichier: fichier.to_string(),
            ligne: Some(ligne),
            colonne: Some(colonne.to_string()),
            message: message.into(),
        }
    }
}

impl fmt::Display for Erreur {
    /// `communes.csv, ligne 12, colonne « population » : nombre invalide « x »`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fichier)?;
        if let Some(ligne) = self.ligne {
            write!(f, ", ligne {ligne}")?;
        }
        if let Some(colonne) = &self.colonne {
            write!(f, ", colonne « {colonne} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

impl std::error::Error for Erreur {}
