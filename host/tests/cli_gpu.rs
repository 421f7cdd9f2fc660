//! `--backend gpu` on the command line: where no adapter exists, `train` and `sweep` give one
//! line on stderr that says what to do, exit status 1, and no run directory; where one exists,
//! a sweep trains every run on it and skips them when run again, and a sweep batching its runs
//! (`--batch-runs`) gives each run the bytes it has alone, killed or not.
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tiny model, a few steps, on the gpu backend; `--out` comes last.
const TINY_GPU: [&str; 13] = [
    "--p",
    "7",
    "--d-model",
    "8",
    "--heads",
    "2",
    "--d-mlp",
    "16",
    "--steps",
    "5",
    "--backend",
    "gpu",
    "--out",
];

/// Runs `modgrok COMMAND TINY_GPU tmp/run` where the Vulkan loader finds no driver, so wgpu
/// finds no adapter on any machine, and checks the refusal.
fn refused_without_an_adapter(command: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let empty = tmp.path().join("no_icd.json");
    let output = Command::new(env!("CARGO_BIN_EXE_modgrok"))
        .args(command)
        .args(TINY_GPU)
        .arg(&out)
        .env("VK_ICD_FILENAMES", &empty)
        .env("VK_DRIVER_FILES", &empty)
        .env("XDG_RUNTIME_DIR", tmp.path())
        .output()
        .expect("run modgrok");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("mesa-vulkan-drivers") && lines[0].contains("--backend cpu"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn backend_gpu_without_an_adapter_exits_1_with_one_line_and_creates_nothing() {
    refused_without_an_adapter(&["train"]);
}

#[test]
fn sweep_backend_gpu_without_an_adapter_refuses_before_any_run() {
    refused_without_an_adapter(&["sweep", "--ops", "add,subtract"]);
}

#[test]
fn sweep_backend_gpu_trains_every_run_on_the_adapter_and_skips_them_when_rerun() {
    let Some(ctx) = modgrok_gpu::GpuContext::or_skip("sweep_backend_gpu") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let sweep = || {
        let output = Command::new(env!("CARGO_BIN_EXE_modgrok"))
            .args([
                "sweep",
                "--ops",
                "add,multiply",
                "--fracs",
                "0.5",
                "--p",
                "7",
            ])
            .args([
                "--d-model",
                "8",
                "--heads",
                "2",
                "--d-mlp",
                "16",
                "--steps",
                "30",
            ])
            .args(["--backend", "gpu", "--jobs", "2", "--json", "--out"])
            .arg(&out)
            .output()
            .expect("run modgrok");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        summary["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(sweep(), ["trained", "trained"]);
    for name in ["add_p7_f0.5_s0", "multiply_p7_f0.5_s0"] {
        let text = std::fs::read_to_string(out.join(name).join("config.json")).unwrap();
        let cfg: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(cfg["backend"], "gpu", "{name}");
        assert_eq!(
            cfg["adapter"].as_str(),
            Some(ctx.adapter_name().as_str()),
            "{name}"
        );
        assert!(out.join(name).join("report.json").exists(), "{name}");
    }
    assert_eq!(sweep(), ["skipped", "skipped"]);
}

#[test]
fn backend_flag_is_refused_with_resume() {
    let output = Command::new(env!("CARGO_BIN_EXE_modgrok"))
        .args(["train", "--resume", "somewhere", "--backend", "gpu"])
        .output()
        .expect("run modgrok");
    assert_eq!(output.status.code(), Some(2));
}

/// add mod 11 at 90 % of the pairs, seeds 0–3, on the gpu: seed 2 groks and stops at step 290,
/// the others train all 400 steps, so runs leave the batch at different steps and the next run
/// joins it mid-way.
const BATCH_GRID: [&str; 28] = [
    "sweep",
    "--ops",
    "add",
    "--fracs",
    "0.9",
    "--seeds",
    "0-3",
    "--p",
    "11",
    "--d-model",
    "16",
    "--heads",
    "2",
    "--d-mlp",
    "64",
    "--lr",
    "3e-3",
    "--steps",
    "400",
    "--patience",
    "100",
    "--grok-threshold",
    "0.99",
    "--checkpoint-every",
    "50",
    "--backend",
    "gpu",
    "--quiet",
];

fn batch_sweep(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = common::command();
    cmd.args(BATCH_GRID).args(extra).arg("--out").arg(out);
    cmd
}

fn finished(out: &Path, extra: &[&str]) {
    let o = batch_sweep(out, extra).output().expect("run modgrok");
    assert!(o.status.success(), "{}", common::stderr(&o));
}

#[test]
fn a_batched_sweep_killed_or_not_gives_each_run_the_bytes_it_has_alone() {
    if modgrok_gpu::GpuContext::or_skip("batched_sweep").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (alone, batched, killed) = (
        tmp.path().join("alone"),
        tmp.path().join("batched"),
        tmp.path().join("killed"),
    );
    finished(&alone, &["--batch-runs", "1"]);
    finished(&batched, &["--batch-runs", "auto"]);

    // kill -9 once the first checkpoints exist, then the same command again.
    let mut child = batch_sweep(&killed, &["--batch-runs", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start modgrok");
    let start = Instant::now();
    let first = killed.join("add_p11_f0.9_s0/checkpoints/step_0000050.safetensors");
    while !first.exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !killed.join("add_p11_f0.9_s3/report.json").exists(),
        "the sweep finished before it was killed"
    );
    finished(&killed, &["--batch-runs", "3"]);

    let mut final_steps = Vec::new();
    for seed in 0..4 {
        let name = format!("add_p11_f0.9_s{seed}");
        for other in [&batched, &killed] {
            common::assert_same_run(&alone.join(&name), &other.join(&name));
        }
        let report = std::fs::read_to_string(alone.join(&name).join("report.json")).unwrap();
        let report: serde_json::Value = serde_json::from_str(&report).unwrap();
        final_steps.push(report["final_step"].as_u64().unwrap());
    }
    final_steps.sort();
    final_steps.dedup();
    assert!(
        final_steps.len() > 1,
        "every run ended at step {final_steps:?}"
    );
}

#[test]
fn batch_runs_is_refused_on_the_cpu_and_beside_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    for (flags, needle) in [
        (&["--batch-runs", "2"][..], "--backend gpu"),
        (
            &["--batch-runs", "2", "--backend", "gpu", "--jobs", "2"][..],
            "--jobs",
        ),
    ] {
        let o = common::modgrok(
            &[
                &["sweep", "--ops", "add", "--p", "7", "--out"][..],
                &[tmp.path().join("s").to_str().unwrap()],
                flags,
            ]
            .concat(),
        );
        common::assert_one_line_error(&o, 2, needle);
    }
}

#[test]
fn runs_of_two_shapes_in_one_batched_sweep_keep_their_bytes() {
    // Two fractions make two groups with their own device batches, stepping side by side.
    if modgrok_gpu::GpuContext::or_skip("two_shapes").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let grid = [
        &[
            "sweep",
            "--ops",
            "add,subtract",
            "--fracs",
            "0.5,0.7",
            "--no-stop",
            "--quiet",
        ][..],
        &["--checkpoint-every", "2"],
        &TINY_GPU,
    ]
    .concat();
    for (dir, k) in [("alone", "1"), ("batched", "8")] {
        let out = tmp.path().join(dir);
        let o = common::modgrok(&[&grid[..], &[out.to_str().unwrap(), "--batch-runs", k]].concat());
        assert!(o.status.success(), "{}", common::stderr(&o));
    }
    let names = common::files(&tmp.path().join("alone"));
    assert_eq!(
        names
            .iter()
            .filter(|f| f.ends_with("final.safetensors"))
            .count(),
        4
    );
    for f in names
        .iter()
        .filter(|f| !f.ends_with("report.json") && !f.ends_with("modgrok.lock"))
    {
        let a = std::fs::read(tmp.path().join("alone").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("batched").join(f)).unwrap();
        assert!(
            a == b,
            "{} differs between the batched and the unbatched sweep",
            f.display()
        );
    }
}
