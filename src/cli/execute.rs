//! `defer execute`: run one task now, from the store (`--id`/`--key`) or from stdin
//! JSON; print its record; exit 0 only if it completed.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{exit, output};
use crate::ops::execute::{self, Request};
use crate::ops::Ctx;
use crate::selector::Selector;
use crate::task::Status;

#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// A scheduled task in the store, or a series' id (its pending occurrence); default:
    /// read one task JSON from stdin
    #[arg(long, allow_hyphen_values = true)]
    pub id: Option<String>,
    /// The live task scheduled with this --key (instead of --id)
    #[arg(
        long,
        value_name = "KEY",
        allow_hyphen_values = true,
        conflicts_with = "id"
    )]
    pub key: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
    /// Also print a line per transition on stderr (claimed, completed, hook ran, ...)
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn exec(ctx: &Ctx, args: ExecuteArgs) -> Result<ExitCode> {
    let mut stdin = std::io::stdin().lock();
    let request = match (args.id, args.key) {
        (_, Some(key)) => Request::Stored(Selector::Key(key)),
        (Some(id), None) => Request::Stored(Selector::Id(id)),
        (None, None) => Request::Given(&mut stdin),
    };
    let task = execute::execute(ctx, request, args.verbose)?;
    output::json(&task, args.compact)?;
    match task.status {
        Status::Completed => return Ok(ExitCode::SUCCESS),
        // Its `failed after n attempts` line is printed already.
        Status::Failed => return Ok(ExitCode::from(exit::FAILURE)),
        _ => {}
    }
    let why = task
        .error
        .as_deref()
        .or(task.last_error.as_deref())
        .unwrap_or("unknown error");
    output::say(&format!(
        "task {} did not complete ({}): {why}",
        task.id, task.status
    ));
    Ok(ExitCode::from(exit::FAILURE))
}
