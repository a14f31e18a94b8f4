//! E-mail delivery on both databases: messages queued by the pages are
//! delivered to a real SMTP conversation (a minimal local server written
//! here), failures are retried later, and administrators read the queue.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test courriels`

mod harnais;
use harnais::*;

use axum::http::StatusCode;
use maillage_comptes::Attribution;
use maillage_store::Store;
use maillage_web::courriel::ConfigSmtp;
use maillage_web::{routeur, Etat};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the local SMTP server received: (envelope recipients, data).
type Recus = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server (no TLS, no auth): enough for a client to deliver.
async fn serveur_smtp() -> (u16, Recus) {
    let ecouteur = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = ecouteur.local_addr().expect("addr").port();
    let recus: Recus = Arc::default();
    let r = recus.clone();
    tokio::spawn(async move {
        loop {
            let Ok((flux, _)) = ecouteur.accept().await else {
                return;
            };
            let r = r.clone();
            tokio::spawn(async move {
                let (lecture, mut ecriture) = flux.into_split();
                let mut lignes = BufReader::new(lecture).lines();
                let _ = ecriture.write_all(b"220 test ESMTP\r\n").await;
                let mut destinataires = Vec::new();
                while let Ok(Some(ligne)) = lignes.next_line().await {
                    let commande = ligne.to_ascii_uppercase();
                    let reponse: &[u8] = if commande.starts_with("EHLO")
                        || commande.starts_with("HELO")
                    {
                        b"250 test\r\n"
                    } else if commande.starts_with("RCPT TO:") {
                        destinataires.push(ligne[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 OK\r\n"
                    } else if commande.starts_with("DATA") {
                        let _ = ecriture.write_all(b"354 go\r\n").await;
                        let mut donnees = String::new();
                        while let Ok(Some(l)) = lignes.next_line().await {
                            if l == "." {
                                break;
                            }
                            donnees.push_str(&l);
                            donnees.push('\n');
                        }
                        r.lock()
                            .expect("lock")
                            .push((std::mem::take(&mut destinataires), donnees));
                        b"250 queued\r\n"
                    } else if commande.starts_with("QUIT") {
                        let _ = ecriture.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if ecriture.write_all(reponse).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, recus)
}

async fn etat_avec_smtp(store: Store, url: String) -> Etat {
    let mut c = config();
    c.smtp = Some(ConfigSmtp {
        url,
        expediteur: "Maillage <ne-pas-repondre@exemple.fr>".to_string(),
    });
    Etat::nouveau(store, c).await.expect("state")
}

async fn suite(store: Store) {
    // Delivered through SMTP.
    let (port, recus) = serveur_smtp().await;
    let etat = etat_avec_smtp(store.clone(), format!("smtp://127.0.0.1:{port}")).await;
    let app = routeur(etat.clone());
    let (_, _) = compte(
        &app,
        &etat,
        "destinataire@exemple.fr",
        &[Attribution::mediateur()],
    )
    .await;
    let r = post(
        &app,
        "/compte/mot-de-passe-oublie",
        "email=destinataire%40exemple.fr",
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(etat.distribuer_courriels().await.expect("delivery"), (1, 0));
    {
        let recus = recus.lock().expect("lock");
        assert_eq!(recus.len(), 1);
        assert_eq!(recus[0].0, vec!["destinataire@exemple.fr".to_string()]);
        assert!(
            recus[0].1.contains("To: destinataire@exemple.fr"),
            "{}",
            recus[0].1
        );
        assert!(
            recus[0]
                .1
                .contains("From: Maillage <ne-pas-repondre@exemple.fr>"),
            "{}",
            recus[0].1
        );
    }
    let queue = store.courriels(10, None).await.expect("queue");
    assert!(queue[0].envoye_le.is_some());
    assert_eq!(queue[0].tentatives, 1);
    // Nothing left to send.
    assert_eq!(etat.distribuer_courriels().await.expect("delivery"), (0, 0));

    // A relay that does not answer: the failure is recorded, retried later.
    let ferme = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port_ferme = ferme.local_addr().expect("addr").port();
    drop(ferme);
    let etat = etat_avec_smtp(store.clone(), format!("smtp://127.0.0.1:{port_ferme}")).await;
    let app = routeur(etat.clone());
    let r = post(
        &app,
        "/compte/mot-de-passe-oublie",
        "email=destinataire%40exemple.fr",
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(etat.distribuer_courriels().await.expect("delivery"), (0, 1));
    let queue = store.courriels(10, None).await.expect("queue");
    assert!(queue[0].envoye_le.is_none());
    assert!(queue[0].derniere_erreur.is_some());
    assert!(queue[0].prochain_essai_le > etat.maintenant());
    assert_eq!(etat.distribuer_courriels().await.expect("delivery"), (0, 0));

    // Administrators read the queue; nobody else does.
    let (_, admin) = compte(
        &app,
        &etat,
        "admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let (_, mediateur) = compte(&app, &etat, "med@exemple.fr", &[Attribution::mediateur()]).await;
    let r = get_avec_cookie(&app, "/espace/courriels", &admin).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("choisir un nouveau mot de passe"));
    assert!(r.texte().contains("envoyé le"));
    assert!(r.texte().contains("non envoyé (1 essai(s))"));
    assert_eq!(
        get_avec_cookie(&app, "/espace/courriels", &mediateur)
            .await
            .statut,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/espace/courriels").await.statut,
        StatusCode::SEE_OTHER
    );

    // Without the demo switch, the public outbox does not exist.
    let mut c = config();
    c.boite_d_envoi_visible = false;
    let etat = Etat::nouveau(store.clone(), c).await.expect("state");
    let app = routeur(etat.clone());
    assert_eq!(
        get(&app, "/compte/boite-d-envoi").await.statut,
        StatusCode::NOT_FOUND
    );
    // Without SMTP, messages wait and nothing is sent.
    let r = post(
        &app,
        "/compte/mot-de-passe-oublie",
        "email=destinataire%40exemple.fr",
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert_eq!(etat.distribuer_courriels().await.expect("delivery"), (0, 0));
    let queue = store.courriels(1, None).await.expect("queue");
    assert!(queue[0].envoye_le.is_none() && queue[0].derniere_erreur.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courriels_sqlite() {
    sur_sqlite(suite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn courriels_postgres() {
    sur_postgres(suite).await;
}
