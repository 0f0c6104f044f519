//! The archive sweep: terminal tasks move to `archive/deferred_YYYYMM.jsonl` and the
//! active store is compacted to the latest snapshot of each remaining task (invalid
//! lines kept verbatim). Exactly once, even when killed anywhere and re-run:
//!
//! 1. write `archive/.sweep-pending` (the months about to grow), fsynced;
//! 2. append the terminal lines to their month files, fsync;
//! 3. rename the compacted store into place, fsync the directory;
//! 4. remove the marker.
//!
//! A sweep that finds the marker first trims a torn tail from those month files and
//! skips lines already archived (same id and same bytes).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::config::Paths;
use crate::fsx;
use crate::store::{is_blank, Exclusive, Locked, Scan};

/// The marker's name inside the archive directory.
pub const MARKER: &str = ".sweep-pending";

/// What a sweep moved: `(id, archive file)` in store order.
#[derive(Debug, Default)]
pub struct Swept {
    pub archived: Vec<(String, PathBuf)>,
}

/// True when a sweep has anything to do for this scan.
pub fn needed(scan: &Scan, paths: &Paths) -> bool {
    scan.entries.iter().any(|e| e.status.is_terminal()) || paths.archive_dir.join(MARKER).exists()
}

/// Moves the scan's terminal tasks to the archive and compacts the store. `scan` must
/// be current for `locked` (taken or caught up under this lock).
pub fn sweep(locked: &Locked<Exclusive>, scan: &Scan, paths: &Paths) -> Result<Swept> {
    let plan = Plan::new(scan);
    let marker = paths.archive_dir.join(MARKER);
    let recovering = marker.exists();
    if plan.months.is_empty() && !recovering {
        return Ok(Swept::default());
    }
    let mut months: BTreeSet<String> = plan.months.clone();
    if recovering {
        months.extend(read_marker(&marker)?);
    }
    fsx::write_atomic(&marker, marker_text(&months).as_bytes())?;
    let mut writers = MonthWriters::open(paths, &months, recovering)?;
    let mut swept = Swept::default();
    locked.rewrite(|out| {
        locked.for_each_line(|line_no, _, bytes| {
            let step = match plan.action(line_no) {
                Action::Keep => out
                    .write_all(bytes)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(Into::into),
                Action::Archive { id, month } => writers.write(id, month, bytes).map(|path| {
                    swept.archived.push((id.to_string(), path));
                }),
                Action::Drop => Ok(()),
            };
            if let Err(e) = step {
                writers.failed.get_or_insert(e);
            }
        })?;
        writers.finish()
    })?;
    std::fs::remove_file(&marker).with_context(|| format!("removing {}", marker.display()))?;
    fsx::sync_dir(&paths.archive_dir)?;
    Ok(swept)
}

/// Logs one `archived` line per task.
pub fn log(audit: &AuditLog, swept: &Swept, now: DateTime<Utc>) {
    for (id, path) in &swept.archived {
        audit.record(
            now,
            Event::Archived,
            &[("id", id), ("file", &path.display())],
        );
    }
}

enum Action<'a> {
    Keep,
    Archive { id: &'a str, month: &'a str },
    Drop,
}

/// For each line of the store: keep, archive (to which month) or drop (superseded).
struct Plan {
    keep: HashSet<usize>,
    archive: HashMap<usize, (String, String)>,
    months: BTreeSet<String>,
}

impl Plan {
    fn new(scan: &Scan) -> Self {
        let mut plan = Plan {
            keep: scan.bad.iter().map(|b| b.line_no).collect(),
            archive: HashMap::new(),
            months: BTreeSet::new(),
        };
        for entry in &scan.entries {
            if entry.status.is_terminal() {
                let month = entry.archive_stamp.year_month();
                plan.months.insert(month.clone());
                plan.archive
                    .insert(entry.line_no, (entry.id.clone(), month));
            } else {
                plan.keep.insert(entry.line_no);
            }
        }
        plan
    }

    fn action(&self, line_no: usize) -> Action<'_> {
        if self.keep.contains(&line_no) {
            return Action::Keep;
        }
        match self.archive.get(&line_no) {
            Some((id, month)) => Action::Archive { id, month },
            None => Action::Drop,
        }
    }
}

