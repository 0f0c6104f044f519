//! The runner behind `defer run` and `defer execute`: the runner lock, orphan recovery,
//! due selection, claim → execute → record for each task, then the archive sweep.
//! While the runner lock is held nobody rewrites the store, so the runner keeps one
//! scan and only reads what others append (`Locked::catch_up`). After each outcome is
//! recorded it reports a `Notice` and runs the task's hook (`settle`).
//!
//! Its parts, one step each: `recover` (orphans), `claim` (claim then execute one task),
//! `execute` (prompt and executor), `outcome` (recording and settling a result) and
//! `sweep` (the archive after a run); `dispatch` drives them for `defer run`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};

use crate::archive;
use crate::audit::{AuditLog, Event};
use crate::config::{Env, Paths};
use crate::executor::Limits;
use crate::heartbeat;
use crate::safe_fs;
use crate::series::Grace;
use crate::store::{BadLine, Exclusive, Locked, Scan, Store};
use crate::task::{Status, Task};

use hooks::Hooks;
pub use notice::Notice;

/// How tasks are executed; read from the environment once per command.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub executor: Option<PathBuf>,
    /// `PATH`, for a bare executor name.
    pub search_path: Option<String>,
    pub retry_delay: Duration,
    pub limits: Limits,
    /// `DEFER_GRACE_SECONDS`: a one-shot task's grace unless it has its own (§12).
    pub grace: Grace,
    /// `DEFER_ON_SUCCESS`, `DEFER_ON_FAILURE`, `DEFER_ON_MISSED` (§14).
    pub hooks: Hooks,
    /// The hooks' limits; `None` is SPEC §14's (`hooks::limits()`: 60 s).
    pub hook_limits: Option<Limits>,
    /// `DEFER_MAX_PARALLEL` and `DEFER_LANES` (§20).
    pub lanes: lanes::Limits,
}

impl Settings {
    /// Every variable is checked here, so bad configuration stops `run` before it
    /// touches anything.
    pub fn from_env(env: &Env) -> Result<Self> {
        Ok(Settings {
            executor: env.executor(),
            search_path: env.get("PATH").map(str::to_string),
            retry_delay: env.retry_delay()?,
            grace: Grace(env.grace_seconds()?),
            limits: Limits {
                timeout: env.executor_timeout()?,
                ..Limits::default()
            },
            hooks: Hooks::from_env(env)?,
            hook_limits: None,
            lanes: env.lane_limits()?,
        })
    }
}

/// Held while a runner works; the kernel drops it if the process dies.
#[derive(Debug)]
pub struct RunnerLock {
    _file: File,
}

impl RunnerLock {
    /// `None` when another runner holds it (`wait == false`), else waits for it.
    pub fn acquire(path: &Path, wait: bool) -> Result<Option<RunnerLock>> {
        Self::take(safe_fs::open_rw(path)?, path, wait)
    }

    /// `defer run`'s acquire: stamps the heartbeat on the lock file first, so an idle
    /// or `lock_held` run counts too.
    pub fn acquire_for_run(path: &Path) -> Result<Option<RunnerLock>> {
        let file = safe_fs::open_rw(path)?;
        heartbeat::beat(&file);
        Self::take(file, path, false)
    }

    fn take(file: File, path: &Path, wait: bool) -> Result<Option<RunnerLock>> {
        let context = || format!("locking {}", path.display());
        if wait {
            file.lock().with_context(context)?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e).with_context(context),
            }
        }
        Ok(Some(RunnerLock { _file: file }))
    }
}

/// What one `run` did.
#[derive(Debug, Default)]
pub struct Report {
    /// Another runner held the lock; nothing was done.
    pub skipped: bool,
    pub recovered: Vec<Task>,
    pub executed: Vec<Task>,
    pub archived: usize,
    /// Invalid store lines, and due records that could not be loaded.
    pub bad: Vec<BadLine>,
    /// Series the circuit breaker paused.
    pub paused_series: Vec<Paused>,
    /// The runner's own failures, one per task it could not run (SPEC §11); the other
    /// due tasks still ran. `defer run` exits 1 when there is any.
    pub failures: Vec<anyhow::Error>,
}

