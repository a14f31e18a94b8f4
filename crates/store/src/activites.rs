//! Mediators' activity records (comptes-rendus d'activité) and the audit
//! journal: the public types, what both backends share (checks, column
//! values, row decoding) and the operations, one macro expanded per backend
//! like [`crate::commun::operations`].
//!
//! The store only keeps records that went through
//! [`maillage_activites::valider`]: it takes an [`Activite`], stores it as
//! its draft form ([`maillage_activites::dupliquer`], JSON in `donnees`)
//! plus the columns statistics count on, and journals every change in the
//! same transaction.

use crate::commun::valeur;
use crate::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::{
    Activite, ActiviteSaisie, Demographie, Genre, Materiel, StatutSocial, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// Journal action of [`crate::Store::enregistrer_activite`].
pub const ACTION_CREATION_ACTIVITE: &str = "creation_activite";
/// Journal action of [`crate::Store::modifier_activite`].
pub const ACTION_MODIFICATION_ACTIVITE: &str = "modification_activite";
/// Journal action of [`crate::Store::supprimer_activite`].
pub const ACTION_SUPPRESSION_ACTIVITE: &str = "suppression_activite";

/// A validated record to store, with what the record itself does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouvelleActivite {
    pub mediateur_id: String,
    /// The mediator's employing structure when the record was made.
    pub structure_id: Option<String>,
    /// Département of the activity, for territorial statistics (the caller
    /// knows the place's or commune's département; the store does not).
    pub departement: Option<String>,
    pub activite: Activite,
    /// Demographics of the record's followed beneficiaries, in order (the
    /// individual's one, or the workshop's `participants`): the record
    /// does not hold them, the beneficiary records do. Missing ones count
    /// as "non communiqué" (see [`maillage_activites::repartition_beneficiaires`]).
    pub demographies_suivies: Vec<Demographie>,
    /// Creation time (also the first `modifie_le`), stored to the microsecond.
    pub cree_le: DateTime<Utc>,
}

/// A stored activity record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiviteEnregistree {
    /// 32 hexadecimal characters, chosen by the store.
    pub id: String,
    pub mediateur_id: String,
    pub structure_id: Option<String>,
    pub departement: Option<String>,
    pub date: NaiveDate,
    pub type_activite: TypeActivite,
    pub duree_minutes: u16,
    pub type_lieu: TypeLieu,
    /// Registry place id, for `TypeLieu::LieuActivite`.
    pub lieu_id: Option<String>,
    /// Commune, for `TypeLieu::Domicile` and `TypeLieu::Autre`.
    pub code_insee: Option<String>,
    /// Bit i set = `Thematique::ALL[i]` (see [`thematiques_du_masque`]).
    pub masque_thematiques: u64,
    /// Bit i set = `Materiel::ALL[i]` (see [`materiel_du_masque`]).
    pub masque_materiel: u32,
    /// 1 for an individual record, the participants of a workshop.
    pub accompagnements: u32,
    /// The record as a draft: validating it again gives the stored record.
    pub saisie: ActiviteSaisie,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
    /// `None` unless read with [`crate::Store::activite_y_compris_supprimee`].
    pub supprime_le: Option<DateTime<Utc>>,
    pub supprime_par: Option<String>,
}

/// Which records to list. `None` means "no condition"; `du` and `au` are
/// inclusive. `page` counts from 1 (0 is taken as 1); `par_page` is 1 to
/// [`PAR_PAGE_MAX`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiltreActivites {
    pub mediateur_id: Option<String>,
    pub structure_id: Option<String>,
    pub departement: Option<String>,
    pub du: Option<NaiveDate>,
    pub au: Option<NaiveDate>,
    pub page: u32,
    pub par_page: u32,
}

/// Largest page of [`crate::Store::activites`].
pub const PAR_PAGE_MAX: u32 = 500;

impl Default for FiltreActivites {
    fn default() -> Self {
        Self {
            mediateur_id: None,
            structure_id: None,
            departement: None,
            du: None,
            au: None,
            page: 1,
            par_page: 50,
        }
    }
}

