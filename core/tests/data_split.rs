//! The reference split against Python. Vectors generated once with this script (python3 3.11),
//! `n` = p + 5 for `reference` (every token id, the published code's `gen_train_test(frac,
//! d_vocab, ...)`) and p for `field`:
//! ```python
//! import random
//! def split(p, n, seed, frac, flt):
//!     pairs=[(x,y) for x in range(n) for y in range(n) if flt(x,y,p)]
//!     random.seed(seed); random.shuffle(pairs)
//!     chk=sum((i+1)*(x*1000+y) for i,(x,y) in enumerate(pairs))
//!     return pairs, int(frac*len(pairs)), chk
//! flts={'ALL':lambda x,y,p:True,'Y_INVERTIBLE':lambda x,y,p:y%p!=0,
//!       'NON_ZERO':lambda x,y,p:0 not in (x,y)}
//! field=[(p,s,'ALL') for p in (97,113) for s in (0,1,2)]+[(97,0,'Y_INVERTIBLE'),(97,0,'NON_ZERO'),
//!       (113,2,'Y_INVERTIBLE'),(113,2,'NON_ZERO')]
//! reference=[(97,s,'ALL') for s in (0,1,2)]+[(113,2,'ALL'),(97,0,'Y_INVERTIBLE'),
//!       (97,0,'NON_ZERO'),(113,2,'Y_INVERTIBLE'),(113,2,'NON_ZERO')]
//! for mode,rows in (('field',field),('reference',reference)):
//!     for p,s,f in rows:
//!         pairs,nt,chk=split(p,p+5 if mode=='reference' else p,s,0.3,flts[f])
//!         print(mode, p, s, f, len(pairs), nt, chk, pairs[:20])
//! ```
//! `checksum` is Σ (i+1)·(1000·x_i + y_i) over the whole shuffled list. `multiply_non_zero`
//! drops only the token 0 (`0 not in pair`), so under `reference` the token p, read as 0 by the
//! label, stays; `division` drops every y ≡ 0 mod p (our rule: the reference has no division).

use modgrok_core::Error;
use modgrok_core::data::{Filter, Op, Pairs, Tasks, n_pairs, n_train, split_pairs, validate_p};

struct Vector {
    p: u32,
    seed: u64,
    pairs: Pairs,
    filter: Filter,
    n_pairs: usize,
    n_train: usize,
    checksum: u64,
    first: [(u16, u16); 20],
}

