//! `defer skill install|print`: the embedded agent skills.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::output;
use crate::ops::{skill, Ctx};

#[derive(Debug, Subcommand)]
pub enum SkillCommand {
    /// Write SKILL.md (and the reorient skill) where agent hosts look
    Install(SkillInstallArgs),
    /// Print SKILL.md
    Print,
}

#[derive(Debug, Args)]
pub struct SkillInstallArgs {
    /// Write DIR/SKILL.md and DIR/reorient/SKILL.md instead of ~/.claude/skills/{defer,defer-reorient}/SKILL.md
    #[arg(long, value_name = "DIR", allow_hyphen_values = true)]
    pub dir: Option<std::path::PathBuf>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, command: SkillCommand) -> Result<ExitCode> {
    match command {
        SkillCommand::Install(args) => {
            output::json(&skill::install(ctx, args.dir)?, args.compact)?;
        }
        SkillCommand::Print => output::stdout(crate::skill::DEFER.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
