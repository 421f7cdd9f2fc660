//! Every bad input gets a clear error and nothing is left half done: the built `modgrok` binary
//! exits 2 for a command line that cannot work and 1 for a failure while running, prints one
//! line on stderr that says what was wrong and what to do (never a panic), creates no run
//! directory when it refuses one, and never changes a run it cannot resume. A write that fails
//! for lack of space (a file-size limit, a full tmpfs) exits 1, leaves no temporary file, and a
//! resume once there is room again ends with the bytes of a run that never failed.
//!
//! The cases `cli_train.rs` already covers (unknown op, p = 91, frac = 1.5, an existing --out,
//! d_model not divisible by the heads, --resume without a checkpoint or with run flags,
//! --threads 0) are not repeated here.
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{
    TINY_MODEL, assert_no_temp_files, assert_same_run, command, copy_tree, modgrok, resume,
    snapshot, stderr, tiny, tiny_args, tiny_ok,
};
use modgrok_host::run::tensor_file::{self, TensorRef};

/// Exit status `code`, one line on stderr starting `error:` and containing `needle`, no panic,
/// nothing on stdout.
fn assert_refused(o: &Output, code: i32, needle: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: not one line: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(err.contains(needle), "{what}: lacks {needle:?}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(o.stdout.is_empty(), "{what}: printed on stdout");
}

/// `modgrok train` with a tiny model (p 7, d_model 8, 5 steps) where `flags` do not say
/// otherwise, and `flags`: refused with `code` and `needle`; the run directory is never created.
fn assert_train_refused(flags: &[&str], code: i32, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let given = |flag: &str| {
        flags
            .iter()
            .any(|f| *f == flag || f.starts_with(&format!("{flag}=")))
    };
    let mut args = vec!["train"];
    for (flag, value) in [
        ("--p", "7"),
        ("--d-model", "8"),
        ("--heads", "2"),
        ("--d-mlp", "16"),
        ("--steps", "5"),
    ] {
        if !given(flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(flags);
    args.extend(["--out", out.to_str().unwrap()]);
    let o = modgrok(&args);
    assert_refused(&o, code, needle, &format!("{flags:?}"));
    assert!(
        !out.exists(),
        "{flags:?}: a refused run created its directory"
    );
}

#[test]
fn malformed_expressions_exit_2_and_name_the_byte() {
    let long = "x+".repeat(5000);
    for (op, needle) in [
        ("x^", "malformed expression at byte 2"),
        ("x**y", "malformed expression at byte 2"),
        ("2*", "malformed expression at byte 2"),
        ("", "malformed expression at byte 0"),
        ("   ", "malformed expression at byte 0"),
        (long.as_str(), "malformed expression at byte 10000"),
        ("(x + y)^2", "malformed expression at byte 0"),
        ("x^-1", "malformed expression at byte 2"),
        ("add,", "malformed expression at byte 0"),
        ("99999999999999999999*x", "malformed expression at byte 0"),
    ] {
        assert_train_refused(&["--op", op], 2, needle);
    }
}

#[test]
fn degree_above_8_or_more_than_16_terms_exit_2() {
    let seventeen: Vec<String> = (0..=8u32)
        .flat_map(|d| (0..=d).map(move |a| format!("x^{a}*y^{}", d - a)))
        .take(17)
        .collect();
    let seventeen = seventeen.join(" + ");
    for (op, needle) in [
        ("x^9", "degree 9 is above the limit of 8"),
        ("x^4*y^5 + 1", "degree 9 is above the limit of 8"),
        ("add,x^9", "degree 9"),
        ("x^99999999999", "is above the limit of 8"),
        (seventeen.as_str(), "more than 16 terms"),
    ] {
        assert_train_refused(&["--op", op], 2, needle);
    }
}

#[test]
fn moduli_that_are_not_primes_from_3_to_65535_exit_2() {
    for p in ["9", "2", "1", "0", "65536", "65537", "4294967291"] {
        assert_train_refused(
            &[&format!("--p={p}")],
            2,
            &format!("p = {p} is not allowed: choose a prime with 3 <= p < 65536"),
        );
    }
    assert_train_refused(&["--p=65521"], 2, "choose a smaller --p");
    assert_train_refused(&["--p=4294967296"], 2, "invalid value");
    assert_train_refused(&["--p=-7"], 2, "invalid value");
}

#[test]
fn fractions_outside_0_1_or_emptying_a_set_exit_2() {
    for (frac, shown) in [
        ("0", "0"),
        ("1", "1"),
        ("NaN", "NaN"),
        ("-0.5", "-0.5"),
        ("inf", "inf"),
        // int(0.001 · 49) = 0: no training pair at p = 7.
        ("0.001", "0.001"),
    ] {
        assert_train_refused(
            &[&format!("--frac={frac}")],
            2,
            &format!("frac = {shown} must lie in (0, 1) and leave both train and test non-empty"),
        );
    }
}

#[test]
fn zero_or_oversized_dimensions_and_counts_exit_2() {
    for (flags, needle) in [
        (&["--d-mlp", "0"][..], "model dimensions must be positive"),
        (&["--d-model", "0"], "model dimensions must be positive"),
        (&["--heads", "0"], "not divisible by --n-heads 0"),
        (&["--d-mlp", "100000"], "each below 2^16"),
        (&["--steps", "0"], "--steps must be at least 1"),
        (&["--log-every", "0"], "--log-every must be at least 1"),
        (
            &["--checkpoint-every", "0"],
            "--checkpoint-every must be at least 1",
        ),
        (&["--lr", "nan"], "optimizer hyperparameters must be finite"),
        (&["--beta2", "1"], "optimizer hyperparameters"),
        (
            &["--grok-threshold", "2"],
            "--grok-threshold 2 must lie in [0, 1]",
        ),
        (
            &["--threads", "100000"],
            "--threads 100000 must lie in 1..=1024",
        ),
        (&["--pairs", "all"], "invalid value 'all' for '--pairs"),
    ] {
        assert_train_refused(flags, 2, needle);
    }
}

#[test]
fn ranges_and_sizes_past_their_bounds_exit_2_before_allocating() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (
            &[
                "sweep",
                "--ops",
                "add",
                "--seeds",
                "0-18446744073709551615",
                "--list",
            ][..],
            "lists more than 100000 seeds",
        ),
        (
            &["sweep", "--ops", "add", "--seeds", "0-1000000000", "--list"],
            "lists more than 100000 seeds",
        ),
        (
            &[
                "sweep",
                "--ops",
                "add,subtract",
                "--seeds",
                "0-99999",
                "--list",
            ],
            "the grid would list more than 100000 runs",
        ),
        (
            &[
                "sweep", "--preset", "transfer", "--seeds", "0-9999", "--list",
            ],
            "the grid would list more than 100000 runs",
        ),
        (
            &["sweep", "--ops", "add", "--threads", "5000"],
            "--threads 5000 must lie in 1..=1024",
        ),
        (
            &["label-stats", "--p", "65521", "--seeds", "1"],
            "more than 67108864 fit here: choose a smaller --p",
        ),
        (
            &[
                "label-stats",
                "--p",
                "11",
                "--seeds",
                "18446744073709551615",
            ],
            "--seeds 18446744073709551615 must lie in 1..=100000",
        ),
        (
            &["label-stats", "--p", "11", "--smoothing", "NaN"],
            "--smoothing NaN must be a finite number >= 0",
        ),
        (
            &["label-stats", "--p", "11", "--smoothing=-1"],
            "--smoothing -1 must be a finite number >= 0",
        ),
    ] {
        let mut args = args.to_vec();
        if args[0] == "sweep" {
            args.extend(["--out", out]);
        }
        assert_refused(&modgrok(&args), 2, needle, &format!("{args:?}"));
    }
    assert!(!Path::new(out).exists(), "a refused sweep made its --out");
}

#[test]
fn resume_of_something_that_is_not_a_run_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, b"not a run").unwrap();
    for dir in [empty.clone(), file.clone(), tmp.path().join("missing")] {
        let o = resume(&dir).output().unwrap();
        assert_refused(&o, 2, "is not a run directory (no config.json)", "resume");
    }
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

