//! `cron`: the crontab line for this binary and settings, and installing or removing
//! it in the user's crontab (one line per runtime dir; other lines are left alone).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Ctx;
use crate::cron::{self, crontab};

/// What `--install` / `--uninstall` did to the crontab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Only print the line.
    None,
    Installed,
    AlreadyInstalled,
    Removed,
    NothingToRemove,
}

/// The crontab line (`None` after `--uninstall`) and what was done to the crontab.
pub struct Cron {
    pub line: Option<String>,
    pub edit: Edit,
}

/// What to do: print the line, install it, or remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Print,
    Install,
    Uninstall,
}

pub fn cron(ctx: &Ctx, request: Request) -> Result<Cron> {
    let runtime_dir = ctx.env.paths()?.runtime_dir;
    let home = ctx.env.get("HOME");
    // The crontab's defer line for this runtime dir; other dirs' lines are left alone.
    let own = |line: &str| {
        cron::runtime_dir_of(line, home).is_some_and(|dir| cron::same_dir(&dir, &runtime_dir))
    };
    let dir = runtime_dir.display();
    if request == Request::Uninstall {
        let existing = crontab::read()?;
        let updated = cron::uninstall(&existing, own);
        let edit = match updated == existing {
            true => {
                ctx.info(format!(
                    "no defer line for {dir} in your crontab; nothing to remove"
                ));
                Edit::NothingToRemove
            }
            false => {
                crontab::write(&updated)?;
                ctx.info(format!(
                    "removed the defer line for {dir} from your crontab"
                ));
                Edit::Removed
            }
        };
        return Ok(Cron { line: None, edit });
    }
    let line = line(ctx, &runtime_dir)?;
    let mut edit = Edit::None;
    if request == Request::Install {
        let existing = crontab::read()?;
        let updated = cron::install(&existing, &line, own);
        edit = match updated == existing {
            true => {
                ctx.info("crontab already up to date");
                Edit::AlreadyInstalled
            }
            false => {
                crontab::write(&updated)?;
                ctx.info("installed in your crontab (check with: crontab -l)");
                Edit::Installed
            }
        };
        if let Some(row) = crate::doctor::cron_daemon_problem(&crate::doctor::Host) {
            let fix = row.fix.unwrap_or_default();
            ctx.warn(format!("{}; {fix}", row.detail));
        }
    }
    Ok(Cron {
        line: Some(line),
        edit,
    })
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
        ctx.note(format!(
            "left out of the crontab line's PATH: {} (relative entries; cron starts jobs in $HOME)",
            dropped.join(", ")
        ));
    }
    ctx.env.validate()?;
    cron::line(&bin, &settings)
}

/// The `DEFER_*` settings of this environment as a host that starts `defer mcp`
/// should pass them (absolute paths, as the crontab line bakes them), checked.
pub fn host_settings(ctx: &Ctx) -> Result<Vec<(String, String)>> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let settings = cron::settings(ctx.env.vars(), &cwd)?
        .into_iter()
        .filter(|(name, _)| name.starts_with("DEFER_"))
        .collect();
    ctx.env.validate()?;
    Ok(settings)
}

/// This binary's absolute, canonical path (what cron, systemd and MCP hosts run).
pub fn binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    exe.canonicalize()
        .with_context(|| format!("resolving {}", exe.display()))
}
