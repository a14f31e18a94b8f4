//! `maillage compte`: accounts made by the operator, chiefly the first
//! administrator (nobody can grant roles in the site before one exists).
//! The password is read from `MAILLAGE_MOT_DE_PASSE` or from the first line
//! of standard input, never from the command line (it would stay in the
//! shell history and in `ps`).

use anyhow::Context;
use maillage_comptes::{Attribution, PerimetreAttribution, Role};
use maillage_store::{NouvelUtilisateur, Store};
use std::io::BufRead;

#[derive(clap::Subcommand, Debug)]
pub enum ActionCompte {
    /// Crée un compte à l'adresse confirmée, avec un rôle.
    ///
    /// Le mot de passe est lu dans MAILLAGE_MOT_DE_PASSE, sinon sur la première ligne de l'entrée standard.
    Creer {
        #[arg(long)]
        email: String,
        #[arg(long)]
        nom: String,
        #[command(flatten)]
        role: OptionsRole,
    },
    /// Attribue un rôle à un compte existant.
    Attribuer {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        role: OptionsRole,
    },
}

#[derive(clap::Args, Debug)]
pub struct OptionsRole {
    /// mediateur, coordinateur, gestionnaire_structure, gestionnaire_territorial ou administrateur.
    #[arg(long, default_value = "mediateur")]
    role: String,
    /// Département d'un gestionnaire territorial (33, 2A, 971).
    #[arg(long)]
    departement: Option<String>,
    /// Région d'un gestionnaire territorial (code INSEE : 75).
    #[arg(long)]
    region: Option<String>,
    /// Structure d'un gestionnaire de structure (SIRET).
    #[arg(long)]
    structure: Option<String>,
}

impl OptionsRole {
    fn attribution(&self) -> anyhow::Result<Attribution> {
        let role: Role = self.role.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let perimetre = match (role, &self.departement, &self.region, &self.structure) {
            (Role::Mediateur, None, None, None) => PerimetreAttribution::Personnel,
            (Role::Coordinateur, None, None, None) => PerimetreAttribution::Equipe(Vec::new()),
            (Role::Administrateur, None, None, None) => PerimetreAttribution::National,
            (Role::GestionnaireStructure, None, None, Some(s)) => {
                PerimetreAttribution::Structure(s.trim().to_string())
            }
            (Role::GestionnaireTerritorial, Some(d), None, None) => {
                PerimetreAttribution::Departement(d.trim().to_string())
            }
            (Role::GestionnaireTerritorial, None, Some(r), None) => {
                PerimetreAttribution::Region(r.trim().to_string())
            }
            (Role::GestionnaireTerritorial, ..) => anyhow::bail!(
                "un gestionnaire territorial a un périmètre : --departement CODE ou --region CODE (un seul)"
            ),
            (Role::GestionnaireStructure, ..) => {
                anyhow::bail!("un gestionnaire de structure a un périmètre : --structure SIRET")
            }
            (r, ..) => anyhow::bail!(
                "le rôle {} n'a pas de périmètre : retirez --departement, --region et --structure",
                r.code()
            ),
        };
        Ok(Attribution { role, perimetre })
    }
}

fn mot_de_passe() -> anyhow::Result<String> {
    if let Ok(m) = std::env::var("MAILLAGE_MOT_DE_PASSE") {
        return Ok(m);
    }
    let mut ligne = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut ligne)
        .context("lecture du mot de passe sur l'entrée standard")?;
    Ok(ligne.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn executer(store: &Store, action: ActionCompte) -> anyhow::Result<()> {
    let maintenant = chrono::Utc::now();
    match action {
        ActionCompte::Creer { email, nom, role } => {
            let attribution = role.attribution()?;
            let email = maillage_store::normaliser_email(&email);
            anyhow::ensure!(
                email.contains('@') && !email.starts_with('@') && !email.ends_with('@'),
                "adresse e-mail « {email} » invalide"
            );
            let mdp = mot_de_passe()?;
            if let Err(erreurs) = maillage_comptes::politique_mot_de_passe(&mdp, &email) {
                anyhow::bail!("mot de passe refusé : {}", erreurs.join(" "));
            }
            let phc = maillage_comptes::hacher_mot_de_passe(&mdp)
                .map_err(|e| anyhow::anyhow!("hachage du mot de passe : {e}"))?;
            let id = store
                .creer_utilisateur(&NouvelUtilisateur {
                    email: email.clone(),
                    nom: Some(nom.trim().to_string()).filter(|n| !n.is_empty()),
                    mot_de_passe: phc,
                    cree_le: maintenant,
                    par: None,
                })
                .await?;
            // The operator vouches for the address.
            store.marquer_email_verifie(&id, maintenant).await?;
            store.attribuer(&id, &attribution, None, maintenant).await?;
            println!(
                "Compte créé : {email} ({}), rôle {}.",
                id,
                attribution.role.libelle()
            );
        }
        ActionCompte::Attribuer { email, role } => {
            let attribution = role.attribution()?;
            let Some(u) = store.utilisateur_par_email(&email).await? else {
                anyhow::bail!("aucun compte pour « {} »", email.trim());
            };
            let nouveau = store
                .attribuer(&u.id, &attribution, None, maintenant)
                .await?;
            if nouveau {
                println!(
                    "Rôle {} attribué à {}.",
                    attribution.role.libelle(),
                    u.email
                );
            } else {
                println!("{} a déjà ce rôle.", u.email);
            }
        }
    }
    Ok(())
}
