//! Normalisation of commune names, postcodes and département codes as
//! producers write them.

use maillage_lieux::texte::cle_comparaison;

/// Search key of a commune name: accents, case, hyphens and apostrophes
/// folded (`cle_comparaison`), `St`/`Ste` spelled out, `CEDEX xx` and embedded
/// postcodes dropped, leading article (`Le`, `La`, `Les`, `L'`) dropped.
/// `L'Abergement-Clémenciat` → `abergement clemenciat`,
/// `ST-ETIENNE CEDEX 2` → `saint etienne`.
pub fn cle_nom(nom: &str) -> String {
    let base = cle_comparaison(nom);
    let mut mots: Vec<&str> = base.split(' ').filter(|m| !m.is_empty()).collect();
    // `CEDEX 9`, `CEDEX9`: the rest is the CEDEX office.
    if let Some(i) = mots.iter().position(|m| m.starts_with("cedex")) {
        mots.truncate(i);
    }
    mots.retain(|m| !(m.len() == 5 && m.bytes().all(|b| b.is_ascii_digit())));
    let mots: Vec<&str> = mots
        .into_iter()
        .map(|m| match m {
            "st" => "saint",
            "ste" => "sainte",
            "sts" => "saints",
            "stes" => "saintes",
            _ => m,
        })
        .collect();
    let debut = usize::from(mots.len() > 1 && matches!(mots[0], "le" | "la" | "les" | "l"));
    mots[debut..].join(" ")
}

/// Arrondissement municipal named in a commune name: `Paris 15e`,
/// `PARIS 1ER`, `Marseille 3e arrondissement`, `Lyon 7ème` → its INSEE code.
pub fn arrondissement_nomme(nom: &str) -> Option<String> {
    let cle = cle_comparaison(nom);
    let mut mots = cle.split(' ').filter(|m| !m.is_empty());
    let ville = mots.next()?;
    let numero = mots.next()?;
    let chiffres: String = numero.chars().take_while(char::is_ascii_digit).collect();
    let suffixe = &numero[chiffres.len()..];
    if chiffres.is_empty()
        || chiffres.len() > 2
        || !matches!(
            suffixe,
            "" | "e" | "er" | "ere" | "eme" | "ieme" | "em" | "me"
        )
    {
        return None;
    }
    // Anything after the number must be the word "arrondissement" (or its
    // abbreviation) or a CEDEX mention.
    if let Some(suite) = mots.next() {
        if !matches!(suite, "arrondissement" | "arr" | "arrdt" | "ar" | "cedex") {
            return None;
        }
    }
    let n: u32 = chiffres.parse().ok()?;
    match ville {
        "paris" if (1..=20).contains(&n) => Some(format!("751{n:02}")),
        "marseille" if (1..=16).contains(&n) => Some(format!("132{n:02}")),
        "lyon" if (1..=9).contains(&n) => Some(format!("6938{n}")),
        _ => None,
    }
}

/// A postcode as written by a producer, made 5 digits when that is only a
/// matter of format: spaces and dots (`33 000`, `33.000`), a spreadsheet
/// decimal (`33000.0`). Four digits are returned padded with a leading zero
/// and flagged, because the caller must check the result exists.
/// Returns `(postcode, padded)`.
pub fn normaliser_code_postal(texte: &str) -> Option<(String, bool)> {
    let mut t = texte.trim();
    if let Some(sans) = t.strip_suffix(".0").or_else(|| t.strip_suffix(",0")) {
        t = sans;
    }
    let chiffres: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '.'))
        .collect();
    if !chiffres.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match chiffres.len() {
        5 => Some((chiffres, false)),
        4 => Some((format!("0{chiffres}"), true)),
        _ => None,
    }
}

/// True for a well-formed postcode (`^\d{5}$`).
pub fn code_postal_bien_forme(texte: &str) -> bool {
    texte.len() == 5 && texte.bytes().all(|b| b.is_ascii_digit())
}

