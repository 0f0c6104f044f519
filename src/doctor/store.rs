//! The store's contents, read without creating or waiting for anything: invalid
//! lines, orphans (`executing` with no runner) and overdue tasks.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::Row;
use crate::heartbeat::{span, STALE_AFTER_SECONDS};
use crate::store::{is_blank, parse_record};
use crate::task::Status;

/// How long doctor waits for a writer to let go of the store before reading anyway.
const LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// What the store holds, as far as these checks care.
#[derive(Debug, Default)]
pub(super) struct View {
    /// Why the store could not be read (the `store` row says what is wrong with it).
    pub unreadable: Option<String>,
    /// The latest snapshot of each task: (id, status, run_at).
    pub tasks: Vec<(String, Status, DateTime<Utc>)>,
    /// Lines that are not records: (line number, reason).
    pub bad: Vec<(usize, String)>,
    /// The lane of each task that has one (§20).
    pub lanes: HashMap<String, String>,
}

/// Reads the store under a shared lock when one can be had within [`LOCK_PATIENCE`]
/// (the lock file is never created). A missing store is an empty view; a store that
/// is not a regular file is not opened (a FIFO would hang).
pub(super) fn read(file: &Path, lock: &Path) -> View {
    match std::fs::symlink_metadata(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return View::default(),
        Err(e) => return unreadable(format!("cannot examine it: {e}")),
        Ok(meta) if !meta.file_type().is_file() => {
            return unreadable("it is not a regular file".into())
        }
        Ok(_) => {}
    }
    let _guard = shared_lock(lock);
    let mut bytes = Vec::new();
    match open_nofollow(file).and_then(|mut f| f.read_to_end(&mut bytes)) {
        Ok(_) => parse(&bytes),
        Err(e) => unreadable(format!("cannot read it: {e}")),
    }
}

fn unreadable(reason: String) -> View {
    View {
        unreadable: Some(reason),
        ..View::default()
    }
}

/// Opens read-only, without following a link and without blocking on a FIFO that
/// replaced the file since the `lstat`.
fn open_nofollow(path: &Path) -> std::io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = File::options();
    options
        .read(true)
        .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    let file = options.open(path)?;
    match file.metadata()?.is_file() {
        true => Ok(file),
        false => Err(std::io::Error::other("not a regular file")),
    }
}

/// A shared lock on the existing lock file, if one is free within the patience; the
/// store is read anyway after that (a torn last line may then show as invalid).
fn shared_lock(lock: &Path) -> Option<File> {
    let file = open_nofollow(lock).ok()?;
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match file.try_lock_shared() {
            Ok(()) => return Some(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(_) => return None,
        }
    }
}

/// The latest snapshot per id and the invalid lines of a store's bytes; a last line
/// without its newline is a torn write, and invalid like any other.
pub(super) fn parse(bytes: &[u8]) -> View {
    let mut view = View::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if is_blank(line) {
            continue;
        }
        match parse_record(line) {
            Ok(task) => {
                match task.lane {
                    Some(lane) => view.lanes.insert(task.id.clone(), lane),
                    None => view.lanes.remove(&task.id),
                };
                let entry = (task.id.clone(), task.status, task.run_at.at());
                match index.get(&task.id) {
                    Some(&at) => view.tasks[at] = entry,
                    None => {
                        index.insert(task.id, view.tasks.len());
                        view.tasks.push(entry);
                    }
                }
            }
            Err(reason) => view.bad.push((i + 1, reason)),
        }
    }
    view
}

/// How many line numbers the `invalid_lines` row names before it counts the rest.
const LINES_NAMED: usize = 20;

