//! gpu backend vs core, mostly on tiny models (p = 11, d_model 16), once at the paper's widths:
//! one step's logits, train and test loss and gradients, each of 100 AdamW steps from the gpu's
//! own state; and bit-identical repeats on one adapter, in a batch, and with either kernel set.
//!
//! Tolerances are relative to the largest magnitude of the compared tensor,
//! `max_i |gpu_i − core_i| / max_i |core_i|`, because single entries near zero have no useful
//! elementwise relative error. f32 sums of at most a few hundred terms in another order (and
//! the adapter's `exp`, division and possibly fused multiply-add) differ from core by a few
//! ulps, ~1e-6 relative; 1e-4 leaves a wide margin while still catching any wrong term.
use modgrok_core::adamw::{AdamWConfig, adamw_step};
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::grokfast::{Grokfast, grokfast_step};
use modgrok_core::model::{
    EvalStats, ModelConfig, N_TENSORS, Serial, StepLayout, Sums, evaluate, forward_logits,
    gradients, init_params, prepare,
};
use modgrok_gpu::{BatchRun, GpuContext, GpuError, GpuTrainer};

struct Setup {
    cfg: ModelConfig,
    n_tasks: usize,
    train: Vec<Example>,
    test: Vec<Example>,
    params: Vec<f32>,
}

fn setup(op: &str, p: u32, frac: f64, d_model: usize, n_heads: usize, d_mlp: usize) -> Setup {
    setup_seeded(op, p, frac, 0, [d_model, n_heads, d_mlp])
}

/// The split of `seed` and the initial weights of seed + 3.
fn setup_seeded(
    op: &str,
    p: u32,
    frac: f64,
    seed: u64,
    [d_model, n_heads, d_mlp]: [usize; 3],
) -> Setup {
    let tasks = Tasks::parse(p, op).unwrap();
    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(Pairs::Reference)];
    let n_train = tasks
        .split(Pairs::Reference, frac, seed, &mut pairs)
        .unwrap();
    let examples = |side: &[(u16, u16)]| {
        let mut out = vec![Example::default(); tasks.n_examples(side.len())];
        tasks.fill_examples(side, &mut out).unwrap();
        out
    };
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model,
        n_heads,
        d_head: d_model / n_heads,
        d_mlp,
    };
    let mut params = vec![0.0; cfg.n_params()];
    init_params(&cfg, seed + 3, &mut params).unwrap();
    Setup {
        cfg,
        n_tasks: tasks.len(),
        train: examples(&pairs[..n_train]),
        test: examples(&pairs[n_train..]),
        params,
    }
}

fn trainer(ctx: &GpuContext, s: &Setup, frozen: &[bool; N_TENSORS]) -> GpuTrainer {
    filtered_trainer(ctx, s, None, frozen)
}

/// A trainer of `s` from zero moments (and filter state, with the Grokfast filter `gf`).
fn filtered_trainer(
    ctx: &GpuContext,
    s: &Setup,
    gf: Option<&Grokfast>,
    frozen: &[bool; N_TENSORS],
) -> GpuTrainer {
    let zeros = vec![0.0; s.params.len()];
    GpuTrainer::new_filtered(
        ctx,
        &s.cfg,
        &AdamWConfig::default(),
        gf.map(|gf| (gf, &zeros[..])),
        frozen,
        &s.train,
        &s.test,
        s.n_tasks,
        [&s.params, &zeros, &zeros],
    )
    .unwrap()
}

/// `max |a − b| / max |b|`.
fn rel_err(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    let num = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .fold(0.0, f64::max);
    let den = b.iter().map(|y| (*y as f64).abs()).fold(0.0, f64::max);
    if den == 0.0 { num } else { num / den }
}

/// The largest [`rel_err`] over the tensors of `cfg`, each compared on its own, and that
/// tensor's name; a NaN counts as the largest.
fn worst_tensor(cfg: &ModelConfig, a: &[f32], b: &[f32]) -> (f64, &'static str) {
    cfg.tensors()
        .iter()
        .map(|info| (rel_err(&a[info.range()], &b[info.range()]), info.name))
        .fold((0.0, ""), |worst, e| {
            if worst.0.is_nan() || e.0 <= worst.0 {
                worst
            } else {
                e
            }
        })
}

