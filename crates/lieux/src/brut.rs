//! A record before validation: field name → text, as read from a file or
//! produced by a mapping configuration.

use std::collections::BTreeMap;

/// A raw record. Keys are field names (v1 or v0.1 names before migration);
/// values are the text of the cell, with lists already `|`-joined for v1 or
/// `;`-joined for v0.1. Empty cells are absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LieuBrut {
    /// 1-based line in the source file, when there is one.
    pub line: Option<u64>,
    pub values: BTreeMap<String, String>,
}

impl LieuBrut {
    pub fn new(line: Option<u64>) -> Self {
        LieuBrut {
            line,
            values: BTreeMap::new(),
        }
    }

    /// Trimmed value, `None` when absent or blank.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .get(field)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Sets a value; a blank value removes the field.
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        let value = value.into();
        if value.trim().is_empty() {
            self.values.remove(field);
        } else {
            self.values.insert(field.to_string(), value);
        }
    }

    pub fn remove(&mut self, field: &str) -> Option<String> {
        self.values.remove(field)
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
}

/// One record of a raw source (JSON object, or CSV row as an object of
/// strings), with the 1-based line where it starts. Mapping configurations
/// read these; nested JSON is addressed with dotted paths (`location.y`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enregistrement {
    pub line: u64,
    pub values: serde_json::Map<String, serde_json::Value>,
}
