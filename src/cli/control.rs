//! `defer pause`, `defer resume`, `defer reschedule`: change one waiting task and print
//! its new record.

use std::process::ExitCode;

use anyhow::Result;

use super::args::{ControlArgs, RescheduleArgs};
use super::output;
use crate::ops::{control, Ctx};

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
