//! host (rayon `Parallel`) vs core (`Serial` `train_step`): bit-exact, tolerance 0. A run's files
//! are the same bytes for any thread count, and its parameters are core's serial ones.
use std::path::Path;

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, StepLayout, init_params, train_step,
};
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::run::checkpoint;
use modgrok_host::train::Outcome;

const STEPS: u64 = 200;

/// add mod 23, half the pairs: 264 train and 265 test examples, 5 blocks of 64 each, so the
/// blocks really are spread over threads.
fn train(out: &Path, threads: usize) -> Outcome {
    let steps = STEPS.to_string();
    let threads = threads.to_string();
    let out = out.to_str().unwrap();
    let flags = [
        "--op",
        "add",
        "--p",
        "23",
        "--frac",
        "0.5",
        "--seed",
        "3",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "32",
        "--steps",
        &steps,
        "--log-every",
        "20",
        "--checkpoint-every",
        "100",
        "--keep-checkpoints",
        "0",
        "--no-stop",
        "--quiet",
        "--threads",
        &threads,
        "--out",
        out,
    ];
    TrainArgs::from_flags(&flags).unwrap().train().unwrap()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn run_files_are_byte_identical_for_1_2_3_and_8_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let files = [
        "final.safetensors",
        "metrics.csv",
        "config.json",
        "checkpoints/step_0000100.safetensors",
        "checkpoints/step_0000100.optim.safetensors",
        "checkpoints/step_0000200.safetensors",
        "checkpoints/step_0000200.optim.safetensors",
    ];
    let dir1 = tmp.path().join("t1");
    assert!(matches!(train(&dir1, 1), Outcome::Finished(_)));
    for threads in [2, 3, 8] {
        let dir = tmp.path().join(format!("t{threads}"));
        train(&dir, threads);
        for f in files {
            assert!(
                read(&dir1.join(f)) == read(&dir.join(f)),
                "{f} differs at {threads} threads"
            );
        }
    }
}

#[test]
fn host_params_moments_and_metrics_equal_core_serial_train_step_bitwise() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    train(&dir, 3);

    let tasks = Tasks::parse(23, "add").unwrap();
    let mut pairs = vec![(0, 0); tasks.n_pairs(Pairs::Reference)];
    let n_train = tasks.split(Pairs::Reference, 0.5, 3, &mut pairs).unwrap();
    let mut train_ex = vec![Example::default(); n_train];
    tasks
        .fill_examples(&pairs[..n_train], &mut train_ex)
        .unwrap();
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model: 16,
        n_heads: 2,
        d_head: 8,
        d_mlp: 32,
    };
    let n = cfg.n_params();
    let mut params = vec![0.0; n];
    init_params(&cfg, 3, &mut params).unwrap();
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let lay = StepLayout::new(&cfg).unwrap();
    let mut ws = vec![0.0; lay.workspace_len(train_ex.len())];
    let mut touches = vec![0u32; lay.touches_len(train_ex.len())];
    let mut train_loss = Vec::new();
    for _ in 0..STEPS {
        let stats = train_step(
            &cfg,
            &AdamWConfig::default(),
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &train_ex,
            None,
            1,
            &mut ws,
            &mut touches,
        )
        .unwrap();
        train_loss.push(stats.train.mean_loss());
    }
    assert_eq!(opt.step, STEPS);

    let fin = checkpoint::read_model(&dir.join("final.safetensors")).unwrap();
    assert_eq!(fin.step, STEPS);
    let bits = |xs: &[f32]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&fin.params),
        bits(&params),
        "final parameters differ from core's"
    );
    let optim =
        checkpoint::read_optim(&dir.join("checkpoints/step_0000200.optim.safetensors")).unwrap();
    assert_eq!(optim.adamw_step, STEPS);
    assert_eq!(bits(&optim.m), bits(&m), "first moments differ from core's");
    assert_eq!(
        bits(&optim.v),
        bits(&v),
        "second moments differ from core's"
    );

    // Row t holds the train loss core computed before update t + 1.
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let rows: Vec<(u64, f64)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].parse().unwrap(), c[1].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 11);
    for &(step, loss) in &rows[..10] {
        assert_eq!(loss, train_loss[step as usize], "train_loss of row {step}");
    }
    assert_eq!(rows[10].0, STEPS);
}
