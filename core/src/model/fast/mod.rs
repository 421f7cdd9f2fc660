//! The fast full-batch training step: the per-token table fold, the batch pass, the token
//! tables' gradient sums, the GEMMs and the scheduling of their work.
mod attention;
mod embed;
mod linalg;
mod mlp;
mod step;
mod token_sums;
mod unembed;

pub use step::{
    BLOCK, BlockRunner, BlockWork, GROUPS, OptimState, PieceWork, Serial, StepLayout, StepStats,
    Sums, evaluate, forward_logits, gradients, prepare, prepare_with, train_step,
};
