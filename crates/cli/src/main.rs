//! `maillage`: one binary for the whole platform.
//!
//! Every command speaks French to its user; storage is chosen by
//! `DATABASE_URL` (SQLite file by default, PostgreSQL in production).

use anyhow::Context;
use clap::{Parser, Subcommand};
use maillage_registre::export::FormatExport;
use maillage_registre::import::{self, Demande};
use maillage_registre::{bench, consolidation, demo, export, rapport, Erreur, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench_activites;
mod bench_recherche;
mod compte;
mod demo_espace;
mod synthese_activites;

// Imports and consolidation allocate millions of small strings: mimalloc is
// markedly faster than the system allocator on this workload.
#[global_allocator]
static ALLOCATEUR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A long-running server keeps a small, mostly idle heap: transparent huge
/// pages (which mimalloc requests for its arenas) would pin 2 MiB per
/// touched region and nearly double its resident memory. Imports keep them
/// for speed.
fn sans_pages_geantes() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; the
        // arguments are the ones prctl(2) documents.
        let retour = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        if retour != 0 {
            tracing::debug!(
                "PR_SET_THP_DISABLE refusé : {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

#[derive(Parser)]
#[command(
    name = "maillage",
    version,
    about = "Maillage — le registre des lieux de médiation numérique et les outils de l'inclusion numérique"
)]
struct Cli {
    /// Base de données : sqlite://fichier.db (par défaut) ou postgres://…
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://maillage.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    commande: Commande,
}

#[derive(Subcommand)]
enum Commande {
    /// Importe des fichiers dans le registre (standard v1 ou v0.1, CSV ou JSON ; ou source brute avec --mapping).
    Import {
        /// Nom de la source (obligatoire sans --mapping).
        #[arg(long)]
        source: Option<String>,
        /// Configuration de correspondance du pipeline national (<source>.config.json).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Fichiers à importer.
        #[arg(required = true)]
        fichiers: Vec<PathBuf>,
        /// N'enregistre rien : affiche ce qui serait ajouté, modifié et supprimé.
        #[arg(long)]
        dry_run: bool,
        /// Écrit le rapport d'erreurs (une ligne par problème) dans ce fichier CSV.
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Rejette un lieu dont les horaires sont illisibles (sinon : horaires écartés, lieu gardé).
        #[arg(long)]
        strict: bool,
        /// Séparateur CSV (détecté sinon).
        #[arg(long)]
        delimiter: Option<char>,
        /// Clé JSON qui contient le tableau des lieux (détectée sinon).
        #[arg(long)]
        json_path: Option<String>,
        /// Ne reconstruit pas le registre publié après l'import (utile avant plusieurs imports).
        #[arg(long)]
        no_dedupe: bool,
    },
    /// Regroupe les doublons entre sources et reconstruit le registre publié.
    Dedupe {
        /// Écrit group_id,source,source_id,published_id pour chaque enregistrement de source.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Publie le registre dans le standard (CSV, JSON ou GeoJSON).
    Export {
        #[arg(long, default_value = "csv")]
        format: String,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Limite à un territoire : reg:75, dep:33, epci:200000172, com:33063.
        #[arg(long)]
        territoire: Option<String>,
    },
    /// Vérifie des fichiers sans rien enregistrer (même contrôles que l'import).
    Check {
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        mapping: Option<PathBuf>,
        #[arg(required = true)]
        fichiers: Vec<PathBuf>,
        #[arg(long)]
        errors: Option<PathBuf>,
        #[arg(long)]
        strict: bool,
    },
    /// Liste les sources du registre et leurs derniers imports.
    Sources,
    /// Comptes de l'espace des médiateurs et agents (le premier administrateur, notamment).
    Compte {
        #[command(subcommand)]
        action: compte::ActionCompte,
    },
    /// Construit le registre de démonstration à partir des données fournies, affiche le rapport, écrit l'export, puis ouvre le site.
    Demo {
        /// Dossier des données (par défaut : data/ du dépôt).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Dossier où écrire les exports et rapports.
        #[arg(long, default_value = "export")]
        output_dir: PathBuf,
        /// Construit le registre et l'export sans lancer le site.
        #[arg(long)]
        sans_serveur: bool,
        #[command(flatten)]
        serveur: OptionsServeur,
    },
    /// Anonymise les bénéficiaires sans activité depuis --mois mois (règle de conservation, aussi appliquée chaque jour par le serveur).
    Retention {
        /// Durée de conservation des bénéficiaires inactifs, en mois.
        #[arg(long, default_value_t = maillage_beneficiaires::RETENTION_MOIS_DEFAUT)]
        mois: u32,
    },
    /// Lance le site et l'API sur le registre publié.
    Serve {
        #[command(flatten)]
        serveur: OptionsServeur,
    },
    /// Banc d'essai : import + validation + dédoublonnage d'un jeu national synthétique.
    Bench {
        /// Nombre de lieux (séparés par des virgules pour plusieurs mesures).
        #[arg(long, default_value = "20000", value_delimiter = ',')]
        lieux: Vec<usize>,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        graine: u64,
    },
    /// Banc d'essai de la recherche et du serveur : latences du domaine, du serveur sous charge (wrk), même recherche dans PostgreSQL, mémoire de `maillage serve`.
    ///
    /// Pour chaque taille : (1) latences p50/p99 des requêtes du domaine sur le catalogue en
    /// mémoire ; (2) le vrai routeur lancé dans ce processus sur 127.0.0.1, chargé par wrk avec
    /// un mélange d'URL réalistes (recherche filtrée, orientation, texte avec faute, compteur,
    /// page HTML) : requêtes/s et latences client de wrk, latences côté serveur par genre de
    /// requête ; (3) la même recherche filtrée dans une base PostgreSQL dédiée (créée puis
    /// supprimée), réponses vérifiées identiques, p50/p99 et rapport ; (4) `maillage serve` en
    /// processus fils sur un registre SQLite, puis PostgreSQL : mémoire résidente après
    /// chargement et après la même charge wrk, pic, débit. Lancez-le sur une machine au repos.
    BenchRecherche {
        /// Tailles du jeu national synthétique, en lieux (séparées par des virgules).
        #[arg(long, default_value = "20000", value_delimiter = ',')]
        lieux: Vec<usize>,
        /// Durée de chaque mesure de charge wrk, en secondes (après 3 s de chauffe).
        #[arg(long, default_value_t = 10)]
        duree: u64,
        /// Connexions simultanées de wrk.
        #[arg(long, default_value_t = 32)]
        connexions: u32,
        /// Fils de wrk.
        #[arg(long, default_value_t = 2)]
        fils: u32,
        /// Serveur PostgreSQL de la comparaison et du serveur réel : des bases maillage_bench_<pid>_… y sont créées puis supprimées.
        #[arg(
            long,
            env = "MAILLAGE_TEST_POSTGRES",
            default_value = "postgres://postgres@127.0.0.1:5432/test"
        )]
        postgres: String,
        /// Sans PostgreSQL (ni comparaison, ni serveur réel sur PostgreSQL).
        #[arg(long)]
        sans_postgres: bool,
        /// Mesure le vrai `maillage serve` (processus fils) jusqu'à cette taille seulement.
        #[arg(long, default_value_t = 200_000)]
        serveur_reel_max: usize,
        /// Dossier des données modèles (par défaut : data/ du dépôt).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Banc d'essai des activités : génère un historique synthétique réaliste, le charge en masse, puis mesure les statistiques, le tableau de pilotage, l'enregistrement d'une activité et l'export CSV.
    BenchActivites(bench_activites::Options),
    /// (interne) Écrit le jeu synthétique du banc d'essai dans un dossier.
    #[command(hide = true)]
    BenchGenerer {
        #[arg(long)]
        lieux: usize,
        #[arg(long)]
        graine: u64,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        dossier: PathBuf,
    },
}

/// Options of the web server (`serve`, and `demo` unless --sans-serveur).
#[derive(clap::Args, Debug, Clone)]
struct OptionsServeur {
    /// Adresse et port d'écoute (port 0 : un port libre, affiché au démarrage).
    #[arg(long, env = "MAILLAGE_ECOUTE", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Modèle d'URL des tuiles de la carte, ex. https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png (sans : points sur fond uni).
    #[arg(long, env = "MAILLAGE_TUILES")]
    tuiles: Option<String>,
    /// Attribution affichée sous les tuiles.
    #[arg(long, env = "MAILLAGE_TUILES_ATTRIBUTION")]
    attribution_tuiles: Option<String>,
    /// Derrière un proxy inverse : l'adresse du client est la dernière de X-Forwarded-For.
    #[arg(long, env = "MAILLAGE_DERRIERE_PROXY")]
    derriere_proxy: bool,
    /// Adresse publique du site (https://…), base des liens envoyés par courriel.
    #[arg(long, env = "MAILLAGE_URL_PUBLIQUE")]
    url_publique: Option<String>,
    /// Les bénéficiaires sans activité depuis ce nombre de mois sont anonymisés (chaque jour).
    #[arg(long, env = "MAILLAGE_RETENTION_BENEFICIAIRES_MOIS", default_value_t = maillage_beneficiaires::RETENTION_MOIS_DEFAUT)]
    retention_beneficiaires_mois: u32,
    /// Sans serveur de courriel : les messages sont lisibles à /compte/boite-d-envoi
    /// (démonstration, essais ; jamais en production).
    #[arg(long, env = "MAILLAGE_BOITE_D_ENVOI_VISIBLE")]
    boite_d_envoi_visible: bool,
    /// Serveur d'envoi des courriels, ex. smtps://utilisateur:motdepasse@smtp.exemple.fr:465
    /// ou smtp://smtp.exemple.fr:587?tls=required (sans : les courriels restent en file,
    /// lisibles par les administrateurs à /espace/courriels).
    #[arg(long, env = "MAILLAGE_SMTP", hide_env_values = true)]
    smtp: Option<String>,
    /// Expéditeur des courriels.
    #[arg(
        long,
        env = "MAILLAGE_SMTP_EXPEDITEUR",
        default_value = "Maillage <ne-pas-repondre@localhost>"
    )]
    smtp_expediteur: String,
}

