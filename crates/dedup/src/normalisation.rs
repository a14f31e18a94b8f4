//! Comparison forms of a place, computed once per record so that scoring a
//! pair only compares prepared keys.

use maillage_lieux::texte::cle_comparaison;
use maillage_lieux::{Lieu, PrecisionCoordonnees};

/// Words that say what kind of place it is, not which one: two places both
/// called "Médiathèque" or "Mairie" are not the same for that reason.
const MOTS_GENERIQUES: &[&str] = &[
    "accueil",
    "action",
    "agence",
    "annexe",
    "antenne",
    "association",
    "asso",
    "atelier",
    "ateliers",
    "base",
    "bibliotheque",
    "bp",
    "bureau",
    "bus",
    "cafe",
    "ccas",
    "cias",
    "centre",
    "centres",
    "cc",
    "club",
    "commune",
    "communal",
    "communale",
    "communaute",
    "communes",
    "conseiller",
    "conseillers",
    "cs",
    "csc",
    "culturel",
    "culturelle",
    "cyber",
    "cyberbase",
    "departement",
    "departemental",
    "departementale",
    "emploi",
    "epn",
    "espace",
    "espaces",
    "famille",
    "familles",
    "formation",
    "france",
    "info",
    "information",
    "informatique",
    "insertion",
    "intercommunal",
    "intercommunale",
    "jeunes",
    "jeunesse",
    "lieu",
    "lieux",
    "ludotheque",
    "mairie",
    "maison",
    "maisons",
    "mds",
    "mediatheque",
    "mission",
    "mjc",
    "msap",
    "multimedia",
    "municipal",
    "municipale",
    "numerique",
    "numeriques",
    "permanence",
    "pimms",
    "point",
    "pole",
    "poste",
    "postale",
    "public",
    "publics",
    "quartier",
    "relais",
    "ressources",
    "salle",
    "service",
    "services",
    "social",
    "sociale",
    "sociaux",
    "socio",
    "socioculturel",
    "solidarite",
    "solidarites",
    "tiers",
    "ville",
];

/// Words that carry no meaning at all in a name or an address.
const MOTS_VIDES: &[&str] = &[
    "a", "au", "aux", "d", "de", "del", "des", "du", "en", "et", "l", "la", "le", "les", "sur",
    "sous", "the",
];

