//! `defer execute`: run one task now, from the store (`--id`) or from stdin JSON.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};

use super::args::ExecuteArgs;
use super::run::{printer, wait_for_runner, Wiring};
use super::{exit, output, Ctx};
use crate::lifecycle;
use crate::selector::{self, Selector};
use crate::task::{is_valid_id, Status, Task};

pub fn exec(ctx: &Ctx, args: ExecuteArgs) -> Result<ExitCode> {
    let wiring = Wiring::new(ctx)?;
    let print = printer(args.verbose);
    let runner = wiring.runner(&print);
    let selector = match (&args.id, &args.key) {
        (_, Some(key)) => Some(Selector::Key(key.clone())),
        (Some(id), None) => Some(Selector::Id(id.clone())),
        (None, None) => None,
    };
    let task = match &selector {
        Some(selector) => {
            let _lock = wait_for_runner(&wiring.paths)?;
            let (id, mut scan) = {
                let locked = wiring.store.read()?;
                let id = selector::resolve_locked(&locked, selector);
                (super::handle::explained(ctx, id)?, locked.scan()?)
            };
            let id = &id;
            output::bad_lines(wiring.store.path(), &scan.bad);
            match scan.get(id) {
                None => bail!("task not found: {id}"),
                Some(e) if e.status != Status::Scheduled => bail!(
                    "cannot execute task {id}: its status is {} (only scheduled tasks can be executed)",
                    e.status
                ),
                Some(_) => {}
            }
            let mut bad = Vec::new();
            runner
                .execute_stored(id, &mut scan, &mut bad)?
                .ok_or_else(|| anyhow!("task {id} changed while it was being claimed; try again"))?
        }
        None => runner.execute(&lifecycle::claim(&read_stdin_task()?, ctx.now))?,
    };
    output::audit_warnings(&wiring.audit);
    output::json(&task, args.compact)?;
    match task.status {
        Status::Completed => return Ok(ExitCode::SUCCESS),
        // Its `failed after n attempts` line is printed already.
        Status::Failed => return Ok(ExitCode::from(exit::FAILURE)),
        _ => {}
    }
    let why = task
        .error
        .as_deref()
        .or(task.last_error.as_deref())
        .unwrap_or("unknown error");
    output::say(&format!(
        "task {} did not complete ({}): {why}",
        task.id, task.status
    ));
    Ok(ExitCode::from(exit::FAILURE))
}

fn read_stdin_task() -> Result<Task> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the task JSON from stdin")?;
    if text.trim().is_empty() {
        bail!("no task on stdin: pass --id <id>, or pipe one task JSON object (as `defer list` prints it)");
    }
    let task: Task = serde_json::from_str(text.trim())
        .map_err(|e| anyhow!("invalid task JSON on stdin: {e} (accepted: one task object, as `defer schedule --compact` prints it)"))?;
    if !is_valid_id(&task.id) {
        bail!(
            "invalid task JSON on stdin: id '{}' is not a valid task id",
            task.id
        );
    }
    Ok(task)
}
