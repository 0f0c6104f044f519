//! The executor's report (SPEC §22): the one JSON object an executor may leave in
//! `DEFER_REPORT_PATH`, read with bounds, and what it makes of an attempt together with
//! the exit status. Pure: bytes, the exit status, the deferral count and `now` come in.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;

/// A report larger than this is not read (a warning, never a crash).
pub const MAX_BYTES: usize = 64 * 1024;
/// Deferrals (`retry` reports, exit 75) in a row before the next one is a failed attempt.
pub const MAX_DEFERRALS: u32 = 24;
/// A deferral never moves a task further ahead than this.
pub const MAX_AHEAD: Duration = Duration::days(7);
/// `EX_TEMPFAIL`: with no report, "retry later" as a deferral, not an attempt.
pub const EX_TEMPFAIL: i32 = 75;
/// Text fields are cut to this many characters (one line each, but `question`).
const MAX_LINE: usize = 1000;
const MAX_QUESTION: usize = 8000;

/// What the executor says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Completed,
    Failed,
    Retry,
    NeedsInput,
}

/// Who waits for a `retry`: the task alone, or every task of its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Task,
    Lane,
}

/// What the run cost, as the executor counted it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Cost {
    pub usd: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// A report as read: every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub status: Option<Status>,
    /// Kept as written (RFC 3339 or a duration); resolved by [`decide`].
    pub retry_at: Option<String>,
    pub scope: Scope,
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub question: Option<String>,
    pub cost: Option<Cost>,
}

/// Reads a report file's bytes. `Ok(None)`: no report (an empty or blank file).
/// `Err`: one line saying what is wrong, for a warning; the exit status then decides.
pub fn parse(bytes: &[u8]) -> Result<Option<Report>, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "report is {} bytes (at most {MAX_BYTES})",
            bytes.len()
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("report is not JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("report is not a JSON object".into());
    };
    let field = |name: &str| map.get(name).filter(|v| !v.is_null());
    let text = |name: &str, limit: usize| -> Result<Option<String>, String> {
        match field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(clip(s, limit, name != "question"))),
            Some(_) => Err(format!("report field '{name}' is not a string")),
        }
    };
    let status = match field("status") {
        None => None,
        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
            format!("report status {v} is not one of completed, failed, retry, needs_input")
        })?),
    };
    let scope = match field("scope") {
        None => Scope::Task,
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| format!("report scope {v} is not one of task, lane"))?,
    };
    let cost = match field("cost") {
        None => None,
        Some(v) => Some(read_cost(v)?),
    };
    Ok(Some(Report {
        status,
        retry_at: text("retry_at", 64)?,
        scope,
        reason: text("reason", MAX_LINE)?,
        summary: text("summary", MAX_LINE)?,
        question: text("question", MAX_QUESTION)?,
        cost,
    }))
}

fn read_cost(value: &Value) -> Result<Cost, String> {
    let Value::Object(map) = value else {
        return Err("report field 'cost' is not an object".into());
    };
    let usd = match map.get("usd").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Some(n),
            _ => return Err(format!("report cost.usd {v} is not a non-negative number")),
        },
    };
    let count = |name: &str| -> Result<Option<u64>, String> {
        match map.get(name).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("report cost.{name} {v} is not a whole number")),
        }
    };
    Ok(Cost {
        usd,
        input_tokens: count("input_tokens")?,
        output_tokens: count("output_tokens")?,
    })
}

/// `s` cut to `limit` characters; a one-line field keeps its first line only.
fn clip(s: &str, limit: usize, one_line: bool) -> String {
    let s = if one_line {
        s.lines().next().unwrap_or("")
    } else {
        s
    };
    s.chars().take(limit).collect()
}

/// What an attempt comes to, once the report and the exit status are weighed.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The task is done.
    Completed,
    /// A failed attempt; `reason` replaces the exit-status error when the report gave one.
    Failed { reason: Option<String> },
    /// Not an attempt: run again at `until` (the lane waits too with [`Scope::Lane`]).
    Deferred {
        until: DateTime<Utc>,
        scope: Scope,
        reason: String,
    },
    /// Wait for a person's answer.
    NeedsInput { question: String },
}

/// What the exit status said, as far as a report can override it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Success,
    /// Exit 75 (`EX_TEMPFAIL`).
    TempFail,
    /// Any other status, a signal or the timeout.
    Failure,
}

impl Exit {
    pub fn from_code(code: Option<i32>) -> Self {
        match code {
            Some(0) => Exit::Success,
            Some(EX_TEMPFAIL) => Exit::TempFail,
            _ => Exit::Failure,
        }
    }
}

/// Weighs `report` (if any) against the exit status. `deferrals` is how many deferrals
/// in a row the task already had; `default_delay` is its retry delay (when a `retry`
/// names no time). A deferral past [`MAX_DEFERRALS`] or beyond [`MAX_AHEAD`] is a
/// failed attempt instead, whose reason says so.
pub fn decide(
    report: Option<&Report>,
    exit: Exit,
    deferrals: u32,
    default_delay: Duration,
    now: DateTime<Utc>,
) -> Verdict {
    let status = match report.and_then(|r| r.status) {
        Some(status) => status,
        None => match exit {
            Exit::Success => Status::Completed,
            Exit::TempFail => Status::Retry,
            Exit::Failure => Status::Failed,
        },
    };
    let reason = report.and_then(|r| r.reason.clone());
    match status {
        Status::Completed => Verdict::Completed,
        Status::Failed => Verdict::Failed { reason },
        Status::NeedsInput => Verdict::NeedsInput {
            question: report
                .and_then(|r| r.question.clone().or_else(|| r.reason.clone()))
                .unwrap_or_else(|| "the executor needs input".into()),
        },
        Status::Retry => {
            let scope = report.map(|r| r.scope).unwrap_or_default();
            let asked = report.and_then(|r| r.retry_at.as_deref());
            let until = match asked {
                None => Ok(now + default_delay),
                Some(text) => retry_at(text, now),
            };
            let why = reason.unwrap_or_else(|| match report {
                Some(_) => "executor asked to retry later".into(),
                None => format!("executor exited with status {EX_TEMPFAIL} (retry later)"),
            });
            match until {
                Err(e) => Verdict::Failed {
                    reason: Some(format!("{why}; {e}")),
                },
                Ok(_) if deferrals >= MAX_DEFERRALS => Verdict::Failed {
                    reason: Some(format!(
                        "{why}; not deferred again after {MAX_DEFERRALS} deferrals in a row"
                    )),
                },
                Ok(until) if until > now + MAX_AHEAD => Verdict::Failed {
                    reason: Some(format!(
                        "{why}; retry_at {} is more than 7 days ahead",
                        until.format("%Y-%m-%dT%H:%M:%SZ")
                    )),
                },
                Ok(until) => Verdict::Deferred {
                    until: until.max(now),
                    scope,
                    reason: why,
                },
            }
        }
    }
}

/// `retry_at` as written: an RFC 3339 instant, or a duration from `now` (`63s`, `1h30m`).
fn retry_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.with_timezone(&Utc));
    }
    crate::when::parse_fixed_duration(text)
        .and_then(|secs| i64::try_from(secs).ok())
        .and_then(Duration::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(|| {
            format!(
                "retry_at '{}' is neither an RFC 3339 time nor a duration",
                crate::text::escape_control(text)
            )
        })
}

#[cfg(test)]
mod tests;