/// Street-type abbreviations and their full form.
const ABREVIATIONS: &[(&str, &str)] = &[
    ("all", "allee"),
    ("av", "avenue"),
    ("ave", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("blvd", "boulevard"),
    ("bvd", "boulevard"),
    ("ch", "chemin"),
    ("che", "chemin"),
    ("chem", "chemin"),
    ("crs", "cours"),
    ("fg", "faubourg"),
    ("fbg", "faubourg"),
    ("gde", "grande"),
    ("imp", "impasse"),
    ("lot", "lotissement"),
    ("pl", "place"),
    ("pte", "porte"),
    ("qu", "quai"),
    ("r", "rue"),
    ("rte", "route"),
    ("sq", "square"),
    ("st", "saint"),
    ("ste", "sainte"),
    ("zi", "zone"),
    ("za", "zone"),
    ("zac", "zone"),
];

/// Abbreviations of place names, expanded so that "BP" meets "bureau de
/// poste" and "CCAS" meets "centre communal d'action sociale".
const ABREVIATIONS_NOM: &[(&str, &[&str])] = &[
    ("bp", &["bureau", "poste"]),
    ("ccas", &["centre", "communal", "action", "sociale"]),
    ("efs", &["espace", "france", "services"]),
    ("epn", &["espace", "public", "numerique"]),
    ("mjc", &["maison", "jeunes", "culture"]),
    ("msap", &["maison", "services", "public"]),
    ("pij", &["point", "information", "jeunesse"]),
    ("bij", &["bureau", "information", "jeunesse"]),
];

/// Kinds of places named in a name. Two names that each name a kind, and no
/// common one, describe two places ("Mairie de X" / "Bibliothèque de X"),
/// even in one building with one phone.
const FAMILLES: &[&[&str]] = &[
    &["mairie", "commune", "hotel"],
    &["mediatheque", "bibliotheque", "ludotheque"],
    &["ccas", "cias"],
    &["poste", "postale", "bp"],
    &["msap", "efs", "france"],
    &["mjc"],
    &["pij", "bij", "jeunesse"],
    &["caf", "cpam", "msa"],
];

/// Street types: "5 rue du Halage" and "5 chemin du Halage" name one street
/// more often than two.
const TYPES_VOIE: &[&str] = &[
    "allee",
    "avenue",
    "boulevard",
    "chemin",
    "cours",
    "faubourg",
    "impasse",
    "place",
    "quai",
    "route",
    "rue",
    "square",
];

/// Website hosts shared by unrelated places: equal hosts say nothing.
const HOTES_GENERIQUES: &[&str] = &[
    "facebook.com",
    "fr-fr.facebook.com",
    "m.facebook.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "youtube.com",
    "sites.google.com",
    "google.com",
    "goo.gl",
    "wixsite.com",
    "wordpress.com",
    "over-blog.com",
    "blogspot.com",
    "france-services.gouv.fr",
    "service-public.fr",
    "lannuaire.service-public.fr",
    "conseiller-numerique.gouv.fr",
    "cartographie.societenumerique.gouv.fr",
    "aidantsconnect.beta.gouv.fr",
    "laposte.fr",
    "lapostegroupe.com",
    "caf.fr",
    "pole-emploi.fr",
    "francetravail.fr",
    "ameli.fr",
    "msa.fr",
    "emmaus-connect.org",
    "croix-rouge.fr",
    "pimms.org",
];

fn mot_generique(mot: &str) -> bool {
    MOTS_GENERIQUES.contains(&mot)
}

fn mot_vide(mot: &str) -> bool {
    MOTS_VIDES.contains(&mot)
}

fn developper(mot: &str) -> &str {
    ABREVIATIONS
        .iter()
        .find(|(court, _)| *court == mot)
        .map(|(_, long)| *long)
        .unwrap_or(mot)
}

/// A place prepared for comparison.
#[derive(Debug, Clone, Default)]
pub struct Prepare {
    /// Name key (accent/case folded, abbreviations expanded, empty words dropped).
    pub nom: String,
    /// Initials of the name's words ("foyer laique education permanente" →
    /// "flep"), to meet acronyms.
    pub sigle: String,
    /// Street key without the street type.
    pub voie_sans_type: String,
    /// Bit set of the [`FAMILLES`] the name mentions.
    pub familles: u16,
    /// Name tokens with their weight (1 for distinctive words, less for generic
    /// words and for the commune's own name).
    pub jetons_nom: Vec<(String, f64)>,
    /// House number (digits only) when the address starts with one.
    pub numero: Option<String>,
    /// Street key without the number.
    pub voie: String,
    /// Commune key: the INSEE code when known, else the folded name.
    pub commune: String,
    pub code_insee: Option<String>,
    /// (latitude, longitude) when usable.
    pub point: Option<(f64, f64)>,
    /// True when the point only locates the commune.
    pub point_approximatif: bool,
    /// Real SIRET/RNA/RIDET, not the placeholder.
    pub pivot: Option<String>,
    /// First 9 digits of a SIRET.
    pub siren: Option<String>,
    /// Last 9 digits of the phone (national significant number).
    pub telephone: Option<String>,
    pub courriels: Vec<String>,
    /// Website hosts that are specific to the place.
    pub hotes: Vec<String>,
}

/// Folded words of a text, with abbreviations expanded and empty words dropped.
pub fn mots(texte: &str) -> Vec<String> {
    cle_comparaison(texte)
        .split(' ')
        .filter(|m| !m.is_empty())
        .map(developper)
        .filter(|m| !mot_vide(m))
        .map(str::to_string)
        .collect()
}

/// Key of a commune name ("ST FRAIGNE" and "Saint-Fraigne" agree).
pub fn cle_commune(commune: &str) -> String {
    mots(commune).join(" ")
}

/// House number and street key of an address.
pub fn decouper_adresse(adresse: &str) -> (Option<String>, String) {
    let mut numero = None;
    let mut voie = Vec::new();
    for (i, m) in mots(adresse).into_iter().enumerate() {
        if i == 0 && m.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            // "12b", "12-14": keep the leading digits, repetition indices vary.
            let chiffres: String = m.chars().take_while(|c| c.is_ascii_digit()).collect();
            numero = Some(chiffres);
            continue;
        }
        if matches!(m.as_str(), "bis" | "ter" | "b" | "t") && voie.is_empty() {
            continue;
        }
        voie.push(m);
    }
    (numero, voie.join(" "))
}

