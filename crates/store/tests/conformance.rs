//! One behavioural suite, run on SQLite (temporary file) and on PostgreSQL
//! (a fresh database per test on the server named by
//! `MAILLAGE_TEST_POSTGRES`, dropped at the end).
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store`

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_activites::{
    dupliquer, valider, Activite, ActiviteSaisie, Autonomie, Beneficiaire, DureeSaisie, Materiel,
    NiveauAtelier, ParticipantsAnonymes, StructureDeRedirection, Thematique, TypeActivite,
    TypeLieu,
};
use maillage_lieux::{Lieu, PrecisionCoordonnees, CHAMPS};
use maillage_store::{
    materiel_du_masque, thematiques_du_masque, ActiviteEnregistree, Backend, EntreeJournal,
    FiltreActivites, FiltreRegistre, ImportChange, ImportRun, NouveauSignalement, NouvelleActivite,
    NouvelleEntreeJournal, Provenance, PublishedLieu, SourceRecord, Store, StoreError,
    ACTION_CREATION_ACTIVITE, ACTION_MODIFICATION_ACTIVITE, ACTION_SUPPRESSION_ACTIVITE,
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
    activites_aller_retour,
    activites_modification,
    activites_suppression,
    activites_filtres_et_pages,
    journal_ordre_et_pages,
    activite_corrompue,
    activites_et_journal_atomiques,
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
// Activity records and journal

/// The mediator's "today" when records are validated.
fn aujourd_hui() -> NaiveDate {
    date(2026, 6, 30)
}

fn valide(saisie: &ActiviteSaisie) -> Activite {
    valider(saisie, aujourd_hui()).expect("valid record")
}

/// An individual record filling every field it can.
fn activite_individuelle_riche() -> Activite {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(date(2026, 5, 12));
    s.duree = Some(DureeSaisie::Personnalisee {
        heures: 1,
        minutes: 10,
    });
    s.type_lieu = Some(TypeLieu::Domicile);
    s.lieu_code_insee = Some("2A004".to_string());
    s.materiel = vec![Materiel::Telephone, Materiel::Ordinateur];
    s.thematiques = vec![
        Thematique::Email,
        Thematique::DiagnosticNumerique,
        Thematique::AideAuxDemarchesAdministratives,
        Thematique::Associations,
        Thematique::Logement,
    ];
    s.notes = Some("« Guillemets », l'apostrophe, \\\\ 🎉\nseconde ligne".to_string());
    s.beneficiaire = Some(Beneficiaire::Suivi {
        id: "beneficiaire-42".to_string(),
    });
    s.autonomie = Some(Autonomie::PartiellementAutonome);
    s.oriente_vers_structure = Some(true);
    s.structure_de_redirection = Some(StructureDeRedirection::AideSociale);
    s.precisions_demarche = Some("Dossier d'aide au logement".to_string());
    valide(&s)
}

/// A workshop with followed and anonymous participants.
fn atelier_collectif() -> Activite {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Collectif);
    s.date = Some(date(2026, 5, 20));
    s.duree = Some(DureeSaisie::Minutes(120));
    s.type_lieu = Some(TypeLieu::LieuActivite);
    s.structure_id = Some("lieu-mednum-13".to_string());
    s.materiel = vec![Materiel::Aucun];
    s.thematiques = vec![
        Thematique::IntelligenceArtificielle,
        Thematique::SecuriteNumerique,
    ];
    s.titre_atelier = Some("Se protéger des arnaques".to_string());
    s.niveau = Some(NiveauAtelier::Debutant);
    s.participants = vec!["p-1".to_string(), "p-2".to_string()];
    s.participants_anonymes = Some(ParticipantsAnonymes {
        total: 5,
        deja_accompagne: 2,
        genre_feminin: 3,
        genre_masculin: 1,
        tranche_age_soixante_dix_plus: 4,
        statut_social_retraite: 4,
        ..Default::default()
    });
    valide(&s)
}

/// A plain record of the given date, at a distance.
fn activite_du(jour: NaiveDate) -> Activite {
    let mut s = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
    s.date = Some(jour);
    s.duree = Some(DureeSaisie::Minutes(30));
    s.type_lieu = Some(TypeLieu::ADistance);
    s.thematiques = vec![Thematique::Bureautique];
    valide(&s)
}

fn nouvelle(
    mediateur: &str,
    structure: Option<&str>,
    departement: Option<&str>,
    activite: Activite,
    secondes: i64,
) -> NouvelleActivite {
    NouvelleActivite {
        mediateur_id: mediateur.to_string(),
        structure_id: structure.map(str::to_string),
        departement: departement.map(str::to_string),
        activite,
        cree_le: instant(secondes),
    }
}

async fn lue(s: &Store, id: &str) -> ActiviteEnregistree {
    s.activite(id).await.expect("read").expect("stored record")
}

async fn tout_le_journal(s: &Store) -> Vec<EntreeJournal> {
    s.journal(1_000, None).await.expect("journal")
}

async fn activites_aller_retour(ctx: &Ctx) {
    let s = &ctx.store;
    let individuelle = activite_individuelle_riche();
    let id_i = s
        .enregistrer_activite(&nouvelle(
            "med-1",
            Some("structure-1"),
            Some("2A"),
            individuelle.clone(),
            10,
        ))
        .await
        .expect("individual");
    let collectif = atelier_collectif();
    let id_c = s
        .enregistrer_activite(&nouvelle("med-2", None, Some("13"), collectif.clone(), 20))
        .await
        .expect("collective");
    for id in [&id_i, &id_c] {
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    }
    assert_ne!(id_i, id_c);

    let i = lue(s, &id_i).await;
    // What was stored reads back as the same draft, which validates again
    // into the same record.
    assert_eq!(i.saisie, dupliquer(&individuelle));
    assert_eq!(valide(&i.saisie), individuelle);
    assert_eq!(i.id, id_i);
    assert_eq!(i.mediateur_id, "med-1");
    assert_eq!(i.structure_id.as_deref(), Some("structure-1"));
    assert_eq!(i.departement.as_deref(), Some("2A"));
    assert_eq!(i.date, date(2026, 5, 12));
    assert_eq!(i.type_activite, TypeActivite::Individuel);
    assert_eq!(i.duree_minutes, 70);
    assert_eq!(i.type_lieu, TypeLieu::Domicile);
    assert_eq!(i.lieu_id, None);
    assert_eq!(i.code_insee.as_deref(), Some("2A004"));
    // Bit i = Thematique::ALL[i]: DiagnosticNumerique 0, Email 5,
    // AideAuxDemarchesAdministratives 18, Logement 23, Associations 29.
    assert_eq!(
        i.masque_thematiques,
        (1 << 0) | (1 << 5) | (1 << 18) | (1 << 23) | (1 << 29)
    );
    // Ordinateur 0, Telephone 1.
    assert_eq!(i.masque_materiel, 0b11);
    assert_eq!(
        thematiques_du_masque(i.masque_thematiques).as_deref(),
        Some(individuelle.thematiques())
    );
    assert_eq!(i.accompagnements, 1);
    assert_eq!(i.cree_le, instant(10));
    assert_eq!(i.modifie_le, instant(10));
    assert_eq!((i.supprime_le, i.supprime_par.as_deref()), (None, None));

    let c = lue(s, &id_c).await;
    assert_eq!(c.saisie, dupliquer(&collectif));
    assert_eq!(valide(&c.saisie), collectif);
    assert_eq!(c.structure_id, None);
    assert_eq!(c.type_activite, TypeActivite::Collectif);
    assert_eq!(c.duree_minutes, 120);
    assert_eq!(c.type_lieu, TypeLieu::LieuActivite);
    assert_eq!(c.lieu_id.as_deref(), Some("lieu-mednum-13"));
    assert_eq!(c.code_insee, None);
    // SecuriteNumerique 12, IntelligenceArtificielle 17; Aucun is Materiel 4.
    assert_eq!(c.masque_thematiques, (1 << 12) | (1 << 17));
    assert_eq!(c.masque_materiel, 1 << 4);
    assert_eq!(
        materiel_du_masque(c.masque_materiel).as_deref(),
        Some(collectif.materiel())
    );
    // 2 followed + 5 anonymous participants.
    assert_eq!(c.accompagnements, 7);

    // The listing reads the same rows.
    let page = s
        .activites(&FiltreActivites::default())
        .await
        .expect("list");
    assert_eq!(page.total, 2);
    assert_eq!(page.activites, vec![c.clone(), i.clone()]);

    // Each creation journaled, in the same transaction, without free text.
    let journal = tout_le_journal(s).await;
    assert_eq!(journal.len(), 2);
    let (dernier, premier) = (&journal[0], &journal[1]);
    assert_eq!(premier.action, ACTION_CREATION_ACTIVITE);
    assert_eq!(premier.acteur_id.as_deref(), Some("med-1"));
    assert_eq!(premier.cible.as_deref(), Some(id_i.as_str()));
    assert_eq!(premier.quand, instant(10));
    assert_eq!(premier.details["type"], "individuel");
    assert_eq!(premier.details["date"], "2026-05-12");
    assert!(!premier.details.to_string().contains("Guillemets"));
    assert_eq!(dernier.action, ACTION_CREATION_ACTIVITE);
    assert_eq!(dernier.cible.as_deref(), Some(id_c.as_str()));
    assert!(dernier.id > premier.id);

    assert!(s.activite("inconnue").await.expect("read").is_none());
    // Blank mediator: refused before any write.
    let e = s
        .enregistrer_activite(&nouvelle(" ", None, None, activite_du(date(2026, 1, 1)), 0))
        .await
        .expect_err("blank mediator");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(tout_le_journal(s).await.len(), 2);
}

async fn activites_modification(ctx: &Ctx) {
    let s = &ctx.store;
    let id = s
        .enregistrer_activite(&nouvelle(
            "med-1",
            Some("structure-1"),
            Some("2A"),
            activite_individuelle_riche(),
            10,
        ))
        .await
        .expect("create");
    let nouvelle_version = atelier_collectif();
    s.modifier_activite(&id, &nouvelle_version, Some("13"), "coordo-7", instant(500))
        .await
        .expect("modify");
    let a = lue(s, &id).await;
    assert_eq!(a.saisie, dupliquer(&nouvelle_version));
    assert_eq!(a.type_activite, TypeActivite::Collectif);
    assert_eq!(a.date, date(2026, 5, 20));
    assert_eq!(a.duree_minutes, 120);
    assert_eq!(a.type_lieu, TypeLieu::LieuActivite);
    assert_eq!(a.lieu_id.as_deref(), Some("lieu-mednum-13"));
    assert_eq!(a.code_insee, None);
    assert_eq!(a.masque_thematiques, (1 << 12) | (1 << 17));
    assert_eq!(a.masque_materiel, 1 << 4);
    assert_eq!(a.accompagnements, 7);
    assert_eq!(a.departement.as_deref(), Some("13"));
    // Who recorded it and when do not change.
    assert_eq!(a.mediateur_id, "med-1");
    assert_eq!(a.structure_id.as_deref(), Some("structure-1"));
    assert_eq!(a.cree_le, instant(10));
    assert_eq!(a.modifie_le, instant(500));

    let journal = tout_le_journal(s).await;
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].action, ACTION_MODIFICATION_ACTIVITE);
    assert_eq!(journal[0].acteur_id.as_deref(), Some("coordo-7"));
    assert_eq!(journal[0].cible.as_deref(), Some(id.as_str()));
    assert_eq!(journal[0].quand, instant(500));
    assert_eq!(journal[0].details["type"], "collectif");

    // Unknown or deleted: NotFound, nothing written.
    let e = s
        .modifier_activite(
            "inconnue",
            &nouvelle_version,
            None,
            "coordo-7",
            instant(600),
        )
        .await
        .expect_err("unknown");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("inconnue"), "{e}");
    assert!(s
        .supprimer_activite(&id, "med-1", instant(700))
        .await
        .expect("delete"));
    let e = s
        .modifier_activite(
            &id,
            &activite_du(date(2026, 1, 2)),
            None,
            "med-1",
            instant(800),
        )
        .await
        .expect_err("deleted");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("supprimée"), "{e}");
    let a = s
        .activite_y_compris_supprimee(&id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(a.saisie, dupliquer(&nouvelle_version));
    assert_eq!(a.modifie_le, instant(500));
    assert_eq!(tout_le_journal(s).await.len(), 3);
}

async fn activites_suppression(ctx: &Ctx) {
    let s = &ctx.store;
    let gardee = s
        .enregistrer_activite(&nouvelle("med-1", None, Some("13"), atelier_collectif(), 1))
        .await
        .expect("create");
    let supprimee_activite = activite_individuelle_riche();
    let supprimee = s
        .enregistrer_activite(&nouvelle(
            "med-1",
            None,
            Some("13"),
            supprimee_activite.clone(),
            2,
        ))
        .await
        .expect("create");
    assert!(s
        .supprimer_activite(&supprimee, "med-1", instant(300))
        .await
        .expect("delete"));

    // Hidden from reads and listings…
    assert!(s.activite(&supprimee).await.expect("read").is_none());
    let page = s
        .activites(&FiltreActivites {
            mediateur_id: Some("med-1".to_string()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    let ids: Vec<&str> = page.activites.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec![gardee.as_str()]);
    // …but kept, with who deleted it and when.
    let a = s
        .activite_y_compris_supprimee(&supprimee)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(a.supprime_le, Some(instant(300)));
    assert_eq!(a.supprime_par.as_deref(), Some("med-1"));
    assert_eq!(a.saisie, dupliquer(&supprimee_activite));
    assert_eq!(
        lue(s, &gardee).await.supprime_le,
        None,
        "the other record is untouched"
    );

    let journal = tout_le_journal(s).await;
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].action, ACTION_SUPPRESSION_ACTIVITE);
    assert_eq!(journal[0].acteur_id.as_deref(), Some("med-1"));
    assert_eq!(journal[0].cible.as_deref(), Some(supprimee.as_str()));
    assert_eq!(journal[0].quand, instant(300));

    // Idempotent: a second deletion changes and journals nothing.
    assert!(!s
        .supprimer_activite(&supprimee, "autre", instant(400))
        .await
        .expect("again"));
    let a = s
        .activite_y_compris_supprimee(&supprimee)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(a.supprime_le, Some(instant(300)));
    assert_eq!(a.supprime_par.as_deref(), Some("med-1"));
    assert_eq!(tout_le_journal(s).await.len(), 3);

    let e = s
        .supprimer_activite("inconnue", "med-1", instant(400))
        .await
        .expect_err("unknown");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    assert_eq!(tout_le_journal(s).await.len(), 3);
}

async fn activites_filtres_et_pages(ctx: &Ctx) {
    let s = &ctx.store;
    // (mediator, structure, département, date)
    let donnees = [
        ("med-a", Some("s1"), Some("13"), date(2026, 5, 1)),
        ("med-a", Some("s1"), Some("13"), date(2026, 5, 3)),
        ("med-a", Some("s2"), Some("2A"), date(2026, 5, 3)),
        ("med-b", Some("s1"), Some("13"), date(2026, 4, 28)),
        ("med-b", None, None, date(2026, 5, 10)),
        ("med-b", Some("s2"), Some("2A"), date(2026, 5, 5)),
    ];
    let mut ids = Vec::new();
    for (n, (med, st, dep, jour)) in donnees.iter().enumerate() {
        let id = s
            .enregistrer_activite(&nouvelle(med, *st, *dep, activite_du(*jour), n as i64))
            .await
            .expect("create");
        ids.push(id);
    }
    // The last one is deleted: it never shows.
    assert!(s
        .supprimer_activite(&ids[5], "med-b", instant(100))
        .await
        .expect("delete"));

    // Expected: newest date first, then id.
    let attendu = |garder: &dyn Fn(usize) -> bool| -> Vec<String> {
        let mut v: Vec<(NaiveDate, String)> = (0..5)
            .filter(|i| garder(*i))
            .map(|i| (donnees[i].3, ids[i].clone()))
            .collect();
        v.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        v.into_iter().map(|(_, id)| id).collect()
    };
    let liste = |f: FiltreActivites| async move {
        let page = s.activites(&f).await.expect("list");
        let ids: Vec<String> = page.activites.into_iter().map(|a| a.id).collect();
        (page.total, ids)
    };
    let tout = attendu(&|_| true);
    assert_eq!(tout.len(), 5);
    assert_eq!(liste(FiltreActivites::default()).await, (5, tout.clone()));
    assert_eq!(tout[0], ids[4], "10 May is the newest");
    assert_eq!(tout[4], ids[3], "28 April is the oldest");

    let par = |med: Option<&str>, st: Option<&str>, dep: Option<&str>| FiltreActivites {
        mediateur_id: med.map(str::to_string),
        structure_id: st.map(str::to_string),
        departement: dep.map(str::to_string),
        ..Default::default()
    };
    let a = attendu(&|i| donnees[i].0 == "med-a");
    assert_eq!(liste(par(Some("med-a"), None, None)).await, (3, a));
    let s1 = attendu(&|i| donnees[i].1 == Some("s1"));
    assert_eq!(liste(par(None, Some("s1"), None)).await, (3, s1));
    let d13 = attendu(&|i| donnees[i].2 == Some("13"));
    assert_eq!(liste(par(None, None, Some("13"))).await, (3, d13));
    assert_eq!(
        liste(par(None, None, Some("2A"))).await,
        (1, vec![ids[2].clone()])
    );
    assert_eq!(liste(par(Some("med-c"), None, None)).await, (0, vec![]));

    // Dates: both bounds inclusive.
    let mai_1_3 = attendu(&|i| (date(2026, 5, 1)..=date(2026, 5, 3)).contains(&donnees[i].3));
    assert_eq!(mai_1_3.len(), 3);
    let f = FiltreActivites {
        du: Some(date(2026, 5, 1)),
        au: Some(date(2026, 5, 3)),
        ..Default::default()
    };
    assert_eq!(liste(f).await, (3, mai_1_3));
    let f = FiltreActivites {
        du: Some(date(2026, 5, 2)),
        ..par(Some("med-a"), None, Some("13"))
    };
    assert_eq!(liste(f).await, (1, vec![ids[1].clone()]));

    // Pages of 2: the whole order, cut; the total on every page.
    let mut vus = Vec::new();
    for page in 1..=4 {
        let (total, ids_page) = liste(FiltreActivites {
            page,
            par_page: 2,
            ..Default::default()
        })
        .await;
        assert_eq!(total, 5);
        assert_eq!(ids_page.len(), [2, 2, 1, 0][page as usize - 1]);
        vus.extend(ids_page);
    }
    assert_eq!(vus, tout);
    let page_0 = FiltreActivites {
        page: 0,
        par_page: 2,
        ..Default::default()
    };
    assert_eq!(liste(page_0).await, (5, tout[..2].to_vec()));
    for par_page in [0, maillage_store::PAR_PAGE_MAX + 1] {
        let e = s
            .activites(&FiltreActivites {
                par_page,
                ..Default::default()
            })
            .await
            .expect_err("page size");
        assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    }
}

async fn journal_ordre_et_pages(ctx: &Ctx) {
    let s = &ctx.store;
    assert!(s.journal(10, None).await.expect("empty").is_empty());
    let entree = |n: i64| NouvelleEntreeJournal {
        quand: instant(n * 60),
        // The system itself acts too.
        acteur_id: (n != 2).then(|| format!("compte-{n}")),
        action: if n % 2 == 0 {
            "connexion".to_string()
        } else {
            "export_donnees".to_string()
        },
        cible: (n != 3).then(|| format!("cible-{n}")),
        details: serde_json::json!({
            "n": n,
            "texte": "« Été » 🎉 \"guillemets\" 'apostrophes'",
            "liste": [1, null, {"a": true}],
        }),
    };
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(s.journaliser(&entree(n)).await.expect("write"));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let attendue = |n: i64| {
        let e = entree(n);
        EntreeJournal {
            id: ids[n as usize],
            quand: e.quand,
            acteur_id: e.acteur_id,
            action: e.action,
            cible: e.cible,
            details: e.details,
        }
    };
    // Newest first, then the next page from the last id seen.
    let page_1 = s.journal(3, None).await.expect("page 1");
    assert_eq!(page_1, vec![attendue(4), attendue(3), attendue(2)]);
    let page_2 = s.journal(3, Some(page_1[2].id)).await.expect("page 2");
    assert_eq!(page_2, vec![attendue(1), attendue(0)]);
    assert!(s.journal(3, Some(ids[0])).await.expect("page 3").is_empty());
    assert!(s.journal(0, None).await.expect("none").is_empty());

    let mut vide = entree(9);
    vide.action = "  ".to_string();
    let e = s.journaliser(&vide).await.expect_err("empty action");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(tout_le_journal(s).await.len(), 5);
}

/// Runs one SQL statement on the test database, outside the store: the
/// only way to put a row the store would never write.
async fn sql_brut(ctx: &Ctx, sql: &str) {
    match ctx.store.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&ctx.url)
                .await
                .expect("SQLite connection");
            c.execute(sql).await.expect("raw SQL");
            c.close().await.expect("close");
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&ctx.url)
                .await
                .expect("PostgreSQL connection");
            c.execute(sql).await.expect("raw SQL");
            c.close().await.expect("close");
        }
    }
}

async fn activite_corrompue(ctx: &Ctx) {
    let s = &ctx.store;
    let saine = s
        .enregistrer_activite(&nouvelle("med-1", None, None, atelier_collectif(), 1))
        .await
        .expect("create");
    let id = s
        .enregistrer_activite(&nouvelle("med-1", None, None, atelier_collectif(), 2))
        .await
        .expect("create");
    sql_brut(
        ctx,
        &format!(
            "UPDATE activites SET donnees = '{{\"type\": \"collectif\", tronqu' WHERE id = '{id}'"
        ),
    )
    .await;
    // Reported, naming the column and the record; never a panic.
    let e = s.activite(&id).await.expect_err("corrupt JSON");
    match &e {
        StoreError::Corrupt { what, .. } => {
            assert!(what.contains("activites.donnees"), "{what}");
            assert!(what.contains(&id), "{what}");
        }
        autre => panic!("expected Corrupt, got {autre:?}"),
    }
    assert!(e.to_string().contains("illisible"), "{e}");
    let e = s
        .activites(&FiltreActivites::default())
        .await
        .expect_err("listing");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
    // Other records still read.
    assert_eq!(lue(s, &saine).await.id, saine);

    // A mask bit naming no thématique is corrupt too.
    sql_brut(
        ctx,
        &format!(
            "UPDATE activites SET donnees = (SELECT donnees FROM activites WHERE id = '{saine}'), \
             thematiques = {} WHERE id = '{id}'",
            1_i64 << 40
        ),
    )
    .await;
    let e = s.activite(&id).await.expect_err("unknown bit");
    match &e {
        StoreError::Corrupt { what, .. } => {
            assert!(what.contains("activites.thematiques"), "{what}")
        }
        autre => panic!("expected Corrupt, got {autre:?}"),
    }
}

/// A change whose journal entry cannot be written is not made: the record
/// and its journal entry share one transaction.
async fn activites_et_journal_atomiques(ctx: &Ctx) {
    let s = &ctx.store;
    let activite = activite_individuelle_riche();
    let id = s
        .enregistrer_activite(&nouvelle("med-1", None, Some("2A"), activite.clone(), 1))
        .await
        .expect("create");
    // The journal becomes unwritable.
    sql_brut(ctx, "DROP TABLE journal").await;

    s.enregistrer_activite(&nouvelle("med-1", None, Some("2A"), atelier_collectif(), 2))
        .await
        .expect_err("no journal, no creation");
    s.modifier_activite(&id, &atelier_collectif(), None, "med-1", instant(3))
        .await
        .expect_err("no journal, no modification");
    s.supprimer_activite(&id, "med-1", instant(4))
        .await
        .expect_err("no journal, no deletion");

    let page = s
        .activites(&FiltreActivites::default())
        .await
        .expect("list");
    assert_eq!(page.total, 1);
    let a = lue(s, &id).await;
    assert_eq!(a.saisie, dupliquer(&activite));
    assert_eq!(a.departement.as_deref(), Some("2A"));
    assert_eq!(a.modifie_le, instant(1));
    assert_eq!(a.supprime_le, None);
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
