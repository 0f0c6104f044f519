//! `schedule`: turning a request into a task (time, context merge, id, per-task command
//! and retry settings) and appending it under the store lock with the duplicate-id and
//! `--key` checks (`--key --replace`: cancel the holder and store the new task in one
//! append).

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::audit::{AuditLog, Event};
use crate::reorient::Snapshot;
use crate::series::{self, SeriesRequest};
use crate::store::{Locked, Store};
use crate::task::{
    is_valid_id, AuraLevel, Context, Execution, Intent, Mode, Overlap, Reorient, Retry, Status,
    Task,
};
use crate::timestamp::Timestamp;
use crate::{ids, when};

/// What the user asked for, every input known.
#[derive(Debug, Clone)]
pub struct Request {
    /// Required unless `series` has `--every`/`--cron` (then: the first occurrence).
    pub when: Option<String>,
    pub summary: Option<String>,
    pub intent: Intent,
    pub mode: Mode,
    pub prompt_template: Option<String>,
    pub aura_level: AuraLevel,
    pub max_retries: u32,
    pub key_points: Vec<String>,
    pub artifacts: Vec<String>,
    pub constraints: Vec<String>,
    pub context_json: Option<String>,
    pub id: Option<String>,
    pub reorient: bool,
    pub project: Option<String>,
    pub context_file: Option<String>,
    pub key: Option<String>,
    /// `--replace`: a live task holding `key` is cancelled in favour of this one.
    pub replace: bool,
    /// The program and arguments after `--`; `Some(empty)` is `--` with nothing after.
    pub command: Option<Vec<String>>,
    /// `--retry-delay` / `--backoff`, when either was given.
    pub retry: Option<Retry>,
    /// Recurrence and missed-run flags (SPEC §12).
    pub series: SeriesRequest,
    /// `DEFER_GRACE_SECONDS`, the grace a series gets without `--grace`.
    pub default_grace: u64,
    /// `--lane` (§20).
    pub lane: Option<String>,
    /// `--overlap` (§20); a series only.
    pub overlap: Option<Overlap>,
}

impl Default for Request {
    /// What `defer schedule` takes when only a time and a summary are given: the
    /// CLI's defaults (resume_task, fresh, low, no retries, a 10-minute grace).
    fn default() -> Self {
        Request {
            when: None,
            summary: None,
            intent: Intent::ResumeTask,
            mode: Mode::Fresh,
            prompt_template: None,
            aura_level: AuraLevel::Low,
            max_retries: 0,
            key_points: Vec::new(),
            artifacts: Vec::new(),
            constraints: Vec::new(),
            context_json: None,
            id: None,
            reorient: false,
            project: None,
            context_file: None,
            key: None,
            replace: false,
            command: None,
            retry: None,
            series: SeriesRequest::default(),
            default_grace: 600,
            lane: None,
            overlap: None,
        }
    }
}

/// A built task, not yet stored.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub task: Task,
    /// Cancel a live task holding the same key instead of returning it.
    pub replace: bool,
    /// The id was generated, so a collision is retried rather than reported.
    pub generated_id: bool,
    /// `run_at` named an explicit instant before `now`.
    pub in_past: bool,
}

