//! `defer list`: the selected tasks as a JSON array, or a table for people.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};

use super::args::ListArgs;
use super::health::RunnerCheck;
use super::{output, Ctx};
use crate::query::{self, Filter};
use crate::task::{Status, Task};
use crate::view::{self, Format};
use crate::when;

pub fn exec(ctx: &Ctx, args: ListArgs) -> Result<ExitCode> {
    let tasks = tasks(ctx, &args)?;
    match args.format {
        Format::Json => output::json(&tasks, args.compact)?,
        Format::Table => {
            let width = output::table_width(ctx.env.get("COLUMNS"));
            let mut table = Vec::new();
            view::table(&mut table, &tasks, ctx.now, ctx.env.timezone()?, width)?;
            output::stdout(&table)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The tasks the filters select; invalid store lines and the no-runner warning go to
/// stderr.
pub fn tasks(ctx: &Ctx, args: &ListArgs) -> Result<Vec<Task>> {
    let runner_check = RunnerCheck::new(ctx)?;
    let filter = filter(ctx, args)?;
    let store = ctx.store()?;
    let (mut tasks, bad) = query::list(&store, &filter)?;
    output::bad_lines(store.path(), &bad);
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

fn filter(ctx: &Ctx, args: &ListArgs) -> Result<Filter> {
    let before = instant(ctx, "--before", args.before.as_deref())?;
    let due = args.due.then_some(ctx.now);
    // A due task is one waiting to run: executing ones are already running.
    let statuses = match (args.due, args.statuses.is_empty() && !args.all) {
        (true, true) => vec![Status::Scheduled],
        _ => args.statuses.clone(),
    };
    Ok(Filter {
        statuses,
        all: args.all,
        intents: args.intents.clone(),
        run_before: [before, due].into_iter().flatten().min(),
        run_after: instant(ctx, "--after", args.after.as_deref())?,
        key: args.key.clone(),
    })
}

/// A `--before` / `--after` expression as an instant.
fn instant(ctx: &Ctx, flag: &str, expr: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    let Some(expr) = expr else { return Ok(None) };
    let resolved = when::parse(expr, ctx.now, ctx.env.timezone()?)
        .map_err(|e| anyhow!("invalid {flag} '{expr}': {e}"))?;
    Ok(Some(resolved.at))
}
