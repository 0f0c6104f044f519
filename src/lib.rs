//! `defer` schedules work for later: compact task snapshots in an append-only JSONL
//! store, woken by cron. The library owns the domain; `main.rs` is a thin CLI.

pub mod archive;
pub mod audit;
pub mod cancel;
pub mod cli;
pub mod command;
pub mod config;
pub mod control;
pub mod cron;
pub mod crontab;
pub mod doctor;
pub mod executor;
pub mod export;
pub mod fsx;
pub mod heartbeat;
pub mod ids;
pub mod lifecycle;
pub mod lookup;
pub mod mcp;
pub mod prompt;
pub mod query;
pub mod reorient;
pub mod runner;
pub mod schedule;
pub mod series;
pub mod skill;
pub mod stop;
pub mod store;
pub mod task;
pub mod text;
pub mod timestamp;
pub mod trust;
pub mod view;
pub mod wait;
pub mod when;
