//! What the user typed: clap's argument types, and clap's errors mapped to ours.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand};

use super::{exit, output};
use crate::ops::values;
use crate::task::{AuraLevel, Backoff, ClosedSet, Intent, MissedPolicy, Mode, Overlap, Status};
use crate::text;
use crate::view::Format;

const TOP_EXAMPLES: &str = "\
Examples:
  defer schedule --when 10m --summary 'Check the build' --intent notify
  defer schedule --when 'tomorrow 9am' --summary 'Resume the analysis' \\
      --key-point 'tests pass' --artifact report.md --key analysis-1 --compact
  defer list --format table
  defer history --since 1d --format table   # what finished, newest first
  defer cron --install          # run due tasks every minute

State lives in DEFER_RUNTIME_DIR (default ~/data/runtime). See `defer <command> --help`.";

const WHEN_HELP: &str =
    "Time expressions (naive times are in DEFER_TIMEZONE, else TZ, else the system zone):";

#[derive(Debug, Parser)]
#[command(
    name = "defer",
    version,
    about = "Schedule work for later: compact task snapshots, run by cron",
    long_about = "Schedule work for later. `defer schedule` stores a compact snapshot of intent \
(summary, key points, artifacts, constraints, a prompt) as one JSON line; cron runs \
`defer run` every minute, which turns due tasks into prompt artifacts and hands them to \
DEFER_EXECUTOR if one is configured.",
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Store a task to run later
    #[command(after_help = when_examples(SCHEDULE_EXAMPLES))]
    Schedule(ScheduleArgs),
    /// Print active tasks as a JSON array (or a table)
    List(ListArgs),
    /// Cancel a scheduled, paused or waiting task
    Cancel(CancelArgs),
    /// Preview what a time expression means, without storing anything
    #[command(after_help = when_examples(WHEN_EXAMPLES))]
    When(WhenArgs),
    /// Execute due tasks, recover interrupted ones, archive finished ones (for cron)
    #[command(long_about = RUN_ABOUT)]
    Run(RunArgs),
    /// Execute one task now: a stored scheduled task (--id) or a task JSON on stdin
    Execute(ExecuteArgs),
    /// Move finished tasks to monthly archives and compact the store
    Archive,
    /// Print the snapshot a CONTEXT.md yields
    Reorient(ReorientArgs),
    /// Serve the Model Context Protocol on stdin/stdout (for agent hosts), or print its config
    #[command(after_help = MCP_EXAMPLES, disable_help_subcommand = true)]
    Mcp(McpArgs),
    /// Pause a scheduled task: `run` skips it until `defer resume`
    Pause(ControlArgs),
    /// Resume a paused task (due at once if its run time has passed)
    Resume(ControlArgs),
    /// Answer a task waiting for input: it runs again now with the answer in its prompt
    #[command(after_help = ANSWER_EXAMPLES)]
    Answer(AnswerArgs),
    /// Give a scheduled or paused task a new run time
    #[command(after_help = when_examples(RESCHEDULE_EXAMPLES))]
    Reschedule(RescheduleArgs),
    /// Print one task's latest record (active or archived), prompt, output or chain
    #[command(after_help = SHOW_EXAMPLES)]
    Show(ShowArgs),
    /// Print finished tasks (completed, failed, cancelled...), newest first
    #[command(after_help = HISTORY_EXAMPLES)]
    History(HistoryArgs),
    /// Wait until a task finishes; exit 0 only if it completed
    #[command(after_help = WAIT_EXIT_CODES)]
    Wait(WaitArgs),
    /// Expected fires against actual runs per series: on time, late, missed, duplicates
    Stats(super::stats::StatsArgs),
    /// Print the crontab line for `defer run`, or install / remove it
    #[command(
        long_about = "Print the crontab line for `defer run`, or install / remove it.\n\n\
The line holds this binary's absolute path, PATH (absolute entries only), the runtime dir, and \
the defer settings (DEFER_EXECUTOR, DEFER_TIMEZONE, ...) set in this shell; other DEFER_* \
variables are left out. A setting holding a control character is refused. One line per runtime \
dir: --install and --uninstall touch only the line of this shell's runtime dir."
    )]
    Cron(CronArgs),
    /// Check that tasks will run: runtime dir, store, runner, cron, executor, zone, disk
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
    /// Install or print the agent skill (SKILL.md)
    #[command(subcommand, disable_help_subcommand = true)]
    Skill(SkillCommand),
    /// Print a shell completion script (static, or --dynamic: task ids completed too)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff); `defer man schedule` prints defer-schedule(1)
    Man(ManArgs),
    /// Print a task or series as a systemd service + timer or a Kubernetes CronJob
    #[command(
        long_about = "Print a task or series as a systemd service + timer or a Kubernetes CronJob \
whose command is `defer execute` fed the task's JSON. Prints only: install the output, then \
`defer cancel` the task so it does not run twice. A schedule the target cannot express exactly \
(a one-shot task as a CronJob, an interval that divides no hour, day or week, --count, --until, \
--missed all) is refused in one line saying why. See docs/scaling.md.",
        after_help = EXPORT_EXAMPLES
    )]
    Export(ExportArgs),
}

