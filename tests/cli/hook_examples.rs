//! The example hooks in `examples/hooks/`, run by `defer run` against fake `curl` and
//! `notify-send` programs on `PATH` that record their arguments and stdin (no network,
//! no desktop).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::runner::archived;
use crate::support::Env;

fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/hooks")
        .join(name)
        .display()
        .to_string()
}

fn has_jq() -> bool {
    std::process::Command::new("sh")
        .args(["-c", "command -v jq"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fake program `root/fake/<name>` that writes its arguments (one per line) to
/// `root/<name>.args`, its stdin to `root/<name>.stdin`, then runs `then`.
fn fake(env: &Env, name: &str, then: &str) -> PathBuf {
    let dir = env.root().join("fake");
    fs::create_dir_all(&dir).unwrap();
    let root = env.root().display();
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {root}/{name}.args\ncat > {root}/{name}.stdin\n{then}\n"
    );
    // Written aside and renamed, so no fork holds it open for writing when it runs.
    let temp = dir.join(format!(".{name}.tmp"));
    fs::write(&temp, script).unwrap();
    fs::set_permissions(&temp, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&temp, dir.join(name)).unwrap();
    dir
}

fn schedule_now(env: &Env, id: &str, summary: &str) {
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--summary",
        summary,
        "--id",
        id,
    ])
    .success();
}

/// `PATH` with the fakes first.
fn path_with(fakes: &Path) -> String {
    format!("{}:{}", fakes.display(), std::env::var("PATH").unwrap())
}

fn read(env: &Env, name: &str) -> String {
    fs::read_to_string(env.root().join(name)).unwrap_or_default()
}

/// `defer run` with a hook, about to fail task `w1` (summary and error for the hooks).
fn failing_run(env: &Env, hook_var: &str, hook: &str, fakes: &Path) -> crate::support::Cmd {
    let exe = env.write_executor("exe", "echo 'disk full' >&2; exit 3");
    schedule_now(env, "w1", "Nightly backup");
    env.cmd(&["run"])
        .env("PATH", path_with(fakes))
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env(hook_var, hook)
}

#[test]
fn webhook_posts_the_outcome_as_json_with_curl() {
    let env = Env::new();
    let fakes = fake(&env, "curl", "exit 0");
    let out = failing_run(&env, "DEFER_ON_FAILURE", &example("webhook.sh"), &fakes)
        .env("DEFER_WEBHOOK_URL", "https://hooks.example.com/T0/B0/x")
        .success();
    // The task's own failure line only: the hook succeeded.
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    let args = read(&env, "curl.args");
    assert!(
        args.ends_with("--data-binary\n@-\nhttps://hooks.example.com/T0/B0/x\n"),
        "{args}"
    );
    assert!(args.contains("Content-Type: application/json\n"), "{args}");
    let body: Value = serde_json::from_str(read(&env, "curl.stdin").trim_end()).unwrap();
    let task = archived(&env, "w1");
    let error = "executor exited with status 3: disk full";
    assert_eq!(task["error"], error);
    if has_jq() {
        assert_eq!(
            body["text"],
            format!("defer: task w1 failed: Nightly backup ({error})")
        );
        assert_eq!(body["task_id"], "w1");
        assert_eq!(body["status"], "failed");
        assert_eq!(body["summary"], "Nightly backup");
        assert_eq!(body["error"], error);
        assert_eq!(body["record"], task);
    } else {
        assert_eq!(body, task);
    }
}

#[test]
fn webhook_reads_the_url_file_and_reports_http_errors() {
    let env = Env::new();
    let fakes = fake(
        &env,
        "curl",
        "echo 'curl: (22) The requested URL returned error: 500' >&2; exit 22",
    );
    let config = env.home().join(".config/defer");
    fs::create_dir_all(&config).unwrap();
    fs::write(config.join("webhook-url"), "https://from.file/hook\n").unwrap();
    let out = failing_run(&env, "DEFER_ON_FAILURE", &example("webhook.sh"), &fakes).success();
    assert!(read(&env, "curl.args").ends_with("https://from.file/hook\n"));
    assert_eq!(
        out.stderr_lines()[1],
        "defer: hook DEFER_ON_FAILURE failed for task w1: exited with status 22: curl: (22) The requested URL returned error: 500"
    );
    assert_eq!(archived(&env, "w1")["status"], "failed");
}

#[test]
fn webhook_without_a_url_fails_clearly() {
    let env = Env::new();
    let fakes = fake(&env, "curl", "exit 0");
    let out = failing_run(&env, "DEFER_ON_FAILURE", &example("webhook.sh"), &fakes).success();
    let file = env.home().join(".config/defer/webhook-url");
    assert_eq!(
        out.stderr_lines()[1],
        format!(
            "defer: hook DEFER_ON_FAILURE failed for task w1: exited with status 2: webhook.sh: no URL: set DEFER_WEBHOOK_URL or write it to {}",
            file.display()
        )
    );
    assert!(
        !env.root().join("curl.args").exists(),
        "curl ran without a URL"
    );
}

#[test]
fn notify_calls_notify_send() {
    let env = Env::new();
    let fakes = fake(&env, "notify-send", "exit 0");
    let out = failing_run(&env, "DEFER_ON_FAILURE", &example("notify.sh"), &fakes).success();
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    let expected = if has_jq() {
        "-u\ncritical\ndefer: w1 failed\nNightly backup — executor exited with status 3: disk full\n"
    } else {
        "-u\ncritical\ndefer: w1 failed\nw1\n"
    };
    assert_eq!(read(&env, "notify-send.args"), expected);
    assert_eq!(
        fs::read_to_string(env.log_dir().join("w1.hook.txt")).unwrap(),
        ""
    );
}

#[test]
fn notify_prints_the_line_when_notify_send_fails() {
    let env = Env::new();
    // As under cron with no desktop session.
    let fakes = fake(
        &env,
        "notify-send",
        "echo 'cannot open display' >&2; exit 1",
    );
    schedule_now(&env, "n1", "Water the plants");
    env.cmd(&["run"])
        .env("PATH", path_with(&fakes))
        .env("DEFER_ON_SUCCESS", example("notify.sh"))
        .success()
        .assert_stderr_empty();
    let expected = if has_jq() {
        "defer: n1 completed: Water the plants\n"
    } else {
        "defer: n1 completed: n1\n"
    };
    assert_eq!(
        fs::read_to_string(env.log_dir().join("n1.hook.txt")).unwrap(),
        expected
    );
    assert!(read(&env, "notify-send.args").starts_with("-u\nnormal\n"));
}
