//! Exports of the activity list (`/espace/activites/export.csv` and
//! `.xlsx`): the signed-in mediator's own records with the list's filters
//! (`du`, `au`, `type`), in the column order of La Coop's export
//! (`buildAccompagnementsWorksheet.ts`), labels in French, dates
//! dd/mm/yyyy.
//!
//! Both are streamed: records are read by keyset batches
//! ([`maillage_store::Store::parcourir_export`] for the CSV, which reads
//! only the columns it shows, [`maillage_store::Store::parcourir_activites`]
//! for the XLSX) and each batch is
//! written out before the next is read, so memory does not grow with the
//! export. The CSV goes out batch by batch; the XLSX is built in
//! rust_xlsxwriter's constant-memory mode (rows go to a temporary file) on
//! a blocking thread and zipped straight into the response.
//!
//! Also here: what the API shares with the exports (the filters, the scope
//! a user may read).

use crate::espace::{indisponible, sans_cache, Champs, Connecte};
use crate::etat::Etat;
use crate::pages::erreur;
use crate::parametres::ErreurParametre;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use maillage_activites::{ActiviteSaisie, Beneficiaire, TypeActivite, TypeLieu};
use maillage_comptes::{
    Acteur, Action, ActionSensible, Cible, Perimetre, PerimetreAttribution, Periode, Refus, Role,
};
use maillage_orientation::Catalogue;
use maillage_store::{
    ActiviteEnregistree, FiltreParcours, NouvelleEntreeJournal, OrdreParcours, ParcoursExport,
    Store, VueExport,
};
use maillage_territoires::Referentiel;
use std::borrow::Cow;
use std::sync::Arc;

/// Records read per batch: large enough to amortise a query (the export
/// reads two at a time, one ahead), small enough to keep memory flat.
pub const LOT_EXPORT: u32 = 5_000;
/// Rows of an XLSX sheet, header included (the format's limit).
const LIGNES_XLSX_MAX: u32 = 1_048_576;

// ---------------------------------------------------------------------------
// Filters and scope (shared with the API)

/// The activity list's filters: `du`, `au` (AAAA-MM-JJ, inclusive) and
/// `type` (`individuel` or `collectif`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FiltreListe {
    pub du: Option<NaiveDate>,
    pub au: Option<NaiveDate>,
    pub type_activite: Option<TypeActivite>,
}

impl FiltreListe {
    /// Reads the filters; the error names the field and the value.
    pub fn lire(champs: &Champs) -> Result<FiltreListe, ErreurParametre> {
        let date = |nom: &str, libelle: &str| -> Result<Option<NaiveDate>, ErreurParametre> {
            match champs.texte(nom) {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| ErreurParametre {
                        parametre: nom.to_string(),
                        valeur: t.to_string(),
                        message: format!(
                            "{nom} ({libelle}) : date attendue au format AAAA-MM-JJ, par exemple 2025-03-11"
                        ),
                    }),
            }
        };
        let du = date("du", "date de début")?;
        let au = date("au", "date de fin")?;
        if let (Some(d), Some(a)) = (du, au) {
            if d > a {
                return Err(ErreurParametre {
                    parametre: "au".to_string(),
                    valeur: a.to_string(),
                    message: format!(
                        "au (date de fin) : le {} précède la date de début, le {}",
                        a.format("%d/%m/%Y"),
                        d.format("%d/%m/%Y")
                    ),
                });
            }
        }
        let type_activite = match champs.texte("type") {
            "" => None,
            t => Some(t.parse::<TypeActivite>().map_err(|_| ErreurParametre {
                parametre: "type".to_string(),
                valeur: t.to_string(),
                message:
                    "type (type d'activité) : « individuel » ou « collectif » attendu".to_string(),
            })?),
        };
        Ok(FiltreListe {
            du,
            au,
            type_activite,
        })
    }

    /// The period the access rules check (open ends: the widest dates).
    pub fn periode(&self) -> Periode {
        Periode::new(
            self.du.unwrap_or(NaiveDate::MIN),
            self.au.unwrap_or(NaiveDate::MAX),
        )
    }

    pub fn appliquer(&self, f: &mut FiltreParcours) {
        f.du = self.du;
        f.au = self.au;
        f.type_activite = self.type_activite;
    }
}

