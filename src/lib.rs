//! `defer` schedules work for later: compact task snapshots in an append-only JSONL
//! store, woken by cron. The library owns the domain; `main.rs` is a thin CLI.

pub mod reorient;
pub mod when;
