//! The per-token gradient sums of the token tables, token-major (SPEC §6 order, kept per group).
//!
//! The residual at position 2 is `r = e[t2] + Σ_h Σ_j a[h][j] o[tj][h]`, so the gradient that a
//! linear map f of r (f = W_in, or W_U^T) sends back to its token table `[f(e); f(o)]` is, per
//! table row,
//! - e row t: `Σ_{examples with t2 = t} grad`,
//! - o row (t, h): `Σ_{examples} Σ_{j: tj = t} a[h][j]·grad`,
//!
//! where grad is the example's dm_pre (for `g`, from d_mlp columns) or dlogits (for `lg`,
//! d_vocab columns). Every row is the sum over the groups of `((0 + P₀) + P₁) + …`, each group's
//! partial `P` summed from zero over its examples in order, then j ascending: the batch order of
//! SPEC §6. A group that never touches a row adds nothing to it, so it is skipped.
//!
//! The sums are stored token-major, [d_vocab, 1 + n_heads, width]: token t's e row, then its o
//! rows h = 0, 1, …, so that one pass over a token's touches reads each grad once for all of
//! its rows ([`e_sum_row`], [`o_sum_row`]).
//!
//! The examples' grads and attention weights are kept by the batch pass ([`Kept`]); these sums
//! then run row by row over a [`token_touches`] index, so each row is written once per step
//! and a token's grads are read once per column block, whatever the thread count.
use super::linalg::{add_assign, aligned, aligned_len, axpy, carve_aligned_mut};
use crate::Real;
use crate::data::Example;
use crate::model::config::ModelConfig;
use core::ops::Range;

/// Row of token t's e row in the token-major sums of a model with `n_heads` heads.
pub const fn e_sum_row(n_heads: usize, t: usize) -> usize {
    t * (1 + n_heads)
}

/// Row of token t's o row of head h in the token-major sums.
pub const fn o_sum_row(n_heads: usize, t: usize, h: usize) -> usize {
    t * (1 + n_heads) + 1 + h
}

/// Columns per block: a token's e row and `HB` head rows keep (1 + `HB`) × `CB` partial sums
/// (10 KiB of f32, in L1) while its touches stream past in batches of [`TB`], each touch reading `CB` consecutive
/// values of its grad row (the whole row at the default d_mlp of 512).
const CB: usize = 512;

/// Head rows of one token summed together, so that a touch's grad is read once for all of them.
const HB: usize = 4;

/// Length of the [`token_touches`] index of n examples.
pub fn touches_len(d_vocab: usize, n: usize) -> usize {
    d_vocab + 1 + 3 * n
}

/// The touch index of a batch: for each token t, its touches `e << 2 | j` (tokens[j] = t of
/// example e), in example order then j ascending. touches: [starts: d_vocab + 1][touches: 3n],
/// token t's touches at `starts[t]..starts[t + 1]`.
pub fn token_touches(examples: &[Example], d_vocab: usize, touches: &mut [u32]) {
    let n = examples.len();
    let (starts, list) = touches[..touches_len(d_vocab, n)].split_at_mut(d_vocab + 1);
    fill_index(
        starts,
        list,
        examples.iter().enumerate().flat_map(|(e, ex)| {
            ex.tokens
                .map(|t| t as usize)
                .into_iter()
                .enumerate()
                .map(move |(j, t)| (t, e, j))
        }),
    );
}

/// Counting sort of `(token, e, j)` touches, stable, into `starts` (token t's at
/// `starts[t]..starts[t + 1]`) and `list`.
fn fill_index(
    starts: &mut [u32],
    list: &mut [u32],
    touches: impl Iterator<Item = (usize, usize, usize)> + Clone,
) {
    starts.fill(0);
    for (t, _, _) in touches.clone() {
        starts[t + 1] += 1;
    }
    for t in 1..starts.len() {
        starts[t] += starts[t - 1];
    }
    for (t, e, j) in touches {
        list[starts[t] as usize] = (e as u32) << 2 | j as u32;
        starts[t] += 1;
    }
    for t in (1..starts.len()).rev() {
        starts[t] = starts[t - 1];
    }
    starts[0] = 0;
}

/// What the batch pass keeps of each example for these sums, in one region per group of
/// `size` examples: `[dlogits: size × d_vocab][dm_pre: size × d_mlp][a: size × n_heads × 3]`.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    /// Examples per group.
    pub size: usize,
    pub d_vocab: usize,
    pub d_mlp: usize,
    pub h3: usize,
}