/// The individual records a user may read as a list, and how to select
/// them: a mediator their own; otherwise by their first grant, a
/// coordinator their team (each member within the link's period), a
/// structure manager their structure, a territorial manager or an
/// administrator their territory (which the access rules refuse: they see
/// aggregates only). The caller still asks
/// [`maillage_comptes::autoriser`] with `Cible::ListeActivites`.
pub fn perimetre_lecture(acteur: &Acteur) -> Result<(Perimetre, FiltreParcours), Refus> {
    if acteur.a_le_role(Role::Mediateur) {
        return Ok((
            Perimetre::Soi,
            FiltreParcours {
                mediateur_id: Some(acteur.id.clone()),
                ..Default::default()
            },
        ));
    }
    let ordre = [
        Role::Coordinateur,
        Role::GestionnaireStructure,
        Role::GestionnaireTerritorial,
        Role::Administrateur,
    ];
    let attribution = ordre
        .iter()
        .find_map(|r| acteur.attributions_valides().find(|a| a.role == *r))
        .ok_or(Refus::AucuneAttribution)?;
    let mut filtre = FiltreParcours::default();
    let perimetre = match &attribution.perimetre {
        PerimetreAttribution::Equipe(liens) => {
            filtre.equipe = Some(liens.clone());
            Perimetre::Equipe(acteur.id.clone())
        }
        PerimetreAttribution::Structure(id) => {
            filtre.structure_id = Some(id.clone());
            Perimetre::Structure(id.clone())
        }
        PerimetreAttribution::Departement(c) => Perimetre::Departement(c.clone()),
        PerimetreAttribution::Region(c) => Perimetre::Region(c.clone()),
        PerimetreAttribution::National | PerimetreAttribution::Personnel => Perimetre::National,
    };
    Ok((perimetre, filtre))
}

// ---------------------------------------------------------------------------
// Columns

/// The export's columns, in La Coop's order (mediator's own export: no
/// mediator columns). La Coop repeats "Commune", "Code postal" and "Code
/// Insee" for the beneficiary's residence; here they say so, to keep
/// headers unique.
pub const COLONNES: [&str; 30] = [
    "Date",
    "Enregistré le",
    "Dernière modification le",
    "Type",
    "Participants",
    "Bénéficiaire",
    "Canaux d'accompagnement",
    "Nom du lieu",
    "Adresse",
    "Commune",
    "Code postal",
    "Code Insee",
    "Durée (min)",
    "Nom de l'atelier",
    "Matériel numérique utilisé",
    "Thématique(s) d'accompagnement",
    "Tags",
    "Nom de la démarche administrative",
    "Niveau d'autonomie (ou de l'atelier)",
    "Bénéficiaire réorienté",
    "Structure de redirection",
    "Commune du bénéficiaire",
    "Code postal du bénéficiaire",
    "Code Insee du bénéficiaire",
    "Genre",
    "Tranche d'âge",
    "Statut du bénéficiaire",
    "Notes supplémentaires",
    "Source de la donnée",
    "ID CRA",
];

/// Index of the numeric columns (written as numbers in the XLSX).
const COLONNES_NOMBRES: [usize; 2] = [4, 12];

/// What the rows need beyond the records: the registry's places (name and
/// address of a lieu d'activité) and the communes.
#[derive(Clone)]
pub struct ContexteExport {
    pub catalogue: Arc<Catalogue>,
    pub referentiel: &'static Referentiel,
}

impl ContexteExport {
    pub fn de(etat: &Etat) -> ContexteExport {
        ContexteExport {
            catalogue: etat.catalogue(),
            referentiel: etat.referentiel(),
        }
    }
}

/// `dd/mm/yyyy`, without chrono's format interpreter (a million rows).
fn jour(d: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

fn liste<T>(v: &[T], libelle: impl Fn(&T) -> &'static str) -> String {
    v.iter().map(libelle).collect::<Vec<_>>().join(", ")
}

/// What a row shows of a record, whether read whole
/// ([`ActiviteEnregistree`]) or for an export ([`VueExport`]).
struct Enregistrement<'a> {
    id: &'a str,
    date: NaiveDate,
    cree_le: NaiveDate,
    modifie_le: NaiveDate,
    type_activite: TypeActivite,
    accompagnements: i64,
    type_lieu: TypeLieu,
    lieu_id: Option<&'a str>,
    code_insee: Option<&'a str>,
    duree_minutes: i64,
    saisie: &'a ActiviteSaisie,
}

