//! The agent executors of `examples/executors/` (`claude-code.sh`, `codex.sh`, SPEC §22):
//! their command lines checked by the real CLIs from npm (`scripts/agent-clis.sh`, which
//! `make test` runs), and the reports they write for event streams in the CLIs' own
//! formats (`tests/fixtures/executors/`: the offline ones recorded from the real CLIs,
//! the others built to the documented shapes), replayed by a fake binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::runner::archived;
use crate::support::{schedule_due, Env, Output};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The real CLI from npm; fails loudly when `scripts/agent-clis.sh` has not run.
fn real_cli(name: &str) -> PathBuf {
    let path = repo("target/agent-clis/node_modules/.bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/agent-clis.sh (`make test` does)",
        path.display()
    );
    path
}

/// A fake agent CLI: logs its arguments, drains stdin (the prompt), prints
/// `$FAKE_STREAM` with `@RESET@` replaced by now + 63 s, exits `$FAKE_RC`.
const FAKE: &str = r#"#!/bin/sh
printf '%s\n' "$@" >"$FAKE_DIR/args"
cat >"$FAKE_DIR/stdin"
sed "s/@RESET@/$(( $(date +%s) + 63 ))/" "$FAKE_STREAM"
exit "${FAKE_RC:-0}"
"#;

/// A wrapper that records the command line, then runs the real CLI with it.
const RECORD_THEN_RUN: &str = r#"#!/bin/sh
printf '%s\n' "$@" >"$FAKE_DIR/args"
exec "$REAL_CLI" "$@"
"#;

struct Agent {
    dir: PathBuf,
    bin: PathBuf,
    prompt: PathBuf,
    report: PathBuf,
}

fn agent(env: &Env, script: &str) -> Agent {
    let dir = env.root().join("agent");
    fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("agent");
    fs::write(&bin, script).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let prompt = dir.join("prompt.txt");
    fs::write(&prompt, "You are resuming a deferred task.\n").unwrap();
    let report = dir.join("report.json");
    fs::write(&report, "").unwrap();
    Agent {
        dir,
        bin,
        prompt,
        report,
    }
}

/// Runs `examples/executors/<example>` as defer would, with the agent binary `bin`.
fn run_example(env: &Env, example: &str, a: &Agent, vars: &[(&str, &str)]) -> Output {
    let var = if example == "claude-code.sh" {
        "DEFER_CLAUDE_BIN"
    } else {
        "DEFER_CODEX_BIN"
    };
    let mut cmd = env
        .sh(&format!(
            "exec {}",
            repo("examples/executors").join(example).display()
        ))
        .env(var, a.bin.display().to_string())
        .env("FAKE_DIR", a.dir.display().to_string())
        .env("DEFER_PROMPT_PATH", a.prompt.display().to_string())
        .env("DEFER_REPORT_PATH", a.report.display().to_string())
        .env("HOME", a.dir.display().to_string());
    for (k, v) in vars {
        cmd = cmd.env(k, v);
    }
    if vars.iter().any(|(k, _)| *k == "REAL_CLI") {
        // The real CLIs are not defer: they run on the real clock (Claude Code answers
        // differently once its version is old), even when the suite's clock is shifted.
        cmd = cmd.env_remove("LD_PRELOAD").env_remove("FAKETIME");
    }
    cmd.run()
}

fn fixture(name: &str) -> String {
    repo("tests/fixtures/executors")
        .join(name)
        .display()
        .to_string()
}

fn report(a: &Agent) -> Option<Value> {
    let text = fs::read_to_string(&a.report).unwrap();
    (!text.trim().is_empty()).then(|| serde_json::from_str(&text).expect("the report is JSON"))
}

