//! Validation of raw records against the standard v1.0.2.
//!
//! Policy: a missing or invalid required field (`id`, `nom`, `commune`,
//! `code_postal`, `adresse`, `date_maj`) is an Erreur and no place is built.
//! Everything else is repaired or dropped with an Avertissement that names
//! the value, and the record is kept: one bad phone number must not hide a
//! place from the map.

use crate::brut::LieuBrut;
use crate::enums::{Ensemble, Valeur};
use crate::horaires;
use crate::issue::{Gravite, Issue};
use crate::lieu::{Lieu, PrecisionCoordonnees, PIVOT_INCONNU};
use crate::texte::cle_comparaison;
use crate::Texte;
use chrono::NaiveDate;
use regex::Regex;
use std::sync::OnceLock;

/// Raw key (not a field of the standard) carrying the coordinates' precision
/// code ([`PrecisionCoordonnees::code`]), set by geolocation.
pub const CLE_PRECISION: &str = "precision_coordonnees";

/// Maximum length of `presentation_resume` (schema `maxLength`).
pub const RESUME_MAX: usize = 280;
/// Fields longer than this (in characters) are truncated.
pub const CHAMP_MAX: usize = 10_000;
/// Limit for `presentation_detail`, the one long text of the standard.
pub const DETAIL_MAX: usize = 20_000;

/// Validation options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Unreadable opening hours reject the record instead of being dropped.
    pub strict_horaires: bool,
    /// Reference day: a `date_maj` after it is suspect.
    pub aujourd_hui: NaiveDate,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strict_horaires: false,
            aujourd_hui: chrono::Local::now().date_naive(),
        }
    }
}

/// Outcome of the validation of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Resultat {
    /// The place, `None` when an Erreur rejected the record.
    pub lieu: Option<Lieu>,
    pub issues: Vec<Issue>,
}

impl Resultat {
    /// True when the record was accepted without any remark.
    pub fn sans_remarque(&self) -> bool {
        self.lieu.is_some() && self.issues.is_empty()
    }
}

/// Validates a row of a standard CSV file given its header.
pub fn valider_csv_ligne<S: AsRef<str>>(
    entetes: &[S],
    cellules: &[S],
    line: Option<u64>,
    options: &Options,
) -> Resultat {
    let mut brut = LieuBrut::new(line);
    for (k, v) in entetes.iter().zip(cellules) {
        brut.set(k.as_ref().trim(), v.as_ref());
    }
    valider(&brut, options)
}

struct Contexte {
    line: Option<u64>,
    id: Option<String>,
    issues: Vec<Issue>,
    rejete: bool,
}

impl Contexte {
    fn avertir(&mut self, code: &'static str, champ: &str, message: String) {
        let issue = Issue::avertissement(code, champ, message)
            .at(None, self.line)
            .for_record(self.id.as_deref());
        self.issues.push(issue);
    }

    fn erreur(&mut self, code: &'static str, champ: &str, message: String) {
        let issue = Issue::erreur(code, champ, message)
            .at(None, self.line)
            .for_record(self.id.as_deref());
        self.issues.push(issue);
        self.rejete = true;
    }
}

