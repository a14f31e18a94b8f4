//! Migration of v0.1 (v0.1.1) records to the standard v1.0.2.
//!
//! The mapping is the one the national pipeline's source configurations apply
//! (documented in `docs/standard-v0-v1.md`). It works record by record and
//! tolerates mixed records: a v0 file may already carry v1 fields or `|`
//! lists, which are kept as they are. A v0 value with no v1 equivalent is
//! never lost silently: it is named in an Avertissement.

use crate::brut::LieuBrut;
use crate::issue::Issue;
use crate::texte::cle_comparaison;
use std::sync::OnceLock;

/// Code of the warning for a v0 value that has no v1 equivalent.
pub const CODE_SANS_EQUIVALENT: &str = "valeur_v0_sans_equivalent";
/// Code of the warning for the obsolete `ZRR` label (replaced by FRR in 2024).
pub const CODE_ZRR: &str = "zrr_obsolete";

/// Fields that only exist in v0.1.
const CHAMPS_V0: [&str; 7] = [
    "courriel",
    "accessibilite",
    "labels_autres",
    "labels_nationaux",
    "conditions_acces",
    "publics_accueillis",
    "cle_ban",
];

/// v1 fields whose values are enumerations: no value contains `;`, so a `;`
/// there is always a v0 separator.
const LISTES_ENUMEREES: [&str; 10] = [
    "services",
    "typologie",
    "itinerance",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
];

const SERVICES: &[(&str, &[&str])] = &[
    (
        "Devenir autonome dans les démarches administratives",
        &["Aide aux démarches administratives"],
    ),
    (
        "Réaliser des démarches administratives avec un accompagnement",
        &["Aide aux démarches administratives"],
    ),
    (
        "Accompagner les démarches de santé",
        &["Aide aux démarches administratives"],
    ),
    (
        "Prendre en main un smartphone ou une tablette",
        &["Maîtrise des outils numériques du quotidien"],
    ),
    (
        "Prendre en main un ordinateur",
        &["Maîtrise des outils numériques du quotidien"],
    ),
    (
        "Utiliser le numérique au quotidien",
        &["Maîtrise des outils numériques du quotidien"],
    ),
    (
        "Approfondir ma culture numérique",
        &["Compréhension du monde numérique"],
    ),
    (
        "Promouvoir la citoyenneté numérique",
        &["Compréhension du monde numérique"],
    ),
    (
        "Favoriser mon insertion professionnelle",
        &["Insertion professionnelle via le numérique"],
    ),
    (
        "Créer et développer mon entreprise",
        &["Insertion professionnelle via le numérique"],
    ),
    (
        "Accéder à une connexion internet",
        &["Accès internet et matériel informatique"],
    ),
    (
        "Accéder à du matériel",
        &["Accès internet et matériel informatique"],
    ),
    (
        "S'équiper en matériel informatique",
        &["Acquisition de matériel informatique à prix solidaire"],
    ),
    (
        "Créer avec le numérique",
        &["Loisirs et créations numériques"],
    ),
    (
        "Soutenir la parentalité et l'éducation avec le numérique",
        &["Parentalité et éducation avec le numérique"],
    ),
];

/// `modalites_accompagnement`: v0 values are matched on the part before ` : `.
const ACCOMPAGNEMENT: &[(&str, &str)] = &[
    ("Seul", "En autonomie"),
    ("Avec de l'aide", "Accompagnement individuel"),
    ("A ma place", "Accompagnement individuel"),
    ("Dans un atelier", "Dans un atelier collectif"),
];

const PUBLICS: &str = "publics_specifiquement_adresses";
const PRISE_EN_CHARGE: &str = "prise_en_charge_specifique";
const DISPOSITIF: &str = "dispositif_programmes_nationaux";
const FORMATIONS: &str = "formations_labels";
const AUTRES: &str = "autres_formations_labels";

