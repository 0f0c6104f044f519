//! `defer export`: a series (or one task) handed to an engine built for more than one
//! host, as a systemd service + timer or a Kubernetes ConfigMap + CronJob whose command
//! is `defer execute` fed the task's JSON (SPEC §17). Pure: it renders text and changes
//! nothing; a schedule the target cannot express exactly is refused in one line.

pub mod calendar;
mod kubernetes;
mod systemd;

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use crate::task::{is_valid_id, ClosedSet, Task};
use crate::timestamp::Timestamp;

/// The grace a series without `grace_seconds` is read with (SPEC §12's default).
pub const DEFAULT_GRACE_SECONDS: u64 = 600;

/// The engine to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Systemd,
    Kubernetes,
}

impl ClosedSet for Format {
    const ALL: &'static [Self] = &[Format::Systemd, Format::Kubernetes];
    fn name(self) -> &'static str {
        match self {
            Format::Systemd => "systemd",
            Format::Kubernetes => "kubernetes",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to export to, and the facts of this host the output needs.
#[derive(Debug, Clone)]
pub struct Target {
    pub format: Format,
    /// The unit or CronJob name; default `defer-<id>`.
    pub name: Option<String>,
    /// This binary's absolute path (systemd's `ExecStart=`).
    pub binary: PathBuf,
    /// The settings `defer cron` would bake in (`Environment=` lines).
    pub settings: Vec<(String, String)>,
    pub now: DateTime<Utc>,
}

/// When the exported task runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum When {
    Cron { expr: String, zone: Tz },
    Every { text: String, anchor: DateTime<Utc> },
    Once(DateTime<Utc>),
}

/// What to do about fires missed while the host (or controller) was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missed {
    /// Run once for all of them (`run-once`, a one-shot task's `run`).
    Once,
    /// Skip them (`skip`).
    Skip,
}

/// A task read for export: its schedule, missed-run policy and the JSON to execute.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub id: String,
    pub name: String,
    pub when: When,
    pub missed: Missed,
    pub grace_seconds: Option<u64>,
    /// The task's `max_retries`: a Job's `backoffLimit`.
    pub max_retries: u32,
    /// One line: the task as `defer execute` reads it on stdin.
    pub json: String,
}

/// The `series` object of SPEC §12, read from the record's JSON (whichever way `Task`
/// holds it).
#[derive(Debug, Deserialize)]
struct SeriesView {
    every: Option<String>,
    cron: Option<String>,
    timezone: String,
    #[serde(default)]
    until: Option<Value>,
    #[serde(default)]
    count: Option<Value>,
    #[serde(default)]
    missed: Option<String>,
    #[serde(default)]
    grace_seconds: Option<u64>,
}

/// Fields that describe one run of the task, not the task: dropped from the exported
/// JSON, so every run the timer starts begins as a fresh `scheduled` task.
const RUN_FIELDS: &[&str] = &[
    "series",
    "started_at",
    "completed_at",
    "failed_at",
    "cancelled_at",
    "cancel_reason",
    "missed_at",
    "last_attempt_at",
    "last_error",
    "error",
    "result",
    "rescheduled_from",
    "executor",
    "history",
    "late_by_seconds",
    "missed_fires",
];

/// The export of `task` to `target`, or one line saying why it cannot be exact.
pub fn export(task: &Task, target: &Target) -> Result<String, String> {
    let plan = plan(task, target)?;
    match target.format {
        Format::Systemd => systemd::render(&plan, target),
        Format::Kubernetes => kubernetes::render(&plan, target),
    }
}

fn plan(task: &Task, target: &Target) -> Result<Plan, String> {
    let id = task.id.clone();
    if !is_valid_id(&id) {
        return Err(format!(
            "task id '{}' is not a valid id; it cannot name a unit",
            crate::text::escape_control(&id)
        ));
    }
    if task.status.is_terminal() {
        return Err(format!(
            "cannot export task {id}: its status is {} (accepted: a scheduled, paused or executing task)",
            task.status
        ));
    }
    let record = serde_json::to_value(task).map_err(|e| format!("task {id}: {e}"))?;
    let series =
        match record.get("series") {
            None | Some(Value::Null) => None,
            Some(value) => Some(SeriesView::deserialize(value).map_err(|e| {
                format!("task {id} has a series object this export cannot read: {e}")
            })?),
        };
    let (when, policy, grace) = match &series {
        Some(series) => series_when(&id, series, task)?,
        None => (
            When::Once(task.run_at.at()),
            record
                .get("missed")
                .and_then(Value::as_str)
                .map(str::to_string),
            record.get("grace_seconds").and_then(Value::as_u64),
        ),
    };
    check_pending(&id, &when, task.run_at.at(), target.now)?;
    let missed = match policy.as_deref() {
        None | Some("run") | Some("run-once") => Missed::Once,
        Some("skip") => Missed::Skip,
        Some(other) => {
            return Err(format!(
                "task {id} has missed-run policy '{}', which replays every missed fire; systemd timers and CronJobs catch up at most once (accepted: run-once or skip)",
                crate::text::escape_control(other)
            ))
        }
    };
    let name = match &target.name {
        Some(name) => check_name(name, target.format)?,
        None => default_name(&id, target.format),
    };
    Ok(Plan {
        json: run_json(record),
        id,
        name,
        when,
        missed,
        grace_seconds: grace,
        max_retries: task.max_retries,
    })
}

