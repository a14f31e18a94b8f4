//! A national-scale synthetic registry built from the real data: jittered
//! copies of real places spread over real communes, with planted duplicates
//! (the same place re-published by another source, the way real sources
//! differ: case, accents, abbreviations, phone format, coordinates moved).

use maillage_lieux::{Lieu, PrecisionCoordonnees};
use maillage_territoires::{Commune, Referentiel};

/// The generated set, split by source as real imports are.
#[derive(Debug, Default)]
pub struct JeuSynthetique {
    pub sources: Vec<(String, Vec<Lieu>)>,
    /// (source, id) pairs that describe the same place.
    pub doublons_plantes: Vec<((String, String), (String, String))>,
}

impl JeuSynthetique {
    pub fn total(&self) -> usize {
        self.sources.iter().map(|(_, l)| l.len()).sum()
    }
}

fn variante_nom(nom: &str, rng: &mut fastrand::Rng) -> String {
    match rng.u8(0..4) {
        0 => nom.to_uppercase(),
        1 => maillage_lieux::texte::cle_comparaison(nom),
        2 => nom
            .replace("Médiathèque", "MEDIATHEQUE")
            .replace("Centre social", "CS")
            .replace("Espace", "Esp."),
        _ => format!("{nom} "),
    }
}

fn variante_adresse(adresse: &str, rng: &mut fastrand::Rng) -> String {
    match rng.u8(0..3) {
        0 => adresse.replace("Rue", "R.").replace("rue", "r."),
        1 => adresse.replace("Avenue", "Av").replace("avenue", "av"),
        _ => adresse.to_uppercase(),
    }
}

/// Generates `total` records (planted duplicates included: `part_doublons`
/// of them) over `nb_sources` sources, deterministically from `graine`.
pub fn generer(
    modeles: &[Lieu],
    referentiel: &Referentiel,
    total: usize,
    part_doublons: f64,
    nb_sources: usize,
    graine: u64,
) -> JeuSynthetique {
    let mut rng = fastrand::Rng::with_seed(graine);
    let communes: Vec<&Commune> = referentiel
        .communes()
        .iter()
        .filter(|c| c.latitude.is_some() && c.longitude.is_some() && !c.codes_postaux.is_empty())
        .collect();
    let nb_sources = nb_sources.max(2);
    let mut jeu = JeuSynthetique {
        sources: (0..nb_sources)
            .map(|i| (format!("synthetique-{:02}", i + 1), Vec::new()))
            .collect(),
        ..JeuSynthetique::default()
    };
    if modeles.is_empty() || communes.is_empty() {
        return jeu;
    }
    let nb_doublons = ((total as f64) * part_doublons.clamp(0.0, 0.5)) as usize;
    let nb_originaux = total - nb_doublons;
    let mut originaux: Vec<(usize, usize)> = Vec::with_capacity(nb_originaux);
    for i in 0..nb_originaux {
        let modele = &modeles[rng.usize(0..modeles.len())];
        let commune = communes[rng.usize(0..communes.len())];
        let mut l = modele.clone();
        l.id = format!("s{i}").into();
        l.commune = commune.nom.as_str().into();
        l.code_insee = Some(commune.code_insee.as_str().into());
        l.code_postal = commune.codes_postaux[rng.usize(0..commune.codes_postaux.len())]
            .as_str()
            .into();
        let (lat, lon) = (
            commune.latitude.unwrap_or_default(),
            commune.longitude.unwrap_or_default(),
        );
        l.latitude = Some(lat + (rng.f64() - 0.5) * 0.02);
        l.longitude = Some(lon + (rng.f64() - 0.5) * 0.02);
        l.precision_coordonnees = PrecisionCoordonnees::Source;
        l.adresse = format!("{} {}", rng.u16(1..300), l.adresse).into();
        l.telephone = if rng.f64() < 0.7 {
            Some(format!("+33{}{:08}", rng.u8(1..6), rng.u32(0..100_000_000)).into())
        } else {
            None
        };
        if rng.f64() < 0.5 {
            l.pivot = format!(
                "{:09}{:05}",
                rng.u32(100_000_000..999_999_999),
                rng.u32(10..99_999)
            )
            .into();
        }
        let source = i % nb_sources;
        originaux.push((source, jeu.sources[source].1.len()));
        jeu.sources[source].1.push(l);
    }
    for k in 0..nb_doublons {
        let (s, idx) = originaux[rng.usize(0..originaux.len())];
        let Some(original) = jeu.sources[s].1.get(idx).cloned() else {
            continue;
        };
        let mut d = original.clone();
        d.id = format!("d{k}").into();
        d.nom = variante_nom(&original.nom, &mut rng).into();
        d.adresse = variante_adresse(&original.adresse, &mut rng).into();
        if let (Some(lat), Some(lon)) = (d.latitude, d.longitude) {
            // Up to ~100 m apart, as geocoders disagree.
            d.latitude = Some(lat + (rng.f64() - 0.5) * 0.0018);
            d.longitude = Some(lon + (rng.f64() - 0.5) * 0.0018);
        }
        if rng.f64() < 0.2 {
            d.latitude = None;
            d.longitude = None;
            d.precision_coordonnees = PrecisionCoordonnees::Aucune;
        }
        let autre = (s + 1 + rng.usize(0..nb_sources - 1)) % nb_sources;
        let a = (jeu.sources[s].0.clone(), original.id.to_string());
        let b = (jeu.sources[autre].0.clone(), d.id.to_string());
        jeu.sources[autre].1.push(d);
        jeu.doublons_plantes.push((a, b));
    }
    jeu
}
