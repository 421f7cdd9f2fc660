//! The multiplicative (discrete-log) basis: primitive roots and log tables, the real DFT over
//! Z_n against `rustfft`, orthonormality, and the sparsity of synthetic multiplication-like and
//! addition-like embeddings in each basis.

use modgrok_core::Error;
use modgrok_core::fourier::{
    Basis, CyclicBasis, DEFAULT_FFS_EPS, DEFAULT_KEY_THRESHOLD, MultBasis, NO_LOG, cyclic_dft,
    cyclic_idft, cyclic_spectrum_len, cyclic_twiddles_len, dft, discrete_log_tables,
    embedding_spectrum, exp_table_len, fcr, ffs, key_frequencies, log_table_len, mult_dft,
    mult_embedding_spectrum, mult_fcr, mult_ffs, mult_neuron_logit_spectrum, mult_spectrum_len,
    mult_twiddles_len, neuron_logit_spectrum, primitive_root, spectrum_len, twiddles_len,
};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use std::f64::consts::PI;

mod common;
use common::Rng;

const PRIMES: [usize; 9] = [3, 5, 7, 11, 13, 31, 97, 113, 65521];

/// The smallest primitive roots of [`PRIMES`] (OEIS A001918).
const ROOTS: [usize; 9] = [2, 2, 3, 2, 2, 3, 5, 3, 17];

/// The multiplicative order of h mod p, by brute force.
fn order(h: usize, p: usize) -> usize {
    let (mut x, mut e) = (h % p, 1);
    while x != 1 {
        x = x * h % p;
        e += 1;
    }
    e
}

#[test]
fn primitive_root_is_the_smallest_generator_for_several_primes() {
    for (&p, &want) in PRIMES.iter().zip(&ROOTS) {
        let g = primitive_root(p).unwrap();
        assert_eq!(g, want, "p = {p}");
        assert_eq!(order(g, p), p - 1, "p = {p}: g = {g} is no generator");
        for h in 2..g {
            assert!(order(h, p) < p - 1, "p = {p}: {h} < {g} generates too");
        }
    }
}

#[test]
fn log_tables_cover_every_nonzero_residue_exactly_once() {
    for (&p, &want) in PRIMES.iter().zip(&ROOTS) {
        let (mut log, mut exp) = (vec![0u16; log_table_len(p)], vec![0u16; exp_table_len(p)]);
        let g = discrete_log_tables(p, &mut log, &mut exp).unwrap();
        assert_eq!(g, want);
        assert_eq!(log[0], NO_LOG);
        let mut seen = vec![false; p];
        let mut x = 1usize;
        for (i, &e) in exp.iter().enumerate() {
            assert_eq!(e as usize, x, "p = {p}: exp[{i}] is not g^{i}");
            assert!(e != 0 && !seen[e as usize], "p = {p}: {e} twice");
            seen[e as usize] = true;
            assert_eq!(log[e as usize] as usize, i);
            x = x * g % p;
        }
        assert_eq!(x, 1, "p = {p}: g^(p−1) must be 1");
        assert!(
            seen[1..].iter().all(|&s| s),
            "p = {p}: a residue was missed"
        );
    }
}

#[test]
fn non_primes_and_short_buffers_are_refused() {
    for p in [0, 1, 2, 4, 9, 91, 65536, 65537] {
        assert!(
            matches!(primitive_root(p), Err(Error::BadModulus { .. })),
            "p = {p}"
        );
    }
    let (mut log, mut exp) = (vec![0u16; 97], vec![0u16; 95]);
    assert_eq!(
        discrete_log_tables(97, &mut log, &mut exp),
        Err(Error::BufferTooSmall { need: 96, got: 95 })
    );
    let mut tw = vec![0.0; 3];
    assert_eq!(
        CyclicBasis::new(2, &mut tw).unwrap_err(),
        Error::BufferTooSmall { need: 4, got: 3 }
    );
    let mut tw = vec![0.0; 2];
    assert!(matches!(
        CyclicBasis::new(0, &mut tw),
        Err(Error::BadTransformLength { n: 0 })
    ));
}

