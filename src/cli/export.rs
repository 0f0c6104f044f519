//! `defer export`: print a task or series as systemd units or a Kubernetes CronJob.
//! Changes nothing.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::args::{closed, Handle};
use super::output;
use crate::ops::export::{self, Request};
use crate::ops::Ctx;

pub(super) const EXPORT_EXAMPLES: &str = "\
Examples:
  defer export --key daily-report --format systemd > units.txt
  defer export SERIES_ID --format kubernetes --name daily-report | kubectl apply -f -";

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub handle: Handle,
    /// systemd (a .service and a .timer) or kubernetes (a ConfigMap and a CronJob)
    #[arg(long, value_parser = closed::<crate::export::Format>(), allow_hyphen_values = true)]
    pub format: crate::export::Format,
    /// The unit or CronJob name (default: defer-<id>)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub name: Option<String>,
}

pub fn exec(ctx: &Ctx, args: ExportArgs) -> Result<ExitCode> {
    let request = Request {
        selector: args.handle.selector(),
        format: args.format,
        name: args.name,
    };
    output::stdout(export::export(ctx, request)?.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