impl Report {
    /// The runner's failures as one error, if any: the first, and how many more.
    pub fn failure(&mut self) -> Option<anyhow::Error> {
        let more = self.failures.len().checked_sub(1)?;
        let first = self.failures.remove(0);
        Some(match more {
            0 => first,
            n => anyhow!("{first:#} (and {n} more due task(s) could not be run)"),
        })
    }
}

/// A series the circuit breaker paused (§13): its pending occurrence is `paused`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    pub series: String,
    /// The paused occurrence.
    pub id: String,
    /// Consecutive failed occurrences that tripped it.
    pub failures: u32,
}

/// Everything a runner needs. `clock` is read at each step, so tests can fix it.
pub struct Runner<'a> {
    pub paths: &'a Paths,
    pub store: &'a Store,
    pub audit: &'a AuditLog,
    pub settings: &'a Settings,
    pub clock: &'a (dyn Fn() -> DateTime<Utc> + Sync),
    /// Told each `Notice` as it happens, on the thread that called `run` (a worker's
    /// notices are forwarded to it) (failures, transitions); `defer run` prints
    /// them, tests collect them.
    pub notify: &'a dyn Fn(&Notice),
}

impl Runner<'_> {
    /// `defer run`: dispatch due tasks into free slots, supervise them, sweep (see
    /// `dispatch`).
    pub fn run(&self) -> Result<Report> {
        let Some(lock) = RunnerLock::acquire_for_run(&self.paths.runner_lock())? else {
            self.audit.record(
                (self.clock)(),
                Event::RunnerSkipped,
                &[("reason", &"lock_held")],
            );
            return Ok(Report {
                skipped: true,
                ..Report::default()
            });
        };
        self.run_lanes(lock)
    }

    /// What this run works from, or `None` when the store's saved summary shows
    /// nothing to recover, execute, sweep or report at `now` (see `store::summary`).
    /// While the summary lists everything due at `now` and no orphan, that is a
    /// partial scan built from it (O(1) in the store's size); otherwise a full scan,
    /// whose summary is saved at once so that this run's own appends keep it current.
    fn start(&self, locked: &Locked<Exclusive>, now: DateTime<Utc>) -> Result<Option<Scan>> {
        let now = now.timestamp();
        let summary = locked.summary();
        let recovering = self.paths.archive_dir.join(archive::MARKER).exists();
        if !recovering && summary.as_ref().is_some_and(|s| s.idle_at(now)) {
            return Ok(None);
        }
        // Orphans are rare, and their recovery (a series' breaker) reads the series'
        // other occurrences: a full scan then.
        // Executing tasks whose workers live are no orphans (§20).
        let live = |slot: &crate::store::summary::Slot| {
            liveness::is_live(&self.paths.task_lock_path(&slot.id)).unwrap_or(false)
        };
        if let Some(summary) = summary.filter(|s| s.listed_at(now) && s.executing.iter().all(live))
        {
            return Ok(Some(locked.listed(&summary)));
        }
        let scan = locked.scan()?;
        locked.save_summary(&scan);
        Ok(Some(scan))
    }
}

/// Scheduled tasks due at `now`, oldest `run_at` first (ties in store order).
pub fn due(scan: &Scan, now: DateTime<Utc>) -> Vec<String> {
    let mut due: Vec<_> = scan
        .entries
        .iter()
        .filter(|e| e.status == Status::Scheduled && e.run_at.at() <= now)
        .collect();
    due.sort_by_key(|e| e.run_at);
    due.into_iter().map(|e| e.id.clone()).collect()
}

mod batch;
mod claim;
mod dispatch;
mod execute;
pub mod hooks;
pub mod lanes;
pub mod liveness;
pub mod notice;
mod outcome;
mod prompts;
mod recover;
mod sweep;
pub mod talkback;
#[cfg(test)]
mod tests;
pub mod waiting;
mod worker;