/// Core's logits, stats and gradient at `params`.
fn core_step(s: &Setup, params: &[f32]) -> (Vec<f32>, modgrok_core::model::EvalStats, Vec<f32>) {
    let lay = StepLayout::new(&s.cfg).unwrap();
    let mut cache = vec![0.0; lay.cache_len()];
    let mut acc = vec![0.0; lay.acc_len()];
    let mut kept = vec![0.0; lay.kept_len(s.train.len())];
    let mut touches = vec![0u32; lay.touches_len(s.train.len())];
    let mut acts = vec![0.0; lay.acts_len()];
    let mut partial = vec![0.0; lay.partial_len()];
    let mut grads = vec![0.0; s.cfg.n_params()];
    let mut logits = vec![0.0; s.train.len() * s.cfg.d_vocab];
    prepare(&s.cfg, params, &mut cache).unwrap();
    forward_logits(&s.cfg, params, &cache, &s.train, &mut acts, &mut logits).unwrap();
    let mut serial = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    let stats = gradients(
        &s.cfg,
        params,
        &mut cache,
        &s.train,
        s.n_tasks,
        Sums {
            acc: &mut acc,
            kept: &mut kept,
            touches: &mut touches,
        },
        &mut grads,
        &mut serial,
    )
    .unwrap();
    (logits, stats, grads)
}

/// Core's loss and accuracy per task on the test set at θ = `params` (core's `evaluate`).
fn core_test_stats(s: &Setup, params: &[f32]) -> EvalStats {
    let lay = StepLayout::new(&s.cfg).unwrap();
    let mut cache = vec![0.0; lay.cache_len()];
    let mut acts = vec![0.0; lay.acts_len()];
    let mut partial = vec![0.0; lay.partial_len()];
    prepare(&s.cfg, params, &mut cache).unwrap();
    let mut serial = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    evaluate(&s.cfg, params, &cache, &s.test, s.n_tasks, &mut serial).unwrap()
}

fn check_one_step(name: &str, s: &Setup) {
    let Some(ctx) = GpuContext::or_skip(name) else {
        return;
    };
    let mut gpu = trainer(&ctx, s, &[false; N_TENSORS]);
    gpu.forward_backward().unwrap();
    let logits = gpu.train_logits().unwrap();
    let grads = gpu.gradients().unwrap();
    let (train, test) = gpu.metrics().unwrap();
    let (core_logits, core_stats, core_grads) = core_step(s, &s.params);
    // The test set runs in pieces of at most N_train examples: its loss per task as core's.
    let core_test = core_test_stats(s, &s.params);
    for t in 0..s.n_tasks {
        let (g, c) = (test.loss[t], core_test.loss[t]);
        assert!(
            (g - c).abs() <= 1e-4 * c,
            "task {t} test loss {g} vs core {c}"
        );
        assert_eq!(test.count[t], core_test.count[t]);
    }

    let e = rel_err(&logits, &core_logits);
    assert!(e <= 1e-4, "logits differ by {e:e} relative");
    for t in 0..s.n_tasks {
        let (g, c) = (train.loss[t], core_stats.loss[t]);
        assert!((g - c).abs() <= 1e-4 * c, "task {t} loss {g} vs core {c}");
        assert_eq!(train.count[t], core_stats.count[t]);
    }
    let (e, tensor) = worst_tensor(&s.cfg, &grads, &core_grads);
    println!("{name}: worst gradient relative error {e:.2e} (d{tensor})");
    assert!(e <= 1e-4, "gradient of {tensor} differs by {e:e} relative");
}

#[test]
fn one_step_logits_loss_and_every_gradient_match_core_within_1e4_relative() {
    let s = setup("add", 11, 0.5, 16, 2, 32);
    check_one_step("one_step_add", &s);
}

#[test]
fn one_step_of_a_two_task_mixture_matches_core_within_1e4_relative() {
    // Two tasks weight examples by 1/N_task and share one split: exercises the per-example scale.
    let s = setup("add,x^2 + y", 7, 0.6, 8, 2, 16);
    check_one_step("one_step_mixture", &s);
}

#[test]
fn one_step_whose_example_sum_is_cut_into_uneven_slices_matches_core_within_1e4_relative() {
    // 392 train examples (28² pairs · 0.5): the neuron-logit map's gradient, a sum over the
    // examples into a small [d_vocab, d_mlp], runs as three slices of k, 131, 131 and 130 long.
    let s = setup("add", 23, 0.5, 16, 2, 32);
    assert_eq!(s.train.len(), 392);
    check_one_step("one_step_split", &s);
}

