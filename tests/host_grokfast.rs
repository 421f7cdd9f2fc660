//! `--grokfast`: recorded in config.json only when set, its state saved in the optimizer file,
//! and `--resume` (on another thread count) continuing to the bytes of a run that never
//! stopped.
use std::path::Path;

use modgrok_host::commands::train::TrainArgs;
use modgrok_host::error::HostError;
use modgrok_host::run::checkpoint::read_optim;
use modgrok_host::train::Outcome;

mod common;
use common::resume;

fn train(out: &Path, extra: &[&str]) -> Result<Outcome, HostError> {
    common::train(out, &[&["--steps", "300", "--no-stop"], extra].concat())
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

const SAME: [&str; 6] = [
    "final.safetensors",
    "metrics.csv",
    "config.json",
    "checkpoints/step_0000100.optim.safetensors",
    "checkpoints/step_0000200.optim.safetensors",
    "checkpoints/step_0000300.optim.safetensors",
];

/// The ma window of 7 does not divide the checkpoint step, so the resumed queue must continue
/// from the right slot.
#[test]
fn resume_after_a_halt_gives_the_bytes_of_a_run_that_never_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    for filter in ["ema", "ma:window=7,lamb=5"] {
        let name = filter.replace([':', ',', '='], "_");
        let straight = tmp.path().join(format!("{name}_straight"));
        let split = tmp.path().join(format!("{name}_split"));
        train(&straight, &["--grokfast", filter]).unwrap();
        let halted = train(&split, &["--grokfast", filter, "--halt-after", "150"]).unwrap();
        assert_eq!(halted, Outcome::Halted { step: 150 });
        match resume(&split).unwrap() {
            Outcome::Finished(r) => assert_eq!(r.resumed_from, Some(100)),
            o => panic!("{o:?}"),
        }
        for f in SAME {
            assert!(
                read(&straight, f) == read(&split, f),
                "{filter}: {f} differs"
            );
        }
    }
}

#[test]
fn the_filter_is_recorded_and_saved_only_when_set_and_changes_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, ema, ma) = (
        tmp.path().join("plain"),
        tmp.path().join("ema"),
        tmp.path().join("ma"),
    );
    train(&plain, &[]).unwrap();
    train(&ema, &["--grokfast", "ema"]).unwrap();
    train(&ma, &["--grokfast", "ma:window=3"]).unwrap();
    let config = |d: &Path| String::from_utf8(read(d, "config.json")).unwrap();
    assert!(!config(&plain).contains("grokfast"));
    let c = config(&ema);
    let at = c.find("\"grokfast\"").expect("recorded");
    assert!(at > c.find("\"eps\"").unwrap() && at < c.find("\"log_every\"").unwrap());
    assert!(
        c.contains("\"filter\": \"ema\"") && c.contains("\"alpha\": 0.98"),
        "{c}"
    );
    assert!(config(&ma).contains("\"window\": 3"));
    let optim =
        |d: &Path| read_optim(&d.join("checkpoints/step_0000100.optim.safetensors")).unwrap();
    let n = optim(&plain).m.len();
    assert!(optim(&plain).filter.is_empty());
    assert_eq!(optim(&ema).filter.len(), n);
    assert_eq!(optim(&ma).filter.len(), 3 * n);
    assert!(optim(&ema).filter.iter().any(|&x| x != 0.0));
    let last = |d: &Path| read(d, "final.safetensors");
    assert!(last(&plain) != last(&ema), "ema changes the run");
    assert!(last(&plain) != last(&ma), "ma changes the run");
    let tensors = |d: &Path| {
        let bytes = read(d, "checkpoints/step_0000100.optim.safetensors");
        String::from_utf8_lossy(&bytes).matches("grokfast.").count()
    };
    assert_eq!(tensors(&plain), 0);
    assert!(
        tensors(&ma) >= 8,
        "one grokfast tensor per parameter tensor"
    );
}

#[test]
fn bad_filters_are_one_line_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (flags, says) in [
        (
            &["--grokfast", "ema:alpha=1.5"][..],
            "alpha must lie in [0, 1)",
        ),
        (&["--grokfast", "ma:window=0"][..], "window must lie in"),
        (
            &["--grokfast", "ma", "--backend", "gpu"][..],
            "use --grokfast ema there",
        ),
    ] {
        let err = train(&tmp.path().join("x"), flags).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        let text = err.to_string();
        assert!(text.contains(says), "{flags:?}: {text}");
        assert_eq!(text.lines().count(), 1, "{text}");
    }
    let err = TrainArgs::from_flags(&["--grokfast", "lowpass", "--out", "x"]).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
}
