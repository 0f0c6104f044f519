//! Integration tests: the real `defer` binary, run in a temp dir per test through the
//! builder in `support.rs`. One test target (`cargo test --test cli`) so the binary
//! links once; add a module per command or concern.

mod support;

mod cancel;
mod kill;
mod list;
mod race;
mod schedule;
mod store;
mod summary;
mod when_cmd;
