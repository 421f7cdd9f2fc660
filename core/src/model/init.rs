use super::config::ModelConfig;
use crate::Error;

/// SplitMix64 (Steele, Lea, Flood 2014): the in-core generator behind every initial weight.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub const fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: 53 random bits.
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A pair of independent N(0, 1) samples by Box–Muller:
    /// `√(−2 ln u₁)·(cos 2πu₂, sin 2πu₂)`.
    pub fn next_normal_pair(&mut self) -> (f64, f64) {
        let u1 = self.next_open01();
        let u2 = self.next_open01();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let theta = 2.0 * core::f64::consts::PI * u2;
        (r * libm::cos(theta), r * libm::sin(theta))
    }
}

/// Fills `params` with the SPEC §3 init: tensor by tensor in layout order, each element
/// `σ · N(0, 1)` computed in f64 and rounded to f32, normals drawn in Box–Muller pairs from
/// `SplitMix64::new(seed)`. The same seed gives the same bytes on every platform.
pub fn init_params(cfg: &ModelConfig, seed: u64, params: &mut [f32]) -> Result<(), Error> {
    cfg.validate()?;
    let n = cfg.n_params();
    if params.len() < n {
        return Err(Error::BufferTooSmall {
            need: n,
            got: params.len(),
        });
    }
    let mut rng = SplitMix64::new(seed);
    let mut spare: Option<f64> = None;
    for t in cfg.tensors() {
        for w in &mut params[t.range()] {
            let z = match spare.take() {
                Some(z) => z,
                None => {
                    let (a, b) = rng.next_normal_pair();
                    spare = Some(b);
                    a
                }
            };
            *w = (t.init_std * z) as f32;
        }
    }
    Ok(())
}
