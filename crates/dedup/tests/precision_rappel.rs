//! Precision and recall of Maillage's grouping and of the reference rule on
//! the labelled pairs (tests/data/paires.csv, built by generer_paires.py:
//! labels from construction or inspection, never from the scorer).

mod commun;

use maillage_dedup::{reference, regrouper, regrouper_avec_statistiques, score, Fiche, Options};

struct Mesure {
    vp: usize,
    fp: usize,
    vn: usize,
    fn_: usize,
}

impl Mesure {
    fn precision(&self) -> f64 {
        self.vp as f64 / (self.vp + self.fp).max(1) as f64
    }
    fn rappel(&self) -> f64 {
        self.vp as f64 / (self.vp + self.fn_).max(1) as f64
    }
}

fn mesurer(paires: &[commun::Paire], groupe_de: &[usize]) -> Mesure {
    let mut m = Mesure {
        vp: 0,
        fp: 0,
        vn: 0,
        fn_: 0,
    };
    for p in paires {
        let predit = groupe_de[p.a] == groupe_de[p.b];
        match (p.vrai, predit) {
            (true, true) => m.vp += 1,
            (false, true) => m.fp += 1,
            (false, false) => m.vn += 1,
            (true, false) => m.fn_ += 1,
        }
    }
    m
}

fn groupe_de(n: usize, groupes: &[maillage_dedup::Groupe]) -> Vec<usize> {
    let mut g = vec![usize::MAX; n];
    for (k, groupe) in groupes.iter().enumerate() {
        for &i in &groupe.membres {
            g[i] = k;
        }
    }
    g
}

#[test]
fn precision_and_recall_beat_the_reference_rule() {
    let (maillage, isole) = evaluer("variantes.csv", "paires.csv", 300);
    assert!(
        maillage.precision() >= 0.98,
        "précision {:.3}",
        maillage.precision()
    );
    assert!(maillage.rappel() >= 0.95, "rappel {:.3}", maillage.rappel());
    assert!(
        isole.precision() >= 0.98,
        "précision {:.3}",
        isole.precision()
    );
    assert!(isole.rappel() >= 0.95, "rappel {:.3}", isole.rappel());
}

/// The control set: generated after the scorer was frozen, only measured.
/// Its thresholds are the same; a failure here means over-fitting.
#[test]
fn control_set_holds_up() {
    let (maillage, isole) = evaluer("controle-variantes.csv", "controle-paires.csv", 300);
    assert!(
        maillage.precision() >= 0.98,
        "précision {:.3}",
        maillage.precision()
    );
    assert!(maillage.rappel() >= 0.95, "rappel {:.3}", maillage.rappel());
    assert!(
        isole.precision() >= 0.98,
        "précision {:.3}",
        isole.precision()
    );
    assert!(isole.rappel() >= 0.95, "rappel {:.3}", isole.rappel());
}

/// Measures Maillage and the reference rule on one labelled set; returns
/// Maillage's measures (whole registry, pairs in isolation).
fn evaluer(variantes: &str, fichier_paires: &str, minimum: usize) -> (Mesure, Mesure) {
    let enregistrements = commun::tous(variantes);
    let paires = commun::paires(&enregistrements, fichier_paires);
    assert!(paires.len() >= minimum, "{} paires", paires.len());
    println!("== {fichier_paires}");
    let fiches: Vec<Fiche> = enregistrements
        .iter()
        .map(|e| Fiche {
            source: &e.source,
            lieu: &e.lieu,
        })
        .collect();
    let options = Options::default();

    let (groupes, stats) = regrouper_avec_statistiques(&fiches, &options);
    // Every record in exactly one group.
    let g = groupe_de(fiches.len(), &groupes);
    assert!(g.iter().all(|&x| x != usize::MAX));
    assert_eq!(
        groupes.iter().map(|g| g.membres.len()).sum::<usize>(),
        fiches.len()
    );
    let maillage = mesurer(&paires, &g);

    let reference = reference::regrouper(&fiches, false);
    let r = mesurer(&paires, &groupe_de(fiches.len(), &reference));

    // Pairs in isolation: the same rules without the help of the rest of
    // the registry (no same-source veto through a third record).
    let isole = |f: &dyn Fn(usize, usize) -> bool| {
        let mut m = Mesure {
            vp: 0,
            fp: 0,
            vn: 0,
            fn_: 0,
        };
        for p in &paires {
            match (p.vrai, f(p.a, p.b)) {
                (true, true) => m.vp += 1,
                (false, true) => m.fp += 1,
                (false, false) => m.vn += 1,
                (true, false) => m.fn_ += 1,
            }
        }
        m
    };
    let maillage_isole = isole(&|a, b| {
        let deux = [fiches[a], fiches[b]];
        regrouper(&deux, &options).len() == 1
    });
    let reference_isole = isole(&|a, b| reference::doublons(&fiches[a], &fiches[b], false));

    let vrais = paires.iter().filter(|p| p.vrai).count();
    println!(
        "{} fiches, {} paires étiquetées ({} vraies, {} fausses)",
        fiches.len(),
        paires.len(),
        vrais,
        paires.len() - vrais
    );
    println!("statistiques Maillage : {stats:?}");
    for (nom, m) in [
        ("Maillage", &maillage),
        ("référence", &r),
        ("Maillage, paires isolées", &maillage_isole),
        ("référence, paires isolées", &reference_isole),
    ] {
        println!(
            "{nom:>26} : précision {:.3}, rappel {:.3} (VP {}, FP {}, VN {}, FN {})",
            m.precision(),
            m.rappel(),
            m.vp,
            m.fp,
            m.vn,
            m.fn_
        );
    }
    for p in &paires {
        let predit = g[p.a] == g[p.b];
        if predit != p.vrai {
            let s = score(&fiches[p.a], &fiches[p.b]);
            println!(
                "ERREUR {} : « {} » [{}] / « {} » [{}] — {} — points {:.2} nom {:.2} voie {:?} d {:?}",
                if p.vrai { "FN" } else { "FP" },
                fiches[p.a].lieu.nom,
                fiches[p.a].source,
                fiches[p.b].lieu.nom,
                fiches[p.b].source,
                p.raison,
                s.points,
                s.nom,
                s.voie,
                s.distance_m.map(|d| d.round())
            );
            for k in [g[p.a], g[p.b]] {
                let noms: Vec<String> = groupes[k]
                    .membres
                    .iter()
                    .map(|&i| format!("{} [{}]", fiches[i].lieu.nom, fiches[i].source))
                    .collect();
                println!("    groupe : {}", noms.join(" ; "));
            }
        }
    }
    for p in &paires {
        let deux = [fiches[p.a], fiches[p.b]];
        if (regrouper(&deux, &options).len() == 1) != p.vrai {
            let s = score(&fiches[p.a], &fiches[p.b]);
            println!(
                "ERREUR ISOLÉE {} : « {} » [{}] / « {} » [{}] — {} — {s:?}",
                if p.vrai { "FN" } else { "FP" },
                fiches[p.a].lieu.nom,
                fiches[p.a].source,
                fiches[p.b].lieu.nom,
                fiches[p.b].source,
                p.raison,
            );
        }
    }
    (maillage, maillage_isole)
}
