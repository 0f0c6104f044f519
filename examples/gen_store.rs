//! Generates a realistic `deferred.jsonl` for benchmarks (see `bench/run.sh`).
//!
//! ```text
//! cargo run --release --example gen_store -- --records N [--due N]
//!     [--terminal-fraction F] [--seed S] --out FILE
//! ```
//!
//! `--records` is the number of lines. Tasks have summaries of 80–300 characters, 2–6
//! key points, a few artifacts and constraints; about a quarter of the ids have several
//! snapshots (claimed, retried, finished) spread through the file as the append-only
//! log has them. The latest state of each id is `scheduled` in the future, except for
//! `--due` ids (scheduled in the past, spread evenly) and a `--terminal-fraction` of
//! ids (completed, failed or cancelled). Deterministic for a given seed.

use std::io::{BufWriter, Write};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use defer::lifecycle::{self, Output};
use defer::task::{AuraLevel, Context, Execution, Intent, Mode, ResultType, Status, Task};
use serde_json::{Map, Value};

/// xorshift64*: small, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "resume",
    "the",
    "migration",
    "of",
    "billing",
    "service",
    "to",
    "new",
    "queue",
    "check",
    "whether",
    "flaky",
    "integration",
    "tests",
    "pass",
    "after",
    "rebase",
    "follow",
    "up",
    "with",
    "review",
    "comments",
    "on",
    "pull",
    "request",
    "about",
    "cache",
    "invalidation",
    "deploy",
    "staging",
    "verify",
    "metrics",
    "dashboard",
    "latency",
    "p99",
    "regression",
    "customer",
    "report",
    "draft",
    "release",
    "notes",
    "for",
    "version",
    "update",
    "dependencies",
    "audit",
    "log",
    "rotation",
    "config",
    "schema",
    "backfill",
    "index",
    "and",
    "then",
    "ask",
    "team",
    "confirm",
    "owner",
    "before",
    "merging",
    "rollout",
];
const PATHS: &[&str] = &[
    "src/billing/queue.rs",
    "docs/runbook.md",
    "migrations/0042_backfill.sql",
    "https://github.com/example/repo/pull/1234",
    "/home/dev/notes/todo.md",
    "dashboards/latency.json",
    "tests/integration/payments.rs",
    "CHANGELOG.md",
];
const CONSTRAINTS: &[&str] = &[
    "do not touch production before Friday",
    "keep the public API stable",
    "ask before force-pushing",
    "budget: one hour",
    "no new dependencies",
    "coordinate with the on-call engineer",
];

fn sentence(rng: &mut Rng, min: usize, max: usize) -> String {
    let target = rng.range(min as u64, max as u64) as usize;
    let mut out = String::with_capacity(target + 16);
    while out.len() < target {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(rng.pick(WORDS));
    }
    out.truncate(target.min(max));
    out
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

/// What an id's latest state is.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Future,
    Due,
    Terminal,
}

struct Args {
    records: usize,
    due: usize,
    terminal: f64,
    seed: u64,
    out: String,
}

fn args() -> Args {
    let mut args = Args {
        records: 1000,
        due: 0,
        terminal: 0.0,
        seed: 42,
        out: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => args.records = value.parse().expect("--records N"),
            "--due" => args.due = value.parse().expect("--due N"),
            "--terminal-fraction" => args.terminal = value.parse().expect("--terminal-fraction F"),
            "--seed" => args.seed = value.parse().expect("--seed S"),
            "--out" => args.out = value,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.out.is_empty(), "--out FILE is required");
    args
}

fn base_task(rng: &mut Rng, n: usize, created: i64) -> Task {
    let summary = sentence(rng, 80, 300);
    let key_points = (0..rng.range(2, 6))
        .map(|_| sentence(rng, 20, 90))
        .collect();
    let artifacts = (0..rng.range(1, 3))
        .map(|_| rng.pick(PATHS).to_string())
        .collect();
    let constraints = (0..rng.range(0, 3))
        .map(|_| rng.pick(CONSTRAINTS).to_string())
        .collect();
    let mut extra = Map::new();
    if rng.chance(0.05) {
        extra.insert("owner".into(), Value::from("team-payments"));
    }
    Task {
        id: format!("task_{}_{:06}", at(created).format("%Y%m%d_%H%M%S"), n),
        created_at: at(created).into(),
        run_at: at(created + rng.range(600, 7 * 86_400) as i64).into(),
        intent: [Intent::ResumeTask, Intent::Notify, Intent::ExecuteAction][rng.below(3) as usize],
        context: Context {
            summary: summary.clone(),
            key_points,
            artifacts,
            constraints,
            ..Context::default()
        },
        execution: Execution {
            mode: if rng.chance(0.8) {
                Mode::Fresh
            } else {
                Mode::Callback
            },
            prompt_template: if rng.chance(0.5) {
                summary
            } else {
                sentence(rng, 40, 200)
            },
            aura_level: [AuraLevel::Low, AuraLevel::Medium, AuraLevel::High][rng.below(3) as usize],
            command: None,
            extra: Map::new(),
        },
        max_retries: rng.range(0, 3) as u32,
        key: rng.chance(0.1).then(|| format!("key-{n}")),
        extra,
        ..Task::blank()
    }
}