/// A département code as written (`1`, `01`, `2a`, ` 971 `) → `01`, `2A`, `971`.
pub fn normaliser_departement(texte: &str) -> Option<String> {
    let t = texte.trim().to_ascii_uppercase();
    match t.len() {
        1 if t.bytes().all(|b| b.is_ascii_digit()) => Some(format!("0{t}")),
        2 if t == "2A" || t == "2B" || t.bytes().all(|b| b.is_ascii_digit()) => Some(t),
        3 if t.starts_with('9') && t.bytes().all(|b| b.is_ascii_digit()) => Some(t),
        _ => None,
    }
}

/// An INSEE code as written: trimmed, upper case (`2a004`), a lost leading
/// zero restored (`1001` → `01001`). `None` when it cannot be one.
pub fn normaliser_code_insee(texte: &str) -> Option<String> {
    let mut t = texte.trim().to_ascii_uppercase();
    if let Some(sans) = t.strip_suffix(".0") {
        t = sans.to_string();
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        t.insert(0, '0');
    }
    let b = t.as_bytes();
    let valide = b.len() == 5
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || (b[0] == b'2' && matches!(b[1], b'A' | b'B')))
        && b[2..].iter().all(u8::is_ascii_digit);
    valide.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cles_de_noms() {
        assert_eq!(cle_nom("L'Abergement-Clémenciat"), "abergement clemenciat");
        assert_eq!(cle_nom("ST-ETIENNE CEDEX 2"), "saint etienne");
        assert_eq!(cle_nom("Ste Foy la Grande"), "sainte foy la grande");
        assert_eq!(cle_nom("ARNAY LE DUC"), cle_nom("Arnay-le-Duc"));
        assert_eq!(cle_nom("Annecy Cedex 03"), "annecy");
        assert_eq!(cle_nom("ANGOULEME CEDEX9"), "angouleme");
        assert_eq!(cle_nom("Les Ulis"), "ulis");
        assert_eq!(cle_nom("La"), "la");
        assert_eq!(cle_nom(""), "");
    }

    #[test]
    fn arrondissements_nommes() {
        assert_eq!(arrondissement_nomme("Paris 15e").as_deref(), Some("75115"));
        assert_eq!(arrondissement_nomme("PARIS 1ER").as_deref(), Some("75101"));
        assert_eq!(
            arrondissement_nomme("Marseille 3e arrondissement").as_deref(),
            Some("13203")
        );
        assert_eq!(arrondissement_nomme("Lyon 7ème").as_deref(), Some("69387"));
        assert_eq!(arrondissement_nomme("Lyon 10e"), None);
        assert_eq!(arrondissement_nomme("Paris"), None);
        assert_eq!(arrondissement_nomme("Paris 15e rue"), None);
    }

    #[test]
    fn codes_postaux() {
        assert_eq!(
            normaliser_code_postal("33 000"),
            Some(("33000".into(), false))
        );
        assert_eq!(normaliser_code_postal("3300"), Some(("03300".into(), true)));
        assert_eq!(
            normaliser_code_postal("33000.0"),
            Some(("33000".into(), false))
        );
        assert_eq!(
            normaliser_code_postal("98 851"),
            Some(("98851".into(), false))
        );
        assert_eq!(normaliser_code_postal("330"), None);
        assert_eq!(normaliser_code_postal("ABCDE"), None);
    }

    #[test]
    fn departements_et_codes_insee() {
        assert_eq!(normaliser_departement("1").as_deref(), Some("01"));
        assert_eq!(normaliser_departement("2a").as_deref(), Some("2A"));
        assert_eq!(normaliser_departement("971").as_deref(), Some("971"));
        assert_eq!(normaliser_departement("2C"), None);
        assert_eq!(normaliser_code_insee("1001").as_deref(), Some("01001"));
        assert_eq!(normaliser_code_insee("2a004").as_deref(), Some("2A004"));
        assert_eq!(normaliser_code_insee("2C004"), None);
    }
}
