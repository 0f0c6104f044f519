//! SPEC §15 heartbeat and no-runner warning: every `defer run` (idle or `lock_held`)
//! sets the runner lock file's mtime; `schedule` and `list` warn on success when no
//! run started in the last 10 minutes; `DEFER_RUNNER_CHECK` silences or breaks that.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::Env;

const EVER: &str =
    "defer: warning: no 'defer run' ever; tasks will not run until cron runs it: see 'defer doctor'";

fn runner_lock(env: &Env) -> PathBuf {
    env.runtime_dir().join("deferred.jsonl.run.lock")
}

fn mtime_age(path: &Path) -> Duration {
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    SystemTime::now()
        .duration_since(modified)
        .unwrap_or(Duration::ZERO)
}

/// Moves the lock file's mtime `secs` into the past with touch(1), as a user would.
fn age_lock(env: &Env, secs: u64) {
    let then = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - secs;
    let status = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{then}"))
        .arg(runner_lock(env))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(mtime_age(&runner_lock(env)) >= Duration::from_secs(secs));
}

#[test]
fn every_run_sets_the_heartbeat_idle_or_not() {
    let env = Env::new();
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(mtime_age(&runner_lock(&env)) < Duration::from_secs(60));

    // Idle run (nothing due): the summary lets it skip the store, not the heartbeat.
    env.schedule("later", "later");
    env.cmd(&["run"]).success();
    age_lock(&env, 3 * 3600);
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert!(mtime_age(&runner_lock(&env)) < Duration::from_secs(60));
    // Only the lock file: no new file beside it.
    let mut names: Vec<String> = fs::read_dir(env.runtime_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("deferred.jsonl") || n == "logs" || n == "archive"),
        "{names:?}"
    );
}

#[test]
fn a_lock_held_run_sets_the_heartbeat_too() {
    let env = Env::new();
    env.cmd(&["run"]).success();
    let held = File::options()
        .read(true)
        .write(true)
        .open(runner_lock(&env))
        .unwrap();
    held.lock().unwrap();
    age_lock(&env, 3600);
    env.cmd(&["run"]).success();
    assert_eq!(
        env.log_events("runner skipped").len(),
        1,
        "{:?}",
        env.log_lines()
    );
    assert!(mtime_age(&runner_lock(&env)) < Duration::from_secs(60));
}

#[test]
fn schedule_and_list_warn_when_no_runner_ever_ran() {
    let env = Env::new();
    let out = env
        .cmd(&["schedule", "--when", "10m", "--summary", "s", "--compact"])
        .env_remove("DEFER_RUNNER_CHECK")
        .success();
    assert_eq!(out.json()["status"], "scheduled");
    assert_eq!(out.stderr_lines(), [EVER]);
    let out = env
        .cmd(&["list", "--compact"])
        .env_remove("DEFER_RUNNER_CHECK")
        .success();
    assert_eq!(out.json().as_array().unwrap().len(), 1);
    assert_eq!(out.stderr_lines(), [EVER]);
    let out = env
        .cmd(&["list", "--format", "table"])
        .env("DEFER_RUNNER_CHECK", "1")
        .success();
    assert_eq!(out.stderr_lines(), [EVER]);
}

#[test]
fn the_warning_says_how_long_and_goes_once_a_runner_ran() {
    let env = Env::new();
    env.cmd(&["run"]).success();
    let list = || {
        env.cmd(&["list"])
            .env_remove("DEFER_RUNNER_CHECK")
            .success()
    };
    list().assert_stderr_empty();
    age_lock(&env, 2 * 3600 + 13 * 60 + 5);
    assert_eq!(
        list().stderr_lines(),
        ["defer: warning: no 'defer run' for 2h 13m; tasks will not run until cron runs it: see 'defer doctor'"]
    );
    // Ten minutes is still fine; the next run clears it.
    age_lock(&env, 9 * 60);
    list().assert_stderr_empty();
    age_lock(&env, 11 * 60);
    assert_eq!(list().stderr_lines().len(), 1);
    env.cmd(&["run"]).success();
    list().assert_stderr_empty();
}

#[test]
fn no_warning_for_dry_run_errors_or_when_silenced() {
    let env = Env::new();
    env.cmd(&["schedule", "--when", "10m", "--summary", "s", "--dry-run"])
        .env_remove("DEFER_RUNNER_CHECK")
        .success()
        .assert_stderr_empty();
    let out = env
        .cmd(&["schedule", "--when", "whenever", "--summary", "s"])
        .env_remove("DEFER_RUNNER_CHECK")
        .failure(1);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    out.error_line();
    env.cmd(&["schedule", "--when", "10m", "--summary", "s"])
        .env("DEFER_RUNNER_CHECK", "0")
        .success()
        .assert_stderr_empty();
}

#[test]
fn a_bad_runner_check_value_is_an_error_and_writes_nothing() {
    let env = Env::new();
    for args in [
        &["schedule", "--when", "10m", "--summary", "s"][..],
        &["list"][..],
    ] {
        let out = env.cmd(args).env("DEFER_RUNNER_CHECK", "maybe").failure(1);
        let line = out.error_line();
        assert!(line.contains("DEFER_RUNNER_CHECK 'maybe'"), "{line}");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    assert!(!env.runtime_dir().exists());
}
