//! `show --output --follow`: stream a task's output file while it executes, like
//! `tail -f` that stops by itself. Polls the store's record and the file (a bounded
//! interval, no inotify), so it works wherever the store does.

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
/// shorter than what was copied (a new attempt truncated it) is followed from its start.
/// A task that is not executing prints the file as it is (an error if there is none).
pub fn follow(
    store: &Store,
    paths: &Paths,
    id: &str,
    out: &mut dyn Write,
    poll: Duration,
) -> Result<Task> {
    let path = paths.output_path(id);
    let mut offset = 0u64;
    let mut first = true;
    loop {
        let task = lookup::find(store, paths, id)?
            .ok_or_else(|| anyhow!("task not found: {id}"))?
            .task;
        let executing = task.status == Status::Executing;
        let copied = copy_new(&path, &mut offset, out)?;
        if !executing {
            if first && copied.is_none() {
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

/// Writes what the file holds past `offset` and advances it; `None` when there is no
/// file (yet).
fn copy_new(path: &Path, offset: &mut u64, out: &mut dyn Write) -> Result<Option<u64>> {
    let Some(mut file) = crate::fsx::open_read(path)? else {
        return Ok(None);
    };
    let len = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if len < *offset {
        *offset = 0;
    }
    file.seek(SeekFrom::Start(*offset))
        .with_context(|| format!("reading {}", path.display()))?;
    let mut buf = Vec::new();
    file.take(len - *offset)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {}", path.display()))?;
    if !buf.is_empty() {
        out.write_all(&buf)
            .and_then(|()| out.flush())
            .context("writing to stdout")?;
    }
    *offset += buf.len() as u64;
    Ok(Some(buf.len() as u64))
}
