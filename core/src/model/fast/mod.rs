//! The full-batch training step (SPEC §3, §4, §6), split into phases so that any backend can run
//! the work its own way and still reproduce core bit for bit:
//!
//! 1. [`prepare`]: per-token tables, once per step. With the embedding `e[t]` and the head
//!    outputs `o[t][h] = W_O[:, h] v[t][h]`, the residual at position 2 is `r = e[t2] + Σ a·o`,
//!    so every linear map `W_X` of r is a mix of the same map of e's and o's rows: the tables
//!    `p = [W_in e; W_in o]` and `l = [W_U^T e; W_U^T o]` and the neuron-logit map
//!    `W_U^T W_out` replace the per-example products with `W_in`, `W_out` and `W_U` (about half
//!    the FLOPs of the step). The o rows are `(W_X W_O[:, h]) v[t][h]`, through the head-output
//!    maps `W_in W_O` and `W_U^T W_O`, so o itself is never formed.
//! 2. The examples in [`GROUPS`] groups of consecutive examples: forward, loss and backward of
//!    each group (in chunks of [`BLOCK`]) into a zeroed partial (the neuron-logit map's and q's
//!    and k's gradient sums); each example's dlogits, dm_pre and attention weights are kept in
//!    the group's region of [`Sums::kept`]. Groups are independent; a [`BlockRunner`] decides
//!    where they run.
//! 3. The partials are added into one accumulator in group order `((0 + p₀) + p₁) + …`; the token
//!    tables' gradient sums, which have the same group order, run token by token over the kept
//!    values (`token_sums`), so that each of their rows is written once.
//! 4. The per-token sums become weight gradients by GEMMs over the token tables and the
//!    head-output maps ([`gradients`] does 2–4).
//! 5. the optional Grokfast filter ([`grokfast_step`](crate::grokfast::grokfast_step)), then
//!    [`adamw_step`](crate::adamw::adamw_step).
//!
//! The once-per-step GEMMs of 1 and 4 may be cut into row chunks run anywhere ([`prepare_with`],
//! [`gradients`]): each output element is one sum in a fixed order, whatever the cut.
mod attention;
mod batch;
mod embed;
mod gradients;
mod layout;
mod linalg;
mod mlp;
mod prepare;
mod runner;
mod step;
mod token_sums;
mod unembed;

pub use batch::{evaluate, forward_logits};
pub use gradients::{Sums, gradients};
pub use layout::{BLOCK, GROUPS, StepLayout};
pub use prepare::{prepare, prepare_with};
pub use runner::{BlockRunner, BlockWork, PieceWork, Serial};
pub use step::{OptimState, StepStats, train_step, train_step_filtered};
