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
    }

    fn keeps_task(&self, task: &Task) -> bool {
        self.intents.is_empty() || self.intents.contains(&task.intent)
    }
}

/// The tasks `filter` selects, in order of creation, and the store's invalid lines.
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
    Ok((tasks, scan.bad))
}
