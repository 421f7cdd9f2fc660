//! The Fourier analysis of the paper's model (d_model 128, 4 heads, d_mlp 512) on addition,
//! freshly initialised: the mod-p DFT of `W_E` over the number tokens at p = 97 and p = 113,
//! FFS and FCR of the embedding (spectrum included), and the full `modgrok analyze` computation
//! at p = 97 (spectra, logits over all p² inputs, their 3-D transform, restricted, excluded and
//! Table 4 losses) on 2 threads, without writing any file.
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use modgrok::core::fourier::{
    Basis, DEFAULT_FFS_EPS, DEFAULT_KEY_THRESHOLD, dft_rows, embedding_spectrum, fcr, ffs,
    spectrum_len, twiddles_len,
};
use modgrok::core::model::{Weights, init_params};
use modgrok_host::analysis::{AnalysisOptions, Bases, analyse};
use modgrok_host::config::RunConfig;

fn bench_embedding(c: &mut Criterion) {
    for p in [97u32, 113] {
        let (cfg, _) = modgrok::addition_dataset(p, 0.3, 0).unwrap();
        let mut params = vec![0.0f32; cfg.n_params()];
        init_params(&cfg, 0, &mut params).unwrap();
        let w_e = Weights::split(&cfg, &params).w_e;
        let p = p as usize;
        let mut tw = vec![0.0; twiddles_len(p)];
        let basis = Basis::new(p, &mut tw).unwrap();

        // The signal of row m of W_E [d_model, d_vocab] is W_E[m, 0..p], one per model dimension.
        let mut coef = vec![0.0f64; cfg.d_model * p];
        c.bench_function(&format!("fourier/dft_w_e/p{p}"), |b| {
            b.iter(|| dft_rows(basis, black_box(w_e), cfg.d_model, cfg.d_vocab, &mut coef).unwrap())
        });

        let nk = spectrum_len(p);
        let (mut alpha, mut beta) = (vec![0.0; nk], vec![0.0; nk]);
        c.bench_function(&format!("fourier/embedding_ffs_fcr/p{p}"), |b| {
            b.iter(|| {
                embedding_spectrum(
                    basis,
                    black_box(w_e),
                    cfg.d_model,
                    cfg.d_vocab,
                    &mut alpha,
                    &mut beta,
                )
                .unwrap();
                (
                    ffs(&alpha, &beta, DEFAULT_FFS_EPS).unwrap(),
                    fcr(&alpha, &beta).unwrap(),
                )
            })
        });
    }
}

fn bench_analyse(c: &mut Criterion) {
    let threads = 2;
    let cfg = RunConfig::default().derived().unwrap();
    let mcfg = cfg.model;
    let mut params = vec![0.0f32; mcfg.n_params()];
    init_params(&mcfg, cfg.seed, &mut params).unwrap();
    let opts = AnalysisOptions {
        ffs_eps: DEFAULT_FFS_EPS,
        key_threshold: DEFAULT_KEY_THRESHOLD,
        threads,
        basis: Bases::Additive,
    };
    let mut group = c.benchmark_group("analyse");
    // One analysis takes seconds: ten samples of one iteration each.
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function(format!("full/p{}_{threads}_threads", cfg.p), |b| {
        b.iter(|| analyse(&cfg, black_box(&params), 0, "init", &opts).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench_embedding, bench_analyse
}
criterion_main!(benches);
