//! Schedules as calendars, exactly or not at all: a 5-field cron expression (as `croner`
//! reads it) or a fixed interval, as systemd `OnCalendar=` lines or one Kubernetes
//! CronJob schedule. Every refusal is one line saying why. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// At most this many `OnCalendar=` lines for one interval.
pub const MAX_LINES: usize = 24;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const SYSTEMD_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A cron field: its values as a bit set, and whether it was written `*` (croner's
/// day-of-month/day-of-week rule looks at that, not at the set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    bits: u64,
    star: bool,
}

/// A parsed 5-field cron expression; day-of-week folded to 0–6 (Sunday 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Field,
    hours: Field,
    days: Field,
    months: Field,
    weekdays: Field,
}

struct Spec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The value of the first name (`jan` = 1, `sun` = 0).
    first: u32,
}

const SPECS: [Spec; 5] = [
    Spec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        first: 0,
    },
    Spec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        first: 0,
    },
    Spec {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        first: 0,
    },
    Spec {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        first: 1,
    },
    Spec {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: &DAYS,
        first: 0,
    },
];

/// Parses what `--cron` accepts: 5 fields with numbers, names (`mon`, `jan`), `*`,
/// ranges, steps and lists, or `@hourly @daily @weekly @monthly @yearly` (and
/// `@annually`, `@midnight`). croner's extensions (`L`, `W`, `#`, `+`) have no calendar
/// form and are refused.
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    let trimmed = expr.trim();
    let expanded = match trimmed.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
        "@monthly" => "0 0 1 * *".to_string(),
        "@weekly" => "0 0 * * 0".to_string(),
        "@daily" | "@midnight" => "0 0 * * *".to_string(),
        "@hourly" => "0 * * * *".to_string(),
        other if other.starts_with('@') => {
            return Err(format!(
                "'{trimmed}' is not a cron nickname this export knows (accepted: @hourly, @daily, @weekly, @monthly, @yearly)"
            ))
        }
        _ => trimmed.to_string(),
    };
    let parts: Vec<&str> = expanded.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "cron '{trimmed}' has {} fields (accepted: 5)",
            parts.len()
        ));
    }
    let mut fields = [Field {
        bits: 0,
        star: false,
    }; 5];
    for (i, (part, spec)) in parts.iter().zip(SPECS.iter()).enumerate() {
        fields[i] = parse_field(part, spec)?;
    }
    let mut weekdays = fields[4];
    if weekdays.bits & (1 << 7) != 0 {
        weekdays.bits = (weekdays.bits & !(1 << 7)) | 1; // 7 is Sunday too
    }
    Ok(Cron {
        minutes: fields[0],
        hours: fields[1],
        days: fields[2],
        months: fields[3],
        weekdays,
    })
}

fn parse_field(text: &str, spec: &Spec) -> Result<Field, String> {
    let lower = text.to_ascii_lowercase();
    // croner reads `?` as `*` in the day fields.
    let lower = match (spec.name, lower.as_str()) {
        ("day-of-month" | "day-of-week", "?") => "*".to_string(),
        _ => lower,
    };
    let mut bits = 0u64;
    for item in lower.split(',') {
        bits |= parse_item(item, spec).ok_or_else(|| {
            format!(
                "cron {} field '{text}' has no calendar translation (accepted: numbers, names, *, ranges a-b, steps /n and lists)",
                spec.name
            )
        })?;
    }
    Ok(Field {
        bits,
        star: lower == "*",
    })
}

fn parse_item(item: &str, spec: &Spec) -> Option<u64> {
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(step.parse::<u32>().ok().filter(|s| *s > 0)?)),
        None => (item, None),
    };
    let (low, high) = if range == "*" {
        (spec.min, spec.max)
    } else if let Some((a, b)) = range.split_once('-') {
        (value(a, spec)?, value(b, spec)?)
    } else {
        let a = value(range, spec)?;
        // `a/n` means from a to the end, as in croner and Vixie cron.
        (a, if step.is_some() { spec.max } else { a })
    };
    if low > high {
        return None;
    }
    let step = step.unwrap_or(1);
    let mut bits = 0u64;
    let mut v = low;
    while v <= high {
        bits |= 1 << v;
        v += step;
    }
    Some(bits)
}

