//! The fast step's gradients against the reference backward (the paper's formulas as plain
//! loops, one example at a time), in f64 and in f32; the finite-difference check of the fast
//! step is in `model_gradients.rs`.
mod common;
use common::*;
use modgrok_core::Real;
use modgrok_core::data::Example;
use modgrok_core::model::{
    ModelConfig, Serial, StepLayout, Sums, gradients, prepare, reference_batch_scratch_len,
    reference_gradients,
};

fn fast_grads<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    batch: &[Example],
    n_tasks: usize,
) -> (Vec<T>, f64) {
    let lay = StepLayout::new(cfg).unwrap();
    let z = T::ZERO;
    let mut cache = vec![z; lay.cache_len()];
    let mut acts = vec![z; lay.acts_len()];
    let mut partial = vec![z; lay.partial_len()];
    let mut acc = vec![z; lay.acc_len()];
    let mut kept = vec![z; lay.kept_len(batch.len())];
    let mut touches = vec![0u32; lay.touches_len(batch.len())];
    let mut grads = vec![z; cfg.n_params()];
    prepare(cfg, params, &mut cache).unwrap();
    let mut run = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    let sums = Sums {
        acc: &mut acc,
        kept: &mut kept,
        touches: &mut touches,
    };
    let s = gradients(
        cfg, params, &mut cache, batch, n_tasks, sums, &mut grads, &mut run,
    )
    .unwrap();
    (grads, s.total_loss())
}

fn reference_grads<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    batch: &[Example],
    n_tasks: usize,
) -> (Vec<T>, f64) {
    let mut scratch = vec![T::ZERO; reference_batch_scratch_len(cfg)];
    let mut grads = vec![T::ZERO; cfg.n_params()];
    let s = reference_gradients(cfg, params, batch, n_tasks, &mut scratch, &mut grads).unwrap();
    (grads, s.total_loss())
}

/// Asserts `|fast − reference| ≤ rel · max_i |reference_i|` element by element in every tensor,
/// and that no tensor's gradient is all but zero (which would make the check vacuous). Returns
/// the worst ratio `|fast − reference| / max |reference|` over the tensors.
fn assert_close<T: Real>(cfg: &ModelConfig, fast: &[T], reference: &[T], rel: f64) -> f64 {
    let mut worst = 0.0f64;
    for t in cfg.tensors() {
        let scale = reference[t.range()]
            .iter()
            .fold(0.0f64, |m, g| m.max(g.to_f64().abs()));
        assert!(
            scale > 1e-4,
            "{}: gradient is all but zero ({scale})",
            t.name
        );
        for i in t.range() {
            let (f, r) = (fast[i].to_f64(), reference[i].to_f64());
            let err = (f - r).abs() / scale;
            worst = worst.max(err);
            assert!(
                err <= rel,
                "{} [{}]: fast {f} vs reference {r} (max |g| {scale})",
                t.name,
                i - t.offset
            );
        }
    }
    worst
}

/// In f64 both compute the same function of the same parameters, with the same loss and the
/// same logit-gradient rule; they differ only in the order of their sums (the fast step adds
/// per token and per group, the reference per example) and in the fast step's GEMM blocking.
/// Each element is a sum of at most n·d_mlp ≈ 1.6e3 terms no larger than the tensor's largest
/// gradient, and reordering such a sum moves it by a few ulps of that magnitude (measured:
/// 8e-16 of it); a missing or transposed term moves it by O(1) of it. Asserted: 1e-13 relative
/// to the tensor's largest gradient.
#[test]
fn fast_gradients_match_reference_backward_f64() {
    let cfg = tiny();
    let params: Vec<f64> = tiny_params(3).iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let (fast, fast_loss) = fast_grads(&cfg, &params, &batch, 2);
    let (reference, reference_loss) = reference_grads(&cfg, &params, &batch, 2);
    assert!((fast_loss - reference_loss).abs() <= 1e-12 * reference_loss);
    let worst = assert_close(&cfg, &fast, &reference, 1e-13);
    eprintln!("worst |fast - reference| / max |g| = {worst:e}");
}

/// In f32 the same two computations round differently at every step: the token tables'
/// products (d_model to d_mlp deep) and the per-token sums over ~100 examples each carry an
/// error of ~√terms·2⁻²⁴ of their largest term, and the softmax backward subtracts nearly equal
/// terms (measured: 6e-7 of the tensor's largest gradient). Asserted: 1e-5 relative to the
/// tensor's largest gradient, far below a real error (a missing or transposed term is O(1)).
#[test]
fn fast_gradients_match_reference_backward_f32() {
    let cfg = tiny();
    let params = tiny_params(3);
    let batch = two_task_batch();
    let (fast, fast_loss) = fast_grads(&cfg, &params, &batch, 2);
    let (reference, reference_loss) = reference_grads(&cfg, &params, &batch, 2);
    assert!((fast_loss - reference_loss).abs() <= 1e-5 * reference_loss);
    let worst = assert_close(&cfg, &fast, &reference, 1e-5);
    eprintln!("worst |fast - reference| / max |g| = {worst:e}");
}

/// The f64 and f32 checks above, with their tolerances, on a second shape: p = 11, one head of
/// 8, d_mlp 24, one task.
#[test]
fn fast_gradients_match_reference_backward_one_head_p11() {
    let cfg = ModelConfig {
        d_vocab: 13,
        d_model: 8,
        n_heads: 1,
        d_head: 8,
        d_mlp: 24,
    };
    let mut p32 = vec![0.0f32; cfg.n_params()];
    modgrok_core::model::init_params(&cfg, 7, &mut p32).unwrap();
    p32.iter_mut().for_each(|w| *w *= 1.5);
    let p64: Vec<f64> = p32.iter().map(|&w| w as f64).collect();
    let batch: Vec<Example> = (0..11u16)
        .flat_map(|x| (0..11u16).map(move |y| (x, y)))
        .map(|(x, y)| Example {
            tokens: [x, 11, y],
            label: (x + y) % 11,
            task: 0,
        })
        .collect();
    assert_close(
        &cfg,
        &fast_grads(&cfg, &p64, &batch, 1).0,
        &reference_grads(&cfg, &p64, &batch, 1).0,
        1e-13,
    );
    assert_close(
        &cfg,
        &fast_grads(&cfg, &p32, &batch, 1).0,
        &reference_grads(&cfg, &p32, &batch, 1).0,
        1e-5,
    );
}

/// The reference backward against central differences of the reference loss, in f64, with the
/// bounds of `backward_matches_finite_differences_f64` (h = 1e-5: truncation and rounding
/// errors ≈ 1e-10 each; asserted |fd − g| ≤ 1e-6 + 1e-5·|g|).
#[test]
fn reference_backward_matches_finite_differences_f64() {
    let cfg = tiny();
    let params: Vec<f64> = tiny_params(3).iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let (g, _) = reference_grads(&cfg, &params, &batch, 2);
    let h = 1e-5;
    for t in cfg.tensors() {
        for i in t.range() {
            let mut p = params.clone();
            p[i] = params[i] + h;
            let up = reference_grads(&cfg, &p, &batch, 2).1;
            p[i] = params[i] - h;
            let down = reference_grads(&cfg, &p, &batch, 2).1;
            let fd = (up - down) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() <= 1e-6 + 1e-5 * g[i].abs(),
                "{} [{}]: reference backward {} vs finite difference {fd}",
                t.name,
                i - t.offset,
                g[i]
            );
        }
    }
}
