//! Applies a [`Configuration`] to raw records: one v1 [`LieuBrut`] per
//! record, in the same order, plus the problems met. Nothing is validated
//! here (that is `maillage_lieux::validation`'s job): values are carried as
//! found, except the conversions the configuration format implies (rules,
//! hours in French, dates).

use crate::configuration::{Configuration, Horaires, Regle, Scalaire};
use crate::horaires_fr;
use maillage_lieux::brut::Enregistrement;
use maillage_lieux::enums;
use maillage_lieux::{Issue, LieuBrut};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Result of [`transformer`]: one raw record per input record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transformation {
    pub lieux: Vec<LieuBrut>,
    pub issues: Vec<Issue>,
}

/// Value at `chemin`: the literal key first (column names may contain dots),
/// then a dotted path through objects and arrays (`labels.0.label`).
pub fn chercher<'a>(valeurs: &'a Map<String, Value>, chemin: &str) -> Option<&'a Value> {
    if let Some(v) = valeurs.get(chemin) {
        return Some(v);
    }
    if !chemin.contains('.') {
        return None;
    }
    let mut parties = chemin.split('.');
    let mut courant = valeurs.get(parties.next()?)?;
    for p in parties {
        courant = match courant {
            Value::Object(o) => o.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(courant)
}

/// Text of a JSON value; `None` for null, blank text and empty containers.
/// Arrays are `|`-joined (lists of the standard).
pub fn texte_valeur(v: &Value) -> Option<String> {
    let t = match v {
        Value::Null => return None,
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => a
            .iter()
            .filter_map(texte_valeur)
            .collect::<Vec<_>>()
            .join("|"),
        Value::Object(_) => v.to_string(),
    };
    (!t.is_empty()).then_some(t)
}

fn colonne(e: &Enregistrement, chemin: &str) -> Option<String> {
    chercher(&e.values, chemin).and_then(texte_valeur)
}

fn scalaire(e: &Enregistrement, s: &Scalaire) -> Option<String> {
    match s {
        Scalaire::Colonne(cols) => cols.iter().find_map(|c| colonne(e, c)),
        Scalaire::Valeur(v) => Some(v.trim().to_string()).filter(|v| !v.is_empty()),
        Scalaire::Joindre {
            colonnes,
            separateur,
            ou,
        } => {
            let parties: Vec<String> = colonnes.iter().filter_map(|c| colonne(e, c)).collect();
            if parties.is_empty() {
                ou.as_deref().and_then(|ou| scalaire(e, ou))
            } else {
                Some(parties.join(separateur))
            }
        }
        Scalaire::Dissocier {
            colonnes,
            separateur,
            partie,
        } => {
            let t = colonnes.iter().find_map(|c| colonne(e, c))?;
            // A `[lat, lon]` array arrives `|`-joined: split it as the
            // configured separator would have.
            let t = t.replace('|', separateur);
            t.split(separateur.as_str())
                .nth(*partie)
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
        }
    }
}

/// Street part of an address as sources write it: `38, rue du Pont - 98835
/// Dumbéa` → `38 rue du Pont`. The postcode and what follows it (commune,
/// country) are cut when the postcode is the record's own; commas go (the
/// BAN and the standard write `12 BIS RUE …`); spaces are folded.
pub fn nettoyer_adresse(adresse: &str, code_postal: Option<&str>) -> String {
    let mut a = adresse.to_string();
    if let Some(i) = debut_code_postal(&a, code_postal) {
        a.truncate(i);
    }
    let a = a.replace(',', " ");
    let a = a.split_whitespace().collect::<Vec<_>>().join(" ");
    a.trim_end_matches([' ', '-', ',', '–']).to_string()
}

/// Byte index of a postcode written after the street: the record's own
/// postcode, or a 5-digit number followed by text without digits (the
/// commune: `Tribu de Hwadrilla 98820 Hwadrilla Ouvéa`).
fn debut_code_postal(a: &str, code_postal: Option<&str>) -> Option<usize> {
    let octets = a.as_bytes();
    let isole = |i: usize| {
        i > 0
            && !octets[i - 1].is_ascii_digit()
            && octets.get(i + 5).is_none_or(|b| !b.is_ascii_digit())
            && octets[i..i + 5].iter().all(u8::is_ascii_digit)
    };
    if let Some(cp) = code_postal.map(str::trim).filter(|c| c.len() == 5) {
        if let Some((i, _)) = a.match_indices(cp).find(|(i, _)| isole(*i)) {
            return Some(i);
        }
    }
    (0..octets.len().saturating_sub(4))
        .filter(|&i| a.is_char_boundary(i) && isole(i))
        .find(|&i| !a[i + 5..].bytes().any(|b| b.is_ascii_digit()))
}

/// Source date → `YYYY-MM-DD`: ISO date or datetime, `DD/MM/YYYY`, epoch
/// milliseconds (or seconds).
pub fn date_iso(texte: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate};
    let t = texte.trim();
    if let Some(debut) = t.get(..10) {
        if let Ok(d) = NaiveDate::parse_from_str(debut, "%Y-%m-%d") {
            if t.len() == 10 || t[10..].starts_with(['T', ' ']) {
                return Some(d.format("%Y-%m-%d").to_string());
            }
        }
    }
    for format in ["%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    // `02/03/2021 10:12` and similar: the date part is enough.
    if let Some((date, _)) = t.split_once(' ') {
        if let Ok(d) = NaiveDate::parse_from_str(date, "%d/%m/%Y") {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() >= 9 {
        let n: i64 = t.parse().ok()?;
        let ms = if t.len() >= 12 {
            n
        } else {
            n.checked_mul(1000)?
        };
        return DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d").to_string());
    }
    None
}

/// Canonical value of a rule target for its field, when the field is an
/// enumeration of the standard (lenient: `Comprehension du monde numérique`).
fn cible_canonique(champ: &str, cible: &str) -> Option<&'static str> {
    use enums::*;
    fn r<T: Valeur>(c: &str) -> Option<&'static str> {
        reconnaitre::<T>(c).map(|v| v.valeur())
    }
    match champ {
        "typologie" => r::<Typologie>(cible),
        "services" => r::<Service>(cible),
        "publics_specifiquement_adresses" => r::<Public>(cible),
        "prise_en_charge_specifique" => r::<PriseEnCharge>(cible),
        "frais_a_charge" => r::<Frais>(cible),
        "itinerance" => r::<Itinerance>(cible),
        "dispositif_programmes_nationaux" => r::<Dispositif>(cible),
        "formations_labels" => r::<FormationLabel>(cible),
        "modalites_acces" => r::<ModaliteAcces>(cible),
        "modalites_accompagnement" => r::<ModaliteAccompagnement>(cible),
        _ => None,
    }
}

/// Does one column's text satisfy the rule? `termes` and `sauf` are
/// case-insensitive substrings (the pipeline forgot to lower-case `sauf`;
/// we do not reproduce that bug).
fn correspond(regle: &Regle, texte: &str) -> bool {
    let Some(termes) = &regle.termes else {
        return !texte.trim().is_empty();
    };
    let t = texte.to_lowercase();
    termes.iter().any(|m| t.contains(&m.to_lowercase()))
        && !regle.sauf.iter().any(|s| t.contains(&s.to_lowercase()))
}

/// Values of an enumerated field for one record, de-duplicated, in rule
/// order. `modalites` is the record's computed `modalites_accompagnement`
/// (for the `services` condition).
fn valeurs_regles(e: &Enregistrement, regles: &[Regle], modalites: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut ajouter = |v: String| {
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    };
    for regle in regles {
        if let Some(m) = &regle.modalites_accompagnement {
            let cle = maillage_lieux::texte::cle_comparaison(m);
            if !modalites
                .iter()
                .any(|x| maillage_lieux::texte::cle_comparaison(x) == cle)
            {
                continue;
            }
        }
        match &regle.colonnes {
            None => {
                if let Some(c) = &regle.cible {
                    ajouter(c.clone());
                }
            }
            Some(cols) => {
                for c in cols {
                    let Some(t) = colonne(e, c) else { continue };
                    if !correspond(regle, &t) {
                        continue;
                    }
                    match &regle.cible {
                        Some(cible) => ajouter(cible.clone()),
                        // No target: the column's own values are copied.
                        None => t
                            .split(['|', ';'])
                            .map(str::trim)
                            .for_each(|v| ajouter(v.to_string())),
                    }
                }
            }
        }
    }
    out
}

/// Fields where a source value matching no rule is worth a warning: those
/// with a closed list of values. For publics, an unmatched value means
/// "tout public"; other labels have no closed list.
const CHAMPS_SIGNALES: &[&str] = &[
    "typologie",
    "services",
    "frais_a_charge",
    "itinerance",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "formations_labels",
];

/// The column searched by every rule with `termes`, when there are at least
/// two such rules.
fn colonne_dediee(regles: &[Regle]) -> Option<String> {
    let avec_termes: Vec<&Vec<String>> = regles
        .iter()
        .filter(|r| r.termes.is_some())
        .filter_map(|r| r.colonnes.as_ref())
        .collect();
    if avec_termes.len() < 2 {
        return None;
    }
    avec_termes[0]
        .iter()
        .find(|c| avec_termes.iter().all(|cols| cols.contains(c)))
        .cloned()
}

/// Context for issues of one record.
struct Contexte<'a> {
    fichier: &'a str,
    line: u64,
    id: String,
}

