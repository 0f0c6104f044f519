//! `defer cancel`: only scheduled tasks, by appending a new snapshot (SPEC §1, §4, §9).

use serde_json::Value;

use crate::support::{instant, is_timestamp, now_secs, record_line, Env};

#[test]
fn cancel_by_positional_id_appends_a_snapshot() {
    let env = Env::new();
    let original = env.schedule("t1", "s");
    let first_line = env.store_lines()[0].clone();

    let before = now_secs();
    let out = env.cmd(&["cancel", "t1", "--compact"]).success();
    let after = now_secs();
    out.assert_stderr_empty();
    let task = out.json();
    assert_eq!(task["status"], "cancelled");
    assert_eq!(task["cancel_reason"], Value::Null);
    assert!(
        task.as_object().unwrap().contains_key("cancel_reason"),
        "present as null"
    );
    let at = task["cancelled_at"].as_str().unwrap();
    assert!(is_timestamp(at), "{at}");
    assert!(before <= instant(at) && instant(at) <= after);

    let lines = env.store_lines();
    assert_eq!(lines.len(), 2, "original line kept, new snapshot appended");
    assert_eq!(lines[0], first_line, "original line untouched");
    assert_eq!(
        format!("{}\n", lines[1]),
        out.stdout,
        "--compact prints the new line"
    );

    // Everything else is the original record.
    let mut expected = original.clone();
    for field in ["status", "cancelled_at", "cancel_reason"] {
        expected[field] = task[field].clone();
    }
    assert_eq!(task, expected);
}

#[test]
fn cancel_by_flag_with_reason() {
    let env = Env::new();
    env.schedule("t1", "s");
    let task = env
        .cmd(&[
            "cancel",
            "--id",
            "t1",
            "--reason",
            "no longer needed",
            "--compact",
        ])
        .success()
        .json();
    assert_eq!(task["cancel_reason"], "no longer needed");
    assert_eq!(env.records()[1]["cancel_reason"], "no longer needed");
    assert_eq!(env.list_all()[0]["status"], "cancelled");
}

#[test]
fn cancel_prints_pretty_by_default() {
    let env = Env::new();
    env.schedule("t1", "s");
    let out = env.cmd(&["cancel", "t1"]).success();
    assert!(out.stdout.lines().count() > 10);
    assert_eq!(out.json()["status"], "cancelled");
}

#[test]
fn second_cancel_names_the_status() {
    let env = Env::new();
    env.schedule("t1", "s");
    env.cmd(&["cancel", "t1"]).success();
    let store = env.store_bytes();
    let out = env.cmd(&["cancel", "t1"]).failure(1);
    let line = out.error_line();
    assert!(line.contains("t1") && line.contains("cancelled"), "{line}");
    assert!(out.stdout.is_empty());
    assert_eq!(env.store_bytes(), store);
    assert_eq!(env.log_lines().len(), 2, "schedule + one cancel");
}

#[test]
fn only_scheduled_tasks_can_be_cancelled() {
    let env = Env::new();
    let mut lines = Vec::new();
    for status in ["executing", "completed", "failed"] {
        let mut record: Value = serde_json::from_str(&record_line(status, "s")).unwrap();
        record["status"] = status.into();
        lines.push(record.to_string());
    }
    env.write_store(lines.join("\n") + "\n");
    let store = env.store_bytes();
    for status in ["executing", "completed", "failed"] {
        let out = env.cmd(&["cancel", status]).failure(1);
        let line = out.error_line();
        assert!(line.contains(&format!("is {status}")), "{line}");
    }
    assert_eq!(env.store_bytes(), store);
    assert!(env.log_lines().is_empty());
}

#[test]
fn unknown_id_is_not_found() {
    let env = Env::new();
    env.schedule("t1", "s");
    let store = env.store_bytes();
    let out = env.cmd(&["cancel", "nope"]).failure(1);
    assert_eq!(out.stderr, "defer: task not found: nope\n");
    assert_eq!(env.store_bytes(), store);

    let empty = Env::new();
    let out = empty.cmd(&["cancel", "--id", "nope"]).failure(1);
    assert_eq!(out.stderr, "defer: task not found: nope\n");
    assert!(!empty.store_exists());
}

#[test]
fn cancel_needs_an_id() {
    let env = Env::new();
    let out = env.cmd(&["cancel"]).run();
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.starts_with("defer: ") || out.status == 2,
        "{}",
        out.stderr
    );
    assert!(!env.store_exists());
}

#[test]
fn cancel_is_logged() {
    let env = Env::new();
    env.schedule("t1", "s");
    env.schedule("t2", "s");
    env.cmd(&["cancel", "t1", "--reason", "changed plans"])
        .success();
    env.cmd(&["cancel", "t2"]).success();
    let log = env.log_lines();
    assert_eq!(log.len(), 4, "{log:?}");
    let words: Vec<&str> = log[2].split(' ').collect();
    assert!(is_timestamp(words[0]), "{}", log[2]);
    assert_eq!(words[1], "cancelled");
    assert_eq!(words[2], "id=t1");
    assert!(log[2].contains("reason=\"changed plans\""), "{}", log[2]);
    let words: Vec<&str> = log[3].split(' ').collect();
    assert_eq!(words[1..3], ["cancelled", "id=t2"]);
}
