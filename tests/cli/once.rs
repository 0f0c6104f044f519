//! Exactly once, on time (SPEC §19), through the binary: a series stays one chain
//! whatever compaction, retries, skips, pauses and `--replace` do; lateness is judged
//! when the run found the task due; a claim whose executor never started is no attempt.
//! Other "nows" come from libfaketime (`Env::at`), the clock running from there.

use std::fs;

use serde_json::{json, Value};

use crate::support::{record_with, Env};

/// Every record (active store and archives), latest snapshot per id.
fn everything(env: &Env) -> Vec<Value> {
    let mut all: Vec<Value> = env.archive_records();
    all.extend(env.latest().into_values());
    all
}

/// The latest snapshots of series `series`, by occurrence number; panics on a fork
/// (two tasks with one occurrence number).
fn occurrences(env: &Env, series: &str) -> Vec<Value> {
    let mut found: Vec<Value> = everything(env)
        .into_iter()
        .filter(|t| t["series"]["id"] == series)
        .collect();
    found.sort_by_key(|t| t["series"]["occurrence"].as_u64());
    let numbers: Vec<u64> = found
        .iter()
        .map(|t| t["series"]["occurrence"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert_eq!(
        numbers, expected,
        "occurrence numbers of {series}: {found:#?}"
    );
    found
}

/// The latest snapshot of `id`, in the active store or archived.
fn record(env: &Env, id: &str) -> Value {
    everything(env)
        .into_iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no task {id}"))
}

fn statuses(occurrences: &[Value]) -> Vec<&str> {
    occurrences
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect()
}

/// Schedules at `when` (UTC) with `args`; the new task's JSON.
fn schedule(env: &Env, when: &str, args: &[&str]) -> Value {
    let mut all = vec!["schedule", "--summary", "s", "--compact"];
    all.extend_from_slice(args);
    env.at(when, &all).success().json()
}

/// A directory where the task's output file goes: the runner cannot open it, so each
/// claim of the task is released (a runner error, SPEC §11).
fn block_output(env: &Env, id: &str) -> std::path::PathBuf {
    let output = env.log_dir().join(format!("{id}.output.txt"));
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join("keep"), "x").unwrap();
    output
}

#[test]
fn a_released_claim_never_links_again_after_the_next_occurrence_is_compacted() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "o",
            "--",
            "true",
        ],
    );
    let output = block_output(&env, "o");
    env.at("2026-12-01 10:00:10", &["run"]).failure(1);
    assert_eq!(
        statuses(&occurrences(&env, "o")),
        ["scheduled", "scheduled"]
    );
    // Occurrence 2 runs (occurrence 1 is released again), then is archived and
    // compacted away: the active store no longer knows it.
    env.at("2026-12-01 11:00:10", &["run"]).failure(1);
    env.at("2026-12-01 11:01:00", &["archive"]).success();
    let occ = occurrences(&env, "o");
    assert_eq!(statuses(&occ), ["scheduled", "completed", "scheduled"]);
    let second = occ[1]["id"].as_str().unwrap();
    let in_store = env.latest().into_keys().any(|id| id == second);
    assert!(!in_store, "occurrence 2 was compacted away");
    // Occurrence 1's claim is taken and released again and again: no second link.
    for minute in ["11:02:10", "11:03:10"] {
        env.at(&format!("2026-12-01 {minute}"), &["run"]).failure(1);
        assert_eq!(occurrences(&env, "o").len(), 3);
    }
    fs::remove_dir_all(&output).unwrap();
    env.at("2026-12-01 11:04:10", &["run"]).success();
    let occ = occurrences(&env, "o");
    assert_eq!(statuses(&occ), ["completed", "completed", "scheduled"]);
    assert_eq!(occ[0]["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(occ[0]["series"]["next_id"], occ[1]["id"]);
    assert_eq!(occ[2]["run_at"], "2026-12-01T12:00:00Z");
    let linked = env
        .log_events("scheduled")
        .into_iter()
        .filter(|l| l.contains(" series=o "))
        .count();
    assert_eq!(linked, 2, "occurrences 2 and 3, each linked once");
}

#[test]
fn skipping_a_retry_after_the_next_occurrence_was_compacted_does_not_fork() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "h",
            "--max-retries",
            "1",
            "--retry-delay",
            "2h",
        ],
    );
    let fail = env.write_executor("fail", "exit 1");
    let ok = env.write_executor("ok", "exit 0");
    env.at("2026-12-01 10:00:10", &["run"])
        .env("DEFER_EXECUTOR", fail.to_str().unwrap())
        .success();
    env.at("2026-12-01 11:00:10", &["run"])
        .env("DEFER_EXECUTOR", ok.to_str().unwrap())
        .success();
    env.at("2026-12-01 11:01:00", &["archive"]).success();
    let occ = occurrences(&env, "h");
    assert_eq!(statuses(&occ), ["scheduled", "completed", "scheduled"]);
    assert_eq!(occ[0]["attempts"], 1, "occurrence 1 waits for its retry");
    env.at("2026-12-01 11:02:00", &["cancel", "h", "--occurrence"])
        .success();
    for at in ["2026-12-01 11:03:00", "2026-12-01 12:00:10"] {
        env.at(at, &["run"])
            .env("DEFER_EXECUTOR", ok.to_str().unwrap())
            .success();
    }
    // One chain, one live occurrence, on the hour.
    let occ = occurrences(&env, "h");
    assert_eq!(
        statuses(&occ),
        ["cancelled", "completed", "completed", "scheduled"]
    );
    assert_eq!(occ[3]["run_at"], "2026-12-01T13:00:00Z");
}