/// The snapshots of one id, oldest first, ending in its fate.
fn history(rng: &mut Rng, task: Task, fate: Fate, prompt: &str) -> Vec<Task> {
    let mut snaps = vec![task];
    let last = |s: &Vec<Task>| s.last().unwrap().clone();
    let started = |t: &Task| t.run_at.at();
    // Some tasks were tried and retried before reaching their fate.
    if rng.chance(0.12) {
        let t = last(&snaps);
        let claimed = lifecycle::claim(&t, started(&t));
        let retry = lifecycle::attempt_failed(
            &Task {
                max_retries: t.max_retries.max(1),
                ..claimed.clone()
            },
            "exit status: 1",
            ResultType::ExecutorFailed,
            prompt,
            Output {
                text: Some("error: connection reset".into()),
                truncated: false,
            },
            Duration::from_secs(300),
            started(&t),
        );
        snaps.push(claimed);
        snaps.push(retry);
    }
    let t = last(&snaps);
    match fate {
        Fate::Future => {
            snaps.last_mut().unwrap().run_at =
                at(4_102_444_800 + rng.below(86_400 * 365) as i64).into();
        }
        Fate::Due => {
            snaps.last_mut().unwrap().run_at = at(1_767_225_600 + rng.below(86_400) as i64).into();
            snaps.last_mut().unwrap().status = Status::Scheduled;
        }
        Fate::Terminal => {
            let when = started(&t);
            match rng.below(10) {
                0 => snaps.push(Task {
                    status: Status::Cancelled,
                    cancelled_at: Some(when.into()),
                    cancel_reason: Some(Some("no longer needed".into())),
                    ..t
                }),
                1 => {
                    let claimed = lifecycle::claim(&t, when);
                    snaps.push(claimed.clone());
                    snaps.push(lifecycle::fail(
                        &claimed,
                        "exit status: 2",
                        ResultType::ExecutorFailed,
                        prompt,
                        Output::default(),
                        when,
                    ));
                }
                _ => {
                    let claimed = lifecycle::claim(&t, when);
                    if rng.chance(0.5) {
                        snaps.push(claimed.clone());
                    }
                    let text = sentence(rng, 40, 400);
                    snaps.push(lifecycle::complete(
                        &claimed,
                        ResultType::ExecutorOutput,
                        prompt,
                        Output {
                            text: Some(text),
                            truncated: false,
                        },
                        when,
                    ));
                }
            }
        }
    }
    snaps
}

fn main() {
    let args = args();
    let mut rng = Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // Plan fates until the snapshot count reaches `records`; due ids spread evenly.
    let mut events: Vec<(u64, usize, Task)> = Vec::with_capacity(args.records + 8);
    let expected_ids = (args.records as f64 / 1.35).max(1.0) as usize;
    let due_every = expected_ids
        .checked_div(args.due)
        .map_or(usize::MAX, |every| every.max(1));
    let mut due_left = args.due;
    let mut n = 0usize;
    let created0 = 1_767_225_600i64; // 2026-01-01
    while events.len() < args.records {
        let created = created0 + n as i64 * 37;
        let task = base_task(&mut rng, n, created);
        let fate = if due_left > 0 && n.is_multiple_of(due_every) {
            due_left -= 1;
            Fate::Due
        } else if rng.chance(args.terminal) {
            Fate::Terminal
        } else {
            Fate::Future
        };
        let prompt = format!("/var/lib/defer/logs/{}.prompt.txt", task.id);
        let mut seq = n as u64 * 16;
        for snap in history(&mut rng, task, fate, &prompt) {
            events.push((seq, n, snap));
            // Later snapshots land a while later in the log, among other tasks' lines.
            seq += 16 * rng.range(1, 400);
        }
        n += 1;
    }
    // Keep every id's latest snapshot: trim whole ids from the end, not single lines.
    events.sort_by_key(|(seq, n, _)| (*seq, *n));
    while events.len() > args.records {
        let (_, last_id, _) = events[events.len() - 1];
        events.retain(|(_, id, _)| *id != last_id);
    }
    let file = std::fs::File::create(&args.out).expect("creating --out");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    for (_, _, task) in &events {
        out.write_all(task.to_line().as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    eprintln!(
        "gen_store: {} lines, {} ids, {} due -> {}",
        events.len(),
        n,
        args.due - due_left,
        args.out
    );
}
