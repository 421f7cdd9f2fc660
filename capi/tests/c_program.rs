//! C program vs the Rust fixed-point path, exact: `tests/predict.c` is compiled with the system
//! C compiler (`$CC`, else `cc`) against `include/modgrok.h`, linked with `libmodgrok_capi.a`,
//! and run on a grokked addition mod 23 model trained here. It must give the Rust
//! `QuantModel::predict` answer on all 23² pairs (the same code, so no tolerance), which for this
//! model is x + y mod 23 on every pair, and the documented error codes.
use std::path::{Path, PathBuf};
use std::process::Command;

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Tasks};
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, StepLayout, init_params, train_step,
};
use modgrok_core::quant::{self, I16F16, QuantModel};

const P: u16 = 23;

/// Addition mod 23 at frac 0.8, trained until train and test accuracy are both 1.0 (measured:
/// at step 750 of at most 3000, about 4 s).
fn grokked_add_23() -> (ModelConfig, Vec<f32>) {
    let tasks = Tasks::parse(P as u32, "add").unwrap();
    let mut pairs = vec![(0, 0); tasks.n_pairs()];
    let n_train = tasks.split(0.8, 0, &mut pairs).unwrap();
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train).unwrap();
    let mut test = vec![Example::default(); tasks.n_examples(pairs.len() - n_train)];
    tasks.fill_examples(&pairs[n_train..], &mut test).unwrap();
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model: 32,
        n_heads: 4,
        d_head: 8,
        d_mlp: 64,
    };
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(&cfg, 0, &mut params).unwrap();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let mut ws = vec![0.0f32; StepLayout::new(&cfg).unwrap().workspace_len()];
    let hyper = AdamWConfig {
        lr: 3e-3,
        ..AdamWConfig::default()
    };
    for step in 0..3000 {
        let s = train_step(
            &cfg,
            &hyper,
            &[false; N_TENSORS],
            &mut params,
            &mut opt,
            &train,
            (step % 50 == 0).then_some(&test[..]),
            1,
            &mut ws,
        )
        .unwrap();
        if s.test.is_some_and(|t| t.acc[0] == 1.0) && s.train.acc[0] == 1.0 {
            eprintln!("grokked at step {step}");
            return (cfg, params);
        }
    }
    panic!("addition mod 23 did not grok within 3000 steps");
}

/// `libmodgrok_capi.a`, built by cargo with the rlib this test links: integration tests run from
/// `target/<profile>/deps/`, where cargo leaves `libmodgrok_capi-<hash>.a` and copies the newest
/// to `target/<profile>/libmodgrok_capi.a`.
fn staticlib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let uplifted = deps.parent().unwrap().join("libmodgrok_capi.a");
    let newest_in_deps = std::fs::read_dir(deps)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("libmodgrok_capi-") && name.ends_with(".a")
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    let lib = [Some(uplifted), newest_in_deps]
        .into_iter()
        .flatten()
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    lib.unwrap_or_else(|| panic!("no libmodgrok_capi.a near {}", deps.display()))
}

/// What a Rust static library needs from the system, as `rustc --print native-static-libs`
/// lists it for std.
fn native_libs() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["-lSystem", "-lc", "-lm"]
    } else {
        &["-lpthread", "-ldl", "-lm"]
    }
}

fn compile(dir: &Path) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join("predict");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I"])
        .arg(crate_dir.join("include"))
        .arg(crate_dir.join("tests/predict.c"))
        .arg(staticlib())
        .args(native_libs())
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the C compiler `{cc}` ({e}): install one or set CC")
        });
    assert!(
        out.status.success(),
        "{cc} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn c_program_linking_the_staticlib_answers_like_rust_on_all_23x23_pairs() {
    let (cfg, params) = grokked_add_23();
    let mut bytes = vec![0u8; quant::file_len(&cfg)];
    quant::quantise(&cfg, P as u32, &params, &mut bytes).unwrap();
    let model = QuantModel::from_bytes(&bytes).unwrap();
    let mut scratch = vec![I16F16::ZERO; quant::scratch_len(&cfg)];

    let dir = std::env::temp_dir().join(format!("modgrok-capi-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("add23.mgq");
    std::fs::write(&file, &bytes).unwrap();
    let exe = compile(&dir);
    let out = Command::new(&exe)
        .arg(&file)
        .arg(P.to_string())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "predict.c failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for line in stdout.lines() {
        let v: Vec<u16> = line.split(' ').map(|s| s.parse().unwrap()).collect();
        let [x, y, answer] = v[..] else {
            panic!("bad line {line:?}")
        };
        let rust = model.predict([x, P + 1, y], &mut scratch).unwrap();
        assert_eq!(answer, rust, "{x} + {y}: C says {answer}, Rust {rust}");
        assert_eq!(answer, (x + y) % P, "{x} + {y} mod {P}");
        n += 1;
    }
    assert_eq!(n, P as usize * P as usize);
}
