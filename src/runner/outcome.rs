//! Settling an attempt's result: the breaker's update of the series' pending
//! occurrence, the outcome audited, reported as a `Notice`, and its hook run.

use chrono::{DateTime, Utc};

use super::hooks::{self, Hook, HookRun};
use super::{Notice, Paused, Runner};
use crate::audit::Event;
use crate::series::chain;
use crate::store::{Exclusive, Locked, Scan};
use crate::task::{ResultType, Status, Task};

impl Runner<'_> {
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
    pub(super) fn breaker(
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

    pub(super) fn log_paused(&self, paused: &[Paused], now: DateTime<Utc>) {
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

    pub(super) fn log_outcome(&self, task: &Task) {
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
}
