//! `--grokfast` as text (`ema`, `ema:alpha=0.98,lamb=2.0`, `ma`, `ma:window=100,lamb=5.0`),
//! its checks, and its form in config.json: an object such as
//! `{"filter": "ema", "alpha": 0.98, "lamb": 2.0}`, written only when the filter is on.
use modgrok_core::grokfast::{Grokfast, MAX_WINDOW};
use serde::{Deserialize, Serialize};

use crate::error::HostError;

/// The flag's syntax, for its messages.
pub const GROKFAST_SYNTAX: &str = "ema[:alpha=A,lamb=L] or ma[:window=W,lamb=L]";

/// `--grokfast` as text; a key left out keeps the filter's default.
pub fn parse_grokfast(s: &str) -> Result<Grokfast, String> {
    let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
    let mut gf = match kind.trim() {
        "ema" => Grokfast::EMA,
        "ma" => Grokfast::MA,
        other => {
            return Err(format!(
                "{other:?} is not a filter: write {GROKFAST_SYNTAX}"
            ));
        }
    };
    for item in rest.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} is not key=value: write {GROKFAST_SYNTAX}"))?;
        let (key, value) = (key.trim(), value.trim());
        let number = || {
            value
                .parse::<f64>()
                .map_err(|_| format!("{key}={value:?} is not a number"))
        };
        match (&mut gf, key) {
            (Grokfast::Ema { alpha, .. }, "alpha") => *alpha = number()?,
            (Grokfast::Ema { lamb, .. } | Grokfast::Ma { lamb, .. }, "lamb") => *lamb = number()?,
            (Grokfast::Ma { window, .. }, "window") => {
                *window = value
                    .parse()
                    .map_err(|_| format!("window={value:?} is not a whole number"))?
            }
            _ => {
                return Err(format!(
                    "{key:?} is not a key of {kind}: write {GROKFAST_SYNTAX}"
                ));
            }
        }
    }
    Ok(gf)
}

/// The filter's values checked, as a usage error naming the flag.
pub fn check_grokfast(gf: &Grokfast) -> Result<(), HostError> {
    if gf.validate().is_ok() {
        return Ok(());
    }
    Err(HostError::Usage(match *gf {
        Grokfast::Ema { alpha, lamb } => format!(
            "--grokfast ema:alpha={alpha},lamb={lamb} is out of range: alpha must lie in [0, 1) and lamb be finite and >= 0 (the paper uses alpha=0.98,lamb=2.0)"
        ),
        Grokfast::Ma { window, lamb } => format!(
            "--grokfast ma:window={window},lamb={lamb} is out of range: window must lie in 1..={MAX_WINDOW} and lamb be finite and >= 0 (the paper uses window=100,lamb=5.0)"
        ),
    }))
}

/// The filter in config.json.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "filter", rename_all = "lowercase")]
pub(crate) enum GrokfastFile {
    Ema { alpha: f64, lamb: f64 },
    Ma { window: u32, lamb: f64 },
}

impl From<Grokfast> for GrokfastFile {
    fn from(g: Grokfast) -> Self {
        match g {
            Grokfast::Ema { alpha, lamb } => GrokfastFile::Ema { alpha, lamb },
            Grokfast::Ma { window, lamb } => GrokfastFile::Ma { window, lamb },
        }
    }
}

impl From<GrokfastFile> for Grokfast {
    fn from(g: GrokfastFile) -> Self {
        match g {
            GrokfastFile::Ema { alpha, lamb } => Grokfast::Ema { alpha, lamb },
            GrokfastFile::Ma { window, lamb } => Grokfast::Ma { window, lamb },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_take_the_defaults_and_keys_override_them() {
        assert_eq!(parse_grokfast("ema"), Ok(Grokfast::EMA));
        assert_eq!(parse_grokfast("ma"), Ok(Grokfast::MA));
        assert_eq!(
            parse_grokfast("ema:alpha=0.9,lamb=5"),
            Ok(Grokfast::Ema {
                alpha: 0.9,
                lamb: 5.0
            })
        );
        assert_eq!(
            parse_grokfast("ma:lamb=1.5"),
            Ok(Grokfast::Ma {
                window: 100,
                lamb: 1.5
            })
        );
        assert_eq!(
            parse_grokfast("ma:window=2, lamb=3"),
            Ok(Grokfast::Ma {
                window: 2,
                lamb: 3.0
            })
        );
    }

    #[test]
    fn malformed_text_is_refused_in_one_line() {
        for bad in [
            "sma",
            "ema:window=3",
            "ma:alpha=0.5",
            "ema:alpha",
            "ema:alpha=x",
            "ma:window=1.5",
            "ma:window=-1",
        ] {
            let e = parse_grokfast(bad).expect_err(bad);
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn out_of_range_values_are_usage_errors_that_say_the_range() {
        let e = check_grokfast(&Grokfast::Ema {
            alpha: 1.0,
            lamb: 2.0,
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), crate::error::EXIT_USAGE);
        assert!(e.to_string().contains("[0, 1)"), "{e}");
        let e = check_grokfast(&Grokfast::Ma {
            window: 0,
            lamb: 2.0,
        })
        .unwrap_err();
        assert!(e.to_string().contains("window must lie in"), "{e}");
        assert_eq!(e.to_string().lines().count(), 1);
        assert!(check_grokfast(&Grokfast::EMA).is_ok());
    }
}
