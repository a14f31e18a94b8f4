//! One behavioural suite, run on SQLite (temporary file) and on PostgreSQL
//! (a fresh database per test on the server named by
//! `MAILLAGE_TEST_POSTGRES`, dropped at the end).
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store`

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_lieux::{Lieu, PrecisionCoordonnees, CHAMPS};
use maillage_store::{
    Backend, FiltreRegistre, ImportChange, ImportRun, NouveauSignalement, Provenance,
    PublishedLieu, SourceRecord, Store, StoreError,
};
use sqlx::{Connection, Executor};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;

// ---------------------------------------------------------------------------
// Harness

struct Ctx {
    store: Store,
    url: String,
}

async fn sur_sqlite<F, Fut>(f: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("registre.db").display());
    let store = Store::connect(&url).await.expect("SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    f(Ctx { store, url }).await;
}

/// The admin URL with another database name (query string kept).
fn url_base(admin: &str, base: &str) -> String {
    let (sans_requete, requete) = match admin.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (admin, None),
    };
    let debut_hote = sans_requete.find("://").map_or(0, |i| i + 3);
    let mut url = match sans_requete[debut_hote..].find('/') {
        Some(i) => format!("{}/{base}", &sans_requete[..debut_hote + i]),
        None => format!("{sans_requete}/{base}"),
    };
    if let Some(q) = requete {
        url.push('?');
        url.push_str(q);
    }
    url
}

async fn sur_postgres<F, Fut>(test: &str, f: F)
where
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin) = std::env::var("MAILLAGE_TEST_POSTGRES") else {
        if std::env::var("MAILLAGE_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("{test} sur PostgreSQL : ignoré (MAILLAGE_SKIP_POSTGRES=1)");
            return;
        }
        panic!(
            "{test} sur PostgreSQL : la variable MAILLAGE_TEST_POSTGRES n'est pas définie. \
             Donnez l'adresse d'un serveur où l'on peut créer des bases, par exemple \
             MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store, \
             ou définissez MAILLAGE_SKIP_POSTGRES=1 pour ne tester que SQLite."
        );
    };
    let base = format!("maillage_test_{:016x}", fastrand::u64(..));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connection to MAILLAGE_TEST_POSTGRES");
    conn.execute(format!("CREATE DATABASE {base}").as_str())
        .await
        .expect("CREATE DATABASE");
    let url = url_base(&admin, &base);
    // The test runs in its own task so that a panic still lets us drop the
    // database below.
    let resultat = tokio::spawn(async move {
        let store = Store::connect(&url).await.expect("PostgreSQL store");
        assert_eq!(store.backend(), Backend::Postgres);
        let fin = store.clone();
        f(Ctx { store, url }).await;
        fin.close().await;
    })
    .await;
    let drop = conn
        .execute(format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)").as_str())
        .await;
    if let Err(e) = resultat {
        std::panic::resume_unwind(e.into_panic());
    }
    drop.expect("DROP DATABASE");
}

macro_rules! conformance {
    ($($nom:ident),* $(,)?) => {
        $(
            mod $nom {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::sur_sqlite(|ctx| async move { super::$nom(&ctx).await }).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::sur_postgres(stringify!($nom), |ctx| async move {
                        super::$nom(&ctx).await
                    })
                    .await
                }
            }
        )*
    };
}

conformance!(
    migrations_idempotentes,
    upsert_suppression_empreintes,
    atomicite_import,
    registre_et_provenance,
    filtres_registre,
    aller_retour_lieu_riche,
    resume_des_sources,
    comptes_rendus_import,
    unicode_et_guillemets,
    gros_volume_pagine,
    publication_par_groupes,
    signalements,
    version_du_registre,
);

// ---------------------------------------------------------------------------
// Real data

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");

/// Places of a v0.1 dataset of data/lieux, through the fields v0.1 and v1
/// share (lists turned from `;` to `|`). Unknown enumeration values are
/// dropped by `Lieu::depuis_valeurs`.
fn lieux_reels(fichier: &str) -> Vec<Lieu> {
    let texte = std::fs::read_to_string(format!("{DATA}/lieux/{fichier}")).expect("dataset");
    let json: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&texte).expect("JSON array");
    let renommer = [
        ("courriel", "courriels"),
        ("labels_autres", "autres_formations_labels"),
    ];
    let listes = [
        "courriels",
        "site_web",
        "typologie",
        "autres_formations_labels",
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
    ];
    json.iter()
        .map(|objet| {
            let mut valeurs = BTreeMap::new();
            for (k, v) in objet {
                let k = renommer
                    .iter()
                    .find(|(a, _)| a == k)
                    .map_or(k.as_str(), |(_, b)| b);
                if !CHAMPS.contains(&k) {
                    continue;
                }
                let mut s = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => continue,
                    autre => autre.to_string(),
                };
                if listes.contains(&k) {
                    s = s.replace(';', "|");
                }
                valeurs.insert(k.to_string(), s);
            }
            let mut l = Lieu::depuis_valeurs(
                |c| valeurs.get(c).map(String::as_str),
                PrecisionCoordonnees::Aucune,
            )
            .expect("valid date_maj in dataset");
            if l.latitude.is_some() {
                l.precision_coordonnees = PrecisionCoordonnees::Source;
            }
            l
        })
        .collect()
}

/// The official valid example of the standard v1.0.2 (all 32 fields filled).
fn exemple_officiel() -> Lieu {
    let mut csv = csv::Reader::from_path(format!("{DATA}/standard/exemple-valide-v1.0.2.csv"))
        .expect("example CSV");
    let entetes = csv.headers().expect("header").clone();
    let ligne = csv.records().next().expect("one row").expect("valid row");
    let valeurs: HashMap<&str, &str> = entetes.iter().zip(ligne.iter()).collect();
    Lieu::depuis_valeurs(|c| valeurs.get(c).copied(), PrecisionCoordonnees::Adresse)
        .expect("official example")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn instant(secondes: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secondes, 123_456_000)
        .single()
        .expect("valid instant")
}

fn run(source: &str, at: DateTime<Utc>) -> ImportRun {
    ImportRun {
        source: source.to_string(),
        at,
        files: vec![format!("{source}.json")],
        ..ImportRun::default()
    }
}

fn change(
    source: &str,
    upserts: Vec<Lieu>,
    deletes: Vec<String>,
    at: DateTime<Utc>,
) -> ImportChange {
    let mut r = run(source, at);
    r.rows_read = upserts.len() as u64;
    r.rows_valid = upserts.len() as u64;
    r.added = upserts.len() as u64;
    r.removed = deletes.len() as u64;
    ImportChange {
        source: source.to_string(),
        upserts,
        deletes,
        run: r,
    }
}

/// What a store holds, for "nothing changed" comparisons.
async fn etat(s: &Store) -> (Vec<SourceRecord>, Vec<ImportRun>, Vec<PublishedLieu>) {
    (
        s.source_records().await.expect("source_records"),
        s.import_runs(1000).await.expect("import_runs"),
        s.registry(&FiltreRegistre::default())
            .await
            .expect("registry"),
    )
}

fn publie_seul(l: &Lieu, source: &str) -> PublishedLieu {
    PublishedLieu {
        lieu: l.clone(),
        group_id: format!("g-{}", l.id),
        members: vec![Provenance {
            source: source.to_string(),
            source_id: l.id.to_string(),
        }],
    }
}

fn tries_par_id(mut v: Vec<PublishedLieu>) -> Vec<PublishedLieu> {
    v.sort_by(|a, b| a.lieu.id.cmp(&b.lieu.id));
    v
}

// ---------------------------------------------------------------------------
// The behaviours

async fn migrations_idempotentes(ctx: &Ctx) {
    let lieux = lieux_reels("bus-france-services-charente-2023.v0.json");
    ctx.store
        .apply_import(&change("bus", lieux.clone(), vec![], instant(0)))
        .await
        .expect("import");
    // A second and third connection re-run the migrations: no error, no loss.
    for _ in 0..2 {
        let encore = Store::connect(&ctx.url).await.expect("second connect");
        assert_eq!(encore.backend(), ctx.store.backend());
        let empreintes = encore.fingerprints("bus").await.expect("fingerprints");
        assert_eq!(empreintes.len(), lieux.len());
        encore.close().await;
    }
    assert_eq!(ctx.store.import_runs(10).await.expect("runs").len(), 1);
}

async fn upsert_suppression_empreintes(ctx: &Ctx) {
    let s = &ctx.store;
    let hinaura = lieux_reels("hinaura-2021.v0.json");
    let charente = lieux_reels("charente-2023.v0.json");
    assert_eq!(hinaura.len(), 687);
    assert!(s.fingerprints("hinaura").await.expect("empty").is_empty());

    s.apply_import(&change("hinaura", hinaura.clone(), vec![], instant(0)))
        .await
        .expect("hinaura import");
    s.apply_import(&change("charente", charente.clone(), vec![], instant(1)))
        .await
        .expect("charente import");

    let attendu: HashMap<String, String> = hinaura
        .iter()
        .map(|l| (l.id.to_string(), l.empreinte()))
        .collect();
    assert_eq!(
        s.fingerprints("hinaura").await.expect("fingerprints"),
        attendu
    );
    assert_eq!(
        s.fingerprints("charente")
            .await
            .expect("fingerprints")
            .len(),
        charente.len()
    );

    // Re-import: one place renamed, two deleted, one new.
    let mut modifie = hinaura[0].clone();
    modifie.nom = "Maison France services d'Abondance".into();
    let mut nouveau = hinaura[5].clone();
    nouveau.id = "nouveau-lieu".into();
    let supprimes = vec![hinaura[1].id.to_string(), hinaura[2].id.to_string()];
    s.apply_import(&change(
        "hinaura",
        vec![modifie.clone(), nouveau.clone()],
        supprimes.clone(),
        instant(10),
    ))
    .await
    .expect("re-import");

    let empreintes = s.fingerprints("hinaura").await.expect("fingerprints");
    assert_eq!(empreintes.len(), 687 - 2 + 1);
    assert_eq!(empreintes[modifie.id.as_str()], modifie.empreinte());
    assert_ne!(empreintes[modifie.id.as_str()], hinaura[0].empreinte());
    assert_eq!(empreintes["nouveau-lieu"], nouveau.empreinte());
    for id in &supprimes {
        assert!(!empreintes.contains_key(id));
    }
    // Same ids in another source are another key: charente untouched.
    let ch = s.fingerprints("charente").await.expect("fingerprints");
    assert_eq!(ch.len(), charente.len());
    for l in &charente {
        assert_eq!(ch[l.id.as_str()], l.empreinte());
    }

    // Records read back: the stored places, in (source, id) order.
    let records = s.source_records().await.expect("records");
    let mut attendus: Vec<(String, Lieu)> = charente
        .iter()
        .map(|l| ("charente".to_string(), l.clone()))
        .chain(
            hinaura
                .iter()
                .filter(|l| !supprimes.contains(&l.id.to_string()) && l.id != modifie.id)
                .chain([&modifie, &nouveau])
                .map(|l| ("hinaura".to_string(), l.clone())),
        )
        .collect();
    attendus.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    assert_eq!(records.len(), attendus.len());
    for (r, (source, lieu)) in records.iter().zip(&attendus) {
        assert_eq!(&r.source, source);
        assert_eq!(&r.lieu, lieu);
        assert_eq!(r.fingerprint, lieu.empreinte());
    }

    // Deleting an unknown id is not an error.
    s.apply_import(&change(
        "hinaura",
        vec![],
        vec!["inconnu".into()],
        instant(11),
    ))
    .await
    .expect("delete unknown");
    assert_eq!(s.fingerprints("hinaura").await.expect("fp").len(), 686);
}

async fn atomicite_import(ctx: &Ctx) {
    let s = &ctx.store;
    let hinaura = lieux_reels("hinaura-2021.v0.json");
    s.apply_import(&change(
        "hinaura",
        hinaura[..300].to_vec(),
        vec![],
        instant(0),
    ))
    .await
    .expect("initial import");
    s.replace_registry(&[publie_seul(&hinaura[0], "hinaura")])
        .await
        .expect("registry");
    let avant = etat(s).await;

    // 1. The same id twice in one change.
    let mut doublon = hinaura[300..310].to_vec();
    doublon.push(hinaura[300].clone());
    let e = s
        .apply_import(&change("hinaura", doublon, vec![], instant(5)))
        .await
        .expect_err("duplicate id");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert!(e.to_string().contains(hinaura[300].id.as_str()), "{e}");
    assert_eq!(etat(s).await, avant);

    // 2. Upserted and deleted in the same change.
    let e = s
        .apply_import(&change(
            "hinaura",
            vec![hinaura[0].clone()],
            vec![hinaura[0].id.to_string()],
            instant(5),
        ))
        .await
        .expect_err("upsert and delete");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert_eq!(etat(s).await, avant);

    // 3. A failure deep inside the transaction: 2,000 valid rows (several
    // INSERT statements on both backends), deletes, then a row the schema
    // refuses (empty id) at the very end.
    let mut lieux: Vec<Lieu> = (0..2000)
        .map(|i| {
            let mut l = hinaura[i % hinaura.len()].clone();
            l.id = format!("massif-{i}").into();
            l
        })
        .collect();
    let mut vide = hinaura[1].clone();
    vide.id = "".into();
    lieux.push(vide);
    let e = s
        .apply_import(&change(
            "hinaura",
            lieux.clone(),
            vec![hinaura[3].id.to_string()],
            instant(6),
        ))
        .await
        .expect_err("empty id");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("pendant"), "{e}");
    assert_eq!(etat(s).await, avant);

    // 4. Every write done, then the run row fails (a counter too large).
    lieux.pop();
    let mut c = change(
        "hinaura",
        lieux,
        vec![hinaura[3].id.to_string()],
        instant(7),
    );
    c.run.rows_read = u64::MAX;
    let e = s.apply_import(&c).await.expect_err("counter overflow");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("rows_read"), "{e}");
    assert_eq!(etat(s).await, avant);

    // 5. A run that names another source.
    let mut c = change("hinaura", vec![hinaura[0].clone()], vec![], instant(8));
    c.run.source = "autre".into();
    assert!(s.apply_import(&c).await.is_err());
    assert_eq!(etat(s).await, avant);

    // 6. An empty source name, refused by the schema even with no place.
    let e = s
        .apply_import(&change("", vec![], vec![], instant(9)))
        .await
        .expect_err("empty source");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(etat(s).await, avant);

    // And the store still works.
    c.run.source = String::new();
    s.apply_import(&c)
        .await
        .expect("valid import after failures");
    let runs = s.import_runs(10).await.expect("runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].source, "hinaura");
}

async fn registre_et_provenance(ctx: &Ctx) {
    let s = &ctx.store;
    let charente = lieux_reels("charente-2023.v0.json");
    let bus = lieux_reels("bus-france-services-charente-2023.v0.json");
    assert_eq!(s.registry_count().await.expect("count"), 0);
    assert_eq!(s.published("x").await.expect("published"), None);

    // Each Charente place published alone, except that each bus stop is
    // merged into a Charente place (two members, in a chosen order).
    let mut publies: Vec<PublishedLieu> = charente
        .iter()
        .map(|l| publie_seul(l, "charente"))
        .collect();
    for (i, b) in bus.iter().enumerate() {
        publies[i].members.insert(
            0,
            Provenance {
                source: "bus".into(),
                source_id: b.id.to_string(),
            },
        );
    }
    s.replace_registry(&publies).await.expect("replace");
    assert_eq!(
        s.registry_count().await.expect("count"),
        charente.len() as u64
    );
    let lu = s
        .registry(&FiltreRegistre::default())
        .await
        .expect("registry");
    assert_eq!(lu, tries_par_id(publies.clone()));
    let un = s
        .published(publies[0].lieu.id.as_str())
        .await
        .expect("published")
        .expect("present");
    assert_eq!(un, publies[0]);
    assert_eq!(un.members.len(), 2);
    assert_eq!(un.members[0].source, "bus");

    // Replacing again: the registry becomes exactly the new set.
    let reduit: Vec<PublishedLieu> = publies[20..50].to_vec();
    s.replace_registry(&reduit).await.expect("replace 2");
    assert_eq!(s.registry_count().await.expect("count"), 30);
    assert_eq!(
        s.registry(&FiltreRegistre::default())
            .await
            .expect("registry"),
        tries_par_id(reduit.clone())
    );
    assert_eq!(
        s.published(publies[0].lieu.id.as_str())
            .await
            .expect("published"),
        None
    );

    // A source record in two published places, or a duplicate id: refused,
    // nothing changed.
    let mut deux_fois = reduit.clone();
    let premier = deux_fois[0].members[0].clone();
    deux_fois[1].members.push(premier);
    let e = s
        .replace_registry(&deux_fois)
        .await
        .expect_err("dup member");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    let mut meme_id = reduit.clone();
    meme_id.push(reduit[3].clone());
    meme_id.last_mut().expect("one").members.clear();
    let e = s.replace_registry(&meme_id).await.expect_err("dup id");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    // Refused by the database itself (after the old registry was deleted in
    // the same transaction): rolled back.
    let mut id_vide = reduit.clone();
    id_vide[10].lieu.id = "".into();
    let e = s.replace_registry(&id_vide).await.expect_err("empty id");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(
        s.registry(&FiltreRegistre::default())
            .await
            .expect("registry"),
        tries_par_id(reduit)
    );

    // Empty registry.
    s.replace_registry(&[]).await.expect("empty");
    assert_eq!(s.registry_count().await.expect("count"), 0);
}

/// The consolidation path: light reads by département, full reads by key,
/// publication with singletons copied by the database and merged places
/// given in full; equal to what `replace_registry` of the same content gives.
async fn publication_par_groupes(ctx: &Ctx) {
    let s = &ctx.store;
    let charente = lieux_reels("charente-2023.v0.json");
    let bus = lieux_reels("bus-france-services-charente-2023.v0.json");
    s.apply_import(&change("charente", charente.clone(), vec![], instant(1)))
        .await
        .expect("import charente");
    s.apply_import(&change("bus", bus.clone(), vec![], instant(2)))
        .await
        .expect("import bus");

    let deps = s.departements_des_sources().await.expect("départements");
    assert!(deps.contains(&Some("16".to_string())), "{deps:?}");
    let mut legers = Vec::new();
    for d in &deps {
        let lus = s
            .source_records_pour_regroupement(d.as_deref())
            .await
            .expect("light read");
        assert!(lus
            .iter()
            .all(|r| r.lieu.departement().map(str::to_string) == *d || d.is_none()));
        legers.extend(lus);
    }
    assert_eq!(legers.len(), charente.len() + bus.len());
    assert!(legers
        .iter()
        .all(|r| r.lieu.presentation_detail.is_none() && r.lieu.horaires.is_none()));
    // Every field grouping reads is exactly the stored one; the others are
    // left empty.
    for leger in &legers {
        let origine = if leger.source == "charente" {
            &charente
        } else {
            &bus
        };
        let mut attendu = origine
            .iter()
            .find(|l| l.id == leger.lieu.id)
            .expect("full record")
            .clone();
        attendu.horaires = None;
        attendu.presentation_resume = None;
        attendu.presentation_detail = None;
        attendu.structure_parente = None;
        attendu.autres_formations_labels = Vec::new();
        attendu.fiche_acces_libre = None;
        attendu.prise_rdv = None;
        attendu.complement_adresse = None;
        attendu.itinerance = Default::default();
        attendu.services = Default::default();
        attendu.publics_specifiquement_adresses = Default::default();
        attendu.prise_en_charge_specifique = Default::default();
        attendu.frais_a_charge = Default::default();
        attendu.dispositif_programmes_nationaux = Default::default();
        attendu.formations_labels = Default::default();
        attendu.modalites_acces = Default::default();
        attendu.modalites_accompagnement = Default::default();
        assert_eq!(leger.lieu, attendu);
    }

    // The first bus stop merges with the first Charente place; every other
    // record is published alone.
    let cles = vec![
        ("bus".to_string(), bus[0].id.to_string()),
        ("charente".to_string(), charente[0].id.to_string()),
    ];
    let relus = s.source_records_par_cles(&cles).await.expect("read by key");
    assert_eq!(relus.len(), 2);
    assert_eq!(relus[0].lieu, bus[0]);
    assert_eq!(relus[1].lieu, charente[0]);

    let mut fusionne = charente[0].clone();
    fusionne.id = "fusion-1".into();
    let fusionnes = vec![PublishedLieu {
        lieu: fusionne.clone(),
        group_id: "g-fusion".into(),
        members: vec![
            Provenance {
                source: "bus".into(),
                source_id: bus[0].id.to_string(),
            },
            Provenance {
                source: "charente".into(),
                source_id: charente[0].id.to_string(),
            },
        ],
    }];
    let mut affectations = Vec::new();
    let mut attendu = fusionnes.clone();
    for (source, l) in charente
        .iter()
        .skip(1)
        .map(|l| ("charente", l))
        .chain(bus.iter().skip(1).map(|l| ("bus", l)))
    {
        let id = format!("{source}_{}", l.id);
        affectations.push(maillage_store::Affectation {
            source: source.into(),
            source_id: l.id.to_string(),
            group_id: format!("g-{id}"),
            published_id: id.clone(),
            copie: true,
        });
        let mut p = publie_seul(l, source);
        p.lieu.id = id.as_str().into();
        p.group_id = format!("g-{id}");
        attendu.push(p);
    }
    for m in &fusionnes[0].members {
        affectations.push(maillage_store::Affectation {
            source: m.source.clone(),
            source_id: m.source_id.clone(),
            group_id: "g-fusion".into(),
            published_id: "fusion-1".into(),
            copie: false,
        });
    }
    s.publish_groups(&affectations, &fusionnes)
        .await
        .expect("publish");
    let lu = s
        .registry(&FiltreRegistre::default())
        .await
        .expect("registry");
    assert_eq!(lu, tries_par_id(attendu.clone()));
    // A second publication replaces the first entirely (indexes rebuilt).
    s.publish_groups(&affectations, &fusionnes)
        .await
        .expect("publish again");
    assert_eq!(
        s.registry_count().await.expect("count"),
        attendu.len() as u64
    );
    let seize = s
        .registry(&FiltreRegistre {
            departements: Some(vec!["16".into()]),
            ..FiltreRegistre::default()
        })
        .await
        .expect("filter");
    assert_eq!(seize.len(), attendu.len());

    // A copy of a record that does not exist changes nothing.
    let avant = etat(s).await;
    let mut faux = affectations.clone();
    faux.push(maillage_store::Affectation {
        source: "absente".into(),
        source_id: "x".into(),
        group_id: "g-x".into(),
        published_id: "absente_x".into(),
        copie: true,
    });
    let err = s
        .publish_groups(&faux, &fusionnes)
        .await
        .expect_err("missing record");
    assert!(err.to_string().contains("trouvés"), "{err}");
    assert_eq!(etat(s).await, avant);
    // The same published id twice is refused before any write.
    let mut double = affectations.clone();
    double[1].published_id = double[0].published_id.clone();
    assert!(s.publish_groups(&double, &fusionnes).await.is_err());
    assert_eq!(etat(s).await, avant);

    // Piece by piece, reading inside the publication: the same registry.
    let mut publication = s.commencer_publication().await.expect("begin");
    let lus = publication
        .source_records_pour_regroupement(Some("16"))
        .await
        .expect("read inside");
    assert!(!lus.is_empty());
    let (debut, fin) = affectations.split_at(affectations.len() / 2);
    publication.copier(debut).await.expect("first half");
    publication.copier(fin).await.expect("second half");
    publication
        .terminer(&affectations, &fusionnes)
        .await
        .expect("commit");
    assert_eq!(etat(s).await, avant);
    // Abandoned midway: nothing changes.
    let mut publication = s.commencer_publication().await.expect("begin");
    publication.copier(debut).await.expect("half");
    publication.abandonner().await.expect("rollback");
    assert_eq!(etat(s).await, avant);
}

async fn filtres_registre(ctx: &Ctx) {
    let s = &ctx.store;
    let mut tous: Vec<PublishedLieu> = Vec::new();
    for (f, source) in [
        ("hinaura-2021.v0.json", "hinaura"),
        ("charente-2023.v0.json", "charente"),
        ("nouvelle-caledonie-2024.v0.json", "nc"),
    ] {
        for l in lieux_reels(f) {
            let mut p = publie_seul(&l, source);
            // Ids collide between files: prefix them.
            p.lieu.id = format!("{source}-{}", l.id).into();
            tous.push(p);
        }
    }
    s.replace_registry(&tous).await.expect("replace");
    let tous = tries_par_id(tous);
    let selon = |pred: &dyn Fn(&Lieu) -> bool| -> Vec<PublishedLieu> {
        tous.iter().filter(|p| pred(&p.lieu)).cloned().collect()
    };

    let deps = vec!["16".to_string(), "74".to_string(), "988".to_string()];
    let f = FiltreRegistre {
        departements: Some(deps.clone()),
        ..FiltreRegistre::default()
    };
    let attendu = selon(&|l| l.departement().is_some_and(|d| deps.iter().any(|x| x == d)));
    assert!(attendu.len() > 90, "16, 74 and 988 all present");
    assert_eq!(s.registry(&f).await.expect("by departement"), attendu);

    // Nouvelle-Calédonie has INSEE codes: pick three.
    let codes: Vec<String> = tous
        .iter()
        .filter_map(|p| p.lieu.code_insee.as_ref().map(|c| c.to_string()))
        .filter(|c| c.starts_with("988"))
        .take(3)
        .collect();
    assert_eq!(codes.len(), 3);
    let f = FiltreRegistre {
        codes_insee: Some(codes.clone()),
        ..FiltreRegistre::default()
    };
    let attendu = selon(&|l| {
        l.code_insee
            .as_ref()
            .is_some_and(|c| codes.iter().any(|x| x == c))
    });
    assert!(!attendu.is_empty());
    assert_eq!(s.registry(&f).await.expect("by insee"), attendu);

    // Both conditions: AND.
    let f = FiltreRegistre {
        departements: Some(vec!["74".into()]),
        codes_insee: Some(codes.clone()),
        limit: None,
    };
    assert!(s.registry(&f).await.expect("and").is_empty());

    // Limit keeps the first ids.
    let f = FiltreRegistre {
        departements: Some(vec!["74".into()]),
        limit: Some(7),
        ..FiltreRegistre::default()
    };
    let attendu: Vec<_> = selon(&|l| l.departement() == Some("74"))
        .into_iter()
        .take(7)
        .collect();
    assert_eq!(s.registry(&f).await.expect("limit"), attendu);

    // Empty lists match nothing; limit 0 gives nothing.
    let vide = FiltreRegistre {
        departements: Some(vec![]),
        ..FiltreRegistre::default()
    };
    assert!(s.registry(&vide).await.expect("empty").is_empty());
    let zero = FiltreRegistre {
        limit: Some(0),
        ..FiltreRegistre::default()
    };
    assert!(s.registry(&zero).await.expect("zero").is_empty());
    assert_eq!(
        s.registry(&FiltreRegistre::default())
            .await
            .expect("all")
            .len(),
        687 + 188 + 90
    );
}

/// The richest place we can build: every field of the official example,
/// plus accents, quotes, `|` lists and precise coordinates.
fn lieu_riche() -> Lieu {
    let mut l = exemple_officiel();
    for c in CHAMPS {
        assert!(!l.valeur(c).is_empty(), "example field {c} is filled");
    }
    l.nom = "L'Atelier « numérique » \"Cœur de Reims\" — Ça marche".into();
    l.presentation_detail = Some(
        "Ligne 1 ; « guillemets »\nLigne 2 : l'apostrophe, \\ antislash, 100 % 🖥️ émoji".into(),
    );
    l.autres_formations_labels = vec!["Pix Orga".into(), "Étapes numériques (La Poste)".into()];
    l.latitude = Some(-21.2741234567);
    l.longitude = Some(165.4567891234);
    l.date_maj = date(2024, 2, 29);
    l
}

async fn aller_retour_lieu_riche(ctx: &Ctx) {
    let s = &ctx.store;
    let riche = lieu_riche();
    s.apply_import(&change("officiel", vec![riche.clone()], vec![], instant(0)))
        .await
        .expect("import");
    let records = s.source_records().await.expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].lieu, riche);
    assert_eq!(records[0].source, "officiel");
    assert_eq!(records[0].fingerprint, riche.empreinte());
    assert_eq!(records[0].lieu.ligne(), riche.ligne());
    assert_eq!(
        records[0].lieu.precision_coordonnees,
        PrecisionCoordonnees::Adresse
    );

    let p = PublishedLieu {
        lieu: riche.clone(),
        group_id: "groupe-1".into(),
        members: vec![Provenance {
            source: "officiel".into(),
            source_id: riche.id.to_string(),
        }],
    };
    s.replace_registry(std::slice::from_ref(&p))
        .await
        .expect("replace");
    assert_eq!(s.published(riche.id.as_str()).await.expect("read"), Some(p));

    // A minimal place: every optional field absent stays absent.
    let minimal = Lieu::minimal(
        "m-1",
        "Mairie",
        "Abondance",
        "74360",
        "Place",
        date(2021, 5, 5),
    );
    s.apply_import(&change(
        "officiel",
        vec![minimal.clone()],
        vec![],
        instant(1),
    ))
    .await
    .expect("minimal");
    let records = s.source_records().await.expect("records");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].lieu, minimal);
}

async fn resume_des_sources(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.sources().await.expect("sources").is_empty());
    let nc = lieux_reels("nouvelle-caledonie-2024.v0.json");
    let bus = lieux_reels("bus-france-services-charente-2023.v0.json");
    // The later run is recorded first: "last" means newest `at`.
    s.apply_import(&change("nc", nc.clone(), vec![], instant(100)))
        .await
        .expect("nc 2");
    s.apply_import(&change("nc", vec![], vec![], instant(50)))
        .await
        .expect("nc 1");
    s.apply_import(&change("bus", bus.clone(), vec![], instant(60)))
        .await
        .expect("bus");
    let ids: Vec<String> = bus.iter().map(|l| l.id.to_string()).collect();
    s.apply_import(&change("bus", vec![], ids, instant(70)))
        .await
        .expect("bus emptied");

    let r = s.sources().await.expect("sources");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].name, "bus");
    assert_eq!(r[0].records, 0);
    let dernier = r[0].last_run.as_ref().expect("bus run");
    assert_eq!(dernier.at, instant(70));
    assert_eq!(dernier.removed, bus.len() as u64);
    assert_eq!(r[1].name, "nc");
    assert_eq!(r[1].records, nc.len() as u64);
    let dernier = r[1].last_run.as_ref().expect("nc run");
    assert_eq!(dernier.at, instant(100));
    assert_eq!(dernier.added, nc.len() as u64);
}

async fn comptes_rendus_import(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.import_runs(10).await.expect("runs").is_empty());
    let nc = lieux_reels("nouvelle-caledonie-2024.v0.json");
    // Nanoseconds are dropped: runs are kept to the microsecond.
    let at = Utc
        .with_ymd_and_hms(2024, 3, 1, 8, 30, 0)
        .single()
        .expect("instant")
        + Duration::nanoseconds(123_456_789);
    let complet = ImportRun {
        source: "nc".into(),
        at,
        files: vec![
            "nouvelle-calédonie.json".into(),
            "d'autres « lieux ».csv".into(),
        ],
        rows_read: 92,
        rows_valid: 90,
        rows_rejected: 2,
        added: 88,
        changed: 1,
        removed: 3,
        warnings: 17,
    };
    s.apply_import(&ImportChange {
        source: "nc".into(),
        upserts: nc,
        deletes: vec![],
        run: complet.clone(),
    })
    .await
    .expect("import");
    for i in 0..5 {
        s.apply_import(&change(
            "autre",
            vec![],
            vec![],
            at + Duration::hours(i + 1),
        ))
        .await
        .expect("more runs");
    }
    let runs = s.import_runs(100).await.expect("runs");
    assert_eq!(runs.len(), 6);
    for w in runs.windows(2) {
        assert!(w[0].at >= w[1].at, "newest first");
    }
    let lu = runs.last().expect("first run");
    let mut attendu = complet;
    attendu.at = Utc
        .with_ymd_and_hms(2024, 3, 1, 8, 30, 0)
        .single()
        .expect("instant")
        + Duration::microseconds(123_456);
    assert_eq!(lu, &attendu);
    let deux = s.import_runs(2).await.expect("limit");
    assert_eq!(deux, runs[..2].to_vec());
    assert_eq!(
        deux[0].at,
        at + Duration::hours(5) - Duration::nanoseconds(789)
    );
    assert!(s.import_runs(0).await.expect("zero").is_empty());
}

async fn unicode_et_guillemets(ctx: &Ctx) {
    let s = &ctx.store;
    let base = lieux_reels("charente-2023.v0.json");
    let ids = [
        "Z", "a", "B", "é", "e", "10", "9", "l'id", "d\"id", "ŒUVRE", "日本", "x;y", "--",
    ];
    let source = "Réseau « Hinaura » l'AURA \"2021\"";
    let lieux: Vec<Lieu> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut l = base[i].clone();
            l.id = (*id).into();
            l.nom = format!("{id} '); DROP TABLE registry; -- ").into();
            l.adresse = "1 rue de l'Église\t« bis »".into();
            l.commune = "Saint-Étienne-de-Baïgorry".into();
            l
        })
        .collect();
    s.apply_import(&change(source, lieux.clone(), vec![], instant(0)))
        .await
        .expect("import");
    let records = s.source_records().await.expect("records");
    // Byte order of ids (UTF-8 = code point order) on both backends.
    let mut attendu = lieux.clone();
    attendu.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
    let lus: Vec<Lieu> = records.iter().map(|r| r.lieu.clone()).collect();
    assert_eq!(lus, attendu);
    assert!(records.iter().all(|r| r.source == source));
    let fp = s.fingerprints(source).await.expect("fingerprints");
    assert_eq!(fp.len(), ids.len());
    assert_eq!(fp["l'id"], lieux[7].empreinte());

    s.apply_import(&change(
        source,
        vec![],
        vec!["d\"id".into(), "日本".into()],
        instant(1),
    ))
    .await
    .expect("delete");
    assert_eq!(
        s.fingerprints(source).await.expect("fp").len(),
        ids.len() - 2
    );

    let publies: Vec<PublishedLieu> = lieux.iter().map(|l| publie_seul(l, source)).collect();
    s.replace_registry(&publies).await.expect("replace");
    assert_eq!(
        s.registry(&FiltreRegistre::default())
            .await
            .expect("registry"),
        tries_par_id(publies.clone())
    );
    assert_eq!(
        s.published("l'id").await.expect("read"),
        Some(publies[7].clone())
    );
    let summary = s.sources().await.expect("sources");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].name, source);
}

async fn gros_volume_pagine(ctx: &Ctx) {
    // More rows than one read page (10,000 records or published places)
    // and than one INSERT statement.
    let s = &ctx.store;
    let hinaura = lieux_reels("hinaura-2021.v0.json");
    let lieux: Vec<Lieu> = (0..10_500)
        .map(|i| {
            let mut l = hinaura[i % hinaura.len()].clone();
            l.id = format!("h{i:05}").into();
            l
        })
        .collect();
    s.apply_import(&change("volume", lieux.clone(), vec![], instant(0)))
        .await
        .expect("import");
    let records = s.source_records().await.expect("records");
    assert_eq!(records.len(), lieux.len());
    // Ids were generated in sorted order.
    for (r, l) in records.iter().zip(&lieux) {
        assert_eq!(&r.lieu, l);
    }
    let publies: Vec<PublishedLieu> = lieux[..10_200]
        .iter()
        .map(|l| publie_seul(l, "volume"))
        .collect();
    s.replace_registry(&publies).await.expect("replace");
    assert_eq!(s.registry_count().await.expect("count"), 10_200);
    assert_eq!(
        s.registry(&FiltreRegistre::default()).await.expect("all"),
        publies
    );
    let f = FiltreRegistre {
        limit: Some(10_123),
        ..FiltreRegistre::default()
    };
    assert_eq!(
        s.registry(&f).await.expect("limit"),
        publies[..10_123].to_vec()
    );
}

async fn signalements(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.signalements_ouverts(10).await.expect("none").is_empty());
    let nouveau = |lieu: &str, minute: i64, courriel: Option<&str>| NouveauSignalement {
        lieu_id: lieu.to_string(),
        categorie: "horaires".to_string(),
        message: format!("Les horaires de « {lieu} » ont changé.\nVoir l'affiche 🙂"),
        courriel: courriel.map(str::to_string),
        cree_le: instant(minute) + Duration::nanoseconds(123_456_789),
    };
    let a = s
        .add_signalement(&nouveau("lieu-b", 2, Some("a@exemple.fr")))
        .await
        .expect("a");
    let b = s
        .add_signalement(&nouveau("lieu-a", 1, None))
        .await
        .expect("b");
    let c = s
        .add_signalement(&nouveau("lieu-c", 3, None))
        .await
        .expect("c");
    assert!(a != b && b != c && a != c);
    assert_eq!(s.signalements_ouverts_count().await.expect("count"), 3);
    // Oldest first; timestamps kept to the microsecond.
    let ouverts = s.signalements_ouverts(10).await.expect("open");
    let ids: Vec<i64> = ouverts.iter().map(|x| x.id).collect();
    assert_eq!(ids, vec![b, a, c]);
    let lu = &ouverts[1];
    assert_eq!(lu.lieu_id, "lieu-b");
    assert_eq!(lu.categorie, "horaires");
    assert!(lu.message.contains("« lieu-b »") && lu.message.contains('🙂'));
    assert_eq!(lu.courriel.as_deref(), Some("a@exemple.fr"));
    assert_eq!(lu.cree_le, instant(2) + Duration::microseconds(123_456));
    assert_eq!(lu.ferme_le, None);
    assert_eq!(s.signalements_ouverts(2).await.expect("limit").len(), 2);

    // Closing: once only; the e-mail is erased; it leaves the open list.
    assert!(s.fermer_signalement(a, instant(10)).await.expect("close"));
    assert!(!s.fermer_signalement(a, instant(11)).await.expect("again"));
    assert!(!s
        .fermer_signalement(999_999, instant(11))
        .await
        .expect("unknown"));
    let ids: Vec<i64> = s
        .signalements_ouverts(10)
        .await
        .expect("open")
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(ids, vec![b, c]);
    assert_eq!(s.signalements_ouverts_count().await.expect("count"), 2);

    // Retention: only closed reports older than the limit go.
    assert!(s.fermer_signalement(c, instant(100)).await.expect("close"));
    assert_eq!(s.purger_signalements(instant(50)).await.expect("purge"), 1);
    assert_eq!(s.purger_signalements(instant(50)).await.expect("purge"), 0);
    assert_eq!(
        s.purger_signalements(instant(1000)).await.expect("purge"),
        1
    );
    assert_eq!(s.signalements_ouverts_count().await.expect("count"), 1);

    // Invalid reports change nothing.
    let mut vide = nouveau("", 5, None);
    assert!(matches!(
        s.add_signalement(&vide).await,
        Err(StoreError::Invalid { .. })
    ));
    vide.lieu_id = "x".to_string();
    vide.message = "x".repeat(5_001);
    assert!(matches!(
        s.add_signalement(&vide).await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(s.signalements_ouverts_count().await.expect("count"), 1);
}

async fn version_du_registre(ctx: &Ctx) {
    let s = &ctx.store;
    let v0 = s.registry_version().await.expect("version");
    let nc = lieux_reels("nouvelle-caledonie-2024.v0.json");
    s.apply_import(&change("nc", nc.clone(), vec![], instant(0)))
        .await
        .expect("import");
    // An import alone does not change the published registry.
    assert_eq!(s.registry_version().await.expect("version"), v0);
    let publies: Vec<PublishedLieu> = nc.iter().map(|l| publie_seul(l, "nc")).collect();
    s.replace_registry(&publies).await.expect("replace");
    let v1 = s.registry_version().await.expect("version");
    assert_ne!(v1, v0);
    let affectations: Vec<maillage_store::Affectation> = nc
        .iter()
        .map(|l| maillage_store::Affectation {
            source: "nc".to_string(),
            source_id: l.id.to_string(),
            group_id: l.id.to_string(),
            published_id: l.id.to_string(),
            copie: true,
        })
        .collect();
    s.publish_groups(&affectations, &[]).await.expect("publish");
    let v2 = s.registry_version().await.expect("version");
    assert!(v2 != v1 && v2 != v0);
    // A refused publication changes nothing.
    let double = vec![publies[0].clone(), publies[0].clone()];
    assert!(s.replace_registry(&double).await.is_err());
    assert_eq!(s.registry_version().await.expect("version"), v2);
}

// ---------------------------------------------------------------------------
// Not backend-specific

#[tokio::test]
async fn adresse_inconnue_refusee_en_francais() {
    for url in ["mysql://root@localhost/db", "registre.db", "http://x"] {
        let e = Store::connect(url).await.expect_err("unknown scheme");
        assert!(matches!(e, StoreError::InvalidUrl { .. }), "{e:?}");
        let m = e.to_string();
        assert!(m.contains("non reconnue"), "{m}");
        for forme in [
            "sqlite://",
            "sqlite::memory:",
            "postgres://",
            "postgresql://",
        ] {
            assert!(m.contains(forme), "{m}");
        }
    }
    // The password of a URL never shows in the message.
    let e = Store::connect("mysql://u:secret@h/db")
        .await
        .expect_err("scheme");
    assert!(!e.to_string().contains("secret"));
}

#[tokio::test]
async fn sqlite_en_memoire() {
    let s = Store::connect("sqlite::memory:").await.expect("memory");
    let nc = lieux_reels("nouvelle-caledonie-2024.v0.json");
    s.apply_import(&change("nc", nc.clone(), vec![], instant(0)))
        .await
        .expect("import");
    // Data outlives any single query (one kept connection).
    let autre = s.clone();
    assert_eq!(autre.fingerprints("nc").await.expect("fp").len(), nc.len());
}

#[tokio::test]
async fn sqlite_cree_le_dossier_et_le_fichier() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let chemin = dir.path().join("a/b/registre.db");
    for url in [
        format!("sqlite://{}", chemin.display()),
        format!("sqlite:{}", chemin.display()),
    ] {
        let s = Store::connect(&url).await.expect("created");
        s.close().await;
        assert!(chemin.exists());
    }
}

#[test]
fn url_de_base_de_test() {
    assert_eq!(
        url_base("postgres://postgres@127.0.0.1:5432/test", "b"),
        "postgres://postgres@127.0.0.1:5432/b"
    );
    assert_eq!(
        url_base("postgresql://u:p@h/test?sslmode=disable", "b"),
        "postgresql://u:p@h/b?sslmode=disable"
    );
    assert_eq!(url_base("postgres://h:5432", "b"), "postgres://h:5432/b");
}
