//! One parser of filter parameters, shared by the pages and the API.
//!
//! Enumerations use the standard's field names (`services`,
//! `frais_a_charge`, …) with comma-separated values and/or repeated keys
//! (what an HTML form with checkboxes sends): OR inside a field, AND across
//! fields. Values are the standard's, matched leniently (case, accents,
//! spacing). Every parameter is bounded (length, list size, numeric range).

use chrono::{NaiveDateTime, NaiveTime, Weekday};
use maillage_lieux::enums::{self, *};
use maillage_lieux::{Ensemble, Valeur};
use maillage_orientation::{Disponibilite, Position, Recherche, Territoire, Tri};
use maillage_territoires::Referentiel;
use std::str::FromStr;

/// Longest accepted value of one parameter, characters.
pub const LONGUEUR_MAX_VALEUR: usize = 500;
/// Longest free text (`q`, `pres_de`).
pub const LONGUEUR_MAX_TEXTE: usize = 200;
/// Most parameters in one query string.
pub const PARAMETRES_MAX: usize = 300;
/// Most values of one list parameter.
pub const VALEURS_MAX: usize = 100;
/// Highest page number.
pub const PAGE_MAX: usize = 10_000;
/// Most results per page.
pub const PAR_PAGE_MAX: usize = 100;
/// Largest radius, km.
pub const RAYON_MAX_KM: f64 = 1_000.0;

/// A parameter that cannot be used, with a French message naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErreurParametre {
    pub parametre: String,
    pub valeur: String,
    pub message: String,
}

impl std::fmt::Display for ErreurParametre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn extrait(v: &str) -> String {
    let mut s: String = v.chars().take(80).collect();
    if v.chars().count() > 80 {
        s.push('…');
    }
    s
}

fn erreur(parametre: &str, valeur: &str, message: String) -> ErreurParametre {
    ErreurParametre {
        parametre: parametre.to_string(),
        valeur: extrait(valeur),
        message,
    }
}

/// The decoded pairs of a query string or form body.
#[derive(Debug, Clone, Default)]
pub struct Requete {
    paires: Vec<(String, String)>,
}

impl Requete {
    pub fn analyser(texte: &str) -> Result<Requete, ErreurParametre> {
        let mut paires = Vec::new();
        for (k, v) in form_urlencoded::parse(texte.as_bytes()) {
            if paires.len() >= PARAMETRES_MAX {
                return Err(erreur(
                    "",
                    "",
                    format!("trop de paramètres (maximum {PARAMETRES_MAX})"),
                ));
            }
            if v.chars().count() > LONGUEUR_MAX_VALEUR {
                return Err(erreur(
                    &k,
                    &v,
                    format!(
                        "valeur trop longue pour le paramètre « {} » (maximum {LONGUEUR_MAX_VALEUR} caractères)",
                        extrait(&k)
                    ),
                ));
            }
            paires.push((k.into_owned(), v.into_owned()));
        }
        Ok(Requete { paires })
    }

    /// The last non-empty value of `cle` (trimmed).
    pub fn un(&self, cle: &str) -> Option<&str> {
        self.paires
            .iter()
            .rev()
            .filter(|(k, _)| k == cle)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// Every value of `cle`, repeated keys and comma-separated values
    /// together, trimmed, empty ones dropped.
    pub fn liste(&self, cle: &str) -> Result<Vec<&str>, ErreurParametre> {
        let mut out = Vec::new();
        for (_, v) in self.paires.iter().filter(|(k, _)| k == cle) {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if out.len() >= VALEURS_MAX {
                    return Err(erreur(
                        cle,
                        part,
                        format!(
                            "trop de valeurs pour le paramètre « {cle} » (maximum {VALEURS_MAX})"
                        ),
                    ));
                }
                out.push(part);
            }
        }
        Ok(out)
    }

    pub fn contient(&self, cle: &str) -> bool {
        self.un(cle).is_some()
    }
}

