//! The e-mail queue on SQLite and PostgreSQL: order, lease between
//! servers, delivery and failure marks, purge.

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, Ctx};

use chrono::{Duration, TimeZone, Utc};
use maillage_store::NouveauCourriel;

conformance!(file_d_envoi);

async fn file_d_envoi(ctx: &Ctx) {
    let s = &ctx.store;
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .expect("date");
    let nouveau = |n: i64| NouveauCourriel {
        destinataire: format!("personne{n}@exemple.fr"),
        sujet: format!("Sujet {n} — é"),
        corps: format!("Bonjour {n}\nhttps://exemple.fr/lien?jeton=abc"),
        lien: Some("https://exemple.fr/lien?jeton=abc".to_string()),
        cree_le: t0 + Duration::seconds(n),
    };
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(s.ajouter_courriel(&nouveau(n)).await.expect("queued"));
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);
    assert!(s
        .ajouter_courriel(&NouveauCourriel {
            destinataire: " ".into(),
            ..nouveau(9)
        })
        .await
        .is_err());
    let liste = s.courriels(10, None).await.expect("list");
    assert_eq!(
        liste.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]]
    );
    assert_eq!(liste[2].sujet, "Sujet 0 — é");
    assert_eq!(liste[2].cree_le, t0);
    assert_eq!(s.courriels(10, Some(ids[1])).await.expect("page").len(), 1);

    // Two servers at the same time: each message is taken once.
    let maintenant = t0 + Duration::minutes(1);
    let bail = maintenant + Duration::minutes(5);
    let a = s
        .prendre_courriels(maintenant, bail, 2)
        .await
        .expect("take");
    let b = s
        .prendre_courriels(maintenant, bail, 10)
        .await
        .expect("take");
    assert_eq!(
        a.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0], ids[1]]
    );
    assert_eq!(b.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[2]]);
    assert!(s
        .prendre_courriels(maintenant, bail, 10)
        .await
        .expect("take")
        .is_empty());
    // Sent, failed, and the lease of a dead server that ends.
    s.courriel_envoye(ids[0], maintenant).await.expect("sent");
    s.courriel_en_echec(
        ids[1],
        "connexion refusée",
        maintenant + Duration::minutes(1),
    )
    .await
    .expect("failed");
    let plus_tard = bail + Duration::seconds(1);
    let repris = s
        .prendre_courriels(plus_tard, plus_tard + Duration::minutes(5), 10)
        .await
        .expect("take");
    assert_eq!(
        repris.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[1], ids[2]]
    );
    assert_eq!(repris[0].tentatives, 1);
    assert_eq!(
        repris[0].derniere_erreur.as_deref(),
        Some("connexion refusée")
    );
    let liste = s.courriels(10, None).await.expect("list");
    let envoye = liste.iter().find(|c| c.id == ids[0]).expect("sent one");
    assert_eq!(envoye.envoye_le, Some(maintenant));

    // Purge by creation date.
    assert_eq!(
        s.purger_courriels(t0 + Duration::seconds(2))
            .await
            .expect("purge"),
        2
    );
    assert_eq!(s.courriels(10, None).await.expect("list").len(), 1);
}