/// `lines 2, 3, 5` (the first [`LINES_NAMED`], then `and N more`): what the one-line
/// warning of every other command points here for.
fn line_list(bad: &[(usize, String)]) -> String {
    let named: Vec<String> = bad
        .iter()
        .take(LINES_NAMED)
        .map(|(n, _)| n.to_string())
        .collect();
    let more = match bad.len().saturating_sub(LINES_NAMED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let noun = if bad.len() == 1 { "line" } else { "lines" };
    format!("{noun} {}{more}", named.join(", "))
}

pub(super) fn invalid_lines(view: &View) -> Row {
    if let Some(reason) = &view.unreadable {
        return Row::warn(
            "invalid_lines",
            format!("store not read: {reason}"),
            "see the store row",
        );
    }
    match view.bad.first() {
        None => Row::ok(
            "invalid_lines",
            format!("{} task(s), no invalid lines", view.tasks.len()),
        ),
        Some((line, reason)) => Row::warn(
            "invalid_lines",
            format!(
                "{} line(s) are not valid task records and are skipped (first: line {line}: {reason}): {}",
                view.bad.len(),
                line_list(&view.bad)
            ),
            format!("fix or delete line {line} of the store by hand (every command reports it until then)"),
        ),
    }
}

/// True when some process holds the runner lock (a `run`, `archive` or `execute
/// --id`). Asked with a shared try-lock released at once; a missing lock file means
/// no runner. A runner starting in that instant skips one minute (`lock_held`).
pub(super) fn runner_busy(lock: &Path) -> bool {
    let Ok(file) = open_nofollow(lock) else {
        return false;
    };
    matches!(
        file.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

/// `live(id)`: the worker running task `id` holds its lock (§20); such a task is no
/// orphan, whoever holds the runner lock.
pub(super) fn orphans(view: &View, runner_busy: bool, live: &dyn Fn(&str) -> bool) -> Row {
    let executing: Vec<&str> = view
        .tasks
        .iter()
        .filter(|(id, status, _)| *status == Status::Executing && !live(id))
        .map(|(id, _, _)| id.as_str())
        .collect();
    match (executing.first(), runner_busy) {
        (None, _) => Row::ok("orphans", "no task is executing without its worker"),
        (Some(_), true) => Row::ok(
            "orphans",
            format!("{} task(s) executing; a runner holds the runner lock", executing.len()),
        ),
        (Some(first), false) => Row::warn(
            "orphans",
            format!(
                "{} task(s) executing with no runner (first: {first}): their runner died",
                executing.len()
            ),
            "the next 'defer run' records them as interrupted (and retries them if they have retries left)",
        ),
    }
}

pub(super) fn overdue(view: &View, now: DateTime<Utc>) -> Row {
    let limit = now - chrono::Duration::seconds(STALE_AFTER_SECONDS);
    let mut late: Vec<&(String, Status, DateTime<Utc>)> = view
        .tasks
        .iter()
        .filter(|(_, status, at)| *status == Status::Scheduled && *at < limit)
        .collect();
    late.sort_by_key(|(_, _, at)| *at);
    match late.first() {
        None => Row::ok("overdue", "no scheduled task is more than 10 minutes overdue"),
        Some((id, _, at)) => Row::fail(
            "overdue",
            format!(
                "{} scheduled task(s) due more than 10 minutes ago; the oldest, {id}, by {}",
                late.len(),
                span(now.signed_duration_since(*at).num_seconds())
            ),
            "make sure cron runs 'defer run' every minute (see the heartbeat, crontab and cron_daemon rows)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    fn line(id: &str, status: &str, run_at: &str) -> String {
        serde_json::json!({
            "id": id, "created_at": "2026-01-01T00:00:00Z", "run_at": run_at,
            "type": "deferred_task", "intent": "resume_task",
            "context": {"summary": "s", "key_points": [], "artifacts": [], "constraints": []},
            "execution": {"mode": "fresh", "prompt_template": "s", "aura_level": "low"},
            "status": status, "attempts": 0, "max_retries": 0, "reorient_requested": false,
            "reorient": {"requested": false, "project": null, "explicit_context_file": null}
        })
        .to_string()
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn latest_snapshot_wins_and_bad_lines_are_numbered() {
        let text = format!(
            "{}\n\n{}\nnot json\n{}",
            line("a", "scheduled", "2026-06-01T11:00:00Z"),
            line("a", "executing", "2026-06-01T11:00:00Z"),
            "{\"id\":\"torn"
        );
        let view = parse(text.as_bytes());
        assert_eq!(view.tasks.len(), 1);
        assert_eq!(view.tasks[0].1, Status::Executing);
        assert_eq!(view.bad.iter().map(|b| b.0).collect::<Vec<_>>(), [4, 5]);
        let row = invalid_lines(&view);
        assert_eq!(row.status, Level::Warn);
        assert!(row.detail.starts_with("2 line(s)"), "{}", row.detail);
        assert!(row.detail.ends_with("): lines 4, 5"), "{}", row.detail);
    }

    #[test]
    fn the_row_names_twenty_lines_and_counts_the_rest() {
        let bad = |n: usize| (1..=n).map(|i| (i, String::new())).collect::<Vec<_>>();
        assert_eq!(line_list(&bad(1)), "line 1");
        let twenty: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        assert_eq!(line_list(&bad(20)), format!("lines {}", twenty.join(", ")));
        assert_eq!(
            line_list(&bad(5000)),
            format!("lines {} and 4980 more", twenty.join(", "))
        );
    }

    #[test]
    fn orphans_only_without_a_runner() {
        let view = parse(line("a", "executing", "2026-06-01T11:00:00Z").as_bytes());
        assert_eq!(orphans(&view, true, &|_| false).status, Level::Ok);
        assert_eq!(orphans(&view, false, &|_| true).status, Level::Ok);
        let row = orphans(&view, false, &|_| false);
        assert_eq!(row.status, Level::Warn);
        assert!(row.detail.contains("first: a"), "{}", row.detail);
        assert_eq!(
            orphans(&View::default(), false, &|_| false).status,
            Level::Ok
        );
    }

    #[test]
    fn overdue_means_scheduled_and_due_over_ten_minutes_ago() {
        let text = [
            line("recent", "scheduled", "2026-06-01T11:51:00Z"),
            line("old", "scheduled", "2026-06-01T09:47:00Z"),
            line("older-done", "completed", "2026-06-01T01:00:00Z"),
        ]
        .join("\n");
        let row = overdue(&parse(text.as_bytes()), now());
        assert_eq!(row.status, Level::Fail);
        assert_eq!(
            row.detail,
            "1 scheduled task(s) due more than 10 minutes ago; the oldest, old, by 2h 13m"
        );
        let fresh = line("recent", "scheduled", "2026-06-01T11:50:00Z");
        assert_eq!(overdue(&parse(fresh.as_bytes()), now()).status, Level::Ok);
    }

    #[test]
    fn a_fifo_store_is_not_opened() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("deferred.jsonl");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let view = read(&fifo, &tmp.path().join("missing.lock"));
        assert!(view.unreadable.is_some());
        assert!(!tmp.path().join("missing.lock").exists());
    }

    #[test]
    fn runner_lock_probe() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = tmp.path().join("run.lock");
        assert!(!runner_busy(&lock));
        assert!(!lock.exists(), "probing must not create the lock file");
        let held = File::create(&lock).unwrap();
        assert!(!runner_busy(&lock));
        held.lock().unwrap();
        assert!(runner_busy(&lock));
        drop(held);
        assert!(!runner_busy(&lock));
    }
}
