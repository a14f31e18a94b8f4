//! The enumerations of the standard v1.0.2, verbatim.
//!
//! Each enumeration is a Rust enum stored as an [`enumset::EnumSet`]: a place's
//! services fit in one machine word, which keeps a national registry small in
//! memory and makes filters a bit test.

use enumset::{EnumSet, EnumSetType};

/// Shared behaviour of every enumeration of the standard.
pub trait Valeur: EnumSetType + 'static {
    /// Name of the field of the standard this enumeration belongs to.
    const CHAMP: &'static str;
    /// Every value, in the standard's order.
    const TOUTES: &'static [Self];
    /// The exact value written in files.
    fn valeur(self) -> &'static str;
    /// A readable French label (the value itself where the standard has none).
    fn libelle(self) -> &'static str;
    /// Exact match of a file value.
    fn depuis_valeur(texte: &str) -> Option<Self> {
        Self::TOUTES.iter().copied().find(|v| v.valeur() == texte)
    }
}

macro_rules! enumeration {
    ($(#[$meta:meta])* $name:ident, $champ:literal, { $($variant:ident = $valeur:literal, $libelle:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Hash, PartialOrd, Ord, EnumSetType)]
        pub enum $name { $($variant,)+ }

        impl Valeur for $name {
            const CHAMP: &'static str = $champ;
            const TOUTES: &'static [Self] = &[$(Self::$variant,)+];
            fn valeur(self) -> &'static str {
                match self { $(Self::$variant => $valeur,)+ }
            }
            fn libelle(self) -> &'static str {
                match self { $(Self::$variant => $libelle,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.valeur())
            }
        }
    };
}

enumeration!(
    /// `services` (9 values).
    Service, "services", {
        AideDemarches = "Aide aux démarches administratives", "Aide aux démarches administratives",
        MaitriseOutils = "Maîtrise des outils numériques du quotidien", "Maîtrise des outils numériques du quotidien",
        InsertionPro = "Insertion professionnelle via le numérique", "Insertion professionnelle via le numérique",
        UtilisationSecurisee = "Utilisation sécurisée du numérique", "Utilisation sécurisée du numérique",
        Parentalite = "Parentalité et éducation avec le numérique", "Parentalité et éducation avec le numérique",
        Loisirs = "Loisirs et créations numériques", "Loisirs et créations numériques",
        ComprehensionMonde = "Compréhension du monde numérique", "Compréhension du monde numérique",
        AccesInternet = "Accès internet et matériel informatique", "Accès internet et matériel informatique",
        AcquisitionMateriel = "Acquisition de matériel informatique à prix solidaire", "Acquisition de matériel informatique à prix solidaire",
    }
);

enumeration!(
    /// `publics_specifiquement_adresses`; an empty set means "tout public".
    Public, "publics_specifiquement_adresses", {
        Jeunes = "Jeunes", "Jeunes",
        Etudiants = "Étudiants", "Étudiants",
        Familles = "Familles et/ou enfants", "Familles et/ou enfants",
        Seniors = "Seniors", "Seniors",
        Femmes = "Femmes", "Femmes",
    }
);

enumeration!(
    /// `prise_en_charge_specifique`.
    PriseEnCharge, "prise_en_charge_specifique", {
        Surdite = "Surdité", "Surdité",
        HandicapsMoteurs = "Handicaps moteurs", "Handicaps moteurs",
        HandicapsMentaux = "Handicaps mentaux", "Handicaps mentaux",
        Illettrisme = "Illettrisme", "Illettrisme",
        LanguesAnglais = "Langues étrangères (anglais)", "Langues étrangères (anglais)",
        LanguesAutres = "Langues étrangères (autres)", "Langues étrangères (autres)",
        DeficienceVisuelle = "Déficience visuelle", "Déficience visuelle",
    }
);

enumeration!(
    /// `frais_a_charge`.
    Frais, "frais_a_charge", {
        Gratuit = "Gratuit", "Gratuit",
        GratuitSousCondition = "Gratuit sous condition", "Gratuit sous condition",
        Payant = "Payant", "Payant",
    }
);

