//! Time expressions (`--when`): text → UTC instant, given `now` and a zone. Pure.
//!
//! Owns the whole `--when` grammar (see `docs/time-expressions.md`): durations,
//! calendar months, clock times, day phrases, weekdays, month-name dates and ISO
//! 8601, and the did-you-mean hint for misspelt words (`suggest`). Naive times are
//! local to the given zone; DST gaps roll forward; a bare clock time is the next
//! instant the wall clock shows it (either pass of a fall-back hour), an explicit
//! day's ambiguous time the earlier pass unless only the later is still ahead.
//! No I/O, no clock reads: `now` is always a parameter.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use std::fmt;

/// The instant an expression names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub at: DateTime<Utc>,
    /// True when the expression named an explicit instant earlier than `now`
    /// (e.g. a past ISO date, or `today 9am` after 9am). The caller warns on stderr.
    pub in_past: bool,
}

/// Why an expression was rejected. Display gives the reason only (no input,
/// no "defer:" prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenError {
    reason: Reason,
    /// The closest accepted form, for an unrecognised phrase with a misspelt word.
    suggestion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reason {
    Empty,
    Unrecognised,
    NotPositive,
    OutOfRange,
    ZoneSuffix(String),
    AmbiguousNumber(String),
    InvalidTime(String),
    InvalidDate(String),
    Trailing(String),
    Decimal(String),
}

const ACCEPTED: &str = "now, 10m, 1d2h30m, 1.5h, 2 hours, in 10m, in an hour, +30m, 9am, 21:00, \
     noon, midnight, tonight, eod, today 5pm, tomorrow 9am, tomorrow morning, tomorrow at 9, \
     next friday, monday 9am, dec 1 9am, in 2 months, next week, 2026-12-01 09:00, \
     2026-12-01T09:00:00Z";

impl From<Reason> for WhenError {
    fn from(reason: Reason) -> Self {
        WhenError {
            reason,
            suggestion: None,
        }
    }
}

impl fmt::Display for WhenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = match &self.suggestion {
            Some(s) => format!("did you mean '{s}'?"),
            None => String::new(),
        };
        match &self.reason {
            Reason::Empty => write!(f, "empty expression"),
            Reason::Unrecognised if !hint.is_empty() => {
                return write!(f, "unrecognised expression (accepted: {ACCEPTED}; {hint})");
            }
            Reason::Unrecognised => write!(f, "unrecognised expression (accepted: {ACCEPTED})"),
            Reason::NotPositive => write!(f, "duration must be positive"),
            Reason::OutOfRange => write!(f, "duration or date is out of range"),
            Reason::ZoneSuffix(zone) => write!(
                f,
                "time-zone suffix '{zone}' is not accepted; naive times use DEFER_TIMEZONE ({})",
                zone_hint(zone)
            ),
            Reason::AmbiguousNumber(n) => write!(
                f,
                "ambiguous number '{n}' (write a duration like {n}m or a clock time like 9am or 21:00)"
            ),
            Reason::InvalidTime(t) => write!(
                f,
                "invalid time of day '{t}' (hours 1-12 with am/pm, 00-23 otherwise; minutes 00-59)"
            ),
            Reason::InvalidDate(d) => write!(f, "invalid date '{d}'"),
            Reason::Trailing(t) => write!(f, "unexpected trailing text '{t}'"),
            Reason::Decimal(d) => write!(
                f,
                "ambiguous decimal '{d}' (a decimal takes a unit of fixed length and makes \
                 whole seconds: 1.5h, 0.5d, 2.5m; months and years take whole numbers)"
            ),
        }?;
        match hint.is_empty() {
            true => Ok(()),
            false => write!(f, " ({hint})"),
        }
    }
}

impl std::error::Error for WhenError {}

