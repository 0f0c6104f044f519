//! `defer stats` (SPEC §23): for each series, and for the one-shot tasks together, the
//! fires expected in a window against what ran — on time, late, missed (by reason),
//! failed, duplicated — with reported cost and median duration. The counting is pure
//! (`rows`, given the records and `now`); `collect` reads the records from the active
//! store and the archives.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Paths;
use crate::history::{self, Filter};
use crate::lookup;
use crate::store::Store;
use crate::task::{Status, Task};

pub mod table;

/// The default window: `--since 7d`.
pub const DEFAULT_SINCE: &str = "7d";
/// A schedule is stepped through at most this many fires per window (a one-minute
/// series over a year is 525,600).
const MAX_FIRES: u64 = 1_000_000;

/// Which series (or which key's tasks) to count; both `None`: everything.
#[derive(Debug, Clone, Default)]
pub struct Select {
    pub series: Option<String>,
    pub key: Option<String>,
}

/// Fires missed, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Missed {
    pub late: u64,
    pub overlap: u64,
    pub budget: u64,
    pub waiting: u64,
}

impl Missed {
    pub fn total(&self) -> u64 {
        self.late + self.overlap + self.budget + self.waiting
    }

    fn add(&mut self, reason: &str, n: u64) {
        match reason {
            "overlap" => self.overlap += n,
            "budget" => self.budget += n,
            "waiting" => self.waiting += n,
            _ => self.late += n,
        }
    }
}

/// One line of `defer stats`: a series, or (`series: null`) the one-shot tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    /// The series' id (its first occurrence's); `null` for one-shot tasks.
    pub series: Option<String>,
    pub key: Option<String>,
    /// `cron 0 9 * * 1-5` or `every 1h`; `null` for one-shot tasks.
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    /// Fires the schedule had in the window, from the series' own start to its end
    /// (for one-shot tasks: tasks due in the window that were not cancelled first).
    pub expected: u64,
    /// Ran within the grace of their fire (`--grace`, `DEFER_GRACE_SECONDS`).
    pub on_time: u64,
    /// Ran more than the grace after their fire.
    pub late: u64,
    pub missed: Missed,
    /// Occurrences that ended `failed` (they ran, or were interrupted).
    pub failed: u64,
    /// Skipped (`cancel --occurrence`) or cancelled with their series.
    pub cancelled: u64,
    /// Still executing.
    pub running: u64,
    /// Fires executed more than once (by more than one task): must be 0.
    pub duplicates: u64,
    /// Sum of the `cost.usd` the executor reported for attempts in the window.
    pub cost_usd: Option<f64>,
    /// Median attempt duration in the window.
    pub median_duration_ms: Option<u64>,
}

/// The fire a task stands for: the instant its claim ran it for (the claim snapshot
/// sets `run_at` to it), or, before its first claim, when it is due.
pub fn fire(task: &Task) -> DateTime<Utc> {
    task.run_at.at()
}

