use super::*;
use crate::series::recurrence::parse_cron;
use crate::series::Schedule;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// The fires of `expr` in `zone` in (from, to], as `YYYY-MM-DDTHH:MMZ`, each with the
/// number of scheduled fires it stands for when that is more than 1 (`...Z x2`).
fn fires(expr: &str, zone: &str, from: &str, to: &str) -> Vec<String> {
    let schedule = Schedule::from_parts(None, Some(expr), zone).unwrap();
    let (mut at, end) = (utc(from), utc(to));
    let mut out = Vec::new();
    while let Some(next) = schedule.next_after(at, at).filter(|n| *n <= end) {
        out.push(match schedule.fires_at(next) {
            1 => stamp(next),
            n => format!("{} x{n}", stamp(next)),
        });
        at = next;
    }
    out
}

/// What croner alone gives (its own DST rule), for the contrast the docs state.
fn croner_fires(expr: &str, zone: &str, from: &str, to: &str) -> Vec<String> {
    let cron = parse_cron(expr).unwrap();
    let tz: Tz = zone.parse().unwrap();
    let mut at = utc(from).with_timezone(&tz);
    let mut out = Vec::new();
    while let Ok(next) = cron.find_next_occurrence(&at, false) {
        if next.with_timezone(&Utc) > utc(to) {
            break;
        }
        out.push(stamp(next.with_timezone(&Utc)));
        at = next;
    }
    out
}

#[test]
fn fixed_time_is_minute_and_hour_without_a_leading_star() {
    for fixed in [
        "30 1 * * *",
        "0 1,13 * * *",
        "0,30 2 * * *",
        "0-59 0-23 * * *",
        "5 2-4 * * 1-5",
        "@daily",
        "@weekly",
        "@yearly",
    ] {
        assert_eq!(kind_of(fixed), CronKind::FixedTime, "{fixed}");
    }
    for wildcard in [
        "15 * * * *",
        "*/30 2 * * *",
        "0 */2 * * *",
        "* 2 * * *",
        "@hourly",
        "@HOURLY",
    ] {
        assert_eq!(kind_of(wildcard), CronKind::Wildcard, "{wildcard}");
    }
    // croner's own pattern text (what a Schedule holds) reads the same way.
    assert_eq!(
        kind_of(parse_cron("@hourly").unwrap().as_str()),
        CronKind::Wildcard
    );
    assert_eq!(
        kind_of(parse_cron("@daily").unwrap().as_str()),
        CronKind::FixedTime
    );
    assert_eq!(
        kind_of(parse_cron("0 1,13 * * mon").unwrap().as_str()),
        CronKind::FixedTime
    );
}

// America/New_York, 2027: spring forward on 03-14 at 02:00 EST (07:00Z) to 03:00 EDT;
// fall back on 11-07 at 02:00 EDT (06:00Z) to 01:00 EST, so 01:00-02:00 runs twice.
const NY: &str = "America/New_York";

#[test]
fn new_york_spring_forward() {
    let (from, to) = ("2027-03-13T00:00:00Z", "2027-03-15T12:00:00Z");
    // A fixed single: 02:30 does not exist on 03-14; it runs at 03:00 EDT.
    assert_eq!(
        fires("30 2 * * *", NY, from, to),
        [
            "2027-03-13T07:30Z",
            "2027-03-14T07:00Z",
            "2027-03-15T06:30Z"
        ]
    );
    // A fixed list: both gap times run once, at 03:00 EDT, standing for two fires.
    assert_eq!(
        fires("0,30 2 * * *", NY, from, to),
        [
            "2027-03-13T07:00Z",
            "2027-03-13T07:30Z",
            "2027-03-14T07:00Z x2",
            "2027-03-15T06:00Z",
            "2027-03-15T06:30Z"
        ]
    );
    // croner loses the day (it treats the list as stepping through real time).
    assert_eq!(
        croner_fires("0,30 2 * * *", NY, from, to),
        [
            "2027-03-13T07:00Z",
            "2027-03-13T07:30Z",
            "2027-03-15T06:00Z",
            "2027-03-15T06:30Z"
        ]
    );
    // A fixed range into the hour after the gap: 02:00 and 03:00 collapse at 03:00.
    assert_eq!(
        fires(
            "0 2-3 * * *",
            NY,
            "2027-03-14T00:00:00Z",
            "2027-03-14T12:00:00Z"
        ),
        ["2027-03-14T07:00Z x2"]
    );
    // Wildcards follow real time: no 02:xx exists on 03-14.
    assert_eq!(
        fires("*/30 2 * * *", NY, from, to),
        [
            "2027-03-13T07:00Z",
            "2027-03-13T07:30Z",
            "2027-03-15T06:00Z",
            "2027-03-15T06:30Z"
        ]
    );
    assert_eq!(
        fires(
            "0 * * * *",
            NY,
            "2027-03-14T05:00:00Z",
            "2027-03-14T08:00:00Z"
        ),
        [
            "2027-03-14T06:00Z",
            "2027-03-14T07:00Z",
            "2027-03-14T08:00Z"
        ]
    );
}