/// National significant number: the last 9 digits (6 for New Caledonia and
/// other short plans), so `+33 5 45…`, `05 45…` and `0545…` agree.
pub fn cle_telephone(telephone: &str) -> Option<String> {
    let chiffres: String = telephone.chars().filter(|c| c.is_ascii_digit()).collect();
    if chiffres.len() < 6 || chiffres.chars().all(|c| c == '0') {
        return None;
    }
    let garder = if chiffres.len() >= 10 {
        9
    } else if chiffres.len() == 9
        && ["687", "689", "681", "508"]
            .iter()
            .any(|p| chiffres.starts_with(p))
    {
        // Pacific and Saint-Pierre plans have 6-digit numbers behind a 3-digit code.
        6
    } else {
        chiffres.len()
    };
    let debut = chiffres.len().saturating_sub(garder);
    chiffres.get(debut..).map(str::to_string)
}

/// Host of a URL, lower case, without `www.`; `None` for generic hosts.
pub fn hote_specifique(url: &str) -> Option<String> {
    let u = url.trim().to_lowercase();
    let sans_schema = u.split("://").nth(1).unwrap_or(&u);
    let hote = sans_schema
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default()
        .trim_start_matches("www.");
    if hote.is_empty() || !hote.contains('.') {
        return None;
    }
    let generique = HOTES_GENERIQUES
        .iter()
        .any(|g| hote == *g || hote.ends_with(&format!(".{g}")));
    (!generique).then(|| hote.to_string())
}

/// Real pivot (SIRET, RNA, RIDET) or `None` for the placeholder and junk.
pub fn pivot_reel(pivot: &str) -> Option<String> {
    let p: String = pivot.chars().filter(|c| !c.is_whitespace()).collect();
    if p.len() < 6 || !p.chars().any(|c| c.is_ascii_alphanumeric() && c != '0') {
        return None;
    }
    Some(p.to_uppercase())
}

