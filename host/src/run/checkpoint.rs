//! Model and optimizer files (SPEC §7).
//!
//! A model file (`final.safetensors`, `checkpoints/step_XXXXXXX.safetensors`) holds exactly the
//! eight SPEC §3 tensors under the reference names plus the causal-mask buffer
//! `blocks.0.attn.mask` ([3, 3] lower-triangular ones), so the reference's
//! `load_state_dict(load_file(path))` works with strict checking. Metadata: `step` (updates
//! applied), `config` (the run config as JSON), `format_version`, and `data_sha256`, the
//! SHA-256 of the tensor data, checked on every read (files written before it existed have
//! none and are read unchecked). The optimizer file beside a
//! checkpoint holds `m.<name>` and `v.<name>`, with the AdamW step count in `adamw_step`; a run
//! with a Grokfast filter adds its state as `grokfast.<name>`: the tensor's shape for ema (h),
//! that shape with `window` appended for ma (each element's last gradients, in slot
//! `(t − 1) mod window` for step t). Runs without a filter have no such tensors.
use std::collections::BTreeMap;
use std::path::Path;

use modgrok_core::model::ModelConfig;

use crate::config::{FORMAT_VERSION, RunConfig};
use crate::error::HostError;
use crate::run::tensor_file::{self, TensorFile, TensorRef};

/// Name of the causal-mask buffer of the reference state dict.
pub const MASK_NAME: &str = "blocks.0.attn.mask";
/// The mask: `mask[q][k] = 1` for k ≤ q.
pub const MASK: [f32; 9] = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0];

/// A model file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub step: u64,
    pub config: RunConfig,
    /// Flat parameters in core's layout.
    pub params: Vec<f32>,
}

/// An optimizer file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimFile {
    pub step: u64,
    pub adamw_step: u64,
    pub config: RunConfig,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
    /// The Grokfast filter's state, element-major (`Grokfast::state_len`); empty without one.
    pub filter: Vec<f32>,
}

fn metadata(cfg: &RunConfig, step: u64) -> BTreeMap<String, String> {
    [
        ("step", step.to_string()),
        ("config", cfg.to_json()),
        ("format_version", FORMAT_VERSION.to_string()),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into()
}

/// The flat slice cut into the eight named tensors, each named `prefix + reference name`.
fn named<'a>(model: &ModelConfig, flat: &'a [f32], prefix: &str) -> Vec<TensorRef<'a>> {
    model
        .tensors()
        .iter()
        .map(|t| TensorRef {
            name: format!("{prefix}{}", t.name),
            shape: t.shape[..t.rank].to_vec(),
            data: &flat[t.range()],
        })
        .collect()
}

/// Prefix of the Grokfast state's tensors in an optimizer file.
const FILTER_PREFIX: &str = "grokfast.";

/// The filter state cut into the eight named tensors, each `per` values per element.
fn named_state<'a>(model: &ModelConfig, state: &'a [f32], per: usize) -> Vec<TensorRef<'a>> {
    model
        .tensors()
        .iter()
        .map(|t| {
            let mut shape = t.shape[..t.rank].to_vec();
            if per > 1 {
                shape.push(per);
            }
            let r = t.range();
            TensorRef {
                name: format!("{FILTER_PREFIX}{}", t.name),
                shape,
                data: &state[r.start * per..r.end * per],
            }
        })
        .collect()
}

/// Bytes of a model file holding `params` after `step` updates.
pub fn model_bytes(cfg: &RunConfig, params: &[f32], step: u64) -> Result<Vec<u8>, HostError> {
    let model = cfg.model;
    let mut tensors = named(&model, params, "");
    tensors.push(TensorRef {
        name: MASK_NAME.into(),
        shape: vec![3, 3],
        data: &MASK,
    });
    Ok(tensor_file::to_bytes_checksummed(
        &tensors,
        &metadata(cfg, step),
    ))
}

