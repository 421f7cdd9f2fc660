//! The model of SPEC §3: parameters, the reference forward and backward of one example
//! (`reference`, the paper's formulas as plain loops), and the fast full-batch training step
//! (`fast`) that is tested against it.
mod config;
mod fast;
mod init;
mod loss;
mod reference;
mod stats;

pub use config::{ModelConfig, N_TENSORS, Param, TensorInfo, Weights};
pub use fast::{
    BLOCK, BlockRunner, BlockWork, GROUPS, OptimState, PieceWork, Serial, StepLayout, StepStats,
    Sums, evaluate, forward_logits, gradients, prepare, prepare_with, train_step,
    train_step_filtered,
};
pub use init::{SplitMix64, init_params};
pub use loss::cross_entropy;
pub use reference::{
    reference_backward, reference_batch_scratch_len, reference_forward, reference_gradients,
    reference_scratch_len,
};
/// The reference forward under the names its callers know: logits at the last position.
pub use reference::{
    reference_forward as plain_forward, reference_scratch_len as plain_scratch_len,
};
pub use stats::{BlockStats, EvalStats, task_scales};
