//! What the runner tells the user as it works (SPEC §14): problems — a task failed or
//! was missed, a series paused, a hook failed — which `defer run` always prints, so
//! cron mails them, and transitions, which it prints with `--verbose`. The runner
//! reports notices as they happen; the CLI decides what to print.

use std::fmt;

use crate::runner::hooks::Hook;
use crate::task::{ResultType, Status, Task};
use crate::timestamp::Timestamp;

/// One thing worth a stderr line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The task was claimed (`executing`).
    Claimed { id: String },
    /// The task completed; `result` is its result type.
    Completed { id: String, result: String },
    /// An attempt failed and a retry is scheduled (not a failure of the task).
    RetryScheduled {
        id: String,
        at: Timestamp,
        attempt: u32,
        of: u32,
        error: String,
    },
    /// The attempt was interrupted (its runner died or was stopped) and will be retried.
    Interrupted { id: String, retry_at: Timestamp },
    /// The task became `failed`.
    Failed {
        id: String,
        attempts: u32,
        error: String,
    },
    /// The task became `missed` (SPEC §12): due at `due`, reached this late.
    Missed {
        id: String,
        due: Timestamp,
        late_by_seconds: u64,
        /// Why, when it was not lateness (`waiting`, `budget`).
        reason: Option<String>,
    },
    /// The circuit breaker paused a series after this many consecutive failures.
    SeriesPaused { series: String, failures: u32 },
    /// A hook ran and succeeded.
    HookRan { hook: Hook, id: String },
    /// A hook could not run or failed; the task is unchanged.
    HookFailed {
        hook: Hook,
        id: String,
        reason: String,
    },
    /// The sweep moved this many finished tasks to the archive.
    Archived { count: usize },
    /// The executor asked to run the task again later (SPEC §22): no attempt counted.
    Deferred {
        id: String,
        until: Timestamp,
        reason: String,
    },
    /// The executor needs a person's answer: the task is `waiting`.
    NeedsInput { id: String, question: String },
    /// A due task waits: its lane is held by an executor's report (SPEC §22).
    Held {
        id: String,
        lane: String,
        until: Timestamp,
    },
    /// The executor's report could not be read; its exit status decided.
    ReportUnreadable { id: String, error: String },
}

