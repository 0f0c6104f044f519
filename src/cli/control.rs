//! `defer pause`, `defer resume`, `defer reschedule`: change one waiting task and print
//! its new record.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::Handle;
use super::output;
use crate::ops::{control, Ctx};

pub(super) const RESCHEDULE_EXAMPLES: &str =
    "  defer reschedule task_20260408_163500_0a3kz9x2m1qp --when 'tomorrow 9am'
  defer pause q3-resume && defer reschedule q3-resume --when 2h && defer resume q3-resume";

#[derive(Debug, Args)]
pub struct ControlArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct RescheduleArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// The new run time: 10m, 2h, tomorrow 9am, 2026-12-01 09:00, ...
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub when: String,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec_pause(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    output::json(&control::pause(ctx, args.handle.selector())?, args.compact)?;
    Ok(ExitCode::SUCCESS)
}

pub fn exec_resume(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    output::json(&control::resume(ctx, args.handle.selector())?, args.compact)?;
    Ok(ExitCode::SUCCESS)
}

pub fn exec_reschedule(ctx: &Ctx, args: RescheduleArgs) -> Result<ExitCode> {
    let task = control::reschedule(ctx, args.handle.selector(), &args.when)?;
    output::json(&task, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
