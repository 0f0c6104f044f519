use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn cron(expr: &str, zone: &str) -> Schedule {
    Schedule::from_parts(None, Some(expr), zone).unwrap()
}

fn fires(schedule: &Schedule, from: &str, n: usize) -> Vec<String> {
    schedule
        .preview(utc(from), n)
        .iter()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect()
}

#[test]
fn every_accepts_units_and_refuses_the_rest() {
    assert_eq!(parse_every("1m"), Ok(60));
    assert_eq!(parse_every("1h30m"), Ok(5_400));
    assert_eq!(parse_every("2 hours"), Ok(7_200));
    assert_eq!(parse_every("1d"), Ok(86_400));
    assert_eq!(parse_every("1W"), Ok(604_800));
    assert!(parse_every("30s").unwrap_err().contains("shorter than 1m"));
    assert!(parse_every("59s").is_err());
    assert!(parse_every("521w").is_ok());
    assert!(parse_every("522w")
        .unwrap_err()
        .contains("longer than 10 years"));
    assert!(parse_every("15250000000000w").is_err());
    for bad in [
        "",
        "1mo",
        "h",
        "5",
        "1 fortnight",
        "-1h",
        "99999999999999999999w",
    ] {
        assert!(parse_every(bad).is_err(), "{bad}");
    }
}

#[test]
fn cron_takes_five_fields_names_and_nicknames() {
    for good in [
        "0 9 * * 1-5",
        "*/15 * * * *",
        "0 9 * jan mon",
        "@hourly",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
    ] {
        assert!(parse_cron(good).is_ok(), "{good}");
    }
    let err = parse_cron("61 * * * *").unwrap_err();
    assert_eq!(err, "minute 61 is out of range 0-59");
    assert!(parse_cron("0 9 * * funday")
        .unwrap_err()
        .starts_with("day-of-week 'funday' is not a weekday"));
    assert!(parse_cron("0 0 9 * * *")
        .unwrap_err()
        .starts_with("6 fields, expected 5"));
    assert!(parse_cron("* * * *").is_err());
    assert!(parse_cron("@reboot").is_err());
    assert!(parse_cron("0 0 31 2 *")
        .unwrap_err()
        .contains("never fires"));
}

#[test]
fn cron_steps_in_its_zone() {
    let weekdays = cron("0 9 * * 1-5", "Europe/Berlin");
    // Friday 2026-12-04 10:00 UTC: next are Mon..Wed 09:00 CET (08:00 UTC).
    assert_eq!(
        fires(&weekdays, "2026-12-04T10:00:00Z", 3),
        [
            "2026-12-07T08:00:00Z",
            "2026-12-08T08:00:00Z",
            "2026-12-09T08:00:00Z"
        ]
    );
}

#[test]
fn spring_forward_fires_once_at_the_first_valid_instant() {
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT in New York.
    let s = cron("30 2 * * *", "America/New_York");
    // 02:30 does not exist on the 14th: 03:00 EDT (07:00 UTC), then 02:30 EDT.
    assert_eq!(
        fires(&s, "2027-03-13T12:00:00Z", 3),
        [
            "2027-03-14T07:00:00Z",
            "2027-03-15T06:30:00Z",
            "2027-03-16T06:30:00Z"
        ]
    );
}

#[test]
fn fall_back_fixed_time_fires_once_stepping_fields_twice() {
    // 2027-11-07: 02:00 EDT falls back to 01:00 EST in New York.
    let fixed = cron("30 1 * * *", "America/New_York");
    assert_eq!(
        fires(&fixed, "2027-11-06T12:00:00Z", 2),
        ["2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"]
    );
    let stepping = cron("*/30 1 * * *", "America/New_York");
    assert_eq!(
        fires(&stepping, "2027-11-07T04:00:00Z", 5),
        [
            "2027-11-07T05:00:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-07T06:00:00Z",
            "2027-11-07T06:30:00Z",
            "2027-11-08T06:00:00Z"
        ]
    );
}

#[test]
fn every_counts_whole_intervals_from_its_anchor() {
    let hourly = Schedule::from_parts(Some("1h"), None, "UTC").unwrap();
    let anchor = utc("2026-12-01T10:00:00Z");
    assert_eq!(
        hourly.next_after(anchor, anchor),
        Some(utc("2026-12-01T11:00:00Z"))
    );
    assert_eq!(
        hourly.next_after(anchor, utc("2026-12-01T13:12:00Z")),
        Some(utc("2026-12-01T14:00:00Z"))
    );
    assert_eq!(hourly.first(anchor), Some(utc("2026-12-01T11:00:00Z")));
}

#[test]
fn window_counts_and_keeps_the_latest_hundred() {
    let hourly = Schedule::from_parts(Some("1h"), None, "UTC").unwrap();
    let anchor = utc("2026-12-01T10:00:00Z");
    let w = hourly.window(anchor, utc("2026-12-01T13:12:00Z"));
    assert_eq!(w.count, 3);
    assert_eq!(
        w.recent,
        [
            utc("2026-12-01T11:00:00Z"),
            utc("2026-12-01T12:00:00Z"),
            utc("2026-12-01T13:00:00Z")
        ]
    );
    let long = hourly.window(anchor, anchor + TimeDelta::hours(150));
    assert_eq!(long.count, 150);
    assert_eq!(long.recent.len(), MAX_CATCH_UP);
    assert_eq!(long.recent.front(), Some(&(anchor + TimeDelta::hours(51))));
    let by_cron = cron("0 * * * *", "UTC").window(anchor, anchor + TimeDelta::hours(150));
    assert_eq!(by_cron, long);
    assert_eq!(hourly.window(anchor, anchor), Window::default());
}

#[test]
fn a_long_cron_window_stops_counting_but_keeps_the_latest_fires() {
    let minutely = cron("* * * * *", "UTC");
    let end = utc("2026-12-01T10:00:30Z");
    let w = minutely.window(end - TimeDelta::days(80), end);
    assert_eq!(w.count, MAX_COUNTED);
    assert_eq!(w.recent.len(), MAX_CATCH_UP);
    assert_eq!(w.recent.back(), Some(&utc("2026-12-01T10:00:00Z")));
    assert_eq!(w.recent.front(), Some(&utc("2026-12-01T08:21:00Z")));
}
