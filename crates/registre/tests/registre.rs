//! End-to-end behaviour of the registry on real data: import, idempotence,
//! removal, dry run, atomicity on unusable files, consolidation, export.

use maillage_registre::demo::{self, ENTREES};
use maillage_registre::export::{self, FormatExport};
use maillage_registre::import::{self, Demande};
use maillage_registre::{consolidation, Erreur, Store};
use maillage_store::FiltreRegistre;
use maillage_territoires::Referentiel;
use std::path::{Path, PathBuf};

fn donnees() -> PathBuf {
    demo::dossier_donnees_par_defaut()
}

fn referentiel() -> &'static Referentiel {
    Referentiel::embarque().expect("embedded referential")
}

async fn store(dir: &Path) -> Store {
    Store::connect(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .expect("sqlite store")
}

fn demande(source: &str, fichiers: Vec<PathBuf>) -> Demande {
    Demande {
        source: Some(source.to_string()),
        fichiers,
        ..Demande::default()
    }
}

async fn snapshot(store: &Store) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = store
        .source_records()
        .await
        .expect("records")
        .into_iter()
        .map(|r| (r.source, r.lieu.id.to_string(), r.fingerprint))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn every_provided_dataset_and_source_imports_with_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    for entree in ENTREES {
        let r = import::importer(&store, &entree.demande(&donnees()), referentiel())
            .await
            .unwrap_or_else(|e| panic!("{} : {e}", entree.source));
        let p = &r.preparation;
        println!(
            "{:<36} lus {:>4}  valides {:>4}  rejetés {:>3}  {:?}",
            entree.source,
            p.lus(),
            p.valides(),
            p.rejetes(),
            p.motifs_rejet()
        );
        assert!(p.lus() > 0, "{}", entree.source);
        assert_eq!(p.lus(), p.valides() + p.rejetes(), "{}", entree.source);
        // Real published datasets are mostly valid: a source losing more than
        // a tenth of its rows means a reader or a rule is wrong.
        assert!(
            p.valides() * 10 >= p.lus() * 9,
            "{}: {} valid of {}",
            entree.source,
            p.valides(),
            p.lus()
        );
        assert_eq!(r.ajoutes.len() as u64, p.valides());
    }
    let sources = store.sources().await.expect("sources");
    assert_eq!(sources.len(), ENTREES.len());
}

#[tokio::test]
async fn reimport_is_idempotent_and_absent_records_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    let fichier = donnees().join("lieux/charente-2023.v0.json");
    let d = demande("charente", vec![fichier.clone()]);
    let premier = import::importer(&store, &d, referentiel())
        .await
        .expect("import");
    let n = premier.preparation.valides() as usize;
    assert!(n > 150);
    let avant = snapshot(&store).await;

    let second = import::importer(&store, &d, referentiel())
        .await
        .expect("re-import");
    assert!(second.ajoutes.is_empty() && second.modifies.is_empty() && second.supprimes.is_empty());
    assert_eq!(second.inchanges as usize, n);
    assert_eq!(snapshot(&store).await, avant);

    // A new version of the source without its first 10 places and with one
    // changed name: 10 removed, 1 changed.
    let mut lieux: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&fichier).expect("read")).expect("json");
    let retires: Vec<String> = lieux[..10]
        .iter()
        .map(|l| l["id"].as_str().expect("id").to_string())
        .collect();
    lieux.drain(..10);
    lieux[0]["nom"] = serde_json::Value::String("Nouveau nom".into());
    let v2 = dir.path().join("charente-v2.json");
    std::fs::write(&v2, serde_json::to_vec(&lieux).expect("json")).expect("write");

    let mut d2 = demande("charente", vec![v2]);
    d2.simulation = true;
    let simulation = import::importer(&store, &d2, referentiel())
        .await
        .expect("dry run");
    assert_eq!(simulation.supprimes.len(), 10);
    assert_eq!(simulation.modifies.len(), 1);
    assert_eq!(snapshot(&store).await, avant, "a dry run stores nothing");

    d2.simulation = false;
    let r = import::importer(&store, &d2, referentiel())
        .await
        .expect("import v2");
    let mut attendus = retires.clone();
    attendus.sort();
    assert_eq!(r.supprimes, attendus);
    assert_eq!(r.modifies.len(), 1);
    assert_eq!(snapshot(&store).await.len(), n - 10);
}

