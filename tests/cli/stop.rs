//! `defer run` / `defer execute` asked to stop (SIGTERM, SIGINT) while an executor
//! runs: the executor's group is stopped too (it is not left running to race its own
//! retry), the attempt is recorded as `interrupted`, and no further task is taken.

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{wait_until, Env};

/// Starts `defer args` with `DEFER_EXECUTOR` = a script that records its pid and
/// sleeps; returns the child once the executor is running, and the executor's pid.
fn start_with_slow_executor(env: &Env, args: &[&str]) -> (Child, i32) {
    let pidfile = env.root().join("executor.pid");
    let exec = env.write_executor(
        "slow",
        &format!("echo $$ > {}; exec sleep 30", pidfile.display()),
    );
    let child = env
        .cmd(args)
        .env("DEFER_EXECUTOR", exec.display().to_string())
        // One slot: the tests count the tasks taken after the first (§20 runs more).
        .env("DEFER_MAX_PARALLEL", "1")
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read_pid = || {
        std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
    };
    wait_until("the executor to start", Duration::from_secs(20), || {
        read_pid().is_some()
    });
    (child, read_pid().unwrap())
}

/// Sends `signal`, then waits (bounded) for the child; returns (exit code, stdout, stderr).
fn signal_and_wait(mut child: Child, signal: libc::c_int) -> (Option<i32>, String, String) {
    // SAFETY: signalling our own child process by pid.
    unsafe { libc::kill(child.id() as i32, signal) };
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("defer did not stop within 20 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn sigterm_to_run_stops_the_executor_and_takes_no_more_tasks() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--when",
        "2020-01-01T00:00:00Z",
        "--summary",
        "first",
        "--id",
        "first",
        "--max-retries",
        "1",
    ])
    .success();
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--summary",
        "second",
        "--id",
        "second",
    ])
    .success();
    let (child, executor) = start_with_slow_executor(&env, &["run"]);
    let (code, stdout, stderr) = signal_and_wait(child, libc::SIGTERM);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.starts_with("defer: stopped by a signal"), "{stderr}");
    assert!(!alive(executor), "the executor outlived its runner");

    let first = env.task("first");
    assert_eq!(first["status"], "scheduled", "{first}");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["last_error"], "interrupted");
    assert_eq!(first["result"]["type"], "interrupted");
    assert!(first["result"]["next_run_at"].is_string());
    let second = env.task("second");
    assert_eq!(second["status"], "scheduled");
    assert!(
        second.get("started_at").is_none(),
        "the second task was never claimed: {second}"
    );
    assert!(env
        .log_lines()
        .iter()
        .any(|l| l.ends_with("interrupted id=first status=scheduled")));
}

#[test]
fn ctrl_c_on_execute_stops_the_executor_and_prints_the_record() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "now please",
        "--id",
        "t",
    ])
    .success();
    let (child, executor) = start_with_slow_executor(&env, &["execute", "--id", "t", "--compact"]);
    let started = Instant::now();
    let (code, stdout, stderr) = signal_and_wait(child, libc::SIGINT);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(!alive(executor), "the executor outlived defer execute");
    assert!(started.elapsed() < Duration::from_secs(15));
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(record["status"], "failed", "no retries left: {record}");
    assert_eq!(record["error"], "interrupted");
    assert_eq!(record["result"]["type"], "interrupted");
    assert_eq!(env.task("t")["status"], "failed");
}
