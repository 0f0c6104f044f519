use super::*;
use chrono::{TimeDelta, TimeZone};
use chrono_tz::America::New_York as NY;
use chrono_tz::Asia::{Kathmandu, Kolkata};
use chrono_tz::UTC;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// A wall time in `tz` (earlier instant if ambiguous), as UTC.
fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    let at = tz.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap();
    at.with_timezone(&Utc)
}

/// Wednesday 2026-06-10 10:15 EDT (14:15Z).
fn wed() -> DateTime<Utc> {
    local(NY, 2026, 6, 10, 10, 15)
}

fn resolve(input: &str, now: DateTime<Utc>, tz: Tz) -> Resolved {
    parse(input, now, tz).unwrap_or_else(|e| panic!("{input:?} rejected: {e}"))
}

fn at(input: &str, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    resolve(input, now, tz).at
}

fn err(input: &str, now: DateTime<Utc>, tz: Tz) -> String {
    match parse(input, now, tz) {
        Ok(r) => panic!("{input:?} accepted as {}", r.at),
        Err(e) => e.to_string(),
    }
}

fn assert_future(input: &str, now: DateTime<Utc>, tz: Tz, expected: DateTime<Utc>) {
    let r = resolve(input, now, tz);
    assert_eq!(r.at, expected, "{input:?}");
    assert!(!r.in_past, "{input:?} should not be in the past");
}

#[test]
fn now_is_this_instant() {
    let r = resolve("now", wed(), NY);
    assert_eq!(
        r,
        Resolved {
            at: wed(),
            in_past: false
        }
    );
    assert_eq!(at("  NOW ", wed(), NY), wed());
}

#[test]
fn compact_durations() {
    let now = wed();
    let cases = [
        ("10m", 600),
        ("2h", 7_200),
        ("45s", 45),
        ("1w", 604_800),
        ("1d", 86_400),
        ("1d2h30m", 95_400),
        ("1h 30m", 5_400),
        ("10000m", 600_000),
    ];
    for (input, secs) in cases {
        assert_future(input, now, NY, now + TimeDelta::seconds(secs));
    }
}

#[test]
fn verbose_durations() {
    let now = wed();
    let cases = [
        ("10 minutes", 600),
        ("1 hour 30 minutes", 5_400),
        ("2 hrs", 7_200),
        ("5 mins", 300),
        ("30 secs", 30),
        ("1 day", 86_400),
        ("2 weeks", 1_209_600),
        ("1   Hour   30   Minutes", 5_400),
    ];
    for (input, secs) in cases {
        assert_future(input, now, NY, now + TimeDelta::seconds(secs));
    }
}

#[test]
fn prefixes_mean_the_same() {
    let now = wed();
    assert_eq!(at("in 10m", now, NY), now + TimeDelta::minutes(10));
    assert_eq!(at("+30m", now, NY), now + TimeDelta::minutes(30));
    assert_eq!(at("in 2 hours", now, NY), now + TimeDelta::hours(2));
    assert_eq!(at("In 1h30m", now, NY), now + TimeDelta::minutes(90));
}

#[test]
fn clock_times_take_the_next_occurrence() {
    let now = wed(); // 10:15 EDT
    let today = |h, m| local(NY, 2026, 6, 10, h, m);
    let tomorrow = |h, m| local(NY, 2026, 6, 11, h, m);
    assert_future("11am", now, NY, today(11, 0));
    assert_future("9am", now, NY, tomorrow(9, 0));
    assert_future("9 am", now, NY, tomorrow(9, 0));
    assert_future("9 a.m.", now, NY, tomorrow(9, 0));
    assert_future("9:30pm", now, NY, today(21, 30));
    assert_future("9:30 p.m.", now, NY, today(21, 30));
    assert_future("21:00", now, NY, today(21, 0));
    assert_future("2100", now, NY, today(21, 0));
    assert_future("0930", now, NY, tomorrow(9, 30));
    assert_future("10:15", now, NY, tomorrow(10, 15)); // equal to now → tomorrow
    assert_future("10:16", now, NY, today(10, 16));
    assert_future("21:00:30", now, NY, today(21, 0) + TimeDelta::seconds(30));
}

#[test]
fn twelve_am_and_pm() {
    let now = wed();
    assert_future("12am", now, NY, local(NY, 2026, 6, 11, 0, 0));
    assert_future("12pm", now, NY, local(NY, 2026, 6, 10, 12, 0));
    assert_future("12:30am", now, NY, local(NY, 2026, 6, 11, 0, 30));
}

#[test]
fn upper_case_works() {
    let now = wed();
    assert_eq!(at("9AM", now, NY), local(NY, 2026, 6, 11, 9, 0));
    assert_eq!(at("TOMORROW 9AM", now, NY), local(NY, 2026, 6, 11, 9, 0));
    assert_eq!(
        at("Next FRIDAY 9 A.M.", now, NY),
        local(NY, 2026, 6, 12, 9, 0)
    );
    assert_eq!(at("DEC 1 9PM", now, NY), local(NY, 2026, 12, 1, 21, 0));
}

