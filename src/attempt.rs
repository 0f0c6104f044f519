//! One attempt's entry in a record's `history` (SPEC §14): when it ran, how long, how
//! it ended, and the tail of its output. Pure: built from the next snapshot and facts
//! the runner measured.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Map;

use crate::task::{Attempt, Ending, ResultType, Task};

/// How many entries a record keeps (the oldest go first).
pub const KEPT: usize = 20;
/// `output_tail` holds at most this many bytes of the attempt's output.
pub const TAIL_BYTES: usize = 1024;

/// What the runner knows about an attempt besides the next snapshot.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// How the executor ended; `None` when none ran (no executor configured, not
    /// executable, or an orphan whose runner died).
    pub ending: Option<&'a Ending>,
    /// Measured on a monotonic clock from the claim; `None`: from the record's
    /// whole-second `started_at` to `now`.
    pub elapsed: Option<Duration>,
    /// The attempt's full output, or its end (only the last `TAIL_BYTES` are kept).
    pub output_end: &'a [u8],
}

impl Facts<'_> {
    /// An attempt in which no executor ran, begun at `began`.
    pub fn took(began: std::time::Instant) -> Self {
        Facts {
            elapsed: Some(began.elapsed()),
            ..Facts::default()
        }
    }
}

/// `next` (the snapshot an attempt's outcome produced from `claimed`) with that
/// attempt appended to its `history`, the oldest entries dropped past `KEPT`.
pub fn record(claimed: &Task, mut next: Task, facts: &Facts, now: DateTime<Utc>) -> Task {
    let started_at = claimed.started_at;
    let duration_ms = match (facts.elapsed, started_at) {
        (Some(elapsed), _) => Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
        (None, Some(start)) => u64::try_from((now - start.at()).num_milliseconds()).ok(),
        (None, None) => None,
    };
    let (exit_code, signal) = match facts.ending {
        Some(Ending::Exited(code)) => (Some(*code), None),
        Some(Ending::Signalled(signal)) => (None, Some(*signal)),
        _ => (None, None),
    };
    let result = next
        .result
        .as_ref()
        .map_or(ResultType::Interrupted, |r| r.kind);
    let error = match next.status {
        crate::task::Status::Completed => None,
        crate::task::Status::Failed => next.error.clone(),
        _ => next.last_error.clone(),
    };
    let entry = Attempt {
        attempt: next.attempts.max(claimed.attempts.saturating_add(1)),
        started_at,
        finished_at: now.into(),
        duration_ms,
        exit_code,
        signal,
        result,
        error,
        output_tail: tail(facts.output_end),
        extra: Map::new(),
    };
    next.history = claimed.history.clone();
    next.history.push(entry);
    let excess = next.history.len().saturating_sub(KEPT);
    next.history.drain(..excess);
    next
}

/// The last `TAIL_BYTES` of `output` as text, starting on a character boundary
/// (invalid UTF-8 replaced).
pub fn tail(output: &[u8]) -> String {
    let mut start = output.len().saturating_sub(TAIL_BYTES);
    // Skip continuation bytes (10xxxxxx) so the tail does not begin inside a character.
    while start < output.len() && output[start] & 0xC0 == 0x80 && start > 0 {
        start += 1;
    }
    String::from_utf8_lossy(&output[start..]).into_owned()
}

