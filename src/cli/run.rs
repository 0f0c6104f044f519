//! `defer run` (the cron entry point) and `defer archive`: silent on success; `run`
//! prints a line per failure (and per transition with `--verbose`) as it happens.

use std::process::ExitCode;

use anyhow::Result;

use super::args::RunArgs;
use crate::ops::{run, Ctx};

pub fn exec_run(ctx: &Ctx, args: RunArgs) -> Result<ExitCode> {
    run::run(ctx, args.verbose)?;
    Ok(ExitCode::SUCCESS)
}

pub fn exec_archive(ctx: &Ctx) -> Result<ExitCode> {
    run::archive(ctx)?;
    Ok(ExitCode::SUCCESS)
}
