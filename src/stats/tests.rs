use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map};

use super::*;
use crate::series::Series;
use crate::task::{MissedPolicy, ResultType, TaskResult};
use crate::timestamp::Timestamp;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn series(id: &str, cron: &str, occurrence: u32) -> Series {
    Series {
        id: id.into(),
        every: None,
        cron: Some(cron.into()),
        timezone: "UTC".into(),
        until: None,
        count: None,
        occurrence,
        missed: MissedPolicy::RunOnce,
        grace_seconds: 600,
        pause_after: 5,
        consecutive_failures: 0,
        next_id: None,
        extra: Map::new(),
    }
}

/// Occurrence `k` of a daily 09:00 series starting 2026-12-01, in `status`.
fn daily(id: &str, k: u32, status: Status) -> Task {
    let fire = t("2026-12-01T09:00:00Z") + Duration::days(i64::from(k) - 1);
    let mut task = Task {
        id: id.into(),
        run_at: Timestamp::new(fire),
        status,
        series: Some(series("s1", "0 9 * * *", k)),
        ..Task::blank()
    };
    match status {
        Status::Completed => {
            task.completed_at = Some(Timestamp::new(fire + Duration::minutes(2)));
            task.history = vec![serde_json::from_value(json!({
                "attempt": 1, "started_at": fire.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "finished_at": (fire + Duration::minutes(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "duration_ms": 120000, "exit_code": 0, "signal": null,
                "result": "executor_output", "error": null, "output_tail": "",
                "cost": {"usd": 0.5}
            }))
            .unwrap()];
        }
        Status::Missed => task.missed_at = Some(Timestamp::new(fire + Duration::hours(1))),
        _ => {}
    }
    task
}

const NOW: &str = "2026-12-07T12:00:00Z";
const SINCE: &str = "2026-11-30T12:00:00Z";

#[test]
fn a_daily_series_that_ran_every_day() {
    let tasks: Vec<Task> = (1..=7)
        .map(|k| daily(&format!("o{k}"), k, Status::Completed))
        .chain([daily("o8", 8, Status::Scheduled)])
        .collect();
    let rows = rows(&tasks, t(SINCE), t(NOW));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.series.as_deref(), Some("s1"));
    assert_eq!(row.schedule.as_deref(), Some("cron 0 9 * * *"));
    assert_eq!((row.expected, row.on_time, row.late), (7, 7, 0));
    assert_eq!(row.duplicates, 0);
    assert_eq!(row.cost_usd, Some(3.5));
    assert_eq!(row.median_duration_ms, Some(120000));
}

#[test]
fn a_forked_series_counts_duplicates() {
    let mut tasks: Vec<Task> = (1..=3)
        .map(|k| daily(&format!("o{k}"), k, Status::Completed))
        .collect();
    // The same occurrence linked twice: two tasks ran fire 2.
    tasks.push(daily("o2-again", 2, Status::Completed));
    let row = &rows(&tasks, t(SINCE), t(NOW))[0];
    assert_eq!(row.duplicates, 1);
    // An off-phase second chain: same numbers, other fires.
    let mut off = daily("o3-off", 3, Status::Completed);
    off.run_at = Timestamp::new(t("2026-12-03T09:30:00Z"));
    tasks.push(off);
    let row = &rows(&tasks, t(SINCE), t(NOW))[0];
    assert_eq!(row.duplicates, 2);
}

#[test]
fn missed_fires_by_reason_and_late_runs() {
    let mut late = daily("o1", 1, Status::Completed);
    late.late_by_seconds = Some(3600);
    let mut within_grace = daily("o2", 2, Status::Completed);
    within_grace.late_by_seconds = Some(30);
    let mut folded = daily("o4", 4, Status::Completed);
    folded.missed_fires = Some(2);
    let mut overlap = daily("o5", 5, Status::Missed);
    overlap.result = Some(TaskResult {
        kind: ResultType::Missed,
        prompt_path: String::new(),
        output: None,
        output_truncated: None,
        next_run_at: None,
        extra: [("reason".to_string(), json!("overlap"))]
            .into_iter()
            .collect(),
    });
    let skipped = daily("o6", 6, Status::Missed);
    let tasks = vec![
        late,
        within_grace,
        folded,
        overlap,
        skipped,
        daily("o7", 7, Status::Failed),
    ];
    let row = &rows(&tasks, t(SINCE), t(NOW))[0];
    assert_eq!(row.late, 1);
    assert_eq!(row.on_time, 2);
    assert_eq!(row.failed, 1);
    assert_eq!(
        row.missed,
        Missed {
            late: 3,
            overlap: 1,
            budget: 0,
            waiting: 0
        }
    );
}

#[test]
fn count_and_a_cancel_end_the_expected_fires() {
    let mut tasks: Vec<Task> = (1..=3)
        .map(|k| daily(&format!("o{k}"), k, Status::Completed))
        .collect();
    for task in &mut tasks {
        task.series.as_mut().unwrap().count = Some(3);
    }
    assert_eq!(rows(&tasks, t(SINCE), t(NOW))[0].expected, 3);
    let mut tasks: Vec<Task> = (1..=2)
        .map(|k| daily(&format!("o{k}"), k, Status::Completed))
        .collect();
    let mut cancelled = daily("o3", 3, Status::Cancelled);
    cancelled.cancelled_at = Some(Timestamp::new(t("2026-12-02T20:00:00Z")));
    tasks.push(cancelled);
    let row = &rows(&tasks, t(SINCE), t(NOW))[0];
    assert_eq!(row.expected, 2, "nothing expected after the cancel");
    assert_eq!(row.cancelled, 1);
}

#[test]
fn one_shot_tasks_share_a_row() {
    let due = |id: &str, at: &str, status: Status| Task {
        id: id.into(),
        run_at: Timestamp::new(t(at)),
        status,
        ..Task::blank()
    };
    let mut early_cancel = due("c", "2026-12-05T10:00:00Z", Status::Cancelled);
    early_cancel.cancelled_at = Some(Timestamp::new(t("2026-12-04T10:00:00Z")));
    let tasks = vec![
        due("a", "2026-12-02T10:00:00Z", Status::Completed),
        due("b", "2026-12-03T10:00:00Z", Status::Failed),
        early_cancel,
        due("old", "2026-11-01T10:00:00Z", Status::Completed),
        due("future", "2026-12-09T10:00:00Z", Status::Scheduled),
    ];
    let rows = rows(&tasks, t(SINCE), t(NOW));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.series, None);
    assert_eq!(
        (row.expected, row.on_time, row.failed, row.cancelled),
        (2, 1, 1, 1)
    );
}
