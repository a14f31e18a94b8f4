//! Import of files into the registry: standard files (v1 or v0.1, CSV or
//! JSON) and raw sources through a mapping configuration.
//!
//! An import is all-or-nothing at two levels: a file that cannot be used at
//! all aborts the whole import and leaves the registry exactly as it was; a
//! row that cannot be used is rejected and reported while valid rows go in.
//! The registry's records for the source become exactly the valid rows of
//! the new version, in one transaction (re-importing is idempotent).

use crate::{Erreur, Resultat};
use maillage_lieux::format::{self, OptionsLecture};
use maillage_lieux::{v0, validation, Gravite, Issue, Lieu, LieuBrut};
use maillage_sources::Configuration;
use maillage_store::{ImportChange, ImportRun, Store};
use maillage_territoires::Referentiel;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Demande {
    /// Source name; required for standard files, derived from the mapping
    /// configuration otherwise.
    pub source: Option<String>,
    pub fichiers: Vec<PathBuf>,
    /// Mapping configuration of the reference pipeline (`<source>.config.json`).
    pub correspondance: Option<PathBuf>,
    /// Print what would change, store nothing.
    pub simulation: bool,
    /// Reject a record whose opening hours cannot be read.
    pub strict_horaires: bool,
    pub delimiteur: Option<u8>,
    pub chemin_json: Option<String>,
}

/// Counts for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatFichier {
    pub fichier: String,
    pub lus: u64,
    pub valides: u64,
    pub rejetes: u64,
}

/// Valid places and every problem found, before touching the database.
#[derive(Debug, Default)]
pub struct Preparation {
    pub source: String,
    pub lieux: Vec<Lieu>,
    pub issues: Vec<Issue>,
    pub fichiers: Vec<StatFichier>,
}

impl Preparation {
    pub fn lus(&self) -> u64 {
        self.fichiers.iter().map(|f| f.lus).sum()
    }
    pub fn valides(&self) -> u64 {
        self.fichiers.iter().map(|f| f.valides).sum()
    }
    pub fn rejetes(&self) -> u64 {
        self.fichiers.iter().map(|f| f.rejetes).sum()
    }
    /// Rejected rows by reason code (the first error of each rejected row).
    pub fn motifs_rejet(&self) -> BTreeMap<&'static str, u64> {
        let mut seen = HashSet::new();
        let mut motifs = BTreeMap::new();
        for i in self.issues.iter().filter(|i| i.severity == Gravite::Erreur) {
            if seen.insert((i.file.clone(), i.line, i.record_id.clone())) {
                *motifs.entry(i.code).or_insert(0) += 1;
            }
        }
        motifs
    }
    pub fn avertissements(&self) -> BTreeMap<&'static str, u64> {
        let mut m = BTreeMap::new();
        for i in self
            .issues
            .iter()
            .filter(|i| i.severity == Gravite::Avertissement)
        {
            *m.entry(i.code).or_insert(0) += 1;
        }
        m
    }
}

/// The outcome of an import (or of a dry run).
#[derive(Debug, Default)]
pub struct Rapport {
    /// Counts and problems; its `lieux` have moved into the store (empty).
    pub preparation: Preparation,
    pub simulation: bool,
    pub ajoutes: Vec<String>,
    pub modifies: Vec<String>,
    pub supprimes: Vec<String>,
    pub inchanges: u64,
}

fn lire(chemin: &Path) -> Resultat<Vec<u8>> {
    std::fs::read(chemin).map_err(|e| {
        Erreur::inutilisable(
            Issue::fatale(
                "fichier_illisible",
                format!("impossible de lire le fichier : {}", raison_io(&e)),
            )
            .at(Some(&chemin.display().to_string()), None),
        )
    })
}

pub(crate) fn raison_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
        std::io::ErrorKind::PermissionDenied => "accès refusé".to_string(),
        _ => e.to_string(),
    }
}

