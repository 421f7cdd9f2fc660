//! Steps per second of the gpu backend: `cargo run --release -p modgrok-gpu --example gpu_steps
//! -- P FRAC D_MODEL N_HEADS D_MLP STEPS RUNS` (default 97 0.3 128 4 512 5 1, the paper's size).
//! With RUNS = K > 1, K runs (add, split and init seeds 0..K) step as one batch
//! ([`GpuTrainer::new_batch`]) and the aggregate run-steps/s is K × steps/s.
use std::time::Instant;

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::{ModelConfig, N_TENSORS, init_params};
use modgrok_gpu::{BatchRun, GpuContext, GpuTrainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let p: u32 = arg(0, "97").parse()?;
    let frac: f64 = arg(1, "0.3").parse()?;
    let d_model: usize = arg(2, "128").parse()?;
    let n_heads: usize = arg(3, "4").parse()?;
    let d_mlp: usize = arg(4, "512").parse()?;
    let steps: u64 = arg(5, "5").parse()?;
    let runs: u64 = arg(6, "1").parse()?;
    let tasks = Tasks::parse(p, "add")?;
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model,
        n_heads,
        d_head: d_model / n_heads,
        d_mlp,
    };
    let mut data = Vec::new();
    for seed in 0..runs.max(1) {
        let mut pairs = vec![(0, 0); tasks.n_pairs(Pairs::Reference)];
        let n_train = tasks.split(Pairs::Reference, frac, seed, &mut pairs)?;
        let mut examples = vec![Example::default(); tasks.n_examples(pairs.len())];
        tasks.fill_examples(&pairs, &mut examples)?;
        let test = examples.split_off(n_train);
        let mut params = vec![0.0; cfg.n_params()];
        init_params(&cfg, seed, &mut params)?;
        data.push((examples, test, params));
    }
    let n_train = data[0].0.len();
    let zeros = vec![0.0; cfg.n_params()];
    let batch: Vec<BatchRun> = data
        .iter()
        .map(|(train, test, params)| BatchRun {
            train,
            test,
            state: [params, &zeros, &zeros],
            filter: &[],
        })
        .collect();
    let ctx = GpuContext::new()?;
    let hyper = AdamWConfig::default();
    let build = || GpuTrainer::new_batch(&ctx, &cfg, &hyper, None, &[false; N_TENSORS], 1, &batch);
    let start = Instant::now();
    let mut gpu = build()?;
    gpu.forward_backward()?;
    gpu.params()?;
    if std::env::var("MODGROK_GPU_PROFILE").is_ok() {
        for (k, s) in gpu.profile_train_pass()? {
            println!("{s:9.4} s  {k}");
        }
    }
    let setup = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for t in 1..=steps {
        gpu.update(t)?;
        gpu.forward_backward()?;
    }
    gpu.params()?;
    let secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (tr, te) = gpu.metrics()?;
    let metrics = start.elapsed().as_secs_f64();
    // What a batched sweep pays each time runs join or leave: the batch built again.
    let start = Instant::now();
    drop(build()?);
    let rebuild = start.elapsed().as_secs_f64();
    let run_mb = GpuTrainer::run_bytes(&cfg, n_train, data[0].1.len(), false) as f64 / 1e6;
    println!(
        "{}: p {p} frac {frac} (N = {n_train}, {run_mb:.1} MB a run on the device) d_model {d_model} \
         heads {n_heads} d_mlp {d_mlp}, {runs} run(s) a batch: {:.2} steps/s, {:.1} run-steps/s ({steps} steps in {secs:.2} s; \
         setup {setup:.2} s, one metrics call {metrics:.2} s, a rebuild {rebuild:.3} s; run 0 train acc {:.3} test acc {:.3})",
        ctx.adapter_name(),
        steps as f64 / secs,
        (runs * steps) as f64 / secs,
        tr.mean_acc(),
        te.mean_acc()
    );
    Ok(())
}
