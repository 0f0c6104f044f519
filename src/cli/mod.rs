//! The command line: clap types, turning argv into `ops` requests, and all printing.
//! Every command returns `Result<ExitCode>`; `main` prints an error once as `defer: ...`.

mod answer;
mod args;
mod cancel;
mod completions;
mod control;
mod cron;
mod doctor;
mod execute;
mod export;
mod history;
mod list;
mod man;
mod mcp;
mod output;
mod parse;
mod reorient;
mod run;
mod schedule;
mod show;
mod skill;
mod stats;
mod tools;
mod wait;
mod when;

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Env;
use crate::ops::{Ctx, Front};

pub use args::{Cli, Command};
pub use tools::catalog;

/// Exit statuses are API: cron and scripts read them.
pub mod exit {
    /// A bad value, a failed action, an unusable store or configuration.
    pub const FAILURE: u8 = 1;
    /// Unknown flag, missing value: clap's usage errors.
    pub const USAGE: u8 = 2;
    /// `defer wait --timeout`: the limit passed before the task finished (as timeout(1)).
    /// `wait` otherwise exits 0 for `completed` and `FAILURE` for `failed`, `cancelled`
    /// or an unknown id.
    pub const TIMEOUT: u8 = 124;
}

/// Runs the CLI on the process's argv and environment.
pub fn main() -> ExitCode {
    // Before anything else writes: with COMPLETE=<shell> set, the shell is asking.
    if let Some(code) = completions::answer_shell() {
        return code;
    }
    let cli = match parse::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let now = crate::timestamp::Timestamp::new(Utc::now()).at();
    match Env::from_process().and_then(|env| run(cli, env, now)) {
        Ok(code) => code,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::say(&format!("{err:#}"));
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// False for the commands that use no setting but the zone they check themselves
/// (`when`), report bad settings instead of refusing (`doctor`), or use none (`man`,
/// `completions`, `skill`); and for those that check once they know they need them:
/// `cron` and `mcp config` (after refusing a control character; `--uninstall` needs
/// none), the MCP server (before each tool, so its `doctor` still answers).
fn reads_settings(command: &Command) -> bool {
    !matches!(
        command,
        Command::When(_)
            | Command::Doctor(_)
            | Command::Man(_)
            | Command::Completions(_)
            | Command::Skill(_)
            | Command::Cron(_)
            | Command::Mcp(_)
    )
}

/// Dispatches one parsed command line.
pub fn run(cli: Cli, env: Env, now: DateTime<Utc>) -> Result<ExitCode> {
    if reads_settings(&cli.command) {
        env.validate()?;
    }
    // The one warning channel: each warning is a `defer: ...` line as it comes.
    let ctx = Ctx::new(
        env,
        now,
        Front::Cli,
        Box::new(|w| output::say(&w.to_string())),
    );
    match cli.command {
        Command::Schedule(args) => schedule::exec(&ctx, args),
        Command::List(args) => list::exec(&ctx, args),
        Command::Cancel(args) => cancel::exec(&ctx, args),
        Command::When(args) => when::exec(&ctx, args),
        Command::Run(args) => run::exec_run(&ctx, args),
        Command::Execute(args) => execute::exec(&ctx, args),
        Command::Archive => run::exec_archive(&ctx),
        Command::Reorient(args) => reorient::exec(&ctx, args),
        Command::Mcp(args) => mcp::exec(&ctx, args),
        Command::Pause(args) => control::exec_pause(&ctx, args),
        Command::Resume(args) => control::exec_resume(&ctx, args),
        Command::Reschedule(args) => control::exec_reschedule(&ctx, args),
        Command::Answer(args) => answer::exec(&ctx, args),
        Command::Show(args) => show::exec(&ctx, args),
        Command::History(args) => history::exec(&ctx, args),
        Command::Wait(args) => wait::exec(&ctx, args),
        Command::Stats(args) => stats::exec(&ctx, args),
        Command::Cron(args) => cron::exec(&ctx, args),
        Command::Doctor(args) => doctor::exec(&ctx, args),
        Command::Skill(command) => skill::exec(&ctx, command),
        Command::Completions(args) => completions::exec_completions(args),
        Command::Man(args) => man::exec(args),
        Command::Export(args) => export::exec(&ctx, args),
    }
}
