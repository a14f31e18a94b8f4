//! `maillage bench-recherche`: the search and server benchmark of issue 3
//! §9. For each size of a synthetic national set (copies of the real demo
//! places spread over real communes):
//!
//! 1. domain latencies (`maillage_orientation::bench`, one core, no HTTP);
//! 2. the real router started in this process on loopback behind a timing
//!    layer, loaded by `wrk` with a realistic mix of URLs: requests/s and
//!    client latencies from `wrk`, server-side latencies per kind of request
//!    from the layer;
//! 3. the same filtered search in PostgreSQL (a dedicated database, a table
//!    designed for the query, proper indexes), totals and first pages
//!    checked equal to the in-memory answers, p50/p99 and the ratio;
//! 4. the real `maillage serve` as a child process over a SQLite registry:
//!    resident memory after loading, after the same `wrk` load, and its peak;
//!    requests/s of the real binary.
//!
//! Figures are printed, never asserted.

use anyhow::Context;
use maillage_lieux::Valeur;
use maillage_orientation::bench as domaine;
use maillage_orientation::Catalogue;
use maillage_store::{Provenance, PublishedLieu, Store};
use maillage_territoires::Referentiel;
use maillage_web::bench::{
    self as serveur, ErreurWrk, Genre, OptionsWrk, Quantiles, ReleveGenre, RequeteFiltree,
    ResultatWrk, ServeurMesure,
};
use sqlx::{ConnectOptions, Connection, Executor, Row};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the benchmark runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub tailles: Vec<usize>,
    pub donnees: PathBuf,
    /// Measured `wrk` run (after a warm-up of [`CHAUFFE`]).
    pub duree: Duration,
    pub connexions: u32,
    pub fils: u32,
    /// PostgreSQL server of the comparison; `None`: skipped.
    pub postgres: Option<String>,
    /// The real server is measured up to this size.
    pub serveur_reel_max: usize,
}

/// The `wrk` warm-up before each measured run (figures discarded).
pub const CHAUFFE: Duration = Duration::from_secs(3);

