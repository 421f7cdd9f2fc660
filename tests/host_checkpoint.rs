//! Checkpoint files read with the `safetensors` crate alone match SPEC §3 and §7: names, shapes,
//! dtypes, the causal mask and the metadata; damaged files are errors, never panics.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::run::checkpoint::{self, read_model, read_optim};
use modgrok_host::run::tensor_file::{self, TensorRef};
use safetensors::{Dtype, SafeTensors};

/// p = 7: d_vocab 12; d_model 8 = 2 heads × 4; d_mlp 16.
fn tiny_run(tmp: &Path) -> PathBuf {
    let out = tmp.join("run");
    let flags = [
        "--p",
        "7",
        "--frac",
        "0.5",
        "--d-model",
        "8",
        "--heads",
        "2",
        "--d-mlp",
        "16",
        "--steps",
        "20",
        "--checkpoint-every",
        "10",
        "--log-every",
        "5",
        "--no-stop",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    TrainArgs::from_flags(&flags).unwrap().train().unwrap();
    out
}

fn spec_shapes() -> BTreeMap<&'static str, Vec<usize>> {
    let (v, d, h, dh, m) = (12, 8, 2, 4, 16);
    [
        ("embed.W_E", vec![d, v]),
        ("blocks.0.attn.W_Q", vec![h, dh, d]),
        ("blocks.0.attn.W_K", vec![h, dh, d]),
        ("blocks.0.attn.W_V", vec![h, dh, d]),
        ("blocks.0.attn.W_O", vec![d, h * dh]),
        ("blocks.0.mlp.W_in", vec![m, d]),
        ("blocks.0.mlp.W_out", vec![d, m]),
        ("unembed.W_U", vec![d, v]),
    ]
    .into()
}

#[test]
fn model_file_has_exactly_the_spec_tensors_mask_and_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tiny_run(tmp.path());
    for (file, step) in [
        ("checkpoints/step_0000010.safetensors", "10"),
        ("final.safetensors", "20"),
    ] {
        let bytes = std::fs::read(run.join(file)).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut want = spec_shapes();
        want.insert("blocks.0.attn.mask", vec![3, 3]);
        let mut names = st.names();
        names.sort();
        assert_eq!(names, want.keys().copied().collect::<Vec<_>>(), "{file}");
        for (name, shape) in &want {
            let t = st.tensor(name).unwrap();
            assert_eq!(t.dtype(), Dtype::F32, "{name}");
            assert_eq!(t.shape(), shape.as_slice(), "{name}");
        }
        let mask: Vec<f32> = st
            .tensor("blocks.0.attn.mask")
            .unwrap()
            .data()
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(mask, [1., 0., 0., 1., 1., 0., 1., 1., 1.]);
        let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().unwrap();
        assert_eq!(meta["step"], step);
        assert_eq!(meta["format_version"], "1");
        assert_eq!(
            meta["data_sha256"],
            sha256sum(data_region(&bytes)),
            "{file}"
        );
        let cfg: serde_json::Value = serde_json::from_str(&meta["config"]).unwrap();
        assert_eq!(
            (cfg["p"].as_u64(), cfg["d_vocab"].as_u64()),
            (Some(7), Some(12))
        );
        assert_eq!(cfg["tasks"][0]["token"].as_u64(), Some(8));
    }
}

