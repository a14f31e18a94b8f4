//! `/espace/pilotage`: the territorial pilotage table (§2.3 "Statistiques
//! par territoire") for territorial managers and administrators: one row
//! per territory, months as columns, with CSV / XLSX exports.
//!
//! ```text
//! national     → one row per région
//! région       → one row per département
//! département  → one row per EPCI (records with a commune), plus the
//!                records without one (lieu d'activité, à distance)
//! ```
//!
//! Checked on every request with `Cible::TableauPilotage` (`Consulter` for
//! the page, `Exporter` for the files): mediators, coordinators and
//! structure managers are refused.

use crate::espace::fichier_csv::FichierCsv;
use crate::espace::statistiques::{
    cle_perimetre, date_affichee, erreur_csv, fichier, libelle_mois, libelle_perimetre, lire_date,
    lire_perimetre, ErreurChamp, MIME_XLSX,
};
use crate::espace::{indisponible, mise, sans_cache, Champs, Connecte};
use crate::etat::Etat;
use crate::graphiques::nombre_fr;
use crate::pages::{rendre, Choix, Mise};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, Months, NaiveDate};
use maillage_comptes::{Action, Cible, Perimetre, PerimetreAttribution, Role};
use maillage_store::{
    ComptePilotage, FiltrePilotage, Regroupement, TableauPilotage, MOIS_PILOTAGE_MAX,
};
use maillage_territoires::Territoire;

pub fn routes() -> Router<Etat> {
    Router::new()
        .route("/espace/pilotage", get(page))
        .route("/espace/pilotage/export.csv", get(export_csv))
        .route("/espace/pilotage/export.xlsx", get(export_xlsx))
}

/// The figure shown in the month columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Indicateur {
    Accompagnements,
    Activites,
    Mediateurs,
}

impl Indicateur {
    const TOUS: [Indicateur; 3] = [
        Indicateur::Accompagnements,
        Indicateur::Activites,
        Indicateur::Mediateurs,
    ];

    fn code(self) -> &'static str {
        match self {
            Indicateur::Accompagnements => "accompagnements",
            Indicateur::Activites => "activites",
            Indicateur::Mediateurs => "mediateurs",
        }
    }

    fn libelle(self) -> &'static str {
        match self {
            Indicateur::Accompagnements => "Personnes accompagnées",
            Indicateur::Activites => "Activités enregistrées",
            Indicateur::Mediateurs => "Médiateurs actifs",
        }
    }

    fn valeur(self, c: &ComptePilotage) -> u64 {
        match self {
            Indicateur::Accompagnements => c.accompagnements,
            Indicateur::Activites => c.activites,
            Indicateur::Mediateurs => c.mediateurs,
        }
    }
}

