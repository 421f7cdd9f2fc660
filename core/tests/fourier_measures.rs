//! FFS, FCR, key frequencies and spectra on synthetic embeddings at p = 97 (K = 48), built as
//! W_E [d_model, d_vocab] with d_vocab = p + 5, plus the neuron-logit map and label statistics.

use modgrok_core::Error;
use modgrok_core::fourier::{
    Basis, DEFAULT_FFS_EPS, DEFAULT_KEY_THRESHOLD, embedding_spectrum, fcr, ffs, key_frequencies,
    label_counts, label_stats, n_freqs, neuron_logit_map, neuron_logit_spectrum, spectrum_len,
    spectrum_rows, twiddles_len,
};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;
use std::f64::consts::PI;

mod common;
use common::Rng;

const P: usize = 97;
const K: usize = 48;
const D_VOCAB: usize = P + 5;

/// cos or sin of 2πkx/p, evaluated at the reduced angle j = kx mod p folded to min(j, p − j) so
/// the values are exactly even (cos) or odd (sin) in x, like the basis table.
fn wave(k: usize, x: usize, sine: bool) -> f64 {
    let j = (k * x) % P;
    let (jj, sign) = if j <= P / 2 { (j, 1.0) } else { (P - j, -1.0) };
    let t = 2.0 * PI * jj as f64 / P as f64;
    if sine { sign * t.sin() } else { t.cos() }
}

/// W_E [d_model, d_vocab] whose row d over the numbers is `rows[d]`; the special-token columns
/// hold a large constant that the spectrum must ignore.
fn w_e_from_rows(rows: &[Vec<f64>]) -> Vec<f32> {
    let mut w = vec![0.0f32; rows.len() * D_VOCAB];
    for (d, r) in rows.iter().enumerate() {
        for x in 0..D_VOCAB {
            w[d * D_VOCAB + x] = if x < P { r[x] as f32 } else { 1000.0 };
        }
    }
    w
}

/// Rotates every frequency's (cos, sin) coefficient pair of each row by 90°, (a, b) → (−b, a),
/// through the complex DFT: X_k → −i·X_k for k = 1..K, X_{p−k} → i·X_{p−k}; the constant stays.
fn rotate_90(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut planner = FftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(P), planner.plan_fft_inverse(P));
    rows.iter()
        .map(|r| {
            let mut buf: Vec<Complex<f64>> = r.iter().map(|&v| Complex::new(v, 0.0)).collect();
            fwd.process(&mut buf);
            for k in 1..=K {
                buf[k] *= Complex::new(0.0, -1.0);
                buf[P - k] *= Complex::new(0.0, 1.0);
            }
            inv.process(&mut buf);
            buf.iter().map(|c| c.re / P as f64).collect()
        })
        .collect()
}

fn spectrum(rows: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let mut tw = vec![0.0; twiddles_len(P)];
    let b = Basis::new(P, &mut tw).unwrap();
    let w = w_e_from_rows(rows);
    let (mut a, mut s) = (vec![0.0; spectrum_len(P)], vec![0.0; spectrum_len(P)]);
    embedding_spectrum(b, &w, rows.len(), D_VOCAB, &mut a, &mut s).unwrap();
    (a, s)
}

fn pure_cosine_rows() -> Vec<Vec<f64>> {
    (1..=K)
        .map(|k| (0..P).map(|x| wave(k, x, false)).collect())
        .collect()
}

fn cos_sin_3_7_rows() -> Vec<Vec<f64>> {
    let mut rows = vec![vec![0.0; P]; 8];
    for (d, (k, sine)) in [(3, false), (3, true), (7, false), (7, true)]
        .into_iter()
        .enumerate()
    {
        rows[d] = (0..P).map(|x| 2.0 * wave(k, x, sine)).collect();
    }
    rows
}

fn gaussian_rows(d_model: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    (0..d_model)
        .map(|_| (0..P).map(|_| rng.normal()).collect())
        .collect()
}

#[test]
fn pure_cosines_at_every_frequency_give_fcr_0_and_ffs_half() {
    let (a, s) = spectrum(&pure_cosine_rows());
    assert!(s[1..].iter().all(|&v| v == 0.0), "sine norms exactly 0");
    assert_eq!(ffs(&a, &s, DEFAULT_FFS_EPS).unwrap(), 0.5);
    assert_eq!(fcr(&a, &s).unwrap(), 0.0);
}

