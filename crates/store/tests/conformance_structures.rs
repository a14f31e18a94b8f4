//! Employer structures, employment and places of activity, on SQLite and
//! PostgreSQL.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store --test conformance_structures`

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use maillage_comptes::ActionSensible;
use maillage_store::{
    Emploi, EntreeJournal, LieuActivite, NouvelUtilisateur, NouvelleStructure, Store, StoreError,
};

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, Ctx};

conformance!(
    structure_creee_une_fois,
    structure_refusee_si_invalide,
    recherche_de_structures,
    emploi_ouvert_puis_termine,
    emploi_refuse_si_inconnu_ou_dates_fausses,
    employes_d_une_structure,
    acteur_liste_l_employeur_actuel,
    lieux_d_activite,
);

/// An ANCT-like SIRET and INSEE's, both with valid keys.
const S1: &str = "13002603200016";
const S2: &str = "12002701600563";
const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VsZGVzZWw$aGFjaGVoYWNoZWhhY2hlaGFjaGU";

fn instant(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 9, minute, 0)
        .single()
        .expect("instant")
}

fn jour(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).expect("date")
}

async fn compte(s: &Store, email: &str) -> String {
    s.creer_utilisateur(&NouvelUtilisateur {
        email: email.to_string(),
        nom: Some(format!("Nom {email}")),
        mot_de_passe: PHC.to_string(),
        cree_le: instant(0),
        par: None,
    })
    .await
    .expect("account")
}

fn nouvelle(siret: &str, nom: &str, par: Option<&str>) -> NouvelleStructure {
    NouvelleStructure {
        siret: siret.to_string(),
        nom: nom.to_string(),
        commune: "16015".to_string(),
        adresse: Some("1 rue de la Gare".to_string()),
        cree_le: instant(1),
        par: par.map(str::to_string),
    }
}

async fn journal(s: &Store, action: ActionSensible) -> Vec<EntreeJournal> {
    s.journal(1_000, None)
        .await
        .expect("journal")
        .into_iter()
        .filter(|e| e.action == action.code())
        .collect()
}

async fn structure_creee_une_fois(ctx: &Ctx) {
    let s = &ctx.store;
    let moi = compte(s, "med@exemple.fr").await;
    let (st, creee) = s
        .creer_ou_lire_structure(&nouvelle("130 026 032 00016", " Médiathèque ", Some(&moi)))
        .await
        .expect("create");
    assert!(creee);
    assert_eq!(st.siret, S1);
    assert_eq!(st.nom, "Médiathèque");
    assert_eq!(st.commune, "16015");
    assert_eq!(st.adresse.as_deref(), Some("1 rue de la Gare"));
    assert_eq!(st.cree_le, instant(1));
    // Known: returned as stored, name not replaced, nothing journaled.
    let (encore, creee) = s
        .creer_ou_lire_structure(&nouvelle(S1, "Autre nom", None))
        .await
        .expect("get");
    assert!(!creee);
    assert_eq!(encore, st);
    assert_eq!(s.structure(S1).await.expect("read"), Some(st.clone()));
    assert_eq!(
        s.structure("130026032 00016").await.expect("read"),
        Some(st)
    );
    assert_eq!(s.structure(S2).await.expect("read"), None);
    assert_eq!(s.structure("pas un siret").await.expect("read"), None);
    let j = journal(s, ActionSensible::CreationStructure).await;
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].acteur_id.as_deref(), Some(moi.as_str()));
    assert_eq!(j[0].cible.as_deref(), Some(S1));
}

async fn structure_refusee_si_invalide(ctx: &Ctx) {
    let s = &ctx.store;
    for n in [
        nouvelle("13002603200017", "Clé fausse", None),
        nouvelle("1300260320001", "Trop court", None),
        nouvelle(S1, "   ", None),
        NouvelleStructure {
            commune: String::new(),
            ..nouvelle(S1, "Sans commune", None)
        },
    ] {
        let r = s.creer_ou_lire_structure(&n).await;
        assert!(matches!(r, Err(StoreError::Invalid { .. })), "{n:?}: {r:?}");
    }
    assert!(s
        .rechercher_structures("", 10)
        .await
        .expect("search")
        .is_empty());
}

async fn recherche_de_structures(ctx: &Ctx) {
    let s = &ctx.store;
    for (siret, nom) in [
        (S1, "Médiathèque de Cognac"),
        (S2, "Espace numérique Angoulême"),
        ("35600000000048", "La Poste"),
    ] {
        s.creer_ou_lire_structure(&nouvelle(siret, nom, None))
            .await
            .expect("create");
    }
    let noms = |v: Vec<maillage_store::Structure>| v.into_iter().map(|s| s.nom).collect::<Vec<_>>();
    assert_eq!(
        noms(s.rechercher_structures("", 10).await.expect("all")),
        [
            "Espace numérique Angoulême",
            "La Poste",
            "Médiathèque de Cognac"
        ]
    );
    assert_eq!(
        noms(s.rechercher_structures("COGNAC", 10).await.expect("name")),
        ["Médiathèque de Cognac"]
    );
    assert_eq!(
        noms(s.rechercher_structures("120 027", 10).await.expect("siret")),
        ["Espace numérique Angoulême"]
    );
    assert_eq!(
        s.rechercher_structures("", 1).await.expect("limit").len(),
        1
    );
    // LIKE's wildcards are plain characters.
    assert!(s
        .rechercher_structures("%", 10)
        .await
        .expect("like")
        .is_empty());
    assert!(s
        .rechercher_structures("_", 10)
        .await
        .expect("like")
        .is_empty());
}

