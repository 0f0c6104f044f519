//! `defer doctor`: the health report as a JSON array (or a table); exit 1 when any
//! check fails.

use std::process::ExitCode;

use anyhow::Result;

use super::args::DoctorArgs;
use super::{exit, output};
use crate::doctor::{self, Level};
use crate::ops::Ctx;
use crate::view::Format;

pub fn exec(ctx: &Ctx, args: DoctorArgs) -> Result<ExitCode> {
    let rows = crate::ops::doctor::doctor(ctx);
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
