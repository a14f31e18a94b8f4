//! Throughput of bulk writes and reads, on SQLite (temporary file) and, when
//! `MAILLAGE_TEST_POSTGRES` is set, on PostgreSQL (a throw-away database).
//!
//! `cargo run --release -p maillage-store --example bulk -- [places, default 100000] [sqlite|postgres]`
//!
//! Places are the 687 real places of data/lieux/hinaura-2021.v0.json,
//! repeated with distinct ids.

use maillage_lieux::{Lieu, PrecisionCoordonnees, CHAMPS};
use maillage_store::{FiltreRegistre, ImportChange, ImportRun, Provenance, PublishedLieu, Store};
use sqlx::{Connection, Executor};
use std::collections::BTreeMap;
use std::time::Instant;

type Erreur = Box<dyn std::error::Error + Send + Sync>;

fn lieux(n: usize) -> Result<Vec<Lieu>, Erreur> {
    let chemin = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/lieux/hinaura-2021.v0.json"
    );
    let json: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&std::fs::read_to_string(chemin)?)?;
    let mut base = Vec::new();
    for objet in &json {
        let valeurs: BTreeMap<&str, String> = objet
            .iter()
            .filter(|(k, _)| CHAMPS.contains(&k.as_str()))
            .map(|(k, v)| {
                let s = match v {
                    serde_json::Value::String(s) => s.clone(),
                    autre => autre.to_string(),
                };
                (k.as_str(), s)
            })
            .collect();
        base.push(Lieu::depuis_valeurs(
            |c| valeurs.get(c).map(String::as_str),
            PrecisionCoordonnees::Source,
        )?);
    }
    Ok((0..n)
        .map(|i| {
            let mut l = base[i % base.len()].clone();
            l.id = format!("bench-{i:08}").into();
            l
        })
        .collect())
}

fn debit(etape: &str, n: usize, debut: Instant) {
    let s = debut.elapsed().as_secs_f64();
    println!(
        "  {etape:<42} {n:>9} lignes {s:>8.2} s {:>10.0} lignes/s",
        n as f64 / s
    );
}

async fn mesurer(nom: &str, store: &Store, lieux: &[Lieu]) -> Result<(), Erreur> {
    println!("{nom}");
    let n = lieux.len();
    let change = |at| ImportChange {
        source: "bench".into(),
        upserts: lieux.to_vec(),
        deletes: vec![],
        run: ImportRun {
            at,
            rows_read: n as u64,
            ..ImportRun::default()
        },
    };
    let c = change(chrono::Utc::now());
    let t = Instant::now();
    store.apply_import(&c).await?;
    debit("apply_import (insertions)", n, t);
    let c = change(chrono::Utc::now());
    let t = Instant::now();
    store.apply_import(&c).await?;
    debit("apply_import (mises à jour)", n, t);
    let t = Instant::now();
    let fp = store.fingerprints("bench").await?;
    debit("fingerprints", fp.len(), t);
    let t = Instant::now();
    let records = store.source_records().await?;
    debit("source_records", records.len(), t);
    drop(records);
    let publies: Vec<PublishedLieu> = lieux
        .iter()
        .map(|l| PublishedLieu {
            lieu: l.clone(),
            group_id: format!("g-{}", l.id),
            members: vec![Provenance {
                source: "bench".into(),
                source_id: l.id.to_string(),
            }],
        })
        .collect();
    let t = Instant::now();
    store.replace_registry(&publies).await?;
    debit("replace_registry (registre vide)", n, t);
    let t = Instant::now();
    store.replace_registry(&publies).await?;
    debit("replace_registry (remplacement)", n, t);
    let t = Instant::now();
    let lu = store.registry(&FiltreRegistre::default()).await?;
    debit("registry (tout)", lu.len(), t);
    let t = Instant::now();
    let deletes: Vec<String> = lieux.iter().map(|l| l.id.to_string()).collect();
    store
        .apply_import(&ImportChange {
            source: "bench".into(),
            upserts: vec![],
            deletes,
            run: ImportRun::default(),
        })
        .await?;
    debit("apply_import (suppressions)", n, t);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Erreur> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 100_000,
    };
    let seul = std::env::args().nth(2);
    let lieux = lieux(n)?;

    if seul.as_deref() != Some("postgres") {
        sqlite(&lieux).await?;
    }
    if seul.as_deref() != Some("sqlite") {
        postgres(&lieux).await?;
    }
    Ok(())
}

async fn sqlite(lieux: &[Lieu]) -> Result<(), Erreur> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await?;
    mesurer("SQLite (fichier temporaire, WAL)", &store, lieux).await?;
    store.close().await;
    Ok(())
}

async fn postgres(lieux: &[Lieu]) -> Result<(), Erreur> {
    if let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES") {
        let base = format!("maillage_bench_{:016x}", fastrand::u64(..));
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        conn.execute(format!("CREATE DATABASE {base}").as_str())
            .await?;
        let url = match admin.rsplit_once('/') {
            Some((debut, _)) => format!("{debut}/{base}"),
            None => format!("{admin}/{base}"),
        };
        let resultat = async {
            let store = Store::connect(&url).await?;
            mesurer("PostgreSQL", &store, lieux).await?;
            store.close().await;
            Ok::<(), Erreur>(())
        }
        .await;
        conn.execute(format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)").as_str())
            .await?;
        resultat?;
    } else {
        println!("PostgreSQL : MAILLAGE_TEST_POSTGRES non défini, non mesuré");
    }
    Ok(())
}
