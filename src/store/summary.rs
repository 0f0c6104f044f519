//! The sidecar summary `deferred.jsonl.idx`: what `run` needs to know to skip a scan
//! when nothing is due, and to find what is due without one. It is only a hint about
//! one exact version of the store:
//!
//! - it records the store's identity (device, inode, length, mtime, ctime) as it was
//!   right after the writer that saved it, and is trusted only while the store still
//!   has exactly that identity: any other write (a hand edit, a foreign append, a
//!   rewrite, a crash between an append and the summary update) makes it stale, and
//!   `run` falls back to a full scan, which saves a fresh one;
//! - it lists, by offset in the store, the latest snapshots `run` acts on: the
//!   `scheduled` ones with the earliest `run_at` (at most `DUE_CAP`; every other
//!   scheduled snapshot, superseded ones included, has `run_at >= beyond`), the
//!   `executing` ones (orphans to recover) and the terminal ones not yet archived.
//!   Every append removes the task's id from the lists before adding its new
//!   snapshot, so a listed snapshot is always its task's latest. A list that would
//!   grow past its cap sets `overflow`, which means a full scan;
//! - `dead` counts bytes of the store known to be superseded or already archived
//!   (an undercount when others supersede snapshots it does not list): the archive
//!   sweep's compaction rule (SPEC §18) reads it.
//!
//! It is written only under the exclusive store lock (temp file + rename), after the
//! store write it describes was fsynced; it is not fsynced itself: a lost or torn
//! summary is stale or unreadable, which means a full scan.

use std::fs::{File, Metadata};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::task::{ClosedSet, Status, Task};

const MAGIC: &str = "defer-summary-v2";

/// At most this many due-soon `scheduled` snapshots are listed.
pub const DUE_CAP: usize = 256;
/// At most this many `executing` snapshots, and as many terminal ones, are listed.
pub const EXECUTING_CAP: usize = 64;
pub const TERMINAL_CAP: usize = 1024;
/// Summaries are read whole but never more than this (a larger file is not ours).
const MAX_BYTES: u64 = 1 << 20;

/// One listed snapshot: where its line is, and what `run` needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: String,
    pub status: Status,
    /// `run_at` (scheduled), the archive stamp (terminal), 0 (executing); Unix seconds.
    pub at: i64,
    pub offset: u64,
    /// The line's length without its newline.
    pub len: u64,
}

/// What the store holds, as far as `run` is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Latest `scheduled` snapshots, earliest `run_at` first (ties in store order).
    pub due: Vec<Slot>,
    /// Every `scheduled` snapshot not in `due` has `run_at >= beyond`; `None`: none.
    pub beyond: Option<i64>,
    /// Latest `executing` snapshots (orphans, for a runner that finds them).
    pub executing: Vec<Slot>,
    /// Latest terminal snapshots not known to be archived yet.
    pub terminal: Vec<Slot>,
    /// The terminal ones came from a full scan: some may already be archived, so the
    /// sweep checks the archive for them.
    pub unsure: bool,
    /// A list outgrew its cap: `run` must scan.
    pub overflow: bool,
    /// Some line is not a record (reported by every scan).
    pub bad: bool,
    /// Bytes known to be superseded or archived: what a compaction would drop.
    pub dead: u64,
}

impl Summary {
    /// Accounts for one more snapshot appended to the store, its line at `offset`
    /// (`len` bytes without the newline).
    pub fn note(&mut self, task: &Task, offset: u64, len: u64) {
        self.forget_id(&task.id);
        let slot = |at| Slot {
            id: task.id.clone(),
            status: task.status,
            at,
            offset,
            len,
        };
        match task.status {
            // A waiting task is listed like a due one: `run` checks its answer timeout.
            Status::Scheduled | Status::Waiting => {
                self.add_scheduled(slot(task.run_at.at().timestamp()))
            }
            Status::Executing => self.add_executing(slot(0)),
            // Waits for `resume`; `run` has nothing to do for it.
            Status::Paused => {}
            _ => self.add_terminal(slot(task.archive_stamp().at().timestamp())),
        }
    }

