//! Beneficiaries in the store, on SQLite and PostgreSQL: round trip, owner
//! isolation, anonymisation, merge (activity records rewritten), retention
//! boundary, atomic import.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store --test conformance_beneficiaires`

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use maillage_activites::{
    valider as valider_activite, Activite, ActiviteSaisie, Beneficiaire as BeneficiaireActivite,
    DureeSaisie, ParticipantsAnonymes, Thematique, TypeActivite, TypeLieu,
};
use maillage_beneficiaires::{
    limite_retention, planifier_fusion, valider, Beneficiaire, BeneficiaireSaisie,
};
use maillage_store::{FiltreBeneficiaires, NouveauBeneficiaire, NouvelleActivite, StoreError};

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, Ctx};

conformance!(
    aller_retour,
    isolation_et_recherche,
    anonymisation_journalisee,
    fusion_reecrit_les_activites,
    retention_a_la_borne,
    import_atomique,
);

fn t(a: i32, m: u32, j: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(a, m, j, 9, 0, 0)
        .single()
        .expect("date")
}

fn d(a: i32, m: u32, j: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(a, m, j).expect("date")
}

fn suivi(prenom: &str, nom: &str) -> Beneficiaire {
    valider(
        &BeneficiaireSaisie {
            prenom: prenom.into(),
            nom: nom.into(),
            telephone: "06 12 34 56 78".into(),
            email: "Personne@Exemple.fr".into(),
            commune: "33063".into(),
            annee_naissance: "1950".into(),
            genre: "Feminin".into(),
            statut_social: "Retraite".into(),
            notes: "Préfère « le matin »\nligne 2".into(),
            consentement: true,
            ..Default::default()
        },
        2025,
    )
    .expect("valide")
}

fn anonyme() -> Beneficiaire {
    valider(
        &BeneficiaireSaisie {
            tranche_age: "DixHuitVingtQuatre".into(),
            genre: "Masculin".into(),
            ..Default::default()
        },
        2025,
    )
    .expect("valide")
}

async fn creer(ctx: &Ctx, mediateur: &str, b: Beneficiaire, le: DateTime<Utc>) -> String {
    ctx.store
        .creer_beneficiaire(&NouveauBeneficiaire {
            mediateur_id: mediateur.into(),
            beneficiaire: b,
            cree_le: le,
        })
        .await
        .expect("création")
}

fn filtre(mediateur: &str, recherche: Option<&str>) -> FiltreBeneficiaires {
    FiltreBeneficiaires {
        mediateur_id: mediateur.into(),
        recherche: recherche.map(str::to_string),
        page: 1,
        par_page: 50,
    }
}

