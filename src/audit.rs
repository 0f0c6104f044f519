//! The audit log `deferred.log`: one line per action,
//! `<UTC timestamp> <event> id=<id> key=value...`.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::safe_fs;
use crate::timestamp::Timestamp;

/// The closed set of audit events (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Scheduled,
    Cancelled,
    RunnerClaimed,
    Executed,
    RetryScheduled,
    Failed,
    Archived,
    RunnerSkipped,
    Interrupted,
    Paused,
    Resumed,
    Rescheduled,
    Missed,
    SeriesPaused,
    HookFailed,
    /// A claim whose executor never started went back to `scheduled` (SPEC §19).
    Released,
    /// The executor asked to run the task later (SPEC §22): not an attempt.
    DeferredByExecutor,
    /// The executor needs a person's answer: the task is `waiting`.
    Waiting,
    /// `defer answer`: a waiting task is scheduled again.
    Answered,
    /// An executor's report held the task's lane until a time.
    LaneHeld,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Event::Scheduled => "scheduled",
            Event::Cancelled => "cancelled",
            Event::RunnerClaimed => "runner claimed",
            Event::Executed => "executed",
            Event::RetryScheduled => "retry scheduled",
            Event::Failed => "failed",
            Event::Archived => "archived",
            Event::RunnerSkipped => "runner skipped",
            Event::Interrupted => "interrupted",
            Event::Paused => "paused",
            Event::Resumed => "resumed",
            Event::Rescheduled => "rescheduled",
            Event::Missed => "missed",
            Event::SeriesPaused => "series paused",
            Event::HookFailed => "hook failed",
            Event::Released => "released",
            Event::DeferredByExecutor => "deferred_by_executor",
            Event::Waiting => "waiting",
            Event::Answered => "answered",
            Event::LaneHeld => "lane held",
        })
    }
}

/// Appends audit lines. A failed log write never fails the action it describes (the
/// action already happened); it is kept as a warning for the CLI to print.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    warnings: Mutex<Vec<String>>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog {
            path: path.into(),
            warnings: Mutex::default(),
        }
    }

    /// Writes one line; `fields` are `key=value` pairs, values quoted when needed.
    pub fn record(&self, now: DateTime<Utc>, event: Event, fields: &[(&str, &dyn fmt::Display)]) {
        let line = format_line(now, event, fields);
        let written = safe_fs::open_append(&self.path).and_then(|mut file| {
            file.write_all(line.as_bytes())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", self.path.display()))
        });
        if let Err(e) = written {
            self.warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("audit log not written: {e:#}"));
        }
    }

    /// Writes one line per row of `fields`, with one open and one write (a sweep
    /// logs a line per archived task: thousands at once).
    pub fn record_rows(
        &self,
        now: DateTime<Utc>,
        event: Event,
        rows: &[&[(&str, &dyn fmt::Display)]],
    ) {
        if rows.is_empty() {
            return;
        }
        let text: String = rows.iter().map(|f| format_line(now, event, f)).collect();
        let written = safe_fs::open_append(&self.path).and_then(|mut file| {
            file.write_all(text.as_bytes())
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", self.path.display()))
        });
        if let Err(e) = written {
            self.warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("audit log not written: {e:#}"));
        }
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn format_line(now: DateTime<Utc>, event: Event, fields: &[(&str, &dyn fmt::Display)]) -> String {
    let mut line = format!("{} {event}", Timestamp::new(now));
    for (key, value) in fields {
        line.push_str(&format!(" {key}={}", quote(&value.to_string())));
    }
    line.push('\n');
    line
}

/// Leaves plain tokens bare; quotes (as a JSON string) anything with spaces, quotes,
/// `=` or unsafe characters (`text::is_unsafe`: controls, line separators, bidi
/// controls, each escaped in the quotes), and the empty string.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            !c.is_whitespace() && !crate::text::is_unsafe(c) && !matches!(c, '"' | '=' | '\\')
        });
    if plain {
        value.to_string()
    } else {
        crate::text::json_quote(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let now = DateTime::from_timestamp(1_775_666_100, 0).unwrap();
        let line = format_line(
            now,
            Event::RetryScheduled,
            &[("id", &"t1"), ("error", &"exit status 3")],
        );
        assert_eq!(
            line,
            "2026-04-08T16:35:00Z retry scheduled id=t1 error=\"exit status 3\"\n"
        );
    }

    #[test]
    fn separators_and_bidi_controls_are_escaped_in_quotes() {
        let now = DateTime::from_timestamp(1_775_666_100, 0).unwrap();
        let line = format_line(
            now,
            Event::Cancelled,
            &[
                ("id", &"t1"),
                ("reason", &"r\u{202e}x\u{85}y\u{2028}z\u{2066}"),
            ],
        );
        assert_eq!(
            line,
            "2026-04-08T16:35:00Z cancelled id=t1 reason=\"r\\u202ex\\u0085y\\u2028z\\u2066\"\n"
        );
        assert_eq!(quote("a\u{200f}"), "\"a\\u200f\"");
    }

    #[test]
    fn failures_become_warnings() {
        let log = AuditLog::new("/proc/definitely/not/writable.log");
        log.record(Utc::now(), Event::Scheduled, &[("id", &"x")]);
        let warnings = log.take_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("audit log not written"),
            "{warnings:?}"
        );
    }
}
