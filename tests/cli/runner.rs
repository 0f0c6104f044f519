//! `defer run` through the binary (SPEC §6, §7, §9): every transition and result type,
//! the prompt artifact, what the executor receives, output capping, silence on success,
//! bad configuration, selection (due, future, cancelled, oldest first), the audit log.

use std::fs;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{instant, is_timestamp, now_secs, record_with, schedule_due, Env};

/// The one archived record of `id` (asserting there is exactly one, and that the id is
/// gone from the active store).
pub fn archived(env: &Env, id: &str) -> Value {
    let mut found: Vec<Value> = env
        .archive_records()
        .into_iter()
        .filter(|r| r["id"] == id)
        .collect();
    assert_eq!(found.len(), 1, "archive lines for {id}: {found:?}");
    assert!(
        !env.latest().contains_key(id),
        "{id} is still in the active store after being archived"
    );
    found.remove(0)
}

/// `defer run` with these extra variables; asserts exit 0 and silence.
fn run(env: &Env, vars: &[(&str, &str)]) {
    run_reporting(env, vars, &[]);
}

/// `defer run` with these extra variables; asserts exit 0, nothing on stdout and
/// exactly these lines on stderr (one per task that failed, SPEC §14).
fn run_reporting(env: &Env, vars: &[(&str, &str)], stderr: &[&str]) {
    let mut cmd = env.cmd(&["run"]);
    for (k, v) in vars {
        cmd = cmd.env(k, v);
    }
    let out = cmd.success();
    assert_eq!(out.stdout, "", "run prints nothing on stdout");
    assert_eq!(out.stderr_lines(), stderr);
}

#[test]
fn no_executor_prepares_the_exact_prompt() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--id",
        "p1",
        "--summary",
        "Check the build",
        "--key-point",
        "CI was red",
        "--key-point",
        "flaky test",
        "--constraint",
        "no force push",
        "--prompt-template",
        "Look at CI again.",
        "--intent",
        "notify",
        "--mode",
        "callback",
    ])
    .success();
    let before = now_secs();
    run(&env, &[]);
    let after = now_secs();
    let prompt_path = env.log_dir().join("p1.prompt.txt");
    assert_eq!(
        fs::read_to_string(&prompt_path).unwrap(),
        "You are resuming a deferred task.

Task ID: p1
Intent: notify
Mode: callback

Summary:
Check the build

Key Points:
- CI was red
- flaky test

Artifacts:
- (none)

Constraints:
- no force push

Task:
Look at CI again.
"
    );
    let task = archived(&env, "p1");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["attempts"], 0);
    assert_eq!(
        task["result"],
        json!({"type": "prompt_prepared", "prompt_path": prompt_path.display().to_string()})
    );
    for field in ["started_at", "completed_at"] {
        let at = instant(task[field].as_str().unwrap());
        assert!(before <= at && at <= after, "{field} {at} outside the run");
    }
    assert!(task.get("failed_at").is_none() && task.get("error").is_none());
}

#[test]
fn empty_lists_render_none_everywhere() {
    let env = Env::new();
    schedule_due(&env, "p2", &[]);
    run(&env, &[]);
    assert_eq!(
        fs::read_to_string(env.log_dir().join("p2.prompt.txt")).unwrap(),
        "You are resuming a deferred task.\n\nTask ID: p2\nIntent: resume_task\nMode: fresh\n\n\
         Summary:\np2\n\nKey Points:\n- (none)\n\nArtifacts:\n- (none)\n\nConstraints:\n- (none)\n\n\
         Task:\np2\n"
    );
}

#[test]
fn executor_exit_zero_completes_with_its_output() {
    let env = Env::new();
    let exe = env.write_executor("ok", "echo out; echo err >&2; echo more");
    schedule_due(&env, "e1", &["--max-retries", "2"]);
    run(&env, &[("DEFER_EXECUTOR", exe.to_str().unwrap())]);
    let task = archived(&env, "e1");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["attempts"], 0, "a success does not count an attempt");
    let prompt_path = env.log_dir().join("e1.prompt.txt");
    assert_eq!(
        task["result"],
        json!({
            "type": "executor_output",
            "prompt_path": prompt_path.display().to_string(),
            "output": "out\nerr\nmore\n",
        })
    );
    assert_eq!(
        fs::read_to_string(env.log_dir().join("e1.output.txt")).unwrap(),
        "out\nerr\nmore\n"
    );
    assert!(is_timestamp(task["completed_at"].as_str().unwrap()));
}

