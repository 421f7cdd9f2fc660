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
    /// Use the kernels for CPU adapters (`matmul_direct`, `attn_bwd_direct`), which add in the
    /// same orders as the others without workgroup memory.
    pub(super) direct: bool,
    /// Runs stepped by each dispatch: the grid's z is multiplied by it (common.wgsl's `R`).
    pub(super) runs: usize,
    /// Offset of the scratch region that split products keep their slices in.
    pub(super) split_scratch: usize,
    /// The most floats of that region one split product needs (S·m·n), over those recorded.
    pub(super) split_need: usize,
}

/// The most terms of one product ([`Recorder::products`]): its uniform block holds five.
pub(super) const MAX_TERMS: usize = 5;

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
    pub(super) fn matmul(
        &mut self,
        ops: &mut Vec<Op>,
        [m, n, kd, batch]: [usize; 4],
        a: View,
        b: View,
        c: View,
        epi: Epilogue,
    ) {
        self.products(ops, [m, n, batch], &[(a, b, kd)], c, epi);
    }

    /// `C[b] = epilogue(Σ_s A_s[b] B_s[b])` over up to [`MAX_TERMS`] terms `(A_s, B_s, k_s)`,
    /// one product whose k is the terms' k's one after the other: each element sums term 0's
    /// k in order, then term 1's, and so on, into one accumulator.
    ///
    /// A product of one batch with few C tiles and a long k ([`split_k`]) is cut into S slices
    /// of that k: slice s's sums go to `Recorder::split_scratch` [S, m, n], and a second
    /// dispatch adds the slices in order (`((0 + P₀) + P₁) + …`) and applies the epilogue. The
    /// cut depends only on (m, n, k), so a run's sums do not depend on the runs beside it or on
    /// the matmul kernel.
    pub(super) fn products(
        &mut self,
        ops: &mut Vec<Op>,
        [m, n, batch]: [usize; 3],
        terms: &[(View, View, usize)],
        c: View,
        epi: Epilogue,
    ) {
        assert!(
            (1..=MAX_TERMS).contains(&terms.len()),
            "a product of 1 to {MAX_TERMS} terms"
        );
        let (mode, x) = match epi {
            Epilogue::Store => (0, c),
            Epilogue::Add(x) => (2, x),
            Epilogue::Mask(x) => (3, x),
        };
        let kd: usize = terms.iter().map(|t| t.2).sum();
        let slices = if batch == 1 { split_k(m, n, kd) } else { 1 };
        // matmul.wgsl's `Mm`: m n k mode | c c_i c_j c_b | x x_i x_j x_b | kt segs - - |
        // ends[4] | seg[5] of a a_i a_k a_b b b_k b_j b_b.
        let mut words = [0; SLOT_WORDS];
        words[..4].copy_from_slice(&[m, n, kd, mode]);
        words[13] = terms.len();
        let mut end = 0;
        for (s, &(a, b, k)) in terms.iter().enumerate() {
            end += k;
            if s < 4 {
                words[16 + s] = end;
            }
            words[20 + 8 * s..28 + 8 * s]
                .copy_from_slice(&[a.off, a.s0, a.s1, a.sb, b.off, b.s0, b.s1, b.sb]);
        }
        if slices > 1 {
            let ks = kd.div_ceil(slices);
            // No empty last slice.
            let slices = kd.div_ceil(ks);
            let part = self.split_scratch;
            self.split_need = self.split_need.max(slices * m * n);
            words[2] = ks;
            words[4..12].copy_from_slice(&[part, n, 1, m * n, part, n, 1, m * n]);
            words[3] = 0;
            words[12] = kd;
            self.product([m, n, slices], &words, ops);
            let mut sum = [0; 24];
            sum[..4].copy_from_slice(&[m, n, slices, mode]);
            sum[4..12].copy_from_slice(&[c.off, c.s0, c.s1, c.sb, x.off, x.s0, x.s1, x.sb]);
            sum[20] = part;
            self.flat(ops, Kernel::MatmulSum, &sum, m * n);
        } else {
            words[4..12].copy_from_slice(&[c.off, c.s0, c.s1, c.sb, x.off, x.s0, x.s1, x.sb]);
            self.product([m, n, batch], &words, ops);
        }
    }

    /// One matmul dispatch of the uniform block `words` over `batch` C's (or slices of k).
    fn product(&mut self, [m, n, batch]: [usize; 3], words: &[usize], ops: &mut Vec<Op>) {
        if self.direct {
            let groups = [n.div_ceil(32), m.div_ceil(32), batch];
            self.push(Kernel::MatmulDirect, words, groups, ops);
        } else {
            let groups = [n.div_ceil(TILE), m.div_ceil(TILE), batch];
            self.push(Kernel::Matmul, words, groups, ops);
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
