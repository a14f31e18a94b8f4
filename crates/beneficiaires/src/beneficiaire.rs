//! A beneficiary: the draft typed in a form or read from a file, its
//! validation, normalisation and anonymisation.

use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::{Genre, StatutSocial, TrancheAge};
use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Earliest accepted birth year (La Coop: 1900..current year).
pub const ANNEE_NAISSANCE_MIN: i32 = 1900;
/// Longest prénom or nom, in characters.
pub const NOM_MAX: usize = 100;
/// Longest notes, in characters.
pub const NOTES_MAX: usize = 2000;
const EMAIL_MAX: usize = 254;

/// A beneficiary as typed (form) or read (import row): nothing checked
/// yet. Empty texts mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeneficiaireSaisie {
    pub prenom: String,
    pub nom: String,
    pub telephone: String,
    pub email: String,
    /// INSEE code of the commune of residence.
    pub commune: String,
    pub annee_naissance: String,
    /// A La Coop code (`VingtCinqTrenteNeuf`) or its label (`25 - 39 ans`).
    pub tranche_age: String,
    pub genre: String,
    pub statut_social: String,
    pub notes: String,
    /// The person agreed to be followed (identity and contact kept).
    pub consentement: bool,
}

/// A validated beneficiary. Prénom and nom are both present (a followed
/// beneficiary, who agreed) or both absent (anonymous); contact, birth year
/// and notes are only ever present for a followed one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beneficiaire {
    pub prenom: Option<String>,
    pub nom: Option<String>,
    /// Normalised: `0612345678` or `+4930123456`.
    pub telephone: Option<String>,
    /// Trimmed and lower-cased.
    pub email: Option<String>,
    pub commune_code_insee: Option<String>,
    pub annee_naissance: Option<i32>,
    /// Derived from the birth year when it is known.
    pub tranche_age: Option<TrancheAge>,
    pub genre: Option<Genre>,
    pub statut_social: Option<StatutSocial>,
    pub notes: Option<String>,
}

impl Beneficiaire {
    /// Followed (identified, with consent) rather than anonymous.
    pub fn est_suivi(&self) -> bool {
        self.prenom.is_some() && self.nom.is_some()
    }

    /// "Prénom Nom", or "Bénéficiaire anonyme".
    pub fn nom_affiche(&self) -> String {
        match (&self.prenom, &self.nom) {
            (Some(p), Some(n)) => format!("{p} {n}"),
            _ => "Bénéficiaire anonyme".to_string(),
        }
    }

    /// Whether any personal data (beyond demographics) is present.
    pub fn a_des_donnees_personnelles(&self) -> bool {
        self.prenom.is_some()
            || self.nom.is_some()
            || self.telephone.is_some()
            || self.email.is_some()
            || self.annee_naissance.is_some()
            || self.notes.is_some()
    }
}

/// A stored beneficiary with what the store knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fiche {
    pub id: String,
    /// The mediator who follows the beneficiary (its owner).
    pub mediateur_id: String,
    pub beneficiaire: Beneficiaire,
    /// When the person agreed to be followed (`None`: anonymous).
    pub consentement_le: Option<DateTime<Utc>>,
    /// Date of the latest activity record with this beneficiary.
    pub derniere_activite_le: Option<NaiveDate>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
    /// Deleted (or retired by the retention rule, or merged): personal
    /// data erased.
    pub anonymise_le: Option<DateTime<Utc>>,
    /// Merged into this beneficiary.
    pub fusionne_vers: Option<String>,
}

impl Fiche {
    /// Neither anonymised nor merged: shown in the owner's lists.
    pub fn est_active(&self) -> bool {
        self.anonymise_le.is_none() && self.fusionne_vers.is_none()
    }
}

/// A refused field: `champ` is the form field name, `message` is French and
/// names the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ErreurChamp {
    pub champ: &'static str,
    /// "Libellé : raison".
    pub message: String,
    /// The reason alone (import reports name the column themselves).
    pub raison: String,
}

impl ErreurChamp {
    fn new(champ: &'static str, raison: impl std::fmt::Display) -> Self {
        let raison = raison.to_string();
        ErreurChamp {
            champ,
            message: format!("{} : {raison}", libelle_champ(champ)),
            raison,
        }
    }
}