impl OptionsServeur {
    fn options(&self, database_url: &str) -> anyhow::Result<maillage_web::Options> {
        let mut config = maillage_web::Config {
            tuiles: self.tuiles.clone().filter(|t| !t.trim().is_empty()),
            attribution_tuiles: self.attribution_tuiles.clone(),
            derriere_proxy: self.derriere_proxy,
            url_publique: self
                .url_publique
                .as_deref()
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            boite_d_envoi_visible: self.boite_d_envoi_visible,
            smtp: self
                .smtp
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(|url| maillage_web::courriel::ConfigSmtp {
                    url: url.to_string(),
                    expediteur: self.smtp_expediteur.clone(),
                }),
            retention_beneficiaires_mois: self.retention_beneficiaires_mois,
            ..maillage_web::Config::default()
        };
        if let Some(smtp) = &config.smtp {
            // Refused at start-up, not at the first message.
            maillage_web::courriel::Courrier::avec_smtp(smtp)?;
        }
        // Refused now rather than at the first daily run.
        maillage_beneficiaires::limite_retention(
            chrono::Utc::now().date_naive(),
            self.retention_beneficiaires_mois,
        )?;
        if let Some(u) = &config.url_publique {
            anyhow::ensure!(
                u.starts_with("https://") || u.starts_with("http://"),
                "adresse publique « {u} » invalide : attendu http(s)://hôte"
            );
        }
        if let Some(t) = &config.tuiles {
            anyhow::ensure!(
                maillage_web::securite::source_tuiles(t).is_some(),
                "URL de tuiles « {t} » invalide : attendu http(s)://hôte/{{z}}/{{x}}/{{y}}.png"
            );
        }
        if let Ok(j) = std::env::var("MAILLAGE_JETON_GESTION") {
            let j = j.trim().to_string();
            if j.chars().count() < 16 {
                anyhow::bail!("MAILLAGE_JETON_GESTION est trop court : 16 caractères au moins (un secret long et aléatoire)");
            }
            config.jeton_gestion = Some(j);
        }
        if let Ok(s) = std::env::var("MAILLAGE_SECRET") {
            if !s.is_empty() {
                config.secret = s.into_bytes();
            }
        }
        Ok(maillage_web::Options {
            database_url: database_url.to_string(),
            ecoute: self.listen.clone(),
            config,
        })
    }
}

