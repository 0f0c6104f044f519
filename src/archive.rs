//! The archive sweep: terminal tasks move to `archive/deferred_YYYYMM.jsonl`, and the
//! active store is compacted to the latest snapshot of each remaining task (invalid
//! lines kept verbatim) when that is worth it (SPEC §18). Exactly once, even when
//! killed anywhere and re-run:
//!
//! 1. write `archive/.sweep-pending` (the months about to grow), fsynced;
//! 2. append the terminal lines to their month files, fsync;
//! 3. compaction: rename the compacted store into place, fsync the directory;
//!    lazy (a large store, few dead bytes): leave the store as it is and save a
//!    summary that no longer lists those records as waiting for the archive;
//! 4. remove the marker.
//!
//! A terminal record still in the active store may already be archived: its month
//! file then holds a line with the same id and the same bytes. A sweep looks there
//! (and skips such lines) whenever it cannot know better: after a crash (the marker
//! is there; it also trims a torn tail from those month files), after a full scan,
//! and for terminal records a summary could not vouch for.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::config::Paths;
use crate::safe_fs;
use crate::store::summary::Summary;
use crate::store::{is_blank, Entry, Exclusive, Locked, Scan};

/// The marker's name inside the archive directory.
pub const MARKER: &str = ".sweep-pending";

/// A store smaller than this is compacted by every sweep, as before SPEC §18.
pub const COMPACT_BELOW: u64 = 8 << 20;

/// What a sweep moved: `(id, archive file)` in store order.
#[derive(Debug, Default)]
pub struct Swept {
    pub archived: Vec<(String, PathBuf)>,
    /// The active store was rewritten (else the records stay there, archived).
    pub compacted: bool,
}

/// True when a sweep has anything to do for this scan.
pub fn needed(scan: &Scan, paths: &Paths) -> bool {
    scan.entries.iter().any(|e| e.status.is_terminal()) || paths.archive_dir.join(MARKER).exists()
}

/// `defer archive`: moves the scan's terminal tasks to the archive and always
/// compacts the store. `scan` must be a full scan, current for `locked`.
pub fn sweep(locked: &Locked<Exclusive>, scan: &Scan, paths: &Paths) -> Result<Swept> {
    let listed = locked.summary_now().map(|(_, s)| s);
    compact(locked, scan, paths, listed.as_ref())
}

/// The runner's sweep (SPEC §18): archives the scan's terminal tasks at once, but
/// rewrites the store only when it is under `COMPACT_BELOW` or when its dead bytes
/// (superseded and archived snapshots) would pass a quarter of it. `scan` must be
/// current for `locked`; a partial scan whose summary no longer describes the store
/// is replaced by a full one first.
pub fn settle(locked: &Locked<Exclusive>, scan: &mut Scan, paths: &Paths) -> Result<Swept> {
    let listed = locked.summary_now();
    if scan.is_partial() && listed.is_none() {
        *scan = locked.scan()?;
    }
    let end = scan.end();
    let terminal: u64 = terminal_entries(scan).map(|e| e.len as u64 + 1).sum();
    let dead = match (&listed, scan.is_partial()) {
        (Some((_, summary)), true) => summary.dead + terminal,
        _ => end.saturating_sub(scan.live_bytes()),
    };
    if end < COMPACT_BELOW || dead.saturating_mul(4) > end {
        if scan.is_partial() {
            *scan = locked.scan()?;
        }
        let listed = listed.map(|(_, s)| s);
        return compact(locked, scan, paths, listed.as_ref());
    }
    lazy(locked, scan, paths, listed)
}

/// The terminal records of a scan: each task's latest snapshot when it is final.
fn terminal_entries(scan: &Scan) -> impl Iterator<Item = &Entry> {
    scan.entries.iter().filter(|e| e.status.is_terminal())
}

/// Archives without rewriting the store; the summary (when it was current) is saved
/// with those records no longer waiting.
fn lazy(
    locked: &Locked<Exclusive>,
    scan: &Scan,
    paths: &Paths,
    listed: Option<(crate::store::summary::Identity, Summary)>,
) -> Result<Swept> {
    let entries: Vec<&Entry> = terminal_entries(scan).collect();
    let check = match &listed {
        Some((_, summary)) => !scan.is_partial() || summary.unsure,
        None => true,
    };
    let mut swept = Swept::default();
    let Some(mut writers) = begin(paths, &entries, check)? else {
        return Ok(swept);
    };
    let mut pending = entries.iter();
    locked.read_lines(entries.iter().map(|e| (e.offset, e.len)), |bytes| {
        let entry = pending.next().expect("one line per entry");
        if !holds(bytes, &entry.id) {
            // A summary that points at the wrong line: never archive it; the next
            // run scans the whole store (the marker makes it check the archive).
            locked.forget_summary();
            anyhow::bail!(
                "{}: the line at byte {} is not task {}'s record",
                locked.path().display(),
                entry.offset,
                entry.id
            );
        }
        let path = writers.write(&entry.id, &entry.archive_stamp.year_month(), bytes)?;
        swept.archived.push((entry.id.clone(), path));
        Ok(())
    })?;
    writers.finish()?;
    match listed {
        Some((identity, mut summary)) => {
            if scan.is_partial() {
                summary.archived_terminal();
            } else {
                summary = scan.summary_without_terminal();
            }
            locked.save_summary_for(identity, &summary);
        }
        None => locked.forget_summary(),
    }
    end(&writers.marker, paths)?;
    Ok(swept)
}

