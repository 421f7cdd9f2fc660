//! The verbs of `modgrok`, each with its flags and what it prints.
pub mod analyze;
pub mod export_fixed;
pub mod label_stats;
pub mod ops;
pub mod report;
pub mod sweep;
pub mod train;
