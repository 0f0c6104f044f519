//! Status transitions of a task: claim, complete, retry or fail, cancel's sibling
//! `interrupted`. Pure: each takes the task and `now`, and returns the next snapshot.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Map;

use crate::task::{ExecutorProcess, ResultType, Status, Task, TaskResult};
use crate::timestamp::Timestamp;

/// The runner takes the task: `executing`, with `started_at`.
pub fn claim(task: &Task, now: DateTime<Utc>) -> Task {
    Task {
        status: Status::Executing,
        started_at: Some(now.into()),
        ..task.clone()
    }
}

/// The executor started: the claim again, naming its process (SPEC §11).
pub fn running(claimed: &Task, process: ExecutorProcess) -> Task {
    Task {
        executor: Some(process),
        ..claimed.clone()
    }
}

/// The runner itself failed after the claim (prompt or output file unwritable, disk
/// full), not the executor: the task is as it was before the claim — `scheduled`, same
/// `run_at`, same `attempts` — with `last_error` naming the cause (SPEC §11).
pub fn release(before_claim: &Task, cause: &str) -> Task {
    Task {
        status: Status::Scheduled,
        last_error: Some(cause.to_string()),
        executor: None,
        ..before_claim.clone()
    }
}

/// Output of an attempt, as stored in `result`.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub text: Option<String>,
    pub truncated: bool,
}

fn result(kind: ResultType, prompt_path: &str, output: Output) -> TaskResult {
    TaskResult {
        kind,
        prompt_path: prompt_path.to_string(),
        output: output.text,
        output_truncated: output.truncated.then_some(true),
        next_run_at: None,
        extra: Map::new(),
    }
}

/// Finished well: `prompt_prepared` (no executor) or `executor_output`.
pub fn complete(
    task: &Task,
    kind: ResultType,
    prompt_path: &str,
    output: Output,
    now: DateTime<Utc>,
) -> Task {
    Task {
        status: Status::Completed,
        completed_at: Some(now.into()),
        result: Some(result(kind, prompt_path, output)),
        executor: None,
        ..task.clone()
    }
}

/// A failed attempt: back to `scheduled` after `retry_delay` while retries remain,
/// else `failed`. `kind` is the result type of a final failure (`executor_failed` or
/// `interrupted`); a retry is `retry_scheduled`, or `interrupted` for an orphan.
pub fn attempt_failed(
    task: &Task,
    error: &str,
    kind: ResultType,
    prompt_path: &str,
    output: Output,
    retry_delay: Duration,
    now: DateTime<Utc>,
) -> Task {
    let mut next = task.clone();
    next.executor = None;
    next.attempts = task.attempts.saturating_add(1);
    if task.attempts < task.max_retries {
        let run_at = Timestamp::new(now).saturating_add(retry_delay);
        let retry_kind = match kind {
            ResultType::Interrupted => ResultType::Interrupted,
            _ => ResultType::RetryScheduled,
        };
        next.status = Status::Scheduled;
        next.run_at = run_at;
        next.last_attempt_at = Some(now.into());
        next.last_error = Some(error.to_string());
        next.result = Some(TaskResult {
            next_run_at: Some(run_at),
            ..result(retry_kind, prompt_path, output)
        });
    } else {
        next = fail(task, error, kind, prompt_path, output, now);
    }
    next
}

