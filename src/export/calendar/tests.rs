use super::*;

use std::process::Command;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

/// An interval as `defer schedule --every` reads it.
fn secs(every: &str) -> u64 {
    crate::series::recurrence::parse_every(every).unwrap()
}

const NOW: &str = "2026-12-04T12:00:00Z";

#[test]
fn cron_fields_names_macros_ranges_steps_lists() {
    let berlin = tz("Europe/Berlin");
    let now = at(NOW);
    let cases = [
        ("0 9 * * 1-5", "Mon..Fri *-*-* 09:00:00 Europe/Berlin"),
        ("0 9 * * mon-fri", "Mon..Fri *-*-* 09:00:00 Europe/Berlin"),
        ("30 8 1 jan,jul *", "*-01,07-01 08:30:00 Europe/Berlin"),
        (
            "0 0 1 jan,apr,jul,oct *",
            "*-01/3-01 00:00:00 Europe/Berlin",
        ),
        ("0 9,17 * * *", "*-*-* 09,17:00:00 Europe/Berlin"),
        (
            "30 8 1 jan,mar,apr *",
            "*-01,03,04-01 08:30:00 Europe/Berlin",
        ),
        ("0 0 * * 7", "Sun *-*-* 00:00:00 Europe/Berlin"),
        ("0 0 * * 0,6", "Sun,Sat *-*-* 00:00:00 Europe/Berlin"),
        ("5-10 12 * * *", "*-*-* 12:05..10:00 Europe/Berlin"),
        ("10/20 12 */10 * *", "*-*-01/10 12:10/20:00 Europe/Berlin"),
        ("@daily", "*-*-* 00:00:00 Europe/Berlin"),
        ("@weekly", "Sun *-*-* 00:00:00 Europe/Berlin"),
        ("@monthly", "*-*-01 00:00:00 Europe/Berlin"),
        ("@yearly", "*-01-01 00:00:00 Europe/Berlin"),
        ("0 12 ? * 3", "Wed *-*-* 12:00:00 Europe/Berlin"),
    ];
    for (expr, want) in cases {
        let got = cron_on_calendar(expr, berlin, now);
        assert_eq!(got, Ok(vec![want.to_string()]), "{expr}");
    }
}

#[test]
fn both_day_fields_restricted_become_two_lines() {
    let got = cron_on_calendar("0 9 1,15 * mon", tz("UTC"), at(NOW)).unwrap();
    assert_eq!(got, ["*-*-01,15 09:00:00 UTC", "Mon *-*-* 09:00:00 UTC"]);
    // `*/2` is a restriction for croner (only a bare `*` is not): still two lines.
    assert_eq!(
        cron_on_calendar("0 9 */2 * 1", tz("UTC"), at(NOW))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        cron_schedule("0 9 */2 * 1", tz("UTC"), at(NOW)).unwrap().0,
        "0 9 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1"
    );
}

#[test]
fn croner_extensions_and_bad_fields_are_refused_naming_the_field() {
    for (expr, field) in [
        ("0 9 L * *", "day-of-month field 'L'"),
        ("0 9 * * 5#2", "day-of-week field '5#2'"),
        ("0 9 15W * *", "day-of-month field '15W'"),
        ("0 9 * * +1", "day-of-week field '+1'"),
        ("61 * * * *", "minute field '61'"),
    ] {
        let err = cron_on_calendar(expr, tz("UTC"), at(NOW)).unwrap_err();
        assert!(err.contains(field), "{expr}: {err}");
        assert!(!err.contains('\n'));
    }
    assert!(parse_cron("* * * *").unwrap_err().contains("4 fields"));
    assert!(parse_cron("@reboot").unwrap_err().contains("@reboot"));
}

