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
    /// The first three uniform words (a product's m, n, k), for profiles.
    pub(super) head: [usize; 3],
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
    /// Offset of the [`SPLIT_SCRATCH`] floats that split products keep their slices in.
    pub(super) split_scratch: usize,
}

/// Floats of the scratch region of split products: S·m·n ≤ S·tiles·TILE² ≤ 256·TILE².
pub(super) const SPLIT_SCRATCH: usize = 256 * TILE * TILE;

/// Slices of k for a product of one batch: products with fewer than 128 C tiles of
/// [`TILE`]² and k of at least 256 are cut into slices of 128 or more, at most 256 tiles' worth
/// in all, so that a product of a long k and a small C (the neuron-logit map's gradient, a sum
/// over the examples) keeps more than a few workgroups busy. At p = 97, r = 0.3 that cuts the
/// examples' sum (k = 3121, 16 tiles) into 16 slices and four k = 512 products into 2 or 4.
pub(super) fn split_k(m: usize, n: usize, kd: usize) -> usize {
    let tiles = m.div_ceil(TILE) * n.div_ceil(TILE);
    if tiles >= 128 || kd < 256 {
        return 1;
    }
    (kd / 128).min(256 / tiles.max(1)).max(1)
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
        let mut head = [0; 3];
        for (h, &w) in head.iter_mut().zip(words) {
            *h = w;
        }
        ops.push(Op {
            kernel,
            slot,
            groups,
            head,
        });
    }

    /// `C[b, i, j] = epilogue(Σ_k A[b, i, k] B[b, k, j])` for i < m, j < n, k < kd, b < batch.
    ///
    /// A product of one batch with few C tiles and a long k ([`split_k`]) is cut into S slices
    /// of k: slice s's sums go to `Recorder::split_scratch` [S, m, n], and a second dispatch
    /// adds the slices in order (`((0 + P₀) + P₁) + …`) and applies the epilogue. The cut
    /// depends only on (m, n, kd), so a run's sums do not depend on the runs beside it or on
    /// the matmul kernel.
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
        let slices = if batch == 1 { split_k(m, n, kd) } else { 1 };
        if slices > 1 {
            let ks = kd.div_ceil(slices);
            // No empty last slice.
            let slices = kd.div_ceil(ks);
            let part = View {
                off: self.split_scratch,
                s0: n,
                s1: 1,
                sb: m * n,
            };
            let a = View { sb: ks * a.s1, ..a };
            let b = View { sb: ks * b.s0, ..b };
            self.product([m, n, ks, slices], a, b, part, (0, part), kd, ops);
            let words = [
                m, n, slices, mode, part.off, 0, 0, 0, 0, 0, 0, 0, c.off, c.s0, c.s1, c.sb, x.off,
                x.s0, x.s1, x.sb,
            ];
            self.flat(ops, Kernel::MatmulSum, &words, m * n);
        } else {
            self.product([m, n, kd, batch], a, b, c, (mode, x), 0, ops);
        }
    }

    /// One matmul dispatch; with `kt` > 0 the batch index is a slice of k, batch b summing
    /// `k = b·kd ..` up to `kt`.
    #[allow(clippy::too_many_arguments)]
    fn product(
        &mut self,
        [m, n, kd, batch]: [usize; 4],
        a: View,
        b: View,
        c: View,
        (mode, x): (usize, View),
        kt: usize,
        ops: &mut Vec<Op>,
    ) {
        let words = [
            m, n, kd, mode, a.off, a.s0, a.s1, a.sb, b.off, b.s0, b.s1, b.sb, c.off, c.s0, c.s1,
            c.sb, x.off, x.s0, x.s1, x.sb, kt,
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