impl Kept {
    pub fn new(cfg: &ModelConfig, size: usize) -> Self {
        Kept {
            size,
            d_vocab: cfg.d_vocab,
            d_mlp: cfg.d_mlp,
            h3: cfg.n_heads * 3,
        }
    }

    /// Length of one group's region: its dlogits, dm_pre and attention weights, each part
    /// starting [`aligned`] after the one before.
    pub fn group_len(&self) -> usize {
        aligned_len(&self.parts())
    }

    /// Lengths of a group's dlogits, dm_pre and attention weights.
    fn parts(&self) -> [usize; 3] {
        let n = self.size;
        [n * self.d_vocab, n * self.d_mlp, n * self.h3]
    }

    /// `(dlogits, dm_pre, a)` of a group's first `n` examples from `from` on, in its region.
    pub fn split<'a, T>(&self, region: &'a mut [T], from: usize, n: usize) -> [&'a mut [T]; 3] {
        let [dl, dm, a] = carve_aligned_mut(region, self.parts());
        [
            &mut dl[from * self.d_vocab..(from + n) * self.d_vocab],
            &mut dm[from * self.d_mlp..(from + n) * self.d_mlp],
            &mut a[from * self.h3..(from + n) * self.h3],
        ]
    }

    /// Offsets of group g's first grad row (`mlp`: dm_pre, else dlogits) and first attention
    /// weights in the regions of all groups; the grad rows are `width` apart, the weights h3.
    #[inline(always)]
    fn group_at(&self, g: usize, mlp: bool) -> (usize, usize) {
        let (base, parts) = (g * self.group_len(), self.parts());
        let row = if mlp { base + aligned(parts[0]) } else { base };
        (row, base + aligned_len(&parts[..2]))
    }
}

/// Rows `rows` of a token table's gradient sums (see the module docs), token-major: with
/// `mlp`, of `g` ([d_vocab, 1 + n_heads, d_mlp], from dm_pre), else of `lg` ([d_vocab,
/// 1 + n_heads, d_vocab], from dlogits). kept: every group's region ([`Kept`]); touches: the
/// batch's [`token_touches`]; out: the rows' [len, width], zeroed.
pub fn token_sums<T: Real>(
    cfg: &ModelConfig,
    layout: &Kept,
    kept: &[T],
    touches: &[u32],
    mlp: bool,
    rows: Range<usize>,
    out: &mut [T],
) {
    let (voc, h_n) = (cfg.d_vocab, cfg.n_heads);
    let width = if mlp { cfg.d_mlp } else { voc };
    let mut r = rows.start;
    while r < rows.end {
        let at = (r - rows.start) * width;
        let (t, k) = (r / (1 + h_n), r % (1 + h_n));
        let touches = touch_list(touches, voc, t);
        // The e row goes with the token's first head rows, so they read each grad once.
        let with_e = k == 0;
        let h0 = k.saturating_sub(1);
        let nh = (h_n - h0).min(HB).min(rows.end - r - with_e as usize);
        let y = &mut out[at..at + (with_e as usize + nh) * width];
        let go = (layout, kept, touches, mlp, width, h0);
        match (with_e, nh) {
            (true, 4) => sums::<T, 4, true>(go, y),
            (true, 3) => sums::<T, 3, true>(go, y),
            (true, 2) => sums::<T, 2, true>(go, y),
            (true, 1) => sums::<T, 1, true>(go, y),
            (true, _) => sums::<T, 0, true>(go, y),
            (false, 4) => sums::<T, 4, false>(go, y),
            (false, 3) => sums::<T, 3, false>(go, y),
            (false, 2) => sums::<T, 2, false>(go, y),
            (false, _) => sums::<T, 1, false>(go, y),
        }
        r += with_e as usize + nh;
    }
}

/// The rows of a token table's sums that are best computed together, from row r on, and their
/// work: the rest of r's token (its e row and o rows), which read each touch's grad once; the
/// work is the touches to add (plus one per row).
pub fn token_unit(cfg: &ModelConfig, touches: &[u32], r: usize) -> (usize, usize) {
    let u = 1 + cfg.n_heads;
    let rows = u - r % u;
    let n_t = touch_list(touches, cfg.d_vocab, r / u).len();
    (rows, rows * (1 + n_t))
}

/// Token t's touches in the index `[starts: d_vocab + 1][touches]`.
fn touch_list(index: &[u32], d_vocab: usize, t: usize) -> &[u32] {
    let (starts, list) = index.split_at(d_vocab + 1);
    &list[starts[t] as usize..starts[t + 1] as usize]
}

