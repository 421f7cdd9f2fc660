//! Workspace root of modgrok. The code lives in `core/` (the no_std reference) and `host/` (the
//! `modgrok` CLI); this package owns the cross-crate tests in `tests/` and the benches in
//! `benches/`.
pub use modgrok_core as core;
