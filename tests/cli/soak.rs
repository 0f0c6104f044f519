//! A kill -9 soak (SPEC §6, §11, §12, §19; issue 17): several series at once, scheduled
//! under the fake clock and driven through a DST change by `defer run` and `defer
//! archive` processes started at increasing instants (minutes to an hour apart, with
//! downtimes of hours and days), a seeded share of them SIGKILLed 0–30 ms into their
//! start-up or their work. At the end (a clean `run` and `archive`) the executor's start
//! log and the records are checked against fires computed here (`soak/oracle.rs`,
//! `soak/checks.rs`). The DST windows are ignored until SPEC §19's DST rules land;
//! docs/lifecycle.md ("Soak") has the figures.
//!
//! `DEFER_SOAK_STEPS` (default 100) sets how many instants are driven (up to a month);
//! `DEFER_SOAK_SEED` replays a seed's instants and kill choices (the kills' timing
//! still varies). `scripts/soak.sh` runs a long soak and prints the figures.

mod checks;
mod oracle;

use std::collections::BTreeMap;
use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::support::{instant, Cmd, Env, XorShift};
use checks::{SeriesSpec, Tally, World};
use oracle::Rule;

/// The series of every soak: DST-crossing fixed times, a step, a wildcard hour, an
/// interval; every missed policy. The breaker is off (`--pause-after 0`): interrupted
/// occurrences are failures, and a paused series would end the soak's story.
const SERIES: [SeriesSpec; 7] = [
    SeriesSpec {
        id: "fixed-0130",
        rule: Rule::Cron("30 1 * * *"),
        missed: "run-once",
    },
    SeriesSpec {
        id: "fixed-0113",
        rule: Rule::Cron("0 1,13 * * *"),
        missed: "all",
    },
    SeriesSpec {
        id: "fixed-02xx",
        rule: Rule::Cron("0,30 2 * * *"),
        missed: "skip",
    },
    SeriesSpec {
        id: "fixed-0230",
        rule: Rule::Cron("30 2 * * *"),
        missed: "run-once",
    },
    SeriesSpec {
        id: "step-20m",
        rule: Rule::Cron("*/20 * * * *"),
        missed: "run-once",
    },
    SeriesSpec {
        id: "hourly-15",
        rule: Rule::Cron("15 * * * *"),
        missed: "all",
    },
    SeriesSpec {
        id: "every-7h",
        rule: Rule::Every("7h", 7 * 3600),
        missed: "skip",
    },
];

/// Writes one line per start (task id, `DEFER_SCHEDULED_FOR`, series, occurrence and
/// attempts from the task JSON on stdin), then sleeps `SOAK_SLEEP` so kills land
/// mid-execution.
const EXECUTOR: &str = r#"input=$(cat)
fields=$(printf '%s\n' "$input" | sed -n 's/.*"attempts":\([0-9]*\),.*"series":{"id":"\([^"]*\)".*"occurrence":\([0-9]*\),.*/\2 \3 \1/p')
echo "$DEFER_TASK_ID $DEFER_SCHEDULED_FOR ${fields:-? ? ?}" >> "$SOAK_LOG"
exec sleep "$SOAK_SLEEP""#;

/// One soak: a zone, when the series are scheduled, and the instant runs crowd around
/// (the DST change it crosses).
struct Window {
    name: &'static str,
    zone: Tz,
    start: &'static str,
    busy: &'static str,
}

const FALL_BACK_NEW_YORK: Window = Window {
    name: "fall-back New York",
    zone: chrono_tz::America::New_York,
    // Thursday 01:07 EDT; 2027-11-07 01:00-01:59 happens twice.
    start: "2027-11-05T05:07:30Z",
    busy: "2027-11-07T06:00:00Z",
};

const SPRING_FORWARD_BERLIN: Window = Window {
    name: "spring-forward Berlin",
    zone: chrono_tz::Europe::Berlin,
    // Friday 01:07 CET; 2027-03-28 02:00-02:59 does not exist.
    start: "2027-03-26T00:07:30Z",
    busy: "2027-03-28T01:00:00Z",
};

