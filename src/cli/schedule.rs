//! `defer schedule`: flags → `ops::schedule::Request` → the stored task, printed (and a
//! confirmation line for a person at a terminal).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::closed;
use super::output;
use crate::local;
use crate::ops::schedule::{self, Request};
use crate::ops::values;
use crate::ops::Ctx;
use crate::series::SeriesRequest;
use crate::task::{AuraLevel, Backoff, Intent, MissedPolicy, Mode, Overlap, Retry};

pub(super) const SCHEDULE_EXAMPLES: &str =
    "  defer schedule --when 10m --intent notify --summary 'Check the build'
  defer schedule --when 'tomorrow 9am' --summary 'Resume the analysis' \\
      --key-point 'cohorts left' --artifact ~/q3/churn.ipynb --key q3-resume --compact
  defer schedule --when 2h --reorient --project NAME --summary 'Finish the tests'
  defer schedule --when 9am --summary 'Re-plan the day' --key daily-plan --replace
  defer schedule --when 30m --summary 'Sync' --max-retries 4 --retry-delay 1m --backoff exponential \\
      -- rsync -a ~/notes/ backup:notes/      # runs this command instead of DEFER_EXECUTOR
  defer schedule --cron '0 9 * * 1-5' --missed skip --summary 'Morning triage' --key triage
  defer schedule --every 6h --count 4 --summary 'Poll the export'";

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// When to run: 10m, 2h, tomorrow 9am, next friday, 2026-12-01 09:00, ... (with --every/--cron: the first occurrence)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true, required_unless_present_any = ["every", "cron"])]
    pub when: Option<String>,
    /// One-line description of the work (required unless --context-json or --reorient gives one)
    #[arg(long, allow_hyphen_values = true)]
    pub summary: Option<String>,
    /// What the run is for: resume_task (pick the work up again), notify (a reminder for a person), execute_action (do one concrete thing)
    #[arg(long, default_value = "resume_task", value_parser = closed::<Intent>(), allow_hyphen_values = true)]
    pub intent: Intent,
    /// How the executor should run the task: fresh (a new session) or callback (back in
    /// the session that scheduled it). Recorded in the task (execution.mode) for the
    /// executor; defer itself does not act on it
    #[arg(long, default_value = "fresh", value_parser = closed::<Mode>(), allow_hyphen_values = true)]
    pub mode: Mode,
    /// The prompt for the future run (default: the summary)
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub prompt_template: Option<String>,
    /// How much attention the run deserves (e.g. how much context or which model the
    /// executor uses). Recorded in the task (execution.aura_level) for the executor; defer
    /// itself does not act on it
    #[arg(long, default_value = "low", value_parser = closed::<AuraLevel>(), allow_hyphen_values = true)]
    pub aura_level: AuraLevel,
    /// How many times a failed execution is retried
    #[arg(long, default_value = "0", value_name = "N", value_parser = values::non_negative, allow_hyphen_values = true)]
    pub max_retries: u32,
    /// A fact the future run needs (repeatable)
    #[arg(long = "key-point", value_name = "TEXT", allow_hyphen_values = true)]
    pub key_points: Vec<String>,
    /// A file, URL or other thing the work produced or needs (repeatable)
    #[arg(long = "artifact", value_name = "TEXT", allow_hyphen_values = true)]
    pub artifacts: Vec<String>,
    /// A rule the future run must follow (repeatable)
    #[arg(long = "constraint", value_name = "TEXT", allow_hyphen_values = true)]
    pub constraints: Vec<String>,
    /// A JSON object with summary, key_points, artifacts, constraints to merge (at most 64
    /// levels deep)
    #[arg(long, value_name = "JSON", allow_hyphen_values = true)]
    pub context_json: Option<String>,
    /// Use this id instead of a generated one ([A-Za-z0-9][A-Za-z0-9._-]{0,127})
    #[arg(long, allow_hyphen_values = true)]
    pub id: Option<String>,
    /// Start from a CONTEXT.md snapshot (see `defer reorient`)
    #[arg(long)]
    pub reorient: bool,
    /// The project whose CONTEXT.md --reorient reads
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub project: Option<String>,
    /// The CONTEXT.md --reorient reads
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub context_file: Option<String>,
    /// Idempotency key: if a live task has it, print that task and store nothing
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// Record this task as the follow-up of ID (default: $DEFER_TASK_ID, set for executors)
    #[arg(
        long,
        value_name = "ID",
        allow_hyphen_values = true,
        conflicts_with = "no_parent"
    )]
    pub parent: Option<String>,
    /// Record no parent, even when DEFER_TASK_ID is set
    #[arg(long)]
    pub no_parent: bool,
    /// With --key: cancel the live tasks holding the key (for a keyed series, all its
    /// live occurrences; reason "replaced by <new id>") and store this one instead, in
    /// one write
    #[arg(long)]
    pub replace: bool,
    /// Wait this long before a retry (90s, 5m, 2h, 1d; default DEFER_RETRY_DELAY_SECONDS)
    #[arg(long, value_name = "DURATION", value_parser = values::delay, allow_hyphen_values = true)]
    pub retry_delay: Option<u64>,
    /// How retry waits grow: fixed (the same each time) or exponential (delay × 2^(attempt−1),
    /// at most 24h, ±10% jitter) [default: fixed]
    #[arg(long, value_parser = closed::<Backoff>(), allow_hyphen_values = true)]
    pub backoff: Option<Backoff>,
    /// If the executor asks a question (the task waits for `defer answer`), fail the task
    /// when no answer came this long after (90m, 2d; default: wait indefinitely)
    #[arg(long, value_name = "DURATION", value_parser = values::delay, allow_hyphen_values = true)]
    pub answer_timeout: Option<u64>,
    /// Run in this lane: its tasks share the lane's slots (DEFER_LANES; a lane not listed
    /// there runs one task at a time), e.g. one lane per repository or rate-limited
    /// account. A name is [a-z0-9][a-z0-9_-]{0,63} [default: no lane, any free slot]
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub lane: Option<String>,
    /// Print the task without storing it
    #[arg(long)]
    pub dry_run: bool,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
    #[command(flatten)]
    pub series: Box<SeriesArgs>,
    /// Run this program (no shell; a bare name is looked up on PATH at run time) with
    /// these arguments instead of DEFER_EXECUTOR, with the same contract
    #[arg(last = true, num_args = 0.., value_name = "CMD")]
    pub command: Option<Vec<String>>,
}

