//! The activity record as typed by a mediator ([`ActiviteSaisie`]) and as
//! accepted ([`Activite`]), after La Coop's `model Activite` (§1.2).
//!
//! The draft is deliberately loose (flat, optional, signed counts) because it
//! is what a form or an import hands over; [`crate::valider`] turns it into an
//! [`Activite`], whose fields are private so an invalid record cannot be
//! built or altered outside validation. Field names in JSON follow La Coop's
//! (camelCase), so records can move between the two systems.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::duree::{Duree, DureePreset};
use crate::enums::{
    Autonomie, Genre, Materiel, NiveauAtelier, StatutSocial, StructureDeRedirection, Thematique,
    TrancheAge, TypeActivite, TypeLieu,
};

/// The duration as entered: a preset, "personnaliser" with hours and
/// minutes, or whole minutes as La Coop stores them (for imports). Numbers
/// are signed so out-of-range input reaches validation intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DureeSaisie {
    Preset(DureePreset),
    Personnalisee { heures: i64, minutes: i64 },
    Minutes(i64),
}

/// Demographics of a beneficiary (§1.4); each may be left unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Demographie {
    pub genre: Option<Genre>,
    pub tranche_age: Option<TrancheAge>,
    pub statut_social: Option<StatutSocial>,
}

/// The beneficiary of an individual record: a followed one (a beneficiary
/// record id) or an anonymous one described only by demographics, from
/// which La Coop creates an anonymous `Beneficiaire` (§1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Beneficiaire {
    Suivi { id: String },
    Anonyme(Demographie),
}

impl Default for Beneficiaire {
    fn default() -> Self {
        Self::Anonyme(Demographie::default())
    }
}

/// Anonymous participants of a workshop (§1.2 `participantsAnonymes`),
/// generic over the count type: `i64` while typed, `u32` once validated.
/// Field names are La Coop's: a prefix followed by the enumeration code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantsAnonymes<N> {
    pub total: N,
    pub deja_accompagne: N,
    pub genre_masculin: N,
    pub genre_feminin: N,
    pub genre_non_communique: N,
    pub tranche_age_moins_de_douze: N,
    pub tranche_age_douze_dix_huit: N,
    pub tranche_age_dix_huit_vingt_quatre: N,
    pub tranche_age_vingt_cinq_trente_neuf: N,
    pub tranche_age_quarante_cinquante_neuf: N,
    pub tranche_age_soixante_soixante_neuf: N,
    pub tranche_age_soixante_dix_plus: N,
    pub tranche_age_non_communique: N,
    pub statut_social_retraite: N,
    pub statut_social_sans_emploi: N,
    pub statut_social_en_emploi: N,
    pub statut_social_scolarise: N,
    pub statut_social_non_communique: N,
}

impl<N: Copy> ParticipantsAnonymes<N> {
    /// Count for one genre.
    pub fn par_genre(&self, genre: Genre) -> N {
        match genre {
            Genre::Masculin => self.genre_masculin,
            Genre::Feminin => self.genre_feminin,
            Genre::NonCommunique => self.genre_non_communique,
        }
    }

    /// Count for one age bracket.
    pub fn par_tranche_age(&self, tranche: TrancheAge) -> N {
        match tranche {
            TrancheAge::MoinsDeDouze => self.tranche_age_moins_de_douze,
            TrancheAge::DouzeDixHuit => self.tranche_age_douze_dix_huit,
            TrancheAge::DixHuitVingtQuatre => self.tranche_age_dix_huit_vingt_quatre,
            TrancheAge::VingtCinqTrenteNeuf => self.tranche_age_vingt_cinq_trente_neuf,
            TrancheAge::QuaranteCinquanteNeuf => self.tranche_age_quarante_cinquante_neuf,
            TrancheAge::SoixanteSoixanteNeuf => self.tranche_age_soixante_soixante_neuf,
            TrancheAge::SoixanteDixPlus => self.tranche_age_soixante_dix_plus,
            TrancheAge::NonCommunique => self.tranche_age_non_communique,
        }
    }

    /// Count for one social status.
    pub fn par_statut_social(&self, statut: StatutSocial) -> N {
        match statut {
            StatutSocial::Retraite => self.statut_social_retraite,
            StatutSocial::SansEmploi => self.statut_social_sans_emploi,
            StatutSocial::EnEmploi => self.statut_social_en_emploi,
            StatutSocial::Scolarise => self.statut_social_scolarise,
            StatutSocial::NonCommunique => self.statut_social_non_communique,
        }
    }

