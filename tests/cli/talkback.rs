//! The executor talks back (SPEC §22), the runner's side: the report file and
//! `DEFER_REPORT_PATH`, the verdicts (completed/failed with summary and cost, deferred
//! without an attempt, waiting for an answer), `defer answer`, `--answer-timeout`, a
//! waiting series' missed fires, and an unreadable report.

use std::fs;

use serde_json::{json, Value};

use crate::support::{instant, mode, record_with, schedule_due, Env};

/// The task's latest record, active or archived.
fn show(env: &Env, id: &str) -> Value {
    env.cmd(&["show", id, "--compact"]).success().json()
}

/// An executor that writes `report` (a JSON text) to its report file and exits `code`.
fn reporter(env: &Env, report: &str, code: i32) -> String {
    let path = env.root().join("report.json");
    fs::write(&path, report).unwrap();
    env.write_executor(
        "reporter",
        &format!(
            "cat > /dev/null\ncat '{}' > \"$DEFER_REPORT_PATH\"\necho ran\nexit {code}",
            path.display()
        ),
    )
    .display()
    .to_string()
}

#[test]
fn the_report_file_is_fresh_private_and_named_in_the_environment() {
    let env = Env::new();
    let seen = env.root().join("seen");
    let exe = env.write_executor(
        "exe",
        &format!(
            r#"cat > /dev/null
stat -c '%a %s' "$DEFER_REPORT_PATH" > '{seen}'
echo "$DEFER_REPORT_PATH" >> '{seen}'"#,
            seen = seen.display()
        ),
    );
    schedule_due(&env, "t1", &[]);
    // A leftover from an earlier attempt is emptied, not read.
    fs::create_dir_all(env.log_dir()).unwrap();
    let path = env.log_dir().join("t1.report.json");
    fs::write(&path, r#"{"status":"failed","reason":"stale"}"#).unwrap();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let seen = fs::read_to_string(&seen).unwrap();
    assert_eq!(seen, format!("600 0\n{}\n", path.display()));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(show(&env, "t1")["status"], "completed");
}

#[test]
fn a_report_file_that_is_a_symlink_is_not_followed() {
    let env = Env::new();
    let exe = reporter(&env, r#"{"status":"completed"}"#, 0);
    schedule_due(&env, "t1", &[]);
    fs::create_dir_all(env.log_dir()).unwrap();
    let target = env.root().join("precious");
    fs::write(&target, "keep me").unwrap();
    std::os::unix::fs::symlink(&target, env.log_dir().join("t1.report.json")).unwrap();
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).failure(1);
    assert!(out.stderr.contains("task t1"), "{}", out.stderr);
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    let task = env.task("t1");
    assert_eq!(task["status"], "scheduled", "released, not run: {task}");
    assert_eq!(task["attempts"], 0);
}

#[test]
fn summary_and_cost_go_into_the_result_the_history_entry_and_the_table() {
    let env = Env::new();
    let exe = reporter(
        &env,
        r#"{"status":"completed","summary":"Fixed the flaky test","cost":{"usd":0.42,"input_tokens":1200,"output_tokens":300}}"#,
        0,
    );
    schedule_due(&env, "t1", &[]);
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
    let task = show(&env, "t1");
    assert_eq!(task["status"], "completed");
    let cost = json!({"usd": 0.42, "input_tokens": 1200, "output_tokens": 300});
    assert_eq!(task["result"]["summary"], "Fixed the flaky test");
    assert_eq!(task["result"]["cost"], cost);
    assert_eq!(task["history"][0]["summary"], "Fixed the flaky test");
    assert_eq!(task["history"][0]["cost"], cost);
    let table = env.cmd(&["history", "--format", "table"]).success().stdout;
    assert!(table.contains("t1 → Fixed the flaky test"), "{table}");
    let stats = env.cmd(&["stats", "--compact"]).success().json();
    assert_eq!(stats[0]["cost_usd"], 0.42, "{stats}");
}

#[test]
fn a_failed_report_overrides_exit_0_and_its_reason_is_the_error() {
    let env = Env::new();
    let exe = reporter(
        &env,
        r#"{"status":"failed","reason":"tests still red","summary":"tried twice"}"#,
        0,
    );
    schedule_due(&env, "t1", &[]);
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    assert_eq!(
        out.stderr,
        "defer: task t1 failed after 1 attempt: tests still red\n"
    );
    let task = show(&env, "t1");
    assert_eq!(task["error"], "tests still red");
    assert_eq!(task["history"][0]["error"], "tests still red");
    assert_eq!(task["history"][0]["summary"], "tried twice");
}

#[test]
fn a_retry_report_defers_without_counting_an_attempt_then_the_count_resets() {
    let env = Env::new();
    let flag = env.root().join("second");
    let exe = env.write_executor(
        "exe",
        &format!(
            r#"cat > /dev/null
if [ -e '{flag}' ]; then echo done; exit 0; fi
touch '{flag}'
printf '{{"status":"retry","retry_at":"2026-12-01T10:30:00Z","reason":"rate limited until 10:30"}}' > "$DEFER_REPORT_PATH"
exit 1"#,
            flag = flag.display()
        ),
    );
    let exe = exe.to_str().unwrap();
    env.at(
        "2026-12-01 10:00:00",
        &["schedule", "--when", "now", "--summary", "s", "--id", "t1"],
    )
    .success();
    let out = env
        .at("2026-12-01 10:00:00", &["run", "--verbose"])
        .env("DEFER_EXECUTOR", exe)
        .success();
    assert!(
        out.stderr.contains(
            "defer: task t1 deferred by its executor until 2026-12-01T10:30:00Z: rate limited until 10:30"
        ),
        "{}",
        out.stderr
    );
    let task = env.task("t1");
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["run_at"], "2026-12-01T10:30:00Z");
    assert_eq!(task["attempts"], 0, "not an attempt: {task}");
    assert_eq!(task["deferrals"], 1);
    assert_eq!(task["last_error"], "rate limited until 10:30");
    assert_eq!(task["result"]["type"], "deferred");
    assert_eq!(task["result"]["next_run_at"], "2026-12-01T10:30:00Z");
    let events = env.log_events("deferred_by_executor");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("until=2026-12-01T10:30:00Z"),
        "{events:?}"
    );
    // Not due before then.
    env.at("2026-12-01 10:20:00", &["run"])
        .env("DEFER_EXECUTOR", exe)
        .success();
    assert_eq!(env.task("t1")["status"], "scheduled");
    env.at("2026-12-01 10:31:00", &["run"])
        .env("DEFER_EXECUTOR", exe)
        .success()
        .assert_stderr_empty();
    let task = show(&env, "t1");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["attempts"], 0, "a success counts no failed attempt");
    assert!(task.get("deferrals").is_none(), "reset: {task}");
    assert_eq!(task["history"][0]["result"], "deferred");
    assert_eq!(task["history"][1]["result"], "executor_output");
}

