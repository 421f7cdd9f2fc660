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
/// read in place; B: [k_dim, ldb], C: [m, ldc]. Panels of [`MR`] rows of A are packed, and tiles
/// of [`MR`] rows × [`NJ`] columns of C stay in registers, vectorised across j only (the last,
/// narrower tile reads a zero-padded copy of B), so every element sees the same operations in
/// the same order whatever the tile or the SIMD width.
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
    let mut pack = [T::ZERO; MR * KC];
    let mut b_tail = [T::ZERO; NJ * KC];
    let n_full = n - n % NJ;
    for k0 in (0..k_dim).step_by(KC) {
        let kc = (k_dim - k0).min(KC);
        let b_k0 = &b[k0 * ldb..];
        if n_full < n {
            for k in 0..kc {
                for j in 0..NJ {
                    let col = n_full + j;
                    b_tail[k * NJ + j] = if col < n {
                        b_k0[k * ldb + col]
                    } else {
                        T::ZERO
                    };
                }
            }
        }
        for i0 in (0..m).step_by(MR) {
            let rows = (m - i0).min(MR);
            for k in 0..kc {
                for r in 0..MR {
                    pack[k * MR + r] = if r < rows {
                        a[(i0 + r) * a_row + (k0 + k) * a_col]
                    } else {
                        T::ZERO
                    };
                }
            }
            let pack = &pack[..kc * MR];
            for j0 in (0..n_full).step_by(NJ) {
                tile(c, ldc, i0, rows, j0, NJ, pack, b_k0, ldb, j0);
            }
            if n_full < n {
                tile(c, ldc, i0, rows, n_full, n - n_full, pack, &b_tail, NJ, 0);
            }
        }
    }
}

/// Columns per register tile of [`gemm_acc`]: [`MR`] × 16 accumulators take 8 of the 16 AVX
/// registers; with 128-bit SSE only [`MR`] × 8 fit. The width changes speed, never a bit.
#[cfg(target_feature = "avx")]
pub const NJ: usize = 16;
#[cfg(not(target_feature = "avx"))]
pub const NJ: usize = 8;

/// Rows per packed panel of A.
const MR: usize = 4;

/// Depth of one packed panel of A.
const KC: usize = 128;

/// `C[i0 + r][j0 + j] += Σ_k pack[k·MR + r]·B[k][bj + j]` for r < rows, j < width, with the
/// tile held in registers; B's rows are `ldb` apart.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<T: Real>(
    c: &mut [T],
    ldc: usize,
    i0: usize,
    rows: usize,
    j0: usize,
    width: usize,
    pack: &[T],
    b: &[T],
    ldb: usize,
    bj: usize,
) {
    let mut acc = [[T::ZERO; NJ]; MR];
    for r in 0..rows {
        let at = (i0 + r) * ldc + j0;
        acc[r][..width].copy_from_slice(&c[at..at + width]);
    }
    for (a_k, b_row) in pack.chunks_exact(MR).zip(b.chunks(ldb)) {
        let b_k: &[T; NJ] = b_row[bj..bj + NJ].try_into().expect("NJ columns");
        for r in 0..MR {
            let a_rk = a_k[r];
            for j in 0..NJ {
                acc[r][j] += a_rk * b_k[j];
            }
        }
    }
    for r in 0..rows {
        let at = (i0 + r) * ldc + j0;
        c[at..at + width].copy_from_slice(&acc[r][..width]);
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
pub fn carve_mut<'a, T, const N: usize>(
    mut buf: &'a mut [T],
    lens: [usize; N],
) -> [&'a mut [T]; N] {
    lens.map(|n| {
        let (a, b) = core::mem::take(&mut buf).split_at_mut(n);
        buf = b;
        a
    })
}

/// `dst[j][i] = src[i][j]`; src: [rows, cols], dst: [cols, rows].
pub fn transpose<T: Real>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    for i in 0..rows {
        for j in 0..cols {
            dst[j * rows + i] = src[i * cols + j];
        }
    }
}
