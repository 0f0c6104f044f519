//! Recurring tasks and missed runs (SPEC §12, §13's circuit breaker), through the
//! binary. Other "nows" come from libfaketime: `faketime -f '@2026-12-01 10:00:00'`
//! starts each process at that instant (read in TZ=UTC) with its clock running.

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{key_order, wait_until, Env};

const ORIGINAL: &str = include_str!("../fixtures/original/deferred.jsonl");

/// `defer <args>` as if started at `at` (UTC, `YYYY-MM-DD HH:MM:SS`).
fn at(env: &Env, when: &str, args: &[&str]) -> crate::support::Cmd {
    env.at(when, args)
}

/// Every record (active store and archives), latest snapshot per id.
fn everything(env: &Env) -> Vec<Value> {
    let mut all: Vec<Value> = env.archive_records();
    all.extend(env.latest().into_values());
    all
}

/// The latest snapshots of series `series`, by occurrence number (panics on a fork).
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
    assert_eq!(numbers, expected, "occurrence numbers of {series}");
    found
}

fn schedule(env: &Env, when: &str, args: &[&str]) -> Value {
    let mut all = vec!["schedule", "--summary", "s", "--compact"];
    all.extend_from_slice(args);
    at(env, when, &all).success().json()
}

#[test]
fn first_occurrence_for_each_form() {
    let env = Env::new();
    let every = schedule(&env, "2026-12-01 10:00:00", &["--every", "1h", "--id", "e"]);
    assert_eq!(every["run_at"], "2026-12-01T11:00:00Z");
    let series = &every["series"];
    // Exactly SPEC §12's fields in its order, then this implementation's two.
    assert!(
        env.store_lines()[0].contains(r#""series":{"id":"e","every":"1h","cron":null,"timezone":"America/New_York","until":null,"count":null,"occurrence":1,"missed":"run-once","grace_seconds":600,"pause_after":5,"consecutive_failures":0}"#),
        "{}",
        env.store_lines()[0]
    );
    assert_eq!(series["id"], "e");
    assert_eq!(series["every"], "1h");
    assert_eq!(series["cron"], Value::Null);
    assert_eq!(series["timezone"], "America/New_York");
    assert_eq!(series["occurrence"], 1);
    assert_eq!(series["missed"], "run-once");
    assert_eq!(series["grace_seconds"], 600);
    assert_eq!(series["pause_after"], 5);
    // 10:00 UTC is 05:00 in New York: the next 09:00 there is 14:00 UTC.
    let cron = schedule(
        &env,
        "2026-12-01 10:00:00",
        &["--cron", "0 9 * * *", "--id", "c"],
    );
    assert_eq!(cron["run_at"], "2026-12-01T14:00:00Z");
    assert_eq!(cron["series"]["cron"], "0 9 * * *");
    assert_eq!(cron["series"]["every"], Value::Null);
    let named = schedule(
        &env,
        "2026-12-01 10:00:00",
        &["--cron", "@weekly", "--id", "w"],
    );
    // Sunday 2026-12-06 00:00 EST.
    assert_eq!(named["run_at"], "2026-12-06T05:00:00Z");
    let given = schedule(
        &env,
        "2026-12-01 10:00:00",
        &[
            "--every",
            "1d",
            "--when",
            "2026-12-03T08:00:00Z",
            "--id",
            "g",
            "--grace",
            "1h",
            "--missed",
            "all",
        ],
    );
    assert_eq!(given["run_at"], "2026-12-03T08:00:00Z");
    assert_eq!(given["series"]["grace_seconds"], 3600);
    assert_eq!(given["series"]["missed"], "all");
    // The grace without --grace comes from DEFER_GRACE_SECONDS.
    let out = at(
        &env,
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--summary",
            "s",
            "--every",
            "2h",
            "--dry-run",
            "--compact",
        ],
    )
    .env("DEFER_GRACE_SECONDS", "120")
    .success()
    .json();
    assert_eq!(out["series"]["grace_seconds"], 120);
}

