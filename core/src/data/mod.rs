//! Tasks, tokens and the reference split (SPEC §1–2).

/// Highest total degree an expression may have.
pub const MAX_DEGREE: u32 = 8;
/// Most terms an expression may have.
pub const MAX_TERMS: usize = 16;
