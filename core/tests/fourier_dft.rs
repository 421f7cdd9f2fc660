//! The real-basis DFT of `modgrok_core::fourier` against `rustfft`, its inverse, Parseval, and
//! the basis itself.

use modgrok_core::Error;
use modgrok_core::fourier::{
    Basis, cos_index, dft, dft_cols, dft_rows, dft3, dft3_len, dft3_scratch_len, freq_of, idft,
    idft_cols, idft_rows, idft3, n_freqs, sin_index, twiddles_len,
};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

mod common;
use common::Rng;

fn table(p: usize) -> Vec<f64> {
    vec![0.0; twiddles_len(p)]
}

/// The real-basis coefficients of x from the complex DFT `X_k = Σ_j x_j e^{−2πijk/p}`:
/// `g_0 = X_0/√p`, `g_{c_k} = √(2/p)·Re X_k`, `g_{s_k} = −√(2/p)·Im X_k`.
fn reference_coefs(x: &[f64]) -> Vec<f64> {
    let p = x.len();
    let fft = FftPlanner::<f64>::new().plan_fft_forward(p);
    let mut buf: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(v, 0.0)).collect();
    fft.process(&mut buf);
    let sc = (2.0 / p as f64).sqrt();
    let mut g = vec![0.0; p];
    g[0] = buf[0].re / (p as f64).sqrt();
    for k in 1..=n_freqs(p) {
        g[cos_index(k)] = sc * buf[k].re;
        g[sin_index(k)] = -sc * buf[k].im;
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

const PRIMES: [usize; 4] = [7, 97, 113, 257];

/// Tolerance: 1e-5 relative to the largest coefficient is the SPEC §5 bar. Both sides work in
/// f64 (f32 inputs are widened exactly), so the real error is O(p·2^-53) ≈ 1e-13; we also assert
/// 1e-11 so a lost digit (e.g. an f32 twiddle table) would fail loudly.
const SPEC_TOL: f64 = 1e-5;
const TIGHT_TOL: f64 = 1e-11;

fn check(e: f64, what: &str) {
    assert!(
        e < SPEC_TOL,
        "{what}: relative error {e} above the SPEC's 1e-5"
    );
    assert!(
        e < TIGHT_TOL,
        "{what}: relative error {e}, expected f64 roundoff only"
    );
}

#[test]
fn real_dft_matches_rustfft_1e5_relative_for_p_7_97_113_257() {
    let mut rng = Rng::new(1);
    for p in PRIMES {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        for _ in 0..3 {
            let x64: Vec<f64> = (0..p).map(|_| rng.sym() * 3.0).collect();
            let mut g = vec![0.0; p];
            dft(b, &x64, &mut g).unwrap();
            let e = rel_err(&g, &reference_coefs(&x64));
            check(e, &format!("p={p} f64"));

            let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
            let widened: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
            dft(b, &x32, &mut g).unwrap();
            let e = rel_err(&g, &reference_coefs(&widened));
            check(e, &format!("p={p} f32"));
        }
    }
}

#[test]
fn row_and_column_dfts_match_rustfft_per_signal() {
    let mut rng = Rng::new(2);
    for p in PRIMES {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        // Rows of a [3, p + 5] f32 matrix (the W_E layout): only the first p columns are signals.
        let (n_rows, ld) = (3, p + 5);
        let a: Vec<f32> = (0..n_rows * ld).map(|_| rng.sym() as f32).collect();
        let mut out = vec![0.0; n_rows * p];
        dft_rows(b, &a, n_rows, ld, &mut out).unwrap();
        for r in 0..n_rows {
            let sig: Vec<f64> = a[r * ld..r * ld + p].iter().map(|&v| v as f64).collect();
            let e = rel_err(&out[r * p..(r + 1) * p], &reference_coefs(&sig));
            check(e, &format!("p={p} row {r}"));
        }
        // Columns of a [p, 4] f64 matrix (the W_L layout).
        let n = 4;
        let a: Vec<f64> = (0..p * n).map(|_| rng.sym()).collect();
        let mut out = vec![0.0; p * n];
        dft_cols(b, &a, n, &mut out).unwrap();
        for c in 0..n {
            let sig: Vec<f64> = (0..p).map(|x| a[x * n + c]).collect();
            let got: Vec<f64> = (0..p).map(|i| out[i * n + c]).collect();
            let e = rel_err(&got, &reference_coefs(&sig));
            check(e, &format!("p={p} col {c}"));
        }
    }
}

#[test]
fn row_and_column_transforms_agree_bit_for_bit_on_transposed_input() {
    let mut rng = Rng::new(3);
    let (p, n) = (97, 6);
    let mut tw = table(p);
    let b = Basis::new(p, &mut tw).unwrap();
    let a: Vec<f64> = (0..p * n).map(|_| rng.sym()).collect(); // [p, n]
    let at: Vec<f64> = (0..n * p).map(|i| a[(i % p) * n + i / p]).collect(); // [n, p]
    let (mut gc, mut gr) = (vec![0.0; p * n], vec![0.0; n * p]);
    dft_cols(b, &a, n, &mut gc).unwrap();
    dft_rows(b, &at, n, p, &mut gr).unwrap();
    for i in 0..p {
        for c in 0..n {
            assert_eq!(gc[i * n + c].to_bits(), gr[c * p + i].to_bits());
        }
    }
    let (mut xc, mut xr) = (vec![0.0; p * n], vec![0.0; n * p]);
    idft_cols(b, &gc, n, &mut xc).unwrap();
    idft_rows(b, &gr, n, &mut xr).unwrap();
    for x in 0..p {
        for c in 0..n {
            assert_eq!(xc[x * n + c].to_bits(), xr[c * p + x].to_bits());
        }
    }
}

/// Round trip tolerance 1e-12 of the largest input: two O(p) f64 sums per value.
#[test]
fn inverse_dft_recovers_the_signal() {
    let mut rng = Rng::new(4);
    for p in PRIMES {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        let x: Vec<f64> = (0..p).map(|_| rng.sym()).collect();
        let (mut g, mut y) = (vec![0.0; p], vec![0.0; p]);
        dft(b, &x, &mut g).unwrap();
        idft(b, &g, &mut y).unwrap();
        assert!(rel_err(&y, &x) < 1e-12, "p={p}");
        let n = 3;
        let a: Vec<f64> = (0..p * n).map(|_| rng.sym()).collect();
        let (mut g, mut y) = (vec![0.0; p * n], vec![0.0; p * n]);
        dft_cols(b, &a, n, &mut g).unwrap();
        idft_cols(b, &g, n, &mut y).unwrap();
        assert!(rel_err(&y, &a) < 1e-12, "p={p} cols");
    }
}

fn sum_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// Parseval: the basis is orthonormal, so Σ g_i² = Σ x². Tolerance 1e-12 relative (f64 sums of
/// p to p³ terms).
#[test]
fn parseval_sum_of_squares_of_coefficients_equals_that_of_input() {
    let mut rng = Rng::new(5);
    for p in PRIMES {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        let x: Vec<f64> = (0..p).map(|_| rng.sym() * 10.0).collect();
        let mut g = vec![0.0; p];
        dft(b, &x, &mut g).unwrap();
        let (sx, sg) = (sum_sq(&x), sum_sq(&g));
        assert!((sx - sg).abs() <= 1e-12 * sx, "p={p}: {sx} vs {sg}");
    }
    for p in [7, 13, 31] {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        let l: Vec<f32> = (0..dft3_len(p)).map(|_| rng.sym() as f32).collect();
        let mut c = vec![0.0; dft3_len(p)];
        let mut s = vec![0.0; dft3_scratch_len(p)];
        dft3(b, &l, &mut c, &mut s).unwrap();
        let sl: f64 = l.iter().map(|&v| v as f64 * v as f64).sum();
        let sc = sum_sq(&c);
        assert!((sl - sc).abs() <= 1e-12 * sl, "3-D p={p}: {sl} vs {sc}");
    }
}

/// dft3 against the triple sum with `Basis::value` at p = 7; idft3 inverts it (1e-12 relative).
#[test]
fn dft3_matches_naive_triple_sum_and_idft3_inverts_it() {
    let p = 7;
    let mut rng = Rng::new(6);
    let mut tw = table(p);
    let b = Basis::new(p, &mut tw).unwrap();
    let l: Vec<f64> = (0..p * p * p).map(|_| rng.sym()).collect();
    let mut c = vec![0.0; dft3_len(p)];
    let mut s = vec![0.0; dft3_scratch_len(p)];
    dft3(b, &l, &mut c, &mut s).unwrap();
    let mut naive = vec![0.0; p * p * p];
    for a in 0..p {
        for bb in 0..p {
            for cc in 0..p {
                let mut acc = 0.0;
                for x in 0..p {
                    for y in 0..p {
                        for z in 0..p {
                            acc += b.value(a, x)
                                * b.value(bb, y)
                                * b.value(cc, z)
                                * l[(x * p + y) * p + z];
                        }
                    }
                }
                naive[(a * p + bb) * p + cc] = acc;
            }
        }
    }
    assert!(rel_err(&c, &naive) < 1e-12);
    let mut back = vec![0.0; p * p * p];
    idft3(b, &c, &mut back, &mut s).unwrap();
    assert!(rel_err(&back, &l) < 1e-12);
}

#[test]
fn basis_is_orthonormal_and_interleaved() {
    for p in [7, 97] {
        let mut tw = table(p);
        let b = Basis::new(p, &mut tw).unwrap();
        for i in 0..p {
            for j in 0..p {
                let dot: f64 = (0..p).map(|x| b.value(i, x) * b.value(j, x)).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "p={p} <b{i}, b{j}> = {dot}");
            }
        }
    }
    assert_eq!(freq_of(0), (0, false));
    assert_eq!(freq_of(cos_index(5)), (5, false));
    assert_eq!(freq_of(sin_index(5)), (5, true));
}

