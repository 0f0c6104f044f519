//! An `Expr` placed on the timeline from `now` in a zone: exact durations, calendar months,
//! the next wall-clock time, days; DST gaps roll forward, overlaps pick the right pass.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::syntax::{DayRef, Expr};
use super::Reason;

/// The instant `expr` names, seen from `now` with naive times in `tz`.
pub(super) fn evaluate(expr: Expr, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, Reason> {
    match expr {
        Expr::Now => Ok(now),
        Expr::Duration {
            months: 0,
            seconds,
            negative,
        } => add_duration(now, seconds, negative),
        Expr::Duration {
            months,
            seconds,
            negative,
        } => add_calendar(now, tz, months, seconds, negative),
        Expr::NextClock(time) => next_clock(now, tz, time),
        Expr::At {
            day: DayRef::Today,
            clock: None,
        } => Ok(now),
        Expr::At { day, clock } => at_day(now, tz, day, clock),
    }
}

/// Exact elapsed time: `1d` is 24 hours even across a DST change.
pub(super) fn add_duration(
    now: DateTime<Utc>,
    seconds: u64,
    negative: bool,
) -> Result<DateTime<Utc>, Reason> {
    if negative || seconds == 0 {
        return Err(Reason::NotPositive);
    }
    let delta = i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .ok_or(Reason::OutOfRange)?;
    now.checked_add_signed(delta).ok_or(Reason::OutOfRange)
}

/// The next instant strictly after now at which the wall clock shows `time`.
///
/// Both passes of a fall-back hour count (at 01:10 EST, the second pass,
/// `1:30am` is 20 minutes away); a time inside a spring-forward gap counts as
/// the gap-shifted instant. Yesterday's date is a candidate too, for zones whose
/// clocks fall back across midnight.
pub(super) fn next_clock(
    now: DateTime<Utc>,
    tz: Tz,
    time: NaiveTime,
) -> Result<DateTime<Utc>, Reason> {
    let today = local_now(now, tz)?.date();
    let dates = [today.pred_opt(), Some(today), today.succ_opt()];
    let mut best: Option<DateTime<Utc>> = None;
    for date in dates.into_iter().flatten() {
        for at in instants(tz, date.and_time(time))? {
            if at > now && best.is_none_or(|b| at < b) {
                best = Some(at);
            }
        }
    }
    best.ok_or(Reason::OutOfRange)
}

/// `in 2 months`, `1mo 2d`: the same wall time `months` calendar months on (the
/// day clamped to the month's last), then the exact seconds.
pub(super) fn add_calendar(
    now: DateTime<Utc>,
    tz: Tz,
    months: u64,
    seconds: u64,
    negative: bool,
) -> Result<DateTime<Utc>, Reason> {
    if negative {
        return Err(Reason::NotPositive);
    }
    let local = local_now(now, tz)?;
    let date = add_months(local.date(), months)?;
    let at = localize(tz, date.and_time(local.time()), now)?;
    match seconds {
        0 => Ok(at),
        _ => add_duration(at, seconds, false),
    }
}

pub(super) fn add_months(date: NaiveDate, months: u64) -> Result<NaiveDate, Reason> {
    let months = u32::try_from(months).map_err(|_| Reason::OutOfRange)?;
    date.checked_add_months(Months::new(months))
        .ok_or(Reason::OutOfRange)
}

pub(super) fn at_day(
    now: DateTime<Utc>,
    tz: Tz,
    day: DayRef,
    clock: Option<NaiveTime>,
) -> Result<DateTime<Utc>, Reason> {
    let local = local_now(now, tz)?;
    let today = local.date();
    let time = clock.unwrap_or(match day {
        DayRef::Date(_) | DayRef::MonthDay { .. } => NaiveTime::MIN,
        _ => local.time(),
    });
    let date = match day {
        DayRef::Today => today,
        DayRef::Tomorrow => add_days(today, 1)?,
        DayRef::Weekday { day, next: true } => add_days(today, days_until(today.weekday(), day))?,
        DayRef::Weekday { day, next: false } => return weekday_after(now, tz, day, time),
        DayRef::Date(date) => date,
        DayRef::MonthDay { month, day } => next_month_day(today, month, day)?,
        DayRef::Later { months, days } => add_days(add_months(today, u64::from(months))?, days)?,
    };
    localize(tz, date.and_time(time), now)
}

/// Days from `from` to the next `to`, 1..=7 (same weekday → a week).
pub(super) fn days_until(from: Weekday, to: Weekday) -> u64 {
    let ahead = (7 + to.num_days_from_monday() - from.num_days_from_monday()) % 7;
    u64::from(if ahead == 0 { 7 } else { ahead })
}

/// The first `day` at `time` strictly after now (today counts if still ahead).
pub(super) fn weekday_after(
    now: DateTime<Utc>,
    tz: Tz,
    day: Weekday,
    time: NaiveTime,
) -> Result<DateTime<Utc>, Reason> {
    let today = local_now(now, tz)?.date();
    for offset in 0..=7 {
        let date = add_days(today, offset)?;
        if date.weekday() == day {
            let at = localize(tz, date.and_time(time), now)?;
            if at > now {
                return Ok(at);
            }
        }
    }
    Err(Reason::OutOfRange)
}

/// This year's `month`/`day` if not before today, else the next year that has it.
pub(super) fn next_month_day(today: NaiveDate, month: u32, day: u32) -> Result<NaiveDate, Reason> {
    (today.year()..=today.year().saturating_add(8))
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .find(|date| *date >= today)
        .ok_or(Reason::OutOfRange)
}

pub(super) fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate, Reason> {
    date.checked_add_days(Days::new(days))
        .ok_or(Reason::OutOfRange)
}

/// Now's wall time in `tz` (checked: chrono panics at the edges of its range).
pub(super) fn local_now(now: DateTime<Utc>, tz: Tz) -> Result<NaiveDateTime, Reason> {
    let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    now.naive_utc()
        .checked_add_offset(offset)
        .ok_or(Reason::OutOfRange)
}

/// Local wall time → instant, for an explicit day. Ambiguous (fall back): the
/// earlier instant, unless that is already past and the later is not (at 01:10
/// EST, the second pass, `today 1:30am` is 01:30 EST). Inside a gap (spring
/// forward): moved forward by the gap's length.
pub(super) fn localize(
    tz: Tz,
    local: NaiveDateTime,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Reason> {
    let all = instants(tz, local)?;
    let earlier = all[0];
    Ok(if earlier > now {
        earlier
    } else {
        all.into_iter().find(|at| *at > now).unwrap_or(earlier)
    })
}

/// Every instant at which the wall clock in `tz` shows `local`, earliest first:
/// one, two in a fall-back overlap, or (in a spring-forward gap, which the clock
/// never shows) the time moved forward by the gap's length.
pub(super) fn instants(tz: Tz, local: NaiveDateTime) -> Result<Vec<DateTime<Utc>>, Reason> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => return Ok(vec![at.with_timezone(&Utc)]),
        LocalResult::Ambiguous(a, b) => {
            return Ok(vec![a.with_timezone(&Utc), b.with_timezone(&Utc)]);
        }
        LocalResult::None => {}
    }
    // Read the wall time with the offset in force before the gap.
    let probe = local
        .checked_sub_days(Days::new(1))
        .ok_or(Reason::OutOfRange)?;
    let before = tz.offset_from_utc_datetime(&probe).fix().local_minus_utc();
    let utc = local
        .checked_sub_signed(TimeDelta::seconds(i64::from(before)))
        .ok_or(Reason::OutOfRange)?;
    Ok(vec![Utc.from_utc_datetime(&utc)])
}
