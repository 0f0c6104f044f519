//! `defer` schedules work for later: compact task snapshots in an append-only JSONL
//! store, woken by cron. The library owns the domain; `main.rs` is a thin CLI.

pub mod config;
pub mod fsx;
pub mod reorient;
pub mod store;
pub mod task;
pub mod timestamp;
pub mod when;
