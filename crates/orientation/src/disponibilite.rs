//! Availability: opening hours evaluated in the place's time zone, with the
//! French public holidays (`PH off` closes on 25 December).
//!
//! Each distinct `horaires` text of a catalogue is parsed once
//! (`TableHoraires`). A query asks each place a question in its local
//! time ("open at 10:31?", "open on 21–22 March?"); each distinct hours text
//! answers each distinct question at most once, and the answers are shared
//! by the queries asking the same question (`Evaluateur`).

use std::collections::VecDeque;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use opening_hours::localization::Country;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};
use serde::Serialize;

/// When the person wants the place to be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disponibilite {
    /// Open at `maintenant`.
    Maintenant,
    /// Open at this local time of the place.
    Le(NaiveDateTime),
    /// Open at some time on the next Saturday or the next Sunday (today
    /// included when today is one of them).
    WeekEnd,
    /// Open at some point of the window on the next such day (today included
    /// when today is that day). `fin <= debut` means "until midnight".
    Creneau {
        jour: Weekday,
        debut: NaiveTime,
        fin: NaiveTime,
    },
}

/// Time zone of a place, from its département: mainland and Corsica use
/// Europe/Paris, each overseas territory its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Fuseau {
    #[default]
    Paris,
    /// 971, and 977 Saint-Barthélemy, 978 Saint-Martin.
    Guadeloupe,
    /// 972.
    Martinique,
    /// 973.
    Cayenne,
    /// 974.
    Reunion,
    /// 975.
    Miquelon,
    /// 976.
    Mayotte,
    /// 984 (Terres australes).
    Kerguelen,
    /// 986.
    Wallis,
    /// 987.
    Tahiti,
    /// 988.
    Noumea,
}

impl Fuseau {
    pub const TOUS: [Fuseau; 11] = [
        Fuseau::Paris,
        Fuseau::Guadeloupe,
        Fuseau::Martinique,
        Fuseau::Cayenne,
        Fuseau::Reunion,
        Fuseau::Miquelon,
        Fuseau::Mayotte,
        Fuseau::Kerguelen,
        Fuseau::Wallis,
        Fuseau::Tahiti,
        Fuseau::Noumea,
    ];

    /// From a département code (`33`, `2A`, `974`); unknown → Paris.
    pub fn depuis_departement(code: &str) -> Fuseau {
        match code {
            "971" | "977" | "978" => Fuseau::Guadeloupe,
            "972" => Fuseau::Martinique,
            "973" => Fuseau::Cayenne,
            "974" => Fuseau::Reunion,
            "975" => Fuseau::Miquelon,
            "976" => Fuseau::Mayotte,
            "984" => Fuseau::Kerguelen,
            "986" => Fuseau::Wallis,
            "987" => Fuseau::Tahiti,
            "988" => Fuseau::Noumea,
            _ => Fuseau::Paris,
        }
    }

    pub fn tz(self) -> chrono_tz::Tz {
        use chrono_tz::{America, Europe, Indian, Pacific};
        match self {
            Fuseau::Paris => Europe::Paris,
            Fuseau::Guadeloupe => America::Guadeloupe,
            Fuseau::Martinique => America::Martinique,
            Fuseau::Cayenne => America::Cayenne,
            Fuseau::Reunion => Indian::Reunion,
            Fuseau::Miquelon => America::Miquelon,
            Fuseau::Mayotte => Indian::Mayotte,
            Fuseau::Kerguelen => Indian::Kerguelen,
            Fuseau::Wallis => Pacific::Wallis,
            Fuseau::Tahiti => Pacific::Tahiti,
            Fuseau::Noumea => Pacific::Noumea,
        }
    }

    /// IANA name (`Europe/Paris`).
    pub fn nom(self) -> &'static str {
        self.tz().name()
    }

    /// Local wall-clock time of the place at the UTC instant.
    pub fn heure_locale(self, maintenant: DateTime<Utc>) -> NaiveDateTime {
        maintenant.with_timezone(&self.tz()).naive_local()
    }

    pub(crate) fn rang(self) -> usize {
        self as usize
    }
}

