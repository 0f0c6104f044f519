//! Lane holds (SPEC §22): an executor's `retry` report with `"scope": "lane"` (a rate
//! limit belongs to an account, not a task) holds every task of its lane until a time.
//! One small file per lane, `holds/<lane>.json` under the runtime dir (`_none.json` for
//! the tasks without a lane), written atomically; the dispatcher, `list` and `doctor`
//! read them. An expired or unreadable hold holds nothing.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::safe_fs;
use crate::timestamp::Timestamp;

/// The field `list` adds to a task its lane's hold keeps waiting (not stored).
pub const LISTED: &str = "lane_held_until";
/// The file name of the tasks without a lane (a lane name never starts with `_`).
const NO_LANE: &str = "_none";
/// A hold file larger than this is not one of ours.
const MAX_BYTES: u64 = 4096;

/// One lane's hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    /// The lane; `None`: the tasks without a lane.
    pub lane: Option<String>,
    pub until: Timestamp,
    /// The task whose executor asked for it, and why.
    pub task: String,
    pub reason: String,
}

/// The directory of the hold files.
pub fn dir(paths: &Paths) -> PathBuf {
    paths.runtime_dir.join("holds")
}

fn file(paths: &Paths, lane: Option<&str>) -> PathBuf {
    let name = lane
        .filter(|l| crate::task::is_valid_id(l))
        .unwrap_or(NO_LANE);
    dir(paths).join(format!("{name}.json"))
}

/// Holds `hold.lane` until `hold.until`, unless it is already held longer.
pub fn set(paths: &Paths, hold: &Hold, now: DateTime<Utc>) -> Result<()> {
    if let Some(current) = read(paths, hold.lane.as_deref()) {
        if current.until > hold.until && current.until.at() > now {
            return Ok(());
        }
    }
    let text = serde_json::to_vec(hold)?;
    safe_fs::write_atomic(&file(paths, hold.lane.as_deref()), &text)
}

/// The hold on `lane` in force at `now`, if any.
pub fn on(paths: &Paths, lane: Option<&str>, now: DateTime<Utc>) -> Option<Hold> {
    read(paths, lane).filter(|h| h.until.at() > now)
}

/// Every hold in force at `now`, by lane.
pub fn active(paths: &Paths, now: DateTime<Utc>) -> Vec<Hold> {
    let Ok(entries) = std::fs::read_dir(dir(paths)) else {
        return Vec::new();
    };
    let mut holds: Vec<Hold> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let stem = name.to_str()?.strip_suffix(".json")?.to_string();
            let lane = (stem != NO_LANE).then_some(stem);
            read(paths, lane.as_deref())
        })
        .filter(|h| h.until.at() > now)
        .collect();
    holds.sort_by(|a, b| a.lane.cmp(&b.lane));
    holds
}

/// The hold file of `lane`, read through the checked open; `None` when absent or not
/// a hold.
fn read(paths: &Paths, lane: Option<&str>) -> Option<Hold> {
    let file = safe_fs::open_read(&file(paths, lane)).ok()??;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    let hold: Hold = serde_json::from_slice(&bytes).ok()?;
    (hold.lane.as_deref() == lane).then_some(hold)
}

/// `lane` as people read it.
pub fn lane_name(lane: Option<&str>) -> String {
    match lane {
        Some(lane) => format!("lane {lane}"),
        None => "lane (none: the tasks without a lane)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paths(root: &std::path::Path) -> Paths {
        Paths {
            runtime_dir: root.to_path_buf(),
            tasks_file: root.join("deferred.jsonl"),
            archive_dir: root.join("archive"),
            log_dir: root.join("logs"),
            log_file: root.join("logs/deferred.log"),
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
    }

    fn hold(lane: Option<&str>, until: DateTime<Utc>) -> Hold {
        Hold {
            lane: lane.map(str::to_string),
            until: until.into(),
            task: "t".into(),
            reason: "rate limit".into(),
        }
    }

    #[test]
    fn a_hold_holds_its_lane_until_then_and_the_longer_one_stands() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        assert_eq!(on(&paths, Some("claude"), at(10, 0)), None);
        set(&paths, &hold(Some("claude"), at(10, 30)), at(10, 0)).unwrap();
        set(&paths, &hold(None, at(10, 5)), at(10, 0)).unwrap();
        assert_eq!(
            on(&paths, Some("claude"), at(10, 10)).unwrap().until,
            at(10, 30).into()
        );
        assert_eq!(on(&paths, Some("other"), at(10, 10)), None);
        assert!(on(&paths, None, at(10, 1)).is_some());
        // A shorter hold does not cut a longer one short.
        set(&paths, &hold(Some("claude"), at(10, 20)), at(10, 10)).unwrap();
        assert_eq!(
            on(&paths, Some("claude"), at(10, 25)).unwrap().until,
            at(10, 30).into()
        );
        assert_eq!(active(&paths, at(10, 2)).len(), 2);
        assert_eq!(active(&paths, at(10, 10)).len(), 1);
        assert_eq!(
            on(&paths, Some("claude"), at(10, 30)),
            None,
            "over at until"
        );
        assert_eq!(fsx_mode(&file(&paths, Some("claude"))), 0o600);
        assert_eq!(lane_name(Some("claude")), "lane claude");
        assert_eq!(lane_name(None), "lane (none: the tasks without a lane)");
    }

    fn fsx_mode(path: &std::path::Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }
}