async fn aller_retour(ctx: &Ctx) {
    let b = suivi("Hélène", "Dupont-Éluard");
    let id = creer(ctx, "m1", b.clone(), t(2025, 3, 1)).await;
    let f = ctx
        .store
        .beneficiaire(&id)
        .await
        .expect("lecture")
        .expect("présent");
    assert_eq!(f.beneficiaire, b);
    assert_eq!(f.mediateur_id, "m1");
    assert_eq!(f.consentement_le, Some(t(2025, 3, 1)));
    assert_eq!(f.cree_le, t(2025, 3, 1));
    assert!(f.est_active());
    assert_eq!(
        ctx.store.beneficiaire("inconnu").await.expect("lecture"),
        None
    );

    // Anonymous: no consent date; becoming followed dates it at the edit.
    let a = creer(ctx, "m1", anonyme(), t(2025, 3, 1)).await;
    let fa = ctx
        .store
        .beneficiaire(&a)
        .await
        .expect("lecture")
        .expect("présent");
    assert_eq!(fa.consentement_le, None);
    assert_eq!(fa.beneficiaire, anonyme());
    ctx.store
        .modifier_beneficiaire(&a, &suivi("Paul", "Martin"), t(2025, 3, 5))
        .await
        .expect("modification");
    let fa = ctx
        .store
        .beneficiaire(&a)
        .await
        .expect("lecture")
        .expect("présent");
    assert_eq!(fa.consentement_le, Some(t(2025, 3, 5)));
    assert_eq!(fa.modifie_le, t(2025, 3, 5));
    // A later edit keeps the consent date; dropping the identity drops it.
    ctx.store
        .modifier_beneficiaire(&a, &suivi("Paul", "Martin"), t(2025, 3, 6))
        .await
        .expect("modification");
    let fa = ctx
        .store
        .beneficiaire(&a)
        .await
        .expect("lecture")
        .expect("présent");
    assert_eq!(fa.consentement_le, Some(t(2025, 3, 5)));
    ctx.store
        .modifier_beneficiaire(&a, &anonyme(), t(2025, 3, 7))
        .await
        .expect("modification");
    let fa = ctx
        .store
        .beneficiaire(&a)
        .await
        .expect("lecture")
        .expect("présent");
    assert_eq!(fa.consentement_le, None);

    // Personal data without identity is refused by the store itself.
    let mut interdit = anonyme();
    interdit.telephone = Some("0612345678".into());
    let e = ctx
        .store
        .creer_beneficiaire(&NouveauBeneficiaire {
            mediateur_id: "m1".into(),
            beneficiaire: interdit,
            cree_le: t(2025, 3, 1),
        })
        .await
        .expect_err("refusé");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    let e = ctx
        .store
        .modifier_beneficiaire("inconnu", &anonyme(), t(2025, 3, 1))
        .await
        .expect_err("introuvable");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
}

async fn isolation_et_recherche(ctx: &Ctx) {
    let dupont = creer(ctx, "m1", suivi("Jean", "Dupont"), t(2025, 1, 1)).await;
    let durand = creer(ctx, "m1", suivi("Émilie", "Durand"), t(2025, 1, 2)).await;
    let anonyme_m1 = creer(ctx, "m1", anonyme(), t(2025, 1, 3)).await;
    let autre = creer(ctx, "m2", suivi("Jean", "Dupont"), t(2025, 1, 1)).await;

    let page = ctx
        .store
        .beneficiaires(&filtre("m1", None))
        .await
        .expect("liste");
    let ids: Vec<&str> = page.beneficiaires.iter().map(|f| f.id.as_str()).collect();
    // Followed by nom, then anonymous ones; never another mediator's.
    assert_eq!(ids, [dupont.as_str(), durand.as_str(), anonyme_m1.as_str()]);
    assert_eq!(page.total, 3);

    for (q, attendu) in [
        ("du", vec![dupont.as_str(), durand.as_str()]),
        ("DUP", vec![dupont.as_str()]),
        ("emil", vec![durand.as_str()]),
        ("durand emilie", vec![durand.as_str()]),
        ("jean dup", vec![dupont.as_str()]),
        ("pont", vec![]),
        (
            "%",
            vec![dupont.as_str(), durand.as_str(), anonyme_m1.as_str()],
        ),
    ] {
        let page = ctx
            .store
            .beneficiaires(&filtre("m1", Some(q)))
            .await
            .expect("recherche");
        let ids: Vec<&str> = page.beneficiaires.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, attendu, "recherche « {q} »");
    }
    let m2 = ctx
        .store
        .beneficiaires(&filtre("m2", Some("jean")))
        .await
        .expect("m2");
    assert_eq!(m2.beneficiaires.len(), 1);
    assert_eq!(m2.beneficiaires[0].id, autre);

    // Paging.
    let mut f = filtre("m1", None);
    f.par_page = 2;
    f.page = 2;
    let p2 = ctx.store.beneficiaires(&f).await.expect("page 2");
    assert_eq!(p2.total, 3);
    assert_eq!(p2.beneficiaires.len(), 1);
    f.par_page = 0;
    assert!(ctx.store.beneficiaires(&f).await.is_err());

    let actifs = ctx.store.beneficiaires_actifs("m1").await.expect("actifs");
    assert_eq!(actifs.len(), 3);
}

