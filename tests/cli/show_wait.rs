//! `defer show` (active store, archives, prompt and output files) and `defer wait`
//! (exit codes for completed, failed, cancelled, unknown and timeout).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{record_line, Env};

/// An executable script in the test's temp dir.
fn script(env: &Env, name: &str, body: &str) -> PathBuf {
    let path = env.root().join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn schedule_now(env: &Env, id: &str) {
    env.cmd(&["schedule", "--when", "now", "--summary", "s", "--id", id])
        .success();
}

#[test]
fn show_prints_an_active_task() {
    let env = Env::new();
    env.schedule("t1", "first");
    let out = env.cmd(&["show", "t1", "--compact"]).success();
    assert_eq!(out.json()["context"]["summary"], "first");
    assert_eq!(out.stdout.lines().count(), 1);
}

#[test]
fn show_finds_a_task_the_runner_archived_with_its_prompt() {
    let env = Env::new();
    schedule_now(&env, "t1");
    env.cmd(&["run"]).success();
    assert!(!String::from_utf8_lossy(&env.store_bytes()).contains("\"t1\""));
    let out = env.cmd(&["show", "t1"]).success();
    assert_eq!(out.json()["status"], "completed");
    let prompt = env.cmd(&["show", "t1", "--prompt"]).success();
    assert!(prompt
        .stdout
        .starts_with("You are resuming a deferred task.\n"));
    assert!(prompt.stdout.contains("Task ID: t1\n"));
}

#[test]
fn show_prefers_the_newest_archive_month_and_its_last_line() {
    let env = Env::new();
    let archive = env.runtime_dir().join("archive");
    fs::create_dir_all(&archive).unwrap();
    let line = |summary: &str| record_line("t1", summary);
    fs::write(archive.join("deferred_202603.jsonl"), line("march") + "\n").unwrap();
    let april = format!(
        "{}\n{{broken \"t1\"\n{}\n",
        line("april-1"),
        line("april-2")
    );
    fs::write(archive.join("deferred_202604.jsonl"), april).unwrap();
    let out = env.cmd(&["show", "t1"]).success();
    assert_eq!(out.json()["context"]["summary"], "april-2");
}

#[test]
fn show_output_prints_the_executor_output_file() {
    let env = Env::new();
    let exec = script(&env, "exec.sh", "echo hello from the executor");
    schedule_now(&env, "t1");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exec.display().to_string())
        .success();
    let out = env.cmd(&["show", "t1", "--output"]).success();
    assert_eq!(out.stdout, "hello from the executor\n");
}

#[test]
fn show_errors_name_the_id_or_the_missing_file() {
    let env = Env::new();
    let out = env.cmd(&["show", "nope"]).failure(1);
    assert_eq!(out.error_line(), "defer: task not found: nope");
    // A task that ran and whose prompt file is gone (a task that has not run gets
    // the prompt it would get now: tests/cli/lineage.rs).
    schedule_now(&env, "t1");
    env.cmd(&["run"]).success();
    std::fs::remove_file(env.log_dir().join("t1.prompt.txt")).unwrap();
    let out = env.cmd(&["show", "t1", "--prompt"]).failure(1);
    let line = out.error_line();
    assert!(line.contains("t1.prompt.txt does not exist"), "{line}");
    env.cmd(&["show", "t1", "--prompt", "--output"]).failure(2);
}

#[test]
fn wait_exits_0_for_a_completed_task_even_archived() {
    let env = Env::new();
    schedule_now(&env, "t1");
    env.cmd(&["run"]).success();
    let out = env.cmd(&["wait", "t1", "--compact"]).success();
    assert_eq!(out.json()["status"], "completed");
}

#[test]
fn wait_returns_when_a_runner_finishes_the_task() {
    let env = Env::new();
    schedule_now(&env, "t1");
    let waiter = env
        .cmd(&["wait", "t1", "--timeout", "30", "--compact"])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    env.cmd(&["run"]).success();
    let out = waiter.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["status"], "completed");
}

#[test]
fn wait_exits_1_for_failed_cancelled_and_unknown() {
    let env = Env::new();
    let exec = script(&env, "fail.sh", "echo boom; exit 3");
    schedule_now(&env, "f1");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exec.display().to_string())
        .success();
    let out = env.cmd(&["wait", "f1", "--compact"]).failure(1);
    assert_eq!(out.json()["status"], "failed");

    env.schedule("c1", "s");
    env.cmd(&["cancel", "c1"]).success();
    let out = env.cmd(&["wait", "c1", "--compact"]).failure(1);
    assert_eq!(out.json()["status"], "cancelled");

    let out = env.cmd(&["wait", "nope"]).failure(1);
    assert_eq!(out.error_line(), "defer: task not found: nope");
}

#[test]
fn wait_times_out_with_124() {
    let env = Env::new();
    env.schedule("t1", "s");
    let started = Instant::now();
    let out = env
        .cmd(&["wait", "t1", "--timeout", "1", "--compact"])
        .failure(124);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.json()["status"], "scheduled");
    assert!(
        out.error_line().contains("timed out after 1s"),
        "{}",
        out.stderr
    );
    let out = env.cmd(&["wait", "t1", "--timeout", "soon"]).failure(1);
    assert!(out
        .error_line()
        .starts_with("defer: invalid --timeout 'soon'"));
}
