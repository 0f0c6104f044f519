//! Lanes (SPEC §20): due tasks run side by side within `DEFER_MAX_PARALLEL` and their
//! lane's limit, a long task never holds back one with a free slot, a run started while
//! another supervises takes the free slots, the supervising run starts tasks that
//! become due meanwhile, and bad `DEFER_LANES` / `DEFER_MAX_PARALLEL` / `--lane` values
//! are refused with nothing written. Overlap is judged on the start and end instants
//! the executor records, not on wall time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::{schedule_due, wait_until, Env};

/// An executor that appends `start <id> <ns>` and `end <id> <ns>` to `$TRACE` around
/// a nap of `$NAP` seconds (default 2), or until `$GATE/<id>` exists when `$GATE` is set.
fn tracer(env: &Env) -> (PathBuf, PathBuf) {
    let trace = env.root().join("trace");
    let exe = env.write_executor(
        "tracer",
        r#"cat > /dev/null
echo "start $DEFER_TASK_ID $(date +%s%N)" >> "$TRACE"
if [ -n "$GATE" ]; then
  i=0; while [ ! -e "$GATE/$DEFER_TASK_ID" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
else
  sleep "${NAP:-2}"
fi
echo "end $DEFER_TASK_ID $(date +%s%N)" >> "$TRACE""#,
    );
    (exe, trace)
}

/// Each task's (start, end) in nanoseconds, from the trace.
fn intervals(trace: &Path) -> BTreeMap<String, (u128, u128)> {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let mut starts = BTreeMap::new();
    let mut spans = BTreeMap::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let (what, id, at) = (parts[0], parts[1].to_string(), parts[2].parse().unwrap());
        match what {
            "start" => assert!(starts.insert(id, at).is_none(), "started twice: {text}"),
            _ => {
                let start = starts[&id];
                assert!(
                    spans.insert(id, (start, at)).is_none(),
                    "ended twice: {text}"
                );
            }
        }
    }
    spans
}