#[test]
fn a_plain_task_is_written_as_in_0_1() {
    let env = Env::new();
    let task = env.schedule("plain", "s");
    let line = env.store_lines()[0].clone();
    let original_keys = key_order(ORIGINAL.lines().next().unwrap());
    let mut expected = original_keys.clone();
    // 0.1 wrote attempts and max_retries after status, as the fixture's second line shows.
    expected.retain(|k| k != "attempts" && k != "max_retries");
    let mut got = key_order(&line);
    got.retain(|k| k != "attempts" && k != "max_retries");
    assert_eq!(got, expected);
    assert!(task.get("series").is_none() && task.get("missed").is_none());
    // Running it adds no late fields when it is on time.
    env.cmd(&["run"]).env("DEFER_GRACE_SECONDS", "0").success();
    // A 0.1 store runs unchanged: the fixture's records read and cancel as before.
    let old = Env::new();
    old.write_store(ORIGINAL);
    old.cmd(&["list", "--all", "--compact"])
        .success()
        .assert_stderr_empty();
    old.cmd(&["cancel", "task_20260408_170102_1193"]).success();
    let cancelled = old.store_lines().last().unwrap().clone();
    assert!(!cancelled.contains("series") && !cancelled.contains("late_by"));
}

#[test]
fn one_shot_missed_policy_is_stored_only_when_given() {
    let env = Env::new();
    let task = schedule(
        &env,
        "2026-12-01 10:00:00",
        &[
            "--when", "1h", "--missed", "skip", "--grace", "5m", "--id", "o",
        ],
    );
    assert_eq!(task["missed"], "skip");
    assert_eq!(task["grace_seconds"], 300);
    assert!(task.get("series").is_none());
    // Hours late: skipped, terminal `missed`, archived by missed_at; wait exits 1. Run
    // says so on stderr (SPEC §14).
    let out = at(&env, "2026-12-01 14:00:00", &["run"]).success();
    assert_eq!(
        out.stderr,
        "defer: task o missed (due 2026-12-01T11:00:00Z, late by 3h)\n"
    );
    let missed = crate::runner::archived(&env, "o");
    assert_eq!(missed["status"], "missed");
    assert_eq!(missed["missed_at"], "2026-12-01T14:00:00Z");
    assert_eq!(missed["late_by_seconds"], 3 * 3600);
    assert_eq!(missed["result"]["type"], "missed");
    assert!(missed.get("started_at").is_none());
    assert!(!env.log_dir().join("o.prompt.txt").exists());
    assert_eq!(env.log_events("missed").len(), 1);
    let waited = env.cmd(&["wait", "o", "--compact"]).failure(1);
    assert_eq!(waited.json()["status"], "missed");
    // The default policy runs it, late, with the Late: line and the environment.
    let exe = env.write_executor(
        "env",
        r#"echo "for=$DEFER_SCHEDULED_FOR late=$DEFER_LATE_SECONDS""#,
    );
    schedule(&env, "2026-12-01 10:00:00", &["--when", "1h", "--id", "r"]);
    at(&env, "2026-12-01 14:12:00", &["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    let ran = crate::runner::archived(&env, "r");
    assert_eq!(ran["status"], "completed");
    assert_eq!(ran["late_by_seconds"], 3 * 3600 + 12 * 60);
    let output = ran["result"]["output"].as_str().unwrap();
    assert!(
        output.starts_with("for=2026-12-01T11:00:00Z late=11520"),
        "{output}"
    );
    let prompt = fs::read_to_string(env.log_dir().join("r.prompt.txt")).unwrap();
    assert!(
        prompt.contains("Mode: fresh\nLate: due 2026-12-01T11:00:00Z, running at 2026-12-01T14:12:00Z (late by 3h 12m)\n\nSummary:"),
        "{prompt}"
    );
}

/// An hourly series due 07:00 reached by `run` at 10:12 (fires 08:00, 09:00, 10:00
/// passed too), under `policy`; `run` prints exactly `stderr` (SPEC §14).
fn hours_late(policy: &str, stderr: &str) -> Env {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 06:30:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T07:00:00Z",
            "--id",
            "h",
            "--missed",
            policy,
        ],
    );
    let out = at(&env, "2026-12-01 10:12:00", &["run"]).success();
    assert_eq!(out.stderr, stderr);
    env
}

