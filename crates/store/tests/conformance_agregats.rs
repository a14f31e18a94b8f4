//! The roll-up tables of the statistics (migration 0012), on SQLite and
//! PostgreSQL: after varied writes (several départements, month and year
//! edges, modifications, deletions, workshops with participants), the
//! statistics and the pilotage table read from the roll-ups equal those
//! counted on the records themselves, for the nation, one département or
//! several, over whole or day-precise periods; a rebuild gives the same.
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test --release -p maillage-store --test conformance_agregats`
//!
//! The timings on ten million records are an ignored test:
//! `cargo test --release -p maillage-store --test conformance_agregats -- --ignored --nocapture mesure`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_activites::{
    valider, Activite, ActiviteSaisie, Beneficiaire, Demographie, DureeSaisie, Genre, Materiel,
    ParticipantsAnonymes, StatutSocial, Thematique, TrancheAge, TypeActivite, TypeLieu,
};
use maillage_store::{FiltrePilotage, FiltreStatistiques, NouvelleActivite, Regroupement, Store};

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, Ctx};

conformance!(
    agregats_egaux_au_calcul_brut,
    modifications_croisees_concurrentes
);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn instant(secondes: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + secondes, 0)
        .single()
        .expect("instant")
}

const DEPARTEMENTS: [Option<&str>; 6] = [
    Some("13"),
    Some("2A"),
    Some("75"),
    Some("84"),
    Some("971"),
    None,
];

/// Dates on the edges: first and last days of months and years, leap day,
/// and a spread over three years.
fn date_du(i: usize) -> NaiveDate {
    const BORDS: [(i32, u32, u32); 10] = [
        (2024, 1, 1),
        (2024, 2, 29),
        (2024, 12, 31),
        (2025, 1, 1),
        (2025, 1, 31),
        (2025, 2, 1),
        (2025, 6, 30),
        (2025, 12, 31),
        (2026, 1, 1),
        (2026, 3, 15),
    ];
    if i.is_multiple_of(3) {
        let (y, m, d) = BORDS[(i / 3) % BORDS.len()];
        date(y, m, d)
    } else {
        date(2024, 1, 1) + Duration::days(((i * 37) % 900) as i64)
    }
}

/// Record `i`, varied on every counted column.
fn activite(i: usize, jour: NaiveDate) -> Activite {
    let collectif = i % 5 == 2;
    let mut s = ActiviteSaisie::nouvelle(if collectif {
        TypeActivite::Collectif
    } else {
        TypeActivite::Individuel
    });
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(
        [15, 29, 30, 45, 60, 90, 119, 120, 121, 240][i % 10],
    ));
    let type_lieu = TypeLieu::ALL[(i / 2) % TypeLieu::ALL.len()];
    s.type_lieu = Some(type_lieu);
    match type_lieu {
        TypeLieu::LieuActivite => s.structure_id = Some(format!("lieu-{}", i % 7)),
        TypeLieu::Domicile | TypeLieu::Autre => {
            s.lieu_code_insee = Some(["13055", "2A004", "75056", "84007", "97105"][i % 5].into())
        }
        TypeLieu::ADistance => {}
    }
    s.materiel = match i % 4 {
        0 => vec![],
        1 => vec![Materiel::Aucun],
        2 => vec![Materiel::Ordinateur, Materiel::Telephone],
        _ => vec![Materiel::Tablette],
    };
    let n = Thematique::ALL.len();
    let mut thematiques = vec![Thematique::ALL[i % n], Thematique::ALL[(i * 7 + 3) % n]];
    if thematiques.iter().any(|t| t.est_administrative()) {
        thematiques.push(Thematique::AideAuxDemarchesAdministratives);
    }
    s.thematiques = thematiques;
    if collectif {
        s.titre_atelier = Some(format!("Atelier {i}"));
        s.participants = (0..i % 3).map(|k| format!("p-{i}-{k}")).collect();
        let total = (i % 6 + 1) as i64;
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total,
            genre_feminin: total / 2,
            tranche_age_soixante_dix_plus: total / 3,
            statut_social_retraite: total,
            ..Default::default()
        });
    } else {
        s.beneficiaire = Some(match i % 3 {
            0 => Beneficiaire::Suivi {
                id: format!("b-{i}"),
            },
            1 => Beneficiaire::Anonyme(Demographie {
                genre: Some(Genre::ALL[i % Genre::ALL.len()]),
                tranche_age: Some(TrancheAge::ALL[i % TrancheAge::ALL.len()]),
                statut_social: Some(StatutSocial::ALL[i % StatutSocial::ALL.len()]),
            }),
            _ => Beneficiaire::Anonyme(Demographie::default()),
        });
    }
    valider(&s, date(2026, 12, 31)).expect("valid record")
}

fn demographies(i: usize) -> Vec<Demographie> {
    (0..i % 3)
        .map(|k| Demographie {
            genre: Some(Genre::ALL[(i + k) % Genre::ALL.len()]),
            tranche_age: Some(TrancheAge::ALL[(i + k) % TrancheAge::ALL.len()]),
            statut_social: (k != 1).then_some(StatutSocial::EnEmploi),
        })
        .collect()
}

/// 320 records; every 7th is then moved (another date and département),
/// every 11th deleted, some both.
async fn charger(s: &Store) {
    let mut ids = Vec::new();
    for i in 0..320 {
        let n = NouvelleActivite {
            mediateur_id: format!("med-{}", i % 17),
            structure_id: Some(format!("st-{}", i % 4)),
            departement: DEPARTEMENTS[(i * 7) % DEPARTEMENTS.len()].map(str::to_string),
            activite: activite(i, date_du(i)),
            demographies_suivies: demographies(i),
            cree_le: instant(i as i64),
        };
        ids.push(s.enregistrer_activite(&n).await.expect("record stored"));
    }
    for (i, id) in ids.iter().enumerate() {
        if i % 7 == 0 {
            let j = i + 1000;
            s.modifier_activite(
                id,
                &activite(j, date_du(j)),
                &demographies(j),
                DEPARTEMENTS[j % DEPARTEMENTS.len()],
                "coordo",
                instant(5_000 + i as i64),
            )
            .await
            .expect("modified");
        }
        if i % 11 == 0 {
            assert!(s
                .supprimer_activite(id, "coordo", instant(9_000 + i as i64))
                .await
                .expect("deleted"));
        }
    }
}

fn v(l: &[&str]) -> Vec<String> {
    l.iter().map(|x| x.to_string()).collect()
}

/// Periods: none, open-ended, whole years and months, day-precise edges,
/// one day, across a year end, an empty one.
fn periodes() -> Vec<(Option<NaiveDate>, Option<NaiveDate>)> {
    vec![
        (None, None),
        (Some(date(2025, 1, 1)), None),
        (None, Some(date(2025, 6, 15))),
        (Some(date(2024, 1, 1)), Some(date(2026, 12, 31))),
        (Some(date(2025, 1, 1)), Some(date(2025, 12, 31))),
        (Some(date(2025, 2, 1)), Some(date(2025, 2, 28))),
        (Some(date(2024, 2, 29)), Some(date(2024, 2, 29))),
        (Some(date(2025, 1, 31)), Some(date(2025, 2, 1))),
        (Some(date(2024, 12, 31)), Some(date(2025, 1, 1))),
        (Some(date(2024, 3, 17)), Some(date(2025, 8, 3))),
        (Some(date(2024, 11, 15)), Some(date(2025, 1, 10))),
        (Some(date(2025, 3, 2)), Some(date(2025, 3, 30))),
        (Some(date(2025, 5, 1)), Some(date(2025, 4, 30))),
    ]
}

async fn comparer(s: &Store, cas: &str, min_non_vides: usize) {
    let portees: Vec<Option<Vec<String>>> = vec![
        None,
        Some(v(&["13"])),
        Some(v(&["13", "84", "2A"])),
        Some(v(&["971", "75"])),
        Some(v(&["01"])),
    ];
    let mut non_vides = 0;
    for departements in &portees {
        for (du, au) in periodes() {
            let f = FiltreStatistiques {
                departements: departements.clone(),
                du,
                au,
                ..Default::default()
            };
            let brut = s.statistiques_brutes(&f).await.expect("raw statistics");
            let agrege = s.statistiques(&f).await.expect("statistics");
            assert_eq!(agrege, brut, "{cas}: {f:?}");
            non_vides += usize::from(brut.totaux.activites > 0);
        }
    }
    assert!(
        non_vides >= min_non_vides,
        "{cas}: {non_vides} meaningful cases"
    );
    let regions = Regroupement::Departements(vec![
        ("93".to_string(), v(&["13", "84"])),
        ("94".to_string(), v(&["2A", "2B"])),
        ("11".to_string(), v(&["75", "77"])),
        ("53".to_string(), Vec::new()),
    ]);
    let departements = Regroupement::Departements(vec![
        ("13".to_string(), v(&["13"])),
        ("84".to_string(), v(&["84"])),
    ]);
    for (scope, regroupement) in [
        (None, regions.clone()),
        (None, Regroupement::Departements(Vec::new())),
        (Some(v(&["13", "84"])), departements.clone()),
        (Some(v(&["13", "84", "75"])), departements),
        (Some(v(&["75"])), regions),
    ] {
        for (du, au) in [
            (date(2024, 1, 1), date(2026, 12, 31)),
            (date(2025, 1, 1), date(2025, 12, 31)),
            (date(2024, 12, 31), date(2025, 1, 1)),
            (date(2024, 3, 17), date(2025, 8, 3)),
            (date(2025, 2, 1), date(2025, 2, 28)),
            (date(2025, 6, 30), date(2025, 6, 30)),
        ] {
            let f = FiltrePilotage {
                departements: scope.clone(),
                du,
                au,
                regroupement: regroupement.clone(),
            };
            let brut = s.pilotage_brut(&f).await.expect("raw pilotage");
            let agrege = s.pilotage(&f).await.expect("pilotage");
            assert_eq!(agrege, brut, "{cas}: {f:?}");
        }
    }
}

async fn agregats_egaux_au_calcul_brut(ctx: &Ctx) {
    let s = &ctx.store;
    comparer(s, "base vide", 0).await;
    charger(s).await;
    comparer(s, "après écritures", 41).await;
    // A rebuild from the records gives the same roll-ups.
    s.reconstruire_agregats().await.expect("rebuilt");
    comparer(s, "après reconstruction", 41).await;
    // Writes after a rebuild keep them in step.
    let n = NouvelleActivite {
        mediateur_id: "med-nouveau".to_string(),
        structure_id: None,
        departement: Some("13".to_string()),
        activite: activite(3, date(2025, 2, 14)),
        demographies_suivies: Vec::new(),
        cree_le: instant(20_000),
    };
    let id = s.enregistrer_activite(&n).await.expect("stored");
    comparer(s, "après un ajout", 41).await;
    s.supprimer_activite(&id, "coordo", instant(20_001))
        .await
        .expect("deleted");
    comparer(s, "après sa suppression", 41).await;
}

/// Concurrent modifications moving records between two départements in
/// opposite directions take the roll-up rows in opposite orders: PostgreSQL
/// may abort one transaction as a deadlock, and the store runs it again.
/// Every write succeeds and the roll-ups still equal the raw count.
async fn modifications_croisees_concurrentes(ctx: &Ctx) {
    let s = &ctx.store;
    let jour = date(2025, 3, 3);
    let mut ids = Vec::new();
    for i in 0..40 {
        let n = NouvelleActivite {
            mediateur_id: format!("med-{}", i % 5),
            structure_id: None,
            departement: Some(if i % 2 == 0 { "13" } else { "84" }.to_string()),
            activite: activite(i, jour),
            demographies_suivies: Vec::new(),
            cree_le: instant(i as i64),
        };
        ids.push(s.enregistrer_activite(&n).await.expect("record stored"));
    }
    for tour in 0..3 {
        let mut taches = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let (s, id) = (s.clone(), id.clone());
            // Even records go 13 → 84 while odd ones go 84 → 13, then back.
            let vers = if (i + tour) % 2 == 0 { "84" } else { "13" };
            taches.push(tokio::spawn(async move {
                s.modifier_activite(
                    &id,
                    &activite(i + 7 * tour, jour),
                    &[],
                    Some(vers),
                    "coordo",
                    instant(1_000 + (tour * 100 + i) as i64),
                )
                .await
            }));
        }
        for t in taches {
            t.await
                .expect("task")
                .expect("modified despite concurrent writes");
        }
    }
    comparer(s, "après des modifications concurrentes", 10).await;
}

// ---------------------------------------------------------------------------
// Timings on a national volume (ignored: minutes of loading; no timing in
// the normal tests). `MAILLAGE_MESURE_LIGNES` records (10,000,000 by
// default) over 5 years, 20,000 mediators, 101 départements, written by SQL
// into a throw-away SQLite file and, when `MAILLAGE_TEST_POSTGRES` is set,
// a throw-away PostgreSQL database `bench_agregats` (dropped after).

const MEDIATEURS_MESURE: i64 = 20_000;
const JOURS_MESURE: i64 = 1826;

/// The select list of synthetic record `i` among `n` (dates in order of
/// `i`, as records are written), `id` and `dep` being backend SQL.
fn colonnes_mesure(id: &str, dep: &str, date: &str, n: i64) -> String {
    let m = format!("((i * 7919) % {MEDIATEURS_MESURE})");
    let lieu = "(CASE (i / 3) % 4 WHEN 0 THEN 'LieuActivite' WHEN 1 THEN 'Domicile' \
                WHEN 2 THEN 'Autre' ELSE 'ADistance' END)";
    let acc = "(CASE WHEN i % 5 = 0 THEN 1 + i % 8 ELSE 1 END)";
    format!(
        "{id}, 'med-' || {m}, 'st-' || ({m} / 4), {dep}, {date}, \
         CASE WHEN i % 5 = 0 THEN 'collectif' ELSE 'individuel' END, 15 + (i % 8) * 15, {lieu}, \
         CASE WHEN (i / 3) % 4 = 0 THEN 'lieu-' || ({m} % 6000) END, \
         CASE WHEN (i / 3) % 4 IN (1, 2) THEN {dep} || '-' || ((i / 7) % 100) END, \
         (1 << CAST(i % 30 AS INTEGER)) | (1 << CAST((i * 7) % 30 AS INTEGER)), \
         1 << CAST(i % 5 AS INTEGER), {acc}, '{{}}', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', {acc}, {acc}, {acc} /* {n} */"
    )
}

const COLONNES_INSERTION: &str = "id, mediateur_id, structure_id, departement, date, \
    type_activite, duree_minutes, type_lieu, lieu_id, code_insee, thematiques, materiel, \
    accompagnements, donnees, cree_le, modifie_le, genre_non_communique, \
    tranche_age_non_communique, statut_social_non_communique";

fn departement_mesure(k: i64) -> String {
    format!("{:03}", k % 101)
}

async fn chronometrer<F, Fut, T>(fois: usize, f: F) -> Vec<f64>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut t = Vec::new();
    for _ in 0..fois {
        let debut = std::time::Instant::now();
        f().await;
        t.push(debut.elapsed().as_secs_f64() * 1000.0);
    }
    t.sort_by(f64::total_cmp);
    t
}

async fn mesurer(s: &Store, base: &str) {
    let region: Vec<String> = (0..12).map(departement_mesure).collect();
    let portees: [(&str, Option<Vec<String>>); 3] = [
        ("nation", None),
        ("région (12 dép.)", Some(region.clone())),
        ("département", Some(vec![departement_mesure(13)])),
    ];
    let periodes = [
        ("5 ans", date(2021, 1, 1), date(2025, 12, 31)),
        ("1 an", date(2024, 1, 1), date(2024, 12, 31)),
        ("1 mois", date(2024, 3, 1), date(2024, 3, 31)),
        ("période au jour", date(2023, 2, 17), date(2024, 9, 5)),
    ];
    let brut = std::env::var("MAILLAGE_MESURE_BRUT").as_deref() != Ok("0");
    for (nom_portee, departements) in &portees {
        for (nom_periode, du, au) in &periodes {
            let f = FiltreStatistiques {
                departements: departements.clone(),
                du: Some(*du),
                au: Some(*au),
                ..Default::default()
            };
            let agrege = chronometrer(5, || async {
                s.statistiques(&f).await.expect("statistics")
            })
            .await;
            let b = if brut {
                let t = chronometrer(1, || async {
                    s.statistiques_brutes(&f).await.expect("statistics")
                })
                .await;
                format!("{:.0}", t[0])
            } else {
                "-".to_string()
            };
            println!(
                "{base} statistiques {nom_portee} {nom_periode}: agrégats médiane {:.1} ms (max {:.1}), brut {b} ms",
                agrege[2], agrege[4]
            );
        }
    }
    let regions: Vec<(String, Vec<String>)> = (0..13)
        .map(|r| {
            (
                format!("R{r}"),
                (0..101)
                    .filter(|k| k % 13 == r)
                    .map(departement_mesure)
                    .collect(),
            )
        })
        .collect();
    let par_departement: Vec<(String, Vec<String>)> = region
        .iter()
        .map(|d| (d.clone(), vec![d.clone()]))
        .collect();
    let cas_pilotage = [
        ("nation par région", None, regions),
        (
            "région par département",
            Some(region.clone()),
            par_departement,
        ),
    ];
    let periodes_pilotage = [
        ("36 mois", date(2023, 1, 1), date(2025, 12, 31)),
        ("1 an", date(2024, 1, 1), date(2024, 12, 31)),
        ("1 mois", date(2024, 3, 1), date(2024, 3, 31)),
        ("période au jour", date(2023, 2, 17), date(2024, 9, 5)),
    ];
    for (nom, departements, groupes) in &cas_pilotage {
        for (nom_periode, du, au) in &periodes_pilotage {
            let f = FiltrePilotage {
                departements: departements.clone(),
                du: *du,
                au: *au,
                regroupement: Regroupement::Departements(groupes.clone()),
            };
            let agrege =
                chronometrer(5, || async { s.pilotage(&f).await.expect("pilotage") }).await;
            let b = if brut {
                let t = chronometrer(1, || async { s.pilotage_brut(&f).await.expect("pilotage") })
                    .await;
                format!("{:.0}", t[0])
            } else {
                "-".to_string()
            };
            println!(
                "{base} pilotage {nom} {nom_periode}: agrégats médiane {:.1} ms (max {:.1}), brut {b} ms",
                agrege[2], agrege[4]
            );
        }
    }
    // Writes: record, modify, delete, on the full tables.
    let mut ids = Vec::new();
    let mut t_ajout = Vec::new();
    for i in 0..300 {
        let n = NouvelleActivite {
            mediateur_id: format!("med-{}", i * 37 % 20_000),
            structure_id: Some("st-1".to_string()),
            departement: Some(departement_mesure(i as i64)),
            activite: activite(i, date(2025, 1, 1) + Duration::days((i % 300) as i64)),
            demographies_suivies: demographies(i),
            cree_le: instant(i as i64),
        };
        let debut = std::time::Instant::now();
        ids.push(s.enregistrer_activite(&n).await.expect("stored"));
        t_ajout.push(debut.elapsed().as_secs_f64() * 1000.0);
    }
    let mut t_modif = Vec::new();
    let mut t_suppr = Vec::new();
    for (i, id) in ids.iter().enumerate().take(100) {
        let debut = std::time::Instant::now();
        s.modifier_activite(
            id,
            &activite(i + 7, date(2024, 6, 1) + Duration::days(i as i64)),
            &[],
            Some(&departement_mesure(i as i64 + 5)),
            "coordo",
            instant(1_000),
        )
        .await
        .expect("modified");
        t_modif.push(debut.elapsed().as_secs_f64() * 1000.0);
        let debut = std::time::Instant::now();
        s.supprimer_activite(id, "coordo", instant(2_000))
            .await
            .expect("deleted");
        t_suppr.push(debut.elapsed().as_secs_f64() * 1000.0);
    }
    for (nom, t) in [
        ("enregistrer_activite", &mut t_ajout),
        ("modifier_activite", &mut t_modif),
        ("supprimer_activite", &mut t_suppr),
    ] {
        t.sort_by(f64::total_cmp);
        let p = |q: f64| t[((t.len() - 1) as f64 * q) as usize];
        println!(
            "{base} écriture {nom}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            p(0.5),
            p(0.99),
            p(1.0)
        );
    }
}

fn lignes_mesure() -> i64 {
    std::env::var("MAILLAGE_MESURE_LIGNES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes de chargement : mesure à la demande"]
async fn mesure_sqlite() {
    use sqlx::{Connection, Executor, Row};
    let n = lignes_mesure();
    // An already loaded file (kept from an earlier run) is measured again.
    if let Ok(chemin) = std::env::var("MAILLAGE_MESURE_SQLITE") {
        let s = Store::connect(&format!("sqlite://{chemin}"))
            .await
            .expect("store");
        mesurer(&s, "sqlite").await;
        s.close().await;
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("mesure.db").display());
    Store::connect(&url).await.expect("store").close().await;
    let debut = std::time::Instant::now();
    let mut c = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connection");
    c.execute("PRAGMA cache_size = -2000000; PRAGMA synchronous = OFF")
        .await
        .expect("pragmas");
    // Indexes are built after the rows (a sort, not random inserts).
    let index: Vec<(String, String)> = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
         AND tbl_name = 'activites' AND sql IS NOT NULL",
    )
    .fetch_all(&mut c)
    .await
    .expect("indexes")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    for (nom, _) in &index {
        c.execute(format!("DROP INDEX {nom}").as_str())
            .await
            .expect("drop");
    }
    let colonnes = colonnes_mesure(
        "printf('%032x', i)",
        "printf('%03d', ((i * 7919) % 20000) % 101)",
        &format!("date('2021-01-01', '+' || (i * {JOURS_MESURE} / {n}) || ' days')"),
        n,
    );
    c.execute(
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
             INSERT INTO activites ({COLONNES_INSERTION}) SELECT {colonnes} FROM n",
            n - 1
        )
        .as_str(),
    )
    .await
    .expect("bulk insert");
    for (_, sql) in &index {
        c.execute(sql.as_str()).await.expect("index");
    }
    c.close().await.expect("close");
    println!(
        "sqlite: {n} lignes chargées en {:.0} s",
        debut.elapsed().as_secs_f64()
    );
    let s = Store::connect(&url).await.expect("store");
    let debut = std::time::Instant::now();
    s.reconstruire_agregats().await.expect("rebuilt");
    println!(
        "sqlite: agrégats reconstruits en {:.0} s",
        debut.elapsed().as_secs_f64()
    );
    mesurer(&s, "sqlite").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes de chargement : mesure à la demande"]
async fn mesure_postgres() {
    use sqlx::{Connection, Executor, Row};
    let n = lignes_mesure();
    let admin = std::env::var("MAILLAGE_TEST_POSTGRES").expect("MAILLAGE_TEST_POSTGRES");
    let mut a = sqlx::PgConnection::connect(&admin).await.expect("admin");
    // `bench_agregats` kept from an interrupted run is measured again
    // (and dropped after).
    if std::env::var("MAILLAGE_MESURE_PG_EXISTANTE").as_deref() == Ok("1") {
        let s = Store::connect(&harnais::url_base(&admin, "bench_agregats"))
            .await
            .expect("store");
        mesurer(&s, "postgres").await;
        s.close().await;
        a.execute("DROP DATABASE IF EXISTS bench_agregats WITH (FORCE)")
            .await
            .expect("drop");
        return;
    }
    a.execute("DROP DATABASE IF EXISTS bench_agregats WITH (FORCE)")
        .await
        .expect("drop");
    a.execute("CREATE DATABASE bench_agregats")
        .await
        .expect("create");
    let url = harnais::url_base(&admin, "bench_agregats");
    Store::connect(&url).await.expect("store").close().await;
    let debut = std::time::Instant::now();
    let mut c = sqlx::PgConnection::connect(&url).await.expect("connection");
    c.execute("SET maintenance_work_mem = '1GB'")
        .await
        .expect("set");
    let index: Vec<(String, String)> = sqlx::query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'activites' \
         AND indexname <> 'activites_pkey'",
    )
    .fetch_all(&mut c)
    .await
    .expect("indexes")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    for (nom, _) in &index {
        c.execute(format!("DROP INDEX {nom}").as_str())
            .await
            .expect("drop");
    }
    let colonnes = colonnes_mesure(
        "lpad(to_hex(i), 32, '0')",
        "lpad((((i * 7919) % 20000) % 101)::text, 3, '0')",
        &format!("DATE '2021-01-01' + CAST(i * {JOURS_MESURE} / {n} AS INTEGER)"),
        n,
    )
    .replace(
        "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'",
        "TIMESTAMPTZ '2026-01-01T00:00:00Z', TIMESTAMPTZ '2026-01-01T00:00:00Z'",
    );
    c.execute(
        format!(
            "INSERT INTO activites ({COLONNES_INSERTION}) SELECT {colonnes} \
             FROM generate_series(CAST(0 AS BIGINT), {}) AS n(i)",
            n - 1
        )
        .as_str(),
    )
    .await
    .expect("bulk insert");
    for (_, sql) in &index {
        c.execute(sql.as_str()).await.expect("index");
    }
    c.execute("VACUUM ANALYZE activites")
        .await
        .expect("analyze");
    c.close().await.expect("close");
    println!(
        "postgres: {n} lignes chargées en {:.0} s",
        debut.elapsed().as_secs_f64()
    );
    let s = Store::connect(&url).await.expect("store");
    let debut = std::time::Instant::now();
    s.reconstruire_agregats().await.expect("rebuilt");
    println!(
        "postgres: agrégats reconstruits en {:.0} s",
        debut.elapsed().as_secs_f64()
    );
    mesurer(&s, "postgres").await;
    s.close().await;
    a.execute("DROP DATABASE IF EXISTS bench_agregats WITH (FORCE)")
        .await
        .expect("drop");
}
