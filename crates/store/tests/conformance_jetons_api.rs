//! API tokens and keyset reads of activity records, on SQLite and on
//! PostgreSQL (`MAILLAGE_TEST_POSTGRES`, see `conformance.rs`).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_activites::{
    valider, ActiviteSaisie, DureeSaisie, Thematique, TypeActivite, TypeLieu,
};
use maillage_comptes::{hacher_mot_de_passe, LienEquipe, NouveauJetonApi, PorteeApi};
use maillage_store::{
    Curseur, FiltreParcours, NouvelUtilisateur, NouvelleActivite, OrdreParcours, Store, StoreError,
};
use std::collections::HashSet;

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, Ctx};

conformance!(
    jetons_cycle_de_vie,
    jetons_refus,
    parcours_par_lots_complet_et_stable,
    parcours_filtres,
);

fn instant(secondes: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_741_683_600 + secondes, 123_456_000)
        .single()
        .expect("valid instant")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

async fn utilisateur(s: &Store, email: &str) -> String {
    s.creer_utilisateur(&NouvelUtilisateur {
        email: email.to_string(),
        nom: None,
        mot_de_passe: hacher_mot_de_passe("cheval agrafe batterie correcte").expect("hash"),
        cree_le: instant(0),
        par: None,
    })
    .await
    .expect("account")
}

async fn jetons_cycle_de_vie(ctx: &Ctx) {
    let s = &ctx.store;
    let alice = utilisateur(s, "alice@example.org").await;
    let bob = utilisateur(s, "bob@example.org").await;
    let (clair, n) = NouveauJetonApi::creer(
        "Tableau de bord",
        &[PorteeApi::StatistiquesLecture, PorteeApi::ActivitesLecture],
        30,
        instant(10),
    )
    .expect("token");
    let id = s.creer_jeton_api(&alice, &n).await.expect("stored");
    let (_, n2) =
        NouveauJetonApi::creer("Second", &[PorteeApi::ActivitesLecture], 365, instant(20))
            .expect("token");
    let id2 = s.creer_jeton_api(&alice, &n2).await.expect("stored");

    // Listed newest first, with no clear secret anywhere.
    let liste = s.jetons_api_de(&alice).await.expect("list");
    assert_eq!(
        liste.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        [id2.as_str(), id.as_str()]
    );
    let j = &liste[1];
    assert_eq!(j.nom, "Tableau de bord");
    assert_eq!(
        j.portees,
        [PorteeApi::ActivitesLecture, PorteeApi::StatistiquesLecture]
    );
    assert_eq!(j.cree_le, instant(10));
    assert_eq!(j.expire_le, instant(10) + Duration::days(30));
    assert_eq!(j.dernier_usage_le, None);
    assert_eq!(j.revoque_le, None);
    assert_eq!(j.empreinte, n.empreinte);
    assert!(!j.empreinte.contains(&clair[4..]));
    assert!(s.jetons_api_de(&bob).await.expect("list").is_empty());

    // Found by fingerprint while live; the use is recorded.
    let actif = s
        .jeton_api_actif(&n.empreinte, instant(100))
        .await
        .expect("lookup")
        .expect("live token");
    assert_eq!(actif.id, id);
    assert_eq!(actif.utilisateur_id, alice);
    assert!(s.toucher_jeton_api(&id, instant(200)).await.expect("touch"));
    assert!(!s
        .toucher_jeton_api("inconnu", instant(200))
        .await
        .expect("touch"));
    let lu = s
        .jeton_api_actif(&n.empreinte, instant(201))
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(lu.dernier_usage_le, Some(instant(200)));

    // Expired: not found, though still listed.
    let expiration = instant(10) + Duration::days(30);
    assert!(s
        .jeton_api_actif(&n.empreinte, expiration)
        .await
        .expect("lookup")
        .is_none());
    assert!(s
        .jeton_api_actif(&n.empreinte, expiration - Duration::seconds(1))
        .await
        .expect("lookup")
        .is_some());

    // Only the owner revokes; once; journaled.
    assert!(!s
        .revoquer_jeton_api(&id, &bob, instant(300))
        .await
        .expect("revoke"));
    assert!(s
        .revoquer_jeton_api(&id, &alice, instant(300))
        .await
        .expect("revoke"));
    assert!(!s
        .revoquer_jeton_api(&id, &alice, instant(301))
        .await
        .expect("revoke"));
    assert!(s
        .jeton_api_actif(&n.empreinte, instant(400))
        .await
        .expect("lookup")
        .is_none());
    let liste = s.jetons_api_de(&alice).await.expect("list");
    assert_eq!(liste[1].revoque_le, Some(instant(300)));
    assert_eq!(liste[0].revoque_le, None);

    let journal = s.journal(100, None).await.expect("journal");
    let jetons: Vec<(&str, Option<&str>, Option<&str>)> = journal
        .iter()
        .filter(|e| e.action.contains("jeton_api"))
        .map(|e| {
            (
                e.action.as_str(),
                e.acteur_id.as_deref(),
                e.cible.as_deref(),
            )
        })
        .collect();
    let cible = format!("jeton_api:{id}");
    let cible2 = format!("jeton_api:{id2}");
    assert_eq!(
        jetons,
        [
            (
                "revocation_jeton_api",
                Some(alice.as_str()),
                Some(cible.as_str())
            ),
            (
                "creation_jeton_api",
                Some(alice.as_str()),
                Some(cible2.as_str())
            ),
            (
                "creation_jeton_api",
                Some(alice.as_str()),
                Some(cible.as_str())
            ),
        ]
    );
    let details = journal
        .iter()
        .find(|e| e.cible.as_deref() == Some(cible.as_str()) && e.action == "creation_jeton_api")
        .map(|e| e.details.to_string())
        .expect("entry");
    assert!(details.contains("activites:lecture"), "{details}");
    assert!(!details.contains(&clair) && !details.contains(&n.empreinte));

    // A deactivated owner's tokens stop working.
    let (_, n3) = NouveauJetonApi::creer("Bob", &[PorteeApi::ActivitesLecture], 30, instant(0))
        .expect("token");
    s.creer_jeton_api(&bob, &n3).await.expect("stored");
    assert!(s
        .jeton_api_actif(&n3.empreinte, instant(1))
        .await
        .expect("lookup")
        .is_some());
    sqlx_desactiver(ctx, &bob).await;
    assert!(s
        .jeton_api_actif(&n3.empreinte, instant(1))
        .await
        .expect("lookup")
        .is_none());
}

