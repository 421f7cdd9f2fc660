//! Frequency components of the logits L[x, y, z] and the losses built from them: projection,
//! orthogonality, reconstruction, restricted / excluded / Table 4 losses, the 2-D spectrum.
//! Small checks at p = 11 against naive sums; the synthetic cos(2πk(x+y−z)/p) check at p = 97.

use modgrok_core::Error;
use modgrok_core::fourier::{
    Basis, Pairs, component_logits, component_loss, component_partials, component_partials_len,
    dft3, dft3_len, dft3_scratch_len, excluded_loss, excluded_losses, freq_of, idft3,
    logit_freq_norms, logit_loss, logit_spectrum_2d, logit_spectrum_2d_len, loss_decomposition,
    loss_work_len, n_freqs, restricted_loss, twiddles_len,
};
use std::f64::consts::PI;
use std::time::Instant;

mod common;
use common::Rng;

/// Everything the analysis needs for one logit tensor.
struct Setup {
    p: usize,
    tw: Vec<f64>,
    logits: Vec<f32>,
    coef: Vec<f64>,
    parts: Vec<f64>,
    labels: Vec<u16>,
}

impl Setup {
    fn new(p: usize, logits: Vec<f32>, labels: Vec<u16>) -> Setup {
        let mut tw = vec![0.0; twiddles_len(p)];
        let mut coef = vec![0.0; dft3_len(p)];
        let mut parts = vec![0.0; component_partials_len(p)];
        {
            let b = Basis::new(p, &mut tw).unwrap();
            let mut scratch = vec![0.0; dft3_scratch_len(p)];
            dft3(b, &logits, &mut coef, &mut scratch).unwrap();
            component_partials(b, &coef, &mut parts).unwrap();
        }
        Setup {
            p,
            tw,
            logits,
            coef,
            parts,
            labels,
        }
    }

    /// Materialised logits of a selection (`select[k]`, plus residual).
    fn selection(&mut self, select: &[bool], with_residual: bool) -> Vec<f64> {
        let p = self.p;
        let mut tw = self.tw.clone();
        let b = Basis::new(p, &mut tw).unwrap();
        let mut out = vec![0.0; p * p * p];
        let mut work = vec![0.0; loss_work_len(p)];
        component_logits(
            b,
            &self.logits,
            &self.parts,
            select,
            with_residual,
            &mut out,
            &mut work,
        )
        .unwrap();
        out
    }
}

fn random_setup(p: usize, seed: u64) -> Setup {
    let mut rng = Rng::new(seed);
    let logits: Vec<f32> = (0..p * p * p).map(|_| (rng.sym() * 3.0) as f32).collect();
    let labels: Vec<u16> = (0..p * p).map(|_| rng.below(p) as u16).collect();
    Setup::new(p, logits, labels)
}

fn centred(p: usize, l: &[f32]) -> Vec<f64> {
    let mut out = vec![0.0; p * p * p];
    for pair in 0..p * p {
        let row = &l[pair * p..(pair + 1) * p];
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / p as f64;
        for z in 0..p {
            out[pair * p + z] = row[z] as f64 - mean;
        }
    }
    out
}

