//! The full-batch training step of the paper's model (d_model 128, 4 heads, d_mlp 512) on
//! addition at r = 0.3, core's serial reference, at p = 97 and p = 113; and the forward alone.
use criterion::{Criterion, criterion_group, criterion_main};
use modgrok::core::adamw::AdamWConfig;
use modgrok::core::data::{Example, Tasks};
use modgrok::core::model::{
    ModelConfig, N_TENSORS, OptimState, Serial, StepLayout, evaluate, init_params, prepare,
    train_step,
};

fn dataset(p: u32, frac: f64) -> (ModelConfig, Vec<Example>) {
    let tasks = Tasks::parse(p, "add").unwrap();
    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs()];
    let n_train = tasks.split(frac, 0, &mut pairs).unwrap();
    let mut ex = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut ex).unwrap();
    (ModelConfig::paper(tasks.d_vocab()), ex)
}

fn bench_step(c: &mut Criterion) {
    for p in [97u32, 113] {
        let (cfg, train) = dataset(p, 0.3);
        let lay = StepLayout::new(&cfg).unwrap();
        let n = cfg.n_params();
        let mut params = vec![0.0f32; n];
        init_params(&cfg, 0, &mut params).unwrap();
        let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut ws = vec![0.0f32; lay.workspace_len()];
        let mut opt = OptimState {
            m: &mut m,
            v: &mut v,
            step: 0,
        };
        let frozen = [false; N_TENSORS];
        let hyper = AdamWConfig::default();
        c.bench_function(&format!("train_step/core_serial/p{p}_r0.3"), |b| {
            b.iter(|| {
                train_step(
                    &cfg,
                    &hyper,
                    &frozen,
                    &mut params,
                    &mut opt,
                    &train,
                    None,
                    1,
                    &mut ws,
                )
                .unwrap()
            })
        });
        let mut cache = vec![0.0f32; lay.cache_len()];
        let mut acts = vec![0.0f32; lay.acts_len()];
        let mut partial = vec![0.0f32; lay.partial_len()];
        c.bench_function(&format!("forward/core_serial/p{p}_r0.3"), |b| {
            b.iter(|| {
                prepare(&cfg, &params, &mut cache).unwrap();
                let mut run = Serial {
                    acts: &mut acts,
                    partial: &mut partial,
                };
                evaluate(&cfg, &params, &cache, &train, 1, &mut run).unwrap()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_step
}
criterion_main!(benches);
