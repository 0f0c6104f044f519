//! `show`: a task's latest record wherever it is (the store or an archive), its prompt
//! or output file, its chain, or its output followed as it grows.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::selector::{self, Purpose, Selector};
use crate::task::Task;
use crate::{follow, lineage, prompt, taskfile};

/// Which file of the task to show beside its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The record only.
    Record,
    /// The prompt it got (before a run: the prompt it would get now).
    Prompt,
    /// The executor's output.
    Output,
}

/// What `show` found: the record and, when asked for, the file.
pub struct Shown {
    pub task: Task,
    pub file: Option<File>,
}

/// What `--prompt` or `--output` shows.
pub enum File {
    /// The prompt a task that never started would get now.
    Rendered(String),
    /// The prompt or output file, opened through the checked path layer (read it whole
    /// as a stream, or its tail).
    Opened(taskfile::Opened),
}

/// The latest record of the task `selector` names and, for `part`, its file.
pub fn show(ctx: &Ctx, selector: &Selector, part: Part) -> Result<Shown> {
    let task = task(ctx, selector)?;
    let file = file(ctx, part, &task)?;
    Ok(Shown { task, file })
}

/// The latest record of the task the handle names, from the active store or an archive.
pub fn task(ctx: &Ctx, selector: &Selector) -> Result<Task> {
    selector::resolve(&ctx.store()?, &ctx.paths()?, selector, Purpose::Show)
}

/// The task, its ancestors and its follow-ups (`show --chain`).
pub fn chain(ctx: &Ctx, selector: &Selector) -> Result<Vec<Task>> {
    let task = task(ctx, selector)?;
    lineage::chain(&ctx.store()?, &ctx.paths()?, &task.id)?
        .ok_or_else(|| anyhow!("task not found: {}", task.id))
}

/// Streams the task's output to `out` as it grows, until the task is finished
/// (`show --output --follow`).
pub fn follow(ctx: &Ctx, selector: &Selector, out: &mut dyn Write) -> Result<()> {
    let task = task(ctx, selector)?;
    follow::follow(&ctx.store()?, &ctx.paths()?, &task.id, out, follow::POLL).map(drop)
}

fn file(ctx: &Ctx, part: Part, task: &Task) -> Result<Option<File>> {
    let paths = ctx.paths()?;
    if part == Part::Prompt && task.started_at.is_none() {
        ctx.note(not_run_note(task));
        let changes = crate::runner::talkback::changes_for(task);
        return Ok(Some(File::Rendered(prompt::render_with(task, &changes))));
    }
    match part {
        Part::Prompt => open_file("prompt", task, prompt_path(task, &paths)).map(Some),
        Part::Output => open_file("output", task, paths.output_path(&task.id)).map(Some),
        Part::Record => Ok(None),
    }
}

/// The prompt file the record names, else where the runner would write it.
fn prompt_path(task: &Task, paths: &crate::config::Paths) -> PathBuf {
    match &task.result {
        Some(result) => PathBuf::from(&result.prompt_path),
        None => paths.prompt_path(&task.id),
    }
}

/// Opens the file without following a link or blocking on a FIFO (safe_fs), or says why
/// there is none.
fn open_file(what: &str, task: &Task, path: PathBuf) -> Result<File> {
    match taskfile::open(&path)? {
        Some(file) => Ok(File::Opened(file)),
        None => Err(anyhow!(
            "no {what} file for task {} ({}): {} does not exist{}",
            task.id,
            task.status,
            path.display(),
            hint(what, task)
        )),
    }
}

/// Said when `--prompt` renders the prompt of a task that never started.
fn not_run_note(task: &Task) -> String {
    match task.status.is_terminal() {
        false => format!(
            "task {} has not run yet; this is the prompt it would get now",
            task.id
        ),
        true => format!(
            "task {} never ran ({}); this is the prompt it would have got",
            task.id, task.status
        ),
    }
}

fn hint(what: &str, task: &Task) -> &'static str {
    match (what, task.result.is_some()) {
        (_, false) => " (it is written when the task runs)",
        ("output", true) => " (only an executor writes one; none was configured?)",
        _ => "",
    }
}
