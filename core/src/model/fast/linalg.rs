//! The few dense kernels every layer is built from. Each output element is a sum over its k in
//! ascending order, started from zero; loops run across independent outputs so a compiler can
//! vectorise them without reordering any sum (SPEC §6).
use crate::Real;
use core::ops::Range;

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

/// `C[i][j] += Σ_k A(i, k)·B[k][j]` for i < m, j < n, each sum added term by term into C's
/// current value with k ascending. `A(i, k) = a[i·a_row + k·a_col]`, so both `A` and `A^T` are
/// read in place; B: [k_dim, ldb], C: [m, ldc].
///
/// Blocked like BLIS: for each block of up to [`KC`] k's and [`NC`] columns, B is copied once
/// into zero-padded panels [`NR`] columns wide, then each strip of up to [`MR`] rows of A (read
/// in place when its k's are contiguous and the block is full, else copied k-major) is run
/// against every panel, a tile of C of the strip's rows × one panel held in registers for the
/// whole block. Vectorised across j only, so every element sees the same
/// operations in the same order whatever the tile or the SIMD width.
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
    let a = ASource::InPlace { a, a_row, a_col };
    gemm_plain(c, ldc, a, b, ldb, [m, n, k_dim], false);
}

/// `C = A·B`: the bits of [`gemm_acc`] into a zeroed C (each sum starts from the same zero),
/// without reading or zeroing C first.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn gemm_set<T: Real>(
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
    let a = ASource::InPlace { a, a_row, a_col };
    gemm_plain(c, ldc, a, b, ldb, [m, n, k_dim], true);
}

/// [`gemm_acc`] (or, with `fresh`, [`gemm_set`]) over a plain B [k_dim, ldb] packed per block.
#[inline(always)]
fn gemm_plain<T: Real>(
    c: &mut [T],
    ldc: usize,
    a: ASource<'_, T>,
    b: &[T],
    ldb: usize,
    dims @ [m, n, k_dim]: [usize; 3],
    fresh: bool,
) {
    if no_products(c, ldc, [m, n, k_dim], fresh) {
        return;
    }
    let b = BSource::Plain { b, ldb };
    let store = Store { fresh, mask: None };
    // The pack buffer is zeroed on every call, so a narrow B gets a smaller one.
    if n <= 2 * NR {
        gemm_panels::<T, { 2 * KC }>(c, ldc, a, b, dims, store);
    } else {
        gemm_panels::<T, { NC / NR * KC }>(c, ldc, a, b, dims, store);
    }
}

/// [`gemm_acc`] with B already packed by [`pack_b_blocks`] (all of its k-blocks, `n` columns):
/// the same sums, without packing B again on every call.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn gemm_acc_packed<T: Real>(
    c: &mut [T],
    ldc: usize,
    a: &[T],
    a_row: usize,
    a_col: usize,
    b_packed: &[T],
    m: usize,
    n: usize,
    k_dim: usize,
) {
    let store = Store {
        fresh: false,
        mask: None,
    };
    gemm_packed(c, ldc, a, [a_row, a_col], b_packed, [m, n, k_dim], store);
}

/// `C = [M > 0] ⊙ A·B` (M: [m, n], rows `ld_mask` apart) with B packed as for
/// [`gemm_acc_packed`]: the sums of [`gemm_acc_packed`] into a zeroed C, each stored where M's
/// element is positive and zero elsewhere (NaN in M included), C neither read nor zeroed first;
/// the backward of a ReLU whose output is M, fused into the product.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub fn gemm_set_packed_masked<T: Real>(
    c: &mut [T],
    ldc: usize,
    a: &[T],
    a_row: usize,
    a_col: usize,
    b_packed: &[T],
    (mask, ld_mask): (&[T], usize),
    m: usize,
    n: usize,
    k_dim: usize,
) {
    let store = Store {
        fresh: true,
        mask: Some((mask, ld_mask)),
    };
    gemm_packed(c, ldc, a, [a_row, a_col], b_packed, [m, n, k_dim], store);
}

