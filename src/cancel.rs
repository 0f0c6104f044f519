//! `cancel`: a scheduled task becomes `cancelled`, by appending its new snapshot.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::ids;
use crate::series::chain;
use crate::store::{BadLine, Store};
use crate::task::{Status, Task};

/// Cancels `id` if it is `scheduled`; any other status is an error naming it.
/// `bad` receives the store's invalid lines, for the caller to report. On a series
/// occurrence this ends the series (no later occurrence is made).
pub fn cancel(
    store: &Store,
    audit: &AuditLog,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    cancel_with(store, audit, id, reason, now, bad, false)
}

/// `cancel <id> --occurrence`: cancels one series occurrence and, in the same write,
/// schedules the next (at the first fire after the cancelled one's).
pub fn cancel_occurrence(
    store: &Store,
    audit: &AuditLog,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    cancel_with(store, audit, id, reason, now, bad, true)
}

fn cancel_with(
    store: &Store,
    audit: &AuditLog,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
    occurrence_only: bool,
) -> Result<Task> {
    let locked = store.write()?;
    let scan = locked.scan()?;
    bad.extend(scan.bad.iter().cloned());
    let Some(entry) = scan.get(id) else {
        bail!("task not found: {id}");
    };
    if entry.status != Status::Scheduled {
        bail!(
            "cannot cancel task {id}: its status is {} (only scheduled tasks can be cancelled)",
            entry.status
        );
    }
    let mut task = locked.load(entry)?;
    task.status = Status::Cancelled;
    task.cancelled_at = Some(now.into());
    task.cancel_reason = Some(reason.map(str::to_string));
    let next = match occurrence_only {
        false => None,
        true if task.series.is_none() => bail!(
            "invalid --occurrence: task {id} is not a series occurrence (without --occurrence, cancel cancels it)"
        ),
        true => chain::after_skip(
            &task,
            now,
            |series, k| scan.occurrence(series, k).is_some(),
            || ids::generate(now),
        ),
    };
    locked.append(
        &[Some(&task), next.as_ref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )?;
    drop(locked);
    audit.record(
        now,
        Event::Cancelled,
        &[("id", &task.id), ("reason", &reason.unwrap_or("none"))],
    );
    if let Some(next) = &next {
        audit.record(
            now,
            Event::Scheduled,
            &[("id", &next.id), ("run_at", &next.run_at)],
        );
    }
    Ok(task)
}
