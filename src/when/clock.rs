//! Clock times: `9am`, `9:30pm`, `21:00`, `2100`, `noon`, `midnight`, a bare hour after a
//! day word, each read with its range checked (`ClockParse`).

use chrono::NaiveTime;

use super::lex::saturating_number;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClockParse {
    Time(NaiveTime),
    OutOfRange,
    NotAClock,
}

/// A clock time at the start of `t`: `9am`, `9 am`, `21:00`, `noon`; with the token count.
pub(super) fn parse_clock_prefix(t: &[&str]) -> Option<(NaiveTime, usize)> {
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

pub(super) fn parse_clock_all(t: &[&str]) -> Option<NaiveTime> {
    let (time, used) = parse_clock_prefix(t)?;
    (used == t.len()).then_some(time)
}

pub(super) fn read_clock(word: &str) -> ClockParse {
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
pub(super) fn meridiem_clock(body: &str, add: u64) -> ClockParse {
    match split_hms(body) {
        Some((h, m, s)) if (1..=12).contains(&h) => hms(h % 12 + add, m, s, 23),
        Some(_) => ClockParse::OutOfRange,
        None => ClockParse::NotAClock,
    }
}

/// `H[H][:MM[:SS]]` by shape only; values are checked by `hms`.
pub(super) fn split_hms(text: &str) -> Option<(u64, u64, u64)> {
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

pub(super) fn hms(h: u64, m: u64, s: u64, max_hour: u64) -> ClockParse {
    if h > max_hour || m > 59 || s > 59 {
        return ClockParse::OutOfRange;
    }
    // The values are range-checked above, so the conversions cannot fail.
    match NaiveTime::from_hms_opt(h as u32, m as u32, s as u32) {
        Some(time) => ClockParse::Time(time),
        None => ClockParse::OutOfRange,
    }
}

/// `9`, `09`, `14`: a whole hour, 0-23.
pub(super) fn bare_hour(word: &str) -> Option<NaiveTime> {
    let shaped = (1..=2).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit());
    match shaped.then(|| hms(saturating_number(word), 0, 0, 23)) {
        Some(ClockParse::Time(time)) => Some(time),
        _ => None,
    }
}
