//! Proof that modgrok-core needs neither std nor an allocator: a `#![no_std]` static library
//! with its own panic handler that builds a split, initialises the tiny model and runs a
//! training step on `static` buffers. Build it with
//! `cargo rustc -p modgrok-nostd-check --release -- -C panic=abort`; if anything in the
//! dependency tree pulls in std, the build fails with E0152 (duplicate `panic_impl`).
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Tasks};
use modgrok_core::model::{ModelConfig, N_TENSORS, OptimState, init_params, train_step};

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

static mut PARAMS: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut M: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut V: [f32; N_PARAMS] = [0.0; N_PARAMS];
static mut WS: [f32; WORKSPACE] = [0.0; WORKSPACE];
static mut PAIRS: [(u16, u16); 49] = [(0, 0); 49];
static mut EXAMPLES: [Example; 49] = [Example {
    tokens: [0; 3],
    label: 0,
    task: 0,
}; 49];

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
    let (params, m, v, ws, pairs, examples) = unsafe {
        (
            &mut *addr_of_mut!(PARAMS),
            &mut *addr_of_mut!(M),
            &mut *addr_of_mut!(V),
            &mut *addr_of_mut!(WS),
            &mut *addr_of_mut!(PAIRS),
            &mut *addr_of_mut!(EXAMPLES),
        )
    };
    run(steps, params, m, v, ws, pairs, examples).unwrap_or(-1.0)
}

fn run(
    steps: u32,
    params: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    ws: &mut [f32],
    pairs: &mut [(u16, u16)],
    examples: &mut [Example],
) -> Result<f32, modgrok_core::Error> {
    let tasks = Tasks::parse(P, "add")?;
    let n_train = tasks.split(0.5, 0, pairs)?;
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
        )?;
        loss = s.train.total_loss() as f32;
    }
    Ok(loss)
}
