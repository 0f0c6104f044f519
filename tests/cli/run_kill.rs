//! `defer run` racing other runners and killed with SIGKILL (SPEC §4, §6, §7): every
//! due task runs exactly once, a killed runner leaves no stale lock and its task is
//! recovered as `interrupted`, and random kills of `run` / `archive` over a large store
//! lose, duplicate or double-archive nothing, also on a store over 8 MiB that the
//! runner sweeps without compacting (SPEC §18).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::runner::archived;
use crate::support::{record_with, wait_until, Env, XorShift};

#[test]
fn overlapping_runners_execute_each_task_exactly_once() {
    let env = Env::new();
    let ids: Vec<String> = (0..30).map(|i| format!("c{i:02}")).collect();
    let store: String = ids
        .iter()
        .map(|id| record_with(id, &[("run_at", json!("2020-01-01T00:00:00Z"))]) + "\n")
        .collect();
    env.write_store(store);
    let shared = env.root().join("executed.txt");
    // A little work per task so the runners overlap.
    let exe = env.write_executor("mark", r#"echo "$DEFER_TASK_ID" >> "$SHARED"; sleep 0.02"#);
    let started = Instant::now();
    for round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                env.cmd(&["run"])
                    .env("DEFER_EXECUTOR", exe.to_str().unwrap())
                    .env("SHARED", shared.to_str().unwrap())
                    .command()
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawning defer run")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {out:?}");
            assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    let executed = fs::read_to_string(&shared).unwrap();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in executed.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for id in &ids {
        assert_eq!(counts.get(id.as_str()), Some(&1), "{id} ran {counts:?}");
        assert_eq!(archived(&env, id)["status"], "completed");
    }
    assert_eq!(counts.len(), ids.len(), "{counts:?}");
    assert_eq!(env.log_events("runner claimed").len(), ids.len());
    let skipped = env.log_events("runner skipped");
    eprintln!("{} of 12 runners skipped", skipped.len());
    for line in skipped {
        assert!(line.ends_with("runner skipped reason=lock_held"), "{line}");
    }
}

/// Kills the executor's process group (its pid, as written by the executor) on drop,
/// so a failing test does not leak a `sleep 30`.
struct GroupKiller(PathBuf);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(pid) = fs::read_to_string(&self.0)
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        {
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
    }
}

/// Schedules `id` due now, starts `defer run` with an executor that sleeps, SIGKILLs the
/// runner while the executor runs, then runs again (executor still alive) and returns
/// the env; the recovered task is what the second run made of it.
fn kill_runner_mid_task(id: &str, max_retries: &str) -> Env {
    let env = Env::new();
    let dir = env.root().join("marks");
    fs::create_dir(&dir).unwrap();
    let exe = env.write_executor(
        "sleepy",
        r#"echo $$ > "$MARKS/pid"; touch "$MARKS/started"; exec sleep 30"#,
    );
    crate::support::schedule_due(&env, id, &["--max-retries", max_retries]);
    let _killer = GroupKiller(dir.join("pid"));
    let mut runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("MARKS", dir.to_str().unwrap())
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the executor to start", Duration::from_secs(20), || {
        dir.join("started").exists() && dir.join("pid").exists()
    });
    assert_eq!(env.task(id)["status"], "executing");
    runner.kill().unwrap(); // SIGKILL
    runner.wait().unwrap();

    let started = Instant::now();
    let out = env
        .cmd(&["run"])
        .env("DEFER_RETRY_DELAY_SECONDS", "3600")
        .timeout(Duration::from_secs(30))
        .success();
    // Only a task that ends `failed` is worth a line; a scheduled retry is not.
    let expected = match max_retries {
        "0" => format!("defer: task {id} failed after 1 attempt: interrupted\n"),
        _ => String::new(),
    };
    assert_eq!(out.stderr, expected);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the next run was blocked: {:?}",
        started.elapsed()
    );
    assert!(
        env.log_events("runner skipped").is_empty(),
        "a killed runner left its lock held: {:?}",
        env.log_lines()
    );
    let interrupted = env.log_events("interrupted");
    assert_eq!(interrupted.len(), 1, "{:?}", env.log_lines());
    assert!(
        interrupted[0].contains(&format!("interrupted id={id}")),
        "{}",
        interrupted[0]
    );
    env
}