/// The products over a B packed by [`pack_b_blocks`], stored as `store` says.
#[inline(always)]
fn gemm_packed<T: Real>(
    c: &mut [T],
    ldc: usize,
    a: &[T],
    [a_row, a_col]: [usize; 2],
    b_packed: &[T],
    dims @ [m, n, k_dim]: [usize; 3],
    store: Store<'_, T>,
) {
    if no_products(c, ldc, [m, n, k_dim], store.fresh) {
        return;
    }
    let panels = b_packed[..packed_len(k_dim, n)].as_chunks::<NR>().0;
    let (a, b) = (
        ASource::InPlace { a, a_row, a_col },
        BSource::Packed(panels),
    );
    gemm_panels::<T, 1>(c, ldc, a, b, dims, store);
}

/// Whether C gets no products (`k_dim`, m or n is 0). A C that should start from zero
/// (`fresh`) with no k to sum over is zeroed here: the empty sum.
fn no_products<T: Real>(c: &mut [T], ldc: usize, [m, n, k_dim]: [usize; 3], fresh: bool) -> bool {
    if fresh && k_dim == 0 && n > 0 {
        for row in c.chunks_mut(ldc).take(m) {
            row[..n].fill(T::ZERO);
        }
    }
    m == 0 || n == 0 || k_dim == 0
}

/// `C[i][j] += Σ_k A(i, k)·B[k][j]` ([`gemm_acc`]'s sums and bits; with `fresh`, into a zeroed
/// C, [`gemm_set`]'s, C neither read nor zeroed first) with A already packed by
/// [`pack_a_blocks`] (`m` rows, `k_dim` columns); B: [k_dim, ldb], C: [m, ldc].
#[inline(never)]
pub fn gemm_acc_packed_a<T: Real>(
    c: &mut [T],
    ldc: usize,
    a_packed: &[T],
    b: &[T],
    ldb: usize,
    [m, n, k_dim]: [usize; 3],
    fresh: bool,
) {
    let strips = a_packed[..packed_a_len(m, k_dim)].as_chunks::<MR>().0;
    gemm_plain(
        c,
        ldc,
        ASource::Packed(strips),
        b,
        ldb,
        [m, n, k_dim],
        fresh,
    );
}

/// Length of an A of `m` rows and `k_dim` columns packed by [`pack_a_blocks`].
pub fn packed_a_len(m: usize, k_dim: usize) -> usize {
    k_dim.div_ceil(KC) * m.div_ceil(MR) * KC * MR
}

/// A (m × k_dim, `A(i, k) = a[i·a_row + k·a_col]`) packed as [`gemm_acc`] packs it, all at
/// once: for each block of [`KC`] k's, each strip of [`MR`] rows as KC columns of MR values
/// (k-major; the rows of a last, short strip past m are zero). With `a_row = 1` (A is the
/// transpose of a row-major matrix) A is read row by row of that matrix.
pub fn pack_a_blocks<T: Real>(
    a: &[T],
    [a_row, a_col]: [usize; 2],
    m: usize,
    k_dim: usize,
    out: &mut [T],
) {
    let out = &mut out[..packed_a_len(m, k_dim)].as_chunks_mut::<MR>().0;
    let strips = m.div_ceil(MR);
    for (kb, block) in out.chunks_exact_mut(strips * KC).enumerate() {
        let (k0, kc) = (kb * KC, (k_dim - kb * KC).min(KC));
        if a_row != 1 {
            for (s, strip) in block.chunks_exact_mut(KC).enumerate() {
                let rows = (m - s * MR).min(MR);
                strip[..kc].fill([T::ZERO; MR]);
                pack_a(
                    &mut strip[..kc],
                    &a[s * MR * a_row + k0 * a_col..],
                    a_row,
                    a_col,
                    rows,
                );
            }
            continue;
        }
        for k in 0..kc {
            let row = &a[(k0 + k) * a_col..][..m];
            let (full, rest) = row.as_chunks::<MR>();
            for (s, &x) in full.iter().enumerate() {
                block[s * KC + k] = x;
            }
            if !rest.is_empty() {
                let d = &mut block[full.len() * KC + k];
                *d = [T::ZERO; MR];
                d[..rest.len()].copy_from_slice(rest);
            }
        }
    }
}

/// Where [`gemm_panels`] gets the strips of A: read in place (`A(i, k) = a[i·a_row +
/// k·a_col]`), copied per block when they are not contiguous, or read from an A packed
/// beforehand.
#[derive(Clone, Copy)]
enum ASource<'a, T> {
    InPlace {
        a: &'a [T],
        a_row: usize,
        a_col: usize,
    },
    Packed(&'a [[T; MR]]),
}

