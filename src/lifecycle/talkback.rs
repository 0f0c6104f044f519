//! The transitions the executor's report adds (SPEC §22): deferred (no attempt),
//! waiting for an answer, answered, and a wait that timed out. Pure.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{result, Output};
use crate::report::Report;
use crate::task::{ResultType, Status, Task, TaskResult};
use crate::timestamp::Timestamp;

/// Most answers kept in `context.answers` (the oldest go first).
pub const MAX_ANSWERS: usize = 20;

/// The executor asked to run again at `until`: `scheduled` then, `attempts` untouched,
/// one more deferral in a row, `last_error` the reason, `result.type = deferred`.
pub fn deferred(
    task: &Task,
    until: DateTime<Utc>,
    reason: &str,
    prompt_path: &str,
    output: Output,
) -> Task {
    let until = Timestamp::new(until);
    Task {
        status: Status::Scheduled,
        run_at: until,
        executor: None,
        deferrals: Some(task.deferrals.unwrap_or(0).saturating_add(1)),
        last_error: Some(reason.to_string()),
        result: Some(TaskResult {
            next_run_at: Some(until),
            ..result(ResultType::Deferred, prompt_path, output)
        }),
        ..task.clone()
    }
}

/// The executor needs a person's answer: `waiting` with `question`, since `now`. Not
/// an attempt; the deferral count resets.
pub fn waiting(
    task: &Task,
    question: &str,
    prompt_path: &str,
    output: Output,
    now: DateTime<Utc>,
) -> Task {
    Task {
        status: Status::Waiting,
        executor: None,
        deferrals: None,
        question: Some(question.to_string()),
        waiting_since: Some(now.into()),
        result: Some(result(ResultType::NeedsInput, prompt_path, output)),
        ..task.clone()
    }
}

/// `defer answer`: a waiting task is `scheduled` for `now`, the answer appended to
/// `context.answers` (a list of strings, the last `MAX_ANSWERS`).
pub fn answered(task: &Task, answer: &str, now: DateTime<Utc>) -> Task {
    let mut next = Task {
        status: Status::Scheduled,
        run_at: now.into(),
        question: None,
        waiting_since: None,
        ..task.clone()
    };
    let answers = next
        .context
        .extra
        .entry("answers")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !answers.is_array() {
        *answers = Value::Array(Vec::new());
    }
    if let Value::Array(list) = answers {
        list.push(json!(answer));
        let excess = list.len().saturating_sub(MAX_ANSWERS);
        list.drain(..excess);
    }
    next
}

/// When a waiting task's answer is due (`--answer-timeout`), if it has a limit.
pub fn answer_deadline(task: &Task) -> Option<Timestamp> {
    let since = task.waiting_since?;
    let limit = std::time::Duration::from_secs(task.answer_timeout_seconds?);
    Some(since.saturating_add(limit))
}

/// A waiting task whose answer did not come in time: `failed` (an attempt, as the
/// executor ran and did not finish the work).
pub fn answer_timed_out(task: &Task, now: DateTime<Utc>) -> Task {
    let limit = task.answer_timeout_seconds.unwrap_or(0);
    let error = format!(
        "no answer within {} (question: {})",
        crate::when::span(limit),
        task.question
            .as_deref()
            .and_then(|q| q.lines().next())
            .unwrap_or_default()
    );
    let prompt_path = task
        .result
        .as_ref()
        .map(|r| r.prompt_path.clone())
        .unwrap_or_default();
    Task {
        status: Status::Failed,
        attempts: task.attempts.saturating_add(1),
        failed_at: Some(now.into()),
        last_attempt_at: Some(now.into()),
        error: Some(error),
        result: Some(result(
            ResultType::NeedsInput,
            &prompt_path,
            Output::default(),
        )),
        executor: None,
        ..task.clone()
    }
}