async fn emploi_ouvert_puis_termine(ctx: &Ctx) {
    let s = &ctx.store;
    let moi = compte(s, "med@exemple.fr").await;
    s.creer_ou_lire_structure(&nouvelle(S1, "Médiathèque", None))
        .await
        .expect("structure");
    s.employer(
        &moi,
        "130 026 032 00016",
        jour(1, 6),
        Some(&moi),
        instant(2),
    )
    .await
    .expect("employ");
    let deja = s
        .employer(&moi, S1, jour(2, 1), Some(&moi), instant(3))
        .await;
    assert!(matches!(deja, Err(StoreError::Conflict { .. })), "{deja:?}");
    assert_eq!(
        s.emplois(&moi).await.expect("read"),
        [Emploi {
            utilisateur_id: moi.clone(),
            siret: S1.to_string(),
            debut: jour(1, 6),
            fin: None,
        }]
    );
    assert_eq!(s.employeurs_actuels(&moi).await.expect("current"), [S1]);
    s.terminer_emploi(&moi, S1, jour(3, 1), Some(&moi), instant(4))
        .await
        .expect("end");
    assert!(s
        .employeurs_actuels(&moi)
        .await
        .expect("current")
        .is_empty());
    let encore = s
        .terminer_emploi(&moi, S1, jour(3, 2), None, instant(5))
        .await;
    assert!(
        matches!(encore, Err(StoreError::NotFound { .. })),
        "{encore:?}"
    );
    // Back later: a second period; the ended one stays.
    s.employer(&moi, S1, jour(3, 10), None, instant(6))
        .await
        .expect("again");
    let emplois = s.emplois(&moi).await.expect("read");
    assert_eq!(emplois.len(), 2);
    assert_eq!((emplois[0].debut, emplois[0].fin), (jour(3, 10), None));
    assert_eq!(
        (emplois[1].debut, emplois[1].fin),
        (jour(1, 6), Some(jour(3, 1)))
    );
    // Ended the day it began: erased, and can be declared again that day.
    s.terminer_emploi(&moi, S1, jour(3, 10), None, instant(7))
        .await
        .expect("same day");
    assert_eq!(s.emplois(&moi).await.expect("read").len(), 1);
    s.employer(&moi, S1, jour(3, 10), None, instant(8))
        .await
        .expect("same day again");
    let j = journal(s, ActionSensible::ChangementEmploi).await;
    assert_eq!(j.len(), 5, "{j:?}");
    assert!(j.iter().all(|e| e.cible.as_deref() == Some(moi.as_str())));
    let premiere = j.iter().min_by_key(|e| e.id).expect("first");
    assert_eq!(premiere.acteur_id.as_deref(), Some(moi.as_str()));
    assert_eq!(premiere.details["ouverture"]["siret"], S1);
    assert_eq!(premiere.details["ouverture"]["debut"], "2025-01-06");
}

async fn emploi_refuse_si_inconnu_ou_dates_fausses(ctx: &Ctx) {
    let s = &ctx.store;
    let moi = compte(s, "med@exemple.fr").await;
    let r = s.employer(&moi, S1, jour(1, 1), None, instant(1)).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    s.creer_ou_lire_structure(&nouvelle(S1, "Médiathèque", None))
        .await
        .expect("structure");
    let r = s
        .employer("personne", S1, jour(1, 1), None, instant(1))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let r = s
        .employer(&moi, "13002603200017", jour(1, 1), None, instant(1))
        .await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    s.employer(&moi, S1, jour(2, 1), None, instant(1))
        .await
        .expect("employ");
    let r = s
        .terminer_emploi(&moi, S1, jour(1, 31), None, instant(2))
        .await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    assert_eq!(s.employeurs_actuels(&moi).await.expect("current"), [S1]);
    // Nothing journaled by refused changes.
    assert_eq!(journal(s, ActionSensible::ChangementEmploi).await.len(), 1);
}

