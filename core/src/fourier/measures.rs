//! Spectra of the embedding and the neuron-logit map, and the paper's FFS, FCR and key
//! frequencies (SPEC §5).
//!
//! A *spectrum* is a pair of arrays `alpha`, `beta` of len [`spectrum_len`]`(p)` = K + 1,
//! indexed by the frequency k: for a set of signals over Z_p (rows or columns of a matrix),
//!
//! ```text
//! α_k = ‖(c_k · signal_r)_r‖₂,   β_k = ‖(s_k · signal_r)_r‖₂,   k = 1..K   (norm over the signals)
//! α_0 = ‖(c_0 · signal_r)_r‖₂,   β_0 = 0                                  (the constant part)
//! ```
//!
//! Squares are summed over signals in ascending order in f64, then `libm::sqrt`. FFS, FCR and
//! the key frequencies read only k = 1..K.

use super::basis::{Basis, n_freqs};
use super::dft::coef_pair;
use crate::error::check_len;
use crate::{Error, Real};

/// Default ε of [`ffs`] (SPEC §5).
pub const DEFAULT_FFS_EPS: f64 = 0.1;

/// Default share threshold of [`key_frequencies`] (SPEC §5).
pub const DEFAULT_KEY_THRESHOLD: f64 = 0.05;

/// In [`ffs`] and [`fcr`], a coefficient norm at most `ZERO_REL` times the largest α_k or β_k
/// (k ≥ 1) counts as 0. Roundoff leaves ~1e-16 (f64) to ~1e-8 (f32 weights) of the largest
/// coefficient at frequencies a signal does not contain; without this floor the rules "a family
/// whose max is 0 contributes 0" and "a term is 1 when both are 0" would be decided by that noise.
/// 1e-6 is far above it and far below any coefficient that matters (ε is 0.1).
pub const ZERO_REL: f64 = 1e-6;

/// K + 1: the length of `alpha`, `beta` and a frequency mask for p.
pub const fn spectrum_len(p: usize) -> usize {
    n_freqs(p) + 1
}

/// `α_k = √Σ_sig c_{sig,k}²`, `β_k = √Σ_sig s_{sig,k}²` over the signals sig = 0..n_signals in
/// ascending order, `coef(sig, k)` giving signal sig's (cos, sin) coefficient pair at k.
pub(super) fn norms_over_signals(
    n_signals: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
    coef: impl Fn(usize, usize) -> (f64, f64),
) {
    for (k, (a, b)) in alpha.iter_mut().zip(beta.iter_mut()).enumerate() {
        let (mut sa, mut sb) = (0.0, 0.0);
        for sig in 0..n_signals {
            let (c, s) = coef(sig, k);
            sa += c * c;
            sb += s * s;
        }
        *a = libm::sqrt(sa);
        *b = libm::sqrt(sb);
    }
}

/// Spectrum of the rows of a: [n_rows, ld] (signal of row r: `a[r, 0..p]`), norms over rows.
pub fn spectrum_rows<T: Real>(
    b: Basis,
    a: &[T],
    n_rows: usize,
    ld: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    let p = b.p();
    let nk = spectrum_len(p);
    if ld < p {
        return Err(Error::BadDims);
    }
    check_len(a.len(), n_rows * ld)?;
    check_len(alpha.len(), nk)?;
    check_len(beta.len(), nk)?;
    norms_over_signals(n_rows, &mut alpha[..nk], &mut beta[..nk], |r, k| {
        coef_pair(b, k, |x| a[r * ld + x].to_f64())
    });
    Ok(())
}

/// Spectrum of the columns of a: [p, n_cols] (signal of column c: `a[0..p, c]`), norms over
/// columns.
pub fn spectrum_cols<T: Real>(
    b: Basis,
    a: &[T],
    n_cols: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    let p = b.p();
    let nk = spectrum_len(p);
    check_len(a.len(), p * n_cols)?;
    check_len(alpha.len(), nk)?;
    check_len(beta.len(), nk)?;
    norms_over_signals(n_cols, &mut alpha[..nk], &mut beta[..nk], |c, k| {
        coef_pair(b, k, |x| a[x * n_cols + c].to_f64())
    });
    Ok(())
}

/// Embedding spectrum. w_e: [d_model, d_vocab] as stored in the model; the number rows of
/// W_E^T are `w_e[:, 0..p]`, so `α_k = ‖c_k^T W_E^T[0..p]‖₂`, `β_k = ‖s_k^T W_E^T[0..p]‖₂`
/// (norms over d_model). alpha, beta: [K + 1].
pub fn embedding_spectrum(
    b: Basis,
    w_e: &[f32],
    d_model: usize,
    d_vocab: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    spectrum_rows(b, w_e, d_model, d_vocab, alpha, beta)
}

/// Length of a neuron-logit map: p·d_mlp.
pub const fn neuron_logit_map_len(p: usize, d_mlp: usize) -> usize {
    p * d_mlp
}

