//! `defer cancel`: cancel a scheduled, paused or waiting task and print it.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::args::CancelArgs;
use super::output;
use crate::ops::cancel::{self, Request};
use crate::ops::Ctx;
use crate::selector::Selector;

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
