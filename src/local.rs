//! A task's run time as people and models read it (SPEC §21): in the task's zone, with
//! its offset, and relative to now. Pure: `now` and the default zone are parameters.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::task::Task;
use crate::when;

/// The zone a task is read in: its series' zone (the one its schedule steps in), else
/// `default` (`DEFER_TIMEZONE`). A stored zone name that no longer parses falls back to
/// `default`.
pub fn zone(task: &Task, default: Tz) -> Tz {
    task.series
        .as_ref()
        .and_then(|series| series.timezone.parse::<Tz>().ok())
        .unwrap_or(default)
}

/// RFC 3339 with the zone's offset: `2026-12-07T09:00:00-05:00`.
pub fn rfc3339(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// What a model gets beside `run_at`: `run_at_local` and `due_in` (`in 1d 8h`, `3m ago`).
pub fn fields(task: &Task, now: DateTime<Utc>, default: Tz) -> (String, String) {
    let at = task.run_at.at();
    (rfc3339(at, zone(task, default)), when::relative(now, at))
}

/// The line `schedule` adds on a terminal: `scheduled <id> for Mon 7 Dec 09:00 EST (in
/// 1d 8h)`. The id is escaped (it is checked on schedule, but the line is a terminal's).
pub fn scheduled_line(task: &Task, now: DateTime<Utc>, default: Tz) -> String {
    let at = task.run_at.at();
    let local = at
        .with_timezone(&zone(task, default))
        .format("%a %-d %b %H:%M %Z");
    format!(
        "scheduled {} for {local} ({})",
        crate::text::escape_control(&task.id),
        when::relative(now, at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn at(text: &str) -> DateTime<Utc> {
        Timestamp::parse(text).unwrap().at()
    }

    fn task(run_at: &str) -> Task {
        Task {
            id: "t1".into(),
            run_at: Timestamp::parse(run_at).unwrap(),
            ..Task::blank()
        }
    }

    #[test]
    fn local_fields_use_the_default_zone_for_a_one_shot_task() {
        let now = at("2026-12-06T00:30:00Z");
        let (local, due) = fields(&task("2026-12-07T14:00:00Z"), now, Tz::America__New_York);
        assert_eq!(local, "2026-12-07T09:00:00-05:00");
        assert_eq!(due, "in 1d 13h");
        let (local, due) = fields(&task("2026-12-06T00:27:00Z"), now, Tz::UTC);
        assert_eq!(local, "2026-12-06T00:27:00+00:00");
        assert_eq!(due, "3m ago");
    }

    #[test]
    fn a_series_is_read_in_its_own_zone() {
        let mut t = task("2026-07-01T07:00:00Z");
        t.series = Some(crate::series::Series {
            id: "s".into(),
            every: None,
            cron: Some("0 9 * * *".into()),
            timezone: "Europe/Berlin".into(),
            until: None,
            count: None,
            occurrence: 1,
            missed: crate::task::MissedPolicy::RunOnce,
            grace_seconds: 600,
            pause_after: 5,
            consecutive_failures: 0,
            next_id: None,
            extra: Default::default(),
        });
        let now = at("2026-07-01T06:00:00Z");
        assert_eq!(
            fields(&t, now, Tz::Asia__Tokyo).0,
            "2026-07-01T09:00:00+02:00"
        );
        t.series.as_mut().unwrap().timezone = "Mars/Base".into();
        assert_eq!(fields(&t, now, Tz::UTC).0, "2026-07-01T07:00:00+00:00");
    }

    #[test]
    fn the_terminal_line_names_day_time_zone_and_distance() {
        let now = at("2026-12-06T00:30:00Z");
        let line = scheduled_line(&task("2026-12-07T14:00:00Z"), now, Tz::America__New_York);
        assert_eq!(line, "scheduled t1 for Mon 7 Dec 09:00 EST (in 1d 13h)");
    }
}
