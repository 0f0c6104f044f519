//! `stats --format table`: one aligned line per row, numbers right-aligned, for people.

use std::io::Write;

use anyhow::Result;

use super::Row;
use crate::text;

const HEADERS: [&str; 10] = [
    "SERIES",
    "SCHEDULE",
    "EXPECTED",
    "ON TIME",
    "LATE",
    "MISSED",
    "FAILED",
    "DUPLICATES",
    "COST",
    "MEDIAN",
];

/// Writes `rows` as a table; the first two columns left-aligned, the rest right.
pub fn write<W: Write>(out: &mut W, rows: &[Row]) -> Result<()> {
    if rows.is_empty() {
        writeln!(out, "no tasks in the window")?;
        return Ok(());
    }
    let mut cells = vec![HEADERS.map(String::from)];
    cells.extend(rows.iter().map(cells_of));
    let mut widths = [0usize; 10];
    for line in &cells {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for line in &cells {
        let mut text = String::new();
        for (i, (cell, w)) in line.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            match i {
                0 | 1 => text.push_str(&format!("{cell}{}", " ".repeat(pad))),
                _ => text.push_str(&format!("{}{cell}", " ".repeat(pad))),
            }
            if i + 1 < line.len() {
                text.push_str("  ");
            }
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

fn cells_of(row: &Row) -> [String; 10] {
    let missed = match row.missed.total() {
        0 => "0".to_string(),
        n => {
            let parts: Vec<String> = [
                ("late", row.missed.late),
                ("overlap", row.missed.overlap),
                ("budget", row.missed.budget),
                ("waiting", row.missed.waiting),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
            format!("{n} ({})", parts.join(", "))
        }
    };
    [
        row.series.clone().unwrap_or_else(|| "(one-shot)".into()),
        row.schedule.clone().unwrap_or_else(|| "-".into()),
        row.expected.to_string(),
        row.on_time.to_string(),
        row.late.to_string(),
        missed,
        row.failed.to_string(),
        row.duplicates.to_string(),
        row.cost_usd.map_or("-".into(), |c| format!("${c:.2}")),
        row.median_duration_ms
            .map_or("-".into(), |ms| crate::when::span(ms.div_ceil(1000))),
    ]
    .map(|cell| text::escape_control(&cell).into_owned())
}
