//! Fixed point vs f32 (`plain_forward`, the reference) on a grokked model, argmax exact: a
//! small model (d_model 32, 4 heads × 8, d_mlp 64) trained here until it groks addition mod 97
//! at frac 0.8 must give the f32 model's answer on all 97² = 9409 inputs.
//!
//! Measured: test accuracy 1.0 at step 350 (core's step is bit-exact on every platform, so that
//! is the step everywhere), 9409/9409 agreement, max |Δlogit| ≈ 0.10 against top-two logit gaps
//! of several units; about 15 s on one core. The paper-size model agrees on 9409/9409 as well
//! (`modgrok export-fixed` prints it for any checkpoint).
use modgrok_core::model::{plain_forward, plain_scratch_len};
use modgrok_core::quant::{self, I16F16, QuantModel};
#[path = "support/grokked_addition.rs"]
mod grokked_addition;
use grokked_addition::grokked_addition;

const P: u16 = 97;

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
    let (cfg, params) = grokked_addition(P, 25, false);
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
