//! One handle (SPEC §21): every command that takes a task id also takes a series id
//! (the series' live occurrence) and `--key`; a finished occurrence whose series goes
//! on is an error naming what to use, except for `show`.

use serde_json::{json, Value};

use crate::support::Env;

const SERIES: &str = "monthly";

/// The latest record of occurrence `k` of the series, from the store or the archives.
fn occurrence(env: &Env, k: u64) -> Value {
    let mut all = env.archive_records();
    all.extend(env.latest().into_values());
    all.into_iter()
        .rev()
        .find(|t| t["series"]["id"] == SERIES && t["series"]["occurrence"] == k)
        .unwrap_or_else(|| panic!("no occurrence {k}"))
}

/// A monthly series (10:00 New York, 15:00 UTC) whose first occurrence ran on Dec 1 and was archived and compacted
/// away; the second waits for Jan 1.
fn a_month_into_a_series() -> Env {
    let env = Env::new();
    env.at(
        "2026-11-30 10:00:00",
        &[
            "schedule",
            "--cron",
            "0 10 1 * *",
            "--summary",
            "report",
            "--id",
            SERIES,
            "--key",
            "rep",
        ],
    )
    .success();
    env.at("2026-12-01 15:00:30", &["run"]).success();
    env.at("2026-12-01 15:01:00", &["archive"]).success();
    assert!(
        !env.latest().contains_key(SERIES),
        "first occurrence compacted away"
    );
    assert_eq!(occurrence(&env, 1)["status"], "completed");
    env
}

