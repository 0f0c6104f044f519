//! `defer man [COMMAND]`: the man page (roff) from the clap definition plus the
//! sections clap cannot know (COMMANDS, TIME EXPRESSIONS, ENVIRONMENT, FILES, EXIT
//! STATUS, EXAMPLES); `defer man schedule` prints `defer-schedule(1)`.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use super::args::Cli;
use super::output;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (e.g. schedule, or skill install); default: defer(1)
    #[arg(value_name = "COMMAND", allow_hyphen_values = true)]
    pub command: Vec<String>,
}

const FILES: &[(&str, &str)] = &[
    (
        "$DEFER_RUNTIME_DIR/deferred.jsonl",
        "the active store: one JSON task snapshot per line",
    ),
    ("deferred.jsonl.lock", "the store's lock file"),
    (
        "deferred.jsonl.run.lock",
        "the runner (dispatch) lock, held while a run claims; its modification time is the runner's heartbeat",
    ),
    (
        "deferred.jsonl.idx",
        "a summary that lets an idle run skip the store; safe to delete",
    ),
    ("archive/deferred_YYYYMM.jsonl", "finished tasks, by month"),
    ("logs/deferred.log", "the audit log, one line per action"),
    (
        "logs/ID.lock",
        "held by the run executing task ID while it runs: the task is alive",
    ),
    (
        "logs/ID.prompt.txt, logs/ID.output.txt",
        "each task's prompt and its executor's output",
    ),
    (
        "~/.claude/skills/defer/SKILL.md",
        "the agent skill ('defer skill install')",
    ),
];

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success (doctor: no check failed; wait: the task completed)"),
    ("1", "a bad value, a failed action, an unusable store or configuration; a failed doctor check; wait: the task failed or was cancelled"),
    ("2", "a usage error: unknown flag, missing value"),
    ("124", "wait --timeout passed first"),
];

const EXAMPLES: &[(&str, &str)] = &[
    ("defer schedule --when 10m --summary 'Check the build' --intent notify", "a task in ten minutes"),
    ("defer schedule --when 'tomorrow 9am' --summary 'Resume the analysis' --key-point 'tests pass' --key analysis-1", "a task with context, stored once per key"),
    ("defer list --format table", "what is waiting, for people"),
    ("defer history --since 1d --status failed --format table", "what failed in the last day"),
    ("defer cron --install", "run due tasks every minute"),
    ("defer doctor --format table", "why nothing runs"),
];

pub fn exec(args: ManArgs) -> Result<ExitCode> {
    let mut root = Cli::command();
    root.build();
    let mut page = Vec::new();
    match args.command.is_empty() {
        true => main_page(&root, &mut page)?,
        false => command_page(&root, &args.command, &mut page)?,
    }
    output::stdout(&page)?;
    Ok(ExitCode::SUCCESS)
}

fn main_page(root: &clap::Command, out: &mut Vec<u8>) -> Result<()> {
    let man = Man::new(root.clone()).source(source());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in visible(root) {
        roff.control("TP", []);
        roff.text([bold(format!("defer-{}(1)", sub.get_name()))]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
    }
    roff.control("SH", ["TIME EXPRESSIONS"]);
    let table = crate::when::EXAMPLES;
    let (title, rows) = table.split_once('\n').unwrap_or(("", table));
    roff.text([roman(title)]);
    preformatted(&mut roff, rows);
    section(
        &mut roff,
        "ENVIRONMENT",
        // The settings of the one table of variables, in its order.
        crate::config::vars::settings().map(|var| {
            (
                var.name.to_string(),
                format!("{} (default: {})", var.meaning, var.default),
            )
        }),
    );
    section(
        &mut roff,
        "FILES",
        FILES.iter().map(|(f, m)| (f.to_string(), m.to_string())),
    );
    section(
        &mut roff,
        "EXIT STATUS",
        EXIT_STATUS
            .iter()
            .map(|(c, m)| (c.to_string(), m.to_string())),
    );
    section(
        &mut roff,
        "EXAMPLES",
        EXAMPLES.iter().map(|(c, m)| (c.to_string(), m.to_string())),
    );
    see_also(&mut roff, "crontab(1), cron(8)");
    roff.to_writer(out)?;
    man.render_version_section(out)?;
    Ok(())
}

/// `defer man skill install`: the page of that (sub)command.
fn command_page(root: &clap::Command, path: &[String], out: &mut Vec<u8>) -> Result<()> {
    let mut cmd = root;
    for name in path {
        cmd = match cmd.find_subcommand(name).filter(|c| !c.is_hide_set()) {
            Some(sub) => sub,
            None => {
                let names: Vec<&str> = visible(cmd).map(|c| c.get_name()).collect();
                bail!(
                    "no man page for '{}' (accepted: {})",
                    crate::text::escape_control(&path.join(" ")),
                    names.join(", ")
                )
            }
        };
    }
    let man = Man::new(cmd.clone()).source(source());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if visible(cmd).next().is_some() {
        man.render_subcommands_section(out)?;
    }
    let mut roff = Roff::new();
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        roff.control("SH", ["NOTES"]);
        preformatted(&mut roff, &after.to_string());
    }
    see_also(&mut roff, "defer(1)");
    roff.to_writer(out)?;
    Ok(())
}

/// The footer's source: `defer 0.1.0` on every page.
fn source() -> String {
    format!("defer {}", env!("CARGO_PKG_VERSION"))
}

fn visible(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

/// A section of tagged paragraphs: the tag in bold, then its text.
fn section(roff: &mut Roff, title: &str, items: impl Iterator<Item = (String, String)>) {
    roff.control("SH", [title]);
    for (tag, text) in items {
        roff.control("TP", []);
        roff.text([bold(tag)]);
        roff.text([roman(text)]);
    }
}

/// Lines kept as they are (no filling), e.g. a table.
fn preformatted(roff: &mut Roff, text: &str) {
    roff.control("nf", []);
    for line in text.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
}

fn see_also(roff: &mut Roff, text: &str) {
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(text)]);
}
