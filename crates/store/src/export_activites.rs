//! Keyset reads of activity records, for the API's pages and the streamed
//! exports: each batch starts after the last record of the previous one
//! (no `OFFSET`), so reading a million records costs one index range scan
//! per batch and pages stay stable while records are added.

use crate::{ActiviteEnregistree, Inner, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::{TypeActivite, TypeLieu};
use maillage_comptes::LienEquipe;
use sqlx::{ColumnIndex, Decode, Row, Type};

/// What [`VueExport`] reads, before the two days of the timestamps (an
/// expression per backend).
const COLONNES_EXPORT: &str =
    "id, date, type_activite, duree_minutes, type_lieu, lieu_id, code_insee, accompagnements, donnees";

const OP_EXPORT: &str = "la lecture des activités à exporter";

/// A record as the exports read it ([`crate::Store::parcourir_export`]):
/// only what their rows show, borrowed from the database row, so a
/// million-row export decodes 11 columns per row and copies no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VueExport<'a> {
    pub id: &'a str,
    pub date: NaiveDate,
    pub type_activite: TypeActivite,
    pub duree_minutes: i32,
    pub type_lieu: TypeLieu,
    pub lieu_id: Option<&'a str>,
    pub code_insee: Option<&'a str>,
    pub accompagnements: i32,
    /// The record as a draft (`maillage_activites::ActiviteSaisie` JSON),
    /// as [`ActiviteEnregistree::saisie`] holds it.
    pub donnees: &'a str,
    /// Day of creation (UTC), what the exports show of it.
    pub cree_le: NaiveDate,
    /// Day of the last change (UTC).
    pub modifie_le: NaiveDate,
}

fn lire_vue<'r, R>(row: &'r R) -> Result<VueExport<'r>, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    Option<&'r str>: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
    NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: &str = crate::commun::valeur(row, 0, "activites.id")?;
    let corrompu = |colonne: &str, detail: String| StoreError::Corrupt {
        what: format!("activites.{colonne} de l'activité « {id} »"),
        detail,
    };
    fn lire<'r, R, T>(
        row: &'r R,
        i: usize,
        colonne: &str,
        corrompu: &impl Fn(&str, String) -> StoreError,
    ) -> Result<T, StoreError>
    where
        R: Row,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        row.try_get(i).map_err(|e| corrompu(colonne, e.to_string()))
    }
    let type_activite: &str = lire(row, 2, "type_activite", &corrompu)?;
    let type_lieu: &str = lire(row, 4, "type_lieu", &corrompu)?;
    Ok(VueExport {
        id,
        date: lire(row, 1, "date", &corrompu)?,
        type_activite: type_activite
            .parse::<TypeActivite>()
            .map_err(|e| corrompu("type_activite", e.to_string()))?,
        duree_minutes: lire(row, 3, "duree_minutes", &corrompu)?,
        type_lieu: type_lieu
            .parse::<TypeLieu>()
            .map_err(|e| corrompu("type_lieu", e.to_string()))?,
        lieu_id: lire(row, 5, "lieu_id", &corrompu)?,
        code_insee: lire(row, 6, "code_insee", &corrompu)?,
        accompagnements: lire(row, 7, "accompagnements", &corrompu)?,
        donnees: lire(row, 8, "donnees", &corrompu)?,
        cree_le: lire(row, 9, "cree_le", &corrompu)?,
        modifie_le: lire(row, 10, "modifie_le", &corrompu)?,
    })
}

/// One page of export rows, as the backend returned them.
enum PageExport {
    Sqlite(Vec<sqlx::sqlite::SqliteRow>),
    Postgres(Vec<sqlx::postgres::PgRow>),
}

impl PageExport {
    fn len(&self) -> usize {
        match self {
            PageExport::Sqlite(v) => v.len(),
            PageExport::Postgres(v) => v.len(),
        }
    }

    /// Where the next page starts: after the last row.
    fn curseur(&self) -> Result<Option<(NaiveDate, String)>, StoreError> {
        let vue = match self {
            PageExport::Sqlite(v) => v.last().map(lire_vue).transpose()?,
            PageExport::Postgres(v) => v.last().map(lire_vue).transpose()?,
        };
        Ok(vue.map(|v| (v.date, v.id.to_string())))
    }