/// One record's cells, in [`COLONNES`] order.
pub fn ligne(a: &ActiviteEnregistree, ctx: &ContexteExport) -> [String; 30] {
    cellules(
        &Enregistrement {
            id: &a.id,
            date: a.date,
            cree_le: a.cree_le.date_naive(),
            modifie_le: a.modifie_le.date_naive(),
            type_activite: a.type_activite,
            accompagnements: i64::from(a.accompagnements),
            type_lieu: a.type_lieu,
            lieu_id: a.lieu_id.as_deref(),
            code_insee: a.code_insee.as_deref(),
            duree_minutes: i64::from(a.duree_minutes),
            saisie: &a.saisie,
        },
        ctx,
    )
    .map(Cow::into_owned)
}

/// Name, address, commune, postcode and INSEE code of a record's place.
type CellulesLieu<'a> = (
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
);

/// The cells of a record, borrowed where they can be: a CSV row is
/// written without copying names, addresses or notes.
fn cellules<'a>(a: &Enregistrement<'a>, ctx: &'a ContexteExport) -> [Cow<'a, str>; 30] {
    let s = a.saisie;
    let individuel = a.type_activite == TypeActivite::Individuel;
    let vide = || Cow::Borrowed("");
    // Name, address, commune, postcode, INSEE code.
    let (nom_lieu, adresse, commune, code_postal, code_insee): CellulesLieu<'a> = match a.type_lieu
    {
        TypeLieu::LieuActivite => match a.lieu_id.and_then(|id| ctx.catalogue.lieu(id)) {
            Some(l) => (
                Cow::Borrowed(l.nom.as_str()),
                Cow::Borrowed(l.adresse.as_str()),
                Cow::Borrowed(l.commune.as_str()),
                Cow::Borrowed(l.code_postal.as_str()),
                Cow::Borrowed(l.code_insee.as_deref().unwrap_or_default()),
            ),
            // A place no longer in the registry: its id at least.
            None => (
                Cow::Borrowed(a.lieu_id.unwrap_or_default()),
                vide(),
                vide(),
                vide(),
                vide(),
            ),
        },
        TypeLieu::Domicile | TypeLieu::Autre => {
            let insee = a.code_insee.unwrap_or_default();
            match ctx.referentiel.commune(insee) {
                Some(c) => (
                    vide(),
                    vide(),
                    Cow::Borrowed(c.nom.as_str()),
                    Cow::Borrowed(c.codes_postaux.first().map_or("", |cp| cp.as_str())),
                    Cow::Borrowed(insee),
                ),
                None => (vide(), vide(), vide(), vide(), Cow::Borrowed(insee)),
            }
        }
        TypeLieu::ADistance => (vide(), vide(), vide(), vide(), vide()),
    };
    let (beneficiaire, genre, tranche, statut) = match (&s.beneficiaire, individuel) {
        (Some(Beneficiaire::Suivi { .. }), true) => ("Bénéficiaire suivi", "", "", ""),
        (Some(Beneficiaire::Anonyme(d)), true) => (
            "Anonyme",
            d.genre.map_or("", |v| v.libelle()),
            d.tranche_age.map_or("", |v| v.libelle()),
            d.statut_social.map_or("", |v| v.libelle()),
        ),
        (None, true) => ("Anonyme", "", "", ""),
        (_, false) => ("", "", "", ""),
    };
    let niveau = if individuel {
        s.autonomie.map_or("", |v| v.libelle())
    } else {
        s.niveau.map_or("", |v| v.libelle())
    };
    let reoriente = match (individuel, s.oriente_vers_structure) {
        (true, Some(true)) => "Oui",
        (true, Some(false)) => "Non",
        _ => "",
    };
    let texte = |v: &'a Option<String>, garde: bool| {
        Cow::Borrowed(v.as_deref().filter(|_| garde).unwrap_or_default())
    };
    [
        Cow::Owned(jour(a.date)),
        Cow::Owned(jour(a.cree_le)),
        Cow::Owned(jour(a.modifie_le)),
        Cow::Borrowed(a.type_activite.libelle()),
        Cow::Owned(a.accompagnements.to_string()),
        Cow::Borrowed(beneficiaire),
        Cow::Borrowed(a.type_lieu.libelle()),
        nom_lieu,
        adresse,
        commune,
        code_postal,
        code_insee,
        Cow::Owned(a.duree_minutes.to_string()),
        texte(&s.titre_atelier, !individuel),
        Cow::Owned(liste(&s.materiel, |m| m.libelle())),
        Cow::Owned(liste(&s.thematiques, |t| t.libelle())),
        // Tags are not recorded yet.
        vide(),
        texte(&s.precisions_demarche, individuel),
        Cow::Borrowed(niveau),
        Cow::Borrowed(reoriente),
        Cow::Borrowed(
            s.structure_de_redirection
                .filter(|_| individuel)
                .map_or("", |v| v.libelle()),
        ),
        // The beneficiary's residence lives in the beneficiary's record.
        vide(),
        vide(),
        vide(),
        Cow::Borrowed(genre),
        Cow::Borrowed(tranche),
        Cow::Borrowed(statut),
        texte(&s.notes, true),
        Cow::Borrowed("Maillage"),
        Cow::Borrowed(a.id),
    ]
}

