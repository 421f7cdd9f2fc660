//! `Mt19937` against CPython 3.11's `random`. Vectors generated once with:
//! python3 -c "
//! import random
//! for s in (0,1,2**32+7,2**64-1):
//!     random.seed(s); print(s, [random.getrandbits(32) for _ in range(5)])
//! random.seed(12345); print([random.getrandbits(k) for k in (1,7,31,32,33,40,63,64)])
//! random.seed(7); print([random.randrange(n) for n in (1,2,3,97,9409,2**33+1,2**64-1)])
//! random.seed(3); l=list(range(10)); random.shuffle(l); print(l)
//! random.seed(0); print([random.getrandbits(32) for _ in range(700)][-3:])
//! "

use modgrok_core::data::Mt19937;

#[test]
fn seeding_an_int_matches_python_random_seed() {
    let cases: [(u64, [u32; 5]); 4] = [
        (
            0,
            [3626764237, 1654615998, 3255389356, 3823568514, 1806341205],
        ),
        (
            1,
            [577090037, 2444712010, 3639700191, 3445702192, 3280387012],
        ),
        (
            (1 << 32) + 7,
            [968553300, 3287823873, 1540179448, 1473205320, 3432680139],
        ),
        (
            u64::MAX,
            [93740670, 1068495656, 1452108352, 2657516307, 910393425],
        ),
    ];
    for (seed, want) in cases {
        let mut rng = Mt19937::from_seed_u64(seed);
        let got: [u32; 5] = core::array::from_fn(|_| rng.genrand_u32());
        assert_eq!(got, want, "seed {seed}");
    }
}

#[test]
fn outputs_after_the_second_twist_match_python() {
    let mut rng = Mt19937::from_seed_u64(0);
    let all: Vec<u32> = (0..700).map(|_| rng.genrand_u32()).collect();
    assert_eq!(all[697..], [3812994162, 1384956481, 3579999110]);
}

#[test]
fn empty_key_is_seed_zero() {
    let mut a = Mt19937::from_key(&[]);
    let mut b = Mt19937::from_seed_u64(0);
    for _ in 0..10 {
        assert_eq!(a.genrand_u32(), b.genrand_u32());
    }
}

#[test]
fn getrandbits_up_to_64_matches_python() {
    let mut rng = Mt19937::from_seed_u64(12345);
    let ks = [1, 7, 31, 32, 33, 40, 63, 64];
    let want: [u64; 8] = [
        0,
        93,
        21838114,
        3522623596,
        7839202253,
        937585518914,
        8594196884767128167,
        4985137385606203988,
    ];
    for (k, w) in ks.into_iter().zip(want) {
        assert_eq!(rng.getrandbits(k), w, "k = {k}");
    }
    assert_eq!(rng.getrandbits(0), 0);
}

#[test]
fn randbelow_matches_python_randrange() {
    let mut rng = Mt19937::from_seed_u64(7);
    let ns = [1, 2, 3, 97, 9409, (1 << 33) + 1, u64::MAX];
    let want = [0, 0, 1, 83, 791, 2301595691, 10750541312280087032];
    for (n, w) in ns.into_iter().zip(want) {
        assert_eq!(rng.randbelow(n), w, "n = {n}");
    }
    assert_eq!(rng.randbelow(0), 0);
}

#[test]
fn shuffle_matches_python_shuffle() {
    let mut xs: [u8; 10] = core::array::from_fn(|i| i as u8);
    Mt19937::from_seed_u64(3).shuffle(&mut xs);
    assert_eq!(xs, [1, 5, 6, 0, 9, 4, 7, 2, 8, 3]);
    let mut empty: [u8; 0] = [];
    Mt19937::from_seed_u64(3).shuffle(&mut empty);
}
