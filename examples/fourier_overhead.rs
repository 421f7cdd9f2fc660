//! What the live Fourier columns of `metrics.csv` cost: one `FourierProbe::measure` (FFS and FCR
//! of the embedding and the neuron-logit map) against one training step of the paper's model
//! (addition mod 97, r = 0.3) on the host's rayon runner, and the overhead at a logging interval.
//!
//! `cargo run --release --example fourier_overhead -- [THREADS] [STEPS] [LOG_EVERY]`
//! (defaults 2, 20, 100).
use std::time::Instant;

use modgrok::core::fourier::DEFAULT_FFS_EPS;
use modgrok_host::analysis::FourierProbe;
use modgrok_host::config::RunConfig;
use modgrok_host::step::backend::BenchStep;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (threads, steps, log_every) = (arg(1, 2), arg(2, 20), arg(3, 100));
    let mut bench =
        BenchStep::new(RunConfig::default(), threads).expect("the default run is valid");
    let cfg = bench.cfg.model;

    // The training step as `modgrok train` runs it: prepare, gradients, AdamW.
    let t = Instant::now();
    for _ in 0..steps {
        bench.step().expect("a valid step");
    }
    let step_s = t.elapsed().as_secs_f64() / steps as f64;

    let mut probe = FourierProbe::new(&cfg, 97, DEFAULT_FFS_EPS).expect("valid probe");
    let reps = 20;
    let mut last = None;
    let t = Instant::now();
    for _ in 0..reps {
        last = Some(probe.measure(&bench.params).expect("sized"));
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