/// The real-basis coefficients over Z_n from the complex DFT `X_k = Σ_j x_j e^{−2πijk/n}`:
/// `g_0 = X_0/√n`, `g_{2k−1} = √(2/n)·Re X_k`, `g_{2k} = −√(2/n)·Im X_k` for k < n/2, and for an
/// even n the Nyquist `g_{n−1} = X_{n/2}/√n` (real).
fn reference_coefs(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
    let mut buf: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(v, 0.0)).collect();
    fft.process(&mut buf);
    let sc = (2.0 / n as f64).sqrt();
    let mut g = vec![0.0; n];
    g[0] = buf[0].re / (n as f64).sqrt();
    for k in 1..=(n - 1) / 2 {
        g[2 * k - 1] = sc * buf[k].re;
        g[2 * k] = -sc * buf[k].im;
    }
    if n.is_multiple_of(2) {
        g[n - 1] = buf[n / 2].re / (n as f64).sqrt();
    }
    g
}

/// max_i |a_i − b_i| / max_i |b_i|.
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let den = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    num / den
}

/// Lengths: p − 1 for p = 97, 113, 31 (composite, even), the smallest even ones, odd ones.
const LENGTHS: [usize; 8] = [96, 112, 30, 2, 4, 1, 9, 97];

/// Tolerance against `rustfft`: 1e-11 relative to the largest coefficient. Both sides work in
/// f64 on f64 (or exactly widened f32) input with O(n) sums, so they differ by roundoff,
/// O(n·2^-53) ≈ 1e-14 at n = 112; 1e-11 leaves room for the libm twiddles and the different
/// summation orders, and is far below the SPEC's 1e-5 bar, so a lost digit (an f32 twiddle, a
/// wrong index at the Nyquist frequency) fails.
const FFT_TOL: f64 = 1e-11;

#[test]
fn cyclic_dft_matches_rustfft_1e11_relative() {
    let mut rng = Rng::new(11);
    for n in LENGTHS {
        let mut tw = vec![0.0; cyclic_twiddles_len(n)];
        let b = CyclicBasis::new(n, &mut tw).unwrap();
        for _ in 0..3 {
            let x: Vec<f64> = (0..n).map(|_| rng.sym() * 3.0).collect();
            let mut g = vec![0.0; n];
            cyclic_dft(b, &x, &mut g).unwrap();
            let e = rel_err(&g, &reference_coefs(&x));
            assert!(e < FFT_TOL, "n = {n} f64: relative error {e}");

            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let widened: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
            cyclic_dft(b, &x32, &mut g).unwrap();
            let e = rel_err(&g, &reference_coefs(&widened));
            assert!(e < FFT_TOL, "n = {n} f32: relative error {e}");
        }
    }
}

/// Orthonormality: the n × n matrix of `value(i, x)` times its transpose is the identity to
/// 1e-12 (each entry an O(n) f64 sum of products of libm values), and `cyclic_idft ∘ cyclic_dft`
/// is the identity to 1e-12 relative, with Parseval to the same tolerance.
#[test]
fn cyclic_basis_is_orthonormal_and_the_inverse_recovers_the_signal() {
    let mut rng = Rng::new(12);
    for n in LENGTHS {
        let mut tw = vec![0.0; cyclic_twiddles_len(n)];
        let b = CyclicBasis::new(n, &mut tw).unwrap();
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|x| b.value(i, x) * b.value(j, x)).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (dot - want).abs() < 1e-12,
                    "n = {n}: <b_{i}, b_{j}> = {dot}"
                );
            }
        }
        // The transform is the projection on those functions.
        let x: Vec<f64> = (0..n).map(|_| rng.sym()).collect();
        let (mut g, mut y) = (vec![0.0; n], vec![0.0; n]);
        cyclic_dft(b, &x, &mut g).unwrap();
        for (i, &gi) in g.iter().enumerate() {
            let proj: f64 = (0..n).map(|t| b.value(i, t) * x[t]).sum();
            assert!((gi - proj).abs() < 1e-12, "n = {n}: coefficient {i}");
        }
        cyclic_idft(b, &g, &mut y).unwrap();
        assert!(rel_err(&y, &x) < 1e-12, "n = {n}: round trip");
        let (sx, sg): (f64, f64) = (x.iter().map(|v| v * v).sum(), g.iter().map(|v| v * v).sum());
        assert!(
            (sx - sg).abs() <= 1e-12 * sx,
            "n = {n}: Parseval {sx} vs {sg}"
        );
    }
}

