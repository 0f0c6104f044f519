//! Many `schedule` and `cancel` processes at once (SPEC §4): nothing lost, duplicated
//! or torn.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Env;

const SCHEDULERS: usize = 8;
const PER_SCHEDULER: usize = 25;
const CANCELLERS: usize = 4;

fn id(scheduler: usize, n: usize) -> String {
    format!("r{scheduler}_{n:02}")
}

/// Every third task of every scheduler is cancelled.
fn is_cancelled(n: usize) -> bool {
    n.is_multiple_of(3)
}

#[test]
fn concurrent_schedules_and_cancels() {
    let env = Env::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let to_cancel: Vec<String> = (0..SCHEDULERS)
        .flat_map(|s| {
            (0..PER_SCHEDULER)
                .filter(|&n| is_cancelled(n))
                .map(move |n| id(s, n))
        })
        .collect();

    std::thread::scope(|scope| {
        for s in 0..SCHEDULERS {
            let env = &env;
            scope.spawn(move || {
                for n in 0..PER_SCHEDULER {
                    let id = id(s, n);
                    env.cmd(&["schedule", "--when", "10m", "--summary", &id, "--id", &id])
                        .success();
                }
            });
        }
        for c in 0..CANCELLERS {
            let mine: Vec<&String> = to_cancel.iter().skip(c).step_by(CANCELLERS).collect();
            let env = &env;
            scope.spawn(move || {
                for id in mine {
                    cancel_when_it_appears(env, id, deadline);
                }
            });
        }
    });

    let lines = env.store_lines();
    assert!(env.store_bytes().ends_with(b"\n"), "last line complete");
    assert_eq!(lines.len(), SCHEDULERS * PER_SCHEDULER + to_cancel.len());
    for (i, line) in lines.iter().enumerate() {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {} torn or corrupt ({e}): {line}", i + 1));
        assert!(record["id"].is_string(), "line {}: {line}", i + 1);
    }

    let out = env.cmd(&["list", "--all", "--compact"]).success();
    out.assert_stderr_empty();
    let listed = out.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(
        listed.len(),
        SCHEDULERS * PER_SCHEDULER,
        "each id exactly once"
    );
    let status: HashMap<&str, &str> = listed
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(status.len(), listed.len(), "no id listed twice");
    let cancelled: HashSet<&str> = to_cancel.iter().map(String::as_str).collect();
    for s in 0..SCHEDULERS {
        for n in 0..PER_SCHEDULER {
            let id = id(s, n);
            let want = if cancelled.contains(id.as_str()) {
                "cancelled"
            } else {
                "scheduled"
            };
            assert_eq!(status.get(id.as_str()), Some(&want), "{id}");
        }
    }
    let log = env.log_lines();
    assert_eq!(log.len(), lines.len(), "one audit line per action");
}

/// Cancels `id`, retrying while it does not exist yet, until `deadline`.
fn cancel_when_it_appears(env: &Env, id: &str, deadline: Instant) {
    loop {
        let out = env.cmd(&["cancel", id]).run();
        if out.status == 0 {
            return;
        }
        assert!(
            out.stderr.contains(&format!("task not found: {id}")),
            "cancel {id}: unexpected failure: {}",
            out.stderr
        );
        assert!(Instant::now() < deadline, "{id} never appeared");
        std::thread::yield_now();
    }
}
