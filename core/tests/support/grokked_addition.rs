//! A small addition model trained to test accuracy 1.0, shared by the fixed-point tests of core
//! and the C-interface test of capi (included there by `#[path]`).
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, StepLayout, init_params, train_step,
};

/// Trains `add` mod p (d_model 32, 4 heads × 8, d_mlp 64, lr 3e-3) at frac 0.8 for at most
/// 3000 steps, evaluating the test set every `check_every` steps, until test accuracy is 1.0
/// (and train accuracy too, with `need_train`). Panics if that never happens.
pub fn grokked_addition(p: u16, check_every: usize, need_train: bool) -> (ModelConfig, Vec<f32>) {
    let tasks = Tasks::parse(p as u32, "add").unwrap();
    let mut pairs = vec![(0, 0); tasks.n_pairs(Pairs::Field)];
    let n_train = tasks.split(Pairs::Field, 0.8, 0, &mut pairs).unwrap();
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train).unwrap();
    let mut test = vec![Example::default(); tasks.n_examples(pairs.len() - n_train)];
    tasks.fill_examples(&pairs[n_train..], &mut test).unwrap();
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model: 32,
        n_heads: 4,
        d_head: 8,
        d_mlp: 64,
    };
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(&cfg, 0, &mut params).unwrap();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let mut ws = vec![0.0f32; StepLayout::new(&cfg).unwrap().workspace_len(train.len())];
    let mut touches = vec![0u32; StepLayout::new(&cfg).unwrap().touches_len(train.len())];
    let hyper = AdamWConfig {
        lr: 3e-3,
        ..AdamWConfig::default()
    };
    for step in 0..3000 {
        let s = train_step(
            &cfg,
            &hyper,
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &train,
            (step % check_every == 0).then_some(&test[..]),
            1,
            &mut ws,
            &mut touches,
        )
        .unwrap();
        if s.test.is_some_and(|t| t.acc[0] == 1.0) && (!need_train || s.train.acc[0] == 1.0) {
            eprintln!("addition mod {p}: test accuracy 1.0 at step {step}");
            return (cfg, params);
        }
    }
    panic!("addition mod {p} did not grok within 3000 steps");
}
