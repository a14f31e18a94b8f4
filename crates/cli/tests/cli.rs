//! The `maillage` binary as a user runs it: exit codes, French messages,
//! files written, and the same demo on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn maillage(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .env("DATABASE_URL", db)
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .expect("run maillage")
}

fn texte(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("m.db").display())
}

#[test]
fn import_export_dedupe_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sqlite(dir.path());
    let hinaura = data().join("lieux/hinaura-2021.v0.json");
    let erreurs = dir.path().join("erreurs.csv");
    let out = maillage(
        &db,
        &[
            "import",
            "--source",
            "hinaura",
            hinaura.to_str().expect("path"),
            "--errors",
            erreurs.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", texte(&out.stderr));
    let stdout = texte(&out.stdout);
    assert!(
        stdout.contains("Import de la source « hinaura »"),
        "{stdout}"
    );
    assert!(stdout.contains("687 lus"), "{stdout}");
    let rapport = std::fs::read_to_string(&erreurs).expect("errors file");
    assert!(rapport.starts_with("fichier,ligne,id,champ,gravite,code,message"));

    let config = data().join("sources/mednum-cli/angers/angers.config.json");
    let brut = data().join("sources/mednum-cli/angers/angers.json");
    let out = maillage(
        &db,
        &[
            "import",
            "--mapping",
            config.to_str().expect("p"),
            brut.to_str().expect("p"),
        ],
    );
    assert!(out.status.success(), "{}", texte(&out.stderr));

    let report = dir.path().join("doublons.csv");
    let out = maillage(&db, &["dedupe", "--report", report.to_str().expect("p")]);
    assert!(out.status.success(), "{}", texte(&out.stderr));
    let lignes = std::fs::read_to_string(&report).expect("report");
    assert!(lignes.starts_with("group_id,source,source_id,published_id"));
    assert!(lignes.lines().count() > 687);

    let export = dir.path().join("registre.csv");
    let out = maillage(
        &db,
        &[
            "export",
            "--format",
            "csv",
            "--output",
            export.to_str().expect("p"),
        ],
    );
    assert!(out.status.success(), "{}", texte(&out.stderr));
    let mut lecteur = csv::Reader::from_path(&export).expect("csv");
    assert_eq!(lecteur.headers().expect("headers").len(), 32);
    let n = lecteur.records().count();
    assert!(n > 700, "{n}");

    let out = maillage(&db, &["export", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(json.as_array().map(|a| a.len()), Some(n));
}

#[test]
fn unusable_files_exit_non_zero_with_a_french_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sqlite(dir.path());
    let tronque = dir.path().join("lieux.json");
    std::fs::write(&tronque, b"[{\"id\": \"1\", \"nom\": \"Mairie\"").expect("write");
    let out = maillage(
        &db,
        &["import", "--source", "x", tronque.to_str().expect("p")],
    );
    assert!(!out.status.success());
    let err = texte(&out.stderr);
    assert!(err.contains("lieux.json"), "{err}");
    assert!(err.contains("Le registre n'a pas été modifié"), "{err}");

    let out = maillage(&db, &["export", "--format", "xml"]);
    assert!(!out.status.success());
    assert!(texte(&out.stderr).contains("format « xml » inconnu"));

    let out = maillage("mysql://localhost/x", &["export"]);
    assert!(!out.status.success());
    assert!(!texte(&out.stderr).is_empty());
}

fn demo(db: &str, dir: &Path) -> (String, Vec<u8>) {
    let out = maillage(
        db,
        &[
            "demo",
            "--sans-serveur",
            "--output-dir",
            dir.join("export").to_str().expect("p"),
        ],
    );
    assert!(out.status.success(), "{}", texte(&out.stderr));
    let csv = std::fs::read(dir.join("export/lieux-de-mediation-numerique.csv")).expect("export");
    (texte(&out.stdout), csv)
}

#[test]
fn demo_builds_the_registry_from_every_provided_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, csv) = demo(&sqlite(dir.path()), dir.path());
    println!("{stdout}");
    for source in [
        "hinaura-2021",
        "charente-2023",
        "mednum-bfc",
        "gironde",
        "nouvelle-caledonie",
    ] {
        assert!(stdout.contains(source), "{source} missing from the report");
    }
    assert!(!stdout.contains("ÉCHEC"), "{stdout}");
    assert!(stdout.contains("Consolidation"));
    for f in [
        "lieux-de-mediation-numerique.json",
        "lieux-de-mediation-numerique.geojson",
        "erreurs.csv",
        "doublons.csv",
    ] {
        assert!(dir.path().join("export").join(f).is_file(), "{f}");
    }
    let n = csv::Reader::from_reader(csv.as_slice()).records().count();
    assert!(n > 2000, "{n} places published");
    // The workspace's demo accounts and a year of activity, made once.
    assert!(stdout.contains("5 comptes et"), "{stdout}");
    assert!(stdout.contains("camille@demo.maillage.fr"));
    let activites: usize = stdout
        .split("5 comptes et ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("count of demo activities");
    assert!(activites > 300, "{activites}");
    let (encore, _) = demo(&sqlite(dir.path()), dir.path());
    assert!(!encore.contains("comptes et"), "{encore}");
    assert!(encore.contains("camille@demo.maillage.fr"));
}

/// The same demo on PostgreSQL gives the same registry as on SQLite.
#[test]
fn demo_on_postgresql_matches_sqlite() {
    let Ok(base) = std::env::var("MAILLAGE_TEST_POSTGRES") else {
        if std::env::var("MAILLAGE_SKIP_POSTGRES").is_ok() {
            println!("PostgreSQL ignoré (MAILLAGE_SKIP_POSTGRES)");
            return;
        }
        panic!("définissez MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test (ou MAILLAGE_SKIP_POSTGRES=1)");
    };
    let nom = format!("maillage_cli_{}_{}", std::process::id(), fastrand_suffix());
    let psql = |sql: &str| {
        Command::new("psql")
            .args([base.as_str(), "-qAt", "-c", sql])
            .output()
            .expect("psql")
    };
    let out = psql(&format!("CREATE DATABASE {nom}"));
    assert!(out.status.success(), "{}", texte(&out.stderr));
    let url = match base.rsplit_once('/') {
        Some((serveur, _)) => format!("{serveur}/{nom}"),
        None => panic!("bad url"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let pg_dir = dir.path().join("pg");
    let lite_dir = dir.path().join("lite");
    std::fs::create_dir_all(&pg_dir).expect("dir");
    std::fs::create_dir_all(&lite_dir).expect("dir");
    let resultat = std::panic::catch_unwind(|| {
        let (sortie_pg, pg) = demo(&url, &pg_dir);
        let (sortie_lite, lite) = demo(&sqlite(&lite_dir), &lite_dir);
        assert_eq!(texte(&pg), texte(&lite));
        // Same demo activity on both (fixed seed).
        let ligne = |s: &str| {
            s.lines()
                .find(|l| l.contains("comptes et"))
                .map(str::to_string)
        };
        assert!(ligne(&sortie_pg).is_some(), "{sortie_pg}");
        assert_eq!(ligne(&sortie_pg), ligne(&sortie_lite));
    });
    psql(&format!("DROP DATABASE IF EXISTS {nom} WITH (FORCE)"));
    if let Err(e) = resultat {
        std::panic::resume_unwind(e);
    }
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

/// `maillage serve --listen 127.0.0.1:0` prints its real address first,
/// then answers HTTP (what browser tests rely on).
#[test]
fn serve_prints_its_address_then_answers() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut enfant = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .env("DATABASE_URL", sqlite(dir.path()))
        .env_remove("RUST_LOG")
        .env_remove("MAILLAGE_JETON_GESTION")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start maillage serve");
    let resultat = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let sortie = enfant.stdout.take().expect("stdout");
        let mut ligne = String::new();
        BufReader::new(sortie)
            .read_line(&mut ligne)
            .expect("first line");
        let adresse = ligne
            .trim()
            .strip_prefix("Maillage écoute sur http://")
            .unwrap_or_else(|| panic!("first line: {ligne}"))
            .to_string();
        assert!(
            adresse.starts_with("127.0.0.1:") && !adresse.ends_with(":0"),
            "{adresse}"
        );
        let mut flux = std::net::TcpStream::connect(&adresse).expect("connect");
        flux.write_all(b"GET /api/v1/lieux HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .expect("request");
        let mut reponse = String::new();
        flux.read_to_string(&mut reponse).expect("response");
        assert!(reponse.starts_with("HTTP/1.1 200"), "{reponse}");
        assert!(reponse.contains("{\"total\":0,\"lieux\":[]}"), "{reponse}");
    }));
    let _ = enfant.kill();
    let _ = enfant.wait();
    if let Err(e) = resultat {
        std::panic::resume_unwind(e);
    }
}

/// `maillage compte`: the first administrator, then a role on a
/// département; bad options and weak passwords are refused in French.
#[test]
fn comptes_en_ligne_de_commande() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sqlite(dir.path());
    let avec_mdp = |mdp: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_maillage"))
            .env("DATABASE_URL", &db)
            .env("MAILLAGE_MOT_DE_PASSE", mdp)
            .env_remove("RUST_LOG")
            .args(args)
            .output()
            .expect("run maillage")
    };
    let creer = [
        "compte",
        "creer",
        "--email",
        "Admin@Exemple.fr",
        "--nom",
        "Admin",
        "--role",
        "administrateur",
    ];
    let out = avec_mdp("court", &creer);
    assert!(!out.status.success());
    assert!(
        texte(&out.stderr).contains("mot de passe refusé"),
        "{}",
        texte(&out.stderr)
    );
    let out = avec_mdp("une longue phrase secrète", &creer);
    assert!(out.status.success(), "{}", texte(&out.stderr));
    assert!(texte(&out.stdout).contains("Compte créé : admin@exemple.fr"));
    assert!(texte(&out.stdout).contains("Administrateur"));
    // Same address again: refused.
    let out = avec_mdp("une longue phrase secrète", &creer);
    assert!(!out.status.success());
    assert!(
        texte(&out.stderr).contains("existe déjà"),
        "{}",
        texte(&out.stderr)
    );
    // A territorial manager needs exactly one scope.
    let out = maillage(
        &db,
        &[
            "compte",
            "attribuer",
            "--email",
            "admin@exemple.fr",
            "--role",
            "gestionnaire_territorial",
        ],
    );
    assert!(!out.status.success());
    assert!(texte(&out.stderr).contains("--departement CODE ou --region CODE"));
    let out = maillage(
        &db,
        &[
            "compte",
            "attribuer",
            "--email",
            "admin@exemple.fr",
            "--role",
            "gestionnaire_territorial",
            "--departement",
            "33",
        ],
    );
    assert!(out.status.success(), "{}", texte(&out.stderr));
    assert!(texte(&out.stdout).contains("Gestionnaire territorial attribué"));
    let out = maillage(
        &db,
        &[
            "compte",
            "attribuer",
            "--email",
            "personne@exemple.fr",
            "--role",
            "mediateur",
        ],
    );
    assert!(!out.status.success());
    assert!(texte(&out.stderr).contains("aucun compte"));
    let out = maillage(
        &db,
        &[
            "compte",
            "attribuer",
            "--email",
            "admin@exemple.fr",
            "--role",
            "chef",
        ],
    );
    assert!(!out.status.success());
    assert!(texte(&out.stderr).contains("rôle inconnu"));
}