#[test]
fn for_an_odd_prime_the_cyclic_basis_is_the_additive_one_bit_for_bit() {
    let mut rng = Rng::new(13);
    for p in [7, 97, 113] {
        let (mut t1, mut t2) = (
            vec![0.0; twiddles_len(p)],
            vec![0.0; cyclic_twiddles_len(p)],
        );
        let add = Basis::new(p, &mut t1).unwrap();
        let cyc = CyclicBasis::new(p, &mut t2).unwrap();
        assert_eq!(add.twiddles(), cyc.twiddles());
        let x: Vec<f32> = (0..p).map(|_| rng.sym() as f32).collect();
        let (mut ga, mut gc) = (vec![0.0; p], vec![0.0; p]);
        dft(add, &x, &mut ga).unwrap();
        cyclic_dft(cyc, &x, &mut gc).unwrap();
        let bits = |v: &[f64]| v.iter().map(|g| g.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&ga), bits(&gc), "p = {p}");
    }
}

#[test]
fn an_even_signal_has_exactly_zero_sines_and_the_alternating_one_is_the_nyquist_cosine() {
    for n in [96, 112, 30, 4, 2] {
        let mut tw = vec![0.0; cyclic_twiddles_len(n)];
        let b = CyclicBasis::new(n, &mut tw).unwrap();
        let even: Vec<f64> = (0..n).map(|x| (x.min(n - x) as f64).sqrt()).collect();
        let mut g = vec![0.0; n];
        cyclic_dft(b, &even, &mut g).unwrap();
        for k in 1..=(n - 1) / 2 {
            assert_eq!(g[2 * k], 0.0, "n = {n}: s_{k}");
        }
        let alt: Vec<f64> = (0..n)
            .map(|x| if x % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        cyclic_dft(b, &alt, &mut g).unwrap();
        let root_n = (n as f64).sqrt();
        assert!((g[n - 1] - root_n).abs() < 1e-12 * root_n, "n = {n}");
        assert!(g[..n - 1].iter().all(|v| v.abs() < 1e-12), "n = {n}: {g:?}");
    }
}

/// The Legendre symbol `(x/p) = x^((p−1)/2) mod p` as ±1 is `(−1)^log(x)`: the Nyquist
/// character alone.
#[test]
fn the_legendre_symbol_is_the_multiplicative_nyquist_cosine() {
    let p = 97;
    let (mut tw, mut log, mut exp) = (
        vec![0.0; mult_twiddles_len(p)],
        vec![0u16; log_table_len(p)],
        vec![0u16; exp_table_len(p)],
    );
    let mb = MultBasis::new(p, &mut tw, &mut log, &mut exp).unwrap();
    assert_eq!((mb.p(), mb.generator(), mb.n_freqs()), (97, 5, 48));
    let legendre: Vec<f64> = (0..p)
        .map(|x| {
            let mut r = 1u64;
            for _ in 0..(p - 1) / 2 {
                r = r * x as u64 % p as u64;
            }
            if r == 1 { 1.0 } else { -1.0 }
        })
        .collect();
    let mut g = vec![0.0; p - 1];
    mult_dft(mb, &legendre, &mut g).unwrap();
    let root = ((p - 1) as f64).sqrt();
    assert!((g[p - 2] - root).abs() < 1e-12 * root);
    assert!(g[..p - 2].iter().all(|v| v.abs() < 1e-12), "{g:?}");
}

const P: usize = 97;
const K: usize = 48;
const D_VOCAB: usize = P + 5;
const D_MODEL: usize = 24;

struct Spectra {
    additive: (Vec<f64>, Vec<f64>),
    multiplicative: (Vec<f64>, Vec<f64>),
}

fn discrete_logs(p: usize) -> Vec<u16> {
    let (mut log, mut exp) = (vec![0u16; log_table_len(p)], vec![0u16; exp_table_len(p)]);
    discrete_log_tables(p, &mut log, &mut exp).unwrap();
    log
}

/// W_E [D_MODEL, D_VOCAB] with `w_e[m, x] = cos(2π·k_m·t(x)/n + φ_m)` for the number tokens
/// x = 1..p and random values in token 0 and the special tokens (which no spectrum may read as
/// a number's, in the multiplicative basis not even token 0); k_m cycles through `freqs`.
fn embedding(freqs: &[usize], n: usize, t: impl Fn(usize) -> usize) -> Vec<f32> {
    let mut rng = Rng::new(7);
    let mut w = vec![0.0f32; D_MODEL * D_VOCAB];
    for m in 0..D_MODEL {
        let k = freqs[m % freqs.len()];
        let phase = rng.sym() * PI;
        for x in 0..D_VOCAB {
            w[m * D_VOCAB + x] = if (1..P).contains(&x) {
                ((2.0 * PI * (k * t(x)) as f64) / n as f64 + phase).cos() as f32
            } else {
                rng.sym() as f32
            };
        }
    }
    w
}

fn spectra(w_e: &[f32]) -> Spectra {
    let mut tw = vec![0.0; twiddles_len(P)];
    let basis = Basis::new(P, &mut tw).unwrap();
    let (mut a, mut b) = (vec![0.0; spectrum_len(P)], vec![0.0; spectrum_len(P)]);
    embedding_spectrum(basis, w_e, D_MODEL, D_VOCAB, &mut a, &mut b).unwrap();
    let (mut tw2, mut log, mut exp) = (
        vec![0.0; mult_twiddles_len(P)],
        vec![0u16; log_table_len(P)],
        vec![0u16; exp_table_len(P)],
    );
    let mb = MultBasis::new(P, &mut tw2, &mut log, &mut exp).unwrap();
    let nk = mult_spectrum_len(P);
    let (mut ma, mut mb_) = (vec![0.0; nk], vec![0.0; nk]);
    mult_embedding_spectrum(mb, w_e, D_MODEL, D_VOCAB, &mut ma, &mut mb_).unwrap();
    Spectra {
        additive: (a, b),
        multiplicative: (ma, mb_),
    }
}

fn keys(a: &[f64], b: &[f64]) -> Vec<usize> {
    let mut mask = vec![false; a.len()];
    key_frequencies(a, b, DEFAULT_KEY_THRESHOLD, &mut mask).unwrap();
    (0..a.len()).filter(|&k| mask[k]).collect()
}

/// A multiplication-like embedding (rows cos(2πk·log(x)/(p−1) + φ) for k in {4, 17, 35}) is
/// sparse in the multiplicative basis: its 3 cosines and 3 sines out of 2K − 1 = 95 functions,
/// FFS = 6/95 exactly, and those are its key frequencies; in the additive basis the same rows
/// are spread over almost every frequency (FFS above 0.5).
#[test]
fn a_multiplication_like_embedding_is_sparse_only_in_the_multiplicative_basis() {
    let log = discrete_logs(P);
    let w_e = embedding(&[4, 17, 35], P - 1, |x| log[x] as usize);
    let s = spectra(&w_e);
    let (ma, mb) = &s.multiplicative;
    assert_eq!(ma.len(), K + 1);
    assert_eq!(mb[K], 0.0, "the Nyquist frequency has no sine");
    let m_ffs = mult_ffs(ma, mb, DEFAULT_FFS_EPS).unwrap();
    assert_eq!(m_ffs, 6.0 / 95.0);
    assert_eq!(keys(ma, mb), [4, 17, 35]);
    let (aa, ab) = &s.additive;
    let a_ffs = ffs(aa, ab, DEFAULT_FFS_EPS).unwrap();
    assert!(a_ffs > 0.5, "additive FFS {a_ffs}");
    assert!(a_ffs > 8.0 * m_ffs);
}

/// The reverse: rows cos(2πk·x/p + φ), k in {4, 17, 35}, are 6 of 2K = 96 functions in the
/// additive basis and dense in the multiplicative one.
#[test]
fn an_addition_like_embedding_is_sparse_only_in_the_additive_basis() {
    let w_e = embedding(&[4, 17, 35], P, |x| x);
    let s = spectra(&w_e);
    let (aa, ab) = &s.additive;
    assert_eq!(ffs(aa, ab, DEFAULT_FFS_EPS).unwrap(), 6.0 / 96.0);
    assert_eq!(keys(aa, ab), [4, 17, 35]);
    let (ma, mb) = &s.multiplicative;
    let m_ffs = mult_ffs(ma, mb, DEFAULT_FFS_EPS).unwrap();
    assert!(m_ffs > 0.5, "multiplicative FFS {m_ffs}");
}

/// Token 0 and the special tokens are not read: changing them leaves the spectrum's bits alone.
#[test]
fn the_multiplicative_spectrum_reads_only_tokens_1_to_p() {
    let log = discrete_logs(P);
    let mut w_e = embedding(&[9], P - 1, |x| log[x] as usize);
    let before = spectra(&w_e).multiplicative;
    for m in 0..D_MODEL {
        w_e[m * D_VOCAB] = 1e3;
        w_e[m * D_VOCAB + P + 2] = -1e3;
    }
    assert_eq!(spectra(&w_e).multiplicative, before);
}

/// The spectrum is the norm over rows of the per-row `mult_dft` coefficients, its FCR the one of
/// the frequencies with both parts, and a neuron-logit map in log order is as sparse.
#[test]
fn spectra_agree_with_the_per_signal_transform_and_fcr_skips_the_nyquist_frequency() {
    let (mut tw, mut log, mut exp) = (
        vec![0.0; mult_twiddles_len(P)],
        vec![0u16; log_table_len(P)],
        vec![0u16; exp_table_len(P)],
    );
    let mb = MultBasis::new(P, &mut tw, &mut log, &mut exp).unwrap();
    let log = mb.log_table();
    let w_e = embedding(&[3, K], P - 1, |x| log[x] as usize);
    let nk = mult_spectrum_len(P);
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk]);
    mult_embedding_spectrum(mb, &w_e, D_MODEL, D_VOCAB, &mut a, &mut b).unwrap();
    let mut sq = vec![0.0f64; P - 1];
    let mut g = vec![0.0; P - 1];
    for m in 0..D_MODEL {
        mult_dft(mb, &w_e[m * D_VOCAB..m * D_VOCAB + P], &mut g).unwrap();
        for (s, v) in sq.iter_mut().zip(&g) {
            *s += v * v;
        }
    }
    assert!((a[3] - sq[5].sqrt()).abs() < 1e-12 * a[3]);
    assert!((b[3] - sq[6].sqrt()).abs() < 1e-12 * b[3]);
    assert!((a[K] - sq[P - 2].sqrt()).abs() < 1e-12 * a[K]);
    assert_eq!(keys(&a, &b), [3, K]);
    // k = 3 has both parts (a random phase per row) and k = K only a cosine: the 46 empty
    // frequencies count 1 each, k = 3 its ratio, and K is not a term of the mean over K − 1.
    let r3 = a[3].min(b[3]) / a[3].max(b[3]);
    let want = (46.0 + r3) / 47.0;
    assert!((mult_fcr(&a, &b).unwrap() - want).abs() < 1e-12);
    assert_eq!(mult_ffs(&a, &b, DEFAULT_FFS_EPS).unwrap(), 3.0 / 95.0);

    // W_L [p, d_mlp]: row x of neuron c is the embedding's token x in row c.
    let d_mlp = D_MODEL;
    let mut w_l = vec![0.0f32; P * d_mlp];
    for x in 0..P {
        for c in 0..d_mlp {
            w_l[x * d_mlp + c] = w_e[c * D_VOCAB + x];
        }
    }
    let (mut la, mut lb) = (vec![0.0; nk], vec![0.0; nk]);
    mult_neuron_logit_spectrum(mb, &w_l, d_mlp, &mut la, &mut lb).unwrap();
    for k in 0..nk {
        assert!((la[k] - a[k]).abs() <= 1e-12 * a[3], "α_{k}");
        assert!((lb[k] - b[k]).abs() <= 1e-12 * a[3], "β_{k}");
    }
    // The additive W_L spectrum of the same map is dense.
    let mut tw = vec![0.0; twiddles_len(P)];
    let basis = Basis::new(P, &mut tw).unwrap();
    let (mut xa, mut xb) = (vec![0.0; spectrum_len(P)], vec![0.0; spectrum_len(P)]);
    neuron_logit_spectrum(basis, &w_l, d_mlp, &mut xa, &mut xb).unwrap();
    assert!(ffs(&xa, &xb, DEFAULT_FFS_EPS).unwrap() > 0.5);
    assert!(fcr(&xa, &xb).unwrap() > 0.3);
}

