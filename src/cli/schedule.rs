//! `defer schedule`: argv → `schedule::Request` → the stored task, printed.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::ScheduleArgs;
use super::health::RunnerCheck;
use super::{output, Ctx};
use crate::schedule::{self, Outcome, Request};
use crate::series::SeriesRequest;
use crate::task::{Retry, Task};
use crate::{lineage, lookup, reorient};

pub fn exec(ctx: &Ctx, args: ScheduleArgs) -> Result<ExitCode> {
    let task = task(ctx, &args)?;
    output::json(&task, args.compact)?;
    Ok(ExitCode::SUCCESS)
}

/// The stored (or, with `--dry-run`, previewed) task; warnings (a held key, a past
/// time, no runner) go to stderr.
pub fn task(ctx: &Ctx, args: &ScheduleArgs) -> Result<Task> {
    let runner_check = RunnerCheck::new(ctx)?;
    let tz = ctx.env.timezone()?;
    let mut request = request(args);
    request.default_grace = ctx.env.grace_seconds()?;
    let snapshot = match request.reorient {
        true => Some(reorient::load(&lookup(ctx, &request)?)?),
        false => None,
    };
    let mut prepared = schedule::build(&request, ctx.now, tz, snapshot.as_ref())?;
    prepared.task.parent_id = parent(ctx, args)?;
    if prepared.task.retry.is_some() && prepared.task.max_retries == 0 {
        output::warn("--retry-delay and --backoff only matter with --max-retries 1 or more");
    }
    if prepared.in_past {
        output::warn(&schedule::past_warning(prepared.task.run_at));
    }
    let audit = ctx.audit()?;
    let outcome = match args.dry_run {
        true => schedule::preview(&ctx.store()?, prepared, ctx.now)?,
        false => schedule::persist(&ctx.store()?, &audit, prepared, ctx.now)?,
    };
    output::audit_warnings(&audit);
    let task = match outcome {
        Outcome::Created(task) => task,
        Outcome::Existing(task) => {
            output::warn(&format!(
                "a task with key '{}' already exists ({}, {}); nothing to store (--replace replaces it)",
                task.key.as_deref().unwrap_or_default(),
                task.id,
                task.status
            ));
            task
        }
        Outcome::Replaced { task, cancelled } => {
            output::say(&format!(
                "task {} (key '{}') {}: replaced by {}",
                cancelled.id,
                cancelled.key.as_deref().unwrap_or_default(),
                match args.dry_run {
                    true => "would be cancelled (dry run)",
                    false => "cancelled",
                },
                task.id
            ));
            task
        }
    };
    if !args.dry_run {
        runner_check.warn(ctx);
    }
    Ok(task)
}

/// `--parent` (which must exist), else `DEFER_TASK_ID`, unless `--no-parent`.
fn parent(ctx: &Ctx, args: &ScheduleArgs) -> Result<Option<String>> {
    let id = lineage::parent(
        args.parent.as_deref(),
        args.no_parent,
        ctx.env.get("DEFER_TASK_ID"),
    )?;
    if let Some(explicit) = args.parent.as_deref() {
        if lookup::find(&ctx.store()?, &ctx.paths()?, explicit)?.is_none() {
            bail!(
                "invalid --parent '{explicit}': no task with that id in the store or the archives"
            );
        }
    }
    Ok(id)
}

/// Where `--reorient` looks for CONTEXT.md.
pub fn lookup(ctx: &Ctx, request: &Request) -> Result<reorient::Lookup> {
    Ok(reorient::Lookup {
        context_file: request.context_file.as_ref().map(Into::into),
        project: request.project.clone(),
        env_context_file: ctx.env.context_file(),
        home: ctx.env.home(),
        cwd: std::env::current_dir()?,
    })
}

fn request(args: &ScheduleArgs) -> Request {
    Request {
        when: args.when.clone(),
        summary: args.summary.clone(),
        intent: args.intent,
        mode: args.mode,
        prompt_template: args.prompt_template.clone(),
        aura_level: args.aura_level,
        max_retries: args.max_retries,
        key_points: args.key_points.clone(),
        artifacts: args.artifacts.clone(),
        constraints: args.constraints.clone(),
        context_json: args.context_json.clone(),
        id: args.id.clone(),
        reorient: args.reorient,
        project: args.project.clone(),
        context_file: args.context_file.clone(),
        key: args.key.clone(),
        replace: args.replace,
        command: args.command.clone(),
        retry: (args.retry_delay.is_some() || args.backoff.is_some()).then(|| Retry {
            delay_seconds: args.retry_delay,
            backoff: args.backoff.unwrap_or_default(),
            extra: Default::default(),
        }),
        series: SeriesRequest {
            every: args.series.every.clone(),
            cron: args.series.cron.clone(),
            until: args.series.until.clone(),
            count: args.series.count,
            grace: args.series.grace.clone(),
            missed: args.series.missed,
            pause_after: args.series.pause_after,
        },
        default_grace: 600,
        lane: args.lane.clone(),
        overlap: args.series.overlap,
    }
}
