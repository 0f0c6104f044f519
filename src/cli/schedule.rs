//! `defer schedule`: argv → `schedule::Request` → the stored task, printed.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::ScheduleArgs;
use super::front::Front;
use super::health::RunnerCheck;
use super::{output, Ctx};
use crate::schedule::{self, Outcome, Request};
use crate::series::SeriesRequest;
use crate::task::{Retry, Task};
use crate::{lineage, local, lookup, reorient};

pub fn exec(ctx: &Ctx, args: ScheduleArgs) -> Result<ExitCode> {
    let scheduled = scheduled(ctx, &args)?;
    output::json(&scheduled.task, args.compact)?;
    if scheduled.stored {
        let stderr = std::io::stderr();
        let is_terminal = stderr.is_terminal();
        let line = local::scheduled_line(&scheduled.task, ctx.now, ctx.env.timezone()?);
        confirm(&mut stderr.lock(), is_terminal, &line);
    }
    Ok(ExitCode::SUCCESS)
}

/// The line `scheduled <id> for Mon 7 Dec 09:00 EST (in 1d 8h)`, for a person at a
/// terminal only: piped, stderr stays as it was. A failed write is ignored (the task
/// is stored and printed).
fn confirm<W: Write>(out: &mut W, is_terminal: bool, line: &str) {
    if is_terminal {
        let _ = writeln!(out, "{line}");
    }
}

/// What `schedule` produced: the task, and whether this call stored it (not a dry run,
/// not a live task already holding the key).
pub struct Scheduled {
    pub task: Task,
    pub stored: bool,
}

/// The stored (or, with `--dry-run`, previewed) task; warnings (a held key, a past
/// time, no runner) go to stderr, naming options as the caller's front end spells them.
pub fn scheduled(ctx: &Ctx, args: &ScheduleArgs) -> Result<Scheduled> {
    let front = ctx.front;
    let runner_check = RunnerCheck::new(ctx)?;
    let tz = ctx.env.timezone()?;
    let mut request = request(args);
    request.default_grace = ctx.env.grace_seconds()?;
    let snapshot = match request.reorient {
        true => Some(match ctx.front {
            Front::Cli => reorient::load(&lookup(ctx, &request)?)?,
            Front::Mcp => reorient::load_confined(&lookup(ctx, &request)?)?,
        }),
        false => None,
    };
    let mut prepared = schedule::build(&request, ctx.now, tz, snapshot.as_ref())?;
    prepared.task.parent_id = parent(ctx, args)?;
    if prepared.task.retry.is_some() && prepared.task.max_retries == 0 {
        output::warn(&format!(
            "{} and {} only matter with {} 1 or more",
            front.option("retry-delay"),
            front.option("backoff"),
            front.option("max-retries")
        ));
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
    let stored = !args.dry_run && !matches!(outcome, Outcome::Existing(_));
    let task = match outcome {
        Outcome::Created(task) => task,
        Outcome::Existing(task) => {
            output::warn(&format!(
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
            }
            task
        }
    };
    if let Some(warning) = stored
        .then(|| crate::command::not_found_now(&task, ctx.env.get("PATH")))
        .flatten()
    {
        output::warn(&warning);
    }
    if !args.dry_run {
        runner_check.warn(ctx);
    }
    Ok(Scheduled { task, stored })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_line_is_for_a_terminal_only() {
        let line = "scheduled t1 for Mon 7 Dec 09:00 EST (in 1d 8h)";
        let mut tty = Vec::new();
        confirm(&mut tty, true, line);
        assert_eq!(String::from_utf8(tty).unwrap(), format!("{line}\n"));
        let mut pipe = Vec::new();
        confirm(&mut pipe, false, line);
        assert!(pipe.is_empty());
    }
}
