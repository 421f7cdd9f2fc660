//! `modgrok export-fixed CHECKPOINT`: the model quantised to core's fixed-point file
//! ([`modgrok_core::quant`]), for a `no_std` program (`include_bytes!`) or C (`modgrok.h`), and
//! how often its answers agree with the f32 model's on every input of every task.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::model::{ModelConfig, plain_forward, plain_scratch_len};
use modgrok_core::quant::{self, I16F16, QuantModel};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::HostError;
use crate::fsio;
use crate::run::checkpoint;

const EXPORT_EXAMPLES: &str = "\
Examples:
  modgrok export-fixed runs/add_p97_f0.3_s0                 writes runs/add_p97_f0.3_s0/final.mgq
  modgrok export-fixed runs/add_p97_f0.3_s0/checkpoints/step_0004000.safetensors --out add.mgq
  modgrok export-fixed runs/add_p97_f0.3_s0 --format c --out model.h

The file is core's fixed-point model (weights I4F12, header with p and dims, checksum): load it
with `QuantModel::from_bytes(include_bytes!(\"add.mgq\"))` in Rust or `modgrok_load` in C
(capi/include/modgrok.h). The summary gives its size, the scratch one prediction needs, and
how many inputs of each task get the same answer as the f32 model (argmax over all classes).
Exit status: 0 done, 1 failed while running, 2 bad usage.";

/// What the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The model file itself
    Bin,
    /// A C header defining `modgrok_model_bytes[]` and `modgrok_model_len`
    C,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = EXPORT_EXAMPLES)]
pub struct ExportFixedArgs {
    /// Model file (final.safetensors, checkpoints/step_*.safetensors) or a run directory,
    /// meaning its final.safetensors
    #[arg(value_name = "CHECKPOINT")]
    pub checkpoint: PathBuf,
    /// Output file [default: beside the model file, with extension .mgq, or .h for --format c]
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// bin: the model file; c: the same bytes as a C array
    #[arg(long, value_enum, default_value_t = ExportFormat::Bin)]
    pub format: ExportFormat,
    /// Skip comparing the fixed-point answers with the f32 model's
    #[arg(long)]
    pub no_check: bool,
    /// Print the summary as JSON on stdout, and nothing else there
    #[arg(long)]
    pub json: bool,
}

/// What an export wrote and, unless skipped, how well the fixed-point model agrees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub file_bytes: usize,
    pub weights_bytes: usize,
    pub scratch_bytes: usize,
    /// Per task, in mixture order; empty with `--no-check`.
    pub tasks: Vec<TaskAgreement>,
}

/// Agreement on every input of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskAgreement {
    pub task: String,
    pub inputs: usize,
    /// Inputs whose fixed-point argmax equals the f32 argmax.
    pub agree: usize,
    /// Inputs answered correctly by each model.
    pub correct_fixed: usize,
    pub correct_f32: usize,
}

impl ExportFixedArgs {
    /// Writes the file and compares the two models.
    pub fn run(&self) -> Result<ExportSummary, HostError> {
        let model_path = model_file(&self.checkpoint)?;
        let file = checkpoint::read_model(&model_path)?;
        let cfg = file.config.model;
        let tasks = file.config.tasks()?;
        let bytes = quantise(&cfg, file.config.p, &file.params)?;
        let out = self.out.clone().unwrap_or_else(|| {
            model_path.with_extension(match self.format {
                ExportFormat::Bin => "mgq",
                ExportFormat::C => "h",
            })
        });
        let written = match self.format {
            ExportFormat::Bin => bytes.clone(),
            ExportFormat::C => c_array(&bytes, &model_path).into_bytes(),
        };
        fsio::write_atomic(&out, &written)?;
        let tasks = if self.no_check {
            Vec::new()
        } else {
            agreement(
                &tasks,
                file.config.pairs,
                &file.config.task_names(),
                &cfg,
                &file.params,
                &bytes,
            )?
        };
        Ok(ExportSummary {
            out,
            file_bytes: bytes.len(),
            weights_bytes: quant::weights_bytes(&cfg),
            scratch_bytes: quant::scratch_bytes(&cfg),
            tasks,
        })
    }

    /// The summary as `--json` or text asks.
    pub fn stdout(&self, s: &ExportSummary) -> String {
        if self.json {
            return serde_json::to_string_pretty(s).unwrap_or_default() + "\n";
        }
        let mut text = format!(
            "wrote {}: a model of {} bytes (weights {} as I4F12, header {}); one prediction needs {} bytes of scratch\n",
            s.out.display(),
            s.file_bytes,
            s.weights_bytes,
            quant::HEADER_LEN,
            s.scratch_bytes
        );
        for t in &s.tasks {
            let _ = writeln!(
                text,
                "{}: fixed point agrees with f32 on {}/{} inputs; accuracy fixed {:.4}, f32 {:.4}",
                t.task,
                t.agree,
                t.inputs,
                t.correct_fixed as f64 / t.inputs as f64,
                t.correct_f32 as f64 / t.inputs as f64
            );
        }
        text
    }
}