// ---------------------------------------------------------------------------
// CSV

/// Errors of an export written outside a request.
#[derive(Debug, thiserror::Error)]
pub enum ErreurExport {
    #[error(transparent)]
    Store(#[from] maillage_store::StoreError),
    #[error("écriture de l'export impossible : {0}")]
    Ecriture(#[from] std::io::Error),
    #[error("écriture du tableur impossible : {0}")]
    Xlsx(String),
}

/// `;`-separated (the French spreadsheet default), UTF-8 with a BOM so
/// spreadsheets read accents right.
fn ecrivain_csv<W: std::io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().delimiter(b';').from_writer(w)
}

fn entete_csv() -> Vec<u8> {
    let mut w = ecrivain_csv(Vec::with_capacity(1024));
    let _ = w.write_record(COLONNES);
    let mut octets = "\u{feff}".as_bytes().to_vec();
    octets.extend(w.into_inner().unwrap_or_default());
    octets
}

/// Writes one export row; a record whose draft cannot be read is a
/// corrupt record (the store checked it when it was written).
fn ecrire_vue<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    v: &VueExport<'_>,
    ctx: &ContexteExport,
) -> Result<(), ErreurExport> {
    let saisie: ActiviteSaisie =
        serde_json::from_str(v.donnees).map_err(|e| maillage_store::StoreError::Corrupt {
            what: format!("activites.donnees de l'activité « {} »", v.id),
            detail: e.to_string(),
        })?;
    let e = Enregistrement {
        id: v.id,
        date: v.date,
        cree_le: v.cree_le,
        modifie_le: v.modifie_le,
        type_activite: v.type_activite,
        accompagnements: i64::from(v.accompagnements),
        type_lieu: v.type_lieu,
        lieu_id: v.lieu_id,
        code_insee: v.code_insee,
        duree_minutes: i64::from(v.duree_minutes),
        saisie: &saisie,
    };
    w.write_record(cellules(&e, ctx).iter().map(|c| c.as_bytes()))
        .map_err(|e| ErreurExport::Ecriture(e.into()))
}

/// The CSV of the next page of `parcours` (`None` at the end). The buffer
/// is reused from page to page.
async fn page_csv(
    parcours: &mut ParcoursExport,
    ctx: &ContexteExport,
    tampon: Vec<u8>,
) -> Result<Option<(Vec<u8>, usize)>, ErreurExport> {
    let mut w = ecrivain_csv(tampon);
    let mut erreur = None;
    let n = parcours
        .suivant(|v| {
            if erreur.is_none() {
                erreur = ecrire_vue(&mut w, v, ctx).err();
            }
        })
        .await?;
    if let Some(e) = erreur {
        return Err(e);
    }
    let octets = w
        .into_inner()
        .map_err(|e| ErreurExport::Ecriture(e.into_error()))?;
    Ok(n.map(|n| (octets, n)))
}

