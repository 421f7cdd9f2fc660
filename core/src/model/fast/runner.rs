//! Where the step's work runs: a [`BlockRunner`] runs the groups of the batch pass and the
//! row pieces of the once-per-step GEMMs; [`Serial`] runs them one after another. Cutting
//! the work never changes a bit: each output element is one sum in a fixed order.
use super::linalg::add_assign;
use crate::Real;
use crate::model::stats::BlockStats;
use core::ops::Range;

/// Most row chunks per once-per-step GEMM output ([`BlockRunner::split`]).
const SPLIT: usize = 8;

/// One block's work: `(block index, activations, partial gradient, the block's region of what
/// the pass keeps) → sums`.
pub type BlockWork<'a, T> = dyn Fn(usize, &mut [T], &mut [T], &mut [T]) -> BlockStats + Sync + 'a;

/// One piece of a once-per-step kernel's output: `(piece index, the piece)`; the piece is
/// written by this call only.
pub type PieceWork<'a, T> = dyn Fn(usize, &mut [T]) + Sync + 'a;

/// Where the blocks of a step run. An implementation may run `work` for many blocks at once on
/// its own buffers (each `acts_len` and `partial_len` long), but must hand every block's partial
/// and sums to `combine` in block order 0, 1, 2, …; that is what makes the result independent
/// of the thread count. `kept` is cut into `n_blocks` equal regions (empty when it is), block b
/// getting region b.
pub trait BlockRunner<T> {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        combine: &mut dyn FnMut(&[T], &BlockStats),
    );

    /// Row chunks per output of a once-per-step kernel, at most [`SPLIT`]: more lets more
    /// threads share one output, fewer leaves each chunk a larger product. Never changes a bit.
    fn split(&self) -> usize {
        1
    }

    /// `work(i, pieces[i])` for every i, in any order and anywhere: the pieces are disjoint and
    /// each is written by its own call only.
    fn run_pieces(&mut self, pieces: &mut [&mut [T]], work: &PieceWork<'_, T>) {
        for (i, piece) in pieces.iter_mut().enumerate() {
            work(i, piece);
        }
    }

    /// [`run_blocks`](Self::run_blocks) whose combine is `acc[i] += partial[i]` for every i <
    /// acc.len(), block by block, then `stats` of the block. An implementation may add the
    /// partials of several finished blocks into different ranges of `acc` at once, as long as
    /// every element receives them in block order.
    fn run_blocks_summed(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        acc: &mut [T],
        stats: &mut dyn FnMut(&BlockStats),
    ) where
        T: Real,
    {
        self.run_blocks(n_blocks, work, kept, &mut |partial, s| {
            add_assign(acc, &partial[..acc.len()]);
            stats(s);
        });
    }
}

/// Runs the blocks one after another on one set of buffers: the reference.
pub struct Serial<'a, T> {
    pub acts: &'a mut [T],
    pub partial: &'a mut [T],
}

impl<T> BlockRunner<T> for Serial<'_, T> {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        combine: &mut dyn FnMut(&[T], &BlockStats),
    ) {
        let per = kept.len() / n_blocks.max(1);
        for b in 0..n_blocks {
            let s = work(
                b,
                self.acts,
                self.partial,
                &mut kept[b * per..(b + 1) * per],
            );
            combine(self.partial, &s);
        }
    }
}

/// Rows `rows` of output i written into its piece: `(i, rows, piece)`. The piece is zeroed
/// first where the caller says the work adds into it (`zeroed[i]`); otherwise the work writes
/// every element itself.
pub(super) type RowWork<'a, T> = dyn Fn(usize, Range<usize>, &mut [T]) + Sync + 'a;