/// The values of one enumeration field (unknown value → error naming it).
pub fn ensemble<T: Valeur>(r: &Requete) -> Result<Ensemble<T>, ErreurParametre> {
    let mut e = Ensemble::new();
    for v in r.liste(T::CHAMP)? {
        match enums::reconnaitre::<T>(v) {
            Some(x) => {
                e.insert(x);
            }
            None => {
                return Err(erreur(
                    T::CHAMP,
                    v,
                    format!(
                        "valeur « {} » inconnue pour le paramètre « {} » : voir les valeurs du standard dans la documentation de l'API",
                        extrait(v),
                        T::CHAMP
                    ),
                ))
            }
        }
    }
    Ok(e)
}

pub fn booleen(r: &Requete, cle: &str) -> Result<bool, ErreurParametre> {
    match r.un(cle) {
        None => Ok(false),
        Some(v) => match v.to_lowercase().as_str() {
            "true" | "1" | "oui" | "on" | "vrai" => Ok(true),
            "false" | "0" | "non" | "off" | "faux" => Ok(false),
            _ => Err(erreur(
                cle,
                v,
                format!(
                    "valeur « {} » invalide pour le paramètre « {cle} » : attendu true ou false",
                    extrait(v)
                ),
            )),
        },
    }
}

pub fn nombre(r: &Requete, cle: &str, min: f64, max: f64) -> Result<Option<f64>, ErreurParametre> {
    let Some(v) = r.un(cle) else {
        return Ok(None);
    };
    match v.replace(',', ".").parse::<f64>() {
        Ok(x) if x.is_finite() && x >= min && x <= max => Ok(Some(x)),
        _ => Err(erreur(
            cle,
            v,
            format!(
                "valeur « {} » invalide pour le paramètre « {cle} » : nombre entre {min} et {max} attendu",
                extrait(v)
            ),
        )),
    }
}

pub fn entier(
    r: &Requete,
    cle: &str,
    min: usize,
    max: usize,
) -> Result<Option<usize>, ErreurParametre> {
    let Some(v) = r.un(cle) else {
        return Ok(None);
    };
    match v.parse::<usize>() {
        Ok(x) if x >= min && x <= max => Ok(Some(x)),
        _ => Err(erreur(
            cle,
            v,
            format!(
                "valeur « {} » invalide pour le paramètre « {cle} » : entier entre {min} et {max} attendu",
                extrait(v)
            ),
        )),
    }
}