/// The French label of a form field.
pub fn libelle_champ(champ: &str) -> &'static str {
    match champ {
        "prenom" => "Prénom",
        "nom" => "Nom",
        "telephone" => "Téléphone",
        "email" => "E-mail",
        "commune" => "Commune (code Insee)",
        "annee_naissance" => "Année de naissance",
        "tranche_age" => "Tranche d'âge",
        "genre" => "Genre",
        "statut_social" => "Statut du bénéficiaire",
        "notes" => "Notes",
        "consentement" => "Consentement",
        _ => "Champ",
    }
}

/// Comparison form of a name or label: no accents, lower case, letters and
/// digits only, words separated by one space ("Jean-Édouard  d'Arc" →
/// "jean edouard d arc").
pub fn normaliser(texte: &str) -> String {
    let mut sortie = String::with_capacity(texte.len());
    let mut espace = false;
    for c in texte.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let remplacement: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !remplacement.is_empty() {
            if espace && !sortie.is_empty() {
                sortie.push(' ');
            }
            espace = false;
            sortie.push_str(remplacement);
            continue;
        }
        if c.is_alphanumeric() {
            if espace && !sortie.is_empty() {
                sortie.push(' ');
            }
            espace = false;
            sortie.extend(c.to_lowercase());
        } else {
            espace = true;
        }
    }
    sortie
}

/// La Coop's age bracket of someone born in `annee`, in `annee_courante`.
pub fn tranche_de_l_annee(annee: i32, annee_courante: i32) -> TrancheAge {
    match annee_courante.saturating_sub(annee) {
        i32::MIN..=11 => TrancheAge::MoinsDeDouze,
        12..=17 => TrancheAge::DouzeDixHuit,
        18..=24 => TrancheAge::DixHuitVingtQuatre,
        25..=39 => TrancheAge::VingtCinqTrenteNeuf,
        40..=59 => TrancheAge::QuaranteCinquanteNeuf,
        60..=69 => TrancheAge::SoixanteSoixanteNeuf,
        _ => TrancheAge::SoixanteDixPlus,
    }
}

/// Checks and normalises a draft. `annee_courante` bounds the birth year
/// and derives the age bracket. Every refused field gets its own error.
///
/// Without consent, only demographics are kept: a prénom, nom, téléphone,
/// e-mail or notes is an error (the person has not agreed), and a birth
/// year only gives its age bracket.
pub fn valider(
    s: &BeneficiaireSaisie,
    annee_courante: i32,
) -> Result<Beneficiaire, Vec<ErreurChamp>> {
    let mut erreurs = Vec::new();
    let mut b = Beneficiaire::default();

    let prenom = texte_court("prenom", &s.prenom, &mut erreurs);
    let nom = texte_court("nom", &s.nom, &mut erreurs);
    let telephone = non_vide(&s.telephone).and_then(|t| match normaliser_telephone(t) {
        Ok(t) => Some(t),
        Err(e) => {
            erreurs.push(e);
            None
        }
    });
    let email = non_vide(&s.email).and_then(|t| match normaliser_email(t) {
        Ok(t) => Some(t),
        Err(e) => {
            erreurs.push(e);
            None
        }
    });
    let notes = non_vide(&s.notes).and_then(|t| {
        if t.chars().count() > NOTES_MAX {
            erreurs.push(ErreurChamp::new(
                "notes",
                format!("{NOTES_MAX} caractères au plus"),
            ));
            None
        } else if t
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            erreurs.push(ErreurChamp::new("notes", "caractère de contrôle refusé"));
            None
        } else {
            Some(t.to_string())
        }
    });
    b.commune_code_insee = non_vide(&s.commune).and_then(|t| match code_insee(t) {
        Some(c) => Some(c),
        None => {
            erreurs.push(ErreurChamp::new(
                "commune",
                format!("« {} » n'est pas un code Insee de commune (5 caractères, par exemple 33063 ou 2A004)", court(t)),
            ));
            None
        }
    });
    let annee = non_vide(&s.annee_naissance).and_then(|t| match t.parse::<i32>() {
        Ok(a) if (ANNEE_NAISSANCE_MIN..=annee_courante).contains(&a) => Some(a),
        _ => {
            erreurs.push(ErreurChamp::new(
                "annee_naissance",
                format!(
                    "« {} » n'est pas une année entre {ANNEE_NAISSANCE_MIN} et {annee_courante}",
                    court(t)
                ),
            ));
            None
        }
    });
    b.tranche_age = choix(
        "tranche_age",
        &s.tranche_age,
        TrancheAge::ALL,
        |t| (t.code(), t.libelle()),
        &mut erreurs,
    );
    b.genre = choix(
        "genre",
        &s.genre,
        Genre::ALL,
        |g| (g.code(), g.libelle()),
        &mut erreurs,
    );
    b.statut_social = choix(
        "statut_social",
        &s.statut_social,
        StatutSocial::ALL,
        |st| (st.code(), st.libelle()),
        &mut erreurs,
    );
    if let Some(a) = annee {
        // La Coop derives the bracket from the year when it is known.
        b.tranche_age = Some(tranche_de_l_annee(a, annee_courante));
    }

    if s.consentement {
        if prenom.is_none() && !erreurs.iter().any(|e| e.champ == "prenom") {
            erreurs.push(ErreurChamp::new(
                "prenom",
                "obligatoire pour un bénéficiaire suivi",
            ));
        }
        if nom.is_none() && !erreurs.iter().any(|e| e.champ == "nom") {
            erreurs.push(ErreurChamp::new(
                "nom",
                "obligatoire pour un bénéficiaire suivi",
            ));
        }
        b.prenom = prenom;
        b.nom = nom;
        b.telephone = telephone;
        b.email = email;
        b.notes = notes;
        b.annee_naissance = annee;
    } else {
        for (champ, present) in [
            ("prenom", !s.prenom.trim().is_empty()),
            ("nom", !s.nom.trim().is_empty()),
            ("telephone", !s.telephone.trim().is_empty()),
            ("email", !s.email.trim().is_empty()),
            ("notes", !s.notes.trim().is_empty()),
        ] {
            if present && !erreurs.iter().any(|e| e.champ == champ) {
                erreurs.push(ErreurChamp::new(
                    champ,
                    "la personne n'a pas donné son accord pour être suivie : laissez ce champ vide (bénéficiaire anonyme) ou indiquez son consentement",
                ));
            }
        }
    }
    if erreurs.is_empty() {
        Ok(b)
    } else {
        Err(erreurs)
    }
}

