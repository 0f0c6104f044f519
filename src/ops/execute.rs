//! `execute`: run one task now — a stored scheduled task (by id, series id or key) or a
//! task given whole (as `defer list` prints it) — and return its final record.

use std::io::Read;

use anyhow::{anyhow, bail, Context, Result};

use super::run::{teller, wait_for_runner, Wiring};
use super::Ctx;
use crate::lifecycle;
use crate::selector::{self, Selector};
use crate::task::{is_valid_id, Status, Task};

/// Which task to run.
pub enum Request<'a> {
    /// A scheduled task in the store (waits for a running `defer run` first).
    Stored(Selector),
    /// A task's JSON read from here (stdin), as `defer list` or `schedule --compact`
    /// prints it (`export`'s units feed it this way); the store is not touched.
    Given(&'a mut dyn Read),
}

/// The task's record after its attempt; transitions go to the channel when `verbose`.
pub fn execute(ctx: &Ctx, request: Request, verbose: bool) -> Result<Task> {
    let wiring = Wiring::new(ctx)?;
    let tell = teller(ctx, verbose);
    let runner = wiring.runner(&tell);
    let task = match request {
        Request::Given(input) => runner.execute(&lifecycle::claim(&read_task(input)?, ctx.now))?,
        Request::Stored(selector) => {
            let hold = wait_for_runner(ctx, &wiring.paths)?;
            let (id, mut scan) = {
                let locked = wiring.store.read()?;
                let id = selector::resolve_locked(&locked, &selector);
                (ctx.explained(id)?, locked.scan()?)
            };
            let id = &id;
            ctx.bad_lines(wiring.store.path(), &scan.bad);
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
                .execute_stored(id, &mut scan, &mut bad, hold)?
                .ok_or_else(|| anyhow!("task {id} changed while it was being claimed; try again"))?
        }
    };
    ctx.audit_warnings(&wiring.audit);
    Ok(task)
}

/// One task object, as `defer list` prints it, with a valid id.
fn read_task(input: &mut dyn Read) -> Result<Task> {
    let mut text = String::new();
    input
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
