//! Property tests of the expression parser (`proptest`): arbitrary text never panics, every
//! polynomial that parses prints to text that parses back to it, generated expressions parse to
//! exactly the polynomial they were built from, and evaluation matches a u128 reference for any
//! x, y and modulus.
//!
//! 10 000 cases per property by default; `PROPTEST_CASES=1000000 cargo test --release proptest`
//! runs a longer search (README, "Fuzzing").

use modgrok_core::Error;
use modgrok_core::data::{MAX_DEGREE, MAX_TERMS, Polynomial, Tasks, Term, parse_op};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `PROPTEST_CASES` if set, else 10 000.
fn cases() -> Config {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    Config::with_cases(n)
}

/// `x^k mod p` by repeated multiplication in u128, independent of the crate's power table.
fn pow_mod(x: u128, k: u32, p: u128) -> u128 {
    (0..k).fold(1 % p, |acc, _| acc * (x % p) % p)
}

/// `Σ coef · x^a · y^b mod p` in u128, coefficient reduced in i128.
fn eval_ref(terms: impl IntoIterator<Item = (i128, u32, u32)>, x: u32, y: u32, p: u32) -> u32 {
    let p = p as u128;
    let mut acc = 0u128;
    for (coef, a, b) in terms {
        let c = coef.rem_euclid(p as i128) as u128;
        acc = (acc + c * pow_mod(x as u128, a, p) % p * pow_mod(y as u128, b, p)) % p;
    }
    acc as u32
}

fn check_parsed(poly: &Polynomial, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(poly.degree() <= MAX_DEGREE, "{text:?}");
    prop_assert!(poly.terms().len() <= MAX_TERMS, "{text:?}");
    prop_assert!(poly.terms().iter().all(|t| t.coef != 0), "{text:?}");
    let shown = poly.to_string();
    prop_assert_eq!(
        &Polynomial::parse(&shown),
        &Ok(poly.clone()),
        "{:?} printed as {:?}",
        text,
        shown
    );
    Ok(())
}

/// One factor of a generated term.
#[derive(Clone, Debug)]
enum Factor {
    Num(u64),
    /// `x` or `y`, with `^k` (and a leading zero on k) when `pow` is set.
    Var {
        y: bool,
        pow: Option<(u32, bool)>,
    },
}

#[derive(Clone, Debug)]
struct GenTerm {
    negative: bool,
    factors: Vec<Factor>,
}

fn factor(big: bool) -> impl Strategy<Value = Factor> {
    let num = if big {
        prop_oneof![
            0u64..30,
            Just(i64::MAX as u64),
            Just(i64::MAX as u64 - 1),
            Just(1u64 << 62),
            Just(1u64 << 63),
            Just(u64::MAX),
            any::<u64>(),
        ]
        .boxed()
    } else {
        (0u64..30).boxed()
    };
    prop_oneof![
        num.prop_map(Factor::Num),
        (any::<bool>(), prop::option::of((0u32..10, any::<bool>())))
            .prop_map(|(y, pow)| Factor::Var { y, pow }),
    ]
}

fn terms(big: bool) -> impl Strategy<Value = Vec<GenTerm>> {
    prop::collection::vec(
        (any::<bool>(), prop::collection::vec(factor(big), 1..4))
            .prop_map(|(negative, factors)| GenTerm { negative, factors }),
        1..20,
    )
}

/// Separators drawn around operators: none, spaces, tabs, newlines.
fn spaces() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec!["", " ", "  ", "\t", "\n", " \r\n"]),
        64,
    )
}

fn render(terms: &[GenTerm], ws: &[&str]) -> String {
    let mut w = ws.iter().cycle();
    let mut s = String::new();
    for (i, t) in terms.iter().enumerate() {
        s.push_str(w.next().unwrap());
        if t.negative {
            s.push('-');
        } else if i > 0 {
            s.push('+');
        }
        s.push_str(w.next().unwrap());
        for (j, f) in t.factors.iter().enumerate() {
            if j > 0 {
                s.push_str(w.next().unwrap());
                s.push('*');
                s.push_str(w.next().unwrap());
            }
            match f {
                Factor::Num(n) => s.push_str(&n.to_string()),
                Factor::Var { y, pow } => {
                    s.push(if *y { 'y' } else { 'x' });
                    if let Some((k, zero)) = pow {
                        s.push_str(w.next().unwrap());
                        s.push('^');
                        s.push_str(w.next().unwrap());
                        if *zero {
                            s.push('0');
                        }
                        s.push_str(&k.to_string());
                    }
                }
            }
        }
    }
    s.push_str(w.next().unwrap());
    s
}