/// Writes the CSV export of `filtre` to `sortie` and returns the number
/// of records written (for `maillage bench-activites` and the tests).
/// Memory holds two pages of [`LOT_EXPORT`] records.
pub async fn ecrire_csv<W: std::io::Write>(
    store: &Store,
    filtre: FiltreParcours,
    ctx: &ContexteExport,
    mut sortie: W,
) -> Result<u64, ErreurExport> {
    sortie.write_all(&entete_csv())?;
    let mut parcours = store.parcourir_export(filtre, LOT_EXPORT);
    let mut n = 0_u64;
    let mut tampon = Vec::with_capacity(LOT_EXPORT as usize * 256);
    while let Some((octets, lignes)) = page_csv(&mut parcours, ctx, tampon).await? {
        sortie.write_all(&octets)?;
        n += lignes as u64;
        tampon = octets;
        tampon.clear();
    }
    sortie.flush()?;
    Ok(n)
}

// ---------------------------------------------------------------------------
// XLSX

/// Writes the XLSX export of `filtre` to `sortie` (any `Write`: the zip
/// needs no seeking) and returns the number of records. Blocking: call it
/// from a blocking thread; the store is read through `runtime`.
pub fn ecrire_xlsx<W: std::io::Write + Send>(
    runtime: &tokio::runtime::Handle,
    store: &Store,
    filtre: FiltreParcours,
    ctx: &ContexteExport,
    sortie: W,
) -> Result<u64, ErreurExport> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| ErreurExport::Xlsx(e.to_string());
    let mut classeur = Workbook::new();
    let gras = Format::new().set_bold();
    let feuille = classeur.add_worksheet_with_constant_memory().map_err(x)?;
    feuille.set_name("Activités").map_err(x)?;
    for (i, c) in COLONNES.iter().enumerate() {
        feuille
            .write_string_with_format(0, i as u16, *c, &gras)
            .map_err(x)?;
    }
    feuille.set_freeze_panes(1, 0).map_err(x)?;
    let mut parcours =
        store.parcourir_activites(filtre, OrdreParcours::DateDecroissante, LOT_EXPORT);
    let mut rang: u32 = 0;
    while let Some(lot) = runtime.block_on(parcours.suivant())? {
        for a in &lot {
            rang += 1;
            if rang >= LIGNES_XLSX_MAX {
                return Err(ErreurExport::Xlsx(format!(
                    "plus de {} activités : au-delà de ce qu'une feuille de tableur peut contenir ; réduisez la période ou exportez en CSV",
                    LIGNES_XLSX_MAX - 1
                )));
            }
            for (i, v) in ligne(a, ctx).into_iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let nombre = COLONNES_NOMBRES
                    .contains(&i)
                    .then(|| v.parse::<f64>().ok())
                    .flatten();
                match nombre {
                    Some(n) => feuille.write_number(rang, i as u16, n).map_err(x)?,
                    None => feuille.write_string(rang, i as u16, v).map_err(x)?,
                };
            }
        }
    }
    classeur.save_to_writer(sortie).map_err(x)?;
    Ok(u64::from(rang))
}