/// One page of records and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageActivites {
    /// Newest date first, then by id.
    pub activites: Vec<ActiviteEnregistree>,
    pub total: u64,
}

/// An entry to add to the audit journal.
#[derive(Debug, Clone, PartialEq)]
pub struct NouvelleEntreeJournal {
    /// Stored to the microsecond.
    pub quand: DateTime<Utc>,
    /// Who acted (`None`: the system itself).
    pub acteur_id: Option<String>,
    /// A code such as [`ACTION_CREATION_ACTIVITE`].
    pub action: String,
    /// What was acted on (an id).
    pub cible: Option<String>,
    /// Stored as JSON text. Keep personal data out of it.
    pub details: serde_json::Value,
}

/// A stored journal entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntreeJournal {
    /// Increasing: a later entry has a larger id.
    pub id: i64,
    pub quand: DateTime<Utc>,
    pub acteur_id: Option<String>,
    pub action: String,
    pub cible: Option<String>,
    pub details: serde_json::Value,
}

/// Bit i set for `Thematique::ALL[i]`.
pub fn masque_thematiques(thematiques: &[Thematique]) -> u64 {
    masque(Thematique::ALL, thematiques)
}

/// The thématiques of a mask, in the enumeration's order; `None` when a bit
/// names no thématique.
pub fn thematiques_du_masque(masque: u64) -> Option<Vec<Thematique>> {
    valeurs_du_masque(Thematique::ALL, masque)
}

/// Bit i set for `Materiel::ALL[i]`.
pub fn masque_materiel(materiel: &[Materiel]) -> u32 {
    // Materiel has 5 values: the mask fits (checked by a unit test).
    masque(Materiel::ALL, materiel) as u32
}

/// The equipment of a mask, in the enumeration's order; `None` when a bit
/// names no equipment.
pub fn materiel_du_masque(masque: u32) -> Option<Vec<Materiel>> {
    valeurs_du_masque(Materiel::ALL, u64::from(masque))
}

fn masque<T: PartialEq>(toutes: &[T], choisies: &[T]) -> u64 {
    toutes
        .iter()
        .enumerate()
        .filter(|(_, v)| choisies.contains(v))
        .fold(0, |m, (i, _)| m | (1 << i))
}

fn valeurs_du_masque<T: Copy>(toutes: &[T], masque: u64) -> Option<Vec<T>> {
    let connus = if toutes.len() >= 64 {
        u64::MAX
    } else {
        (1_u64 << toutes.len()) - 1
    };
    (masque & !connus == 0).then(|| {
        toutes
            .iter()
            .enumerate()
            .filter(|(i, _)| masque & (1 << i) != 0)
            .map(|(_, v)| *v)
            .collect()
    })
}

/// A new record id: 32 hex characters (128 random bits). Not a secret:
/// access is checked by the web layer.
pub(crate) fn nouvel_identifiant() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Longest id or département kept by the store (characters).
const LONGUEUR_MAX_IDENTIFIANT: usize = 200;
/// Longest journal action code (characters).
const LONGUEUR_MAX_ACTION: usize = 100;

fn verifier_identifiant(
    operation: &'static str,
    champ: &str,
    valeur: Option<&str>,
) -> Result<(), StoreError> {
    let Some(v) = valeur else { return Ok(()) };
    let detail = if v.trim().is_empty() {
        format!("{champ} vide")
    } else if v.chars().count() > LONGUEUR_MAX_IDENTIFIANT {
        format!("{champ} de plus de {LONGUEUR_MAX_IDENTIFIANT} caractères")
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid { operation, detail })
}

pub(crate) fn verifier_nouvelle_activite(n: &NouvelleActivite) -> Result<(), StoreError> {
    const OP: &str = "l'enregistrement d'une activité";
    verifier_identifiant(OP, "identifiant du médiateur", Some(&n.mediateur_id))?;
    verifier_identifiant(OP, "identifiant de structure", n.structure_id.as_deref())?;
    verifier_identifiant(OP, "département", n.departement.as_deref())
}

