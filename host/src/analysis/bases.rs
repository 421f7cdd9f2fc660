//! Which Fourier bases an analysis reads the embedding and the neuron-logit map in (SPEC §5),
//! and the default for a run's operations.
use modgrok_core::data::{Op, Symbol, Tasks};

/// The bases of an analysis' spectra: `analysis.json` always holds the additive `embedding`,
/// `neuron_logit_map` and the per-task logit analysis (whose frequency components are additive);
/// the multiplicative basis adds the `multiplicative` key. The choice also picks the spectrum
/// figures and the summary lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bases {
    /// The characters of Z_p: frequencies of x
    Additive,
    /// The characters of Z_p^*: frequencies of the discrete log of x, token 0 left out
    Multiplicative,
    /// Both
    Both,
}

impl Bases {
    /// Whether the additive spectra are reported (figures, summary).
    pub fn additive(self) -> bool {
        self != Bases::Multiplicative
    }

    /// Whether the multiplicative spectra are computed and reported.
    pub fn multiplicative(self) -> bool {
        self != Bases::Additive
    }

    /// [`Bases::Both`] when a task of the run is of the multiplicative family
    /// ([`is_multiplicative`]), else [`Bases::Additive`].
    pub fn default_for(tasks: &Tasks) -> Bases {
        if tasks.tasks().iter().any(|t| is_multiplicative(&t.op)) {
            Bases::Both
        } else {
            Bases::Additive
        }
    }
}

/// Whether `op` is of the multiplicative family, whose labels are `g^(a·log x + b·log y)` up to
/// a constant factor: division (`x/y`), and a single monomial `c·x^a·y^b` with a, b ≥ 1 (so
/// `multiply` and `multiply_non_zero`). Core's paper categories group x·y with x + y
/// (elementary), so they do not decide this.
pub fn is_multiplicative(op: &Op) -> bool {
    match op.polynomial() {
        Some(poly) => matches!(poly.terms(), [t] if t.x_pow >= 1 && t.y_pow >= 1),
        None => op.symbol() == Symbol::Div,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multiplicative_family_is_division_and_products_of_powers() {
        for name in [
            "multiply",
            "multiply_non_zero",
            "division",
            "x/y",
            "3*x^2*y",
            "x*y^3",
        ] {
            assert!(is_multiplicative(&Op::parse(name).unwrap()), "{name}");
        }
        for name in ["add", "subtract", "xy_y", "x^2", "y", "x^2 + y^2", "2x_3y"] {
            assert!(!is_multiplicative(&Op::parse(name).unwrap()), "{name}");
        }
        let mix = Tasks::parse(11, "add,multiply").unwrap();
        assert_eq!(Bases::default_for(&mix), Bases::Both);
        let add = Tasks::parse(11, "add,x^2 + y").unwrap();
        assert_eq!(Bases::default_for(&add), Bases::Additive);
        assert!(Bases::Both.additive() && Bases::Both.multiplicative());
        assert!(!Bases::Additive.multiplicative() && !Bases::Multiplicative.additive());
    }
}
