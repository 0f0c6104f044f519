//! The runner behind `defer run` and `defer execute`: the runner lock, orphan recovery,
//! due selection, claim → execute → record for each task, then the archive sweep.
//! While the runner lock is held nobody rewrites the store, so the runner keeps one
//! scan and only reads what others append (`Locked::catch_up`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};

use crate::archive;
use crate::audit::{AuditLog, Event};
use crate::command::Program;
use crate::config::{Env, Paths};
use crate::executor::{self, Ending, Invocation, Limits};
use crate::fsx;
use crate::lifecycle::{self, Output};
use crate::prompt;
use crate::stop;
use crate::store::{BadLine, Exclusive, Locked, Scan, Store};
use crate::task::{ResultType, Status, Task};

/// How tasks are executed; read from the environment once per command.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub executor: Option<PathBuf>,
    /// `PATH`, for a bare executor name.
    pub search_path: Option<String>,
    pub retry_delay: Duration,
    pub limits: Limits,
}

impl Settings {
    /// Every variable is checked here, so bad configuration stops `run` before it
    /// touches anything.
    pub fn from_env(env: &Env) -> Result<Self> {
        Ok(Settings {
            executor: env.executor(),
            search_path: env.get("PATH").map(str::to_string),
            retry_delay: env.retry_delay()?,
            limits: Limits {
                timeout: env.executor_timeout()?,
                ..Limits::default()
            },
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
        let file = fsx::open_rw(path)?;
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
}

/// Everything a runner needs. `clock` is read at each step, so tests can fix it.
pub struct Runner<'a> {
    pub paths: &'a Paths,
    pub store: &'a Store,
    pub audit: &'a AuditLog,
    pub settings: &'a Settings,
    pub clock: &'a dyn Fn() -> DateTime<Utc>,
}

impl Runner<'_> {
    /// `defer run`: recover orphans, execute due tasks oldest first, sweep.
    pub fn run(&self) -> Result<Report> {
        let mut report = Report::default();
        let Some(_lock) = RunnerLock::acquire(&self.paths.runner_lock(), false)? else {
            self.audit.record(
                (self.clock)(),
                Event::RunnerSkipped,
                &[("reason", &"lock_held")],
            );
            report.skipped = true;
            return Ok(report);
        };
        let now = (self.clock)();
        let locked = self.store.write()?;
        if self.idle(&locked, now) {
            return Ok(report);
        }
        let mut scan = locked.scan()?;
        report.recovered = self.recover(&locked, &scan, now)?;
        locked.catch_up(&mut scan)?;
        drop(locked);
        for id in due(&scan, now) {
            if stop::requested() {
                bail!("stopped by a signal; the task in hand was recorded as interrupted, the rest are still scheduled");
            }
            if let Some(task) = self.execute_stored(&id, &mut scan, &mut report.bad)? {
                report.executed.push(task);
            }
        }
        if stop::requested() {
            bail!("stopped by a signal; the task in hand was recorded as interrupted");
        }
        // Line numbers as they are before the sweep renumbers the file.
        report.bad.extend(scan.bad.iter().cloned());
        report.archived = self.sweep(&mut scan)?;
        report.bad.sort_by_key(|b| b.line_no);
        report.bad.dedup_by_key(|b| b.line_no);
        Ok(report)
    }

    /// True when the store's saved summary shows nothing to recover, execute, sweep or
    /// report at `now`, so the scan can be skipped (see `store::summary`).
    fn idle(&self, locked: &Locked<Exclusive>, now: DateTime<Utc>) -> bool {
        locked.summary().is_some_and(|s| s.idle_at(now.timestamp()))
            && !self.paths.archive_dir.join(archive::MARKER).exists()
    }

    /// Tasks left `executing` by a runner that died count an `interrupted` attempt.
    fn recover(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        now: DateTime<Utc>,
    ) -> Result<Vec<Task>> {
        let mut recovered = Vec::new();
        for entry in scan
            .entries
            .iter()
            .filter(|e| e.status == Status::Executing)
        {
            let Ok(task) = locked.load(entry) else {
                continue;
            };
            let prompt_path = self.paths.prompt_path(&task.id).display().to_string();
            let next = lifecycle::attempt_failed(
                &task,
                "interrupted",
                ResultType::Interrupted,
                &prompt_path,
                Output::default(),
                self.settings.retry_delay,
                now,
            );
            recovered.push(next);
        }
        if !recovered.is_empty() {
            locked.append(&recovered.iter().collect::<Vec<_>>())?;
            for task in &recovered {
                self.audit.record(
                    now,
                    Event::Interrupted,
                    &[("id", &task.id), ("status", &task.status)],
                );
            }
        }
        Ok(recovered)
    }

    /// Claims `id` if it is still scheduled, executes it, and records the outcome.
    pub fn execute_stored(
        &self,
        id: &str,
        scan: &mut Scan,
        bad: &mut Vec<BadLine>,
    ) -> Result<Option<Task>> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        let Some(entry) = scan.get(id).filter(|e| e.status == Status::Scheduled) else {
            return Ok(None);
        };
        let task = match locked.load(entry) {
            Ok(task) => task,
            Err(e) => {
                bad.push(BadLine {
                    line_no: entry.line_no,
                    offset: entry.offset,
                    reason: format!("{e:#}"),
                });
                return Ok(None);
            }
        };
        let claimed = lifecycle::claim(&task, (self.clock)());
        locked.append(&[&claimed])?;
        drop(locked);
        self.audit
            .record((self.clock)(), Event::RunnerClaimed, &[("id", &claimed.id)]);
        let done = self.execute(&claimed)?;
        self.store.write()?.append(&[&done])?;
        Ok(Some(done))
    }