pub(crate) fn verifier_modification(
    departement: Option<&str>,
    par: &str,
) -> Result<(), StoreError> {
    const OP: &str = "la modification d'une activité";
    verifier_identifiant(OP, "identifiant de l'auteur", Some(par))?;
    verifier_identifiant(OP, "département", departement)
}

pub(crate) fn verifier_entree_journal(e: &NouvelleEntreeJournal) -> Result<(), StoreError> {
    const OP: &str = "l'écriture dans le journal";
    let n = e.action.chars().count();
    let detail = if e.action.trim().is_empty() {
        "action vide".to_string()
    } else if n > LONGUEUR_MAX_ACTION {
        format!("action de {n} caractères, au-delà du maximum de {LONGUEUR_MAX_ACTION}")
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid {
        operation: OP,
        detail,
    })
}

/// `LIMIT` and `OFFSET` of a listing.
pub(crate) fn limite_et_decalage(f: &FiltreActivites) -> Result<(i64, i64), StoreError> {
    if f.par_page == 0 || f.par_page > PAR_PAGE_MAX {
        return Err(StoreError::Invalid {
            operation: "la lecture des activités",
            detail: format!(
                "{} activités par page demandées : entre 1 et {PAR_PAGE_MAX}",
                f.par_page
            ),
        });
    }
    let par_page = i64::from(f.par_page);
    Ok((par_page, (i64::from(f.page.max(1)) - 1) * par_page))
}

/// The columns written for a record (everything but ids, département and
/// timestamps).
pub(crate) struct Colonnes {
    pub(crate) date: NaiveDate,
    pub(crate) type_activite: &'static str,
    pub(crate) duree_minutes: i32,
    pub(crate) type_lieu: &'static str,
    pub(crate) lieu_id: Option<String>,
    pub(crate) code_insee: Option<String>,
    pub(crate) thematiques: i64,
    pub(crate) materiel: i32,
    pub(crate) accompagnements: i32,
    pub(crate) donnees: String,
    /// In the order of [`colonnes_beneficiaires`].
    pub(crate) beneficiaires: Vec<i32>,
}

