//! The demo registry: every dataset and raw source shipped in `data/`,
//! imported, consolidated and exported — the product's main job on real data.

use crate::consolidation::{self, RapportConsolidation};
use crate::export::{self, FormatExport};
use crate::import::{self, Demande, Rapport};
use crate::{Erreur, Resultat};
use maillage_lieux::Issue;
use maillage_store::Store;
use maillage_territoires::Referentiel;
use std::path::{Path, PathBuf};

/// One input of the demo: a source name, a file, and the mapping
/// configuration for raw sources.
#[derive(Debug, Clone, Copy)]
pub struct EntreeDemo {
    pub source: &'static str,
    pub fichier: &'static str,
    pub correspondance: Option<&'static str>,
}

const fn standard(source: &'static str, fichier: &'static str) -> EntreeDemo {
    EntreeDemo {
        source,
        fichier,
        correspondance: None,
    }
}

const fn brute(
    source: &'static str,
    fichier: &'static str,
    correspondance: &'static str,
) -> EntreeDemo {
    EntreeDemo {
        source,
        fichier,
        correspondance: Some(correspondance),
    }
}

/// Every dataset and raw source provided (paths relative to the data folder).
pub const ENTREES: &[EntreeDemo] = &[
    standard("hinaura-2021", "lieux/hinaura-2021.v0.json"),
    standard("charente-2023", "lieux/charente-2023.v0.json"),
    standard(
        "nouvelle-caledonie-2024",
        "lieux/nouvelle-caledonie-2024.v0.json",
    ),
    standard(
        "bus-france-services-charente-2023",
        "lieux/bus-france-services-charente-2023.v0.json",
    ),
    brute(
        "mednum-bfc",
        "sources/bfc-ternum.csv",
        "sources/mednum-cli/mednum-bfc/mednum-bfc.config.json",
    ),
    brute(
        "aix-en-provence",
        "sources/mednum-cli/aix-en-provence/aix-en-provence.json",
        "sources/mednum-cli/aix-en-provence/aix-en-provence.config.json",
    ),
    brute(
        "angers",
        "sources/mednum-cli/angers/angers.json",
        "sources/mednum-cli/angers/angers.config.json",
    ),
    brute(
        "bus-france-services-charente",
        "sources/mednum-cli/bus-france-services-charente/bus-france-services-charente.json",
        "sources/mednum-cli/bus-france-services-charente/bus-france-services-charente.config.json",
    ),
    brute(
        "corse",
        "sources/mednum-cli/corse/corse.json",
        "sources/mednum-cli/corse/corse.config.json",
    ),
    brute(
        "epernay",
        "sources/mednum-cli/epernay/epernay.json",
        "sources/mednum-cli/epernay/epernay.config.json",
    ),
    brute(
        "etapes-numerique",
        "sources/mednum-cli/etapes-numerique/etapes-numerique.json",
        "sources/mednum-cli/etapes-numerique/etapes-numerique.config.json",
    ),
    brute(
        "fibre-64",
        "sources/mednum-cli/fibre-64/fibre-64.json",
        "sources/mednum-cli/fibre-64/fibre-64.config.json",
    ),
    brute(
        "gironde",
        "sources/mednum-cli/gironde/gironde.json",
        "sources/mednum-cli/gironde/gironde.config.json",
    ),
    brute(
        "la-creuse",
        "sources/mednum-cli/la-creuse/la-creuse.json",
        "sources/mednum-cli/la-creuse/la-creuse.config.json",
    ),
    brute(
        "maine-et-loire",
        "sources/mednum-cli/maine-et-loire/maine-et-loire.json",
        "sources/mednum-cli/maine-et-loire/maine-et-loire.config.json",
    ),
    brute(
        "nouvelle-caledonie",
        "sources/mednum-cli/nouvelle-caledonie/nouvelle-caledonie.json",
        "sources/mednum-cli/nouvelle-caledonie/nouvelle-caledonie.config.json",
    ),
];