/// Bytes of the optimizer file of the checkpoint at `step`; `filter` is the Grokfast state
/// (`Grokfast::state_len` of the parameters long when the config has a filter, else ignored).
pub fn optim_bytes(
    cfg: &RunConfig,
    m: &[f32],
    v: &[f32],
    filter: &[f32],
    step: u64,
    adamw_step: u64,
) -> Result<Vec<u8>, HostError> {
    let model = cfg.model;
    let mut tensors = named(&model, m, "m.");
    tensors.extend(named(&model, v, "v."));
    if let Some(gf) = &cfg.grokfast {
        let need = gf.state_len(model.n_params());
        if filter.len() != need {
            return Err(modgrok_core::Error::BufferTooSmall {
                need,
                got: filter.len(),
            }
            .into());
        }
        tensors.extend(named_state(&model, filter, gf.per_element()));
    }
    let mut meta = metadata(cfg, step);
    meta.insert("adamw_step".into(), adamw_step.to_string());
    Ok(tensor_file::to_bytes_checksummed(&tensors, &meta))
}

fn read(path: &Path) -> Result<TensorFile, HostError> {
    let bytes = std::fs::read(path).map_err(HostError::io(path))?;
    tensor_file::from_bytes(&bytes).map_err(|reason| bad(path, reason))
}

fn bad(path: &Path, reason: impl Into<String>) -> HostError {
    HostError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Step, config and format version from the metadata.
fn read_header(path: &Path, file: &TensorFile) -> Result<(u64, RunConfig), HostError> {
    let get = |key: &str| {
        file.metadata.get(key).ok_or_else(|| {
            bad(
                path,
                format!("metadata `{key}` missing: not a modgrok checkpoint"),
            )
        })
    };
    let version = get("format_version")?;
    if version != &FORMAT_VERSION.to_string() {
        return Err(bad(
            path,
            format!(
                "format_version {version:?}, this modgrok reads {FORMAT_VERSION}: use the modgrok that wrote it"
            ),
        ));
    }
    let step = get("step")?
        .parse()
        .map_err(|_| bad(path, "metadata `step` is not a number"))?;
    let config: RunConfig = serde_json::from_str(get("config")?).map_err(|e| {
        bad(
            path,
            format!("metadata `config` is not a modgrok run config ({e})"),
        )
    })?;
    // Every reader (resume, analyze, export-fixed, transfer) gets the same refusal, exit 1.
    config
        .check()
        .map_err(|e| bad(path, format!("its config metadata is not valid here: {e}")))?;
    Ok((step, config))
}

/// The model the metadata's config describes; an invalid one is this file's fault (exit 1,
/// naming the file), not a usage error.
fn model_of(path: &Path, config: &RunConfig) -> Result<ModelConfig, HostError> {
    config.model.validate().map(|()| config.model).map_err(|e| {
        bad(
            path,
            format!("metadata `config` holds no valid model ({e})"),
        )
    })
}

/// Gathers `prefix + name` of each of the eight tensors into one flat slice, checking shapes.
/// Every shape is checked before the slice is allocated, so a damaged `config` in the metadata
/// that claims a huge model cannot make the reader allocate more than the file holds.
fn gather(
    path: &Path,
    file: &TensorFile,
    model: &ModelConfig,
    prefix: &str,
) -> Result<Vec<f32>, HostError> {
    let mut found = Vec::with_capacity(model.tensors().len());
    for t in model.tensors() {
        let name = format!("{prefix}{}", t.name);
        let data = file
            .tensors
            .get(&name)
            .ok_or_else(|| bad(path, format!("tensor {name} missing")))?;
        let want = &t.shape[..t.rank];
        if data.shape != want {
            return Err(bad(
                path,
                format!(
                    "tensor {name} has shape {:?}, the config needs {want:?}",
                    data.shape
                ),
            ));
        }
        found.push((t.range(), data));
    }
    let mut flat = vec![0.0; model.n_params()];
    for (range, data) in found {
        flat[range].copy_from_slice(&data.data);
    }
    Ok(flat)
}

fn check_no_extra(path: &Path, file: &TensorFile, expected: usize) -> Result<(), HostError> {
    if file.tensors.len() != expected {
        let names: Vec<&String> = file.tensors.keys().collect();
        return Err(bad(
            path,
            format!(
                "holds {} tensors, expected {expected}: {names:?}",
                names.len()
            ),
        ));
    }
    Ok(())
}

/// Reads a model file and checks it against the config in its own metadata: every tensor name,
/// shape and dtype, the mask, and nothing else.
pub fn read_model(path: &Path) -> Result<ModelFile, HostError> {
    let file = read(path)?;
    let (step, config) = read_header(path, &file)?;
    let model = model_of(path, &config)?;
    let params = gather(path, &file, &model, "")?;
    match file.tensors.get(MASK_NAME) {
        Some(mask) if mask.shape == [3, 3] && mask.data == MASK => {}
        _ => {
            return Err(bad(
                path,
                format!("{MASK_NAME} missing or not [3, 3] lower-triangular ones"),
            ));
        }
    }
    check_no_extra(path, &file, model.tensors().len() + 1)?;
    Ok(ModelFile {
        step,
        config,
        params,
    })
}

/// Reads a model file (whose config [`read_model`] checks); it must equal
/// `run_cfg`.
pub fn read_model_of(path: &Path, run_cfg: Option<&RunConfig>) -> Result<ModelFile, HostError> {
    let file = read_model(path)?;
    if let Some(cfg) = run_cfg
        && &file.config != cfg
    {
        return Err(HostError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: "its config metadata differs from the run's config.json: the file belongs to another run".into(),
        });
    }
    Ok(file)
}

