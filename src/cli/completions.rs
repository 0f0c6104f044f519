//! Shell completion: `defer completions <shell>` (clap's static script, or with
//! `--dynamic` the registration of the dynamic engine), and the dynamic engine itself,
//! which answers when `COMPLETE=<shell>` is set and offers task ids from the store.

use std::ffi::{OsStr, OsString};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, CommandFactory};
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{self, EnvCompleter, Shells};
use clap_complete::{CompleteEnv, Shell};

use super::args::Cli;
use super::{exit, output};
use crate::complete::{candidates, IdKind};
use crate::config::Env;
use crate::task::ClosedSet;
use crate::text;

pub(super) const COMPLETIONS_HELP: &str = "\
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

/// The variable that switches the binary into the dynamic completion engine.
const VAR: &str = "COMPLETE";

/// How many characters of a summary a shell shows beside an id.
const HELP_CHARS: usize = 60;

pub fn exec_completions(args: CompletionsArgs) -> Result<ExitCode> {
    // Generated into memory first: clap_complete panics on a write error (`| head`).
    let mut script = Vec::new();
    if args.dynamic {
        let shell = engine_shell(args.shell)?;
        let argv0 = std::env::args_os().next().unwrap_or_else(|| "defer".into());
        let completer = completer_path(argv0);
        shell.write_registration(VAR, "defer", "defer", &completer, &mut script)?;
    } else {
        clap_complete::generate(args.shell, &mut Cli::command(), "defer", &mut script);
    }
    output::stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// The dynamic engine's adapter for `shell`.
fn engine_shell(shell: Shell) -> Result<&'static dyn EnvCompleter> {
    Ok(match shell {
        Shell::Bash => &env::Bash,
        Shell::Elvish => &env::Elvish,
        Shell::Fish => &env::Fish,
        Shell::PowerShell => &env::Powershell,
        Shell::Zsh => &env::Zsh,
        other => bail!("no dynamic completion for {other} (use `defer completions {other}`)"),
    })
}

/// The program the registration script calls back, as the engine spells it for
/// `COMPLETE=<shell> defer`: argv[0], made absolute when it is a relative path.
fn completer_path(argv0: OsString) -> String {
    let mut path = std::path::PathBuf::from(argv0);
    if path.components().count() > 1 {
        if let Ok(cwd) = std::env::current_dir() {
            path = cwd.join(path);
        }
    }
    path.to_string_lossy().into_owned()
}

/// With `COMPLETE` set, answers the shell (a registration script, or the candidates for
/// the words after `--`) and returns the exit status; `None` on every normal run, which
/// costs one environment lookup.
pub fn answer_shell() -> Option<ExitCode> {
    let shell = std::env::var_os(VAR)?;
    if shell.is_empty() || shell == "0" {
        return None; // the engine's own "off" values: a normal run
    }
    // The engine takes a shell name or a path to one (`COMPLETE=$SHELL`).
    let name = std::path::Path::new(&shell).file_stem().unwrap_or(&shell);
    if Shells::builtins()
        .completer(&name.to_string_lossy())
        .is_none()
    {
        let names: Vec<&str> = Shells::builtins().names().collect();
        output::say(&format!(
            "invalid {VAR} '{}' (accepted: {}; unset it for a normal run)",
            text::escape_os(&shell),
            names.join(", ")
        ));
        return Some(ExitCode::from(exit::FAILURE));
    }
    let cwd = std::env::current_dir().ok();
    match CompleteEnv::with_factory(command).try_complete(std::env::args_os(), cwd.as_deref()) {
        Ok(true) => Some(ExitCode::SUCCESS),
        Ok(false) => None,
        // Only writing to the shell can fail here; a message would land in the
        // terminal mid-line, and the shell ignores the output of a failed call.
        Err(_) => Some(ExitCode::from(exit::FAILURE)),
    }
}

/// The command line as the dynamic engine sees it: clap's definition with every task-id
/// argument completed from the store (see `crate::complete::IdKind`).
pub fn command() -> clap::Command {
    let wired: &[(&str, &str, IdKind)] = &[
        ("cancel", "positional", IdKind::Cancellable),
        ("cancel", "flag", IdKind::Cancellable),
        ("answer", "id", IdKind::Waiting),
        ("pause", "id", IdKind::Scheduled),
        ("resume", "id", IdKind::Paused),
        ("reschedule", "id", IdKind::Changeable),
        ("execute", "id", IdKind::Scheduled),
        ("export", "id", IdKind::Changeable),
        ("show", "id", IdKind::Any),
        ("wait", "id", IdKind::Unfinished),
        ("history", "series", IdKind::Series),
        ("stats", "series", IdKind::Series),
        ("schedule", "parent", IdKind::Any),
    ];
    wired.iter().fold(Cli::command(), |cmd, &(sub, arg, kind)| {
        cmd.mut_subcommand(sub, |s| s.mut_arg(arg, |a| a.add(task_ids(kind))))
    })
}

fn task_ids(kind: IdKind) -> ArgValueCompleter {
    ArgValueCompleter::new(move |current: &OsStr| offered(kind, current))
}

/// The candidates for the word being completed; on any error none (the shell's
/// output must hold candidates only).
fn offered(kind: IdKind, current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    let found = Env::from_process()
        .and_then(|env| env.paths())
        .and_then(|paths| candidates(&paths, kind, prefix));
    let Ok(found) = found else {
        return Vec::new();
    };
    found
        .into_iter()
        .enumerate()
        .map(|(order, c)| {
            let help = describe(c.status.name(), &c.summary);
            CompletionCandidate::new(c.id)
                .help(Some(help.into()))
                .display_order(Some(order))
        })
        .collect()
}

/// `paused: Check the build`, control characters escaped, cut to `HELP_CHARS`.
fn describe(status: &str, summary: &str) -> String {
    let line = format!("{status}: {}", text::escape_control(summary));
    if line.chars().count() <= HELP_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(HELP_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_id_argument_is_completed_from_the_store() {
        // `mut_arg` panics on a name that does not exist; this also catches a new
        // `ID` argument that nobody wired.
        let cmd = command();
        let mut unwired = Vec::new();
        for sub in cmd.get_subcommands() {
            for arg in sub.get_arguments() {
                let names_id = arg
                    .get_value_names()
                    .is_some_and(|names| names.iter().any(|n| n == "ID"));
                let is_id_flag = arg.get_long() == Some("id");
                if (names_id || is_id_flag) && arg.get::<ArgValueCompleter>().is_none() {
                    unwired.push(format!("{} {}", sub.get_name(), arg.get_id()));
                }
            }
        }
        // `schedule --id` names a new task: nothing to complete.
        assert_eq!(unwired, ["schedule id"]);
    }

    #[test]
    fn help_is_one_escaped_line_of_at_most_60_chars() {
        assert_eq!(describe("paused", "Check"), "paused: Check");
        assert_eq!(
            describe("scheduled", "a\nb\u{1b}"),
            "scheduled: a\\nb\\u{1b}"
        );
        let long = describe("scheduled", &"é".repeat(100));
        assert_eq!(long.chars().count(), HELP_CHARS);
        assert!(long.ends_with('…'));
    }
}
