//! `defer export`: print a task or series as systemd units or a Kubernetes CronJob.
//! Changes nothing.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ExportArgs;
use super::output;
use crate::ops::export::{self, Request};
use crate::ops::Ctx;

pub fn exec(ctx: &Ctx, args: ExportArgs) -> Result<ExitCode> {
    let request = Request {
        selector: args.handle.selector(),
        format: args.format,
        name: args.name,
    };
    output::stdout(export::export(ctx, request)?.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
