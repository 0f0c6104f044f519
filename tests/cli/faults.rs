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
    assert!(!env.latest().contains_key("b"));
    assert!(!env.latest().contains_key("c"), "c ran and was archived");
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
                // Its executor had started (a dead process), so this is an attempt.
                ("executor", json!({"pid": 999_999_999u32, "started": 1})),
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
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    let quoted = r"executor exited with status 3: boom on stderr\u{1b}[0m\t!";
    // One line per failed task, quoting the (already escaped) error; r's retry is no
    // failure. The tasks ran side by side (§20): the lines come in any order.
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    let line = |id: &str| {
        let prefix = format!("defer: task {id} ");
        lines
            .iter()
            .find(|l| l.starts_with(&prefix))
            .copied()
            .unwrap()
    };
    assert_eq!(
        line("f"),
        format!("defer: task f failed after 1 attempt: {quoted}")
    );
    assert_eq!(
        line("quiet"),
        "defer: task quiet failed after 1 attempt: executor exited with status 3"
    );
    assert!(line("long")
        .starts_with("defer: task long failed after 1 attempt: executor exited with status 4: éé"));
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

/// Makes `path` a non-empty directory, so no file can be written there, not even by
/// root and not by a rename.
fn block_path(path: &std::path::Path) {
    fs::create_dir_all(path).unwrap();
    fs::write(path.join("keep"), "x").unwrap();
}

