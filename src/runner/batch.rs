//! What one dispatch appends, in order — claims, links, prompt-only outcomes, `--overlap`
//! records — and its audit lines, written one write per event kind.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::Runner;
use crate::audit::Event;
use crate::series::chain::{self, ClaimStep};
use crate::series::missed::Lateness;
use crate::store::Scan;
use crate::task::{Status, Task};

/// What one dispatch appends, in order, and what it logs afterwards.
#[derive(Default)]
pub(super) struct Batch {
    pub writes: Vec<Task>,
    pub steps: Vec<ClaimStep>,
    /// Outcomes recorded in the batch (prompt only).
    pub done: Vec<Task>,
    /// Executing occurrences cancelled by `--overlap replace`, to stop.
    pub replaced: Vec<Task>,
    /// Prompt files written for the claims, to make durable before the append.
    pub prompts: Vec<PathBuf>,
}

impl Batch {
    pub(super) fn push(&mut self, step: &ClaimStep, next: Option<Task>) {
        self.writes.push(step.snapshot.clone());
        self.writes.extend(next);
        self.steps.push(step.clone());
    }

    pub(super) fn push_done(&mut self, step: &ClaimStep, done: Task, next: Option<Task>) {
        self.writes.push(done.clone());
        self.writes.extend(next);
        self.steps.push(step.clone());
        self.done.push(done);
    }

    /// The id of occurrence `k` of `series` when this batch links it already.
    pub(super) fn linked(&self, series: &str, k: u32) -> Option<String> {
        self.writes
            .iter()
            .find(|t| {
                t.series
                    .as_ref()
                    .is_some_and(|s| s.id == series && s.occurrence == k)
            })
            .map(|t| t.id.clone())
    }

    /// `--overlap skip`: the fire is `missed` (reason `overlap`); the series goes on.
    pub(super) fn overlap_missed(
        &mut self,
        task: &Task,
        now: DateTime<Utc>,
        runner: &Runner,
        scan: &Scan,
    ) -> Task {
        let step = runner.claim_at(task, now, now, scan, self);
        let late_by = (now - task.run_at.at()).num_seconds().max(0) as u64;
        let mut snapshot = chain::missed(
            task,
            Lateness {
                late_by,
                missed_fires: None,
            },
            now,
        );
        if let Some(result) = snapshot.result.as_mut() {
            result.extra.insert("reason".into(), "overlap".into());
        }
        let step = ClaimStep {
            snapshot,
            next: step.next,
        };
        self.push(&step, step.next.clone());
        step.snapshot
    }

    /// `--overlap replace`: `previous` is recorded `cancelled`, replaced by `claimed`.
    pub(super) fn replace(&mut self, previous: Task, claimed: &Task, now: DateTime<Utc>) {
        let k = claimed.series.as_ref().map_or(0, |s| s.occurrence);
        let cancelled = Task {
            status: Status::Cancelled,
            cancelled_at: Some(now.into()),
            cancel_reason: Some(Some(format!("replaced by occurrence {k}"))),
            ..previous.clone()
        };
        self.writes.push(cancelled);
        self.replaced.push(previous);
    }
}

impl Runner<'_> {
    /// The audit lines of a dispatch's claims, links and prompt-only outcomes, as
    /// `log_claim` and `log_outcome` write them one by one: one write per event kind.
    pub(super) fn log_batch(&self, batch: &Batch, now: DateTime<Utc>) {
        type Row = Vec<(&'static str, String)>;
        let (mut claimed, mut missed, mut linked, mut executed): (
            Vec<Row>,
            Vec<Row>,
            Vec<Row>,
            Vec<Row>,
        ) = Default::default();
        for step in &batch.steps {
            let task = &step.snapshot;
            let mut row: Row = vec![("id", task.id.clone())];
            if let Some(late) = task.late_by_seconds {
                row.push(("late_by", late.to_string()));
            }
            if let Some(fires) = task.missed_fires {
                row.push(("missed_fires", fires.to_string()));
            }
            if step.missed() {
                missed.push(row);
            } else {
                if task.missed_fires.is_some_and(|n| n > 0) {
                    missed.push(row.clone());
                }
                claimed.push(row);
            }
            if let Some(next) = &step.next {
                let (series, occurrence) = next
                    .series
                    .as_ref()
                    .map(|s| (s.id.clone(), s.occurrence))
                    .unwrap_or_default();
                linked.push(vec![
                    ("id", next.id.clone()),
                    ("run_at", next.run_at.to_string()),
                    ("series", series),
                    ("occurrence", occurrence.to_string()),
                ]);
            }
        }
        for done in &batch.done {
            let kind = done.result.as_ref().map(|r| r.kind.to_string());
            executed.push(vec![
                ("id", done.id.clone()),
                ("result", kind.unwrap_or_default()),
            ]);
        }
        for (event, rows) in [
            (Event::RunnerClaimed, claimed),
            (Event::Missed, missed),
            (Event::Scheduled, linked),
            (Event::Executed, executed),
        ] {
            let fields: Vec<Vec<(&str, &dyn std::fmt::Display)>> = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|(k, v)| (*k, v as &dyn std::fmt::Display))
                        .collect()
                })
                .collect();
            let refs: Vec<&[(&str, &dyn std::fmt::Display)]> =
                fields.iter().map(Vec::as_slice).collect();
            self.audit.record_rows(now, event, &refs);
        }
    }
}