/// A short table of example inputs and meanings, for `--help`.
pub const EXAMPLES: &str = "\
Time expressions (--when); naive times are in DEFER_TIMEZONE:
  now                         this instant
  10m, 2h, 1.5h, 1w           from now (m = minutes; 1d = exactly 24h; 1.5h = 90m)
  1d2h30m, 1h 30m             combined durations
  2 hours, 5 mins, 30 secs    verbose units
  in 10m, +30m, in an hour    same as 10m / 30m / 1h
  1mo, in 2 months, 1y        calendar months: same day and time (Jan 31+1mo = Feb 28)
  9am, 9:30pm, 21:00, 2100    next time the clock shows it (DST: either pass)
  noon, midnight, tonight     next 12:00 / 00:00 / 20:00 (also eod: 17:00)
  today 5pm, today at noon    today at that time (warns if already past)
  tomorrow                    tomorrow at the current time of day
  tomorrow 9am, tomorrow 9    tomorrow at 09:00 (also: tomorrow at 9am)
  tomorrow morning            09:00 (afternoon 14:00, evening 18:00, night 21:00)
  next friday 9am             first Friday after today, at 09:00
  friday at 14, mon 9am       next such day (and time) after now (also: this friday)
  next week, next month       same time 7 days / 1 month on (also next year)
  dec 1 at 9am, 1 dec 2026    month-name dates (no year: next occurrence)
  2026-12-01                  that day at 00:00 local
  2026-12-01 09:00            that local time
  2026-12-01T09:00:00Z        exact instant (offsets like +02:00 also fine)";

/// Resolve `input` to an instant, seen from `now`, reading naive times in `tz`.
pub fn parse(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<Resolved, WhenError> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(Reason::Empty.into());
    }
    let at = match parse_iso_instant(&text) {
        Some(at) => at,
        None => {
            let owned = tokenize(&text);
            let tokens: Vec<&str> = owned.iter().map(String::as_str).collect();
            let expr = parse_expr(&tokens).ok_or_else(|| {
                let mut error = diagnose(&tokens, &text);
                if matches!(error.reason, Reason::Unrecognised | Reason::Trailing(_)) {
                    error.suggestion = suggest::closest(&tokens, now, tz);
                }
                error
            })?;
            evaluate(expr, now, tz)?
        }
    };
    Ok(Resolved {
        at,
        in_past: at < now,
    })
}

/// Human relative form of `at` seen from `now`: "in 2h 5m", "5m ago", "now".
/// At most two adjacent units, largest first (d, h, m, s); the rest is truncated.
pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = at.signed_duration_since(now).num_seconds();
    if secs == 0 {
        return "now".to_string();
    }
    let text = span(secs.unsigned_abs());
    if secs > 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// A duration in at most two units, largest first: `2h 13m`, `3d 4h`, `45s`, `0s`.
pub fn span(secs: u64) -> String {
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    let shown: Vec<String> = parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    match shown.is_empty() {
        true => "0s".to_string(),
        false => shown.join(" "),
    }
}

// ---------------------------------------------------------------- syntax

/// What an expression says, before it is placed on the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expr {
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
enum DayRef {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClockParse {
    Time(NaiveTime),
    OutOfRange,
    NotAClock,
}

/// Lower-case words; `a.m.` → `am`, commas dropped, `dateTtime` split in two.
fn tokenize(text: &str) -> Vec<String> {
    let lower = text
        .to_lowercase()
        .replace("a.m.", "am")
        .replace("p.m.", "pm")
        .replace("a.m", "am")
        .replace("p.m", "pm")
        .replace(',', " ");
    let mut tokens = Vec::new();
    for word in lower.split_whitespace() {
        match word.split_once('t') {
            Some((date, time)) if is_iso_date_shape(date) && !time.is_empty() => {
                tokens.push(date.to_string());
                tokens.push(time.to_string());
            }
            _ => tokens.push(word.to_string()),
        }
    }
    phrases::normalize(tokens)
}

fn parse_expr(t: &[&str]) -> Option<Expr> {
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
fn parse_at_clock(t: &[&str]) -> Option<Expr> {
    let rest = t.strip_prefix(&["at"])?;
    parse_clock_all(rest)
        .map(Expr::NextClock)
        .or_else(|| parse_clock_then_day(rest))
}

/// `[in] [+|-] <number unit>...`
fn parse_duration_expr(t: &[&str]) -> Option<Expr> {
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

/// A fixed duration in seconds (`90s`, `1h 30m`, `2 days`): `None` unless the whole
/// text is `<digits><unit>` pairs of exact units (calendar months and years have no
/// fixed length). Shared by `--retry-delay`, `--every` and `--grace`.
pub fn parse_fixed_duration(text: &str) -> Option<u64> {
    match parse_duration(text)? {
        (0, seconds) => Some(seconds),
        _ => None,
    }
}

/// A duration option's value in seconds: a fixed duration (`90s`, `1m 30s`, `1.5h`) or,
/// as before units, a bare whole number of seconds (`90`). Every duration option
/// (`wait --timeout`, `--retry-delay`, `--every`, `--grace`) reads its value here.
pub fn parse_seconds(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    match text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        true => text.parse().ok(),
        false => parse_fixed_duration(&text),
    }
}

/// Sums of `<digits><spaces?><unit>` pairs as (months, seconds); `None` unless the
/// whole text is such pairs.
fn parse_duration(text: &str) -> Option<(u64, u64)> {
    let mut rest = text.trim_start();
    let (mut months, mut seconds) = (0u64, 0u64);
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let (digits, after) = split_leading(rest, |c| c.is_ascii_digit() || c == '.');
        let (unit, after) = split_leading(after.trim_start(), |c| c.is_ascii_alphabetic());
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (digits, None),
        };
        if whole.is_empty() {
            return None;
        }
        let n = saturating_number(whole);
        match (unit_months(unit), fraction) {
            // Half a month has no fixed length.
            (Some(_), Some(_)) => return None,
            (Some(per), None) => months = months.saturating_add(n.saturating_mul(per)),
            (None, fraction) => {
                let per = unit_seconds(unit)?;
                let part = fraction.map_or(Some(0), |f| fraction_seconds(f, per))?;
                seconds = seconds.saturating_add(n.saturating_mul(per).saturating_add(part));
            }
        }
        rest = after.trim_start();
    }
    Some((months, seconds))
}

