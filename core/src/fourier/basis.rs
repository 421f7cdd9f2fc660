//! The real orthonormal Fourier basis over Z_p and its one twiddle table (SPEC §5).
//!
//! For an odd prime p and K = (p − 1)/2 the basis has p functions of x ∈ Z_p:
//!
//! ```text
//! c_0(x) = 1/√p
//! c_k(x) = √(2/p)·cos(2πkx/p),  s_k(x) = √(2/p)·sin(2πkx/p),   k = 1..K
//! ```
//!
//! **Ordering** (TransformerLens' `fourier_basis`): index 0 is the constant, then the pairs
//! interleaved, `c_1, s_1, c_2, s_2, …, c_K, s_K`; so `c_k` is index `2k − 1` and `s_k` is `2k`
//! ([`cos_index`], [`sin_index`], [`freq_of`]). Every coefficient vector, every `[p, …]` or
//! `[…, p]` coefficient matrix and the 3-D logit coefficient tensor use this ordering.
//!
//! All values come from one table of the p twiddles `cos(2πj/p)`, `sin(2πj/p)`, j = 0..p, looked
//! up at `j = k·x mod p`. The table is computed for j ≤ K with `libm` in f64 and mirrored for
//! j > K (`cos(2π(p−j)/p) = cos(2πj/p)`, `sin(2π(p−j)/p) = −sin(2πj/p)` bit for bit), so an even
//! (odd) signal has sine (cosine) coefficients that are exactly zero.

use super::cyclic::CyclicBasis;
use crate::Error;

/// K = (p − 1)/2: the number of non-constant frequencies of an odd p.
pub const fn n_freqs(p: usize) -> usize {
    p.saturating_sub(1) / 2
}

/// Length of the twiddle table [`Basis::new`] fills: `[cos(2πj/p) for j in 0..p,
/// sin(2πj/p) for j in 0..p]`.
pub const fn twiddles_len(p: usize) -> usize {
    2 * p
}

/// Basis index of `c_k`, k ≥ 1.
pub const fn cos_index(k: usize) -> usize {
    2 * k - 1
}

/// Basis index of `s_k`, k ≥ 1.
pub const fn sin_index(k: usize) -> usize {
    2 * k
}

/// Frequency of basis index `i` and whether it is the sine: `0 → (0, false)`,
/// `2k − 1 → (k, false)`, `2k → (k, true)`.
pub const fn freq_of(i: usize) -> (usize, bool) {
    (i.div_ceil(2), i != 0 && i.is_multiple_of(2))
}

/// `Ok` when p is a prime with 3 ≤ p < 2^16 (the range the tasks allow), else
/// [`Error::BadModulus`].
pub fn check_prime(p: usize) -> Result<(), Error> {
    let bad = Error::BadModulus {
        p: p.min(u32::MAX as usize) as u32,
    };
    if !(3..65536).contains(&p) || p.is_multiple_of(2) {
        return Err(bad);
    }
    let mut d = 3;
    while d * d <= p {
        if p.is_multiple_of(d) {
            return Err(bad);
        }
        d += 2;
    }
    Ok(())
}

/// The basis for one prime p: the [`CyclicBasis`] of n = p (an odd n has no Nyquist term, so
/// its ordering, table and normalisations are the ones above), known to be prime. `Copy`, so
/// pass it by value.
#[derive(Clone, Copy, Debug)]
pub struct Basis<'a> {
    b: CyclicBasis<'a>,
}

impl<'a> Basis<'a> {
    /// Fills `table` (len ≥ [`twiddles_len`]`(p)`) with the twiddles of p and returns the basis.
    /// θ_j = (2π·j)/p in f64; `libm::cos`, `libm::sin` for j = 0..=K, mirrored above K.
    pub fn new(p: usize, table: &'a mut [f64]) -> Result<Self, Error> {
        check_prime(p)?;
        Ok(Basis {
            b: CyclicBasis::new(p, table)?,
        })
    }

    /// The modulus p.
    pub fn p(&self) -> usize {
        self.b.n()
    }

    /// K = (p − 1)/2.
    pub fn n_freqs(&self) -> usize {
        self.b.n_pairs()
    }

    /// 1/√p, the value of `c_0`.
    pub fn scale0(&self) -> f64 {
        self.b.scale0()
    }

    /// √(2/p), the amplitude of `c_k` and `s_k`.
    pub fn scale(&self) -> f64 {
        self.b.scale()
    }

    /// The filled table, `[cos(2πj/p); p]` then `[sin(2πj/p); p]`.
    pub fn twiddles(&self) -> &'a [f64] {
        self.b.twiddles()
    }

    /// cos(2πj/p), j < p.
    #[inline(always)]
    pub(crate) fn cos_t(&self, j: usize) -> f64 {
        self.b.cos_t(j)
    }

    /// sin(2πj/p), j < p.
    #[inline(always)]
    pub(crate) fn sin_t(&self, j: usize) -> f64 {
        self.b.sin_t(j)
    }

    /// `b_i(x)`: basis function `i` (ordering above) at `x` (taken mod p), as
    /// `scale · table[k·x mod p]`.
    pub fn value(&self, i: usize, x: usize) -> f64 {
        self.b.value(i, x)
    }
}