/// Distinct URLs in the mix.
const CHEMINS: usize = 4096;

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn ms_brut(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn mio(octets: u64) -> f64 {
    octets as f64 / (1024.0 * 1024.0)
}

/// A `/proc/<pid>/status` figure (`VmRSS:`, `VmHWM:`), bytes.
fn statut_memoire(pid: u32, cle: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let ligne = status.lines().find(|l| l.starts_with(cle))?;
    let kio: u64 = ligne.split_whitespace().nth(1)?.parse().ok()?;
    Some(kio * 1024)
}

/// Everything measured at one size.
#[derive(Debug, Default)]
struct Mesures {
    lieux: usize,
    domaine: Option<domaine::RapportBench>,
    serveur: Option<Charge>,
    postgres: Option<ComparaisonPg>,
    /// The real server over SQLite, then over PostgreSQL.
    reels: Vec<ServeurReel>,
}

/// A `wrk` run with the server-side figures of the in-process server.
#[derive(Debug)]
struct Charge {
    wrk: ResultatWrk,
    par_genre: Vec<(Genre, ReleveGenre)>,
}

#[derive(Debug)]
struct ComparaisonPg {
    requetes: usize,
    memoire: Quantiles,
    postgres: Quantiles,
    total_moyen: f64,
    totaux: Vec<u64>,
    chargement: Duration,
    plan: Vec<String>,
    /// Server version and `shared_buffers`.
    serveur: String,
}

#[derive(Debug)]
struct ServeurReel {
    /// `SQLite` or `PostgreSQL`.
    base: &'static str,
    demarrage: Duration,
    rss_charge: Option<u64>,
    rss_apres: Option<u64>,
    pic: Option<u64>,
    wrk: Option<ResultatWrk>,
}

pub async fn executer(o: &Options) -> anyhow::Result<()> {
    let referentiel =
        maillage_territoires::embarque().map_err(|e| anyhow::anyhow!("référentiel : {e}"))?;
    let modeles = {
        let donnees = o.donnees.clone();
        tokio::task::spawn_blocking(move || domaine::modeles_depuis_dossier(referentiel, &donnees))
            .await?
    };
    anyhow::ensure!(
        !modeles.is_empty(),
        "aucun lieu modèle lisible dans {}",
        o.donnees.join("lieux").display()
    );
    let modeles = Arc::new(modeles);
    let wrk = serveur::wrk_disponible();
    println!(
        "Banc d'essai de la recherche et du serveur — {} lieux modèles réels ({}), {} cœurs, wrk {}",
        modeles.len(),
        o.donnees.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if wrk {
            "présent"
        } else {
            "ABSENT (apt-get install wrk) : mesures de charge sautées"
        }
    );
    let dossier =
        std::env::temp_dir().join(format!("maillage-bench-recherche-{}", std::process::id()));
    std::fs::create_dir_all(&dossier)
        .with_context(|| format!("création de {}", dossier.display()))?;
    let mut toutes = Vec::new();
    let mut resultat = Ok(());
    for &n in &o.tailles {
        match mesurer_taille(o, referentiel, &modeles, n, &dossier, wrk).await {
            Ok(m) => toutes.push(m),
            Err(e) => {
                resultat = Err(e);
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dossier);
    imprimer_resume(&toutes);
    resultat
}

async fn mesurer_taille(
    o: &Options,
    referentiel: &'static Referentiel,
    modeles: &Arc<Vec<maillage_lieux::Lieu>>,
    n: usize,
    dossier: &Path,
    wrk: bool,
) -> anyhow::Result<Mesures> {
    let mut m = Mesures {
        lieux: n,
        ..Mesures::default()
    };
    println!("\n══════ {n} lieux ══════");

    // 1. Domain.
    println!(
        "\n1. Domaine (catalogue en mémoire, un fil, sans HTTP ; instants tirés dans la semaine)"
    );
    let rapport = {
        let modeles = Arc::clone(modeles);
        tokio::task::spawn_blocking(move || domaine::mesurer(&modeles, referentiel, n)).await?
    };
    print!("{rapport}");
    for r in &rapport.mesures {
        println!(
            "bench-recherche lieux={n} partie=domaine requete=\"{}\" p50_ms={} p99_ms={} max_ms={} resultats_moyens={:.0}",
            r.nom,
            ms_brut(r.p50),
            ms_brut(r.p99),
            ms_brut(r.max),
            r.resultats_moyens
        );
    }
    m.domaine = Some(rapport);

    // The same places for the server and PostgreSQL.
    let catalogue = {
        let modeles = Arc::clone(modeles);
        tokio::task::spawn_blocking(move || {
            let lieux = domaine::generer(&modeles, referentiel, n, 42);
            Catalogue::new(lieux, referentiel)
        })
        .await?
    };
    let catalogue = Arc::new(catalogue);
    let chemins = serveur::melange(&catalogue, CHEMINS, 2026);
    let script = dossier.join(format!("melange-{n}.lua"));
    let textes: Vec<String> = chemins.iter().map(|(_, c)| c.clone()).collect();
    std::fs::write(&script, serveur::script_wrk(&textes))
        .with_context(|| format!("écriture de {}", script.display()))?;

    // 2. In-process server.
    println!(
        "\n2. Serveur HTTP dans ce processus (vrai routeur, 127.0.0.1, {} URL en rotation : 5/20 recherche filtrée, 5/20 orientation, 4/20 texte avec faute, 3/20 compteur, 3/20 page HTML), wrk -t{} -c{} -d{}s après {} s de chauffe",
        chemins.len(),
        o.fils,
        o.connexions,
        o.duree.as_secs(),
        CHAUFFE.as_secs()
    );
    m.serveur = serveur_dans_le_processus(o, &catalogue, &chemins, &script, wrk).await?;

    // 3. PostgreSQL.
    println!("\n3. La même recherche filtrée dans PostgreSQL (services ∩ + Gratuit + département, page de 20 par nom + total)");
    match &o.postgres {
        None => println!("   sautée (--sans-postgres)"),
        Some(url) => match comparer_postgres(url, &catalogue, n).await {
            Ok(c) => {
                imprimer_pg(n, &c);
                m.postgres = Some(c);
            }
            Err(e) => println!("   PostgreSQL : partie sautée — {e:#}"),
        },
    }

    // 4. The real server.
    println!(
        "\n4. Le vrai serveur : `maillage serve` en processus fils sur un registre de {n} lieux (SQLite, puis PostgreSQL)"
    );
    if n > o.serveur_reel_max {
        println!(
            "   sauté au-delà de {} lieux (--serveur-reel-max)",
            o.serveur_reel_max
        );
        return Ok(m);
    }
    let base = dossier.join(format!("serveur-{n}.db"));
    let url = format!("sqlite://{}", base.display());
    let reel = async {
        remplir_registre(&url, &catalogue).await?;
        serveur_reel(o, "SQLite", &url, &script, wrk).await
    }
    .await;
    let _ = std::fs::remove_file(&base);
    for suffixe in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", base.display()));
    }
    let reel = reel?;
    imprimer_reel(n, &reel);
    m.reels.push(reel);
    if let Some(pg) = &o.postgres {
        let reel = async {
            let base = BasePg::creer(pg, "serveur").await?;
            let r = async {
                remplir_registre(&base.url, &catalogue).await?;
                serveur_reel(o, "PostgreSQL", &base.url, &script, wrk).await
            }
            .await;
            base.supprimer().await;
            r
        }
        .await;
        match reel {
            Ok(reel) => {
                imprimer_reel(n, &reel);
                m.reels.push(reel);
            }
            Err(e) => println!("   sur PostgreSQL : sauté — {e:#}"),
        }
    }
    Ok(m)
}

async fn lancer_wrk(
    url: String,
    script: &Path,
    options: OptionsWrk,
) -> Result<ResultatWrk, ErreurWrk> {
    let script = script.to_path_buf();
    tokio::task::spawn_blocking(move || serveur::lancer_wrk(&url, &script, &options))
        .await
        .map_err(|e| ErreurWrk::Echec(e.to_string()))?
}

/// Warm-up, then the measured run.
async fn charge_wrk(
    o: &Options,
    url: &str,
    script: &Path,
    avant_mesure: impl FnOnce(),
) -> Result<ResultatWrk, ErreurWrk> {
    let chauffe = OptionsWrk {
        duree: CHAUFFE,
        connexions: o.connexions,
        fils: o.fils,
    };
    lancer_wrk(url.to_string(), script, chauffe).await?;
    avant_mesure();
    let mesure = OptionsWrk {
        duree: o.duree,
        connexions: o.connexions,
        fils: o.fils,
    };
    lancer_wrk(url.to_string(), script, mesure).await
}

fn imprimer_wrk(prefixe: &str, n: usize, r: &ResultatWrk) {
    println!(
        "   wrk : {:.0} requêtes/s ({} requêtes en {:.1} s, {:.1} Mio reçus), latence client p50 {} p90 {} p99 {} max {}, erreurs {} (statut non 2xx/3xx {})",
        r.requetes_par_seconde(),
        r.requetes,
        r.duree.as_secs_f64(),
        mio(r.octets),
        ms(r.p50),
        ms(r.p90),
        ms(r.p99),
        ms(r.max),
        r.erreurs(),
        r.erreurs_statut
    );
    println!(
        "bench-recherche lieux={n} partie={prefixe} requetes_par_s={:.0} requetes={} client_p50_ms={} client_p99_ms={} erreurs={}",
        r.requetes_par_seconde(),
        r.requetes,
        ms_brut(r.p50),
        ms_brut(r.p99),
        r.erreurs()
    );
}

async fn serveur_dans_le_processus(
    o: &Options,
    catalogue: &Arc<Catalogue>,
    chemins: &[(Genre, String)],
    script: &Path,
    wrk: bool,
) -> anyhow::Result<Option<Charge>> {
    let store = Store::connect("sqlite::memory:").await?;
    let config = maillage_web::Config {
        // Each wrk request comes from its own client address in
        // X-Forwarded-For: the API rate limit runs as with many users.
        derriere_proxy: true,
        ..maillage_web::Config::default()
    };
    let etat = maillage_web::Etat::avec_catalogue(store, Arc::clone(catalogue), config)?;
    let refuses = serveur::verifier_chemins(&etat, chemins, 10).await;
    if let Some((chemin, statut)) = refuses.first() {
        anyhow::bail!(
            "le serveur refuse une URL du mélange ({statut}) : {chemin} ({} refus)",
            refuses.len()
        );
    }
    if !wrk {
        println!("   {}", ErreurWrk::Absent);
        return Ok(None);
    }
    let srv = ServeurMesure::demarrer(etat).await?;
    let chrono = srv.chronometre.clone();
    let r = charge_wrk(o, &srv.url(), script, || chrono.vider()).await;
    let (par_genre, tous) = srv.chronometre.releves();
    srv.arreter().await;
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            println!("   {e}");
            return Ok(None);
        }
    };
    let n = catalogue.len();
    imprimer_wrk("serveur_wrk", n, &r);
    println!(
        "   côté serveur (de l'arrivée au routeur au corps de la réponse produit, compression comprise) :"
    );
    println!(
        "   {:<28} {:>9} {:>12} {:>12} {:>12} {:>8}",
        "genre", "requêtes", "p50", "p99", "max", "non 200"
    );
    for (g, rel) in par_genre
        .iter()
        .map(|(g, r)| (g.libelle(), r))
        .chain([("toutes", &tous)])
    {
        println!(
            "   {:<28} {:>9} {:>12} {:>12} {:>12} {:>8}",
            g,
            rel.quantiles.nombre,
            ms(rel.quantiles.p50),
            ms(rel.quantiles.p99),
            ms(rel.quantiles.max),
            rel.non_200
        );
    }
    for (g, rel) in &par_genre {
        println!(
            "bench-recherche lieux={n} partie=serveur genre={} requetes={} p50_ms={} p99_ms={} max_ms={} non_200={}",
            g.code(),
            rel.quantiles.nombre,
            ms_brut(rel.quantiles.p50),
            ms_brut(rel.quantiles.p99),
            ms_brut(rel.quantiles.max),
            rel.non_200
        );
    }
    Ok(Some(Charge { wrk: r, par_genre }))
}

