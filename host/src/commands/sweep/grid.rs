//! The grid of a sweep in its fixed order: `p` outer, then rows (ops, then mixtures), then
//! fracs, then seeds; a transfer run after the run it loads from.
use std::collections::HashMap;
use std::path::Path;

use crate::config::RunConfig;
use crate::error::HostError;
use crate::presets::{self, Preset};

use super::args::SweepArgs;

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRun {
    /// Run directory name under `--out`.
    pub name: String,
    pub cfg: RunConfig,
    /// Index in the grid of the run whose `final.safetensors` this one starts from.
    pub source: Option<usize>,
}

fn parse_list<T: std::str::FromStr>(flag: &str, s: &str) -> Result<Vec<T>, HostError> {
    let items: Result<Vec<T>, _> = s
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .collect();
    match items {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(HostError::Usage(format!(
            "{flag} {s:?} is not a comma list of numbers"
        ))),
    }
}

/// Most runs a grid may list: far beyond any sweep one machine or cluster trains, and small
/// enough that listing it costs nothing.
pub const MAX_GRID_RUNS: usize = 100_000;

/// Seeds: numbers and inclusive ranges `a-b`, at most [`MAX_GRID_RUNS`] in all.
pub(super) fn parse_seeds(s: &str) -> Result<Vec<u64>, HostError> {
    let mut seeds = Vec::new();
    let too_many = || {
        HostError::Usage(format!(
            "--seeds {s} lists more than {MAX_GRID_RUNS} seeds: give a shorter range"
        ))
    };
    for item in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u64, u64) =
                    (parse_list("--seeds", a)?[0], parse_list("--seeds", b)?[0]);
                if a > b {
                    return Err(HostError::Usage(format!(
                        "--seeds range {item} is empty: write low-high"
                    )));
                }
                if b - a >= (MAX_GRID_RUNS - seeds.len()) as u64 {
                    return Err(too_many());
                }
                seeds.extend(a..=b);
            }
            None => seeds.extend(parse_list::<u64>("--seeds", item)?),
        }
        if seeds.len() > MAX_GRID_RUNS {
            return Err(too_many());
        }
    }
    if seeds.is_empty() {
        return Err(HostError::Usage(format!("--seeds {s:?} lists no seed")));
    }
    Ok(seeds)
}

/// Directory name of a run: `<op>_p<p>_f<frac>_s<seed>`, as `modgrok train` names it.
pub fn run_name(cfg: &RunConfig) -> String {
    cfg.default_out()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl SweepArgs {
    /// The whole grid, in its fixed order, every config checked.
    pub fn grid(&self) -> Result<Vec<GridRun>, HostError> {
        let preset = self.preset;
        let ops: Option<Vec<String>> = self.ops.as_ref().map(|ops| {
            let mut rows = Vec::new();
            for item in ops.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if item == "paper" {
                    rows.extend(presets::PAPER_OPS.iter().map(|s| s.to_string()));
                } else {
                    rows.push(item.to_string());
                }
            }
            rows
        });
        let fracs: Vec<f64> = match (&self.fracs, preset) {
            (Some(f), _) => parse_list("--fracs", f)?,
            (None, Some(Preset::PSweep)) => presets::P_SWEEP_FRACS.to_vec(),
            (None, Some(Preset::Transfer)) => presets::TRANSFER_TARGET_FRACS.to_vec(),
            (None, Some(_)) => presets::TABLE5_FRACS.to_vec(),
            (None, None) => vec![RunConfig::default().frac],
        };
        let seeds: Vec<u64> = match (&self.seeds, preset) {
            (Some(s), _) => parse_seeds(s)?,
            (None, Some(_)) => presets::PRESET_SEEDS.to_vec(),
            (None, None) => vec![RunConfig::default().seed],
        };
        let ps: Vec<u32> = match (&self.p, preset) {
            (Some(p), _) => parse_list("--p", p)?,
            (None, Some(Preset::PSweep)) => presets::P_SWEEP_PRIMES.to_vec(),
            (None, _) => vec![RunConfig::default().p],
        };
        let template = self.template();
        let grid_size = |per_point: usize| {
            [ps.len(), fracs.len(), seeds.len(), per_point]
                .into_iter()
                .try_fold(1usize, usize::checked_mul)
                .filter(|&n| n <= MAX_GRID_RUNS)
                .map(|_| ())
                .ok_or_else(|| {
                    HostError::Usage(format!(
                        "the grid would list more than {MAX_GRID_RUNS} runs: give fewer ops, fracs, seeds or primes"
                    ))
                })
        };
        if preset == Some(Preset::Transfer) {
            // Sources, baselines, PT-E and PT-T of every target, frozen embeddings: a few dozen
            // runs for each p, frac and seed.
            grid_size(ops.as_ref().map_or(64, |o| 8 * o.len() + 8))?;
            let grid = transfer_grid(&self.out, &template, ops, &fracs, &seeds, &ps)?;
            check_unique(&grid)?;
            return Ok(grid);
        }
        let mut rows: Vec<String> = match (ops, preset) {
            (Some(ops), _) => ops,
            (None, Some(Preset::Table5)) => {
                presets::PAPER_OPS.iter().map(|s| s.to_string()).collect()
            }
            (None, Some(Preset::PSweep)) => {
                presets::P_SWEEP_OPS.iter().map(|s| s.to_string()).collect()
            }
            (None, _) => Vec::new(),
        };
        let mixture_preset = preset == Some(Preset::Mixtures);
        if mixture_preset && self.ops.is_none() && self.mixture.is_empty() {
            rows.extend(presets::MIXTURES.iter().map(|s| s.to_string()));
        }
        rows.extend(self.mixture.iter().cloned());
        if rows.is_empty() {
            return Err(HostError::Usage(
                "no runs: give --ops LIST, --mixture LIST or --preset NAME (see `modgrok sweep --help`)"
                    .into(),
            ));
        }
        grid_size(rows.len())?;
        let mut grid = Vec::new();
        for &p in &ps {
            for op in &rows {
                for &frac in &fracs {
                    for &seed in &seeds {
                        grid.push(plain_run(&template, op, p, frac, seed)?);
                    }
                }
            }
        }
        check_unique(&grid)?;
        Ok(grid)
    }
}

