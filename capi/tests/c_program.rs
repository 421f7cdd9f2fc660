//! C program vs the Rust fixed-point path, exact: `tests/predict.c` is compiled with the system
//! C compiler (`$CC`, else `cc`) against `include/modgrok.h`, linked with `libmodgrok_capi.a`,
//! and run on a grokked addition mod 23 model trained here. It must give the Rust
//! `QuantModel::predict` answer on all 23² pairs (the same code, so no tolerance), which for this
//! model is x + y mod 23 on every pair, and the documented error codes.
use std::path::{Path, PathBuf};
use std::process::Command;

use modgrok_core::quant::{self, I16F16, QuantModel};
#[path = "../../core/tests/support/grokked_addition.rs"]
mod grokked_addition;
use grokked_addition::grokked_addition;

const P: u16 = 23;

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
    let (cfg, params) = grokked_addition(P, 50, true);
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
