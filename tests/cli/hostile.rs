//! Executors that misbehave (SPEC §6): none of them wedges or crashes `defer run`,
//! which returns within a bound and records an outcome.

use std::fs;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::runner::archived;
use crate::support::{record_with, schedule_due, Env};

/// Runs `defer run` with `exe` as the executor (and these variables), asserting exit 0,
/// that it returned within `limit`, and that stderr holds nothing but the task's
/// `failed after` line if it failed (SPEC §14); returns the task's archived record.
fn run_bounded(env: &Env, id: &str, body: &str, vars: &[(&str, &str)], limit: u64) -> Value {
    let exe = env.write_executor("hostile", body);
    let mut cmd = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("DIR", env.root().to_str().unwrap())
        .timeout(Duration::from_secs(60));
    for (k, v) in vars {
        cmd = cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.success();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(limit), "run took {took:?}");
    assert_eq!(out.stdout, "");
    let task = archived(env, id);
    let expected = match task["status"].as_str() {
        Some("failed") => format!(
            "defer: task {id} failed after {} attempt{}: {}\n",
            task["attempts"],
            if task["attempts"] == 1 { "" } else { "s" },
            task["error"].as_str().unwrap()
        ),
        _ => String::new(),
    };
    assert_eq!(out.stderr, expected);
    task
}

/// Kills the process group whose leader's pid the executor wrote to `file`, if any.
pub fn kill_group_from(file: &std::path::Path) {
    if let Some(pid) = fs::read_to_string(file)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
    {
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
}

#[test]
fn executor_ignoring_a_multi_megabyte_stdin() {
    let env = Env::new();
    let summary = "s".repeat(3_000_000);
    env.write_store(format!(
        "{}\n",
        record_with(
            "huge",
            &[
                ("run_at", json!("2020-01-01T00:00:00Z")),
                (
                    "context",
                    json!({"summary": summary, "key_points": [], "artifacts": [], "constraints": []})
                ),
            ]
        )
    ));
    // Never reads stdin, and takes its time before exiting.
    let task = run_bounded(&env, "huge", "sleep 1; echo done", &[], 30);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output"], "done\n");
    assert_eq!(
        task["context"]["summary"].as_str().unwrap().len(),
        3_000_000
    );
}

#[test]
fn executor_reading_a_multi_megabyte_stdin_gets_all_of_it() {
    let env = Env::new();
    let summary = "s".repeat(3_000_000);
    env.write_store(format!(
        "{}\n",
        record_with(
            "huge2",
            &[
                ("run_at", json!("2020-01-01T00:00:00Z")),
                (
                    "context",
                    json!({"summary": summary, "key_points": [], "artifacts": [], "constraints": []})
                ),
            ]
        )
    ));
    let task = run_bounded(&env, "huge2", "wc -c", &[], 30);
    assert_eq!(task["status"], "completed");
    let stdin_len: usize = task["result"]["output"]
        .as_str()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(stdin_len > 3_000_000, "{stdin_len}");
}

#[test]
fn executor_printing_50_mb() {
    let env = Env::new();
    schedule_due(&env, "flood", &[]);
    let task = run_bounded(&env, "flood", "head -c 50000000 /dev/zero", &[], 30);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output"].as_str().unwrap().len(), 65536);
    assert_eq!(task["result"]["output_truncated"], true);
    let full = fs::metadata(env.log_dir().join("flood.output.txt")).unwrap();
    assert_eq!(full.len(), 50_000_000);
}

#[test]
fn executor_that_hangs_is_timed_out() {
    let env = Env::new();
    schedule_due(&env, "hang", &["--max-retries", "1"]);
    let started = Instant::now();
    env.cmd(&["run"])
        .env(
            "DEFER_EXECUTOR",
            env.write_executor("hang", "sleep 60").to_str().unwrap(),
        )
        .env("DEFER_EXECUTOR_TIMEOUT_SECONDS", "1")
        .env("DEFER_RETRY_DELAY_SECONDS", "3600")
        .timeout(Duration::from_secs(60))
        .success();
    assert!(started.elapsed() < Duration::from_secs(30));
    let task = env.task("hang");
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["result"]["type"], "retry_scheduled");
    assert_eq!(task["last_error"], "executor timed out after 1s");
}

