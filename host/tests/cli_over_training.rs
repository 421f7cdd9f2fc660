//! The built `modgrok` binary: `analyze --over-training` on tiny runs that keep every
//! checkpoint (over_training.csv and its figure, the final row against `analyze`, thread counts,
//! mixtures, one-line errors).
mod common;

use std::path::Path;

use common::{assert_one_line_error, modgrok, stderr};
use modgrok_host::commands::analyze::AnalyzeArgs;
use serde_json::Value;

/// `op` mod 11 on half the pairs of Z_p, d_model 16, all 300 steps, every checkpoint kept:
/// one every `every` steps.
fn train(out: &Path, op: &str, every: &str) {
    common::field_run(
        out,
        op,
        "0",
        &[
            "--checkpoint-every",
            every,
            "--keep-checkpoints",
            "0",
            "--no-stop",
        ],
    );
}

/// `modgrok analyze --over-training RUN --out OUT --threads N`, which must succeed; its stdout.
fn over_training(run: &Path, out: &Path, threads: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "analyze",
        "--over-training",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        threads,
    ];
    args.extend_from_slice(extra);
    let o = modgrok(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// A CSV file: its header and rows of cells.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        for r in &rows {
            assert_eq!(r.len(), header.len(), "ragged row {r:?}");
        }
        Table { header, rows }
    }

    fn get(&self, row: usize, column: &str) -> f64 {
        let i = self
            .header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.header));
        self.rows[row][i]
            .parse()
            .unwrap_or_else(|e| panic!("{column} row {row}: {e}"))
    }

    fn steps(&self) -> Vec<u64> {
        (0..self.rows.len())
            .map(|r| self.get(r, "step") as u64)
            .collect()
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{v} is not a finite number"))
}

/// Equal bits.
fn assert_same(got: f64, want: f64, what: &str) {
    assert_eq!(got.to_bits(), want.to_bits(), "{what}: {got} vs {want}");
}

#[test]
fn the_final_row_equals_the_final_analysis_and_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "50");
    let out = tmp.path().join("ot");
    let printed = over_training(&run, &out, "2", &[]);
    // `modgrok analyze RUN` in-process, for its exact f64s (serde_json's parser may be an ulp
    // off on the numbers of analysis.json).
    let an = tmp.path().join("an");
    let a = AnalyzeArgs::from_flags(&[
        run.to_str().unwrap(),
        "--out",
        an.to_str().unwrap(),
        "--threads",
        "2",
    ])
    .unwrap()
    .analyze()
    .unwrap()
    .analysis;
    let t = Table::read(&out.join("over_training.csv"));
    let last = t.rows.len() - 1;
    assert_eq!(t.get(last, "step"), a.step as f64);
    let task = &a.tasks[0];
    // The same core functions on the same logits in the same order: bit for bit.
    for (column, want) in [
        ("restricted_loss", task.restricted_loss.train),
        ("train_loss", task.loss.train),
        ("train_acc", task.accuracy.train),
        ("emb_ffs", a.embedding.ffs),
        ("emb_fcr", a.embedding.fcr),
        ("nlm_ffs", a.neuron_logit_map.ffs),
        ("nlm_fcr", a.neuron_logit_map.fcr),
    ] {
        assert_same(t.get(last, column), want, column);
    }
    let keys = &task.key_frequencies;
    assert!(!keys.is_empty(), "the test wants key frequencies: {task:?}");
    let per_key: Vec<&String> = t
        .header
        .iter()
        .filter(|h| h.starts_with("excluded_loss_k"))
        .collect();
    let names: Vec<String> = keys.iter().map(|k| format!("excluded_loss_k{k}")).collect();
    assert_eq!(per_key, names.iter().collect::<Vec<_>>());
    for (&k, name) in keys.iter().zip(&names) {
        assert_same(t.get(last, name), task.excluded_loss.train[k], name);
    }
    // Every key frequency removed at once is Table 4's non-key + residual, which adds the parts
    // back up (`non-key + (L_c − key − non-key)` against `L_c − key`): equal up to the f64
    // rounding of logits of size ~10, so 1e-12 relative.
    let excluded = t.get(last, "excluded_loss");
    let want = task.table4.train.non_key_residual;
    assert!(
        (excluded - want).abs() <= 1e-12 * want.abs(),
        "{excluded} vs {want}"
    );
    assert!(
        excluded > t.get(last, "train_loss"),
        "removing the key frequencies hurts"
    );
    // The model columns are metrics.csv's at the same parameters (logged every 50 steps); both
    // files print shortest round-trip floats, which Rust parses exactly.
    let m = Table::read(&run.join("metrics.csv"));
    for (r, step) in t.steps().iter().enumerate() {
        let mr = m.steps().iter().position(|s| s == step).unwrap();
        for column in [
            "emb_ffs",
            "emb_fcr",
            "nlm_ffs",
            "nlm_fcr",
            "emb_ffs_mult",
            "weight_norm",
        ] {
            assert_same(t.get(r, column), m.get(mr, column), column);
        }
    }
    assert_eq!(printed.lines().count(), 1, "{printed}");
    assert!(
        printed.starts_with("over training: 6 models, steps 50..300")
            && printed.contains("over_training.svg"),
        "{printed}"
    );
    let svg = std::fs::read_to_string(out.join("over_training.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("restricted loss"),
        "{svg:.200}"
    );
    assert!(!out.join("analysis.json").exists());
}

