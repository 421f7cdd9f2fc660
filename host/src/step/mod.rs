//! The training step of one run (SPEC §4): the examples it sees, the batch blocks on rayon
//! threads in core's order, and the backend (core on the CPU or modgrok-gpu) that runs it.
pub mod backend;
#[cfg(feature = "gpu")]
pub mod batch;
#[cfg(not(feature = "gpu"))]
pub mod batch {
    //! Without the `gpu` feature there is no GPU to batch runs on: this type has no values.
    #[derive(Debug)]
    pub enum GpuBatch {}
}
pub mod dataset;
pub mod huge;
pub mod parallel;
