//! Dispatches recorded as kernel + uniform block before any GPU object exists: the
//! matmul with its epilogues, and the flat element-wise kernels.
use super::arena::View;
use super::kernel::{Kernel, LOCAL, SLOT_WORDS, TILE};

/// What the matmul kernel does with each accumulated value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Epilogue {
    Store,
    /// `C = X + acc`.
    Add(View),
    /// `C = acc` where `X > 0`, else 0 (ReLU's backward, X = the ReLU output).
    Mask(View),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Op {
    pub(super) kernel: Kernel,
    pub(super) slot: usize,
    pub(super) groups: [u32; 3],
}

/// Collects dispatches and their uniform blocks before any GPU object exists.
#[derive(Default)]
pub(super) struct Recorder {
    pub(super) words: Vec<u32>,
    /// A value or a workgroup count past what u32 or the adapter allows.
    pub(super) overflow: bool,
    /// Use `matmul_direct` instead of the tiled `matmul`.
    pub(super) direct: bool,
    /// Runs stepped by each dispatch: the grid's z is multiplied by it (common.wgsl's `R`).
    pub(super) runs: usize,
}

impl Recorder {
    pub(super) fn push(
        &mut self,
        kernel: Kernel,
        words: &[usize],
        groups: [usize; 3],
        ops: &mut Vec<Op>,
    ) {
        let slot = self.words.len() / SLOT_WORDS;
        let mut block = [0u32; SLOT_WORDS];
        for (w, &x) in block.iter_mut().zip(words) {
            *w = u32::try_from(x).unwrap_or_else(|_| {
                self.overflow = true;
                0
            });
        }
        self.words.extend_from_slice(&block);
        let groups = [groups[0], groups[1], groups[2] * self.runs.max(1)];
        let groups = groups.map(|g| {
            if g > 65_535 {
                self.overflow = true;
            }
            g.min(65_535) as u32
        });
        ops.push(Op {
            kernel,
            slot,
            groups,
        });
    }

    /// `C[b, i, j] = epilogue(Σ_k A[b, i, k] B[b, k, j])` for i < m, j < n, k < kd, b < batch.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn matmul(
        &mut self,
        ops: &mut Vec<Op>,
        [m, n, kd, batch]: [usize; 4],
        a: View,
        b: View,
        c: View,
        epi: Epilogue,
    ) {
        let (mode, x) = match epi {
            Epilogue::Store => (0, c),
            Epilogue::Add(x) => (2, x),
            Epilogue::Mask(x) => (3, x),
        };
        let words = [
            m, n, kd, mode, a.off, a.s0, a.s1, a.sb, b.off, b.s0, b.s1, b.sb, c.off, c.s0, c.s1,
            c.sb, x.off, x.s0, x.s1, x.sb,
        ];
        if self.direct {
            let groups = [n.div_ceil(32), m.div_ceil(32), batch];
            self.push(Kernel::MatmulDirect, &words, groups, ops);
        } else {
            let groups = [n.div_ceil(TILE), m.div_ceil(TILE), batch];
            self.push(Kernel::Matmul, &words, groups, ops);
        }
    }

    /// A one-dimensional kernel over `count` invocations.
    pub(super) fn flat(
        &mut self,
        ops: &mut Vec<Op>,
        kernel: Kernel,
        words: &[usize],
        count: usize,
    ) {
        let g = count.div_ceil(LOCAL).max(1);
        let gx = g.min(65_535);
        self.push(kernel, words, [gx, g.div_ceil(gx), 1], ops);
    }
}
