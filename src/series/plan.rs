//! `schedule`'s recurrence and missed-run flags (`--every`, `--cron`, `--until`,
//! `--count`, `--grace`, `--missed`, `--pause-after`) → the first run time and the
//! fields the new task carries. Pure: `now`, the zone and the default grace are given.

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Map;

use super::recurrence::{parse_cron, parse_every, Schedule};
use super::{Series, DEFAULT_PAUSE_AFTER};
use crate::task::{ClosedSet, MissedPolicy, Task};
use crate::when;

/// The flags as typed; all optional.
#[derive(Debug, Clone, Default)]
pub struct SeriesRequest {
    pub every: Option<String>,
    pub cron: Option<String>,
    pub until: Option<String>,
    pub count: Option<u32>,
    pub grace: Option<String>,
    pub missed: Option<MissedPolicy>,
    pub pause_after: Option<u32>,
}

impl SeriesRequest {
    /// True when `--every` or `--cron` makes the task a series.
    pub fn is_series(&self) -> bool {
        self.every.is_some() || self.cron.is_some()
    }
}

/// What the flags add to a task, decided before the task is built.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The first run time when `--when` is absent (series only).
    pub first: Option<DateTime<Utc>>,
    series: Option<Series>,
    missed: Option<MissedPolicy>,
    grace_seconds: Option<u64>,
}

/// Checks the flags. `default_grace` is `DEFER_GRACE_SECONDS` (or 600).
pub fn plan(req: &SeriesRequest, now: DateTime<Utc>, tz: Tz, default_grace: u64) -> Result<Plan> {
    let grace = req.grace.as_deref().map(parse_grace).transpose()?;
    if let Some(count) = req.count.filter(|c| *c == 0) {
        bail!("invalid --count '{count}' (accepted: a whole number, 1 or more)");
    }
    if !req.is_series() {
        return one_shot(req, grace);
    }
    let schedule = match (&req.every, &req.cron) {
        (Some(every), Some(cron)) => bail!(
            "invalid --cron '{cron}': --every '{every}' was given too (accepted: one of --every and --cron)"
        ),
        (Some(every), None) => {
            parse_every(every).map_err(|e| anyhow::anyhow!("invalid --every '{every}' ({e})"))?;
            Schedule::from_parts(Some(every), None, tz.name())
        }
        (None, Some(cron)) => {
            parse_cron(cron).map_err(|e| anyhow::anyhow!("invalid --cron '{cron}': {e}"))?;
            Schedule::from_parts(None, Some(cron), tz.name())
        }
        (None, None) => unreachable!("is_series"),
    }
    .map_err(anyhow::Error::msg)?;
    let missed = req.missed.unwrap_or(MissedPolicy::RunOnce);
    if !MissedPolicy::SERIES.contains(&missed) {
        bail!(
            "invalid --missed '{missed}' for a series (accepted: {})",
            names(MissedPolicy::SERIES)
        );
    }
    let until = req
        .until
        .as_deref()
        .map(|text| {
            when::parse(text, now, tz)
                .map(|r| r.at)
                .map_err(|e| anyhow::anyhow!("invalid --until '{text}': {e}"))
        })
        .transpose()?;
    let first = schedule.first(now);
    Ok(Plan {
        first,
        series: Some(Series {
            id: String::new(),
            every: req.every.as_ref().map(|t| t.trim().to_string()),
            cron: req.cron.as_ref().map(|t| t.trim().to_string()),
            timezone: tz.name().to_string(),
            until: until.map(Into::into),
            count: req.count,
            occurrence: 1,
            missed,
            grace_seconds: grace.unwrap_or(default_grace),
            pause_after: req.pause_after.unwrap_or(DEFAULT_PAUSE_AFTER),
            consecutive_failures: 0,
            next_id: None,
            extra: Map::new(),
        }),
        missed: None,
        grace_seconds: None,
    })
}

fn one_shot(req: &SeriesRequest, grace: Option<u64>) -> Result<Plan> {
    let only_series = [
        ("--until", req.until.clone()),
        ("--count", req.count.map(|c| c.to_string())),
        ("--pause-after", req.pause_after.map(|n| n.to_string())),
    ];
    if let Some((flag, Some(value))) = only_series.iter().find(|(_, v)| v.is_some()) {
        bail!("invalid {flag} '{value}': only a recurring task has it (accepted with --every or --cron)");
    }
    if let Some(missed) = req.missed.filter(|m| !MissedPolicy::ONE_SHOT.contains(m)) {
        bail!(
            "invalid --missed '{missed}' for a one-shot task (accepted: {}; {} are for --every/--cron)",
            names(MissedPolicy::ONE_SHOT),
            names(MissedPolicy::SERIES)
        );
    }
    Ok(Plan {
        first: None,
        series: None,
        missed: req.missed,
        grace_seconds: grace,
    })
}

fn names(set: &[MissedPolicy]) -> String {
    set.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
}

/// `--grace`: a duration of §5 units (`0s` allowed), at most 10 years.
pub fn parse_grace(text: &str) -> Result<u64> {
    const ACCEPTED: &str = "accepted: a duration such as 0s, 10m, 2h, 1d, at most 10 years";
    match super::recurrence::interval_seconds(text) {
        // The bound every duration setting has (`DEFER_GRACE_SECONDS` included).
        Some(secs) if secs <= crate::config::MAX_SECONDS => Ok(secs),
        _ => bail!("invalid --grace '{text}' ({ACCEPTED})"),
    }
}

impl Plan {
    /// Puts the fields on the built task (whose `run_at` and `id` are final) and
    /// checks `--until` against its first run.
    pub fn apply(self, task: &mut Task, until_text: Option<&str>) -> Result<()> {
        task.missed = self.missed;
        task.grace_seconds = self.grace_seconds;
        if let Some(mut series) = self.series {
            if let Some(until) = series.until.filter(|u| task.run_at.at() > u.at()) {
                bail!(
                    "invalid --until '{}': {until} is before the first run at {} (accepted: a time at or after it)",
                    until_text.unwrap_or_default(),
                    task.run_at
                );
            }
            series.id = task.id.clone();
            task.series = Some(series);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