    fn parcourir(&self, ligne: &mut impl FnMut(&VueExport<'_>)) -> Result<(), StoreError> {
        match self {
            PageExport::Sqlite(v) => {
                for r in v {
                    ligne(&lire_vue(r)?);
                }
            }
            PageExport::Postgres(v) => {
                for r in v {
                    ligne(&lire_vue(r)?);
                }
            }
        }
        Ok(())
    }
}

async fn page_export(
    store: crate::Store,
    filtre: FiltreParcours,
    apres: Option<(NaiveDate, String)>,
    lot: u32,
) -> Result<PageExport, StoreError> {
    match &store.inner {
        Inner::Sqlite(s) => Ok(PageExport::Sqlite(
            s.lignes_export(&filtre, apres.as_ref(), lot).await?,
        )),
        Inner::Postgres(s) => Ok(PageExport::Postgres(
            s.lignes_export(&filtre, apres.as_ref(), lot).await?,
        )),
    }
}

/// Largest batch of [`crate::Store::activites_apres`].
pub const LOT_MAX: u32 = 10_000;

/// Which live records to read. `None` means "no condition"; `du` and `au`
/// are inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FiltreParcours {
    pub mediateur_id: Option<String>,
    pub structure_id: Option<String>,
    /// A coordinator's team: each member's records within the link's
    /// period only (`debut` inclusive, `fin` exclusive). An empty team
    /// matches nothing.
    pub equipe: Option<Vec<LienEquipe>>,
    pub du: Option<NaiveDate>,
    pub au: Option<NaiveDate>,
    pub type_activite: Option<TypeActivite>,
}

/// The order of a keyset read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdreParcours {
    /// Oldest record first, by `(cree_le, id)`: the API's order, where new
    /// records come last so a client paging through sees each record once.
    Creation,
    /// Newest activity date first, then by id: the activity list's order,
    /// used by the exports.
    DateDecroissante,
}

/// Where a keyset read resumes: just after this record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curseur {
    pub date: NaiveDate,
    pub cree_le: DateTime<Utc>,
    pub id: String,
}

impl Curseur {
    /// The position just after `a`.
    pub fn apres(a: &ActiviteEnregistree) -> Curseur {
        Curseur {
            date: a.date,
            cree_le: a.cree_le,
            id: a.id.clone(),
        }
    }

    /// A URL-safe text: `AAAAMMJJ.microsecondes.id`.
    pub fn encoder(&self) -> String {
        format!(
            "{}.{}.{}",
            self.date.format("%Y%m%d"),
            self.cree_le.timestamp_micros(),
            self.id
        )
    }

    /// [`Curseur::encoder`]'s text back; `None` for anything else.
    pub fn decoder(texte: &str) -> Option<Curseur> {
        let mut parties = texte.splitn(3, '.');
        let date = NaiveDate::parse_from_str(parties.next()?, "%Y%m%d").ok()?;
        let micros: i64 = parties.next()?.parse().ok()?;
        let cree_le = DateTime::<Utc>::from_timestamp_micros(micros)?;
        let id = parties.next()?;
        let id_ok = !id.is_empty()
            && id.len() <= 200
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        id_ok.then(|| Curseur {
            date,
            cree_le,
            id: id.to_string(),
        })
    }
}

