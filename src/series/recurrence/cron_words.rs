//! Why a `--cron` pattern was refused, in defer's words: the field, the value and what
//! it accepts (`hour 25 is out of range 0-23`), never the parser's own message. croner
//! decides what is valid; this only explains a refusal.

/// One of the five fields: its name, its numeric range and the names it also takes.
struct Field {
    name: &'static str,
    low: u32,
    high: u32,
    /// Names for `low`, `low + 1`, ... (months from 1, weekdays from 0).
    names: &'static [&'static str],
    /// What a name must be: "a month", "a weekday".
    kind: &'static str,
    /// Extra forms the field takes, for the accepted list.
    extra: &'static str,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        low: 0,
        high: 59,
        names: &[],
        kind: "a number",
        extra: "",
    },
    Field {
        name: "hour",
        low: 0,
        high: 23,
        names: &[],
        kind: "a number",
        extra: "",
    },
    Field {
        name: "day-of-month",
        low: 1,
        high: 31,
        names: &[],
        kind: "a number",
        extra: ", L (last day), 15W (nearest weekday)",
    },
    Field {
        name: "month",
        low: 1,
        high: 12,
        names: &MONTHS,
        kind: "a month",
        extra: " or jan-dec",
    },
    Field {
        name: "day-of-week",
        low: 0,
        high: 7,
        names: &WEEKDAYS,
        kind: "a weekday",
        extra: " or sun-sat (0 and 7 are Sunday), 5L (last Friday), 1#2 (second Monday)",
    },
];

/// The wrong field count: `4 fields, expected 5: minute hour ...`.
pub(super) fn field_count(fields: usize) -> String {
    format!(
        "{fields} field{}, expected 5: minute hour day-of-month month day-of-week (e.g. \
         '0 9 * * 1-5'), or one of @hourly, @daily, @weekly, @monthly, @yearly",
        if fields == 1 { "" } else { "s" }
    )
}

/// An `@name` croner does not know.
pub(super) fn nickname(text: &str) -> String {
    format!("unknown '{text}' (accepted: @hourly, @daily, @weekly, @monthly, @yearly)")
}

/// Why field number `index` (0 = minute) with this text was refused.
pub(super) fn field(index: usize, text: &str) -> String {
    let field = &FIELDS[index];
    explain(field, text).unwrap_or_else(|| {
        format!(
            "{} field '{text}' is not valid (accepted: {}-{}{}, *, lists 1,15, ranges 1-5, \
             steps */15)",
            field.name, field.low, field.high, field.extra
        )
    })
}

/// The first item of the field that is out of range, not a name, a zero step or a
/// backwards range; `None` when none is (croner refused it for another reason).
fn explain(field: &Field, text: &str) -> Option<String> {
    text.split(',').find_map(|item| {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            if step.parse::<u32>() == Ok(0) {
                return Some(format!(
                    "{} step '{item}' is 0 (a step is 1 or more)",
                    field.name
                ));
            }
        }
        if base == "*" || base == "?" {
            return None;
        }
        let (first, last) = match base.split_once('-') {
            Some((first, last)) => (first, Some(last)),
            None => (base, None),
        };
        let low = match value(field, first) {
            Ok(low) => low,
            Err(why) => return why,
        };
        match last.map(|last| value(field, last)) {
            Some(Err(why)) => why,
            Some(Ok(high)) if high < low => Some(format!(
                "{} range '{base}' runs backwards (write the low end first: {high}-{low})",
                field.name
            )),
            _ => None,
        }
    })
}

/// A number in range or a name: `Ok(value)`; `Err(Some(why))` when it is neither,
/// `Err(None)` when it is a form this does not read (`L`, `15W`, `1#2`).
fn value(field: &Field, word: &str) -> Result<u32, Option<String>> {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        return match word.parse::<u32>() {
            Ok(n) if (field.low..=field.high).contains(&n) => Ok(n),
            _ => Err(Some(format!(
                "{} {word} is out of range {}-{}",
                field.name, field.low, field.high
            ))),
        };
    }
    let lower = word.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|name| *name == lower) {
        return Ok(field.low + i as u32);
    }
    let special = lower.contains(['l', 'w', '#']) && lower.bytes().any(|b| b.is_ascii_digit());
    match special || lower == "l" {
        true => Err(None),
        false => Err(Some(format!(
            "{} '{word}' is not {} (accepted: {}-{}{})",
            field.name, field.kind, field.low, field.high, field.extra
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_names_its_value_and_range() {
        for (index, text, why) in [
            (0, "60", "minute 60 is out of range 0-59"),
            (1, "25", "hour 25 is out of range 0-23"),
            (2, "32", "day-of-month 32 is out of range 1-31"),
            (2, "0", "day-of-month 0 is out of range 1-31"),
            (3, "13", "month 13 is out of range 1-12"),
            (4, "8", "day-of-week 8 is out of range 0-7"),
            (1, "1,2,30", "hour 30 is out of range 0-23"),
            (1, "20-25", "hour 25 is out of range 0-23"),
            (0, "*/0", "minute step '*/0' is 0 (a step is 1 or more)"),
            (
                0,
                "5-1",
                "minute range '5-1' runs backwards (write the low end first: 1-5)",
            ),
            (
                4,
                "fri-mon",
                "day-of-week range 'fri-mon' runs backwards (write the low end first: 1-5)",
            ),
        ] {
            assert_eq!(field(index, text), why, "{text}");
        }
        assert_eq!(
            field(3, "foo"),
            "month 'foo' is not a month (accepted: 1-12 or jan-dec)"
        );
        assert!(field(4, "funday").starts_with("day-of-week 'funday' is not a weekday"));
        assert!(field(4, "1#9").starts_with("day-of-week field '1#9' is not valid"));
        assert_eq!(field_count(4).split(',').next(), Some("4 fields"));
        assert!(nickname("@reboot").starts_with("unknown '@reboot'"));
    }
}