/// The territorial scopes the actor's grants name: the nation for
/// administrators, their région and its départements, their département.
fn perimetres_candidats(etat: &Etat, connecte: &Connecte) -> Vec<Perimetre> {
    let referentiel = etat.referentiel();
    let mut v: Vec<Perimetre> = Vec::new();
    let acteur = &connecte.acteur;
    if acteur.a_le_role(Role::Administrateur) {
        v.push(Perimetre::National);
        v.extend(
            referentiel
                .regions()
                .iter()
                .map(|r| Perimetre::Region(r.code.to_string())),
        );
        v.extend(
            referentiel
                .departements()
                .iter()
                .map(|d| Perimetre::Departement(d.code.to_string())),
        );
    }
    for a in acteur.attributions_valides() {
        let nouveaux = match (&a.role, &a.perimetre) {
            (Role::GestionnaireTerritorial, PerimetreAttribution::Region(c)) => {
                let mut n = vec![Perimetre::Region(c.clone())];
                n.extend(
                    referentiel
                        .departements_de_region(c)
                        .iter()
                        .map(|d| Perimetre::Departement(d.code.to_string())),
                );
                n
            }
            (Role::GestionnaireTerritorial, PerimetreAttribution::Departement(c)) => {
                vec![Perimetre::Departement(c.clone())]
            }
            _ => Vec::new(),
        };
        for p in nouveaux {
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    v
}

/// The rows of a scope: régions of the nation, départements of a région,
/// EPCI of a département.
fn filtre(etat: &Etat, perimetre: &Perimetre, du: NaiveDate, au: NaiveDate) -> FiltrePilotage {
    let r = etat.referentiel();
    let (departements, regroupement) = match perimetre {
        Perimetre::Region(c) => {
            let deps: Vec<String> = r
                .departements_de_region(c)
                .iter()
                .map(|d| d.code.to_string())
                .collect();
            let groupes = deps.iter().map(|d| (d.clone(), vec![d.clone()])).collect();
            (Some(deps), Regroupement::Departements(groupes))
        }
        Perimetre::Departement(c) => {
            let code = r
                .departement(c)
                .map_or_else(|| c.clone(), |d| d.code.to_string());
            let groupes = r
                .epcis()
                .iter()
                .filter(|e| e.departements.iter().any(|d| d.as_ref() as &str == code))
                .map(|e| {
                    let communes = r
                        .communes_de(&Territoire::Epci(e.code.clone()))
                        .iter()
                        .map(|c| c.code_insee.to_string())
                        .collect();
                    (e.code.to_string(), communes)
                })
                .collect();
            (Some(vec![code]), Regroupement::Communes(groupes))
        }
        // The nation, and any other scope the rules would let through.
        _ => {
            let groupes = r
                .regions()
                .iter()
                .map(|reg| {
                    let deps = r
                        .departements_de_region(&reg.code)
                        .iter()
                        .map(|d| d.code.to_string())
                        .collect();
                    (reg.code.to_string(), deps)
                })
                .collect();
            (None, Regroupement::Departements(groupes))
        }
    };
    FiltrePilotage {
        departements,
        du,
        au,
        regroupement,
    }
}

/// The name of a row.
fn nom_territoire(etat: &Etat, perimetre: &Perimetre, code: Option<&str>) -> String {
    let r = etat.referentiel();
    match (perimetre, code) {
        (Perimetre::Region(_), Some(c)) => r
            .departement(c)
            .map_or_else(|| c.to_string(), |d| format!("{} ({})", d.nom, d.code)),
        (Perimetre::Departement(_), Some(c)) => r
            .epci(c)
            .map_or_else(|| c.to_string(), |e| e.nom.to_string()),
        (_, Some(c)) => r
            .region(c)
            .map_or_else(|| c.to_string(), |reg| reg.nom.to_string()),
        (Perimetre::Departement(_), None) => {
            "Sans commune rattachée (lieu d'activité, à distance)".to_string()
        }
        (_, None) => "Sans département connu".to_string(),
    }
}

struct Calcul {
    options: Vec<Choix>,
    perimetre: Perimetre,
    du: NaiveDate,
    au: NaiveDate,
    saisie_du: String,
    saisie_au: String,
    indicateur: Indicateur,
    erreurs: Vec<ErreurChamp>,
    tableau: Option<TableauPilotage>,
}

#[allow(clippy::result_large_err)]
async fn calculer(
    etat: &Etat,
    connecte: &Connecte,
    requete: Option<&str>,
    action: Action,
) -> Result<Calcul, Response> {
    let champs = Champs::lire(requete.unwrap_or(""));
    let mut erreurs = Vec::new();
    let aujourd_hui = etat.maintenant().date_naive();
    let debut = aujourd_hui.with_day(1).unwrap_or(aujourd_hui);
    let du_defaut = debut.checked_sub_months(Months::new(11)).unwrap_or(debut);
    let du = lire_date(&champs, "du", "Date de début", du_defaut, &mut erreurs);
    let au = lire_date(&champs, "au", "Date de fin", aujourd_hui, &mut erreurs);
    if du > au {
        erreurs.push(ErreurChamp {
            champ: "au",
            message: "Date de fin : elle doit être postérieure ou égale à la date de début."
                .to_string(),
        });
    } else if maillage_store::mois_de_la_periode(du, au).len() > MOIS_PILOTAGE_MAX {
        erreurs.push(ErreurChamp {
            champ: "du",
            message: format!("Date de début : la période couvre au plus {MOIS_PILOTAGE_MAX} mois."),
        });
    }
    let indicateur = match champs.texte("indicateur") {
        "" => Indicateur::Accompagnements,
        t => match Indicateur::TOUS.into_iter().find(|i| i.code() == t) {
            Some(i) => i,
            None => {
                erreurs.push(ErreurChamp {
                    champ: "indicateur",
                    message: "Indicateur : choisissez une valeur de la liste.".to_string(),
                });
                Indicateur::Accompagnements
            }
        },
    };
    let permis: Vec<Perimetre> = perimetres_candidats(etat, connecte)
        .into_iter()
        .filter(|p| {
            let cible = Cible::TableauPilotage {
                perimetre: p.clone(),
            };
            connecte.verdict(etat, action, &cible).is_ok()
        })
        .collect();
    let perimetre = match champs.optionnel("perimetre") {
        Some(cle) => match lire_perimetre(&cle, &connecte.acteur) {
            Some(p) => p,
            None => {
                erreurs.push(ErreurChamp {
                    champ: "perimetre",
                    message: "Territoire : choisissez un territoire de la liste.".to_string(),
                });
                permis.first().cloned().unwrap_or(Perimetre::National)
            }
        },
        // Nothing allowed: the rules' refusal below explains why.
        None => permis.first().cloned().unwrap_or(Perimetre::National),
    };
    connecte.autoriser(
        etat,
        action,
        &Cible::TableauPilotage {
            perimetre: perimetre.clone(),
        },
    )?;
    let tableau = if erreurs.is_empty() {
        let f = filtre(etat, &perimetre, du, au);
        Some(
            etat.store()
                .pilotage(&f)
                .await
                .map_err(|e| indisponible(&e))?,
        )
    } else {
        None
    };
    let cle = cle_perimetre(&perimetre);
    let options = permis
        .iter()
        .map(|p| {
            let c = cle_perimetre(p);
            let choisi = c == cle;
            Choix::new(c, libelle_perimetre(etat, p), choisi)
        })
        .collect();
    Ok(Calcul {
        options,
        perimetre,
        du,
        au,
        saisie_du: champs.texte("du").to_string(),
        saisie_au: champs.texte("au").to_string(),
        indicateur,
        erreurs,
        tableau,
    })
}

struct LignePage {
    nom: String,
    valeurs: Vec<String>,
    mediateurs: String,
    activites: String,
    accompagnements: String,
}

#[derive(Template)]
#[template(path = "espace_pilotage.html")]
struct PagePilotage {
    mise: Mise,
    perimetres: Vec<Choix>,
    indicateurs: Vec<Choix>,
    du: String,
    au: String,
    erreurs: Vec<ErreurChamp>,
    titre_tableau: String,
    indicateur: &'static str,
    mois: Vec<String>,
    lignes: Vec<LignePage>,
    total: Option<LignePage>,
    lien_csv: String,
    lien_xlsx: String,
}

impl PagePilotage {
    fn erreur(&self, champ: &str) -> Option<&str> {
        self.erreurs
            .iter()
            .find(|e| e.champ == champ)
            .map(|e| e.message.as_str())
    }
}

fn ligne_page(nom: String, l: &maillage_store::LignePilotage, i: Indicateur) -> LignePage {
    LignePage {
        nom,
        valeurs: l.par_mois.iter().map(|c| nombre_fr(i.valeur(c))).collect(),
        mediateurs: nombre_fr(l.total.mediateurs),
        activites: nombre_fr(l.total.activites),
        accompagnements: nombre_fr(l.total.accompagnements),
    }
}

/// `GET /espace/pilotage`.
async fn page(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let c = match calculer(&etat, &connecte, requete.as_deref(), Action::Consulter).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let suffixe = requete
        .filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let (mois, lignes, total) = match &c.tableau {
        Some(t) => (
            t.mois.iter().map(|m| libelle_mois(m)).collect(),
            t.lignes
                .iter()
                .map(|l| {
                    ligne_page(
                        nom_territoire(&etat, &c.perimetre, l.territoire.as_deref()),
                        l,
                        c.indicateur,
                    )
                })
                .collect(),
            Some(ligne_page("Total".to_string(), &t.total, c.indicateur)),
        ),
        None => (Vec::new(), Vec::new(), None),
    };
    let statut = if c.erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = PagePilotage {
        mise: mise("Tableau de pilotage"),
        perimetres: c.options.clone(),
        indicateurs: Indicateur::TOUS
            .iter()
            .map(|i| Choix::new(i.code(), i.libelle(), *i == c.indicateur))
            .collect(),
        du: date_affichee(&c.saisie_du, c.du),
        au: date_affichee(&c.saisie_au, c.au),
        titre_tableau: format!(
            "{} — {} par mois, du {} au {}",
            libelle_perimetre(&etat, &c.perimetre),
            c.indicateur.libelle(),
            c.du.format("%d/%m/%Y"),
            c.au.format("%d/%m/%Y")
        ),
        indicateur: c.indicateur.libelle(),
        erreurs: c.erreurs,
        mois,
        lignes,
        total,
        lien_csv: format!("/espace/pilotage/export.csv{suffixe}"),
        lien_xlsx: format!("/espace/pilotage/export.xlsx{suffixe}"),
    };
    sans_cache(rendre(statut, &page))
}

/// Long format: one line per territory and month, then its total.
fn lignes_export(etat: &Etat, c: &Calcul, t: &TableauPilotage) -> Vec<[String; 6]> {
    let mut v = Vec::new();
    let mut ajouter = |code: Option<&str>, nom: String, l: &maillage_store::LignePilotage| {
        for (m, x) in t.mois.iter().zip(&l.par_mois) {
            v.push([
                nom.clone(),
                code.unwrap_or("").to_string(),
                m.clone(),
                x.mediateurs.to_string(),
                x.activites.to_string(),
                x.accompagnements.to_string(),
            ]);
        }
        v.push([
            nom,
            code.unwrap_or("").to_string(),
            "Total de la période".to_string(),
            l.total.mediateurs.to_string(),
            l.total.activites.to_string(),
            l.total.accompagnements.to_string(),
        ]);
    };
    for l in &t.lignes {
        let nom = nom_territoire(etat, &c.perimetre, l.territoire.as_deref());
        ajouter(l.territoire.as_deref(), nom, l);
    }
    ajouter(None, "Total".to_string(), &t.total);
    v
}

const ENTETES_EXPORT: [&str; 6] = [
    "Territoire",
    "Code",
    "Mois",
    "Médiateurs actifs",
    "Activités",
    "Personnes accompagnées",
];

#[allow(clippy::result_large_err)]
async fn pour_export(
    etat: &Etat,
    connecte: &Connecte,
    requete: Option<&str>,
) -> Result<(Calcul, TableauPilotage), Response> {
    let mut c = calculer(etat, connecte, requete, Action::Exporter).await?;
    match c.tableau.take() {
        Some(t) => Ok((c, t)),
        None => {
            let message = c
                .erreurs
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            Err(sans_cache(crate::pages::erreur(
                StatusCode::BAD_REQUEST,
                "Export impossible",
                &message,
            )))
        }
    }
}

/// `GET /espace/pilotage/export.csv`: UTF-8 with a byte order mark, `;`.
async fn export_csv(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let (c, t) = match pour_export(&etat, &connecte, requete.as_deref()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut f = FichierCsv::nouveau();
    let lignes =
        std::iter::once(ENTETES_EXPORT.map(str::to_string)).chain(lignes_export(&etat, &c, &t));
    if let Err(e) = f.section(lignes) {
        return erreur_csv(e);
    }
    fichier(
        "text/csv; charset=utf-8",
        &format!("pilotage-{}-{}.csv", c.du, c.au),
        f.octets(),
    )
}

fn xlsx(lignes: &[[String; 6]]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut classeur = Workbook::new();
    let gras = Format::new().set_bold();
    let feuille = classeur.add_worksheet();
    feuille.set_name("Pilotage")?;
    feuille.set_column_width(0, 45)?;
    for (i, t) in ENTETES_EXPORT.iter().enumerate() {
        feuille.write_string_with_format(0, i as u16, *t, &gras)?;
    }
    for (r, l) in lignes.iter().enumerate() {
        let r = r as u32 + 1;
        for (i, v) in l.iter().enumerate() {
            match (i >= 3).then(|| v.parse::<u64>().ok()).flatten() {
                Some(n) => feuille.write_number(r, i as u16, n as f64)?,
                None => feuille.write_string(r, i as u16, v)?,
            };
        }
    }
    classeur.save_to_buffer()
}

/// `GET /espace/pilotage/export.xlsx`.
async fn export_xlsx(
    State(etat): State<Etat>,
    connecte: Connecte,
    RawQuery(requete): RawQuery,
) -> Response {
    let (c, t) = match pour_export(&etat, &connecte, requete.as_deref()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match xlsx(&lignes_export(&etat, &c, &t)) {
        Ok(octets) => fichier(
            MIME_XLSX,
            &format!("pilotage-{}-{}.xlsx", c.du, c.au),
            octets,
        ),
        Err(e) => {
            tracing::error!("export XLSX : {e}");
            sans_cache(crate::pages::erreur(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Export impossible",
                "Le fichier XLSX n'a pas pu être produit. Réessayez, ou téléchargez le CSV.",
            ))
        }
    }
}