/// Source name for a mapping configuration: the known source of its folder
/// (`…/gironde/gironde.config.json` → "Gironde"), else the file stem.
pub fn source_de_configuration(
    chemin: &Path,
) -> (String, Option<&'static maillage_sources::SourceInfo>) {
    let stem = chemin
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.trim_end_matches(".json")
                .trim_end_matches(".config")
                .to_string()
        })
        .unwrap_or_default();
    let dossier = chemin
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let info = maillage_sources::sources_connues()
        .iter()
        .find(|s| s.dossier == stem || s.dossier == dossier);
    (stem, info)
}

/// Reads, transforms, geolocates and validates every file. Pure: touches no
/// database, so `maillage check` and dry runs use it as is.
pub fn preparer(demande: &Demande, referentiel: &Referentiel) -> Resultat<Preparation> {
    let mut opts = OptionsLecture {
        delimiteur: demande.delimiteur,
        chemin_json: demande.chemin_json.clone(),
        ..OptionsLecture::default()
    };
    let config = match &demande.correspondance {
        Some(chemin) => {
            let octets = lire(chemin)?;
            let config = Configuration::depuis_json(&octets, &chemin.display().to_string())
                .map_err(Erreur::inutilisable)?;
            Some((chemin, config))
        }
        None => None,
    };
    // A known source (by its configuration's folder) brings its name, CSV
    // delimiter and JSON wrapper key, whatever name the import is given.
    let connue = config
        .as_ref()
        .map(|(chemin, _)| source_de_configuration(chemin));
    if let Some((_, Some(info))) = &connue {
        opts.delimiteur = opts.delimiteur.or(info.delimiteur);
        if opts.chemin_json.is_none() {
            opts.chemin_json = info.chemin_json.map(str::to_string);
        }
    }
    let source = match (&demande.source, &connue) {
        (Some(s), _) => s.trim().to_string(),
        (None, Some((stem, _))) => stem.clone(),
        (None, None) => {
            return Err(Erreur::Parametre(
                "indiquez le nom de la source avec --source NOM".to_string(),
            ))
        }
    };
    if source.is_empty() {
        return Err(Erreur::Parametre(
            "le nom de la source est vide".to_string(),
        ));
    }
    let nom_source = match &connue {
        Some((_, Some(info))) => info.nom.to_string(),
        _ => source.clone(),
    };
    if demande.fichiers.is_empty() {
        return Err(Erreur::Parametre("aucun fichier à importer".to_string()));
    }

    let options = validation::Options {
        strict_horaires: demande.strict_horaires,
        ..validation::Options::default()
    };
    let mut prep = Preparation {
        source: source.clone(),
        ..Preparation::default()
    };
    let mut ids: HashMap<String, (String, Option<u64>)> = HashMap::new();
    for chemin in &demande.fichiers {
        let fichier = chemin.display().to_string();
        let octets = lire(chemin)?;
        let (bruts, mut issues_lecture) = match &config {
            Some((_, config)) => {
                let lecture =
                    format::lire_objets(&octets, &fichier, &opts).map_err(Erreur::inutilisable)?;
                let t =
                    maillage_sources::transformer(config, &lecture.records, &nom_source, &fichier);
                let mut issues = lecture.issues;
                issues.extend(t.issues);
                (t.lieux, issues)
            }
            None => {
                let lecture =
                    format::lire_lieux(&octets, &fichier, &opts).map_err(Erreur::inutilisable)?;
                (lecture.records, lecture.issues)
            }
        };
        let rejetes_lecture = issues_lecture
            .iter()
            .filter(|i| i.severity == Gravite::Erreur)
            .count() as u64;
        for i in issues_lecture.iter_mut() {
            *i = i.clone().at(Some(&fichier), None);
        }
        prep.issues.append(&mut issues_lecture);

        // A raw source with no update date was collected now: the mapping
        // configuration is the producer's word, so date it with the import.
        let date_par_defaut = config.as_ref().map(|_| options.aujourd_hui);
        let resultats = valider_en_parallele(
            bruts,
            &nom_source,
            referentiel,
            &options,
            &fichier,
            date_par_defaut,
        );
        let mut stat = StatFichier {
            fichier: fichier.clone(),
            lus: rejetes_lecture,
            valides: 0,
            rejetes: rejetes_lecture,
        };
        for (ligne, lieu, issues) in resultats {
            stat.lus += 1;
            prep.issues.extend(issues);
            match lieu {
                Some(lieu) => {
                    if let Some((f, l)) = ids.get(lieu.id.as_str()) {
                        let ou = match l {
                            Some(l) => format!("{f}, ligne {l}"),
                            None => f.clone(),
                        };
                        prep.issues.push(
                            Issue::erreur(
                                "id_en_double",
                                "id",
                                format!("l'identifiant « {} » est déjà utilisé ({ou}) ; ce lieu est écarté", lieu.id),
                            )
                            .at(Some(&fichier), ligne)
                            .for_record(Some(&lieu.id)),
                        );
                        stat.rejetes += 1;
                    } else {
                        ids.insert(lieu.id.to_string(), (fichier.clone(), ligne));
                        stat.valides += 1;
                        prep.lieux.push(lieu);
                    }
                }
                None => stat.rejetes += 1,
            }
        }
        prep.fichiers.push(stat);
    }
    Ok(prep)
}

