//! The full Fourier analysis of one model (SPEC §5): spectra, FFS, FCR and key frequencies of
//! the embedding and the neuron-logit map (in the additive basis, and on request in the
//! multiplicative one), and for each task the logits over all p² inputs, their 2-D spectrum and
//! frequency components, and the restricted, excluded and Table 4 losses.
//!
//! Every number is computed by core's functions in core's order; threads only run whole,
//! independent pieces (64-example blocks of the forward, one loss each), so the result is the
//! same bits for any thread count.
use modgrok_core::data::{Example, Tasks};
use modgrok_core::fourier::{
    Basis, LossDecomposition, MultBasis, Pairs, component_loss, component_partials,
    component_partials_len, dft3, dft3_len, dft3_scratch_len, embedding_spectrum, excluded_loss,
    exp_table_len, fcr, ffs, key_frequencies, log_table_len, logit_freq_norms, logit_loss,
    logit_spectrum_2d, logit_spectrum_2d_len, loss_decomposition, loss_work_len,
    mult_embedding_spectrum, mult_fcr, mult_ffs, mult_neuron_logit_spectrum, mult_spectrum_len,
    mult_twiddles_len, neuron_logit_map, neuron_logit_map_len, neuron_logit_spectrum,
    restricted_loss, spectrum_len, twiddles_len,
};
use modgrok_core::model::{BLOCK, ModelConfig, StepLayout, Weights, forward_logits, prepare};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bases::Bases;
use crate::config::RunConfig;
use crate::error::HostError;

/// Version of the `analysis.json` layout.
pub const ANALYSIS_VERSION: u32 = 1;

/// Largest p `modgrok analyze` accepts: the logits, their 3-D coefficients and the component
/// partials are three p³ arrays (≈ 340 MB at p = 257), and the excluded losses cost about
/// p⁴/2 `exp` calls.
pub const MAX_ANALYSIS_P: u32 = 257;

/// Settings of one analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// ε of FFS.
    pub ffs_eps: f64,
    /// Share of the squared norm above which a frequency is key.
    pub key_threshold: f64,
    /// Worker threads; the result does not depend on it.
    pub threads: usize,
    /// The bases of the embedding and neuron-logit-map spectra.
    pub basis: Bases,
}

/// Spectrum of a set of signals over Z_p, indexed by frequency k = 0..=K (k = 0 is the
/// constant part: `alpha[0] = ‖c_0 · signal‖`, `beta[0] = 0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// `α_k = ‖c_k · signal‖₂`, norm over the signals.
    pub alpha: Vec<f64>,
    /// `β_k = ‖s_k · signal‖₂`.
    pub beta: Vec<f64>,
    /// Fourier Frequency Sparsity at the analysis' ε (1 = dense).
    pub ffs: f64,
    /// Fourier Coefficient Ratio (1 = cosine and sine balanced).
    pub fcr: f64,
    /// k ≥ 1 whose share `(α_k² + β_k²) / Σ_j (α_j² + β_j²)` exceeds the key threshold.
    pub key_frequencies: Vec<usize>,
}

/// A value over the train pairs and over all pairs of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainAll<T> {
    pub train: T,
    pub all: T,
}

/// The paper's Table 4: the loss with the logits of each combination of the key-frequency part,
/// the non-key part and the residual (core's [`LossDecomposition`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Table4 {
    pub key: f64,
    pub non_key: f64,
    pub residual: f64,
    pub key_non_key: f64,
    pub key_residual: f64,
    pub non_key_residual: f64,
    /// All three parts: the loss of the logits themselves, up to rounding.
    pub all: f64,
}

impl From<LossDecomposition> for Table4 {
    fn from(d: LossDecomposition) -> Self {
        Table4 {
            key: d.key,
            non_key: d.non_key,
            residual: d.residual,
            key_non_key: d.key_non_key,
            key_residual: d.key_residual,
            non_key_residual: d.non_key_residual,
            all: d.all,
        }
    }
}

