//! One behavioural suite, run on SQLite (temporary file) and on PostgreSQL
//! (a fresh database per test on the server named by
//! `MAILLAGE_TEST_POSTGRES`, dropped at the end).
//!
//! `MAILLAGE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test cargo test -p maillage-store`

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_activites::{
    dupliquer, repartition_beneficiaires, valider, Activite, ActiviteSaisie, Autonomie,
    Beneficiaire, Demographie, DureeSaisie, Genre, Materiel, NiveauAtelier, ParticipantsAnonymes,
    StatutSocial, StructureDeRedirection, Thematique, TrancheAge, TypeActivite, TypeLieu,
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

#[macro_use]
mod harnais;
use harnais::{sur_postgres, sur_sqlite, url_base, Ctx};

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
    statistiques_nationales,
    statistiques_filtrees,
    statistiques_classements,
    pilotage_par_territoire,
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
        demographies_suivies: Vec::new(),
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
    // The first followed participant is a woman; the second's demographics
    // are unknown.
    let feminin = Demographie {
        genre: Some(Genre::Feminin),
        ..Default::default()
    };
    s.modifier_activite(
        &id,
        &nouvelle_version,
        &[feminin],
        Some("13"),
        "coordo-7",
        instant(500),
    )
    .await
    .expect("modify");
    // The beneficiary counts follow the new content: 5 anonymous (3 women,
    // 1 man, 1 unknown) and 2 followed (1 woman, 1 unknown).
    let stats = s
        .statistiques(&FiltreStatistiques::default())
        .await
        .expect("statistics");
    let genres: Vec<u64> = stats
        .par_genre
        .iter()
        .map(|(_, c)| c.accompagnements)
        .collect();
    assert_eq!(genres, [1, 4, 2]);
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
            &[],
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
            &[],
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
    s.modifier_activite(&id, &atelier_collectif(), &[], None, "med-1", instant(3))
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

// ---------------------------------------------------------------------------
// Accounts: users, grants and team links, sessions, tokens, throttling

conformance!(
    comptes_aller_retour,
    comptes_roles_et_equipes,
    comptes_sessions,
    comptes_jetons,
    comptes_jetons_concurrents,
    comptes_freinage,
    comptes_journal_et_atomicite,
);

/// A PHC string as `hacher_mot_de_passe` makes them; the store never
/// hashes, so any well-formed string does outside the round-trip test.
const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VsZGVzZWw$aGFjaGVoYWNoZWhhY2hlaGFjaGU";

fn nouvel_utilisateur(email: &str, par: Option<&str>) -> maillage_store::NouvelUtilisateur {
    maillage_store::NouvelUtilisateur {
        email: email.to_string(),
        nom: None,
        mot_de_passe: PHC.to_string(),
        cree_le: instant(10),
        par: par.map(str::to_string),
    }
}

async fn compte(s: &Store, email: &str) -> String {
    s.creer_utilisateur(&nouvel_utilisateur(email, None))
        .await
        .expect("account")
}

fn empreinte(clair: &str) -> String {
    maillage_comptes::Jeton::empreinte_de(clair)
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

async fn comptes_aller_retour(ctx: &Ctx) {
    let s = &ctx.store;
    let phc =
        maillage_comptes::hacher_mot_de_passe("cheval agrafe batterie correcte").expect("hash");
    let n = maillage_store::NouvelUtilisateur {
        email: "  Anne.Dupont@Exemple.FR \n".to_string(),
        nom: Some("Anne Dupont — médiatrice".to_string()),
        mot_de_passe: phc.clone(),
        cree_le: instant(10),
        par: None,
    };
    let id = s.creer_utilisateur(&n).await.expect("create");
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let u = s.utilisateur(&id).await.expect("read").expect("exists");
    assert_eq!(u.id, id);
    assert_eq!(u.email, "anne.dupont@exemple.fr");
    assert_eq!(u.nom.as_deref(), Some("Anne Dupont — médiatrice"));
    assert_eq!(u.mot_de_passe, phc);
    assert!(maillage_comptes::verifier_mot_de_passe(
        "cheval agrafe batterie correcte",
        &u.mot_de_passe
    ));
    assert_eq!(u.cree_le, instant(10));
    assert_eq!(u.email_verifie_le, None);
    assert_eq!(u.desactive_le, None);
    // Look-ups ignore case and surrounding spaces.
    let par_email = s
        .utilisateur_par_email(" ANNE.DUPONT@exemple.fr")
        .await
        .expect("read")
        .expect("found by e-mail");
    assert_eq!(par_email, u);
    assert_eq!(
        s.utilisateur_par_email("bob@exemple.fr")
            .await
            .expect("read"),
        None
    );
    assert_eq!(s.utilisateur("inconnu").await.expect("read"), None);

    // The same address in another case is a duplicate, said in French.
    let e = s
        .creer_utilisateur(&nouvel_utilisateur("anne.dupont@EXEMPLE.fr", None))
        .await
        .expect_err("duplicate e-mail");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("un compte existe déjà pour cette adresse"),
        "{e}"
    );
    // Neither a clear password nor a malformed address reaches the base.
    let mut clair = nouvel_utilisateur("bob@exemple.fr", None);
    clair.mot_de_passe = "motdepasse".to_string();
    let e = s
        .creer_utilisateur(&clair)
        .await
        .expect_err("clear password");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .creer_utilisateur(&nouvel_utilisateur("pas-une-adresse", None))
        .await
        .expect_err("no @");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(
        s.utilisateur_par_email("bob@exemple.fr")
            .await
            .expect("read"),
        None
    );

    // Password change and e-mail verification.
    let nouveau = format!("{PHC}2");
    s.changer_mot_de_passe(
        &id,
        &nouveau,
        maillage_comptes::ActionSensible::ChangementMotDePasse,
        Some(&id),
        instant(20),
    )
    .await
    .expect("change password");
    s.marquer_email_verifie(&id, instant(30))
        .await
        .expect("verify");
    let u = s.utilisateur(&id).await.expect("read").expect("exists");
    assert_eq!(u.mot_de_passe, nouveau);
    assert_eq!(u.email_verifie_le, Some(instant(30)));
    let e = s
        .changer_mot_de_passe(
            "inconnu",
            PHC,
            maillage_comptes::ActionSensible::ChangementMotDePasse,
            None,
            instant(20),
        )
        .await
        .expect_err("unknown account");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    let e = s
        .marquer_email_verifie("inconnu", instant(30))
        .await
        .expect_err("unknown account");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
}

async fn comptes_roles_et_equipes(ctx: &Ctx) {
    use maillage_comptes::{Acteur, Attribution, LienEquipe, PerimetreAttribution, Role};
    let s = &ctx.store;
    let coord = compte(s, "coord@exemple.fr").await;
    let med1 = compte(s, "med1@exemple.fr").await;
    let med2 = compte(s, "med2@exemple.fr").await;
    let autre = compte(s, "autre@exemple.fr").await;
    let t = instant(100);

    assert!(s
        .attribuer(&coord, &Attribution::coordinateur(Vec::new()), None, t)
        .await
        .expect("grant"));
    // Granting twice changes nothing.
    assert!(!s
        .attribuer(&coord, &Attribution::coordinateur(Vec::new()), None, t)
        .await
        .expect("grant again"));
    assert!(s
        .attribuer(
            &coord,
            &Attribution::gestionnaire_departement("2A"),
            None,
            t
        )
        .await
        .expect("grant"));

    s.lier_equipe(&coord, &med1, date(2024, 1, 1))
        .await
        .expect("link");
    s.lier_equipe(&coord, &med2, date(2024, 3, 1))
        .await
        .expect("link");
    let e = s
        .lier_equipe(&coord, &med1, date(2024, 2, 1))
        .await
        .expect_err("already in the team");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
    assert!(e.to_string().contains("déjà"), "{e}");
    let e = s
        .terminer_lien(&coord, &med1, date(2023, 12, 31))
        .await
        .expect_err("end before start");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    s.terminer_lien(&coord, &med1, date(2024, 6, 1))
        .await
        .expect("end");
    let e = s
        .terminer_lien(&coord, &med1, date(2024, 7, 1))
        .await
        .expect_err("no open link");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    // A mediator may come back: a new period.
    s.lier_equipe(&coord, &med1, date(2024, 9, 1))
        .await
        .expect("rejoin");
    let e = s
        .lier_equipe(&coord, "inconnu", date(2024, 1, 1))
        .await
        .expect_err("unknown mediator");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    let e = s
        .lier_equipe(&coord, &coord, date(2024, 1, 1))
        .await
        .expect_err("own team");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");

    let liens = vec![
        LienEquipe {
            mediateur_id: med1.clone(),
            debut: date(2024, 1, 1),
            fin: Some(date(2024, 6, 1)),
        },
        LienEquipe {
            mediateur_id: med1.clone(),
            debut: date(2024, 9, 1),
            fin: None,
        },
        LienEquipe {
            mediateur_id: med2.clone(),
            debut: date(2024, 3, 1),
            fin: None,
        },
    ];
    let mut attendus = liens.clone();
    attendus.sort_by(|a, b| (&a.mediateur_id, a.debut).cmp(&(&b.mediateur_id, b.debut)));
    assert_eq!(s.liens_equipe(&coord).await.expect("team"), attendus);
    assert_eq!(s.liens_equipe(&med1).await.expect("no team"), Vec::new());

    let acteur = s.acteur(&coord).await.expect("read").expect("actor");
    assert_eq!(
        acteur,
        Acteur {
            id: coord.clone(),
            email: "coord@exemple.fr".to_string(),
            attributions: vec![
                Attribution::coordinateur(attendus.clone()),
                Attribution::gestionnaire_departement("2A"),
            ],
            structures_mediateur: Vec::new(),
        }
    );
    // The domain reads the team back from the assembled actor.
    assert!(acteur.a_le_role(Role::Coordinateur));
    let couvre = |m: &str, d: NaiveDate| {
        acteur
            .liens_equipe()
            .any(|l| l.mediateur_id == m && l.couvre(d))
    };
    assert!(couvre(&med1, date(2024, 5, 31)));
    assert!(!couvre(&med1, date(2024, 6, 1)));
    assert!(couvre(&med1, date(2024, 9, 1)));
    assert!(!couvre(&med2, date(2024, 2, 29)));

    // Every kind of scope round-trips.
    for a in [
        Attribution::mediateur(),
        Attribution::gestionnaire_structure("S1"),
        Attribution::gestionnaire_region("75"),
        Attribution::administrateur(),
    ] {
        assert!(
            s.attribuer(&autre, &a, None, t).await.expect("grant"),
            "{a:?}"
        );
    }
    let mut roles: Vec<Attribution> = s.attributions(&autre).await.expect("grants");
    assert_eq!(
        roles,
        vec![
            Attribution::administrateur(),
            Attribution::gestionnaire_structure("S1"),
            Attribution::gestionnaire_region("75"),
            Attribution::mediateur(),
        ]
    );

    // Refused: incoherent grants, a team given with the role, no account.
    let incoherente = Attribution {
        role: Role::Administrateur,
        perimetre: PerimetreAttribution::Departement("33".to_string()),
    };
    let e = s
        .attribuer(&autre, &incoherente, None, t)
        .await
        .expect_err("incoherent");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .attribuer(&autre, &Attribution::coordinateur(liens.clone()), None, t)
        .await
        .expect_err("links go through lier_equipe");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .attribuer("inconnu", &Attribution::mediateur(), None, t)
        .await
        .expect_err("no account");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

    // Withdrawal.
    assert!(s
        .retirer_attribution(&autre, &Attribution::gestionnaire_region("75"), None, t)
        .await
        .expect("withdraw"));
    assert!(!s
        .retirer_attribution(&autre, &Attribution::gestionnaire_region("75"), None, t)
        .await
        .expect("withdraw again"));
    roles.retain(|a| *a != Attribution::gestionnaire_region("75"));
    assert_eq!(s.attributions(&autre).await.expect("grants"), roles);

    // No actor for an unknown or deactivated account.
    assert_eq!(s.acteur("inconnu").await.expect("read"), None);
    sql_brut(
        ctx,
        &format!("UPDATE utilisateurs SET desactive_le = cree_le WHERE id = '{med2}'"),
    )
    .await;
    assert_eq!(s.acteur(&med2).await.expect("read"), None);
    assert!(s.acteur(&med1).await.expect("read").is_some());
}

async fn comptes_sessions(ctx: &Ctx) {
    use maillage_store::Session;
    let s = &ctx.store;
    let u = compte(s, "anne@exemple.fr").await;
    let v = compte(s, "bob@exemple.fr").await;
    let t0 = instant(1_000);
    let e1 = empreinte("cookie-1");
    s.creer_session(&e1, &u, t0, t0 + minutes(60))
        .await
        .expect("open");
    let attendue = Session {
        utilisateur_id: u.clone(),
        cree_le: t0,
        expire_le: t0 + minutes(60),
        derniere_activite_le: t0,
    };
    assert_eq!(
        s.session(&e1, t0 + minutes(30)).await.expect("read"),
        Some(attendue.clone())
    );
    // Expired at expire_le exactly.
    assert_eq!(s.session(&e1, t0 + minutes(60)).await.expect("read"), None);
    assert_eq!(
        s.session(&empreinte("autre"), t0).await.expect("read"),
        None
    );

    // The clear token is refused; so are an unknown account and a reused key.
    let e = s
        .creer_session("cookie-1", &u, t0, t0 + minutes(60))
        .await
        .expect_err("clear token");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .creer_session(&empreinte("x"), "inconnu", t0, t0 + minutes(60))
        .await
        .expect_err("no account");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    let e = s
        .creer_session(&e1, &v, t0, t0 + minutes(60))
        .await
        .expect_err("same key");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");

    // Activity extends a live session, never revives an expired one.
    assert!(s
        .toucher_session(&e1, t0 + minutes(50), t0 + minutes(120))
        .await
        .expect("touch"));
    assert_eq!(
        s.session(&e1, t0 + minutes(90)).await.expect("read"),
        Some(Session {
            expire_le: t0 + minutes(120),
            derniere_activite_le: t0 + minutes(50),
            ..attendue.clone()
        })
    );
    assert!(!s
        .toucher_session(&e1, t0 + minutes(120), t0 + minutes(200))
        .await
        .expect("touch expired"));
    assert_eq!(s.session(&e1, t0 + minutes(121)).await.expect("read"), None);

    // Sign-out.
    let e2 = empreinte("cookie-2");
    s.creer_session(&e2, &u, t0, t0 + minutes(60))
        .await
        .expect("open");
    assert!(s.supprimer_session(&e2).await.expect("close"));
    assert!(!s.supprimer_session(&e2).await.expect("close again"));
    assert_eq!(s.session(&e2, t0).await.expect("read"), None);

    // Closing every session of one account leaves the others'.
    for c in ["a", "b"] {
        s.creer_session(&empreinte(c), &u, t0, t0 + minutes(60))
            .await
            .expect("open");
    }
    let ev = empreinte("de-bob");
    s.creer_session(&ev, &v, t0, t0 + minutes(60))
        .await
        .expect("open");
    // e1 (expired but not purged) counts too.
    assert_eq!(s.supprimer_sessions_de(&u).await.expect("close all"), 3);
    assert_eq!(s.session(&empreinte("a"), t0).await.expect("read"), None);
    assert!(s.session(&ev, t0).await.expect("read").is_some());

    // Purge: expired at `maintenant` included, live ones kept.
    for (c, fin) in [("p1", 10), ("p2", 20), ("p3", 30)] {
        s.creer_session(&empreinte(c), &u, t0, t0 + minutes(fin))
            .await
            .expect("open");
    }
    assert_eq!(
        s.purger_sessions_expirees(t0 + minutes(20))
            .await
            .expect("purge"),
        2
    );
    assert!(s
        .session(&empreinte("p3"), t0 + minutes(20))
        .await
        .expect("read")
        .is_some());
    assert!(s
        .session(&ev, t0 + minutes(20))
        .await
        .expect("read")
        .is_some());
    assert_eq!(
        s.purger_sessions_expirees(t0 + minutes(20))
            .await
            .expect("purge"),
        0
    );

    // A deactivated account's sessions no longer open anything.
    sql_brut(
        ctx,
        &format!("UPDATE utilisateurs SET desactive_le = cree_le WHERE id = '{v}'"),
    )
    .await;
    assert_eq!(s.session(&ev, t0).await.expect("read"), None);
}

async fn comptes_jetons(ctx: &Ctx) {
    use maillage_comptes::{consommer, ButJeton, ErreurJeton, Jeton};
    use maillage_store::JetonEnregistre;
    let s = &ctx.store;
    let u = compte(s, "anne@exemple.fr").await;
    let t0 = instant(2_000);
    let (clair, jeton) =
        Jeton::nouveau(ButJeton::ReinitialisationMotDePasse, t0, minutes(60)).expect("token");
    let enregistre = JetonEnregistre {
        jeton: jeton.clone(),
        utilisateur_id: Some(u.clone()),
        email: None,
        cree_le: t0,
    };
    s.enregistrer_jeton(&enregistre).await.expect("store");
    let e = s
        .enregistrer_jeton(&enregistre)
        .await
        .expect_err("same fingerprint");
    assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");

    // Wrong purpose and unknown tokens are refused and change nothing.
    assert_eq!(
        s.consommer_jeton(&jeton.empreinte, ButJeton::Invitation, t0)
            .await
            .expect("consume"),
        Err(ErreurJeton::MauvaisBut)
    );
    assert_eq!(
        s.consommer_jeton(
            &empreinte("devine"),
            ButJeton::ReinitialisationMotDePasse,
            t0
        )
        .await
        .expect("consume"),
        Err(ErreurJeton::Inconnu)
    );
    let quand = t0 + minutes(10);
    let utilise = s
        .consommer_jeton(
            &jeton.empreinte,
            ButJeton::ReinitialisationMotDePasse,
            quand,
        )
        .await
        .expect("consume")
        .expect("valid token");
    assert_eq!(
        utilise,
        JetonEnregistre {
            jeton: Jeton {
                utilise_le: Some(quand),
                ..jeton.clone()
            },
            ..enregistre.clone()
        }
    );
    // Single use, by the store and by the domain on what it returned.
    assert_eq!(
        s.consommer_jeton(
            &jeton.empreinte,
            ButJeton::ReinitialisationMotDePasse,
            t0 + minutes(11)
        )
        .await
        .expect("consume"),
        Err(ErreurJeton::DejaUtilise)
    );
    let mut relu = utilise.jeton.clone();
    assert_eq!(
        consommer(&mut relu, ButJeton::ReinitialisationMotDePasse, &clair, t0),
        Err(ErreurJeton::DejaUtilise)
    );

    // Expired at expire_le exactly, like `consommer`.
    let (_, court) = Jeton::nouveau(ButJeton::VerificationEmail, t0, minutes(5)).expect("token");
    s.enregistrer_jeton(&JetonEnregistre {
        jeton: court.clone(),
        utilisateur_id: Some(u.clone()),
        email: None,
        cree_le: t0,
    })
    .await
    .expect("store");
    assert_eq!(
        s.consommer_jeton(
            &court.empreinte,
            ButJeton::VerificationEmail,
            t0 + minutes(5)
        )
        .await
        .expect("consume"),
        Err(ErreurJeton::Expire)
    );

    // An invitation to an address without an account.
    let (_, invitation) = Jeton::nouveau(
        ButJeton::Invitation,
        t0,
        ButJeton::Invitation.duree_par_defaut(),
    )
    .expect("token");
    s.enregistrer_jeton(&JetonEnregistre {
        jeton: invitation.clone(),
        utilisateur_id: None,
        email: Some(" Nouvelle.Recrue@Exemple.FR".to_string()),
        cree_le: t0,
    })
    .await
    .expect("store");
    let lu = s
        .consommer_jeton(&invitation.empreinte, ButJeton::Invitation, t0 + minutes(1))
        .await
        .expect("consume")
        .expect("valid invitation");
    assert_eq!(lu.email.as_deref(), Some("nouvelle.recrue@exemple.fr"));
    assert_eq!(lu.utilisateur_id, None);

    // Refused at the door: no target, a clear token as key, an unknown account.
    let (clair2, j2) = Jeton::nouveau(ButJeton::Invitation, t0, minutes(5)).expect("token");
    let e = s
        .enregistrer_jeton(&JetonEnregistre {
            jeton: j2.clone(),
            utilisateur_id: None,
            email: None,
            cree_le: t0,
        })
        .await
        .expect_err("no target");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .enregistrer_jeton(&JetonEnregistre {
            jeton: Jeton {
                empreinte: clair2,
                ..j2.clone()
            },
            utilisateur_id: Some(u.clone()),
            email: None,
            cree_le: t0,
        })
        .await
        .expect_err("clear token");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let e = s
        .enregistrer_jeton(&JetonEnregistre {
            jeton: j2,
            utilisateur_id: Some("inconnu".to_string()),
            email: None,
            cree_le: t0,
        })
        .await
        .expect_err("no account");
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

    // Purge: the 5-minute and 60-minute tokens are gone after an hour,
    // the week-long invitation stays.
    assert_eq!(
        s.purger_jetons_expires(t0 + minutes(60))
            .await
            .expect("purge"),
        2
    );
    assert_eq!(
        s.consommer_jeton(&jeton.empreinte, ButJeton::ReinitialisationMotDePasse, t0)
            .await
            .expect("consume"),
        Err(ErreurJeton::Inconnu)
    );
    assert_eq!(
        s.consommer_jeton(
            &invitation.empreinte,
            ButJeton::Invitation,
            t0 + minutes(61)
        )
        .await
        .expect("consume"),
        Err(ErreurJeton::DejaUtilise)
    );
}

/// Several servers consuming one token at once: exactly one succeeds.
async fn comptes_jetons_concurrents(ctx: &Ctx) {
    use maillage_comptes::{ButJeton, ErreurJeton, Jeton};
    let s = &ctx.store;
    let u = compte(s, "anne@exemple.fr").await;
    let t0 = instant(3_000);
    for tour in 0..5 {
        let (_, jeton) =
            Jeton::nouveau(ButJeton::VerificationEmail, t0, minutes(60)).expect("token");
        s.enregistrer_jeton(&maillage_store::JetonEnregistre {
            jeton: jeton.clone(),
            utilisateur_id: Some(u.clone()),
            email: None,
            cree_le: t0,
        })
        .await
        .expect("store");
        let taches: Vec<_> = (0..8)
            .map(|i| {
                let store = s.clone();
                let cle = jeton.empreinte.clone();
                tokio::spawn(async move {
                    store
                        .consommer_jeton(
                            &cle,
                            ButJeton::VerificationEmail,
                            t0 + Duration::seconds(i),
                        )
                        .await
                })
            })
            .collect();
        let mut reussites = 0;
        for t in taches {
            match t.await.expect("task").expect("consume") {
                Ok(j) => {
                    reussites += 1;
                    assert!(j.jeton.utilise_le.is_some());
                }
                Err(e) => assert_eq!(e, ErreurJeton::DejaUtilise, "tour {tour}"),
            }
        }
        assert_eq!(reussites, 1, "tour {tour}");
    }
}

async fn comptes_freinage(ctx: &Ctx) {
    use maillage_comptes::Freinage;
    let s = &ctx.store;
    let cle = "email:anne@exemple.fr";
    assert_eq!(s.freinage(cle).await.expect("read"), None);
    let t0 = instant(4_000);
    let mut f = Freinage::new();
    for i in 0..5 {
        f.enregistrer_echec(t0 + Duration::seconds(i));
    }
    assert!(f.verifier(t0 + Duration::seconds(5)).is_err(), "blocked");
    s.enregistrer_freinage(cle, &f, t0 + Duration::seconds(4))
        .await
        .expect("store");
    let lu = s.freinage(cle).await.expect("read").expect("stored");
    assert_eq!(lu, f);
    // The state read back blocks like the original.
    assert_eq!(
        lu.verifier(t0 + Duration::seconds(30)),
        f.verifier(t0 + Duration::seconds(30))
    );
    assert!(lu.verifier(t0 + Duration::seconds(30)).is_err());

    // Replaced on the next write; keys are independent.
    let mut f2 = lu.clone();
    f2.enregistrer_echec(t0 + minutes(2));
    assert_ne!(f2, f);
    s.enregistrer_freinage(cle, &f2, t0 + minutes(2))
        .await
        .expect("store again");
    assert_eq!(s.freinage(cle).await.expect("read"), Some(f2.clone()));
    let ip = "ip:192.0.2.1";
    s.enregistrer_freinage(ip, &Freinage::new(), t0)
        .await
        .expect("store");
    assert_eq!(s.freinage(ip).await.expect("read"), Some(Freinage::new()));
    assert_eq!(s.freinage(cle).await.expect("read"), Some(f2));

    // A success forgets the key.
    assert!(s.effacer_freinage(cle).await.expect("clear"));
    assert!(!s.effacer_freinage(cle).await.expect("clear again"));
    assert_eq!(s.freinage(cle).await.expect("read"), None);

    // Purge of states unchanged since a date (strictly before).
    s.enregistrer_freinage("ip:192.0.2.2", &Freinage::new(), t0 + minutes(30))
        .await
        .expect("store");
    assert_eq!(
        s.purger_freinages(t0 + minutes(30)).await.expect("purge"),
        1
    );
    assert_eq!(s.freinage(ip).await.expect("read"), None);
    assert!(s.freinage("ip:192.0.2.2").await.expect("read").is_some());

    let e = s
        .enregistrer_freinage(" ", &Freinage::new(), t0)
        .await
        .expect_err("empty key");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    sql_brut(
        ctx,
        "UPDATE freinage SET etat = '{\"echecs\": tronqu' WHERE cle = 'ip:192.0.2.2'",
    )
    .await;
    let e = s.freinage("ip:192.0.2.2").await.expect_err("corrupt");
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
}

/// Sensitive writes journal in the same transaction: no journal, no write.
async fn comptes_journal_et_atomicite(ctx: &Ctx) {
    use maillage_comptes::{ActionSensible, Attribution};
    let s = &ctx.store;
    let admin = compte(s, "admin@exemple.fr").await;
    let mut n = nouvel_utilisateur("Anne@Exemple.fr", Some(&admin));
    n.cree_le = instant(50);
    let id = s.creer_utilisateur(&n).await.expect("create");
    let entree = tout_le_journal(s).await.remove(0);
    assert_eq!(entree.action, ActionSensible::CreationCompte.code());
    assert_eq!(entree.acteur_id.as_deref(), Some(admin.as_str()));
    assert_eq!(entree.cible.as_deref(), Some(id.as_str()));
    assert_eq!(entree.quand, instant(50));

    assert!(s
        .attribuer(
            &id,
            &Attribution::gestionnaire_structure("S1"),
            Some(&admin),
            instant(60)
        )
        .await
        .expect("grant"));
    let entree = tout_le_journal(s).await.remove(0);
    assert_eq!(entree.action, ActionSensible::ChangementRole.code());
    assert_eq!(entree.acteur_id.as_deref(), Some(admin.as_str()));
    assert_eq!(entree.cible.as_deref(), Some(id.as_str()));
    assert_eq!(
        entree.details,
        serde_json::json!({"ajout": {"role": "gestionnaire_structure", "perimetre": "structure", "code": "S1"}})
    );
    // A grant already held is no change: nothing journaled.
    let avant = tout_le_journal(s).await.len();
    assert!(!s
        .attribuer(
            &id,
            &Attribution::gestionnaire_structure("S1"),
            Some(&admin),
            instant(61)
        )
        .await
        .expect("grant again"));
    assert_eq!(tout_le_journal(s).await.len(), avant);

    s.changer_mot_de_passe(
        &id,
        &format!("{PHC}2"),
        ActionSensible::ReinitialisationMotDePasse,
        None,
        instant(70),
    )
    .await
    .expect("reset");
    let entree = tout_le_journal(s).await.remove(0);
    assert_eq!(
        entree.action,
        ActionSensible::ReinitialisationMotDePasse.code()
    );
    assert_eq!(entree.acteur_id, None);
    assert_eq!(entree.cible.as_deref(), Some(id.as_str()));
    let e = s
        .changer_mot_de_passe(&id, PHC, ActionSensible::Connexion, None, instant(71))
        .await
        .expect_err("not a password action");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    // No e-mail address nor hash in the journal.
    for e in tout_le_journal(s).await {
        let texte = e.details.to_string();
        assert!(!texte.contains('@') && !texte.contains("argon2"), "{texte}");
    }
    assert_eq!(tout_le_journal(s).await.len(), 4);

    // The journal becomes unwritable.
    sql_brut(ctx, "DROP TABLE journal").await;
    s.creer_utilisateur(&nouvel_utilisateur("bob@exemple.fr", None))
        .await
        .expect_err("no journal, no account");
    assert_eq!(
        s.utilisateur_par_email("bob@exemple.fr")
            .await
            .expect("read"),
        None
    );
    s.attribuer(
        &id,
        &Attribution::administrateur(),
        Some(&admin),
        instant(80),
    )
    .await
    .expect_err("no journal, no grant");
    s.retirer_attribution(
        &id,
        &Attribution::gestionnaire_structure("S1"),
        Some(&admin),
        instant(80),
    )
    .await
    .expect_err("no journal, no withdrawal");
    assert_eq!(
        s.attributions(&id).await.expect("grants"),
        vec![Attribution::gestionnaire_structure("S1")]
    );
    s.changer_mot_de_passe(
        &id,
        &format!("{PHC}3"),
        ActionSensible::ChangementMotDePasse,
        Some(&id),
        instant(90),
    )
    .await
    .expect_err("no journal, no password change");
    let u = s.utilisateur(&id).await.expect("read").expect("exists");
    assert_eq!(u.mot_de_passe, format!("{PHC}2"));
}

// ---------------------------------------------------------------------------
// Statistics of the activity records: every figure is checked against the
// same count done in Rust over the inputs (`statistiques_attendues`).

use maillage_activites::TrancheDuree;
use maillage_store::{
    Compte, FenetreMediateur, FiltreStatistiques, Statistiques, TotauxStatistiques,
};

/// Durations of the data set: each bucket boundary and its neighbours.
const MINUTES_STATISTIQUES: [i64; 12] = [1, 15, 29, 30, 45, 59, 60, 90, 119, 120, 121, 1440];

/// Dates of the data set: first and last days of months, the mediator's
/// "today", two years.
const DATES_STATISTIQUES: [(i32, u32, u32); 13] = [
    (2025, 12, 31),
    (2026, 1, 1),
    (2026, 1, 15),
    (2026, 1, 31),
    (2026, 2, 1),
    (2026, 2, 28),
    (2026, 3, 1),
    (2026, 3, 10),
    (2026, 4, 30),
    (2026, 5, 1),
    (2026, 5, 12),
    (2026, 6, 30),
    (2025, 11, 3),
];

const COMMUNES_STATISTIQUES: [&str; 4] = ["13055", "2A004", "75056", "84007"];
const MEDIATEURS_STATISTIQUES: [&str; 5] = ["med-a", "med-b", "med-c", "med-d", "med-e"];

/// Record `i` of the data set, varied on every counted column.
fn activite_statistiques(i: usize) -> Activite {
    let collectif = i % 4 == 3;
    let mut s = ActiviteSaisie::nouvelle(if collectif {
        TypeActivite::Collectif
    } else {
        TypeActivite::Individuel
    });
    let (y, m, d) = DATES_STATISTIQUES[(i * 5) % DATES_STATISTIQUES.len()];
    s.date = Some(date(y, m, d));
    s.duree = Some(DureeSaisie::Minutes(
        MINUTES_STATISTIQUES[i % MINUTES_STATISTIQUES.len()],
    ));
    let type_lieu = TypeLieu::ALL[(i / 2) % TypeLieu::ALL.len()];
    s.type_lieu = Some(type_lieu);
    match type_lieu {
        TypeLieu::LieuActivite => s.structure_id = Some(format!("lieu-{}", i % 3)),
        TypeLieu::Domicile | TypeLieu::Autre => {
            s.lieu_code_insee =
                Some(COMMUNES_STATISTIQUES[i % COMMUNES_STATISTIQUES.len()].to_string())
        }
        TypeLieu::ADistance => {}
    }
    s.materiel = match i % 6 {
        0 => vec![],
        1 => vec![Materiel::Aucun],
        2 => vec![Materiel::Ordinateur],
        3 => vec![Materiel::Telephone, Materiel::Tablette],
        4 => vec![Materiel::Ordinateur, Materiel::Autre, Materiel::Telephone],
        _ => vec![Materiel::Tablette],
    };
    let n = Thematique::ALL.len();
    let mut thematiques = vec![Thematique::ALL[i % n], Thematique::ALL[(i * 7 + 3) % n]];
    if i.is_multiple_of(3) {
        thematiques.push(Thematique::ALL[(i * 11 + 5) % n]);
    }
    if thematiques.iter().any(|t| t.est_administrative()) {
        thematiques.push(Thematique::AideAuxDemarchesAdministratives);
    }
    s.thematiques = thematiques;
    if collectif {
        s.titre_atelier = Some(format!("Atelier {i}"));
        s.participants = (0..i % 3).map(|k| format!("p-{i}-{k}")).collect();
        let total = (i % 5 + 1) as i64;
        // Breakdowns adding up to the total, or to less (the rest is
        // "non communiqué").
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total,
            genre_feminin: total / 2,
            genre_masculin: total / 3,
            tranche_age_vingt_cinq_trente_neuf: total - 1,
            tranche_age_soixante_dix_plus: i64::from(i.is_multiple_of(2)),
            statut_social_retraite: total,
            ..Default::default()
        });
    } else {
        s.beneficiaire = Some(match i % 3 {
            0 => Beneficiaire::Suivi {
                id: format!("b-{i}"),
            },
            1 => Beneficiaire::Anonyme(Demographie {
                genre: Some(Genre::ALL[(i / 3) % Genre::ALL.len()]),
                tranche_age: Some(TrancheAge::ALL[(i / 3) % TrancheAge::ALL.len()]),
                statut_social: Some(StatutSocial::ALL[i % StatutSocial::ALL.len()]),
            }),
            _ => Beneficiaire::Anonyme(Demographie::default()),
        });
    }
    valide(&s)
}

