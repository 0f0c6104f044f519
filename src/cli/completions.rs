//! `defer completions <shell>`: generated from the clap definition.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

use super::args::{Cli, CompletionsArgs};
use super::output;

pub fn exec_completions(args: CompletionsArgs) -> Result<ExitCode> {
    // Generated into memory first: clap_complete panics on a write error (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "defer", &mut script);
    output::stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}
