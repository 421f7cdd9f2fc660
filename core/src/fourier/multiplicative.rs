//! The multiplicative (discrete-log) Fourier basis of Z_p^* and the spectra, FFS and FCR read
//! in it (SPEC §5, "Multiplicative basis").
//!
//! The characters of the additive group Z_p are the additive basis ([`Basis`](super::Basis)).
//! Those of the multiplicative group Z_p^* = {1, …, p − 1} come from re-indexing each nonzero
//! residue by its discrete log to the smallest primitive root g ([`super::discrete_log_tables`]):
//! x = g^i, i ∈ Z_{p−1}, and taking the real basis over Z_{p−1} ([`CyclicBasis`], n = p − 1):
//!
//! ```text
//! χ_0(x) = 1/√(p−1)
//! χ_{c,k}(x) = √(2/(p−1))·cos(2πk·log(x)/(p−1)),  χ_{s,k}(x) = √(2/(p−1))·sin(2πk·log(x)/(p−1))
//!                                                                k = 1..K−1, K = (p−1)/2
//! χ_{c,K}(x) = (−1)^log(x)/√(p−1)           (the Nyquist cosine: the Legendre symbol (x/p))
//! ```
//!
//! in the ordering `χ_0, χ_{c,1}, χ_{s,1}, …, χ_{c,K−1}, χ_{s,K−1}, χ_{c,K}` ([`CyclicBasis`]).
//! A signal over the number tokens is read in discrete-log order, `f(i) = signal[g^i]`.
//!
//! **Token 0 is left out**: it is no element of the group (0·y = 0 for every y, absorbing under
//! multiplication, and it has no log), so the p − 1 tokens 1..p are the whole domain. In x·y
//! mod p the product is `g^(log x + log y)`: a model that multiplies through the logs is as
//! sparse in this basis as an adding model is in the additive one.
//!
//! A *multiplicative spectrum* is a pair `alpha`, `beta` of len [`mult_spectrum_len`]`(p)` =
//! K + 1 (the same length as the additive [`spectrum_len`](super::spectrum_len)), indexed by k:
//! `α_k`, `β_k` the norms over the signals of the χ_{c,k}, χ_{s,k} coefficients, `α_0` the
//! constant part, and `β_0 = β_K = 0` (the Nyquist frequency has only a cosine). Squares are
//! summed over signals in ascending order in f64, then `libm::sqrt`, as in the additive
//! spectra. [`key_frequencies`](super::key_frequencies) reads it unchanged (the Nyquist's share
//! is `α_K²`); [`mult_ffs`] and [`mult_fcr`] are [`ffs`](super::ffs) and [`fcr`](super::fcr)
//! over the basis functions that exist.

use super::cyclic::{CyclicBasis, cyclic_coef_pair, cyclic_dft_by, cyclic_spectrum_len};
use super::dlog::{discrete_log_tables, exp_table_len, log_table_len};
use super::measures::{ZERO_REL, fcr_sum, ffs_count, norms_over_signals};
use crate::error::check_len;
use crate::{Error, Real};

/// Length of the twiddle table of [`MultBasis::new`]: 2(p − 1).
pub const fn mult_twiddles_len(p: usize) -> usize {
    super::cyclic::cyclic_twiddles_len(p.saturating_sub(1))
}

/// K + 1 = (p − 1)/2 + 1: the length of a multiplicative spectrum and its key mask.
pub const fn mult_spectrum_len(p: usize) -> usize {
    cyclic_spectrum_len(p.saturating_sub(1))
}

/// The multiplicative basis for one prime p: the real basis over Z_{p−1} and the discrete-log
/// tables of the smallest primitive root g. `Copy`, so pass it by value.
#[derive(Clone, Copy, Debug)]
pub struct MultBasis<'a> {
    p: usize,
    g: usize,
    basis: CyclicBasis<'a>,
    log: &'a [u16],
    exp: &'a [u16],
}

impl<'a> MultBasis<'a> {
    /// Fills the buffers for the prime p (3 ≤ p < 2^16, else [`Error::BadModulus`]) and returns
    /// the basis. twiddles: len ≥ [`mult_twiddles_len`]`(p)`; log: ≥
    /// [`log_table_len`](super::log_table_len)`(p)`; exp: ≥
    /// [`exp_table_len`](super::exp_table_len)`(p)`.
    pub fn new(
        p: usize,
        twiddles: &'a mut [f64],
        log: &'a mut [u16],
        exp: &'a mut [u16],
    ) -> Result<Self, Error> {
        let g = discrete_log_tables(p, log, exp)?;
        let basis = CyclicBasis::new(p - 1, twiddles)?;
        Ok(MultBasis {
            p,
            g,
            basis,
            log: &log[..log_table_len(p)],
            exp: &exp[..exp_table_len(p)],
        })
    }

    /// The prime p.
    pub fn p(&self) -> usize {
        self.p
    }

    /// g, the smallest primitive root of p.
    pub fn generator(&self) -> usize {
        self.g
    }

    /// The basis over Z_{p−1} the spectra use.
    pub fn cyclic(&self) -> CyclicBasis<'a> {
        self.basis
    }

    /// K = (p − 1)/2: the non-constant frequencies, the Nyquist one (k = K) included.
    pub fn n_freqs(&self) -> usize {
        self.basis.n_freqs()
    }

    /// `log[x]` for x in 1..p; `log[0]` is [`NO_LOG`](super::NO_LOG).
    pub fn log_table(&self) -> &'a [u16] {
        self.log
    }

    /// `exp[i] = g^i mod p` for i in 0..p−1.
    pub fn exp_table(&self) -> &'a [u16] {
        self.exp
    }
}