/// Fills `outs[i]` (rows of `cols[i]` values) with `compute(i, rows, out)`, which writes the
/// given rows into `out`, zeroed first where `zeroed[i]`. With a runner, each output is cut
/// into the runner's [`split`](BlockRunner::split) of row chunks that it may compute at once,
/// each in place; without, each
/// output is one call. Every element is the same sum either way, so the bits do not depend on
/// the cut.
pub(super) fn run_rows<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: Option<&mut R>,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    compute: &RowWork<'_, T>,
) {
    let rows: [usize; N] = core::array::from_fn(|i| outs[i].len() / cols[i]);
    let Some(runner) = runner else {
        for (i, out) in outs.into_iter().enumerate() {
            if zeroed[i] {
                out.fill(T::ZERO);
            }
            compute(i, 0..rows[i], out);
        }
        return;
    };
    const { assert!(N * SPLIT <= MAX_PIECES) };
    let split = runner.split().clamp(1, SPLIT);
    let per: [usize; N] = core::array::from_fn(|i| rows[i].div_ceil(split).max(1));
    run_cut(
        runner,
        outs,
        cols,
        zeroed,
        &|i, r0| (r0 + per[i]).min(rows[i]),
        compute,
    );
}

/// [`run_rows`] cut into about [`BALANCED`] pieces of about equal cost, each a run of whole
/// units: `unit(r) = (rows, cost)` is the unit that starts at row r, its cost per column.
pub(super) fn run_balanced<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: &mut R,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    unit: &dyn Fn(usize) -> (usize, usize),
    compute: &RowWork<'_, T>,
) {
    let rows: [usize; N] = core::array::from_fn(|i| outs[i].len() / cols[i]);
    let units = |i: usize, from: usize| {
        let mut r = from;
        core::iter::from_fn(move || {
            (r < rows[i]).then(|| {
                let (len, cost) = unit(r);
                r += len.clamp(1, rows[i] - r);
                (r, cost * cols[i])
            })
        })
    };
    let total: usize = (0..N)
        .map(|i| units(i, 0).map(|(_, c)| c).sum::<usize>())
        .sum();
    let target = total.div_ceil(BALANCED).max(1);
    // Every piece but an output's last costs at least `target`, so there are at most
    // BALANCED + N pieces.
    const { assert!(BALANCED + N <= MAX_PIECES) };
    let end = |i: usize, r0: usize| {
        let mut sum = 0;
        units(i, r0)
            .find(|&(_, cost)| {
                sum += cost;
                sum >= target
            })
            .map_or(rows[i], |(r1, _)| r1)
    };
    run_cut(runner, outs, cols, zeroed, &end, compute);
}

/// Cuts each output `outs[i]` into row pieces, the piece from row r0 ending at `end(i, r0)`
/// (> r0), and has the runner fill each: zeroed where `zeroed[i]`, then
/// `compute(i, rows, piece)` in place. The callers bound the number of pieces by
/// [`MAX_PIECES`].
fn run_cut<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: &mut R,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    end: &dyn Fn(usize, usize) -> usize,
    compute: &RowWork<'_, T>,
) {
    let mut pieces: heapless::Vec<&mut [T], MAX_PIECES> = heapless::Vec::new();
    let mut owner: heapless::Vec<(usize, usize), MAX_PIECES> = heapless::Vec::new();
    for (i, mut out) in outs.into_iter().enumerate() {
        let (rows, mut r0) = (out.len() / cols[i], 0);
        while r0 < rows {
            let r1 = end(i, r0);
            let (piece, rest) = core::mem::take(&mut out).split_at_mut((r1 - r0) * cols[i]);
            // Within the capacity the callers assert.
            let _ = owner.push((i, r0));
            let _ = pieces.push(piece);
            (out, r0) = (rest, r1);
        }
    }
    let work = |task: usize, piece: &mut [T]| {
        let (i, r0) = owner[task];
        if zeroed[i] {
            piece.fill(T::ZERO);
        }
        compute(i, r0..r0 + piece.len() / cols[i], piece);
    };
    runner.run_pieces(&mut pieces, &work);
}

/// Pieces of [`run_balanced`].
const BALANCED: usize = 32;

/// Capacity of [`run_cut`]'s piece list: [`SPLIT`] pieces of up to seven outputs
/// ([`run_rows`]), or [`BALANCED`] and one per output ([`run_balanced`]).
const MAX_PIECES: usize = 7 * SPLIT;
