//! One writer per run directory (`modgrok_host::run::lock`): a resume of a run that is still
//! training is refused with the holder's pid, two resumes at once never both write, and two
//! sweeps on the same shard (a resubmitted array job) end with every run byte-identical to a
//! lone sweep's.
mod common;

use std::path::Path;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::{TINY_MODEL, TINY_SCHEDULE, assert_same_run, command, modgrok, resume, stderr};

/// Waits up to a minute for `path` to exist.
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before {} existed", path.display());
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The steps of `metrics.csv`, which must strictly increase (no row twice).
fn assert_rows_once(run: &Path) {
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let steps: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "{}: rows repeat or go back: {steps:?}",
        run.display()
    );
}

#[test]
fn a_resume_of_a_run_still_training_is_refused_with_its_pid_and_a_later_one_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let mut args = vec![
        "train",
        "--threads",
        "1",
        "--p",
        "7",
        "--frac",
        "0.6",
        "--quiet",
    ];
    args.extend(TINY_MODEL);
    args.extend([
        "--steps",
        "100000000",
        "--log-every",
        "10",
        "--checkpoint-every",
        "20",
    ]);
    args.extend(["--out", run.to_str().unwrap()]);
    let mut child = command().args(&args).spawn().unwrap();
    wait_for(
        &run.join("checkpoints/step_0000040.optim.safetensors"),
        &mut child,
    );
    let o = resume(&run).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("is in use by process {}", child.id())),
        "{err}"
    );
    assert!(err.contains("wait for it to finish, or stop it"), "{err}");
    child.kill().unwrap();
    child.wait().unwrap();

    // Two resumes at once: one trains, the other is refused, or they take turns; never both.
    let start = || resume(&run).args(["--halt-after", "200"]).spawn().unwrap();
    let (a, b) = (start(), start());
    let outs: Vec<Output> = [a, b].map(|c| c.wait_with_output().unwrap()).into();
    for o in &outs {
        let ok = o.status.success();
        // The holder may not have written its pid yet: "in use by another process".
        let busy = o.status.code() == Some(1) && stderr(o).contains("is in use by");
        assert!(ok || busy, "{}", stderr(o));
    }
    assert!(outs.iter().any(|o| o.status.success()));
    assert_rows_once(&run);
}

#[test]
fn two_sweeps_on_one_shard_end_as_one_sweep_would() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep_args = |out: &Path| -> Vec<String> {
        [
            "sweep",
            "--ops",
            "add,subtract,multiply",
            "--p",
            "7",
            "--fracs",
            "0.5,0.6,0.7",
            "--seeds",
            "0-1",
            "--no-stop",
            "--jobs",
            "1",
            "--threads",
            "1",
            "--quiet",
        ]
        .iter()
        .chain(&TINY_MODEL)
        .chain(&TINY_SCHEDULE)
        .map(|s| s.to_string())
        .chain(["--out".into(), out.to_str().unwrap().to_string()])
        .collect()
    };
    let lone = tmp.path().join("lone");
    let o = modgrok(
        &sweep_args(&lone)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&lone)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| lone.join(n).is_dir())
        .collect();
    assert_eq!(names.len(), 18);
    for trial in 0..3 {
        let out = tmp.path().join(format!("both{trial}"));
        let spawn = || command().args(sweep_args(&out)).spawn().unwrap();
        let (a, b) = (spawn(), spawn());
        for o in [a, b].map(|c| c.wait_with_output().unwrap()) {
            assert!(o.status.success(), "trial {trial}: {}", stderr(&o));
        }
        for n in &names {
            let run = out.join(n);
            assert!(
                run.join("report.json").is_file(),
                "trial {trial}: {n} unfinished"
            );
            assert_same_run(&lone.join(n), &run);
            assert_rows_once(&run);
        }
    }
}
