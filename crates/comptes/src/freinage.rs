//! Login throttling, per key (an e-mail address or an IP address).
//!
//! Five failures within fifteen minutes block the key for one minute; each
//! further failure doubles the block (2, 4, 8 minutes) up to fifteen minutes.
//! A success resets everything; so does fifteen quiet minutes after the last
//! block ends. Time is always passed in, so the sequence is testable and the
//! state can live in a database row or in memory.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Failures counted before the first block.
pub const MAX_ECHECS_AVANT_BLOCAGE: usize = 5;
/// How long a failure counts, and the quiet period that ends an escalation.
pub const FENETRE_ECHECS: Duration = Duration::minutes(15);
/// First block.
pub const BLOCAGE_INITIAL: Duration = Duration::minutes(1);
/// Longest block: long enough to make guessing useless, short enough that an
/// attacker cannot lock a mediator out for the day.
pub const BLOCAGE_MAX: Duration = Duration::minutes(15);

/// Throttling state of one key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freinage {
    /// Failures within the window, oldest first, at most
    /// `MAX_ECHECS_AVANT_BLOCAGE`.
    echecs: VecDeque<DateTime<Utc>>,
    /// Blocks imposed since the last reset; sets the next block's length.
    blocages: u32,
    bloque_jusqu_a: Option<DateTime<Utc>>,
}

impl Freinage {
    pub fn new() -> Self {
        Freinage::default()
    }

    /// How long the key must still wait, if it is blocked.
    pub fn attente(&self, maintenant: DateTime<Utc>) -> Option<Duration> {
        self.bloque_jusqu_a
            .filter(|fin| maintenant < *fin)
            .map(|fin| fin - maintenant)
    }

    /// Call before checking the password: `Err(wait)` means refuse the
    /// attempt without checking it.
    pub fn verifier(&self, maintenant: DateTime<Utc>) -> Result<(), Duration> {
        match self.attente(maintenant) {
            Some(attente) => Err(attente),
            None => Ok(()),
        }
    }

    /// Records a failed attempt; returns the wait it imposes, if any.
    ///
    /// A failure reported while blocked is not counted (the attempt should
    /// have been refused by `verifier`): it returns the remaining wait and
    /// does not lengthen the block.
    pub fn enregistrer_echec(&mut self, maintenant: DateTime<Utc>) -> Option<Duration> {
        if let Some(attente) = self.attente(maintenant) {
            return Some(attente);
        }
        if self
            .bloque_jusqu_a
            .is_some_and(|fin| maintenant - fin >= FENETRE_ECHECS)
        {
            *self = Freinage::default();
        }
        self.echecs.push_back(maintenant);
        while self
            .echecs
            .front()
            .is_some_and(|premier| maintenant - *premier >= FENETRE_ECHECS)
            || self.echecs.len() > MAX_ECHECS_AVANT_BLOCAGE
        {
            self.echecs.pop_front();
        }
        if self.blocages == 0 && self.echecs.len() < MAX_ECHECS_AVANT_BLOCAGE {
            return None;
        }
        self.blocages = self.blocages.saturating_add(1);
        let duree = duree_blocage(self.blocages);
        self.bloque_jusqu_a = Some(
            maintenant
                .checked_add_signed(duree)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        Some(duree)
    }

    /// A successful login forgets past failures.
    pub fn enregistrer_succes(&mut self) {
        *self = Freinage::default();
    }
}

/// Length of the n-th block (n ≥ 1): 1, 2, 4, 8, then 15 minutes.
fn duree_blocage(n: u32) -> Duration {
    let facteur = 1i32 << n.saturating_sub(1).min(4);
    (BLOCAGE_INITIAL * facteur).min(BLOCAGE_MAX)
}

/// French message for a wait, rounded up to the minute.
pub fn message_attente(attente: Duration) -> String {
    let secondes = attente.num_seconds().max(1);
    let minutes = (secondes + 59) / 60;
    if minutes <= 1 {
        "Trop de tentatives de connexion. Réessayez dans 1 minute.".to_owned()
    } else {
        format!("Trop de tentatives de connexion. Réessayez dans {minutes} minutes.")
    }
}
