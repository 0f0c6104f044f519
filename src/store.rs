//! The active store `deferred.jsonl`: an append-only log of task snapshots behind a
//! lock file. Owns locking, the streaming scan (latest snapshot per id, invalid lines
//! kept and reported), appends and the atomic rewrite used by compaction. It does not
//! decide what to write: commands, the runner and the archive sweep do.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::fsx;
use crate::store::summary::{Identity, Slot, Summary};
use crate::task::{is_valid_id, Status, Task};
use crate::timestamp::Timestamp;

pub mod fast;
pub mod invalid;
pub mod summary;

/// The longest line `defer` writes to the store: `schedule` keeps a new record to
/// half of it (`schedule::bounds`), and a summary entry claiming a longer line is not
/// trusted. Reading takes any length (a hand-written line may be longer).
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// A full scan of a store this large is read by two threads (where there are two
/// cores): parsing, not reading, is a scan's cost.
const PARALLEL_SCAN_BYTES: u64 = 8 << 20;

fn parallel_cores() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// The store's files. Cheap to build; opens nothing until locked.
#[derive(Debug, Clone)]
pub struct Store {
    file: PathBuf,
    lock: PathBuf,
    /// The archive directory, where an id lives on after its record left the store.
    archive: Option<PathBuf>,
    /// `DEFER_ALLOW_NETWORK_FS=1`: write even on NFS/CIFS.
    allow_network_fs: bool,
}

/// Lock modes, as types: only an exclusive guard can write.
#[derive(Debug)]
pub enum Shared {}
#[derive(Debug)]
pub enum Exclusive {}

/// The store under a lock held until drop.
#[derive(Debug)]
pub struct Locked<M> {
    file: PathBuf,
    archive: Option<PathBuf>,
    _lock: Option<File>,
    _mode: PhantomData<fn() -> M>,
}

impl Store {
    pub fn new(file: impl Into<PathBuf>, lock: impl Into<PathBuf>) -> Self {
        Store {
            file: file.into(),
            lock: lock.into(),
            archive: None,
            allow_network_fs: false,
        }
    }

    /// The store of `paths`, once its directories and files pass the trust checks
    /// (`trust::require`: owned by the user, not writable by others, the store a
    /// regular file). Writes are also refused on a network filesystem unless
    /// `allow_network_fs`.
    pub fn open(paths: &crate::config::Paths, allow_network_fs: bool) -> Result<Self> {
        crate::trust::require(paths)?;
        Ok(Store {
            allow_network_fs,
            archive: Some(paths.archive_dir.clone()),
            ..Store::new(&paths.tasks_file, paths.store_lock())
        })
    }

    pub fn path(&self) -> &Path {
        &self.file
    }

    /// A shared lock for reading. A store whose directory does not exist yet reads as
    /// empty without creating anything.
    pub fn read(&self) -> Result<Locked<Shared>> {
        let dir_exists = self.lock.parent().is_none_or(Path::exists);
        let lock = if dir_exists {
            let file = fsx::open_rw(&self.lock)?;
            file.lock_shared()
                .with_context(|| format!("locking {}", self.lock.display()))?;
            Some(file)
        } else {
            None
        };
        Ok(self.guard(lock))
    }

    /// The exclusive lock every write holds; waits for other holders.
    pub fn write(&self) -> Result<Locked<Exclusive>> {
        crate::trust::require_local(&self.file, self.allow_network_fs)?;
        let file = fsx::open_rw(&self.lock)?;
        file.lock()
            .with_context(|| format!("locking {}", self.lock.display()))?;
        Ok(self.guard(Some(file)))
    }

    fn guard<M>(&self, lock: Option<File>) -> Locked<M> {
        Locked {
            file: self.file.clone(),
            archive: self.archive.clone(),
            _lock: lock,
            _mode: PhantomData,
        }
    }
}

/// Where the latest snapshot of one task sits, and what the runner needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub status: Status,
    pub run_at: Timestamp,
    /// The month this record is archived under, if terminal.
    pub archive_stamp: Timestamp,
    pub key: Option<String>,
    /// A series occurrence's (series id, occurrence number).
    pub series: Option<(String, u32)>,
    /// 1-based line number in the file.
    pub line_no: usize,
    pub offset: u64,
    pub len: usize,
}

impl Entry {
    /// The entry as the summary lists it.
    pub fn slot(&self) -> Slot {
        let at = match self.status {
            Status::Scheduled => self.run_at.at().timestamp(),
            Status::Executing | Status::Paused => 0,
            _ => self.archive_stamp.at().timestamp(),
        };
        Slot {
            id: self.id.clone(),
            status: self.status,
            at,
            offset: self.offset,
            len: self.len as u64,
        }
    }

