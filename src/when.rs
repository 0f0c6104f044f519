//! Time expressions (`--when`): text → UTC instant, given `now` and a zone. Pure.
//!
//! Owns the whole `--when` grammar (see `docs/time-expressions.md`): durations,
//! calendar months, clock times, day phrases, weekdays, month-name dates and ISO
//! 8601, and the did-you-mean hint for misspelt words (`suggest`). Naive times are
//! local to the given zone; DST gaps roll forward; a bare clock time is the next
//! instant the wall clock shows it (either pass of a fall-back hour), an explicit
//! day's ambiguous time the earlier pass unless only the later is still ahead.
//! No I/O, no clock reads: `now` is always a parameter.
//!
//! Its parts: `lex` (words), `duration`, `clock`, `syntax` (tokens → `Expr`),
//! `timeline` (`Expr` → instant), `diagnosis` (why text was rejected), and `phrases`,
//! `suggest`, `since`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

mod clock;
mod diagnosis;
mod duration;
mod lex;
mod phrases;
mod since;
mod suggest;
mod syntax;
mod timeline;

pub use duration::{parse_fixed_duration, parse_seconds};
pub use since::{since, SinceError};

use diagnosis::diagnose;
use lex::tokenize;
use syntax::{parse_expr, parse_iso_instant};
use timeline::evaluate;

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

impl From<Reason> for WhenError {
    fn from(reason: Reason) -> Self {
        WhenError {
            reason,
            suggestion: None,
        }
    }
}

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

#[cfg(test)]
mod tests;
