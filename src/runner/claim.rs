//! Claiming one stored task (`defer execute <id>`): the missed-run policy and a series'
//! next occurrence in the claim's write, then the executor, the outcome recorded; a
//! runner failure after the claim releases the task.

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Utc};

use super::execute::incomplete_output;
use super::liveness::TaskLock;
use super::{Notice, Report, Runner, RunnerLock};
use crate::audit::Event;
use crate::ids;
use crate::lifecycle;
use crate::series::chain::{self, Trigger};
use crate::store::{BadLine, Scan};
use crate::task::Task;

impl Runner<'_> {
    /// Claims `id` if it is still scheduled, executes it, and records the outcome.
    /// `hold` (the runner lock, which `scan` was read under) is let go once the claim
    /// is in the store: from then on the task's own lock keeps it live, and other runs
    /// dispatch while it executes, as they do beside a run's workers.
    pub fn execute_stored(
        &self,
        id: &str,
        scan: &mut Scan,
        bad: &mut Vec<BadLine>,
        hold: RunnerLock,
    ) -> Result<Option<Task>> {
        let mut report = Report::default();
        let done = self.claim_and_execute(id, scan, &mut report, Trigger::Explicit, hold)?;
        bad.append(&mut report.bad);
        Ok(done)
    }

    /// `execute_stored`, noting breaker pauses in `report`. A claim applies the
    /// missed-run policy (§12) and appends a series' next occurrence in the same write.
    fn claim_and_execute(
        &self,
        id: &str,
        scan: &mut Scan,
        report: &mut Report,
        trigger: Trigger,
        hold: RunnerLock,
    ) -> Result<Option<Task>> {
        let locked = self.store.write()?;
        locked.catch_up(scan)?;
        let Some(task) = self.load_due(&locked, scan, id, &mut report.bad)? else {
            return Ok(None);
        };
        let now = (self.clock)();
        let mut step = chain::claim(
            &task,
            now,
            self.settings.grace.0,
            trigger,
            |series, k| scan.occurrence(series, k).map(|e| e.id.clone()),
            || ids::generate(now),
        );
        self.hold_fire(&locked, scan, &task, &mut step, now)?;
        let writes: Vec<&Task> = [Some(&step.snapshot), step.next.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        if step.missed() {
            locked.append(&writes)?;
            // The next occurrence may be due already (`--missed all`): `run` sees it.
            locked.catch_up(scan)?;
            drop(locked);
            drop(hold);
            self.log_claim(&step, now);
            self.settle(&step.snapshot, &[]);
            return Ok(Some(step.snapshot));
        }
        let claimed = &step.snapshot;
        // The prompt before the claim: a runner that cannot write it has claimed
        // nothing, and the task stays as it is (SPEC §11).
        let prompt_path = self.write_prompt(claimed).with_context(|| {
            format!("task {id} was not run and stays scheduled; the runner could not prepare it")
        })?;
        // Held until the outcome is recorded: the task is live, never an orphan (§20).
        let Some(task_lock) = TaskLock::try_take(&self.paths.task_lock_path(id))? else {
            return Ok(None);
        };
        // The claim and a series' next occurrence: one append, one fsync. Then the
        // runner lock goes: a sweep may compact the store from here on, so `scan`'s
        // offsets are not used again (the outcome is recorded as a worker's is).
        locked.append(&writes)?;
        drop(locked);
        drop(hold);
        self.log_claim(&step, now);
        (self.notify)(&Notice::Claimed {
            id: claimed.id.clone(),
        });
        let (done, file_error) = match self.execute_prepared(claimed, &prompt_path, true) {
            Ok(attempt) => attempt,
            Err(e) => return Err(self.release(&task, claimed, e)),
        };
        let recorded = self.record_finished(&done);
        task_lock.release();
        // `None`: an overlapping occurrence replaced it meanwhile (its record says so).
        if let Some(paused) = recorded? {
            self.settle(&done, &paused);
            report.paused_series.extend(paused);
        }
        match file_error {
            None => Ok(Some(done)),
            Some(e) => Err(incomplete_output(&done, &e)),
        }
    }

    fn log_claim(&self, step: &chain::ClaimStep, now: DateTime<Utc>) {
        let task = &step.snapshot;
        let late = task.late_by_seconds.map(|s| s.to_string());
        let fires = task.missed_fires.map(|n| n.to_string());
        let mut fields: Vec<(&str, &dyn std::fmt::Display)> = vec![("id", &task.id)];
        if let Some(late) = &late {
            fields.push(("late_by", late));
        }
        if let Some(fires) = &fires {
            fields.push(("missed_fires", fires));
        }
        let event = match step.missed() {
            true => Event::Missed,
            false => Event::RunnerClaimed,
        };
        self.audit.record(now, event, &fields);
        if !step.missed() && task.missed_fires.is_some_and(|n| n > 0) {
            // run-once: the earlier fires were missed, this one runs.
            self.audit.record(now, Event::Missed, &fields);
        }
        if let Some(next) = &step.next {
            let series = next.series.as_ref().map(|s| (s.id.as_str(), s.occurrence));
            let (series_id, occurrence) = series.unwrap_or_default();
            self.audit.record(
                now,
                Event::Scheduled,
                &[
                    ("id", &next.id),
                    ("run_at", &next.run_at),
                    ("series", &series_id),
                    ("occurrence", &occurrence),
                ],
            );
        }
    }

    /// The runner failed after the claim, not the executor: the task goes back to
    /// `scheduled` at the same `run_at`, its attempts untouched, `last_error` naming
    /// the cause; returns the error `run` reports (SPEC §11).
    pub(super) fn release(
        &self,
        before_claim: &Task,
        claimed: &Task,
        e: anyhow::Error,
    ) -> anyhow::Error {
        let cause = format!("runner error: {e:#}");
        let released = lifecycle::release(before_claim, claimed, &cause);
        let recorded = self.store.write().and_then(|l| l.append(&[&released]));
        let id = &before_claim.id;
        match recorded {
            Ok(()) => anyhow!(
                "task {id}: {cause} (not counted as an attempt; still scheduled at {})",
                released.run_at
            ),
            Err(again) => anyhow!(
                "task {id}: {cause}; recording that failed too ({again:#}): the next run will find it executing"
            ),
        }
    }
}