#[test]
fn hours_late_run_once_runs_the_latest_fire() {
    let env = hours_late("run-once", "");
    let occ = occurrences(&env, "h");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[0]["run_at"], "2026-12-01T10:00:00Z");
    assert_eq!(occ[0]["missed_fires"], 3);
    assert_eq!(occ[0]["late_by_seconds"], 720);
    assert_eq!(occ[1]["status"], "scheduled");
    assert_eq!(occ[1]["run_at"], "2026-12-01T11:00:00Z");
    assert_eq!(env.log_events("missed").len(), 1);
}

#[test]
fn hours_late_skip_misses_and_continues_at_the_next_future_fire() {
    let env = hours_late(
        "skip",
        "defer: task h missed (due 2026-12-01T07:00:00Z, late by 3h 12m)\n",
    );
    let occ = occurrences(&env, "h");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "missed");
    assert_eq!(occ[0]["missed_fires"], 4);
    assert_eq!(occ[0]["late_by_seconds"], 11_520);
    assert_eq!(occ[1]["status"], "scheduled");
    assert_eq!(occ[1]["run_at"], "2026-12-01T11:00:00Z");
}

#[test]
fn hours_late_all_runs_every_fire_in_order() {
    let env = hours_late("all", "");
    let occ = occurrences(&env, "h");
    let runs: Vec<(&str, &str)> = occ
        .iter()
        .map(|t| (t["run_at"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        runs,
        [
            ("2026-12-01T07:00:00Z", "completed"),
            ("2026-12-01T08:00:00Z", "completed"),
            ("2026-12-01T09:00:00Z", "completed"),
            ("2026-12-01T10:00:00Z", "completed"),
            ("2026-12-01T11:00:00Z", "scheduled"),
        ]
    );
    let claimed = env.log_events("runner claimed");
    assert_eq!(claimed.len(), 4, "{claimed:?}");
}

#[test]
fn all_folds_more_than_a_hundred_fires_into_one_missed_occurrence() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 06:30:00",
        &[
            "--every",
            "1m",
            "--when",
            "2026-12-01T07:00:00Z",
            "--id",
            "m",
            "--missed",
            "all",
        ],
    );
    // 07:00 .. 09:00 is 121 fires: 21 are folded, the last 100 run.
    at(&env, "2026-12-01 09:00:30", &["run"]).success();
    let occ = occurrences(&env, "m");
    assert_eq!(occ[0]["status"], "missed");
    assert_eq!(occ[0]["missed_fires"], 21);
    assert_eq!(occ[1]["run_at"], "2026-12-01T07:21:00Z");
    let completed = occ.iter().filter(|t| t["status"] == "completed").count();
    assert_eq!(completed, 100);
    assert_eq!(occ.last().unwrap()["run_at"], "2026-12-01T09:01:00Z");
    assert_eq!(occ.last().unwrap()["status"], "scheduled");
}

#[test]
fn count_and_until_end_the_series() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:30:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--count",
            "2",
            "--id",
            "n",
        ],
    );
    schedule(
        &env,
        "2026-12-01 09:30:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--until",
            "2026-12-01T11:30:00Z",
            "--id",
            "u",
        ],
    );
    at(&env, "2026-12-01 10:00:10", &["run"]).success();
    at(&env, "2026-12-01 11:00:10", &["run"]).success();
    at(&env, "2026-12-01 12:00:10", &["run"]).success();
    for series in ["n", "u"] {
        let occ = occurrences(&env, series);
        assert_eq!(occ.len(), 2, "{series}: {occ:?}");
        assert!(occ.iter().all(|t| t["status"] == "completed"));
    }
    assert!(env.latest().values().all(|t| t["status"] != "scheduled"));
}

