//! `maillage bench-activites` (issue 4 §8): a synthetic history of activity
//! records ([`crate::synthese_activites`]) loaded in bulk
//! ([`maillage_store::Store::charger_activites`]), then the timings the
//! issue asks for on that base:
//!
//! (a) `Store::statistiques` for the nation, a région, a département, a
//!     structure, a mediator and a commune, each over 5 years, 12 months,
//!     1 month and an odd day-precise period (median and max of several
//!     runs);
//! (b) `Store::pilotage`, nation by région and région by département, over
//!     12 and 36 months;
//! (c) recording one activity through the normal path
//!     (`Store::enregistrer_activite`, with its journal entry): p50, p99;
//! (d) the CSV export of about a million records through
//!     `maillage_web::espace::export_activites::ecrire_csv` into a sink:
//!     rows per second and resident memory before and after.
//!
//! Figures are printed, never asserted.

use crate::synthese_activites::{activite, activite_chronologique, Population};
use anyhow::Context;
use chrono::{Datelike, Duration as Duree, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use maillage_orientation::bench::percentile;
use maillage_store::{
    FiltreParcours, FiltrePilotage, FiltreStatistiques, NouvelleActivite, Regroupement, Store,
};
use maillage_territoires::Referentiel;
use maillage_web::espace::export_activites::{ecrire_csv, ContexteExport};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to run (the options of `maillage bench-activites`).
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// Nombre d'activités générées.
    #[arg(long, default_value_t = 10_000_000)]
    pub activites: u64,
    /// Nombre de médiateurs.
    #[arg(long, default_value_t = 20_000)]
    pub mediateurs: usize,
    /// Années d'historique (jusqu'à aujourd'hui).
    #[arg(long, default_value_t = 5)]
    pub annees: u32,
    /// Base : sqlite:CHEMIN ou postgres://… (vide, ou une base neuve) ; par défaut un fichier SQLite temporaire.
    #[arg(long)]
    pub base: Option<String>,
    #[arg(long, default_value_t = 42)]
    pub graine: u64,
    /// Garde les données à la fin (sinon le fichier SQLite est supprimé, la base PostgreSQL vidée de ses activités).
    #[arg(long)]
    pub garder: bool,
    /// Exécutions de chaque requête de statistiques et de pilotage.
    #[arg(long, default_value_t = 5)]
    pub repetitions: usize,
    /// Activités de l'export CSV mesuré.
    #[arg(long, default_value_t = 1_000_000)]
    pub export: u64,
    /// Activités enregistrées une à une par le chemin normal.
    #[arg(long, default_value_t = 2_000)]
    pub enregistrements: usize,
    /// Mesure une base déjà chargée par un précédent --garder (mêmes options de population), sans la recharger.
    #[arg(long)]
    pub reprendre: bool,
    /// Ne mesure que l'export (avec --reprendre, pour le profiler).
    #[arg(long)]
    pub export_seulement: bool,
}

/// Records per generated and loaded batch: large enough for the bulk
/// INSERTs, small enough to keep a few in flight in memory.
const LOT: u64 = 20_000;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mio(kio: u64) -> String {
    format!("{:.0} Mio", kio as f64 / 1024.0)
}

