//! `defer export`: find the task, render it for systemd or Kubernetes, print it.
//! Changes nothing.

use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::ExportArgs;
use super::{output, Ctx};
use crate::cron;
use crate::export::{self, Target};
use crate::selector::{self, Purpose};

pub fn exec(ctx: &Ctx, args: ExportArgs) -> Result<ExitCode> {
    let paths = ctx.paths()?;
    let selector = args.handle.selector();
    let task = selector::resolve(&ctx.store()?, &paths, &selector, Purpose::Act)?;
    let exe = std::env::current_exe().context("finding this program's path")?;
    let binary = exe
        .canonicalize()
        .with_context(|| format!("resolving {}", exe.display()))?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let target = Target {
        format: args.format,
        name: args.name,
        binary,
        settings: cron::settings(ctx.env.vars(), &cwd)?
            .into_iter()
            .filter(|(name, _)| name != "PATH" || args.format == export::Format::Systemd)
            .collect(),
        now: ctx.now,
    };
    let text = export::export(&task, &target).map_err(anyhow::Error::msg)?;
    output::stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
