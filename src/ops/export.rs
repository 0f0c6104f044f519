//! `export`: a task or series as a systemd service + timer or a Kubernetes CronJob.
//! Changes nothing.

use anyhow::{Context, Result};

use super::Ctx;
use crate::cron;
use crate::export::{self, Format, Target};
use crate::selector::{self, Purpose, Selector};

pub struct Request {
    pub selector: Selector,
    pub format: Format,
    /// The unit or CronJob name (default: defer-<id>).
    pub name: Option<String>,
}

/// The text to install.
pub fn export(ctx: &Ctx, request: Request) -> Result<String> {
    let paths = ctx.paths()?;
    let task = selector::resolve(&ctx.store()?, &paths, &request.selector, Purpose::Act)?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let target = Target {
        format: request.format,
        name: request.name,
        binary: super::cron::binary()?,
        settings: cron::settings(ctx.env.vars(), &cwd)?
            .into_iter()
            .filter(|(name, _)| name != "PATH" || request.format == Format::Systemd)
            .collect(),
        now: ctx.now,
    };
    export::export(&task, &target).map_err(anyhow::Error::msg)
}
