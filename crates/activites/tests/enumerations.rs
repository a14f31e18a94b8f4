//! Codes, labels and counts of every enumeration, checked against
//! docs/workspace-and-pilotage.md §1.2 and §1.4.

use std::collections::HashSet;
use std::fmt::Debug;
use std::str::FromStr;

use maillage_activites::*;
use serde::{de::DeserializeOwned, Serialize};

/// Every value: unique code and label, code round-trips through FromStr
/// and serde_json (as the bare JSON string of the code), label non-empty.
fn verifier<T>(all: &[T], code: fn(T) -> &'static str, libelle: fn(T) -> &'static str)
where
    T: Copy + Eq + Debug + Serialize + DeserializeOwned + FromStr,
    <T as FromStr>::Err: Debug,
{
    let codes: HashSet<_> = all.iter().map(|v| code(*v)).collect();
    let libelles: HashSet<_> = all.iter().map(|v| libelle(*v)).collect();
    assert_eq!(codes.len(), all.len(), "codes en double");
    assert_eq!(libelles.len(), all.len(), "libellés en double");
    for v in all {
        assert!(!libelle(*v).trim().is_empty());
        let json = serde_json::to_string(v).expect("sérialisable");
        assert_eq!(json, format!("\"{}\"", code(*v)));
        let relu: T = serde_json::from_str(&json).expect("désérialisable");
        assert_eq!(relu, *v);
        assert_eq!(T::from_str(code(*v)).expect("code connu"), *v);
    }
}

#[test]
fn chaque_enumeration_a_des_codes_et_libelles_uniques_qui_font_l_aller_retour() {
    verifier(TypeActivite::ALL, TypeActivite::code, TypeActivite::libelle);
    verifier(TypeLieu::ALL, TypeLieu::code, TypeLieu::libelle);
    verifier(Materiel::ALL, Materiel::code, Materiel::libelle);
    verifier(Thematique::ALL, Thematique::code, Thematique::libelle);
    verifier(Autonomie::ALL, Autonomie::code, Autonomie::libelle);
    verifier(
        NiveauAtelier::ALL,
        NiveauAtelier::code,
        NiveauAtelier::libelle,
    );
    verifier(
        StructureDeRedirection::ALL,
        StructureDeRedirection::code,
        StructureDeRedirection::libelle,
    );
    verifier(Genre::ALL, Genre::code, Genre::libelle);
    verifier(TrancheAge::ALL, TrancheAge::code, TrancheAge::libelle);
    verifier(StatutSocial::ALL, StatutSocial::code, StatutSocial::libelle);
    verifier(DureePreset::ALL, DureePreset::code, DureePreset::libelle);
}

#[test]
fn nombres_de_valeurs_du_document() {
    assert_eq!(TypeActivite::ALL.len(), 2);
    assert_eq!(TypeLieu::ALL.len(), 4);
    assert_eq!(Materiel::ALL.len(), 5);
    assert_eq!(Thematique::MEDIATION_NUMERIQUE.len(), 19);
    assert_eq!(Thematique::DEMARCHES_ADMINISTRATIVES.len(), 11);
    assert_eq!(Thematique::ALL.len(), 30);
    assert_eq!(Autonomie::ALL.len(), 3);
    assert_eq!(NiveauAtelier::ALL.len(), 3);
    assert_eq!(StructureDeRedirection::ALL.len(), 7);
    assert_eq!(Genre::ALL.len(), 3);
    assert_eq!(TrancheAge::ALL.len(), 8);
    assert_eq!(StatutSocial::ALL.len(), 5);
    assert_eq!(DureePreset::ALL.len(), 6);
    assert_eq!(TrancheDuree::ALL.len(), 4);
    assert_eq!(Thematique::iter().count(), Thematique::ALL.len());
}

#[test]
fn les_familles_de_thematiques_se_partagent_l_enumeration() {
    for t in Thematique::MEDIATION_NUMERIQUE {
        assert!(!t.est_administrative(), "{t:?}");
    }
    for t in Thematique::DEMARCHES_ADMINISTRATIVES {
        assert!(t.est_administrative(), "{t:?}");
    }
    // The gateway thématique belongs to médiation numérique, last of it.
    assert_eq!(
        Thematique::MEDIATION_NUMERIQUE.last(),
        Some(&Thematique::AideAuxDemarchesAdministratives)
    );
    assert_eq!(
        Thematique::DEMARCHES_ADMINISTRATIVES.first(),
        Some(&Thematique::PapiersElectionsCitoyennete)
    );
    assert_eq!(
        Thematique::DEMARCHES_ADMINISTRATIVES.last(),
        Some(&Thematique::Associations)
    );
}

#[test]
fn quelques_codes_et_libelles_du_document() {
    assert_eq!(TypeActivite::Individuel.code(), "individuel");
    assert_eq!(TypeActivite::Collectif.libelle(), "Atelier collectif");
    assert_eq!(TypeLieu::ADistance.libelle(), "À distance");
    assert_eq!(Materiel::Aucun.libelle(), "Pas de matériel");
    assert_eq!(
        Thematique::Entrepreneuriat.libelle(),
        "Accompagner un professionnel"
    );
    assert_eq!(
        Thematique::TravailFormation.libelle(),
        "Travail - Formation - Entreprise"
    );
    assert_eq!(Autonomie::EntierementAccompagne.libelle(), "Avec guidage");
    assert_eq!(TrancheAge::DouzeDixHuit.libelle(), "12 - 17 ans");
    assert_eq!(
        StatutSocial::NonCommunique.libelle(),
        "Non communiqué ou hétérogène"
    );
    assert_eq!(Genre::Feminin.to_string(), "Féminin");
}

#[test]
fn un_code_inconnu_est_refuse_avec_son_enumeration() {
    // Codes are exact: neither the label, nor another case, nor the
    // Postgres spelling is a code.
    let e = Thematique::from_str("Santé").expect_err("libellé, pas un code");
    assert_eq!(e.enumeration, "Thematique");
    assert_eq!(e.code, "Santé");
    assert!(e.to_string().contains("Santé"));
    assert!(TypeActivite::from_str("Individuel").is_err());
    assert!(TypeLieu::from_str("lieu_activite").is_err());
    assert!(DureePreset::from_str("personnaliser").is_err());
    assert!(serde_json::from_str::<Materiel>("\"ordinateur\"").is_err());
}
