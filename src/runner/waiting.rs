//! Fires and waits the executor's report governs in the runner (SPEC §22): a wait past
//! its `--answer-timeout` fails; a series whose occurrence waits fires no new one (its
//! fires are `missed` with reason `waiting`) until the answer comes or the wait is
//! cancelled; a series over its `--budget` misses fires (reason `budget`).

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Paused, Runner};
use crate::audit::Event;
use crate::lifecycle;
use crate::series::chain::{self, ClaimStep};
use crate::series::missed::Lateness;
use crate::store::{Exclusive, Locked, Scan};
use crate::task::{Status, Task};

/// The reason recorded in a missed fire's `result.reason` while its series waits.
pub const REASON: &str = "waiting";

impl Runner<'_> {
    /// Fails the waiting tasks whose answer is overdue at `now`, in the store `locked`
    /// holds (one append with the breaker's updates); returns them with the series the
    /// breaker paused, for the caller to report and hook outside the lock.
    pub(super) fn expire_waiting(
        &self,
        locked: &Locked<Exclusive>,
        scan: &mut Scan,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Task, Vec<Paused>)>> {
        let mut expired = Vec::new();
        for entry in scan.entries.iter().filter(|e| e.status == Status::Waiting) {
            let Ok(task) = locked.load(entry) else {
                continue;
            };
            if lifecycle::answer_deadline(&task).is_some_and(|d| d.at() <= now) {
                expired.push(lifecycle::answer_timed_out(&task, now));
            }
        }
        if expired.is_empty() {
            return Ok(Vec::new());
        }
        let mut paused = Vec::new();
        let follow: Vec<Task> = expired
            .iter()
            .filter_map(|done| self.breaker(locked, scan, done, &mut paused))
            .collect();
        locked.append(&expired.iter().chain(&follow).collect::<Vec<_>>())?;
        locked.catch_up(scan)?;
        for task in &expired {
            self.audit.record(
                now,
                Event::Failed,
                &[
                    ("id", &task.id),
                    ("error", &task.error.as_deref().unwrap_or_default()),
                ],
            );
        }
        self.log_paused(&paused, now);
        Ok(expired
            .into_iter()
            .map(|task| {
                let tripped: Vec<Paused> = paused
                    .iter()
                    .filter(|p| task.series.as_ref().is_some_and(|s| s.id == p.series))
                    .cloned()
                    .collect();
                (task, tripped)
            })
            .collect())
    }

    /// Holds `task`'s lane until `until` (a `retry` report with `"scope": "lane"`): the
    /// lane's other tasks wait too. A hold that cannot be written is a warning; the task
    /// itself is deferred either way.
    pub(super) fn hold_lane(
        &self,
        task: &Task,
        until: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) {
        let hold = crate::hold::Hold {
            lane: task.lane.clone(),
            until: until.into(),
            task: task.id.clone(),
            reason: reason.to_string(),
        };
        match crate::hold::set(self.paths, &hold, now) {
            Ok(()) => self.audit.record(
                now,
                Event::LaneHeld,
                &[
                    ("id", &task.id),
                    ("lane", &task.lane.as_deref().unwrap_or("-")),
                    ("until", &hold.until),
                ],
            ),
            Err(e) => (self.notify)(&super::Notice::ReportUnreadable {
                id: task.id.clone(),
                error: format!("its lane is not held: {e:#}"),
            }),
        }
    }

    /// A claim of a series occurrence that must not run (SPEC §22) becomes a missed
    /// fire: while another occurrence of the series waits for an answer (reason
    /// `waiting`), or while its `--budget` is spent (reason `budget`).
    pub(super) fn hold_fire(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        task: &Task,
        step: &mut ClaimStep,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if step.missed() {
            return Ok(());
        }
        if let Some(waiting_on) = self.series_waiting(locked, scan, task) {
            miss(
                step,
                task,
                REASON,
                &[("waiting_on", json!(waiting_on))],
                now,
            );
            return Ok(());
        }
        if let (Some(budget), Some(series)) = (task.budget_usd, task.series.as_ref()) {
            let spent = crate::budget::spent_stored(locked, self.paths, &series.id, now)?;
            if spent >= budget {
                let fields = [
                    ("budget_usd", json!(budget)),
                    ("spent_usd", json!((spent * 1e6).round() / 1e6)),
                ];
                miss(step, task, "budget", &fields, now);
            }
        }
        Ok(())
    }

    /// The id of another occurrence of `task`'s series that is `waiting`, if any.
    fn series_waiting(
        &self,
        locked: &Locked<Exclusive>,
        scan: &Scan,
        task: &Task,
    ) -> Option<String> {
        let series = task.series.as_ref()?;
        scan.entries
            .iter()
            .filter(|e| e.status == Status::Waiting && e.id != task.id)
            .filter_map(|e| locked.load(e).ok())
            .find(|t| t.series.as_ref().is_some_and(|s| s.id == series.id))
            .map(|t| t.id)
    }
}

/// The claim's fire is `missed` with `result.reason = reason` (and `fields` in the
/// result) instead of run; the successor the claim linked stays linked.
pub fn miss(
    step: &mut ClaimStep,
    before: &Task,
    reason: &str,
    fields: &[(&str, serde_json::Value)],
    now: DateTime<Utc>,
) {
    let claimed = &step.snapshot;
    let lateness = Lateness {
        late_by: claimed.late_by_seconds.unwrap_or(0),
        missed_fires: claimed.missed_fires,
    };
    let mut missed = chain::missed(claimed, lateness, now);
    missed.started_at = before.started_at;
    if let Some(result) = missed.result.as_mut() {
        result.extra.insert("reason".into(), json!(reason));
        for (name, value) in fields {
            result.extra.insert((*name).to_string(), value.clone());
        }
    }
    step.snapshot = missed;
}
