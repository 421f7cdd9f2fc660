//! Batch blocks on rayon threads, combined in block order, so any thread count gives core's bits.
use modgrok_core::model::{BlockRunner, BlockStats, BlockWork, StepLayout};
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

impl BlockRunner<f32> for Parallel {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, f32>,
        combine: &mut dyn FnMut(&[f32], &BlockStats),
    ) {
        let wave = self.bufs.len();
        for first in (0..n_blocks).step_by(wave) {
            let in_wave = wave.min(n_blocks - first);
            let bufs = &mut self.bufs[..in_wave];
            self.pool.install(|| {
                bufs.par_iter_mut()
                    .enumerate()
                    .for_each(|(i, (acts, partial, stats))| {
                        *stats = work(first + i, acts, partial);
                    });
            });
            for (_, partial, stats) in bufs.iter() {
                combine(partial, stats);
            }
        }
    }
}