/// One token's rows of the sums, [`CB`] columns at a time: with `E`, its e row
/// (`y[0] += grad` for the touches at position 2), then NH o rows from head h0
/// (`y[E + k] += a[h0 + k][j]·grad`). y: [E + NH, width].
fn sums<T: Real, const NH: usize, const E: bool>(
    (layout, kept, touches, mlp, width, h0): (&Kept, &[T], &[u32], bool, usize, usize),
    y: &mut [T],
) {
    if touches.is_empty() {
        return;
    }
    let mut p = [[T::ZERO; CB]; NH];
    let mut pe = [T::ZERO; CB];
    let o_at = E as usize * width;
    for c0 in (0..width).step_by(CB) {
        let w = (width - c0).min(CB);
        let flush = |y: &mut [T], p: &mut [[T; CB]; NH], pe: &mut [T; CB], e_used: bool| {
            let rows = p
                .iter_mut()
                .enumerate()
                .map(|(k, p_k)| (o_at + k * width, p_k));
            let e = (E && e_used).then_some((0, pe));
            for (at, p_k) in e.into_iter().chain(rows) {
                for (yc, pc) in y[at + c0..at + c0 + w].iter_mut().zip(p_k.iter_mut()) {
                    *yc += *pc;
                    *pc = T::ZERO;
                }
            }
        };
        let (mut group_start, mut group_end) = (0, 0);
        let (mut rows_at, mut a_base) = (0, 0);
        let mut e_used = false;
        let mut batch = Batch::<T, NH>::default();
        for &key in touches {
            let (e, j) = ((key >> 2) as usize, (key & 3) as usize);
            if e >= group_end {
                batch.add_into(&mut p, &mut pe, kept, w);
                if group_end > 0 {
                    flush(y, &mut p, &mut pe, e_used);
                }
                e_used = false;
                let g = e / layout.size;
                (group_start, group_end) = (g * layout.size, (g + 1) * layout.size);
                (rows_at, a_base) = layout.group_at(g, mlp);
            }
            let i = e - group_start;
            let (row, a_at) = (rows_at + i * width + c0, a_base + i * layout.h3);
            let a = core::array::from_fn(|k| kept[a_at + (h0 + k) * 3 + j]);
            let to_e = E && j == 2;
            e_used |= to_e;
            batch.push(row, a, to_e);
            if batch.len == TB {
                batch.add_into(&mut p, &mut pe, kept, w);
            }
        }
        batch.add_into(&mut p, &mut pe, kept, w);
        flush(y, &mut p, &mut pe, e_used);
    }
}

/// Touches added to a partial together, so that each [`LANES`]-column strip of the partial is
/// loaded and stored once per batch rather than once per touch (16 grad rows of 2 KiB fill L1).
/// Every sum still takes its touches one after another, so the batch size changes no bit.
const TB: usize = 16;

/// Columns of a register strip of [`Batch::add_into`].
const LANES: usize = 16;

/// Up to [`TB`] touches of one group: where each grad row's columns start in `kept` and the
/// weight of each of the NH o rows; and, in order, the grad rows of those that also go to the
/// e row.
struct Batch<T, const NH: usize> {
    rows: [usize; TB],
    a: [[T; NH]; TB],
    len: usize,
    e_rows: [usize; TB],
    e_len: usize,
}

impl<T: Real, const NH: usize> Default for Batch<T, NH> {
    fn default() -> Self {
        Batch {
            rows: [0; TB],
            a: [[T::ZERO; NH]; TB],
            len: 0,
            e_rows: [0; TB],
            e_len: 0,
        }
    }
}

impl<T: Real, const NH: usize> Batch<T, NH> {
    fn push(&mut self, row: usize, a: [T; NH], to_e: bool) {
        self.rows[self.len] = row;
        self.a[self.len] = a;
        self.len += 1;
        if to_e {
            self.e_rows[self.e_len] = row;
            self.e_len += 1;
        }
    }

