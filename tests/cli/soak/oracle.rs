//! The soak's oracle: the fires a series should have, computed here from the schedule
//! alone (not from `defer`'s code), by SPEC §19's DST rules. A cron schedule is
//! fixed-time when neither its minute nor its hour field starts with `*`: a wall time in
//! a spring-forward gap fires once at the first valid instant after the gap (several
//! collapse into that one fire), a repeated wall time fires at its first pass. Wildcard
//! schedules follow real time: gap times do not exist, repeated hours fire twice.
//! `--every` steps real time from its first fire.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How a soak series repeats: the flags `schedule` gets.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `--cron EXPR`; only the minute and hour fields may differ from `*`.
    Cron(&'static str),
    /// `--every TEXT` (`seconds` of it), first fire given with `--when`.
    Every(&'static str, i64),
}

/// One fire: its instant, and how many wall-clock fires it stands for (more than one
/// only where several gap times of a fixed-time schedule collapse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fire {
    pub at: DateTime<Utc>,
    pub nominal: u32,
}

/// The fires of `rule` in `zone` in (`after`, `to`]; an `Every` rule's first fire is
/// `first` (its `--when`).
pub fn fires(
    rule: Rule,
    zone: Tz,
    first: DateTime<Utc>,
    after: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Fire> {
    let mut all: BTreeMap<DateTime<Utc>, u32> = BTreeMap::new();
    match rule {
        Rule::Every(_, seconds) => {
            let mut at = first;
            while at <= to {
                all.insert(at, 1);
                at += Duration::seconds(seconds);
            }
        }
        Rule::Cron(expr) => {
            for at in cron_instants(expr, zone, after, to) {
                *all.entry(at).or_default() += 1;
            }
        }
    }
    all.into_iter()
        .filter(|(at, _)| *at > after && *at <= to)
        .map(|(at, nominal)| Fire { at, nominal })
        .collect()
}

/// True when neither the minute nor the hour field starts with `*` (SPEC §19).
pub fn fixed_time(expr: &str) -> bool {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    !fields[0].starts_with('*') && !fields[1].starts_with('*')
}

/// Every instant the expression names on the local days around (`after`, `to`], one
/// per wall-clock fire (a collapsed gap fire appears once per wall time it stands for).
fn cron_instants(
    expr: &str,
    zone: Tz,
    after: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    assert_eq!(
        &fields[2..],
        ["*", "*", "*"],
        "the oracle knows minute and hour fields only: {expr}"
    );
    let minutes = expand(fields[0], 60);
    let hours = expand(fields[1], 24);
    let fixed = fixed_time(expr);
    let mut day = after.with_timezone(&zone).date_naive().pred_opt().unwrap();
    let last = to.with_timezone(&zone).date_naive().succ_opt().unwrap();
    let mut out = Vec::new();
    while day <= last {
        for &h in &hours {
            for &m in &minutes {
                let wall = day.and_hms_opt(h, m, 0).unwrap();
                let local = zone.from_local_datetime(&wall);
                match (local.earliest(), local.latest()) {
                    (Some(first), Some(second)) if first != second && !fixed => {
                        out.push(first.with_timezone(&Utc));
                        out.push(second.with_timezone(&Utc));
                    }
                    (Some(first), _) => out.push(first.with_timezone(&Utc)),
                    (None, _) if fixed => out.push(after_gap(zone, wall)),
                    (None, _) => {}
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    out
}

/// The first valid instant after the gap that swallows `wall`.
fn after_gap(zone: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = wall;
    loop {
        probe += Duration::minutes(1);
        if let Some(at) = zone.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
    }
}

/// A cron field's values below `limit`: `*`, `*/n`, `a`, `a-b`, `a-b/n`, lists of them.
fn expand(field: &str, limit: u32) -> Vec<u32> {
    let mut values: Vec<u32> = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<usize>().expect("a step")),
            None => (part, 1),
        };
        let (low, high) = match range {
            "*" => (0, limit - 1),
            _ => match range.split_once('-') {
                Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                None => {
                    let v: u32 = range.parse().expect("a number");
                    (v, if step > 1 { limit - 1 } else { v })
                }
            },
        };
        values.extend((low..=high).step_by(step));
    }
    values.sort_unstable();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        crate::support::instant(text)
    }

    fn at(fires: &[Fire]) -> Vec<String> {
        fires
            .iter()
            .map(|f| format!("{}x{}", f.at.format("%Y-%m-%dT%H:%MZ"), f.nominal))
            .collect()
    }

    const NY: Tz = chrono_tz::America::New_York;
    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn fields_expand_as_cron_reads_them() {
        assert_eq!(expand("*/20", 60), [0, 20, 40]);
        assert_eq!(expand("0,30", 60), [0, 30]);
        assert_eq!(expand("1,13", 24), [1, 13]);
        assert_eq!(expand("8-10", 24), [8, 9, 10]);
        assert_eq!(expand("*", 24).len(), 24);
        assert!(fixed_time("0 1,13 * * *") && fixed_time("0,30 2 * * *"));
        assert!(!fixed_time("*/20 * * * *") && !fixed_time("15 * * * *"));
        assert!(!fixed_time("*/30 2 * * *"));
    }

    #[test]
    fn fall_back_fixed_times_fire_once_wildcards_twice() {
        let (from, to) = (utc("2027-11-07T04:00:00Z"), utc("2027-11-07T07:00:00Z"));
        let once = fires(Rule::Cron("30 1 * * *"), NY, from, from, to);
        assert_eq!(at(&once), ["2027-11-07T05:30Zx1"]);
        let list = fires(Rule::Cron("0 1,13 * * *"), NY, from, from, to);
        assert_eq!(at(&list), ["2027-11-07T05:00Zx1"]);
        let hourly = fires(Rule::Cron("15 * * * *"), NY, from, from, to);
        assert_eq!(
            at(&hourly),
            [
                "2027-11-07T04:15Zx1",
                "2027-11-07T05:15Zx1",
                "2027-11-07T06:15Zx1"
            ]
        );
    }

    #[test]
    fn spring_gap_fixed_times_collapse_wildcards_skip() {
        let (from, to) = (utc("2027-03-28T00:00:00Z"), utc("2027-03-28T02:00:00Z"));
        let list = fires(Rule::Cron("0,30 2 * * *"), BERLIN, from, from, to);
        assert_eq!(at(&list), ["2027-03-28T01:00Zx2"]);
        let single = fires(Rule::Cron("30 2 * * *"), BERLIN, from, from, to);
        assert_eq!(at(&single), ["2027-03-28T01:00Zx1"]);
        // 01:15 CET, then 02:15 does not exist, then 03:15 CEST.
        let hourly = fires(Rule::Cron("15 * * * *"), BERLIN, from, from, to);
        assert_eq!(at(&hourly), ["2027-03-28T00:15Zx1", "2027-03-28T01:15Zx1"]);
        let step = fires(Rule::Cron("*/20 * * * *"), BERLIN, from, from, to);
        assert_eq!(step.len(), 6, "{:?}", at(&step));
        // 00:40Z is 01:40 CET, 01:00Z is 03:00 CEST: 02:00, 02:20, 02:40 never happen.
        assert_eq!(step[1].at, utc("2027-03-28T00:40:00Z"));
        assert_eq!(step[2].at, utc("2027-03-28T01:00:00Z"));
    }

    #[test]
    fn every_steps_real_time_from_its_first_fire() {
        let first = utc("2027-11-06T20:00:00Z");
        let got = fires(
            Rule::Every("7h", 7 * 3600),
            NY,
            first,
            first - Duration::hours(1),
            utc("2027-11-07T18:00:00Z"),
        );
        assert_eq!(
            at(&got),
            [
                "2027-11-06T20:00Zx1",
                "2027-11-07T03:00Zx1",
                "2027-11-07T10:00Zx1",
                "2027-11-07T17:00Zx1"
            ]
        );
    }
}