/// The same month-long soak without a DST change: what must hold on today's code.
const SUMMER_NEW_YORK: Window = Window {
    name: "summer New York",
    zone: chrono_tz::America::New_York,
    start: "2027-06-10T05:07:30Z",
    busy: "2027-06-12T06:00:00Z",
};

/// Out of 100: how many `run` / `archive` processes are SIGKILLed.
const KILL_PERCENT: u64 = 25;
/// Out of 100: how many instants also get a `defer archive`.
const ARCHIVE_PERCENT: u64 = 12;
/// Around the DST change, runs come every 2-15 minutes.
const DENSE_HOURS: i64 = 2;

#[test]
fn a_month_without_dst_runs_each_fire_at_most_once_and_accounts_for_all() {
    soak(&SUMMER_NEW_YORK);
}

#[test]
fn fall_back_month_in_new_york_runs_each_fire_at_most_once() {
    soak(&FALL_BACK_NEW_YORK);
}

#[test]
fn spring_forward_month_in_berlin_runs_each_fire_at_most_once() {
    soak(&SPRING_FORWARD_BERLIN);
}

/// What the driver did.
#[derive(Debug, Default)]
struct Driven {
    runs: usize,
    runs_killed: usize,
    archives: usize,
    archives_killed: usize,
    /// An idle `run`'s time here (see `kill_after`).
    startup: Duration,
    /// Unkilled commands that exited non-zero (they must not).
    failures: Vec<String>,
}

fn soak(window: &Window) {
    let steps: usize = setting("DEFER_SOAK_STEPS").unwrap_or(100);
    let seed = setting("DEFER_SOAK_SEED").unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        nanos | 1
    });
    let began = Instant::now();
    let env = Env::new();
    let start = instant(window.start);
    let firsts = schedule_series(&env, window, start);
    let mut rng = XorShift(seed);
    let (driven, end) = drive(&env, window, start, steps, &mut rng);
    let world = World {
        zone: window.zone,
        start,
        end,
        firsts,
        specs: &SERIES,
        store_lines: env.store_lines(),
        archive: env.archive_files(),
        log: fs::read_to_string(log_path(&env))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
    };
    let (tally, mut violations) = checks::check(&world);
    // `defer stats` over the same store and archives must agree with the soak's own
    // count: no duplicate, and the schedule's fires (SPEC §23).
    let since = start.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let stats = env
        .at(&stamp(end), &["stats", "--since", &since, "--compact"])
        .success()
        .json();
    let rows = stats.as_array().expect("stats prints an array");
    let sum = |field: &str| -> u64 {
        rows.iter()
            .filter(|r| !r["series"].is_null())
            .map(|r| r[field].as_u64().unwrap_or(0))
            .sum()
    };
    eprintln!(
        "soak {}: defer stats counts {} fires expected (the soak {}), {} duplicates",
        window.name,
        sum("expected"),
        tally.expected,
        sum("duplicates")
    );
    if sum("duplicates") != 0 || sum("expected") != tally.expected as u64 {
        violations.push(checks::Violation {
            check: "STATS",
            text: format!(
                "defer stats counts {} fires expected and {} duplicates, where the soak counts {} and none: {stats}",
                sum("expected"),
                sum("duplicates"),
                tally.expected
            ),
        });
    }
    for failure in &driven.failures {
        violations.push(checks::Violation {
            check: "EXIT",
            text: failure.clone(),
        });
    }
    eprintln!(
        "{}",
        figures(window, seed, steps, &driven, &tally, end, began.elapsed())
    );
    if violations.is_empty() {
        return;
    }
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &violations {
        *by_check.entry(v.check).or_default() += 1;
    }
    let shown: Vec<String> = violations
        .iter()
        .take(25)
        .map(|v| format!("  {}: {}", v.check, v.text))
        .collect();
    panic!(
        "soak {} (DEFER_SOAK_SEED={seed} DEFER_SOAK_STEPS={steps}): {} violation(s) {by_check:?}\n{}",
        window.name,
        violations.len(),
        shown.join("\n")
    );
}