/// Where [`gemm_panels`] gets its panels of B: packed per block from B itself, or read from a
/// whole B packed beforehand.
#[derive(Clone, Copy)]
enum BSource<'a, T> {
    Plain { b: &'a [T], ldb: usize },
    Packed(&'a [[T; NR]]),
}

/// Length of a B of `k_dim` rows and `n` columns packed by [`pack_b_blocks`].
pub fn packed_len(k_dim: usize, n: usize) -> usize {
    k_dim.div_ceil(KC) * packed_block_len(n)
}

/// One k-block of a packed B: `n.div_ceil(NR)` panels of [`KC`] rows of [`NR`].
pub fn packed_block_len(n: usize) -> usize {
    n.div_ceil(NR) * KC * NR
}

/// The k-blocks `blocks` of B (k_dim × n, `B(k, j) = b[k·b_row + j·b_col]`, so both B and B^T
/// are read in place) packed as [`gemm_acc`] packs them: each block is `n.div_ceil(NR)`
/// zero-padded panels of [`KC`] rows of [`NR`]; out holds the given blocks ([`packed_block_len`]
/// each). The rows of a last, short block past k_dim are not read.
pub fn pack_b_blocks<T: Real>(
    b: &[T],
    [b_row, b_col]: [usize; 2],
    k_dim: usize,
    n: usize,
    blocks: Range<usize>,
    out: &mut [T],
) {
    let out = out.as_chunks_mut::<NR>().0;
    let panels = n.div_ceil(NR);
    for (kb, block) in blocks.zip(out.chunks_exact_mut(panels * KC)) {
        let k0 = kb * KC;
        let kc = (k_dim - k0).min(KC);
        for (p, panel) in block.chunks_exact_mut(KC).enumerate() {
            let (panel, j0) = (&mut panel[..kc], p * NR);
            if b_col == 1 {
                pack_b(panel, &b[k0 * b_row + j0..], b_row, n - j0);
                continue;
            }
            for (k, d) in panel.iter_mut().enumerate() {
                for (jj, x) in d.iter_mut().enumerate() {
                    let j = j0 + jj;
                    *x = if j < n {
                        b[(k0 + k) * b_row + j * b_col]
                    } else {
                        T::ZERO
                    };
                }
            }
        }
    }
}

/// How a tile of C is begun and stored: with `fresh` its sums start from zero instead of C's
/// values; with `mask = (M, ld)`, the last k-block stores `[M(i, j) > 0] ⊙ sum`, zero where
/// `M(i, j) = M[i·ld + j]` is not positive (NaN included), for C's rows and columns i, j.
#[derive(Clone, Copy)]
struct Store<'a, T> {
    fresh: bool,
    mask: Option<(&'a [T], usize)>,
}

impl<T: Real> Store<'_, T> {
    /// This store for the part of C from row i, column j on.
    #[inline(always)]
    fn at(self, i: usize, j: usize) -> Self {
        Store {
            fresh: self.fresh,
            mask: self.mask.map(|(m, ld)| (&m[i * ld + j..], ld)),
        }
    }

    /// Row r's first `w` sums of a tile into `c`.
    #[inline(always)]
    fn put(&self, c: &mut [T], r: usize, sums: &[T]) {
        match self.mask {
            None => c.copy_from_slice(sums),
            Some((m, ld)) => {
                for ((c, &x), &mk) in c.iter_mut().zip(sums).zip(&m[r * ld..r * ld + sums.len()]) {
                    *c = if mk > T::ZERO { x } else { T::ZERO };
                }
            }
        }
    }
}

