//! Control (SPEC §13) through the binary: pause / resume / reschedule, `schedule --key
//! --replace`, a per-task command after `--`, per-task retry delay and exponential
//! backoff (run under libfaketime at successive instants), and their bad inputs.

use std::process::Stdio;

use serde_json::Value;

use crate::support::{instant, record_with, schedule_due, Env};

/// `defer <args>` under libfaketime, the clock starting at `at` (`YYYY-MM-DDTHH:MM:SSZ`).
fn at(env: &Env, at: &str, args: &[&str], vars: &[(&str, &str)]) -> crate::support::Cmd {
    let mut cmd = env.at(at, args);
    for (key, value) in vars {
        cmd = cmd.env(key, value);
    }
    cmd
}

/// Asserts a bad input: exit 1, one `defer:` line containing `needle`, store unchanged.
fn refused(env: &Env, args: &[&str], needle: &str) {
    let before = env.store_bytes();
    let out = env.cmd(args).failure(1);
    assert_eq!(out.stderr_lines().len(), 1, "{args:?}: {}", out.stderr);
    let line = out.error_line();
    assert!(line.starts_with("defer: "), "{args:?}: {line}");
    assert!(line.contains(needle), "{args:?}: {line}");
    assert_eq!(out.stdout, "", "{args:?}");
    assert_eq!(env.store_bytes(), before, "{args:?} wrote to the store");
}

fn summary_fields(env: &Env) -> Vec<String> {
    let text = std::fs::read_to_string(env.runtime_dir().join("deferred.jsonl.idx")).unwrap();
    text.split_whitespace().map(str::to_string).collect()
}

#[test]
fn a_paused_task_is_skipped_by_run_until_resumed() {
    let env = Env::new();
    schedule_due(&env, "p1", &[]);
    let paused = env.cmd(&["pause", "p1", "--compact"]).success().json();
    assert_eq!(paused["status"], "paused");
    assert_eq!(env.log_events("paused").len(), 1);

    env.cmd(&["run"]).success().assert_stderr_empty();
    assert_eq!(env.task("p1")["status"], "paused");
    assert!(env.log_events("runner claimed").is_empty());
    assert!(!env.log_dir().join("p1.prompt.txt").exists());
    // The full scan saved a summary with nothing due, executing or terminal: the next
    // idle run reads only it.
    // (v2: identity, beyond, dead bytes, flags, then no listed snapshot before `end`.)
    let fields = summary_fields(&env);
    assert_eq!(
        [&fields[8], &fields[10], &fields[11]],
        ["-", "000", "end"],
        "{fields:?}"
    );

    // Reading commands know the status.
    let listed = env.cmd(&["list", "--compact"]).success().json();
    assert_eq!(
        listed[0]["status"], "paused",
        "list shows paused by default"
    );
    let only = env.cmd(&["list", "--status", "paused"]).success().json();
    assert_eq!(only.as_array().unwrap().len(), 1);
    let none = env.cmd(&["list", "--status", "scheduled"]).success().json();
    assert_eq!(none, Value::Array(vec![]));
    let table = env
        .cmd(&["list", "--format", "table"])
        .env("COLUMNS", "120")
        .success();
    assert!(table.stdout.contains("paused"), "{}", table.stdout);
    let waited = env
        .cmd(&["wait", "p1", "--timeout", "1", "--compact"])
        .failure(124);
    assert!(waited.stderr.contains("still paused"), "{}", waited.stderr);
    assert_eq!(
        env.cmd(&["show", "p1"]).success().json()["status"],
        "paused"
    );

    let resumed = env.cmd(&["resume", "p1", "--compact"]).success().json();
    assert_eq!(resumed["status"], "scheduled");
    assert_eq!(env.log_events("resumed").len(), 1);
    env.cmd(&["run"]).success().assert_stderr_empty();
    let archived = crate::runner::archived(&env, "p1");
    assert_eq!(archived["status"], "completed");
}

#[test]
fn a_paused_task_can_be_cancelled() {
    let env = Env::new();
    env.schedule("c1", "s");
    env.cmd(&["pause", "c1"]).success();
    let out = env.cmd(&["cancel", "c1", "--compact"]).success().json();
    assert_eq!(out["status"], "cancelled");
}

