//! The forward pass of SPEC §3 in fixed point, at the last position only: with one layer and
//! only position 2 read, that needs `q` at position 2 and `k`, `v` at all three.
//!
//! Integers only: a weight (I4F12) times an activation (I16F16) is an exact i64 with 28 fraction
//! bits, a row sums those k ascending, and [`narrow`] rounds the sum to I16F16 (to nearest, ties
//! up) and saturates it. Saturation only matters for weights no trained model has; it keeps
//! every input, damaged or not, from overflowing.
use fixed::types::I16F16;

use super::file::QuantModel;
use super::format::{WEIGHT_FRAC_BITS, scratch_len};
use crate::Error;

/// `x` rounded right by `shift` bits (to nearest, ties toward +∞) and saturated to i32.
/// Needs `|x| < 2^62`.
#[inline(always)]
fn narrow(x: i64, shift: u32) -> i32 {
    let r = (x + (1i64 << (shift - 1))) >> shift;
    r.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// `a + b` saturated to i32.
#[inline(always)]
fn add_sat(a: i32, b: i32) -> i32 {
    a.saturating_add(b)
}

/// `y[r] = Σ_i W[r][i]·x[i]` for the `y.len()` rows of w (row-major I4F12 bytes, rows of
/// `x.len()`), rounded to I16F16. |W·x| < 2^15·2^31 and `x.len() < 2^16`, so the i64 sum
/// stays under 2^62.
fn matvec(w: &[u8], x: &[I16F16], y: &mut [I16F16]) {
    let n = x.len();
    for (row, out) in w.chunks_exact(2 * n).zip(y.iter_mut()) {
        let mut acc = 0i64;
        for (wb, xi) in row.chunks_exact(2).zip(x) {
            acc += i16::from_le_bytes([wb[0], wb[1]]) as i64 * xi.to_bits() as i64;
        }
        *out = I16F16::from_bits(narrow(acc, WEIGHT_FRAC_BITS));
    }
}

/// `Σ_i a[i]·b[i]` of two I16F16 vectors, each product rounded to I16F16 first so that a sum of
/// up to 2^16 terms stays under 2^62; saturated to I16F16.
fn dot_q16(a: &[I16F16], b: &[I16F16]) -> i32 {
    let mut acc = 0i64;
    for (x, y) in a.iter().zip(b) {
        let prod = x.to_bits() as i64 * y.to_bits() as i64;
        acc += (prod + (1 << 15)) >> 16;
    }
    acc.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// `log2 e`, `ln 2` and `1/k!` for k = 0..=7, in Q30.
const LOG2_E_Q30: i64 = 1_549_082_005;
const LN_2_Q30: i64 = 744_261_118;
const INV_FACT_Q30: [i64; 8] = [
    1_073_741_824,
    1_073_741_824,
    536_870_912,
    178_956_971,
    44_739_243,
    8_947_849,
    1_491_308,
    213_044,
];

/// `e^x` for `x ≤ 0` (a positive x counts as 0), in integers: `e^x = 2^n · 2^f` with
/// `n = ⌊x·log2 e⌋` and `f ∈ [0, 1)`; `2^f = e^{f·ln 2}` by its Taylor series to degree 7
/// (truncation < 1.4e-6 since `f·ln 2 < 0.7`) in Q30, then shifted by n and rounded. Within
/// 2^-16 of `e^x` (tested against libm).
pub fn exp_neg(x: I16F16) -> I16F16 {
    let x = x.to_bits().min(0) as i64;
    // Q16 · Q30 = Q46, floored to Q30; |x·log2 e| < 2^31·2^31.
    let y = (x * LOG2_E_Q30) >> 16;
    let n = y >> 30;
    if n < -40 {
        return I16F16::ZERO;
    }
    let f = y - (n << 30);
    let g = (f * LN_2_Q30) >> 30;
    let mut poly = INV_FACT_Q30[7];
    for &c in INV_FACT_Q30[..7].iter().rev() {
        poly = c + ((g * poly) >> 30);
    }
    let shift = (14 - n) as u32;
    I16F16::from_bits(((poly + (1i64 << (shift - 1))) >> shift) as i32)
}

impl QuantModel<'_> {
    /// The d_vocab logits (I16F16) at the last position of `tokens`, in the tail of `scratch`
    /// (at least [`scratch_len`] values):
    /// `x_s = W_E[:, t_s]`; per head `q = W_Q[h] x_2`, `k_s = W_K[h] x_s`, `v_s = W_V[h] x_s`,
    /// `a = softmax_s(q·k_s/√d_head)`, `z[h] = Σ_s a_s v_s`; `r = x_2 + W_O z`;
    /// `r' = r + W_out ReLU(W_in r)`; `logits = W_U^T r'`.
    pub fn forward<'s>(
        &self,
        tokens: [u16; 3],
        scratch: &'s mut [I16F16],
    ) -> Result<&'s [I16F16], Error> {
        let cfg = &self.cfg;
        let (d, h_n, dh, m_n, voc) = (cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp, cfg.d_vocab);
        let hd = h_n * dh;
        let need = scratch_len(cfg);
        if scratch.len() < need {
            return Err(Error::BufferTooSmall {
                need,
                got: scratch.len(),
            });
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= voc) {
            return Err(Error::BadToken {
                token: t as u32,
                d_vocab: voc,
            });
        }
        let (x, rest) = scratch[..need].split_at_mut(3 * d);
        let (q, rest) = rest.split_at_mut(hd);
        let (k, rest) = rest.split_at_mut(3 * hd);
        let (v, rest) = rest.split_at_mut(3 * hd);
        let (z, rest) = rest.split_at_mut(hd);
        let (r, rest) = rest.split_at_mut(d);
        let (m, logits) = rest.split_at_mut(m_n);

        let shift = 16 - WEIGHT_FRAC_BITS;
        for (s, &t) in tokens.iter().enumerate() {
            let row = &self.w_e_t[2 * t as usize * d..2 * (t as usize + 1) * d];
            for (xi, wb) in x[s * d..(s + 1) * d].iter_mut().zip(row.chunks_exact(2)) {
                *xi = I16F16::from_bits((i16::from_le_bytes([wb[0], wb[1]]) as i32) << shift);
            }
        }
        matvec(self.w_q, &x[2 * d..], q);
        for s in 0..3 {
            let xs = &x[s * d..(s + 1) * d];
            matvec(self.w_k, xs, &mut k[s * hd..(s + 1) * hd]);
            matvec(self.w_v, xs, &mut v[s * hd..(s + 1) * hd]);
        }

        for h in 0..h_n {
            let head = |s: usize| s * hd + h * dh..s * hd + (h + 1) * dh;
            let q_h = &q[h * dh..(h + 1) * dh];
            let mut score = [0i32; 3];
            for (s, sc) in score.iter_mut().enumerate() {
                let dot = dot_q16(q_h, &k[head(s)]) as i64;
                *sc = narrow(dot * self.inv_sqrt_d_head as i64, 16);
            }
            let mx = score[0].max(score[1]).max(score[2]);
            let e = score.map(|s| exp_neg(I16F16::from_bits(s.saturating_sub(mx))).to_bits());
            // e of the maximum is 1.0 = 2^16, so the sum is at least 2^16.
            let sum = e[0] as i64 + e[1] as i64 + e[2] as i64;
            let a = e.map(|ej| (((ej as i64) << 16) + sum / 2) / sum);
            for j in 0..dh {
                let mut acc = 0i64;
                for (s, &a_s) in a.iter().enumerate() {
                    acc += a_s * v[head(s)][j].to_bits() as i64;
                }
                z[h * dh + j] = I16F16::from_bits(narrow(acc, 16));
            }
        }

        matvec(self.w_o, z, r);
        for (ri, xi) in r.iter_mut().zip(&x[2 * d..]) {
            *ri = I16F16::from_bits(add_sat(ri.to_bits(), xi.to_bits()));
        }
        matvec(self.w_in, r, m);
        for mi in m.iter_mut() {
            *mi = I16F16::from_bits(mi.to_bits().max(0));
        }
        // r' = r + W_out m, with z (n_heads·d_head = d_model values) holding W_out m.
        let out = z;
        matvec(self.w_out, m, out);
        for (ri, oi) in r.iter_mut().zip(out.iter()) {
            *ri = I16F16::from_bits(add_sat(ri.to_bits(), oi.to_bits()));
        }
        matvec(self.w_u_t, r, logits);
        Ok(logits)
    }

    /// The answer token: the first maximum of [`QuantModel::forward`]'s logits over all
    /// d_vocab classes, as core's accuracy counts it.
    pub fn predict(&self, tokens: [u16; 3], scratch: &mut [I16F16]) -> Result<u16, Error> {
        let logits = self.forward(tokens, scratch)?;
        let mut best = 0;
        for (i, l) in logits.iter().enumerate() {
            if *l > logits[best] {
                best = i;
            }
        }
        Ok(best as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_is_within_2_pow_minus_16_of_libm_on_minus_24_to_0() {
        let mut worst = 0.0f64;
        let mut bits = 0i32;
        while bits >= -24 * 65536 {
            let x = I16F16::from_bits(bits);
            let got = exp_neg(x).to_num::<f64>();
            let err = (got - libm::exp(x.to_num::<f64>())).abs();
            worst = worst.max(err);
            bits -= 7;
        }
        assert!(worst <= 1.0 / 65536.0, "worst error {worst}");
        assert_eq!(exp_neg(I16F16::ZERO), I16F16::ONE);
        assert_eq!(exp_neg(I16F16::from_num(3)), I16F16::ONE);
        assert_eq!(exp_neg(I16F16::MIN), I16F16::ZERO);
    }

    #[test]
    fn narrow_rounds_to_nearest_and_saturates() {
        assert_eq!(narrow(0x1800, 12), 2);
        assert_eq!(narrow(0x17ff, 12), 1);
        assert_eq!(narrow(-0x1800, 12), -1);
        assert_eq!(narrow(1 << 61, 12), i32::MAX);
        assert_eq!(narrow(-(1 << 61), 12), i32::MIN);
    }
}