/// The most tasks of `ids` executing at one instant.
fn most_at_once(spans: &BTreeMap<String, (u128, u128)>, ids: &[&str]) -> usize {
    ids.iter()
        .map(|id| spans[*id].0)
        .map(|t| {
            ids.iter()
                .filter(|other| spans[**other].0 <= t && t < spans[**other].1)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn run_cmd(env: &Env, exe: &Path, trace: &Path) -> crate::support::Cmd {
    env.cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("TRACE", trace.to_str().unwrap())
}

fn spawn(cmd: crate::support::Cmd) -> Child {
    cmd.command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn three_due_tasks_run_side_by_side_with_three_slots() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    for id in ["a", "b", "c"] {
        schedule_due(&env, id, &[]);
    }
    run_cmd(&env, &exe, &trace)
        .env("DEFER_MAX_PARALLEL", "3")
        .success()
        .assert_stderr_empty();
    let spans = intervals(&trace);
    assert_eq!(spans.len(), 3, "{spans:?}");
    // All three were running at once: the last start is before the first end.
    let last_start = spans.values().map(|s| s.0).max().unwrap();
    let first_end = spans.values().map(|s| s.1).min().unwrap();
    assert!(last_start < first_end, "{spans:?}");
    for id in ["a", "b", "c"] {
        assert_eq!(crate::runner::archived(&env, id)["status"], "completed");
    }
    assert_eq!(env.log_events("runner claimed").len(), 3);
    // Each worker removed its task lock once its outcome was recorded.
    let locks: Vec<_> = std::fs::read_dir(env.log_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(locks.is_empty(), "{locks:?}");
}

#[test]
fn one_slot_runs_due_tasks_one_after_another_by_fire_then_id() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    for id in ["b", "a", "c"] {
        env.cmd(&[
            "schedule",
            "--when",
            "2020-01-01T00:00:00Z",
            "--summary",
            id,
            "--id",
            id,
        ])
        .success();
    }
    run_cmd(&env, &exe, &trace)
        .env("DEFER_MAX_PARALLEL", "1")
        .env("NAP", "0.1")
        .success();
    let spans = intervals(&trace);
    assert_eq!(most_at_once(&spans, &["a", "b", "c"]), 1, "{spans:?}");
    let mut order: Vec<_> = spans.iter().collect();
    order.sort_by_key(|(_, span)| span.0);
    let order: Vec<&str> = order.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(order, ["a", "b", "c"]);
}

#[test]
fn a_lane_never_runs_more_than_its_limit_and_unlaned_tasks_share_the_total() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    for id in ["r1", "r2", "r3"] {
        schedule_due(&env, id, &["--lane", "repo-a"]);
    }
    for id in ["s1", "s2", "s3"] {
        schedule_due(&env, id, &["--lane", "research"]);
    }
    schedule_due(&env, "free", &[]);
    assert_eq!(env.task("r1")["lane"], "repo-a");
    assert!(env.task("free").get("lane").is_none());
    run_cmd(&env, &exe, &trace)
        .env("DEFER_MAX_PARALLEL", "8")
        .env("DEFER_LANES", "research=2")
        .env("NAP", "0.6")
        .success()
        .assert_stderr_empty();
    let spans = intervals(&trace);
    assert_eq!(spans.len(), 7, "{spans:?}");
    // repo-a is not listed: one at a time; research=2: two at a time, not three.
    assert_eq!(most_at_once(&spans, &["r1", "r2", "r3"]), 1, "{spans:?}");
    assert_eq!(most_at_once(&spans, &["s1", "s2", "s3"]), 2, "{spans:?}");
    // The lanes did not hold the unlaned task back: it ran beside the first ones.
    let all = ["r1", "r2", "r3", "s1", "s2", "s3", "free"];
    assert!(most_at_once(&spans, &all) >= 4, "{spans:?}");
}

#[test]
fn the_total_caps_every_lane() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let ids = ["t1", "t2", "t3", "t4"];
    for (i, id) in ids.iter().enumerate() {
        schedule_due(&env, id, &["--lane", &format!("l{i}")]);
    }
    run_cmd(&env, &exe, &trace)
        .env("DEFER_MAX_PARALLEL", "2")
        .env("NAP", "0.5")
        .success();
    assert_eq!(most_at_once(&intervals(&trace), &ids), 2);
}

/// A long task gated on a file; the gate dir is opened on drop so no test leaks one.
struct Gate(PathBuf);

impl Gate {
    fn new(env: &Env) -> Gate {
        let dir = env.root().join("gate");
        std::fs::create_dir_all(&dir).unwrap();
        Gate(dir)
    }

    fn open(&self, id: &str) {
        std::fs::write(self.0.join(id), "").unwrap();
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        for id in ["long", "short1", "short2", "soon", "late"] {
            let _ = std::fs::write(self.0.join(id), "");
        }
    }
}

#[test]
fn a_long_task_does_not_hold_back_the_others() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    schedule_due(&env, "long", &[]);
    schedule_due(&env, "short1", &[]);
    schedule_due(&env, "short2", &[]);
    gate.open("short1");
    gate.open("short2");
    let runner = spawn(run_cmd(&env, &exe, &trace).env("GATE", gate.0.to_str().unwrap()));
    wait_until(
        "the short tasks to complete",
        Duration::from_secs(20),
        || {
            ["short1", "short2"].iter().all(|id| {
                env.latest()
                    .get(*id)
                    .is_some_and(|t| t["status"] == "completed")
            })
        },
    );
    assert_eq!(env.task("long")["status"], "executing");
    gate.open("long");
    let out = runner.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let spans = intervals(&trace);
    assert!(spans["short2"].1 < spans["long"].1, "{spans:?}");
}

#[test]
fn a_run_started_while_another_supervises_takes_the_free_slots() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    schedule_due(&env, "long", &[]);
    // The first run has one slot: busy with `long`, it cannot start anything else.
    let first = spawn(
        run_cmd(&env, &exe, &trace)
            .env("GATE", gate.0.to_str().unwrap())
            .env("DEFER_MAX_PARALLEL", "1"),
    );
    wait_until("long to start", Duration::from_secs(20), || trace.exists());
    schedule_due(&env, "short1", &[]);
    gate.open("short1");
    // The next minute's run (two slots) is not skipped: the runner lock is free while
    // the first run supervises, and one slot is free.
    run_cmd(&env, &exe, &trace)
        .env("GATE", gate.0.to_str().unwrap())
        .env("DEFER_MAX_PARALLEL", "2")
        .timeout(Duration::from_secs(20))
        .success()
        .assert_stderr_empty();
    // Completed, and archived by that run's sweep as it ended.
    assert_eq!(
        crate::runner::archived(&env, "short1")["status"],
        "completed"
    );
    assert_eq!(env.task("long")["status"], "executing");
    assert!(env.log_events("runner skipped").is_empty());
    gate.open("long");
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(crate::runner::archived(&env, "long")["status"], "completed");
}

