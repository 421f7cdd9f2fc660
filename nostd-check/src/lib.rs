//! Proof that modgrok-core needs neither std nor an allocator: a `#![no_std]` static library
//! with its own panic handler that builds a split, initialises the tiny model and runs a
//! training step on `static` buffers, then quantises it and answers every pair in fixed point
//! from a `static` model file and scratch sized by `quant`'s `const fn`s. Build it with
//! `cargo rustc -p modgrok-nostd-check --release -- -C panic=abort`; if anything in the
//! dependency tree pulls in std, the build fails with E0152 (duplicate `panic_impl`).
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, init_params, plain_forward, train_step,
};
use modgrok_core::quant::{self, I16F16, QuantModel};

const P: u32 = 7;
const CFG: ModelConfig = ModelConfig {
    d_vocab: P as usize + 5,
    d_model: 8,
    n_heads: 2,
    d_head: 4,
    d_mlp: 16,
};
const N_PARAMS: usize = 4096;
const WORKSPACE: usize = 32768;
/// Room for the token-touch index of the 49 pairs.
const TOUCHES: usize = 256;

static mut PARAMS: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut M: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut V: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut WS: [f32; WORKSPACE] = [0.0; WORKSPACE];
static mut TOUCH: [u32; TOUCHES] = [0; TOUCHES];
static mut PAIRS: [(u16, u16); 49] = [(0, 0); 49];
static mut EXAMPLES: [Example; 49] = [Example {
    tokens: [0; 3],
    label: 0,
    task: 0,
}; 49];

static mut MODEL_FILE: [u8; quant::file_len(&CFG)] = [0; quant::file_len(&CFG)];
static mut QSCRATCH: [I16F16; quant::scratch_len(&CFG)] = [I16F16::ZERO; quant::scratch_len(&CFG)];

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// Trains addition mod 7 for `steps` steps; returns the last train loss, or −1 on an error.
///
/// # Safety
/// Uses the crate's static buffers: call from one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn modgrok_check_train(steps: u32) -> f32 {
    // SAFETY: the caller guarantees exclusive access to the statics.
    let (params, m, v, ws, touches, pairs, examples) = unsafe {
        (
            &mut *addr_of_mut!(PARAMS),
            &mut *addr_of_mut!(M),
            &mut *addr_of_mut!(V),
            &mut *addr_of_mut!(WS),
            &mut *addr_of_mut!(TOUCH),
            &mut *addr_of_mut!(PAIRS),
            &mut *addr_of_mut!(EXAMPLES),
        )
    };
    run(steps, params, m, v, (ws, touches), pairs, examples).unwrap_or(-1.0)
}

fn run(
    steps: u32,
    params: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    (ws, touches): (&mut [f32], &mut [u32]),
    pairs: &mut [(u16, u16)],
    examples: &mut [Example],
) -> Result<f32, modgrok_core::Error> {
    let tasks = Tasks::parse(P, "add")?;
    let n_train = tasks.split(Pairs::Field, 0.5, 0, pairs)?;
    let n = tasks.fill_examples(&pairs[..n_train], examples)?;
    init_params(&CFG, 0, params)?;
    let mut opt = OptimState { m, v, step: 0 };
    let mut loss = 0.0;
    for _ in 0..steps {
        let s = train_step(
            &CFG,
            &AdamWConfig::default(),
            &[false; N_TENSORS],
            params,
            &mut opt,
            &examples[..n],
            None,
            1,
            ws,
            touches,
        )?;
        loss = s.train.total_loss() as f32;
    }
    Ok(loss)
}

/// Trains as [`modgrok_check_train`], quantises the model into a static file and returns on how
/// many of the 49 pairs its fixed-point answer equals the f32 argmax, or −1 on an error.
///
/// # Safety
/// Uses the crate's static buffers: call from one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn modgrok_check_fixed(steps: u32) -> i32 {
    // SAFETY: the caller guarantees exclusive access to the statics.
    let (params, m, v, ws, touches, pairs, examples, file, scratch) = unsafe {
        (
            &mut *addr_of_mut!(PARAMS),
            &mut *addr_of_mut!(M),
            &mut *addr_of_mut!(V),
            &mut *addr_of_mut!(WS),
            &mut *addr_of_mut!(TOUCH),
            &mut *addr_of_mut!(PAIRS),
            &mut *addr_of_mut!(EXAMPLES),
            &mut *addr_of_mut!(MODEL_FILE),
            &mut *addr_of_mut!(QSCRATCH),
        )
    };
    let agree = run(steps, params, m, v, (&mut *ws, touches), pairs, examples)
        .and_then(|_| agreement(params, ws, file, scratch));
    agree.unwrap_or(-1)
}

fn agreement(
    params: &[f32],
    ws: &mut [f32],
    file: &mut [u8],
    scratch: &mut [I16F16],
) -> Result<i32, modgrok_core::Error> {
    quant::quantise(&CFG, P, params, file)?;
    let model = QuantModel::from_bytes(file)?;
    let (logits, f32_scratch) = ws.split_at_mut(CFG.d_vocab);
    let mut agree = 0;
    for x in 0..P as u16 {
        for y in 0..P as u16 {
            let tokens = [x, P as u16 + 1, y];
            plain_forward(&CFG, params, tokens, f32_scratch, logits)?;
            let mut best = 0;
            for (i, &l) in logits.iter().enumerate() {
                if l > logits[best] {
                    best = i;
                }
            }
            agree += (model.predict(tokens, scratch)? as usize == best) as i32;
        }
    }
    Ok(agree)
}