    /// The entry of a listed snapshot: only what `run` reads (no key, no line number).
    fn of_slot(slot: &Slot) -> Self {
        let at = crate::timestamp::Timestamp::new(
            chrono::DateTime::from_timestamp(slot.at, 0).unwrap_or_default(),
        );
        Entry {
            id: slot.id.clone(),
            status: slot.status,
            run_at: at,
            archive_stamp: at,
            key: None,
            series: None,
            line_no: 0,
            offset: slot.offset,
            len: slot.len as usize,
        }
    }
}

/// A line that is not a valid record; it stays in the file verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line_no: usize,
    pub offset: u64,
    pub reason: String,
}

/// What a pass over the store found: the latest snapshot of each task in order of
/// first appearance, and the lines that are not records.
#[derive(Debug, Default)]
pub struct Scan {
    pub entries: Vec<Entry>,
    pub bad: Vec<BadLine>,
    index: HashMap<String, usize, fast::BuildIdHasher>,
    /// Bytes consumed through the last complete line.
    end: u64,
    lines: usize,
    /// The store's identity just before the full scan began.
    identity: Option<Identity>,
    /// Built from the summary's lists, not from reading the store: `entries` holds
    /// only what `run` acts on, and line numbers are not known (0).
    partial: bool,
    /// Bytes of the lines that are not records (kept by every compaction).
    bad_bytes: u64,
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
    fn absorb_following(&mut self, next: Scan) {
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
                Status::Scheduled => scheduled.push((entry.run_at.at().timestamp(), at, entry)),
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
    fn add(&mut self, line_no: usize, offset: u64, bytes: &[u8]) {
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

/// True for a line of only white space, which the store neither reports nor keeps.
pub fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// A line is a record when it parses as a whole `Task` with a valid id; only then can
/// it be the latest snapshot of its task.
pub fn parse_record(bytes: &[u8]) -> Result<Task, String> {
    let task: Task = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if !is_valid_id(&task.id) {
        return Err(format!("id '{}' is not a valid task id", task.id));
    }
    Ok(task)
}

fn parse_entry(bytes: &[u8], line_no: usize, offset: u64) -> Result<Entry, String> {
    let task = parse_record(bytes)?;
    Ok(Entry {
        status: task.status,
        run_at: task.run_at,
        archive_stamp: task.archive_stamp(),
        key: task.key,
        series: task.series.map(|s| (s.id, s.occurrence)),
        id: task.id,
        line_no,
        offset,
        len: bytes.len(),
    })
}

impl<M> Locked<M> {
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// The archive directory of a store opened from its `Paths` (SPEC §19: an id
    /// lives on there after its record left the store).
    pub fn archive_dir(&self) -> Option<&Path> {
        self.archive.as_deref()
    }

    /// The store for reading, `None` when it does not exist yet. Never blocks (a FIFO
    /// is refused) and never follows a link (`fsx::open_read`).
    fn open(&self) -> Result<Option<File>> {
        fsx::open_read(&self.file)
    }

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
    fn split_point(&self, len: u64) -> Result<Option<u64>> {
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

    /// The saved summary, if it describes the store exactly as it is now.
    pub fn summary(&self) -> Option<Summary> {
        self.summary_now().map(|(_, s)| s)
    }

    /// The saved summary with the identity it was checked against.
    pub fn summary_now(&self) -> Option<(Identity, Summary)> {
        let identity = summary::identity(&self.file)?;
        summary::load(&self.file, identity).map(|s| (identity, s))
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
    fn for_each_line_from(
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

impl Locked<Exclusive> {
    /// Appends one snapshot per task, fsynced before returning. A torn last line
    /// (no newline) is closed first so it stays a line of its own. A summary that
    /// described the store before is updated to describe it after.
    pub fn append(&self, tasks: &[&Task]) -> Result<()> {
        let mut out = Vec::with_capacity(1024 * tasks.len());
        let mut lines = Vec::with_capacity(tasks.len());
        for task in tasks {
            let start = out.len();
            serde_json::to_writer(&mut out, task)?;
            lines.push((start as u64, (out.len() - start) as u64));
            out.push(b'\n');
        }
        let appended = self.append_raw(&out)?;
        if let (Some(identity), Some(mut summary)) = (appended.after, appended.before) {
            for (task, (start, len)) in tasks.iter().zip(lines) {
                summary.note(task, appended.at + start, len);
            }
            summary::save(&self.file, identity, &summary);
        }
        Ok(())
    }

    /// Appends `bytes` and says where (see `Appended`).
    fn append_raw(&self, bytes: &[u8]) -> Result<Appended> {
        let created = !self.file.exists();
        let mut file = fsx::open_rw(&self.file)?;
        let context = || format!("appending to {}", self.file.display());
        let len = file.seek(SeekFrom::End(0)).with_context(context)?;
        let mut before = summary::identity_of(&file)
            .filter(|i| i.file_len() == len)
            .and_then(|i| summary::load(&self.file, i));
        let mut out = Vec::with_capacity(bytes.len() + 1);
        if len > 0 && !ends_with_newline(&mut file, len).with_context(context)? {
            out.push(b'\n');
            before = None;
        }
        out.extend_from_slice(bytes);
        if let Err(e) = file.write_all(&out).and_then(|()| file.sync_data()) {
            return Err(self.roll_back(&file, len, created, e));
        }
        if created {
            fsx::sync_dir(self.file.parent().unwrap_or(Path::new(".")))?;
        }
        let after = summary::identity_of(&file).filter(|i| i.file_len() == len + out.len() as u64);
        if before.is_some() && after.is_none() {
            summary::forget(&self.file);
        }
        Ok(Appended {
            at: len,
            after,
            before,
        })
    }

    /// After a failed append (ENOSPC, EFBIG, EIO): cuts the file back to `len`, its
    /// length before, so no partial line stays (a store this append created is
    /// removed), and returns the error to report. The summary needs no care: the store
    /// is byte-identical to what it described, or it changed and the summary is stale.
    fn roll_back(&self, file: &File, len: u64, created: bool, e: std::io::Error) -> anyhow::Error {
        let error = anyhow::Error::new(e).context(format!("appending to {}", self.file.display()));
        let restored = if created {
            std::fs::remove_file(&self.file)
        } else {
            file.set_len(len).and_then(|()| file.sync_data())
        };
        match restored {
            Ok(()) => error,
            Err(again) => error.context(format!(
                "cutting {} back to {len} bytes failed too ({again}); its last line may be torn",
                self.file.display()
            )),
        }
    }

    /// Saves the summary of `scan` when it is a full scan of the store exactly as it
    /// is now: nothing written since the scan began, by this process or any other.
    pub fn save_summary(&self, scan: &Scan) {
        let now = summary::identity(&self.file);
        if let Some(identity) =
            now.filter(|i| Some(*i) == scan.identity && i.file_len() == scan.end)
        {
            summary::save(&self.file, identity, &scan.summary());
        }
    }

    /// Saves `summary` as describing the store as it is now, when the store's length is
    /// `end` (what the caller has accounted for); else forgets any summary.
    pub fn save_summary_as(&self, summary: &Summary, end: u64) {
        match summary::identity(&self.file).filter(|i| i.file_len() == end) {
            Some(identity) => summary::save(&self.file, identity, summary),
            None => summary::forget(&self.file),
        }
    }

    /// Saves `summary` for the store as it was when `summary_now` returned
    /// `identity`, if it has not changed since; else forgets any summary.
    pub fn save_summary_for(&self, identity: Identity, summary: &Summary) {
        match summary::identity(&self.file) == Some(identity) {
            true => summary::save(&self.file, identity, summary),
            false => summary::forget(&self.file),
        }
    }

    /// Removes the summary: the next `run` scans.
    pub fn forget_summary(&self) {
        summary::forget(&self.file);
    }

    /// Replaces the store with what `fill` writes: a temp file in the same directory,
    /// fsynced, renamed over the store, then the directory fsynced. If `fill` fails,
    /// the store is untouched.
    pub fn rewrite(&self, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        fsx::ensure_dir(dir)?;
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        let mut writer = std::io::BufWriter::with_capacity(256 * 1024, tmp);
        fill(&mut writer)?;
        let tmp = writer.into_inner().map_err(|e| {
            anyhow!(
                "writing a temporary file in {}: {}",
                dir.display(),
                e.error()
            )
        })?;
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("syncing {}", tmp.path().display()))?;
        tmp.persist(&self.file)
            .with_context(|| format!("renaming over {}", self.file.display()))?;
        fsx::sync_dir(dir)
    }
}

/// What `append_raw` did: the offset `bytes` start at, the store's identity after the
/// write and the summary that held before it, when both are known (else the summary
/// is stale for good).
struct Appended {
    at: u64,
    after: Option<Identity>,
    before: Option<Summary>,
}

/// True when the last of a file's `len` (> 0) bytes is a newline; leaves the file at its
/// end. Every append to a JSONL file (the store, an archive month) asks it first, and
/// writes a newline when it is false, so the next line never glues onto a torn one.
pub(crate) fn ends_with_newline(file: &mut File, len: u64) -> std::io::Result<bool> {
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    file.seek(SeekFrom::End(0))?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests;
