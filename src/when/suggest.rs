//! "Did you mean": the closest accepted form of a phrase with misspelt grammar words.
//!
//! Each unknown word (letters, optionally after a number: `tomorow`, `10minuts`) is
//! replaced by the grammar words nearest to it in edit distance (adjacent swaps count
//! as one edit); a suggestion is offered only if the corrected phrase parses and
//! resolves. Pure and bounded: long or many unknown words get no suggestion.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::duration::{unit_months, unit_seconds};
use super::lex::{month, weekday};
use super::syntax::parse_expr;
use super::timeline::evaluate;

/// Words a misspelling may be corrected to (three letters or more).
const WORDS: &[&str] = &[
    "now",
    "today",
    "tomorrow",
    "noon",
    "midnight",
    "next",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
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
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "sec",
    "secs",
    "second",
    "seconds",
    "min",
    "mins",
    "minute",
    "minutes",
    "hour",
    "hours",
    "hrs",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "mos",
    "year",
    "years",
    "sept",
];

/// Unknown words longer than this are not corrected (nothing in the grammar is).
const MAX_WORD: usize = 12;
/// At most this many unknown words, and this many corrected phrases tried.
const MAX_UNKNOWN: usize = 3;
const MAX_TRIES: usize = 32;

/// The closest phrase to `tokens` that resolves, seen from `now` in `tz`.
pub(super) fn closest(tokens: &[&str], now: DateTime<Utc>, tz: Tz) -> Option<String> {
    let mut choices: Vec<Vec<String>> = Vec::with_capacity(tokens.len());
    let mut unknown = 0;
    for token in tokens {
        match corrections(token) {
            Some(_) if unknown == MAX_UNKNOWN => return None,
            Some(list) => {
                unknown += 1;
                choices.push(list);
            }
            None => choices.push(vec![token.to_string()]),
        }
    }
    if unknown == 0 || choices.iter().any(Vec::is_empty) {
        return None;
    }
    let mut phrases: Vec<Vec<String>> = vec![Vec::new()];
    for options in &choices {
        phrases = phrases
            .iter()
            .flat_map(|head| {
                options.iter().map(move |word| {
                    let mut next = head.clone();
                    next.push(word.clone());
                    next
                })
            })
            .take(MAX_TRIES)
            .collect();
    }
    phrases.into_iter().find_map(|words| {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let expr = parse_expr(&refs)?;
        evaluate(expr, now, tz).ok()?;
        Some(refs.join(" "))
    })
}

/// `None` if `token` is not a misspelt word; otherwise its nearest grammar words
/// (empty when none is close enough). A leading number is kept: `10minuts`.
fn corrections(token: &str) -> Option<Vec<String>> {
    let letters = token.trim_start_matches(|c: char| c.is_ascii_digit());
    let number = &token[..token.len() - letters.len()];
    let plausible = letters.len() >= 3
        && letters.len() <= MAX_WORD
        && letters.bytes().all(|b| b.is_ascii_lowercase());
    if !plausible || is_known(letters) {
        return None;
    }
    let limit = if letters.len() <= 4 { 1 } else { 2 };
    let scored: Vec<(usize, &str)> = WORDS
        .iter()
        .map(|word| (distance(letters, word), *word))
        .filter(|(d, _)| *d <= limit)
        .collect();
    let best = scored.iter().map(|(d, _)| *d).min();
    let mut nearest: Vec<&str> = scored
        .iter()
        .filter(|(d, _)| Some(*d) == best)
        .map(|(_, word)| *word)
        .collect();
    // Between equals, the longer (`minuts`, `hourz` → `minutes`, `hours`).
    nearest.sort_by_key(|word| std::cmp::Reverse(word.len()));
    Some(
        nearest
            .iter()
            .map(|word| format!("{number}{word}"))
            .collect(),
    )
}

fn is_known(word: &str) -> bool {
    WORDS.contains(&word)
        || weekday(word).is_some()
        || month(word).is_some()
        || unit_seconds(word).is_some()
        || unit_months(word).is_some()
        || ["at", "on", "in", "am", "pm"].contains(&word)
}

/// Edit distance where inserting, deleting, replacing or swapping two adjacent
/// letters each cost one (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[(i - 1) * width + j] + 1)
                    .min(d[i * width + j - 1] + 1)
                    .min(d[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("tomorow", "tomorrow"), 1);
        assert_eq!(distance("mnoth", "month"), 1);
        assert_eq!(distance("fridy", "friday"), 1);
        assert_eq!(distance("wensday", "wednesday"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("foo", "fri"), 2);
    }
}