async fn anonymisation_journalisee(ctx: &Ctx) {
    let id = creer(ctx, "m1", suivi("Jean", "Dupont"), t(2025, 1, 1)).await;
    assert!(ctx
        .store
        .anonymiser_beneficiaire(&id, "m1", t(2025, 2, 1))
        .await
        .expect("anonymisation"));
    let f = ctx
        .store
        .beneficiaire(&id)
        .await
        .expect("lecture")
        .expect("gardé");
    assert!(!f.beneficiaire.a_des_donnees_personnelles());
    assert_eq!(f.consentement_le, None);
    assert_eq!(f.anonymise_le, Some(t(2025, 2, 1)));
    // Demographics stay for statistics.
    assert_eq!(f.beneficiaire.genre, suivi("a", "b").genre);
    assert!(f.beneficiaire.tranche_age.is_some());
    assert_eq!(f.beneficiaire.commune_code_insee.as_deref(), Some("33063"));
    // Gone from the list and from search.
    let page = ctx
        .store
        .beneficiaires(&filtre("m1", None))
        .await
        .expect("liste");
    assert_eq!(page.total, 0);
    // Idempotent, journaled once, without personal data.
    assert!(!ctx
        .store
        .anonymiser_beneficiaire(&id, "m1", t(2025, 2, 2))
        .await
        .expect("déjà"));
    let journal = ctx.store.journal(50, None).await.expect("journal");
    let entrees: Vec<_> = journal
        .iter()
        .filter(|e| e.action == "anonymisation_beneficiaire")
        .collect();
    assert_eq!(entrees.len(), 1);
    assert_eq!(entrees[0].cible.as_deref(), Some(id.as_str()));
    assert_eq!(entrees[0].acteur_id.as_deref(), Some("m1"));
    assert!(!entrees[0].details.to_string().contains("Dupont"));
    let e = ctx
        .store
        .anonymiser_beneficiaire("inconnu", "m1", t(2025, 2, 1))
        .await
        .expect_err("introuvable");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    // An anonymised beneficiary cannot be edited any more.
    assert!(ctx
        .store
        .modifier_beneficiaire(&id, &suivi("Jean", "Dupont"), t(2025, 2, 3))
        .await
        .is_err());
}

fn individuel(beneficiaire: &str) -> Activite {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(d(2025, 2, 10));
    s.duree = Some(DureeSaisie::Minutes(30));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::Email];
    s.beneficiaire = Some(BeneficiaireActivite::Suivi {
        id: beneficiaire.to_string(),
    });
    valider_activite(&s, d(2025, 3, 11)).expect("activité valide")
}

fn atelier(participants: &[&str]) -> Activite {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    s.date = Some(d(2025, 2, 12));
    s.duree = Some(DureeSaisie::Minutes(60));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::Email];
    s.titre_atelier = Some("Courriel".into());
    s.participants = participants.iter().map(|p| p.to_string()).collect();
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 1,
        ..Default::default()
    });
    valider_activite(&s, d(2025, 3, 11)).expect("activité valide")
}

async fn enregistrer(ctx: &Ctx, mediateur: &str, a: Activite) -> String {
    ctx.store
        .enregistrer_activite(&NouvelleActivite {
            demographies_suivies: Vec::new(),
            mediateur_id: mediateur.into(),
            structure_id: None,
            departement: None,
            activite: a,
            cree_le: t(2025, 2, 20),
        })
        .await
        .expect("activité")
}