/// Reads what the rows need: every task that ended at or after `since` (active store
/// and archives, each once), every live task in the active store, and each selected
/// series' first occurrence wherever it is.
pub fn collect(
    store: &Store,
    paths: &Paths,
    since: DateTime<Utc>,
    select: &Select,
) -> Result<Vec<Task>> {
    let filter = Filter {
        since: Some(since),
        series: select.series.clone(),
        key: select.key.clone(),
        limit: usize::MAX,
        ..Filter::default()
    };
    let (mut tasks, _skipped) = history::query(store, paths, &filter)?;
    let live = crate::query::Filter {
        statuses: Vec::new(),
        ..crate::query::Filter::default()
    };
    let (active, _bad) = crate::query::list(store, &live)?;
    tasks.extend(active.into_iter().filter(|t| selected(t, select)));
    let mut have: HashSet<String> = tasks.iter().map(|t| t.id.clone()).collect();
    let firsts: Vec<String> = tasks
        .iter()
        .filter_map(|t| t.series.as_ref().map(|s| s.id.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for id in firsts {
        if have.insert(id.clone()) {
            if let Some(found) = lookup::find(store, paths, &id)? {
                tasks.push(found.task);
            }
        }
    }
    Ok(tasks)
}

fn selected(task: &Task, select: &Select) -> bool {
    select
        .series
        .as_ref()
        .is_none_or(|s| task.series.as_ref().is_some_and(|ts| &ts.id == s))
        && select
            .key
            .as_ref()
            .is_none_or(|k| task.key.as_ref() == Some(k))
}

/// The rows for the window `[since, now]`: one per series (by id), then one for the
/// one-shot tasks when there are any.
pub fn rows(tasks: &[Task], since: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Row> {
    let mut by_series: BTreeMap<String, Vec<&Task>> = BTreeMap::new();
    let mut one_shots = Vec::new();
    let mut seen = HashSet::new();
    for task in tasks.iter().filter(|t| seen.insert(t.id.as_str())) {
        match &task.series {
            Some(series) => by_series.entry(series.id.clone()).or_default().push(task),
            None => one_shots.push(task),
        }
    }
    let mut out: Vec<Row> = by_series
        .iter()
        .map(|(id, tasks)| series_row(id, tasks, since, now))
        .collect();
    let in_window: Vec<&Task> = one_shots
        .into_iter()
        .filter(|t| (since..=now).contains(&fire(t)))
        .collect();
    if !in_window.is_empty() {
        let mut row = Row::default();
        count(&mut row, &in_window, since, now);
        row.expected = in_window
            .iter()
            .filter(|t| !cancelled_before_fire(t))
            .count() as u64;
        out.push(row);
    }
    out
}

fn cancelled_before_fire(task: &Task) -> bool {
    task.status == Status::Cancelled && task.cancelled_at.is_some_and(|at| at.at() < fire(task))
}

fn series_row(id: &str, tasks: &[&Task], since: DateTime<Utc>, now: DateTime<Utc>) -> Row {
    let newest = tasks
        .iter()
        .max_by_key(|t| t.series.as_ref().map(|s| s.occurrence))
        .expect("a series row has a task");
    let series = newest.series.as_ref().expect("a series task");
    let mut row = Row {
        series: Some(id.to_string()),
        key: newest.key.clone(),
        schedule: Some(match (&series.cron, &series.every) {
            (Some(cron), _) => format!("cron {cron}"),
            (None, Some(every)) => format!("every {every}"),
            (None, None) => "unknown".into(),
        }),
        timezone: Some(series.timezone.clone()),
        ..Row::default()
    };
    let in_window: Vec<&Task> = tasks
        .iter()
        .copied()
        .filter(|t| (since..=now).contains(&fire(t)))
        .collect();
    count(&mut row, &in_window, since, now);
    row.expected = expected(tasks, series, since, now);
    row
}

/// The fires of the series' schedule in `[since, now]`, from its first fire on, not
/// past `until`, the `count`-th fire, or the cancel that ended it.
fn expected(
    tasks: &[&Task],
    series: &crate::series::Series,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> u64 {
    let Ok(schedule) = series.schedule() else {
        return 0;
    };
    let opening = tasks
        .iter()
        .find(|t| t.series.as_ref().is_some_and(|s| s.occurrence == 1));
    let first = opening
        .map(|t| fire(t))
        .or_else(|| tasks.iter().map(|t| fire(t)).min());
    let Some(first) = first else { return 0 };
    // A first occurrence claimed late under run-once stands for a later fire than the
    // series' first; the fires it folded came before it, after the series was made.
    // (A missed first occurrence keeps its own fire: the fires it stands for follow it.)
    let folded_before_first = opening
        .filter(|t| since <= t.created_at.at() && t.status != Status::Missed)
        .and_then(|t| t.missed_fires)
        .unwrap_or(0);
    let mut end = now;
    if let Some(until) = series.until {
        end = end.min(until.at());
    }
    let live = tasks.iter().any(|t| !t.status.is_terminal());
    if !live {
        // Ended: by a cancel (nothing after it), or by its count or until.
        if let Some(last) = tasks
            .iter()
            .max_by_key(|t| t.series.as_ref().map(|s| s.occurrence))
            .filter(|t| t.status == Status::Cancelled)
        {
            if let Some(at) = last.cancelled_at {
                end = end.min(at.at());
            }
        }
    }
    let mut n = 0;
    let mut ordinal = 1u64;
    let mut at = first;
    loop {
        if at > end || ordinal > MAX_FIRES {
            break;
        }
        if series.count.is_some_and(|c| ordinal > u64::from(c)) {
            break;
        }
        if at >= since {
            n += 1;
        }
        match schedule.next_after(first, at) {
            Some(next) if next > at => at = next,
            _ => break,
        }
        ordinal += 1;
    }
    n + folded_before_first
}

/// Fills the outcome columns of `row` from the tasks whose fire is in the window.
fn count(row: &mut Row, tasks: &[&Task], since: DateTime<Utc>, now: DateTime<Utc>) {
    let mut by_fire: HashMap<DateTime<Utc>, HashSet<&str>> = HashMap::new();
    let mut by_occurrence: HashMap<u32, HashSet<&str>> = HashMap::new();
    let mut durations = Vec::new();
    let mut cost: Option<f64> = None;
    for task in tasks {
        let ran = !task.history.is_empty()
            || matches!(
                task.status,
                Status::Completed | Status::Failed | Status::Executing
            );
        let grace = task
            .series
            .as_ref()
            .map(|s| s.grace_seconds)
            .or(task.grace_seconds)
            .unwrap_or(crate::series::DEFAULT_GRACE_SECONDS);
        match task.status {
            Status::Completed if task.late_by_seconds.is_some_and(|s| s > grace) => row.late += 1,
            Status::Completed => row.on_time += 1,
            Status::Failed => row.failed += 1,
            // A missed occurrence's `missed_fires` counts every fire it stands for.
            Status::Missed => row
                .missed
                .add(missed_reason(task), task.missed_fires.unwrap_or(1).max(1)),
            Status::Cancelled => row.cancelled += 1,
            Status::Executing => row.running += 1,
            _ => {}
        }
        // A run occurrence's `missed_fires` are the earlier fires folded into it.
        if let Some(n) = task
            .missed_fires
            .filter(|n| *n > 0 && task.status != Status::Missed)
        {
            row.missed.add("late", n);
        }
        if ran {
            by_fire.entry(fire(task)).or_default().insert(&task.id);
            if let Some(series) = &task.series {
                by_occurrence
                    .entry(series.occurrence)
                    .or_default()
                    .insert(&task.id);
            }
        }
        for attempt in &task.history {
            let at = attempt.finished_at.at();
            if at < since || at > now {
                continue;
            }
            if let Some(ms) = attempt.duration_ms {
                durations.push(ms);
            }
            if let Some(usd) = attempt
                .extra
                .get("cost")
                .and_then(|c| c.get("usd"))
                .and_then(|u| u.as_f64())
            {
                *cost.get_or_insert(0.0) += usd;
            }
        }
    }
    row.duplicates = extra_runs(by_fire.values()).max(extra_runs(by_occurrence.values()));
    row.cost_usd = cost.map(|c| (c * 1e6).round() / 1e6);
    row.median_duration_ms = median(&mut durations);
}

/// How many runs beyond the first each group (one fire, or one occurrence) had.
fn extra_runs<'a>(groups: impl Iterator<Item = &'a HashSet<&'a str>>) -> u64 {
    groups.map(|ids| ids.len() as u64 - 1).sum()
}

fn missed_reason(task: &Task) -> &str {
    task.result
        .as_ref()
        .and_then(|r| r.extra.get("reason"))
        .and_then(|r| r.as_str())
        .unwrap_or("late")
}

fn median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[values.len() / 2])
}

#[cfg(test)]
mod tests;