enumeration!(
    /// `itinerance`.
    Itinerance, "itinerance", {
        Itinerant = "Itinérant", "Itinérant",
        Fixe = "Fixe", "Fixe",
    }
);

enumeration!(
    /// `modalites_acces`.
    ModaliteAcces, "modalites_acces", {
        SePresenter = "Se présenter", "Se présenter",
        Telephoner = "Téléphoner", "Téléphoner",
        ContacterParMail = "Contacter par mail", "Contacter par mail",
        RdvEnLigne = "Prendre un RDV en ligne", "Prendre un RDV en ligne",
        PasDePublic = "Ce lieu n'accueille pas de public", "Ce lieu n'accueille pas de public",
        FicheDePrescription = "Envoyer un mail avec une fiche de prescription", "Envoyer un mail avec une fiche de prescription",
    }
);

enumeration!(
    /// `modalites_accompagnement`.
    ModaliteAccompagnement, "modalites_accompagnement", {
        EnAutonomie = "En autonomie", "En autonomie",
        Individuel = "Accompagnement individuel", "Accompagnement individuel",
        AtelierCollectif = "Dans un atelier collectif", "Dans un atelier collectif",
        ADistance = "À distance", "À distance (par téléphone ou en visioconférence)",
    }
);

enumeration!(
    /// `dispositif_programmes_nationaux` (11 values).
    Dispositif, "dispositif_programmes_nationaux", {
        AidantsConnect = "Aidants Connect", "Aidants Connect",
        BibliothequesNumeriqueReference = "Bibliothèques numérique de référence", "Bibliothèques numérique de référence",
        CertificationPix = "Certification PIX", "Certification PIX",
        ConseillersNumeriques = "Conseillers numériques", "Conseillers numériques",
        EmmausConnect = "Emmaüs Connect", "Emmaüs Connect",
        FranceServices = "France Services", "France Services",
        GrandeEcoleNumerique = "Grande école du numérique", "Grande école du numérique",
        CroixRouge = "La Croix Rouge", "La Croix Rouge",
        PointAccesCaf = "Point d'accès numérique CAF", "Point d'accès numérique CAF",
        PromeneursDuNet = "Promeneurs du net", "Promeneurs du net",
        RelaisEmmausConnect = "Relais numérique (Emmaüs Connect)", "Relais numérique (Emmaüs Connect)",
    }
);

enumeration!(
    /// `formations_labels` (10 values). `Étapes numériques (La Poste)` is written
    /// with its space: the v1.0.2 regex forgot it (known defect of the schema).
    FormationLabel, "formations_labels", {
        MonEspaceSante = "Formé à « Mon Espace Santé »", "Formé à « Mon Espace Santé »",
        Duplex = "Formé à « DUPLEX » (illettrisme)", "Formé à « DUPLEX » (illettrisme)",
        ArniaMednumBfc = "Arnia/MedNum BFC (Bourgogne-Franche-Comté)", "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        CollectifReemploiNormandie = "Collectif ressources et acteurs réemploi (Normandie)", "Collectif ressources et acteurs réemploi (Normandie)",
        EtapesNumeriques = "Étapes numériques (La Poste)", "Étapes numériques (La Poste)",
        FabriquesDeTerritoire = "Fabriques de Territoire", "Fabriques de Territoire",
        EclaireursDrome = "Les Éclaireurs du numérique (Drôme)", "Les Éclaireurs du numérique (Drôme)",
        MesPapiersLyon = "Mes Papiers (Métropole de Lyon)", "Mes Papiers (Métropole de Lyon)",
        Ordi3 = "ORDI 3.0", "ORDI 3.0",
        SudLabs = "SUD LABS (PACA)", "SUD LABS (PACA)",
    }
);

