//! Fourier analysis of the logits over all p² inputs (SPEC §5): the 2-D logit spectrum, the
//! frequency components, and the restricted, excluded (ablated) and Table 4 losses.
//!
//! Shapes: `logits` L: [p, p, p] f32, `L[x, y, z]` = logit of number class z for the input
//! `(x, y)`, x outer (the caller runs the model on every pair and keeps the p number classes).
//! `coef` C: [p, p, p] f64, the [`dft3`](super::dft3) of L,
//! `C[a, b, c] = Σ b_a(x) b_b(y) b_c(z) L`.
//! `labels`: [p²] u16, the label of pair `x·p + y`. Pair sets are [`Pairs`].
//!
//! **Components.** With L_c = L − mean_z L (centred over z), the frequency-k component is the
//! orthogonal projection of L_c on the 8 functions `{c_k, s_k}(x) ⊗ {c_k, s_k}(y) ⊗ {c_k, s_k}(z)`:
//!
//! ```text
//! comp_k(x, y, z) = Σ_{u,v,w ∈ {c_k, s_k}} C[u, v, w]·u(x)·v(y)·w(z)
//! residual        = L_c − Σ_{k=1..K} comp_k
//! ```
//!
//! Centring removes only the c_0(z) coefficients, which no component uses, so C of the raw
//! logits serves. [`component_partials`] folds the y and z sums once,
//! `H[y, k, u, z] = Σ_{v,w} (C[u,v,w]·v(y))·w(z)` with (v, w) in the order (c,c), (c,s), (s,c),
//! (s,s); then `comp_k(x, y, z) = c_k(x)·H[y,k,c,z] + s_k(x)·H[y,k,s,z]`, O(p) per input and k.
//!
//! **Losses** are the mean over the chosen pairs (in their order) of the cross-entropy over the
//! p number classes, in f64 with a two-pass log-sum-exp (max, then Σ exp(v − max) z ascending,
//! `libm`): `loss = ln Σ_z exp(v_z − m) − (v_label − m)`. Special-token classes are not part of
//! L, so these can differ slightly from the training loss over all d_vocab classes. An empty pair
//! list gives NaN.
//!
//! **Cost** at p = 97 (release, one core): [`dft3`](super::dft3) plus [`component_partials`]
//! ≈ 0.1 s; one loss over all pairs is p³ ≈ 0.9 M `exp` calls, so [`excluded_losses`] (K + 1
//! losses) is bounded by ≈ 45 M `exp` calls, about half a second to a second.

use super::basis::{Basis, freq_of, n_freqs};
use crate::Error;
use crate::error::check_len;

/// A set of input pairs, by flat index `x·p + y` (the order of the loss sum).
#[derive(Clone, Copy, Debug)]
pub enum Pairs<'a> {
    /// All p² pairs, `0, 1, …, p² − 1`.
    All,
    /// These pairs, e.g. the train set; an index ≥ p² is [`Error::BadToken`] with
    /// `d_vocab = p²`.
    List(&'a [u32]),
}