/// Demographics of record `i`'s followed beneficiaries: known for even
/// records, none for odd ones (they count as "non communiqué").
fn demographies_statistiques(i: usize) -> Vec<Demographie> {
    if i % 2 == 1 {
        return Vec::new();
    }
    (0..3)
        .map(|k| Demographie {
            genre: Some(Genre::ALL[(i + k) % Genre::ALL.len()]),
            tranche_age: Some(TrancheAge::ALL[(i + k) % TrancheAge::ALL.len()]),
            statut_social: (k != 1).then_some(StatutSocial::EnEmploi),
        })
        .collect()
}

/// The 32 records of the data set, stored; those with `i % 9 == 4` are then
/// deleted (`true` in the result).
async fn charger_jeu_statistiques(s: &Store) -> Vec<(NouvelleActivite, bool)> {
    let mut jeu = Vec::new();
    for i in 0..32 {
        let mut n = nouvelle(
            MEDIATEURS_STATISTIQUES[i % MEDIATEURS_STATISTIQUES.len()],
            [Some("st-1"), Some("st-2"), None][i % 3],
            [Some("13"), Some("2A"), Some("75"), Some("84"), None][(i * 3) % 5],
            activite_statistiques(i),
            i as i64,
        );
        n.demographies_suivies = demographies_statistiques(i);
        let id = s.enregistrer_activite(&n).await.expect("record stored");
        let supprimee = i % 9 == 4;
        if supprimee {
            assert!(s
                .supprimer_activite(&id, "coordo", instant(100))
                .await
                .expect("deleted"));
        }
        jeu.push((n, supprimee));
    }
    jeu
}

