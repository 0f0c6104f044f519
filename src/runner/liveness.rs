//! Whether an `executing` task's worker lives (SPEC §20): the worker holds an exclusive
//! flock on `logs/<id>.lock` (0600, never through a symlink) from before its claim is
//! appended until after its outcome is; the kernel drops it when the worker dies. A
//! task is recovered only when its lock can be taken — never from a PID guess.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::safe_fs;

/// A worker's hold on one task.
#[derive(Debug)]
pub struct TaskLock {
    file: File,
    path: PathBuf,
}

impl TaskLock {
    /// Takes the lock of the task at `path`; `None` when someone holds it. The file is
    /// created if missing; a lock on a file another worker unlinked meanwhile is not
    /// kept (it would guard nothing), the new file is tried instead.
    pub fn try_take(path: &Path) -> Result<Option<TaskLock>> {
        loop {
            let file = safe_fs::open_rw(path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()))
                }
            }
            if same_file(&file, path) {
                return Ok(Some(TaskLock {
                    file,
                    path: path.to_path_buf(),
                }));
            }
        }
    }

    /// The outcome is recorded: removes the file, then lets the lock go.
    pub fn release(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// True while a worker holds the lock at `path`. Call it under the store lock, after
/// reading the task as `executing`: a worker removes its file only after its outcome is
/// appended, which needs that lock, so a missing file means no worker.
pub fn is_live(path: &Path) -> Result<bool> {
    let Some(file) = safe_fs::open_read(path)? else {
        return Ok(false);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_is_live_released_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.lock");
        assert!(!is_live(&path).unwrap(), "no file: no worker");
        let lock = TaskLock::try_take(&path).unwrap().unwrap();
        assert!(is_live(&path).unwrap());
        assert!(TaskLock::try_take(&path).unwrap().is_none());
        lock.release();
        assert!(!path.exists());
        assert!(!is_live(&path).unwrap());
        let again = TaskLock::try_take(&path).unwrap().unwrap();
        drop(again);
        assert!(!is_live(&path).unwrap(), "a dropped lock is a dead worker");
    }

    #[test]
    fn never_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "").unwrap();
        let path = dir.path().join("t.lock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(TaskLock::try_take(&path).is_err());
    }
}