/// `publics_accueillis` → (target field, v1 value). Matched on the part
/// before ` : `. `Adultes` means tout public: nothing is written.
const PUBLICS_ACCUEILLIS: &[(&str, &[(&str, &str)])] = &[
    ("Seniors (+ 65 ans)", &[(PUBLICS, "Seniors")]),
    ("Familles/enfants", &[(PUBLICS, "Familles et/ou enfants")]),
    ("Jeunes (16-26 ans)", &[(PUBLICS, "Jeunes")]),
    ("Uniquement femmes", &[(PUBLICS, "Femmes")]),
    ("Adultes", &[]),
    (
        "Déficience visuelle",
        &[(PRISE_EN_CHARGE, "Déficience visuelle")],
    ),
    ("Surdité", &[(PRISE_EN_CHARGE, "Surdité")]),
    (
        "Handicaps mentaux",
        &[(PRISE_EN_CHARGE, "Handicaps mentaux")],
    ),
    (
        "Handicaps psychiques",
        &[(PRISE_EN_CHARGE, "Handicaps mentaux")],
    ),
    (
        "Personnes en situation d'illettrisme",
        &[(PRISE_EN_CHARGE, "Illettrisme")],
    ),
    (
        "Public langues étrangères",
        &[
            (PRISE_EN_CHARGE, "Langues étrangères (anglais)"),
            (PRISE_EN_CHARGE, "Langues étrangères (autres)"),
        ],
    ),
];

/// `conditions_acces` → `frais_a_charge`, matched on the part before ` : `.
/// `None`: no v1 equivalent.
const CONDITIONS: &[(&str, Option<&str>)] = &[
    ("Gratuit", Some("Gratuit")),
    ("Gratuit sous condition", Some("Gratuit sous condition")),
    ("Payant", Some("Payant")),
    ("Adhésion", Some("Payant")),
    ("Accepte le Pass numérique", None),
];

/// `labels_nationaux` → (target field, v1 value); `None`: no v1 equivalent.
const LABELS: &[(&str, Option<(&str, &str)>)] = &[
    ("France Services", Some((DISPOSITIF, "France Services"))),
    ("CNFS", Some((DISPOSITIF, "Conseillers numériques"))),
    ("Aidants Connect", Some((DISPOSITIF, "Aidants Connect"))),
    (
        "Point relais CAF",
        Some((DISPOSITIF, "Point d'accès numérique CAF")),
    ),
    (
        "Point numérique CAF",
        Some((DISPOSITIF, "Point d'accès numérique CAF")),
    ),
    (
        "Grandes écoles du numérique",
        Some((DISPOSITIF, "Grande école du numérique")),
    ),
    (
        "Fabriques de Territoire",
        Some((FORMATIONS, "Fabriques de Territoire")),
    ),
    ("Campus connecté", Some((AUTRES, "Campus connecté"))),
    ("APTIC", None),
    ("Relais pôle emploi", None),
    ("French Tech", None),
];

/// A mapping table with its comparison keys computed once: lookups run for
/// every value of every record.
struct Table<T: 'static> {
    entrees: &'static [(&'static str, T)],
    cles: OnceLock<Vec<String>>,
}

impl<T> Table<T> {
    const fn new(entrees: &'static [(&'static str, T)]) -> Self {
        Table {
            entrees,
            cles: OnceLock::new(),
        }
    }

    /// Exact match first, then ignoring case, accents and punctuation.
    fn chercher(&self, v: &str) -> Option<&'static (&'static str, T)> {
        let entrees = self.entrees;
        if let Some(e) = entrees.iter().find(|(k, _)| *k == v) {
            return Some(e);
        }
        let cles = self
            .cles
            .get_or_init(|| entrees.iter().map(|(k, _)| cle_comparaison(k)).collect());
        let cle = cle_comparaison(v);
        cles.iter()
            .position(|k| *k == cle)
            .and_then(|i| entrees.get(i))
    }
}

