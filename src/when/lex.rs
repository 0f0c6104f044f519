//! The words of an expression: `tokenize` (lower case, `a.m.` → `am`, `dateTtime` split),
//! and readers of single words: weekdays, month names, days of the month, years, ISO dates.

use chrono::{NaiveDate, Weekday};

use super::phrases;

/// Lower-case words; `a.m.` → `am`, commas dropped, `dateTtime` split in two.
pub(super) fn tokenize(text: &str) -> Vec<String> {
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

pub(super) fn weekday(word: &str) -> Option<Weekday> {
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

pub(super) fn month(word: &str) -> Option<u32> {
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

pub(super) fn day_of_month(word: &str) -> Option<u32> {
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

pub(super) fn is_year(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit())
}

/// `dddd-dd-dd`, by shape only.
pub(super) fn is_iso_date_shape(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

pub(super) fn iso_date(word: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(word, "%Y-%m-%d").ok()
}

pub(super) fn split_leading(text: &str, keep: impl Fn(char) -> bool) -> (&str, &str) {
    let end = text.find(|c: char| !keep(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// The value of the ASCII digits in `digits` (callers check the shape), saturating.
pub(super) fn saturating_number(digits: &str) -> u64 {
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
}
