//! Shared fixtures of the model tests: the tiny model of the issue (p = 7, d_model 8, 2 heads of
//! 4, d_mlp 16) and a two-task batch that spans two blocks.
#![allow(dead_code)]
use modgrok_core::data::Example;
use modgrok_core::model::{ModelConfig, init_params};

pub const P: u16 = 7;

pub fn tiny() -> ModelConfig {
    ModelConfig {
        d_vocab: P as usize + 5,
        d_model: 8,
        n_heads: 2,
        d_head: 4,
        d_mlp: 16,
    }
}

/// Init weights scaled by 1.5 so attention is far from uniform and the test is sensitive.
pub fn tiny_params(seed: u64) -> Vec<f32> {
    let cfg = tiny();
    let mut p = vec![0.0f32; cfg.n_params()];
    init_params(&cfg, seed, &mut p).unwrap();
    p.iter_mut().for_each(|w| *w *= 1.5);
    p
}

/// Every pair of Z_7 for `+` (task 0) and `*` (task 1): 98 examples, two blocks.
pub fn two_task_batch() -> Vec<Example> {
    let mut out = Vec::new();
    for (task, op) in [(0u8, P + 1), (1, P + 3)] {
        for x in 0..P {
            for y in 0..P {
                let label = if task == 0 { (x + y) % P } else { (x * y) % P };
                out.push(Example {
                    tokens: [x, op, y],
                    label,
                    task,
                });
            }
        }
    }
    out
}

/// Deterministic test inputs, drawn from core's SplitMix64.
pub struct Rng(modgrok_core::model::SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(modgrok_core::model::SplitMix64::new(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in [-1, 1).
    pub fn sym(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    /// Uniform in (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Standard normal by Box–Muller.
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (2.0 * core::f64::consts::PI * u2).cos()
    }
    /// Uniform in 0..n (modulo bias is irrelevant for test inputs).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
