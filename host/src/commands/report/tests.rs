use std::path::Path;

use serde_json::Value;

use super::runs::transfer_label;
use super::*;

fn row(op: &str, frac: f64, seed: u64, grok: Option<u64>, finished: bool) -> RunRow {
    RunRow {
        run: format!("{op}_p97_f{frac}_s{seed}"),
        op: op.into(),
        label: op.into(),
        p: 97,
        frac,
        seed,
        pairs: "reference".into(),
        finished,
        by_threshold: false,
        final_step: Some(5000),
        steps_to_memorise: Some(300),
        steps_to_grok: grok,
        final_test_acc: Some(if grok.is_some() { 1.0 } else { 0.4 }),
        best_test_acc: Some(if grok.is_some() { 1.0 } else { 0.456 }),
        emb_ffs: None,
        emb_fcr: None,
    }
}

#[test]
fn cells_mark_grokked_seeds_and_summarise_steps() {
    let runs = [
        row("multiply", 0.3, 0, Some(3000), true),
        row("add", 0.3, 0, Some(1000), true),
        row("add", 0.3, 1, Some(2000), true),
        row("add", 0.3, 2, Some(4000), true),
        row("add", 0.5, 0, Some(800), true),
        row("add", 0.5, 1, None, true),
        row("add", 0.5, 2, None, false),
    ];
    let t = Table::new(&runs);
    let rows: Vec<(u64, &str)> = t.rows().collect();
    assert_eq!(rows, [(97, "add"), (97, "multiply")], "ALL_OPS order");
    assert_eq!(t.fracs, [0.3, 0.5]);
    assert_eq!(t.grok_cell(0, 0.3), "✔✔✔");
    assert_eq!(t.grok_cell(0, 0.5), "✔ 0.46 …0.46");
    assert_eq!(t.grok_cell(1, 0.3), "✔ · ·");
    assert_eq!(t.grok_cell(1, 0.5), "·");
    assert_eq!(t.steps_cell(0, 0.3), "2333 (1000–4000)");
    assert_eq!(t.steps_cell(0, 0.5), "800 [1/3]");
    assert_eq!(t.grok_share(0, 0.5), Some(0.5));
    let md = markdown(Path::new("sweep"), &runs, None);
    assert!(md.contains("| op | 0.3 | 0.5 |\n"), "{md}");
    assert!(md.contains("| add | ✔✔✔ | ✔ 0.46 …0.46 |\n"), "{md}");
    assert!(!md.contains("FFS"), "no FFS table without the columns");
    let svg = svg("t", &runs);
    assert!(svg.starts_with("<svg") && svg.contains(">multiply<"));
    assert_eq!(csv(&runs).lines().count(), 8);
}

#[test]
fn paper_cells_take_the_majority_of_seeds_and_count_agreement() {
    let mut runs = vec![
        // add 0.3: all grokked, the paper ✔: agree.
        row("add", 0.3, 0, Some(3000), true),
        row("add", 0.3, 1, Some(3000), true),
        row("add", 0.3, 2, Some(3000), true),
        // division 0.3: one of three grokked, the paper 3.1%: agree (not grokked).
        row("division", 0.3, 0, Some(9000), true),
        row("division", 0.3, 1, None, true),
        row("division", 0.3, 2, None, true),
        // division 0.4: two of three grokked, the paper 9.0%: disagree.
        row("division", 0.4, 0, Some(9000), true),
        row("division", 0.4, 1, Some(9000), true),
        row("division", 0.4, 2, None, true),
        // subtract 0.5: one run still going: pending.
        row("subtract", 0.5, 0, Some(2000), true),
        row("subtract", 0.5, 1, None, false),
        // Not in the encoded table.
        row("x2_y", 0.3, 0, Some(2000), true),
    ];
    let mut pte = row("add", 0.4, 0, None, true);
    pte.label = "add ← add PT-E".into();
    runs.push(pte);
    let mut field = row("add", 0.3, 3, None, true);
    field.pairs = "field".into();
    runs.push(field);
    let cells = paper_cells(&runs);
    let got: Vec<(&str, f64, Option<bool>)> =
        cells.iter().map(|c| (c.op, c.frac, c.agrees())).collect();
    assert_eq!(
        got,
        [
            ("add", 0.3, Some(true)),
            ("subtract", 0.5, None),
            ("division", 0.3, Some(true)),
            ("division", 0.4, Some(false)),
        ]
    );
    assert_eq!(
        cells[0].runs.len(),
        3,
        "the field run of the cell is left out"
    );
    let md = paper_markdown(&cells);
    assert!(
        md.contains("| division | 0.3 | 3.1% | ✔ 45.6% 45.6% | yes |"),
        "{md}"
    );
    assert!(
        md.contains("| division | 0.4 | 9.0% | ✔ ✔ 45.6% | **no** |"),
        "{md}"
    );
    assert!(
        md.contains("| subtract | 0.5 | ✔ | ✔ …45.6% | pending |"),
        "{md}"
    );
    assert!(
        md.contains("2 of 3 finished cells agree with the paper; 1 pending."),
        "{md}"
    );
}

