//! `defer history`: finished tasks (any terminal status) from the active store and the
//! monthly archives, each exactly once (its latest snapshot), newest first by the time
//! it ended. Read-only. Archives are read newest month first, so `limit` can stop
//! before the old months; archive lines are first read as a `Head` (the few fields the
//! filters need) and only the records returned are parsed whole. `table` is the view
//! for people.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::config::Paths;
use crate::lookup;
use crate::store::{self, BadLine, Store};
use crate::task::{is_valid_id, Intent, Status, Task};
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
    fn keeps(&self, head: &Head) -> bool {
        head.status.is_terminal()
            && (self.statuses.is_empty() || self.statuses.contains(&head.status))
            && (self.intents.is_empty() || self.intents.contains(&head.intent))
            && self.since.is_none_or(|since| head.ended_at().at() >= since)
            && self
                .key
                .as_ref()
                .is_none_or(|key| head.key.as_ref() == Some(key))
            && self
                .series
                .as_ref()
                .is_none_or(|id| head.series_id() == Some(id.as_str()))
    }
}

/// When a finished task ended (`completed_at`, `failed_at`, `cancelled_at`, or a newer
/// status's own stamp): the instant its archive month is named after.
pub fn ended_at(task: &Task) -> Timestamp {
    task.archive_stamp()
}

/// What the filters and the order need from a record; everything else is skipped
/// unparsed. Its fields have the record's types, so every record reads as a `Head`.
#[derive(Debug, Clone, Deserialize)]
struct Head {
    id: String,
    created_at: Timestamp,
    status: Status,
    #[serde(default)]
    intent: Intent,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    completed_at: Option<Timestamp>,
    #[serde(default)]
    failed_at: Option<Timestamp>,
    #[serde(default)]
    cancelled_at: Option<Timestamp>,
    #[serde(default)]
    missed_at: Option<Timestamp>,
    /// The series object (another part's type), read as plain JSON.
    #[serde(default)]
    series: Option<Value>,
}

impl Head {
    fn of(task: &Task) -> Head {
        let value = serde_json::to_value(task).unwrap_or(Value::Null);
        let stamp = |field: &str| {
            value
                .get(field)
                .and_then(|v| v.as_str())
                .and_then(Timestamp::parse)
        };
        Head {
            id: task.id.clone(),
            created_at: task.created_at,
            status: task.status,
            intent: task.intent,
            key: task.key.clone(),
            completed_at: task.completed_at,
            failed_at: task.failed_at,
            cancelled_at: task.cancelled_at,
            missed_at: stamp("missed_at"),
            series: value.get("series").cloned(),
        }
    }

    /// `Task::archive_stamp`, from the head's fields.
    fn ended_at(&self) -> Timestamp {
        self.completed_at
            .or(self.failed_at)
            .or(self.cancelled_at)
            .or(self.missed_at)
            .unwrap_or(self.created_at)
    }

    fn series_id(&self) -> Option<&str> {
        self.series.as_ref()?.get("id")?.as_str()
    }
}

/// A line of a store or archive file that is not a record.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub file: PathBuf,
    pub line: BadLine,
}

/// A selected task: where its record is, and what orders it.
struct Pick {
    ended: Timestamp,
    created: Timestamp,
    id: String,
    at: Place,
}

impl Pick {
    /// Newest end first; ties: newest created first, then by id.
    fn order(&self) -> std::cmp::Reverse<(Timestamp, Timestamp, &str)> {
        std::cmp::Reverse((self.ended, self.created, self.id.as_str()))
    }
}

/// A record loaded already (the active store), or a line of an archive file to parse.
enum Place {
    Loaded(Box<Task>),
    Line {
        file: usize,
        line_no: usize,
        offset: u64,
        len: usize,
    },
}

/// The last line of an id in one archive file: whether the filter keeps it, and where.
struct Latest {
    keeps: bool,
    ended: Timestamp,
    created: Timestamp,
    line_no: usize,
    offset: u64,
    len: usize,
}