enumeration!(
    /// `typologie`: the 92 data·inclusion structure-type codes (case-sensitive).
    Typologie, "typologie", {
        Aci = "ACI", "Structures porteuses d’ateliers et chantiers d’insertion",
        Aciphc = "ACIPHC", "SIAE — Atelier chantier d’insertion premières heures en chantier",
        Afpa = "AFPA", "Agence nationale pour la formation professionnelle des adultes",
        Ai = "AI", "Associations intermédiaires",
        Ase = "ASE", "Aide sociale à l’enfance",
        Asso = "ASSO", "Associations",
        AssoChomeur = "ASSO_CHOMEUR", "Associations de chômeurs",
        Autre = "Autre", "Autre",
        Avip = "AVIP", "Crèche à vocation d'insertion professionnelle",
        Bib = "BIB", "Bibliothèque / Médiathèque",
        Caarud = "CAARUD", "Centre d'accueil et d'accompagnement à la réduction de risques pour usagers de drogues",
        Cada = "CADA", "Centres d’accueil de demandeurs d’asile",
        Caf = "CAF", "Caisses d’allocation familiale",
        CapEmploi = "CAP_EMPLOI", "Cap Emploi",
        Cava = "CAVA", "Centres d’adaptation à la vie active",
        Cc = "CC", "Communautés de Commune",
        Ccas = "CCAS", "Centres communaux d’action sociale",
        Ccons = "CCONS", "Chambres consulaires",
        Cd = "CD", "Conseils Départementaux",
        Cdas = "CDAS", "Centre départemental d'action sociale",
        Cfp = "CFP", "Centre des finances publiques",
        Chrs = "CHRS", "Centres d’hébergement et de réinsertion sociale",
        Chu = "CHU", "Centres d’hébergement d’urgence",
        Cias = "CIAS", "Centres intercommunaux d’action sociale",
        Cidff = "CIDFF", "Centres d’information sur les droits des femmes et des familles",
        Citmet = "CITMET", "Cité des métiers",
        Cmp = "CMP", "Centre Médico Psychologique",
        Cms = "CMS", "Centre médico-social",
        Cpam = "CPAM", "Caisse primaire d'assurance maladie",
        Cph = "CPH", "Centres provisoires d’hébergement",
        Cs = "CS", "Centre social",
        Csapa = "CSAPA", "Centre de soins, d'accompagnement et de prévention en addictologie",
        Csc = "CSC", "Centre socioculturel",
        Deets = "DEETS", "Directions de l’Economie, de l’Emploi, du Travail et des Solidarités",
        Dept = "DEPT", "Services sociaux du Conseil départemental",
        Diplp = "DIPLP", "Délégation interministérielle à la prévention et à la lutte contre la pauvreté",
        E2c = "E2C", "École de la deuxième chance",
        Ea = "EA", "Entreprise adaptée",
        Eatt = "EATT", "Entreprise adaptée",
        Ei = "EI", "Entreprises d’insertion",
        Eiti = "EITI", "Entreprises d’insertion par le travail indépendant",
        Enm = "ENM", "Espace Numérique Mobile",
        Epci = "EPCI", "Intercommunalité",
        Epi = "EPI", "Espace Public Internet",
        Epide = "EPIDE", "Établissement pour l'insertion dans l'emploi",
        Epn = "EPN", "Espace publique numérique",
        Es = "ES", "Épicerie solidaire",
        Esat = "ESAT", "Établissements ou services d'aide par le travail",
        Ess = "ESS", "Entreprise def l'Économie Sociale et Solidaire",
        Etti = "ETTI", "Entreprises de travail temporaire d’insertion",
        Evs = "EVS", "Espace de vie sociale",
        Fablab = "FABLAB", "Fablab",
        Fabrique = "FABRIQUE", "Fabrique",
        Fais = "FAIS", "Fédérations d’acteurs de l’insertion et de la solidarité",
        Ft = "FT", "France travail",
        Geiq = "GEIQ", "Groupements d’employeurs pour l’insertion et la qualification",
        Huda = "HUDA", "Hébergement d'urgence pour demandeurs d'asile",
        LaPoste = "LA_POSTE", "La Poste",
        Mde = "MDE", "Maison de l'emploi",
        Mdh = "MDH", "Maison des Habitants",
        Mdef = "MDEF", "Maison de l'emploi et de la formation",
        Mdph = "MDPH", "Maison Départementale des Personnes Handicapées",
        Mds = "MDS", "Maison Départementale des Solidarités",
        Mjc = "MJC", "Maison des jeunes et de la culture",
        Ml = "ML", "Mission Locale",
        Mq = "MQ", "Maison de quartier",
        Msa = "MSA", "Mutualité Sociale Agricole",
        Msap = "MSAP", "Maison de Services Au Public",
        Muni = "MUNI", "Municipalités",
        Oacas = "OACAS", "Structures agréées Organisme d’accueil communautaire et d’activité solidaire",
        Odc = "ODC", "Organisation délégataire d'un CD",
        Of = "OF", "Organisme de formations",
        Oil = "OIL", "Opérateur d'intermédiation locative",
        Opcs = "OPCS", "Organisation porteuse de la clause sociale",
        Pad = "PAD", "Point d'Accès au Droit",
        Pension = "PENSION", "Pension de famille",
        Pi = "PI", "Point info",
        PijBij = "PIJ_BIJ", "Points et bureaux information jeunesse",
        Pimms = "PIMMS", "Point Information Médiation Multi Services",
        Pjj = "PJJ", "Protection judiciaire de la jeunesse",
        Plie = "PLIE", "Plans locaux pour l’insertion et l’emploi",
        Pref = "PREF", "Préfecture, Sous-Préfecture",
        Prevention = "PREVENTION", "Service ou club de prévention",
        Reg = "REG", "Région",
        RelaisLecture = "RELAIS_LECTURE", "Relais lecture",
        Ressourcerie = "RESSOURCERIE", "Ressourcerie",
        Rfs = "RFS", "Réseau France Services",
        RsFjt = "RS_FJT", "Résidence sociale - Foyer de Jeunes Travailleurs",
        Scp = "SCP", "Services et clubs de prévention",
        Spip = "SPIP", "Services pénitentiaires d’insertion et de probation",
        TiersLieux = "TIERS_LIEUX", "Tiers lieu & coworking",
        Udaf = "UDAF", "Union Départementale d’Aide aux Familles",
    }
);

