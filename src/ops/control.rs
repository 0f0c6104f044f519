//! `pause`, `resume`, `reschedule`: one waiting task changed, one appended snapshot.

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::control::{self, Change};
use crate::selector::Selector;
use crate::task::Task;
use crate::{schedule, when};

pub fn pause(ctx: &Ctx, selector: Selector) -> Result<Task> {
    changed(ctx, selector, Change::Pause)
}

pub fn resume(ctx: &Ctx, selector: Selector) -> Result<Task> {
    changed(ctx, selector, Change::Resume)
}

/// The task with its new run time (`when`, a time expression); a time in the past is a
/// warning.
pub fn reschedule(ctx: &Ctx, selector: Selector, when: &str) -> Result<Task> {
    let resolved = when::parse(when, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid --when '{when}': {e}"))?;
    let run_at = resolved.at.into();
    if resolved.in_past {
        ctx.warn(schedule::past_warning(run_at));
    }
    changed(ctx, selector, Change::Reschedule(run_at))
}

fn changed(ctx: &Ctx, selector: Selector, change: Change) -> Result<Task> {
    let (audit, store) = (ctx.audit()?, ctx.store()?);
    let mut bad = Vec::new();
    let changed = control::apply(&store, &audit, selector, change, ctx.now, &mut bad);
    ctx.bad_lines(store.path(), &bad);
    let task = ctx.explained(changed)?;
    ctx.audit_warnings(&audit);
    Ok(task)
}