async fn employes_d_une_structure(ctx: &Ctx) {
    let s = &ctx.store;
    let a = compte(s, "a@exemple.fr").await;
    let b = compte(s, "b@exemple.fr").await;
    let c = compte(s, "c@exemple.fr").await;
    for siret in [S1, S2] {
        s.creer_ou_lire_structure(&nouvelle(siret, "Structure", None))
            .await
            .expect("structure");
    }
    s.employer(&a, S1, jour(1, 1), None, instant(1))
        .await
        .expect("a");
    s.employer(&b, S1, jour(2, 1), None, instant(1))
        .await
        .expect("b");
    s.terminer_emploi(&b, S1, jour(2, 15), None, instant(2))
        .await
        .expect("b ends");
    s.employer(&c, S2, jour(1, 1), None, instant(1))
        .await
        .expect("c");
    let employes = s.employes(S1).await.expect("employees");
    let vus: Vec<(&str, Option<NaiveDate>)> = employes
        .iter()
        .map(|e| (e.email.as_str(), e.emploi.fin))
        .collect();
    assert_eq!(
        vus,
        [("a@exemple.fr", None), ("b@exemple.fr", Some(jour(2, 15)))]
    );
    assert_eq!(employes[0].nom.as_deref(), Some("Nom a@exemple.fr"));
    assert_eq!(employes[0].emploi.utilisateur_id, a);
    assert_eq!(s.employes(S2).await.expect("S2").len(), 1);
    assert!(s.employes("invalide").await.expect("none").is_empty());
}

async fn acteur_liste_l_employeur_actuel(ctx: &Ctx) {
    let s = &ctx.store;
    let moi = compte(s, "med@exemple.fr").await;
    for siret in [S1, S2] {
        s.creer_ou_lire_structure(&nouvelle(siret, "Structure", None))
            .await
            .expect("structure");
    }
    let acteur = s.acteur(&moi).await.expect("read").expect("actor");
    assert!(acteur.structures_mediateur.is_empty());
    s.employer(&moi, S1, jour(1, 1), None, instant(1))
        .await
        .expect("S1");
    s.terminer_emploi(&moi, S1, jour(2, 1), None, instant(2))
        .await
        .expect("S1 ends");
    s.employer(&moi, S2, jour(2, 1), None, instant(3))
        .await
        .expect("S2");
    let acteur = s.acteur(&moi).await.expect("read").expect("actor");
    assert_eq!(acteur.structures_mediateur, [S2]);
}

async fn lieux_d_activite(ctx: &Ctx) {
    let s = &ctx.store;
    let moi = compte(s, "med@exemple.fr").await;
    let autre = compte(s, "autre@exemple.fr").await;
    s.ajouter_lieu_activite(&moi, "lieu-b", jour(1, 2), Some(&moi), instant(1))
        .await
        .expect("b");
    s.ajouter_lieu_activite(&moi, "lieu-a", jour(1, 3), Some(&moi), instant(1))
        .await
        .expect("a");
    s.ajouter_lieu_activite(&autre, "lieu-a", jour(1, 1), None, instant(1))
        .await
        .expect("other");
    let deja = s
        .ajouter_lieu_activite(&moi, "lieu-a", jour(1, 4), None, instant(2))
        .await;
    assert!(matches!(deja, Err(StoreError::Conflict { .. })), "{deja:?}");
    let vide = s
        .ajouter_lieu_activite(&moi, " ", jour(1, 4), None, instant(2))
        .await;
    assert!(matches!(vide, Err(StoreError::Invalid { .. })), "{vide:?}");
    let inconnu = s
        .ajouter_lieu_activite("personne", "lieu-a", jour(1, 4), None, instant(2))
        .await;
    assert!(
        matches!(inconnu, Err(StoreError::NotFound { .. })),
        "{inconnu:?}"
    );
    assert_eq!(
        s.lieux_activite(&moi).await.expect("read"),
        [
            LieuActivite {
                utilisateur_id: moi.clone(),
                lieu_id: "lieu-b".to_string(),
                debut: jour(1, 2),
                fin: None,
            },
            LieuActivite {
                utilisateur_id: moi.clone(),
                lieu_id: "lieu-a".to_string(),
                debut: jour(1, 3),
                fin: None,
            },
        ]
    );
    s.terminer_lieu_activite(&moi, "lieu-b", jour(2, 1), Some(&moi), instant(3))
        .await
        .expect("end");
    let ids: Vec<String> = s
        .lieux_activite(&moi)
        .await
        .expect("read")
        .into_iter()
        .map(|l| l.lieu_id)
        .collect();
    assert_eq!(ids, ["lieu-a"]);
    let r = s
        .terminer_lieu_activite(&moi, "lieu-b", jour(2, 2), None, instant(4))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let r = s
        .terminer_lieu_activite(&moi, "lieu-a", jour(1, 1), None, instant(4))
        .await;
    assert!(matches!(r, Err(StoreError::Invalid { .. })), "{r:?}");
    // The other account's place is untouched.
    assert_eq!(s.lieux_activite(&autre).await.expect("other").len(), 1);
    let j = journal(s, ActionSensible::ChangementLieuActivite).await;
    assert_eq!(j.len(), 4, "{j:?}");
    let fin = j.iter().max_by_key(|e| e.id).expect("last");
    assert_eq!(fin.details["fin"]["lieu_id"], "lieu-b");
    assert_eq!(fin.details["fin"]["fin"], "2025-02-01");
}