const COMPLETIONS_HELP: &str = "\
The static script completes commands, flags and fixed values. The dynamic one (--dynamic,
or the same script from `COMPLETE=<shell> defer`) asks `defer` at each TAB and also offers
the ids of tasks in the store (pause: scheduled ones, resume: paused ones, ...), with their
summaries where the shell shows them. Regenerate it on shell start-up, not once: the
script and the binary must be the same version.

Examples:
  source <(defer completions bash --dynamic)        # in ~/.bashrc (or: COMPLETE=bash defer)
  source <(defer completions zsh --dynamic)         # in ~/.zshrc
  defer completions fish --dynamic | source         # in ~/.config/fish/config.fish
  defer completions bash > ~/.local/share/bash-completion/completions/defer   # static";

const EXPORT_EXAMPLES: &str = "\
Examples:
  defer export --key daily-report --format systemd > units.txt
  defer export SERIES_ID --format kubernetes --name daily-report | kubectl apply -f -";

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// systemd (a .service and a .timer) or kubernetes (a ConfigMap and a CronJob)
    #[arg(long, value_parser = closed::<crate::export::Format>(), allow_hyphen_values = true)]
    pub format: crate::export::Format,
    /// The unit or CronJob name (default: defer-<id>)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub name: Option<String>,
}

const MCP_EXAMPLES: &str = "\
Examples:
  defer mcp                          # serve (an MCP host starts this)
  defer mcp config                   # JSON for Claude Desktop, Cursor, ...
  defer mcp config --client claude   # a `claude mcp add` command line
  defer mcp config --client codex    # a [mcp_servers.defer] table for ~/.codex/config.toml
  defer mcp config --allow-commands  # a server whose schedule tool accepts command";

#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(subcommand)]
    pub command: Option<McpCommand>,
    /// Let the schedule tool take `command`, a program of the model's choosing for cron to
    /// run (refused without this flag). With `config`: register the server with this flag
    #[arg(long, global = true)]
    pub allow_commands: bool,
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Print what registers this server with an MCP host (edits nothing)
    Config(McpConfigArgs),
}

#[derive(Debug, Args)]
pub struct McpConfigArgs {
    /// The host's format: json (mcpServers object), claude (command line) or codex (TOML)
    #[arg(long, default_value = "json", value_parser = closed::<crate::mcp::Client>(), allow_hyphen_values = true)]
    pub client: crate::mcp::Client,
}

const SHOW_EXAMPLES: &str = "\
Examples:
  defer show task_20261201_090000_0a3kz9x2m1qp --compact
  defer show ID --prompt            # the prompt it got (or would get now)
  defer show ID --output --follow   # stream the output while it runs
  defer show ID --chain             # the task, its ancestors and follow-ups";

