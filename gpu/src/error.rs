//! What the gpu backend can fail at; each message is one line that says what to do.

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No wgpu adapter (Vulkan, Metal or DX12) could be opened on this machine.
    #[error(
        "no GPU adapter found ({0}): install a Vulkan driver (on Debian/Ubuntu `apt-get install mesa-vulkan-drivers` gives the lavapipe CPU adapter) or use --backend cpu"
    )]
    NoAdapter(String),

    /// The adapter was found but refused a device.
    #[error("the GPU adapter {adapter} refused a device ({reason}): use --backend cpu")]
    Device { adapter: String, reason: String },

    /// The run needs a larger buffer than the adapter allows.
    #[error(
        "the run needs a {need}-byte GPU buffer but adapter {adapter} allows {max}: lower --p, --d-model or --d-mlp, or use --backend cpu"
    )]
    TooLarge {
        adapter: String,
        need: u64,
        max: u64,
    },

    /// Waiting for the device or reading a buffer back failed (device lost, timeout).
    #[error(
        "the GPU adapter {adapter} failed while running ({reason}): rerun, or use --backend cpu"
    )]
    Lost { adapter: String, reason: String },

    /// A Grokfast filter the shaders do not have.
    #[error("--backend gpu has no Grokfast ma filter: use --grokfast ema there, or --backend cpu")]
    NoMaFilter,

    /// Runs that cannot share a batch, or a run index outside it.
    #[error("{0}")]
    Batch(String),

    /// Rejected by core's checks of the model, optimizer or examples.
    #[error("{0}")]
    Core(#[from] modgrok_core::Error),
}
