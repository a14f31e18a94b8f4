//! Benchmark of the whole pipeline on a synthetic national set: import
//! (read + validate + geolocate + store), then de-duplicate and publish.
//! Figures are measured here and quoted in notes — never asserted in tests.

use crate::consolidation;
use crate::demo::ENTREES;
use crate::import::{self, Demande};
use crate::synthetique::{self, JeuSynthetique};
use crate::{Erreur, Resultat};
use maillage_store::Store;
use maillage_territoires::Referentiel;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct MesureBench {
    pub lieux: usize,
    pub sources: usize,
    /// Read + migrate + geolocate + validate + store, all sources.
    pub import: Duration,
    /// Load + group + merge + store the published registry.
    pub consolidation: Duration,
    pub lieux_publies: usize,
    pub groupes_fusionnes: usize,
    pub doublons_plantes: usize,
    pub doublons_retrouves: usize,
    /// Peak resident memory of the process (VmHWM), in MiB.
    pub memoire_max_mio: Option<u64>,
}

impl MesureBench {
    pub fn total(&self) -> Duration {
        self.import + self.consolidation
    }
}

fn lire_status(cle: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let ligne = status.lines().find(|l| l.starts_with(cle))?;
    let kio: u64 = ligne.split_whitespace().nth(1)?.parse().ok()?;
    Some(kio / 1024)
}

/// Peak resident set size of this process, from /proc (Linux), in MiB.
pub fn memoire_max_mio() -> Option<u64> {
    lire_status("VmHWM:")
}

/// Current resident set size, in MiB.
pub fn memoire_courante_mio() -> Option<u64> {
    lire_status("VmRSS:")
}

/// The real places used as models: every demo input, validated in memory.
pub fn modeles_reels(referentiel: &Referentiel, donnees: &Path) -> Vec<maillage_lieux::Lieu> {
    let mut modeles = Vec::new();
    for entree in ENTREES {
        if let Ok(p) = import::preparer(&entree.demande(donnees), referentiel) {
            modeles.extend(p.lieux);
        }
    }
    modeles
}

/// Writes each synthetic source as a standard CSV file in `dossier`.
fn ecrire_sources(jeu: &JeuSynthetique, dossier: &Path) -> Resultat<()> {
    for (source, lieux) in &jeu.sources {
        let chemin = dossier.join(format!("{source}.csv"));
        let f = std::fs::File::create(&chemin).map_err(|e| Erreur::Ecriture {
            fichier: chemin.display().to_string(),
            raison: e.to_string(),
        })?;
        maillage_lieux::format::ecrire_csv(std::io::BufWriter::new(f), lieux.iter()).map_err(
            |e| Erreur::Ecriture {
                fichier: chemin.display().to_string(),
                raison: e.to_string(),
            },
        )?;
    }
    Ok(())
}

/// Generates the synthetic set and writes it to `dossier`: one standard CSV
/// per source, and `doublons-plantes.csv` (source_a,id_a,source_b,id_b).
/// The CLI runs this in a child process so that the benchmark's memory
/// figure is the pipeline's alone.
pub fn generer_fichiers(
    referentiel: &Referentiel,
    donnees: &Path,
    dossier: &Path,
    total: usize,
    graine: u64,
) -> Resultat<()> {
    let modeles = modeles_reels(referentiel, donnees);
    // ~20 sources as nationally; one file per source.
    let jeu = synthetique::generer(&modeles, referentiel, total, 0.05, 20, graine);
    ecrire_sources(&jeu, dossier)?;
    let chemin = dossier.join("doublons-plantes.csv");
    let ecriture = |e: csv::Error| Erreur::Ecriture {
        fichier: chemin.display().to_string(),
        raison: e.to_string(),
    };
    let mut w = csv::Writer::from_path(&chemin).map_err(ecriture)?;
    w.write_record(["source_a", "id_a", "source_b", "id_b"])
        .map_err(ecriture)?;
    for (a, b) in &jeu.doublons_plantes {
        w.write_record([&a.0, &a.1, &b.0, &b.1]).map_err(ecriture)?;
    }
    w.flush().map_err(|e| Erreur::Ecriture {
        fichier: chemin.display().to_string(),
        raison: e.to_string(),
    })?;
    Ok(())
}

type Cle = (String, String);

fn lire_plantes(dossier: &Path) -> Resultat<Vec<(Cle, Cle)>> {
    let chemin = dossier.join("doublons-plantes.csv");
    let lecture = |e: csv::Error| Erreur::Lecture {
        fichier: chemin.display().to_string(),
        raison: e.to_string(),
    };
    let mut r = csv::Reader::from_path(&chemin).map_err(lecture)?;
    let mut plantes = Vec::new();
    for ligne in r.records() {
        let ligne = ligne.map_err(lecture)?;
        let champ = |i: usize| ligne.get(i).unwrap_or_default().to_string();
        plantes.push(((champ(0), champ(1)), (champ(2), champ(3))));
    }
    Ok(plantes)
}

/// Imports every generated source file of `dossier` into `store` (which
/// should be empty), then consolidates, measuring each stage.
pub async fn mesurer(
    store: &Store,
    referentiel: &'static Referentiel,
    dossier: &Path,
) -> Resultat<MesureBench> {
    let mut fichiers: Vec<std::path::PathBuf> = std::fs::read_dir(dossier)
        .map_err(|e| Erreur::Lecture {
            fichier: dossier.display().to_string(),
            raison: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("synthetique-") && n.ends_with(".csv"))
        })
        .collect();
    fichiers.sort();
    let plantes = lire_plantes(dossier)?;
    let mut mesure = MesureBench {
        sources: fichiers.len(),
        doublons_plantes: plantes.len(),
        ..MesureBench::default()
    };

    let debut = Instant::now();
    let demandes: Vec<Demande> = fichiers
        .iter()
        .map(|chemin| Demande {
            source: chemin
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string),
            fichiers: vec![chemin.clone()],
            ..Demande::default()
        })
        .collect();
    for r in import::importer_plusieurs(store, demandes, referentiel).await {
        mesure.lieux += r?.preparation.lus() as usize;
    }
    mesure.import = debut.elapsed();
    tracing::info!(rss = ?memoire_courante_mio(), hwm = ?memoire_max_mio(), "memory after imports");

    let debut = Instant::now();
    let rapport = consolidation::consolider(store, &maillage_dedup::Options::default()).await?;
    mesure.consolidation = debut.elapsed();
    mesure.lieux_publies = rapport.groupes;
    mesure.groupes_fusionnes = rapport.groupes_fusionnes;
    let groupe_de: HashMap<(&str, &str), &str> = rapport
        .affectations
        .iter()
        .map(|l| {
            (
                (l.source.as_str(), l.source_id.as_str()),
                l.group_id.as_str(),
            )
        })
        .collect();
    mesure.doublons_retrouves = plantes
        .iter()
        .filter(|(a, b)| {
            let ga = groupe_de.get(&(a.0.as_str(), a.1.as_str()));
            ga.is_some() && ga == groupe_de.get(&(b.0.as_str(), b.1.as_str()))
        })
        .count();
    mesure.memoire_max_mio = memoire_max_mio();
    Ok(mesure)
}
