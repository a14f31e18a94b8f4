//! Reading the four reference CSV files (plain or gzip).

use std::collections::HashMap;
use std::io::Read;

use maillage_lieux::Texte;

use crate::erreur::Erreur;
use crate::modele::{Commune, Departement, Epci, Region, TypeCommune};

/// The four tables, as read, before indexing.
pub(crate) struct Tables {
    pub communes: Vec<Commune>,
    pub epcis: Vec<Epci>,
    pub departements: Vec<Departement>,
    pub regions: Vec<Region>,
}

/// A CSV reader that knows its column positions and names the file, line and
/// column of every problem.
struct Table<'a> {
    fichier: &'a str,
    positions: Vec<usize>,
    colonnes: &'a [&'a str],
}

impl<'a> Table<'a> {
    fn lire<R: Read>(
        fichier: &'a str,
        source: R,
        colonnes: &'a [&'a str],
        mut ligne: impl FnMut(&Cellules<'_>) -> Result<(), Erreur>,
    ) -> Result<(), Erreur> {
        let mut lecteur = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(source);
        let entete = lecteur
            .headers()
            .map_err(|e| Erreur::fichier(fichier, format!("en-tête illisible : {e}")))?
            .clone();
        let mut positions = Vec::with_capacity(colonnes.len());
        for colonne in colonnes {
            let position = entete
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}').trim() == *colonne)
                .ok_or_else(|| {
                    Erreur::fichier(
                        fichier,
                        format!("colonne « {colonne} » absente de l'en-tête"),
                    )
                })?;
            positions.push(position);
        }
        let table = Table {
            fichier,
            positions,
            colonnes,
        };
        let mut enregistrement = csv::StringRecord::new();
        loop {
            match lecteur.read_record(&mut enregistrement) {
                Ok(false) => break,
                Ok(true) => {
                    let numero = enregistrement.position().map_or(0, |p| p.line());
                    ligne(&Cellules {
                        table: &table,
                        enregistrement: &enregistrement,
                        ligne: numero,
                    })?;
                }
                Err(e) => {
                    let numero = e.position().map(|p| p.line());
                    return Err(Erreur {
                        fichier: fichier.to_string(),
                        ligne: numero,
                        colonne: None,
                        message: format!("ligne CSV illisible : {e}"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// One row, with typed accessors that report their position.
struct Cellules<'a> {
    table: &'a Table<'a>,
    enregistrement: &'a csv::StringRecord,
    ligne: u64,
}

impl Cellules<'_> {
    fn erreur(&self, colonne: usize, message: impl Into<String>) -> Erreur {
        Erreur::cellule(
            self.table.fichier,
            self.ligne,
            self.table.colonnes[colonne],
            message,
        )
    }

    fn texte(&self, colonne: usize) -> &str {
        self.table
            .positions
            .get(colonne)
            .and_then(|&p| self.enregistrement.get(p))
            .map_or("", str::trim)
    }

    fn obligatoire(&self, colonne: usize) -> Result<Texte, Erreur> {
        let t = self.texte(colonne);
        if t.is_empty() {
            Err(self.erreur(colonne, "valeur obligatoire absente"))
        } else {
            Ok(Texte::from(t))
        }
    }

    fn optionnel(&self, colonne: usize) -> Option<Texte> {
        let t = self.texte(colonne);
        (!t.is_empty()).then(|| Texte::from(t))
    }

    fn entier(&self, colonne: usize) -> Result<Option<u64>, Erreur> {
        let t = self.texte(colonne);
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<u64>()
            .map(Some)
            .map_err(|_| self.erreur(colonne, format!("nombre entier invalide « {t} »")))
    }

    fn reel(&self, colonne: usize, min: f64, max: f64) -> Result<Option<f64>, Erreur> {
        let t = self.texte(colonne);
        if t.is_empty() {
            return Ok(None);
        }
        match t.parse::<f64>() {
            Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(Some(x)),
            _ => Err(self.erreur(
                colonne,
                format!("nombre invalide ou hors de [{min}, {max}] : « {t} »"),
            )),
        }
    }

    fn liste(&self, colonne: usize) -> Vec<Texte> {
        let t = self.texte(colonne);
        // Most communes have one postcode: size the vector exactly.
        let mut v = Vec::with_capacity(t.bytes().filter(|b| *b == b'|').count() + 1);
        v.extend(
            t.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Texte::from),
        );
        v
    }

    fn code(&self, colonne: usize, valide: fn(&str) -> bool, quoi: &str) -> Result<Texte, Erreur> {
        let code = self.obligatoire(colonne)?;
        if valide(&code) {
            Ok(code)
        } else {
            Err(self.erreur(colonne, format!("{quoi} invalide « {code} »")))
        }
    }
}

fn code_commune_valide(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 5
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || (b[0] == b'2' && matches!(b[1], b'A' | b'B')))
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn code_departement_valide(c: &str) -> bool {
    matches!(c, "2A" | "2B")
        || ((c.len() == 2 || (c.len() == 3 && c.starts_with('9')))
            && c.bytes().all(|b| b.is_ascii_digit()))
}

fn code_region_valide(c: &str) -> bool {
    (2..=3).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit())
}

fn code_epci_valide(c: &str) -> bool {
    c.len() == 9 && c.bytes().all(|b| b.is_ascii_digit())
}

fn code_postal_valide(c: &str) -> bool {
    c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn lire_regions<R: Read>(fichier: &str, source: R) -> Result<Vec<Region>, Erreur> {
    const COLONNES: &[&str] = &["code", "nom", "population"];
    let mut regions = Vec::new();
    Table::lire(fichier, source, COLONNES, |c| {
        regions.push(Region {
            code: c.code(0, code_region_valide, "code de région")?,
            nom: c.obligatoire(1)?,
            population: c.entier(2)?,
        });
        Ok(())
    })?;
    Ok(regions)
}

pub(crate) fn lire_departements<R: Read>(
    fichier: &str,
    source: R,
) -> Result<Vec<Departement>, Erreur> {
    const COLONNES: &[&str] = &["code", "nom", "region", "population"];
    let mut departements = Vec::new();
    Table::lire(fichier, source, COLONNES, |c| {
        departements.push(Departement {
            code: c.code(0, code_departement_valide, "code de département")?,
            nom: c.obligatoire(1)?,
            region: c.code(2, code_region_valide, "code de région")?,
            population: c.entier(3)?,
        });
        Ok(())
    })?;
    Ok(departements)
}

pub(crate) fn lire_epcis<R: Read>(fichier: &str, source: R) -> Result<Vec<Epci>, Erreur> {
    const COLONNES: &[&str] = &["code", "nom", "type", "population", "departements"];
    let mut epcis = Vec::new();
    Table::lire(fichier, source, COLONNES, |c| {
        epcis.push(Epci {
            code: c.code(0, code_epci_valide, "SIREN d'EPCI")?,
            nom: c.obligatoire(1)?,
            type_: c.obligatoire(2)?,
            population: c.entier(3)?,
            departements: c.liste(4),
        });
        Ok(())
    })?;
    Ok(epcis)
}

pub(crate) fn lire_communes<R: Read>(fichier: &str, source: R) -> Result<Vec<Commune>, Erreur> {
    const COLONNES: &[&str] = &[
        "code_insee",
        "nom",
        "type",
        "departement",
        "region",
        "epci",
        "codes_postaux",
        "population",
        "latitude",
        "longitude",
        "area_km2",
    ];
    let mut communes = Vec::with_capacity(35_100);
    Table::lire(fichier, source, COLONNES, |c| {
        let type_texte = c.texte(2);
        let type_ = TypeCommune::depuis_code(type_texte)
            .ok_or_else(|| c.erreur(2, format!("type de commune inconnu « {type_texte} »")))?;
        let epci = c.optionnel(5);
        if let Some(e) = &epci {
            if !code_epci_valide(e) {
                return Err(c.erreur(5, format!("SIREN d'EPCI invalide « {e} »")));
            }
        }
        let codes_postaux = c.liste(6);
        if let Some(cp) = codes_postaux.iter().find(|cp| !code_postal_valide(cp)) {
            return Err(c.erreur(6, format!("code postal invalide « {cp} »")));
        }
        let latitude = c.reel(8, -90.0, 90.0)?;
        let longitude = c.reel(9, -180.0, 180.0)?;
        if latitude.is_some() != longitude.is_some() {
            return Err(c.erreur(8, "latitude et longitude doivent être données ensemble"));
        }
        communes.push(Commune {
            code_insee: c.code(0, code_commune_valide, "code INSEE")?,
            nom: c.obligatoire(1)?,
            type_,
            departement: c.code(3, code_departement_valide, "code de département")?,
            region: c.code(4, code_region_valide, "code de région")?,
            epci,
            codes_postaux,
            population: c.entier(7)?,
            latitude,
            longitude,
            area_km2: c.reel(10, 0.0, f64::MAX)?,
        });
        Ok(())
    })?;
    Ok(communes)
}

/// Checks uniqueness of codes and that every reference resolves; the error
/// names the file, line and column of the faulty row (header = line 1, rows
/// are one physical line each in these files).
pub(crate) fn verifier(tables: &Tables, noms: &NomsFichiers) -> Result<(), Erreur> {
    fn uniques<'a>(
        fichier: &str,
        colonne: &str,
        codes: impl Iterator<Item = &'a str>,
    ) -> Result<HashMap<&'a str, ()>, Erreur> {
        let mut vus = HashMap::new();
        for (i, code) in codes.enumerate() {
            if vus.insert(code, ()).is_some() {
                return Err(Erreur::cellule(
                    fichier,
                    i as u64 + 2,
                    colonne,
                    format!("code « {code} » en double"),
                ));
            }
        }
        Ok(vus)
    }
    let regions = uniques(
        &noms.regions,
        "code",
        tables.regions.iter().map(|r| &*r.code),
    )?;
    let departements = uniques(
        &noms.departements,
        "code",
        tables.departements.iter().map(|d| &*d.code),
    )?;
    let epcis = uniques(&noms.epci, "code", tables.epcis.iter().map(|e| &*e.code))?;
    // Commune codes are checked for duplicates while indexing them.
    let inconnu = |fichier: &str, i: usize, colonne: &str, quoi: &str, code: &str| {
        Erreur::cellule(
            fichier,
            i as u64 + 2,
            colonne,
            format!("{quoi} « {code} » inconnu du référentiel"),
        )
    };
    for (i, d) in tables.departements.iter().enumerate() {
        if !regions.contains_key(&*d.region) {
            return Err(inconnu(
                &noms.departements,
                i,
                "region",
                "code de région",
                &d.region,
            ));
        }
    }
    for (i, e) in tables.epcis.iter().enumerate() {
        if let Some(d) = e
            .departements
            .iter()
            .find(|d| !departements.contains_key(&***d))
        {
            return Err(inconnu(
                &noms.epci,
                i,
                "departements",
                "code de département",
                d,
            ));
        }
    }
    for (i, c) in tables.communes.iter().enumerate() {
        if !departements.contains_key(&*c.departement) {
            return Err(inconnu(
                &noms.communes,
                i,
                "departement",
                "code de département",
                &c.departement,
            ));
        }
        if !regions.contains_key(&*c.region) {
            return Err(inconnu(
                &noms.communes,
                i,
                "region",
                "code de région",
                &c.region,
            ));
        }
        if let Some(e) = &c.epci {
            if !epcis.contains_key(&**e) {
                return Err(inconnu(&noms.communes, i, "epci", "SIREN d'EPCI", e));
            }
        }
    }
    Ok(())
}

/// File names used in error messages.
pub(crate) struct NomsFichiers {
    pub communes: String,
    pub epci: String,
    pub departements: String,
    pub regions: String,
}
