//! The application state: the store, the in-memory catalogue (reloaded when
//! the published registry changes, so several stateless servers behind a
//! load balancer stay in step), the configuration and the rate limiters.

use crate::courriel::{ConfigSmtp, Courrier, Message};
use crate::securite::Limiteur;
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use maillage_diagnostic::Donnees;
use maillage_orientation::Catalogue;
use maillage_store::{FiltreRegistre, Store};
use maillage_territoires::Referentiel;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the server is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Tile URL template for the maps (`https://…/{z}/{x}/{y}.png`); `None`:
    /// markers over a blank background.
    pub tuiles: Option<String>,
    /// Attribution shown under the tiles.
    pub attribution_tuiles: Option<String>,
    /// Steward token (`MAILLAGE_JETON_GESTION`); `None` disables `/gestion`.
    pub jeton_gestion: Option<String>,
    /// Key signing form timestamps (`MAILLAGE_SECRET`; random by default:
    /// give the same value to every server behind a load balancer).
    pub secret: Vec<u8>,
    /// Trust the last address of `X-Forwarded-For` (behind a reverse proxy).
    pub derriere_proxy: bool,
    /// Minimum time between showing the report form and sending it.
    pub delai_min_signalement: Duration,
    /// Reports accepted per address and per hour.
    pub signalements_par_heure: u32,
    /// API requests per address: sustained rate per second, and burst.
    pub api_par_seconde: f64,
    pub api_rafale: f64,
    /// How often the registry version is checked.
    pub rafraichissement: Duration,
    /// Closed reports are deleted after this many days.
    pub retention_signalements_jours: i64,
    /// Beneficiaries without activity for this many months are anonymised
    /// (daily; `maillage retention` does the same on demand).
    pub retention_beneficiaires_mois: u32,
    /// Fixed clock (tests); `None`: the system clock.
    pub horloge: Option<DateTime<Utc>>,
    /// Serve `/compte/boite-d-envoi`, the list of every outgoing e-mail
    /// (demo and tests only: it shows other people's links).
    pub boite_d_envoi_visible: bool,
    /// Public base URL of the site (`https://maillage.exemple.fr`) for the
    /// links in e-mails; `None`: taken from the request's `Host`.
    pub url_publique: Option<String>,
    /// SMTP relay; `None`: messages wait in the queue, read by admins.
    pub smtp: Option<ConfigSmtp>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tuiles: None,
            attribution_tuiles: None,
            jeton_gestion: None,
            secret: (0..32).map(|_| fastrand::u8(..)).collect(),
            derriere_proxy: false,
            delai_min_signalement: Duration::from_secs(3),
            signalements_par_heure: 5,
            api_par_seconde: 20.0,
            api_rafale: 100.0,
            rafraichissement: Duration::from_secs(30),
            retention_signalements_jours: 365,
            retention_beneficiaires_mois: maillage_beneficiaires::RETENTION_MOIS_DEFAUT,
            horloge: None,
            boite_d_envoi_visible: false,
            url_publique: None,
            smtp: None,
        }
    }
}

/// Shared state of the handlers. Cheap to clone.
#[derive(Clone)]
pub struct Etat {
    pub(crate) interne: Arc<Interne>,
}

pub(crate) struct Interne {
    pub store: Store,
    pub referentiel: &'static Referentiel,
    pub catalogue: ArcSwap<Catalogue>,
    /// Access from every commune to the places of `catalogue`, computed with
    /// it so the diagnostic pages only filter and sum.
    pub diagnostic: ArcSwap<Donnees>,
    pub version: AtomicI64,
    pub config: Config,
    pub limite_api: Limiteur,
    pub limite_signalements: Limiteur,
    pub limite_connexion: Limiteur,
    /// Account forms (sign-up, sign-in, resend) per address: loose, since
    /// a whole library or town hall may share one address.
    pub limite_comptes: Limiteur,
    pub courrier: Courrier,
}

