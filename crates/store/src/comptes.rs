//! Accounts of the mediators' workspace: users, role grants, team links,
//! sessions, single-use tokens and login throttling. The public types, what
//! both backends share (checks, column values) and the operations, one
//! macro expanded per backend like [`crate::activites`].
//!
//! The store keeps only what cannot leak a credential: password PHC strings
//! (hashed by [`maillage_comptes::hacher_mot_de_passe`], never here), and
//! SHA-256 fingerprints of session and token secrets, never the secrets.
//! Sessions and throttling state live in the database so that several
//! stateless servers can share them.

use crate::StoreError;
use chrono::{DateTime, Utc};
use maillage_comptes::{Attribution, ButJeton, Jeton, LienEquipe, PerimetreAttribution, Role};
use sqlx::error::ErrorKind;

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouvelUtilisateur {
    /// Stored trimmed and lower-cased (see [`normaliser_email`]).
    pub email: String,
    pub nom: Option<String>,
    /// The PHC string of the password hash; a clear password is refused.
    pub mot_de_passe: String,
    /// Stored to the microsecond.
    pub cree_le: DateTime<Utc>,
    /// Who created the account, for the journal (`None`: the person
    /// themself, or the system).
    pub par: Option<String>,
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utilisateur {
    /// 32 hexadecimal characters, chosen by the store.
    pub id: String,
    /// Trimmed and lower-cased.
    pub email: String,
    pub nom: Option<String>,
    /// The PHC string of the password hash.
    pub mot_de_passe: String,
    pub email_verifie_le: Option<DateTime<Utc>>,
    pub cree_le: DateTime<Utc>,
    /// A deactivated account has no [`crate::Store::acteur`] and no session.
    pub desactive_le: Option<DateTime<Utc>>,
}

/// A live session, found by the fingerprint of its cookie's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub utilisateur_id: String,
    pub cree_le: DateTime<Utc>,
    pub expire_le: DateTime<Utc>,
    pub derniere_activite_le: DateTime<Utc>,
}

/// A stored single-use token and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetonEnregistre {
    /// Fingerprint (never the clear token), purpose, expiry, use.
    pub jeton: Jeton,
    pub utilisateur_id: Option<String>,
    /// For an invitation to an address without an account; stored trimmed
    /// and lower-cased.
    pub email: Option<String>,
    pub cree_le: DateTime<Utc>,
}

/// The form every stored e-mail address takes: trimmed, lower-cased (so
/// uniqueness and look-ups ignore case).
pub fn normaliser_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Longest e-mail address (RFC 5321 path limit).
const LONGUEUR_MAX_EMAIL: usize = 254;
/// Longest name, throttling key or id (characters).
const LONGUEUR_MAX_TEXTE: usize = 300;

fn invalide(operation: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        operation,
        detail: detail.into(),
    }
}

/// The normalised address, or why it is refused.
pub(crate) fn verifier_email(operation: &'static str, email: &str) -> Result<String, StoreError> {
    let email = normaliser_email(email);
    if email.is_empty() || !email.contains('@') {
        return Err(invalide(operation, "adresse e-mail invalide"));
    }
    if email.chars().count() > LONGUEUR_MAX_EMAIL {
        return Err(invalide(
            operation,
            format!("adresse e-mail de plus de {LONGUEUR_MAX_EMAIL} caractères"),
        ));
    }
    Ok(email)
}

pub(crate) fn verifier_texte(
    operation: &'static str,
    champ: &str,
    valeur: &str,
) -> Result<(), StoreError> {
    if valeur.trim().is_empty() {
        Err(invalide(operation, format!("{champ} vide")))
    } else if valeur.chars().count() > LONGUEUR_MAX_TEXTE {
        Err(invalide(
            operation,
            format!("{champ} de plus de {LONGUEUR_MAX_TEXTE} caractères"),
        ))
    } else {
        Ok(())
    }
}

/// A PHC string starts with `$` (`$argon2id$v=19$…`): anything else is
/// probably a clear password, which must never reach the database.
pub(crate) fn verifier_phc(operation: &'static str, phc: &str) -> Result<(), StoreError> {
    if phc.starts_with('$') && phc.len() > 1 {
        Ok(())
    } else {
        Err(invalide(
            operation,
            "le mot de passe doit être transmis haché (chaîne PHC), jamais en clair",
        ))
    }
}

/// Session and token keys are SHA-256 hex: anything else is probably the
/// clear secret, which must never be stored.
pub(crate) fn verifier_empreinte(
    operation: &'static str,
    empreinte: &str,
) -> Result<(), StoreError> {
    if empreinte.len() == 64
        && empreinte
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(invalide(
            operation,
            "empreinte SHA-256 attendue (64 caractères hexadécimaux minuscules) : \
             le jeton en clair n'est jamais stocké",
        ))
    }
}