#[test]
fn killed_runner_task_is_retried_as_interrupted() {
    let before = crate::support::now_secs();
    let env = kill_runner_mid_task("k1", "1");
    let task = env.task("k1");
    assert_eq!(task["status"], "scheduled");
    assert_eq!(task["attempts"], 1);
    assert_eq!(task["last_error"], "interrupted");
    assert_eq!(task["result"]["type"], "interrupted");
    assert_eq!(task["result"]["next_run_at"], task["run_at"]);
    let next = crate::support::instant(task["run_at"].as_str().unwrap());
    assert!(next >= before + chrono::Duration::seconds(3600), "{next}");
    assert!(task.get("failed_at").is_none() && task.get("error").is_none());
}

#[test]
fn killed_runner_task_without_retries_fails_as_interrupted() {
    let env = kill_runner_mid_task("k0", "0");
    let task = archived(&env, "k0");
    assert_eq!(task["status"], "failed");
    assert_eq!(task["attempts"], 1);
    assert_eq!(task["error"], "interrupted");
    assert_eq!(task["result"]["type"], "interrupted");
    assert!(crate::support::is_timestamp(
        task["failed_at"].as_str().unwrap()
    ));
}

/// What the big store holds for one id.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Completed / failed / cancelled before the test: archived verbatim.
    Terminal,
    /// Scheduled far in the future: stays active and scheduled.
    Later,
    /// Due: ends terminal (completed, or failed if interrupted without retries).
    Due,
}

/// The ids written to the store so far, what each should end as, and the lines.
#[derive(Default)]
struct Fixture {
    kinds: HashMap<String, Kind>,
    /// The last line of each `Terminal` id, which must be archived verbatim.
    terminal_lines: HashMap<String, String>,
    planted: Vec<String>,
    /// No invalid lines (they make every run scan the whole store).
    no_plants: bool,
}

