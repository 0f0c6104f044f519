//! `defer doctor`: the health report as a JSON array (or a table); exit 1 when any
//! check fails.

use std::process::ExitCode;

use anyhow::Result;

use super::args::DoctorArgs;
use super::{exit, output, Ctx};
use crate::doctor::{self, Host, Level};
use crate::view::Format;

pub fn exec(ctx: &Ctx, args: DoctorArgs) -> Result<ExitCode> {
    let rows = rows(ctx);
    match args.format {
        Format::Json => output::json(&rows, args.compact)?,
        Format::Table => {
            let mut table = Vec::new();
            doctor::table(&mut table, &rows)?;
            output::stdout(&table)?;
        }
    }
    Ok(match doctor::worst(&rows) {
        Level::Fail => ExitCode::from(exit::FAILURE),
        Level::Ok | Level::Warn => ExitCode::SUCCESS,
    })
}

/// The health checks, in report order.
pub fn rows(ctx: &Ctx) -> Vec<doctor::Row> {
    doctor::run(&ctx.env, ctx.now, &Host)
}

/// The health checks as the MCP server reports them (its own environment, compared
/// with the crontab line's, first).
pub fn server_rows(ctx: &Ctx) -> Vec<doctor::Row> {
    doctor::run_for_server(&ctx.env, ctx.now, &Host)
}