#[tokio::test]
async fn an_unusable_file_leaves_the_registry_exactly_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    let bon = donnees().join("lieux/bus-france-services-charente-2023.v0.json");
    import::importer(&store, &demande("bus", vec![bon.clone()]), referentiel())
        .await
        .expect("import");
    let avant = snapshot(&store).await;

    let tronque = dir.path().join("tronque.json");
    let octets = std::fs::read(&bon).expect("read");
    std::fs::write(&tronque, &octets[..octets.len() / 2]).expect("write");
    let vide = dir.path().join("vide.csv");
    std::fs::write(&vide, b"").expect("write");

    for mauvais in [tronque, vide, dir.path().join("absent.json")] {
        // The good file first, then the bad one: the whole import is refused.
        let err = import::importer(
            &store,
            &demande("bus", vec![bon.clone(), mauvais.clone()]),
            referentiel(),
        )
        .await
        .expect_err("unusable file");
        let message = err.to_string();
        assert!(matches!(err, Erreur::FichierInutilisable(_)), "{message}");
        let nom = mauvais.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            message.contains(nom),
            "the message names the file: {message}"
        );
        assert_eq!(snapshot(&store).await, avant, "{message}");
    }
}

#[tokio::test]
async fn row_level_problems_are_reported_and_valid_rows_go_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    let csv = dir.path().join("mixte.csv");
    std::fs::write(
        &csv,
        "id;nom;commune;code_postal;adresse;date_maj;services;telephone\n\
         a1;Médiathèque Jean Moulin;Bordeaux;33000;1 rue X;2024-01-02;Aide aux démarches administratives;05 56 00 00 00\n\
         a2;;Bordeaux;33000;2 rue Y;2024-01-02;;\n\
         a3;Espace numérique;Bordeaux;33000;3 rue Z;pas une date;;\n\
         a4;Mairie;Bordeaux;33000;4 rue W;2024-01-02;Service inconnu;\n",
    )
    .expect("write");
    let r = import::importer(&store, &demande("mixte", vec![csv]), referentiel())
        .await
        .expect("import");
    let p = &r.preparation;
    assert_eq!((p.lus(), p.valides(), p.rejetes()), (4, 2, 2));
    let nom_manquant = p
        .issues
        .iter()
        .find(|i| i.record_id.as_deref() == Some("a2") && i.field.as_deref() == Some("nom"))
        .expect("issue on a2.nom");
    assert_eq!(nom_manquant.line, Some(3));
    assert!(nom_manquant
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with("mixte.csv")));
    assert!(p
        .issues
        .iter()
        .any(|i| i.record_id.as_deref() == Some("a4") && i.message.contains("Service inconnu")));
    let records = store.source_records().await.expect("records");
    let a1 = records
        .iter()
        .find(|r| r.lieu.id == "a1")
        .expect("a1 stored");
    assert_eq!(a1.lieu.telephone.as_deref(), Some("+33556000000"));
    assert_eq!(
        a1.lieu.code_insee.as_deref(),
        Some("33063"),
        "geolocated offline"
    );
}