#[test]
fn one_row_per_checkpoint_in_step_order_and_the_same_bytes_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "50");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    over_training(&run, &one, "1", &["--quiet"]);
    let printed = over_training(&run, &two, "2", &["--json"]);
    let t = Table::read(&one.join("over_training.csv"));
    assert_eq!(t.steps(), [50, 100, 150, 200, 250, 300]);
    let leading = [
        "step",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
        "restricted_loss",
        "excluded_loss",
    ];
    assert_eq!(t.header[..leading.len()], leading);
    assert_eq!(t.header.last().map(String::as_str), Some("weight_norm"));
    for file in ["over_training.csv", "over_training.svg"] {
        let (a, b) = (
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(two.join(file)).unwrap(),
        );
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
    // Memorisation: the train loss falls over the run.
    assert!(t.get(5, "train_loss") < t.get(0, "train_loss"));
    let rows: Value = serde_json::from_str(&printed).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    // serde_json's parser may land an ulp away from the printed value: 1e-15 relative.
    for (r, row) in rows.iter().enumerate() {
        let (got, want) = (f(&row["restricted_loss"]), t.get(r, "restricted_loss"));
        assert!(
            (got - want).abs() <= 1e-15 * want.abs(),
            "row {r}: {got} vs {want}"
        );
        assert_eq!(row["step"].as_u64(), Some(t.steps()[r]));
    }
}

#[test]
fn the_final_model_is_the_last_row_when_no_checkpoint_has_its_step() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "80");
    let out = tmp.path().join("ot");
    over_training(&run, &out, "2", &["--quiet"]);
    let t = Table::read(&out.join("over_training.csv"));
    assert_eq!(t.steps(), [80, 160, 240, 300]);
}

#[test]
fn a_mixture_has_columns_and_a_figure_per_task() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add,subtract", "100");
    over_training(&run, &run, "2", &["--quiet"]);
    let t = Table::read(&run.join("over_training.csv"));
    assert_eq!(t.steps(), [100, 200, 300]);
    for task in ["add", "subtract"] {
        for column in ["restricted_loss", "excluded_loss", "test_acc"] {
            let v = t.get(2, &format!("{column}.{task}"));
            assert!(v.is_finite(), "{column}.{task} = {v}");
        }
    }
    assert!(!t.header.iter().any(|h| h == "restricted_loss"));
    for i in 0..2 {
        assert!(run.join(format!("over_training_task{i}.svg")).is_file());
    }
}

#[test]
fn refuses_a_run_without_checkpoints_and_a_model_file() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "add", "100");
    let ckpt = run.join("checkpoints/step_0000100.safetensors");
    let o = modgrok(&["analyze", "--over-training", ckpt.to_str().unwrap()]);
    assert_one_line_error(&o, 2, "takes a run directory");
    for e in std::fs::read_dir(run.join("checkpoints")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let o = modgrok(&["analyze", "--over-training", run.to_str().unwrap()]);
    assert_one_line_error(&o, 2, "holds no checkpoints");
    assert!(!run.join("over_training.csv").exists());
    let o = modgrok(&[
        "analyze",
        "--over-training",
        tmp.path().join("nothing").to_str().unwrap(),
    ]);
    assert_one_line_error(&o, 2, "run directory");
}
