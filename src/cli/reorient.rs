//! `defer reorient`: print the snapshot a CONTEXT.md yields.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output;
use crate::ops::{reorient, Ctx};

#[derive(Debug, Args)]
pub struct ReorientArgs {
    /// Read ~/data/research/projects/NAME/CONTEXT.md
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub project: Option<String>,
    /// Read this CONTEXT.md
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub context_file: Option<String>,
    /// One-line JSON output
    #[arg(long)]
    pub compact: bool,
}

pub fn exec(ctx: &Ctx, args: ReorientArgs) -> Result<ExitCode> {
    let snapshot = reorient::reorient(ctx, args.context_file.as_deref(), args.project.as_deref())?;
    output::json(&snapshot, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
