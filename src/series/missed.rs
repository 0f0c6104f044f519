//! The missed-run policy (SPEC §12): given the fire a task stands for, its grace, its
//! policy, its schedule (for a series) and `now`, what a claim does. Pure.
//!
//! A task is late when `now` is more than its grace after its fire. Then:
//! - `run` (one-shot): runs, with `late_by_seconds`;
//! - `run-once` (series): runs for the most recent fire not after now, recording
//!   `missed_fires`, the earlier fires since the previous occurrence that did not run;
//! - `skip`: the task becomes `missed` (a series' `missed_fires` counts every fire the
//!   missed occurrence stands for); a series continues at its next future fire;
//! - `all` (series): runs each missed fire in order, oldest first, at most
//!   `MAX_CATCH_UP`; older fires become one `missed` occurrence with `missed_fires`.
//!
//! Fires are counted as the schedule's wall-clock fires: a fixed-time cron fire that
//! ends a spring-forward gap stands for every fire the gap held (`Schedule::fires_at`).

use chrono::{DateTime, Utc};

use super::recurrence::{Schedule, MAX_CATCH_UP};
use crate::task::MissedPolicy;

/// How late a run is, as recorded in the claim snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    /// Seconds between the fire the run stands for and `now`.
    pub late_by: u64,
    /// For a series: fires that did not run (see the module doc).
    pub missed_fires: Option<u64>,
}

/// What the claim does with the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Execute it, standing for `fire` (its `run_at`, moved to the latest fire under
    /// `run-once`); `late` when it is late.
    Run {
        fire: DateTime<Utc>,
        late: Option<Lateness>,
    },
    /// Do not execute: it becomes `missed`.
    Miss(Lateness),
}

/// A claim decision, and for a series where its next occurrence goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub claim: Claim,
    /// The next occurrence's fire (series only; `None` past the end of time).
    pub next_fire: Option<DateTime<Utc>>,
}

/// Decides a claim at `now` of a task standing for `fire`. `schedule` is the series'
/// (`None` for a one-shot task, whose policy is `run` or `skip`).
pub fn decide(
    fire: DateTime<Utc>,
    now: DateTime<Utc>,
    grace: u64,
    policy: MissedPolicy,
    schedule: Option<&Schedule>,
) -> Decision {
    let late_by = seconds_between(fire, now);
    let Some(schedule) = schedule else {
        let claim = match (late_by > grace, policy) {
            (false, _) => Claim::Run { fire, late: None },
            (true, MissedPolicy::Skip) => Claim::Miss(Lateness {
                late_by,
                missed_fires: None,
            }),
            (true, _) => Claim::Run {
                fire,
                late: Some(Lateness {
                    late_by,
                    missed_fires: None,
                }),
            },
        };
        return Decision {
            claim,
            next_fire: None,
        };
    };
    if late_by <= grace {
        return Decision {
            claim: Claim::Run { fire, late: None },
            next_fire: schedule.next_after(fire, fire),
        };
    }
    let window = schedule.window(fire, now);
    // The fires `fire` itself stands for: more than 1 when a clock change collapsed
    // several into it (SPEC §19).
    let own = schedule.fires_at(fire);
    match policy {
        MissedPolicy::Skip => Decision {
            claim: Claim::Miss(Lateness {
                late_by,
                missed_fires: Some(window.count.saturating_add(own)),
            }),
            next_fire: schedule.next_after(fire, now),
        },
        MissedPolicy::All => {
            let total = window.count.saturating_add(own);
            let cap = MAX_CATCH_UP as u64;
            if total <= cap {
                Decision {
                    claim: Claim::Run {
                        fire,
                        late: Some(Lateness {
                            late_by,
                            missed_fires: None,
                        }),
                    },
                    next_fire: schedule.next_after(fire, fire),
                }
            } else {
                Decision {
                    claim: Claim::Miss(Lateness {
                        late_by,
                        missed_fires: Some(total - cap),
                    }),
                    next_fire: window.recent.front().copied(),
                }
            }
        }
        MissedPolicy::RunOnce | MissedPolicy::Run => {
            let latest = window.recent.back().copied().unwrap_or(fire);
            Decision {
                claim: Claim::Run {
                    fire: latest,
                    late: Some(Lateness {
                        late_by: seconds_between(latest, now),
                        missed_fires: Some(window.count.saturating_add(own) - 1),
                    }),
                },
                next_fire: schedule.next_after(fire, latest),
            }
        }
    }
}

/// Whole seconds from `from` to `to`, 0 when `to` is earlier.
fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    u64::try_from(to.signed_duration_since(from).num_seconds()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
