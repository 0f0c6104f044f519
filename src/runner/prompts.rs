//! A dispatch's prompt files (`logs/<id>.prompt.txt`): each written to a temp file and
//! renamed into place without its own fsync, then made durable together — one
//! `syncfs(2)` for a large batch (Linux), else an fsync per file — and one directory
//! fsync, before the claims that name them are appended.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::safe_fs;

/// From this many files on, one filesystem sync is cheaper than a sync per file.
const SYNCFS_FROM: usize = 8;

/// Writes `contents` to `path` (0600) through a temp file and a rename; not yet durable.
pub fn write_unsynced(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    safe_fs::ensure_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(contents)
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Makes `files` (written by `write_unsynced`, all in `dir`) and their names durable.
pub fn sync(dir: &Path, files: &[PathBuf]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    if files.len() < SYNCFS_FROM || !sync_filesystem(dir)? {
        for file in files {
            std::fs::File::open(file)
                .and_then(|f| f.sync_data())
                .with_context(|| format!("syncing {}", file.display()))?;
        }
    }
    safe_fs::sync_dir(dir)
}

/// `syncfs(2)` on the filesystem holding `dir`; false where there is none.
#[cfg(target_os = "linux")]
fn sync_filesystem(dir: &Path) -> Result<bool> {
    let handle = std::fs::File::open(dir).with_context(|| format!("opening {}", dir.display()))?;
    rustix::fs::syncfs(handle)
        .with_context(|| format!("syncing the filesystem of {}", dir.display()))?;
    Ok(true)
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_: &Path) -> Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_then_synced_in_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (0..10)
            .map(|i| dir.path().join(format!("{i}.txt")))
            .collect();
        for file in &files {
            write_unsynced(file, b"prompt").unwrap();
        }
        sync(dir.path(), &files).unwrap();
        sync(dir.path(), &files[..2]).unwrap();
        for file in &files {
            assert_eq!(std::fs::read(file).unwrap(), b"prompt");
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
