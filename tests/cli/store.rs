//! The store on disk (SPEC §2, §3, §4): the original scripts' format, lines that are
//! not records, fields this program does not know, and file modes.

use serde_json::Value;

use crate::support::{mode, record_line, Env};

const ORIGINAL: &str = include_str!("../fixtures/original/deferred.jsonl");

fn ids(tasks: &[Value]) -> Vec<&str> {
    tasks.iter().map(|t| t["id"].as_str().unwrap()).collect()
}

fn original_env() -> Env {
    let env = Env::new();
    env.write_store(ORIGINAL);
    env
}

#[test]
fn original_store_loads_and_lists() {
    let env = original_env();
    let out = env.cmd(&["list", "--compact"]).success();
    out.assert_stderr_empty();
    let active = out.json();
    // By run_at (SPEC §21).
    assert_eq!(
        ids(active.as_array().unwrap()),
        [
            "task_20260407_090000_0042",
            "task_20260408_163500_4821",
            "task_20260408_170102_1193"
        ]
    );
    let all = env.list_all();
    assert_eq!(all.len(), 5);
    let by_id = |id: &str| all.iter().find(|t| t["id"] == id).unwrap();
    for task in &all {
        assert_eq!(task["attempts"], 0, "{}", task["id"]);
        assert_eq!(task["max_retries"], 0, "{}", task["id"]);
    }
    let cancelled = by_id("task_20260406_120000_7777");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled.as_object().unwrap().contains_key("cancel_reason"));
    assert_eq!(cancelled["cancel_reason"], Value::Null);
    let completed = by_id("task_20260405_080000_3141");
    assert_eq!(completed["result"]["type"], "prompt_prepared");
    assert_eq!(
        completed["context"]["reoriented_from"],
        "/home/gm/data/research/projects/alpha/CONTEXT.md"
    );
    assert_eq!(
        by_id("task_20260407_090000_0042")["started_at"],
        "2026-04-07T09:30:04Z"
    );
    assert_eq!(
        env.store_bytes(),
        ORIGINAL.as_bytes(),
        "reading rewrites nothing"
    );
}

#[test]
fn original_records_keep_every_field_when_listed() {
    let env = original_env();
    let originals: Vec<Value> = ORIGINAL
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let listed_all = env.list_all();
    assert_eq!(listed_all.len(), originals.len());
    for original in &originals {
        let listed = listed_all
            .iter()
            .find(|t| t["id"] == original["id"])
            .unwrap();
        let mut expected = original.clone();
        expected["attempts"] = 0.into();
        expected["max_retries"] = 0.into();
        assert_eq!(listed, &expected);
    }
}

#[test]
fn unknown_fields_survive_a_cancel() {
    let env = original_env();
    let id = "task_20260408_170102_1193";
    let task = env.cmd(&["cancel", id, "--compact"]).success().json();
    assert_eq!(task["owner"], "gm");
    assert_eq!(task["tags"], serde_json::json!(["ops", {"priority": 2}]));
    assert_eq!(task["context"]["source"], "slack");
    assert_eq!(task["execution"]["session_id"], "abc-123");

    let bytes = env.store_bytes();
    assert!(
        bytes.starts_with(ORIGINAL.as_bytes()),
        "original lines kept verbatim"
    );
    let lines = env.store_lines();
    assert_eq!(lines.len(), 6);
    let appended: Value = serde_json::from_str(&lines[5]).unwrap();
    assert_eq!(appended, task);
    assert_eq!(appended["status"], "cancelled");
}

#[test]
fn schedule_appends_to_an_original_store() {
    let env = original_env();
    env.schedule("new", "s");
    assert!(env.store_bytes().starts_with(ORIGINAL.as_bytes()));
    assert_eq!(env.list_all().len(), 6);
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "10m",
            "--summary",
            "s",
            "--id",
            "task_20260406_120000_7777",
        ])
        .failure(1);
    assert!(out.error_line().contains("task_20260406_120000_7777"));
}

/// Lines 2, 3, 5, 7 and 8 are not valid records; 8 is a torn last line (no newline).
fn corrupt_store() -> (Env, Vec<String>) {
    let lines = vec![
        record_line("a", "first"),
        "garbage, not json".to_string(),
        "[1,2]".to_string(),
        record_line("b", "second"),
        r#"{"hello":"world"}"#.to_string(),
        record_line("c", "third"),
        r#"{"id":"half","status":"scheduled","run_at":"2026-04-08T16:45:00Z","created_at":"2026-04-08T16:35:00Z"}"#
            .to_string(),
        r#"{"id":"torn","created_at":"2026-04-08T16:35:00Z","run_at":"2026"#.to_string(),
    ];
    let env = Env::new();
    env.write_store(lines.join("\n"));
    (env, lines)
}

const BAD_LINES: [usize; 5] = [2, 3, 5, 7, 8];

#[test]
fn invalid_lines_are_reported_and_skipped_by_list() {
    let (env, _) = corrupt_store();
    let out = env.cmd(&["list", "--compact"]).success();
    assert_eq!(ids(out.json().as_array().unwrap()), ["a", "b", "c"]);
    // One line for them all (SPEC §21), naming how many and the first.
    assert_eq!(
        out.stderr_lines(),
        [format!(
            "defer: warning: {} invalid store lines (first at line {}); see 'defer doctor'",
            BAD_LINES.len(),
            BAD_LINES[0]
        )]
    );
    let all = env.cmd(&["list", "--all", "--compact"]).success();
    assert_eq!(ids(all.json().as_array().unwrap()), ["a", "b", "c"]);
}

