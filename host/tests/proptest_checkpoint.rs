//! Property tests of the checkpoint read path (`proptest`): `tensor_file::from_bytes`,
//! `checkpoint::read_model` and `read_optim` on arbitrary bytes, on made-up safetensors headers,
//! and on valid files with random damage. They never panic; they return an error that names the
//! file on one line (exit status 1), or a model that is whole: every tensor the config needs,
//! and written back it reads back to the same bits.
//!
//! 10 000 cases per property by default; `PROPTEST_CASES=1000000 cargo test --release proptest`
//! runs a longer search (README, "Fuzzing").
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use modgrok_core::model::{ModelConfig, init_params};
use modgrok_host::config::RunConfig;
use modgrok_host::error::HostError;
use modgrok_host::run::checkpoint::{self, ModelFile, OptimFile, read_model, read_optim};
use modgrok_host::run::tensor_file;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

/// `PROPTEST_CASES` if set, else 10 000.
fn cases() -> Config {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    Config::with_cases(n)
}

/// A valid model file and optimizer file of a tiny run (add mod 7, d_model 8): ~4 and ~7 kB.
struct Valid {
    model: Vec<u8>,
    optim: Vec<u8>,
}

fn valid() -> &'static Valid {
    static VALID: OnceLock<Valid> = OnceLock::new();
    VALID.get_or_init(|| {
        let cfg = RunConfig {
            p: 7,
            frac: 0.6,
            model: ModelConfig {
                d_model: 8,
                n_heads: 2,
                d_mlp: 16,
                ..RunConfig::default().model
            },
            ..RunConfig::default()
        }
        .derived()
        .unwrap();
        let model = cfg.model;
        let mut params = vec![0.0; model.n_params()];
        init_params(&model, 3, &mut params).unwrap();
        let m: Vec<f32> = params.iter().map(|x| x * 0.01).collect();
        let v: Vec<f32> = params.iter().map(|x| x * x).collect();
        Valid {
            model: checkpoint::model_bytes(&cfg, &params, 20).unwrap(),
            optim: checkpoint::optim_bytes(&cfg, &m, &v, &[], 20, 20).unwrap(),
        }
    })
}

/// A scratch file per test thread, in memory where the system has a tmpfs at /dev/shm: on ext4,
/// rewriting a file flushes it to disk first, which would make 10 000 cases take minutes.
struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).unwrap_or_else(|_| tempfile::tempdir().unwrap())
        } else {
            tempfile::tempdir().unwrap()
        };
        let path = dir.path().join("step_0000020.safetensors");
        Scratch { _dir: dir, path }
    }

    fn write(&self, bytes: &[u8]) -> &Path {
        std::fs::write(&self.path, bytes).unwrap();
        &self.path
    }
}

/// An error from the read path: exit status 1, one line, naming the file.
fn check_error(e: &HostError, path: &Path) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert_eq!(e.exit_code(), 1, "{}", text);
    prop_assert!(!text.contains('\n'), "not one line: {text:?}");
    let name = path.file_name().unwrap().to_str().unwrap();
    prop_assert!(text.contains(name), "does not name the file: {text}");
    Ok(())
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A loaded model is whole, and writing it back and reading that gives the same bits.
fn check_model(m: &ModelFile, scratch: &Scratch) -> Result<(), TestCaseError> {
    let model = m.config.model;
    prop_assert_eq!(m.params.len(), model.n_params());
    let bytes = checkpoint::model_bytes(&m.config, &m.params, m.step).unwrap();
    let back = read_model(scratch.write(&bytes)).expect("a rewritten model loads");
    prop_assert_eq!((back.step, &back.config), (m.step, &m.config));
    prop_assert!(same_bits(&back.params, &m.params));
    Ok(())
}

fn check_optim(o: &OptimFile, scratch: &Scratch) -> Result<(), TestCaseError> {
    let model = o.config.model;
    prop_assert_eq!((o.m.len(), o.v.len()), (model.n_params(), model.n_params()));
    let bytes =
        checkpoint::optim_bytes(&o.config, &o.m, &o.v, &o.filter, o.step, o.adamw_step).unwrap();
    let back = read_optim(scratch.write(&bytes)).expect("a rewritten optimizer file loads");
    prop_assert_eq!(
        (back.step, back.adamw_step, &back.config),
        (o.step, o.adamw_step, &o.config)
    );
    prop_assert!(same_bits(&back.m, &o.m) && same_bits(&back.v, &o.v));
    Ok(())
}

