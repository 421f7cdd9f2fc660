//! Batch blocks on rayon threads, combined in block order, so any thread count gives core's bits.
use modgrok_core::Real;
use modgrok_core::adamw::{AdamWConfig, AdamWUpdate, trained_ranges};
use modgrok_core::model::{
    BlockRunner, BlockStats, BlockWork, ModelConfig, N_TENSORS, PieceWork, StepLayout,
};
use rayon::prelude::*;

/// Runs the blocks of a step in waves of `threads` blocks: a wave's blocks run in parallel, each
/// on its own activation and partial-gradient buffers, then their results are handed to
/// `combine` in block order. The result is bit-identical to core's [`Serial`] runner
/// (`modgrok_core::model::Serial`) for every thread count.
pub struct Parallel {
    pool: rayon::ThreadPool,
    bufs: Vec<(Vec<f32>, Vec<f32>, BlockStats)>,
}

impl Parallel {
    /// Buffers for `threads` blocks in flight; `threads` ≥ 1.
    pub fn new(layout: &StepLayout, threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let bufs = (0..threads)
            .map(|_| {
                (
                    vec![0.0; layout.acts_len()],
                    vec![0.0; layout.partial_len()],
                    BlockStats::default(),
                )
            })
            .collect();
        Ok(Parallel { pool, bufs })
    }

    pub fn threads(&self) -> usize {
        self.bufs.len()
    }
}

/// Elements of the accumulator per parallel piece of a wave's combine.
const COMBINE_CHUNK: usize = 1 << 14;

impl Parallel {
    /// Runs blocks `first..first + in_wave` on the pool, each into its own buffers and its
    /// region (`per` long) of `kept`.
    fn wave(
        &mut self,
        first: usize,
        in_wave: usize,
        work: &BlockWork<'_, f32>,
        kept: &mut [f32],
        per: usize,
    ) {
        let bufs = &mut self.bufs[..in_wave];
        let kept = &mut kept[first * per..(first + in_wave) * per];
        self.pool.install(|| {
            if per == 0 {
                bufs.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, (acts, partial, stats))| {
                        *stats = work(first + i, acts, partial, &mut []);
                    });
            } else {
                bufs.par_iter_mut()
                    .zip(kept.par_chunks_mut(per))
                    .enumerate()
                    .for_each(|(i, ((acts, partial, stats), kept))| {
                        *stats = work(first + i, acts, partial, kept);
                    });
            }
        });
    }
}

impl BlockRunner<f32> for Parallel {
    /// The wave's partials are added into `acc` in pieces of [`COMBINE_CHUNK`] elements on the
    /// pool; each element still receives the partials in block order.
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
        let wave = self.bufs.len();
        let per = kept.len() / n_blocks.max(1);
        for first in (0..n_blocks).step_by(wave) {
            let in_wave = wave.min(n_blocks - first);
            self.wave(first, in_wave, work, kept, per);
            let bufs = &self.bufs[..in_wave];
            self.pool.install(|| {
                acc.par_chunks_mut(COMBINE_CHUNK)
                    .enumerate()
                    .for_each(|(c, piece)| {
                        let at = c * COMBINE_CHUNK;
                        for (_, partial, _) in bufs {
                            let len = piece.len();
                            for (a, &p) in piece.iter_mut().zip(&partial[at..at + len]) {
                                *a += p;
                            }
                        }
                    });
            });
            for (_, _, s) in bufs {
                stats(s);
            }
        }
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
        let wave = self.bufs.len();
        let per = kept.len() / n_blocks.max(1);
        for first in (0..n_blocks).step_by(wave) {
            let in_wave = wave.min(n_blocks - first);
            self.wave(first, in_wave, work, kept, per);
            for (_, partial, stats) in &self.bufs[..in_wave] {
                combine(partial, stats);
            }
        }
    }
}

impl Parallel {
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