macro_rules! operations_parcours {
    ($store:ty, $db:ty, $jour_cree:expr, $jour_modifie:expr) => {
        impl $store {
            /// `WHERE supprime_le IS NULL` and the filter's conditions.
            fn conditions_parcours(qb: &mut sqlx::QueryBuilder<'_, $db>, f: &FiltreParcours) {
                qb.push(" WHERE supprime_le IS NULL");
                if let Some(v) = &f.mediateur_id {
                    qb.push(" AND mediateur_id = ").push_bind(v.clone());
                }
                if let Some(v) = &f.structure_id {
                    qb.push(" AND structure_id = ").push_bind(v.clone());
                }
                if let Some(equipe) = &f.equipe {
                    if equipe.is_empty() {
                        qb.push(" AND 1 = 0");
                    } else {
                        qb.push(" AND (");
                        for (i, l) in equipe.iter().enumerate() {
                            if i > 0 {
                                qb.push(" OR ");
                            }
                            qb.push("(mediateur_id = ")
                                .push_bind(l.mediateur_id.clone())
                                .push(" AND date >= ")
                                .push_bind(l.debut);
                            if let Some(fin) = l.fin {
                                qb.push(" AND date < ").push_bind(fin);
                            }
                            qb.push(")");
                        }
                        qb.push(")");
                    }
                }
                if let Some(du) = f.du {
                    qb.push(" AND date >= ").push_bind(du);
                }
                if let Some(au) = f.au {
                    qb.push(" AND date <= ").push_bind(au);
                }
                if let Some(t) = f.type_activite {
                    qb.push(" AND type_activite = ").push_bind(t.code());
                }
            }

            /// Newest date first, then by id, after `(date, id)`.
            fn apres_date_decroissante(
                qb: &mut sqlx::QueryBuilder<'_, $db>,
                date: NaiveDate,
                id: &str,
            ) {
                qb.push(" AND date <= ")
                    .push_bind(date)
                    .push(" AND (date < ")
                    .push_bind(date)
                    .push(" OR id > ")
                    .push_bind(id.to_string())
                    .push(")");
            }

            pub(crate) async fn activites_apres(
                &self,
                f: &FiltreParcours,
                ordre: OrdreParcours,
                apres: Option<&Curseur>,
                limite: u32,
            ) -> Result<Vec<ActiviteEnregistree>, StoreError> {
                const OP: &str = "la lecture des activités par lots";
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM activites",
                    $crate::activites::COLONNES_ACTIVITE
                ));
                Self::conditions_parcours(&mut qb, f);
                match (ordre, apres) {
                    (OrdreParcours::Creation, Some(c)) => {
                        let quand = $crate::commun::horodatage(c.cree_le);
                        // The leading bound lets the index seek; the
                        // rest breaks ties on the id.
                        qb.push(" AND cree_le >= ")
                            .push_bind(quand)
                            .push(" AND (cree_le > ")
                            .push_bind(quand)
                            .push(" OR id > ")
                            .push_bind(c.id.clone())
                            .push(")");
                    }
                    (OrdreParcours::DateDecroissante, Some(c)) => {
                        Self::apres_date_decroissante(&mut qb, c.date, &c.id);
                    }
                    (_, None) => {}
                }
                qb.push(match ordre {
                    OrdreParcours::Creation => " ORDER BY cree_le, id LIMIT ",
                    OrdreParcours::DateDecroissante => " ORDER BY date DESC, id LIMIT ",
                })
                .push_bind(i64::from(limite));
                let rows = qb
                    .build()
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                rows.iter().map($crate::activites::lire_activite).collect()
            }

            /// The rows of [`VueExport`] ([`COLONNES_EXPORT`] with the
            /// backend's day of the timestamps), newest date first.
            pub(crate) async fn lignes_export(
                &self,
                f: &FiltreParcours,
                apres: Option<&(NaiveDate, String)>,
                limite: u32,
            ) -> Result<Vec<<$db as sqlx::Database>::Row>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {COLONNES_EXPORT}, {}, {} FROM activites",
                    $jour_cree, $jour_modifie
                ));
                Self::conditions_parcours(&mut qb, f);
                if let Some((date, id)) = apres {
                    Self::apres_date_decroissante(&mut qb, *date, id);
                }
                qb.push(" ORDER BY date DESC, id LIMIT ")
                    .push_bind(i64::from(limite));
                // fetch_all: SQLite's driver hands rows over from its worker
                // thread; one hand-over per page, not per row.
                qb.build()
                    .persistent(true)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP_EXPORT))
            }
        }
    };
}

// Timestamps are RFC 3339 TEXT in UTC on SQLite: the day is the first ten
// characters.
operations_parcours!(
    crate::sqlite::SqliteStore,
    sqlx::Sqlite,
    "substr(cree_le, 1, 10)",
    "substr(modifie_le, 1, 10)"
);
operations_parcours!(
    crate::postgres::PgStore,
    sqlx::Postgres,
    "CAST(cree_le AT TIME ZONE 'UTC' AS DATE)",
    "CAST(modifie_le AT TIME ZONE 'UTC' AS DATE)"
);

impl crate::Store {
    /// At most `limite` (1 to [`LOT_MAX`]) live records matching `filtre`
    /// in `ordre`, starting just after `apres` (from the start when
    /// `None`). The next batch starts after the last record returned
    /// ([`Curseur::apres`]); a batch shorter than `limite` is the last.
    pub async fn activites_apres(
        &self,
        filtre: &FiltreParcours,
        ordre: OrdreParcours,
        apres: Option<&Curseur>,
        limite: u32,
    ) -> Result<Vec<ActiviteEnregistree>, StoreError> {
        if limite == 0 || limite > LOT_MAX {
            return Err(StoreError::Invalid {
                operation: "la lecture des activités par lots",
                detail: format!("{limite} activités par lot demandées : entre 1 et {LOT_MAX}"),
            });
        }
        match &self.inner {
            Inner::Sqlite(s) => s.activites_apres(filtre, ordre, apres, limite).await,
            Inner::Postgres(s) => s.activites_apres(filtre, ordre, apres, limite).await,
        }
    }

    /// Reads every live record matching `filtre` in `ordre`, `lot` at a
    /// time: memory holds one batch, whatever the total.
    pub fn parcourir_activites(
        &self,
        filtre: FiltreParcours,
        ordre: OrdreParcours,
        lot: u32,
    ) -> ParcoursActivites {
        ParcoursActivites {
            store: self.clone(),
            filtre,
            ordre,
            lot,
            curseur: None,
            fini: false,
        }
    }
}

