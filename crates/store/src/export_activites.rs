//! Keyset reads of activity records, for the API's pages and the streamed
//! exports: each batch starts after the last record of the previous one
//! (no `OFFSET`), so reading a million records costs one index range scan
//! per batch and pages stay stable while records are added.

use crate::{ActiviteEnregistree, Inner, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use maillage_activites::TypeActivite;
use maillage_comptes::LienEquipe;

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
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn activites_apres(
                &self,
                f: &FiltreParcours,
                ordre: OrdreParcours,
                apres: Option<&Curseur>,
                limite: u32,
            ) -> Result<Vec<ActiviteEnregistree>, StoreError> {
                const OP: &str = "la lecture des activités par lots";
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM activites WHERE supprime_le IS NULL",
                    $crate::activites::COLONNES_ACTIVITE
                ));
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
                        qb.push(" AND date <= ")
                            .push_bind(c.date)
                            .push(" AND (date < ")
                            .push_bind(c.date)
                            .push(" OR id > ")
                            .push_bind(c.id.clone())
                            .push(")");
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
        }
    };
}

operations_parcours!(crate::sqlite::SqliteStore, sqlx::Sqlite);
operations_parcours!(crate::postgres::PgStore, sqlx::Postgres);

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
