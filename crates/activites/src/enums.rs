//! The enumerations of La Coop de la médiation numérique's activity records.
//!
//! Source: `../shared/docs/workspace-and-pilotage.md` (beside the repository), which describes
//! `inclusion-numerique/coop-mediation-numerique` at 46aa33bd:
//!
//! | enum | section | values |
//! |---|---|---|
//! | [`TypeActivite`] | §1.2 "Types" | 2 |
//! | [`TypeLieu`] | §1.2 "TypeLieu" | 4 |
//! | [`Materiel`] | §1.2 "Materiel" | 5 |
//! | [`Thematique`] | §1.2 "Thematique, médiation numérique" (19) + "Thematique, démarches administratives" (11) | 30 |
//! | [`Autonomie`] | §1.2 "Autonomie" | 3 |
//! | [`NiveauAtelier`] | §1.2 "NiveauAtelier" | 3 |
//! | [`StructureDeRedirection`] | §1.2 "StructureDeRedirection" | 7 |
//! | [`Genre`] | §1.4 "Genre" | 3 |
//! | [`TrancheAge`] | §1.4 "TrancheAge" | 8 |
//! | [`StatutSocial`] | §1.4 "StatutSocial" | 5 |
//!
//! The code is the one the document gives (the Prisma enum name, except
//! `individuel` / `collectif`, written as the document writes them); it is
//! the serde form, so records exchanged as JSON use La Coop's spelling.
//! Thématiques are one enum, as in La Coop since the démarche topics were
//! merged into `Thematique` (migration `20250428151652`), with
//! [`Thematique::est_administrative`] telling the two families apart.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A code that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("« {code} » n'est pas une valeur de {enumeration}")]
pub struct CodeInconnu {
    /// Name of the enumeration, as La Coop spells it.
    pub enumeration: &'static str,
    /// The refused text.
    pub code: String,
}

macro_rules! enumeration {
    ($(#[$meta:meta])* $name:ident, $enumeration:literal, { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $libelle:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+
        }

        impl $name {
            /// Name of the enumeration in La Coop's model.
            pub const ENUMERATION: &'static str = $enumeration;
            /// Every value, in the document's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The code La Coop uses (also the serde form).
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The French label shown to users.
            pub fn libelle(self) -> &'static str {
                match self { $(Self::$variant => $libelle,)+ }
            }

            /// Every value, in the document's order.
            pub fn iter() -> impl Iterator<Item = Self> {
                Self::ALL.iter().copied()
            }
        }

        impl FromStr for $name {
            type Err = CodeInconnu;

            /// Exact match of the code: codes are identifiers, not labels.
            fn from_str(texte: &str) -> Result<Self, Self::Err> {
                Self::iter().find(|v| v.code() == texte).ok_or_else(|| CodeInconnu {
                    enumeration: $enumeration,
                    code: texte.to_owned(),
                })
            }
        }

        /// Shows the French label: `Display` is for people, `code()` for data.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.libelle())
            }
        }
    };
}

enumeration!(
    /// `TypeActivite` (§1.2): individual support or collective workshop.
    TypeActivite, "TypeActivite", {
        Individuel = "individuel", "Accompagnement individuel",
        Collectif = "collectif", "Atelier collectif",
    }
);

enumeration!(
    /// `TypeLieu` (§1.2, `fields/type-lieu.ts`): where the activity took place.
    TypeLieu, "TypeLieu", {
        LieuActivite = "LieuActivite", "Lieu d'activité",
        Autre = "Autre", "Autre lieu",
        Domicile = "Domicile", "À domicile",
        ADistance = "ADistance", "À distance",
    }
);

enumeration!(
    /// `Materiel` (§1.2, `fields/materiel.ts`): equipment used.
    Materiel, "Materiel", {
        Ordinateur = "Ordinateur", "Ordinateur",
        Telephone = "Telephone", "Téléphone",
        Tablette = "Tablette", "Tablette",
        Autre = "Autre", "Autre",
        Aucun = "Aucun", "Pas de matériel",
    }
);

enumeration!(
    /// `Thematique` (§1.2, `fields/thematique.ts`): the 19 thématiques of
    /// médiation numérique followed by the 11 of démarches administratives.
    Thematique, "Thematique", {
        DiagnosticNumerique = "DiagnosticNumerique", "Diagnostic numérique",
        PrendreEnMainDuMateriel = "PrendreEnMainDuMateriel", "Prendre en main du matériel",
        MaintenanceDeMateriel = "MaintenanceDeMateriel", "Maintenance de matériel",
        GereSesContenusNumeriques = "GereSesContenusNumeriques", "Gérer ses contenus numériques",
        NavigationSurInternet = "NavigationSurInternet", "Navigation sur internet",
        Email = "Email", "E-mail",
        Bureautique = "Bureautique", "Bureautique",
        ReseauxSociaux = "ReseauxSociaux", "Réseaux sociaux communication",
        Sante = "Sante", "Santé",
        BanqueEtAchatsEnLigne = "BanqueEtAchatsEnLigne", "Banque et achats en ligne",
        Entrepreneuriat = "Entrepreneuriat", "Accompagner un professionnel",
        InsertionProfessionnelle = "InsertionProfessionnelle", "Insertion professionnelle",
        SecuriteNumerique = "SecuriteNumerique", "Prévention en sécurité numérique",
        Parentalite = "Parentalite", "Parentalité",
        ScolariteEtNumerique = "ScolariteEtNumerique", "Scolarité et numérique",
        CreerAvecLeNumerique = "CreerAvecLeNumerique", "Créer avec le numérique",
        CultureNumerique = "CultureNumerique", "Culture numérique",
        IntelligenceArtificielle = "IntelligenceArtificielle", "Intelligence artificielle (IA)",
        AideAuxDemarchesAdministratives = "AideAuxDemarchesAdministratives", "Aide aux démarches administratives",
        PapiersElectionsCitoyennete = "PapiersElectionsCitoyennete", "Papiers - Élections - Citoyenneté",
        FamilleScolarite = "FamilleScolarite", "Famille - Scolarité",
        SocialSante = "SocialSante", "Social - Santé",
        TravailFormation = "TravailFormation", "Travail - Formation - Entreprise",
        Logement = "Logement", "Logement",
        TransportsMobilite = "TransportsMobilite", "Transports - Mobilité",
        ArgentImpots = "ArgentImpots", "Argent - Impôts",
        Justice = "Justice", "Justice",
        EtrangersEurope = "EtrangersEurope", "Étrangers - Europe",
        LoisirsSportsCulture = "LoisirsSportsCulture", "Loisirs - Sports - Culture",
        Associations = "Associations", "Associations",
    }
);