/// Deactivates an account directly (the store has no method for it yet).
async fn sqlx_desactiver(ctx: &Ctx, id: &str) {
    use sqlx::{Connection, Executor};
    let requete = format!(
        "UPDATE utilisateurs SET desactive_le = cree_le WHERE id = '{}'",
        id.replace('\'', "''")
    );
    if ctx.url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&ctx.url)
            .await
            .expect("connection");
        c.execute(requete.as_str()).await.expect("update");
    } else {
        let mut c = sqlx::PgConnection::connect(&ctx.url)
            .await
            .expect("connection");
        c.execute(requete.as_str()).await.expect("update");
    }
}

async fn jetons_refus(ctx: &Ctx) {
    let s = &ctx.store;
    let alice = utilisateur(s, "alice@example.org").await;
    let (_, n) =
        NouveauJetonApi::creer("A", &[PorteeApi::ActivitesLecture], 30, instant(0)).expect("token");
    s.creer_jeton_api(&alice, &n).await.expect("stored");
    // Same fingerprint twice: conflict.
    assert!(matches!(
        s.creer_jeton_api(&alice, &n).await,
        Err(StoreError::Conflict { .. })
    ));
    let mut clair = n.clone();
    clair.empreinte = "mlg_pas-une-empreinte".to_string();
    let mut sans_portee = n.clone();
    sans_portee.empreinte = "a".repeat(64);
    sans_portee.portees.clear();
    let mut trop_long = n.clone();
    trop_long.empreinte = "b".repeat(64);
    trop_long.expire_le = trop_long.cree_le + Duration::days(366);
    let mut sans_nom = n.clone();
    sans_nom.empreinte = "c".repeat(64);
    sans_nom.nom = "  ".to_string();
    for (cas, j) in [
        ("clair", &clair),
        ("sans portée", &sans_portee),
        ("plus d'un an", &trop_long),
        ("sans nom", &sans_nom),
    ] {
        assert!(
            matches!(
                s.creer_jeton_api(&alice, j).await,
                Err(StoreError::Invalid { .. })
            ),
            "{cas}"
        );
    }
    // Unknown owner: refused by the foreign key.
    let mut orphelin = n.clone();
    orphelin.empreinte = "d".repeat(64);
    assert!(s.creer_jeton_api("inconnu", &orphelin).await.is_err());
    assert_eq!(s.jetons_api_de(&alice).await.expect("list").len(), 1);
}

