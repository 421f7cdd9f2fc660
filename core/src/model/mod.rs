//! The model of SPEC §3: parameters, forward, analytic backward and the training step.
mod attention;
mod config;
mod embed;
mod init;
mod linalg;
mod loss;
mod mlp;
mod plain;
mod step;
mod token_sums;
mod unembed;

pub use config::{ModelConfig, N_TENSORS, Param, TensorInfo, Weights};
pub use init::{SplitMix64, init_params};
pub use loss::cross_entropy;
pub use plain::{plain_forward, plain_scratch_len};
pub use step::{
    BLOCK, BlockRunner, BlockStats, BlockWork, EvalStats, GROUPS, OptimState, PieceWork, Serial,
    StepLayout, StepStats, Sums, evaluate, forward_logits, gradients, prepare, prepare_with,
    train_step,
};