/// `(coef, x_pow, y_pow)` of a generated term, in i128 (no overflow for small factors).
fn monomial(t: &GenTerm) -> (i128, u32, u32) {
    let (mut c, mut a, mut b) = (1i128, 0u32, 0u32);
    for f in &t.factors {
        match f {
            Factor::Num(n) => c *= *n as i128,
            Factor::Var { y, pow } => {
                let k = pow.map_or(1, |(k, _)| k);
                if *y {
                    b += k;
                } else {
                    a += k;
                }
            }
        }
    }
    (if t.negative { -c } else { c }, a, b)
}

/// What parsing a well-formed expression of small numbers must give: the first term (in text
/// order) of degree above the limit, else too many distinct non-zero monomials, else the sum.
fn expected(terms: &[GenTerm]) -> Result<Vec<(i128, u32, u32)>, Error> {
    let mut sum = std::collections::BTreeMap::new();
    for t in terms {
        let (c, a, b) = monomial(t);
        if a + b > MAX_DEGREE {
            return Err(Error::DegreeTooHigh { degree: a + b });
        }
        *sum.entry((a, b)).or_insert(0i128) += c;
    }
    let kept: Vec<(i128, u32, u32)> = sum
        .into_iter()
        .filter(|&(_, c)| c != 0)
        .map(|((a, b), c)| (c, a, b))
        .collect();
    if kept.len() > MAX_TERMS {
        Err(Error::TooManyTerms)
    } else {
        Ok(kept)
    }
}

/// A small edit of a well-formed expression: delete, insert or replace one byte.
#[derive(Clone, Debug)]
enum Edit {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"xy0123456789^*+-/ ()z,\t".to_vec());
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Edit::Replace(i, b)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        match e {
            Edit::Delete(i) if !b.is_empty() => {
                b.remove(i.index(b.len()));
            }
            Edit::Insert(i, c) => b.insert(i.index(b.len() + 1), *c),
            Edit::Replace(i, c) if !b.is_empty() => {
                let at = i.index(b.len());
                b[at] = *c;
            }
            _ => {}
        }
    }
    String::from_utf8(b).expect("edits keep ASCII")
}

