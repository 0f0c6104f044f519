//! Status transitions of a task: claim, complete, retry or fail, cancel's sibling
//! `interrupted`, and the wait before a retry (fixed or exponential backoff). Pure:
//! each takes the task and `now`, and returns the next snapshot; only the retry jitter
//! is drawn from the process (`jitter_fraction`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde_json::Map;

use crate::task::{Backoff, ExecutorProcess, ResultType, Status, Task, TaskResult};
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
/// `run_at`, same `attempts` — with `last_error` naming the cause (SPEC §11). It keeps
/// the claim's `series` (the successor it linked, `next_id`): a claim taken again must
/// not link a second one (SPEC §19).
pub fn release(before_claim: &Task, claimed: &Task, cause: &str) -> Task {
    Task {
        status: Status::Scheduled,
        last_error: Some(cause.to_string()),
        executor: None,
        // The fire the claim chose (run-once may move it) and the fires it folded stay:
        // the successor it linked follows that fire.
        run_at: claimed.run_at,
        missed_fires: claimed.missed_fires,
        series: claimed.series.clone(),
        ..before_claim.clone()
    }
}

/// An orphaned claim whose executor never started (no `executor` recorded: the runner
/// died between the claim and the spawn) is no attempt (SPEC §19): `scheduled` again,
/// attempts, `run_at` and `missed_fires` as claimed (the fire it stands for and those
/// it folded), without the claim's `started_at` and lateness (the next claim judges it
/// anew); its `series` (the successor it linked) is kept.
pub fn unclaim(claimed: &Task) -> Task {
    Task {
        status: Status::Scheduled,
        started_at: None,
        late_by_seconds: None,
        executor: None,
        ..claimed.clone()
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

/// The longest exponential wait (SPEC §13).
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// The longest `--retry-delay` accepted. Any wait, however large (a hand-edited
/// `delay_seconds`), is safe: `run_at` saturates at the last instant a record holds.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(366 * 24 * 3600);
/// Exponential waits vary by up to this fraction either way, so tasks that failed
/// together do not retry in lockstep.
pub const JITTER: f64 = 0.10;

/// `--retry-delay`: a duration (`90s`, `5m`, `2h`, `1d`, or bare seconds) from one
/// second to `MAX_RETRY_DELAY`, in seconds.
pub fn parse_retry_delay(text: &str) -> Result<u64, String> {
    match crate::when::parse_seconds(text) {
        Some(n) if (1..=MAX_RETRY_DELAY.as_secs()).contains(&n) => Ok(n),
        _ => Err("accepted: a duration from 1s to 366d, e.g. 90s, 5m, 2h, or whole seconds".into()),
    }
}

/// The wait before retrying after failed attempt number `attempt` (1 for the first):
/// `base` for fixed backoff; `base × 2^(attempt−1)`, capped at `MAX_BACKOFF`, scaled
/// by `1 + jitter` (clamped to ±`JITTER`) and capped again, for exponential. Whole
/// seconds; never overflows.
pub fn retry_wait(base: Duration, backoff: Backoff, attempt: u32, jitter: f64) -> Duration {
    let base = base.as_secs();
    let secs = match backoff {
        Backoff::Fixed => base,
        Backoff::Exponential => {
            let factor = 1u64 << attempt.saturating_sub(1).min(63);
            let doubled = base.saturating_mul(factor).min(MAX_BACKOFF.as_secs());
            let jitter = match jitter.is_finite() {
                true => jitter.clamp(-JITTER, JITTER),
                false => 0.0,
            };
            // f64 → u64 saturates; the product is at most 1.1 × 86400.
            ((doubled as f64 * (1.0 + jitter)).round() as u64).min(MAX_BACKOFF.as_secs())
        }
    };
    Duration::from_secs(secs)
}

/// A fraction in [−`JITTER`, `JITTER`] from cheap, non-reproducible inputs (the
/// process id mixed with the clock's nanoseconds); no randomness crate needed, as
/// it only spreads retries out.
pub fn jitter_fraction() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = ((u64::from(std::process::id()) << 32) ^ u64::from(nanos))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let unit = (mixed >> 11) as f64 / (1u64 << 53) as f64;
    (unit * 2.0 - 1.0) * JITTER
}

/// The wait before the task's next attempt, after `attempt` failed: its own `retry`
/// settings, else `default` (`DEFER_RETRY_DELAY_SECONDS`) with fixed backoff.
pub fn task_retry_wait(task: &Task, default: Duration, attempt: u32, jitter: f64) -> Duration {
    let (base, backoff) = match &task.retry {
        Some(retry) => (
            retry.delay_seconds.map_or(default, Duration::from_secs),
            retry.backoff,
        ),
        None => (default, Backoff::Fixed),
    };
    retry_wait(base, backoff, attempt, jitter)
}

/// A failed attempt: back to `scheduled` after the task's retry wait (`retry_delay`
/// unless the task sets its own) while retries remain, else `failed`. `kind` is the
/// result type of a final failure (`executor_failed` or `interrupted`); a retry is
/// `retry_scheduled`, or `interrupted` for an orphan.
pub fn attempt_failed(
    task: &Task,
    error: &str,
    kind: ResultType,
    prompt_path: &str,
    output: Output,
    retry_delay: Duration,
    now: DateTime<Utc>,
) -> Task {
    let jitter = jitter_fraction();
    attempt_failed_with(
        task,
        error,
        kind,
        prompt_path,
        output,
        retry_delay,
        jitter,
        now,
    )
}

/// `attempt_failed` with the jitter given.
#[allow(clippy::too_many_arguments)]
pub fn attempt_failed_with(
    task: &Task,
    error: &str,
    kind: ResultType,
    prompt_path: &str,
    output: Output,
    retry_delay: Duration,
    jitter: f64,
    now: DateTime<Utc>,
) -> Task {
    let mut next = task.clone();
    next.executor = None;
    next.attempts = task.attempts.saturating_add(1);
    if task.attempts < task.max_retries {
        let wait = task_retry_wait(task, retry_delay, next.attempts, jitter);
        let run_at = Timestamp::new(now).saturating_add(wait);
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

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn fixed_backoff_is_the_delay_every_time() {
        for attempt in [0, 1, 2, 10, u32::MAX] {
            let wait = retry_wait(Duration::from_secs(90), Backoff::Fixed, attempt, 0.1);
            assert_eq!(wait, Duration::from_secs(90));
        }
        let huge = retry_wait(Duration::from_secs(u64::MAX), Backoff::Fixed, 1, 0.0);
        assert_eq!(huge, Duration::from_secs(u64::MAX));
    }

    #[test]
    fn exponential_doubles_per_attempt_then_caps_at_a_day() {
        let base = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=5)
            .map(|a| retry_wait(base, Backoff::Exponential, a, 0.0).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480, 960]);
        assert_eq!(retry_wait(HOUR, Backoff::Exponential, 5, 0.0), 16 * HOUR);
        assert_eq!(retry_wait(HOUR, Backoff::Exponential, 6, 0.0), MAX_BACKOFF);
        // Near the cap, jitter may shorten the wait but never lengthen it past a day.
        assert_eq!(
            retry_wait(HOUR * 16, Backoff::Exponential, 1, 0.1),
            HOUR * 88 / 5
        );
        assert_eq!(
            retry_wait(HOUR * 23, Backoff::Exponential, 1, 0.1),
            MAX_BACKOFF
        );
        for attempt in [30, 64, 65, u32::MAX] {
            let wait = retry_wait(base, Backoff::Exponential, attempt, 0.1);
            assert_eq!(wait, MAX_BACKOFF, "attempt {attempt}");
        }
        let wait = retry_wait(Duration::from_secs(u64::MAX), Backoff::Exponential, 3, 0.0);
        assert_eq!(wait, MAX_BACKOFF);
    }

    #[test]
    fn exponential_jitter_is_clamped_to_ten_percent() {
        let base = Duration::from_secs(100);
        let wait = |jitter| retry_wait(base, Backoff::Exponential, 2, jitter).as_secs();
        assert_eq!(wait(0.1), 220);
        assert_eq!(wait(-0.1), 180);
        assert_eq!(wait(0.05), 210);
        assert_eq!(wait(5.0), 220);
        assert_eq!(wait(-5.0), 180);
        assert_eq!(wait(f64::NAN), 200);
    }

    #[test]
    fn retry_delay_values() {
        assert_eq!(parse_retry_delay("90"), Ok(90));
        assert_eq!(parse_retry_delay("90s"), Ok(90));
        assert_eq!(parse_retry_delay("5m"), Ok(300));
        assert_eq!(parse_retry_delay("1h 30m"), Ok(5400));
        assert_eq!(parse_retry_delay("2H"), Ok(7200));
        assert_eq!(parse_retry_delay("366d"), Ok(366 * 86400));
        assert_eq!(parse_retry_delay("1.5h"), Ok(5400));
        for bad in ["0", "0s", "-5", "-5m", "", "soon", "367d", "5x", "1.5mo"] {
            assert!(parse_retry_delay(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jitter_fraction_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter_fraction();
            assert!((-JITTER..=JITTER).contains(&j), "{j}");
        }
    }

    #[test]
    fn a_task_retry_setting_overrides_the_default_delay() {
        let mut t = task(1, 5);
        t.retry = Some(crate::task::Retry {
            delay_seconds: Some(30),
            backoff: Backoff::Exponential,
            ..Default::default()
        });
        let next = attempt_failed_with(
            &t,
            "boom",
            ResultType::ExecutorFailed,
            "/p",
            Output::default(),
            Duration::from_secs(60),
            0.1,
            now(),
        );
        // Attempt 2 failed: 30 s × 2 × 1.1.
        assert_eq!(next.run_at.to_string(), "2026-04-08T16:36:06Z");
        t.retry.as_mut().unwrap().delay_seconds = None;
        let wait = task_retry_wait(&t, Duration::from_secs(60), 3, 0.0);
        assert_eq!(wait, Duration::from_secs(240));
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
        let released = release(&before, &claimed, "runner error: disk full");
        assert_eq!(released.status, Status::Scheduled);
        assert_eq!((released.attempts, released.run_at), (1, claimed.run_at));
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
