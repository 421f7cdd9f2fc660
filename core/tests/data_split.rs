//! The reference split against Python. Vectors generated once with this script (python3 3.11):
//! ```python
//! import random
//! def split(p, seed, frac, flt):
//!     pairs=[(x,y) for x in range(p) for y in range(p) if flt(x,y)]
//!     random.seed(seed); random.shuffle(pairs)
//!     chk=sum((i+1)*(x*1000+y) for i,(x,y) in enumerate(pairs))
//!     return pairs, int(frac*len(pairs)), chk
//! flts={'ALL':lambda x,y:True,'Y_NON_ZERO':lambda x,y:y!=0,'NON_ZERO':lambda x,y:x!=0 and y!=0}
//! rows=[(p,s,'ALL') for p in (97,113) for s in (0,1,2)]+[(97,0,'Y_NON_ZERO'),(97,0,'NON_ZERO'),
//!       (113,2,'Y_NON_ZERO'),(113,2,'NON_ZERO')]
//! for p,s,f in rows:
//!     pairs,nt,chk=split(p,s,0.3,flts[f])
//!     print(p, s, f, len(pairs), nt, chk, pairs[:20])
//! ```
//! `checksum` is Σ (i+1)·(1000·x_i + y_i) over the whole shuffled list.

use modgrok_core::Error;
use modgrok_core::data::{Filter, Op, Tasks, n_pairs, n_train, split_pairs, validate_p};

struct Vector {
    p: u32,
    seed: u64,
    filter: Filter,
    n_pairs: usize,
    n_train: usize,
    checksum: u64,
    first: [(u16, u16); 20],
}

#[rustfmt::skip]
const VECTORS: [Vector; 10] = [
    Vector { p: 97, seed: 0, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2124183823329,
        first: [(63, 40), (53, 60), (7, 89), (89, 2), (18, 64), (63, 79), (40, 37), (46, 48), (94, 62), (35, 91), (92, 56), (6, 15), (61, 42), (73, 89), (12, 37), (63, 31), (45, 54), (61, 20), (42, 10), (28, 75)] },
    Vector { p: 97, seed: 1, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2126633832392,
        first: [(38, 82), (19, 93), (90, 6), (37, 73), (16, 3), (53, 30), (42, 82), (33, 30), (11, 15), (52, 5), (55, 25), (17, 49), (10, 1), (16, 60), (76, 71), (0, 10), (25, 60), (64, 95), (37, 72), (72, 35)] },
    Vector { p: 97, seed: 2, filter: Filter::ALL, n_pairs: 9409, n_train: 2822, checksum: 2134050236088,
        first: [(31, 14), (9, 5), (47, 86), (10, 77), (96, 26), (70, 32), (78, 62), (95, 24), (31, 61), (83, 59), (60, 58), (51, 30), (62, 32), (43, 62), (30, 38), (65, 7), (69, 90), (81, 59), (17, 13), (13, 93)] },
    Vector { p: 113, seed: 0, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4547682721914,
        first: [(18, 34), (10, 83), (55, 28), (25, 51), (63, 65), (14, 104), (27, 56), (35, 77), (41, 72), (17, 111), (92, 46), (102, 8), (43, 52), (14, 75), (47, 0), (62, 21), (54, 46), (15, 45), (83, 64), (51, 53)] },
    Vector { p: 113, seed: 1, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4575544774795,
        first: [(58, 58), (76, 57), (60, 23), (100, 89), (29, 27), (34, 30), (26, 15), (32, 92), (90, 106), (60, 74), (14, 90), (1, 48), (32, 103), (44, 23), (81, 18), (83, 92), (28, 93), (79, 38), (8, 39), (28, 98)] },
    Vector { p: 113, seed: 2, filter: Filter::ALL, n_pairs: 12769, n_train: 3830, checksum: 4586971837721,
        first: [(5, 5), (76, 6), (99, 17), (79, 38), (47, 38), (20, 34), (45, 80), (96, 4), (37, 70), (54, 4), (45, 100), (49, 67), (66, 49), (104, 1), (58, 8), (87, 64), (68, 84), (43, 80), (98, 75), (17, 58)] },
    Vector { p: 97, seed: 0, filter: Filter::Y_NON_ZERO, n_pairs: 9312, n_train: 2793, checksum: 2080663924315,
        first: [(90, 66), (68, 12), (65, 85), (15, 44), (69, 35), (4, 30), (72, 96), (42, 61), (46, 21), (52, 36), (96, 21), (16, 35), (61, 9), (93, 11), (20, 75), (77, 37), (10, 3), (29, 34), (31, 67), (69, 46)] },
    Vector { p: 97, seed: 0, filter: Filter::NON_ZERO, n_pairs: 9216, n_train: 2764, checksum: 2062272231798,
        first: [(2, 65), (2, 49), (72, 83), (28, 28), (63, 48), (1, 48), (4, 46), (83, 61), (16, 79), (91, 1), (46, 62), (38, 80), (30, 53), (8, 19), (96, 30), (14, 80), (88, 6), (22, 12), (63, 28), (68, 4)] },
    Vector { p: 113, seed: 2, filter: Filter::Y_NON_ZERO, n_pairs: 12656, n_train: 3796, checksum: 4503139434577,
        first: [(89, 91), (24, 51), (3, 111), (64, 72), (62, 60), (91, 39), (7, 35), (54, 32), (88, 106), (26, 35), (109, 85), (71, 97), (37, 24), (107, 42), (101, 81), (46, 45), (2, 78), (24, 19), (13, 99), (103, 75)] },
    Vector { p: 113, seed: 2, filter: Filter::NON_ZERO, n_pairs: 12544, n_train: 3763, checksum: 4463729925573,
        first: [(5, 47), (68, 101), (85, 84), (85, 70), (30, 84), (6, 88), (88, 3), (94, 78), (107, 66), (109, 73), (110, 78), (31, 7), (96, 24), (38, 94), (66, 30), (95, 95), (41, 96), (26, 4), (102, 5), (27, 54)] },
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
        assert_eq!(n_pairs(v.p, v.filter), v.n_pairs);
        let mut buf = vec![(0u16, 0u16); v.n_pairs];
        let n_train = split_pairs(v.p, v.filter, 0.3, v.seed, &mut buf).unwrap();
        let what = format!("p {} seed {} {:?}", v.p, v.seed, v.filter);
        assert_eq!(n_train, v.n_train, "{what}");
        assert_eq!(buf[..20], v.first, "{what}");
        assert_eq!(checksum(&buf), v.checksum, "{what}");
    }
}