#[test]
fn exit_75_without_a_report_defers_by_the_retry_delay() {
    let env = Env::new();
    let exe = env.write_executor("exe", "cat > /dev/null; echo busy; exit 75");
    env.at(
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "t1",
            "--retry-delay",
            "15m",
        ],
    )
    .success();
    env.at("2026-12-01 10:00:00", &["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let task = env.task("t1");
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["attempts"], 0);
    let run_at = instant(task["run_at"].as_str().unwrap());
    let expected = instant("2026-12-01T10:15:00Z");
    assert!(
        (run_at - expected).num_seconds().abs() <= 5,
        "run_at {run_at}"
    );
    assert_eq!(
        task["last_error"],
        "executor exited with status 75 (retry later)"
    );
}

#[test]
fn past_24_deferrals_in_a_row_it_is_a_failed_attempt() {
    let env = Env::new();
    env.write_store(format!(
        "{}\n",
        record_with(
            "t1",
            &[
                ("run_at", json!("2020-01-01T00:00:00Z")),
                ("deferrals", json!(24)),
            ]
        )
    ));
    let exe = env.write_executor("exe", "cat > /dev/null; exit 75");
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    assert!(
        out.stderr
            .contains("not deferred again after 24 deferrals in a row"),
        "{}",
        out.stderr
    );
    let task = show(&env, "t1");
    assert_eq!(task["status"], "failed");
    assert_eq!(task["attempts"], 1);
}

