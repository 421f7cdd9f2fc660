//! The Fourier progress measures logged at every metrics row (SPEC §5, §7): FFS and FCR of the
//! embedding and of the neuron-logit map, and the embedding's FFS in the multiplicative basis.
use modgrok_core::fourier::{
    Basis, MultBasis, embedding_spectrum, exp_table_len, fcr, ffs, log_table_len,
    mult_embedding_spectrum, mult_ffs, mult_spectrum_len, mult_twiddles_len, neuron_logit_map,
    neuron_logit_map_len, neuron_logit_spectrum, spectrum_len, twiddles_len,
};
use modgrok_core::model::{ModelConfig, Weights};

use crate::error::HostError;
use crate::run::metrics::{Columns, FourierMeasures};

/// Computes [`FourierMeasures`] from a parameter slice. Built once per run: the twiddle table,
/// the spectrum buffers and the `[p, d_mlp]` neuron-logit map are allocated in [`Self::new`] and
/// reused at every logged step.
///
/// Cost per call at the paper's size (p = 97, d_model 128, d_mlp 512): the neuron-logit map is
/// p·d_model·d_mlp ≈ 6.4 M multiply-adds and the three spectra are O(p²·(d_model + d_mlp)), a
/// few milliseconds in all, against ~100 logged steps of training at ≥ 50 ms each
/// (`cargo run --release --example fourier_overhead` measures both).
///
/// Every value is a pure function of the parameters, computed in core's fixed order on the
/// calling thread, so the columns are the same bytes for any thread count and after a resume.
pub struct FourierProbe {
    model: ModelConfig,
    p: usize,
    eps: f64,
    twiddles: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    w_l: Vec<f32>,
    mult: Option<MultBuffers>,
}

/// The buffers of the multiplicative basis and its spectrum.
struct MultBuffers {
    twiddles: Vec<f64>,
    log: Vec<u16>,
    exp: Vec<u16>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
}

impl FourierProbe {
    /// A probe for models of this config whose number tokens are `0..p` (also in a mixture,
    /// where the op tokens follow them), with FFS threshold `eps`, measuring every column of a
    /// new run.
    pub fn new(model: &ModelConfig, p: usize, eps: f64) -> Result<Self, HostError> {
        Self::with_columns(model, p, eps, Columns::CURRENT)
    }

    /// [`Self::new`] measuring only the optional `columns` a run has.
    pub fn with_columns(
        model: &ModelConfig,
        p: usize,
        eps: f64,
        columns: Columns,
    ) -> Result<Self, HostError> {
        model.validate()?;
        if p > model.d_vocab {
            return Err(modgrok_core::Error::BadDims.into());
        }
        let mut twiddles = vec![0.0; twiddles_len(p)];
        Basis::new(p, &mut twiddles)?;
        let nk = spectrum_len(p);
        let mult = if columns.emb_ffs_mult {
            let mut m = MultBuffers {
                twiddles: vec![0.0; mult_twiddles_len(p)],
                log: vec![0; log_table_len(p)],
                exp: vec![0; exp_table_len(p)],
                alpha: vec![0.0; mult_spectrum_len(p)],
                beta: vec![0.0; mult_spectrum_len(p)],
            };
            MultBasis::new(p, &mut m.twiddles, &mut m.log, &mut m.exp)?;
            Some(m)
        } else {
            None
        };
        Ok(FourierProbe {
            model: *model,
            p,
            eps,
            twiddles,
            alpha: vec![0.0; nk],
            beta: vec![0.0; nk],
            w_l: vec![0.0; neuron_logit_map_len(p, model.d_mlp)],
            mult,
        })
    }

