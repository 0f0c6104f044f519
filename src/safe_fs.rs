//! File-system helpers: private directories (0700) and files (0600) whatever the umask,
//! directory fsync, and errors that name the file and the action.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result};
use rustix::fs::OFlags;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents; the ones it creates get mode 0700.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => set_mode(dir, DIR_MODE),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating directory {}", dir.display())),
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting permissions on {}", path.display()))
}

fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    options
        .mode(FILE_MODE)
        .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32)
}

/// Opens (creating, mode 0600) `path` for appending; its directory is created too.
/// Like every `open_*` here: never through a symlink, never blocking on a FIFO, and
/// only a regular file owned by the user (`trust::verify_open`).
pub fn open_append(path: &Path) -> Result<File> {
    open_with(path, OpenOptions::new().append(true).create(true))
}

/// Opens (creating, mode 0600) `path` for reading and writing, e.g. a lock file.
pub fn open_rw(path: &Path) -> Result<File> {
    open_with(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
}

/// Opens (creating, mode 0600) `path` for writing and empties it, e.g. an executor's
/// output file. It is checked before it is truncated, so a link or a file that is not
/// the user's is refused, not emptied.
pub fn open_truncate(path: &Path) -> Result<File> {
    let file = open_with(
        path,
        OpenOptions::new().write(true).create(true).truncate(false),
    )?;
    file.set_len(0)
        .with_context(|| format!("truncating {}", path.display()))?;
    Ok(file)
}

/// Opens `path` for reading; `None` when it does not exist. Nothing is created.
pub fn open_read(path: &Path) -> Result<Option<File>> {
    match open_checked(path, OpenOptions::new().read(true)) {
        Ok(file) => Ok(Some(file)),
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn open_with(path: &Path, options: &mut OpenOptions) -> Result<File> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    let existed = path.symlink_metadata().is_ok();
    let file = open_checked(path, options)?;
    if !existed {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
            .with_context(|| format!("setting permissions on {}", path.display()))?;
    }
    Ok(file)
}

/// Opens without following a final symlink or blocking, then checks the descriptor.
fn open_checked(path: &Path, options: &mut OpenOptions) -> Result<File> {
    let file = match private(options).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(anyhow::Error::new(e).context(format!("opening {}", path.display())))
        }
        Err(e) => {
            return Err(match crate::trust::explain_open_failure(path) {
                Some(finding) => finding.into(),
                None => anyhow::Error::new(e).context(format!("opening {}", path.display())),
            })
        }
    };
    crate::trust::verify_open(&file, path)?;
    blocking(&file, path)?;
    Ok(file)
}

/// Clears `O_NONBLOCK` (set only so that opening a FIFO cannot hang).
fn blocking(file: &File, path: &Path) -> Result<()> {
    rustix::fs::fcntl_getfl(file)
        .and_then(|flags| rustix::fs::fcntl_setfl(file, flags.difference(OFlags::NONBLOCK)))
        .with_context(|| format!("opening {}", path.display()))
}

/// Writes `contents` to `path` (0600) atomically: temp file, fsync, rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    sync_dir(dir)
}

/// Fsyncs a directory so a rename or create in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing directory {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_ignore_the_umask() {
        let tmp = tempfile::tempdir().unwrap();
        let old = rustix::process::umask(rustix::fs::Mode::empty());
        let dir = tmp.path().join("a/b");
        let file = dir.join("f");
        open_append(&file).unwrap();
        rustix::process::umask(old);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn opens_never_follow_links_nor_block_on_fifos() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        fs::write(&target, "keep").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for result in [
            open_rw(&link).map(drop),
            open_append(&link).map(drop),
            open_truncate(&link).map(drop),
            open_read(&link).map(drop),
        ] {
            let err = result.unwrap_err().to_string();
            assert!(err.contains("symbolic link"), "{err}");
        }
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        let fifo = tmp.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        for result in [
            open_read(&fifo).map(drop),
            open_rw(&fifo).map(drop),
            open_append(&fifo).map(drop),
        ] {
            let err = result.unwrap_err().to_string();
            assert!(err.contains("FIFO"), "{err}");
        }
        assert!(open_read(&tmp.path().join("missing")).unwrap().is_none());
    }

    #[test]
    fn open_truncate_empties_only_a_checked_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("out");
        fs::write(&path, "old output").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(open_truncate(&path).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old output");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        open_truncate(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn atomic_write_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
