//! The compute kernels: one WGSL entry point each, with the shared declarations of
//! `common.wgsl`, and the workgroup sizes the recorder assumes.

pub(super) const TILE: usize = 16;
pub(super) const LOCAL: usize = 64;
/// Bytes per uniform block; a multiple of every adapter's uniform offset alignment (≤ 256).
pub(super) const SLOT: usize = 256;
pub(super) const SLOT_WORDS: usize = SLOT / 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Matmul,
    MatmulDirect,
    AttnScores,
    AttnBwd,
    Fold,
    CeGrad,
    TokSum,
    TokDq,
    TokDk,
    AdamW,
}

pub(super) const COMMON: &str = include_str!("../shaders/common.wgsl");

impl Kernel {
    pub(super) const ALL: [Kernel; 10] = [
        Kernel::Matmul,
        Kernel::MatmulDirect,
        Kernel::AttnScores,
        Kernel::AttnBwd,
        Kernel::Fold,
        Kernel::CeGrad,
        Kernel::TokSum,
        Kernel::TokDq,
        Kernel::TokDk,
        Kernel::AdamW,
    ];

    pub(super) fn source(self) -> (&'static str, &'static str) {
        match self {
            Kernel::Matmul => (include_str!("../shaders/matmul.wgsl"), "matmul"),
            Kernel::MatmulDirect => (include_str!("../shaders/matmul.wgsl"), "matmul_direct"),
            Kernel::AttnScores => (include_str!("../shaders/attention.wgsl"), "attn_scores"),
            Kernel::AttnBwd => (include_str!("../shaders/attention.wgsl"), "attn_bwd"),
            Kernel::Fold => (include_str!("../shaders/fold.wgsl"), "fold"),
            Kernel::CeGrad => (include_str!("../shaders/loss.wgsl"), "ce_grad"),
            Kernel::TokSum => (include_str!("../shaders/tokens.wgsl"), "tok_sum"),
            Kernel::TokDq => (include_str!("../shaders/tokens.wgsl"), "tok_dq"),
            Kernel::TokDk => (include_str!("../shaders/tokens.wgsl"), "tok_dk"),
            Kernel::AdamW => (include_str!("../shaders/adamw.wgsl"), "adamw"),
        }
    }
}
