//! Merge of a group into the published place, and its stable id.

use crate::{Fiche, Options};
use chrono::NaiveDate;
use maillage_lieux::lieu::PIVOT_INCONNU;
use maillage_lieux::{Ensemble, Lieu, PrecisionCoordonnees, Texte, Valeur};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// A date is usable for ordering when it is neither an epoch artefact
/// (1969-12-31, 1970-01-01) nor in the future.
fn date_plausible(d: NaiveDate, options: &Options) -> bool {
    d > NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN) && d <= options.aujourd_hui
}

/// Number of filled fields: the tie-breaker between records of the same day.
fn completude(l: &Lieu) -> usize {
    maillage_lieux::CHAMPS
        .iter()
        .filter(|c| !l.valeur(c).is_empty())
        .count()
}

/// Members ordered for merging: newest plausible `date_maj` first, then the
/// most complete, then key order.
fn ordre<'a>(groupe: &[Fiche<'a>], options: &Options) -> Vec<Fiche<'a>> {
    let mut v: Vec<(Option<NaiveDate>, usize, String, Fiche<'a>)> = groupe
        .iter()
        .map(|f| {
            let d = date_plausible(f.lieu.date_maj, options).then_some(f.lieu.date_maj);
            (d, completude(f.lieu), f.cle(), *f)
        })
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    v.into_iter().map(|x| x.3).collect()
}

/// The published place of a group. Rules (see docs/doublons.md):
/// - base: the newest record (`date_maj`, implausible dates last), ties by
///   completeness then key;
/// - scalar fields: from the newest record that has them; the address block
///   (adresse, complément, code postal, commune, code INSEE) from one record;
/// - coordinates: from the newest record with precise coordinates (source,
///   reprojected, geocoded address), a commune centroid only as last resort;
/// - pivot: the newest real pivot, the placeholder only if none;
/// - list and enumeration fields: union over the members updated within
///   `fenetre_fusion_jours` of the newest one; older members only fill a
///   field that would stay empty; `dispositif_programmes_nationaux` is
///   unioned over all members;
/// - `date_maj`: the newest plausible date; `source`: the newest member's;
/// - `id`: [`identifiant_publie`].
pub fn fusionner(groupe: &[Fiche], options: &Options) -> Lieu {
    let membres = ordre(groupe, options);
    let Some(premier) = membres.first() else {
        return Lieu::minimal(
            "",
            "",
            "",
            "",
            "",
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default(),
        );
    };
    let mut l = premier.lieu.clone();
    l.id = identifiant_publie(groupe).into();
    l.source = premier
        .lieu
        .source
        .clone()
        .or_else(|| Some(Texte::from(premier.source)));

    let reference = premier.lieu.date_maj;
    let recents: Vec<&Lieu> = membres
        .iter()
        .filter(|f| {
            let age = (reference - f.lieu.date_maj).num_days() as f64;
            age <= options.fenetre_fusion_jours
        })
        .map(|f| f.lieu)
        .collect();
    let tous: Vec<&Lieu> = membres.iter().map(|f| f.lieu).collect();

    // Scalars: the newest record that has the value.
    macro_rules! scalaire {
        ($champ:ident) => {
            l.$champ = tous.iter().find_map(|m| m.$champ.clone());
        };
    }
    scalaire!(telephone);
    scalaire!(horaires);
    scalaire!(presentation_resume);
    scalaire!(presentation_detail);
    scalaire!(structure_parente);
    scalaire!(fiche_acces_libre);
    scalaire!(prise_rdv);
    if let Some(m) = tous.iter().find(|m| !m.nom.trim().is_empty()) {
        l.nom = m.nom.clone();
    }
    if let Some(m) = tous.iter().find(|m| !m.adresse.trim().is_empty()) {
        l.adresse = m.adresse.clone();
        l.complement_adresse = m.complement_adresse.clone();
        l.code_postal = m.code_postal.clone();
        l.commune = m.commune.clone();
        l.code_insee = m.code_insee.clone();
    }
    if l.code_insee.is_none() {
        // Same commune in another record: take its INSEE code.
        let commune = maillage_lieux::texte::cle_comparaison(&l.commune);
        l.code_insee = tous
            .iter()
            .filter(|m| maillage_lieux::texte::cle_comparaison(&m.commune) == commune)
            .find_map(|m| m.code_insee.clone());
    }
    if let Some(m) = tous.iter().find(|m| m.pivot_reel()) {
        l.pivot = m.pivot.clone();
    } else {
        l.pivot = PIVOT_INCONNU.into();
    }
    let precis = |m: &&&Lieu| {
        m.latitude.is_some()
            && m.longitude.is_some()
            && matches!(
                m.precision_coordonnees,
                PrecisionCoordonnees::Source
                    | PrecisionCoordonnees::Reprojetee
                    | PrecisionCoordonnees::Adresse
            )
    };
    let coord = tous.iter().find(precis).or_else(|| {
        tous.iter()
            .find(|m| m.latitude.is_some() && m.longitude.is_some())
    });
    if let Some(m) = coord {
        l.latitude = m.latitude;
        l.longitude = m.longitude;
        l.precision_coordonnees = m.precision_coordonnees;
    } else {
        l.latitude = None;
        l.longitude = None;
        l.precision_coordonnees = PrecisionCoordonnees::Aucune;
    }

    l.typologie = union_ensembles(&recents, &tous, |m| m.typologie);
    l.itinerance = union_ensembles(&recents, &tous, |m| m.itinerance);
    l.services = union_ensembles(&recents, &tous, |m| m.services);
    l.publics_specifiquement_adresses =
        union_ensembles(&recents, &tous, |m| m.publics_specifiquement_adresses);
    l.prise_en_charge_specifique =
        union_ensembles(&recents, &tous, |m| m.prise_en_charge_specifique);
    l.frais_a_charge = union_ensembles(&recents, &tous, |m| m.frais_a_charge);
    l.formations_labels = union_ensembles(&recents, &tous, |m| m.formations_labels);
    l.modalites_acces = union_ensembles(&recents, &tous, |m| m.modalites_acces);
    l.modalites_accompagnement = union_ensembles(&recents, &tous, |m| m.modalites_accompagnement);
    // Programme membership is a fact about the place that sources report
    // unevenly (the reference pipeline unions it whatever the age, too).
    l.dispositif_programmes_nationaux = tous.iter().fold(Ensemble::new(), |e, m| {
        e | m.dispositif_programmes_nationaux
    });
    l.courriels = union_listes(&recents, &tous, |m| &m.courriels);
    l.site_web = union_listes(&recents, &tous, |m| &m.site_web);
    l.autres_formations_labels = union_listes(&recents, &tous, |m| &m.autres_formations_labels);

    l.date_maj = membres
        .iter()
        .map(|f| f.lieu.date_maj)
        .filter(|d| date_plausible(*d, options))
        .max()
        .unwrap_or(premier.lieu.date_maj);
    l
}

