//! The value rules both front ends apply to an argument's text: the CLI's parser calls
//! them for flags, MCP for the same arguments given as JSON. Each error is the
//! "accepted: ..." half of `invalid --flag 'value' (accepted: ...)`.

use crate::task::{ClosedSet, Status};

/// A duration option: `30s`, `5m`, `1h30m`, `1.5h`, or a bare number of seconds.
pub fn seconds(text: &str) -> Result<u64, String> {
    crate::when::parse_seconds(text)
        .ok_or_else(|| "accepted: a duration such as 30s, 5m, 1h, or whole seconds".to_string())
}

/// A count that may be 0.
pub fn non_negative(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| "accepted: a whole number, 0 or more".to_string())
}

/// A count of 1 or more.
pub fn positive(text: &str) -> Result<u32, String> {
    match text.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("accepted: a whole number, 1 or more".to_string()),
    }
}

/// `when --next`: 1 to `MAX_PREVIEW` fires.
pub fn preview_count(text: &str) -> Result<u32, String> {
    use crate::series::recurrence::MAX_PREVIEW;
    match text.parse() {
        Ok(n) if (1..=MAX_PREVIEW).contains(&n) => Ok(n),
        _ => Err(format!("accepted: a whole number from 1 to {MAX_PREVIEW}")),
    }
}

/// A retry delay or an answer timeout: a duration, bounded (`lifecycle`).
pub fn delay(text: &str) -> Result<u64, String> {
    crate::lifecycle::parse_retry_delay(text)
}

/// `--budget`: US dollars, more than 0 (`budget`).
pub fn usd(text: &str) -> Result<f64, String> {
    crate::budget::parse(text)
}

/// One name of a closed set.
pub fn closed<T: ClosedSet>(text: &str) -> Result<T, String> {
    T::from_name(text).ok_or_else(|| format!("accepted: {}", T::names().join(", ")))
}

/// The terminal statuses (what `history --status` accepts), whatever new ones
/// `Status` grows.
pub fn terminal_statuses() -> Vec<&'static str> {
    Status::ALL
        .iter()
        .filter(|s| s.is_terminal())
        .map(|s| s.name())
        .collect()
}

/// One terminal status.
pub fn terminal_status(text: &str) -> Result<Status, String> {
    match Status::from_name(text).filter(|s| s.is_terminal()) {
        Some(status) => Ok(status),
        None => Err(format!("accepted: {}", terminal_statuses().join(", "))),
    }
}

/// `invalid --flag 'value' (accepted: ...)`: a value a rule refused, as both front ends
/// say it (each escapes the whole line's control characters when it shows it).
pub fn refused(flag: &str, value: &str, accepted: &str) -> String {
    format!("invalid {flag} '{value}' ({accepted})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Intent;

    #[test]
    fn each_rule_says_what_it_accepts() {
        assert_eq!(non_negative("0"), Ok(0));
        assert!(non_negative("-1").unwrap_err().contains("0 or more"));
        assert!(positive("0").unwrap_err().contains("1 or more"));
        assert_eq!(preview_count("1000"), Ok(1000));
        assert!(preview_count("1001")
            .unwrap_err()
            .contains("from 1 to 1000"));
        assert_eq!(closed::<Intent>("notify"), Ok(Intent::Notify));
        assert_eq!(
            closed::<Intent>("x").unwrap_err(),
            "accepted: resume_task, notify, execute_action"
        );
        assert!(terminal_status("scheduled").is_err());
        assert_eq!(terminal_status("failed"), Ok(Status::Failed));
        assert_eq!(seconds("90s"), Ok(90));
    }
}