/// Validates one record. Never panics, whatever the input.
pub fn valider(brut: &LieuBrut, options: &Options) -> Resultat {
    let mut cx = Contexte {
        line: brut.line,
        id: brut.get("id").map(|s| extrait(s, 100)),
        issues: Vec::new(),
        rejete: false,
    };

    // Working copy with oversized fields truncated first, so that every later
    // rule runs on bounded text.
    let mut valeurs: std::collections::BTreeMap<&str, String> = Default::default();
    for (k, v) in &brut.values {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let max = if k == "presentation_detail" {
            DETAIL_MAX
        } else {
            CHAMP_MAX
        };
        if v.chars().count() > max {
            cx.avertir(
                "champ_trop_long",
                k,
                format!("valeur de plus de {max} caractères : tronquée à {max} caractères"),
            );
            valeurs.insert(k.as_str(), v.chars().take(max).collect());
        } else {
            valeurs.insert(k.as_str(), v.to_string());
        }
    }
    let get = |c: &str| valeurs.get(c).map(String::as_str);

    // Required fields.
    let requis = |cx: &mut Contexte, champ: &str| -> Texte {
        match get(champ) {
            Some(v) => Texte::from(v),
            None => {
                cx.erreur(
                    "champ_obligatoire",
                    champ,
                    format!("le champ obligatoire « {champ} » est absent ou vide"),
                );
                Texte::default()
            }
        }
    };
    let id = requis(&mut cx, "id");
    let nom = requis(&mut cx, "nom");
    let commune = requis(&mut cx, "commune");
    let adresse = requis(&mut cx, "adresse");
    let code_postal = code_postal(&mut cx, get("code_postal"));
    let date_maj = date_maj(&mut cx, get("date_maj"), options);

    let code_insee = code_insee(&mut cx, get("code_insee"));
    let departement = departement(code_insee.as_deref(), &code_postal);
    let pivot = pivot(&mut cx, get("pivot"), departement.as_deref());
    let (latitude, longitude) = coordonnees(&mut cx, get("latitude"), get("longitude"));
    let precision = if latitude.is_some() {
        match get(CLE_PRECISION).map(PrecisionCoordonnees::depuis_code) {
            Some(p) if p != PrecisionCoordonnees::Aucune => p,
            _ => PrecisionCoordonnees::Source,
        }
    } else {
        PrecisionCoordonnees::Aucune
    };
    let telephone = telephone(&mut cx, get("telephone"), departement.as_deref());
    let courriels = courriels(&mut cx, get("courriels"));
    let site_web = urls(&mut cx, "site_web", get("site_web"), true);
    let fiche_acces_libre = urls(
        &mut cx,
        "fiche_acces_libre",
        get("fiche_acces_libre"),
        false,
    )
    .into_iter()
    .next();
    let prise_rdv = urls(&mut cx, "prise_rdv", get("prise_rdv"), false)
        .into_iter()
        .next();
    let horaires = match get("horaires") {
        None => None,
        Some(h) => match horaires::normaliser(h) {
            Ok(n) => Some(Texte::from(n)),
            Err(raison) => {
                if options.strict_horaires {
                    cx.erreur("horaires_illisibles", "horaires", raison);
                } else {
                    cx.avertir(
                        "horaires_illisibles",
                        "horaires",
                        format!("{raison} : valeur retirée"),
                    );
                }
                None
            }
        },
    };
    let presentation_resume = get("presentation_resume").map(|r| resume(&mut cx, r));
    let texte = |c: &str| get(c).map(Texte::from);

    let lieu = Lieu {
        id,
        pivot,
        nom,
        commune,
        code_postal,
        code_insee,
        adresse,
        complement_adresse: texte("complement_adresse"),
        latitude,
        longitude,
        typologie: ensemble(&mut cx, get("typologie")),
        telephone,
        courriels,
        site_web,
        horaires,
        presentation_resume,
        presentation_detail: texte("presentation_detail"),
        source: texte("source"),
        itinerance: ensemble(&mut cx, get("itinerance")),
        structure_parente: texte("structure_parente"),
        date_maj: date_maj.unwrap_or_default(),
        services: ensemble(&mut cx, get("services")),
        publics_specifiquement_adresses: ensemble(&mut cx, get("publics_specifiquement_adresses")),
        prise_en_charge_specifique: ensemble(&mut cx, get("prise_en_charge_specifique")),
        frais_a_charge: ensemble(&mut cx, get("frais_a_charge")),
        dispositif_programmes_nationaux: ensemble(&mut cx, get("dispositif_programmes_nationaux")),
        formations_labels: ensemble(&mut cx, get("formations_labels")),
        autres_formations_labels: liste_libre(get("autres_formations_labels")),
        modalites_acces: ensemble(&mut cx, get("modalites_acces")),
        modalites_accompagnement: ensemble(&mut cx, get("modalites_accompagnement")),
        fiche_acces_libre,
        prise_rdv,
        precision_coordonnees: precision,
    };
    let rejete = cx.rejete || date_maj.is_none();
    Resultat {
        lieu: if rejete { None } else { Some(lieu) },
        issues: cx.issues,
    }
}

fn extrait(texte: &str, max: usize) -> String {
    if texte.chars().count() <= max {
        texte.to_string()
    } else {
        let debut: String = texte.chars().take(max).collect();
        format!("{debut}…")
    }
}

fn code_postal(cx: &mut Contexte, v: Option<&str>) -> Texte {
    let Some(v) = v else {
        cx.erreur(
            "champ_obligatoire",
            "code_postal",
            "le champ obligatoire « code_postal » est absent ou vide".to_string(),
        );
        return Texte::default();
    };
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() == 5 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return compact.into();
    }
    // Spreadsheets drop the leading zero of 01000-09999.
    if compact.len() == 4 && compact.bytes().all(|b| b.is_ascii_digit()) {
        let corrige = format!("0{compact}");
        cx.avertir(
            "code_postal_corrige",
            "code_postal",
            format!("code postal « {v} » complété en « {corrige} » (zéro initial perdu)"),
        );
        return corrige.into();
    }
    cx.erreur(
        "code_postal_invalide",
        "code_postal",
        format!(
            "code postal « {} » invalide : 5 chiffres attendus",
            extrait(v, 40)
        ),
    );
    Texte::default()
}