/// The logit analysis of one task of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskAnalysis {
    /// The task's name (its op, as in the metrics columns).
    pub task: String,
    pub op_token: u16,
    /// Pairs in the train set and in "all" (every pair the mixture admits, e.g. y ≠ 0 for
    /// division).
    pub n_train: usize,
    pub n_all: usize,
    /// `‖comp_k‖₂` of the centred logits for k = 0..=K (`[0]` = 0).
    pub logit_freq_norms: Vec<f64>,
    /// `‖residual‖₂`: the centred logits minus every frequency component.
    pub logit_residual_norm: f64,
    /// Key frequencies of the logits (share of `‖comp_k‖²` above the threshold); the restricted
    /// loss and Table 4 use these.
    pub key_frequencies: Vec<usize>,
    /// Mean cross-entropy of the logits over the p number classes.
    pub loss: TrainAll<f64>,
    /// Fraction of pairs whose argmax over the p number classes is the label.
    pub accuracy: TrainAll<f64>,
    /// The loss with the key-frequency components alone as logits.
    pub restricted_loss: TrainAll<f64>,
    /// Indexed by k: `[k]` is the loss with frequency k's component removed from the logits,
    /// `[0]` the loss with nothing removed (the centred logits, the baseline).
    pub excluded_loss: TrainAll<Vec<f64>>,
    pub table4: TrainAll<Table4>,
    /// `[a][b] = ‖Σ_{x,y} b_a(x)·b_b(y)·L_c[x, y, ·]‖₂` (norm over z of the centred logits),
    /// rows a for x, columns b for y, both in basis order c_0, c_1, s_1, c_2, s_2, ….
    pub logit_spectrum_2d: Vec<Vec<f64>>,
}

/// The analysis of one model, as written to `analysis.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub analysis_version: u32,
    pub crate_version: String,
    /// The model file analysed, as given.
    pub model: String,
    /// Updates applied to the model.
    pub step: u64,
    pub op: String,
    pub p: u32,
    pub frac: f64,
    pub seed: u64,
    pub ffs_eps: f64,
    pub key_threshold: f64,
    /// Spectrum of the number rows of W_E^T (norms over d_model).
    pub embedding: Spectrum,
    /// Spectrum of `W_L = W_U^T[0..p] · W_out` over its p rows (norms over neurons).
    pub neuron_logit_map: Spectrum,
    /// One entry per task of the mixture, in order.
    pub tasks: Vec<TaskAnalysis>,
    /// The spectra in the multiplicative basis, when the analysis reads it; absent otherwise
    /// (and in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiplicative: Option<Multiplicative>,
}

/// The embedding and the neuron-logit map in the multiplicative (discrete-log) basis (SPEC §5):
/// the number tokens 1..p (token 0 left out) in the order `g^0, g^1, …, g^(p−2)` and the real
/// basis over Z_{p−1}. Each [`Spectrum`] is indexed by k = 0..=K, K = (p − 1)/2, where k = K is
/// the Nyquist frequency, a lone cosine (`beta[K] = 0`); its FFS counts the 2K − 1 non-constant
/// basis functions, its FCR averages k = 1..K−1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Multiplicative {
    /// g, the smallest primitive root of p.
    pub generator: usize,
    /// Spectrum of W_E's rows over the tokens g^i (norms over d_model).
    pub embedding: Spectrum,
    /// Spectrum of `W_L`'s rows for the outputs g^i (norms over neurons).
    pub neuron_logit_map: Spectrum,
}

/// FFS and FCR of a spectrum in one basis: core's additive `ffs`/`fcr` or the multiplicative ones.
type Measures = (
    fn(&[f64], &[f64], f64) -> Result<f64, modgrok_core::Error>,
    fn(&[f64], &[f64]) -> Result<f64, modgrok_core::Error>,
);
const ADDITIVE: Measures = (ffs, fcr);
const MULTIPLICATIVE: Measures = (mult_ffs, mult_fcr);

