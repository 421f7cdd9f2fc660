//! The built `modgrok` binary: `export-fixed` on a tiny trained run (the file core loads, the
//! C array, the JSON summary with per-task agreement) and its one-line errors and exit codes.
mod common;

use std::path::Path;

use common::{assert_one_line_error, modgrok, stderr};
use modgrok_core::quant::{self, QuantModel};
use serde_json::Value;

/// add,multiply mod 11 on 0.9 of the pairs, d_model 16, 1000 steps: memorised and mostly
/// generalised in about a second.
fn train(out: &Path) {
    let o = modgrok(&[
        "train",
        "--op",
        "add,multiply",
        "--p",
        "11",
        "--frac",
        "0.9",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "32",
        "--lr",
        "3e-3",
        "--steps",
        "1000",
        "--no-stop",
        "--log-every",
        "500",
        "--checkpoint-every",
        "500",
        "--threads",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "train failed: {}", stderr(&o));
}

#[test]
fn export_fixed_writes_a_file_core_loads_and_reports_agreement_per_task() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run);
    let o = modgrok(&["export-fixed", run.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    let file = run.join("final.mgq");
    assert_eq!(summary["out"], file.to_str().unwrap());
    let bytes = std::fs::read(&file).unwrap();
    let model = QuantModel::from_bytes(&bytes).unwrap();
    let cfg = model.config();
    assert_eq!((model.p(), cfg.d_model, cfg.d_mlp), (11, 16, 32));
    assert_eq!(summary["file_bytes"], bytes.len());
    assert_eq!(summary["weights_bytes"], quant::weights_bytes(&cfg));
    assert_eq!(summary["scratch_bytes"], quant::scratch_bytes(&cfg));
    let tasks = summary["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    for (t, name) in tasks.iter().zip(["add", "multiply"]) {
        assert_eq!(t["task"], name);
        // Every pair of the run's operands, 0..p + 5 (`--pairs reference`, the default).
        assert_eq!(t["inputs"], 256);
        // A memorised model has top-two logit gaps far above the fixed-point error (~1e-3):
        // every answer must agree (measured 256/256 on both tasks).
        assert_eq!(t["agree"], 256, "{t}");
    }

    let text = modgrok(&["export-fixed", run.to_str().unwrap()]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("add: fixed point agrees with f32 on 256/256 inputs"),
        "{text}"
    );

    let header = tmp.path().join("model.h");
    let o = modgrok(&[
        "export-fixed",
        run.join("final.safetensors").to_str().unwrap(),
        "--format",
        "c",
        "--out",
        header.to_str().unwrap(),
        "--no-check",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = std::fs::read_to_string(&header).unwrap();
    assert!(c.contains(&format!("modgrok_model_bytes[{}]", bytes.len())));
    assert!(c.contains(&format!("modgrok_model_len = {};", bytes.len())));
    let first: Vec<String> = bytes[..4].iter().map(|b| format!("0x{b:02x}")).collect();
    assert!(
        c.contains(&first.join(", ")),
        "the magic MGQF opens the array"
    );
}

#[test]
fn export_fixed_of_a_missing_or_damaged_checkpoint_is_one_line_with_its_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing_here");
    assert_one_line_error(
        &modgrok(&["export-fixed", missing.to_str().unwrap()]),
        2,
        "pass a model file",
    );
    let damaged = tmp.path().join("final.safetensors");
    std::fs::write(&damaged, b"not a safetensors file").unwrap();
    assert_one_line_error(
        &modgrok(&["export-fixed", damaged.to_str().unwrap()]),
        1,
        "final.safetensors",
    );
    assert!(!tmp.path().join("final.mgq").exists());
}