impl Etat {
    /// Loads the published registry into memory.
    pub async fn nouveau(store: Store, config: Config) -> anyhow::Result<Etat> {
        let referentiel = Referentiel::embarque()
            .map_err(|e| anyhow::anyhow!("référentiel territorial : {e}"))?;
        let version = store.registry_version().await?;
        let (catalogue, diagnostic) = charger(&store, referentiel).await?;
        Etat::construire(
            store,
            referentiel,
            Arc::new(catalogue),
            Arc::new(diagnostic),
            version,
            config,
        )
    }

    /// A state over a catalogue already in memory (benchmarks, tests):
    /// nothing is read from `store` now. Do not call
    /// [`Etat::lancer_taches_de_fond`] on it unless `store` holds the same
    /// registry: the first refresh would replace the catalogue.
    pub fn avec_catalogue(
        store: Store,
        catalogue: Arc<Catalogue>,
        config: Config,
    ) -> anyhow::Result<Etat> {
        let referentiel = Referentiel::embarque()
            .map_err(|e| anyhow::anyhow!("référentiel territorial : {e}"))?;
        let diagnostic = Arc::new(donnees_diagnostic(&catalogue, referentiel));
        Etat::construire(store, referentiel, catalogue, diagnostic, 0, config)
    }

    fn construire(
        store: Store,
        referentiel: &'static Referentiel,
        catalogue: Arc<Catalogue>,
        diagnostic: Arc<Donnees>,
        version: i64,
        config: Config,
    ) -> anyhow::Result<Etat> {
        let par_heure = f64::from(config.signalements_par_heure.max(1));
        let courrier = match &config.smtp {
            Some(smtp) => Courrier::avec_smtp(smtp)?,
            None => Courrier::sans_smtp(),
        };
        Ok(Etat {
            interne: Arc::new(Interne {
                limite_api: Limiteur::new(config.api_par_seconde, config.api_rafale),
                limite_signalements: Limiteur::new(par_heure / 3600.0, par_heure),
                limite_connexion: Limiteur::new(10.0 / 3600.0, 10.0),
                limite_comptes: Limiteur::new(60.0 / 3600.0, 60.0),
                courrier,
                store,
                referentiel,
                catalogue: ArcSwap::new(catalogue),
                diagnostic: ArcSwap::new(diagnostic),
                version: AtomicI64::new(version),
                config,
            }),
        })
    }

    /// One delivery pass of the e-mail queue (the background task does it
    /// continuously): (sent, failed).
    pub async fn distribuer_courriels(&self) -> Result<(usize, usize), maillage_store::StoreError> {
        self.interne
            .courrier
            .distribuer(&self.interne.store, self.maintenant())
            .await
    }

    /// Queues an e-mail (see [`crate::courriel`]).
    pub async fn envoyer_courriel(&self, m: Message) -> Result<i64, maillage_store::StoreError> {
        self.interne.courrier.envoyer(&self.interne.store, m).await
    }

    pub fn store(&self) -> &Store {
        &self.interne.store
    }

