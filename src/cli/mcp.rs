//! `defer mcp`: serve MCP on stdin/stdout, or print the host registration; and the
//! value each tool's command produces (the same code the CLI prints from).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::args::{Command, McpArgs, McpCommand};
use super::{cancel, control, doctor, history, list, output, schedule, show, when, Ctx};
use crate::control::Change;
use crate::{cron, mcp};

pub fn exec(ctx: &Ctx, args: McpArgs) -> Result<ExitCode> {
    match args.command {
        None => {
            let out = std::io::BufWriter::new(protocol_stdout()?);
            let policy = mcp::Policy {
                allow_commands: args.allow_commands,
            };
            mcp::serve(std::io::stdin().lock(), out, &ctx.env, policy)
                .context("serving MCP on stdio")?;
        }
        Some(McpCommand::Config(config)) => {
            let bin = super::cron::binary()?;
            let cwd = std::env::current_dir().context("reading the current directory")?;
            let settings: Vec<(String, String)> = cron::settings(ctx.env.vars(), &cwd)?
                .into_iter()
                .filter(|(name, _)| name.starts_with("DEFER_"))
                .collect();
            ctx.env.validate()?;
            let policy = mcp::Policy {
                allow_commands: args.allow_commands,
            };
            let text = mcp::registration(config.client, &bin, &settings, policy);
            output::stdout(format!("{text}\n").as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The protocol's own handle on stdout; file descriptor 1 itself then points at
/// stderr, so nothing a command prints can ever land between protocol messages.
fn protocol_stdout() -> Result<std::fs::File> {
    let fd = rustix::io::fcntl_dupfd_cloexec(std::io::stdout(), 3).context("duplicating stdout")?;
    rustix::stdio::dup2_stdout(std::io::stderr()).context("pointing stdout at stderr")?;
    Ok(std::fs::File::from(fd))
}

/// What a command run as an MCP tool produced: the JSON the CLI prints (as `--compact`
/// text, fields in the CLI's order, and as a value), for `show --prompt|--output` the
/// file's text, and the `defer: ...` lines it printed on stderr (warnings).
pub struct CommandValue {
    pub text: String,
    pub value: Value,
    pub file: Option<String>,
    pub said: Vec<String>,
    /// `schedule`: whether this call stored the task (a held key or a dry run did not).
    pub stored: Option<bool>,
}

impl CommandValue {
    fn of<T: Serialize>(value: &T) -> Result<Self> {
        Ok(CommandValue {
            text: serde_json::to_string(value)?,
            value: serde_json::to_value(value)?,
            file: None,
            said: Vec::new(),
            stored: None,
        })
    }
}

/// Runs a parsed command the way the CLI does, returning its value instead of printing.
pub fn command_value(ctx: &Ctx, command: Command) -> Result<CommandValue> {
    let (done, said) = output::capture(|| run_for_value(ctx, command));
    Ok(CommandValue { said, ..done? })
}

fn run_for_value(ctx: &Ctx, command: Command) -> Result<CommandValue> {
    if !matches!(command, Command::Doctor(_) | Command::When(_)) {
        ctx.env.validate()?;
    }
    match command {
        Command::Schedule(args) => {
            let scheduled = schedule::scheduled(ctx, &args)?;
            Ok(CommandValue {
                stored: Some(scheduled.stored),
                ..CommandValue::of(&scheduled.task)?
            })
        }
        Command::List(args) => CommandValue::of(&list::tasks(ctx, &args)?),
        Command::Cancel(args) => CommandValue::of(&cancel::cancel(ctx, args)?),
        Command::When(args) => CommandValue::of(&when::preview(ctx, &args)?.0),
        Command::Doctor(_) => CommandValue::of(&doctor::server_rows(ctx)),
        Command::Pause(args) => CommandValue::of(&control::changed(
            ctx,
            args.handle.selector(),
            Change::Pause,
        )?),
        Command::Resume(args) => CommandValue::of(&control::changed(
            ctx,
            args.handle.selector(),
            Change::Resume,
        )?),
        Command::Reschedule(args) => CommandValue::of(&control::rescheduled(ctx, &args)?),
        Command::History(args) => CommandValue::of(&history::tasks(ctx, &args)?),
        Command::Answer(args) => CommandValue::of(&super::answer::answered(ctx, &args)?),
        Command::Stats(args) => CommandValue::of(&super::stats::rows(ctx, &args)?),
        Command::Show(args) => {
            let task = show::task(ctx, &args)?;
            let file = match show::file(ctx, &args, &task)? {
                Some(show::Shown::Rendered(text)) => Some(text),
                Some(show::Shown::File(file)) => Some(bounded(file, &task.id, &args)?),
                None => None,
            };
            Ok(CommandValue {
                file,
                ..CommandValue::of(&task)?
            })
        }
        _ => bail!("this command is not offered as an MCP tool"),
    }
}

/// The most of a prompt or output file one tool result carries.
pub const FILE_MAX_BYTES: u64 = 64 * 1024;

/// A file's last [`FILE_MAX_BYTES`], with a note (a text block of its own) when
/// that is not all of it: a model's context is no place for megabytes.
fn bounded(
    file: crate::taskfile::Opened,
    id: &str,
    args: &super::args::ShowArgs,
) -> Result<String> {
    let tail = file.tail(FILE_MAX_BYTES)?;
    if tail.skipped > 0 {
        let flag = match args.prompt {
            true => "--prompt",
            false => "--output",
        };
        output::note(&format!(
            "the file has {} bytes; this is its last {} (the whole file: defer show {id} {flag})",
            tail.total,
            tail.total - tail.skipped
        ));
    }
    Ok(tail.text)
}