#[rustfmt::skip]
const VECTORS: [Vector; 18] = [
    Vector { p: 97, seed: 0, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2124183823329,
        first: [(63, 40), (53, 60), (7, 89), (89, 2), (18, 64), (63, 79), (40, 37), (46, 48), (94, 62), (35, 91), (92, 56), (6, 15), (61, 42), (73, 89), (12, 37), (63, 31), (45, 54), (61, 20), (42, 10), (28, 75)] },
    Vector { p: 97, seed: 1, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2126633832392,
        first: [(38, 82), (19, 93), (90, 6), (37, 73), (16, 3), (53, 30), (42, 82), (33, 30), (11, 15), (52, 5), (55, 25), (17, 49), (10, 1), (16, 60), (76, 71), (0, 10), (25, 60), (64, 95), (37, 72), (72, 35)] },
    Vector { p: 97, seed: 2, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2134050236088,
        first: [(31, 14), (9, 5), (47, 86), (10, 77), (96, 26), (70, 32), (78, 62), (95, 24), (31, 61), (83, 59), (60, 58), (51, 30), (62, 32), (43, 62), (30, 38), (65, 7), (69, 90), (81, 59), (17, 13), (13, 93)] },
    Vector { p: 113, seed: 0, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4547682721914,
        first: [(18, 34), (10, 83), (55, 28), (25, 51), (63, 65), (14, 104), (27, 56), (35, 77), (41, 72), (17, 111), (92, 46), (102, 8), (43, 52), (14, 75), (47, 0), (62, 21), (54, 46), (15, 45), (83, 64), (51, 53)] },
    Vector { p: 113, seed: 1, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4575544774795,
        first: [(58, 58), (76, 57), (60, 23), (100, 89), (29, 27), (34, 30), (26, 15), (32, 92), (90, 106), (60, 74), (14, 90), (1, 48), (32, 103), (44, 23), (81, 18), (83, 92), (28, 93), (79, 38), (8, 39), (28, 98)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Field, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4586971837721,
        first: [(5, 5), (76, 6), (99, 17), (79, 38), (47, 38), (20, 34), (45, 80), (96, 4), (37, 70), (54, 4), (45, 100), (49, 67), (66, 49), (104, 1), (58, 8), (87, 64), (68, 84), (43, 80), (98, 75), (17, 58)] },
    Vector { p: 97, seed: 0, pairs: Pairs::Field, filter: Filter::Y_INVERTIBLE, n_pairs: 9312, n_train: 2793, checksum: 2080663924315,
        first: [(90, 66), (68, 12), (65, 85), (15, 44), (69, 35), (4, 30), (72, 96), (42, 61), (46, 21), (52, 36), (96, 21), (16, 35), (61, 9), (93, 11), (20, 75), (77, 37), (10, 3), (29, 34), (31, 67), (69, 46)] },
    Vector { p: 97, seed: 0, pairs: Pairs::Field, filter: Filter::NON_ZERO, n_pairs: 9216, n_train: 2764, checksum: 2062272231798,
        first: [(2, 65), (2, 49), (72, 83), (28, 28), (63, 48), (1, 48), (4, 46), (83, 61), (16, 79), (91, 1), (46, 62), (38, 80), (30, 53), (8, 19), (96, 30), (14, 80), (88, 6), (22, 12), (63, 28), (68, 4)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Field, filter: Filter::Y_INVERTIBLE, n_pairs: 12656, n_train: 3796, checksum: 4503139434577,
        first: [(89, 91), (24, 51), (3, 111), (64, 72), (62, 60), (91, 39), (7, 35), (54, 32), (88, 106), (26, 35), (109, 85), (71, 97), (37, 24), (107, 42), (101, 81), (46, 45), (2, 78), (24, 19), (13, 99), (103, 75)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Field, filter: Filter::NON_ZERO, n_pairs: 12544, n_train: 3763, checksum: 4463729925573,
        first: [(5, 47), (68, 101), (85, 84), (85, 70), (30, 84), (6, 88), (88, 3), (94, 78), (107, 66), (109, 73), (110, 78), (31, 7), (96, 24), (38, 94), (66, 30), (95, 95), (41, 96), (26, 4), (102, 5), (27, 54)] },
    Vector { p: 97, seed: 0, pairs: Pairs::Reference, filter: Filter::ALL, n_pairs: 10404, n_train: 3121, checksum: 2738107242077,
        first: [(58, 84), (31, 88), (25, 27), (23, 96), (92, 98), (36, 87), (16, 72), (90, 30), (25, 81), (87, 79), (91, 89), (55, 48), (28, 75), (97, 19), (37, 39), (5, 37), (29, 96), (101, 5), (29, 6), (14, 20)] },
    Vector { p: 97, seed: 1, pairs: Pairs::Reference, filter: Filter::ALL, n_pairs: 10404, n_train: 3121, checksum: 2738081976117,
        first: [(0, 7), (37, 33), (12, 86), (44, 76), (25, 44), (67, 53), (64, 40), (55, 6), (50, 46), (46, 8), (55, 66), (20, 78), (51, 91), (73, 56), (39, 87), (66, 73), (86, 18), (87, 26), (7, 94), (10, 27)] },
    Vector { p: 97, seed: 2, pairs: Pairs::Reference, filter: Filter::ALL, n_pairs: 10404, n_train: 3121, checksum: 2739376332649,
        first: [(65, 26), (50, 47), (23, 28), (80, 42), (44, 19), (81, 7), (0, 27), (71, 88), (48, 15), (58, 77), (77, 90), (31, 33), (26, 70), (2, 26), (93, 77), (48, 78), (60, 63), (16, 93), (37, 5), (76, 33)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Reference, filter: Filter::ALL, n_pairs: 13924, n_train: 4177, checksum: 5681088452751,
        first: [(61, 117), (86, 40), (103, 38), (3, 92), (7, 103), (38, 40), (7, 73), (1, 53), (84, 18), (77, 71), (40, 26), (78, 40), (103, 78), (57, 52), (95, 36), (67, 95), (2, 84), (45, 15), (71, 107), (22, 96)] },
    Vector { p: 97, seed: 0, pairs: Pairs::Reference, filter: Filter::Y_INVERTIBLE, n_pairs: 10200, n_train: 3060, checksum: 2635743661055,
        first: [(78, 75), (81, 75), (48, 58), (7, 59), (31, 23), (13, 7), (85, 72), (80, 9), (54, 70), (74, 73), (29, 96), (88, 59), (28, 73), (75, 61), (10, 35), (43, 79), (29, 89), (85, 45), (73, 92), (41, 13)] },
    Vector { p: 97, seed: 0, pairs: Pairs::Reference, filter: Filter::NON_ZERO, n_pairs: 10201, n_train: 3060, checksum: 2663570911904,
        first: [(73, 28), (4, 19), (85, 74), (36, 34), (11, 1), (74, 37), (94, 45), (8, 56), (24, 81), (10, 46), (67, 73), (35, 4), (38, 68), (45, 69), (65, 55), (46, 47), (99, 72), (24, 45), (31, 85), (74, 3)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Reference, filter: Filter::Y_INVERTIBLE, n_pairs: 13688, n_train: 4106, checksum: 5494546531898,
        first: [(15, 50), (4, 26), (27, 41), (69, 87), (46, 39), (46, 7), (34, 103), (67, 92), (75, 98), (63, 70), (37, 107), (36, 99), (52, 104), (77, 50), (53, 61), (108, 115), (40, 90), (27, 14), (102, 69), (81, 65)] },
    Vector { p: 113, seed: 2, pairs: Pairs::Reference, filter: Filter::NON_ZERO, n_pairs: 13689, n_train: 4106, checksum: 5542330316633,
        first: [(16, 35), (5, 22), (28, 14), (70, 18), (46, 110), (46, 78), (35, 69), (68, 25), (76, 23), (64, 7), (38, 70), (37, 63), (53, 52), (77, 90), (54, 8), (109, 7), (41, 50), (27, 104), (102, 84), (81, 101)] },
];

fn checksum(pairs: &[(u16, u16)]) -> u64 {
    pairs
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| (i as u64 + 1) * (1000 * x as u64 + y as u64))
        .sum()
}

#[test]
fn split_matches_python_random_shuffle_p97_p113_seeds_0_1_2() {
    for v in &VECTORS {
        assert_eq!(n_pairs(v.p, v.pairs, v.filter), v.n_pairs);
        let mut buf = vec![(0u16, 0u16); v.n_pairs];
        let n_train = split_pairs(v.p, v.pairs, v.filter, 0.3, v.seed, &mut buf).unwrap();
        let what = format!("p {} seed {} {:?} {:?}", v.p, v.seed, v.pairs, v.filter);
        assert_eq!(n_train, v.n_train, "{what}");
        assert_eq!(buf[..20], v.first, "{what}");
        assert_eq!(checksum(&buf), v.checksum, "{what}");
    }
}

#[test]
fn spec_vectors_p97_seed0() {
    let add = Tasks::parse(97, "add").unwrap();
    let mut buf = vec![(0u16, 0u16); 10404];
    assert_eq!(add.n_pairs(Pairs::Reference), 10404);
    assert_eq!(add.split(Pairs::Reference, 0.3, 0, &mut buf), Ok(3121));
    assert_eq!(
        buf[..10],
        [
            (58, 84),
            (31, 88),
            (25, 27),
            (23, 96),
            (92, 98),
            (36, 87),
            (16, 72),
            (90, 30),
            (25, 81),
            (87, 79)
        ]
    );
    let mnz = Tasks::parse(97, "multiply_non_zero").unwrap();
    assert_eq!(mnz.n_pairs(Pairs::Reference), 10201);
    assert_eq!(mnz.split(Pairs::Reference, 0.3, 0, &mut buf), Ok(3060));
    assert_eq!(buf[..5], [(73, 28), (4, 19), (85, 74), (36, 34), (11, 1)]);
    assert_eq!(add.n_pairs(Pairs::Field), 9409);
    assert_eq!(add.split(Pairs::Field, 0.3, 0, &mut buf), Ok(2822));
    assert_eq!(
        buf[..10],
        [
            (63, 40),
            (53, 60),
            (7, 89),
            (89, 2),
            (18, 64),
            (63, 79),
            (40, 37),
            (46, 48),
            (94, 62),
            (35, 91)
        ]
    );
}

#[test]
fn the_default_is_reference() {
    assert_eq!(Pairs::default(), Pairs::Reference);
    assert_eq!(
        (Pairs::Reference.operands(97), Pairs::Field.operands(97)),
        (102, 97)
    );
}

#[test]
fn filtered_splits_of_division_and_multiply_non_zero_match_python() {
    for pairs in [Pairs::Reference, Pairs::Field] {
        for (name, p, seed) in [
            ("division", 97, 0),
            ("multiply_non_zero", 97, 0),
            ("division", 113, 2),
            ("multiply_non_zero", 113, 2),
        ] {
            let tasks = Tasks::new(p, &[Op::from_name(name).unwrap()]).unwrap();
            let v = VECTORS
                .iter()
                .find(|v| {
                    v.p == p && v.seed == seed && v.pairs == pairs && v.filter == tasks.filter()
                })
                .unwrap();
            assert_ne!(v.filter, Filter::ALL);
            let mut buf = vec![(0u16, 0u16); tasks.n_pairs(pairs)];
            let what = format!("{name} p {p} {pairs:?}");
            assert_eq!(
                tasks.split(pairs, 0.3, seed, &mut buf),
                Ok(v.n_train),
                "{what}"
            );
            assert_eq!(buf[..20], v.first, "{what}");
            assert_eq!(checksum(&buf), v.checksum, "{what}");
            let op = &tasks.tasks()[0].op;
            assert!(buf.iter().all(|&(x, y)| op.admits(x as u32, y as u32, p)));
        }
    }
}

#[test]
fn mixture_with_multiply_non_zero_uses_the_non_zero_split() {
    let ops = [
        Op::from_name("add").unwrap(),
        Op::from_name("multiply_non_zero").unwrap(),
    ];
    let tasks = Tasks::new(97, &ops).unwrap();
    assert_eq!(tasks.filter(), Filter::NON_ZERO);
    let ops = [
        Op::from_name("division").unwrap(),
        Op::from_name("multiply_non_zero").unwrap(),
    ];
    let both = Tasks::new(97, &ops).unwrap();
    assert_eq!(
        both.filter(),
        Filter {
            no_zero_token: true,
            y_invertible: true
        }
    );
    // x ∈ 1..102, y ∈ 1..102 less y = 97.
    assert_eq!(both.n_pairs(Pairs::Reference), 101 * 100);
    assert_eq!(both.n_pairs(Pairs::Field), 96 * 96);
    let ops = [
        Op::from_name("division").unwrap(),
        Op::from_name("add").unwrap(),
    ];
    assert_eq!(Tasks::new(97, &ops).unwrap().filter(), Filter::Y_INVERTIBLE);
}

#[test]
fn n_train_is_python_int_of_f64_product() {
    // python3 -c "print([int(f*n) for n in (9409, 9312, 9216, 12769) for f in (0.1, 0.3, 0.5, 0.7, 0.9, 1/3, 0.29)])"
    let want = [
        940, 2822, 4704, 6586, 8468, 3136, 2728, 931, 2793, 4656, 6518, 8380, 3104, 2700, 921,
        2764, 4608, 6451, 8294, 3072, 2672, 1276, 3830, 6384, 8938, 11492, 4256, 3703,
    ];
    let mut got = Vec::new();
    for n in [9409, 9312, 9216, 12769] {
        for f in [0.1, 0.3, 0.5, 0.7, 0.9, 1.0 / 3.0, 0.29] {
            got.push(n_train(f, n).unwrap());
        }
    }
    assert_eq!(got, want);
}

#[test]
fn bad_p_is_refused() {
    for p in [0, 1, 2, 4, 91, 65536, 65537, 65539, u32::MAX] {
        assert_eq!(validate_p(p), Err(Error::BadModulus { p }), "p = {p}");
        let mut buf = [(0u16, 0u16); 16];
        assert_eq!(
            split_pairs(p, Pairs::Field, Filter::ALL, 0.3, 0, &mut buf),
            Err(Error::BadModulus { p })
        );
        assert_eq!(
            Tasks::new(p, &[Op::from_name("add").unwrap()]).err(),
            Some(Error::BadModulus { p })
        );
    }
    for p in [3, 5, 7, 11, 97, 113, 65521] {
        assert_eq!(validate_p(p), Ok(()), "p = {p}");
    }
}

#[test]
fn bad_frac_is_refused() {
    let mut buf = vec![(0u16, 0u16); 9409];
    let bad = |frac: f64| Error::BadFraction {
        frac,
        n_pairs: 9409,
    };
    for frac in [
        0.0,
        1.0,
        -0.1,
        1.5,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-5,
        1.0 / 9409.0 - 1e-12,
    ] {
        assert_eq!(
            split_pairs(97, Pairs::Field, Filter::ALL, frac, 0, &mut buf),
            Err(bad(frac)),
            "frac {frac}"
        );
    }
    assert!(matches!(
        split_pairs(97, Pairs::Field, Filter::ALL, f64::NAN, 0, &mut buf),
        Err(Error::BadFraction { frac, n_pairs: 9409 }) if frac.is_nan()
    ));
    // 1/9409 gives exactly one train pair, 9408/9409 exactly one test pair.
    assert_eq!(
        split_pairs(
            97,
            Pairs::Field,
            Filter::ALL,
            1.0 / 9409.0 + 1e-12,
            0,
            &mut buf
        ),
        Ok(1)
    );
    assert_eq!(
        split_pairs(97, Pairs::Field, Filter::ALL, 9408.5 / 9409.0, 0, &mut buf),
        Ok(9408)
    );
    // The largest f64 below 1 still leaves one test pair (Python: int(0.9999999999999999*9409)).
    assert_eq!(n_train(0.999_999_999_999_999_9, 9409), Ok(9408));
    assert_eq!(
        n_train(0.5, 1),
        Err(Error::BadFraction {
            frac: 0.5,
            n_pairs: 1
        })
    );
}

#[test]
fn short_buffer_is_refused_and_longer_one_kept_beyond_n_pairs() {
    let mut buf = vec![(0u16, 0u16); 9408];
    assert_eq!(
        split_pairs(97, Pairs::Field, Filter::ALL, 0.3, 0, &mut buf),
        Err(Error::BufferTooSmall {
            need: 9409,
            got: 9408
        })
    );
    let mut buf = vec![(7u16, 7u16); 9410];
    assert_eq!(
        split_pairs(97, Pairs::Field, Filter::ALL, 0.3, 0, &mut buf),
        Ok(2822)
    );
    assert_eq!(buf[9409], (7, 7));
}
