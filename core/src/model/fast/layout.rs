//! Where the step's buffers sit: the token cache ([`Cache`]), one chunk's activations, the
//! accumulator and a group's partial, and how the examples fall into groups and chunks.
use super::linalg::{aligned_len, carve_aligned, carve_aligned_mut, packed_a_len, packed_len};
use super::token_sums::{Kept, touches_len};
use crate::Error;
use crate::model::config::ModelConfig;

/// Examples per chunk: the activations of one chunk live in one `acts` buffer.
pub const BLOCK: usize = 64;

/// The examples are cut into at most this many groups of `⌈n / GROUPS⌉` consecutive examples,
/// the unit of the batch reduction and of parallel work (SPEC §6). A function of the example
/// count only, never of the thread count.
pub const GROUPS: usize = 8;

/// Buffer sizes of the step for one model config.
#[derive(Debug, Clone, Copy)]
pub struct StepLayout {
    pub cfg: ModelConfig,
}

impl StepLayout {
    pub fn new(cfg: &ModelConfig) -> Result<Self, Error> {
        cfg.validate()?;
        Ok(StepLayout { cfg: *cfg })
    }

    /// Rows of the token tables: d_vocab for e, then d_vocab · n_heads for o.
    fn n_x(&self) -> usize {
        self.cfg.d_vocab * (1 + self.cfg.n_heads)
    }

    /// Lengths of the cache's buffers ([`Cache`]).
    fn cache_parts(&self) -> Cache<usize> {
        let c = &self.cfg;
        let (v, d, hd, m, nx) = (
            c.d_vocab,
            c.d_model,
            c.n_heads * c.d_head,
            c.d_mlp,
            self.n_x(),
        );
        Cache {
            e: v * d,
            q: v * hd,
            k: v * hd,
            v: v * hd,
            w_in_t: d * m,
            w_u_t: v * d,
            p: nx * m,
            l: nx * v,
            neuron_logit_map: v * m,
            neuron_logit_map_t_packed: packed_len(m, v),
            neuron_logit_map_packed: packed_len(v, m),
            dv: v * hd,
            w_q_t: d * hd,
            w_k_t: d * hd,
            w_v_t: d * hd,
            w_o_t: hd * d,
            de_in: v * d,
            d_w_out_t: m * d,
            de: v * d,
            l_t: nx * v - v * v,
            p_t: nx * m - v * m,
            w_in_o_t: hd * m,
            w_in_o: m * hd,
            w_u_o_t: hd * v,
            w_u_o: v * hd,
            d_w_in_o_t: hd * m,
            d_w_u_o_t: hd * v,
            d_w_in_t: d * m,
            d_w_o_t: hd * d,
        }
    }

    /// Lengths of one chunk's activations ([`Acts`]).
    fn acts_parts(&self) -> Acts<usize> {
        let c = &self.cfg;
        let (v, m) = (c.d_vocab, c.d_mlp);
        let b = BLOCK;
        Acts {
            a: b * c.n_heads * 3,
            m: b * mh_ld(m),
            logits: b * v,
            dlogits: b * v,
            dm_pre: b * m,
            da: b * c.n_heads * 3,
            m_t_packed: packed_a_len(m, b),
        }
    }

    /// g [V, 1 + H, M], lg [V, 1 + H, V] (the token tables' sums, token-major, see
    /// `token_sums`), then the partial parts.
    pub(super) fn acc_parts(&self) -> [usize; 5] {
        let c = &self.cfg;
        let (v, m, nx) = (c.d_vocab, c.d_mlp, self.n_x());
        let [d_nlm_t, dq, dk] = self.partial_parts();
        [nx * m, nx * v, d_nlm_t, dq, dk]
    }

    /// d neuron_logit_map^T [M, V], dq, dk [V, H, d_head] (see `TokenGrads`).
    pub(super) fn partial_parts(&self) -> [usize; 3] {
        let c = &self.cfg;
        let (v, hd, m) = (c.d_vocab, c.n_heads * c.d_head, c.d_mlp);
        [m * v, v * hd, v * hd]
    }

    /// Length of the per-token sums that phases 2 and 3 add into.
    pub fn acc_len(&self) -> usize {
        aligned_len(&self.acc_parts())
    }

    /// Length of what the batch pass keeps of n examples for the token tables' sums: one
    /// `Kept` region per group.
    pub fn kept_len(&self, n: usize) -> usize {
        let (size, count) = groups(n);
        count * Kept::new(&self.cfg, size).group_len()
    }

