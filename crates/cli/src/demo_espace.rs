//! The demo's workspace: accounts for each role and a year of activity
//! records in the Charente places of the demo registry, so that the
//! workspace, the statistics and the pilotage have something to show.
//! Deterministic (fixed seed) and done once: a database that already has
//! the demo accounts is left as it is.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use maillage_activites::{
    valider, ActiviteSaisie, Autonomie, Beneficiaire, Demographie, DureePreset, DureeSaisie, Genre,
    Materiel, NiveauAtelier, ParticipantsAnonymes, StatutSocial, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use maillage_comptes::{Attribution, PerimetreAttribution, Role};
use maillage_store::{FiltreRegistre, NouvelUtilisateur, NouvelleActivite, Store, StoreError};
use maillage_territoires::Referentiel;

/// Password of every demo account (printed by `maillage demo`).
pub const MOT_DE_PASSE_DEMO: &str = "demonstration maillage";

/// (address, name, role) of the demo accounts.
pub const COMPTES_DEMO: &[(&str, &str, &str)] = &[
    (
        "camille@demo.maillage.fr",
        "Camille Martin",
        "médiatrice numérique",
    ),
    (
        "yanis@demo.maillage.fr",
        "Yanis Bernard",
        "médiateur numérique",
    ),
    (
        "coordination@demo.maillage.fr",
        "Sacha Petit",
        "coordinatrice de Camille et Yanis",
    ),
    (
        "charente@demo.maillage.fr",
        "Dominique Roux",
        "gestionnaire territorial de la Charente",
    ),
    ("admin@demo.maillage.fr", "Alex Admin", "administrateur"),
];

/// Département of the demo's activity.
const DEPARTEMENT: &str = "16";

/// What was made.
#[derive(Debug, Default)]
pub struct RapportEspace {
    pub comptes: usize,
    pub activites: usize,
}

fn choisir<T: Copy>(rng: &mut fastrand::Rng, v: &[T]) -> T {
    v[rng.usize(..v.len())]
}