#[test]
fn pause_and_resume_refuse_other_statuses_naming_them() {
    let env = Env::new();
    env.write_store(format!(
        "{}\n{}\n",
        record_with("done", &[("status", "completed".into())]),
        record_with("waiting", &[])
    ));
    refused(
        &env,
        &["pause", "done"],
        "cannot pause task done: its status is completed",
    );
    refused(
        &env,
        &["resume", "waiting"],
        "cannot resume task waiting: its status is scheduled",
    );
    refused(&env, &["pause", "nope"], "task not found: nope");
    refused(
        &env,
        &["reschedule", "done", "--when", "1h"],
        "cannot reschedule task done: its status is completed",
    );
}

#[test]
fn reschedule_moves_run_at_and_keeps_the_old_one() {
    let env = Env::new();
    let first = env.schedule("r1", "s");
    let out = env
        .cmd(&[
            "reschedule",
            "r1",
            "--when",
            "2030-01-02T03:04:05Z",
            "--compact",
        ])
        .success();
    out.assert_stderr_empty();
    let moved = out.json();
    assert_eq!(moved["run_at"], "2030-01-02T03:04:05Z");
    assert_eq!(moved["rescheduled_from"], first["run_at"]);
    assert_eq!(moved["status"], "scheduled");
    assert_eq!(env.task("r1"), moved);
    let events = env.log_events("rescheduled");
    assert_eq!(events.len(), 1);
    assert!(
        events[0].contains("run_at=2030-01-02T03:04:05Z"),
        "{events:?}"
    );

    // A paused task stays paused; its new time applies once resumed.
    env.cmd(&["pause", "r1"]).success();
    let again = env
        .cmd(&[
            "reschedule",
            "r1",
            "--when",
            "2031-01-01T00:00:00Z",
            "--compact",
        ])
        .success()
        .json();
    assert_eq!(again["status"], "paused");
    assert_eq!(again["rescheduled_from"], "2030-01-02T03:04:05Z");

    refused(
        &env,
        &["reschedule", "r1", "--when", "whenever"],
        "invalid --when 'whenever'",
    );
}

#[test]
fn replace_cancels_the_key_holder_and_stores_the_new_task_in_one_write() {
    let env = Env::new();
    let args = |id: &'static str| {
        vec![
            "schedule",
            "--when",
            "1h",
            "--summary",
            id,
            "--key",
            "plan",
            "--id",
            id,
            "--compact",
        ]
    };
    env.cmd(&args("old")).success();

    // Without --replace: the holder is printed, stderr says so, nothing is written.
    let before = env.store_bytes();
    let hit = env.cmd(&args("other")).success();
    assert_eq!(hit.json()["id"], "old");
    assert!(hit.stderr.contains("key 'plan'"), "{}", hit.stderr);
    assert_eq!(env.store_bytes(), before);

    let mut replace = args("new");
    replace.push("--replace");
    let mut dry = replace.clone();
    dry.push("--dry-run");
    let preview = env.cmd(&dry).success();
    assert_eq!(preview.json()["id"], "new");
    assert!(
        preview.stderr.contains("would be cancelled"),
        "{}",
        preview.stderr
    );
    assert_eq!(env.store_bytes(), before, "--dry-run writes nothing");
    let out = env.cmd(&replace).success();
    assert_eq!(out.json()["id"], "new");
    assert!(out.stderr.contains("replaced by new"), "{}", out.stderr);
    let records = env.records();
    assert_eq!(
        records.len(),
        3,
        "one more line per task, appended together"
    );
    assert_eq!(records[1]["id"], "old");
    assert_eq!(records[1]["status"], "cancelled");
    assert_eq!(records[1]["cancel_reason"], "replaced by new");
    assert_eq!(records[2]["id"], "new");
    assert_eq!(records[2]["status"], "scheduled");
    let cancelled = env.log_events("cancelled");
    assert!(
        cancelled[0].contains("reason=\"replaced by new\""),
        "{cancelled:?}"
    );

    // The new holder is the one a plain key hit finds now.
    assert_eq!(env.cmd(&args("x")).success().json()["id"], "new");
}

