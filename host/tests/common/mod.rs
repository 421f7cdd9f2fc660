//! Helpers shared by the end-to-end robustness tests (kill_resume.rs, bad_input.rs).
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `modgrok` with stdin closed and stdout, stderr captured.
pub fn modgrok() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modgrok"));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// `modgrok train --resume DIR --threads 1 --quiet`.
pub fn resume(dir: &Path) -> Command {
    let mut cmd = modgrok();
    cmd.args(["train", "--threads", "1", "--quiet", "--resume"])
        .arg(dir);
    cmd
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file below `dir`, relative, sorted; empty if `dir` does not exist.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Every file below `dir` with its bytes.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// A temporary file of an atomic write (`fsio::TMP_PREFIX`).
pub fn is_temp(p: &Path) -> bool {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(modgrok_host::fsio::TMP_PREFIX)
}

pub fn assert_no_temp_files(dir: &Path) {
    let temps: Vec<PathBuf> = files(dir).into_iter().filter(|f| is_temp(f)).collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
}

/// config.json, metrics.csv, final.safetensors and every checkpoint: same names, same bytes;
/// and no temporary file anywhere in `run`.
pub fn assert_same_run(straight: &Path, run: &Path) {
    let ckpts = |d: &Path| -> Vec<PathBuf> {
        files(d)
            .into_iter()
            .filter(|f| f.starts_with("checkpoints"))
            .collect()
    };
    let names = ckpts(straight);
    assert_eq!(names, ckpts(run), "checkpoint files differ");
    for f in ["config.json", "metrics.csv", "final.safetensors"]
        .iter()
        .map(PathBuf::from)
        .chain(names)
    {
        let (a, b) = (
            std::fs::read(straight.join(&f)).unwrap(),
            std::fs::read(run.join(&f)).unwrap(),
        );
        assert!(a == b, "{} differs from the uninterrupted run", f.display());
    }
    assert_no_temp_files(run);
}

/// Copies the files `names` (relative) from `from` to `to`, creating directories.
pub fn copy(from: &Path, to: &Path, names: &[&str]) {
    for n in names {
        std::fs::create_dir_all(to.join(n).parent().unwrap()).unwrap();
        std::fs::copy(from.join(n), to.join(n)).unwrap();
    }
}

/// Copies the whole tree `from` to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    let names: Vec<String> = files(from)
        .into_iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    copy(from, to, &names);
    std::fs::create_dir_all(to.join("checkpoints")).unwrap();
}
