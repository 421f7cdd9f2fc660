//! Transfer (SPEC §4): PT-E keeps the source's `W_E` bit for bit, PT-T keeps every
//! `blocks.0.*` tensor, a frozen random embedding keeps its init, the trained tensors do move,
//! a resumed transfer run ends with the bytes of a straight one, and a checkpoint of another
//! p or size is refused with a usage error naming the mismatch.
use std::path::Path;

use modgrok_core::model::{Param, init_params};
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::error::HostError;
use modgrok_host::run::checkpoint::{self, ModelFile};
use modgrok_host::train::Outcome;

mod common;

const LOG: [&str; 6] = [
    "--log-every",
    "20",
    "--checkpoint-every",
    "50",
    "--threads",
    "2",
];

fn train(out: &Path, extra: &[&str]) -> Result<Outcome, HostError> {
    let tail = ["--no-stop", "--quiet", "--out", out.to_str().unwrap()];
    let flags = common::flags(&[&common::TINY_DATA, &common::TINY_MODEL, &LOG, extra, &tail]);
    TrainArgs::from_flags(&flags)?.train()
}

fn weights(run: &Path) -> ModelFile {
    checkpoint::read_model(&run.join("final.safetensors")).unwrap()
}

fn tensor(m: &ModelFile, p: Param) -> Vec<f32> {
    let model = m.config.model;
    m.params[model.tensor(p).range()].to_vec()
}

fn init(m: &ModelFile, p: Param) -> Vec<f32> {
    let model = m.config.model;
    let mut params = vec![0.0; model.n_params()];
    init_params(&model, m.config.seed, &mut params).unwrap();
    params[model.tensor(p).range()].to_vec()
}

const BLOCKS: [Param; 6] = [
    Param::WQ,
    Param::WK,
    Param::WV,
    Param::WO,
    Param::WIn,
    Param::WOut,
];

#[test]
fn pt_e_and_pt_t_keep_the_loaded_tensors_bit_identical_and_train_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("add");
    train(&src, &["--op", "add", "--steps", "100"]).unwrap();
    let source = weights(&src);
    let src_file = src.join("final.safetensors");
    let src_arg = src_file.to_str().unwrap();

    let pte = tmp.path().join("pte");
    train(
        &pte,
        &[
            "--op",
            "subtract",
            "--seed",
            "1",
            "--steps",
            "100",
            "--init-from",
            src_arg,
            "--load",
            "embed",
            "--freeze",
            "embed",
        ],
    )
    .unwrap();
    let m = weights(&pte);
    assert!(
        tensor(&m, Param::WE) == tensor(&source, Param::WE),
        "PT-E: W_E is the source's"
    );
    for p in BLOCKS.into_iter().chain([Param::WU]) {
        assert!(tensor(&m, p) != init(&m, p), "PT-E: {} trains", p.name());
    }
    let t = m
        .config
        .transfer
        .as_ref()
        .expect("transfer settings in the config");
    let s = t.source.as_ref().unwrap();
    assert_eq!((s.op.as_str(), s.step, s.seed), ("add", 100, 0));
    assert_eq!(
        (t.load.as_slice(), t.freeze.as_slice()),
        (&["embed".to_string()][..], &["embed".to_string()][..])
    );

    // PT-T from the source's run directory (its final.safetensors); stopped at step 70 and
    // resumed, it ends with the bytes of a run that never stopped.
    let ptt_flags = [
        "--op",
        "x2_y",
        "--seed",
        "2",
        "--steps",
        "120",
        "--init-from",
        src.to_str().unwrap(),
        "--load",
        "transformer",
        "--freeze",
        "transformer",
    ];
    let ptt = tmp.path().join("ptt");
    train(&ptt, &ptt_flags).unwrap();
    let m = weights(&ptt);
    for p in BLOCKS {
        assert!(
            tensor(&m, p) == tensor(&source, p),
            "PT-T: {} is the source's",
            p.name()
        );
    }
    for p in [Param::WE, Param::WU] {
        assert!(tensor(&m, p) != init(&m, p), "PT-T: {} trains", p.name());
    }
    let halted = tmp.path().join("ptt_halted");
    let h = train(&halted, &[&ptt_flags[..], &["--halt-after", "70"]].concat()).unwrap();
    assert_eq!(h, Outcome::Halted { step: 70 });
    let dir = halted.to_str().unwrap();
    TrainArgs::from_flags(&["--resume", dir, "--quiet", "--threads", "1"])
        .unwrap()
        .train()
        .unwrap();
    for f in ["final.safetensors", "metrics.csv", "config.json"] {
        assert!(
            std::fs::read(ptt.join(f)).unwrap() == std::fs::read(halted.join(f)).unwrap(),
            "resumed PT-T run: {f} differs"
        );
    }

    let frozen = tmp.path().join("frozen");
    train(
        &frozen,
        &["--op", "add", "--steps", "60", "--freeze", "embed"],
    )
    .unwrap();
    let m = weights(&frozen);
    assert!(
        tensor(&m, Param::WE) == init(&m, Param::WE),
        "frozen random W_E keeps its init"
    );
    assert!(tensor(&m, Param::WU) != init(&m, Param::WU));

    let wrong_p = tmp.path().join("wrong_p");
    let flags = [
        "--p",
        "7",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "32",
        "--init-from",
        src_arg,
        "--load",
        "embed",
        "--quiet",
        "--out",
        wrong_p.to_str().unwrap(),
    ];
    let e = TrainArgs::from_flags(&flags).unwrap().train().unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("p = 11 there, 7 here") && msg.contains("d_vocab = 16 there, 12 here"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1);
    assert!(!wrong_p.exists(), "a refused run creates no directory");
    let wide = tmp.path().join("wide");
    let flags = [
        "--p",
        "11",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--d-mlp",
        "64",
        "--init-from",
        src_arg,
        "--quiet",
        "--out",
        wide.to_str().unwrap(),
    ];
    let e = TrainArgs::from_flags(&flags).unwrap().train().unwrap_err();
    assert!(e.to_string().contains("d_mlp = 32 there, 64 here"), "{e}");
    let e = train(&tmp.path().join("bad"), &["--freeze", "embeddings"]).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

#[test]
fn either_kind_of_pairs_is_a_source_for_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let (field, reference) = (tmp.path().join("field"), tmp.path().join("reference"));
    train(&field, &["--steps", "50", "--pairs", "field"]).unwrap();
    train(&reference, &["--steps", "50"]).unwrap();
    // Each target trains on the other kind of pairs than its source.
    for (src, target, target_pairs) in [
        (&field, "from_field", "reference"),
        (&reference, "from_reference", "field"),
    ] {
        let out = tmp.path().join(target);
        let src_path = src.to_str().unwrap();
        train(
            &out,
            &[
                "--steps",
                "20",
                "--init-from",
                src_path,
                "--load",
                "embed",
                "--freeze",
                "embed",
                "--pairs",
                target_pairs,
            ],
        )
        .unwrap();
        let (a, b) = (weights(src), weights(&out));
        assert_eq!(tensor(&a, Param::WE), tensor(&b, Param::WE), "{target}");
        assert_eq!(b.config.pairs.as_str(), target_pairs);
        let source = b.config.transfer.as_ref().unwrap().source.as_ref().unwrap();
        assert_eq!(source.pairs, a.config.pairs, "{target}");
        // `pairs` is written once, for the run or for its source, whichever is reference.
        let config = std::fs::read_to_string(out.join("config.json")).unwrap();
        assert_eq!(
            config.matches("\"pairs\": \"reference\"").count(),
            1,
            "{config}"
        );
    }
}
