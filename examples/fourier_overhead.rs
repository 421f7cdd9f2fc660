//! What the live Fourier columns of `metrics.csv` cost: one `FourierProbe::measure` (FFS and FCR
//! of the embedding and the neuron-logit map) against one training step of the paper's model
//! (addition mod 97, r = 0.3) on the host's rayon runner, and the overhead at a logging interval.
//!
//! `cargo run --release --example fourier_overhead -- [THREADS] [STEPS] [LOG_EVERY]`
//! (defaults 2, 20, 100).
use std::time::Instant;

use modgrok::core::adamw::{AdamWConfig, adamw_step};
use modgrok::core::fourier::DEFAULT_FFS_EPS;
use modgrok::core::model::{N_TENSORS, StepLayout, gradients, init_params, prepare};
use modgrok_host::analysis::FourierProbe;
use modgrok_host::parallel::Parallel;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (threads, steps, log_every) = (arg(1, 2), arg(2, 20), arg(3, 100));
    let (cfg, train) = modgrok::addition_dataset(97, 0.3, 0).expect("97 is prime, 0.3 in (0, 1)");
    let lay = StepLayout::new(&cfg).expect("valid config");
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(&cfg, 0, &mut params).expect("valid config");
    let (mut m, mut v, mut grads) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
    let mut cache = vec![0.0f32; lay.cache_len()];
    let mut acc = vec![0.0f32; lay.partial_len()];
    let mut runner = Parallel::new(&lay, threads).expect("thread pool");
    let hyper = AdamWConfig::default();

    // The training step as `modgrok train` runs it: prepare, gradients, AdamW.
    let t = Instant::now();
    for s in 0..steps {
        prepare(&cfg, &params, &mut cache).expect("sized");
        gradients(
            &cfg,
            &params,
            &mut cache,
            &train,
            1,
            &mut acc,
            &mut grads,
            &mut runner,
        )
        .expect("valid step");
        let frozen = [false; N_TENSORS];
        adamw_step(
            &cfg,
            &hyper,
            s as u64 + 1,
            &frozen,
            &mut params,
            &grads,
            &mut m,
            &mut v,
        );
    }
    let step_s = t.elapsed().as_secs_f64() / steps as f64;

    let mut probe = FourierProbe::new(&cfg, 97, DEFAULT_FFS_EPS).expect("valid probe");
    let reps = 20;
    let mut last = None;
    let t = Instant::now();
    for _ in 0..reps {
        last = Some(probe.measure(&params).expect("sized"));
    }
    let probe_s = t.elapsed().as_secs_f64() / reps as f64;

    let overhead = probe_s / (log_every as f64 * step_s);
    println!("p = 97, d_model 128, d_mlp 512, {threads} threads");
    println!(
        "training step          {:8.2} ms (mean of {steps})",
        step_s * 1e3
    );
    println!(
        "FourierProbe::measure  {:8.2} ms (mean of {reps})",
        probe_s * 1e3
    );
    println!(
        "overhead at --log-every {log_every}: {:.3} % of training time",
        overhead * 100.0
    );
    println!("last measures: {:?}", last.expect("measured"));
}
