//! Lineage (SPEC §14): which task a new one follows up (`parent_id`, from
//! `DEFER_TASK_ID` or `--parent`), and a task's chain — its root ancestor and every
//! follow-up under it — from the active store and the archives. Read-only.
//!
//! Records are untrusted: a parent id that is not a valid id, a parent that no file
//! holds, or a cycle (hand-edited stores) ends the walk instead of looping.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};

use crate::config::Paths;
use crate::lookup;
use crate::store::Store;
use crate::task::{is_valid_id, Task};

/// The marker every record with a parent carries; lines without it are not parsed.
const NEEDLE: &[u8] = b"\"parent_id\"";

const ID_RULE: &str = "a letter or digit, then up to 127 letters, digits, '.', '_' or '-'";

/// The `parent_id` a new task gets: none with `--no-parent`, else `--parent`, else
/// `DEFER_TASK_ID` (set by the runner for executors; empty counts as unset).
pub fn parent(
    explicit: Option<&str>,
    no_parent: bool,
    env: Option<&str>,
) -> Result<Option<String>> {
    if no_parent {
        return Ok(None);
    }
    match (explicit, env.filter(|v| !v.is_empty())) {
        (Some(id), _) if !is_valid_id(id) => bail!("invalid --parent '{id}' (accepted: {ID_RULE})"),
        (Some(id), _) => Ok(Some(id.to_string())),
        (None, Some(id)) if !is_valid_id(id) => bail!(
            "invalid DEFER_TASK_ID '{id}' (accepted: {ID_RULE}); unset it or pass --no-parent"
        ),
        (None, Some(id)) => Ok(Some(id.to_string())),
        (None, None) => Ok(None),
    }
}

/// The chain of `id`: the latest record of its root ancestor, then, depth first, each
/// task's follow-ups in creation order (the task itself among them). `None` when no
/// file holds `id`.
pub fn chain(store: &Store, paths: &Paths, id: &str) -> Result<Option<Vec<Task>>> {
    let Some(found) = lookup::find(store, paths, id)? else {
        return Ok(None);
    };
    let mut known = with_parents(store, paths)?;
    known.entry(found.task.id.clone()).or_insert(found.task);
    // Up: follow parent ids while they are valid, known, and not seen before.
    let mut root = id.to_string();
    let mut path = HashSet::from([root.clone()]);
    while let Some(parent) = known[&root].parent_id.clone() {
        if !is_valid_id(&parent) || path.contains(&parent) {
            break;
        }
        if !known.contains_key(&parent) {
            match lookup::find(store, paths, &parent)? {
                Some(found) => known.insert(parent.clone(), found.task),
                None => break,
            };
        }
        path.insert(parent.clone());
        root = parent;
    }
    // Down: children in creation order (then id), each task once.
    let mut children: HashMap<&str, Vec<&Task>> = HashMap::new();
    for task in known.values() {
        if let Some(parent) = task.parent_id.as_deref() {
            children.entry(parent).or_default().push(task);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    }
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    let mut stack = vec![known[&root].clone()];
    while let Some(task) = stack.pop() {
        if !visited.insert(task.id.clone()) {
            continue;
        }
        if let Some(list) = children.get(task.id.as_str()) {
            stack.extend(list.iter().rev().map(|t| (*t).clone()));
        }
        out.push(task);
    }
    Ok(Some(out))
}

/// The latest record of every task whose records name a parent: the active store's,
/// else the newest archive month's.
fn with_parents(store: &Store, paths: &Paths) -> Result<HashMap<String, Task>> {
    let mut known = HashMap::new();
    store.read()?.records_mentioning(NEEDLE, |task| {
        known.insert(task.id.clone(), task);
    })?;
    for file in lookup::archive_files(&paths.archive_dir)? {
        let mut in_file = HashMap::new();
        lookup::each_record_mentioning(&file, NEEDLE, |task| {
            in_file.insert(task.id.clone(), task);
        })?;
        for (id, task) in in_file {
            known.entry(id).or_insert(task);
        }
    }
    known.retain(|_, task: &mut Task| task.parent_id.is_some());
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_sources_in_order() {
        assert_eq!(parent(None, false, None).unwrap(), None);
        assert_eq!(parent(None, false, Some("")).unwrap(), None);
        assert_eq!(
            parent(None, false, Some("p1")).unwrap().as_deref(),
            Some("p1")
        );
        assert_eq!(
            parent(Some("p2"), false, Some("p1")).unwrap().as_deref(),
            Some("p2")
        );
        assert_eq!(parent(None, true, Some("p1")).unwrap(), None);
        let err = parent(None, false, Some("a b")).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid DEFER_TASK_ID 'a b'") && err.contains("--no-parent"),
            "{err}"
        );
        let err = parent(Some("../x"), false, None).unwrap_err().to_string();
        assert!(err.starts_with("invalid --parent '../x'"), "{err}");
    }
}
