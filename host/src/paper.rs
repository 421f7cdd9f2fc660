//! The paper's Table 5 verdicts that `modgrok report --paper` sets beside a sweep's cells.
//!
//! The published table (paper App. I) lost its column headers in extraction. We read its seven
//! rows as the train fractions 0.3, 0.4, …, 0.9, top to bottom, and the four columns of its
//! elementary block as x + y, x − y, x·y, x / y, the order of the paper's Table 3. Only that
//! block is encoded: the other blocks' columns cannot be named from the text without guessing.
//! A cell is either grokked (✔) or, where it did not grok, the best test accuracy the paper
//! gives.

/// The paper's mark for one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Grokked,
    /// Did not grok; the best test accuracy, in [0, 1].
    Best(f64),
}

impl Verdict {
    pub fn grokked(self) -> bool {
        self == Verdict::Grokked
    }

    pub fn text(self) -> String {
        match self {
            Verdict::Grokked => "✔".into(),
            Verdict::Best(a) => format!("{:.1}%", 100.0 * a),
        }
    }
}

/// The fractions of the table's rows, top to bottom (our reading).
pub const FRACS: [f64; 7] = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/// The prime of every cell (paper App. A).
pub const P: u64 = 97;

const G: Verdict = Verdict::Grokked;

/// Table 5's elementary block: op name and its verdict at each of [`FRACS`].
pub const ELEMENTARY: [(&str, [Verdict; 7]); 4] = [
    ("add", [G; 7]),
    ("subtract", [G; 7]),
    ("multiply", [G; 7]),
    (
        "division",
        [Verdict::Best(0.031), Verdict::Best(0.090), G, G, G, G, G],
    ),
];

/// The paper's verdict for `op` at `frac`, where the encoded table has one.
pub fn verdict(op: &str, frac: f64) -> Option<Verdict> {
    let (_, row) = ELEMENTARY.iter().find(|(name, _)| *name == op)?;
    let i = FRACS.iter().position(|&f| f == frac)?;
    Some(row[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_is_the_only_elementary_column_with_ungrokked_cells() {
        assert_eq!(verdict("division", 0.3), Some(Verdict::Best(0.031)));
        assert_eq!(verdict("division", 0.4).map(Verdict::text).unwrap(), "9.0%");
        assert!(verdict("division", 0.5).unwrap().grokked());
        assert!(FRACS.iter().all(|&f| verdict("subtract", f) == Some(G)));
        assert_eq!(verdict("add", 0.35), None);
        assert_eq!(verdict("x2_y", 0.3), None);
    }
}