impl Pairs<'_> {
    fn len(&self, p: usize) -> usize {
        match self {
            Pairs::All => p * p,
            Pairs::List(l) => l.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> usize {
        match self {
            Pairs::All => i,
            Pairs::List(l) => l[i] as usize,
        }
    }
}

/// Length of the 2-D logit spectrum: p².
pub const fn logit_spectrum_2d_len(p: usize) -> usize {
    p * p
}

/// Length of [`component_partials`]' output: p²·2K = p²·(p − 1).
pub const fn component_partials_len(p: usize) -> usize {
    p * p * 2 * n_freqs(p)
}

/// Scratch the loss functions need: 3p.
pub const fn loss_work_len(p: usize) -> usize {
    3 * p
}

/// 2-D logit spectrum: the logits transformed over x and y, norm over z for each basis pair,
/// `out[a, b] = ‖(Σ_{x,y} b_a(x) b_b(y) L[x, y, z])_z‖₂`. The z-transform is orthonormal, so
/// this is `sqrt(Σ_c C[a, b, c]²)` (c ascending) read from the 3-D coefficients; `centred`
/// skips c = 0, i.e. uses L_c. coef: [p, p, p]; out: [p, p] in basis order (a = x's index).
pub fn logit_spectrum_2d(
    b: Basis,
    coef: &[f64],
    centred: bool,
    out: &mut [f64],
) -> Result<(), Error> {
    let p = b.p();
    check_len(coef.len(), p * p * p)?;
    check_len(out.len(), p * p)?;
    let c0 = centred as usize;
    for (o, row) in out[..p * p].iter_mut().zip(coef.chunks_exact(p)) {
        let mut s = 0.0;
        for &v in &row[c0..] {
            s += v * v;
        }
        *o = libm::sqrt(s);
    }
    Ok(())
}

/// Norms of the frequency components, `out[k] = ‖comp_k‖₂ = sqrt(Σ_{u,v,w} C[u,v,w]²)` over the
/// 8 coefficients of k (u, v, w in c-before-s order), `out[0] = 0`. Returns `‖residual‖₂` (the
/// root sum of squares of every other coefficient with c ≠ 0, index order). coef: [p, p, p];
/// out: [K + 1].
pub fn logit_freq_norms(b: Basis, coef: &[f64], out: &mut [f64]) -> Result<f64, Error> {
    let p = b.p();
    let kk = b.n_freqs();
    check_len(coef.len(), p * p * p)?;
    check_len(out.len(), kk + 1)?;
    out[0] = 0.0;
    for (k, o) in out[..=kk].iter_mut().enumerate().skip(1) {
        let ix = [2 * k - 1, 2 * k];
        let mut s = 0.0;
        for u in ix {
            for v in ix {
                for w in ix {
                    let c = coef[(u * p + v) * p + w];
                    s += c * c;
                }
            }
        }
        *o = libm::sqrt(s);
    }
    let mut r = 0.0;
    for a in 0..p {
        let ka = freq_of(a).0;
        for bb in 0..p {
            let kb = freq_of(bb).0;
            for c in 1..p {
                if ka != 0 && ka == kb && kb == freq_of(c).0 {
                    continue;
                }
                let v = coef[(a * p + bb) * p + c];
                r += v * v;
            }
        }
    }
    Ok(libm::sqrt(r))
}

/// Folds C over y and z for every frequency (module docs):
/// `partials[((y·K + k − 1)·2 + u)·p + z] = H[y, k, u, z]`, u = 0 for c_k, 1 for s_k.
/// coef: [p, p, p]; partials: [p, K, 2, p] ([`component_partials_len`]).
pub fn component_partials(b: Basis, coef: &[f64], partials: &mut [f64]) -> Result<(), Error> {
    let p = b.p();
    let kk = b.n_freqs();
    check_len(coef.len(), p * p * p)?;
    check_len(partials.len(), component_partials_len(p))?;
    let sc = b.scale();
    for k in 1..=kk {
        let ix = [2 * k - 1, 2 * k];
        let mut cf = [[[0.0; 2]; 2]; 2];
        for (u, &iu) in ix.iter().enumerate() {
            for (v, &iv) in ix.iter().enumerate() {
                for (w, &iw) in ix.iter().enumerate() {
                    cf[u][v][w] = coef[(iu * p + iv) * p + iw];
                }
            }
        }
        let mut jy = 0;
        for y in 0..p {
            let by = [sc * b.cos_t(jy), sc * b.sin_t(jy)];
            for (u, cu) in cf.iter().enumerate() {
                let h = &mut partials[((y * kk + k - 1) * 2 + u) * p..][..p];
                let mut jz = 0;
                for hz in h.iter_mut() {
                    let bz = [sc * b.cos_t(jz), sc * b.sin_t(jz)];
                    *hz = cu[0][0] * by[0] * bz[0]
                        + cu[0][1] * by[0] * bz[1]
                        + cu[1][0] * by[1] * bz[0]
                        + cu[1][1] * by[1] * bz[1];
                    jz += k;
                    if jz >= p {
                        jz -= p;
                    }
                }
            }
            jy += k;
            if jy >= p {
                jy -= p;
            }
        }
    }
    Ok(())
}

/// `acc[z] = Σ_{k=1..K, want(k)} comp_k(x, y, z)`, k ascending, each term
/// `c_k(x)·H[y,k,c,z] + s_k(x)·H[y,k,s,z]`.
fn comp_sum(
    b: Basis,
    partials: &[f64],
    x: usize,
    y: usize,
    want: impl Fn(usize) -> bool,
    acc: &mut [f64],
) {
    let p = b.p();
    let kk = b.n_freqs();
    let sc = b.scale();
    let acc = &mut acc[..p];
    acc.fill(0.0);
    let mut j = 0;
    for k in 1..=kk {
        j += x;
        if j >= p {
            j -= p;
        }
        if !want(k) {
            continue;
        }
        let (bc, bs) = (sc * b.cos_t(j), sc * b.sin_t(j));
        let base = (y * kk + k - 1) * 2 * p;
        let (hc, hs) = partials[base..base + 2 * p].split_at(p);
        for z in 0..p {
            acc[z] += bc * hc[z] + bs * hs[z];
        }
    }
}

/// `out[z] = L_c[x, y, z] = L[x, y, z] − (Σ_z L[x, y, z])/p`.
fn centred_row(logits: &[f32], p: usize, pair: usize, out: &mut [f64]) {
    let row = &logits[pair * p..(pair + 1) * p];
    let mut s = 0.0;
    for &v in row {
        s += v as f64;
    }
    let mean = s / p as f64;
    for (o, &v) in out[..p].iter_mut().zip(row) {
        *o = v as f64 - mean;
    }
}

/// The logits of a selection, for one pair, into `v[0..p]` (`tmp[0..p]` scratch):
/// without residual `Σ_{k∈S} comp_k`; with residual `L_c − Σ_{k∉S} comp_k`, which is
/// `Σ_{k∈S} comp_k + residual` with fewer terms when S is most frequencies.
#[allow(clippy::too_many_arguments)]
fn selected_row(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    pair: usize,
    want: impl Fn(usize) -> bool,
    with_residual: bool,
    v: &mut [f64],
    tmp: &mut [f64],
) {
    let p = b.p();
    let (x, y) = (pair / p, pair % p);
    if with_residual {
        comp_sum(b, partials, x, y, |k| !want(k), tmp);
        centred_row(logits, p, pair, v);
        for (o, &t) in v[..p].iter_mut().zip(&tmp[..p]) {
            *o -= t;
        }
    } else {
        comp_sum(b, partials, x, y, want, v);
    }
}

/// Cross-entropy of the logits `f(0..p)` at `label`, two-pass log-sum-exp (module docs).
#[inline]
fn ce_by(p: usize, label: usize, f: impl Fn(usize) -> f64) -> f64 {
    let mut m = f(0);
    for z in 1..p {
        let v = f(z);
        if v > m {
            m = v;
        }
    }
    let mut s = 0.0;
    for z in 0..p {
        s += libm::exp(f(z) - m);
    }
    libm::log(s) - (f(label) - m)
}

/// Checks the pair set and the labels it reads; returns the number of pairs.
fn check_pairs(p: usize, labels: &[u16], pairs: Pairs) -> Result<usize, Error> {
    let p2 = p * p;
    check_len(labels.len(), p2)?;
    let n = pairs.len(p);
    for i in 0..n {
        let pair = pairs.get(i);
        if pair >= p2 {
            return Err(Error::BadToken {
                token: pair as u32,
                d_vocab: p2,
            });
        }
        if labels[pair] as usize >= p {
            return Err(Error::BadToken {
                token: labels[pair] as u32,
                d_vocab: p,
            });
        }
    }
    Ok(n)
}

fn check_inputs(
    b: Basis,
    logits: Option<&[f32]>,
    partials: &[f64],
    mask: Option<&[bool]>,
    work: &[f64],
) -> Result<(), Error> {
    let p = b.p();
    if let Some(l) = logits {
        check_len(l.len(), p * p * p)?;
    }
    check_len(partials.len(), component_partials_len(p))?;
    if let Some(m) = mask {
        check_len(m.len(), b.n_freqs() + 1)?;
    }
    check_len(work.len(), loss_work_len(p))
}

/// Materialises the logits of a selection for every pair. select: [K + 1] (index 0 unused),
/// out: [p, p, p]: `Σ_{k: select[k]} comp_k`, plus the residual when `with_residual` (computed as
/// `L_c − Σ_{k: !select[k]} comp_k`). The loss functions below evaluate exactly these values.
/// work: [3·p].
pub fn component_logits(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    select: &[bool],
    with_residual: bool,
    out: &mut [f64],
    work: &mut [f64],
) -> Result<(), Error> {
    let p = b.p();
    check_inputs(b, Some(logits), partials, Some(select), work)?;
    check_len(out.len(), p * p * p)?;
    for (pair, v) in out[..p * p * p].chunks_exact_mut(p).enumerate() {
        selected_row(
            b,
            logits,
            partials,
            pair,
            |k| select[k],
            with_residual,
            v,
            work,
        );
    }
    Ok(())
}

/// Mean cross-entropy of the raw logits L over the pairs. logits: [p, p, p]; labels: [p·p].
pub fn logit_loss(p: usize, logits: &[f32], labels: &[u16], pairs: Pairs) -> Result<f64, Error> {
    if p < 2 {
        return Err(Error::BadDims);
    }
    check_len(logits.len(), p * p * p)?;
    let n = check_pairs(p, labels, pairs)?;
    let mut sum = 0.0;
    for i in 0..n {
        let pair = pairs.get(i);
        let row = &logits[pair * p..(pair + 1) * p];
        sum += ce_by(p, labels[pair] as usize, |z| row[z] as f64);
    }
    Ok(sum / n as f64)
}

#[allow(clippy::too_many_arguments)]
fn selection_loss(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    want: impl Fn(usize) -> bool + Copy,
    with_residual: bool,
    labels: &[u16],
    pairs: Pairs,
    work: &mut [f64],
) -> Result<f64, Error> {
    let p = b.p();
    let n = check_pairs(p, labels, pairs)?;
    let (v, tmp) = work[..2 * p].split_at_mut(p);
    let mut sum = 0.0;
    for i in 0..n {
        let pair = pairs.get(i);
        selected_row(b, logits, partials, pair, want, with_residual, v, tmp);
        sum += ce_by(p, labels[pair] as usize, |z| v[z]);
    }
    Ok(sum / n as f64)
}

/// Mean loss with the logits of a selection (see [`component_logits`]): `Σ_{k: select[k]}
/// comp_k`, plus the residual when `with_residual`. select: [K + 1]; work: [3·p].
#[allow(clippy::too_many_arguments)]
pub fn component_loss(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    select: &[bool],
    with_residual: bool,
    labels: &[u16],
    pairs: Pairs,
    work: &mut [f64],
) -> Result<f64, Error> {
    check_inputs(b, Some(logits), partials, Some(select), work)?;
    selection_loss(
        b,
        logits,
        partials,
        |k| select[k],
        with_residual,
        labels,
        pairs,
        work,
    )
}

/// Restricted loss (Nanda et al.): the loss with logits = the key-frequency components only,
/// `Σ_{k: key[k]} comp_k`. key: [K + 1] (e.g. from [`crate::fourier::key_frequencies`]);
/// work: [3·p].
pub fn restricted_loss(
    b: Basis,
    partials: &[f64],
    key: &[bool],
    labels: &[u16],
    pairs: Pairs,
    work: &mut [f64],
) -> Result<f64, Error> {
    check_inputs(b, None, partials, Some(key), work)?;
    selection_loss(b, &[], partials, |k| key[k], false, labels, pairs, work)
}

/// Excluded (ablated) loss of frequency k, 1 ≤ k ≤ K: the loss with comp_k removed from the
/// logits, `L − comp_k` (evaluated as `L_c − comp_k`, which the softmax cannot tell apart).
/// work: [3·p].
#[allow(clippy::too_many_arguments)]
pub fn excluded_loss(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    k: usize,
    labels: &[u16],
    pairs: Pairs,
    work: &mut [f64],
) -> Result<f64, Error> {
    check_inputs(b, Some(logits), partials, None, work)?;
    if k == 0 || k > b.n_freqs() {
        return Err(Error::BadDims);
    }
    selection_loss(b, logits, partials, |j| j != k, true, labels, pairs, work)
}

/// [`excluded_loss`] for every k: `out[k]` for k = 1..K, and `out[0]` the loss with nothing
/// removed (L_c, the baseline). out: [K + 1]; work: [3·p].
pub fn excluded_losses(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    labels: &[u16],
    pairs: Pairs,
    out: &mut [f64],
    work: &mut [f64],
) -> Result<(), Error> {
    check_inputs(b, Some(logits), partials, None, work)?;
    let (p, kk) = (b.p(), b.n_freqs());
    check_len(out.len(), kk + 1)?;
    let n = check_pairs(p, labels, pairs)?;
    let out = &mut out[..kk + 1];
    out.fill(0.0);
    let (lc, v) = work[..2 * p].split_at_mut(p);
    let sc = b.scale();
    // Pairs outer, k inner: one centring per pair. Each out[k] still sums its pairs in list
    // order with the values `excluded_loss(k)` uses, so the two agree bit for bit.
    for i in 0..n {
        let pair = pairs.get(i);
        let (x, y) = (pair / p, pair % p);
        let lab = labels[pair] as usize;
        centred_row(logits, p, pair, lc);
        let lc = &*lc;
        out[0] += ce_by(p, lab, |z| lc[z] - 0.0);
        let mut j = 0;
        for (k, o) in out.iter_mut().enumerate().skip(1) {
            j += x;
            if j >= p {
                j -= p;
            }
            let (bc, bs) = (sc * b.cos_t(j), sc * b.sin_t(j));
            let base = (y * kk + k - 1) * 2 * p;
            let (hc, hs) = partials[base..base + 2 * p].split_at(p);
            for z in 0..p {
                v[z] = lc[z] - (0.0 + (bc * hc[z] + bs * hs[z]));
            }
            let v = &*v;
            *o += ce_by(p, lab, |z| v[z]);
        }
    }
    for o in out.iter_mut() {
        *o /= n as f64;
    }
    Ok(())
}

/// The paper's Table 4: the loss of each non-empty combination of the key-frequency part
/// `Kp = Σ_{k key} comp_k`, the non-key part `Np = Σ_{k not key} comp_k` and the residual
/// `R = L_c − (Kp + Np)`; a combination's logits are the sum of its parts in the order Kp, Np, R.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossDecomposition {
    pub key: f64,
    pub non_key: f64,
    pub residual: f64,
    pub key_non_key: f64,
    pub key_residual: f64,
    pub non_key_residual: f64,
    /// Key + non-key + residual: the loss of L itself, up to rounding.
    pub all: f64,
}