impl From<&Beneficiaire> for BeneficiaireSaisie {
    /// The draft of a stored beneficiary (to edit it).
    fn from(b: &Beneficiaire) -> Self {
        BeneficiaireSaisie {
            prenom: b.prenom.clone().unwrap_or_default(),
            nom: b.nom.clone().unwrap_or_default(),
            telephone: b.telephone.clone().unwrap_or_default(),
            email: b.email.clone().unwrap_or_default(),
            commune: b.commune_code_insee.clone().unwrap_or_default(),
            annee_naissance: b.annee_naissance.map(|a| a.to_string()).unwrap_or_default(),
            tranche_age: b
                .tranche_age
                .map(|t| t.code().to_string())
                .unwrap_or_default(),
            genre: b.genre.map(|g| g.code().to_string()).unwrap_or_default(),
            statut_social: b
                .statut_social
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
            notes: b.notes.clone().unwrap_or_default(),
            consentement: b.est_suivi(),
        }
    }
}

/// What an anonymised beneficiary keeps: demographics only (commune, age
/// bracket, genre, statut social), for statistics. The bracket is derived
/// from the birth year first when it was missing.
pub fn anonymiser(b: &Beneficiaire, annee_courante: i32) -> Beneficiaire {
    Beneficiaire {
        prenom: None,
        nom: None,
        telephone: None,
        email: None,
        commune_code_insee: b.commune_code_insee.clone(),
        annee_naissance: None,
        tranche_age: b.tranche_age.or_else(|| {
            b.annee_naissance
                .map(|a| tranche_de_l_annee(a, annee_courante))
        }),
        genre: b.genre,
        statut_social: b.statut_social,
        notes: None,
    }
}

/// `06 12 34 56 78` for a French number, else as stored.
pub fn formater_telephone(t: &str) -> String {
    if t.len() == 10 && t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) {
        let mut s = String::with_capacity(14);
        for (i, c) in t.chars().enumerate() {
            if i > 0 && i % 2 == 0 {
                s.push(' ');
            }
            s.push(c);
        }
        s
    } else {
        t.to_string()
    }
}

fn non_vide(t: &str) -> Option<&str> {
    let t = t.trim();
    (!t.is_empty()).then_some(t)
}

/// At most 40 characters of a refused value, for messages.
fn court(t: &str) -> String {
    let mut s: String = t.chars().take(40).collect();
    if t.chars().count() > 40 {
        s.push('…');
    }
    s
}