fn value(text: &str, spec: &Spec) -> Option<u32> {
    let v = match spec.names.iter().position(|n| *n == text) {
        Some(i) => i as u32 + spec.first,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()?
        }
        None => return None,
    };
    (spec.min..=spec.max).contains(&v).then_some(v)
}

fn values(bits: u64) -> Vec<u32> {
    (0..64).filter(|v| bits & (1 << v) != 0).collect()
}

fn full(bits: u64, min: u32, max: u32) -> bool {
    (min..=max).all(|v| bits & (1 << v) != 0)
}

/// How the days of a cron expression are chosen (croner: a field written `*` is
/// ignored; two restricted fields match a day when either does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    Every,
    OfMonth,
    OfWeek,
    Either,
}

impl Cron {
    fn day_rule(&self) -> Days {
        match (self.days.star, self.weekdays.star) {
            (true, true) => Days::Every,
            (false, true) => Days::OfMonth,
            (true, false) => Days::OfWeek,
            (false, false) => Days::Either,
        }
    }

    /// True when `at` (a whole minute) is one of the expression's fires in `zone`:
    /// every field matches its local time, days by croner's rule.
    pub fn fires_at(&self, at: DateTime<Utc>, zone: Tz) -> bool {
        let local = at.with_timezone(&zone);
        let has = |field: &Field, v: u32| field.bits & (1 << v) != 0;
        let day = has(&self.days, local.day());
        let weekday = has(&self.weekdays, local.weekday().num_days_from_sunday());
        let day_ok = match self.day_rule() {
            Days::Every => true,
            Days::OfMonth => day,
            Days::OfWeek => weekday,
            Days::Either => day || weekday,
        };
        at.timestamp() % 60 == 0
            && has(&self.minutes, local.minute())
            && has(&self.hours, local.hour())
            && has(&self.months, local.month())
            && day_ok
    }

    /// True when every fire falls on a minute that a zone's offset change cannot move:
    /// the hour and day fields are `*` (a minute pattern repeated every hour).
    fn every_hour_every_day(&self) -> bool {
        full(self.hours.bits, 0, 23)
            && self.day_rule() == Days::Every
            && full(self.months.bits, 1, 12)
    }
}

/// systemd's form of a numeric field: `*`, `a/n` (a progression to the field's end),
/// `a..b` runs, lists.
fn systemd_list(bits: u64, min: u32, max: u32) -> String {
    if full(bits, min, max) {
        return "*".to_string();
    }
    let vals = values(bits);
    // Three values or more; two read better as a list (`09,17`, not `09/8`).
    if vals.len() >= 3 {
        let step = vals[1] - vals[0];
        let progression = vals.windows(2).all(|w| w[1] - w[0] == step);
        if progression && step > 1 && vals[vals.len() - 1] + step > max {
            return format!("{:02}/{step}", vals[0]);
        }
    }
    runs(&vals)
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => format!("{a:02}"),
            1 => format!("{a:02},{b:02}"),
            _ => format!("{a:02}..{b:02}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn runs(vals: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in vals {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == v => *end = v,
            _ => out.push((v, v)),
        }
    }
    out
}