#[test]
fn optim_file_has_both_moments_of_every_tensor_and_the_adamw_step() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tiny_run(tmp.path());
    let bytes = std::fs::read(run.join("checkpoints/step_0000020.optim.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.len(), 16);
    for (name, shape) in spec_shapes() {
        for prefix in ["m.", "v."] {
            let t = st.tensor(&format!("{prefix}{name}")).unwrap();
            assert_eq!((t.dtype(), t.shape()), (Dtype::F32, shape.as_slice()));
        }
    }
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(meta.metadata().as_ref().unwrap()["adamw_step"], "20");
    assert_eq!(
        meta.metadata().as_ref().unwrap()["data_sha256"],
        sha256sum(data_region(&bytes))
    );
    let optim = read_optim(&run.join("checkpoints/step_0000020.optim.safetensors")).unwrap();
    assert!(optim.v.iter().all(|&x| x >= 0.0) && optim.v.iter().any(|&x| x > 0.0));
}

#[test]
fn damaged_or_foreign_checkpoints_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tiny_run(tmp.path());
    let good_path = run.join("final.safetensors");
    let good = std::fs::read(&good_path).unwrap();
    let model = read_model(&good_path).unwrap();
    let bad = tmp.path().join("bad.safetensors");
    let check = |bytes: &[u8], what: &str| {
        std::fs::write(&bad, bytes).unwrap();
        let err = read_model(&bad).expect_err(what);
        assert_eq!(err.exit_code(), 1, "{what}: {err}");
        assert!(err.to_string().contains("bad.safetensors"), "{what}: {err}");
    };
    for cut in [0, 7, 8, 100, good.len() / 2, good.len() - 1] {
        check(&good[..cut], &format!("truncated at {cut}"));
    }
    let noise: Vec<u8> = (0..4096u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect();
    check(&noise, "random bytes");
    let mut huge_header = good.clone();
    huge_header[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    check(&huge_header, "header length past the end");

    // Well-formed files that are not this model: a wrong shape, a missing tensor, no metadata.
    let cfg = model.config.clone();
    let tensors_with = |rename: Option<&str>, reshape: bool| -> Vec<u8> {
        let m = cfg.model;
        let mut ts: Vec<TensorRef<'_>> = m
            .tensors()
            .iter()
            .filter(|t| Some(t.name) != rename)
            .map(|t| TensorRef {
                name: t.name.into(),
                shape: if reshape && t.rank == 2 {
                    vec![t.shape[1], t.shape[0]]
                } else {
                    t.shape[..t.rank].to_vec()
                },
                data: &model.params[t.range()],
            })
            .collect();
        ts.push(TensorRef {
            name: checkpoint::MASK_NAME.into(),
            shape: vec![3, 3],
            data: &checkpoint::MASK,
        });
        let (_, meta) = SafeTensors::read_metadata(&good).unwrap();
        let mut meta: BTreeMap<String, String> =
            meta.metadata().clone().unwrap().into_iter().collect();
        // Checked on its own below; here the file must fail for its tensors.
        meta.remove(tensor_file::DATA_SHA256);
        tensor_file::to_bytes(&ts, &meta)
    };
    check(&tensors_with(None, true), "transposed shapes");
    check(&tensors_with(Some("unembed.W_U"), false), "missing W_U");
    let no_meta = {
        let m = cfg.model;
        let ts: Vec<TensorRef<'_>> = m
            .tensors()
            .iter()
            .map(|t| TensorRef {
                name: t.name.into(),
                shape: t.shape[..t.rank].to_vec(),
                data: &model.params[t.range()],
            })
            .collect();
        tensor_file::to_bytes(&ts, &BTreeMap::new())
    };
    check(&no_meta, "no metadata");
    // The untouched file still loads, to the same parameters.
    assert_eq!(read_model(&good_path).unwrap(), model);
}

#[test]
fn a_flipped_byte_in_the_tensor_data_fails_the_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tiny_run(tmp.path());
    let bad = tmp.path().join("flipped.safetensors");
    for file in [
        "final.safetensors",
        "checkpoints/step_0000010.safetensors",
        "checkpoints/step_0000010.optim.safetensors",
    ] {
        let good = std::fs::read(run.join(file)).unwrap();
        let start = good.len() - data_region(&good).len();
        // First, middle and last data byte; one low mantissa bit, which moves a weight by
        // an ulp or so and nothing else would notice.
        for at in [start, (start + good.len()) / 2, good.len() - 1] {
            let mut bytes = good.clone();
            bytes[at] ^= 0x01;
            std::fs::write(&bad, &bytes).unwrap();
            let err = if file.contains("optim") {
                read_optim(&bad).map(|_| ()).unwrap_err()
            } else {
                read_model(&bad).map(|_| ()).unwrap_err()
            };
            assert_eq!(err.exit_code(), 1, "{file} at {at}: {err}");
            let text = err.to_string();
            assert!(
                text.contains("flipped.safetensors") && text.contains("checksum"),
                "{file} at {at}: {text}"
            );
        }
    }
}

/// Every byte after the 8-byte length and the JSON header.
fn data_region(bytes: &[u8]) -> &[u8] {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    &bytes[8 + n..]
}

/// SHA-256 by coreutils' `sha256sum`, an implementation independent of modgrok's.
fn sha256sum(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils) on PATH");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}
