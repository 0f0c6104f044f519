//! The grammar: tokens → `Expr` (now, a duration, a clock time, a day at an optional
//! time), and ISO 8601 instants with an explicit offset. Nothing is placed in time here.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};

use super::clock::{bare_hour, parse_clock_all, parse_clock_prefix};
use super::duration::parse_duration;
use super::lex::{
    day_of_month, is_iso_date_shape, is_year, iso_date, month, saturating_number, weekday,
};

/// What an expression says, before it is placed on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expr {
    Now,
    /// `seconds` and `months` saturate at `u64::MAX` on overflow (rejected later).
    /// Months are calendar months (same day and wall time); seconds are exact.
    Duration {
        months: u64,
        seconds: u64,
        negative: bool,
    },
    /// A bare clock time: its next occurrence strictly after now.
    NextClock(NaiveTime),
    /// A day, optionally at a clock time.
    At {
        day: DayRef,
        clock: Option<NaiveTime>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DayRef {
    Today,
    Tomorrow,
    /// `next friday` (`next: true`) or bare `friday`.
    Weekday {
        day: Weekday,
        next: bool,
    },
    Date(NaiveDate),
    /// A month-name date without a year: its next occurrence from today.
    MonthDay {
        month: u32,
        day: u32,
    },
    /// `next week` / `next month` / `next year`: today plus calendar days or months
    /// (the day clamped to the month's last).
    Later {
        months: u32,
        days: u64,
    },
}

pub(super) fn parse_expr(t: &[&str]) -> Option<Expr> {
    if t == ["now"] {
        return Some(Expr::Now);
    }
    parse_duration_expr(t)
        .or_else(|| parse_clock_all(t).map(Expr::NextClock))
        .or_else(|| parse_day_then_clock(t))
        .or_else(|| parse_clock_then_day(t))
        .or_else(|| parse_at_clock(t))
}

/// `at 9am`, `at noon tomorrow`: a leading `at` before a clock-first form.
pub(super) fn parse_at_clock(t: &[&str]) -> Option<Expr> {
    let rest = t.strip_prefix(&["at"])?;
    parse_clock_all(rest)
        .map(Expr::NextClock)
        .or_else(|| parse_clock_then_day(rest))
}

/// `[in] [+|-] <number unit>...`
pub(super) fn parse_duration_expr(t: &[&str]) -> Option<Expr> {
    let body = match t {
        ["in", rest @ ..] => rest.join(" "),
        _ => t.join(" "),
    };
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.strip_prefix('+').unwrap_or(&body)),
    };
    let (months, seconds) = parse_duration(body)?;
    Some(Expr::Duration {
        months,
        seconds,
        negative,
    })
}

/// `<day> [[at] <clock>]`
pub(super) fn parse_day_then_clock(t: &[&str]) -> Option<Expr> {
    let (day, used) = parse_day_prefix(t)?;
    let rest = &t[used..];
    if rest.is_empty() {
        return Some(Expr::At { day, clock: None });
    }
    let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
    let clock = parse_clock_all(rest).or_else(|| match rest {
        [hour] if is_day_word(day) => bare_hour(hour),
        _ => None,
    })?;
    Some(Expr::At {
        day,
        clock: Some(clock),
    })
}

/// Days named by a word, after which a bare number is an hour (`tomorrow 9`).
pub(super) fn is_day_word(day: DayRef) -> bool {
    matches!(
        day,
        DayRef::Today | DayRef::Tomorrow | DayRef::Weekday { .. }
    )
}

/// `<clock> [on] <day>`, e.g. `9am tomorrow`, `noon on friday`.
pub(super) fn parse_clock_then_day(t: &[&str]) -> Option<Expr> {
    let (clock, used) = parse_clock_prefix(t)?;
    let rest = &t[used..];
    let rest = rest.strip_prefix(&["on"]).unwrap_or(rest);
    let (day, used) = parse_day_prefix(rest)?;
    (used == rest.len()).then_some(Expr::At {
        day,
        clock: Some(clock),
    })
}

pub(super) fn parse_day_prefix(t: &[&str]) -> Option<(DayRef, usize)> {
    match t {
        ["today", ..] => Some((DayRef::Today, 1)),
        ["tomorrow", ..] => Some((DayRef::Tomorrow, 1)),
        ["next", "week", ..] => Some((DayRef::Later { months: 0, days: 7 }, 2)),
        ["next", "month", ..] => Some((DayRef::Later { months: 1, days: 0 }, 2)),
        ["next", "year", ..] => Some((
            DayRef::Later {
                months: 12,
                days: 0,
            },
            2,
        )),
        ["next", word, ..] => weekday(word).map(|day| (DayRef::Weekday { day, next: true }, 2)),
        [word, ..] if weekday(word).is_some() => {
            weekday(word).map(|day| (DayRef::Weekday { day, next: false }, 1))
        }
        [word, ..] if is_iso_date_shape(word) => iso_date(word).map(|d| (DayRef::Date(d), 1)),
        _ => parse_month_date(t),
    }
}

/// `dec 1`, `december 1st 2026`, `1 dec`, `1 dec 2026`.
pub(super) fn parse_month_date(t: &[&str]) -> Option<(DayRef, usize)> {
    let (month, day) = match t {
        [a, b, ..] if month(a).is_some() => (month(a)?, day_of_month(b)?),
        [a, b, ..] => (month(b)?, day_of_month(a)?),
        _ => return None,
    };
    match t.get(2).filter(|w| is_year(w)) {
        Some(year) => {
            let year = i32::try_from(saturating_number(year)).ok()?;
            NaiveDate::from_ymd_opt(year, month, day).map(|d| (DayRef::Date(d), 3))
        }
        // Valid in some year (2000 is a leap year, so `feb 29` passes).
        None => {
            NaiveDate::from_ymd_opt(2000, month, day).map(|_| (DayRef::MonthDay { month, day }, 2))
        }
    }
}

/// ISO 8601 with an explicit offset (`Z`, `+02:00`, `+0200`): an exact instant.
pub(super) fn parse_iso_instant(text: &str) -> Option<DateTime<Utc>> {
    if !text.get(..10).is_some_and(is_iso_date_shape) {
        return None;
    }
    let upper = join_trailing_offset(&text.to_uppercase());
    let normal = match upper.strip_suffix('Z') {
        Some(rest) => format!("{rest}+00:00"),
        None => upper,
    };
    const FORMATS: [&str; 8] = [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M%z",
    ];
    FORMATS
        .iter()
        .find_map(|format| DateTime::parse_from_str(&normal, format).ok())
        .map(|at| at.with_timezone(&Utc))
}

/// `2026-12-01 09:00 +02:00` → `2026-12-01 09:00+02:00` (a spaced offset or `Z`).
pub(super) fn join_trailing_offset(text: &str) -> String {
    match text.rsplit_once(' ') {
        Some((head, offset)) if offset == "Z" || offset.starts_with(['+', '-']) => {
            format!("{head}{offset}")
        }
        _ => text.to_string(),
    }
}
