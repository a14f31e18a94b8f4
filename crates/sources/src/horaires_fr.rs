//! French free-text opening hours → OSM `opening_hours`.
//!
//! Sources write hours by hand: `8h30-12h`, `9h à 12h et 14h à 17h`,
//! `Du lundi au vendredi de 9h00 à 12h00`, `Lundi : 9h-12h / 14h-17h`,
//! `fermé`, `sur rendez-vous`, `le deuxième mercredi du mois`, `semaines
//! paires`… The text is tokenised, then read as groups "days + time ranges".
//! Anything we do not understand makes the conversion fail (`Err` with a
//! French reason): wrong hours on a map are worse than none, so sentences
//! such as `(17h pendant les vacances scolaires)` or `sauf le jeudi` are
//! refused rather than half-read.

use std::collections::BTreeMap;

/// Reason returned by [`semaine_vers_osm`] when every day is empty or
/// closed: no information, which callers usually do not report.
pub const AUCUNE_PLAGE: &str = "aucune plage d'ouverture";

const JOURS_OSM: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const COMMENTAIRE_RDV: &str = "sur rendez-vous";

#[derive(Debug, Clone, PartialEq)]
enum Jeton {
    /// Minutes since midnight.
    Heure(u16),
    /// A bare number (`14` in `14 à 18h`), hours when next to a time.
    Nombre(u16),
    Jour(usize),
    Mot(String),
    /// `-`, `/`, `,`, `;`, `:`, `&`, `+`, end of line.
    Ponct(char),
    Parenthese(String),
}

fn normaliser_car(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
        'î' | 'ï' | 'Î' => 'i',
        'ô' | 'ö' | 'Ô' => 'o',
        'ù' | 'û' | 'ü' | 'Û' => 'u',
        'ç' | 'Ç' => 'c',
        '–' | '—' | '‐' | '‑' | '−' => '-',
        '’' | '‘' | '`' => '\'',
        '\u{a0}' | '\u{202f}' | '\t' => ' ',
        '\r' => '\n',
        c => c.to_ascii_lowercase(),
    }
}

fn jour_nomme(mot: &str) -> Option<usize> {
    let m = mot.strip_suffix('s').unwrap_or(mot);
    Some(match m {
        "lundi" | "lun" => 0,
        "mardi" | "mar" => 1,
        "mercredi" | "mer" => 2,
        "jeudi" | "jeu" => 3,
        "vendredi" | "ven" => 4,
        "samedi" | "sam" => 5,
        "dimanche" | "dim" => 6,
        _ => return None,
    })
}

fn lire_chiffres(c: &[char], i: &mut usize, max: usize) -> Option<(u16, usize)> {
    let debut = *i;
    let mut n: u32 = 0;
    while *i < c.len() && c[*i].is_ascii_digit() && *i - debut < max {
        n = n * 10 + c[*i].to_digit(10).unwrap_or(0);
        *i += 1;
    }
    let lus = *i - debut;
    (lus > 0).then_some((u16::try_from(n).unwrap_or(u16::MAX), lus))
}

fn sauter_espaces(c: &[char], mut i: usize) -> usize {
    while i < c.len() && c[i] == ' ' {
        i += 1;
    }
    i
}