    /// Applies `f` to every count, keeping field positions.
    pub fn convertir<M>(&self, mut f: impl FnMut(N) -> M) -> ParticipantsAnonymes<M> {
        ParticipantsAnonymes {
            total: f(self.total),
            deja_accompagne: f(self.deja_accompagne),
            genre_masculin: f(self.genre_masculin),
            genre_feminin: f(self.genre_feminin),
            genre_non_communique: f(self.genre_non_communique),
            tranche_age_moins_de_douze: f(self.tranche_age_moins_de_douze),
            tranche_age_douze_dix_huit: f(self.tranche_age_douze_dix_huit),
            tranche_age_dix_huit_vingt_quatre: f(self.tranche_age_dix_huit_vingt_quatre),
            tranche_age_vingt_cinq_trente_neuf: f(self.tranche_age_vingt_cinq_trente_neuf),
            tranche_age_quarante_cinquante_neuf: f(self.tranche_age_quarante_cinquante_neuf),
            tranche_age_soixante_soixante_neuf: f(self.tranche_age_soixante_soixante_neuf),
            tranche_age_soixante_dix_plus: f(self.tranche_age_soixante_dix_plus),
            tranche_age_non_communique: f(self.tranche_age_non_communique),
            statut_social_retraite: f(self.statut_social_retraite),
            statut_social_sans_emploi: f(self.statut_social_sans_emploi),
            statut_social_en_emploi: f(self.statut_social_en_emploi),
            statut_social_scolarise: f(self.statut_social_scolarise),
            statut_social_non_communique: f(self.statut_social_non_communique),
        }
    }
}

/// An activity record as typed in the form or read from an import: every
/// field of §1.2, individual and collective ones side by side, nothing
/// checked yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiviteSaisie {
    #[serde(rename = "type")]
    pub type_activite: TypeActivite,
    pub date: Option<NaiveDate>,
    pub duree: Option<DureeSaisie>,
    pub type_lieu: Option<TypeLieu>,
    /// Lieu d'activité (registry place id), when `type_lieu` is `LieuActivite`.
    pub structure_id: Option<String>,
    /// Commune (INSEE code), when `type_lieu` is `Domicile` or `Autre`.
    pub lieu_code_insee: Option<String>,
    pub materiel: Vec<Materiel>,
    pub thematiques: Vec<Thematique>,
    pub notes: Option<String>,
    // Individual records only.
    pub beneficiaire: Option<Beneficiaire>,
    pub autonomie: Option<Autonomie>,
    pub oriente_vers_structure: Option<bool>,
    pub structure_de_redirection: Option<StructureDeRedirection>,
    pub precisions_demarche: Option<String>,
    // Collective workshops only.
    pub titre_atelier: Option<String>,
    pub niveau: Option<NiveauAtelier>,
    /// Followed participants (beneficiary record ids).
    pub participants: Vec<String>,
    pub participants_anonymes: Option<ParticipantsAnonymes<i64>>,
}

impl ActiviteSaisie {
    /// An empty draft of the given type, as the blank form.
    pub fn nouvelle(type_activite: TypeActivite) -> Self {
        Self {
            type_activite,
            date: None,
            duree: None,
            type_lieu: None,
            structure_id: None,
            lieu_code_insee: None,
            materiel: Vec::new(),
            thematiques: Vec::new(),
            notes: None,
            beneficiaire: None,
            autonomie: None,
            oriente_vers_structure: None,
            structure_de_redirection: None,
            precisions_demarche: None,
            titre_atelier: None,
            niveau: None,
            participants: Vec::new(),
            participants_anonymes: None,
        }
    }
}

/// Where a validated activity took place (§1.2 `typeLieu` and its place or
/// commune). For `ADistance` La Coop uses the employer's commune, which is
/// not part of the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "typeLieu")]
pub enum Lieu {
    #[serde(rename_all = "camelCase")]
    LieuActivite {
        structure_id: String,
    },
    #[serde(rename_all = "camelCase")]
    Domicile {
        lieu_code_insee: String,
    },
    #[serde(rename_all = "camelCase")]
    Autre {
        lieu_code_insee: String,
    },
    ADistance,
}

impl Lieu {
    /// The `TypeLieu` of this place.
    pub fn type_lieu(&self) -> TypeLieu {
        match self {
            Self::LieuActivite { .. } => TypeLieu::LieuActivite,
            Self::Domicile { .. } => TypeLieu::Domicile,
            Self::Autre { .. } => TypeLieu::Autre,
            Self::ADistance => TypeLieu::ADistance,
        }
    }

    /// The INSEE code of the commune, for `Domicile` and `Autre`.
    pub fn code_insee(&self) -> Option<&str> {
        match self {
            Self::Domicile { lieu_code_insee } | Self::Autre { lieu_code_insee } => {
                Some(lieu_code_insee)
            }
            Self::LieuActivite { .. } | Self::ADistance => None,
        }
    }

    /// The registry place id, for `LieuActivite`.
    pub fn structure_id(&self) -> Option<&str> {
        match self {
            Self::LieuActivite { structure_id } => Some(structure_id),
            _ => None,
        }
    }
}