#[test]
fn failure_with_retries_left_is_rescheduled_after_the_delay() {
    let env = Env::new();
    let exe = env.write_executor("boom", "echo boom; exit 3");
    schedule_due(&env, "r1", &["--max-retries", "1"]);
    let before = now_secs();
    run(
        &env,
        &[
            ("DEFER_EXECUTOR", exe.to_str().unwrap()),
            ("DEFER_RETRY_DELAY_SECONDS", "3600"),
        ],
    );
    let after = now_secs();
    let task = env.task("r1");
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["attempts"], 1);
    assert_eq!(task["last_error"], "executor exited with status 3: boom");
    let attempted = instant(task["last_attempt_at"].as_str().unwrap());
    assert!(before <= attempted && attempted <= after);
    let result = &task["result"];
    assert_eq!(result["type"], "retry_scheduled");
    assert_eq!(result["output"], "boom\n");
    assert_eq!(result["next_run_at"], task["run_at"]);
    let next = instant(task["run_at"].as_str().unwrap());
    let hour = chrono::Duration::seconds(3600);
    assert!(
        before + hour <= next && next <= after + hour,
        "next run {next} is not an hour after the attempt ({before}..{after})"
    );
    assert!(task.get("failed_at").is_none() && task.get("error").is_none());
    // Not due again for an hour: another run leaves it alone.
    let lines = env.store_lines();
    run(&env, &[("DEFER_EXECUTOR", exe.to_str().unwrap())]);
    assert_eq!(env.store_lines(), lines);
    let retry = env.log_events("retry scheduled");
    assert_eq!(retry.len(), 1, "{retry:?}");
    assert!(
        retry[0].ends_with(&format!(
            "retry scheduled id=r1 attempt=1 next_run_at={} error=\"executor exited with status 3: boom\"",
            task["run_at"].as_str().unwrap()
        )),
        "{}",
        retry[0]
    );
}

#[test]
fn retries_exhausted_fail_the_task() {
    let env = Env::new();
    let exe = env.write_executor("boom", "echo \"boom $DEFER_TASK_ID\"; exit 4");
    schedule_due(&env, "r2", &["--max-retries", "1"]);
    let vars = [
        ("DEFER_EXECUTOR", exe.to_str().unwrap()),
        ("DEFER_RETRY_DELAY_SECONDS", "0"),
    ];
    run(&env, &vars);
    assert_eq!(env.task("r2")["status"], "scheduled");
    let before = now_secs();
    run_reporting(
        &env,
        &vars,
        &["defer: task r2 failed after 2 attempts: executor exited with status 4: boom r2"],
    );
    let after = now_secs();
    let task = archived(&env, "r2");
    assert_eq!(task["status"], "failed");
    assert_eq!(task["attempts"], 2);
    assert_eq!(task["error"], "executor exited with status 4: boom r2");
    let failed = instant(task["failed_at"].as_str().unwrap());
    assert!(before <= failed && failed <= after);
    assert_eq!(task["result"]["type"], "executor_failed");
    assert_eq!(task["result"]["output"], "boom r2\n");
    assert!(task["result"].get("next_run_at").is_none());
    let failed_lines = env.log_events("failed");
    assert_eq!(failed_lines.len(), 1);
    assert!(
        failed_lines[0].ends_with("failed id=r2 error=\"executor exited with status 4: boom r2\""),
        "{}",
        failed_lines[0]
    );
}

#[test]
fn no_retries_fails_at_once() {
    let env = Env::new();
    let exe = env.write_executor("boom", "exit 1");
    schedule_due(&env, "r3", &[]);
    run_reporting(
        &env,
        &[("DEFER_EXECUTOR", exe.to_str().unwrap())],
        &["defer: task r3 failed after 1 attempt: executor exited with status 1"],
    );
    let task = archived(&env, "r3");
    assert_eq!(task["status"], "failed");
    assert_eq!(task["attempts"], 1);
    assert_eq!(task["result"]["type"], "executor_failed");
}