#[test]
fn replace_on_a_keyed_series_with_a_pending_retry_replaces_the_series() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "k",
            "--key",
            "K",
            "--max-retries",
            "1",
            "--retry-delay",
            "2h",
        ],
    );
    let fail = env.write_executor("fail", "exit 1");
    env.at("2026-12-01 10:00:10", &["run"])
        .env("DEFER_EXECUTOR", fail.to_str().unwrap())
        .success();
    assert_eq!(
        statuses(&occurrences(&env, "k")),
        ["scheduled", "scheduled"]
    );
    let out = env
        .at(
            "2026-12-01 10:05:00",
            &[
                "schedule",
                "--summary",
                "new",
                "--key",
                "K",
                "--replace",
                "--id",
                "n",
                "--when",
                "2026-12-01T11:30:00Z",
            ],
        )
        .success();
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    let live: Vec<String> = env
        .latest()
        .into_values()
        .filter(|t| {
            t["key"] == "K"
                && ["scheduled", "paused", "executing"].contains(&t["status"].as_str().unwrap())
        })
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(live, ["n"]);
    for t in occurrences(&env, "k") {
        assert_eq!(t["cancel_reason"], "replaced by n", "{t}");
    }
}

#[test]
fn skipping_an_occurrence_of_a_paused_series_leaves_it_paused() {
    // Paused by hand.
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "p",
        ],
    );
    env.at("2026-12-01 09:59:10", &["pause", "p"]).success();
    env.at("2026-12-01 09:59:20", &["cancel", "p", "--occurrence"])
        .success();
    env.at("2026-12-01 11:00:10", &["run"]).success();
    let occ = occurrences(&env, "p");
    assert_eq!(statuses(&occ), ["cancelled", "paused"]);
    // Paused by the breaker.
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "b",
            "--pause-after",
            "1",
        ],
    );
    let fail = env.write_executor("fail", "exit 1");
    env.at("2026-12-01 10:00:10", &["run"])
        .env("DEFER_EXECUTOR", fail.to_str().unwrap())
        .success();
    let occ = occurrences(&env, "b");
    assert_eq!(statuses(&occ), ["failed", "paused"]);
    let second = occ[1]["id"].as_str().unwrap().to_string();
    env.at("2026-12-01 10:30:00", &["cancel", &second, "--occurrence"])
        .success();
    env.at("2026-12-01 12:00:10", &["run"])
        .env("DEFER_EXECUTOR", fail.to_str().unwrap())
        .success();
    let occ = occurrences(&env, "b");
    assert_eq!(statuses(&occ), ["failed", "cancelled", "paused"]);
    assert_eq!(occ[2]["run_at"], "2026-12-01T12:00:00Z");
}