type Valide = (Option<u64>, Option<Lieu>, Vec<Issue>);

/// Migration, geolocation and validation are independent per record: split
/// the work over the machine's cores, keeping the file order.
fn valider_en_parallele(
    bruts: Vec<LieuBrut>,
    nom_source: &str,
    referentiel: &Referentiel,
    options: &validation::Options,
    fichier: &str,
    date_par_defaut: Option<chrono::NaiveDate>,
) -> Vec<Valide> {
    let un = |mut brut: LieuBrut| -> Valide {
        let ligne = brut.line;
        let mut issues = v0::migrer(&mut brut);
        if let Some(date) = date_par_defaut {
            let lue = brut
                .get("date_maj")
                .map(|d| (d.to_string(), validation::lire_date(d).is_some()));
            let message = match lue {
                None => Some("la source ne donne pas de date de mise à jour : la date de l'import est utilisée".to_string()),
                Some((texte, false)) => Some(format!(
                    "date de mise à jour « {texte} » illisible : la date de l'import est utilisée"
                )),
                Some((_, true)) => None,
            };
            if let Some(message) = message {
                brut.set("date_maj", date.format("%Y-%m-%d").to_string());
                issues.push(Issue::avertissement(
                    "date_maj_remplacee",
                    "date_maj",
                    message,
                ));
            }
        }
        if !brut.has("source") {
            brut.set("source", nom_source);
        }
        issues.extend(maillage_territoires::geolocaliser(referentiel, &mut brut));
        let r = validation::valider(&brut, options);
        issues.extend(r.issues);
        let id = brut.get("id").map(str::to_string);
        let issues = issues
            .into_iter()
            .map(|i| i.at(Some(fichier), ligne).for_record(id.as_deref()))
            .collect();
        (ligne, r.lieu, issues)
    };
    let coeurs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if bruts.len() < 2_000 || coeurs < 2 {
        return bruts.into_iter().map(un).collect();
    }
    let taille = bruts.len().div_ceil(coeurs);
    let mut morceaux: Vec<Vec<LieuBrut>> = Vec::new();
    let mut reste = bruts.into_iter();
    loop {
        let m: Vec<LieuBrut> = reste.by_ref().take(taille).collect();
        if m.is_empty() {
            break;
        }
        morceaux.push(m);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = morceaux
            .into_iter()
            .map(|m| s.spawn(move || m.into_iter().map(un).collect::<Vec<_>>()))
            .collect();
        let mut tout = Vec::new();
        for h in handles {
            // A panic in a worker is a bug; keep the other results rather
            // than abort the import.
            if let Ok(v) = h.join() {
                tout.extend(v);
            }
        }
        tout
    })
}

/// Imports into the store: prepare, compare with the registry's records for
/// this source, apply the difference in one transaction (or only report it
/// when `simulation`).
pub async fn importer(
    store: &Store,
    demande: &Demande,
    referentiel: &Referentiel,
) -> Resultat<Rapport> {
    let t = std::time::Instant::now();
    let prep = preparer(demande, referentiel)?;
    tracing::info!(source = %prep.source, records = prep.lieux.len(), ms = t.elapsed().as_millis() as u64, "prepared");
    appliquer(store, prep, demande.simulation).await
}