/// Set of values of one enumeration, as stored in a [`crate::Lieu`].
pub type Ensemble<T> = EnumSet<T>;

/// The values of a set, in the standard's order, joined with `|`.
pub fn joindre<T: Valeur>(ensemble: Ensemble<T>) -> String {
    let mut texte = String::new();
    for v in ensemble.iter() {
        if !texte.is_empty() {
            texte.push('|');
        }
        texte.push_str(v.valeur());
    }
    texte
}

/// Looks a value up leniently: exact, then ignoring case, accents and spacing
/// (so `Etapes numériques(La Poste)` and `gratuit` are understood).
pub fn reconnaitre<T: Valeur>(texte: &str) -> Option<T> {
    let texte = texte.trim();
    if let Some(v) = T::depuis_valeur(texte) {
        return Some(v);
    }
    let cle = crate::texte::cle_comparaison(texte);
    T::TOUTES
        .iter()
        .copied()
        .find(|v| crate::texte::cle_comparaison(v.valeur()) == cle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_standard() {
        assert_eq!(Service::TOUTES.len(), 9);
        assert_eq!(Dispositif::TOUTES.len(), 11);
        assert_eq!(FormationLabel::TOUTES.len(), 10);
        assert_eq!(Typologie::TOUTES.len(), 92);
        assert_eq!(PriseEnCharge::TOUTES.len(), 7);
    }

    #[test]
    fn lenient_lookup_accepts_the_schema_typo_and_case() {
        assert_eq!(
            reconnaitre::<FormationLabel>("Étapes numériques(La Poste)"),
            Some(FormationLabel::EtapesNumeriques)
        );
        assert_eq!(reconnaitre::<Frais>("gratuit"), Some(Frais::Gratuit));
        assert_eq!(
            reconnaitre::<Typologie>("TIERS_LIEUX"),
            Some(Typologie::TiersLieux)
        );
        assert_eq!(reconnaitre::<Service>("Services inconnus"), None);
    }

    #[test]
    fn join_uses_the_standard_order() {
        let s = Service::AccesInternet | Service::AideDemarches;
        assert_eq!(
            joindre(s),
            "Aide aux démarches administratives|Accès internet et matériel informatique"
        );
    }
}
