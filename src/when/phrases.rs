//! Phrases people use, rewritten into the grammar's own words before parsing (SPEC
//! §21): `in an hour` (`in 1 hour`), `this friday` (`friday`), `tomorrow morning`
//! (`tomorrow 09:00`), `tonight` (`20:00`), `eod` / `end of day` (`17:00`). `tonight`
//! and `eod` are clock times, so the past-today rule applies: after 20:00, `tonight`
//! is tomorrow's 20:00, as `8pm` would be. Pure.

use super::duration::{unit_months, unit_seconds};
use super::lex::weekday;

/// The parts of a day `tomorrow` may take, and their clock times.
const PARTS_OF_DAY: [(&str, &str); 4] = [
    ("morning", "09:00"),
    ("afternoon", "14:00"),
    ("evening", "18:00"),
    ("night", "21:00"),
];

/// The tokens with each phrase replaced by what it means; other tokens unchanged.
pub(super) fn normalize(tokens: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let word = tokens[i].as_str();
        let next = tokens.get(i + 1).map(String::as_str);
        let (replacement, used): (Vec<&str>, usize) = match (word, next) {
            ("a" | "an", Some(unit)) if is_unit(unit) => (vec!["1"], 1),
            ("this", Some(day)) if weekday(day).is_some() => (vec![], 1),
            ("tomorrow", Some(part)) if part_of_day(part).is_some() => {
                (vec!["tomorrow", part_of_day(part).unwrap_or_default()], 2)
            }
            ("tonight", _) => (vec!["20:00"], 1),
            ("eod", _) => (vec!["17:00"], 1),
            ("end", Some("of")) if tokens.get(i + 2).map(String::as_str) == Some("day") => {
                (vec!["17:00"], 3)
            }
            _ => (vec![word], 1),
        };
        out.extend(replacement.into_iter().map(str::to_string));
        i += used;
    }
    out
}

fn is_unit(word: &str) -> bool {
    unit_seconds(word).is_some() || unit_months(word).is_some()
}

fn part_of_day(word: &str) -> Option<&'static str> {
    PARTS_OF_DAY
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, clock)| *clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> String {
        normalize(text.split(' ').map(str::to_string).collect()).join(" ")
    }

    #[test]
    fn phrases_become_the_grammar_words() {
        for (phrase, words) in [
            ("in an hour", "in 1 hour"),
            ("in a minute", "in 1 minute"),
            ("a week", "1 week"),
            ("this friday 9am", "friday 9am"),
            ("tomorrow morning", "tomorrow 09:00"),
            ("tomorrow night", "tomorrow 21:00"),
            ("tonight", "20:00"),
            ("eod", "17:00"),
            ("end of day", "17:00"),
            // Left alone: not followed by what makes them a phrase.
            ("a", "a"),
            ("this week", "this week"),
            ("end of", "end of"),
            ("morning", "morning"),
        ] {
            assert_eq!(normalized(phrase), words, "{phrase:?}");
        }
    }
}
