//! The paper's experiment grids as named presets of `modgrok sweep` (SPEC §1, §4).
//!
//! | preset | runs | what |
//! |---|---|---|
//! | `table5` | 36 ops × 7 fracs × 3 seeds = 756 | [`PAPER_OPS`] at p = 97, r = 0.3 … 0.9 (paper Table 5) |
//! | `transfer` | 144 | PT-E and PT-T from grokked add/subtract/multiply (paper §4), frozen random `W_E` (App. F), scratch baselines |
//! | `mixtures` | 3 mixtures × 7 fracs × 3 seeds = 63 | the reference's multi-task mixtures |
//! | `p-sweep` | 3 ops × 7 primes × 2 fracs × 3 seeds = 126 | add, subtract, multiply over p = 31 … 113 |
//!
//! Every preset trains at most [`PRESET_STEPS`] steps (the reference's `num_epochs`) and stops a
//! run early once it has grokked at [`PRESET_GROK_THRESHOLD`]; any flag given on the command
//! line overrides the preset's value.
use modgrok_core::data::{ALL_OPS, Op};

/// The paper's operations as `modgrok sweep --ops paper` and the `table5` preset run them: every
/// row of core's `ALL_OPS` (SPEC §1: the reference's 30 tasks, then x^k ± y^k and (x ± y)^k for
/// k = 1..4) in that order, less the four rows that are the same task as an earlier row (same
/// polynomial, op token and pairs), which would train bit-identical models:
/// `_x_y__1` = `x1_y1`, `_x_m_y__1` = `x1_m_y1`, `_x_y__2` = `x2_2xy_y2`,
/// `_x_m_y__2` = `x2_m_2xy_y2`.
pub const PAPER_OPS: [&str; 36] = [
    "add",
    "subtract",
    "multiply",
    "multiply_non_zero",
    "division",
    "2x_3y",
    "2x_m_3y",
    "x_x_y",
    "x_x_m_y",
    "xy_y",
    "xy_m_y",
    "xy_x_y",
    "xy_x_m_y",
    "x2_y",
    "x2_m_y",
    "x3_2y",
    "x3_m_2y",
    "x2_y2",
    "x2_m_y2",
    "x2_xy_y2",
    "x2_xy_y2_x",
    "x3_xy",
    "x3_xy2_y",
    "x2_2xy_y2",
    "x2_m_2xy_y2",
    "x2_2xy_y2_x_y",
    "_x_y__3",
    "_x_y__4",
    "_x_m_y__3",
    "_x_m_y__4",
    "x1_y1",
    "x1_m_y1",
    "x3_y3",
    "x3_m_y3",
    "x4_y4",
    "x4_m_y4",
];

/// Train fractions of Table 5: r = 0.3, 0.4, …, 0.9.
pub const TABLE5_FRACS: [f64; 7] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// Seeds of every preset.
pub const PRESET_SEEDS: [u64; 3] = [0, 1, 2];
/// Step budget of every preset: the reference configs' `num_epochs`.
pub const PRESET_STEPS: u64 = 100_000;
/// Mean test accuracy at which a preset's run counts as grokked (and, held for the patience,
/// stops). Below `train`'s 0.999: on the published pairs subtraction generalises to every test
/// pair but the few whose x is its own op token `-` (x = p + 2), and settles near 99.5 %; the
/// paper marks those cells grokked (docs/reproduction.md).
pub const PRESET_GROK_THRESHOLD: f64 = 0.99;

