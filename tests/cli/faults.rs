//! Faults the runner and the store must survive (SPEC §11): a failed append leaves the
//! store byte-identical, the runner's own failures do not burn a task's attempts, a
//! SIGKILLed runner's executor is stopped before its task is recovered, absurd numbers
//! and timestamps never panic, and the error of a failed attempt quotes the executor.

use std::fs;

use serde_json::json;

use crate::support::{record_with, schedule_due, Env};

/// `defer <args>` under a file-size limit of `blocks` × 512 bytes with SIGXFSZ ignored,
/// so a write that crosses the limit fails with EFBIG after writing what fits: a
/// full disk, without root or a small file system.
fn limited(env: &Env, blocks: usize, args: &str) -> crate::support::Cmd {
    env.sh(&format!(
        r#"trap "" XFSZ; ulimit -f {blocks} || exit 99; exec "$DEFER_BIN" {args}"#
    ))
}

fn summary_path(env: &Env) -> std::path::PathBuf {
    env.runtime_dir().join("deferred.jsonl.idx")
}

#[test]
fn failed_append_is_cut_back_and_the_store_stays_byte_identical() {
    let env = Env::new();
    env.schedule("a", "first");
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(summary_path(&env).exists(), "run saves a summary");
    let before = env.store_bytes();
    let summary_before = fs::read(summary_path(&env)).unwrap();
    // The limit lies strictly inside the new line: part of it fits, the rest fails.
    let blocks = before.len() / 512 + 1;
    let big = "x".repeat(3000);
    let out = limited(
        &env,
        blocks,
        &format!("schedule --when now --id b --summary {big}"),
    )
    .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("appending to") && line.contains("deferred.jsonl"),
        "{line}"
    );
    assert!(line.contains("File too large"), "{line}");
    assert_eq!(
        String::from_utf8_lossy(&env.store_bytes()),
        String::from_utf8_lossy(&before),
        "the partial line was left in the store"
    );
    // The summary still describes the store: unchanged, or stale and so ignored.
    assert_eq!(fs::read(summary_path(&env)).unwrap(), summary_before);
    // Nothing to warn about, and the store works on.
    env.cmd(&["cancel", "a", "--compact"])
        .success()
        .assert_stderr_empty();
    schedule_due(&env, "c", &[]);
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(env.latest().get("b").is_none());
    assert!(env.latest().get("c").is_none(), "c ran and was archived");
    assert_eq!(crate::runner::archived(&env, "c")["status"], "completed");
}

#[test]
fn failed_first_append_leaves_no_store() {
    let env = Env::new();
    let big = "x".repeat(3000);
    let out = limited(
        &env,
        1,
        &format!("schedule --when 10m --id b --summary {big}"),
    )
    .failure(1);
    assert!(
        out.error_line().contains("File too large"),
        "{}",
        out.stderr
    );
    assert!(
        !env.store_exists(),
        "{:?}",
        String::from_utf8_lossy(&env.store_bytes())
    );
    env.cmd(&["list", "--all", "--compact"])
        .success()
        .assert_stderr_empty();
}

