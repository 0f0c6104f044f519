//! The series as a chain of tasks: what a claim appends (the claimed or missed
//! snapshot, and the next occurrence in the same write), the circuit breaker's update
//! of the pending occurrence after an outcome, and `cancel --occurrence`'s next link.
//! Pure: `now`, the store's knowledge (`stored`) and the id source are passed in.
//!
//! Never two links (SPEC §19): the occurrence that links its successor remembers it
//! (`series.next_id`, written in the claim or cancelled snapshot and kept through a
//! release, a retry and a cancel), and nothing links from an occurrence that has one.
//! That survives compaction, which the store lookup (`stored`, the second guard) does
//! not: a successor already archived is no longer in the active store.

use chrono::{DateTime, Utc};
use serde_json::Map;

use super::missed::{decide, Claim, Lateness};
use super::Series;
use crate::lifecycle;
use crate::task::{MissedPolicy, ResultType, Status, Task, TaskResult};

/// Who claims: the runner because the task is due (found so at the start of its run,
/// the instant lateness is measured at), or a person or agent with `execute --id`,
/// which runs the task now even if its policy would skip it (§13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Due(DateTime<Utc>),
    Explicit,
}

impl Trigger {
    /// When the run that found the task due started; `None` for an explicit execute.
    pub fn found_due_at(self) -> Option<DateTime<Utc>> {
        match self {
            Trigger::Due(at) => Some(at),
            Trigger::Explicit => None,
        }
    }
}

/// What claiming a task writes, in one append.
#[derive(Debug, Clone)]
pub struct ClaimStep {
    /// `executing` (to run) or `missed` (not to run).
    pub snapshot: Task,
    /// The series' next occurrence, when there is one and it is not stored yet.
    pub next: Option<Task>,
}

impl ClaimStep {
    pub fn missed(&self) -> bool {
        self.snapshot.status == Status::Missed
    }
}

/// Claims `task` at `now` under its missed-run policy, judged when the run that found
/// it due started (`Trigger::Due`; SPEC §19: a task is never late because another ran
/// before it), at `now` for an explicit execute. `default_grace` is
/// `DEFER_GRACE_SECONDS` (a one-shot task without `--grace`); `stored(series, k)` is
/// the id of occurrence `k` of a series when the store holds it; `new_id` names a next
/// one.
pub fn claim(
    task: &Task,
    now: DateTime<Utc>,
    default_grace: u64,
    trigger: Trigger,
    stored: impl Fn(&str, u32) -> Option<String>,
    new_id: impl FnOnce() -> String,
) -> ClaimStep {
    let fire = task.run_at.at();
    let (grace, policy, schedule) = match &task.series {
        // A first claim chooses the fire it stands for. A retry, or a claim taken again
        // after its successor was linked (released, or its executor never started),
        // stands for the fire already chosen: choosing again could pick its successor's.
        Some(series) => match (task.attempts, &series.next_id, series.schedule()) {
            (0, None, Ok(schedule)) => (series.grace_seconds, series.missed, Some(schedule)),
            _ => (series.grace_seconds, one_shot(series.missed), None),
        },
        None => (
            task.grace_seconds.unwrap_or(default_grace),
            task.missed.unwrap_or(MissedPolicy::Run),
            None,
        ),
    };
    let policy = match (trigger, policy, &schedule) {
        (Trigger::Explicit, MissedPolicy::Skip, Some(_)) => MissedPolicy::RunOnce,
        (Trigger::Explicit, MissedPolicy::Skip, None) => MissedPolicy::Run,
        _ => policy,
    };
    let judged_at = trigger.found_due_at().map_or(now, |at| at.min(now));
    let decision = decide(fire, judged_at, grace, policy, schedule.as_ref());
    let mut snapshot = match decision.claim {
        Claim::Run { fire, late } => Task {
            run_at: fire.into(),
            late_by_seconds: late.map(|l| l.late_by),
            missed_fires: late
                .and_then(|l| l.missed_fires)
                .or_else(|| collapsed(schedule.as_ref(), fire))
                .or(task.missed_fires),
            ..lifecycle::claim(task, now)
        },
        Claim::Miss(lateness) => missed(task, lateness, now),
    };
    let next = match (&task.series, decision.next_fire) {
        (Some(series), Some(at)) => link(task, series, at, now, &stored, new_id),
        _ => Link::None,
    };
    let next = remember(&mut snapshot, next);
    ClaimStep { snapshot, next }
}

/// What linking found: a new occurrence to append, one already stored, or none.
enum Link {
    New(Box<Task>),
    Stored(String),
    None,
}

/// Notes the successor in `snapshot` (`series.next_id`); returns the one to append.
fn remember(snapshot: &mut Task, link: Link) -> Option<Task> {
    let (id, next) = match link {
        Link::New(next) => (next.id.clone(), Some(*next)),
        Link::Stored(id) => (id, None),
        Link::None => return None,
    };
    if let Some(series) = snapshot.series.as_mut() {
        series.next_id = Some(id);
    }
    next
}

