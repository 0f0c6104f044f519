//! `defer cancel`: cancel a scheduled, paused or waiting task and print it.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::output;
use crate::ops::cancel::{self, Request};
use crate::ops::Ctx;
use crate::selector::Selector;

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The task to cancel, or a series' id (its first occurrence's id): the series' live occurrence
    #[arg(value_name = "ID", allow_hyphen_values = true, required_unless_present_any = ["flag", "key"])]
    pub positional: Option<String>,
    /// The task to cancel (same as the positional ID)
    #[arg(long = "id", value_name = "ID", allow_hyphen_values = true)]
    pub flag: Option<String>,
    /// The live task scheduled with this --key (instead of ID)
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, conflicts_with_all = ["positional", "flag"])]
    pub key: Option<String>,
    /// Why, kept in the record as cancel_reason
    #[arg(long, allow_hyphen_values = true)]
    pub reason: Option<String>,
    /// On a series occurrence: skip only this one and schedule the next, paused if the series is (default: end the series)
    #[arg(long)]
    pub occurrence: bool,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: CancelArgs) -> Result<ExitCode> {
    let selector = match (args.positional, args.flag, args.key) {
        (_, _, Some(key)) => Selector::Key(key),
        (Some(a), Some(b), _) if a != b => bail!("two different ids given: '{a}' and --id '{b}'"),
        (Some(id), _, _) | (None, Some(id), _) => Selector::Id(id),
        (None, None, None) => bail!(
            "which task? pass its id or key: defer cancel <id> | --key <k> (see `defer list`)"
        ),
    };
    let request = Request {
        selector,
        reason: args.reason,
        occurrence: args.occurrence,
    };
    output::json(&cancel::cancel(ctx, request)?, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