/// The finished tasks `filter` selects, newest end first, and the lines skipped.
/// Memory is one id per task read plus one archive file's ids, not the records.
pub fn query(store: &Store, paths: &Paths, filter: &Filter) -> Result<(Vec<Task>, Vec<Skipped>)> {
    let mut seen = HashSet::new();
    let mut picks: Vec<Pick> = Vec::new();
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
                Ok(task) => {
                    let head = Head::of(&task);
                    if filter.keeps(&head) {
                        picks.push(Pick {
                            ended: head.ended_at(),
                            created: head.created_at,
                            id: head.id,
                            at: Place::Loaded(Box::new(task)),
                        });
                    }
                }
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
    let files = lookup::archive_files(&paths.archive_dir)?;
    for (n, file) in files.iter().enumerate() {
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
        for (id, latest) in latest_in_file(file, filter, &mut skipped)? {
            if seen.insert(id.clone()) && latest.keeps {
                picks.push(Pick {
                    ended: latest.ended,
                    created: latest.created,
                    id,
                    at: Place::Line {
                        file: n,
                        line_no: latest.line_no,
                        offset: latest.offset,
                        len: latest.len,
                    },
                });
            }
        }
        picks.sort_by(|a, b| a.order().cmp(&b.order()));
        picks.truncate(filter.limit);
        // Older files hold only tasks that ended before this month began.
        if let (Some((start, _)), Some(last)) = (month, picks.last()) {
            if picks.len() >= filter.limit && last.ended.at() >= start {
                break;
            }
        }
    }
    picks.sort_by(|a, b| a.order().cmp(&b.order()));
    picks.truncate(filter.limit);
    let mut tasks = Vec::with_capacity(picks.len());
    for pick in picks {
        match load(pick.at, &files) {
            Ok(task) => tasks.push(task),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok((tasks, skipped))
}

/// The whole record of a selected task.
fn load(place: Place, files: &[PathBuf]) -> Result<Task, Skipped> {
    let (file, line_no, offset, len) = match place {
        Place::Loaded(task) => return Ok(*task),
        Place::Line {
            file,
            line_no,
            offset,
            len,
        } => (&files[file], line_no, offset, len),
    };
    let skipped = |reason: String| Skipped {
        file: file.clone(),
        line: BadLine {
            line_no,
            offset,
            reason,
        },
    };
    let bytes = read_line(file, offset, len).map_err(|e| skipped(format!("{e:#}")))?;
    store::parse_record(&bytes).map_err(skipped)
}

fn read_line(path: &Path, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut file = crate::safe_fs::open_read(path)?
        .with_context(|| format!("{} disappeared", path.display()))?;
    let mut bytes = vec![0; len];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
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

/// The last line of each id in one JSONL file, judged by `filter`; lines that are not
/// records go to `skipped`.
fn latest_in_file(
    path: &Path,
    filter: &Filter,
    skipped: &mut Vec<Skipped>,
) -> Result<HashMap<String, Latest>> {
    let mut found = HashMap::new();
    lookup::each_line(path, |line_no, offset, bytes| {
        if store::is_blank(bytes) {
            return;
        }
        match parse_head(bytes) {
            Ok(head) => {
                let latest = Latest {
                    keeps: filter.keeps(&head),
                    ended: head.ended_at(),
                    created: head.created_at,
                    line_no,
                    offset,
                    len: bytes.len(),
                };
                found.insert(head.id, latest);
            }
            Err(reason) => skipped.push(Skipped {
                file: path.to_path_buf(),
                line: BadLine {
                    line_no,
                    offset,
                    reason,
                },
            }),
        }
    })?;
    Ok(found)
}

/// A line's head, with the record's id rule. A line that passes here but is not a
/// whole record is reported when (if) it is selected and parsed whole.
fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let head: Head = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if !is_valid_id(&head.id) {
        return Err(format!("id '{}' is not a valid task id", head.id));
    }
    Ok(head)
}

#[cfg(test)]
mod tests;
