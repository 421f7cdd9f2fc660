//! [`QuantModel`]: a checked view of a fixed-point model file, read in place. The byte layout
//! is [`super::format`]'s.
use super::format::{CHECKSUM_AT, FIELDS_AT, MAGIC, WEIGHT_FRAC_BITS, file_len, fnv1a, n_weights};
use crate::Error;
use crate::model::ModelConfig;

pub use super::format::{HEADER_LEN, VERSION};

/// A model file checked and cut into its tensors, borrowing the bytes (from flash,
/// `include_bytes!`, or a caller buffer): nothing is copied. Each tensor is row-major I4F12 as
/// little-endian i16, in the shapes of the table in [`crate::quant::format`].
#[derive(Debug, Clone, Copy)]
pub struct QuantModel<'a> {
    pub(super) cfg: ModelConfig,
    pub(super) p: u16,
    /// `1/√d_head` as I16F16 bits.
    pub(super) inv_sqrt_d_head: i32,
    pub(super) w_e_t: &'a [u8],
    pub(super) w_q: &'a [u8],
    pub(super) w_k: &'a [u8],
    pub(super) w_v: &'a [u8],
    pub(super) w_o: &'a [u8],
    pub(super) w_in: &'a [u8],
    pub(super) w_out: &'a [u8],
    pub(super) w_u_t: &'a [u8],
}

impl<'a> QuantModel<'a> {
    /// Checks the magic, version, weight format, dims, p, exact length and checksum of a file
    /// [`crate::quant::quantise`] wrote; any damage is [`Error::BadModelFile`].
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        let bad = |reason| Error::BadModelFile { reason };
        if bytes.len() < HEADER_LEN {
            return Err(bad("shorter than its header"));
        }
        if bytes[..FIELDS_AT] != MAGIC {
            return Err(bad("no MGQF magic"));
        }
        let field =
            |i: usize| u16::from_le_bytes([bytes[FIELDS_AT + 2 * i], bytes[FIELDS_AT + 1 + 2 * i]]);
        if field(0) != VERSION {
            return Err(bad("format version is not 1"));
        }
        if field(1) as u32 != WEIGHT_FRAC_BITS {
            return Err(bad("weights are not I4F12"));
        }
        let p = field(2);
        let cfg = ModelConfig {
            d_vocab: field(3) as usize,
            d_model: field(4) as usize,
            n_heads: field(5) as usize,
            d_head: field(6) as usize,
            d_mlp: field(7) as usize,
        };
        cfg.validate().map_err(|_| bad("inconsistent dimensions"))?;
        if p < 2 || p as usize >= cfg.d_vocab {
            return Err(bad("p does not fit the vocabulary"));
        }
        // In u64: with five u16 dims the length can exceed a 32-bit usize.
        let (v, d, hd, m) = (
            cfg.d_vocab as u64,
            cfg.d_model as u64,
            (cfg.n_heads * cfg.d_head) as u64,
            cfg.d_mlp as u64,
        );
        let need = HEADER_LEN as u64 + 2 * (2 * v * d + 4 * hd * d + 2 * m * d);
        if bytes.len() as u64 != need {
            return Err(bad("length does not match its dimensions"));
        }
        debug_assert_eq!(bytes.len(), file_len(&cfg));
        let body = &bytes[HEADER_LEN..];
        let sum = u32::from_le_bytes(bytes[CHECKSUM_AT..HEADER_LEN].try_into().expect("4 bytes"));
        if fnv1a(body) != sum {
            return Err(bad("checksum mismatch: the file is damaged"));
        }
        let (v, d, hd, m) = (
            cfg.d_vocab,
            cfg.d_model,
            cfg.n_heads * cfg.d_head,
            cfg.d_mlp,
        );
        let mut rest = body;
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(2 * n);
            rest = tail;
            head
        };
        let model = QuantModel {
            cfg,
            p,
            inv_sqrt_d_head: inv_sqrt_q16(cfg.d_head as u64),
            w_e_t: take(v * d),
            w_q: take(hd * d),
            w_k: take(hd * d),
            w_v: take(hd * d),
            w_o: take(d * hd),
            w_in: take(m * d),
            w_out: take(d * m),
            w_u_t: take(v * d),
        };
        debug_assert_eq!(2 * n_weights(&cfg), body.len());
        Ok(model)
    }

    /// The model's dimensions.
    pub fn config(&self) -> ModelConfig {
        self.cfg
    }

    /// The modulus of its task: number tokens are `0..p`.
    pub fn p(&self) -> u32 {
        self.p as u32
    }
}

/// `round(2^16/√n)` (I16F16 bits of `1/√n`) for `1 ≤ n < 2^16`, in integers:
/// `⌊√⌊2^48/n⌋⌋ ≈ 2^24/√n`, rounded down by 8 bits.
fn inv_sqrt_q16(n: u64) -> i32 {
    let s = isqrt((1u64 << 48) / n);
    ((s + (1 << 7)) >> 8) as i32
}

/// `⌊√x⌋` by bisection.
fn isqrt(x: u64) -> u64 {
    let (mut lo, mut hi) = (0u64, 1u64 << 32);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if mid * mid <= x {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inv_sqrt_q16_is_within_one_step_of_libm() {
        for n in [1u64, 2, 3, 4, 8, 32, 97, 1000, 65535] {
            let want = 65536.0 / libm::sqrt(n as f64);
            let got = inv_sqrt_q16(n) as f64;
            assert!((got - want).abs() <= 1.0, "n = {n}: {got} vs {want}");
        }
    }
}
