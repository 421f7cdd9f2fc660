//! The tiny runs the root tests share: add mod 11 with a tiny model, `train` and `resume`
//! in-process.
#![allow(dead_code)]
use std::path::Path;

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::error::HostError;
use modgrok_host::train::Outcome;

/// The data of the tiny runs: add mod 11 on half its pairs (128 train, 128 test).
pub const TINY_DATA: [&str; 4] = ["--p", "11", "--frac", "0.5"];

/// The model of the tiny runs: d_model 16, 2 heads, d_mlp 32 (~1 ms a step).
pub const TINY_MODEL: [&str; 6] = ["--d-model", "16", "--heads", "2", "--d-mlp", "32"];

/// The flag lists `parts`, one after the other.
pub fn flags<'a>(parts: &[&[&'a str]]) -> Vec<&'a str> {
    parts.concat()
}

/// The resume tests' logging and checkpoints.
pub const BASE: [&str; 8] = [
    "--log-every",
    "25",
    "--checkpoint-every",
    "100",
    "--keep-checkpoints",
    "0",
    "--threads",
    "2",
];

/// The tiny run with [`BASE`] and `extra`, into `out`.
pub fn train(out: &Path, extra: &[&str]) -> Result<Outcome, HostError> {
    let out = out.to_str().unwrap();
    let tail = ["--quiet", "--out", out];
    TrainArgs::from_flags(&flags(&[&TINY_DATA, &TINY_MODEL, &BASE, extra, &tail]))?.train()
}

pub fn resume(dir: &Path) -> Result<Outcome, HostError> {
    let dir = dir.to_str().unwrap();
    TrainArgs::from_flags(&["--resume", dir, "--quiet", "--threads", "1"])?.train()
}