const HISTORY_EXAMPLES: &str = "\
--since takes a duration meaning that long ago (2h, 3 days, 30m ago) or a past time:
a clock time is its latest past occurrence (9am before 9am is yesterday's), a day
without a time starts at 00:00 (today, yesterday, friday, dec 1, 2026-12-01), ISO 8601
as written. The bound is inclusive; a time in the future is an error.

Examples:
  defer history --since 2h --format table
  defer history --status failed --since yesterday --compact
  defer history --key nightly-report --limit 1
  defer history --series task_20261201_090000_0a3kz9x2m1qp";

const WAIT_EXIT_CODES: &str = "\
Exit status:
  0    the task completed
  1    the task failed, was cancelled or missed (the record is printed), or no such task
  124  --timeout passed first (the current record is printed)";

/// The time-expression table (its own title replaced by ours), then example commands.
fn when_examples(commands: &str) -> String {
    let examples = crate::when::EXAMPLES;
    let table = examples.split_once('\n').map_or(examples, |(_, rest)| rest);
    format!("{WHEN_HELP}\n{table}\n\nExamples:\n{commands}")
}

const SCHEDULE_EXAMPLES: &str =
    "  defer schedule --when 10m --intent notify --summary 'Check the build'
  defer schedule --when 'tomorrow 9am' --summary 'Resume the analysis' \\
      --key-point 'cohorts left' --artifact ~/q3/churn.ipynb --key q3-resume --compact
  defer schedule --when 2h --reorient --project NAME --summary 'Finish the tests'
  defer schedule --when 9am --summary 'Re-plan the day' --key daily-plan --replace
  defer schedule --when 30m --summary 'Sync' --max-retries 4 --retry-delay 1m --backoff exponential \\
      -- rsync -a ~/notes/ backup:notes/      # runs this command instead of DEFER_EXECUTOR
  defer schedule --cron '0 9 * * 1-5' --missed skip --summary 'Morning triage' --key triage
  defer schedule --every 6h --count 4 --summary 'Poll the export'";

const RESCHEDULE_EXAMPLES: &str =
    "  defer reschedule task_20260408_163500_0a3kz9x2m1qp --when 'tomorrow 9am'
  defer pause q3-resume && defer reschedule q3-resume --when 2h && defer resume q3-resume";

const WHEN_EXAMPLES: &str = "  defer when next friday 9am
  defer when tomorrow at 9 --compact
  defer when in 2 months
  defer when 2026-12-01T09:00:00Z --compact
  defer when --cron '0 9 * * 1-5' --next 3   # the next 3 fires of a series
  defer when --every 90m";

/// A value parser for a closed set: clap lists, validates and completes its names.
pub(super) fn closed<T: ClosedSet + Send + Sync + Clone>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::names())
        .map(|name| T::from_name(&name).expect("clap only passes listed names"))
}

/// The terminal statuses, as a closed set of their own: `history --status` accepts
/// exactly those, whatever new ones `Status` grows.
fn terminal_status() -> impl TypedValueParser<Value = Status> {
    PossibleValuesParser::new(values::terminal_statuses())
        .map(|name| Status::from_name(&name).expect("clap only passes listed names"))
}

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

/// The task a command acts on (SPEC §21): an id, a series id, or `--key`.
#[derive(Debug, Args)]
pub struct Handle {
    /// The task's id, or a series' id (its first occurrence's id: the series' live occurrence)
    #[arg(
        value_name = "ID",
        allow_hyphen_values = true,
        required_unless_present = "key"
    )]
    pub id: Option<String>,
    /// The live task scheduled with this --key (instead of ID)
    #[arg(
        long,
        value_name = "KEY",
        allow_hyphen_values = true,
        conflicts_with = "id"
    )]
    pub key: Option<String>,
}

impl Handle {
    pub fn selector(&self) -> crate::selector::Selector {
        use crate::selector::Selector;
        match (&self.id, &self.key) {
            (_, Some(key)) => Selector::Key(key.clone()),
            (Some(id), None) => Selector::Id(id.clone()),
            (None, None) => Selector::Id(String::new()), // clap requires one of them
        }
    }
}

#[derive(Debug, Args)]
pub struct ControlArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