/// Recurrence and missed-run flags of `schedule` (SPEC §12).
#[derive(Debug, Args)]
#[command(next_help_heading = "Recurring and missed runs")]
pub struct SeriesArgs {
    /// Repeat at this fixed interval, at least 1m (units s m h d w: 15m, 1h, 1d, 1w)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub every: Option<String>,
    /// Repeat on a 5-field cron schedule in DEFER_TIMEZONE ('0 9 * * 1-5', '*/15 * * * *', @daily)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub cron: Option<String>,
    /// No occurrence after this time (a time expression)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Total number of occurrences (1 or more)
    #[arg(long, value_name = "N", value_parser = values::positive, allow_hyphen_values = true)]
    pub count: Option<u32>,
    /// Lateness allowed before --missed applies (default: DEFER_GRACE_SECONDS, else 10m)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub grace: Option<String>,
    /// A late run: run|skip (one-shot, default run); run-once|skip|all (series, default run-once)
    #[arg(long, value_parser = closed::<MissedPolicy>(), allow_hyphen_values = true)]
    pub missed: Option<MissedPolicy>,
    /// An occurrence due while the previous one still runs: queue (wait for it, then the
    /// --missed policy applies), skip (it is missed), replace (stop the running one),
    /// allow (run both) [default: queue]
    #[arg(long, value_parser = closed::<Overlap>(), allow_hyphen_values = true)]
    pub overlap: Option<Overlap>,
    /// Pause a series after N consecutive failed occurrences (default 5; 0 = never)
    #[arg(long, value_name = "N", value_parser = values::non_negative, allow_hyphen_values = true)]
    pub pause_after: Option<u32>,
    /// Skip a fire (missed, reason budget) while the series' reported cost over the last
    /// 24h has reached USD; the executor gets DEFER_BUDGET_USD (what is left)
    #[arg(long, value_name = "USD", value_parser = values::usd, allow_hyphen_values = true)]
    pub budget: Option<f64>,
}

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