    /// `p[k][c] += a[t][k]·grad_t[c]` for the batch's touches t in order and `pe[c] +=
    /// grad_t[c]` for those that go to the e row, in order, c < w; then empties the batch. A
    /// strip's e sums run right after its o sums, while the strip's grads are in L1.
    fn add_into(&mut self, p: &mut [[T; CB]; NH], pe: &mut [T; CB], kept: &[T], w: usize) {
        let (n, n_e) = (self.len, self.e_len);
        (self.len, self.e_len) = (0, 0);
        if n == 0 {
            return;
        }
        let (rows, a, e_rows) = (&self.rows[..n], &self.a[..n], &self.e_rows[..n_e]);
        let full = w / LANES * LANES;
        for c in (0..full).step_by(LANES) {
            let mut acc: [[T; LANES]; NH] =
                core::array::from_fn(|k| p[k][c..c + LANES].try_into().expect("LANES columns"));
            for (&row, a_t) in rows.iter().zip(a) {
                let x: &[T; LANES] = kept[row + c..row + c + LANES].try_into().expect("LANES");
                for (acc_k, &a_k) in acc.iter_mut().zip(a_t) {
                    for (s, &x) in acc_k.iter_mut().zip(x) {
                        *s += a_k * x;
                    }
                }
            }
            for (p_k, acc_k) in p.iter_mut().zip(&acc) {
                p_k[c..c + LANES].copy_from_slice(acc_k);
            }
            if !e_rows.is_empty() {
                let mut acc_e: [T; LANES] = pe[c..c + LANES].try_into().expect("LANES columns");
                for &row in e_rows {
                    let x: &[T; LANES] = kept[row + c..row + c + LANES].try_into().expect("LANES");
                    for (s, &x) in acc_e.iter_mut().zip(x) {
                        *s += x;
                    }
                }
                pe[c..c + LANES].copy_from_slice(&acc_e);
            }
        }
        for (&row, a_t) in rows.iter().zip(a) {
            for (p_k, &a_k) in p.iter_mut().zip(a_t) {
                axpy(&mut p_k[full..w], a_k, &kept[row + full..row + w]);
            }
        }
        for &row in e_rows {
            add_assign(&mut pe[full..w], &kept[row + full..row + w]);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Against the order written out: each group's partial of every row summed from zero over
    /// its examples in order (then j ascending), the partials added in group order. Bitwise,
    /// for g and lg, rows cut into pieces at odd places (inside a token's rows, and right after
    /// an e row), a short last group, a token used twice
    /// in one example, a token with more touches in one group than a [`Batch`] holds, and a
    /// width of more than one column block that is not a multiple of [`LANES`].
    #[test]
    fn token_sums_match_group_partials_in_order_bitwise() {
        let cfg = ModelConfig {
            d_vocab: 6,
            d_model: 4,
            n_heads: 3,
            d_head: 2,
            d_mlp: CB + 37,
        };
        let mut next = crate::model::fast::linalg::test_values(0x2545_f491_4f6c_dd1d);
        let op_or =
            |e: usize, every: usize, t: usize| if e.is_multiple_of(every) { 5 } else { t as u16 };
        let examples: Vec<Example> = (0..29)
            .map(|e| Example {
                tokens: [op_or(e, 3, e * 5 % 4), 5, op_or(e, 4, e * 3 % 4)],
                label: 0,
                task: 0,
            })
            .collect();
        let (n, voc, h_n) = (examples.len(), cfg.d_vocab, cfg.n_heads);
        let n_x = voc * (1 + h_n);
        let layout = Kept::new(&cfg, 12);
        let kept: Vec<f32> = (0..3 * layout.group_len()).map(|_| next()).collect();
        let mut touches = vec![0u32; touches_len(voc, n)];
        token_touches(&examples, voc, &mut touches);
        for mlp in [true, false] {
            let width = if mlp { cfg.d_mlp } else { voc };
            let mut want = vec![0.0f32; n_x * width];
            for group in examples.chunks(layout.size).enumerate() {
                let (gi, exs) = group;
                let (rows_at, a_at) = layout.group_at(gi, mlp);
                let mut part = vec![0.0f32; n_x * width];
                for (i, ex) in exs.iter().enumerate() {
                    let x = &kept[rows_at + i * width..rows_at + (i + 1) * width];
                    for (j, &t) in ex.tokens.iter().enumerate() {
                        let t = t as usize;
                        if j == 2 {
                            let r = e_sum_row(h_n, t);
                            add_assign(&mut part[r * width..(r + 1) * width], x);
                        }
                        for h in 0..h_n {
                            let r = o_sum_row(h_n, t, h);
                            let a = kept[a_at + i * layout.h3 + h * 3 + j];
                            axpy(&mut part[r * width..(r + 1) * width], a, x);
                        }
                    }
                }
                add_assign(&mut want, &part);
            }
            let mut got = vec![0.0f32; n_x * width];
            let mut at = 0;
            for end in [5, 7, 13, n_x] {
                let out = &mut got[at * width..end * width];
                token_sums(&cfg, &layout, &kept, &touches, mlp, at..end, out);
                at = end;
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "mlp {mlp}");
        }
    }
}