fn date_maj(cx: &mut Contexte, v: Option<&str>, options: &Options) -> Option<NaiveDate> {
    let Some(v) = v else {
        cx.erreur(
            "champ_obligatoire",
            "date_maj",
            "le champ obligatoire « date_maj » est absent ou vide".to_string(),
        );
        return None;
    };
    let Some(date) = lire_date(v) else {
        cx.erreur(
            "date_invalide",
            "date_maj",
            format!(
                "date « {} » illisible : formats acceptés AAAA-MM-JJ, JJ/MM/AAAA ou date-heure ISO 8601",
                extrait(v, 40)
            ),
        );
        return None;
    };
    let epoque = date.format("%Y-%m-%d").to_string();
    if epoque == "1969-12-31" || epoque == "1970-01-01" {
        cx.avertir(
            "date_maj_suspecte",
            "date_maj",
            format!("date de mise à jour {epoque} : valeur par défaut d'un système (date 0), pas une vraie date"),
        );
    } else if date > options.aujourd_hui {
        cx.avertir(
            "date_maj_suspecte",
            "date_maj",
            format!("date de mise à jour {epoque} dans le futur"),
        );
    }
    Some(date)
}

/// `YYYY-MM-DD`, `DD/MM/YYYY`, or an ISO 8601 date-time (its date part).
pub fn lire_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%d/%m/%Y") {
        return Some(d);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(dt.date_naive());
    }
    // `2024-04-02T10:00:00` or `2024-04-02 10:00:00.000`, without offset.
    let tete = v.get(..10)?;
    let suite = v.get(10..)?;
    if suite.starts_with(['T', ' ']) {
        let reste = &suite[1..];
        if reste.len() >= 5
            && reste
                .bytes()
                .all(|b| b.is_ascii_digit() || b":.+-Z ".contains(&b))
        {
            return NaiveDate::parse_from_str(tete, "%Y-%m-%d").ok();
        }
    }
    None
}

fn re(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

fn correspond(cell: &'static OnceLock<Option<Regex>>, pattern: &str, texte: &str) -> bool {
    re(cell, pattern).is_some_and(|r| r.is_match(texte))
}

fn code_insee(cx: &mut Contexte, v: Option<&str>) -> Option<Texte> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    const MOTIF: &str = r"^([013-9]\d|2[AB1-9])\d{3}$";
    let v = v?;
    let code: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if correspond(&RE, MOTIF, &code) {
        return Some(code.into());
    }
    if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) {
        let corrige = format!("0{code}");
        if correspond(&RE, MOTIF, &corrige) {
            cx.avertir(
                "code_insee_corrige",
                "code_insee",
                format!("code INSEE « {v} » complété en « {corrige} » (zéro initial perdu)"),
            );
            return Some(corrige.into());
        }
    }
    cx.avertir(
        "code_insee_invalide",
        "code_insee",
        format!(
            "code INSEE « {} » invalide (code officiel géographique à 5 caractères) : retiré",
            extrait(v, 40)
        ),
    );
    None
}

/// Département of the place: 3 characters overseas (97x, 98x), else 2.
fn departement(code_insee: Option<&str>, code_postal: &str) -> Option<String> {
    let code = code_insee.unwrap_or(code_postal);
    if code.starts_with("97") || code.starts_with("98") {
        code.get(..3).map(str::to_string)
    } else {
        code.get(..2).map(str::to_string)
    }
}

fn pivot(cx: &mut Contexte, v: Option<&str>, departement: Option<&str>) -> Texte {
    let Some(v) = v else {
        cx.avertir(
            "pivot_absent",
            "pivot",
            format!("pivot absent : remplacé par {PIVOT_INCONNU}"),
        );
        return PIVOT_INCONNU.into();
    };
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    let chiffres = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if compact.len() == 14 && chiffres(&compact) {
        return compact.into();
    }
    let rna = compact.to_uppercase();
    if rna.len() == 10
        && rna.starts_with('W')
        && rna.bytes().skip(1).all(|b| b.is_ascii_alphanumeric())
    {
        return rna.into();
    }
    // RIDET (Nouvelle-Calédonie, Polynésie): 6-7 digits + 3-digit
    // establishment, often written `1234567.001`.
    let ridet: String = compact.chars().filter(|c| *c != '.').collect();
    if matches!(departement, Some("988") | Some("987"))
        && (9..=10).contains(&ridet.len())
        && chiffres(&ridet)
    {
        return ridet.into();
    }
    cx.avertir(
        "pivot_invalide",
        "pivot",
        format!(
            "pivot « {} » ni SIRET (14 chiffres), ni RNA (W + 9 caractères), ni RIDET : remplacé par {PIVOT_INCONNU}",
            extrait(v, 40)
        ),
    );
    PIVOT_INCONNU.into()
}

