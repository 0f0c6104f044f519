//! The active store `deferred.jsonl`: an append-only log of task snapshots behind a
//! lock file. Owns locking, the streaming scan (latest snapshot per id, invalid lines
//! kept and reported), appends and the atomic rewrite used by compaction. It does not
//! decide what to write: commands, the runner and the archive sweep do.
//!
//! Its parts: `record` (one line as a record), `scan` (what a pass found), `read` (the
//! streaming scan and catch-up), `lookup` (reads of single records and needles),
//! `append` and `rewrite` (the two ways to write), `upkeep` (the summary kept beside it).

use std::fs::File;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::safe_fs;

mod append;
pub mod fast;
pub mod invalid;
mod lookup;
mod read;
mod record;
mod rewrite;
mod scan;
pub mod summary;
mod upkeep;

pub(crate) use append::ends_with_newline;
pub use lookup::contains_each_in;
pub use record::{is_blank, parse_record, BadLine, Entry};
pub use scan::Scan;

/// The longest line `defer` writes to the store: `schedule` keeps a new record to
/// half of it (`schedule::bounds`), and a summary entry claiming a longer line is not
/// trusted. Reading takes any length (a hand-written line may be longer).
pub const MAX_LINE_BYTES: u64 = 16 << 20;

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
            let file = safe_fs::open_rw(&self.lock)?;
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
        let file = safe_fs::open_rw(&self.lock)?;
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
    /// is refused) and never follows a link (`safe_fs::open_read`).
    fn open(&self) -> Result<Option<File>> {
        safe_fs::open_read(&self.file)
    }
}

#[cfg(test)]
mod tests;