async fn fusion_reecrit_les_activites(ctx: &Ctx) {
    let mut ancien = suivi("Jeanne", "Dupont");
    ancien.telephone = None;
    let survivant = creer(ctx, "m1", ancien, t(2025, 1, 1)).await;
    let absorbe = creer(ctx, "m1", suivi("Jeanne", "Dupond"), t(2025, 1, 5)).await;
    let tiers = creer(ctx, "m1", suivi("Paul", "Martin"), t(2025, 1, 6)).await;
    ctx.store
        .marquer_activite(std::slice::from_ref(&absorbe), d(2025, 2, 12))
        .await
        .expect("marque");

    let a1 = enregistrer(ctx, "m1", individuel(&absorbe)).await;
    let a2 = enregistrer(ctx, "m1", atelier(&[&absorbe, &tiers])).await;
    let a3 = enregistrer(ctx, "m1", atelier(&[&survivant, &absorbe])).await;
    let a4 = enregistrer(ctx, "m1", individuel(&tiers)).await;
    // Another mediator's record that (wrongly) names the id stays as is.
    let a5 = enregistrer(ctx, "m2", individuel(&absorbe)).await;

    let fs = ctx
        .store
        .beneficiaire(&survivant)
        .await
        .expect("l")
        .expect("s");
    let fa = ctx
        .store
        .beneficiaire(&absorbe)
        .await
        .expect("l")
        .expect("a");
    let plan = planifier_fusion(&fs, &fa).expect("plan");
    let n = ctx
        .store
        .fusionner_beneficiaires(&plan, "m1", t(2025, 3, 1))
        .await
        .expect("fusion");
    assert_eq!(n, 3);

    let fs = ctx
        .store
        .beneficiaire(&survivant)
        .await
        .expect("l")
        .expect("s");
    assert_eq!(fs.beneficiaire.nom.as_deref(), Some("Dupont"));
    // The missing phone came from the absorbed record.
    assert_eq!(fs.beneficiaire.telephone.as_deref(), Some("0612345678"));
    assert_eq!(fs.derniere_activite_le, Some(d(2025, 2, 12)));
    let fa = ctx
        .store
        .beneficiaire(&absorbe)
        .await
        .expect("l")
        .expect("a");
    assert_eq!(fa.fusionne_vers.as_deref(), Some(survivant.as_str()));
    assert!(fa.anonymise_le.is_some());
    assert!(!fa.beneficiaire.a_des_donnees_personnelles());

    let lire = |id: String| {
        let store = ctx.store.clone();
        async move {
            store
                .activite(&id)
                .await
                .expect("lecture")
                .expect("activité")
        }
    };
    let r1 = lire(a1).await;
    assert_eq!(
        r1.saisie.beneficiaire,
        Some(BeneficiaireActivite::Suivi {
            id: survivant.clone()
        })
    );
    let r2 = lire(a2).await;
    assert_eq!(r2.saisie.participants, [survivant.clone(), tiers.clone()]);
    assert_eq!(r2.accompagnements, 3);
    // Both were in the workshop: one participant less.
    let r3 = lire(a3).await;
    assert_eq!(r3.saisie.participants, std::slice::from_ref(&survivant));
    assert_eq!(r3.accompagnements, 2);
    let r4 = lire(a4).await;
    assert_eq!(
        r4.saisie.beneficiaire,
        Some(BeneficiaireActivite::Suivi { id: tiers.clone() })
    );
    let r5 = lire(a5).await;
    assert_eq!(
        r5.saisie.beneficiaire,
        Some(BeneficiaireActivite::Suivi {
            id: absorbe.clone()
        })
    );

    let journal = ctx.store.journal(50, None).await.expect("journal");
    let fusion = journal
        .iter()
        .find(|e| e.action == "fusion_beneficiaires")
        .expect("journalisée");
    assert_eq!(fusion.cible.as_deref(), Some(survivant.as_str()));
    assert_eq!(fusion.details["absorbe"], absorbe.as_str());

    // A second merge of the same plan finds the absorbed record gone and
    // changes nothing.
    let e = ctx
        .store
        .fusionner_beneficiaires(&plan, "m1", t(2025, 3, 2))
        .await
        .expect_err("déjà fusionné");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    let fs2 = ctx
        .store
        .beneficiaire(&survivant)
        .await
        .expect("l")
        .expect("s");
    assert_eq!(fs2.modifie_le, t(2025, 3, 1));
    // A plan naming another owner changes nothing either.
    let mut faux = plan.clone();
    faux.absorbe = tiers.clone();
    faux.mediateur_id = "m2".into();
    assert!(ctx
        .store
        .fusionner_beneficiaires(&faux, "m2", t(2025, 3, 2))
        .await
        .is_err());
    let ft = ctx.store.beneficiaire(&tiers).await.expect("l").expect("t");
    assert!(ft.est_active());
}