/// The seconds `0.<fraction>` of a unit of `per` seconds makes (`5` of an hour: 1800),
/// `None` unless a whole number: `1.5h` is 90 minutes, `1.3333m` is refused.
fn fraction_seconds(fraction: &str, per: u64) -> Option<u64> {
    let shaped = (1..=9).contains(&fraction.len()) && fraction.bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let scale = 10u64.pow(fraction.len() as u32);
    let scaled = saturating_number(fraction) * per;
    scaled.is_multiple_of(scale).then_some(scaled / scale)
}

fn split_leading(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = text.find(|c: char| !keep(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// The value of the ASCII digits in `digits` (callers check the shape), saturating.
fn saturating_number(digits: &str) -> u64 {
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}

/// Calendar units: a month is the same day next month, a year twelve months.
fn unit_months(unit: &str) -> Option<u64> {
    match unit {
        "mo" | "mos" | "month" | "months" => Some(1),
        "y" | "yr" | "yrs" | "year" | "years" => Some(12),
        _ => None,
    }
}

fn unit_seconds(unit: &str) -> Option<u64> {
    match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(60),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600),
        "d" | "day" | "days" => Some(86_400),
        "w" | "wk" | "wks" | "week" | "weeks" => Some(604_800),
        _ => None,
    }
}

/// A clock time at the start of `t`: `9am`, `9 am`, `21:00`, `noon`; with the token count.
fn parse_clock_prefix(t: &[&str]) -> Option<(NaiveTime, usize)> {
    if let [hour, meridiem @ ("am" | "pm"), ..] = t {
        if let ClockParse::Time(time) = read_clock(&format!("{hour}{meridiem}")) {
            return Some((time, 2));
        }
    }
    match read_clock(t.first()?) {
        ClockParse::Time(time) => Some((time, 1)),
        _ => None,
    }
}

fn parse_clock_all(t: &[&str]) -> Option<NaiveTime> {
    let (time, used) = parse_clock_prefix(t)?;
    (used == t.len()).then_some(time)
}

fn read_clock(word: &str) -> ClockParse {
    match word {
        "noon" => return hms(12, 0, 0, 12),
        "midnight" => return hms(0, 0, 0, 23),
        _ => {}
    }
    if let Some(body) = word.strip_suffix("am") {
        return meridiem_clock(body, 0);
    }
    if let Some(body) = word.strip_suffix("pm") {
        return meridiem_clock(body, 12);
    }
    if word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()) {
        let (h, m) = word.split_at(2);
        return hms(saturating_number(h), saturating_number(m), 0, 23);
    }
    match split_hms(word) {
        Some((h, m, s)) if word.contains(':') => hms(h, m, s, 23),
        _ => ClockParse::NotAClock,
    }
}

