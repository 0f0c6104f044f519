//! `--since` (`defer history`): a time expression read backwards. Pure.
//!
//! The `--when` grammar looks forward (a bare `9am` already past means tomorrow); a
//! lower bound looks back. So, seen from `now` in `tz`:
//! - a duration means that long ago: `2h`, `2 hours`, `1d2h`, `2h ago`, `in 2h`
//!   (calendar months count back whole months: `1mo` on Mar 31 is Feb 28);
//! - a bare clock time is its latest instant at or before now (`9am` at 08:00 is
//!   yesterday's 9am), and so are a bare weekday (`friday`, `friday 5pm`: this week's
//!   if already begun, else last week's) and a month-name date without a year (`dec 1`);
//! - `last week` and `last month` mean now minus 7 days / one calendar month;
//! - a day without a time starts at 00:00: `today`, `yesterday`, `friday`, `2026-12-01`;
//!   `yesterday [at] <clock>` is accepted here too;
//! - everything else (ISO 8601, `today 9am`, dates with a year) means what `--when`
//!   says it means.
//!
//! The result must not be after `now`: a bound in the future (`tomorrow`, `next week`)
//! is an error, not an empty answer.

use std::fmt;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::clock::parse_clock_all;
use super::lex::tokenize;
use super::syntax::{parse_expr, parse_iso_instant, DayRef, Expr};
use super::timeline::{evaluate, instants, local_now};
use super::{Reason, WhenError};

/// Why a `--since` expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinceError {
    /// Not an expression of the `--when` grammar (the grammar's own reason).
    When(WhenError),
    /// A well-formed expression naming an instant after now.
    Future(DateTime<Utc>),
    /// `... ago` after something that is not a duration.
    AgoNeedsDuration,
    /// Not a form `--since` knows.
    Unrecognised,
}

const ACCEPTED: &str = "2h, 3 days, 30m ago, 1mo, last week, last month, 9am, 17:30, today, \
     yesterday, yesterday 5pm, friday, dec 1, 2026-12-01, 2026-12-01 09:00, 2026-12-01T09:00:00Z";

impl fmt::Display for SinceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinceError::When(e) => write!(f, "{e}"),
            SinceError::Future(at) => write!(
                f,
                "{} is in the future (accepted: a duration meaning that long ago, or a past \
                 time: {ACCEPTED})",
                crate::timestamp::Timestamp::new(*at)
            ),
            SinceError::AgoNeedsDuration => {
                write!(f, "'ago' follows a duration (accepted: 2h ago, 3 days ago)")
            }
            SinceError::Unrecognised => {
                write!(f, "unrecognised expression (accepted: {ACCEPTED})")
            }
        }
    }
}

impl std::error::Error for SinceError {}

impl From<Reason> for SinceError {
    fn from(reason: Reason) -> Self {
        SinceError::When(reason.into())
    }
}

/// The instant `input` names as a lower bound, seen from `now` (see the module doc).
pub fn since(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, SinceError> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = match parse_iso_instant(&text) {
        Some(at) => at,
        None => resolve(&text, now, tz)?,
    };
    match at > now {
        true => Err(SinceError::Future(at)),
        false => Ok(at),
    }
}

