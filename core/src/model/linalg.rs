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

/// `out[j] = Σ_k x[k]·w[k][j]`. x: [K], w: [K, N] row-major, out: [N].
/// With `SKIP_ZERO`, terms whose `x[k]` is zero are left out (ReLU outputs are half zeros).
#[inline(always)]
pub fn vec_mat<T: Real, const SKIP_ZERO: bool>(out: &mut [T], x: &[T], w: &[T]) {
    let n = out.len();
    out.fill(T::ZERO);
    for (k, &xk) in x.iter().enumerate() {
        if SKIP_ZERO && xk == T::ZERO {
            continue;
        }
        axpy(out, xk, &w[k * n..(k + 1) * n]);
    }
}

/// `acc[r][j] += Σ_e x[e][r]·y[e][j]` over the `n` rows e of a block, e ascending.
/// x: [n, R], acc: [R, N], y: [n, N]. With `SKIP_ZERO`, terms whose `x[e][r]` is zero are left out.
#[inline(always)]
pub fn outer_acc<T: Real, const SKIP_ZERO: bool>(acc: &mut [T], x: &[T], y: &[T], n: usize) {
    let rows = x.len() / n.max(1);
    let cols = acc.len() / rows.max(1);
    for (r, acc_r) in acc.chunks_exact_mut(cols).enumerate() {
        for e in 0..n {
            let a = x[e * rows + r];
            if SKIP_ZERO && a == T::ZERO {
                continue;
            }
            axpy(acc_r, a, &y[e * cols..(e + 1) * cols]);
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
