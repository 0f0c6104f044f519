//! `defer doctor` (SPEC §15): every way `defer` can fail silently, checked and reported
//! as rows `{check, status, detail, fix}`. It only looks: it creates nothing, holds no
//! lock for more than an instant, never opens a FIFO, bounds every command it runs,
//! and never refuses (a broken setup is a `fail` row, not an error).
//!
//! Each check is a small function of plain facts; the facts from outside the runtime
//! dir (processes, the crontab, systemd, free space, this binary) come through
//! [`System`], so tests can drive every decision. [`Host`] is the real machine.

mod files;
mod holds;
mod host;
mod lanes;
mod proof;
mod runner;
mod server;
mod store;
mod system;
mod table;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Env;

pub use host::Host;
pub use table::table;

/// How one check came out. `fail` makes `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One row of the report. `fix` is one line, present on every row that is not `ok`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub check: &'static str,
    pub status: Level,
    pub detail: String,
    pub fix: Option<String>,
}

impl Row {
    pub fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Row {
            check,
            status: Level::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Row {
            status: Level::Warn,
            fix: Some(fix.into()),
            ..Row::ok(check, detail)
        }
    }

    pub fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Row {
            status: Level::Fail,
            ..Row::warn(check, detail, fix)
        }
    }
}

/// What `crontab -l` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Crontab {
    /// The user's crontab (empty when they have none).
    Text(String),
    /// There is no `crontab` command.
    NoCommand,
    /// It failed or timed out; the reason.
    Failed(String),
}

/// A running process that may be a cron daemon: its pid and name (`/proc/PID/comm`,
/// or `busybox crond`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
}

/// The facts doctor reads from outside the runtime dir.
pub trait System {
    /// Running processes; `None` when they cannot be listed (no `/proc`).
    fn processes(&self) -> Option<Vec<Process>>;
    fn crontab(&self) -> Crontab;
    /// An active systemd user timer whose service runs `defer ... run`, by name;
    /// `None` when there is none or systemd cannot be asked.
    fn systemd_timer(&self) -> Option<String>;
    /// Bytes available to this user on the filesystem holding `path`.
    fn free_bytes(&self, path: &Path) -> Option<u64>;
    /// This program's absolute path.
    fn binary(&self) -> Option<PathBuf>;
}

/// Runs every check, in a fixed order.
pub fn run(env: &Env, now: DateTime<Utc>, sys: &dyn System) -> Vec<Row> {
    let mut rows = vec![system::settings(env)];
    match env.paths() {
        Ok(paths) => {
            rows.extend(files::rows(&paths, env));
            let view = store::read(&paths.tasks_file, &paths.store_lock());
            rows.push(store::invalid_lines(&view));
            let runner_busy = store::runner_busy(&paths.runner_lock());
            let live = |id: &str| {
                crate::runner::liveness::is_live(&paths.task_lock_path(id)).unwrap_or(false)
            };
            rows.push(store::orphans(&view, runner_busy, &live));
            let limits = env.lane_limits().unwrap_or_default();
            let lanes = lanes::lanes(&view, &limits, &live, now);
            // A task waiting for a slot is the lanes row's, not a sign of a missing runner.
            let mut rest = store::View {
                tasks: view.tasks.clone(),
                ..store::View::default()
            };
            rest.tasks.retain(|(id, _, _)| !lanes.waiting.contains(id));
            // Nor is a task whose lane an executor's report holds (SPEC §22).
            let held = crate::hold::active(&paths, now);
            rest.tasks.retain(|(id, _, _)| {
                !holds::is_held(&held, view.lanes.get(id).map(String::as_str))
            });
            rows.push(store::overdue(&rest, now));
            rows.push(lanes.row);
            rows.push(proof::duplicates(&paths, now));
            rows.push(holds::lane_holds(&held));
            let last = crate::heartbeat::last_run(&paths.runner_lock());
            let fresh = !crate::heartbeat::is_stale(last, now);
            rows.push(runner::heartbeat(last, now));
            rows.push(runner::crontab(
                &sys.crontab(),
                sys.binary().as_deref(),
                env,
                &paths,
                fresh,
            ));
            rows.push(runner::daemon(sys, fresh));
            rows.push(system::disk_space(&paths.runtime_dir, sys));
        }
        Err(e) => rows.push(Row::fail(
            "runtime_dir",
            format!("{e:#}"),
            "set DEFER_RUNTIME_DIR (or HOME) to where defer keeps its state",
        )),
    }
    rows.push(system::executor(env));
    rows.push(system::hooks(env));
    rows.push(system::timezone(env));
    rows.push(system::skill(env.home().as_deref()));
    rows
}

