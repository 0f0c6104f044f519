//! Integration tests: the real `defer` binary, run in a temp dir per test through the
//! builder in `support.rs`. One test target (`cargo test --test cli`) so the binary
//! links once; add a module per command or concern.

mod support;

mod agent_executors;
mod archive;
mod cancel;
mod completions;
mod config;
mod control;
mod escapes;
mod examples;
mod execute;
mod export;
mod faults;
mod feedback;
mod handle;
mod health;
mod history;
mod hook_examples;
mod hooks;
mod hostile;
mod invalid_lines;
mod kill;
mod kubernetes;
mod lanes;
mod list;
mod local_time;
mod man;
mod mcp;
mod mcp_local;
mod mcp_security;
mod once;
mod prompt_headers;
mod race;
mod readback;
mod reorient;
mod run_kill;
mod runner;
mod scale;
mod schedule;
mod series;
mod soak;
mod stop;
mod store;
mod summary;
mod terminal;
mod trust;
mod when_cmd;
mod when_grammar;
mod words;

mod cron;
mod doctor;
mod dst;
mod key;
mod lineage;
mod show_checked;
mod show_wait;
mod skill;
mod snapshots;
mod stats;
mod talkback;
mod text;
mod views;