fn tokeniser(texte: &str) -> Result<Vec<Jeton>, String> {
    let c: Vec<char> = texte.chars().map(normaliser_car).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == ' ' {
            i += 1;
        } else if ch.is_ascii_digit() {
            let debut = i;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            if i - debut > 2 {
                let n: String = c[debut..i].iter().collect();
                return Err(format!("nombre « {n} » inattendu"));
            }
            let mut k = debut;
            let (h, _) = lire_chiffres(&c, &mut k, 2).ok_or("nombre illisible")?;
            let j = sauter_espaces(&c, i);
            let marque = j < c.len()
                && (c[j] == 'h'
                    || c[j] == ':'
                    || (c[j] == '.' && j + 1 < c.len() && c[j + 1].is_ascii_digit()));
            if !marque {
                out.push(Jeton::Nombre(h));
                continue;
            }
            let mut j = j + 1;
            // `9 heures`, `9 heure`
            if c[j - 1] == 'h' {
                for suffixe in ["eures", "eure"] {
                    let s: Vec<char> = suffixe.chars().collect();
                    if c.get(j..j + s.len()) == Some(&s[..]) {
                        j += s.len();
                        break;
                    }
                }
            }
            // `9 h 30` has spaces on both sides of `h`; in `12h 14-18h` the
            // `14` after a tight `12h` is the next hour, not minutes.
            let espace_avant = j >= 2 && c[j - 2] == ' ';
            let k = if espace_avant {
                sauter_espaces(&c, j)
            } else {
                j
            };
            let mut m = k;
            let mut minutes = 0;
            if let Some((mm, lus)) = lire_chiffres(&c, &mut m, 2) {
                // `9h12h`: the digits after `h` are the next hour, not minutes.
                let apres = sauter_espaces(&c, m);
                let heure_suivante = apres < c.len() && (c[apres] == 'h' || c[apres] == ':');
                if !heure_suivante && lus == 2 {
                    minutes = mm;
                    j = m;
                } else if !heure_suivante && lus == 1 {
                    return Err("minutes sur un seul chiffre".to_string());
                }
            }
            if h > 24 || minutes > 59 || (h == 24 && minutes > 0) {
                return Err(format!("heure impossible {h}h{minutes:02}"));
            }
            out.push(Jeton::Heure(h * 60 + minutes));
            i = j;
        } else if ch.is_alphabetic() {
            let debut = i;
            while i < c.len() && c[i].is_alphabetic() {
                i += 1;
            }
            let mot: String = c[debut..i].iter().collect();
            // `rendez-vous` is one word.
            if mot == "rendez" && c.get(i) == Some(&'-') {
                let j = i + 1;
                let mut k = j;
                while k < c.len() && c[k].is_alphabetic() {
                    k += 1;
                }
                if c[j..k].iter().collect::<String>() == "vous" {
                    i = k;
                    out.push(Jeton::Mot("rendez-vous".to_string()));
                    continue;
                }
            }
            match jour_nomme(&mot) {
                Some(j) => out.push(Jeton::Jour(j)),
                None => out.push(Jeton::Mot(mot)),
            }
        } else if ch == '(' {
            let fin = c[i..]
                .iter()
                .position(|&x| x == ')')
                .ok_or("parenthèse non fermée")?;
            out.push(Jeton::Parenthese(c[i + 1..i + fin].iter().collect()));
            i += fin + 1;
        } else if "-/,;:&+\n".contains(ch) {
            out.push(Jeton::Ponct(ch));
            i += 1;
        } else if ".!'*".contains(ch) {
            i += 1;
        } else {
            return Err(format!("caractère « {ch} » inattendu"));
        }
    }
    Ok(out)
}

/// Words that carry no meaning for hours.
fn remplissage(mot: &str) -> bool {
    matches!(
        mot,
        "de" | "du"
            | "des"
            | "d"
            | "le"
            | "les"
            | "la"
            | "l"
            | "et"
            | "puis"
            | "h"
            | "ouvert"
            | "ouverte"
            | "ouverture"
            | "ouvertures"
            | "horaires"
            | "horaire"
            | "public"
            | "au"
            | "aux"
            | "a"
            | "en"
            | "continu"
            | "tous"
            | "toutes"
            | "uniquement"
            | "permanence"
            | "permanences"
            | "mois"
            | "chaque"
            | "non"
            | "stop"
    )
}

fn ordinal(mot: &str) -> Option<i8> {
    let m = mot.strip_suffix('s').unwrap_or(mot);
    Some(match m {
        "premier" | "premiere" | "er" => 1,
        "deuxieme" | "second" | "seconde" => 2,
        "troisieme" => 3,
        "quatrieme" => 4,
        "cinquieme" => 5,
        "dernier" | "derniere" => -1,
        _ => return None,
    })
}

/// Days of a group, each with its optional "nth of the month" list.
type SelJours = Vec<(usize, Vec<i8>)>;

#[derive(Debug, Default)]
struct Groupe {
    jours: SelJours,
    plages: Vec<(u16, u16)>,
    ferme: bool,
    demi_journee: bool,
    rdv: bool,
    /// Days were written after the times (`9h-12h du lundi au vendredi`).
    jours_apres: bool,
}