#[test]
fn racing_replaces_leave_exactly_one_live_holder() {
    let env = Env::new();
    let children: Vec<_> = (0..6)
        .map(|i| {
            let summary = format!("plan {i}");
            env.cmd(&[
                "schedule",
                "--when",
                "1h",
                "--summary",
                &summary,
                "--key",
                "k",
                "--replace",
                "--compact",
            ])
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let record: Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(record["id"].as_str().unwrap().to_string());
    }
    let latest = env.latest();
    assert_eq!(latest.len(), 6, "every schedule stored its task");
    let live: Vec<_> = latest
        .values()
        .filter(|t| t["status"] == "scheduled")
        .collect();
    assert_eq!(live.len(), 1, "{latest:?}");
    for task in latest.values().filter(|t| t["status"] == "cancelled") {
        let reason = task["cancel_reason"].as_str().unwrap();
        let by = reason.strip_prefix("replaced by ").unwrap();
        assert!(ids.iter().any(|id| id == by), "{reason}");
    }
}

#[test]
fn replace_refuses_an_executing_holder() {
    let env = Env::new();
    env.write_store(format!(
        "{}\n",
        record_with(
            "busy",
            &[("status", "executing".into()), ("key", "k".into())]
        )
    ));
    refused(
        &env,
        &[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--key",
            "k",
            "--replace",
        ],
        "cannot replace task busy (key 'k'): it is executing",
    );
}

#[test]
fn a_task_command_runs_instead_of_the_executor() {
    let env = Env::new();
    let seen = env.root().join("seen.json");
    let cmd = env.write_executor(
        "task-cmd",
        "cat > \"$1\"; echo \"arg2=$2 id=$DEFER_TASK_ID prompt=$DEFER_PROMPT_PATH\"",
    );
    let never = env.write_executor("never", "echo wrong executor; exit 9");
    let seen_arg = seen.display().to_string();
    let cmd_arg = cmd.display().to_string();
    let task = schedule_due(&env, "tc", &["--", &cmd_arg, &seen_arg, "two words"]);
    assert_eq!(
        task["execution"]["command"],
        serde_json::json!([cmd_arg, seen_arg, "two words"])
    );
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", never.display().to_string())
        .success()
        .assert_stderr_empty();
    let done = crate::runner::archived(&env, "tc");
    assert_eq!(done["status"], "completed", "{done}");
    let output = done["result"]["output"].as_str().unwrap();
    assert!(output.contains("arg2=two words id=tc prompt="), "{output}");
    let stdin: Value = serde_json::from_str(&std::fs::read_to_string(&seen).unwrap()).unwrap();
    assert_eq!(stdin["id"], "tc");
    assert_eq!(stdin["status"], "executing");
    assert_eq!(stdin["execution"]["command"][0], cmd_arg);
}

#[test]
fn a_bare_command_name_is_looked_up_on_path_at_run_time() {
    let env = Env::new();
    env.write_executor("my-notifier", "echo notified $1");
    schedule_due(&env, "bare", &["--", "my-notifier", "hi"]);
    let path = format!(
        "{}:{}",
        env.root().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.cmd(&["run"]).env("PATH", path).success();
    let done = crate::runner::archived(&env, "bare");
    assert_eq!(done["result"]["output"], "notified hi\n");
}

#[test]
fn a_missing_task_command_fails_at_once() {
    let env = Env::new();
    schedule_due(
        &env,
        "gone",
        &["--max-retries", "3", "--", "no-such-program-for-defer"],
    );
    env.cmd(&["run"]).success();
    let failed = crate::runner::archived(&env, "gone");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 1, "no retry");
    assert_eq!(
        failed["error"],
        "Task command is not executable: no-such-program-for-defer"
    );
}

#[test]
fn exponential_backoff_doubles_within_ten_percent() {
    let env = Env::new();
    let fail = env.write_executor("fail", "echo boom; exit 3");
    let task = at(
        &env,
        "2026-12-01T10:00:00Z",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "exp",
            "--id",
            "exp",
            "--compact",
            "--max-retries",
            "4",
            "--retry-delay",
            "100s",
            "--backoff",
            "exponential",
        ],
        &[],
    )
    .success()
    .json();
    assert_eq!(
        task["retry"],
        serde_json::json!({"delay_seconds": 100, "backoff": "exponential"})
    );
    let executor = fail.display().to_string();
    let vars = [("DEFER_EXECUTOR", executor.as_str())];
    let mut now = "2026-12-01T10:00:00Z".to_string();
    for attempt in 1..=4u32 {
        at(&env, &now, &["run"], &vars).success();
        let record = env.task("exp");
        assert_eq!(record["status"], "scheduled", "attempt {attempt}: {record}");
        assert_eq!(record["attempts"], attempt);
        let failed_at = instant(record["last_attempt_at"].as_str().unwrap());
        let run_at = instant(record["run_at"].as_str().unwrap());
        let waited = (run_at - failed_at).num_seconds();
        let expected = 100 * 2i64.pow(attempt - 1);
        assert!(
            (expected * 9 / 10..=expected * 11 / 10).contains(&waited),
            "attempt {attempt}: waited {waited}s, expected {expected}s ± 10%"
        );
        // Not yet due a second before run_at.
        let early = (run_at - chrono::Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%SZ");
        at(&env, &early.to_string(), &["run"], &vars).success();
        assert_eq!(env.task("exp")["attempts"], attempt);
        now = record["run_at"].as_str().unwrap().to_string();
    }
    at(&env, &now, &["run"], &vars).success();
    let failed = crate::runner::archived(&env, "exp");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 5);
}

