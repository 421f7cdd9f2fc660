//! The built `modgrok` binary end to end: the run directory, the `--json` summary, help, exit
//! codes and one-line errors.
mod common;

use std::path::Path;
use std::process::Output;

use common::{TINY_MODEL, TINY_SCHEDULE, assert_same_run, modgrok, stderr, tiny_ok};

/// `modgrok train` of add mod 7 on 60 % of the pairs with the tiny model, on 2 threads, then
/// `extra`.
fn tiny(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--p", "7", "--frac", "0.6"];
    args.extend(TINY_MODEL);
    args.extend(TINY_SCHEDULE);
    args.extend(["--threads", "2"]);
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    modgrok(&args)
}

#[test]
fn train_json_prints_only_the_summary_and_writes_the_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs/tiny");
    let o = tiny(&out, &["--json", "--no-stop", "--keep-checkpoints", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "--json hides the bar: {}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("stdout is one JSON value");
    assert_eq!(summary["final_step"], 60);
    assert_eq!(summary["p"], 7);
    assert_eq!(summary["stopped_early"], false);
    for key in [
        "steps_to_memorise",
        "steps_to_grok",
        "final_train_loss",
        "final_test_acc",
        "wall_time_s",
        "steps_per_s",
    ] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["final_test_loss"], summary["final_test_loss"]);
    for f in [
        "config.json",
        "metrics.csv",
        "final.safetensors",
        "report.json",
        "loss.svg",
        "accuracy.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let mut ckpts: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    ckpts.sort();
    assert_eq!(
        ckpts,
        [
            "step_0000040.optim.safetensors",
            "step_0000040.safetensors",
            "step_0000060.optim.safetensors",
            "step_0000060.safetensors"
        ],
        "--keep-checkpoints 2 keeps the two newest"
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let steps: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(steps, ["0", "10", "20", "30", "40", "50", "60"]);
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (
            cfg["d_vocab"].as_u64(),
            cfg["d_head"].as_u64(),
            cfg["frac"].as_f64()
        ),
        (Some(12), Some(4), Some(0.6))
    );
}

#[test]
fn a_mixture_gets_per_task_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mix");
    let o = tiny(&out, &["--op", "add,x^2 + y", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains(",train_loss.add,") && header.contains(",test_acc.x^2 + y,"),
        "{header}"
    );
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        cfg["tasks"][1]["token"], 7,
        "the polynomial takes `=`, token p"
    );
}

#[test]
fn halt_then_resume_on_the_command_line_matches_a_straight_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert!(tiny(&a, &["--no-stop", "--quiet"]).status.success());
    let h = tiny(&b, &["--no-stop", "--quiet", "--halt-after", "30"]);
    assert!(h.status.success(), "{}", stderr(&h));
    let r = modgrok(&[
        "train",
        "--resume",
        b.to_str().unwrap(),
        "--json",
        "--threads",
        "1",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let summary: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(summary["resumed_from"], 20);
    for f in [
        "final.safetensors",
        "metrics.csv",
        "checkpoints/step_0000060.safetensors",
    ] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn help_shows_defaults_and_an_example() {
    let o = modgrok(&["train", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "[default: 97]",
        "[default: 0.3]",
        "[default: 300000]",
        "[default: 1e-8]",
        "Examples:",
        "--resume",
    ] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
}

#[test]
fn bad_inputs_exit_2_with_one_line_and_no_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let existing = tmp.path().join("exists");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("notes.txt"), "not a run").unwrap();
    // What a run killed before it wrote config.json leaves: no run to resume.
    let leftover = tmp.path().join("leftover");
    std::fs::create_dir_all(leftover.join("checkpoints")).unwrap();
    std::fs::write(leftover.join(".tmp.config.json.123"), "{").unwrap();
    let lo = leftover.to_str().unwrap();
    let empty_run = tmp.path().join("halted");
    assert!(
        tiny(&empty_run, &["--quiet", "--halt-after", "5"])
            .status
            .success()
    );
    let ex = existing.to_str().unwrap();
    let er = empty_run.to_str().unwrap();
    let nowhere = tmp.path().join("never").to_str().unwrap().to_string();
    let cases: [(Vec<&str>, &str); 9] = [
        (
            vec!["train", "--op", "nonsense", "--out", &nowhere],
            "unknown operation",
        ),
        (vec!["train", "--p", "91", "--out", &nowhere], "p = 91"),
        (
            vec!["train", "--frac", "1.5", "--out", &nowhere],
            "frac = 1.5",
        ),
        (vec!["train", "--p", "7", "--out", ex], "already exists"),
        (
            vec![
                "train",
                "--d-model",
                "10",
                "--heads",
                "4",
                "--out",
                &nowhere,
            ],
            "not divisible",
        ),
        (vec!["train", "--resume", lo], "holds no run yet"),
        (
            vec!["train", "--resume", er, "--p", "11"],
            "cannot be used with",
        ),
        (vec!["train", "--p", "seven"], "invalid value"),
        (
            vec!["train", "--threads", "0", "--out", &nowhere],
            "--threads",
        ),
    ];
    for (args, needle) in cases {
        let o = modgrok(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    assert!(
        !Path::new(&nowhere).exists(),
        "a refused run creates no directory"
    );
}

#[test]
fn a_directory_left_before_the_config_was_written_takes_a_new_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, left) = (tmp.path().join("straight"), tmp.path().join("left"));
    tiny_ok(&straight, &[]);
    std::fs::create_dir_all(left.join("checkpoints")).unwrap();
    std::fs::write(left.join(".tmp.config.json.4242"), "{\"op\"").unwrap();
    std::fs::write(
        left.join(modgrok_host::run::lock::LOCK_FILE),
        "      4242\n",
    )
    .unwrap();
    tiny_ok(&left, &[]);
    assert_same_run(&straight, &left);
}
