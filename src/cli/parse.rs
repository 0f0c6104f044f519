//! argv → `Cli`, and clap's errors as one `defer:` line.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};

use super::args::{Cli, Command};
use super::{exit, output};
use crate::text;

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
pub(super) fn bad_value_message(err: &clap::Error, argv: &[OsString]) -> Option<String> {
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
