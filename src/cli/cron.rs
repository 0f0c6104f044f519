//! `defer cron`: print the crontab line for this binary and settings; `--install` and
//! `--uninstall` edit the user's crontab through `crontab`, one line per runtime dir.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output;
use crate::ops::cron::{self, Request};
use crate::ops::Ctx;

#[derive(Debug, Args)]
pub struct CronArgs {
    /// Add the line to your crontab (replacing this runtime dir's older defer line)
    #[arg(long, conflicts_with = "uninstall")]
    pub install: bool,
    /// Remove this runtime dir's defer line from your crontab
    #[arg(long)]
    pub uninstall: bool,
}

pub fn exec(ctx: &Ctx, args: CronArgs) -> Result<ExitCode> {
    let request = match (args.install, args.uninstall) {
        (_, true) => Request::Uninstall,
        (true, false) => Request::Install,
        (false, false) => Request::Print,
    };
    if let Some(line) = cron::cron(ctx, request)?.line {
        output::stdout(format!("{line}\n").as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}