#[test]
fn a_task_due_on_time_is_not_late_because_a_slower_one_ran_first() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:58:00",
        &[
            "--when",
            "2026-12-01T09:59:59Z",
            "--id",
            "slow",
            "--",
            "sleep",
            "3",
        ],
    );
    schedule(
        &env,
        "2026-12-01 09:58:00",
        &[
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "punctual",
            "--missed",
            "skip",
            "--grace",
            "1s",
            "--",
            "true",
        ],
    );
    // One slot: the punctual task waits for the slow one (§20 would run them side by side).
    env.at("2026-12-01 10:00:00", &["run"])
        .env("DEFER_MAX_PARALLEL", "1")
        .success();
    let punctual = record(&env, "punctual");
    assert_eq!(punctual["status"], "completed", "{punctual}");
    assert!(punctual.get("late_by_seconds").is_none(), "{punctual}");
    let slow = record(&env, "slow");
    assert_eq!(slow["status"], "completed");
    // It was claimed when the runner reached it, after the slow one.
    assert!(punctual["started_at"].as_str() >= slow["completed_at"].as_str());
}

#[test]
fn a_claim_whose_executor_never_started_is_no_attempt() {
    let env = Env::new();
    // The runner died between the claim and the spawn: no executor recorded. (Its
    // retry time is still ahead, so this run only recovers it.)
    env.write_store(
        record_with(
            "never",
            &[
                ("status", json!("executing")),
                ("run_at", json!("2026-12-01T10:30:00Z")),
                ("started_at", json!("2026-12-01T09:59:01Z")),
                ("max_retries", json!(0)),
            ],
        ) + "\n",
    );
    let ran = env.root().join("ran");
    let exe = env.write_executor("mark", r#"echo x >> "$RAN""#);
    let run = |at: &str| {
        env.at(at, &["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .env("RAN", ran.to_str().unwrap())
            .success()
            .assert_stderr_empty();
    };
    run("2026-12-01 10:00:00");
    let task = record(&env, "never");
    assert_eq!(task["status"], "scheduled", "{task}");
    assert_eq!(task["attempts"], 0);
    assert_eq!(task["run_at"], "2026-12-01T10:30:00Z");
    assert!(task.get("started_at").is_none(), "{task}");
    assert!(task.get("result").is_none(), "{task}");
    assert!(!ran.exists());
    let released = env.log_events("released");
    assert_eq!(released.len(), 1, "{released:?}");
    assert!(released[0].contains("id=never"), "{released:?}");
    assert!(env.log_events("interrupted").is_empty());
    // At its time it runs: its one and only attempt.
    run("2026-12-01 10:30:05");
    let task = record(&env, "never");
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(task["history"].as_array().map(Vec::len), Some(1), "{task}");
    assert_eq!(fs::read_to_string(&ran).unwrap(), "x\n");
}

#[test]
fn a_claim_whose_executor_started_and_died_still_counts() {
    let env = Env::new();
    env.write_store(
        record_with(
            "started",
            &[
                ("status", json!("executing")),
                ("run_at", json!("2026-12-01T09:59:00Z")),
                ("started_at", json!("2026-12-01T09:59:01Z")),
                ("max_retries", json!(0)),
                // A process long gone (no live process has this start time).
                ("executor", json!({"pid": 999_999_999u32, "started": 1})),
            ],
        ) + "\n",
    );
    let out = env.at("2026-12-01 10:00:00", &["run"]).success();
    assert_eq!(
        out.stderr,
        "defer: task started failed after 1 attempt: interrupted\n"
    );
    let task = record(&env, "started");
    assert_eq!(
        (task["status"].as_str(), task["attempts"].as_u64()),
        (Some("failed"), Some(1))
    );
    assert!(env.log_events("released").is_empty());
}

#[test]
fn the_executor_starts_only_once_its_process_is_recorded() {
    let env = Env::new();
    let seen = env.root().join("seen");
    // The executor reads the store the moment it starts: its own pid is there.
    let exe = env.write_executor(
        "look",
        r#"grep -c "\"executor\":{\"pid\":$$," "$STORE" > "$SEEN""#,
    );
    env.at(
        "2026-12-01 09:59:00",
        &[
            "schedule",
            "--summary",
            "s",
            "--id",
            "g",
            "--when",
            "2026-12-01T10:00:00Z",
        ],
    )
    .success();
    env.at("2026-12-01 10:00:00", &["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("STORE", env.store_path().to_str().unwrap())
        .env("SEEN", seen.to_str().unwrap())
        .success();
    assert_eq!(record(&env, "g")["status"], "completed");
    assert_eq!(fs::read_to_string(&seen).unwrap(), "1\n");
}
