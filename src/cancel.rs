//! `cancel`: a scheduled (or paused) task becomes `cancelled`, by appending its new
//! snapshot.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::ids;
use crate::selector::{self, Selector};
use crate::series::chain;
use crate::store::{BadLine, Store};
use crate::task::{Status, Task};

/// Cancels the task `id` names (a task id, a series id or a key, see `selector`) if it
/// is `scheduled` or `paused`; any other status is an error naming it.
/// `bad` receives the store's invalid lines, for the caller to report. On a series
/// occurrence this ends the series (only a claim makes the next occurrence).
pub fn cancel(
    store: &Store,
    audit: &AuditLog,
    id: impl Into<Selector>,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    cancel_with(store, audit, id.into(), reason, now, bad, false)
}

/// `cancel <id> --occurrence`: cancels one series occurrence and, in the same write,
/// schedules the next (at the first fire after the cancelled one's) unless it already
/// linked one; the next one is `paused` when the cancelled one was.
pub fn cancel_occurrence(
    store: &Store,
    audit: &AuditLog,
    id: impl Into<Selector>,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    cancel_with(store, audit, id.into(), reason, now, bad, true)
}

fn cancel_with(
    store: &Store,
    audit: &AuditLog,
    selector: Selector,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
    occurrence_only: bool,
) -> Result<Task> {
    let locked = store.write()?;
    let scan = locked.scan()?;
    bad.extend(scan.bad.iter().cloned());
    let id = &selector::resolve_locked(&locked, &selector)?;
    let Some(entry) = scan.get(id) else {
        bail!("task not found: {id}");
    };
    if !matches!(entry.status, Status::Scheduled | Status::Paused) {
        bail!(
            "cannot cancel task {id}: its status is {} (only scheduled or paused tasks can be cancelled)",
            entry.status
        );
    }
    let was = entry.status;
    let mut task = cancelled(locked.load(entry)?, reason, now);
    let next = match occurrence_only {
        false => None,
        true if task.series.is_none() => bail!(
            "invalid --occurrence: task {id} is not a series occurrence (without --occurrence, cancel cancels it)"
        ),
        true => chain::after_skip(
            &mut task,
            was,
            now,
            |series, k| scan.occurrence(series, k).map(|e| e.id.clone()),
            || ids::generate(now),
        ),
    };
    let writes: Vec<&Task> = [Some(&task), next.as_ref()].into_iter().flatten().collect();
    locked.append(&writes)?;
    drop(locked);
    log(audit, &task, now);
    if let Some(next) = &next {
        audit.record(
            now,
            Event::Scheduled,
            &[("id", &next.id), ("run_at", &next.run_at)],
        );
    }
    Ok(task)
}

/// The task's `cancelled` snapshot.
pub fn cancelled(mut task: Task, reason: Option<&str>, now: DateTime<Utc>) -> Task {
    task.status = Status::Cancelled;
    task.cancelled_at = Some(now.into());
    task.cancel_reason = Some(reason.map(str::to_string));
    task
}

/// The audit line of a cancellation.
pub fn log(audit: &AuditLog, task: &Task, now: DateTime<Utc>) {
    let reason = task.cancel_reason.clone().flatten();
    audit.record(
        now,
        Event::Cancelled,
        &[
            ("id", &task.id),
            ("reason", &reason.as_deref().unwrap_or("none")),
        ],
    );
}
