//! What a pass over the store found (`Scan`): the latest snapshot of each task, the
//! lines that are not records, and the summary they make for `run`.

use std::collections::HashMap;

use super::fast;
use super::record::{is_blank, parse_entry, BadLine, Entry};
use super::summary::{self, Identity, Slot, Summary};
use crate::task::Status;

/// What a pass over the store found: the latest snapshot of each task in order of
/// first appearance, and the lines that are not records.
#[derive(Debug, Default)]
pub struct Scan {
    pub entries: Vec<Entry>,
    pub bad: Vec<BadLine>,
    pub(super) index: HashMap<String, usize, fast::BuildIdHasher>,
    /// Bytes consumed through the last complete line.
    pub(super) end: u64,
    pub(super) lines: usize,
    /// The store's identity just before the full scan began.
    pub(super) identity: Option<Identity>,
    /// Built from the summary's lists, not from reading the store: `entries` holds
    /// only what `run` acts on, and line numbers are not known (0).
    pub(super) partial: bool,
    /// Bytes of the lines that are not records (kept by every compaction).
    pub(super) bad_bytes: u64,
}

impl Scan {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    /// The entry of occurrence `occurrence` of series `series`, if stored.
    pub fn occurrence(&self, series: &str, occurrence: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            e.series
                .as_ref()
                .is_some_and(|(s, k)| s == series && *k == occurrence)
        })
    }

    /// Appends what a reader of the lines right after this scan's found, as if
    /// this scan had gone on reading them: ids keep their first place, later
    /// snapshots replace earlier ones, line numbers continue from this scan's.
    pub(super) fn absorb_following(&mut self, next: Scan) {
        let lines = self.lines;
        for mut entry in next.entries {
            entry.line_no += lines;
            match self.index.get(&entry.id) {
                Some(&i) => self.entries[i] = entry,
                None => {
                    self.index.insert(entry.id.clone(), self.entries.len());
                    self.entries.push(entry);
                }
            }
        }
        self.bad.extend(next.bad.into_iter().map(|bad| BadLine {
            line_no: bad.line_no + lines,
            ..bad
        }));
        self.bad_bytes += next.bad_bytes;
        self.lines = lines + next.lines;
        self.end = next.end;
    }

    /// The number of lines read (records, superseded snapshots and bad lines).
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// True when this scan was built from the summary's lists (see `Locked::listed`).
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The length of the store this scan has read (through its last complete line).
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Bytes a compaction keeps: the latest non-terminal snapshots and invalid lines.
    pub fn live_bytes(&self) -> u64 {
        let records: u64 = self
            .entries
            .iter()
            .filter(|e| !e.status.is_terminal())
            .map(|e| e.len as u64 + 1)
            .sum();
        records + self.bad_bytes
    }

    /// What `run` needs to know about the scanned store (see `summary`). Only
    /// meaningful for a full scan.
    pub fn summary(&self) -> Summary {
        self.summary_of(|_| true, |e| Some(e.offset), self.end)
    }

    /// The summary once every terminal record of this full scan is archived.
    pub fn summary_without_terminal(&self) -> Summary {
        self.summary_of(|e| !e.status.is_terminal(), |e| Some(e.offset), self.end)
    }

    /// The summary of the store a compaction of this full scan wrote: the kept lines
    /// moved from their old offset to `moved[old]`.
    pub fn summary_moved<S: std::hash::BuildHasher>(
        &self,
        moved: &HashMap<u64, u64, S>,
    ) -> Summary {
        let offset = |e: &Entry| moved.get(&e.offset).copied();
        self.summary_of(|e| !e.status.is_terminal(), offset, self.live_bytes())
    }

    /// The summary of the entries `keep` selects, at the offsets `offset` gives, for
    /// a store of `end` bytes. Only listed entries become slots: the `DUE_CAP + 1`
    /// earliest scheduled ones are picked without sorting them all.
    fn summary_of(
        &self,
        keep: impl Fn(&Entry) -> bool,
        offset: impl Fn(&Entry) -> Option<u64>,
        end: u64,
    ) -> Summary {
        let mut scheduled: Vec<(i64, u64, &Entry)> = Vec::new();
        let mut others = Vec::new();
        for entry in self.entries.iter().filter(|e| keep(e)) {
            let Some(at) = offset(entry) else { continue };
            match entry.status {
                // A waiting task is listed like a due one: `run` checks its answer
                // timeout (SPEC §22).
                Status::Scheduled | Status::Waiting => {
                    scheduled.push((entry.run_at.at().timestamp(), at, entry))
                }
                // Paused is never due (like a scheduled task not yet due).
                Status::Paused => {}
                _ => others.push(Slot {
                    offset: at,
                    ..entry.slot()
                }),
            }
        }
        let cap = summary::DUE_CAP + 1;
        if scheduled.len() > cap {
            scheduled.select_nth_unstable_by_key(cap, |(t, o, _)| (*t, *o));
            scheduled.truncate(cap);
        }
        let slots = scheduled
            .into_iter()
            .map(|(_, at, e)| Slot {
                offset: at,
                ..e.slot()
            })
            .chain(others);
        Summary::of_scan(slots, !self.bad.is_empty(), end, self.live_bytes())
    }

    /// Records the line; blank lines carry nothing and are ignored.
    pub(super) fn add(&mut self, line_no: usize, offset: u64, bytes: &[u8]) {
        if is_blank(bytes) {
            return;
        }
        // The common case, a valid record read fast (`fast`, which accepts exactly
        // what the full parse accepts): no allocation for an id seen before.
        if let Some(fields) = fast::read(bytes) {
            let entry = |id: String| Entry {
                id,
                status: fields.status,
                run_at: fields.run_at,
                archive_stamp: fields.archive_stamp,
                key: fields.key.map(str::to_string),
                // The fast reader takes no line with a `series` (a field it does not
                // know): this is not an occurrence.
                series: None,
                line_no,
                offset,
                len: bytes.len(),
            };
            match self.index.get(fields.id) {
                Some(&i) => {
                    let id = std::mem::take(&mut self.entries[i].id);
                    self.entries[i] = entry(id);
                }
                None => {
                    self.index.insert(fields.id.to_string(), self.entries.len());
                    self.entries.push(entry(fields.id.to_string()));
                }
            }
            return;
        }
        match parse_entry(bytes, line_no, offset) {
            Ok(entry) => match self.index.get(&entry.id) {
                Some(&i) => self.entries[i] = entry,
                None => {
                    self.index.insert(entry.id.clone(), self.entries.len());
                    self.entries.push(entry);
                }
            },
            Err(reason) => {
                self.bad_bytes += bytes.len() as u64 + 1;
                self.bad.push(BadLine {
                    line_no,
                    offset,
                    reason,
                })
            }
        }
    }
}