fn gpu_train(gpu: &mut GpuTrainer, steps: u64) -> [Vec<f32>; 3] {
    for t in 1..=steps {
        gpu.forward_backward().unwrap();
        gpu.update(t).unwrap();
    }
    gpu.state().unwrap()
}

/// `steps` steps of the tiny add model on the gpu, with W_E frozen and not, each checked from
/// the gpu's own θ, m, v (and h with a filter): its gradient against core's at the same θ (1e-4,
/// as the one-step test), and its update against core's `grokfast_step` (with a filter) and
/// `adamw_step` fed the same state and the gpu's gradient (1e-5). Returns the worst gradient and
/// update differences.
fn check_steps(ctx: &GpuContext, filter: Option<&Grokfast>, steps: u64) -> (f64, f64) {
    let s = setup("add", 11, 0.5, 16, 2, 32);
    let mut frozen = [false; N_TENSORS];
    frozen[0] = true;
    let (mut worst_grad, mut worst_update) = (0.0f64, 0.0f64);
    for frozen in [[false; N_TENSORS], frozen] {
        let mut gpu = filtered_trainer(ctx, &s, filter, &frozen);
        for t in 1..=steps {
            let [mut params, mut m, mut v] = gpu.state().unwrap();
            let mut h = gpu.filter_state().unwrap();
            gpu.forward_backward().unwrap();
            let mut grads = gpu.gradients().unwrap();
            let (_, _, core_grads) = core_step(&s, &params);
            let (e, tensor) = worst_tensor(&s.cfg, &grads, &core_grads);
            worst_grad = worst_grad.max(e);
            assert!(e <= 1e-4, "step {t}: d{tensor} differs by {e:e} relative");
            gpu.update(t).unwrap();
            let after = gpu.state().unwrap();
            let h_after = gpu.filter_state().unwrap();
            if let Some(gf) = filter {
                grokfast_step(&s.cfg, gf, t, &frozen, &mut grads, &mut h).unwrap();
            }
            let hyper = AdamWConfig::default();
            adamw_step(
                &s.cfg,
                &hyper,
                t,
                &frozen,
                &mut params,
                &grads,
                &mut m,
                &mut v,
            );
            let compared = [
                ("h", &h_after, &h),
                ("θ", &after[0], &params),
                ("m", &after[1], &m),
                ("v", &after[2], &v),
            ];
            // h is empty without a filter.
            for (what, gpu_x, core_x) in compared.into_iter().filter(|(_, x, _)| !x.is_empty()) {
                let (e, tensor) = worst_tensor(&s.cfg, gpu_x, core_x);
                worst_update = worst_update.max(e);
                assert!(
                    e <= 1e-5,
                    "step {t}: update of {what} of {tensor} differs by {e:e} relative"
                );
            }
        }
        let [params, _, _] = gpu.state().unwrap();
        let h = gpu.filter_state().unwrap();
        for info in s.cfg.tensors() {
            let r = info.range();
            if frozen[info.param as usize] {
                assert_eq!(
                    params[r.clone()],
                    s.params[r.clone()],
                    "a frozen tensor moved"
                );
                assert!(
                    h.get(r).is_none_or(|h| h.iter().all(|&x| x == 0.0)),
                    "frozen h moved"
                );
            }
        }
        assert_eq!(
            h.iter().any(|&x| x != 0.0),
            filter.is_some(),
            "the filter ran"
        );
    }
    (worst_grad, worst_update)
}

#[test]
fn each_of_100_adamw_steps_matches_core_from_the_same_state() {
    // The trajectories themselves are not compared: Adam divides each gradient by its own
    // running RMS, so where a gradient entry is near zero a few-ulp difference can flip the
    // sign of a whole lr-sized update, and such differences then grow over the steps (an H100
    // drifted 1.3e-3 relative in W_E after 100 steps, lavapipe 3e-7). Instead every step is
    // checked from the gpu's own state (`check_steps`). The AdamW update is elementwise, a few
    // roundings per entry (the adapter's sqrt and division may be a few ulps off), so 1e-5
    // relative is ample.
    let Some(ctx) = GpuContext::or_skip("each_of_100_steps") else {
        return;
    };
    let (grad, update) = check_steps(&ctx, None, 100);
    println!("worst over 100 steps: gradient {grad:.2e}, AdamW update {update:.2e}");
}

