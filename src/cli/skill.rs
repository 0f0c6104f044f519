//! `defer skill install|print`: the embedded agent skills.

use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::args::{SkillCommand, SkillInstallArgs};
use super::{output, Ctx};
use crate::skill::{self, Target};

pub fn exec(ctx: &Ctx, command: SkillCommand) -> Result<ExitCode> {
    match command {
        SkillCommand::Install(args) => install(ctx, args),
        SkillCommand::Print => {
            output::stdout(skill::DEFER.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn install(ctx: &Ctx, args: SkillInstallArgs) -> Result<ExitCode> {
    let target = match args.dir {
        Some(dir) => Target::Dir(dir),
        None => Target::ClaudeHome(
            ctx.env
                .home()
                .ok_or_else(|| anyhow!("HOME is not set (pass --dir DIR to choose where)"))?,
        ),
    };
    let installed = skill::install(&target)?;
    output::json(&installed, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
