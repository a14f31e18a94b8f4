//! Problems found in input, reported to the data steward.
//!
//! An issue names the file, the line, the record, the field and the reason,
//! in French: that is what the error report (`--errors FILE.csv`) contains.

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Gravite {
    /// The value was corrected or dropped; the record is kept.
    Avertissement,
    /// The record cannot be published; it is rejected.
    Erreur,
    /// The whole file is unusable; nothing from it is stored.
    Fatale,
}

impl Gravite {
    pub fn libelle(self) -> &'static str {
        match self {
            Gravite::Avertissement => "avertissement",
            Gravite::Erreur => "erreur",
            Gravite::Fatale => "fatale",
        }
    }
}

/// One problem in one record (or in a whole file when `line` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub file: Option<String>,
    /// 1-based line in the file (CSV: physical line of the record; JSON: line
    /// where the object starts).
    pub line: Option<u64>,
    pub record_id: Option<String>,
    /// Field of the standard, or of the source for a mapping problem.
    pub field: Option<String>,
    pub severity: Gravite,
    /// Stable machine code, e.g. `champ_obligatoire`, `valeur_inconnue`.
    pub code: &'static str,
    /// Message for a person, in French.
    pub message: String,
}

impl Issue {
    pub fn new(severity: Gravite, code: &'static str, message: impl Into<String>) -> Self {
        Issue {
            file: None,
            line: None,
            record_id: None,
            field: None,
            severity,
            code,
            message: message.into(),
        }
    }

    pub fn erreur(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Issue::new(Gravite::Erreur, code, message).on_field(field)
    }

    pub fn avertissement(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Issue::new(Gravite::Avertissement, code, message).on_field(field)
    }

    pub fn fatale(code: &'static str, message: impl Into<String>) -> Self {
        Issue::new(Gravite::Fatale, code, message)
    }

    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub fn at(mut self, file: Option<&str>, line: Option<u64>) -> Self {
        if self.file.is_none() {
            self.file = file.map(str::to_string);
        }
        if self.line.is_none() {
            self.line = line;
        }
        self
    }

    pub fn for_record(mut self, id: Option<&str>) -> Self {
        if self.record_id.is_none() {
            self.record_id = id.map(str::to_string);
        }
        self
    }
}

impl std::fmt::Display for Issue {
    /// `fichier.csv, ligne 12, champ « code_postal » : message`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.clone());
        }
        if let Some(line) = self.line {
            parts.push(format!("ligne {line}"));
        }
        if let Some(id) = &self.record_id {
            parts.push(format!("lieu « {id} »"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("champ « {field} »"));
        }
        if parts.is_empty() {
            write!(f, "{} : {}", self.severity.libelle(), self.message)
        } else {
            write!(
                f,
                "{} : {} : {}",
                parts.join(", "),
                self.severity.libelle(),
                self.message
            )
        }
    }
}