impl Notice {
    /// True for what `defer run` prints without `--verbose`: a task that failed or was
    /// missed, a paused series, a failed hook. A scheduled retry is not a problem.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Notice::Failed { .. }
                | Notice::Missed { .. }
                | Notice::SeriesPaused { .. }
                | Notice::HookFailed { .. }
                | Notice::NeedsInput { .. }
                | Notice::ReportUnreadable { .. }
        )
    }

    /// The notice for a task's recorded outcome, read from its status (and result
    /// type): completed, retry scheduled, interrupted, failed. `None` for a status that
    /// is no outcome of a run. The match is exhaustive on purpose: a new status must
    /// decide here whether it is news.
    pub fn outcome(task: &Task) -> Option<Notice> {
        let id = task.id.clone();
        let kind = task.result.as_ref().map(|r| r.kind);
        match task.status {
            Status::Completed => Some(Notice::Completed {
                id,
                result: kind.map(|k| k.to_string()).unwrap_or_default(),
            }),
            Status::Failed => Some(Notice::Failed {
                id,
                attempts: task.attempts,
                error: task.error.clone().unwrap_or_else(|| "unknown error".into()),
            }),
            Status::Scheduled if kind == Some(ResultType::Interrupted) => {
                Some(Notice::Interrupted {
                    id,
                    retry_at: task.run_at,
                })
            }
            Status::Scheduled if kind == Some(ResultType::RetryScheduled) => {
                Some(Notice::RetryScheduled {
                    id,
                    at: task.run_at,
                    attempt: task.attempts,
                    of: task.max_retries.saturating_add(1),
                    error: task.last_error.clone().unwrap_or_default(),
                })
            }
            Status::Scheduled if kind == Some(ResultType::Deferred) => Some(Notice::Deferred {
                id,
                until: task.run_at,
                reason: task.last_error.clone().unwrap_or_default(),
            }),
            Status::Waiting => Some(Notice::NeedsInput {
                id,
                question: task.question.clone().unwrap_or_default(),
            }),
            Status::Missed => Some(Notice::Missed {
                id,
                due: task.run_at,
                late_by_seconds: task.late_by_seconds.unwrap_or(0),
                reason: task
                    .result
                    .as_ref()
                    .and_then(|r| r.extra.get("reason"))
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
            }),
            Status::Scheduled | Status::Executing | Status::Paused | Status::Cancelled => None,
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Claimed { id } => write!(f, "task {id} claimed"),
            Notice::Completed { id, result } => write!(f, "task {id} completed ({result})"),
            Notice::RetryScheduled {
                id,
                at,
                attempt,
                of,
                error,
            } => write!(
                f,
                "task {id} attempt {attempt} of {of} failed, retry scheduled at {at}: {error}"
            ),
            Notice::Interrupted { id, retry_at } => {
                write!(f, "task {id} interrupted, retry scheduled at {retry_at}")
            }
            Notice::Failed {
                id,
                attempts,
                error,
            } => {
                let s = if *attempts == 1 { "" } else { "s" };
                write!(f, "task {id} failed after {attempts} attempt{s}: {error}")
            }
            Notice::Missed {
                id,
                due,
                reason: Some(reason),
                ..
            } => write!(f, "task {id} missed (due {due}, {reason})"),
            Notice::Missed {
                id,
                due,
                late_by_seconds,
                reason: None,
            } => write!(
                f,
                "task {id} missed (due {due}, late by {})",
                crate::when::span(*late_by_seconds)
            ),
            Notice::SeriesPaused { series, failures } => {
                write!(f, "series {series} paused after {failures} failures")
            }
            Notice::HookRan { hook, id } => write!(f, "hook {hook} ran for task {id}"),
            Notice::HookFailed { hook, id, reason } => {
                write!(f, "hook {hook} failed for task {id}: {reason}")
            }
            Notice::Archived { count: 1 } => write!(f, "archived 1 finished task"),
            Notice::Archived { count } => write!(f, "archived {count} finished tasks"),
            Notice::Deferred { id, until, reason } => {
                write!(
                    f,
                    "task {id} deferred by its executor until {until}: {reason}"
                )
            }
            Notice::NeedsInput { id, question } => {
                let first = question.lines().next().unwrap_or_default();
                write!(f, "task {id} needs input: {first}")
            }
            Notice::ReportUnreadable { id, error } => write!(f, "warning: task {id}: {error}"),
            Notice::Held { id, lane, until } => {
                write!(f, "task {id} waits: {lane} held until {until}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskResult;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn task(status: Status, kind: Option<ResultType>) -> Task {
        Task {
            id: "t1".into(),
            status,
            attempts: 2,
            max_retries: 3,
            run_at: ts("2026-04-08T16:36:00Z"),
            last_error: Some("executor exited with status 3: boom".into()),
            error: Some("executor timed out after 3600s".into()),
            result: kind.map(|kind| TaskResult {
                kind,
                prompt_path: "/p".into(),
                output: None,
                output_truncated: None,
                next_run_at: None,
                extra: Default::default(),
            }),
            ..Task::blank()
        }
    }

    fn line(status: Status, kind: Option<ResultType>) -> Option<String> {
        Notice::outcome(&task(status, kind)).map(|n| n.to_string())
    }

    #[test]
    fn what_the_executor_said_reads_as_one_line() {
        let mut deferred = task(Status::Scheduled, Some(ResultType::Deferred));
        deferred.last_error = Some("rate limit five_hour".into());
        let notice = Notice::outcome(&deferred).unwrap();
        assert!(!notice.is_problem(), "a deferral is no problem");
        assert_eq!(
            notice.to_string(),
            "task t1 deferred by its executor until 2026-04-08T16:36:00Z: rate limit five_hour"
        );
        let mut waiting = task(Status::Waiting, Some(ResultType::NeedsInput));
        waiting.question = Some("Which branch?\nmain or dev".into());
        let notice = Notice::outcome(&waiting).unwrap();
        assert!(
            notice.is_problem(),
            "a question is printed without --verbose"
        );
        assert_eq!(notice.to_string(), "task t1 needs input: Which branch?");
        let unreadable = Notice::ReportUnreadable {
            id: "t1".into(),
            error: "report is not JSON: expected value".into(),
        };
        assert!(unreadable.is_problem());
        assert_eq!(
            unreadable.to_string(),
            "warning: task t1: report is not JSON: expected value"
        );
        let mut budget = task(Status::Missed, Some(ResultType::Missed));
        if let Some(result) = budget.result.as_mut() {
            result.extra.insert("reason".into(), "budget".into());
        }
        assert_eq!(
            Notice::outcome(&budget).unwrap().to_string(),
            "task t1 missed (due 2026-04-08T16:36:00Z, budget)"
        );
    }

    #[test]
    fn outcomes_read_the_final_status() {
        assert_eq!(
            line(Status::Failed, Some(ResultType::ExecutorFailed)).unwrap(),
            "task t1 failed after 2 attempts: executor timed out after 3600s"
        );
        assert_eq!(
            line(Status::Completed, Some(ResultType::ExecutorOutput)).unwrap(),
            "task t1 completed (executor_output)"
        );
        assert_eq!(
            line(Status::Scheduled, Some(ResultType::RetryScheduled)).unwrap(),
            "task t1 attempt 2 of 4 failed, retry scheduled at 2026-04-08T16:36:00Z: executor exited with status 3: boom"
        );
        assert_eq!(
            line(Status::Scheduled, Some(ResultType::Interrupted)).unwrap(),
            "task t1 interrupted, retry scheduled at 2026-04-08T16:36:00Z"
        );
        let mut missed = task(Status::Missed, None);
        missed.late_by_seconds = Some(3 * 3600 + 12 * 60 + 5);
        assert_eq!(
            Notice::outcome(&missed).unwrap().to_string(),
            "task t1 missed (due 2026-04-08T16:36:00Z, late by 3h 12m)"
        );
        assert_eq!(line(Status::Scheduled, None), None);
        assert_eq!(line(Status::Cancelled, None), None);
        assert_eq!(line(Status::Paused, None), None);
    }

    #[test]
    fn only_failures_are_problems() {
        let failed = Notice::outcome(&task(Status::Failed, None)).unwrap();
        assert!(failed.is_problem());
        for quiet in [
            Notice::outcome(&task(Status::Completed, None)).unwrap(),
            Notice::outcome(&task(Status::Scheduled, Some(ResultType::RetryScheduled))).unwrap(),
            Notice::Claimed { id: "t1".into() },
            Notice::Archived { count: 2 },
        ] {
            assert!(!quiet.is_problem(), "{quiet}");
        }
        let missed = Notice::Missed {
            id: "t1".into(),
            due: ts("2026-04-08T13:00:00Z"),
            late_by_seconds: 3 * 3600 + 12 * 60 + 5,
            reason: None,
        };
        assert!(missed.is_problem());
        assert_eq!(
            missed.to_string(),
            "task t1 missed (due 2026-04-08T13:00:00Z, late by 3h 12m)"
        );
        let paused = Notice::SeriesPaused {
            series: "s1".into(),
            failures: 5,
        };
        assert!(paused.is_problem());
        assert_eq!(paused.to_string(), "series s1 paused after 5 failures");
        let hook = Notice::HookFailed {
            hook: Hook::OnFailure,
            id: "t1".into(),
            reason: "exited with status 1".into(),
        };
        assert!(hook.is_problem());
        assert_eq!(
            hook.to_string(),
            "hook DEFER_ON_FAILURE failed for task t1: exited with status 1"
        );
        assert_eq!(
            Notice::Archived { count: 1 }.to_string(),
            "archived 1 finished task"
        );
    }
}
