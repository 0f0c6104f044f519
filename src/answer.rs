//! `defer answer` (SPEC §22): the waiting task named by its id, its series' id or its
//! key is `scheduled` for now, the answer appended to `context.answers`.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::lifecycle;
use crate::store::{BadLine, Exclusive, Locked, Scan, Store};
use crate::task::{Status, Task};

/// The longest answer accepted, in characters.
pub const MAX_CHARS: usize = 8000;

/// Which waiting task: a task id or a series id, or the key it was scheduled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Id(&'a str),
    Key(&'a str),
}

/// An answer is text: not empty, at most [`MAX_CHARS`] characters.
pub fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() || text.chars().count() > MAX_CHARS {
        bail!(
            "invalid answer '{}' (accepted: non-empty text of at most {MAX_CHARS} characters)",
            crate::text::escape_control(&text.chars().take(60).collect::<String>())
        );
    }
    Ok(())
}

/// Answers the waiting task `target` names and appends its next snapshot; anything
/// else (no such task, nothing waiting) is an error and writes nothing.
pub fn answer(
    store: &Store,
    audit: &AuditLog,
    target: Target,
    text: &str,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    check_text(text)?;
    let locked = store.write()?;
    let scan = locked.scan()?;
    bad.extend(scan.bad.iter().cloned());
    let task = find(&locked, &scan, target)?;
    let next = lifecycle::answered(&task, text, now);
    locked.append(&[&next])?;
    drop(locked);
    audit.record(
        now,
        Event::Answered,
        &[("id", &next.id), ("run_at", &next.run_at)],
    );
    Ok(next)
}

/// The waiting task `target` names: the task itself, else the waiting occurrence of
/// the series with that id (or key).
fn find(locked: &Locked<Exclusive>, scan: &Scan, target: Target) -> Result<Task> {
    let waiting: Vec<Task> = scan
        .entries
        .iter()
        .filter(|e| e.status == Status::Waiting)
        .filter_map(|e| locked.load(e).ok())
        .collect();
    let hit = waiting.into_iter().find(|t| match target {
        Target::Id(id) => t.id == id || t.series.as_ref().is_some_and(|s| s.id == id),
        Target::Key(key) => t.key.as_deref() == Some(key),
    });
    if let Some(task) = hit {
        return Ok(task);
    }
    match target {
        Target::Key(key) => bail!("no waiting task has key '{key}' (see defer list --status waiting)"),
        Target::Id(id) => match scan.get(id) {
            Some(entry) => bail!(
                "cannot answer task {id}: its status is {} (only a waiting task, or a series with a waiting occurrence, can be answered)",
                entry.status
            ),
            None => bail!("task not found: {id}"),
        },
    }
}
