use serde_json::{Map, Value};

use super::*;
use crate::snapshot::{GitState, Snapshot};
use crate::task::*;
use crate::timestamp::Timestamp;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A task of an hourly series (occurrence 1, at 2026-12-01T10:00:00Z) with every field
/// of the record set to a value that is not its default. Written out field by field
/// (no `..`): a new field of `Task` does not compile here until it is set, and then
/// `keys_are_exactly_the_fields` fails until it is in `FIELDS`.
pub(crate) fn every_field_set() -> Task {
    let text = |s: &str| Some(s.to_string());
    Task {
        id: "t1".into(),
        created_at: at("2026-11-30T09:00:00Z"),
        run_at: at("2026-12-01T10:00:00Z"),
        kind: "deferred_task".into(),
        intent: Intent::ExecuteAction,
        context: Context {
            summary: "s".into(),
            key_points: vec!["k".into()],
            artifacts: vec!["/a".into()],
            constraints: vec!["c".into()],
            reoriented_from: text("/ctx"),
            extra: Map::new(),
        },
        execution: Execution {
            mode: Mode::Callback,
            prompt_template: "p".into(),
            aura_level: AuraLevel::High,
            command: Some(vec!["/bin/true".into()]),
            extra: Map::new(),
        },
        status: Status::Scheduled,
        attempts: 2,
        max_retries: 3,
        reorient_requested: true,
        reorient: Reorient {
            requested: true,
            project: text("demo"),
            explicit_context_file: text("/ctx"),
            extra: Map::new(),
        },
        key: text("k1"),
        retry: Some(Retry {
            delay_seconds: Some(90),
            backoff: Backoff::Exponential,
            extra: Map::new(),
        }),
        started_at: Some(at("2026-11-30T10:00:01Z")),
        completed_at: Some(at("2026-11-30T10:00:02Z")),
        failed_at: Some(at("2026-11-30T10:00:03Z")),
        cancelled_at: Some(at("2026-11-30T10:00:04Z")),
        cancel_reason: Some(text("why")),
        last_attempt_at: Some(at("2026-11-30T10:00:05Z")),
        last_error: text("boom"),
        error: text("bang"),
        result: Some(TaskResult {
            kind: ResultType::ExecutorOutput,
            prompt_path: "/p".into(),
            output: text("/o"),
            output_truncated: Some(true),
            next_run_at: Some(at("2026-12-01T10:00:00Z")),
            extra: Map::new(),
        }),
        rescheduled_from: Some(at("2026-11-30T11:00:00Z")),
        executor: Some(ExecutorProcess {
            pid: 42,
            started: Some(7),
        }),
        missed: Some(MissedPolicy::Skip),
        grace_seconds: Some(30),
        series: Some(Series {
            id: "t1".into(),
            every: text("1h"),
            cron: None,
            timezone: "UTC".into(),
            until: None,
            count: None,
            occurrence: 1,
            missed: MissedPolicy::Skip,
            grace_seconds: 30,
            pause_after: 2,
            consecutive_failures: 1,
            next_id: None,
            extra: Map::new(),
        }),
        late_by_seconds: Some(5),
        missed_fires: Some(1),
        missed_at: Some(at("2026-11-30T10:00:06Z")),
        lane: text("repo-a"),
        overlap: Some(Overlap::Queue),
        found_due_at: Some(at("2026-11-30T10:00:07Z")),
        parent_id: text("t0"),
        history: vec![Attempt {
            attempt: 1,
            started_at: Some(at("2026-11-30T10:00:01Z")),
            finished_at: at("2026-11-30T10:00:02Z"),
            duration_ms: Some(1000),
            exit_code: Some(1),
            signal: None,
            result: ResultType::ExecutorFailed,
            error: text("boom"),
            output_tail: "tail".into(),
            extra: Map::new(),
        }],
        deferrals: Some(1),
        question: text("which?"),
        waiting_since: Some(at("2026-11-30T10:00:08Z")),
        answer_timeout_seconds: Some(3600),
        budget_usd: Some(2.5),
        snapshot: Some(Snapshot {
            git: Some(GitState {
                top: "/repo".into(),
                branch: text("main"),
                head: "0".repeat(40),
            }),
            artifacts: Vec::new(),
            extra: Map::new(),
        }),
        extra: Map::new(),
    }
}

fn record() -> Map<String, Value> {
    match serde_json::to_value(every_field_set()).unwrap() {
        Value::Object(map) => map,
        other => panic!("{other}"),
    }
}

#[test]
fn keys_are_exactly_the_fields() {
    let keys: Vec<String> = record().keys().cloned().collect();
    let names: Vec<&str> = FIELDS.iter().map(|field| field.name).collect();
    assert_eq!(keys, names, "add the new field to task::fields::FIELDS");
}

#[test]
fn required_fields_are_those_the_full_parse_requires() {
    for field in FIELDS {
        let mut record = record();
        record.remove(field.name);
        let parsed = serde_json::from_value::<Task>(Value::Object(record));
        assert_eq!(parsed.is_err(), field.required(), "{}", field.name);
    }
}

#[test]
fn fast_fields_are_the_first_in_order_and_indexed() {
    let fast: Vec<&str> = FIELDS.iter().filter(|f| f.fast()).map(|f| f.name).collect();
    assert_eq!(fast, FAST_FIELDS);
    // The ones the fast reader reads come first (it tries each key after the last).
    assert!(FIELDS[..FAST_FIELDS.len()].iter().all(Field::fast));
    for (i, name) in FAST_FIELDS.iter().enumerate() {
        assert_eq!(fast_index(name), i);
        let required = FIELDS.iter().any(|f| f.name == *name && f.required());
        assert_eq!(FAST_REQUIRED & (1 << i) != 0, required, "{name}");
    }
}
