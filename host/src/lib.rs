//! modgrok host: filled in by the host trainer issue.
