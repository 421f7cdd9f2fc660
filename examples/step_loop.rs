//! Runs N training steps of the paper's model on addition mod 97 (r = 0.3) with core's serial
//! step, for profiling (`cargo run --release --example step_loop -- 20`) and for comparing the
//! bits of builds for different CPUs (CI compares an AVX2 build with a plain x86-64 one).
use modgrok::core::adamw::AdamWConfig;
use modgrok::core::model::{N_TENSORS, OptimState, StepLayout, init_params, train_step};

fn main() {
    let steps: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let (cfg, train) = modgrok::addition_dataset(97, 0.3, 0).expect("97 is prime, 0.3 in (0, 1)");
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(&cfg, 0, &mut params).expect("valid config");
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let lay = StepLayout::new(&cfg).expect("valid");
    let mut ws = vec![0.0f32; lay.workspace_len(train.len())];
    let mut touches = vec![0u32; lay.touches_len(train.len())];
    let t = std::time::Instant::now();
    let mut loss = 0.0;
    for _ in 0..steps {
        let s = train_step(
            &cfg,
            &AdamWConfig::default(),
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &train,
            None,
            1,
            &mut ws,
            &mut touches,
        )
        .expect("valid step");
        loss = s.train.total_loss();
    }
    let dt = t.elapsed().as_secs_f64() / steps as f64;
    let fnv = params
        .iter()
        .chain(&m)
        .chain(&v)
        .fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
            (h ^ x.to_bits() as u64).wrapping_mul(0x100_0000_01b3)
        });
    eprintln!("{steps} steps, {:.1} ms/step", dt * 1e3);
    println!(
        "after {steps} steps: train loss {loss:e} ({:#018x}), params+moments fnv1a {fnv:#018x}",
        loss.to_bits()
    );
}
