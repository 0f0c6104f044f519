//! `list`: the active tasks a request selects, in `run_at` order; what "due" means.

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};

use super::health::RunnerCheck;
use super::Ctx;
use crate::query::{self, Filter};
use crate::task::{Intent, Status, Task};
use crate::when;

/// Which tasks to list (every field narrows; the defaults list every pending task).
#[derive(Debug, Default)]
pub struct Request {
    /// Default: scheduled, executing, paused and waiting.
    pub statuses: Vec<Status>,
    /// Every status in the active store.
    pub all: bool,
    pub intents: Vec<Intent>,
    /// Only tasks due now: scheduled (unless `statuses`/`all` say otherwise) with
    /// `run_at` at or before now.
    pub due: bool,
    /// A time expression: only tasks that run at or before it.
    pub before: Option<String>,
    /// A time expression: only tasks that run at or after it.
    pub after: Option<String>,
    pub key: Option<String>,
}

/// The tasks the request selects; invalid store lines and the no-runner warning go to
/// the channel. A scheduled task in a held lane carries `lane_held_until`.
pub fn list(ctx: &Ctx, request: &Request) -> Result<Vec<Task>> {
    let runner_check = RunnerCheck::new(ctx)?;
    let filter = filter(ctx, request)?;
    let store = ctx.store()?;
    let (mut tasks, bad) = query::list(&store, &filter)?;
    ctx.bad_lines(store.path(), &bad);
    runner_check.warn(ctx);
    mark_held(&mut tasks, &crate::hold::active(&ctx.paths()?, ctx.now));
    Ok(tasks)
}

/// A scheduled task in a lane an executor's report holds (SPEC §22) shows it:
/// `lane_held_until` (not stored; the table says `held until`).
fn mark_held(tasks: &mut [Task], holds: &[crate::hold::Hold]) {
    for task in tasks.iter_mut().filter(|t| t.status == Status::Scheduled) {
        if let Some(hold) = holds.iter().find(|h| h.lane == task.lane) {
            task.extra.insert(
                crate::hold::LISTED.into(),
                serde_json::json!(hold.until.to_string()),
            );
        }
    }
}

fn filter(ctx: &Ctx, request: &Request) -> Result<Filter> {
    let before = instant(ctx, "--before", request.before.as_deref())?;
    let due = request.due.then_some(ctx.now);
    // A due task is one waiting to run: executing ones are already running.
    let statuses = match (request.due, request.statuses.is_empty() && !request.all) {
        (true, true) => vec![Status::Scheduled],
        _ => request.statuses.clone(),
    };
    Ok(Filter {
        statuses,
        all: request.all,
        intents: request.intents.clone(),
        run_before: [before, due].into_iter().flatten().min(),
        run_after: instant(ctx, "--after", request.after.as_deref())?,
        key: request.key.clone(),
    })
}

/// A `--before` / `--after` expression as an instant.
fn instant(ctx: &Ctx, flag: &str, expr: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    let Some(expr) = expr else { return Ok(None) };
    let resolved = when::parse(expr, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid {flag} '{expr}': {e}"))?;
    Ok(Some(resolved.at))
}