static T_SERVICES: Table<&[&str]> = Table::new(SERVICES);
static T_ACCOMPAGNEMENT: Table<&str> = Table::new(ACCOMPAGNEMENT);
static T_PUBLICS: Table<&[(&str, &str)]> = Table::new(PUBLICS_ACCUEILLIS);
static T_CONDITIONS: Table<Option<&str>> = Table::new(CONDITIONS);
static T_LABELS: Table<Option<(&str, &str)>> = Table::new(LABELS);

/// True when the record carries a v0.1 field name or a v0.1 value of
/// `services` / `modalites_accompagnement` / `typologie`.
pub fn est_v0(brut: &LieuBrut) -> bool {
    if CHAMPS_V0.iter().any(|c| brut.values.contains_key(*c)) {
        return true;
    }
    let services = brut.get("services").unwrap_or_default();
    if morceaux(services).any(|v| T_SERVICES.chercher(v).is_some()) {
        return true;
    }
    let accompagnement = brut.get("modalites_accompagnement").unwrap_or_default();
    morceaux(accompagnement).any(|v| v.contains(" : "))
}

/// Migrates one record in place to v1 names and values. Records already in
/// v1 only get `;` lists turned into `|` lists and `ZRR` removed. Returns the
/// warnings (values without a v1 equivalent, obsolete labels).
pub fn migrer(brut: &mut LieuBrut) -> Vec<Issue> {
    let mut issues = Vec::new();
    let v0 = est_v0(brut);
    let id = brut.get("id").map(str::to_string);
    let line = brut.line;
    let mut avertir = |field: &str, code: &'static str, message: String| {
        issues.push(
            Issue::avertissement(code, field, message)
                .at(None, line)
                .for_record(id.as_deref()),
        );
    };

    // Plain renames.
    renommer(brut, "courriel", "courriels");
    renommer(brut, "accessibilite", "fiche_acces_libre");
    renommer(brut, "labels_autres", AUTRES);
    // The BAN key left the standard; the address fields carry the same place.
    brut.remove("cle_ban");

    for champ in LISTES_ENUMEREES {
        if let Some(v) = brut.get(champ) {
            if v.contains(';') {
                let v = v.replace(';', "|");
                brut.set(champ, v);
            }
        }
    }
    if v0 {
        for champ in ["courriels", "site_web", AUTRES] {
            if let Some(v) = brut.get(champ) {
                if v.contains(';') {
                    let v = v.replace(';', "|");
                    brut.set(champ, v);
                }
            }
        }
    }

    // services: v0 values mapped, anything else kept for validation to judge.
    if let Some(services) = brut.get("services").map(str::to_string) {
        let mut out = Vec::new();
        for v in morceaux(&services) {
            match T_SERVICES.chercher(v) {
                Some((_, v1)) => out.extend(v1.iter().map(|s| s.to_string())),
                None => out.push(v.to_string()),
            }
        }
        brut.set("services", joindre(out));
    }

    if let Some(modalites) = brut.get("modalites_accompagnement").map(str::to_string) {
        let mut out = Vec::new();
        for v in morceaux(&modalites) {
            match T_ACCOMPAGNEMENT.chercher(tete(v)) {
                Some((_, v1)) => out.push(v1.to_string()),
                None => out.push(v.to_string()),
            }
        }
        brut.set("modalites_accompagnement", joindre(out));
    }

    if let Some(publics) = brut.remove("publics_accueillis") {
        for v in morceaux(&publics) {
            match T_PUBLICS.chercher(tete(v)) {
                Some((_, cibles)) => {
                    for (champ, v1) in cibles.iter() {
                        ajouter(brut, champ, v1);
                    }
                }
                // Unknown: passed on so validation names it.
                None => ajouter(brut, PUBLICS, v),
            }
        }
    }

    if let Some(conditions) = brut.remove("conditions_acces") {
        for v in morceaux(&conditions) {
            match T_CONDITIONS.chercher(tete(v)) {
                Some((_, Some(v1))) => ajouter(brut, "frais_a_charge", v1),
                Some((v0, None)) => avertir(
                    "frais_a_charge",
                    CODE_SANS_EQUIVALENT,
                    format!(
                        "la valeur v0.1 « {v0} » de conditions_acces n'a pas d'équivalent \
                         dans le standard v1 : elle n'est pas reprise"
                    ),
                ),
                None => ajouter(brut, "frais_a_charge", v),
            }
        }
    }

    if let Some(labels) = brut.remove("labels_nationaux") {
        for v in morceaux(&labels) {
            match T_LABELS.chercher(v) {
                Some((_, Some((champ, v1)))) => ajouter(brut, champ, v1),
                Some((v0, None)) => avertir(
                    DISPOSITIF,
                    CODE_SANS_EQUIVALENT,
                    format!(
                        "le label national v0.1 « {v0} » n'a pas d'équivalent dans le \
                         standard v1 : il n'est pas repris"
                    ),
                ),
                None => ajouter(brut, DISPOSITIF, v),
            }
        }
    }

    // A typology written as the network's name.
    if let Some(typologie) = brut.get("typologie").map(str::to_string) {
        let out: Vec<String> = morceaux(&typologie)
            .map(|v| {
                if meme("France Services", v) {
                    "RFS".to_string()
                } else {
                    v.to_string()
                }
            })
            .collect();
        brut.set("typologie", joindre(out));
    }

    // ZRR was replaced by FRR on 2024-07-01; the pipeline strips it.
    if let Some(autres) = brut.get(AUTRES).map(str::to_string) {
        let (zrr, garde): (Vec<&str>, Vec<&str>) =
            morceaux(&autres).partition(|v| cle_comparaison(v) == "zrr");
        if !zrr.is_empty() {
            avertir(
                AUTRES,
                CODE_ZRR,
                "le label « ZRR » est obsolète (remplacé par FRR depuis le 1er juillet 2024) : \
                 il est retiré"
                    .to_string(),
            );
            brut.set(
                AUTRES,
                joindre(garde.into_iter().map(str::to_string).collect()),
            );
        }
    }
    issues
}