/// `CamelCase` → `snake_case`, for column names made of enumeration codes.
pub(crate) fn serpent(code: &str) -> String {
    let mut s = String::with_capacity(code.len() + 4);
    for (i, c) in code.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// The beneficiary count columns (migration 0007): genre, tranche d'âge and
/// statut social, each value in its enumeration's order, named after its
/// code so the SQL cannot drift from the domain (checked by a unit test).
pub(crate) fn colonnes_beneficiaires() -> Vec<String> {
    let genres = Genre::ALL
        .iter()
        .map(|v| format!("genre_{}", serpent(v.code())));
    let ages = TrancheAge::ALL
        .iter()
        .map(|v| format!("tranche_age_{}", serpent(v.code())));
    let statuts = StatutSocial::ALL
        .iter()
        .map(|v| format!("statut_social_{}", serpent(v.code())));
    genres.chain(ages).chain(statuts).collect()
}

pub(crate) fn colonnes(
    a: &Activite,
    demographies_suivies: &[Demographie],
    operation: &'static str,
) -> Result<Colonnes, StoreError> {
    let invalide = |detail: String| StoreError::Invalid { operation, detail };
    let accompagnements = i32::try_from(a.accompagnements_count()).map_err(|_| {
        invalide(format!(
            "{} participants : au-delà de ce que la base peut compter",
            a.accompagnements_count()
        ))
    })?;
    let donnees = serde_json::to_string(&maillage_activites::dupliquer(a))
        .map_err(|e| invalide(e.to_string()))?;
    // Each count is at most the accompagnements, which fit in i32.
    let beneficiaires = maillage_activites::repartition_beneficiaires(a, demographies_suivies)
        .valeurs()
        .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
        .collect();
    Ok(Colonnes {
        date: a.date(),
        type_activite: a.type_activite().code(),
        duree_minutes: i32::from(a.duree().minutes()),
        type_lieu: a.lieu().type_lieu().code(),
        lieu_id: a.lieu().structure_id().map(str::to_owned),
        code_insee: a.lieu().code_insee().map(str::to_owned),
        // 30 thématiques: fits in i64 (checked by a unit test).
        thematiques: masque_thematiques(a.thematiques()) as i64,
        materiel: masque_materiel(a.materiel()) as i32,
        accompagnements,
        donnees,
        beneficiaires,
    })
}

/// What the journal keeps of a record: enough to find it, no free text
/// (notes may hold personal data).
pub(crate) fn details_journal(c: &Colonnes) -> serde_json::Value {
    serde_json::json!({
        "type": c.type_activite,
        "date": c.date.to_string(),
        "dureeMinutes": c.duree_minutes,
    })
}

pub(crate) const COLONNES_ACTIVITE: &str = "id, mediateur_id, structure_id, departement, date, \
     type_activite, duree_minutes, type_lieu, lieu_id, code_insee, thematiques, materiel, \
     accompagnements, donnees, cree_le, modifie_le, supprime_le, supprime_par";

/// [`COLONNES_ACTIVITE`] one by one, for error messages.
const NOMS_COLONNES_ACTIVITE: [&str; 18] = [
    "id",
    "mediateur_id",
    "structure_id",
    "departement",
    "date",
    "type_activite",
    "duree_minutes",
    "type_lieu",
    "lieu_id",
    "code_insee",
    "thematiques",
    "materiel",
    "accompagnements",
    "donnees",
    "cree_le",
    "modifie_le",
    "supprime_le",
    "supprime_par",
];

/// Reads a record from the [`COLONNES_ACTIVITE`].
pub(crate) fn lire_activite<'r, R>(row: &'r R) -> Result<ActiviteEnregistree, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    Option<DateTime<Utc>>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = valeur(row, 0, "activites.id")?;
    // Names the record, so a corrupt row can be found and mended.
    let corrompu = |i: usize, detail: String| StoreError::Corrupt {
        what: format!(
            "activites.{} de l'activité « {id} »",
            NOMS_COLONNES_ACTIVITE[i]
        ),
        detail,
    };
    fn lire<'r, R, T>(
        row: &'r R,
        i: usize,
        corrompu: impl Fn(usize, String) -> StoreError,
    ) -> Result<T, StoreError>
    where
        R: Row,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        row.try_get(i).map_err(|e| corrompu(i, e.to_string()))
    }
    let type_activite: String = lire(row, 5, corrompu)?;
    let type_activite = type_activite
        .parse::<TypeActivite>()
        .map_err(|e| corrompu(5, e.to_string()))?;
    let type_lieu: String = lire(row, 7, corrompu)?;
    let type_lieu = type_lieu
        .parse::<TypeLieu>()
        .map_err(|e| corrompu(7, e.to_string()))?;
    let duree: i32 = lire(row, 6, corrompu)?;
    let duree_minutes = u16::try_from(duree).map_err(|_| corrompu(6, format!("valeur {duree}")))?;
    let thematiques: i64 = lire(row, 10, corrompu)?;
    let masque_thematiques = u64::try_from(thematiques)
        .ok()
        .filter(|m| thematiques_du_masque(*m).is_some())
        .ok_or_else(|| corrompu(10, format!("masque inconnu {thematiques}")))?;
    let materiel: i32 = lire(row, 11, corrompu)?;
    let masque_materiel = u32::try_from(materiel)
        .ok()
        .filter(|m| materiel_du_masque(*m).is_some())
        .ok_or_else(|| corrompu(11, format!("masque inconnu {materiel}")))?;
    let accompagnements: i32 = lire(row, 12, corrompu)?;
    let accompagnements = u32::try_from(accompagnements)
        .map_err(|_| corrompu(12, format!("valeur {accompagnements}")))?;
    let donnees: String = lire(row, 13, corrompu)?;
    let saisie: ActiviteSaisie =
        serde_json::from_str(&donnees).map_err(|e| corrompu(13, e.to_string()))?;
    Ok(ActiviteEnregistree {
        mediateur_id: lire(row, 1, corrompu)?,
        structure_id: lire(row, 2, corrompu)?,
        departement: lire(row, 3, corrompu)?,
        date: lire(row, 4, corrompu)?,
        type_activite,
        duree_minutes,
        type_lieu,
        lieu_id: lire(row, 8, corrompu)?,
        code_insee: lire(row, 9, corrompu)?,
        masque_thematiques,
        masque_materiel,
        accompagnements,
        saisie,
        cree_le: lire(row, 14, corrompu)?,
        modifie_le: lire(row, 15, corrompu)?,
        supprime_le: lire(row, 16, corrompu)?,
        supprime_par: lire(row, 17, corrompu)?,
        id,
    })
}

