//! Consolidation: from the source records to the published registry.
//!
//! Every source record lands in exactly one group; each group becomes one
//! published place that keeps its provenance (the source records it merges).
//! A place found in one source only is published as that record under its
//! published id, copied inside the database; only merged groups are rebuilt
//! here. Grouping reads a light view of the records (no long free texts), so
//! a national registry fits in memory.

use crate::Resultat;
use maillage_dedup::{Fiche, Options};
use maillage_store::{Affectation, Provenance, PublishedLieu, SourceRecord, Store};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct RapportConsolidation {
    pub enregistrements: usize,
    pub groupes: usize,
    /// Groups of two records or more.
    pub groupes_fusionnes: usize,
    /// Source records absorbed into another published place.
    pub doublons: usize,
    /// Candidate pairs scored by the duplicate detection.
    pub paires_comparees: usize,
    /// Where each source record went, ordered by (group, source, id).
    pub affectations: Vec<Affectation>,
}

/// Groups the (light) source records and decides, for each, its group and
/// published id. Returns the assignments and the merged groups (indices
/// into `records`).
fn regrouper(
    records: &[SourceRecord],
    options: &Options,
    rapport: &mut RapportConsolidation,
    ids_publies: &mut HashSet<String>,
) -> (Vec<Affectation>, Vec<Vec<usize>>) {
    let fiches: Vec<Fiche> = records
        .iter()
        .map(|r| Fiche {
            source: r.source.as_str(),
            lieu: &r.lieu,
        })
        .collect();
    let (groupes, stats) = maillage_dedup::regrouper_avec_statistiques(&fiches, options);
    rapport.enregistrements = records.len();
    rapport.groupes = groupes.len();
    rapport.paires_comparees = stats.paires_comparees;
    let mut affectations = Vec::with_capacity(records.len());
    let mut fusions = Vec::new();
    for groupe in &groupes {
        let membres: Vec<Fiche> = groupe
            .membres
            .iter()
            .filter_map(|&i| fiches.get(i).copied())
            .collect();
        if membres.is_empty() {
            continue;
        }
        let mut id = maillage_dedup::identifiant_publie(&membres);
        // Published ids are unique by construction; keep the guarantee even
        // if two groups ever produce the same one.
        if ids_publies.contains(&id) {
            id = format!("{id}-{}", groupe.id.get(..8).unwrap_or(&groupe.id));
        }
        ids_publies.insert(id.clone());
        let copie = membres.len() == 1;
        if !copie {
            rapport.groupes_fusionnes += 1;
            rapport.doublons += membres.len() - 1;
            fusions.push(groupe.membres.clone());
        }
        for m in &membres {
            affectations.push(Affectation {
                source: m.source.to_string(),
                source_id: m.lieu.id.to_string(),
                group_id: groupe.id.clone(),
                published_id: id.clone(),
                copie,
            });
        }
    }
    (affectations, fusions)
}

