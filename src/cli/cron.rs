//! `defer cron`: print the crontab line for this binary and settings; `--install` and
//! `--uninstall` edit the user's crontab through `crontab`, one line per runtime dir.

use std::process::ExitCode;

use anyhow::Result;

use super::args::CronArgs;
use super::output;
use crate::ops::cron::{self, Request};
use crate::ops::Ctx;

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