/// Table 4 decomposition over the pairs (see [`LossDecomposition`]). key: [K + 1]; work: [3·p].
#[allow(clippy::too_many_arguments)]
pub fn loss_decomposition(
    b: Basis,
    logits: &[f32],
    partials: &[f64],
    key: &[bool],
    labels: &[u16],
    pairs: Pairs,
    work: &mut [f64],
) -> Result<LossDecomposition, Error> {
    check_inputs(b, Some(logits), partials, Some(key), work)?;
    let p = b.p();
    let n = check_pairs(p, labels, pairs)?;
    let (kp, rest) = work[..3 * p].split_at_mut(p);
    let (np, r) = rest.split_at_mut(p);
    let mut s = [0.0f64; 7];
    for i in 0..n {
        let pair = pairs.get(i);
        let (x, y) = (pair / p, pair % p);
        comp_sum(b, partials, x, y, |k| key[k], kp);
        comp_sum(b, partials, x, y, |k| !key[k], np);
        centred_row(logits, p, pair, r);
        for z in 0..p {
            r[z] -= kp[z] + np[z];
        }
        let lab = labels[pair] as usize;
        let (kp, np, r) = (&*kp, &*np, &*r);
        s[0] += ce_by(p, lab, |z| kp[z]);
        s[1] += ce_by(p, lab, |z| np[z]);
        s[2] += ce_by(p, lab, |z| r[z]);
        s[3] += ce_by(p, lab, |z| kp[z] + np[z]);
        s[4] += ce_by(p, lab, |z| kp[z] + r[z]);
        s[5] += ce_by(p, lab, |z| np[z] + r[z]);
        s[6] += ce_by(p, lab, |z| kp[z] + np[z] + r[z]);
    }
    let nf = n as f64;
    Ok(LossDecomposition {
        key: s[0] / nf,
        non_key: s[1] / nf,
        residual: s[2] / nf,
        key_non_key: s[3] / nf,
        key_residual: s[4] / nf,
        non_key_residual: s[5] / nf,
        all: s[6] / nf,
    })
}