/// Reads an optimizer file, checked like [`read_model`].
pub fn read_optim(path: &Path) -> Result<OptimFile, HostError> {
    let file = read(path)?;
    let (step, config) = read_header(path, &file)?;
    let adamw_step = file
        .metadata
        .get("adamw_step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(path, "metadata `adamw_step` missing or not a number"))?;
    let model = model_of(path, &config)?;
    let m = gather(path, &file, &model, "m.")?;
    let v = gather(path, &file, &model, "v.")?;
    let (filter, filter_tensors) = match &config.grokfast {
        Some(gf) => (
            gather_state(path, &file, &model, gf.per_element())?,
            model.tensors().len(),
        ),
        None => (Vec::new(), 0),
    };
    check_no_extra(path, &file, 2 * model.tensors().len() + filter_tensors)?;
    Ok(OptimFile {
        step,
        adamw_step,
        config,
        m,
        v,
        filter,
    })
}

/// Gathers the `grokfast.<name>` tensors, `per` values per element, checking shapes first as
/// [`gather`] does.
fn gather_state(
    path: &Path,
    file: &TensorFile,
    model: &ModelConfig,
    per: usize,
) -> Result<Vec<f32>, HostError> {
    let mut found = Vec::with_capacity(model.tensors().len());
    for t in model.tensors() {
        let name = format!("{FILTER_PREFIX}{}", t.name);
        let mut shape = t.shape[..t.rank].to_vec();
        if per > 1 {
            shape.push(per);
        }
        let data = file
            .tensors
            .get(&name)
            .ok_or_else(|| bad(path, format!("tensor {name} missing")))?;
        if data.shape != shape {
            return Err(bad(
                path,
                format!(
                    "tensor {name} has shape {:?}, the config needs {shape:?}",
                    data.shape
                ),
            ));
        }
        let r = t.range();
        found.push((r.start * per..r.end * per, data));
    }
    let mut flat = vec![0.0; model.n_params().saturating_mul(per)];
    for (range, data) in found {
        flat[range].copy_from_slice(&data.data);
    }
    Ok(flat)
}
