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
use serde_json::Value;

use crate::series::{Recurrence, Series};
use crate::task::fields::FIELDS;
use crate::task::{is_valid_id, ClosedSet, MissedPolicy, Overlap, Task};
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
    Cron {
        expr: String,
        zone: Tz,
    },
    Every {
        text: String,
        seconds: u64,
        anchor: DateTime<Utc>,
    },
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
    /// `--overlap`, when the series has one (§20).
    pub overlap: Option<Overlap>,
}

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
    let (when, policy, grace) = match &task.series {
        Some(series) => series_when(&id, series, task)?,
        None => (
            When::Once(task.run_at.at()),
            task.missed,
            task.grace_seconds,
        ),
    };
    check_pending(&id, &when, task.run_at.at(), target.now)?;
    let missed = match policy {
        None | Some(MissedPolicy::Run) | Some(MissedPolicy::RunOnce) => Missed::Once,
        Some(MissedPolicy::Skip) => Missed::Skip,
        Some(MissedPolicy::All) => {
            return Err(format!(
                "task {id} has missed-run policy 'all', which replays every missed fire; systemd timers and CronJobs catch up at most once (accepted: run-once or skip)"
            ))
        }
    };
    let name = match &target.name {
        Some(name) => check_name(name, target.format)?,
        None => default_name(&id, target.format),
    };
    let record = serde_json::to_value(task).map_err(|e| format!("task {id}: {e}"))?;
    Ok(Plan {
        json: run_json(record),
        id,
        name,
        when,
        missed,
        grace_seconds: grace,
        max_retries: task.max_retries,
        overlap: task.overlap,
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

type SeriesParts = (When, Option<MissedPolicy>, Option<u64>);

fn series_when(id: &str, series: &Series, task: &Task) -> Result<SeriesParts, String> {
    if let Some(count) = series.count {
        return Err(format!(
            "series of task {id} ends after --count {count}, and a systemd timer or CronJob cannot stop by itself; export a series without --count, or let defer run it"
        ));
    }
    if let Some(until) = series.until {
        return Err(format!(
            "series of task {id} ends at --until {until}, and a systemd timer or CronJob cannot stop by itself; export a series without --until, or let defer run it"
        ));
    }
    // The record is untrusted text: the schedule is read back the way the runner reads
    // it, so a zone or expression it would not accept is refused here too.
    let schedule = series.schedule().map_err(|e| {
        format!(
            "series of task {id} has a schedule defer cannot read: {}",
            crate::text::escape_control(&e)
        )
    })?;
    let when = match (schedule.recurrence, &series.every, &series.cron) {
        (Recurrence::Every(seconds), Some(every), _) => When::Every {
            text: every.trim().to_string(),
            seconds,
            anchor: task.run_at.at(),
        },
        (Recurrence::Cron(_), _, Some(cron)) => When::Cron {
            expr: cron.clone(),
            zone: schedule.tz,
        },
        _ => {
            return Err(format!(
                "series of task {id} has neither 'every' nor 'cron'"
            ))
        }
    };
    Ok((when, Some(series.missed), Some(series.grace_seconds)))
}

/// The record without the fields that describe one run of the task, not the task
/// (`task::fields`' `RUN` class), `scheduled` with no attempts, on one line: every run
/// the timer starts begins as a fresh `scheduled` task.
fn run_json(mut record: Value) -> String {
    if let Some(object) = record.as_object_mut() {
        for field in FIELDS.iter().filter(|field| field.run()) {
            object.remove(field.name);
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
