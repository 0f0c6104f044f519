//! Finding one task wherever it is: the active store, else the monthly archives, newest
//! month first. Streaming: a file is read line by line and only lines that mention the
//! id are parsed. Owns no writes; `show` and `wait` print what it finds.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::Paths;
use crate::store::Store;
use crate::task::Task;

/// Where the latest record of a task was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Active,
    Archive(PathBuf),
}

/// The latest record of a task and where it sits.
#[derive(Debug, Clone)]
pub struct Found {
    pub task: Task,
    pub location: Location,
}

/// The latest record of `id`: the active store's if it has one, else the newest
/// archive month's (the last line for the id in that file). `None` when no file has it.
///
/// The archive sweep appends to the archive before it drops the record from the store,
/// so a task that is not in the store when we read it is already in its archive file.
pub fn find(store: &Store, paths: &Paths, id: &str) -> Result<Option<Found>> {
    if let Some(task) = find_active(store, id)? {
        return Ok(Some(Found {
            task,
            location: Location::Active,
        }));
    }
    for file in archive_files(&paths.archive_dir)? {
        if let Some(task) = last_in_file(&file, id)? {
            return Ok(Some(Found {
                task,
                location: Location::Archive(file),
            }));
        }
    }
    Ok(None)
}

fn find_active(store: &Store, id: &str) -> Result<Option<Task>> {
    let locked = store.read()?;
    if !locked.contains(&needle(id))? {
        return Ok(None);
    }
    let mut found = None;
    locked.records_mentioning(&needle(id), |task| {
        if task.id == id {
            found = Some(task);
        }
    })?;
    Ok(found)
}

/// True when an archive month holds a record of `id`. Each month file is searched for
/// the id's JSON text in 128 KiB blocks at memory speed; only a file with a hit is
/// read line by line, to confirm it with a parse (the text may sit in another
/// record's summary or `parent_id`). Never reads the active store.
pub fn archived(dir: &Path, id: &str) -> Result<bool> {
    let needle = needle(id);
    for path in archive_files(dir)? {
        let Some(file) = crate::safe_fs::open_read(&path)? else {
            continue;
        };
        if crate::store::contains_each_in(file, &path, &[&needle])?[0]
            && last_in_file(&path, id)?.is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `"<id>"`: every record line that belongs to `id` contains it.
fn needle(id: &str) -> Vec<u8> {
    format!("\"{id}\"").into_bytes()
}

/// The record on this line, if the line mentions `id` and is a record of it.
fn matching(bytes: &[u8], id: &str) -> Option<Task> {
    memchr::memmem::find(bytes, &needle(id))?;
    crate::store::parse_record(bytes)
        .ok()
        .filter(|task| task.id == id)
}

/// The last record of `id` in one JSONL file.
pub fn last_in_file(path: &Path, id: &str) -> Result<Option<Task>> {
    let mut found = None;
    each_line(path, |_, _, bytes| {
        if let Some(task) = matching(bytes, id) {
            found = Some(task);
        }
    })?;
    Ok(found)
}

/// Calls `each` with the record on every line of a JSONL file that contains `needle`,
/// in file order, parsing no other line. A missing file has none.
pub fn each_record_mentioning(
    path: &Path,
    needle: &[u8],
    mut each: impl FnMut(Task),
) -> Result<()> {
    let finder = memchr::memmem::Finder::new(needle);
    each_line(path, |_, _, bytes| {
        if finder.find(bytes).is_some() {
            if let Ok(task) = crate::store::parse_record(bytes) {
                each(task);
            }
        }
    })
}

/// Calls `each(line_no, offset, bytes)` for every line of a JSONL file (an archive
/// month), without its newline, streaming; a missing file has no lines.
pub fn each_line(path: &Path, mut each: impl FnMut(usize, u64, &[u8])) -> Result<()> {
    let Some(file) = crate::safe_fs::open_read(path)? else {
        return Ok(());
    };
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut buf = Vec::with_capacity(4096);
    let (mut line_no, mut offset) = (0usize, 0u64);
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            return Ok(());
        }
        line_no += 1;
        each(line_no, offset, buf.strip_suffix(b"\n").unwrap_or(&buf));
        offset += read as u64;
    }
}

/// The `deferred_YYYYMM.jsonl` files of an archive directory, newest month first.
/// A missing directory has none.
pub fn archive_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading directory {}", dir.display())),
    };
    let mut months = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading directory {}", dir.display()))?;
        let name = entry.file_name();
        if let Some(month) = name.to_str().and_then(archive_month) {
            months.push((month.to_string(), entry.path()));
        }
    }
    months.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(months.into_iter().map(|(_, path)| path).collect())
}

/// `deferred_202604.jsonl` → `202604`.
pub fn archive_month(name: &str) -> Option<&str> {
    let month = name.strip_prefix("deferred_")?.strip_suffix(".jsonl")?;
    (month.len() == 6 && month.bytes().all(|b| b.is_ascii_digit())).then_some(month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names() {
        assert_eq!(archive_month("deferred_202604.jsonl"), Some("202604"));
        assert_eq!(archive_month("deferred_2026.jsonl"), None);
        assert_eq!(archive_month(".sweep-pending"), None);
        assert_eq!(archive_month("deferred_20260x.jsonl"), None);
    }

    #[test]
    fn newest_month_first_and_last_line_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let line = |id: &str, summary: &str| {
            Task {
                id: id.into(),
                context: crate::task::Context {
                    summary: summary.into(),
                    ..Default::default()
                },
                ..Task::blank()
            }
            .to_line()
        };
        let old = format!("{}\n{}\n", line("a", "old"), line("b", "b"));
        let new = format!(
            "{}\nnot json \"a\"\n{}\n",
            line("a", "first"),
            line("a", "last")
        );
        std::fs::write(tmp.path().join("deferred_202603.jsonl"), old).unwrap();
        std::fs::write(tmp.path().join("deferred_202604.jsonl"), new).unwrap();
        let files = archive_files(tmp.path()).unwrap();
        assert!(files[0].ends_with("deferred_202604.jsonl"));
        let task = last_in_file(&files[0], "a").unwrap().unwrap();
        assert_eq!(task.context.summary, "last");
        assert!(last_in_file(&files[0], "b").unwrap().is_none());
    }

    #[test]
    fn archived_is_confirmed_by_a_parse_and_found_past_a_block() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(!archived(&tmp.path().join("none"), "a").unwrap());
        let task = |id: &str, summary: &str| {
            Task {
                id: id.into(),
                context: crate::task::Context {
                    summary: summary.into(),
                    ..Default::default()
                },
                ..Task::blank()
            }
            .to_line()
        };
        // The needle straddles the first 128 KiB block.
        let pad = "p".repeat((1 << 17) - 9);
        let text = format!("{}\n{}\n", task("m", &pad), task("far", "\"b\""));
        std::fs::write(tmp.path().join("deferred_202604.jsonl"), text).unwrap();
        assert!(archived(tmp.path(), "far").unwrap());
        assert!(archived(tmp.path(), "m").unwrap());
        assert!(!archived(tmp.path(), "b").unwrap(), "only mentioned");
        assert!(!archived(tmp.path(), "c").unwrap());
    }
}
