//! `cancel`: a scheduled (or paused) task becomes `cancelled`, by appending its new
//! snapshot.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::store::{BadLine, Store};
use crate::task::{Status, Task};

/// Cancels `id` if it is `scheduled` or `paused`; any other status is an error naming it.
/// `bad` receives the store's invalid lines, for the caller to report.
pub fn cancel(
    store: &Store,
    audit: &AuditLog,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    let locked = store.write()?;
    let scan = locked.scan()?;
    bad.extend(scan.bad.iter().cloned());
    let Some(entry) = scan.get(id) else {
        bail!("task not found: {id}");
    };
    if !matches!(entry.status, Status::Scheduled | Status::Paused) {
        bail!(
            "cannot cancel task {id}: its status is {} (only scheduled or paused tasks can be cancelled)",
            entry.status
        );
    }
    let task = cancelled(locked.load(entry)?, reason, now);
    locked.append(&[&task])?;
    drop(locked);
    log(audit, &task, now);
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