fn union_ensembles<T: Valeur>(
    recents: &[&Lieu],
    tous: &[&Lieu],
    champ: impl Fn(&Lieu) -> Ensemble<T>,
) -> Ensemble<T> {
    let e = recents.iter().fold(Ensemble::new(), |e, m| e | champ(m));
    if !e.is_empty() {
        return e;
    }
    tous.iter()
        .map(|m| champ(m))
        .find(|e| !e.is_empty())
        .unwrap_or_default()
}

fn union_listes(
    recents: &[&Lieu],
    tous: &[&Lieu],
    champ: impl Fn(&Lieu) -> &Vec<Texte>,
) -> Vec<Texte> {
    let mut out: Vec<Texte> = Vec::new();
    let mut vus: Vec<String> = Vec::new();
    for m in recents {
        for v in champ(m) {
            let cle = v.trim().to_lowercase();
            if !vus.contains(&cle) {
                vus.push(cle);
                out.push(v.clone());
            }
        }
    }
    if out.is_empty() {
        if let Some(v) = tous.iter().map(|m| champ(m)).find(|v| !v.is_empty()) {
            out = v.clone();
        }
    }
    out
}

/// `[A-Za-z0-9_-]` only: accents removed, anything else becomes `-`, runs of
/// `-` folded, no `-` at either end.
pub fn slug(texte: &str) -> String {
    let mut out = String::with_capacity(texte.len());
    for c in texte.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'œ' => "oe",
            'Œ' => "OE",
            'æ' => "ae",
            'Æ' => "AE",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() || c == '_' => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if c == "-" {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(c);
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Published id of a group: built from its smallest member key, so it stays
/// the same across re-runs as long as that member stays in the group.
/// `slug(source)` + `_` + `slug(id)`, or `slug(id)` alone when it already
/// starts with the source's slug. When slugging lost information (the id had
/// characters outside `[A-Za-z0-9_-]`), 8 hex digits of the key's sha256 are
/// appended so that two ids differing only there stay distinct.
pub fn identifiant_publie(groupe: &[Fiche]) -> String {
    let Some(f) = groupe.iter().min_by_key(|f| (f.source, f.lieu.id.as_str())) else {
        return String::new();
    };
    let source = slug(f.source).to_lowercase();
    let source = if source.is_empty() {
        "source".to_string()
    } else {
        source
    };
    let id = slug(&f.lieu.id);
    let mut publie = if id.to_lowercase().starts_with(&format!("{source}_"))
        || id.to_lowercase().starts_with(&format!("{source}-"))
    {
        id.clone()
    } else {
        format!("{source}_{id}")
    };
    if id != f.lieu.id.as_str() || id.is_empty() {
        let h = Sha256::digest(f.cle().as_bytes());
        publie.push('-');
        publie.push_str(&hex::encode(&h[..4]));
    }
    publie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_only_safe_characters() {
        assert_eq!(slug("Nouvelle-Calédonie"), "Nouvelle-Caledonie");
        assert_eq!(
            slug("Bus France Services en Charente"),
            "Bus-France-Services-en-Charente"
        );
        assert_eq!(slug("a|b c"), "a-b-c");
        assert_eq!(slug("  "), "");
    }
}
