//! Labels of every named operation at p = 97, for every pair, against (a) a direct i128
//! evaluation of each definition written here independently and (b) a hash of the labels that
//! Python computed from the reference's `fns_dict` formulas, generated once with:
//! ```python
//! p=97
//! F={'add':lambda x,y:x+y, 'x_x_y':lambda x,y:x+x+y, '_x_y__3':lambda x,y:(x+y)**3,
//!    'division':lambda x,y:x*pow(y,-1,p) if y else 0, ...}   # one lambda per name below
//! for n,f in F.items():
//!     s=0
//!     for x in range(p):
//!         for y in range(p):
//!             s=(s*1000003+f(x,y)%p)%(2**61-1)
//!     print(n, s)
//! ```
//! (`xy_x_m_y` is x*y + x - y here; the reference's dict has x*y + x + y for it, a copy slip.)

use modgrok_core::data::{ALL_OPS, Category, Filter, Op, Symbol};

const P: u32 = 97;

#[rustfmt::skip]
const PYTHON_HASH: [(&str, u64); 40] = [
    ("add", 1705616749154936908),
    ("subtract", 776455184474793630),
    ("multiply", 1847083354737265527),
    ("multiply_non_zero", 1847083354737265527),
    ("division", 1704659461303077812),
    ("2x_3y", 870649510945584077),
    ("2x_m_3y", 231658999467414744),
    ("x_x_y", 1578236821066733713),
    ("x_x_m_y", 2120952912936743089),
    ("xy_y", 361803212597457530),
    ("xy_m_y", 1166235189465992924),
    ("xy_x_y", 2120134868328358618),
    ("xy_x_m_y", 1312440866732811230),
    ("x2_y", 2066639726745395763),
    ("x2_m_y", 1974445561745816605),
    ("x3_2y", 741774655255475316),
    ("x3_m_2y", 1466987700107171953),
    ("x2_y2", 895418717454630317),
    ("x2_m_y2", 1920944833115357072),
    ("x2_xy_y2", 784847336104866428),
    ("x2_xy_y2_x", 2098664778958084927),
    ("x3_xy", 1801031497382049149),
    ("x3_xy2_y", 1580146452080588787),
    ("x2_2xy_y2", 2035095455188701378),
    ("x2_m_2xy_y2", 2164124346292419291),
    ("x2_2xy_y2_x_y", 2168198910456225668),
    ("_x_y__3", 1595338805959330874),
    ("_x_y__4", 507862214304540208),
    ("_x_m_y__3", 1649112357157206511),
    ("_x_m_y__4", 1198735035526449659),
    ("x1_y1", 1705616749154936908),
    ("x1_m_y1", 776455184474793630),
    ("_x_y__1", 1705616749154936908),
    ("_x_m_y__1", 776455184474793630),
    ("_x_y__2", 2035095455188701378),
    ("_x_m_y__2", 2164124346292419291),
    ("x3_y3", 793935315559071159),
    ("x3_m_y3", 22855089180307954),
    ("x4_y4", 790243668921881119),
    ("x4_m_y4", 1769182405850017367),
];

fn direct(name: &str, x: i128, y: i128, p: i128) -> i128 {
    let v = match name {
        "add" | "x1_y1" | "_x_y__1" => x + y,
        "subtract" | "x1_m_y1" | "_x_m_y__1" => x - y,
        "multiply" | "multiply_non_zero" => x * y,
        "division" => match (1..p).find(|z| (y * z) % p == 1) {
            Some(inv) => x * inv,
            None => 0,
        },
        "2x_3y" => 2 * x + 3 * y,
        "2x_m_3y" => 2 * x - 3 * y,
        "x_x_y" => x + x + y,
        "x_x_m_y" => x + x - y,
        "xy_y" => x * y + y,
        "xy_m_y" => x * y - y,
        "xy_x_y" => x * y + x + y,
        "xy_x_m_y" => x * y + x - y,
        "x2_y" => x * x + y,
        "x2_m_y" => x * x - y,
        "x3_2y" => x * x * x + 2 * y,
        "x3_m_2y" => x * x * x - 2 * y,
        "x2_y2" => x * x + y * y,
        "x2_m_y2" => x * x - y * y,
        "x3_y3" => x.pow(3) + y.pow(3),
        "x3_m_y3" => x.pow(3) - y.pow(3),
        "x4_y4" => x.pow(4) + y.pow(4),
        "x4_m_y4" => x.pow(4) - y.pow(4),
        "x2_xy_y2" => x * x + x * y + y * y,
        "x2_xy_y2_x" => x * x + x * y + y * y + x,
        "x3_xy" => x.pow(3) + x * y,
        "x3_xy2_y" => x.pow(3) + x * y * y + y,
        "x2_2xy_y2" | "_x_y__2" => (x + y).pow(2),
        "x2_m_2xy_y2" | "_x_m_y__2" => (x - y).pow(2),
        "x2_2xy_y2_x_y" => (x + y).pow(2) + x + y,
        "_x_y__3" => (x + y).pow(3),
        "_x_y__4" => (x + y).pow(4),
        "_x_m_y__3" => (x - y).pow(3),
        "_x_m_y__4" => (x - y).pow(4),
        other => panic!("no direct definition for {other}"),
    };
    v.rem_euclid(p)
}

