//! Administration of the workspace on both databases: password reset by
//! e-mailed link, the audit journal, accounts and roles, a coordinator's
//! team, and the refusals of every role.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-web --test espace_administration`

mod harnais;
use harnais::*;

use axum::http::StatusCode;
use axum::Router;
use maillage_comptes::{Attribution, PerimetreAttribution, Role};
use maillage_store::Store;
use maillage_web::Etat;

/// The path of the first link to `chemin` in the outbox message to
/// `email` whose subject contains `sujet`.
async fn lien_recu(app: &Router, email: &str, sujet: &str, chemin: &str) -> String {
    let r = get(app, "/compte/boite-d-envoi").await;
    let texte = r.texte();
    let message = texte
        .split("<li>")
        .skip(1)
        .find(|m| m.contains(&format!("À : {email}")) && m.contains(sujet))
        .unwrap_or_else(|| panic!("no message « {sujet} » to {email}"))
        .to_string();
    let debut = message.find(chemin).expect("link");
    let fin = message[debut..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || "/?=-_".contains(c)))
        .map_or(message.len(), |n| debut + n);
    message[debut..fin].to_string()
}

async fn reinitialisation(app: &Router, etat: &Etat) {
    let (id, ancien_cookie) =
        compte(app, etat, "oubli@exemple.fr", &[Attribution::mediateur()]).await;
    assert_eq!(
        get_avec_cookie(app, "/espace", &ancien_cookie).await.statut,
        StatusCode::OK
    );

    // The form, then the request: same answer for an unknown address.
    let r = get(app, "/compte/mot-de-passe-oublie").await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("Recevoir un lien"));
    let connu = post(
        app,
        "/compte/mot-de-passe-oublie",
        "email=Oubli%40Exemple.fr",
        &[],
    )
    .await;
    let inconnu = post(
        app,
        "/compte/mot-de-passe-oublie",
        "email=personne%40exemple.fr",
        &[],
    )
    .await;
    assert_eq!(connu.statut, StatusCode::OK);
    assert_eq!(inconnu.statut, StatusCode::OK);
    assert!(connu.texte().contains("Si un compte existe"));
    assert!(inconnu.texte().contains("Si un compte existe"));
    let boite = get(app, "/compte/boite-d-envoi").await.texte();
    assert!(!boite.contains("À : personne@exemple.fr"));
    let invalide = post(
        app,
        "/compte/mot-de-passe-oublie",
        "email=pas-une-adresse",
        &[],
    )
    .await;
    assert_eq!(invalide.statut, StatusCode::BAD_REQUEST);
    assert!(invalide.texte().contains("adresse e-mail valide"));

    let lien = lien_recu(
        app,
        "oubli@exemple.fr",
        "nouveau mot de passe",
        "/compte/reinitialisation?jeton=",
    )
    .await;
    let jeton = lien.split("jeton=").nth(1).expect("token").to_string();
    // Opening the link shows the form and does not use the token.
    let r = get(app, &lien).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains(&format!("value=\"{jeton}\"")));
    assert_eq!(get(app, &lien).await.statut, StatusCode::OK);

    // A weak or mismatched password is refused without using the token.
    let faible = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", &jeton),
            ("mot_de_passe", "court"),
            ("confirmation", "court"),
        ]),
        &[],
    )
    .await;
    assert_eq!(faible.statut, StatusCode::BAD_REQUEST);
    assert!(
        faible.texte().contains("au moins 12 caractères"),
        "{}",
        faible.texte()
    );
    let different = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", &jeton),
            ("mot_de_passe", "un tout nouveau secret"),
            ("confirmation", "autre chose encore"),
        ]),
        &[],
    )
    .await;
    assert_eq!(different.statut, StatusCode::BAD_REQUEST);
    assert!(different.texte().contains("pas identiques"));

    // A cross-site post is refused.
    let croise = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", &jeton),
            ("mot_de_passe", "un tout nouveau secret"),
            ("confirmation", "un tout nouveau secret"),
        ]),
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(croise.statut, StatusCode::FORBIDDEN);

    let ok = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", &jeton),
            ("mot_de_passe", "un tout nouveau secret"),
            ("confirmation", "un tout nouveau secret"),
        ]),
        &[],
    )
    .await;
    assert_eq!(ok.statut, StatusCode::OK, "{}", ok.texte());
    assert!(ok.texte().contains("Mot de passe changé"));
    // The old session is closed, the old password refused, the new one works.
    assert_eq!(
        get_avec_cookie(app, "/espace", &ancien_cookie).await.statut,
        StatusCode::SEE_OTHER
    );
    let ancien = post(
        app,
        "/compte/connexion",
        &formulaire(&[("email", "oubli@exemple.fr"), ("mot_de_passe", MDP)]),
        &[],
    )
    .await;
    assert_ne!(ancien.statut, StatusCode::SEE_OTHER);
    let nouveau = post(
        app,
        "/compte/connexion",
        &formulaire(&[
            ("email", "oubli@exemple.fr"),
            ("mot_de_passe", "un tout nouveau secret"),
        ]),
        &[],
    )
    .await;
    assert_eq!(nouveau.statut, StatusCode::SEE_OTHER);
    // The link serves once.
    let encore = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", &jeton),
            ("mot_de_passe", "encore un autre secret"),
            ("confirmation", "encore un autre secret"),
        ]),
        &[],
    )
    .await;
    assert_eq!(encore.statut, StatusCode::BAD_REQUEST);
    assert!(encore.texte().contains("déjà été utilisé"));
    let invente = post(
        app,
        "/compte/reinitialisation",
        &formulaire(&[
            ("jeton", "invente"),
            ("mot_de_passe", "encore un autre secret"),
            ("confirmation", "encore un autre secret"),
        ]),
        &[],
    )
    .await;
    assert_eq!(invente.statut, StatusCode::BAD_REQUEST);
    // Journaled: the request and the reset.
    let journal = etat.store().journal(100, None).await.expect("journal");
    for action in [
        "demande_reinitialisation_mot_de_passe",
        "reinitialisation_mot_de_passe",
    ] {
        assert!(
            journal
                .iter()
                .any(|e| e.action == action && e.cible.as_deref() == Some(id.as_str())),
            "{action}"
        );
    }
}