/// FCR tolerance 1e-6: the cos and sin rows are f32, so α_k and β_k of k = 3, 7 differ by ~1e-8
/// relative; the other frequencies carry only roundoff, below `ZERO_REL`.
#[test]
fn equal_cos_and_sin_at_frequencies_3_and_7_give_ffs_4_over_96_and_fcr_1() {
    let (a, s) = spectrum(&cos_sin_3_7_rows());
    assert_eq!(ffs(&a, &s, DEFAULT_FFS_EPS).unwrap(), 4.0 / 96.0);
    let r = fcr(&a, &s).unwrap();
    assert!((r - 1.0).abs() < 1e-6, "FCR {r}");
    let mut key = vec![false; spectrum_len(P)];
    let n = key_frequencies(&a, &s, DEFAULT_KEY_THRESHOLD, &mut key).unwrap();
    assert_eq!(n, 2);
    let keys: Vec<usize> = (0..=K).filter(|&k| key[k]).collect();
    assert_eq!(keys, vec![3, 7]);
}

#[test]
fn gaussian_embedding_is_dense_ffs_1_at_eps_0_1() {
    let (a, s) = spectrum(&gaussian_rows(128, 42));
    assert_eq!(ffs(&a, &s, 0.1).unwrap(), 1.0);
    let r = fcr(&a, &s).unwrap();
    assert!(r > 0.5 && r <= 1.0, "FCR of a random embedding {r}");
}

/// FFS counts compare ratios with ε far from any ratio here, so they must match exactly; FCR
/// to 1e-6 (the f32 storage of the rotated rows).
#[test]
fn rotating_every_frequency_pair_by_90_degrees_leaves_ffs_and_fcr_unchanged() {
    // A sparse embedding: waves with random phases at k = 2, 11, 30 over a faint Gaussian floor.
    let mut rng = Rng::new(10);
    let sparse: Vec<Vec<f64>> = gaussian_rows(16, 9)
        .into_iter()
        .map(|floor| {
            let ph: Vec<f64> = (0..3).map(|_| 2.0 * PI * rng.unit()).collect();
            (0..P)
                .map(|x| {
                    let waves: f64 = [2usize, 11, 30]
                        .iter()
                        .zip(&ph)
                        .map(|(&k, &f)| (2.0 * PI * (k * x) as f64 / P as f64 + f).cos())
                        .sum();
                    0.01 * floor[x] + waves
                })
                .collect()
        })
        .collect();
    let cases = [
        ("pure cosines", pure_cosine_rows()),
        ("cos+sin at 3, 7", cos_sin_3_7_rows()),
        ("gaussian", gaussian_rows(128, 42)),
        ("three frequencies", sparse),
    ];
    for (name, rows) in cases {
        let (a, s) = spectrum(&rows);
        let (a2, s2) = spectrum(&rotate_90(&rows));
        for eps in [0.05, DEFAULT_FFS_EPS, 0.3] {
            assert_eq!(
                ffs(&a, &s, eps).unwrap(),
                ffs(&a2, &s2, eps).unwrap(),
                "{name} eps={eps}"
            );
        }
        let (f1, f2) = (fcr(&a, &s).unwrap(), fcr(&a2, &s2).unwrap());
        assert!((f1 - f2).abs() < 1e-6, "{name}: FCR {f1} vs {f2}");
        // The rotation swaps the families.
        for k in 1..=K {
            assert!((a[k] - s2[k]).abs() <= 1e-5 * a[1..].iter().cloned().fold(0.0, f64::max));
        }
    }
}

#[test]
fn ffs_and_fcr_edge_cases() {
    let z = vec![0.0; K + 1];
    assert_eq!(ffs(&z, &z, 0.1).unwrap(), 0.0);
    assert_eq!(fcr(&z, &z).unwrap(), 1.0);
    assert_eq!(ffs(&z, &z[..3], 0.1), Err(Error::BadDims));
    assert_eq!(fcr(&z[..1], &z[..1]), Err(Error::BadDims));
    // One frequency, one family: FFS 1/2K, FCR (K−1)/K (all other terms are 0/0 → 1).
    let mut a = z.clone();
    a[5] = 3.0;
    assert_eq!(ffs(&a, &z, 0.1).unwrap(), 1.0 / 96.0);
    assert_eq!(fcr(&a, &z).unwrap(), 47.0 / 48.0);
}

