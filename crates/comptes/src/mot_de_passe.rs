//! Password hashing (argon2id) and password policy.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
pub const MEMOIRE_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISME: u32 = 1;

pub const LONGUEUR_MIN: usize = 12;
pub const LONGUEUR_MAX: usize = 128;

/// Hashing failed (parameters rejected or no randomness for the salt).
#[derive(Debug, thiserror::Error)]
#[error("le hachage du mot de passe a échoué : {0}")]
pub struct ErreurHachage(String);

fn argon2id() -> Result<Argon2<'static>, ErreurHachage> {
    let params = Params::new(MEMOIRE_KIB, ITERATIONS, PARALLELISME, None)
        .map_err(|e| ErreurHachage(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string `$argon2id$v=19$m=19456,t=2,p=1$…`
/// with a fresh random salt.
pub fn hacher_mot_de_passe(mot_de_passe: &str) -> Result<String, ErreurHachage> {
    let sel = SaltString::generate(&mut OsRng);
    let hache = argon2id()?
        .hash_password(mot_de_passe.as_bytes(), &sel)
        .map_err(|e| ErreurHachage(e.to_string()))?;
    Ok(hache.to_string())
}

/// Checks a password against a stored PHC string. The parameters are read
/// from the string, so hashes made with older settings still verify; a
/// malformed string is a failed login, not an error to show.
pub fn verifier_mot_de_passe(mot_de_passe: &str, phc: &str) -> bool {
    let Ok(hache) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(mot_de_passe.as_bytes(), &hache)
        .is_ok()
}

/// Whether a stored hash should be replaced by a fresh one at the next
/// successful login: another algorithm, or weaker parameters than today's.
/// An unreadable string also answers `true`.
pub fn doit_etre_rehache(phc: &str) -> bool {
    let Ok(hache) = PasswordHash::new(phc) else {
        return true;
    };
    if hache.algorithm != Algorithm::Argon2id.ident() {
        return true;
    }
    let Ok(params) = Params::try_from(&hache) else {
        return true;
    };
    params.m_cost() < MEMOIRE_KIB || params.t_cost() < ITERATIONS || params.p_cost() < PARALLELISME
}

/// Passwords that are refused whatever their length, also when followed by
/// digits or symbols ("motdepasse2024!"). Lower case, compared lower case.
const MOTS_DE_PASSE_COURANTS: &[&str] = &[
    "123456789012",
    "1234567890",
    "0123456789",
    "azertyuiop",
    "azertyuiopqsdfghjklm",
    "qwertyuiop",
    "qwertyuiopasdfghjkl",
    "aaaaaaaaaaaa",
    "motdepasse",
    "mot de passe",
    "password",
    "passw0rd",
    "motdepassefort",
    "changeme",
    "changezmoi",
    "bienvenue",
    "welcome",
    "letmein",
    "iloveyou",
    "jetaime",
    "soleil",
    "bonjour",
    "doudou",
    "loulou",
    "chouchou",
    "coucou",
    "marseille",
    "football",
    "administrateur",
    "administrator",
    "mediateur",
    "mediateurnumerique",
    "mediationnumerique",
    "maillage",
];

/// Checks the password policy; all problems are reported at once, in French.
pub fn politique_mot_de_passe(mot_de_passe: &str, email: &str) -> Result<(), Vec<String>> {
    let mut erreurs = Vec::new();
    let longueur = mot_de_passe.chars().count();
    if longueur < LONGUEUR_MIN {
        erreurs.push(format!(
            "Le mot de passe doit contenir au moins {LONGUEUR_MIN} caractères."
        ));
    }
    if longueur > LONGUEUR_MAX {
        erreurs.push(format!(
            "Le mot de passe ne doit pas dépasser {LONGUEUR_MAX} caractères."
        ));
    }
    let minuscule = mot_de_passe.to_lowercase();
    if est_courant(&minuscule) {
        erreurs.push(
            "Ce mot de passe est trop courant : choisissez-en un moins facile à deviner."
                .to_owned(),
        );
    }
    // Short local parts ("jo@…") would forbid too many passwords to matter.
    let partie_locale = email
        .split('@')
        .next()
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if partie_locale.chars().count() >= 3 && minuscule.contains(&partie_locale) {
        erreurs.push(
            "Le mot de passe ne doit pas contenir votre identifiant de messagerie (la partie de l'adresse avant « @ »)."
                .to_owned(),
        );
    }
    if erreurs.is_empty() {
        Ok(())
    } else {
        Err(erreurs)
    }
}

fn est_courant(minuscule: &str) -> bool {
    let sans_suffixe = minuscule.trim_end_matches(|c: char| !c.is_alphabetic());
    MOTS_DE_PASSE_COURANTS.iter().any(|courant| {
        *courant == minuscule || (!sans_suffixe.is_empty() && *courant == sans_suffixe)
    })
}