/// [`gemm_acc`]'s blocking, with a pack buffer of `P` rows of [`NR`] (`P / KC` panels) for a
/// plain B, and each tile of C begun and stored as `store` says.
#[inline(always)]
fn gemm_panels<T: Real, const P: usize>(
    c: &mut [T],
    ldc: usize,
    a: ASource<'_, T>,
    b: BSource<'_, T>,
    [m, n, k_dim]: [usize; 3],
    store: Store<'_, T>,
) {
    let mut b_buf = Aligned([[T::ZERO; NR]; P]);
    let b_buf = &mut b_buf.0;
    let mut a_pack = [[T::ZERO; MR]; KC];
    let nc_max = match b {
        BSource::Plain { .. } => P / KC * NR,
        BSource::Packed(_) => NC,
    };
    for k0 in (0..k_dim).step_by(KC) {
        let kc = (k_dim - k0).min(KC);
        let block = Store {
            fresh: store.fresh && k0 == 0,
            mask: store.mask.filter(|_| k0 + kc == k_dim),
        };
        for j0 in (0..n).step_by(nc_max) {
            let nc = (n - j0).min(nc_max);
            let b_pack: &[[T; NR]] = match b {
                BSource::Plain { b, ldb } => {
                    let b_pack = &mut b_buf[..nc.div_ceil(NR) * KC];
                    for (p, panel) in b_pack.chunks_exact_mut(KC).enumerate() {
                        let b = &b[k0 * ldb + j0 + p * NR..];
                        pack_b(&mut panel[..kc], b, ldb, nc - p * NR);
                    }
                    b_pack
                }
                BSource::Packed(panels) => {
                    let at = (k0 / KC * n.div_ceil(NR) + j0 / NR) * KC;
                    &panels[at..at + nc.div_ceil(NR) * KC]
                }
            };
            let c = &mut c[j0..];
            for i0 in (0..m).step_by(MR) {
                let rows = (m - i0).min(MR);
                let c = &mut c[i0 * ldc..];
                let store = block.at(i0, j0);
                let (a, a_row, a_col) = match a {
                    ASource::InPlace { a, a_row, a_col } => (a, a_row, a_col),
                    ASource::Packed(strips) => {
                        let at = (k0 / KC * m.div_ceil(MR) + i0 / MR) * KC;
                        strip_packed(c, ldc, nc, &strips[at..at + kc], rows, b_pack, store);
                        continue;
                    }
                };
                let a = &a[i0 * a_row + k0 * a_col..];
                if a_col == 1 && kc == KC {
                    match rows {
                        MR => strip_rows::<T, MR>(c, ldc, nc, a, a_row, b_pack, store),
                        4 => strip_rows::<T, 4>(c, ldc, nc, a, a_row, b_pack, store),
                        3 => strip_rows::<T, 3>(c, ldc, nc, a, a_row, b_pack, store),
                        2 => strip_rows::<T, 2>(c, ldc, nc, a, a_row, b_pack, store),
                        _ => strip_rows::<T, 1>(c, ldc, nc, a, a_row, b_pack, store),
                    }
                    continue;
                }
                let a_pack = &mut a_pack[..kc];
                pack_a(a_pack, a, a_row, a_col, rows);
                strip_packed(c, ldc, nc, a_pack, rows, b_pack, store);
            }
        }
    }
}

/// [`strip`] for the first `rows` rows of a packed strip of A.
#[inline(always)]
fn strip_packed<T: Real>(
    c: &mut [T],
    ldc: usize,
    nc: usize,
    a: &[[T; MR]],
    rows: usize,
    b: &[[T; NR]],
    store: Store<'_, T>,
) {
    match rows {
        MR => strip::<T, MR, _>(c, ldc, nc, a.iter().map(first), b, store),
        4 => strip::<T, 4, _>(c, ldc, nc, a.iter().map(first), b, store),
        3 => strip::<T, 3, _>(c, ldc, nc, a.iter().map(first), b, store),
        2 => strip::<T, 2, _>(c, ldc, nc, a.iter().map(first), b, store),
        _ => strip::<T, 1, _>(c, ldc, nc, a.iter().map(first), b, store),
    }
}

/// The first R of a packed column of A.
#[inline(always)]
fn first<T: Real, const R: usize>(a_k: &[T; MR]) -> [T; R] {
    core::array::from_fn(|r| a_k[r])
}

/// [`strip`] for a full block of R rows of A read in place, row r at `a[r·a_row..][..KC]`.
#[inline(always)]
fn strip_rows<T: Real, const R: usize>(
    c: &mut [T],
    ldc: usize,
    nc: usize,
    a: &[T],
    a_row: usize,
    b: &[[T; NR]],
    store: Store<'_, T>,
) {
    let rows: [&[T; KC]; R] =
        core::array::from_fn(|r| a[r * a_row..r * a_row + KC].try_into().expect("KC k's"));
    strip::<T, R, _>(
        c,
        ldc,
        nc,
        (0..KC).map(|k| rows.map(|row| row[k])),
        b,
        store,
    );
}