/// French public holidays (national list of the embedded database; the
/// overseas-only days such as the abolition of slavery are not in it).
fn feries() -> &'static ContextHolidays {
    static FERIES: OnceLock<ContextHolidays> = OnceLock::new();
    FERIES.get_or_init(|| Country::FR.holidays())
}

/// True when `date` is a French public holiday.
pub fn jour_ferie(date: NaiveDate) -> bool {
    feries().get_public().contains(date)
}

/// Parses an `horaires` text with the French holidays attached; `None` when
/// unreadable (the place then never counts as open).
pub(crate) fn analyser(texte: &str) -> Option<OpeningHours> {
    let oh = maillage_lieux::horaires::analyser(texte).ok()?;
    Some(oh.with_context(Context::default().with_holidays(feries().clone())))
}

/// Open at `t`. The evaluator is third-party code run on producer text: a
/// panic in it means "not open", never a crash.
pub(crate) fn ouvert_a(oh: &OpeningHours, t: NaiveDateTime) -> bool {
    catch_unwind(AssertUnwindSafe(|| oh.is_open(t))).unwrap_or(false)
}

/// Open intervals within `debut..fin`, contiguous ones merged.
pub(crate) fn plages_ouvertes(
    oh: &OpeningHours,
    debut: NaiveDateTime,
    fin: NaiveDateTime,
) -> Vec<Range<NaiveDateTime>> {
    if fin <= debut {
        return Vec::new();
    }
    catch_unwind(AssertUnwindSafe(|| {
        let mut plages: Vec<Range<NaiveDateTime>> = Vec::new();
        for r in oh.iter_range(debut, fin) {
            if r.kind != RuleKind::Open {
                continue;
            }
            match plages.last_mut() {
                Some(p) if p.end == r.range.start => p.end = r.range.end,
                _ => plages.push(r.range),
            }
        }
        plages
    }))
    .unwrap_or_default()
}

fn ouvert_entre(oh: &OpeningHours, debut: NaiveDateTime, fin: NaiveDateTime) -> bool {
    if fin <= debut {
        return false;
    }
    catch_unwind(AssertUnwindSafe(|| {
        oh.iter_range(debut, fin).any(|r| r.kind == RuleKind::Open)
    }))
    .unwrap_or(false)
}

/// The next `jour` on or after `date`.
fn prochain(date: NaiveDate, jour: Weekday) -> NaiveDate {
    let ecart = (7 + jour.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ecart))
}

fn journee(date: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let debut = date.and_time(NaiveTime::MIN);
    (debut, debut + Duration::days(1))
}

/// An availability question in a place's local time: what the answer
/// depends on, and nothing else, so that answers can be shared by every
/// query (and every time zone) asking the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    /// Open at this local minute (hours have minute precision: the seconds
    /// never change the answer).
    Instant(NaiveDateTime),
    /// Open some time on this Saturday and the Sunday after it; or, asked on
    /// a Sunday, on that Sunday or the next Saturday.
    WeekEnd {
        samedi: NaiveDate,
        dimanche: Option<NaiveDate>,
    },
    /// Open some time in `debut..fin` (local).
    Fenetre(NaiveDateTime, NaiveDateTime),
}

