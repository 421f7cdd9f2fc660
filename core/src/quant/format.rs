//! Sizes of the fixed-point model, and [`quantise`]: f32 parameters → model file bytes.
use fixed::types::{I4F12, I16F16};

use super::file::{self, HEADER_LEN};
use crate::Error;
use crate::model::{ModelConfig, Param};

/// Fraction bits of a stored weight ([`I4F12`]).
pub const WEIGHT_FRAC_BITS: u32 = 12;

/// Number of weights: `2·d_vocab·d_model` (W_E, W_U) `+ 4·n_heads·d_head·d_model` (W_Q, W_K,
/// W_V, W_O) `+ 2·d_mlp·d_model` (W_in, W_out); the same as `cfg.n_params()`.
pub const fn n_weights(cfg: &ModelConfig) -> usize {
    let hd = cfg.n_heads * cfg.d_head;
    2 * cfg.d_vocab * cfg.d_model + 4 * hd * cfg.d_model + 2 * cfg.d_mlp * cfg.d_model
}

/// Bytes of the weights as I4F12: `2 · n_weights(cfg)`.
pub const fn weights_bytes(cfg: &ModelConfig) -> usize {
    2 * n_weights(cfg)
}

/// Bytes of a model file: [`HEADER_LEN`] + [`weights_bytes`].
pub const fn file_len(cfg: &ModelConfig) -> usize {
    HEADER_LEN + weights_bytes(cfg)
}

/// I16F16 values of scratch one prediction needs: x `[3, d_model]`, q `[n_heads·d_head]`,
/// k and v `[3, n_heads·d_head]` each, z `[n_heads·d_head]`, r `[d_model]`, m `[d_mlp]`,
/// logits `[d_vocab]`.
pub const fn scratch_len(cfg: &ModelConfig) -> usize {
    let hd = cfg.n_heads * cfg.d_head;
    4 * cfg.d_model + 8 * hd + cfg.d_mlp + cfg.d_vocab
}

/// Bytes of that scratch: `4 · scratch_len(cfg)`.
pub const fn scratch_bytes(cfg: &ModelConfig) -> usize {
    core::mem::size_of::<I16F16>() * scratch_len(cfg)
}

/// Writes the model file of `params` (core's flat f32 layout, SPEC §3) for a task mod `p`
/// into `out[..file_len(cfg)]` and returns that length. Each weight is rounded to the nearest
/// I4F12 (ties to even); W_E and W_U are stored transposed, one row of d_model per token (see
/// [`mod@file`]). A weight that is not finite or outside [-8, 8) is refused, not clamped.
pub fn quantise(cfg: &ModelConfig, p: u32, params: &[f32], out: &mut [u8]) -> Result<usize, Error> {
    cfg.validate()?;
    if p < 2 || p as usize >= cfg.d_vocab {
        return Err(Error::BadModulus { p });
    }
    let len = file_len(cfg);
    if params.len() < n_weights(cfg) {
        return Err(Error::BufferTooSmall {
            need: n_weights(cfg),
            got: params.len(),
        });
    }
    if out.len() < len {
        return Err(Error::BufferTooSmall {
            need: len,
            got: out.len(),
        });
    }
    let (header, body) = out[..len].split_at_mut(HEADER_LEN);
    let mut at = 0;
    for t in cfg.tensors() {
        let w = &params[t.range()];
        let (rows, cols) = match t.param {
            // [d_model, d_vocab] stored as [d_vocab, d_model].
            Param::WE | Param::WU => (t.shape[1], t.shape[0]),
            _ => (t.len(), 1),
        };
        for r in 0..rows {
            for c in 0..cols {
                let value = w[c * rows + r];
                let q = I4F12::checked_from_num(value).ok_or(Error::WeightOutOfRange {
                    tensor: t.name,
                    value,
                })?;
                body[at..at + 2].copy_from_slice(&q.to_le_bytes());
                at += 2;
            }
        }
    }
    file::write_header(cfg, p as u16, body, header);
    Ok(len)
}
