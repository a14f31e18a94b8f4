//! Consolidation: from the source records to the published registry.
//!
//! Every source record lands in exactly one group; each group becomes one
//! published place that keeps its provenance (the source records it merges).

use crate::Resultat;
use maillage_dedup::{Fiche, Options};
use maillage_store::{Provenance, PublishedLieu, SourceRecord, Store};

/// One row of the de-duplication report: where each source record went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LigneRapport {
    pub group_id: String,
    pub source: String,
    pub source_id: String,
    pub published_id: String,
}

#[derive(Debug, Default)]
pub struct RapportConsolidation {
    pub enregistrements: usize,
    pub groupes: usize,
    /// Groups of two records or more.
    pub groupes_fusionnes: usize,
    /// Source records absorbed into another published place.
    pub doublons: usize,
    pub lignes: Vec<LigneRapport>,
}

/// Groups and merges records in memory (used by the store-backed
/// [`consolider`] and by the benchmark).
pub fn regrouper_et_fusionner(
    records: &[SourceRecord],
    options: &Options,
) -> (Vec<PublishedLieu>, RapportConsolidation) {
    let fiches: Vec<Fiche> = records
        .iter()
        .map(|r| Fiche {
            source: r.source.as_str(),
            lieu: &r.lieu,
        })
        .collect();
    let t = std::time::Instant::now();
    let (groupes, stats) = maillage_dedup::regrouper_avec_statistiques(&fiches, options);
    tracing::info!(ms = t.elapsed().as_millis() as u64, pairs = stats.paires_comparees, "grouped");
    let mut rapport = RapportConsolidation {
        enregistrements: records.len(),
        groupes: groupes.len(),
        ..RapportConsolidation::default()
    };
    let mut publies = Vec::with_capacity(groupes.len());
    let mut ids_publies = std::collections::HashSet::new();
    for groupe in &groupes {
        let membres: Vec<Fiche> = groupe
            .membres
            .iter()
            .filter_map(|&i| fiches.get(i).copied())
            .collect();
        if membres.is_empty() {
            continue;
        }
        if membres.len() > 1 {
            rapport.groupes_fusionnes += 1;
            rapport.doublons += membres.len() - 1;
        }
        let mut lieu = maillage_dedup::fusionner(&membres, options);
        let mut id = maillage_dedup::identifiant_publie(&membres);
        // Published ids are unique by construction; keep the guarantee even
        // if two groups ever produce the same one.
        if !ids_publies.insert(id.clone()) {
            id = format!("{id}-{}", &groupe.id[..8.min(groupe.id.len())]);
            ids_publies.insert(id.clone());
        }
        lieu.id = id.as_str().into();
        for m in &membres {
            rapport.lignes.push(LigneRapport {
                group_id: groupe.id.clone(),
                source: m.source.to_string(),
                source_id: m.lieu.id.to_string(),
                published_id: id.clone(),
            });
        }
        publies.push(PublishedLieu {
            lieu,
            group_id: groupe.id.clone(),
            members: membres
                .iter()
                .map(|m| Provenance {
                    source: m.source.to_string(),
                    source_id: m.lieu.id.to_string(),
                })
                .collect(),
        });
    }
    rapport.lignes.sort_by(|a, b| {
        (&a.group_id, &a.source, &a.source_id).cmp(&(&b.group_id, &b.source, &b.source_id))
    });
    (publies, rapport)
}

/// Rebuilds the published registry from every source record, in one
/// transaction.
pub async fn consolider(store: &Store, options: &Options) -> Resultat<RapportConsolidation> {
    let t = std::time::Instant::now();
    let records = store.source_records().await?;
    tracing::info!(records = records.len(), ms = t.elapsed().as_millis() as u64, "source records loaded");
    tracing::info!(rss = ?crate::bench::memoire_courante_mio(), hwm = ?crate::bench::memoire_max_mio(), "memory after load");
    let t = std::time::Instant::now();
    let (publies, rapport) = regrouper_et_fusionner(&records, options);
    tracing::info!(groups = publies.len(), ms = t.elapsed().as_millis() as u64, "grouped and merged");
    tracing::info!(rss = ?crate::bench::memoire_courante_mio(), hwm = ?crate::bench::memoire_max_mio(), "memory after merge");
    drop(records);
    let t = std::time::Instant::now();
    store.replace_registry(&publies).await?;
    tracing::info!(ms = t.elapsed().as_millis() as u64, "published registry replaced");
    tracing::info!(rss = ?crate::bench::memoire_courante_mio(), hwm = ?crate::bench::memoire_max_mio(), "memory after replace");
    Ok(rapport)
}

/// Writes the de-duplication report: `group_id,source,source_id,published_id`.
pub fn ecrire_rapport_csv<W: std::io::Write>(w: W, lignes: &[LigneRapport]) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["group_id", "source", "source_id", "published_id"])?;
    for l in lignes {
        out.write_record([&l.group_id, &l.source, &l.source_id, &l.published_id])?;
    }
    out.flush()?;
    Ok(())
}
