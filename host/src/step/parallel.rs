//! Batch blocks on rayon threads, combined in block order, so any thread count gives core's bits.
use crate::step::huge::HugeBuf;
use modgrok_core::Real;
use modgrok_core::adamw::{AdamWConfig, AdamWUpdate, trained_ranges};
use modgrok_core::grokfast::{Grokfast, GrokfastUpdate};
use modgrok_core::model::{
    BlockRunner, BlockStats, BlockWork, GROUPS, ModelConfig, N_TENSORS, PieceWork, StepLayout,
};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Runs the blocks of a step on the pool, every block into its own partial-gradient buffer and
/// each worker thread on its own activations, so a thread that finishes a block takes the next
/// one; then it hands the partials to `combine` in block order. The result is bit-identical to
/// core's `Serial` runner (`modgrok_core::model::Serial`) for every thread count.
pub struct Parallel {
    pool: Arc<rayon::ThreadPool>,
    /// One per worker thread.
    acts: Vec<Mutex<HugeBuf>>,
    /// One per block of a batch ([`GROUPS`]), with the block's sums.
    partials: Vec<(HugeBuf, BlockStats)>,
}

impl Parallel {
    /// Buffers for `threads` threads and [`GROUPS`] blocks; `threads` ≥ 1.
    pub fn new(layout: &StepLayout, threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = threads.max(1);
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?,
        );
        let acts = (0..threads)
            .map(|_| Mutex::new(HugeBuf::zeroed(layout.acts_len())))
            .collect();
        let partials = (0..GROUPS)
            .map(|_| (HugeBuf::zeroed(layout.partial_len()), BlockStats::default()))
            .collect();
        Ok(Parallel {
            pool,
            acts,
            partials,
        })
    }

    pub fn threads(&self) -> usize {
        self.acts.len()
    }

    /// The pool, to run a whole step on: called from one of its threads, this runner's
    /// parallel calls start right there.
    pub fn pool(&self) -> Arc<rayon::ThreadPool> {
        Arc::clone(&self.pool)
    }
}

/// Elements of the accumulator per parallel piece of the combine.
const COMBINE_CHUNK: usize = 1 << 14;

impl Parallel {
    /// Runs blocks `first..first + count` (count ≤ [`GROUPS`]) on the pool at once, block
    /// `first + i` into partial i and its region (`per` long) of `kept`.
    fn run_set(
        &mut self,
        first: usize,
        count: usize,
        work: &BlockWork<'_, f32>,
        kept: &mut [f32],
        per: usize,
    ) {
        let (acts, parts) = (&self.acts, &mut self.partials[..count]);
        let run = |i: usize, (partial, stats): &mut (HugeBuf, BlockStats), kept: &mut [f32]| {
            let t = rayon::current_thread_index().unwrap_or(0) % acts.len();
            // Only this worker thread locks its buffer; a poisoned lock still holds a buffer.
            let mut acts = acts[t].lock().unwrap_or_else(|e| e.into_inner());
            *stats = work(first + i, &mut acts, partial, kept);
        };
        let kept = &mut kept[first * per..(first + count) * per];
        self.pool.install(|| {
            if per == 0 {
                parts
                    .par_iter_mut()
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, p)| run(i, p, &mut []));
            } else {
                parts
                    .par_iter_mut()
                    .zip(kept.par_chunks_mut(per))
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, (p, kept))| run(i, p, kept));
            }
        });
    }
}

