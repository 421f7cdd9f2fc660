//! `modgrok train --backend gpu` against `--backend cpu`: a short full run reaches the same
//! outcome, and gpu runs are bit-identical to themselves on one adapter (twice, and across a
//! halt and `--resume`).
//!
//! On a machine without a GPU adapter each test prints one line and passes; with
//! `MODGROK_REQUIRE_GPU=1` (CI, which installs lavapipe) it fails instead.
use std::path::{Path, PathBuf};

use modgrok_gpu::GpuContext;
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::run::report::Report;
use modgrok_host::train::Outcome;

mod common;

/// add mod 11 with 90% of the pairs of Z_p for training (108 / 13): on core it memorises at
/// step 120 and groks at step 990, in ~1 s; lavapipe runs it at ~100 steps/s.
const GROKS: [&str; 18] = [
    "--pairs",
    "field",
    "--p",
    "11",
    "--frac",
    "0.9",
    "--d-model",
    "16",
    "--heads",
    "2",
    "--d-mlp",
    "64",
    "--lr",
    "3e-3",
    "--log-every",
    "10",
    "--patience",
    "100",
];

fn train(out: &Path, base: &[&str], extra: &[&str]) -> Outcome {
    let out = out.to_str().unwrap();
    let mut flags: Vec<&str> = base.to_vec();
    flags.extend_from_slice(extra);
    flags.extend_from_slice(&["--quiet", "--out", out]);
    TrainArgs::from_flags(&flags).unwrap().train().unwrap()
}

fn finished(outcome: Outcome) -> Report {
    match outcome {
        Outcome::Finished(r) => r,
        Outcome::Halted { step } => panic!("halted at {step}"),
    }
}

#[test]
fn gpu_run_groks_like_cpu_and_memorises_within_5_percent_of_the_same_step() {
    // The backends differ by a few ulps per step (gpu/tests/gpu_vs_core.rs); over a thousand
    // steps that moves milestones by at most a few logged steps, never the outcome.
    let Some(ctx) = GpuContext::or_skip("gpu_run_groks_like_cpu") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let steps = ["--steps", "2000", "--checkpoint-every", "1000"];
    let cpu = finished(train(&tmp.path().join("cpu"), &GROKS, &steps));
    let gpu_dir = tmp.path().join("gpu");
    let gpu = finished(train(
        &gpu_dir,
        &GROKS,
        &[&steps[..], &["--backend", "gpu"]].concat(),
    ));
    println!(
        "cpu: memorised {:?} grokked {:?} stopped {}; gpu: memorised {:?} grokked {:?} stopped {}",
        cpu.steps_to_memorise,
        cpu.steps_to_grok,
        cpu.final_step,
        gpu.steps_to_memorise,
        gpu.steps_to_grok,
        gpu.final_step
    );
    assert!(cpu.stopped_early, "the cpu run should grok: {cpu:?}");
    assert_eq!(gpu.stopped_early, cpu.stopped_early);
    assert_eq!(gpu.steps_to_grok.is_some(), cpu.steps_to_grok.is_some());
    let (c, g) = (
        cpu.steps_to_memorise.unwrap() as f64,
        gpu.steps_to_memorise.unwrap() as f64,
    );
    assert!((g - c).abs() <= 0.05 * c, "memorised at {g} vs {c}");
    assert_eq!(gpu.final_test_acc, 1.0);

    let adapter = ctx.adapter_name();
    assert_eq!(gpu.adapter.as_deref(), Some(adapter.as_str()));
    assert_eq!(cpu.adapter, None);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(gpu_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["backend"], "gpu");
    assert_eq!(config["adapter"], adapter.as_str());
    let cpu_config = std::fs::read_to_string(tmp.path().join("cpu/config.json")).unwrap();
    assert!(!cpu_config.contains("backend") && !cpu_config.contains("adapter"));
}

/// The tiny run (common::TINY_DATA, TINY_MODEL) on the gpu, 200 steps with a checkpoint every 50.
fn short() -> Vec<&'static str> {
    let run = [
        "--steps",
        "200",
        "--log-every",
        "10",
        "--checkpoint-every",
        "50",
        "--keep-checkpoints",
        "0",
        "--backend",
        "gpu",
    ];
    common::flags(&[&common::TINY_DATA, &common::TINY_MODEL, &run])
}

/// The checkpoints, final weights, metrics and config of two run directories are the same bytes.
fn assert_same_bytes(a: &Path, b: &Path) {
    let mut files: Vec<PathBuf> = vec![
        "final.safetensors".into(),
        "metrics.csv".into(),
        "config.json".into(),
    ];
    let mut ckpts: Vec<_> = std::fs::read_dir(a.join("checkpoints"))
        .unwrap()
        .map(|e| PathBuf::from("checkpoints").join(e.unwrap().file_name()))
        .collect();
    ckpts.sort();
    assert_eq!(ckpts.len(), 8, "{ckpts:?}");
    files.extend(ckpts);
    for f in files {
        let (x, y) = (std::fs::read(a.join(&f)), std::fs::read(b.join(&f)));
        assert!(x.unwrap() == y.unwrap(), "{} differs", f.display());
    }
}

#[test]
fn the_same_gpu_run_twice_and_a_halted_resumed_one_give_identical_checkpoints() {
    if GpuContext::or_skip("same_gpu_run_twice").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    finished(train(&a, &short(), &[]));
    finished(train(&b, &short(), &[]));
    assert_same_bytes(&a, &b);

    match train(&c, &short(), &["--halt-after", "120"]) {
        Outcome::Halted { step: 120 } => {}
        other => panic!("expected a halt at 120, got {other:?}"),
    }
    let dir = c.to_str().unwrap();
    let resumed = TrainArgs::from_flags(&["--resume", dir, "--quiet"])
        .unwrap()
        .train()
        .unwrap();
    assert_eq!(finished(resumed).resumed_from, Some(100));
    assert_same_bytes(&a, &c);
}

#[test]
fn a_gpu_grokfast_ema_run_resumes_to_the_same_bytes_and_saves_its_filter() {
    if GpuContext::or_skip("gpu_grokfast_ema_resume").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (plain, a, c) = (
        tmp.path().join("plain"),
        tmp.path().join("a"),
        tmp.path().join("c"),
    );
    let ema = ["--grokfast", "ema"];
    finished(train(&plain, &short(), &[]));
    finished(train(&a, &short(), &ema));
    match train(&c, &short(), &[&ema[..], &["--halt-after", "120"]].concat()) {
        Outcome::Halted { step: 120 } => {}
        other => panic!("expected a halt at 120, got {other:?}"),
    }
    let dir = c.to_str().unwrap();
    let resumed = TrainArgs::from_flags(&["--resume", dir, "--quiet"])
        .unwrap()
        .train()
        .unwrap();
    assert_eq!(finished(resumed).resumed_from, Some(100));
    assert_same_bytes(&a, &c);
    let optim = modgrok_host::run::checkpoint::read_optim(
        &a.join("checkpoints/step_0000100.optim.safetensors"),
    )
    .unwrap();
    assert_eq!(optim.filter.len(), optim.m.len());
    assert!(optim.filter.iter().any(|&x| x != 0.0), "h was saved");
    let last = |d: &Path| std::fs::read(d.join("final.safetensors")).unwrap();
    assert!(last(&plain) != last(&a), "the filter changes the gpu run");
}
