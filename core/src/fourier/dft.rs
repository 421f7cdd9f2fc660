//! Projection on the real Fourier basis: a radix-free O(p²) DFT over Z_p on caller buffers.
//!
//! Coefficients are `g_i = Σ_x b_i(x)·f(x)` (the basis is orthonormal, so this is the projection
//! and [`idft`] is its transpose and inverse). Every coefficient is accumulated in f64 in one
//! order, shared by the vector, row, column and 3-D versions so they agree bit for bit. With
//! `u = f(x)`, `v = f(p − x)` and `j = k·x mod p`:
//!
//! ```text
//! C_k = f(0) + Σ_{x=1..K} cos(2πj/p)·(u + v)        (x ascending; for k = 0 the cosine is 1)
//! S_k =  0   + Σ_{x=1..K} sin(2πj/p)·(u − v)
//! g_0 = C_0/√p,   g_{2k−1} = √(2/p)·C_k,   g_{2k} = √(2/p)·S_k
//! ```
//!
//! Folding x with p − x halves the work and makes the sine coefficients of an even signal (and
//! the cosine coefficients of an odd one) exactly zero. The inverse, for x = 0..K:
//!
//! ```text
//! E = Σ_{k=1..K} cos(2πkx/p)·g_{2k−1},   O = Σ_{k=1..K} sin(2πkx/p)·g_{2k}
//!     (k ascending; O = 0 at x = 0)
//! f(x) = g_0/√p + √(2/p)·(E + O),   f(p − x) = g_0/√p + √(2/p)·(E − O)
//! ```

use super::basis::Basis;
use crate::error::check_len;
use crate::{Error, Real};

/// Unscaled (C_k, S_k) of a signal read through `f`, k ≥ 1, in the module's order.
#[inline(always)]
fn cs_sums(b: Basis, k: usize, f: impl Fn(usize) -> f64) -> (f64, f64) {
    let p = b.p();
    let mut c = f(0);
    let mut s = 0.0;
    let mut j = 0;
    for x in 1..=b.n_freqs() {
        j += k;
        if j >= p {
            j -= p;
        }
        let u = f(x);
        let v = f(p - x);
        c += b.cos_t(j) * (u + v);
        s += b.sin_t(j) * (u - v);
    }
    (c, s)
}

/// Unscaled C_0 = f(0) + Σ_{x=1..K} (f(x) + f(p − x)).
#[inline(always)]
fn c0_sum(b: Basis, f: impl Fn(usize) -> f64) -> f64 {
    let p = b.p();
    let mut c = f(0);
    for x in 1..=b.n_freqs() {
        c += f(x) + f(p - x);
    }
    c
}

/// Coefficient `i` of a signal read through `f` (same bits as the vector transforms).
#[inline(always)]
pub(crate) fn coef_pair(b: Basis, k: usize, f: impl Fn(usize) -> f64) -> (f64, f64) {
    if k == 0 {
        (c0_sum(b, f) * b.scale0(), 0.0)
    } else {
        let (c, s) = cs_sums(b, k, f);
        (c * b.scale(), s * b.scale())
    }
}

fn dft_row<T: Real>(b: Basis, row: &[T], out: &mut [f64]) {
    let p = b.p();
    let row = &row[..p];
    let out = &mut out[..p];
    out[0] = c0_sum(b, |x| row[x].to_f64()) * b.scale0();
    for k in 1..=b.n_freqs() {
        let (c, s) = cs_sums(b, k, |x| row[x].to_f64());
        out[2 * k - 1] = c * b.scale();
        out[2 * k] = s * b.scale();
    }
}

fn idft_row(b: Basis, g: &[f64], out: &mut [f64]) {
    let p = b.p();
    let g = &g[..p];
    let out = &mut out[..p];
    let a0 = g[0] * b.scale0();
    let sc = b.scale();
    for x in 0..=b.n_freqs() {
        let mut e = 0.0;
        let mut o = 0.0;
        let mut j = 0;
        for k in 1..=b.n_freqs() {
            j += x;
            if j >= p {
                j -= p;
            }
            e += b.cos_t(j) * g[2 * k - 1];
            if x > 0 {
                o += b.sin_t(j) * g[2 * k];
            }
        }
        out[x] = a0 + sc * (e + o);
        if x > 0 {
            out[p - x] = a0 + sc * (e - o);
        }
    }
}

