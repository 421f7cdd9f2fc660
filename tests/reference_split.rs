//! The published code's split (SPEC §2, `--pairs reference`, the default), checked from outside:
//! a run's logged train and test accuracy equal those of its checkpoints evaluated by
//! `tests/fixtures/eval_split.py`, which builds the split with Python's own `random` and runs the
//! reference model's forward pass in plain Python (needs `python3`, standard library only).
use std::path::Path;
use std::process::Command;

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::config::RunConfig;
use modgrok_host::step::dataset::Dataset;
use modgrok_host::train::Outcome;
use serde_json::Value;

#[test]
fn the_default_run_trains_add_mod_97_on_3121_of_the_10404_reference_pairs() {
    let cfg = RunConfig::default().derived().unwrap();
    assert_eq!((cfg.op.as_str(), cfg.p, cfg.frac), ("add", 97, 0.3));
    let data = Dataset::build(&cfg).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (3121, 10404 - 3121));
    // SPEC §2's vector: the shuffled list starts (58,84) (31,88) (25,27) (23,96) (92,98).
    let first: Vec<[u16; 3]> = data.train[..5].iter().map(|e| e.tokens).collect();
    assert_eq!(
        first,
        [
            [58, 98, 84],
            [31, 98, 88],
            [25, 98, 27],
            [23, 98, 96],
            [92, 98, 98]
        ]
    );
    // (92, 98): the token 98 is `+` at position 1 and 1 as an operand.
    assert_eq!(data.train[4].label, (92 + 98) % 97);
    let with_special = data
        .train
        .iter()
        .filter(|e| e.tokens[0] >= 97 || e.tokens[2] >= 97)
        .count();
    assert!(
        with_special > 0,
        "no train pair has a special-token operand"
    );
}

/// Runs the evaluator on one model file of `run`.
fn python_eval(run: &Path, model: &Path) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eval_split.py");
    let out = Command::new("python3")
        .args([script, run.to_str().unwrap(), model.to_str().unwrap()])
        .output()
        .expect("python3 runs (the tests need it on PATH)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The metrics row of `step` as column name → value.
fn metrics_row(run: &Path, step: u64) -> Vec<(String, f64)> {
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[0] == step.to_string())
        .unwrap_or_else(|| panic!("no metrics row at step {step}"));
    header
        .iter()
        .zip(row)
        .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
        .collect()
}

fn column(row: &[(String, f64)], name: &str) -> f64 {
    row.iter()
        .find(|(h, _)| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

/// For every checkpoint of a run: the Python evaluation's correct counts are the logged
/// accuracies times the set sizes. The two forward passes (f32 in modgrok, f64 in Python) may
/// only disagree on near-ties, whose count bounds the difference; the runs here have none.
fn check_run(flags: &[&str], pairs: &str, sizes: (u64, u64)) {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let mut all = flags.to_vec();
    all.extend_from_slice(&[
        "--p",
        "13",
        "--frac",
        "0.5",
        "--seed",
        "1",
        "--d-model",
        "32",
        "--heads",
        "4",
        "--d-mlp",
        "64",
        "--lr",
        "3e-3",
        "--steps",
        "600",
        "--no-stop",
        "--log-every",
        "100",
        "--checkpoint-every",
        "200",
        "--keep-checkpoints",
        "0",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    let outcome = TrainArgs::from_flags(&all).unwrap().train().unwrap();
    assert!(matches!(outcome, Outcome::Finished(_)));
    for step in [200u64, 400, 600] {
        let model = run.join(format!("checkpoints/step_{step:07}.safetensors"));
        let eval = python_eval(&run, &model);
        assert_eq!(eval["pairs"], pairs);
        let row = metrics_row(&run, step);
        let tasks = eval["tasks"].as_array().unwrap();
        for t in tasks {
            let name = t["task"].as_str().unwrap();
            for side in ["train", "test"] {
                let s = &t[side];
                let n = s["n"].as_u64().unwrap();
                assert_eq!(n, if side == "train" { sizes.0 } else { sizes.1 });
                let col = if tasks.len() == 1 {
                    format!("{side}_acc")
                } else {
                    format!("{side}_acc.{name}")
                };
                let logged = (column(&row, &col) * n as f64).round() as i64;
                let correct = s["correct"].as_i64().unwrap();
                let ties = s["near_ties"].as_i64().unwrap();
                assert!(
                    (logged - correct).abs() <= ties,
                    "step {step} {name} {side}: logged {logged}/{n}, Python {correct}/{n} ({ties} near-ties)"
                );
                assert!(ties <= 2, "step {step} {name} {side}: {ties} near-ties");
            }
        }
    }
}

#[test]
fn logged_accuracy_of_a_reference_run_is_that_of_its_checkpoints_on_pythons_split() {
    // 18² = 324 pairs; frac 0.5 gives 162 train.
    check_run(&["--op", "add"], "reference", (162, 162));
}

#[test]
fn a_mixture_with_multiply_non_zero_shares_pythons_non_zero_split() {
    // The token 0 dropped from both operands: 17² = 289 pairs, 144 train.
    check_run(
        &["--op", "add,multiply_non_zero", "--pairs", "reference"],
        "reference",
        (144, 145),
    );
}

#[test]
fn a_field_run_is_evaluated_on_the_p_squared_split() {
    check_run(&["--op", "subtract", "--pairs", "field"], "field", (84, 85));
}
