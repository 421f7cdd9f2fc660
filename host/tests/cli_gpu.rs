//! `modgrok train --backend gpu` where no adapter exists: one line on stderr that says what to
//! do, exit status 1, and no run directory.
use std::process::Command;

#[test]
fn backend_gpu_without_an_adapter_exits_1_with_one_line_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let empty = tmp.path().join("no_icd.json");
    // The Vulkan loader then finds no driver, so wgpu finds no adapter on any machine.
    let output = Command::new(env!("CARGO_BIN_EXE_modgrok"))
        .args(["train", "--p", "7", "--d-model", "8", "--heads", "2"])
        .args(["--d-mlp", "16", "--steps", "5", "--backend", "gpu", "--out"])
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
fn backend_flag_is_refused_with_resume() {
    let output = Command::new(env!("CARGO_BIN_EXE_modgrok"))
        .args(["train", "--resume", "somewhere", "--backend", "gpu"])
        .output()
        .expect("run modgrok");
    assert_eq!(output.status.code(), Some(2));
}