fn fenetre(mediateur: &str, debut: NaiveDate, fin: Option<NaiveDate>) -> FenetreMediateur {
    FenetreMediateur {
        mediateur_id: mediateur.to_string(),
        debut,
        fin,
    }
}

/// Whether the filter keeps this record (the specification of each field).
fn retenue_par(n: &NouvelleActivite, f: &FiltreStatistiques) -> bool {
    let a = &n.activite;
    let dans = |liste: &Option<Vec<String>>, v: Option<&str>| {
        liste
            .as_ref()
            .is_none_or(|l| v.is_some_and(|v| l.iter().any(|x| x == v)))
    };
    dans(&f.mediateurs, Some(&n.mediateur_id))
        && dans(&f.departements, n.departement.as_deref())
        && dans(&f.codes_insee, a.lieu().code_insee())
        && f.structure_id
            .as_deref()
            .is_none_or(|s| n.structure_id.as_deref() == Some(s))
        && f.lieu_id
            .as_deref()
            .is_none_or(|l| a.lieu().structure_id() == Some(l))
        && f.du.is_none_or(|d| a.date() >= d)
        && f.au.is_none_or(|d| a.date() <= d)
        && f.type_activite.is_none_or(|t| a.type_activite() == t)
        && f.type_lieu.is_none_or(|t| a.lieu().type_lieu() == t)
        && f.thematique.is_none_or(|t| a.thematiques().contains(&t))
        && f.fenetres
            .as_ref()
            .is_none_or(|v| v.iter().any(|w| w.couvre(&n.mediateur_id, a.date())))
}

