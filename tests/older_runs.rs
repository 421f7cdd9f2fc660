//! Runs written before `--pairs` existed (no `pairs` in config.json) trained on `field`: they
//! resume to the bytes they would have had, and `--pairs field` still writes those bytes.
//!
//! `tests/fixtures/run_before_pairs/` was written by modgrok at 6c1ed6f with
//! `train --p 11 --frac 0.5 --d-model 16 --heads 2 --d-mlp 32 --steps 200 --log-every 50
//! --checkpoint-every 100 --keep-checkpoints 0 --threads 1 --halt-after 100`. The same command
//! without `--halt-after`, on that build, wrote a `final.safetensors` and a `metrics.csv` whose
//! FNV-1a 64 hashes are below. Model files have since gained one metadata entry, `data_sha256`
//! (the checksum of their tensor data); [`model_hash`] checks it and hashes the file without it,
//! which is byte for byte the file that build wrote. A new run's `metrics.csv` has since gained a
//! last column, `emb_ffs_mult`; a resumed run keeps the columns of its header, and a new run's
//! file without that column is the old one, byte for byte.
use std::path::Path;

use clap::Parser;
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::train::Outcome;

mod common;

const FINAL_SAFETENSORS_FNV: u64 = 0xb1ca92e7ee545d05;
const METRICS_CSV_FNV: u64 = 0x28d254bf515f98b6;

/// The fixture's run, but for `--threads` and `--halt-after`: the tiny run
/// (common::TINY_DATA, TINY_MODEL) for 200 steps.
const RUN: [&str; 8] = [
    "--steps",
    "200",
    "--log-every",
    "50",
    "--checkpoint-every",
    "100",
    "--keep-checkpoints",
    "0",
];

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

fn hash(path: &Path) -> u64 {
    fnv1a(&std::fs::read(path).unwrap())
}

/// FNV-1a 64 of a model file with its `data_sha256` metadata entry, checked first, taken out of
/// the header (the header re-padded to 8 bytes, its length updated).
fn model_hash(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap().trim_end();
    let data = &bytes[8 + n..];
    let entry = format!(
        "\"data_sha256\":\"{}\",",
        modgrok_host::run::tensor_file::sha256_hex(data)
    );
    assert!(header.contains(&entry), "no valid checksum in {header}");
    let mut json = header.replacen(&entry, "", 1).into_bytes();
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut old = (json.len() as u64).to_le_bytes().to_vec();
    old.extend_from_slice(&json);
    old.extend_from_slice(data);
    fnv1a(&old)
}

/// FNV-1a 64 of a new run's metrics.csv without its last column, `emb_ffs_mult`.
fn metrics_hash_without_emb_ffs_mult(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(",weight_norm,emb_ffs_mult")
    );
    let old: String = text
        .lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect();
    fnv1a(old.as_bytes())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/run_before_pairs"
    ))
}

#[test]
fn a_run_directory_from_before_pairs_resumes_to_the_bytes_it_would_have_had() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    copy_dir(fixture(), &run);
    let config = std::fs::read_to_string(run.join("config.json")).unwrap();
    assert!(!config.contains("pairs"), "the fixture predates the field");
    let outcome = TrainArgs::from_flags(&["--resume", run.to_str().unwrap(), "--quiet"])
        .unwrap()
        .train()
        .unwrap();
    assert!(matches!(outcome, Outcome::Finished(ref r) if r.final_step == 200));
    assert_eq!(
        model_hash(&run.join("final.safetensors")),
        FINAL_SAFETENSORS_FNV
    );
    assert_eq!(hash(&run.join("metrics.csv")), METRICS_CSV_FNV);
    assert_eq!(
        std::fs::read_to_string(run.join("config.json")).unwrap(),
        config
    );
}

#[test]
fn pairs_field_writes_the_files_of_the_build_before_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let train = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let tail = ["--quiet", "--out", out.to_str().unwrap()];
        let flags = common::flags(&[&common::TINY_DATA, &common::TINY_MODEL, &RUN, extra, &tail]);
        TrainArgs::from_flags(&flags).unwrap().train().unwrap();
        out
    };
    let field = train("field", &["--pairs", "field", "--threads", "2"]);
    assert_eq!(
        model_hash(&field.join("final.safetensors")),
        FINAL_SAFETENSORS_FNV
    );
    assert_eq!(
        metrics_hash_without_emb_ffs_mult(&field.join("metrics.csv")),
        METRICS_CSV_FNV
    );
    assert_eq!(
        std::fs::read(field.join("config.json")).unwrap(),
        std::fs::read(fixture().join("config.json")).unwrap()
    );
    // The default trains on other pairs: other weights, and the choice in config.json.
    let reference = train("reference", &["--threads", "2"]);
    assert_ne!(
        model_hash(&reference.join("final.safetensors")),
        FINAL_SAFETENSORS_FNV
    );
    let config = std::fs::read_to_string(reference.join("config.json")).unwrap();
    assert!(config.contains("\"pairs\": \"reference\""), "{config}");
}

#[test]
fn a_sweep_from_before_pairs_continues_with_pairs_field_and_says_so_without() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    copy_dir(fixture(), &out.join("add_p11_f0.5_s0"));
    let sweep = |extra: &[&str]| {
        let mut argv = vec!["modgrok", "sweep", "--out", out.to_str().unwrap()];
        argv.extend_from_slice(&[
            "--ops", "add", "--p", "11", "--fracs", "0.5", "--seeds", "0",
        ]);
        argv.extend_from_slice(&common::TINY_MODEL);
        argv.extend_from_slice(&RUN);
        argv.extend_from_slice(&["--quiet", "--threads", "2"]);
        argv.extend_from_slice(extra);
        let cli = modgrok_host::cli::Cli::try_parse_from(argv).unwrap();
        modgrok_host::cli::run(&cli)
    };
    let err = sweep(&[]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let msg = err.to_string();
    assert!(msg.contains("--pairs field"), "{msg}");
    assert!(
        !out.join("add_p11_f0.5_s0/final.safetensors").exists(),
        "the refused sweep trained"
    );
    sweep(&["--pairs", "field"]).unwrap();
    let run = out.join("add_p11_f0.5_s0");
    assert_eq!(
        model_hash(&run.join("final.safetensors")),
        FINAL_SAFETENSORS_FNV
    );
    assert_eq!(hash(&run.join("metrics.csv")), METRICS_CSV_FNV);
}