/// The fields only individual records have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Individuel {
    pub beneficiaire: Beneficiaire,
    pub autonomie: Option<Autonomie>,
    /// `None` when the mediator did not answer, as in La Coop.
    pub oriente_vers_structure: Option<bool>,
    pub structure_de_redirection: Option<StructureDeRedirection>,
    pub precisions_demarche: Option<String>,
}

/// The fields only collective workshops have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collectif {
    pub titre_atelier: Option<String>,
    pub niveau: Option<NiveauAtelier>,
    /// Followed participants (beneficiary record ids), without repeats.
    pub participants: Vec<String>,
    pub participants_anonymes: ParticipantsAnonymes<u32>,
}

impl Collectif {
    /// Every participant, followed or anonymous.
    pub fn nombre_participants(&self) -> u64 {
        self.participants.len() as u64 + u64::from(self.participants_anonymes.total)
    }
}

/// The part of a record that depends on its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Detail {
    #[serde(rename = "individuel")]
    Individuel(Individuel),
    #[serde(rename = "collectif")]
    Collectif(Collectif),
}

/// A validated activity record. Only [`crate::valider`] builds one.
///
/// Serialises to La Coop's field names; it does not deserialise, because
/// input must go through [`ActiviteSaisie`] and validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activite {
    pub(crate) date: NaiveDate,
    pub(crate) duree: Duree,
    #[serde(flatten)]
    pub(crate) lieu: Lieu,
    pub(crate) materiel: Vec<Materiel>,
    pub(crate) thematiques: Vec<Thematique>,
    pub(crate) notes: Option<String>,
    #[serde(flatten)]
    pub(crate) detail: Detail,
}

impl Activite {
    pub fn type_activite(&self) -> TypeActivite {
        match self.detail {
            Detail::Individuel(_) => TypeActivite::Individuel,
            Detail::Collectif(_) => TypeActivite::Collectif,
        }
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    pub fn duree(&self) -> Duree {
        self.duree
    }

    pub fn lieu(&self) -> &Lieu {
        &self.lieu
    }

    /// Equipment used, without repeats, in the enumeration's order.
    pub fn materiel(&self) -> &[Materiel] {
        &self.materiel
    }

    /// Thématiques, at least one, without repeats, in the enumeration's order.
    pub fn thematiques(&self) -> &[Thematique] {
        &self.thematiques
    }

    pub fn notes(&self) -> Option<&str> {
        self.notes.as_deref()
    }

    pub fn detail(&self) -> &Detail {
        &self.detail
    }

    pub fn individuel(&self) -> Option<&Individuel> {
        match &self.detail {
            Detail::Individuel(i) => Some(i),
            Detail::Collectif(_) => None,
        }
    }

    pub fn collectif(&self) -> Option<&Collectif> {
        match &self.detail {
            Detail::Collectif(c) => Some(c),
            Detail::Individuel(_) => None,
        }
    }

    /// La Coop's `accompagnementsCount`: 1 for an individual record, the
    /// number of participants for a workshop (§1.2).
    pub fn accompagnements_count(&self) -> u64 {
        match &self.detail {
            Detail::Individuel(_) => 1,
            Detail::Collectif(c) => c.nombre_participants(),
        }
    }
}

/// A draft copy of a record, for "dupliquer" (§1.2 UI conveniences): every
/// field is kept, the mediator then edits what differs and validates again.
/// Validating the copy unchanged gives back the same record.
pub fn dupliquer(activite: &Activite) -> ActiviteSaisie {
    let mut saisie = ActiviteSaisie::nouvelle(activite.type_activite());
    saisie.date = Some(activite.date);
    saisie.duree = Some(match activite.duree {
        Duree::Preset(p) => DureeSaisie::Preset(p),
        Duree::Personnalisee { minutes } => DureeSaisie::Personnalisee {
            heures: i64::from(minutes / 60),
            minutes: i64::from(minutes % 60),
        },
    });
    saisie.type_lieu = Some(activite.lieu.type_lieu());
    saisie.structure_id = activite.lieu.structure_id().map(str::to_owned);
    saisie.lieu_code_insee = activite.lieu.code_insee().map(str::to_owned);
    saisie.materiel = activite.materiel.clone();
    saisie.thematiques = activite.thematiques.clone();
    saisie.notes = activite.notes.clone();
    match &activite.detail {
        Detail::Individuel(i) => {
            saisie.beneficiaire = Some(i.beneficiaire.clone());
            saisie.autonomie = i.autonomie;
            saisie.oriente_vers_structure = i.oriente_vers_structure;
            saisie.structure_de_redirection = i.structure_de_redirection;
            saisie.precisions_demarche = i.precisions_demarche.clone();
        }
        Detail::Collectif(c) => {
            saisie.titre_atelier = c.titre_atelier.clone();
            saisie.niveau = c.niveau;
            saisie.participants = c.participants.clone();
            saisie.participants_anonymes = Some(c.participants_anonymes.convertir(i64::from));
        }
    }
    saisie
}