/// The child `maillage serve`, killed when dropped.
struct Enfant(std::process::Child);

impl Drop for Enfant {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes the catalogue's places as the published registry of `url`.
async fn remplir_registre(url: &str, catalogue: &Catalogue) -> anyhow::Result<()> {
    let store = Store::connect(url).await?;
    let publies: Vec<PublishedLieu> = catalogue
        .lieux()
        .iter()
        .map(|l| PublishedLieu {
            lieu: l.clone(),
            group_id: l.id.to_string(),
            members: vec![Provenance {
                source: "synthetique".to_string(),
                source_id: l.id.to_string(),
            }],
        })
        .collect();
    store.replace_registry(&publies).await?;
    store.close().await;
    Ok(())
}

async fn serveur_reel(
    o: &Options,
    base: &'static str,
    url: &str,
    script: &Path,
    wrk: bool,
) -> anyhow::Result<ServeurReel> {
    let debut = Instant::now();
    let mut enfant = Enfant(
        std::process::Command::new(std::env::current_exe()?)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .env("DATABASE_URL", url)
            .env("MAILLAGE_DERRIERE_PROXY", "true")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("lancement de maillage serve")?,
    );
    let pid = enfant.0.id();
    let sortie = enfant.0.stdout.take().context("sortie de maillage serve")?;
    let (ligne, _lecteur) = tokio::task::spawn_blocking(move || {
        let mut ligne = String::new();
        let mut lecteur = std::io::BufReader::new(sortie);
        lecteur.read_line(&mut ligne).map(|_| (ligne, lecteur))
    })
    .await??;
    let adresse = ligne
        .trim()
        .strip_prefix("Maillage écoute sur ")
        .map(str::to_string)
        .with_context(|| format!("maillage serve n'a pas démarré : « {} »", ligne.trim()))?;
    let demarrage = debut.elapsed();
    // Let the allocator settle after loading.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_charge = statut_memoire(pid, "VmRSS:");
    let mut resultat = None;
    if wrk {
        match charge_wrk(o, &adresse, script, || ()).await {
            Ok(r) => resultat = Some(r),
            Err(e) => println!("   {e}"),
        }
    } else {
        println!("   {}", ErreurWrk::Absent);
    }
    let rss_apres = statut_memoire(pid, "VmRSS:");
    let pic = statut_memoire(pid, "VmHWM:");
    drop(enfant);
    Ok(ServeurReel {
        base,
        demarrage,
        rss_charge,
        rss_apres,
        pic,
        wrk: resultat,
    })
}

fn imprimer_reel(n: usize, r: &ServeurReel) {
    let f = |x: Option<u64>| x.map_or("?".to_string(), |o| format!("{:.1} Mio", mio(o)));
    let b = |x: Option<u64>| x.map_or("?".to_string(), |o| format!("{:.1}", mio(o)));
    println!(
        "   registre {} : démarré et chargé en {:.2} s ; mémoire résidente (VmRSS) après chargement {}, après la charge wrk {}, pic (VmHWM) {}",
        r.base,
        r.demarrage.as_secs_f64(),
        f(r.rss_charge),
        f(r.rss_apres),
        f(r.pic)
    );
    let partie = format!("serveur_reel_{}", r.base.to_lowercase());
    if let Some(w) = &r.wrk {
        imprimer_wrk(&format!("{partie}_wrk"), n, w);
    }
    println!(
        "bench-recherche lieux={n} partie={partie} demarrage_s={:.2} rss_chargement_mio={} rss_apres_charge_mio={} pic_mio={}",
        r.demarrage.as_secs_f64(),
        b(r.rss_charge),
        b(r.rss_apres),
        b(r.pic)
    );
}

/// The SQL of the filtered search: one round trip, the matches computed
/// once for the total and the first page (ordered like the catalogue:
/// French alphabetical order of the name, precomputed as `rang`).
const REQUETE_PG: &str = "WITH m AS MATERIALIZED (
    SELECT rang, id FROM lieux
    WHERE departement = $1 AND services && $2::text[] AND frais_a_charge && $3::text[]
)
SELECT (SELECT count(*) FROM m) AS total,
       ARRAY(SELECT id FROM m ORDER BY rang LIMIT 20) AS page";

