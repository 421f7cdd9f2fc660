//! The training step of one run (SPEC §4): the examples it sees, the batch blocks on rayon
//! threads in core's order, and the backend (core on the CPU or modgrok-gpu) that runs it.
pub mod backend;
pub mod dataset;
pub mod huge;
pub mod parallel;
