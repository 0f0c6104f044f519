//! Lineage: `parent_id` from `DEFER_TASK_ID` (an executor deferring a follow-up),
//! `--parent`, `--no-parent`; `show --chain` over the store and the archives; and the
//! other `show` additions: `--prompt` before a run, `--output --follow`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{record_with, schedule_due, wait_until, Env};

fn chain_ids(env: &Env, id: &str) -> Vec<String> {
    env.cmd(&["show", id, "--chain", "--compact"])
        .success()
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_executor_that_schedules_links_its_follow_up() {
    let env = Env::new();
    let executor = env.write_executor(
        "defers",
        r#"cat >/dev/null
"$DEFER_BIN" schedule --when 1h --summary "follow-up of $DEFER_TASK_ID" --id child1 --compact"#,
    );
    schedule_due(&env, "root", &[]);
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .env("DEFER_BIN", crate::support::BIN)
        .success();
    let child = env.task("child1");
    assert_eq!(child["parent_id"], "root");
    assert_eq!(child["context"]["summary"], "follow-up of root");
    // root completed and was swept to the archive; the chain still finds it.
    assert!(!env.latest().contains_key("root"));
    assert_eq!(chain_ids(&env, "child1"), ["root", "child1"]);
    assert_eq!(chain_ids(&env, "root"), ["root", "child1"]);

    // A grandchild, and a second child made later: depth first, creation order.
    env.cmd(&[
        "schedule",
        "--when",
        "2h",
        "--summary",
        "g",
        "--id",
        "grandchild",
        "--parent",
        "child1",
    ])
    .success();
    std::thread::sleep(Duration::from_millis(1100));
    env.cmd(&[
        "schedule",
        "--when",
        "2h",
        "--summary",
        "c2",
        "--id",
        "child2",
    ])
    .env("DEFER_TASK_ID", "root")
    .success();
    let expected = ["root", "child1", "grandchild", "child2"];
    assert_eq!(chain_ids(&env, "grandchild"), expected);
    assert_eq!(chain_ids(&env, "child2"), expected);
    // Latest records: root's is its completed one.
    let chain = env.cmd(&["show", "child2", "--chain"]).success().json();
    assert_eq!(chain[0]["status"], "completed");
    assert_eq!(chain[3]["parent_id"], "root");

    // An unrelated task is its own chain.
    env.schedule("alone", "alone");
    assert_eq!(chain_ids(&env, "alone"), ["alone"]);
}

#[test]
fn parent_flags_and_bad_parents() {
    let env = Env::new();
    env.schedule("p", "parent");
    let record = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--no-parent",
            "--compact",
        ])
        .env("DEFER_TASK_ID", "p")
        .success()
        .json();
    assert!(record.get("parent_id").is_none(), "{record}");
    let record = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--parent",
            "p",
            "--dry-run",
            "--compact",
        ])
        .success()
        .json();
    assert_eq!(record["parent_id"], "p");
    let before = env.store_bytes();
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--parent",
            "p",
            "--no-parent",
        ])
        .failure(2);
    assert!(out.stderr.contains("--no-parent"), "{}", out.stderr);
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--parent",
            "nope",
        ])
        .failure(1);
    assert_eq!(
        out.stderr,
        "defer: invalid --parent 'nope': no task with that id in the store or the archives\n"
    );
    let out = env
        .cmd(&["schedule", "--when", "1h", "--summary", "s"])
        .env("DEFER_TASK_ID", "../etc")
        .failure(1);
    assert!(
        out.stderr
            .starts_with("defer: invalid DEFER_TASK_ID '../etc'"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1);
    assert_eq!(env.store_bytes(), before, "nothing written on an error");
    let out = env.cmd(&["show", "ghost", "--chain"]).failure(1);
    assert_eq!(out.stderr, "defer: task not found: ghost\n");
}

#[test]
fn chains_survive_cycles_and_invalid_parent_ids() {
    let env = Env::new();
    let lines = [
        record_with("x", &[("parent_id", json!("y"))]),
        record_with("y", &[("parent_id", json!("x"))]),
        record_with("z", &[("parent_id", json!("../../etc/passwd"))]),
        record_with("w", &[("parent_id", json!("w"))]),
        record_with("orphan", &[("parent_id", json!("gone"))]),
    ];
    env.write_store(lines.join("\n") + "\n");
    let mut cycle = chain_ids(&env, "x");
    cycle.sort();
    assert_eq!(cycle, ["x", "y"]);
    assert_eq!(chain_ids(&env, "z"), ["z"]);
    assert_eq!(chain_ids(&env, "w"), ["w"]);
    assert_eq!(chain_ids(&env, "orphan"), ["orphan"]);
}

#[test]
fn show_prompt_before_a_run_is_the_prompt_it_would_get() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "Check the build",
        "--id",
        "t1",
        "--key-point",
        "CI was red",
    ])
    .success();
    let out = env.cmd(&["show", "t1", "--prompt"]).success();
    assert_eq!(
        out.stderr,
        "defer: note: task t1 has not run yet; this is the prompt it would get now\n"
    );
    assert!(
        out.stdout
            .starts_with("You are resuming a deferred task.\n\nTask ID: t1\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Key Points:\n- CI was red\n"),
        "{}",
        out.stdout
    );
    assert!(
        !env.log_dir().join("t1.prompt.txt").exists(),
        "nothing written"
    );
    // After the run: the file, and no note.
    schedule_due(&env, "t2", &[]);
    env.cmd(&["run"]).success();
    let out = env.cmd(&["show", "t2", "--prompt"]).success();
    out.assert_stderr_empty();
    let file = std::fs::read_to_string(env.log_dir().join("t2.prompt.txt")).unwrap();
    assert_eq!(out.stdout, file);
}

#[test]
fn show_output_follow_streams_while_the_task_runs() {
    let env = Env::new();
    let executor = env.write_executor(
        "slow",
        "echo one; sleep 0.6; echo two; sleep 0.6; echo three",
    );
    schedule_due(&env, "slow", &[]);
    let mut runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the task executes", Duration::from_secs(20), || {
        env.latest()
            .get("slow")
            .is_some_and(|t| t["status"] == "executing")
    });
    let started = Instant::now();
    let mut follow = env
        .cmd(&["show", "slow", "--output", "--follow"])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(follow.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "one\n");
    // Streamed: the first line arrived while the executor was still running.
    let status: Option<Value> = env.latest().get("slow").map(|t| t["status"].clone());
    assert_eq!(
        status,
        Some(json!("executing")),
        "the first line came only at the end"
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "two\nthree\n");
    assert!(follow.wait().unwrap().success());
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(runner.wait().unwrap().success());
    // Returned because the task ended: the record is final now.
    let done = env.cmd(&["show", "slow"]).success().json();
    assert_eq!(done["status"], "completed");
    // A finished task: --follow prints the file and returns at once.
    let out = env.cmd(&["show", "slow", "--output", "--follow"]).success();
    assert_eq!(out.stdout, "one\ntwo\nthree\n");
    // --follow needs --output.
    env.cmd(&["show", "slow", "--follow"]).failure(2);
    let out = env
        .cmd(&["show", "ghost", "--output", "--follow"])
        .failure(1);
    assert_eq!(out.stderr, "defer: task not found: ghost\n");
    // Not executing and no output file: the same error as --output.
    env.schedule("waiting", "w");
    let out = env
        .cmd(&["show", "waiting", "--output", "--follow"])
        .failure(1);
    assert!(
        out.stderr
            .contains("no output file for task waiting (scheduled)"),
        "{}",
        out.stderr
    );
}
