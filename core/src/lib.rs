//! # modgrok-core
//!
//! The `no_std`, allocation-free reference of modgrok: the one-layer transformer of
//! "Interpreting Grokked Transformers in Complex Modular Arithmetic", its analytic backward,
//! AdamW, the tasks and splits of the reference code, the mod-p Fourier analysis, and a
//! fixed-point inference path for embedding a trained model ([`quant`]).
//! Every buffer belongs to the caller; every reduction has one order, defined here (SPEC §6).
#![no_std]
#![forbid(unsafe_code)]

pub mod adamw;
pub mod data;
mod error;
mod exp;
pub mod fourier;
pub mod grokfast;
mod limits;
pub mod model;
pub mod quant;
mod real;

pub use error::Error;
pub use limits::MAX_TASKS;
pub use real::Real;
