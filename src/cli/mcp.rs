//! `defer mcp`: serve MCP on stdin/stdout (its tools' arguments read off this CLI's
//! definitions), or print the host registration.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::args::closed;
use super::output;
use crate::mcp;
use crate::ops::Ctx;

pub(super) const MCP_EXAMPLES: &str = "\
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
            let settings = crate::ops::cron::host_settings(ctx)?;
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