#[test]
fn new_york_dst_transitions_of_2027() {
    let env = Env::new();
    // Spring forward, 2027-03-14: 02:30 does not exist; it fires once at 03:00 EDT.
    let spring = schedule(
        &env,
        "2027-03-13 12:00:00",
        &["--cron", "30 2 * * *", "--id", "spring"],
    );
    assert_eq!(spring["run_at"], "2027-03-14T07:00:00Z");
    at(&env, "2027-03-14 07:00:20", &["run"]).success();
    let occ = occurrences(&env, "spring");
    assert_eq!(occ[1]["run_at"], "2027-03-15T06:30:00Z");
    // Fall back, 2027-11-07: 01:30 happens twice; `30 1 * * *` fires once.
    let autumn = schedule(
        &env,
        "2027-11-06 12:00:00",
        &["--cron", "30 1 * * *", "--id", "autumn"],
    );
    assert_eq!(autumn["run_at"], "2027-11-07T05:30:00Z");
    at(&env, "2027-11-07 05:30:20", &["run"]).success();
    at(&env, "2027-11-07 06:30:20", &["run"]).success();
    let occ = occurrences(&env, "autumn");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[1]["status"], "scheduled");
    assert_eq!(occ[1]["run_at"], "2027-11-08T06:30:00Z");
    // Preview agrees: stepping fields fire in both passes of the hour.
    let fires = at(
        &env,
        "2027-11-07 04:00:00",
        &["when", "--cron", "*/30 1 * * *", "--next", "5", "--compact"],
    )
    .success()
    .json();
    let utc: Vec<&str> = fires
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["utc"].as_str().unwrap())
        .collect();
    assert_eq!(
        utc,
        [
            "2027-11-07T05:00:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-07T06:00:00Z",
            "2027-11-07T06:30:00Z",
            "2027-11-08T06:00:00Z"
        ]
    );
    assert_eq!(fires[2]["local"], "2027-11-07T01:00:00-05:00");
}

#[test]
fn breaker_pauses_after_n_consecutive_failures() {
    let env = Env::new();
    let exe = env.write_executor("fail", "echo boom; exit 3");
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1m",
            "--when",
            "2026-12-01T10:00:00Z",
            "--pause-after",
            "2",
            "--id",
            "b",
        ],
    );
    let run = |when: &str| {
        at(&env, when, &["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .success()
    };
    let out = run("2026-12-01 10:00:05");
    assert_eq!(
        out.stderr,
        "defer: task b failed after 1 attempt: executor exited with status 3: boom\n"
    );
    // The failure that trips the breaker, then the pause.
    let out = run("2026-12-01 10:01:05");
    let second = occurrences(&env, "b")[1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        out.stderr_lines(),
        [
            format!(
                "defer: task {second} failed after 1 attempt: executor exited with status 3: boom"
            ),
            "defer: series b paused after 2 failures".to_string(),
        ]
    );
    let occ = occurrences(&env, "b");
    assert_eq!(occ.len(), 3);
    assert_eq!(occ[0]["status"], "failed");
    assert_eq!(occ[1]["status"], "failed");
    assert_eq!(occ[2]["status"], "paused");
    // Paused: not run, listed by default, and the idle runner leaves it alone.
    run("2026-12-01 10:05:05").assert_stderr_empty();
    assert_eq!(occurrences(&env, "b")[2]["status"], "paused");
    let listed = env.cmd(&["list", "--compact"]).success().json();
    assert_eq!(listed[0]["status"], "paused");
    let paused = env.log_events("series paused");
    assert_eq!(paused.len(), 1);
    assert!(paused[0].contains("series=b failures=2"), "{paused:?}");
    // `resume` starts it again, late under its policy (run-once: the latest fire), with
    // a fresh count.
    let third = occurrences(&env, "b")[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    at(&env, "2026-12-01 10:30:00", &["resume", &third]).success();
    let out = run("2026-12-01 10:30:05");
    assert_eq!(
        out.stderr,
        format!(
            "defer: task {third} failed after 1 attempt: executor exited with status 3: boom\n"
        )
    );
    let occ = occurrences(&env, "b");
    assert_eq!(occ.len(), 4);
    assert_eq!(occ[2]["status"], "failed");
    assert_eq!(occ[2]["run_at"], "2026-12-01T10:30:00Z");
    assert_eq!(occ[2]["missed_fires"], 28);
    assert_eq!(occ[3]["status"], "scheduled");
    assert_eq!(occ[3]["run_at"], "2026-12-01T10:31:00Z");
    assert_eq!(occ[3]["series"]["consecutive_failures"], 1);
}

#[test]
fn a_success_resets_the_breaker_and_missed_ones_do_not_count() {
    let env = Env::new();
    let flaky = env.write_executor("flaky", r#"test -e "$OK" && exit 0; exit 1"#);
    let ok = env.root().join("ok");
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1m",
            "--when",
            "2026-12-01T10:00:00Z",
            "--pause-after",
            "2",
            "--id",
            "r",
        ],
    );
    let run = |when: &str| {
        at(&env, when, &["run"])
            .env("DEFER_EXECUTOR", flaky.to_str().unwrap())
            .env("OK", ok.to_str().unwrap())
            .success()
    };
    run("2026-12-01 10:00:05"); // fails: 1
    fs::write(&ok, "").unwrap();
    run("2026-12-01 10:01:05"); // completes: 0
    fs::remove_file(&ok).unwrap();
    run("2026-12-01 10:02:05"); // fails: 1
    let occ = occurrences(&env, "r");
    let statuses: Vec<&str> = occ.iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["failed", "completed", "failed", "scheduled"]);
    assert_eq!(occ[3]["series"]["consecutive_failures"], 1);
}