#[test]
fn clock_change_hours_are_refused_or_written_in_utc() {
    let now = at(NOW);
    let err = cron_on_calendar("30 2 * * *", tz("America/New_York"), now).unwrap_err();
    assert!(
        err.contains("02:00") && err.contains("America/New_York"),
        "{err}"
    );
    let err = cron_schedule("0 1 * * *", tz("America/New_York"), now).unwrap_err();
    assert!(err.contains("01:00"), "{err}");
    // Outside the changed hours the zone stays.
    assert_eq!(
        cron_on_calendar("0 9 * * 1-5", tz("America/New_York"), now).unwrap(),
        ["Mon..Fri *-*-* 09:00:00 America/New_York"]
    );
    // A minute pattern every hour of every day: UTC, when the offsets are whole hours.
    assert_eq!(
        cron_on_calendar("*/15 * * * *", tz("Europe/Berlin"), now).unwrap(),
        ["*-*-* *:00/15:00 UTC"]
    );
    assert_eq!(
        cron_schedule("@hourly", tz("Europe/Berlin"), now).unwrap(),
        ("0 * * * *".to_string(), "Etc/UTC".to_string())
    );
    // A fixed-time one (hours written as a range) fires a repeated hour once, which
    // UTC cannot say: refused like any fixed time in a changed hour.
    let err = cron_on_calendar("0 0-23 * * *", tz("Europe/Berlin"), now).unwrap_err();
    assert!(
        err.contains("02:00") && err.contains("Europe/Berlin"),
        "{err}"
    );
    assert!(cron_schedule("0,30 0-23 * * *", tz("Europe/Berlin"), now).is_err());
    // Lord Howe's clocks move by 30 minutes: no UTC rewrite there.
    assert!(cron_on_calendar("0 * * * *", tz("Australia/Lord_Howe"), now).is_err());
    // A zone without changes keeps any hour.
    assert_eq!(
        cron_on_calendar("30 2 * * *", tz("Asia/Tokyo"), now).unwrap(),
        ["*-*-* 02:30:00 Asia/Tokyo"]
    );
}

#[test]
fn intervals_that_divide_an_hour_day_or_week() {
    let on = |every: &str, anchor: &str| every_on_calendar(every, secs(every), at(anchor));
    assert_eq!(
        on("15m", "2026-12-04T10:07:00Z").unwrap(),
        ["*-*-* *:07/15:00 UTC"]
    );
    assert_eq!(
        on("1m", "2026-12-04T10:07:30Z").unwrap(),
        ["*-*-* *:*:30 UTC"]
    );
    assert_eq!(
        on("90s", "2026-12-04T10:00:00Z").unwrap(),
        ["*-*-* *:00/3:00 UTC", "*-*-* *:01/3:30 UTC"]
    );
    assert_eq!(
        on("2h", "2026-12-04T09:30:00Z").unwrap(),
        ["*-*-* 01/2:30:00 UTC"]
    );
    assert_eq!(
        on("90m", "2026-12-04T00:00:00Z").unwrap(),
        ["*-*-* 00/3:00:00 UTC", "*-*-* 01/3:30:00 UTC"]
    );
    assert_eq!(
        on("1 day", "2026-12-04T09:00:00Z").unwrap(),
        ["*-*-* 09:00:00 UTC"]
    );
    assert_eq!(
        on("1w", "2026-12-04T09:00:00Z").unwrap(),
        ["Fri *-*-* 09:00:00 UTC"]
    );
    assert_eq!(
        on("3d12h", "2026-12-06T00:00:00Z").unwrap(),
        ["Sun *-*-* 00:00:00 UTC", "Wed *-*-* 12:00:00 UTC"]
    );
    for (every, why) in [
        ("11m", "divides no hour, day or week"),
        ("7m", "1440 OnCalendar= lines"),
        ("2d", "divides no hour, day or week"),
        ("128s", "OnCalendar= lines (at most 24)"),
    ] {
        let err = on(every, "2026-12-04T10:00:00Z").unwrap_err();
        assert!(err.contains(why), "{every}: {err}");
        assert!(!err.contains('\n'));
    }
}

