//! `--resume` continues to the same bytes as a run that never stopped: checkpoints, final
//! parameters and metrics.csv, including the early-stopping state.
use std::path::{Path, PathBuf};

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::train::Outcome;

mod common;
use common::{resume, train};

fn finished_at(outcome: Outcome) -> u64 {
    match outcome {
        Outcome::Finished(r) => r.final_step,
        Outcome::Halted { step } => panic!("halted at {step}"),
    }
}

/// Every file of both runs that must match, by relative path; report.json and the plots may
/// differ (wall time).
fn assert_same_bytes(a: &Path, b: &Path) {
    let mut files: Vec<PathBuf> = vec![
        "final.safetensors".into(),
        "metrics.csv".into(),
        "config.json".into(),
    ];
    let mut ckpts: Vec<String> = std::fs::read_dir(a.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    ckpts.sort();
    let mut other: Vec<String> = std::fs::read_dir(b.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    other.sort();
    assert_eq!(ckpts, other, "checkpoint file names differ");
    files.extend(ckpts.iter().map(|c| PathBuf::from("checkpoints").join(c)));
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(x == y, "{} differs after resume", f.display());
    }
}

#[test]
fn resume_from_step_300_gives_identical_bytes_at_600() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, split) = (tmp.path().join("straight"), tmp.path().join("split"));
    assert_eq!(
        finished_at(train(&straight, &["--steps", "600", "--no-stop"]).unwrap()),
        600
    );
    let halted = train(
        &split,
        &["--steps", "600", "--no-stop", "--halt-after", "300"],
    )
    .unwrap();
    assert_eq!(halted, Outcome::Halted { step: 300 });
    assert!(!split.join("final.safetensors").exists());
    assert_eq!(finished_at(resume(&split).unwrap()), 600);
    assert!(split.join("checkpoints/step_0000600.safetensors").exists());
    assert_same_bytes(&straight, &split);
}

#[test]
fn resume_drops_rows_after_the_checkpoint_and_a_torn_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, split) = (tmp.path().join("straight"), tmp.path().join("split"));
    train(&straight, &["--steps", "600", "--no-stop"]).unwrap();
    train(
        &split,
        &["--steps", "600", "--no-stop", "--halt-after", "360"],
    )
    .unwrap();
    let metrics = split.join("metrics.csv");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains("\n350,"),
        "rows past the checkpoint were written"
    );
    text.push_str("375,2.3");
    std::fs::write(&metrics, text).unwrap();
    match resume(&split).unwrap() {
        Outcome::Finished(r) => assert_eq!(r.resumed_from, Some(300)),
        o => panic!("{o:?}"),
    }
    assert_same_bytes(&straight, &split);
}

#[test]
fn resume_skips_a_truncated_newest_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, split) = (tmp.path().join("straight"), tmp.path().join("split"));
    train(&straight, &["--steps", "500", "--no-stop"]).unwrap();
    train(
        &split,
        &["--steps", "500", "--no-stop", "--halt-after", "450"],
    )
    .unwrap();
    let newest = split.join("checkpoints/step_0000400.safetensors");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() / 2]).unwrap();
    match resume(&split).unwrap() {
        Outcome::Finished(r) => assert_eq!(r.resumed_from, Some(300)),
        o => panic!("{o:?}"),
    }
    assert_same_bytes(&straight, &split);
}

/// With threshold 0 every logged step counts as grokked, so the stretch starts at step 0 and
/// the run stops at the first logged step ≥ patience = 450. A resume at 300 that forgot the
/// stretch would run on to 600.
#[test]
fn early_stopping_state_survives_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, split) = (tmp.path().join("straight"), tmp.path().join("split"));
    let flags = [
        "--steps",
        "600",
        "--grok-threshold",
        "0",
        "--patience",
        "450",
    ];
    let a = train(&straight, &flags).unwrap();
    let Outcome::Finished(ra) = a else {
        panic!("{a:?}")
    };
    assert_eq!(
        (ra.final_step, ra.stopped_early, ra.steps_to_grok),
        (450, true, Some(0))
    );
    let mut halted = flags.to_vec();
    halted.extend(["--halt-after", "320"]);
    train(&split, &halted).unwrap();
    let b = resume(&split).unwrap();
    let Outcome::Finished(rb) = b else {
        panic!("{b:?}")
    };
    assert_eq!(
        (rb.final_step, rb.stopped_early, rb.steps_to_grok),
        (450, true, Some(0))
    );
    assert_eq!(rb.steps_to_memorise, ra.steps_to_memorise);
    assert_same_bytes(&straight, &split);
}

#[test]
fn resume_without_a_checkpoint_starts_again_and_ends_with_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, dir) = (tmp.path().join("straight"), tmp.path().join("run"));
    train(&straight, &["--steps", "300"]).unwrap();
    train(&dir, &["--steps", "300", "--halt-after", "60"]).unwrap();
    assert!(dir.join("metrics.csv").is_file());
    assert_eq!(
        std::fs::read_dir(dir.join("checkpoints")).unwrap().count(),
        0
    );
    assert_eq!(finished_at(resume(&dir).unwrap()), 300);
    assert_same_bytes(&straight, &dir);
    let err = resume(&tmp.path().join("nothing")).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
}

