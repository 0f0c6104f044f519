//! One handle for a task (SPEC §21): an id, a series id (its first occurrence's id) or a
//! `--key`, resolved against the store (and, to show a record, the archives) to the one
//! record a command acts on. Every command and the MCP tools resolve through here; the
//! commands themselves only ever see a concrete id.

use std::collections::HashMap;
use std::fmt;

use anyhow::{bail, Result};

use crate::config::Paths;
use crate::lookup;
use crate::store::{Locked, Store};
use crate::task::{Status, Task};

/// What the user named: an id (a task's, or a series' first occurrence's) or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Id(String),
    Key(String),
}

impl From<&str> for Selector {
    fn from(id: &str) -> Self {
        Selector::Id(id.to_string())
    }
}

impl From<&String> for Selector {
    fn from(id: &String) -> Self {
        Selector::Id(id.clone())
    }
}

/// What the record is wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// To change or run it (cancel, pause, resume, reschedule, execute, wait, export):
    /// a finished occurrence whose series goes on is an error naming the live one.
    Act,
    /// To print it (show): any record, and a series' last record once it ended.
    Show,
}

impl Selector {
    /// The quoted text every line of the tasks it may name contains: an id is in its
    /// own records and (as `series.id`) in every occurrence of the series it names.
    fn needle(&self) -> Vec<u8> {
        let text = match self {
            Selector::Id(id) | Selector::Key(id) => id,
        };
        serde_json::to_string(text).unwrap_or_default().into_bytes()
    }

    fn not_found(&self) -> anyhow::Error {
        anyhow::Error::new(NotFound(self.clone()))
    }
}

/// No task for the handle where it was looked for (`task not found: <id>`); the
/// archives may know more (`explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound(pub Selector);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Selector::Id(id) => write!(f, "task not found: {id}"),
            Selector::Key(key) => {
                write!(
                    f,
                    "no live task has key '{key}' (finished ones are in history)"
                )
            }
        }
    }
}

impl std::error::Error for NotFound {}

/// `err`, unless it is `resolve_locked`'s `NotFound` and the archives say more: an
/// archived finished occurrence whose series goes on names the live one. Only the
/// error path reads the archives.
pub fn explain(store: &Store, paths: &Paths, err: anyhow::Error) -> anyhow::Error {
    let Some(NotFound(selector)) = err.downcast_ref::<NotFound>() else {
        return err;
    };
    match resolve(store, paths, selector, Purpose::Act) {
        Err(better) => better,
        Ok(_) => err,
    }
}

/// The record `selector` names for `purpose`, from the active store (read under a shared
/// lock), else the archives, newest month first. An unknown handle is an error (`task
/// not found: <id>`); so is, for `Purpose::Act`, a finished occurrence whose series goes
/// on. A command that writes resolves the handle under its write lock instead
/// (`resolve_locked`), and `explain`s a miss with this.
pub fn resolve(
    store: &Store,
    paths: &Paths,
    selector: &Selector,
    purpose: Purpose,
) -> Result<Task> {
    let active = latest_mentioning(&store.read()?, selector)?;
    let in_series = |s: &str| -> Result<Vec<Task>> {
        latest_mentioning(&store.read()?, &Selector::Id(s.to_string()))
    };
    if let Some(task) = pick(selector, &active, purpose, in_series)? {
        return Ok(task);
    }
    // Archives hold no live task: a key to act on is not there.
    if let (Selector::Id(_), _) | (_, Purpose::Show) = (selector, purpose) {
        for file in lookup::archive_files(&paths.archive_dir)? {
            // Archived records first: the active store's are newer.
            let mut seen = Latest::default();
            lookup::each_record_mentioning(&file, &selector.needle(), |task| seen.keep(task))?;
            active.iter().cloned().for_each(|task| seen.keep(task));
            if let Some(task) = pick(selector, &seen.tasks, purpose, in_series)? {
                return Ok(task);
            }
        }
    }
    // A key given where an id goes (`defer pause my-key`): say so.
    if let Selector::Id(id) = selector {
        let keyed = |t: &Task| t.key.as_deref() == Some(id.as_str()) && !t.status.is_terminal();
        if active.iter().any(keyed) {
            bail!("task not found: {id} ('{id}' is the key of a live task: name it by key, e.g. --key {id})");
        }
    }
    Err(selector.not_found())
}