#[test]
fn executor_that_is_not_executable_fails_without_retry() {
    let env = Env::new();
    let plain = env.root().join("not-executable.sh");
    fs::write(&plain, "#!/bin/sh\nexit 0\n").unwrap();
    let missing = env.root().join("missing");
    for (id, path) in [("x1", &plain), ("x2", &missing)] {
        schedule_due(&env, id, &["--max-retries", "3"]);
        let error = format!(
            "Configured DEFER_EXECUTOR is not executable: {}",
            path.display()
        );
        run_reporting(
            &env,
            &[("DEFER_EXECUTOR", path.to_str().unwrap())],
            &[&format!("defer: task {id} failed after 1 attempt: {error}")],
        );
        let task = archived(&env, id);
        assert_eq!(task["status"], "failed", "{id}");
        assert_eq!(task["attempts"], 1, "{id}");
        assert_eq!(task["error"], error);
        assert_eq!(task["result"]["type"], "executor_failed");
        assert!(
            env.log_dir().join(format!("{id}.prompt.txt")).exists(),
            "the prompt is written first, always"
        );
    }
}

#[test]
fn executor_over_the_timeout_fails_in_bounded_time() {
    let env = Env::new();
    let pid_file = env.root().join("slow.pid");
    let exe = env.write_executor(
        "slow",
        r#"echo started; echo $$ > "$DIR/slow.pid"; exec sleep 30"#,
    );
    schedule_due(&env, "t1", &[]);
    let started = Instant::now();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("DEFER_EXECUTOR_TIMEOUT_SECONDS", "1")
        .env("DIR", env.root().to_str().unwrap())
        .timeout(Duration::from_secs(30))
        .success();
    crate::hostile::kill_group_from(&pid_file);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let task = archived(&env, "t1");
    assert_eq!(task["status"], "failed");
    let error = task["error"].as_str().unwrap();
    assert!(error.contains("timed out"), "{error}");
    assert_eq!(task["result"]["output"], "started\n");
}

#[test]
fn output_over_64_kib_is_capped_and_kept_in_full_in_the_log() {
    let env = Env::new();
    let exe = env.write_executor("big", "head -c 100000 /dev/zero | tr '\\0' a");
    schedule_due(&env, "o1", &[]);
    run(&env, &[("DEFER_EXECUTOR", exe.to_str().unwrap())]);
    let task = archived(&env, "o1");
    assert_eq!(task["status"], "completed");
    let output = task["result"]["output"].as_str().unwrap();
    assert_eq!(output.len(), 65536);
    assert!(output.bytes().all(|b| b == b'a'));
    assert_eq!(task["result"]["output_truncated"], true);
    let full = fs::read(env.log_dir().join("o1.output.txt")).unwrap();
    assert_eq!(full.len(), 100_000);
}

#[test]
fn output_is_capped_at_a_character_boundary() {
    let env = Env::new();
    // One ASCII byte then two-byte characters: byte 65536 is the first half of one.
    let text = format!("x{}", "é".repeat(40_000));
    let source = env.root().join("utf8.txt");
    fs::write(&source, &text).unwrap();
    let exe = env.write_executor("utf8", &format!("cat '{}'", source.display()));
    schedule_due(&env, "o2", &[]);
    run(&env, &[("DEFER_EXECUTOR", exe.to_str().unwrap())]);
    let task = archived(&env, "o2");
    let output = task["result"]["output"].as_str().unwrap();
    assert_eq!(output.len(), 65535);
    assert!(text.starts_with(output));
    assert_eq!(task["result"]["output_truncated"], true);
    assert_eq!(
        fs::read_to_string(env.log_dir().join("o2.output.txt")).unwrap(),
        text
    );
}

#[test]
fn output_at_exactly_the_cap_is_not_truncated() {
    let env = Env::new();
    let exe = env.write_executor("cap", "head -c 65536 /dev/zero | tr '\\0' b");
    schedule_due(&env, "o3", &[]);
    run(&env, &[("DEFER_EXECUTOR", exe.to_str().unwrap())]);
    let task = archived(&env, "o3");
    assert_eq!(task["result"]["output"].as_str().unwrap().len(), 65536);
    assert!(task["result"].get("output_truncated").is_none());
}