async fn retention_a_la_borne(ctx: &Ctx) {
    let maintenant = t(2025, 3, 11);
    let limite = limite_retention(maintenant.date_naive(), 24).expect("limite");
    assert_eq!(limite, d(2023, 3, 11));
    // Last activity exactly 24 months ago: kept today.
    let borne = creer(ctx, "m1", suivi("A", "Borne"), t(2022, 1, 1)).await;
    // One day more: anonymised.
    let veille = creer(ctx, "m1", suivi("B", "Veille"), t(2022, 1, 1)).await;
    // No activity: the creation date counts.
    let cree_avant = creer(ctx, "m1", suivi("C", "Ancien"), t(2023, 3, 10)).await;
    let cree_le_jour = creer(ctx, "m2", suivi("D", "Jour"), t(2023, 3, 11)).await;
    let recent = creer(ctx, "m1", suivi("E", "Recent"), t(2020, 1, 1)).await;
    ctx.store
        .marquer_activite(std::slice::from_ref(&borne), d(2023, 3, 11))
        .await
        .expect("marque");
    ctx.store
        .marquer_activite(std::slice::from_ref(&veille), d(2023, 3, 10))
        .await
        .expect("marque");
    ctx.store
        .marquer_activite(std::slice::from_ref(&recent), d(2025, 1, 1))
        .await
        .expect("marque");
    // An earlier date never moves the last activity back.
    assert_eq!(
        ctx.store
            .marquer_activite(std::slice::from_ref(&recent), d(2021, 1, 1))
            .await
            .expect("marque"),
        0
    );

    let n = ctx
        .store
        .anonymiser_inactifs(limite, maintenant)
        .await
        .expect("balayage");
    assert_eq!(n, 2);
    for (id, anonymise) in [
        (&borne, false),
        (&veille, true),
        (&cree_avant, true),
        (&cree_le_jour, false),
        (&recent, false),
    ] {
        let f = ctx.store.beneficiaire(id).await.expect("l").expect("f");
        assert_eq!(f.anonymise_le.is_some(), anonymise, "{id}");
        assert_eq!(
            f.beneficiaire.a_des_donnees_personnelles(),
            !anonymise,
            "{id}"
        );
    }
    // Idempotent: a second server running the sweep finds nothing.
    assert_eq!(
        ctx.store
            .anonymiser_inactifs(limite, maintenant)
            .await
            .expect("balayage"),
        0
    );
    let journal = ctx.store.journal(50, None).await.expect("journal");
    let par_systeme = journal
        .iter()
        .filter(|e| e.action == "anonymisation_beneficiaire" && e.acteur_id.is_none())
        .count();
    assert_eq!(par_systeme, 2);
}

async fn import_atomique(ctx: &Ctx) {
    let lot = vec![suivi("Jean", "Dupont"), anonyme(), suivi("Paul", "Martin")];
    let ids = ctx
        .store
        .importer_beneficiaires("m1", &lot, "liste.csv", t(2025, 3, 1))
        .await
        .expect("import");
    assert_eq!(ids.len(), 3);
    let page = ctx
        .store
        .beneficiaires(&filtre("m1", None))
        .await
        .expect("liste");
    assert_eq!(page.total, 3);
    let journal = ctx.store.journal(50, None).await.expect("journal");
    let import = journal
        .iter()
        .find(|e| e.action == "import_beneficiaires")
        .expect("journalisé");
    assert_eq!(import.details["nombre"], 3);

    // One bad row (personal data without identity): nothing stored.
    let mut mauvais = anonyme();
    mauvais.email = Some("x@exemple.fr".into());
    let lot = vec![suivi("Luc", "Petit"), mauvais];
    assert!(ctx
        .store
        .importer_beneficiaires("m1", &lot, "liste2.csv", t(2025, 3, 2))
        .await
        .is_err());
    let page = ctx
        .store
        .beneficiaires(&filtre("m1", None))
        .await
        .expect("liste");
    assert_eq!(page.total, 3);
}