fn delimiteur(c: Option<char>) -> anyhow::Result<Option<u8>> {
    match c {
        None => Ok(None),
        Some(c) if c.is_ascii() => Ok(Some(c as u8)),
        Some(c) => anyhow::bail!("séparateur « {c} » invalide : un caractère ASCII est attendu"),
    }
}

fn ecrire_erreurs(chemin: &Path, issues: &[maillage_lieux::Issue]) -> anyhow::Result<()> {
    let f = std::fs::File::create(chemin)
        .with_context(|| format!("création de {}", chemin.display()))?;
    let n = rapport::ecrire_erreurs_csv(std::io::BufWriter::new(f), issues)?;
    println!("Rapport d'erreurs : {} ({n} lignes)", chemin.display());
    Ok(())
}

async fn ouvrir(url: &str) -> Result<Store, Erreur> {
    Ok(Store::connect(url).await?)
}

fn referentiel() -> Result<&'static maillage_territoires::Referentiel, Erreur> {
    maillage_territoires::Referentiel::embarque().map_err(|e| Erreur::Territoires(e.to_string()))
}

async fn executer(cli: Cli) -> anyhow::Result<()> {
    match cli.commande {
        Commande::Import {
            source,
            mapping,
            fichiers,
            dry_run,
            errors,
            strict,
            delimiter,
            json_path,
            no_dedupe,
        } => {
            let demande = Demande {
                source,
                fichiers,
                correspondance: mapping,
                simulation: dry_run,
                strict_horaires: strict,
                delimiteur: delimiteur(delimiter)?,
                chemin_json: json_path,
            };
            let referentiel = referentiel()?;
            let store = ouvrir(&cli.database_url).await?;
            let r = import::importer(&store, &demande, referentiel).await?;
            print!("{}", rapport::resume_import(&r));
            if let Some(chemin) = errors {
                ecrire_erreurs(&chemin, &r.preparation.issues)?;
            }
            if !dry_run && !no_dedupe {
                let c =
                    consolidation::consolider(&store, &maillage_dedup::Options::default()).await?;
                print!("{}", rapport::resume_consolidation(&c));
            }
        }
        Commande::Dedupe { report } => {
            let store = ouvrir(&cli.database_url).await?;
            let c = consolidation::consolider(&store, &maillage_dedup::Options::default()).await?;
            print!("{}", rapport::resume_consolidation(&c));
            if let Some(chemin) = report {
                let f = std::fs::File::create(&chemin)
                    .with_context(|| format!("création de {}", chemin.display()))?;
                consolidation::ecrire_rapport_csv(std::io::BufWriter::new(f), &c.affectations)?;
                println!(
                    "Rapport de dédoublonnage : {} ({} lignes)",
                    chemin.display(),
                    c.affectations.len()
                );
            }
        }
        Commande::Export {
            format,
            output,
            territoire,
        } => {
            let format: FormatExport = format.parse()?;
            let referentiel = referentiel()?;
            let store = ouvrir(&cli.database_url).await?;
            let n = match &output {
                Some(chemin) => {
                    // Write to a temporary file first: a failed export never
                    // leaves a truncated file where the previous one was.
                    let tmp = chemin.with_extension("partiel");
                    let f = std::fs::File::create(&tmp)
                        .with_context(|| format!("création de {}", tmp.display()))?;
                    let mut w = std::io::BufWriter::new(f);
                    let n = export::exporter(
                        &store,
                        referentiel,
                        format,
                        territoire.as_deref(),
                        &mut w,
                        &chemin.display().to_string(),
                    )
                    .await?;
                    w.flush()?;
                    drop(w);
                    std::fs::rename(&tmp, chemin)
                        .with_context(|| format!("écriture de {}", chemin.display()))?;
                    n
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::new(stdout.lock());
                    let n = export::exporter(
                        &store,
                        referentiel,
                        format,
                        territoire.as_deref(),
                        &mut w,
                        "sortie standard",
                    )
                    .await?;
                    w.flush()?;
                    n
                }
            };
            eprintln!("{n} lieux exportés.");
        }
        Commande::Check {
            source,
            mapping,
            fichiers,
            errors,
            strict,
        } => {
            let demande = Demande {
                source: source.or_else(|| Some("verification".to_string())),
                fichiers,
                correspondance: mapping,
                simulation: true,
                strict_horaires: strict,
                ..Demande::default()
            };
            let prep = import::preparer(&demande, referentiel()?)?;
            for f in &prep.fichiers {
                println!(
                    "{} : {} lus, {} valides, {} rejetés",
                    f.fichier, f.lus, f.valides, f.rejetes
                );
            }
            for (code, n) in prep.motifs_rejet() {
                println!("  rejet {n:>6}  {}", rapport::libelle_code(code));
            }
            for (code, n) in prep.avertissements() {
                println!("  avertissement {n:>6}  {}", rapport::libelle_code(code));
            }
            if let Some(chemin) = errors {
                ecrire_erreurs(&chemin, &prep.issues)?;
            } else {
                for i in prep.issues.iter().take(30) {
                    println!("  {i}");
                }
                if prep.issues.len() > 30 {
                    println!(
                        "  … {} autres problèmes (utilisez --errors FICHIER.csv)",
                        prep.issues.len() - 30
                    );
                }
            }
        }
        Commande::Compte { action } => {
            let store = ouvrir(&cli.database_url).await?;
            compte::executer(&store, action).await?;
        }
        Commande::Sources => {
            let store = ouvrir(&cli.database_url).await?;
            println!("{:<36} {:>8}  dernier import", "source", "lieux");
            for s in store.sources().await? {
                let dernier = s
                    .last_run
                    .map(|r| r.at.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "—".to_string());
                println!("{:<36} {:>8}  {dernier}", s.name, s.records);
            }
            println!("\nDerniers imports :");
            for run in store.import_runs(20).await? {
                println!(
                    "{} {} : {} lus, {} valides, {} rejetés, +{} ~{} -{}",
                    run.at.format("%Y-%m-%d %H:%M"),
                    run.source,
                    run.rows_read,
                    run.rows_valid,
                    run.rows_rejected,
                    run.added,
                    run.changed,
                    run.removed
                );
            }
        }
        Commande::Retention { mois } => {
            let store = ouvrir(&cli.database_url).await?;
            let n = maillage_web::espace::beneficiaires::appliquer_retention(
                &store,
                mois,
                chrono::Utc::now(),
            )
            .await?;
            println!("{n} bénéficiaire(s) sans activité depuis {mois} mois anonymisé(s).");
        }
        Commande::Serve { serveur } => {
            sans_pages_geantes();
            maillage_web::servir(serveur.options(&cli.database_url)?).await?;
        }
        Commande::Demo {
            data,
            output_dir,
            sans_serveur,
            serveur,
        } => {
            // Checked before the long build. The demo has no mail server:
            // its messages (account verification) are shown in the outbox.
            let mut options = serveur.options(&cli.database_url)?;
            options.config.boite_d_envoi_visible = true;
            let donnees = data.unwrap_or_else(demo::dossier_donnees_par_defaut);
            let referentiel = referentiel()?;
            let store = ouvrir(&cli.database_url).await?;
            let r = demo::construire(&store, referentiel, &donnees, &output_dir).await?;
            println!("Registre de démonstration — base : {}\n", cli.database_url);
            println!(
                "{:<36} {:>6} {:>7} {:>8}  motifs de rejet",
                "source", "lus", "valides", "rejetés"
            );
            for i in &r.imports {
                let p = &i.preparation;
                let motifs: Vec<String> = p
                    .motifs_rejet()
                    .iter()
                    .map(|(c, n)| format!("{} ({n})", rapport::libelle_code(c)))
                    .collect();
                println!(
                    "{:<36} {:>6} {:>7} {:>8}  {}",
                    p.source,
                    p.lus(),
                    p.valides(),
                    p.rejetes(),
                    motifs.join(", ")
                );
            }
            for (source, raison) in &r.echecs {
                println!("{source:<36} ÉCHEC : {raison}");
            }
            println!();
            print!("{}", rapport::resume_consolidation(&r.consolidation));
            for (chemin, n) in &r.fichiers_ecrits {
                println!("  écrit : {} ({n})", chemin.display());
            }
            let aujourdhui = maillage_orientation::Fuseau::Paris
                .heure_locale(chrono::Utc::now())
                .date();
            let espace = demo_espace::peupler(&store, referentiel, aujourdhui).await?;
            if espace.comptes > 0 {
                println!(
                    "\nEspace des médiateurs : {} comptes et {} activités de démonstration créés.",
                    espace.comptes, espace.activites
                );
            }
            println!(
                "\nComptes de démonstration (mot de passe : « {} ») :",
                demo_espace::MOT_DE_PASSE_DEMO
            );
            for (email, nom, role) in demo_espace::COMPTES_DEMO {
                println!("  {email:<32} {nom}, {role}");
            }
            if !sans_serveur {
                store.close().await;
                println!();
                println!("Espace des médiateurs : /compte/connexion avec un compte ci-dessus, ou créez le vôtre à /compte/inscription ; sans serveur de courriel, le lien de confirmation est dans /compte/boite-d-envoi.");
                maillage_web::servir(options).await?;
            }
        }
        Commande::Bench {
            lieux,
            data,
            graine,
        } => {
            let donnees = data.unwrap_or_else(demo::dossier_donnees_par_defaut);
            let referentiel = referentiel()?;
            for n in lieux {
                let dossier = tempfile_dir()?;
                // Generation runs in a child process: the memory figure is
                // the pipeline's own.
                let debut = std::time::Instant::now();
                let statut = std::process::Command::new(std::env::current_exe()?)
                    .arg("bench-generer")
                    .arg("--lieux")
                    .arg(n.to_string())
                    .arg("--graine")
                    .arg(graine.to_string())
                    .arg("--data")
                    .arg(&donnees)
                    .arg("--dossier")
                    .arg(&dossier)
                    .status()
                    .context("lancement du générateur")?;
                anyhow::ensure!(
                    statut.success(),
                    "le générateur du jeu synthétique a échoué"
                );
                let generation = debut.elapsed();
                let url = if cli.database_url == "sqlite://maillage.db" {
                    format!("sqlite://{}", dossier.join("bench.db").display())
                } else {
                    cli.database_url.clone()
                };
                let store = ouvrir(&url).await?;
                let m = bench::mesurer(&store, referentiel, &dossier).await?;
                println!(
                    "bench lieux={} sources={} import={:.2}s consolidation={:.2}s total={:.2}s ({:.0} lieux/s) publies={} groupes_fusionnes={} doublons_plantes={} retrouves={} ({:.1} %) memoire_max={} Mio [generation {:.2}s, processus a part, non comptee]",
                    m.lieux,
                    m.sources,
                    m.import.as_secs_f64(),
                    m.consolidation.as_secs_f64(),
                    m.total().as_secs_f64(),
                    m.lieux as f64 / m.total().as_secs_f64().max(1e-9),
                    m.lieux_publies,
                    m.groupes_fusionnes,
                    m.doublons_plantes,
                    m.doublons_retrouves,
                    100.0 * m.doublons_retrouves as f64 / (m.doublons_plantes.max(1) as f64),
                    m.memoire_max_mio.map(|x| x.to_string()).unwrap_or_else(|| "?".into()),
                    generation.as_secs_f64(),
                );
                store.close().await;
                let _ = std::fs::remove_dir_all(&dossier);
            }
        }
        Commande::BenchRecherche {
            lieux,
            duree,
            connexions,
            fils,
            postgres,
            sans_postgres,
            serveur_reel_max,
            data,
        } => {
            let options = bench_recherche::Options {
                tailles: lieux,
                donnees: data.unwrap_or_else(demo::dossier_donnees_par_defaut),
                duree: std::time::Duration::from_secs(duree.max(1)),
                connexions,
                fils,
                postgres: (!sans_postgres).then_some(postgres),
                serveur_reel_max,
            };
            bench_recherche::executer(&options).await?;
        }
        Commande::BenchActivites(options) => {
            bench_activites::executer(referentiel()?, &options).await?;
        }
        Commande::BenchGenerer {
            lieux,
            graine,
            data,
            dossier,
        } => {
            let donnees = data.unwrap_or_else(demo::dossier_donnees_par_defaut);
            bench::generer_fichiers(referentiel()?, &donnees, &dossier, lieux, graine)?;
        }
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::temp_dir().join(format!("maillage-bench-{}", std::process::id()));
    std::fs::create_dir_all(&base).with_context(|| format!("création de {}", base.display()))?;
    Ok(base)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Erreur : démarrage impossible : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(executer(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<Erreur>() {
                Some(Erreur::FichierInutilisable(_)) => {
                    eprintln!("Erreur : {e}\nLe registre n'a pas été modifié.");
                }
                _ => eprintln!("Erreur : {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}