const ANSWER_EXAMPLES: &str = "Examples:
  defer answer task_20261201_090000_ab12cd34ef56 'Use the staging database'
  defer answer --key nightly-report 'Skip the flaky test'
  defer list --status waiting --format table     # what waits, and its question";

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The waiting task's id, or its series' id (with --key: the answer)
    #[arg(index = 1, value_name = "ID", allow_hyphen_values = true)]
    pub id: String,
    /// The answer: text the next run reads in its prompt's Answer: section
    #[arg(
        index = 2,
        value_name = "TEXT",
        allow_hyphen_values = true,
        required_unless_present = "key",
        conflicts_with = "key"
    )]
    pub text: Option<String>,
    /// The waiting task scheduled with this --key (then the only argument is the answer)
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct RescheduleArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// The new run time: 10m, 2h, tomorrow 9am, 2026-12-01 09:00, ...
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub when: String,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
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

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show tasks with this status (repeatable; default: scheduled, executing, paused and waiting)
    #[arg(long = "status", value_parser = closed::<Status>(), allow_hyphen_values = true)]
    pub statuses: Vec<Status>,
    /// Show every status in the active store
    #[arg(long, conflicts_with = "statuses")]
    pub all: bool,
    /// Show tasks with this intent (repeatable; default: all)
    #[arg(long = "intent", value_parser = closed::<Intent>(), allow_hyphen_values = true)]
    pub intents: Vec<Intent>,
    /// Only tasks due now: scheduled, run_at at or before now (with --status/--all: any of those statuses)
    #[arg(long)]
    pub due: bool,
    /// Only tasks that run at or before EXPR (a time expression, e.g. tomorrow)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub before: Option<String>,
    /// Only tasks that run at or after EXPR (a time expression, e.g. 1h)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub after: Option<String>,
    /// Only the task(s) scheduled with this --key
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// json (default) or table (for people: local time, relative time, summary)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// Print the prompt artifact written when the task ran (not run yet: the prompt it would get now)
    #[arg(long, conflicts_with_all = ["output", "chain"])]
    pub prompt: bool,
    /// Print the executor's full output
    #[arg(long, conflicts_with = "chain")]
    pub output: bool,
    /// With --output: keep printing while the task executes; return when it ends
    #[arg(long, requires = "output")]
    pub follow: bool,
    /// Print the task's chain as a JSON array: root ancestor first, each task's follow-ups after it
    #[arg(long)]
    pub chain: bool,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only tasks that ended at or after EXPR: a duration ago (2h) or a past time (9am, yesterday)
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only tasks with this status (repeatable; default: every finished status)
    #[arg(long = "status", value_parser = terminal_status(), allow_hyphen_values = true)]
    pub statuses: Vec<Status>,
    /// Only tasks with this intent (repeatable; default: all)
    #[arg(long = "intent", value_parser = closed::<Intent>(), allow_hyphen_values = true)]
    pub intents: Vec<Intent>,
    /// Only occurrences of this series (its first occurrence's id)
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub series: Option<String>,
    /// Only tasks scheduled with this --key
    #[arg(long, allow_hyphen_values = true)]
    pub key: Option<String>,
    /// At most N tasks, the newest
    #[arg(long, value_name = "N", default_value = "50", value_parser = values::positive, allow_hyphen_values = true)]
    pub limit: u32,
    /// json (default) or table (for people: local end time, relative time, summary and error)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// Give up after this long (exit 124): 30s, 5m, 1h, or whole seconds; default: wait for ever
    #[arg(long, value_name = "DURATION", value_parser = values::seconds, allow_hyphen_values = true)]
    pub timeout: Option<u64>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct CronArgs {
    /// Add the line to your crontab (replacing this runtime dir's older defer line)
    #[arg(long, conflicts_with = "uninstall")]
    pub install: bool,
    /// Remove this runtime dir's defer line from your crontab
    #[arg(long)]
    pub uninstall: bool,
}

const DOCTOR_HELP: &str = "\
Prints a JSON array of {\"check\", \"status\": \"ok\"|\"warn\"|\"fail\", \"detail\", \"fix\"}; every
row that is not ok has a one-line fix. Checks: settings, runtime_dir, files, store,
invalid_lines, orphans, overdue, duplicates (a fire executed twice in 30 days: a failure),
heartbeat, crontab, cron_daemon, disk_space, executor, hooks, timezone, skill. It creates nothing and never refuses: a broken setup is a fail row.

Exit status:
  0    no check failed (warnings allowed)
  1    at least one check failed";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// json (default) or table (for people)
    #[arg(long, default_value = "json", value_parser = closed::<Format>(), allow_hyphen_values = true)]
    pub format: Format,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Subcommand)]
