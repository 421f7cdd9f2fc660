//! What decides a run's bytes: the run config ([`RunConfig`]: its defaults, its derivation and
//! checks, its file layout), the flags that set it, the operands of the split, the transfer
//! settings and the backend.

mod backend;
mod derive;
mod file;
mod flags;
mod grokfast;
mod pairs;
mod run;
mod transfer;

pub use backend::Backend;
pub use derive::{MAX_EXAMPLES, MAX_PARAMS};
pub use flags::RunFlags;
pub use grokfast::{GROKFAST_SYNTAX, check_grokfast, parse_grokfast};
pub(crate) use pairs::{is_field, pairs_of_older_runs};
pub use pairs::{pairs_serde, pairs_value_parser, parse_pairs};
pub use run::{FORMAT_VERSION, RunConfig, TaskInfo};
pub use transfer::{GROUPS, Source, Transfer, mask, params_of, split_list};