fn args(a: &Agent) -> Vec<String> {
    fs::read_to_string(a.dir.join("args"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn replay(env: &Env, example: &str, stream: &str, rc: &str) -> (Agent, Output) {
    let a = agent(env, FAKE);
    let stream = fixture(stream);
    let out = run_example(
        env,
        example,
        &a,
        &[("FAKE_STREAM", &stream), ("FAKE_RC", rc)],
    );
    (a, out)
}

// ---- Claude Code ------------------------------------------------------------------

#[test]
fn claude_code_command_line_is_accepted_by_the_real_claude() {
    let env = Env::new();
    let a = agent(&env, RECORD_THEN_RUN);
    let real = real_cli("claude").display().to_string();
    let out = run_example(
        &env,
        "claude-code.sh",
        &a,
        &[
            ("REAL_CLI", &real),
            ("DEFER_BUDGET_USD", "1.25"),
            ("DEFER_CLAUDE_PERMISSION_MODE", "acceptEdits"),
            (
                "DEFER_CLAUDE_ARGS",
                "--model sonnet --allowedTools Read,Grep",
            ),
            ("ANTHROPIC_API_KEY", ""),
        ],
    );
    assert_eq!(
        args(&a),
        [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--max-budget-usd",
            "1.25",
            "--permission-mode",
            "acceptEdits",
            "--model",
            "sonnet",
            "--allowedTools",
            "Read,Grep"
        ]
    );
    // Offline and logged out, the real CLI parses every flag, then answers with its
    // stream (a `result` saying it is not logged in): no usage error.
    assert!(!out.stderr.contains("unknown option"), "{}", out.stderr);
    assert!(!out.stderr.contains("requires"), "{}", out.stderr);
    assert!(out.stdout.contains(r#""type":"result""#), "{}", out.stdout);
    let r = report(&a).expect("a report");
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(out.status, 1);
}

#[test]
fn claude_code_success_reports_summary_and_cost() {
    let env = Env::new();
    let (a, out) = replay(&env, "claude-code.sh", "claude-success.jsonl", "0");
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(r#""type":"result""#),
        "the stream is passed through"
    );
    assert_eq!(
        fs::read_to_string(a.dir.join("stdin")).unwrap(),
        fs::read_to_string(&a.prompt).unwrap(),
        "the prompt goes to claude on stdin"
    );
    assert_eq!(
        report(&a).unwrap(),
        json!({"status": "completed", "summary": "Deploy of def5678 is healthy.",
               "cost": {"usd": 0.0421, "input_tokens": 1200, "output_tokens": 340}})
    );
}

#[test]
fn claude_code_rate_limit_is_a_lane_retry_at_the_reset() {
    let env = Env::new();
    let (a, out) = replay(&env, "claude-code.sh", "claude-rate-limit.jsonl", "1");
    assert_eq!(out.status, 1);
    let r = report(&a).unwrap();
    assert_eq!(r["status"], "retry", "{r}");
    assert_eq!(r["scope"], "lane");
    assert_eq!(r["reason"], "rate limit five_hour");
    let secs: i64 = r["retry_at"]
        .as_str()
        .unwrap()
        .strip_suffix('s')
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=63).contains(&secs), "{r}");
}

#[test]
fn claude_code_permission_denial_needs_input() {
    let env = Env::new();
    let (a, out) = replay(
        &env,
        "claude-code.sh",
        "claude-permission-denied.jsonl",
        "0",
    );
    assert_eq!(out.status, 0);
    let r = report(&a).unwrap();
    assert_eq!(r["status"], "needs_input", "{r}");
    let question = r["question"].as_str().unwrap();
    assert!(
        question.contains("Bash (git push origin main)"),
        "{question}"
    );
    assert_eq!(r["cost"]["usd"], 0.0187);
}

#[test]
fn claude_code_logged_out_is_a_failure_with_its_words() {
    let env = Env::new();
    let (a, _) = replay(&env, "claude-code.sh", "claude-not-logged-in.jsonl", "1");
    let r = report(&a).unwrap();
    assert_eq!(r["status"], "failed");
    assert_eq!(r["reason"], "Not logged in · Please run /login");
}

#[test]
fn claude_code_without_a_result_writes_no_report() {
    let env = Env::new();
    let torn = env.root().join("torn.jsonl");
    fs::write(
        &torn,
        "{\"type\":\"system\",\"subtype\":\"init\"}\n{\"type\":\"assis",
    )
    .unwrap();
    let a = agent(&env, FAKE);
    let out = run_example(
        &env,
        "claude-code.sh",
        &a,
        &[("FAKE_STREAM", torn.to_str().unwrap()), ("FAKE_RC", "137")],
    );
    assert_eq!(out.status, 137, "claude's exit status stands");
    assert_eq!(report(&a), None);
}

// ---- Codex ------------------------------------------------------------------------

#[test]
fn codex_command_line_is_accepted_by_the_real_codex() {
    let env = Env::new();
    // The real codex would try the network: `--help` after the script's arguments makes
    // it parse them all (an unknown one is exit 2) and stop.
    let a = agent(&env, RECORD_THEN_RUN);
    let real = real_cli("codex").display().to_string();
    let codex_home = env.root().join("codex-home");
    fs::create_dir_all(&codex_home).unwrap();
    let out = run_example(
        &env,
        "codex.sh",
        &a,
        &[
            ("REAL_CLI", &real),
            ("DEFER_CODEX_CD", "/tmp"),
            ("DEFER_CODEX_ARGS", "--sandbox workspace-write -m o3 --help"),
            ("CODEX_HOME", codex_home.to_str().unwrap()),
        ],
    );
    assert_eq!(
        args(&a),
        [
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--cd",
            "/tmp",
            "--sandbox",
            "workspace-write",
            "-m",
            "o3",
            "--help",
            "-"
        ]
    );
    assert_eq!(out.status, 0, "codex refused the arguments: {}", out.stderr);
    assert!(
        out.stdout.contains("Run Codex non-interactively"),
        "{}",
        out.stdout
    );
}

#[test]
fn codex_success_reports_summary_and_tokens() {
    let env = Env::new();
    let (a, out) = replay(&env, "codex.sh", "codex-success.jsonl", "0");
    assert_eq!(out.status, 0);
    assert_eq!(
        args(&a).last().map(String::as_str),
        Some("-"),
        "prompt on stdin"
    );
    assert_eq!(
        report(&a).unwrap(),
        json!({"status": "completed", "summary": "Deploy of def5678 is healthy.",
               "cost": {"input_tokens": 24763, "output_tokens": 122}})
    );
}

#[test]
fn codex_usage_limit_is_a_lane_retry_when_it_says() {
    let env = Env::new();
    let (a, _) = replay(&env, "codex.sh", "codex-usage-limit.jsonl", "1");
    let r = report(&a).unwrap();
    assert_eq!(r["status"], "retry", "{r}");
    assert_eq!(r["scope"], "lane");
    assert_eq!(r["retry_at"], "3780s", "1 hour 3 minutes");
}

#[test]
fn codex_failed_turn_and_offline_stream() {
    let env = Env::new();
    let (a, _) = replay(&env, "codex.sh", "codex-failed.jsonl", "1");
    assert_eq!(
        report(&a).unwrap(),
        json!({"status": "failed", "reason": "stream error: model refused the request",
               "cost": {"input_tokens": 900, "output_tokens": 40}})
    );
    // Recorded from the real codex with no network: only `error` events, no turn end.
    let (a, out) = replay(&env, "codex.sh", "codex-offline.jsonl", "1");
    assert_eq!(out.status, 1);
    assert_eq!(report(&a), None);
}

// ---- Through defer run ------------------------------------------------------------

#[test]
fn defer_run_hands_the_prompt_to_claude_code() {
    let env = Env::new();
    let a = agent(&env, FAKE);
    schedule_due(&env, "cc", &[]);
    env.cmd(&["run"])
        .env(
            "DEFER_EXECUTOR",
            repo("examples/executors/claude-code.sh")
                .display()
                .to_string(),
        )
        .env("DEFER_CLAUDE_BIN", a.bin.display().to_string())
        .env("FAKE_DIR", a.dir.display().to_string())
        .env("FAKE_STREAM", fixture("claude-success.jsonl"))
        .success();
    let done = archived(&env, "cc");
    assert_eq!(done["status"], "completed", "{done}");
    let prompt = fs::read_to_string(a.dir.join("stdin")).unwrap();
    assert!(prompt.starts_with("You are resuming a deferred task.\n\nTask ID: cc\n"));
    assert!(done["result"]["output"]
        .as_str()
        .unwrap()
        .contains("Deploy of def5678 is healthy."));
}

/// The new user's check (SPEC §22): Claude Code hits its rate limit once, then
/// succeeds. The task waits for the reset without spending an attempt, runs then, its
/// cost is recorded, and `stats` counts one fire, run once.
#[test]
fn defer_run_waits_out_claude_codes_rate_limit_then_records_the_cost() {
    let env = Env::new();
    let a = agent(
        &env,
        r#"#!/bin/sh
n=$(cat "$FAKE_DIR/calls" 2>/dev/null || echo 0)
echo $((n + 1)) >"$FAKE_DIR/calls"
cat >/dev/null
if [ "$n" = 0 ]; then
  sed "s/@RESET@/$(( $(date +%s) + 63 ))/" "$FAKE_LIMIT"
  exit 1
fi
cat "$FAKE_STREAM"
"#,
    );
    let executor = repo("examples/executors/claude-code.sh")
        .display()
        .to_string();
    let run = |at: &str| {
        env.at(at, &["run"])
            .env("DEFER_EXECUTOR", &executor)
            .env("DEFER_CLAUDE_BIN", a.bin.display().to_string())
            .env("FAKE_DIR", a.dir.display().to_string())
            .env("FAKE_LIMIT", fixture("claude-rate-limit.jsonl"))
            .env("FAKE_STREAM", fixture("claude-success.jsonl"))
            .success()
    };
    env.at(
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "check the deploy",
            "--id",
            "cc",
            "--max-retries",
            "2",
        ],
    )
    .success();
    run("2026-12-01 10:00:00").assert_stderr_empty();
    let deferred = env.task("cc");
    assert_eq!(deferred["status"], "scheduled", "{deferred}");
    assert_eq!(deferred["attempts"], 0, "a rate limit is no attempt");
    assert_eq!(deferred["deferrals"], 1);
    assert_eq!(deferred["result"]["type"], "deferred");
    assert_eq!(deferred["last_error"], "rate limit five_hour");
    let reset = crate::support::instant(deferred["run_at"].as_str().unwrap());
    let asked = crate::support::instant("2026-12-01T10:01:03Z");
    assert!((reset - asked).num_seconds().abs() <= 5, "retry at {reset}");
    // Not before the reset.
    run("2026-12-01 10:00:40").assert_stderr_empty();
    assert_eq!(fs::read_to_string(a.dir.join("calls")).unwrap(), "1\n");
    run("2026-12-01 10:02:00").assert_stderr_empty();
    let done = archived(&env, "cc");
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 0);
    assert!(done.get("deferrals").is_none(), "{done}");
    assert_eq!(done["result"]["cost"]["usd"], 0.0421);
    assert_eq!(done["result"]["summary"], "Deploy of def5678 is healthy.");
    let entries = done["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["result"], "deferred");
    assert_eq!(entries[1]["cost"]["usd"], 0.0421);
    let stats = env
        .at(
            "2026-12-01 10:05:00",
            &["stats", "--since", "1d", "--compact"],
        )
        .success()
        .json();
    let row = &stats[0];
    assert_eq!(row["expected"], 1, "{stats}");
    assert_eq!(row["on_time"], 1, "{stats}");
    assert_eq!(row["late"], 0, "{stats}");
    assert_eq!(row["failed"], 0, "{stats}");
    assert_eq!(row["duplicates"], 0, "{stats}");
    assert_eq!(row["cost_usd"], 0.0421, "{stats}");
}