/// A run directory means its `final.safetensors`; a path that does not exist is bad usage.
fn model_file(path: &Path) -> Result<PathBuf, HostError> {
    let file = if path.is_dir() {
        path.join("final.safetensors")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(HostError::Usage(format!(
            "{} does not exist: pass a model file (final.safetensors, checkpoints/step_*.safetensors) or a run directory",
            file.display()
        )));
    }
    Ok(file)
}

/// The fixed-point model file of `params`.
pub fn quantise(cfg: &ModelConfig, p: u32, params: &[f32]) -> Result<Vec<u8>, HostError> {
    let mut bytes = vec![0u8; quant::file_len(cfg)];
    quant::quantise(cfg, p, params, &mut bytes)?;
    Ok(bytes)
}

/// `bytes` as a C header: an `unsigned char` array and its length.
fn c_array(bytes: &[u8], source: &Path) -> String {
    let mut s = format!(
        "/* Fixed-point modgrok model exported from {} by `modgrok export-fixed`.\n   Load it with modgrok_load(modgrok_model_bytes, modgrok_model_len, &model). */\n\
         #include <stddef.h>\n\n\
         static const unsigned char modgrok_model_bytes[{}] = {{\n",
        source.display(),
        bytes.len()
    );
    for line in bytes.chunks(16) {
        s.push_str("   ");
        for b in line {
            let _ = write!(s, " 0x{b:02x},");
        }
        s.push('\n');
    }
    let _ = write!(
        s,
        "}};\nstatic const size_t modgrok_model_len = {};\n",
        bytes.len()
    );
    s
}

/// For each task (named by `names`), the fixed-point and f32 argmax over all d_vocab classes on every pair the task
/// admits, with the f32 answers from core's plain forward (the reference).
pub fn agreement(
    tasks: &Tasks,
    pairs: Pairs,
    names: &[String],
    cfg: &ModelConfig,
    params: &[f32],
    bytes: &[u8],
) -> Result<Vec<TaskAgreement>, HostError> {
    let model = QuantModel::from_bytes(bytes)?;
    let pairs = all_pairs(tasks, pairs);
    let mut examples = vec![Example::default(); tasks.n_examples(pairs.len())];
    tasks.fill_examples(&pairs, &mut examples)?;
    let answers: Vec<(u16, u16)> = examples
        .par_iter()
        .map_init(
            || {
                (
                    vec![0.0f32; plain_scratch_len(cfg)],
                    vec![0.0f32; cfg.d_vocab],
                    vec![I16F16::ZERO; quant::scratch_len(cfg)],
                )
            },
            |(f32_scratch, logits, scratch), e| {
                plain_forward(cfg, params, e.tokens, f32_scratch, logits)?;
                let want = argmax(logits);
                Ok((want, model.predict(e.tokens, scratch)?))
            },
        )
        .collect::<Result<_, modgrok_core::Error>>()?;
    let mut out: Vec<TaskAgreement> = names
        .iter()
        .map(|name| TaskAgreement {
            task: name.clone(),
            inputs: 0,
            agree: 0,
            correct_fixed: 0,
            correct_f32: 0,
        })
        .collect();
    for (e, (f32_answer, fixed_answer)) in examples.iter().zip(answers) {
        let t = &mut out[e.task as usize];
        t.inputs += 1;
        t.agree += (f32_answer == fixed_answer) as usize;
        t.correct_fixed += (fixed_answer == e.label) as usize;
        t.correct_f32 += (f32_answer == e.label) as usize;
    }
    Ok(out)
}

/// Every pair `(x, y)` of operands the run trained on (`[0, p + 5)²` or `[0, p)²`) that the
/// tasks admit, x outer.
fn all_pairs(tasks: &Tasks, pairs: Pairs) -> Vec<(u16, u16)> {
    let (p, n) = (tasks.p(), pairs.operands(tasks.p()) as u16);
    let filter = tasks.filter();
    (0..n)
        .flat_map(|x| (0..n).map(move |y| (x, y)))
        .filter(|&(x, y)| filter.admits(x as u32, y as u32, p))
        .collect()
}

/// First maximum, as core's accuracy counts it.
fn argmax(logits: &[f32]) -> u16 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u16
}
