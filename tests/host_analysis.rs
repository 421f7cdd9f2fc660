//! The Fourier measures on the host: the live `metrics.csv` columns (range, and the same bits as
//! a fresh `FourierProbe` on the same parameters) and `analyse` (thread-count independence, the
//! Table 4 and excluded-loss identities, a mixture analysed task by task).
use std::path::Path;

use modgrok_core::model::init_params;
use modgrok_host::analysis::{AnalysisOptions, Bases, FourierProbe, analyse, analysis_json};
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::run::checkpoint;
use modgrok_host::run::dir::RunDir;

const COLUMNS: [&str; 4] = ["emb_ffs", "emb_fcr", "nlm_ffs", "nlm_fcr"];

/// 200 steps unless `steps` says otherwise.
fn train(out: &Path, op: &str, p: &str, extra: &[&str]) {
    let steps = if extra.contains(&"--steps") {
        &[][..]
    } else {
        &["--steps", "200"][..]
    };
    let mut flags = vec![
        "--op",
        op,
        "--p",
        p,
        "--frac",
        "0.5",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "32",
        "--log-every",
        "20",
        "--threads",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    flags.extend_from_slice(steps);
    flags.extend_from_slice(extra);
    TrainArgs::from_flags(&flags).unwrap().train().unwrap();
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn metrics_csv_has_the_four_fourier_columns_in_the_unit_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "13", &["--ffs-eps", "0.2", "--seed", "4"]);
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let idx: Vec<usize> = COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("column"))
        .collect();
    assert_eq!(header[idx[3] + 1], "weight_norm", "{header:?}");
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 11);
    for r in &rows {
        for (&i, c) in idx.iter().zip(COLUMNS) {
            assert!(
                (0.0..=1.0).contains(&r[i]),
                "{c} = {} at step {}",
                r[i],
                r[0]
            );
        }
    }
    // Row 0 is the init; FFS at p = 13 is a multiple of 1/12.
    let cfg = RunDir::open(&run).unwrap().read_config().unwrap();
    assert_eq!(cfg.ffs_eps, 0.2);
    let model = cfg.model;
    let mut params = vec![0.0; model.n_params()];
    init_params(&model, 4, &mut params).unwrap();
    let m = FourierProbe::new(&model, 13, 0.2)
        .unwrap()
        .measure(&params)
        .unwrap();
    assert_eq!(
        idx.iter().map(|&i| rows[0][i]).collect::<Vec<_>>(),
        [m.emb_ffs, m.emb_fcr, m.nlm_ffs, m.nlm_fcr]
    );
    let twelfths = rows[0][idx[0]] * 12.0;
    assert!((twelfths - twelfths.round()).abs() < 1e-9, "{twelfths}");
}

#[test]
fn analysis_is_identical_for_1_and_3_threads_and_losses_decompose() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "17", &[]);
    let file = checkpoint::read_model(&run.join("final.safetensors")).unwrap();
    let opts = |threads| AnalysisOptions {
        ffs_eps: 0.1,
        key_threshold: 0.05,
        threads,
        basis: Bases::Both,
    };
    let one = analyse(&file.config, &file.params, file.step, "m", &opts(1)).unwrap();
    let three = analyse(&file.config, &file.params, file.step, "m", &opts(3)).unwrap();
    assert_eq!(analysis_json(&one), analysis_json(&three));

    let t = &one.tasks[0];
    for (side, loss, excluded, table, restricted) in [
        (
            "train",
            t.loss.train,
            &t.excluded_loss.train,
            &t.table4.train,
            t.restricted_loss.train,
        ),
        (
            "all",
            t.loss.all,
            &t.excluded_loss.all,
            &t.table4.all,
            t.restricted_loss.all,
        ),
    ] {
        assert!(
            rel(table.all, loss) < 1e-9,
            "{side}: {} vs {loss}",
            table.all
        );
        assert!(rel(excluded[0], loss) < 1e-9, "{side}: baseline");
        assert_eq!(table.key, restricted, "{side}: restricted = key part alone");
        assert_eq!(excluded.len(), 9);
    }
    // With every frequency key, the key part is all of the components and the non-key part is
    // empty (zero logits: loss ln p).
    let all_key = AnalysisOptions {
        key_threshold: 0.0,
        ..opts(2)
    };
    let a = analyse(&file.config, &file.params, file.step, "m", &all_key).unwrap();
    let t = &a.tasks[0];
    assert_eq!(t.key_frequencies, (1..=8).collect::<Vec<_>>());
    assert!(rel(t.table4.all.non_key, 17f64.ln()) < 1e-12);
    assert!(rel(t.table4.all.key_non_key, t.table4.all.key) < 1e-12);
}

#[test]
fn a_mixture_is_analysed_task_by_task_with_its_own_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("mix");
    train(&run, "add,multiply", "11", &["--steps", "60"]);
    let file = checkpoint::read_model(&run.join("final.safetensors")).unwrap();
    let opts = AnalysisOptions {
        ffs_eps: 0.1,
        key_threshold: 0.05,
        threads: 2,
        basis: Bases::Additive,
    };
    let a = analyse(&file.config, &file.params, file.step, "m", &opts).unwrap();
    let names: Vec<(&str, u16)> = a
        .tasks
        .iter()
        .map(|t| (t.task.as_str(), t.op_token))
        .collect();
    assert_eq!(names, [("add", 12), ("multiply", 14)]);
    assert_ne!(a.tasks[0].loss, a.tasks[1].loss);
    // The train-end analysis wrote one logit map per task.
    for f in ["logit_spectrum_2d_task0.svg", "logit_spectrum_2d_task1.svg"] {
        assert!(run.join(f).is_file(), "{f}");
    }
}