impl Groupe {
    fn vide(&self) -> bool {
        self.jours.is_empty() && self.plages.is_empty() && !self.ferme && !self.rdv
    }
}

/// Reads a run of days from `i` (`lundi, mardi et jeudi`, `du lundi au
/// vendredi`, `les deuxième et quatrième lundis`).
fn lire_jours(j: &[Jeton], mut i: usize) -> Result<(SelJours, usize, bool), String> {
    let mut jours: Vec<usize> = Vec::new();
    let mut ordinaux_par_jour: Vec<Vec<i8>> = Vec::new();
    let mut seps: Vec<bool> = Vec::new(); // true: range separator
    let mut ordinaux: Vec<i8> = Vec::new();
    let mut sep_courant: Option<(bool, bool)> = None; // (is range, is dash)
    let mut seps_tiret: Vec<bool> = Vec::new();
    let mut avec_ordinal = false;
    let debut = i;
    while i < j.len() {
        match &j[i] {
            Jeton::Jour(d) => {
                if !jours.is_empty() {
                    let (plage, tiret) = sep_courant.unwrap_or((false, false));
                    seps.push(plage);
                    seps_tiret.push(tiret);
                }
                jours.push(*d);
                if !ordinaux.is_empty() {
                    avec_ordinal = true;
                }
                ordinaux_par_jour.push(std::mem::take(&mut ordinaux));
                sep_courant = None;
                i += 1;
            }
            Jeton::Mot(m) if ordinal(m).is_some() => {
                ordinaux.extend(ordinal(m));
                i += 1;
            }
            Jeton::Nombre(n)
                if i + 1 < j.len()
                    && matches!(&j[i + 1], Jeton::Mot(m) if m == "e" || m == "eme" || m == "er") =>
            {
                ordinaux.push(i8::try_from(*n).map_err(|_| "rang impossible")?);
                i += 2;
            }
            Jeton::Mot(m) if (m == "au" || m == "a") && !jours.is_empty() => {
                sep_courant = Some((true, false));
                i += 1;
            }
            Jeton::Ponct('-') if !jours.is_empty() => {
                sep_courant = Some((true, true));
                i += 1;
            }
            Jeton::Ponct(',' | '/' | '&') | Jeton::Mot(_)
                if matches!(&j[i], Jeton::Ponct(_))
                    || matches!(&j[i], Jeton::Mot(m) if m == "et" || m == "le" || m == "les" || m == "ou") =>
            {
                // A list separator, only if another day (or ordinal) follows.
                let suivant = j[i + 1..]
                    .iter()
                    .find(|t| !matches!(t, Jeton::Mot(m) if m == "le" || m == "les" || m == "et"));
                let continue_liste = matches!(suivant, Some(Jeton::Jour(_)))
                    || matches!(suivant, Some(Jeton::Mot(m)) if ordinal(m).is_some());
                if !continue_liste {
                    break;
                }
                if sep_courant.is_none() && !jours.is_empty() {
                    sep_courant = Some((false, false));
                }
                i += 1;
            }
            _ => break,
        }
    }
    if jours.is_empty() {
        return Err(format!("jours illisibles près du jeton {debut}"));
    }
    if !ordinaux.is_empty() {
        return Err("rang du mois sans jour".to_string());
    }
    // `lundi-mardi-jeudi` lists days; a lone dash or `au` makes a range.
    let tirets_liste = jours.len() > 2;
    let mut sel: SelJours = Vec::new();
    for k in 0..jours.len() {
        let plage = k > 0 && seps[k - 1] && !(seps_tiret[k - 1] && tirets_liste);
        if plage {
            let (a, b) = (jours[k - 1], jours[k]);
            if b <= a {
                return Err("plage de jours à l'envers".to_string());
            }
            for d in a + 1..=b {
                sel.push((d, ordinaux_par_jour[k].clone()));
            }
        } else {
            sel.push((jours[k], ordinaux_par_jour[k].clone()));
        }
    }
    Ok((sel, i, avec_ordinal))
}

