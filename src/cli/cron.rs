//! `defer cron`: print the crontab line for this binary and settings; `--install` and
//! `--uninstall` edit the user's crontab through `crontab`, one line per runtime dir.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::CronArgs;
use super::{output, Ctx};
use crate::{cron, crontab};

pub fn exec(ctx: &Ctx, args: CronArgs) -> Result<ExitCode> {
    let runtime_dir = ctx.env.paths()?.runtime_dir;
    let home = ctx.env.get("HOME");
    // The crontab's defer line for this runtime dir; other dirs' lines are left alone.
    let own = |line: &str| {
        cron::runtime_dir_of(line, home).is_some_and(|dir| cron::same_dir(&dir, &runtime_dir))
    };
    let dir = runtime_dir.display();
    if args.uninstall {
        let existing = crontab::read()?;
        let updated = cron::uninstall(&existing, own);
        match updated == existing {
            true => output::say(&format!(
                "no defer line for {dir} in your crontab; nothing to remove"
            )),
            false => {
                crontab::write(&updated)?;
                output::say(&format!(
                    "removed the defer line for {dir} from your crontab"
                ));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let line = line(ctx, &runtime_dir)?;
    if args.install {
        let existing = crontab::read()?;
        let updated = cron::install(&existing, &line, own);
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

/// The line, with the runtime dir always baked in (it names the line's store), and a
/// note naming the relative `PATH` entries left out.
fn line(ctx: &Ctx, runtime_dir: &Path) -> Result<String> {
    let bin = binary()?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let dir = runtime_dir.display().to_string();
    let baked = ctx
        .env
        .get("DEFER_RUNTIME_DIR")
        .is_none()
        .then_some(("DEFER_RUNTIME_DIR", dir.as_str()));
    let settings = cron::settings(ctx.env.vars().chain(baked), &cwd)?;
    let dropped = cron::relative_dirs(ctx.env.get("PATH").unwrap_or_default());
    if !dropped.is_empty() {
        output::note(&format!(
            "left out of the crontab line's PATH: {} (relative entries; cron starts jobs in $HOME)",
            dropped.join(", ")
        ));
    }
    ctx.env.validate()?;
    cron::line(&bin, &settings)
}

/// This binary's absolute, canonical path.
pub(super) fn binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    exe.canonicalize()
        .with_context(|| format!("resolving {}", exe.display()))
}
