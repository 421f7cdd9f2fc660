//! Helpers shared by the tests that run the built `modgrok` binary.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `modgrok` with stdin closed and stdout, stderr captured.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modgrok"));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `modgrok ARGS` to the end.
pub fn modgrok(args: &[&str]) -> Output {
    command().args(args).output().expect("run modgrok")
}

/// The tiny model of the CLI tests, which train add mod 7 and give `--p` and the fraction
/// themselves: d_model 8, 2 heads, d_mlp 16.
pub const TINY_MODEL: [&str; 6] = ["--d-model", "8", "--heads", "2", "--d-mlp", "16"];

/// The tiny run's schedule: 60 steps logged every 10, a checkpoint every 20.
pub const TINY_SCHEDULE: [&str; 6] = [
    "--steps",
    "60",
    "--log-every",
    "10",
    "--checkpoint-every",
    "20",
];

/// With [`TINY_MODEL`] and [`TINY_SCHEDULE`], the run the resume tests compare bytes of: 60 % of the pairs, two checkpoints
/// kept, all 60 steps, no bar.
pub const TINY_NO_STOP: [&str; 6] = [
    "--frac",
    "0.6",
    "--keep-checkpoints",
    "2",
    "--no-stop",
    "--quiet",
];

/// `train --threads 1`, [`TINY_MODEL`], [`TINY_SCHEDULE`], [`TINY_NO_STOP`], `--p 7` unless `extra` gives `--p`, then
/// `extra`.
pub fn tiny_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["train", "--threads", "1"];
    args.extend(TINY_MODEL);
    args.extend(TINY_SCHEDULE);
    args.extend(TINY_NO_STOP);
    if !extra.contains(&"--p") {
        args.extend(["--p", "7"]);
    }
    args.extend_from_slice(extra);
    args
}

/// Trains the tiny run ([`tiny_args`]) into `out`.
pub fn tiny(out: &Path, extra: &[&str]) -> Output {
    command()
        .args(tiny_args(extra))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// [`tiny`], which must succeed.
pub fn tiny_ok(out: &Path, extra: &[&str]) {
    let o = tiny(out, extra);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `modgrok train --resume DIR --threads 1 --quiet`.
pub fn resume(dir: &Path) -> Command {
    let mut cmd = command();
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

/// Every file below `dir` with its bytes, but the lock file: it holds the pid of the last
/// process that held the run (`modgrok_host::run::lock`), not the run's data.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files(dir)
        .into_iter()
        .filter(|f| f.as_os_str() != modgrok_host::run::lock::LOCK_FILE)
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

/// Exit status `code`, one `error: ` line on stderr containing `needle`, nothing on stdout.
pub fn assert_one_line_error(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    assert!(o.stdout.is_empty(), "stdout must stay clean on error");
}

/// Trains `op` mod 11 on half the pairs of Z_p (`--pairs field`), d_model 16, 300 steps logged
/// every 50, on two threads, into `out`, with `extra` flags; it must succeed.
pub fn field_run(out: &Path, op: &str, seed: &str, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--op",
        op,
        "--pairs",
        "field",
        "--p",
        "11",
        "--frac",
        "0.5",
        "--seed",
        seed,
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "32",
        "--steps",
        "300",
        "--log-every",
        "50",
        "--threads",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    let o = modgrok(&args);
    assert!(o.status.success(), "train failed: {}", stderr(&o));
}