#[test]
fn new_york_fall_back() {
    let (from, to) = ("2027-11-06T00:00:00Z", "2027-11-08T12:00:00Z");
    // The case: a fixed list runs 01:00 once, in the first pass (05:00Z).
    assert_eq!(
        fires("0 1,13 * * *", NY, from, to),
        [
            "2027-11-06T05:00Z",
            "2027-11-06T17:00Z",
            "2027-11-07T05:00Z",
            "2027-11-07T18:00Z",
            "2027-11-08T06:00Z"
        ]
    );
    // croner ran it in both passes.
    assert!(croner_fires("0 1,13 * * *", NY, from, to).contains(&"2027-11-07T06:00Z".into()));
    assert_eq!(
        fires("30 1 * * *", NY, from, to),
        [
            "2027-11-06T05:30Z",
            "2027-11-07T05:30Z",
            "2027-11-08T06:30Z"
        ]
    );
    // Wildcards run the repeated hour twice, in real-time order.
    assert_eq!(
        fires(
            "*/30 1 * * *",
            NY,
            "2027-11-07T00:00:00Z",
            "2027-11-07T12:00:00Z"
        ),
        [
            "2027-11-07T05:00Z",
            "2027-11-07T05:30Z",
            "2027-11-07T06:00Z",
            "2027-11-07T06:30Z"
        ]
    );
    assert_eq!(
        fires(
            "0 * * * *",
            NY,
            "2027-11-07T03:30:00Z",
            "2027-11-07T07:00:00Z"
        ),
        [
            "2027-11-07T04:00Z",
            "2027-11-07T05:00Z",
            "2027-11-07T06:00Z",
            "2027-11-07T07:00Z"
        ]
    );
}

#[test]
fn a_start_inside_the_second_pass_does_not_rerun_the_first() {
    // 01:15 EST (06:15Z) is in the second pass: 01:30 and 01:45 already ran at
    // 05:30Z and 05:45Z (EDT), so the next fire is tomorrow's 01:30.
    let schedule = Schedule::from_parts(None, Some("30,45 1 * * *"), NY).unwrap();
    let at = utc("2027-11-07T06:15:00Z");
    assert_eq!(
        schedule.next_after(at, at).map(stamp).unwrap(),
        "2027-11-08T06:30Z"
    );
    let cron = parse_cron("30,45 1 * * *").unwrap();
    let tz: Tz = NY.parse().unwrap();
    let latest: Vec<String> = latest_fixed(&cron, tz, at, 3)
        .into_iter()
        .map(stamp)
        .collect();
    assert_eq!(
        latest,
        [
            "2027-11-06T05:45Z",
            "2027-11-07T05:30Z",
            "2027-11-07T05:45Z"
        ]
    );
    // The latest fires before a gap's end collapse as the forward walk does.
    let cron = parse_cron("0,30 2 * * *").unwrap();
    let latest: Vec<String> = latest_fixed(&cron, tz, utc("2027-03-14T07:00:00Z"), 3)
        .into_iter()
        .map(stamp)
        .collect();
    assert_eq!(
        latest,
        [
            "2027-03-13T07:00Z",
            "2027-03-13T07:30Z",
            "2027-03-14T07:00Z"
        ]
    );
}

// Australia/Sydney, 2027 (southern hemisphere): DST ends on 04-04 at 03:00 AEDT
// (16:00Z on 04-03) back to 02:00 AEST; it starts on 10-03 at 02:00 AEST (16:00Z on
// 10-02) forward to 03:00 AEDT.
const SYDNEY: &str = "Australia/Sydney";