#[test]
fn noon_and_midnight_roll_forward() {
    let now = wed();
    assert_future("noon", now, NY, local(NY, 2026, 6, 10, 12, 0));
    assert_future("midnight", now, NY, local(NY, 2026, 6, 11, 0, 0));
    let after_noon = local(NY, 2026, 6, 10, 13, 0);
    assert_future("noon", after_noon, NY, local(NY, 2026, 6, 11, 12, 0));
    let at_noon = local(NY, 2026, 6, 10, 12, 0);
    assert_future("noon", at_noon, NY, local(NY, 2026, 6, 11, 12, 0));
    let at_midnight = local(NY, 2026, 6, 10, 0, 0);
    assert_future("midnight", at_midnight, NY, local(NY, 2026, 6, 11, 0, 0));
}

#[test]
fn today_and_tomorrow() {
    let now = wed() + TimeDelta::milliseconds(250);
    assert_eq!(
        resolve("today", now, NY),
        Resolved {
            at: now,
            in_past: false
        }
    );
    assert_future("tomorrow", now, NY, now + TimeDelta::days(1));
    assert_future("today 5pm", now, NY, local(NY, 2026, 6, 10, 17, 0));
    assert_future("tomorrow 9am", now, NY, local(NY, 2026, 6, 11, 9, 0));
    assert_future("tomorrow noon", now, NY, local(NY, 2026, 6, 11, 12, 0));
    assert_future("tomorrow at 9am", now, NY, local(NY, 2026, 6, 11, 9, 0));
    assert_future("tomorrow midnight", now, NY, local(NY, 2026, 6, 11, 0, 0));
}

#[test]
fn clock_before_day_is_read_as_day_then_clock() {
    let now = wed();
    assert_eq!(at("9am tomorrow", now, NY), local(NY, 2026, 6, 11, 9, 0));
    assert_eq!(at("noon on friday", now, NY), local(NY, 2026, 6, 12, 12, 0));
    assert_eq!(at("5pm today", now, NY), local(NY, 2026, 6, 10, 17, 0));
    assert_eq!(at("at 9am", now, NY), local(NY, 2026, 6, 11, 9, 0));
    assert_eq!(at("at 9am tomorrow", now, NY), local(NY, 2026, 6, 11, 9, 0));
}

#[test]
fn explicit_past_times_are_flagged() {
    let now = wed();
    let r = resolve("today 9am", now, NY);
    assert_eq!(r.at, local(NY, 2026, 6, 10, 9, 0));
    assert!(r.in_past);
    let r = resolve("2020-01-01", now, NY);
    assert_eq!(r.at, local(NY, 2020, 1, 1, 0, 0));
    assert!(r.in_past);
    let r = resolve("2026-06-10T14:00:00Z", now, NY);
    assert!(r.in_past);
}

#[test]
fn next_weekday_is_after_today() {
    let now = wed(); // Wednesday 10:15
    assert_future("next friday", now, NY, local(NY, 2026, 6, 12, 10, 15));
    assert_future("next fri", now, NY, local(NY, 2026, 6, 12, 10, 15));
    assert_future("next wednesday", now, NY, local(NY, 2026, 6, 17, 10, 15));
    assert_future("next monday 9am", now, NY, local(NY, 2026, 6, 15, 9, 0));
    assert_future("next friday 9am", now, NY, local(NY, 2026, 6, 12, 9, 0));
    assert_future("next tue at noon", now, NY, local(NY, 2026, 6, 16, 12, 0));
    let monday = local(NY, 2026, 6, 8, 8, 0);
    assert_future("next monday", monday, NY, local(NY, 2026, 6, 15, 8, 0));
}

#[test]
fn bare_weekday_is_strictly_after_now() {
    let now = wed();
    assert_future("friday", now, NY, local(NY, 2026, 6, 12, 10, 15));
    assert_future("monday 9am", now, NY, local(NY, 2026, 6, 15, 9, 0));
    assert_future("friday at 9am", now, NY, local(NY, 2026, 6, 12, 9, 0));
    assert_future("wednesday", now, NY, local(NY, 2026, 6, 17, 10, 15));
    assert_future("wed 11am", now, NY, local(NY, 2026, 6, 10, 11, 0));
    assert_future("wed 9am", now, NY, local(NY, 2026, 6, 17, 9, 0));
    let friday_early = local(NY, 2026, 6, 12, 7, 0);
    assert_future("friday 9am", friday_early, NY, local(NY, 2026, 6, 12, 9, 0));
    assert_future("friday", friday_early, NY, local(NY, 2026, 6, 19, 7, 0));
}