// The tiny run (common::tiny: add mod 7 unless `--p` is given, d_model 8): a run whose session
// stopped after step 25 holds one checkpoint (20).
const MODEL: &str = "checkpoints/step_0000020.safetensors";
const OPTIM: &str = "checkpoints/step_0000020.optim.safetensors";

/// Rewrites the tensor file at `path` through `edit` (tensors by name, metadata).
fn rewrite(
    path: &Path,
    edit: impl FnOnce(
        &mut std::collections::BTreeMap<String, tensor_file::TensorData>,
        &mut std::collections::BTreeMap<String, String>,
    ),
) {
    let mut file = tensor_file::from_bytes(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut file.tensors, &mut file.metadata);
    // Written afresh with a valid checksum, so each case fails for the damage it names.
    file.metadata.remove(tensor_file::DATA_SHA256);
    let refs: Vec<TensorRef<'_>> = file
        .tensors
        .iter()
        .map(|(name, t)| TensorRef {
            name: name.clone(),
            shape: t.shape.clone(),
            data: &t.data,
        })
        .collect();
    std::fs::write(
        path,
        tensor_file::to_bytes_checksummed(&refs, &file.metadata),
    )
    .unwrap();
}

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 56) as u8
        })
        .collect()
}

/// Each damage to a copy of a run with one checkpoint: the resume exits 1 with one line that
/// names the problem, and leaves every file of the run as it was.
#[test]
fn damaged_checkpoints_and_configs_exit_1_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    tiny_ok(&base, &["--halt-after", "25"]);
    let p11 = tmp.path().join("p11");
    tiny_ok(&p11, &["--p", "11", "--halt-after", "25"]);
    let sub = tmp.path().join("sub");
    tiny_ok(&sub, &["--op", "subtract", "--halt-after", "25"]);

    type Damage<'a> = Box<dyn Fn(&Path) + 'a>;
    let truncate = |name: &'static str| -> Damage<'_> {
        Box::new(move |dir: &Path| {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            std::fs::write(dir.join(name), &bytes[..bytes.len() / 2]).unwrap();
        })
    };
    let cases: Vec<(&str, Damage<'_>, &str)> = vec![
        ("truncated model", truncate(MODEL), "not a safetensors file"),
        (
            "truncated optimizer file",
            truncate(OPTIM),
            "not a safetensors file",
        ),
        (
            "empty model",
            Box::new(|d: &Path| std::fs::write(d.join(MODEL), b"").unwrap()),
            "not a safetensors file",
        ),
        (
            "random bytes",
            Box::new(|d: &Path| std::fs::write(d.join(MODEL), noise(4044, 7)).unwrap()),
            "not a safetensors file",
        ),
        (
            "a flipped byte in the optimizer file's data",
            Box::new(|d: &Path| {
                let path = d.join(OPTIM);
                let mut bytes = std::fs::read(&path).unwrap();
                let at = bytes.len() - 7;
                bytes[at] ^= 0x04;
                std::fs::write(path, bytes).unwrap();
            }),
            "does not match its data_sha256 checksum",
        ),
        (
            "a wrong shape",
            Box::new(|d: &Path| {
                rewrite(&d.join(MODEL), |t, _| {
                    let w = t.get_mut("embed.W_E").unwrap();
                    w.shape.reverse();
                })
            }),
            "tensor embed.W_E has shape",
        ),
        (
            "a missing tensor",
            Box::new(|d: &Path| {
                rewrite(&d.join(MODEL), |t, _| {
                    t.remove("unembed.W_U");
                })
            }),
            "tensor unembed.W_U missing",
        ),
        (
            "a wrong dtype",
            Box::new(|d: &Path| {
                let path = d.join(MODEL);
                let mut bytes = std::fs::read(&path).unwrap();
                let at = bytes.windows(5).position(|w| w == b"\"F32\"").unwrap();
                bytes[at + 1..at + 4].copy_from_slice(b"I32");
                std::fs::write(path, bytes).unwrap();
            }),
            "expected F32",
        ),
        (
            "a checkpoint of another p",
            Box::new(|d: &Path| {
                std::fs::copy(p11.join(MODEL), d.join(MODEL)).unwrap();
                std::fs::copy(p11.join(OPTIM), d.join(OPTIM)).unwrap();
            }),
            "belongs to another run",
        ),
        (
            "config.json of another p",
            Box::new(|d: &Path| {
                std::fs::copy(p11.join("config.json"), d.join("config.json")).unwrap();
            }),
            "belongs to another run",
        ),
        (
            "config.json of another op",
            Box::new(|d: &Path| {
                std::fs::copy(sub.join("config.json"), d.join("config.json")).unwrap();
            }),
            "belongs to another run",
        ),
        (
            "checkpoint metadata of another op",
            Box::new(|d: &Path| {
                rewrite(&d.join(MODEL), |_, meta| {
                    // The whole config of a subtract run: its op and its task's token.
                    let cfg = meta["config"]
                        .replace(r#""op":"add","token":8"#, r#""op":"subtract","token":9"#)
                        .replace(r#""op":"add""#, r#""op":"subtract""#);
                    assert_ne!(cfg, meta["config"]);
                    meta.insert("config".into(), cfg);
                })
            }),
            "belongs to another run",
        ),
        (
            "checkpoint metadata whose op does not give its tokens",
            Box::new(|d: &Path| {
                rewrite(&d.join(MODEL), |_, meta| {
                    let cfg = meta["config"].replace(r#""op":"add""#, r#""op":"x+z""#);
                    assert_ne!(cfg, meta["config"]);
                    meta.insert("config".into(), cfg);
                })
            }),
            "its config metadata is not valid here: malformed expression",
        ),
        (
            "config.json edited to another p by hand",
            Box::new(|d: &Path| {
                let path = d.join("config.json");
                let text = std::fs::read_to_string(&path).unwrap();
                let edited = text.replace("\"p\": 7,", "\"p\": 11,");
                assert_ne!(edited, text);
                std::fs::write(path, edited).unwrap();
            }),
            "derives different tasks",
        ),
        (
            "config.json that is not JSON",
            Box::new(|d: &Path| std::fs::write(d.join("config.json"), "{ not json").unwrap()),
            "not a modgrok run config",
        ),
    ];
    for (i, (what, damage, needle)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        copy_tree(&base, &dir);
        damage(&dir);
        let before = snapshot(&dir);
        let o = resume(&dir).output().unwrap();
        assert_refused(&o, 1, needle, what);
        assert!(
            snapshot(&dir) == before,
            "{what}: the failed resume changed the run"
        );
    }
}

/// Paths no run directory can be made at: below a regular file, inside /proc, and (when not
/// root, for whom permissions do not apply) below a directory without write permission.
#[test]
fn an_output_path_that_cannot_be_created_exits_1_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a_file");
    std::fs::write(&file, b"x").unwrap();
    let mut outs: Vec<(PathBuf, &str)> = vec![
        (
            file.join("run"),
            "a_file: a part of the path is a file, not a directory",
        ),
        (
            file.join("sub/run"),
            "a part of the path is a file, not a directory",
        ),
    ];
    let proc_dir = Path::new("/proc/self");
    if proc_dir.is_dir() {
        outs.push((proc_dir.join("modgrok/run"), "/proc/self/modgrok"));
    }
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    // Root writes through any permission bits; only test them when they hold.
    if std::fs::write(locked.join("probe"), b"").is_err() {
        outs.push((locked.join("run"), "permission denied"));
    } else {
        eprintln!("running as root: the permission case is covered by the others");
    }
    for (out, needle) in &outs {
        let o = tiny(out, &[]);
        assert_refused(&o, 1, needle, &out.display().to_string());
        assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));
        assert!(!out.exists());
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

/// A file where a directory belongs is named as such (exit 2); a file that cannot be written is
/// named by its own path, in words, never by the temporary name of the atomic write.
#[test]
fn a_file_for_a_directory_and_an_unwritable_output_say_so_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a_file");
    std::fs::write(&file, b"x").unwrap();
    let f = file.to_str().unwrap();
    assert_train_refused_at(&file, 2, "is a file, not a directory: choose another --out");
    let o = modgrok(&["sweep", "--ops", "add", "--p", "7", "--out", f, "--list"]);
    assert!(o.status.success(), "--list only names the runs");
    let o = modgrok(&[
        "sweep", "--ops", "add", "--p", "7", "--steps", "5", "--out", f,
    ]);
    assert_refused(&o, 2, "is a file, not a directory", "sweep --out FILE");
    let o = modgrok(&["report", f]);
    assert_refused(&o, 2, "is a file, not a directory", "report FILE");
    let csv = file.join("labels.csv");
    let o = modgrok(&["label-stats", "--p", "7", "--csv", csv.to_str().unwrap()]);
    assert_refused(
        &o,
        1,
        "a_file/labels.csv: a part of the path is a file",
        "--csv",
    );
    assert!(!stderr(&o).contains(".tmp.") && !stderr(&o).contains("os error"));
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

/// `modgrok train` of the tiny model into `out`: refused with `code` and `needle`.
fn assert_train_refused_at(out: &Path, code: i32, needle: &str) {
    let o = tiny(out, &[]);
    assert_refused(&o, code, needle, &out.display().to_string());
}

/// Runs `modgrok train ARGS` with files limited to `limit` bytes (RLIMIT_FSIZE) and SIGXFSZ
/// ignored, so a write past the limit fails with EFBIG as on a full disk.
fn with_file_limit(args: &[&str], out_flag: (&str, &Path), limit: u64) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = command();
    cmd.args(args).arg(out_flag.0).arg(out_flag.1);
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    cmd.output().unwrap()
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// The first session checkpoints at step 20; the resumed one may write files up to a size
/// between the model file's and the optimizer file's, so it fails writing the optimizer file of
/// step 40. A resume without the limit then ends with the straight run's bytes.
#[test]
fn a_full_disk_during_a_checkpoint_write_exits_1_and_the_resume_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, run) = (tmp.path().join("straight"), tmp.path().join("run"));
    tiny_ok(&straight, &[]);
    let model = size(&straight.join("checkpoints/step_0000040.safetensors"));
    let optim = size(&straight.join("checkpoints/step_0000040.optim.safetensors"));
    let limit = (model + optim) / 2;
    assert!(
        model < limit && limit < optim && size(&straight.join("metrics.csv")) < limit,
        "sizes changed: model {model}, optim {optim}; pick another limit"
    );
    tiny_ok(&run, &["--halt-after", "25"]);
    let resume_args = ["train", "--threads", "1", "--quiet"];
    let o = with_file_limit(&resume_args, ("--resume", &run), limit);
    assert_refused(&o, 1, "step_0000040.optim.safetensors", "file-size limit");
    assert!(
        stderr(&o).contains("larger than the file-size limit allows"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--resume"), "says how to continue");
    assert_no_temp_files(&run);
    let o = resume(&run).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&straight, &run);
}