/// Reads a run of times from `i` and pairs them into ranges.
fn lire_heures(j: &[Jeton], mut i: usize) -> Result<(Vec<(u16, u16)>, usize), String> {
    let mut points: Vec<(u16, bool)> = Vec::new(); // (minutes, written as a time)
    while i < j.len() {
        match &j[i] {
            Jeton::Heure(m) => points.push((*m, true)),
            Jeton::Nombre(n) => points.push((n.saturating_mul(60), false)),
            Jeton::Ponct('-' | '/' | ',' | ';' | '&' | '+') => {}
            Jeton::Mot(m) if m == "a" || m == "et" || m == "de" || m == "puis" || m == "h" => {}
            Jeton::Parenthese(p) if p.contains("continu") => {}
            _ => break,
        }
        i += 1;
    }
    // Trailing connectors belong to what follows.
    while i > 0 && matches!(&j[i - 1], Jeton::Ponct(_) | Jeton::Mot(_)) {
        i -= 1;
    }
    if !points.iter().any(|p| p.1) {
        return Err("nombres sans heure".to_string());
    }
    if points.len() & 1 == 1 {
        return Err("heure de début ou de fin manquante".to_string());
    }
    let mut plages = Vec::new();
    for p in points.chunks(2) {
        let (a, b) = (p[0].0, p[1].0);
        if a > 24 * 60 || b > 24 * 60 {
            return Err("heure impossible".to_string());
        }
        if b <= a {
            return Err(format!(
                "plage {} - {} à l'envers",
                format_heure(a),
                format_heure(b)
            ));
        }
        plages.push((a, b));
    }
    Ok((plages, i))
}

