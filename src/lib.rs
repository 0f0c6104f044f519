//! `defer` schedules work for later: compact task snapshots in an append-only JSONL
//! store, woken by cron. The library owns the domain; `main.rs` is a thin CLI.

// Unix only: cron, flock, process groups, file owners and modes (docs/decisions.md,
// "Safe system calls").
#[cfg(not(unix))]
compile_error!("defer runs on Unix only (Linux, macOS, the BSDs)");

pub mod answer;
pub mod archive;
pub mod attempt;
pub mod audit;
pub mod bounded;
pub mod budget;
pub mod cancel;
pub mod cli;
pub mod command;
pub mod complete;
pub mod config;
pub mod control;
pub mod cron;
pub mod doctor;
pub mod executor;
pub mod export;
pub mod follow;
pub mod heartbeat;
pub mod history;
pub mod hold;
pub mod ids;
pub mod lanes;
pub mod lifecycle;
pub mod lineage;
pub mod local;
pub mod lookup;
pub mod mcp;
pub mod ops;
pub mod prompt;
pub mod query;
pub mod reorient;
pub mod report;
pub mod runner;
pub mod safe_fs;
pub mod schedule;
pub mod selector;
pub mod series;
pub mod shutdown;
pub mod skill;
pub mod snapshot;
pub mod stats;
pub mod store;
pub mod task;
pub mod taskfile;
pub mod text;
pub mod timestamp;
pub mod trust;
pub mod view;
pub mod wait;
pub mod when;