fn spectrum(
    alpha: Vec<f64>,
    beta: Vec<f64>,
    opts: &AnalysisOptions,
    (ffs_of, fcr_of): Measures,
) -> Result<Spectrum, HostError> {
    let mut key = vec![false; alpha.len()];
    key_frequencies(&alpha, &beta, opts.key_threshold, &mut key)?;
    Ok(Spectrum {
        ffs: ffs_of(&alpha, &beta, opts.ffs_eps)?,
        fcr: fcr_of(&alpha, &beta)?,
        key_frequencies: indices(&key),
        alpha,
        beta,
    })
}

/// The multiplicative spectra of `w_e` ([d_model, d_vocab]) and `w_l` ([p, d_mlp]).
fn multiplicative(
    p: usize,
    mcfg: &ModelConfig,
    w_e: &[f32],
    w_l: &[f32],
    opts: &AnalysisOptions,
) -> Result<Multiplicative, HostError> {
    let mut tw = vec![0.0; mult_twiddles_len(p)];
    let (mut log, mut exp) = (vec![0; log_table_len(p)], vec![0; exp_table_len(p)]);
    let mb = MultBasis::new(p, &mut tw, &mut log, &mut exp)?;
    let nk = mult_spectrum_len(p);
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk]);
    mult_embedding_spectrum(mb, w_e, mcfg.d_model, mcfg.d_vocab, &mut a, &mut b)?;
    let embedding = spectrum(a, b, opts, MULTIPLICATIVE)?;
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk]);
    mult_neuron_logit_spectrum(mb, w_l, mcfg.d_mlp, &mut a, &mut b)?;
    let neuron_logit_map = spectrum(a, b, opts, MULTIPLICATIVE)?;
    Ok(Multiplicative {
        generator: mb.generator(),
        embedding,
        neuron_logit_map,
    })
}

fn indices(mask: &[bool]) -> Vec<usize> {
    mask.iter()
        .enumerate()
        .filter_map(|(k, &on)| on.then_some(k))
        .collect()
}

/// Checks an analysis' settings and that p is small enough for its p³ arrays.
pub fn check_options(cfg: &RunConfig, opts: &AnalysisOptions) -> Result<(), HostError> {
    if !(0.0..1.0).contains(&opts.ffs_eps) {
        return Err(HostError::Usage(format!(
            "--ffs-eps {} must lie in [0, 1)",
            opts.ffs_eps
        )));
    }
    if !(0.0..1.0).contains(&opts.key_threshold) {
        return Err(HostError::Usage(format!(
            "--key-threshold {} must lie in [0, 1): it is a share of the spectrum's squared norm",
            opts.key_threshold
        )));
    }
    if opts.threads == 0 {
        return Err(HostError::Usage("--threads must be at least 1".into()));
    }
    if cfg.p > MAX_ANALYSIS_P {
        return Err(HostError::Usage(format!(
            "p = {} is above {MAX_ANALYSIS_P}, the largest p whose p³ logit tensors this analysis holds in memory",
            cfg.p
        )));
    }
    Ok(())
}

