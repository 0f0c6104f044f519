//! `schedule`: a request → the stored (or previewed) task, with its warnings (a held
//! key, a past time, no runner) and whether this call stored it.

use anyhow::{bail, Result};

use super::health::RunnerCheck;
use super::{Ctx, Front};
use crate::schedule::{self as store_task, Outcome};
use crate::task::Task;
use crate::{lineage, lookup};

/// Everything `schedule` takes: the task's own fields, and what only this operation
/// decides (its parent, budget, answer timeout, whether to store it).
pub struct Request {
    pub task: store_task::Request,
    /// `--parent`: must name a task in the store or the archives.
    pub parent: Option<String>,
    /// `--no-parent`: no parent even when DEFER_TASK_ID is set.
    pub no_parent: bool,
    pub answer_timeout: Option<u64>,
    pub budget: Option<f64>,
    pub dry_run: bool,
}

/// What `schedule` produced: the task, and whether this call stored it (not a dry run,
/// not a live task already holding the key).
pub struct Scheduled {
    pub task: Task,
    pub stored: bool,
}

/// Stores (or, on a dry run, previews) the task; warnings name options as the caller's
/// front end spells them.
pub fn schedule(ctx: &Ctx, request: Request) -> Result<Scheduled> {
    let front = ctx.front;
    let runner_check = RunnerCheck::new(ctx)?;
    let tz = ctx.env.timezone()?;
    let Request {
        task: mut wanted,
        parent: explicit_parent,
        no_parent,
        answer_timeout,
        budget,
        dry_run,
    } = request;
    wanted.default_grace = ctx.env.grace_seconds()?;
    let snapshot = match wanted.reorient {
        true => Some(super::reorient::snapshot(
            ctx,
            wanted.context_file.as_deref(),
            wanted.project.as_deref(),
        )?),
        false => None,
    };
    let mut prepared = store_task::build(&wanted, ctx.now, tz, snapshot.as_ref())?;
    prepared.task.parent_id = parent(ctx, explicit_parent.as_deref(), no_parent)?;
    prepared.task.answer_timeout_seconds = answer_timeout;
    if let Some(usd) = budget {
        if prepared.task.series.is_none() {
            bail!("invalid --budget '{usd}': only a recurring task has it (accepted with --every or --cron)");
        }
        prepared.task.budget_usd = Some(usd);
    }
    prepared.task.snapshot = world(ctx, &prepared.task);
    if prepared.task.retry.is_some() && prepared.task.max_retries == 0 {
        ctx.warn(format!(
            "{} and {} only matter with {} 1 or more",
            front.option("retry-delay"),
            front.option("backoff"),
            front.option("max-retries")
        ));
    }
    if prepared.in_past {
        ctx.warn(store_task::past_warning(prepared.task.run_at));
    }
    let audit = ctx.audit()?;
    let outcome = match dry_run {
        true => store_task::preview(&ctx.store()?, prepared, ctx.now)?,
        false => store_task::persist(&ctx.store()?, &audit, prepared, ctx.now)?,
    };
    ctx.audit_warnings(&audit);
    let stored = !dry_run && !matches!(outcome, Outcome::Existing(_));
    let task = match outcome {
        Outcome::Created(task) => task,
        Outcome::Existing(task) => {
            ctx.warn(format!(
                "a task with key '{}' already exists ({}, {}); nothing to store ({} replaces it)",
                task.key.as_deref().unwrap_or_default(),
                task.id,
                task.status,
                front.option("replace")
            ));
            task
        }
        Outcome::Replaced { task, cancelled } => {
            for cancelled in &cancelled {
                ctx.info(format!(
                    "task {} (key '{}') {}: replaced by {}",
                    cancelled.id,
                    cancelled.key.as_deref().unwrap_or_default(),
                    match dry_run {
                        true => "would be cancelled (dry run)",
                        false => "cancelled",
                    },
                    task.id
                ));
            }
            task
        }
    };
    if let Some(warning) = stored
        .then(|| crate::command::not_found_now(&task, ctx.env.get("PATH")))
        .flatten()
    {
        ctx.warn(warning);
    }
    if !dry_run {
        runner_check.warn(ctx);
    }
    Ok(Scheduled { task, stored })
}

/// What changed since scheduling is told at run time (SPEC §22): the git work tree of
/// the current directory and, from the command line only, the artifacts that are
/// local files. Over MCP only the git part: a model's artifact paths are not statted.
fn world(ctx: &Ctx, task: &Task) -> Option<crate::snapshot::Snapshot> {
    let cwd = std::env::current_dir().ok()?;
    let artifacts: &[String] = match ctx.front {
        Front::Cli => &task.context.artifacts,
        Front::Mcp => &[],
    };
    crate::snapshot::capture(&cwd, artifacts)
}

/// `--parent` (which must exist), else `DEFER_TASK_ID`, unless `--no-parent`.
fn parent(ctx: &Ctx, explicit: Option<&str>, no_parent: bool) -> Result<Option<String>> {
    let id = lineage::parent(explicit, no_parent, ctx.env.get("DEFER_TASK_ID"))?;
    if let Some(explicit) = explicit {
        if lookup::find(&ctx.store()?, &ctx.paths()?, explicit)?.is_none() {
            bail!(
                "invalid --parent '{explicit}': no task with that id in the store or the archives"
            );
        }
    }
    Ok(id)
}