#[test]
fn delays_beyond_ten_years_are_refused_naming_the_variable() {
    let env = Env::new();
    schedule_due(&env, "a", &["--max-retries", "1"]);
    let before = env.store_bytes();
    let exe = env.write_executor("fail", "exit 1");
    for (name, value) in [
        ("DEFER_RETRY_DELAY_SECONDS", "10000000000000"),
        ("DEFER_RETRY_DELAY_SECONDS", "18446744073709551615"),
        ("DEFER_EXECUTOR_TIMEOUT_SECONDS", "315360001"),
    ] {
        let out = env
            .cmd(&["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .env(name, value)
            .failure(1);
        assert_eq!(
            out.error_line(),
            format!(
                "defer: invalid {name} '{value}' (accepted: whole seconds from 0 to 315360000)"
            )
        );
        assert_eq!(env.store_bytes(), before, "{name}={value} wrote the store");
    }
    // Ten years is accepted: the retry lands ten years out, no panic.
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("DEFER_RETRY_DELAY_SECONDS", "315360000")
        .success()
        .assert_stderr_empty();
    let task = env.task("a");
    assert_eq!(task["status"], "scheduled");
    let next = crate::support::instant(task["run_at"].as_str().unwrap());
    assert!(
        next > chrono::Utc::now() + chrono::Duration::days(3649),
        "{next}"
    );
}

#[test]
fn absurd_timestamps_in_the_store_do_not_panic_the_runner() {
    let env = Env::new();
    let lines = [
        record_with(
            "early",
            &[
                ("run_at", json!("0000-01-01T00:00:00Z")),
                ("max_retries", json!(2)),
            ],
        ),
        record_with("late", &[("run_at", json!("9999-12-31T23:59:59Z"))]),
        record_with(
            "orphan",
            &[
                ("status", json!("executing")),
                ("created_at", json!("0000-01-01T00:00:00Z")),
                ("started_at", json!("9999-12-31T23:59:59Z")),
                ("max_retries", json!(1)),
            ],
        ),
    ];
    env.write_store(lines.join("\n") + "\n");
    let exe = env.write_executor("fail", "exit 1");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("DEFER_RETRY_DELAY_SECONDS", "315360000")
        .success()
        .assert_stderr_empty();
    assert_eq!(env.task("early")["status"], "scheduled");
    assert_eq!(env.task("early")["attempts"], 1);
    assert_eq!(env.task("late")["status"], "scheduled");
    assert_eq!(env.task("late")["run_at"], "9999-12-31T23:59:59Z");
    assert_eq!(env.task("orphan")["status"], "scheduled");
    assert_eq!(env.task("orphan")["result"]["type"], "interrupted");
    env.cmd(&["list", "--format", "table"]).success();
}

#[test]
fn a_failed_attempt_quotes_the_last_line_of_output() {
    let env = Env::new();
    schedule_due(&env, "r", &["--max-retries", "1"]);
    schedule_due(&env, "f", &[]);
    schedule_due(&env, "quiet", &[]);
    schedule_due(&env, "long", &[]);
    let long = "é".repeat(300);
    let exe = env.write_executor(
        "boom",
        &format!(
            r#"case "$DEFER_TASK_ID" in
  quiet) exit 3 ;;
  long) echo "{long}"; exit 4 ;;
esac
echo "progress on stdout"
printf 'boom on stderr\033[0m\t!\n\n   \n' >&2
exit 3"#
        ),
    );
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let quoted = r"executor exited with status 3: boom on stderr\u{1b}[0m\t!";
    assert_eq!(env.task("r")["last_error"], quoted);
    let failed = crate::runner::archived(&env, "f");
    assert_eq!(failed["error"], quoted);
    // The record keeps the output as it was; only the error line is escaped.
    let output = failed["result"]["output"].as_str().unwrap();
    assert!(output.contains("boom on stderr\u{1b}[0m\t!"), "{output}");
    assert_eq!(
        crate::runner::archived(&env, "quiet")["error"],
        "executor exited with status 3"
    );
    let error = crate::runner::archived(&env, "long")["error"]
        .as_str()
        .unwrap()
        .to_string();
    let line = error
        .strip_prefix("executor exited with status 4: ")
        .unwrap();
    assert_eq!(line.chars().count(), 200, "{line}");
    assert_eq!(line, format!("{}…", "é".repeat(199)));
    let logged = env.log_events("retry scheduled");
    assert!(logged[0].contains("boom on stderr"), "{logged:?}");
}

#[test]
fn unknown_fields_keep_their_order_through_cancel_and_archive() {
    let env = Env::new();
    // Unknown fields in a non-sorted order at every level, as another tool wrote them.
    let context = r#""context":{"summary":"s","key_points":[],"artifacts":[],"constraints":[],"zz":"z","aa":{"y":1,"b":2}}"#;
    let execution = r#""execution":{"mode":"fresh","prompt_template":"s","aura_level":"low","yy":true,"bb":null}"#;
    let result = r#""result":{"type":"retry_scheduled","prompt_path":"/p","next_run_at":"2026-04-08T16:45:00Z","qq":[3,1],"cc":"c"}"#;
    let top = r#""zulu":1,"alpha":{"y":2,"b":3},"mike":"m""#;
    let line = format!(
        r#"{{"id":"u","created_at":"2026-04-08T16:35:00Z","run_at":"2099-04-08T16:45:00Z","type":"deferred_task","intent":"resume_task",{context},{execution},"status":"scheduled","attempts":1,"max_retries":2,"reorient_requested":false,"reorient":{{"requested":false,"project":null,"explicit_context_file":null,"rr":1,"ee":2}},"last_error":"x",{result},{top}}}"#
    );
    env.write_store(format!("{line}\n"));
    env.cmd(&["cancel", "u", "--compact"])
        .success()
        .assert_stderr_empty();
    env.cmd(&["archive"]).success().assert_stderr_empty();
    let archived = env.archive_files();
    assert_eq!(archived.len(), 1, "{archived:?}");
    let written = &archived[0].1[0];
    for part in [
        context,
        execution,
        result,
        r#""explicit_context_file":null,"rr":1,"ee":2}"#,
    ] {
        assert!(written.contains(part), "{part}\nnot in\n{written}");
    }
    assert!(written.ends_with(&format!("{top}}}")), "{written}");
    assert!(written.contains(r#""status":"cancelled""#), "{written}");
}