fn texte(r: &Requete, cle: &str) -> Result<Option<String>, ErreurParametre> {
    match r.un(cle) {
        None => Ok(None),
        Some(v) if v.chars().count() > LONGUEUR_MAX_TEXTE => Err(erreur(
            cle,
            v,
            format!("texte trop long pour le paramètre « {cle} » (maximum {LONGUEUR_MAX_TEXTE} caractères)"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// Days of the week, as written in parameters (`lundi` … `dimanche`).
pub const JOURS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "lundi", "Lundi"),
    (Weekday::Tue, "mardi", "Mardi"),
    (Weekday::Wed, "mercredi", "Mercredi"),
    (Weekday::Thu, "jeudi", "Jeudi"),
    (Weekday::Fri, "vendredi", "Vendredi"),
    (Weekday::Sat, "samedi", "Samedi"),
    (Weekday::Sun, "dimanche", "Dimanche"),
];

pub fn code_jour(j: Weekday) -> &'static str {
    JOURS
        .iter()
        .find(|(w, _, _)| *w == j)
        .map_or("lundi", |(_, c, _)| *c)
}

fn heure(r: &Requete, cle: &str) -> Result<Option<NaiveTime>, ErreurParametre> {
    let Some(v) = r.un(cle) else {
        return Ok(None);
    };
    NaiveTime::parse_from_str(v, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(v, "%H:%M:%S"))
        .or_else(|_| NaiveTime::parse_from_str(v, "%Hh%M"))
        .or_else(|_| NaiveTime::parse_from_str(&format!("{v}00"), "%Hh%M"))
        .map(Some)
        .map_err(|_| {
            erreur(
                cle,
                v,
                format!(
                    "heure « {} » invalide pour le paramètre « {cle} » : attendu HH:MM",
                    extrait(v)
                ),
            )
        })
}

/// `ouvert_le`: ISO 8601 local date-time (`2025-03-14T10:30`, seconds optional).
fn date_heure(r: &Requete, cle: &str) -> Result<Option<NaiveDateTime>, ErreurParametre> {
    let Some(v) = r.un(cle) else {
        return Ok(None);
    };
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
        .map(Some)
        .ok_or_else(|| {
            erreur(
                cle,
                v,
                format!(
                    "date « {} » invalide pour le paramètre « {cle} » : attendu AAAA-MM-JJTHH:MM (heure locale)",
                    extrait(v)
                ),
            )
        })
}

/// Availability from `ouvert_le`, `jour`+`de`+`a`, `ouvert_maintenant`,
/// `ouvert_week_end`, or the pages' radio `disponibilite`.
fn disponibilite(r: &Requete) -> Result<Option<Disponibilite>, ErreurParametre> {
    if let Some(d) = date_heure(r, "ouvert_le")? {
        return Ok(Some(Disponibilite::Le(d)));
    }
    let choix = r.un("disponibilite");
    if let Some(c) = choix {
        if !["", "indifferent", "maintenant", "week-end", "creneau"].contains(&c) {
            return Err(erreur(
                "disponibilite",
                c,
                format!(
                    "valeur « {} » invalide pour le paramètre « disponibilite » : attendu indifferent, maintenant, week-end ou creneau",
                    extrait(c)
                ),
            ));
        }
    }
    let jour = match r.un("jour") {
        None => None,
        Some(j) => Some(
            JOURS
                .iter()
                .find(|(_, c, _)| c.eq_ignore_ascii_case(j))
                .map(|(w, _, _)| *w)
                .ok_or_else(|| {
                    erreur(
                        "jour",
                        j,
                        format!("jour « {} » inconnu : attendu lundi … dimanche", extrait(j)),
                    )
                })?,
        ),
    };
    let creneau_demande = choix == Some("creneau") || (choix.is_none() && jour.is_some());
    if creneau_demande {
        let Some(jour) = jour else {
            return Err(erreur(
                "jour",
                "",
                "choisissez le jour pour chercher des lieux ouverts à un moment précis".to_string(),
            ));
        };
        let debut = heure(r, "de")?.unwrap_or(NaiveTime::MIN);
        let fin = heure(r, "a")?.unwrap_or(NaiveTime::MIN);
        return Ok(Some(Disponibilite::Creneau { jour, debut, fin }));
    }
    if choix == Some("maintenant") || booleen(r, "ouvert_maintenant")? {
        return Ok(Some(Disponibilite::Maintenant));
    }
    if choix == Some("week-end") || booleen(r, "ouvert_week_end")? {
        return Ok(Some(Disponibilite::WeekEnd));
    }
    Ok(None)
}

/// Where distances are measured from: `latitude`+`longitude`, or a commune,
/// postcode or `lat,lon` text in `pres_de`.
#[derive(Debug, Clone, PartialEq)]
pub struct Origine {
    pub position: Position,
    pub libelle: String,
}

fn origine(r: &Requete, referentiel: &Referentiel) -> Result<Option<Origine>, ErreurParametre> {
    let lat = nombre(r, "latitude", -90.0, 90.0)?;
    let lon = nombre(r, "longitude", -180.0, 180.0)?;
    match (lat, lon) {
        (Some(latitude), Some(longitude)) => {
            let position = Position::new(latitude, longitude).ok_or_else(|| {
                erreur(
                    "latitude",
                    &format!("{latitude},{longitude}"),
                    "coordonnées inutilisables".to_string(),
                )
            })?;
            let libelle = match texte(r, "pres_de")? {
                Some(t) => t,
                None => format!("{latitude:.5}, {longitude:.5}"),
            };
            return Ok(Some(Origine { position, libelle }));
        }
        (Some(_), None) => {
            return Err(erreur(
                "longitude",
                "",
                "le paramètre « longitude » manque (latitude et longitude vont ensemble)"
                    .to_string(),
            ))
        }
        (None, Some(_)) => {
            return Err(erreur(
                "latitude",
                "",
                "le paramètre « latitude » manque (latitude et longitude vont ensemble)"
                    .to_string(),
            ))
        }
        (None, None) => {}
    }
    let Some(t) = texte(r, "pres_de")? else {
        return Ok(None);
    };
    match maillage_orientation::localiser(referentiel, &t).into_iter().next() {
        Some(l) => Ok(Some(Origine {
            position: l.position,
            libelle: l.libelle,
        })),
        None => Err(erreur(
            "pres_de",
            &t,
            format!(
                "lieu de départ « {} » introuvable : indiquez une commune, un code postal ou des coordonnées (latitude, longitude)",
                extrait(&t)
            ),
        )),
    }
}

/// The filters of a search, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct Filtres {
    pub q: Option<String>,
    pub services: Ensemble<Service>,
    pub publics_specifiquement_adresses: Ensemble<Public>,
    pub prise_en_charge_specifique: Ensemble<PriseEnCharge>,
    pub frais_a_charge: Ensemble<Frais>,
    pub modalites_acces: Ensemble<ModaliteAcces>,
    pub modalites_accompagnement: Ensemble<ModaliteAccompagnement>,
    pub dispositif_programmes_nationaux: Ensemble<Dispositif>,
    pub formations_labels: Ensemble<FormationLabel>,
    pub itinerance: Ensemble<Itinerance>,
    pub typologie: Ensemble<Typologie>,
    pub sources: Vec<String>,
    pub territoire: Option<Territoire>,
    pub origine: Option<Origine>,
    /// Text of `pres_de` as typed (kept for the form).
    pub pres_de: Option<String>,
    pub rayon_km: Option<f64>,
    pub disponibilite: Option<Disponibilite>,
    pub prise_rdv: bool,
    pub tri: Option<Tri>,
    pub page: usize,
    pub par_page: Option<usize>,
}

impl Filtres {
    /// Parses a query string. `referentiel` checks territories and resolves
    /// `pres_de`.
    pub fn analyser(requete: &str, referentiel: &Referentiel) -> Result<Filtres, ErreurParametre> {
        let r = Requete::analyser(requete)?;
        Filtres::depuis(&r, referentiel)
    }

    pub fn depuis(r: &Requete, referentiel: &Referentiel) -> Result<Filtres, ErreurParametre> {
        let mut sources = Vec::new();
        for s in r.liste("source")? {
            if s.chars().count() > LONGUEUR_MAX_TEXTE {
                return Err(erreur("source", s, "nom de source trop long".to_string()));
            }
            sources.push(s.to_string());
        }
        let territoire = match r.un("territoire") {
            None => None,
            Some(t) => {
                let terr = Territoire::from_str(t).map_err(|e| erreur("territoire", t, e.0))?;
                if !referentiel.territoire_existe(&terr) {
                    return Err(erreur(
                        "territoire",
                        t,
                        format!("territoire « {} » inconnu du référentiel", extrait(t)),
                    ));
                }
                Some(terr)
            }
        };
        let tri = match r.un("tri") {
            None => None,
            Some("pertinence") => Some(Tri::Pertinence),
            Some("distance") => Some(Tri::Distance),
            Some("nom") => Some(Tri::Nom),
            Some(v) => {
                return Err(erreur(
                    "tri",
                    v,
                    format!(
                        "valeur « {} » invalide pour le paramètre « tri » : attendu pertinence, distance ou nom",
                        extrait(v)
                    ),
                ))
            }
        };
        Ok(Filtres {
            q: texte(r, "q")?,
            services: ensemble(r)?,
            publics_specifiquement_adresses: ensemble(r)?,
            prise_en_charge_specifique: ensemble(r)?,
            frais_a_charge: ensemble(r)?,
            modalites_acces: ensemble(r)?,
            modalites_accompagnement: ensemble(r)?,
            dispositif_programmes_nationaux: ensemble(r)?,
            formations_labels: ensemble(r)?,
            itinerance: ensemble(r)?,
            typologie: ensemble(r)?,
            sources,
            territoire,
            pres_de: texte(r, "pres_de")?,
            origine: origine(r, referentiel)?,
            rayon_km: nombre(r, "rayon_km", 0.1, RAYON_MAX_KM)?,
            disponibilite: disponibilite(r)?,
            prise_rdv: booleen(r, "prise_rdv")?,
            tri,
            page: entier(r, "page", 1, PAGE_MAX)?.unwrap_or(1),
            par_page: entier(r, "par_page", 1, PAR_PAGE_MAX)?,
        })
    }

    /// The domain search for these filters.
    pub fn recherche(&self, par_page_defaut: usize) -> Recherche {
        Recherche {
            texte: self.q.clone(),
            services: self.services,
            publics_specifiquement_adresses: self.publics_specifiquement_adresses,
            prise_en_charge_specifique: self.prise_en_charge_specifique,
            frais_a_charge: self.frais_a_charge,
            modalites_acces: self.modalites_acces,
            modalites_accompagnement: self.modalites_accompagnement,
            dispositif_programmes_nationaux: self.dispositif_programmes_nationaux,
            formations_labels: self.formations_labels,
            itinerance: self.itinerance,
            typologie: self.typologie,
            sources: self.sources.clone(),
            territoire: self.territoire.clone(),
            position: self.origine.as_ref().map(|o| o.position),
            rayon_km: self.rayon_km,
            disponibilite: self.disponibilite,
            prise_rdv: self.prise_rdv,
            accueil_du_public: false,
            tri: self.tri.unwrap_or_default(),
            page: self.page,
            par_page: self.par_page.unwrap_or(par_page_defaut),
        }
    }

    /// True when some filter (other than paging and sorting) is set.
    pub fn actifs(&self) -> bool {
        !self.paires_filtres().is_empty()
    }

    /// The filters as query pairs (lists comma-joined), paging excluded.
    pub fn paires_filtres(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        if let Some(q) = &self.q {
            p.push(("q", q.clone()));
        }
        fn liste<T: Valeur>(p: &mut Vec<(&'static str, String)>, e: Ensemble<T>) {
            if !e.is_empty() {
                let v: Vec<&str> = e.iter().map(|x| x.valeur()).collect();
                p.push((T::CHAMP, v.join(",")));
            }
        }
        liste(&mut p, self.services);
        liste(&mut p, self.publics_specifiquement_adresses);
        liste(&mut p, self.prise_en_charge_specifique);
        liste(&mut p, self.frais_a_charge);
        liste(&mut p, self.modalites_acces);
        liste(&mut p, self.modalites_accompagnement);
        liste(&mut p, self.dispositif_programmes_nationaux);
        liste(&mut p, self.formations_labels);
        liste(&mut p, self.itinerance);
        liste(&mut p, self.typologie);
        for s in &self.sources {
            p.push(("source", s.clone()));
        }
        if let Some(t) = &self.territoire {
            p.push(("territoire", t.to_string()));
        }
        if let Some(o) = &self.origine {
            p.push(("latitude", format!("{:.6}", o.position.latitude)));
            p.push(("longitude", format!("{:.6}", o.position.longitude)));
            p.push(("pres_de", o.libelle.clone()));
        }
        if let Some(r) = self.rayon_km {
            p.push(("rayon_km", format_nombre(r)));
        }
        paires_disponibilite(&mut p, self.disponibilite);
        if self.prise_rdv {
            p.push(("prise_rdv", "true".to_string()));
        }
        p
    }

    /// Query string of the filters, with `tri` and optionally `page`.
    pub fn requete(&self, page: Option<usize>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.paires_filtres() {
            s.append_pair(k, &v);
        }
        if let Some(t) = self.tri {
            s.append_pair("tri", code_tri(t));
        }
        if let Some(n) = self.par_page {
            s.append_pair("par_page", &n.to_string());
        }
        if let Some(page) = page.filter(|&p| p > 1) {
            s.append_pair("page", &page.to_string());
        }
        s.finish()
    }
}

pub fn code_tri(t: Tri) -> &'static str {
    match t {
        Tri::Pertinence => "pertinence",
        Tri::Distance => "distance",
        Tri::Nom => "nom",
    }
}

/// `30`, `2.5`.
pub fn format_nombre(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The availability as query pairs.
pub fn paires_disponibilite(p: &mut Vec<(&'static str, String)>, d: Option<Disponibilite>) {
    match d {
        None => {}
        Some(Disponibilite::Maintenant) => p.push(("ouvert_maintenant", "true".to_string())),
        Some(Disponibilite::WeekEnd) => p.push(("ouvert_week_end", "true".to_string())),
        Some(Disponibilite::Le(d)) => p.push(("ouvert_le", d.format("%Y-%m-%dT%H:%M").to_string())),
        Some(Disponibilite::Creneau { jour, debut, fin }) => {
            p.push(("disponibilite", "creneau".to_string()));
            p.push(("jour", code_jour(jour).to_string()));
            p.push(("de", debut.format("%H:%M").to_string()));
            p.push(("a", fin.format("%H:%M").to_string()));
        }
    }
}

/// The answers of the orientation questionnaire, as parameters.
#[derive(Debug, Clone, Default)]
pub struct Reponses {
    pub besoin: Option<Service>,
    pub origine: Option<Origine>,
    pub pres_de: Option<String>,
    pub rayon_km: Option<f64>,
    pub prise_en_charge: Ensemble<PriseEnCharge>,
    pub disponibilite: Option<Disponibilite>,
    pub strict: bool,
    pub page: usize,
    pub par_page: Option<usize>,
}

impl Reponses {
    pub fn depuis(r: &Requete, referentiel: &Referentiel) -> Result<Reponses, ErreurParametre> {
        let besoin = match r.un("besoin") {
            None => None,
            Some(v) => Some(enums::reconnaitre::<Service>(v).ok_or_else(|| {
                erreur(
                    "besoin",
                    v,
                    format!("valeur « {} » inconnue pour le paramètre « besoin » : un des services du standard est attendu", extrait(v)),
                )
            })?),
        };
        Ok(Reponses {
            besoin,
            pres_de: texte(r, "pres_de")?,
            origine: origine(r, referentiel)?,
            rayon_km: nombre(r, "rayon_km", 1.0, RAYON_MAX_KM)?,
            prise_en_charge: ensemble(r)?,
            disponibilite: disponibilite(r)?,
            strict: booleen(r, "strict")?,
            page: entier(r, "page", 1, PAGE_MAX)?.unwrap_or(1),
            par_page: entier(r, "par_page", 1, PAR_PAGE_MAX)?,
        })
    }

    pub fn questionnaire(&self, par_page_defaut: usize) -> maillage_orientation::Questionnaire {
        maillage_orientation::Questionnaire {
            besoin: self.besoin,
            position: self.origine.as_ref().map(|o| o.position),
            rayon_km: self
                .rayon_km
                .unwrap_or(maillage_orientation::orientation::RAYON_DEFAUT_KM),
            prise_en_charge: self.prise_en_charge,
            disponibilite: self.disponibilite,
            strict: self.strict,
            page: self.page,
            par_page: self.par_page.unwrap_or(par_page_defaut),
        }
    }

    /// The answers as query pairs (hidden fields, links).
    pub fn paires(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        if let Some(b) = self.besoin {
            p.push(("besoin", b.valeur().to_string()));
        }
        if let Some(o) = &self.origine {
            p.push(("pres_de", o.libelle.clone()));
            p.push(("latitude", format!("{:.6}", o.position.latitude)));
            p.push(("longitude", format!("{:.6}", o.position.longitude)));
        }
        if let Some(r) = self.rayon_km {
            p.push(("rayon_km", format_nombre(r)));
        }
        for v in self.prise_en_charge.iter() {
            p.push(("prise_en_charge_specifique", v.valeur().to_string()));
        }
        paires_disponibilite(&mut p, self.disponibilite);
        if self.strict {
            p.push(("strict", "true".to_string()));
        }
        p
    }

    pub fn requete(&self, extra: &[(&str, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.paires() {
            s.append_pair(k, &v);
        }
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referentiel() -> &'static Referentiel {
        match Referentiel::embarque() {
            Ok(r) => r,
            Err(e) => panic!("référentiel : {e}"),
        }
    }

    #[test]
    fn listes_par_virgules_et_cles_repetees() {
        let f = Filtres::analyser(
            "services=Aide%20aux%20d%C3%A9marches%20administratives,Loisirs%20et%20cr%C3%A9ations%20num%C3%A9riques&frais_a_charge=gratuit&frais_a_charge=Payant",
            referentiel(),
        )
        .expect("valid");
        assert_eq!(f.services.len(), 2);
        assert_eq!(f.frais_a_charge, Frais::Gratuit | Frais::Payant);
        let encore = Filtres::analyser(&f.requete(None), referentiel()).expect("round trip");
        assert_eq!(encore.services, f.services);
        assert_eq!(encore.frais_a_charge, f.frais_a_charge);
    }

    #[test]
    fn valeur_inconnue_nommee() {
        let e = Filtres::analyser("services=Jardinage", referentiel()).expect_err("unknown");
        assert_eq!(e.parametre, "services");
        assert_eq!(e.valeur, "Jardinage");
        assert!(e.message.contains("Jardinage") && e.message.contains("services"));
    }

    #[test]
    fn bornes() {
        for q in [
            "page=0",
            "page=10001",
            "par_page=101",
            "rayon_km=-1",
            "latitude=91&longitude=0",
            "latitude=45",
            "ouvert_maintenant=peut-etre",
            "ouvert_le=demain",
            "territoire=dep:ZZ",
            "territoire=dep:00",
            "tri=hasard",
        ] {
            assert!(Filtres::analyser(q, referentiel()).is_err(), "{q}");
        }
        let long = format!("q={}", "a".repeat(600));
        assert!(Filtres::analyser(&long, referentiel()).is_err());
        let f = Filtres::analyser("page=10000&par_page=100", referentiel()).expect("max");
        assert_eq!((f.page, f.par_page), (10_000, Some(100)));
    }

    #[test]
    fn disponibilites() {
        let f = Filtres::analyser("ouvert_le=2025-03-14T10:30", referentiel()).expect("le");
        assert!(matches!(f.disponibilite, Some(Disponibilite::Le(_))));
        let f = Filtres::analyser(
            "disponibilite=creneau&jour=samedi&de=09:00&a=12:00",
            referentiel(),
        )
        .expect("creneau");
        assert!(matches!(
            f.disponibilite,
            Some(Disponibilite::Creneau {
                jour: Weekday::Sat,
                ..
            })
        ));
        let f = Filtres::analyser("disponibilite=maintenant", referentiel()).expect("now");
        assert_eq!(f.disponibilite, Some(Disponibilite::Maintenant));
        let f = Filtres::analyser("ouvert_week_end=true", referentiel()).expect("we");
        assert_eq!(f.disponibilite, Some(Disponibilite::WeekEnd));
    }

    #[test]
    fn pres_de_une_commune() {
        let f = Filtres::analyser("pres_de=33000&rayon_km=10", referentiel()).expect("bordeaux");
        let o = f.origine.expect("origin");
        assert!((o.position.latitude - 44.84).abs() < 0.2, "{o:?}");
        assert!(Filtres::analyser("pres_de=Zzzzqqq", referentiel()).is_err());
    }
}
