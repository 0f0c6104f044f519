//! `defer list`: which tasks it shows, in which order, and how it prints them (SPEC §1).

use serde_json::Value;

use crate::support::{record_line, Env};

/// A store with one task per status, written in this order: s1 scheduled, e1 executing,
/// c1 completed, f1 failed, x1 cancelled, s2 scheduled.
fn one_of_each() -> Env {
    let env = Env::new();
    let with_status = |id: &str, status: &str| {
        let mut record: Value = serde_json::from_str(&record_line(id, id)).unwrap();
        record["status"] = status.into();
        record.to_string()
    };
    let lines = [
        with_status("s1", "scheduled"),
        with_status("e1", "executing"),
        with_status("c1", "completed"),
        with_status("f1", "failed"),
        with_status("x1", "cancelled"),
        with_status("s2", "scheduled"),
    ];
    env.write_store(lines.join("\n") + "\n");
    env
}

fn ids(out: &Value) -> Vec<&str> {
    out.as_array()
        .expect("an array")
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect()
}

#[test]
fn empty_store_lists_an_empty_array() {
    let env = Env::new();
    let out = env.cmd(&["list"]).success();
    out.assert_stderr_empty();
    assert_eq!(out.json(), serde_json::json!([]));
    assert_eq!(env.cmd(&["list", "--compact"]).success().stdout, "[]\n");
    assert_eq!(
        env.cmd(&["list", "--all"]).success().json(),
        serde_json::json!([])
    );
    assert!(!env.store_exists(), "list creates no store");
}

#[test]
fn default_shows_scheduled_and_executing() {
    let env = one_of_each();
    let out = env.cmd(&["list"]).success();
    out.assert_stderr_empty();
    // One run_at for all: ordered by id.
    assert_eq!(ids(&out.json()), ["e1", "s1", "s2"]);
}

#[test]
fn status_is_repeatable() {
    let env = one_of_each();
    let one = env.cmd(&["list", "--status", "failed"]).success().json();
    assert_eq!(ids(&one), ["f1"]);
    let two = env
        .cmd(&["list", "--status", "cancelled", "--status", "completed"])
        .success()
        .json();
    assert_eq!(ids(&two), ["c1", "x1"], "list order, not flag order");
    let scheduled = env.cmd(&["list", "--status", "scheduled"]).success().json();
    assert_eq!(ids(&scheduled), ["s1", "s2"]);
}

#[test]
fn bad_status_is_a_bad_value() {
    let env = one_of_each();
    let out = env.cmd(&["list", "--status", "done"]).failure(1);
    let line = out.error_line();
    assert!(
        line.contains("--status") && line.contains("'done'"),
        "{line}"
    );
}

#[test]
fn all_shows_every_status() {
    let env = one_of_each();
    let all = env.cmd(&["list", "--all"]).success().json();
    assert_eq!(ids(&all), ["c1", "e1", "f1", "s1", "s2", "x1"]);
}

#[test]
fn compact_is_one_line_pretty_is_not() {
    let env = Env::new();
    env.schedule("a", "first");
    env.schedule("b", "second");
    let compact = env.cmd(&["list", "--compact"]).success();
    assert_eq!(compact.stdout.lines().count(), 1);
    let pretty = env.cmd(&["list"]).success();
    assert!(pretty.stdout.lines().count() > 10, "{}", pretty.stdout);
    assert_eq!(compact.json(), pretty.json());
    let records = env.records();
    assert_eq!(compact.json(), Value::Array(records));
}

#[test]
fn order_is_run_at_then_id_and_latest_snapshot_wins() {
    let env = Env::new();
    // Created b, a, c; c runs first, a and b at the same time.
    for (id, when) in [
        ("b", "2030-01-01T10:00:00Z"),
        ("a", "2030-01-01T10:00:00Z"),
        ("c", "2030-01-01T09:00:00Z"),
    ] {
        env.cmd(&["schedule", "--when", when, "--summary", id, "--id", id])
            .success();
    }
    env.cmd(&["cancel", "c"]).success();
    let all = env.cmd(&["list", "--all"]).success().json();
    assert_eq!(ids(&all), ["c", "a", "b"]);
    assert_eq!(all[0]["status"], "cancelled");
    assert_eq!(ids(&env.cmd(&["list"]).success().json()), ["a", "b"]);
    let table = env.cmd(&["list", "--format", "table"]).success().stdout;
    let rows: Vec<&str> = table.lines().skip(1).map(|l| &l[..2]).collect();
    assert_eq!(rows, ["a ", "b "], "{table}");
}

#[test]
fn key_selects_the_task_scheduled_with_it() {
    let env = Env::new();
    for (id, key) in [("t1", "nightly"), ("t2", "weekly")] {
        env.cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            id,
            "--id",
            id,
            "--key",
            key,
        ])
        .success();
    }
    env.schedule("t3", "no key");
    let out = env.cmd(&["list", "--key", "weekly"]).success();
    assert_eq!(ids(&out.json()), ["t2"]);
    let none = env.cmd(&["list", "--key", "monthly"]).success().json();
    assert_eq!(none, serde_json::json!([]));
}

#[test]
fn broken_pipe_exits_quietly() {
    let env = Env::new();
    let lines: Vec<String> = (0..3000)
        .map(|i| record_line(&format!("t{i:05}"), &"x".repeat(100)))
        .collect();
    env.write_store(lines.join("\n") + "\n");
    for flags in ["", "--compact"] {
        let out = env
            .sh(&format!(
                "{{ \"$DEFER_BIN\" list {flags}; echo \"defer-exit=$?\" >&2; }} | head -c 1"
            ))
            .success();
        assert_eq!(out.stdout.len(), 1);
        assert!(!out.stderr.contains("defer:"), "stderr: {}", out.stderr);
        assert!(
            out.stderr.contains("defer-exit=0"),
            "stderr: {}",
            out.stderr
        );
    }
}