#[test]
fn the_supervising_run_starts_what_becomes_due_meanwhile() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    schedule_due(&env, "long", &[]);
    let runner = spawn(run_cmd(&env, &exe, &trace).env("GATE", gate.0.to_str().unwrap()));
    wait_until("long to start", Duration::from_secs(20), || trace.exists());
    // Due in two seconds; no other `run` is started (a systemd timer would not start
    // one while this one is active).
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    env.cmd(&[
        "schedule",
        "--when",
        &soon,
        "--summary",
        "soon",
        "--id",
        "soon",
    ])
    .success();
    gate.open("soon");
    wait_until("soon to complete", Duration::from_secs(20), || {
        env.latest()
            .get("soon")
            .is_some_and(|t| t["status"] == "completed")
    });
    assert_eq!(env.task("long")["status"], "executing");
    gate.open("long");
    let out = runner.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
}

#[test]
fn bad_lane_settings_are_refused_naming_the_variable_and_nothing_is_written() {
    let env = Env::new();
    schedule_due(&env, "a", &[]);
    let before = env.store_bytes();
    for (var, value) in [
        ("DEFER_MAX_PARALLEL", "0"),
        ("DEFER_MAX_PARALLEL", "257"),
        ("DEFER_MAX_PARALLEL", "many"),
        ("DEFER_LANES", "repo-a"),
        ("DEFER_LANES", "repo-a=0"),
        ("DEFER_LANES", "Repo=1"),
    ] {
        let out = env.cmd(&["run"]).env(var, value).failure(1);
        let line = out.error_line();
        assert!(line.contains(&format!("{var} ")), "{line}");
        assert!(line.contains(value), "{line}");
        assert!(line.contains("accepted:"), "{line}");
        assert_eq!(env.store_bytes(), before, "{var}={value} wrote");
    }
    assert_eq!(env.task("a")["status"], "scheduled");
}

#[test]
fn a_bad_lane_or_overlap_is_refused_and_nothing_is_written() {
    let env = Env::new();
    for lane in ["Repo", "-x", "a b", &"a".repeat(65)] {
        let out = env
            .cmd(&["schedule", "--when", "1h", "--summary", "s", "--lane", lane])
            .failure(1);
        assert!(
            out.error_line()
                .starts_with(&format!("defer: invalid --lane '{lane}'")),
            "{}",
            out.error_line()
        );
    }
    let out = env
        .cmd(&[
            "schedule",
            "--when",
            "1h",
            "--summary",
            "s",
            "--overlap",
            "skip",
        ])
        .failure(1);
    assert!(
        out.error_line().contains("--overlap 'skip'"),
        "{}",
        out.error_line()
    );
    env.cmd(&[
        "schedule",
        "--every",
        "1h",
        "--summary",
        "s",
        "--overlap",
        "sometimes",
    ])
    .failure(1);
    assert!(!env.store_exists());
}

#[test]
fn doctor_shows_each_lanes_use_and_tasks_waiting_for_a_slot() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    schedule_due(&env, "long", &["--lane", "repo"]);
    let runner = spawn(run_cmd(&env, &exe, &trace).env("GATE", gate.0.to_str().unwrap()));
    wait_until("long to start", Duration::from_secs(20), || trace.exists());
    // Due long ago, in the same lane of one: it waits for `long`'s slot.
    env.cmd(&[
        "schedule",
        "--when",
        "2020-01-01T00:00:00Z",
        "--summary",
        "late",
        "--id",
        "late",
        "--lane",
        "repo",
    ])
    .success();
    let rows = |extra: &[(&str, &str)]| -> Vec<serde_json::Value> {
        let mut cmd = env.cmd(&["doctor"]);
        for (k, v) in extra {
            cmd = cmd.env(k, v);
        }
        let out = cmd.timeout(Duration::from_secs(20)).run();
        out.json().as_array().unwrap().clone()
    };
    let find = |rows: &[serde_json::Value], check: &str| {
        rows.iter().find(|r| r["check"] == check).unwrap().clone()
    };
    let found = rows(&[("DEFER_LANES", "research=3")]);
    let lanes = find(&found, "lanes");
    assert_eq!(lanes["status"], "warn", "{lanes}");
    let detail = lanes["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "1 task(s) waiting for a free slot for over 10 minutes (the oldest, late in lane repo,"
        ),
        "{detail}"
    );
    assert!(
        detail.ends_with("all lanes 1/4, repo 1/1, research 0/3"),
        "{detail}"
    );
    // Waiting for a slot is not a missing runner, and `long` is no orphan.
    assert_eq!(find(&found, "overdue")["status"], "ok");
    assert_eq!(find(&found, "orphans")["status"], "ok");
    gate.open("long");
    gate.open("late");
    let out = runner.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let after = find(&rows(&[]), "lanes");
    assert_eq!(after["status"], "ok", "{after}");
    assert_eq!(after["detail"], "all lanes 0/4");
}