/// Builds the task. `snapshot` is the CONTEXT.md snapshot when `--reorient` was given.
pub fn build(
    req: &Request,
    now: DateTime<Utc>,
    tz: Tz,
    snapshot: Option<&Snapshot>,
) -> Result<Prepared> {
    let plan = series::plan(&req.series, now, tz, req.default_grace)?;
    let resolved = match (&req.when, plan.first) {
        (Some(text), _) => when::parse(text, now, tz)
            .map_err(|e| anyhow::anyhow!("invalid --when '{text}': {e}"))?,
        (None, Some(at)) => when::Resolved { at, in_past: false },
        (None, None) => bail!("--when is required (or --every/--cron for a recurring task)"),
    };
    let context = merge_context(req, snapshot)?;
    let (id, generated_id) = match &req.id {
        Some(id) if ids::is_reserved(id) => bail!(
            "invalid --id '{id}': ids shaped like task_YYYYMMDD_HHMMSS_<12 of 0-9a-z> are reserved for generated ids (choose another)"
        ),
        Some(id) if is_valid_id(id) => (id.clone(), false),
        Some(id) => bail!(
            "invalid --id '{id}' (accepted: a letter or digit, then up to 127 letters, digits, '.', '_' or '-')"
        ),
        None => (ids::generate(now), true),
    };
    if let Some(key) = req.key.as_deref().filter(|k| k.trim().is_empty()) {
        bail!("invalid --key '{key}' (accepted: any non-empty text)");
    }
    if req.replace && req.key.is_none() {
        bail!("--replace needs --key <k>: it replaces the live task holding that key");
    }
    if let Some(command) = &req.command {
        crate::command::check(command)?;
    }
    let prompt_template = req
        .prompt_template
        .clone()
        .unwrap_or_else(|| context.summary.clone());
    let mut task = Task {
        id,
        created_at: now.into(),
        run_at: resolved.at.into(),
        kind: "deferred_task".into(),
        intent: req.intent,
        context,
        execution: Execution {
            mode: req.mode,
            prompt_template,
            aura_level: req.aura_level,
            command: req.command.clone(),
            extra: Map::new(),
        },
        status: Status::Scheduled,
        attempts: 0,
        max_retries: req.max_retries,
        reorient_requested: req.reorient,
        reorient: Reorient {
            requested: req.reorient,
            project: req.project.clone(),
            explicit_context_file: req.context_file.clone(),
            extra: Map::new(),
        },
        key: req.key.clone(),
        retry: req.retry.clone(),
        ..Task::blank()
    };
    plan.apply(&mut task, req.series.until.as_deref())?;
    if let Some(lane) = &req.lane {
        crate::lanes::check_name(lane)?;
    }
    if let Some(overlap) = req.overlap.filter(|_| !req.series.is_series()) {
        bail!("invalid --overlap '{overlap}': only a recurring task has it (accepted with --every or --cron)");
    }
    task.lane = req.lane.clone();
    task.overlap = req.overlap;
    Ok(Prepared {
        task,
        replace: req.replace,
        generated_id,
        in_past: resolved.in_past,
    })
}

/// Snapshot first, then `--context-json`, then the flags: lists concatenate in that
/// order; the last summary given wins.
fn merge_context(req: &Request, snapshot: Option<&Snapshot>) -> Result<Context> {
    let mut context = Context::default();
    if let Some(snap) = snapshot {
        context.summary = snap.summary.clone();
        context.key_points = snap.key_points.clone();
        context.artifacts = snap.artifacts.clone();
        context.constraints = snap.constraints.clone();
        context.reoriented_from = Some(snap.reoriented_from.clone());
    }
    if let Some(json) = &req.context_json {
        merge_json(&mut context, json)?;
    }
    if let Some(summary) = &req.summary {
        context.summary = summary.clone();
    }
    context.key_points.extend(req.key_points.iter().cloned());
    context.artifacts.extend(req.artifacts.iter().cloned());
    context.constraints.extend(req.constraints.iter().cloned());
    if context.summary.trim().is_empty() {
        bail!("a summary is required: pass --summary <text> (or one in --context-json, or --reorient)");
    }
    Ok(context)
}

const LIST_FIELDS: [&str; 3] = ["key_points", "artifacts", "constraints"];