/// True when `bytes` is a record of task `id`.
fn holds(bytes: &[u8], id: &str) -> bool {
    match crate::store::fast::read(bytes) {
        Some(fields) => fields.id == id,
        None => crate::store::parse_record(bytes).is_ok_and(|t| t.id == id),
    }
}

/// Archives and rewrites the store with what stays: non-terminal latest snapshots
/// and invalid lines, in store order; saves the new store's summary.
fn compact(
    locked: &Locked<Exclusive>,
    scan: &Scan,
    paths: &Paths,
    listed: Option<&Summary>,
) -> Result<Swept> {
    let mut plan = Plan::new(scan);
    let entries: Vec<&Entry> = terminal_entries(scan).collect();
    // Records the summary lists as waiting were never archived; any other terminal
    // record may have been (a lazy sweep leaves them in the store), so look.
    let vouched: HashSet<u64> = match listed {
        Some(s) if !s.unsure && !s.overflow => s.terminal.iter().map(|t| t.offset).collect(),
        _ => HashSet::new(),
    };
    let check = entries.iter().any(|e| !vouched.contains(&e.offset));
    let mut swept = Swept {
        compacted: true,
        ..Swept::default()
    };
    let Some(mut writers) = begin(paths, &entries, check)? else {
        return Ok(swept);
    };
    let mut moved: HashMap<u64, u64, crate::store::fast::BuildIdHasher> = HashMap::default();
    let mut written = 0u64;
    locked.rewrite(|out| {
        locked.for_each_line(|_, offset, bytes| {
            let step = match plan.action(offset) {
                Action::Keep => {
                    moved.insert(offset, written);
                    written += bytes.len() as u64 + 1;
                    out.write_all(bytes)
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(Into::into)
                }
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
    locked.save_summary_as(&scan.summary_moved(&moved), written);
    end(&writers.marker, paths)?;
    Ok(swept)
}

/// Steps 1 and the set-up of 2: the marker (with the months of an interrupted sweep,
/// whose files are repaired) and the open month files. `None` when there is nothing
/// to archive and nothing to recover. `check`: some records may be archived already.
fn begin(paths: &Paths, entries: &[&Entry], check: bool) -> Result<Option<MonthWriters>> {
    let marker = paths.archive_dir.join(MARKER);
    let recovering = marker.exists();
    let mut months: BTreeSet<String> = entries
        .iter()
        .map(|e| e.archive_stamp.year_month())
        .collect();
    if months.is_empty() && !recovering {
        return Ok(None);
    }
    if recovering {
        months.extend(read_marker(&marker)?);
    }
    safe_fs::write_atomic(&marker, marker_text(&months).as_bytes())?;
    let mut writers = MonthWriters::open(paths, &months, recovering, marker)?;
    if check || recovering {
        let ids: HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        writers.remember(&ids)?;
    }
    Ok(Some(writers))
}

/// Step 4.
fn end(marker: &Path, paths: &Paths) -> Result<()> {
    std::fs::remove_file(marker).with_context(|| format!("removing {}", marker.display()))?;
    safe_fs::sync_dir(&paths.archive_dir)
}

/// Logs one `archived` line per task, in one write.
pub fn log(audit: &AuditLog, swept: &Swept, now: DateTime<Utc>) {
    let shown: Vec<_> = swept
        .archived
        .iter()
        .map(|(id, path)| (id, path.display()))
        .collect();
    let fields: Vec<[(&str, &dyn std::fmt::Display); 2]> = shown
        .iter()
        .map(|(id, path)| [("id", *id as &dyn std::fmt::Display), ("file", path)])
        .collect();
    let rows: Vec<&[(&str, &dyn std::fmt::Display)]> = fields.iter().map(|f| &f[..]).collect();
    audit.record_rows(now, Event::Archived, &rows);
}

enum Action<'a> {
    Keep,
    Archive { id: &'a str, month: &'a str },
    Drop,
}

/// For each line of the store, by offset: keep, archive (to which month) or drop
/// (superseded). Lines come in file order, so the plan is a sorted list read with a
/// cursor: no lookup per line.
struct Plan<'a> {
    steps: Vec<(u64, Option<&'a Entry>)>,
    next: usize,
    /// `YYYYMM` by (year, month): formatted once per month, not once per record.
    months: HashMap<(i32, u32), String>,
}

impl<'a> Plan<'a> {
    fn new(scan: &'a Scan) -> Self {
        use chrono::Datelike;
        let mut steps: Vec<(u64, Option<&Entry>)> =
            scan.bad.iter().map(|b| (b.offset, None)).collect();
        let mut months = HashMap::new();
        for entry in &scan.entries {
            if entry.status.is_terminal() {
                let at = entry.archive_stamp.at();
                months
                    .entry((at.year(), at.month()))
                    .or_insert_with(|| entry.archive_stamp.year_month());
            }
            steps.push((entry.offset, Some(entry)));
        }
        steps.sort_unstable_by_key(|(offset, _)| *offset);
        Plan {
            steps,
            next: 0,
            months,
        }
    }

    /// The action for the line at `offset`; offsets must come in increasing order.
    fn action(&mut self, offset: u64) -> Action<'_> {
        use chrono::Datelike;
        while self.steps.get(self.next).is_some_and(|(o, _)| *o < offset) {
            self.next += 1;
        }
        match self.steps.get(self.next) {
            Some(&(o, entry)) if o == offset => match entry {
                Some(e) if e.status.is_terminal() => {
                    let at = e.archive_stamp.at();
                    let month = &self.months[&(at.year(), at.month())];
                    Action::Archive { id: &e.id, month }
                }
                _ => Action::Keep,
            },
            _ => Action::Drop,
        }
    }
}

fn marker_text(months: &BTreeSet<String>) -> String {
    months.iter().map(|m| format!("{m}\n")).collect()
}

fn read_marker(marker: &Path) -> Result<Vec<String>> {
    let mut text = String::new();
    if let Some(mut file) = safe_fs::open_read(marker)? {
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
    /// `(id, hash of line)` already in the month files, for the ids looked for.
    present: HashSet<(String, u64)>,
    failed: Option<anyhow::Error>,
    created_dir: bool,
    dir: PathBuf,
    marker: PathBuf,
}

impl MonthWriters {
    /// Opens the month files for appending; `repair`: trims a torn tail first.
    fn open(
        paths: &Paths,
        months: &BTreeSet<String>,
        repair: bool,
        marker: PathBuf,
    ) -> Result<Self> {
        let created_dir = !paths.archive_dir.exists();
        safe_fs::ensure_dir(&paths.archive_dir)?;
        let mut writers = MonthWriters {
            files: BTreeMap::new(),
            present: HashSet::new(),
            failed: None,
            created_dir,
            dir: paths.archive_dir.clone(),
            marker,
        };
        for month in months {
            let path = paths.archive_file(month);
            let mut file = safe_fs::open_rw(&path)?;
            if repair {
                trim_torn_tail(&file, &path)?;
            }
            let len = file
                .seek(SeekFrom::End(0))
                .with_context(|| format!("seeking {}", path.display()))?;
            // A month file missing its final newline (a hand edit, a copy cut short)
            // gets one first, as the store's own append does: its last line stays a
            // line of its own, never glued to the next record.
            let torn = len > 0
                && !crate::store::ends_with_newline(&mut file, len)
                    .with_context(|| format!("reading {}", path.display()))?;
            let mut writer = BufWriter::with_capacity(256 * 1024, file);
            if torn {
                writer
                    .write_all(b"\n")
                    .with_context(|| format!("appending to {}", path.display()))?;
            }
            writers.files.insert(month.clone(), (path, writer));
        }
        Ok(writers)
    }

    /// Notes the lines of `ids` the month files already hold (only those: a month
    /// file can be far larger than the store).
    fn remember(&mut self, ids: &HashSet<&str>) -> Result<()> {
        let paths: Vec<PathBuf> = self.files.values().map(|(p, _)| p.clone()).collect();
        for path in paths {
            let Some(file) = safe_fs::open_read(&path)? else {
                continue;
            };
            let reader = BufReader::with_capacity(256 * 1024, file);
            for line in reader.split(b'\n') {
                let line = line.with_context(|| format!("reading {}", path.display()))?;
                if let Some(id) = line_id(&line).filter(|id| ids.contains(id.as_str())) {
                    self.present.insert((id, hash(&line)));
                }
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
                safe_fs::sync_dir(parent)?;
            }
        }
        safe_fs::sync_dir(&self.dir)
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
