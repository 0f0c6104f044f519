//! Why an expression was rejected: the most specific `Reason` for text that does not
//! parse (a zone suffix, a decimal, an ambiguous number, ...), and `WhenError`'s message.

use std::fmt;

use super::clock::{bare_hour, read_clock, ClockParse};
use super::duration::{parse_duration, unit_months, unit_seconds};
use super::lex::{is_iso_date_shape, iso_date, split_leading};
use super::syntax::{is_day_word, parse_day_prefix, parse_expr};
use super::{Reason, WhenError};

const ACCEPTED: &str = "now, 10m, 1d2h30m, 1.5h, 2 hours, in 10m, in an hour, +30m, 9am, 21:00, \
     noon, midnight, tonight, eod, today 5pm, tomorrow 9am, tomorrow morning, tomorrow at 9, \
     next friday, monday 9am, dec 1 9am, in 2 months, next week, 2026-12-01 09:00, \
     2026-12-01T09:00:00Z";

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

/// The most specific reason an unparsed expression was rejected.
pub(super) fn diagnose(tokens: &[&str], text: &str) -> WhenError {
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
pub(super) fn zone_suffix(tokens: &[&str], text: &str) -> Option<Reason> {
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

pub(super) fn looks_like_zone(word: &str) -> bool {
    ZONE_ABBREVIATIONS.iter().any(|(abbr, _)| *abbr == word)
        || (word.contains('/') && word.chars().any(|c| c.is_ascii_alphabetic()))
        || ["utc+", "utc-", "gmt+", "gmt-"]
            .iter()
            .any(|p| word.starts_with(p))
}

/// `set DEFER_TIMEZONE=...` with the best IANA name we can guess for `zone`.
pub(super) fn zone_hint(zone: &str) -> String {
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
pub(super) fn decimal(tokens: &[&str]) -> Option<Reason> {
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

pub(super) fn ambiguous_number(tokens: &[&str]) -> Option<Reason> {
    match tokens {
        [word] if word.bytes().all(|b| b.is_ascii_digit()) && word.len() != 4 => {
            Some(Reason::AmbiguousNumber(word.to_string()))
        }
        _ => None,
    }
}

/// A clock-shaped word with impossible values: `13pm`, `25:00`, `9:60`, `2400`.
pub(super) fn invalid_clock(tokens: &[&str]) -> Option<Reason> {
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
pub(super) fn invalid_bare_hour(tokens: &[&str]) -> Option<Reason> {
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

pub(super) fn invalid_date(tokens: &[&str]) -> Option<Reason> {
    tokens
        .iter()
        .find(|w| is_iso_date_shape(w) && iso_date(w).is_none())
        .map(|w| Reason::InvalidDate(w.to_string()))
}

/// `tomorrow 9am foo`: the longest leading part that parses, and what follows it.
pub(super) fn trailing_text(tokens: &[&str]) -> Option<Reason> {
    (1..tokens.len())
        .rev()
        .find(|&end| parse_expr(&tokens[..end]).is_some())
        .map(|end| Reason::Trailing(tokens[end..].join(" ")))
}