#[test]
fn mult_ffs_and_fcr_count_only_the_basis_functions_that_exist() {
    // p = 97, only the Nyquist cosine: 1 of 95 functions (the additive rule would say 1 of 96),
    // and no frequency with both parts is unbalanced.
    let (mut a, mut b) = (vec![0.0; K + 1], vec![0.0; K + 1]);
    a[K] = 2.0;
    assert_eq!(mult_ffs(&a, &b, 0.1).unwrap(), 1.0 / 95.0);
    assert_eq!(ffs(&a, &b, 0.1).unwrap(), 1.0 / 96.0);
    assert_eq!(mult_fcr(&a, &b).unwrap(), 1.0);
    // β_K is not read.
    b[K] = 5.0;
    assert_eq!(mult_ffs(&a, &b, 0.1).unwrap(), 1.0 / 95.0);
    assert_eq!(mult_fcr(&a, &b).unwrap(), 1.0);
    // Everything present: dense; one sine missing: (2K − 2)/(2K − 1).
    let (a, mut b) = (vec![1.0; K + 1], vec![1.0; K + 1]);
    assert_eq!(mult_ffs(&a, &b, 0.1).unwrap(), 1.0);
    b[1] = 0.0;
    assert_eq!(mult_ffs(&a, &b, 0.1).unwrap(), 94.0 / 95.0);
    assert_eq!(mult_fcr(&a, &b).unwrap(), 46.0 / 47.0);
    // p = 3: n = 2, one function besides the constant, the Nyquist cosine.
    assert_eq!(mult_spectrum_len(3), 2);
    assert_eq!(cyclic_spectrum_len(2), 2);
    assert_eq!(mult_ffs(&[0.5, 1.0], &[0.0, 0.0], 0.1).unwrap(), 1.0);
    assert_eq!(mult_fcr(&[0.5, 1.0], &[0.0, 0.0]).unwrap(), 1.0);
    assert_eq!(mult_ffs(&[1.0], &[0.0], 0.1), Err(Error::BadDims));
    assert_eq!(mult_fcr(&[1.0, 1.0], &[0.0]), Err(Error::BadDims));
}