fn activite(jour: NaiveDate, type_activite: TypeActivite) -> maillage_activites::Activite {
    let mut s = ActiviteSaisie::nouvelle(type_activite);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(30));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::Bureautique];
    if type_activite == TypeActivite::Collectif {
        s.participants_anonymes = Some(maillage_activites::ParticipantsAnonymes {
            total: 3,
            genre_non_communique: 3,
            tranche_age_non_communique: 3,
            statut_social_non_communique: 3,
            ..Default::default()
        });
    }
    valider(&s, date(2026, 12, 31)).expect("valid record")
}

async fn enregistrer(
    s: &Store,
    mediateur: &str,
    structure: Option<&str>,
    jour: NaiveDate,
    t: TypeActivite,
    secondes: i64,
) -> String {
    s.enregistrer_activite(&NouvelleActivite {
        demographies_suivies: Vec::new(),
        mediateur_id: mediateur.to_string(),
        structure_id: structure.map(str::to_string),
        departement: Some("16".to_string()),
        activite: activite(jour, t),
        cree_le: instant(secondes),
    })
    .await
    .expect("record")
}

async fn tout_lire(
    s: &Store,
    f: &FiltreParcours,
    ordre: OrdreParcours,
    lot: u32,
) -> Vec<maillage_store::ActiviteEnregistree> {
    let mut p = s.parcourir_activites(f.clone(), ordre, lot);
    let mut tout = Vec::new();
    while let Some(l) = p.suivant().await.expect("batch") {
        assert!(l.len() <= lot as usize);
        tout.extend(l);
    }
    tout
}

async fn parcours_par_lots_complet_et_stable(ctx: &Ctx) {
    let s = &ctx.store;
    let mut ids = Vec::new();
    // Several records share a date and a creation instant: the id breaks ties.
    for i in 0..23_i64 {
        let jour = date(2025, 1, 1) + Duration::days(i % 5);
        ids.push(enregistrer(s, "m1", None, jour, TypeActivite::Individuel, i / 3).await);
    }
    let f = FiltreParcours {
        mediateur_id: Some("m1".to_string()),
        ..Default::default()
    };
    let tout = tout_lire(s, &f, OrdreParcours::DateDecroissante, 4).await;
    assert_eq!(tout.len(), 23);
    let vus: HashSet<&str> = tout.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(vus.len(), 23, "each record once");
    assert!(tout.windows(2).all(
        |w| (std::cmp::Reverse(w[0].date), &w[0].id) < (std::cmp::Reverse(w[1].date), &w[1].id)
    ));

    // Creation order; records added while paging come last and nothing
    // read is repeated.
    let mut curseur: Option<Curseur> = None;
    let mut lus: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        let page = s
            .activites_apres(&f, OrdreParcours::Creation, curseur.as_ref(), 5)
            .await
            .expect("page");
        if pages == 1 {
            // Inserted mid-way, with an old activity date.
            enregistrer(
                s,
                "m1",
                None,
                date(2020, 1, 1),
                TypeActivite::Individuel,
                1_000,
            )
            .await;
        }
        pages += 1;
        lus.extend(page.iter().map(|a| a.id.clone()));
        match page.last() {
            Some(d) if page.len() == 5 => {
                // Through the URL form, as the API does.
                curseur = Some(Curseur::decoder(&Curseur::apres(d).encoder()).expect("cursor"))
            }
            _ => break,
        }
    }
    assert_eq!(lus.len(), 24);
    assert_eq!(lus.iter().collect::<HashSet<_>>().len(), 24);
    assert!(ids.iter().all(|id| lus.contains(id)));

    // Deleted records are skipped; limits are checked.
    s.supprimer_activite(&ids[0], "m1", instant(2_000))
        .await
        .expect("delete");
    assert_eq!(
        tout_lire(s, &f, OrdreParcours::Creation, 10_000)
            .await
            .len(),
        23
    );
    for limite in [0, 10_001] {
        assert!(matches!(
            s.activites_apres(&f, OrdreParcours::Creation, None, limite)
                .await,
            Err(StoreError::Invalid { .. })
        ));
    }
}

