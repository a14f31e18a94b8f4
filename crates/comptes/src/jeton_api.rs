//! API tokens: long-lived bearer secrets a user creates for a program
//! (`Authorization: Bearer mlg_…`), limited to scopes and to at most a year.
//!
//! As with [`crate::Jeton`], only the SHA-256 of the token is stored: a
//! leaked table cannot be replayed, and 256 random bits need no slow hash.
//! The `mlg_` prefix lets secret scanners and people recognise a Maillage
//! token in a log or a repository.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::jeton::{secret_aleatoire, ErreurGeneration, Jeton, OCTETS_ALEATOIRES};

/// What every API token starts with.
pub const PREFIXE_JETON_API: &str = "mlg_";
/// Longest validity: a forgotten token should not live for ever.
pub const DUREE_MAX_JOURS: i64 = 365;
/// Validities offered by the creation form, in days.
pub const DUREES_PROPOSEES_JOURS: [i64; 4] = [30, 90, 180, 365];
/// Longest token name, in characters.
pub const NOM_MAX: usize = 100;

/// Characters of the random part (base64url without padding of 32 bytes).
const LONGUEUR_ALEATOIRE: usize = (OCTETS_ALEATOIRES * 4).div_ceil(3);

/// What a token may read. Codes are stable: they are stored and sent by
/// clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PorteeApi {
    /// The anonymised activity records of the owner's readable scope.
    #[serde(rename = "activites:lecture")]
    ActivitesLecture,
    /// The statistics of the owner's readable scope.
    #[serde(rename = "statistiques:lecture")]
    StatistiquesLecture,
}

impl PorteeApi {
    pub const TOUTES: [PorteeApi; 2] =
        [PorteeApi::ActivitesLecture, PorteeApi::StatistiquesLecture];

    /// Stable code, identical to the serde representation.
    pub fn code(self) -> &'static str {
        match self {
            PorteeApi::ActivitesLecture => "activites:lecture",
            PorteeApi::StatistiquesLecture => "statistiques:lecture",
        }
    }

    /// Label shown to users.
    pub fn libelle(self) -> &'static str {
        match self {
            PorteeApi::ActivitesLecture => "Lecture des activités (anonymisées)",
            PorteeApi::StatistiquesLecture => "Lecture des statistiques",
        }
    }
}

impl fmt::Display for PorteeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libelle())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "portée d'API inconnue : « {0} » (portées possibles : activites:lecture, statistiques:lecture)"
)]
pub struct PorteeInconnue(pub String);

impl FromStr for PorteeApi {
    type Err = PorteeInconnue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PorteeApi::TOUTES
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| PorteeInconnue(s.to_owned()))
    }
}

/// Scopes as stored: codes separated by spaces, in [`PorteeApi::TOUTES`]
/// order, without repeats.
pub fn portees_en_texte(portees: &[PorteeApi]) -> String {
    PorteeApi::TOUTES
        .into_iter()
        .filter(|p| portees.contains(p))
        .map(PorteeApi::code)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads [`portees_en_texte`]'s form back.
pub fn lire_portees(texte: &str) -> Result<Vec<PorteeApi>, PorteeInconnue> {
    let mut portees: Vec<PorteeApi> = Vec::new();
    for code in texte.split_whitespace() {
        let p = code.parse()?;
        if !portees.contains(&p) {
            portees.push(p);
        }
    }
    portees.sort();
    Ok(portees)
}

/// A token to store: everything but its owner and id, which the store adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NouveauJetonApi {
    pub nom: String,
    /// SHA-256 of the clear token, lower-case hex.
    pub empreinte: String,
    /// Sorted, without repeats, never empty.
    pub portees: Vec<PorteeApi>,
    pub cree_le: DateTime<Utc>,
    pub expire_le: DateTime<Utc>,
}

/// A refused field of the creation form; the message is for the user and
/// names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErreurChampJeton {
    /// The form field: `nom`, `portees` or `duree`.
    pub champ: &'static str,
    pub message: String,
}

/// Why a token cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum ErreurCreationJeton {
    #[error("le jeton n'a pas été créé : {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    Champs(Vec<ErreurChampJeton>),
    #[error(transparent)]
    Generation(#[from] ErreurGeneration),
}

