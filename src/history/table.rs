//! `history --format table`: one row per finished task — id, status, when it ended
//! (local time and relative), attempts, and the summary followed by the error of a
//! failed task — cut to the terminal width, control characters shown escaped.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ended_at;
use crate::task::Task;
use crate::text;
use crate::view;
use crate::when;

const HEADERS: [&str; 6] = ["ID", "STATUS", "ENDED", "WHEN", "TRIES", "SUMMARY"];

/// Writes `tasks` as an aligned table no wider than `width` (when it can be; `None`:
/// nothing cut).
pub fn write<W: Write>(
    out: &mut W,
    tasks: &[Task],
    now: DateTime<Utc>,
    tz: Tz,
    width: Option<usize>,
) -> Result<()> {
    if tasks.is_empty() {
        writeln!(out, "no finished tasks")?;
        return Ok(());
    }
    let mut rows = vec![HEADERS.map(String::from)];
    rows.extend(tasks.iter().map(|task| row(task, now, tz)));
    view::write_rows(out, &rows, width, &[])
}

fn row(task: &Task, now: DateTime<Utc>, tz: Tz) -> [String; 6] {
    let at = ended_at(task).at();
    let mut summary = task.context.summary.trim().to_string();
    if let Some(error) = task.error.as_deref().filter(|e| !e.is_empty()) {
        summary = format!("{summary} — {}", error.trim());
    }
    [
        task.id.clone(),
        task.status.to_string(),
        at.with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        when::relative(now, at),
        attempts_made(task).to_string(),
        summary,
    ]
    .map(|cell| text::escape_control(&cell).into_owned())
}

/// Attempts made: the record's `attempts` counts the failed ones, so a success adds
/// its own (a task that completed at once made 1, a cancelled one that never ran 0).
fn attempts_made(task: &Task) -> u32 {
    let succeeded = task.status == crate::task::Status::Completed;
    task.attempts.saturating_add(u32::from(succeeded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Status;
    use crate::timestamp::Timestamp;

    #[test]
    fn rows_show_the_end_the_error_and_no_control_characters() {
        let task = Task {
            id: "t1".into(),
            status: Status::Failed,
            attempts: 2,
            failed_at: Timestamp::parse("2026-12-01T13:00:00Z"),
            error: Some("executor exited with status 3: boom".into()),
            context: crate::task::Context {
                summary: "nightly \u{1b}[2Jbuild\nfake row".into(),
                ..Default::default()
            },
            ..Task::blank()
        };
        let now = Timestamp::parse("2026-12-01T15:00:00Z").unwrap().at();
        let mut out = Vec::new();
        write(&mut out, &[task], now, Tz::America__New_York, Some(200)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("ID") && lines[0].contains("ENDED"),
            "{text}"
        );
        assert!(lines[1].contains("2026-12-01 08:00 EST"), "{text}");
        assert!(lines[1].contains("2h ago"), "{text}");
        assert!(
            lines[1].ends_with(
                r"nightly \u{1b}[2Jbuild\nfake row — executor exited with status 3: boom"
            ),
            "{text}"
        );
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
        let mut out = Vec::new();
        write(&mut out, &[], now, Tz::UTC, Some(80)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "no finished tasks\n");
    }
}