fn a_la_minute(t: NaiveDateTime) -> NaiveDateTime {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

impl Disponibilite {
    /// The question asked of a place whose local time is `local`.
    fn question(&self, local: NaiveDateTime) -> Question {
        match *self {
            Disponibilite::Maintenant => Question::Instant(a_la_minute(local)),
            Disponibilite::Le(t) => Question::Instant(a_la_minute(t)),
            Disponibilite::WeekEnd => Question::WeekEnd {
                samedi: prochain(local.date(), Weekday::Sat),
                dimanche: (local.weekday() == Weekday::Sun).then(|| local.date()),
            },
            Disponibilite::Creneau { jour, debut, fin } => {
                let date = prochain(local.date(), jour);
                let b = if fin <= debut {
                    journee(date).1
                } else {
                    date.and_time(fin)
                };
                Question::Fenetre(date.and_time(debut), b)
            }
        }
    }
}

impl Question {
    fn reponse(&self, oh: &OpeningHours) -> bool {
        match *self {
            Question::Instant(t) => ouvert_a(oh, t),
            Question::WeekEnd {
                samedi,
                dimanche: Some(d),
            } => {
                let (a, b) = journee(d);
                let (c, e) = journee(samedi);
                ouvert_entre(oh, a, b) || ouvert_entre(oh, c, e)
            }
            Question::WeekEnd {
                samedi,
                dimanche: None,
            } => {
                // Saturday and Sunday in one pass.
                let debut = journee(samedi).0;
                ouvert_entre(oh, debut, debut + Duration::days(2))
            }
            Question::Fenetre(a, b) => ouvert_entre(oh, a, b),
        }
    }
}

/// The distinct parsed opening hours of a catalogue, and the answers to
/// recent questions.
#[derive(Debug, Default)]
pub(crate) struct TableHoraires {
    pub(crate) analyses: Vec<Option<OpeningHours>>,
    memos: Memos,
}

impl TableHoraires {
    pub(crate) fn new(analyses: Vec<Option<OpeningHours>>) -> Self {
        TableHoraires {
            analyses,
            memos: Memos::default(),
        }
    }
}

/// Marker of "no hours" in per-place horaires ids.
pub(crate) const SANS_HORAIRES: u32 = u32::MAX;

/// Answers per distinct hours: 0 = not computed, 1 = yes, 2 = no.
#[derive(Debug)]
struct Memo(Box<[AtomicU8]>);

/// The answer tables of the last distinct questions, shared by concurrent
/// queries: everyone asking "open now?" in the same minute, "open at the
/// weekend?" in the same week, gets the same answers.
#[derive(Debug, Default)]
struct Memos(Mutex<VecDeque<(Question, Arc<Memo>)>>);

/// A few minutes of "now" for each time zone in use, and the other questions.
const MEMOS_MAX: usize = 64;

impl Memos {
    fn obtenir(&self, question: Question, taille: usize) -> Arc<Memo> {
        let nouveau = || Arc::new(Memo((0..taille).map(|_| AtomicU8::new(0)).collect()));
        // A poisoned lock only loses the sharing.
        let Ok(mut memos) = self.0.lock() else {
            return nouveau();
        };
        if let Some((_, m)) = memos.iter().find(|(q, _)| *q == question) {
            return m.clone();
        }
        let m = nouveau();
        if memos.len() >= MEMOS_MAX {
            memos.pop_front();
        }
        memos.push_back((question, m.clone()));
        m
    }
}

/// Answers "is it available?" for one query.
pub(crate) struct Evaluateur<'a> {
    table: &'a TableHoraires,
    /// The question in each time zone, and its answers once fetched.
    questions: [(Question, Option<Arc<Memo>>); Fuseau::TOUS.len()],
}

impl<'a> Evaluateur<'a> {
    pub(crate) fn new(
        table: &'a TableHoraires,
        disponibilite: Disponibilite,
        maintenant: DateTime<Utc>,
    ) -> Self {
        Evaluateur {
            table,
            questions: Fuseau::TOUS
                .map(|f| (disponibilite.question(f.heure_locale(maintenant)), None)),
        }
    }

    pub(crate) fn disponible(&mut self, horaires: u32, fuseau: Fuseau) -> bool {
        let Some(oh) = self.table.analyses.get(horaires as usize) else {
            return false;
        };
        let table = self.table;
        let (question, memo) = &mut self.questions[fuseau.rang()];
        let memo = memo.get_or_insert_with(|| table.memos.obtenir(*question, table.analyses.len()));
        let Some(case) = memo.0.get(horaires as usize) else {
            return false;
        };
        match case.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                let ok = oh.as_ref().is_some_and(|oh| question.reponse(oh));
                // Racing writers store the same answer.
                case.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
                ok
            }
        }
    }
}