#[tokio::test]
async fn consolidation_merges_the_same_places_published_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    // The same 12 bus stops: the reference pipeline's output and Maillage's
    // own transformation of the raw source.
    for e in ENTREES
        .iter()
        .filter(|e| e.source.starts_with("bus-france-services-charente"))
    {
        import::importer(&store, &e.demande(&donnees()), referentiel())
            .await
            .expect("import");
    }
    let r = consolidation::consolider(&store, &maillage_dedup::Options::default())
        .await
        .expect("consolidation");
    assert_eq!(r.enregistrements, 24);
    println!("groupes {} fusionnés {}", r.groupes, r.groupes_fusionnes);
    assert!(
        r.groupes_fusionnes >= 10,
        "{} of 12 pairs merged",
        r.groupes_fusionnes
    );
    let publies = store
        .registry(&FiltreRegistre::default())
        .await
        .expect("registry");
    assert_eq!(publies.len(), r.groupes);
    assert!(publies.iter().all(|p| !p.members.is_empty()));
    let fusionnes = publies.iter().filter(|p| p.members.len() == 2).count();
    assert_eq!(fusionnes, r.groupes_fusionnes);
    // Every source record is in the report exactly once.
    assert_eq!(r.affectations.len(), 24);
}

#[tokio::test]
async fn export_by_territory_keeps_only_that_territory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(dir.path()).await;
    for e in ENTREES
        .iter()
        .filter(|e| ["charente-2023", "hinaura-2021"].contains(&e.source))
    {
        import::importer(&store, &e.demande(&donnees()), referentiel())
            .await
            .expect("import");
    }
    consolidation::consolider(&store, &maillage_dedup::Options::default())
        .await
        .expect("consolidation");
    let mut tout = Vec::new();
    let n_tout = export::exporter(
        &store,
        referentiel(),
        FormatExport::Csv,
        None,
        &mut tout,
        "-",
    )
    .await
    .expect("export");
    let mut charente = Vec::new();
    let n_16 = export::exporter(
        &store,
        referentiel(),
        FormatExport::Csv,
        Some("dep:16"),
        &mut charente,
        "-",
    )
    .await
    .expect("export");
    assert!(n_16 > 100 && n_16 < n_tout);
    let mut lecteur = csv::Reader::from_reader(charente.as_slice());
    let entetes = lecteur.headers().expect("headers").clone();
    assert_eq!(entetes.len(), 32);
    let i_insee = entetes
        .iter()
        .position(|h| h == "code_insee")
        .expect("code_insee");
    for ligne in lecteur.records() {
        let ligne = ligne.expect("row");
        assert!(ligne[i_insee].starts_with("16"), "{:?}", ligne);
    }
    let mut aura = Vec::new();
    let n_84 = export::exporter(
        &store,
        referentiel(),
        FormatExport::GeoJson,
        Some("reg:84"),
        &mut aura,
        "-",
    )
    .await
    .expect("export");
    let geo: serde_json::Value = serde_json::from_slice(&aura).expect("geojson");
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["features"].as_array().map(|a| a.len()), Some(n_84));
    assert!(n_84 > 500);
    let err = export::exporter(
        &store,
        referentiel(),
        FormatExport::Csv,
        Some("dep:ZZ"),
        &mut Vec::new(),
        "-",
    )
    .await
    .expect_err("unknown territory");
    assert!(err.to_string().contains("ZZ"));
}

/// Consolidation publishes a place found in one source only as that source
/// record (copied by the store, not rebuilt): merging a group of one must
/// therefore change nothing.
#[test]
fn merging_a_single_record_changes_nothing() {
    let options = maillage_dedup::Options::default();
    let mut n = 0;
    for entree in ENTREES {
        let prep = import::preparer(&entree.demande(&donnees()), referentiel()).expect("prepare");
        for lieu in &prep.lieux {
            let fiche = maillage_dedup::Fiche {
                source: entree.source,
                lieu,
            };
            let mut fusion = maillage_dedup::fusionner(&[fiche], &options);
            assert_eq!(
                fusion.id.as_str(),
                maillage_dedup::identifiant_publie(&[fiche])
            );
            fusion.id = lieu.id.clone();
            assert_eq!(&fusion, lieu, "{} / {}", entree.source, lieu.id);
            n += 1;
        }
    }
    assert!(n > 2500);
}
