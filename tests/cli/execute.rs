//! `defer execute` (SPEC §6): one task now, from the store (`--id`, must be scheduled)
//! or from stdin JSON (store untouched); prints the resulting record.

use std::fs;

use serde_json::Value;

use crate::support::Env;

/// The store's snapshots of `id`, in order.
fn snapshots(env: &Env, id: &str) -> Vec<Value> {
    env.records()
        .into_iter()
        .filter(|r| r["id"] == id)
        .collect()
}

#[test]
fn execute_by_id_runs_a_future_task_now() {
    let env = Env::new();
    env.schedule("x1", "run me early");
    let out = env.cmd(&["execute", "--id", "x1", "--compact"]).success();
    out.assert_stderr_empty();
    let printed = out.json();
    assert_eq!(printed["status"], "completed");
    assert_eq!(printed["result"]["type"], "prompt_prepared");
    let statuses: Vec<Value> = snapshots(&env, "x1")
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, ["scheduled", "executing", "completed"]);
    assert_eq!(snapshots(&env, "x1")[2], printed, "prints what it stored");
    assert!(env.log_dir().join("x1.prompt.txt").exists());
}

#[test]
fn execute_by_id_pretty_prints_by_default() {
    let env = Env::new();
    env.schedule("x2", "pretty");
    let out = env.cmd(&["execute", "--id", "x2"]).success();
    assert!(out.stdout.lines().count() > 5, "{}", out.stdout);
    assert_eq!(out.json()["status"], "completed");
}