#[test]
fn executor_gets_env_and_the_task_on_stdin() {
    let env = Env::new();
    let out = env.root().join("seen");
    fs::create_dir(&out).unwrap();
    let exe = env.write_executor(
        "probe",
        r#"cat > "$SEEN/stdin"
printf '%s' "$DEFER_TASK_ID" > "$SEEN/id"
printf '%s' "$DEFER_PROMPT_PATH" > "$SEEN/prompt_path"
cp "$DEFER_PROMPT_PATH" "$SEEN/prompt" || exit 9
printf '%s' "$MY_CUSTOM_VAR" > "$SEEN/custom"
pwd > "$SEEN/cwd""#,
    );
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--id",
        "s1",
        "--summary",
        "stdin probe",
        "--artifact",
        "a.txt",
        "--context-json",
        r#"{"x_extra":{"n":1}}"#,
    ])
    .success();
    run(
        &env,
        &[
            ("DEFER_EXECUTOR", exe.to_str().unwrap()),
            ("SEEN", out.to_str().unwrap()),
            ("MY_CUSTOM_VAR", "custom value"),
        ],
    );
    assert_eq!(archived(&env, "s1")["status"], "completed");
    let read = |name: &str| fs::read_to_string(out.join(name)).unwrap();
    let prompt_path = env.log_dir().join("s1.prompt.txt");
    assert_eq!(read("id"), "s1");
    assert_eq!(read("prompt_path"), prompt_path.display().to_string());
    assert_eq!(read("prompt"), fs::read_to_string(&prompt_path).unwrap());
    assert_eq!(read("custom"), "custom value");
    let stdin = read("stdin");
    assert!(stdin.ends_with('\n'), "task JSON plus a newline");
    assert_eq!(stdin.lines().count(), 1, "one compact line: {stdin}");
    let task: Value = serde_json::from_str(&stdin).unwrap();
    assert_eq!(task["id"], "s1");
    assert_eq!(task["status"], "executing");
    assert!(is_timestamp(task["started_at"].as_str().unwrap()));
    assert_eq!(task["context"]["summary"], "stdin probe");
    assert_eq!(task["context"]["artifacts"], json!(["a.txt"]));
    assert_eq!(task["context"]["x_extra"], json!({"n": 1}));
    assert!(task.get("result").is_none());
}

#[test]
fn run_exits_zero_and_names_only_the_failed_task_when_tasks_fail() {
    let env = Env::new();
    let exe = env.write_executor("boom", "echo noisy; echo noisy >&2; exit 1");
    schedule_due(&env, "f1", &[]);
    schedule_due(&env, "f2", &["--max-retries", "1"]);
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    assert_eq!(out.stdout, "");
    // f2's retry is scheduled: not a failure, so no line.
    assert_eq!(
        out.stderr,
        "defer: task f1 failed after 1 attempt: executor exited with status 1: noisy\n"
    );
    assert_eq!(archived(&env, "f1")["status"], "failed");
    assert_eq!(env.task("f2")["status"], "scheduled");
}