#[test]
fn spectrum_functions_refuse_short_buffers() {
    let p = 13;
    let (mut tw, mut log, mut exp) = (
        vec![0.0; mult_twiddles_len(p)],
        vec![0u16; log_table_len(p)],
        vec![0u16; exp_table_len(p)],
    );
    let mb = MultBasis::new(p, &mut tw, &mut log, &mut exp).unwrap();
    let nk = mult_spectrum_len(p);
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk - 1]);
    let w = vec![0.0f32; 4 * (p + 5)];
    assert!(matches!(
        mult_embedding_spectrum(mb, &w, 4, p + 5, &mut a, &mut b),
        Err(Error::BufferTooSmall { .. })
    ));
    let mut b = vec![0.0; nk];
    assert_eq!(
        mult_embedding_spectrum(mb, &w, 4, p - 1, &mut a, &mut b),
        Err(Error::BadDims)
    );
    assert!(matches!(
        mult_neuron_logit_spectrum(mb, &w[..p * 2 - 1], 2, &mut a, &mut b),
        Err(Error::BufferTooSmall { .. })
    ));
    let mut short = vec![0.0; mult_twiddles_len(p) - 1];
    let (mut log, mut exp) = (vec![0u16; p], vec![0u16; p - 1]);
    assert!(MultBasis::new(p, &mut short, &mut log, &mut exp).is_err());
}
