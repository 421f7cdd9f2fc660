//! Model files as named tensors, and core's forward over given tokens.
use std::path::PathBuf;

use modgrok_core::data::Example;
use modgrok_core::model::{BLOCK, ModelConfig, Param, StepLayout, forward_logits, prepare};
use modgrok_host::analysis;
use modgrok_host::error::HostError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{to_py, value_error};

/// One tensor crossing the boundary: name (the reference's, e.g. `embed.W_E`), shape, and its
/// f32 values as little-endian bytes in row-major order.
pub type Tensor<'py> = (String, Vec<usize>, Bound<'py, PyBytes>);

/// The reference model's causal-mask buffer, which a state dict may carry and the model does
/// not need.
const MASK: &str = "blocks.0.attn.mask";

/// Reads a run directory (its `final.safetensors`) or a model file written by modgrok, checking
/// that a file inside a run directory belongs to that run: `(config.json text, step, tensors)`.
#[pyfunction]
pub fn read_model<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> PyResult<(String, u64, Vec<Tensor<'py>>)> {
    let loaded = py.detach(|| analysis::load(&path)).map_err(to_py)?;
    let tensors = loaded
        .cfg
        .model
        .tensors()
        .iter()
        .map(|t| {
            let bytes: Vec<u8> = loaded.params[t.range()]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            (
                t.name.to_string(),
                t.shape[..t.rank].to_vec(),
                PyBytes::new(py, &bytes),
            )
        })
        .collect();
    Ok((loaded.cfg.to_json_pretty(), loaded.step, tensors))
}

/// The model's dimensions read off the tensors' shapes: `W_E` [d_model, d_vocab], `W_Q`
/// [n_heads, d_head, d_model], `W_in` [d_mlp, d_model].
pub fn dims_of(tensors: &[Tensor<'_>]) -> PyResult<ModelConfig> {
    let shape = |p: Param| -> PyResult<&[usize]> {
        tensors
            .iter()
            .find(|t| t.0 == p.name())
            .map(|t| t.1.as_slice())
            .ok_or_else(|| value_error(format!("the weights lack {}", p.name())))
    };
    let (w_e, w_q, w_in) = (shape(Param::WE)?, shape(Param::WQ)?, shape(Param::WIn)?);
    let (&[d_model, d_vocab], &[n_heads, d_head, _], &[d_mlp, _]) = (w_e, w_q, w_in) else {
        return Err(value_error(format!(
            "the weights' shapes {w_e:?} ({}), {w_q:?} ({}), {w_in:?} ({}) are not [d_model, d_vocab], [n_heads, d_head, d_model], [d_mlp, d_model]",
            Param::WE.name(),
            Param::WQ.name(),
            Param::WIn.name()
        )));
    };
    let cfg = ModelConfig {
        d_vocab,
        d_model,
        n_heads,
        d_head,
        d_mlp,
    };
    cfg.validate()
        .map_err(|e| to_py(HostError::Core(e)))
        .map(|()| cfg)
}

/// Core's flat parameters from named tensors, each checked against `cfg`'s shape.
pub fn flat_params(cfg: &ModelConfig, tensors: &[Tensor<'_>]) -> PyResult<Vec<f32>> {
    let known = |name: &str| name == MASK || Param::ALL.iter().any(|p| p.name() == name);
    if let Some(t) = tensors.iter().find(|t| !known(&t.0)) {
        return Err(value_error(format!(
            "unknown tensor {}: the model's tensors are {}",
            t.0,
            Param::ALL.map(Param::name).join(", ")
        )));
    }
    let mut params = vec![0.0f32; cfg.n_params()];
    for info in cfg.tensors() {
        let want = &info.shape[..info.rank];
        let Some((_, shape, bytes)) = tensors.iter().find(|t| t.0 == info.name) else {
            return Err(value_error(format!("the weights lack {}", info.name)));
        };
        if shape.as_slice() != want {
            return Err(value_error(format!(
                "{} has shape {shape:?}, and this model needs {want:?}",
                info.name
            )));
        }
        let bytes = bytes.as_bytes();
        if bytes.len() != 4 * info.len() {
            return Err(value_error(format!(
                "{} holds {} bytes, and {want:?} float32 values take {}",
                info.name,
                bytes.len(),
                4 * info.len()
            )));
        }
        for (v, b) in params[info.range()].iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    Ok(params)
}

/// Logits `[n, d_vocab]` (f32 little-endian bytes) of core's forward at the last position for
/// `n` inputs `tokens` (`[n, 3]` little-endian i64: x, op, y), and d_vocab.
#[pyfunction]
pub fn forward<'py>(
    py: Python<'py>,
    tensors: Vec<Tensor<'py>>,
    tokens: Bound<'py, PyBytes>,
) -> PyResult<(Bound<'py, PyBytes>, usize)> {
    let cfg = dims_of(&tensors)?;
    let params = flat_params(&cfg, &tensors)?;
    let raw = tokens.as_bytes();
    if raw.len() % 24 != 0 {
        return Err(value_error(format!(
            "tokens hold {} bytes, not a whole number of [x, op, y] rows of int64",
            raw.len()
        )));
    }
    let mut examples = Vec::with_capacity(raw.len() / 24);
    for (i, row) in raw.chunks_exact(24).enumerate() {
        let mut ex = Example::default();
        for (s, b) in row.chunks_exact(8).enumerate() {
            let id = i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            ex.tokens[s] = u16::try_from(id)
                .ok()
                .filter(|&t| usize::from(t) < cfg.d_vocab)
                .ok_or_else(|| {
                    value_error(format!(
                        "token {id} at row {i}, position {s} is not below d_vocab = {}",
                        cfg.d_vocab
                    ))
                })?;
        }
        examples.push(ex);
    }
    let logits = py
        .detach(|| logits(&cfg, &params, &examples))
        .map_err(to_py)?;
    let bytes: Vec<u8> = logits.iter().flat_map(|v| v.to_le_bytes()).collect();
    Ok((PyBytes::new(py, &bytes), cfg.d_vocab))
}

fn logits(cfg: &ModelConfig, params: &[f32], examples: &[Example]) -> Result<Vec<f32>, HostError> {
    let lay = StepLayout::new(cfg)?;
    let mut cache = vec![0.0f32; lay.cache_len()];
    prepare(cfg, params, &mut cache)?;
    let mut acts = vec![0.0f32; lay.acts_len()];
    let mut out = vec![0.0f32; examples.len() * cfg.d_vocab];
    for (ex, o) in examples
        .chunks(BLOCK)
        .zip(out.chunks_mut(BLOCK * cfg.d_vocab))
    {
        forward_logits(cfg, params, &cache, ex, &mut acts, o)?;
    }
    Ok(out)
}
