//! Validation of an activity record, after La Coop's zod schemas (§1.2
//! "Validation": `CraValidation.ts`, `CraIndividuelValidation.ts`,
//! `CraCollectifValidation.ts`) plus a few bounds of common sense, each
//! marked as such below.
//!
//! Every problem is reported, not only the first, so a form can show them
//! all at once. Messages are for end users: `"<Libellé du champ> : <raison>."`.
//! Free texts are trimmed and a blank text counts as absent.

use chrono::NaiveDate;

use crate::activite::{
    Activite, ActiviteSaisie, Beneficiaire, Collectif, Detail, DureeSaisie, Individuel, Lieu,
    ParticipantsAnonymes,
};
use crate::duree::Duree;
use crate::enums::{Genre, Materiel, StatutSocial, Thematique, TrancheAge, TypeActivite, TypeLieu};

/// One refused field: `champ` is the field's name in La Coop's JSON
/// (dotted for nested counts), `message` a French sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErreurChamp {
    pub champ: &'static str,
    pub message: String,
}

impl ErreurChamp {
    fn new(champ: &'static str, raison: impl std::fmt::Display) -> Self {
        Self {
            champ,
            message: format!("{} : {raison}.", libelle_champ(champ)),
        }
    }
}

impl std::fmt::Display for ErreurChamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The French label of a field, as the form shows it.
pub fn libelle_champ(champ: &str) -> &'static str {
    match champ {
        "date" => "Date de l'activité",
        "duree" => "Durée",
        "typeLieu" => "Lieu de l'activité",
        "structureId" => "Lieu d'activité",
        "lieuCodeInsee" => "Commune",
        "materiel" => "Matériel numérique utilisé",
        "thematiques" => "Thématiques",
        "beneficiaire" => "Bénéficiaire",
        "autonomie" => "Niveau d'autonomie",
        "orienteVersStructure" => "Orientation du bénéficiaire",
        "structureDeRedirection" => "Structure de redirection",
        "precisionsDemarche" => "Nom de la démarche administrative",
        "titreAtelier" => "Titre de l'atelier",
        "niveau" => "Niveau de l'atelier",
        "participants" => "Participants",
        "participantsAnonymes" => "Participants anonymes",
        "participantsAnonymes.dejaAccompagne" => "Participants anonymes déjà accompagnés",
        "participantsAnonymes.genre" => "Participants anonymes par genre",
        "participantsAnonymes.trancheAge" => "Participants anonymes par tranche d'âge",
        "participantsAnonymes.statutSocial" => "Participants anonymes par statut",
        _ => "Champ",
    }
}

/// Checks a draft against every rule and returns the accepted record, or
/// every refused field. `aujourd_hui` is the mediator's local date.
pub fn valider(
    saisie: &ActiviteSaisie,
    aujourd_hui: NaiveDate,
) -> Result<Activite, Vec<ErreurChamp>> {
    let mut erreurs = Vec::new();

    let date = valider_date(saisie.date, aujourd_hui, &mut erreurs);
    let duree = valider_duree(saisie.duree, &mut erreurs);
    let lieu = valider_lieu(saisie, &mut erreurs);
    let materiel = valider_materiel(&saisie.materiel, &mut erreurs);
    let thematiques = valider_thematiques(&saisie.thematiques, &mut erreurs);
    let notes = texte(&saisie.notes);
    let detail = match saisie.type_activite {
        TypeActivite::Individuel => {
            refuser_champs_collectifs(saisie, &mut erreurs);
            valider_individuel(saisie, &thematiques, &mut erreurs).map(Detail::Individuel)
        }
        TypeActivite::Collectif => {
            refuser_champs_individuels(saisie, &mut erreurs);
            valider_collectif(saisie, &mut erreurs).map(Detail::Collectif)
        }
    };

    match (date, duree, lieu, detail) {
        (Some(date), Some(duree), Some(lieu), Some(detail)) if erreurs.is_empty() => Ok(Activite {
            date,
            duree,
            lieu,
            materiel,
            thematiques,
            notes,
            detail,
        }),
        _ => Err(erreurs),
    }
}