/// The last `TAIL_BYTES` (plus up to 3 bytes, so a character cut at the start can be
/// skipped) of the file at `path`; empty when it cannot be read.
pub fn file_end(path: &std::path::Path) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let want = (TAIL_BYTES + 3) as u64;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(len.saturating_sub(want))).is_ok() {
        let _ = file.take(want).read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{self, Output};
    use crate::task::Status;
    use chrono::TimeZone;
    use serde_json::Value;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, s).unwrap()
    }

    fn claimed(attempts: u32, max_retries: u32) -> Task {
        let task = Task {
            id: "t".into(),
            attempts,
            max_retries,
            ..Task::blank()
        };
        lifecycle::claim(&task, at(10, 0, 0))
    }

    #[test]
    fn tail_keeps_the_last_kib_on_a_character_boundary() {
        assert_eq!(tail(b"short"), "short");
        let long = format!("{}{}", "x".repeat(2000), "end");
        assert_eq!(tail(long.as_bytes()).len(), TAIL_BYTES);
        assert!(tail(long.as_bytes()).ends_with("xend"));
        // 'é' is two bytes: an odd cut point would split one.
        let text = "é".repeat(1000);
        let t = tail(text.as_bytes());
        assert!(t.chars().all(|c| c == 'é'), "{t:?}");
        assert_eq!(t.len(), TAIL_BYTES);
        // 2001 bytes: the cut at 977 falls inside an 'é', which is skipped.
        let text = format!("{}a", "é".repeat(1000));
        let t = tail(text.as_bytes());
        assert_eq!(t.len(), TAIL_BYTES - 1, "{t:?}");
        assert!(t.ends_with("éa") && !t.contains('\u{fffd}'), "{t:?}");
        assert_eq!(tail(b""), "");
    }

    #[test]
    fn a_retry_then_a_success_make_two_entries() {
        let first = claimed(0, 1);
        let failed = lifecycle::attempt_failed(
            &first,
            "executor exited with status 3: boom",
            ResultType::ExecutorFailed,
            "/p",
            Output::default(),
            Duration::from_secs(60),
            at(10, 0, 2),
        );
        let ending = Ending::Exited(3);
        let facts = Facts {
            ending: Some(&ending),
            elapsed: Some(Duration::from_millis(1534)),
            output_end: b"boom\n",
        };
        let retried = record(&first, failed, &facts, at(10, 0, 2));
        assert_eq!(retried.status, Status::Scheduled);
        let entry = &retried.history[0];
        assert_eq!(entry.attempt, 1);
        assert_eq!(entry.exit_code, Some(3));
        assert_eq!(entry.signal, None);
        assert_eq!(entry.duration_ms, Some(1534));
        assert_eq!(entry.result, ResultType::RetryScheduled);
        assert_eq!(
            entry.error.as_deref(),
            Some("executor exited with status 3: boom")
        );
        assert_eq!(entry.output_tail, "boom\n");

        let second = lifecycle::claim(&retried, at(10, 1, 0));
        let done = lifecycle::complete(
            &second,
            ResultType::ExecutorOutput,
            "/p",
            Output::default(),
            at(10, 1, 5),
        );
        let ok = Ending::Exited(0);
        let facts = Facts {
            ending: Some(&ok),
            elapsed: None,
            output_end: b"",
        };
        let done = record(&second, done, &facts, at(10, 1, 5));
        assert_eq!(done.history.len(), 2);
        let entry = &done.history[1];
        assert_eq!(entry.attempt, 2);
        assert_eq!(entry.exit_code, Some(0));
        assert_eq!(entry.error, None);
        assert_eq!(entry.duration_ms, Some(5000), "from started_at");
        assert_eq!(
            entry.started_at.unwrap().to_string(),
            "2026-12-01T10:01:00Z"
        );
        assert_eq!(entry.finished_at.to_string(), "2026-12-01T10:01:05Z");
    }

    #[test]
    fn signals_and_the_cap() {
        let mut task = claimed(0, 0);
        let ending = Ending::Signalled(9);
        let facts = Facts {
            ending: Some(&ending),
            ..Facts::default()
        };
        for _ in 0..25 {
            let next = lifecycle::fail(
                &task,
                "executor killed by signal 9",
                ResultType::ExecutorFailed,
                "/p",
                Output::default(),
                at(10, 0, 1),
            );
            task = lifecycle::claim(&record(&task, next, &facts, at(10, 0, 1)), at(10, 0, 1));
        }
        assert_eq!(task.history.len(), KEPT);
        assert_eq!(task.history[0].attempt, 6);
        assert_eq!(task.history[KEPT - 1].attempt, 25);
        assert_eq!(task.history[0].signal, Some(9));
        assert_eq!(task.history[0].exit_code, None);
        let line = task.to_line();
        let value: Value = serde_json::from_str(&line).unwrap();
        let keys: Vec<&String> = value["history"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 9, "{keys:?}");
        assert!(value["history"][0]["exit_code"].is_null());
    }

    #[test]
    fn no_history_field_until_an_attempt() {
        assert!(!Task::blank().to_line().contains("history"));
    }
}