fn format_heure(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// What the text says, before rendering.
#[derive(Debug, Default)]
struct Lecture {
    groupes: Vec<Groupe>,
    /// `week 2-52/2` for `semaines paires`.
    semaines: Option<&'static str>,
    rdv_global: bool,
}

fn lire(texte: &str) -> Result<Lecture, String> {
    let j = tokeniser(texte)?;
    let mut lecture = Lecture::default();
    let mut cur = Groupe::default();
    let mut mois_requis = false;
    let mut mois_vu = false;
    let mut i = 0;
    let mut precedent_mot: Option<String> = None;
    while i < j.len() {
        let mot_courant = if let Jeton::Mot(m) = &j[i] {
            Some(m.clone())
        } else {
            None
        };
        match &j[i] {
            Jeton::Jour(_) => {
                let (jours, suite, ordinal) = lire_jours(&j, i)?;
                mois_requis |= ordinal;
                if cur.rdv && cur.plages.is_empty() && !cur.jours.is_empty() {
                    // `Mercredi : (sur rendez-vous) Jeudi : 14h-17h`.
                    lecture.groupes.push(std::mem::take(&mut cur));
                    cur.jours = jours;
                } else if !cur.plages.is_empty() || cur.ferme {
                    if cur.jours.is_empty() && !cur.ferme {
                        cur.jours = jours;
                        cur.jours_apres = true;
                    } else if cur.jours.is_empty() && cur.ferme && cur.plages.is_empty() {
                        cur.jours = jours;
                    } else {
                        lecture.groupes.push(std::mem::take(&mut cur));
                        cur.jours = jours;
                    }
                } else {
                    cur.jours.extend(jours);
                }
                i = suite;
                precedent_mot = None;
                continue;
            }
            Jeton::Mot(m) if ordinal(m).is_some() => {
                let (jours, suite, _) = lire_jours(&j, i)?;
                mois_requis = true;
                if !cur.plages.is_empty() || cur.ferme {
                    lecture.groupes.push(std::mem::take(&mut cur));
                }
                cur.jours.extend(jours);
                i = suite;
                continue;
            }
            Jeton::Heure(_) | Jeton::Nombre(_) => {
                let (plages, suite) = lire_heures(&j, i)?;
                if cur.jours_apres || cur.ferme {
                    lecture.groupes.push(std::mem::take(&mut cur));
                }
                cur.plages.extend(plages);
                i = suite.max(i + 1);
                precedent_mot = None;
                continue;
            }
            Jeton::Mot(m) => match m.as_str() {
                "ferme" | "fermee" | "fermes" | "fermees" | "fermeture" => {
                    if !cur.plages.is_empty() && !cur.jours.is_empty() {
                        lecture.groupes.push(std::mem::take(&mut cur));
                    }
                    cur.ferme = true;
                }
                "matin" | "matins" | "apres" | "midi" | "midis" | "apresmidi" => {
                    cur.demi_journee = true
                }
                "rendez-vous" | "rdv" => match precedent_mot.as_deref() {
                    Some("sur") | Some("avec") | Some("uniquement") => {
                        if cur.vide() && lecture.groupes.is_empty() {
                            lecture.rdv_global = true;
                        } else {
                            cur.rdv = true;
                        }
                    }
                    Some("sans") => {}
                    _ => return Err(format!("« {m} » sans « sur » ni « sans »")),
                },
                "sur" | "sans" | "avec" => {
                    let suivant = j.get(i + 1);
                    if !matches!(suivant, Some(Jeton::Mot(s)) if s == "rendez-vous" || s == "rdv") {
                        return Err(format!("« {m} » non compris"));
                    }
                }
                "semaine" | "semaines" => {
                    match j.get(i + 1) {
                        Some(Jeton::Mot(s)) if s.starts_with("paire") => {
                            lecture.semaines = Some("week 2-52/2");
                            i += 1;
                        }
                        Some(Jeton::Mot(s)) if s.starts_with("impaire") => {
                            lecture.semaines = Some("week 1-53/2");
                            i += 1;
                        }
                        _ if precedent_mot.as_deref() == Some("la") => {
                            // `la semaine` = weekdays.
                            let jours: SelJours = (0..5).map(|d| (d, Vec::new())).collect();
                            if !cur.plages.is_empty() {
                                lecture.groupes.push(std::mem::take(&mut cur));
                            }
                            cur.jours.extend(jours);
                        }
                        _ => return Err("« semaine » non compris".to_string()),
                    }
                }
                "jours"
                    if precedent_mot.as_deref() == Some("les")
                        || precedent_mot.as_deref() == Some("tous") =>
                {
                    let jours: SelJours = (0..7).map(|d| (d, Vec::new())).collect();
                    if !cur.plages.is_empty() {
                        lecture.groupes.push(std::mem::take(&mut cur));
                    }
                    cur.jours.extend(jours);
                }
                "mois" => mois_vu = true,
                autre if remplissage(autre) => {}
                autre => return Err(format!("mot « {autre} » non compris")),
            },
            Jeton::Ponct(_) => {}
            Jeton::Parenthese(p) => {
                let p = p.chars().map(normaliser_car).collect::<String>();
                if p.contains("rendez-vous") || p.contains("rdv") {
                    if cur.vide() && lecture.groupes.is_empty() {
                        lecture.rdv_global = true;
                    } else {
                        cur.rdv = true;
                    }
                } else if !(p.contains("continu") || p.trim() == "non stop") {
                    return Err(format!("précision « ({p}) » non comprise"));
                }
            }
        }
        if let Some(m) = mot_courant {
            // `tous les jours`: keep the meaningful word before the filler.
            if !(m == "les" && precedent_mot.as_deref() == Some("tous")) {
                precedent_mot = Some(m);
            }
        } else {
            precedent_mot = None;
        }
        i += 1;
    }
    if !cur.vide() || cur.demi_journee {
        lecture.groupes.push(cur);
    }
    if mois_requis && !mois_vu {
        return Err("rang de jour sans « du mois »".to_string());
    }
    for g in &lecture.groupes {
        if g.ferme && !g.plages.is_empty() {
            return Err("fermeture partielle non comprise".to_string());
        }
        if g.ferme && g.demi_journee {
            return Err("fermeture d'une demi-journée non gérée".to_string());
        }
        if g.plages.is_empty() && !g.ferme && !g.rdv && !lecture.rdv_global {
            if g.demi_journee {
                return Err("demi-journée sans heures".to_string());
            }
            return Err("jours sans heures".to_string());
        }
    }
    Ok(lecture)
}

/// One day as read: ranges, by appointment, closed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Jour {
    plages: Vec<(u16, u16)>,
    rdv: bool,
}

