//! Tasks, tokens and the reference split (SPEC §1–2).

mod expr;
mod mt19937;
mod ops;
mod split;
mod tasks;

pub use crate::limits::{MAX_DEGREE, MAX_TERMS};
pub use expr::{Polynomial, Term};
pub use mt19937::Mt19937;
pub use ops::{ALL_OPS, Category, Filter, NamedOp, Op, Symbol, parse_op};
pub use split::{Pairs, n_pairs, n_train, split_pairs, validate_p};
pub use tasks::{Example, Task, Tasks};
