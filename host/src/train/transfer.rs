//! Starting a transfer run (SPEC §4; paper §4 and App. F): copying the `--load` tensors of the
//! `--init-from` model over a fresh init, and the mask of `--freeze` tensors. A frozen tensor gets
//! no AdamW update and no weight decay, so it keeps its loaded (or initial) bits to the end.
//!
//! The source checkpoint's run and step are stored in the run config (`transfer.source`), so
//! `--resume` freezes the same tensors and continues to the same bytes. Loading a model whose p,
//! dimensions or vocabulary differ from the run's is a usage error naming each mismatch.
use std::path::{Path, PathBuf};

use crate::config::{RunConfig, Source, Transfer, mask};
use crate::error::HostError;
use crate::run::checkpoint::{self, ModelFile};

/// A run directory means its `final.safetensors`.
fn model_file(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_dir() {
        p.join("final.safetensors")
    } else {
        p.to_path_buf()
    }
}

/// Each field where the source's model differs from the run's, as `name = source vs run`.
fn mismatches(src: &RunConfig, cfg: &RunConfig) -> Vec<String> {
    let fields = [
        ("p", src.p as usize, cfg.p as usize),
        ("d_vocab", src.model.d_vocab, cfg.model.d_vocab),
        ("d_model", src.model.d_model, cfg.model.d_model),
        ("n_heads", src.model.n_heads, cfg.model.n_heads),
        ("d_head", src.model.d_head, cfg.model.d_head),
        ("d_mlp", src.model.d_mlp, cfg.model.d_mlp),
    ];
    fields
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("{name} = {a} there, {b} here"))
        .collect()
}

/// Copies the `--load` tensors of `--init-from` over the freshly initialised `params` and
/// returns the config with [`Transfer::source`] filled in; `None` (and `params` untouched) when
/// the run loads nothing.
pub fn load_init(cfg: &RunConfig, params: &mut [f32]) -> Result<Option<RunConfig>, HostError> {
    let Some(t) = cfg.transfer.as_ref() else {
        return Ok(None);
    };
    let Some(from) = &t.init_from else {
        return Ok(None);
    };
    let file = model_file(from);
    let ModelFile {
        step,
        config: src,
        params: src_params,
    } = checkpoint::read_model(&file).map_err(|e| {
        HostError::Usage(format!(
            "--init-from {from}: cannot load it ({e}): pass a model file (final.safetensors, checkpoints/step_*.safetensors) or a run directory"
        ))
    })?;
    let bad = mismatches(&src, cfg);
    if !bad.is_empty() {
        return Err(HostError::Usage(format!(
            "--init-from {from}: the checkpoint's {} (transfer needs the same p, model dims and vocabulary)",
            bad.join(", ")
        )));
    }
    let load = mask("--load", &t.load)?;
    let model = cfg.model;
    for info in model.tensors() {
        if load[info.param as usize] {
            params[info.range()].copy_from_slice(&src_params[info.range()]);
        }
    }
    let mut out = cfg.clone();
    out.transfer = Some(Transfer {
        source: Some(Source {
            file: file.display().to_string(),
            op: src.op,
            p: src.p,
            frac: src.frac,
            seed: src.seed,
            pairs: src.pairs,
            step,
        }),
        ..t.clone()
    });
    Ok(Some(out))
}