/// Checks the form's fields: a name of 1 to [`NOM_MAX`] characters without
/// control characters, at least one scope, 1 to [`DUREE_MAX_JOURS`] days.
pub fn verifier_jeton_api(
    nom: &str,
    portees: &[PorteeApi],
    duree_jours: i64,
) -> Vec<ErreurChampJeton> {
    let mut erreurs = Vec::new();
    let nom = nom.trim();
    let n = nom.chars().count();
    let message_nom = if n == 0 {
        Some("Nom du jeton : indiquez à quoi il sert (par exemple « Tableau de bord de la structure »).".to_string())
    } else if n > NOM_MAX {
        Some(format!(
            "Nom du jeton : {n} caractères, au-delà du maximum de {NOM_MAX}."
        ))
    } else if nom.chars().any(char::is_control) {
        Some("Nom du jeton : les caractères de contrôle (retours à la ligne, tabulations) ne sont pas acceptés.".to_string())
    } else {
        None
    };
    if let Some(message) = message_nom {
        erreurs.push(ErreurChampJeton {
            champ: "nom",
            message,
        });
    }
    if portees.is_empty() {
        erreurs.push(ErreurChampJeton {
            champ: "portees",
            message: "Portées : cochez au moins une donnée que le jeton pourra lire.".to_string(),
        });
    }
    if !(1..=DUREE_MAX_JOURS).contains(&duree_jours) {
        erreurs.push(ErreurChampJeton {
            champ: "duree",
            message: format!(
                "Durée de validité : entre 1 et {DUREE_MAX_JOURS} jours ({duree_jours} demandés)."
            ),
        });
    }
    erreurs
}

impl NouveauJetonApi {
    /// Creates a token named `nom` for `portees`, valid `duree_jours` days
    /// from `maintenant`. Returns the clear token — `mlg_` and 43 base64url
    /// characters, to show once and forget — and the form to store.
    pub fn creer(
        nom: &str,
        portees: &[PorteeApi],
        duree_jours: i64,
        maintenant: DateTime<Utc>,
    ) -> Result<(String, NouveauJetonApi), ErreurCreationJeton> {
        let erreurs = verifier_jeton_api(nom, portees, duree_jours);
        if !erreurs.is_empty() {
            return Err(ErreurCreationJeton::Champs(erreurs));
        }
        let (aleatoire, _) = secret_aleatoire()?;
        let clair = format!("{PREFIXE_JETON_API}{aleatoire}");
        let mut portees = portees.to_vec();
        portees.sort();
        portees.dedup();
        let jeton = NouveauJetonApi {
            nom: nom.trim().to_string(),
            empreinte: Jeton::empreinte_de(&clair),
            portees,
            cree_le: maintenant,
            // Checked above: 1..=365 days cannot overflow a real clock.
            expire_le: maintenant
                .checked_add_signed(Duration::days(duree_jours))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        };
        Ok((clair, jeton))
    }
}

/// Why a request's API token is refused (HTTP 401). Messages are for the
/// client's developer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ErreurAuthApi {
    #[error("Jeton d'API manquant : envoyez l'en-tête « Authorization: Bearer mlg_… » avec un jeton créé dans votre espace (page « Jetons d'accès à l'API »).")]
    Absent,
    #[error(
        "Jeton d'API mal formé : un jeton Maillage commence par « mlg_ » suivi de 43 caractères."
    )]
    MalForme,
    #[error("Jeton d'API inconnu, expiré ou révoqué : créez-en un nouveau dans votre espace.")]
    Refuse,
}

/// The fingerprint to look a presented token up by, or why it cannot be a
/// token at all (checked before any database access).
pub fn empreinte_jeton_api(presente: &str) -> Result<String, ErreurAuthApi> {
    let Some(aleatoire) = presente.strip_prefix(PREFIXE_JETON_API) else {
        return Err(ErreurAuthApi::MalForme);
    };
    let forme_ok = aleatoire.len() == LONGUEUR_ALEATOIRE
        && aleatoire
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !forme_ok {
        return Err(ErreurAuthApi::MalForme);
    }
    Ok(Jeton::empreinte_de(presente))
}

/// Whether `presente` is the token whose fingerprint is `empreinte`, in
/// constant time (response timing says nothing about a partial match).
pub fn correspond(empreinte: &str, presente: &str) -> bool {
    Jeton::empreinte_de(presente)
        .as_bytes()
        .ct_eq(empreinte.as_bytes())
        .into()
}

