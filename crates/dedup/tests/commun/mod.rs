//! Test data: the real places of /data (v0 files read with the simple
//! renames this crate needs, not the real migration), the synthetic variants
//! of tests/data/variantes.csv and the labelled pairs of tests/data/paires.csv.
#![allow(dead_code)]

use chrono::NaiveDate;
use maillage_lieux::texte::cle_comparaison;
use maillage_lieux::{Lieu, PrecisionCoordonnees};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use unicode_normalization::UnicodeNormalization;

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
pub const TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// A record with the name of the source it came from.
#[derive(Debug, Clone)]
pub struct Enregistrement {
    pub source: String,
    pub lieu: Lieu,
}

fn v0_service(v: &str) -> &'static [&'static str] {
    match v {
        "Devenir autonome dans les démarches administratives"
        | "Réaliser des démarches administratives avec un accompagnement"
        | "Accompagner les démarches de santé" => &["Aide aux démarches administratives"],
        "Prendre en main un smartphone ou une tablette"
        | "Prendre en main un ordinateur"
        | "Utiliser le numérique au quotidien" => &["Maîtrise des outils numériques du quotidien"],
        "Approfondir ma culture numérique" | "Promouvoir la citoyenneté numérique" => {
            &["Compréhension du monde numérique"]
        }
        "Favoriser mon insertion professionnelle" | "Créer et développer mon entreprise" => {
            &["Insertion professionnelle via le numérique"]
        }
        "Accéder à une connexion internet" | "Accéder à du matériel" => {
            &["Accès internet et matériel informatique"]
        }
        "S'équiper en matériel informatique" => {
            &["Acquisition de matériel informatique à prix solidaire"]
        }
        "Créer avec le numérique" => &["Loisirs et créations numériques"],
        "Soutenir la parentalité et l'éducation avec le numérique" => {
            &["Parentalité et éducation avec le numérique"]
        }
        _ => &[],
    }
}

fn v0_label(v: &str) -> Option<&'static str> {
    match v {
        "CNFS" => Some("Conseillers numériques"),
        "France Services" => Some("France Services"),
        "Aidants Connect" => Some("Aidants Connect"),
        "Point relais CAF" | "Point numérique CAF" => Some("Point d'accès numérique CAF"),
        "Grandes écoles du numérique" => Some("Grande école du numérique"),
        _ => None,
    }
}