pub enum SkillCommand {
    /// Write SKILL.md (and the reorient skill) where agent hosts look
    Install(SkillInstallArgs),
    /// Print SKILL.md
    Print,
}

#[derive(Debug, Args)]
pub struct SkillInstallArgs {
    /// Write DIR/SKILL.md and DIR/reorient/SKILL.md instead of ~/.claude/skills/{defer,defer-reorient}/SKILL.md
    #[arg(long, value_name = "DIR", allow_hyphen_values = true)]
    pub dir: Option<std::path::PathBuf>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (e.g. schedule, or skill install); default: defer(1)
    #[arg(value_name = "COMMAND", allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Print the registration of the dynamic engine instead: it calls `defer` at each
    /// TAB, which also completes task ids from the store. Source it on shell start-up
    /// (same as `COMPLETE=<shell> defer`) rather than saving it
    #[arg(long)]
    pub dynamic: bool,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The task to cancel, or a series' id (its first occurrence's id): the series' live occurrence
    #[arg(value_name = "ID", allow_hyphen_values = true, required_unless_present_any = ["flag", "key"])]
    pub positional: Option<String>,
    /// The task to cancel (same as the positional ID)
    #[arg(long = "id", value_name = "ID", allow_hyphen_values = true)]
    pub flag: Option<String>,
    /// The live task scheduled with this --key (instead of ID)
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, conflicts_with_all = ["positional", "flag"])]
    pub key: Option<String>,
    /// Why, kept in the record as cancel_reason
    #[arg(long, allow_hyphen_values = true)]
    pub reason: Option<String>,
    /// On a series occurrence: skip only this one and schedule the next, paused if the series is (default: end the series)
    #[arg(long)]
    pub occurrence: bool,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// The expression, e.g. "tomorrow 9am" (several words may be given unquoted)
    #[arg(required_unless_present_any = ["every", "cron"], num_args = 1.., allow_hyphen_values = true, value_name = "EXPR")]
    expr: Vec<String>,
    /// Preview the fires of a fixed interval instead (as schedule --every)
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        conflicts_with = "expr"
    )]
    pub every: Option<String>,
    /// Preview the fires of a cron expression instead (as schedule --cron)
    #[arg(
        long,
        value_name = "EXPR",
        allow_hyphen_values = true,
        conflicts_with = "expr"
    )]
    pub cron: Option<String>,
    /// How many fires --every/--cron previews (1 to 1000)
    #[arg(long, value_name = "N", default_value = "5", value_parser = values::preview_count, allow_hyphen_values = true)]
    pub next: u32,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

impl WhenArgs {
    /// The expression's words joined; a `--compact` among them (after a word that starts
    /// with `-`, clap reads the rest as words) counts as the flag.
    pub fn expression(&self) -> (String, bool) {
        let compact = self.compact || self.expr.iter().any(|w| w == "--compact");
        let words: Vec<&str> = self
            .expr
            .iter()
            .map(String::as_str)
            .filter(|w| *w != "--compact")
            .collect();
        (words.join(" "), compact)
    }
}

const RUN_ABOUT: &str = "\
Execute due tasks, recover interrupted ones, archive finished ones (for cron).

Silent when nothing failed. Each task that failed and each hook that failed gets one
stderr line (`defer: task <id> failed after <n> attempts: <error>`), so cron mails it.
The exit status is 0 whatever the tasks' outcomes; 1 only when the runner itself could
not do its job (bad settings, store unreadable or unwritable).