#[test]
fn intervals_as_one_cron_schedule() {
    let sched = |every: &str, anchor: &str| every_schedule(every, secs(every), at(anchor));
    assert_eq!(
        sched("15m", "2026-12-04T10:07:00Z").unwrap(),
        "7,22,37,52 * * * *"
    );
    assert_eq!(sched("1m", "2026-12-04T10:07:00Z").unwrap(), "* * * * *");
    assert_eq!(
        sched("6h", "2026-12-04T03:05:00Z").unwrap(),
        "5 3,9,15,21 * * *"
    );
    assert_eq!(sched("1w", "2026-12-06T08:00:00Z").unwrap(), "0 8 * * 0");
    assert!(sched("90m", "2026-12-04T00:00:00Z")
        .unwrap_err()
        .contains("no single cron pattern"));
    assert!(sched("15m", "2026-12-04T10:07:23Z")
        .unwrap_err()
        .contains("second 23"));
}

// ---- The translations against the engines: croner (what defer fires) and systemd. ----

/// The fires defer itself computes for a cron series (croner, through the series code).
fn croner_fires(expr: &str, zone: Tz, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    crate::series::Schedule::from_parts(None, Some(expr), zone.name())
        .unwrap()
        .preview(after, n)
}

/// The next `n` elapses of a timer with these `OnCalendar=` lines, from
/// `systemd-analyze calendar`; `None` when this machine has no systemd-analyze.
fn systemd_fires(lines: &[String], after: DateTime<Utc>, n: usize) -> Option<Vec<DateTime<Utc>>> {
    let mut all = Vec::new();
    for line in lines {
        let out = Command::new("systemd-analyze")
            .env("TZ", "UTC")
            .arg("calendar")
            .arg(format!("--iterations={n}"))
            .arg(format!(
                "--base-time={}",
                after.format("%Y-%m-%d %H:%M:%S UTC")
            ))
            .arg(line)
            .output();
        let out = match out {
            Ok(out) => out,
            Err(_) => return None,
        };
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for text in String::from_utf8_lossy(&out.stdout).lines() {
            let Some((label, value)) = text.split_once(": ") else {
                continue;
            };
            if label.trim() == "Next elapse" || label.trim().starts_with("Iter. #") {
                // `Mon 2026-12-07 08:00:00 UTC`
                let value = value.trim();
                let value = value.split_once(' ').unwrap().1.trim_end_matches(" UTC");
                let naive =
                    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S").unwrap();
                all.push(naive.and_utc());
            }
        }
    }
    all.sort();
    all.dedup();
    all.truncate(n);
    Some(all)
}

fn have_systemd_analyze() -> bool {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("skipped: systemd-analyze is not on PATH (install the 'systemd' package)");
    }
    found
}

#[test]
fn cron_timers_fire_when_croner_does() {
    if !have_systemd_analyze() {
        return;
    }
    let cases = [
        ("0 9 * * 1-5", "Europe/Berlin", "2026-12-04T12:00:00Z"),
        ("*/15 * * * *", "Europe/Berlin", "2027-03-28T00:20:00Z"), // across spring-forward
        ("*/15 * * * *", "Europe/Berlin", "2026-10-25T00:20:00Z"), // across fall-back
        ("0 * * * *", "America/New_York", "2026-11-01T04:30:00Z"),
        ("0 9 1,15 * mon", "UTC", "2026-12-04T12:00:00Z"),
        ("30 8 */10 jan,jul *", "Asia/Tokyo", "2026-12-04T12:00:00Z"),
        ("0 12 * * 5", "America/New_York", "2027-03-10T00:00:00Z"),
        ("45 23 28-31 2 *", "UTC", "2026-12-04T12:00:00Z"),
        ("@monthly", "Australia/Sydney", "2026-12-04T12:00:00Z"),
        ("@weekly", "UTC", "2026-12-04T12:00:00Z"),
        ("5-10/5 6 * * sun", "Europe/London", "2026-12-04T12:00:00Z"),
    ];
    for (expr, zone, base) in cases {
        let (zone, base) = (tz(zone), at(base));
        let lines = cron_on_calendar(expr, zone, base).unwrap();
        let want = croner_fires(expr, zone, base, 12);
        let got = systemd_fires(&lines, base, 12).unwrap();
        assert_eq!(got, want, "{expr} in {} as {lines:?}", zone.name());
    }
}