/// A `Write` that sends what it gets to the response body in chunks.
struct VersCorps {
    tampon: Vec<u8>,
    envoi: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

const TAILLE_MORCEAU: usize = 64 * 1024;

impl VersCorps {
    fn envoyer(&mut self) -> std::io::Result<()> {
        if self.tampon.is_empty() {
            return Ok(());
        }
        let morceau = Bytes::from(std::mem::replace(
            &mut self.tampon,
            Vec::with_capacity(TAILLE_MORCEAU),
        ));
        self.envoi
            .blocking_send(Ok(morceau))
            // The client went away: stop building the file.
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client parti"))
    }
}

impl std::io::Write for VersCorps {
    fn write(&mut self, octets: &[u8]) -> std::io::Result<usize> {
        self.tampon.extend_from_slice(octets);
        if self.tampon.len() >= TAILLE_MORCEAU {
            self.envoyer()?;
        }
        Ok(octets.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.envoyer()
    }
}

impl Drop for VersCorps {
    fn drop(&mut self) {
        let _ = self.envoyer();
    }
}

// ---------------------------------------------------------------------------
// Routes

/// The signed-in mediator's filter for an export, after the access rules
/// and with the journal entry written; or the page to answer.
async fn preparer(
    etat: &Etat,
    connecte: &Connecte,
    requete: Option<&str>,
    format: &str,
) -> Result<FiltreParcours, Response> {
    // The export is of one's own records; other roles read lists through
    // their own pages and the API.
    if !connecte.acteur.a_le_role(Role::Mediateur) {
        return Err(crate::espace::refus(&Refus::HorsPerimetre));
    }
    let champs = Champs::lire(requete.unwrap_or(""));
    let liste = FiltreListe::lire(&champs).map_err(|e| {
        sans_cache(erreur(
            StatusCode::BAD_REQUEST,
            "Export impossible : filtre invalide",
            &e.message,
        ))
    })?;
    connecte.autoriser(
        etat,
        Action::Exporter,
        &Cible::ListeActivites {
            perimetre: Perimetre::Soi,
            periode: liste.periode(),
        },
    )?;
    let mut filtre = FiltreParcours {
        mediateur_id: Some(connecte.acteur.id.clone()),
        ..Default::default()
    };
    liste.appliquer(&mut filtre);
    let entree = NouvelleEntreeJournal {
        quand: etat.maintenant(),
        acteur_id: Some(connecte.acteur.id.clone()),
        action: ActionSensible::Export.code().to_string(),
        cible: Some("activites".to_string()),
        details: serde_json::json!({
            "format": format,
            "du": liste.du.map(|d| d.to_string()),
            "au": liste.au.map(|d| d.to_string()),
            "type": liste.type_activite.map(|t| t.code()),
        }),
    };
    etat.store()
        .journaliser(&entree)
        .await
        .map_err(|e| indisponible(&e))?;
    Ok(filtre)
}

fn telechargement(type_mime: &'static str, fichier: &str, corps: Body) -> Response {
    let mut r = (StatusCode::OK, corps).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(type_mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{fichier}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    sans_cache(r)
}

fn nom_fichier(etat: &Etat, extension: &str) -> String {
    format!(
        "activites-{}.{extension}",
        etat.maintenant().format("%Y-%m-%d")
    )
}

/// `GET /espace/activites/export.csv`.
pub async fn export_csv(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let filtre = match preparer(&etat, &connecte, requete.as_deref(), "csv").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ctx = ContexteExport::de(&etat);
    let parcours = etat.store().parcourir_export(filtre, LOT_EXPORT);
    // State: (reader, header still to send); no reader once cut short.
    let flux = futures_util::stream::unfold(
        (Some(parcours), ctx, true),
        |(parcours, ctx, entete)| async move {
            let mut parcours = parcours?;
            if entete {
                return Some((Ok(Bytes::from(entete_csv())), (Some(parcours), ctx, false)));
            }
            // Each page goes out as its own chunk: no buffer to reuse.
            let tampon = Vec::with_capacity(LOT_EXPORT as usize * 256);
            match page_csv(&mut parcours, &ctx, tampon).await {
                Ok(Some((octets, _))) => {
                    Some((Ok(Bytes::from(octets)), (Some(parcours), ctx, false)))
                }
                Ok(None) => None,
                Err(e) => {
                    // Headers are sent: cutting the body is all that is left,
                    // and the client sees an incomplete download.
                    tracing::error!("export CSV des activités : {e}");
                    Some((
                        Err(std::io::Error::other(e.to_string())),
                        (None, ctx, false),
                    ))
                }
            }
        },
    );
    telechargement(
        "text/csv; charset=utf-8",
        &nom_fichier(&etat, "csv"),
        Body::from_stream(flux),
    )
}

/// `GET /espace/activites/export.xlsx`.
pub async fn export_xlsx(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let filtre = match preparer(&etat, &connecte, requete.as_deref(), "xlsx").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ctx = ContexteExport::de(&etat);
    let store = etat.store().clone();
    let runtime = tokio::runtime::Handle::current();
    // A few chunks in flight: the builder waits for a slow client.
    let (envoi, reception) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let sortie = VersCorps {
            tampon: Vec::with_capacity(TAILLE_MORCEAU),
            envoi: envoi.clone(),
        };
        if let Err(e) = ecrire_xlsx(&runtime, &store, filtre, &ctx, sortie) {
            tracing::error!("export XLSX des activités : {e}");
            let _ = envoi.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let flux = tokio_stream::wrappers::ReceiverStream::new(reception);
    telechargement(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &nom_fichier(&etat, "xlsx"),
        Body::from_stream(flux),
    )
}
