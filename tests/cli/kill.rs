//! `schedule` and `cancel` killed with SIGKILL at random moments (SPEC §4): whatever was
//! acknowledged (exit 0) is stored, nothing is duplicated, no stale lock is left, and the
//! store stays readable.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Env, XorShift};

const WORKERS: usize = 2;
const MAX_PER_WORKER: usize = 300;

/// How long an unkilled `schedule` takes here, in microseconds (the median of a few
/// runs), so that kills land anywhere in a command's life on a fast or slow machine.
fn typical_run_micros(env: &Env) -> u64 {
    let mut times: Vec<u64> = (0..7)
        .map(|i| {
            let started = Instant::now();
            env.schedule(&format!("cal{i}"), "calibration");
            started.elapsed().as_micros() as u64
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2].max(500)
}

/// Runs `defer args`, sends SIGKILL after a random delay below `max_micros`, and
/// returns true when the command had already finished with exit 0 (acknowledged).
fn run_and_kill(env: &Env, args: &[&str], rng: &mut XorShift, max_micros: u64) -> bool {
    let mut child = env
        .cmd(args)
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning defer");
    std::thread::sleep(Duration::from_micros(rng.next() % max_micros));
    let _ = child.kill(); // a no-op (or an error) if it already exited
    let status = child.wait().expect("waiting for defer");
    status.code() == Some(0)
}

/// The id of a store line that is not a whole record, if it looks like a torn append.
fn torn_id(line: &str) -> Option<String> {
    let rest = line.strip_prefix(r#"{"id":""#)?;
    Some(rest.split('"').next()?.to_string())
}

#[test]
fn killed_schedules_and_cancels_lose_and_duplicate_nothing() {
    let env = Env::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    // Delays up to 1.5 runs: about a third of the commands finish, the rest are killed
    // at every stage (startup, waiting for the lock, holding it, writing, exiting).
    let max_micros = typical_run_micros(&env) * 3 / 2;
    eprintln!("kill test seed {seed}, delays below {max_micros} us");

    // Phase 1: schedules, killed at random.
    let acked: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let env = &env;
                scope.spawn(move || {
                    let mut rng = XorShift(seed.wrapping_mul(w as u64 + 7) | 1);
                    let mut acked = Vec::new();
                    for i in 0..MAX_PER_WORKER {
                        if Instant::now() > deadline {
                            break;
                        }
                        let id = format!("k{w}{i:04}");
                        let args = ["schedule", "--when", "10m", "--summary", &id, "--id", &id];
                        if run_and_kill(env, &args, &mut rng, max_micros) {
                            acked.push(id);
                        }
                    }
                    acked
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    eprintln!("{} schedules acknowledged", acked.len());
    assert!(
        !acked.is_empty(),
        "no schedule ever finished: the delays are too short"
    );

    // Phase 2: cancels of some acknowledged tasks, killed at random.
    let mut rng = XorShift(seed.rotate_left(17) | 1);
    let mut cancel_acked = HashSet::new();
    for id in acked.iter().step_by(3) {
        if Instant::now() > deadline + Duration::from_secs(5) {
            break;
        }
        if run_and_kill(&env, &["cancel", id], &mut rng, max_micros) {
            cancel_acked.insert(id.clone());
        }
    }

    // The store: whole records, plus (only if a write was cut) torn lines of
    // unacknowledged schedules.
    let lines = env.store_lines();
    let mut schedule_lines: HashMap<String, usize> = HashMap::new();
    let mut torn = 0;
    for line in &lines {
        match serde_json::from_str::<Value>(line) {
            Ok(record) => {
                if record["status"] == "scheduled" {
                    let id = record["id"].as_str().unwrap().to_string();
                    *schedule_lines.entry(id).or_default() += 1;
                }
            }
            Err(_) => {
                torn += 1;
                let id = torn_id(line).unwrap_or_else(|| panic!("not a torn append: {line}"));
                assert!(!acked.contains(&id), "acknowledged {id} has a torn line");
            }
        }
    }
    for (id, count) in &schedule_lines {
        assert_eq!(*count, 1, "{id} scheduled {count} times");
    }

    // One more schedule: no stale lock, and the store is fully readable.
    env.schedule("final", "after the kills");
    let out = env.cmd(&["list", "--all", "--compact"]).success();
    // Torn lines are reported on one line (SPEC §21), counted when more than one.
    assert_eq!(
        out.stderr_lines().len(),
        torn.min(1),
        "one warning for the torn lines:\n{}",
        out.stderr
    );
    if torn > 1 {
        assert!(
            out.stderr.contains(&format!("{torn} invalid store lines")),
            "{}",
            out.stderr
        );
    }
    let listed = out.json();
    let listed = listed.as_array().unwrap();
    let status: HashMap<&str, &str> = listed
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(status.len(), listed.len(), "an id listed twice");
    assert_eq!(listed.len(), schedule_lines.len() + 1);
    for i in 0..7 {
        assert_eq!(status.get(format!("cal{i}").as_str()), Some(&"scheduled"));
    }
    for id in &acked {
        let want: &[&str] = if cancel_acked.contains(id) {
            &["cancelled"]
        } else {
            &["scheduled", "cancelled"]
        };
        let got = status
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged {id} lost"));
        assert!(want.contains(got), "{id} is {got}");
    }
    let last: Value = serde_json::from_str(env.store_lines().last().unwrap()).unwrap();
    assert_eq!(last["id"], "final");
}
