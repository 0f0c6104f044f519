//! Human views of tasks: `list --format table`. One row per task with its id, status,
//! local run time plus a relative form, intent and summary, cut to the terminal width
//! (written anywhere else, nothing is cut).
//! Writes to any `W: Write`; JSON output stays with the CLI.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::task::{ClosedSet, Task};
use crate::text;
use crate::when;

/// How `list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Table,
}

impl ClosedSet for Format {
    const ALL: &'static [Self] = &[Format::Json, Format::Table];
    fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Table => "table",
        }
    }
}

/// The width used when neither `COLUMNS` nor the terminal gives one.
pub const DEFAULT_WIDTH: usize = 100;
/// The summary column never gets narrower than this, even if the row overflows.
const MIN_SUMMARY: usize = 10;
/// Below this, optional columns make room for the summary.
const COMFORTABLE_SUMMARY: usize = 24;
const HEADERS: [&str; 6] = ["ID", "STATUS", "RUN AT", "WHEN", "INTENT", "SUMMARY"];
/// Columns dropped, in this order, on a narrow terminal: INTENT, then RUN AT (WHEN
/// still says when it runs).
const DROPPABLE: [usize; 2] = [4, 2];
/// With a LANE column (when a listed task has a lane, §20): before SUMMARY.
const LANE_HEADERS: [&str; 7] = [
    "ID", "STATUS", "RUN AT", "WHEN", "INTENT", "LANE", "SUMMARY",
];
const LANE_DROPPABLE: [usize; 2] = [4, 2];