/// Orthogonal projection of `v` on the 8 functions {c_k, s_k}^⊗3, by explicit inner products.
fn naive_component(b: Basis, v: &[f64], k: usize) -> Vec<f64> {
    let p = b.p();
    let ix = [2 * k - 1, 2 * k];
    let mut out = vec![0.0; p * p * p];
    for u in ix {
        for w in ix {
            for t in ix {
                let phi =
                    |x: usize, y: usize, z: usize| b.value(u, x) * b.value(w, y) * b.value(t, z);
                let mut dot = 0.0;
                for x in 0..p {
                    for y in 0..p {
                        for z in 0..p {
                            dot += v[(x * p + y) * p + z] * phi(x, y, z);
                        }
                    }
                }
                for x in 0..p {
                    for y in 0..p {
                        for z in 0..p {
                            out[(x * p + y) * p + z] += dot * phi(x, y, z);
                        }
                    }
                }
            }
        }
    }
    out
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn only(p: usize, ks: &[usize]) -> Vec<bool> {
    (0..=n_freqs(p)).map(|k| ks.contains(&k)).collect()
}

/// Mean cross-entropy over the pairs, written out plainly in the test.
fn naive_loss(p: usize, v: &[f64], labels: &[u16], pairs: &[usize]) -> f64 {
    let mut s = 0.0;
    for &pair in pairs {
        let row = &v[pair * p..(pair + 1) * p];
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + row.iter().map(|&x| (x - m).exp()).sum::<f64>().ln();
        s += lse - row[labels[pair] as usize];
    }
    s / pairs.len() as f64
}

/// Each component equals the projection computed by 8 explicit inner products (1e-12 of ‖L‖:
/// f64 sums of p³ terms on both sides).
#[test]
fn components_are_the_orthogonal_projection_on_the_8_functions_p11() {
    let mut s = random_setup(11, 1);
    let p = s.p;
    let lc = centred(p, &s.logits);
    let scale = norm(&lc);
    let mut tw = s.tw.clone();
    let b = Basis::new(p, &mut tw).unwrap();
    for k in 1..=n_freqs(p) {
        let got = s.selection(&only(p, &[k]), false);
        let want = naive_component(b, &lc, k);
        let e = max_abs_diff(&got, &want);
        assert!(e < 1e-12 * scale, "k={k}: {e}");
    }
}

/// Components are mutually orthogonal and orthogonal to the residual: |⟨u, v⟩| ≤ 1e-12·‖u‖‖v‖.
/// Their sum plus the residual rebuilt independently (idft3 of every coefficient outside the
/// diagonal blocks {c_k, s_k}³, with c_0(z) dropped) gives L_c to 1e-12 of ‖L_c‖.
#[test]
fn components_are_orthogonal_and_with_the_residual_reconstruct_the_centred_logits() {
    let mut s = random_setup(11, 2);
    let p = s.p;
    let kk = n_freqs(p);
    let comps: Vec<Vec<f64>> = (1..=kk)
        .map(|k| s.selection(&only(p, &[k]), false))
        .collect();
    let residual = s.selection(&only(p, &[]), true);
    for i in 0..kk {
        for j in 0..kk {
            if i != j {
                let d = dot(&comps[i], &comps[j]).abs();
                assert!(
                    d <= 1e-12 * norm(&comps[i]) * norm(&comps[j]),
                    "{i},{j}: {d}"
                );
            }
        }
        let d = dot(&comps[i], &residual).abs();
        assert!(
            d <= 1e-12 * norm(&comps[i]) * norm(&residual),
            "residual,{i}"
        );
    }

    let mut off = s.coef.clone();
    for a in 0..p {
        for bb in 0..p {
            for c in 0..p {
                let (ka, kb, kc) = (freq_of(a).0, freq_of(bb).0, freq_of(c).0);
                if c == 0 || (ka != 0 && ka == kb && kb == kc) {
                    off[(a * p + bb) * p + c] = 0.0;
                }
            }
        }
    }
    let mut independent = vec![0.0; p * p * p];
    let mut scratch = vec![0.0; dft3_scratch_len(p)];
    let mut tw = s.tw.clone();
    idft3(
        Basis::new(p, &mut tw).unwrap(),
        &off,
        &mut independent,
        &mut scratch,
    )
    .unwrap();
    let lc = centred(p, &s.logits);
    let scale = norm(&lc);
    assert!(max_abs_diff(&residual, &independent) < 1e-12 * scale);
    let mut sum = independent.clone();
    for c in &comps {
        for (o, v) in sum.iter_mut().zip(c) {
            *o += v;
        }
    }
    assert!(max_abs_diff(&sum, &lc) < 1e-12 * scale);
    // All components at once equal their sum.
    let all = s.selection(&only(p, &(1..=kk).collect::<Vec<_>>()), false);
    assert!(
        max_abs_diff(
            &all,
            &(0..p * p * p)
                .map(|i| sum[i] - independent[i])
                .collect::<Vec<_>>()
        ) < 1e-12 * scale
    );
}

/// Parseval for the component norms: Σ_k ‖comp_k‖² + ‖residual‖² = ‖L_c‖² (1e-12 relative).
#[test]
fn logit_freq_norms_match_component_norms_and_parseval() {
    let mut s = random_setup(11, 3);
    let p = s.p;
    let mut norms = vec![0.0; n_freqs(p) + 1];
    let coef = s.coef.clone();
    let mut tw = s.tw.clone();
    let r = logit_freq_norms(Basis::new(p, &mut tw).unwrap(), &coef, &mut norms).unwrap();
    let lc = centred(p, &s.logits);
    let total = dot(&lc, &lc);
    let parts: f64 = norms.iter().map(|v| v * v).sum::<f64>() + r * r;
    assert!((parts - total).abs() < 1e-12 * total);
    for (k, &nk) in norms.iter().enumerate().skip(1) {
        let c = s.selection(&only(p, &[k]), false);
        assert!((norm(&c) - nk).abs() < 1e-12 * total.sqrt());
    }
}

/// The 2-D spectrum against a direct transform over x and y, norm over z (1e-12 relative).
#[test]
fn logit_spectrum_2d_matches_a_direct_2d_transform_p7() {
    let s = random_setup(7, 4);
    let p = s.p;
    let coef = s.coef.clone();
    let mut tw = s.tw.clone();
    let b = Basis::new(p, &mut tw).unwrap();
    for centred_z in [false, true] {
        let l: Vec<f64> = if centred_z {
            centred(p, &s.logits)
        } else {
            s.logits.iter().map(|&v| v as f64).collect()
        };
        let mut out = vec![0.0; logit_spectrum_2d_len(p)];
        logit_spectrum_2d(b, &coef, centred_z, &mut out).unwrap();
        for a in 0..p {
            for bb in 0..p {
                let mut sq = 0.0;
                for z in 0..p {
                    let mut t = 0.0;
                    for x in 0..p {
                        for y in 0..p {
                            t += b.value(a, x) * b.value(bb, y) * l[(x * p + y) * p + z];
                        }
                    }
                    sq += t * t;
                }
                assert!((out[a * p + bb] - sq.sqrt()).abs() < 1e-12 * (1.0 + sq.sqrt()));
            }
        }
    }
}

/// Every Table 4 entry equals the matching `component_loss`, the full combination equals the
/// plain loss, and each excluded loss equals the naive loss of L − comp_k. Tolerance 1e-12
/// relative: the same f64 values summed in different orders.
#[test]
fn table4_excluded_and_restricted_losses_agree_with_their_definitions_p11() {
    let s = random_setup(11, 5);
    let p = s.p;
    let kk = n_freqs(p);
    let key = only(p, &[2, 5]);
    let non_key: Vec<bool> = (0..=kk).map(|k| k != 0 && !key[k]).collect();
    let all = only(p, &(1..=kk).collect::<Vec<_>>());
    let none = only(p, &[]);
    let train: Vec<u32> = (0..(p * p) as u32).filter(|i| i % 3 != 0).collect();
    let (logits, parts, labels) = (s.logits.clone(), s.parts.clone(), s.labels.clone());
    let lc = centred(p, &logits);
    let mut tw = s.tw.clone();
    let b = Basis::new(p, &mut tw).unwrap();
    let mut work = vec![0.0; loss_work_len(p)];
    for pairs in [Pairs::All, Pairs::List(&train)] {
        let cl = |sel: &[bool], res: bool, work: &mut [f64]| {
            component_loss(b, &logits, &parts, sel, res, &labels, pairs, work).unwrap()
        };
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        let d = loss_decomposition(b, &logits, &parts, &key, &labels, pairs, &mut work).unwrap();
        assert!(close(d.key, cl(&key, false, &mut work)));
        assert!(close(d.non_key, cl(&non_key, false, &mut work)));
        assert!(close(d.residual, cl(&none, true, &mut work)));
        assert!(close(d.key_non_key, cl(&all, false, &mut work)));
        assert!(close(d.key_residual, cl(&key, true, &mut work)));
        assert!(close(d.non_key_residual, cl(&non_key, true, &mut work)));
        let plain = logit_loss(p, &logits, &labels, pairs).unwrap();
        assert!(close(d.all, plain));
        assert!(close(cl(&all, true, &mut work), plain));
        let r = restricted_loss(b, &parts, &key, &labels, pairs, &mut work).unwrap();
        assert_eq!(r, d.key);

        let idx: Vec<usize> = match pairs {
            Pairs::All => (0..p * p).collect(),
            Pairs::List(l) => l.iter().map(|&i| i as usize).collect(),
        };
        let mut ex = vec![0.0; kk + 1];
        excluded_losses(b, &logits, &parts, &labels, pairs, &mut ex, &mut work).unwrap();
        assert!(close(ex[0], plain));
        for (k, &exk) in ex.iter().enumerate().skip(1) {
            let comp = naive_component(b, &lc, k);
            let raw_minus: Vec<f64> = logits
                .iter()
                .zip(&comp)
                .map(|(&l, c)| l as f64 - c)
                .collect();
            let want = naive_loss(p, &raw_minus, &labels, &idx);
            assert!(close(exk, want), "k={k}: {exk} vs {want}");
            let one = excluded_loss(b, &logits, &parts, k, &labels, pairs, &mut work).unwrap();
            assert_eq!(one, exk);
        }
    }
}

#[test]
fn loss_inputs_are_validated() {
    let s = random_setup(7, 6);
    let (logits, parts, mut labels) = (s.logits.clone(), s.parts.clone(), s.labels.clone());
    let mut tw = s.tw.clone();
    let b = Basis::new(7, &mut tw).unwrap();
    let mut work = vec![0.0; loss_work_len(7)];
    let key = only(7, &[1]);
    assert_eq!(
        restricted_loss(b, &parts, &key, &labels, Pairs::List(&[49]), &mut work),
        Err(Error::BadToken {
            token: 49,
            d_vocab: 49
        })
    );
    assert_eq!(
        excluded_loss(b, &logits, &parts, 4, &labels, Pairs::All, &mut work),
        Err(Error::BadDims)
    );
    assert!(matches!(
        restricted_loss(b, &parts, &key, &labels, Pairs::All, &mut work[..5]),
        Err(Error::BufferTooSmall { need: 21, got: 5 })
    ));
    labels[3] = 7;
    assert_eq!(
        logit_loss(7, &logits, &labels, Pairs::All),
        Err(Error::BadToken {
            token: 7,
            d_vocab: 7
        })
    );
    assert!(
        logit_loss(7, &logits, &labels, Pairs::List(&[]))
            .unwrap()
            .is_nan()
    );
}

/// L = A·(cos(2π·5(x+y−z)/p) + cos(2π·17(x+y−z)/p)), labels (x + y) mod p, at p = 97. L lies in
/// the span of frequencies 5 and 17, so the restricted loss with those key frequencies equals
/// the plain loss. Tolerance 1e-6 relative: L is stored in f32, and its ~6e-8 relative rounding
/// is spread over all frequencies, so the key components miss that much of it.
#[test]
fn restricted_loss_equals_plain_loss_for_cosine_logits_at_two_frequencies_p97() {
    let p = 97;
    let kk = n_freqs(p);
    let amp = 4.0;
    let mut logits = vec![0.0f32; p * p * p];
    let mut labels = vec![0u16; p * p];
    for x in 0..p {
        for y in 0..p {
            labels[x * p + y] = ((x + y) % p) as u16;
            for z in 0..p {
                let d = (x + y + p - z) % p;
                let v: f64 = [5usize, 17]
                    .iter()
                    .map(|&k| (2.0 * PI * ((k * d) % p) as f64 / p as f64).cos())
                    .sum();
                logits[(x * p + y) * p + z] = (amp * v) as f32;
            }
        }
    }
    let mut rng = Rng::new(7);
    let mut order: Vec<u32> = (0..(p * p) as u32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let train = &order[..(0.3 * (p * p) as f64) as usize];

    let t0 = Instant::now();
    let s = Setup::new(p, logits, labels);
    let t_setup = t0.elapsed();
    let mut tw = s.tw.clone();
    let b = Basis::new(p, &mut tw).unwrap();
    let key = only(p, &[5, 17]);
    let mut work = vec![0.0; loss_work_len(p)];
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs();
    let ln_p = (p as f64).ln();
    let t1 = Instant::now();
    for pairs in [Pairs::All, Pairs::List(train)] {
        let plain = logit_loss(p, &s.logits, &s.labels, pairs).unwrap();
        assert!(plain > 1e-3 && plain < 0.5 * ln_p, "plain loss {plain}");
        let r = restricted_loss(b, &s.parts, &key, &s.labels, pairs, &mut work).unwrap();
        assert!(close(r, plain, 1e-6), "restricted {r} vs plain {plain}");

        let d =
            loss_decomposition(b, &s.logits, &s.parts, &key, &s.labels, pairs, &mut work).unwrap();
        for v in [d.key, d.key_non_key, d.key_residual, d.all] {
            assert!(close(v, plain, 1e-6), "{d:?}");
        }
        for v in [d.non_key, d.residual, d.non_key_residual] {
            assert!(close(v, ln_p, 1e-5), "{d:?}");
        }
        let mut ex = vec![0.0; kk + 1];
        excluded_losses(b, &s.logits, &s.parts, &s.labels, pairs, &mut ex, &mut work).unwrap();
        for k in 1..=kk {
            if key[k] {
                assert!(ex[k] > plain + 0.1, "removing key k={k}: {}", ex[k]);
            } else {
                assert!(close(ex[k], plain, 1e-6), "removing k={k}: {}", ex[k]);
            }
        }
    }
    eprintln!(
        "p=97: dft3 + partials {:?}; plain, restricted, Table 4 and {kk} excluded losses \
         on all pairs and train {:?}",
        t_setup,
        t1.elapsed()
    );
}
