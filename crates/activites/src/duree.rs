//! Durations of an activity (§1.2 "Durée", `fields/duree-accompagnement.ts`).
//!
//! La Coop stores a duration as whole minutes; the form offers six presets
//! or "personnaliser" (hours 0–23 and minutes 0–59). A validated [`Duree`]
//! is canonical: a custom duration equal to a preset *is* that preset, so
//! two records with the same minutes compare equal, as they do in La Coop's
//! database.

use serde::{Deserialize, Serialize};

/// Longest duration accepted, in minutes: one day.
pub const DUREE_MAX_MINUTES: u16 = 24 * 60;

/// The preset durations of the form. The code is the form's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DureePreset {
    #[serde(rename = "15")]
    Min15,
    #[serde(rename = "30")]
    Min30,
    #[serde(rename = "45")]
    Min45,
    #[serde(rename = "60")]
    Min60,
    #[serde(rename = "90")]
    Min90,
    #[serde(rename = "120")]
    Min120,
}

impl DureePreset {
    /// Every preset, shortest first.
    pub const ALL: &'static [Self] = &[
        Self::Min15,
        Self::Min30,
        Self::Min45,
        Self::Min60,
        Self::Min90,
        Self::Min120,
    ];

    /// Every preset, shortest first.
    pub fn iter() -> impl Iterator<Item = Self> {
        Self::ALL.iter().copied()
    }

    /// Length in minutes.
    pub fn minutes(self) -> u16 {
        match self {
            Self::Min15 => 15,
            Self::Min30 => 30,
            Self::Min45 => 45,
            Self::Min60 => 60,
            Self::Min90 => 90,
            Self::Min120 => 120,
        }
    }

    /// The form's code (`"15"` … `"120"`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Min15 => "15",
            Self::Min30 => "30",
            Self::Min45 => "45",
            Self::Min60 => "60",
            Self::Min90 => "90",
            Self::Min120 => "120",
        }
    }

    /// French label. The document gives no labels for presets; these
    /// follow the French typographic usage for durations.
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Min15 => "15 min",
            Self::Min30 => "30 min",
            Self::Min45 => "45 min",
            Self::Min60 => "1 h",
            Self::Min90 => "1 h 30",
            Self::Min120 => "2 h",
        }
    }

    /// The preset of exactly this many minutes, if any.
    pub fn depuis_minutes(minutes: u16) -> Option<Self> {
        Self::iter().find(|p| p.minutes() == minutes)
    }
}

impl std::str::FromStr for DureePreset {
    type Err = crate::CodeInconnu;

    fn from_str(texte: &str) -> Result<Self, Self::Err> {
        Self::iter()
            .find(|p| p.code() == texte)
            .ok_or_else(|| crate::CodeInconnu {
                enumeration: "DureePreset",
                code: texte.to_owned(),
            })
    }
}

/// A validated duration: a preset, or custom minutes in
/// `1..=DUREE_MAX_MINUTES` that match no preset.
///
/// Serialised as whole minutes, like La Coop's `duree` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u16", try_from = "u16")]
pub enum Duree {
    Preset(DureePreset),
    Personnalisee { minutes: u16 },
}

/// A number of minutes outside `1..=DUREE_MAX_MINUTES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("une durée doit être comprise entre 1 minute et 24 heures, pas {0} minutes")]
pub struct DureeHorsBornes(pub i64);

impl Duree {
    /// The canonical duration of this many minutes.
    pub fn depuis_minutes(minutes: i64) -> Result<Self, DureeHorsBornes> {
        let dans_bornes = u16::try_from(minutes)
            .ok()
            .filter(|m| (1..=DUREE_MAX_MINUTES).contains(m));
        match dans_bornes {
            None => Err(DureeHorsBornes(minutes)),
            Some(m) => Ok(match DureePreset::depuis_minutes(m) {
                Some(preset) => Self::Preset(preset),
                None => Self::Personnalisee { minutes: m },
            }),
        }
    }

    /// Length in minutes.
    pub fn minutes(self) -> u16 {
        match self {
            Self::Preset(p) => p.minutes(),
            Self::Personnalisee { minutes } => minutes,
        }
    }

    /// The statistics bucket this duration counts in.
    pub fn tranche(self) -> TrancheDuree {
        TrancheDuree::de_minutes(self.minutes())
    }
}

impl From<Duree> for u16 {
    fn from(duree: Duree) -> Self {
        duree.minutes()
    }
}

impl TryFrom<u16> for Duree {
    type Error = DureeHorsBornes;

    fn try_from(minutes: u16) -> Result<Self, Self::Error> {
        Self::depuis_minutes(i64::from(minutes))
    }
}

/// The four buckets of the "Durée des accompagnements" chart (§1.5).
///
/// The document writes them as 0–30, 30–60, 60–120 and ≥ 120; bounds are
/// taken as half-open (lower bound included) so each duration falls in
/// exactly one bucket and "≥ 120" reads literally. La Coop gives these
/// buckets no code, so there is none here either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrancheDuree {
    MoinsDe30Min,
    De30MinA1H,
    De1HA2H,
    DeuxHeuresEtPlus,
}

impl TrancheDuree {
    /// Every bucket, shortest first.
    pub const ALL: &'static [Self] = &[
        Self::MoinsDe30Min,
        Self::De30MinA1H,
        Self::De1HA2H,
        Self::DeuxHeuresEtPlus,
    ];

    /// Every bucket, shortest first.
    pub fn iter() -> impl Iterator<Item = Self> {
        Self::ALL.iter().copied()
    }

    /// The chart's French label.
    pub fn libelle(self) -> &'static str {
        match self {
            Self::MoinsDe30Min => "Moins de 30 min",
            Self::De30MinA1H => "30min à 1 h",
            Self::De1HA2H => "1 h à 2 h",
            Self::DeuxHeuresEtPlus => "2 h et plus",
        }
    }

    /// The bucket of a duration in minutes.
    pub fn de_minutes(minutes: u16) -> Self {
        match minutes {
            0..30 => Self::MoinsDe30Min,
            30..60 => Self::De30MinA1H,
            60..120 => Self::De1HA2H,
            _ => Self::DeuxHeuresEtPlus,
        }
    }
}