async fn journal_et_roles(app: &Router, etat: &Etat) {
    let (_, admin) = compte(
        app,
        etat,
        "admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let (mediateur_id, mediateur) =
        compte(app, etat, "med@exemple.fr", &[Attribution::mediateur()]).await;
    let (_, coordinateur) = compte(
        app,
        etat,
        "coord@exemple.fr",
        &[Attribution {
            role: Role::Coordinateur,
            perimetre: PerimetreAttribution::Equipe(Vec::new()),
        }],
    )
    .await;
    let (_, territorial) = compte(
        app,
        etat,
        "dep@exemple.fr",
        &[Attribution::gestionnaire_departement("33")],
    )
    .await;
    let (_, structure) = compte(
        app,
        etat,
        "structure@exemple.fr",
        &[Attribution::gestionnaire_structure("S1")],
    )
    .await;
    let (_, sans_role) = compte(app, etat, "sans@exemple.fr", &[]).await;

    // Only administrators read the journal and the accounts.
    for cookie in [
        &mediateur,
        &coordinateur,
        &territorial,
        &structure,
        &sans_role,
    ] {
        for uri in [
            "/espace/journal",
            "/espace/utilisateurs",
            &format!("/espace/utilisateurs/{mediateur_id}"),
        ] {
            let r = get_avec_cookie(app, uri, cookie).await;
            assert_eq!(r.statut, StatusCode::FORBIDDEN, "{uri}");
        }
        let r = post_avec_cookie(
            app,
            &format!("/espace/utilisateurs/{mediateur_id}/roles"),
            "role=administrateur",
            cookie,
        )
        .await;
        assert_eq!(r.statut, StatusCode::FORBIDDEN);
    }
    for uri in ["/espace/journal", "/espace/utilisateurs", "/espace/equipe"] {
        let r = get(app, uri).await;
        assert_eq!(r.statut, StatusCode::SEE_OTHER, "{uri}");
        assert!(
            r.entete("location").starts_with("/compte/connexion?suite="),
            "{uri}"
        );
    }

    let r = get_avec_cookie(app, "/espace/journal", &admin).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("Connexion"), "{}", r.texte());
    assert!(r.texte().contains("med@exemple.fr"));
    assert_eq!(r.entete("cache-control"), "no-store");
    // Reading the journal is journaled.
    let journal = etat.store().journal(5, None).await.expect("journal");
    assert_eq!(journal[0].action, "consultation_journal");

    let r = get_avec_cookie(app, "/espace/utilisateurs?q=MED", &admin).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("med@exemple.fr"));
    assert!(!r.texte().contains("admin@exemple.fr"));
    // LIKE wildcards are taken literally.
    let r = get_avec_cookie(app, "/espace/utilisateurs?q=%25", &admin).await;
    assert!(r.texte().contains("0 compte"), "{}", r.texte());

    // Grant a territorial role on a département, with a bad code first.
    let uri = format!("/espace/utilisateurs/{mediateur_id}/roles");
    let r = post_avec_cookie(
        app,
        &uri,
        "role=gestionnaire_territorial&perimetre=999",
        &admin,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("ni un code de département"));
    let r = post_avec_cookie(
        app,
        &uri,
        "role=gestionnaire_territorial&perimetre=33",
        &admin,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let attributions = etat
        .store()
        .attributions(&mediateur_id)
        .await
        .expect("grants");
    assert!(attributions.contains(&Attribution::gestionnaire_departement("33")));
    // Cross-site grants are refused.
    let r = post(
        app,
        &uri,
        "role=administrateur",
        &[("cookie", &admin), ("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    assert!(!etat
        .store()
        .attributions(&mediateur_id)
        .await
        .expect("grants")
        .contains(&Attribution::administrateur()));
    // Withdraw it.
    let r = post_avec_cookie(
        app,
        &format!("{uri}/retirer"),
        "role=gestionnaire_territorial&perimetre=33",
        &admin,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert!(!etat
        .store()
        .attributions(&mediateur_id)
        .await
        .expect("grants")
        .contains(&Attribution::gestionnaire_departement("33")));
    let journal = etat.store().journal(50, None).await.expect("journal");
    assert!(
        journal
            .iter()
            .filter(|e| e.action == "changement_role"
                && e.cible.as_deref() == Some(mediateur_id.as_str()))
            .count()
            >= 2
    );
    // An unknown account.
    let r = get_avec_cookie(app, "/espace/utilisateurs/inconnu", &admin).await;
    assert_eq!(r.statut, StatusCode::NOT_FOUND);
}

async fn equipe(app: &Router, etat: &Etat) {
    let (coord_id, coordinateur) = compte(
        app,
        etat,
        "chef@exemple.fr",
        &[Attribution {
            role: Role::Coordinateur,
            perimetre: PerimetreAttribution::Equipe(Vec::new()),
        }],
    )
    .await;
    let (membre_id, membre) =
        compte(app, etat, "membre@exemple.fr", &[Attribution::mediateur()]).await;
    let (_, _) = compte(
        app,
        etat,
        "agent@exemple.fr",
        &[Attribution::gestionnaire_departement("16")],
    )
    .await;

    // Mediators have no team page.
    assert_eq!(
        get_avec_cookie(app, "/espace/equipe", &membre).await.statut,
        StatusCode::FORBIDDEN
    );
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=membre%40exemple.fr",
        &membre,
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);

    let r = get_avec_cookie(app, "/espace/equipe", &coordinateur).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.texte().contains("aucun médiateur"));
    // Unknown address, account without the mediator role.
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=pas-une-adresse",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("nom@exemple.fr"));
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=agent%40exemple.fr",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("pas le rôle de médiateur"));
    // Added, then added again (refused), then removed.
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=Membre%40exemple.fr",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let liens = etat.store().liens_equipe(&coord_id).await.expect("links");
    assert_eq!(liens.len(), 1);
    assert_eq!(liens[0].mediateur_id, membre_id);
    assert_eq!(
        liens[0].debut,
        chrono::NaiveDate::from_ymd_opt(2025, 3, 11).expect("date")
    );
    let r = get_avec_cookie(app, "/espace/equipe", &coordinateur).await;
    assert!(r.texte().contains("membre@exemple.fr"));
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=membre%40exemple.fr",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("fait déjà partie"));
    let r = post_avec_cookie(
        app,
        "/espace/equipe/retirer",
        "email=membre%40exemple.fr",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    let liens = etat.store().liens_equipe(&coord_id).await.expect("links");
    assert_eq!(
        liens[0].fin,
        Some(chrono::NaiveDate::from_ymd_opt(2025, 3, 11).expect("date"))
    );
    let journal = etat.store().journal(20, None).await.expect("journal");
    assert!(journal.iter().any(|e| e.action == "ajout_membre_equipe"));
    assert!(journal.iter().any(|e| e.action == "retrait_membre_equipe"));
}

async fn invitations(app: &Router, etat: &Etat) {
    let (admin_id, admin) = compte(
        app,
        etat,
        "chef-admin@exemple.fr",
        &[Attribution::administrateur()],
    )
    .await;
    let (_, mediateur) = compte(app, etat, "simple@exemple.fr", &[Attribution::mediateur()]).await;
    let corps = "email=nouvelle%40exemple.fr&role=gestionnaire_territorial&perimetre=16";
    // Only those allowed may invite.
    let r = post_avec_cookie(app, "/espace/utilisateurs/inviter", corps, &mediateur).await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = post_avec_cookie(
        app,
        "/espace/utilisateurs/inviter",
        "email=x&role=mediateur",
        &admin,
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    let r = post_avec_cookie(app, "/espace/utilisateurs/inviter", corps, &admin).await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let lien = lien_recu(
        app,
        "nouvelle@exemple.fr",
        "invité",
        "/compte/invitation?jeton=",
    )
    .await;
    let jeton = lien.split("jeton=").nth(1).expect("token").to_string();
    let r = get(app, &lien).await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(
        r.texte().contains("Gestionnaire territorial"),
        "{}",
        r.texte()
    );
    assert!(r.texte().contains("Créer mon compte et accepter"));
    // Errors keep the token; a good form creates the account with the role.
    let r = post(
        app,
        "/compte/invitation",
        &formulaire(&[
            ("jeton", &jeton),
            ("nom", ""),
            ("mot_de_passe", "court"),
            ("confirmation", "court"),
        ]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("Indiquez votre nom"));
    let r = post(
        app,
        "/compte/invitation",
        &formulaire(&[
            ("jeton", &jeton),
            ("nom", "Nouvelle Agente"),
            ("mot_de_passe", "une phrase bien longue"),
            ("confirmation", "une phrase bien longue"),
        ]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    assert!(r.texte().contains("Compte créé"));
    let u = etat
        .store()
        .utilisateur_par_email("nouvelle@exemple.fr")
        .await
        .expect("read")
        .expect("account");
    assert!(u.email_verifie_le.is_some());
    assert_eq!(
        etat.store().attributions(&u.id).await.expect("grants"),
        vec![Attribution::gestionnaire_departement("16")]
    );
    let r = post(
        app,
        "/compte/connexion",
        &formulaire(&[
            ("email", "nouvelle@exemple.fr"),
            ("mot_de_passe", "une phrase bien longue"),
        ]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    // Used once.
    let r = get(app, &lien).await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);
    assert!(r.texte().contains("déjà été utilisé"));
    let r = get(app, "/compte/invitation?jeton=invente").await;
    assert_eq!(r.statut, StatusCode::BAD_REQUEST);

    // An existing account accepts signed in, not otherwise.
    let r = post_avec_cookie(
        app,
        "/espace/utilisateurs/inviter",
        "email=simple%40exemple.fr&role=coordinateur",
        &admin,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    let lien = lien_recu(
        app,
        "simple@exemple.fr",
        "invité",
        "/compte/invitation?jeton=",
    )
    .await;
    let jeton = lien.split("jeton=").nth(1).expect("token").to_string();
    let r = get(app, &lien).await;
    assert!(r.texte().contains("Un compte existe déjà"), "{}", r.texte());
    let r = post(
        app,
        "/compte/invitation",
        &formulaire(&[("jeton", &jeton)]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::FORBIDDEN);
    let r = get_avec_cookie(app, &lien, &mediateur).await;
    assert!(r.texte().contains("Accepter l'invitation"));
    let r = post_avec_cookie(
        app,
        "/compte/invitation",
        &formulaire(&[("jeton", &jeton)]),
        &mediateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER, "{}", r.texte());
    let u = etat
        .store()
        .utilisateur_par_email("simple@exemple.fr")
        .await
        .expect("read")
        .expect("account");
    assert!(etat
        .store()
        .attributions(&u.id)
        .await
        .expect("grants")
        .iter()
        .any(|a| a.role == Role::Coordinateur));
    let journal = etat.store().journal(100, None).await.expect("journal");
    assert!(journal
        .iter()
        .any(|e| e.action == "invitation" && e.acteur_id.as_deref() == Some(admin_id.as_str())));

    // A coordinator adding an address without an account invites it into the team.
    let (coord_id, coordinateur) = compte(
        app,
        etat,
        "coordination@exemple.fr",
        &[Attribution {
            role: Role::Coordinateur,
            perimetre: PerimetreAttribution::Equipe(Vec::new()),
        }],
    )
    .await;
    let r = post_avec_cookie(
        app,
        "/espace/equipe/ajouter",
        "email=recrue%40exemple.fr",
        &coordinateur,
    )
    .await;
    assert_eq!(r.statut, StatusCode::SEE_OTHER);
    assert_eq!(r.entete("location"), "/espace/equipe?fait=invite");
    let lien = lien_recu(
        app,
        "recrue@exemple.fr",
        "invité",
        "/compte/invitation?jeton=",
    )
    .await;
    let jeton = lien.split("jeton=").nth(1).expect("token").to_string();
    let r = post(
        app,
        "/compte/invitation",
        &formulaire(&[
            ("jeton", &jeton),
            ("nom", "Recrue"),
            ("mot_de_passe", "une phrase bien longue"),
            ("confirmation", "une phrase bien longue"),
        ]),
        &[],
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.texte());
    let u = etat
        .store()
        .utilisateur_par_email("recrue@exemple.fr")
        .await
        .expect("read")
        .expect("account");
    assert_eq!(
        etat.store().attributions(&u.id).await.expect("grants"),
        vec![Attribution::mediateur()]
    );
    let liens = etat.store().liens_equipe(&coord_id).await.expect("links");
    assert!(liens
        .iter()
        .any(|l| l.mediateur_id == u.id && l.fin.is_none()));
}

async fn suite(store: Store) {
    let (app, etat) = app(store).await;
    reinitialisation(&app, &etat).await;
    journal_et_roles(&app, &etat).await;
    equipe(&app, &etat).await;
    invitations(&app, &etat).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_sqlite() {
    sur_sqlite(suite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_postgres() {
    sur_postgres(suite).await;
}
