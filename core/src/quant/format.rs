//! The fixed-point model file: its byte layout, its sizes, and [`quantise`]: f32 parameters →
//! model file bytes.
//!
//! Layout, all integers little-endian:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `MGQF` |
//! | 4 | 2 | format version, [`VERSION`] |
//! | 6 | 2 | fraction bits of a weight, 12 (I4F12) |
//! | 8 | 2 | p: number tokens are `0..p`, `+` is `p + 1` (SPEC §1) |
//! | 10 | 10 | d_vocab, d_model, n_heads, d_head, d_mlp, u16 each |
//! | 20 | 4 | checksum: 32-bit FNV-1a of every byte from offset 24 on |
//! | 24 | 2·n | the weights, I4F12 as i16 |
//!
//! The weights come tensor by tensor in core's order, each row-major: W_E^T [d_vocab, d_model]
//! (row t is token t's embedding), W_Q, W_K, W_V [n_heads, d_head, d_model], W_O
//! [d_model, n_heads·d_head], W_in [d_mlp, d_model], W_out [d_model, d_mlp], W_U^T
//! [d_vocab, d_model] (row z gives logit z). Every matrix-vector product of the forward then
//! reads its rows contiguously.
use fixed::types::{I4F12, I16F16};

use crate::Error;
use crate::model::{ModelConfig, Param};

/// Bytes before the weights.
pub const HEADER_LEN: usize = 24;
/// Format version this crate writes and reads.
pub const VERSION: u16 = 1;
pub(super) const MAGIC: [u8; 4] = *b"MGQF";
/// Offset of the eight u16 header fields: version, fraction bits, p, then the five dims.
pub(super) const FIELDS_AT: usize = 4;
/// Offset of the checksum, the header's last four bytes.
pub(super) const CHECKSUM_AT: usize = 20;

/// 32-bit FNV-1a.
pub(super) fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Fills the header of a file whose weights `body` holds.
fn write_header(cfg: &ModelConfig, p: u16, body: &[u8], header: &mut [u8]) {
    header[..FIELDS_AT].copy_from_slice(&MAGIC);
    let fields = [
        VERSION,
        WEIGHT_FRAC_BITS as u16,
        p,
        cfg.d_vocab as u16,
        cfg.d_model as u16,
        cfg.n_heads as u16,
        cfg.d_head as u16,
        cfg.d_mlp as u16,
    ];
    for (i, f) in fields.iter().enumerate() {
        header[FIELDS_AT + 2 * i..FIELDS_AT + 2 + 2 * i].copy_from_slice(&f.to_le_bytes());
    }
    header[CHECKSUM_AT..HEADER_LEN].copy_from_slice(&fnv1a(body).to_le_bytes());
}

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
/// the table above). A weight that is not finite or outside [-8, 8) is refused, not clamped.
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
    write_header(cfg, p as u16, body, header);
    Ok(len)
}
