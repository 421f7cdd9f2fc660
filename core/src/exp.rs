//! `libm::exp` (f64) of several arguments at once, with libm's bits.
//!
//! libm's `exp` is FreeBSD's `e_exp.c`: reduce `x = k·ln2 + r`, approximate `exp(r)` by a
//! rational function of `r²`, scale by `2^k`. Its branches only choose `k` (and return early for
//! tiny and huge `x`), so for `2⁻²⁸ < |x| < 708.39` every lane can run the same IEEE operations,
//! with `k` picked by selects; the compiler vectorises that across arguments without changing
//! any operation on any one. A slice with an argument outside that range calls `libm::exp`. The test
//! `exp_each_is_libm_exp_bitwise` checks the result against `libm::exp` bit for bit.

// libm's constants, by their bits.
const LN2HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const INVLN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e);
const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93);
const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c);
const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1);
const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0);

/// High word of `|x|`, as libm reads it.
#[inline(always)]
fn high_word(x: f64) -> u32 {
    (x.to_bits() >> 32) as u32 & 0x7fff_ffff
}

/// `xs[i] = libm::exp(xs[i])` for every i, bit for bit.
pub fn exp_each(xs: &mut [f64]) {
    if xs.iter().all(|&x| high_word(x) < 0x4086_232b) {
        for x in xs.iter_mut() {
            *x = exp_in_range(*x);
        }
    } else {
        for x in xs.iter_mut() {
            *x = libm::exp(*x);
        }
    }
}

/// libm's `exp(x)` for `|x| < 708.39` (high word below `0x4086232b`), without branches: the
/// argument reduction of its three ranges selected per lane, then the same polynomial, the same
/// `1 + (x·c/(2 − c) − lo + hi)` and the same scaling by `2^k` (one product, as `scalbn` does
/// for `k ≥ −1022`). libm's `(int)(x/ln2 ± 0.5)` is [`trunc_small`], and k reaches the exponent
/// bits through [`MAGIC`], so no lane leaves the vector registers.
#[inline(always)]
fn exp_in_range(x: f64) -> f64 {
    let hx = high_word(x);
    let negative = x.to_bits() >> 63 == 1;
    let half = if negative { -0.5 } else { 0.5 };
    let k_far = trunc_small(INVLN2 * x + half);
    let k_near = if negative { -1.0 } else { 1.0 };
    let kf = if hx >= 0x3ff0_a2b2 {
        k_far
    } else if hx > 0x3fd6_2e42 {
        k_near
    } else {
        0.0
    };
    let hi = x - kf * LN2HI;
    let lo = kf * LN2LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1. + (r * c / (2. - c) - lo + hi);
    let k = ((kf + MAGIC).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let scale = f64::from_bits((0x3ff_i64.wrapping_add(k) as u64) << 52);
    if hx > 0x3e30_0000 { y * scale } else { 1. + x }
}

/// `1.5·2⁵²`: for an integer-valued `t` with `|t| < 2⁵¹`, `t + MAGIC` is exact and holds t in
/// its low bits; for any `|v| < 2⁵¹`, `(v + MAGIC) − MAGIC` is v rounded to an integer (ties to
/// even).
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// `v` truncated toward zero, as C's `(int)v` (here `|v| < 1100`): v rounded to an integer,
/// then moved one toward zero where the rounding went away from it.
#[inline(always)]
fn trunc_small(v: f64) -> f64 {
    let r = (v + MAGIC) - MAGIC;
    if v >= 0.0 {
        if r > v { r - 1.0 } else { r }
    } else if r < v {
        r + 1.0
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every branch and boundary of libm's exp, and a million xorshift arguments: uniform over
    /// (−708, 708) and log-uniform in magnitude from 2⁻⁶⁰ to 2⁹ (slices the vectorised path takes
    /// whole), then any bit pattern at all (which sends most slices to `libm::exp`). The bits
    /// must equal `libm::exp`'s (NaN for NaN).
    #[test]
    fn exp_each_is_libm_exp_bitwise() {
        let in_range = [
            0.0,
            1e-300,
            f64::MIN_POSITIVE,
            f64::from_bits(0x3e30_0000_0000_0000),
            f64::from_bits(0x3e30_0000_0000_0001),
            f64::from_bits(0x3e30_0001_0000_0000),
            f64::from_bits(0x3fd6_2e42_0000_0000),
            f64::from_bits(0x3fd6_2e42_ffff_ffff),
            f64::from_bits(0x3fd6_2e43_0000_0000),
            f64::from_bits(0x3ff0_a2b1_ffff_ffff),
            f64::from_bits(0x3ff0_a2b2_0000_0000),
            0.5 * core::f64::consts::LN_2,
            1.5 * core::f64::consts::LN_2,
            2.5 * core::f64::consts::LN_2,
            708.39,
            f64::from_bits(0x4086_232a_ffff_ffff),
        ];
        let out_of_range = [
            f64::from_bits(0x4086_232b_0000_0000),
            708.396_418_532_264,
            709.78,
            710.0,
            745.13,
            746.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        for edges in [&in_range[..], &out_of_range[..]] {
            let mut xs = [0.0f64; 4 * 16];
            let mut n = 0;
            for &e in edges {
                for s in [e, -e, e * (1.0 + f64::EPSILON), -e * (1.0 - f64::EPSILON)] {
                    xs[n] = s;
                    n += 1;
                }
            }
            check(&mut xs[..n]);
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut xs = [0.0f64; 4096];
        for round in 0..256 {
            for x in xs.iter_mut() {
                let bits = next();
                let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
                let sign = if bits & 1 == 1 { -1.0 } else { 1.0 };
                *x = match round % 3 {
                    0 => (unit * 2.0 - 1.0) * 708.0,
                    1 => sign * libm::exp2(unit * 69.0 - 60.0),
                    _ => f64::from_bits(bits),
                };
            }
            // An odd length leaves a remainder past the last group of lanes.
            check(&mut xs[..4093]);
        }
    }

    fn check(xs: &mut [f64]) {
        let want: [f64; 4096] = core::array::from_fn(|i| xs.get(i).map_or(0.0, |&x| libm::exp(x)));
        let args: [f64; 4096] = core::array::from_fn(|i| xs.get(i).copied().unwrap_or(0.0));
        exp_each(xs);
        for (i, (&got, &want)) in xs.iter().zip(&want).enumerate() {
            let same = got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
            assert!(same, "exp({:e}) = {got:e}, libm gives {want:e}", args[i]);
        }
    }
}