/// Creates the demo accounts and activities unless they exist.
pub async fn peupler(
    store: &Store,
    referentiel: &Referentiel,
    aujourdhui: NaiveDate,
) -> anyhow::Result<RapportEspace> {
    let mut rapport = RapportEspace::default();
    if store
        .utilisateur_par_email(COMPTES_DEMO[0].0)
        .await?
        .is_some()
    {
        return Ok(rapport);
    }
    let maintenant = Utc::now();
    let phc = maillage_comptes::hacher_mot_de_passe(MOT_DE_PASSE_DEMO)
        .map_err(|e| anyhow::anyhow!("hachage du mot de passe : {e}"))?;
    let mut ids = Vec::new();
    for (i, (email, nom, _)) in COMPTES_DEMO.iter().enumerate() {
        let id = store
            .creer_utilisateur(&NouvelUtilisateur {
                email: (*email).to_string(),
                nom: Some((*nom).to_string()),
                mot_de_passe: phc.clone(),
                cree_le: maintenant,
                par: None,
            })
            .await?;
        store.marquer_email_verifie(&id, maintenant).await?;
        let attribution = match i {
            0 | 1 => Attribution::mediateur(),
            2 => Attribution {
                role: Role::Coordinateur,
                perimetre: PerimetreAttribution::Equipe(Vec::new()),
            },
            3 => Attribution::gestionnaire_departement(DEPARTEMENT),
            _ => Attribution::administrateur(),
        };
        store.attribuer(&id, &attribution, None, maintenant).await?;
        ids.push(id);
        rapport.comptes += 1;
    }
    let debut_equipe = aujourdhui - Duration::days(300);
    for mediateur in &ids[..2] {
        match store.lier_equipe(&ids[2], mediateur, debut_equipe).await {
            Ok(()) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let lieux: Vec<String> = store
        .registry(&FiltreRegistre {
            departements: Some(vec![DEPARTEMENT.to_string()]),
            codes_insee: None,
            limit: Some(400),
        })
        .await?
        .into_iter()
        .map(|p| p.lieu.id.to_string())
        .collect();
    let communes: Vec<String> = referentiel
        .communes()
        .iter()
        .filter(|c| c.departement.as_str() == DEPARTEMENT)
        .map(|c| c.code_insee.to_string())
        .take(300)
        .collect();
    if communes.is_empty() {
        anyhow::bail!("aucune commune du département {DEPARTEMENT} dans le référentiel");
    }
    let mut rng = fastrand::Rng::with_seed(16);
    for (m, mediateur) in ids[..2].iter().enumerate() {
        // Each mediator works mostly in two or three places.
        let siens: Vec<&String> = if lieux.is_empty() {
            Vec::new()
        } else {
            (0..3)
                .map(|k| &lieux[(m * 7 + k * 13) % lieux.len()])
                .collect()
        };
        for jour in 0..365 {
            let date = aujourdhui - Duration::days(jour);
            if matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                continue;
            }
            for _ in 0..rng.usize(0..3) {
                let collectif = rng.u8(0..10) == 0;
                let mut s = ActiviteSaisie::nouvelle(if collectif {
                    TypeActivite::Collectif
                } else {
                    TypeActivite::Individuel
                });
                s.date = Some(date);
                s.duree = Some(DureeSaisie::Preset(choisir(
                    &mut rng,
                    &[
                        DureePreset::Min30,
                        DureePreset::Min45,
                        DureePreset::Min60,
                        DureePreset::Min90,
                    ],
                )));
                let type_lieu = match (rng.u8(0..10), siens.is_empty()) {
                    (0, _) => TypeLieu::Domicile,
                    (1, _) => TypeLieu::ADistance,
                    (_, true) => TypeLieu::Autre,
                    _ => TypeLieu::LieuActivite,
                };
                s.type_lieu = Some(type_lieu);
                match type_lieu {
                    TypeLieu::LieuActivite => {
                        s.structure_id = Some(siens[rng.usize(..siens.len())].clone());
                    }
                    TypeLieu::Domicile | TypeLieu::Autre => {
                        s.lieu_code_insee = Some(communes[rng.usize(..communes.len())].clone());
                    }
                    TypeLieu::ADistance => {}
                }
                s.materiel = vec![choisir(
                    &mut rng,
                    &[
                        Materiel::Ordinateur,
                        Materiel::Telephone,
                        Materiel::Tablette,
                        Materiel::Aucun,
                    ],
                )];
                let mut thematiques = vec![choisir(&mut rng, Thematique::MEDIATION_NUMERIQUE)];
                if rng.u8(0..10) < 3 {
                    // An administrative topic comes with "aide aux démarches" (validation rule).
                    thematiques.push(Thematique::AideAuxDemarchesAdministratives);
                    thematiques.push(choisir(&mut rng, Thematique::DEMARCHES_ADMINISTRATIVES));
                }
                thematiques.sort_by_key(|t| Thematique::ALL.iter().position(|x| x == t));
                thematiques.dedup();
                s.thematiques = thematiques;
                if collectif {
                    s.titre_atelier = Some("Atelier : premiers pas sur internet".to_string());
                    s.niveau = Some(choisir(
                        &mut rng,
                        &[NiveauAtelier::Debutant, NiveauAtelier::Intermediaire],
                    ));
                    let femmes = i64::from(rng.u8(1..6));
                    let hommes = i64::from(rng.u8(0..5));
                    let total = femmes + hommes;
                    s.participants_anonymes = Some(ParticipantsAnonymes {
                        total,
                        genre_feminin: femmes,
                        genre_masculin: hommes,
                        tranche_age_soixante_soixante_neuf: total,
                        statut_social_retraite: total,
                        ..ParticipantsAnonymes::default()
                    });
                } else {
                    s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
                        genre: Some(choisir(&mut rng, &[Genre::Feminin, Genre::Masculin])),
                        tranche_age: Some(choisir(
                            &mut rng,
                            &[
                                TrancheAge::VingtCinqTrenteNeuf,
                                TrancheAge::QuaranteCinquanteNeuf,
                                TrancheAge::SoixanteSoixanteNeuf,
                                TrancheAge::SoixanteDixPlus,
                            ],
                        )),
                        statut_social: Some(choisir(
                            &mut rng,
                            &[
                                StatutSocial::Retraite,
                                StatutSocial::EnEmploi,
                                StatutSocial::SansEmploi,
                            ],
                        )),
                    }));
                    s.autonomie = Some(choisir(
                        &mut rng,
                        &[
                            Autonomie::EntierementAccompagne,
                            Autonomie::PartiellementAutonome,
                        ],
                    ));
                }
                let activite = valider(&s, aujourdhui).map_err(|e| {
                    anyhow::anyhow!(
                        "activité de démonstration invalide : {}",
                        e.iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(" ; ")
                    )
                })?;
                store
                    .enregistrer_activite(&NouvelleActivite {
                        demographies_suivies: Vec::new(),
                        mediateur_id: mediateur.clone(),
                        structure_id: None,
                        departement: Some(DEPARTEMENT.to_string()),
                        activite,
                        cree_le: maintenant,
                    })
                    .await?;
                rapport.activites += 1;
            }
        }
    }
    Ok(rapport)
}
