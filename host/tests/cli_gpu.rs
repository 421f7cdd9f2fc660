//! `--backend gpu` on the command line: where no adapter exists, `train` and `sweep` give one
//! line on stderr that says what to do, exit status 1, and no run directory; where one exists,
//! a sweep trains every run on it and skips them when run again.
use std::process::Command;

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
