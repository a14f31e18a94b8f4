//! Benchmark of search and orientation over a synthetic national set built
//! from real places (jittered copies spread over real communes). Figures
//! are measured here and printed by `maillage bench-recherche`, never
//! asserted in tests.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Duree, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use maillage_lieux::enums::*;
use maillage_lieux::format::{self, OptionsLecture};
use maillage_lieux::{v0, validation, Ensemble, Lieu, PrecisionCoordonnees};
use maillage_territoires::{Commune, Referentiel, Territoire};
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::disponibilite::Disponibilite;
use crate::orientation::Questionnaire;
use crate::recherche::Recherche;
use crate::texte::normaliser;

/// Timings of one kind of query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MesureRequetes {
    pub nom: &'static str,
    pub requetes: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Mean number of matching places.
    pub resultats_moyens: f64,
}

/// What [`mesurer`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RapportBench {
    pub lieux: usize,
    /// Time to build the catalogue (indexes, hours parsing, sort).
    pub construction: Duration,
    /// Heap of the indexes and precomputed facts, places excluded
    /// ([`Catalogue::octets_index`]).
    pub octets_index: usize,
    /// Resident memory growth while building the catalogue (Linux), bytes.
    pub rss_construction: Option<u64>,
    /// Resident memory growth while generating the places, bytes.
    pub rss_lieux: Option<u64>,
    pub mesures: Vec<MesureRequetes>,
}

impl RapportBench {
    pub fn octets_index_par_lieu(&self) -> f64 {
        self.octets_index as f64 / self.lieux.max(1) as f64
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for RapportBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mio = |o: u64| o as f64 / (1024.0 * 1024.0);
        writeln!(
            f,
            "Catalogue de {} lieux construit en {}",
            self.lieux,
            ms(self.construction)
        )?;
        writeln!(
            f,
            "Index : {:.1} Mio ({:.0} octets par lieu)",
            mio(self.octets_index as u64),
            self.octets_index_par_lieu()
        )?;
        if let (Some(l), Some(c)) = (self.rss_lieux, self.rss_construction) {
            writeln!(
                f,
                "Mémoire résidente : lieux +{:.1} Mio ({:.0} o/lieu), catalogue +{:.1} Mio ({:.0} o/lieu)",
                mio(l),
                l as f64 / self.lieux.max(1) as f64,
                mio(c),
                c as f64 / self.lieux.max(1) as f64
            )?;
        }
        writeln!(
            f,
            "{:<32} {:>8} {:>12} {:>12} {:>12} {:>10}",
            "requête", "nombre", "p50", "p99", "max", "résultats"
        )?;
        for m in &self.mesures {
            writeln!(
                f,
                "{:<32} {:>8} {:>12} {:>12} {:>12} {:>10.0}",
                m.nom,
                m.requetes,
                ms(m.p50),
                ms(m.p99),
                ms(m.max),
                m.resultats_moyens
            )?;
        }
        Ok(())
    }
}

/// The real places of a data folder (`lieux/*.json|csv` of the standard,
/// v1 or v0.1), migrated, geolocated and validated in memory; the source is
/// the file name. Unreadable files are skipped.
pub fn modeles_depuis_dossier(referentiel: &Referentiel, donnees: &Path) -> Vec<Lieu> {
    let mut modeles = Vec::new();
    let Ok(entrees) = std::fs::read_dir(donnees.join("lieux")) else {
        return modeles;
    };
    let mut chemins: Vec<_> = entrees.filter_map(|e| e.ok().map(|e| e.path())).collect();
    chemins.sort();
    let options = validation::Options::default();
    for chemin in chemins {
        let fichier = chemin.display().to_string();
        if format::Format::depuis_nom(&fichier).is_none() {
            continue;
        }
        let source = chemin
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split('.').next().unwrap_or(n).to_string())
            .unwrap_or_default();
        let Ok(octets) = std::fs::read(&chemin) else {
            continue;
        };
        let Ok(lecture) = format::lire_lieux(&octets, &fichier, &OptionsLecture::default()) else {
            continue;
        };
        for mut brut in lecture.records {
            v0::migrer(&mut brut);
            if !brut.has("source") {
                brut.set("source", source.as_str());
            }
            maillage_territoires::geolocaliser(referentiel, &mut brut);
            if let Some(l) = validation::valider(&brut, &options).lieu {
                modeles.push(l);
            }
        }
    }
    modeles
}