Hooks: DEFER_ON_SUCCESS, DEFER_ON_FAILURE and DEFER_ON_MISSED name programs run after a
task ends that way, with the final record on stdin and DEFER_TASK_ID, DEFER_STATUS in
their environment (no shell, 60 s limit; see examples/hooks/).";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also print a line per transition: claimed, completed, retry scheduled,
    /// interrupted, hook ran, archived
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// A scheduled task in the store, or a series' id (its pending occurrence); default:
    /// read one task JSON from stdin
    #[arg(long, allow_hyphen_values = true)]
    pub id: Option<String>,
    /// The live task scheduled with this --key (instead of --id)
    #[arg(
        long,
        value_name = "KEY",
        allow_hyphen_values = true,
        conflicts_with = "id"
    )]
    pub key: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
    /// Also print a line per transition on stderr (claimed, completed, hook ran, ...)
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ReorientArgs {
    /// Read ~/data/research/projects/NAME/CONTEXT.md
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub project: Option<String>,
    /// Read this CONTEXT.md
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub context_file: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

/// Parses argv. Help and version print and exit 0; a bad value of a known flag exits 1
/// with one `defer: invalid ...` line; other usage errors exit 2 with one `defer:` line
/// (clap's message, its usage line and a pointer to `--help`). `defer` alone prints the
/// help on stderr and exits 2, as clap does.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Cli, ExitCode> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    let parsed = Cli::try_parse_from(&argv).map(|mut cli| {
        if let Command::Schedule(args) = &mut cli.command {
            if args.command.is_none() && ends_with_separator(&argv) {
                args.command = Some(Vec::new()); // `--` with nothing after: an error later
            }
        }
        cli
    });
    parsed.map_err(|err| {
        if let Some(message) = bad_value_message(&err, &argv) {
            output::say(&message);
            return ExitCode::from(exit::FAILURE);
        }
        if !err.use_stderr() {
            return print_help(&err);
        }
        if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            let _ = err.print();
            return ExitCode::from(exit::USAGE);
        }
        let message = match err.kind() {
            ErrorKind::InvalidUtf8 => invalid_utf8_message(&argv),
            _ => usage_message(err, &argv),
        };
        output::say(&message);
        ExitCode::from(exit::USAGE)
    })
}

/// `--help` / `--version`: clap prints (with its colours) to a terminal; anywhere else
/// the text goes through `output::stdout`, so a full disk is an error, not a silent 0.
fn print_help(err: &clap::Error) -> ExitCode {
    if std::io::stdout().is_terminal() {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    match output::stdout(err.render().to_string().as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::say(&format!("{e:#}"));
            ExitCode::from(exit::FAILURE)
        }
    }
}

/// clap's usage error as one line: `unexpected argument '--bogus' found (usage: defer
/// schedule [OPTIONS] --when <EXPR>; see --help)`. Arguments quoted in it have their
/// control characters escaped first, so a newline in one cannot pass for clap's own.
fn usage_message(mut err: clap::Error, argv: &[OsString]) -> String {
    let escaped: Vec<(ContextKind, ContextValue)> = err
        .context()
        .filter_map(|(kind, value)| match value {
            ContextValue::String(s) if s.chars().any(text::is_unsafe) => Some((
                kind,
                ContextValue::String(text::escape_control(s).into_owned()),
            )),
            ContextValue::Strings(list) if list.iter().any(|s| s.chars().any(text::is_unsafe)) => {
                let list = list.iter().map(|s| text::escape_control(s).into_owned());
                Some((kind, ContextValue::Strings(list.collect())))
            }
            _ => None,
        })
        .collect();
    for (kind, value) in escaped {
        err.insert(kind, value);
    }
    let suggestion = suggestion(&err);
    let rendered = err.render().to_string();
    let (message, rest) = rendered
        .split_once("\n\nUsage: ")
        .unwrap_or((rendered.as_str(), ""));
    let message = message
        .split_once("\n\nFor more information")
        .map_or(message, |(m, _)| m);
    let message = message.strip_prefix("error: ").unwrap_or(message);
    // clap's `tip:` lines suggest `-- VALUE`, which for `schedule` means a command.
    let message = message
        .lines()
        .filter(|line| !line.trim_start().starts_with("tip:"))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(suggestion) = suggestion {
        return format!("{message} (did you mean '{suggestion}'?)");
    }
    let usage = rest.lines().next().filter(|usage| !usage.is_empty());
    match command_usage(argv).or(usage.map(str::to_string)) {
        Some(usage) => format!("{message} (usage: {usage}; see --help)"),
        None => format!("{message} (see --help)"),
    }
}

/// clap's "a similar subcommand / argument / value exists" (the closest: clap lists
/// them from the least to the most similar), with control characters escaped.
fn suggestion(err: &clap::Error) -> Option<String> {
    let kinds = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ];
    kinds.iter().find_map(|kind| match err.get(*kind)? {
        ContextValue::String(s) => Some(text::escape_control(s).into_owned()),
        ContextValue::Strings(list) => list.last().map(|s| text::escape_control(s).into_owned()),
        _ => None,
    })
}