impl Prepare {
    pub fn depuis(lieu: &Lieu) -> Prepare {
        let commune_mots = mots(&lieu.commune);
        let mut jetons_nom: Vec<(String, f64)> = Vec::new();
        let nom_mots = mots(&lieu.nom);
        let sigle: String = if nom_mots.len() >= 3 {
            nom_mots.iter().filter_map(|m| m.chars().next()).collect()
        } else {
            String::new()
        };
        let mut familles = 0u16;
        for (k, f) in FAMILLES.iter().enumerate() {
            if nom_mots.iter().any(|m| f.contains(&m.as_str())) {
                familles |= 1 << k;
            }
        }
        let mut developpes: Vec<String> = Vec::new();
        for m in &nom_mots {
            match ABREVIATIONS_NOM.iter().find(|(court, _)| court == m) {
                Some((_, long)) => developpes.extend(long.iter().map(|x| x.to_string())),
                None => developpes.push(m.clone()),
            }
        }
        for m in &developpes {
            if jetons_nom.iter().any(|(x, _)| x == m) {
                continue;
            }
            // The commune's name in a place's name is shared by every place of
            // the commune: it is not what tells them apart.
            let poids = if mot_generique(m) || commune_mots.contains(m) {
                0.25
            } else if m.chars().all(|c| c.is_ascii_digit()) || m.len() == 1 {
                0.5
            } else {
                1.0
            };
            jetons_nom.push((m.clone(), poids));
        }
        let (numero, voie) = decouper_adresse(&lieu.adresse);
        let voie_sans_type = voie
            .split(' ')
            .filter(|m| !TYPES_VOIE.contains(m))
            .collect::<Vec<_>>()
            .join(" ");
        let code_insee = lieu
            .code_insee
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let commune = match &code_insee {
            Some(c) => c.clone(),
            None => commune_mots.join(" "),
        };
        let point = match (lieu.latitude, lieu.longitude) {
            (Some(la), Some(lo))
                if la.is_finite()
                    && lo.is_finite()
                    && (-90.0..=90.0).contains(&la)
                    && (-180.0..=180.0).contains(&lo)
                    && la != 0.0
                    && lo != 0.0 =>
            {
                Some((la, lo))
            }
            _ => None,
        };
        let pivot = pivot_reel(&lieu.pivot);
        let siren = pivot
            .as_deref()
            .filter(|p| p.len() == 14 && p.chars().all(|c| c.is_ascii_digit()))
            .and_then(|p| p.get(..9))
            .map(str::to_string);
        let mut courriels: Vec<String> = lieu
            .courriels
            .iter()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| c.contains('@'))
            .collect();
        courriels.sort();
        courriels.dedup();
        let mut hotes: Vec<String> = lieu
            .site_web
            .iter()
            .filter_map(|u| hote_specifique(u))
            .collect();
        hotes.sort();
        hotes.dedup();
        Prepare {
            nom: nom_mots.join(" "),
            sigle,
            voie_sans_type,
            familles,
            jetons_nom,
            numero,
            voie,
            commune,
            code_insee,
            point,
            point_approximatif: lieu.precision_coordonnees == PrecisionCoordonnees::Commune,
            pivot,
            siren,
            telephone: lieu.telephone.as_deref().and_then(cle_telephone),
            courriels,
            hotes,
        }
    }

    /// Name tokens that identify the place (weight 1).
    pub fn jetons_distinctifs(&self) -> impl Iterator<Item = &str> {
        self.jetons_nom
            .iter()
            .filter(|(_, p)| *p >= 1.0)
            .map(|(m, _)| m.as_str())
    }
}

/// Great-circle distance in metres.
pub fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8_f64;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = lo2 - lo1;
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_expand_abbreviations() {
        assert_eq!(
            decouper_adresse("12 bis R. de la Paix"),
            (Some("12".to_string()), "rue paix".to_string())
        );
        assert_eq!(
            decouper_adresse("235 AV DU GENERAL DE GAULLE"),
            decouper_adresse("235 Avenue du Général de Gaulle")
        );
        assert_eq!(decouper_adresse("Le Bourg"), (None, "bourg".to_string()));
    }

    #[test]
    fn phones_agree_across_formats() {
        assert_eq!(
            cle_telephone("+33545952811"),
            cle_telephone("05 45 95 28 11")
        );
        assert_eq!(cle_telephone("+687445728").as_deref(), Some("445728"));
        assert_eq!(cle_telephone("44.57.28").as_deref(), Some("445728"));
        assert_eq!(cle_telephone("00"), None);
    }

    #[test]
    fn generic_hosts_are_ignored() {
        assert_eq!(hote_specifique("https://www.facebook.com/mairie"), None);
        assert_eq!(
            hote_specifique("https://www.emmaus-ruffec.com/espace.php").as_deref(),
            Some("emmaus-ruffec.com")
        );
        assert_eq!(
            hote_specifique("https://www.france-services.gouv.fr/x"),
            None
        );
    }

    #[test]
    fn placeholder_pivot_is_not_real() {
        assert_eq!(pivot_reel("00000000000000"), None);
        assert_eq!(pivot_reel("").as_deref(), None);
        assert_eq!(
            pivot_reel("356 000 000 63516").as_deref(),
            Some("35600000063516")
        );
    }

    #[test]
    fn haversine_is_metres() {
        // One degree of latitude is about 111 km.
        let d = haversine((45.0, 0.0), (46.0, 0.0));
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
    }
}