#[test]
fn an_unwritable_prompt_claims_nothing_and_burns_no_attempt() {
    let env = Env::new();
    schedule_due(&env, "p", &["--max-retries", "2"]);
    let before = env.store_bytes();
    let marks = env.root().join("ran");
    let exe = env.write_executor("mark", &format!("touch {}", marks.display()));
    let prompt = env.log_dir().join("p.prompt.txt");
    block_path(&prompt);
    for _ in 0..3 {
        let out = env
            .cmd(&["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .failure(1);
        let line = out.error_line();
        assert!(
            line.contains("task p was not run and stays scheduled"),
            "{line}"
        );
        assert!(line.contains("p.prompt.txt"), "{line}");
        assert_eq!(env.store_bytes(), before, "the store changed");
    }
    assert!(!marks.exists(), "the executor ran");
    fs::remove_dir_all(&prompt).unwrap();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let task = crate::runner::archived(&env, "p");
    assert_eq!(
        (task["status"].as_str(), task["attempts"].as_u64()),
        (Some("completed"), Some(0))
    );
    assert!(marks.exists());
}

#[test]
fn an_unwritable_output_file_after_the_claim_releases_the_task() {
    let env = Env::new();
    let scheduled = schedule_due(&env, "o", &["--max-retries", "2"]);
    let marks = env.root().join("ran");
    let exe = env.write_executor("mark", &format!("touch {}", marks.display()));
    let output = env.log_dir().join("o.output.txt");
    block_path(&output);
    for _ in 0..3 {
        let out = env
            .cmd(&["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .failure(1);
        let line = out.error_line();
        assert!(line.starts_with("defer: task o: runner error: "), "{line}");
        assert!(line.contains("o.output.txt"), "{line}");
        assert!(
            line.contains("not counted as an attempt; still scheduled at"),
            "{line}"
        );
        let task = env.task("o");
        assert_eq!(task["status"], "scheduled");
        assert_eq!(task["attempts"], 0, "{task}");
        assert_eq!(task["run_at"], scheduled["run_at"]);
        let error = task["last_error"].as_str().unwrap();
        assert!(
            error.starts_with("runner error: ") && error.contains("o.output.txt"),
            "{error}"
        );
        assert!(task.get("executor").is_none() && task.get("started_at").is_none());
    }
    assert!(!marks.exists(), "the executor ran");
    fs::remove_dir_all(&output).unwrap();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let task = crate::runner::archived(&env, "o");
    assert_eq!(
        (task["status"].as_str(), task["attempts"].as_u64()),
        (Some("completed"), Some(0))
    );
}

#[test]
fn an_output_file_that_fills_up_mid_run_keeps_the_outcome_and_fails_the_run() {
    let env = Env::new();
    schedule_due(&env, "big", &[]);
    let exe = env.write_executor(
        "flood",
        "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo done",
    );
    // 1 MiB per file: the store and prompt fit, the 3 MB output does not.
    let out = limited(&env, 2048, "run")
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("task big ran and was recorded as completed"),
        "{line}"
    );
    assert!(line.contains("big.output.txt is incomplete"), "{line}");
    let task = crate::runner::archived(&env, "big");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output_truncated"], true);
    let len = fs::metadata(env.log_dir().join("big.output.txt"))
        .unwrap()
        .len();
    assert_eq!(len, 1 << 20);
}

#[test]
fn one_task_the_runner_cannot_prepare_does_not_wedge_the_others() {
    let env = Env::new();
    schedule_due(&env, "stuck", &[]);
    schedule_due(&env, "fine", &[]);
    block_path(&env.log_dir().join("stuck.prompt.txt"));
    let out = env.cmd(&["run"]).failure(1);
    assert!(
        out.error_line().contains("task stuck was not run"),
        "{}",
        out.stderr
    );
    assert_eq!(env.task("stuck")["status"], "scheduled");
    assert_eq!(crate::runner::archived(&env, "fine")["status"], "completed");
}

/// True while `pid` exists and is not a zombie.
fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// SIGKILLs these process groups on drop, so a failing test leaks no `sleep`.
struct Groups(Vec<i32>);

impl Drop for Groups {
    fn drop(&mut self) {
        for &pid in &self.0 {
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_sigkilled_runners_executor_is_stopped_before_its_task_is_recovered() {
    use std::process::Stdio;
    use std::time::Duration;
    let env = Env::new();
    let marks = env.root().join("marks");
    fs::create_dir(&marks).unwrap();
    // The first execution sleeps; a later one notes which earlier executors still live.
    let exe = env.write_executor(
        "once",
        r#"if [ -s "$MARKS/pids" ]; then
  for p in $(cat "$MARKS/pids"); do
    if [ -r /proc/$p/stat ] && ! grep -q ') Z' /proc/$p/stat; then echo "$p" >> "$MARKS/alive"; fi
  done
  echo $$ >> "$MARKS/pids"; exit 0
fi
echo $$ >> "$MARKS/pids"; exec sleep 30"#,
    );
    schedule_due(&env, "k", &["--max-retries", "1"]);
    let pids = marks.join("pids");
    let first = || -> Option<i32> { fs::read_to_string(&pids).ok()?.lines().next()?.parse().ok() };
    let mut runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("MARKS", marks.to_str().unwrap())
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_until("the executor to start", Duration::from_secs(20), || {
        first().is_some() && env.task("k").get("executor").is_some()
    });
    let pid = first().unwrap();
    let _cleanup = Groups(vec![pid]);
    let recorded = env.task("k");
    assert_eq!(recorded["status"], "executing");
    assert_eq!(recorded["executor"]["pid"], pid);
    assert!(
        recorded["executor"]["started"].as_u64().is_some(),
        "{recorded}"
    );
    runner.kill().unwrap(); // SIGKILL: the executor survives in its own group
    runner.wait().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(alive(pid), "the executor died with the runner");

    // The next run stops the orphan, records the interruption, and retries at once.
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("MARKS", marks.to_str().unwrap())
        .env("DEFER_RETRY_DELAY_SECONDS", "0")
        .timeout(Duration::from_secs(30))
        .success()
        .assert_stderr_empty();
    assert!(!alive(pid), "the orphaned executor still runs");
    assert!(
        !marks.join("alive").exists(),
        "two executions were alive at once: {:?}",
        fs::read_to_string(marks.join("alive"))
    );
    assert_eq!(fs::read_to_string(&pids).unwrap().lines().count(), 2);
    let task = crate::runner::archived(&env, "k");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["attempts"], 1);
    assert!(task.get("executor").is_none(), "{task}");
    let interrupted = env.log_events("interrupted");
    assert_eq!(interrupted.len(), 1, "{interrupted:?}");
    assert!(
        interrupted[0].ends_with("interrupted id=k status=scheduled executor=stopped"),
        "{}",
        interrupted[0]
    );
}

#[cfg(target_os = "linux")]
#[test]
fn recovery_never_signals_a_process_that_reused_the_pid() {
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    // A live process whose pid the store names, but with another start time: it is
    // not the executor that was recorded.
    let mut stranger = std::process::Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = stranger.id() as i32;
    let _cleanup = Groups(vec![pid]);
    let line = record_with(
        "r",
        &[
            ("status", json!("executing")),
            ("started_at", json!("2026-04-08T16:45:00Z")),
            ("executor", json!({"pid": pid, "started": 1})),
        ],
    );
    env.write_store(line + "\n");
    let out = env.cmd(&["run"]).success();
    assert_eq!(
        out.stderr,
        "defer: task r failed after 1 attempt: interrupted\n"
    );
    assert!(
        stranger.try_wait().unwrap().is_none(),
        "recovery killed a stranger"
    );
    let task = crate::runner::archived(&env, "r");
    assert_eq!(
        (task["status"].as_str(), task["error"].as_str()),
        (Some("failed"), Some("interrupted"))
    );
    assert!(task.get("executor").is_none(), "{task}");
    let interrupted = env.log_events("interrupted");
    assert!(
        interrupted[0].ends_with("interrupted id=r status=failed"),
        "{interrupted:?}"
    );
}