pub(crate) const COLONNES_JOURNAL: &str = "id, quand, acteur_id, action, cible, details";

/// Reads a journal entry from the [`COLONNES_JOURNAL`].
pub(crate) fn lire_entree_journal<'r, R>(row: &'r R) -> Result<EntreeJournal, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: i64 = valeur(row, 0, "journal.id")?;
    let details: String = valeur(row, 5, "journal.details")?;
    let details = serde_json::from_str(&details).map_err(|e| StoreError::Corrupt {
        what: format!("journal.details de l'entrée {id}"),
        detail: e.to_string(),
    })?;
    Ok(EntreeJournal {
        id,
        quand: valeur(row, 1, "journal.quand")?,
        acteur_id: valeur(row, 2, "journal.acteur_id")?,
        action: valeur(row, 3, "journal.action")?,
        cible: valeur(row, 4, "journal.cible")?,
        details,
    })
}

/// The operations on records and the journal, written once, expanded for
/// each backend (`$store` has a field `pool: sqlx::Pool<$db>`). SQL uses
/// `$N` placeholders, which both backends accept.
macro_rules! operations_activites {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Inserts one journal entry on `conn` (a transaction or not).
            /// Appends a journal entry on `conn` (inside the caller's
            /// transaction); every area's store writes the journal through it.
            pub(crate) async fn ecrire_journal(
                conn: &mut <$db as sqlx::Database>::Connection,
                e: &$crate::NouvelleEntreeJournal,
            ) -> Result<i64, $crate::StoreError> {
                const OP: &str = "l'écriture dans le journal";
                let details = serde_json::to_string(&e.details).map_err(|err| {
                    $crate::StoreError::Invalid {
                        operation: OP,
                        detail: err.to_string(),
                    }
                })?;
                let row = sqlx::query(
                    "INSERT INTO journal (quand, acteur_id, action, cible, details) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind($crate::commun::horodatage(e.quand))
                .bind(&e.acteur_id)
                .bind(&e.action)
                .bind(&e.cible)
                .bind(details)
                .fetch_one(&mut *conn)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                $crate::commun::valeur(&row, 0, "journal.id")
            }

            /// Whether a record with this id exists and is deleted
            /// (`None`: no such id).
            async fn est_supprimee(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: &str,
                operation: &'static str,
            ) -> Result<Option<bool>, $crate::StoreError> {
                let row = sqlx::query("SELECT supprime_le FROM activites WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err($crate::commun::erreur_db(operation))?;
                row.map(|r| {
                    $crate::commun::valeur::<_, Option<chrono::DateTime<chrono::Utc>>>(
                        &r,
                        0,
                        "activites.supprime_le",
                    )
                    .map(|s| s.is_some())
                })
                .transpose()
            }

            pub(crate) async fn enregistrer_activite(
                &self,
                n: &$crate::NouvelleActivite,
            ) -> Result<String, $crate::StoreError> {
                const OP: &str = "l'enregistrement d'une activité";
                let c = $crate::activites::colonnes(&n.activite, &n.demographies_suivies, OP)?;
                let id = $crate::activites::nouvel_identifiant();
                let quand = $crate::commun::horodatage(n.cree_le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                Self::verrouiller_agregats(&mut *tx, &[], &[n.departement.as_deref()], OP).await?;
                let beneficiaires = $crate::activites::colonnes_beneficiaires();
                let parametres: Vec<String> =
                    (17..17 + beneficiaires.len()).map(|i| format!(", ${i}")).collect();
                let sql = format!(
                    "INSERT INTO activites (id, mediateur_id, structure_id, departement, date, \
                     type_activite, duree_minutes, type_lieu, lieu_id, code_insee, thematiques, \
                     materiel, accompagnements, donnees, cree_le, modifie_le, {}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16{})",
                    beneficiaires.join(", "),
                    parametres.concat()
                );
                let mut requete = sqlx::query(&sql)
                .bind(&id)
                .bind(&n.mediateur_id)
                .bind(&n.structure_id)
                .bind(&n.departement)
                .bind(c.date)
                .bind(c.type_activite)
                .bind(c.duree_minutes)
                .bind(c.type_lieu)
                .bind(&c.lieu_id)
                .bind(&c.code_insee)
                .bind(c.thematiques)
                .bind(c.materiel)
                .bind(c.accompagnements)
                .bind(&c.donnees)
                .bind(quand)
                .bind(quand);
                for n in &c.beneficiaires {
                    requete = requete.bind(*n);
                }
                requete
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                Self::ajuster_agregats(&mut *tx, &id, 1, OP).await?;
                Self::marquer_mediateur_actif(&mut *tx, &id, OP).await?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: Some(n.mediateur_id.clone()),
                    action: $crate::ACTION_CREATION_ACTIVITE.to_string(),
                    cible: Some(id.clone()),
                    details: $crate::activites::details_journal(&c),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(id)
            }

            pub(crate) async fn activite(
                &self,
                id: &str,
                y_compris_supprimee: bool,
            ) -> Result<Option<$crate::ActiviteEnregistree>, $crate::StoreError> {
                let condition = if y_compris_supprimee {
                    ""
                } else {
                    " AND supprime_le IS NULL"
                };
                let row = sqlx::query(&format!(
                    "SELECT {} FROM activites WHERE id = $1{condition}",
                    $crate::activites::COLONNES_ACTIVITE
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'une activité"))?;
                row.as_ref().map($crate::activites::lire_activite).transpose()
            }

            pub(crate) async fn modifier_activite(
                &self,
                id: &str,
                activite: &maillage_activites::Activite,
                demographies_suivies: &[maillage_activites::Demographie],
                departement: Option<&str>,
                par: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la modification d'une activité";
                let c = $crate::activites::colonnes(activite, demographies_suivies, OP)?;
                let quand = $crate::commun::horodatage(le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                // The write comes first: it takes SQLite's write lock before
                // any read, so the transaction cannot fail to upgrade. The
                // old contribution leaves the roll-ups, the new one enters
                // after the UPDATE.
                Self::verrouiller_agregats(&mut *tx, &[id.to_string()], &[departement], OP)
                    .await?;
                Self::ajuster_agregats(&mut *tx, id, -1, OP).await?;
                let ancienne_cle = Self::cle_mediateur_actif(&mut *tx, id, OP).await?;
                let beneficiaires: Vec<String> = $crate::activites::colonnes_beneficiaires()
                    .iter()
                    .enumerate()
                    .map(|(i, col)| format!(", {col} = ${}", i + 14))
                    .collect();
                let sql = format!(
                    "UPDATE activites SET date = $1, type_activite = $2, duree_minutes = $3, \
                     type_lieu = $4, lieu_id = $5, code_insee = $6, departement = $7, \
                     thematiques = $8, materiel = $9, accompagnements = $10, donnees = $11, \
                     modifie_le = $12{} WHERE id = $13 AND supprime_le IS NULL",
                    beneficiaires.concat()
                );
                let mut requete = sqlx::query(&sql)
                .bind(c.date)
                .bind(c.type_activite)
                .bind(c.duree_minutes)
                .bind(c.type_lieu)
                .bind(&c.lieu_id)
                .bind(&c.code_insee)
                .bind(departement)
                .bind(c.thematiques)
                .bind(c.materiel)
                .bind(c.accompagnements)
                .bind(&c.donnees)
                .bind(quand)
                .bind(id);
                for n in &c.beneficiaires {
                    requete = requete.bind(*n);
                }
                let r = requete
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    let detail = match Self::est_supprimee(&mut *tx, id, OP).await? {
                        None => format!("aucune activité n'a l'identifiant « {id} »"),
                        Some(_) => format!("l'activité « {id} » a été supprimée"),
                    };
                    return Err($crate::StoreError::NotFound {
                        operation: OP,
                        detail,
                    });
                }
                Self::ajuster_agregats(&mut *tx, id, 1, OP).await?;
                if let Some(cle) = &ancienne_cle {
                    Self::recalculer_mediateur_actif(&mut *tx, cle, OP).await?;
                }
                Self::marquer_mediateur_actif(&mut *tx, id, OP).await?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: Some(par.to_string()),
                    action: $crate::ACTION_MODIFICATION_ACTIVITE.to_string(),
                    cible: Some(id.to_string()),
                    details: $crate::activites::details_journal(&c),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(())
            }

            pub(crate) async fn supprimer_activite(
                &self,
                id: &str,
                par: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                const OP: &str = "la suppression d'une activité";
                let quand = $crate::commun::horodatage(le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                // A write first (SQLite's write lock), while the record is
                // still live.
                Self::verrouiller_agregats(&mut *tx, &[id.to_string()], &[], OP).await?;
                Self::ajuster_agregats(&mut *tx, id, -1, OP).await?;
                let cle = Self::cle_mediateur_actif(&mut *tx, id, OP).await?;
                let r = sqlx::query(
                    "UPDATE activites SET supprime_le = $1, supprime_par = $2 \
                     WHERE id = $3 AND supprime_le IS NULL",
                )
                .bind(quand)
                .bind(par)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return match Self::est_supprimee(&mut *tx, id, OP).await? {
                        // Already deleted: nothing to do, nothing to journal.
                        Some(_) => Ok(false),
                        None => Err($crate::StoreError::NotFound {
                            operation: OP,
                            detail: format!("aucune activité n'a l'identifiant « {id} »"),
                        }),
                    };
                }
                if let Some(cle) = &cle {
                    Self::recalculer_mediateur_actif(&mut *tx, cle, OP).await?;
                }
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: Some(par.to_string()),
                    action: $crate::ACTION_SUPPRESSION_ACTIVITE.to_string(),
                    cible: Some(id.to_string()),
                    details: serde_json::json!({}),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(true)
            }

            /// `WHERE supprime_le IS NULL` and the filter's conditions
            /// (spelled so the partial indexes apply).
            fn conditions_activites(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                f: &$crate::FiltreActivites,
            ) {
                qb.push(" WHERE supprime_le IS NULL");
                for (colonne, v) in [
                    ("mediateur_id", &f.mediateur_id),
                    ("structure_id", &f.structure_id),
                    ("departement", &f.departement),
                ] {
                    if let Some(v) = v {
                        qb.push(format!(" AND {colonne} = ")).push_bind(v.clone());
                    }
                }
                if let Some(du) = f.du {
                    qb.push(" AND date >= ").push_bind(du);
                }
                if let Some(au) = f.au {
                    qb.push(" AND date <= ").push_bind(au);
                }
            }

            pub(crate) async fn activites(
                &self,
                f: &$crate::FiltreActivites,
            ) -> Result<$crate::PageActivites, $crate::StoreError> {
                const OP: &str = "la lecture des activités";
                let (limite, decalage) = $crate::activites::limite_et_decalage(f)?;
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT COUNT(*) FROM activites");
                Self::conditions_activites(&mut qb, f);
                let row = qb
                    .build()
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                let total = $crate::commun::compteur_lu(
                    "COUNT(*)",
                    $crate::commun::valeur(&row, 0, "COUNT(*)")?,
                )?;
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM activites",
                    $crate::activites::COLONNES_ACTIVITE
                ));
                Self::conditions_activites(&mut qb, f);
                qb.push(" ORDER BY date DESC, id LIMIT ")
                    .push_bind(limite)
                    .push(" OFFSET ")
                    .push_bind(decalage);
                let rows = qb
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                let activites = rows
                    .iter()
                    .map($crate::activites::lire_activite)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok($crate::PageActivites { activites, total })
            }

            pub(crate) async fn lieux_recents(
                &self,
                mediateur_id: &str,
                limite: u32,
            ) -> Result<Vec<String>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT lieu_id, MAX(date) AS derniere FROM activites \
                     WHERE mediateur_id = $1 AND supprime_le IS NULL AND lieu_id IS NOT NULL \
                     GROUP BY lieu_id ORDER BY derniere DESC, lieu_id LIMIT $2",
                )
                .bind(mediateur_id)
                .bind(i64::from(limite))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture des lieux d'activité"))?;
                rows.iter()
                    .map(|r| $crate::commun::valeur::<_, String>(r, 0, "activites.lieu_id"))
                    .collect()
            }

            pub(crate) async fn journaliser(
                &self,
                e: &$crate::NouvelleEntreeJournal,
            ) -> Result<i64, $crate::StoreError> {
                let mut conn = self
                    .pool
                    .acquire()
                    .await
                    .map_err($crate::commun::erreur_db("l'écriture dans le journal"))?;
                Self::ecrire_journal(&mut *conn, e).await
            }

            pub(crate) async fn journal(
                &self,
                limite: u32,
                avant_id: Option<i64>,
            ) -> Result<Vec<$crate::EntreeJournal>, $crate::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM journal WHERE id < $1 ORDER BY id DESC LIMIT $2",
                    $crate::activites::COLONNES_JOURNAL
                ))
                .bind(avant_id.unwrap_or(i64::MAX))
                .bind(i64::from(limite))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture du journal"))?;
                rows.iter().map($crate::activites::lire_entree_journal).collect()
            }
        }
    };
}

