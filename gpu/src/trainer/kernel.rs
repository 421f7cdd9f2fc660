//! The compute kernels: one WGSL entry point each, with the shared declarations of
//! `common.wgsl`, and the workgroup sizes the recorder assumes.

/// The side of the C tile of one workgroup of the tiled matmul.
pub(super) const TILE: usize = 64;
pub(super) const LOCAL: usize = 64;
/// Bytes per uniform block; a multiple of every adapter's uniform offset alignment (≤ 256).
pub(super) const SLOT: usize = 256;
pub(super) const SLOT_WORDS: usize = SLOT / 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Matmul,
    MatmulDirect,
    MatmulSum,
    AttnScores,
    AttnBwd,
    AttnBwdDirect,
    Fold,
    CeGrad,
    TokSumPart,
    TokQkPart,
    TokReduce,
    AdamW,
}

pub(super) const COMMON: &str = include_str!("../shaders/common.wgsl");

impl Kernel {
    pub(super) const ALL: [Kernel; 12] = [
        Kernel::Matmul,
        Kernel::MatmulDirect,
        Kernel::MatmulSum,
        Kernel::AttnScores,
        Kernel::AttnBwd,
        Kernel::AttnBwdDirect,
        Kernel::Fold,
        Kernel::CeGrad,
        Kernel::TokSumPart,
        Kernel::TokQkPart,
        Kernel::TokReduce,
        Kernel::AdamW,
    ];

    pub(super) fn source(self) -> (&'static str, &'static str) {
        match self {
            Kernel::Matmul => (include_str!("../shaders/matmul.wgsl"), "matmul"),
            Kernel::MatmulDirect => (include_str!("../shaders/matmul.wgsl"), "matmul_direct"),
            Kernel::MatmulSum => (include_str!("../shaders/matmul.wgsl"), "matmul_sum"),
            Kernel::AttnScores => (include_str!("../shaders/attention.wgsl"), "attn_scores"),
            Kernel::AttnBwd => (include_str!("../shaders/attention.wgsl"), "attn_bwd"),
            Kernel::AttnBwdDirect => (include_str!("../shaders/attention.wgsl"), "attn_bwd_direct"),
            Kernel::Fold => (include_str!("../shaders/fold.wgsl"), "fold"),
            Kernel::CeGrad => (include_str!("../shaders/loss.wgsl"), "ce_grad"),
            Kernel::TokSumPart => (include_str!("../shaders/tokens.wgsl"), "tok_sum_part"),
            Kernel::TokQkPart => (include_str!("../shaders/tokens.wgsl"), "tok_qk_part"),
            Kernel::TokReduce => (include_str!("../shaders/tokens.wgsl"), "tok_reduce"),
            Kernel::AdamW => (include_str!("../shaders/adamw.wgsl"), "adamw"),
        }
    }
}
