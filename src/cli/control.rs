//! `defer pause`, `defer resume`, `defer reschedule`: change one waiting task and print
//! its new record.

use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::args::{ControlArgs, RescheduleArgs};
use super::{output, Ctx};
use crate::control::{self, Change};
use crate::selector::Selector;
use crate::{schedule, when};

pub fn exec_pause(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    change(ctx, args.handle.selector(), Change::Pause, args.compact)
}

pub fn exec_resume(ctx: &Ctx, args: ControlArgs) -> Result<ExitCode> {
    change(ctx, args.handle.selector(), Change::Resume, args.compact)
}

pub fn exec_reschedule(ctx: &Ctx, args: RescheduleArgs) -> Result<ExitCode> {
    let resolved = when::parse(&args.when, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid --when '{}': {e}", args.when))?;
    let run_at = resolved.at.into();
    if resolved.in_past {
        output::warn(&schedule::past_warning(run_at));
    }
    change(
        ctx,
        args.handle.selector(),
        Change::Reschedule(run_at),
        args.compact,
    )
}

fn change(ctx: &Ctx, id: Selector, change: Change, compact: bool) -> Result<ExitCode> {
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let changed = control::apply(&store, &audit, id, change, ctx.now, &mut bad);
    output::bad_lines(store.path(), &bad);
    let task = super::handle::explained(ctx, changed)?;
    output::audit_warnings(&audit);
    output::json(&task, compact)?;
    Ok(ExitCode::SUCCESS)
}