/// A numeric setting from the test's environment.
fn setting<T: std::str::FromStr>(name: &str) -> Option<T> {
    let text = std::env::var(name).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|_| panic!("{name}={text:?}: expected a whole number")),
    )
}

fn log_path(env: &Env) -> std::path::PathBuf {
    env.root().join("starts.log")
}

/// `YYYY-MM-DD HH:MM:SS`, as `Env::at` takes it.
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Schedules every series at `start` in the window's zone; returns the `--every`
/// series' first fires (their `--when`: start + the interval).
fn schedule_series(
    env: &Env,
    window: &Window,
    start: DateTime<Utc>,
) -> BTreeMap<&'static str, DateTime<Utc>> {
    let mut firsts = BTreeMap::new();
    for spec in &SERIES {
        let mut args: Vec<String> = ["schedule", "--summary", spec.id, "--id", spec.id]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend([
            "--missed".into(),
            spec.missed.into(),
            "--pause-after".into(),
            "0".into(),
        ]);
        match spec.rule {
            Rule::Cron(expr) => args.extend(["--cron".into(), expr.into()]),
            Rule::Every(text, seconds) => {
                let first = start + chrono::Duration::seconds(seconds);
                firsts.insert(spec.id, first);
                let when = first.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                args.extend(["--every".into(), text.into(), "--when".into(), when]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.at(&stamp(start), &args)
            .env("DEFER_TIMEZONE", window.zone.name())
            .success();
    }
    firsts
}

/// Runs `run` (and now and then `archive`) at increasing instants from `start`, killing
/// some; then a clean `run` and `archive`. Returns what happened and the final run's
/// instant.
fn drive(
    env: &Env,
    window: &Window,
    start: DateTime<Utc>,
    steps: usize,
    rng: &mut XorShift,
) -> (Driven, DateTime<Utc>) {
    let exe = env.write_executor("soak-executor", EXECUTOR);
    let log = log_path(env);
    let busy = instant(window.busy);
    let last = start + chrono::Duration::days(31);
    let mut driven = Driven {
        startup: startup_time(window),
        ..Driven::default()
    };
    let startup = driven.startup;
    let mut now = start;
    for _ in 0..steps {
        let next = next_instant(now, busy, rng);
        if next > last {
            break;
        }
        now = next;
        let sleep = format!("0.{:03}", 10 + rng.next() % 41);
        let run = env
            .at(&stamp(now), &["run"])
            .env("DEFER_EXECUTOR", exe.to_str().unwrap())
            .env("SOAK_LOG", log.to_str().unwrap())
            .env("SOAK_SLEEP", &sleep)
            .env("DEFER_TIMEZONE", window.zone.name());
        let killed = launch(run, kill_after(rng, startup), &mut driven.failures, now);
        driven.runs += 1;
        driven.runs_killed += usize::from(killed);
        if rng.next() % 100 < ARCHIVE_PERCENT {
            let at = now + chrono::Duration::seconds(20);
            let archive = env
                .at(&stamp(at), &["archive"])
                .env("DEFER_TIMEZONE", window.zone.name());
            let killed = launch(archive, kill_after(rng, startup), &mut driven.failures, at);
            driven.archives += 1;
            driven.archives_killed += usize::from(killed);
        }
    }
    let end = now + chrono::Duration::minutes(2);
    let clean = env
        .at(&stamp(end), &["run"])
        .env("DEFER_EXECUTOR", exe.to_str().unwrap())
        .env("SOAK_LOG", log.to_str().unwrap())
        .env("SOAK_SLEEP", "0.01")
        .env("DEFER_TIMEZONE", window.zone.name());
    launch(clean, None, &mut driven.failures, end);
    let archive = env.at(&stamp(end + chrono::Duration::seconds(30)), &["archive"]);
    launch(archive, None, &mut driven.failures, end);
    driven.runs += 1;
    driven.archives += 1;
    (driven, end)
}

/// The instant after `now`: mostly 1-60 minutes on, sometimes hours, now and then a
/// downtime of up to two days; every 2-15 minutes within `DENSE_HOURS` of the DST
/// change (`busy`), which is never jumped over.
fn next_instant(now: DateTime<Utc>, busy: DateTime<Utc>, rng: &mut XorShift) -> DateTime<Utc> {
    let dense_from = busy - chrono::Duration::hours(DENSE_HOURS);
    let dense_to = busy + chrono::Duration::hours(DENSE_HOURS);
    let minutes = if now >= dense_from && now < dense_to {
        2 + rng.next() % 14
    } else {
        match rng.next() % 100 {
            0..80 => 1 + rng.next() % 60,
            80..95 => 60 + rng.next() % 180,
            95..99 => 240 + rng.next() % 1200,
            _ => 1440 + rng.next() % 1440,
        }
    };
    let seconds = (minutes * 60 + rng.next() % 60) as i64;
    let next = now + chrono::Duration::seconds(seconds);
    if now < dense_from && next > dense_from {
        return dense_from + chrono::Duration::seconds((rng.next() % 600) as i64);
    }
    next
}

/// A kill delay for `KILL_PERCENT` of the commands, else none: 0-30 ms after the
/// start, or (every other kill) 0-30 ms after `startup`, so that kills land in claims
/// and executions too, not only in a loaded machine's process start-up.
fn kill_after(rng: &mut XorShift, startup: Duration) -> Option<Duration> {
    let kill = rng.next() % 100 < KILL_PERCENT;
    let offset = match rng.next() % 2 {
        0 => Duration::ZERO,
        _ => startup,
    };
    let delay = offset + Duration::from_micros(rng.next() % 30_001);
    kill.then_some(delay)
}

/// How long an idle `defer run` takes here (the median of three), under the fake clock.
fn startup_time(window: &Window) -> Duration {
    let scratch = Env::new();
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            scratch.at(window.start, &["run"]).success();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

/// Runs `cmd` to the end, or SIGKILLs it (the `defer` process itself) after `kill`;
/// always reaps it. Returns whether it was killed; a non-zero exit is noted.
fn launch(cmd: Cmd, kill: Option<Duration>, failures: &mut Vec<String>, at: DateTime<Utc>) -> bool {
    let Some(delay) = kill else {
        let out = cmd.timeout(Duration::from_secs(60)).run();
        if out.status != 0 {
            failures.push(format!(
                "a command at {at} exited {}: {}",
                out.status,
                out.stderr.trim()
            ));
        }
        return false;
    };
    let mut child = cmd
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning defer");
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().expect("polling defer") {
        if !status.success() {
            failures.push(format!("a command at {at} exited {status} before its kill"));
        }
        return false;
    }
    let _ = child.kill();
    child.wait().expect("reaping defer");
    true
}

fn figures(
    window: &Window,
    seed: u64,
    steps: usize,
    driven: &Driven,
    tally: &Tally,
    end: DateTime<Utc>,
    took: Duration,
) -> String {
    format!(
        "soak {} seed {seed} steps {steps}: {} .. {end}, {} runs ({} killed), {} archives ({} killed), kills 0-30 ms after 0 or {} ms; \
         fires expected {}, executed {}, missed {}, folded {}, interrupted {} (started {}, never started {}); {:.1} s",
        window.name,
        window.start,
        driven.runs,
        driven.runs_killed,
        driven.archives,
        driven.archives_killed,
        driven.startup.as_millis(),
        tally.expected,
        tally.executed,
        tally.missed,
        tally.folded,
        tally.interrupted_started + tally.interrupted_unstarted,
        tally.interrupted_started,
        tally.interrupted_unstarted,
        took.as_secs_f64()
    )
}