/// Sources of the `transfer` preset, pre-grokked at [`TRANSFER_SOURCE_FRAC`] (the reference's
/// `pt_add_p97_03`, `pt_sub_p97_03`, `pt_mul_p97_03`).
pub const TRANSFER_SOURCES: [&str; 3] = ["add", "subtract", "multiply"];
pub const TRANSFER_SOURCE_FRAC: f64 = 0.3;
/// Steps each source trains, without stopping early: the steps of the reference README's
/// pre-grokked checkpoints (`pt_add_p97_03` and `pt_mul_p97_03` at 10 000, `pt_sub_p97_03` at
/// 40 000), well past grokking, so the sources have gone through the cleanup phase.
pub fn transfer_source_steps(op: &str) -> u64 {
    if op == "subtract" { 40_000 } else { 10_000 }
}
/// Targets of every source: the elementary operations (a 3 × 3 source × target matrix).
pub const TRANSFER_ELEMENTARY: [&str; 3] = ["add", "subtract", "multiply"];
/// Polynomial targets transferred from `add` only, as in the reference README.
pub const TRANSFER_POLYNOMIALS: [&str; 7] = [
    "x2_y2",
    "x2_xy_y2",
    "x_x_y",
    "xy_y",
    "x2_xy_y2_x",
    "x3_xy",
    "x3_xy2_y",
];
/// Train fraction of the transfer targets (the reference's `-f 0.3`).
pub const TRANSFER_TARGET_FRACS: [f64; 1] = [0.3];

/// The reference's mixtures (`config_add_mul`, `config_add_sub`, `config_add_sub_mul`).
pub const MIXTURES: [&str; 3] = ["add,multiply", "add,subtract", "add,subtract,multiply"];

/// Ops, primes and fractions of the `p-sweep` preset.
pub const P_SWEEP_OPS: [&str; 3] = ["add", "subtract", "multiply"];
pub const P_SWEEP_PRIMES: [u32; 7] = [31, 47, 59, 71, 83, 97, 113];
pub const P_SWEEP_FRACS: [f64; 2] = [0.3, 0.5];

/// A named grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The 36 TABLE5 ops of `modgrok ops` at p = 97, fracs 0.3..0.9, seeds 0-2 (756 runs)
    Table5,
    /// PT-E / PT-T from grokked add, subtract, multiply; frozen random W_E; baselines (144 runs)
    Transfer,
    /// add,multiply / add,subtract / add,subtract,multiply at fracs 0.3..0.9, seeds 0-2 (63 runs)
    Mixtures,
    /// add, subtract, multiply at p = 31..113, fracs 0.3 and 0.5, seeds 0-2 (126 runs)
    PSweep,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Table5 => "table5",
            Preset::Transfer => "transfer",
            Preset::Mixtures => "mixtures",
            Preset::PSweep => "p-sweep",
        }
    }
}

/// Whether `name` is in [`PAPER_OPS`].
pub fn in_paper_grid(name: &str) -> bool {
    PAPER_OPS.contains(&name)
}

/// Rows of `ALL_OPS` that repeat an earlier row's task: `(row, earlier row)` names.
pub fn duplicate_ops() -> Vec<(&'static str, &'static str)> {
    let same = |a: &Op, b: &Op| {
        a.polynomial() == b.polynomial() && a.symbol() == b.symbol() && a.filter() == b.filter()
    };
    let ops: Vec<Op> = ALL_OPS.iter().map(|r| r.op()).collect();
    let mut dups = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let Some(j) = (0..i).find(|&j| same(&ops[j], op)) {
            dups.push((ALL_OPS[i].name, ALL_OPS[j].name));
        }
    }
    dups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_ops_are_all_ops_less_exact_duplicates_in_order() {
        let dups: Vec<&str> = duplicate_ops().iter().map(|d| d.0).collect();
        assert_eq!(dups, ["_x_y__1", "_x_y__2", "_x_m_y__1", "_x_m_y__2"]);
        let expected: Vec<&str> = ALL_OPS
            .iter()
            .map(|r| r.name)
            .filter(|n| !dups.contains(n))
            .collect();
        assert_eq!(PAPER_OPS.to_vec(), expected);
    }

    #[test]
    fn preset_ops_are_known_names() {
        for name in PAPER_OPS
            .iter()
            .chain(&TRANSFER_SOURCES)
            .chain(&TRANSFER_POLYNOMIALS)
            .chain(&P_SWEEP_OPS)
        {
            Op::from_name(name).unwrap();
        }
        for mix in MIXTURES {
            modgrok_core::data::Tasks::parse(97, mix).unwrap();
        }
    }
}
