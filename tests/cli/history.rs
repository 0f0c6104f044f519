//! `defer history`: finished tasks from the archives and the active store, each once,
//! newest first, with every filter; and the `history` array of attempts in a record.
//! Time comes from libfaketime (`faketime -f '@...'`), never from a test switch.

use serde_json::{json, Value};

use crate::support::{record_with, Cmd, Env};

/// `defer ARGS` run as if it were `time` (UTC), through libfaketime.
pub fn at(env: &Env, time: &str, args: &[&str]) -> Cmd {
    env.at(time, args)
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

const NOW: &str = "2026-12-01 10:00:00";

fn history(env: &Env, args: &[&str]) -> Vec<String> {
    let mut all = vec!["history", "--compact"];
    all.extend_from_slice(args);
    ids(&at(env, NOW, &all).success().json())
}

/// a (notify, key ka) completed in October, b failed in November, c cancelled on
/// Nov 20, s2 a series occurrence in November's archive, d completed today at 09:00
/// and left (terminal) in the active store as well as its archive, e still scheduled.
fn world(env: &Env) {
    let failing = env.write_executor("fail", "echo boom; exit 3");
    let schedule = |time: &str, id: &str, extra: &[&str]| {
        let mut args = vec!["schedule", "--when", "now", "--summary", id, "--id", id];
        args.extend_from_slice(extra);
        at(env, time, &args).success();
    };
    schedule(
        "2026-10-05 10:00:00",
        "a",
        &["--intent", "notify", "--key", "ka"],
    );
    at(env, "2026-10-05 10:00:01", &["run"]).success();
    schedule("2026-11-05 10:00:00", "b", &[]);
    at(env, "2026-11-05 10:00:01", &["run"])
        .env("DEFER_EXECUTOR", failing.to_str().unwrap())
        .success();
    schedule("2026-11-20 09:59:00", "c", &[]);
    at(env, "2026-11-20 10:00:00", &["cancel", "c"]).success();
    at(env, "2026-11-20 10:00:01", &["archive"]).success();
    schedule("2026-12-01 08:59:00", "d", &[]);
    at(env, "2026-12-01 09:00:00", &["run"]).success();
    at(
        env,
        "2026-12-01 09:30:00",
        &["schedule", "--when", "1h", "--summary", "e", "--id", "e"],
    )
    .success();
    // A series occurrence, written as another part of defer writes one.
    let series = json!({"id": "s1", "every": "1h", "cron": null, "timezone": "UTC",
        "until": null, "count": null, "occurrence": 2, "missed": "run-once",
        "grace_seconds": 600});
    let s2 = record_with(
        "s2",
        &[
            ("status", json!("completed")),
            ("completed_at", json!("2026-11-15T00:00:00Z")),
            ("series", series),
        ],
    );
    let november = env.archive_dir().join("deferred_202611.jsonl");
    let mut text = std::fs::read_to_string(&november).unwrap();
    text.push_str(&s2);
    text.push('\n');
    std::fs::write(&november, text).unwrap();
    // d's terminal record lingers in the active store (not compacted yet, SPEC §18).
    let december = env.archive_dir().join("deferred_202612.jsonl");
    let d_line = std::fs::read_to_string(&december).unwrap();
    assert!(d_line.contains("\"id\":\"d\""), "{d_line}");
    let mut store = std::fs::read_to_string(env.store_path()).unwrap();
    store.push_str(&d_line);
    std::fs::write(env.store_path(), store).unwrap();
}

#[test]
fn history_reads_archives_and_store_newest_first_each_task_once() {
    let env = Env::new();
    world(&env);
    assert_eq!(history(&env, &[]), ["d", "c", "s2", "b", "a"]);
    let out = at(&env, NOW, &["history"]).success();
    out.assert_stderr_empty();
    let tasks = out.json();
    assert_eq!(tasks[0]["status"], "completed");
    assert_eq!(tasks[3]["status"], "failed");
    assert!(tasks[3]["error"]
        .as_str()
        .unwrap()
        .starts_with("executor exited with status 3"));
    // Nothing was written by reading.
    let before = env.store_bytes();
    history(&env, &["--limit", "1"]);
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn history_filters() {
    let env = Env::new();
    world(&env);
    assert_eq!(history(&env, &["--limit", "2"]), ["d", "c"]);
    assert_eq!(history(&env, &["--status", "failed"]), ["b"]);
    assert_eq!(
        history(&env, &["--status", "completed", "--status", "cancelled"]),
        ["d", "c", "s2", "a"]
    );
    assert_eq!(history(&env, &["--intent", "notify"]), ["a"]);
    assert_eq!(history(&env, &["--key", "ka"]), ["a"]);
    assert_eq!(history(&env, &["--series", "s1"]), ["s2"]);
    assert!(history(&env, &["--series", "nope"]).is_empty());
    // 2h ago is 08:00 UTC; d ended at 09:00.
    assert_eq!(history(&env, &["--since", "2h"]), ["d"]);
    assert_eq!(history(&env, &["--since", "1h"]), ["d"], "inclusive");
    assert_eq!(history(&env, &["--since", "59m"]), Vec::<String>::new());
    // Inclusive bound, ISO.
    assert_eq!(
        history(&env, &["--since", "2026-11-20T10:00:00Z"]),
        ["d", "c"]
    );
    assert_eq!(history(&env, &["--since", "2026-11-20T10:00:01Z"]), ["d"]);
    // A date is its local midnight (New York): Nov 20 05:00 UTC.
    assert_eq!(history(&env, &["--since", "2026-11-20"]), ["d", "c"]);
    // A clock time is its latest past occurrence in New York (now 05:00 EST): 9am is
    // yesterday's (Nov 30 14:00 UTC), 4am today's (09:00 UTC, d's end: inclusive),
    // 5am is now itself.
    assert_eq!(history(&env, &["--since", "9am"]), ["d"]);
    assert_eq!(history(&env, &["--since", "4am"]), ["d"]);
    assert_eq!(
        history(&env, &["--since", "4:00:01am"]),
        Vec::<String>::new()
    );
    assert_eq!(history(&env, &["--since", "5am"]), Vec::<String>::new());
    assert_eq!(history(&env, &["--since", "yesterday"]), ["d"]);
    assert_eq!(
        history(
            &env,
            &[
                "--since",
                "30 days ago",
                "--status",
                "completed",
                "--limit",
                "5"
            ]
        ),
        ["d", "s2"]
    );
}

#[test]
fn history_table_for_people() {
    let env = Env::new();
    world(&env);
    let out = at(&env, NOW, &["history", "--format", "table", "--limit", "2"])
        .env("COLUMNS", "120")
        .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("ENDED"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("d ") && lines[1].contains("2026-12-01 04:00 EST"),
        "{}",
        out.stdout
    );
    assert!(lines[1].contains("1h ago"), "{}", out.stdout);
    assert!(
        lines[2].starts_with("c ") && lines[2].contains("cancelled"),
        "{}",
        out.stdout
    );
}

#[test]
fn history_bad_input_is_one_line_exit_1() {
    let env = Env::new();
    for (args, expected) in [
        (
            vec!["history", "--since", "flurble"],
            "defer: invalid --since 'flurble': unrecognised expression",
        ),
        (
            vec!["history", "--since", "tomorrow"],
            "defer: invalid --since 'tomorrow': ",
        ),
        (
            vec!["history", "--limit", "0"],
            "defer: invalid --limit '0' (accepted: a whole number, 1 or more)",
        ),
        (
            vec!["history", "--limit", "-3"],
            "defer: invalid --limit '-3'",
        ),
        (
            vec!["history", "--status", "scheduled"],
            "defer: invalid --status 'scheduled' (accepted: completed, failed, cancelled",
        ),
        (
            vec!["history", "--status", "bogus"],
            "defer: invalid --status 'bogus'",
        ),
        (
            vec!["history", "--format", "xml"],
            "defer: invalid --format 'xml' (accepted: json, table)",
        ),
    ] {
        let out = env.cmd(&args).failure(1);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with(expected), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    assert!(!env.store_exists());
    // An empty world is an empty array.
    assert_eq!(env.cmd(&["history", "--compact"]).success().stdout, "[]\n");
}

#[test]
fn attempts_are_recorded_in_history_after_a_retry_then_success() {
    let env = Env::new();
    let marker = env.root().join("failed-once");
    let executor = env.write_executor(
        "flaky",
        &format!(
            "if [ -e '{m}' ]; then echo fine; sleep 0.3; exit 0; fi\ntouch '{m}'\necho 'boom on stderr' >&2\nexit 3",
            m = marker.display()
        ),
    );
    let exec = executor.to_str().unwrap();
    at(
        &env,
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "t",
            "--max-retries",
            "1",
        ],
    )
    .success();
    at(&env, "2026-12-01 10:00:05", &["run"])
        .env("DEFER_EXECUTOR", exec)
        .success();
    let retried = env.task("t");
    assert_eq!(retried["status"], "scheduled");
    assert_eq!(retried["history"].as_array().unwrap().len(), 1, "{retried}");
    at(&env, "2026-12-01 10:02:00", &["run"])
        .env("DEFER_EXECUTOR", exec)
        .success();
    let done = at(&env, NOW, &["show", "t"]).success().json();
    assert_eq!(done["status"], "completed");
    let history = done["history"].as_array().expect("history");
    assert_eq!(history.len(), 2, "{done}");
    let (first, second) = (&history[0], &history[1]);
    assert_eq!(first["attempt"], 1);
    assert_eq!(first["exit_code"], 3);
    assert_eq!(first["signal"], Value::Null);
    assert_eq!(first["result"], "retry_scheduled");
    assert!(
        first["error"]
            .as_str()
            .unwrap()
            .starts_with("executor exited with status 3"),
        "{first}"
    );
    assert_eq!(first["output_tail"], "boom on stderr\n");
    assert_eq!(first["started_at"], "2026-12-01T10:00:05Z");
    assert_eq!(second["attempt"], 2);
    assert_eq!(second["exit_code"], 0);
    assert_eq!(second["error"], Value::Null);
    assert_eq!(second["result"], "executor_output");
    assert_eq!(second["output_tail"], "fine\n");
    let ms = second["duration_ms"].as_u64().unwrap();
    assert!(
        (300..10_000).contains(&ms),
        "measured, not whole seconds: {ms}"
    );
    // Fields in order, as written.
    let line = at(&env, NOW, &["show", "t", "--compact"]).success().stdout;
    assert!(
        line.contains(
            r#""history":[{"attempt":1,"started_at":"2026-12-01T10:00:05Z","finished_at":"#
        ),
        "{line}"
    );
    assert!(
        line.contains(r#","exit_code":0,"signal":null,"result":"executor_output","error":null,"output_tail":"fine\n"}]"#),
        "{line}"
    );
}

#[test]
fn output_tail_is_the_last_kib_of_a_big_output() {
    let env = Env::new();
    // 100 KiB of 'x' then an end marker: beyond the 64 KiB kept in the record.
    let executor = env.write_executor(
        "big",
        "head -c 102400 /dev/zero | tr '\\0' x; printf 'THE END'",
    );
    at(
        &env,
        "2026-12-01 10:00:00",
        &["schedule", "--when", "now", "--summary", "s", "--id", "big"],
    )
    .success();
    at(&env, "2026-12-01 10:00:01", &["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .success();
    let task = at(&env, NOW, &["show", "big"]).success().json();
    let tail = task["history"][0]["output_tail"].as_str().unwrap();
    assert_eq!(tail.len(), 1024);
    assert!(tail.ends_with("xxTHE END"), "{tail}");
    assert_eq!(task["history"][0]["exit_code"], 0);
}

#[test]
fn every_kind_of_attempt_is_recorded() {
    let env = Env::new();
    // No executor: the prompt is the outcome.
    at(
        &env,
        "2026-12-01 10:00:00",
        &[
            "schedule",
            "--when",
            "now",
            "--summary",
            "s",
            "--id",
            "plain",
        ],
    )
    .success();
    at(&env, "2026-12-01 10:00:01", &["run"]).success();
    let plain = at(&env, NOW, &["show", "plain"]).success().json();
    let entry = &plain["history"][0];
    assert_eq!(entry["result"], "prompt_prepared", "{plain}");
    assert_eq!(
        (entry["exit_code"].clone(), entry["signal"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(entry["output_tail"], "");
    assert_eq!(plain["history"].as_array().unwrap().len(), 1);

    // An executor that cannot run.
    at(
        &env,
        "2026-12-01 10:00:00",
        &["schedule", "--when", "now", "--summary", "s", "--id", "bad"],
    )
    .success();
    at(&env, "2026-12-01 10:00:01", &["run"])
        .env("DEFER_EXECUTOR", "/nonexistent/executor")
        .success();
    let bad = at(&env, NOW, &["show", "bad"]).success().json();
    let entry = &bad["history"][0];
    assert_eq!(entry["result"], "executor_failed", "{bad}");
    assert!(
        entry["error"].as_str().unwrap().contains("not executable"),
        "{bad}"
    );

    // An orphan: its runner died a minute after claiming it.
    let orphan = record_with(
        "orphan",
        &[
            ("status", json!("executing")),
            ("started_at", json!("2026-12-01T09:59:00Z")),
            ("max_retries", json!(1)),
            ("executor", json!({"pid": 999_999_999u32, "started": 1})),
        ],
    );
    let mut store = std::fs::read_to_string(env.store_path()).unwrap_or_default();
    store.push_str(&orphan);
    store.push('\n');
    std::fs::write(env.store_path(), store).unwrap();
    at(&env, "2026-12-01 10:00:00", &["run"]).success();
    let task = env.task("orphan");
    assert_eq!(task["status"], "scheduled");
    let entry = &task["history"][0];
    assert_eq!(entry["result"], "interrupted", "{task}");
    assert_eq!(entry["error"], "interrupted");
    assert_eq!(entry["started_at"], "2026-12-01T09:59:00Z");
    assert_eq!(entry["finished_at"], "2026-12-01T10:00:00Z");
    assert_eq!(
        entry["duration_ms"], 60_000,
        "from the record's whole seconds"
    );
    assert_eq!(entry["attempt"], 1);
}

#[test]
fn a_killed_executor_records_its_signal() {
    let env = Env::new();
    let executor = env.write_executor("killed", "echo dying; kill -9 $$");
    at(
        &env,
        "2026-12-01 10:00:00",
        &["schedule", "--when", "now", "--summary", "s", "--id", "k"],
    )
    .success();
    at(&env, "2026-12-01 10:00:01", &["run"])
        .env("DEFER_EXECUTOR", executor.to_str().unwrap())
        .success();
    let task = at(&env, NOW, &["show", "k"]).success().json();
    let entry = &task["history"][0];
    assert_eq!(entry["signal"], 9, "{task}");
    assert_eq!(entry["exit_code"], Value::Null);
    assert_eq!(entry["result"], "executor_failed");
    assert_eq!(entry["output_tail"], "dying\n");
}