#[test]
fn iso_dates_and_times() {
    let ms = TimeDelta::milliseconds;
    let cases = [
        ("2026-12-01", utc(2026, 12, 1, 5, 0, 0)), // 00:00 EST
        ("2026-12-01 09:00", utc(2026, 12, 1, 14, 0, 0)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 14, 0, 0)),
        ("2026-12-01 09:00:30", utc(2026, 12, 1, 14, 0, 30)),
        ("2026-12-01 9am", utc(2026, 12, 1, 14, 0, 0)),
        ("2026-12-01T09:00:00Z", utc(2026, 12, 1, 9, 0, 0)),
        ("2026-12-01t09:00:00z", utc(2026, 12, 1, 9, 0, 0)),
        ("2026-12-01T09:00Z", utc(2026, 12, 1, 9, 0, 0)),
        ("2026-12-01T09:00:00+02:00", utc(2026, 12, 1, 7, 0, 0)),
        ("2026-12-01 09:00:00+02:00", utc(2026, 12, 1, 7, 0, 0)),
        ("2026-12-01 09:00 +02:00", utc(2026, 12, 1, 7, 0, 0)),
        ("2026-12-01T09:00:00-0530", utc(2026, 12, 1, 14, 30, 0)),
        (
            "2026-12-01T09:00:00.250Z",
            utc(2026, 12, 1, 9, 0, 0) + ms(250),
        ),
    ];
    for (input, expected) in cases {
        assert_future(input, wed(), NY, expected);
    }
}

#[test]
fn month_name_dates() {
    let now = wed();
    assert_future("dec 1 9am", now, NY, local(NY, 2026, 12, 1, 9, 0));
    assert_future("december 25", now, NY, local(NY, 2026, 12, 25, 0, 0));
    assert_future("1 dec 2026", now, NY, local(NY, 2026, 12, 1, 0, 0));
    assert_future(
        "dec 1st 2027 at 21:00",
        now,
        NY,
        local(NY, 2027, 12, 1, 21, 0),
    );
    assert_future("sept 3", now, NY, local(NY, 2026, 9, 3, 0, 0));
    assert_future("jan 5", now, NY, local(NY, 2027, 1, 5, 0, 0)); // already passed this year
    assert_future("feb 29", now, NY, local(NY, 2028, 2, 29, 0, 0));
    let r = resolve("jun 10 9am", now, NY); // today, explicit and past
    assert_eq!(r.at, local(NY, 2026, 6, 10, 9, 0));
    assert!(r.in_past);
}

#[test]
fn zone_suffixes_are_rejected() {
    let now = wed();
    assert_eq!(
        err("3pm EST", now, NY),
        "time-zone suffix 'EST' is not accepted; naive times use DEFER_TIMEZONE \
         (set DEFER_TIMEZONE=America/New_York)"
    );
    for input in [
        "9am UTC",
        "3pm Europe/Paris",
        "tomorrow 9am PST",
        "2026-12-01 09:00 UTC",
    ] {
        let message = err(input, now, NY);
        assert!(
            message.starts_with("time-zone suffix"),
            "{input}: {message}"
        );
        assert!(message.contains("DEFER_TIMEZONE="), "{input}: {message}");
    }
    assert!(err("3pm Europe/Paris", now, NY).contains("DEFER_TIMEZONE=Europe/Paris"));
    assert!(err("3pm europe/paris", now, NY).contains("DEFER_TIMEZONE=Europe/Paris"));
    assert!(err("3pm Mars/Olympus", now, NY).contains("IANA zone"));
}

#[test]
fn trailing_words_are_rejected() {
    let now = wed();
    assert_eq!(
        err("tomorrow 9am foo", now, NY),
        "unexpected trailing text 'foo'"
    );
    let long = err("tomorrow 9am abcdefghijklmnopqrstu", now, NY);
    assert_eq!(long, "unexpected trailing text 'abcdefghijklmnopqrstu'");
    assert!(err("10 minutes please", now, NY).contains("trailing text 'please'"));
    assert!(err("9am tomorrow foo", now, NY).contains("trailing"));
    err("tomorrow at", now, NY);
    err("next", now, NY);
    err("in", now, NY);
}

#[test]
fn non_positive_durations_are_rejected() {
    for input in [
        "-5m",
        "0m",
        "in 0 minutes",
        "-1h",
        "- 5 mins",
        "in -5m",
        "0s0m",
    ] {
        assert_eq!(
            err(input, wed(), NY),
            "duration must be positive",
            "{input}"
        );
    }
}

#[test]
fn empty_is_rejected() {
    assert_eq!(err("", wed(), NY), "empty expression");
    assert_eq!(err(" \t ", wed(), NY), "empty expression");
}

