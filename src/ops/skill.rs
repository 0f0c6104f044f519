//! `skill install`: the embedded agent skills written where a host looks.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::Ctx;
use crate::skill::{self, Installed, Target};

/// Writes the skills into `dir`, else under `~/.claude/skills`.
pub fn install(ctx: &Ctx, dir: Option<PathBuf>) -> Result<Vec<Installed>> {
    let target = match dir {
        Some(dir) => Target::Dir(dir),
        None => Target::ClaudeHome(
            ctx.env
                .home()
                .ok_or_else(|| anyhow!("HOME is not set (pass --dir DIR to choose where)"))?,
        ),
    };
    skill::install(&target)
}