/// A limit below the size of config.json: the run fails before it exists, and no directory
/// is left that `--resume` would refuse or a new `--out` would collide with.
#[test]
fn a_full_disk_before_the_config_is_written_leaves_no_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, run) = (tmp.path().join("straight"), tmp.path().join("run"));
    tiny_ok(&straight, &[]);
    let limit = size(&straight.join("config.json")) / 2;
    let o = with_file_limit(&tiny_args(&[]), ("--out", &run), limit);
    assert_refused(&o, 1, "config.json", "file-size limit");
    assert!(!run.exists(), "a half-made run directory was left behind");
    tiny_ok(&run, &[]);
    assert_same_run(&straight, &run);
}

/// add mod 7 logging every step: metrics.csv outgrows the checkpoint files, so a limit between
/// the two makes an append of a metrics row fail mid-line.
fn every_step_args() -> Vec<&'static str> {
    let mut args = vec!["train", "--p", "7", "--frac", "0.6"];
    args.extend(TINY_MODEL);
    args.extend(["--steps", "100", "--log-every", "1", "--no-stop", "--quiet"]);
    // The session's flags.
    args.extend([
        "--checkpoint-every",
        "10",
        "--keep-checkpoints",
        "2",
        "--threads",
        "1",
    ]);
    args
}