fn systemd_weekdays(bits: u64) -> String {
    runs(&values(bits))
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => SYSTEMD_DAYS[a as usize].to_string(),
            1 => format!("{},{}", SYSTEMD_DAYS[a as usize], SYSTEMD_DAYS[b as usize]),
            _ => format!("{}..{}", SYSTEMD_DAYS[a as usize], SYSTEMD_DAYS[b as usize]),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// cron's form of a field: `*` or a plain list (understood by every cron parser).
fn cron_list(bits: u64, min: u32, max: u32) -> String {
    if full(bits, min, max) {
        return "*".to_string();
    }
    runs(&values(bits))
        .into_iter()
        .map(|(a, b)| match a == b {
            true => a.to_string(),
            false => format!("{a}-{b}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A cron series as `OnCalendar=` values in `zone`: one line, or two when both day
/// fields are restricted (cron matches either; systemd ORs its `OnCalendar=` lines).
/// A zone whose clocks change is refused where a fire could fall in a changed hour:
/// there systemd and defer differ (measured with `systemd-analyze calendar`: systemd
/// skips a time the spring-forward gap removes and fires a repeated hour once; defer
/// runs a gap's fixed time after the gap and a wildcard in both passes, SPEC §19). A wildcard minute
/// pattern that runs every hour of every day is written in UTC instead, which is exact
/// when the zone's offsets are whole hours.
pub fn cron_on_calendar(expr: &str, zone: Tz, now: DateTime<Utc>) -> Result<Vec<String>, String> {
    let cron = parse_cron(expr)?;
    let zone_name = zone_for(&cron, expr, zone, now)?;
    let time = format!(
        "{}:{}:00",
        systemd_list(cron.hours.bits, 0, 23),
        systemd_list(cron.minutes.bits, 0, 59)
    );
    let months = systemd_list(cron.months.bits, 1, 12);
    let days = systemd_list(cron.days.bits, 1, 31);
    let weekdays = systemd_weekdays(cron.weekdays.bits);
    let line = |weekdays: Option<&str>, days: &str| match weekdays {
        Some(w) => format!("{w} *-{months}-{days} {time} {zone_name}"),
        None => format!("*-{months}-{days} {time} {zone_name}"),
    };
    Ok(match cron.day_rule() {
        Days::Every => vec![line(None, "*")],
        Days::OfMonth => vec![line(None, &days)],
        Days::OfWeek => vec![line(Some(&weekdays), "*")],
        Days::Either if full(cron.days.bits, 1, 31) || full(cron.weekdays.bits, 0, 6) => {
            vec![line(None, "*")]
        }
        Days::Either => vec![line(None, &days), line(Some(&weekdays), "*")],
    })
}

/// A cron series as one Kubernetes CronJob schedule plus its `timeZone`: the same
/// fires, written with numbers and plain lists so no parser's reading of `*/n` or of
/// names matters.
pub fn cron_schedule(expr: &str, zone: Tz, now: DateTime<Utc>) -> Result<(String, String), String> {
    let cron = parse_cron(expr)?;
    let zone_name = zone_for(&cron, expr, zone, now)?;
    let (days, weekdays) = match cron.day_rule() {
        Days::Every => ("*".to_string(), "*".to_string()),
        Days::OfMonth => (cron_list(cron.days.bits, 1, 31), "*".to_string()),
        Days::OfWeek => ("*".to_string(), cron_list(cron.weekdays.bits, 0, 6)),
        Days::Either if full(cron.days.bits, 1, 31) || full(cron.weekdays.bits, 0, 6) => {
            ("*".to_string(), "*".to_string())
        }
        Days::Either => (
            cron_list(cron.days.bits, 1, 31),
            cron_list(cron.weekdays.bits, 0, 6),
        ),
    };
    let schedule = format!(
        "{} {} {days} {} {weekdays}",
        cron_list(cron.minutes.bits, 0, 59),
        cron_list(cron.hours.bits, 0, 23),
        cron_list(cron.months.bits, 1, 12),
    );
    let zone_name = match zone_name.as_str() {
        "UTC" => "Etc/UTC".to_string(),
        other => other.to_string(),
    };
    Ok((schedule, zone_name))
}

/// The zone to write: the series' own, or `UTC` for a minute pattern that runs every
/// hour in a zone whose offsets are whole hours; an error when the clocks change in an
/// hour the expression fires in.
fn zone_for(cron: &Cron, expr: &str, zone: Tz, now: DateTime<Utc>) -> Result<String, String> {
    let changes = clock_changes(zone, now);
    if changes.hours == 0 {
        return Ok(zone.name().to_string());
    }
    // In UTC every pass of a repeated hour fires, as a wildcard does (SPEC §19); a
    // fixed-time `0 0-23 * * *` fires a repeated hour once, so it stays refused.
    let wildcard = crate::series::dst::kind_of(expr) == crate::series::dst::CronKind::Wildcard;
    if cron.every_hour_every_day() && changes.whole_hours && wildcard {
        return Ok("UTC".to_string());
    }
    let hit = cron.hours.bits & changes.hours;
    if hit != 0 {
        let hours: Vec<String> = values(hit).iter().map(|h| format!("{h:02}:00")).collect();
        return Err(format!(
            "cron '{}' fires at {} in {}, an hour its clocks change in, where systemd timers and Kubernetes skip or repeat fires differently from defer; re-create the series in UTC or at other hours to export it",
            expr.trim(),
            hours.join(", "),
            zone.name()
        ));
    }
    Ok(zone.name().to_string())
}

/// The local hours a zone's offset changes touch (bit set), over ten years from `now`,
/// and whether all its offsets in that time are whole hours.
struct Changes {
    hours: u64,
    whole_hours: bool,
}

fn clock_changes(zone: Tz, now: DateTime<Utc>) -> Changes {
    let offset_at = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc()).fix();
    let start = now - TimeDelta::days(1);
    let mut at = start
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .unwrap_or(start);
    let end = start + TimeDelta::days(3653);
    let mut before = offset_at(at);
    let mut changes = Changes {
        hours: 0,
        whole_hours: before.local_minus_utc() % 3600 == 0,
    };
    // Look hour by hour; within an hour that changed, find the quarter hour it did.
    while at < end {
        let hour_later = at + TimeDelta::hours(1);
        if offset_at(hour_later) == before {
            at = hour_later;
            continue;
        }
        let mut next = at + TimeDelta::minutes(15);
        while offset_at(next) == before {
            next += TimeDelta::minutes(15);
        }
        let after = offset_at(next);
        changes.whole_hours &= after.local_minus_utc() % 3600 == 0;
        // Local wall-clock times on both sides of the change span the gap or the
        // repeated interval: mark every hour they touch.
        let a = next.naive_utc() + TimeDelta::seconds(before.local_minus_utc() as i64);
        let b = next.naive_utc() + TimeDelta::seconds(after.local_minus_utc() as i64);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut t = lo;
        while t < hi {
            changes.hours |= 1 << t.hour();
            t += TimeDelta::minutes(15);
        }
        before = after;
        at = next;
    }
    changes
}

/// The fires of an interval within the shortest of an hour, a day or a week that it
/// divides, as UTC (weekday, hour, minute, second) tuples; a fixed interval repeats that
/// pattern for ever. An interval that divides none of them drifts against every
/// calendar and is refused.
fn interval_pattern(
    every: &str,
    seconds: u64,
    anchor: DateTime<Utc>,
) -> Result<(u64, Vec<[u32; 4]>), String> {
    let period = [3_600u64, 86_400, 604_800]
        .into_iter()
        .find(|p| seconds > 0 && p % seconds == 0)
        .ok_or_else(|| {
            format!(
                "interval '{every}' divides no hour, day or week, so its fires drift against every calendar and no timer or CronJob schedule matches them (accepted: intervals that divide an hour, a day or a week, e.g. 15m, 2h, 1d, 1w; re-create the series with --cron to export it)"
            )
        })?;
    let week_start = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(3); // a Sunday
    let offset = (anchor - week_start)
        .num_seconds()
        .rem_euclid(period as i64) as u64;
    let mut tuples: Vec<[u32; 4]> = (0..period / seconds)
        .map(|k| {
            let t = week_start + TimeDelta::seconds(((offset + k * seconds) % period) as i64);
            let weekday = match period {
                604_800 => t.weekday().num_days_from_sunday(),
                _ => 7, // any day
            };
            [weekday, t.hour(), t.minute(), t.second()]
        })
        .collect();
    if period == 3_600 {
        for t in &mut tuples {
            t[1] = 24; // any hour
        }
    }
    tuples.sort_unstable();
    tuples.dedup();
    Ok((period, tuples))
}

/// An interval series as `OnCalendar=` lines in UTC (its fires are fixed seconds apart,
/// so UTC is their exact zone): the pattern of fires within an hour, day or week, each
/// group of fires that shares all but its coarsest field on one line.
pub fn every_on_calendar(
    every: &str,
    seconds: u64,
    anchor: DateTime<Utc>,
) -> Result<Vec<String>, String> {
    let (period, tuples) = interval_pattern(every, seconds, anchor)?;
    // Group by everything finer than the coarsest field of the period.
    let mut groups: BTreeMap<(u32, u32, u32), u64> = BTreeMap::new();
    for [weekday, hour, minute, second] in tuples {
        let (key, value) = match period {
            3_600 => ((second, 0, 0), minute),
            86_400 => ((minute, second, 0), hour),
            _ => ((hour, minute, second), weekday),
        };
        *groups.entry(key).or_insert(0) |= 1 << value;
    }
    if groups.len() > MAX_LINES {
        return Err(format!(
            "interval '{every}' would need {} OnCalendar= lines (at most {MAX_LINES}); re-create the series with --cron or a rounder interval to export it",
            groups.len()
        ));
    }
    Ok(groups
        .into_iter()
        .map(|(key, bits)| match period {
            3_600 => format!("*-*-* *:{}:{:02} UTC", systemd_list(bits, 0, 59), key.0),
            86_400 => format!(
                "*-*-* {}:{:02}:{:02} UTC",
                systemd_list(bits, 0, 23),
                key.0,
                key.1
            ),
            _ => format!(
                "{} *-*-* {:02}:{:02}:{:02} UTC",
                systemd_weekdays(bits),
                key.0,
                key.1,
                key.2
            ),
        })
        .collect())
}

/// An interval series as one CronJob schedule in `Etc/UTC`: only when its fires are on
/// whole minutes and form one cron pattern (every minute set × hour set × weekday set).
pub fn every_schedule(every: &str, seconds: u64, anchor: DateTime<Utc>) -> Result<String, String> {
    let (_, tuples) = interval_pattern(every, seconds, anchor)?;
    if let Some(t) = tuples.iter().find(|t| t[3] != 0) {
        return Err(format!(
            "interval '{every}' fires at second {} of a minute, and a CronJob schedule has whole minutes only; re-create the series with --when on a whole minute to export it",
            t[3]
        ));
    }
    let (mut weekdays, mut hours, mut minutes) = (0u64, 0u64, 0u64);
    for [weekday, hour, minute, _] in &tuples {
        weekdays |= 1 << weekday;
        hours |= 1 << hour;
        minutes |= 1 << minute;
    }
    let size = |bits: u64| bits.count_ones() as usize;
    if size(weekdays) * size(hours) * size(minutes) != tuples.len() {
        return Err(format!(
            "interval '{every}' has no single cron pattern (its fires shift minute from hour to hour); re-create the series with --cron to export it"
        ));
    }
    let field = |bits: u64, any: u32, min: u32, max: u32| match bits == 1 << any {
        true => "*".to_string(),
        false => cron_list(bits, min, max),
    };
    Ok(format!(
        "{} {} * * {}",
        cron_list(minutes, 0, 59),
        field(hours, 24, 0, 23),
        field(weekdays, 7, 0, 6)
    ))
}

#[cfg(test)]
mod tests;