    /// The ε of the FFS values.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// FFS and FCR of `params` (core's flat layout, at least `n_params` long).
    pub fn measure(&mut self, params: &[f32]) -> Result<FourierMeasures, HostError> {
        let m = &self.model;
        if params.len() < m.n_params() {
            return Err(modgrok_core::Error::BufferTooSmall {
                need: m.n_params(),
                got: params.len(),
            }
            .into());
        }
        // `Basis` is a view of a filled table and core has no constructor from one already
        // filled, so this rewrites the same 2p values in place (K + 1 libm calls each).
        let basis = Basis::new(self.p, &mut self.twiddles)?;
        let w = Weights::split(m, params);
        let (a, b) = (&mut self.alpha, &mut self.beta);
        embedding_spectrum(basis, w.w_e, m.d_model, m.d_vocab, a, b)?;
        let (emb_ffs, emb_fcr) = (ffs(a, b, self.eps)?, fcr(a, b)?);
        neuron_logit_map(
            self.p,
            w.w_u,
            w.w_out,
            m.d_model,
            m.d_vocab,
            m.d_mlp,
            &mut self.w_l,
        )?;
        neuron_logit_spectrum(basis, &self.w_l, m.d_mlp, a, b)?;
        let (nlm_ffs, nlm_fcr) = (ffs(a, b, self.eps)?, fcr(a, b)?);
        let emb_ffs_mult = match &mut self.mult {
            Some(mb) => {
                // Rebuilt in place for the same reason as `basis`: the same tables every call.
                let basis = MultBasis::new(self.p, &mut mb.twiddles, &mut mb.log, &mut mb.exp)?;
                let (a, b) = (&mut mb.alpha, &mut mb.beta);
                mult_embedding_spectrum(basis, w.w_e, m.d_model, m.d_vocab, a, b)?;
                Some(mult_ffs(a, b, self.eps)?)
            }
            None => None,
        };
        Ok(FourierMeasures {
            emb_ffs,
            emb_fcr,
            nlm_ffs,
            nlm_fcr,
            emb_ffs_mult,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modgrok_core::model::{Param, init_params};

    fn model(p: usize) -> ModelConfig {
        ModelConfig {
            d_vocab: p + 5,
            d_model: 8,
            n_heads: 2,
            d_head: 4,
            d_mlp: 16,
        }
    }

    #[test]
    fn a_single_cosine_embedding_has_ffs_one_over_2k_and_fcr_zero() {
        let p = 11;
        let cfg = model(p);
        let mut params = vec![0.0f32; cfg.n_params()];
        init_params(&cfg, 1, &mut params).unwrap();
        let we = cfg.tensor(Param::WE);
        // W_E[c, x] = cos(2π·3x/p) in every row: only c_3 is present.
        for c in 0..cfg.d_model {
            for x in 0..p {
                let v = (2.0 * std::f64::consts::PI * 3.0 * x as f64 / p as f64).cos();
                params[we.offset + c * cfg.d_vocab + x] = v as f32;
            }
        }
        let mut probe = FourierProbe::new(&cfg, p, 0.1).unwrap();
        let m = probe.measure(&params).unwrap();
        // One cosine family member of 2K = 10 counts; the sine family is all zero (contributes
        // 0); FCR: k = 3 is cosine-only (0), the other 4 frequencies have neither (1 each).
        assert_eq!(m.emb_ffs, 1.0 / 10.0);
        assert_eq!(m.emb_fcr, 4.0 / 5.0);
        assert!((0.0..=1.0).contains(&m.nlm_ffs) && (0.0..=1.0).contains(&m.nlm_fcr));
        // Same parameters, same bits: the probe keeps no state between calls.
        assert_eq!(probe.measure(&params).unwrap(), m);
    }

    #[test]
    fn random_init_is_dense_and_balanced() {
        let p = 23;
        let cfg = model(p);
        let mut params = vec![0.0f32; cfg.n_params()];
        init_params(&cfg, 0, &mut params).unwrap();
        let m = FourierProbe::new(&cfg, p, 0.1)
            .unwrap()
            .measure(&params)
            .unwrap();
        assert!(m.emb_ffs > 0.7, "{m:?}");
        assert!(m.emb_fcr > 0.3 && m.emb_fcr < 1.0, "{m:?}");
        assert!(m.nlm_ffs > 0.7, "{m:?}");
        assert!(m.emb_ffs_mult.is_some_and(|v| v > 0.7), "{m:?}");
    }

    #[test]
    fn a_multiplicative_cosine_embedding_is_sparse_in_emb_ffs_mult_only() {
        let p = 11;
        let cfg = model(p);
        let mut params = vec![0.0f32; cfg.n_params()];
        init_params(&cfg, 1, &mut params).unwrap();
        let we = cfg.tensor(Param::WE);
        // W_E[c, x] = cos(2π·2·log_2(x)/10) for x = 1..p (2 is the primitive root of 11).
        let mut log = [0usize; 11];
        let mut x = 1;
        for i in 0..p - 1 {
            log[x] = i;
            x = x * 2 % p;
        }
        for c in 0..cfg.d_model {
            for x in 1..p {
                let v = (2.0 * std::f64::consts::PI * 2.0 * log[x] as f64 / 10.0).cos();
                params[we.offset + c * cfg.d_vocab + x] = v as f32;
            }
        }
        let m = FourierProbe::new(&cfg, p, 0.1)
            .unwrap()
            .measure(&params)
            .unwrap();
        // One cosine of the 2K − 1 = 9 multiplicative basis functions; additively every cosine
        // (the character of an even k is even in x, as −1 = 2^5, so there are no sines).
        assert_eq!(m.emb_ffs_mult, Some(1.0 / 9.0));
        assert_eq!(m.emb_ffs, 0.5, "{m:?}");
        let old = FourierProbe::with_columns(
            &cfg,
            p,
            0.1,
            Columns {
                emb_ffs_mult: false,
            },
        )
        .unwrap()
        .measure(&params)
        .unwrap();
        assert_eq!(
            old,
            FourierMeasures {
                emb_ffs_mult: None,
                ..m
            }
        );
    }
}
