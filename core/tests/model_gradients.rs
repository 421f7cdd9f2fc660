//! The analytic backward of the fast step against central finite differences, in f64.
mod common;
use common::*;
use modgrok_core::data::Example;
use modgrok_core::model::{ModelConfig, Serial, StepLayout, Sums, evaluate, gradients, prepare};

fn loss_f64(cfg: &ModelConfig, params: &[f64], batch: &[Example], n_tasks: usize) -> f64 {
    let lay = StepLayout::new(cfg).unwrap();
    let mut cache = vec![0.0; lay.cache_len()];
    let mut acts = vec![0.0; lay.acts_len()];
    let mut partial = vec![0.0; lay.partial_len()];
    prepare(cfg, params, &mut cache).unwrap();
    let mut run = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    evaluate(cfg, params, &cache, batch, n_tasks, &mut run)
        .unwrap()
        .total_loss()
}

fn grads_f64(cfg: &ModelConfig, params: &[f64], batch: &[Example], n_tasks: usize) -> Vec<f64> {
    let lay = StepLayout::new(cfg).unwrap();
    let mut cache = vec![0.0; lay.cache_len()];
    let mut acts = vec![0.0; lay.acts_len()];
    let mut partial = vec![0.0; lay.partial_len()];
    let mut acc = vec![0.0; lay.acc_len()];
    let mut kept = vec![0.0; lay.kept_len(batch.len())];
    let mut touches = vec![0u32; lay.touches_len(batch.len())];
    let mut grads = vec![0.0; cfg.n_params()];
    prepare(cfg, params, &mut cache).unwrap();
    let mut run = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    gradients(
        cfg,
        params,
        &mut cache,
        batch,
        n_tasks,
        Sums {
            acc: &mut acc,
            kept: &mut kept,
            touches: &mut touches,
        },
        &mut grads,
        &mut run,
    )
    .unwrap();
    grads
}

/// Every element of every tensor, central differences with h = 1e-5 in f64. The truncation error
/// is O(h²·|f'''|) ≈ 1e-10 and the rounding error ≈ 1e-16·|L|/h ≈ 1e-10, so a correct backward
/// agrees to about 1e-9; a wrong term (a missing path, a transposed index) is off by O(|g|).
/// We assert |fd − g| ≤ 1e-6 + 1e-5·|g|, far below any real error and far above the noise.
#[test]
fn backward_matches_finite_differences_f64() {
    let cfg = tiny();
    let params: Vec<f64> = tiny_params(3).iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let g = grads_f64(&cfg, &params, &batch, 2);
    let h = 1e-5;
    let mut worst = 0.0f64;
    for t in cfg.tensors() {
        let mut max_g = 0.0f64;
        for i in t.range() {
            let mut p = params.clone();
            p[i] = params[i] + h;
            let up = loss_f64(&cfg, &p, &batch, 2);
            p[i] = params[i] - h;
            let down = loss_f64(&cfg, &p, &batch, 2);
            let fd = (up - down) / (2.0 * h);
            let err = (fd - g[i]).abs();
            worst = worst.max(err);
            max_g = max_g.max(g[i].abs());
            assert!(
                err <= 1e-6 + 1e-5 * g[i].abs(),
                "{} [{}]: analytic {} vs finite difference {fd}",
                t.name,
                i - t.offset,
                g[i]
            );
        }
        assert!(
            max_g > 1e-4,
            "{}: gradient is all but zero ({max_g}), the check is vacuous",
            t.name
        );
    }
    eprintln!("worst |fd - analytic| = {worst:e}");
}

/// The gradient does not depend on how examples fall into blocks only through order: splitting
/// the batch in two calls and adding gives the same gradient to rounding (1e-12 in f64).
#[test]
fn gradient_is_sum_over_tasks_of_task_means() {
    let cfg = tiny();
    let params: Vec<f64> = tiny_params(5).iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let both = grads_f64(&cfg, &params, &batch, 2);
    let add: Vec<Example> = batch.iter().copied().filter(|e| e.task == 0).collect();
    let mul: Vec<Example> = batch
        .iter()
        .filter(|e| e.task == 1)
        .map(|&e| Example { task: 0, ..e })
        .collect();
    let g_add = grads_f64(&cfg, &params, &add, 1);
    let g_mul = grads_f64(&cfg, &params, &mul, 1);
    for i in 0..both.len() {
        let sum = g_add[i] + g_mul[i];
        assert!(
            (both[i] - sum).abs() <= 1e-12 * (1.0 + sum.abs()),
            "param {i}: {} vs {sum}",
            both[i]
        );
    }
}