/// `url` with another database name (the path), query string kept.
fn url_avec_base(url: &str, base: &str) -> String {
    let (avant, requete) = match url.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (url, None),
    };
    let debut_hote = avant.find("://").map_or(0, |i| i + 3);
    let fin_hote = avant[debut_hote..]
        .find('/')
        .map_or(avant.len(), |i| debut_hote + i);
    let mut sortie = format!("{}/{base}", &avant[..fin_hote]);
    if let Some(q) = requete {
        sortie.push('?');
        sortie.push_str(q);
    }
    sortie
}

/// A database created for the benchmark on the server of `url`, dropped by
/// [`BasePg::supprimer`].
struct BasePg {
    admin: sqlx::PgConnection,
    nom: String,
    url: String,
}

impl BasePg {
    async fn creer(url: &str, suffixe: &str) -> anyhow::Result<BasePg> {
        use std::str::FromStr;
        let options = sqlx::postgres::PgConnectOptions::from_str(url)
            .context("adresse PostgreSQL invalide")?
            .disable_statement_logging();
        let mut admin = sqlx::PgConnection::connect_with(&options)
            .await
            .context("connexion à PostgreSQL impossible")?;
        let nom = format!("maillage_bench_{}_{suffixe}", std::process::id());
        admin
            .execute(format!("DROP DATABASE IF EXISTS {nom} WITH (FORCE)").as_str())
            .await?;
        admin
            .execute(format!("CREATE DATABASE {nom}").as_str())
            .await
            .with_context(|| format!("création de la base {nom}"))?;
        Ok(BasePg {
            admin,
            url: url_avec_base(url, &nom),
            nom,
        })
    }