/// Open or closed now, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "etat", rename_all = "snake_case")]
pub enum EtatOuverture {
    /// `ferme_a`: local time of closing, when within the next 8 days.
    Ouvert { ferme_a: Option<NaiveDateTime> },
    /// `ouvre_a`: local time of the next opening, within the next 8 days.
    Ferme { ouvre_a: Option<NaiveDateTime> },
    /// No hours, unreadable hours, or hours saying "unknown" now.
    Inconnu,
}

/// How far ahead the next change is looked for.
const HORIZON_JOURS: i64 = 8;

pub(crate) fn etat(oh: Option<&OpeningHours>, local: NaiveDateTime) -> EtatOuverture {
    let Some(oh) = oh else {
        return EtatOuverture::Inconnu;
    };
    let etat = catch_unwind(AssertUnwindSafe(|| oh.state(local).0));
    let horizon = local + Duration::days(HORIZON_JOURS);
    match etat {
        Ok(RuleKind::Open) => {
            let fin = plages_ouvertes(oh, local, horizon)
                .first()
                .map(|p| p.end)
                .filter(|&f| f < horizon);
            EtatOuverture::Ouvert { ferme_a: fin }
        }
        Ok(RuleKind::Closed) => EtatOuverture::Ferme {
            ouvre_a: plages_ouvertes(oh, local, horizon)
                .into_iter()
                .map(|p| p.start)
                .find(|&d| d > local),
        },
        _ => EtatOuverture::Inconnu,
    }
}

/// French day name, lower case.
pub fn nom_jour(jour: Weekday) -> &'static str {
    match jour {
        Weekday::Mon => "lundi",
        Weekday::Tue => "mardi",
        Weekday::Wed => "mercredi",
        Weekday::Thu => "jeudi",
        Weekday::Fri => "vendredi",
        Weekday::Sat => "samedi",
        Weekday::Sun => "dimanche",
    }
}