    /// The task's listed snapshot (if any) is superseded: its bytes are dead.
    fn forget_id(&mut self, id: &str) {
        for list in [&mut self.due, &mut self.executing, &mut self.terminal] {
            if let Some(i) = list.iter().position(|s| s.id == id) {
                self.dead += list.remove(i).len + 1;
            }
        }
    }

    fn add_scheduled(&mut self, slot: Slot) {
        if self.beyond.is_some_and(|b| slot.at >= b) {
            return;
        }
        let at = self
            .due
            .partition_point(|s| (s.at, s.offset) <= (slot.at, slot.offset));
        self.due.insert(at, slot);
        if self.due.len() > DUE_CAP {
            let last = self.due.pop().expect("over the cap");
            self.beyond = Some(self.beyond.map_or(last.at, |b| b.min(last.at)));
        }
    }

    /// A full list drops the slot and sets `overflow`: from then on only a full scan
    /// knows the store.
    fn add_executing(&mut self, slot: Slot) {
        match self.executing.len() < EXECUTING_CAP {
            true => self.executing.push(slot),
            false => self.overflow = true,
        }
    }

    fn add_terminal(&mut self, slot: Slot) {
        match self.terminal.len() < TERMINAL_CAP {
            true => self.terminal.push(slot),
            false => self.overflow = true,
        }
    }

    /// The summary of a full scan: `latest` yields every task's latest snapshot in
    /// store order (as slots), `live` is the number of bytes a compaction would keep.
    pub fn of_scan(latest: impl Iterator<Item = Slot>, bad: bool, end: u64, live: u64) -> Self {
        let mut summary = Summary {
            bad,
            dead: end.saturating_sub(live),
            ..Summary::default()
        };
        let mut scheduled = Vec::new();
        for slot in latest {
            match slot.status {
                Status::Scheduled | Status::Waiting => scheduled.push(slot),
                Status::Executing => summary.add_executing(slot),
                Status::Paused => {}
                _ => {
                    summary.dead -= (slot.len + 1).min(summary.dead);
                    summary.unsure = true;
                    summary.add_terminal(slot);
                }
            }
        }
        scheduled.sort_by_key(|s| (s.at, s.offset));
        if scheduled.len() > DUE_CAP {
            summary.beyond = Some(scheduled[DUE_CAP].at);
            scheduled.truncate(DUE_CAP);
        }
        summary.due = scheduled;
        summary
    }

    /// True when a runner at `now` has nothing to recover, execute, sweep or report.
    pub fn idle_at(&self, now: i64) -> bool {
        self.listed_at(now)
            && self.executing.is_empty()
            && self.terminal.is_empty()
            && self.due.first().is_none_or(|s| s.at > now)
    }

    /// True when the lists hold everything a runner at `now` acts on, so it can work
    /// from them without reading the whole store.
    pub fn listed_at(&self, now: i64) -> bool {
        !self.overflow && !self.bad && self.beyond.is_none_or(|b| b > now)
    }

    /// True when every listed line lies inside a store of `len` bytes, ends before
    /// its last byte (a listed line has its newline) and is within the store's line
    /// limit: a summary that fails is corrupt and not trusted (a full scan), never an
    /// allocation of whatever a `len` says.
    fn fits(&self, len: u64) -> bool {
        let inside = |s: &Slot| {
            s.len <= crate::store::MAX_LINE_BYTES
                && s.offset.checked_add(s.len).is_some_and(|end| end < len)
        };
        self.due.iter().all(inside)
            && self.executing.iter().all(inside)
            && self.terminal.iter().all(inside)
    }

    /// The terminal snapshots were archived: their bytes are dead, nothing is pending.
    pub fn archived_terminal(&mut self) {
        self.dead += self.terminal.iter().map(|s| s.len + 1).sum::<u64>();
        self.terminal.clear();
        self.unsure = false;
    }
}

/// The parts of a file's metadata that change with any write to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity([i64; 7]);

impl Identity {
    pub fn of(meta: &Metadata) -> Self {
        Identity([
            meta.dev() as i64,
            meta.ino() as i64,
            meta.len() as i64,
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        ])
    }

    pub fn file_len(&self) -> u64 {
        self.0[2] as u64
    }
}

/// The summary file beside `store` (named by `config::summary_of`).
pub fn path_for(store: &Path) -> PathBuf {
    crate::config::summary_of(store)
}

