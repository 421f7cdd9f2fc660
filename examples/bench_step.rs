//! Seconds per full-batch training step of the paper's model on addition (host trainer: core's
//! step with its blocks on rayon threads), printed as one JSON line in the shape of
//! `bench/torch_reference_step.py`, so `bench/compare.sh` can put the two side by side.
//!
//!   cargo run --release --example bench_step -- --p 97 --frac 0.3 --threads 2 --steps 30
use modgrok_host::config::RunConfig;
use modgrok_host::step::backend::BenchStep;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (p, frac, threads) = (
        arg("--p", 97u32),
        arg("--frac", 0.3f64),
        arg("--threads", 2usize),
    );
    let (steps, warmup) = (arg("--steps", 30u32), arg("--warmup", 3u32));
    let cfg = RunConfig {
        p,
        frac,
        ..RunConfig::default()
    };
    let mut bench = BenchStep::new(cfg, threads).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    // One task, so one example per train pair.
    let n_train = bench.data.train.len();
    for _ in 0..warmup {
        bench.step().expect("a valid step");
    }
    let start = std::time::Instant::now();
    for _ in 0..steps {
        bench.step().expect("a valid step");
    }
    let dt = start.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{{\"p\": {p}, \"frac\": {frac}, \"n_train\": {n_train}, \"threads\": {threads}, \"impl\": \"modgrok\", \"sec_per_step\": {dt}, \"steps_per_sec\": {}}}",
        1.0 / dt
    );
}
