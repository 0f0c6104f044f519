//! `defer reorient`: print the snapshot a CONTEXT.md yields.

use std::process::ExitCode;

use anyhow::Result;

use super::args::ReorientArgs;
use super::{output, Ctx};
use crate::reorient::{self, Lookup};

pub fn exec(ctx: &Ctx, args: ReorientArgs) -> Result<ExitCode> {
    let lookup = Lookup {
        context_file: args.context_file.map(Into::into),
        project: args.project,
        env_context_file: ctx.env.context_file(),
        home: ctx.env.home(),
        cwd: std::env::current_dir()?,
    };
    output::json(&reorient::load(&lookup)?, args.compact)?;
    Ok(ExitCode::SUCCESS)
}