/// A `/proc/self/status` figure in KiB (`VmRSS:`, `VmHWM:`).
fn statut_memoire(cle: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let ligne = status.lines().find(|l| l.starts_with(cle))?;
    ligne.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the process's peak resident memory (VmHWM) to the current one,
/// so the export's own peak can be read (Linux ≥ 4.0).
fn remettre_pic_a_zero() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The SQLite file behind a `sqlite:` URL, to remove it afterwards.
fn fichier_sqlite(url: &str) -> Option<std::path::PathBuf> {
    let chemin = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let chemin = chemin.split('?').next()?;
    (!chemin.is_empty() && !chemin.contains(":memory:")).then(|| chemin.into())
}

pub async fn executer(referentiel: &'static Referentiel, o: &Options) -> anyhow::Result<()> {
    let temporaire = std::env::temp_dir().join(format!(
        "maillage-bench-activites-{}.db",
        std::process::id()
    ));
    let url = o
        .base
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", temporaire.display()));
    let postgres = url.starts_with("postgres");
    let store = Store::connect(&url)
        .await
        .with_context(|| "ouverture de la base du banc d'essai".to_string())?;
    let deja = store
        .statistiques(&FiltreStatistiques::default())
        .await?
        .totaux
        .activites;
    anyhow::ensure!(
        deja == 0 || o.reprendre,
        "la base contient déjà {deja} activités : donnez une base vide (--base), ou --reprendre pour mesurer celle-ci"
    );
    let fin = Utc::now().date_naive();
    let population = Arc::new(Population::new(
        referentiel,
        o.mediateurs,
        o.annees,
        fin,
        o.graine,
    )?);
    println!(
        "bench-activites : {} activités, {} médiateurs, {} ans ({} → {}), base {}",
        o.activites,
        o.mediateurs,
        o.annees,
        population.debut,
        population.fin,
        if postgres { "PostgreSQL" } else { "SQLite" }
    );

    // --- Generation (worker threads) and bulk load (this task) ---
    if deja > 0 {
        println!("base déjà chargée : {deja} activités, chargement sauté");
    } else {
        let debut = Instant::now();
        charger(&store, &population, o).await?;
        let duree_chargement = debut.elapsed();
        println!(
            "chargement : {} activités en {:.1} s, {:.0} activités/s (génération en parallèle comprise)",
            o.activites,
            duree_chargement.as_secs_f64(),
            o.activites as f64 / duree_chargement.as_secs_f64().max(1e-9)
        );
    }
    if postgres && deja == 0 {
        // Production has autovacuum's statistics and visibility map (for
        // index-only scans); a fresh bulk load has neither.
        let debut = Instant::now();
        analyser_postgres(&url).await?;
        println!("VACUUM ANALYZE : {:.1} s", debut.elapsed().as_secs_f64());
    }
    if deja == 0 || store.agregats_perimes().await? {
        let debut = Instant::now();
        store.reconstruire_agregats().await?;
        println!(
            "Reconstruction des agrégats : {:.1} s",
            debut.elapsed().as_secs_f64()
        );
    }

    // Measures go through the web server's connection (small SQLite page
    // cache per connection), as in production.
    store.close().await;
    let store = Store::connect_serveur(&url)
        .await
        .with_context(|| "réouverture de la base du banc d'essai".to_string())?;

    if !o.export_seulement {
        // --- (a) statistics ---
        statistiques(&store, referentiel, &population, o).await?;
        // --- (b) pilotage ---
        pilotage(&store, referentiel, &population, o).await?;
        // --- (c) recording ---
        enregistrement(&store, &population, o).await?;
    }
    // --- (d) export ---
    export(&store, referentiel, &population, o).await?;

    store.close().await;
    if !o.garder {
        if postgres {
            vider_postgres(&url).await?;
            println!("base PostgreSQL vidée de ses activités (--garder pour les conserver)");
        } else if let Some(f) = fichier_sqlite(&url) {
            for suffixe in ["", "-wal", "-shm"] {
                let mut chemin = f.clone().into_os_string();
                chemin.push(suffixe);
                let _ = std::fs::remove_file(chemin);
            }
            println!(
                "fichier {} supprimé (--garder pour le conserver)",
                f.display()
            );
        }
    }
    Ok(())
}

async fn charger(store: &Store, population: &Arc<Population>, o: &Options) -> anyhow::Result<()> {
    let barre = ProgressBar::new(o.activites);
    barre.set_style(
        ProgressStyle::with_template(
            "{spinner} chargement [{bar:40}] {human_pos}/{human_len} {per_sec} reste {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let lots = o.activites.div_ceil(LOT);
    let fils = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2) as u64;
    // Few batches in flight: memory stays bounded whatever the total.
    // Workers take consecutive batches, so the load stays roughly in date
    // order (see `activite_chronologique`).
    let (envoi, mut reception) =
        tokio::sync::mpsc::channel::<anyhow::Result<Vec<NouvelleActivite>>>(4);
    let mut generateurs = Vec::new();
    for f in 0..fils {
        let envoi = envoi.clone();
        let population = Arc::clone(population);
        let (total, graine) = (o.activites, o.graine);
        generateurs.push(std::thread::spawn(move || {
            for l in (f..lots).step_by(fils as usize) {
                let lot: anyhow::Result<Vec<_>> = (l * LOT..((l + 1) * LOT).min(total))
                    .map(|k| activite_chronologique(&population, graine, k, total))
                    .collect();
                if envoi.blocking_send(lot).is_err() {
                    return;
                }
            }
        }));
    }
    drop(envoi);
    while let Some(lot) = reception.recv().await {
        let lot = lot?;
        store.charger_activites(&lot).await?;
        barre.inc(lot.len() as u64);
    }
    for g in generateurs {
        let _ = g.join();
    }
    barre.finish_and_clear();
    Ok(())
}

async fn analyser_postgres(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("VACUUM ANALYZE activites")
        .execute(&mut c)
        .await?;
    c.close().await?;
    Ok(())
}

async fn vider_postgres(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await?;
    sqlx::query("TRUNCATE activites").execute(&mut c).await?;
    sqlx::query(
        "DELETE FROM journal WHERE action IN ('chargement_activites', 'creation_activite')",
    )
    .execute(&mut c)
    .await?;
    c.close().await?;
    Ok(())
}

/// Median and max of `n` runs of `f`.
async fn chronometrer<F, Fut, T>(n: usize, mut f: F) -> anyhow::Result<(Duration, Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut durees = Vec::with_capacity(n);
    let mut dernier = None;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        dernier = Some(f().await?);
        durees.push(t.elapsed());
    }
    durees.sort();
    let dernier = dernier.context("aucune mesure")?;
    Ok((
        percentile(&durees, 0.5),
        durees.last().copied().unwrap_or_default(),
        dernier,
    ))
}

/// First day of the month `mois` months before `d`'s.
fn debut_du_mois_avant(d: NaiveDate, mois: u32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 - mois as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

/// The départements of a région.
fn departements_de(referentiel: &Referentiel, region: &str) -> Vec<String> {
    referentiel
        .departements()
        .iter()
        .filter(|d| d.region.as_str() == region)
        .map(|d| d.code.to_string())
        .collect()
}

/// The most populated département's région, the département, one of its
/// structures, mediators and communes: the heaviest scopes of each kind.
struct Perimetres {
    region: (String, Vec<String>),
    departement: String,
    structure: String,
    mediateur: String,
    commune: String,
}

fn perimetres(referentiel: &Referentiel, p: &Population) -> anyhow::Result<Perimetres> {
    let mut par_departement = std::collections::HashMap::<&str, usize>::new();
    for m in &p.mediateurs {
        *par_departement.entry(m.departement.as_str()).or_default() += 1;
    }
    let (departement, _) = par_departement
        .iter()
        .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
        .context("aucun médiateur")?;
    let region = referentiel
        .departement(departement)
        .map(|d| d.region.to_string())
        .context("département inconnu du référentiel")?;
    let m = p
        .mediateurs
        .iter()
        .find(|m| m.departement == *departement)
        .context("aucun médiateur dans le département")?;
    Ok(Perimetres {
        region: (region.clone(), departements_de(referentiel, &region)),
        departement: departement.to_string(),
        structure: m.structure.clone(),
        mediateur: m.id.clone(),
        commune: m
            .communes
            .first()
            .cloned()
            .context("médiateur sans commune")?,
    })
}

async fn statistiques(
    store: &Store,
    referentiel: &Referentiel,
    p: &Population,
    o: &Options,
) -> anyhow::Result<()> {
    let s = perimetres(referentiel, p)?;
    let fin = p.fin;
    let periodes: [(&str, NaiveDate, NaiveDate); 4] = [
        ("5 ans", p.debut, fin),
        ("12 mois", fin - Duree::days(364), fin),
        (
            "1 mois",
            debut_du_mois_avant(fin, 1),
            debut_du_mois_avant(fin, 0) - Duree::days(1),
        ),
        (
            "période quelconque",
            fin - Duree::days(517),
            fin - Duree::days(39),
        ),
    ];
    let perimetres: Vec<(String, FiltreStatistiques)> = vec![
        ("nation".to_string(), FiltreStatistiques::default()),
        (
            format!("région {}", s.region.0),
            FiltreStatistiques {
                departements: Some(s.region.1.clone()),
                ..Default::default()
            },
        ),
        (
            format!("département {}", s.departement),
            FiltreStatistiques {
                departements: Some(vec![s.departement.clone()]),
                ..Default::default()
            },
        ),
        (
            "structure".to_string(),
            FiltreStatistiques {
                structure_id: Some(s.structure.clone()),
                ..Default::default()
            },
        ),
        (
            "médiateur".to_string(),
            FiltreStatistiques {
                mediateurs: Some(vec![s.mediateur.clone()]),
                ..Default::default()
            },
        ),
        (
            format!("commune {}", s.commune),
            FiltreStatistiques {
                codes_insee: Some(vec![s.commune.clone()]),
                ..Default::default()
            },
        ),
    ];
    println!();
    println!(
        "(a) Store::statistiques — médiane / max de {} exécutions (activités comptées)",
        o.repetitions
    );
    println!(
        "{:<22} {:<20} {:>12} {:>12} {:>10}",
        "périmètre", "période", "médiane", "max", "activités"
    );
    let mut pire = Duration::ZERO;
    for (nom, filtre) in &perimetres {
        for (periode, du, au) in &periodes {
            let f = FiltreStatistiques {
                du: Some(*du),
                au: Some(*au),
                ..filtre.clone()
            };
            let (mediane, max, stats) = chronometrer(o.repetitions, || async {
                Ok(store.statistiques(&f).await?)
            })
            .await?;
            pire = pire.max(mediane);
            println!(
                "{:<22} {:<20} {:>12} {:>12} {:>10}",
                nom,
                periode,
                ms(mediane),
                ms(max),
                stats.totaux.activites
            );
        }
    }
    println!("pire médiane des statistiques : {}", ms(pire));
    Ok(())
}

async fn pilotage(
    store: &Store,
    referentiel: &Referentiel,
    p: &Population,
    o: &Options,
) -> anyhow::Result<()> {
    let s = perimetres(referentiel, p)?;
    let regions: Vec<(String, Vec<String>)> = referentiel
        .regions()
        .iter()
        .map(|r| (r.code.to_string(), departements_de(referentiel, &r.code)))
        .collect();
    println!();
    println!(
        "(b) Store::pilotage — médiane / max de {} exécutions",
        o.repetitions
    );
    println!(
        "{:<36} {:<10} {:>12} {:>12} {:>10}",
        "tableau", "période", "médiane", "max", "activités"
    );
    for mois in [12_u32, 36] {
        let du = debut_du_mois_avant(p.fin, mois - 1);
        for (nom, filtre) in [
            (
                "nation par région".to_string(),
                FiltrePilotage {
                    departements: None,
                    du,
                    au: p.fin,
                    regroupement: Regroupement::Departements(regions.clone()),
                },
            ),
            (
                format!("région {} par département", s.region.0),
                FiltrePilotage {
                    departements: Some(s.region.1.clone()),
                    du,
                    au: p.fin,
                    regroupement: Regroupement::Departements(
                        s.region
                            .1
                            .iter()
                            .map(|d| (d.clone(), vec![d.clone()]))
                            .collect(),
                    ),
                },
            ),
        ] {
            let (mediane, max, t) = chronometrer(o.repetitions, || async {
                Ok(store.pilotage(&filtre).await?)
            })
            .await?;
            println!(
                "{:<36} {:<10} {:>12} {:>12} {:>10}",
                nom,
                format!("{mois} mois"),
                ms(mediane),
                ms(max),
                t.total.total.activites
            );
        }
    }
    Ok(())
}

async fn enregistrement(store: &Store, p: &Population, o: &Options) -> anyhow::Result<()> {
    let mut durees = Vec::with_capacity(o.enregistrements);
    for i in 0..o.enregistrements as u64 {
        let mut a = activite(p, o.graine ^ 0x5eed, o.activites + i)?;
        a.cree_le = Utc::now();
        let t = Instant::now();
        store.enregistrer_activite(&a).await?;
        durees.push(t.elapsed());
    }
    durees.sort();
    println!();
    println!(
        "(c) Store::enregistrer_activite ({} enregistrements, avec leur entrée de journal) : p50 {} ; p99 {} ; max {}",
        o.enregistrements,
        ms(percentile(&durees, 0.5)),
        ms(percentile(&durees, 0.99)),
        ms(durees.last().copied().unwrap_or_default())
    );
    Ok(())
}

async fn export(
    store: &Store,
    referentiel: &'static Referentiel,
    p: &Population,
    o: &Options,
) -> anyhow::Result<()> {
    // A period holding about `o.export` records (they are spread evenly
    // over the days).
    let jours = (p.fin - p.debut).num_days() + 1;
    let total = o.activites.max(1);
    let jours_export = ((jours as u128 * u128::from(o.export)).div_ceil(u128::from(total)))
        .clamp(1, jours as u128) as i64;
    let filtre = FiltreParcours {
        du: Some(p.fin - Duree::days(jours_export - 1)),
        au: Some(p.fin),
        ..Default::default()
    };
    let ctx = ContexteExport {
        catalogue: Arc::new(maillage_orientation::Catalogue::new(
            Vec::new(),
            referentiel,
        )),
        referentiel,
    };
    let remis = remettre_pic_a_zero();
    let rss_avant = statut_memoire("VmRSS:");
    let pic_avant = statut_memoire("VmHWM:");
    let t = Instant::now();
    let n = ecrire_csv(store, filtre, &ctx, std::io::sink()).await?;
    let duree = t.elapsed();
    let rss_apres = statut_memoire("VmRSS:");
    let pic_apres = statut_memoire("VmHWM:");
    let f = |v: Option<u64>| v.map(mio).unwrap_or_else(|| "?".to_string());
    println!();
    println!(
        "(d) export CSV (ecrire_csv vers io::sink) : {n} lignes en {:.2} s, {:.0} lignes/s ; VmRSS {} → {} ; VmHWM {} → {}{}",
        duree.as_secs_f64(),
        n as f64 / duree.as_secs_f64().max(1e-9),
        f(rss_avant),
        f(rss_apres),
        f(pic_avant),
        f(pic_apres),
        if remis { " (pic remis à zéro avant l'export)" } else { "" }
    );
    Ok(())
}
