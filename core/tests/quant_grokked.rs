//! Fixed point vs f32 (`plain_forward`, the reference) on a grokked model, argmax exact: a
//! small model (d_model 32, 4 heads × 8, d_mlp 64) trained here until it groks addition mod 97
//! at frac 0.8 must give the f32 model's answer on all 97² = 9409 inputs.
//!
//! Measured: test accuracy 1.0 at step 350 (core's step is bit-exact on every platform, so that
//! is the step everywhere), 9409/9409 agreement, max |Δlogit| ≈ 0.10 against top-two logit gaps
//! of several units; about 15 s on one core. The paper-size model agrees on 9409/9409 as well
//! (`modgrok export-fixed` prints it for any checkpoint).
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Tasks};
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, StepLayout, init_params, plain_forward, plain_scratch_len,
    train_step,
};
use modgrok_core::quant::{self, I16F16, QuantModel};

const P: u16 = 97;

/// Trains `add` mod 97 at frac 0.8 until the test accuracy (checked every 25 steps) is 1.0.
fn grokked_add_97() -> (ModelConfig, Vec<f32>) {
    let tasks = Tasks::parse(P as u32, "add").unwrap();
    let mut pairs = vec![(0, 0); tasks.n_pairs()];
    let n_train = tasks.split(0.8, 0, &mut pairs).unwrap();
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train).unwrap();
    let mut test = vec![Example::default(); tasks.n_examples(pairs.len() - n_train)];
    tasks.fill_examples(&pairs[n_train..], &mut test).unwrap();
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model: 32,
        n_heads: 4,
        d_head: 8,
        d_mlp: 64,
    };
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(&cfg, 0, &mut params).unwrap();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let mut ws = vec![0.0f32; StepLayout::new(&cfg).unwrap().workspace_len()];
    let hyper = AdamWConfig {
        lr: 3e-3,
        ..AdamWConfig::default()
    };
    for step in 0..3000 {
        let s = train_step(
            &cfg,
            &hyper,
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &train,
            (step % 25 == 0).then_some(&test[..]),
            1,
            &mut ws,
        )
        .unwrap();
        if s.test.is_some_and(|t| t.acc[0] == 1.0) {
            eprintln!("test accuracy 1.0 at step {step}");
            return (cfg, params);
        }
    }
    panic!("addition mod 97 did not grok within 3000 steps");
}

fn first_max(logits: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in logits.iter().enumerate() {
        if x > logits[best] {
            best = i;
        }
    }
    best
}

#[test]
fn fixed_point_argmax_equals_f32_on_all_9409_inputs_of_a_grokked_add_97_model() {
    let (cfg, params) = grokked_add_97();
    let mut file = vec![0u8; quant::file_len(&cfg)];
    quant::quantise(&cfg, P as u32, &params, &mut file).unwrap();
    let model = QuantModel::from_bytes(&file).unwrap();
    let mut scratch = vec![I16F16::ZERO; quant::scratch_len(&cfg)];
    let mut f32_scratch = vec![0.0f32; plain_scratch_len(&cfg)];
    let mut logits = vec![0.0f32; cfg.d_vocab];
    let (mut agree, mut correct, mut max_diff) = (0, 0, 0.0f32);
    for x in 0..P {
        for y in 0..P {
            let tokens = [x, P + 1, y];
            plain_forward(&cfg, &params, tokens, &mut f32_scratch, &mut logits).unwrap();
            let fixed = model.forward(tokens, &mut scratch).unwrap();
            for (a, b) in fixed.iter().zip(&logits) {
                max_diff = max_diff.max((a.to_num::<f32>() - b).abs());
            }
            let answer = model.predict(tokens, &mut scratch).unwrap();
            agree += (answer as usize == first_max(&logits)) as usize;
            correct += (answer == (x + y) % P) as usize;
        }
    }
    eprintln!("agree {agree}/9409, correct {correct}/9409, max |Δlogit| {max_diff}");
    assert_eq!(
        agree, 9409,
        "fixed-point argmax differs from f32 on some inputs"
    );
    assert_eq!(
        correct, 9409,
        "the grokked model answers every x + y mod 97"
    );
}
