//! The built `modgrok` binary: `analyze` on a tiny trained run (analysis.json, figures, the
//! summary, one-line errors and exit codes) and `label-stats` against Python's reference split.
mod common;

use std::path::Path;

use common::{assert_one_line_error, modgrok, stderr};
use serde_json::Value;

/// add mod 11 on half the pairs of Z_p (`--pairs field`), d_model 16, 300 steps: enough to
/// memorise, ~0.3 s.
fn train(out: &Path, seed: &str) {
    train_op(out, seed, "add");
}

/// [`train`] with another operation.
fn train_op(out: &Path, seed: &str, op: &str) {
    common::field_run(out, op, seed, &["--checkpoint-every", "100"]);
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{v} is not a finite number"))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// The one error line: exactly one non-empty line on stderr, starting with `error:`.
#[test]
fn analyze_json_has_expected_keys_and_consistent_values() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "0");
    let out = tmp.path().join("an");
    let o = modgrok(&[
        "analyze",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON value");
    let file = std::fs::read(out.join("analysis.json")).unwrap();
    assert_eq!(o.stdout, file, "--json prints analysis.json");
    let (p, kk) = (11usize, 5usize);
    assert_eq!(printed["p"], 11);
    assert_eq!(printed["step"], 300);
    assert_eq!(printed["ffs_eps"], 0.1);
    assert_eq!(printed["key_threshold"], 0.05);
    for name in ["embedding", "neuron_logit_map"] {
        let s = &printed[name];
        assert_eq!(s["alpha"].as_array().unwrap().len(), kk + 1, "{name}");
        assert_eq!(s["beta"].as_array().unwrap().len(), kk + 1, "{name}");
        for m in ["ffs", "fcr"] {
            assert!((0.0..=1.0).contains(&f(&s[m])), "{name}.{m} = {}", s[m]);
        }
        for k in s["key_frequencies"].as_array().unwrap() {
            assert!(
                (1..=kk as u64).contains(&k.as_u64().unwrap()),
                "{name}: k = {k}"
            );
        }
    }
    let tasks = printed["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(t["task"], "add");
    assert_eq!(t["op_token"], 12);
    assert_eq!(
        (t["n_train"].as_u64(), t["n_all"].as_u64()),
        (Some(60), Some(121))
    );
    for k in t["key_frequencies"].as_array().unwrap() {
        assert!(
            (1..=kk as u64).contains(&k.as_u64().unwrap()),
            "logit k = {k}"
        );
    }
    for side in ["train", "all"] {
        let loss = f(&t["loss"][side]);
        assert!(loss.is_finite() && loss > 0.0);
        assert!(f(&t["restricted_loss"][side]).is_finite());
        let excluded = t["excluded_loss"][side].as_array().unwrap();
        assert_eq!(excluded.len(), kk + 1);
        excluded.iter().for_each(|v| assert!(f(v).is_finite()));
        assert!(
            rel(f(&excluded[0]), loss) < 1e-9,
            "nothing removed = the loss"
        );
        let table = &t["table4"][side];
        for key in [
            "key",
            "non_key",
            "residual",
            "key_non_key",
            "key_residual",
            "non_key_residual",
            "all",
        ] {
            assert!(f(&table[key]).is_finite(), "table4.{side}.{key}");
        }
        assert!(
            rel(f(&table["all"]), loss) < 1e-9,
            "Table 4 all {} vs loss {loss}",
            table["all"]
        );
        assert_eq!(table["key"], t["restricted_loss"][side]);
        let acc = f(&t["accuracy"][side]);
        assert!((0.0..=1.0).contains(&acc));
    }
    // 300 steps on 60 pairs: nearly memorised, not generalised.
    let acc = |side: &str| f(&t["accuracy"][side]);
    assert!(
        acc("train") > 0.9 && acc("train") > acc("all"),
        "{}",
        t["accuracy"]
    );
    let map = t["logit_spectrum_2d"].as_array().unwrap();
    assert_eq!(map.len(), p);
    assert!(map.iter().all(|r| r.as_array().unwrap().len() == p));

    // The live column of the last row is the same computation on the same parameters.
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    for (col, json) in [
        ("emb_ffs", &printed["embedding"]["ffs"]),
        ("emb_fcr", &printed["embedding"]["fcr"]),
        ("nlm_ffs", &printed["neuron_logit_map"]["ffs"]),
        ("nlm_fcr", &printed["neuron_logit_map"]["fcr"]),
    ] {
        let i = header.iter().position(|h| *h == col).unwrap();
        assert_eq!(last[i].parse::<f64>().unwrap(), f(json), "{col}");
    }
    for svg in [
        "embedding_spectrum.svg",
        "neuron_logit_spectrum.svg",
        "logit_spectrum_2d.svg",
        "ffs_fcr.svg",
    ] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.contains("<svg"), "{svg} is not an SVG");
    }
}