/// The terminal width from a `COLUMNS` value.
pub fn width(columns: Option<&str>) -> usize {
    columns
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// Writes `tasks` as an aligned table no wider than `width` (when it can be; `None`:
/// every column, nothing cut).
pub fn table<W: Write>(
    out: &mut W,
    tasks: &[Task],
    now: DateTime<Utc>,
    tz: Tz,
    width: Option<usize>,
) -> Result<()> {
    if tasks.is_empty() {
        writeln!(out, "no tasks")?;
        return Ok(());
    }
    if tasks.iter().any(|task| task.lane.is_some()) {
        let mut rows = vec![LANE_HEADERS.map(String::from)];
        rows.extend(tasks.iter().map(|task| {
            let [id, status, run_at, when, intent, summary] = row(task, now, tz);
            let lane = text::escape_control(task.lane.as_deref().unwrap_or("-")).into_owned();
            [id, status, run_at, when, intent, lane, summary]
        }));
        return write_rows(out, &rows, width, &LANE_DROPPABLE);
    }
    let mut rows = vec![HEADERS.map(String::from)];
    rows.extend(tasks.iter().map(|task| row(task, now, tz)));
    write_rows(out, &rows, width, &DROPPABLE)
}

/// Writes rows of `N - 1` aligned columns and a last, summary column cut to what `width`
/// leaves (never under `MIN_SUMMARY`); the columns in `droppable` are dropped, in that
/// order, while the summary would get less than `COMFORTABLE_SUMMARY`. With no `width`
/// (not a terminal) every column is shown and nothing is cut. The first row is the
/// header. Cells must already be one line (escaped).
pub fn write_rows<W: Write, const N: usize>(
    out: &mut W,
    rows: &[[String; N]],
    width: Option<usize>,
    droppable: &[usize],
) -> Result<()> {
    let mut widths = vec![0usize; N - 1];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut shown = vec![true; N - 1];
    let fixed = |shown: &[bool]| -> usize {
        widths
            .iter()
            .zip(shown)
            .filter(|(_, &s)| s)
            .map(|(w, _)| w + 2)
            .sum()
    };
    let Some(width) = width else {
        return write_lines(out, rows, &widths, &shown, usize::MAX);
    };
    for &column in droppable {
        if width.saturating_sub(fixed(&shown)) >= COMFORTABLE_SUMMARY {
            break;
        }
        shown[column] = false;
    }
    let summary_width = width.saturating_sub(fixed(&shown)).max(MIN_SUMMARY);
    write_lines(out, rows, &widths, &shown, summary_width)
}

fn write_lines<W: Write, const N: usize>(
    out: &mut W,
    rows: &[[String; N]],
    widths: &[usize],
    shown: &[bool],
    summary_width: usize,
) -> Result<()> {
    for row in rows {
        let mut line = String::new();
        for ((cell, w), _) in row.iter().zip(widths).zip(shown).filter(|(_, s)| **s) {
            line.push_str(&format!("{cell:<w$}  "));
        }
        line.push_str(&cut(&row[N - 1], summary_width));
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// One row's cells, each one line with control characters escaped (`\n`, `\u{1b}`): a
/// summary cannot retitle the terminal, clear it or print rows of its own. Widths are
/// measured on these escaped forms.
fn row(task: &Task, now: DateTime<Utc>, tz: Tz) -> [String; 6] {
    let at = task.run_at.at();
    [
        task.id.clone(),
        task.status.to_string(),
        at.with_timezone(&crate::local::zone(task, tz))
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        match &task.series {
            // A series occurrence also shows its recurrence: `in 47m, every 1h`.
            Some(series) => format!("{}, {}", when::relative(now, at), series.describe().trim()),
            None => when::relative(now, at),
        },
        task.intent.to_string(),
        task.context.summary.trim().to_string(),
    ]
    .map(|cell| text::escape_control(&cell).into_owned())
}

/// `text` in at most `width` characters, ending with `…` when cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn at(text: &str) -> DateTime<Utc> {
        Timestamp::parse(text).unwrap().at()
    }

    #[test]
    fn widths_and_cuts() {
        assert_eq!(width(Some("60")), 60);
        assert_eq!(width(Some("wide")), DEFAULT_WIDTH);
        assert_eq!(width(None), DEFAULT_WIDTH);
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }

    #[test]
    fn table_rows_fit_the_width() {
        let task = Task {
            id: "t1".into(),
            run_at: Timestamp::parse("2026-04-08T18:45:00Z").unwrap(),
            context: crate::task::Context {
                summary: "a long summary ".repeat(10),
                ..Default::default()
            },
            ..Task::blank()
        };
        let mut out = Vec::new();
        let now = at("2026-04-08T16:40:00Z");
        table(&mut out, &[task], now, Tz::Europe__Paris, Some(80)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID"), "{text}");
        assert!(lines[1].contains("2026-04-08 20:45 CEST"), "{text}");
        assert!(lines[1].contains("in 2h 5m"), "{text}");
        assert!(lines[1].ends_with('…'), "{text}");
        assert_eq!(lines[1].chars().count(), 80, "{text}");
    }

    #[test]
    fn control_characters_are_shown_escaped_and_counted_escaped() {
        let task = |id: &str, summary: &str| Task {
            id: id.into(),
            run_at: Timestamp::parse("2026-04-08T18:45:00Z").unwrap(),
            context: crate::task::Context {
                summary: summary.into(),
                ..Default::default()
            },
            ..Task::blank()
        };
        let tasks = [
            task(
                "t1",
                "\u{1b}]0;pwned\u{7}\u{1b}[2Jreal\nt9  scheduled  fake\rrow",
            ),
            task("t2", " plain "),
        ];
        let mut out = Vec::new();
        let now = at("2026-04-08T16:40:00Z");
        table(&mut out, &tasks, now, Tz::UTC, Some(300)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[1].ends_with(r"\u{1b}]0;pwned\u{7}\u{1b}[2Jreal\nt9  scheduled  fake\rrow"),
            "{text}"
        );
        assert!(lines[2].ends_with("  plain"), "{text}");

        // Widths and cuts count the escaped form: 40 newlines are 80 characters.
        let tasks = [task("t1", &format!("a{}b", "\n".repeat(40)))];
        let mut out = Vec::new();
        table(&mut out, &tasks, now, Tz::UTC, Some(80)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert_eq!(row.chars().count(), 80, "{text}");
        assert!(row.contains(r"a\n\n") && row.ends_with('…'), "{text}");
    }

    #[test]
    fn narrow_terminals_drop_intent_then_run_at() {
        let task = Task {
            id: "task_20260408_163500_0a3kz9x2m1qp".into(),
            run_at: Timestamp::parse("2026-04-08T18:45:00Z").unwrap(),
            context: crate::task::Context {
                summary: "Re-run the failing ingest job and compare row counts".into(),
                ..Default::default()
            },
            ..Task::blank()
        };
        let now = at("2026-04-08T16:40:00Z");
        let render = |width| {
            let mut out = Vec::new();
            table(
                &mut out,
                std::slice::from_ref(&task),
                now,
                Tz::UTC,
                Some(width),
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let wide = render(160);
        assert!(wide.contains("INTENT") && wide.contains("RUN AT"), "{wide}");
        let medium = render(110);
        assert!(
            !medium.contains("INTENT") && medium.contains("RUN AT"),
            "{medium}"
        );
        let narrow = render(80);
        assert!(
            !narrow.contains("RUN AT") && narrow.contains("WHEN"),
            "{narrow}"
        );
        assert!(narrow.contains("in 2h 5m"), "{narrow}");
        for line in narrow.lines() {
            assert!(line.chars().count() <= 80, "{narrow}");
        }
    }

    #[test]
    fn without_a_width_every_column_and_the_whole_summary_are_shown() {
        let summary = "Re-run the failing ingest job and compare row counts, then write it up";
        let task = Task {
            id: "task_20260408_163500_0a3kz9x2m1qp".into(),
            run_at: Timestamp::parse("2026-04-08T18:45:00Z").unwrap(),
            context: crate::task::Context {
                summary: format!("{summary}\nsecond line"),
                ..Default::default()
            },
            ..Task::blank()
        };
        let mut out = Vec::new();
        let now = at("2026-04-08T16:40:00Z");
        table(&mut out, &[task], now, Tz::UTC, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("RUN AT") && lines[0].contains("INTENT"),
            "{text}"
        );
        assert!(lines[1].contains("2026-04-08 18:45 UTC"), "{text}");
        assert!(
            lines[1].ends_with(&format!("{summary}\\nsecond line")),
            "{text}"
        );
    }
}