fn heure(t: NaiveDateTime, jour: NaiveDate) -> String {
    if t.date() > jour && t.time() == NaiveTime::MIN {
        "24:00".to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

/// `aujourd'hui`, `demain` or the day name, for a moment after `local`.
fn quand(t: NaiveDateTime, local: NaiveDateTime) -> String {
    let jours = (t.date() - local.date()).num_days();
    match jours {
        0 => "aujourd'hui".to_string(),
        1 => "demain".to_string(),
        _ => nom_jour(t.weekday()).to_string(),
    }
}

impl EtatOuverture {
    /// The badge text: `Ouvert — ferme à 18:00`, `Fermé — ouvre lundi à
    /// 09:00`, `Fermé — ouvre demain à 09:00`. `local` is the place's local
    /// time the state was computed at.
    pub fn libelle(&self, local: NaiveDateTime) -> String {
        match *self {
            EtatOuverture::Ouvert { ferme_a: Some(t) } => {
                if t.time() == NaiveTime::MIN && (t.date() - local.date()).num_days() == 1 {
                    "Ouvert — ferme à minuit".to_string()
                } else if t.date() == local.date() {
                    format!("Ouvert — ferme à {}", t.format("%H:%M"))
                } else {
                    format!("Ouvert — ferme {} à {}", quand(t, local), t.format("%H:%M"))
                }
            }
            EtatOuverture::Ouvert { ferme_a: None } => "Ouvert".to_string(),
            EtatOuverture::Ferme { ouvre_a: Some(t) } => {
                format!("Fermé — ouvre {} à {}", quand(t, local), t.format("%H:%M"))
            }
            EtatOuverture::Ferme { ouvre_a: None } => "Fermé".to_string(),
            EtatOuverture::Inconnu => "Horaires non renseignés".to_string(),
        }
    }

    pub fn ouvert(&self) -> bool {
        matches!(self, EtatOuverture::Ouvert { .. })
    }
}

/// One day of the weekly timetable of a place page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JourHoraires {
    pub date: NaiveDate,
    /// `lundi` … `dimanche`.
    pub jour: &'static str,
    /// `09:00–12:00`, in order; empty when closed all day.
    pub intervalles: Vec<String>,
    /// French public holiday.
    pub ferie: bool,
    pub aujourd_hui: bool,
}

/// The 7 days from the local date of `local`.
pub(crate) fn semaine(oh: Option<&OpeningHours>, local: NaiveDateTime) -> Vec<JourHoraires> {
    (0..7)
        .map(|k| {
            let date = local.date() + Duration::days(k);
            let (a, b) = journee(date);
            let intervalles = oh
                .map(|oh| {
                    plages_ouvertes(oh, a, b)
                        .into_iter()
                        .map(|p| format!("{}–{}", heure(p.start, date), heure(p.end, date)))
                        .collect()
                })
                .unwrap_or_default();
            JourHoraires {
                date,
                jour: nom_jour(date.weekday()),
                intervalles,
                ferie: jour_ferie(date),
                aujourd_hui: k == 0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
    }

    #[test]
    fn christmas_is_a_holiday_with_ph_off() {
        let oh = analyser("Mo-Fr 09:00-18:00; PH off").expect("valid");
        // 2026-12-25 is a Friday.
        assert!(jour_ferie(
            NaiveDate::from_ymd_opt(2026, 12, 25).expect("date")
        ));
        assert!(!ouvert_a(&oh, t("2026-12-25 10:00")));
        assert!(ouvert_a(&oh, t("2026-12-24 10:00")));
        let sans_ph = analyser("Mo-Fr 09:00-18:00").expect("valid");
        assert!(ouvert_a(&sans_ph, t("2026-12-25 10:00")));
    }

    #[test]
    fn next_weekday_includes_today() {
        let samedi = NaiveDate::from_ymd_opt(2026, 3, 21).expect("date");
        assert_eq!(prochain(samedi, Weekday::Sat), samedi);
        assert_eq!(
            prochain(samedi, Weekday::Fri),
            NaiveDate::from_ymd_opt(2026, 3, 27).expect("date")
        );
    }

    #[test]
    fn state_and_labels() {
        let oh = analyser("Mo-Fr 09:00-12:00,14:00-18:00").expect("valid");
        // Wednesday 2026-03-18.
        let local = t("2026-03-18 10:30");
        let e = etat(Some(&oh), local);
        assert_eq!(
            e,
            EtatOuverture::Ouvert {
                ferme_a: Some(t("2026-03-18 12:00"))
            }
        );
        assert_eq!(e.libelle(local), "Ouvert — ferme à 12:00");
        let local = t("2026-03-20 19:00");
        let e = etat(Some(&oh), local);
        assert_eq!(e.libelle(local), "Fermé — ouvre lundi à 09:00");
        let local = t("2026-03-18 12:30");
        assert_eq!(
            etat(Some(&oh), local).libelle(local),
            "Fermé — ouvre aujourd'hui à 14:00"
        );
        assert_eq!(etat(None, local), EtatOuverture::Inconnu);
        let toujours = analyser("24/7").expect("valid");
        assert_eq!(
            etat(Some(&toujours), local),
            EtatOuverture::Ouvert { ferme_a: None }
        );
        let jamais = analyser("off").expect("valid");
        assert_eq!(
            etat(Some(&jamais), local),
            EtatOuverture::Ferme { ouvre_a: None }
        );
    }

    #[test]
    fn week_lists_intervals_and_holidays() {
        let oh = analyser("Mo-Fr 09:00-12:00,14:00-18:00; PH off").expect("valid");
        let s = semaine(Some(&oh), t("2026-12-23 08:00"));
        assert_eq!(s.len(), 7);
        assert_eq!(s[0].jour, "mercredi");
        assert_eq!(s[0].intervalles, vec!["09:00–12:00", "14:00–18:00"]);
        assert!(s[2].ferie && s[2].intervalles.is_empty(), "{:?}", s[2]);
        assert!(s[3].intervalles.is_empty(), "samedi");
    }
}