fn marker_text(months: &BTreeSet<String>) -> String {
    months.iter().map(|m| format!("{m}\n")).collect()
}

fn read_marker(marker: &Path) -> Result<Vec<String>> {
    let mut text = String::new();
    if let Some(mut file) = fsx::open_read(marker)? {
        file.read_to_string(&mut text)
            .with_context(|| format!("reading {}", marker.display()))?;
    }
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// The open month files of one sweep.
struct MonthWriters {
    files: BTreeMap<String, (PathBuf, BufWriter<File>)>,
    /// `(id, hash of line)` already in the month files, when recovering.
    present: HashSet<(String, u64)>,
    failed: Option<anyhow::Error>,
    created_dir: bool,
    dir: PathBuf,
}

impl MonthWriters {
    fn open(paths: &Paths, months: &BTreeSet<String>, recovering: bool) -> Result<Self> {
        let created_dir = !paths.archive_dir.exists();
        fsx::ensure_dir(&paths.archive_dir)?;
        let mut writers = MonthWriters {
            files: BTreeMap::new(),
            present: HashSet::new(),
            failed: None,
            created_dir,
            dir: paths.archive_dir.clone(),
        };
        for month in months {
            let path = paths.archive_file(month);
            let file = fsx::open_rw(&path)?;
            if recovering {
                trim_torn_tail(&file, &path)?;
                writers.remember_lines(&path)?;
            }
            let mut file = file;
            file.seek(SeekFrom::End(0))
                .with_context(|| format!("seeking {}", path.display()))?;
            writers
                .files
                .insert(month.clone(), (path, BufWriter::new(file)));
        }
        Ok(writers)
    }

    fn remember_lines(&mut self, path: &Path) -> Result<()> {
        let Some(file) = fsx::open_read(path)? else {
            return Ok(());
        };
        let reader = BufReader::new(file);
        for line in reader.split(b'\n') {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if let Some(id) = line_id(&line) {
                self.present.insert((id, hash(&line)));
            }
        }
        Ok(())
    }

    fn write(&mut self, id: &str, month: &str, bytes: &[u8]) -> Result<PathBuf> {
        let (path, file) = self
            .files
            .get_mut(month)
            .expect("every planned month is open");
        if !self.present.contains(&(id.to_string(), hash(bytes))) {
            file.write_all(bytes)
                .and_then(|()| file.write_all(b"\n"))
                .with_context(|| format!("appending to {}", path.display()))?;
        }
        Ok(path.clone())
    }

    /// Flushes and fsyncs every month file: the archive is durable before the rename.
    fn finish(&mut self) -> Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        for (path, file) in self.files.values_mut() {
            file.flush()
                .and_then(|()| file.get_ref().sync_data())
                .with_context(|| format!("syncing {}", path.display()))?;
        }
        if self.created_dir {
            if let Some(parent) = self.dir.parent() {
                fsx::sync_dir(parent)?;
            }
        }
        fsx::sync_dir(&self.dir)
    }
}

/// A killed append can leave a partial last line; cut the file back to its last newline.
fn trim_torn_tail(file: &File, path: &Path) -> Result<()> {
    let context = || format!("repairing {}", path.display());
    let len = file.metadata().with_context(context)?.len();
    if len == 0 {
        return Ok(());
    }
    let mut reader = file;
    let chunk = len.min(1 << 20);
    let mut tail = vec![0u8; chunk as usize];
    reader
        .seek(SeekFrom::Start(len - chunk))
        .with_context(context)?;
    reader.read_exact(&mut tail).with_context(context)?;
    if tail.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = match memchr::memrchr(b'\n', &tail) {
        Some(i) => len - chunk + i as u64 + 1,
        None if chunk == len => 0,
        None => return Ok(()),
    };
    file.set_len(keep)
        .and_then(|()| file.sync_data())
        .with_context(context)
}

fn line_id(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    if is_blank(line) {
        return None;
    }
    serde_json::from_slice::<IdOnly>(line).ok().map(|r| r.id)
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests;