impl Contexte<'_> {
    fn issue(&self, code: &'static str, champ: &str, message: String) -> Issue {
        Issue::avertissement(code, champ, message)
            .at(Some(self.fichier), Some(self.line))
            .for_record(Some(&self.id))
    }
}

fn extrait(t: &str) -> String {
    let t = t.replace(['\n', '\r', '\t'], " ");
    if t.chars().count() > 80 {
        format!("{}…", t.chars().take(80).collect::<String>())
    } else {
        t
    }
}

/// Opening hours of one record; `Err` carries the French reason and the text.
fn horaires(e: &Enregistrement, h: &Horaires) -> Option<Result<String, (String, String)>> {
    if let Some(col) = &h.osm {
        if let Some(t) = colonne(e, col) {
            if maillage_lieux::horaires::analyser(&t).is_ok() {
                return Some(Ok(t));
            }
            if h.semaine.is_none() {
                // Not OSM after all: maybe French text (francil-in). If not,
                // the text is kept for validation to judge and report.
                return Some(Ok(horaires_fr::texte_semaine_vers_osm(&t).unwrap_or(t)));
            }
        }
    }
    if let Some(col) = &h.semaine {
        if let Some(t) = colonne(e, col) {
            return match horaires_fr::texte_semaine_vers_osm(&t) {
                Ok(osm) => Some(Ok(osm)),
                // `Fermé`, `-`: no information, not an error.
                Err(r) if r == horaires_fr::AUCUNE_PLAGE => None,
                Err(r) => Some(Err((r, t))),
            };
        }
    }
    if let Some(jours) = &h.jours {
        let textes: Vec<(&str, String)> = jours
            .iter()
            .filter_map(|j| {
                let parties: Vec<String> =
                    j.colonnes.iter().filter_map(|c| colonne(e, c)).collect();
                (!parties.is_empty()).then(|| (j.osm.as_str(), parties.join(" / ")))
            })
            .collect();
        if textes.is_empty() {
            return None;
        }
        let refs: Vec<(&str, &str)> = textes.iter().map(|(j, t)| (*j, t.as_str())).collect();
        let brut = textes
            .iter()
            .map(|(j, t)| format!("{j}: {t}"))
            .collect::<Vec<_>>()
            .join(" ; ");
        return match horaires_fr::semaine_vers_osm(&refs) {
            Ok(osm) => Some(Ok(osm)),
            // Every day said "closed" or "-": no information, not an error.
            Err(r) if r == horaires_fr::AUCUNE_PLAGE => None,
            Err(r) => Some(Err((r, brut))),
        };
    }
    None
}