/// a: [p, n] (first p·n elements read) → out: [p, n] coefficients of each column.
fn dft_cols_raw<T: Real>(b: Basis, a: &[T], n: usize, out: &mut [f64]) {
    let p = b.p();
    let kk = b.n_freqs();
    let a = &a[..p * n];
    let out = &mut out[..p * n];
    {
        let r0 = &mut out[..n];
        for (o, v) in r0.iter_mut().zip(&a[..n]) {
            *o = v.to_f64();
        }
        for x in 1..=kk {
            let (ru, rv) = (&a[x * n..(x + 1) * n], &a[(p - x) * n..(p - x + 1) * n]);
            for c in 0..n {
                r0[c] += ru[c].to_f64() + rv[c].to_f64();
            }
        }
        for o in r0.iter_mut() {
            *o *= b.scale0();
        }
    }
    for k in 1..=kk {
        let (rc, rs) = out[(2 * k - 1) * n..(2 * k + 1) * n].split_at_mut(n);
        for c in 0..n {
            rc[c] = a[c].to_f64();
            rs[c] = 0.0;
        }
        let mut j = 0;
        for x in 1..=kk {
            j += k;
            if j >= p {
                j -= p;
            }
            let (tc, ts) = (b.cos_t(j), b.sin_t(j));
            let (ru, rv) = (&a[x * n..(x + 1) * n], &a[(p - x) * n..(p - x + 1) * n]);
            for c in 0..n {
                let u = ru[c].to_f64();
                let v = rv[c].to_f64();
                rc[c] += tc * (u + v);
                rs[c] += ts * (u - v);
            }
        }
        for c in 0..n {
            rc[c] *= b.scale();
            rs[c] *= b.scale();
        }
    }
}

/// g: [p, n] coefficients → out: [p, n] signals, column by column.
fn idft_cols_raw(b: Basis, g: &[f64], n: usize, out: &mut [f64]) {
    let p = b.p();
    let kk = b.n_freqs();
    let g = &g[..p * n];
    let out = &mut out[..p * n];
    let sc = b.scale();
    let s0 = b.scale0();
    {
        let re = &mut out[..n];
        re.fill(0.0);
        for k in 1..=kk {
            let gc = &g[(2 * k - 1) * n..2 * k * n];
            for c in 0..n {
                re[c] += b.cos_t(0) * gc[c];
            }
        }
        for c in 0..n {
            re[c] = g[c] * s0 + sc * (re[c] + 0.0);
        }
    }
    for x in 1..=kk {
        let (lo, hi) = out.split_at_mut((p - x) * n);
        let re = &mut lo[x * n..(x + 1) * n];
        let ro = &mut hi[..n];
        re.fill(0.0);
        ro.fill(0.0);
        let mut j = 0;
        for k in 1..=kk {
            j += x;
            if j >= p {
                j -= p;
            }
            let (tc, ts) = (b.cos_t(j), b.sin_t(j));
            let gc = &g[(2 * k - 1) * n..2 * k * n];
            let gs = &g[2 * k * n..(2 * k + 1) * n];
            for c in 0..n {
                re[c] += tc * gc[c];
                ro[c] += ts * gs[c];
            }
        }
        for c in 0..n {
            let a0 = g[c] * s0;
            let (e, o) = (re[c], ro[c]);
            re[c] = a0 + sc * (e + o);
            ro[c] = a0 + sc * (e - o);
        }
    }
}

/// Real DFT of one signal. x: `[p]` (f32 or f64) → out: `[p]` coefficients,
/// `out[i] = Σ_x b_i(x)·x[x]`.
pub fn dft<T: Real>(b: Basis, x: &[T], out: &mut [f64]) -> Result<(), Error> {
    check_len(x.len(), b.p())?;
    check_len(out.len(), b.p())?;
    dft_row(b, x, out);
    Ok(())
}

/// Inverse of [`dft`]. g: `[p]` coefficients → out: `[p]`, `out[x] = Σ_i g[i]·b_i(x)`.
pub fn idft(b: Basis, g: &[f64], out: &mut [f64]) -> Result<(), Error> {
    check_len(g.len(), b.p())?;
    check_len(out.len(), b.p())?;
    idft_row(b, g, out);
    Ok(())
}

