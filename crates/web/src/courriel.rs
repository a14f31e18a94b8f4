//! Outgoing e-mail. There is no SMTP transport yet: every message is logged
//! (`tracing::info!`) and kept in a bounded in-process outbox, readable at
//! `/compte/boite-d-envoi` when `Config::boite_d_envoi_visible` is set (demo,
//! tests). The outbox is per process and lost on restart: a durable one
//! needs a store table (a migration).

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Messages kept at most; the oldest are dropped first.
pub const CAPACITE: usize = 200;

/// One message as it would be sent.
#[derive(Debug, Clone)]
pub struct Message {
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    /// The link the message asks to follow, shown as a link in the outbox.
    pub lien: Option<String>,
    pub cree_le: DateTime<Utc>,
}

#[derive(Default)]
pub struct BoiteEnvoi {
    messages: Mutex<VecDeque<Message>>,
}

impl BoiteEnvoi {
    /// "Sends" a message: logs it and keeps it.
    pub fn envoyer(&self, m: Message) {
        // Without SMTP the log is how an operator delivers the message by
        // hand: it holds the link, which is single-use and expires.
        tracing::info!(
            destinataire = %m.destinataire,
            sujet = %m.sujet,
            corps = %m.corps,
            "courriel placé dans la boîte d'envoi (pas de transport SMTP)"
        );
        let mut messages = match self.messages.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        messages.push_back(m);
        while messages.len() > CAPACITE {
            messages.pop_front();
        }
    }

    /// Every kept message, newest first.
    pub fn messages(&self) -> Vec<Message> {
        let messages = match self.messages.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        messages.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bornee_et_plus_recent_d_abord() {
        let b = BoiteEnvoi::default();
        for i in 0..CAPACITE + 5 {
            b.envoyer(Message {
                destinataire: format!("{i}@exemple.fr"),
                sujet: "s".into(),
                corps: "c".into(),
                lien: None,
                cree_le: Utc::now(),
            });
        }
        let m = b.messages();
        assert_eq!(m.len(), CAPACITE);
        assert_eq!(m[0].destinataire, format!("{}@exemple.fr", CAPACITE + 4));
        assert_eq!(m[CAPACITE - 1].destinataire, "5@exemple.fr");
    }
}
