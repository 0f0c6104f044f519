//! `defer wait`: block until a task finishes and print its final record. Exit codes are
//! in `super::exit`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::Handle;
use super::{exit, output};
use crate::ops::values;
use crate::ops::wait::{self, Ended};
use crate::ops::Ctx;
use crate::task::Status;

pub(super) const WAIT_EXIT_CODES: &str = "\
Exit status:
  0    the task completed
  1    the task failed, was cancelled or missed (the record is printed), or no such task
  124  --timeout passed first (the current record is printed)";

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// Give up after this long (exit 124): 30s, 5m, 1h, or whole seconds; default: wait for ever
    #[arg(long, value_name = "DURATION", value_parser = values::seconds, allow_hyphen_values = true)]
    pub timeout: Option<u64>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: WaitArgs) -> Result<ExitCode> {
    match wait::wait(ctx, &args.handle.selector(), args.timeout)? {
        Ended::Finished(task) => {
            output::json(&task, args.compact)?;
            Ok(match task.status {
                Status::Completed => ExitCode::SUCCESS,
                _ => ExitCode::from(exit::FAILURE),
            })
        }
        Ended::TimedOut(task) => {
            output::json(&task, args.compact)?;
            output::say(&format!(
                "timed out after {}s waiting for task {} (still {})",
                args.timeout.unwrap_or_default(),
                task.id,
                task.status
            ));
            Ok(ExitCode::from(exit::TIMEOUT))
        }
    }
}