async fn parcours_filtres(ctx: &Ctx) {
    let s = &ctx.store;
    let ind = TypeActivite::Individuel;
    let col = TypeActivite::Collectif;
    let a1 = enregistrer(s, "m1", Some("S1"), date(2025, 1, 10), ind, 1).await;
    let a2 = enregistrer(s, "m1", Some("S1"), date(2025, 2, 10), col, 2).await;
    let a3 = enregistrer(s, "m2", Some("S1"), date(2025, 3, 10), ind, 3).await;
    let a4 = enregistrer(s, "m2", Some("S2"), date(2025, 4, 10), ind, 4).await;
    let a5 = enregistrer(s, "m3", None, date(2025, 5, 10), col, 5).await;
    let ids = |v: Vec<maillage_store::ActiviteEnregistree>| -> Vec<String> {
        let mut v: Vec<String> = v.into_iter().map(|a| a.id).collect();
        v.sort();
        v
    };
    let trie = |mut v: Vec<&String>| -> Vec<String> {
        v.sort();
        v.into_iter().cloned().collect()
    };
    for (cas, f, attendus) in [
        (
            "tout",
            FiltreParcours::default(),
            vec![&a1, &a2, &a3, &a4, &a5],
        ),
        (
            "médiateur",
            FiltreParcours {
                mediateur_id: Some("m2".into()),
                ..Default::default()
            },
            vec![&a3, &a4],
        ),
        (
            "structure",
            FiltreParcours {
                structure_id: Some("S1".into()),
                ..Default::default()
            },
            vec![&a1, &a2, &a3],
        ),
        (
            "type",
            FiltreParcours {
                type_activite: Some(col),
                ..Default::default()
            },
            vec![&a2, &a5],
        ),
        (
            "période",
            FiltreParcours {
                du: Some(date(2025, 2, 10)),
                au: Some(date(2025, 4, 10)),
                ..Default::default()
            },
            vec![&a2, &a3, &a4],
        ),
        (
            "équipe",
            FiltreParcours {
                equipe: Some(vec![
                    LienEquipe {
                        mediateur_id: "m1".into(),
                        debut: date(2025, 2, 1),
                        fin: None,
                    },
                    LienEquipe {
                        mediateur_id: "m2".into(),
                        debut: date(2025, 1, 1),
                        fin: Some(date(2025, 4, 10)),
                    },
                ]),
                ..Default::default()
            },
            vec![&a2, &a3],
        ),
        (
            "équipe vide",
            FiltreParcours {
                equipe: Some(vec![]),
                ..Default::default()
            },
            vec![],
        ),
    ] {
        assert_eq!(
            ids(tout_lire(s, &f, OrdreParcours::DateDecroissante, 2).await),
            trie(attendus),
            "{cas}"
        );
    }
}