/// `total` jittered copies of the models spread over real communes, over
/// 20 sources, deterministically from `graine`.
pub fn generer(
    modeles: &[Lieu],
    referentiel: &Referentiel,
    total: usize,
    graine: u64,
) -> Vec<Lieu> {
    let mut rng = fastrand::Rng::with_seed(graine);
    let communes: Vec<&Commune> = referentiel
        .communes()
        .iter()
        .filter(|c| c.centre().is_some() && !c.codes_postaux.is_empty())
        .collect();
    if modeles.is_empty() || communes.is_empty() {
        return Vec::new();
    }
    let mut lieux = Vec::with_capacity(total);
    for i in 0..total {
        let m = &modeles[rng.usize(0..modeles.len())];
        let c = communes[rng.usize(0..communes.len())];
        let mut l = m.clone();
        l.id = format!("s{i}").into();
        l.commune = c.nom.as_str().into();
        l.code_insee = Some(c.code_insee.as_str().into());
        l.code_postal = c.codes_postaux[rng.usize(0..c.codes_postaux.len())]
            .as_str()
            .into();
        let (la, lo) = c.centre().unwrap_or_default();
        l.latitude = Some(la + (rng.f64() - 0.5) * 0.02);
        l.longitude = Some(lo + (rng.f64() - 0.5) * 0.02);
        l.precision_coordonnees = PrecisionCoordonnees::Source;
        l.adresse = format!("{} {}", rng.u16(1..300), m.adresse).into();
        l.source = Some(format!("synthetique-{:02}", i % 20 + 1).into());
        lieux.push(l);
    }
    lieux
}

fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let ligne = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kio: u64 = ligne.split_whitespace().nth(1)?.parse().ok()?;
    Some(kio * 1024)
}

/// Nearest-rank percentile of sorted durations (`p` in 0..=1); zero when
/// empty.
pub fn percentile(tri: &[Duration], p: f64) -> Duration {
    if tri.is_empty() {
        return Duration::ZERO;
    }
    let rang = (p.clamp(0.0, 1.0) * tri.len() as f64).ceil() as usize;
    tri[rang.clamp(1, tri.len()) - 1]
}

/// Deletes one inner letter (`bordeaux` → `bordaux`): the typo of a
/// hurried user. Words under 5 letters are kept.
pub fn faute(mot: &str, rng: &mut fastrand::Rng) -> String {
    let lettres: Vec<char> = mot.chars().collect();
    if lettres.len() < 5 {
        return mot.to_string();
    }
    let k = rng.usize(1..lettres.len() - 1);
    lettres
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != k)
        .map(|(_, c)| c)
        .collect()
}

