//! The operations both front ends call: one typed request and one result per command,
//! with warnings as data through one channel (`Ctx::warn`). The CLI maps clap's
//! arguments to these requests and prints; MCP maps JSON arguments to the same requests.

mod ctx;
mod warning;

pub mod answer;
pub mod cancel;
pub mod control;
pub mod cron;
pub mod doctor;
pub mod execute;
pub mod export;
pub mod health;
pub mod history;
pub mod list;
pub mod reorient;
pub mod run;
pub mod schedule;
pub mod show;
pub mod skill;
pub mod stats;
pub mod values;
pub mod wait;
pub mod when;

pub use ctx::{Ctx, Front};
pub use warning::{Level, Warning};

#[cfg(test)]
mod tests;