fn fusionner(plages: &mut Vec<(u16, u16)>) {
    plages.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(plages.len());
    for &(a, b) in plages.iter() {
        match out.last_mut() {
            Some(last) if a < last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *plages = out;
}

fn rendre_jour(j: &Jour) -> String {
    let mut s = j
        .plages
        .iter()
        .map(|&(a, b)| format!("{}-{}", format_heure(a), format_heure(b)))
        .collect::<Vec<_>>()
        .join(",");
    if j.rdv {
        if s.is_empty() {
            // A comment alone would mean "open all day": say unknown.
            s.push_str("unknown");
        }
        s.push(' ');
        s.push('"');
        s.push_str(COMMENTAIRE_RDV);
        s.push('"');
    }
    s
}

/// Reads one day's text (no day names): `None` when it says closed or
/// nothing (`-`, `fermé`).
fn lire_jour(texte: &str) -> Result<Option<Jour>, String> {
    let lecture = lire(texte)?;
    let mut jour = Jour {
        rdv: lecture.rdv_global,
        ..Jour::default()
    };
    for g in &lecture.groupes {
        if !g.jours.is_empty() {
            return Err("nom de jour dans l'horaire d'un jour".to_string());
        }
        if g.ferme {
            continue;
        }
        jour.plages.extend(&g.plages);
        jour.rdv |= g.rdv;
    }
    if lecture.semaines.is_some() {
        return Err("semaines paires ou impaires dans l'horaire d'un jour".to_string());
    }
    fusionner(&mut jour.plages);
    Ok((!jour.plages.is_empty() || jour.rdv).then_some(jour))
}

/// One day's French text → OSM time selector (`09:00-12:00,14:00-17:00`),
/// `off` when the text says closed or nothing.
pub fn jour_vers_osm(texte: &str) -> Result<String, String> {
    Ok(match lire_jour(texte)? {
        Some(j) => rendre_jour(&j),
        None => "off".to_string(),
    })
}

/// Renders days → hours: consecutive days with identical hours make a
/// range (`Mo-Fr`), and ranges with identical hours share one rule
/// (`Mo-Tu,Th-Fr 08:30-16:00`).
fn rendre_semaine(jours: &BTreeMap<(Vec<i8>, usize), Jour>, semaines: Option<&str>) -> String {
    // (hours, day selectors) in order of first appearance.
    let mut regles: Vec<(&Jour, Vec<String>)> = Vec::new();
    let mut ordres: Vec<&Vec<i8>> = jours.keys().map(|(o, _)| o).collect();
    ordres.dedup();
    for ordre in ordres {
        let mut d = 0;
        while d < 7 {
            let Some(j) = jours.get(&(ordre.clone(), d)) else {
                d += 1;
                continue;
            };
            let mut fin = d;
            while fin + 1 < 7 && jours.get(&(ordre.clone(), fin + 1)) == Some(j) {
                fin += 1;
            }
            let rang = if ordre.is_empty() {
                String::new()
            } else {
                format!(
                    "[{}]",
                    ordre
                        .iter()
                        .map(i8::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            };
            let sel = if fin == d {
                format!("{}{rang}", JOURS_OSM[d])
            } else if rang.is_empty() {
                format!("{}-{}", JOURS_OSM[d], JOURS_OSM[fin])
            } else {
                // `Mo-We[2]` is not valid: list the days.
                (d..=fin)
                    .map(|x| format!("{}{rang}", JOURS_OSM[x]))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            match regles.iter_mut().find(|(h, _)| *h == j) {
                Some((_, sels)) => sels.push(sel),
                None => regles.push((j, vec![sel])),
            }
            d = fin + 1;
        }
    }
    regles
        .into_iter()
        .map(|(j, sels)| {
            let mut regle = String::new();
            if let Some(s) = semaines {
                regle.push_str(s);
                regle.push(' ');
            }
            regle.push_str(&sels.join(","));
            regle.push(' ');
            regle.push_str(&rendre_jour(j));
            regle
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Per-day French texts (`("Mo", "8h30-12h / 13h30-17h")`, …) → one OSM
/// text. Empty or closed days are left out (closed is the default).
pub fn semaine_vers_osm(jours: &[(&str, &str)]) -> Result<String, String> {
    let mut carte: BTreeMap<(Vec<i8>, usize), Jour> = BTreeMap::new();
    for (code, texte) in jours {
        let d = JOURS_OSM
            .iter()
            .position(|j| j.eq_ignore_ascii_case(code.get(..2).unwrap_or(code)))
            .ok_or_else(|| format!("jour OSM inconnu « {code} »"))?;
        let lu = lire_jour(texte).map_err(|e| format!("{} : {e}", JOURS_OSM[d]))?;
        if let Some(j) = lu {
            let entree = carte.entry((Vec::new(), d)).or_default();
            entree.plages.extend(j.plages);
            entree.rdv |= j.rdv;
            fusionner(&mut entree.plages);
        }
    }
    if carte.is_empty() {
        return Err(AUCUNE_PLAGE.to_string());
    }
    Ok(rendre_semaine(&carte, None))
}

/// A whole week in one French text (`Du lundi au vendredi de 9h à 12h`) →
/// OSM. A text with times but no day names gives times alone (every day).
pub fn texte_semaine_vers_osm(texte: &str) -> Result<String, String> {
    let lecture = lire(texte)?;
    let avec_jours = lecture.groupes.iter().any(|g| !g.jours.is_empty());
    if !avec_jours {
        let mut j = Jour {
            rdv: lecture.rdv_global,
            ..Jour::default()
        };
        for g in lecture.groupes.iter().filter(|g| !g.ferme) {
            j.plages.extend(&g.plages);
            j.rdv |= g.rdv;
        }
        fusionner(&mut j.plages);
        if j.plages.is_empty() {
            return Err(if j.rdv {
                "sur rendez-vous sans jours ni heures".to_string()
            } else {
                AUCUNE_PLAGE.to_string()
            });
        }
        let s = rendre_jour(&j);
        return Ok(match lecture.semaines {
            Some(w) => format!("{w} {s}"),
            None => s,
        });
    }
    let mut carte: BTreeMap<(Vec<i8>, usize), Jour> = BTreeMap::new();
    let mut fermes: Vec<usize> = Vec::new();
    for g in &lecture.groupes {
        if g.jours.is_empty() {
            return Err("heures sans jours à côté d'heures avec jours".to_string());
        }
        for (d, ordre) in &g.jours {
            if g.ferme {
                fermes.push(*d);
                continue;
            }
            let entree = carte.entry((ordre.clone(), *d)).or_default();
            entree.plages.extend(&g.plages);
            entree.rdv |= g.rdv || lecture.rdv_global;
            fusionner(&mut entree.plages);
        }
    }
    if fermes.iter().any(|d| carte.keys().any(|(_, x)| x == d)) {
        return Err("jour à la fois ouvert et fermé".to_string());
    }
    if carte.is_empty() {
        return Err(AUCUNE_PLAGE.to_string());
    }
    Ok(rendre_semaine(&carte, lecture.semaines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_day_forms() {
        assert_eq!(jour_vers_osm("8h30-12h").as_deref(), Ok("08:30-12:00"));
        assert_eq!(
            jour_vers_osm("8h30 - 12h / 13h30-17h").as_deref(),
            Ok("08:30-12:00,13:30-17:00")
        );
        assert_eq!(
            jour_vers_osm("9h à 12h et 14h à 17h").as_deref(),
            Ok("09:00-12:00,14:00-17:00")
        );
        assert_eq!(jour_vers_osm("09:00-12:00").as_deref(), Ok("09:00-12:00"));
        assert_eq!(
            jour_vers_osm("de 9h00 à 12h00").as_deref(),
            Ok("09:00-12:00")
        );
        assert_eq!(jour_vers_osm("9h12h").as_deref(), Ok("09:00-12:00"));
        assert_eq!(
            jour_vers_osm("9-12h 14-18h").as_deref(),
            Ok("09:00-12:00,14:00-18:00")
        );
        assert_eq!(
            jour_vers_osm("9 h 30 – 12 h / 15 h 30 – 18 h").as_deref(),
            Ok("09:30-12:00,15:30-18:00")
        );
        assert_eq!(jour_vers_osm("8:-11:").as_deref(), Ok("08:00-11:00"));
        assert_eq!(jour_vers_osm("14 à 18h").as_deref(), Ok("14:00-18:00"));
        assert_eq!(
            jour_vers_osm("7 : 30 - 11 : 30 / 12 : 30 - 15 :30").as_deref(),
            Ok("07:30-11:30,12:30-15:30")
        );
        assert_eq!(jour_vers_osm("Fermé").as_deref(), Ok("off"));
        assert_eq!(jour_vers_osm("-").as_deref(), Ok("off"));
        assert_eq!(
            jour_vers_osm("sur rendez-vous").as_deref(),
            Ok("unknown \"sur rendez-vous\"")
        );
        assert!(jour_vers_osm("réservé aux scolaires").is_err());
        assert!(jour_vers_osm("08:00-11:30 (les premiers samedis de chaque mois)").is_err());
        assert!(jour_vers_osm("12h-9h").is_err());
        assert!(jour_vers_osm("x").is_err());
    }

    #[test]
    fn week_from_days_groups_consecutive_identical_days() {
        let s = semaine_vers_osm(&[
            ("Mo", "9h-12h"),
            ("Tu", "09:00-12:00"),
            ("We", "9h à 12h"),
            ("Th", "9h-12h / 14h-17h"),
            ("Fr", "-"),
            ("Sa", "fermé"),
        ]);
        assert_eq!(
            s.as_deref(),
            Ok("Mo-We 09:00-12:00; Th 09:00-12:00,14:00-17:00")
        );
        assert_eq!(
            semaine_vers_osm(&[("Mo", "-"), ("Tu", "")]),
            Err(AUCUNE_PLAGE.to_string())
        );
    }

    #[test]
    fn week_texts() {
        assert_eq!(
            texte_semaine_vers_osm("Du lundi au vendredi de 9h00 à 12h00 et de 14h00 à 17h00")
                .as_deref(),
            Ok("Mo-Fr 09:00-12:00,14:00-17:00")
        );
        assert_eq!(
            texte_semaine_vers_osm("9h-12h et 14h-17h du lundi au vendredi").as_deref(),
            Ok("Mo-Fr 09:00-12:00,14:00-17:00")
        );
        assert_eq!(
            texte_semaine_vers_osm(
                "Lundi et Jeudi : 14h à 18h Mardi et Vendredi : 9h à 12h30 et 14h à 18h Samedi : 9h à 12h30"
            )
            .as_deref(),
            Ok("Mo,Th 14:00-18:00; Tu,Fr 09:00-12:30,14:00-18:00; Sa 09:00-12:30")
        );
        assert_eq!(
            texte_semaine_vers_osm("Le deuxième mercredi du mois de 14h00 à 17h00").as_deref(),
            Ok("We[2] 14:00-17:00")
        );
        assert_eq!(
            texte_semaine_vers_osm("Les deuxième et quatrième jeudis du mois de 15h30 à 17h00")
                .as_deref(),
            Ok("Th[2,4] 15:30-17:00")
        );
        assert_eq!(
            texte_semaine_vers_osm("Mardi semaines paires 9h-12h").as_deref(),
            Ok("week 2-52/2 Tu 09:00-12:00")
        );
        assert_eq!(
            texte_semaine_vers_osm("La semaine de 8h30 à 12h00 et le samedi de 9h15 à 11h30")
                .as_deref(),
            Ok("Mo-Fr 08:30-12:00; Sa 09:15-11:30")
        );
        assert_eq!(
            texte_semaine_vers_osm(
                "Du lundi au vendredi, de 8h30 à 17h, sur rendez-vous uniquement"
            )
            .as_deref(),
            Ok("Mo-Fr 08:30-17:00 \"sur rendez-vous\"")
        );
        assert_eq!(
            texte_semaine_vers_osm("Les lundi, mardi, jeudi et vendredi de 8h30 à 16h00")
                .as_deref(),
            Ok("Mo-Tu,Th-Fr 08:30-16:00")
        );
        assert_eq!(
            texte_semaine_vers_osm(
                "Mardi : 10h à 12h Mercredi : (sur rendez-vous) Jeudi : 14h à 17h"
            )
            .as_deref(),
            Ok("Tu 10:00-12:00; We unknown \"sur rendez-vous\"; Th 14:00-17:00")
        );
        assert!(texte_semaine_vers_osm("Du lundi au vendredi").is_err());
        assert!(texte_semaine_vers_osm("Tous les jours sauf le mercredi après-midi.").is_err());
        assert!(texte_semaine_vers_osm(
            "Lundi au vendredi, 9h à 12h30 (17h00 pendant les vacances scolaires)"
        )
        .is_err());
    }
}
