//! The fast per-token step's forward against the plain forward of SPEC §3.
mod common;
use common::*;
use modgrok_core::Error;
use modgrok_core::model::{
    ModelConfig, Serial, StepLayout, cross_entropy, evaluate, init_params, plain_forward,
    plain_scratch_len, prepare,
};

/// Logits of the fast path (via the per-example loss) and of the plain forward. In f64 both
/// compute the same function with different summation orders: agreement to 1e-12 relative.
/// In f32 the rounding of ~d_mlp-term sums bounds the difference by ~1e-6 relative to the
/// largest logit; we assert 1e-5.
#[test]
fn fast_forward_matches_plain_forward() {
    let cfg = tiny();
    let p32 = tiny_params(11);
    let p64: Vec<f64> = p32.iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let lay = StepLayout::new(&cfg).unwrap();
    let mut scratch = vec![0.0f64; plain_scratch_len(&cfg)];
    let mut logits = vec![0.0f64; cfg.d_vocab];
    let mut plain_loss = [0.0f64; 2];
    for ex in &batch {
        plain_forward(&cfg, &p64, ex.tokens, &mut scratch, &mut logits).unwrap();
        plain_loss[ex.task as usize] +=
            cross_entropy(&logits, ex.label as usize, 1.0, None).0 / 49.0;
    }
    let mut cache = vec![0.0f64; lay.cache_len()];
    let mut acts = vec![0.0f64; lay.acts_len()];
    let mut partial = vec![0.0f64; lay.partial_len()];
    prepare(&cfg, &p64, &mut cache).unwrap();
    let s = evaluate(
        &cfg,
        &p64,
        &cache,
        &batch,
        2,
        &mut Serial {
            acts: &mut acts,
            partial: &mut partial,
        },
    )
    .unwrap();
    for (&got, &want) in s.loss[..2].iter().zip(&plain_loss) {
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
    }

    let mut s32 = vec![0.0f32; plain_scratch_len(&cfg)];
    let mut l32 = vec![0.0f32; cfg.d_vocab];
    let mut l64 = vec![0.0f64; cfg.d_vocab];
    for ex in &batch {
        plain_forward(&cfg, &p32, ex.tokens, &mut s32, &mut l32).unwrap();
        plain_forward(&cfg, &p64, ex.tokens, &mut scratch, &mut l64).unwrap();
        let scale = l64.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for z in 0..cfg.d_vocab {
            assert!((l32[z] as f64 - l64[z]).abs() <= 1e-5 * scale);
        }
    }
}

#[test]
fn init_has_the_spec_standard_deviations() {
    let cfg = ModelConfig::paper(102);
    let mut p = vec![0.0f32; cfg.n_params()];
    init_params(&cfg, 0, &mut p).unwrap();
    for t in cfg.tensors() {
        let w = &p[t.range()];
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
        let sd = (w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        // With n ≥ 13 000 samples the sample sd is within 3% of σ with overwhelming probability.
        assert!(
            (sd / t.init_std - 1.0).abs() < 0.03,
            "{}: sd {sd} vs σ {}",
            t.name,
            t.init_std
        );
        assert!(mean.abs() < 0.05 * t.init_std, "{}: mean {mean}", t.name);
    }
    let mut q = vec![0.0f32; cfg.n_params()];
    init_params(&cfg, 0, &mut q).unwrap();
    assert!(p == q);
    init_params(&cfg, 1, &mut q).unwrap();
    assert!(p != q);
}

#[test]
fn bad_buffers_and_dims_are_errors() {
    let cfg = tiny();
    let mut small = vec![0.0f32; 10];
    assert!(matches!(
        init_params(&cfg, 0, &mut small),
        Err(Error::BufferTooSmall { .. })
    ));
    let bad = ModelConfig { d_model: 9, ..cfg };
    assert_eq!(bad.validate(), Err(Error::BadDims));
    let zero = ModelConfig { d_mlp: 0, ..cfg };
    assert_eq!(zero.validate(), Err(Error::BadDims));
    let params = tiny_params(0);
    let mut cache = vec![0.0f32; 3];
    assert!(matches!(
        prepare(&cfg, &params, &mut cache),
        Err(Error::BufferTooSmall { .. })
    ));
    let lay = StepLayout::new(&cfg).unwrap();
    let mut cache = vec![0.0f32; lay.cache_len()];
    prepare(&cfg, &params, &mut cache).unwrap();
    let mut acts = vec![0.0f32; lay.acts_len()];
    let mut partial = vec![0.0f32; lay.partial_len()];
    let mut batch = two_task_batch();
    batch[3].tokens[1] = 12;
    let r = evaluate(
        &cfg,
        &params,
        &cache,
        &batch,
        2,
        &mut Serial {
            acts: &mut acts,
            partial: &mut partial,
        },
    );
    assert_eq!(
        r,
        Err(Error::BadToken {
            token: 12,
            d_vocab: 12
        })
    );
    let r = evaluate(
        &cfg,
        &params,
        &cache,
        &batch[..2],
        0,
        &mut Serial {
            acts: &mut acts,
            partial: &mut partial,
        },
    );
    assert_eq!(r, Err(Error::BadTaskCount { n: 0 }));
}

/// The no_std check crate's static buffers must hold the tiny model's parameters and workspace.
#[test]
fn nostd_check_buffers_fit_the_tiny_model() {
    let cfg = tiny();
    assert!(cfg.n_params() <= 4096, "{}", cfg.n_params());
    let lay = StepLayout::new(&cfg).unwrap();
    assert!(lay.workspace_len(49) <= 32768);
    assert!(lay.touches_len(49) <= 256);
}

/// `forward_logits` gives the plain forward's logits (f64: 1e-12 relative to the largest logit).
#[test]
fn forward_logits_match_plain_forward() {
    use modgrok_core::model::forward_logits;
    let cfg = tiny();
    let p64: Vec<f64> = tiny_params(2).iter().map(|&w| w as f64).collect();
    let batch = two_task_batch();
    let lay = StepLayout::new(&cfg).unwrap();
    let mut cache = vec![0.0f64; lay.cache_len()];
    let mut acts = vec![0.0f64; lay.acts_len()];
    prepare(&cfg, &p64, &mut cache).unwrap();
    let mut out = vec![0.0f64; batch.len() * cfg.d_vocab];
    forward_logits(&cfg, &p64, &cache, &batch, &mut acts, &mut out).unwrap();
    let mut scratch = vec![0.0f64; plain_scratch_len(&cfg)];
    let mut want = vec![0.0f64; cfg.d_vocab];
    for (i, ex) in batch.iter().enumerate() {
        plain_forward(&cfg, &p64, ex.tokens, &mut scratch, &mut want).unwrap();
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for z in 0..cfg.d_vocab {
            assert!(
                (out[i * cfg.d_vocab + z] - want[z]).abs() <= 1e-12 * scale,
                "example {i} class {z}"
            );
        }
    }
}
