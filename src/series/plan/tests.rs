use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn err(req: SeriesRequest) -> String {
    plan(&req, now(), Tz::UTC, 600).unwrap_err().to_string()
}

#[test]
fn first_fire_per_form() {
    let every = SeriesRequest {
        every: Some("1h".into()),
        ..Default::default()
    };
    assert_eq!(
        plan(&every, now(), Tz::UTC, 600).unwrap().first,
        Some(now() + chrono::TimeDelta::hours(1))
    );
    let cron = SeriesRequest {
        cron: Some("0 9 * * *".into()),
        ..Default::default()
    };
    let first = plan(&cron, now(), Tz::UTC, 600).unwrap().first.unwrap();
    assert_eq!(first, Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap());
    let one_shot = SeriesRequest::default();
    assert_eq!(plan(&one_shot, now(), Tz::UTC, 600).unwrap().first, None);
}

#[test]
fn bad_combinations_name_the_value() {
    let both = SeriesRequest {
        every: Some("1h".into()),
        cron: Some("@daily".into()),
        ..Default::default()
    };
    assert!(err(both).starts_with("invalid --cron '@daily': --every '1h' was given too"));
    let short = SeriesRequest {
        every: Some("30s".into()),
        ..Default::default()
    };
    assert!(err(short).starts_with("invalid --every '30s' (shorter than 1m"));
    let field = SeriesRequest {
        cron: Some("61 * * * *".into()),
        ..Default::default()
    };
    assert_eq!(
        err(field),
        "invalid --cron '61 * * * *': minute 61 is out of range 0-59"
    );
    let zero = SeriesRequest {
        every: Some("1h".into()),
        count: Some(0),
        ..Default::default()
    };
    assert_eq!(
        err(zero),
        "invalid --count '0' (accepted: a whole number, 1 or more)"
    );
    let all = SeriesRequest {
        missed: Some(MissedPolicy::All),
        ..Default::default()
    };
    assert!(
        err(all).starts_with("invalid --missed 'all' for a one-shot task (accepted: run, skip;")
    );
    let run = SeriesRequest {
        every: Some("1h".into()),
        missed: Some(MissedPolicy::Run),
        ..Default::default()
    };
    assert!(err(run).contains("(accepted: run-once, skip, all)"));
    let until = SeriesRequest {
        until: Some("2h".into()),
        ..Default::default()
    };
    assert!(err(until).starts_with("invalid --until '2h': only a recurring task"));
    let grace = SeriesRequest {
        grace: Some("soon".into()),
        ..Default::default()
    };
    assert!(err(grace).starts_with("invalid --grace 'soon'"));
}

#[test]
fn series_fields_and_defaults() {
    let req = SeriesRequest {
        every: Some("1h".into()),
        until: Some("2026-12-02T00:00:00Z".into()),
        count: Some(3),
        ..Default::default()
    };
    let plan = plan(&req, now(), "Europe/Berlin".parse().unwrap(), 900).unwrap();
    let mut task = Task {
        id: "s1".into(),
        run_at: now().into(),
        ..Task::blank()
    };
    plan.apply(&mut task, req.until.as_deref()).unwrap();
    let series = task.series.unwrap();
    assert_eq!(
        (series.id.as_str(), series.occurrence, series.count),
        ("s1", 1, Some(3))
    );
    assert_eq!(series.timezone, "Europe/Berlin");
    assert_eq!(
        (series.missed, series.grace_seconds, series.pause_after),
        (MissedPolicy::RunOnce, 900, 5)
    );
    assert_eq!(series.until.unwrap().to_string(), "2026-12-02T00:00:00Z");
    assert!(task.missed.is_none() && task.grace_seconds.is_none());
}

#[test]
fn until_before_the_first_run_is_refused() {
    let req = SeriesRequest {
        every: Some("1h".into()),
        until: Some("30m".into()),
        ..Default::default()
    };
    let plan = plan(&req, now(), Tz::UTC, 600).unwrap();
    let mut task = Task {
        id: "s1".into(),
        run_at: plan.first.unwrap().into(),
        ..Task::blank()
    };
    let e = plan.apply(&mut task, Some("30m")).unwrap_err().to_string();
    assert!(e.starts_with("invalid --until '30m': 2026-12-01T10:30:00Z is before the first run at 2026-12-01T11:00:00Z"), "{e}");
}

#[test]
fn one_shot_policy_is_stored_only_when_given() {
    let req = SeriesRequest {
        missed: Some(MissedPolicy::Skip),
        grace: Some("5m".into()),
        ..Default::default()
    };
    let mut task = Task::blank();
    plan(&req, now(), Tz::UTC, 600)
        .unwrap()
        .apply(&mut task, None)
        .unwrap();
    assert_eq!(
        (task.missed, task.grace_seconds),
        (Some(MissedPolicy::Skip), Some(300))
    );
    assert!(task.series.is_none());
    assert_eq!(parse_grace("0s").unwrap(), 0);
    assert!(parse_grace("11 weeks").is_ok());
    assert!(parse_grace("5300w").is_err());
}
