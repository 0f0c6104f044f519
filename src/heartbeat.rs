//! The runner's heartbeat: every `defer run` sets the modification time of the runner
//! lock file (`deferred.jsonl.run.lock`), so one `stat` tells how long ago a runner
//! last started. Also the no-runner warning that `schedule` and `list` print from it.

use std::fs::File;
use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// A runner is expected every minute; after this long without one, tasks are stuck.
pub const STALE_AFTER_SECONDS: i64 = 600;

/// Stamps the heartbeat on the runner lock file `defer run` has open: one `futimens`,
/// no fsync. Best effort: a failure here must not stop the run; it shows up as a stale
/// heartbeat in the warning and in `defer doctor`.
pub fn beat(lock: &File) {
    let _ = lock.set_modified(SystemTime::now());
}

/// When a `defer run` last started: the runner lock file's mtime (the file itself, not
/// a link's target); `None` when no runner ever ran.
pub fn last_run(runner_lock: &Path) -> Option<DateTime<Utc>> {
    let modified = std::fs::symlink_metadata(runner_lock)
        .and_then(|meta| meta.modified())
        .ok()?;
    Some(DateTime::<Utc>::from(modified))
}

/// How long ago the last run started, at `now` (0 when its time is in the future).
pub fn age_seconds(last: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    now.signed_duration_since(last).num_seconds().max(0)
}

/// True when `last` is missing or older than [`STALE_AFTER_SECONDS`] at `now`.
pub fn is_stale(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|last| age_seconds(last, now) > STALE_AFTER_SECONDS)
}

/// The warning `schedule` and `list` print when no runner started lately; `None` when
/// one did.
pub fn warning(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    if !is_stale(last, now) {
        return None;
    }
    let since = match last {
        Some(last) => format!("for {}", span(age_seconds(last, now))),
        None => "ever".to_string(),
    };
    Some(format!(
        "no 'defer run' {since}; tasks will not run until cron runs it: see 'defer doctor'"
    ))
}

/// A duration in at most two units, largest first: `2h 13m`, `3d 4h`, `45s`.
pub fn span(seconds: i64) -> String {
    crate::when::span(seconds.max(0).unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn stale_after_ten_minutes_or_never() {
        assert!(is_stale(None, at(0)));
        assert!(!is_stale(Some(at(-600)), at(0)));
        assert!(is_stale(Some(at(-601)), at(0)));
        // A heartbeat from the future (clock skew) is fresh, not negative.
        assert!(!is_stale(Some(at(30)), at(0)));
        assert_eq!(age_seconds(at(30), at(0)), 0);
    }

    #[test]
    fn warning_text() {
        let now = at(0);
        assert_eq!(warning(Some(at(-60)), now), None);
        assert_eq!(
            warning(Some(at(-(2 * 3600 + 13 * 60 + 5))), now).unwrap(),
            "no 'defer run' for 2h 13m; tasks will not run until cron runs it: see 'defer doctor'"
        );
        assert_eq!(
            warning(None, now).unwrap(),
            "no 'defer run' ever; tasks will not run until cron runs it: see 'defer doctor'"
        );
    }

    #[test]
    fn spans() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(45), "45s");
        assert_eq!(span(601), "10m 1s");
        assert_eq!(span(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
        assert_eq!(span(86_400 + 60), "1d");
    }

    #[test]
    fn beat_moves_the_mtime_forward() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("run.lock");
        let file = File::create(&path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(last_run(&path).unwrap().timestamp(), 0);
        beat(&file);
        let age = age_seconds(last_run(&path).unwrap(), Utc::now());
        assert!(age < 60, "{age}");
        assert_eq!(last_run(&tmp.path().join("missing")), None);
    }
}