/// A final failure, whatever retries remain (e.g. an executor that is not executable).
pub fn fail(
    task: &Task,
    error: &str,
    kind: ResultType,
    prompt_path: &str,
    output: Output,
    now: DateTime<Utc>,
) -> Task {
    Task {
        status: Status::Failed,
        attempts: task.attempts.saturating_add(1),
        failed_at: Some(now.into()),
        last_attempt_at: Some(now.into()),
        error: Some(error.to_string()),
        result: Some(result(kind, prompt_path, output)),
        executor: None,
        ..task.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 8, 16, 35, 0).unwrap()
    }

    fn task(attempts: u32, max_retries: u32) -> Task {
        Task {
            id: "t".into(),
            status: Status::Executing,
            attempts,
            max_retries,
            ..Task::blank()
        }
    }

    #[test]
    fn retry_while_attempts_below_max() {
        let next = attempt_failed(
            &task(0, 2),
            "exit 1",
            ResultType::ExecutorFailed,
            "/p",
            Output::default(),
            Duration::from_secs(60),
            now(),
        );
        assert_eq!(next.status, Status::Scheduled);
        assert_eq!(next.attempts, 1);
        assert_eq!(next.run_at.to_string(), "2026-04-08T16:36:00Z");
        assert_eq!(next.last_error.as_deref(), Some("exit 1"));
        let result = next.result.unwrap();
        assert_eq!(result.kind, ResultType::RetryScheduled);
        assert_eq!(result.next_run_at, Some(next.run_at));
        assert!(next.failed_at.is_none() && next.error.is_none());
    }

    #[test]
    fn fail_when_retries_are_used_up() {
        let next = attempt_failed(
            &task(2, 2),
            "exit 1",
            ResultType::ExecutorFailed,
            "/p",
            Output::default(),
            Duration::from_secs(60),
            now(),
        );
        assert_eq!(next.status, Status::Failed);
        assert_eq!(next.attempts, 3);
        assert_eq!(next.error.as_deref(), Some("exit 1"));
        assert_eq!(next.failed_at.unwrap().to_string(), "2026-04-08T16:35:00Z");
        assert_eq!(next.result.unwrap().kind, ResultType::ExecutorFailed);
    }

    #[test]
    fn interrupted_keeps_its_type_on_retry() {
        let next = attempt_failed(
            &task(0, 1),
            "interrupted",
            ResultType::Interrupted,
            "/p",
            Output::default(),
            Duration::from_secs(5),
            now(),
        );
        assert_eq!(next.status, Status::Scheduled);
        assert_eq!(next.result.unwrap().kind, ResultType::Interrupted);
        let next = attempt_failed(
            &task(0, 0),
            "interrupted",
            ResultType::Interrupted,
            "/p",
            Output::default(),
            Duration::from_secs(5),
            now(),
        );
        assert_eq!(next.status, Status::Failed);
        assert_eq!(next.error.as_deref(), Some("interrupted"));
    }

    #[test]
    fn a_huge_retry_delay_saturates_instead_of_panicking() {
        let next = attempt_failed(
            &task(0, 1),
            "exit 1",
            ResultType::ExecutorFailed,
            "/p",
            Output::default(),
            Duration::from_secs(u64::MAX),
            now(),
        );
        assert_eq!(next.run_at.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(next.result.unwrap().next_run_at, Some(next.run_at));
    }

    #[test]
    fn release_undoes_the_claim_and_keeps_attempts() {
        let before = Task {
            status: Status::Scheduled,
            ..task(1, 2)
        };
        let claimed = running(
            &claim(&before, now()),
            ExecutorProcess {
                pid: 7,
                started: Some(9),
            },
        );
        assert_eq!(claimed.executor.map(|e| e.pid), Some(7));
        let released = release(&before, "runner error: disk full");
        assert_eq!(released.status, Status::Scheduled);
        assert_eq!((released.attempts, released.run_at), (1, before.run_at));
        assert_eq!(
            released.last_error.as_deref(),
            Some("runner error: disk full")
        );
        assert!(released.started_at.is_none() && released.executor.is_none());
        let failed = attempt_failed(
            &claimed,
            "interrupted",
            ResultType::Interrupted,
            "/p",
            Output::default(),
            Duration::from_secs(5),
            now(),
        );
        assert!(failed.executor.is_none());
    }

    #[test]
    fn complete_and_claim() {
        let claimed = claim(
            &Task {
                status: Status::Scheduled,
                ..task(0, 0)
            },
            now(),
        );
        assert_eq!(claimed.status, Status::Executing);
        assert_eq!(
            claimed.started_at.unwrap().to_string(),
            "2026-04-08T16:35:00Z"
        );
        let output = Output {
            text: Some("x".into()),
            truncated: true,
        };
        let done = complete(&claimed, ResultType::ExecutorOutput, "/p", output, now());
        assert_eq!(done.status, Status::Completed);
        let result = done.result.unwrap();
        assert_eq!(
            (result.output.as_deref(), result.output_truncated),
            (Some("x"), Some(true))
        );
    }
}