#[test]
fn cancel_ends_the_series_or_skips_one_occurrence() {
    let env = Env::new();
    let first = schedule(&env, "2026-12-01 10:00:00", &["--every", "1h", "--id", "k"]);
    assert_eq!(first["run_at"], "2026-12-01T11:00:00Z");
    let cancelled = at(
        &env,
        "2026-12-01 10:05:00",
        &["cancel", "k", "--occurrence", "--compact"],
    )
    .success()
    .json();
    assert_eq!(cancelled["status"], "cancelled");
    let occ = occurrences(&env, "k");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[1]["run_at"], "2026-12-01T12:00:00Z");
    let second = occ[1]["id"].as_str().unwrap().to_string();
    at(&env, "2026-12-01 10:06:00", &["cancel", &second]).success();
    at(&env, "2026-12-01 13:00:00", &["run"]).success();
    let occ = occurrences(&env, "k");
    assert_eq!(occ.len(), 2, "a cancelled occurrence ends the series");
    // --occurrence on a one-shot task is a bad value: one line, exit 1, nothing written.
    env.schedule("solo", "s");
    let before = env.store_bytes();
    let out = env.cmd(&["cancel", "solo", "--occurrence"]).failure(1);
    assert!(
        out.error_line().contains("not a series occurrence"),
        "{}",
        out.stderr
    );
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn bad_series_input_is_one_line_exit_1_and_writes_nothing() {
    let env = Env::new();
    let cases: [(&[&str], &str); 7] = [
        (
            &["--every", "1h", "--cron", "@daily"],
            "defer: invalid --cron '@daily': --every '1h' was given too",
        ),
        (
            &["--every", "30s"],
            "defer: invalid --every '30s' (shorter than 1m",
        ),
        (
            &["--cron", "61 * * * *"],
            "defer: invalid --cron '61 * * * *': minute 61 is out of range 0-59",
        ),
        (
            &["--every", "1h", "--count", "0"],
            "defer: invalid --count '0' (accepted: a whole number, 1 or more)",
        ),
        (
            &["--every", "1h", "--until", "30m"],
            "defer: invalid --until '30m': ",
        ),
        (
            &["--when", "1h", "--missed", "all"],
            "defer: invalid --missed 'all' for a one-shot task (accepted: run, skip",
        ),
        (
            &["--when", "1h", "--missed", "sometimes"],
            "defer: invalid --missed 'sometimes' (accepted: run, run-once, skip, all)",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["schedule", "--summary", "s"];
        all.extend_from_slice(args);
        let out = env.cmd(&all).failure(1);
        assert!(
            out.error_line().starts_with(expected),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
        assert!(!env.store_exists(), "{args:?} wrote the store");
    }
    let out = env.cmd(&["when", "--every", "10s"]).failure(1);
    assert!(out.error_line().starts_with("defer: invalid --every '10s'"));
    let out = env
        .cmd(&["schedule", "--every", "1h", "--summary", "s"])
        .env("DEFER_GRACE_SECONDS", "999999999")
        .failure(1);
    assert!(
        out.error_line().contains("DEFER_GRACE_SECONDS"),
        "{}",
        out.stderr
    );
}

#[test]
fn when_previews_the_next_fires() {
    let env = Env::new();
    let fires = at(
        &env,
        "2026-12-04 15:00:00",
        &["when", "--cron", "0 9 * * 1-5", "--compact"],
    )
    .success()
    .json();
    let fires = fires.as_array().unwrap();
    assert_eq!(fires.len(), 5);
    // Friday 10:00 EST: next Mon..Fri 09:00 EST.
    assert_eq!(fires[0]["utc"], "2026-12-07T14:00:00Z");
    assert_eq!(fires[0]["local"], "2026-12-07T09:00:00-05:00");
    assert_eq!(fires[0]["timezone"], "America/New_York");
    assert_eq!(fires[4]["utc"], "2026-12-11T14:00:00Z");
    let every = at(
        &env,
        "2026-12-04 15:00:00",
        &["when", "--every", "90m", "--next", "2", "--compact"],
    )
    .success()
    .json();
    assert_eq!(every[0]["utc"], "2026-12-04T16:30:00Z");
    assert_eq!(every[1]["utc"], "2026-12-04T18:00:00Z");
}

#[test]
fn list_table_shows_the_recurrence() {
    let env = Env::new();
    env.cmd(&["schedule", "--every", "1h", "--summary", "hourly"])
        .success();
    env.cmd(&["schedule", "--cron", "0 9 * * 1-5", "--summary", "standup"])
        .success();
    let table = env
        .cmd(&["list", "--format", "table"])
        .env("COLUMNS", "200")
        .success()
        .stdout;
    assert!(table.contains(", every 1h"), "{table}");
    assert!(table.contains(", cron 0 9 * * 1-5"), "{table}");
}

#[test]
fn sigkill_of_run_mid_occurrence_never_ends_or_forks_the_series() {
    let env = Env::new();
    let marks = env.root().join("marks");
    fs::create_dir(&marks).unwrap();
    let exe = env.write_executor(
        "sleepy",
        r#"echo $$ > "$MARKS/pid"; touch "$MARKS/started"; exec sleep 30"#,
    );
    env.cmd(&[
        "schedule",
        "--every",
        "1h",
        "--when",
        "now",
        "--max-retries",
        "1",
        "--summary",
        "s",
        "--id",
        "z",
    ])
    .success();
    let mut runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("MARKS", marks.to_str().unwrap())
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the executor to start", Duration::from_secs(20), || {
        marks.join("started").exists() && marks.join("pid").exists()
    });
    // The claim and the next occurrence were one write: both are there.
    let occ = occurrences(&env, "z");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "executing");
    runner.kill().unwrap(); // SIGKILL
    runner.wait().unwrap();
    if let Some(pid) = fs::read_to_string(marks.join("pid"))
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
    {
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    // Recovery retries the occurrence (max_retries 1, no delay) and runs it again:
    // the series keeps exactly one second occurrence.
    let ok = env.write_executor("ok", "exit 0");
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", ok.to_str().unwrap())
        .env("DEFER_RETRY_DELAY_SECONDS", "0")
        .success();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", ok.to_str().unwrap())
        .env("DEFER_RETRY_DELAY_SECONDS", "0")
        .success();
    let occ = occurrences(&env, "z");
    assert_eq!(occ.len(), 2, "{occ:?}");
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[0]["attempts"], 1);
    assert_eq!(occ[1]["status"], "scheduled");
    assert_eq!(env.log_events("interrupted").len(), 1);
}

