//! `defer history`: finished tasks (any terminal status) from the active store and the
//! monthly archives, each exactly once (its latest snapshot), newest first by the time
//! it ended. Read-only. Archives are read newest month first, so `limit` can stop
//! before the old months. `table` is the view for people.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Paths;
use crate::lookup;
use crate::store::{self, BadLine, Store};
use crate::task::{Intent, Status, Task};
use crate::timestamp::Timestamp;

pub mod table;

/// The default `--limit`.
pub const DEFAULT_LIMIT: usize = 50;

/// Which finished tasks to return. Empty `statuses` / `intents` mean all.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Only tasks that ended at or after this instant.
    pub since: Option<DateTime<Utc>>,
    pub statuses: Vec<Status>,
    pub intents: Vec<Intent>,
    /// `series.id` in the record.
    pub series: Option<String>,
    pub key: Option<String>,
    /// At most this many (the newest).
    pub limit: usize,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            since: None,
            statuses: Vec::new(),
            intents: Vec::new(),
            series: None,
            key: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Filter {
    fn keeps(&self, task: &Task) -> bool {
        task.status.is_terminal()
            && (self.statuses.is_empty() || self.statuses.contains(&task.status))
            && (self.intents.is_empty() || self.intents.contains(&task.intent))
            && self.since.is_none_or(|since| ended_at(task).at() >= since)
            && self
                .key
                .as_ref()
                .is_none_or(|key| task.key.as_ref() == Some(key))
            && self
                .series
                .as_ref()
                .is_none_or(|id| series_id(task).as_ref() == Some(id))
    }
}

/// When a finished task ended (`completed_at`, `failed_at`, `cancelled_at`, or a newer
/// status's own stamp): the instant its archive month is named after.
pub fn ended_at(task: &Task) -> Timestamp {
    task.archive_stamp()
}

/// `series.id` of a record, read from its JSON (the series object is another part's).
pub fn series_id(task: &Task) -> Option<String> {
    let value = serde_json::to_value(task).ok()?;
    Some(value.get("series")?.get("id")?.as_str()?.to_string())
}

/// A line of a store or archive file that is not a record.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub file: PathBuf,
    pub line: BadLine,
}

/// The finished tasks `filter` selects, newest end first, and the lines skipped.
pub fn query(store: &Store, paths: &Paths, filter: &Filter) -> Result<(Vec<Task>, Vec<Skipped>)> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    // The active store first: a record there is newer than any archived copy (the
    // sweep appends to the archive before it drops the record from the store).
    {
        let locked = store.read()?;
        let scan = locked.scan()?;
        for entry in &scan.entries {
            seen.insert(entry.id.clone());
            if !entry.status.is_terminal() {
                continue;
            }
            match locked.load(entry) {
                Ok(task) if filter.keeps(&task) => found.push(task),
                Ok(_) => {}
                Err(e) => skipped.push(Skipped {
                    file: store.path().to_path_buf(),
                    line: BadLine {
                        line_no: entry.line_no,
                        offset: entry.offset,
                        reason: format!("{e:#}"),
                    },
                }),
            }
        }
        skipped.extend(scan.bad.iter().map(|line| Skipped {
            file: store.path().to_path_buf(),
            line: line.clone(),
        }));
    }
    for file in lookup::archive_files(&paths.archive_dir)? {
        let month = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(lookup::archive_month)
            .and_then(month_span);
        // Every record in this file and older ones ended before `end`.
        if let (Some((_, end)), Some(since)) = (month, filter.since) {
            if end <= since {
                break;
            }
        }
        for task in latest_in_file(&file, &mut skipped)? {
            if seen.insert(task.id.clone()) && filter.keeps(&task) {
                found.push(task);
            }
        }
        // Older files hold only tasks that ended before this month began.
        if let Some((start, _)) = month {
            let newer = found.iter().filter(|t| ended_at(t).at() >= start).count();
            if newer >= filter.limit {
                break;
            }
        }
    }
    sort_newest_first(&mut found);
    found.truncate(filter.limit);
    Ok((found, skipped))
}

/// Newest end first; ties: newest created first, then by id.
fn sort_newest_first(tasks: &mut [Task]) {
    tasks.sort_by(|a, b| {
        (ended_at(b), b.created_at, &b.id).cmp(&(ended_at(a), a.created_at, &a.id))
    });
}

/// The first instant of the month `YYYYMM` and of the next one (UTC).
fn month_span(yyyymm: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let year: i32 = yyyymm.get(..4)?.parse().ok()?;
    let month: u32 = yyyymm.get(4..)?.parse().ok()?;
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let end = start.checked_add_months(chrono::Months::new(1))?;
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    Some((at(start)?, at(end)?))
}

/// The last record of each id in one JSONL file; invalid lines go to `skipped`.
fn latest_in_file(path: &Path, skipped: &mut Vec<Skipped>) -> Result<Vec<Task>> {
    let Some(file) = crate::fsx::open_read(path)? else {
        return Ok(Vec::new());
    };
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut buf = Vec::with_capacity(4096);
    let mut tasks: Vec<Task> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut line_no, mut offset) = (0usize, 0u64);
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            return Ok(tasks);
        }
        line_no += 1;
        let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if !store::is_blank(bytes) {
            match store::parse_record(bytes) {
                Ok(task) => match index.get(&task.id) {
                    Some(&i) => tasks[i] = task,
                    None => {
                        index.insert(task.id.clone(), tasks.len());
                        tasks.push(task);
                    }
                },
                Err(reason) => skipped.push(Skipped {
                    file: path.to_path_buf(),
                    line: BadLine {
                        line_no,
                        offset,
                        reason,
                    },
                }),
            }
        }
        offset += read as u64;
    }
}

#[cfg(test)]
mod tests;
