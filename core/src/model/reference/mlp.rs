//! The MLP at the last position (SPEC §3): `m = ReLU(W_in r)`, `out = W_out m`; the caller adds
//! `out` into the residual stream, `r' = r + out`.
use crate::Real;

/// `m[i] = ReLU(Σ_c W_in[i][c]·r[c])`; `out[c] = Σ_i W_out[c][i]·m[i]`; sums ascending.
/// r: [d_model], w_in: [d_mlp, d_model], w_out: [d_model, d_mlp]; m: [d_mlp] and
/// out: [d_model] (written).
pub fn mlp_forward<T: Real>(
    r: &[T],
    [w_in, w_out]: [&[T]; 2],
    m: &mut [T],
    out: &mut [T],
    [d_model, d_mlp]: [usize; 2],
) {
    for (i, mi) in m[..d_mlp].iter_mut().enumerate() {
        let mut pre = T::ZERO;
        for c in 0..d_model {
            pre += w_in[i * d_model + c] * r[c];
        }
        *mi = if pre > T::ZERO { pre } else { T::ZERO };
    }
    for (c, o) in out[..d_model].iter_mut().enumerate() {
        let mut acc = T::ZERO;
        for i in 0..d_mlp {
            acc += w_out[c * d_mlp + i] * m[i];
        }
        *o = acc;
    }
}

/// With `dm_pre[i] = [m[i] > 0]·Σ_c W_out[c][i]·dout[c]` (ReLU's derivative read off its
/// output): `dW_out[c][i] += dout[c]·m[i]`; `dW_in[i][c] += dm_pre[i]·r[c]`;
/// `dr[c] += Σ_i W_in[i][c]·dm_pre[i]`.
/// dout: [d_model], r: [d_model], m: [d_mlp], w_in: [d_mlp, d_model], w_out: [d_model, d_mlp];
/// dm_pre: [d_mlp] (written); d_w_in: [d_mlp, d_model], d_w_out: [d_model, d_mlp] and
/// dr: [d_model] (added into).
#[allow(clippy::too_many_arguments)]
pub fn mlp_backward<T: Real>(
    dout: &[T],
    r: &[T],
    m: &[T],
    [w_in, w_out]: [&[T]; 2],
    dm_pre: &mut [T],
    [d_w_in, d_w_out]: [&mut [T]; 2],
    dr: &mut [T],
    [d_model, d_mlp]: [usize; 2],
) {
    for c in 0..d_model {
        for i in 0..d_mlp {
            d_w_out[c * d_mlp + i] += dout[c] * m[i];
        }
    }
    for i in 0..d_mlp {
        let mut acc = T::ZERO;
        for c in 0..d_model {
            acc += w_out[c * d_mlp + i] * dout[c];
        }
        dm_pre[i] = if m[i] > T::ZERO { acc } else { T::ZERO };
    }
    for i in 0..d_mlp {
        for c in 0..d_model {
            d_w_in[i * d_model + c] += dm_pre[i] * r[c];
        }
    }
    for c in 0..d_model {
        let mut acc = T::ZERO;
        for i in 0..d_mlp {
            acc += w_in[i * d_model + c] * dm_pre[i];
        }
        dr[c] += acc;
    }
}