impl BlockRunner<f32> for Parallel {
    /// The partials are added into `acc` in pieces of [`COMBINE_CHUNK`] elements on the pool;
    /// each element still receives them in block order.
    fn run_blocks_summed(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, f32>,
        kept: &mut [f32],
        acc: &mut [f32],
        stats: &mut dyn FnMut(&BlockStats),
    ) where
        f32: Real,
    {
        let per = kept.len() / n_blocks.max(1);
        for first in (0..n_blocks).step_by(GROUPS) {
            let count = GROUPS.min(n_blocks - first);
            self.run_set(first, count, work, kept, per);
            let parts = &self.partials[..count];
            self.pool.install(|| {
                acc.par_chunks_mut(COMBINE_CHUNK)
                    .enumerate()
                    .for_each(|(c, piece)| {
                        let at = c * COMBINE_CHUNK;
                        for (partial, _) in parts {
                            let len = piece.len();
                            for (a, &p) in piece.iter_mut().zip(&partial[at..at + len]) {
                                *a += p;
                            }
                        }
                    });
            });
            for (_, s) in parts {
                stats(s);
            }
        }
    }

    /// Two row chunks per thread: each output still spreads over every thread, and the
    /// chunks stay large enough for the GEMMs to run near their speed.
    fn split(&self) -> usize {
        2 * self.threads()
    }

    /// All pieces on the pool at once, in place.
    fn run_pieces(&mut self, pieces: &mut [&mut [f32]], work: &PieceWork<'_, f32>) {
        self.pool.install(|| {
            pieces
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, piece)| work(i, piece));
        });
    }

    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, f32>,
        kept: &mut [f32],
        combine: &mut dyn FnMut(&[f32], &BlockStats),
    ) {
        let per = kept.len() / n_blocks.max(1);
        for first in (0..n_blocks).step_by(GROUPS) {
            let count = GROUPS.min(n_blocks - first);
            self.run_set(first, count, work, kept, per);
            for (partial, stats) in &self.partials[..count] {
                combine(partial, stats);
            }
        }
    }
}

impl Parallel {
    /// core's [`grokfast_step`](modgrok_core::grokfast::grokfast_step) with each unfrozen
    /// tensor cut into pieces of [`COMBINE_CHUNK`] elements on the pool; every element is
    /// filtered on its own, so the bits are core's. `state` is `gf.state_len(grads.len())` long.
    pub fn grokfast_step(
        &self,
        cfg: &ModelConfig,
        gf: &Grokfast,
        t: u64,
        frozen: &[bool; N_TENSORS],
        grads: &mut [f32],
        state: &mut [f32],
    ) {
        let update = GrokfastUpdate::new(gf, t);
        let per = update.per_element();
        self.pool.install(|| {
            for r in trained_ranges(cfg, frozen) {
                grads[r.clone()]
                    .par_chunks_mut(COMBINE_CHUNK)
                    .zip(state[r.start * per..r.end * per].par_chunks_mut(COMBINE_CHUNK * per))
                    .for_each(|(g, s)| update.apply(g, s));
            }
        });
    }

    /// core's [`adamw_step`](modgrok_core::adamw::adamw_step) with each unfrozen tensor cut into
    /// pieces of [`COMBINE_CHUNK`] elements on the pool, and std's vectorisable `f32::sqrt`;
    /// every element is updated on its own, with the same correctly rounded operations, so the
    /// bits are core's.
    #[allow(clippy::too_many_arguments)]
    pub fn adamw_step(
        &self,
        cfg: &ModelConfig,
        hyper: &AdamWConfig,
        t: u64,
        frozen: &[bool; N_TENSORS],
        params: &mut [f32],
        grads: &[f32],
        m: &mut [f32],
        v: &mut [f32],
    ) {
        let update = AdamWUpdate::new(hyper, t);
        self.pool.install(|| {
            for r in trained_ranges(cfg, frozen) {
                params[r.clone()]
                    .par_chunks_mut(COMBINE_CHUNK)
                    .zip(grads[r.clone()].par_chunks(COMBINE_CHUNK))
                    .zip(m[r.clone()].par_chunks_mut(COMBINE_CHUNK))
                    .zip(v[r].par_chunks_mut(COMBINE_CHUNK))
                    .for_each(|(((p, g), m), v)| update.apply_with(f32::sqrt, p, g, m, v));
            }
        });
    }
}
