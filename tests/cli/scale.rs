//! The store at scale (SPEC §18): a store under 8 MiB is compacted by every sweep as
//! before; over 8 MiB a `run` that completes a task appends and archives without
//! rewriting the store, reads and writes O(record) bytes when the summary is current,
//! and compacts once dead bytes pass a quarter of the store. `archive` always compacts.

use std::fs;
use std::os::unix::fs::MetadataExt;

use serde_json::{json, Value};

use crate::support::{record_with, schedule_due, Env};

/// `count` tasks of about `mib` MiB each, scheduled far ahead, as store lines.
fn padding(count: usize, mib: usize) -> String {
    (0..count)
        .map(|i| {
            let line = record_with(
                &format!("pad{i}"),
                &[
                    ("run_at", json!("2099-01-01T00:00:00Z")),
                    ("context", json!({"summary": "p".repeat(mib << 20)})),
                ],
            );
            format!("{line}\n")
        })
        .collect()
}

/// `defer run` under `sh`, with the bytes it read and wrote (`/proc/<sh>/io` counts
/// the waited-for child): `(rchar, wchar)`.
fn run_with_io(env: &Env) -> (u64, u64) {
    let out = env.sh(r#""$DEFER_BIN" run && cat /proc/$$/io"#).success();
    let field = |name: &str| -> u64 {
        out.stdout
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {}", out.stdout))
    };
    (field("rchar:"), field("wchar:"))
}

fn inode(env: &Env) -> u64 {
    fs::metadata(env.store_path()).unwrap().ino()
}

fn archived_ids(env: &Env) -> Vec<String> {
    env.archive_records()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_small_store_is_compacted_by_every_sweep() {
    let env = Env::new();
    env.write_store(padding(1, 1));
    env.cmd(&["run"]).success();
    schedule_due(&env, "due1", &[]);
    let before = inode(&env);
    env.cmd(&["run"]).success().assert_stderr_empty();
    assert_eq!(archived_ids(&env), ["due1"]);
    assert_ne!(inode(&env), before, "rewritten");
    let lines = env.store_lines();
    assert_eq!(lines.len(), 1, "only the live task stays");
    assert!(lines[0].starts_with(r#"{"id":"pad0""#));
}

#[cfg(target_os = "linux")]
#[test]
fn a_busy_minute_in_a_large_store_costs_o_record() {
    let env = Env::new();
    env.write_store(padding(9, 1));
    env.cmd(&["run"]).success(); // the full scan saves the summary
    schedule_due(&env, "due1", &[]);
    let size = fs::metadata(env.store_path()).unwrap().len();
    let before = inode(&env);
    let (read, written) = run_with_io(&env);
    eprintln!("busy run: read {read}, wrote {written}");
    // The store is 9 MiB: the run read and wrote a few summaries and records.
    assert!(read < 512 << 10, "read {read} bytes of a {size}-byte store");
    assert!(written < 128 << 10, "wrote {written} bytes");
    assert_eq!(archived_ids(&env), ["due1"]);
    assert_eq!(inode(&env), before, "not rewritten");
    let record = env.task("due1");
    assert_eq!(record["status"], "completed", "still in the active store");

    // Never listed as active; `list --all` may show it; `show` finds it once.
    let listed = env.cmd(&["list", "--compact"]).success().json();
    assert!(listed.as_array().unwrap().iter().all(|t| t["id"] != "due1"));
    let shown = env.cmd(&["show", "due1", "--compact"]).success().json();
    assert_eq!(shown["status"], "completed");
    assert_eq!(
        env.archive_records()[0],
        record,
        "the archived line is the record"
    );
    let history = env.cmd(&["history", "--compact"]).success().json();
    let times = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == "due1")
        .count();
    assert_eq!(times, 1, "history lists it once: {history}");

    // The next minute is idle again, and another busy one archives only its task.
    let (read, _) = run_with_io(&env);
    assert!(read < 512 << 10, "idle run read {read} bytes");
    schedule_due(&env, "due2", &[]);
    env.cmd(&["run"]).success();
    assert_eq!(archived_ids(&env), ["due1", "due2"]);

    // `archive` always compacts: the live tasks stay, nothing is archived twice.
    env.cmd(&["archive"]).success();
    assert_eq!(archived_ids(&env), ["due1", "due2"]);
    assert_eq!(env.store_lines().len(), 9);
    assert_ne!(inode(&env), before);
}

#[test]
fn dead_bytes_past_a_quarter_compact_and_bad_lines_survive_once() {
    let env = Env::new();
    let bad = "not a record, kept verbatim";
    env.write_store(format!("{}{bad}\n", padding(3, 3)));
    env.cmd(&["run"]).success();
    // Under a quarter dead: the cancelled task is archived, the store not rewritten.
    let before = inode(&env);
    schedule_due(&env, "small", &[]);
    env.cmd(&["run"]).success();
    assert_eq!(inode(&env), before);
    assert_eq!(archived_ids(&env), ["small"]);
    // A third of the store dead: the next sweep compacts.
    env.cmd(&["cancel", "pad1"]).success();
    let out = env.cmd(&["run"]).success();
    assert_eq!(
        out.stderr_lines().len(),
        1,
        "the bad line is reported: {}",
        out.stderr
    );
    assert_ne!(inode(&env), before, "compacted");
    assert_eq!(archived_ids(&env), ["small", "pad1"]);
    let lines = env.store_lines();
    assert_eq!(lines.iter().filter(|l| *l == bad).count(), 1);
    let ids: Vec<String> = env.latest().into_keys().collect();
    assert_eq!(ids, ["pad0", "pad2"]);
    assert_eq!(lines.len(), 3);
}

#[test]
fn the_summary_is_a_hint_results_do_not_depend_on_it() {
    // The same history with and without the summary (deleted before every command)
    // and with a hand edit in between gives the same store, archive and listing.
    let outcome = |drop_summary: bool| -> (Vec<String>, Vec<Value>, Value) {
        let env = Env::new();
        env.write_store(padding(9, 1));
        let summary = env.runtime_dir().join("deferred.jsonl.idx");
        let step = |args: &[&str]| {
            if drop_summary {
                let _ = fs::remove_file(&summary);
            }
            env.cmd(args).success();
        };
        step(&["run"]);
        step(&["schedule", "--when", "now", "--summary", "a", "--id", "a"]);
        step(&["schedule", "--when", "now", "--summary", "b", "--id", "b"]);
        step(&["run"]);
        // A hand edit: a due task appended outside `defer`.
        let mut text = fs::read_to_string(env.store_path()).unwrap();
        text.push_str(&record_with(
            "c",
            &[("run_at", json!("2020-01-01T00:00:00Z"))],
        ));
        text.push('\n');
        fs::write(env.store_path(), text).unwrap();
        step(&["run"]);
        step(&["schedule", "--when", "2d", "--summary", "d", "--id", "d"]);
        step(&["cancel", "d"]);
        step(&["run"]);
        let archived = archived_ids(&env);
        let statuses: Vec<Value> = ["a", "b", "c", "d"]
            .iter()
            .map(|id| env.cmd(&["show", id, "--compact"]).success().json()["status"].clone())
            .collect();
        let listed = env.cmd(&["list", "--compact"]).success().json();
        let listed = json!(listed
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect::<Vec<_>>());
        (archived, statuses, listed)
    };
    let with = outcome(false);
    assert_eq!(with.0, ["a", "b", "c", "d"]);
    assert_eq!(with, outcome(true));
}

/// A series in a store over 8 MiB: each claim appends exactly one next occurrence
/// (the runner reads the store in full for a series claim, whose fork check looks up
/// the other occurrences), and finished occurrences are archived lazily.
#[test]
fn a_series_in_a_large_store_continues_once() {
    let env = Env::new();
    env.write_store(padding(9, 1));
    env.cmd(&["run"]).success();
    let first = env
        .cmd(&[
            "schedule",
            "--every",
            "1h",
            "--when",
            "now",
            "--summary",
            "s",
            "--compact",
        ])
        .success()
        .json();
    let series = first["series"]["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        env.cmd(&["run"]).success();
    }
    let occurrences: Vec<Value> = env
        .latest()
        .into_values()
        .filter(|v| v["series"]["id"] == series.as_str())
        .collect();
    let live: Vec<&Value> = occurrences
        .iter()
        .filter(|v| v["status"] == "scheduled")
        .collect();
    assert_eq!(live.len(), 1, "{occurrences:?}");
    assert_eq!(live[0]["series"]["occurrence"], 2);
    assert_eq!(archived_ids(&env), [first["id"].as_str().unwrap()]);
}
