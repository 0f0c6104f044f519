//! `defer mcp`: serve MCP on stdin/stdout (its tools' arguments read off this CLI's
//! definitions), or print the host registration.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::{McpArgs, McpCommand};
use super::output;
use crate::ops::Ctx;
use crate::{cron, mcp};

pub fn exec(ctx: &Ctx, args: McpArgs) -> Result<ExitCode> {
    match args.command {
        None => {
            let out = std::io::BufWriter::new(protocol_stdout()?);
            let policy = mcp::Policy {
                allow_commands: args.allow_commands,
            };
            mcp::serve(
                std::io::stdin().lock(),
                out,
                &ctx.env,
                policy,
                super::catalog(),
            )
            .context("serving MCP on stdio")?;
        }
        Some(McpCommand::Config(config)) => {
            let bin = crate::ops::cron::binary()?;
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
