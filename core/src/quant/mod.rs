//! Fixed-point inference of a trained model, for embedding: quantise the f32 parameters once
//! into a compact file ([`quantise`]), then answer `[x, op, y]` from those bytes in place
//! ([`QuantModel::from_bytes`], [`QuantModel::predict`]) with integer arithmetic only: no float,
//! no allocation, every buffer the caller's.
//!
//! **Formats.** Weights are [`I4F12`] (i16: range [-8, 8), step 2^-12 ≈ 2.4e-4); activations,
//! attention scores and logits are [`I16F16`] (i32: range [-32768, 32768), step 2^-16).
//! A weight of a grokked model lies well inside ±1 (weight decay 1.0; the paper's model has
//! max |w| ≈ 0.4 with rms ≈ 0.1), and a model of any size this crate trains starts at
//! N(0, 1/√d_model) ≤ ~1.6 for d_model ≥ 8, so four integer bits leave headroom while the step
//! 2^-12 is under 0.3 % of a typical weight; 16-bit weights halve the f32 file. The residual
//! stream and the logits reach tens, not thousands, so I16F16 keeps 16 fraction bits for them.
//! A product of a weight and an activation is exact in i64, and a row of `n < 2^16` terms
//! sums to under 2^62, so a matrix-vector product never overflows; it is rounded to nearest
//! once, at the end (SPEC §6's order: k ascending). Softmax uses [`exp_neg`], a fixed-point
//! `e^x` for `x ≤ 0` within 2^-16 of the true value.
//!
//! **Memory.** For dims `cfg`, the weights take [`weights_bytes`]`(cfg)` bytes inside a file of
//! [`file_len`]`(cfg)` bytes, and one prediction needs [`scratch_len`]`(cfg)` I16F16 values
//! ([`scratch_bytes`]). All are `const fn`, so a `static` buffer can be sized at compile time:
//!
//! ```
//! use modgrok_core::model::ModelConfig;
//! use modgrok_core::quant::{self, I16F16};
//! const CFG: ModelConfig = ModelConfig::paper(102);
//! static SCRATCH: [I16F16; quant::scratch_len(&CFG)] = [I16F16::ZERO; quant::scratch_len(&CFG)];
//! assert_eq!(quant::weights_bytes(&CFG), 445_440);
//! assert_eq!(core::mem::size_of_val(&SCRATCH), quant::scratch_bytes(&CFG));
//! ```
//!
//! **File.** See [`format`] for the byte layout: a 24-byte header (magic, version, p, dims,
//! checksum) and the eight tensors as little-endian I4F12.
pub mod file;
pub mod format;
mod forward;

pub use file::QuantModel;
pub use fixed::types::{I4F12, I16F16};
pub use format::{
    HEADER_LEN, WEIGHT_FRAC_BITS, file_len, n_weights, quantise, scratch_bytes, scratch_len,
    weights_bytes,
};
pub use forward::exp_neg;
