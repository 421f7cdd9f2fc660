//! The fixed limits that size core's arrays and bound what a task may be (SPEC §1). Errors
//! name them, so they live apart from the code that enforces them.

/// Most tasks one run can mix.
pub const MAX_TASKS: usize = 16;
/// Highest total degree an expression may have.
pub const MAX_DEGREE: u32 = 8;
/// Most terms an expression may have.
pub const MAX_TERMS: usize = 16;
/// Largest n a [`crate::fourier::CyclicBasis`] accepts (n < 2^16, as p − 1 for the primes the tasks allow).
pub const MAX_CYCLIC_N: usize = 65535;