/// A series (`--every 1m`, `--overlap <overlap>`) whose first occurrence is executing
/// under a supervising run (fake clock 10:00:05) held by the gate; returns the run and
/// the ids of occurrences 1 and 2 (2 is due at 10:01).
fn overlapping_series(
    env: &Env,
    gate: &Gate,
    exe: &Path,
    trace: &Path,
    overlap: &str,
) -> (Child, String, String) {
    env.at(
        "2026-12-01 09:59:50",
        &[
            "schedule",
            "--every",
            "1m",
            "--when",
            "2026-12-01T10:00:00Z",
            "--summary",
            "tick",
            "--id",
            "tick",
            "--overlap",
            overlap,
        ],
    )
    .success();
    let first = spawn(
        run_cmd(env, exe, trace)
            .at("2026-12-01 10:00:05")
            .env("GATE", gate.0.to_str().unwrap()),
    );
    wait_until("occurrence 1 to start", Duration::from_secs(20), || {
        trace.exists()
    });
    let occurrence = |k: u64| {
        env.latest()
            .into_iter()
            .find(|(_, t)| t["series"]["occurrence"] == k)
            .map(|(id, _)| id)
            .unwrap()
    };
    (first, occurrence(1), occurrence(2))
}

fn second_run(env: &Env, exe: &Path, trace: &Path, gate: &Gate) -> crate::support::Cmd {
    run_cmd(env, exe, trace)
        .at("2026-12-01 10:01:30")
        .env("GATE", gate.0.to_str().unwrap())
        .timeout(Duration::from_secs(30))
}

#[test]
fn overlap_queue_waits_for_the_running_occurrence() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    let (first, one, two) = overlapping_series(&env, &gate, &exe, &trace, "queue");
    second_run(&env, &exe, &trace, &gate)
        .success()
        .assert_stderr_empty();
    assert_eq!(env.task(&one)["status"], "executing");
    assert_eq!(env.task(&two)["status"], "scheduled");
    gate.open(&one);
    gate.open(&two);
    assert!(first.wait_with_output().unwrap().status.success());
    // Once it ended, the queued fire runs, under its missed policy (§12).
    run_cmd(&env, &exe, &trace)
        .at("2026-12-01 10:01:50")
        .env("GATE", gate.0.to_str().unwrap())
        .success();
    let done = crate::runner::archived(&env, &two);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["run_at"], "2026-12-01T10:01:00Z");
}

#[test]
fn overlap_skip_misses_the_fire_and_the_series_goes_on() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    let (first, one, two) = overlapping_series(&env, &gate, &exe, &trace, "skip");
    second_run(&env, &exe, &trace, &gate).success();
    let missed = crate::runner::archived(&env, &two);
    assert_eq!(missed["status"], "missed", "{missed}");
    assert_eq!(missed["result"]["reason"], "overlap");
    assert_eq!(env.task(&one)["status"], "executing");
    let three: Vec<_> = env
        .latest()
        .into_values()
        .filter(|t| t["series"]["occurrence"] == 3)
        .collect();
    assert_eq!(three.len(), 1, "{three:?}");
    assert_eq!(three[0]["status"], "scheduled");
    assert_eq!(three[0]["run_at"], "2026-12-01T10:02:00Z");
    gate.open(&one);
    assert!(first.wait_with_output().unwrap().status.success());
    assert_eq!(crate::runner::archived(&env, &one)["status"], "completed");
}

#[test]
fn overlap_replace_stops_the_running_occurrence_and_starts_the_new_one() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    let (first, one, two) = overlapping_series(&env, &gate, &exe, &trace, "replace");
    gate.open(&two);
    second_run(&env, &exe, &trace, &gate)
        .success()
        .assert_stderr_empty();
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let replaced = crate::runner::archived(&env, &one);
    assert_eq!(replaced["status"], "cancelled", "{replaced}");
    assert_eq!(replaced["cancel_reason"], "replaced by occurrence 2");
    // Its worker saw the record and wrote no outcome over it.
    let snapshots: Vec<_> = env
        .archive_records()
        .into_iter()
        .filter(|t| t["id"] == one.as_str())
        .collect();
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    assert_eq!(crate::runner::archived(&env, &two)["status"], "completed");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains(&format!("end {one} ")), "{text}");
}

