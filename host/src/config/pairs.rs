//! `pairs` as text: the `--pairs` values and their form in config.json, where `field` is left
//! out so files written before the choice existed read the same.
use modgrok_core::data::Pairs;

pub(crate) fn pairs_of_older_runs() -> Pairs {
    Pairs::Field
}

pub(crate) fn is_field(pairs: &Pairs) -> bool {
    *pairs == Pairs::Field
}

/// `--pairs` as text: `reference` or `field`.
pub fn parse_pairs(s: &str) -> Result<Pairs, String> {
    [Pairs::Reference, Pairs::Field]
        .into_iter()
        .find(|p| p.as_str() == s)
        .ok_or_else(|| format!("{s:?} is not reference or field"))
}

/// The clap parser of `--pairs`, which lists both values in `--help`.
pub fn pairs_value_parser() -> impl clap::builder::TypedValueParser<Value = Pairs> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["reference", "field"])
        .map(|s| parse_pairs(&s).unwrap_or_default())
}

/// `pairs` in config.json and checkpoint metadata, as its name.
pub mod pairs_serde {
    use modgrok_core::data::Pairs;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(pairs: &Pairs, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(pairs.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Pairs, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_pairs(&s).map_err(serde::de::Error::custom)
    }
}