/// Analyses `params` (core's flat layout) of a model of the run `cfg` after `step` updates;
/// `model` names the file in the result.
pub fn analyse(
    cfg: &RunConfig,
    params: &[f32],
    step: u64,
    model: &str,
    opts: &AnalysisOptions,
) -> Result<Analysis, HostError> {
    check_options(cfg, opts)?;
    let mcfg = cfg.model;
    if params.len() != mcfg.n_params() {
        return Err(HostError::Usage(format!(
            "the model has {} parameters, its config needs {}",
            params.len(),
            mcfg.n_params()
        )));
    }
    let tasks = cfg.tasks()?;
    let p = cfg.p as usize;
    let pool = thread_pool(opts.threads)?;
    let mut tw = vec![0.0; twiddles_len(p)];
    let basis = Basis::new(p, &mut tw)?;

    let w = Weights::split(&mcfg, params);
    let nk = spectrum_len(p);
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk]);
    embedding_spectrum(basis, w.w_e, mcfg.d_model, mcfg.d_vocab, &mut a, &mut b)?;
    let embedding = spectrum(a, b, opts, ADDITIVE)?;
    let mut w_l = vec![0.0f32; neuron_logit_map_len(p, mcfg.d_mlp)];
    neuron_logit_map(
        p,
        w.w_u,
        w.w_out,
        mcfg.d_model,
        mcfg.d_vocab,
        mcfg.d_mlp,
        &mut w_l,
    )?;
    let (mut a, mut b) = (vec![0.0; nk], vec![0.0; nk]);
    neuron_logit_spectrum(basis, &w_l, mcfg.d_mlp, &mut a, &mut b)?;
    let neuron_logit_map = spectrum(a, b, opts, ADDITIVE)?;
    let mult = match opts.basis.multiplicative() {
        true => Some(multiplicative(p, &mcfg, w.w_e, &w_l, opts)?),
        false => None,
    };

    let Inputs {
        examples,
        all: all_pairs,
        train: train_pairs,
        ..
    } = inputs(cfg, &tasks)?;
    let logits = pool.install(|| all_logits(&mcfg, params, &examples))?;
    let names = cfg.task_names();
    let mut per_task = Vec::with_capacity(tasks.len());
    for (t, task) in tasks.tasks().iter().enumerate() {
        let voc = mcfg.d_vocab;
        let rows = &logits[t * p * p * voc..(t + 1) * p * p * voc];
        let labels: Vec<u16> = examples[t * p * p..(t + 1) * p * p]
            .iter()
            .map(|e| e.label)
            .collect();
        let sets = LossSets {
            labels: &labels,
            train: &train_pairs,
            all: &all_pairs,
        };
        let mut ta = pool.install(|| task_analysis(basis, rows, voc, &sets, opts))?;
        ta.task.clone_from(&names[t]);
        ta.op_token = task.token;
        per_task.push(ta);
    }
    Ok(Analysis {
        analysis_version: ANALYSIS_VERSION,
        crate_version: env!("CARGO_PKG_VERSION").into(),
        model: model.to_string(),
        step,
        op: cfg.op.clone(),
        p: cfg.p,
        frac: cfg.frac,
        seed: cfg.seed,
        ffs_eps: opts.ffs_eps,
        key_threshold: opts.key_threshold,
        embedding,
        neuron_logit_map,
        tasks: per_task,
        multiplicative: mult,
    })
}

/// The model's inputs for the analysis and the pair sets of its losses.
pub(super) struct Inputs {
    /// `[x, token_t, y]` for all p² pairs (x outer) of every task t, task-major, with its label
    /// (0 for a pair the mixture does not admit; such pairs are in no loss).
    pub(super) examples: Vec<Example>,
    /// Flat indices `x·p + y` of the admitted pairs, ascending.
    pub(super) all: Vec<u32>,
    /// Flat indices of the train pairs in Z_p² (SPEC §2: under `reference` the train pairs with a
    /// special-token operand are left out), in split order.
    pub(super) train: Vec<u32>,
    /// Flat indices of the test pairs (the rest of the split) in Z_p², in split order.
    pub(super) test: Vec<u32>,
}

