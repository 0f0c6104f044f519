//! `pause`, `resume` and `reschedule`: status and time changes a person or an agent
//! makes to a waiting task, each one appended snapshot under the store lock.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use crate::audit::{AuditLog, Event};
use crate::selector::{self, Selector};
use crate::store::{BadLine, Store};
use crate::task::{Status, Task};
use crate::timestamp::Timestamp;

/// A change to one waiting task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `scheduled` → `paused`.
    Pause,
    /// `paused` → `scheduled`.
    Resume,
    /// A new `run_at` for a `scheduled` or `paused` task; the status is kept.
    Reschedule(Timestamp),
}

impl Change {
    fn verb(self) -> &'static str {
        match self {
            Change::Pause => "pause",
            Change::Resume => "resume",
            Change::Reschedule(_) => "reschedule",
        }
    }

    /// Which statuses the change applies to, as the error names them.
    fn accepts(self) -> (&'static [Status], &'static str) {
        match self {
            Change::Pause => (&[Status::Scheduled], "only scheduled tasks can be paused"),
            Change::Resume => (&[Status::Paused], "only paused tasks can be resumed"),
            Change::Reschedule(_) => (
                &[Status::Scheduled, Status::Paused],
                "only scheduled or paused tasks can be rescheduled",
            ),
        }
    }

    /// The task's next snapshot, or an error naming its status.
    pub fn apply(self, task: &Task) -> Result<Task> {
        let (accepted, rule) = self.accepts();
        if !accepted.contains(&task.status) {
            bail!(
                "cannot {} task {}: its status is {} ({rule})",
                self.verb(),
                task.id,
                task.status
            );
        }
        if let Change::Reschedule(run_at) = self {
            refuse_past_until(task, run_at)?;
        }
        let mut next = task.clone();
        match self {
            Change::Pause => next.status = Status::Paused,
            Change::Resume => next.status = Status::Scheduled,
            Change::Reschedule(run_at) => {
                next.rescheduled_from = Some(task.run_at);
                next.run_at = run_at;
            }
        }
        Ok(next)
    }

    fn log(self, audit: &AuditLog, before: &Task, after: &Task, now: DateTime<Utc>) {
        match self {
            Change::Pause => audit.record(now, Event::Paused, &[("id", &after.id)]),
            Change::Resume => audit.record(
                now,
                Event::Resumed,
                &[("id", &after.id), ("run_at", &after.run_at)],
            ),
            Change::Reschedule(_) => audit.record(
                now,
                Event::Rescheduled,
                &[
                    ("id", &after.id),
                    ("from", &before.run_at),
                    ("run_at", &after.run_at),
                    ("status", &after.status),
                ],
            ),
        }
    }
}

/// A series occurrence is never moved past its series' `--until` (SPEC §19): no
/// occurrence runs after it.
fn refuse_past_until(task: &Task, run_at: Timestamp) -> Result<()> {
    let Some(until) = task.series.as_ref().and_then(|s| s.until) else {
        return Ok(());
    };
    if run_at.at() > until.at() {
        bail!(
            "cannot reschedule task {} to {run_at}: after its series' --until {until} \
             (accepted: a time up to {until})",
            task.id
        );
    }
    Ok(())
}

/// Applies `change` to the task `id` names (a task id, a series id or a key, see
/// `selector`) and appends the result; an unknown id or a status the
/// change does not apply to is an error and writes nothing. `bad` receives the store's
/// invalid lines, for the caller to report.
pub fn apply(
    store: &Store,
    audit: &AuditLog,
    id: impl Into<Selector>,
    change: Change,
    now: DateTime<Utc>,
    bad: &mut Vec<BadLine>,
) -> Result<Task> {
    let locked = store.write()?;
    let scan = locked.scan()?;
    bad.extend(scan.bad.iter().cloned());
    let id = &selector::resolve_locked(&locked, &id.into())?;
    let Some(entry) = scan.get(id) else {
        bail!("task not found: {id}");
    };
    let task = locked.load(entry)?;
    let next = change.apply(&task)?;
    locked.append(&[&next])?;
    drop(locked);
    change.log(audit, &task, &next, now);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: Status) -> Task {
        Task {
            id: "t1".into(),
            status,
            run_at: Timestamp::parse("2026-04-08T16:45:00Z").unwrap(),
            ..Task::blank()
        }
    }

    fn later() -> Timestamp {
        Timestamp::parse("2026-04-09T09:00:00Z").unwrap()
    }

    #[test]
    fn pause_and_resume_swap_scheduled_and_paused() {
        let paused = Change::Pause.apply(&task(Status::Scheduled)).unwrap();
        assert_eq!(paused.status, Status::Paused);
        assert_eq!(paused.run_at, task(Status::Scheduled).run_at);
        let resumed = Change::Resume.apply(&paused).unwrap();
        assert_eq!(resumed, task(Status::Scheduled));
    }

    #[test]
    fn reschedule_keeps_the_status_and_the_old_time() {
        for status in [Status::Scheduled, Status::Paused] {
            let next = Change::Reschedule(later()).apply(&task(status)).unwrap();
            assert_eq!(next.status, status);
            assert_eq!(next.run_at, later());
            assert_eq!(
                next.rescheduled_from.unwrap().to_string(),
                "2026-04-08T16:45:00Z"
            );
        }
    }

    #[test]
    fn a_series_occurrence_moves_up_to_its_until_and_no_further() {
        let mut occurrence = task(Status::Scheduled);
        occurrence.series = Some(
            serde_json::from_value(serde_json::json!({
                "id": "t1", "every": "1h", "cron": null, "timezone": "UTC",
                "until": "2026-04-09T09:00:00Z", "count": null, "occurrence": 1,
                "missed": "run-once", "grace_seconds": 600
            }))
            .unwrap(),
        );
        assert!(Change::Reschedule(later()).apply(&occurrence).is_ok());
        let past = Timestamp::parse("2026-04-09T09:00:01Z").unwrap();
        let err = Change::Reschedule(past).apply(&occurrence).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot reschedule task t1 to 2026-04-09T09:00:01Z: after its series' --until \
             2026-04-09T09:00:00Z (accepted: a time up to 2026-04-09T09:00:00Z)"
        );
        assert!(Change::Reschedule(past)
            .apply(&task(Status::Scheduled))
            .is_ok());
    }

    #[test]
    fn other_statuses_are_refused_by_name() {
        let err = |change: Change, status| change.apply(&task(status)).unwrap_err().to_string();
        assert_eq!(
            err(Change::Pause, Status::Completed),
            "cannot pause task t1: its status is completed (only scheduled tasks can be paused)"
        );
        assert!(err(Change::Pause, Status::Paused).contains("status is paused"));
        assert!(err(Change::Pause, Status::Executing).contains("status is executing"));
        assert_eq!(
            err(Change::Resume, Status::Scheduled),
            "cannot resume task t1: its status is scheduled (only paused tasks can be resumed)"
        );
        for status in [
            Status::Executing,
            Status::Completed,
            Status::Failed,
            Status::Cancelled,
        ] {
            assert!(err(Change::Reschedule(later()), status).contains("cannot reschedule"));
        }
    }
}
