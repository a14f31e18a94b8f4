//! `maillage retention`: anonymises the beneficiaries inactive for
//! `--mois` months, says how many, refuses a zero duration in French.

use chrono::{TimeZone, Utc};
use maillage_beneficiaires::{valider, BeneficiaireSaisie};
use maillage_store::{NouveauBeneficiaire, Store};
use std::process::Command;

fn suivi(nom: &str) -> maillage_beneficiaires::Beneficiaire {
    valider(
        &BeneficiaireSaisie {
            prenom: "Jeanne".into(),
            nom: nom.into(),
            consentement: true,
            ..Default::default()
        },
        2025,
    )
    .expect("valide")
}

#[test]
fn retention_anonymise_les_inactifs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (ancien, recent) = runtime.block_on(async {
        let store = Store::connect(&db).await.expect("store");
        let mut ids = Vec::new();
        for (nom, cree_le) in [
            (
                "Ancienne",
                Utc.with_ymd_and_hms(2020, 1, 1, 9, 0, 0)
                    .single()
                    .expect("date"),
            ),
            ("Recente", Utc::now()),
        ] {
            ids.push(
                store
                    .creer_beneficiaire(&NouveauBeneficiaire {
                        mediateur_id: "m1".into(),
                        beneficiaire: suivi(nom),
                        cree_le,
                    })
                    .await
                    .expect("création"),
            );
        }
        store.close().await;
        (ids[0].clone(), ids[1].clone())
    });

    let lancer = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_maillage"))
            .env("DATABASE_URL", &db)
            .env_remove("RUST_LOG")
            .args(args)
            .output()
            .expect("run maillage")
    };
    let out = lancer(&["retention", "--mois", "24"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "1 bénéficiaire(s) sans activité depuis 24 mois anonymisé(s)."
    );
    // Idempotent.
    let out = lancer(&["retention"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 bénéficiaire(s)"));

    let out = lancer(&["retention", "--mois", "0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("durée de conservation de 0 mois refusée"),
        "{err}"
    );

    runtime.block_on(async {
        let store = Store::connect(&db).await.expect("store");
        let a = store.beneficiaire(&ancien).await.expect("l").expect("a");
        assert!(a.anonymise_le.is_some());
        assert_eq!(a.beneficiaire.nom, None);
        let r = store.beneficiaire(&recent).await.expect("l").expect("r");
        assert!(r.est_active());
        store.close().await;
    });
}