pub(super) fn inputs(cfg: &RunConfig, tasks: &Tasks) -> Result<Inputs, HostError> {
    let p = cfg.p;
    let filter = tasks.filter();
    let mut examples = Vec::with_capacity(tasks.len() * (p * p) as usize);
    for (t, task) in tasks.tasks().iter().enumerate() {
        for x in 0..p {
            for y in 0..p {
                let label = if filter.admits(x, y, p) {
                    task.op.eval(x, y, p) as u16
                } else {
                    0
                };
                examples.push(Example {
                    tokens: [x as u16, task.token, y as u16],
                    label,
                    task: t as u8,
                });
            }
        }
    }
    let all: Vec<u32> = (0..p * p)
        .filter(|&i| filter.admits(i / p, i % p, p))
        .collect();
    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(cfg.pairs)];
    let n_train = tasks.split(cfg.pairs, cfg.frac, cfg.seed, &mut pairs)?;
    let in_field = |ps: &[(u16, u16)]| -> Vec<u32> {
        ps.iter()
            .filter(|&&(x, y)| (x as u32) < p && (y as u32) < p)
            .map(|&(x, y)| x as u32 * p + y as u32)
            .collect()
    };
    Ok(Inputs {
        examples,
        all,
        train: in_field(&pairs[..n_train]),
        test: in_field(&pairs[n_train..]),
    })
}

/// Logits `[n, d_vocab]` of every example, 64-example blocks on the current rayon pool (each
/// block is independent in core, so the bits do not depend on the split).
pub(super) fn all_logits(
    mcfg: &ModelConfig,
    params: &[f32],
    examples: &[Example],
) -> Result<Vec<f32>, HostError> {
    let lay = StepLayout::new(mcfg)?;
    let mut cache = vec![0.0f32; lay.cache_len()];
    prepare(mcfg, params, &mut cache)?;
    let voc = mcfg.d_vocab;
    let mut logits = vec![0.0f32; examples.len() * voc];
    let cache = &cache;
    examples
        .par_chunks(BLOCK)
        .zip(logits.par_chunks_mut(BLOCK * voc))
        .try_for_each_init(
            || vec![0.0f32; lay.acts_len()],
            |acts, (ex, out)| forward_logits(mcfg, params, cache, ex, acts, out),
        )?;
    Ok(logits)
}

/// Labels of every pair (`[p²]`) and the two pair sets of the losses.
struct LossSets<'a> {
    labels: &'a [u16],
    train: &'a [u32],
    all: &'a [u32],
}

/// One independent loss computation.
#[derive(Clone, Copy)]
enum Job {
    Loss,
    Restricted,
    /// Frequency k removed; k = 0 removes nothing.
    Excluded(usize),
    Table4,
}

enum JobOut {
    Value(f64),
    Table(Table4),
}

/// One task's logits `L[x, y, z]` over the p number classes z, from its rows of logits
/// `[p², d_vocab]`, and their 3-D Fourier coefficients (`dft3`).
pub(super) fn number_logits(
    basis: Basis,
    rows: &[f32],
    voc: usize,
) -> Result<(Vec<f32>, Vec<f64>), HostError> {
    let p = basis.p();
    let logits: Vec<f32> = rows
        .chunks_exact(voc)
        .flat_map(|r| &r[..p])
        .copied()
        .collect();
    let mut coef = vec![0.0f64; dft3_len(p)];
    let mut scratch = vec![0.0f64; dft3_scratch_len(p)];
    dft3(basis, &logits, &mut coef, &mut scratch)?;
    Ok((logits, coef))
}

