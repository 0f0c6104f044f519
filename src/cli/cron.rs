//! `defer cron`: print the crontab line for this binary and settings; `--install` and
//! `--uninstall` edit the user's crontab through `crontab`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::CronArgs;
use super::{output, Ctx};
use crate::{cron, crontab};

pub fn exec(ctx: &Ctx, args: CronArgs) -> Result<ExitCode> {
    if args.uninstall {
        let existing = crontab::read()?;
        let updated = cron::uninstall(&existing);
        match updated == existing {
            true => output::say("no defer line in your crontab; nothing to remove"),
            false => {
                crontab::write(&updated)?;
                output::say("removed the defer line from your crontab");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let line = line(ctx)?;
    if args.install {
        let existing = crontab::read()?;
        let updated = cron::install(&existing, &line);
        match updated == existing {
            true => output::say("crontab already up to date"),
            false => {
                crontab::write(&updated)?;
                output::say("installed in your crontab (check with: crontab -l)");
            }
        }
        if let Some(row) = crate::doctor::cron_daemon_problem(&crate::doctor::Host) {
            let fix = row.fix.unwrap_or_default();
            output::warn(&format!("{}; {fix}", row.detail));
        }
    }
    output::stdout(format!("{line}\n").as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn line(ctx: &Ctx) -> Result<String> {
    let bin = binary()?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let settings = cron::settings(ctx.env.vars(), &cwd)?;
    ctx.env.validate()?;
    cron::line(&bin, &settings)
}

/// This binary's absolute, canonical path.
pub(super) fn binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    exe.canonicalize()
        .with_context(|| format!("resolving {}", exe.display()))
}
