//! The reference split (SPEC §2): pairs listed `x` outer, `y` inner, filtered, shuffled with
//! Python's `random.seed(seed); random.shuffle(pairs)`, the first `int(frac · n)` are train.
//!
//! The reference's `train_emb.py` passes `num = d_vocab = p + 5` to `gen_train_test`, so its
//! pairs range over `[0, p + 5)²`, special-token ids included ([`Pairs::Reference`]); the label
//! is `f(x, y) mod p`, so `x = p + 1` acts as 1. [`Pairs::Field`] keeps both operands in Z_p.

use super::mt19937::Mt19937;
use super::ops::Filter;
use crate::Error;

/// `p` must be a prime with `3 <= p < 2^16`, so every token, `p + 4` included (the largest such
/// prime is 65521), fits u16 and every product of two residues fits u32.
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

/// Which operands a split draws from (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Pairs {
    /// Both operands range over every token id `0..p + 5`, special tokens included, as the
    /// reference's `gen_train_test(frac, d_vocab, ...)` lists them: the published code's split.
    #[default]
    Reference,
    /// Both operands in Z_p, `0..p`: the paper's mathematical reading.
    Field,
}

impl Pairs {
    /// Operands are `0..operands(p)`: `p + 5` or `p`.
    pub fn operands(self, p: u32) -> u32 {
        match self {
            Pairs::Reference => p + 5,
            Pairs::Field => p,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Pairs::Reference => "reference",
            Pairs::Field => "field",
        }
    }
}

/// Number of pairs `(x, y)` of operands in `0..pairs.operands(p)` the filter admits: the length
/// of the split buffer.
pub fn n_pairs(p: u32, pairs: Pairs, filter: Filter) -> usize {
    let range = 0..pairs.operands(p);
    let xs = range.clone().filter(|&x| filter.admits_x(x)).count();
    let ys = range.filter(|&y| filter.admits_y(y, p)).count();
    xs * ys
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

/// Fills `buf[..n_pairs(p, pairs, filter)]` with the shuffled pairs and returns the train size:
/// `buf[..n_train]` is train, `buf[n_train..n_pairs]` test. `buf` beyond that is untouched.
pub fn split_pairs(
    p: u32,
    pairs: Pairs,
    filter: Filter,
    frac: f64,
    seed: u64,
    buf: &mut [(u16, u16)],
) -> Result<usize, Error> {
    validate_p(p)?;
    let n = n_pairs(p, pairs, filter);
    let n_train = n_train(frac, n)?;
    if buf.len() < n {
        return Err(Error::BufferTooSmall {
            need: n,
            got: buf.len(),
        });
    }
    let out = &mut buf[..n];
    let operands = pairs.operands(p);
    let mut i = 0;
    for x in 0..operands {
        for y in 0..operands {
            if filter.admits(x, y, p) {
                out[i] = (x as u16, y as u16);
                i += 1;
            }
        }
    }
    Mt19937::from_seed_u64(seed).shuffle(out);
    Ok(n_train)
}
