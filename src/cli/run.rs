//! `defer run` (the cron entry point) and `defer archive`: silent on success; `run`
//! prints a line per failure (and per transition with `--verbose`) as it happens.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::ops::{run, Ctx};

pub(super) const RUN_ABOUT: &str = "\
Execute due tasks, recover interrupted ones, archive finished ones (for cron).

Silent when nothing failed. Each task that failed and each hook that failed gets one
stderr line (`defer: task <id> failed after <n> attempts: <error>`), so cron mails it.
The exit status is 0 whatever the tasks' outcomes; 1 only when the runner itself could
not do its job (bad settings, store unreadable or unwritable).

Hooks: DEFER_ON_SUCCESS, DEFER_ON_FAILURE and DEFER_ON_MISSED name programs run after a
task ends that way, with the final record on stdin and DEFER_TASK_ID, DEFER_STATUS in
their environment (no shell, 60 s limit; see examples/hooks/).";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also print a line per transition: claimed, completed, retry scheduled,
    /// interrupted, hook ran, archived
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn exec_run(ctx: &Ctx, args: RunArgs) -> Result<ExitCode> {
    run::run(ctx, args.verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub fn exec_archive(ctx: &Ctx) -> Result<ExitCode> {
    run::archive(ctx)?;
    Ok(ExitCode::SUCCESS)
}
