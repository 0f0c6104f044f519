//! `defer wait`: block until a task finishes and print its final record. Exit codes are
//! in `super::exit`.

use std::process::ExitCode;

use anyhow::Result;

use super::args::WaitArgs;
use super::{exit, output};
use crate::ops::wait::{self, Ended};
use crate::ops::Ctx;
use crate::task::Status;

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