fn nombre(v: &str) -> Option<f64> {
    let v = v.trim().replace(',', ".");
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn coordonnees(
    cx: &mut Contexte,
    lat: Option<&str>,
    lon: Option<&str>,
) -> (Option<f64>, Option<f64>) {
    let mut lire = |champ: &str, v: Option<&str>, borne: f64| -> Option<f64> {
        let v = v?;
        let Some(x) = nombre(v) else {
            cx.avertir(
                "coordonnee_invalide",
                champ,
                format!("« {} » n'est pas un nombre : retiré", extrait(v, 40)),
            );
            return None;
        };
        if x == 0.0 {
            cx.avertir(
                "coordonnee_nulle",
                champ,
                "coordonnée égale à 0 : considérée comme absente".to_string(),
            );
            return None;
        }
        if !(-borne..=borne).contains(&x) {
            cx.avertir(
                "coordonnee_hors_limites",
                champ,
                format!("{x} hors de [-{borne}, {borne}] (WGS84 attendu) : retiré"),
            );
            return None;
        }
        Some(x)
    };
    let la = lire("latitude", lat, 90.0);
    let lo = lire("longitude", lon, 180.0);
    match (la, lo) {
        (Some(a), Some(o)) => (Some(a), Some(o)),
        (None, None) => (None, None),
        (Some(_), None) => {
            cx.avertir(
                "coordonnees_incompletes",
                "latitude",
                "latitude sans longitude valide : coordonnées retirées".to_string(),
            );
            (None, None)
        }
        (None, Some(_)) => {
            cx.avertir(
                "coordonnees_incompletes",
                "longitude",
                "longitude sans latitude valide : coordonnées retirées".to_string(),
            );
            (None, None)
        }
    }
}

/// International prefix of a département (overseas ones have their own).
fn indicatif(departement: Option<&str>) -> &'static str {
    match departement {
        Some("971") => "+590",
        Some("972") => "+596",
        Some("973") => "+594",
        Some("974") | Some("976") => "+262",
        Some("975") => "+508",
        Some("986") => "+681",
        Some("987") => "+689",
        Some("988") => "+687",
        _ => "+33",
    }
}

const INDICATIFS: [&str; 10] = [
    "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
];

/// Normalises a phone to the schema's `+CC` + 6 to 9 digits form.
pub fn normaliser_telephone(v: &str, departement: Option<&str>) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    const MOTIF: &str = r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$";
    // First number only.
    let premier = v
        .split(['|', ';', '/', ',', '\n'])
        .map(str::trim)
        .find(|s| !s.is_empty())?;
    let premier = premier.split(" ou ").next().unwrap_or(premier);
    let mut s: String = premier
        .replace("(0)", "")
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if s.starts_with("00") {
        s = format!("+{}", &s[2..]);
    }
    let candidat = if s.starts_with('+') {
        // `+33 0556…`: the national 0 kept after the prefix.
        match INDICATIFS.iter().find(|p| s.starts_with(**p)) {
            Some(p) => {
                let reste = &s[p.len()..];
                let reste = if reste.len() == 10 && reste.starts_with('0') {
                    &reste[1..]
                } else {
                    reste
                };
                format!("{p}{reste}")
            }
            None => s,
        }
    } else {
        let prefixe = indicatif(departement);
        let national = s.strip_prefix('0').unwrap_or(&s);
        if s.starts_with('0') && s.len() != 10 && prefixe == "+33" {
            return None;
        }
        format!("{prefixe}{national}")
    };
    correspond(&RE, MOTIF, &candidat).then_some(candidat)
}

fn telephone(cx: &mut Contexte, v: Option<&str>, departement: Option<&str>) -> Option<Texte> {
    let v = v?;
    match normaliser_telephone(v, departement) {
        Some(n) => {
            if n != v {
                cx.avertir(
                    "telephone_corrige",
                    "telephone",
                    format!("téléphone « {} » écrit « {n} »", extrait(v, 60)),
                );
            }
            Some(n.into())
        }
        None => {
            cx.avertir(
                "telephone_invalide",
                "telephone",
                format!(
                    "téléphone « {} » non reconnu (forme attendue +33180059880) : retiré",
                    extrait(v, 60)
                ),
            );
            None
        }
    }
}

