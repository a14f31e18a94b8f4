//! The territorial referential: loading, indexes and lookups.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::OnceLock;

use flate2::read::GzDecoder;
use maillage_lieux::Texte;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::chargement::{self, NomsFichiers, Tables};
use crate::erreur::Erreur;
use crate::geolocalisation::distance_km;
use crate::modele::{Commune, Departement, Epci, Region, TypeCommune};
use crate::noms;
use crate::territoire::Territoire;

const COMMUNES_GZ: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/territoires/communes.csv.gz"
));
const EPCI_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/territoires/epci.csv"
));
const DEPARTEMENTS_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/territoires/departements.csv"
));
const REGIONS_CSV: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/territoires/regions.csv"
));

/// A point of the R-tree: unit-sphere coordinates (so that Euclidean
/// distance orders like great-circle distance, even across the antimeridian)
/// and the index of the commune.
type Point = GeomWithData<[f64; 3], usize>;

fn sphere(latitude: f64, longitude: f64) -> [f64; 3] {
    let (la, lo) = (latitude.to_radians(), longitude.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// Communes, EPCI, départements and régions, with their indexes. The name
/// index and the R-tree are built on first use, so that loading stays cheap
/// for callers that only look codes up.
pub struct Referentiel {
    communes: Vec<Commune>,
    epcis: Vec<Epci>,
    departements: Vec<Departement>,
    regions: Vec<Region>,
    commune_par_code: HashMap<Texte, usize>,
    epci_par_code: HashMap<Texte, usize>,
    departement_par_code: HashMap<Texte, usize>,
    region_par_code: HashMap<Texte, usize>,
    par_code_postal: HashMap<Texte, Vec<usize>>,
    arrondissements: HashMap<&'static str, Vec<usize>>,
    par_nom: OnceLock<HashMap<String, Vec<usize>>>,
    arbre: OnceLock<RTree<Point>>,
}

static EMBARQUE: OnceLock<Result<Referentiel, Erreur>> = OnceLock::new();

/// The referential embedded in the binary, loaded once (a few ms). An error
/// here is a bug of the build (corrupt embedded data), reported as a value.
pub fn embarque() -> Result<&'static Referentiel, &'static Erreur> {
    EMBARQUE.get_or_init(charger_embarque).as_ref()
}

/// Loads the embedded referential (uncached; see [`embarque`]).
pub fn charger_embarque() -> Result<Referentiel, Erreur> {
    let noms = NomsFichiers {
        communes: "communes.csv.gz (embarqué)".into(),
        epci: "epci.csv (embarqué)".into(),
        departements: "departements.csv (embarqué)".into(),
        regions: "regions.csv (embarqué)".into(),
    };
    let tables = Tables {
        communes: chargement::lire_communes(&noms.communes, GzDecoder::new(COMMUNES_GZ))?,
        epcis: chargement::lire_epcis(&noms.epci, EPCI_CSV)?,
        departements: chargement::lire_departements(&noms.departements, DEPARTEMENTS_CSV)?,
        regions: chargement::lire_regions(&noms.regions, REGIONS_CSV)?,
    };
    Referentiel::depuis_tables(tables, &noms)
}

/// Opens `dir/<base>.csv`, or `dir/<base>.csv.gz` decompressed on the fly.
fn ouvrir(dir: &Path, base: &str) -> Result<(String, Box<dyn Read>), Erreur> {
    let simple = dir.join(format!("{base}.csv"));
    let compresse = dir.join(format!("{base}.csv.gz"));
    if simple.is_file() {
        let nom = simple.display().to_string();
        let f = File::open(&simple)
            .map_err(|e| Erreur::fichier(&nom, format!("ouverture impossible : {e}")))?;
        Ok((nom, Box::new(BufReader::new(f))))
    } else if compresse.is_file() {
        let nom = compresse.display().to_string();
        let f = File::open(&compresse)
            .map_err(|e| Erreur::fichier(&nom, format!("ouverture impossible : {e}")))?;
        Ok((nom, Box::new(GzDecoder::new(BufReader::new(f)))))
    } else {
        Err(Erreur::fichier(
            &simple.display().to_string(),
            format!("fichier absent (ni {base}.csv ni {base}.csv.gz)"),
        ))
    }
}

impl Referentiel {
    /// The embedded referential, loaded once; see [`embarque`].
    pub fn embarque() -> Result<&'static Referentiel, &'static Erreur> {
        embarque()
    }

    /// Loads the embedded referential, uncached; see [`charger_embarque`].
    pub fn charger_embarque() -> Result<Referentiel, Erreur> {
        charger_embarque()
    }

    /// Loads `communes`, `epci`, `departements` and `regions` (`.csv` or
    /// `.csv.gz`, same columns as the embedded files) from a folder.
    pub fn depuis_dossier(dir: &Path) -> Result<Referentiel, Erreur> {
        let (n_communes, communes) = ouvrir(dir, "communes")?;
        let (n_epci, epci) = ouvrir(dir, "epci")?;
        let (n_departements, departements) = ouvrir(dir, "departements")?;
        let (n_regions, regions) = ouvrir(dir, "regions")?;
        let tables = Tables {
            communes: chargement::lire_communes(&n_communes, communes)?,
            epcis: chargement::lire_epcis(&n_epci, epci)?,
            departements: chargement::lire_departements(&n_departements, departements)?,
            regions: chargement::lire_regions(&n_regions, regions)?,
        };
        let noms = NomsFichiers {
            communes: n_communes,
            epci: n_epci,
            departements: n_departements,
            regions: n_regions,
        };
        Referentiel::depuis_tables(tables, &noms)
    }

    fn depuis_tables(tables: Tables, noms: &NomsFichiers) -> Result<Referentiel, Erreur> {
        chargement::verifier(&tables, noms)?;
        let Tables {
            communes,
            epcis,
            departements,
            regions,
        } = tables;
        let mut commune_par_code = HashMap::with_capacity(communes.len());
        let mut par_code_postal: HashMap<Texte, Vec<usize>> = HashMap::with_capacity(40_000);
        let mut arrondissements: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, c) in communes.iter().enumerate() {
            if commune_par_code.insert(c.code_insee.clone(), i).is_some() {
                return Err(Erreur::cellule(
                    &noms.communes,
                    i as u64 + 2,
                    "code_insee",
                    format!("code « {} » en double", c.code_insee),
                ));
            }
            for cp in &c.codes_postaux {
                par_code_postal.entry(cp.clone()).or_default().push(i);
            }
            if let Some(parent) = c.commune_parente() {
                arrondissements.entry(parent).or_default().push(i);
            }
        }
        Ok(Referentiel {
            commune_par_code,
            epci_par_code: epcis
                .iter()
                .enumerate()
                .map(|(i, e)| (e.code.clone(), i))
                .collect(),
            departement_par_code: departements
                .iter()
                .enumerate()
                .map(|(i, d)| (d.code.clone(), i))
                .collect(),
            region_par_code: regions
                .iter()
                .enumerate()
                .map(|(i, x)| (x.code.clone(), i))
                .collect(),
            par_code_postal,
            arrondissements,
            par_nom: OnceLock::new(),
            arbre: OnceLock::new(),
            communes,
            epcis,
            departements,
            regions,
        })
    }

    /// Name key → communes, built on first name lookup.
    fn index_noms(&self) -> &HashMap<String, Vec<usize>> {
        self.par_nom.get_or_init(|| {
            let mut index: HashMap<String, Vec<usize>> =
                HashMap::with_capacity(self.communes.len());
            for (i, c) in self.communes.iter().enumerate() {
                index.entry(noms::cle_nom(&c.nom)).or_default().push(i);
            }
            index
        })
    }

    /// R-tree of the centroids, built on first proximity query.
    fn arbre(&self) -> &RTree<Point> {
        self.arbre.get_or_init(|| {
            let points = self
                .communes
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let (lat, lon) = c.centre()?;
                    Some(GeomWithData::new(sphere(lat, lon), i))
                })
                .collect();
            RTree::bulk_load(points)
        })
    }

    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    pub fn epcis(&self) -> &[Epci] {
        &self.epcis
    }

    pub fn departements(&self) -> &[Departement] {
        &self.departements
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Commune or arrondissement municipal by INSEE code (exact, 5 chars).
    pub fn commune(&self, code_insee: &str) -> Option<&Commune> {
        self.commune_par_code
            .get(code_insee.trim())
            .map(|&i| &self.communes[i])
    }

    pub fn epci(&self, code: &str) -> Option<&Epci> {
        self.epci_par_code.get(code.trim()).map(|&i| &self.epcis[i])
    }

    /// Département by code; `1` and `01`, `2a` and `2A` are accepted.
    pub fn departement(&self, code: &str) -> Option<&Departement> {
        let code = noms::normaliser_departement(code)?;
        self.departement_par_code
            .get(code.as_str())
            .map(|&i| &self.departements[i])
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.region_par_code
            .get(code.trim())
            .map(|&i| &self.regions[i])
    }

    pub fn departements_de_region(&self, code: &str) -> Vec<&Departement> {
        let code = code.trim();
        self.departements
            .iter()
            .filter(|d| d.region == code)
            .collect()
    }

    /// Communes (and arrondissements municipaux) having this postcode, in
    /// code order: `75015` gives Paris and Paris 15e Arrondissement.
    pub fn communes_du_code_postal(&self, code_postal: &str) -> Vec<&Commune> {
        self.indices_du_code_postal(code_postal)
            .iter()
            .map(|&i| &self.communes[i])
            .collect()
    }

    fn indices_du_code_postal(&self, code_postal: &str) -> &[usize] {
        self.par_code_postal
            .get(code_postal.trim())
            .map_or(&[], Vec::as_slice)
    }

    /// True when the postcode belongs to some commune of the referential
    /// (CEDEX codes do not).
    pub fn code_postal_connu(&self, code_postal: &str) -> bool {
        self.par_code_postal.contains_key(code_postal.trim())
    }

    /// Communes of a territory, arrondissements municipaux included (a
    /// commune gives itself and its arrondissements).
    pub fn communes_de(&self, territoire: &Territoire) -> Vec<&Commune> {
        match territoire {
            Territoire::Region(c) => self.communes.iter().filter(|x| x.region == *c).collect(),
            Territoire::Departement(c) => self
                .communes
                .iter()
                .filter(|x| x.departement == *c)
                .collect(),
            Territoire::Epci(c) => self
                .communes
                .iter()
                .filter(|x| x.epci.as_ref() == Some(c))
                .collect(),
            Territoire::Commune(c) => {
                let mut v: Vec<&Commune> = self.commune(c).into_iter().collect();
                v.extend(self.arrondissements_de(c));
                v
            }
        }
    }

    /// Arrondissements municipaux of Paris, Lyon or Marseille.
    pub fn arrondissements_de(&self, code_insee: &str) -> Vec<&Commune> {
        self.arrondissements
            .get(code_insee.trim())
            .map(|v| v.iter().map(|&i| &self.communes[i]).collect())
            .unwrap_or_default()
    }

    /// The commune whose centroid is nearest to the point (WGS84 degrees).
    /// Centroids are not boundaries: near a border this can be the
    /// neighbouring commune. `None` for a non-finite point.
    pub fn commune_proche(&self, latitude: f64, longitude: f64) -> Option<&Commune> {
        if !latitude.is_finite() || !longitude.is_finite() {
            return None;
        }
        self.arbre()
            .nearest_neighbor(sphere(latitude, longitude))
            .map(|p| &self.communes[p.data])
    }

    /// The `n` communes nearest to the point, nearest first, with their
    /// distance in km.
    pub fn communes_proches(
        &self,
        latitude: f64,
        longitude: f64,
        n: usize,
    ) -> Vec<(&Commune, f64)> {
        if !latitude.is_finite() || !longitude.is_finite() {
            return Vec::new();
        }
        self.arbre()
            .nearest_neighbor_iter(sphere(latitude, longitude))
            .take(n)
            .filter_map(|p| {
                let c = &self.communes[p.data];
                let (la, lo) = c.centre()?;
                Some((c, distance_km(latitude, longitude, la, lo)))
            })
            .collect()
    }

    /// Finds a commune from a name as producers write it (accents, case,
    /// hyphens, `St`/`Ste`, leading article, `CEDEX`, `Paris 15e`…).
    /// When several communes share the name, the postcode decides, then the
    /// département (given, or implied by the postcode); still ambiguous →
    /// `None`. Paris, Lyon and Marseille with an arrondissement postcode
    /// (`75015`, `13003`, `69007`) give the arrondissement municipal.
    pub fn chercher_commune(
        &self,
        nom: &str,
        code_postal: Option<&str>,
        departement: Option<&str>,
    ) -> Option<&Commune> {
        let cp = code_postal
            .and_then(noms::normaliser_code_postal)
            .map(|(cp, _)| cp);
        let cp = cp.as_deref();
        let departement = match departement {
            Some(d) => Some(noms::normaliser_departement(d)?),
            None => None,
        };
        if let Some(code) = noms::arrondissement_nomme(nom) {
            return self.commune(&code);
        }
        let cle = noms::cle_nom(nom);
        if cle.is_empty() {
            return None;
        }
        let mut candidats: Vec<usize> = self.index_noms().get(&cle).cloned().unwrap_or_default();
        if let Some(cp) = cp {
            // A homonym elsewhere in France is not the commune of this
            // postcode (`Livron` 26250 is Livron-sur-Drôme, not Livron 64).
            let deps = self.departements_du_code_postal(cp);
            candidats.retain(|&i| {
                let c = &self.communes[i];
                c.codes_postaux.iter().any(|x| x == cp) || deps.iter().any(|d| *d == c.departement)
            });
        }
        if candidats.is_empty() {
            candidats = self.candidats_approches(&cle, cp);
        }
        let choisi = self.departager(candidats, cp, departement.as_deref())?;
        Some(self.affiner_arrondissement(choisi, cp))
    }

    /// No exact name: among the communes of the postcode, one whose name
    /// starts with the given one (`CHAMONIX` → Chamonix-Mont-Blanc) or is
    /// the start of it (`Annecy le Vieux` → Annecy, merged), else a close
    /// spelling (Jaro-Winkler ≥ 0.93).
    fn candidats_approches(&self, cle: &str, cp: Option<&str>) -> Vec<usize> {
        let Some(cp) = cp else {
            return Vec::new();
        };
        let locales = self.indices_du_code_postal(cp);
        let cles: Vec<(usize, String)> = locales
            .iter()
            .map(|&i| (i, noms::cle_nom(&self.communes[i].nom)))
            .collect();
        let prefixes: Vec<usize> = cles
            .iter()
            .filter(|(_, c)| {
                c.strip_prefix(cle).is_some_and(|r| r.starts_with(' '))
                    || cle
                        .strip_prefix(c.as_str())
                        .is_some_and(|r| r.starts_with(' '))
            })
            .map(|(i, _)| *i)
            .collect();
        if !prefixes.is_empty() {
            return prefixes;
        }
        let mut proches: Vec<(usize, f64)> = cles
            .iter()
            .map(|(i, c)| (*i, strsim::jaro_winkler(cle, c)))
            .filter(|(_, s)| *s >= 0.93)
            .collect();
        proches.sort_by(|a, b| b.1.total_cmp(&a.1));
        match proches.as_slice() {
            [(i, _)] => vec![*i],
            [(i, a), (_, b), ..] if a - b > 0.03 => vec![*i],
            _ => Vec::new(),
        }
    }

    fn departager(
        &self,
        candidats: Vec<usize>,
        cp: Option<&str>,
        departement: Option<&str>,
    ) -> Option<usize> {
        let mut restants = candidats;
        if let Some(d) = departement {
            restants.retain(|&i| self.communes[i].departement == d);
        }
        if restants.len() <= 1 {
            return restants.first().copied();
        }
        if let Some(cp) = cp {
            let avec_cp: Vec<usize> = restants
                .iter()
                .copied()
                .filter(|&i| self.communes[i].codes_postaux.iter().any(|c| c == cp))
                .collect();
            if !avec_cp.is_empty() {
                restants = avec_cp;
            }
            if restants.len() > 1 {
                let deps = self.departements_du_code_postal(cp);
                let dans_dep: Vec<usize> = restants
                    .iter()
                    .copied()
                    .filter(|&i| deps.iter().any(|d| *d == self.communes[i].departement))
                    .collect();
                if !dans_dep.is_empty() {
                    restants = dans_dep;
                }
            }
        }
        match restants.as_slice() {
            [i] => Some(*i),
            _ => None,
        }
    }

    /// Départements a postcode points to: those of its communes, else the
    /// usual prefix rule (`20` → 2A/2B, `97x`/`98x` → 3 digits).
    fn departements_du_code_postal(&self, cp: &str) -> Vec<String> {
        let mut deps: Vec<String> = self
            .indices_du_code_postal(cp)
            .iter()
            .map(|&i| self.communes[i].departement.to_string())
            .collect();
        if deps.is_empty() && cp.len() == 5 {
            match &cp[..2] {
                "20" => deps = vec!["2A".into(), "2B".into()],
                "97" | "98" => deps.push(cp[..3].to_string()),
                p => deps.push(p.to_string()),
            }
        }
        deps.sort();
        deps.dedup();
        deps
    }

    /// Paris, Lyon, Marseille + an arrondissement postcode → the
    /// arrondissement municipal.
    fn affiner_arrondissement(&self, i: usize, cp: Option<&str>) -> &Commune {
        let commune = &self.communes[i];
        if let (Some(cp), Some(arr)) = (cp, self.arrondissements.get(commune.code_insee.as_str())) {
            let trouves: Vec<usize> = arr
                .iter()
                .copied()
                .filter(|&a| self.communes[a].codes_postaux.iter().any(|c| c == cp))
                .collect();
            if let [a] = trouves.as_slice() {
                return &self.communes[*a];
            }
        }
        commune
    }

    /// True when `code_insee` is in the territory (an arrondissement is in
    /// its commune).
    pub fn contient(&self, territoire: &Territoire, code_insee: &str) -> bool {
        let Some(c) = self.commune(code_insee) else {
            return false;
        };
        match territoire {
            Territoire::Region(r) => c.region == *r,
            Territoire::Departement(d) => c.departement == *d,
            Territoire::Epci(e) => c.epci.as_ref() == Some(e),
            Territoire::Commune(code) => {
                c.code_insee == *code || c.commune_parente() == Some(code.as_str())
            }
        }
    }

    /// True when the territory exists in this referential.
    pub fn territoire_existe(&self, territoire: &Territoire) -> bool {
        match territoire {
            Territoire::Region(c) => self.region_par_code.contains_key(c),
            Territoire::Departement(c) => self.departement_par_code.contains_key(c),
            Territoire::Epci(c) => self.epci_par_code.contains_key(c),
            Territoire::Commune(c) => self.commune_par_code.contains_key(c),
        }
    }

    /// Number of communes of type commune-actuelle (arrondissements excluded).
    pub fn nombre_communes_actuelles(&self) -> usize {
        self.communes
            .iter()
            .filter(|c| c.type_ == TypeCommune::CommuneActuelle)
            .count()
    }
}