/// The usage line of the (sub)command argv names, as its `--help` shows it (`defer
/// list [OPTIONS]`): clap's error usage lists only the arguments already given, which
/// reads as if they were the only ones (`defer list --format <FORMAT>`).
fn command_usage(argv: &[OsString]) -> Option<String> {
    let mut command = Cli::command();
    command.build();
    let mut found = false;
    for arg in argv.iter().skip(1).filter_map(|a| a.to_str()) {
        match command.find_subcommand(arg) {
            Some(sub) => {
                command = sub.clone();
                found = true;
            }
            None => break,
        }
    }
    let usage = command.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
    found.then(|| usage.lines().next().unwrap_or_default().trim().to_string())
}

/// `invalid UTF-8 in --summary ('a\xFF') (accepted: UTF-8 text)`: clap only says that
/// some argument is not UTF-8; this names the first one and the flag it belongs to.
fn invalid_utf8_message(argv: &[OsString]) -> String {
    let Some(index) = argv.iter().position(|a| a.to_str().is_none()) else {
        return "invalid UTF-8 in an argument (accepted: UTF-8 text)".to_string();
    };
    let shown = text::escape_os(&argv[index]);
    let what = flag_of(argv, index).unwrap_or_else(|| format!("argument {index}"));
    format!("invalid UTF-8 in {what} ('{shown}') (accepted: UTF-8 text)")
}

/// The long flag that `argv[index]` is the value of: `--flag=VALUE`, or `--flag VALUE`
/// for a flag of the (sub)command that takes a value.
fn flag_of(argv: &[OsString], index: usize) -> Option<String> {
    let lossy = argv[index].to_string_lossy();
    if let Some((flag, _)) = lossy.split_once('=') {
        if flag.starts_with("--") && !flag.contains('\u{fffd}') {
            return Some(flag.to_string());
        }
    }
    let previous = argv.get(index.checked_sub(1)?)?.to_str()?;
    let long = previous.strip_prefix("--")?;
    let mut command = Cli::command();
    for arg in argv[1..index].iter().filter_map(|a| a.to_str()) {
        if let Some(sub) = command.find_subcommand(arg) {
            command = sub.clone();
        }
    }
    let takes_value = command
        .get_arguments()
        .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
    takes_value.then(|| previous.to_string())
}

/// True when `schedule`'s argv ends with a `--` that is the command separator (clap
/// reports no command for it), not the value of a flag (`--summary --`).
fn ends_with_separator(argv: &[OsString]) -> bool {
    let [.., before, last] = argv else {
        return false;
    };
    if last.to_str() != Some("--") {
        return false;
    }
    let Some(flag) = before.to_str().and_then(|b| b.strip_prefix("--")) else {
        return true;
    };
    let command = <Cli as clap::CommandFactory>::command();
    let takes_value = command
        .find_subcommand("schedule")
        .into_iter()
        .flat_map(|schedule| schedule.get_arguments())
        .any(|arg| arg.get_long() == Some(flag) && arg.get_action().takes_values());
    !takes_value
}

/// `invalid --intent 'bogus' (accepted: resume_task, notify, execute_action)` for
/// clap's invalid-value and validation errors; `None` for every other kind, and for a
/// flag given last with no value at all (a usage error).
pub fn bad_value_message(err: &clap::Error, argv: &[OsString]) -> Option<String> {
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let flag = match err.get(ContextKind::InvalidArg)? {
        ContextValue::String(arg) => arg.split_whitespace().next()?.to_string(),
        _ => return None,
    };
    // clap reports `--intent` (end of argv) like `--intent ''`; only the first is missing.
    if argv
        .last()
        .is_some_and(|last| last.to_str() == Some(flag.as_str()))
    {
        return None;
    }
    let value = match err.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.clone(),
        _ => String::new(),
    };
    let accepted = match err.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(names)) => format!("accepted: {}", names.join(", ")),
        _ => match std::error::Error::source(err) {
            Some(reason) => reason.to_string(),
            None if value.is_empty() => "a value is required".to_string(),
            None => "see --help".to_string(),
        },
    };
    Some(format!("invalid {flag} '{value}' ({accepted})"))
}
