//! `defer doctor`: the health report as a JSON array (or a table); exit 1 when any
//! check fails.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::closed;
use super::{exit, output};
use crate::doctor::{self, Level};
use crate::ops::Ctx;
use crate::view::Format;

pub(super) const DOCTOR_HELP: &str = "\
Prints a JSON array of {\"check\", \"status\": \"ok\"|\"warn\"|\"fail\", \"detail\", \"fix\"}; every
row that is not ok has a one-line fix. Checks: settings, runtime_dir, files, store,
invalid_lines, orphans, overdue, duplicates (a fire executed twice in 30 days: a failure),
heartbeat, crontab, cron_daemon, disk_space, executor, hooks, timezone, skill. It creates nothing and never refuses: a broken setup is a fail row.

Exit status:
  0    no check failed (warnings allowed)
  1    at least one check failed";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// json (default) or table (for people)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: DoctorArgs) -> Result<ExitCode> {
    let rows = crate::ops::doctor::doctor(ctx);
    match args.format {
        Format::Json => output::json(&rows, args.compact)?,
        Format::Table => {
            let mut table = Vec::new();
            doctor::table(&mut table, &rows)?;
            output::stdout(&table)?;
        }
    }
    Ok(match doctor::worst(&rows) {
        Level::Fail => ExitCode::from(exit::FAILURE),
        Level::Ok | Level::Warn => ExitCode::SUCCESS,
    })
}