/// Rebuilds the published registry from every source record, in one
/// transaction.
pub async fn consolider(store: &Store, options: &Options) -> Resultat<RapportConsolidation> {
    let mut rapport = RapportConsolidation::default();
    // Duplicates are local: group one département at a time, so memory is
    // bounded by the largest département, not by the country.
    let t = Instant::now();
    let mut affectations: Vec<Affectation> = Vec::new();
    let mut cles: Vec<(String, String)> = Vec::new();
    let mut tailles_fusions: Vec<usize> = Vec::new();
    let mut ids_publies: HashSet<String> = HashSet::new();
    let mut lecture = std::time::Duration::ZERO;
    let departements = store.departements_des_sources().await?;
    let mut legers = match departements.first() {
        Some(d) => store.source_records_pour_regroupement(d.as_deref()).await?,
        None => Vec::new(),
    };

    for k in 0..departements.len() {
        // Group this département on the worker threads while the database
        // reads the next one.
        let courant = std::mem::take(&mut legers);
        let opts = options.clone();
        let mut ids = std::mem::take(&mut ids_publies);
        let tache = tokio::task::spawn_blocking(move || {
            let mut partiel = RapportConsolidation::default();
            let (a, fusions) = regrouper(&courant, &opts, &mut partiel, &mut ids);
            let fusions: Vec<Vec<(String, String)>> = fusions
                .iter()
                .map(|groupe| {
                    groupe
                        .iter()
                        .filter_map(|&i| courant.get(i))
                        .map(|r| (r.source.clone(), r.lieu.id.to_string()))
                        .collect()
                })
                .collect();
            (partiel, a, fusions, ids)
        });
        if let Some(suivant) = departements.get(k + 1) {
            let tl = Instant::now();
            legers = store
                .source_records_pour_regroupement(suivant.as_deref())
                .await?;
            lecture += tl.elapsed();
        }
        let (partiel, a, fusions, ids) = tache.await.map_err(|e| {
            crate::Erreur::Parametre(format!("le regroupement des doublons a échoué : {e}"))
        })?;
        ids_publies = ids;
        rapport.enregistrements += partiel.enregistrements;
        rapport.groupes += partiel.groupes;
        rapport.groupes_fusionnes += partiel.groupes_fusionnes;
        rapport.doublons += partiel.doublons;
        rapport.paires_comparees += partiel.paires_comparees;
        affectations.extend(a);
        for groupe in fusions {
            tailles_fusions.push(groupe.len());
            cles.extend(groupe);
        }
    }
    tracing::info!(
        records = rapport.enregistrements,
        groups = rapport.groupes,
        pairs = rapport.paires_comparees,
        ms = t.elapsed().as_millis() as u64,
        lecture_ms = lecture.as_millis() as u64,
        "grouped"
    );

    // One transaction from here: readers keep the previous registry until
    // it commits, and an error anywhere leaves it untouched. It starts only
    // now because PostgreSQL locks the registry while its indexes are
    // rebuilt.
    let mut publication = store.commencer_publication().await?;
    // Places found in one source only are copied in one pass: in key order
    // the database reads its table sequentially, which per département it
    // cannot (measured: 18.8 s by département against 7.8 s at once for
    // 950,000 copies).
    let t = Instant::now();
    publication.copier(&affectations).await?;
    tracing::info!(
        ms = t.elapsed().as_millis() as u64,
        "single-source places copied"
    );

    // Merged groups: read their members in full, merge — a slice of groups
    // at a time, so memory does not grow with the number of duplicates.
    let t = Instant::now();
    let mut id_publie: HashMap<(&str, &str), (&str, &str)> = HashMap::new();
    for a in affectations.iter().filter(|a| !a.copie) {
        id_publie.insert(
            (a.source.as_str(), a.source_id.as_str()),
            (a.published_id.as_str(), a.group_id.as_str()),
        );
    }
    let mut fusionnes = Vec::with_capacity(tailles_fusions.len());
    let mut reste = cles.as_slice();
    let mut tailles = tailles_fusions.iter().copied().peekable();
    while tailles.peek().is_some() {
        // ~10,000 records per read, whole groups only.
        let mut lot_tailles = Vec::new();
        let mut n = 0;
        while let Some(&taille) = tailles.peek() {
            if n > 0 && n + taille > 10_000 {
                break;
            }
            n += taille;
            lot_tailles.push(taille);
            tailles.next();
        }
        let (lot, suite) = reste.split_at(n.min(reste.len()));
        reste = suite;
        let complets = publication.source_records_par_cles(lot).await?;
        let par_cle: HashMap<(&str, &str), &SourceRecord> = complets
            .iter()
            .map(|r| ((r.source.as_str(), r.lieu.id.as_str()), r))
            .collect();
        let mut a_fusionner = lot.iter();
        for taille in lot_tailles {
            let membres: Vec<Fiche> = a_fusionner
                .by_ref()
                .take(taille)
                .filter_map(|(s, id)| par_cle.get(&(s.as_str(), id.as_str())))
                .map(|r| Fiche {
                    source: r.source.as_str(),
                    lieu: &r.lieu,
                })
                .collect();
            let Some(premier) = membres.first() else {
                continue;
            };
            let Some(&(publie, group_id)) =
                id_publie.get(&(premier.source, premier.lieu.id.as_str()))
            else {
                continue;
            };
            let mut lieu = maillage_dedup::fusionner(&membres, options);
            lieu.id = publie.into();
            fusionnes.push(PublishedLieu {
                lieu,
                group_id: group_id.to_string(),
                members: membres
                    .iter()
                    .map(|m| Provenance {
                        source: m.source.to_string(),
                        source_id: m.lieu.id.to_string(),
                    })
                    .collect(),
            });
        }
    }
    tracing::info!(
        merged = fusionnes.len(),
        ms = t.elapsed().as_millis() as u64,
        "merged"
    );
    let t = Instant::now();
    publication.terminer(&affectations, &fusionnes).await?;
    tracing::info!(
        ms = t.elapsed().as_millis() as u64,
        "published registry replaced"
    );
    drop(fusionnes);
    drop(id_publie);
    affectations.sort_by(|a, b| {
        (&a.group_id, &a.source, &a.source_id).cmp(&(&b.group_id, &b.source, &b.source_id))
    });
    rapport.affectations = affectations;
    Ok(rapport)
}

/// Writes the de-duplication report: `group_id,source,source_id,published_id`.
pub fn ecrire_rapport_csv<W: std::io::Write>(
    w: W,
    affectations: &[Affectation],
) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["group_id", "source", "source_id", "published_id"])?;
    for a in affectations {
        out.write_record([&a.group_id, &a.source, &a.source_id, &a.published_id])?;
    }
    out.flush()?;
    Ok(())
}