#[test]
fn a_fixed_retry_delay_is_exact() {
    let env = Env::new();
    let fail = env.write_executor("fail", "exit 1");
    let schedule = [
        "schedule",
        "--when",
        "now",
        "--summary",
        "fx",
        "--id",
        "fx",
        "--max-retries",
        "2",
        "--retry-delay",
        "7m",
    ];
    at(&env, "2026-12-01T10:00:00Z", &schedule, &[]).success();
    let executor = fail.display().to_string();
    at(
        &env,
        "2026-12-01T10:00:00Z",
        &["run"],
        &[("DEFER_EXECUTOR", executor.as_str())],
    )
    .success();
    let record = env.task("fx");
    assert_eq!(
        record["retry"],
        serde_json::json!({"delay_seconds": 420, "backoff": "fixed"})
    );
    let waited = instant(record["run_at"].as_str().unwrap())
        - instant(record["last_attempt_at"].as_str().unwrap());
    assert_eq!(waited.num_seconds(), 420);
}

#[test]
fn bad_schedule_inputs_write_nothing() {
    let env = Env::new();
    let base = ["schedule", "--when", "1h", "--summary", "s"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    refused(
        &env,
        &with(&["--backoff", "bogus"]),
        "invalid --backoff 'bogus' (accepted: fixed, exponential)",
    );
    refused(
        &env,
        &with(&["--retry-delay", "0"]),
        "invalid --retry-delay '0'",
    );
    refused(
        &env,
        &with(&["--retry-delay", "-5m"]),
        "invalid --retry-delay '-5m'",
    );
    refused(&env, &with(&["--retry-delay", "soon"]), "'soon'");
    refused(&env, &with(&["--replace"]), "--replace needs --key");
    refused(&env, &with(&["--"]), "nothing follows it");
    refused(&env, &with(&["--", ""]), "invalid command ''");
    assert!(!env.store_exists());
}

#[test]
fn reschedule_past_the_series_until_is_refused_naming_both_times() {
    let env = Env::new();
    let now = "2027-03-01 10:00:00";
    env.at(
        now,
        &[
            "schedule",
            "--every",
            "1h",
            "--when",
            "2027-03-01T12:00:00Z",
            "--until",
            "2027-03-02T12:00:00Z",
            "--summary",
            "s",
            "--id",
            "u1",
        ],
    )
    .success();
    let before = env.store_bytes();
    let out = env
        .at(now, &["reschedule", "u1", "--when", "2027-03-02T12:00:01Z"])
        .failure(1);
    assert_eq!(
        out.error_line(),
        "defer: cannot reschedule task u1 to 2027-03-02T12:00:01Z: after its series' --until \
         2027-03-02T12:00:00Z (accepted: a time up to 2027-03-02T12:00:00Z)"
    );
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert_eq!(env.store_bytes(), before, "a refused reschedule wrote");
    let moved = env
        .at(
            now,
            &[
                "reschedule",
                "u1",
                "--when",
                "2027-03-02T12:00:00Z",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(moved["run_at"], "2027-03-02T12:00:00Z");
}
