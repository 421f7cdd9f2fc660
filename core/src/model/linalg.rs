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
/// read in place; B: [k_dim, ldb], C: [m, ldc]. Tiles of 4 rows × [`NJ`] columns are kept in
/// registers and vectorised across j only, so every element sees the same operations in the
/// same order whatever the tile or the SIMD width.
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
    let mut i0 = 0;
    while i0 + 4 <= m {
        let mut j0 = 0;
        while j0 + NJ <= n {
            tile::<T, 4, NJ>(c, ldc, a, a_row, a_col, b, ldb, i0, j0, k_dim);
            j0 += NJ;
        }
        while j0 < n {
            tile::<T, 4, 1>(c, ldc, a, a_row, a_col, b, ldb, i0, j0, k_dim);
            j0 += 1;
        }
        i0 += 4;
    }
    while i0 < m {
        let mut j0 = 0;
        while j0 + NJ <= n {
            tile::<T, 1, NJ>(c, ldc, a, a_row, a_col, b, ldb, i0, j0, k_dim);
            j0 += NJ;
        }
        while j0 < n {
            tile::<T, 1, 1>(c, ldc, a, a_row, a_col, b, ldb, i0, j0, k_dim);
            j0 += 1;
        }
        i0 += 1;
    }
}

/// Columns per register tile of [`gemm_acc`]: 4 × 16 accumulators fill half the 16 AVX
/// registers; with 128-bit SSE only 4 × 8 fit. The width changes speed, never a bit.
#[cfg(target_feature = "avx")]
pub const NJ: usize = 16;
#[cfg(not(target_feature = "avx"))]
pub const NJ: usize = 8;

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<T: Real, const R: usize, const W: usize>(
    c: &mut [T],
    ldc: usize,
    a: &[T],
    a_row: usize,
    a_col: usize,
    b: &[T],
    ldb: usize,
    i0: usize,
    j0: usize,
    k_dim: usize,
) {
    let mut acc = [[T::ZERO; W]; R];
    for r in 0..R {
        acc[r].copy_from_slice(&c[(i0 + r) * ldc + j0..(i0 + r) * ldc + j0 + W]);
    }
    for k in 0..k_dim {
        let b_k: &[T; W] = b[k * ldb + j0..k * ldb + j0 + W].try_into().unwrap();
        for r in 0..R {
            let a_rk = a[(i0 + r) * a_row + k * a_col];
            for j in 0..W {
                acc[r][j] += a_rk * b_k[j];
            }
        }
    }
    for r in 0..R {
        c[(i0 + r) * ldc + j0..(i0 + r) * ldc + j0 + W].copy_from_slice(&acc[r]);
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