/// Multiplicative DFT of one signal over the residues. x: `[p]` indexed by residue (`x[0]`, the
/// token 0, is not read) → out: `[p − 1]`, `out[i] = Σ_{j=0..p−1} χ_i(g^j)·x[g^j]`, ordering of
/// the module docs. Invert with [`cyclic_idft`](super::cyclic_idft) (which gives the signal in
/// discrete-log order, `[p − 1]`).
pub fn mult_dft<T: Real>(b: MultBasis, x: &[T], out: &mut [f64]) -> Result<(), Error> {
    check_len(x.len(), b.p)?;
    check_len(out.len(), b.p - 1)?;
    let exp = b.exp;
    cyclic_dft_by(b.basis, |i| x[exp[i] as usize].to_f64(), out);
    Ok(())
}

/// Multiplicative embedding spectrum. w_e: [d_model, d_vocab] as stored in the model (d_vocab ≥
/// p); the signal of row m is `w_e[m, g^i]`, i = 0..p−1, the number tokens 1..p in discrete-log
/// order (token 0 excluded, module docs), so `α_k = ‖χ_{c,k}^T W_E^T[1..p]‖₂`,
/// `β_k = ‖χ_{s,k}^T W_E^T[1..p]‖₂` (norms over d_model). alpha, beta: [K + 1].
pub fn mult_embedding_spectrum(
    b: MultBasis,
    w_e: &[f32],
    d_model: usize,
    d_vocab: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    if d_vocab < b.p {
        return Err(Error::BadDims);
    }
    let nk = mult_spectrum_len(b.p);
    check_len(w_e.len(), d_model * d_vocab)?;
    check_len(alpha.len(), nk)?;
    check_len(beta.len(), nk)?;
    let exp = b.exp;
    norms_over_signals(d_model, &mut alpha[..nk], &mut beta[..nk], |r, k| {
        cyclic_coef_pair(b.basis, k, |i| w_e[r * d_vocab + exp[i] as usize].to_f64())
    });
    Ok(())
}

/// Multiplicative spectrum of a neuron-logit map w_l: [p, d_mlp]
/// ([`neuron_logit_map`](super::neuron_logit_map)): the signal of neuron c is `w_l[g^i, c]`, its
/// rows for the outputs 1..p in discrete-log order (row 0 excluded), norms over neurons.
/// alpha, beta: [K + 1].
pub fn mult_neuron_logit_spectrum(
    b: MultBasis,
    w_l: &[f32],
    d_mlp: usize,
    alpha: &mut [f64],
    beta: &mut [f64],
) -> Result<(), Error> {
    let nk = mult_spectrum_len(b.p);
    check_len(w_l.len(), b.p * d_mlp)?;
    check_len(alpha.len(), nk)?;
    check_len(beta.len(), nk)?;
    let exp = b.exp;
    norms_over_signals(d_mlp, &mut alpha[..nk], &mut beta[..nk], |c, k| {
        cyclic_coef_pair(b.basis, k, |i| w_l[exp[i] as usize * d_mlp + c].to_f64())
    });
    Ok(())
}

/// K of a multiplicative spectrum and its zero floor `ZERO_REL · max(α_1..α_K, β_1..β_{K−1})`.
fn mult_k_floor(alpha: &[f64], beta: &[f64]) -> Result<(usize, f64), Error> {
    if alpha.len() != beta.len() || alpha.len() < 2 {
        return Err(Error::BadDims);
    }
    let kk = alpha.len() - 1;
    let mut m = 0.0f64;
    for &v in alpha[1..].iter().chain(&beta[1..kk]) {
        m = m.max(v);
    }
    Ok((kk, ZERO_REL * m))
}

/// FFS of a multiplicative spectrum (1 = dense): the share of the p − 2 non-constant basis
/// functions whose norm exceeds ε times its family's largest,
/// `FFS = (1/(2K − 1)) (Σ_{k=1..K} [α_k / max_j α_j > ε] + Σ_{k=1..K−1} [β_k / max_j β_j > ε])`.
/// `β_K` (no Nyquist sine) is not read; otherwise the rules of [`ffs`](super::ffs).
/// alpha, beta: [K + 1], K = (p − 1)/2.
pub fn mult_ffs(alpha: &[f64], beta: &[f64], eps: f64) -> Result<f64, Error> {
    let (kk, floor) = mult_k_floor(alpha, beta)?;
    let count = ffs_count(&alpha[1..], &beta[1..kk], floor, eps);
    Ok(count as f64 / (2 * kk - 1) as f64)
}

/// FCR of a multiplicative spectrum (1 = balanced) over the frequencies that have both a cosine
/// and a sine: `FCR = (1/(K − 1)) Σ_{k=1..K−1} min(α_k/β_k, β_k/α_k)`, the rules of
/// [`fcr`](super::fcr) per term; the Nyquist frequency K is left out. For p = 3 (K = 1, no such
/// frequency) it is 1. alpha, beta: [K + 1].
pub fn mult_fcr(alpha: &[f64], beta: &[f64]) -> Result<f64, Error> {
    let (kk, floor) = mult_k_floor(alpha, beta)?;
    if kk == 1 {
        return Ok(1.0);
    }
    Ok(fcr_sum(alpha, beta, kk - 1, floor) / (kk - 1) as f64)
}