/// Columns per register tile of [`gemm_acc`]: [`MR`] × 16 f32 accumulators take 10 of the 16
/// AVX registers; with 128-bit SSE only [`MR`] × 8 fit. The width changes speed, never a bit.
#[cfg(target_feature = "avx")]
const NR: usize = 16;
#[cfg(not(target_feature = "avx"))]
const NR: usize = 8;

/// Rows per register tile. Six would leave too few of the 16 AVX registers for B, A and the
/// products, and LLVM then spills an accumulator inside the loop (a third slower).
const MR: usize = 5;

/// Depth of one block: how many k's a tile of C accumulates between its load and its store.
const KC: usize = 64;

/// Columns of B packed per block, a multiple of [`NR`]; with [`KC`] it sizes the stack buffer
/// (32 KiB for f32, about L1: a 256-wide block was no faster on n = 512 and slower on narrower B).
const NC: usize = 128;

/// A cache-line aligned stack buffer.
#[repr(align(64))]
struct Aligned<A>(A);

/// `dst[k][j] = b[k·ldb + j]` for k < dst.len(), j < w.min(NR); zero for j ≥ w.
fn pack_b<T: Real>(dst: &mut [[T; NR]], b: &[T], ldb: usize, w: usize) {
    if w >= NR {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = b[k * ldb..k * ldb + NR].try_into().expect("NR columns");
        }
    } else {
        for (k, d) in dst.iter_mut().enumerate() {
            d[..w].copy_from_slice(&b[k * ldb..k * ldb + w]);
            d[w..].fill(T::ZERO);
        }
    }
}

/// `dst[k][r] = a[r·a_row + k·a_col]` for k < dst.len(), r < rows; a contiguous run of A's
/// elements is read as one slice, so no copy checks bounds per element.
fn pack_a<T: Real>(dst: &mut [[T; MR]], a: &[T], a_row: usize, a_col: usize, rows: usize) {
    let kc = dst.len();
    if a_col == 1 {
        for r in 0..rows {
            for (d, &x) in dst.iter_mut().zip(&a[r * a_row..r * a_row + kc]) {
                d[r] = x;
            }
        }
    } else if a_row == 1 && rows == MR {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = a[k * a_col..k * a_col + MR].try_into().expect("MR rows");
        }
    } else {
        for (k, d) in dst.iter_mut().enumerate() {
            for (r, x) in d[..rows].iter_mut().enumerate() {
                *x = a[r * a_row + k * a_col];
            }
        }
    }
}

/// `C[r][j] += Σ_k A(r, k)·B[k][j]` for r < R, j < nc, where `a` yields `[A(r, k); R]` for
/// each k ascending, B is packed into panels of [`KC`] rows (`b`), and C's rows are `ldc` apart.
/// `store` says whether the sums start from zero or from C, and how they are stored ([`Store`]).
#[inline(always)]
fn strip<T: Real, const R: usize, I: Iterator<Item = [T; R]> + Clone>(
    c: &mut [T],
    ldc: usize,
    nc: usize,
    a: I,
    b: &[[T; NR]],
    store: Store<'_, T>,
) {
    for (p, panel) in b.chunks_exact(KC).enumerate() {
        let (c, w, a) = (&mut c[p * NR..], nc - p * NR, a.clone());
        let store = store.at(0, p * NR);
        if w >= NR {
            let mut acc = [[T::ZERO; NR]; R];
            for (r, acc_r) in acc.iter_mut().enumerate().filter(|_| !store.fresh) {
                *acc_r = c[r * ldc..r * ldc + NR].try_into().expect("NR columns");
            }
            tile(&mut acc, a, panel);
            for (r, acc_r) in acc.iter().enumerate() {
                store.put(&mut c[r * ldc..r * ldc + NR], r, acc_r);
            }
        } else if w <= NR / 2 {
            narrow_tile::<T, R, { NR / 2 }, I>(c, ldc, w, a, panel, store);
        } else {
            narrow_tile::<T, R, NR, I>(c, ldc, w, a, panel, store);
        }
    }
}

