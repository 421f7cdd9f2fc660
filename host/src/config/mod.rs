//! What decides a run's bytes: the flags as given ([`RunSpec`]), the run config derived from
//! them and stored with the run ([`RunConfig`]), the operands of the split, the transfer settings
//! and the backend.

mod backend;
mod flags;
mod pairs;
mod run;
mod spec;
mod transfer;

pub use backend::Backend;
pub use flags::RunFlags;
pub(crate) use pairs::{is_field, pairs_of_older_runs};
pub use pairs::{pairs_serde, pairs_value_parser, parse_pairs};
pub use run::{FORMAT_VERSION, RunConfig, TaskInfo};
pub use spec::{MAX_EXAMPLES, MAX_PARAMS, RunSpec};
pub use transfer::{GROUPS, Source, Transfer, mask, params_of, split_list};
