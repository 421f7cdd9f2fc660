//! `kill -9` at pseudo-random moments, then `--resume`: the run ends with the bytes of a run that
//! never stopped, and no kill ever leaves a torn file behind.
//!
//! A kill can land before the first checkpoint exists (during startup, or in the first 50
//! steps). `modgrok train --resume DIR` then starts the run again from step 0 in place, which
//! ends with the same bytes; if the kill came before config.json was written there is no run
//! to resume (exit 2, "holds no run yet"), and `modgrok train --out DIR` starts it in the
//! directory the kill left. The test does exactly that.
mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_run, copy, files, is_temp, resume, stderr, tiny_ok};
use modgrok_host::config::RunConfig;
use modgrok_host::run::checkpoint::{read_model, read_optim};

/// add mod 23, half the pairs, a small model: ~1 ms a step; checkpoints every 50 steps.
const RUN: [&str; 21] = [
    "--op",
    "add",
    "--p",
    "23",
    "--frac",
    "0.5",
    "--d-model",
    "32",
    "--n-heads",
    "4",
    "--d-mlp",
    "64",
    "--steps",
    "1500",
    "--log-every",
    "10",
    "--checkpoint-every",
    "50",
    "--keep-checkpoints",
    "2",
    "--no-stop",
];
const SESSION: [&str; 3] = ["--threads", "1", "--quiet"];
const KILLS: usize = 10;

/// `modgrok train` of a new run, output discarded (nothing reads it while it runs).
fn fresh(out: &Path) -> Command {
    let mut cmd = common::command();
    cmd.arg("train")
        .args(SESSION)
        .args(RUN)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null());
    cmd
}

/// Knuth's MMIX LCG: the kill moments are the same on every run (as fractions of the length of
/// an uninterrupted run on this machine).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a kill may leave: temporary files (swept by the next resume) and a torn last row of
/// metrics.csv (dropped by it), never a torn config, checkpoint or final model.
fn assert_nothing_torn(dir: &Path, when: &str) {
    for f in files(dir) {
        let path = dir.join(&f);
        let name = f.to_string_lossy();
        if is_temp(&f) {
            continue;
        }
        if name == "config.json" {
            let text = std::fs::read_to_string(&path).unwrap();
            serde_json::from_str::<RunConfig>(&text)
                .unwrap_or_else(|e| panic!("{when}: torn config.json: {e}"));
        } else if name.ends_with(".optim.safetensors") {
            read_optim(&path).unwrap_or_else(|e| panic!("{when}: {e}"));
        } else if name.ends_with(".safetensors") {
            read_model(&path).unwrap_or_else(|e| panic!("{when}: {e}"));
        }
    }
}

/// The refusal of `--resume` on a run killed before its config.json was written.
/// What `--resume` says of a run killed before it wrote `config.json`: the directory holds no run
/// yet or, when the kill came before the directory was created (a slow start on a loaded
/// machine), there is no run directory at all.
fn nothing_to_resume(run: &Path, err: &str) -> bool {
    let empty = fs::read_dir(run).map_or(true, |mut d| d.next().is_none());
    err.contains("holds no run yet") || (empty && err.contains("is not a run directory"))
}

#[test]
fn ten_kills_at_random_moments_resume_to_the_bytes_of_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, run) = (tmp.path().join("straight"), tmp.path().join("killed"));
    let clock = Instant::now();
    let o = fresh(&straight).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let whole = clock.elapsed();

    let mut lcg = Lcg(0x6d6f_6467_726f_6b21);
    let (mut kills, mut resumed, mut started_over) = (Vec::new(), 0, 0);
    let mut is_new = true;
    let mut finished = false;
    for _session in 0..4 * KILLS {
        if kills.len() == KILLS {
            break;
        }
        // Kills 1, 5 and 9 land in the first 20 ms of a session (startup, loading a
        // checkpoint; for kill 1, before the first checkpoint exists); the others 3–20% of a
        // whole run into the session, often during a checkpoint write.
        let u = lcg.unit();
        let delay = if kills.len() % 4 == 0 {
            Duration::from_secs_f64(0.020 * u)
        } else {
            whole.mul_f64(0.03 + 0.17 * u)
        };
        let mut cmd = if is_new { fresh(&run) } else { resume(&run) };
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            let o = child.wait_with_output().unwrap();
            assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
            let newest = files(&run.join("checkpoints"))
                .iter()
                .filter_map(|f| f.to_str()?.strip_suffix(".optim.safetensors"))
                .filter_map(|f| f.strip_prefix("step_")?.parse::<u64>().ok())
                .max();
            let kind = if is_new { "new" } else { "resumed" };
            kills.push((delay.as_millis(), kind, newest));
            assert_nothing_torn(&run, &format!("after kill {}", kills.len()));
            is_new = false;
            continue;
        }
        // The session ended by itself before the kill.
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        if o.status.success() {
            finished = true;
            break;
        }
        assert!(!is_new, "a new run failed: {err}");
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(nothing_to_resume(&run, &err), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        started_over += 1;
        is_new = true;
    }
    if !finished {
        let o = resume(&run).output().unwrap();
        if o.status.code() == Some(2) && nothing_to_resume(&run, &stderr(&o)) {
            started_over += 1;
            let o = fresh(&run).output().unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
        } else {
            assert!(o.status.success(), "{}", stderr(&o));
            resumed += 1;
        }
    }
    resumed += kills.iter().filter(|k| k.1 == "resumed").count();
    eprintln!(
        "uninterrupted run {whole:?}; kills (ms into the session, session, newest \
         checkpoint after it): {kills:?}; \
         started over {started_over} times; {resumed} resumed sessions"
    );
    assert!(
        kills.len() >= KILLS / 2,
        "only {} kills landed",
        kills.len()
    );
    assert!(resumed >= 1, "no session resumed from a checkpoint");
    assert_same_run(&straight, &run);
}

