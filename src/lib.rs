//! Workspace root of modgrok. The code lives in `core/` (the no_std reference) and `host/` (the
//! `modgrok` CLI); this package owns the cross-crate tests in `tests/` and the benches in
//! `benches/`.
pub use modgrok_core as core;

use modgrok_core::adamw::{AdamWConfig, adamw_step};
use modgrok_core::data::{Example, Tasks};
use modgrok_core::model::{
    BlockRunner, EvalStats, ModelConfig, N_TENSORS, StepLayout, gradients, init_params,
    prepare_with,
};

/// The setup the examples and benches time: addition mod `p`, the train examples of the split
/// with `frac` of the pairs and `seed` (SPEC §2, in split order), and the paper's model
/// (d_model 128, 4 heads, d_mlp 512) for its vocabulary. Errors when p is not a prime below
/// 65536 or frac leaves train or test empty.
pub fn addition_dataset(
    p: u32,
    frac: f64,
    seed: u64,
) -> Result<(ModelConfig, Vec<Example>), modgrok_core::Error> {
    let tasks = Tasks::parse(p, "add")?;
    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs()];
    let n_train = tasks.split(frac, seed, &mut pairs)?;
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train)?;
    Ok((ModelConfig::paper(tasks.d_vocab()), train))
}

/// The training step the examples and benches time, as `modgrok train` runs it on the cpu:
/// the token tables (`prepare_with`), the gradient over the whole train set on `runner`, then
/// AdamW with the paper's hyperparameters, from `init_params(seed 0)`.
pub struct BenchStep<R> {
    pub cfg: ModelConfig,
    pub train: Vec<Example>,
    pub params: Vec<f32>,
    runner: R,
    cache: Vec<f32>,
    acc: Vec<f32>,
    grads: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    t: u64,
}

impl<R: BlockRunner<f32>> BenchStep<R> {
    /// [`addition_dataset`]`(p, frac, 0)` and a fresh model; `runner` gets the step's layout.
    pub fn new(
        p: u32,
        frac: f64,
        runner: impl FnOnce(&StepLayout) -> R,
    ) -> Result<Self, modgrok_core::Error> {
        let (cfg, train) = addition_dataset(p, frac, 0)?;
        let lay = StepLayout::new(&cfg)?;
        let n = cfg.n_params();
        let mut params = vec![0.0f32; n];
        init_params(&cfg, 0, &mut params)?;
        Ok(BenchStep {
            runner: runner(&lay),
            cache: vec![0.0; lay.cache_len()],
            acc: vec![0.0; lay.partial_len()],
            grads: vec![0.0; n],
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            cfg,
            train,
            params,
        })
    }

    /// One step; the train loss and accuracy at the parameters before its update.
    pub fn step(&mut self) -> EvalStats {
        prepare_with(&self.cfg, &self.params, &mut self.cache, &mut self.runner)
            .expect("buffers sized from the layout");
        let stats = gradients(
            &self.cfg,
            &self.params,
            &mut self.cache,
            &self.train,
            1,
            &mut self.acc,
            &mut self.grads,
            &mut self.runner,
        )
        .expect("one task's examples");
        self.t += 1;
        adamw_step(
            &self.cfg,
            &AdamWConfig::default(),
            self.t,
            &[false; N_TENSORS],
            &mut self.params,
            &self.grads,
            &mut self.m,
            &mut self.v,
        );
        stats
    }
}