#[test]
fn invalid_clock_times_are_rejected() {
    for input in [
        "13pm",
        "25:00",
        "9:60",
        "0am",
        "2400",
        "tomorrow 13pm",
        "13 pm",
    ] {
        let message = err(input, wed(), NY);
        assert!(
            message.starts_with("invalid time of day"),
            "{input}: {message}"
        );
    }
    assert!(err("10", wed(), NY).starts_with("ambiguous number '10'"));
    assert!(err("930", wed(), NY).starts_with("ambiguous number"));
    assert!(err("2026-02-30", wed(), NY).starts_with("invalid date"));
}

#[test]
fn unit_words_and_unknown_phrases_are_rejected() {
    for input in [
        "hour",
        "day",
        "week",
        "morning",
        "10 parsecs",
        "next",
        "next decade",
    ] {
        let message = err(input, wed(), NY);
        assert!(
            message.starts_with("unrecognised expression (accepted: now, 10m"),
            "{input}"
        );
        assert!(!message.contains('\n'));
    }
}

#[test]
fn absurd_durations_are_errors() {
    for input in [
        "99999999999w",
        "999999999999999999999999999m",
        "18446744073709551615s",
    ] {
        assert_eq!(
            err(input, wed(), NY),
            "duration or date is out of range",
            "{input}"
        );
    }
}

#[test]
fn spring_forward_gap_rolls_forward() {
    let before = local(NY, 2026, 3, 7, 12, 0); // Saturday, EST
    assert_eq!(
        at("2026-03-08 02:30", before, NY),
        utc(2026, 3, 8, 7, 30, 0)
    );
    assert_eq!(at("tomorrow 2:30am", before, NY), utc(2026, 3, 8, 7, 30, 0));
    let early = local(NY, 2026, 3, 8, 1, 0);
    assert_eq!(at("2:30am", early, NY), utc(2026, 3, 8, 7, 30, 0));
    assert_eq!(
        at("2026-03-08 03:30", before, NY),
        utc(2026, 3, 8, 7, 30, 0)
    );
    // `tomorrow` keeps the wall time: 23 hours of elapsed time this day.
    assert_eq!(at("tomorrow", before, NY), utc(2026, 3, 8, 16, 0, 0));
}

#[test]
fn fall_back_ambiguity_takes_the_earlier_instant() {
    let before = local(NY, 2026, 10, 31, 12, 0);
    assert_eq!(
        at("2026-11-01 01:30", before, NY),
        utc(2026, 11, 1, 5, 30, 0)
    );
    assert_eq!(
        at("tomorrow 1:30am", before, NY),
        utc(2026, 11, 1, 5, 30, 0)
    );
    // During the repeated hour (01:30 EST, the second one) `today` is still now.
    let second = utc(2026, 11, 1, 6, 30, 0);
    assert_eq!(
        resolve("today", second, NY),
        Resolved {
            at: second,
            in_past: false
        }
    );
}

#[test]
fn durations_are_exact_across_dst() {
    let spring = local(NY, 2026, 3, 7, 12, 0); // 17:00Z
    assert_eq!(at("1d", spring, NY), utc(2026, 3, 8, 17, 0, 0)); // 13:00 EDT
    assert_eq!(at("24h", spring, NY), at("1d", spring, NY));
    let fall = local(NY, 2026, 10, 31, 12, 0); // 16:00Z EDT
    assert_eq!(at("1w", fall, NY), utc(2026, 11, 7, 16, 0, 0)); // 11:00 EST
}

#[test]
fn half_hour_and_quarter_hour_zones() {
    let now = local(Kolkata, 2026, 6, 10, 10, 15); // 04:45Z
    assert_eq!(now, utc(2026, 6, 10, 4, 45, 0));
    assert_eq!(at("9am", now, Kolkata), utc(2026, 6, 11, 3, 30, 0));
    assert_eq!(at("11am", now, Kolkata), utc(2026, 6, 10, 5, 30, 0));
    assert_eq!(
        at("2026-12-01 09:00", now, Kolkata),
        utc(2026, 12, 1, 3, 30, 0)
    );
    assert_eq!(at("midnight", now, Kolkata), utc(2026, 6, 10, 18, 30, 0));
    let now = local(Kathmandu, 2026, 6, 10, 10, 15);
    assert_eq!(at("noon", now, Kathmandu), utc(2026, 6, 10, 6, 15, 0));
    assert_eq!(
        at("tomorrow 9am", now, Kathmandu),
        utc(2026, 6, 11, 3, 15, 0)
    );
}

#[test]
fn utc_zone() {
    let now = utc(2026, 6, 10, 10, 15, 0);
    assert_eq!(at("tomorrow 9am", now, UTC), utc(2026, 6, 11, 9, 0, 0));
    assert_eq!(at("9am", now, UTC), utc(2026, 6, 11, 9, 0, 0));
    assert_eq!(at("2026-12-01", now, UTC), utc(2026, 12, 1, 0, 0, 0));
    assert_eq!(at("next friday noon", now, UTC), utc(2026, 6, 12, 12, 0, 0));
}

