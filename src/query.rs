//! Read-only questions about the active store: which tasks `list` shows.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::{BadLine, Entry, Store};
use crate::task::{Intent, Status, Task};

/// Which tasks to show. Empty `statuses` means scheduled, executing and paused.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub all: bool,
    pub intents: Vec<Intent>,
    /// Only tasks whose `run_at` is at or before this instant (`--due`, `--before`).
    pub run_before: Option<DateTime<Utc>>,
    /// Only tasks whose `run_at` is at or after this instant (`--after`).
    pub run_after: Option<DateTime<Utc>>,
    /// Only tasks scheduled with this key (`--key`).
    pub key: Option<String>,
}

impl Filter {
    fn keeps_entry(&self, entry: &Entry) -> bool {
        let status_ok = self.all
            || match self.statuses.is_empty() {
                true => matches!(
                    entry.status,
                    Status::Scheduled | Status::Executing | Status::Paused
                ),
                false => self.statuses.contains(&entry.status),
            };
        let at = entry.run_at.at();
        status_ok
            && self.run_before.is_none_or(|limit| at <= limit)
            && self.run_after.is_none_or(|limit| at >= limit)
            && self
                .key
                .as_deref()
                .is_none_or(|key| entry.key.as_deref() == Some(key))
    }

    fn keeps_task(&self, task: &Task) -> bool {
        self.intents.is_empty() || self.intents.contains(&task.intent)
    }
}

/// The tasks `filter` selects, ordered by `run_at`, then id, and the store's invalid
/// lines.
/// A selected line that fails to load as a full record is reported as invalid too.
pub fn list(store: &Store, filter: &Filter) -> Result<(Vec<Task>, Vec<BadLine>)> {
    let locked = store.read()?;
    let mut scan = locked.scan()?;
    let mut tasks = Vec::new();
    for entry in scan.entries.iter().filter(|e| filter.keeps_entry(e)) {
        match locked.load(entry) {
            Ok(task) if filter.keeps_task(&task) => tasks.push(task),
            Ok(_) => {}
            Err(e) => scan.bad.push(BadLine {
                line_no: entry.line_no,
                offset: entry.offset,
                reason: format!("{e:#}"),
            }),
        }
    }
    scan.bad.sort_by_key(|b| b.line_no);
    sort(&mut tasks);
    Ok((tasks, scan.bad))
}

/// `list`'s order: by `run_at`, then id.
fn sort(tasks: &mut [Task]) {
    tasks.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    #[test]
    fn tasks_sort_by_run_at_then_id() {
        let task = |id: &str, at: &str| Task {
            id: id.into(),
            run_at: Timestamp::parse(at).unwrap(),
            ..Task::blank()
        };
        let mut tasks = vec![
            task("c", "2026-12-02T09:00:00Z"),
            task("b", "2026-12-01T09:00:00Z"),
            task("a", "2026-12-02T09:00:00Z"),
        ];
        sort(&mut tasks);
        let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }
}
