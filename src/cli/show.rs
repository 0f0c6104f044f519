//! `defer show`: a task's latest record wherever it is, or its prompt / output file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::args::ShowArgs;
use super::{output, Ctx};
use crate::selector::{self, Purpose};
use crate::task::Task;
use crate::{follow, lineage, prompt, taskfile};

pub fn exec(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let paths = ctx.paths()?;
    let task = task(ctx, &args)?;
    if args.chain {
        let chain = lineage::chain(&ctx.store()?, &paths, &task.id)?
            .ok_or_else(|| anyhow!("task not found: {}", task.id))?;
        output::json(&chain, args.compact)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.follow {
        let mut out = std::io::stdout().lock();
        follow::follow(&ctx.store()?, &paths, &task.id, &mut out, follow::POLL)?;
        return Ok(ExitCode::SUCCESS);
    }
    match file(ctx, &args, &task)? {
        Some(Shown::Rendered(text)) => output::stdout(text.as_bytes()),
        // Streamed: an output file of any size never sits in memory whole.
        Some(Shown::File(file)) => file.copy_to(&mut std::io::stdout().lock()).map(drop),
        None => output::json(&task, args.compact),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// The latest record of the task the handle names, from the active store or an archive.
pub fn task(ctx: &Ctx, args: &ShowArgs) -> Result<Task> {
    let selector = args.handle.selector();
    selector::resolve(&ctx.store()?, &ctx.paths()?, &selector, Purpose::Show)
}

/// What `--prompt` or `--output` shows.
pub enum Shown {
    /// The prompt a task that never started would get now.
    Rendered(String),
    /// The prompt or output file, opened through the checked path layer.
    File(taskfile::Opened),
}

/// The prompt (`--prompt`; before a run, the prompt it would get now) or output
/// (`--output`) file; `None` when neither is asked for.
pub fn file(ctx: &Ctx, args: &ShowArgs, task: &Task) -> Result<Option<Shown>> {
    let paths = ctx.paths()?;
    if args.prompt && task.started_at.is_none() {
        output::note(&not_run_note(task));
        let changes = crate::runner::talkback::changes_for(task);
        return Ok(Some(Shown::Rendered(prompt::render_with(task, &changes))));
    }
    match (args.prompt, args.output) {
        (true, _) => open_file("prompt", task, prompt_path(task, &paths)).map(Some),
        (_, true) => open_file("output", task, paths.output_path(&task.id)).map(Some),
        _ => Ok(None),
    }
}

/// The prompt file the record names, else where the runner would write it.
fn prompt_path(task: &Task, paths: &crate::config::Paths) -> PathBuf {
    match &task.result {
        Some(result) => PathBuf::from(&result.prompt_path),
        None => paths.prompt_path(&task.id),
    }
}

/// Opens the file without following a link or blocking on a FIFO (fsx), or says why
/// there is none.
fn open_file(what: &str, task: &Task, path: PathBuf) -> Result<Shown> {
    match taskfile::open(&path)? {
        Some(file) => Ok(Shown::File(file)),
        None => Err(anyhow!(
            "no {what} file for task {} ({}): {} does not exist{}",
            task.id,
            task.status,
            path.display(),
            hint(what, task)
        )),
    }
}

/// Said on stderr when `--prompt` renders the prompt of a task that never started.
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