#[test]
fn even_signal_has_exactly_zero_sine_coefficients() {
    let p = 97;
    let mut tw = table(p);
    let b = Basis::new(p, &mut tw).unwrap();
    let mut rng = Rng::new(7);
    let mut x = vec![0.0f32; p];
    for j in 0..=n_freqs(p) {
        let v = rng.sym() as f32;
        x[j] = v;
        x[(p - j) % p] = v;
    }
    let mut g = vec![0.0; p];
    dft(b, &x, &mut g).unwrap();
    for k in 1..=n_freqs(p) {
        assert_eq!(g[sin_index(k)], 0.0, "k={k}");
    }
}

#[test]
fn bad_modulus_and_short_buffers_are_errors() {
    for p in [0, 1, 2, 9, 15, 96, 65537] {
        let mut tw = table(p.max(1));
        assert!(matches!(
            Basis::new(p, &mut tw),
            Err(Error::BadModulus { .. })
        ));
    }
    let mut short = vec![0.0; 10];
    assert_eq!(
        Basis::new(7, &mut short).unwrap_err(),
        Error::BufferTooSmall { need: 14, got: 10 }
    );
    let mut tw = table(7);
    let b = Basis::new(7, &mut tw).unwrap();
    let mut g = vec![0.0; 6];
    assert!(matches!(
        dft(b, &[0.0f64; 7], &mut g),
        Err(Error::BufferTooSmall { need: 7, got: 6 })
    ));
    let mut g = vec![0.0; 7];
    assert_eq!(
        dft_rows(b, &[0.0f32; 12], 2, 6, &mut g),
        Err(Error::BadDims)
    );
}