#[test]
fn overlap_allow_runs_both() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    let (first, one, two) = overlapping_series(&env, &gate, &exe, &trace, "allow");
    gate.open(&two);
    second_run(&env, &exe, &trace, &gate).success();
    assert_eq!(env.task(&one)["status"], "executing");
    assert_eq!(crate::runner::archived(&env, &two)["status"], "completed");
    gate.open(&one);
    assert!(first.wait_with_output().unwrap().status.success());
    assert_eq!(crate::runner::archived(&env, &one)["status"], "completed");
}

#[test]
fn a_task_that_waited_for_a_slot_is_judged_late_from_when_it_was_first_found_due() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    for (id, extra) in [
        ("long", vec!["--max-retries", "1"]),
        ("wait", vec!["--missed", "skip", "--grace", "1m"]),
    ] {
        let mut args = vec![
            "schedule",
            "--when",
            "2026-12-01T10:00:00Z",
            "--summary",
            id,
            "--id",
            id,
            "--lane",
            "repo",
        ];
        args.extend(extra);
        env.at("2026-12-01 09:59:50", &args).success();
    }
    let mut first = spawn(
        run_cmd(&env, &exe, &trace)
            .at("2026-12-01 10:00:05")
            .env("GATE", gate.0.to_str().unwrap()),
    );
    wait_until("long to start", Duration::from_secs(20), || trace.exists());
    // `wait` found due at 10:00:05 with its lane busy: remembered in the store.
    let seen = env.task("wait")["found_due_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(seen.starts_with("2026-12-01T10:00:0"), "{seen}");
    first.kill().unwrap(); // SIGKILL: another run starts `wait`
    first.wait().unwrap();
    gate.open("wait");
    run_cmd(&env, &exe, &trace)
        .at("2026-12-01 10:05:00")
        .env("GATE", gate.0.to_str().unwrap())
        .success();
    // Five minutes after its fire, but it waited for a slot: not missed (grace 1m).
    let done = crate::runner::archived(&env, "wait");
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done.get("found_due_at").is_none(), "{done}");
    assert_eq!(env.task("long")["last_error"], "interrupted");
}

#[test]
fn mcp_schedule_takes_lane_and_overlap() {
    use crate::mcp::{call, initialize};
    let env = Env::new();
    let input = [
        initialize(),
        call(
            1,
            "schedule",
            serde_json::json!({"every": "1h", "summary": "s", "id": "m1", "lane": "repo-a",
                               "overlap": "skip"}),
        ),
        call(
            2,
            "schedule",
            serde_json::json!({"when": "1h", "summary": "s", "lane": "Repo A"}),
        ),
    ]
    .join("\n")
        + "\n";
    let out = env.cmd(&["mcp"]).stdin(input).success();
    let replies: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(replies[1]["result"]["isError"], false, "{}", replies[1]);
    assert_eq!(replies[2]["result"]["isError"], true, "{}", replies[2]);
    let text = replies[2]["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("invalid --lane 'Repo A'"), "{text}");
    let task = env.task("m1");
    assert_eq!(task["lane"], "repo-a");
    assert_eq!(task["overlap"], "skip");
    assert_eq!(env.records().len(), 1);
}

#[test]
fn list_table_shows_a_lane_column_when_a_task_has_a_lane() {
    let env = Env::new();
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "plain",
        "--id",
        "p",
    ])
    .success();
    let plain = env
        .cmd(&["list", "--format", "table"])
        .env("COLUMNS", "200")
        .success();
    assert!(!plain.stdout.contains("LANE"), "{}", plain.stdout);
    env.cmd(&[
        "schedule",
        "--when",
        "1h",
        "--summary",
        "laned",
        "--id",
        "l",
        "--lane",
        "repo-a",
    ])
    .success();
    let table = env
        .cmd(&["list", "--format", "table"])
        .env("COLUMNS", "200")
        .success();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(
        lines[0].contains("INTENT") && lines[0].contains("LANE  "),
        "{}",
        table.stdout
    );
    let lane_at = lines[0].find("LANE").unwrap();
    let row = |id: &str| *lines.iter().find(|l| l.starts_with(id)).unwrap();
    assert!(
        row("l")[lane_at..].starts_with("repo-a"),
        "{}",
        table.stdout
    );
    assert!(row("p")[lane_at..].starts_with('-'), "{}", table.stdout);
    let shown = env.cmd(&["show", "l"]).success().json();
    assert_eq!(shown["lane"], "repo-a");
}