#[test]
fn sydney_both_changes() {
    assert_eq!(
        fires(
            "15,45 2 * * *",
            SYDNEY,
            "2027-04-02T12:00:00Z",
            "2027-04-04T12:00:00Z"
        ),
        [
            "2027-04-02T15:15Z",
            "2027-04-02T15:45Z",
            "2027-04-03T15:15Z",
            "2027-04-03T15:45Z"
        ]
    );
    assert_eq!(
        fires(
            "*/30 2 * * *",
            SYDNEY,
            "2027-04-03T12:00:00Z",
            "2027-04-03T20:00:00Z"
        ),
        [
            "2027-04-03T15:00Z",
            "2027-04-03T15:30Z",
            "2027-04-03T16:00Z",
            "2027-04-03T16:30Z"
        ]
    );
    assert_eq!(
        fires(
            "15,45 2 * * *",
            SYDNEY,
            "2027-10-01T12:00:00Z",
            "2027-10-03T18:00:00Z"
        ),
        [
            "2027-10-01T16:15Z",
            "2027-10-01T16:45Z",
            "2027-10-02T16:00Z x2",
            "2027-10-03T15:15Z",
            "2027-10-03T15:45Z"
        ]
    );
    assert_eq!(
        fires(
            "*/30 2 * * *",
            SYDNEY,
            "2027-10-02T12:00:00Z",
            "2027-10-02T20:00:00Z"
        ),
        Vec::<String>::new()
    );
}

// Europe/Berlin, 2027: 03-28 at 02:00 CET (01:00Z) forward to 03:00 CEST; 10-31 at
// 03:00 CEST (01:00Z) back to 02:00 CET.
const BERLIN: &str = "Europe/Berlin";

#[test]
fn berlin_both_changes() {
    assert_eq!(
        fires(
            "30 2 * * *",
            BERLIN,
            "2027-03-27T12:00:00Z",
            "2027-03-28T12:00:00Z"
        ),
        ["2027-03-28T01:00Z"]
    );
    assert_eq!(
        fires(
            "0 2-3 * * *",
            BERLIN,
            "2027-03-27T12:00:00Z",
            "2027-03-28T12:00:00Z"
        ),
        ["2027-03-28T01:00Z x2"]
    );
    assert_eq!(
        fires(
            "0 2-3 * * *",
            BERLIN,
            "2027-10-30T12:00:00Z",
            "2027-10-31T12:00:00Z"
        ),
        ["2027-10-31T00:00Z", "2027-10-31T02:00Z"]
    );
    assert_eq!(
        fires(
            "0 2-3 * * *",
            BERLIN,
            "2027-10-30T12:00:00Z",
            "2027-10-31T12:00:00Z"
        ),
        fires(
            "0 2,3 * * *",
            BERLIN,
            "2027-10-30T12:00:00Z",
            "2027-10-31T12:00:00Z"
        )
    );
    assert_eq!(
        fires(
            "0 2 * * *",
            BERLIN,
            "2027-10-30T12:00:00Z",
            "2027-10-31T12:00:00Z"
        ),
        ["2027-10-31T00:00Z"]
    );
    assert_eq!(
        fires(
            "0 * * * *",
            BERLIN,
            "2027-10-30T23:30:00Z",
            "2027-10-31T02:00:00Z"
        ),
        [
            "2027-10-31T00:00Z",
            "2027-10-31T01:00Z",
            "2027-10-31T02:00Z"
        ]
    );
}

#[test]
fn the_instant_of_a_wall_time() {
    let tz: Tz = NY.parse().unwrap();
    let wall = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(
        instant(tz, wall("2027-03-14 02:59:59")).map(stamp).unwrap(),
        "2027-03-14T07:00Z"
    );
    assert_eq!(
        instant(tz, wall("2027-11-07 01:59:00")).map(stamp).unwrap(),
        "2027-11-07T05:59Z"
    );
    assert_eq!(
        instant(tz, wall("2027-11-07 02:00:00")).map(stamp).unwrap(),
        "2027-11-07T07:00Z"
    );
    // Samoa skipped a whole day (2011-12-30) crossing the date line.
    let apia: Tz = "Pacific/Apia".parse().unwrap();
    assert_eq!(
        instant(apia, wall("2011-12-30 09:00:00"))
            .map(|t| t.with_timezone(&apia).naive_local().to_string())
            .unwrap(),
        "2011-12-31 00:00:00"
    );
}
