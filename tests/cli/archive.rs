//! `defer archive` and the sweep at the end of `run` (SPEC §4, §7): terminal tasks move
//! to the month of their completion (or creation), exactly once; unknown fields survive;
//! invalid lines stay verbatim in the active store.

use std::fs;

use serde_json::{json, Value};

use crate::runner::archived;
use crate::support::{record_with, Env};

fn terminal(id: &str, status: &str, field: Option<(&str, &str)>) -> String {
    let mut fields = vec![("status", json!(status))];
    if let Some((key, at)) = field {
        fields.push((key, json!(at)));
    }
    record_with(id, &fields)
}

fn fixture() -> (Env, Vec<String>) {
    let env = Env::new();
    let garbage = "garbage line {".to_string();
    let lines = vec![
        record_with("keep", &[("run_at", json!("2099-01-01T00:00:00Z"))]),
        terminal(
            "done",
            "completed",
            Some(("completed_at", "2025-03-04T05:06:07Z")),
        ),
        garbage.clone(),
        terminal("bad", "failed", Some(("failed_at", "2025-05-31T23:59:59Z"))),
        terminal(
            "stop",
            "cancelled",
            Some(("cancelled_at", "2025-07-01T00:00:00Z")),
        ),
        // Terminal without its own stamp: the month of created_at.
        record_with(
            "old",
            &[
                ("status", json!("completed")),
                ("created_at", json!("2024-11-30T10:00:00Z")),
            ],
        ),
    ];
    env.write_store(lines.iter().map(|l| format!("{l}\n")).collect::<String>());
    (env, lines)
}

#[test]
fn archive_moves_terminal_tasks_by_month() {
    let (env, lines) = fixture();
    let out = env.cmd(&["archive"]).success();
    assert_eq!(out.stdout, "");
    let files: Vec<(String, Vec<String>)> = env.archive_files();
    assert_eq!(
        files,
        [
            ("deferred_202411.jsonl".to_string(), vec![lines[5].clone()]),
            ("deferred_202503.jsonl".to_string(), vec![lines[1].clone()]),
            ("deferred_202505.jsonl".to_string(), vec![lines[3].clone()]),
            ("deferred_202507.jsonl".to_string(), vec![lines[4].clone()]),
        ]
    );
    assert_eq!(env.store_lines(), [lines[0].clone(), lines[2].clone()]);
    // The invalid line is reported, with its line number, and kept.
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("deferred.jsonl:3:"), "{}", out.stderr);
    let logged = env.log_events("archived");
    assert_eq!(logged.len(), 4, "{logged:?}");
    assert!(
        logged[0].contains("archived id=done file="),
        "{}",
        logged[0]
    );
}

#[test]
fn archive_is_idempotent() {
    let (env, _) = fixture();
    env.cmd(&["archive"]).success();
    let files = env.archive_files();
    let store = env.store_bytes();
    for _ in 0..2 {
        env.cmd(&["archive"]).success();
        env.cmd(&["run"]).success();
        assert_eq!(env.archive_files(), files);
        assert_eq!(env.store_bytes(), store);
    }
    assert_eq!(env.log_events("archived").len(), 4);
}

#[test]
fn archive_with_nothing_terminal_rewrites_nothing() {
    let env = Env::new();
    env.schedule("a", "a");
    env.schedule("b", "b");
    env.cmd(&["cancel", "a"]).success();
    env.cmd(&["archive"]).success();
    assert_eq!(env.store_lines().len(), 1);
    let store = env.store_bytes();
    let modified = fs::metadata(env.store_path()).unwrap().modified().unwrap();
    env.cmd(&["archive"]).success().assert_stderr_empty();
    assert_eq!(env.store_bytes(), store);
    assert_eq!(
        fs::metadata(env.store_path()).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn interrupted_sweep_is_finished_exactly_once() {
    // As if a sweep died after appending to the archive, before replacing the store:
    // the marker names the month, the archive already has the line plus a torn tail.
    let (env, lines) = fixture();
    fs::create_dir_all(env.archive_dir()).unwrap();
    fs::write(env.archive_dir().join(".sweep-pending"), "202503\n").unwrap();
    fs::write(
        env.archive_dir().join("deferred_202503.jsonl"),
        format!("{}\n{{\"id\":\"bad\",\"crea", lines[1]),
    )
    .unwrap();
    env.cmd(&["archive"]).success();
    let files = env.archive_files();
    assert_eq!(
        files[1],
        ("deferred_202503.jsonl".to_string(), vec![lines[1].clone()])
    );
    assert_eq!(files.len(), 4);
    assert!(!env.archive_dir().join(".sweep-pending").exists());
    assert_eq!(env.store_lines(), [lines[0].clone(), lines[2].clone()]);
}

#[test]
fn unknown_fields_and_invalid_lines_survive_run_and_archive() {
    let env = Env::new();
    let mut due: Value = serde_json::from_str(&record_with(
        "u1",
        &[("run_at", json!("2020-01-01T00:00:00Z"))],
    ))
    .unwrap();
    due["x_top"] = json!({"nested": [1, 2, 3]});
    due["context"]["x_ctx"] = json!("context extra");
    due["execution"]["x_exec"] = json!(42);
    due["reorient"]["x_reorient"] = json!(true);
    let garbage = "{ not json at all";
    let wrong_shape = r#"{"id":"shape","status":"scheduled"}"#;
    let later = record_with("later", &[("run_at", json!("2099-01-01T00:00:00Z"))]);
    let torn = r#"{"id":"torn","created_at":"2026-04-0"#;
    env.write_store(format!("{due}\n{garbage}\n{later}\n{wrong_shape}\n{torn}"));

    let out = env.cmd(&["run"]).success();
    assert_eq!(out.stdout, "");
    // Lines 2, 4 and 5, on one line.
    assert_eq!(
        out.error_line(),
        "defer: warning: 3 invalid store lines (first at line 2); see 'defer doctor'"
    );

    let task = archived(&env, "u1");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["x_top"], due["x_top"]);
    assert_eq!(task["context"]["x_ctx"], "context extra");
    assert_eq!(task["execution"]["x_exec"], 42);
    assert_eq!(task["reorient"]["x_reorient"], true);

    for _ in 0..2 {
        env.cmd(&["archive"]).success();
        env.cmd(&["run"]).success();
        let lines = env.store_lines();
        for bad in [garbage, wrong_shape, torn] {
            assert_eq!(
                lines.iter().filter(|l| *l == bad).count(),
                1,
                "{bad} in {lines:?}"
            );
        }
        assert_eq!(lines.iter().filter(|l| **l == later).count(), 1);
        assert_eq!(lines.len(), 4, "{lines:?}");
    }
    assert_eq!(archived(&env, "u1")["x_top"], due["x_top"]);
}