fn texte_court(champ: &'static str, t: &str, erreurs: &mut Vec<ErreurChamp>) -> Option<String> {
    let t = non_vide(t)?;
    // Inner runs of spaces collapse: names are compared and searched.
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > NOM_MAX {
        erreurs.push(ErreurChamp::new(
            champ,
            format!("{NOM_MAX} caractères au plus"),
        ));
        None
    } else if t.chars().any(char::is_control) {
        erreurs.push(ErreurChamp::new(champ, "caractère de contrôle refusé"));
        None
    } else if !t.chars().any(char::is_alphabetic) {
        erreurs.push(ErreurChamp::new(champ, "au moins une lettre est attendue"));
        None
    } else {
        Some(t)
    }
}

fn normaliser_telephone(t: &str) -> Result<String, ErreurChamp> {
    let erreur = || {
        ErreurChamp::new(
            "telephone",
            format!(
                "« {} » n'est pas un numéro valide : 10 chiffres attendus (06 12 34 56 78) ou un numéro international (+32 …)",
                court(t)
            ),
        )
    };
    let mut chiffres = String::new();
    let mut plus = false;
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => chiffres.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '.' | '-' | '(' | ')' | '/' | '\u{a0}' | '\u{202f}' => {}
            _ => return Err(erreur()),
        }
    }
    let international = if plus {
        Some(chiffres.clone())
    } else {
        chiffres.strip_prefix("00").map(str::to_string)
    };
    if let Some(num) = international {
        // +33 (0)6… and +33 6… are French numbers.
        if let Some(fr) = num.strip_prefix("33") {
            let fr = fr.strip_prefix('0').unwrap_or(fr);
            if fr.len() == 9 {
                return Ok(format!("0{fr}"));
            }
            return Err(erreur());
        }
        if (6..=15).contains(&num.len()) {
            return Ok(format!("+{num}"));
        }
        return Err(erreur());
    }
    match chiffres.len() {
        10 if chiffres.starts_with('0') => Ok(chiffres),
        // A spreadsheet that stored the number as a number lost its 0.
        9 if !chiffres.starts_with('0') => Ok(format!("0{chiffres}")),
        _ => Err(erreur()),
    }
}

fn normaliser_email(t: &str) -> Result<String, ErreurChamp> {
    let e = t.to_lowercase();
    let valide = e.chars().count() <= EMAIL_MAX
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\"[]\\".contains(c))
        && match e.split_once('@') {
            Some((local, domaine)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domaine.contains('@')
                    && domaine.contains('.')
                    && !domaine.starts_with('.')
                    && !domaine.ends_with('.')
                    && !domaine.contains("..")
            }
            None => false,
        };
    if valide {
        Ok(e)
    } else {
        Err(ErreurChamp::new(
            "email",
            format!(
                "« {} » n'est pas une adresse valide (exemple : nom@exemple.fr)",
                court(t)
            ),
        ))
    }
}

/// `33063`, `2A004`, `97411`: two département characters then three digits.
fn code_insee(t: &str) -> Option<String> {
    let c = t.to_ascii_uppercase();
    let b = c.as_bytes();
    let dep_ok = b.len() == 5
        && ((b[0].is_ascii_digit() && b[1].is_ascii_digit())
            || (b[0] == b'2' && matches!(b[1], b'A' | b'B')));
    (dep_ok && b[2..].iter().all(u8::is_ascii_digit)).then_some(c)
}

