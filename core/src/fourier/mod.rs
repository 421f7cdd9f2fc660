//! Mod-p Fourier analysis of a trained model (SPEC §5).
//!
//! Everything runs on caller buffers sized by the `*_len` helpers, accumulates in f64 in one
//! fixed order, and uses one twiddle table per p ([`Basis`]). A typical analysis:
//!
//! ```text
//! let basis = Basis::new(p, &mut tw)?;                       // tw: [twiddles_len(p)]
//! embedding_spectrum(basis, w_e, d_model, d_vocab, &mut a, &mut b)?;   // a, b: [spectrum_len(p)]
//! let (s, c) = (ffs(&a, &b, DEFAULT_FFS_EPS)?, fcr(&a, &b)?);
//! key_frequencies(&a, &b, DEFAULT_KEY_THRESHOLD, &mut key)?;
//! dft3(basis, logits, &mut coef, &mut scratch)?;              // logits L[x, y, z]: [p, p, p]
//! component_partials(basis, &coef, &mut parts)?;
//! restricted_loss(basis, &parts, &key, labels, Pairs::List(train), &mut work)?;
//! // The multiplicative basis: tw2 [mult_twiddles_len(p)], log [log_table_len(p)],
//! // exp [exp_table_len(p)]; a, b: [mult_spectrum_len(p)].
//! let mb = MultBasis::new(p, &mut tw2, &mut log, &mut exp)?;
//! mult_embedding_spectrum(mb, w_e, d_model, d_vocab, &mut a, &mut b)?;
//! let (s, c) = (mult_ffs(&a, &b, DEFAULT_FFS_EPS)?, mult_fcr(&a, &b)?);
//! ```
//!
//! - [`basis`](Basis): the orthonormal real basis `c_0, c_1, s_1, …, c_K, s_K` (interleaved).
//! - `dft`: vector, row, column and 3-D transforms and their inverses.
//! - `measures`: spectra, `neuron_logit_map`, `ffs`, `fcr`, `key_frequencies`.
//! - `logits`: 2-D logit spectrum, frequency components, restricted / excluded / Table 4 losses.
//! - `labels`: label statistics of a split (App. K).
//! - `cyclic`: the real orthonormal basis and DFT over Z_n for any n ([`CyclicBasis`]; a lone
//!   Nyquist cosine last for an even n).
//! - `dlog`: the smallest primitive root of p and the discrete-log tables.
//! - `multiplicative`: the multiplicative (discrete-log) basis of Z_p^* ([`MultBasis`], the
//!   basis over Z_{p−1} on the number tokens 1..p in log order) and its spectra, FFS and FCR.

mod basis;
mod cyclic;
mod dft;
mod dlog;
mod labels;
mod logits;
mod measures;
mod multiplicative;

pub use crate::limits::MAX_CYCLIC_N;
pub use basis::{Basis, check_prime, cos_index, freq_of, n_freqs, sin_index, twiddles_len};
pub use cyclic::{CyclicBasis, cyclic_dft, cyclic_idft, cyclic_spectrum_len, cyclic_twiddles_len};
pub use dft::{
    dft, dft_cols, dft_rows, dft3, dft3_len, dft3_scratch_len, idft, idft_cols, idft_rows, idft3,
};
pub use dlog::{NO_LOG, discrete_log_tables, exp_table_len, log_table_len, primitive_root};
pub use labels::{LabelStats, label_counts, label_stats};
pub use logits::{
    LossDecomposition, Pairs, component_logits, component_loss, component_partials,
    component_partials_len, excluded_loss, excluded_losses, logit_freq_norms, logit_loss,
    logit_spectrum_2d, logit_spectrum_2d_len, loss_decomposition, loss_work_len, restricted_loss,
};
pub use measures::{
    DEFAULT_FFS_EPS, DEFAULT_KEY_THRESHOLD, ZERO_REL, embedding_spectrum, fcr, ffs,
    key_frequencies, neuron_logit_map, neuron_logit_map_len, neuron_logit_spectrum, spectrum_cols,
    spectrum_len, spectrum_rows,
};
pub use multiplicative::{
    MultBasis, mult_dft, mult_embedding_spectrum, mult_fcr, mult_ffs, mult_neuron_logit_spectrum,
    mult_spectrum_len, mult_twiddles_len,
};