#[test]
fn a_supervising_run_keeps_the_heartbeat_fresh() {
    let env = Env::new();
    let (exe, trace) = tracer(&env);
    let gate = Gate::new(&env);
    schedule_due(&env, "long", &[]);
    let runner = spawn(run_cmd(&env, &exe, &trace).env("GATE", gate.0.to_str().unwrap()));
    wait_until("long to start", Duration::from_secs(20), || trace.exists());
    let lock = env.runtime_dir().join("deferred.jsonl.run.lock");
    let stamp = || std::fs::metadata(&lock).unwrap().modified().unwrap();
    let first = stamp();
    // No other `run` starts (a systemd timer would start none): the supervisor stamps it.
    wait_until("the heartbeat to move", Duration::from_secs(10), || {
        stamp() > first
    });
    gate.open("long");
    let out = runner.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn cron_bakes_the_lane_settings_into_its_line() {
    let env = Env::new();
    let out = env
        .cmd(&["cron"])
        .env("DEFER_LANES", "repo-a=1,research=3")
        .env("DEFER_MAX_PARALLEL", "8")
        .success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.ends_with("# defer-runner"))
        .unwrap();
    assert!(line.contains(" DEFER_LANES=repo-a=1,research=3 "), "{line}");
    assert!(line.contains(" DEFER_MAX_PARALLEL=8 "), "{line}");
}

#[test]
fn export_carries_overlap_to_kubernetes_and_systemd() {
    let env = Env::new();
    for overlap in ["queue", "skip", "replace", "allow"] {
        env.cmd(&[
            "schedule",
            "--cron",
            "0 9 * * *",
            "--summary",
            "s",
            "--id",
            overlap,
            "--overlap",
            overlap,
        ])
        .success();
    }
    env.cmd(&[
        "schedule",
        "--cron",
        "0 9 * * *",
        "--summary",
        "s",
        "--id",
        "unset",
    ])
    .success();
    let kubernetes = |id: &str| env.cmd(&["export", id, "--format", "kubernetes"]);
    for (id, policy) in [
        ("skip", "Forbid"),
        ("replace", "Replace"),
        ("allow", "Allow"),
        ("unset", "Forbid"),
    ] {
        let out = kubernetes(id).success();
        assert!(
            out.stdout
                .contains(&format!("  concurrencyPolicy: \"{policy}\"\n")),
            "{id}: {}",
            out.stdout
        );
    }
    let refused = kubernetes("queue").failure(1);
    assert!(
        refused.error_line().contains("--overlap queue")
            && refused.error_line().contains("accepted"),
        "{}",
        refused.error_line()
    );
    let systemd = |id: &str| env.cmd(&["export", id, "--format", "systemd"]);
    systemd("skip").success();
    systemd("queue").success();
    for id in ["replace", "allow"] {
        let out = systemd(id).failure(1);
        assert!(
            out.error_line().contains(&format!("--overlap {id}")),
            "{}",
            out.error_line()
        );
    }
}

#[test]
fn bad_lane_settings_are_refused_by_every_command_alike() {
    let env = Env::new();
    for (var, value, needle) in [
        (
            "DEFER_MAX_PARALLEL",
            "abc",
            "invalid DEFER_MAX_PARALLEL 'abc'",
        ),
        (
            "DEFER_LANES",
            "repo-a=x",
            "invalid DEFER_LANES entry 'repo-a=x'",
        ),
    ] {
        for args in [&["list"][..], &["cron"], &["run"], &["mcp", "config"]] {
            let out = env.cmd(args).env(var, value).failure(1);
            assert!(
                out.error_line().contains(needle),
                "{args:?}: {}",
                out.stderr
            );
            assert_eq!(out.stdout, "", "{args:?}: nothing baked or printed");
        }
        let doctor = env.cmd(&["doctor", "--compact"]).env(var, value).failure(1);
        let rows: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
        let settings = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["check"] == "settings")
            .unwrap();
        assert_eq!(settings["status"], "fail", "{settings}");
        assert!(
            settings["detail"].as_str().unwrap().contains(var),
            "{settings}"
        );
    }
}