/// Trimmed text, `None` when blank.
fn texte(valeur: &Option<String>) -> Option<String> {
    valeur
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn valider_date(
    date: Option<NaiveDate>,
    aujourd_hui: NaiveDate,
    erreurs: &mut Vec<ErreurChamp>,
) -> Option<NaiveDate> {
    match date {
        None => {
            erreurs.push(ErreurChamp::new("date", "la date est obligatoire"));
            None
        }
        // Common sense: a record reports an activity that took place.
        Some(d) if d > aujourd_hui => {
            erreurs.push(ErreurChamp::new(
                "date",
                format!(
                    "la date ne peut pas être dans le futur (le {} est après aujourd'hui, {})",
                    d.format("%d/%m/%Y"),
                    aujourd_hui.format("%d/%m/%Y")
                ),
            ));
            None
        }
        Some(d) => Some(d),
    }
}

fn valider_duree(duree: Option<DureeSaisie>, erreurs: &mut Vec<ErreurChamp>) -> Option<Duree> {
    let minutes = match duree {
        None => {
            erreurs.push(ErreurChamp::new("duree", "la durée est obligatoire"));
            return None;
        }
        Some(DureeSaisie::Preset(p)) => return Some(Duree::Preset(p)),
        // The form's custom entry: hours 0–23 and minutes 0–59 (§1.2), and
        // 24 h 00 exactly, the longest duration (a stored 1,440-minute
        // record comes back to the form that way and must still pass).
        Some(DureeSaisie::Personnalisee { heures, minutes }) => {
            let mut correcte = true;
            if !(0..=24).contains(&heures) {
                erreurs.push(ErreurChamp::new(
                    "duree",
                    format!("les heures doivent être comprises entre 0 et 24, pas {heures}"),
                ));
                correcte = false;
            }
            if !(0..=59).contains(&minutes) {
                erreurs.push(ErreurChamp::new(
                    "duree",
                    format!("les minutes doivent être comprises entre 0 et 59, pas {minutes}"),
                ));
                correcte = false;
            }
            if !correcte {
                return None;
            }
            heures * 60 + minutes
        }
        Some(DureeSaisie::Minutes(m)) => m,
    };
    // Common sense: an activity lasts at least a minute and at most a day.
    match Duree::depuis_minutes(minutes) {
        Ok(d) => Some(d),
        Err(_) if minutes <= 0 => {
            erreurs.push(ErreurChamp::new(
                "duree",
                "la durée doit être d'au moins 1 minute",
            ));
            None
        }
        Err(_) => {
            erreurs.push(ErreurChamp::new(
                "duree",
                format!("la durée ne peut pas dépasser 24 heures ({minutes} minutes saisies)"),
            ));
            None
        }
    }
}

/// INSEE commune code: five characters, the first two being digits or
/// `2A`/`2B` (Corsica), the last three digits.
fn est_code_insee(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && (b[..2].iter().all(u8::is_ascii_digit) || b[..2] == *b"2A" || b[..2] == *b"2B")
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// §1.2: `structure` is required when `typeLieu=LieuActivite`, a commune
/// when the place is Domicile or Autre; for ADistance neither (the
/// employer's commune is used). A field that does not belong to the chosen
/// type is refused rather than silently dropped, so a record never carries
/// a place it does not use.
fn valider_lieu(saisie: &ActiviteSaisie, erreurs: &mut Vec<ErreurChamp>) -> Option<Lieu> {
    let structure_id = texte(&saisie.structure_id);
    let code_insee = texte(&saisie.lieu_code_insee);
    let Some(type_lieu) = saisie.type_lieu else {
        erreurs.push(ErreurChamp::new(
            "typeLieu",
            "choisissez où l'activité a eu lieu",
        ));
        return None;
    };
    let refuser_structure = |erreurs: &mut Vec<ErreurChamp>| {
        erreurs.push(ErreurChamp::new(
            "structureId",
            format!(
                "un lieu d'activité ne se renseigne que pour « {} », pas pour « {} »",
                TypeLieu::LieuActivite.libelle(),
                type_lieu.libelle()
            ),
        ));
    };
    let refuser_commune = |erreurs: &mut Vec<ErreurChamp>| {
        erreurs.push(ErreurChamp::new(
            "lieuCodeInsee",
            format!(
                "une commune ne se renseigne que pour « {} » ou « {} », pas pour « {} »",
                TypeLieu::Domicile.libelle(),
                TypeLieu::Autre.libelle(),
                type_lieu.libelle()
            ),
        ));
    };
    match type_lieu {
        TypeLieu::LieuActivite => {
            if code_insee.is_some() {
                refuser_commune(erreurs);
            }
            match structure_id {
                Some(structure_id) => Some(Lieu::LieuActivite { structure_id }),
                None => {
                    erreurs.push(ErreurChamp::new(
                        "structureId",
                        "choisissez le lieu d'activité où l'activité a eu lieu",
                    ));
                    None
                }
            }
        }
        TypeLieu::Domicile | TypeLieu::Autre => {
            if structure_id.is_some() {
                refuser_structure(erreurs);
            }
            let lieu_code_insee = match code_insee {
                None => {
                    erreurs.push(ErreurChamp::new(
                        "lieuCodeInsee",
                        "choisissez la commune où l'activité a eu lieu",
                    ));
                    return None;
                }
                Some(code) if !est_code_insee(&code) => {
                    erreurs.push(ErreurChamp::new(
                        "lieuCodeInsee",
                        format!("« {code} » n'est pas un code INSEE de commune (5 caractères, par exemple 75056 ou 2A004)"),
                    ));
                    return None;
                }
                Some(code) => code,
            };
            Some(if type_lieu == TypeLieu::Domicile {
                Lieu::Domicile { lieu_code_insee }
            } else {
                Lieu::Autre { lieu_code_insee }
            })
        }
        TypeLieu::ADistance => {
            if structure_id.is_some() {
                refuser_structure(erreurs);
            }
            if code_insee.is_some() {
                refuser_commune(erreurs);
            }
            Some(Lieu::ADistance)
        }
    }
}

/// Sorted without repeats. Common sense: "Pas de matériel" contradicts
/// any equipment.
fn valider_materiel(materiel: &[Materiel], erreurs: &mut Vec<ErreurChamp>) -> Vec<Materiel> {
    let mut materiel = materiel.to_vec();
    materiel.sort_unstable();
    materiel.dedup();
    if materiel.len() > 1 && materiel.contains(&Materiel::Aucun) {
        erreurs.push(ErreurChamp::new(
            "materiel",
            format!(
                "« {} » ne peut pas être choisi avec un autre matériel",
                Materiel::Aucun.libelle()
            ),
        ));
    }
    materiel
}

/// §1.2: at least one thématique; administrative thématiques only together
/// with "Aide aux démarches administratives" (`canHaveAdministrationThematiques.ts`).
fn valider_thematiques(
    thematiques: &[Thematique],
    erreurs: &mut Vec<ErreurChamp>,
) -> Vec<Thematique> {
    let mut thematiques = thematiques.to_vec();
    thematiques.sort_unstable();
    thematiques.dedup();
    if thematiques.is_empty() {
        erreurs.push(ErreurChamp::new(
            "thematiques",
            "choisissez au moins une thématique",
        ));
    }
    let administratives: Vec<&str> = thematiques
        .iter()
        .filter(|t| t.est_administrative())
        .map(|t| t.libelle())
        .collect();
    if !administratives.is_empty()
        && !thematiques.contains(&Thematique::AideAuxDemarchesAdministratives)
    {
        erreurs.push(ErreurChamp::new(
            "thematiques",
            format!(
                "les thématiques de démarches administratives ({}) ne peuvent être choisies qu'avec « {} »",
                administratives.join(", "),
                Thematique::AideAuxDemarchesAdministratives.libelle()
            ),
        ));
    }
    thematiques
}

fn refuser_si(
    present: bool,
    champ: &'static str,
    type_attendu: TypeActivite,
    erreurs: &mut Vec<ErreurChamp>,
) {
    if present {
        erreurs.push(ErreurChamp::new(
            champ,
            format!("ne se renseigne que pour un « {} »", type_attendu.libelle()),
        ));
    }
}

/// §1.2 lists these fields as "Collectif only".
fn refuser_champs_collectifs(saisie: &ActiviteSaisie, erreurs: &mut Vec<ErreurChamp>) {
    let collectif = TypeActivite::Collectif;
    refuser_si(
        texte(&saisie.titre_atelier).is_some(),
        "titreAtelier",
        collectif,
        erreurs,
    );
    refuser_si(saisie.niveau.is_some(), "niveau", collectif, erreurs);
    refuser_si(
        !saisie.participants.is_empty(),
        "participants",
        collectif,
        erreurs,
    );
    refuser_si(
        saisie.participants_anonymes.is_some(),
        "participantsAnonymes",
        collectif,
        erreurs,
    );
}

/// §1.2 lists these fields as "Individuel only".
fn refuser_champs_individuels(saisie: &ActiviteSaisie, erreurs: &mut Vec<ErreurChamp>) {
    let individuel = TypeActivite::Individuel;
    refuser_si(
        saisie.beneficiaire.is_some(),
        "beneficiaire",
        individuel,
        erreurs,
    );
    refuser_si(saisie.autonomie.is_some(), "autonomie", individuel, erreurs);
    refuser_si(
        saisie.oriente_vers_structure.is_some(),
        "orienteVersStructure",
        individuel,
        erreurs,
    );
    refuser_si(
        saisie.structure_de_redirection.is_some(),
        "structureDeRedirection",
        individuel,
        erreurs,
    );
    refuser_si(
        texte(&saisie.precisions_demarche).is_some(),
        "precisionsDemarche",
        individuel,
        erreurs,
    );
}

fn valider_individuel(
    saisie: &ActiviteSaisie,
    thematiques: &[Thematique],
    erreurs: &mut Vec<ErreurChamp>,
) -> Option<Individuel> {
    let beneficiaire = match &saisie.beneficiaire {
        // No followed beneficiary: La Coop records an anonymous one (§1.4).
        None => Some(Beneficiaire::default()),
        Some(Beneficiaire::Suivi { id }) => match id.trim() {
            "" => {
                erreurs.push(ErreurChamp::new(
                    "beneficiaire",
                    "l'identifiant du bénéficiaire suivi est vide",
                ));
                None
            }
            id => Some(Beneficiaire::Suivi { id: id.to_owned() }),
        },
        Some(anonyme @ Beneficiaire::Anonyme(_)) => Some(anonyme.clone()),
    };

    // §1.2: the redirection structure is asked only once the beneficiary
    // is oriented, so it cannot come without that answer.
    if saisie.structure_de_redirection.is_some() && saisie.oriente_vers_structure != Some(true) {
        erreurs.push(ErreurChamp::new(
            "structureDeRedirection",
            "ne se renseigne que si le bénéficiaire a été orienté vers une autre structure",
        ));
    }

    // §1.2 `canHavePrecisionDemarche.ts`.
    let precisions_demarche = texte(&saisie.precisions_demarche);
    if precisions_demarche.is_some()
        && !thematiques.contains(&Thematique::AideAuxDemarchesAdministratives)
    {
        erreurs.push(ErreurChamp::new(
            "precisionsDemarche",
            format!(
                "ne se renseigne que si la thématique « {} » est choisie",
                Thematique::AideAuxDemarchesAdministratives.libelle()
            ),
        ));
    }

    Some(Individuel {
        beneficiaire: beneficiaire?,
        autonomie: saisie.autonomie,
        oriente_vers_structure: saisie.oriente_vers_structure,
        structure_de_redirection: saisie.structure_de_redirection,
        precisions_demarche,
    })
}

fn valider_collectif(saisie: &ActiviteSaisie, erreurs: &mut Vec<ErreurChamp>) -> Option<Collectif> {
    let nombre_erreurs = erreurs.len();

    // Common sense: an id is a reference, a blank or repeated one is a
    // mistake that would miscount participants.
    let mut participants: Vec<String> = Vec::with_capacity(saisie.participants.len());
    for id in &saisie.participants {
        let id = id.trim();
        if id.is_empty() {
            erreurs.push(ErreurChamp::new(
                "participants",
                "un participant suivi n'a pas d'identifiant",
            ));
        } else if participants.iter().any(|p| p == id) {
            erreurs.push(ErreurChamp::new(
                "participants",
                format!("le participant « {id} » figure plusieurs fois"),
            ));
        } else {
            participants.push(id.to_owned());
        }
    }

    let anonymes = valider_anonymes(&saisie.participants_anonymes.unwrap_or_default(), erreurs);

    // §1.2: a collectif needs at least one participant, followed or anonymous.
    if let Some(anonymes) = &anonymes {
        if saisie.participants.is_empty() && anonymes.total == 0 {
            erreurs.push(ErreurChamp::new(
                "participants",
                "un atelier collectif doit compter au moins un participant, suivi ou anonyme",
            ));
        }
    }

    let participants_anonymes = anonymes?;
    (erreurs.len() == nombre_erreurs).then(|| Collectif {
        titre_atelier: texte(&saisie.titre_atelier),
        niveau: saisie.niveau,
        participants,
        participants_anonymes,
    })
}

/// Counts are whole numbers of people (common sense: not negative, and
/// within `u32`); the breakdowns by genre, tranche d'âge and statut social
/// describe the anonymous participants, so none may add up to more than
/// their total, nor may those "déjà accompagnés". A breakdown may add up to
/// less: La Coop fills the rest as "non communiqué" when it draws the
/// anonymous beneficiaries (`createBeneficiairesForParticipantsAnonymes.ts`).
fn valider_anonymes(
    saisis: &ParticipantsAnonymes<i64>,
    erreurs: &mut Vec<ErreurChamp>,
) -> Option<ParticipantsAnonymes<u32>> {
    let mut hors_bornes = false;
    let comptes = saisis.convertir(|n| match u32::try_from(n) {
        Ok(n) => n,
        Err(_) => {
            hors_bornes = true;
            0
        }
    });
    if hors_bornes {
        erreurs.push(ErreurChamp::new(
            "participantsAnonymes",
            "chaque nombre de participants doit être un nombre entier positif ou nul",
        ));
        return None;
    }

    let total = u64::from(comptes.total);
    let mut correct = true;
    let mut verifier = |champ: &'static str, somme: u64, quoi: &str| {
        if somme > total {
            erreurs.push(ErreurChamp::new(
                champ,
                format!("{quoi} ({somme}) dépasse le nombre de participants anonymes ({total})"),
            ));
            correct = false;
        }
    };
    verifier(
        "participantsAnonymes.dejaAccompagne",
        u64::from(comptes.deja_accompagne),
        "le nombre de participants déjà accompagnés",
    );
    verifier(
        "participantsAnonymes.genre",
        Genre::iter().map(|g| u64::from(comptes.par_genre(g))).sum(),
        "la somme des participants par genre",
    );
    verifier(
        "participantsAnonymes.trancheAge",
        TrancheAge::iter()
            .map(|t| u64::from(comptes.par_tranche_age(t)))
            .sum(),
        "la somme des participants par tranche d'âge",
    );
    verifier(
        "participantsAnonymes.statutSocial",
        StatutSocial::iter()
            .map(|s| u64::from(comptes.par_statut_social(s)))
            .sum(),
        "la somme des participants par statut",
    );
    correct.then_some(comptes)
}