fn resolve(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, SinceError> {
    let owned = tokenize(text);
    let mut tokens: Vec<&str> = owned.iter().map(String::as_str).collect();
    let ago = tokens.last() == Some(&"ago");
    if ago {
        tokens.pop();
    }
    let today = local_now(now, tz)?.date();
    if let Some(rest) = tokens.strip_prefix(&["yesterday"]) {
        let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
        let clock = match rest {
            [] => NaiveTime::MIN,
            _ => parse_clock_all(rest).ok_or_else(|| unrecognised(text, now, tz))?,
        };
        return match ago {
            true => Err(SinceError::AgoNeedsDuration),
            false => day_start(tz, yesterday(today)?, clock),
        };
    }
    let last = match tokens.as_slice() {
        ["last", "week"] => Some((0, 7 * 86_400)),
        ["last", "month"] => Some((1, 0)),
        _ => None,
    };
    if let Some((months, seconds)) = last {
        return match ago {
            true => Err(SinceError::AgoNeedsDuration),
            false => Ok(back(now, tz, months, seconds)?),
        };
    }
    let expr = parse_expr(&tokens).ok_or_else(|| unrecognised(text, now, tz))?;
    if ago && !matches!(expr, Expr::Duration { .. }) {
        return Err(SinceError::AgoNeedsDuration);
    }
    Ok(match expr {
        Expr::Duration {
            months,
            seconds,
            negative: false,
        } if months > 0 || seconds > 0 => back(now, tz, months, seconds)?,
        Expr::Duration { .. } => return Err(Reason::NotPositive.into()),
        Expr::NextClock(time) => latest_clock(now, tz, time, today)?,
        Expr::At {
            day: DayRef::Today,
            clock,
        } => day_start(tz, today, clock.unwrap_or(NaiveTime::MIN))?,
        Expr::At {
            day: DayRef::Weekday { day, next: false },
            clock,
        } => latest_on(now, tz, clock, today, |date| date.weekday() == day)?,
        Expr::At {
            day: DayRef::MonthDay { month, day },
            clock,
        } => latest_on(now, tz, clock, today, |date| {
            date.month() == month && date.day() == day
        })?,
        other => evaluate(other, now, tz)?,
    })
}

/// The grammar's own diagnosis for an unparsed expression (a zone suffix, an
/// impossible clock...), or the forms `--since` accepts when it has nothing better.
fn unrecognised(text: &str, now: DateTime<Utc>, tz: Tz) -> SinceError {
    match super::parse(text, now, tz) {
        Err(e) if !matches!(e.reason, Reason::Unrecognised | Reason::Trailing(_)) => {
            SinceError::When(e)
        }
        _ => SinceError::Unrecognised,
    }
}

fn yesterday(today: NaiveDate) -> Result<NaiveDate, Reason> {
    today.pred_opt().ok_or(Reason::OutOfRange)
}

/// `now` minus calendar `months` (same wall time, the day clamped) minus `seconds`.
fn back(now: DateTime<Utc>, tz: Tz, months: u64, seconds: u64) -> Result<DateTime<Utc>, Reason> {
    let mut at = now;
    if months > 0 {
        let local = local_now(now, tz)?;
        let months = u32::try_from(months).map_err(|_| Reason::OutOfRange)?;
        let date = local
            .date()
            .checked_sub_months(Months::new(months))
            .ok_or(Reason::OutOfRange)?;
        at = earliest(tz, date.and_time(local.time()))?;
    }
    let delta = i64::try_from(seconds)
        .ok()
        .and_then(chrono::TimeDelta::try_seconds)
        .ok_or(Reason::OutOfRange)?;
    at.checked_sub_signed(delta).ok_or(Reason::OutOfRange)
}

/// The latest instant at or before now at which the wall clock showed `time` (either
/// pass of a fall-back hour; a time in a spring-forward gap moved forward by the gap).
fn latest_clock(
    now: DateTime<Utc>,
    tz: Tz,
    time: NaiveTime,
    today: NaiveDate,
) -> Result<DateTime<Utc>, Reason> {
    let mut best = None;
    for date in [
        today.pred_opt(),
        today.pred_opt().and_then(|d| d.pred_opt()),
        Some(today),
    ]
    .into_iter()
    .flatten()
    {
        for at in instants(tz, date.and_time(time))? {
            if at <= now && best.is_none_or(|b| at > b) {
                best = Some(at);
            }
        }
    }
    best.ok_or(Reason::OutOfRange)
}

/// The latest day matching `is_day` (today included, up to a year and a week back)
/// whose `clock` (00:00 without one) is at or before now.
fn latest_on(
    now: DateTime<Utc>,
    tz: Tz,
    clock: Option<NaiveTime>,
    today: NaiveDate,
    is_day: impl Fn(NaiveDate) -> bool,
) -> Result<DateTime<Utc>, Reason> {
    let time = clock.unwrap_or(NaiveTime::MIN);
    for back in 0..=(366 * 8) {
        let date = today
            .checked_sub_days(Days::new(back))
            .ok_or(Reason::OutOfRange)?;
        if is_day(date) {
            let at = earliest(tz, date.and_time(time))?;
            if at <= now {
                return Ok(at);
            }
        }
    }
    Err(Reason::OutOfRange)
}

/// `date` at `time` in `tz`: the earlier pass of an ambiguous time (the wider bound).
fn day_start(tz: Tz, date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, SinceError> {
    Ok(earliest(tz, date.and_time(time))?)
}

fn earliest(tz: Tz, local: NaiveDateTime) -> Result<DateTime<Utc>, Reason> {
    Ok(instants(tz, local)?[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const NY: Tz = Tz::America__New_York;

    /// 2026-12-01 (a Tuesday) 10:00 in New York = 15:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap()
    }

    fn s(text: &str) -> String {
        crate::timestamp::Timestamp::new(since(text, now(), NY).unwrap()).to_string()
    }

    #[test]
    fn durations_mean_ago() {
        assert_eq!(s("2h"), "2026-12-01T13:00:00Z");
        assert_eq!(s("2 hours"), "2026-12-01T13:00:00Z");
        assert_eq!(s("2h ago"), "2026-12-01T13:00:00Z");
        assert_eq!(s("in 2h"), "2026-12-01T13:00:00Z");
        assert_eq!(s("1d2h30m"), "2026-11-30T12:30:00Z");
        assert_eq!(s("1w"), "2026-11-24T15:00:00Z");
        // Calendar month back: Nov 1 10:00 EST (after the 2am fall-back) is 15:00 UTC.
        assert_eq!(s("1mo"), "2026-11-01T15:00:00Z");
        assert_eq!(s("now"), "2026-12-01T15:00:00Z");
    }

    #[test]
    fn last_week_and_last_month_count_back() {
        assert_eq!(s("last week"), "2026-11-24T15:00:00Z");
        assert_eq!(s("Last Month"), "2026-11-01T15:00:00Z");
        let ago = since("last week ago", now(), NY).unwrap_err();
        assert_eq!(ago, SinceError::AgoNeedsDuration);
    }

    #[test]
    fn clock_times_look_back() {
        assert_eq!(s("9am"), "2026-12-01T14:00:00Z", "today, already past");
        assert_eq!(
            s("11am"),
            "2026-11-30T16:00:00Z",
            "not yet today: yesterday's"
        );
        assert_eq!(s("10:00"), "2026-12-01T15:00:00Z", "inclusive: now itself");
        assert_eq!(s("noon"), "2026-11-30T17:00:00Z");
        assert_eq!(s("midnight"), "2026-12-01T05:00:00Z");
    }

    #[test]
    fn days_start_at_midnight() {
        assert_eq!(s("today"), "2026-12-01T05:00:00Z");
        assert_eq!(s("today 9am"), "2026-12-01T14:00:00Z");
        assert_eq!(s("yesterday"), "2026-11-30T05:00:00Z");
        assert_eq!(s("yesterday 5pm"), "2026-11-30T22:00:00Z");
        assert_eq!(s("yesterday at 17:30"), "2026-11-30T22:30:00Z");
        assert_eq!(s("tuesday"), "2026-12-01T05:00:00Z", "today is Tuesday");
        assert_eq!(
            s("tuesday 11am"),
            "2026-11-24T16:00:00Z",
            "not yet: last week"
        );
        assert_eq!(s("friday"), "2026-11-27T05:00:00Z");
        assert_eq!(s("nov 30"), "2026-11-30T05:00:00Z");
        assert_eq!(s("dec 2"), "2025-12-02T05:00:00Z", "last year's");
        assert_eq!(s("2026-11-15"), "2026-11-15T05:00:00Z");
        assert_eq!(s("2026-11-15T08:00:00Z"), "2026-11-15T08:00:00Z");
    }

    #[test]
    fn dst_fall_back_clock_takes_the_latest_pass() {
        // 2026-11-01: New York falls back at 02:00 EDT → 01:00 EST.
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 6, 40, 0).unwrap(); // 01:40 EST
        let at = since("1:30am", now, NY).unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap());
    }

    #[test]
    fn bad_and_future_bounds() {
        let err = |text: &str| since(text, now(), NY).unwrap_err().to_string();
        assert!(
            err("flurble").contains("unrecognised expression"),
            "{}",
            err("flurble")
        );
        assert!(
            err("tomorrow").contains("is in the future"),
            "{}",
            err("tomorrow")
        );
        assert!(err("next week").contains("is in the future"));
        assert!(err("2027-01-01").contains("2027-01-01T05:00:00Z is in the future"));
        assert!(err("friday ago").contains("'ago' follows a duration"));
        assert!(err("0m").contains("positive"));
        assert!(err("-2h").contains("positive"));
        assert!(err("").contains("empty"));
        assert!(err("9am EST").contains("DEFER_TIMEZONE"));
    }
}