/// Reads `bytes` every way the host does; checks each result.
fn load_all(bytes: &[u8], scratch: &Scratch) -> Result<(bool, bool), TestCaseError> {
    if let Ok(file) = tensor_file::from_bytes(bytes) {
        for (name, t) in &file.tensors {
            let n: usize = t.shape.iter().product();
            prop_assert_eq!(n, t.data.len(), "{}", name);
        }
    }
    let path = scratch.write(bytes).to_path_buf();
    let model_ok = match read_model(&path) {
        Ok(m) => {
            check_model(&m, scratch)?;
            true
        }
        Err(e) => {
            check_error(&e, &path)?;
            false
        }
    };
    scratch.write(bytes);
    let optim_ok = match read_optim(&path) {
        Ok(o) => {
            check_optim(&o, scratch)?;
            true
        }
        Err(e) => {
            check_error(&e, &path)?;
            false
        }
    };
    Ok((model_ok, optim_ok))
}

/// One kind of damage to a file.
#[derive(Clone, Debug)]
enum Damage {
    /// Flip one bit anywhere.
    Flip(Index, u8),
    /// Overwrite one byte of the 8-byte length or the JSON header.
    HeaderByte(Index, u8),
    /// Replace a digit of the header (a shape, an offset, a config number) with another.
    HeaderDigit(Index, u8),
    /// Cut the file.
    Truncate(Index),
    /// Append bytes.
    Append(Vec<u8>),
    /// Insert bytes (shifts everything after).
    Insert(Index, Vec<u8>),
    /// Delete a run of up to 16 bytes.
    Delete(Index, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    let few = prop::collection::vec(any::<u8>(), 1..16);
    let header_char = prop::sample::select(b"0123456789[]{}\",:. -eEFIU".to_vec());
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Damage::Flip(i, b)),
        (any::<Index>(), header_char).prop_map(|(i, c)| Damage::HeaderByte(i, c)),
        (any::<Index>(), b'0'..=b'9').prop_map(|(i, d)| Damage::HeaderDigit(i, d)),
        any::<Index>().prop_map(Damage::Truncate),
        few.clone().prop_map(Damage::Append),
        (any::<Index>(), few).prop_map(|(i, b)| Damage::Insert(i, b)),
        (any::<Index>(), 1u8..16).prop_map(|(i, n)| Damage::Delete(i, n)),
    ]
}

/// Length of the 8-byte prefix plus the JSON header, clamped to the file.
fn header_end(b: &[u8]) -> usize {
    let n = b
        .get(..8)
        .map_or(0, |h| u64::from_le_bytes(h.try_into().unwrap()));
    (n.saturating_add(8)).min(b.len() as u64) as usize
}

fn apply(bytes: &[u8], damages: &[Damage]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for d in damages {
        let len = b.len();
        match d {
            Damage::Flip(i, bit) if len > 0 => b[i.index(len)] ^= 1 << bit,
            Damage::HeaderByte(i, c) if len > 0 => {
                let end = header_end(&b).max(1);
                b[i.index(end)] = *c;
            }
            Damage::HeaderDigit(i, d) => {
                let end = header_end(&b);
                let digits: Vec<usize> = (8.min(end)..end)
                    .filter(|&k| b[k].is_ascii_digit())
                    .collect();
                if !digits.is_empty() {
                    b[digits[i.index(digits.len())]] = *d;
                }
            }
            Damage::Truncate(i) => b.truncate(i.index(len + 1)),
            Damage::Append(extra) => b.extend_from_slice(extra),
            Damage::Insert(i, extra) => {
                let at = i.index(len + 1);
                b.splice(at..at, extra.iter().copied());
            }
            Damage::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                let end = (at + *n as usize).min(len);
                b.drain(at..end);
            }
            _ => {}
        }
    }
    b
}