/// The data folder shipped in the repository (found from the build location,
/// so `cargo run -- demo` works from anywhere in a clone).
pub fn dossier_donnees_par_defaut() -> PathBuf {
    let depuis_build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    if depuis_build.is_dir() {
        depuis_build
    } else {
        PathBuf::from("data")
    }
}

impl EntreeDemo {
    pub fn demande(&self, donnees: &Path) -> Demande {
        Demande {
            source: Some(self.source.to_string()),
            fichiers: vec![donnees.join(self.fichier)],
            correspondance: self.correspondance.map(|c| donnees.join(c)),
            ..Demande::default()
        }
    }
}

/// What the demo did.
#[derive(Debug, Default)]
pub struct RapportDemo {
    pub imports: Vec<Rapport>,
    /// Sources whose file could not be used, with the reason.
    pub echecs: Vec<(String, String)>,
    pub consolidation: RapportConsolidation,
    pub fichiers_ecrits: Vec<(PathBuf, usize)>,
}

impl RapportDemo {
    pub fn issues(&self) -> impl Iterator<Item = &Issue> {
        self.imports
            .iter()
            .flat_map(|r| r.preparation.issues.iter())
    }
}

/// Imports every demo input, consolidates, and writes the exports, the error
/// report and the de-duplication report to `sortie`.
pub async fn construire(
    store: &Store,
    referentiel: &'static Referentiel,
    donnees: &Path,
    sortie: &Path,
) -> Resultat<RapportDemo> {
    let mut rapport = RapportDemo::default();
    let demandes = ENTREES.iter().map(|e| e.demande(donnees)).collect();
    let resultats = import::importer_plusieurs(store, demandes, referentiel).await;
    for (entree, resultat) in ENTREES.iter().zip(resultats) {
        match resultat {
            Ok(r) => rapport.imports.push(r),
            Err(Erreur::Stockage(e)) => return Err(Erreur::Stockage(e)),
            Err(e) => rapport
                .echecs
                .push((entree.source.to_string(), e.to_string())),
        }
    }
    rapport.consolidation =
        consolidation::consolider(store, &maillage_dedup::Options::default()).await?;

    std::fs::create_dir_all(sortie).map_err(|e| Erreur::Ecriture {
        fichier: sortie.display().to_string(),
        raison: import::raison_io(&e),
    })?;
    let creer = |nom: &str| -> Resultat<(PathBuf, std::io::BufWriter<std::fs::File>)> {
        let chemin = sortie.join(nom);
        let f = std::fs::File::create(&chemin).map_err(|e| Erreur::Ecriture {
            fichier: chemin.display().to_string(),
            raison: import::raison_io(&e),
        })?;
        Ok((chemin, std::io::BufWriter::new(f)))
    };
    for (nom, format) in [
        ("lieux-de-mediation-numerique.csv", FormatExport::Csv),
        ("lieux-de-mediation-numerique.json", FormatExport::Json),
        (
            "lieux-de-mediation-numerique.geojson",
            FormatExport::GeoJson,
        ),
    ] {
        let (chemin, w) = creer(nom)?;
        let n = export::exporter(
            store,
            referentiel,
            format,
            None,
            w,
            &chemin.display().to_string(),
        )
        .await?;
        rapport.fichiers_ecrits.push((chemin, n));
    }
    let (chemin, w) = creer("erreurs.csv")?;
    let n =
        crate::rapport::ecrire_erreurs_csv(w, rapport.issues()).map_err(|e| Erreur::Ecriture {
            fichier: chemin.display().to_string(),
            raison: e.to_string(),
        })?;
    rapport.fichiers_ecrits.push((chemin, n as usize));
    let (chemin, w) = creer("doublons.csv")?;
    consolidation::ecrire_rapport_csv(w, &rapport.consolidation.affectations).map_err(|e| {
        Erreur::Ecriture {
            fichier: chemin.display().to_string(),
            raison: e.to_string(),
        }
    })?;
    rapport
        .fichiers_ecrits
        .push((chemin, rapport.consolidation.affectations.len()));
    Ok(rapport)
}
