//! The experiment commands end to end on the built binary: `modgrok ops`, `modgrok sweep`
//! (grid, shards, skip and resume) and `modgrok report`.
mod common;

use std::process::Output;

use common::{TINY_MODEL, TINY_SCHEDULE, modgrok, stderr};
use modgrok_host::presets::PAPER_OPS;

/// Every operation name SPEC §1 requires: the paper grid's ops, then the four rows that repeat
/// an earlier row's task and so are left out of the grid.
fn spec_names() -> Vec<&'static str> {
    let repeats = ["_x_y__1", "_x_y__2", "_x_m_y__1", "_x_m_y__2"];
    PAPER_OPS.iter().copied().chain(repeats).collect()
}

#[test]
fn ops_lists_every_spec_name_with_token_and_category() {
    let o = modgrok(&["ops"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let first_words: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let spec_names = spec_names();
    assert_eq!(spec_names.len(), 40);
    for &name in &spec_names {
        assert!(first_words.contains(&name), "`modgrok ops` lacks {name}");
    }
    let div = text.lines().find(|l| l.starts_with("division ")).unwrap();
    assert!(
        div.contains("/ (p+4)") && div.contains("elementary"),
        "{div}"
    );

    let o = modgrok(&["ops", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), spec_names.len());
    for &name in &spec_names {
        assert!(names.contains(&name), "--json lacks {name}");
    }
    let x2_y = rows.iter().find(|r| r["name"] == "x2_y").unwrap();
    assert_eq!(
        (&x2_y["token"], &x2_y["category"], &x2_y["expr"]),
        (
            &serde_json::json!("="),
            &serde_json::json!("univariate"),
            &serde_json::json!("x^2 + y")
        )
    );
    let in_grid = rows.iter().filter(|r| r["in_paper_grid"] == true).count();
    assert_eq!(in_grid, 36);
}

/// add and subtract mod 7 at two fractions, one seed, the tiny model: 4 runs of 60 steps.
fn grid() -> Vec<&'static str> {
    let mut args = vec![
        "sweep",
        "--ops",
        "add,subtract",
        "--fracs",
        "0.5,0.6",
        "--seeds",
        "0",
        "--p",
        "7",
    ];
    args.extend(TINY_MODEL);
    args.extend(TINY_SCHEDULE);
    args.push("--quiet");
    args
}
const RUNS: [&str; 4] = [
    "add_p7_f0.5_s0",
    "add_p7_f0.6_s0",
    "subtract_p7_f0.5_s0",
    "subtract_p7_f0.6_s0",
];

fn sweep(out: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = grid();
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    modgrok(&args)
}

fn run_dirs(out: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("config.json").is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn assert_same_runs(a: &std::path::Path, b: &std::path::Path) {
    assert_eq!(run_dirs(a), run_dirs(b));
    for run in run_dirs(a) {
        for f in ["final.safetensors", "metrics.csv", "config.json"] {
            assert!(
                std::fs::read(a.join(&run).join(f)).unwrap()
                    == std::fs::read(b.join(&run).join(f)).unwrap(),
                "{run}/{f} differs"
            );
        }
    }
}

fn statuses(o: &Output) -> Vec<String> {
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    summary["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sweep_shards_union_to_the_grid_and_a_rerun_skips_or_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, sharded, killed) = (
        tmp.path().join("whole"),
        tmp.path().join("sharded"),
        tmp.path().join("killed"),
    );
    let o = sweep(&whole, &["--jobs", "2", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(run_dirs(&whole), RUNS);

    let o = sweep(&sharded, &["--shard", "0/2", "--threads", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = run_dirs(&sharded);
    assert_eq!(first, [RUNS[0], RUNS[2]], "shard 0/2 takes runs 0 and 2");
    let o = sweep(&sharded, &["--shard", "1/2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(statuses(&o), ["trained", "trained"]);
    assert_same_runs(&whole, &sharded);

    let o = sweep(&whole, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        statuses(&o),
        ["skipped"; 4],
        "a finished run is not trained again"
    );

    // Killed after step 30: each run has its step-20 checkpoint and no report.
    let o = sweep(&killed, &["--halt-after", "30", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(statuses(&o), ["halted"; 4]);
    assert!(!killed.join(RUNS[0]).join("report.json").exists());
    let o = sweep(&killed, &["--json", "--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(statuses(&o), ["resumed"; 4]);
    assert_same_runs(&whole, &killed);

    let list = modgrok(
        &[
            grid().as_slice(),
            &["--list", "--shard", "1/2", "--out", "x"],
        ]
        .concat(),
    );
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        format!("{}\n{}\n", RUNS[1], RUNS[3])
    );

    let o = modgrok(&["report", whole.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        md,
        std::fs::read_to_string(whole.join("report.md")).unwrap()
    );
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| op |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(table[0], "| op | 0.5 | 0.6 |", "{md}");
    let ops: Vec<&str> = table[2..]
        .iter()
        .map(|l| l.split('|').nth(1).unwrap().trim())
        .collect();
    assert_eq!(ops, ["add", "subtract"], "{md}");
    for line in &table[2..] {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 5, "{line}");
        for cell in &cells[2..4] {
            let ok = *cell == "✔" || cell.parse::<f64>().is_ok_and(|a| (0.0..=1.0).contains(&a));
            assert!(ok, "one seed: ✔ or its best test accuracy, got {cell:?}");
        }
    }
    let csv = std::fs::read_to_string(whole.join("report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + RUNS.len());
    assert!(csv.lines().next().unwrap().contains("emb_ffs"));
    let svg = std::fs::read_to_string(whole.join("report.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(">subtract<"));

    // A mixture run joins the table as its own row, scored by mean test accuracy over tasks.
    let mut mix = vec![
        "sweep",
        "--mixture",
        "add,subtract",
        "--fracs",
        "0.5",
        "--p",
        "7",
    ];
    mix.extend(TINY_MODEL);
    mix.extend(["--steps", "20", "--quiet", "--out"]);
    let o = modgrok(&[&mix[..], &[whole.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = modgrok(&["report", whole.to_str().unwrap()]);
    let md = String::from_utf8(o.stdout).unwrap();
    let line = md
        .lines()
        .find(|l| l.starts_with("| add,subtract |"))
        .expect(&md);
    assert!(line.ends_with("| · |"), "no 0.6 run of the mixture: {line}");

    let o = sweep(&whole, &["--no-stop"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "other settings in --out: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("stop_after_grok true there, false here"),
        "{}",
        stderr(&o)
    );
}
