mod commun;

use commun::MEDNUM;
use maillage_lieux::Gravite;
use maillage_sources::{sources_connues, Configuration, Scalaire};

fn toutes() -> Vec<(String, Configuration)> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(MEDNUM).expect("dossier") {
        let d = d.expect("entrée").path();
        if !d.is_dir() {
            continue;
        }
        let nom = d.file_name().expect("nom").to_string_lossy().to_string();
        let chemin = d.join(format!("{nom}.config.json"));
        let bytes = std::fs::read(&chemin).expect("config");
        let c = Configuration::depuis_json(&bytes, &chemin.to_string_lossy())
            .unwrap_or_else(|e| panic!("{nom} : {e}"));
        out.push((nom, c));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_pipeline_configuration_parses_without_warning() {
    let configs = toutes();
    assert_eq!(configs.len(), 46, "46 dossiers de configuration");
    for (nom, c) in &configs {
        assert!(
            c.avertissements.is_empty(),
            "{nom} : {:?}",
            c.avertissements
        );
        assert!(c.scalaires.contains_key("nom"), "{nom} : nom");
        assert!(c.enumeres.contains_key("services"), "{nom} : services");
    }
}

#[test]
fn every_form_of_the_format_is_read() {
    let configs = toutes();
    let get = |n: &str| &configs.iter().find(|c| c.0 == n).expect("config").1;
    // joindre with `ou` (rhin-occ), dissocier with an array column (paris).
    match get("rhin-occ").scalaires.get("adresse") {
        Some(Scalaire::Joindre {
            colonnes,
            separateur,
            ou,
        }) => {
            assert_eq!(colonnes, &["address.streetNumber", "address.streetAddress"]);
            assert_eq!(separateur, " ");
            assert_eq!(
                ou.as_deref(),
                Some(&Scalaire::Colonne(vec![
                    "address.customFormatedAddress".into()
                ]))
            );
        }
        autre => panic!("{autre:?}"),
    }
    assert_eq!(
        get("paris").scalaires.get("latitude"),
        Some(&Scalaire::Dissocier {
            colonnes: vec!["geo_point_2d".into()],
            separateur: ",".into(),
            partie: 0
        })
    );
    assert_eq!(
        get("rhin-occ").scalaires.get("date_maj"),
        Some(&Scalaire::Colonne(vec![
            "updatedAt".into(),
            "createdAt".into(),
            "date_maj".into()
        ]))
    );
    assert_eq!(
        get("aidants-connect").scalaires.get("date_maj"),
        Some(&Scalaire::Valeur("date_de_modification".into()))
    );
    // BFC: two columns per day; siilab: `Sun` read as Su.
    let bfc = get("mednum-bfc").horaires.as_ref().expect("horaires");
    let jours = bfc.jours.as_ref().expect("jours");
    assert_eq!(jours[0].colonnes, ["lundi matin", "lundi après-midi"]);
    let siilab = get("siilab").horaires.as_ref().expect("horaires");
    assert_eq!(siilab.jours.as_ref().expect("jours")[6].osm, "Su");
    let paca = get("paca").horaires.as_ref().expect("horaires");
    assert!(paca.osm.is_some() && paca.semaine.is_some());
    // Legacy keys are mapped to v1 fields; extra keys are kept.
    let bus = get("bus-france-services-charente");
    assert!(bus.semaine_ouverture.is_some());
    assert!(get("conseiller-numerique").autres.contains_key("prive"));
    let legacy = configs
        .iter()
        .filter(|(_, c)| c.scalaires.contains_key("fiche_acces_libre"))
        .count();
    assert!(legacy >= 8, "accessibilite → fiche_acces_libre ({legacy})");
    // Rules with `sauf` and rules without `cible` (copy the column).
    assert!(configs
        .iter()
        .any(|(_, c)| c.enumeres.values().flatten().any(|r| !r.sauf.is_empty())));
    assert!(get("dora").enumeres["autres_formations_labels"][0]
        .cible
        .is_none());
}

#[test]
fn known_sources_point_to_existing_configurations() {
    let s = sources_connues();
    assert!(s.len() >= 28);
    for info in s {
        let chemin = format!("{MEDNUM}/{0}/{0}.config.json", info.dossier);
        assert!(std::path::Path::new(&chemin).exists(), "{chemin}");
    }
    let bfc = maillage_sources::source_connue("mednum-bfc").expect("bfc");
    assert_eq!(bfc.nom, "Mednum BFC");
    assert_eq!(bfc.delimiteur, Some(b','));
    assert_eq!(
        maillage_sources::source_connue("grand-paris-sud").and_then(|s| s.chemin_json),
        Some("results")
    );
}

#[test]
fn services_condition_on_modalites_is_read_and_applied() {
    let c = Configuration::depuis_json(
        r#"{"nom": {"colonne": "n"},
            "modalites_accompagnement": [{"colonnes": ["m"], "termes": ["seul"], "cible": "En autonomie"}],
            "services": [
              {"colonnes": ["s"], "termes": ["internet"], "cible": "Accès internet et matériel informatique", "modalitesAccompagnement": "En autonomie"},
              {"colonnes": ["s"], "termes": ["démarche"], "cible": "Aide aux démarches administratives", "modalitesAccompagnement": "Accompagnement individuel"}
            ]}"#
        .as_bytes(),
        "t.json",
    )
    .expect("ok");
    let r = |m: &str| maillage_lieux::brut::Enregistrement {
        line: 2,
        values: serde_json::json!({"n": "A", "m": m, "s": "internet et démarches"})
            .as_object()
            .cloned()
            .expect("objet"),
    };
    let t = maillage_sources::transformer(&c, &[r("seul"), r("")], "Test", "t.json");
    assert_eq!(
        t.lieux[0].get("services"),
        Some("Accès internet et matériel informatique")
    );
    assert_eq!(t.lieux[1].get("services"), None);
    assert!(t
        .issues
        .iter()
        .all(|i| i.severity == Gravite::Avertissement));
}
