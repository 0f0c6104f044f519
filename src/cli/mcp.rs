//! `defer mcp`: serve MCP on stdin/stdout, or print the host registration; and the
//! value each tool's command produces (the same code the CLI prints from).

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::args::{Command, McpArgs, McpCommand};
use super::{cancel, doctor, history, list, output, schedule, show, when, Ctx};
use crate::{cron, mcp};

pub fn exec(ctx: &Ctx, args: McpArgs) -> Result<ExitCode> {
    match args.command {
        None => {
            let out = std::io::BufWriter::new(protocol_stdout()?);
            mcp::serve(std::io::stdin().lock(), out, &ctx.env).context("serving MCP on stdio")?;
        }
        Some(McpCommand::Config(config)) => {
            let bin = super::cron::binary()?;
            let cwd = std::env::current_dir().context("reading the current directory")?;
            let settings: Vec<(String, String)> = cron::settings(ctx.env.vars(), &cwd)?
                .into_iter()
                .filter(|(name, _)| name.starts_with("DEFER_"))
                .collect();
            ctx.env.validate()?;
            let text = mcp::registration(config.client, &bin, &settings);
            output::stdout(format!("{text}\n").as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The protocol's own handle on stdout; file descriptor 1 itself then points at
/// stderr, so nothing a command prints can ever land between protocol messages.
#[cfg(unix)]
fn protocol_stdout() -> Result<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: fcntl and dup2 on this process's own standard descriptors; the new
    // descriptor is owned by the returned File and by nothing else.
    unsafe {
        let fd = libc::fcntl(libc::STDOUT_FILENO, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return Err(std::io::Error::last_os_error()).context("duplicating stdout");
        }
        if libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
            return Err(std::io::Error::last_os_error()).context("pointing stdout at stderr");
        }
        Ok(std::fs::File::from_raw_fd(fd))
    }
}

#[cfg(not(unix))]
fn protocol_stdout() -> Result<std::io::Stdout> {
    Ok(std::io::stdout())
}

/// What a command run as an MCP tool produced: the JSON the CLI prints (as `--compact`
/// text, fields in the CLI's order, and as a value), for `show --prompt|--output` the
/// file's text, and the `defer: ...` lines it printed on stderr (warnings).
pub struct CommandValue {
    pub text: String,
    pub value: Value,
    pub file: Option<String>,
    pub said: Vec<String>,
}

impl CommandValue {
    fn of<T: Serialize>(value: &T) -> Result<Self> {
        Ok(CommandValue {
            text: serde_json::to_string(value)?,
            value: serde_json::to_value(value)?,
            file: None,
            said: Vec::new(),
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
        Command::Schedule(args) => CommandValue::of(&schedule::task(ctx, &args)?),
        Command::List(args) => CommandValue::of(&list::tasks(ctx, &args)?),
        Command::Cancel(args) => CommandValue::of(&cancel::cancel(ctx, args)?),
        Command::When(args) => CommandValue::of(&when::preview(ctx, &args)?.0),
        Command::Doctor(_) => CommandValue::of(&doctor::rows(ctx)),
        Command::History(args) => CommandValue::of(&history::tasks(ctx, &args)?),
        Command::Show(args) => {
            let task = show::task(ctx, &args)?;
            let file = show::file(ctx, &args, &task)?;
            Ok(CommandValue {
                file: file.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                ..CommandValue::of(&task)?
            })
        }
        _ => bail!("this command is not offered as an MCP tool"),
    }
}
