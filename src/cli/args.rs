//! The command line's shape: `Cli` and its `Command`s, and what several commands share
//! (`Handle`, the closed-set value parsers, the time-expression help).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use super::{
    answer, cancel, completions, control, cron, doctor, execute, export, history, list, man, mcp,
    reorient, run, schedule, show, skill, stats, wait, when,
};
use crate::ops::values;
use crate::task::{ClosedSet, Status};

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
    #[command(after_help = when_examples(schedule::SCHEDULE_EXAMPLES))]
    Schedule(schedule::ScheduleArgs),
    /// Print active tasks as a JSON array (or a table)
    List(list::ListArgs),
    /// Cancel a scheduled, paused or waiting task
    Cancel(cancel::CancelArgs),
    /// Preview what a time expression means, without storing anything
    #[command(after_help = when_examples(when::WHEN_EXAMPLES))]
    When(when::WhenArgs),
    /// Execute due tasks, recover interrupted ones, archive finished ones (for cron)
    #[command(long_about = run::RUN_ABOUT)]
    Run(run::RunArgs),
    /// Execute one task now: a stored scheduled task (--id) or a task JSON on stdin
    Execute(execute::ExecuteArgs),
    /// Move finished tasks to monthly archives and compact the store
    Archive,
    /// Print the snapshot a CONTEXT.md yields
    Reorient(reorient::ReorientArgs),
    /// Serve the Model Context Protocol on stdin/stdout (for agent hosts), or print its config
    #[command(after_help = mcp::MCP_EXAMPLES, disable_help_subcommand = true)]
    Mcp(mcp::McpArgs),
    /// Pause a scheduled task: `run` skips it until `defer resume`
    Pause(control::ControlArgs),
    /// Resume a paused task (due at once if its run time has passed)
    Resume(control::ControlArgs),
    /// Answer a task waiting for input: it runs again now with the answer in its prompt
    #[command(after_help = answer::ANSWER_EXAMPLES)]
    Answer(answer::AnswerArgs),
    /// Give a scheduled or paused task a new run time
    #[command(after_help = when_examples(control::RESCHEDULE_EXAMPLES))]
    Reschedule(control::RescheduleArgs),
    /// Print one task's latest record (active or archived), prompt, output or chain
    #[command(after_help = show::SHOW_EXAMPLES)]
    Show(show::ShowArgs),
    /// Print finished tasks (completed, failed, cancelled...), newest first
    #[command(after_help = history::HISTORY_EXAMPLES)]
    History(history::HistoryArgs),
    /// Wait until a task finishes; exit 0 only if it completed
    #[command(after_help = wait::WAIT_EXIT_CODES)]
    Wait(wait::WaitArgs),
    /// Expected fires against actual runs per series: on time, late, missed, duplicates
    Stats(stats::StatsArgs),
    /// Print the crontab line for `defer run`, or install / remove it
    #[command(
        long_about = "Print the crontab line for `defer run`, or install / remove it.\n\n\
The line holds this binary's absolute path, PATH (absolute entries only), the runtime dir, and \
the defer settings (DEFER_EXECUTOR, DEFER_TIMEZONE, ...) set in this shell; other DEFER_* \
variables are left out. A setting holding a control character is refused. One line per runtime \
dir: --install and --uninstall touch only the line of this shell's runtime dir."
    )]
    Cron(cron::CronArgs),
    /// Check that tasks will run: runtime dir, store, runner, cron, executor, zone, disk
    #[command(after_help = doctor::DOCTOR_HELP)]
    Doctor(doctor::DoctorArgs),
    /// Install or print the agent skill (SKILL.md)
    #[command(subcommand, disable_help_subcommand = true)]
    Skill(skill::SkillCommand),
    /// Print a shell completion script (static, or --dynamic: task ids completed too)
    #[command(after_help = completions::COMPLETIONS_HELP)]
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff); `defer man schedule` prints defer-schedule(1)
    Man(man::ManArgs),
    /// Print a task or series as a systemd service + timer or a Kubernetes CronJob
    #[command(
        long_about = "Print a task or series as a systemd service + timer or a Kubernetes CronJob \
whose command is `defer execute` fed the task's JSON. Prints only: install the output, then \
`defer cancel` the task so it does not run twice. A schedule the target cannot express exactly \
(a one-shot task as a CronJob, an interval that divides no hour, day or week, --count, --until, \
--missed all) is refused in one line saying why. See docs/scaling.md.",
        after_help = export::EXPORT_EXAMPLES
    )]
    Export(export::ExportArgs),
}

/// The time-expression table (its own title replaced by ours), then example commands.
fn when_examples(commands: &str) -> String {
    let examples = crate::when::EXAMPLES;
    let table = examples.split_once('\n').map_or(examples, |(_, rest)| rest);
    format!("{WHEN_HELP}\n{table}\n\nExamples:\n{commands}")
}

/// A value parser for a closed set: clap lists, validates and completes its names.
pub(super) fn closed<T: ClosedSet + Send + Sync + Clone>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(T::names())
        .map(|name| T::from_name(&name).expect("clap only passes listed names"))
}

/// The terminal statuses, as a closed set of their own: `history --status` accepts
/// exactly those, whatever new ones `Status` grows.
pub(super) fn terminal_status() -> impl TypedValueParser<Value = Status> {
    PossibleValuesParser::new(values::terminal_statuses())
        .map(|name| Status::from_name(&name).expect("clap only passes listed names"))
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
