//! Operations: the reference's named tasks and any polynomial expression (SPEC §1).
//!
//! Every named operation is a row of [`ALL_OPS`]: its reference name, the polynomial it computes,
//! its op token, the pairs it admits and its family in the paper. Labels follow the reference's
//! `fns_dict` except `xy_x_m_y`, which the reference defines as `x*y + x + y` (the same as
//! `xy_x_y`); we compute `x*y + x - y`, as its name and SPEC §1 say.

use core::fmt;

use super::expr::Polynomial;
use crate::Error;

/// The op token kind. Token ids follow the reference's `get_special_tokens`:
/// `=` is p, `+` p+1, `-` p+2, `*` p+3, `/` p+4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    Eq,
    Plus,
    Minus,
    Times,
    Div,
}

impl Symbol {
    pub fn token(self, p: u32) -> u32 {
        p + self.offset()
    }

    /// Token id minus p.
    pub fn offset(self) -> u32 {
        match self {
            Symbol::Eq => 0,
            Symbol::Plus => 1,
            Symbol::Minus => 2,
            Symbol::Times => 3,
            Symbol::Div => 4,
        }
    }

    pub fn as_char(self) -> char {
        match self {
            Symbol::Eq => '=',
            Symbol::Plus => '+',
            Symbol::Minus => '-',
            Symbol::Times => '*',
            Symbol::Div => '/',
        }
    }
}

/// Which pairs `(x, y)` an operation admits (SPEC §2). Operands are token ids, so under
/// [`Pairs::Reference`](super::Pairs) `y = p` stands for 0 as well. A mixture admits the
/// intersection of its tasks' filters, which is the flags or-ed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Filter {
    /// Neither operand is the token 0 (reference: `non_zero`, `0 not in pair`).
    pub no_zero_token: bool,
    /// `y` has an inverse mod p: `y mod p != 0` (our rule for division; the reference has no
    /// division config).
    pub y_invertible: bool,
}

impl Filter {
    /// Every pair.
    pub const ALL: Filter = Filter {
        no_zero_token: false,
        y_invertible: false,
    };
    /// Pairs without the token 0 (`multiply_non_zero`).
    pub const NON_ZERO: Filter = Filter {
        no_zero_token: true,
        y_invertible: false,
    };
    /// Pairs with `y mod p != 0` (`division`).
    pub const Y_INVERTIBLE: Filter = Filter {
        no_zero_token: false,
        y_invertible: true,
    };

    pub fn admits(self, x: u32, y: u32, p: u32) -> bool {
        self.admits_x(x) && self.admits_y(y, p)
    }

    /// The condition on `x` alone (a filter is a product of one on x and one on y).
    pub fn admits_x(self, x: u32) -> bool {
        !(self.no_zero_token && x == 0)
    }

    /// The condition on `y` alone.
    pub fn admits_y(self, y: u32, p: u32) -> bool {
        let zero_token = self.no_zero_token && y == 0;
        let not_invertible = self.y_invertible && y.is_multiple_of(p);
        !(zero_token || not_invertible)
    }

    /// The pairs admitted by both.
    pub fn and(self, other: Filter) -> Filter {
        Filter {
            no_zero_token: self.no_zero_token || other.no_zero_token,
            y_invertible: self.y_invertible || other.y_invertible,
        }
    }
}

/// The families the paper groups its operations in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// x+y, x−y, x·y, x/y.
    Elementary,
    /// ax ± by.
    Linear,
    /// xy ± y, xy + x ± y.
    CrossTerm,
    /// x^a ± by: one power, no product of x and y.
    Univariate,
    /// Degree 2 or 3 with a cross term: x²+xy+y², x³+xy, …
    DegreeKCrossTerm,
    /// x^k ± y^k.
    SumOfPowers,
    /// (x ± y)^k and (x + y)² + x + y.
    Factorizable,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Elementary => "elementary",
            Category::Linear => "linear",
            Category::CrossTerm => "cross term",
            Category::Univariate => "univariate",
            Category::DegreeKCrossTerm => "degree-k cross term",
            Category::SumOfPowers => "sum of powers",
            Category::Factorizable => "factorizable",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the table of named operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedOp {
    /// The reference's name (its config `fn_name` without `_short`).
    pub name: &'static str,
    /// The formula as the paper writes it.
    pub formula: &'static str,
    /// The same as an expanded expression [`Polynomial::parse`] reads; `x/y` for division.
    pub expr: &'static str,
    pub symbol: Symbol,
    pub filter: Filter,
    pub category: Category,
}