/// The id `selector` names in a store the caller holds locked (a command about to
/// write reads and writes under the same lock): the record `resolve` would act on.
pub fn resolve_locked<M>(locked: &Locked<M>, selector: &Selector) -> Result<String> {
    let found = latest_mentioning(locked, selector)?;
    let in_series =
        |s: &str| -> Result<Vec<Task>> { latest_mentioning(locked, &Selector::Id(s.to_string())) };
    match pick(selector, &found, Purpose::Act, in_series)? {
        Some(task) => Ok(task.id),
        None => Err(selector.not_found()),
    }
}

/// The latest snapshot of every task with a line mentioning the selector's needle, in
/// order of first appearance.
fn latest_mentioning<M>(locked: &Locked<M>, selector: &Selector) -> Result<Vec<Task>> {
    let mut latest = Latest::default();
    locked.records_mentioning(&selector.needle(), |task| latest.keep(task))?;
    Ok(latest.tasks)
}

/// Latest snapshots by id, in order of first appearance.
#[derive(Default)]
struct Latest {
    tasks: Vec<Task>,
    index: HashMap<String, usize>,
}

impl Latest {
    fn keep(&mut self, task: Task) {
        match self.index.get(&task.id) {
            Some(&i) => self.tasks[i] = task,
            None => {
                self.index.insert(task.id.clone(), self.tasks.len());
                self.tasks.push(task);
            }
        }
    }
}

/// The pure choice among `seen` (the latest records that mention the handle).
/// `series(sid)` gives the latest records mentioning another series id, read only when
/// a finished occurrence's series must be checked for a live occurrence.
pub fn pick(
    selector: &Selector,
    seen: &[Task],
    purpose: Purpose,
    series: impl Fn(&str) -> Result<Vec<Task>>,
) -> Result<Option<Task>> {
    let id = match selector {
        Selector::Key(key) => {
            let holders: Vec<&Task> = seen
                .iter()
                .filter(|t| t.key.as_deref() == Some(key.as_str()))
                .collect();
            let live = newest_live(holders.iter().copied());
            let any = || {
                (purpose == Purpose::Show)
                    .then(|| holders.last().copied())
                    .flatten()
            };
            return Ok(live.or_else(any).cloned());
        }
        Selector::Id(id) => id,
    };
    // A series' first occurrence has the series' id: while it waits (for a retry, say)
    // the id names it, as it always did; once it runs or ends, the series' live one.
    if let Some(own) = seen
        .iter()
        .find(|t| &t.id == id && !t.status.is_terminal() && t.status != Status::Executing)
    {
        return Ok(Some(own.clone()));
    }
    let occurrences: Vec<&Task> = seen
        .iter()
        .filter(|t| t.series.as_ref().is_some_and(|s| &s.id == id))
        .collect();
    if !occurrences.is_empty() {
        // A series id: the series' live occurrence, else (to show) its last record.
        let last = || {
            occurrences
                .iter()
                .copied()
                .max_by_key(|t| t.series.as_ref().map_or(0, |s| s.occurrence))
        };
        return Ok(newest_live(occurrences.iter().copied())
            .or_else(last)
            .cloned());
    }
    let Some(own) = seen.iter().find(|t| &t.id == id) else {
        return Ok(None);
    };
    if let (Purpose::Act, true, Some(sid)) = (
        purpose,
        own.status.is_terminal(),
        own.series.as_ref().map(|s| &s.id),
    ) {
        let others = series(sid)?;
        let occurrences = others
            .iter()
            .filter(|t| t.series.as_ref().is_some_and(|s| &s.id == sid));
        if let Some(live) = newest_live(occurrences) {
            let key = match &live.key {
                Some(key) => format!(" or --key {key}"),
                None => String::new(),
            };
            bail!(
                "task {id} already {}; its series continues as {} (use the series id {sid}{key})",
                own.status,
                live.id
            );
        }
    }
    Ok(Some(own.clone()))
}

/// The live (not finished) task among `tasks` that came last: a series' pending
/// occurrence rather than the one executing.
fn newest_live<'a>(tasks: impl Iterator<Item = &'a Task>) -> Option<&'a Task> {
    tasks
        .filter(|t| !t.status.is_terminal())
        .max_by_key(|t| t.series.as_ref().map_or(0, |s| s.occurrence))
}

#[cfg(test)]
mod tests;