/// `9`, `9:30`, `9:30:15` followed by am/pm; `add` is 0 for am, 12 for pm.
fn meridiem_clock(body: &str, add: u64) -> ClockParse {
    match split_hms(body) {
        Some((h, m, s)) if (1..=12).contains(&h) => hms(h % 12 + add, m, s, 23),
        Some(_) => ClockParse::OutOfRange,
        None => ClockParse::NotAClock,
    }
}

/// `H[H][:MM[:SS]]` by shape only; values are checked by `hms`.
fn split_hms(text: &str) -> Option<(u64, u64, u64)> {
    let parts: Vec<&str> = text.split(':').collect();
    let digits = |p: &&str| p.bytes().all(|b| b.is_ascii_digit());
    let shaped = (1..=3).contains(&parts.len())
        && parts.iter().all(digits)
        && (1..=2).contains(&parts[0].len())
        && parts[1..].iter().all(|p| p.len() == 2);
    if !shaped {
        return None;
    }
    let field = |i: usize| parts.get(i).map_or(0, |p| saturating_number(p));
    Some((field(0), field(1), field(2)))
}

fn hms(h: u64, m: u64, s: u64, max_hour: u64) -> ClockParse {
    if h > max_hour || m > 59 || s > 59 {
        return ClockParse::OutOfRange;
    }
    // The values are range-checked above, so the conversions cannot fail.
    match NaiveTime::from_hms_opt(h as u32, m as u32, s as u32) {
        Some(time) => ClockParse::Time(time),
        None => ClockParse::OutOfRange,
    }
}

/// `<day> [[at] <clock>]`
fn parse_day_then_clock(t: &[&str]) -> Option<Expr> {
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
fn is_day_word(day: DayRef) -> bool {
    matches!(
        day,
        DayRef::Today | DayRef::Tomorrow | DayRef::Weekday { .. }
    )
}

/// `9`, `09`, `14`: a whole hour, 0-23.
fn bare_hour(word: &str) -> Option<NaiveTime> {
    let shaped = (1..=2).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit());
    match shaped.then(|| hms(saturating_number(word), 0, 0, 23)) {
        Some(ClockParse::Time(time)) => Some(time),
        _ => None,
    }
}

/// `<clock> [on] <day>`, e.g. `9am tomorrow`, `noon on friday`.
fn parse_clock_then_day(t: &[&str]) -> Option<Expr> {
    let (clock, used) = parse_clock_prefix(t)?;
    let rest = &t[used..];
    let rest = rest.strip_prefix(&["on"]).unwrap_or(rest);
    let (day, used) = parse_day_prefix(rest)?;
    (used == rest.len()).then_some(Expr::At {
        day,
        clock: Some(clock),
    })
}

fn parse_day_prefix(t: &[&str]) -> Option<(DayRef, usize)> {
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
fn parse_month_date(t: &[&str]) -> Option<(DayRef, usize)> {
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

fn weekday(word: &str) -> Option<Weekday> {
    match word {
        "mon" | "monday" => Some(Weekday::Mon),
        "tue" | "tues" | "tuesday" => Some(Weekday::Tue),
        "wed" | "wednesday" => Some(Weekday::Wed),
        "thu" | "thur" | "thurs" | "thursday" => Some(Weekday::Thu),
        "fri" | "friday" => Some(Weekday::Fri),
        "sat" | "saturday" => Some(Weekday::Sat),
        "sun" | "sunday" => Some(Weekday::Sun),
        _ => None,
    }
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = if word == "sept" { "sep" } else { word };
    let index = NAMES.iter().position(|name| {
        word.len() >= 3 && name.starts_with(word) && (word.len() == 3 || word == *name)
    })?;
    u32::try_from(index + 1).ok()
}

fn day_of_month(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix))
        .unwrap_or(word);
    if !(1..=2).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day = saturating_number(digits);
    (1..=31).contains(&day).then_some(day as u32)
}

fn is_year(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit())
}