proptest! {
    #![proptest_config(cases())]

    /// Any Unicode text: parse returns, and whatever parses round-trips; mixtures too.
    #[test]
    fn proptest_arbitrary_text_never_panics(text in any::<String>(), p in 0u32..200) {
        if let Ok(poly) = Polynomial::parse(&text) {
            check_parsed(&poly, &text)?;
        }
        if let Err(Error::BadExpression { at }) = Polynomial::parse(&text) {
            prop_assert!(at <= text.len());
        }
        let _ = parse_op(&text);
        let _ = Tasks::parse(p, &text);
    }

    /// Text over the grammar's own alphabet, where most inputs get deep into the parser.
    #[test]
    fn proptest_grammar_alphabet_text_never_panics(
        text in "[xy0-9^*+\\- \t/]{0,48}",
    ) {
        match Polynomial::parse(&text) {
            Ok(poly) => check_parsed(&poly, &text)?,
            Err(Error::BadExpression { at }) => prop_assert!(at <= text.len()),
            Err(Error::DegreeTooHigh { degree }) => prop_assert!(degree > MAX_DEGREE),
            Err(Error::TooManyTerms) => {}
            Err(e) => prop_assert!(false, "{text:?}: unexpected {e:?}"),
        }
        if let Ok(op) = parse_op(&text) {
            prop_assert_eq!(parse_op(&op.to_string()), Ok(op));
        }
    }

    /// Well-formed expressions of small numbers parse to exactly the polynomial they spell, and
    /// evaluate like the u128 reference on any x, y and modulus.
    #[test]
    fn proptest_generated_expressions_parse_and_eval_exactly(
        terms in terms(false),
        ws in spaces(),
        xs in prop::collection::vec((any::<u32>(), any::<u32>(), 1u32..), 4),
    ) {
        let text = render(&terms, &ws);
        let got = Polynomial::parse(&text);
        match (expected(&terms), &got) {
            (Ok(want), Ok(poly)) => {
                check_parsed(poly, &text)?;
                let have: Vec<(i128, u32, u32)> = poly
                    .terms()
                    .iter()
                    .map(|t: &Term| (t.coef as i128, t.x_pow as u32, t.y_pow as u32))
                    .collect();
                let mut sorted = have.clone();
                sorted.sort_by_key(|&(_, a, b)| (a, b));
                prop_assert_eq!(&sorted, &want, "{:?}", text);
                for &(x, y, p) in &xs {
                    prop_assert_eq!(
                        poly.eval(x, y, p),
                        eval_ref(want.iter().copied(), x, y, p),
                        "{:?} at ({}, {}) mod {}", text, x, y, p
                    );
                }
            }
            (Err(want), Err(e)) => prop_assert_eq!(&want, e, "{:?}", text),
            (want, _) => prop_assert!(false, "{text:?}: expected {want:?}, got {got:?}"),
        }
    }

    /// Huge and edge-case coefficients: parse returns, parsed text round-trips and evaluates
    /// like the reference (the reference reads the parsed terms, in i128).
    #[test]
    fn proptest_huge_coefficients_round_trip_and_eval(
        terms in terms(true),
        ws in spaces(),
        xs in prop::collection::vec((any::<u32>(), any::<u32>(), 1u32..), 4),
    ) {
        let text = render(&terms, &ws);
        match Polynomial::parse(&text) {
            Ok(poly) => {
                check_parsed(&poly, &text)?;
                let reference = poly
                    .terms()
                    .iter()
                    .map(|t| (t.coef as i128, t.x_pow as u32, t.y_pow as u32));
                for &(x, y, p) in &xs {
                    prop_assert_eq!(poly.eval(x, y, p), eval_ref(reference.clone(), x, y, p));
                }
            }
            Err(Error::BadExpression { at }) => prop_assert!(at < text.len(), "{text:?}"),
            Err(Error::DegreeTooHigh { degree }) => prop_assert!(degree > MAX_DEGREE),
            Err(Error::TooManyTerms) => {}
            Err(e) => prop_assert!(false, "{text:?}: unexpected {e:?}"),
        }
    }

    /// Near-valid expressions (one to three one-byte edits of a valid one): never a panic, any
    /// accepted text round-trips and evaluates like the reference.
    #[test]
    fn proptest_near_valid_expressions_never_panic(
        terms in terms(false),
        ws in spaces(),
        edits in prop::collection::vec(edit(), 1..4),
        (x, y, p) in (any::<u32>(), any::<u32>(), 1u32..),
    ) {
        let text = apply(&render(&terms, &ws), &edits);
        match Polynomial::parse(&text) {
            Ok(poly) => {
                check_parsed(&poly, &text)?;
                let reference = poly
                    .terms()
                    .iter()
                    .map(|t| (t.coef as i128, t.x_pow as u32, t.y_pow as u32));
                prop_assert_eq!(poly.eval(x, y, p), eval_ref(reference, x, y, p));
            }
            Err(Error::BadExpression { at }) => prop_assert!(at <= text.len(), "{text:?}"),
            Err(_) => {}
        }
        if let Ok(op) = parse_op(&text) {
            prop_assert_eq!(parse_op(&op.to_string()), Ok(op.clone()));
            let _ = op.eval(x, y, p);
        }
    }
}

/// Found by `proptest_huge_coefficients_round_trip_and_eval`: `-y - 9223372036854775807*y`
/// combined to an i64::MIN coefficient, printed as `-9223372036854775808*y`, which does not
/// parse. Such a sum is now refused like any other overflow, at the term that reaches it.
#[test]
fn a_coefficient_of_i64_min_is_refused_so_every_parse_round_trips() {
    for text in [
        "-y - 9223372036854775807*y",
        "-9223372036854775807 - 1",
        "-1 - 9223372036854775807",
    ] {
        let at = text.rfind('-').unwrap() + 2;
        assert_eq!(
            Polynomial::parse(text),
            Err(Error::BadExpression { at }),
            "{text}"
        );
    }
    let max = Polynomial::parse("-9223372036854775807*y").unwrap();
    assert_eq!(Polynomial::parse(&max.to_string()), Ok(max));
}
