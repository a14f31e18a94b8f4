//! Duplicate detection within one mediator's beneficiaries, and the plan of
//! a merge (La Coop: the target keeps its values, missing ones are filled
//! from the source, which is retired and points to the target).

use crate::beneficiaire::{normaliser, Beneficiaire, Fiche};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use strsim::jaro_winkler;

/// Two names this close (Jaro-Winkler, 0 to 1) may be one person typed
/// twice ("Dupont" / "Dupond").
const SIMILARITE_MIN: f64 = 0.9;
/// Each of prénom and nom must be at least this close.
const SIMILARITE_PARTIE_MIN: f64 = 0.8;

/// Two beneficiaries of one mediator that may be the same person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaireDoublon {
    /// The older record (see [`survivant_propose`]), then the other.
    pub a: String,
    pub b: String,
    /// 0 to 100: how sure the detection is.
    pub score: u8,
    /// French reasons ("Noms identiques", "Même année de naissance"…).
    pub raisons: Vec<&'static str>,
}

struct Cle<'a> {
    fiche: &'a Fiche,
    prenom: String,
    nom: String,
}

/// Pairs of active followed beneficiaries with the same owner whose names
/// are equal or very close once normalised (prénom and nom swapped
/// included), corroborated by the same birth year, commune or phone, and
/// not contradicted by two different birth years. Best score first.
pub fn detecter_doublons(fiches: &[Fiche]) -> Vec<PaireDoublon> {
    let mut par_mediateur: HashMap<&str, Vec<Cle>> = HashMap::new();
    for f in fiches.iter().filter(|f| f.est_active()) {
        let (Some(p), Some(n)) = (&f.beneficiaire.prenom, &f.beneficiaire.nom) else {
            continue;
        };
        par_mediateur
            .entry(f.mediateur_id.as_str())
            .or_default()
            .push(Cle {
                fiche: f,
                prenom: normaliser(p),
                nom: normaliser(n),
            });
    }
    let mut paires = Vec::new();
    for cles in par_mediateur.values() {
        for (i, x) in cles.iter().enumerate() {
            for y in &cles[i + 1..] {
                if x.fiche.id == y.fiche.id {
                    continue;
                }
                if let Some(p) = comparer(x, y) {
                    paires.push(p);
                }
            }
        }
    }
    paires.sort_by(|p, q| {
        q.score
            .cmp(&p.score)
            .then_with(|| p.a.cmp(&q.a))
            .then_with(|| p.b.cmp(&q.b))
    });
    paires
}

fn comparer(x: &Cle, y: &Cle) -> Option<PaireDoublon> {
    let (bx, by) = (&x.fiche.beneficiaire, &y.fiche.beneficiaire);
    if let (Some(a), Some(b)) = (bx.annee_naissance, by.annee_naissance) {
        if a != b {
            return None;
        }
    }
    let direct = (
        jaro_winkler(&x.prenom, &y.prenom),
        jaro_winkler(&x.nom, &y.nom),
    );
    let croise = (
        jaro_winkler(&x.prenom, &y.nom),
        jaro_winkler(&x.nom, &y.prenom),
    );
    let meilleur = |(p, n): (f64, f64)| (p + n) / 2.0;
    let (p, n) = if meilleur(croise) > meilleur(direct) {
        croise
    } else {
        direct
    };
    let similarite = (p + n) / 2.0;
    if similarite < SIMILARITE_MIN || p.min(n) < SIMILARITE_PARTIE_MIN {
        return None;
    }
    let mut raisons = vec![if similarite >= 1.0 {
        "Noms identiques"
    } else {
        "Noms proches"
    }];
    let memes = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    let mut corroborations = 0u8;
    if bx.annee_naissance.is_some() && bx.annee_naissance == by.annee_naissance {
        raisons.push("Même année de naissance");
        corroborations += 1;
    }
    if memes(&bx.commune_code_insee, &by.commune_code_insee) {
        raisons.push("Même commune");
        corroborations += 1;
    }
    if memes(&bx.telephone, &by.telephone) {
        raisons.push("Même téléphone");
        corroborations += 1;
    }
    if corroborations == 0 {
        return None;
    }
    // Name similarity gives up to 70 points, each corroboration 10.
    let score = (similarite * 70.0).round() as u8 + 10 * corroborations;
    let (a, b) = if std::ptr::eq(survivant_propose(x.fiche, y.fiche), x.fiche) {
        (x.fiche, y.fiche)
    } else {
        (y.fiche, x.fiche)
    };
    Some(PaireDoublon {
        a: a.id.clone(),
        b: b.id.clone(),
        score: score.min(100),
        raisons,
    })
}