pub(crate) fn verifier_nouvel_utilisateur(
    n: &NouvelUtilisateur,
) -> Result<NouvelUtilisateur, StoreError> {
    const OP: &str = "la création d'un compte";
    let email = verifier_email(OP, &n.email)?;
    if let Some(nom) = &n.nom {
        verifier_texte(OP, "nom", nom)?;
    }
    verifier_phc(OP, &n.mot_de_passe)?;
    if let Some(par) = &n.par {
        verifier_texte(OP, "identifiant de l'auteur", par)?;
    }
    Ok(NouvelUtilisateur { email, ..n.clone() })
}

pub(crate) fn verifier_jeton(j: &JetonEnregistre) -> Result<JetonEnregistre, StoreError> {
    const OP: &str = "l'enregistrement d'un jeton";
    verifier_empreinte(OP, &j.jeton.empreinte)?;
    let email = j
        .email
        .as_deref()
        .map(|e| verifier_email(OP, e))
        .transpose()?;
    if j.utilisateur_id.is_none() && email.is_none() {
        return Err(invalide(
            OP,
            "un jeton doit viser un compte ou une adresse e-mail",
        ));
    }
    Ok(JetonEnregistre { email, ..j.clone() })
}

/// Purposes a stored code may name.
const BUTS: [ButJeton; 3] = [
    ButJeton::VerificationEmail,
    ButJeton::ReinitialisationMotDePasse,
    ButJeton::Invitation,
];

pub(crate) fn but_du_code(code: &str) -> Result<ButJeton, StoreError> {
    BUTS.into_iter()
        .find(|b| b.code() == code)
        .ok_or_else(|| StoreError::Corrupt {
            what: "jetons.but".to_string(),
            detail: format!("but inconnu « {code} »"),
        })
}

/// An invitation waiting for its answer (see [`crate::Store::invitation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The invited address (trimmed, lower-cased).
    pub email: String,
    /// What accepting grants.
    pub attribution: Attribution,
    /// Who invited (`None`: the account was since deleted, or the system).
    pub invite_par: Option<String>,
    /// The coordinator whose team the invited mediator joins.
    pub equipe_de: Option<String>,
    pub expire_le: DateTime<Utc>,
    pub utilise_le: Option<DateTime<Utc>>,
}

/// The `perimetre` and `perimetre_code` columns of a grant's scope.
pub(crate) fn colonnes_perimetre(p: &PerimetreAttribution) -> (&'static str, &str) {
    match p {
        PerimetreAttribution::Personnel => ("personnel", ""),
        PerimetreAttribution::Equipe(_) => ("equipe", ""),
        PerimetreAttribution::Structure(s) => ("structure", s),
        PerimetreAttribution::Departement(d) => ("departement", d),
        PerimetreAttribution::Region(r) => ("region", r),
        PerimetreAttribution::National => ("national", ""),
    }
}

/// A grant the store accepts: coherent (its scope is the one its role
/// requires), with a code when the scope needs one, and no team list (the
/// team is the `liens_equipe` rows: [`crate::Store::lier_equipe`]).
pub(crate) fn verifier_attribution(
    operation: &'static str,
    a: &Attribution,
) -> Result<(), StoreError> {
    if !a.est_coherente() {
        return Err(invalide(
            operation,
            format!("le rôle « {} » ne s'attribue pas sur ce périmètre", a.role),
        ));
    }
    match &a.perimetre {
        PerimetreAttribution::Equipe(liens) if !liens.is_empty() => Err(invalide(
            operation,
            "l'équipe d'un coordinateur s'enregistre lien par lien (lier_equipe), \
             pas avec le rôle",
        )),
        PerimetreAttribution::Structure(c)
        | PerimetreAttribution::Departement(c)
        | PerimetreAttribution::Region(c) => verifier_texte(operation, "code du périmètre", c),
        _ => Ok(()),
    }
}

/// A grant read back; `equipe` gives the coordinator's team links.
pub(crate) fn attribution_lue(
    role: &str,
    perimetre: &str,
    code: String,
    equipe: &[LienEquipe],
) -> Result<Attribution, StoreError> {
    let role: Role =
        role.parse()
            .map_err(|e: maillage_comptes::RoleInconnu| StoreError::Corrupt {
                what: "attributions.role".to_string(),
                detail: e.to_string(),
            })?;
    let perimetre = match perimetre {
        "personnel" => PerimetreAttribution::Personnel,
        "equipe" => PerimetreAttribution::Equipe(equipe.to_vec()),
        "structure" => PerimetreAttribution::Structure(code),
        "departement" => PerimetreAttribution::Departement(code),
        "region" => PerimetreAttribution::Region(code),
        "national" => PerimetreAttribution::National,
        autre => {
            return Err(StoreError::Corrupt {
                what: "attributions.perimetre".to_string(),
                detail: format!("périmètre inconnu « {autre} »"),
            })
        }
    };
    Ok(Attribution { role, perimetre })
}

