//! The expression parser: round trips against the named operations, canonical text, exact
//! evaluation, and every malformed input returning its error without a panic.

use modgrok_core::Error;
use modgrok_core::data::{Filter, MAX_TERMS, Op, Polynomial, Symbol, Term, parse_op};

fn same_labels(a: &Op, b: &Op, p: u32) {
    for x in 0..p {
        for y in 0..p {
            assert_eq!(
                a.eval(x, y, p),
                b.eval(x, y, p),
                "{a} vs {b} at ({x}, {y}) mod {p}"
            );
        }
    }
}

#[test]
fn expressions_give_the_named_ops_labels_at_p11() {
    let cases = [
        ("x^2 + x*y + y^2", "x2_xy_y2"),
        ("y^2 + y*x + x*x", "x2_xy_y2"),
        ("x + x + y", "x_x_y"),
        ("-y + x", "subtract"),
        ("x * y", "multiply"),
        ("x*x*x + 3*x*x*y + 3*x*y*y + y*y*y", "_x_y__3"),
        ("x^4 - 4*x^3*y + 6*x^2*y^2 - 4*x*y^3 + y^4", "_x_m_y__4"),
        ("x*y + x - y", "xy_x_m_y"),
        ("x^3 - 2*y", "x3_m_2y"),
        ("x^2 + 2*x*y + y^2 + x + y", "x2_2xy_y2_x_y"),
        ("x/y", "division"),
        ("  x /\ty ", "division"),
        ("2*x + 3*y + 11*x*y - 22", "2x_3y"),
    ];
    for (expr, name) in cases {
        let a = parse_op(expr).unwrap();
        let b = Op::from_name(name).unwrap();
        assert_eq!(a.name(), None, "{expr}");
        same_labels(&a, &b, 11);
    }
    let div = parse_op("x/y").unwrap();
    assert_eq!(
        (div.symbol(), div.filter(), div.to_string().as_str()),
        (Symbol::Div, Filter::Y_INVERTIBLE, "x/y")
    );
    let poly = parse_op("x^2 + y").unwrap();
    assert_eq!(
        (poly.symbol(), poly.filter(), poly.category()),
        (Symbol::Eq, Filter::ALL, None)
    );
}

#[test]
fn canonical_text_combines_like_terms_and_reparses() {
    let p = Polynomial::parse("y - 3*x*y^2 + x^3 + 5*x*y^2 - y + 2*3").unwrap();
    assert_eq!(p.to_string(), "x^3 + 2*x*y^2 + 6");
    assert_eq!(
        p.terms(),
        [
            Term {
                coef: 1,
                x_pow: 3,
                y_pow: 0
            },
            Term {
                coef: 2,
                x_pow: 1,
                y_pow: 2
            },
            Term {
                coef: 6,
                x_pow: 0,
                y_pow: 0
            }
        ]
    );
    assert_eq!(p.degree(), 3);
    assert_eq!(Polynomial::parse("-x - 1").unwrap().to_string(), "-x - 1");
    assert_eq!(Polynomial::parse("x - x").unwrap().to_string(), "0");
    assert_eq!(Polynomial::parse("x^0").unwrap().to_string(), "1");
    for op in Op::named() {
        if let Some(poly) = op.polynomial() {
            assert_eq!(&Polynomial::parse(&poly.to_string()).unwrap(), poly, "{op}");
        }
    }
}

#[test]
fn negative_and_huge_coefficients_reduce_exactly() {
    let p = 97u32;
    let e = Polynomial::parse("-9223372036854775807*x^8 + 9223372036854775807*y - 1").unwrap();
    let m = i64::MAX as i128;
    for (x, y) in [(0u32, 0u32), (1, 1), (96, 95), (50, 3)] {
        let want = (-m * (x as i128).pow(8) + m * y as i128 - 1).rem_euclid(p as i128) as u32;
        assert_eq!(e.eval(x, y, p), want);
    }
}

#[test]
fn degree_8_at_p65521_matches_u128() {
    let e = Polynomial::parse("x^8 + 3*x^4*y^4 - y^8 + 12345*x*y^7 - 1").unwrap();
    let p = 65521i128;
    for (x, y) in [(65520i128, 65519i128), (12345, 54321), (2, 3), (0, 65520)] {
        let r = |v: i128, k: u32| (0..k).fold(1i128, |a, _| a * v % p);
        let want =
            (r(x, 8) + 3 * r(x, 4) * r(y, 4) - r(y, 8) + 12345 * x * r(y, 7) - 1).rem_euclid(p);
        assert_eq!(e.eval(x as u32, y as u32, p as u32) as i128, want);
    }
}