#[test]
fn relative_forms() {
    let now = wed();
    let later = |secs: i64| now + TimeDelta::seconds(secs);
    assert_eq!(relative(now, now), "now");
    assert_eq!(relative(now, now + TimeDelta::milliseconds(999)), "now");
    assert_eq!(relative(now, now - TimeDelta::milliseconds(999)), "now");
    assert_eq!(relative(now, later(45)), "in 45s");
    assert_eq!(relative(now, later(2 * 3600 + 5 * 60 + 7)), "in 2h 5m");
    assert_eq!(relative(now, later(-300)), "5m ago");
    assert_eq!(relative(now, later(3 * 86_400 + 4 * 3600 + 59)), "in 3d 4h");
    assert_eq!(relative(now, later(3600 + 30)), "in 1h");
    assert_eq!(relative(now, later(2 * 86_400 + 300)), "in 2d");
    assert_eq!(relative(now, later(90)), "in 1m 30s");
    assert_eq!(relative(now, later(-(86_400 + 3600))), "1d 1h ago");
}

#[test]
fn examples_table_is_short_plain_and_true() {
    let rows = EXAMPLES.lines().count();
    assert!((12..=20).contains(&rows), "{rows} rows");
    assert!(EXAMPLES.is_ascii());
    for row in EXAMPLES.lines().skip(1) {
        let (inputs, meaning) = row.trim_start().split_once("  ").unwrap();
        assert!(!meaning.trim().is_empty(), "{row}");
        for input in inputs.split(", ") {
            resolve(input, wed(), NY);
        }
    }
}