#[test]
fn invalid_lines_stay_verbatim_through_cancels_and_schedules() {
    let (env, original) = corrupt_store();
    env.cmd(&["cancel", "b"]).success();
    env.schedule("d", "fourth");
    env.cmd(&["cancel", "--id", "a", "--reason", "r"]).success();
    env.schedule("e", "fifth");

    let lines = env.store_lines();
    assert_eq!(lines.len(), original.len() + 4);
    assert_eq!(
        lines[..original.len()],
        original[..],
        "old lines kept verbatim"
    );
    assert!(env.store_bytes().ends_with(b"\n"));
    for line in &lines[original.len()..] {
        serde_json::from_str::<Value>(line).expect("appended lines are whole records");
    }
    let all = env.list_all();
    assert_eq!(ids(&all), ["a", "b", "c", "d", "e"]);
    let status: Vec<&str> = all.iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(
        status,
        [
            "cancelled",
            "cancelled",
            "scheduled",
            "scheduled",
            "scheduled"
        ]
    );
}

#[test]
fn cancel_skips_invalid_lines() {
    let (env, _) = corrupt_store();
    let out = env.cmd(&["cancel", "c", "--compact"]).success();
    assert_eq!(out.json()["status"], "cancelled");
    let not_task = env.cmd(&["cancel", "torn"]).failure(1);
    assert!(
        not_task.stderr.contains("task not found: torn"),
        "{}",
        not_task.stderr
    );
}

#[test]
fn schedule_after_a_torn_last_line() {
    let env = Env::new();
    let torn = r#"{"id":"torn","created_at":"2026-04-08T1"#;
    let first = record_line("a", "first");
    env.write_store(format!("{first}\n{torn}"));
    let task = env.schedule("b", "second");
    let lines = env.store_lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], first);
    assert_eq!(lines[1], torn, "the torn text is its own line");
    assert_eq!(serde_json::from_str::<Value>(&lines[2]).unwrap(), task);
    assert_eq!(ids(&env.list_all()), ["a", "b"]);
}

#[test]
fn blank_lines_are_harmless() {
    let env = Env::new();
    env.write_store(format!(
        "\n{}\n\n{}\n",
        record_line("a", "s"),
        record_line("b", "s")
    ));
    let out = env.cmd(&["list", "--compact"]).success();
    out.assert_stderr_empty();
    assert_eq!(ids(out.json().as_array().unwrap()), ["a", "b"]);
}

fn check_modes(mask: u32) {
    let env = Env::new();
    env.cmd(&["schedule", "--when", "10m", "--summary", "s", "--id", "t1"])
        .umask(mask)
        .success();
    env.cmd(&["cancel", "t1"]).umask(mask).success();
    env.cmd(&["list"]).umask(mask).success();
    assert_eq!(
        mode(&env.runtime_dir()),
        0o700,
        "runtime dir, umask {mask:03o}"
    );
    assert_eq!(mode(&env.log_dir()), 0o700, "log dir, umask {mask:03o}");
    for file in [env.store_path(), env.lock_path(), env.log_path()] {
        assert_eq!(mode(&file), 0o600, "{}, umask {mask:03o}", file.display());
    }
}

#[test]
fn modes_under_umask_000() {
    check_modes(0o000);
}

#[test]
fn modes_under_umask_077() {
    check_modes(0o077);
}

#[test]
fn nested_runtime_dir_is_created_private() {
    let env = Env::new();
    let nested = env.root().join("deep/er/runtime");
    env.cmd(&["schedule", "--when", "10m", "--summary", "s"])
        .env("DEFER_RUNTIME_DIR", nested.display().to_string())
        .umask(0)
        .success();
    for dir in [
        env.root().join("deep"),
        env.root().join("deep/er"),
        nested.clone(),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    assert_eq!(mode(&nested.join("deferred.jsonl")), 0o600);
}

/// A line with a valid-looking head (`id`, `status`, `run_at`, `created_at`) but no
/// `context`/`execution`: not a task record.
const HEAD_ONLY: &str = r#"{"id":"x","status":"scheduled","run_at":"2026-04-08T16:45:00Z","created_at":"2026-04-08T16:35:00Z"}"#;

#[test]
fn invalid_line_does_not_hide_the_valid_snapshot() {
    let env = Env::new();
    env.write_store(format!("{}\n{HEAD_ONLY}\n", record_line("x", "real")));
    let out = env.cmd(&["list", "--compact"]).success();
    assert!(
        out.stderr.contains("deferred.jsonl:2:"),
        "line 2 reported: {}",
        out.stderr
    );
    let listed = out.json();
    assert_eq!(
        ids(listed.as_array().unwrap()),
        ["x"],
        "line 1 is x's state"
    );
    assert_eq!(listed[0]["context"]["summary"], "real");
    let cancelled = env.cmd(&["cancel", "x", "--compact"]).success().json();
    assert_eq!(cancelled["context"]["summary"], "real");
}

#[test]
fn cancel_skips_a_head_only_line() {
    let env = Env::new();
    env.write_store(format!("{HEAD_ONLY}\n"));
    let out = env.cmd(&["cancel", "x"]).failure(1);
    assert!(out.stderr.contains("task not found: x"), "{}", out.stderr);
}

#[test]
fn invalid_lines_are_reported_whatever_the_filter() {
    let env = Env::new();
    env.write_store(format!("{HEAD_ONLY}\ngarbage\n"));
    let out = env.cmd(&["list", "--status", "completed"]).success();
    assert_eq!(
        out.error_line(),
        "defer: warning: 2 invalid store lines (first at line 1); see 'defer doctor'"
    );
}
