//! `defer skill install|print`: the embedded agent skills.

use std::process::ExitCode;

use anyhow::Result;

use super::args::SkillCommand;
use super::output;
use crate::ops::{skill, Ctx};

pub fn exec(ctx: &Ctx, command: SkillCommand) -> Result<ExitCode> {
    match command {
        SkillCommand::Install(args) => {
            output::json(&skill::install(ctx, args.dir)?, args.compact)?;
        }
        SkillCommand::Print => output::stdout(crate::skill::DEFER.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
