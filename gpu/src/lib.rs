//! # modgrok-gpu
//!
//! modgrok's full-batch training step (SPEC §3, §4) as WGSL compute shaders on wgpu: the
//! forward and backward matmuls, the cross-entropy gradient, the attention and per-token
//! gradients, and AdamW. θ, m, v and every activation stay on the device between steps; only
//! logits (for the f64 loss and accuracy), θ and the moments come back when asked.
//!
//! core (`modgrok-core`) is the reference: the shapes, the parameter layout and the formulas are
//! core's, and `tests/` compares logits, loss, gradients and 100 steps of training with core
//! within stated tolerances (SPEC §6: the gpu backend matches core closely, not bit for bit).
//!
//! Every reduction is a loop in a fixed order inside one invocation (no atomics), so the same
//! run twice on the same adapter and driver gives the same bytes.
//!
//! ```no_run
//! use modgrok_core::adamw::AdamWConfig;
//! use modgrok_core::data::{Example, Pairs, Tasks};
//! use modgrok_core::model::{ModelConfig, init_params};
//! use modgrok_gpu::{GpuContext, GpuTrainer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tasks = Tasks::parse(11, "add")?;
//! let mut pairs = vec![(0, 0); tasks.n_pairs(Pairs::Reference)];
//! let n_train = tasks.split(Pairs::Reference, 0.5, 0, &mut pairs)?;
//! let mut examples = vec![Example::default(); tasks.n_examples(pairs.len())];
//! tasks.fill_examples(&pairs, &mut examples)?;
//! let (train, test) = examples.split_at(n_train);
//! let cfg = ModelConfig { d_vocab: tasks.d_vocab(), d_model: 16, n_heads: 2, d_head: 8, d_mlp: 32 };
//! let mut params = vec![0.0; cfg.n_params()];
//! init_params(&cfg, 0, &mut params)?;
//! let zeros = vec![0.0; cfg.n_params()];
//! let ctx = GpuContext::new()?;
//! let mut gpu = GpuTrainer::new(&ctx, &cfg, &AdamWConfig::default(), &[false; 8], train, test, 1,
//!     [&params, &zeros, &zeros])?;
//! for t in 1..=100 {
//!     gpu.forward_backward()?;
//!     gpu.update(t)?;
//! }
//! gpu.forward_backward()?;
//! let (train_stats, test_stats) = gpu.metrics()?;
//! println!("{} {}", train_stats.mean_acc(), test_stats.mean_acc());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod context;
mod error;
mod trainer;

pub use context::GpuContext;
pub use error::GpuError;
pub use trainer::{BatchRun, GpuTrainer, Logged};