fn merge_json(context: &mut Context, json: &str) -> Result<()> {
    let shown = shorten(json);
    let depth = bounds::json_depth(json);
    if depth > bounds::MAX_CONTEXT_DEPTH {
        bail!(
            "invalid --context-json '{shown}': nested {depth} levels deep (accepted: at most {})",
            bounds::MAX_CONTEXT_DEPTH
        );
    }
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(json) else {
        bail!("invalid --context-json '{shown}' (accepted: a JSON object)");
    };
    match object.remove("summary") {
        None => {}
        Some(Value::String(summary)) => context.summary = summary,
        Some(_) => bail!("invalid --context-json '{shown}': summary must be a string"),
    }
    for field in LIST_FIELDS {
        let items = string_list(object.remove(field), field, &shown)?;
        let target = match field {
            "key_points" => &mut context.key_points,
            "artifacts" => &mut context.artifacts,
            _ => &mut context.constraints,
        };
        target.extend(items);
    }
    match object.remove("reoriented_from") {
        None | Some(Value::Null) => {}
        Some(Value::String(from)) => context.reoriented_from = Some(from),
        Some(_) => {
            bail!("invalid --context-json '{shown}': reoriented_from must be a string or null")
        }
    }
    context.extra.extend(object);
    Ok(())
}

fn string_list(value: Option<Value>, field: &str, shown: &str) -> Result<Vec<String>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items = match value {
        Value::Array(items) => items,
        _ => bail!("invalid --context-json '{shown}': {field} must be an array of strings"),
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text),
            _ => bail!("invalid --context-json '{shown}': {field} must be an array of strings"),
        })
        .collect()
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// What `persist` did.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per command
pub enum Outcome {
    Created(Task),
    /// A non-terminal task with the same `--key` exists; nothing was written.
    Existing(Task),
    /// `--replace`: `cancelled` (every live task that held the key: one, or a keyed
    /// series' live occurrences) and `task` were appended together.
    Replaced {
        task: Task,
        cancelled: Vec<Task>,
    },
}

/// Appends the task under the exclusive lock, unless its key is already taken; with
/// `--replace`, the key holder's cancelled snapshot and the new task in one append.
pub fn persist(
    store: &Store,
    audit: &AuditLog,
    prepared: Prepared,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    bounds::check_size(&prepared.task)?;
    let locked = store.write()?;
    let holders = settle(&locked, &prepared)?;
    let cancelled = match prepared.replace {
        true => replaced(holders, &prepared.task, now)?,
        false => match holders.into_iter().next() {
            Some(existing) => return Ok(Outcome::Existing(existing)),
            None => Vec::new(),
        },
    };
    let writes: Vec<&Task> = cancelled.iter().chain([&prepared.task]).collect();
    locked.append(&writes)?;
    drop(locked);
    let task = prepared.task;
    for old in &cancelled {
        crate::cancel::log(audit, old, now);
    }
    audit.record(
        now,
        Event::Scheduled,
        &[
            ("id", &task.id),
            ("run_at", &task.run_at),
            ("intent", &task.intent),
        ],
    );
    Ok(match cancelled.is_empty() {
        false => Outcome::Replaced { task, cancelled },
        true => Outcome::Created(task),
    })
}

/// What `persist` would do, under a shared lock, writing nothing (`--dry-run`).
pub fn preview(store: &Store, prepared: Prepared, now: DateTime<Utc>) -> Result<Outcome> {
    bounds::check_size(&prepared.task)?;
    let locked = store.read()?;
    let holders = settle(&locked, &prepared)?;
    Ok(match holders.first() {
        Some(_) if prepared.replace => Outcome::Replaced {
            cancelled: replaced(holders, &prepared.task, now)?,
            task: prepared.task,
        },
        Some(existing) => Outcome::Existing(existing.clone()),
        None => Outcome::Created(prepared.task),
    })
}

/// The key holders' snapshots once `new` replaces them: `cancelled`, reason
/// `replaced by <new id>`. All of them: a keyed series holds the key in its live
/// occurrences (a retrying one and the next), and `--replace` replaces the series
/// (SPEC §19). A task that is executing cannot be taken back, and a task cannot
/// replace itself (the same `--id`).
fn replaced(holders: Vec<Task>, new: &Task, now: DateTime<Utc>) -> Result<Vec<Task>> {
    holders
        .into_iter()
        .map(|existing| replaced_one(existing, new, now))
        .collect()
}

