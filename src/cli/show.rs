//! `defer show`: a task's latest record wherever it is, or its prompt / output file
//! (streamed), its chain, or its output followed.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::Handle;
use super::output;
use crate::ops::show::{self, File, Part};
use crate::ops::Ctx;

pub(super) const SHOW_EXAMPLES: &str = "\
Examples:
  defer show task_20261201_090000_0a3kz9x2m1qp --compact
  defer show ID --prompt            # the prompt it got (or would get now)
  defer show ID --output --follow   # stream the output while it runs
  defer show ID --chain             # the task, its ancestors and follow-ups";

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

pub fn exec(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let selector = args.handle.selector();
    if args.chain {
        output::json(&show::chain(ctx, &selector)?, args.compact)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.follow {
        show::follow(ctx, &selector, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    let part = match (args.prompt, args.output) {
        (true, _) => Part::Prompt,
        (_, true) => Part::Output,
        _ => Part::Record,
    };
    let shown = show::show(ctx, &selector, part)?;
    match shown.file {
        Some(File::Rendered(text)) => output::stdout(text.as_bytes()),
        // Streamed: an output file of any size never sits in memory whole.
        Some(File::Opened(file)) => file.copy_to(&mut std::io::stdout().lock()).map(drop),
        None => output::json(&shown.task, args.compact),
    }?;
    Ok(ExitCode::SUCCESS)
}
