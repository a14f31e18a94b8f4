//! Single-use expiring tokens: e-mail verification, password reset,
//! invitations.
//!
//! The clear token goes into the e-mailed link and is never stored; the
//! database keeps its SHA-256, so a leaked table cannot be replayed. A
//! 256-bit random token needs no slow hash: there is nothing to brute-force.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a token.
pub const OCTETS_ALEATOIRES: usize = 32;

/// What a token is for; a token for one purpose is refused for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButJeton {
    VerificationEmail,
    ReinitialisationMotDePasse,
    Invitation,
}

impl ButJeton {
    pub fn code(self) -> &'static str {
        match self {
            ButJeton::VerificationEmail => "verification_email",
            ButJeton::ReinitialisationMotDePasse => "reinitialisation_mot_de_passe",
            ButJeton::Invitation => "invitation",
        }
    }

    /// Suggested lifetimes: a reset link is a live credential, so short; an
    /// invitation waits for someone who may not read mail daily.
    pub fn duree_par_defaut(self) -> Duration {
        match self {
            ButJeton::VerificationEmail => Duration::hours(48),
            ButJeton::ReinitialisationMotDePasse => Duration::hours(1),
            ButJeton::Invitation => Duration::days(7),
        }
    }
}

/// The stored form of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jeton {
    /// SHA-256 of the clear token, lower-case hex; also the lookup key.
    pub empreinte: String,
    pub but: ButJeton,
    pub expire_le: DateTime<Utc>,
    pub utilise_le: Option<DateTime<Utc>>,
}

/// The operating system gave no randomness.
#[derive(Debug, thiserror::Error)]
#[error("impossible d'obtenir des octets aléatoires du système : {0}")]
pub struct ErreurGeneration(String);

/// Why a token is refused. Messages are for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ErreurJeton {
    #[error("Ce lien n'est pas valide.")]
    Inconnu,
    #[error("Ce lien ne sert pas à cette opération.")]
    MauvaisBut,
    #[error("Ce lien a expiré : demandez-en un nouveau.")]
    Expire,
    #[error("Ce lien a déjà été utilisé.")]
    DejaUtilise,
}

impl Jeton {
    /// Creates a token valid for `duree` from `maintenant`. Returns the clear
    /// token (base64url without padding, 43 characters) — to send once and
    /// forget — and the form to store.
    pub fn nouveau(
        but: ButJeton,
        maintenant: DateTime<Utc>,
        duree: Duration,
    ) -> Result<(String, Jeton), ErreurGeneration> {
        let (clair, empreinte) = secret_aleatoire()?;
        let jeton = Jeton {
            empreinte,
            but,
            // Saturating: an absurd duration must not panic the server.
            expire_le: maintenant.checked_add_signed(duree).unwrap_or(
                if duree < Duration::zero() {
                    DateTime::<Utc>::MIN_UTC
                } else {
                    DateTime::<Utc>::MAX_UTC
                },
            ),
            utilise_le: None,
        };
        Ok((clair, jeton))
    }

    /// The SHA-256 hex of a clear token, to look the stored token up.
    pub fn empreinte_de(clair: &str) -> String {
        hex::encode(Sha256::digest(clair.as_bytes()))
    }
}

/// A random secret (32 bytes from the OS, base64url without padding) and its
/// SHA-256 hex: the clear form goes to the user once (a link, a session
/// cookie), only the digest is stored.
pub fn secret_aleatoire() -> Result<(String, String), ErreurGeneration> {
    let mut octets = [0u8; OCTETS_ALEATOIRES];
    OsRng
        .try_fill_bytes(&mut octets)
        .map_err(|e| ErreurGeneration(e.to_string()))?;
    let clair = Base64UrlUnpadded::encode_string(&octets);
    let empreinte = Jeton::empreinte_de(&clair);
    Ok((clair, empreinte))
}

/// Checks `clair` against the stored token for purpose `but` and marks it
/// used. Checks in order: matching token, purpose, not used, not expired;
/// the token is only marked used on success.
pub fn consommer(
    jeton: &mut Jeton,
    but: ButJeton,
    clair: &str,
    maintenant: DateTime<Utc>,
) -> Result<(), ErreurJeton> {
    let empreinte = Jeton::empreinte_de(clair);
    // Constant-time so response timing says nothing about how much of a
    // guessed token matched.
    let identique: bool = empreinte
        .as_bytes()
        .ct_eq(jeton.empreinte.as_bytes())
        .into();
    if !identique {
        return Err(ErreurJeton::Inconnu);
    }
    if jeton.but != but {
        return Err(ErreurJeton::MauvaisBut);
    }
    if jeton.utilise_le.is_some() {
        return Err(ErreurJeton::DejaUtilise);
    }
    if maintenant >= jeton.expire_le {
        return Err(ErreurJeton::Expire);
    }
    jeton.utilise_le = Some(maintenant);
    Ok(())
}