#[test]
fn run_with_nothing_to_do_is_silent() {
    let env = Env::new();
    run(&env, &[]);
    env.schedule("later", "later");
    let before = env.store_bytes();
    run(&env, &[]);
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn bad_configuration_fails_and_changes_nothing() {
    for (var, value) in [
        ("DEFER_RETRY_DELAY_SECONDS", "abc"),
        ("DEFER_EXECUTOR_TIMEOUT_SECONDS", "-1"),
        ("DEFER_RETRY_DELAY_SECONDS", "1.5"),
    ] {
        let env = Env::new();
        schedule_due(&env, "c1", &[]);
        let store = env.store_bytes();
        let log = env.log_lines();
        let out = env.cmd(&["run"]).env(var, value).failure(1);
        assert_eq!(out.stdout, "");
        let line = out.error_line();
        assert!(line.contains(var) && line.contains(value), "{line}");
        assert_eq!(env.store_bytes(), store, "{var}={value} changed the store");
        assert_eq!(env.log_lines(), log, "{var}={value} wrote to the log");
        assert!(!env.log_dir().join("c1.prompt.txt").exists());
        assert!(env.archive_files().is_empty());
    }
}

#[test]
fn future_and_cancelled_tasks_are_not_executed() {
    let env = Env::new();
    let marks = env.root().join("ran");
    let exe = env.write_executor("mark", r#"echo "$DEFER_TASK_ID" >> "$MARKS""#);
    env.schedule("future", "future");
    let future_line = env.store_lines()[0].clone();
    schedule_due(&env, "gone", &[]);
    env.cmd(&["cancel", "gone"]).success();
    schedule_due(&env, "now1", &[]);
    run(
        &env,
        &[
            ("DEFER_EXECUTOR", exe.to_str().unwrap()),
            ("MARKS", marks.to_str().unwrap()),
        ],
    );
    assert_eq!(fs::read_to_string(&marks).unwrap(), "now1\n");
    assert_eq!(
        env.store_lines(),
        [future_line],
        "only the future task stays"
    );
    assert_eq!(archived(&env, "gone")["status"], "cancelled");
    assert_eq!(archived(&env, "now1")["status"], "completed");
    assert!(!env.log_dir().join("gone.prompt.txt").exists());
    assert!(!env.log_dir().join("future.prompt.txt").exists());
    let claimed = env.log_events("runner claimed");
    assert_eq!(claimed.len(), 1);
    assert!(
        claimed[0].ends_with("runner claimed id=now1"),
        "{}",
        claimed[0]
    );
}

#[test]
fn due_tasks_run_oldest_first() {
    let env = Env::new();
    let marks = env.root().join("ran");
    let exe = env.write_executor("mark", r#"echo "$DEFER_TASK_ID" >> "$MARKS""#);
    for (id, when) in [
        ("b", "2021-01-01T00:00:00Z"),
        ("c", "now"),
        ("a", "2020-01-01T00:00:00Z"),
    ] {
        env.cmd(&["schedule", "--when", when, "--summary", id, "--id", id])
            .success();
    }
    // One slot: one after the other, oldest fire first (§20).
    run(
        &env,
        &[
            ("DEFER_EXECUTOR", exe.to_str().unwrap()),
            ("MARKS", marks.to_str().unwrap()),
            ("DEFER_MAX_PARALLEL", "1"),
        ],
    );
    assert_eq!(fs::read_to_string(&marks).unwrap(), "a\nb\nc\n");
}

#[test]
fn terminal_tasks_are_archived_by_month_and_logged() {
    let env = Env::new();
    schedule_due(&env, "m1", &[]);
    schedule_due(&env, "m2", &["--max-retries", "1"]);
    run(&env, &[]);
    let done = archived(&env, "m1");
    let month = done["completed_at"].as_str().unwrap()[..7].replace('-', "");
    let files = env.archive_files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, format!("deferred_{month}.jsonl"));
    assert_eq!(archived(&env, "m2")["status"], "completed");
    assert!(env.store_lines().is_empty(), "{:?}", env.store_lines());
    for line in env.log_lines() {
        let (ts, rest) = line.split_once(' ').unwrap();
        assert!(is_timestamp(ts), "{line}");
        assert!(rest.contains(" id="), "{line}");
    }
    let archived_lines = env.log_events("archived");
    assert_eq!(archived_lines.len(), 2, "{archived_lines:?}");
    let file = env.archive_dir().join(format!("deferred_{month}.jsonl"));
    assert!(
        archived_lines[0].ends_with(&format!("archived id=m1 file={}", file.display())),
        "{}",
        archived_lines[0]
    );
    let executed = env.log_events("executed");
    assert_eq!(executed.len(), 2);
    assert!(executed[0].ends_with("executed id=m1 result=prompt_prepared"));
}

#[test]
fn audit_log_tells_the_story_of_a_retry() {
    let env = Env::new();
    let exe = env.write_executor("boom", "exit 2");
    schedule_due(&env, "st", &["--max-retries", "1"]);
    let vars = [
        ("DEFER_EXECUTOR", exe.to_str().unwrap()),
        ("DEFER_RETRY_DELAY_SECONDS", "0"),
    ];
    run(&env, &vars);
    run_reporting(
        &env,
        &vars,
        &["defer: task st failed after 2 attempts: executor exited with status 2"],
    );
    let events: Vec<String> = env
        .log_lines()
        .iter()
        .map(|line| {
            let rest = line.split_once(' ').unwrap().1;
            rest.split(" id=").next().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        events,
        [
            "scheduled",
            "runner claimed",
            "retry scheduled",
            "runner claimed",
            "failed",
            "archived"
        ]
    );
}

#[test]
fn a_record_due_in_the_store_runs() {
    // Records written by hand (or by the original scripts) run like scheduled ones.
    let env = Env::new();
    env.write_store(format!(
        "{}\n",
        record_with("hand", &[("run_at", json!("2020-01-01T00:00:00Z"))])
    ));
    run(&env, &[]);
    assert_eq!(archived(&env, "hand")["status"], "completed");
}
