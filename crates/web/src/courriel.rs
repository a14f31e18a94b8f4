//! Outgoing e-mail. A request queues its message in the database
//! ([`maillage_store::Store::ajouter_courriel`]), so nothing is lost when a
//! server restarts and several stateless servers share the work. A
//! background task of each server then takes due messages with a lease and
//! delivers them over SMTP when `--smtp` is configured, retrying failures
//! with growing delays. Without SMTP the messages stay in the queue:
//! administrators read them at `/espace/courriels`, and the demo shows them
//! to everyone at `/compte/boite-d-envoi`. Queued messages hold single-use
//! links: they are deleted after [`CONSERVATION_JOURS`] days.

use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use maillage_store::{Courriel, NouveauCourriel, Store, StoreError};
use tokio::sync::Notify;

/// Days a message is kept, sent or not.
pub const CONSERVATION_JOURS: i64 = 30;
/// Attempts before giving up on a message.
pub const TENTATIVES_MAX: u32 = 8;
/// How long a taken message is reserved to the server sending it.
const BAIL: Duration = Duration::minutes(5);
/// Messages taken per pass.
const PAR_PASSE: u32 = 20;

/// One message to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    /// The link the message asks to follow, shown as a link in the outbox.
    pub lien: Option<String>,
    pub cree_le: DateTime<Utc>,
}

/// The SMTP relay, from a URL such as `smtps://user:password@host:465` or
/// `smtp://host:587?tls=required` (lettre's URL syntax).
#[derive(Debug, Clone)]
pub struct ConfigSmtp {
    pub url: String,
    /// `Maillage <ne-pas-repondre@exemple.fr>`.
    pub expediteur: String,
}

/// The sender: the queue in the store, and the SMTP transport if any.
pub struct Courrier {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    /// Wakes the delivery task when a message is queued.
    reveil: Notify,
}

impl std::fmt::Debug for Courrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Courrier")
            .field("smtp", &self.smtp.is_some())
            .finish()
    }
}

/// Delay before attempt `n + 1` after `n` failures: 1 min, 4, 16… up to 6 h.
pub fn delai_apres(tentatives: u32) -> Duration {
    let minutes = 4_i64.saturating_pow(tentatives.saturating_sub(1).min(6));
    Duration::minutes(minutes.min(360))
}

impl Courrier {
    /// Without SMTP: messages are only queued.
    pub fn sans_smtp() -> Courrier {
        Courrier {
            smtp: None,
            reveil: Notify::new(),
        }
    }

    /// With an SMTP relay; a bad URL or sender is refused here, at start-up.
    pub fn avec_smtp(config: &ConfigSmtp) -> anyhow::Result<Courrier> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(|e| anyhow::anyhow!("adresse du serveur SMTP invalide : {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let expediteur: Mailbox = config
            .expediteur
            .parse()
            .map_err(|e| anyhow::anyhow!("expéditeur « {} » invalide : {e}", config.expediteur))?;
        Ok(Courrier {
            smtp: Some((transport, expediteur)),
            reveil: Notify::new(),
        })
    }

    pub fn a_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    /// Queues a message and wakes the delivery task.
    pub async fn envoyer(&self, store: &Store, m: Message) -> Result<i64, StoreError> {
        let id = store
            .ajouter_courriel(&NouveauCourriel {
                destinataire: m.destinataire.clone(),
                sujet: m.sujet.clone(),
                corps: m.corps,
                lien: m.lien,
                cree_le: m.cree_le,
            })
            .await?;
        tracing::info!(id, destinataire = %m.destinataire, sujet = %m.sujet, "courriel en file d'envoi");
        self.reveil.notify_one();
        Ok(id)
    }

    /// Waits for a queued message or `delai`, whichever comes first.
    pub async fn attendre(&self, delai: std::time::Duration) {
        let _ = tokio::time::timeout(delai, self.reveil.notified()).await;
    }

    /// One delivery pass: takes the due messages and sends them. Returns
    /// (sent, failed). Does nothing without SMTP.
    pub async fn distribuer(
        &self,
        store: &Store,
        maintenant: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let Some((transport, expediteur)) = &self.smtp else {
            return Ok((0, 0));
        };
        let mut envoyes = 0;
        let mut echecs = 0;
        for c in store
            .prendre_courriels(maintenant, maintenant + BAIL, PAR_PASSE)
            .await?
        {
            match envoyer_un(transport, expediteur, &c).await {
                Ok(()) => {
                    store.courriel_envoye(c.id, Utc::now()).await?;
                    envoyes += 1;
                }
                Err(e) => {
                    echecs += 1;
                    let tentatives = c.tentatives + 1;
                    // Given up: the next attempt is after the retention.
                    let prochain = if tentatives >= TENTATIVES_MAX {
                        maintenant + Duration::days(CONSERVATION_JOURS + 1)
                    } else {
                        maintenant + delai_apres(tentatives)
                    };
                    tracing::warn!(id = c.id, tentatives, "envoi du courriel impossible : {e}");
                    store.courriel_en_echec(c.id, &e, prochain).await?;
                }
            }
        }
        Ok((envoyes, echecs))
    }
}

async fn envoyer_un(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    expediteur: &Mailbox,
    c: &Courriel,
) -> Result<(), String> {
    let destinataire: Mailbox = c
        .destinataire
        .parse()
        .map_err(|e| format!("adresse « {} » invalide : {e}", c.destinataire))?;
    let message = lettre::Message::builder()
        .from(expediteur.clone())
        .to(destinataire)
        .subject(c.sujet.clone())
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(c.corps.clone())
        .map_err(|e| format!("message invalide : {e}"))?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_delais_croissent_puis_plafonnent() {
        assert_eq!(delai_apres(1), Duration::minutes(1));
        assert_eq!(delai_apres(2), Duration::minutes(4));
        assert_eq!(delai_apres(3), Duration::minutes(16));
        assert_eq!(delai_apres(7), Duration::minutes(360));
        assert_eq!(delai_apres(100), Duration::minutes(360));
    }

    #[test]
    fn une_adresse_smtp_invalide_est_refusee() {
        let e = Courrier::avec_smtp(&ConfigSmtp {
            url: "pas une url".to_string(),
            expediteur: "Maillage <a@exemple.fr>".to_string(),
        });
        assert!(e.is_err());
        let e = Courrier::avec_smtp(&ConfigSmtp {
            url: "smtp://127.0.0.1:2525".to_string(),
            expediteur: "pas une adresse".to_string(),
        });
        assert!(e.is_err());
    }
}