/// Moves `ancien` into `nouveau`, merging when both are present.
fn renommer(brut: &mut LieuBrut, ancien: &str, nouveau: &str) {
    if let Some(v) = brut.remove(ancien) {
        if v.trim().is_empty() {
            return;
        }
        match brut.get(nouveau).map(str::to_string) {
            Some(existant) => {
                let mut tout: Vec<String> = morceaux(&existant).map(str::to_string).collect();
                tout.extend(morceaux(&v).map(str::to_string));
                brut.set(nouveau, joindre(tout));
            }
            None => brut.set(nouveau, v),
        }
    }
}

/// Appends a value to a `|` list field, without duplicates.
fn ajouter(brut: &mut LieuBrut, champ: &str, valeur: &str) {
    let mut tout: Vec<String> = brut
        .get(champ)
        .map(|v| morceaux(v).map(str::to_string).collect())
        .unwrap_or_default();
    tout.push(valeur.trim().to_string());
    brut.set(champ, joindre(tout));
}

/// Items of a v0 (`;`) or v1 (`|`) list.
fn morceaux(v: &str) -> impl Iterator<Item = &str> {
    v.split([';', '|']).map(str::trim).filter(|s| !s.is_empty())
}

/// Joins with `|`, dropping blanks and duplicates (first occurrence kept).
fn joindre(valeurs: Vec<String>) -> String {
    let mut vus: Vec<String> = Vec::with_capacity(valeurs.len());
    for v in valeurs {
        let v = v.trim().to_string();
        if !v.is_empty() && !vus.contains(&v) {
            vus.push(v);
        }
    }
    vus.join("|")
}

/// The label part of a v0 value `Libellé : explication`.
fn tete(v: &str) -> &str {
    v.split(" : ").next().unwrap_or(v).trim()
}

