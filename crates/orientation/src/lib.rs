//! # maillage-orientation — find and orient
//!
//! The in-memory catalogue of published places and everything a person or a
//! médiateur uses to find one: filters on every enumeration of the standard,
//! territory, distance, free text with typos, availability computed from the
//! opening hours (French public holidays, overseas time zones), the
//! orientation questionnaire and its ranking, counts and statistics.
//!
//! Pure domain: no HTTP, no database, no async. A [`Catalogue`] is built
//! once from the published registry, is `Send + Sync`, and is shared behind
//! an `Arc`.
//!
//! ```text
//! Vec<Lieu> + Referentiel ──Catalogue::new──▶ Catalogue
//!   .rechercher(&Recherche, now)      one page of places + total
//!   .compter / .statistiques          live counts, facets
//!   .orienter(&Questionnaire, now)    ranked proposals with reasons
//!   .etat_ouverture / .semaine        the place page badge and timetable
//! localiser(referentiel, "33000")     where distances are measured from
//! ```

pub mod bench;
pub mod catalogue;
pub mod completude;
pub mod disponibilite;
pub mod geo;
pub mod localisation;
pub mod orientation;
pub mod recherche;
pub mod statistiques;
pub mod texte;

pub use catalogue::{Catalogue, FicheLieu};
pub use completude::completude;
pub use disponibilite::{jour_ferie, nom_jour, Disponibilite, EtatOuverture, Fuseau, JourHoraires};
pub use geo::{libelle_distance, Position};
pub use localisation::{localiser, Localisateur, Localisation};
pub use maillage_lieux::{Ensemble, Lieu};
pub use maillage_territoires::{Referentiel, Territoire};
pub use orientation::{
    groupes_de_besoins, Besoin, GroupeBesoin, Orientation, Proposition, Questionnaire, Raison,
};
pub use recherche::{Recherche, Resultats, Tri, Trouve};
pub use statistiques::Statistiques;

/// Serialisation of the standard's enumerations by their file value
/// (`"Aide aux démarches administratives"`), for JSON answers.
pub mod serde_valeur {
    use maillage_lieux::Valeur;
    use serde::ser::{SerializeSeq, SerializeStruct};
    use serde::Serializer;

    pub fn valeur<T: Valeur, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.valeur())
    }

    /// `[{"valeur": "Gratuit", "nombre": 3}, …]`.
    pub fn comptes<T: Valeur, S: Serializer>(v: &[(T, usize)], s: S) -> Result<S::Ok, S::Error> {
        struct Compte<'a>(&'a str, usize);
        impl serde::Serialize for Compte<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Compte", 2)?;
                st.serialize_field("valeur", self.0)?;
                st.serialize_field("nombre", &self.1)?;
                st.end()
            }
        }
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for (x, n) in v {
            seq.serialize_element(&Compte(x.valeur(), *n))?;
        }
        seq.end()
    }
}