impl crate::Store {
    /// Reads every live record matching `filtre`, newest date first then
    /// by id (the activity list's order), as [`VueExport`]s, `lot` (1 to
    /// [`LOT_MAX`]) at a time. While one page is handed to the caller the
    /// next is already being read (a task of its own), so the database and
    /// the formatting of rows work side by side; memory holds two pages.
    pub fn parcourir_export(&self, filtre: FiltreParcours, lot: u32) -> ParcoursExport {
        ParcoursExport {
            store: self.clone(),
            filtre,
            lot: lot.clamp(1, LOT_MAX),
            suivante: None,
            debut: true,
        }
    }
}

/// A read of records for an export ([`crate::Store::parcourir_export`]).
pub struct ParcoursExport {
    store: crate::Store,
    filtre: FiltreParcours,
    lot: u32,
    /// The page being read ahead.
    suivante: Option<tokio::task::JoinHandle<Result<PageExport, StoreError>>>,
    debut: bool,
}

impl std::fmt::Debug for ParcoursExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParcoursExport")
            .field("filtre", &self.filtre)
            .field("lot", &self.lot)
            .finish_non_exhaustive()
    }
}

impl ParcoursExport {
    fn lancer(&mut self, apres: Option<(NaiveDate, String)>) {
        self.suivante = Some(tokio::spawn(page_export(
            self.store.clone(),
            self.filtre.clone(),
            apres,
            self.lot,
        )));
    }

    /// Hands each record of the next page to `ligne`, in order, and
    /// returns how many there were; `None` once every record was read.
    pub async fn suivant(
        &mut self,
        mut ligne: impl FnMut(&VueExport<'_>),
    ) -> Result<Option<usize>, StoreError> {
        if self.debut {
            self.debut = false;
            self.lancer(None);
        }
        let Some(tache) = self.suivante.take() else {
            return Ok(None);
        };
        // The reading task panicked or was cancelled (runtime shutdown).
        let page = tache.await.map_err(|e| StoreError::Database {
            operation: OP_EXPORT,
            source: sqlx::Error::Io(std::io::Error::other(format!("lecture interrompue : {e}"))),
        })??;
        let n = page.len();
        if n == 0 {
            return Ok(None);
        }
        if n == self.lot as usize {
            self.lancer(page.curseur()?);
        }
        page.parcourir(&mut ligne)?;
        Ok(Some(n))
    }
}

impl Drop for ParcoursExport {
    fn drop(&mut self) {
        // An export cut short (client gone): no read left running.
        if let Some(t) = self.suivante.take() {
            t.abort();
        }
    }
}

/// A read of many records in batches ([`crate::Store::parcourir_activites`]).
#[derive(Debug, Clone)]
pub struct ParcoursActivites {
    store: crate::Store,
    filtre: FiltreParcours,
    ordre: OrdreParcours,
    lot: u32,
    curseur: Option<Curseur>,
    fini: bool,
}

impl ParcoursActivites {
    /// The next batch, `None` once every record was read.
    pub async fn suivant(&mut self) -> Result<Option<Vec<ActiviteEnregistree>>, StoreError> {
        if self.fini {
            return Ok(None);
        }
        let lot = self
            .store
            .activites_apres(&self.filtre, self.ordre, self.curseur.as_ref(), self.lot)
            .await?;
        if lot.len() < self.lot as usize {
            self.fini = true;
        }
        match lot.last() {
            Some(dernier) => {
                self.curseur = Some(Curseur::apres(dernier));
                Ok(Some(lot))
            }
            None => {
                self.fini = true;
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curseur_aller_retour_et_refus() {
        let c = Curseur {
            date: NaiveDate::from_ymd_opt(2025, 3, 11).expect("date"),
            cree_le: DateTime::<Utc>::from_timestamp_micros(1_741_683_600_123_456).expect("t"),
            id: "0123456789abcdef0123456789abcdef".to_string(),
        };
        let t = c.encoder();
        assert_eq!(
            t,
            "20250311.1741683600123456.0123456789abcdef0123456789abcdef"
        );
        assert_eq!(Curseur::decoder(&t), Some(c));
        for faux in [
            "",
            "abc",
            "20250311",
            "20250311.12",
            "20251311.12.ab",
            "20250311.x.ab",
            "20250311.12.",
            "20250311.12.a b",
            "20250311.12.a'--",
        ] {
            assert_eq!(Curseur::decoder(faux), None, "{faux}");
        }
    }
}
