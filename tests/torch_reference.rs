//! core (modgrok-core) against PyTorch (tests/fixtures/reference_tiny.json, made by
//! tests/fixtures/make_reference.py from the reference model of bench/torch_reference_step.py).
//!
//! Tolerance: |core − torch| ≤ 1e-5 · max|torch| per tensor (about 1e-5 relative). Both sides
//! are f32 with different summation orders, and torch's CPU kernels use fused multiply-adds and
//! a sqrt that is off by up to one ulp, so bits cannot match; the differences we see are a few
//! ulps of the tensor's scale (~1e-7 relative), two orders below the bound. A real bug (a wrong
//! index, a missing term, a wrong AdamW formula) moves values by 1e-3 relative or more.
use modgrok::core::adamw::AdamWConfig;
use modgrok::core::data::Example;
use modgrok::core::model::{
    ModelConfig, N_TENSORS, OptimState, Serial, StepLayout, Sums, gradients, prepare, train_step,
};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reference_tiny.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present"))
        .expect("valid json")
}

fn floats(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn setup(fx: &Value) -> (ModelConfig, Vec<f32>, Vec<Example>) {
    let c = &fx["config"];
    let u = |k: &str| c[k].as_u64().unwrap() as usize;
    let cfg = ModelConfig {
        d_vocab: u("d_vocab"),
        d_model: u("d_model"),
        n_heads: u("n_heads"),
        d_head: u("d_head"),
        d_mlp: u("d_mlp"),
    };
    let mut params = vec![0.0f32; cfg.n_params()];
    for t in cfg.tensors() {
        let shape: Vec<usize> = fx["init"][t.name]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, t.shape[..t.rank], "{}", t.name);
        params[t.range()].copy_from_slice(&floats(&fx["init"][t.name]));
    }
    let b = &fx["batch"];
    let n = b["labels"].as_array().unwrap().len();
    let batch = (0..n)
        .map(|i| {
            let tok = &b["tokens"][i];
            Example {
                tokens: [0, 1, 2].map(|j| tok[j].as_u64().unwrap() as u16),
                label: b["labels"][i].as_u64().unwrap() as u16,
                task: b["task"][i].as_u64().unwrap() as u8,
            }
        })
        .collect();
    (cfg, params, batch)
}

fn assert_close(name: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    let scale = want.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(scale > 0.0, "{name}: reference is all zeros");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * scale,
            "{name}[{i}]: core {g} vs torch {w} (scale {scale})"
        );
    }
}

#[test]
fn core_matches_torch_loss_and_every_gradient_within_1e5() {
    let fx = fixture();
    let (cfg, params, batch) = setup(&fx);
    let lay = StepLayout::new(&cfg).unwrap();
    let mut cache = vec![0.0f32; lay.cache_len()];
    let mut acc = vec![0.0f32; lay.acc_len()];
    let mut kept = vec![0.0f32; lay.kept_len(batch.len())];
    let mut touches = vec![0u32; lay.touches_len(batch.len())];
    let mut acts = vec![0.0f32; lay.acts_len()];
    let mut partial = vec![0.0f32; lay.partial_len()];
    let mut grads = vec![0.0f32; cfg.n_params()];
    prepare(&cfg, &params, &mut cache).unwrap();
    let mut run = Serial {
        acts: &mut acts,
        partial: &mut partial,
    };
    let s = gradients(
        &cfg,
        &params,
        &mut cache,
        &batch,
        2,
        Sums {
            acc: &mut acc,
            kept: &mut kept,
            touches: &mut touches,
        },
        &mut grads,
        &mut run,
    )
    .unwrap();
    let per_task = fx["loss"]["per_task"].as_array().unwrap();
    assert_eq!(per_task.len(), 2, "the fixture has two tasks");
    for (t, want) in per_task.iter().enumerate() {
        let want = want.as_f64().unwrap();
        assert!(
            (s.loss[t] - want).abs() <= 1e-5 * want,
            "task {t}: {} vs {want}",
            s.loss[t]
        );
    }
    let total = fx["loss"]["total"].as_f64().unwrap();
    assert!((s.total_loss() - total).abs() <= 1e-5 * total);
    for t in cfg.tensors() {
        assert_close(t.name, &grads[t.range()], &floats(&fx["grads"][t.name]));
    }
}

#[test]
fn core_matches_torch_after_three_adamw_steps_with_weight_decay_1() {
    let fx = fixture();
    let (cfg, mut params, batch) = setup(&fx);
    let lay = StepLayout::new(&cfg).unwrap();
    let n = cfg.n_params();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut ws = vec![0.0f32; lay.workspace_len(batch.len())];
    let mut touches = vec![0u32; lay.touches_len(batch.len())];
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let losses = fx["loss_per_step"].as_array().unwrap();
    for want in losses {
        let s = train_step(
            &cfg,
            &AdamWConfig::default(),
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &batch,
            None,
            2,
            &mut ws,
            &mut touches,
        )
        .unwrap();
        let want = want.as_f64().unwrap();
        assert!(
            (s.train.total_loss() - want).abs() <= 1e-5 * want,
            "{} vs {want}",
            s.train.total_loss()
        );
    }
    assert_eq!(opt.step, 3);
    for t in cfg.tensors() {
        assert_close(
            t.name,
            &params[t.range()],
            &floats(&fx["after_steps"][t.name]),
        );
        assert_close(
            &format!("m.{}", t.name),
            &m[t.range()],
            &floats(&fx["exp_avg"][t.name]),
        );
        assert_close(
            &format!("v.{}", t.name),
            &v[t.range()],
            &floats(&fx["exp_avg_sq"][t.name]),
        );
    }
}
