//! The real orthonormal Fourier basis over Z_n for any n, its twiddle table and its DFT
//! (SPEC §5). The multiplicative basis ([`super::MultBasis`]) runs it over Z_{p−1}; for an odd
//! prime n it is the additive [`Basis`](super::Basis), bit for bit.
//!
//! With M = ⌊(n − 1)/2⌋ and h = n/2 (n even), the n functions of x ∈ Z_n are
//!
//! ```text
//! c_0(x) = 1/√n
//! c_k(x) = √(2/n)·cos(2πkx/n),  s_k(x) = √(2/n)·sin(2πkx/n),   k = 1..M
//! c_h(x) = (−1)^x/√n                                          (n even only: the Nyquist cosine)
//! ```
//!
//! **Ordering**: `c_0, c_1, s_1, c_2, s_2, …, c_M, s_M`, then for an even n the Nyquist cosine
//! `c_h` last, with no sine (`s_h` is identically 0). So `c_k` is index `2k − 1` and `s_k` is
//! `2k` as in the additive basis ([`cos_index`](super::cos_index),
//! [`sin_index`](super::sin_index), [`freq_of`](super::freq_of) apply unchanged), and `c_h` is
//! index `n − 1 = 2h − 1`. A spectrum over this basis has [`cyclic_spectrum_len`]`(n)` = h + 1
//! entries k = 0..=⌊n/2⌋; for an even n its last β is 0 by construction.
//!
//! Twiddles: `cos(2πj/n)`, `sin(2πj/n)` for j = 0..n, with θ_j = (2π·j)/n in f64 and `libm`
//! for j ≤ ⌊n/2⌋, set exactly to (1, 0) at j = 0 and to (−1, 0) at j = n/2, and mirrored above
//! (`cos(2π(n−j)/n) = cos(2πj/n)`, `sin(2π(n−j)/n) = −sin(2πj/n)` bit for bit).
//!
//! The DFT folds x with n − x. With `u = f(x)`, `v = f(n − x)`, `j = k·x mod n`:
//!
//! ```text
//! C_k = f(0) + Σ_{x=1..M} cos(2πj/n)·(u + v)  [+ cos(2πk·h/n)·f(h), n even]   (x ascending)
//! S_k =  0   + Σ_{x=1..M} sin(2πj/n)·(u − v)
//! g_0 = C_0/√n,  g_{2k−1} = √(2/n)·C_k,  g_{2k} = √(2/n)·S_k  (k = 1..M),  g_{n−1} = C_h/√n
//! ```
//!
//! (for k = 0 the cosine is 1; for k = h it is ±1 exactly). The inverse, for x = 0..=⌊n/2⌋:
//!
//! ```text
//! E = Σ_{k=1..M} cos(2πkx/n)·g_{2k−1},   O = Σ_{k=1..M} sin(2πkx/n)·g_{2k}
//!     (k ascending; O = 0 at x = 0 and x = h)
//! N = (cos(2πh·x/n)·g_{n−1})/√n                            (n even; absent for an odd n)
//! f(x) = (g_0/√n + √(2/n)·(E + O)) + N,   f(n − x) = (g_0/√n + √(2/n)·(E − O)) + N
//! ```

use crate::error::check_len;
use crate::limits::MAX_CYCLIC_N;
use crate::{Error, Real};

/// Length of the twiddle table [`CyclicBasis::new`] fills: `[cos(2πj/n) for j in 0..n,
/// sin(2πj/n) for j in 0..n]`.
pub const fn cyclic_twiddles_len(n: usize) -> usize {
    2 * n
}

/// ⌊n/2⌋ + 1: the length of `alpha`, `beta` and a frequency mask of a spectrum over Z_n,
/// indexed by k = 0..=⌊n/2⌋ (for an even n, k = n/2 is the Nyquist frequency).
pub const fn cyclic_spectrum_len(n: usize) -> usize {
    n / 2 + 1
}

/// The basis for one n: a view of a filled twiddle table plus the two normalisations.
/// `Copy`, so pass it by value.
#[derive(Clone, Copy, Debug)]
pub struct CyclicBasis<'a> {
    n: usize,
    m: usize,
    tw: &'a [f64],
    scale0: f64,
    scale: f64,
}

impl<'a> CyclicBasis<'a> {
    /// Fills `table` (len ≥ [`cyclic_twiddles_len`]`(n)`) with the twiddles of n and returns the
    /// basis; n must lie in `1..=`[`MAX_CYCLIC_N`], else [`Error::BadTransformLength`].
    pub fn new(n: usize, table: &'a mut [f64]) -> Result<Self, Error> {
        if !(1..=MAX_CYCLIC_N).contains(&n) {
            return Err(Error::BadTransformLength {
                n: n.min(u32::MAX as usize) as u32,
            });
        }
        let need = cyclic_twiddles_len(n);
        check_len(table.len(), need)?;
        let h = n / 2;
        let (cos, sin) = table[..need].split_at_mut(n);
        for j in 0..=h {
            let theta = (2.0 * core::f64::consts::PI * j as f64) / n as f64;
            cos[j] = libm::cos(theta);
            sin[j] = libm::sin(theta);
        }
        cos[0] = 1.0;
        sin[0] = 0.0;
        if n.is_multiple_of(2) {
            cos[h] = -1.0;
            sin[h] = 0.0;
        }
        for j in h + 1..n {
            cos[j] = cos[n - j];
            sin[j] = -sin[n - j];
        }
        let tw: &'a [f64] = &table[..need];
        Ok(CyclicBasis {
            n,
            m: (n - 1) / 2,
            tw,
            scale0: 1.0 / libm::sqrt(n as f64),
            scale: libm::sqrt(2.0 / n as f64),
        })
    }