/// OSM week selector for a `semaine_ouverture` text (`Semaine impaire`).
fn selecteur_semaine(texte: &str) -> Option<&'static str> {
    let t = maillage_lieux::texte::cle_comparaison(texte);
    if t.contains("impaire") {
        Some("week 1-53/2")
    } else if t.contains("paire") {
        Some("week 2-52/2")
    } else {
        None
    }
}

/// Prefixes every rule of an OSM text with a week selector, except rules
/// that are only public-holiday exceptions (`PH off`).
fn prefixer_semaine(osm: &str, semaine: &str) -> String {
    osm.split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            if r.starts_with("PH") || r.starts_with("week") {
                r.to_string()
            } else {
                format!("{semaine} {r}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Transforms raw records with a configuration. `nom_source` fills `source`
/// unless the configuration maps it; `fichier` names the file in issues.
pub fn transformer(
    config: &Configuration,
    enregistrements: &[Enregistrement],
    nom_source: &str,
    fichier: &str,
) -> Transformation {
    let mut issues: Vec<Issue> = config
        .avertissements
        .iter()
        .cloned()
        .map(|i| i.at(Some(fichier), None))
        .collect();

    // A configured column present in no record is a mapping mistake (or a
    // changed source format): say it once.
    if !enregistrements.is_empty() {
        for (champ, col) in config.colonnes() {
            // An empty column name is how configs say "no column".
            if col.trim().is_empty() {
                continue;
            }
            if !enregistrements
                .iter()
                .any(|e| chercher(&e.values, &col).is_some())
            {
                issues.push(
                    Issue::avertissement(
                        "colonne_absente",
                        &champ,
                        format!(
                            "la colonne « {col} » de la configuration (champ « {champ} ») \
                             n'existe dans aucun enregistrement"
                        ),
                    )
                    .at(Some(fichier), None),
                );
            }
        }
    }

    // Rule targets that are not values of the standard: once per file.
    let mut cibles_vues: HashSet<(String, String)> = HashSet::new();
    let mut lieux = Vec::with_capacity(enregistrements.len());
    for (index, e) in enregistrements.iter().enumerate() {
        let mut lieu = LieuBrut::new(Some(e.line));
        let id = config
            .scalaires
            .get("id")
            .and_then(|s| scalaire(e, s))
            .unwrap_or_else(|| index.to_string());
        let ctx = Contexte {
            fichier,
            line: e.line,
            id: id.clone(),
        };
        lieu.set("id", id);
        for (champ, s) in &config.scalaires {
            if champ == "id" {
                continue;
            }
            let Some(v) = scalaire(e, s) else { continue };
            if champ == "date_maj" {
                match date_iso(&v) {
                    Some(d) => lieu.set(champ, d),
                    None => {
                        issues.push(ctx.issue(
                            "date_non_convertie",
                            champ,
                            format!("date « {} » non reconnue (attendu AAAA-MM-JJ, JJ/MM/AAAA ou horodatage)", extrait(&v)),
                        ));
                        lieu.set(champ, v);
                    }
                }
            } else {
                lieu.set(champ, v);
            }
        }
        if let Some(a) = lieu.get("adresse").map(str::to_string) {
            // Sources that write the postcode only inside the postal address
            // (`8 rue de la Boétie - 33000 Bordeaux`): take it before the
            // address is cleaned, rather than lose the place.
            let cp_valide = lieu
                .get("code_postal")
                .is_some_and(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit()));
            if !cp_valide || !lieu.has("commune") {
                if let Some(i) = debut_code_postal(&a, None) {
                    if let (false, Some(cp)) = (cp_valide, a.get(i..i + 5)) {
                        lieu.set("code_postal", cp.to_string());
                    }
                    // …and the commune written after it.
                    let commune = a
                        .get(i + 5..)
                        .unwrap_or_default()
                        .trim_matches([' ', '-', ',', '–']);
                    if !lieu.has("commune") && !commune.is_empty() {
                        lieu.set("commune", commune.to_string());
                    }
                }
            }
            let propre = nettoyer_adresse(&a, lieu.get("code_postal"));
            if !propre.is_empty() {
                lieu.set("adresse", propre);
            }
        }
        if !lieu.has("source") {
            lieu.set("source", nom_source);
        }

        // modalites_accompagnement first: services rules may depend on it.
        let modalites = config
            .enumeres
            .get("modalites_accompagnement")
            .map(|r| valeurs_regles(e, r, &[]))
            .unwrap_or_default();
        for (champ, regles) in &config.enumeres {
            let brutes = if champ == "modalites_accompagnement" {
                modalites.clone()
            } else {
                valeurs_regles(e, regles, &modalites)
            };
            let mut valeurs = Vec::with_capacity(brutes.len());
            for v in brutes {
                if champ == "autres_formations_labels"
                    || champ == "publics_accueillis"
                    || champ == "labels_nationaux"
                {
                    valeurs.push(v);
                    continue;
                }
                match cible_canonique(champ, &v) {
                    Some(c) => {
                        if !valeurs.iter().any(|x| x == c) {
                            valeurs.push(c.to_string());
                        }
                    }
                    None => {
                        if cibles_vues.insert((champ.clone(), v.clone())) {
                            issues.push(ctx.issue(
                                "cible_inconnue",
                                champ,
                                format!(
                                    "la cible « {v} » de la configuration n'est pas une valeur \
                                     du standard pour « {champ} »"
                                ),
                            ));
                        }
                        valeurs.push(v);
                    }
                }
            }
            if valeurs.is_empty() {
                // A source value that no rule recognised: worth telling when
                // the field reads a dedicated column (one searched by every
                // rule), not free text where a miss is normal.
                // Free text (descriptions) is searched for hints, a miss there
                // is normal, except for services, the heart of a place.
                let signale = CHAMPS_SIGNALES.contains(&champ.as_str());
                if let Some((c, t)) = colonne_dediee(regles)
                    .filter(|_| signale)
                    .and_then(|c| colonne(e, &c).map(|t| (c, t)))
                    .filter(|(_, t)| champ == "services" || t.chars().count() <= 80)
                {
                    issues.push(ctx.issue(
                        "valeur_non_correspondante",
                        champ,
                        format!(
                            "« {} » (colonne « {c} ») ne correspond à aucune règle de « {champ} »",
                            extrait(&t)
                        ),
                    ));
                }
            } else {
                lieu.set(champ, valeurs.join("|"));
            }
        }

        if let Some(h) = &config.horaires {
            match horaires(e, h) {
                Some(Ok(mut osm)) => {
                    if let Some(sem) = config
                        .semaine_ouverture
                        .as_ref()
                        .and_then(|s| scalaire(e, s))
                        .and_then(|t| selecteur_semaine(&t))
                    {
                        osm = prefixer_semaine(&osm, sem);
                    }
                    lieu.set("horaires", osm);
                }
                Some(Err((raison, texte))) => issues.push(ctx.issue(
                    "horaires_non_converties",
                    "horaires",
                    format!("horaires « {} » non converties : {raison}", extrait(&texte)),
                )),
                None => {}
            }
        }
        lieux.push(lieu);
    }
    Transformation { lieux, issues }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_postcode_commune_and_commas() {
        assert_eq!(
            nettoyer_adresse("38, rue du Pont Tournant - 98835 Dumbéa", Some("98835")),
            "38 rue du Pont Tournant"
        );
        assert_eq!(
            nettoyer_adresse(
                "17 Rue Georges-Clemenceau, Nouméa 98800, Nouvelle-Calédonie",
                Some("98800")
            ),
            "17 Rue Georges-Clemenceau Nouméa"
        );
        // Another number that merely contains the postcode is kept.
        assert_eq!(
            nettoyer_adresse("1698800 route", Some("98800")),
            "1698800 route"
        );
        assert_eq!(
            nettoyer_adresse("Tribu de Hwadrilla 98820 Hwadrilla Ouvéa", Some("98800")),
            "Tribu de Hwadrilla"
        );
        // A number followed by more numbers is part of the street.
        assert_eq!(
            nettoyer_adresse("Lot 12345 voie 38", Some("98800")),
            "Lot 12345 voie 38"
        );
        assert_eq!(
            nettoyer_adresse("2 Place Roudy\nSaint-Angeau", None),
            "2 Place Roudy Saint-Angeau"
        );
    }

    #[test]
    fn dates_in_source_formats() {
        assert_eq!(date_iso("2023-11-05").as_deref(), Some("2023-11-05"));
        assert_eq!(
            date_iso("2023-11-05T10:12:00.000Z").as_deref(),
            Some("2023-11-05")
        );
        assert_eq!(date_iso("02/03/2021").as_deref(), Some("2021-03-02"));
        assert_eq!(date_iso("1700000000000").as_deref(), Some("2023-11-14"));
        assert_eq!(date_iso("date_de_modification"), None);
        assert_eq!(date_iso("2023-13-45"), None);
    }

    #[test]
    fn dotted_paths_reach_nested_values() {
        let v: Value = serde_json::json!({"a": {"b": [ {"c": "x"} ]}, "d.e": 1});
        let Value::Object(m) = v else {
            panic!("object")
        };
        assert_eq!(chercher(&m, "a.b.0.c"), Some(&Value::from("x")));
        assert_eq!(chercher(&m, "d.e"), Some(&Value::from(1)));
        assert_eq!(chercher(&m, "a.z"), None);
    }

    #[test]
    fn sauf_is_case_insensitive_unlike_the_pipeline() {
        let r = Regle {
            colonnes: Some(vec!["c".into()]),
            termes: Some(vec!["Gratuit".into()]),
            sauf: vec!["Gratuit sous condition".into()],
            cible: Some("Gratuit".into()),
            modalites_accompagnement: None,
        };
        assert!(correspond(&r, "gratuit"));
        assert!(!correspond(&r, "Gratuit sous condition"));
    }

    #[test]
    fn week_parity_prefixes_rules_but_not_holidays() {
        assert_eq!(
            prefixer_semaine("Tu 09:00-12:30; PH off", "week 1-53/2"),
            "week 1-53/2 Tu 09:00-12:30; PH off"
        );
        assert_eq!(selecteur_semaine("Semaine impaire"), Some("week 1-53/2"));
        assert_eq!(selecteur_semaine("Semaine paire"), Some("week 2-52/2"));
    }
}