/// Imports several sources one after the other, each in its own
/// transaction, reading and validating the next file while the database
/// writes the current one. Results are in the order of `demandes`; a file
/// that cannot be used does not stop the others.
pub async fn importer_plusieurs(
    store: &Store,
    demandes: Vec<Demande>,
    referentiel: &'static Referentiel,
) -> Vec<Resultat<Rapport>> {
    let mut resultats = Vec::with_capacity(demandes.len());
    let mut suivantes = demandes.into_iter();
    let preparer_en_fond = |d: Demande| {
        tokio::task::spawn_blocking(move || {
            let prep = preparer(&d, referentiel);
            (d.simulation, prep)
        })
    };
    let mut en_cours = suivantes.next().map(preparer_en_fond);
    while let Some(tache) = en_cours.take() {
        en_cours = suivantes.next().map(preparer_en_fond);
        let r = match tache.await {
            Ok((simulation, Ok(prep))) => appliquer(store, prep, simulation).await,
            Ok((_, Err(e))) => Err(e),
            // Preparation never panics on input; a panic is a bug, reported
            // as this source's failure rather than taking the others down.
            Err(e) => Err(Erreur::Parametre(format!(
                "la préparation de l'import a échoué : {e}"
            ))),
        };
        resultats.push(r);
    }
    resultats
}

/// Compares a prepared source with the registry's records for it and
/// applies the difference in one transaction (or only reports it when
/// `simulation`).
pub async fn appliquer(
    store: &Store,
    mut prep: Preparation,
    simulation: bool,
) -> Resultat<Rapport> {
    if prep.valides() == 0 && prep.lus() > 0 {
        // Almost always a changed format upstream: never wipe a source's
        // places because its new file is unreadable.
        return Err(Erreur::inutilisable(Issue::fatale(
            "aucun_lieu_valide",
            format!(
                "aucun des {} lieux lus n'est valide ; le registre n'est pas modifié (voir le rapport d'erreurs)",
                prep.lus()
            ),
        )));
    }
    let empreintes = store.fingerprints(&prep.source).await?;
    let mut rapport = Rapport {
        simulation,
        ..Rapport::default()
    };
    // The places move into the change: a national import is not copied.
    let lieux = std::mem::take(&mut prep.lieux);
    let mut upserts = Vec::with_capacity(lieux.len());
    let mut presents = HashSet::with_capacity(lieux.len());
    for lieu in lieux {
        presents.insert(lieu.id.to_string());
        match empreintes.get(lieu.id.as_str()) {
            None => {
                rapport.ajoutes.push(lieu.id.to_string());
                upserts.push(lieu);
            }
            Some(e) if *e != lieu.empreinte() => {
                rapport.modifies.push(lieu.id.to_string());
                upserts.push(lieu);
            }
            Some(_) => rapport.inchanges += 1,
        }
    }
    // In key order: the database appends to its index instead of inserting
    // at random places.
    upserts.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let mut supprimes: Vec<String> = empreintes
        .keys()
        .filter(|id| !presents.contains(id.as_str()))
        .cloned()
        .collect();
    supprimes.sort();
    rapport.supprimes = supprimes;
    if !simulation {
        let run = ImportRun {
            source: prep.source.clone(),
            at: chrono::Utc::now(),
            files: prep.fichiers.iter().map(|f| f.fichier.clone()).collect(),
            rows_read: prep.lus(),
            rows_valid: prep.valides(),
            rows_rejected: prep.rejetes(),
            added: rapport.ajoutes.len() as u64,
            changed: rapport.modifies.len() as u64,
            removed: rapport.supprimes.len() as u64,
            warnings: prep
                .issues
                .iter()
                .filter(|i| i.severity == Gravite::Avertissement)
                .count() as u64,
        };
        let t = std::time::Instant::now();
        store
            .apply_import(&ImportChange {
                source: prep.source.clone(),
                upserts,
                deletes: rapport.supprimes.clone(),
                run,
            })
            .await?;
        tracing::info!(ms = t.elapsed().as_millis() as u64, "import applied");
    }
    rapport.preparation = prep;
    Ok(rapport)
}