impl Fixture {
    /// Lines for `count` new ids named `<prefix><n>`: one in 30 due (some with an
    /// earlier snapshot; few, as each execution costs several fsyncs), of the rest 60%
    /// terminal (some with an earlier snapshot) and 40% scheduled far ahead; a planted
    /// invalid line every 700 ids.
    fn batch(&mut self, prefix: &str, count: usize) -> String {
        let mut lines = Vec::new();
        for i in 0..count {
            let id = format!("{prefix}{i:04}");
            let month = i % 12 + 1;
            let line = match i % 10 {
                _ if i % 30 == 29 => {
                    self.kinds.insert(id.clone(), Kind::Due);
                    if i % 60 == 59 {
                        lines.push(record_with(
                            &id,
                            &[("run_at", json!("2099-01-01T00:00:00Z"))],
                        ));
                    }
                    record_with(
                        &id,
                        &[
                            ("run_at", json!(format!("2020-{month:02}-01T00:00:00Z"))),
                            ("max_retries", json!(i % 3)),
                        ],
                    )
                }
                0..=5 => {
                    let (status, field) = match i % 3 {
                        0 => ("completed", "completed_at"),
                        1 => ("failed", "failed_at"),
                        _ => ("cancelled", "cancelled_at"),
                    };
                    if i % 4 == 0 {
                        lines.push(record_with(
                            &id,
                            &[("run_at", json!("2025-01-01T00:00:00Z"))],
                        ));
                    }
                    self.kinds.insert(id.clone(), Kind::Terminal);
                    let line = record_with(
                        &id,
                        &[
                            ("status", json!(status)),
                            (field, json!(format!("2025-{month:02}-15T12:00:00Z"))),
                            ("x_unknown", json!({"i": i})),
                        ],
                    );
                    self.terminal_lines.insert(id.clone(), line.clone());
                    line
                }
                _ => {
                    self.kinds.insert(id.clone(), Kind::Later);
                    record_with(&id, &[("run_at", json!("2099-01-01T00:00:00Z"))])
                }
            };
            lines.push(line);
            if i % 700 == 350 && !self.no_plants {
                let bad = format!("not a record: planted {prefix} {i}");
                self.planted.push(bad.clone());
                lines.push(bad);
            }
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

fn append(env: &Env, text: &str) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(env.store_path())
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Spawns `defer <command>` and SIGKILLs it after `delay`; true if it had finished.
fn run_and_kill(env: &Env, command: &str, delay: Duration) -> bool {
    let mut child = env
        .cmd(&[command])
        .env("DEFER_RETRY_DELAY_SECONDS", "0")
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill();
    child.wait().unwrap();
    finished
}

#[test]
fn random_kills_of_run_and_archive_lose_and_duplicate_nothing() {
    let env = Env::new();
    let mut fixture = Fixture::default();
    let store = fixture.batch("big", 2200);
    fixture
        .planted
        .push(r#"{"id":"torn-at-the-end","#.to_string());
    env.write_store(format!("{store}{}\n", fixture.planted.last().unwrap()));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("run/archive kill test seed {seed}");
    let mut rng = XorShift(seed);
    let started = Instant::now();
    // Half the kills within 50 ms, half within 1.5 times an unkilled command's time on
    // the initial store, so they land anywhere: startup, recovery, claims, executions,
    // each step of the sweep.
    let calibrated: HashMap<&str, u64> = ["run", "archive"]
        .into_iter()
        .map(|command| {
            let scratch = Env::new();
            scratch.write_store(&store);
            let t = Instant::now();
            scratch.cmd(&[command]).success();
            let micros = t.elapsed().as_micros() as u64 * 3 / 2;
            (command, micros.clamp(50_000, 1_000_000))
        })
        .collect();
    eprintln!("kill delays below 50 ms or {calibrated:?} us");
    let (mut finished, mut killed) = (0, 0);
    for round in 0..24 {
        if round > 0 {
            // More work for the next command, written while no `defer` runs.
            append(&env, &fixture.batch(&format!("r{round:02}_"), 60));
        }
        let command = if rng.next().is_multiple_of(2) {
            "run"
        } else {
            "archive"
        };
        let max = if round % 2 == 0 {
            50_000
        } else {
            calibrated[command]
        };
        match run_and_kill(&env, command, Duration::from_micros(rng.next() % max)) {
            true => finished += 1,
            false => killed += 1,
        }
    }
    eprintln!("{killed} killed, {finished} finished before the kill");
    let planted = &fixture.planted;
    let kinds = &fixture.kinds;
    let terminal_lines = &fixture.terminal_lines;
    for command in ["archive", "run", "archive"] {
        let out = env
            .cmd(&[command])
            .env("DEFER_RETRY_DELAY_SECONDS", "0")
            .timeout(Duration::from_secs(30))
            .success();
        assert_eq!(out.stdout, "");
        // Only the planted lines are reported, on one line (SPEC §21).
        let line = out.error_line();
        let count = format!("defer: warning: {} invalid store lines (", planted.len());
        assert!(line.starts_with(&count), "{line}");
        assert!(line.ends_with("); see 'defer doctor'"), "{line}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(!env.archive_dir().join(".sweep-pending").exists());

    // The active store: planted lines once each, verbatim; the rest valid records.
    let lines = env.store_lines();
    for bad in planted {
        assert_eq!(lines.iter().filter(|l| *l == bad).count(), 1, "{bad}");
    }
    let active = env.latest();
    for line in lines.iter().filter(|l| !planted.contains(l)) {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value["id"].is_string(), "{line}");
    }

    // Archive: every line a record, each id at most once, in the right month file.
    let mut archived_count: HashMap<String, usize> = HashMap::new();
    for (file, file_lines) in env.archive_files() {
        for line in file_lines {
            let value: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{file}: {e}: {line}"));
            let id = value["id"].as_str().unwrap().to_string();
            *archived_count.entry(id.clone()).or_default() += 1;
            match kinds.get(&id) {
                Some(Kind::Terminal) => {
                    assert_eq!(&line, &terminal_lines[&id], "archived verbatim");
                    let stamp = ["completed_at", "failed_at", "cancelled_at"]
                        .iter()
                        .find_map(|f| value[*f].as_str())
                        .unwrap();
                    assert_eq!(
                        file,
                        format!("deferred_{}{}.jsonl", &stamp[..4], &stamp[5..7])
                    );
                }
                Some(Kind::Due) => {
                    let status = value["status"].as_str().unwrap();
                    assert!(status == "completed" || status == "failed", "{line}");
                }
                other => panic!("{id} ({other:?}) archived: {line}"),
            }
        }
    }
    for (id, kind) in kinds {
        let in_archive = archived_count.get(id).copied().unwrap_or(0);
        match kind {
            Kind::Terminal | Kind::Due => {
                assert_eq!(in_archive, 1, "{id} ({kind:?}) archived {in_archive} times");
                assert!(!active.contains_key(id), "{id} both archived and active");
            }
            Kind::Later => {
                assert_eq!(in_archive, 0, "{id}");
                assert_eq!(active[id]["status"], "scheduled", "{id}");
                assert_eq!(active[id]["attempts"], 0, "{id}");
            }
        }
    }
    assert_eq!(
        active.len(),
        kinds.values().filter(|k| **k == Kind::Later).count()
    );
    // Compacted: one line per active task plus the planted lines.
    assert_eq!(lines.len(), active.len() + planted.len());
}

/// SPEC §18 under SIGKILL: on a store over 8 MiB the runner archives without
/// rewriting the store, working from the summary when it is current (tasks written
/// through `defer`) and from full scans when it is not (lines appended by hand). Every
/// terminal task is archived exactly once, a terminal record left in the active store
/// is never listed as active and `show` finds it, and `archive` still compacts.
#[test]
fn random_kills_on_a_large_store_swept_lazily_archive_exactly_once() {
    let env = Env::new();
    let mut fixture = Fixture {
        no_plants: true,
        ..Fixture::default()
    };
    // Nine tasks of 1 MiB each, scheduled far ahead: the store is over 8 MiB and
    // stays mostly live, so no sweep below compacts it.
    let mut store: String = (0..9)
        .map(|i| {
            let id = format!("pad{i}");
            fixture.kinds.insert(id.clone(), Kind::Later);
            let summary = "p".repeat(1 << 20);
            let line = record_with(
                &id,
                &[
                    ("run_at", json!("2099-01-01T00:00:00Z")),
                    ("context", json!({"summary": summary})),
                ],
            );
            format!("{line}\n")
        })
        .collect();
    store.push_str(&fixture.batch("big", 300));
    env.write_store(&store);
    // Kills land anywhere in a run: up to 1.5 times an unkilled one on this store.
    let max_micros = {
        let scratch = Env::new();
        scratch.write_store(&store);
        let t = Instant::now();
        scratch.cmd(&["run"]).success();
        (t.elapsed().as_micros() as u64 * 3 / 2).clamp(20_000, 1_000_000)
    };
    let mut cancelled = Vec::new();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("lazy sweep kill test seed {seed}, delays below {max_micros} us");
    let mut rng = XorShift(seed);
    let (mut finished, mut killed) = (0, 0);
    for round in 0..20 {
        match round % 4 {
            0 if round > 0 => append(&env, &fixture.batch(&format!("r{round:02}_"), 30)),
            _ if round > 0 => {
                // Through `defer`: the summary stays current and lists these.
                for k in 0..2 {
                    let id = format!("s{round:02}_{k}");
                    env.cmd(&["schedule", "--when", "now", "--summary", &id, "--id", &id])
                        .success();
                    fixture.kinds.insert(id, Kind::Due);
                }
                let id = format!("c{round:02}");
                env.cmd(&["schedule", "--when", "2d", "--summary", &id, "--id", &id])
                    .success();
                env.cmd(&["cancel", &id]).success();
                cancelled.push(id);
            }
            _ => {}
        }
        let command = if round % 7 == 6 { "archive" } else { "run" };
        // Half the kills within 30 ms: a run from the summary is that quick.
        let max = if round % 2 == 0 { 30_000 } else { max_micros };
        let delay = Duration::from_micros(rng.next() % max);
        match run_and_kill(&env, command, delay) {
            true => finished += 1,
            false => killed += 1,
        }
    }
    eprintln!("{killed} killed, {finished} finished before the kill");
    for _ in 0..2 {
        let out = env
            .cmd(&["run"])
            .env("DEFER_RETRY_DELAY_SECONDS", "0")
            .timeout(Duration::from_secs(30))
            .success();
        assert_eq!(out.stdout, "");
    }
    assert!(!env.archive_dir().join(".sweep-pending").exists());

    check_archived_once(&env, &fixture, &cancelled);
    // A foreign append (the summary is stale: a full scan finds the archived records
    // still in the store) and a deleted summary: still nothing archived twice.
    append(&env, &fixture.batch("late", 30));
    env.cmd(&["run"]).success();
    check_archived_once(&env, &fixture, &cancelled);
    fs::remove_file(env.runtime_dir().join("deferred.jsonl.idx")).unwrap();
    env.cmd(&["run"]).success();
    check_archived_once(&env, &fixture, &cancelled);

    // Archived records may still be in the store (it is over 8 MiB and mostly live),
    // but `list` shows only the live tasks, and `show` finds each lingering one.
    assert!(fs::metadata(env.store_path()).unwrap().len() > 8 << 20);
    let latest = env.latest();
    let lingering: Vec<&String> = latest
        .iter()
        .filter(|(_, v)| v["status"] != "scheduled")
        .map(|(id, _)| id)
        .collect();
    assert!(!lingering.is_empty(), "the lazy path was not taken");
    let listed = env.cmd(&["list", "--compact"]).success().json();
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let later = fixture
        .kinds
        .values()
        .filter(|k| **k == Kind::Later)
        .count();
    assert_eq!(listed.len(), later, "{listed:?}");
    for id in lingering.iter().take(5) {
        assert!(!listed.contains(&id.as_str()), "{id} listed as active");
        let shown = env.cmd(&["show", id]).success().json();
        assert_eq!(shown["id"], id.as_str());
    }

    // `archive` compacts: only the live tasks stay, nothing is archived twice.
    env.cmd(&["archive"]).success();
    check_archived_once(&env, &fixture, &cancelled);
    let active = env.latest();
    assert_eq!(active.len(), later);
    assert!(active.values().all(|v| v["status"] == "scheduled"));
    assert_eq!(env.store_lines().len(), later);
}

/// Each terminal task of `fixture` (and each of `cancelled`) archived exactly once,
/// verbatim when the fixture wrote its terminal line; nothing else archived.
fn check_archived_once(env: &Env, fixture: &Fixture, cancelled: &[String]) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for (_, lines) in env.archive_files() {
        for line in lines {
            let value: Value = serde_json::from_str(&line).unwrap();
            *count
                .entry(value["id"].as_str().unwrap().to_string())
                .or_default() += 1;
            if let Some(expected) = fixture.terminal_lines.get(value["id"].as_str().unwrap()) {
                assert_eq!(&line, expected, "archived verbatim");
            }
        }
    }
    for (id, kind) in &fixture.kinds {
        let n = count.get(id).copied().unwrap_or(0);
        match kind {
            Kind::Terminal | Kind::Due => assert_eq!(n, 1, "{id} ({kind:?}) archived {n} times"),
            Kind::Later => assert_eq!(n, 0, "{id}"),
        }
    }
    for id in cancelled {
        assert_eq!(count.get(id), Some(&1), "{id}");
    }
    for id in count.keys() {
        assert!(
            fixture.kinds.contains_key(id) || cancelled.contains(id),
            "{id} archived"
        );
    }
}

/// Starts `defer run` over `ids` (due, `--max-retries 1`) with an executor that writes
/// its pid to `marks/<id>.pid` and sleeps; returns the runner once every executor runs.
fn supervise_sleepers(env: &Env, ids: &[&str]) -> (std::process::Child, PathBuf) {
    let dir = env.root().join("marks");
    fs::create_dir_all(&dir).unwrap();
    let exe = env.write_executor(
        "sleepers",
        r#"echo $$ > "$MARKS/$DEFER_TASK_ID.pid.tmp"; mv "$MARKS/$DEFER_TASK_ID.pid.tmp" "$MARKS/$DEFER_TASK_ID.pid"; exec sleep 30"#,
    );
    for id in ids {
        crate::support::schedule_due(env, id, &["--max-retries", "1"]);
    }
    let runner = env
        .cmd(&["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("MARKS", dir.to_str().unwrap())
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("every executor to start", Duration::from_secs(20), || {
        ids.iter().all(|id| dir.join(format!("{id}.pid")).exists())
    });
    (runner, dir)
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn killing_the_supervising_run_recovers_each_parallel_task_exactly_once() {
    let env = Env::new();
    let ids = ["p1", "p2", "p3"];
    let (mut runner, dir) = supervise_sleepers(&env, &ids);
    let _killers: Vec<_> = ids
        .iter()
        .map(|id| GroupKiller(dir.join(format!("{id}.pid"))))
        .collect();
    for id in ids {
        assert_eq!(env.task(id)["status"], "executing");
    }
    runner.kill().unwrap(); // SIGKILL
    runner.wait().unwrap();
    let pids: Vec<i32> = ids
        .iter()
        .map(|id| {
            let text = fs::read_to_string(dir.join(format!("{id}.pid"))).unwrap();
            text.trim().parse().unwrap()
        })
        .collect();
    // The executors outlive their runner (own process groups) until recovery.
    assert!(pids.iter().all(|&pid| alive(pid)));
    for _ in 0..2 {
        env.cmd(&["run"])
            .env("DEFER_RETRY_DELAY_SECONDS", "3600")
            .timeout(Duration::from_secs(30))
            .success()
            .assert_stderr_empty();
    }
    let interrupted = env.log_events("interrupted");
    assert_eq!(interrupted.len(), 3, "{interrupted:?}");
    for id in ids {
        let task = env.task(id);
        assert_eq!(task["status"], "scheduled", "{task}");
        assert_eq!(task["attempts"], 1);
        assert_eq!(task["last_error"], "interrupted");
        assert_eq!(
            interrupted
                .iter()
                .filter(|l| l.contains(&format!("id={id} ")))
                .count(),
            1,
            "{interrupted:?}"
        );
    }
    // Their dead worker's lock files are gone with the recovery.
    for id in ids {
        assert!(!env.log_dir().join(format!("{id}.lock")).exists());
    }
    // Each orphan's executor group was stopped by the recovering run (an exited
    // `sleep` may linger as a zombie of init, so the audit line says it).
    for line in &interrupted {
        assert!(line.ends_with("executor=stopped"), "{line}");
    }
}

#[test]
fn a_live_workers_tasks_are_never_recovered_by_another_run() {
    let env = Env::new();
    let ids = ["w1", "w2"];
    let (mut runner, dir) = supervise_sleepers(&env, &ids);
    let _killers: Vec<_> = ids
        .iter()
        .map(|id| GroupKiller(dir.join(format!("{id}.pid"))))
        .collect();
    // Runs while the first supervises: they take the runner lock (it is free) and
    // find the tasks executing, with their workers alive.
    for _ in 0..3 {
        env.cmd(&["run"]).success().assert_stderr_empty();
    }
    assert!(
        env.log_events("interrupted").is_empty(),
        "{:?}",
        env.log_lines()
    );
    assert!(env.log_events("runner skipped").is_empty());
    for id in ids {
        let task = env.task(id);
        assert_eq!(task["status"], "executing", "{task}");
        assert_eq!(task["attempts"], 0);
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
}

#[test]
fn racing_runs_never_run_two_tasks_of_a_lane_of_one_at_once() {
    let env = Env::new();
    let ids: Vec<String> = (0..8).map(|i| format!("l{i}")).collect();
    for id in &ids {
        crate::support::schedule_due(&env, id, &["--lane", "one"]);
    }
    let trace = env.root().join("trace");
    let exe = env.write_executor(
        "lane",
        r#"echo "start $DEFER_TASK_ID" >> "$TRACE"; sleep 0.1; echo "end $DEFER_TASK_ID" >> "$TRACE""#,
    );
    for _ in 0..4 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                env.cmd(&["run"])
                    .env("DEFER_EXECUTOR", exe.to_str().unwrap())
                    .env("TRACE", trace.to_str().unwrap())
                    .command()
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
        }
    }
    // Every start is followed by its own end before the next start: one at a time.
    let text = fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 * ids.len(), "{text}");
    for pair in lines.chunks(2) {
        let id = pair[0].strip_prefix("start ").expect(&text);
        assert_eq!(pair[1], format!("end {id}"), "{text}");
    }
    let mut started: Vec<&str> = lines.iter().step_by(2).map(|l| &l[6..]).collect();
    started.sort();
    assert_eq!(started, ids.iter().map(String::as_str).collect::<Vec<_>>());
}