impl NamedOp {
    pub fn op(&self) -> Op {
        let body = if self.symbol == Symbol::Div {
            Body::Division
        } else {
            match Polynomial::parse(self.expr) {
                Ok(poly) => Body::Polynomial(poly),
                Err(_) => unreachable!("ALL_OPS row {} does not parse", self.name),
            }
        };
        Op {
            name: Some(self.name),
            body,
            symbol: self.symbol,
            filter: self.filter,
            category: Some(self.category),
        }
    }
}

const fn row(
    name: &'static str,
    formula: &'static str,
    expr: &'static str,
    symbol: Symbol,
    filter: Filter,
    category: Category,
) -> NamedOp {
    NamedOp {
        name,
        formula,
        expr,
        symbol,
        filter,
        category,
    }
}

use Category::*;
use Symbol as S;

/// Every named operation. The first 30 are the reference's; `x{k}_y{k}`, `x{k}_m_y{k}` for
/// k = 1, 3, 4 and `_x_y__{k}`, `_x_m_y__{k}` for k = 1, 2 complete the families x^k ± y^k and
/// (x ± y)^k for k = 1..4 (SPEC §1). The reference's polynomial tasks all use `=` ("short"
/// datasets); so do the added ones, even where they equal `add` or `subtract`.
#[rustfmt::skip]
pub static ALL_OPS: [NamedOp; 40] = [
    row("add", "x + y", "x + y", S::Plus, Filter::ALL, Elementary),
    row("subtract", "x - y", "x - y", S::Minus, Filter::ALL, Elementary),
    row("multiply", "x*y", "x*y", S::Times, Filter::ALL, Elementary),
    row("multiply_non_zero", "x*y (x, y != 0)", "x*y", S::Times, Filter::NON_ZERO, Elementary),
    row("division", "x/y (y != 0)", "x/y", S::Div, Filter::Y_INVERTIBLE, Elementary),
    row("2x_3y", "2x + 3y", "2*x + 3*y", S::Eq, Filter::ALL, Linear),
    row("2x_m_3y", "2x - 3y", "2*x - 3*y", S::Eq, Filter::ALL, Linear),
    row("x_x_y", "x + x + y", "2*x + y", S::Eq, Filter::ALL, Linear),
    row("x_x_m_y", "x + x - y", "2*x - y", S::Eq, Filter::ALL, Linear),
    row("xy_y", "xy + y", "x*y + y", S::Eq, Filter::ALL, CrossTerm),
    row("xy_m_y", "xy - y", "x*y - y", S::Eq, Filter::ALL, CrossTerm),
    row("xy_x_y", "xy + x + y", "x*y + x + y", S::Eq, Filter::ALL, CrossTerm),
    row("xy_x_m_y", "xy + x - y", "x*y + x - y", S::Eq, Filter::ALL, CrossTerm),
    row("x2_y", "x^2 + y", "x^2 + y", S::Eq, Filter::ALL, Univariate),
    row("x2_m_y", "x^2 - y", "x^2 - y", S::Eq, Filter::ALL, Univariate),
    row("x3_2y", "x^3 + 2y", "x^3 + 2*y", S::Eq, Filter::ALL, Univariate),
    row("x3_m_2y", "x^3 - 2y", "x^3 - 2*y", S::Eq, Filter::ALL, Univariate),
    row("x2_y2", "x^2 + y^2", "x^2 + y^2", S::Eq, Filter::ALL, SumOfPowers),
    row("x2_m_y2", "x^2 - y^2", "x^2 - y^2", S::Eq, Filter::ALL, SumOfPowers),
    row("x2_xy_y2", "x^2 + xy + y^2", "x^2 + x*y + y^2", S::Eq, Filter::ALL, DegreeKCrossTerm),
    row("x2_xy_y2_x", "x^2 + xy + y^2 + x", "x^2 + x*y + y^2 + x", S::Eq, Filter::ALL, DegreeKCrossTerm),
    row("x3_xy", "x^3 + xy", "x^3 + x*y", S::Eq, Filter::ALL, DegreeKCrossTerm),
    row("x3_xy2_y", "x^3 + xy^2 + y", "x^3 + x*y^2 + y", S::Eq, Filter::ALL, DegreeKCrossTerm),
    row("x2_2xy_y2", "(x + y)^2", "x^2 + 2*x*y + y^2", S::Eq, Filter::ALL, Factorizable),
    row("x2_m_2xy_y2", "(x - y)^2", "x^2 - 2*x*y + y^2", S::Eq, Filter::ALL, Factorizable),
    row("x2_2xy_y2_x_y", "(x + y)^2 + x + y", "x^2 + 2*x*y + y^2 + x + y", S::Eq, Filter::ALL, Factorizable),
    row("_x_y__3", "(x + y)^3", "x^3 + 3*x^2*y + 3*x*y^2 + y^3", S::Eq, Filter::ALL, Factorizable),
    row("_x_y__4", "(x + y)^4", "x^4 + 4*x^3*y + 6*x^2*y^2 + 4*x*y^3 + y^4", S::Eq, Filter::ALL, Factorizable),
    row("_x_m_y__3", "(x - y)^3", "x^3 - 3*x^2*y + 3*x*y^2 - y^3", S::Eq, Filter::ALL, Factorizable),
    row("_x_m_y__4", "(x - y)^4", "x^4 - 4*x^3*y + 6*x^2*y^2 - 4*x*y^3 + y^4", S::Eq, Filter::ALL, Factorizable),
    row("x1_y1", "x + y", "x + y", S::Eq, Filter::ALL, SumOfPowers),
    row("x1_m_y1", "x - y", "x - y", S::Eq, Filter::ALL, SumOfPowers),
    row("x3_y3", "x^3 + y^3", "x^3 + y^3", S::Eq, Filter::ALL, SumOfPowers),
    row("x3_m_y3", "x^3 - y^3", "x^3 - y^3", S::Eq, Filter::ALL, SumOfPowers),
    row("x4_y4", "x^4 + y^4", "x^4 + y^4", S::Eq, Filter::ALL, SumOfPowers),
    row("x4_m_y4", "x^4 - y^4", "x^4 - y^4", S::Eq, Filter::ALL, SumOfPowers),
    row("_x_y__1", "(x + y)^1", "x + y", S::Eq, Filter::ALL, Factorizable),
    row("_x_y__2", "(x + y)^2", "x^2 + 2*x*y + y^2", S::Eq, Filter::ALL, Factorizable),
    row("_x_m_y__1", "(x - y)^1", "x - y", S::Eq, Filter::ALL, Factorizable),
    row("_x_m_y__2", "(x - y)^2", "x^2 - 2*x*y + y^2", S::Eq, Filter::ALL, Factorizable),
];