/// DFT of each row. a: [n_rows, ld] row-major with ld ≥ p, the signal of row r being
/// `a[r, 0..p]` (so a W_E of [d_model, d_vocab] gives the spectrum of its number tokens) →
/// out: [n_rows, p], `out[r, i] = Σ_x b_i(x)·a[r, x]`.
pub fn dft_rows<T: Real>(
    b: Basis,
    a: &[T],
    n_rows: usize,
    ld: usize,
    out: &mut [f64],
) -> Result<(), Error> {
    let p = b.p();
    if ld < p {
        return Err(Error::BadDims);
    }
    check_len(a.len(), n_rows * ld)?;
    check_len(out.len(), n_rows * p)?;
    for r in 0..n_rows {
        dft_row(b, &a[r * ld..r * ld + p], &mut out[r * p..(r + 1) * p]);
    }
    Ok(())
}

/// Inverse of [`dft_rows`] with ld = p. g: [n_rows, p] → out: [n_rows, p].
pub fn idft_rows(b: Basis, g: &[f64], n_rows: usize, out: &mut [f64]) -> Result<(), Error> {
    let p = b.p();
    check_len(g.len(), n_rows * p)?;
    check_len(out.len(), n_rows * p)?;
    for r in 0..n_rows {
        idft_row(b, &g[r * p..(r + 1) * p], &mut out[r * p..(r + 1) * p]);
    }
    Ok(())
}

/// DFT of each column. a: [p, n_cols] row-major (the signal of column c is `a[0..p, c]`, e.g. a
/// neuron of W_L) → out: [p, n_cols], `out[i, c] = Σ_x b_i(x)·a[x, c]`.
pub fn dft_cols<T: Real>(b: Basis, a: &[T], n_cols: usize, out: &mut [f64]) -> Result<(), Error> {
    check_len(a.len(), b.p() * n_cols)?;
    check_len(out.len(), b.p() * n_cols)?;
    dft_cols_raw(b, a, n_cols, out);
    Ok(())
}

/// Inverse of [`dft_cols`]. g: [p, n_cols] → out: [p, n_cols].
pub fn idft_cols(b: Basis, g: &[f64], n_cols: usize, out: &mut [f64]) -> Result<(), Error> {
    check_len(g.len(), b.p() * n_cols)?;
    check_len(out.len(), b.p() * n_cols)?;
    idft_cols_raw(b, g, n_cols, out);
    Ok(())
}

/// Length of a 3-D tensor over Z_p³: p³.
pub const fn dft3_len(p: usize) -> usize {
    p * p * p
}

/// Scratch [`dft3`] and [`idft3`] need: p².
pub const fn dft3_scratch_len(p: usize) -> usize {
    p * p
}

/// Separable 3-D real DFT. l: [p, p, p] (x outer, z inner, e.g. logits L[x, y, z]) →
/// out: [p, p, p], `out[a, b, c] = Σ_{x,y,z} b_a(x)·b_b(y)·b_c(z)·l[x, y, z]`.
/// Passes in order x, y, z, each the column or row transform above; O(p⁴) in all.
pub fn dft3<T: Real>(b: Basis, l: &[T], out: &mut [f64], scratch: &mut [f64]) -> Result<(), Error> {
    let p = b.p();
    let (n, p2) = (dft3_len(p), p * p);
    check_len(l.len(), n)?;
    check_len(out.len(), n)?;
    check_len(scratch.len(), p2)?;
    let out = &mut out[..n];
    let scratch = &mut scratch[..p2];
    dft_cols_raw(b, l, p2, out);
    for slab in out.chunks_exact_mut(p2) {
        dft_cols_raw(b, slab, p, scratch);
        slab.copy_from_slice(scratch);
    }
    let tmp = &mut scratch[..p];
    for row in out.chunks_exact_mut(p) {
        dft_row(b, row, tmp);
        row.copy_from_slice(tmp);
    }
    Ok(())
}

/// Inverse of [`dft3`]. coef: [p, p, p] → out: [p, p, p]; passes in order x, y, z.
pub fn idft3(b: Basis, coef: &[f64], out: &mut [f64], scratch: &mut [f64]) -> Result<(), Error> {
    let p = b.p();
    let (n, p2) = (dft3_len(p), p * p);
    check_len(coef.len(), n)?;
    check_len(out.len(), n)?;
    check_len(scratch.len(), p2)?;
    let out = &mut out[..n];
    let scratch = &mut scratch[..p2];
    idft_cols_raw(b, coef, p2, out);
    for slab in out.chunks_exact_mut(p2) {
        idft_cols_raw(b, slab, p, scratch);
        slab.copy_from_slice(scratch);
    }
    let tmp = &mut scratch[..p];
    for row in out.chunks_exact_mut(p) {
        idft_row(b, row, tmp);
        row.copy_from_slice(tmp);
    }
    Ok(())
}
