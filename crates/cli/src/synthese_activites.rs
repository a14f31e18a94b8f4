//! A realistic synthetic history of activity records for the workspace
//! benchmark (issue 4 §8): mediators spread over the départements in
//! proportion to their population, grouped in employer structures of about
//! eight, each working in two or three places of activity and visiting
//! the communes of their département; records over several years with La
//! Coop's mix (mostly individual accompaniments, some workshops; a few
//! thématiques each, administrative ones with "aide aux démarches").
//! Deterministic for a seed. Every record goes through
//! `maillage_activites::valider`, as a real one would.

use chrono::{Duration, NaiveDate, Utc};
use maillage_activites::{
    valider, ActiviteSaisie, Autonomie, Beneficiaire, Demographie, DureePreset, DureeSaisie, Genre,
    Materiel, NiveauAtelier, ParticipantsAnonymes, StatutSocial, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use maillage_store::NouvelleActivite;
use maillage_territoires::Referentiel;

/// One synthetic mediator.
#[derive(Debug, Clone)]
pub struct MediateurSynthetique {
    pub id: String,
    /// Employer structure (a 14-digit SIRET-like id).
    pub structure: String,
    pub departement: String,
    /// Communes of the département the mediator visits (INSEE codes).
    pub communes: Vec<String>,
    /// Places of activity (synthetic registry ids).
    pub lieux: Vec<String>,
}

/// Who records the synthetic history, and over which days.
#[derive(Debug, Clone)]
pub struct Population {
    pub mediateurs: Vec<MediateurSynthetique>,
    /// First and last day of the history (inclusive).
    pub debut: NaiveDate,
    pub fin: NaiveDate,
}

impl Population {
    /// `mediateurs` mediators over the `annees` years ending on `fin`.
    pub fn new(
        referentiel: &Referentiel,
        mediateurs: usize,
        annees: u32,
        fin: NaiveDate,
        graine: u64,
    ) -> anyhow::Result<Population> {
        let mut rng = fastrand::Rng::with_seed(graine);
        // Départements weighted by population, each with its communes.
        let mut departements: Vec<(String, u64, Vec<String>)> = referentiel
            .departements()
            .iter()
            .map(|d| (d.code.to_string(), d.population.unwrap_or(0), Vec::new()))
            .collect();
        for c in referentiel.communes() {
            if let Some(d) = departements
                .iter_mut()
                .find(|d| d.0 == c.departement.as_str())
            {
                d.2.push(c.code_insee.to_string());
            }
        }
        departements.retain(|d| d.1 > 0 && !d.2.is_empty());
        anyhow::ensure!(
            !departements.is_empty(),
            "référentiel sans départements peuplés"
        );
        let total: u64 = departements.iter().map(|d| d.1).sum();
        let mut liste = Vec::with_capacity(mediateurs);
        let mut d = &departements[0];
        for i in 0..mediateurs {
            // One département per structure: its mediators share its
            // places of activity.
            if i % 8 == 0 {
                let mut tirage = rng.u64(0..total);
                d = departements
                    .iter()
                    .find(|d| {
                        if tirage < d.1 {
                            true
                        } else {
                            tirage -= d.1;
                            false
                        }
                    })
                    .unwrap_or(&departements[0]);
            }
            let communes: Vec<String> = (0..rng.usize(3..12))
                .map(|_| d.2[rng.usize(..d.2.len())].clone())
                .collect();
            let structure = format!("{:014}", 10_000_000_000_000 + (i / 8) as u64);
            let lieux = (0..rng.usize(2..4))
                .map(|k| format!("lieu-{}-{}", d.0, (i / 8) * 4 + k))
                .collect();
            liste.push(MediateurSynthetique {
                id: format!("{:032x}", 0x6d65_6400_0000_0000_u64 + i as u64),
                structure,
                departement: d.0.clone(),
                communes,
                lieux,
            });
        }
        let jours = i64::from(annees.max(1)) * 365;
        Ok(Population {
            mediateurs: liste,
            debut: fin - Duration::days(jours - 1),
            fin,
        })
    }

    fn jours(&self) -> i64 {
        (self.fin - self.debut).num_days() + 1
    }
}

fn choisir<T: Copy>(rng: &mut fastrand::Rng, v: &[T]) -> T {
    v[rng.usize(..v.len())]
}

/// The `k`-th record of the history (any order: `k` alone decides it, so
/// batches can be made in parallel and in any order).
pub fn activite(population: &Population, graine: u64, k: u64) -> anyhow::Result<NouvelleActivite> {
    activite_au_jour(population, graine, k, None)
}

/// The `k`-th of `total` records in the order they would have been
/// written: its date grows with `k` (a day is `total / days` consecutive
/// records) and it was created that day. A real history is recorded day
/// after day, so its rows lie in the tables in date order; loading random
/// dates would scatter each day's records over the whole table and make
/// date-range reads (exports, periods) much slower than in production.
pub fn activite_chronologique(
    population: &Population,
    graine: u64,
    k: u64,
    total: u64,
) -> anyhow::Result<NouvelleActivite> {
    let jours = population.jours() as u128;
    let jour = (u128::from(k) * jours / u128::from(total.max(1))).min(jours - 1) as i64;
    let mut a = activite_au_jour(population, graine, k, Some(jour))?;
    let date = a.activite.date();
    // Written at the end of the working day (UTC), within the second.
    a.cree_le = date
        .and_hms_opt(17, 0, 0)
        .map(|t| t.and_utc() + Duration::milliseconds((k % 3_600_000) as i64))
        .unwrap_or(a.cree_le);
    Ok(a)
}

fn activite_au_jour(
    population: &Population,
    graine: u64,
    k: u64,
    jour: Option<i64>,
) -> anyhow::Result<NouvelleActivite> {
    let mut rng = fastrand::Rng::with_seed(graine ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let m = &population.mediateurs[(k % population.mediateurs.len() as u64) as usize];
    let tire = rng.i64(0..population.jours());
    let date = population.debut + Duration::days(jour.unwrap_or(tire));
    let collectif = rng.u8(0..100) < 12;
    let mut s = ActiviteSaisie::nouvelle(if collectif {
        TypeActivite::Collectif
    } else {
        TypeActivite::Individuel
    });
    s.date = Some(date);
    s.duree = Some(if rng.u8(0..20) == 0 {
        DureeSaisie::Personnalisee {
            heures: rng.i64(0..4),
            minutes: rng.i64(5..60),
        }
    } else {
        DureeSaisie::Preset(choisir(&mut rng, DureePreset::ALL))
    });
    let type_lieu = match rng.u8(0..100) {
        0..=69 => TypeLieu::LieuActivite,
        70..=81 => TypeLieu::Domicile,
        82..=91 => TypeLieu::ADistance,
        _ => TypeLieu::Autre,
    };
    s.type_lieu = Some(type_lieu);
    let mut departement = Some(m.departement.clone());
    match type_lieu {
        TypeLieu::LieuActivite => {
            s.structure_id = Some(m.lieux[rng.usize(..m.lieux.len())].clone())
        }
        TypeLieu::Domicile | TypeLieu::Autre => {
            s.lieu_code_insee = Some(m.communes[rng.usize(..m.communes.len())].clone());
        }
        TypeLieu::ADistance => departement = Some(m.departement.clone()),
    }
    s.materiel = match rng.u8(0..10) {
        0..=3 => vec![Materiel::Ordinateur],
        4..=6 => vec![Materiel::Telephone],
        7 => vec![Materiel::Ordinateur, Materiel::Telephone],
        8 => vec![Materiel::Tablette],
        _ => vec![Materiel::Aucun],
    };
    let mut thematiques = vec![choisir(&mut rng, Thematique::MEDIATION_NUMERIQUE)];
    if rng.bool() {
        thematiques.push(choisir(&mut rng, Thematique::MEDIATION_NUMERIQUE));
    }
    if !collectif && rng.u8(0..10) < 4 {
        thematiques.push(Thematique::AideAuxDemarchesAdministratives);
        thematiques.push(choisir(&mut rng, Thematique::DEMARCHES_ADMINISTRATIVES));
    }
    s.thematiques = thematiques;
    let genre = |rng: &mut fastrand::Rng| {
        choisir(
            rng,
            &[
                Genre::Feminin,
                Genre::Feminin,
                Genre::Masculin,
                Genre::NonCommunique,
            ],
        )
    };
    if collectif {
        s.titre_atelier = Some("Atelier numérique".to_string());
        s.niveau = Some(choisir(
            &mut rng,
            &[
                NiveauAtelier::Debutant,
                NiveauAtelier::Intermediaire,
                NiveauAtelier::Avance,
            ],
        ));
        let total = rng.i64(2..13);
        let femmes = rng.i64(0..=total);
        let plus_de_60 = rng.i64(0..=total);
        let retraites = rng.i64(0..=plus_de_60);
        s.participants_anonymes = Some(ParticipantsAnonymes {
            total,
            genre_feminin: femmes,
            genre_masculin: total - femmes,
            tranche_age_soixante_soixante_neuf: plus_de_60,
            tranche_age_quarante_cinquante_neuf: total - plus_de_60,
            statut_social_retraite: retraites,
            statut_social_non_communique: total - retraites,
            ..ParticipantsAnonymes::default()
        });
    } else {
        s.beneficiaire = Some(Beneficiaire::Anonyme(Demographie {
            genre: Some(genre(&mut rng)),
            tranche_age: Some(choisir(&mut rng, TrancheAge::ALL)),
            statut_social: Some(choisir(&mut rng, StatutSocial::ALL)),
        }));
        s.autonomie = Some(choisir(&mut rng, Autonomie::ALL));
        if rng.u8(0..10) == 0 {
            s.oriente_vers_structure = Some(true);
            s.structure_de_redirection = Some(choisir(
                &mut rng,
                maillage_activites::StructureDeRedirection::ALL,
            ));
        }
    }
    // Thématiques are kept in the enumeration's order, without repeats.
    s.thematiques
        .sort_by_key(|t| Thematique::ALL.iter().position(|x| x == t));
    s.thematiques.dedup();
    let activite = valider(&s, population.fin).map_err(|e| {
        anyhow::anyhow!(
            "activité synthétique {k} invalide : {}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ; ")
        )
    })?;
    Ok(NouvelleActivite {
        demographies_suivies: Vec::new(),
        mediateur_id: m.id.clone(),
        structure_id: Some(m.structure.clone()),
        departement,
        activite,
        cree_le: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referentiel() -> &'static Referentiel {
        Referentiel::embarque().expect("referential")
    }

    #[test]
    fn chaque_activite_est_valide_et_reproductible() {
        let fin = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let p = Population::new(referentiel(), 200, 5, fin, 7).expect("population");
        assert_eq!(p.mediateurs.len(), 200);
        assert_eq!(p.jours(), 5 * 365);
        let mut types = std::collections::HashMap::new();
        for k in 0..5_000 {
            let a = activite(&p, 7, k).expect("valid record");
            assert!(a.activite.date() >= p.debut && a.activite.date() <= p.fin);
            *types.entry(a.activite.type_activite()).or_insert(0u32) += 1;
            assert_eq!(a, {
                let mut b = activite(&p, 7, k).expect("valid record");
                b.cree_le = a.cree_le;
                b
            });
        }
        // Mostly individual, some workshops.
        let collectifs = types[&TypeActivite::Collectif];
        assert!((400..=800).contains(&collectifs), "{collectifs}");
    }

    #[test]
    fn les_mediateurs_d_une_structure_partagent_departement_et_lieux() {
        let fin = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let p = Population::new(referentiel(), 2_000, 5, fin, 11).expect("population");
        let mut par_structure: std::collections::HashMap<&str, Vec<&MediateurSynthetique>> =
            std::collections::HashMap::new();
        for m in &p.mediateurs {
            par_structure
                .entry(m.structure.as_str())
                .or_default()
                .push(m);
        }
        assert_eq!(par_structure.len(), 250);
        let mut lieux = std::collections::HashSet::new();
        for membres in par_structure.values() {
            assert!(membres
                .iter()
                .all(|m| m.departement == membres[0].departement));
            lieux.extend(membres.iter().flat_map(|m| m.lieux.iter()));
        }
        // Up to four places per structure, shared by its mediators.
        assert!(lieux.len() <= 4 * 250, "{}", lieux.len());
        assert!(lieux.len() >= 2 * 250, "{}", lieux.len());
    }

    #[test]
    fn l_historique_chronologique_avance_jour_apres_jour() {
        let fin = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let p = Population::new(referentiel(), 50, 1, fin, 3).expect("population");
        let total = 3_650;
        let mut precedente = p.debut;
        for k in 0..total {
            let a = activite_chronologique(&p, 3, k, total).expect("valid record");
            let d = a.activite.date();
            assert!(d >= precedente && d <= p.fin, "{k}: {d}");
            assert_eq!(a.cree_le.date_naive(), d);
            precedente = d;
        }
        assert_eq!(precedente, p.fin);
    }

    #[test]
    fn les_departements_peuples_ont_plus_de_mediateurs() {
        let fin = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let p = Population::new(referentiel(), 5_000, 1, fin, 1).expect("population");
        let n = |d: &str| p.mediateurs.iter().filter(|m| m.departement == d).count();
        // Nord (2.6 M inhabitants) against Lozère (77 k).
        assert!(n("59") > 10 * n("48").max(1), "{} {}", n("59"), n("48"));
    }
}
