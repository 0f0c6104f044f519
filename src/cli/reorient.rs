//! `defer reorient`: print the snapshot a CONTEXT.md yields.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ReorientArgs;
use super::output;
use crate::ops::{reorient, Ctx};

pub fn exec(ctx: &Ctx, args: ReorientArgs) -> Result<ExitCode> {
    let snapshot = reorient::reorient(ctx, args.context_file.as_deref(), args.project.as_deref())?;
    output::json(&snapshot, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