    /// Length of the token-touch index of n examples (u32).
    pub fn touches_len(&self, n: usize) -> usize {
        touches_len(self.cfg.d_vocab, n)
    }

    /// Length of the per-step token cache.
    pub fn cache_len(&self) -> usize {
        aligned_len(&self.cache_parts().into_array())
    }

    /// Length of one chunk's activations.
    pub fn acts_len(&self) -> usize {
        aligned_len(&self.acts_parts().into_array())
    }

    /// Length of one group's partial sums.
    pub fn partial_len(&self) -> usize {
        aligned_len(&self.partial_parts())
    }

    /// Length of the single workspace that [`train_step`](super::train_step) carves up for
    /// `n_train` examples: cache, accumulator, gradients, one chunk's activations, one group's
    /// partial and what the batch pass keeps.
    pub fn workspace_len(&self, n_train: usize) -> usize {
        aligned_len(&[
            self.cache_len(),
            self.acc_len(),
            self.cfg.n_params(),
            self.acts_len(),
            self.partial_len(),
            self.kept_len(n_train),
        ])
    }
}

/// Row stride of a chunk's MLP activations m for d_mlp `m`: padded, so that a d_mlp of a large
/// power of two does not put the rows of a chunk in a few L1 sets for the GEMM that reads
/// them 5 at a time (`unembed_forward`).
pub(super) fn mh_ld(m: usize) -> usize {
    m + 16
}

/// The groups of `n` examples: `(group size, number of groups)`.
pub(super) fn groups(n: usize) -> (usize, usize) {
    let size = n.div_ceil(GROUPS).max(1);
    (size, n.div_ceil(size))
}

/// The per-step token cache: the token tables and the weights in the layouts the step reads
/// them in, then the gradients' workspace. V = d_vocab, D = d_model, H = n_heads, HD =
/// n_heads·d_head, M = d_mlp, n_x = V·(1 + H) rows of the token tables (e's, then o's). The
/// buffers sit in the cache in this order, each starting [`aligned`](super::linalg::aligned)
/// after the one before.
/// `S` is a length (the layout), `&[T]` or `&mut [T]` (a carved cache).
pub(super) struct Cache<S> {
    /// The embedding, one row per token: `e[t] = W_E[:, t]` [V, D].
    pub e: S,
    /// Per-token queries, keys and values `W_{Q,K,V} e[t]` [V, HD].
    pub q: S,
    pub k: S,
    pub v: S,
    /// `W_in^T` [D, M].
    pub w_in_t: S,
    /// `W_U^T` [V, D].
    pub w_u_t: S,
    /// The MLP's token table `p = [W_in e; W_in o]` [n_x, M].
    pub p: S,
    /// The unembedding's token table `l = [W_U^T e; W_U^T o]` [n_x, V].
    pub l: S,
    /// The neuron-logit map `W_U^T W_out` [V, M].
    pub neuron_logit_map: S,
    /// Its transpose, packed as `unembed_forward` reads it as B.
    pub neuron_logit_map_t_packed: S,
    /// The map packed as `unembed_backward` reads it as B.
    pub neuron_logit_map_packed: S,
    /// Gradient of the per-token values [V, HD].
    pub dv: S,
    /// `W_Q^T`, `W_K^T`, `W_V^T` [D, HD].
    pub w_q_t: S,
    pub w_k_t: S,
    pub w_v_t: S,
    /// `W_O^T` [HD, D].
    pub w_o_t: S,
    /// The embedding's gradient through the residual [V, D].
    pub de_in: S,
    /// `dW_out^T` [M, D].
    pub d_w_out_t: S,
    /// The embedding's gradient [V, D].
    pub de: S,
    /// The o part of l with the heads innermost, l_t [V, V, H].
    pub l_t: S,
    /// The o part of p with the heads innermost, p_t [V, M, H].
    pub p_t: S,
    /// The head-output maps `(W_in W_O)^T` [HD, M] and `W_in W_O` [M, HD].
    pub w_in_o_t: S,
    pub w_in_o: S,
    /// The head-output maps `(W_U^T W_O)^T` [HD, V] and `W_U^T W_O` [V, HD].
    pub w_u_o_t: S,
    pub w_u_o: S,
    /// The head-output maps' gradients, transposed: [HD, M] and [HD, V].
    pub d_w_in_o_t: S,
    pub d_w_u_o_t: S,
    /// `dW_in^T` [D, M].
    pub d_w_in_t: S,
    /// `dW_O^T` [HD, D].
    pub d_w_o_t: S,
}