    /// The execution path shared by `run` and `execute`: prompt artifact first, then
    /// the executor (if any); returns the task's next snapshot, already logged.
    pub fn execute(&self, task: &Task) -> Result<Task> {
        let prompt_path = self.paths.prompt_path(&task.id);
        fsx::write_atomic(&prompt_path, prompt::render(task).as_bytes())?;
        let prompt_text = prompt_path.display().to_string();
        let program = Program::choose(task, self.settings.executor.as_deref());
        let next = match program {
            None => {
                let now = (self.clock)();
                lifecycle::complete(
                    task,
                    ResultType::PromptPrepared,
                    &prompt_text,
                    Output::default(),
                    now,
                )
            }
            Some(program) => self.run_executor(task, program, &prompt_text)?,
        };
        self.log_outcome(&next);
        Ok(next)
    }

    fn run_executor(&self, task: &Task, chosen: Program, prompt_path: &str) -> Result<Task> {
        let Some(program) = chosen.resolve(self.settings.search_path.as_deref()) else {
            let error = chosen.not_executable();
            let now = (self.clock)();
            return Ok(lifecycle::fail(
                task,
                &error,
                ResultType::ExecutorFailed,
                prompt_path,
                Output::default(),
                now,
            ));
        };
        let mut stdin = serde_json::to_vec(task)?;
        stdin.push(b'\n');
        let env = [
            ("DEFER_TASK_ID", task.id.clone()),
            ("DEFER_PROMPT_PATH", prompt_path.to_string()),
        ];
        let output_file = self.paths.output_path(&task.id);
        let invocation = Invocation {
            program: &program,
            args: chosen.args(),
            stdin: &stdin,
            env: &env,
            output_file: &output_file,
        };
        let outcome = executor::run(&invocation, &self.settings.limits)?;
        let output = Output {
            text: Some(outcome.output_text()),
            truncated: outcome.truncated,
        };
        let now = (self.clock)();
        // A stopped runner's attempt is interrupted, exactly like an orphan's.
        let kind = match outcome.ending {
            Ending::Stopped => ResultType::Interrupted,
            _ => ResultType::ExecutorFailed,
        };
        Ok(match outcome.ending.success() {
            true => lifecycle::complete(task, ResultType::ExecutorOutput, prompt_path, output, now),
            false => lifecycle::attempt_failed(
                task,
                &outcome.ending.to_string(),
                kind,
                prompt_path,
                output,
                self.settings.retry_delay,
                now,
            ),
        })
    }

    fn log_outcome(&self, task: &Task) {
        let now = (self.clock)();
        let kind = task
            .result
            .as_ref()
            .map(|r| r.kind.to_string())
            .unwrap_or_default();
        let interrupted = task.result.as_ref().map(|r| r.kind) == Some(ResultType::Interrupted);
        match task.status {
            _ if interrupted => self.audit.record(
                now,
                Event::Interrupted,
                &[("id", &task.id), ("status", &task.status)],
            ),
            Status::Completed => {
                self.audit
                    .record(now, Event::Executed, &[("id", &task.id), ("result", &kind)])
            }
            Status::Scheduled => self.audit.record(
                now,
                Event::RetryScheduled,
                &[
                    ("id", &task.id),
                    ("attempt", &task.attempts),
                    ("next_run_at", &task.run_at),
                    ("error", &task.last_error.as_deref().unwrap_or_default()),
                ],
            ),
            _ => self.audit.record(
                now,
                Event::Failed,
                &[
                    ("id", &task.id),
                    ("error", &task.error.as_deref().unwrap_or_default()),
                ],
            ),
        }
    }

    /// Archives terminal tasks if there are any; returns how many moved.
    fn sweep(&self, scan: &mut Scan) -> Result<usize> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        if !archive::needed(scan, self.paths) {
            locked.save_summary(scan);
            return Ok(0);
        }
        let swept = archive::sweep(&locked, scan, self.paths)?;
        drop(locked);
        archive::log(self.audit, &swept, (self.clock)());
        Ok(swept.archived.len())
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

#[cfg(all(test, unix))]
mod tests;
