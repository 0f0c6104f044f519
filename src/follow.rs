//! `show --output --follow`: stream a task's output file while it executes, like
//! `tail -f` that stops by itself. Polls the store's record and the file (a bounded
//! interval, no inotify), so it works wherever the store does.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use crate::config::Paths;
use crate::lookup;
use crate::store::Store;
use crate::task::{Status, Task};

/// How often the record and the file are looked at.
pub const POLL: Duration = Duration::from_millis(200);

/// Copies `logs/<id>.output.txt` to `out` as it grows, until the task is no longer
/// `executing` and the file is drained; returns the task's record at that point. A file
/// shorter than what was copied (a new attempt truncated it) is followed from its start;
/// a new file renamed over it (another inode) is followed from its start once the old
/// one is drained, so no byte is copied twice or left out. A task that is not executing
/// prints the file as it is (an error if there is none).
pub fn follow(
    store: &Store,
    paths: &Paths,
    id: &str,
    out: &mut dyn Write,
    poll: Duration,
) -> Result<Task> {
    let path = paths.output_path(id);
    let mut current: Option<Followed> = None;
    let mut first = true;
    loop {
        let task = lookup::find(store, paths, id)?
            .ok_or_else(|| anyhow!("task not found: {id}"))?
            .task;
        let executing = task.status == Status::Executing;
        look(&path, &mut current, out)?;
        if !executing {
            if first && current.is_none() {
                return Err(anyhow!(
                    "no output file for task {id} ({}): {} does not exist",
                    task.status,
                    path.display()
                ));
            }
            return Ok(task);
        }
        first = false;
        std::thread::sleep(poll);
    }
}

/// The file being followed: held open, so what is written to it after another file
/// took its name is still read.
struct Followed {
    file: File,
    /// (device, inode): which file the name pointed at when it was opened.
    identity: (u64, u64),
    /// Bytes of it already copied.
    offset: u64,
}

/// One look at the path: drains the followed file, then switches to the file the path
/// names now when that is another one (and drains it from its start). No file (yet,
/// or for a moment between an unlink and a rename): keeps the one it has.
fn look(path: &Path, current: &mut Option<Followed>, out: &mut dyn Write) -> Result<()> {
    let named = crate::safe_fs::open_read(path)?;
    if let Some(followed) = current.as_mut() {
        drain(followed, path, out)?;
    }
    let Some(file) = named else {
        return Ok(());
    };
    let identity = identity(&file, path)?;
    if current.as_ref().is_some_and(|f| f.identity == identity) {
        return Ok(());
    }
    let followed = current.insert(Followed {
        file,
        identity,
        offset: 0,
    });
    drain(followed, path, out)
}

fn identity(file: &File, path: &Path) -> Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    Ok((meta.dev(), meta.ino()))
}

/// Writes what the file holds past the offset and advances it, in pieces; a file
/// shorter than the offset (truncated in place) is copied from its start.
fn drain(followed: &mut Followed, path: &Path, out: &mut dyn Write) -> Result<()> {
    let reading = || format!("reading {}", path.display());
    let len = followed.file.metadata().with_context(reading)?.len();
    if len < followed.offset {
        followed.offset = 0;
    }
    followed
        .file
        .seek(SeekFrom::Start(followed.offset))
        .with_context(reading)?;
    let mut left = len - followed.offset;
    let mut buf = vec![0u8; 64 * 1024];
    let mut wrote = false;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = followed.file.read(&mut buf[..want]).with_context(reading)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).context("writing to stdout")?;
        followed.offset += n as u64;
        left -= n as u64;
        wrote = true;
    }
    if wrote {
        out.flush().context("writing to stdout")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    fn append(path: &Path, text: &str) {
        let mut file = OpenOptions::new().append(true).open(path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn a_file_renamed_over_the_followed_one_is_read_from_its_start_after_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.output.txt");
        let mut current = None;
        let mut out = Vec::new();
        look(&path, &mut current, &mut out).unwrap();
        assert!(current.is_none() && out.is_empty(), "no file yet");
        std::fs::write(&path, "one\n").unwrap();
        look(&path, &mut current, &mut out).unwrap();
        // The old file gains a line, then a longer new file takes its name, then the
        // old one (still open by its writer) gains another.
        let old = OpenOptions::new().append(true).open(&path).unwrap();
        append(&path, "two\n");
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "a new attempt, longer than before\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        (&old).write_all(b"late\n").unwrap();
        look(&path, &mut current, &mut out).unwrap();
        append(&path, "more\n");
        look(&path, &mut current, &mut out).unwrap();
        look(&path, &mut current, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "one\ntwo\nlate\na new attempt, longer than before\nmore\n"
        );
    }

    #[test]
    fn a_file_truncated_in_place_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.output.txt");
        std::fs::write(&path, "first attempt\n").unwrap();
        let mut current = None;
        let mut out = Vec::new();
        look(&path, &mut current, &mut out).unwrap();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(0).unwrap();
        (&file).write_all(b"second\n").unwrap();
        look(&path, &mut current, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "first attempt\nsecond\n");
    }
}