fn texte(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Turns a v0 (or mixed v0/v1) JSON object into the texts of the v1 fields.
fn v1(objet: &serde_json::Map<String, serde_json::Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in objet {
        let Some(t) = texte(v) else { continue };
        let liste = t.replace(';', "|");
        match k.as_str() {
            "courriel" => {
                out.insert("courriels".into(), liste);
            }
            "accessibilite" => {
                out.insert("fiche_acces_libre".into(), t);
            }
            "labels_autres" => {
                out.insert("autres_formations_labels".into(), liste);
            }
            "conditions_acces" => {
                let v: Vec<&str> = liste
                    .split('|')
                    .map(|x| x.split(" :").next().unwrap_or_default().trim())
                    .map(|x| if x == "Adhésion" { "Payant" } else { x })
                    .collect();
                out.insert("frais_a_charge".into(), v.join("|"));
            }
            "services" => {
                let mut v: Vec<&str> = Vec::new();
                for s in liste.split('|') {
                    let s = s.trim();
                    let m = v0_service(s);
                    if m.is_empty() {
                        v.push(s);
                    } else {
                        v.extend(m.iter().copied());
                    }
                }
                out.insert("services".into(), v.join("|"));
            }
            "labels_nationaux" => {
                let v: Vec<&str> = liste
                    .split('|')
                    .filter_map(|s| v0_label(s.trim()))
                    .collect();
                out.insert("dispositif_programmes_nationaux".into(), v.join("|"));
            }
            "modalites_accompagnement" => {
                let v: Vec<&str> = liste
                    .split('|')
                    .map(|s| {
                        if s.starts_with("Seul") {
                            "En autonomie"
                        } else if s.starts_with("Dans un atelier") {
                            "Dans un atelier collectif"
                        } else if s.starts_with("Avec de l'aide") || s.starts_with("A ma place") {
                            "Accompagnement individuel"
                        } else {
                            s
                        }
                    })
                    .collect();
                out.insert(k.clone(), v.join("|"));
            }
            "typologie" | "site_web" | "courriels" => {
                out.insert(k.clone(), liste);
            }
            _ => {
                out.insert(k.clone(), t);
            }
        }
    }
    out
}

/// INSEE code of a commune from its postcode and name (what the reference
/// pipeline gets from geocoding), read from data/territoires/communes.csv.gz.
pub struct Communes {
    par_cp_nom: HashMap<(String, String), String>,
    par_cp: HashMap<String, Vec<String>>,
}

impl Communes {
    pub fn charger() -> Communes {
        let f = std::fs::File::open(format!("{DATA}/territoires/communes.csv.gz"))
            .expect("communes.csv.gz");
        let mut texte = String::new();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut texte)
            .expect("gzip");
        let mut r = csv::Reader::from_reader(texte.as_bytes());
        let mut par_cp_nom = HashMap::new();
        let mut par_cp: HashMap<String, Vec<String>> = HashMap::new();
        for ligne in r.records() {
            let ligne = ligne.expect("ligne");
            let (insee, nom, cps) = (&ligne[0], &ligne[1], &ligne[6]);
            for cp in cps.split(['|', ';', ' ']).filter(|c| !c.is_empty()) {
                par_cp_nom.insert((cp.to_string(), cle_commune(nom)), insee.to_string());
                par_cp
                    .entry(cp.to_string())
                    .or_default()
                    .push(insee.to_string());
            }
        }
        Communes { par_cp_nom, par_cp }
    }

    pub fn code_insee(&self, cp: &str, commune: &str) -> Option<String> {
        if let Some(c) = self.par_cp_nom.get(&(cp.to_string(), cle_commune(commune))) {
            return Some(c.clone());
        }
        match self.par_cp.get(cp) {
            Some(v) if v.len() == 1 => Some(v[0].clone()),
            _ => None,
        }
    }
}