/// Neuron-logit map `W_L = W_U^T[0..p] · W_out`: `out[x, n] = Σ_m w_u[m, x]·w_out[m, n]`, m
/// ascending in f32 (the model's matmul order). w_u: [d_model, d_vocab], w_out: [d_model, d_mlp],
/// out: [p, d_mlp]. Row x is how neuron activations push the logit of number x.
pub fn neuron_logit_map(
    p: usize,
    w_u: &[f32],
    w_out: &[f32],
    d_model: usize,
    d_vocab: usize,
    d_mlp: usize,
    out: &mut [f32],
) -> Result<(), Error> {
    if p == 0 || p > d_vocab || d_model == 0 || d_mlp == 0 {
        return Err(Error::BadDims);
    }
    check_len(w_u.len(), d_model * d_vocab)?;
    check_len(w_out.len(), d_model * d_mlp)?;
    check_len(out.len(), neuron_logit_map_len(p, d_mlp))?;
    for x in 0..p {
        let row = &mut out[x * d_mlp..(x + 1) * d_mlp];
        row.fill(0.0);
        for m in 0..d_model {
            let u = w_u[m * d_vocab + x];
            let wo = &w_out[m * d_mlp..(m + 1) * d_mlp];
            for n in 0..d_mlp {
                row[n] += u * wo[n];
            }
        }
    }
    Ok(())
}

/// Spectrum of a neuron-logit map w_l: [p, d_mlp] over its p output rows, norms over neurons.
pub fn neuron_logit_spectrum(
    b: Basis,
    w_l: &[f32],
    d_mlp: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    spectrum_cols(b, w_l, d_mlp, alpha, beta)
}

/// K from a spectrum pair, and the zero floor `ZERO_REL · max_{k≥1}(α_k, β_k)`.
pub(crate) fn spectrum_k_floor(alpha: &[f64], beta: &[f64]) -> Result<(usize, f64), Error> {
    if alpha.len() != beta.len() || alpha.len() < 2 {
        return Err(Error::BadDims);
    }
    let mut m = 0.0f64;
    for k in 1..alpha.len() {
        m = m.max(alpha[k]).max(beta[k]);
    }
    Ok((alpha.len() - 1, ZERO_REL * m))
}

#[inline]
fn floored(v: f64, floor: f64) -> f64 {
    if v > floor { v } else { 0.0 }
}

/// Fourier Frequency Sparsity (paper; "Fourier Frequency Density" in TMLR), 1 = dense:
/// `FFS = (1/2K) Σ_{k=1..K} ([α_k / max_j α_j > ε] + [β_k / max_j β_j > ε])`.
/// A family whose max is 0 contributes 0; "0" means at most [`ZERO_REL`] of the largest norm.
/// alpha, beta: [K + 1] (index 0 ignored). Print ε with the value.
pub fn ffs(alpha: &[f64], beta: &[f64], eps: f64) -> Result<f64, Error> {
    let (kk, floor) = spectrum_k_floor(alpha, beta)?;
    let count = ffs_count(&alpha[1..], &beta[1..], floor, eps);
    Ok(count as f64 / (2 * kk) as f64)
}

/// How many entries of the cosine family `cos` and of the sine family `sin` (k ≥ 1 only) exceed
/// ε times their family's largest, each value first floored at `floor`.
pub(crate) fn ffs_count(cos: &[f64], sin: &[f64], floor: f64, eps: f64) -> usize {
    let mut count = 0usize;
    for fam in [cos, sin] {
        let mut m = 0.0f64;
        for &v in fam {
            m = m.max(floored(v, floor));
        }
        if m > 0.0 {
            count += fam.iter().filter(|&&v| floored(v, floor) / m > eps).count();
        }
    }
    count
}

/// Fourier Coefficient Ratio, 1 = balanced, low = cosine- or sine-biased:
/// `FCR = (1/K) Σ_{k=1..K} min(α_k/β_k, β_k/α_k)`, each term computed as min/max; a term is 1
/// when both are 0 and 0 when exactly one is ("0" as in [`ffs`]). alpha, beta: [K + 1].
pub fn fcr(alpha: &[f64], beta: &[f64]) -> Result<f64, Error> {
    let (kk, floor) = spectrum_k_floor(alpha, beta)?;
    Ok(fcr_sum(alpha, beta, kk, floor) / kk as f64)
}

/// `Σ_{k=1..last} min/max(α_k, β_k)` in ascending k, with the rules of [`fcr`].
pub(crate) fn fcr_sum(alpha: &[f64], beta: &[f64], last: usize, floor: f64) -> f64 {
    let mut sum = 0.0;
    for k in 1..=last {
        let (a, b) = (floored(alpha[k], floor), floored(beta[k], floor));
        sum += if a == 0.0 && b == 0.0 {
            1.0
        } else {
            a.min(b) / a.max(b)
        };
    }
    sum
}

/// Key frequencies: `out[k] = (α_k² + β_k²) / Σ_{j=1..K} (α_j² + β_j²) > threshold` for
/// k = 1..K, `out[0] = false`; returns how many. An all-zero spectrum has none. For the
/// logits' own frequencies pass the norms of [`crate::fourier::logit_freq_norms`] as `alpha`
/// and zeros as `beta`. alpha, beta: [K + 1]; out: [K + 1].
pub fn key_frequencies(
    alpha: &[f64],
    beta: &[f64],
    threshold: f64,
    out: &mut [bool],
) -> Result<usize, Error> {
    if alpha.len() != beta.len() || alpha.len() < 2 {
        return Err(Error::BadDims);
    }
    let nk = alpha.len();
    check_len(out.len(), nk)?;
    let mut total = 0.0;
    for k in 1..nk {
        total += alpha[k] * alpha[k] + beta[k] * beta[k];
    }
    out[0] = false;
    let mut n = 0;
    for k in 1..nk {
        let e = alpha[k] * alpha[k] + beta[k] * beta[k];
        out[k] = total > 0.0 && e / total > threshold;
        n += out[k] as usize;
    }
    Ok(n)
}
