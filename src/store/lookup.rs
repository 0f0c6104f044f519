//! Targeted reads of the locked store: one record by its entry, lines by offset, the
//! records that mention a needle, whether needles occur at all, a line's number.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::record::{parse_record, Entry};
use super::scan::Scan;
use super::Locked;
use crate::task::Task;

impl<M> Locked<M> {
    /// The full record of an entry, read from its line.
    /// The line must hold that task: an entry from a summary that went wrong never
    /// makes the runner act on another task.
    pub fn load(&self, entry: &Entry) -> Result<Task> {
        let bytes = self.read_line(entry.offset, entry.len)?;
        let task: Task = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "{}:{}: invalid record for task {}: {e}",
                self.file.display(),
                entry.line_no,
                entry.id
            )
        })?;
        if task.id != entry.id {
            return Err(anyhow!(
                "{}: the line at byte {} holds task {}, not {}",
                self.file.display(),
                entry.offset,
                task.id,
                entry.id
            ));
        }
        Ok(task)
    }

    /// Calls `each` with the record on every line that contains `needle`, in file
    /// order, parsing no other line. For a needle every snapshot of a task carries (its
    /// quoted id), the last record seen for that task is its latest snapshot.
    pub fn records_mentioning(&self, needle: &[u8], mut each: impl FnMut(Task)) -> Result<()> {
        let finder = memchr::memmem::Finder::new(needle);
        self.for_each_line(|_, _, bytes| {
            if finder.find(bytes).is_some() {
                if let Ok(task) = parse_record(bytes) {
                    each(task);
                }
            }
        })
    }

    /// Adds to a partial `scan` the latest snapshot of every task with a line that
    /// mentions `needle`, up to what the scan has read, parsing no other line: what a
    /// series claim needs (all occurrences of one series, whose lines carry its quoted
    /// id) at the cost of one `memchr` pass instead of a full scan.
    pub fn absorb_mentioning(&self, scan: &mut Scan, needle: &[u8]) -> Result<()> {
        let finder = memchr::memmem::Finder::new(needle);
        let end = scan.end;
        self.for_each_line(|_, offset, bytes| {
            if offset < end && finder.find(bytes).is_some() {
                // A partial scan knows no line numbers (0, counted when needed).
                scan.add(0, offset, bytes);
            }
        })
    }

    /// The raw bytes of one line.
    pub fn read_line(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut file = self
            .open()?
            .ok_or_else(|| anyhow!("{} disappeared", self.file.display()))?;
        let mut bytes = vec![0; len];
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .with_context(|| format!("reading {}", self.file.display()))?;
        Ok(bytes)
    }

    /// Calls `each` with the raw bytes of every `(offset, len)` line, in the given
    /// order, through one open file.
    pub fn read_lines(
        &self,
        lines: impl IntoIterator<Item = (u64, usize)>,
        mut each: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut file = self
            .open()?
            .ok_or_else(|| anyhow!("{} disappeared", self.file.display()))?;
        let mut bytes = Vec::new();
        for (offset, len) in lines {
            bytes.resize(len, 0);
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_exact(&mut bytes))
                .with_context(|| format!("reading {}", self.file.display()))?;
            each(&bytes)?;
        }
        Ok(())
    }

    /// True when `needle` occurs anywhere in the file: a fast pre-check before a scan.
    pub fn contains(&self, needle: &[u8]) -> Result<bool> {
        Ok(self.contains_each(&[needle])?[0])
    }

    /// For each needle, whether it occurs anywhere in the file, in one pass over it.
    pub fn contains_each(&self, needles: &[&[u8]]) -> Result<Vec<bool>> {
        match self.open()? {
            Some(file) => contains_each_in(file, &self.file, needles),
            None => Ok(vec![false; needles.len()]),
        }
    }

    /// The 1-based number of the line that starts at `offset`.
    pub fn line_number_at(&self, offset: u64) -> Result<usize> {
        let Some(file) = self.open()? else {
            return Ok(1);
        };
        let mut reader = std::io::Read::take(file, offset);
        let mut buf = vec![0u8; 1 << 17];
        let mut lines = 1;
        loop {
            let read = reader
                .read(&mut buf)
                .with_context(|| format!("reading {}", self.file.display()))?;
            if read == 0 {
                return Ok(lines);
            }
            lines += memchr::memchr_iter(b'\n', &buf[..read]).count();
        }
    }
}

/// For each needle, whether it occurs anywhere in `file` (at `path`), in one streaming
/// pass of 128 KiB blocks at memory speed (`memchr::memmem`).
pub fn contains_each_in(mut file: File, path: &Path, needles: &[&[u8]]) -> Result<Vec<bool>> {
    let mut found = vec![false; needles.len()];
    let finders: Vec<_> = needles.iter().map(memchr::memmem::Finder::new).collect();
    let keep = needles
        .iter()
        .map(|n| n.len())
        .max()
        .unwrap_or(0)
        .saturating_sub(1);
    let mut buf = vec![0u8; 1 << 17];
    let mut filled = 0;
    loop {
        let read = file
            .read(&mut buf[filled..])
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            return Ok(found);
        }
        filled += read;
        for (finder, hit) in finders.iter().zip(found.iter_mut()) {
            *hit = *hit || finder.find(&buf[..filled]).is_some();
        }
        if found.iter().all(|&hit| hit) {
            return Ok(found);
        }
        let tail = filled.min(keep);
        buf.copy_within(filled - tail..filled, 0);
        filled = tail;
    }
}