#[test]
fn the_series_id_reaches_the_live_occurrence_after_the_first_was_archived() {
    let env = a_month_into_a_series();
    let second = occurrence(&env, 2)["id"].as_str().unwrap().to_string();
    let late = "2026-12-31 09:00:00";
    let shown = env
        .at(late, &["show", SERIES, "--compact"])
        .success()
        .json();
    assert_eq!(shown["id"], second.as_str());
    let paused = env
        .at(late, &["pause", SERIES, "--compact"])
        .success()
        .json();
    assert_eq!(
        (&paused["id"], &paused["status"]),
        (&json!(second), &json!("paused"))
    );
    let resumed = env
        .at(late, &["resume", "--key", "rep", "--compact"])
        .success();
    assert_eq!(resumed.json()["status"], "scheduled");
    let unit = env
        .at(late, &["export", SERIES, "--format", "systemd"])
        .success();
    assert!(unit.stdout.contains("OnCalendar"), "{}", unit.stdout);
    let moved = env
        .at(
            late,
            &[
                "reschedule",
                SERIES,
                "--when",
                "2027-01-01 11:00",
                "--compact",
            ],
        )
        .success()
        .json();
    assert_eq!(
        (&moved["id"], &moved["run_at"]),
        (&json!(second), &json!("2027-01-01T16:00:00Z"))
    );
    let waited = env
        .at(late, &["wait", "--key", "rep", "--timeout", "1"])
        .failure(124);
    assert_eq!(waited.json()["id"], second.as_str());
    let cancelled = env
        .at(late, &["cancel", SERIES, "--compact"])
        .success()
        .json();
    assert_eq!(
        (&cancelled["id"], &cancelled["status"]),
        (&json!(second), &json!("cancelled"))
    );
    // Once the series ended, `show` prints its last record; acting on it names its status.
    let shown = env
        .at(late, &["show", SERIES, "--compact"])
        .success()
        .json();
    assert_eq!(
        (&shown["id"], &shown["status"]),
        (&json!(second), &json!("cancelled"))
    );
    let out = env.at(late, &["pause", SERIES]).failure(1);
    assert!(
        out.error_line().contains("its status is cancelled"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_finished_occurrence_names_the_live_one_and_show_still_prints_it() {
    let env = a_month_into_a_series();
    let second = occurrence(&env, 2)["id"].as_str().unwrap().to_string();
    env.at("2027-01-01 15:00:30", &["run"]).success();
    let third = occurrence(&env, 3)["id"].as_str().unwrap().to_string();
    let later = "2027-01-02 09:00:00";
    let before = env.store_bytes();
    for args in [
        vec!["cancel", second.as_str()],
        vec!["pause", second.as_str()],
        vec!["reschedule", second.as_str(), "--when", "1h"],
        vec!["wait", second.as_str()],
        vec!["export", second.as_str(), "--format", "systemd"],
        vec!["execute", "--id", second.as_str()],
    ] {
        let out = env.at(later, &args).failure(1);
        assert_eq!(
            out.error_line(),
            format!(
                "defer: task {second} already completed; its series continues as {third} \
                 (use the series id {SERIES} or --key rep)"
            ),
            "{args:?}"
        );
    }
    assert_eq!(env.store_bytes(), before, "nothing written");
    let shown = env
        .at(later, &["show", &second, "--compact"])
        .success()
        .json();
    assert_eq!(
        (&shown["id"], &shown["status"]),
        (&json!(second), &json!("completed"))
    );
    // execute --key runs the live occurrence now; the series goes on.
    let ran = env
        .at(later, &["execute", "--key", "rep", "--compact"])
        .success()
        .json();
    assert_eq!(
        (&ran["id"], &ran["status"]),
        (&json!(third), &json!("completed"))
    );
    assert_eq!(occurrence(&env, 4)["status"], "scheduled");
}

#[test]
fn an_unknown_key_or_id_is_one_line_exit_1_for_every_command() {
    let env = Env::new();
    env.schedule("t1", "s");
    for args in [
        vec!["show", "--key", "nope"],
        vec!["cancel", "--key", "nope"],
        vec!["pause", "--key", "nope"],
        vec!["resume", "--key", "nope"],
        vec!["reschedule", "--key", "nope", "--when", "1h"],
        vec!["wait", "--key", "nope"],
        vec!["export", "--key", "nope", "--format", "systemd"],
        vec!["execute", "--key", "nope"],
    ] {
        let out = env.cmd(&args).failure(1);
        assert!(
            out.error_line().contains("no live task has key 'nope'"),
            "{args:?}: {}",
            out.stderr
        );
        let id_args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "--key" { "--id" } else { a })
            .collect();
        let id_args: Vec<&str> = match args[0] {
            "execute" | "cancel" => id_args,
            _ => id_args.into_iter().filter(|a| *a != "--id").collect(),
        };
        let out = env.cmd(&id_args).failure(1);
        assert_eq!(
            out.error_line(),
            "defer: task not found: nope",
            "{id_args:?}"
        );
    }
    // Both an id and a key, or neither: a usage error, for every command alike.
    env.cmd(&["show", "t1", "--key", "k"]).failure(2);
    for command in ["show", "cancel", "pause", "resume", "wait"] {
        let out = env.cmd(&[command]).failure(2);
        assert!(
            out.error_line()
                .contains("required arguments were not provided"),
            "{command}: {}",
            out.stderr
        );
    }
}

#[test]
fn mcp_show_and_cancel_take_a_series_id_or_a_key() {
    let env = a_month_into_a_series();
    let second = occurrence(&env, 2)["id"].as_str().unwrap().to_string();
    let calls = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "show", "arguments": {"key": "rep"}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "cancel", "arguments": {"id": SERIES}}}),
    ];
    let input: String = calls.iter().map(|c| format!("{c}\n")).collect();
    let out = env
        .at("2026-12-31 09:00:00", &["mcp"])
        .stdin(input)
        .success();
    let replies: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let task = |id: u64| {
        replies.iter().find(|r| r["id"] == id).unwrap()["result"]["structuredContent"].clone()
    };
    assert_eq!(task(2)["id"], second.as_str());
    assert_eq!(
        (&task(3)["id"], &task(3)["status"]),
        (&json!(second), &json!("cancelled"))
    );
}

#[test]
fn a_key_given_where_an_id_goes_is_named_as_a_key() {
    let env = Env::new();
    env.cmd(&["schedule", "--when", "2h", "--summary", "s", "--key", "q3"])
        .success();
    for command in ["pause", "show", "cancel", "wait"] {
        let out = env.cmd(&[command, "q3"]).failure(1);
        assert_eq!(
            out.error_line(),
            "defer: task not found: q3 ('q3' is the key of a live task: name it by key, e.g. --key q3)",
            "{command}"
        );
    }
    // By key it works, and a finished keyed task is not offered as a key.
    env.cmd(&["cancel", "--key", "q3"]).success();
    let out = env.cmd(&["pause", "q3"]).failure(1);
    assert_eq!(out.error_line(), "defer: task not found: q3");
}
