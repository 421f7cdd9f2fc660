//! The full-batch training step of the paper's model (d_model 128, 4 heads, d_mlp 512) on
//! addition at r = 0.3, core's serial reference, at p = 97 and p = 113; the forward alone; and
//! the host trainer's step (core's step with its blocks on 2 rayon threads) at p = 97.
use criterion::{Criterion, criterion_group, criterion_main};
use modgrok::addition_dataset;
use modgrok::core::adamw::AdamWConfig;
use modgrok::core::model::{
    N_TENSORS, OptimState, Serial, StepLayout, evaluate, init_params, prepare, train_step,
};
use modgrok_host::config::RunConfig;
use modgrok_host::step::backend::BenchStep;

fn bench_step(c: &mut Criterion) {
    for p in [97u32, 113] {
        let (cfg, train) = addition_dataset(p, 0.3, 0).unwrap();
        let lay = StepLayout::new(&cfg).unwrap();
        let n = cfg.n_params();
        let mut params = vec![0.0f32; n];
        init_params(&cfg, 0, &mut params).unwrap();
        let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut ws = vec![0.0f32; lay.workspace_len(train.len())];
        let mut touches = vec![0u32; lay.touches_len(train.len())];
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
                    &mut touches,
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

/// The step as `modgrok train --threads 2` runs it (see examples/bench_step.rs): prepare,
/// gradients over 64-example blocks on the pool, then AdamW.
fn bench_host_step(c: &mut Criterion) {
    let threads = 2;
    let mut bench = BenchStep::new(RunConfig::default(), threads).unwrap();
    c.bench_function(
        &format!("train_step/host_{threads}_threads/p97_r0.3"),
        |b| b.iter(|| bench.step().unwrap()),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_step, bench_host_step
}
criterion_main!(benches);
