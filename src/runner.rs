//! The runner behind `defer run` and `defer execute`: the runner lock, orphan recovery,
//! due selection, claim → execute → record for each task, then the archive sweep.
//! While the runner lock is held nobody rewrites the store, so the runner keeps one
//! scan and only reads what others append (`Locked::catch_up`). After each outcome is
//! recorded it reports a `Notice` and runs the task's hook (`settle`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};

use crate::archive;
use crate::attempt::{self, Facts};
use crate::audit::{AuditLog, Event};
use crate::command::Program;
use crate::config::{Env, Paths};
use crate::executor::{self, Ending, Invocation, Limits};
use crate::fsx;
use crate::heartbeat;
use crate::ids;
use crate::lifecycle::{self, Output};
use crate::prompt;
use crate::series::chain::{self, Trigger};
use crate::series::Grace;
use crate::store::{BadLine, Exclusive, Locked, Scan, Store};
use crate::task::{ExecutorProcess, ResultType, Status, Task};

use hooks::{Hook, HookRun, Hooks};
use liveness::TaskLock;
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
        Self::take(fsx::open_rw(path)?, path, wait)
    }

    /// `defer run`'s acquire: stamps the heartbeat on the lock file first, so an idle
    /// or `lock_held` run counts too.
    pub fn acquire_for_run(path: &Path) -> Result<Option<RunnerLock>> {
        let file = fsx::open_rw(path)?;
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

    /// Tasks left `executing` by a runner that died count an `interrupted` attempt when
    /// their executor had started; returns them, and the series the breaker paused
    /// because of them. A claim whose executor never started goes back to `scheduled`
    /// as it was (audit `released`), not counted.
    fn recover(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Task>, Vec<Paused>)> {
        let mut recovered = Vec::new();
        let mut released = Vec::new();
        let mut paused = Vec::new();
        let mut stopped_groups = Vec::new();
        for entry in scan
            .entries
            .iter()
            .filter(|e| e.status == Status::Executing)
        {
            // A worker holds the lock of its task while the executor runs (§20).
            if liveness::is_live(&self.paths.task_lock_path(&entry.id))? {
                continue;
            }
            let Ok(task) = locked.load(entry) else {
                continue;
            };
            // No executor recorded: it never started (it starts only once its
            // process is recorded, see `executor::run_with`), so no attempt (SPEC §19).
            if task.executor.is_none() {
                released.push(lifecycle::unclaim(&task));
                continue;
            }
            // The dead runner's executor may still run: stop it first, so the task
            // never has two live executions (SPEC §11).
            let stopped = task.executor.is_some_and(|p| {
                executor::process::stop_orphan(&p, self.settings.limits.kill_grace)
            });
            if stopped {
                stopped_groups.push(task.id.clone());
            }
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
            // No clock of the dead runner's: the duration comes from `started_at`.
            recovered.push(attempt::record(&task, next, &Facts::default(), now));
        }
        if !released.is_empty() {
            locked.append(&released.iter().collect::<Vec<_>>())?;
            for task in &released {
                self.audit.record(
                    now,
                    Event::Released,
                    &[("id", &task.id), ("reason", &"executor_never_started")],
                );
            }
        }
        if !recovered.is_empty() {
            let follow = recovered
                .iter()
                .filter_map(|done| self.breaker(locked, scan, done, &mut paused))
                .collect::<Vec<_>>();
            locked.append(&recovered.iter().chain(&follow).collect::<Vec<_>>())?;
            for task in &recovered {
                let mut fields: Vec<(&str, &dyn std::fmt::Display)> =
                    vec![("id", &task.id), ("status", &task.status)];
                if stopped_groups.contains(&task.id) {
                    fields.push(("executor", &"stopped"));
                }
                self.audit.record(now, Event::Interrupted, &fields);
            }
            self.log_paused(&paused, now);
        }
        Ok((recovered, paused))
    }

    /// Claims `id` if it is still scheduled, executes it, and records the outcome.
    pub fn execute_stored(
        &self,
        id: &str,
        scan: &mut Scan,
        bad: &mut Vec<BadLine>,
    ) -> Result<Option<Task>> {
        let mut report = Report::default();
        let done = self.claim_and_execute(id, scan, &mut report, Trigger::Explicit)?;
        bad.append(&mut report.bad);
        Ok(done)
    }

    /// `execute_stored`, noting breaker pauses in `report`. A claim applies the
    /// missed-run policy (§12) and appends a series' next occurrence in the same write.
    fn claim_and_execute(
        &self,
        id: &str,
        scan: &mut Scan,
        report: &mut Report,
        trigger: Trigger,
    ) -> Result<Option<Task>> {
        let bad = &mut report.bad;
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        let Some(entry) = scan.get(id).filter(|e| e.status == Status::Scheduled) else {
            return Ok(None);
        };
        let task = match locked.load(entry) {
            Ok(task) => task,
            Err(e) => {
                let line_no = match entry.line_no {
                    0 => locked.line_number_at(entry.offset)?,
                    n => n,
                };
                bad.push(BadLine {
                    line_no,
                    offset: entry.offset,
                    reason: format!("{e:#}"),
                });
                return Ok(None);
            }
        };
        // A series occurrence's claim and outcome look up its other occurrences
        // (`Scan::occurrence`), which a partial scan may not hold: add every line that
        // names the series (one memchr pass, not a parse of the store).
        if let Some(series) = task.series.as_ref().filter(|_| scan.is_partial()) {
            locked.absorb_mentioning(scan, format!("\"{}\"", series.id).as_bytes())?;
        }
        let now = (self.clock)();
        let mut step = chain::claim(
            &task,
            now,
            self.settings.grace.0,
            trigger,
            |series, k| scan.occurrence(series, k).map(|e| e.id.clone()),
            || ids::generate(now),
        );
        self.hold_fire(&locked, scan, &task, &mut step, now)?;
        let writes: Vec<&Task> = [Some(&step.snapshot), step.next.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        if step.missed() {
            locked.append(&writes)?;
            // The next occurrence may be due already (`--missed all`): `run` sees it.
            locked.catch_up(scan)?;
            drop(locked);
            self.log_claim(&step, now);
            self.settle(&step.snapshot, &[]);
            return Ok(Some(step.snapshot));
        }
        let claimed = &step.snapshot;
        // The prompt before the claim: a runner that cannot write it has claimed
        // nothing, and the task stays as it is (SPEC §11).
        let prompt_path = self.write_prompt(claimed).with_context(|| {
            format!("task {id} was not run and stays scheduled; the runner could not prepare it")
        })?;
        // Held until the outcome is recorded: the task is live, never an orphan (§20).
        let Some(task_lock) = TaskLock::try_take(&self.paths.task_lock_path(id))? else {
            return Ok(None);
        };
        // The claim and a series' next occurrence: one append, one fsync.
        locked.append(&writes)?;
        locked.catch_up(scan)?;
        drop(locked);
        self.log_claim(&step, now);
        (self.notify)(&Notice::Claimed {
            id: claimed.id.clone(),
        });
        let (done, file_error) = match self.execute_prepared(claimed, &prompt_path, true) {
            Ok(attempt) => attempt,
            Err(e) => return Err(self.release(&task, claimed, e)),
        };
        let recorded = self.record_outcome(&done, scan, report);
        task_lock.release();
        recorded?;
        match file_error {
            None => Ok(Some(done)),
            Some(e) => Err(incomplete_output(&done, &e)),
        }
    }

    /// Appends `done` and, in the same write, the breaker's update of the series'
    /// pending occurrence; a pause is logged and noted in `report`.
    fn record_outcome(&self, done: &Task, scan: &mut Scan, report: &mut Report) -> Result<()> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        let mut paused = Vec::new();
        let follow = self.breaker(&locked, scan, done, &mut paused);
        let writes: Vec<&Task> = [Some(done), follow.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        locked.append(&writes)?;
        drop(locked);
        self.log_paused(&paused, (self.clock)());
        self.settle(done, &paused);
        report.paused_series.extend(paused);
        Ok(())
    }

    /// After a task's outcome is recorded: reports it (and the series the breaker
    /// paused because of it), then runs the hook its status calls for, if one is
    /// configured (SPEC §14) — before the runner goes on.
    pub fn settle(&self, task: &Task, paused: &[Paused]) {
        if let Some(notice) = Notice::outcome(task) {
            (self.notify)(&notice);
        }
        for p in paused {
            (self.notify)(&Notice::SeriesPaused {
                series: p.series.clone(),
                failures: p.failures,
            });
        }
        if let Some(hook) = Hook::for_status(task.status) {
            self.run_hook(hook, task);
        }
    }

    /// Runs `hook` for `task` (its final record) if it is configured. Its failure is an
    /// audit event and a notice; the task is left as it is.
    pub fn run_hook(&self, hook: Hook, task: &Task) {
        let Some(program) = self.settings.hooks.get(hook) else {
            return;
        };
        let limits = self
            .settings
            .hook_limits
            .clone()
            .unwrap_or_else(hooks::limits);
        let run = HookRun {
            program,
            search_path: self.settings.search_path.as_deref(),
            limits: &limits,
            output_file: &self.paths.hook_output_path(&task.id),
        };
        let id = task.id.clone();
        match run.run(task) {
            Ok(()) => (self.notify)(&Notice::HookRan { hook, id }),
            Err(reason) => {
                self.audit.record(
                    (self.clock)(),
                    Event::HookFailed,
                    &[
                        ("id", &task.id),
                        ("hook", &hook),
                        ("status", &task.status),
                        ("reason", &reason),
                    ],
                );
                (self.notify)(&Notice::HookFailed { hook, id, reason });
            }
        }
    }

    /// The pending occurrence's new snapshot after `done` ended, if the breaker's
    /// count changed (see `series::chain::after_outcome`); a pause goes to `paused`.
    fn breaker(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        done: &Task,
        paused: &mut Vec<Paused>,
    ) -> Option<Task> {
        let series = done.series.as_ref()?;
        let entry = scan.occurrence(&series.id, series.occurrence.checked_add(1)?)?;
        if !matches!(entry.status, Status::Scheduled | Status::Paused) {
            return None;
        }
        let next = locked.load(entry).ok()?;
        let (updated, tripped) = chain::after_outcome(done, &next)?;
        if tripped {
            paused.push(Paused {
                series: series.id.clone(),
                id: updated.id.clone(),
                failures: series.consecutive_failures.saturating_add(1),
            });
        }
        Some(updated)
    }

    fn log_claim(&self, step: &chain::ClaimStep, now: DateTime<Utc>) {
        let task = &step.snapshot;
        let late = task.late_by_seconds.map(|s| s.to_string());
        let fires = task.missed_fires.map(|n| n.to_string());
        let mut fields: Vec<(&str, &dyn std::fmt::Display)> = vec![("id", &task.id)];
        if let Some(late) = &late {
            fields.push(("late_by", late));
        }
        if let Some(fires) = &fires {
            fields.push(("missed_fires", fires));
        }
        let event = match step.missed() {
            true => Event::Missed,
            false => Event::RunnerClaimed,
        };
        self.audit.record(now, event, &fields);
        if !step.missed() && task.missed_fires.is_some_and(|n| n > 0) {
            // run-once: the earlier fires were missed, this one runs.
            self.audit.record(now, Event::Missed, &fields);
        }
        if let Some(next) = &step.next {
            let series = next.series.as_ref().map(|s| (s.id.as_str(), s.occurrence));
            let (series_id, occurrence) = series.unwrap_or_default();
            self.audit.record(
                now,
                Event::Scheduled,
                &[
                    ("id", &next.id),
                    ("run_at", &next.run_at),
                    ("series", &series_id),
                    ("occurrence", &occurrence),
                ],
            );
        }
    }

    fn log_paused(&self, paused: &[Paused], now: DateTime<Utc>) {
        for p in paused {
            self.audit.record(
                now,
                Event::SeriesPaused,
                &[
                    ("id", &p.id),
                    ("series", &p.series),
                    ("failures", &p.failures),
                ],
            );
        }
    }

    /// The runner failed after the claim, not the executor: the task goes back to
    /// `scheduled` at the same `run_at`, its attempts untouched, `last_error` naming
    /// the cause; returns the error `run` reports (SPEC §11).
    fn release(&self, before_claim: &Task, claimed: &Task, e: anyhow::Error) -> anyhow::Error {
        let cause = format!("runner error: {e:#}");
        let released = lifecycle::release(before_claim, claimed, &cause);
        let recorded = self.store.write().and_then(|l| l.append(&[&released]));
        let id = &before_claim.id;
        match recorded {
            Ok(()) => anyhow!(
                "task {id}: {cause} (not counted as an attempt; still scheduled at {})",
                released.run_at
            ),
            Err(again) => anyhow!(
                "task {id}: {cause}; recording that failed too ({again:#}): the next run will find it executing"
            ),
        }
    }

    /// The execution path of `execute` from stdin JSON: prompt artifact first, then the
    /// executor (if any); returns the task's next snapshot, already logged.
    pub fn execute(&self, task: &Task) -> Result<Task> {
        let prompt_path = self.write_prompt(task)?;
        let (next, file_error) = self.execute_prepared(task, &prompt_path, false)?;
        self.settle(&next, &[]);
        match file_error {
            None => Ok(next),
            Some(e) => Err(incomplete_output(&next, &e)),
        }
    }

    /// Writes `logs/<id>.prompt.txt`; returns its path as stored in `result`.
    fn write_prompt(&self, task: &Task) -> Result<String> {
        let prompt_path = self.paths.prompt_path(&task.id);
        let changes = crate::runner::talkback::changes_for(task);
        fsx::write_atomic(&prompt_path, prompt::render_with(task, &changes).as_bytes())?;
        Ok(prompt_path.display().to_string())
    }

    /// Runs the executor (if any) for a task whose prompt is written; returns the
    /// task's next snapshot, already logged. `stored`: the task is claimed in the store,
    /// which then records the executor's process once it runs.
    /// Also returns a failure to write the output file part-way: the executor ran, so
    /// its outcome counts, but the runner must still report it. Either way the attempt
    /// is appended to the task's `history`, timed from here (just after the claim).
    fn execute_prepared(
        &self,
        task: &Task,
        prompt_text: &str,
        stored: bool,
    ) -> Result<(Task, Option<String>)> {
        let began = Instant::now();
        let program = Program::choose(task, self.settings.executor.as_deref());
        let (next, file_error) = match program {
            None => {
                let now = (self.clock)();
                let done = lifecycle::complete(
                    task,
                    ResultType::PromptPrepared,
                    prompt_text,
                    Output::default(),
                    now,
                );
                (attempt::record(task, done, &Facts::took(began), now), None)
            }
            Some(program) => self.run_executor(task, program, prompt_text, stored, began)?,
        };
        self.log_outcome(&next);
        Ok((next, file_error))
    }

    fn run_executor(
        &self,
        task: &Task,
        chosen: Program,
        prompt_path: &str,
        stored: bool,
        began: Instant,
    ) -> Result<(Task, Option<String>)> {
        let Some(program) = chosen.resolve(self.settings.search_path.as_deref()) else {
            let error = chosen.not_executable();
            let now = (self.clock)();
            let failed = lifecycle::fail(
                task,
                &error,
                ResultType::ExecutorFailed,
                prompt_path,
                Output::default(),
                now,
            );
            return Ok((
                attempt::record(task, failed, &Facts::took(began), now),
                None,
            ));
        };
        let mut stdin = serde_json::to_vec(task)?;
        stdin.push(b'\n');
        let mut env = vec![
            ("DEFER_TASK_ID", task.id.clone()),
            ("DEFER_PROMPT_PATH", prompt_path.to_string()),
            // The fire this run stands for, and how late it is (§12).
            ("DEFER_SCHEDULED_FOR", task.run_at.to_string()),
        ];
        if let Some(late) = task.late_by_seconds {
            env.push(("DEFER_LATE_SECONDS", late.to_string()));
        }
        // What is left of a series' --budget, for the executor to pass on (SPEC §22).
        if let Some(left) = self.budget_left(task) {
            env.push(("DEFER_BUDGET_USD", left));
        }
        // A fresh, empty report file for this attempt (SPEC §22).
        let report_path = self.paths.report_path(&task.id);
        talkback::prepare(&report_path)?;
        env.push(("DEFER_REPORT_PATH", report_path.display().to_string()));
        let output_file = self.paths.output_path(&task.id);
        let invocation = Invocation {
            program: &program,
            args: chosen.args(),
            stdin: &stdin,
            env: &env,
            output_file: &output_file,
        };
        // A second `executing` snapshot names the executor's process, for recovery.
        let record_process = |pid: u32| -> Result<()> {
            if !stored {
                return Ok(());
            }
            let process = ExecutorProcess {
                pid,
                started: executor::process::start_time(pid),
            };
            let running = lifecycle::running(task, process);
            self.store.write()?.append(&[&running])
        };
        let outcome = executor::run_with(&invocation, &self.settings.limits, &record_process)?;
        let output = Output {
            text: Some(outcome.output_text()),
            truncated: outcome.truncated,
        };
        let now = (self.clock)();
        // A stopped runner's attempt is interrupted, exactly like an orphan's; its
        // report (if any) is not weighed.
        let (next, report) = match outcome.ending {
            Ending::Stopped => {
                let next = lifecycle::attempt_failed(
                    task,
                    &outcome.error(),
                    ResultType::Interrupted,
                    prompt_path,
                    output,
                    self.settings.retry_delay,
                    now,
                );
                (next, None)
            }
            _ => {
                let report = match talkback::read(&report_path) {
                    Ok(report) => report,
                    Err(error) => {
                        (self.notify)(&Notice::ReportUnreadable {
                            id: task.id.clone(),
                            error,
                        });
                        None
                    }
                };
                let next = self.judge(task, &outcome, report.as_ref(), prompt_path, output, now);
                (next, report)
            }
        };
        // The record keeps the head of the output; past it, the tail is in the file.
        let file_end = match outcome.truncated {
            true => attempt::file_end(&output_file),
            false => Vec::new(),
        };
        let facts = Facts {
            ending: Some(&outcome.ending),
            elapsed: Some(began.elapsed()),
            output_end: match outcome.truncated {
                true => &file_end,
                false => &outcome.output,
            },
        };
        let mut next = attempt::record(task, next, &facts, now);
        talkback::entry(&mut next, report.as_ref());
        Ok((next, outcome.file_error))
    }

    fn log_outcome(&self, task: &Task) {
        let now = (self.clock)();
        if self.log_talkback(task, now) {
            return;
        }
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

    /// Archives terminal tasks if there are any (compacting the store when it is small
    /// or mostly dead, SPEC §18); returns how many moved.
    fn sweep(&self, scan: &mut Scan) -> Result<usize> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        if !archive::needed(scan, self.paths) {
            return Ok(0);
        }
        let swept = archive::settle(&locked, scan, self.paths)?;
        drop(locked);
        archive::log(self.audit, &swept, (self.clock)());
        Ok(swept.archived.len())
    }
}

/// The executor ran and its outcome is recorded, but its output file is incomplete.
fn incomplete_output(task: &Task, error: &str) -> anyhow::Error {
    anyhow!(
        "task {} ran and was recorded as {}, but {error}: logs/{}.output.txt is incomplete",
        task.id,
        task.status,
        task.id
    )
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
mod dispatch;
pub mod hooks;
pub mod lanes;
pub mod liveness;
pub mod notice;
mod prompts;
pub mod talkback;
#[cfg(test)]
mod tests;
pub mod waiting;
mod worker;