// No allocator to box the polynomial into; an Op is a few hundred bytes either way.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
enum Body {
    Polynomial(Polynomial),
    /// x · y^(p−2) mod p, which is x · y⁻¹ for y ≠ 0 and 0 for y = 0.
    Division,
}

/// One operation: a named row of [`ALL_OPS`] or a parsed expression.
/// Polynomial expressions use the `=` token, admit every pair and have no category;
/// the expression `x/y` is `division` without its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    name: Option<&'static str>,
    body: Body,
    symbol: Symbol,
    filter: Filter,
    category: Option<Category>,
}

impl Op {
    /// The named operations, in the order of [`ALL_OPS`].
    pub fn named() -> impl Iterator<Item = Op> {
        ALL_OPS.iter().map(NamedOp::op)
    }

    /// A reference name; a trailing `_short` (the reference's config names for the `=` token
    /// datasets) is accepted on operations that use `=`.
    pub fn from_name(name: &str) -> Result<Op, Error> {
        let find = |n: &str| ALL_OPS.iter().find(|r| r.name == n);
        if let Some(row) = find(name) {
            return Ok(row.op());
        }
        match name.strip_suffix("_short").and_then(find) {
            Some(row) if row.symbol == Symbol::Eq => Ok(row.op()),
            _ => Err(Error::UnknownOp),
        }
    }