#[test]
fn malformed_expressions_are_bad_expression_at_the_offending_byte() {
    let bad = |s: &str, at: usize| {
        assert_eq!(
            Polynomial::parse(s),
            Err(Error::BadExpression { at }),
            "{s:?}"
        )
    };
    bad("", 0);
    bad("   ", 3);
    bad("x^", 2);
    bad("x^ ", 3);
    bad("x**y", 2);
    bad("2*", 2);
    bad("2 * ", 4);
    bad("x +", 3);
    bad("+", 1);
    bad("-", 1);
    bad("x++y", 2);
    bad("2x", 1);
    bad("x y", 2);
    bad("xy", 1);
    bad("(x + y)^2", 0);
    bad("x^-1", 2);
    bad("x^y", 2);
    bad("x/y/y", 1);
    bad("y/x", 1);
    bad("x²", 1);
    bad("z", 0);
    bad("x = y", 2);
    bad("99999999999999999999*x", 0);
    bad("9223372036854775808", 0);
    bad("x + 4611686018427387904*2", 24);
    bad("9223372036854775807*x + x", 24);
    let long = "x+".repeat(5000);
    bad(&long, 10_000);
    assert_eq!(parse_op("x/y/y"), Err(Error::BadExpression { at: 1 }));
    assert_eq!(parse_op("x^"), Err(Error::BadExpression { at: 2 }));
}

#[test]
fn degree_above_8_is_degree_too_high() {
    let high = |s: &str, degree: u32| {
        assert_eq!(
            Polynomial::parse(s),
            Err(Error::DegreeTooHigh { degree }),
            "{s}"
        )
    };
    high("x^9", 9);
    high("x^4*y^5 + 1", 9);
    high("x*x*x*x*x*x*x*x*x", 9);
    high("1 + x^9 - x^9", 9);
    high("x^99999999999999999999", u32::MAX);
    high("x^4294967295*y^4294967295", u32::MAX);
    assert!(Polynomial::parse("x^4*y^4").is_ok());
    assert!(Polynomial::parse("x^08").is_ok());
}

#[test]
fn more_than_16_terms_after_combining_is_too_many_terms() {
    let monomials: Vec<String> = (0..=8u32)
        .flat_map(|d| (0..=d).map(move |a| format!("x^{a}*y^{}", d - a)))
        .collect();
    assert_eq!(monomials.len(), 45);
    let sum = |n: usize| monomials[..n].join(" + ");
    assert_eq!(
        Polynomial::parse(&sum(MAX_TERMS)).unwrap().terms().len(),
        MAX_TERMS
    );
    assert_eq!(
        Polynomial::parse(&sum(MAX_TERMS + 1)),
        Err(Error::TooManyTerms)
    );
    assert_eq!(Polynomial::parse(&sum(45)), Err(Error::TooManyTerms));
    let cancelled = format!("{} - {}", sum(MAX_TERMS + 1), monomials[0]);
    assert_eq!(
        Polynomial::parse(&cancelled).unwrap().terms().len(),
        MAX_TERMS
    );
    let repeated = vec!["x*y"; 100].join(" + ");
    assert_eq!(Polynomial::parse(&repeated).unwrap().to_string(), "100*x*y");
}

/// A small LCG so the inputs are the same on every run.
fn strings(n: usize) -> impl Iterator<Item = String> {
    let alphabet = b"xy0123456789^*+-/ ()z\t";
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 33) as usize
    };
    (0..n).map(move |_| {
        let len = next() % 24;
        (0..len)
            .map(|_| alphabet[next() % alphabet.len()] as char)
            .collect()
    })
}

#[test]
fn arbitrary_text_never_panics_and_parsed_text_round_trips() {
    let mut ok = 0;
    for s in strings(200_000) {
        if let Ok(poly) = Polynomial::parse(&s) {
            ok += 1;
            assert!(
                poly.degree() <= 8 && poly.terms().len() <= MAX_TERMS,
                "{s:?}"
            );
            assert_eq!(Polynomial::parse(&poly.to_string()).unwrap(), poly, "{s:?}");
        }
        let _ = parse_op(&s);
    }
    assert!(ok > 100, "only {ok} inputs parsed");
}