    async fn supprimer(mut self) {
        if let Err(e) = self
            .admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.nom).as_str())
            .await
        {
            println!("   la base {} n'a pas pu être supprimée : {e}", self.nom);
        }
        let _ = self.admin.close().await;
    }
}

async fn comparer_postgres(
    url: &str,
    catalogue: &Arc<Catalogue>,
    n: usize,
) -> anyhow::Result<ComparaisonPg> {
    let base = BasePg::creer(url, "recherche").await?;
    let r = comparer_dans(&base.url, catalogue, n).await;
    base.supprimer().await;
    r
}

async fn comparer_dans(
    url: &str,
    catalogue: &Arc<Catalogue>,
    n: usize,
) -> anyhow::Result<ComparaisonPg> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
    let mut c = sqlx::PgConnection::connect_with(&options).await?;
    // A prepared statement switches to a generic plan after 5 runs; with
    // unknown parameters PostgreSQL estimates the array overlaps at 0.5 %
    // and picks the GIN bitmaps over the département index (~40 times
    // slower at 1,000,000 places). A custom plan per run is what a DBA
    // would set for this query.
    c.execute("SET plan_cache_mode = force_custom_plan").await?;
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut c)
        .await?;
    let shared_buffers: String = sqlx::query_scalar("SHOW shared_buffers")
        .fetch_one(&mut c)
        .await?;
    c.execute(
        "CREATE TABLE lieux (
            rang integer PRIMARY KEY,
            id text NOT NULL,
            nom text NOT NULL,
            departement text,
            services text[] NOT NULL,
            frais_a_charge text[] NOT NULL
        )",
    )
    .await?;
    let debut = Instant::now();
    let joindre = |valeurs: Vec<&'static str>| valeurs.join("|");
    for (k, tranche) in catalogue.lieux().chunks(20_000).enumerate() {
        let depart = k * 20_000;
        let mut rangs = Vec::with_capacity(tranche.len());
        let mut ids = Vec::with_capacity(tranche.len());
        let mut noms = Vec::with_capacity(tranche.len());
        let mut deps = Vec::with_capacity(tranche.len());
        let mut services = Vec::with_capacity(tranche.len());
        let mut frais = Vec::with_capacity(tranche.len());
        for (i, l) in tranche.iter().enumerate() {
            let rang = depart + i;
            rangs.push(i32::try_from(rang)?);
            ids.push(l.id.to_string());
            noms.push(l.nom.to_string());
            deps.push(
                catalogue
                    .fiche(rang)
                    .code_departement
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
            );
            services.push(joindre(l.services.iter().map(|s| s.valeur()).collect()));
            frais.push(joindre(
                l.frais_a_charge.iter().map(|f| f.valeur()).collect(),
            ));
        }
        sqlx::query(
            "INSERT INTO lieux (rang, id, nom, departement, services, frais_a_charge)
             SELECT r, i, n, NULLIF(d, ''), string_to_array(s, '|'), string_to_array(f, '|')
             FROM UNNEST($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                  AS t(r, i, n, d, s, f)",
        )
        .bind(rangs)
        .bind(ids)
        .bind(noms)
        .bind(deps)
        .bind(services)
        .bind(frais)
        .execute(&mut c)
        .await?;
    }
    // The filters' access path: département then catalogue order, covering
    // the filtered columns (index-only scan); GIN indexes for searches
    // without a département.
    c.execute(
        "CREATE INDEX lieux_departement_rang ON lieux (departement, rang) INCLUDE (id, services, frais_a_charge)",
    )
    .await?;
    c.execute("CREATE INDEX lieux_services ON lieux USING gin (services)")
        .await?;
    c.execute("CREATE INDEX lieux_frais ON lieux USING gin (frais_a_charge)")
        .await?;
    c.execute("VACUUM ANALYZE lieux").await?;
    let chargement = debut.elapsed();

    let nombre = if n > 200_000 { 300 } else { 1000 };
    let requetes = serveur::requetes_filtrees(catalogue, nombre, 77);
    anyhow::ensure!(!requetes.is_empty(), "aucune requête filtrée");
    let parametres = |r: &RequeteFiltree| {
        (
            r.departement.clone(),
            r.services
                .iter()
                .map(|s| s.valeur().to_string())
                .collect::<Vec<_>>(),
            vec![maillage_lieux::enums::Frais::Gratuit.valeur().to_string()],
        )
    };
    let plan = {
        let (d, s, f) = parametres(&requetes[0]);
        let lignes = sqlx::query(&format!("EXPLAIN {REQUETE_PG}"))
            .bind(d)
            .bind(s)
            .bind(f)
            .fetch_all(&mut c)
            .await?;
        lignes
            .iter()
            .filter_map(|l| l.try_get::<String, _>(0).ok())
            .filter(|l| l.contains("Scan"))
            .map(|l| l.trim().trim_start_matches("->").trim().to_string())
            .collect()
    };

    // In memory: the same searches, warm pass then timed pass.
    let (memoire, attendus) = {
        let catalogue = Arc::clone(catalogue);
        let requetes = requetes.clone();
        tokio::task::spawn_blocking(move || {
            let maintenant = chrono::Utc::now();
            let recherches: Vec<_> = requetes.iter().map(RequeteFiltree::recherche).collect();
            let mut attendus = Vec::with_capacity(recherches.len());
            for r in &recherches {
                let res = catalogue.rechercher(r, maintenant);
                let page: Vec<String> = res
                    .lieux
                    .iter()
                    .map(|t| catalogue.lieux()[t.index].id.to_string())
                    .collect();
                attendus.push((res.total as u64, page));
            }
            let mut durees = Vec::with_capacity(recherches.len());
            for r in &recherches {
                let t = Instant::now();
                std::hint::black_box(catalogue.rechercher(r, maintenant));
                durees.push(t.elapsed());
            }
            (Quantiles::de(durees), attendus)
        })
        .await?
    };

    // PostgreSQL: prepared statement (sqlx caches it on the connection),
    // warm pass (checks every answer), then timed pass.
    for (r, (total, page)) in requetes.iter().zip(&attendus) {
        let (d, s, f) = parametres(r);
        let ligne = sqlx::query(REQUETE_PG)
            .bind(d)
            .bind(s)
            .bind(f)
            .fetch_one(&mut c)
            .await?;
        let total_pg: i64 = ligne.try_get("total")?;
        let page_pg: Vec<String> = ligne.try_get("page")?;
        anyhow::ensure!(
            u64::try_from(total_pg).ok() == Some(*total) && &page_pg == page,
            "PostgreSQL et le catalogue ne donnent pas la même réponse pour {} : total {total_pg} contre {total}, première page {page_pg:?} contre {page:?}",
            r.paires()
        );
    }
    let mut durees = Vec::with_capacity(requetes.len());
    for r in &requetes {
        let (d, s, f) = parametres(r);
        let t = Instant::now();
        let ligne = sqlx::query(REQUETE_PG)
            .bind(d)
            .bind(s)
            .bind(f)
            .fetch_one(&mut c)
            .await?;
        durees.push(t.elapsed());
        std::hint::black_box(ligne);
    }
    let _ = c.close().await;
    let totaux: Vec<u64> = attendus.iter().map(|(t, _)| *t).collect();
    Ok(ComparaisonPg {
        requetes: requetes.len(),
        memoire,
        postgres: Quantiles::de(durees),
        total_moyen: totaux.iter().sum::<u64>() as f64 / totaux.len().max(1) as f64,
        totaux,
        chargement,
        plan,
        serveur: format!("PostgreSQL {version}, shared_buffers {shared_buffers}"),
    })
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn imprimer_pg(n: usize, c: &ComparaisonPg) {
    println!(
        "   {} ; table chargée et indexée en {:.1} s ; plan (personnalisé à chaque exécution) : {}",
        c.serveur,
        c.chargement.as_secs_f64(),
        c.plan.join(" ; ")
    );
    let apercu: Vec<String> = c.totaux.iter().take(8).map(u64::to_string).collect();
    println!(
        "   {} requêtes, réponses identiques (total et première page) dans les deux ; totaux : {} … (moyenne {:.0})",
        c.requetes,
        apercu.join(", "),
        c.total_moyen
    );
    println!("   {:<36} {:>12} {:>12} {:>12}", "", "p50", "p99", "max");
    println!(
        "   {:<36} {:>12} {:>12} {:>12}",
        "catalogue en mémoire",
        ms(c.memoire.p50),
        ms(c.memoire.p99),
        ms(c.memoire.max)
    );
    println!(
        "   {:<36} {:>12} {:>12} {:>12}",
        "PostgreSQL (requête préparée, cache chaud)",
        ms(c.postgres.p50),
        ms(c.postgres.p99),
        ms(c.postgres.max)
    );
    println!(
        "   rapport PostgreSQL / mémoire : ×{:.0} au p50, ×{:.0} au p99",
        ratio(c.postgres.p50, c.memoire.p50),
        ratio(c.postgres.p99, c.memoire.p99)
    );
    println!(
        "bench-recherche lieux={n} partie=postgres requetes={} total_moyen={:.0} memoire_p50_ms={} memoire_p99_ms={} pg_p50_ms={} pg_p99_ms={} ratio_p50={:.1} ratio_p99={:.1} reponses_identiques=oui",
        c.requetes,
        c.total_moyen,
        ms_brut(c.memoire.p50),
        ms_brut(c.memoire.p99),
        ms_brut(c.postgres.p50),
        ms_brut(c.postgres.p99),
        ratio(c.postgres.p50, c.memoire.p50),
        ratio(c.postgres.p99, c.memoire.p99)
    );
}

/// The p99 target of issue 3 §9 at this size, if any.
fn objectif_p99(n: usize) -> Option<Duration> {
    match n {
        20_000 => Some(Duration::from_millis(5)),
        1_000_000 => Some(Duration::from_millis(50)),
        _ => None,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "atteint"
    } else {
        "NON ATTEINT"
    }
}

fn imprimer_resume(toutes: &[Mesures]) {
    if toutes.is_empty() {
        return;
    }
    println!("\n══════ Résumé ══════");
    println!(
        "{:>9} │ {:>21} │ {:>21} │ {:>8} │ {:>19} │ {:>17}",
        "lieux",
        "domaine p99 orient./filtr.",
        "serveur p99 orient./filtr.",
        "req/s",
        "PG p50 / mém. p50",
        "RSS serve SQLite/PG"
    );
    let domaine_p99 = |m: &Mesures, prefixe: &str| {
        m.domaine
            .as_ref()
            .and_then(|d| d.mesures.iter().find(|x| x.nom.starts_with(prefixe)))
            .map(|x| x.p99)
    };
    let serveur_p99 = |m: &Mesures, g: Genre| {
        m.serveur
            .as_ref()
            .and_then(|s| s.par_genre.iter().find(|(x, _)| *x == g))
            .map(|(_, r)| r.quantiles.p99)
    };
    let txt = |d: Option<Duration>| {
        d.map_or("—".to_string(), |d| {
            format!("{:.2}", d.as_secs_f64() * 1000.0)
        })
    };
    for m in toutes {
        let pg = m.postgres.as_ref().map_or("—".to_string(), |c| {
            format!(
                "{:.2}/{:.3} ×{:.0}",
                c.postgres.p50.as_secs_f64() * 1000.0,
                c.memoire.p50.as_secs_f64() * 1000.0,
                ratio(c.postgres.p50, c.memoire.p50)
            )
        });
        println!(
            "{:>9} │ {:>12} / {:>6} ms │ {:>12} / {:>6} ms │ {:>8} │ {:>19} │ {:>17}",
            m.lieux,
            txt(domaine_p99(m, "orientation")),
            txt(domaine_p99(m, "services")),
            txt(serveur_p99(m, Genre::Orientation)),
            txt(serveur_p99(m, Genre::Filtree)),
            m.serveur.as_ref().map_or("—".to_string(), |s| format!(
                "{:.0}",
                s.wrk.requetes_par_seconde()
            )),
            pg,
            if m.reels.is_empty() {
                "—".to_string()
            } else {
                let rss: Vec<String> = m
                    .reels
                    .iter()
                    .map(|r| {
                        r.rss_apres
                            .max(r.rss_charge)
                            .map_or("?".to_string(), |o| format!("{:.0}", mio(o)))
                    })
                    .collect();
                format!("{} Mio", rss.join(" / "))
            }
        );
    }
    println!("\nObjectifs de l'issue 3 §9 :");
    for m in toutes {
        if let (Some(cible), Some(s)) = (objectif_p99(m.lieux), &m.serveur) {
            for g in [Genre::Orientation, Genre::Filtree] {
                if let Some((_, r)) = s.par_genre.iter().find(|(x, _)| *x == g) {
                    println!(
                        "  {} lieux, {} : p99 côté serveur {} < {} → {}",
                        m.lieux,
                        g.libelle(),
                        ms(r.quantiles.p99),
                        ms(cible),
                        verdict(r.quantiles.p99 < cible)
                    );
                }
            }
        }
        if m.lieux == 20_000 {
            if let Some(s) = &m.serveur {
                println!(
                    "  {} lieux, débit sous wrk (serveur dans le processus) : {:.0} requêtes/s ≥ 2 000 → {} ({} erreurs)",
                    m.lieux,
                    s.wrk.requetes_par_seconde(),
                    verdict(s.wrk.requetes_par_seconde() >= 2000.0 && s.wrk.erreurs() == 0),
                    s.wrk.erreurs()
                );
            }
            for r in &m.reels {
                if let Some(w) = &r.wrk {
                    println!(
                        "  {} lieux, débit sous wrk (vrai maillage serve, registre {}) : {:.0} requêtes/s ≥ 2 000 → {} ({} erreurs)",
                        m.lieux,
                        r.base,
                        w.requetes_par_seconde(),
                        verdict(w.requetes_par_seconde() >= 2000.0 && w.erreurs() == 0),
                        w.erreurs()
                    );
                }
            }
            for r in &m.reels {
                if let Some(o) = r.rss_apres.max(r.rss_charge) {
                    println!(
                        "  {} lieux, mémoire résidente de maillage serve (registre {}) {:.1} Mio < 150 Mo ({:.1} Mio) → {} (pic pendant le chargement {})",
                        m.lieux,
                        r.base,
                        mio(o),
                        mio(150_000_000),
                        verdict(o < 150_000_000),
                        r.pic.map_or("?".to_string(), |p| format!("{:.1} Mio", mio(p)))
                    );
                }
            }
        }
        if let Some(c) = &m.postgres {
            println!(
                "  {} lieux, recherche filtrée PostgreSQL / mémoire : ×{:.0} (p50), ×{:.0} (p99)",
                m.lieux,
                ratio(c.postgres.p50, c.memoire.p50),
                ratio(c.postgres.p99, c.memoire.p99)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adresse_postgres_avec_une_autre_base() {
        assert_eq!(
            url_avec_base("postgres://postgres@127.0.0.1:5432/test", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            url_avec_base("postgresql://u:p@h/test?sslmode=disable", "b"),
            "postgresql://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            url_avec_base("postgres://h:5432", "b"),
            "postgres://h:5432/b"
        );
    }

    #[test]
    fn objectifs() {
        assert_eq!(objectif_p99(20_000), Some(Duration::from_millis(5)));
        assert_eq!(objectif_p99(1_000_000), Some(Duration::from_millis(50)));
        assert_eq!(objectif_p99(3_000), None);
    }
}
