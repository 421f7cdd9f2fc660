use crate::Error;

/// Dimensions of the one-layer model (SPEC §3). All are runtime values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelConfig {
    pub d_vocab: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_head: usize,
    pub d_mlp: usize,
}

/// The eight parameter tensors, in the order they sit in the flat parameter slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    WE = 0,
    WQ,
    WK,
    WV,
    WO,
    WIn,
    WOut,
    WU,
}

/// Number of parameter tensors.
pub const N_TENSORS: usize = 8;

impl Param {
    pub const ALL: [Param; N_TENSORS] = [
        Param::WE,
        Param::WQ,
        Param::WK,
        Param::WV,
        Param::WO,
        Param::WIn,
        Param::WOut,
        Param::WU,
    ];

    /// The tensor's name in a checkpoint, as in the reference state dict.
    pub const fn name(self) -> &'static str {
        match self {
            Param::WE => "embed.W_E",
            Param::WQ => "blocks.0.attn.W_Q",
            Param::WK => "blocks.0.attn.W_K",
            Param::WV => "blocks.0.attn.W_V",
            Param::WO => "blocks.0.attn.W_O",
            Param::WIn => "blocks.0.mlp.W_in",
            Param::WOut => "blocks.0.mlp.W_out",
            Param::WU => "unembed.W_U",
        }
    }
}

/// Where one tensor lives in the flat parameter slice, and its reference shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TensorInfo {
    pub param: Param,
    pub name: &'static str,
    pub offset: usize,
    /// Shape, outermost first; only the first `rank` entries are used.
    pub shape: [usize; 3],
    pub rank: usize,
    /// Standard deviation of the N(0, σ) init.
    pub init_std: f64,
}

impl TensorInfo {
    pub const fn len(&self) -> usize {
        let mut n = 1;
        let mut i = 0;
        while i < self.rank {
            n *= self.shape[i];
            i += 1;
        }
        n
    }

    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub const fn range(&self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

impl ModelConfig {
    /// The paper's model (d_model 128, 4 heads of 32, d_mlp 512) for a vocabulary.
    pub const fn paper(d_vocab: usize) -> Self {
        ModelConfig {
            d_vocab,
            d_model: 128,
            n_heads: 4,
            d_head: 32,
            d_mlp: 512,
        }
    }

    /// Every dimension positive and below 2^16, and `d_model = n_heads · d_head`.
    pub fn validate(&self) -> Result<(), Error> {
        let dims = [
            self.d_vocab,
            self.d_model,
            self.n_heads,
            self.d_head,
            self.d_mlp,
        ];
        if dims.iter().any(|&d| d == 0 || d >= 1 << 16)
            || self.n_heads.checked_mul(self.d_head) != Some(self.d_model)
        {
            return Err(Error::BadDims);
        }
        Ok(())
    }

    /// Shape, offset and init of one tensor.
    pub fn tensor(&self, param: Param) -> TensorInfo {
        self.tensors()[param as usize]
    }

    /// All tensors in layout order.
    pub fn tensors(&self) -> [TensorInfo; N_TENSORS] {
        let (v, d, h, dh, m) = (
            self.d_vocab,
            self.d_model,
            self.n_heads,
            self.d_head,
            self.d_mlp,
        );
        let sd_vocab = 1.0 / libm::sqrt(v as f64);
        let sd_model = 1.0 / libm::sqrt(d as f64);
        let spec: [([usize; 3], usize, f64); N_TENSORS] = [
            ([d, v, 0], 2, sd_vocab),
            ([h, dh, d], 3, sd_model),
            ([h, dh, d], 3, sd_model),
            ([h, dh, d], 3, sd_model),
            ([d, h * dh, 0], 2, sd_model),
            ([m, d, 0], 2, sd_model),
            ([d, m, 0], 2, sd_model),
            ([d, v, 0], 2, sd_model),
        ];
        let mut offset = 0;
        Param::ALL.map(|param| {
            let (shape, rank, init_std) = spec[param as usize];
            let info = TensorInfo {
                param,
                name: param.name(),
                offset,
                shape,
                rank,
                init_std,
            };
            offset += info.len();
            info
        })
    }

    /// Length of the flat parameter slice (and of gradients, m and v).
    pub fn n_params(&self) -> usize {
        let t = self.tensors();
        t[N_TENSORS - 1].offset + t[N_TENSORS - 1].len()
    }
}

/// The parameter slice cut into its eight named tensors.
pub struct Weights<'a, T> {
    pub w_e: &'a [T],
    pub w_q: &'a [T],
    pub w_k: &'a [T],
    pub w_v: &'a [T],
    pub w_o: &'a [T],
    pub w_in: &'a [T],
    pub w_out: &'a [T],
    pub w_u: &'a [T],
}

impl<'a, T> Weights<'a, T> {
    /// `params` must hold at least `cfg.n_params()` values.
    pub fn split(cfg: &ModelConfig, params: &'a [T]) -> Self {
        let t = cfg.tensors();
        let at = |p: Param| &params[t[p as usize].range()];
        Weights {
            w_e: at(Param::WE),
            w_q: at(Param::WQ),
            w_k: at(Param::WK),
            w_v: at(Param::WV),
            w_o: at(Param::WO),
            w_in: at(Param::WIn),
            w_out: at(Param::WOut),
            w_u: at(Param::WU),
        }
    }
}

/// Mutable counterpart of [`Weights`], for gradients.
pub struct WeightsMut<'a, T> {
    pub w_e: &'a mut [T],
    pub w_q: &'a mut [T],
    pub w_k: &'a mut [T],
    pub w_v: &'a mut [T],
    pub w_o: &'a mut [T],
    pub w_in: &'a mut [T],
    pub w_out: &'a mut [T],
    pub w_u: &'a mut [T],
}

impl<'a, T> WeightsMut<'a, T> {
    /// `grads` must hold at least `cfg.n_params()` values.
    pub fn split(cfg: &ModelConfig, grads: &'a mut [T]) -> Self {
        let t = cfg.tensors();
        let (w_e, rest) = grads.split_at_mut(t[1].offset);
        let (w_q, rest) = rest.split_at_mut(t[1].len());
        let (w_k, rest) = rest.split_at_mut(t[2].len());
        let (w_v, rest) = rest.split_at_mut(t[3].len());
        let (w_o, rest) = rest.split_at_mut(t[4].len());
        let (w_in, rest) = rest.split_at_mut(t[5].len());
        let (w_out, rest) = rest.split_at_mut(t[6].len());
        let w_u = &mut rest[..t[7].len()];
        WeightsMut {
            w_e,
            w_q,
            w_k,
            w_v,
            w_o,
            w_in,
            w_out,
            w_u,
        }
    }
}
