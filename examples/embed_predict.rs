//! Embedding modgrok-core in a plain Rust program: quantise a trained checkpoint into the
//! fixed-point model file (in memory here; `modgrok export-fixed` writes the same bytes), load
//! it without allocating, answer a few queries, then print the accuracy on every input, the
//! agreement with the f32 model and the predictions per second of one thread.
//!
//! ```sh
//! cargo run --release --example embed_predict -- runs/add_p97_f0.3_s0 [X Y]...
//! ```
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use modgrok::core::data::Example;
use modgrok::core::model::{plain_forward, plain_scratch_len};
use modgrok::core::quant::{self, I16F16, QuantModel};
use modgrok_host::run::checkpoint::read_model;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or(
        "usage: embed_predict CHECKPOINT_OR_RUN_DIR [X Y]... (train one with `modgrok train`)",
    )?);
    let queries: Vec<u16> = args
        .map(|a| a.parse().map_err(|_| format!("{a:?} is not a number")))
        .collect::<Result<_, _>>()?;
    let file = read_model(&model_file(&path))?;
    let (run, params) = (&file.config, &file.params);
    let cfg = run.model;
    let tasks = run.tasks()?;
    let p = tasks.p() as u16;

    // What an embedded target keeps: these bytes (in flash) and one scratch buffer.
    let mut bytes = vec![0u8; quant::file_len(&cfg)];
    quant::quantise(&cfg, p as u32, params, &mut bytes)?;
    let model = QuantModel::from_bytes(&bytes)?;
    let mut scratch = vec![I16F16::ZERO; quant::scratch_len(&cfg)];
    println!(
        "{}: {} op, p = {p}, d_model {}, {} heads × {}, d_mlp {}",
        path.display(),
        run.op,
        cfg.d_model,
        cfg.n_heads,
        cfg.d_head,
        cfg.d_mlp
    );
    println!(
        "fixed-point model: {} bytes of weights (I4F12) + {} header, {} bytes of scratch (I16F16)",
        quant::weights_bytes(&cfg),
        quant::HEADER_LEN,
        quant::scratch_bytes(&cfg)
    );

    let op = tasks.tasks()[0].token;
    let queries = if queries.is_empty() {
        vec![3, 5, 40, 60, p - 1, p - 1]
    } else {
        queries
    };
    for xy in queries.chunks_exact(2) {
        let (x, y) = (xy[0] % p, xy[1] % p);
        let answer = model.predict([x, op, y], &mut scratch)?;
        println!("[{x}, {}, {y}] -> {answer}", run.tasks[0].op);
    }

    let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(run.pairs)];
    tasks.split(run.pairs, 0.5, 0, &mut pairs)?;
    pairs.sort_unstable();
    let mut examples = vec![Example::default(); tasks.n_examples(pairs.len())];
    tasks.fill_examples(&pairs, &mut examples)?;

    let t = Instant::now();
    let answers: Vec<u16> = examples
        .iter()
        .map(|e| model.predict(e.tokens, &mut scratch))
        .collect::<Result<_, _>>()?;
    let per_s = examples.len() as f64 / t.elapsed().as_secs_f64();

    let mut f32_scratch = vec![0.0f32; plain_scratch_len(&cfg)];
    let mut logits = vec![0.0f32; cfg.d_vocab];
    let (mut agree, mut correct, mut correct_f32) = (0, 0, 0);
    for (e, &answer) in examples.iter().zip(&answers) {
        plain_forward(&cfg, params, e.tokens, &mut f32_scratch, &mut logits)?;
        let want = first_max(&logits);
        agree += (answer == want) as usize;
        correct += (answer == e.label) as usize;
        correct_f32 += (want == e.label) as usize;
    }
    let n = examples.len();
    println!(
        "all {n} inputs: accuracy {:.4} (f32 {:.4}); fixed point agrees with f32 on {agree}/{n}",
        correct as f64 / n as f64,
        correct_f32 as f64 / n as f64
    );
    println!("{per_s:.0} predictions/s on one thread");
    Ok(())
}

/// A run directory means its `final.safetensors`.
fn model_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("final.safetensors")
    } else {
        path.to_path_buf()
    }
}

fn first_max(logits: &[f32]) -> u16 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u16
}