/// What the journal keeps of a grant (no personal data).
pub(crate) fn details_attribution(sens: &str, a: &Attribution) -> serde_json::Value {
    let (perimetre, code) = colonnes_perimetre(&a.perimetre);
    serde_json::json!({
        sens: { "role": a.role.code(), "perimetre": perimetre, "code": code }
    })
}

/// A unique violation on the e-mail column, said for the user.
pub(crate) fn erreur_creation(e: sqlx::Error) -> StoreError {
    const OP: &str = "la création d'un compte";
    match crate::commun::erreur_db(OP)(e) {
        StoreError::Conflict { detail, .. } if detail.contains("email") => StoreError::Conflict {
            operation: OP,
            detail: "un compte existe déjà pour cette adresse".to_string(),
        },
        autre => autre,
    }
}

/// A missing account (foreign key) said for the user; other errors as
/// [`crate::commun::erreur_db`].
pub(crate) fn erreur_compte<'a>(
    operation: &'static str,
    compte: &'a str,
) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    move |e| {
        let cle_etrangere = matches!(
            &e,
            sqlx::Error::Database(d) if d.kind() == ErrorKind::ForeignKeyViolation
        );
        if cle_etrangere {
            StoreError::NotFound {
                operation,
                detail: format!("aucun compte n'a l'identifiant « {compte} »"),
            }
        } else {
            crate::commun::erreur_db(operation)(e)
        }
    }
}

/// Why a team link cannot be added, said for the user.
pub(crate) fn erreur_lien<'a>(
    coordinateur_id: &'a str,
    mediateur_id: &'a str,
) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    const OP: &str = "l'ajout d'un médiateur à une équipe";
    move |e| {
        let genre = match &e {
            sqlx::Error::Database(d) => Some(d.kind()),
            _ => None,
        };
        let detail = match genre {
            Some(ErrorKind::UniqueViolation) => {
                "ce médiateur fait déjà partie de l'équipe de ce coordinateur".to_string()
            }
            Some(ErrorKind::ForeignKeyViolation) => {
                return StoreError::NotFound {
                    operation: OP,
                    detail: format!(
                        "le coordinateur « {coordinateur_id} » ou le médiateur \
                         « {mediateur_id} » n'a pas de compte"
                    ),
                }
            }
            Some(ErrorKind::CheckViolation) => {
                "un coordinateur ne peut pas être membre de sa propre équipe".to_string()
            }
            _ => return crate::commun::erreur_db(OP)(e),
        };
        if genre == Some(ErrorKind::UniqueViolation) {
            StoreError::Conflict {
                operation: OP,
                detail,
            }
        } else {
            StoreError::Invalid {
                operation: OP,
                detail,
            }
        }
    }
}

pub(crate) fn freinage_lu(cle: &str, etat: &str) -> Result<maillage_comptes::Freinage, StoreError> {
    serde_json::from_str(etat).map_err(|e| StoreError::Corrupt {
        what: format!("freinage.etat de la clé « {cle} »"),
        detail: e.to_string(),
    })
}

pub(crate) const COLONNES_UTILISATEUR: &str =
    "id, email, nom, mot_de_passe, email_verifie_le, cree_le, desactive_le";

pub(crate) const COLONNES_JETON: &str =
    "empreinte, but, utilisateur_id, email, cree_le, expire_le, utilise_le";

/// The operations on accounts, written once, expanded for each backend
/// (`$store` has a field `pool: sqlx::Pool<$db>` and the journal writer of
/// [`crate::activites::operations_activites`]). SQL uses `$N`
/// placeholders, which both backends accept; timestamps compare correctly
/// on both (TIMESTAMPTZ, or RFC 3339 text in UTC).
/// `s` with LIKE's wildcards escaped by `\`, for `LIKE … ESCAPE '\'`.
pub(crate) fn echapper_like(s: &str) -> String {
    let mut e = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            e.push('\\');
        }
        e.push(c);
    }
    e
}

