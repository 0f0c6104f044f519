//! Durations: `<number><unit>` pairs (`1d2h30m`, `1.5h`, `2 months`) as calendar months
//! and exact seconds, and the fixed durations every duration option reads.

use super::lex::{saturating_number, split_leading};

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
pub(super) fn parse_duration(text: &str) -> Option<(u64, u64)> {
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
pub(super) fn fraction_seconds(fraction: &str, per: u64) -> Option<u64> {
    let shaped = (1..=9).contains(&fraction.len()) && fraction.bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let scale = 10u64.pow(fraction.len() as u32);
    let scaled = saturating_number(fraction) * per;
    scaled.is_multiple_of(scale).then_some(scaled / scale)
}

/// Calendar units: a month is the same day next month, a year twelve months.
pub(super) fn unit_months(unit: &str) -> Option<u64> {
    match unit {
        "mo" | "mos" | "month" | "months" => Some(1),
        "y" | "yr" | "yrs" | "year" | "years" => Some(12),
        _ => None,
    }
}

pub(super) fn unit_seconds(unit: &str) -> Option<u64> {
    match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(60),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(3_600),
        "d" | "day" | "days" => Some(86_400),
        "w" | "wk" | "wks" | "week" | "weeks" => Some(604_800),
        _ => None,
    }
}