/// Every check, as the MCP server runs them: first a row saying they read the server's
/// own environment, warning when its runtime dir or executor is not the crontab line's.
pub fn run_for_server(env: &Env, now: DateTime<Utc>, sys: &dyn System) -> Vec<Row> {
    let mut rows = vec![server::environment(env, &sys.crontab())];
    rows.extend(run(env, now, sys));
    rows
}

/// The cron daemon check alone (for `defer cron --install`): `None` when a cron
/// daemon or a systemd timer for `defer run` is running, else the row.
pub fn cron_daemon_problem(sys: &dyn System) -> Option<Row> {
    let row = runner::daemon(sys, false);
    (row.status != Level::Ok).then_some(row)
}

/// The worst status among `rows`.
pub fn worst(rows: &[Row]) -> Level {
    rows.iter().map(|r| r.status).max().unwrap_or(Level::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine with no cron daemon, an empty crontab and no systemd.
    struct Bare;

    impl System for Bare {
        fn processes(&self) -> Option<Vec<Process>> {
            Some(vec![Process {
                pid: 1,
                name: "init".into(),
            }])
        }
        fn crontab(&self) -> Crontab {
            Crontab::Text(String::new())
        }
        fn systemd_timer(&self) -> Option<String> {
            None
        }
        fn free_bytes(&self, _: &Path) -> Option<u64> {
            Some(5 * 1024 * 1024)
        }
        fn binary(&self) -> Option<PathBuf> {
            None
        }
    }

    fn status(rows: &[Row], check: &str) -> Level {
        rows.iter().find(|r| r.check == check).unwrap().status
    }

    #[test]
    fn a_bare_machine_fails_and_a_recent_run_softens_it() {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tmp.path().join("rt");
        let env = Env::from_pairs([
            ("DEFER_RUNTIME_DIR", runtime.to_str().unwrap()),
            ("DEFER_TIMEZONE", "UTC"),
        ]);
        let now = Utc::now();
        let rows = run(&env, now, &Bare);
        assert_eq!(status(&rows, "crontab"), Level::Fail);
        assert_eq!(status(&rows, "cron_daemon"), Level::Fail);
        assert_eq!(status(&rows, "disk_space"), Level::Fail);
        assert_eq!(worst(&rows), Level::Fail);
        assert!(!runtime.exists(), "doctor created the runtime dir");

        // Something ran `defer run` a minute ago: a missing crontab line and cron
        // daemon are warnings (a systemd timer or another scheduler runs it).
        std::fs::create_dir(&runtime).unwrap();
        let lock = env.paths().unwrap().runner_lock();
        std::fs::File::create(&lock).unwrap();
        // The heartbeat is the file's mtime (the kernel's clock, never a faked one).
        let touched: chrono::DateTime<Utc> =
            std::fs::metadata(&lock).unwrap().modified().unwrap().into();
        let rows = run(&env, touched + chrono::Duration::seconds(60), &Bare);
        assert_eq!(status(&rows, "heartbeat"), Level::Ok);
        assert_eq!(status(&rows, "crontab"), Level::Warn);
        assert_eq!(status(&rows, "cron_daemon"), Level::Warn);
    }

    #[test]
    fn no_home_and_no_runtime_dir_is_a_row() {
        let rows = run(&Env::default(), Utc::now(), &Bare);
        assert_eq!(status(&rows, "runtime_dir"), Level::Fail);
        assert_ne!(status(&rows, "timezone"), Level::Fail);
    }
}
