//! Reading the store under a lock: the full scan (two threads for a large store),
//! the partial scan from the summary's lists, catch-up on what was appended, and the
//! line streaming they share.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use anyhow::{anyhow, Context, Result};

use super::fast;
use super::record::Entry;
use super::scan::Scan;
use super::summary::{self, Summary};
use super::Locked;

/// A full scan of a store this large is read by two threads (where there are two
/// cores): parsing, not reading, is a scan's cost.
pub(super) const PARALLEL_SCAN_BYTES: u64 = 8 << 20;

fn parallel_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

impl<M> Locked<M> {
    /// Reads the whole store.
    pub fn scan(&self) -> Result<Scan> {
        let identity = summary::identity(&self.file);
        // About one id per kilobyte of store: room for them up front, no rehashing.
        let ids = identity
            .map_or(0, |i| (i.file_len() / 1024) as usize)
            .min(1 << 20);
        let mut scan = Scan {
            identity,
            entries: Vec::with_capacity(ids),
            index: HashMap::with_capacity_and_hasher(ids, fast::BuildIdHasher),
            ..Scan::default()
        };
        let len = identity.map_or(0, |i| i.file_len());
        if len >= PARALLEL_SCAN_BYTES && parallel_cores() {
            if let Some(split) = self.split_point(len)? {
                return self.scan_halves(scan, split);
            }
        }
        self.catch_up(&mut scan)?;
        Ok(scan)
    }

    /// The offset just after the first newline at or after the middle of the first
    /// `len` bytes, if there is one before `len`: where a second reader can start.
    pub(super) fn split_point(&self, len: u64) -> Result<Option<u64>> {
        let Some(mut file) = self.open()? else {
            return Ok(None);
        };
        let middle = len / 2;
        let mut buf = vec![0u8; 64 * 1024];
        let context = || format!("reading {}", self.file.display());
        file.seek(SeekFrom::Start(middle)).with_context(context)?;
        let read = file.read(&mut buf).with_context(context)?;
        Ok(memchr::memchr(b'\n', &buf[..read])
            .map(|at| middle + at as u64 + 1)
            .filter(|&split| split < len))
    }

    /// A full scan read by two threads: `[0, split)` into `scan`, `[split, end of
    /// file)` into a second scan, merged as if one reader had read both in order
    /// (an id keeps its place of first appearance; later snapshots win; line
    /// numbers continue). Both halves parse at once on two cores.
    fn scan_halves(&self, mut first: Scan, split: u64) -> Result<Scan> {
        let mut second = Scan {
            end: split,
            ..Scan::default()
        };
        let (head, tail) = std::thread::scope(|threads| {
            let tail = threads.spawn(|| self.catch_up(&mut second));
            let head = self.read_range(&mut first, split);
            (head, tail.join())
        });
        head?;
        tail.map_err(|_| anyhow!("scanning {}: a reader thread panicked", self.file.display()))??;
        first.absorb_following(second);
        Ok(first)
    }

    /// Reads the complete lines of `[scan.end, until)` into `scan`.
    fn read_range(&self, scan: &mut Scan, until: u64) -> Result<()> {
        let Some(mut file) = self.open()? else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(scan.end))
            .with_context(|| format!("reading {}", self.file.display()))?;
        let mut part = file.take(until - scan.end);
        let start = scan.end;
        self.for_each_line_from(
            &mut part,
            start,
            scan.lines,
            |line_no, offset, bytes, complete| {
                scan.add(line_no, offset, bytes);
                if complete {
                    scan.end = offset + bytes.len() as u64 + 1;
                    scan.lines = line_no;
                }
            },
        )
    }

    /// A partial scan from the summary's lists, for a store the summary describes
    /// exactly (`summary()` returned it): the due-soon, executing and unarchived
    /// terminal snapshots, read from nowhere but the summary. `catch_up` adds what is
    /// appended later, as for a full scan.
    pub fn listed(&self, summary: &Summary) -> Scan {
        let mut scan = Scan {
            identity: summary::identity(&self.file),
            partial: true,
            ..Scan::default()
        };
        scan.end = scan.identity.map_or(0, |i| i.file_len());
        for slot in summary
            .due
            .iter()
            .chain(&summary.executing)
            .chain(&summary.terminal)
        {
            scan.index.insert(slot.id.clone(), scan.entries.len());
            scan.entries.push(Entry::of_slot(slot));
        }
        scan
    }

    /// Reads what was appended since `scan` was taken. Valid only while the file has
    /// not been rewritten, which the runner lock guarantees.
    pub fn catch_up(&self, scan: &mut Scan) -> Result<()> {
        let Some(mut file) = self.open()? else {
            return Ok(());
        };
        let start = scan.end;
        let known_bad = scan.bad.iter().filter(|b| b.offset < start).count();
        scan.bad.retain(|b| b.offset < start);
        file.seek(SeekFrom::Start(start))
            .with_context(|| format!("reading {}", self.file.display()))?;
        self.for_each_line_from(
            &mut file,
            start,
            scan.lines,
            |line_no, offset, bytes, complete| {
                scan.add(line_no, offset, bytes);
                if complete {
                    scan.end = offset + bytes.len() as u64 + 1;
                    scan.lines = line_no;
                }
            },
        )?;
        // A partial scan does not know line numbers: count them for the (rare) bad
        // line appended by someone else, so its report names the right line.
        if scan.partial {
            for i in known_bad..scan.bad.len() {
                scan.bad[i].line_no = self.line_number_at(scan.bad[i].offset)?;
            }
        }
        Ok(())
    }

    /// Calls `each(line_no, offset, bytes)` for every line, without its newline.
    pub fn for_each_line(&self, mut each: impl FnMut(usize, u64, &[u8])) -> Result<()> {
        let Some(file) = self.open()? else {
            return Ok(());
        };
        let mut file = file;
        self.for_each_line_from(&mut file, 0, 0, |n, off, bytes, _| each(n, off, bytes))
    }

    /// Reads 1 MiB at a time and hands out the lines in place (no copy per line; a
    /// line longer than the buffer grows it).
    pub(super) fn for_each_line_from(
        &self,
        reader: &mut impl Read,
        mut offset: u64,
        mut line_no: usize,
        mut each: impl FnMut(usize, u64, &[u8], bool),
    ) -> Result<()> {
        let mut buf = vec![0u8; 1 << 20];
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let read = reader
                .read(&mut buf[filled..])
                .with_context(|| format!("reading {}", self.file.display()))?;
            if read == 0 {
                if filled > 0 {
                    each(line_no + 1, offset, &buf[..filled], false);
                }
                return Ok(());
            }
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &buf[filled..filled + read]) {
                let end = filled + end;
                line_no += 1;
                each(line_no, offset, &buf[start..end], true);
                offset += (end + 1 - start) as u64;
                start = end + 1;
            }
            filled += read;
            buf.copy_within(start..filled, 0);
            filled -= start;
        }
    }
}
