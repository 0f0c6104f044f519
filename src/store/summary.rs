//! The sidecar summary `deferred.jsonl.idx`: what `run` needs to know to skip a scan
//! when nothing is due. It is only a hint about one exact version of the store:
//!
//! - it records the store's identity (device, inode, length, mtime, ctime) as it was
//!   right after the writer that saved it, and is trusted only while the store still
//!   has exactly that identity: any other write (a hand edit, a foreign append, a
//!   rewrite, a crash between an append and the summary update) makes it stale, and
//!   `run` falls back to a full scan, which saves a fresh one;
//! - it is a conservative bound: the earliest `run_at` of every `scheduled` snapshot
//!   written since the last full scan (superseded ones included), and flags that are
//!   only ever set (an `executing` or terminal snapshot, a line that is not a record);
//!   a `paused` snapshot sets nothing (its `resume` is a `scheduled` snapshot).
//!   So it can make `run` scan when nothing is due, never skip a due task.
//!
//! It is written only under the exclusive store lock (temp file + rename), after the
//! store write it describes was fsynced; it is not fsynced itself: a lost or torn
//! summary is stale or unreadable, which means a full scan.

use std::fs::{File, Metadata};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::task::{Status, Task};

const MAGIC: &str = "defer-summary-v1";

/// What the store holds, as far as `run` is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// The earliest `run_at` (Unix seconds) of any `scheduled` snapshot, if any.
    pub earliest_scheduled: Option<i64>,
    pub executing: bool,
    pub terminal: bool,
    /// Some line is not a record (reported by every scan).
    pub bad: bool,
}

impl Summary {
    /// Accounts for one more snapshot appended to the store.
    pub fn note(&mut self, task: &Task) {
        match task.status {
            Status::Scheduled => {
                let at = task.run_at.at().timestamp();
                self.earliest_scheduled = Some(self.earliest_scheduled.map_or(at, |e| e.min(at)));
            }
            Status::Executing => self.executing = true,
            // Waits for `resume`; `run` has nothing to do for it.
            Status::Paused => {}
            _ => self.terminal = true,
        }
    }

    /// True when a runner at `now` has nothing to recover, execute, sweep or report.
    pub fn idle_at(&self, now: i64) -> bool {
        !self.executing
            && !self.terminal
            && !self.bad
            && self.earliest_scheduled.is_none_or(|e| e > now)
    }
}

/// The parts of a file's metadata that change with any write to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity([i64; 7]);

impl Identity {
    #[cfg(unix)]
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

    /// Elsewhere: length and modification time only (still exact for appends).
    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> Self {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        Identity([
            0,
            0,
            meta.len() as i64,
            modified.as_secs() as i64,
            i64::from(modified.subsec_nanos()),
            0,
            0,
        ])
    }

    pub fn file_len(&self) -> u64 {
        self.0[2] as u64
    }
}

/// The summary file beside `store`.
pub fn path_for(store: &Path) -> PathBuf {
    let mut name = store.file_name().unwrap_or_default().to_os_string();
    name.push(".idx");
    store.with_file_name(name)
}

fn encode(identity: Identity, summary: &Summary) -> String {
    let id = identity.0.map(|n| n.to_string()).join(" ");
    let earliest = summary
        .earliest_scheduled
        .map_or("-".to_string(), |e| e.to_string());
    let flag = |b: bool| if b { "1" } else { "0" };
    format!(
        "{MAGIC} {id} {earliest} {}{}{}\n",
        flag(summary.executing),
        flag(summary.terminal),
        flag(summary.bad)
    )
}

fn decode(text: &str) -> Option<(Identity, Summary)> {
    let text = text.strip_suffix('\n')?;
    let mut parts = text.split(' ');
    if parts.next()? != MAGIC {
        return None;
    }
    let mut identity = [0i64; 7];
    for n in &mut identity {
        *n = parts.next()?.parse().ok()?;
    }
    let earliest = match parts.next()? {
        "-" => None,
        n => Some(n.parse().ok()?),
    };
    let flags = parts.next()?.as_bytes();
    if parts.next().is_some() || flags.len() != 3 || flags.iter().any(|f| !matches!(f, b'0' | b'1'))
    {
        return None;
    }
    let summary = Summary {
        earliest_scheduled: earliest,
        executing: flags[0] == b'1',
        terminal: flags[1] == b'1',
        bad: flags[2] == b'1',
    };
    Some((Identity(identity), summary))
}

/// The saved summary, if it describes exactly the store as it is now (`current`).
pub fn load(store: &Path, current: Identity) -> Option<Summary> {
    let mut text = String::new();
    let file = crate::fsx::open_read(&path_for(store)).ok()??;
    std::io::Read::read_to_string(&mut std::io::Read::take(file, 4096), &mut text).ok()?;
    let (identity, summary) = decode(&text)?;
    (identity == current).then_some(summary)
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
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = Identity([1, 2, 3, 4, 5, 6, 7]);
        for summary in [
            Summary::default(),
            Summary {
                earliest_scheduled: Some(-5),
                executing: true,
                terminal: false,
                bad: true,
            },
        ] {
            assert_eq!(decode(&encode(id, &summary)), Some((id, summary)));
        }
    }

    #[test]
    fn torn_or_foreign_text_is_not_trusted() {
        let text = encode(Identity([1; 7]), &Summary::default());
        for cut in 0..text.len() {
            assert_eq!(decode(&text[..cut]), None, "{:?}", &text[..cut]);
        }
        assert_eq!(decode("something else\n"), None);
        assert_eq!(decode(&text.replace(" 000", " 002")), None);
    }

    #[test]
    fn idle_only_without_due_executing_terminal_or_bad() {
        let mut s = Summary::default();
        assert!(s.idle_at(100));
        s.earliest_scheduled = Some(100);
        assert!(!s.idle_at(100));
        assert!(s.idle_at(99));
        for flag in 0..3 {
            let mut t = s;
            *[&mut t.executing, &mut t.terminal, &mut t.bad][flag] = true;
            assert!(!t.idle_at(0));
        }
    }

    #[test]
    fn notes_keep_the_earliest_and_set_flags() {
        let at = |s: &str| crate::timestamp::Timestamp::parse(s).unwrap();
        let mut s = Summary::default();
        let task = |status, run_at| Task {
            status,
            run_at: at(run_at),
            ..Task::blank()
        };
        s.note(&task(Status::Scheduled, "2030-01-01T00:00:00Z"));
        s.note(&task(Status::Scheduled, "2031-01-01T00:00:00Z"));
        assert_eq!(
            s.earliest_scheduled,
            Some(at("2030-01-01T00:00:00Z").at().timestamp())
        );
        assert!(!s.executing && !s.terminal);
        s.note(&task(Status::Paused, "2020-01-01T00:00:00Z"));
        assert_eq!(
            s,
            Summary {
                earliest_scheduled: Some(at("2030-01-01T00:00:00Z").at().timestamp()),
                ..Summary::default()
            },
            "a paused task is neither due, executing nor terminal"
        );
        let mut missed = s;
        missed.note(&task(Status::Missed, "2031-01-01T00:00:00Z"));
        assert!(missed.terminal, "missed is terminal");
        s.note(&task(Status::Executing, "2031-01-01T00:00:00Z"));
        s.note(&task(Status::Cancelled, "2031-01-01T00:00:00Z"));
        assert!(s.executing && s.terminal);
    }
}