/// What a report adds to the result and the attempt's history entry: its `summary`
/// and `cost` (as `{"usd", "input_tokens", "output_tokens"}`, the fields it gave).
pub fn report_fields(report: Option<&Report>) -> Map<String, Value> {
    let mut fields = Map::new();
    let Some(report) = report else {
        return fields;
    };
    if let Some(summary) = &report.summary {
        fields.insert("summary".into(), json!(summary));
    }
    if let Some(cost) = &report.cost {
        let mut c = Map::new();
        if let Some(usd) = cost.usd {
            c.insert("usd".into(), json!(usd));
        }
        if let Some(n) = cost.input_tokens {
            c.insert("input_tokens".into(), json!(n));
        }
        if let Some(n) = cost.output_tokens {
            c.insert("output_tokens".into(), json!(n));
        }
        if !c.is_empty() {
            fields.insert("cost".into(), Value::Object(c));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    fn claimed() -> Task {
        Task {
            id: "t".into(),
            status: Status::Executing,
            attempts: 1,
            max_retries: 2,
            ..Task::blank()
        }
    }

    #[test]
    fn a_deferral_counts_no_attempt_and_counts_itself() {
        let until = now() + chrono::Duration::minutes(5);
        let once = deferred(&claimed(), until, "rate limited", "/p", Output::default());
        assert_eq!(once.status, Status::Scheduled);
        assert_eq!(once.attempts, 1);
        assert_eq!(once.deferrals, Some(1));
        assert_eq!(once.run_at.at(), until);
        assert_eq!(once.last_error.as_deref(), Some("rate limited"));
        let result = once.result.clone().unwrap();
        assert_eq!(result.kind, ResultType::Deferred);
        assert_eq!(result.next_run_at.unwrap().at(), until);
        let twice = deferred(&once, until, "again", "/p", Output::default());
        assert_eq!(twice.deferrals, Some(2));
    }

    #[test]
    fn waiting_then_answered_twice() {
        let mut task = claimed();
        task.deferrals = Some(3);
        let waiting = waiting(&task, "Which branch?", "/p", Output::default(), now());
        assert_eq!(waiting.status, Status::Waiting);
        assert_eq!(waiting.deferrals, None);
        assert_eq!(waiting.attempts, 1);
        assert_eq!(waiting.question.as_deref(), Some("Which branch?"));
        let later = now() + chrono::Duration::hours(1);
        let answered_once = answered(&waiting, "main", later);
        assert_eq!(answered_once.status, Status::Scheduled);
        assert_eq!(answered_once.run_at.at(), later);
        assert_eq!(answered_once.question, None);
        let again = answered(&answered_once, "and rebase", later);
        assert_eq!(
            again.context.extra["answers"],
            json!(["main", "and rebase"])
        );
    }

    #[test]
    fn a_wait_times_out_only_with_a_limit() {
        let mut task = waiting(&claimed(), "Q?\nmore", "/p", Output::default(), now());
        assert_eq!(answer_deadline(&task), None);
        task.answer_timeout_seconds = Some(7200);
        let deadline = answer_deadline(&task).unwrap();
        assert_eq!(deadline.at(), now() + chrono::Duration::hours(2));
        let failed = answer_timed_out(&task, deadline.at());
        assert_eq!(failed.status, Status::Failed);
        assert_eq!(
            failed.error.as_deref(),
            Some("no answer within 2h (question: Q?)")
        );
        assert_eq!(failed.result.unwrap().prompt_path, "/p");
    }

    #[test]
    fn report_fields_take_summary_and_cost() {
        let report =
            crate::report::parse(br#"{"summary":"did it","cost":{"usd":0.25,"output_tokens":10}}"#)
                .unwrap()
                .unwrap();
        let fields = report_fields(Some(&report));
        assert_eq!(fields["summary"], "did it");
        assert_eq!(fields["cost"], json!({"usd": 0.25, "output_tokens": 10}));
        assert!(report_fields(None).is_empty());
    }
}
