//! Text helpers shared by validation, search and de-duplication.

use unicode_normalization::UnicodeNormalization;

/// Comparison key: lower case, no accents, typographic quotes and dashes made
/// plain, runs of spaces and punctuation folded to one space.
/// `« Médiathèque  L’Alpha »` → `mediatheque l alpha`.
pub fn cle_comparaison(texte: &str) -> String {
    let mut out = String::with_capacity(texte.len());
    let mut space = true;
    for c in texte.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'œ' | 'Œ' => {
                out.push_str("oe");
                space = false;
                continue;
            }
            'æ' | 'Æ' => {
                out.push_str("ae");
                space = false;
                continue;
            }
            _ => c,
        };
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                out.push(l);
            }
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(
            cle_comparaison("« Médiathèque  L’Alpha »"),
            "mediatheque l alpha"
        );
        assert_eq!(
            cle_comparaison("MEDIATHEQUE"),
            cle_comparaison("Médiathèque")
        );
        assert_eq!(
            cle_comparaison("Étapes numériques(La Poste)"),
            "etapes numeriques la poste"
        );
        assert_eq!(cle_comparaison("Cœur"), "coeur");
        assert_eq!(cle_comparaison(""), "");
    }
}