#[test]
fn every_named_op_matches_direct_i128_evaluation_at_p97() {
    for op in Op::named() {
        let name = op.name().unwrap();
        for x in 0..P {
            for y in 0..P {
                let want = direct(name, x as i128, y as i128, P as i128) as u32;
                assert_eq!(op.eval(x, y, P), want, "{name}({x}, {y})");
            }
        }
    }
}

#[test]
fn every_named_op_matches_python_label_hash_at_p97() {
    assert_eq!(ALL_OPS.len(), PYTHON_HASH.len());
    for (name, want) in PYTHON_HASH {
        let op = Op::from_name(name).unwrap();
        let mut h = 0u64;
        for x in 0..P {
            for y in 0..P {
                h = ((h as u128 * 1_000_003 + op.eval(x, y, P) as u128) % ((1u128 << 61) - 1))
                    as u64;
            }
        }
        assert_eq!(h, want, "{name}");
    }
}

#[test]
fn names_are_unique_and_every_row_parses() {
    for (i, row) in ALL_OPS.iter().enumerate() {
        assert!(
            ALL_OPS[..i].iter().all(|r| r.name != row.name),
            "{} twice",
            row.name
        );
        let op = row.op();
        assert_eq!(op.name(), Some(row.name));
        assert_eq!(op.to_string(), row.name);
        assert_eq!(Op::from_name(row.name).unwrap(), op);
        assert_eq!(Op::parse(row.name).unwrap(), op);
    }
    assert_eq!(Op::named().count(), ALL_OPS.len());
}

#[test]
fn op_tokens_filters_and_categories_follow_the_reference() {
    let row = |n: &str| Op::from_name(n).unwrap();
    assert_eq!(row("add").symbol(), Symbol::Plus);
    assert_eq!(row("subtract").symbol(), Symbol::Minus);
    assert_eq!(row("multiply").symbol(), Symbol::Times);
    assert_eq!(row("multiply_non_zero").symbol(), Symbol::Times);
    assert_eq!(row("division").symbol(), Symbol::Div);
    for r in &ALL_OPS[5..] {
        assert_eq!(r.symbol, Symbol::Eq, "{}", r.name);
        assert_eq!(r.filter, Filter::ALL, "{}", r.name);
    }
    assert_eq!(row("multiply_non_zero").filter(), Filter::NON_ZERO);
    let p = 97;
    let mnz = row("multiply_non_zero");
    assert!(!mnz.admits(0, 5, p) && !mnz.admits(5, 0, p));
    assert!(mnz.admits(1, 1, p));
    // Only the token 0 is dropped: the token p, which the label reads as 0, stays (reference).
    assert!(mnz.admits(p, 5, p) && mnz.admits(5, p, p));
    assert_eq!(row("division").filter(), Filter::Y_INVERTIBLE);
    assert!(row("division").admits(0, 1, p) && !row("division").admits(1, 0, p));
    // y = p is 0 mod p and has no inverse; x = p is fine.
    assert!(!row("division").admits(1, p, p) && row("division").admits(p, 1, p));
    assert_eq!(
        [
            Symbol::Eq,
            Symbol::Plus,
            Symbol::Minus,
            Symbol::Times,
            Symbol::Div
        ]
        .map(|s| s.token(97)),
        [97, 98, 99, 100, 101]
    );
    assert_eq!(row("add").category(), Some(Category::Elementary));
    assert_eq!(row("2x_m_3y").category(), Some(Category::Linear));
    assert_eq!(row("xy_x_y").category(), Some(Category::CrossTerm));
    assert_eq!(row("x3_m_2y").category(), Some(Category::Univariate));
    assert_eq!(row("x3_xy2_y").category(), Some(Category::DegreeKCrossTerm));
    assert_eq!(row("x4_m_y4").category(), Some(Category::SumOfPowers));
    assert_eq!(row("_x_m_y__4").category(), Some(Category::Factorizable));
    assert_eq!(
        Category::DegreeKCrossTerm.to_string(),
        "degree-k cross term"
    );
}

#[test]
fn short_suffix_is_accepted_for_eq_token_ops_only() {
    assert_eq!(
        Op::from_name("x2_y2_short").unwrap(),
        Op::from_name("x2_y2").unwrap()
    );
    assert_eq!(
        Op::from_name("_x_y__3_short").unwrap().name(),
        Some("_x_y__3")
    );
    assert!(Op::from_name("add_short").is_err());
}

#[test]
fn unknown_names_are_unknown_op() {
    use modgrok_core::Error;
    for name in [
        "foo", "addition", "x2_y3", "Add", "xy", "x2", "x5_y5", "_x_y__5", "mul", "_short",
    ] {
        assert_eq!(Op::from_name(name), Err(Error::UnknownOp), "{name}");
        assert_eq!(Op::parse(name), Err(Error::UnknownOp), "{name}");
    }
    assert_eq!(Op::from_name("x + y"), Err(Error::UnknownOp));
}

#[test]
fn division_is_the_modular_inverse_for_large_p() {
    let div = Op::from_name("division").unwrap();
    let p = 65521;
    for (x, y) in [(1, 2), (65520, 65520), (12345, 54321), (0, 7)] {
        let z = div.eval(x, y, p) as u64;
        assert_eq!(z * y as u64 % p as u64, x as u64 % p as u64);
    }
    assert_eq!(div.eval(5, 0, p), 0);
}