/// W_L against an f64 triple loop; tolerance 1e-5 relative (f32 accumulation over d_model).
#[test]
fn neuron_logit_map_matches_naive_product_and_its_spectrum_is_over_rows() {
    let (d_model, d_mlp) = (8, 12);
    let mut rng = Rng::new(11);
    let w_u: Vec<f32> = (0..d_model * D_VOCAB)
        .map(|_| rng.normal() as f32)
        .collect();
    let w_out: Vec<f32> = (0..d_model * d_mlp).map(|_| rng.normal() as f32).collect();
    let mut w_l = vec![0.0f32; P * d_mlp];
    neuron_logit_map(P, &w_u, &w_out, d_model, D_VOCAB, d_mlp, &mut w_l).unwrap();
    for x in 0..P {
        for n in 0..d_mlp {
            let want: f64 = (0..d_model)
                .map(|m| w_u[m * D_VOCAB + x] as f64 * w_out[m * d_mlp + n] as f64)
                .sum();
            assert!((w_l[x * d_mlp + n] as f64 - want).abs() < 1e-5 * (1.0 + want.abs()));
        }
    }
    let mut tw = vec![0.0; twiddles_len(P)];
    let b = Basis::new(P, &mut tw).unwrap();
    let nk = spectrum_len(P);
    let (mut a, mut s) = (vec![0.0; nk], vec![0.0; nk]);
    neuron_logit_spectrum(b, &w_l, d_mlp, &mut a, &mut s).unwrap();
    // Same spectrum from the transpose [d_mlp, p] through the row version, bit for bit.
    let w_lt: Vec<f32> = (0..d_mlp * P)
        .map(|i| w_l[(i % P) * d_mlp + i / P])
        .collect();
    let (mut a2, mut s2) = (vec![0.0; nk], vec![0.0; nk]);
    spectrum_rows(b, &w_lt, d_mlp, P, &mut a2, &mut s2).unwrap();
    assert_eq!(a, a2);
    assert_eq!(s, s2);
    // Parseval over the whole map: Σ_k α_k² + β_k² = ‖W_L‖².
    let total: f64 = w_l.iter().map(|&v| v as f64 * v as f64).sum();
    let spec: f64 = (0..nk).map(|k| a[k] * a[k] + s[k] * s[k]).sum();
    assert!((total - spec).abs() < 1e-12 * total);
    assert_eq!(n_freqs(P), K);
}

#[test]
fn label_stats_kl_and_entropies_in_nats() {
    // Identical uniform distributions: KL 0, entropies ln p.
    let u = vec![5u32; 7];
    let st = label_stats(&u, &u, 0.0).unwrap();
    assert_eq!(st.kl_train_test, 0.0);
    assert!((st.entropy_train - 7f64.ln()).abs() < 1e-15);
    // Hand-computed: P = (1/2, 1/2, 0), Q = (1/4, 1/4, 1/2): KL = ln 2, H(P) = ln 2,
    // H(Q) = 1.5 ln 2.
    let st = label_stats(&[2, 2, 0], &[1, 1, 2], 0.0).unwrap();
    let l2 = 2f64.ln();
    assert!((st.kl_train_test - l2).abs() < 1e-15);
    assert!((st.entropy_train - l2).abs() < 1e-15);
    assert!((st.entropy_test - 1.5 * l2).abs() < 1e-15);
    // A train label absent from test: +∞ unsmoothed, finite with smoothing.
    assert_eq!(
        label_stats(&[1, 1], &[2, 0], 0.0).unwrap().kl_train_test,
        f64::INFINITY
    );
    assert!(
        label_stats(&[1, 1], &[2, 0], 0.5)
            .unwrap()
            .kl_train_test
            .is_finite()
    );
    assert_eq!(label_stats(&[1], &[1, 2], 0.0), Err(Error::BadDims));
    assert_eq!(label_stats(&[1], &[1], -1.0), Err(Error::BadHyper));
    let mut counts = [0u32; 5];
    label_counts(&[0, 4, 4, 2], &mut counts).unwrap();
    assert_eq!(counts, [1, 0, 1, 0, 2]);
    assert_eq!(
        label_counts(&[5], &mut counts),
        Err(Error::BadToken {
            token: 5,
            d_vocab: 5
        })
    );
}
