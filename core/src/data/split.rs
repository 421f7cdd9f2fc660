//! The reference split (SPEC §2): pairs listed `x` outer, `y` inner, filtered, shuffled with
//! Python's `random.seed(seed); random.shuffle(pairs)`, the first `int(frac · n)` are train.
//!
//! The reference's `train_emb.py` passes `num = d_vocab = p + 5` to `gen_train_test`, so its
//! pairs range over `[0, p + 5)²`, special-token ids included. SPEC §2 lists `[0, p)²` (its
//! p = 97 vector is that list's shuffle); that is what this module does.

use super::mt19937::Mt19937;
use super::ops::Filter;
use crate::Error;

/// `p` must be a prime with `3 <= p < 2^16`, so every number token fits u16 and every product
/// of two residues fits u32.
pub fn validate_p(p: u32) -> Result<(), Error> {
    let in_range = (3..65536).contains(&p);
    if in_range
        && (2..)
            .take_while(|d| d * d <= p)
            .all(|d| !p.is_multiple_of(d))
    {
        Ok(())
    } else {
        Err(Error::BadModulus { p })
    }
}

/// Number of pairs `(x, y)` in `[0, p)²` the filter admits: the length of the split buffer.
pub fn n_pairs(p: u32, filter: Filter) -> usize {
    let side = |non_zero: bool| (p as usize).saturating_sub(non_zero as usize);
    side(filter.x_non_zero) * side(filter.y_non_zero)
}

/// Train size `int(frac · n_pairs)` as Python computes it (f64 product, truncated).
/// `frac` must lie in (0, 1) (NaN is refused) and leave both train and test non-empty.
pub fn n_train(frac: f64, n_pairs: usize) -> Result<usize, Error> {
    let bad = Error::BadFraction { frac, n_pairs };
    if !(frac > 0.0 && frac < 1.0) {
        return Err(bad);
    }
    let n_train = (frac * n_pairs as f64) as usize;
    if n_train == 0 || n_train >= n_pairs {
        Err(bad)
    } else {
        Ok(n_train)
    }
}

/// Fills `buf[..n_pairs(p, filter)]` with the shuffled pairs and returns the train size:
/// `buf[..n_train]` is train, `buf[n_train..n_pairs]` test. `buf` beyond that is untouched.
pub fn split_pairs(
    p: u32,
    filter: Filter,
    frac: f64,
    seed: u64,
    buf: &mut [(u16, u16)],
) -> Result<usize, Error> {
    validate_p(p)?;
    let n = n_pairs(p, filter);
    let n_train = n_train(frac, n)?;
    if buf.len() < n {
        return Err(Error::BufferTooSmall {
            need: n,
            got: buf.len(),
        });
    }
    let pairs = &mut buf[..n];
    let mut i = 0;
    for x in 0..p {
        for y in 0..p {
            if filter.admits(x, y) {
                pairs[i] = (x as u16, y as u16);
                i += 1;
            }
        }
    }
    Mt19937::from_seed_u64(seed).shuffle(pairs);
    Ok(n_train)
}
