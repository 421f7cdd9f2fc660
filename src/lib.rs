//! Workspace root of modgrok. The code lives in `core/` (the no_std reference) and `host/` (the
//! `modgrok` CLI); this package owns the cross-crate tests in `tests/` and the benches in
//! `benches/`.
pub use modgrok_core as core;

use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::ModelConfig;

/// The setup the examples and benches time: addition mod `p`, the train examples of the split
/// with `frac` of the pairs and `seed` (SPEC §2, in split order) over Z_p ([`Pairs::Field`], the
/// pairs the PyTorch step benchmark draws, so both time the same batch), and the paper's model
/// (d_model 128, 4 heads, d_mlp 512) for its vocabulary. Errors when p is not a prime below
/// 65536 or frac leaves train or test empty.
pub fn addition_dataset(
    p: u32,
    frac: f64,
    seed: u64,
) -> Result<(ModelConfig, Vec<Example>), modgrok_core::Error> {
    let tasks = Tasks::parse(p, "add")?;
    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(Pairs::Field)];
    let n_train = tasks.split(Pairs::Field, frac, seed, &mut pairs)?;
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train)?;
    Ok((ModelConfig::paper(tasks.d_vocab()), train))
}
