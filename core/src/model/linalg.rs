//! The few dense kernels every layer is built from. Each output element is a sum over its k in
//! ascending order, started from zero; loops run across independent outputs so a compiler can
//! vectorise them without reordering any sum (SPEC §6).
use crate::Real;

/// `y[i] += a · x[i]`.
#[inline(always)]
pub fn axpy<T: Real>(y: &mut [T], a: T, x: &[T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `y[i] += x[i]`.
#[inline(always)]
pub fn add_assign<T: Real>(y: &mut [T], x: &[T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += xi;
    }
}

/// `Σ_i a[i]·b[i]`, i ascending from zero.
#[inline(always)]
pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut s = T::ZERO;
    for (&x, &y) in a.iter().zip(b) {
        s += x * y;
    }
    s
}

/// `C[i][j] += Σ_k A(i, k)·B[k][j]` for i < m, j < n, each sum added term by term into C's
/// current value with k ascending. `A(i, k) = a[i·a_row + k·a_col]`, so both `A` and `A^T` are
/// read in place; B: [k_dim, ldb], C: [m, ldc]. Panels of 4 rows of A are packed, and tiles of
/// 4 rows × [`NJ`] columns of C stay in registers, vectorised across j only, so every element
/// sees the same operations in the same order whatever the tile or the SIMD width.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn gemm_acc<T: Real>(
    c: &mut [T],
    ldc: usize,
    a: &[T],
    a_row: usize,
    a_col: usize,
    b: &[T],
    ldb: usize,
    m: usize,
    n: usize,
    k_dim: usize,
) {
    let mut pack = [T::ZERO; 4 * KC];
    for i0 in (0..m).step_by(4) {
        let rows = (m - i0).min(4);
        for k0 in (0..k_dim).step_by(KC) {
            let kc = (k_dim - k0).min(KC);
            for k in 0..kc {
                for r in 0..4 {
                    pack[k * 4 + r] =
                        if r < rows { a[(i0 + r) * a_row + (k0 + k) * a_col] } else { T::ZERO };
                }
            }
            let panel = Panel { pack: &pack[..kc * 4], b: &b[k0 * ldb..], ldb, rows, i0 };
            let mut j0 = 0;
            while j0 + NJ <= n {
                panel.tile::<NJ>(c, ldc, j0);
                j0 += NJ;
            }
            while j0 + 4 <= n {
                panel.tile::<4>(c, ldc, j0);
                j0 += 4;
            }
            while j0 < n {
                panel.tile::<1>(c, ldc, j0);
                j0 += 1;
            }
        }
    }
}

/// Columns per register tile of [`gemm_acc`]: 4 × 16 accumulators fill half the 16 AVX
/// registers; with 128-bit SSE only 4 × 8 fit. The width changes speed, never a bit.
#[cfg(target_feature = "avx")]
pub const NJ: usize = 16;
#[cfg(not(target_feature = "avx"))]
pub const NJ: usize = 8;

/// Depth of one packed panel of A.
const KC: usize = 128;

/// Up to 4 rows of A for `KC` values of k, interleaved (`pack[k·4 + r]`), and the matching rows
/// of B.
struct Panel<'a, T> {
    pack: &'a [T],
    b: &'a [T],
    ldb: usize,
    rows: usize,
    i0: usize,
}

impl<T: Real> Panel<'_, T> {
    #[inline(always)]
    fn tile<const W: usize>(&self, c: &mut [T], ldc: usize, j0: usize) {
        let mut acc = [[T::ZERO; W]; 4];
        for r in 0..self.rows {
            let at = (self.i0 + r) * ldc + j0;
            acc[r].copy_from_slice(&c[at..at + W]);
        }
        for (a4, b_row) in self.pack.chunks_exact(4).zip(self.b.chunks(self.ldb)) {
            let b_k: &[T; W] = b_row[j0..j0 + W].try_into().expect("W columns");
            for r in 0..4 {
                let a_rk = a4[r];
                for j in 0..W {
                    acc[r][j] += a_rk * b_k[j];
                }
            }
        }
        for r in 0..self.rows {
            let at = (self.i0 + r) * ldc + j0;
            c[at..at + W].copy_from_slice(&acc[r]);
        }
    }
}

/// Splits `buf` into consecutive pieces of the given lengths.
pub fn carve<'a, T, const N: usize>(mut buf: &'a [T], lens: [usize; N]) -> [&'a [T]; N] {
    lens.map(|n| {
        let (a, b) = buf.split_at(n);
        buf = b;
        a
    })
}

/// Mutable [`carve`].
pub fn carve_mut<'a, T, const N: usize>(mut buf: &'a mut [T], lens: [usize; N]) -> [&'a mut [T]; N] {
    lens.map(|n| {
        let (a, b) = core::mem::take(&mut buf).split_at_mut(n);
        buf = b;
        a
    })
}