/// Whether a stored token may be used at `maintenant`.
pub fn jeton_utilisable(
    expire_le: DateTime<Utc>,
    revoque_le: Option<DateTime<Utc>>,
    maintenant: DateTime<Utc>,
) -> bool {
    revoque_le.is_none() && maintenant < expire_le
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-11T09:00:00Z")
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn codes_stables_et_aller_retour() {
        assert_eq!(PorteeApi::ActivitesLecture.code(), "activites:lecture");
        assert_eq!(
            PorteeApi::StatistiquesLecture.code(),
            "statistiques:lecture"
        );
        for p in PorteeApi::TOUTES {
            assert_eq!(p.code().parse::<PorteeApi>(), Ok(p));
            assert_eq!(
                serde_json::to_value(p).expect("json"),
                serde_json::json!(p.code())
            );
        }
        assert!("activites".parse::<PorteeApi>().is_err());
        let texte = portees_en_texte(&[
            PorteeApi::StatistiquesLecture,
            PorteeApi::ActivitesLecture,
            PorteeApi::StatistiquesLecture,
        ]);
        assert_eq!(texte, "activites:lecture statistiques:lecture");
        assert_eq!(
            lire_portees(&texte),
            Ok(vec![
                PorteeApi::ActivitesLecture,
                PorteeApi::StatistiquesLecture
            ])
        );
        assert_eq!(lire_portees(""), Ok(vec![]));
        assert!(lire_portees("activites:lecture ecriture").is_err());
    }

    #[test]
    fn creation_format_empreinte_et_expiration() {
        let (clair, j) = NouveauJetonApi::creer(
            "  Tableau de bord ",
            &[PorteeApi::ActivitesLecture],
            90,
            t0(),
        )
        .expect("token");
        assert!(clair.starts_with("mlg_"));
        assert_eq!(clair.len(), 4 + 43);
        assert_eq!(j.nom, "Tableau de bord");
        assert_eq!(j.empreinte.len(), 64);
        assert!(!j.empreinte.contains(&clair[4..]), "no clear part stored");
        assert_eq!(empreinte_jeton_api(&clair), Ok(j.empreinte.clone()));
        assert!(correspond(&j.empreinte, &clair));
        assert!(!correspond(&j.empreinte, &format!("{clair}x")));
        assert_eq!(j.expire_le, t0() + Duration::days(90));
        assert!(jeton_utilisable(j.expire_le, None, t0()));
        assert!(!jeton_utilisable(j.expire_le, None, j.expire_le));
        assert!(!jeton_utilisable(j.expire_le, Some(t0()), t0()));
        let (autre, _) =
            NouveauJetonApi::creer("x", &[PorteeApi::ActivitesLecture], 1, t0()).expect("token");
        assert_ne!(autre, clair, "random");
    }

    #[test]
    fn jetons_mal_formes() {
        for s in [
            "",
            "Bearer",
            "mlg_",
            "abc_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "mlg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "mlg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+",
            "mlg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "mlg_ééééééééééééééééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(empreinte_jeton_api(s), Err(ErreurAuthApi::MalForme), "{s}");
        }
        assert!(empreinte_jeton_api("mlg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_ok());
    }

    #[test]
    fn champs_refuses_avec_messages_francais() {
        let e = verifier_jeton_api("", &[], 0);
        let champs: Vec<&str> = e.iter().map(|e| e.champ).collect();
        assert_eq!(champs, ["nom", "portees", "duree"]);
        assert!(e[0].message.starts_with("Nom du jeton"));
        assert!(e[1].message.starts_with("Portées"));
        assert!(e[2].message.contains("365"));
        assert_eq!(
            verifier_jeton_api(&"a".repeat(101), &[PorteeApi::ActivitesLecture], 30)[0].champ,
            "nom"
        );
        assert_eq!(
            verifier_jeton_api("a\nb", &[PorteeApi::ActivitesLecture], 30)[0].champ,
            "nom"
        );
        assert_eq!(
            verifier_jeton_api("a", &[PorteeApi::ActivitesLecture], 366)[0].champ,
            "duree"
        );
        assert!(verifier_jeton_api("a", &[PorteeApi::ActivitesLecture], 365).is_empty());
        assert!(matches!(
            NouveauJetonApi::creer("a", &[PorteeApi::ActivitesLecture], 400, t0()),
            Err(ErreurCreationJeton::Champs(_))
        ));
    }
}