/// A made-up header entry: a tensor with any dtype, shape and offsets (some huge), or metadata.
fn entry() -> impl Strategy<Value = String> {
    let num = prop_oneof![
        0u64..64,
        Just(u64::MAX),
        Just(1u64 << 32),
        Just(1u64 << 62),
        any::<u64>()
    ];
    let dtype = prop::sample::select(vec!["F32", "F16", "BF16", "F64", "I32", "U8", "BOOL", "X"]);
    let tensor = (
        "[a-z.]{1,6}",
        dtype,
        prop::collection::vec(num.clone(), 0..4),
        num.clone(),
        num,
    )
        .prop_map(|(name, dtype, shape, a, b)| {
            format!(r#""{name}":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{a},{b}]}}"#)
        });
    let meta = prop::collection::btree_map("[a-z_]{1,8}", "[ -~]{0,12}", 0..4).prop_map(|m| {
        format!(
            r#""__metadata__":{}"#,
            serde_json::to_string(&m.into_iter().collect::<BTreeMap<_, _>>()).unwrap()
        )
    });
    prop_oneof![4 => tensor, 1 => meta]
}

proptest! {
    #![proptest_config(cases())]

    /// Any bytes at all.
    #[test]
    fn proptest_arbitrary_bytes_are_an_error_never_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        thread_local!(static SCRATCH: Scratch = Scratch::new());
        let (model_ok, optim_ok) = SCRATCH.with(|s| load_all(&bytes, s))?;
        prop_assert!(!model_ok && !optim_ok);
    }

    /// A well-formed length prefix and a made-up JSON header of tensors (any dtype, shape and
    /// offsets, some overflowing) and metadata, then some data.
    #[test]
    fn proptest_made_up_headers_are_an_error_never_a_panic(
        entries in prop::collection::vec(entry(), 0..6),
        data_len in 0usize..512,
        wrong_len in prop::option::weighted(0.1, any::<u64>()),
    ) {
        let json = format!("{{{}}}", entries.join(","));
        let mut bytes = wrong_len.unwrap_or(json.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(json.as_bytes());
        bytes.extend((0..data_len).map(|i| i as u8));
        thread_local!(static SCRATCH: Scratch = Scratch::new());
        let (model_ok, optim_ok) = SCRATCH.with(|s| load_all(&bytes, s))?;
        prop_assert!(!model_ok && !optim_ok);
    }

    /// A valid model file with one to four kinds of damage: an error naming the file, or (damage
    /// only in the weights) a model that is whole.
    #[test]
    fn proptest_damaged_model_file_is_an_error_or_a_whole_model(
        damages in prop::collection::vec(damage(), 1..5),
    ) {
        let bytes = apply(&valid().model, &damages);
        thread_local!(static SCRATCH: Scratch = Scratch::new());
        let (_, optim_ok) = SCRATCH.with(|s| load_all(&bytes, s))?;
        prop_assert!(!optim_ok, "a model file is not an optimizer file");
    }

    /// The same for the optimizer file beside a checkpoint.
    #[test]
    fn proptest_damaged_optim_file_is_an_error_or_whole_moments(
        damages in prop::collection::vec(damage(), 1..5),
    ) {
        let bytes = apply(&valid().optim, &damages);
        thread_local!(static SCRATCH: Scratch = Scratch::new());
        let (model_ok, _) = SCRATCH.with(|s| load_all(&bytes, s))?;
        prop_assert!(!model_ok, "an optimizer file is not a model file");
    }
}

#[test]
fn the_undamaged_files_load() {
    let s = Scratch::new();
    let m = read_model(s.write(&valid().model)).unwrap();
    assert_eq!(m.step, 20);
    let o = read_optim(s.write(&valid().optim)).unwrap();
    assert_eq!((o.step, o.adamw_step), (20, 20));
    let _: &RunConfig = &m.config;
}

/// A config in the metadata that claims the largest model core accepts (every dimension just
/// below 2^16, tens of GB of parameters) is refused by the config's own checks before anything
/// of that size is allocated.
#[test]
fn a_huge_config_in_the_metadata_allocates_nothing_before_it_is_refused() {
    let file = tensor_file::from_bytes(&valid().model).unwrap();
    let mut meta = file.metadata.clone();
    let mut cfg: serde_json::Value = serde_json::from_str(&meta["config"]).unwrap();
    for (k, v) in [
        ("d_vocab", 65_535),
        ("d_model", 65_535),
        ("n_heads", 1),
        ("d_head", 65_535),
        ("d_mlp", 65_535),
    ] {
        cfg[k] = v.into();
    }
    meta.insert("config".into(), cfg.to_string());
    let tensors: Vec<tensor_file::TensorRef<'_>> = file
        .tensors
        .iter()
        .map(|(name, t)| tensor_file::TensorRef {
            name: name.clone(),
            shape: t.shape.clone(),
            data: &t.data,
        })
        .collect();
    let s = Scratch::new();
    let err = read_model(s.write(&tensor_file::to_bytes(&tensors, &meta))).unwrap_err();
    assert!(
        err.to_string()
            .contains("parameters, more than 134217728 fit in memory"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 1);
}