    pub fn referentiel(&self) -> &'static Referentiel {
        self.interne.referentiel
    }

    pub fn config(&self) -> &Config {
        &self.interne.config
    }

    /// The current catalogue (a snapshot: a reload does not disturb it).
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.interne.catalogue.load_full()
    }

    /// The diagnostic data of the current catalogue (a snapshot).
    pub fn donnees_diagnostic(&self) -> Arc<Donnees> {
        self.interne.diagnostic.load_full()
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.interne.config.horloge.unwrap_or_else(Utc::now)
    }

    /// Reloads the catalogue when the registry version changed; returns
    /// true when it did.
    pub async fn rafraichir(&self) -> anyhow::Result<bool> {
        let v = self.interne.store.registry_version().await?;
        if v == self.interne.version.load(Ordering::Acquire) {
            return Ok(false);
        }
        let (catalogue, diagnostic) =
            charger(&self.interne.store, self.interne.referentiel).await?;
        // Diagnostic first: a page reading both between the two stores
        // sees new distances with the old counts for a moment, never worse.
        self.interne.diagnostic.store(Arc::new(diagnostic));
        self.interne.catalogue.store(Arc::new(catalogue));
        self.interne.version.store(v, Ordering::Release);
        tracing::info!(version = v, "catalogue rechargé");
        Ok(true)
    }

    /// Checks the registry version every `rafraichissement`, purges old
    /// reports and anonymises inactive beneficiaries daily, forgets idle rate-limit buckets.
    pub fn lancer_taches_de_fond(&self) {
        let postier = self.clone();
        tokio::spawn(async move {
            // Delivers queued e-mail as soon as it is queued here, and every
            // 15 s what other servers queued or what is due for a retry.
            loop {
                postier
                    .interne
                    .courrier
                    .attendre(std::time::Duration::from_secs(15))
                    .await;
                if let Err(e) = postier
                    .interne
                    .courrier
                    .distribuer(&postier.interne.store, postier.maintenant())
                    .await
                {
                    tracing::warn!("envoi des courriels impossible : {e}");
                }
            }
        });
        let etat = self.clone();
        tokio::spawn(async move {
            let mut intervalle = tokio::time::interval(etat.interne.config.rafraichissement);
            intervalle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut tours: u64 = 0;
            loop {
                intervalle.tick().await;
                if let Err(e) = etat.rafraichir().await {
                    tracing::warn!("rechargement du registre impossible : {e:#}");
                }
                etat.interne.limite_api.oublier_inactifs();
                etat.interne.limite_signalements.oublier_inactifs();
                etat.interne.limite_connexion.oublier_inactifs();
                etat.interne.limite_comptes.oublier_inactifs();
                if tours == 0 {
                    let jours = etat.interne.config.retention_signalements_jours;
                    let avant = etat.maintenant() - chrono::Duration::days(jours);
                    match etat.interne.store.purger_signalements(avant).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("{n} signalements clos supprimés (conservation)"),
                        Err(e) => tracing::warn!("purge des signalements impossible : {e}"),
                    }
                    let avant = etat.maintenant()
                        - chrono::Duration::days(crate::courriel::CONSERVATION_JOURS);
                    match etat.interne.store.purger_courriels(avant).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!("{n} courriels anciens supprimés (conservation)"),
                        Err(e) => tracing::warn!("purge des courriels impossible : {e}"),
                    }
                    // Idempotent: several servers may each run it.
                    let mois = etat.interne.config.retention_beneficiaires_mois;
                    match crate::espace::beneficiaires::appliquer_retention(
                        &etat.interne.store,
                        mois,
                        etat.maintenant(),
                    )
                    .await
                    {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(
                            "{n} bénéficiaires inactifs depuis {mois} mois anonymisés (conservation)"
                        ),
                        Err(e) => tracing::warn!("anonymisation des bénéficiaires inactifs impossible : {e:#}"),
                    }
                }
                // Once a day at the default 30 s interval.
                tours = if tours >= 2879 { 0 } else { tours + 1 };
            }
        });
    }
}

async fn charger(
    store: &Store,
    referentiel: &'static Referentiel,
) -> anyhow::Result<(Catalogue, Donnees)> {
    let publies = store.registry(&FiltreRegistre::default()).await?;
    let lieux: Vec<_> = publies.into_iter().map(|p| p.lieu).collect();
    let resultat = tokio::task::spawn_blocking(move || {
        let catalogue = Catalogue::new(lieux, referentiel);
        let diagnostic = donnees_diagnostic(&catalogue, referentiel);
        (catalogue, diagnostic)
    })
    .await?;
    Ok(resultat)
}

/// Access from every commune to the catalogue's places, each place in the
/// commune the catalogue resolved for it (as the territory pages count).
fn donnees_diagnostic(catalogue: &Catalogue, referentiel: &Referentiel) -> Donnees {
    Donnees::new(
        referentiel,
        catalogue
            .lieux()
            .iter()
            .enumerate()
            .map(|(i, l)| (l, catalogue.fiche(i).code_insee.as_deref())),
    )
}