/// `dddd-dd-dd`, by shape only.
fn is_iso_date_shape(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

fn iso_date(word: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(word, "%Y-%m-%d").ok()
}

/// ISO 8601 with an explicit offset (`Z`, `+02:00`, `+0200`): an exact instant.
fn parse_iso_instant(text: &str) -> Option<DateTime<Utc>> {
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
fn join_trailing_offset(text: &str) -> String {
    match text.rsplit_once(' ') {
        Some((head, offset)) if offset == "Z" || offset.starts_with(['+', '-']) => {
            format!("{head}{offset}")
        }
        _ => text.to_string(),
    }
}

// ---------------------------------------------------------------- meaning

fn evaluate(expr: Expr, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, Reason> {
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
fn add_duration(now: DateTime<Utc>, seconds: u64, negative: bool) -> Result<DateTime<Utc>, Reason> {
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
fn next_clock(now: DateTime<Utc>, tz: Tz, time: NaiveTime) -> Result<DateTime<Utc>, Reason> {
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
fn add_calendar(
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

fn add_months(date: NaiveDate, months: u64) -> Result<NaiveDate, Reason> {
    let months = u32::try_from(months).map_err(|_| Reason::OutOfRange)?;
    date.checked_add_months(Months::new(months))
        .ok_or(Reason::OutOfRange)
}

fn at_day(
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
fn days_until(from: Weekday, to: Weekday) -> u64 {
    let ahead = (7 + to.num_days_from_monday() - from.num_days_from_monday()) % 7;
    u64::from(if ahead == 0 { 7 } else { ahead })
}

/// The first `day` at `time` strictly after now (today counts if still ahead).
fn weekday_after(
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
fn next_month_day(today: NaiveDate, month: u32, day: u32) -> Result<NaiveDate, Reason> {
    (today.year()..=today.year().saturating_add(8))
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .find(|date| *date >= today)
        .ok_or(Reason::OutOfRange)
}

fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate, Reason> {
    date.checked_add_days(Days::new(days))
        .ok_or(Reason::OutOfRange)
}

/// Now's wall time in `tz` (checked: chrono panics at the edges of its range).
fn local_now(now: DateTime<Utc>, tz: Tz) -> Result<NaiveDateTime, Reason> {
    let offset = tz.offset_from_utc_datetime(&now.naive_utc()).fix();
    now.naive_utc()
        .checked_add_offset(offset)
        .ok_or(Reason::OutOfRange)
}

/// Local wall time → instant, for an explicit day. Ambiguous (fall back): the
/// earlier instant, unless that is already past and the later is not (at 01:10
/// EST, the second pass, `today 1:30am` is 01:30 EST). Inside a gap (spring
/// forward): moved forward by the gap's length.
fn localize(tz: Tz, local: NaiveDateTime, now: DateTime<Utc>) -> Result<DateTime<Utc>, Reason> {
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
fn instants(tz: Tz, local: NaiveDateTime) -> Result<Vec<DateTime<Utc>>, Reason> {
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

// ---------------------------------------------------------------- diagnosis

/// The most specific reason an unparsed expression was rejected.
fn diagnose(tokens: &[&str], text: &str) -> WhenError {
    zone_suffix(tokens, text)
        .or_else(|| decimal(tokens))
        .or_else(|| ambiguous_number(tokens))
        .or_else(|| invalid_clock(tokens))
        .or_else(|| invalid_date(tokens))
        .or_else(|| trailing_text(tokens))
        .unwrap_or(Reason::Unrecognised)
        .into()
}

/// `3pm EST`, `9am Europe/Paris`: the expression would parse without its last word.
fn zone_suffix(tokens: &[&str], text: &str) -> Option<Reason> {
    let (last, rest) = tokens.split_last()?;
    if rest.is_empty() || !looks_like_zone(last) || parse_expr(rest).is_none() {
        return None;
    }
    let raw = text.split([' ', ',']).rfind(|w| !w.is_empty())?;
    Some(Reason::ZoneSuffix(raw.to_string()))
}

const ZONE_ABBREVIATIONS: [(&str, &str); 24] = [
    ("utc", "UTC"),
    ("gmt", "UTC"),
    ("z", "UTC"),
    ("est", "America/New_York"),
    ("edt", "America/New_York"),
    ("et", "America/New_York"),
    ("cst", "America/Chicago"),
    ("cdt", "America/Chicago"),
    ("ct", "America/Chicago"),
    ("mst", "America/Denver"),
    ("mdt", "America/Denver"),
    ("pst", "America/Los_Angeles"),
    ("pdt", "America/Los_Angeles"),
    ("pt", "America/Los_Angeles"),
    ("bst", "Europe/London"),
    ("wet", "Europe/Lisbon"),
    ("cet", "Europe/Paris"),
    ("cest", "Europe/Paris"),
    ("eet", "Europe/Athens"),
    ("msk", "Europe/Moscow"),
    ("ist", "Asia/Kolkata"),
    ("jst", "Asia/Tokyo"),
    ("aest", "Australia/Sydney"),
    ("nzst", "Pacific/Auckland"),
];

fn looks_like_zone(word: &str) -> bool {
    ZONE_ABBREVIATIONS.iter().any(|(abbr, _)| *abbr == word)
        || (word.contains('/') && word.chars().any(|c| c.is_ascii_alphabetic()))
        || ["utc+", "utc-", "gmt+", "gmt-"]
            .iter()
            .any(|p| word.starts_with(p))
}

/// `set DEFER_TIMEZONE=...` with the best IANA name we can guess for `zone`.
fn zone_hint(zone: &str) -> String {
    let lower = zone.to_lowercase();
    let known = ZONE_ABBREVIATIONS
        .iter()
        .find(|(abbr, _)| *abbr == lower)
        .map(|(_, name)| name.to_string())
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(zone))
                .map(|tz| tz.name().to_string())
        });
    match known {
        Some(name) => format!("set DEFER_TIMEZONE={name}"),
        None => "set DEFER_TIMEZONE to an IANA zone such as Europe/Paris".to_string(),
    }
}

/// `1.5mo`, `1.3333m`, `1.5 months`: a decimal amount that is not a whole number of
/// seconds of a fixed unit.
fn decimal(tokens: &[&str]) -> Option<Reason> {
    let words = tokens
        .iter()
        .enumerate()
        .map(|(i, word)| match tokens.get(i + 1) {
            Some(unit) if word.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                format!("{word} {unit}")
            }
            _ => word.to_string(),
        });
    words
        .filter(|word| word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('.'))
        .find(|word| {
            let (number, unit) = split_leading(word, |c| c.is_ascii_digit() || c == '.');
            let unit = unit.trim_start();
            let known = unit_seconds(unit).is_some() || unit_months(unit).is_some();
            known && number.matches('.').count() == 1 && parse_duration(word).is_none()
        })
        .map(Reason::Decimal)
}

fn ambiguous_number(tokens: &[&str]) -> Option<Reason> {
    match tokens {
        [word] if word.bytes().all(|b| b.is_ascii_digit()) && word.len() != 4 => {
            Some(Reason::AmbiguousNumber(word.to_string()))
        }
        _ => None,
    }
}

/// A clock-shaped word with impossible values: `13pm`, `25:00`, `9:60`, `2400`.
fn invalid_clock(tokens: &[&str]) -> Option<Reason> {
    let pairs = tokens.windows(2).filter_map(|pair| match pair {
        [hour, meridiem @ ("am" | "pm")] => Some(format!("{hour}{meridiem}")),
        _ => None,
    });
    tokens
        .iter()
        .map(|w| w.to_string())
        .chain(pairs)
        .find(|word| read_clock(word) == ClockParse::OutOfRange)
        .map(Reason::InvalidTime)
        .or_else(|| invalid_bare_hour(tokens))
}

/// `tomorrow 24`, `friday at 99`: a bare hour after a day word that is not 0-23.
fn invalid_bare_hour(tokens: &[&str]) -> Option<Reason> {
    let (day, used) = parse_day_prefix(tokens)?;
    let rest = &tokens[used..];
    let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
    match rest {
        [hour]
            if is_day_word(day)
                && (1..=2).contains(&hour.len())
                && hour.bytes().all(|b| b.is_ascii_digit())
                && bare_hour(hour).is_none() =>
        {
            Some(Reason::InvalidTime(hour.to_string()))
        }
        _ => None,
    }
}

fn invalid_date(tokens: &[&str]) -> Option<Reason> {
    tokens
        .iter()
        .find(|w| is_iso_date_shape(w) && iso_date(w).is_none())
        .map(|w| Reason::InvalidDate(w.to_string()))
}

/// `tomorrow 9am foo`: the longest leading part that parses, and what follows it.
fn trailing_text(tokens: &[&str]) -> Option<Reason> {
    (1..tokens.len())
        .rev()
        .find(|&end| parse_expr(&tokens[..end]).is_some())
        .map(|end| Reason::Trailing(tokens[end..].join(" ")))
}

mod phrases;
mod since;
mod suggest;

pub use since::{since, SinceError};

#[cfg(test)]
mod tests;
