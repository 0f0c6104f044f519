//! `defer pause`, `defer resume`, `defer reschedule`: change one waiting task and print
//! its new record.

use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::args::{ControlArgs, RescheduleArgs};
use super::{output, Ctx};
use crate::control::{self, Change};
use crate::selector::Selector;
use crate::task::Task;
use crate::{schedule, when};

pub fn exec_pause(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    change(ctx, args.handle.selector(), Change::Pause, args.compact)
}

pub fn exec_resume(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    change(ctx, args.handle.selector(), Change::Resume, args.compact)
}

pub fn exec_reschedule(ctx: &Ctx, args: RescheduleArgs) -> Result<ExitCode> {
    let task = rescheduled(ctx, &args)?;
    output::json(&task, args.compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The task with its new run time; a time in the past is a warning on stderr.
pub fn rescheduled(ctx: &Ctx, args: &RescheduleArgs) -> Result<Task> {
    let resolved = when::parse(&args.when, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid --when '{}': {e}", args.when))?;
    let run_at = resolved.at.into();
    if resolved.in_past {
        output::warn(&schedule::past_warning(run_at));
    }
    changed(ctx, args.handle.selector(), Change::Reschedule(run_at))
}

fn change(ctx: &Ctx, id: Selector, change: Change, compact: bool) -> Result<ExitCode> {
    let task = changed(ctx, id, change)?;
    output::json(&task, compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The task after `change`; invalid store lines and audit warnings go to stderr.
pub fn changed(ctx: &Ctx, id: Selector, change: Change) -> Result<Task> {
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let changed = control::apply(&store, &audit, id, change, ctx.now, &mut bad);
    output::bad_lines(store.path(), &bad);
    let task = super::handle::explained(ctx, changed)?;
    output::audit_warnings(&audit);
    Ok(task)
}