/// The last tile of a strip, `w ≤ W` columns wide (so at most half of [`NR`] runs at half
/// width).
#[inline(never)]
fn narrow_tile<T: Real, const R: usize, const W: usize, I: Iterator<Item = [T; R]>>(
    c: &mut [T],
    ldc: usize,
    w: usize,
    a: I,
    b: &[[T; NR]],
    store: Store<'_, T>,
) {
    let mut acc = [[T::ZERO; W]; R];
    for (r, acc_r) in acc.iter_mut().enumerate().filter(|_| !store.fresh) {
        acc_r[..w].copy_from_slice(&c[r * ldc..r * ldc + w]);
    }
    tile(&mut acc, a, b);
    for (r, acc_r) in acc.iter().enumerate() {
        store.put(&mut c[r * ldc..r * ldc + w], r, &acc_r[..w]);
    }
}

/// The register tile: `acc[r][j] += A(r, k)·b[k][j]` for k ascending (`a` yields the columns
/// of A; the shorter of `a` and `b` sets the depth); a local copy keeps the accumulators in
/// registers.
#[inline(always)]
fn tile<T: Real, const R: usize, const W: usize>(
    acc: &mut [[T; W]; R],
    a: impl Iterator<Item = [T; R]>,
    b: &[[T; NR]],
) {
    let mut t = *acc;
    for (a_k, b_k) in a.zip(b) {
        for (t_r, a_rk) in t.iter_mut().zip(a_k) {
            for (t_rj, &b_kj) in t_r.iter_mut().zip(&b_k[..W]) {
                *t_rj += a_rk * b_kj;
            }
        }
    }
    *acc = t;
}

/// Elements from the start of one [`carve_aligned`] piece to the next are a multiple of this:
/// 64 bytes of f32, a cache line, so that a buffer that starts on one has every piece start on
/// one, and no vector load of a packed panel straddles two lines.
pub const ALIGN: usize = 16;

/// `n` rounded up to a multiple of [`ALIGN`].
pub const fn aligned(n: usize) -> usize {
    n.next_multiple_of(ALIGN)
}

/// Length of a buffer that [`carve_aligned`] cuts into pieces of these lengths.
pub fn aligned_len(lens: &[usize]) -> usize {
    lens.iter().map(|&n| aligned(n)).sum()
}

/// Splits `buf` into pieces of the given lengths, each starting [`aligned`] past the previous
/// one's start.
pub fn carve_aligned<T, const N: usize>(mut buf: &[T], lens: [usize; N]) -> [&[T]; N] {
    lens.map(|n| {
        let (a, b) = buf.split_at(aligned(n).min(buf.len()));
        buf = b;
        &a[..n]
    })
}

/// Mutable [`carve_aligned`].
pub fn carve_aligned_mut<T, const N: usize>(mut buf: &mut [T], lens: [usize; N]) -> [&mut [T]; N] {
    lens.map(|n| {
        let rest = core::mem::take(&mut buf);
        let (a, b) = rest.split_at_mut(aligned(n).min(rest.len()));
        buf = b;
        &mut a[..n]
    })
}

/// `dst[j][i] = src[i][j]`; src: [rows, cols], dst: [cols, rows].
pub fn transpose<T: Real>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    transpose_rows(src, dst, rows, cols, 0..cols);
}

/// Rows `out_rows` of [`transpose`]'s dst: `dst[j − start][i] = src[i][j]` for j in out_rows,
/// eight dst rows at a time so that src is read a row at a time rather than a column.
pub fn transpose_rows<T: Real>(
    src: &[T],
    dst: &mut [T],
    rows: usize,
    cols: usize,
    out_rows: Range<usize>,
) {
    const TB: usize = 8;
    let dst = &mut dst[..out_rows.len() * rows];
    for (j0, d) in out_rows.step_by(TB).zip(dst.chunks_mut(TB * rows)) {
        let w = d.len() / rows;
        for i in 0..rows {
            for (jj, &x) in src[i * cols + j0..][..w].iter().enumerate() {
                d[jj * rows + i] = x;
            }
        }
    }
}