/// The fires besides its own that a run's fire stands for, when a spring-forward gap
/// collapsed some into it (SPEC §19): they did not run, so they count as missed.
fn collapsed(schedule: Option<&super::Schedule>, fire: DateTime<Utc>) -> Option<u64> {
    schedule
        .map(|s| s.fires_at(fire).saturating_sub(1))
        .filter(|n| *n > 0)
}

/// A series' policy applied to a single run: `skip` stays, the rest run.
fn one_shot(policy: MissedPolicy) -> MissedPolicy {
    match policy {
        MissedPolicy::Skip => MissedPolicy::Skip,
        _ => MissedPolicy::Run,
    }
}

/// The terminal `missed` snapshot: not run, archived by `missed_at`.
pub fn missed(task: &Task, lateness: Lateness, now: DateTime<Utc>) -> Task {
    Task {
        status: Status::Missed,
        missed_at: Some(now.into()),
        late_by_seconds: Some(lateness.late_by),
        missed_fires: lateness.missed_fires,
        result: Some(TaskResult {
            kind: ResultType::Missed,
            // No prompt is written for a run that did not happen.
            prompt_path: String::new(),
            output: None,
            output_truncated: None,
            next_run_at: None,
            extra: Map::new(),
        }),
        ..task.clone()
    }
}

/// Occurrence k+1 at `at`, unless this occurrence already linked it (`next_id`), or
/// `--count` or `--until` ends the series there, or it is already stored (a claim
/// taken twice must not fork the series).
fn link(
    task: &Task,
    series: &Series,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    stored: &impl Fn(&str, u32) -> Option<String>,
    new_id: impl FnOnce() -> String,
) -> Link {
    if series.next_id.is_some() {
        return Link::None;
    }
    let Some(occurrence) = series.occurrence.checked_add(1) else {
        return Link::None;
    };
    if !series.allows(occurrence) || !series.within_until(at) {
        return Link::None;
    }
    if let Some(id) = stored(&series.id, occurrence) {
        return Link::Stored(id);
    }
    Link::New(Box::new(Task {
        id: new_id(),
        created_at: now.into(),
        run_at: at.into(),
        status: Status::Scheduled,
        attempts: 0,
        started_at: None,
        completed_at: None,
        failed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        last_attempt_at: None,
        last_error: None,
        error: None,
        result: None,
        late_by_seconds: None,
        missed_fires: None,
        missed_at: None,
        // Its own attempts only; `parent_id` is kept: the series has one origin.
        history: Vec::new(),
        series: Some(Series {
            occurrence,
            next_id: None,
            ..series.clone()
        }),
        ..task.clone()
    }))
}

/// `cancel <id> --occurrence`: the occurrence after a cancelled one, at the first fire
/// strictly after the fire it stood for, unless it already linked one. The next one is
/// `paused` when the skipped one was (a paused series stays paused, SPEC §19), else
/// `scheduled`. The successor is noted in `cancelled` (`series.next_id`).
pub fn after_skip(
    cancelled: &mut Task,
    was: Status,
    now: DateTime<Utc>,
    stored: impl Fn(&str, u32) -> Option<String>,
    new_id: impl FnOnce() -> String,
) -> Option<Task> {
    let series = cancelled.series.as_ref()?;
    let schedule = series.schedule().ok()?;
    let fire = cancelled.run_at.at();
    let at = schedule.next_after(fire, fire)?;
    let link = match link(cancelled, series, at, now, &stored, new_id) {
        Link::New(mut next) if was == Status::Paused => {
            next.status = Status::Paused;
            Link::New(next)
        }
        other => other,
    };
    remember(cancelled, link)
}

/// The circuit breaker. After occurrence `done` ended, the pending occurrence `next`
/// carries the count of consecutive failures just before it: `done`'s count + 1 when
/// `done` failed, 0 when it completed (missed and cancelled ones leave it). When the
/// count reaches `pause_after`, a scheduled `next` becomes `paused` (its count starts
/// again at 0 for when it is resumed). Returns `next`'s new snapshot if it changed,
/// and whether it was paused.
pub fn after_outcome(done: &Task, next: &Task) -> Option<(Task, bool)> {
    let done_series = done.series.as_ref()?;
    let next_series = next.series.as_ref()?;
    let failures = match done.status {
        Status::Failed => done_series.consecutive_failures.saturating_add(1),
        Status::Completed => 0,
        _ => return None,
    };
    let trips = done.status == Status::Failed
        && next_series.pause_after > 0
        && failures >= next_series.pause_after
        && next.status == Status::Scheduled;
    let counted = if trips { 0 } else { failures };
    if counted == next_series.consecutive_failures && !trips {
        return None;
    }
    let mut updated = next.clone();
    if trips {
        updated.status = Status::Paused;
    }
    if let Some(series) = updated.series.as_mut() {
        series.consecutive_failures = counted;
    }
    Some((updated, trips))
}

#[cfg(test)]
mod tests;
