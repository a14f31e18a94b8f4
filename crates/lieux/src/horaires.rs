//! Opening hours (`horaires`): OSM `opening_hours` syntax.
//!
//! Parsing and evaluation are delegated to the `opening-hours` crate. Real
//! data is often written by hand (`Mo-Fr 9h-12h`, en-dashes, a trailing `;`):
//! when the raw text does not parse, a light cleanup is tried before giving up.

use chrono::NaiveDateTime;
use opening_hours::OpeningHours;
use regex::Regex;
use std::sync::OnceLock;

/// Longest text we try to parse: anything longer is not opening hours, and
/// the parser's cost grows with the input.
const LONGUEUR_MAX: usize = 2_000;

/// Parses an `opening_hours` text, with the light cleanup when the raw text
/// is not valid. `Err` carries a French reason.
pub fn analyser(texte: &str) -> Result<OpeningHours, String> {
    let texte = texte.trim();
    if texte.is_empty() {
        return Err("horaires vides".to_string());
    }
    if texte.len() > LONGUEUR_MAX {
        return Err(format!(
            "horaires trop longues ({} caractères, maximum {LONGUEUR_MAX})",
            texte.chars().count()
        ));
    }
    if let Some(oh) = essayer(texte) {
        return Ok(oh);
    }
    let propre = nettoyer(texte);
    if propre != texte {
        if let Some(oh) = essayer(&propre) {
            return Ok(oh);
        }
    }
    Err(format!(
        "horaires illisibles : « {} » ne suit pas la syntaxe OpenStreetMap opening_hours \
         (exemple : « Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00 »)",
        extrait(texte)
    ))
}

/// Parses and returns the canonical normalised form (the crate's
/// normalisation, then its display). Normalising a normalised text gives it
/// back unchanged.
pub fn normaliser(texte: &str) -> Result<String, String> {
    // The same few hundred timetables repeat across a national registry:
    // remember recent answers per thread (bounded) rather than parse again.
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Result<String, String>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    const TAILLE_CACHE: usize = 4096;
    if let Some(r) = CACHE.with(|c| c.borrow().get(texte).cloned()) {
        return r;
    }
    let r = normaliser_sans_cache(texte);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= TAILLE_CACHE {
            c.clear();
        }
        c.insert(texte.to_string(), r.clone());
    });
    r
}

fn normaliser_sans_cache(texte: &str) -> Result<String, String> {
    let oh = analyser(texte)?;
    let texte =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| oh.normalize().to_string()))
            .map_err(|_| "horaires impossibles à normaliser".to_string())?;
    if texte.trim().is_empty() {
        // An expression that normalises to nothing carries no information.
        return Err("horaires sans aucune plage".to_string());
    }
    Ok(texte)
}

/// True when the place is open at `t` (local time of the place). Unknown
/// states (`PH unknown`, comments) count as not open.
pub fn ouvert_a(oh: &OpeningHours, t: NaiveDateTime) -> bool {
    oh.is_open(t)
}

/// The next time the state changes after `t`, if any within the crate's
/// range (years 1900-9999).
pub fn prochain_changement(oh: &OpeningHours, t: NaiveDateTime) -> Option<NaiveDateTime> {
    oh.next_change(t)
}

fn essayer(texte: &str) -> Option<OpeningHours> {
    // The parser is a third-party grammar run on untrusted text: a panic in it
    // must not take the import down.
    std::panic::catch_unwind(|| texte.parse::<OpeningHours>().ok())
        .ok()
        .flatten()
}

fn extrait(texte: &str) -> String {
    const MAX: usize = 80;
    if texte.chars().count() <= MAX {
        texte.to_string()
    } else {
        let debut: String = texte.chars().take(MAX).collect();
        format!("{debut}…")
    }
}

fn heure_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)\b(\d{1,2})\s*h\s*(\d{2})?\b").ok())
        .as_ref()
}

/// Light cleanup of hand-written hours: dashes, `9h30`, `12h`, `h` suffixes,
/// spaces around `-`, trailing separators.
fn nettoyer(texte: &str) -> String {
    let mut s: String = texte
        .chars()
        .map(|c| match c {
            '–' | '—' | '‐' | '‑' | '−' => '-',
            '\u{a0}' | '\u{202f}' | '\t' | '\n' | '\r' => ' ',
            _ => c,
        })
        .collect();
    if let Some(re) = heure_re() {
        s = re
            .replace_all(&s, |caps: &regex::Captures<'_>| {
                let h: u32 = caps
                    .get(1)
                    .and_then(|m| m.as_str().parse().ok())
                    .unwrap_or(0);
                let m = caps.get(2).map(|m| m.as_str()).unwrap_or("00");
                format!("{h:02}:{m}")
            })
            .into_owned();
    }
    // `09:00 - 12:00` → `09:00-12:00`
    while s.contains(" -") || s.contains("- ") {
        s = s.replace(" -", "-").replace("- ", "-");
    }
    while s.contains("  ") {
        s = s.replace("  ", " ");
    }
    s.trim()
        .trim_end_matches([';', ',', ' '])
        .trim_start_matches([';', ',', ' '])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
    }

    #[test]
    fn valid_text_is_normalised_and_stable() {
        let n = normaliser("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00").expect("valid");
        assert_eq!(normaliser(&n).as_deref(), Ok(n.as_str()));
        assert!(n.contains("08:30-12:00"));
    }

    #[test]
    fn hand_written_hours_are_cleaned() {
        let a = normaliser("Mo-Fr 9h-12h").expect("cleaned");
        let b = normaliser("Mo-Fr 09:00-12:00").expect("valid");
        assert_eq!(a, b);
        let c = normaliser("Mo–Fr 9h30 - 12h30;").expect("cleaned");
        assert_eq!(c, normaliser("Mo-Fr 09:30-12:30").expect("valid"));
    }

    #[test]
    fn junk_is_refused_in_french() {
        assert_eq!(normaliser("  "), Err("horaires vides".to_string()));
        let e = normaliser("ouvert le matin").expect_err("junk");
        assert!(e.contains("horaires illisibles"), "{e}");
        assert!(normaliser(&"Mo ".repeat(2000)).is_err());
    }

    #[test]
    fn ph_off_alone_and_trailing_separator() {
        assert!(analyser("PH off").is_ok());
        assert_eq!(
            normaliser("Mo-Fr 09:00-12:00;"),
            normaliser("Mo-Fr 09:00-12:00")
        );
        assert!(normaliser("Mo-Fr 09:00-12:00;").is_ok());
    }

    #[test]
    fn evaluates_opening_and_next_change() {
        let oh = analyser("Mo-Fr 09:00-12:00").expect("valid");
        // 2024-11-18 is a Monday.
        assert!(ouvert_a(&oh, t("2024-11-18 10:00")));
        assert!(!ouvert_a(&oh, t("2024-11-18 13:00")));
        assert!(!ouvert_a(&oh, t("2024-11-23 10:00")));
        assert_eq!(
            prochain_changement(&oh, t("2024-11-18 10:00")),
            Some(t("2024-11-18 12:00"))
        );
        assert_eq!(
            prochain_changement(&oh, t("2024-11-22 13:00")),
            Some(t("2024-11-25 09:00"))
        );
    }
}