#[test]
fn each_of_30_grokfast_ema_steps_matches_core_from_the_same_state() {
    // As the AdamW test above, with the filter: it adds three roundings per entry
    // (h·α + g·(1−α), then g + h·λ) before AdamW's few, and an adapter may fuse them, so the
    // update stays within a few ulps: 1e-5 relative. Step 1 (h ← g first) is among those checked.
    let Some(ctx) = GpuContext::or_skip("each_of_30_grokfast_ema_steps") else {
        return;
    };
    let (grad, update) = check_steps(&ctx, Some(&Grokfast::EMA), 30);
    println!("worst over 30 Grokfast ema steps: gradient {grad:.2e}, update {update:.2e}");
}

#[test]
fn the_gpu_refuses_the_ma_filter() {
    let Some(ctx) = GpuContext::or_skip("refuses_ma") else {
        return;
    };
    let s = setup("add", 11, 0.5, 16, 2, 32);
    let zeros = vec![0.0; s.params.len()];
    let err = GpuTrainer::new_filtered(
        &ctx,
        &s.cfg,
        &AdamWConfig::default(),
        Some((&Grokfast::MA, &zeros)),
        &[false; N_TENSORS],
        &s.train,
        &s.test,
        s.n_tasks,
        [&s.params, &zeros, &zeros],
    )
    .err()
    .expect("ma refused");
    assert!(matches!(err, modgrok_gpu::GpuError::NoMaFilter), "{err}");
}

#[test]
fn the_same_run_twice_on_one_adapter_gives_identical_bits() {
    let Some(ctx) = GpuContext::or_skip("same_run_twice") else {
        return;
    };
    let s = setup("add", 11, 0.5, 16, 2, 32);
    let runs: Vec<[Vec<f32>; 3]> = (0..2)
        .map(|_| gpu_train(&mut trainer(&ctx, &s, &[false; N_TENSORS]), 30))
        .collect();
    for (a, b) in runs[0].iter().zip(&runs[1]) {
        let (a, b): (Vec<u32>, Vec<u32>) = (
            a.iter().map(|x| x.to_bits()).collect(),
            b.iter().map(|x| x.to_bits()).collect(),
        );
        assert_eq!(a, b);
    }
}

#[test]
fn the_kernels_for_cpu_adapters_and_for_gpus_give_the_same_bits() {
    let Some(ctx) = GpuContext::or_skip("kernels_same_bits") else {
        return;
    };
    // The paper's widths (products cut into slices across their terms) and 17 heads (two
    // passes of the attention backward): 5 steps each with the kernels for CPU adapters
    // (matmul_direct, attn_bwd_direct) and for GPUs (tiled matmul, workgroup reductions).
    for s in [
        setup("add", 23, 0.3, 128, 4, 512),
        setup("add", 7, 0.5, 34, 17, 16),
    ] {
        let runs: Vec<[Vec<f32>; 3]> = [true, false]
            .into_iter()
            .map(|cpu| {
                let ctx = ctx.clone().with_cpu_kernels(cpu);
                gpu_train(&mut trainer(&ctx, &s, &[false; N_TENSORS]), 5)
            })
            .collect();
        for (a, b) in runs[0].iter().zip(&runs[1]) {
            let (a, b): (Vec<u32>, Vec<u32>) = (
                a.iter().map(|x| x.to_bits()).collect(),
                b.iter().map(|x| x.to_bits()).collect(),
            );
            assert!(
                a == b,
                "d_model {}: the two kernels' θ, m, v differ",
                s.cfg.d_model
            );
        }
    }
}