#[test]
fn junk_never_panics() {
    let pieces = [
        "",
        " ",
        "9",
        "am",
        "PM",
        "a.m.",
        ":",
        "::",
        "-",
        "+",
        "in",
        "at",
        "on",
        "next",
        "today",
        "TOMORROW",
        "friday",
        "dec",
        "1st",
        "2026",
        "2026-12-01",
        "T",
        "Z",
        "+02:00",
        "99999999999999999999",
        "w",
        "m",
        "hours",
        "noon",
        "midnight",
        "EST",
        "Europe/Paris",
        "abcdefghijklmnopqrstuvwxyz",
        "é",
        "日本",
        "\u{0}",
        "12",
        "13pm",
        "00:00",
        "23:59:59",
        "0",
        "-0",
        "1d2h",
        "and",
        ",",
        "mo",
        "1mo",
        "months",
        "y",
        "year",
        "week",
        "month",
        "14",
        "24",
        "tomorow",
        "fridy",
        "nxt",
        "mnoth",
        "1:30am",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let nows = [
        local(NY, 2026, 3, 8, 1, 59),
        utc(2026, 11, 1, 6, 10, 0),
        local(NY, 2028, 1, 31, 23, 59),
    ];
    for round in 0..900 {
        let now = nows[round % nows.len()];
        let mut input = String::new();
        for _ in 0..(seed % 5 + 1) {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let piece = pieces[(seed >> 33) as usize % pieces.len()];
            input.push_str(piece);
            if seed & 1 == 0 {
                input.push(' ');
            }
        }
        for tz in [NY, Kolkata, UTC] {
            let _ = parse(&input, now, tz);
            let _ = parse(&input, DateTime::<Utc>::MAX_UTC, tz);
            let _ = parse(&input, DateTime::<Utc>::MIN_UTC, tz);
        }
    }
}

/// 2026-11-01 in New York: 01:00–01:59 happens twice, EDT (05:xxZ) then EST (06:xxZ).
#[test]
fn clock_time_inside_the_fall_back_hour_takes_the_next_pass() {
    let second_pass = utc(2026, 11, 1, 6, 10, 0); // 01:10 EST
    assert_future("1:30am", second_pass, NY, utc(2026, 11, 1, 6, 30, 0));
    assert_future("1:05am", second_pass, NY, utc(2026, 11, 2, 6, 5, 0));
    assert_future("2am", second_pass, NY, utc(2026, 11, 1, 7, 0, 0));
    // First pass, 01:10 EDT: the first 01:30 is next.
    let first_pass = utc(2026, 11, 1, 5, 10, 0);
    assert_future("1:30am", first_pass, NY, utc(2026, 11, 1, 5, 30, 0));
    // First pass, 01:40 EDT: the first 01:30 has gone by, the second is 50 minutes away.
    let late_first = utc(2026, 11, 1, 5, 40, 0);
    assert_future("1:30am", late_first, NY, utc(2026, 11, 1, 6, 30, 0));
    assert_future("1:50am", late_first, NY, utc(2026, 11, 1, 5, 50, 0));
    // Second pass, 01:40 EST: both have gone by, so tomorrow.
    let late_second = utc(2026, 11, 1, 6, 40, 0);
    assert_future("1:30am", late_second, NY, utc(2026, 11, 2, 6, 30, 0));
    // The evening before: the first pass.
    let evening = local(NY, 2026, 10, 31, 22, 0);
    assert_future("1:30am", evening, NY, utc(2026, 11, 1, 5, 30, 0));
}

#[test]
fn explicit_day_inside_the_fall_back_hour() {
    let second_pass = utc(2026, 11, 1, 6, 10, 0); // 01:10 EST
                                                  // The earlier 01:30 has gone by and the later has not: the later.
    assert_future("today 1:30am", second_pass, NY, utc(2026, 11, 1, 6, 30, 0));
    assert_future(
        "2026-11-01 01:30",
        second_pass,
        NY,
        utc(2026, 11, 1, 6, 30, 0),
    );
    assert_future("sunday 1:30am", second_pass, NY, utc(2026, 11, 1, 6, 30, 0));
    // Both passes gone: the earlier, flagged as past.
    let r = resolve("today 1:05am", second_pass, NY);
    assert_eq!(r.at, utc(2026, 11, 1, 5, 5, 0));
    assert!(r.in_past);
    // Both ahead: the earlier.
    let first_pass = utc(2026, 11, 1, 5, 10, 0);
    assert_future("today 1:30am", first_pass, NY, utc(2026, 11, 1, 5, 30, 0));
}

/// 2026-03-08 in New York: 02:00–02:59 does not exist (EST → EDT at 07:00Z).
#[test]
fn clock_time_around_the_spring_forward_gap() {
    let before_gap = utc(2026, 3, 8, 6, 50, 0); // 01:50 EST
    assert_future("2:30am", before_gap, NY, utc(2026, 3, 8, 7, 30, 0)); // 03:30 EDT
    assert_future("3:30am", before_gap, NY, utc(2026, 3, 8, 7, 30, 0));
    assert_future("1:55am", before_gap, NY, utc(2026, 3, 8, 6, 55, 0));
    assert_future("1:45am", before_gap, NY, utc(2026, 3, 9, 5, 45, 0)); // EDT tomorrow
    let after_gap = utc(2026, 3, 8, 7, 5, 0); // 03:05 EDT
    assert_future("3:30am", after_gap, NY, utc(2026, 3, 8, 7, 30, 0));
    assert_future("1:30am", after_gap, NY, utc(2026, 3, 9, 5, 30, 0));
}

#[test]
fn at_joins_a_day_and_a_time() {
    let now = wed(); // Wednesday 2026-06-10 10:15 EDT
    assert_future("tomorrow at 9am", now, NY, local(NY, 2026, 6, 11, 9, 0));
    assert_future("friday at 14:00", now, NY, local(NY, 2026, 6, 12, 14, 0));
    assert_future("dec 1 at 9am", now, NY, local(NY, 2026, 12, 1, 9, 0));
    assert_future("today at noon", now, NY, local(NY, 2026, 6, 10, 12, 0));
    assert_future("next monday at 9am", now, NY, local(NY, 2026, 6, 15, 9, 0));
    assert_future("2026-12-01 at 09:00", now, NY, local(NY, 2026, 12, 1, 9, 0));
    assert_future("next month at 9am", now, NY, local(NY, 2026, 7, 10, 9, 0));
    // Across the fall-back day: Sunday 2026-11-01 has 25 hours.
    let saturday = local(NY, 2026, 10, 31, 12, 0);
    assert_future("sunday at 9am", saturday, NY, utc(2026, 11, 1, 14, 0, 0));
    assert_future(
        "tomorrow at 1:30am",
        saturday,
        NY,
        utc(2026, 11, 1, 5, 30, 0),
    );
}

#[test]
fn a_bare_hour_after_a_day_word_is_that_hour() {
    let now = wed();
    assert_future("tomorrow 9", now, NY, local(NY, 2026, 6, 11, 9, 0));
    assert_future("tomorrow 09", now, NY, local(NY, 2026, 6, 11, 9, 0));
    assert_future("friday 14", now, NY, local(NY, 2026, 6, 12, 14, 0));
    assert_future("friday at 14", now, NY, local(NY, 2026, 6, 12, 14, 0));
    assert_future("next monday 0", now, NY, local(NY, 2026, 6, 15, 0, 0));
    assert_future("today 23", now, NY, local(NY, 2026, 6, 10, 23, 0));
    assert_future("wed 11", now, NY, local(NY, 2026, 6, 10, 11, 0));
    assert_future("wed 9", now, NY, local(NY, 2026, 6, 17, 9, 0));
    let r = resolve("today 9", now, NY);
    assert_eq!(r.at, local(NY, 2026, 6, 10, 9, 0));
    assert!(r.in_past);
    // Spring forward: tomorrow 2 (inside the gap) moves forward to 03:00 EDT.
    let saturday = local(NY, 2026, 3, 7, 12, 0);
    assert_eq!(at("tomorrow 2", saturday, NY), utc(2026, 3, 8, 7, 0, 0));
    // Out of range, or not after a day word: rejected.
    for input in ["tomorrow 24", "friday at 99"] {
        assert!(
            err(input, now, NY).starts_with("invalid time of day"),
            "{input}"
        );
    }
    for input in [
        "9",
        "14",
        "9 tomorrow",
        "dec 1 9",
        "next month 9",
        "tomorrow 930",
    ] {
        err(input, now, NY);
    }
}

#[test]
fn months_are_calendar_units() {
    let now = wed();
    let cases = [
        ("in 2 months", local(NY, 2026, 8, 10, 10, 15)),
        ("2 months", local(NY, 2026, 8, 10, 10, 15)),
        ("1mo", local(NY, 2026, 7, 10, 10, 15)),
        ("+1 month", local(NY, 2026, 7, 10, 10, 15)),
        ("next month", local(NY, 2026, 7, 10, 10, 15)),
        ("6 mos", local(NY, 2026, 12, 10, 10, 15)), // EDT → EST: same wall time
        ("1y", local(NY, 2027, 6, 10, 10, 15)),
        ("next year", local(NY, 2027, 6, 10, 10, 15)),
        ("in 2 years", local(NY, 2028, 6, 10, 10, 15)),
        ("1mo2d", local(NY, 2026, 7, 12, 10, 15)),
        ("1 month 2 hours", local(NY, 2026, 7, 10, 12, 15)),
        ("next week", local(NY, 2026, 6, 17, 10, 15)),
        ("next week 9am", local(NY, 2026, 6, 17, 9, 0)),
    ];
    for (input, expected) in cases {
        assert_future(input, now, NY, expected);
    }
    // `m` is still minutes.
    assert_future("1m", now, NY, now + TimeDelta::minutes(1));
    assert_future("2mo", now, NY, local(NY, 2026, 8, 10, 10, 15));
    for input in ["0mo", "-1mo", "in 0 months", "0y"] {
        assert_eq!(err(input, now, NY), "duration must be positive", "{input}");
    }
    assert_eq!(
        err("99999999999mo", now, NY),
        "duration or date is out of range"
    );
}

#[test]
fn month_arithmetic_clamps_to_the_last_day() {
    let jan31 = local(NY, 2026, 1, 31, 9, 30);
    assert_future("1mo", jan31, NY, local(NY, 2026, 2, 28, 9, 30));
    assert_future("next month", jan31, NY, local(NY, 2026, 2, 28, 9, 30));
    assert_future("in 2 months", jan31, NY, local(NY, 2026, 3, 31, 9, 30));
    assert_future("3 months", jan31, NY, local(NY, 2026, 4, 30, 9, 30));
    let leap = local(NY, 2028, 1, 31, 9, 30);
    assert_future("1 month", leap, NY, local(NY, 2028, 2, 29, 9, 30));
    let feb29 = local(NY, 2028, 2, 29, 9, 30);
    assert_future("next year", feb29, NY, local(NY, 2029, 2, 28, 9, 30));
    assert_future("1y", feb29, NY, local(NY, 2029, 2, 28, 9, 30));
    assert_future("4 years", feb29, NY, local(NY, 2032, 2, 29, 9, 30));
}

#[test]
fn months_and_weeks_keep_the_wall_time_across_dst() {
    // 2026-10-01 01:30 EDT + 1 month = 2026-11-01 01:30, the ambiguous hour: the earlier.
    let october = local(NY, 2026, 10, 1, 1, 30);
    assert_future("1mo", october, NY, utc(2026, 11, 1, 5, 30, 0));
    // 2026-02-08 02:30 EST + 1 month = 2026-03-08 02:30, inside the gap: 03:30 EDT.
    let february = local(NY, 2026, 2, 8, 2, 30);
    assert_future("next month", february, NY, utc(2026, 3, 8, 7, 30, 0));
    // `next week` keeps the wall time (a calendar week); `1w` is exactly 168 hours.
    let saturday = local(NY, 2026, 3, 7, 12, 0);
    assert_future("next week", saturday, NY, local(NY, 2026, 3, 14, 12, 0));
    assert_future("1w", saturday, NY, local(NY, 2026, 3, 14, 13, 0));
}

#[test]
fn misspelt_words_get_the_closest_accepted_form() {
    let now = wed();
    let cases = [
        ("tomorow 9am", "tomorrow 9am"),
        ("Tomorow 9AM", "tomorrow 9am"),
        ("tommorow at 9am", "tomorrow at 9am"),
        ("nxt fridy", "next friday"),
        ("wensday 9am", "wednesday 9am"),
        ("10 minuts", "10 minutes"),
        ("10minuts", "10minutes"),
        ("in 2 mounths", "in 2 months"),
        ("next mnoth", "next month"),
        ("decmber 1 at 9am", "december 1 at 9am"),
        ("noom", "noon"),
        ("midnigt", "midnight"),
        ("2 hourz", "2 hours"),
    ];
    for (input, suggestion) in cases {
        let message = err(input, now, NY);
        assert!(
            message.ends_with(&format!("; did you mean '{suggestion}'?)")),
            "{input}: {message}"
        );
        assert!(message.starts_with("unrecognised expression (accepted: now, 10m"));
        resolve(suggestion, now, NY);
    }
}

#[test]
fn no_suggestion_without_a_close_valid_form() {
    let now = wed();
    for input in [
        "whenever",
        "morning",
        "foo bar",
        "tomorrow 9am foo",
        "friday 9am tomorow", // corrected, still not a phrase
        "tomorow 25:00",
        "xyzzy plugh frobozz quux",
        "3pm EST",
    ] {
        let message = err(input, now, NY);
        assert!(!message.contains("did you mean"), "{input}: {message}");
    }
    // Corrected, still not a phrase: no suggestion.
    assert_eq!(
        err("tomorrow 9am tomorow", now, NY),
        "unexpected trailing text 'tomorow'"
    );
    // A misspelling after a complete phrase that corrects to one: suggested.
    assert_eq!(
        err("tomorrow noom", now, NY),
        "unexpected trailing text 'noom' (did you mean 'tomorrow noon'?)"
    );
}

#[test]
fn spans_have_at_most_two_units() {
    assert_eq!(span(3 * 3600 + 12 * 60 + 5), "3h 12m");
    assert_eq!(span(45), "45s");
    assert_eq!(span(86_400 + 3600), "1d 1h");
    assert_eq!(span(86_400 + 60), "1d");
    assert_eq!(span(7200), "2h");
    assert_eq!(span(0), "0s");
}

#[test]
fn phrases_people_use() {
    let now = wed(); // Wednesday 2026-06-10 10:15 EDT
    let cases = [
        ("in an hour", now + TimeDelta::hours(1)),
        ("an hour", now + TimeDelta::hours(1)),
        ("in a minute", now + TimeDelta::minutes(1)),
        ("in a day", now + TimeDelta::days(1)),
        ("in a week", now + TimeDelta::weeks(1)),
        ("this friday", local(NY, 2026, 6, 12, 10, 15)),
        ("this friday 9am", local(NY, 2026, 6, 12, 9, 0)),
        ("tomorrow morning", local(NY, 2026, 6, 11, 9, 0)),
        ("tomorrow afternoon", local(NY, 2026, 6, 11, 14, 0)),
        ("Tomorrow Evening", local(NY, 2026, 6, 11, 18, 0)),
        ("tomorrow night", local(NY, 2026, 6, 11, 21, 0)),
        ("tonight", local(NY, 2026, 6, 10, 20, 0)),
        ("eod", local(NY, 2026, 6, 10, 17, 0)),
        ("end of day", local(NY, 2026, 6, 10, 17, 0)),
    ];
    for (input, expected) in cases {
        assert_future(input, now, NY, expected);
    }
    assert_eq!(at("this friday", now, NY), at("friday", now, NY));
}

#[test]
fn tonight_and_eod_follow_the_past_today_rule() {
    // 21:30 EDT: tonight's 20:00 and today's 17:00 have passed: tomorrow's, as 8pm/5pm.
    let late = local(NY, 2026, 6, 10, 21, 30);
    assert_future("tonight", late, NY, local(NY, 2026, 6, 11, 20, 0));
    assert_future("eod", late, NY, local(NY, 2026, 6, 11, 17, 0));
    assert_eq!(at("tonight", late, NY), at("8pm", late, NY));
}

#[test]
fn decimal_amounts_of_fixed_units() {
    let now = wed();
    for (input, secs) in [
        ("1.5h", 5_400),
        ("0.5d", 43_200),
        ("2.5m", 150),
        ("1.5 hours", 5_400),
        ("in 1.25h", 4_500),
        ("1.5h 10m", 6_000),
    ] {
        assert_future(input, now, NY, now + TimeDelta::seconds(secs));
    }
    assert_eq!(parse_fixed_duration("1.5h"), Some(5_400));
    for bad in ["1.5mo", "0.5y", "1.3333m", "1.5 months", "0.1s"] {
        let e = err(bad, now, NY);
        assert!(e.starts_with("ambiguous decimal"), "{bad}: {e}");
    }
    assert!(err("1.5", now, NY).starts_with("unrecognised"));
    assert!(err("1..5h", now, NY).starts_with("unrecognised"));
}