#[test]
fn executor_that_ignores_sigterm_is_killed() {
    let env = Env::new();
    schedule_due(&env, "stubborn", &[]);
    let pid_file = env.root().join("stubborn.pid");
    let task = run_bounded(
        &env,
        "stubborn",
        r#"trap '' TERM; echo $$ > "$DIR/stubborn.pid"; echo waiting; sleep 60; echo survived"#,
        &[("DEFER_EXECUTOR_TIMEOUT_SECONDS", "1")],
        30,
    );
    kill_group_from(&pid_file);
    assert_eq!(task["status"], "failed");
    assert_eq!(task["error"], "executor timed out after 1s: waiting");
    assert_eq!(task["result"]["output"], "waiting\n");
}

#[test]
fn executor_killed_by_a_signal() {
    let env = Env::new();
    schedule_due(&env, "sig", &[]);
    let task = run_bounded(&env, "sig", "echo before; kill -9 $$", &[], 30);
    assert_eq!(task["status"], "failed");
    assert_eq!(task["error"], "executor killed by signal 9: before");
    assert_eq!(task["result"]["output"], "before\n");
}

#[test]
fn executor_leaving_a_child_holding_the_pipe() {
    let env = Env::new();
    schedule_due(&env, "bg", &[]);
    let pid_file = env.root().join("bg.pid");
    let task = run_bounded(
        &env,
        "bg",
        r#"echo $$ > "$DIR/bg.pid"; echo hi; sleep 60 & exit 0"#,
        &[],
        15,
    );
    kill_group_from(&pid_file);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output"], "hi\n");
}

#[test]
fn executor_closing_stdout_early_and_exiting_late() {
    // Output closed at once, exit after a while: the runner waits for the exit.
    let env = Env::new();
    schedule_due(&env, "late", &[]);
    let task = run_bounded(
        &env,
        "late",
        "echo bye; exec >&- 2>&-; sleep 1; exit 3",
        &[],
        30,
    );
    assert_eq!(task["status"], "failed");
    assert_eq!(task["error"], "executor exited with status 3: bye");
    assert_eq!(task["result"]["output"], "bye\n");
}

#[test]
fn invalid_utf8_output_is_stored_as_text() {
    let env = Env::new();
    schedule_due(&env, "bytes", &[]);
    let task = run_bounded(&env, "bytes", r"printf 'ok \377\376 end\n'", &[], 30);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output"], "ok \u{fffd}\u{fffd} end\n");
    assert_eq!(
        fs::read(env.log_dir().join("bytes.output.txt")).unwrap(),
        b"ok \xff\xfe end\n"
    );
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

#[test]
fn timeout_kills_the_whole_group_even_after_the_leader_exits() {
    let env = Env::new();
    schedule_due(&env, "grp", &[]);
    let child_pid = env.root().join("child.pid");
    let started = Instant::now();
    let task = run_bounded(
        &env,
        "grp",
        r#"sh -c 'trap "" TERM; echo $$ > "$DIR/child.pid"; exec sleep 30' &
wait"#,
        &[("DEFER_EXECUTOR_TIMEOUT_SECONDS", "1")],
        30,
    );
    assert_eq!(task["error"], "executor timed out after 1s");
    let pid: i32 = fs::read_to_string(&child_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SIGTERM at 1 s, SIGKILL due at 6 s: give it until 10 s.
    while alive(pid) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let survived = alive(pid);
    unsafe { libc::kill(pid, libc::SIGKILL) };
    assert!(
        !survived,
        "group member {pid} outlived the timeout's SIGKILL"
    );
}