#[test]
fn each_run_of_a_batch_has_the_bits_it_has_alone() {
    // Three runs of one shape (add seeds 0 and 1, subtract seed 2; one vocabulary, one pair
    // count) in one batch with the Grokfast filter, run 1 two updates ahead of the others as a
    // resumed run would be, and each trained alone: θ, m, v, h and the metrics must be equal
    // bit for bit, since a run's sums are the same loops whatever runs share its dispatches.
    let Some(ctx) = GpuContext::or_skip("each_run_of_a_batch") else {
        return;
    };
    // 288 train examples each, so that the sum over the examples runs in two slices of k.
    let dims = [16, 2, 32];
    let runs = [
        setup_seeded("add", 19, 0.5, 0, dims),
        setup_seeded("add", 19, 0.5, 1, dims),
        setup_seeded("subtract", 19, 0.5, 2, dims),
    ];
    assert_eq!(runs[0].train.len(), 288);
    let ahead = [0u64, 2, 0];
    let gf = Grokfast::EMA;
    let hyper = AdamWConfig::default();
    let frozen = [false; N_TENSORS];
    let zeros = vec![0.0; runs[0].params.len()];
    let batch_runs: Vec<BatchRun> = runs
        .iter()
        .map(|s| BatchRun {
            train: &s.train,
            test: &s.test,
            state: [&s.params, &zeros, &zeros],
            filter: &zeros,
        })
        .collect();
    let s0 = &runs[0];
    let mut batch =
        GpuTrainer::new_batch(&ctx, &s0.cfg, &hyper, Some(&gf), &frozen, 1, &batch_runs).unwrap();
    assert_eq!(batch.runs(), 3);
    let mut batch_metrics = Vec::new();
    for t in 1..=12u64 {
        batch.forward_backward().unwrap();
        if t % 4 == 0 {
            // Some runs only, in any order (runs that log at different steps), then every run
            // (one test pass for the batch), at the same θ.
            let some = batch.metrics_of(&[2, 0]).unwrap();
            let all = batch.metrics_all().unwrap();
            assert_eq!(some, vec![all[2], all[0]], "metrics_of(&[2, 0]) at {t}");
            // With each run's θ in the same readback.
            let (logged, params) = batch.logged_of(&[1, 2]).unwrap();
            assert_eq!(logged, vec![all[1], all[2]], "logged_of(&[1, 2]) at {t}");
            for (i, r) in [1, 2].into_iter().enumerate() {
                assert!(
                    params[i] == batch.params_of(r).unwrap(),
                    "θ of run {r} at {t}"
                );
            }
            batch_metrics.push(all);
        }
        let ts: Vec<u64> = ahead.iter().map(|a| t + a).collect();
        batch.update_runs(&ts).unwrap();
    }
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (r, s) in runs.iter().enumerate() {
        let mut alone = filtered_trainer(&ctx, s, Some(&gf), &frozen);
        // The batch evaluates its logits on several threads, the run alone on one.
        alone.set_eval_threads(1);
        for t in 1..=12u64 {
            alone.forward_backward().unwrap();
            if t % 4 == 0 {
                let m = alone.metrics().unwrap();
                assert_eq!(
                    m,
                    batch_metrics[(t / 4 - 1) as usize][r],
                    "run {r} metrics at {t}"
                );
            }
            alone.update(t + ahead[r]).unwrap();
        }
        let (mine, theirs) = (alone.state().unwrap(), batch.state_of(r).unwrap());
        for (what, a, b) in [
            ("θ", &mine[0], &theirs[0]),
            ("m", &mine[1], &theirs[1]),
            ("v", &mine[2], &theirs[2]),
        ] {
            assert!(
                bits(a) == bits(b),
                "run {r}: {what} differs from the run alone"
            );
        }
        let h = alone.filter_state().unwrap();
        assert!(
            bits(&h) == bits(&batch.filter_state_of(r).unwrap()),
            "run {r}: h differs"
        );
    }
    let other = setup_seeded("add", 19, 0.6, 0, dims);
    let mixed = [
        batch_runs[0],
        BatchRun {
            train: &other.train,
            test: &other.test,
            ..batch_runs[0]
        },
    ];
    let e = GpuTrainer::new_batch(&ctx, &s0.cfg, &hyper, Some(&gf), &frozen, 1, &mixed);
    assert!(
        matches!(e, Err(GpuError::Batch(_))),
        "runs of two pair counts in one batch"
    );
    assert!(matches!(
        batch.update_runs(&[1, 1]),
        Err(GpuError::Batch(_))
    ));
    assert!(matches!(batch.params_of(3), Err(GpuError::Batch(_))));
}

#[test]
fn one_step_with_more_heads_than_one_attention_backward_pass_takes_matches_core_within_1e4_relative()
 {
    // attn_bwd reduces 16 heads at a time: 17 heads of d_head 2 take two passes.
    let s = setup("add", 7, 0.5, 34, 17, 16);
    check_one_step("one_step_17_heads", &s);
}

#[test]
fn one_step_at_the_papers_widths_matches_core_within_1e4_relative() {
    // d_model 128, 4 heads, d_mlp 512 at p = 23: a weight's gradient summed over its uses is one
    // product of several terms, and dW_O (k = 512 + 28 = 540, four slices of 135) and dW_E
    // (k = 512 + 28 + 3·128 = 924, seven slices of 132) are cut into slices of k that straddle
    // the terms' boundaries.
    let s = setup("add", 23, 0.3, 128, 4, 512);
    assert_eq!(s.cfg.d_vocab, 28);
    check_one_step("one_step_paper_widths", &s);
}
