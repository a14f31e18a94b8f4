//! Bar charts drawn on the server as SVG, for pages that work without
//! JavaScript. Each chart is an image with a title and a description
//! (`role="img"`, `aria-labelledby`), every value is written on its bar, and
//! bars are one dark colour on white (contrast above 7:1) so nothing relies
//! on colour. Pages put the chart's data table right after it.
//!
//! Pure functions: labels and values in, SVG text out (escaped).

use std::fmt::Write;

/// One bar: its label and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barre {
    pub libelle: String,
    pub valeur: u64,
}

impl Barre {
    pub fn new(libelle: impl Into<String>, valeur: u64) -> Barre {
        Barre {
            libelle: libelle.into(),
            valeur,
        }
    }
}

/// Bars: the theme's primary colour (7.6:1 on white); text: the theme's.
const COULEUR_BARRE: &str = "#0b5d5b";
const COULEUR_TEXTE: &str = "#1d2327";
const COULEUR_AXE: &str = "#4a5560";

/// Escapes text for SVG content and attribute values.
pub fn echapper(texte: &str) -> String {
    let mut s = String::with_capacity(texte.len());
    for c in texte.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// `1 234 567` (narrow no-break spaces), as French writes numbers.
pub fn nombre_fr(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// `12,5 %`: `part` of `total` with one decimal; `0 %` when the total is 0.
pub fn pourcentage_fr(part: u64, total: u64) -> String {
    if total == 0 {
        return "0\u{202f}%".to_string();
    }
    let dixiemes = (part as f64 * 1000.0 / total as f64).round() as u64;
    let (entier, decimale) = (dixiemes / 10, dixiemes % 10);
    if decimale == 0 {
        format!("{}\u{202f}%", nombre_fr(entier))
    } else {
        format!("{},{decimale}\u{202f}%", nombre_fr(entier))
    }
}

/// Length of the bar of `valeur` when `max` fills `longueur` (0 for 0, at
/// least 1 otherwise so a small value stays visible).
fn longueur_barre(valeur: u64, max: u64, longueur: f64) -> f64 {
    if valeur == 0 || max == 0 {
        return 0.0;
    }
    (valeur as f64 / max as f64 * longueur).max(1.0)
}

/// The opening of a chart: `<svg>` with its title and description.
fn entete(s: &mut String, id: &str, titre: &str, description: &str, largeur: u32, hauteur: u32) {
    let id = echapper(id);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"graphique-svg\" \
         viewBox=\"0 0 {largeur} {hauteur}\" width=\"{largeur}\" height=\"{hauteur}\" \
         aria-labelledby=\"{id}-titre {id}-desc\" font-family=\"system-ui, sans-serif\" \
         font-size=\"13\"><title id=\"{id}-titre\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        echapper(titre),
        echapper(description)
    );
}

const LARGEUR: u32 = 720;

/// Horizontal bars, one line per value (for categories with long labels):
/// the label on the left, the bar, its value after it.
pub fn barres_horizontales(id: &str, titre: &str, description: &str, barres: &[Barre]) -> String {
    const HAUTEUR_LIGNE: u32 = 26;
    const LIBELLES: f64 = 260.0;
    const VALEUR: f64 = 70.0;
    let hauteur = HAUTEUR_LIGNE * barres.len().max(1) as u32 + 8;
    let longueur = f64::from(LARGEUR) - LIBELLES - VALEUR - 10.0;
    let max = barres.iter().map(|b| b.valeur).max().unwrap_or(0);
    let mut s = String::new();
    entete(&mut s, id, titre, description, LARGEUR, hauteur);
    let _ = write!(
        s,
        "<line x1=\"{LIBELLES}\" y1=\"2\" x2=\"{LIBELLES}\" y2=\"{}\" stroke=\"{COULEUR_AXE}\"/>",
        hauteur - 2
    );
    for (i, b) in barres.iter().enumerate() {
        let y = 4 + HAUTEUR_LIGNE * i as u32;
        let l = longueur_barre(b.valeur, max, longueur);
        let milieu = y + 13;
        let _ = write!(
            s,
            "<g><text x=\"{}\" y=\"{milieu}\" dominant-baseline=\"middle\" text-anchor=\"end\" \
             fill=\"{COULEUR_TEXTE}\">{}</text>\
             <rect x=\"{LIBELLES}\" y=\"{}\" width=\"{l:.1}\" height=\"18\" fill=\"{COULEUR_BARRE}\"/>\
             <text x=\"{:.1}\" y=\"{milieu}\" dominant-baseline=\"middle\" fill=\"{COULEUR_TEXTE}\" \
             font-weight=\"600\">{}</text></g>",
            LIBELLES - 6.0,
            echapper(&raccourcir(&b.libelle, 38)),
            y + 4,
            LIBELLES + l + 6.0,
            nombre_fr(b.valeur)
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars (for a time series): the value above each bar, the label
/// under it.
pub fn barres_verticales(id: &str, titre: &str, description: &str, barres: &[Barre]) -> String {
    const HAUTEUR: u32 = 260;
    const BAS: f64 = 40.0;
    const HAUT: f64 = 24.0;
    let n = barres.len().max(1) as f64;
    let pas = f64::from(LARGEUR) / n;
    let largeur_barre = (pas * 0.7).max(2.0);
    let longueur = f64::from(HAUTEUR) - BAS - HAUT;
    let base = f64::from(HAUTEUR) - BAS;
    let max = barres.iter().map(|b| b.valeur).max().unwrap_or(0);
    let mut s = String::new();
    entete(&mut s, id, titre, description, LARGEUR, HAUTEUR);
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"{base}\" x2=\"{LARGEUR}\" y2=\"{base}\" stroke=\"{COULEUR_AXE}\"/>"
    );
    for (i, b) in barres.iter().enumerate() {
        let centre = pas * (i as f64 + 0.5);
        let h = longueur_barre(b.valeur, max, longueur);
        let _ = write!(
            s,
            "<g><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{largeur_barre:.1}\" height=\"{h:.1}\" \
             fill=\"{COULEUR_BARRE}\"/>\
             <text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{COULEUR_TEXTE}\" \
             font-weight=\"600\">{}</text>\
             <text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{COULEUR_TEXTE}\">{}</text></g>",
            centre - largeur_barre / 2.0,
            base - h,
            base - h - 6.0,
            nombre_fr(b.valeur),
            base + 18.0,
            echapper(&raccourcir(&b.libelle, 10))
        );
    }
    s.push_str("</svg>");
    s
}

/// At most `n` characters, with an ellipsis when cut (the table beside the
/// chart has the whole label).
pub(crate) fn raccourcir(texte: &str, n: usize) -> String {
    if texte.chars().count() <= n {
        texte.to_string()
    } else {
        let mut s: String = texte.chars().take(n.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `width="…"` of every `<rect>`, in order.
    fn largeurs(svg: &str, attribut: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let debut =
                    r.find(&format!("{attribut}=\"")).expect("attribute") + attribut.len() + 2;
                let fin = r[debut..].find('"').expect("end") + debut;
                r[debut..fin].parse().expect("number")
            })
            .collect()
    }

    #[test]
    fn libelles_echappes_et_accessibles() {
        let svg = barres_horizontales(
            "g1",
            "Titre <b> & « guillemets »",
            "Description \"citée\"",
            &[Barre::new("<script>alert('x')</script>", 3)],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(svg.contains("<title id=\"g1-titre\">Titre &lt;b&gt; &amp; « guillemets »</title>"));
        assert!(svg.contains("<desc id=\"g1-desc\">Description &quot;citée&quot;</desc>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"g1-titre g1-desc\""));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn barres_proportionnelles_et_valeurs_ecrites() {
        let barres = [
            Barre::new("a", 100),
            Barre::new("b", 50),
            Barre::new("c", 25),
            Barre::new("d", 1234),
        ];
        // Each bar is its value's share of the longest one (to the 0.1
        // pixel the SVG is written with).
        let proportionnelles = |tailles: &[f64]| {
            assert_eq!(tailles.len(), barres.len());
            for (b, t) in barres.iter().zip(tailles) {
                let attendue = b.valeur as f64 / 1234.0 * tailles[3];
                assert!(
                    (t - attendue).abs() <= 0.1,
                    "{} : {t} ≠ {attendue}",
                    b.libelle
                );
            }
        };
        let svg = barres_horizontales("h", "t", "d", &barres);
        proportionnelles(&largeurs(&svg, "width"));
        assert!(svg.contains(">1\u{202f}234</text>"));
        let svg = barres_verticales("v", "t", "d", &barres);
        proportionnelles(&largeurs(&svg, "height"));
        for b in &barres {
            assert!(svg.contains(&format!(">{}</text>", nombre_fr(b.valeur))));
        }
    }

    #[test]
    fn donnees_nulles_ou_absentes() {
        let svg = barres_horizontales("z", "t", "d", &[Barre::new("a", 0), Barre::new("b", 0)]);
        assert_eq!(largeurs(&svg, "width"), [0.0, 0.0]);
        assert!(svg.contains(">0</text>"));
        let svg = barres_verticales("z", "t", "d", &[]);
        assert!(!svg.contains("<rect"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let svg = barres_horizontales("z", "t", "d", &[]);
        assert!(!svg.contains("NaN"));
        // A tiny value next to a large one is still drawn.
        let svg = barres_horizontales(
            "p",
            "t",
            "d",
            &[Barre::new("a", 1), Barre::new("b", 1_000_000)],
        );
        assert!(largeurs(&svg, "width")[0] >= 1.0);
    }

    #[test]
    fn nombres_et_pourcentages_en_francais() {
        assert_eq!(nombre_fr(0), "0");
        assert_eq!(nombre_fr(999), "999");
        assert_eq!(nombre_fr(1234), "1\u{202f}234");
        assert_eq!(nombre_fr(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(pourcentage_fr(1, 8), "12,5\u{202f}%");
        assert_eq!(pourcentage_fr(1, 3), "33,3\u{202f}%");
        assert_eq!(pourcentage_fr(2, 2), "100\u{202f}%");
        assert_eq!(pourcentage_fr(0, 0), "0\u{202f}%");
    }

    #[test]
    fn libelles_longs_raccourcis() {
        assert_eq!(raccourcir("abc", 5), "abc");
        assert_eq!(raccourcir("abcdef", 4), "abc…");
    }
}
