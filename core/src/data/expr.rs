//! Polynomials in x and y with integer coefficients, parsed from text like `"x^3 + 2*x*y^2 - y"`
//! and evaluated exactly mod p (SPEC §1, "beyond the reference").
//! The grammar and the limits are at [`Polynomial::parse`].

use core::fmt;

use crate::Error;
use crate::limits::{MAX_DEGREE, MAX_TERMS};

const D: usize = MAX_DEGREE as usize + 1;

/// One monomial `coef · x^x_pow · y^y_pow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub coef: i64,
    pub x_pow: u8,
    pub y_pow: u8,
}

impl Term {
    pub fn degree(&self) -> u32 {
        self.x_pow as u32 + self.y_pow as u32
    }
}

/// A polynomial as a list of distinct monomials with non-zero coefficients, in canonical order:
/// total degree descending, then power of x descending.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Polynomial {
    terms: heapless::Vec<Term, MAX_TERMS>,
}

impl Polynomial {
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Highest total degree of a term; 0 for the zero polynomial.
    pub fn degree(&self) -> u32 {
        self.terms.iter().map(Term::degree).max().unwrap_or(0)
    }

    /// Parses an expression. Grammar (ASCII; spaces, tabs, newlines between tokens):
    /// `expr := [+|-] term ((+|-) term)*`, `term := factor (* factor)*`,
    /// `factor := digits | x [^ digits] | y [^ digits]`. A variable may repeat (`x*x` is `x^2`)
    /// and integer factors multiply (`2*3*x` is `6*x`); no parentheses, no implicit products.
    /// Coefficients, as written and as combined, must stay within ±(2^63 − 1).
    /// Like terms are combined and zero terms dropped before the [`MAX_TERMS`] limit applies;
    /// each monomial as written must have degree at most [`MAX_DEGREE`], even if it cancels.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let b = s.as_bytes();
        let mut pos = 0;
        let mut coefs = [[0i64; D]; D];
        skip_ws(b, &mut pos);
        if pos == b.len() {
            return Err(Error::BadExpression { at: pos });
        }
        let mut negative = false;
        if b[pos] == b'-' || b[pos] == b'+' {
            negative = b[pos] == b'-';
            pos += 1;
            skip_ws(b, &mut pos);
        }
        loop {
            let at = pos;
            let (coef, x_pow, y_pow) = parse_term(b, &mut pos)?;
            let degree = x_pow.saturating_add(y_pow);
            if degree > MAX_DEGREE {
                return Err(Error::DegreeTooHigh { degree });
            }
            let coef = if negative { -coef } else { coef };
            let slot = &mut coefs[x_pow as usize][y_pow as usize];
            // i64::MIN is refused too: its magnitude has no i64 literal, so its canonical text
            // would not parse back.
            *slot = slot
                .checked_add(coef)
                .filter(|&c| c != i64::MIN)
                .ok_or(Error::BadExpression { at })?;
            skip_ws(b, &mut pos);
            if pos == b.len() {
                break;
            }
            negative = match b[pos] {
                b'+' => false,
                b'-' => true,
                _ => return Err(Error::BadExpression { at: pos }),
            };
            pos += 1;
            skip_ws(b, &mut pos);
            if pos == b.len() {
                return Err(Error::BadExpression { at: pos });
            }
        }
        let mut terms = heapless::Vec::new();
        for degree in (0..D).rev() {
            for x_pow in (0..=degree).rev() {
                let y_pow = degree - x_pow;
                let coef = coefs[x_pow][y_pow];
                if coef != 0 {
                    let term = Term {
                        coef,
                        x_pow: x_pow as u8,
                        y_pow: y_pow as u8,
                    };
                    terms.push(term).map_err(|_| Error::TooManyTerms)?;
                }
            }
        }
        Ok(Polynomial { terms })
    }

    /// `Σ coef · x^a · y^b mod p`, exact: coefficients reduced into `[0, p)` first, every
    /// product of two residues fits u64 for any `p < 2^32`.
    ///
    /// # Panics
    /// If `p == 0`.
    pub fn eval(&self, x: u32, y: u32, p: u32) -> u32 {
        let p = p as u64;
        let mut x_pows = [1u64 % p; D];
        let mut y_pows = [1u64 % p; D];
        for k in 1..D {
            x_pows[k] = x_pows[k - 1] * (x as u64 % p) % p;
            y_pows[k] = y_pows[k - 1] * (y as u64 % p) % p;
        }
        let mut acc = 0u64;
        for t in &self.terms {
            let c = t.coef.rem_euclid(p as i64) as u64;
            let m = x_pows[t.x_pow as usize] * y_pows[t.y_pow as usize] % p;
            acc = (acc + c * m % p) % p;
        }
        acc as u32
    }
}