#[test]
fn execute_by_id_reports_a_failure_but_prints_the_record() {
    let env = Env::new();
    let exe = env.write_executor("boom", "echo nope; exit 5");
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "s",
        "--id",
        "f1",
        "--max-retries",
        "1",
    ])
    .success();
    env.cmd(&["schedule", "--when", "1h", "--summary", "s", "--id", "f0"])
        .success();

    let out = env
        .cmd(&["execute", "--id", "f1", "--compact"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .failure(1);
    let line = out.error_line();
    assert!(
        line.contains("f1") && line.contains("executor exited with status 5"),
        "{line}"
    );
    let printed = out.json();
    assert_eq!(printed["status"], "scheduled");
    assert_eq!(printed["result"]["type"], "retry_scheduled");
    assert_eq!(printed["attempts"], 1);

    let out = env
        .cmd(&["execute", "--id", "f0", "--compact"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .failure(1);
    out.error_line();
    assert_eq!(out.json()["status"], "failed");
    assert_eq!(out.json()["result"]["output"], "nope\n");
    let statuses: Vec<Value> = snapshots(&env, "f0")
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    // The claim, then the claim naming the executor's process once it ran (SPEC §11).
    assert_eq!(statuses, ["scheduled", "executing", "executing", "failed"]);
    let snapshots = snapshots(&env, "f0");
    assert!(snapshots[1].get("executor").is_none());
    assert!(snapshots[2]["executor"]["pid"]
        .as_u64()
        .is_some_and(|pid| pid > 1));
    assert!(snapshots[3].get("executor").is_none());
}

#[test]
fn execute_by_id_refuses_other_statuses_and_unknown_ids() {
    let env = Env::new();
    env.schedule("c1", "cancel me");
    env.cmd(&["cancel", "c1"]).success();
    env.schedule("d1", "done");
    env.cmd(&["execute", "--id", "d1"]).success();
    let store = env.store_bytes();
    for (id, status) in [("c1", "cancelled"), ("d1", "completed")] {
        let out = env.cmd(&["execute", "--id", id]).failure(1);
        assert_eq!(out.stdout, "");
        let line = out.error_line();
        assert!(line.contains(id) && line.contains(status), "{line}");
    }
    let out = env.cmd(&["execute", "--id", "nope"]).failure(1);
    assert_eq!(out.error_line(), "defer: task not found: nope");
    assert_eq!(env.store_bytes(), store, "refusals write nothing");
}

#[test]
fn execute_from_stdin_runs_without_touching_the_store() {
    let env = Env::new();
    env.schedule("other", "already here");
    let store = env.store_bytes();
    let task = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "piped",
            "--id",
            "p1",
            "--dry-run",
            "--compact",
        ])
        .success()
        .stdout;
    assert_eq!(env.store_bytes(), store, "dry run");
    let seen = env.root().join("stdin.json");
    let exe = env.write_executor("probe", r#"cat > "$SEEN"; echo "ran $DEFER_TASK_ID""#);
    let out = env
        .cmd(&["execute", "--compact"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("SEEN", seen.to_str().unwrap())
        .stdin(task)
        .success();
    let printed = out.json();
    assert_eq!(printed["id"], "p1");
    assert_eq!(printed["status"], "completed");
    assert_eq!(printed["result"]["type"], "executor_output");
    assert_eq!(printed["result"]["output"], "ran p1\n");
    let given: Value = serde_json::from_str(&fs::read_to_string(&seen).unwrap()).unwrap();
    assert_eq!(given["status"], "executing");
    assert_eq!(given["context"]["summary"], "piped");
    assert!(env.log_dir().join("p1.prompt.txt").exists());
    assert_eq!(
        env.store_bytes(),
        store,
        "execute from stdin never writes the store"
    );
}

#[test]
fn execute_from_stdin_failure_exits_one_with_the_record() {
    let env = Env::new();
    let task = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--id",
            "p2",
            "--dry-run",
            "--compact",
        ])
        .success()
        .stdout;
    let exe = env.write_executor("boom", "exit 7");
    let out = env
        .cmd(&["execute", "--compact"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .stdin(task)
        .failure(1);
    out.error_line();
    assert_eq!(out.json()["status"], "failed");
    assert!(!env.store_exists() || env.store_bytes().is_empty());
}

#[test]
fn execute_rejects_invalid_stdin() {
    let env = Env::new();
    let bad_id = crate::support::record_with("x", &[("id", serde_json::json!("../escape"))]);
    for input in ["", "not json", "{\"id\":\"x\"}", "[1]", &bad_id] {
        let out = env.cmd(&["execute"]).stdin(input).failure(1);
        assert_eq!(out.stdout, "", "{input:?}");
        out.error_line();
    }
    assert!(!env.store_exists());
    assert!(!env.runtime_dir().join("escape.prompt.txt").exists());
}

/// Schedules `slow` and `quick`, both due, and starts `execute --id slow`, whose
/// executor waits for the returned `go` file; returns once `slow` is executing.
fn a_slow_execute(env: &Env) -> (std::process::Child, std::path::PathBuf, String) {
    let go = env.root().join("go");
    let exe = env.write_executor(
        "slow-or-quick",
        &format!(
            r#"cat > /dev/null
if [ "$DEFER_TASK_ID" = slow ]; then
  i=0
  while [ ! -f '{}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
fi
echo "done $DEFER_TASK_ID""#,
            go.display()
        ),
    );
    let exe = exe.to_str().unwrap().to_string();
    for id in ["slow", "quick"] {
        env.cmd(&["schedule", "--when", "now", "--summary", id, "--id", id])
            .success();
    }
    let child = env
        .cmd(&["execute", "--id", "slow", "--compact"])
        .env("DEFER_EXECUTOR", &exe)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while env.task("slow")["status"] != "executing" {
        assert!(started.elapsed().as_secs() < 20, "slow never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, go, exe)
}

/// Lets the slow executor finish; `execute` must exit 0 with the completed record.
fn finish(env: &Env, child: std::process::Child, go: &std::path::Path) {
    fs::write(go, "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["status"], "completed");
    assert_eq!(env.task("slow")["status"], "completed");
}

/// `execute --id` holds the runner lock only while it claims: while its task runs,
/// cron's `run` still dispatches the other due tasks (SPEC §20's slots count it).
#[test]
fn a_long_execute_by_id_does_not_hold_up_the_runner() {
    let env = Env::new();
    let (child, go, exe) = a_slow_execute(&env);
    let run = env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Completed, and archived by the same run's sweep.
    let quick: Value =
        serde_json::from_str(&env.cmd(&["show", "quick", "--compact"]).success().stdout).unwrap();
    assert_eq!(quick["status"], "completed", "{}", run.stderr);
    assert_eq!(env.task("slow")["status"], "executing");
    assert!(env.log_events("runner skipped").is_empty());
    finish(&env, child, &go);
}

/// The task `execute --id` runs takes a slot like a run's own (SPEC §20): with one slot,
/// a run beside it starts nothing.
#[test]
fn a_task_executed_by_id_takes_a_slot() {
    let env = Env::new();
    let (child, go, exe) = a_slow_execute(&env);
    let run = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", &exe)
        .env("DEFER_MAX_PARALLEL", "1")
        .run();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(env.task("quick")["status"], "scheduled", "{}", run.stderr);
    finish(&env, child, &go);
    env.cmd(&["run"]).env("DEFER_EXECUTOR", &exe).success();
    let quick: Value =
        serde_json::from_str(&env.cmd(&["show", "quick", "--compact"]).success().stdout).unwrap();
    assert_eq!(quick["status"], "completed");
}