/// The record a merge keeps by default: the older one (it carries the
/// longer history), the smaller id on a tie.
pub fn survivant_propose<'a>(a: &'a Fiche, b: &'a Fiche) -> &'a Fiche {
    if (a.cree_le, &a.id) <= (b.cree_le, &b.id) {
        a
    } else {
        b
    }
}

/// What a merge does: `absorbe`'s activity records move to `survivant`,
/// which becomes `resultat`; `absorbe` is anonymised and points to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanFusion {
    pub mediateur_id: String,
    pub survivant: String,
    pub absorbe: String,
    pub resultat: Beneficiaire,
    pub consentement_le: Option<DateTime<Utc>>,
    pub derniere_activite_le: Option<NaiveDate>,
    /// Labels of the fields taken from `absorbe`.
    pub champs_repris: Vec<&'static str>,
}

/// Why two records cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurFusion {
    #[error("Un bénéficiaire ne peut pas être fusionné avec lui-même.")]
    MemeFiche,
    #[error("Ces deux bénéficiaires ne sont pas suivis par le même médiateur.")]
    ProprietairesDifferents,
    #[error("L'un de ces bénéficiaires a déjà été supprimé ou fusionné.")]
    Inactive,
}

/// The merge of `absorbe` into `survivant`: the survivor keeps every value
/// it has and takes the missing ones from the other. The identity (prénom
/// and nom, with its consent date) is taken as a whole; contact, birth year
/// and notes only when the result is a followed beneficiary.
pub fn planifier_fusion(survivant: &Fiche, absorbe: &Fiche) -> Result<PlanFusion, ErreurFusion> {
    if survivant.id == absorbe.id {
        return Err(ErreurFusion::MemeFiche);
    }
    if survivant.mediateur_id != absorbe.mediateur_id {
        return Err(ErreurFusion::ProprietairesDifferents);
    }
    if !survivant.est_active() || !absorbe.est_active() {
        return Err(ErreurFusion::Inactive);
    }
    let (s, a) = (&survivant.beneficiaire, &absorbe.beneficiaire);
    let mut r = s.clone();
    let mut repris = Vec::new();
    let mut consentement_le = survivant.consentement_le;
    if !s.est_suivi() && a.est_suivi() {
        r.prenom = a.prenom.clone();
        r.nom = a.nom.clone();
        consentement_le = absorbe.consentement_le;
        repris.extend(["Prénom", "Nom"]);
    }
    fn completer<T: Clone>(
        cible: &mut Option<T>,
        source: &Option<T>,
        libelle: &'static str,
        repris: &mut Vec<&'static str>,
    ) {
        if cible.is_none() && source.is_some() {
            *cible = source.clone();
            repris.push(libelle);
        }
    }
    if r.est_suivi() {
        completer(&mut r.telephone, &a.telephone, "Téléphone", &mut repris);
        completer(&mut r.email, &a.email, "E-mail", &mut repris);
        completer(
            &mut r.annee_naissance,
            &a.annee_naissance,
            "Année de naissance",
            &mut repris,
        );
        completer(&mut r.notes, &a.notes, "Notes", &mut repris);
    }
    completer(
        &mut r.commune_code_insee,
        &a.commune_code_insee,
        "Commune",
        &mut repris,
    );
    if r.annee_naissance.is_none() || s.annee_naissance.is_some() {
        completer(
            &mut r.tranche_age,
            &a.tranche_age,
            "Tranche d'âge",
            &mut repris,
        );
    } else if a.tranche_age.is_some() {
        // The birth year came from the other record: so does its bracket.
        r.tranche_age = a.tranche_age;
        repris.push("Tranche d'âge");
    }
    completer(&mut r.genre, &a.genre, "Genre", &mut repris);
    completer(
        &mut r.statut_social,
        &a.statut_social,
        "Statut du bénéficiaire",
        &mut repris,
    );
    Ok(PlanFusion {
        mediateur_id: survivant.mediateur_id.clone(),
        survivant: survivant.id.clone(),
        absorbe: absorbe.id.clone(),
        resultat: r,
        consentement_le,
        derniere_activite_le: survivant
            .derniere_activite_le
            .max(absorbe.derniere_activite_le),
        champs_repris: repris,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beneficiaire::{valider, BeneficiaireSaisie};
    use chrono::TimeZone;

    pub(crate) fn fiche(id: &str, med: &str, s: BeneficiaireSaisie, jour: u32) -> Fiche {
        let cree = Utc
            .with_ymd_and_hms(2024, 1, jour, 9, 0, 0)
            .single()
            .expect("date");
        Fiche {
            id: id.into(),
            mediateur_id: med.into(),
            consentement_le: s.consentement.then_some(cree),
            beneficiaire: valider(&s, 2025).expect("valide"),
            derniere_activite_le: None,
            cree_le: cree,
            modifie_le: cree,
            anonymise_le: None,
            fusionne_vers: None,
        }
    }

    fn personne(prenom: &str, nom: &str, annee: &str, commune: &str) -> BeneficiaireSaisie {
        BeneficiaireSaisie {
            prenom: prenom.into(),
            nom: nom.into(),
            annee_naissance: annee.into(),
            commune: commune.into(),
            consentement: true,
            ..Default::default()
        }
    }

    #[test]
    fn detecte_les_noms_proches_corrobores() {
        let fiches = vec![
            fiche("b", "m1", personne("Jeanne", "Dupont", "1950", ""), 2),
            fiche("a", "m1", personne("Jeanne", "Dupond", "1950", ""), 1),
            // Same name, no corroboration: not proposed.
            fiche("c", "m1", personne("Jeanne", "Dupont", "", ""), 3),
            // Same person for another mediator: never paired across owners.
            fiche("d", "m2", personne("Jeanne", "Dupont", "1950", ""), 1),
            // Same name, another birth year: another person.
            fiche("e", "m1", personne("Jeanne", "Dupont", "1980", ""), 4),
            // Swapped prénom and nom, same commune.
            fiche("f", "m1", personne("Martin", "Paul", "", "33063"), 5),
            fiche("g", "m1", personne("Paul", "Martin", "", "33063"), 6),
        ];
        let paires = detecter_doublons(&fiches);
        let ids: Vec<(&str, &str)> = paires
            .iter()
            .map(|p| (p.a.as_str(), p.b.as_str()))
            .collect();
        assert_eq!(ids, [("f", "g"), ("a", "b")], "{paires:?}");
        assert_eq!(
            paires[1].raisons,
            ["Noms proches", "Même année de naissance"]
        );
        assert!(paires[0].score >= 80);
    }

    #[test]
    fn la_fusion_complete_sans_ecraser() {
        let mut s = personne("Jeanne", "Dupont", "", "");
        s.telephone = "0612345678".into();
        let mut a = personne("Jeanne", "Dupond", "1950", "33063");
        a.telephone = "0700000000".into();
        a.genre = "Feminin".into();
        let survivant = fiche("s", "m1", s, 1);
        let absorbe = fiche("a", "m1", a, 2);
        let plan = planifier_fusion(&survivant, &absorbe).expect("plan");
        assert_eq!(plan.resultat.nom.as_deref(), Some("Dupont"));
        assert_eq!(plan.resultat.telephone.as_deref(), Some("0612345678"));
        assert_eq!(plan.resultat.annee_naissance, Some(1950));
        assert_eq!(plan.resultat.commune_code_insee.as_deref(), Some("33063"));
        assert_eq!(
            plan.champs_repris,
            ["Année de naissance", "Commune", "Tranche d'âge", "Genre"]
        );
        assert_eq!(
            planifier_fusion(&survivant, &survivant),
            Err(ErreurFusion::MemeFiche)
        );
        let autre = fiche("x", "m2", personne("A", "B", "", ""), 1);
        assert_eq!(
            planifier_fusion(&survivant, &autre),
            Err(ErreurFusion::ProprietairesDifferents)
        );
    }

    #[test]
    fn un_anonyme_prend_l_identite_et_le_consentement() {
        let anonyme = fiche(
            "s",
            "m1",
            BeneficiaireSaisie {
                genre: "Masculin".into(),
                ..Default::default()
            },
            1,
        );
        let suivi = fiche("a", "m1", personne("Paul", "Martin", "1990", ""), 2);
        let plan = planifier_fusion(&anonyme, &suivi).expect("plan");
        assert!(plan.resultat.est_suivi());
        assert_eq!(plan.consentement_le, suivi.consentement_le);
        assert_eq!(plan.resultat.genre, anonyme.beneficiaire.genre);
    }
}
