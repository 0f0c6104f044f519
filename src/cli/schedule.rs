//! `defer schedule`: flags → `ops::schedule::Request` → the stored task, printed (and a
//! confirmation line for a person at a terminal).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;

use super::args::ScheduleArgs;
use super::output;
use crate::local;
use crate::ops::schedule::{self, Request};
use crate::ops::Ctx;
use crate::series::SeriesRequest;
use crate::task::Retry;

pub fn exec(ctx: &Ctx, args: ScheduleArgs) -> Result<ExitCode> {
    let scheduled = schedule::schedule(ctx, request(&args))?;
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

/// The operation's request from the flags.
fn request(args: &ScheduleArgs) -> Request {
    Request {
        parent: args.parent.clone(),
        no_parent: args.no_parent,
        answer_timeout: args.answer_timeout,
        budget: args.series.budget,
        dry_run: args.dry_run,
        task: task(args),
    }
}

/// The task's own fields from the flags.
fn task(args: &ScheduleArgs) -> crate::schedule::Request {
    crate::schedule::Request {
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
