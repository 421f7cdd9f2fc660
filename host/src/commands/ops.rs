//! `modgrok ops`: every named operation of core's `ALL_OPS` with its formula, the expression it
//! evaluates, its op token, the pairs it admits, the paper's family, and whether the `table5`
//! grid (`--ops paper`) runs it.
use clap::Args;
use modgrok_core::data::{ALL_OPS, Filter, NamedOp};
use serde::Serialize;

use crate::presets;

const OPS_EXAMPLES: &str = "\
Examples:
  modgrok ops                     the table
  modgrok ops --json | jq -r '.[] | select(.category == \"factorizable\") | .name'

Any name listed can be passed to `modgrok train --op` and `modgrok sweep --ops`; so can any
polynomial in x and y (\"x^3 + 2*x*y^2 - y\") and x/y.";

#[derive(Debug, Clone, Args)]
#[command(after_help = OPS_EXAMPLES)]
pub struct OpsArgs {
    /// Print a JSON array (name, formula, expr, token, token_offset, category, pairs,
    /// in_paper_grid) instead of the table
    #[arg(long)]
    pub json: bool,
}

/// One named operation as `modgrok ops` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpInfo {
    /// The reference's name.
    pub name: &'static str,
    /// The formula as the paper writes it.
    pub formula: &'static str,
    /// The expanded expression modgrok evaluates (`x/y` for division).
    pub expr: &'static str,
    /// The op token's symbol: `=`, `+`, `-`, `*` or `/`.
    pub token: String,
    /// Token id minus p (SPEC §1: `=` p, `+` p+1, `-` p+2, `*` p+3, `/` p+4).
    pub token_offset: u32,
    /// The paper's family.
    pub category: &'static str,
    /// `all`, `x, y != 0` (neither operand the token 0) or `y != 0 mod p`.
    pub pairs: &'static str,
    /// Run by `modgrok sweep --ops paper` / `--preset table5`.
    pub in_paper_grid: bool,
}

fn pairs(filter: Filter) -> &'static str {
    match (filter.no_zero_token, filter.y_invertible) {
        (false, false) => "all",
        (true, false) => "x, y != 0",
        (false, true) => "y != 0 mod p",
        (true, true) => "x, y != 0 and y != 0 mod p",
    }
}

fn info(row: &NamedOp) -> OpInfo {
    OpInfo {
        name: row.name,
        formula: row.formula,
        expr: row.expr,
        token: row.symbol.as_char().to_string(),
        token_offset: row.symbol.offset(),
        category: row.category.as_str(),
        pairs: pairs(row.filter),
        in_paper_grid: presets::in_paper_grid(row.name),
    }
}

/// Every row of `ALL_OPS`, in its order.
pub fn all() -> Vec<OpInfo> {
    ALL_OPS.iter().map(info).collect()
}

/// The table: one aligned row per operation.
pub fn text() -> String {
    let rows = all();
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let token = match r.token_offset {
                0 => format!("{} (p)", r.token),
                k => format!("{} (p+{k})", r.token),
            };
            [
                r.name.to_string(),
                r.formula.to_string(),
                token,
                r.category.to_string(),
                r.pairs.to_string(),
                if r.in_paper_grid { "yes" } else { "-" }.to_string(),
                r.expr.to_string(),
            ]
        })
        .collect();
    let head = [
        "NAME",
        "FORMULA",
        "TOKEN",
        "CATEGORY",
        "PAIRS",
        "TABLE5",
        "EXPRESSION",
    ];
    let mut width = head.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in row.iter().zip(width).enumerate() {
            s.push_str(c);
            if i + 1 < row.len() {
                s.extend(std::iter::repeat_n(' ', w - c.chars().count() + 2));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&head.map(String::from));
    for row in &cells {
        out.push_str(&line(row));
    }
    out.push_str(&format!(
        "\n{} operations. TABLE5 marks the {} that `modgrok sweep --ops paper` and `--preset table5`\n\
         run; the rest repeat an earlier row's task: {}.\n",
        rows.len(),
        presets::PAPER_OPS.len(),
        presets::duplicate_ops()
            .iter()
            .map(|(a, b)| format!("{a} = {b}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

/// The JSON array, pretty-printed, with a trailing newline.
pub fn json() -> String {
    let mut s = serde_json::to_string_pretty(&all()).unwrap_or_default();
    s.push('\n');
    s
}

impl OpsArgs {
    /// What `modgrok ops` prints.
    pub fn output(&self) -> String {
        if self.json { json() } else { text() }
    }
}