fn meme(a: &str, b: &str) -> bool {
    a == b || cle_comparaison(a) == cle_comparaison(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brut(pairs: &[(&str, &str)]) -> LieuBrut {
        let mut b = LieuBrut::new(Some(7));
        for (k, v) in pairs {
            b.set(k, *v);
        }
        b
    }

    #[test]
    fn renames_and_splits_fields() {
        let mut b = brut(&[
            ("id", "x"),
            ("courriel", "a@b.fr"),
            ("accessibilite", "https://acceslibre.beta.gouv.fr/x"),
            ("cle_ban", "13001_3079_00001"),
            (
                "publics_accueillis",
                "Adultes;Seniors (+ 65 ans);Public langues étrangères;Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes comportementales",
            ),
        ]);
        assert!(est_v0(&b));
        let issues = migrer(&mut b);
        assert!(issues.is_empty());
        assert_eq!(b.get("courriels"), Some("a@b.fr"));
        assert_eq!(
            b.get("fiche_acces_libre"),
            Some("https://acceslibre.beta.gouv.fr/x")
        );
        assert!(!b.has("cle_ban") && !b.has("courriel") && !b.has("publics_accueillis"));
        assert_eq!(b.get(PUBLICS), Some("Seniors"));
        assert_eq!(
            b.get(PRISE_EN_CHARGE),
            Some("Langues étrangères (anglais)|Langues étrangères (autres)|Handicaps mentaux")
        );
        assert!(!est_v0(&b));
    }

    #[test]
    fn values_without_equivalent_are_named() {
        let mut b = brut(&[
            ("id", "lieu-3"),
            ("labels_nationaux", "APTIC;CNFS;Campus connecté;Fabriques de Territoire"),
            (
                "conditions_acces",
                "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu;Adhésion : L'accès au lieu et/ou à ses services nécessite d'y adhérer",
            ),
            ("labels_autres", "ZRR;Qualiopi"),
        ]);
        let issues = migrer(&mut b);
        assert_eq!(b.get(DISPOSITIF), Some("Conseillers numériques"));
        assert_eq!(b.get(FORMATIONS), Some("Fabriques de Territoire"));
        assert_eq!(b.get(AUTRES), Some("Qualiopi|Campus connecté"));
        assert_eq!(b.get("frais_a_charge"), Some("Payant"));
        let codes: Vec<_> = issues.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            [CODE_SANS_EQUIVALENT, CODE_SANS_EQUIVALENT, CODE_ZRR]
        );
        assert!(issues[0].message.contains("Accepte le Pass numérique"));
        assert!(issues[1].message.contains("APTIC"));
        assert!(issues
            .iter()
            .all(|i| i.line == Some(7) && i.record_id.as_deref() == Some("lieu-3")));
    }

    #[test]
    fn services_and_modalities_are_mapped_and_deduplicated() {
        let mut b = brut(&[
            (
                "services",
                "Prendre en main un ordinateur;Utiliser le numérique au quotidien;Accéder à du matériel",
            ),
            (
                "modalites_accompagnement",
                "Avec de l'aide : je suis accompagné seul dans l'usage du numérique;A ma place : une personne habilitée fait les démarches à ma place",
            ),
        ]);
        migrer(&mut b);
        assert_eq!(
            b.get("services"),
            Some("Maîtrise des outils numériques du quotidien|Accès internet et matériel informatique")
        );
        assert_eq!(
            b.get("modalites_accompagnement"),
            Some("Accompagnement individuel")
        );
    }

    #[test]
    fn v1_records_are_left_alone() {
        let mut b = brut(&[
            (
                "services",
                "Aide aux démarches administratives|Loisirs et créations numériques",
            ),
            ("autres_formations_labels", "Label; et la bête"),
        ]);
        let avant = b.clone();
        assert!(!est_v0(&b));
        assert!(migrer(&mut b).is_empty());
        assert_eq!(b, avant);
    }
}
