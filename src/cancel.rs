//! `cancel`: a scheduled task becomes `cancelled`, by appending its new snapshot.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::store::{BadLine, Store};
use crate::task::{Status, Task};

/// Cancels `id` if it is `scheduled`; any other status is an error naming it.
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
    locked.append(&[&task])?;
    drop(locked);
    audit.record(
        now,
        Event::Cancelled,
        &[("id", &task.id), ("reason", &reason.unwrap_or("none"))],
    );
    Ok(task)
}