/// Index of the first démarches administratives value in [`Thematique::ALL`].
const PREMIERE_ADMINISTRATIVE: usize = 19;

impl Thematique {
    /// The 19 thématiques of médiation numérique.
    pub const MEDIATION_NUMERIQUE: &'static [Self] = Self::ALL.split_at(PREMIERE_ADMINISTRATIVE).0;
    /// The 11 thématiques of démarches administratives.
    pub const DEMARCHES_ADMINISTRATIVES: &'static [Self] =
        Self::ALL.split_at(PREMIERE_ADMINISTRATIVE).1;

    /// True for the démarches administratives family, which La Coop only
    /// accepts together with [`Thematique::AideAuxDemarchesAdministratives`].
    pub fn est_administrative(self) -> bool {
        Self::DEMARCHES_ADMINISTRATIVES.contains(&self)
    }
}

enumeration!(
    /// `Autonomie` (§1.2), individual records only; shown as 1 to 3 stars.
    Autonomie, "Autonomie", {
        EntierementAccompagne = "EntierementAccompagne", "Avec guidage",
        PartiellementAutonome = "PartiellementAutonome", "Autonome avec guidage en cas de besoin",
        Autonome = "Autonome", "Autonome",
    }
);

enumeration!(
    /// `NiveauAtelier` (§1.2), collective workshops only.
    NiveauAtelier, "NiveauAtelier", {
        Debutant = "Debutant", "Débutant",
        Intermediaire = "Intermediaire", "Intermédiaire",
        Avance = "Avance", "Avancé",
    }
);

enumeration!(
    /// `StructureDeRedirection` (§1.2), individual records oriented elsewhere.
    StructureDeRedirection, "StructureDeRedirection", {
        Administration = "Administration", "Administration (mairie, préfecture…)",
        MediationNumerique = "MediationNumerique", "Autre structure de médiation numérique",
        OperateurOuOrganismeEnCharge = "OperateurOuOrganismeEnCharge", "Opérateur ou organisme en charge de la démarche administrative",
        AideSociale = "AideSociale", "Structure d'aide sociale (maison des solidarités, centre social…)",
        InsertionProfessionnelle = "InsertionProfessionnelle", "Structure d'insertion professionnelle (France Travail, mission locale, chambre de commerce…)",
        AideAuxDemarchesAdministratives = "AideAuxDemarchesAdministratives", "Structure d'aide aux démarches administratives (France Services…)",
        Autre = "Autre", "Autre",
    }
);

enumeration!(
    /// `Genre` (§1.4) of a beneficiary.
    Genre, "Genre", {
        Masculin = "Masculin", "Masculin",
        Feminin = "Feminin", "Féminin",
        NonCommunique = "NonCommunique", "Non communiqué",
    }
);

enumeration!(
    /// `TrancheAge` (§1.4, `domain/tranche-age.ts`) of a beneficiary.
    TrancheAge, "TrancheAge", {
        MoinsDeDouze = "MoinsDeDouze", "Moins de 12 ans",
        DouzeDixHuit = "DouzeDixHuit", "12 - 17 ans",
        DixHuitVingtQuatre = "DixHuitVingtQuatre", "18 - 24 ans",
        VingtCinqTrenteNeuf = "VingtCinqTrenteNeuf", "25 - 39 ans",
        QuaranteCinquanteNeuf = "QuaranteCinquanteNeuf", "40 - 59 ans",
        SoixanteSoixanteNeuf = "SoixanteSoixanteNeuf", "60 - 69 ans",
        SoixanteDixPlus = "SoixanteDixPlus", "70 ans et plus",
        NonCommunique = "NonCommunique", "Non communiqué",
    }
);

enumeration!(
    /// `StatutSocial` (§1.4) of a beneficiary.
    StatutSocial, "StatutSocial", {
        Retraite = "Retraite", "Retraité",
        SansEmploi = "SansEmploi", "Sans emploi",
        EnEmploi = "EnEmploi", "En emploi",
        Scolarise = "Scolarise", "Scolarisé",
        NonCommunique = "NonCommunique", "Non communiqué ou hétérogène",
    }
);
