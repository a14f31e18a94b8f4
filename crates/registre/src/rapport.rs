//! Reports for people: the per-source import summary printed by the CLI and
//! the error report (`--errors FILE.csv`) a data steward works from.

use crate::consolidation::RapportConsolidation;
use crate::import::Rapport;
use maillage_lieux::Issue;
use std::fmt::Write as _;

/// Plain-language label of an issue code, for the summary tables.
pub fn libelle_code(code: &str) -> &str {
    match code {
        "champ_obligatoire" => "champ obligatoire manquant",
        "id_en_double" => "identifiant en double",
        "colonnes_en_trop" | "cellules_en_trop" => "cellules en trop",
        "colonnes_manquantes" | "cellules_manquantes" => "cellules manquantes",
        "valeur_inconnue" => "valeur hors de l'énumération",
        "horaires_illisibles" => "horaires illisibles",
        _ => code,
    }
}

/// Multi-line French summary of an import.
pub fn resume_import(r: &Rapport) -> String {
    let p = &r.preparation;
    let mut s = String::new();
    let titre = if r.simulation {
        "Simulation d'import"
    } else {
        "Import"
    };
    let _ = writeln!(s, "{titre} de la source « {} »", p.source);
    for f in &p.fichiers {
        let _ = writeln!(
            s,
            "  {} : {} lus, {} valides, {} rejetés",
            f.fichier, f.lus, f.valides, f.rejetes
        );
    }
    let motifs = p.motifs_rejet();
    if !motifs.is_empty() {
        let _ = writeln!(s, "  Rejets par motif :");
        for (code, n) in &motifs {
            let _ = writeln!(s, "    {n:>6}  {}", libelle_code(code));
        }
    }
    let avert = p.avertissements();
    if !avert.is_empty() {
        let _ = writeln!(s, "  Corrections et avertissements :");
        for (code, n) in &avert {
            let _ = writeln!(s, "    {n:>6}  {}", libelle_code(code));
        }
    }
    let verbe = if r.simulation {
        "seraient"
    } else {
        "ont été"
    };
    let _ = writeln!(
        s,
        "  Registre : {} lieux {verbe} ajoutés, {} modifiés, {} supprimés ; {} inchangés.",
        r.ajoutes.len(),
        r.modifies.len(),
        r.supprimes.len(),
        r.inchanges
    );
    if r.simulation {
        for (titre, ids) in [
            ("ajoutés", &r.ajoutes),
            ("modifiés", &r.modifies),
            ("supprimés", &r.supprimes),
        ] {
            if !ids.is_empty() {
                let montres: Vec<&str> = ids.iter().take(20).map(String::as_str).collect();
                let suite = if ids.len() > 20 {
                    format!(" … (+{})", ids.len() - 20)
                } else {
                    String::new()
                };
                let _ = writeln!(s, "    {titre} : {}{suite}", montres.join(", "));
            }
        }
    }
    s
}

pub fn resume_consolidation(r: &RapportConsolidation) -> String {
    format!(
        "Consolidation : {} enregistrements de sources → {} lieux publiés ({} groupes de doublons, {} doublons fusionnés).\n",
        r.enregistrements, r.groupes, r.groupes_fusionnes, r.doublons
    )
}

/// Writes the error report: one row per problem, in French.
pub fn ecrire_erreurs_csv<'a, W: std::io::Write>(
    w: W,
    issues: impl IntoIterator<Item = &'a Issue>,
) -> csv::Result<u64> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "fichier", "ligne", "id", "champ", "gravite", "code", "message",
    ])?;
    let mut n = 0;
    for i in issues {
        out.write_record([
            i.file.as_deref().unwrap_or_default(),
            &i.line.map(|l| l.to_string()).unwrap_or_default(),
            i.record_id.as_deref().unwrap_or_default(),
            i.field.as_deref().unwrap_or_default(),
            i.severity.libelle(),
            i.code,
            &i.message,
        ])?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}
