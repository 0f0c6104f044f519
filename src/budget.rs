//! `schedule --budget <usd>` (SPEC §22): a series' reported cost over the previous 24
//! hours — the `cost.usd` of its occurrences' history entries, from the active store and
//! the archives of the months that window touches — against its budget.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::config::Paths;
use crate::store::Locked;
use crate::task::Task;

/// The window a budget covers.
pub const WINDOW: Duration = Duration::hours(24);
/// The largest budget accepted, in USD.
pub const MAX_USD: f64 = 1_000_000.0;

/// `--budget`: a positive amount of US dollars (`5`, `0.50`), at most [`MAX_USD`].
pub fn parse(text: &str) -> Result<f64, String> {
    let trimmed = text.trim().trim_start_matches('$');
    match trimmed.parse::<f64>() {
        Ok(usd) if usd.is_finite() && usd > 0.0 && usd <= MAX_USD => Ok(usd),
        _ => Err(format!(
            "accepted: an amount of US dollars above 0 and at most {MAX_USD:.0}, e.g. 5 or 0.50"
        )),
    }
}

/// The cost the attempts of series `series` reported, for attempts that finished in
/// `(now - WINDOW, now]`; each task counted once (its latest record).
pub fn spent<'a>(
    tasks: impl IntoIterator<Item = &'a Task>,
    series: &str,
    now: DateTime<Utc>,
) -> f64 {
    let since = now - WINDOW;
    tasks
        .into_iter()
        .filter(|t| t.series.as_ref().is_some_and(|s| s.id == series))
        .flat_map(|t| &t.history)
        .filter(|a| a.finished_at.at() > since && a.finished_at.at() <= now)
        .filter_map(|a| a.extra.get("cost")?.get("usd")?.as_f64())
        .filter(|usd| usd.is_finite() && *usd >= 0.0)
        .sum()
}

/// [`spent`] over the store `locked` holds and the archives of the months the window
/// touches (one `memchr` pass each for the series id).
pub fn spent_stored<M>(
    locked: &Locked<M>,
    paths: &Paths,
    series: &str,
    now: DateTime<Utc>,
) -> Result<f64> {
    let needle = serde_json::to_string(series)?.into_bytes();
    let mut latest: HashMap<String, Task> = HashMap::new();
    let mut months = vec![(now - WINDOW).format("%Y%m").to_string()];
    months.push(now.format("%Y%m").to_string());
    months.dedup();
    for month in months {
        let file = paths.archive_file(&month);
        if file.is_file() {
            crate::lookup::each_record_mentioning(&file, &needle, |task| {
                latest.insert(task.id.clone(), task);
            })?;
        }
    }
    // The active store's records are newer than any archived line of the same id.
    locked.records_mentioning(&needle, |task| {
        latest.insert(task.id.clone(), task);
    })?;
    Ok(spent(latest.values(), series, now))
}

/// What is left of `budget` after `spent`, never below 0, as `DEFER_BUDGET_USD` gives it
/// (at most 6 decimals, no trailing zeros).
pub fn left(budget: f64, spent: f64) -> String {
    let left = (budget - spent).max(0.0);
    let text = format!("{left:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, 0, 0).unwrap()
    }

    fn occurrence(id: &str, series: &str, costs: &[(DateTime<Utc>, f64)]) -> Task {
        let mut task: Task = serde_json::from_value(json!({
            "id": id, "created_at": "2026-12-01T00:00:00Z", "run_at": "2026-12-01T00:00:00Z",
            "context": {"summary": "s"}, "status": "completed",
            "execution": {"mode": "fresh", "prompt_template": "", "aura_level": "low"},
            "series": {"id": series, "every": "1h", "timezone": "UTC", "occurrence": 1, "missed": "run-once", "grace_seconds": 600},
        }))
        .unwrap();
        for (finished, usd) in costs {
            task.history.push(
                serde_json::from_value(json!({
                    "attempt": 1, "started_at": null, "finished_at": crate::timestamp::Timestamp::new(*finished).to_string(),
                    "duration_ms": null, "exit_code": 0, "signal": null, "result": "executor_output",
                    "error": null, "output_tail": "", "cost": {"usd": usd},
                }))
                .unwrap(),
            );
        }
        task
    }

    #[test]
    fn only_the_series_last_24_hours_count() {
        let now = at(12);
        let tasks = [
            occurrence("a", "s1", &[(at(11), 0.5), (now - WINDOW, 9.0)]),
            occurrence("b", "s1", &[(at(1), 0.25)]),
            occurrence("c", "other", &[(at(11), 7.0)]),
        ];
        assert_eq!(spent(&tasks, "s1", now), 0.75);
        assert_eq!(left(1.0, 0.75), "0.25");
        assert_eq!(left(1.0, 2.0), "0");
        assert_eq!(left(5.0, 0.0), "5");
    }

    #[test]
    fn budgets_are_positive_dollars() {
        assert_eq!(parse("5"), Ok(5.0));
        assert_eq!(parse("$0.50"), Ok(0.5));
        for bad in ["0", "-1", "NaN", "inf", "five", "", "2000000"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
