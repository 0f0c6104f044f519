//! `wait`: block until a task finishes (or a time limit passes).

use std::time::Duration;

use anyhow::{bail, Result};

use super::Ctx;
use crate::lookup;
use crate::selector::{self, Purpose, Selector};
use crate::task::Task;
use crate::wait::{self, SystemClock, Waited};

/// How the wait ended.
pub enum Ended {
    /// The task reached a terminal status.
    Finished(Task),
    /// `timeout` passed first; the task as it was then.
    TimedOut(Task),
}

pub fn wait(ctx: &Ctx, selector: &Selector, timeout: Option<u64>) -> Result<Ended> {
    let (store, paths) = (ctx.store()?, ctx.paths()?);
    let id = selector::resolve(&store, &paths, selector, Purpose::Act)?.id;
    let look = || Ok(lookup::find(&store, &paths, &id)?.map(|found| found.task));
    let limit = timeout.map(Duration::from_secs);
    match wait::until_terminal(look, limit, &SystemClock)? {
        Waited::NotFound => bail!("task not found: {id}"),
        Waited::Finished(task) => Ok(Ended::Finished(task)),
        Waited::TimedOut(task) => Ok(Ended::TimedOut(task)),
    }
}