    /// A polynomial expression (grammar at [`Polynomial::parse`]) or `x/y`.
    pub fn from_expression(s: &str) -> Result<Op, Error> {
        let mut rest = s.trim_ascii();
        let is_division = [b'x', b'/', b'y'].iter().all(|&c| {
            let hit = rest.as_bytes().first() == Some(&c);
            if hit {
                rest = rest[1..].trim_ascii_start();
            }
            hit
        }) && rest.is_empty();
        if is_division {
            let mut op = Op::from_name("division")?;
            op.name = None;
            return Ok(op);
        }
        Ok(Op {
            name: None,
            body: Body::Polynomial(Polynomial::parse(s)?),
            symbol: Symbol::Eq,
            filter: Filter::ALL,
            category: None,
        })
    }

    /// A name if `s` is one, else an expression. Text made only of letters, digits and `_` that
    /// is neither is an [`Error::UnknownOp`]; other text gives the expression's error.
    pub fn parse(s: &str) -> Result<Op, Error> {
        if let Ok(op) = Op::from_name(s) {
            return Ok(op);
        }
        match Op::from_expression(s) {
            Err(_)
                if !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') =>
            {
                Err(Error::UnknownOp)
            }
            r => r,
        }
    }

    /// The reference name, `None` for an expression.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// The polynomial, `None` for division.
    pub fn polynomial(&self) -> Option<&Polynomial> {
        match &self.body {
            Body::Polynomial(poly) => Some(poly),
            Body::Division => None,
        }
    }

    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    pub fn filter(&self) -> Filter {
        self.filter
    }

    pub fn admits(&self, x: u32, y: u32, p: u32) -> bool {
        self.filter.admits(x, y, p)
    }

    /// The paper's family; `None` for an expression.
    pub fn category(&self) -> Option<Category> {
        self.category
    }

    /// The label `f(x, y) mod p`, exact for any `p < 2^32`. Division is `x · y^(p−2)`, the
    /// inverse for prime p; it gives 0 at `y = 0`, a pair division does not admit.
    ///
    /// # Panics
    /// If `p == 0`.
    pub fn eval(&self, x: u32, y: u32, p: u32) -> u32 {
        match &self.body {
            Body::Polynomial(poly) => poly.eval(x, y, p),
            Body::Division => {
                let m = p as u64;
                (x as u64 % m * pow_mod(y as u64 % m, (p as u64).saturating_sub(2), m) % m) as u32
            }
        }
    }
}

fn pow_mod(mut base: u64, mut exp: u64, m: u64) -> u64 {
    let mut acc = 1 % m;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc * base % m;
        }
        base = base * base % m;
        exp >>= 1;
    }
    acc
}

/// The reference name, or the expression in canonical form (`x/y` for division).
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name, &self.body) {
            (Some(name), _) => f.write_str(name),
            (None, Body::Polynomial(poly)) => write!(f, "{poly}"),
            (None, Body::Division) => f.write_str("x/y"),
        }
    }
}

/// [`Op::parse`]: a reference name or an expression.
pub fn parse_op(s: &str) -> Result<Op, Error> {
    Op::parse(s)
}