#[test]
fn resume_refuses_a_checkpoint_from_another_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    train(&a, &["--steps", "600", "--halt-after", "150"]).unwrap();
    train(
        &b,
        &["--steps", "600", "--seed", "1", "--halt-after", "150"],
    )
    .unwrap();
    for f in ["step_0000100.safetensors", "step_0000100.optim.safetensors"] {
        std::fs::copy(b.join("checkpoints").join(f), a.join("checkpoints").join(f)).unwrap();
    }
    let err = resume(&a).unwrap_err();
    assert!(err.to_string().contains("another run"), "{err}");
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn resume_with_run_flags_is_refused() {
    let err = TrainArgs::from_flags(&["--resume", "x", "--p", "11"]).unwrap_err();
    assert!(err.to_string().contains("cannot be used with"), "{err}");
    assert_eq!(err.exit_code(), 2);
}

/// metrics.csv without its last column, `emb_ffs_mult`: the file a build from before that column
/// wrote (every other cell is computed as before).
fn without_emb_ffs_mult(text: &str) -> String {
    assert!(text.starts_with("step,") && text.lines().next().unwrap().ends_with(",emb_ffs_mult"));
    text.lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect()
}

/// A run started before `emb_ffs_mult` existed resumes with the columns of its header, from a
/// checkpoint and from none, to the bytes of that build (the new column left out of a run that
/// never stopped); it keeps the additive analysis, while a new multiply run adds the
/// multiplicative one.
#[test]
fn a_run_whose_header_lacks_emb_ffs_mult_resumes_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let op = ["--op", "multiply", "--steps", "400", "--no-stop"];
    let straight = tmp.path().join("straight");
    train(&straight, &op).unwrap();
    let csv = std::fs::read_to_string(straight.join("metrics.csv")).unwrap();
    let old_csv = without_emb_ffs_mult(&csv);
    let analysis = std::fs::read_to_string(straight.join("analysis.json")).unwrap();
    assert!(analysis.contains("\"multiplicative\""));
    assert!(
        straight
            .join("embedding_spectrum_multiplicative.svg")
            .is_file()
    );
    let report = std::fs::read_to_string(straight.join("report.json")).unwrap();
    assert!(report.contains("\"emb_ffs_mult\""));

    for (name, halt) in [("from_checkpoint", "250"), ("from_none", "60")] {
        let dir = tmp.path().join(name);
        let mut flags = op.to_vec();
        flags.extend_from_slice(&["--halt-after", halt]);
        train(&dir, &flags).unwrap();
        let metrics = dir.join("metrics.csv");
        let text = std::fs::read_to_string(&metrics).unwrap();
        std::fs::write(&metrics, without_emb_ffs_mult(&text)).unwrap();
        assert_eq!(finished_at(resume(&dir).unwrap()), 400, "{name}");
        assert_eq!(
            std::fs::read_to_string(&metrics).unwrap(),
            old_csv,
            "{name}"
        );
        for f in ["final.safetensors", "config.json"] {
            assert_eq!(
                std::fs::read(dir.join(f)).unwrap(),
                std::fs::read(straight.join(f)).unwrap(),
                "{name}: {f}"
            );
        }
        let analysis = std::fs::read_to_string(dir.join("analysis.json")).unwrap();
        assert!(!analysis.contains("\"multiplicative\""), "{name}");
        assert!(!dir.join("embedding_spectrum_multiplicative.svg").exists());
        let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
        assert!(!report.contains("emb_ffs_mult"), "{name}");
    }
}

#[test]
fn a_session_stopped_through_its_control_resumes_to_the_same_bytes() {
    use modgrok_host::train::{self, control::Control};
    use std::sync::Arc;

    let tmp = tempfile::tempdir().unwrap();
    let (straight, split) = (tmp.path().join("straight"), tmp.path().join("split"));
    train(&straight, &["--steps", "600", "--no-stop"]).unwrap();

    let tail = ["--steps", "600", "--no-stop", "--quiet"];
    let flags = common::flags(&[
        &common::TINY_DATA,
        &common::TINY_MODEL,
        &common::BASE,
        &tail,
    ]);
    let args = TrainArgs::from_flags(&flags).unwrap();
    let control = Arc::new(Control::default());
    let mut opts = args.options().unwrap();
    opts.control = Some(control.clone());
    let cfg = args.spec().derived().unwrap();
    let watcher = {
        let control = control.clone();
        std::thread::spawn(move || {
            while control.step() < 150 {
                std::thread::yield_now();
            }
            control.request_stop();
        })
    };
    let outcome = train::train_new(&cfg, &split, &opts).unwrap();
    watcher.join().unwrap();
    let Outcome::Halted { step } = outcome else {
        panic!("the session did not stop: {outcome:?}")
    };
    assert!((150..600).contains(&step), "stopped at {step}");
    assert_eq!(control.steps(), 600);
    assert_eq!(control.step(), step);
    let row = control.last_row().expect("a logged row before the stop");
    assert!(row.step <= step && row.step % 25 == 0, "last row {row:?}");
    assert!(!split.join("final.safetensors").exists());
    assert_eq!(finished_at(resume(&split).unwrap()), 600);
    assert_same_bytes(&straight, &split);
}
