//! `defer run` speaks up (SPEC §14): silent when nothing failed, one stderr line per
//! task that failed, a line per transition with `--verbose`; `defer execute` the same.

use std::fs;

use serde_json::json;

use crate::runner::archived;
use crate::support::{record_with, schedule_due, Env};

/// An executor that fails tasks whose id starts with `f`, and completes the rest.
fn picky(env: &Env) -> String {
    env.write_executor(
        "picky",
        r#"case "$DEFER_TASK_ID" in f*) echo "no luck for $DEFER_TASK_ID" >&2; exit 2 ;; esac; echo ok"#,
    )
    .display()
    .to_string()
}

#[test]
fn run_is_silent_when_nothing_failed() {
    let env = Env::new();
    let exe = picky(&env);
    schedule_due(&env, "ok1", &[]);
    // A failed attempt with a retry left is not a failure of the task.
    schedule_due(&env, "f-retry", &["--max-retries", "2"]);
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    assert_eq!(out.stdout, "");
    out.assert_stderr_empty();
    assert_eq!(archived(&env, "ok1")["status"], "completed");
    assert_eq!(env.task("f-retry")["status"], "scheduled");
}

#[test]
fn run_prints_one_exact_line_per_failed_task_and_exits_zero() {
    let env = Env::new();
    let exe = picky(&env);
    schedule_due(&env, "f1", &[]);
    schedule_due(&env, "ok1", &[]);
    schedule_due(&env, "f2", &[]);
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    assert_eq!(out.stdout, "");
    // The tasks run side by side (§20): each line once, in any order.
    let mut lines = out.stderr_lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "defer: task f1 failed after 1 attempt: executor exited with status 2: no luck for f1",
            "defer: task f2 failed after 1 attempt: executor exited with status 2: no luck for f2",
        ]
    );
}

#[test]
fn a_failure_line_stays_one_line_whatever_the_error_holds() {
    let env = Env::new();
    // An executor that prints terminal escapes: the record's error quotes them escaped,
    // and the line stays one line with nothing a terminal would act on.
    let exe = env.write_executor("evil", r#"printf 'line\033]0;pwned\007\n' >&2; exit 1"#);
    schedule_due(&env, "fx", &[]);
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'));
    assert_eq!(
        out.stderr,
        "defer: task fx failed after 1 attempt: executor exited with status 1: line\\u{1b}]0;pwned\\u{7}\n"
    );
}

#[test]
fn verbose_adds_a_line_per_transition() {
    let env = Env::new();
    let exe = picky(&env);
    // Store order is fire order, then id order: the order one slot runs them in.
    schedule_due(&env, "f-last", &[]);
    schedule_due(&env, "f-retry", &["--max-retries", "1"]);
    schedule_due(&env, "ok1", &[]);
    let out = env
        .cmd(&["run", "--verbose"])
        .env("DEFER_EXECUTOR", &exe)
        .env("DEFER_MAX_PARALLEL", "1")
        .success();
    assert_eq!(out.stdout, "");
    let retry_at = env.task("f-retry")["run_at"].as_str().unwrap().to_string();
    assert_eq!(
        out.stderr_lines(),
        [
            "defer: task f-last claimed",
            "defer: task f-last failed after 1 attempt: executor exited with status 2: no luck for f-last",
            "defer: task f-retry claimed",
            &format!(
                "defer: task f-retry attempt 1 of 2 failed, retry scheduled at {retry_at}: executor exited with status 2: no luck for f-retry"
            ),
            "defer: task ok1 claimed",
            "defer: task ok1 completed (executor_output)",
            "defer: archived 2 finished tasks",
        ]
    );
    // -v is the same flag, and an idle run says nothing even then.
    env.cmd(&["run", "-v"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
}

#[test]
fn verbose_names_an_interrupted_task_and_its_retry() {
    let env = Env::new();
    env.write_store(
        record_with(
            "orphan",
            &[
                ("status", json!("executing")),
                ("max_retries", json!(1)),
                ("started_at", json!("2026-04-08T16:45:00Z")),
                ("executor", json!({"pid": 999_999_999u32, "started": 1})),
            ],
        ) + "\n",
    );
    let out = env
        .cmd(&["run", "--verbose"])
        .env("DEFER_RETRY_DELAY_SECONDS", "3600")
        .success();
    let retry_at = env.task("orphan")["run_at"].as_str().unwrap().to_string();
    assert_eq!(
        out.stderr,
        format!("defer: task orphan interrupted, retry scheduled at {retry_at}\n")
    );
    // Without --verbose the same recovery is silent.
    let env = Env::new();
    env.write_store(
        record_with(
            "orphan",
            &[
                ("status", json!("executing")),
                ("max_retries", json!(1)),
                ("executor", json!({"pid": 999_999_999u32, "started": 1})),
            ],
        ) + "\n",
    );
    env.cmd(&["run"]).success().assert_stderr_empty();
}

#[test]
fn execute_prints_the_failure_line_once_and_the_record() {
    let env = Env::new();
    let exe = picky(&env);
    env.schedule("f9", "will fail");
    let out = env
        .cmd(&["execute", "--id", "f9", "--compact"])
        .env("DEFER_EXECUTOR", &exe)
        .failure(1);
    assert_eq!(out.json()["status"], "failed");
    assert_eq!(
        out.stderr,
        "defer: task f9 failed after 1 attempt: executor exited with status 2: no luck for f9\n"
    );
    // --verbose on execute: the claim and the outcome.
    env.schedule("ok9", "fine");
    let out = env
        .cmd(&["execute", "--id", "ok9", "--compact", "--verbose"])
        .env("DEFER_EXECUTOR", &exe)
        .success();
    assert_eq!(
        out.stderr_lines(),
        [
            "defer: task ok9 claimed",
            "defer: task ok9 completed (executor_output)"
        ]
    );
    // A retry left: not failed, so the existing "did not complete" line, exit 1.
    env.cmd(&[
        "schedule",
        "--when",
        "10m",
        "--summary",
        "s",
        "--id",
        "f-r",
        "--max-retries",
        "1",
    ])
    .success();
    let out = env
        .cmd(&["execute", "--id", "f-r", "--compact"])
        .env("DEFER_EXECUTOR", &exe)
        .failure(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("defer: task f-r did not complete (scheduled): executor exited"),
        "{}",
        out.stderr
    );
}

#[test]
fn run_help_documents_verbose_and_the_failure_lines() {
    let env = Env::new();
    let out = env.cmd(&["run", "--help"]).success();
    for needle in ["--verbose", "failed after", "DEFER_ON_FAILURE"] {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }
    assert!(!fs::exists(env.runtime_dir()).unwrap());
}