/// The pending run must be one the exported schedule makes: a one-shot task still
/// ahead (a timer never fires at a past instant), a cron series' next occurrence on its
/// calendar (not a `--when` first occurrence off it, which the timer would drop).
fn check_pending(
    id: &str,
    when: &When,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match when {
        When::Once(at) if *at <= now => Err(format!(
            "task {id} was due at {}, which has passed, and a timer never fires at a past instant; run it now with 'defer execute --id {id}'",
            stamp(*at)
        )),
        When::Cron { expr, zone } if run_at > now => {
            let cron = calendar::parse_cron(expr)?;
            match cron.fires_at(run_at, *zone) {
                true => Ok(()),
                false => Err(format!(
                    "the next occurrence of task {id} ({}) is not a fire of cron '{}' (it was set with --when), and a timer would skip it; export the series after that occurrence has run",
                    stamp(run_at),
                    expr.trim()
                )),
            }
        }
        _ => Ok(()),
    }
}

type SeriesParts = (When, Option<String>, Option<u64>);

fn series_when(id: &str, series: &SeriesView, task: &Task) -> Result<SeriesParts, String> {
    if let Some(count) = series.count.as_ref().filter(|c| !c.is_null()) {
        return Err(format!(
            "series of task {id} ends after --count {count}, and a systemd timer or CronJob cannot stop by itself; export a series without --count, or let defer run it"
        ));
    }
    if let Some(until) = series.until.as_ref().filter(|u| !u.is_null()) {
        return Err(format!(
            "series of task {id} ends at --until {until}, and a systemd timer or CronJob cannot stop by itself; export a series without --until, or let defer run it"
        ));
    }
    let zone: Tz = series.timezone.parse().map_err(|_| {
        format!(
            "series of task {id} has time zone '{}', which is not an IANA zone name",
            crate::text::escape_control(&series.timezone)
        )
    })?;
    let when = match (&series.every, &series.cron) {
        (Some(every), _) => When::Every {
            text: every.clone(),
            anchor: task.run_at.at(),
        },
        (None, Some(cron)) => When::Cron {
            expr: cron.clone(),
            zone,
        },
        (None, None) => {
            return Err(format!(
                "series of task {id} has neither 'every' nor 'cron'; nothing to export"
            ))
        }
    };
    Ok((when, series.missed.clone(), series.grace_seconds))
}

/// The record without its run fields, `scheduled` with no attempts, on one line.
fn run_json(mut record: Value) -> String {
    if let Some(object) = record.as_object_mut() {
        for field in RUN_FIELDS {
            object.remove(*field);
        }
        object.insert("status".into(), Value::from("scheduled"));
        object.insert("attempts".into(), Value::from(0));
    }
    record.to_string()
}

/// `defer-<id>`; for Kubernetes lower-cased with `_` and `.` as `-`, at most 52
/// characters (a CronJob name's limit).
fn default_name(id: &str, format: Format) -> String {
    let name = format!("defer-{id}");
    match format {
        Format::Systemd => name,
        Format::Kubernetes => {
            let mut name: String = name
                .to_ascii_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .take(52)
                .collect();
            while name.ends_with('-') {
                name.pop();
            }
            name
        }
    }
}

fn check_name(name: &str, format: Format) -> Result<String, String> {
    let ok = match format {
        Format::Systemd => is_valid_id(name) && name.len() <= 100,
        Format::Kubernetes => {
            let b = name.as_bytes();
            !b.is_empty()
                && b.len() <= 52
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        }
    };
    if ok {
        return Ok(name.to_string());
    }
    let accepted = match format {
        Format::Systemd => "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100",
        Format::Kubernetes => "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 52",
    };
    Err(format!(
        "invalid --name '{}' (accepted: {accepted})",
        crate::text::escape_control(name)
    ))
}

/// The closing comment: how to hand the task over without running it twice.
pub(crate) fn cancel_comment(plan: &Plan) -> String {
    let what = match plan.when {
        When::Once(_) => "the task",
        _ => "the series",
    };
    format!(
        "# Once this is installed and enabled, stop defer's own copy or {what} runs twice:\n#   defer cancel {}\n",
        plan.id
    )
}

/// `2026-12-01T10:00:00Z`, as the record writes instants.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    Timestamp::new(at).to_string()
}

#[cfg(test)]
mod tests;
