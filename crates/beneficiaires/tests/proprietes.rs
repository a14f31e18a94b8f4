//! Properties: no input makes the domain panic, validation is stable, an
//! anonymised beneficiary holds no personal data, a merge never overwrites
//! the survivor.

use chrono::{TimeZone, Utc};
use maillage_beneficiaires::*;
use proptest::prelude::*;

fn saisie() -> impl Strategy<Value = BeneficiaireSaisie> {
    let texte = prop_oneof![
        Just(String::new()),
        "[A-Za-zéèÉ' -]{0,12}",
        "[0-9 +.]{0,16}",
        any::<String>(),
    ];
    (
        (texte.clone(), texte.clone(), texte.clone(), texte.clone()),
        (texte.clone(), texte.clone(), texte.clone(), texte.clone()),
        (texte.clone(), texte, any::<bool>()),
    )
        .prop_map(
            |(
                (prenom, nom, telephone, email),
                (commune, annee, tranche, genre),
                (statut, notes, c),
            )| {
                BeneficiaireSaisie {
                    prenom,
                    nom,
                    telephone,
                    email,
                    commune,
                    annee_naissance: annee,
                    tranche_age: tranche,
                    genre,
                    statut_social: statut,
                    notes,
                    consentement: c,
                }
            },
        )
}

fn fiche(id: &str, b: Beneficiaire, jour: u32) -> Fiche {
    let cree = Utc
        .with_ymd_and_hms(2024, 1, jour, 0, 0, 0)
        .single()
        .expect("date");
    Fiche {
        id: id.to_string(),
        mediateur_id: "m".to_string(),
        consentement_le: b.est_suivi().then_some(cree),
        beneficiaire: b,
        derniere_activite_le: None,
        cree_le: cree,
        modifie_le: cree,
        anonymise_le: None,
        fusionne_vers: None,
    }
}

proptest! {
    #[test]
    fn valider_ne_panique_pas_et_est_stable(s in saisie(), annee in 1800i32..2200) {
        match valider(&s, annee) {
            Ok(b) => {
                // Consent is what allows identity and contact.
                prop_assert_eq!(b.est_suivi(), s.consentement);
                if !s.consentement {
                    prop_assert!(!b.a_des_donnees_personnelles());
                }
                // What was stored validates back to itself.
                prop_assert_eq!(valider(&BeneficiaireSaisie::from(&b), annee), Ok(b.clone()));
                let a = anonymiser(&b, annee);
                prop_assert!(!a.a_des_donnees_personnelles());
                prop_assert_eq!(a.genre, b.genre);
            }
            Err(erreurs) => {
                prop_assert!(!erreurs.is_empty());
                for e in erreurs {
                    prop_assert!(e.message.starts_with(libelle_champ(e.champ)));
                }
            }
        }
    }

    #[test]
    fn normaliser_est_idempotent(t in any::<String>()) {
        let n = normaliser(&t);
        prop_assert_eq!(normaliser(&n), n.clone());
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' '));
    }

    #[test]
    fn importer_ne_panique_sur_aucun_octet(octets in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = importer("x.csv", &octets, 2025);
        let _ = importer("x.xlsx", &octets, 2025);
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&octets);
        let _ = importer("x.xlsx", &zip, 2025);
    }

    #[test]
    fn importer_un_csv_quelconque(lignes in proptest::collection::vec(
        proptest::collection::vec("[^\n]{0,10}", 0..5), 0..8)) {
        let mut texte = String::from("Prénom;Nom;Téléphone;Consentement;Genre\n");
        for l in &lignes {
            texte.push_str(&l.join(";"));
            texte.push('\n');
        }
        if let Err(erreurs) = importer("x.csv", texte.as_bytes(), 2025) {
            for e in erreurs {
                prop_assert!(e.to_string().starts_with("x.csv"));
                if let Some(l) = e.ligne {
                    prop_assert!(l >= 2 && l <= lignes.len() + 1, "{}", e);
                }
            }
        }
    }

    #[test]
    fn fusion_et_doublons(a in saisie(), b in saisie()) {
        let (Ok(a), Ok(b)) = (valider(&a, 2025), valider(&b, 2025)) else {
            return Ok(());
        };
        let (fa, fb) = (fiche("a", a.clone(), 1), fiche("b", b, 2));
        let plan = planifier_fusion(&fa, &fb).expect("plan");
        // The survivor's values are never overwritten.
        if a.est_suivi() {
            prop_assert_eq!(&plan.resultat.prenom, &a.prenom);
            prop_assert_eq!(&plan.resultat.telephone, &a.telephone);
        }
        prop_assert_eq!(plan.resultat.genre.is_some(), a.genre.is_some() || fb.beneficiaire.genre.is_some());
        if a.genre.is_some() {
            prop_assert_eq!(plan.resultat.genre, a.genre);
        }
        // Contact only with an identity.
        if !plan.resultat.est_suivi() {
            prop_assert!(!plan.resultat.a_des_donnees_personnelles());
        }
        let paires = detecter_doublons(&[fa.clone(), fb.clone()]);
        let inverses = detecter_doublons(&[fb, fa]);
        prop_assert_eq!(paires, inverses);
    }
}