fn every_step(out: &Path) {
    let o = command()
        .args(every_step_args())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_full_disk_during_a_metrics_append_exits_1_and_the_resume_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let (straight, run) = (tmp.path().join("straight"), tmp.path().join("run"));
    every_step(&straight);
    let optim = size(&straight.join("checkpoints/step_0000100.optim.safetensors"));
    let metrics = size(&straight.join("metrics.csv"));
    let limit = (optim + metrics) / 2;
    assert!(
        optim < limit && limit < metrics,
        "sizes changed: optim {optim}, metrics {metrics}; pick another limit"
    );
    let o = with_file_limit(&every_step_args(), ("--out", &run), limit);
    assert_refused(
        &o,
        1,
        "metrics.csv: the file is larger than the file-size limit allows",
        "file-size limit",
    );
    assert_eq!(
        size(&run.join("metrics.csv")),
        limit,
        "the last row is torn"
    );
    assert_no_temp_files(&run);
    let o = resume(&run).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&straight, &run);
}

/// Unmounts on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let c = std::ffi::CString::new(self.0.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string; failure leaves a small tmpfs behind, nothing worse.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}

/// A real full disk: a 40 kB tmpfs, where mounting one is allowed (root with CAP_SYS_ADMIN);
/// skipped elsewhere. The run fails with ENOSPC wherever the space runs out; the directory,
/// copied to a disk with room, resumes to the straight run's bytes.
#[test]
fn a_full_tmpfs_exits_1_and_the_run_resumes_elsewhere_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let c = |s: &str| std::ffi::CString::new(s).unwrap();
    let target = std::ffi::CString::new(mnt.as_os_str().as_encoded_bytes()).unwrap();
    let (fstype, opts) = (c("tmpfs"), c("size=40k"));
    // SAFETY: valid C strings; the mount is undone by `Mount`'s drop.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            opts.as_ptr().cast(),
        )
    };
    if rc != 0 {
        eprintln!(
            "skipped: cannot mount a tmpfs here ({})",
            std::io::Error::last_os_error()
        );
        return;
    }
    let _mount = Mount(mnt.clone());
    let (straight, full, moved) = (
        tmp.path().join("straight"),
        mnt.join("run"),
        tmp.path().join("moved"),
    );
    every_step(&straight);
    let o = command()
        .args(every_step_args())
        .arg("--out")
        .arg(&full)
        .output()
        .unwrap();
    assert_refused(&o, 1, "the disk is full: free disk space", "full tmpfs");
    assert!(stderr(&o).contains("--resume"), "says how to continue");
    assert_no_temp_files(&full);
    copy_tree(&full, &moved);
    let o = resume(&moved).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_run(&straight, &moved);
}

/// A model file whose config metadata cannot be read: `analyze` and `export-fixed` refuse it the
/// same way (exit 1, naming the file), and `export-fixed` writes nothing first.
#[test]
fn a_model_with_unreadable_config_metadata_is_refused_alike_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    tiny_ok(&run, &[]);
    let model = run.join("final.safetensors");
    rewrite(&model, |_, meta| {
        let cfg = meta["config"].replace(r#""op":"add""#, r#""op":"x+z""#);
        meta.insert("config".into(), cfg);
    });
    let m = model.to_str().unwrap();
    for args in [&["analyze", m][..], &["export-fixed", m]] {
        let o = modgrok(args);
        assert_refused(
            &o,
            1,
            "final.safetensors: its config metadata is not valid here",
            args[0],
        );
    }
    assert!(
        !run.join("final.mgq").exists(),
        "export-fixed wrote before refusing"
    );
}