#[test]
fn train_writes_the_final_analysis_and_analyze_a_checkpoint_goes_to_its_own_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    train(&run, "1");
    let from_train: Value =
        serde_json::from_slice(&std::fs::read(run.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(from_train["step"], 300);
    let report: Value =
        serde_json::from_slice(&std::fs::read(run.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["key_frequencies"], from_train["embedding"]["key_frequencies"],
        "report.json carries the final embedding's key frequencies"
    );
    assert_eq!(
        report["final_fourier"]["emb_ffs"],
        from_train["embedding"]["ffs"]
    );

    let ckpt = run.join("checkpoints/step_0000200.safetensors");
    let o = modgrok(&["analyze", ckpt.to_str().unwrap(), "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "FFS",
        "(ε = 0.1)",
        "FCR",
        "key frequencies",
        "restricted loss",
        "Table 4",
    ] {
        assert!(text.contains(needle), "summary lacks {needle:?}:\n{text}");
    }
    let dir = run.join("analysis_step_0000200");
    let at_200: Value =
        serde_json::from_slice(&std::fs::read(dir.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(at_200["step"], 200);
    assert_ne!(at_200["tasks"][0]["loss"], from_train["tasks"][0]["loss"]);
}

/// `--basis`: the default for multiply is both; the multiplicative basis adds one key after the
/// others, whose bytes stay those of the additive analysis, and its figures and summary lines.
#[test]
fn analyze_basis_adds_the_multiplicative_spectra_and_leaves_the_rest_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("mul");
    train_op(&run, "0", "multiply");
    let analyze = |out: &str, basis: &[&str], json: bool| {
        let out = tmp.path().join(out);
        let mut args = vec![
            "analyze",
            run.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(&["--threads", "2"]);
        args.extend_from_slice(basis);
        if json {
            args.push("--json");
        }
        let o = modgrok(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        (out, String::from_utf8(o.stdout).unwrap())
    };
    let (both, _) = analyze("both", &[], true);
    let (additive, _) = analyze("additive", &["--basis", "additive"], true);
    let (mult, summary) = analyze("mult", &["--basis", "multiplicative"], false);

    let with = std::fs::read_to_string(both.join("analysis.json")).unwrap();
    let without = std::fs::read_to_string(additive.join("analysis.json")).unwrap();
    let head = without.strip_suffix("\n}\n").unwrap();
    assert!(with.starts_with(&format!("{head},\n  \"multiplicative\": {{")));
    assert!(!without.contains("multiplicative"));
    assert_eq!(
        std::fs::read_to_string(mult.join("analysis.json")).unwrap(),
        with
    );

    let v: Value = serde_json::from_str(&with).unwrap();
    let m = &v["multiplicative"];
    assert_eq!(m["generator"], 2, "the smallest primitive root of 11");
    for name in ["embedding", "neuron_logit_map"] {
        let s = &m[name];
        assert_eq!(s["alpha"].as_array().unwrap().len(), 6, "{name}");
        assert_eq!(
            s["beta"][5], 0.0,
            "{name}: the Nyquist frequency has no sine"
        );
        for k in ["ffs", "fcr"] {
            assert!((0.0..=1.0).contains(&f(&s[k])), "{name}.{k} = {}", s[k]);
        }
    }
    // The live column of the last row is the same computation on the same parameters.
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let last = csv.lines().last().unwrap();
    assert!(csv.starts_with("step,") && csv.lines().next().unwrap().ends_with(",emb_ffs_mult"));
    let live: f64 = last.rsplit(',').next().unwrap().parse().unwrap();
    assert_eq!(live, f(&m["embedding"]["ffs"]));
    // The run's own final analysis used both bases too.
    let from_train = std::fs::read_to_string(run.join("analysis.json")).unwrap();
    assert!(from_train.contains("\"multiplicative\""));

    for (dir, present, absent) in [
        (
            &both,
            &[
                "embedding_spectrum.svg",
                "embedding_spectrum_multiplicative.svg",
                "neuron_logit_spectrum_multiplicative.svg",
            ][..],
            &[][..],
        ),
        (
            &additive,
            &["embedding_spectrum.svg"][..],
            &["embedding_spectrum_multiplicative.svg"][..],
        ),
        (
            &mult,
            &[
                "embedding_spectrum_multiplicative.svg",
                "logit_spectrum_2d.svg",
            ][..],
            &["embedding_spectrum.svg", "neuron_logit_spectrum.svg"][..],
        ),
    ] {
        for svg in present {
            let text = std::fs::read_to_string(dir.join(svg)).unwrap();
            assert!(text.contains("<svg"), "{svg} is not an SVG");
        }
        for svg in absent {
            assert!(!dir.join(svg).exists(), "{svg} in {}", dir.display());
        }
    }
    assert!(
        summary.contains("multiplicative basis: tokens 1..10 as 2^i, i = 0..9 (token 0 left out)"),
        "{summary}"
    );
    let after = summary.split("multiplicative basis").nth(1).unwrap();
    let lines: Vec<&str> = after.lines().skip(1).take(2).collect();
    assert!(
        lines[0].starts_with("embedding ") && lines[1].starts_with("neuron-logit map "),
        "{summary}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains(" FFS ") && l.contains(" FCR "))
    );
    assert!(
        !summary
            .split("multiplicative basis")
            .next()
            .unwrap()
            .contains("FFS"),
        "{summary}"
    );

    let o = modgrok(&["analyze", run.to_str().unwrap(), "--basis", "logs"]);
    assert_one_line_error(&o, 2, "--basis");
}

#[test]
fn analyze_a_missing_run_dir_is_one_line_and_exit_2() {
    let o = modgrok(&["analyze", "/nonexistent/modgrok/run"]);
    assert_one_line_error(&o, 2, "does not exist");
    let tmp = tempfile::tempdir().unwrap();
    let o = modgrok(&["analyze", tmp.path().to_str().unwrap()]);
    assert_one_line_error(&o, 2, "not a run directory");
}

#[test]
fn analyze_refuses_foreign_garbage_and_optimizer_files_with_one_line_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    train(&a, "0");
    train(&b, "2");
    // A's model placed among B's checkpoints carries A's config: another run.
    let foreign = b.join("checkpoints/step_0000900.safetensors");
    std::fs::copy(a.join("final.safetensors"), &foreign).unwrap();
    let o = modgrok(&["analyze", foreign.to_str().unwrap()]);
    assert_one_line_error(&o, 1, "another run");

    let garbage = tmp.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"not a safetensors file").unwrap();
    let o = modgrok(&["analyze", garbage.to_str().unwrap()]);
    assert_one_line_error(&o, 1, "garbage.safetensors");

    let optim = a.join("checkpoints/step_0000200.optim.safetensors");
    let o = modgrok(&["analyze", optim.to_str().unwrap()]);
    assert_one_line_error(&o, 1, "optimizer file");

    let o = modgrok(&["analyze", a.to_str().unwrap(), "--ffs-eps", "1.5"]);
    assert_one_line_error(&o, 2, "--ffs-eps");
}

#[test]
fn label_stats_of_add_mod_7_match_python_reference_split() {
    // python3: pairs over range(n), n = p + 5 (reference) or p (field); random.seed(s);
    // random.shuffle(pairs); the first int(0.5 · n²) are train; KL and entropies of the
    // (x + y) mod 7 label counts, in nats.
    type Row = (u64, f64, f64, f64);
    let reference: [Row; 3] = [
        (
            0,
            0.11382412065324377,
            1.9146458637337913,
            1.9229390858583486,
        ),
        (
            1,
            0.17397315170748553,
            1.8831644918625774,
            1.908419446639065,
        ),
        (
            2,
            0.06456388273053859,
            1.9266706780051321,
            1.9313489527383285,
        ),
    ];
    let field: [Row; 3] = [
        (
            0,
            0.36002024588589143,
            1.8778382404072835,
            1.8678195150558492,
        ),
        (
            1,
            0.3315293590212588,
            1.8502677786635977,
            1.8705883738175273,
        ),
        (
            2,
            0.46256983435133664,
            1.8531520065403457,
            1.8441207305435896,
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let csv_path = tmp.path().join("labels.csv");
    for (flags, expected, sizes) in [
        (&[][..], reference, ["72", "72"]),
        (&["--pairs", "reference"][..], reference, ["72", "72"]),
        (&["--pairs", "field"][..], field, ["24", "25"]),
    ] {
        let mut args = vec![
            "label-stats",
            "--op",
            "add",
            "--p",
            "7",
            "--frac",
            "0.5",
            "--seeds",
            "3",
            "--csv",
            csv_path.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        let o = modgrok(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let table = String::from_utf8(o.stdout).unwrap();
        assert!(
            table.contains("KL(train‖test)") && table.contains("mean"),
            "{table}"
        );
        let csv = std::fs::read_to_string(&csv_path).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("seed,task,n_train,n_test,kl_train_test,entropy_train,entropy_test")
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 3);
        for (row, &(seed, kl, h_train, h_test)) in rows.iter().zip(&expected) {
            assert_eq!(
                row[..4],
                [seed.to_string().as_str(), "add", sizes[0], sizes[1]],
                "{flags:?}"
            );
            let v: Vec<f64> = row[4..].iter().map(|c| c.parse().unwrap()).collect();
            for (got, want) in v.iter().zip([kl, h_train, h_test]) {
                assert!(
                    rel(*got, want) < 1e-12,
                    "{flags:?} seed {seed}: {got} vs {want}"
                );
            }
        }
    }
    let o = modgrok(&["label-stats", "--p", "8"]);
    assert_one_line_error(&o, 2, "p = 8");
}
