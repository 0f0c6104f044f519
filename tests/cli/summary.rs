//! The store summary `deferred.jsonl.idx` that lets `run` skip the scan when nothing
//! is due: it must never hide a due task, an orphan or a terminal record, whoever
//! wrote the store (docs/performance.md, "The store summary").

use std::io::Write;

use crate::support::{record_line, Env};

fn summary_path(env: &Env) -> std::path::PathBuf {
    env.runtime_dir().join("deferred.jsonl.idx")
}

/// A store with one task due in 10 minutes, and a summary saved by a full scan.
fn idle_env() -> Env {
    let env = Env::new();
    env.schedule("later", "not yet");
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(summary_path(&env).exists(), "a full scan saves the summary");
    let before = env.store_bytes();
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert_eq!(env.store_bytes(), before, "an idle run writes nothing");
    env
}

fn executed(env: &Env, id: &str) -> bool {
    let needle = format!("id={id} ");
    env.log_lines()
        .iter()
        .any(|l| l.contains(" executed ") && l.contains(&needle))
}

#[test]
fn hand_appended_due_task_is_found() {
    let env = idle_env();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(env.store_path())
        .unwrap();
    writeln!(file, "{}", record_line("by-hand", "appended without defer")).unwrap();
    drop(file);
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(executed(&env, "by-hand"));
    assert!(!executed(&env, "later"));
}

#[test]
fn same_length_hand_edit_making_a_task_due_is_found() {
    let env = idle_env();
    let text = String::from_utf8(env.store_bytes()).unwrap();
    let record: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    let run_at = record["run_at"].as_str().unwrap();
    let edited = text.replace(run_at, "2000-01-01T00:00:00Z");
    assert_eq!(edited.len(), text.len());
    std::fs::write(env.store_path(), edited).unwrap();
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(executed(&env, "later"));
}

#[test]
fn task_scheduled_in_the_past_after_the_summary_runs() {
    let env = idle_env();
    env.cmd(&[
        "schedule",
        "--when",
        "2000-01-01",
        "--summary",
        "overdue",
        "--id",
        "past",
    ])
    .success();
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(executed(&env, "past"));
    assert!(!executed(&env, "later"));
}

#[test]
fn cancelled_task_is_still_swept() {
    let env = idle_env();
    env.cmd(&["cancel", "later"]).success();
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(env.list_all().is_empty(), "the cancelled task was archived");
    assert!(env.runtime_dir().join("archive").exists());
}

#[test]
fn orphan_written_by_hand_is_recovered() {
    let env = idle_env();
    let orphan = record_line("orphan", "runner died").replace(
        r#""status":"scheduled""#,
        r#""status":"executing","executor":{"pid":999999999,"started":1}"#,
    );
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(env.store_path())
        .unwrap();
    writeln!(file, "{orphan}").unwrap();
    drop(file);
    let out = env.cmd(&["run"]).success();
    assert_eq!(
        out.stderr,
        "defer: task orphan failed after 1 attempt: interrupted\n"
    );
    assert!(env
        .log_lines()
        .iter()
        .any(|l| l.contains("interrupted") && l.contains("id=orphan")));
}

#[test]
fn bad_line_is_still_reported() {
    let env = idle_env();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(env.store_path())
        .unwrap();
    writeln!(file, "not a record").unwrap();
    drop(file);
    let out = env.cmd(&["run"]).success();
    assert!(
        out.stderr_lines().iter().any(|l| l.contains(":2")),
        "{:?}",
        out.stderr_lines()
    );
    let again = env.cmd(&["run"]).success();
    assert!(!again.stderr_lines().is_empty(), "reported on every run");
}

#[test]
fn unreadable_summary_means_a_full_scan() {
    let env = idle_env();
    std::fs::write(summary_path(&env), "garbage\n").unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(env.store_path())
        .unwrap();
    writeln!(file, "{}", record_line("by-hand", "appended without defer")).unwrap();
    drop(file);
    env.cmd(&["run"]).success();
    assert!(executed(&env, "by-hand"));
}
