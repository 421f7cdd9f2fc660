//! Tasks, tokens and the reference split (SPEC §1–2).

mod expr;
mod mt19937;
mod ops;
mod split;
mod tasks;

pub use expr::{Polynomial, Term};
pub use mt19937::Mt19937;
pub use ops::{ALL_OPS, Category, Filter, NamedOp, Op, Symbol, parse_op};
pub use split::{Pairs, n_pairs, n_train, split_pairs, validate_p};
pub use tasks::{Task, Tasks};

/// Highest total degree an expression may have.
pub const MAX_DEGREE: u32 = 8;
/// Most terms an expression may have.
pub const MAX_TERMS: usize = 16;

/// One example: input `[x, op token, y]` (context length 3), label `f(x, y) mod p`, and the
/// index of its task in the mixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Example {
    pub tokens: [u16; 3],
    pub label: u16,
    pub task: u8,
}