/// Number of buffers in [`Cache`].
const CACHE_PARTS: usize = 29;

impl<S> Cache<S> {
    /// The buffers in cache order.
    fn from_array(parts: [S; CACHE_PARTS]) -> Self {
        let [
            e,
            q,
            k,
            v,
            w_in_t,
            w_u_t,
            p,
            l,
            neuron_logit_map,
            neuron_logit_map_t_packed,
            neuron_logit_map_packed,
            dv,
            w_q_t,
            w_k_t,
            w_v_t,
            w_o_t,
            de_in,
            d_w_out_t,
            de,
            l_t,
            p_t,
            w_in_o_t,
            w_in_o,
            w_u_o_t,
            w_u_o,
            d_w_in_o_t,
            d_w_u_o_t,
            d_w_in_t,
            d_w_o_t,
        ] = parts;
        Cache {
            e,
            q,
            k,
            v,
            w_in_t,
            w_u_t,
            p,
            l,
            neuron_logit_map,
            neuron_logit_map_t_packed,
            neuron_logit_map_packed,
            dv,
            w_q_t,
            w_k_t,
            w_v_t,
            w_o_t,
            de_in,
            d_w_out_t,
            de,
            l_t,
            p_t,
            w_in_o_t,
            w_in_o,
            w_u_o_t,
            w_u_o,
            d_w_in_o_t,
            d_w_u_o_t,
            d_w_in_t,
            d_w_o_t,
        }
    }

    /// The buffers in cache order.
    fn into_array(self) -> [S; CACHE_PARTS] {
        [
            self.e,
            self.q,
            self.k,
            self.v,
            self.w_in_t,
            self.w_u_t,
            self.p,
            self.l,
            self.neuron_logit_map,
            self.neuron_logit_map_t_packed,
            self.neuron_logit_map_packed,
            self.dv,
            self.w_q_t,
            self.w_k_t,
            self.w_v_t,
            self.w_o_t,
            self.de_in,
            self.d_w_out_t,
            self.de,
            self.l_t,
            self.p_t,
            self.w_in_o_t,
            self.w_in_o,
            self.w_u_o_t,
            self.w_u_o,
            self.d_w_in_o_t,
            self.d_w_u_o_t,
            self.d_w_in_t,
            self.d_w_o_t,
        ]
    }
}

impl<'a, T> Cache<&'a [T]> {
    /// `cache` cut into its buffers.
    pub fn carve(lay: &StepLayout, cache: &'a [T]) -> Self {
        Cache::from_array(carve_aligned(cache, lay.cache_parts().into_array()))
    }
}

impl<'a, T> Cache<&'a mut [T]> {
    /// `cache` cut into its buffers.
    pub fn carve_mut(lay: &StepLayout, cache: &'a mut [T]) -> Self {
        Cache::from_array(carve_aligned_mut(cache, lay.cache_parts().into_array()))
    }
}

/// One chunk's activations, B = [`BLOCK`] examples, H = n_heads, M = d_mlp, V = d_vocab, in
/// this order, each starting [`aligned`](super::linalg::aligned) after the one before. `S` is
/// a length (the layout) or a `&mut [T]` (carved activations).
pub(super) struct Acts<S> {
    /// Attention weights of the last position [B, H, 3].
    pub a: S,
    /// The MLP's activations [B, M], rows [`mh_ld`] apart.
    pub m: S,
    /// Logits [B, V] and their gradient [B, V].
    pub logits: S,
    pub dlogits: S,
    /// Gradient of the MLP's pre-activations [B, M].
    pub dm_pre: S,
    /// Gradient of the attention weights [B, H, 3].
    pub da: S,
    /// `m^T` packed as the neuron-logit map's gradient reads it.
    pub m_t_packed: S,
}

impl<S> Acts<S> {
    fn into_array(self) -> [S; 7] {
        [
            self.a,
            self.m,
            self.logits,
            self.dlogits,
            self.dm_pre,
            self.da,
            self.m_t_packed,
        ]
    }
}

impl<'a, T> Acts<&'a mut [T]> {
    /// `acts` cut into its buffers.
    pub fn carve_mut(lay: &StepLayout, acts: &'a mut [T]) -> Self {
        let [a, m, logits, dlogits, dm_pre, da, m_t_packed] =
            carve_aligned_mut(acts, lay.acts_parts().into_array());
        Acts {
            a,
            m,
            logits,
            dlogits,
            dm_pre,
            da,
            m_t_packed,
        }
    }
}
