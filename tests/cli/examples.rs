//! The example executors in `examples/executors/`, run through `defer run`.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use crate::runner::archived;
use crate::support::{is_timestamp, schedule_due, Env};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/executors")
        .join(name)
}

fn has_jq() -> bool {
    std::process::Command::new("sh")
        .args(["-c", "command -v jq"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn notify_appends_a_notification_line() {
    let env = Env::new();
    let file = env.root().join("notifications.log");
    fs::write(&file, "earlier line\n").unwrap();
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--id",
        "n1",
        "--summary",
        "Water the plants",
    ])
    .success();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", example("notify.sh").to_str().unwrap())
        .env("DEFER_NOTIFY_FILE", file.to_str().unwrap())
        .success()
        .assert_stderr_empty();
    let text = fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "earlier line");
    let (stamp, rest) = lines[1].split_once(' ').unwrap();
    assert!(is_timestamp(stamp), "{}", lines[1]);
    let expected = if has_jq() {
        "n1 Water the plants"
    } else {
        "n1 n1"
    };
    assert_eq!(rest, expected);
    let task = archived(&env, "n1");
    assert_eq!(task["status"], "completed");
    assert_eq!(task["result"]["output"], format!("{}\n", lines[1]));
}

#[test]
fn notify_fails_when_it_cannot_write() {
    let env = Env::new();
    schedule_due(&env, "n2", &[]);
    let file = env.root().join("no-such-dir/notifications.log");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", example("notify.sh").to_str().unwrap())
        .env("DEFER_NOTIFY_FILE", file.to_str().unwrap())
        .success();
    let task = archived(&env, "n2");
    assert_eq!(task["status"], "failed");
    assert!(
        task["result"]["output"]
            .as_str()
            .unwrap()
            .contains("notify.sh: cannot append to"),
        "{task}"
    );
}

#[test]
fn agent_cli_passes_the_prompt_to_the_agent_command() {
    let env = Env::new();
    let agent = env.write_executor("fake-agent", r#"printf 'flag=%s\n' "$1"; printf '%s' "$2""#);
    env.cmd(&[
        "schedule",
        "--when",
        "now",
        "--id",
        "a1",
        "--summary",
        "Review the PR",
    ])
    .success();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", example("agent-cli.sh").to_str().unwrap())
        .env("DEFER_AGENT_CMD", format!("{} --print", agent.display()))
        .success();
    let task = archived(&env, "a1");
    assert_eq!(task["status"], "completed", "{task}");
    let prompt = fs::read_to_string(env.log_dir().join("a1.prompt.txt")).unwrap();
    // $(cat ...) drops the prompt's final newline.
    assert_eq!(
        task["result"]["output"],
        format!("flag=--print\n{}", prompt.trim_end_matches('\n'))
    );
}

#[test]
fn agent_cli_fails_clearly_without_the_agent() {
    let env = Env::new();
    schedule_due(&env, "a2", &[]);
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", example("agent-cli.sh").to_str().unwrap())
        .env("DEFER_AGENT_CMD", "no-such-agent-cli -p")
        .success();
    let task = archived(&env, "a2");
    assert_eq!(task["status"], "failed");
    assert_eq!(
        task["error"],
        "executor exited with status 127: agent-cli.sh: agent command not found: 'no-such-agent-cli' (set DEFER_AGENT_CMD)"
    );
    assert_eq!(
        task["result"]["output"],
        "agent-cli.sh: agent command not found: 'no-such-agent-cli' (set DEFER_AGENT_CMD)\n"
    );
}

#[test]
fn log_json_keeps_the_task() {
    let env = Env::new();
    schedule_due(&env, "j1", &[]);
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", example("log-json.sh").to_str().unwrap())
        .success();
    let path = env.runtime_dir().join("executed/j1.json");
    let saved: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["id"], "j1");
    assert_eq!(saved["status"], "executing");
    assert_eq!(crate::support::mode(&path), 0o600);
    let task = archived(&env, "j1");
    assert_eq!(task["result"]["output"], format!("{}\n", path.display()));
}
