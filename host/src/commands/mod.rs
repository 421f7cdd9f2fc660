//! The verbs of `modgrok` besides `train`, each with its flags and its output.
pub mod export_fixed;
pub mod label_stats;
pub mod ops;
pub mod report_table;
pub mod sweep;