    /// The length n.
    pub fn n(&self) -> usize {
        self.n
    }

    /// M = ⌊(n − 1)/2⌋: the frequencies with both a cosine and a sine.
    pub fn n_pairs(&self) -> usize {
        self.m
    }

    /// ⌊n/2⌋: the non-constant frequencies, the Nyquist one included for an even n.
    pub fn n_freqs(&self) -> usize {
        self.n / 2
    }

    /// Whether n is even, so that frequency n/2 is a lone cosine.
    pub fn has_nyquist(&self) -> bool {
        self.n.is_multiple_of(2)
    }

    /// 1/√n, the value of `c_0` (and the amplitude of the Nyquist cosine).
    pub fn scale0(&self) -> f64 {
        self.scale0
    }

    /// √(2/n), the amplitude of `c_k` and `s_k`, k = 1..M.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The filled table, `[cos(2πj/n); n]` then `[sin(2πj/n); n]`.
    pub fn twiddles(&self) -> &'a [f64] {
        self.tw
    }

    /// cos(2πj/n), j < n.
    #[inline(always)]
    pub(crate) fn cos_t(&self, j: usize) -> f64 {
        self.tw[j]
    }

    /// sin(2πj/n), j < n.
    #[inline(always)]
    pub(crate) fn sin_t(&self, j: usize) -> f64 {
        self.tw[self.n + j]
    }

    /// `b_i(x)`: basis function `i` (ordering above) at `x` (taken mod n).
    pub fn value(&self, i: usize, x: usize) -> f64 {
        let k = i.div_ceil(2);
        let is_sin = i != 0 && i.is_multiple_of(2);
        if k == 0 {
            return self.scale0;
        }
        let j = ((k as u64 * x as u64) % self.n as u64) as usize;
        if 2 * k == self.n {
            self.scale0 * self.cos_t(j)
        } else if is_sin {
            self.scale * self.sin_t(j)
        } else {
            self.scale * self.cos_t(j)
        }
    }
}

/// The scaled coefficients (of `c_k`, of `s_k`) of the signal `f` over Z_n, k = 0..=⌊n/2⌋, in
/// the module's order; the sine is 0 for k = 0 and for the Nyquist frequency.
#[inline(always)]
pub(crate) fn cyclic_coef_pair(b: CyclicBasis, k: usize, f: impl Fn(usize) -> f64) -> (f64, f64) {
    let n = b.n;
    let mut c = f(0);
    let mut s = 0.0;
    let mut j = 0;
    for x in 1..=b.m {
        j += k;
        if j >= n {
            j -= n;
        }
        let u = f(x);
        let v = f(n - x);
        if k == 0 {
            c += u + v;
        } else {
            c += b.cos_t(j) * (u + v);
            s += b.sin_t(j) * (u - v);
        }
    }
    if b.has_nyquist() {
        let h = n / 2;
        if k == 0 {
            c += f(h);
        } else {
            c += b.cos_t((k * h) % n) * f(h);
        }
    }
    if k == 0 || 2 * k == n {
        (c * b.scale0, 0.0)
    } else {
        (c * b.scale, s * b.scale)
    }
}

/// Real DFT over Z_n of a signal read through `f`, into `out[..n]`.
pub(crate) fn cyclic_dft_by(b: CyclicBasis, f: impl Fn(usize) -> f64 + Copy, out: &mut [f64]) {
    let out = &mut out[..b.n];
    out[0] = cyclic_coef_pair(b, 0, f).0;
    for k in 1..=b.m {
        let (c, s) = cyclic_coef_pair(b, k, f);
        out[2 * k - 1] = c;
        out[2 * k] = s;
    }
    if b.has_nyquist() {
        out[b.n - 1] = cyclic_coef_pair(b, b.n / 2, f).0;
    }
}

/// Real DFT over Z_n. x: `[n]` (f32 or f64) → out: `[n]` coefficients in the module's
/// ordering, `out[i] = Σ_x b_i(x)·x[x]`.
pub fn cyclic_dft<T: Real>(b: CyclicBasis, x: &[T], out: &mut [f64]) -> Result<(), Error> {
    check_len(x.len(), b.n)?;
    check_len(out.len(), b.n)?;
    cyclic_dft_by(b, |i| x[i].to_f64(), out);
    Ok(())
}

/// Inverse of [`cyclic_dft`] (its transpose: the basis is orthonormal). g: `[n]` coefficients →
/// out: `[n]`, `out[x] = Σ_i g[i]·b_i(x)`.
pub fn cyclic_idft(b: CyclicBasis, g: &[f64], out: &mut [f64]) -> Result<(), Error> {
    let n = b.n;
    check_len(g.len(), n)?;
    check_len(out.len(), n)?;
    let (g, out) = (&g[..n], &mut out[..n]);
    let a0 = g[0] * b.scale0;
    let h = n / 2;
    for x in 0..=h {
        let (mut e, mut o) = (0.0, 0.0);
        let mirrored = x > 0 && 2 * x != n;
        let mut j = 0;
        for k in 1..=b.m {
            j += x;
            if j >= n {
                j -= n;
            }
            e += b.cos_t(j) * g[2 * k - 1];
            if mirrored {
                o += b.sin_t(j) * g[2 * k];
            }
        }
        let (mut lo, mut hi) = (a0 + b.scale * (e + o), a0 + b.scale * (e - o));
        if b.has_nyquist() {
            let nyq = (b.cos_t((h * x) % n) * g[n - 1]) * b.scale0;
            lo += nyq;
            hi += nyq;
        }
        out[x] = lo;
        if mirrored {
            out[n - x] = hi;
        }
    }
    Ok(())
}
