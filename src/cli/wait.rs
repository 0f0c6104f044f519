//! `defer wait`: block until a task finishes and print its final record. Exit codes are
//! in `super::exit`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};

use super::args::WaitArgs;
use super::{exit, output, Ctx};
use crate::lookup;
use crate::selector::{self, Purpose};
use crate::task::Status;
use crate::wait::{self, SystemClock, Waited};

pub fn exec(ctx: &Ctx, args: WaitArgs) -> Result<ExitCode> {
    let (store, paths) = (ctx.store()?, ctx.paths()?);
    let selector = args.handle.selector();
    let id = selector::resolve(&store, &paths, &selector, Purpose::Act)?.id;
    let look = || Ok(lookup::find(&store, &paths, &id)?.map(|found| found.task));
    let limit = args.timeout.map(Duration::from_secs);
    match wait::until_terminal(look, limit, &SystemClock)? {
        Waited::NotFound => bail!("task not found: {id}"),
        Waited::Finished(task) => {
            output::json(&task, args.compact)?;
            Ok(match task.status {
                Status::Completed => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::FAILURE),
            })
        }
        Waited::TimedOut(task) => {
            output::json(&task, args.compact)?;
            output::say(&format!(
                "timed out after {}s waiting for task {} (still {})",
                args.timeout.unwrap_or_default(),
                task.id,
                task.status
            ));
            Ok(ExitCode::from(exit::TIMEOUT))
        }
    }
}