fn cle_commune(nom: &str) -> String {
    cle_comparaison(nom)
        .split(' ')
        .map(|m| match m {
            "st" => "saint",
            "ste" => "sainte",
            m => m,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn construire(valeurs: &BTreeMap<String, String>) -> Lieu {
    let precision = if valeurs.contains_key("latitude") && valeurs.contains_key("longitude") {
        PrecisionCoordonnees::Source
    } else {
        PrecisionCoordonnees::Aucune
    };
    Lieu::depuis_valeurs(|c| valeurs.get(c).map(String::as_str), precision).expect("lieu valide")
}

/// The real records: the 4 published files and the raw Étapes numériques
/// source (La Poste offices, real SIRETs).
pub fn reels(communes: &Communes) -> Vec<Enregistrement> {
    let mut out = Vec::new();
    for f in [
        "hinaura-2021.v0.json",
        "charente-2023.v0.json",
        "bus-france-services-charente-2023.v0.json",
        "nouvelle-caledonie-2024.v0.json",
    ] {
        let texte = std::fs::read_to_string(format!("{DATA}/lieux/{f}")).expect("fichier");
        let v: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(&texte).expect("json");
        for o in v {
            let mut valeurs = v1(&o);
            completer_insee(&mut valeurs, communes);
            let source = valeurs.get("source").cloned().unwrap_or_else(|| f.into());
            out.push(Enregistrement {
                source,
                lieu: construire(&valeurs),
            });
        }
    }
    let texte = std::fs::read_to_string(format!(
        "{DATA}/sources/mednum-cli/etapes-numerique/etapes-numerique.json"
    ))
    .expect("etapes");
    let v: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&texte).expect("json");
    for o in v {
        let t = |k: &str| o.get(k).and_then(texte_json).unwrap_or_default();
        let mut valeurs = BTreeMap::new();
        valeurs.insert("id".to_string(), t("ID"));
        valeurs.insert("pivot".to_string(), t("SIRET"));
        valeurs.insert("nom".to_string(), t("Nom"));
        valeurs.insert("commune".to_string(), t("Commune"));
        valeurs.insert(
            "code_postal".to_string(),
            format!("{:0>5}", t("Code postal")),
        );
        valeurs.insert("code_insee".to_string(), format!("{:0>5}", t("Code INSEE")));
        valeurs.insert("adresse".to_string(), t("Adresse"));
        valeurs.insert("latitude".to_string(), t("latitude"));
        valeurs.insert("longitude".to_string(), t("longitude"));
        valeurs.insert("date_maj".to_string(), "2024-03-01".to_string());
        valeurs.insert("source".to_string(), "Étapes numériques".to_string());
        valeurs.insert(
            "formations_labels".to_string(),
            "Étapes numériques (La Poste)".to_string(),
        );
        valeurs.retain(|_, v| !v.is_empty());
        out.push(Enregistrement {
            source: "Étapes numériques".into(),
            lieu: construire(&valeurs),
        });
    }
    out
}

fn texte_json(v: &serde_json::Value) -> Option<String> {
    texte(v)
}

fn completer_insee(valeurs: &mut BTreeMap<String, String>, communes: &Communes) {
    if valeurs.contains_key("code_insee") {
        return;
    }
    let cp = valeurs.get("code_postal").cloned().unwrap_or_default();
    let commune = valeurs.get("commune").cloned().unwrap_or_default();
    if let Some(c) = communes.code_insee(&cp, &commune) {
        valeurs.insert("code_insee".into(), c);
    }
}

fn sans_accents(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

fn abreger(adresse: &str) -> String {
    adresse
        .split(' ')
        .map(|m| match m.to_lowercase().as_str() {
            "rue" => "R.".to_string(),
            "avenue" => "Av.".to_string(),
            "boulevard" => "Bd".to_string(),
            "place" => "Pl.".to_string(),
            "route" => "Rte".to_string(),
            "chemin" => "Ch.".to_string(),
            "saint" => "St".to_string(),
            _ => m.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `+33545952811` → `05 45 95 28 11`; `+687445728` → `44.57.28`.
fn telephone_national(t: &str) -> String {
    if let Some(reste) = t.strip_prefix("+33") {
        let national = format!("0{reste}");
        let c: Vec<char> = national.chars().collect();
        c.chunks(2)
            .map(|x| x.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    } else if let Some(reste) = t.strip_prefix("+687") {
        let c: Vec<char> = reste.chars().collect();
        c.chunks(2)
            .map(|x| x.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(".")
    } else {
        t.to_string()
    }
}

/// Swaps two letters in the middle of a name (a typing error).
fn coquille(nom: &str) -> String {
    let mut c: Vec<char> = nom.chars().collect();
    let n = c.len();
    for i in (n / 2)..n.saturating_sub(1) {
        if c[i].is_alphabetic() && c[i + 1].is_alphabetic() && c[i] != c[i + 1] {
            c.swap(i, i + 1);
            break;
        }
    }
    c.into_iter().collect()
}

/// Applies the transformations of variantes.csv (joined with `+`).
pub fn appliquer(base: &Lieu, id: &str, source: &str, transformations: &str) -> Lieu {
    let mut l = base.clone();
    l.id = id.into();
    l.source = Some(source.into());
    for t in transformations.split('+') {
        let (nom, arg) = t.split_once(':').unwrap_or((t, ""));
        match nom {
            "maj" => {
                l.nom = l.nom.to_uppercase();
                l.adresse = l.adresse.to_uppercase();
            }
            "sans_accents" => {
                l.nom = sans_accents(&l.nom).into();
                l.adresse = sans_accents(&l.adresse).into();
                l.commune = sans_accents(&l.commune).into();
            }
            "abrev" => l.adresse = abreger(&l.adresse).into(),
            "tel_national" => {
                l.telephone = l.telephone.as_deref().map(|t| telephone_national(t).into())
            }
            "deplace" => {
                let metres: f64 = arg.parse().expect("distance");
                // Bearing from the base id: deterministic, varied.
                let cap = (base.id.bytes().map(u32::from).sum::<u32>() * 37 % 360) as f64;
                if let (Some(la), Some(lo)) = (l.latitude, l.longitude) {
                    let dn = metres * cap.to_radians().cos();
                    let de = metres * cap.to_radians().sin();
                    l.latitude = Some(la + dn / 111_195.0);
                    l.longitude = Some(lo + de / (111_195.0 * la.to_radians().cos()));
                }
            }
            "sans_coord" => {
                l.latitude = None;
                l.longitude = None;
                l.precision_coordonnees = PrecisionCoordonnees::Aucune;
            }
            "sans_tel" => l.telephone = None,
            "sans_courriel" => l.courriels.clear(),
            "date" => l.date_maj = NaiveDate::from_ymd_opt(2024, 1, 15).expect("date"),
            "typo" => l.nom = coquille(&l.nom).into(),
            autre => panic!("transformation inconnue : {autre}"),
        }
    }
    l
}

/// Real records followed by the synthetic variants of `variantes` (a file
/// of tests/data).
pub fn tous(variantes_csv: &str) -> Vec<Enregistrement> {
    let communes = Communes::charger();
    let mut out = reels(&communes);
    let index: HashMap<(String, String), usize> = out
        .iter()
        .enumerate()
        .map(|(i, e)| ((e.source.clone(), e.lieu.id.to_string()), i))
        .collect();
    let mut r = csv::Reader::from_path(format!("{TESTS}/{variantes_csv}")).expect("variantes");
    let mut variantes = Vec::new();
    for ligne in r.records() {
        let ligne = ligne.expect("ligne");
        let base = index
            .get(&(ligne[2].to_string(), ligne[3].to_string()))
            .unwrap_or_else(|| panic!("base inconnue : {} {}", &ligne[2], &ligne[3]));
        let lieu = appliquer(&out[*base].lieu, &ligne[1], &ligne[0], &ligne[4]);
        variantes.push(Enregistrement {
            source: ligne[0].to_string(),
            lieu,
        });
    }
    out.extend(variantes);
    out
}

/// A labelled pair: indices into [`tous`], verdict, reason.
#[derive(Debug, Clone)]
pub struct Paire {
    pub a: usize,
    pub b: usize,
    pub vrai: bool,
    pub raison: String,
}

pub fn paires(enregistrements: &[Enregistrement], paires_csv: &str) -> Vec<Paire> {
    let index: HashMap<(String, String), usize> = enregistrements
        .iter()
        .enumerate()
        .map(|(i, e)| ((e.source.clone(), e.lieu.id.to_string()), i))
        .collect();
    // Keys are unique, or a pair could name the wrong record.
    assert_eq!(
        index.len(),
        enregistrements.len(),
        "clés (source, id) en double"
    );
    let mut r = csv::Reader::from_path(format!("{TESTS}/{paires_csv}")).expect("paires");
    let mut out = Vec::new();
    for ligne in r.records() {
        let ligne = ligne.expect("ligne");
        let cle = |s: &str, i: &str| {
            *index
                .get(&(s.to_string(), i.to_string()))
                .unwrap_or_else(|| panic!("fiche inconnue : {s} {i}"))
        };
        out.push(Paire {
            a: cle(&ligne[0], &ligne[1]),
            b: cle(&ligne[2], &ligne[3]),
            vrai: match &ligne[4] {
                "VRAI" => true,
                "FAUX" => false,
                v => panic!("verdict inconnu : {v}"),
            },
            raison: ligne[5].to_string(),
        });
    }
    out
}