fn plain_run(
    template: &RunConfig,
    op: &str,
    p: u32,
    frac: f64,
    seed: u64,
) -> Result<GridRun, HostError> {
    let cfg = RunConfig {
        op: op.to_string(),
        p,
        frac,
        seed,
        ..template.clone()
    }
    .derived()?;
    Ok(GridRun {
        name: run_name(&cfg),
        cfg,
        source: None,
    })
}

/// The `transfer` preset (paper §4, App. F), for each p: the sources (add, subtract, multiply
/// at frac 0.3, one per seed); scratch baselines of every target not already a source; PT-E and
/// PT-T from each source into its targets (`--ops`, else add, subtract, multiply, plus the
/// polynomials for add) with the source's seed; a frozen random `W_E` on each elementary
/// target (or each of `--ops`).
fn transfer_grid(
    out: &Path,
    template: &RunConfig,
    ops: Option<Vec<String>>,
    fracs: &[f64],
    seeds: &[u64],
    ps: &[u32],
) -> Result<Vec<GridRun>, HostError> {
    use crate::config::Transfer;
    let targets = |src: &str| -> Vec<String> {
        match &ops {
            Some(ops) => ops.clone(),
            None => {
                let mut t: Vec<&str> = presets::TRANSFER_ELEMENTARY.to_vec();
                if src == "add" {
                    t.extend(presets::TRANSFER_POLYNOMIALS);
                }
                t.into_iter().map(String::from).collect()
            }
        }
    };
    let frozen_targets: Vec<String> = ops.clone().unwrap_or_else(|| {
        presets::TRANSFER_ELEMENTARY
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let modes = [("pt-e", "embed"), ("pt-t", "transformer")];
    let mut grid: Vec<GridRun> = Vec::new();
    for &p in ps {
        let mut source_of: HashMap<(&str, u64), usize> = HashMap::new();
        for src in presets::TRANSFER_SOURCES {
            for &seed in seeds {
                source_of.insert((src, seed), grid.len());
                let mut run = plain_run(template, src, p, presets::TRANSFER_SOURCE_FRAC, seed)?;
                run.cfg = RunConfig {
                    steps: presets::transfer_source_steps(src),
                    stop_after_grok: false,
                    ..run.cfg
                }
                .derived()?;
                run.name = format!("{}_source", run.name);
                grid.push(run);
            }
        }
        let mut all_targets: Vec<String> = Vec::new();
        for src in presets::TRANSFER_SOURCES {
            for t in targets(src) {
                if !all_targets.contains(&t) {
                    all_targets.push(t);
                }
            }
        }
        for target in &all_targets {
            for &frac in fracs {
                for &seed in seeds {
                    let run = plain_run(template, target, p, frac, seed)?;
                    if !grid.iter().any(|g| g.name == run.name) {
                        grid.push(run);
                    }
                }
            }
        }
        for src in presets::TRANSFER_SOURCES {
            for target in targets(src) {
                for (mode, group) in modes {
                    for &frac in fracs {
                        for &seed in seeds {
                            let source = source_of[&(src, seed)];
                            let file = out.join(&grid[source].name).join("final.safetensors");
                            let transfer = Transfer {
                                init_from: Some(file.display().to_string()),
                                load: vec![group.into()],
                                freeze: vec![group.into()],
                                source: None,
                            };
                            let mut run = plain_run(template, &target, p, frac, seed)?;
                            run.cfg = RunConfig {
                                transfer: Some(transfer),
                                ..run.cfg
                            }
                            .derived()?;
                            run.name = format!("{}_{mode}_{src}", run.name);
                            run.source = Some(source);
                            grid.push(run);
                        }
                    }
                }
            }
        }
        for target in &frozen_targets {
            for &frac in fracs {
                for &seed in seeds {
                    let mut run = plain_run(template, target, p, frac, seed)?;
                    run.cfg = RunConfig {
                        transfer: Some(Transfer {
                            freeze: vec!["embed".into()],
                            ..Transfer::default()
                        }),
                        ..run.cfg
                    }
                    .derived()?;
                    run.name = format!("{}_frozen-e", run.name);
                    grid.push(run);
                }
            }
        }
    }
    Ok(grid)
}

fn check_unique(grid: &[GridRun]) -> Result<(), HostError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, run) in grid.iter().enumerate() {
        if let Some(j) = seen.insert(&run.name, i) {
            return Err(HostError::Usage(format!(
                "the grid lists {} twice ({:?} and {:?}): list each op, frac, seed and p once",
                run.name, grid[j].cfg.op, run.cfg.op
            )));
        }
    }
    Ok(())
}