#[test]
fn interval_timers_fire_every_interval_from_the_anchor() {
    if !have_systemd_analyze() {
        return;
    }
    for (every, anchor) in [
        ("15m", "2026-12-04T10:07:00Z"),
        ("90s", "2026-12-04T10:00:30Z"),
        ("90m", "2026-12-04T00:10:00Z"),
        ("2h", "2026-12-04T09:30:05Z"),
        ("1d", "2026-12-04T09:00:00Z"),
        ("1w", "2026-12-04T09:00:00Z"),
        ("3d12h", "2026-12-06T00:00:00Z"),
    ] {
        let anchor = at(anchor);
        let seconds = secs(every) as i64;
        let want: Vec<_> = (1..=10)
            .map(|k| anchor + TimeDelta::seconds(k * seconds))
            .collect();
        let lines = every_on_calendar(every, secs(every), anchor).unwrap();
        let got = systemd_fires(&lines, anchor, 10).unwrap();
        assert_eq!(got, want, "{every} as {lines:?}");
    }
}

#[test]
fn cronjob_schedules_fire_when_the_series_does() {
    // The normalized schedule, read back by croner in its zone, fires at the same
    // instants as the series' own expression (or its interval).
    let base = at("2026-12-04T12:00:00Z");
    for (expr, zone) in [
        ("0 9 * * mon-fri", "Europe/Berlin"),
        ("*/7 10-12 */3 * *", "Asia/Tokyo"),
        ("0 9 */2 * 1", "UTC"),
        ("@hourly", "Europe/Berlin"),
        ("0 0 1 jan,jul *", "America/New_York"),
    ] {
        let (schedule, zone_name) = cron_schedule(expr, tz(zone), base).unwrap();
        let got = croner_fires(&schedule, tz(&zone_name), base, 30);
        assert_eq!(
            got,
            croner_fires(expr, tz(zone), base, 30),
            "{expr} as {schedule}"
        );
    }
    for (every, anchor) in [
        ("15m", "2026-12-04T10:07:00Z"),
        ("6h", "2026-12-04T03:05:00Z"),
    ] {
        let anchor = at(anchor);
        let seconds = secs(every) as i64;
        let want: Vec<_> = (1..=20)
            .map(|k| anchor + TimeDelta::seconds(k * seconds))
            .collect();
        let schedule = every_schedule(every, secs(every), anchor).unwrap();
        assert_eq!(
            croner_fires(&schedule, Tz::UTC, anchor, 20),
            want,
            "{every}"
        );
    }
}

#[test]
fn fires_at_agrees_with_croner() {
    let base = at("2026-12-04T12:00:00Z");
    for (expr, zone) in [
        ("0 9 * * 1-5", "Europe/Berlin"),
        ("0 9 1,15 * mon", "UTC"),
        ("*/20 6-8 * jan,dec *", "Asia/Tokyo"),
    ] {
        let cron = parse_cron(expr).unwrap();
        for fire in croner_fires(expr, tz(zone), base, 20) {
            assert!(cron.fires_at(fire, tz(zone)), "{expr}: {fire}");
            assert!(
                !cron.fires_at(fire + TimeDelta::minutes(1), tz(zone)),
                "{expr}: {fire}+1m"
            );
            assert!(!cron.fires_at(fire + TimeDelta::seconds(30), tz(zone)));
        }
    }
}