#[test]
fn a_directory_mixing_both_pairs_says_which_each_row_used() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pairs: Option<&str>| {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        let mut cfg = serde_json::json!({"op": "add", "p": 97, "frac": 0.3, "seed": 0});
        if let Some(p) = pairs {
            cfg["pairs"] = p.into();
        }
        std::fs::write(d.join("config.json"), cfg.to_string()).unwrap();
    };
    write("a", Some("reference"));
    let runs = read_runs(dir.path(), None).unwrap().runs;
    assert_eq!(runs[0].label, "add");
    assert!(markdown(dir.path(), &runs, None).contains("pairs reference."));
    write("b", None);
    let runs = read_runs(dir.path(), None).unwrap().runs;
    // A damaged config: listed, with its reason, and the report fails after writing.
    let bad = dir.path().join("c");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("config.json"), "{ not json").unwrap();
    let read = read_runs(dir.path(), None).unwrap();
    assert_eq!(read.runs.len(), 2);
    assert_eq!(read.unreadable.len(), 1);
    assert!(read.unreadable[0].1.contains("not readable JSON"));
    let args = ReportArgs {
        dir: dir.path().to_path_buf(),
        quiet: true,
        paper: false,
        grok_at: None,
    };
    let err = super::run(&args).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(
        err.to_string()
            .contains("first c: config.json is not readable"),
        "{err}"
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("## Runs that could not be read\n") && md.contains("- `c`: "));
    std::fs::remove_dir_all(&bad).unwrap();
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["add (reference pairs)", "add (field pairs)"]);
    let t = Table::new(&runs);
    assert_eq!(t.rows().count(), 2);
}

#[test]
fn grok_at_judges_runs_by_the_first_logged_step_that_reached_it() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("subtract_p97_f0.4_s0");
    std::fs::create_dir(&sub).unwrap();
    let cfg = serde_json::json!({"op": "subtract", "p": 97, "frac": 0.4, "seed": 0});
    std::fs::write(sub.join("config.json"), cfg.to_string()).unwrap();
    std::fs::write(
        sub.join("metrics.csv"),
        "step,train_loss,test_loss,train_acc,test_acc\n0,4,4,0.01,0.01\n\
         100,1,2,1,0.5\n200,0,0.1,1,0.991\n300,0,0.1,1,0.995\n",
    )
    .unwrap();
    // Unfinished, never held 0.999: running under the run's own criterion.
    let own = read_runs(dir.path(), None).unwrap().runs;
    assert!(!own[0].grokked() && own[0].steps_to_grok.is_none());
    assert_eq!(Table::new(&own).grok_cell(0, 0.4), "…0.99");
    let at = read_runs(dir.path(), Some(0.99)).unwrap().runs;
    assert!(at[0].grokked());
    assert_eq!(at[0].steps_to_grok, Some(200));
    assert_eq!(at[0].best_test_acc, Some(0.995));
    let cells = paper_cells(&at);
    assert_eq!(
        cells[0].agrees(),
        Some(true),
        "the paper marks subtract 0.4 grokked"
    );
    assert_eq!(
        read_runs(dir.path(), Some(0.999)).unwrap().runs[0].steps_to_grok,
        None
    );
    let args = ReportArgs {
        dir: dir.path().to_path_buf(),
        quiet: true,
        paper: true,
        grok_at: Some(1.5),
    };
    assert!(
        run(&args)
            .unwrap_err()
            .to_string()
            .contains("--grok-at 1.5")
    );
}

#[test]
fn transfer_runs_get_their_own_rows_after_the_op() {
    let t = serde_json::json!({"load": ["embed"], "freeze": ["embed"], "source": {"op": "add"}});
    assert_eq!(transfer_label("x2_y2", &t).unwrap(), "x2_y2 ← add PT-E");
    let t = serde_json::json!({"load": [], "freeze": ["embed"]});
    assert_eq!(transfer_label("add", &t).unwrap(), "add frozen random W_E");
    assert_eq!(transfer_label("add", &Value::Null), None);
    let mut pte = row("add", 0.3, 0, None, true);
    pte.label = "add ← add PT-E".into();
    let runs = [
        pte,
        row("subtract", 0.3, 0, None, true),
        row("add", 0.3, 0, None, true),
    ];
    let t = Table::new(&runs);
    let labels: Vec<&str> = t.rows().map(|r| r.1).collect();
    assert_eq!(labels, ["add", "add ← add PT-E", "subtract"]);
}