/// Test inputs: xorshift64 values in [−0.5, 0.5), the same on every platform.
#[cfg(test)]
pub(crate) fn test_values(mut state: u64) -> impl FnMut() -> f32 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With no k to sum over, [`gemm_set`] and [`gemm_set_packed_masked`] write the empty sum
    /// (zero) into C's m × n and leave the rest; the accumulating forms leave C as it is.
    #[test]
    fn gemm_with_no_k_writes_the_empty_sum() {
        let (a, b) = ([1.0f32; 4], [1.0f32; 4]);
        let mut set = [2.0f32; 3 * 5];
        gemm_set(&mut set, 5, &a, 1, 1, &b, 4, 2, 4, 0);
        let mut set_packed = [2.0f32; 3 * 5];
        gemm_set_packed_masked(&mut set_packed, 5, &a, 1, 1, &b, (&[1.0; 8], 4), 2, 4, 0);
        for c in [set, set_packed] {
            for (i, &x) in c.iter().enumerate() {
                let inside = i / 5 < 2 && i % 5 < 4;
                assert_eq!(x, if inside { 0.0 } else { 2.0 }, "element {i}");
            }
        }
        let mut acc = [2.0f32; 3 * 5];
        gemm_acc(&mut acc, 5, &a, 1, 1, &b, 4, 2, 4, 0);
        gemm_acc_packed(&mut acc, 5, &a, 1, 1, &b, 2, 4, 0);
        assert_eq!(acc, [2.0f32; 3 * 5]);
    }

    /// [`carve_aligned`] gives pieces of the asked lengths, each starting a multiple of
    /// [`ALIGN`] past the buffer's start and past the previous piece's end, inside a buffer of
    /// [`aligned_len`]; the mutable version cuts the same pieces.
    #[test]
    fn aligned_pieces_start_on_multiples_of_align() {
        let lens = [7, 16, 0, 33, 1];
        let buf: [u32; 128] = core::array::from_fn(|i| i as u32);
        let total = aligned_len(&lens);
        assert_eq!(total, 96, "pieces of 16, 16, 0, 48 and 16");
        let pieces = carve_aligned(&buf[..total], lens);
        let mut end = 0;
        for (piece, &n) in pieces.iter().zip(&lens) {
            assert_eq!(piece.len(), n);
            let start = piece.first().map_or(end, |&x| x as usize);
            assert_eq!(start % ALIGN, 0, "piece of {n} starts at {start}");
            assert!(start >= end);
            end = start + n;
        }
        let mut copy = buf;
        let starts = carve_aligned_mut(&mut copy[..total], lens).map(|p| p.first().copied());
        assert_eq!(starts, pieces.map(|p| p.first().copied()));
    }

    /// [`transpose_rows`] over any range of dst rows (eight at a time, and a last run of fewer)
    /// writes exactly `dst[j − start][i] = src[i][j]` and nothing past its rows.
    #[test]
    fn transpose_rows_writes_the_transpose_of_its_rows() {
        let (rows, cols) = (13, 21);
        let src: [f32; 13 * 21] = core::array::from_fn(|i| i as f32);
        for range in [0..21, 3..14, 5..6, 20..21] {
            let mut dst = [-1.0f32; 22 * 13];
            transpose_rows(&src, &mut dst, rows, cols, range.clone());
            for (r, x) in dst.iter().enumerate() {
                let (j, i) = (range.start + r / rows, r % rows);
                let want = if j < range.end {
                    src[i * cols + j]
                } else {
                    -1.0
                };
                assert_eq!(*x, want, "{range:?} dst row {} col {i}", r / rows);
            }
        }
    }

    /// A packed once ([`pack_a_blocks`]), read in place row-major and as a transpose, gives
    /// [`gemm_acc`]'s bits: strips of 5, 4 and 2 rows, a short last k-block, a C to add to, and
    /// (`fresh`) over a nonzero C the bits of `gemm_acc` into a zeroed one.
    #[test]
    fn gemm_on_prepacked_a_matches_gemm_bitwise() {
        let mut next = test_values(0x9e37_79b9_7f4a_7c15);
        let a: [f32; 150 * 9] = core::array::from_fn(|_| next());
        let b: [f32; 150 * 40] = core::array::from_fn(|_| next());
        let c0: [f32; 9 * 40] = core::array::from_fn(|_| next());
        for (m, n, k) in [(9, 38, 150), (7, 40, 64), (10, 6, 70)] {
            for (a_row, a_col) in [(k, 1), (1, m)] {
                let mut want = c0;
                gemm_acc(&mut want, n, &a, a_row, a_col, &b, n, m, n, k);
                let mut packed = [f32::NAN; 3 * 2 * KC * MR];
                pack_a_blocks(&a, [a_row, a_col], m, k, &mut packed);
                let mut got = c0;
                gemm_acc_packed_a(&mut got, n, &packed, &b, n, [m, n, k], false);
                let what = (m, n, k, a_row, a_col);
                assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits), "{what:?}");
                let mut want = c0;
                want[..m * n].fill(0.0);
                gemm_acc(&mut want, n, &a, a_row, a_col, &b, n, m, n, k);
                let mut got = c0;
                gemm_acc_packed_a(&mut got, n, &packed, &b, n, [m, n, k], true);
                assert_eq!(
                    got.map(f32::to_bits),
                    want.map(f32::to_bits),
                    "fresh {what:?}"
                );
            }
        }
    }

    /// B packed once ([`pack_b_blocks`], in two calls, as a runner might split it, and from
    /// B's transpose too) gives [`gemm_acc`]'s bits: a short last k-block, a last panel of 6
    /// columns, a narrow B, a transposed A and a nonzero C to add to; [`gemm_set`] over that
    /// nonzero C gives `gemm_acc`'s bits into a zeroed C, and [`gemm_set_packed_masked`] those
    /// bits where its mask is positive and +0 where it is 0, −0, negative or NaN.
    #[test]
    fn gemm_on_prepacked_b_matches_gemm_bitwise() {
        let mut next = test_values(0x2545_f491_4f6c_dd1d);
        let a: [f32; 150 * 9] = core::array::from_fn(|_| next());
        let b: [f32; 150 * 40] = core::array::from_fn(|_| next());
        let c0: [f32; 9 * 40] = core::array::from_fn(|_| next());
        for (m, n, k, a_row, a_col) in [(9, 38, 150, 150, 1), (9, 6, 70, 1, 9), (7, 40, 64, 150, 1)]
        {
            let mut want = c0;
            gemm_acc(&mut want, n, &a, a_row, a_col, &b, n, m, n, k);
            let mut fresh = [0.0f32; 9 * 40];
            gemm_acc(&mut fresh, n, &a, a_row, a_col, &b, n, m, n, k);
            let mut set = c0;
            gemm_set(&mut set, n, &a, a_row, a_col, &b, n, m, n, k);
            let mut same = set[..m * n].iter().zip(&fresh[..m * n]);
            assert!(
                same.all(|(x, y)| x.to_bits() == y.to_bits()),
                "gemm_set {m} {n} {k}"
            );
            let mut b_t = [0.0f32; 150 * 40];
            transpose(&b[..k * n], &mut b_t[..k * n], k, n);
            for (src, strides) in [(&b, [n, 1]), (&b_t, [1, k])] {
                let mut packed = [0.0f32; 3 * 3 * KC * NR];
                let (blocks, len) = (k.div_ceil(KC), packed_block_len(n));
                let (first, rest) = packed[..blocks * len].split_at_mut(len);
                pack_b_blocks(src, strides, k, n, 0..1, first);
                pack_b_blocks(src, strides, k, n, 1..blocks, rest);
                let mut got = c0;
                gemm_acc_packed(&mut got, n, &a, a_row, a_col, &packed, m, n, k);
                let what = (m, n, k, strides);
                assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits), "{what:?}");
                let mask: [f32; 9 * 41] =
                    core::array::from_fn(|i| [1.5, 0.0, -0.0, -2.0, f32::NAN, 1e-30][i % 6]);
                let mut set = c0;
                gemm_set_packed_masked(
                    &mut set,
                    n,
                    &a,
                    a_row,
                    a_col,
                    &packed,
                    (&mask, n + 1),
                    m,
                    n,
                    k,
                );
                for i in 0..m * n {
                    let kept = mask[i / n * (n + 1) + i % n] > 0.0;
                    let want = if kept { fresh[i] } else { 0.0 };
                    assert_eq!(set[i].to_bits(), want.to_bits(), "{what:?} {i}");
                }
            }
        }
    }
}