fn encode(identity: Identity, summary: &Summary) -> String {
    use std::fmt::Write as _;
    let id = identity.0.map(|n| n.to_string()).join(" ");
    let beyond = summary.beyond.map_or("-".to_string(), |e| e.to_string());
    let flag = |b: bool| if b { "1" } else { "0" };
    let mut text = format!(
        "{MAGIC} {id} {beyond} {} {}{}{}\n",
        summary.dead,
        flag(summary.overflow),
        flag(summary.unsure),
        flag(summary.bad)
    );
    for (tag, list) in [
        ('d', &summary.due),
        ('x', &summary.executing),
        ('t', &summary.terminal),
    ] {
        for s in list {
            let _ = writeln!(
                text,
                "{tag} {} {} {} {} {}",
                s.status, s.at, s.offset, s.len, s.id
            );
        }
    }
    text.push_str("end\n");
    text
}

fn decode(text: &str) -> Option<(Identity, Summary)> {
    let text = text.strip_suffix("end\n")?;
    let mut lines = text.split_terminator('\n');
    let mut parts = lines.next()?.split(' ');
    if parts.next()? != MAGIC {
        return None;
    }
    let mut identity = [0i64; 7];
    for n in &mut identity {
        *n = parts.next()?.parse().ok()?;
    }
    let beyond = match parts.next()? {
        "-" => None,
        n => Some(n.parse().ok()?),
    };
    let dead = parts.next()?.parse().ok()?;
    let flags = parts.next()?.as_bytes();
    if parts.next().is_some() || flags.len() != 3 || flags.iter().any(|f| !matches!(f, b'0' | b'1'))
    {
        return None;
    }
    let mut summary = Summary {
        beyond,
        dead,
        overflow: flags[0] == b'1',
        unsure: flags[1] == b'1',
        bad: flags[2] == b'1',
        ..Summary::default()
    };
    for line in lines {
        let mut parts = line.split(' ');
        let tag = parts.next()?;
        let slot = Slot {
            status: Status::from_name(parts.next()?)?,
            at: parts.next()?.parse().ok()?,
            offset: parts.next()?.parse().ok()?,
            len: parts.next()?.parse().ok()?,
            id: parts.next()?.to_string(),
        };
        if parts.next().is_some() || !crate::task::is_valid_id(&slot.id) {
            return None;
        }
        let list = match (tag, slot.status) {
            ("d", Status::Scheduled | Status::Waiting) => &mut summary.due,
            ("x", Status::Executing) => &mut summary.executing,
            ("t", s) if s.is_terminal() => &mut summary.terminal,
            _ => return None,
        };
        list.push(slot);
    }
    Some((Identity(identity), summary))
}

/// The saved summary, if it describes exactly the store as it is now (`current`).
pub fn load(store: &Path, current: Identity) -> Option<Summary> {
    let mut text = String::new();
    let file = crate::safe_fs::open_read(&path_for(store)).ok()??;
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_BYTES), &mut text).ok()?;
    let (identity, summary) = decode(&text)?;
    (identity == current && summary.fits(current.file_len())).then_some(summary)
}

/// The store's identity now, if it exists.
pub fn identity(store: &Path) -> Option<Identity> {
    std::fs::metadata(store).ok().map(|m| Identity::of(&m))
}

/// Saves `summary` for the store as `identity`. Best effort: on failure the old file
/// is removed so it cannot be trusted (it could not match anyway after a write).
pub fn save(store: &Path, identity: Identity, summary: &Summary) {
    let path = path_for(store);
    let dir = store.parent().unwrap_or(Path::new("."));
    let written = tempfile::NamedTempFile::new_in(dir).and_then(|mut tmp| {
        tmp.write_all(encode(identity, summary).as_bytes())?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    });
    if written.is_err() {
        forget(store);
    }
}

/// Removes the summary: the next `run` scans.
pub fn forget(store: &Path) {
    let _ = std::fs::remove_file(path_for(store));
}

/// The identity of an open file.
pub fn identity_of(file: &File) -> Option<Identity> {
    file.metadata().ok().map(|m| Identity::of(&m))
}

#[cfg(test)]
mod tests;