macro_rules! operations_comptes {
    ($store:ident, $db:ty) => {
        impl $store {
            fn lire_utilisateur(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::Utilisateur, $crate::StoreError> {
                use $crate::commun::valeur;
                Ok($crate::Utilisateur {
                    id: valeur(row, 0, "utilisateurs.id")?,
                    email: valeur(row, 1, "utilisateurs.email")?,
                    nom: valeur(row, 2, "utilisateurs.nom")?,
                    mot_de_passe: valeur(row, 3, "utilisateurs.mot_de_passe")?,
                    email_verifie_le: valeur(row, 4, "utilisateurs.email_verifie_le")?,
                    cree_le: valeur(row, 5, "utilisateurs.cree_le")?,
                    desactive_le: valeur(row, 6, "utilisateurs.desactive_le")?,
                })
            }

            fn lire_jeton(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::JetonEnregistre, $crate::StoreError> {
                use $crate::commun::valeur;
                let but: String = valeur(row, 1, "jetons.but")?;
                Ok($crate::JetonEnregistre {
                    jeton: maillage_comptes::Jeton {
                        empreinte: valeur(row, 0, "jetons.empreinte")?,
                        but: $crate::comptes::but_du_code(&but)?,
                        expire_le: valeur(row, 5, "jetons.expire_le")?,
                        utilise_le: valeur(row, 6, "jetons.utilise_le")?,
                    },
                    utilisateur_id: valeur(row, 2, "jetons.utilisateur_id")?,
                    email: valeur(row, 3, "jetons.email")?,
                    cree_le: valeur(row, 4, "jetons.cree_le")?,
                })
            }

            pub(crate) async fn creer_utilisateur(
                &self,
                n: &$crate::NouvelUtilisateur,
            ) -> Result<String, $crate::StoreError> {
                const OP: &str = "la création d'un compte";
                let id = $crate::activites::nouvel_identifiant();
                let quand = $crate::commun::horodatage(n.cree_le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                sqlx::query(
                    "INSERT INTO utilisateurs (id, email, nom, mot_de_passe, cree_le) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(&n.email)
                .bind(&n.nom)
                .bind(&n.mot_de_passe)
                .bind(quand)
                .execute(&mut *tx)
                .await
                .map_err($crate::comptes::erreur_creation)?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: n.par.clone(),
                    action: maillage_comptes::ActionSensible::CreationCompte.code().to_string(),
                    cible: Some(id.clone()),
                    details: serde_json::json!({}),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(id)
            }

            pub(crate) async fn utilisateurs(
                &self,
                recherche: &str,
                limite: u32,
                decalage: u64,
            ) -> Result<(Vec<$crate::Utilisateur>, u64), $crate::StoreError> {
                const OP: &str = "la liste des comptes";
                let motif = format!("%{}%", $crate::comptes::echapper_like(&recherche.to_lowercase()));
                let condition = "(email LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(nom, '')) LIKE $1 ESCAPE '\\')";
                let total: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM utilisateurs WHERE {condition}"
                ))
                .bind(&motif)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM utilisateurs WHERE {condition} ORDER BY email LIMIT $2 OFFSET $3",
                    $crate::comptes::COLONNES_UTILISATEUR
                ))
                .bind(&motif)
                .bind(i64::from(limite))
                .bind(i64::try_from(decalage).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let liste = rows
                    .iter()
                    .map(Self::lire_utilisateur)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((liste, u64::try_from(total).unwrap_or(0)))
            }

            pub(crate) async fn utilisateur_ou(
                &self,
                colonne: &str,
                valeur: &str,
            ) -> Result<Option<$crate::Utilisateur>, $crate::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM utilisateurs WHERE {colonne} = $1",
                    $crate::comptes::COLONNES_UTILISATEUR
                ))
                .bind(valeur)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'un compte"))?;
                row.as_ref().map(Self::lire_utilisateur).transpose()
            }

            pub(crate) async fn changer_mot_de_passe(
                &self,
                id: &str,
                phc: &str,
                action: maillage_comptes::ActionSensible,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "le changement de mot de passe";
                let quand = $crate::commun::horodatage(le);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                let r = sqlx::query("UPDATE utilisateurs SET mot_de_passe = $1 WHERE id = $2")
                    .bind(phc)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound {
                        operation: OP,
                        detail: format!("aucun compte n'a l'identifiant « {id} »"),
                    });
                }
                let entree = $crate::NouvelleEntreeJournal {
                    quand,
                    acteur_id: par.map(str::to_string),
                    action: action.code().to_string(),
                    cible: Some(id.to_string()),
                    details: serde_json::json!({}),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(())
            }

            pub(crate) async fn marquer_email_verifie(
                &self,
                id: &str,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "la vérification d'une adresse e-mail";
                let r = sqlx::query("UPDATE utilisateurs SET email_verifie_le = $1 WHERE id = $2")
                    .bind($crate::commun::horodatage(le))
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(OP))?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound {
                        operation: OP,
                        detail: format!("aucun compte n'a l'identifiant « {id} »"),
                    });
                }
                Ok(())
            }

            /// Adds (`ajout`) or removes a grant and journals the role
            /// change, in one transaction; `false` (nothing journaled) when
            /// there was nothing to change.
            pub(crate) async fn changer_attribution(
                &self,
                id: &str,
                a: &maillage_comptes::Attribution,
                ajout: bool,
                par: Option<&str>,
                le: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                let op = if ajout {
                    "l'attribution d'un rôle"
                } else {
                    "le retrait d'un rôle"
                };
                let (perimetre, code) = $crate::comptes::colonnes_perimetre(&a.perimetre);
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(op))?;
                let sql = if ajout {
                    "INSERT INTO attributions (utilisateur_id, role, perimetre, perimetre_code) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM attributions WHERE utilisateur_id = $1 AND role = $2 \
                     AND perimetre = $3 AND perimetre_code = $4"
                };
                let r = sqlx::query(sql)
                    .bind(id)
                    .bind(a.role.code())
                    .bind(perimetre)
                    .bind(code)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::comptes::erreur_compte(op, id))?;
                if r.rows_affected() == 0 {
                    return Ok(false);
                }
                let entree = $crate::NouvelleEntreeJournal {
                    quand: $crate::commun::horodatage(le),
                    acteur_id: par.map(str::to_string),
                    action: maillage_comptes::ActionSensible::ChangementRole.code().to_string(),
                    cible: Some(id.to_string()),
                    details: $crate::comptes::details_attribution(
                        if ajout { "ajout" } else { "retrait" },
                        a,
                    ),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(op))?;
                Ok(true)
            }

            pub(crate) async fn attributions(
                &self,
                id: &str,
            ) -> Result<Vec<maillage_comptes::Attribution>, $crate::StoreError> {
                const OP: &str = "la lecture des rôles";
                let rows = sqlx::query(
                    "SELECT role, perimetre, perimetre_code FROM attributions \
                     WHERE utilisateur_id = $1 ORDER BY role, perimetre, perimetre_code",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let mut equipe = None;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let role: String = $crate::commun::valeur(row, 0, "attributions.role")?;
                    let perimetre: String =
                        $crate::commun::valeur(row, 1, "attributions.perimetre")?;
                    let code: String =
                        $crate::commun::valeur(row, 2, "attributions.perimetre_code")?;
                    // The team is read once, and only for a coordinator.
                    if perimetre == "equipe" && equipe.is_none() {
                        equipe = Some(self.liens_equipe(id).await?);
                    }
                    out.push($crate::comptes::attribution_lue(
                        &role,
                        &perimetre,
                        code,
                        equipe.as_deref().unwrap_or_default(),
                    )?);
                }
                Ok(out)
            }

            pub(crate) async fn lier_equipe(
                &self,
                coordinateur_id: &str,
                mediateur_id: &str,
                debut: chrono::NaiveDate,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO liens_equipe (coordinateur_id, mediateur_id, debut) \
                     VALUES ($1, $2, $3)",
                )
                .bind(coordinateur_id)
                .bind(mediateur_id)
                .bind(debut)
                .execute(&self.pool)
                .await
                .map_err($crate::comptes::erreur_lien(coordinateur_id, mediateur_id))?;
                Ok(())
            }

            pub(crate) async fn terminer_lien(
                &self,
                coordinateur_id: &str,
                mediateur_id: &str,
                fin: chrono::NaiveDate,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "le retrait d'un médiateur d'une équipe";
                let r = sqlx::query(
                    "UPDATE liens_equipe SET fin = $1 WHERE coordinateur_id = $2 \
                     AND mediateur_id = $3 AND fin IS NULL",
                )
                .bind(fin)
                .bind(coordinateur_id)
                .bind(mediateur_id)
                .execute(&self.pool)
                .await
                .map_err(|e| match $crate::commun::erreur_db(OP)(e) {
                    $crate::StoreError::Invalid { .. } => $crate::StoreError::Invalid {
                        operation: OP,
                        detail: format!("la fin du lien ({fin}) précède son début"),
                    },
                    autre => autre,
                })?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound {
                        operation: OP,
                        detail: format!(
                            "le médiateur « {mediateur_id} » n'est pas dans l'équipe de \
                             « {coordinateur_id} »"
                        ),
                    });
                }
                Ok(())
            }

            pub(crate) async fn liens_equipe(
                &self,
                coordinateur_id: &str,
            ) -> Result<Vec<maillage_comptes::LienEquipe>, $crate::StoreError> {
                let rows = sqlx::query(
                    "SELECT mediateur_id, debut, fin FROM liens_equipe \
                     WHERE coordinateur_id = $1 ORDER BY mediateur_id, debut",
                )
                .bind(coordinateur_id)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'une équipe"))?;
                rows.iter()
                    .map(|row| {
                        Ok(maillage_comptes::LienEquipe {
                            mediateur_id: $crate::commun::valeur(
                                row,
                                0,
                                "liens_equipe.mediateur_id",
                            )?,
                            debut: $crate::commun::valeur(row, 1, "liens_equipe.debut")?,
                            fin: $crate::commun::valeur(row, 2, "liens_equipe.fin")?,
                        })
                    })
                    .collect()
            }

            pub(crate) async fn creer_session(
                &self,
                empreinte: &str,
                utilisateur_id: &str,
                maintenant: chrono::DateTime<chrono::Utc>,
                expire_le: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "l'ouverture d'une session";
                let maintenant = $crate::commun::horodatage(maintenant);
                sqlx::query(
                    "INSERT INTO sessions (empreinte, utilisateur_id, cree_le, expire_le, \
                     derniere_activite_le) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(empreinte)
                .bind(utilisateur_id)
                .bind(maintenant)
                .bind($crate::commun::horodatage(expire_le))
                .bind(maintenant)
                .execute(&self.pool)
                .await
                .map_err($crate::comptes::erreur_compte(OP, utilisateur_id))?;
                Ok(())
            }

            pub(crate) async fn session(
                &self,
                empreinte: &str,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::Session>, $crate::StoreError> {
                let row = sqlx::query(
                    "SELECT s.utilisateur_id, s.cree_le, s.expire_le, s.derniere_activite_le \
                     FROM sessions s JOIN utilisateurs u ON u.id = s.utilisateur_id \
                     WHERE s.empreinte = $1 AND s.expire_le > $2 AND u.desactive_le IS NULL",
                )
                .bind(empreinte)
                .bind($crate::commun::horodatage(maintenant))
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la lecture d'une session"))?;
                row.map(|row| {
                    use $crate::commun::valeur;
                    Ok($crate::Session {
                        utilisateur_id: valeur(&row, 0, "sessions.utilisateur_id")?,
                        cree_le: valeur(&row, 1, "sessions.cree_le")?,
                        expire_le: valeur(&row, 2, "sessions.expire_le")?,
                        derniere_activite_le: valeur(&row, 3, "sessions.derniere_activite_le")?,
                    })
                })
                .transpose()
            }

            pub(crate) async fn toucher_session(
                &self,
                empreinte: &str,
                maintenant: chrono::DateTime<chrono::Utc>,
                expire_le: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::StoreError> {
                let maintenant = $crate::commun::horodatage(maintenant);
                let r = sqlx::query(
                    "UPDATE sessions SET derniere_activite_le = $1, expire_le = $2 \
                     WHERE empreinte = $3 AND expire_le > $4",
                )
                .bind(maintenant)
                .bind($crate::commun::horodatage(expire_le))
                .bind(empreinte)
                .bind(maintenant)
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("la prolongation d'une session"))?;
                Ok(r.rows_affected() > 0)
            }

            /// `DELETE FROM table WHERE condition` with one bound value;
            /// how many rows went.
            async fn supprimer_ou<T>(
                &self,
                sql: &'static str,
                valeur: T,
                operation: &'static str,
            ) -> Result<u64, $crate::StoreError>
            where
                T: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Send + 'static,
            {
                let r = sqlx::query(sql)
                    .bind(valeur)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::commun::erreur_db(operation))?;
                Ok(r.rows_affected())
            }

            pub(crate) async fn supprimer_session(
                &self,
                empreinte: &str,
            ) -> Result<bool, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM sessions WHERE empreinte = $1",
                    empreinte.to_string(),
                    "la fermeture d'une session",
                )
                .await
                .map(|n| n > 0)
            }

            pub(crate) async fn supprimer_sessions_de(
                &self,
                utilisateur_id: &str,
            ) -> Result<u64, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM sessions WHERE utilisateur_id = $1",
                    utilisateur_id.to_string(),
                    "la fermeture des sessions d'un compte",
                )
                .await
            }

            pub(crate) async fn purger_sessions_expirees(
                &self,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM sessions WHERE expire_le <= $1",
                    $crate::commun::horodatage(maintenant),
                    "la purge des sessions expirées",
                )
                .await
            }

            pub(crate) async fn enregistrer_jeton(
                &self,
                j: &$crate::JetonEnregistre,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "l'enregistrement d'un jeton";
                let compte = j.utilisateur_id.as_deref().unwrap_or_default();
                sqlx::query(
                    "INSERT INTO jetons (empreinte, but, utilisateur_id, email, cree_le, \
                     expire_le, utilise_le) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&j.jeton.empreinte)
                .bind(j.jeton.but.code())
                .bind(&j.utilisateur_id)
                .bind(&j.email)
                .bind($crate::commun::horodatage(j.cree_le))
                .bind($crate::commun::horodatage(j.jeton.expire_le))
                .bind(j.jeton.utilise_le.map($crate::commun::horodatage))
                .execute(&self.pool)
                .await
                .map_err($crate::comptes::erreur_compte(OP, compte))?;
                Ok(())
            }

            pub(crate) async fn enregistrer_invitation(
                &self,
                j: &$crate::JetonEnregistre,
                attribution: &maillage_comptes::Attribution,
                invite_par: Option<&str>,
                equipe_de: Option<&str>,
            ) -> Result<(), $crate::StoreError> {
                const OP: &str = "l'enregistrement d'une invitation";
                let mut tx = self.pool.begin().await.map_err($crate::commun::erreur_db(OP))?;
                sqlx::query(
                    "INSERT INTO jetons (empreinte, but, utilisateur_id, email, cree_le, \
                     expire_le, utilise_le) VALUES ($1, $2, NULL, $3, $4, $5, NULL)",
                )
                .bind(&j.jeton.empreinte)
                .bind(j.jeton.but.code())
                .bind(&j.email)
                .bind($crate::commun::horodatage(j.cree_le))
                .bind($crate::commun::horodatage(j.jeton.expire_le))
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let (perimetre, code) = $crate::comptes::colonnes_perimetre(&attribution.perimetre);
                sqlx::query(
                    "INSERT INTO invitations (empreinte, role, perimetre, perimetre_code, \
                     invite_par, equipe_de) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&j.jeton.empreinte)
                .bind(attribution.role.code())
                .bind(perimetre)
                .bind(code)
                .bind(invite_par)
                .bind(equipe_de)
                .execute(&mut *tx)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let entree = $crate::NouvelleEntreeJournal {
                    quand: j.cree_le,
                    acteur_id: invite_par.map(str::to_string),
                    action: maillage_comptes::ActionSensible::Invitation.code().to_string(),
                    cible: None,
                    details: serde_json::json!({
                        "role": attribution.role.code(),
                        "perimetre": perimetre,
                        "code": code,
                    }),
                };
                Self::ecrire_journal(&mut *tx, &entree).await?;
                tx.commit().await.map_err($crate::commun::erreur_db(OP))?;
                Ok(())
            }

            pub(crate) async fn invitation(
                &self,
                empreinte: &str,
            ) -> Result<Option<$crate::Invitation>, $crate::StoreError> {
                const OP: &str = "la lecture d'une invitation";
                let row = sqlx::query(
                    "SELECT j.email, i.role, i.perimetre, i.perimetre_code, i.invite_par, \
                     i.equipe_de, j.expire_le, j.utilise_le FROM invitations i \
                     JOIN jetons j ON j.empreinte = i.empreinte WHERE i.empreinte = $1",
                )
                .bind(empreinte)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let Some(row) = row else { return Ok(None) };
                use $crate::commun::valeur;
                let email: Option<String> = valeur(&row, 0, "jetons.email")?;
                let role: String = valeur(&row, 1, "invitations.role")?;
                let perimetre: String = valeur(&row, 2, "invitations.perimetre")?;
                let code: String = valeur(&row, 3, "invitations.perimetre_code")?;
                Ok(Some($crate::Invitation {
                    email: email.unwrap_or_default(),
                    attribution: $crate::comptes::attribution_lue(&role, &perimetre, code, &[])?,
                    invite_par: valeur(&row, 4, "invitations.invite_par")?,
                    equipe_de: valeur(&row, 5, "invitations.equipe_de")?,
                    expire_le: valeur(&row, 6, "jetons.expire_le")?,
                    utilise_le: valeur(&row, 7, "jetons.utilise_le")?,
                }))
            }

            /// One `UPDATE … RETURNING`: of two concurrent consumers, the
            /// second finds `utilise_le` set and changes nothing. The state
            /// is read again only to say why a token is refused.
            pub(crate) async fn consommer_jeton(
                &self,
                empreinte: &str,
                but: maillage_comptes::ButJeton,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<
                Result<$crate::JetonEnregistre, maillage_comptes::ErreurJeton>,
                $crate::StoreError,
            > {
                const OP: &str = "l'utilisation d'un jeton";
                let maintenant = $crate::commun::horodatage(maintenant);
                let row = sqlx::query(&format!(
                    "UPDATE jetons SET utilise_le = $1 WHERE empreinte = $2 AND but = $3 \
                     AND utilise_le IS NULL AND expire_le > $4 RETURNING {}",
                    $crate::comptes::COLONNES_JETON
                ))
                .bind(maintenant)
                .bind(empreinte)
                .bind(but.code())
                .bind(maintenant)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                if let Some(row) = row {
                    return Self::lire_jeton(&row).map(Ok);
                }
                let row = sqlx::query(&format!(
                    "SELECT {} FROM jetons WHERE empreinte = $1",
                    $crate::comptes::COLONNES_JETON
                ))
                .bind(empreinte)
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::commun::erreur_db(OP))?;
                let Some(row) = row else {
                    return Ok(Err(maillage_comptes::ErreurJeton::Inconnu));
                };
                let j = Self::lire_jeton(&row)?;
                // Same order as `maillage_comptes::consommer`.
                Ok(Err(if j.jeton.but != but {
                    maillage_comptes::ErreurJeton::MauvaisBut
                } else if j.jeton.utilise_le.is_some() {
                    maillage_comptes::ErreurJeton::DejaUtilise
                } else {
                    maillage_comptes::ErreurJeton::Expire
                }))
            }

            pub(crate) async fn purger_jetons_expires(
                &self,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM jetons WHERE expire_le <= $1",
                    $crate::commun::horodatage(maintenant),
                    "la purge des jetons expirés",
                )
                .await
            }

            pub(crate) async fn freinage(
                &self,
                cle: &str,
            ) -> Result<Option<maillage_comptes::Freinage>, $crate::StoreError> {
                let etat: Option<String> =
                    sqlx::query_scalar("SELECT etat FROM freinage WHERE cle = $1")
                        .bind(cle)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::commun::erreur_db("la lecture du freinage"))?;
                etat.map(|e| $crate::comptes::freinage_lu(cle, &e))
                    .transpose()
            }

            pub(crate) async fn enregistrer_freinage(
                &self,
                cle: &str,
                etat: &str,
                maintenant: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO freinage (cle, etat, modifie_le) VALUES ($1, $2, $3) \
                     ON CONFLICT (cle) DO UPDATE SET etat = excluded.etat, \
                     modifie_le = excluded.modifie_le",
                )
                .bind(cle)
                .bind(etat)
                .bind($crate::commun::horodatage(maintenant))
                .execute(&self.pool)
                .await
                .map_err($crate::commun::erreur_db("l'enregistrement du freinage"))?;
                Ok(())
            }

            pub(crate) async fn effacer_freinage(&self, cle: &str) -> Result<bool, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM freinage WHERE cle = $1",
                    cle.to_string(),
                    "l'effacement du freinage",
                )
                .await
                .map(|n| n > 0)
            }

            pub(crate) async fn purger_freinages(
                &self,
                modifies_avant: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                self.supprimer_ou(
                    "DELETE FROM freinage WHERE modifie_le < $1",
                    $crate::commun::horodatage(modifies_avant),
                    "la purge du freinage",
                )
                .await
            }
        }
    };
}