// The deterministic tests below use the tiny run of common::tiny_ok: add mod 7, 60 steps,
// checkpoints every 20.

/// A kill between writing the last checkpoint (step 60) and pruning the old ones leaves three
/// checkpoints where `--keep-checkpoints 2` keeps two; the resume, which starts at step 60 and
/// so writes no checkpoint, still prunes.
#[test]
fn a_kill_before_the_last_prune_resumes_to_the_same_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, early, run) = (
        tmp.path().join("straight"),
        tmp.path().join("early"),
        tmp.path().join("run"),
    );
    tiny_ok(&straight, &[]);
    tiny_ok(&early, &["--halt-after", "25"]);
    copy(
        &straight,
        &run,
        &[
            "config.json",
            "metrics.csv",
            "checkpoints/step_0000040.safetensors",
            "checkpoints/step_0000040.optim.safetensors",
            "checkpoints/step_0000060.safetensors",
            "checkpoints/step_0000060.optim.safetensors",
        ],
    );
    copy(
        &early,
        &run,
        &[
            "checkpoints/step_0000020.safetensors",
            "checkpoints/step_0000020.optim.safetensors",
        ],
    );
    let o = resume(&run).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&straight, &run);
}

/// A kill during a checkpoint write leaves the model file of step 60 without its optimizer
/// file, and temporary files of the writes in flight; the resume goes back to step 40, sweeps
/// the temporary files and overwrites the orphan.
#[test]
fn a_kill_inside_a_checkpoint_write_resumes_from_the_previous_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, run) = (tmp.path().join("straight"), tmp.path().join("run"));
    tiny_ok(&straight, &[]);
    tiny_ok(&run, &["--halt-after", "55"]);
    copy(&straight, &run, &["checkpoints/step_0000060.safetensors"]);
    let pid = std::process::id();
    for junk in [
        format!("checkpoints/.tmp.step_0000060.optim.safetensors.{pid}"),
        format!(".tmp.metrics.csv.{pid}"),
    ] {
        std::fs::write(run.join(junk), b"half a fi").unwrap();
    }
    let o = resume(&run).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&straight, &run);
}

/// A flipped byte in the tensor data of the newest checkpoint, model or optimizer file:
/// `--resume` names the file that failed its checksum, says it resumes from the checkpoint
/// before, rewrites the damaged one when it gets there and ends with the bytes of a run that
/// never stopped.
#[test]
fn a_checkpoint_with_a_flipped_data_byte_is_skipped_and_said_so() {
    let tmp = tempfile::tempdir().unwrap();
    let straight = tmp.path().join("straight");
    tiny_ok(&straight, &[]);
    for (i, file) in [
        "checkpoints/step_0000040.safetensors",
        "checkpoints/step_0000040.optim.safetensors",
    ]
    .iter()
    .enumerate()
    {
        let run = tmp.path().join(format!("run{i}"));
        tiny_ok(&run, &["--halt-after", "45"]);
        let path = run.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let o = resume(&run).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("warning: ")
                && err.contains(path.to_str().unwrap())
                && err.contains("checksum")
                && err.contains("resuming from the checkpoint at step 20"),
            "{err}"
        );
        assert_same_run(&straight, &run);
    }
}