/// The statistics computed in Rust over the live records of `jeu`.
fn statistiques_attendues(
    jeu: &[(NouvelleActivite, bool)],
    f: &FiltreStatistiques,
) -> Statistiques {
    let retenues: Vec<&NouvelleActivite> = jeu
        .iter()
        .filter(|(n, supprimee)| !supprimee && retenue_par(n, f))
        .map(|(n, _)| n)
        .collect();
    let ajouter = |c: &mut Compte, a: &Activite| {
        c.activites += 1;
        c.accompagnements += a.accompagnements_count();
    };
    let compte = |garder: &dyn Fn(&Activite) -> bool| {
        let mut c = Compte::default();
        for n in &retenues {
            if garder(&n.activite) {
                ajouter(&mut c, &n.activite);
            }
        }
        c
    };
    let classement = |cle: &dyn Fn(&Activite) -> Option<String>| {
        let mut par_cle: BTreeMap<String, Compte> = BTreeMap::new();
        for n in &retenues {
            if let Some(k) = cle(&n.activite) {
                ajouter(par_cle.entry(k).or_default(), &n.activite);
            }
        }
        let mut v: Vec<(String, Compte)> = par_cle.into_iter().collect();
        // Stable sort: equal counts stay in key order.
        v.sort_by_key(|(_, c)| std::cmp::Reverse(c.activites));
        v.truncate(maillage_store::CLASSEMENT_MAX);
        v
    };
    let tous = compte(&|_| true);
    let individuels = compte(&|a| a.type_activite() == TypeActivite::Individuel);
    let collectifs = compte(&|a| a.type_activite() == TypeActivite::Collectif);
    let mut par_mois: BTreeMap<String, Compte> = BTreeMap::new();
    for n in &retenues {
        let mois = n.activite.date().format("%Y-%m").to_string();
        ajouter(par_mois.entry(mois).or_default(), &n.activite);
    }
    // Beneficiaries: people of each value, and records with at least one.
    let repartitions: Vec<_> = retenues
        .iter()
        .map(|n| repartition_beneficiaires(&n.activite, &n.demographies_suivies))
        .collect();
    let beneficiaires =
        |nombre: &dyn Fn(&maillage_activites::RepartitionBeneficiaires) -> u64| Compte {
            activites: repartitions.iter().filter(|r| nombre(r) > 0).count() as u64,
            accompagnements: repartitions.iter().map(nombre).sum(),
        };
    Statistiques {
        totaux: TotauxStatistiques {
            activites: tous.activites,
            accompagnements: tous.accompagnements,
            activites_individuelles: individuels.activites,
            activites_collectives: collectifs.activites,
            accompagnements_individuels: individuels.accompagnements,
            accompagnements_collectifs: collectifs.accompagnements,
            duree_minutes: retenues
                .iter()
                .map(|n| u64::from(n.activite.duree().minutes()))
                .sum(),
            mediateurs: retenues
                .iter()
                .map(|n| n.mediateur_id.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64,
        },
        par_mois: par_mois.into_iter().collect(),
        par_thematique: Thematique::ALL
            .iter()
            .map(|t| (*t, compte(&|a| a.thematiques().contains(t))))
            .collect(),
        par_materiel: Materiel::ALL
            .iter()
            .map(|m| (*m, compte(&|a| a.materiel().contains(m))))
            .collect(),
        par_type_lieu: TypeLieu::ALL
            .iter()
            .map(|t| (*t, compte(&|a| a.lieu().type_lieu() == *t)))
            .collect(),
        par_duree: TrancheDuree::ALL
            .iter()
            .map(|t| (*t, compte(&|a| a.duree().tranche() == *t)))
            .collect(),
        par_commune: classement(&|a| a.lieu().code_insee().map(str::to_string)),
        par_lieu: classement(&|a| a.lieu().structure_id().map(str::to_string)),
        par_genre: Genre::ALL
            .iter()
            .map(|g| (*g, beneficiaires(&|r| r.genre(*g))))
            .collect(),
        par_tranche_age: TrancheAge::ALL
            .iter()
            .map(|t| (*t, beneficiaires(&|r| r.tranche_age(*t))))
            .collect(),
        par_statut_social: StatutSocial::ALL
            .iter()
            .map(|t| (*t, beneficiaires(&|r| r.statut_social(*t))))
            .collect(),
    }
}

/// Figure by figure, so a failure names the one that differs.
fn comparer_statistiques(obtenues: &Statistiques, attendues: &Statistiques, cas: &str) {
    assert_eq!(obtenues.totaux, attendues.totaux, "{cas}: totaux");
    assert_eq!(obtenues.par_mois, attendues.par_mois, "{cas}: mois");
    assert_eq!(
        obtenues.par_thematique, attendues.par_thematique,
        "{cas}: thématiques"
    );
    assert_eq!(
        obtenues.par_materiel, attendues.par_materiel,
        "{cas}: matériel"
    );
    assert_eq!(
        obtenues.par_type_lieu, attendues.par_type_lieu,
        "{cas}: canaux"
    );
    assert_eq!(obtenues.par_duree, attendues.par_duree, "{cas}: durées");
    assert_eq!(
        obtenues.par_commune, attendues.par_commune,
        "{cas}: communes"
    );
    assert_eq!(obtenues.par_lieu, attendues.par_lieu, "{cas}: lieux");
    assert_eq!(obtenues.par_genre, attendues.par_genre, "{cas}: genres");
    assert_eq!(
        obtenues.par_tranche_age, attendues.par_tranche_age,
        "{cas}: tranches d'âge"
    );
    assert_eq!(
        obtenues.par_statut_social, attendues.par_statut_social,
        "{cas}: statuts"
    );
    assert_eq!(obtenues, attendues, "{cas}");
}

async fn statistiques_nationales(ctx: &Ctx) {
    let s = &ctx.store;
    let tout = FiltreStatistiques::default();
    // Empty store: zeros, and still one row per thématique, matériel, canal
    // and bucket.
    let vide = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(&vide, &statistiques_attendues(&[], &tout), "base vide");
    assert_eq!(vide.par_thematique.len(), Thematique::ALL.len());
    assert_eq!(vide.par_duree.len(), TrancheDuree::ALL.len());

    let mut jeu = charger_jeu_statistiques(s).await;
    let stats = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(&stats, &statistiques_attendues(&jeu, &tout), "nation");

    // The data set exercises what it should: every boundary minute on a
    // live record, every bucket, canal and both types, workshops counting
    // more than one accompaniment, deleted records.
    let vivantes: Vec<&Activite> = jeu
        .iter()
        .filter(|(_, sup)| !sup)
        .map(|(n, _)| &n.activite)
        .collect();
    for minutes in [29, 30, 59, 60, 119, 120] {
        assert!(
            vivantes.iter().any(|a| a.duree().minutes() == minutes),
            "{minutes} minutes"
        );
    }
    assert!(stats.par_duree.iter().all(|(_, c)| c.activites > 0));
    assert!(stats.par_type_lieu.iter().all(|(_, c)| c.activites > 0));
    assert!(stats.totaux.activites_collectives > 0 && stats.totaux.activites_individuelles > 0);
    assert!(stats.totaux.accompagnements_collectifs > stats.totaux.activites_collectives);
    assert!(stats.par_mois.len() > 5);
    assert!(jeu.iter().any(|(_, sup)| *sup));
    // Each breakdown splits the same records.
    let total = stats.totaux.activites;
    assert_eq!(total, vivantes.len() as u64);
    for (nom, somme) in [
        (
            "mois",
            stats.par_mois.iter().map(|(_, c)| c.activites).sum::<u64>(),
        ),
        (
            "canaux",
            stats.par_type_lieu.iter().map(|(_, c)| c.activites).sum(),
        ),
        (
            "durées",
            stats.par_duree.iter().map(|(_, c)| c.activites).sum(),
        ),
    ] {
        assert_eq!(somme, total, "{nom}");
    }
    // Each beneficiary breakdown splits the accompaniments, and the data
    // set fills every value.
    let accompagnements = stats.totaux.accompagnements;
    for (nom, valeurs) in [
        (
            "genres",
            stats.par_genre.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        ),
        (
            "âges",
            stats.par_tranche_age.iter().map(|(_, c)| *c).collect(),
        ),
        (
            "statuts",
            stats.par_statut_social.iter().map(|(_, c)| *c).collect(),
        ),
    ] {
        assert_eq!(
            valeurs.iter().map(|c| c.accompagnements).sum::<u64>(),
            accompagnements,
            "{nom}"
        );
        assert!(valeurs.iter().all(|c| c.accompagnements > 0), "{nom}");
    }

    // Deleted records are not counted: the same data with them live gives
    // other figures, and one more deletion shows at once.
    let avec_supprimees: Vec<(NouvelleActivite, bool)> =
        jeu.iter().map(|(n, _)| (n.clone(), false)).collect();
    assert_ne!(stats, statistiques_attendues(&avec_supprimees, &tout));
    let page = s
        .activites(&FiltreActivites {
            mediateur_id: Some(jeu[0].0.mediateur_id.clone()),
            du: Some(jeu[0].0.activite.date()),
            au: Some(jeu[0].0.activite.date()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(page.activites.len(), 1, "record 0 is unique on its day");
    assert!(s
        .supprimer_activite(&page.activites[0].id, "coordo", instant(200))
        .await
        .expect("deleted"));
    jeu[0].1 = true;
    let apres = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(
        &apres,
        &statistiques_attendues(&jeu, &tout),
        "après suppression",
    );
    assert_eq!(apres.totaux.activites, total - 1);
}

async fn statistiques_filtrees(ctx: &Ctx) {
    let s = &ctx.store;
    let jeu = charger_jeu_statistiques(s).await;
    let tout = FiltreStatistiques::default();
    let total = statistiques_attendues(&jeu, &tout).totaux.activites;
    let liste = |v: &[&str]| Some(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    let janvier = (date(2026, 1, 1), date(2026, 1, 31));
    // Filters that keep some records and not all.
    let restrictifs = [
        (
            "janvier, bornes incluses",
            FiltreStatistiques {
                du: Some(janvier.0),
                au: Some(janvier.1),
                ..Default::default()
            },
        ),
        (
            "janvier sans ses deux bornes",
            FiltreStatistiques {
                du: Some(date(2026, 1, 2)),
                au: Some(date(2026, 1, 30)),
                ..Default::default()
            },
        ),
        (
            "un seul jour",
            FiltreStatistiques {
                du: Some(date(2026, 6, 30)),
                au: Some(date(2026, 6, 30)),
                ..Default::default()
            },
        ),
        (
            "depuis le 1er mars",
            FiltreStatistiques {
                du: Some(date(2026, 3, 1)),
                ..Default::default()
            },
        ),
        (
            "jusqu'au 31 décembre",
            FiltreStatistiques {
                au: Some(date(2025, 12, 31)),
                ..Default::default()
            },
        ),
        (
            "un département",
            FiltreStatistiques {
                departements: liste(&["2A"]),
                ..Default::default()
            },
        ),
        (
            "une région (ses départements)",
            FiltreStatistiques {
                departements: liste(&["13", "84"]),
                ..Default::default()
            },
        ),
        (
            "un médiateur",
            FiltreStatistiques {
                mediateurs: liste(&["med-c"]),
                ..Default::default()
            },
        ),
        (
            "une équipe",
            FiltreStatistiques {
                mediateurs: liste(&["med-a", "med-d", "inconnu"]),
                ..Default::default()
            },
        ),
        (
            "une structure",
            FiltreStatistiques {
                structure_id: Some("st-2".to_string()),
                ..Default::default()
            },
        ),
        (
            "une commune",
            FiltreStatistiques {
                codes_insee: liste(&["2A004"]),
                ..Default::default()
            },
        ),
        (
            "un EPCI (ses communes)",
            FiltreStatistiques {
                codes_insee: liste(&["13055", "84007", "99999"]),
                ..Default::default()
            },
        ),
        (
            "une thématique",
            FiltreStatistiques {
                thematique: Some(Thematique::AideAuxDemarchesAdministratives),
                ..Default::default()
            },
        ),
        (
            "la dernière thématique (bit 29)",
            FiltreStatistiques {
                thematique: Some(Thematique::Associations),
                ..Default::default()
            },
        ),
        (
            "ateliers collectifs",
            FiltreStatistiques {
                type_activite: Some(TypeActivite::Collectif),
                ..Default::default()
            },
        ),
        (
            "à domicile",
            FiltreStatistiques {
                type_lieu: Some(TypeLieu::Domicile),
                ..Default::default()
            },
        ),
        (
            "un lieu d'activité",
            FiltreStatistiques {
                lieu_id: Some("lieu-1".to_string()),
                ..Default::default()
            },
        ),
        (
            "une équipe avec les dates de ses liens",
            FiltreStatistiques {
                fenetres: Some(vec![
                    // Joined on 1 February, still in the team.
                    fenetre("med-a", date(2026, 2, 1), None),
                    // Left on 1 March (exclusive), came back on 1 May.
                    fenetre("med-b", date(2026, 1, 1), Some(date(2026, 3, 1))),
                    fenetre("med-b", date(2026, 5, 1), None),
                    // Overlapping windows count each record once.
                    fenetre("med-c", date(2025, 1, 1), Some(date(2026, 2, 1))),
                    fenetre("med-c", date(2026, 1, 15), Some(date(2026, 3, 2))),
                ]),
                ..Default::default()
            },
        ),
        (
            "une équipe, fin de lien exclue",
            FiltreStatistiques {
                fenetres: Some(vec![fenetre(
                    "med-a",
                    date(2025, 1, 1),
                    Some(date(2026, 1, 1)),
                )]),
                ..Default::default()
            },
        ),
        (
            "une équipe et une période",
            FiltreStatistiques {
                fenetres: Some(vec![
                    fenetre("med-d", date(2026, 1, 1), None),
                    fenetre("med-e", date(2025, 1, 1), Some(date(2026, 5, 1))),
                ]),
                du: Some(date(2026, 1, 15)),
                au: Some(date(2026, 6, 30)),
                type_activite: Some(TypeActivite::Individuel),
                ..Default::default()
            },
        ),
        (
            "combinés",
            FiltreStatistiques {
                mediateurs: liste(&["med-a", "med-b", "med-c"]),
                departements: liste(&["13", "2A", "75"]),
                du: Some(date(2026, 1, 1)),
                au: Some(date(2026, 5, 31)),
                type_activite: Some(TypeActivite::Individuel),
                ..Default::default()
            },
        ),
    ];
    for (cas, f) in &restrictifs {
        let attendues = statistiques_attendues(&jeu, f);
        assert!(
            attendues.totaux.activites > 0 && attendues.totaux.activites < total,
            "{cas}: the data set must make this filter meaningful"
        );
        let obtenues = s.statistiques(f).await.expect("statistics");
        comparer_statistiques(&obtenues, &attendues, cas);
    }
    // A team member's records outside their link's dates are not counted:
    // the same mediators without dates give more.
    let equipe = restrictifs
        .iter()
        .find(|(cas, _)| *cas == "une équipe avec les dates de ses liens")
        .map(|(_, f)| f)
        .expect("team case");
    let avec_dates = statistiques_attendues(&jeu, equipe);
    let sans_dates = statistiques_attendues(
        &jeu,
        &FiltreStatistiques {
            mediateurs: liste(&["med-a", "med-b", "med-c"]),
            ..Default::default()
        },
    );
    assert!(avec_dates.totaux.activites < sans_dates.totaux.activites);

    // The period bounds are inclusive: live records lie on both bounds.
    let sur = |jour: NaiveDate| {
        jeu.iter()
            .filter(|(n, sup)| !sup && n.activite.date() == jour)
            .count()
    };
    assert!(sur(janvier.0) > 0 && sur(janvier.1) > 0);
    let avec_bornes = s.statistiques(&restrictifs[0].1).await.expect("statistics");
    let sans_bornes = s.statistiques(&restrictifs[1].1).await.expect("statistics");
    assert_eq!(
        avec_bornes.totaux.activites - sans_bornes.totaux.activites,
        (sur(janvier.0) + sur(janvier.1)) as u64
    );

    // Filters that keep nothing: still every fixed row, with zeros.
    for (cas, f) in [
        (
            "liste vide",
            FiltreStatistiques {
                mediateurs: Some(Vec::new()),
                ..Default::default()
            },
        ),
        (
            "du après au",
            FiltreStatistiques {
                du: Some(date(2026, 3, 2)),
                au: Some(date(2026, 3, 1)),
                ..Default::default()
            },
        ),
        (
            "équipe vide",
            FiltreStatistiques {
                fenetres: Some(Vec::new()),
                ..Default::default()
            },
        ),
        (
            "lien terminé avant la période",
            FiltreStatistiques {
                fenetres: Some(vec![fenetre(
                    "med-a",
                    date(2025, 1, 1),
                    Some(date(2025, 6, 1)),
                )]),
                ..Default::default()
            },
        ),
        (
            "commune d'un lieu d'activité",
            FiltreStatistiques {
                codes_insee: liste(&["13055"]),
                type_lieu: Some(TypeLieu::LieuActivite),
                ..Default::default()
            },
        ),
    ] {
        let attendues = statistiques_attendues(&jeu, &f);
        assert_eq!(attendues.totaux.activites, 0, "{cas}");
        let obtenues = s.statistiques(&f).await.expect("statistics");
        comparer_statistiques(&obtenues, &attendues, cas);
        assert_eq!(obtenues.par_materiel.len(), Materiel::ALL.len(), "{cas}");
    }

    // Too many values for one statement.
    let trop = FiltreStatistiques {
        codes_insee: Some(
            (0..=maillage_store::VALEURS_FILTRE_MAX)
                .map(|i| format!("{i:05}"))
                .collect(),
        ),
        ..Default::default()
    };
    let e = s.statistiques(&trop).await.expect_err("too many values");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
}

/// More communes and places than the top lists keep, with ties.
async fn statistiques_classements(ctx: &Ctx) {
    let s = &ctx.store;
    let mut jeu = Vec::new();
    for i in 0..120_usize {
        let k = i / 2;
        let mut saisie = ActiviteSaisie::nouvelle(TypeActivite::Individuel);
        saisie.date = Some(date(2026, 2, 1 + (i % 28) as u32));
        saisie.duree = Some(DureeSaisie::Minutes(45));
        saisie.thematiques = vec![Thematique::Email];
        if i.is_multiple_of(2) {
            // 53 communes, 7 of them with a second record.
            saisie.type_lieu = Some(TypeLieu::Domicile);
            saisie.lieu_code_insee = Some(format!("{}", 10_000 + (k * 7) % 53));
        } else {
            // 56 places, 4 of them with a second record.
            saisie.type_lieu = Some(TypeLieu::LieuActivite);
            saisie.structure_id = Some(format!("lieu-{:02}", k % 56));
        }
        let n = nouvelle("med-a", None, Some("13"), valide(&saisie), i as i64);
        s.enregistrer_activite(&n).await.expect("record stored");
        jeu.push((n, false));
    }
    let tout = FiltreStatistiques::default();
    let attendues = statistiques_attendues(&jeu, &tout);
    let obtenues = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(&obtenues, &attendues, "classements");
    let distinctes = |cle: &dyn Fn(&Activite) -> Option<&str>| {
        jeu.iter()
            .filter_map(|(n, _)| cle(&n.activite).map(str::to_string))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    // The lists are cut: more keys exist than are kept.
    assert!(distinctes(&|a| a.lieu().code_insee()) > maillage_store::CLASSEMENT_MAX);
    assert!(distinctes(&|a| a.lieu().structure_id()) > maillage_store::CLASSEMENT_MAX);
    assert_eq!(obtenues.par_commune.len(), maillage_store::CLASSEMENT_MAX);
    assert_eq!(obtenues.par_lieu.len(), maillage_store::CLASSEMENT_MAX);
}

/// The same data gives the same `Statistiques` on SQLite and PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistiques_identiques_sqlite_et_postgres() {
    async fn calculer(s: &Store) -> Vec<Statistiques> {
        charger_jeu_statistiques(s).await;
        let mut resultats = Vec::new();
        for f in [
            FiltreStatistiques::default(),
            FiltreStatistiques {
                departements: Some(vec!["13".to_string(), "84".to_string()]),
                du: Some(date(2026, 1, 1)),
                ..Default::default()
            },
            FiltreStatistiques {
                thematique: Some(Thematique::Associations),
                ..Default::default()
            },
        ] {
            resultats.push(s.statistiques(&f).await.expect("statistics"));
        }
        resultats
    }
    let resultats = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let r = resultats.clone();
    sur_sqlite(|ctx| async move {
        let v = calculer(&ctx.store).await;
        r.lock().expect("lock").push(v);
    })
    .await;
    let r = resultats.clone();
    sur_postgres(
        "statistiques_identiques_sqlite_et_postgres",
        |ctx| async move {
            let v = calculer(&ctx.store).await;
            r.lock().expect("lock").push(v);
        },
    )
    .await;
    let resultats = resultats.lock().expect("lock");
    if let [sqlite, postgres] = resultats.as_slice() {
        assert!(sqlite[0].totaux.activites > 0);
        assert_eq!(sqlite, postgres);
    } else {
        // Only with MAILLAGE_SKIP_POSTGRES=1.
        assert_eq!(resultats.len(), 1);
    }
}

// ---------------------------------------------------------------------------
// Pilotage table: checked against the same count done in Rust.

use maillage_store::{
    mois_de_la_periode, ComptePilotage, FiltrePilotage, LignePilotage, Regroupement,
    TableauPilotage,
};

fn pilotage_attendu(jeu: &[(NouvelleActivite, bool)], f: &FiltrePilotage) -> TableauPilotage {
    let mois = mois_de_la_periode(f.du, f.au);
    let retenues: Vec<&NouvelleActivite> = jeu
        .iter()
        .filter(|(n, sup)| {
            let d = n.activite.date();
            !sup && d >= f.du
                && d <= f.au
                && f.departements.as_ref().is_none_or(|l| {
                    n.departement
                        .as_ref()
                        .is_some_and(|x| l.iter().any(|y| y == x))
                })
        })
        .map(|(n, _)| n)
        .collect();
    let (groupes, valeur): (_, fn(&NouvelleActivite) -> Option<String>) = match &f.regroupement {
        Regroupement::Departements(g) => (g, |n| n.departement.clone()),
        Regroupement::Communes(g) => (g, |n| n.activite.lieu().code_insee().map(str::to_string)),
    };
    let cle = |n: &NouvelleActivite| -> Option<String> {
        let v = valeur(n)?;
        groupes
            .iter()
            .find(|(_, l)| l.contains(&v))
            .map(|(c, _)| c.clone())
    };
    let compter = |choisies: &[&&NouvelleActivite]| ComptePilotage {
        mediateurs: choisies
            .iter()
            .map(|n| n.mediateur_id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64,
        activites: choisies.len() as u64,
        accompagnements: choisies
            .iter()
            .map(|n| n.activite.accompagnements_count())
            .sum(),
    };
    let ligne = |territoire: Option<String>, garder: &dyn Fn(&NouvelleActivite) -> bool| {
        let dedans: Vec<&&NouvelleActivite> = retenues.iter().filter(|n| garder(n)).collect();
        LignePilotage {
            territoire,
            par_mois: mois
                .iter()
                .map(|m| {
                    let du_mois: Vec<&&NouvelleActivite> = dedans
                        .iter()
                        .copied()
                        .filter(|n| n.activite.date().format("%Y-%m").to_string() == *m)
                        .collect();
                    compter(&du_mois)
                })
                .collect(),
            total: compter(&dedans),
        }
    };
    let mut lignes: Vec<LignePilotage> = groupes
        .iter()
        .map(|(c, _)| ligne(Some(c.clone()), &|n| cle(n).as_ref() == Some(c)))
        .collect();
    if retenues.iter().any(|n| cle(n).is_none()) {
        lignes.push(ligne(None, &|n| cle(n).is_none()));
    }
    TableauPilotage {
        total: ligne(None, &|_| true),
        lignes,
        mois,
    }
}

async fn pilotage_par_territoire(ctx: &Ctx) {
    let s = &ctx.store;
    let jeu = charger_jeu_statistiques(s).await;
    let v = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cas = [
        (
            "nation par région",
            FiltrePilotage {
                departements: None,
                du: date(2025, 11, 1),
                au: date(2026, 6, 30),
                regroupement: Regroupement::Departements(vec![
                    ("93".to_string(), v(&["13", "84"])),
                    ("94".to_string(), v(&["2A", "2B"])),
                    ("11".to_string(), v(&["75", "77"])),
                    ("53".to_string(), Vec::new()),
                ]),
            },
        ),
        (
            "région par département, sur une partie de l'année",
            FiltrePilotage {
                departements: Some(v(&["13", "84"])),
                du: date(2026, 1, 15),
                au: date(2026, 5, 1),
                regroupement: Regroupement::Departements(vec![
                    ("13".to_string(), v(&["13"])),
                    ("84".to_string(), v(&["84"])),
                ]),
            },
        ),
        (
            "département par EPCI (communes), le reste sans commune",
            FiltrePilotage {
                departements: Some(v(&["13"])),
                du: date(2025, 12, 1),
                au: date(2026, 6, 30),
                regroupement: Regroupement::Communes(vec![
                    ("200054807".to_string(), v(&["13055", "84007"])),
                    ("2A004".to_string(), v(&["2A004"])),
                ]),
            },
        ),
    ];
    for (nom, f) in &cas {
        let attendu = pilotage_attendu(&jeu, f);
        assert!(attendu.total.total.activites > 0, "{nom}: meaningful");
        let obtenu = s.pilotage(f).await.expect("pilotage");
        assert_eq!(obtenu.mois, attendu.mois, "{nom}: mois");
        assert_eq!(obtenu.total, attendu.total, "{nom}: total");
        assert_eq!(obtenu.lignes, attendu.lignes, "{nom}");
    }
    // The national table has a row for records of départements in no
    // région given (none here: "75" is grouped) and for records without
    // département.
    let national = s.pilotage(&cas[0].1).await.expect("pilotage");
    assert_eq!(national.lignes.len(), 5);
    assert_eq!(national.lignes[4].territoire, None);
    assert_eq!(national.lignes[3].total, ComptePilotage::default());
    // Mediators are counted once over the period, not added up by month.
    let ligne = &national.total;
    let somme: u64 = ligne.par_mois.iter().map(|c| c.mediateurs).sum();
    assert!(ligne.total.mediateurs < somme);
    assert_eq!(ligne.total.mediateurs, 5);
    // Refused: a period after its end, too many months.
    for (du, au) in [
        (date(2026, 2, 1), date(2026, 1, 31)),
        (date(2020, 1, 1), date(2026, 1, 31)),
    ] {
        let e = s
            .pilotage(&FiltrePilotage {
                du,
                au,
                ..cas[0].1.clone()
            })
            .await
            .expect_err("refused");
        assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    }
}

// ---------------------------------------------------------------------------
// Bulk load of activity records (`maillage bench-activites`, history imports)

conformance!(chargement_en_masse);

async fn chargement_en_masse(ctx: &Ctx) {
    let s = &ctx.store;
    // The statistics data set, loaded in one call.
    let lot: Vec<NouvelleActivite> = (0..32)
        .map(|i| {
            let mut n = nouvelle(
                MEDIATEURS_STATISTIQUES[i % MEDIATEURS_STATISTIQUES.len()],
                [Some("st-1"), Some("st-2"), None][i % 3],
                [Some("13"), Some("2A"), Some("75"), Some("84"), None][(i * 3) % 5],
                activite_statistiques(i),
                i as i64,
            );
            n.demographies_suivies = demographies_statistiques(i);
            n
        })
        .collect();
    let ids = s.charger_activites(&lot).await.expect("loaded");
    assert_eq!(ids.len(), lot.len());
    let distincts: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distincts.len(), ids.len());
    // Records read back as `enregistrer_activite` would have stored them.
    for (id, n) in ids.iter().zip(&lot) {
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        let a = lue(s, id).await;
        assert_eq!(a.mediateur_id, n.mediateur_id);
        assert_eq!(a.structure_id, n.structure_id);
        assert_eq!(a.departement, n.departement);
        assert_eq!(a.date, n.activite.date());
        assert_eq!(a.type_activite, n.activite.type_activite());
        assert_eq!(a.duree_minutes, n.activite.duree().minutes());
        assert_eq!(a.saisie, dupliquer(&n.activite));
        assert_eq!(a.cree_le, n.cree_le);
        assert_eq!(a.modifie_le, n.cree_le);
    }
    // Statistics count them, beneficiary columns included.
    let jeu: Vec<(NouvelleActivite, bool)> = lot.iter().map(|n| (n.clone(), false)).collect();
    let tout = FiltreStatistiques::default();
    let stats = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(&stats, &statistiques_attendues(&jeu, &tout), "chargement");
    // The roll-ups wait for their rebuild, then give the same figures.
    assert!(s.agregats_perimes().await.expect("state"));
    s.reconstruire_agregats().await.expect("rebuilt");
    assert!(!s.agregats_perimes().await.expect("state"));
    let stats = s.statistiques(&tout).await.expect("statistics");
    comparer_statistiques(
        &stats,
        &statistiques_attendues(&jeu, &tout),
        "chargement, agrégats reconstruits",
    );
    // One journal entry for the batch, none per record.
    let journal = tout_le_journal(s).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(
        journal[0].action,
        maillage_store::ACTION_CHARGEMENT_ACTIVITES
    );
    assert_eq!(journal[0].acteur_id, None);
    assert_eq!(journal[0].details["activites"], 32);
    assert_eq!(journal[0].details["du"], "2025-11-03");
    assert_eq!(journal[0].details["au"], "2026-06-30");

    // More rows than one SQLite statement holds (32 values a row).
    let gros: Vec<NouvelleActivite> = (0..2_500)
        .map(|i| {
            nouvelle(
                "med-gros",
                Some("st-gros"),
                Some("59"),
                activite_du(date(2025, 1, 1) + Duration::days(i % 300)),
                i,
            )
        })
        .collect();
    let ids = s.charger_activites(&gros).await.expect("loaded");
    assert_eq!(ids.len(), 2_500);
    let n = s
        .statistiques(&FiltreStatistiques {
            mediateurs: Some(vec!["med-gros".to_string()]),
            ..Default::default()
        })
        .await
        .expect("statistics");
    assert_eq!(n.totaux.activites, 2_500);
    assert_eq!(
        lue(s, &ids[2_499]).await.date,
        date(2025, 1, 1) + Duration::days(2_499 % 300)
    );

    // Checked before anything is written; nothing loaded on refusal.
    let mut mauvais = gros[..3].to_vec();
    mauvais[2].mediateur_id = " ".to_string();
    let e = s.charger_activites(&mauvais).await.expect_err("refused");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    let total = s.statistiques(&tout).await.expect("statistics");
    assert_eq!(total.totaux.activites, 2_532);
    assert!(s.charger_activites(&[]).await.expect("empty").is_empty());
    assert_eq!(tout_le_journal(s).await.len(), 2);
}