pub(crate) use operations_comptes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_normalise() {
        assert_eq!(
            normaliser_email("  Anne.Dupont@Exemple.FR \n"),
            "anne.dupont@exemple.fr"
        );
        assert!(verifier_email("t", "sans-arobase").is_err());
        assert!(verifier_email("t", "   ").is_err());
    }

    #[test]
    fn empreinte_et_phc_gardent_les_secrets_hors_de_la_base() {
        let empreinte = Jeton::empreinte_de("secret");
        assert!(verifier_empreinte("t", &empreinte).is_ok());
        assert!(verifier_empreinte("t", "secret").is_err());
        assert!(verifier_empreinte("t", &empreinte.to_uppercase()).is_err());
        assert!(verifier_phc("t", "$argon2id$v=19$m=19456,t=2,p=1$abc$def").is_ok());
        assert!(verifier_phc("t", "motdepasse").is_err());
    }

    #[test]
    fn perimetres_aller_retour() {
        for a in [
            Attribution::mediateur(),
            Attribution::coordinateur(Vec::new()),
            Attribution::gestionnaire_structure("S1"),
            Attribution::gestionnaire_departement("2A"),
            Attribution::gestionnaire_region("75"),
            Attribution::administrateur(),
        ] {
            assert!(verifier_attribution("t", &a).is_ok(), "{a:?}");
            let (perimetre, code) = colonnes_perimetre(&a.perimetre);
            let lue = attribution_lue(a.role.code(), perimetre, code.to_string(), &[])
                .expect("known codes");
            assert_eq!(lue, a);
        }
        let incoherente = Attribution {
            role: Role::Administrateur,
            perimetre: PerimetreAttribution::Personnel,
        };
        assert!(verifier_attribution("t", &incoherente).is_err());
        assert!(verifier_attribution("t", &Attribution::gestionnaire_structure(" ")).is_err());
    }
}
