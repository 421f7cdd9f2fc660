//! Fourier analysis on the host (SPEC §5): the live progress measures of `metrics.csv`
//! ([`FourierProbe`]) and the analysis of a trained model ([`analyse`]) that training ends with
//! and `modgrok analyze` runs.
//!
//! `analysis.json` ([`Analysis`]) holds, for ε and the key threshold it records:
//! - `embedding`, `neuron_logit_map`: `alpha`, `beta` indexed by frequency k = 0..=K (k = 0 the
//!   constant part), `ffs`, `fcr`, `key_frequencies`;
//! - `tasks[t]` for each task of the mixture: the logits' component norms, key frequencies,
//!   `loss`, `accuracy`, `restricted_loss`, `excluded_loss` (arrays indexed by the removed k,
//!   `[0]` nothing removed), `table4` (the seven combinations of key / non-key / residual), each
//!   as `{train, all}`, and the p×p `logit_spectrum_2d`;
//! - `multiplicative`, only when the analysis reads the multiplicative basis ([`Bases`]): the
//!   primitive root `generator` and the `embedding` and `neuron_logit_map` spectra over the
//!   number tokens 1..p in discrete-log order ([`Multiplicative`]).
//!
//! `over_training.csv` ([`OverTraining`]) holds the restricted and excluded losses with the final
//! model's key frequencies, losses, accuracies, FFS, FCR and weight norm of every checkpoint.
//!
//! Losses here are over the p number classes (SPEC §5), so they can differ slightly from the
//! training loss over all d_vocab classes. "all" is every pair the mixture admits.
mod bases;
mod compute;
mod figures;
mod live;
mod output;
mod over_training;
mod over_training_files;

pub use bases::{Bases, is_multiplicative};
pub use compute::{
    ANALYSIS_VERSION, Analysis, AnalysisOptions, MAX_ANALYSIS_P, Multiplicative, Spectrum, Table4,
    TaskAnalysis, TrainAll, analyse, check_options,
};
pub use figures::{logit_map_name, over_training_name, write_figures};
pub use live::FourierProbe;
pub use output::{
    ANALYSIS_FILE, AUTO_ANALYSIS_BUDGET, AnalyzeOutput, Loaded, after_training, analysis_json,
    load, write_analysis,
};
pub use over_training::{
    CheckpointMeasures, OVER_TRAINING_FILE, OverTraining, TaskMeasures, over_training,
};
pub use over_training_files::{OverTrainingOutput, write_over_training};