pub(crate) use operations_activites;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_masques_tiennent_dans_leurs_colonnes() {
        // thematiques is a BIGINT read as i64, materiel an INTEGER (i32).
        assert!(Thematique::ALL.len() < 63);
        assert!(Materiel::ALL.len() < 31);
    }

    #[test]
    fn colonnes_beneficiaires_de_la_migration() {
        let attendues = "genre_masculin, genre_feminin, genre_non_communique, \
            tranche_age_moins_de_douze, tranche_age_douze_dix_huit, \
            tranche_age_dix_huit_vingt_quatre, tranche_age_vingt_cinq_trente_neuf, \
            tranche_age_quarante_cinquante_neuf, tranche_age_soixante_soixante_neuf, \
            tranche_age_soixante_dix_plus, tranche_age_non_communique, \
            statut_social_retraite, statut_social_sans_emploi, statut_social_en_emploi, \
            statut_social_scolarise, statut_social_non_communique";
        assert_eq!(colonnes_beneficiaires().join(", "), attendues);
        for m in [
            include_str!("../migrations/sqlite/0007_statistiques_beneficiaires.sql"),
            include_str!("../migrations/postgres/0007_statistiques_beneficiaires.sql"),
        ] {
            for c in colonnes_beneficiaires() {
                assert!(m.contains(&format!("ADD COLUMN {c} INTEGER")), "{c}");
            }
        }
    }

    #[test]
    fn noms_des_colonnes_dans_l_ordre() {
        assert_eq!(NOMS_COLONNES_ACTIVITE.join(", "), COLONNES_ACTIVITE);
    }

    #[test]
    fn masque_bit_i_pour_all_i() {
        for (i, t) in Thematique::ALL.iter().enumerate() {
            assert_eq!(masque_thematiques(&[*t]), 1 << i, "{t:?}");
        }
        for (i, m) in Materiel::ALL.iter().enumerate() {
            assert_eq!(masque_materiel(&[*m]), 1 << i, "{m:?}");
        }
        let toutes = masque_thematiques(Thematique::ALL);
        assert_eq!(toutes, (1 << 30) - 1);
        assert_eq!(
            thematiques_du_masque(toutes).as_deref(),
            Some(Thematique::ALL)
        );
        assert_eq!(thematiques_du_masque(1 << 30), None);
        assert_eq!(materiel_du_masque(1 << 5), None);
        assert_eq!(materiel_du_masque(0), Some(Vec::new()));
    }
}