/// The logit analysis of one task from its rows of logits `[p², d_vocab]`.
fn task_analysis(
    basis: Basis,
    rows: &[f32],
    voc: usize,
    sets: &LossSets,
    opts: &AnalysisOptions,
) -> Result<TaskAnalysis, HostError> {
    let p = basis.p();
    let kk = basis.n_freqs();
    let (logits, coef) = number_logits(basis, rows, voc)?;
    let mut map = vec![0.0f64; logit_spectrum_2d_len(p)];
    logit_spectrum_2d(basis, &coef, true, &mut map)?;
    let mut norms = vec![0.0f64; kk + 1];
    let residual_norm = logit_freq_norms(basis, &coef, &mut norms)?;
    let mut key = vec![false; kk + 1];
    key_frequencies(&norms, &vec![0.0; kk + 1], opts.key_threshold, &mut key)?;
    let mut partials = vec![0.0f64; component_partials_len(p)];
    component_partials(basis, &coef, &mut partials)?;
    drop(coef);

    let mut jobs = vec![Job::Loss, Job::Restricted, Job::Table4];
    jobs.extend((0..=kk).map(Job::Excluded));
    let runs: Vec<(Job, bool)> = jobs.iter().flat_map(|&j| [(j, true), (j, false)]).collect();
    let all_on = vec![true; kk + 1];
    let (logits, partials, key) = (&logits, &partials, &key);
    let results = runs
        .par_iter()
        .map(|&(job, on_train)| {
            let pairs = Pairs::List(if on_train { sets.train } else { sets.all });
            let mut work = vec![0.0f64; loss_work_len(p)];
            let labels = sets.labels;
            Ok(match job {
                Job::Loss => JobOut::Value(logit_loss(p, logits, labels, pairs)?),
                Job::Restricted => JobOut::Value(restricted_loss(
                    basis, partials, key, labels, pairs, &mut work,
                )?),
                Job::Excluded(0) => JobOut::Value(component_loss(
                    basis, logits, partials, &all_on, true, labels, pairs, &mut work,
                )?),
                Job::Excluded(k) => JobOut::Value(excluded_loss(
                    basis, logits, partials, k, labels, pairs, &mut work,
                )?),
                Job::Table4 => JobOut::Table(
                    loss_decomposition(basis, logits, partials, key, labels, pairs, &mut work)?
                        .into(),
                ),
            })
        })
        .collect::<Result<Vec<JobOut>, modgrok_core::Error>>()?;

    // results[2j] is job j on the train pairs, results[2j + 1] on all pairs.
    let value = |i: usize| match results[i] {
        JobOut::Value(v) => v,
        JobOut::Table(_) => unreachable!("only jobs[2] is Table4"),
    };
    let table = |i: usize| match results[i] {
        JobOut::Table(t) => t,
        JobOut::Value(_) => unreachable!("jobs[2] is Table4"),
    };
    let pair = |j: usize| TrainAll {
        train: value(2 * j),
        all: value(2 * j + 1),
    };
    let excluded = |side: usize| (0..=kk).map(|k| value(2 * (3 + k) + side)).collect();
    Ok(TaskAnalysis {
        task: String::new(),
        op_token: 0,
        n_train: sets.train.len(),
        n_all: sets.all.len(),
        logit_freq_norms: norms,
        logit_residual_norm: residual_norm,
        key_frequencies: indices(key),
        loss: pair(0),
        accuracy: TrainAll {
            train: accuracy(logits, p, sets.labels, sets.train),
            all: accuracy(logits, p, sets.labels, sets.all),
        },
        restricted_loss: pair(1),
        excluded_loss: TrainAll {
            train: excluded(0),
            all: excluded(1),
        },
        table4: TrainAll {
            train: table(4),
            all: table(5),
        },
        logit_spectrum_2d: map.chunks_exact(p).map(<[f64]>::to_vec).collect(),
    })
}

/// Fraction of `pairs` whose first largest logit over the p number classes is the label.
pub(super) fn accuracy(logits: &[f32], p: usize, labels: &[u16], pairs: &[u32]) -> f64 {
    let correct = pairs
        .iter()
        .filter(|&&i| {
            let row = &logits[i as usize * p..(i as usize + 1) * p];
            let mut best = 0;
            for z in 1..p {
                if row[z] > row[best] {
                    best = z;
                }
            }
            best == labels[i as usize] as usize
        })
        .count();
    correct as f64 / pairs.len().max(1) as f64
}

/// The analysis' worker pool of `threads` threads.
pub(super) fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, HostError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| HostError::Threads {
            threads,
            reason: e.to_string(),
        })
}