#[test]
fn spec_vector_p97_seed0_gives_2822_train_pairs() {
    let mut buf = vec![(0u16, 0u16); 9409];
    assert_eq!(split_pairs(97, Filter::ALL, 0.3, 0, &mut buf), Ok(2822));
    assert_eq!(buf[..5], [(63, 40), (53, 60), (7, 89), (89, 2), (18, 64)]);
}

#[test]
fn filtered_splits_of_division_and_multiply_non_zero_match_python() {
    for (name, p, seed) in [
        ("division", 97, 0),
        ("multiply_non_zero", 97, 0),
        ("division", 113, 2),
        ("multiply_non_zero", 113, 2),
    ] {
        let tasks = Tasks::new(p, &[Op::from_name(name).unwrap()]).unwrap();
        let v = VECTORS
            .iter()
            .find(|v| v.p == p && v.seed == seed && v.filter == tasks.filter())
            .unwrap();
        assert_ne!(v.filter, Filter::ALL);
        let mut buf = vec![(0u16, 0u16); tasks.n_pairs()];
        assert_eq!(
            tasks.split(0.3, seed, &mut buf),
            Ok(v.n_train),
            "{name} p {p}"
        );
        assert_eq!(buf[..20], v.first, "{name} p {p}");
        assert_eq!(checksum(&buf), v.checksum, "{name} p {p}");
        assert!(
            buf.iter()
                .all(|&(x, y)| tasks.tasks()[0].op.admits(x as u32, y as u32))
        );
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
    assert_eq!(Tasks::new(97, &ops).unwrap().filter(), Filter::NON_ZERO);
    let ops = [
        Op::from_name("division").unwrap(),
        Op::from_name("add").unwrap(),
    ];
    assert_eq!(Tasks::new(97, &ops).unwrap().filter(), Filter::Y_NON_ZERO);
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
            split_pairs(p, Filter::ALL, 0.3, 0, &mut buf),
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
            split_pairs(97, Filter::ALL, frac, 0, &mut buf),
            Err(bad(frac)),
            "frac {frac}"
        );
    }
    assert!(matches!(
        split_pairs(97, Filter::ALL, f64::NAN, 0, &mut buf),
        Err(Error::BadFraction { frac, n_pairs: 9409 }) if frac.is_nan()
    ));
    // 1/9409 gives exactly one train pair, 9408/9409 exactly one test pair.
    assert_eq!(
        split_pairs(97, Filter::ALL, 1.0 / 9409.0 + 1e-12, 0, &mut buf),
        Ok(1)
    );
    assert_eq!(
        split_pairs(97, Filter::ALL, 9408.5 / 9409.0, 0, &mut buf),
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
        split_pairs(97, Filter::ALL, 0.3, 0, &mut buf),
        Err(Error::BufferTooSmall {
            need: 9409,
            got: 9408
        })
    );
    let mut buf = vec![(7u16, 7u16); 9410];
    assert_eq!(split_pairs(97, Filter::ALL, 0.3, 0, &mut buf), Ok(2822));
    assert_eq!(buf[9409], (7, 7));
}