#[test]
fn an_unreadable_report_is_one_warning_and_the_exit_code_decides() {
    let env = Env::new();
    let exe = reporter(&env, "this is not json", 0);
    schedule_due(&env, "t1", &[]);
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    let line = out.error_line();
    assert!(
        line.starts_with("defer: warning: task t1: report is not JSON"),
        "{line}"
    );
    assert_eq!(show(&env, "t1")["status"], "completed");
    // Too large: read no further than the limit.
    let env = Env::new();
    let big = format!(r#"{{"status":"failed","reason":"{}"}}"#, "x".repeat(70_000));
    let exe = reporter(&env, &big, 0);
    schedule_due(&env, "t2", &[]);
    let out = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    assert_eq!(
        out.error_line(),
        "defer: warning: task t2: report is larger than 65536 bytes; not read"
    );
    assert_eq!(show(&env, "t2")["status"], "completed");
}

/// An executor that asks `question` until its prompt holds an answer, then succeeds.
fn asker(env: &Env, question: &str) -> String {
    env.write_executor(
        "asker",
        &format!(
            r#"cat > /dev/null
if grep -q '^Answer:' "$DEFER_PROMPT_PATH"; then echo answered; exit 0; fi
printf '{{"status":"needs_input","question":"{question}"}}' > "$DEFER_REPORT_PATH""#
        ),
    )
    .display()
    .to_string()
}

#[test]
fn needs_input_waits_until_answered_then_runs_with_the_answer() {
    let env = Env::new();
    let exe = asker(&env, "Which database?\\\\nstaging or prod");
    let hook_seen = env.root().join("hook");
    let hook = env.write_executor(
        "on-needs-input",
        &format!(
            "cat > /dev/null; echo \"$DEFER_TASK_ID $DEFER_STATUS\" > '{}'",
            hook_seen.display()
        ),
    );
    schedule_due(&env, "t1", &["--key", "db-task"]);
    let out = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", &exe)
        .env("DEFER_ON_NEEDS_INPUT", hook.to_str().unwrap())
        .success();
    assert_eq!(out.stderr, "defer: task t1 needs input: Which database?\n");
    assert_eq!(fs::read_to_string(&hook_seen).unwrap(), "t1 waiting\n");
    let task = env.task("t1");
    assert_eq!(task["status"], "waiting");
    assert_eq!(task["question"], "Which database?\nstaging or prod");
    assert_eq!(task["attempts"], 0);
    assert_eq!(task["result"]["type"], "needs_input");
    // list shows it by default, with its question in the table.
    let listed = env.cmd(&["list"]).success().json();
    assert_eq!(listed[0]["status"], "waiting");
    let table = env.cmd(&["list", "--format", "table"]).success().stdout;
    assert!(table.contains("asks: Which database?"), "{table}");
    // run skips it.
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
    assert_eq!(env.task("t1")["status"], "waiting");
    // answer by key.
    let answered = env
        .cmd(&["answer", "--key", "db-task", "staging", "--compact"])
        .success()
        .json();
    assert_eq!(answered["status"], "scheduled");
    assert_eq!(answered["context"]["answers"], json!(["staging"]));
    assert!(answered.get("question").is_none(), "{answered}");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
    let task = show(&env, "t1");
    assert_eq!(task["status"], "completed", "{task}");
    let prompt = env.cmd(&["show", "t1", "--prompt"]).success().stdout;
    assert!(
        prompt.contains("Constraints:\n- (none)\n\nAnswer:\n- staging\n\nTask:\n"),
        "{prompt}"
    );
    assert_eq!(env.log_events("answered").len(), 1);
}

#[test]
fn answer_refuses_what_does_not_wait_and_bad_usage() {
    let env = Env::new();
    env.schedule("t1", "s");
    let out = env.cmd(&["answer", "t1", "yes"]).failure(1);
    assert_eq!(
        out.error_line(),
        "defer: cannot answer task t1: its status is scheduled (only a waiting task, or a series with a waiting occurrence, can be answered)"
    );
    let out = env.cmd(&["answer", "nope", "yes"]).failure(1);
    assert_eq!(out.error_line(), "defer: task not found: nope");
    env.cmd(&["answer", "t1"]).failure(2);
    env.cmd(&["answer", "--key", "k", "a", "b"]).failure(2);
    let before = env.store_bytes();
    let out = env.cmd(&["answer", "--key", "k", "  "]).failure(1);
    assert!(out.error_line().starts_with("defer: invalid answer '  '"));
    assert_eq!(env.store_bytes(), before, "nothing written");
}

#[test]
fn a_wait_past_its_answer_timeout_fails() {
    let env = Env::new();
    let exe = asker(&env, "Proceed?");
    env.at(
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "t1",
            "--answer-timeout",
            "1h",
        ],
    )
    .success();
    env.at("2026-12-01 10:00:00", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success();
    assert_eq!(env.task("t1")["status"], "waiting");
    env.at("2026-12-01 10:50:00", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
    assert_eq!(env.task("t1")["status"], "waiting");
    let out = env
        .at("2026-12-01 11:01:00", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success();
    assert_eq!(
        out.stderr,
        "defer: task t1 failed after 1 attempt: no answer within 1h (question: Proceed?)\n"
    );
    assert_eq!(show(&env, "t1")["status"], "failed");
}

#[test]
fn a_series_whose_occurrence_waits_misses_its_fires_until_answered() {
    let env = Env::new();
    let exe = asker(&env, "Which branch?");
    let first = env
        .at(
            "2026-12-01 10:00:00",
            &[
                "schedule",
                "--every",
                "1h",
                "--when",
                "now",
                "--summary",
                "hourly",
                "--compact",
            ],
        )
        .success()
        .json();
    let sid = first["id"].as_str().unwrap().to_string();
    env.at("2026-12-01 10:00:00", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success();
    assert_eq!(env.task(&sid)["status"], "waiting");
    let out = env
        .at("2026-12-01 11:00:30", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success();
    assert!(out.stderr.contains(", waiting)"), "{}", out.stderr);
    let records: Vec<Value> = env
        .latest()
        .into_values()
        .chain(env.archive_records())
        .collect();
    let second = records
        .iter()
        .find(|r| r["series"]["occurrence"] == 2)
        .expect("occurrence 2");
    assert_eq!(second["status"], "missed");
    assert_eq!(second["result"]["reason"], "waiting");
    assert_eq!(second["result"]["waiting_on"], sid.as_str());
    let third = env
        .latest()
        .into_values()
        .find(|r| r["series"]["occurrence"] == 3)
        .expect("occurrence 3 linked once");
    assert_eq!(third["status"], "scheduled");
    // Answered (by the series id): the occurrence runs, the series fires again.
    env.at("2026-12-01 11:10:00", &["answer", &sid, "main"])
        .success();
    env.at("2026-12-01 11:10:00", &["run"])
        .env("DEFER_EXECUTOR", &exe)
        .success()
        .assert_stderr_empty();
    let first = env
        .archive_records()
        .into_iter()
        .chain(env.latest().into_values())
        .rfind(|r| r["id"] == sid.as_str())
        .unwrap();
    assert_eq!(first["status"], "completed", "{first}");
    let stats = env
        .at("2026-12-01 11:20:00", &["stats", "--compact"])
        .success()
        .json();
    assert_eq!(stats[0]["missed"]["waiting"], 1, "{stats}");
    assert_eq!(stats[0]["duplicates"], 0, "{stats}");
}

#[test]
fn cancel_ends_a_wait() {
    let env = Env::new();
    let exe = asker(&env, "Q?");
    schedule_due(&env, "t1", &[]);
    env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    let out = env.cmd(&["cancel", "t1", "--compact"]).success().json();
    assert_eq!(out["status"], "cancelled");
}

/// `git -C dir args...` with a fixed identity; panics on failure.
fn git(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn the_prompt_says_what_changed_since_scheduled() {
    let env = Env::new();
    let repo = env.root().join("repo");
    fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    fs::write(repo.join("notes.md"), "v1\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let artifact = repo.join("notes.md");
    let gone = repo.join("gone.txt");
    fs::write(&gone, "x").unwrap();
    let task = env
        .cmd(&[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "t1",
            "--compact",
            "--artifact",
            artifact.to_str().unwrap(),
            "--artifact",
            "gone.txt",
            "--artifact",
            "https://example.com/x",
        ])
        .current_dir(&repo)
        .success()
        .json();
    let snapshot = &task["snapshot"];
    let top = fs::canonicalize(&repo).unwrap();
    assert_eq!(snapshot["git"]["top"], top.to_str().unwrap(), "{snapshot}");
    assert_eq!(snapshot["git"]["branch"], "main");
    assert_eq!(
        snapshot["artifacts"].as_array().unwrap().len(),
        2,
        "{snapshot}"
    );
    // An unchanged world: no section, the prompt as before.
    let same = env.cmd(&["show", "t1", "--prompt"]).success().stdout;
    assert!(!same.contains("Changed since scheduled"), "{same}");
    // Two commits, an edit, a deletion.
    fs::write(&artifact, "v2, longer\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "two"]);
    git(&repo, &["commit", "-q", "--allow-empty", "-m", "three"]);
    fs::remove_file(&gone).unwrap();
    // The prompt it would get now says so too.
    let now = env.cmd(&["show", "t1", "--prompt"]).success().stdout;
    assert!(now.contains("\nChanged since scheduled:\n- repo "), "{now}");
    let exe = env.write_executor("exe", "cat > /dev/null");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let prompt = fs::read_to_string(env.log_dir().join("t1.prompt.txt")).unwrap();
    let section = prompt
        .split("Changed since scheduled:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("no section:\n{prompt}"));
    let lines: Vec<&str> = section.lines().collect();
    assert_eq!(lines.len(), 3, "{section}");
    let repo_line = format!("- repo {}: HEAD moved 2 commits (", top.display());
    assert!(lines[0].starts_with(&repo_line), "{section}");
    assert!(lines[0].ends_with("), branch main"), "{section}");
    assert!(
        lines[1].starts_with(&format!("- artifact {}: modified ", artifact.display())),
        "{section}"
    );
    assert_eq!(
        lines[2],
        format!("- artifact {}: deleted", top.join("gone.txt").display())
    );
    assert!(
        prompt.contains("Constraints:\n- (none)\n\nChanged since scheduled:\n"),
        "{prompt}"
    );
}

#[test]
fn mcp_answers_a_waiting_task_by_key_and_reads_stats() {
    use crate::mcp::{call, initialize, request};
    let env = Env::new();
    let exe = asker(&env, "Deploy now?");
    schedule_due(&env, "t1", &["--key", "deploy"]);
    env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    assert_eq!(env.task("t1")["status"], "waiting");
    let input = [
        initialize(),
        request(1, "tools/list", json!({})),
        call(
            2,
            "answer",
            json!({"key": "deploy", "text": "yes, after 18:00"}),
        ),
        call(3, "answer", json!({"id": "t1", "text": "again"})),
        call(4, "stats", json!({"since": "1d"})),
        call(5, "list", json!({"statuses": ["waiting"]})),
    ]
    .join("\n")
        + "\n";
    let out = env.cmd(&["mcp"]).stdin(input).run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let replies: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tools = replies[1]["result"]["tools"].as_array().unwrap();
    let answer = tools
        .iter()
        .find(|t| t["name"] == "answer")
        .expect("answer tool");
    assert_eq!(
        answer["inputSchema"]["required"],
        json!(["text"]),
        "{answer}"
    );
    assert!(
        answer["inputSchema"]["properties"]["key"].is_object(),
        "{answer}"
    );
    assert!(tools.iter().any(|t| t["name"] == "stats"));
    let answered = &replies[2]["result"];
    assert_eq!(answered["isError"], false, "{answered}");
    assert_eq!(answered["structuredContent"]["status"], "scheduled");
    assert_eq!(
        answered["structuredContent"]["context"]["answers"],
        json!(["yes, after 18:00"])
    );
    // No longer waiting: a second answer is refused in defer's words.
    let again = &replies[3]["result"];
    assert_eq!(again["isError"], true, "{again}");
    assert!(
        again["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("its status is scheduled"),
        "{again}"
    );
    let stats = &replies[4]["result"];
    assert_eq!(stats["isError"], false, "{stats}");
    assert!(stats["structuredContent"]["rows"].is_array(), "{stats}");
    let listed = &replies[5]["result"];
    assert_eq!(listed["isError"], false, "{listed}");
}

#[test]
fn a_series_over_its_budget_misses_fires_and_the_executor_gets_what_is_left() {
    let env = Env::new();
    let seen = env.root().join("budget");
    let exe = env.write_executor(
        "spender",
        &format!(
            r#"cat > /dev/null
echo "${{DEFER_BUDGET_USD:-unset}}" >> '{seen}'
printf '{{"status":"completed","cost":{{"usd":0.6}}}}' > "$DEFER_REPORT_PATH""#,
            seen = seen.display()
        ),
    );
    let exe = exe.to_str().unwrap();
    let missed_hook_seen = env.root().join("missed");
    let on_missed = env.write_executor(
        "on-missed",
        &format!(
            "cat > /dev/null; echo \"$DEFER_TASK_ID\" >> '{}'",
            missed_hook_seen.display()
        ),
    );
    let first = env
        .at(
            "2026-12-01 10:00:00",
            &[
                "schedule",
                "--every",
                "1h",
                "--when",
                "now",
                "--summary",
                "spend",
                "--budget",
                "1",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(first["budget_usd"], 1.0);
    let run = |at: &str| {
        env.at(at, &["run"])
            .env("DEFER_EXECUTOR", exe)
            .env("DEFER_ON_MISSED", on_missed.to_str().unwrap())
            .success()
    };
    run("2026-12-01 10:00:00").assert_stderr_empty();
    run("2026-12-01 11:00:00").assert_stderr_empty();
    let out = run("2026-12-01 12:00:00");
    let line = out.error_line();
    assert!(
        line.ends_with("missed (due 2026-12-01T12:00:00Z, budget)"),
        "{line}"
    );
    assert_eq!(fs::read_to_string(&seen).unwrap(), "1\n0.4\n");
    let records: Vec<Value> = env
        .archive_records()
        .into_iter()
        .chain(env.latest().into_values())
        .collect();
    let third = records
        .iter()
        .rfind(|r| r["series"]["occurrence"] == 3)
        .expect("occurrence 3");
    assert_eq!(third["status"], "missed");
    assert_eq!(third["result"]["reason"], "budget");
    assert_eq!(third["result"]["spent_usd"], 1.2);
    assert_eq!(
        fs::read_to_string(&missed_hook_seen).unwrap().trim(),
        third["id"].as_str().unwrap()
    );
    assert!(
        records
            .iter()
            .any(|r| r["series"]["occurrence"] == 4 && r["status"] == "scheduled"),
        "the series goes on"
    );
    let stats = env
        .at("2026-12-01 12:10:00", &["stats", "--compact"])
        .success()
        .json();
    assert_eq!(stats[0]["missed"]["budget"], 1, "{stats}");
    // A day later the spending is out of the window: it runs with the whole budget.
    run("2026-12-02 12:30:00");
    assert_eq!(fs::read_to_string(&seen).unwrap(), "1\n0.4\n1\n");
}

#[test]
fn a_budget_needs_a_series_and_an_amount() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--budget",
            "5",
        ])
        .failure(1);
    assert_eq!(
        out.error_line(),
        "defer: invalid --budget '5': only a recurring task has it (accepted with --every or --cron)"
    );
    let out = env
        .cmd(&[
            "schedule",
            "--every",
            "1h",
            "--summary",
            "s",
            "--budget",
            "-2",
        ])
        .failure(1);
    assert!(out.error_line().contains("--budget"), "{}", out.stderr);
    assert!(
        !env.store_exists() || env.records().is_empty(),
        "nothing written"
    );
}

#[test]
fn a_lane_retry_holds_every_task_of_the_lane_until_then() {
    let env = Env::new();
    let flag = env.root().join("limited");
    let ran = env.root().join("ran");
    let exe = env.write_executor(
        "exe",
        &format!(
            r#"cat > /dev/null
if [ "$DEFER_TASK_ID" = a ] && [ ! -e '{flag}' ]; then
  touch '{flag}'
  printf '{{"status":"retry","scope":"lane","retry_at":"2026-12-01T10:30:00Z","reason":"rate limit five_hour"}}' > "$DEFER_REPORT_PATH"
  exit 1
fi
echo "$DEFER_TASK_ID" >> '{ran}'"#,
            flag = flag.display(),
            ran = ran.display()
        ),
    );
    let exe = exe.to_str().unwrap();
    for (id, lane) in [("a", Some("claude")), ("b", Some("claude")), ("c", None)] {
        let mut args = vec!["schedule", "--when", "now", "--summary", id, "--id", id];
        if let Some(lane) = lane {
            args.extend(["--lane", lane]);
        }
        env.at("2026-12-01 10:00:00", &args).success();
    }
    let out = env
        .at("2026-12-01 10:00:00", &["run", "--verbose"])
        .env("DEFER_EXECUTOR", exe)
        .success();
    assert!(
        out.stderr
            .contains("defer: task b waits: lane claude held until 2026-12-01T10:30:00Z\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fs::read_to_string(&ran).unwrap(),
        "c\n",
        "b is held, c is not"
    );
    assert_eq!(env.task("a")["status"], "scheduled");
    assert_eq!(env.task("a")["attempts"], 0);
    assert_eq!(env.task("b")["status"], "scheduled");
    assert_eq!(env.log_events("lane held").len(), 1);
    // list and doctor show the hold.
    let listed = env
        .at("2026-12-01 10:05:00", &["list", "--compact"])
        .success()
        .json();
    let b = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "b")
        .unwrap();
    assert_eq!(b["lane_held_until"], "2026-12-01T10:30:00Z", "{b}");
    let table = env
        .at("2026-12-01 10:05:00", &["list", "--format", "table"])
        .success()
        .stdout;
    assert!(
        table.contains("lane held until 2026-12-01T10:30:00Z"),
        "{table}"
    );
    let doctor = env
        .at("2026-12-01 10:05:00", &["doctor", "--compact"])
        .run();
    let rows: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "lane_holds")
        .unwrap();
    assert_eq!(
        row["detail"],
        "lane claude held until 2026-12-01T10:30:00Z (task a: rate limit five_hour)"
    );
    // Still held at 10:20; at 10:31 both run.
    env.at("2026-12-01 10:20:00", &["run"])
        .env("DEFER_EXECUTOR", exe)
        .success();
    assert_eq!(fs::read_to_string(&ran).unwrap(), "c\n");
    env.at("2026-12-01 10:31:00", &["run"])
        .env("DEFER_EXECUTOR", exe)
        .success();
    let ran = fs::read_to_string(&ran).unwrap();
    assert!(ran.contains("a\n") && ran.contains("b\n"), "{ran}");
    let listed = env
        .at("2026-12-01 10:32:00", &["list", "--compact"])
        .success()
        .json();
    assert_eq!(listed, json!([]), "all done");
}