/// An enumeration value from its code or its label, accents and case
/// ignored; an unknown text is an error listing the accepted labels.
fn choix<T: Copy>(
    champ: &'static str,
    texte: &str,
    toutes: &[T],
    noms: impl Fn(T) -> (&'static str, &'static str),
    erreurs: &mut Vec<ErreurChamp>,
) -> Option<T> {
    let t = non_vide(texte)?;
    let n = normaliser(t);
    let trouve = toutes.iter().copied().find(|v| {
        let (code, libelle) = noms(*v);
        code == t || normaliser(code) == n || normaliser(libelle) == n
    });
    if trouve.is_none() {
        let libelles: Vec<&str> = toutes.iter().map(|v| noms(*v).1).collect();
        erreurs.push(ErreurChamp::new(
            champ,
            format!(
                "« {} » n'est pas une valeur possible ({})",
                court(t),
                libelles.join(", ")
            ),
        ));
    }
    trouve
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suivi() -> BeneficiaireSaisie {
        BeneficiaireSaisie {
            prenom: " Jeanne ".into(),
            nom: "Dupont".into(),
            telephone: "+33 6 12 34 56 78".into(),
            email: " Jeanne.Dupont@Exemple.FR ".into(),
            commune: "33063".into(),
            annee_naissance: "1950".into(),
            tranche_age: String::new(),
            genre: "Féminin".into(),
            statut_social: "Retraite".into(),
            notes: "Préfère le matin".into(),
            consentement: true,
        }
    }

    #[test]
    fn un_beneficiaire_suivi_est_normalise() {
        let b = valider(&suivi(), 2025).expect("valide");
        assert_eq!(b.prenom.as_deref(), Some("Jeanne"));
        assert_eq!(b.telephone.as_deref(), Some("0612345678"));
        assert_eq!(b.email.as_deref(), Some("jeanne.dupont@exemple.fr"));
        assert_eq!(b.tranche_age, Some(TrancheAge::SoixanteDixPlus));
        assert_eq!(b.genre, Some(Genre::Feminin));
        assert_eq!(b.statut_social, Some(StatutSocial::Retraite));
        assert!(b.est_suivi());
        assert_eq!(formater_telephone("0612345678"), "06 12 34 56 78");
    }

    #[test]
    fn sans_consentement_l_identite_est_refusee_et_nommee() {
        let mut s = suivi();
        s.consentement = false;
        let erreurs = valider(&s, 2025).expect_err("refusé");
        let champs: Vec<&str> = erreurs.iter().map(|e| e.champ).collect();
        assert_eq!(champs, ["prenom", "nom", "telephone", "email", "notes"]);
        assert!(
            erreurs[0].message.starts_with("Prénom : "),
            "{}",
            erreurs[0]
        );
    }

    #[test]
    fn un_anonyme_garde_la_demographie_et_la_tranche_seule() {
        let s = BeneficiaireSaisie {
            annee_naissance: "2000".into(),
            commune: "2a004".into(),
            genre: "Masculin".into(),
            ..Default::default()
        };
        let b = valider(&s, 2025).expect("valide");
        assert!(!b.est_suivi());
        assert_eq!(b.annee_naissance, None);
        assert_eq!(b.tranche_age, Some(TrancheAge::VingtCinqTrenteNeuf));
        assert_eq!(b.commune_code_insee.as_deref(), Some("2A004"));
        assert!(!b.a_des_donnees_personnelles());
    }

    #[test]
    fn le_consentement_exige_prenom_et_nom() {
        let s = BeneficiaireSaisie {
            consentement: true,
            ..Default::default()
        };
        let e = valider(&s, 2025).expect_err("refusé");
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].message, "Nom : obligatoire pour un bénéficiaire suivi");
    }

    #[test]
    fn les_valeurs_fausses_sont_expliquees() {
        let s = BeneficiaireSaisie {
            prenom: "A".into(),
            nom: "B".into(),
            telephone: "12".into(),
            email: "pas-une-adresse".into(),
            commune: "Bordeaux".into(),
            annee_naissance: "1850".into(),
            genre: "autre".into(),
            consentement: true,
            ..Default::default()
        };
        let e = valider(&s, 2025).expect_err("refusé");
        let champs: Vec<&str> = e.iter().map(|e| e.champ).collect();
        assert_eq!(
            champs,
            ["telephone", "email", "commune", "annee_naissance", "genre"]
        );
        assert!(e[4].message.contains("Féminin"), "{}", e[4]);
    }

    #[test]
    fn telephones() {
        for (entree, attendu) in [
            ("06.12.34.56.78", "0612345678"),
            ("0033612345678", "0612345678"),
            ("+33 (0)6 12 34 56 78", "0612345678"),
            ("612345678", "0612345678"),
            ("+32 2 123 45 67", "+3221234567"),
        ] {
            assert_eq!(normaliser_telephone(entree).as_deref(), Ok(attendu));
        }
        for faux in ["06 12", "abc", "+", "06123456789", "+33 6 12"] {
            assert!(normaliser_telephone(faux).is_err(), "{faux}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normaliser("  Jean-Édouard  d'Arc "), "jean edouard d arc");
        assert_eq!(normaliser("ŒUVRE"), "oeuvre");
        assert_eq!(normaliser("12 - 17 ans"), "12 17 ans");
        assert_eq!(normaliser(""), "");
    }

    #[test]
    fn anonymiser_garde_la_demographie() {
        let b = valider(&suivi(), 2025).expect("valide");
        let a = anonymiser(&b, 2025);
        assert!(!a.a_des_donnees_personnelles());
        assert_eq!(a.tranche_age, Some(TrancheAge::SoixanteDixPlus));
        assert_eq!(a.genre, b.genre);
        assert_eq!(a.commune_code_insee, b.commune_code_insee);
        // A stored draft validates back to itself.
        assert_eq!(valider(&BeneficiaireSaisie::from(&b), 2025), Ok(b));
    }
}