/// E-mail check of the reference library (one address).
pub fn courriel_valide(c: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    correspond(
        &RE,
        r"^[a-zA-Z0-9_][a-zA-Z0-9.!#$%&'*+/=?^_`{}~-]*@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$",
        c,
    )
}

/// URL check of the reference library (plus an optional port).
pub fn url_valide(u: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    correspond(
        &RE,
        r"^[A-Za-z]{3,9}:(?://)?(?:[;:&=+$,A-Za-z0-9_-]+@)?[A-Za-z0-9.-]+(?::\d{1,5})?(?:(?:/[+~,%@/.A-Za-z0-9_-]*)?\??[-+=&;%@.A-Za-z0-9_]*#?[.!/\\A-Za-z0-9_]*)?$",
        u,
    )
}

fn morceaux(v: &str) -> impl Iterator<Item = &str> {
    v.split(|c: char| matches!(c, '|' | ';' | ',') || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn courriels(cx: &mut Contexte, v: Option<&str>) -> Vec<Texte> {
    let mut out: Vec<Texte> = Vec::new();
    for c in morceaux(v.unwrap_or_default()) {
        let c = c
            .strip_prefix("mailto:")
            .unwrap_or(c)
            .trim_matches(['<', '>', '"', '\'', '(', ')']);
        if courriel_valide(c) {
            if !out.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                out.push(c.into());
            }
        } else {
            cx.avertir(
                "courriel_invalide",
                "courriels",
                format!("adresse e-mail « {} » invalide : retirée", extrait(c, 80)),
            );
        }
    }
    out
}

fn urls(cx: &mut Contexte, champ: &str, v: Option<&str>, liste: bool) -> Vec<Texte> {
    static SCHEMA: OnceLock<Option<Regex>> = OnceLock::new();
    let mut out: Vec<Texte> = Vec::new();
    let Some(v) = v else { return out };
    let items: Vec<&str> = if liste {
        morceaux(v).collect()
    } else {
        vec![v.trim()]
    };
    for u in items {
        let avec_schema = if correspond(&SCHEMA, r"^[A-Za-z]{3,9}:", u) {
            u.to_string()
        } else {
            format!("https://{u}")
        };
        // A bare word is not a site: without a scheme the host needs a dot.
        let hote_plausible = avec_schema == u
            || u.split(['/', '?', '#'])
                .next()
                .is_some_and(|h| h.contains('.'));
        if hote_plausible && url_valide(&avec_schema) {
            if avec_schema != u {
                cx.avertir(
                    "url_corrigee",
                    champ,
                    format!(
                        "adresse « {} » sans protocole : « https:// » ajouté",
                        extrait(u, 80)
                    ),
                );
            }
            if !out.iter().any(|x| x == avec_schema.as_str()) {
                out.push(avec_schema.into());
            }
        } else {
            cx.avertir(
                "url_invalide",
                champ,
                format!("adresse web « {} » invalide : retirée", extrait(u, 80)),
            );
        }
    }
    out
}

fn resume(cx: &mut Contexte, r: &str) -> Texte {
    if r.chars().count() <= RESUME_MAX {
        return r.into();
    }
    // Cut at the last space that leaves room for the ellipsis.
    let tete: String = r.chars().take(RESUME_MAX - 1).collect();
    let coupe = match tete.rfind(char::is_whitespace) {
        Some(i) if i > RESUME_MAX / 2 => tete[..i].trim_end().to_string(),
        _ => tete.trim_end().to_string(),
    };
    cx.avertir(
        "resume_tronque",
        "presentation_resume",
        format!(
            "résumé de {} caractères, au-delà des {RESUME_MAX} autorisés : coupé",
            r.chars().count()
        ),
    );
    format!("{coupe}…").into()
}

fn liste_libre(v: Option<&str>) -> Vec<Texte> {
    let mut out: Vec<Texte> = Vec::new();
    for s in v.unwrap_or_default().split('|').map(str::trim) {
        if !s.is_empty() && !out.iter().any(|x| x == s) {
            out.push(s.into());
        }
    }
    out
}

/// Lenient lookup: exact value, then case/accent/spacing-insensitive on the
/// value or on its long label (`À distance (par téléphone ou en visioconférence)`).
fn reconnaitre<T: Valeur>(v: &str) -> Option<T> {
    if let Some(x) = crate::enums::reconnaitre::<T>(v) {
        return Some(x);
    }
    let cle = cle_comparaison(v);
    T::TOUTES
        .iter()
        .copied()
        .find(|x| cle_comparaison(x.libelle()) == cle)
}

fn ensemble<T: Valeur>(cx: &mut Contexte, v: Option<&str>) -> Ensemble<T> {
    let mut e = Ensemble::new();
    let Some(v) = v else { return e };
    for item in v.split(['|', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(x) = T::depuis_valeur(item) {
            e.insert(x);
        } else if let Some(x) = reconnaitre::<T>(item) {
            cx.avertir(
                "valeur_corrigee",
                T::CHAMP,
                format!("valeur « {item} » corrigée en « {} »", x.valeur()),
            );
            e.insert(x);
        } else {
            cx.avertir(
                "valeur_inconnue",
                T::CHAMP,
                format!(
                    "valeur « {} » absente de l'énumération du standard : retirée",
                    extrait(item, 120)
                ),
            );
        }
    }
    e
}

/// Whether an issue list contains an error (the record was rejected).
pub fn a_erreur(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.severity >= Gravite::Erreur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            strict_horaires: false,
            aujourd_hui: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        }
    }

    fn minimal(pairs: &[(&str, &str)]) -> LieuBrut {
        let mut b = LieuBrut::new(Some(3));
        for (k, v) in [
            ("id", "l1"),
            ("nom", "Médiathèque"),
            ("commune", "Reims"),
            ("code_postal", "51100"),
            ("adresse", "1 rue X"),
            ("date_maj", "2024-04-02"),
            ("pivot", "43493312300029"),
        ] {
            b.set(k, v);
        }
        for (k, v) in pairs {
            b.set(k, *v);
        }
        b
    }

    fn un(pairs: &[(&str, &str)]) -> (Lieu, Vec<Issue>) {
        let r = valider(&minimal(pairs), &options());
        (r.lieu.expect("accepted"), r.issues)
    }

    fn codes(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.code).collect()
    }

    #[test]
    fn minimal_record_is_clean() {
        let (l, issues) = un(&[]);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(l.id, "l1");
        assert_eq!(l.precision_coordonnees, PrecisionCoordonnees::Aucune);
    }

    #[test]
    fn missing_required_fields_reject() {
        for champ in ["id", "nom", "commune", "code_postal", "adresse", "date_maj"] {
            let mut b = minimal(&[]);
            b.remove(champ);
            let r = valider(&b, &options());
            assert!(r.lieu.is_none(), "{champ}");
            assert_eq!(r.issues.len(), 1, "{champ}");
            let i = &r.issues[0];
            assert_eq!(
                (i.severity, i.code, i.field.as_deref(), i.line),
                (Gravite::Erreur, "champ_obligatoire", Some(champ), Some(3))
            );
        }
        let r = valider(&minimal(&[("code_postal", "5110A")]), &options());
        assert!(r.lieu.is_none());
        assert_eq!(codes(&r.issues), ["code_postal_invalide"]);
        assert_eq!(r.issues[0].record_id.as_deref(), Some("l1"));
        let r = valider(&minimal(&[("date_maj", "hier")]), &options());
        assert!(r.lieu.is_none());
        assert_eq!(codes(&r.issues), ["date_invalide"]);
    }

    #[test]
    fn postcode_and_insee_lost_zero_is_restored() {
        let (l, issues) = un(&[("code_postal", "1000"), ("code_insee", "1053")]);
        assert_eq!(l.code_postal, "01000");
        assert_eq!(l.code_insee.as_deref(), Some("01053"));
        assert_eq!(
            codes(&issues),
            ["code_postal_corrige", "code_insee_corrige"]
        );
        let (l, issues) = un(&[("code_insee", "2a004")]);
        assert_eq!(l.code_insee.as_deref(), Some("2A004"));
        assert!(issues.is_empty());
        let (l, issues) = un(&[("code_insee", "20004")]);
        assert_eq!(l.code_insee, None);
        assert_eq!(codes(&issues), ["code_insee_invalide"]);
    }

    #[test]
    fn dates_in_several_formats_and_suspect_dates() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        for (texte, attendu) in [
            ("02/04/2024", "2024-04-02"),
            ("2024-04-02T10:12:00+02:00", "2024-04-02"),
            ("2024-04-02T10:12:00.000Z", "2024-04-02"),
            ("2024-04-02 10:12:00", "2024-04-02"),
        ] {
            let (l, issues) = un(&[("date_maj", texte)]);
            assert_eq!(l.date_maj, d(attendu), "{texte}");
            assert!(issues.is_empty(), "{texte}");
        }
        for texte in ["1969-12-31", "1970-01-01", "2027-01-01"] {
            let (l, issues) = un(&[("date_maj", texte)]);
            assert_eq!(l.date_maj, d(texte));
            assert_eq!(codes(&issues), ["date_maj_suspecte"], "{texte}");
            assert_eq!(issues[0].severity, Gravite::Avertissement);
        }
    }

    #[test]
    fn pivot_rules() {
        let p = |v: &str, cp: &str| {
            let (l, issues) = un(&[("pivot", v), ("code_postal", cp)]);
            (l.pivot.to_string(), codes(&issues))
        };
        assert_eq!(
            p("434 933 123 00029", "51100"),
            ("43493312300029".into(), vec![])
        );
        assert_eq!(p("W123456789", "51100"), ("W123456789".into(), vec![]));
        assert_eq!(p("1234567.001", "98800"), ("1234567001".into(), vec![]));
        assert_eq!(
            p("1234567001", "51100"),
            (PIVOT_INCONNU.into(), vec!["pivot_invalide"])
        );
        let mut b = minimal(&[]);
        b.remove("pivot");
        let r = valider(&b, &options());
        assert_eq!(
            r.lieu.map(|l| l.pivot.to_string()).as_deref(),
            Some(PIVOT_INCONNU)
        );
        assert_eq!(codes(&r.issues), ["pivot_absent"]);
    }

    #[test]
    fn phones_are_normalised_with_overseas_prefixes() {
        let t = |v: &str, cp: &str| normaliser_telephone(v, departement(None, cp).as_deref());
        assert_eq!(
            t("05 56 12 34 56", "33000").as_deref(),
            Some("+33556123456")
        );
        assert_eq!(
            t("05.56.12.34.56 / 06 12 34 56 78", "33000").as_deref(),
            Some("+33556123456")
        );
        assert_eq!(
            t("+33 (0)5 56 12 34 56", "33000").as_deref(),
            Some("+33556123456")
        );
        assert_eq!(t("0033556123456", "33000").as_deref(), Some("+33556123456"));
        assert_eq!(
            t("0590 12 34 56", "97110").as_deref(),
            Some("+590590123456")
        );
        assert_eq!(
            t("0262 12 34 56", "97600").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(t("28 12 34", "98800").as_deref(), Some("+687281234"));
        assert_eq!(t("40 12 34 56", "98713").as_deref(), Some("+68940123456"));
        assert_eq!(t("41 23 45", "97500").as_deref(), Some("+508412345"));
        assert_eq!(t("72 12 34", "98600").as_deref(), Some("+681721234"));
        assert_eq!(
            t("0596 12 34 56", "97200").as_deref(),
            Some("+596596123456")
        );
        assert_eq!(
            t("0594 12 34 56", "97300").as_deref(),
            Some("+594594123456")
        );
        assert_eq!(
            t("0262 12 34 56", "97400").as_deref(),
            Some("+262262123456")
        );
        assert_eq!(t("12", "33000"), None);
        assert_eq!(t("+44 20 7946 0958", "33000"), None);
        let (l, issues) = un(&[("telephone", "05 56 12 34 56")]);
        assert_eq!(l.telephone.as_deref(), Some("+33556123456"));
        assert_eq!(codes(&issues), ["telephone_corrige"]);
        let (l, issues) = un(&[("telephone", "pas de téléphone")]);
        assert_eq!(l.telephone, None);
        assert_eq!(codes(&issues), ["telephone_invalide"]);
    }

    #[test]
    fn emails_and_urls() {
        let (l, issues) = un(&[
            (
                "courriels",
                "a@b.fr; mailto:c@d.fr, pas-un-courriel  a@b.fr|é@x.fr",
            ),
            (
                "site_web",
                "www.exemple.fr|https://ok.fr/page?x=1 pas une url",
            ),
            ("fiche_acces_libre", "acceslibre.beta.gouv.fr/app/x"),
        ]);
        assert_eq!(l.courriels, ["a@b.fr", "c@d.fr"]);
        assert_eq!(
            l.site_web,
            ["https://www.exemple.fr", "https://ok.fr/page?x=1"]
        );
        assert_eq!(
            l.fiche_acces_libre.as_deref(),
            Some("https://acceslibre.beta.gouv.fr/app/x")
        );
        let c = codes(&issues);
        assert_eq!(c.iter().filter(|c| **c == "courriel_invalide").count(), 2);
        assert!(issues.iter().any(|i| i.message.contains("pas-un-courriel")));
        assert_eq!(c.iter().filter(|c| **c == "url_invalide").count(), 3);
        assert_eq!(c.iter().filter(|c| **c == "url_corrigee").count(), 2);
    }

    #[test]
    fn summary_is_cut_at_a_word() {
        let long = "mot ".repeat(100);
        let (l, issues) = un(&[("presentation_resume", &long)]);
        let r = l.presentation_resume.expect("kept");
        assert!(r.chars().count() <= RESUME_MAX);
        assert!(r.ends_with("mot…"), "{r}");
        assert_eq!(codes(&issues), ["resume_tronque"]);
    }

    #[test]
    fn coordinates() {
        let (l, issues) = un(&[("latitude", "45,5"), ("longitude", "4.8")]);
        assert_eq!((l.latitude, l.longitude), (Some(45.5), Some(4.8)));
        assert_eq!(l.precision_coordonnees, PrecisionCoordonnees::Source);
        assert!(issues.is_empty());
        let (l, issues) = un(&[("latitude", "0"), ("longitude", "0")]);
        assert_eq!((l.latitude, l.longitude), (None, None));
        assert_eq!(codes(&issues), ["coordonnee_nulle", "coordonnee_nulle"]);
        let (l, issues) = un(&[("latitude", "6500000"), ("longitude", "700000")]);
        assert_eq!(l.latitude, None);
        assert_eq!(
            codes(&issues),
            ["coordonnee_hors_limites", "coordonnee_hors_limites"]
        );
        let (l, _) = un(&[
            ("latitude", "45"),
            ("longitude", "4"),
            (CLE_PRECISION, "commune"),
        ]);
        assert_eq!(l.precision_coordonnees, PrecisionCoordonnees::Commune);
        let (l, issues) = un(&[("latitude", "45"), ("longitude", "abc")]);
        assert_eq!(l.latitude, None);
        assert_eq!(
            codes(&issues),
            ["coordonnee_invalide", "coordonnees_incompletes"]
        );
    }

    #[test]
    fn enumerations_lenient_unknown_and_known_defect() {
        let (l, issues) = un(&[
            (
                "formations_labels",
                "Étapes numériques(La Poste)|Étapes numériques (La Poste)",
            ),
            (
                "services",
                "aide aux demarches administratives|Jardinage|Loisirs et créations numériques",
            ),
            (
                "modalites_accompagnement",
                "À distance (par téléphone ou en visioconférence)",
            ),
            ("typologie", "TIERS_LIEUX|ASSO|ASSO"),
        ]);
        assert_eq!(
            l.formations_labels,
            Ensemble::only(crate::enums::FormationLabel::EtapesNumeriques)
        );
        assert_eq!(l.services.len(), 2);
        assert_eq!(l.typologie.len(), 2);
        assert_eq!(l.modalites_accompagnement.len(), 1);
        assert_eq!(
            codes(&issues),
            [
                "valeur_corrigee",
                "valeur_inconnue",
                "valeur_corrigee",
                "valeur_corrigee"
            ]
        );
        assert!(issues[1].message.contains("Jardinage"));
        assert_eq!(issues[1].field.as_deref(), Some("services"));
    }

    #[test]
    fn hours_lenient_or_strict() {
        let (l, issues) = un(&[("horaires", "Mo-Fr 9h-12h")]);
        assert_eq!(
            l.horaires.as_deref(),
            horaires::normaliser("Mo-Fr 09:00-12:00").ok().as_deref()
        );
        assert!(issues.is_empty());
        let (l, issues) = un(&[("horaires", "le matin")]);
        assert_eq!(l.horaires, None);
        assert_eq!(codes(&issues), ["horaires_illisibles"]);
        let strict = Options {
            strict_horaires: true,
            ..options()
        };
        let r = valider(&minimal(&[("horaires", "le matin")]), &strict);
        assert!(r.lieu.is_none());
        assert_eq!(r.issues[0].severity, Gravite::Erreur);
    }

    #[test]
    fn huge_fields_are_truncated() {
        let huge = "x".repeat(CHAMP_MAX + 5);
        let (l, issues) = un(&[("source", &huge), ("presentation_detail", &huge)]);
        assert_eq!(l.source.map(|s| s.chars().count()), Some(CHAMP_MAX));
        assert_eq!(l.presentation_detail.map(|s| s.len()), Some(CHAMP_MAX + 5));
        assert_eq!(codes(&issues), ["champ_trop_long"]);
    }
}