#[test]
fn a_claim_taken_again_does_not_fork_the_series() {
    // As after a claim that was rolled back: occurrence 1 is scheduled again while the
    // claim's occurrence 2 is already stored.
    let env = Env::new();
    let first = schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "f",
        ],
    );
    let mut second = first.clone();
    second["id"] = "f-2".into();
    second["run_at"] = "2026-12-01T11:00:00Z".into();
    second["series"]["occurrence"] = 2.into();
    env.write_store(format!("{first}\n{second}\n"));
    at(&env, "2026-12-01 10:00:10", &["run"]).success();
    let occ = occurrences(&env, "f");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[1]["id"], "f-2");
    let linked: Vec<String> = env
        .log_events("scheduled")
        .into_iter()
        .filter(|l| l.contains(" series="))
        .collect();
    assert!(
        linked.is_empty(),
        "no new occurrence was logged: {linked:?}"
    );
}

#[test]
fn execute_id_runs_a_late_occurrence_that_run_would_skip() {
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 06:30:00",
        &[
            "--every",
            "1h",
            "--when",
            "2026-12-01T07:00:00Z",
            "--id",
            "x",
            "--missed",
            "skip",
        ],
    );
    let done = at(
        &env,
        "2026-12-01 10:12:00",
        &["execute", "--id", "x", "--compact"],
    )
    .success()
    .json();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["run_at"], "2026-12-01T10:00:00Z");
    assert_eq!(done["missed_fires"], 3);
    let occ = occurrences(&env, "x");
    assert_eq!(occ[1]["run_at"], "2026-12-01T11:00:00Z");
}

