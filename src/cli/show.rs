//! `defer show`: a task's latest record wherever it is, or its prompt / output file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use super::args::ShowArgs;
use super::{output, Ctx};
use crate::task::Task;
use crate::{follow, lineage, lookup, prompt};

pub fn exec(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let paths = ctx.paths()?;
    if args.chain {
        let chain = lineage::chain(&ctx.store()?, &paths, &args.id)?
            .ok_or_else(|| anyhow!("task not found: {}", args.id))?;
        output::json(&chain, args.compact)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.follow {
        let mut out = std::io::stdout().lock();
        follow::follow(&ctx.store()?, &paths, &args.id, &mut out, follow::POLL)?;
        return Ok(ExitCode::SUCCESS);
    }
    let task = lookup::find(&ctx.store()?, &paths, &args.id)?
        .ok_or_else(|| anyhow!("task not found: {}", args.id))?
        .task;
    if args.prompt && task.started_at.is_none() {
        output::note(&not_run_note(&task));
        output::stdout(prompt::render(&task).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    match (args.prompt, args.output) {
        (true, _) => print_file("prompt", &task, prompt_path(&task, &paths)),
        (_, true) => print_file("output", &task, paths.output_path(&task.id)),
        _ => output::json(&task, args.compact),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// The prompt file the record names, else where the runner would write it.
fn prompt_path(task: &Task, paths: &crate::config::Paths) -> PathBuf {
    match &task.result {
        Some(result) => PathBuf::from(&result.prompt_path),
        None => paths.prompt_path(&task.id),
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

fn print_file(what: &str, task: &Task, path: PathBuf) -> Result<()> {
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(anyhow!(
                "no {what} file for task {} ({}): {} does not exist{}",
                task.id,
                task.status,
                path.display(),
                hint(what, task)
            ))
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    output::stdout(&bytes)
}

fn hint(what: &str, task: &Task) -> &'static str {
    match (what, task.result.is_some()) {
        (_, false) => " (it is written when the task runs)",
        ("output", true) => " (only an executor writes one; none was configured?)",
        _ => "",
    }
}
