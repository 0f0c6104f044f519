//! Task ids offered by dynamic shell completion: which ids of the active store fit a
//! command, read under a shared lock, creating nothing.

use std::collections::HashSet;

use anyhow::Result;

use crate::config::Paths;
use crate::store::{Entry, Store};
use crate::task::Status;

/// Which tasks a command's id argument can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `pause`, `execute --id`: scheduled tasks.
    Scheduled,
    /// `resume`: paused tasks.
    Paused,
    /// `cancel`, `reschedule`, `export`: scheduled or paused tasks.
    Changeable,
    /// `wait`: tasks that have not finished.
    Unfinished,
    /// `show`, `schedule --parent`: every task in the active store, unfinished first.
    Any,
    /// `history --series`, `stats --series`: the series ids (first occurrence's id) in the active store.
    Series,
}

impl IdKind {
    fn takes(self, status: Status) -> bool {
        match self {
            IdKind::Scheduled => status == Status::Scheduled,
            IdKind::Paused => status == Status::Paused,
            IdKind::Changeable => matches!(status, Status::Scheduled | Status::Paused),
            IdKind::Unfinished => !status.is_terminal(),
            IdKind::Any | IdKind::Series => true,
        }
    }
}

/// One id to offer, with what the shell may show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub status: Status,
    /// The task's summary (for a series, its latest occurrence's), as stored: untrusted.
    pub summary: String,
}

/// The ids of `kind` in the store of `paths` that start with `prefix`: unfinished tasks
/// first, then finished ones, each group in store order. A store that does not exist
/// (or has no lock file yet) offers nothing and nothing is created; a store failing the
/// trust checks is an error. Only the records offered are parsed a second time (for
/// their summaries).
pub fn candidates(paths: &Paths, kind: IdKind, prefix: &str) -> Result<Vec<Candidate>> {
    let store = Store::open(paths, false)?;
    // `Store::read` creates a missing lock file; a completion must create nothing.
    if !paths.tasks_file.is_file() || !paths.store_lock().is_file() {
        return Ok(Vec::new());
    }
    let locked = store.read()?;
    let scan = locked.scan()?;
    let chosen = choose(&scan.entries, kind, prefix);
    let mut out = Vec::with_capacity(chosen.len());
    for (id, entry) in chosen {
        // A record that no longer parses as a whole task is skipped, not offered.
        if let Ok(task) = locked.load(entry) {
            out.push(Candidate {
                id,
                status: entry.status,
                summary: task.context.summary,
            });
        }
    }
    Ok(out)
}

/// The (offered id, entry whose record describes it) pairs, in the order offered.
fn choose<'a>(entries: &'a [Entry], kind: IdKind, prefix: &str) -> Vec<(String, &'a Entry)> {
    let mut chosen: Vec<(String, &Entry)> = Vec::new();
    if kind == IdKind::Series {
        // The latest occurrence of each series names it; later ones replace earlier.
        let mut seen = HashSet::new();
        for entry in entries.iter().rev() {
            if let Some((series, _)) = &entry.series {
                if series.starts_with(prefix) && seen.insert(series.as_str()) {
                    chosen.push((series.clone(), entry));
                }
            }
        }
        chosen.reverse();
    } else {
        chosen.extend(
            entries
                .iter()
                .filter(|e| kind.takes(e.status) && e.id.starts_with(prefix))
                .map(|e| (e.id.clone(), e)),
        );
    }
    // Stable: store order kept within each group.
    chosen.sort_by_key(|(_, e)| e.status.is_terminal());
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn entry(id: &str, status: Status, series: Option<&str>) -> Entry {
        let at = Timestamp::parse("2026-12-01T09:00:00Z").unwrap();
        Entry {
            id: id.to_string(),
            status,
            run_at: at,
            archive_stamp: at,
            key: None,
            series: series.map(|s| (s.to_string(), 1)),
            line_no: 1,
            offset: 0,
            len: 0,
        }
    }

    fn ids(entries: &[Entry], kind: IdKind, prefix: &str) -> Vec<String> {
        choose(entries, kind, prefix)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    fn store() -> Vec<Entry> {
        vec![
            entry("done", Status::Completed, None),
            entry("a-sched", Status::Scheduled, None),
            entry("a-paused", Status::Paused, None),
            entry("running", Status::Executing, None),
            entry("gone", Status::Cancelled, None),
        ]
    }

    #[test]
    fn each_kind_offers_the_statuses_its_command_takes() {
        let s = store();
        assert_eq!(ids(&s, IdKind::Scheduled, ""), ["a-sched"]);
        assert_eq!(ids(&s, IdKind::Paused, ""), ["a-paused"]);
        assert_eq!(ids(&s, IdKind::Changeable, ""), ["a-sched", "a-paused"]);
        assert_eq!(
            ids(&s, IdKind::Unfinished, ""),
            ["a-sched", "a-paused", "running"]
        );
    }

    #[test]
    fn any_puts_unfinished_tasks_first_in_store_order() {
        assert_eq!(
            ids(&store(), IdKind::Any, ""),
            ["a-sched", "a-paused", "running", "done", "gone"]
        );
    }

    #[test]
    fn only_ids_with_the_typed_prefix() {
        assert_eq!(ids(&store(), IdKind::Any, "a-"), ["a-sched", "a-paused"]);
        assert_eq!(ids(&store(), IdKind::Any, "zz"), Vec::<String>::new());
    }

    #[test]
    fn series_are_offered_once_by_their_series_id() {
        let s = vec![
            entry("s1", Status::Completed, Some("s1")),
            entry("t", Status::Scheduled, None),
            entry("s1-2", Status::Scheduled, Some("s1")),
            entry("old-1", Status::Failed, Some("old")),
        ];
        let chosen = choose(&s, IdKind::Series, "");
        let got: Vec<(&str, &str)> = chosen
            .iter()
            .map(|(id, e)| (id.as_str(), e.id.as_str()))
            .collect();
        // The series still running first; each described by its latest occurrence.
        assert_eq!(got, [("s1", "s1-2"), ("old", "old-1")]);
    }
}