fn replaced_one(existing: Task, new: &Task, now: DateTime<Utc>) -> Result<Task> {
    if existing.id == new.id {
        bail!("task id already exists: {} (choose another --id)", new.id);
    }
    if existing.status == Status::Executing {
        bail!(
            "cannot replace task {} (key '{}'): it is executing; wait for it (defer wait {}) and schedule again",
            existing.id,
            existing.key.as_deref().unwrap_or_default(),
            existing.id
        );
    }
    let reason = format!("replaced by {}", new.id);
    Ok(crate::cancel::cancelled(existing, Some(&reason), now))
}

/// The store's say on a new task: the live tasks holding its `--key`, first found
/// first (none when the key is free); an error
/// for an explicit id already in use. A generated id is unique by construction
/// (`ids.rs`), so a schedule without `--id` or `--key` reads nothing. One pass over the
/// file looks for the id and the key together; only a hit scans.
fn settle<M>(locked: &Locked<M>, prepared: &Prepared) -> Result<Vec<Task>> {
    let key = prepared.task.key.as_deref();
    let key_needle = key.map(serde_json::to_string).transpose()?;
    let id_needle = (!prepared.generated_id).then(|| quoted(&prepared.task.id));
    if id_needle.is_some() {
        refuse_archived(locked, &prepared.task.id)?;
    }
    let needles: Vec<&[u8]> = [id_needle.as_deref(), key_needle.as_deref()]
        .into_iter()
        .flatten()
        .map(str::as_bytes)
        .collect();
    if needles.is_empty() {
        return Ok(Vec::new());
    }
    let found = locked.contains_each(&needles)?;
    let (id_seen, key_seen) = match id_needle {
        Some(_) => (found[0], found.get(1).copied().unwrap_or(false)),
        None => (false, found[0]),
    };
    if let (Some(key), true) = (key, key_seen) {
        let holders = find_by_key(locked, key)?;
        if !holders.is_empty() {
            return Ok(holders);
        }
    }
    if id_seen && locked.scan()?.get(&prepared.task.id).is_some() {
        bail!(
            "task id already exists: {} (choose another --id)",
            prepared.task.id
        );
    }
    Ok(Vec::new())
}

/// An explicit id that is archived is refused as one in the active store is (SPEC
/// §19), before any `--key` answer: its record left the store but the id lives on in
/// `history` and `show`. Under the store lock, while no sweep can move a record from
/// the store to the archive. Costs only `schedule --id` (`lookup::archived`); a
/// generated id is unique by construction and is not looked up.
fn refuse_archived<M>(locked: &Locked<M>, id: &str) -> Result<()> {
    match locked.archive_dir() {
        Some(dir) if crate::lookup::archived(dir, id)? => {
            bail!("task id already exists: {id} (choose another --id)")
        }
        _ => Ok(()),
    }
}

/// The id as it appears in a record, for the pre-check.
fn quoted(id: &str) -> String {
    format!("\"{id}\"")
}

/// The live tasks holding `key`: the tasks whose records mention the key, each judged
/// by its latest snapshot (which may have finished, or lost the key to a hand edit).
/// Parses only the lines that mention the key or a candidate's id.
fn find_by_key<M>(locked: &Locked<M>, key: &str) -> Result<Vec<Task>> {
    let mut candidates: Vec<String> = Vec::new();
    let needle = serde_json::to_string(key)?;
    locked.records_mentioning(needle.as_bytes(), |task| {
        if task.key.as_deref() == Some(key) && !candidates.contains(&task.id) {
            candidates.push(task.id);
        }
    })?;
    let mut live = Vec::new();
    for id in candidates {
        let mut latest = None;
        locked.records_mentioning(quoted(&id).as_bytes(), |task| {
            if task.id == id {
                latest = Some(task);
            }
        })?;
        live.extend(latest.filter(|t| !t.status.is_terminal() && t.key.as_deref() == Some(key)));
    }
    Ok(live)
}

/// Appears in the record as `run_at`; used for the CLI's past-time warning.
pub fn past_warning(run_at: Timestamp) -> String {
    format!("run_at {run_at} is in the past; the task will run at the next `defer run`")
}

pub mod bounds;
#[cfg(test)]
mod tests;