#[test]
fn a_released_claim_keeps_exactly_one_next_occurrence() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--every",
        "1h",
        "--when",
        "now",
        "--summary",
        "s",
        "--id",
        "rel",
    ])
    .success();
    let exe = env.write_executor("ok", "exit 0");
    // An unwritable prompt: nothing is claimed and no occurrence is linked.
    let prompt = env.log_dir().join("rel.prompt.txt");
    fs::create_dir_all(&prompt).unwrap();
    fs::write(prompt.join("keep"), "x").unwrap();
    let before = env.store_bytes();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .failure(1);
    assert_eq!(env.store_bytes(), before);
    fs::remove_dir_all(&prompt).unwrap();
    // An unwritable output file: claimed with its next occurrence, then released; the
    // claims taken again never link a second one.
    let output = env.log_dir().join("rel.output.txt");
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join("keep"), "x").unwrap();
    for _ in 0..3 {
        env.cmd(&["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .failure(1);
        let occ = occurrences(&env, "rel");
        assert_eq!(occ.len(), 2);
        assert_eq!(
            (occ[0]["status"].as_str(), occ[0]["attempts"].as_u64()),
            (Some("scheduled"), Some(0))
        );
    }
    fs::remove_dir_all(&output).unwrap();
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .success();
    let occ = occurrences(&env, "rel");
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[1]["status"], "scheduled");
}

#[test]
fn a_released_claim_does_not_fork_when_the_next_occurrence_is_off_the_due_list() {
    // The runner works from the summary's list of the earliest scheduled tasks when the
    // summary is current. A claim released by a runner error (the output file cannot be
    // opened) has linked occurrence 2 (a day away); 300 earlier one-shot tasks push it
    // off that list. The claim taken again must still find it, not link another.
    let env = Env::new();
    schedule(
        &env,
        "2026-12-01 09:59:00",
        &[
            "--every",
            "1d",
            "--when",
            "2026-12-01T10:00:00Z",
            "--id",
            "s",
            "--",
            "true",
        ],
    );
    let output = env.log_dir().join("s.output.txt");
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join("keep"), "x").unwrap();
    at(&env, "2026-12-01 10:00:10", &["run"]).failure(1);
    let occ = occurrences(&env, "s");
    assert_eq!(occ.len(), 2);
    assert_eq!(
        (occ[0]["status"].as_str(), occ[0]["attempts"].as_u64()),
        (Some("scheduled"), Some(0)),
        "released"
    );
    fs::remove_dir_all(&output).unwrap();
    // One shell, one faketime per schedule: 300 processes take a second or two.
    env.sh_at("2026-12-01 10:01:00", r#"i=0; while [ $i -lt 300 ]; do "$DEFER_BIN" schedule --when 2026-12-01T20:00:00Z --summary "one-shot $i" >/dev/null || exit 1; i=$((i+1)); done"#)
        .env("TZ", "UTC")
        .timeout(std::time::Duration::from_secs(120))
        .success();
    at(&env, "2026-12-01 10:05:00", &["run"]).success();
    let occ = occurrences(&env, "s");
    assert_eq!(occ.len(), 2, "one occurrence 2, not two: {occ:?}");
    assert_eq!(occ[0]["status"], "completed");
    assert_eq!(occ[1]["status"], "scheduled");
    assert_eq!(occ[1]["run_at"], "2026-12-02T10:00:00Z");
}
