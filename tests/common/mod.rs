//! The tiny run the resume tests share: add mod 11, `train` and `resume` in-process.
#![allow(dead_code)]
use std::path::Path;

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::error::HostError;
use modgrok_host::train::Outcome;

/// add mod 11, 60 train / 61 test pairs, a tiny model: ~1 ms a step.
pub const BASE: [&str; 18] = [
    "--p",
    "11",
    "--frac",
    "0.5",
    "--d-model",
    "16",
    "--heads",
    "2",
    "--d-mlp",
    "32",
    "--log-every",
    "25",
    "--checkpoint-every",
    "100",
    "--keep-checkpoints",
    "0",
    "--threads",
    "2",
];

pub fn train(out: &Path, extra: &[&str]) -> Result<Outcome, HostError> {
    let out = out.to_str().unwrap();
    let mut flags: Vec<&str> = BASE.to_vec();
    flags.extend_from_slice(extra);
    flags.extend_from_slice(&["--quiet", "--out", out]);
    TrainArgs::from_flags(&flags)?.train()
}

pub fn resume(dir: &Path) -> Result<Outcome, HostError> {
    let dir = dir.to_str().unwrap();
    TrainArgs::from_flags(&["--resume", dir, "--quiet", "--threads", "1"])?.train()
}