fn mesurer_serie<F>(nom: &'static str, requetes: usize, mut requete: F) -> MesureRequetes
where
    F: FnMut(usize) -> usize,
{
    for k in 0..requetes.min(20) {
        requete(k);
    }
    let mut durees = Vec::with_capacity(requetes);
    let mut resultats = 0usize;
    for k in 0..requetes {
        let debut = Instant::now();
        resultats += std::hint::black_box(requete(k));
        durees.push(debut.elapsed());
    }
    durees.sort_unstable();
    MesureRequetes {
        nom,
        requetes,
        p50: percentile(&durees, 0.50),
        p99: percentile(&durees, 0.99),
        max: durees.last().copied().unwrap_or_default(),
        resultats_moyens: resultats as f64 / requetes.max(1) as f64,
    }
}

/// Builds a catalogue of `n_lieux` synthetic places from `modeles` and
/// times the query mix of issue 3: orientation (need + position + 30 km +
/// open now), filtered search (services + free + département), text with a
/// typo, open at the weekend, a random time slot (answers computed cold),
/// live count and statistics of a département. Each query runs at a random
/// minute of one week.
pub fn mesurer(modeles: &[Lieu], referentiel: &Referentiel, n_lieux: usize) -> RapportBench {
    let rss0 = rss();
    let lieux = generer(modeles, referentiel, n_lieux, 42);
    let rss1 = rss();
    let debut = Instant::now();
    let catalogue = Catalogue::new(lieux, referentiel);
    let construction = debut.elapsed();
    let rss2 = rss();
    mesurer_catalogue(&catalogue, construction, rss0, rss1, rss2)
}

/// [`mesurer`] with the embedded referential and the models of a data
/// folder (the repository's `data/`): what `maillage bench-recherche` runs.
pub fn mesurer_depuis_dossier(donnees: &Path, n_lieux: usize) -> Result<RapportBench, String> {
    let referentiel =
        maillage_territoires::embarque().map_err(|e| format!("référentiel illisible : {e}"))?;
    let modeles = modeles_depuis_dossier(referentiel, donnees);
    if modeles.is_empty() {
        return Err(format!(
            "aucun lieu modèle lisible dans {}",
            donnees.join("lieux").display()
        ));
    }
    Ok(mesurer(&modeles, referentiel, n_lieux))
}

fn mesurer_catalogue(
    catalogue: &Catalogue,
    construction: Duration,
    rss0: Option<u64>,
    rss1: Option<u64>,
    rss2: Option<u64>,
) -> RapportBench {
    let n = catalogue.len();
    let requetes = if n > 200_000 { 200 } else { 1000 };
    let mut rng = fastrand::Rng::with_seed(7);
    // A Monday 00:00 UTC; each query at a random hour of the week.
    let lundi: DateTime<Utc> = Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(2026, 3, 16)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default(),
    );
    let instants: Vec<DateTime<Utc>> = (0..requetes)
        .map(|_| lundi + Duree::minutes(rng.i64(0..7 * 24 * 60)))
        .collect();
    let avec_position: Vec<usize> = (0..n)
        .filter(|&i| catalogue.fiche(i).position.is_some())
        .collect();
    let tirer = |rng: &mut fastrand::Rng| -> usize {
        if avec_position.is_empty() {
            rng.usize(0..n.max(1))
        } else {
            avec_position[rng.usize(0..avec_position.len())]
        }
    };
    let services = Service::TOUTES;
    let mut mesures = Vec::new();
    if n == 0 {
        return RapportBench {
            lieux: 0,
            construction,
            octets_index: catalogue.octets_index(),
            rss_construction: None,
            rss_lieux: None,
            mesures,
        };
    }

    let questionnaires: Vec<Questionnaire> = (0..requetes)
        .map(|_| {
            let p = catalogue.fiche(tirer(&mut rng)).position;
            Questionnaire {
                besoin: Some(services[rng.usize(0..services.len())]),
                position: p.map(|p| crate::Position {
                    latitude: p.latitude + (rng.f64() - 0.5) * 0.1,
                    longitude: p.longitude + (rng.f64() - 0.5) * 0.1,
                }),
                disponibilite: Some(Disponibilite::Maintenant),
                ..Questionnaire::default()
            }
        })
        .collect();
    mesures.push(mesurer_serie(
        "orientation (besoin, 30 km, ouvert)",
        requetes,
        |k| catalogue.orienter(&questionnaires[k], instants[k]).total,
    ));
    mesures.push(mesurer_serie("compter (questionnaire)", requetes, |k| {
        catalogue.compter(&questionnaires[k].recherche(), instants[k])
    }));

    let departement = |rng: &mut fastrand::Rng| {
        catalogue
            .fiche(tirer(rng))
            .code_departement
            .as_deref()
            .map(|d| Territoire::Departement(d.into()))
    };
    let filtrees: Vec<Recherche> = (0..requetes)
        .map(|_| {
            let mut s = Ensemble::only(services[rng.usize(0..services.len())]);
            if rng.bool() {
                s.insert(services[rng.usize(0..services.len())]);
            }
            Recherche {
                services: s,
                frais_a_charge: Frais::Gratuit.into(),
                territoire: departement(&mut rng),
                ..Recherche::default()
            }
        })
        .collect();
    mesures.push(mesurer_serie(
        "services + gratuit + département",
        requetes,
        |k| catalogue.rechercher(&filtrees[k], instants[k]).total,
    ));

    let textes: Vec<Recherche> = (0..requetes)
        .map(|_| {
            let l = &catalogue.lieux()[rng.usize(0..n)];
            let nom = normaliser(&l.nom);
            let mot = nom
                .split(' ')
                .find(|m| m.len() >= 4)
                .unwrap_or("mediatheque")
                .to_string();
            let commune = normaliser(&l.commune);
            let commune = commune.split(' ').max_by_key(|m| m.len()).unwrap_or("");
            Recherche {
                texte: Some(format!("{mot} {}", faute(commune, &mut rng))),
                ..Recherche::default()
            }
        })
        .collect();
    mesures.push(mesurer_serie("texte avec faute", requetes, |k| {
        catalogue.rechercher(&textes[k], instants[k]).total
    }));

    let week_end = Recherche {
        disponibilite: Some(Disponibilite::WeekEnd),
        ..Recherche::default()
    };
    mesures.push(mesurer_serie(
        "ouvert le week-end (national)",
        requetes,
        |k| catalogue.rechercher(&week_end, instants[k]).total,
    ));

    // Mostly distinct questions: the cost of answering cold.
    let creneaux: Vec<Recherche> = (0..requetes)
        .map(|_| {
            let debut = rng.u32(7..20);
            Recherche {
                disponibilite: Some(Disponibilite::Creneau {
                    jour: Weekday::try_from(rng.u8(0..7)).unwrap_or(Weekday::Mon),
                    debut: NaiveTime::from_hms_opt(debut, rng.u32(0..4) * 15, 0)
                        .unwrap_or_default(),
                    fin: NaiveTime::from_hms_opt(debut + 2, 0, 0).unwrap_or_default(),
                }),
                ..Recherche::default()
            }
        })
        .collect();
    mesures.push(mesurer_serie(
        "créneau au hasard (national)",
        requetes,
        |k| catalogue.rechercher(&creneaux[k], instants[k]).total,
    ));

    let stats: Vec<Recherche> = (0..requetes)
        .map(|_| Recherche {
            territoire: departement(&mut rng),
            ..Recherche::default()
        })
        .collect();
    mesures.push(mesurer_serie(
        "statistiques d'un département",
        requetes,
        |k| catalogue.statistiques(&stats[k], instants[k]).total,
    ));

    RapportBench {
        lieux: n,
        construction,
        octets_index: catalogue.octets_index(),
        rss_construction: rss1.zip(rss2).map(|(a, b)| b.saturating_sub(a)),
        rss_lieux: rss0.zip(rss1).map(|(a, b)| b.saturating_sub(a)),
        mesures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> Duration {
        Duration::from_millis(x)
    }

    #[test]
    fn percentiles_au_rang_le_plus_proche() {
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
        assert_eq!(percentile(&[ms(7)], 0.99), ms(7));
        let cent: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&cent, 0.50), ms(50));
        assert_eq!(percentile(&cent, 0.99), ms(99));
        assert_eq!(percentile(&cent, 1.0), ms(100));
        assert_eq!(percentile(&cent, 0.0), ms(1));
        let mille: Vec<Duration> = (1..=1000).map(ms).collect();
        assert_eq!(percentile(&mille, 0.99), ms(990));
    }

    #[test]
    fn une_faute_retire_une_lettre_interieure() {
        let mut rng = fastrand::Rng::with_seed(7);
        assert_eq!(faute("pau", &mut rng), "pau");
        let f = faute("bordeaux", &mut rng);
        assert_eq!(f.chars().count(), 7);
        assert!(f.starts_with('b') && f.ends_with('x'), "{f}");
    }
}
