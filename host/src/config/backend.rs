//! Where a run's step runs (`--backend`): plain data of the config; the steps themselves are in
//! the trainer.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// core on rayon threads: the same bits on every machine and thread count
    #[default]
    Cpu,
    /// wgpu compute shaders (Vulkan, Metal, DX12): close to core, the same bits on one adapter
    Gpu,
}

impl Backend {
    pub fn is_cpu(&self) -> bool {
        *self == Backend::Cpu
    }
}
