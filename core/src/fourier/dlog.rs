//! Primitive roots and discrete logarithms mod a prime p (SPEC §5, multiplicative basis).
//!
//! The nonzero residues mod p form a cyclic group of order p − 1: for a primitive root g every
//! x in 1..p is `g^i` for exactly one i in 0..p−1, its discrete log. The tables map both ways:
//!
//! ```text
//! exp[i] = g^i mod p,   i = 0..p−1      ([p − 1], exp[0] = 1)
//! log[x] = i with g^i ≡ x (mod p),   x = 1..p   ([p]; log[0] = NO_LOG: 0 has no log)
//! ```
//!
//! g is the smallest primitive root, so the tables are a pure function of p.

use super::basis::check_prime;
use crate::Error;
use crate::error::check_len;

/// `log[0]`: 0 is not a power of g. Never a valid log, as p − 1 < 2^16 − 1.
pub const NO_LOG: u16 = u16::MAX;

/// Length of the `log` table: p (index 0 holds [`NO_LOG`]).
pub const fn log_table_len(p: usize) -> usize {
    p
}

/// Length of the `exp` table: p − 1.
pub const fn exp_table_len(p: usize) -> usize {
    p.saturating_sub(1)
}

fn pow_mod(base: u64, mut e: u64, m: u64) -> u64 {
    let (mut acc, mut b) = (1 % m, base % m);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * b % m;
        }
        b = b * b % m;
        e >>= 1;
    }
    acc
}

/// The smallest primitive root of a prime p with 3 ≤ p < 2^16 (else [`Error::BadModulus`]):
/// the least g ≥ 2 with `g^((p−1)/q) ≢ 1 (mod p)` for every prime q dividing p − 1.
pub fn primitive_root(p: usize) -> Result<usize, Error> {
    check_prime(p)?;
    let order = (p - 1) as u64;
    // p − 1 < 2^16 has at most 6 distinct prime factors (2·3·5·7·11·13·17 > 2^16).
    let mut factors = [0u64; 6];
    let mut n_factors = 0;
    let (mut rest, mut q) = (order, 2u64);
    while q * q <= rest {
        if rest.is_multiple_of(q) {
            factors[n_factors] = q;
            n_factors += 1;
            while rest.is_multiple_of(q) {
                rest /= q;
            }
        }
        q += 1;
    }
    if rest > 1 {
        factors[n_factors] = rest;
        n_factors += 1;
    }
    let m = p as u64;
    let mut g = 2u64;
    while g < m {
        if factors[..n_factors]
            .iter()
            .all(|&q| pow_mod(g, order / q, m) != 1)
        {
            return Ok(g as usize);
        }
        g += 1;
    }
    // Every prime has a primitive root, so the loop returns; p = 3 is answered by g = 2.
    Err(Error::BadModulus { p: p as u32 })
}

/// Fills the discrete-log tables of p (module docs) for its smallest primitive root g and
/// returns g. log: `[p]` (len ≥ [`log_table_len`]), exp: `[p − 1]` (len ≥ [`exp_table_len`]).
pub fn discrete_log_tables(p: usize, log: &mut [u16], exp: &mut [u16]) -> Result<usize, Error> {
    let g = primitive_root(p)?;
    check_len(log.len(), log_table_len(p))?;
    check_len(exp.len(), exp_table_len(p))?;
    let (log, exp) = (&mut log[..p], &mut exp[..p - 1]);
    log[0] = NO_LOG;
    let mut x = 1usize;
    for (i, e) in exp.iter_mut().enumerate() {
        *e = x as u16;
        log[x] = i as u16;
        x = x * g % p;
    }
    Ok(g)
}