fn skip_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && matches!(b[*pos], b' ' | b'\t' | b'\n' | b'\r') {
        *pos += 1;
    }
}

fn parse_digits(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    let mut overflow = false;
    while *pos < b.len() && b[*pos].is_ascii_digit() {
        let d = (b[*pos] - b'0') as u64;
        match n.checked_mul(10).and_then(|n| n.checked_add(d)) {
            Some(v) => n = v,
            None => overflow = true,
        }
        *pos += 1;
    }
    if overflow { None } else { Some(n) }
}

/// One product of factors: `(coef, x_pow, y_pow)` with `coef > 0`, powers saturating.
fn parse_term(b: &[u8], pos: &mut usize) -> Result<(i64, u32, u32), Error> {
    let mut coef = 1i64;
    let mut x_pow = 0u32;
    let mut y_pow = 0u32;
    loop {
        let at = *pos;
        match b.get(at) {
            Some(c) if c.is_ascii_digit() => {
                let n = parse_digits(b, pos)
                    .and_then(|n| i64::try_from(n).ok())
                    .and_then(|n| coef.checked_mul(n))
                    .ok_or(Error::BadExpression { at })?;
                coef = n;
            }
            Some(&v @ (b'x' | b'y')) => {
                *pos += 1;
                let mut power = 1u32;
                let mut look = *pos;
                skip_ws(b, &mut look);
                if b.get(look) == Some(&b'^') {
                    *pos = look + 1;
                    skip_ws(b, pos);
                    if !b.get(*pos).is_some_and(u8::is_ascii_digit) {
                        return Err(Error::BadExpression { at: *pos });
                    }
                    power =
                        parse_digits(b, pos).map_or(u32::MAX, |n| n.min(u32::MAX as u64) as u32);
                }
                if v == b'x' {
                    x_pow = x_pow.saturating_add(power);
                } else {
                    y_pow = y_pow.saturating_add(power);
                }
            }
            _ => return Err(Error::BadExpression { at }),
        }
        let mut look = *pos;
        skip_ws(b, &mut look);
        if b.get(look) == Some(&b'*') {
            *pos = look + 1;
            skip_ws(b, pos);
        } else {
            return Ok((coef, x_pow, y_pow));
        }
    }
}

/// Canonical text, e.g. `x^3 + 2*x*y^2 - y`; `0` for the zero polynomial. Parsing it gives the
/// same polynomial back.
impl fmt::Display for Polynomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (i, t) in self.terms.iter().enumerate() {
            let sign = if t.coef < 0 { "-" } else { "+" };
            match (i, t.coef < 0) {
                (0, false) => {}
                (0, true) => f.write_str("-")?,
                _ => write!(f, " {sign} ")?,
            }
            let mag = t.coef.unsigned_abs();
            let mut first = true;
            if mag != 1 || t.degree() == 0 {
                write!(f, "{mag}")?;
                first = false;
            }
            for (v, pow) in [('x', t.x_pow), ('y', t.y_pow)] {
                if pow == 0 {
                    continue;
                }
                if !first {
                    f.write_str("*")?;
                }
                first = false;
                if pow == 1 {
                    write!(f, "{v}")?;
                } else {
                    write!(f, "{v}^{pow}")?;
                }
            }
        }
        Ok(())
    }
}
